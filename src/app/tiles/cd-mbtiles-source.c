/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-mbtiles-source.c: map tiles from a raster MBTiles file. */
#include "config.h"

#undef G_LOG_DOMAIN
#define G_LOG_DOMAIN "CrewdeskTiles"

#include <glib/gi18n.h>

#include "cd-mbtiles-source.h"

/* Idle connections kept open; more are opened while more threads read. */
#define MAX_IDLE_READERS 4

struct _CdMbtilesSource
{
  ShumateDataSource   parent_instance;

  char               *path;
  CdMbtilesMetadata  *metadata;

  GMutex              pool_lock;
  GPtrArray          *pool;       /* CdMbtilesReader, idle */

  ShumateDataSource  *fallback;
  gulong              fallback_handler;
};

typedef struct {
  int x;
  int y;
  int zoom;
} TileRequest;

static void cd_mbtiles_source_initable_iface_init (GInitableIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (CdMbtilesSource, cd_mbtiles_source, SHUMATE_TYPE_DATA_SOURCE,
                               G_IMPLEMENT_INTERFACE (G_TYPE_INITABLE, cd_mbtiles_source_initable_iface_init))

enum {
  PROP_0,
  PROP_PATH,
  PROP_FALLBACK,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* Connection pool ---------------------------------------------------------- */

static CdMbtilesReader *
pool_take (CdMbtilesSource  *self,
           GError          **error)
{
  CdMbtilesReader *reader = NULL;

  g_mutex_lock (&self->pool_lock);
  if (self->pool->len > 0)
    reader = g_ptr_array_steal_index_fast (self->pool, self->pool->len - 1);
  g_mutex_unlock (&self->pool_lock);

  if (reader == NULL)
    reader = cd_mbtiles_reader_open (self->path, error);
  return reader;
}

static void
pool_give (CdMbtilesSource *self,
           CdMbtilesReader *reader)
{
  g_mutex_lock (&self->pool_lock);
  if (self->pool->len < MAX_IDLE_READERS)
    {
      g_ptr_array_add (self->pool, reader);
      reader = NULL;
    }
  g_mutex_unlock (&self->pool_lock);

  cd_mbtiles_reader_free (reader);
}

/* Reading ------------------------------------------------------------------- */

static void
read_tile_thread (GTask        *task,
                  gpointer      source_object,
                  gpointer      task_data,
                  GCancellable *cancellable)
{
  CdMbtilesSource *self = source_object;
  TileRequest *req = task_data;
  CdMbtilesReader *reader;
  GError *error = NULL;
  GBytes *bytes;

  if (g_task_return_error_if_cancelled (task))
    return;

  reader = pool_take (self, &error);
  if (reader == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  bytes = cd_mbtiles_reader_read_tile (reader, req->x, req->y, req->zoom, &error);
  pool_give (self, reader);

  if (bytes == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, bytes, (GDestroyNotify) g_bytes_unref);
}

static void
fallback_done_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  GBytes *bytes;

  bytes = shumate_data_source_get_tile_data_finish (SHUMATE_DATA_SOURCE (object), result, &error);
  if (bytes == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, bytes, (GDestroyNotify) g_bytes_unref);
}

static void
ask_fallback_or_fail (CdMbtilesSource *self,
                      GTask           *task,
                      GError          *error)
{
  TileRequest *req = g_task_get_task_data (task);

  if (self->fallback != NULL
      && g_error_matches (error, CD_MBTILES_ERROR, CD_MBTILES_ERROR_MISSING_TILE))
    {
      g_error_free (error);
      shumate_data_source_get_tile_data_async (self->fallback, req->x, req->y, req->zoom,
                                               g_task_get_cancellable (task),
                                               fallback_done_cb, g_object_ref (task));
      return;
    }

  g_task_return_error (task, error);
}

/* Back on the thread that asked: hand the tile to ::received-data (the
 * raster renderer paints it there), then complete. */
static void
tile_read_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  CdMbtilesSource *self = CD_MBTILES_SOURCE (object);
  g_autoptr(GTask) task = user_data;
  TileRequest *req = g_task_get_task_data (task);
  g_autoptr(GBytes) bytes = NULL;
  GError *error = NULL;

  bytes = g_task_propagate_pointer (G_TASK (result), &error);
  if (bytes == NULL)
    {
      ask_fallback_or_fail (self, task, error);
      return;
    }

  g_signal_emit_by_name (self, "received-data", req->x, req->y, req->zoom, bytes);
  g_task_return_pointer (task, g_steal_pointer (&bytes), (GDestroyNotify) g_bytes_unref);
}

static void
fallback_received_data_cb (CdMbtilesSource   *self,
                           int                x,
                           int                y,
                           int                zoom,
                           GBytes            *bytes,
                           ShumateDataSource *fallback)
{
  g_signal_emit_by_name (self, "received-data", x, y, zoom, bytes);
}

/* ShumateDataSource ---------------------------------------------------------- */

static void
cd_mbtiles_source_get_tile_data_async (ShumateDataSource   *source,
                                       int                  x,
                                       int                  y,
                                       int                  zoom,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data)
{
  CdMbtilesSource *self = CD_MBTILES_SOURCE (source);
  g_autoptr(GTask) task = NULL;
  g_autoptr(GTask) read = NULL;
  TileRequest *req;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, cd_mbtiles_source_get_tile_data_async);

  req = g_new (TileRequest, 1);
  req->x = x;
  req->y = y;
  req->zoom = zoom;
  g_task_set_task_data (task, req, g_free);

  /* Outside the file's zoom levels: no need to ask SQLite. */
  if (zoom < self->metadata->min_zoom || zoom > self->metadata->max_zoom)
    {
      ask_fallback_or_fail (self, task,
                            g_error_new (CD_MBTILES_ERROR, CD_MBTILES_ERROR_MISSING_TILE,
                                         "The file has no zoom level %d", zoom));
      return;
    }

  read = g_task_new (self, cancellable, tile_read_cb, g_object_ref (task));
  g_task_set_source_tag (read, read_tile_thread);
  g_task_set_task_data (read, g_memdup2 (req, sizeof *req), g_free);
  g_task_run_in_thread (read, read_tile_thread);
}

/* GInitable ----------------------------------------------------------------- */

static gboolean
cd_mbtiles_source_initable_init (GInitable     *initable,
                                 GCancellable  *cancellable,
                                 GError       **error)
{
  CdMbtilesSource *self = CD_MBTILES_SOURCE (initable);
  g_autoptr(CdMbtilesReader) reader = NULL;
  g_autofree char *display = NULL;

  if (self->path == NULL)
    {
      g_set_error_literal (error, CD_MBTILES_ERROR, CD_MBTILES_ERROR_NOT_FOUND,
                           _("No map tile file is set. Choose one in the map preferences."));
      return FALSE;
    }

  reader = cd_mbtiles_reader_open (self->path, error);
  if (reader == NULL)
    return FALSE;

  self->metadata = cd_mbtiles_reader_read_metadata (reader, error);
  if (self->metadata == NULL)
    return FALSE;

  display = g_filename_display_name (self->path);
  if (g_strcmp0 (self->metadata->format, "pbf") == 0)
    {
      g_set_error (error, CD_MBTILES_ERROR, CD_MBTILES_ERROR_UNSUPPORTED,
                   _("“%s” holds vector tiles, which this version of the map cannot draw. Choose a file with raster (PNG or JPEG) tiles."),
                   display);
      return FALSE;
    }
  if (self->metadata->min_zoom < 0)
    {
      g_set_error (error, CD_MBTILES_ERROR, CD_MBTILES_ERROR_EMPTY,
                   _("The map tile file “%s” holds no tiles. Download a region into it or choose another file."),
                   display);
      return FALSE;
    }

  pool_give (self, g_steal_pointer (&reader));
  return TRUE;
}

static void
cd_mbtiles_source_initable_iface_init (GInitableIface *iface)
{
  iface->init = cd_mbtiles_source_initable_init;
}

/* GObject --------------------------------------------------------------------- */

static void
cd_mbtiles_source_dispose (GObject *object)
{
  CdMbtilesSource *self = CD_MBTILES_SOURCE (object);

  cd_mbtiles_source_set_fallback (self, NULL);

  G_OBJECT_CLASS (cd_mbtiles_source_parent_class)->dispose (object);
}

static void
cd_mbtiles_source_finalize (GObject *object)
{
  CdMbtilesSource *self = CD_MBTILES_SOURCE (object);

  g_clear_pointer (&self->pool, g_ptr_array_unref);
  g_mutex_clear (&self->pool_lock);
  g_clear_pointer (&self->metadata, cd_mbtiles_metadata_free);
  g_clear_pointer (&self->path, g_free);

  G_OBJECT_CLASS (cd_mbtiles_source_parent_class)->finalize (object);
}

static void
cd_mbtiles_source_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  CdMbtilesSource *self = CD_MBTILES_SOURCE (object);

  switch (prop_id)
    {
    case PROP_PATH:
      g_value_set_string (value, self->path);
      break;
    case PROP_FALLBACK:
      g_value_set_object (value, self->fallback);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cd_mbtiles_source_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  CdMbtilesSource *self = CD_MBTILES_SOURCE (object);

  switch (prop_id)
    {
    case PROP_PATH:
      self->path = g_value_dup_string (value);
      break;
    case PROP_FALLBACK:
      cd_mbtiles_source_set_fallback (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cd_mbtiles_source_class_init (CdMbtilesSourceClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  ShumateDataSourceClass *source_class = SHUMATE_DATA_SOURCE_CLASS (klass);

  object_class->dispose = cd_mbtiles_source_dispose;
  object_class->finalize = cd_mbtiles_source_finalize;
  object_class->get_property = cd_mbtiles_source_get_property;
  object_class->set_property = cd_mbtiles_source_set_property;

  /* get_tile_data_finish: the base class propagates the task's pointer. */
  source_class->get_tile_data_async = cd_mbtiles_source_get_tile_data_async;

  properties[PROP_PATH] =
    g_param_spec_string ("path", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_FALLBACK] =
    g_param_spec_object ("fallback", NULL, NULL, SHUMATE_TYPE_DATA_SOURCE,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
cd_mbtiles_source_init (CdMbtilesSource *self)
{
  g_mutex_init (&self->pool_lock);
  self->pool = g_ptr_array_new_with_free_func ((GDestroyNotify) cd_mbtiles_reader_free);
}

/* Public API -------------------------------------------------------------------- */

CdMbtilesSource *
cd_mbtiles_source_new (const char  *path,
                       GError     **error)
{
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return g_initable_new (CD_TYPE_MBTILES_SOURCE, NULL, error, "path", path, NULL);
}

const char *
cd_mbtiles_source_get_path (CdMbtilesSource *self)
{
  g_return_val_if_fail (CD_IS_MBTILES_SOURCE (self), NULL);

  return self->path;
}

const CdMbtilesMetadata *
cd_mbtiles_source_get_metadata (CdMbtilesSource *self)
{
  g_return_val_if_fail (CD_IS_MBTILES_SOURCE (self), NULL);

  return self->metadata;
}

int
cd_mbtiles_source_get_min_zoom (CdMbtilesSource *self)
{
  g_return_val_if_fail (CD_IS_MBTILES_SOURCE (self), -1);

  return self->metadata->min_zoom;
}

int
cd_mbtiles_source_get_max_zoom (CdMbtilesSource *self)
{
  g_return_val_if_fail (CD_IS_MBTILES_SOURCE (self), -1);

  return self->metadata->max_zoom;
}

const char *
cd_mbtiles_source_get_name (CdMbtilesSource *self)
{
  g_return_val_if_fail (CD_IS_MBTILES_SOURCE (self), NULL);

  return self->metadata->name;
}

const char *
cd_mbtiles_source_get_attribution (CdMbtilesSource *self)
{
  g_return_val_if_fail (CD_IS_MBTILES_SOURCE (self), NULL);

  return self->metadata->attribution;
}

gboolean
cd_mbtiles_source_get_bounds (CdMbtilesSource *self,
                              CdTileBounds    *bounds)
{
  g_return_val_if_fail (CD_IS_MBTILES_SOURCE (self), FALSE);
  g_return_val_if_fail (bounds != NULL, FALSE);

  if (!self->metadata->has_bounds)
    return FALSE;
  *bounds = self->metadata->bounds;
  return TRUE;
}

ShumateDataSource *
cd_mbtiles_source_get_fallback (CdMbtilesSource *self)
{
  g_return_val_if_fail (CD_IS_MBTILES_SOURCE (self), NULL);

  return self->fallback;
}

void
cd_mbtiles_source_set_fallback (CdMbtilesSource   *self,
                                ShumateDataSource *fallback)
{
  g_return_if_fail (CD_IS_MBTILES_SOURCE (self));
  g_return_if_fail (fallback == NULL || SHUMATE_IS_DATA_SOURCE (fallback));
  g_return_if_fail (fallback != SHUMATE_DATA_SOURCE (self));

  if (self->fallback == fallback)
    return;

  if (self->fallback != NULL)
    g_clear_signal_handler (&self->fallback_handler, self->fallback);
  g_set_object (&self->fallback, fallback);
  if (fallback != NULL)
    self->fallback_handler = g_signal_connect_object (fallback, "received-data",
                                                      G_CALLBACK (fallback_received_data_cb),
                                                      self, G_CONNECT_SWAPPED);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FALLBACK]);
}
