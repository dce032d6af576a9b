/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-region-download.c: download an area's tiles into an MBTiles file. */
#include "config.h"

#undef G_LOG_DOMAIN
#define G_LOG_DOMAIN "CrewdeskTiles"

#include <glib/gi18n.h>
#include <libsoup/soup.h>

#include "cd-mbtiles.h"
#include "cd-region-download.h"
#include "cd-tiles.h"

#define DEFAULT_CONNECTIONS  4
#define DEFAULT_TIMEOUT_S    30
#define MAX_ATTEMPTS         3
#define COMMIT_EVERY_TILES   256
#define COMMIT_EVERY_US      (2 * G_USEC_PER_SEC)

struct _CdRegionDownload
{
  GObject       parent_instance;

  char         *url_template;
  gboolean      bulk_permitted;
  CdTileBounds  bounds;
  int           min_zoom;
  int           max_zoom;
  char         *path;
  char         *attribution;
  guint         max_connections;
  guint         timeout_s;
  guint64       total;

  gboolean      running;
  double        average_bytes;   /* of tiles in the file, 0 if unknown */

  /* Published on the main thread. */
  guint64       done;
  guint64       downloaded;
  guint64       skipped;
  guint64       failed;
  guint64       bytes;

  /* Written by the worker, under the lock. */
  GMutex        lock;
  guint64       w_downloaded;
  guint64       w_skipped;
  guint64       w_failed;
  guint64       w_bytes;
  gboolean      progress_pending;
  GMainContext *main_context;
};

G_DEFINE_FINAL_TYPE (CdRegionDownload, cd_region_download, G_TYPE_OBJECT)

G_DEFINE_QUARK (cd-region-download-error-quark, cd_region_download_error)

enum {
  PROP_0,
  PROP_TOTAL,
  PROP_DONE,
  PROP_DOWNLOADED,
  PROP_SKIPPED,
  PROP_FAILED,
  PROP_BYTES,
  PROP_FRACTION,
  PROP_RUNNING,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* The worker's state: everything it touches besides the counters. */
typedef struct {
  CdRegionDownload *self;
  char             *url_template;
  CdTileBounds      bounds;
  int               min_zoom;
  int               max_zoom;
  char             *path;
  char             *attribution;
  guint             max_connections;
  guint             timeout_s;

  GMainContext     *context;
  SoupSession      *session;
  CdMbtilesWriter  *writer;
  GCancellable     *cancellable;    /* the worker's own, for soup */
  gint64            last_commit;
  char             *format;

  /* The walk over the tiles. */
  CdTileRange       range;
  int               x;
  int               y;
  gboolean          exhausted;
  guint             inflight;

  GError           *fatal;
  char             *first_failure;
} Job;

typedef struct {
  Job         *job;
  int          x;
  int          y;
  int          zoom;
  guint        attempt;
  SoupMessage *msg;
} Fetch;

static void start_fetch (Job   *job,
                         Fetch *fetch);

static void
job_free (Job *job)
{
  g_clear_object (&job->self);
  g_free (job->url_template);
  g_free (job->path);
  g_free (job->attribution);
  g_free (job->format);
  g_free (job->first_failure);
  g_clear_error (&job->fatal);
  g_free (job);
}

/* Progress ------------------------------------------------------------------ */

static void
publish_progress (CdRegionDownload *self)
{
  guint64 downloaded, skipped, failed, bytes;
  guint64 old_done = self->done;

  g_mutex_lock (&self->lock);
  downloaded = self->w_downloaded;
  skipped = self->w_skipped;
  failed = self->w_failed;
  bytes = self->w_bytes;
  self->progress_pending = FALSE;
  g_mutex_unlock (&self->lock);

  g_object_freeze_notify (G_OBJECT (self));
  if (self->downloaded != downloaded)
    {
      self->downloaded = downloaded;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DOWNLOADED]);
    }
  if (self->skipped != skipped)
    {
      self->skipped = skipped;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SKIPPED]);
    }
  if (self->failed != failed)
    {
      self->failed = failed;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FAILED]);
    }
  if (self->bytes != bytes)
    {
      self->bytes = bytes;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BYTES]);
    }
  self->done = downloaded + skipped;
  if (self->done != old_done)
    {
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DONE]);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FRACTION]);
    }
  g_object_thaw_notify (G_OBJECT (self));
}

static gboolean
publish_progress_idle (gpointer user_data)
{
  publish_progress (CD_REGION_DOWNLOAD (user_data));
  return G_SOURCE_REMOVE;
}

/* Worker thread: asks the main thread to publish, once per batch of
 * updates. */
static void
count (Job     *job,
       guint64 *counter,
       guint64  n,
       guint64  n_bytes)
{
  CdRegionDownload *self = job->self;
  gboolean schedule;

  g_mutex_lock (&self->lock);
  *counter += n;
  self->w_bytes += n_bytes;
  schedule = !self->progress_pending;
  self->progress_pending = TRUE;
  g_mutex_unlock (&self->lock);

  if (schedule)
    {
      GSource *idle = g_idle_source_new ();

      g_source_set_callback (idle, publish_progress_idle, g_object_ref (self), g_object_unref);
      g_source_set_priority (idle, G_PRIORITY_DEFAULT_IDLE);
      g_source_attach (idle, self->main_context);
      g_source_unref (idle);
    }
}

static void
set_running (CdRegionDownload *self,
             gboolean          running)
{
  if (self->running == running)
    return;
  self->running = running;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
}

/* Worker: the walk --------------------------------------------------------- */

static gboolean
next_tile (Job *job,
           int *x,
           int *y,
           int *zoom)
{
  if (job->exhausted)
    return FALSE;

  *x = job->x;
  *y = job->y;
  *zoom = job->range.zoom;

  if (++job->x > job->range.x1)
    {
      job->x = job->range.x0;
      if (++job->y > job->range.y1)
        {
          if (job->range.zoom >= job->max_zoom)
            job->exhausted = TRUE;
          else
            {
              cd_tile_range_for_bounds (&job->bounds, job->range.zoom + 1, &job->range);
              job->x = job->range.x0;
              job->y = job->range.y0;
            }
        }
    }
  return TRUE;
}

static gboolean
job_stopping (Job *job)
{
  return job->fatal != NULL || g_cancellable_is_cancelled (job->cancellable);
}

static void
fill_pipeline (Job *job)
{
  int x, y, zoom;

  while (job->inflight < job->max_connections && !job_stopping (job)
         && next_tile (job, &x, &y, &zoom))
    {
      Fetch *fetch;

      /* Resume: what the file holds is not fetched again. */
      if (cd_mbtiles_writer_has_tile (job->writer, x, y, zoom))
        {
          count (job, &job->self->w_skipped, 1, 0);
          continue;
        }

      fetch = g_new0 (Fetch, 1);
      fetch->job = job;
      fetch->x = x;
      fetch->y = y;
      fetch->zoom = zoom;
      job->inflight++;
      start_fetch (job, fetch);
    }
}

static void
maybe_commit (Job      *job,
              gboolean  force)
{
  gint64 now = g_get_monotonic_time ();

  if (job->fatal != NULL || cd_mbtiles_writer_get_n_pending (job->writer) == 0)
    return;
  if (!force && cd_mbtiles_writer_get_n_pending (job->writer) < COMMIT_EVERY_TILES
      && now - job->last_commit < COMMIT_EVERY_US)
    return;

  cd_mbtiles_writer_commit (job->writer, &job->fatal);
  job->last_commit = now;
}

static void
fetch_finish (Job   *job,
              Fetch *fetch)
{
  g_clear_object (&fetch->msg);
  g_free (fetch);
  job->inflight--;
  maybe_commit (job, FALSE);
  fill_pipeline (job);
}

static gboolean
retry_cb (gpointer user_data)
{
  Fetch *fetch = user_data;

  if (job_stopping (fetch->job))
    fetch_finish (fetch->job, fetch);
  else
    start_fetch (fetch->job, fetch);
  return G_SOURCE_REMOVE;
}

static void
fail_tile (Job        *job,
           Fetch      *fetch,
           const char *reason)
{
  if (job->first_failure == NULL)
    job->first_failure = g_strdup_printf ("%d/%d/%d: %s", fetch->zoom, fetch->x, fetch->y, reason);
  count (job, &job->self->w_failed, 1, 0);
  fetch_finish (job, fetch);
}

static void
fetched_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  Fetch *fetch = user_data;
  Job *job = fetch->job;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) error = NULL;
  SoupStatus status = SOUP_STATUS_NONE;
  const char *format = NULL;
  gboolean retry;

  body = soup_session_send_and_read_finish (SOUP_SESSION (object), result, &error);
  if (body == NULL && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      fetch_finish (job, fetch);
      return;
    }

  if (body != NULL)
    {
      status = soup_message_get_status (fetch->msg);
      format = cd_tile_sniff_format (g_bytes_get_data (body, NULL), g_bytes_get_size (body));
    }

  if (body != NULL && SOUP_STATUS_IS_SUCCESSFUL (status) && format != NULL && g_strcmp0 (format, "pbf") != 0)
    {
      if (job->format == NULL)
        job->format = g_strdup (format);
      if (job->fatal == NULL
          && cd_mbtiles_writer_put_tile (job->writer, fetch->x, fetch->y, fetch->zoom, body, &job->fatal))
        count (job, &job->self->w_downloaded, 1, g_bytes_get_size (body));
      else
        g_cancellable_cancel (job->cancellable);
      fetch_finish (job, fetch);
      return;
    }

  retry = body == NULL || SOUP_STATUS_IS_SERVER_ERROR (status) || status == 429 /* Too Many Requests */;
  if (retry && fetch->attempt + 1 < MAX_ATTEMPTS && !job_stopping (job))
    {
      GSource *timeout;

      fetch->attempt++;
      g_clear_object (&fetch->msg);
      timeout = g_timeout_source_new (500 * fetch->attempt * fetch->attempt);
      g_source_set_callback (timeout, retry_cb, fetch, NULL);
      g_source_attach (timeout, job->context);
      g_source_unref (timeout);
      return;
    }

  if (body == NULL)
    fail_tile (job, fetch, error->message);
  else if (!SOUP_STATUS_IS_SUCCESSFUL (status))
    {
      g_autofree char *reason = g_strdup_printf ("HTTP %u %s", status,
                                                 soup_message_get_reason_phrase (fetch->msg) ?: "");

      fail_tile (job, fetch, reason);
    }
  else
    fail_tile (job, fetch, _("the server sent no raster image"));
}

static void
start_fetch (Job   *job,
             Fetch *fetch)
{
  g_autofree char *uri = cd_tile_url_expand (job->url_template, fetch->x, fetch->y, fetch->zoom);

  fetch->msg = soup_message_new (SOUP_METHOD_GET, uri);
  if (fetch->msg == NULL)
    {
      fail_tile (job, fetch, _("not a valid URL"));
      return;
    }
  soup_session_send_and_read_async (job->session, fetch->msg, G_PRIORITY_DEFAULT,
                                    job->cancellable, fetched_cb, fetch);
}

static gboolean
cancelled_cb (GCancellable *cancellable,
              gpointer      user_data)
{
  Job *job = user_data;

  /* In the worker thread: soup sees its own cancellable fire here. */
  g_cancellable_cancel (job->cancellable);
  return G_SOURCE_REMOVE;
}

static gboolean
write_metadata (Job     *job,
                GError **error)
{
  g_autoptr(CdMbtilesReader) reader = NULL;
  g_autoptr(CdMbtilesMetadata) old = NULL;
  g_autofree char *bounds_text = NULL;
  g_autofree char *center_text = NULL;
  g_autofree char *description = NULL;
  CdTileBounds b = job->bounds;
  char lat[G_ASCII_DTOSTR_BUF_SIZE], lon[G_ASCII_DTOSTR_BUF_SIZE];

  if (!cd_mbtiles_writer_commit (job->writer, error))
    return FALSE;

  /* The file may hold earlier regions: its bounds cover them all. */
  reader = cd_mbtiles_reader_open (job->path, NULL);
  if (reader != NULL)
    old = cd_mbtiles_reader_read_metadata (reader, NULL);
  if (old != NULL && old->has_bounds)
    {
      b.south = MIN (b.south, old->bounds.south);
      b.west = MIN (b.west, old->bounds.west);
      b.north = MAX (b.north, old->bounds.north);
      b.east = MAX (b.east, old->bounds.east);
    }

  bounds_text = cd_tile_bounds_to_string (&b);
  center_text = g_strdup_printf ("%s,%s,%d",
                                 g_ascii_formatd (lon, sizeof lon, "%.6f", (b.west + b.east) / 2),
                                 g_ascii_formatd (lat, sizeof lat, "%.6f", (b.south + b.north) / 2),
                                 job->min_zoom);
  description = g_strdup_printf ("Downloaded by Crewdesk from %s", job->url_template);

  if ((old == NULL || old->name == NULL)
      && !cd_mbtiles_writer_set_metadata (job->writer, "name", "Crewdesk offline region", error))
    return FALSE;

  return cd_mbtiles_writer_set_metadata (job->writer, "format", job->format ? job->format
                                                                 : (old && old->format ? old->format : "png"), error)
         && cd_mbtiles_writer_set_metadata (job->writer, "type", "baselayer", error)
         && cd_mbtiles_writer_set_metadata (job->writer, "version", "1.0", error)
         && cd_mbtiles_writer_set_metadata (job->writer, "bounds", bounds_text, error)
         && cd_mbtiles_writer_set_metadata (job->writer, "center", center_text, error)
         && cd_mbtiles_writer_set_metadata (job->writer, "description", description, error)
         && (job->attribution == NULL
             || cd_mbtiles_writer_set_metadata (job->writer, "attribution", job->attribution, error))
         && cd_mbtiles_writer_update_zoom_range (job->writer, error);
}

static void
download_thread (GTask        *task,
                 gpointer      source_object,
                 gpointer      task_data,
                 GCancellable *task_cancellable)
{
  Job *job = task_data;
  CdRegionDownload *self = job->self;
  GSource *watch = NULL;
  GError *error = NULL;
  guint64 failed;

  job->context = g_main_context_new ();
  g_main_context_push_thread_default (job->context);

  job->cancellable = g_cancellable_new ();
  if (task_cancellable != NULL && g_cancellable_is_cancelled (task_cancellable))
    g_cancellable_cancel (job->cancellable);
  else if (task_cancellable != NULL)
    {
      watch = g_cancellable_source_new (task_cancellable);
      g_source_set_callback (watch, (GSourceFunc) G_CALLBACK (cancelled_cb), job, NULL);
      g_source_attach (watch, job->context);
    }

  job->writer = cd_mbtiles_writer_open (job->path, CD_MBTILES_WRITER_NONE, &job->fatal);
  if (job->writer != NULL)
    {
      job->session = soup_session_new_with_options ("user-agent", cd_tiles_get_user_agent (),
                                                    "timeout", job->timeout_s,
                                                    "idle-timeout", 60,
                                                    "max-conns", job->max_connections,
                                                    "max-conns-per-host", job->max_connections,
                                                    NULL);
      job->last_commit = g_get_monotonic_time ();
      cd_tile_range_for_bounds (&job->bounds, job->min_zoom, &job->range);
      job->x = job->range.x0;
      job->y = job->range.y0;

      fill_pipeline (job);
      while (job->inflight > 0)
        g_main_context_iteration (job->context, TRUE);

      /* Keep what arrived, cancelled or not: that is what resume skips. */
      if (job->fatal == NULL)
        write_metadata (job, &job->fatal);

      soup_session_abort (job->session);
      g_clear_object (&job->session);
      if (job->fatal == NULL)
        cd_mbtiles_writer_close (g_steal_pointer (&job->writer), &job->fatal);
      else
        g_clear_pointer (&job->writer, cd_mbtiles_writer_free);
    }

  if (watch != NULL)
    {
      g_source_destroy (watch);
      g_source_unref (watch);
    }
  while (g_main_context_iteration (job->context, FALSE))
    ;
  g_main_context_pop_thread_default (job->context);
  g_clear_pointer (&job->context, g_main_context_unref);
  g_clear_object (&job->cancellable);

  g_mutex_lock (&self->lock);
  failed = self->w_failed;
  g_mutex_unlock (&self->lock);

  if (job->fatal != NULL)
    g_task_return_error (task, g_steal_pointer (&job->fatal));
  else if (task_cancellable != NULL && g_cancellable_set_error_if_cancelled (task_cancellable, &error))
    g_task_return_error (task, error);
  else if (failed > 0)
    g_task_return_new_error (task, CD_REGION_DOWNLOAD_ERROR, CD_REGION_DOWNLOAD_ERROR_INCOMPLETE,
                             ngettext ("%u tile could not be downloaded (%s). Start the download again to fetch it.",
                                       "%u tiles could not be downloaded (first: %s). Start the download again to fetch them.",
                                       (gulong) failed),
                             (guint) failed, job->first_failure ? job->first_failure : "");
  else
    g_task_return_boolean (task, TRUE);
}

static void
download_done_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  CdRegionDownload *self = CD_REGION_DOWNLOAD (object);
  g_autoptr(GTask) outer = user_data;
  GError *error = NULL;

  publish_progress (self);
  set_running (self, FALSE);

  if (g_task_propagate_boolean (G_TASK (result), &error))
    g_task_return_boolean (outer, TRUE);
  else
    g_task_return_error (outer, error);
}

/* Scanning -------------------------------------------------------------------- */

typedef struct {
  char         *path;
  CdTileBounds  bounds;
  int           min_zoom;
  int           max_zoom;
  guint64       n_tiles;
  guint64       n_bytes;
} Scan;

static void
scan_free (Scan *scan)
{
  g_free (scan->path);
  g_free (scan);
}

static void
scan_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  Scan *scan = task_data;
  g_autoptr(CdMbtilesReader) reader = NULL;
  GError *error = NULL;

  if (!g_file_test (scan->path, G_FILE_TEST_EXISTS))
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  reader = cd_mbtiles_reader_open (scan->path, &error);
  if (reader == NULL
      || !cd_mbtiles_reader_count_tiles (reader, &scan->bounds, scan->min_zoom, scan->max_zoom,
                                         &scan->n_tiles, &scan->n_bytes, &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

/* GObject ------------------------------------------------------------------------ */

static void
cd_region_download_finalize (GObject *object)
{
  CdRegionDownload *self = CD_REGION_DOWNLOAD (object);

  g_free (self->url_template);
  g_free (self->path);
  g_free (self->attribution);
  g_clear_pointer (&self->main_context, g_main_context_unref);
  g_mutex_clear (&self->lock);

  G_OBJECT_CLASS (cd_region_download_parent_class)->finalize (object);
}

static void
cd_region_download_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  CdRegionDownload *self = CD_REGION_DOWNLOAD (object);

  switch (prop_id)
    {
    case PROP_TOTAL:
      g_value_set_uint64 (value, self->total);
      break;
    case PROP_DONE:
      g_value_set_uint64 (value, self->done);
      break;
    case PROP_DOWNLOADED:
      g_value_set_uint64 (value, self->downloaded);
      break;
    case PROP_SKIPPED:
      g_value_set_uint64 (value, self->skipped);
      break;
    case PROP_FAILED:
      g_value_set_uint64 (value, self->failed);
      break;
    case PROP_BYTES:
      g_value_set_uint64 (value, self->bytes);
      break;
    case PROP_FRACTION:
      g_value_set_double (value, cd_region_download_get_fraction (self));
      break;
    case PROP_RUNNING:
      g_value_set_boolean (value, self->running);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cd_region_download_class_init (CdRegionDownloadClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = cd_region_download_finalize;
  object_class->get_property = cd_region_download_get_property;

  properties[PROP_TOTAL] =
    g_param_spec_uint64 ("total", NULL, NULL, 0, G_MAXUINT64, 0,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_DONE] =
    g_param_spec_uint64 ("done", NULL, NULL, 0, G_MAXUINT64, 0,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_DOWNLOADED] =
    g_param_spec_uint64 ("downloaded", NULL, NULL, 0, G_MAXUINT64, 0,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SKIPPED] =
    g_param_spec_uint64 ("skipped", NULL, NULL, 0, G_MAXUINT64, 0,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_FAILED] =
    g_param_spec_uint64 ("failed", NULL, NULL, 0, G_MAXUINT64, 0,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_BYTES] =
    g_param_spec_uint64 ("bytes", NULL, NULL, 0, G_MAXUINT64, 0,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_FRACTION] =
    g_param_spec_double ("fraction", NULL, NULL, 0, 1, 0,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_RUNNING] =
    g_param_spec_boolean ("running", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
cd_region_download_init (CdRegionDownload *self)
{
  g_mutex_init (&self->lock);
  self->max_connections = DEFAULT_CONNECTIONS;
  self->timeout_s = DEFAULT_TIMEOUT_S;
}

/* Public API ------------------------------------------------------------------------ */

CdRegionDownload *
cd_region_download_new (const char         *url_template,
                        gboolean            bulk_permitted,
                        const CdTileBounds *bounds,
                        int                 min_zoom,
                        int                 max_zoom,
                        const char         *path)
{
  CdRegionDownload *self;

  g_return_val_if_fail (url_template != NULL, NULL);
  g_return_val_if_fail (bounds != NULL, NULL);
  g_return_val_if_fail (path != NULL, NULL);

  self = g_object_new (CD_TYPE_REGION_DOWNLOAD, NULL);
  self->url_template = g_strdup (url_template);
  self->bulk_permitted = bulk_permitted;
  self->bounds = *bounds;
  self->min_zoom = min_zoom;
  self->max_zoom = max_zoom;
  self->path = g_strdup (path);

  if (cd_tile_bounds_is_valid (bounds) && min_zoom >= 0 && min_zoom <= max_zoom
      && max_zoom <= CD_TILE_MAX_ZOOM)
    self->total = cd_tile_count (bounds, min_zoom, max_zoom);

  return self;
}

CdRegionDownload *
cd_region_download_new_from_settings (GSettings          *settings,
                                      const CdTileBounds *bounds,
                                      int                 min_zoom,
                                      int                 max_zoom,
                                      const char         *path)
{
  g_autofree char *url_template = NULL;
  g_autofree char *attribution = NULL;
  CdRegionDownload *self;

  g_return_val_if_fail (G_IS_SETTINGS (settings), NULL);

  url_template = g_settings_get_string (settings, CD_TILES_KEY_URL_TEMPLATE);
  attribution = g_settings_get_string (settings, CD_TILES_KEY_ATTRIBUTION);
  self = cd_region_download_new (url_template,
                                 g_settings_get_boolean (settings, CD_TILES_KEY_BULK_DOWNLOAD),
                                 bounds, min_zoom, max_zoom, path);
  cd_region_download_set_attribution (self, attribution);
  return self;
}

const char *
cd_region_download_get_path (CdRegionDownload *self)
{
  g_return_val_if_fail (CD_IS_REGION_DOWNLOAD (self), NULL);

  return self->path;
}

void
cd_region_download_get_bounds (CdRegionDownload *self,
                               CdTileBounds     *bounds)
{
  g_return_if_fail (CD_IS_REGION_DOWNLOAD (self));
  g_return_if_fail (bounds != NULL);

  *bounds = self->bounds;
}

int
cd_region_download_get_min_zoom (CdRegionDownload *self)
{
  g_return_val_if_fail (CD_IS_REGION_DOWNLOAD (self), 0);

  return self->min_zoom;
}

int
cd_region_download_get_max_zoom (CdRegionDownload *self)
{
  g_return_val_if_fail (CD_IS_REGION_DOWNLOAD (self), 0);

  return self->max_zoom;
}

void
cd_region_download_set_attribution (CdRegionDownload *self,
                                    const char       *attribution)
{
  g_return_if_fail (CD_IS_REGION_DOWNLOAD (self));

  g_free (self->attribution);
  self->attribution = (attribution && *attribution) ? g_strdup (attribution) : NULL;
}

void
cd_region_download_set_max_connections (CdRegionDownload *self,
                                        guint             n)
{
  g_return_if_fail (CD_IS_REGION_DOWNLOAD (self));
  g_return_if_fail (!self->running);

  self->max_connections = CLAMP (n, 1, 16);
}

void
cd_region_download_set_timeout (CdRegionDownload *self,
                                guint             seconds)
{
  g_return_if_fail (CD_IS_REGION_DOWNLOAD (self));
  g_return_if_fail (!self->running);

  self->timeout_s = MAX (seconds, 1);
}

guint64
cd_region_download_get_total (CdRegionDownload *self)
{
  g_return_val_if_fail (CD_IS_REGION_DOWNLOAD (self), 0);

  return self->total;
}

guint64
cd_region_download_estimate_bytes (CdRegionDownload *self)
{
  double average;
  guint64 missing;

  g_return_val_if_fail (CD_IS_REGION_DOWNLOAD (self), 0);

  average = self->average_bytes > 0 ? self->average_bytes : CD_REGION_DOWNLOAD_TILE_BYTES;
  missing = self->total > self->done ? self->total - self->done : 0;
  return (guint64) (missing * average);
}

gboolean
cd_region_download_check (CdRegionDownload  *self,
                          GError           **error)
{
  g_autoptr(GError) template_error = NULL;

  g_return_val_if_fail (CD_IS_REGION_DOWNLOAD (self), FALSE);

  /* Permission first: a forbidden server is not asked even once. */
  if (!self->bulk_permitted)
    {
      g_set_error_literal (error, CD_REGION_DOWNLOAD_ERROR, CD_REGION_DOWNLOAD_ERROR_NOT_PERMITTED,
                           _("This tile server does not permit downloading regions in advance. "
                             "OpenStreetMap’s tile usage policy forbids bulk downloads from its servers; "
                             "use your own tile server and allow bulk download for it in the map preferences."));
      return FALSE;
    }

  if (!cd_tile_url_template_check (self->url_template, &template_error))
    {
      g_set_error_literal (error, CD_REGION_DOWNLOAD_ERROR, CD_REGION_DOWNLOAD_ERROR_INVALID,
                           template_error->message);
      return FALSE;
    }

  if (!cd_tile_bounds_is_valid (&self->bounds) || self->min_zoom < 0
      || self->min_zoom > self->max_zoom || self->max_zoom > CD_REGION_DOWNLOAD_MAX_ZOOM)
    {
      g_set_error (error, CD_REGION_DOWNLOAD_ERROR, CD_REGION_DOWNLOAD_ERROR_INVALID,
                   _("Choose an area on the map and zoom levels from 0 to %d, the lowest first."),
                   CD_REGION_DOWNLOAD_MAX_ZOOM);
      return FALSE;
    }

  if (self->total > CD_REGION_DOWNLOAD_MAX_TILES)
    {
      g_autofree char *total = g_strdup_printf ("%'" G_GUINT64_FORMAT, self->total);
      g_autofree char *limit = g_strdup_printf ("%'d", CD_REGION_DOWNLOAD_MAX_TILES);

      g_set_error (error, CD_REGION_DOWNLOAD_ERROR, CD_REGION_DOWNLOAD_ERROR_TOO_MANY_TILES,
                   _("This area needs %s tiles, more than the limit of %s. "
                     "Choose a lower highest zoom level or a smaller area."),
                   total, limit);
      return FALSE;
    }

  return TRUE;
}

void
cd_region_download_scan_async (CdRegionDownload    *self,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  Scan *scan;

  g_return_if_fail (CD_IS_REGION_DOWNLOAD (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, cd_region_download_scan_async);

  scan = g_new0 (Scan, 1);
  scan->path = g_strdup (self->path);
  scan->bounds = self->bounds;
  scan->min_zoom = self->min_zoom;
  scan->max_zoom = self->max_zoom;
  g_task_set_task_data (task, scan, (GDestroyNotify) scan_free);

  if (!cd_tile_bounds_is_valid (&self->bounds) || self->min_zoom > self->max_zoom)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }
  g_task_run_in_thread (task, scan_thread);
}

gboolean
cd_region_download_scan_finish (CdRegionDownload  *self,
                                GAsyncResult      *result,
                                GError           **error)
{
  Scan *scan;

  g_return_val_if_fail (CD_IS_REGION_DOWNLOAD (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  if (!g_task_propagate_boolean (G_TASK (result), error))
    return FALSE;

  scan = g_task_get_task_data (G_TASK (result));
  self->average_bytes = scan->n_tiles > 0 ? (double) scan->n_bytes / scan->n_tiles : 0;
  if (!self->running && self->done != scan->n_tiles)
    {
      self->done = scan->n_tiles;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DONE]);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FRACTION]);
    }
  return TRUE;
}

void
cd_region_download_run_async (CdRegionDownload    *self,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(GTask) outer = NULL;
  g_autoptr(GTask) inner = NULL;
  GError *error = NULL;
  Job *job;

  g_return_if_fail (CD_IS_REGION_DOWNLOAD (self));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  outer = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (outer, cd_region_download_run_async);

  if (self->running)
    {
      g_task_return_new_error (outer, G_IO_ERROR, G_IO_ERROR_PENDING,
                               "The download is already running");
      return;
    }
  if (!cd_region_download_check (self, &error))
    {
      g_task_return_error (outer, error);
      return;
    }

  g_clear_pointer (&self->main_context, g_main_context_unref);
  self->main_context = g_main_context_ref_thread_default ();

  g_mutex_lock (&self->lock);
  self->w_downloaded = self->w_skipped = self->w_failed = self->w_bytes = 0;
  g_mutex_unlock (&self->lock);
  publish_progress (self);
  set_running (self, TRUE);

  job = g_new0 (Job, 1);
  job->self = g_object_ref (self);
  job->url_template = g_strdup (self->url_template);
  job->bounds = self->bounds;
  job->min_zoom = self->min_zoom;
  job->max_zoom = self->max_zoom;
  job->path = g_strdup (self->path);
  job->attribution = g_strdup (self->attribution);
  job->max_connections = self->max_connections;
  job->timeout_s = self->timeout_s;

  inner = g_task_new (self, cancellable, download_done_cb, g_steal_pointer (&outer));
  g_task_set_source_tag (inner, download_thread);
  g_task_set_task_data (inner, job, (GDestroyNotify) job_free);
  /* The worker reports cancellation itself, after keeping its tiles. */
  g_task_set_check_cancellable (inner, FALSE);
  g_task_run_in_thread (inner, download_thread);
}

gboolean
cd_region_download_run_finish (CdRegionDownload  *self,
                               GAsyncResult      *result,
                               GError           **error)
{
  g_return_val_if_fail (CD_IS_REGION_DOWNLOAD (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

gboolean
cd_region_download_get_running (CdRegionDownload *self)
{
  g_return_val_if_fail (CD_IS_REGION_DOWNLOAD (self), FALSE);

  return self->running;
}

guint64
cd_region_download_get_done (CdRegionDownload *self)
{
  g_return_val_if_fail (CD_IS_REGION_DOWNLOAD (self), 0);

  return self->done;
}

guint64
cd_region_download_get_downloaded (CdRegionDownload *self)
{
  g_return_val_if_fail (CD_IS_REGION_DOWNLOAD (self), 0);

  return self->downloaded;
}

guint64
cd_region_download_get_skipped (CdRegionDownload *self)
{
  g_return_val_if_fail (CD_IS_REGION_DOWNLOAD (self), 0);

  return self->skipped;
}

guint64
cd_region_download_get_failed (CdRegionDownload *self)
{
  g_return_val_if_fail (CD_IS_REGION_DOWNLOAD (self), 0);

  return self->failed;
}

guint64
cd_region_download_get_bytes (CdRegionDownload *self)
{
  g_return_val_if_fail (CD_IS_REGION_DOWNLOAD (self), 0);

  return self->bytes;
}

double
cd_region_download_get_fraction (CdRegionDownload *self)
{
  g_return_val_if_fail (CD_IS_REGION_DOWNLOAD (self), 0);

  if (self->total == 0)
    return 0;
  return MIN (1.0, (double) self->done / (double) self->total);
}
