/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-online-source.c: map tiles from a tile server, kept in a disk cache. */
#include "config.h"

#undef G_LOG_DOMAIN
#define G_LOG_DOMAIN "CrewdeskTiles"

#include <glib/gi18n.h>
#include <libsoup/soup.h>

#include "cd-online-source.h"
#include "cd-tile-grid.h"

#define DEFAULT_TIMEOUT_S   20
/* OpenStreetMap's tile usage policy: at most two connections. */
#define MAX_CONNS_PER_HOST  2
#define FRESH_FOR           (7 * G_TIME_SPAN_DAY)
#define MAX_TILE_BYTES      (4 * 1024 * 1024)

struct _CdOnlineSource
{
  ShumateDataSource  parent_instance;

  char              *url_template;
  guint              cache_size_mb;
  char              *cache_dir;
  char              *cache_key;

  ShumateFileCache  *cache;
  SoupSession       *session;
  guint              timeout_s;

  guint64            written_since_purge;
  gboolean           purging;
  GPtrArray         *purge_waiters;  /* GTask: for the purge after the running one */
};

typedef struct {
  int         x;
  int         y;
  int         zoom;
  GBytes     *cached;
  char       *etag;
  GDateTime  *modtime;
  SoupMessage *msg;
  GBytes     *fresh;
} Request;

G_DEFINE_FINAL_TYPE (CdOnlineSource, cd_online_source, SHUMATE_TYPE_DATA_SOURCE)

enum {
  PROP_0,
  PROP_URL_TEMPLATE,
  PROP_CACHE_SIZE,
  PROP_CACHE_DIR,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
request_free (Request *req)
{
  g_clear_pointer (&req->cached, g_bytes_unref);
  g_clear_pointer (&req->etag, g_free);
  g_clear_pointer (&req->modtime, g_date_time_unref);
  g_clear_object (&req->msg);
  g_clear_pointer (&req->fresh, g_bytes_unref);
  g_free (req);
}

static guint
cache_limit_bytes (CdOnlineSource *self)
{
  return (guint) MIN ((guint64) self->cache_size_mb * 1000 * 1000, G_MAXUINT);
}

/* Purging --------------------------------------------------------------------- */

typedef struct {
  CdOnlineSource   *self;
  ShumateFileCache *purger;
  GPtrArray        *tasks;    /* GTask, completed when this purge is */
} PurgeRun;

static void start_purge (CdOnlineSource *self,
                         GPtrArray      *tasks);

static void
purge_done_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  PurgeRun *run = user_data;
  CdOnlineSource *self = run->self;
  g_autoptr(GError) error = NULL;

  shumate_file_cache_purge_cache_finish (SHUMATE_FILE_CACHE (object), result, &error);
  if (error != NULL)
    g_debug ("Purging the tile cache failed: %s", error->message);

  self->purging = FALSE;
  for (guint i = 0; i < run->tasks->len; i++)
    g_task_return_boolean (g_ptr_array_index (run->tasks, i), TRUE);

  /* Someone asked while this one ran: tiles may have come in since. */
  if (self->purge_waiters->len > 0)
    {
      GPtrArray *next = g_steal_pointer (&self->purge_waiters);

      self->purge_waiters = g_ptr_array_new_with_free_func (g_object_unref);
      start_purge (self, next);
    }

  g_ptr_array_unref (run->tasks);
  g_object_unref (run->purger);
  g_object_unref (run->self);
  g_free (run);
}

/* On a fresh ShumateFileCache (see the header for why). Takes @tasks. */
static void
start_purge (CdOnlineSource *self,
             GPtrArray      *tasks)
{
  PurgeRun *run = g_new0 (PurgeRun, 1);

  g_assert (!self->purging);

  self->purging = TRUE;
  self->written_since_purge = 0;
  run->self = g_object_ref (self);
  run->tasks = tasks;
  run->purger = shumate_file_cache_new_full (cache_limit_bytes (self), self->cache_key, self->cache_dir);
  shumate_file_cache_purge_cache_async (run->purger, NULL, purge_done_cb, run);
}

static void
maybe_purge (CdOnlineSource *self)
{
  guint64 threshold = MAX ((guint64) cache_limit_bytes (self) / 10, 1000 * 1000);

  if (self->purging || self->written_since_purge < threshold)
    return;
  start_purge (self, g_ptr_array_new_with_free_func (g_object_unref));
}

/* Fetching -------------------------------------------------------------------- */

static gboolean
return_cached (GTask *task)
{
  Request *req = g_task_get_task_data (task);

  if (req->cached == NULL)
    return FALSE;
  g_task_return_pointer (task, g_steal_pointer (&req->cached), (GDestroyNotify) g_bytes_unref);
  return TRUE;
}

static void
tile_stored_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  CdOnlineSource *self = g_task_get_source_object (task);
  Request *req = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  if (!shumate_file_cache_store_tile_finish (SHUMATE_FILE_CACHE (object), result, &error))
    g_debug ("Could not cache tile %d/%d/%d: %s", req->zoom, req->x, req->y, error->message);
  else
    {
      self->written_since_purge += g_bytes_get_size (req->fresh);
      maybe_purge (self);
    }

  g_task_return_pointer (task, g_steal_pointer (&req->fresh), (GDestroyNotify) g_bytes_unref);
}

static void
message_sent_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  CdOnlineSource *self = g_task_get_source_object (task);
  Request *req = g_task_get_task_data (task);
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) error = NULL;
  SoupStatus status;
  const char *etag;

  body = soup_session_send_and_read_finish (SOUP_SESSION (object), result, &error);
  if (body == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_task_return_error (task, g_steal_pointer (&error));
      else if (!return_cached (task))
        g_task_return_new_error (task, SHUMATE_TILE_DOWNLOADER_ERROR,
                                 SHUMATE_TILE_DOWNLOADER_ERROR_COULD_NOT_CONNECT,
                                 _("The tile server could not be reached: %s"), error->message);
      return;
    }

  status = soup_message_get_status (req->msg);
  if (status == SOUP_STATUS_NOT_MODIFIED && req->cached != NULL)
    {
      shumate_file_cache_mark_up_to_date (self->cache, req->x, req->y, req->zoom);
      return_cached (task);
      return;
    }

  if (!SOUP_STATUS_IS_SUCCESSFUL (status)
      || cd_tile_sniff_format (g_bytes_get_data (body, NULL), g_bytes_get_size (body)) == NULL)
    {
      if (!return_cached (task))
        g_task_return_new_error (task, SHUMATE_TILE_DOWNLOADER_ERROR,
                                 SHUMATE_TILE_DOWNLOADER_ERROR_BAD_RESPONSE,
                                 _("The tile server sent no image for tile %d/%d/%d (HTTP %u %s)."),
                                 req->zoom, req->x, req->y, status,
                                 soup_message_get_reason_phrase (req->msg) ?: "");
      return;
    }

  req->fresh = g_steal_pointer (&body);
  g_signal_emit_by_name (self, "received-data", req->x, req->y, req->zoom, req->fresh);

  etag = soup_message_headers_get_one (soup_message_get_response_headers (req->msg), "ETag");
  /* Not cancellable: the tile is here, keep it even if the view moved on. */
  shumate_file_cache_store_tile_async (self->cache, req->x, req->y, req->zoom, req->fresh,
                                       etag, NULL, tile_stored_cb, g_steal_pointer (&task));
}

static void
fetch (GTask *task)
{
  CdOnlineSource *self = g_task_get_source_object (task);
  Request *req = g_task_get_task_data (task);
  g_autofree char *uri = NULL;
  SoupMessageHeaders *headers;

  uri = cd_tile_url_expand (self->url_template, req->x, req->y, req->zoom);
  req->msg = soup_message_new (SOUP_METHOD_GET, uri);
  if (req->msg == NULL)
    {
      if (!return_cached (task))
        g_task_return_new_error (task, SHUMATE_TILE_DOWNLOADER_ERROR,
                                 SHUMATE_TILE_DOWNLOADER_ERROR_MALFORMED_URL,
                                 _("The tile address “%s” is not a valid URL. Check the URL template in the map preferences."),
                                 uri);
      return;
    }

  headers = soup_message_get_request_headers (req->msg);
  if (req->cached != NULL && req->etag != NULL)
    soup_message_headers_append (headers, "If-None-Match", req->etag);
  else if (req->cached != NULL && req->modtime != NULL)
    {
      g_autofree char *date = g_date_time_format (req->modtime, "%a, %d %b %Y %H:%M:%S GMT");

      soup_message_headers_append (headers, "If-Modified-Since", date);
    }

  soup_session_send_and_read_async (self->session, req->msg, G_PRIORITY_DEFAULT,
                                    g_task_get_cancellable (task),
                                    message_sent_cb, g_object_ref (task));
}

static void
cache_read_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  CdOnlineSource *self = g_task_get_source_object (task);
  Request *req = g_task_get_task_data (task);
  g_autoptr(GDateTime) now = NULL;

  req->cached = shumate_file_cache_get_tile_finish (SHUMATE_FILE_CACHE (object),
                                                    &req->etag, &req->modtime, result, NULL);
  if (req->cached != NULL
      && cd_tile_sniff_format (g_bytes_get_data (req->cached, NULL), g_bytes_get_size (req->cached)) == NULL)
    g_clear_pointer (&req->cached, g_bytes_unref);

  if (g_task_return_error_if_cancelled (task))
    return;

  if (req->cached != NULL)
    {
      g_signal_emit_by_name (self, "received-data", req->x, req->y, req->zoom, req->cached);

      now = g_date_time_new_now_utc ();
      if ((req->modtime != NULL && g_date_time_difference (now, req->modtime) < FRESH_FOR)
          || !g_network_monitor_get_network_available (g_network_monitor_get_default ()))
        {
          return_cached (task);
          return;
        }
    }

  fetch (task);
}

/* ShumateDataSource ---------------------------------------------------------- */

static void
cd_online_source_get_tile_data_async (ShumateDataSource   *source,
                                      int                  x,
                                      int                  y,
                                      int                  zoom,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  CdOnlineSource *self = CD_ONLINE_SOURCE (source);
  g_autoptr(GTask) task = NULL;
  Request *req;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, cd_online_source_get_tile_data_async);

  req = g_new0 (Request, 1);
  req->x = x;
  req->y = y;
  req->zoom = zoom;
  g_task_set_task_data (task, req, (GDestroyNotify) request_free);

  shumate_file_cache_get_tile_async (self->cache, x, y, zoom, cancellable,
                                     cache_read_cb, g_steal_pointer (&task));
}

/* GObject --------------------------------------------------------------------- */

static void
cd_online_source_constructed (GObject *object)
{
  CdOnlineSource *self = CD_ONLINE_SOURCE (object);

  G_OBJECT_CLASS (cd_online_source_parent_class)->constructed (object);

  if (self->url_template == NULL)
    self->url_template = g_strdup ("");
  if (self->cache_dir == NULL)
    self->cache_dir = g_build_filename (g_get_user_cache_dir (), "crewdesk", "tiles", NULL);

  /* One cache per server: the template, reduced to a file name. */
  self->cache_key = g_strcanon (g_strdup (self->url_template),
                                "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", '_');
  self->cache = shumate_file_cache_new_full (cache_limit_bytes (self), self->cache_key, self->cache_dir);

  self->session = soup_session_new_with_options ("user-agent", cd_tiles_get_user_agent (),
                                                 "timeout", self->timeout_s,
                                                 "idle-timeout", 60,
                                                 "max-conns-per-host", MAX_CONNS_PER_HOST,
                                                 "max-conns", MAX_CONNS_PER_HOST * 2,
                                                 NULL);

  /* Bring a cache left over from a larger setting down to size. */
  self->written_since_purge = G_MAXUINT64;
  maybe_purge (self);
}

static void
cd_online_source_dispose (GObject *object)
{
  CdOnlineSource *self = CD_ONLINE_SOURCE (object);

  if (self->session != NULL)
    soup_session_abort (self->session);

  G_OBJECT_CLASS (cd_online_source_parent_class)->dispose (object);
}

static void
cd_online_source_finalize (GObject *object)
{
  CdOnlineSource *self = CD_ONLINE_SOURCE (object);

  g_clear_pointer (&self->purge_waiters, g_ptr_array_unref);
  g_clear_object (&self->session);
  g_clear_object (&self->cache);
  g_clear_pointer (&self->url_template, g_free);
  g_clear_pointer (&self->cache_dir, g_free);
  g_clear_pointer (&self->cache_key, g_free);

  G_OBJECT_CLASS (cd_online_source_parent_class)->finalize (object);
}

static void
cd_online_source_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  CdOnlineSource *self = CD_ONLINE_SOURCE (object);

  switch (prop_id)
    {
    case PROP_URL_TEMPLATE:
      g_value_set_string (value, self->url_template);
      break;
    case PROP_CACHE_SIZE:
      g_value_set_uint (value, self->cache_size_mb);
      break;
    case PROP_CACHE_DIR:
      g_value_set_string (value, self->cache_dir);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cd_online_source_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  CdOnlineSource *self = CD_ONLINE_SOURCE (object);

  switch (prop_id)
    {
    case PROP_URL_TEMPLATE:
      self->url_template = g_value_dup_string (value);
      break;
    case PROP_CACHE_SIZE:
      self->cache_size_mb = g_value_get_uint (value);
      break;
    case PROP_CACHE_DIR:
      self->cache_dir = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cd_online_source_class_init (CdOnlineSourceClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  ShumateDataSourceClass *source_class = SHUMATE_DATA_SOURCE_CLASS (klass);

  object_class->constructed = cd_online_source_constructed;
  object_class->dispose = cd_online_source_dispose;
  object_class->finalize = cd_online_source_finalize;
  object_class->get_property = cd_online_source_get_property;
  object_class->set_property = cd_online_source_set_property;

  source_class->get_tile_data_async = cd_online_source_get_tile_data_async;

  properties[PROP_URL_TEMPLATE] =
    g_param_spec_string ("url-template", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_CACHE_SIZE] =
    g_param_spec_uint ("cache-size", NULL, NULL, 1, 100000, 100,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_CACHE_DIR] =
    g_param_spec_string ("cache-dir", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
cd_online_source_init (CdOnlineSource *self)
{
  self->timeout_s = DEFAULT_TIMEOUT_S;
  self->cache_size_mb = 100;
  self->purge_waiters = g_ptr_array_new_with_free_func (g_object_unref);
}

/* Public API ---------------------------------------------------------------------- */

CdOnlineSource *
cd_online_source_new (const char *url_template,
                      guint       cache_size_mb,
                      const char *cache_dir)
{
  g_return_val_if_fail (url_template != NULL, NULL);

  return g_object_new (CD_TYPE_ONLINE_SOURCE,
                       "url-template", url_template,
                       "cache-size", CLAMP (cache_size_mb, 1, 100000),
                       "cache-dir", cache_dir,
                       NULL);
}

const char *
cd_online_source_get_url_template (CdOnlineSource *self)
{
  g_return_val_if_fail (CD_IS_ONLINE_SOURCE (self), NULL);

  return self->url_template;
}

guint
cd_online_source_get_cache_size (CdOnlineSource *self)
{
  g_return_val_if_fail (CD_IS_ONLINE_SOURCE (self), 0);

  return self->cache_size_mb;
}

ShumateFileCache *
cd_online_source_get_file_cache (CdOnlineSource *self)
{
  g_return_val_if_fail (CD_IS_ONLINE_SOURCE (self), NULL);

  return self->cache;
}

void
cd_online_source_set_timeout (CdOnlineSource *self,
                              guint           seconds)
{
  g_return_if_fail (CD_IS_ONLINE_SOURCE (self));

  self->timeout_s = seconds;
  g_object_set (self->session, "timeout", seconds, NULL);
}

void
cd_online_source_purge_async (CdOnlineSource      *self,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  GTask *task;
  GPtrArray *tasks;

  g_return_if_fail (CD_IS_ONLINE_SOURCE (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, cd_online_source_purge_async);

  /* One purge at a time; a request during one gets the next. */
  if (self->purging)
    {
      g_ptr_array_add (self->purge_waiters, task);
      return;
    }

  tasks = g_ptr_array_new_with_free_func (g_object_unref);
  g_ptr_array_add (tasks, task);
  start_purge (self, tasks);
}

gboolean
cd_online_source_purge_finish (CdOnlineSource  *self,
                               GAsyncResult    *result,
                               GError         **error)
{
  g_return_val_if_fail (CD_IS_ONLINE_SOURCE (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
