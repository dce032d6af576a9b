/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-region-download.c: region download against a real HTTP tile
 * server on 127.0.0.1, in this process. */
#include "config.h"

#include "tiles/cd-mbtiles.h"
#include "tiles/cd-region-download.h"
#include "tiles/cd-tiles.h"
#include "tiles-test.h"

/* A small area (a few streets of Lanhe): 2 + 2 + 4 + 6 tiles at z 12..15. */
static const CdTileBounds small_area = { 39.905, 116.595, 39.915, 116.610 };

typedef struct {
  char       *dir;
  char       *path;
  TileServer *server;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  f->dir = scratch_dir ();
  f->path = g_build_filename (f->dir, "region.mbtiles", NULL);
  f->server = tile_server_new ();
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  tile_server_free (f->server);
  remove_tree (f->dir);
  g_free (f->path);
  g_free (f->dir);
}

typedef struct {
  gboolean  done;
  gboolean  ok;
  GError   *error;
} Run;

static void
run_done_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  Run *run = user_data;

  run->ok = cd_region_download_run_finish (CD_REGION_DOWNLOAD (object), result, &run->error);
  run->done = TRUE;
}

static gboolean
run (CdRegionDownload  *download,
     GCancellable      *cancellable,
     GError           **error)
{
  Run r = { 0 };

  cd_region_download_run_async (download, cancellable, run_done_cb, &r);
  g_assert_true (wait_for (&r.done, 120));
  g_assert_false (cd_region_download_get_running (download));
  if (r.error)
    g_propagate_error (error, r.error);
  return r.ok;
}

/* Every tile of @bounds at @min..@max is in @path, and is the server's. */
static void
assert_file_complete (const char         *path,
                      const CdTileBounds *bounds,
                      int                 min_zoom,
                      int                 max_zoom)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CdMbtilesReader) reader = cd_mbtiles_reader_open (path, &error);
  guint64 n = 0;

  g_assert_no_error (error);
  for (int z = min_zoom; z <= max_zoom; z++)
    {
      CdTileRange r;

      cd_tile_range_for_bounds (bounds, z, &r);
      for (int x = r.x0; x <= r.x1; x++)
        for (int y = r.y0; y <= r.y1; y++)
          {
            g_autoptr(GBytes) got = cd_mbtiles_reader_read_tile (reader, x, y, z, &error);
            g_autoptr(GBytes) want = png_of_tile (x, y, z);

            g_assert_no_error (error);
            g_assert_true (g_bytes_equal (got, want));
            n++;
          }
    }
  g_assert_cmpuint (n, ==, cd_tile_count (bounds, min_zoom, max_zoom));
}

/* Tests -------------------------------------------------------------------------- */

static void
test_estimate (void)
{
  /* The whole world at zoom 0..2: 1 + 4 + 16. */
  CdTileBounds world = { -85, -180, 85, 180 };
  CdTileBounds edge = { 0, 0, 10, 10 };
  g_autoptr(CdRegionDownload) d = NULL;
  CdTileRange r;

  g_assert_cmpuint (cd_tile_count (&world, 0, 2), ==, 21);

  /* Lanhe's small area, tile by tile as OSM numbers them at zoom 15:
   * x = floor((lon + 180) / 360 * 2^15), y from the Mercator formula. */
  cd_tile_range_for_bounds (&small_area, 15, &r);
  g_assert_cmpint (r.x0, ==, 26996);
  g_assert_cmpint (r.x1, ==, 26998);
  g_assert_cmpint (r.y0, ==, 12415);
  g_assert_cmpint (r.y1, ==, 12416);
  g_assert_cmpuint (cd_tile_count (&small_area, 12, 17), ==, 2 + 2 + 4 + 6 + 16 + 42);

  /* A west or north edge on a tile border starts that tile; an east or
   * south edge on one does not reach into the next. */
  cd_tile_range_for_bounds (&edge, 1, &r);
  g_assert_cmpint (r.x0, ==, 1);
  g_assert_cmpint (r.x1, ==, 1);
  g_assert_cmpint (r.y0, ==, 0);
  g_assert_cmpint (r.y1, ==, 0);

  d = cd_region_download_new ("http://127.0.0.1:1/{z}/{x}/{y}.png", TRUE, &small_area, 12, 15, "/nonexistent");
  g_assert_cmpuint (cd_region_download_get_total (d), ==, cd_tile_count (&small_area, 12, 15));
  g_assert_cmpuint (cd_region_download_estimate_bytes (d), ==,
                    cd_region_download_get_total (d) * CD_REGION_DOWNLOAD_TILE_BYTES);
}

static void
test_download (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(CdRegionDownload) d = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(CdMbtilesReader) reader = NULL;
  g_autoptr(CdMbtilesMetadata) md = NULL;
  guint64 total;

  d = cd_region_download_new (f->server->url_template, TRUE, &small_area, 12, 16, f->path);
  cd_region_download_set_attribution (d, "© Test contributors");
  total = cd_region_download_get_total (d);
  g_assert_cmpuint (total, >, 10);

  g_assert_true (run (d, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (cd_region_download_get_downloaded (d), ==, total);
  g_assert_cmpuint (cd_region_download_get_done (d), ==, total);
  g_assert_cmpuint (cd_region_download_get_failed (d), ==, 0);
  g_assert_cmpfloat (cd_region_download_get_fraction (d), ==, 1.0);
  g_assert_cmpuint (cd_region_download_get_bytes (d), >, 0);
  g_assert_cmpuint (f->server->n_requests, ==, total);
  g_assert_nonnull (f->server->user_agent);
  g_assert_true (g_str_has_prefix (f->server->user_agent, "Crewdesk/"));

  assert_file_complete (f->path, &small_area, 12, 16);

  reader = cd_mbtiles_reader_open (f->path, &error);
  g_assert_no_error (error);
  md = cd_mbtiles_reader_read_metadata (reader, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (md->format, ==, "png");
  g_assert_cmpstr (md->attribution, ==, "© Test contributors");
  g_assert_cmpint (md->min_zoom, ==, 12);
  g_assert_cmpint (md->max_zoom, ==, 16);
  g_assert_true (md->has_bounds);
  g_assert_cmpfloat_with_epsilon (md->bounds.south, small_area.south, 1e-6);
  g_assert_cmpfloat_with_epsilon (md->bounds.east, small_area.east, 1e-6);
}

static void
cancel_after_cb (CdRegionDownload *d,
                 GParamSpec       *pspec,
                 GCancellable     *cancellable)
{
  if (cd_region_download_get_downloaded (d) >= 12)
    g_cancellable_cancel (cancellable);
}

static void
test_cancel_resume (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(CdRegionDownload) d = NULL;
  g_autoptr(CdRegionDownload) again = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(CdMbtilesReader) reader = NULL;
  guint64 total, kept = 0, twice = 0;
  GHashTableIter iter;
  gpointer count;

  f->server->delay_ms = 15;
  d = cd_region_download_new (f->server->url_template, TRUE, &small_area, 12, 17, f->path);
  total = cd_region_download_get_total (d);
  g_assert_cmpuint (total, >, 40);

  g_signal_connect (d, "notify::downloaded", G_CALLBACK (cancel_after_cb), cancellable);
  g_assert_false (run (d, cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);

  /* What arrived before the stop is in the file. */
  reader = cd_mbtiles_reader_open (f->path, &error);
  g_assert_no_error (error);
  g_assert_true (cd_mbtiles_reader_count_tiles (reader, &small_area, 12, 17, &kept, NULL, &error));
  g_clear_pointer (&reader, cd_mbtiles_reader_free);
  g_test_message ("stopped with %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT " tiles", kept, total);
  g_assert_cmpuint (kept, >=, 12);
  g_assert_cmpuint (kept, <, total);
  g_assert_cmpuint (kept, ==, cd_region_download_get_downloaded (d));

  /* Resume: a new download of the same area skips what the file holds. */
  f->server->delay_ms = 0;
  again = cd_region_download_new (f->server->url_template, TRUE, &small_area, 12, 17, f->path);
  g_assert_true (run (again, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (cd_region_download_get_skipped (again), ==, kept);
  g_assert_cmpuint (cd_region_download_get_downloaded (again), ==, total - kept);
  g_assert_cmpuint (cd_region_download_get_done (again), ==, total);

  /* Only the requests in flight at the stop were made twice. */
  g_hash_table_iter_init (&iter, f->server->requests);
  while (g_hash_table_iter_next (&iter, NULL, &count))
    if (GPOINTER_TO_UINT (count) > 1)
      twice++;
  g_assert_cmpuint (twice, <=, 4);
  g_assert_cmpuint (g_hash_table_size (f->server->requests), ==, total);

  assert_file_complete (f->path, &small_area, 12, 17);
}

static void
keep_result_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static void
test_scan (Fixture       *f,
           gconstpointer  data)
{
  g_autoptr(CdRegionDownload) d = NULL;
  g_autoptr(CdRegionDownload) wider = NULL;
  g_autoptr(GError) error = NULL;
  GAsyncResult *result = NULL;

  d = cd_region_download_new (f->server->url_template, TRUE, &small_area, 12, 14, f->path);
  g_assert_true (run (d, NULL, &error));

  /* One more zoom level: the scan finds the tiles it already has. */
  wider = cd_region_download_new (f->server->url_template, TRUE, &small_area, 12, 15, f->path);
  cd_region_download_scan_async (wider, NULL, keep_result_cb, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (cd_region_download_scan_finish (wider, result, &error));
  g_assert_no_error (error);
  g_clear_object (&result);
  g_assert_cmpuint (cd_region_download_get_done (wider), ==, cd_tile_count (&small_area, 12, 14));
  /* The estimate is for the missing tiles, at the measured average size. */
  g_assert_cmpuint (cd_region_download_estimate_bytes (wider), <,
                    (cd_tile_count (&small_area, 15, 15) + 1) * CD_REGION_DOWNLOAD_TILE_BYTES);
  g_assert_cmpuint (cd_region_download_estimate_bytes (wider), >, 0);
}

static void
test_cap (Fixture       *f,
          gconstpointer  data)
{
  /* Lanhe and its surroundings, 33 × 26 km, down to zoom 19: some
   * 300,000 tiles. The city alone to zoom 17 is a few thousand. */
  const CdTileBounds county = { 39.78, 116.45, 40.02, 116.75 };
  const CdTileBounds city = { 39.855, 116.53, 39.945, 116.67 };
  g_autoptr(CdRegionDownload) d = cd_region_download_new (f->server->url_template, TRUE, &county, 12, 19, f->path);
  g_autoptr(CdRegionDownload) fits = cd_region_download_new (f->server->url_template, TRUE, &city, 12, 17, f->path);
  g_autoptr(GError) error = NULL;

  g_assert_cmpuint (cd_region_download_get_total (d), >, CD_REGION_DOWNLOAD_MAX_TILES);
  g_assert_false (cd_region_download_check (d, &error));
  g_assert_error (error, CD_REGION_DOWNLOAD_ERROR, CD_REGION_DOWNLOAD_ERROR_TOO_MANY_TILES);
  g_clear_error (&error);

  g_assert_false (run (d, NULL, &error));
  g_assert_error (error, CD_REGION_DOWNLOAD_ERROR, CD_REGION_DOWNLOAD_ERROR_TOO_MANY_TILES);
  g_assert_cmpuint (f->server->n_requests, ==, 0);
  g_assert_false (g_file_test (f->path, G_FILE_TEST_EXISTS));

  g_assert_cmpuint (cd_region_download_get_total (fits), <=, CD_REGION_DOWNLOAD_MAX_TILES);
  g_assert_true (cd_region_download_check (fits, NULL));
}

static void
test_not_permitted (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(GSettings) settings = test_settings_new ();
  g_autoptr(CdRegionDownload) d = NULL;
  g_autoptr(GError) error = NULL;

  /* The default: OpenStreetMap, which forbids bulk download. */
  g_assert_false (g_settings_get_boolean (settings, CD_TILES_KEY_BULK_DOWNLOAD));
  d = cd_region_download_new_from_settings (settings, &small_area, 12, 13, f->path);
  g_assert_false (cd_region_download_check (d, &error));
  g_assert_error (error, CD_REGION_DOWNLOAD_ERROR, CD_REGION_DOWNLOAD_ERROR_NOT_PERMITTED);
  g_assert_nonnull (strstr (error->message, "OpenStreetMap"));
  g_clear_error (&error);
  g_clear_object (&d);

  /* Even pointed at a willing server, the setting decides. */
  g_settings_set_string (settings, CD_TILES_KEY_URL_TEMPLATE, f->server->url_template);
  d = cd_region_download_new_from_settings (settings, &small_area, 12, 13, f->path);
  g_assert_false (run (d, NULL, &error));
  g_assert_error (error, CD_REGION_DOWNLOAD_ERROR, CD_REGION_DOWNLOAD_ERROR_NOT_PERMITTED);
  g_assert_cmpuint (f->server->n_requests, ==, 0);
  g_assert_false (g_file_test (f->path, G_FILE_TEST_EXISTS));
  g_clear_error (&error);
  g_clear_object (&d);

  g_settings_set_boolean (settings, CD_TILES_KEY_BULK_DOWNLOAD, TRUE);
  d = cd_region_download_new_from_settings (settings, &small_area, 12, 13, f->path);
  g_assert_true (run (d, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (f->server->n_requests, ==, cd_tile_count (&small_area, 12, 13));
}

static void
test_invalid (Fixture       *f,
              gconstpointer  data)
{
  const CdTileBounds inverted = { 40, 117, 39, 116 };
  g_autoptr(CdRegionDownload) a = cd_region_download_new (f->server->url_template, TRUE, &inverted, 12, 13, f->path);
  g_autoptr(CdRegionDownload) b = cd_region_download_new (f->server->url_template, TRUE, &small_area, 14, 12, f->path);
  g_autoptr(CdRegionDownload) c = cd_region_download_new ("ftp://example.com/{z}/{x}/{y}", TRUE, &small_area, 12, 13, f->path);
  g_autoptr(CdRegionDownload) e = cd_region_download_new ("https://example.com/tiles.png", TRUE, &small_area, 12, 13, f->path);
  g_autoptr(GError) error = NULL;

  g_assert_false (cd_region_download_check (a, &error));
  g_assert_error (error, CD_REGION_DOWNLOAD_ERROR, CD_REGION_DOWNLOAD_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_false (cd_region_download_check (b, &error));
  g_assert_error (error, CD_REGION_DOWNLOAD_ERROR, CD_REGION_DOWNLOAD_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_false (cd_region_download_check (c, &error));
  g_assert_error (error, CD_REGION_DOWNLOAD_ERROR, CD_REGION_DOWNLOAD_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_false (cd_region_download_check (e, &error));
  g_assert_error (error, CD_REGION_DOWNLOAD_ERROR, CD_REGION_DOWNLOAD_ERROR_INVALID);
}

static void
test_server_errors (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(CdRegionDownload) d = NULL;
  g_autoptr(CdRegionDownload) again = NULL;
  g_autoptr(GError) error = NULL;
  CdTileRange r;

  cd_tile_range_for_bounds (&small_area, 14, &r);
  /* A passing failure is retried; a 404 is not, and is reported. */
  tile_server_fail (f->server, r.x0, r.y0, 14, 503, FALSE);
  tile_server_fail (f->server, r.x1, r.y1, 14, 404, TRUE);

  d = cd_region_download_new (f->server->url_template, TRUE, &small_area, 12, 14, f->path);
  g_assert_false (run (d, NULL, &error));
  g_assert_error (error, CD_REGION_DOWNLOAD_ERROR, CD_REGION_DOWNLOAD_ERROR_INCOMPLETE);
  g_assert_nonnull (strstr (error->message, "404"));
  g_clear_error (&error);
  g_assert_cmpuint (cd_region_download_get_failed (d), ==, 1);
  g_assert_cmpuint (tile_server_count (f->server, r.x0, r.y0, 14), ==, 2);
  g_assert_cmpuint (tile_server_count (f->server, r.x1, r.y1, 14), ==, 1);
  g_assert_cmpuint (cd_region_download_get_downloaded (d), ==, cd_region_download_get_total (d) - 1);

  /* The server mends; running again fetches just the missing tile. */
  g_hash_table_remove_all (f->server->fail_always);
  again = cd_region_download_new (f->server->url_template, TRUE, &small_area, 12, 14, f->path);
  g_assert_true (run (again, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (cd_region_download_get_downloaded (again), ==, 1);
  assert_file_complete (f->path, &small_area, 12, 14);
}

static void
test_not_an_image (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(CdRegionDownload) d = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(CdMbtilesReader) reader = NULL;
  guint64 n = 1;

  /* A captive portal or an error page with status 200. */
  f->server->not_an_image = TRUE;
  d = cd_region_download_new (f->server->url_template, TRUE, &small_area, 12, 12, f->path);
  g_assert_false (run (d, NULL, &error));
  g_assert_error (error, CD_REGION_DOWNLOAD_ERROR, CD_REGION_DOWNLOAD_ERROR_INCOMPLETE);

  reader = cd_mbtiles_reader_open (f->path, NULL);
  g_assert_nonnull (reader);
  g_assert_true (cd_mbtiles_reader_count_tiles (reader, &small_area, 0, 20, &n, NULL, NULL));
  g_assert_cmpuint (n, ==, 0);
}

static void
test_refuses_other_files (Fixture       *f,
                          gconstpointer  data)
{
  g_autoptr(CdRegionDownload) d = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *after = NULL;
  const char *text = "Shift notes: do not overwrite.\n";

  g_assert_true (g_file_set_contents (f->path, text, -1, NULL));
  d = cd_region_download_new (f->server->url_template, TRUE, &small_area, 12, 13, f->path);
  g_assert_false (run (d, NULL, &error));
  g_assert_error (error, CD_MBTILES_ERROR, CD_MBTILES_ERROR_NOT_MBTILES);
  g_assert_cmpuint (f->server->n_requests, ==, 0);
  g_assert_true (g_file_get_contents (f->path, &after, NULL, NULL));
  g_assert_cmpstr (after, ==, text);
}

static void
test_unreachable (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(CdRegionDownload) d = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *url = NULL;

  /* The server goes away: every tile fails after its retries, fast. */
  url = g_strdup (f->server->url_template);
  soup_server_disconnect (f->server->server);
  d = cd_region_download_new (url, TRUE, &small_area, 12, 12, f->path);
  cd_region_download_set_timeout (d, 2);
  g_assert_false (run (d, NULL, &error));
  g_assert_error (error, CD_REGION_DOWNLOAD_ERROR, CD_REGION_DOWNLOAD_ERROR_INCOMPLETE);
  g_assert_cmpuint (cd_region_download_get_failed (d), ==, cd_tile_count (&small_area, 12, 12));
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *home = isolate_user_dirs ();
  int status;

  g_test_init (&argc, &argv, NULL);

#define ADD(name, func) \
  g_test_add ("/tiles/region-download/" name, Fixture, NULL, fixture_setup, func, fixture_teardown)

  g_test_add_func ("/tiles/region-download/estimate", test_estimate);
  ADD ("download", test_download);
  ADD ("cancel-resume", test_cancel_resume);
  ADD ("scan", test_scan);
  ADD ("cap", test_cap);
  ADD ("not-permitted", test_not_permitted);
  ADD ("invalid", test_invalid);
  ADD ("server-errors", test_server_errors);
  ADD ("not-an-image", test_not_an_image);
  ADD ("refuses-other-files", test_refuses_other_files);
  ADD ("unreachable", test_unreachable);

  status = g_test_run ();
  remove_tree (home);
  return status;
}
