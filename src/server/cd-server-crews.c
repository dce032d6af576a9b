/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-server-crews.c: crew devices' position reports, their ticket lists,
 * and the live event stream. */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <math.h>
#include <string.h>

#include "cd-server-private.h"

/* A crew device speaks only for its own crew; staff may read any crew. */
static gboolean
check_own_crew (CdRequest  *req,
                const char *crew_id)
{
  if (req->user->role == CD_ROLE_CREW_DEVICE && g_strcmp0 (req->user->crew_id, crew_id) != 0)
    {
      cd_request_reply_error (req, 403, "forbidden",
                              _("A crew device may report only for its own crew."));
      return FALSE;
    }

  return TRUE;
}

static gboolean
read_number (CdRequest   *req,
             JsonObject  *o,
             const char  *member,
             gboolean     required,
             double       min,
             double       max,
             double      *out)
{
  JsonNode *node = json_object_get_member (o, member);
  g_autofree char *message = NULL;
  double v;

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    {
      if (!required)
        return TRUE;
      message = g_strdup_printf (_("Field “%s” is required."), member);
      cd_request_reply_error (req, 400, "missing-field", message);
      return FALSE;
    }

  if (!JSON_NODE_HOLDS_VALUE (node) ||
      (json_node_get_value_type (node) != G_TYPE_DOUBLE && json_node_get_value_type (node) != G_TYPE_INT64))
    {
      message = g_strdup_printf (_("Field “%s” must be a number."), member);
      cd_request_reply_error (req, 400, "wrong-type", message);
      return FALSE;
    }

  v = json_node_get_double (node);
  if (!isfinite (v) || v < min || v > max)
    {
      message = g_strdup_printf (_("Field “%s” is %g; it must lie between %g and %g."), member, v, min, max);
      cd_request_reply_error (req, 400, "out-of-range", message);
      return FALSE;
    }

  *out = v;
  return TRUE;
}

/* The crew, from a cache filled on first use: reports arrive many times a
 * second, crews change rarely (cd_server_changed() empties the cache). */
static CdCrew *
lookup_crew (CdServer    *self,
             const char  *crew_id,
             GError     **error)
{
  CdCrew *crew;
  CdStore *store;

  g_mutex_lock (&self->positions_lock);
  crew = g_hash_table_lookup (self->crew_cache, crew_id);
  if (crew)
    g_object_ref (crew);
  g_mutex_unlock (&self->positions_lock);
  if (crew)
    return crew;

  store = cd_server_acquire_reader (self, error);
  if (store == NULL)
    return NULL;
  crew = cd_store_load (store, CD_TYPE_CREW, crew_id, error);
  cd_server_release_reader (self, store);
  if (crew == NULL)
    return NULL;

  g_mutex_lock (&self->positions_lock);
  g_hash_table_replace (self->crew_cache, g_strdup (crew_id), g_object_ref (crew));
  g_mutex_unlock (&self->positions_lock);
  return crew;
}

/* Trails ---------------------------------------------------------------------
 *
 * Each crew keeps a bounded history of its positions: at most one point per
 * trail_window / trail_points seconds (so a crew reporting every few
 * seconds fills its window with trail_points points), none older than the
 * window. Points are kept in memory for the trail endpoint and written
 * with the positions once a second to crew_trails, outside the change log;
 * what falls out of the bounds is deleted there too. */

static gint64
trail_spacing (CdServer *self)
{
  return MAX (self->config.trail_window / MAX (self->config.trail_points, 1), 1);
}

/* With positions_lock held. */
static void
trail_append (CdServer         *self,
              const char       *crew_id,
              const CdPosition *pos)
{
  GArray *trail = g_hash_table_lookup (self->trails, crew_id);
  CdTrailPoint *added;
  guint drop = 0;

  if (trail == NULL)
    {
      trail = g_array_new (FALSE, FALSE, sizeof (CdPosition));
      g_hash_table_insert (self->trails, g_strdup (crew_id), trail);
    }

  /* Too soon after the last point (or the clock went back). */
  if (trail->len > 0 && pos->at - g_array_index (trail, CdPosition, trail->len - 1).at < trail_spacing (self))
    return;

  g_array_append_val (trail, *pos);
  while (drop < trail->len &&
         (trail->len - drop > self->config.trail_points ||
          g_array_index (trail, CdPosition, drop).at <= pos->at - self->config.trail_window))
    drop++;
  if (drop > 0)
    {
      g_array_remove_range (trail, 0, drop);
      g_hash_table_insert (self->trail_trims, g_strdup (crew_id),
                           g_memdup2 (&g_array_index (trail, CdPosition, 0).at, sizeof (gint64)));
    }

  added = g_new0 (CdTrailPoint, 1);
  added->crew_id = g_strdup (crew_id);
  added->lat = pos->lat;
  added->lon = pos->lon;
  added->heading = pos->heading;
  added->speed_kmh = pos->speed_kmh;
  added->at = pos->at;
  g_ptr_array_add (self->trail_added, added);
}

/* At start: what the store kept within the bounds (trimming the rest). */
static void
trail_load (CdServer *self)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) points = NULL;
  gint64 oldest = cd_server_now (self) - self->config.trail_window;
  CdStore *store = cd_server_lock_writer (self);

  if (cd_store_begin (store, &error))
    {
      if (cd_store_trim_trail (store, NULL, oldest + 1, &error))
        points = cd_store_list_trail_points (store, NULL, oldest, &error);
      if (points != NULL)
        cd_store_commit (store, &error);
      else
        cd_store_rollback (store);
    }
  cd_server_unlock_writer (self);
  if (points == NULL)
    {
      cd_server_log ("error", "trail-load", "message=\"%s\"", error->message);
      return;
    }

  for (guint i = 0; i < points->len; i++)
    {
      CdTrailPoint *p = g_ptr_array_index (points, i);
      CdPosition pos = { p->lat, p->lon, p->heading, p->speed_kmh, p->at };
      GArray *trail = g_hash_table_lookup (self->trails, p->crew_id);

      if (trail == NULL)
        {
          trail = g_array_new (FALSE, FALSE, sizeof (CdPosition));
          g_hash_table_insert (self->trails, g_strdup (p->crew_id), trail);
        }
      g_array_append_val (trail, pos);
      /* A smaller trail-points than when they were written. */
      if (trail->len > self->config.trail_points)
        {
          g_array_remove_index (trail, 0);
          g_hash_table_insert (self->trail_trims, g_strdup (p->crew_id),
                               g_memdup2 (&g_array_index (trail, CdPosition, 0).at, sizeof (gint64)));
        }
    }
}

static gboolean
update_crew_status (CdServer      *self,
                    CdCrew        *crew,
                    CdCrewStatus   status,
                    GError       **error)
{
  g_autoptr(CdCrew) current = NULL;
  g_autoptr(CdCrew) changed = NULL;
  CdStore *store = cd_server_lock_writer (self);
  gint64 rev = 0;

  if (!cd_store_begin (store, error))
    goto fail_unlocked;

  current = cd_store_load (store, CD_TYPE_CREW, CD_RECORD (crew)->id, error);
  if (current == NULL)
    goto fail;
  if (current->status == status)
    {
      cd_store_rollback (store);
      cd_server_unlock_writer (self);
      return TRUE;
    }

  changed = cd_record_copy (CD_RECORD (current));
  rev = cd_store_next_rev (store, error);
  if (rev <= 0)
    goto fail;
  changed->status = status;
  changed->updated_at = cd_server_now (self);
  CD_RECORD (changed)->version++;
  CD_RECORD (changed)->rev = rev;
  if (!cd_store_save (store, CD_RECORD (changed), error) || !cd_store_commit (store, error))
    goto fail;

  cd_server_unlock_writer (self);
  cd_server_changed (self, rev);
  return TRUE;

fail:
  cd_store_rollback (store);
fail_unlocked:
  cd_server_unlock_writer (self);
  return FALSE;
}

/* One position as a JSON object, in the C locale whatever the server's;
 * with "crew_id" first when @crew_id is given. */
static void
append_position (GString          *out,
                 const char       *crew_id,
                 const CdPosition *p)
{
  g_autofree char *at = cd_json_format_time (p->at);
  char lat[G_ASCII_DTOSTR_BUF_SIZE], lon[G_ASCII_DTOSTR_BUF_SIZE];
  char heading[G_ASCII_DTOSTR_BUF_SIZE], speed[G_ASCII_DTOSTR_BUF_SIZE];

  g_string_append_c (out, '{');
  /* Crew ids are UUIDs: nothing to escape. */
  if (crew_id != NULL)
    g_string_append_printf (out, "\"crew_id\":\"%s\",", crew_id);
  g_string_append_printf (out, "\"lat\":%s,\"lon\":%s,\"heading\":%s,\"speed_kmh\":%s,\"at\":\"%s\"}",
                          g_ascii_formatd (lat, sizeof lat, "%.7f", p->lat),
                          g_ascii_formatd (lon, sizeof lon, "%.7f", p->lon),
                          g_ascii_formatd (heading, sizeof heading, "%.1f", p->heading),
                          g_ascii_formatd (speed, sizeof speed, "%.1f", p->speed_kmh), at);
}

void
cd_server_handle_position (CdServer  *self,
                           CdRequest *req)
{
  static const char * const known[] = { "lat", "lon", "heading", "speed_kmh", "status", "at", NULL };
  const char *crew_id = g_ptr_array_index (req->params, 0);
  g_autoptr(JsonNode) body = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(CdCrew) crew = NULL;
  g_autoptr(GString) event = NULL;
  CdPosition pos = { 0 };
  gint64 now = cd_server_now (self);
  JsonObject *o;
  JsonNode *status_node;
  gint status = -1;

  if (!check_own_crew (req, crew_id))
    return;
  body = cd_request_parse_body (req);
  if (body == NULL)
    return;
  o = json_node_get_object (body);
  if (!cd_request_reject_unknown (req, o, known) ||
      !read_number (req, o, "lat", TRUE, -90, 90, &pos.lat) ||
      !read_number (req, o, "lon", TRUE, -180, 180, &pos.lon) ||
      !read_number (req, o, "heading", FALSE, 0, 360, &pos.heading) ||
      !read_number (req, o, "speed_kmh", FALSE, 0, 400, &pos.speed_kmh))
    return;

  status_node = json_object_get_member (o, "status");
  if (status_node != NULL && !JSON_NODE_HOLDS_NULL (status_node))
    {
      g_auto(GValue) value = G_VALUE_INIT;

      if (!cd_record_decode_member (CD_TYPE_CREW, "status", status_node, &value, &error))
        {
          cd_request_reply_gerror (req, error);
          return;
        }
      status = g_value_get_enum (&value);
    }

  /* Device clocks drift: the server's time orders reports. */
  pos.at = now;

  crew = lookup_crew (self, crew_id, &error);
  if (crew == NULL)
    {
      cd_request_reply_gerror (req, error);
      return;
    }

  if (status >= 0 && !update_crew_status (self, crew, status, &error))
    {
      cd_request_reply_gerror (req, error);
      return;
    }

  g_mutex_lock (&self->positions_lock);
  g_hash_table_replace (self->positions, g_strdup (crew_id), g_memdup2 (&pos, sizeof pos));
  trail_append (self, crew_id, &pos);
  g_mutex_unlock (&self->positions_lock);
  g_atomic_int_inc (&self->metrics.positions);

  event = g_string_sized_new (160);
  append_position (event, crew_id, &pos);
  cd_events_publish (self->events, "position", event->str);

  cd_http_response_set_text (req->response, 200, "application/json", "{\"ok\":true}");
}

static gpointer
flusher_thread (gpointer data)
{
  CdServer *self = data;

  g_mutex_lock (&self->positions_lock);
  while (!self->stopping)
    {
      g_autoptr(GHashTable) batch = NULL;
      g_autoptr(GPtrArray) added = NULL;
      g_autoptr(GHashTable) trims = NULL;
      g_autoptr(GError) error = NULL;
      gint64 until = g_get_monotonic_time () + G_USEC_PER_SEC;
      GHashTableIter iter;
      gpointer key, value;
      CdStore *store;

      while (!self->stopping && g_cond_wait_until (&self->flusher_cond, &self->positions_lock, until))
        ;
      if (g_hash_table_size (self->positions) == 0 && g_hash_table_size (self->trail_trims) == 0)
        continue;

      batch = self->positions;
      self->positions = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
      /* Readers of the latest positions still see it until it is stored. */
      self->flushing = g_hash_table_ref (batch);
      added = self->trail_added;
      self->trail_added = g_ptr_array_new_with_free_func ((GDestroyNotify) cd_trail_point_free);
      trims = self->trail_trims;
      self->trail_trims = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
      g_mutex_unlock (&self->positions_lock);

      /* Positions are ephemeral: the flush is not synced on its own (the
       * next synced commit or checkpoint takes it along). */
      store = cd_server_lock_writer (self);
      if (cd_store_set_deferred_sync (store, TRUE, &error) && cd_store_begin (store, &error))
        {
          g_hash_table_iter_init (&iter, batch);
          while (error == NULL && g_hash_table_iter_next (&iter, &key, &value))
            {
              CdPosition *pos = value;

              if (!cd_store_set_crew_position (store, key, pos->lat, pos->lon, pos->heading,
                                               pos->speed_kmh, pos->at, &error) &&
                  g_error_matches (error, CD_STORE_ERROR, CD_STORE_ERROR_NOT_FOUND))
                g_clear_error (&error); /* deleted meanwhile */
            }
          for (guint i = 0; error == NULL && i < added->len; i++)
            if (!cd_store_add_trail_point (store, g_ptr_array_index (added, i), &error) &&
                g_error_matches (error, CD_STORE_ERROR, CD_STORE_ERROR_NOT_FOUND))
              g_clear_error (&error);
          g_hash_table_iter_init (&iter, trims);
          while (error == NULL && g_hash_table_iter_next (&iter, &key, &value))
            cd_store_trim_trail (store, key, *(gint64 *) value, &error);
          if (error == NULL)
            cd_store_commit (store, &error);
          else
            cd_store_rollback (store);
        }
      {
        g_autoptr(GError) restore_error = NULL;

        if (!cd_store_set_deferred_sync (store, FALSE, &restore_error))
          cd_server_log ("error", "synchronous-full", "message=\"%s\"", restore_error->message);
      }
      cd_server_unlock_writer (self);
      if (error)
        cd_server_log ("error", "position-flush", "message=\"%s\"", error->message);

      g_mutex_lock (&self->positions_lock);
      g_clear_pointer (&self->flushing, g_hash_table_unref);
    }
  g_mutex_unlock (&self->positions_lock);

  return NULL;
}

void
cd_server_positions_start (CdServer *self)
{
  self->positions = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->crew_cache = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  self->trails = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_array_unref);
  self->trail_added = g_ptr_array_new_with_free_func ((GDestroyNotify) cd_trail_point_free);
  self->trail_trims = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  trail_load (self);
  self->flusher = g_thread_new ("crewdesk-positions", flusher_thread, self);
}

/* Stops the flusher after one last flush of what it holds. */
void
cd_server_positions_stop (CdServer *self)
{
  if (self->flusher == NULL)
    return;

  g_mutex_lock (&self->positions_lock);
  self->stopping = TRUE;
  g_cond_signal (&self->flusher_cond);
  g_mutex_unlock (&self->positions_lock);
  g_thread_join (self->flusher);
  self->flusher = NULL;

  g_clear_pointer (&self->positions, g_hash_table_unref);
  g_clear_pointer (&self->crew_cache, g_hash_table_unref);
  g_clear_pointer (&self->trails, g_hash_table_unref);
  g_clear_pointer (&self->trail_added, g_ptr_array_unref);
  g_clear_pointer (&self->trail_trims, g_hash_table_unref);
}

void
cd_server_handle_crew_tickets (CdServer  *self,
                               CdRequest *req)
{
  const char *crew_id = g_ptr_array_index (req->params, 0);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) tickets = NULL;
  g_autoptr(CdCrew) crew = NULL;
  g_autoptr(JsonBuilder) b = NULL;
  g_autoptr(JsonNode) reply = NULL;
  CdStore *store;

  if (!check_own_crew (req, crew_id))
    return;

  store = cd_server_acquire_reader (self, &error);
  if (store != NULL)
    {
      crew = cd_store_load (store, CD_TYPE_CREW, crew_id, &error);
      if (crew != NULL)
        tickets = cd_store_list_open_tickets (store, CD_STORE_ANY, NULL, crew_id, &error);
    }
  cd_server_release_reader (self, store);
  if (error != NULL)
    {
      cd_request_reply_gerror (req, error);
      return;
    }

  b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "crew");
  json_builder_add_value (b, cd_record_to_json (CD_RECORD (crew)));
  json_builder_set_member_name (b, "tickets");
  json_builder_begin_array (b);
  for (guint i = 0; i < tickets->len; i++)
    json_builder_add_value (b, cd_record_to_json (g_ptr_array_index (tickets, i)));
  json_builder_end_array (b);
  json_builder_end_object (b);
  reply = json_builder_get_root (b);
  cd_request_reply_json (req, 200, reply);
}

/* GET /api/v1/crews/{id}/trail?since=UNIX: the crew's recent positions
 * after @since, oldest first. */
void
cd_server_handle_crew_trail (CdServer  *self,
                             CdRequest *req)
{
  const char *crew_id = g_ptr_array_index (req->params, 0);
  g_autoptr(GError) error = NULL;
  g_autoptr(CdCrew) crew = NULL;
  g_autoptr(GArray) points = NULL;
  GString *out;
  GArray *trail;
  gint64 since, oldest;
  gsize length;

  /* Up to the year 9999. */
  if (!cd_request_int_param (req, "since", 0, 0, G_GINT64_CONSTANT (253402300799), &since))
    return;

  crew = lookup_crew (self, crew_id, &error);
  if (crew == NULL)
    {
      cd_request_reply_gerror (req, error);
      return;
    }

  /* A crew that stopped reporting: its old points age out here. */
  oldest = cd_server_now (self) - self->config.trail_window;
  points = g_array_new (FALSE, FALSE, sizeof (CdPosition));
  g_mutex_lock (&self->positions_lock);
  trail = g_hash_table_lookup (self->trails, crew_id);
  for (guint i = 0; trail != NULL && i < trail->len; i++)
    {
      const CdPosition *p = &g_array_index (trail, CdPosition, i);

      if (p->at > since && p->at > oldest)
        g_array_append_vals (points, p, 1);
    }
  g_mutex_unlock (&self->positions_lock);

  out = g_string_sized_new (128 + points->len * 120);
  g_string_append_printf (out, "{\"crew_id\":\"%s\",\"since\":%" G_GINT64_FORMAT
                          ",\"window_seconds\":%" G_GINT64_FORMAT ",\"max_points\":%u,\"points\":[",
                          CD_RECORD (crew)->id, since, self->config.trail_window, self->config.trail_points);
  for (guint i = 0; i < points->len; i++)
    {
      if (i > 0)
        g_string_append_c (out, ',');
      append_position (out, NULL, &g_array_index (points, CdPosition, i));
    }
  g_string_append (out, "]}");
  length = out->len;
  cd_http_response_set_json (req->response, 200, g_string_free (out, FALSE), length);
}

static gint
compare_ids (gconstpointer a,
             gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

static void
overlay_positions (GHashTable *latest,
                   GHashTable *newer)
{
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, newer);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      CdPosition *have = g_hash_table_lookup (latest, key);

      if (have == NULL || ((CdPosition *) value)->at >= have->at)
        g_hash_table_replace (latest, g_strdup (key), g_memdup2 (value, sizeof (CdPosition)));
    }
}

/* GET /api/v1/positions: the latest position of every crew that has
 * one, for a client that was not listening to the event stream (a first
 * start, a reconnect). Reports not yet flushed to the store count. */
void
cd_server_handle_positions (CdServer  *self,
                            CdRequest *req)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) stored = NULL;
  g_autoptr(GHashTable) latest = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr(GPtrArray) ids = NULL;
  g_autofree char *now = cd_json_format_time (cd_server_now (self));
  CdStore *store = cd_server_acquire_reader (self, &error);
  GString *out;
  gsize length;

  if (store != NULL)
    stored = cd_store_list_crew_positions (store, &error);
  cd_server_release_reader (self, store);
  if (stored == NULL)
    {
      cd_request_reply_gerror (req, error);
      return;
    }

  for (guint i = 0; i < stored->len; i++)
    {
      const CdTrailPoint *p = g_ptr_array_index (stored, i);
      CdPosition pos = { p->lat, p->lon, p->heading, p->speed_kmh, p->at };

      g_hash_table_replace (latest, g_strdup (p->crew_id), g_memdup2 (&pos, sizeof pos));
    }
  g_mutex_lock (&self->positions_lock);
  if (self->flushing != NULL)
    overlay_positions (latest, self->flushing);
  overlay_positions (latest, self->positions);
  g_mutex_unlock (&self->positions_lock);

  /* (g_hash_table_get_keys_as_ptr_array() is GLib 2.76.) */
  ids = g_ptr_array_sized_new (g_hash_table_size (latest));
  {
    GHashTableIter iter;
    gpointer key;

    g_hash_table_iter_init (&iter, latest);
    while (g_hash_table_iter_next (&iter, &key, NULL))
      g_ptr_array_add (ids, key);
  }
  g_ptr_array_sort (ids, compare_ids);
  out = g_string_sized_new (64 + ids->len * 160);
  g_string_append_printf (out, "{\"at\":\"%s\",\"positions\":[", now);
  for (guint i = 0; i < ids->len; i++)
    {
      const char *id = g_ptr_array_index (ids, i);

      if (i > 0)
        g_string_append_c (out, ',');
      append_position (out, id, g_hash_table_lookup (latest, id));
    }
  g_string_append (out, "]}");
  length = out->len;
  cd_http_response_set_json (req->response, 200, g_string_free (out, FALSE), length);
}

void
cd_server_handle_events (CdServer  *self,
                         CdRequest *req)
{
  g_autoptr(GError) error = NULL;
  CdStore *store = cd_server_acquire_reader (self, &error);
  gint64 rev = store ? cd_store_get_last_rev (store, &error) : 0;

  cd_server_release_reader (self, store);
  if (error != NULL)
    {
      cd_request_reply_gerror (req, error);
      return;
    }

  cd_events_subscribe (self->events, req->http->connection, req->response, rev);
  cd_server_log ("info", "subscribe", "user=\"%s\" client=%s", req->user->username, req->http->client);
}
