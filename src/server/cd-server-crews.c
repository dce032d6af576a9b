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

void
cd_server_handle_position (CdServer  *self,
                           CdRequest *req)
{
  static const char * const known[] = { "lat", "lon", "heading", "speed_kmh", "status", "at", NULL };
  const char *crew_id = g_ptr_array_index (req->params, 0);
  g_autoptr(JsonNode) body = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(CdCrew) crew = NULL;
  g_autofree char *event = NULL;
  g_autofree char *at_text = NULL;
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
  g_mutex_unlock (&self->positions_lock);
  g_atomic_int_inc (&self->metrics.positions);

  at_text = cd_json_format_time (pos.at);
  event = g_strdup_printf ("{\"crew_id\":\"%s\",\"lat\":%.7f,\"lon\":%.7f,\"heading\":%.1f,"
                           "\"speed_kmh\":%.1f,\"at\":\"%s\"}",
                           crew_id, pos.lat, pos.lon, pos.heading, pos.speed_kmh, at_text);
  cd_events_publish (self->events, "position", event);

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
      g_autoptr(GError) error = NULL;
      gint64 until = g_get_monotonic_time () + G_USEC_PER_SEC;
      GHashTableIter iter;
      gpointer key, value;
      CdStore *store;

      while (!self->stopping && g_cond_wait_until (&self->flusher_cond, &self->positions_lock, until))
        ;
      if (g_hash_table_size (self->positions) == 0)
        continue;

      batch = self->positions;
      self->positions = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
      g_mutex_unlock (&self->positions_lock);

      store = cd_server_lock_writer (self);
      if (cd_store_begin (store, &error))
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
          if (error == NULL)
            cd_store_commit (store, &error);
          else
            cd_store_rollback (store);
        }
      cd_server_unlock_writer (self);
      if (error)
        cd_server_log ("error", "position-flush", "message=\"%s\"", error->message);

      g_mutex_lock (&self->positions_lock);
    }
  g_mutex_unlock (&self->positions_lock);

  return NULL;
}

void
cd_server_positions_start (CdServer *self)
{
  self->positions = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->crew_cache = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
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
