/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-sync-engine.c: cycles, backoff, the event stream and the status. */
#include "config.h"

#define G_LOG_DOMAIN "CrewdeskSync"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "cd-json.h"
#include "cd-sync-engine.h"
#include "cd-sync-private.h"

/* How long positions from the event stream wait to be written together. */
#define POSITIONS_WRITE_DELAY_MS 1000

struct _CdSyncEngine
{
  GObject          parent_instance;

  CdSyncClient    *client;
  CdSyncCache     *cache;
  GNetworkMonitor *monitor;
  gulong           monitor_handler;

  gboolean         started;
  CdSyncStatus     status;
  gint64           offline_since;
  guint            pending;
  gint64           clock_offset_ms;
  char            *last_error;

  gboolean         cycle_running;
  gboolean         cycle_again;
  guint            cycle_source;
  guint            retry_source;
  guint            next_retry_ms;
  guint            attempt;
  guint            backoff_min_ms;
  guint            backoff_max_ms;

  /* The event stream. */
  GCancellable    *events_cancellable;
  GDataInputStream *events;
  guint            heartbeat_interval_s;
  guint            deadline_source;
  char            *event_name;
  GString         *event_data;

  /* Positions are written in batches, off the main thread. */
  guint            positions_source;
  gboolean         positions_writing;
};

G_DEFINE_FINAL_TYPE (CdSyncEngine, cd_sync_engine, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_STATUS,
  PROP_OFFLINE_SINCE,
  PROP_PENDING,
  PROP_CLOCK_OFFSET_MS,
  PROP_LAST_ERROR,
  PROP_NEXT_RETRY_MS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  CHANGED,
  CREW_MOVED,
  LOGIN_NEEDED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void run_cycle (CdSyncEngine *self);
static void open_events (CdSyncEngine *self);
static gboolean write_positions_cb (gpointer user_data);

/* State ------------------------------------------------------------------- */

static void
set_status (CdSyncEngine *self,
            CdSyncStatus  status)
{
  gint64 since = self->offline_since;

  if (status == CD_SYNC_STATUS_ONLINE)
    since = 0;
  else if (status == CD_SYNC_STATUS_OFFLINE && since == 0)
    since = cd_sync_cache_get_server_now_ms (self->cache) / 1000;

  if (self->status != status)
    {
      self->status = status;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATUS]);
    }
  if (self->offline_since != since)
    {
      self->offline_since = since;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_OFFLINE_SINCE]);
    }
}

static void
update_pending (CdSyncEngine *self)
{
  gint64 n = cd_sync_cache_count_pending (self->cache, NULL);

  if (n >= 0 && (guint) n != self->pending)
    {
      self->pending = (guint) n;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PENDING]);
    }
}

static void
update_clock (CdSyncEngine *self)
{
  gint64 offset = cd_sync_client_get_clock_offset_ms (self->client);

  cd_sync_cache_set_clock_offset (self->cache, offset);
  if (offset != self->clock_offset_ms)
    {
      self->clock_offset_ms = offset;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CLOCK_OFFSET_MS]);
    }
}

static void
set_last_error (CdSyncEngine *self,
                const char   *message)
{
  if (g_strcmp0 (self->last_error, message) == 0)
    return;

  g_free (self->last_error);
  self->last_error = g_strdup (message);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LAST_ERROR]);
}

/* Backoff ----------------------------------------------------------------- */

static void
set_next_retry (CdSyncEngine *self,
                guint         ms)
{
  if (self->next_retry_ms == ms)
    return;

  self->next_retry_ms = ms;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_NEXT_RETRY_MS]);
}

static void
cancel_retry (CdSyncEngine *self)
{
  g_clear_handle_id (&self->retry_source, g_source_remove);
  set_next_retry (self, 0);
}

static gboolean
retry_cb (gpointer user_data)
{
  CdSyncEngine *self = user_data;

  self->retry_source = 0;
  set_next_retry (self, 0);
  run_cycle (self);
  return G_SOURCE_REMOVE;
}

static void
schedule_retry (CdSyncEngine *self)
{
  guint64 delay = self->backoff_min_ms;
  guint64 wait;

  if (!self->started || self->retry_source != 0)
    return;

  for (guint i = 0; i < self->attempt && delay < self->backoff_max_ms; i++)
    delay *= 2;
  delay = MIN (delay, self->backoff_max_ms);
  /* Jitter, so clients cut off together do not come back together. */
  wait = delay / 2 + (guint64) g_random_int_range (0, (gint32) MAX (delay / 2, 1) + 1);
  self->attempt++;

  g_debug ("Sync: retrying in %" G_GUINT64_FORMAT " ms (attempt %u)", wait, self->attempt);
  self->retry_source = g_timeout_add ((guint) wait, retry_cb, self);
  set_next_retry (self, (guint) wait);
}

/* Stops the stream; a new cycle opens another. */
static void
close_events (CdSyncEngine *self)
{
  /* Positions reported while nothing listens are read at the next pull. */
  if (self->events_cancellable != NULL || self->events != NULL)
    cd_sync_client_invalidate_positions (self->client);
  if (self->events_cancellable != NULL)
    g_cancellable_cancel (self->events_cancellable);
  g_clear_object (&self->events_cancellable);
  g_clear_object (&self->events);
  g_clear_handle_id (&self->deadline_source, g_source_remove);
  g_clear_pointer (&self->event_name, g_free);
  g_string_truncate (self->event_data, 0);
}

static void
fail (CdSyncEngine *self,
      const GError *error)
{
  set_last_error (self, error->message);
  close_events (self);
  set_status (self, CD_SYNC_STATUS_OFFLINE);

  if (g_error_matches (error, CD_SYNC_ERROR, CD_SYNC_ERROR_UNAUTHORIZED))
    {
      /* Retrying cannot help; the outbox stays for after the login. */
      g_signal_emit (self, signals[LOGIN_NEEDED], 0);
      return;
    }

  schedule_retry (self);
}

/* Cycles ------------------------------------------------------------------ */

static void
cycle_done (CdSyncEngine *self)
{
  self->cycle_running = FALSE;
  update_clock (self);
  update_pending (self);
  g_signal_emit (self, signals[CHANGED], 0);

  if (self->cycle_again && self->started)
    {
      self->cycle_again = FALSE;
      run_cycle (self);
    }
}

static void
pulled_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(CdSyncEngine) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!cd_sync_client_pull_finish (CD_SYNC_CLIENT (source), result, NULL, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        fail (self, error);
      self->cycle_again = FALSE;
      cycle_done (self);
      return;
    }

  self->attempt = 0;
  set_last_error (self, NULL);
  set_status (self, CD_SYNC_STATUS_ONLINE);
  if (self->events == NULL && self->events_cancellable == NULL)
    open_events (self);
  cycle_done (self);
}

static void
pushed_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(CdSyncEngine) self = user_data;
  g_autoptr(GError) error = NULL;
  CdSyncPushResult stats;

  if (!cd_sync_client_push_finish (CD_SYNC_CLIENT (source), result, &stats, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        fail (self, error);
      self->cycle_again = FALSE;
      cycle_done (self);
      return;
    }

  update_pending (self);
  cd_sync_client_pull_async (self->client, self->cache, pulled_cb, g_object_ref (self));
}

static void
run_cycle (CdSyncEngine *self)
{
  if (!self->started)
    return;
  if (self->cycle_running)
    {
      self->cycle_again = TRUE;
      return;
    }

  cancel_retry (self);
  self->cycle_running = TRUE;
  if (self->status != CD_SYNC_STATUS_ONLINE)
    set_status (self, CD_SYNC_STATUS_CONNECTING);

  /* Push first: the pull then brings what the pushed changes caused. */
  cd_sync_client_push_async (self->client, self->cache, pushed_cb, g_object_ref (self));
}

static gboolean
cycle_cb (gpointer user_data)
{
  CdSyncEngine *self = user_data;

  self->cycle_source = 0;
  run_cycle (self);
  return G_SOURCE_REMOVE;
}

/* The event stream -------------------------------------------------------- */

static gboolean
deadline_cb (gpointer user_data)
{
  CdSyncEngine *self = user_data;
  g_autoptr(GError) error = NULL;

  self->deadline_source = 0;
  g_set_error (&error, CD_SYNC_ERROR, CD_SYNC_ERROR_NETWORK,
               _("The server at %s stopped answering. Your changes are kept on this computer "
                 "and will be sent when it is back."),
               cd_sync_client_get_base_url (self->client));
  fail (self, error);
  return G_SOURCE_REMOVE;
}

static void
arm_deadline (CdSyncEngine *self)
{
  g_clear_handle_id (&self->deadline_source, g_source_remove);
  self->deadline_source = g_timeout_add_seconds (2 * self->heartbeat_interval_s, deadline_cb, self);
}

static void
dispatch_event (CdSyncEngine *self,
                const char   *name,
                const char   *data)
{
  g_autoptr(JsonNode) node = cd_json_parse (data, -1, CD_JSON_MAX_BYTES, CD_JSON_MAX_DEPTH, NULL);
  JsonObject *o = node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;

  g_debug ("Sync: %s event", name);
  if (o == NULL)
    {
      g_debug ("Sync: unreadable %s event ignored", name);
      return;
    }

  if (strcmp (name, "rev") == 0 || strcmp (name, "heartbeat") == 0)
    {
      JsonNode *rev = json_object_get_member (o, "rev");
      gint64 have = cd_sync_cache_get_last_rev (self->cache, NULL);

      /* A poke carries no rows: pull. Lost or repeated pokes are harmless. */
      if (rev != NULL && json_node_get_value_type (rev) == G_TYPE_INT64 && json_node_get_int (rev) > have)
        run_cycle (self);
    }
  else if (strcmp (name, "position") == 0)
    {
      JsonNode *crew = json_object_get_member (o, "crew_id");
      const char *at_text = json_object_has_member (o, "at") ? json_object_get_string_member (o, "at") : NULL;
      gint64 at = 0;
      double lat, lon, heading, speed;

      if (crew == NULL || json_node_get_value_type (crew) != G_TYPE_STRING ||
          at_text == NULL || !cd_json_parse_time (at_text, &at))
        return;
      lat = json_object_get_double_member_with_default (o, "lat", 0);
      lon = json_object_get_double_member_with_default (o, "lon", 0);
      heading = json_object_get_double_member_with_default (o, "heading", 0);
      speed = json_object_get_double_member_with_default (o, "speed_kmh", 0);
      if (lat < -90 || lat > 90 || lon < -180 || lon > 180)
        return;

      cd_sync_cache_set_crew_position (self->cache, json_node_get_string (crew), lat, lon, heading,
                                       speed, at, NULL);
      if (self->positions_source == 0)
        self->positions_source = g_timeout_add (POSITIONS_WRITE_DELAY_MS, write_positions_cb, self);
      g_signal_emit (self, signals[CREW_MOVED], 0, json_node_get_string (crew), lat, lon, heading,
                     speed, at);
    }
}

static void
positions_written_cb (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  CdSyncEngine *self = CD_SYNC_ENGINE (source);
  g_autoptr(GError) error = NULL;

  self->positions_writing = FALSE;
  if (!g_task_propagate_boolean (G_TASK (result), &error))
    g_debug ("Sync: positions not written: %s", error->message);
}

static void
write_positions_run (GTask        *task,
                     gpointer      source_object,
                     gpointer      task_data,
                     GCancellable *cancellable)
{
  GError *error = NULL;

  if (_cd_sync_cache_write_positions (task_data, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static gboolean
write_positions_cb (gpointer user_data)
{
  CdSyncEngine *self = user_data;
  g_autoptr(GTask) task = NULL;

  self->positions_source = 0;
  if (self->positions_writing)
    {
      /* The last batch is still being written: this one waits. */
      self->positions_source = g_timeout_add (POSITIONS_WRITE_DELAY_MS, write_positions_cb, self);
      return G_SOURCE_REMOVE;
    }

  self->positions_writing = TRUE;
  task = g_task_new (self, NULL, positions_written_cb, NULL);
  g_task_set_task_data (task, g_object_ref (self->cache), g_object_unref);
  g_task_set_name (task, "cd-sync-write-positions");
  g_task_run_in_thread (task, write_positions_run);
  return G_SOURCE_REMOVE;
}

static void read_next_line (CdSyncEngine *self);

static void
line_read_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(CdSyncEngine) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;
  gsize length = 0;

  line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (source), result, &length, &error);
  if (G_DATA_INPUT_STREAM (source) != self->events)
    return; /* a stream closed since */

  if (line == NULL)
    {
      g_autoptr(GError) broken = NULL;

      g_set_error (&broken, CD_SYNC_ERROR, CD_SYNC_ERROR_NETWORK,
                   _("The connection to %s was lost (%s). Your changes are kept on this computer "
                     "and will be sent when it is back."),
                   cd_sync_client_get_base_url (self->client),
                   error != NULL ? error->message : _("the server closed it"));
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        fail (self, broken);
      return;
    }

  arm_deadline (self);

  if (length > 0 && line[length - 1] == '\r')
    line[--length] = '\0';

  if (length == 0)
    {
      if (self->event_data->len > 0)
        dispatch_event (self, self->event_name != NULL ? self->event_name : "message",
                        self->event_data->str);
      g_clear_pointer (&self->event_name, g_free);
      g_string_truncate (self->event_data, 0);
    }
  else if (g_str_has_prefix (line, "event:"))
    {
      g_free (self->event_name);
      self->event_name = g_strstrip (g_strdup (line + strlen ("event:")));
    }
  else if (g_str_has_prefix (line, "data:"))
    {
      const char *d = line + strlen ("data:");

      if (*d == ' ')
        d++;
      if (self->event_data->len > 0)
        g_string_append_c (self->event_data, '\n');
      g_string_append (self->event_data, d);
    }

  /* The stream may have been closed by dispatching. */
  if (self->events != NULL)
    read_next_line (self);
}

static void
read_next_line (CdSyncEngine *self)
{
  g_data_input_stream_read_line_async (self->events, G_PRIORITY_DEFAULT, self->events_cancellable,
                                       line_read_cb, g_object_ref (self));
}

static void
events_opened_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(CdSyncEngine) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GInputStream) stream = cd_sync_client_open_events_finish (CD_SYNC_CLIENT (source), result, &error);

  if (stream == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        fail (self, error);
      return;
    }

  update_clock (self);
  self->events = g_data_input_stream_new (stream);
  g_data_input_stream_set_newline_type (self->events, G_DATA_STREAM_NEWLINE_TYPE_ANY);
  arm_deadline (self);
  read_next_line (self);
}

static void
open_events (CdSyncEngine *self)
{
  close_events (self);
  self->events_cancellable = g_cancellable_new ();
  /* A connection that went half-open may not even answer the request. */
  arm_deadline (self);
  cd_sync_client_open_events_async (self->client, self->events_cancellable, events_opened_cb,
                                    g_object_ref (self));
}

/* GNetworkMonitor: a hint that trying now may work. */
static void
network_changed_cb (GNetworkMonitor *monitor,
                    gboolean         available,
                    gpointer         user_data)
{
  CdSyncEngine *self = user_data;

  if (available && self->started && self->status == CD_SYNC_STATUS_OFFLINE)
    {
      self->attempt = 0;
      cd_sync_engine_sync_now (self);
    }
}

/* GObject ----------------------------------------------------------------- */

static void
cd_sync_engine_dispose (GObject *object)
{
  CdSyncEngine *self = (CdSyncEngine *) object;

  self->started = FALSE;
  close_events (self);
  g_clear_handle_id (&self->retry_source, g_source_remove);
  g_clear_handle_id (&self->cycle_source, g_source_remove);
  /* What is not written yet, the cache writes when it closes. */
  g_clear_handle_id (&self->positions_source, g_source_remove);
  g_clear_signal_handler (&self->monitor_handler, self->monitor);
  g_clear_object (&self->monitor);
  if (self->client != NULL)
    cd_sync_client_cancel (self->client);
  g_clear_object (&self->client);
  g_clear_object (&self->cache);

  G_OBJECT_CLASS (cd_sync_engine_parent_class)->dispose (object);
}

static void
cd_sync_engine_finalize (GObject *object)
{
  CdSyncEngine *self = (CdSyncEngine *) object;

  g_free (self->last_error);
  g_free (self->event_name);
  g_string_free (self->event_data, TRUE);

  G_OBJECT_CLASS (cd_sync_engine_parent_class)->finalize (object);
}

static void
cd_sync_engine_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  CdSyncEngine *self = CD_SYNC_ENGINE (object);

  switch (prop_id)
    {
    case PROP_STATUS:
      g_value_set_enum (value, self->status);
      break;
    case PROP_OFFLINE_SINCE:
      g_value_set_int64 (value, self->offline_since);
      break;
    case PROP_PENDING:
      g_value_set_uint (value, self->pending);
      break;
    case PROP_CLOCK_OFFSET_MS:
      g_value_set_int64 (value, self->clock_offset_ms);
      break;
    case PROP_LAST_ERROR:
      g_value_set_string (value, self->last_error);
      break;
    case PROP_NEXT_RETRY_MS:
      g_value_set_uint (value, self->next_retry_ms);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cd_sync_engine_class_init (CdSyncEngineClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = cd_sync_engine_dispose;
  object_class->finalize = cd_sync_engine_finalize;
  object_class->get_property = cd_sync_engine_get_property;

  properties[PROP_STATUS] =
    g_param_spec_enum ("status", NULL, NULL, CD_TYPE_SYNC_STATUS, CD_SYNC_STATUS_OFFLINE,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /* Unix seconds (server clock) since when the server cannot be reached; 0 when online. */
  properties[PROP_OFFLINE_SINCE] =
    g_param_spec_int64 ("offline-since", NULL, NULL, 0, G_MAXINT64, 0,
                        G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_PENDING] =
    g_param_spec_uint ("pending", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_CLOCK_OFFSET_MS] =
    g_param_spec_int64 ("clock-offset-ms", NULL, NULL, G_MININT64, G_MAXINT64, 0,
                        G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_LAST_ERROR] =
    g_param_spec_string ("last-error", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /* The wait before the next reconnection attempt, when one is scheduled; 0 otherwise. */
  properties[PROP_NEXT_RETRY_MS] =
    g_param_spec_uint ("next-retry-ms", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* The model may have changed: reread what is shown. */
  signals[CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                   0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[CREW_MOVED] = g_signal_new ("crew-moved", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                      0, NULL, NULL, NULL, G_TYPE_NONE, 6,
                                      G_TYPE_STRING, G_TYPE_DOUBLE, G_TYPE_DOUBLE,
                                      G_TYPE_DOUBLE, G_TYPE_DOUBLE, G_TYPE_INT64);
  /* The session ended: ask for the password; the outbox is kept. */
  signals[LOGIN_NEEDED] = g_signal_new ("login-needed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                        0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
cd_sync_engine_init (CdSyncEngine *self)
{
  self->status = CD_SYNC_STATUS_OFFLINE;
  self->backoff_min_ms = 1000;
  self->backoff_max_ms = 60000;
  self->heartbeat_interval_s = 15;
  self->event_data = g_string_new (NULL);
}

/* Public API -------------------------------------------------------------- */

CdSyncEngine *
cd_sync_engine_new (CdSyncClient *client,
                    CdSyncCache  *cache)
{
  CdSyncEngine *self;

  g_return_val_if_fail (CD_IS_SYNC_CLIENT (client), NULL);
  g_return_val_if_fail (CD_IS_SYNC_CACHE (cache), NULL);

  self = g_object_new (CD_TYPE_SYNC_ENGINE, NULL);
  self->client = g_object_ref (client);
  self->cache = g_object_ref (cache);
  update_pending (self);

  return self;
}

CdSyncClient *
cd_sync_engine_get_client (CdSyncEngine *self)
{
  g_return_val_if_fail (CD_IS_SYNC_ENGINE (self), NULL);

  return self->client;
}

CdSyncCache *
cd_sync_engine_get_cache (CdSyncEngine *self)
{
  g_return_val_if_fail (CD_IS_SYNC_ENGINE (self), NULL);

  return self->cache;
}

void
cd_sync_engine_start (CdSyncEngine *self)
{
  g_return_if_fail (CD_IS_SYNC_ENGINE (self));

  if (self->started)
    return;

  self->started = TRUE;
  self->attempt = 0;
  if (self->monitor == NULL)
    {
      self->monitor = g_object_ref (g_network_monitor_get_default ());
      self->monitor_handler = g_signal_connect (self->monitor, "network-changed",
                                                G_CALLBACK (network_changed_cb), self);
    }
  run_cycle (self);
}

/* Stops syncing; the cache and the outbox stay as they are. */
void
cd_sync_engine_stop (CdSyncEngine *self)
{
  g_return_if_fail (CD_IS_SYNC_ENGINE (self));

  self->started = FALSE;
  self->cycle_again = FALSE;
  close_events (self);
  cancel_retry (self);
  g_clear_handle_id (&self->cycle_source, g_source_remove);
  cd_sync_client_cancel (self->client);
  set_status (self, CD_SYNC_STATUS_OFFLINE);
}

void
cd_sync_engine_sync_now (CdSyncEngine *self)
{
  g_return_if_fail (CD_IS_SYNC_ENGINE (self));

  if (self->started && self->cycle_source == 0)
    self->cycle_source = g_idle_add (cycle_cb, self);
}

CdSyncStatus
cd_sync_engine_get_status (CdSyncEngine *self)
{
  g_return_val_if_fail (CD_IS_SYNC_ENGINE (self), CD_SYNC_STATUS_OFFLINE);

  return self->status;
}

gint64
cd_sync_engine_get_offline_since (CdSyncEngine *self)
{
  g_return_val_if_fail (CD_IS_SYNC_ENGINE (self), 0);

  return self->offline_since;
}

guint
cd_sync_engine_get_pending (CdSyncEngine *self)
{
  g_return_val_if_fail (CD_IS_SYNC_ENGINE (self), 0);

  return self->pending;
}

gint64
cd_sync_engine_get_clock_offset_ms (CdSyncEngine *self)
{
  g_return_val_if_fail (CD_IS_SYNC_ENGINE (self), 0);

  return self->clock_offset_ms;
}

const char *
cd_sync_engine_get_last_error (CdSyncEngine *self)
{
  g_return_val_if_fail (CD_IS_SYNC_ENGINE (self), NULL);

  return self->last_error;
}

guint
cd_sync_engine_get_next_retry_ms (CdSyncEngine *self)
{
  g_return_val_if_fail (CD_IS_SYNC_ENGINE (self), 0);

  return self->next_retry_ms;
}

char *
cd_sync_engine_dup_status_text (CdSyncEngine *self)
{
  g_autoptr(GDateTime) since = NULL;
  g_autofree char *time_text = NULL;

  g_return_val_if_fail (CD_IS_SYNC_ENGINE (self), NULL);

  switch (self->status)
    {
    case CD_SYNC_STATUS_ONLINE:
      if (self->pending == 0)
        return g_strdup (_("Online"));
      return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Online, %u change being sent",
                                           "Online, %u changes being sent", self->pending),
                              self->pending);
    case CD_SYNC_STATUS_CONNECTING:
      return g_strdup (_("Connecting…"));
    case CD_SYNC_STATUS_OFFLINE:
      if (self->offline_since == 0)
        return g_strdup (_("Offline"));
      since = g_date_time_new_from_unix_local (self->offline_since);
      time_text = g_date_time_format (since, "%H:%M");
      /* TRANSLATORS: "Offline since 14:05, 3 changes waiting" */
      return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Offline since %s, %u change waiting",
                                           "Offline since %s, %u changes waiting", self->pending),
                              time_text, self->pending);
    default:
      g_return_val_if_reached (NULL);
    }
}

void
cd_sync_engine_set_backoff (CdSyncEngine *self,
                            guint         min_ms,
                            guint         max_ms)
{
  g_return_if_fail (CD_IS_SYNC_ENGINE (self));
  g_return_if_fail (min_ms > 0 && min_ms <= max_ms);

  self->backoff_min_ms = min_ms;
  self->backoff_max_ms = max_ms;
}

void
cd_sync_engine_set_heartbeat_interval (CdSyncEngine *self,
                                       guint         seconds)
{
  g_return_if_fail (CD_IS_SYNC_ENGINE (self));
  g_return_if_fail (seconds > 0);

  self->heartbeat_interval_s = seconds;
}

GPtrArray *
cd_sync_engine_submit (CdSyncEngine  *self,
                       CdMutation    *mutation,
                       GError       **error)
{
  GPtrArray *records;

  g_return_val_if_fail (CD_IS_SYNC_ENGINE (self), NULL);

  records = cd_sync_cache_submit (self->cache, mutation, error);
  if (records != NULL)
    {
      update_pending (self);
      g_signal_emit (self, signals[CHANGED], 0);
      cd_sync_engine_sync_now (self);
    }

  return records;
}
