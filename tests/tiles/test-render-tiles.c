/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-render-tiles.c: the demo city's tiles, as crewdesk-render-tiles
 * made them in this build (the file's path is the first argument),
 * checked against the city model the simulator drives on. */
#include "config.h"

#include <sqlite3.h>

#include "cd-city.h"
#include "tiles/cd-mbtiles-source.h"
#include "tiles-test.h"

/* The renderer's fills (sRGB). */
#define STREET_FILL   0xffffff
#define ARTERIAL_FILL 0xfcd6a4
#define WATER_FILL    0xaad3df
#define PARK_FILL     0xc8e3b0

static const char *demo_path;
static CdMbtilesReader *reader;
static GHashTable *decoded;   /* "z/x/y" → cairo_surface_t */

static cairo_surface_t *
tile_image (int x,
            int y,
            int zoom)
{
  g_autofree char *key = g_strdup_printf ("%d/%d/%d", zoom, x, y);
  cairo_surface_t *image = g_hash_table_lookup (decoded, key);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = NULL;

  if (image != NULL)
    return image;

  bytes = cd_mbtiles_reader_read_tile (reader, x, y, zoom, &error);
  g_assert_no_error (error);
  image = png_decode (bytes);
  g_assert_nonnull (image);
  g_hash_table_insert (decoded, g_steal_pointer (&key), image);
  return image;
}

/* Whether any pixel within @radius of (lat, lon) at @zoom is near @color. */
static gboolean
color_at (double  lat,
          double  lon,
          int     zoom,
          int     radius,
          guint32 color)
{
  double fx = cd_tile_x_from_lon (lon, zoom) * CD_TILE_SIZE;
  double fy = cd_tile_y_from_lat (lat, zoom) * CD_TILE_SIZE;

  for (int dy = -radius; dy <= radius; dy++)
    for (int dx = -radius; dx <= radius; dx++)
      {
        gint64 gx = (gint64) floor (fx) + dx;
        gint64 gy = (gint64) floor (fy) + dy;
        cairo_surface_t *image = tile_image ((int) (gx / CD_TILE_SIZE), (int) (gy / CD_TILE_SIZE), zoom);

        if (color_near (surface_pixel (image, (int) (gx % CD_TILE_SIZE), (int) (gy % CD_TILE_SIZE)), color, 3))
          return TRUE;
      }
  return FALSE;
}

static gboolean
on_street (double lat,
           double lon,
           int    zoom,
           int    radius)
{
  return color_at (lat, lon, zoom, radius, STREET_FILL) || color_at (lat, lon, zoom, radius, ARTERIAL_FILL);
}

/* Names are drawn over streets (a street's name on it, a landmark's or a
 * village's beside its symbol), each at its own zoom levels and sizes. A
 * point is on a drawn street if the street shows there at zoom 15, 16
 * or 17. Every class is drawn at all three, lanes 2.4 px wide at least,
 * so their fill has whole pixels. */
static gboolean
on_drawn_street (double lat,
                 double lon)
{
  return on_street (lat, lon, 15, 1) || on_street (lat, lon, 16, 1) || on_street (lat, lon, 17, 2);
}

/* Tests ------------------------------------------------------------------------ */

static void
test_metadata (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CdMbtilesMetadata) md = cd_mbtiles_reader_read_metadata (reader, &error);
  CdCity *city = cd_city_get_demo ();
  double s, w, n, e;

  g_assert_no_error (error);
  g_assert_cmpstr (md->name, ==, "Lanhe demo city");
  g_assert_cmpstr (md->format, ==, "png");
  g_assert_cmpint (md->min_zoom, ==, 10);
  g_assert_cmpint (md->max_zoom, ==, 17);
  g_assert_nonnull (md->attribution);
  g_assert_true (md->has_bounds);
  cd_city_get_bounds (city, &s, &w, &n, &e);
  g_assert_cmpfloat (md->bounds.south, <, s);
  g_assert_cmpfloat (md->bounds.west, <, w);
  g_assert_cmpfloat (md->bounds.north, >, n);
  g_assert_cmpfloat (md->bounds.east, >, e);
  g_assert_true (md->has_center);
  g_assert_true (cd_city_district_at (city, md->center_lat, md->center_lon) != NULL);
}

static void
test_complete (void)
{
  g_autoptr(GError) error = NULL;
  CdCity *city = cd_city_get_demo ();
  CdTileBounds b;
  guint64 n = 0;
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  gint64 tiles, images;

  /* Every tile over the city at every zoom level. */
  cd_city_get_bounds (city, &b.south, &b.west, &b.north, &b.east);
  g_assert_true (cd_mbtiles_reader_count_tiles (reader, &b, 10, 17, &n, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n, ==, cd_tile_count (&b, 10, 17));

  /* Identical tiles (open country) are stored once. */
  g_assert_cmpint (sqlite3_open_v2 (demo_path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT (SELECT COUNT(*) FROM map), (SELECT COUNT(*) FROM images)",
                                       -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  tiles = sqlite3_column_int64 (stmt, 0);
  images = sqlite3_column_int64 (stmt, 1);
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  g_test_message ("%" G_GINT64_FORMAT " tiles, %" G_GINT64_FORMAT " distinct images", tiles, images);
  g_assert_cmpint (images, <, tiles);
}

/* Every street edge of the model is drawn where the model has it: a
 * quarter, half and three quarters along each edge, one of them on a
 * drawn street. */
static void
test_streets_drawn (void)
{
  CdCity *city = cd_city_get_demo ();
  guint n = cd_city_get_n_streets (city), missed = 0;

  g_assert_cmpuint (n, >, 1000);
  for (guint i = 0; i < n; i++)
    {
      const CdCityStreet *st = cd_city_get_street (city, i);
      gboolean drawn = FALSE;

      for (guint k = 1; k <= 3 && !drawn; k++)
        {
          double lat, lon, heading;

          g_assert_true (cd_city_point_along (st->points, st->length_m * k / 4, &lat, &lon, &heading));
          drawn = on_drawn_street (lat, lon);
        }
      if (!drawn)
        {
          g_test_message ("street %u (%s, %s) not drawn", i, st->name,
                          cd_city_street_class_to_string (st->street_class));
          missed++;
        }
    }
  g_assert_cmpuint (missed, ==, 0);
}

/* A crew's way across town, as the simulator drives it (depot to
 * depot): on drawn streets all along. */
static void
test_routes_on_streets (void)
{
  CdCity *city = cd_city_get_demo ();
  const char *from[] = { "westfield", "old-town", "millbrook", "northgate" };
  const char *to[] = { "lakeside", "ironworks", "eastbank", "stonecreek" };

  for (guint k = 0; k < G_N_ELEMENTS (from); k++)
    {
      const CdCityDistrict *a = cd_city_find_district (city, from[k]);
      const CdCityDistrict *b = cd_city_find_district (city, to[k]);
      const CdCityNode *na = cd_city_get_node (city, a->depot);
      const CdCityNode *nb = cd_city_get_node (city, b->depot);
      g_autoptr(CdCityRoute) route = cd_city_route (city, na->point.lat, na->point.lon,
                                                    nb->point.lat, nb->point.lon);
      guint samples = 0, off = 0;

      g_assert_nonnull (route);
      g_assert_cmpfloat (route->length_m, >, 2000);
      for (double t = 0; t <= route->duration_s; t += 2)
        {
          double lat, lon, heading, speed;

          cd_city_route_position_at (route, t, &lat, &lon, &heading, &speed);
          /* The depots' symbols are drawn over the street they stand on. */
          if (cd_city_distance_m (lat, lon, na->point.lat, na->point.lon) < 40
              || cd_city_distance_m (lat, lon, nb->point.lat, nb->point.lon) < 40)
            continue;
          samples++;
          if (!on_drawn_street (lat, lon))
            {
              g_test_message ("off the drawn streets at %f, %f", lat, lon);
              off++;
            }
        }
      g_test_message ("%s → %s: %.0f m, %u positions, %u off the drawn streets",
                      from[k], to[k], route->length_m, samples, off);
      g_assert_cmpuint (samples, >, 50);
      g_assert_cmpuint (off, ==, 0);
    }
}

static void
test_water_and_parks (void)
{
  CdCity *city = cd_city_get_demo ();
  const CdCityRiver *river = cd_city_get_river (city);
  guint half = river->polygon->len / 2, water = 0, samples = 0;

  /* Halfway between the middle and the west bank, all along the river
   * inside the city (bridges excepted: hence "most"). */
  for (guint i = 0; i < half; i += 8)
    {
      const CdCityPoint *bank = &g_array_index (river->polygon, CdCityPoint, i);
      const CdCityPoint *mid = &g_array_index (river->centerline, CdCityPoint, MIN (i, river->centerline->len - 1));
      double lat = (bank->lat + mid->lat) / 2, lon = (bank->lon + mid->lon) / 2;

      if (cd_city_district_at (city, lat, lon) == NULL)
        continue;
      samples++;
      if (color_at (lat, lon, 15, 0, WATER_FILL))
        water++;
    }
  g_assert_cmpuint (samples, >, 10);
  g_assert_cmpuint (water, >=, samples * 9 / 10);

  /* Parks: a grid of points inside each, away from the streets that
   * cross some of them (the embankment runs through Riverside Park). */
  for (guint p = 0; p < cd_city_get_n_parks (city); p++)
    {
      const CdCityArea *park = cd_city_get_park (city, p);
      double s = 90, w = 180, n = -90, e = -180;
      guint green = 0, inside = 0;

      for (guint i = 0; i < park->polygon->len; i++)
        {
          const CdCityPoint *v = &g_array_index (park->polygon, CdCityPoint, i);

          s = MIN (s, v->lat);
          n = MAX (n, v->lat);
          w = MIN (w, v->lon);
          e = MAX (e, v->lon);
        }
      for (double lat = s + (n - s) / 24; lat < n; lat += (n - s) / 12)
        for (double lon = w + (e - w) / 24; lon < e; lon += (e - w) / 12)
          {
            double slat, slon, dlat = 20 / 111195.0, dlon = dlat / cos (lat * G_PI / 180);

            /* Inside, 20 m clear of the outline (drawn darker). */
            if (!cd_city_polygon_contains (park->polygon, lat, lon)
                || !cd_city_polygon_contains (park->polygon, lat + dlat, lon)
                || !cd_city_polygon_contains (park->polygon, lat - dlat, lon)
                || !cd_city_polygon_contains (park->polygon, lat, lon + dlon)
                || !cd_city_polygon_contains (park->polygon, lat, lon - dlon))
              continue;
            cd_city_snap (city, lat, lon, &slat, &slon);
            if (cd_city_distance_m (lat, lon, slat, slon) < 30)
              continue;
            inside++;
            if (color_at (lat, lon, 16, 0, PARK_FILL))
              green++;
          }
      g_test_message ("%s: %u of %u points green", park->name, green, inside);
      /* The park's name covers a few. */
      g_assert_cmpuint (inside, >, 10);
      g_assert_cmpuint (green, >=, inside * 85 / 100);
    }
}

/* The app's reader shows it: a tile on a known street, through the data
 * source the map uses. */
typedef struct {
  gboolean  done;
  GBytes   *bytes;
  GError   *error;
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
test_through_the_source (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CdMbtilesSource) source = cd_mbtiles_source_new (demo_path, &error);
  CdCity *city = cd_city_get_demo ();
  const CdCityStreet *st = NULL;
  cairo_surface_t *image;
  GHashTable *colors;
  double lat, lon, heading;
  int zoom = 15, x, y;
  Get get = { 0 };

  g_assert_no_error (error);
  g_assert_cmpint (cd_mbtiles_source_get_min_zoom (source), ==, 10);
  g_assert_cmpint (cd_mbtiles_source_get_max_zoom (source), ==, 17);

  for (guint i = 0; i < cd_city_get_n_streets (city) && st == NULL; i++)
    if (cd_city_get_street (city, i)->street_class == CD_CITY_STREET_ARTERIAL)
      st = cd_city_get_street (city, i);
  g_assert_nonnull (st);
  cd_city_point_along (st->points, st->length_m / 2, &lat, &lon, &heading);
  x = (int) cd_tile_x_from_lon (lon, zoom);
  y = (int) cd_tile_y_from_lat (lat, zoom);

  shumate_data_source_get_tile_data_async (SHUMATE_DATA_SOURCE (source), x, y, zoom, NULL, got_cb, &get);
  g_assert_true (wait_for (&get.done, 30));
  g_assert_no_error (get.error);

  image = png_decode (get.bytes);
  g_assert_nonnull (image);
  g_assert_cmpint (cairo_image_surface_get_width (image), ==, 256);
  colors = g_hash_table_new (NULL, NULL);
  for (int py = 0; py < 256; py++)
    for (int px = 0; px < 256; px++)
      g_hash_table_add (colors, GUINT_TO_POINTER (surface_pixel (image, px, py)));
  g_test_message ("tile %d/%d/%d: %u colours", zoom, x, y, g_hash_table_size (colors));
  g_assert_cmpuint (g_hash_table_size (colors), >, 10);
  g_assert_true (g_hash_table_contains (colors, GUINT_TO_POINTER (ARTERIAL_FILL)));
  g_hash_table_unref (colors);
  cairo_surface_destroy (image);
  g_bytes_unref (get.bytes);
}

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

/* What the map waits for a tile: request to completion through the data
 * source (a worker thread's SQLite read, then ::received-data on the
 * main loop). Printed for docs/PERFORMANCE.md; checked only for
 * correctness, never for speed. */
static void
test_read_latency (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CdMbtilesSource) source = cd_mbtiles_source_new (demo_path, &error);
  g_autoptr(GRand) rand = g_rand_new_with_seed (20261123);
  g_autoptr(GArray) times = g_array_new (FALSE, FALSE, sizeof (double));
  CdCity *city = cd_city_get_demo ();
  CdTileBounds b;
  Get batch[64];
  gint64 started;
  gboolean all;
  double batch_ms;

  g_assert_no_error (error);
  cd_city_get_bounds (city, &b.south, &b.west, &b.north, &b.east);

  for (guint i = 0; i < 400; i++)
    {
      int zoom = g_rand_int_range (rand, 15, 18);
      CdTileRange r;
      Get get = { 0 };
      gint64 t0;
      double ms;

      cd_tile_range_for_bounds (&b, zoom, &r);
      t0 = g_get_monotonic_time ();
      shumate_data_source_get_tile_data_async (SHUMATE_DATA_SOURCE (source),
                                               g_rand_int_range (rand, r.x0, r.x1 + 1),
                                               g_rand_int_range (rand, r.y0, r.y1 + 1),
                                               zoom, NULL, got_cb, &get);
      while (!get.done)
        g_main_context_iteration (NULL, TRUE);
      ms = (g_get_monotonic_time () - t0) / 1000.0;
      g_assert_no_error (get.error);
      g_assert_cmpuint (g_bytes_get_size (get.bytes), >, 100);
      g_bytes_unref (get.bytes);
      g_array_append_val (times, ms);
    }
  g_array_sort (times, compare_doubles);
  g_test_message ("one at a time, 400 tiles at zoom 15-17: median %.2f ms, p95 %.2f ms, max %.2f ms",
                  g_array_index (times, double, 200), g_array_index (times, double, 380),
                  g_array_index (times, double, 399));

  /* A screenful at once, as after a jump: 64 requests in flight. */
  memset (batch, 0, sizeof batch);
  started = g_get_monotonic_time ();
  for (int i = 0; i < 64; i++)
    {
      CdTileRange r;

      cd_tile_range_for_bounds (&b, 17, &r);
      shumate_data_source_get_tile_data_async (SHUMATE_DATA_SOURCE (source), r.x0 + 20 + i % 8, r.y0 + 20 + i / 8,
                                               17, NULL, got_cb, &batch[i]);
    }
  do
    {
      g_main_context_iteration (NULL, TRUE);
      all = TRUE;
      for (int i = 0; i < 64; i++)
        all = all && batch[i].done;
    }
  while (!all);
  batch_ms = (g_get_monotonic_time () - started) / 1000.0;
  for (int i = 0; i < 64; i++)
    {
      g_assert_no_error (batch[i].error);
      g_bytes_unref (batch[i].bytes);
    }
  g_test_message ("64 tiles at once (8 x 8 at zoom 17): all in %.1f ms", batch_ms);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);
  if (argc < 2)
    {
      g_printerr ("Usage: %s DEMO-CITY.mbtiles\n", argv[0]);
      return 1;
    }
  demo_path = argv[1];
  reader = cd_mbtiles_reader_open (demo_path, &error);
  g_assert_no_error (error);
  decoded = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) cairo_surface_destroy);

  g_test_add_func ("/tiles/render/metadata", test_metadata);
  g_test_add_func ("/tiles/render/complete", test_complete);
  g_test_add_func ("/tiles/render/streets-drawn", test_streets_drawn);
  g_test_add_func ("/tiles/render/routes-on-streets", test_routes_on_streets);
  g_test_add_func ("/tiles/render/water-and-parks", test_water_and_parks);
  g_test_add_func ("/tiles/render/through-the-source", test_through_the_source);
  g_test_add_func ("/tiles/render/read-latency", test_read_latency);

  status = g_test_run ();
  g_hash_table_unref (decoded);
  cd_mbtiles_reader_free (reader);
  return status;
}
