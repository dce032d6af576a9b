/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-tile-sources.c: the map source the settings build, the online
 * source and its disk cache, against a tile server on 127.0.0.1. */
#include "config.h"

#include "tiles/cd-mbtiles-source.h"
#include "tiles/cd-online-source.h"
#include "tiles/cd-tiles.h"
#include "tiles-test.h"

typedef struct {
  char       *dir;
  char       *grid;      /* an MBTiles file of zoom 1..3 */
  TileServer *server;
  GSettings  *settings;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  f->dir = scratch_dir ();
  f->grid = g_build_filename (f->dir, "grid.mbtiles", NULL);
  write_grid_file (f->grid, 1, 3, "<b>Grid</b> makers");
  f->server = tile_server_new ();
  f->settings = test_settings_new ();
  g_setenv ("CREWDESK_DEMO_TILES", f->grid, TRUE);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_unsetenv ("CREWDESK_DEMO_TILES");
  g_clear_object (&f->settings);
  tile_server_free (f->server);
  remove_tree (f->dir);
  g_free (f->grid);
  g_free (f->dir);
}

/* Filling a tile as ShumateMapLayer does; the paintable only appears if
 * the data source emitted ::received-data. */
typedef struct {
  gboolean  done;
  gboolean  ok;
  GError   *error;
} Fill;

static void
filled_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  Fill *fill = user_data;

  fill->ok = shumate_map_source_fill_tile_finish (SHUMATE_MAP_SOURCE (object), result, &fill->error);
  fill->done = TRUE;
}

static ShumateTile *
fill_tile (ShumateMapSource  *source,
           int                x,
           int                y,
           int                zoom,
           GError           **error)
{
  g_autoptr(ShumateTile) tile = shumate_tile_new_full (x, y, 256, zoom);
  Fill fill = { 0 };

  shumate_map_source_fill_tile_async (source, tile, NULL, filled_cb, &fill);
  g_assert_true (wait_for (&fill.done, 30));
  if (!fill.ok)
    {
      g_propagate_error (error, fill.error);
      return NULL;
    }
  return g_steal_pointer (&tile);
}

/* The tile's texture is the colour of tile x/y/z. */
static void
assert_tile_painted (ShumateTile *tile,
                     int          x,
                     int          y,
                     int          zoom)
{
  GdkPaintable *paintable = shumate_tile_get_paintable (tile);
  g_autofree guint32 *pixels = NULL;

  g_assert_nonnull (paintable);
  g_assert_true (GDK_IS_TEXTURE (paintable));
  g_assert_cmpint (shumate_tile_get_state (tile), ==, SHUMATE_STATE_DONE);
  g_assert_cmpint (gdk_texture_get_width (GDK_TEXTURE (paintable)), ==, 256);

  pixels = g_new (guint32, 256 * 256);
  gdk_texture_download (GDK_TEXTURE (paintable), (guchar *) pixels, 256 * 4);
  g_assert_cmphex (pixels[128 * 256 + 128] & 0xffffff, ==, tile_color (x, y, zoom));
}

static ShumateDataSource *
data_source_of (ShumateMapSource *source)
{
  ShumateDataSource *data_source = NULL;

  g_assert_true (SHUMATE_IS_RASTER_RENDERER (source));
  g_object_get (source, "data-source", &data_source, NULL);
  g_object_unref (data_source);   /* the renderer keeps it */
  return data_source;
}

/* Tests ------------------------------------------------------------------------ */

static void
test_setting_keys (void)
{
  g_autoptr(GSettings) settings = test_settings_new ();
  g_autoptr(GSettingsSchema) schema = NULL;
  const char * const *keys = cd_tiles_get_setting_keys ();
  g_autofree char *url = NULL;
  g_autofree char *credit = NULL;

  g_object_get (settings, "settings-schema", &schema, NULL);
  g_assert_cmpuint (g_strv_length ((char **) keys), ==, 6);
  for (guint i = 0; keys[i]; i++)
    g_assert_true (g_settings_schema_has_key (schema, keys[i]));

  /* The defaults the issue asks for. */
  url = g_settings_get_string (settings, CD_TILES_KEY_URL_TEMPLATE);
  credit = g_settings_get_string (settings, CD_TILES_KEY_ATTRIBUTION);
  g_assert_cmpstr (url, ==, "https://tile.openstreetmap.org/{z}/{x}/{y}.png");
  g_assert_cmpstr (credit, ==, "© OpenStreetMap contributors");
  g_assert_false (g_settings_get_boolean (settings, CD_TILES_KEY_BULK_DOWNLOAD));
  g_assert_cmpint (cd_tiles_get_mode (settings), ==, CD_TILE_SOURCE_MBTILES);

  cd_tiles_set_mode (settings, CD_TILE_SOURCE_BOTH);
  g_assert_cmpint (cd_tiles_get_mode (settings), ==, CD_TILE_SOURCE_BOTH);
}

static void
test_mbtiles_mode (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ShumateMapSource) source = NULL;
  g_autoptr(ShumateTile) tile = NULL;
  g_autofree char *path = NULL;
  ShumateDataSource *ds;

  /* '' is the demo city's file ($CREWDESK_DEMO_TILES here). */
  path = cd_tiles_get_mbtiles_path (f->settings);
  g_assert_cmpstr (path, ==, f->grid);

  cd_tiles_set_mode (f->settings, CD_TILE_SOURCE_MBTILES);
  source = cd_tiles_create_map_source (f->settings, &error);
  g_assert_no_error (error);
  ds = data_source_of (source);
  g_assert_true (CD_IS_MBTILES_SOURCE (ds));
  g_assert_null (cd_mbtiles_source_get_fallback (CD_MBTILES_SOURCE (ds)));
  g_assert_cmpuint (shumate_map_source_get_min_zoom_level (source), ==, 1);
  g_assert_cmpuint (shumate_map_source_get_max_zoom_level (source), ==, 3);
  g_assert_cmpuint (shumate_map_source_get_tile_size (source), ==, 256);
  g_assert_cmpstr (shumate_map_source_get_license (source), ==, "Grid makers");

  /* Drawn: the renderer got the tile through ::received-data. */
  tile = fill_tile (source, 5, 2, 3, &error);
  g_assert_no_error (error);
  assert_tile_painted (tile, 5, 2, 3);
  g_assert_cmpuint (f->server->n_requests, ==, 0);
}

static void
test_online_mode (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ShumateMapSource) osm = NULL;
  g_autoptr(ShumateMapSource) source = NULL;
  g_autoptr(ShumateTile) tile = NULL;
  ShumateDataSource *ds;

  cd_tiles_set_mode (f->settings, CD_TILE_SOURCE_ONLINE);
  osm = cd_tiles_create_map_source (f->settings, &error);
  g_assert_no_error (error);
  g_assert_true (CD_IS_ONLINE_SOURCE (data_source_of (osm)));
  g_assert_cmpstr (shumate_map_source_get_license (osm), ==, "© OpenStreetMap contributors");
  g_assert_cmpstr (shumate_map_source_get_license_uri (osm), ==, "https://www.openstreetmap.org/copyright");
  g_assert_cmpuint (shumate_map_source_get_min_zoom_level (osm), ==, 0);
  g_assert_cmpuint (shumate_map_source_get_max_zoom_level (osm), ==, 19);

  g_settings_set_string (f->settings, CD_TILES_KEY_URL_TEMPLATE, f->server->url_template);
  g_settings_set_string (f->settings, CD_TILES_KEY_ATTRIBUTION, "© Utility GIS");
  g_settings_set_uint (f->settings, CD_TILES_KEY_CACHE_SIZE, 50);
  source = cd_tiles_create_map_source (f->settings, &error);
  g_assert_no_error (error);
  ds = data_source_of (source);
  g_assert_cmpstr (cd_online_source_get_url_template (CD_ONLINE_SOURCE (ds)), ==, f->server->url_template);
  g_assert_cmpuint (cd_online_source_get_cache_size (CD_ONLINE_SOURCE (ds)), ==, 50);
  g_assert_cmpstr (shumate_map_source_get_license (source), ==, "© Utility GIS");
  g_assert_null (shumate_map_source_get_license_uri (source));
  /* Another configuration, another id: libshumate's memory cache is per id. */
  g_assert_cmpstr (shumate_map_source_get_id (source), !=, shumate_map_source_get_id (osm));

  tile = fill_tile (source, 7, 3, 4, &error);
  g_assert_no_error (error);
  assert_tile_painted (tile, 7, 3, 4);
  g_assert_cmpuint (tile_server_count (f->server, 7, 3, 4), ==, 1);
}

static void
test_both_mode (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ShumateMapSource) source = NULL;
  g_autoptr(ShumateTile) inside = NULL;
  g_autoptr(ShumateTile) beyond = NULL;
  ShumateDataSource *ds;

  cd_tiles_set_mode (f->settings, CD_TILE_SOURCE_BOTH);
  g_settings_set_string (f->settings, CD_TILES_KEY_URL_TEMPLATE, f->server->url_template);
  source = cd_tiles_create_map_source (f->settings, &error);
  g_assert_no_error (error);
  ds = data_source_of (source);
  g_assert_true (CD_IS_MBTILES_SOURCE (ds));
  g_assert_true (CD_IS_ONLINE_SOURCE (cd_mbtiles_source_get_fallback (CD_MBTILES_SOURCE (ds))));
  g_assert_cmpuint (shumate_map_source_get_min_zoom_level (source), ==, 0);
  g_assert_cmpuint (shumate_map_source_get_max_zoom_level (source), ==, 19);
  g_assert_cmpstr (shumate_map_source_get_license (source), ==, "Grid makers · © OpenStreetMap contributors");

  /* The file first ... */
  inside = fill_tile (source, 1, 1, 2, &error);
  g_assert_no_error (error);
  assert_tile_painted (inside, 1, 1, 2);
  g_assert_cmpuint (f->server->n_requests, ==, 0);

  /* ... then online, drawn all the same. */
  beyond = fill_tile (source, 20, 9, 5, &error);
  g_assert_no_error (error);
  assert_tile_painted (beyond, 20, 9, 5);
  g_assert_cmpuint (tile_server_count (f->server, 20, 9, 5), ==, 1);
}

static void
test_bad_settings (Fixture       *f,
                   gconstpointer  data)
{
  g_autofree char *missing = g_build_filename (f->dir, "gone.mbtiles", NULL);
  g_autoptr(GError) error = NULL;
  ShumateMapSource *source;

  cd_tiles_set_mode (f->settings, CD_TILE_SOURCE_MBTILES);
  g_settings_set_string (f->settings, CD_TILES_KEY_MBTILES_PATH, missing);
  source = cd_tiles_create_map_source (f->settings, &error);
  g_assert_null (source);
  g_assert_error (error, CD_MBTILES_ERROR, CD_MBTILES_ERROR_NOT_FOUND);
  g_clear_error (&error);

  cd_tiles_set_mode (f->settings, CD_TILE_SOURCE_ONLINE);
  g_settings_set_string (f->settings, CD_TILES_KEY_URL_TEMPLATE, "https://tiles.example.com/map.png");
  source = cd_tiles_create_map_source (f->settings, &error);
  g_assert_null (source);
  g_assert_error (error, CD_TILES_ERROR, CD_TILES_ERROR_INVALID_TEMPLATE);
  g_clear_error (&error);

  g_settings_set_string (f->settings, CD_TILES_KEY_URL_TEMPLATE, "file:///etc/{z}/{x}/{y}");
  source = cd_tiles_create_map_source (f->settings, &error);
  g_assert_null (source);
  g_assert_error (error, CD_TILES_ERROR, CD_TILES_ERROR_INVALID_TEMPLATE);
}

/* Fetching through a data source. */
typedef struct {
  gboolean  done;
  GBytes   *bytes;
  GError   *error;
  guint     received;
} Get;

static void
got_cb (GObject      *object,
        GAsyncResult *result,
        gpointer      user_data)
{
  Get *get = user_data;

  get->bytes = shumate_data_source_get_tile_data_finish (SHUMATE_DATA_SOURCE (object), result, &get->error);
  get->done = TRUE;
}

static void
received_cb (ShumateDataSource *source,
             int                x,
             int                y,
             int                zoom,
             GBytes            *bytes,
             Get               *get)
{
  get->received++;
}

static GBytes *
get_tile (ShumateDataSource  *source,
          int                 x,
          int                 y,
          int                 zoom,
          guint              *n_received,
          GError            **error)
{
  Get get = { 0 };
  gulong id = g_signal_connect (source, "received-data", G_CALLBACK (received_cb), &get);

  shumate_data_source_get_tile_data_async (source, x, y, zoom, NULL, got_cb, &get);
  g_assert_true (wait_for (&get.done, 60));
  g_signal_handler_disconnect (source, id);
  if (n_received)
    *n_received = get.received;
  if (get.error)
    g_propagate_error (error, get.error);
  return get.bytes;
}

static void
test_online_cache (Fixture       *f,
                   gconstpointer  data)
{
  g_autofree char *cache = g_build_filename (f->dir, "cache", NULL);
  g_autofree char *url = g_strdup (f->server->url_template);
  g_autoptr(CdOnlineSource) source = cd_online_source_new (url, 20, cache);
  g_autoptr(CdOnlineSource) later = NULL;
  g_autoptr(GBytes) first = NULL;
  g_autoptr(GBytes) second = NULL;
  g_autoptr(GBytes) offline = NULL;
  g_autoptr(GBytes) never = NULL;
  g_autoptr(GBytes) want = png_of_tile (3, 5, 4);
  g_autoptr(GError) error = NULL;
  guint received = 0;

  first = get_tile (SHUMATE_DATA_SOURCE (source), 3, 5, 4, &received, &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (first, want));
  g_assert_cmpuint (received, ==, 1);
  g_assert_cmpuint (f->server->n_requests, ==, 1);
  g_assert_true (g_str_has_prefix (f->server->user_agent, "Crewdesk/"));

  /* Fresh in the cache: no request. */
  second = get_tile (SHUMATE_DATA_SOURCE (source), 3, 5, 4, &received, &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (second, want));
  g_assert_cmpuint (received, ==, 1);
  g_assert_cmpuint (f->server->n_requests, ==, 1);

  /* The network goes away; a new session still has the viewed tile. */
  soup_server_disconnect (f->server->server);
  later = cd_online_source_new (url, 20, cache);
  cd_online_source_set_timeout (later, 2);
  offline = get_tile (SHUMATE_DATA_SOURCE (later), 3, 5, 4, &received, &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (offline, want));

  /* A tile never viewed cannot appear. */
  never = get_tile (SHUMATE_DATA_SOURCE (later), 4, 5, 4, &received, &error);
  g_assert_null (never);
  g_assert_error (error, SHUMATE_TILE_DOWNLOADER_ERROR, SHUMATE_TILE_DOWNLOADER_ERROR_COULD_NOT_CONNECT);
  g_assert_cmpuint (received, ==, 0);
}

static void
test_online_bad_answers (Fixture       *f,
                         gconstpointer  data)
{
  g_autofree char *cache = g_build_filename (f->dir, "cache", NULL);
  g_autoptr(CdOnlineSource) source = cd_online_source_new (f->server->url_template, 20, cache);
  g_autoptr(GError) error = NULL;
  GBytes *bytes;
  guint received = 0;

  tile_server_fail (f->server, 1, 1, 3, 404, TRUE);
  bytes = get_tile (SHUMATE_DATA_SOURCE (source), 1, 1, 3, &received, &error);
  g_assert_null (bytes);
  g_assert_error (error, SHUMATE_TILE_DOWNLOADER_ERROR, SHUMATE_TILE_DOWNLOADER_ERROR_BAD_RESPONSE);
  g_assert_cmpuint (received, ==, 0);
  g_clear_error (&error);

  /* 200 with a web page: not handed to the renderer, which would warn. */
  f->server->not_an_image = TRUE;
  bytes = get_tile (SHUMATE_DATA_SOURCE (source), 2, 1, 3, &received, &error);
  g_assert_null (bytes);
  g_assert_error (error, SHUMATE_TILE_DOWNLOADER_ERROR, SHUMATE_TILE_DOWNLOADER_ERROR_BAD_RESPONSE);
  g_assert_cmpuint (received, ==, 0);
}

static guint64
dir_png_bytes (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;
  guint64 total = 0;

  while (dir && (name = g_dir_read_name (dir)))
    {
      g_autofree char *child = g_build_filename (path, name, NULL);
      GStatBuf st;

      if (g_file_test (child, G_FILE_TEST_IS_DIR))
        total += dir_png_bytes (child);
      else if (g_str_has_suffix (name, ".png") && g_stat (child, &st) == 0)
        total += st.st_size;
    }
  return total;
}

static void
purged_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  *(gboolean *) user_data = TRUE;
}

static void
test_online_cache_size (Fixture       *f,
                        gconstpointer  data)
{
  g_autofree char *cache = g_build_filename (f->dir, "cache", NULL);
  g_autoptr(CdOnlineSource) source = NULL;
  g_autoptr(GError) error = NULL;
  guint64 fetched = 0, on_disk;
  gboolean purged = FALSE;

  /* 1 MB of cache, some 3 MB of tiles through it. */
  f->server->noise = TRUE;
  source = cd_online_source_new (f->server->url_template, 1, cache);
  for (int x = 0; x < 16; x++)
    {
      g_autoptr(GBytes) bytes = get_tile (SHUMATE_DATA_SOURCE (source), x, 0, 4, NULL, &error);

      g_assert_no_error (error);
      fetched += g_bytes_get_size (bytes);
    }
  g_assert_cmpuint (fetched, >, 2 * 1000 * 1000);

  /* The automatic purges ran (after each megabyte written); one more
   * now, then the cache is within its size. */
  cd_online_source_purge_async (source, NULL, purged_cb, &purged);
  g_assert_true (wait_for (&purged, 30));
  on_disk = dir_png_bytes (cache);
  g_test_message ("fetched %" G_GUINT64_FORMAT " bytes, %" G_GUINT64_FORMAT " on disk", fetched, on_disk);
  g_assert_cmpuint (on_disk, <=, 1000 * 1000);
  g_assert_cmpuint (on_disk, >, 0);
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *home = isolate_user_dirs ();
  int status;

  g_test_init (&argc, &argv, NULL);

#define ADD(name, func) \
  g_test_add ("/tiles/sources/" name, Fixture, NULL, fixture_setup, func, fixture_teardown)

  g_test_add_func ("/tiles/sources/setting-keys", test_setting_keys);
  ADD ("mbtiles-mode", test_mbtiles_mode);
  ADD ("online-mode", test_online_mode);
  ADD ("both-mode", test_both_mode);
  ADD ("bad-settings", test_bad_settings);
  ADD ("online-cache", test_online_cache);
  ADD ("online-bad-answers", test_online_bad_answers);
  ADD ("online-cache-size", test_online_cache_size);

  status = g_test_run ();
  remove_tree (home);
  return status;
}
