/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-mbtiles.c: the MBTiles reader, writer and tile source against
 * files generated here. */
#include "config.h"

#include <sqlite3.h>

#include "tiles/cd-mbtiles-source.h"
#include "tiles/cd-online-source.h"
#include "tiles/cd-tiles.h"
#include "tiles-test.h"

typedef struct {
  char *dir;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  f->dir = scratch_dir ();
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  remove_tree (f->dir);
  g_free (f->dir);
}

/* Every tile of zoom levels @min..@max, each its own colour. */
static char *
make_file (Fixture              *f,
           const char           *name,
           CdMbtilesWriterFlags  flags,
           int                   min_zoom,
           int                   max_zoom,
           gboolean              metadata)
{
  g_autofree char *path = g_build_filename (f->dir, name, NULL);
  g_autoptr(GError) error = NULL;
  CdMbtilesWriter *w = cd_mbtiles_writer_open (path, flags, &error);

  g_assert_no_error (error);
  for (int z = min_zoom; z <= max_zoom; z++)
    for (int x = 0; x < (1 << z); x++)
      for (int y = 0; y < (1 << z); y++)
        {
          g_autoptr(GBytes) png = png_of_tile (x, y, z);

          g_assert_true (cd_mbtiles_writer_put_tile (w, x, y, z, png, &error));
          g_assert_no_error (error);
        }
  if (metadata)
    {
      g_assert_true (cd_mbtiles_writer_set_metadata (w, "name", "Test tiles", &error));
      g_assert_true (cd_mbtiles_writer_set_metadata (w, "format", "png", &error));
      g_assert_true (cd_mbtiles_writer_set_metadata (w, "bounds", "-10.5,20.25,30,40.125", &error));
      g_assert_true (cd_mbtiles_writer_set_metadata (w, "center", "10,30,2", &error));
      g_assert_true (cd_mbtiles_writer_set_metadata (w, "attribution",
                                                     "<a href=\"https://example.com\">&copy; Test</a> &amp; friends", &error));
      g_assert_true (cd_mbtiles_writer_update_zoom_range (w, &error));
    }
  g_assert_true (cd_mbtiles_writer_close (w, &error));
  g_assert_no_error (error);
  return g_steal_pointer (&path);
}

static void
exec_sql (const char *path,
          const char *sql)
{
  sqlite3 *db = NULL;

  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, sql, NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);
}

/* Fetching through the data source API, as the raster renderer does. */

typedef struct {
  gboolean  done;
  GBytes   *bytes;
  GError   *error;
  GString  *order;       /* 'r' received-data, 'c' completed */
  GBytes   *received;
  int       rx, ry, rz;
} Fetch;

static void
fetch_clear (Fetch *fetch)
{
  g_clear_pointer (&fetch->bytes, g_bytes_unref);
  g_clear_pointer (&fetch->received, g_bytes_unref);
  g_clear_error (&fetch->error);
  if (fetch->order)
    g_string_free (fetch->order, TRUE);
}

static void
received_data_cb (ShumateDataSource *source,
                  int                x,
                  int                y,
                  int                zoom,
                  GBytes            *bytes,
                  Fetch             *fetch)
{
  g_string_append_c (fetch->order, 'r');
  g_clear_pointer (&fetch->received, g_bytes_unref);
  fetch->received = g_bytes_ref (bytes);
  fetch->rx = x;
  fetch->ry = y;
  fetch->rz = zoom;
  /* libshumate paints from here: this must be the main thread. */
  g_assert_true (g_main_context_is_owner (g_main_context_default ()));
}

static void
fetched_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  Fetch *fetch = user_data;

  fetch->bytes = shumate_data_source_get_tile_data_finish (SHUMATE_DATA_SOURCE (object), result, &fetch->error);
  g_string_append_c (fetch->order, 'c');
  fetch->done = TRUE;
}

static void
fetch_start (ShumateDataSource *source,
             int                x,
             int                y,
             int                zoom,
             Fetch             *fetch)
{
  memset (fetch, 0, sizeof *fetch);
  fetch->order = g_string_new (NULL);
  g_signal_connect (source, "received-data", G_CALLBACK (received_data_cb), fetch);
  shumate_data_source_get_tile_data_async (source, x, y, zoom, NULL, fetched_cb, fetch);
}

static void
fetch_wait (ShumateDataSource *source,
            Fetch             *fetch)
{
  g_assert_true (wait_for (&fetch->done, 30));
  g_signal_handlers_disconnect_by_data (source, fetch);
}

static void
fetch (ShumateDataSource *source,
       int                x,
       int                y,
       int                zoom,
       Fetch             *f)
{
  fetch_start (source, x, y, zoom, f);
  fetch_wait (source, f);
}

static void
assert_tile (GBytes *bytes,
             int     x,
             int     y,
             int     zoom)
{
  g_autoptr(GBytes) expected = png_of_tile (x, y, zoom);

  g_assert_nonnull (bytes);
  g_assert_true (g_bytes_equal (bytes, expected));
}

/* Tests ------------------------------------------------------------------------ */

static void
test_reader_right_tile (Fixture       *f,
                        gconstpointer  data)
{
  CdMbtilesWriterFlags flags = GPOINTER_TO_INT (data);
  g_autofree char *path = make_file (f, "grid.mbtiles", flags, 1, 3, TRUE);
  g_autoptr(GError) error = NULL;
  g_autoptr(CdMbtilesSource) source = cd_mbtiles_source_new (path, &error);

  g_assert_no_error (error);

  /* Every tile of zoom 3, including the top and bottom rows: the TMS flip. */
  for (int x = 0; x < 8; x++)
    for (int y = 0; y < 8; y++)
      {
        Fetch fe;

        fetch (SHUMATE_DATA_SOURCE (source), x, y, 3, &fe);
        g_assert_no_error (fe.error);
        assert_tile (fe.bytes, x, y, 3);
        fetch_clear (&fe);
      }
}

static void
test_reader_tms_row (Fixture       *f,
                     gconstpointer  data)
{
  g_autofree char *path = make_file (f, "flip.mbtiles", CD_MBTILES_WRITER_NONE, 2, 2, TRUE);
  g_autoptr(GBytes) marker = png_of_color (0x123456, 256);
  g_autoptr(GError) error = NULL;
  g_autoptr(CdMbtilesSource) source = NULL;
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  Fetch fe;

  /* Written by hand as the spec says: row 0 is the southernmost. */
  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "UPDATE tiles SET tile_data = ?1 WHERE zoom_level = 2"
                                       " AND tile_column = 1 AND tile_row = 0", -1, &stmt, NULL), ==, SQLITE_OK);
  sqlite3_bind_blob (stmt, 1, g_bytes_get_data (marker, NULL), g_bytes_get_size (marker), SQLITE_STATIC);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_DONE);
  g_assert_cmpint (sqlite3_changes (db), ==, 1);
  sqlite3_finalize (stmt);
  sqlite3_close (db);

  source = cd_mbtiles_source_new (path, &error);
  g_assert_no_error (error);

  /* XYZ row 3 (the southern edge of zoom 2) is TMS row 0. */
  fetch (SHUMATE_DATA_SOURCE (source), 1, 3, 2, &fe);
  g_assert_no_error (fe.error);
  g_assert_true (g_bytes_equal (fe.bytes, marker));
  fetch_clear (&fe);

  fetch (SHUMATE_DATA_SOURCE (source), 1, 0, 2, &fe);
  g_assert_no_error (fe.error);
  assert_tile (fe.bytes, 1, 0, 2);
  fetch_clear (&fe);
}

static void
test_reader_received_data_first (Fixture       *f,
                                 gconstpointer  data)
{
  g_autofree char *path = make_file (f, "grid.mbtiles", CD_MBTILES_WRITER_NONE, 1, 2, TRUE);
  g_autoptr(GError) error = NULL;
  g_autoptr(CdMbtilesSource) source = cd_mbtiles_source_new (path, &error);
  Fetch fe;

  g_assert_no_error (error);
  fetch (SHUMATE_DATA_SOURCE (source), 2, 1, 2, &fe);
  g_assert_no_error (fe.error);
  /* libshumate 1.0.3 draws only what arrives through ::received-data. */
  g_assert_cmpstr (fe.order->str, ==, "rc");
  g_assert_cmpint (fe.rx, ==, 2);
  g_assert_cmpint (fe.ry, ==, 1);
  g_assert_cmpint (fe.rz, ==, 2);
  g_assert_true (g_bytes_equal (fe.received, fe.bytes));
  fetch_clear (&fe);
}

static void
test_reader_missing_tile (Fixture       *f,
                          gconstpointer  data)
{
  g_autofree char *path = make_file (f, "holes.mbtiles", CD_MBTILES_WRITER_NONE, 1, 2, TRUE);
  g_autoptr(GError) error = NULL;
  g_autoptr(CdMbtilesSource) source = NULL;
  Fetch fe;

  exec_sql (path, "DELETE FROM tiles WHERE zoom_level = 2 AND tile_column = 3 AND tile_row = 0");
  source = cd_mbtiles_source_new (path, &error);
  g_assert_no_error (error);

  /* Deleted (XYZ 3/3 is TMS row 0), outside the zoom range, outside the world. */
  fetch (SHUMATE_DATA_SOURCE (source), 3, 3, 2, &fe);
  g_assert_error (fe.error, CD_MBTILES_ERROR, CD_MBTILES_ERROR_MISSING_TILE);
  g_assert_null (fe.bytes);
  g_assert_cmpstr (fe.order->str, ==, "c");
  fetch_clear (&fe);

  fetch (SHUMATE_DATA_SOURCE (source), 0, 0, 5, &fe);
  g_assert_error (fe.error, CD_MBTILES_ERROR, CD_MBTILES_ERROR_MISSING_TILE);
  fetch_clear (&fe);

  fetch (SHUMATE_DATA_SOURCE (source), 9, 0, 2, &fe);
  g_assert_error (fe.error, CD_MBTILES_ERROR, CD_MBTILES_ERROR_MISSING_TILE);
  fetch_clear (&fe);

  /* Its neighbours are still there. */
  fetch (SHUMATE_DATA_SOURCE (source), 3, 2, 2, &fe);
  g_assert_no_error (fe.error);
  assert_tile (fe.bytes, 3, 2, 2);
  fetch_clear (&fe);
}

static void
test_reader_metadata (Fixture       *f,
                      gconstpointer  data)
{
  g_autofree char *path = make_file (f, "meta.mbtiles", CD_MBTILES_WRITER_DEDUPLICATE, 1, 3, TRUE);
  g_autofree char *bare = make_file (f, "bare.mbtiles", CD_MBTILES_WRITER_NONE, 2, 3, FALSE);
  g_autoptr(GError) error = NULL;
  g_autoptr(CdMbtilesSource) source = cd_mbtiles_source_new (path, &error);
  g_autoptr(CdMbtilesSource) bare_source = NULL;
  g_autofree char *credit = NULL;
  const CdMbtilesMetadata *md;
  CdTileBounds b;

  g_assert_no_error (error);
  md = cd_mbtiles_source_get_metadata (source);
  g_assert_cmpstr (cd_mbtiles_source_get_name (source), ==, "Test tiles");
  g_assert_cmpstr (md->format, ==, "png");
  g_assert_cmpint (cd_mbtiles_source_get_min_zoom (source), ==, 1);
  g_assert_cmpint (cd_mbtiles_source_get_max_zoom (source), ==, 3);
  g_assert_true (cd_mbtiles_source_get_bounds (source, &b));
  g_assert_cmpfloat_with_epsilon (b.west, -10.5, 1e-9);
  g_assert_cmpfloat_with_epsilon (b.south, 20.25, 1e-9);
  g_assert_cmpfloat_with_epsilon (b.east, 30, 1e-9);
  g_assert_cmpfloat_with_epsilon (b.north, 40.125, 1e-9);
  g_assert_true (md->has_center);
  g_assert_cmpfloat_with_epsilon (md->center_lon, 10, 1e-9);
  g_assert_cmpfloat_with_epsilon (md->center_lat, 30, 1e-9);
  g_assert_cmpint (md->center_zoom, ==, 2);

  /* ShumateLicense shows plain text. */
  credit = cd_tiles_attribution_to_text (cd_mbtiles_source_get_attribution (source));
  g_assert_cmpstr (credit, ==, "© Test & friends");

  /* No metadata at all: the zoom range comes from the tiles. */
  bare_source = cd_mbtiles_source_new (bare, &error);
  g_assert_no_error (error);
  g_assert_cmpint (cd_mbtiles_source_get_min_zoom (bare_source), ==, 2);
  g_assert_cmpint (cd_mbtiles_source_get_max_zoom (bare_source), ==, 3);
  g_assert_false (cd_mbtiles_source_get_bounds (bare_source, &b));
  g_assert_null (cd_mbtiles_source_get_name (bare_source));
  g_assert_null (cd_mbtiles_source_get_attribution (bare_source));
}

static void
test_reader_bad_metadata (Fixture       *f,
                          gconstpointer  data)
{
  g_autofree char *path = make_file (f, "odd.mbtiles", CD_MBTILES_WRITER_NONE, 1, 2, FALSE);
  g_autoptr(GError) error = NULL;
  g_autoptr(CdMbtilesSource) source = NULL;
  CdTileBounds b;

  /* Malformed values are ignored, not trusted. */
  exec_sql (path, "INSERT INTO metadata VALUES ('bounds', '1,2,3');"
                  "INSERT INTO metadata VALUES ('minzoom', 'seven');"
                  "INSERT INTO metadata VALUES ('maxzoom', '99');"
                  "INSERT INTO metadata VALUES ('center', 'a,b');");
  source = cd_mbtiles_source_new (path, &error);
  g_assert_no_error (error);
  g_assert_false (cd_mbtiles_source_get_bounds (source, &b));
  g_assert_false (cd_mbtiles_source_get_metadata (source)->has_center);
  g_assert_cmpint (cd_mbtiles_source_get_min_zoom (source), ==, 1);
  g_assert_cmpint (cd_mbtiles_source_get_max_zoom (source), ==, 2);
}

static void
test_reader_not_found (Fixture       *f,
                       gconstpointer  data)
{
  g_autofree char *path = g_build_filename (f->dir, "nowhere.mbtiles", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(CdMbtilesSource) source = cd_mbtiles_source_new (path, &error);

  g_assert_null (source);
  g_assert_error (error, CD_MBTILES_ERROR, CD_MBTILES_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "nowhere.mbtiles"));
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
}

static void
test_reader_not_mbtiles (Fixture       *f,
                         gconstpointer  data)
{
  g_autofree char *text = g_build_filename (f->dir, "notes.mbtiles", NULL);
  g_autofree char *other = g_build_filename (f->dir, "other.db", NULL);
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(CdMbtilesSource) source = NULL;
  CdMbtilesWriter *writer;
  gsize n_before, n_after;

  g_assert_true (g_file_set_contents (text, "This is a text file, not a map.\n", -1, NULL));
  source = cd_mbtiles_source_new (text, &error);
  g_assert_null (source);
  g_assert_error (error, CD_MBTILES_ERROR, CD_MBTILES_ERROR_NOT_MBTILES);
  g_clear_error (&error);

  /* An SQLite database of something else: refused, and left untouched. */
  exec_sql (other, "CREATE TABLE people (name TEXT); INSERT INTO people VALUES ('Wang Fang');");
  source = cd_mbtiles_source_new (other, &error);
  g_assert_null (source);
  g_assert_error (error, CD_MBTILES_ERROR, CD_MBTILES_ERROR_NOT_MBTILES);
  g_clear_error (&error);

  g_assert_true (g_file_get_contents (other, &before, &n_before, NULL));
  writer = cd_mbtiles_writer_open (other, CD_MBTILES_WRITER_NONE, &error);
  g_assert_null (writer);
  g_assert_error (error, CD_MBTILES_ERROR, CD_MBTILES_ERROR_NOT_MBTILES);
  g_assert_true (g_file_get_contents (other, &after, &n_after, NULL));
  g_assert_cmpmem (before, n_before, after, n_after);
}

static void
test_reader_corrupt_header (Fixture       *f,
                            gconstpointer  data)
{
  g_autofree char *path = make_file (f, "broken.mbtiles", CD_MBTILES_WRITER_NONE, 1, 2, TRUE);
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(CdMbtilesSource) source = NULL;
  gsize len;

  /* The SQLite magic survives; the rest of the header page does not. */
  g_assert_true (g_file_get_contents (path, &contents, &len, NULL));
  for (gsize i = 16; i < MIN (len, 4096); i++)
    contents[i] = (char) (i * 7 + 13);
  g_assert_true (g_file_set_contents (path, contents, len, NULL));

  source = cd_mbtiles_source_new (path, &error);
  g_assert_null (source);
  g_assert_error (error, CD_MBTILES_ERROR, CD_MBTILES_ERROR_CORRUPT);
}

/* Damaged pages past the schema: opening may work; reading must fail
 * cleanly, never return a wrong tile, never crash. */
static void
check_damaged_file (const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CdMbtilesSource) source = cd_mbtiles_source_new (path, &error);
  guint n_errors = 0, n_good = 0;

  if (source == NULL)
    {
      g_assert_true (error->domain == CD_MBTILES_ERROR);
      g_assert_true (error->code == CD_MBTILES_ERROR_CORRUPT || error->code == CD_MBTILES_ERROR_NOT_MBTILES);
      return;
    }

  for (int x = 0; x < 8; x++)
    for (int y = 0; y < 8; y++)
      {
        Fetch fe;

        fetch (SHUMATE_DATA_SOURCE (source), x, y, 3, &fe);
        if (fe.error != NULL)
          {
            g_assert_true (fe.error->domain == CD_MBTILES_ERROR);
            g_assert_true (fe.error->code == CD_MBTILES_ERROR_CORRUPT
                           || fe.error->code == CD_MBTILES_ERROR_MISSING_TILE);
            g_assert_null (fe.received);
            n_errors++;
          }
        else
          {
            assert_tile (fe.bytes, x, y, 3);
            n_good++;
          }
        fetch_clear (&fe);
      }
  g_test_message ("%u tiles read, %u refused", n_good, n_errors);
  g_assert_cmpuint (n_errors, >, 0);
}

static void
test_reader_corrupt_pages (Fixture       *f,
                           gconstpointer  data)
{
  g_autofree char *path = make_file (f, "damaged.mbtiles", CD_MBTILES_WRITER_NONE, 3, 3, TRUE);
  g_autofree char *contents = NULL;
  gsize len;

  g_assert_true (g_file_get_contents (path, &contents, &len, NULL));
  g_assert_cmpuint (len, >, 64 * 1024);
  for (gsize i = len / 3; i < len / 3 * 2; i++)
    contents[i] = (char) (i * 31 + 5);
  g_assert_true (g_file_set_contents (path, contents, len, NULL));

  check_damaged_file (path);
}

static void
test_reader_truncated (Fixture       *f,
                       gconstpointer  data)
{
  g_autofree char *path = make_file (f, "short.mbtiles", CD_MBTILES_WRITER_NONE, 3, 3, TRUE);
  g_autofree char *contents = NULL;
  gsize len;

  g_assert_true (g_file_get_contents (path, &contents, &len, NULL));
  g_assert_true (g_file_set_contents (path, contents, len / 2, NULL));

  check_damaged_file (path);
}

static void
test_reader_not_an_image (Fixture       *f,
                          gconstpointer  data)
{
  g_autofree char *path = make_file (f, "junk.mbtiles", CD_MBTILES_WRITER_NONE, 1, 1, TRUE);
  g_autoptr(GError) error = NULL;
  g_autoptr(CdMbtilesSource) source = NULL;
  Fetch fe;

  exec_sql (path, "UPDATE tiles SET tile_data = X'DEADBEEF00' WHERE tile_column = 0 AND tile_row = 1");
  source = cd_mbtiles_source_new (path, &error);
  g_assert_no_error (error);

  /* XYZ (0, 0) is TMS row 1. Not handed to the renderer, which would warn. */
  fetch (SHUMATE_DATA_SOURCE (source), 0, 0, 1, &fe);
  g_assert_error (fe.error, CD_MBTILES_ERROR, CD_MBTILES_ERROR_CORRUPT);
  g_assert_cmpstr (fe.order->str, ==, "c");
  fetch_clear (&fe);
}

static void
test_reader_vector_refused (Fixture       *f,
                            gconstpointer  data)
{
  g_autofree char *path = make_file (f, "vector.mbtiles", CD_MBTILES_WRITER_NONE, 1, 1, TRUE);
  g_autoptr(GError) error = NULL;
  g_autoptr(CdMbtilesSource) source = NULL;

  exec_sql (path, "UPDATE metadata SET value = 'pbf' WHERE name = 'format'");
  source = cd_mbtiles_source_new (path, &error);
  g_assert_null (source);
  g_assert_error (error, CD_MBTILES_ERROR, CD_MBTILES_ERROR_UNSUPPORTED);
}

static void
test_reader_empty (Fixture       *f,
                   gconstpointer  data)
{
  g_autofree char *path = g_build_filename (f->dir, "empty.mbtiles", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(CdMbtilesSource) source = NULL;
  CdMbtilesWriter *w = cd_mbtiles_writer_open (path, CD_MBTILES_WRITER_NONE, &error);

  g_assert_no_error (error);
  g_assert_true (cd_mbtiles_writer_close (w, &error));

  source = cd_mbtiles_source_new (path, &error);
  g_assert_null (source);
  g_assert_error (error, CD_MBTILES_ERROR, CD_MBTILES_ERROR_EMPTY);
}

/* The read waits on a lock another connection holds. If it ran on the
 * main thread, the main loop would stop until the lock went away. */
static gboolean
ticked_cb (gpointer user_data)
{
  (*(guint *) user_data)++;
  return G_SOURCE_CONTINUE;
}

static void
test_reader_off_main_thread (Fixture       *f,
                             gconstpointer  data)
{
  g_autofree char *path = make_file (f, "locked.mbtiles", CD_MBTILES_WRITER_NONE, 1, 2, TRUE);
  g_autoptr(GError) error = NULL;
  g_autoptr(CdMbtilesSource) source = cd_mbtiles_source_new (path, &error);
  sqlite3 *db = NULL;
  guint ticks = 0, tick_id;
  gint64 until;
  Fetch fe;

  g_assert_no_error (error);
  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, "BEGIN EXCLUSIVE", NULL, NULL, NULL), ==, SQLITE_OK);

  tick_id = g_timeout_add (10, ticked_cb, &ticks);
  fetch_start (SHUMATE_DATA_SOURCE (source), 1, 2, 2, &fe);
  until = g_get_monotonic_time () + 400 * 1000;
  while (g_get_monotonic_time () < until)
    g_main_context_iteration (NULL, FALSE);

  g_assert_false (fe.done);          /* still waiting for the lock ... */
  g_assert_cmpuint (ticks, >=, 10);  /* ... while the main loop runs */

  g_assert_cmpint (sqlite3_exec (db, "ROLLBACK", NULL, NULL, NULL), ==, SQLITE_OK);
  fetch_wait (SHUMATE_DATA_SOURCE (source), &fe);
  g_assert_no_error (fe.error);
  assert_tile (fe.bytes, 1, 2, 2);
  fetch_clear (&fe);

  g_source_remove (tick_id);
  sqlite3_close (db);
}

static void
test_reader_parallel (Fixture       *f,
                      gconstpointer  data)
{
  g_autofree char *path = make_file (f, "grid.mbtiles", CD_MBTILES_WRITER_DEDUPLICATE, 3, 3, TRUE);
  g_autoptr(GError) error = NULL;
  g_autoptr(CdMbtilesSource) source = cd_mbtiles_source_new (path, &error);
  Fetch fe[64];
  gboolean all_done = FALSE;

  g_assert_no_error (error);
  for (int i = 0; i < 64; i++)
    {
      memset (&fe[i], 0, sizeof fe[i]);
      fe[i].order = g_string_new (NULL);
      shumate_data_source_get_tile_data_async (SHUMATE_DATA_SOURCE (source), i % 8, i / 8, 3,
                                               NULL, fetched_cb, &fe[i]);
    }
  for (gint64 deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
       !all_done && g_get_monotonic_time () < deadline;)
    {
      g_main_context_iteration (NULL, TRUE);
      all_done = TRUE;
      for (int i = 0; i < 64; i++)
        all_done = all_done && fe[i].done;
    }
  g_assert_true (all_done);
  for (int i = 0; i < 64; i++)
    {
      g_assert_no_error (fe[i].error);
      assert_tile (fe[i].bytes, i % 8, i / 8, 3);
      fetch_clear (&fe[i]);
    }
}

static void
test_reader_cancelled (Fixture       *f,
                       gconstpointer  data)
{
  g_autofree char *path = make_file (f, "grid.mbtiles", CD_MBTILES_WRITER_NONE, 1, 1, TRUE);
  g_autoptr(GError) error = NULL;
  g_autoptr(CdMbtilesSource) source = cd_mbtiles_source_new (path, &error);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  Fetch fe = { 0 };

  g_assert_no_error (error);
  fe.order = g_string_new (NULL);
  g_cancellable_cancel (cancellable);
  shumate_data_source_get_tile_data_async (SHUMATE_DATA_SOURCE (source), 0, 0, 1, cancellable, fetched_cb, &fe);
  g_assert_true (wait_for (&fe.done, 10));
  g_assert_error (fe.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  fetch_clear (&fe);
}

/* "Both": the file first, then the tile server for what it lacks. */
static void
test_source_fallback (Fixture       *f,
                      gconstpointer  data)
{
  g_autofree char *path = make_file (f, "part.mbtiles", CD_MBTILES_WRITER_NONE, 1, 2, TRUE);
  g_autofree char *cache = g_build_filename (f->dir, "cache", NULL);
  TileServer *ts = tile_server_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(CdMbtilesSource) source = NULL;
  g_autoptr(CdOnlineSource) online = NULL;
  Fetch fe;

  exec_sql (path, "DELETE FROM tiles WHERE zoom_level = 2 AND tile_column = 0 AND tile_row = 3");
  source = cd_mbtiles_source_new (path, &error);
  g_assert_no_error (error);
  online = cd_online_source_new (ts->url_template, 10, cache);
  cd_mbtiles_source_set_fallback (source, SHUMATE_DATA_SOURCE (online));

  /* In the file: the server is not asked. */
  fetch (SHUMATE_DATA_SOURCE (source), 1, 1, 2, &fe);
  g_assert_no_error (fe.error);
  assert_tile (fe.bytes, 1, 1, 2);
  g_assert_cmpuint (ts->n_requests, ==, 0);
  fetch_clear (&fe);

  /* Missing from the file (XYZ 0/0 = TMS row 3): from the server, and
   * announced through this source's own ::received-data. */
  fetch (SHUMATE_DATA_SOURCE (source), 0, 0, 2, &fe);
  g_assert_no_error (fe.error);
  assert_tile (fe.bytes, 0, 0, 2);
  g_assert_cmpuint (tile_server_count (ts, 0, 0, 2), ==, 1);
  g_assert_cmpstr (fe.order->str, ==, "rc");
  g_assert_true (g_bytes_equal (fe.received, fe.bytes));
  g_assert_nonnull (strstr (ts->user_agent, "Crewdesk/"));
  fetch_clear (&fe);

  /* Beyond the file's zoom levels. */
  fetch (SHUMATE_DATA_SOURCE (source), 5, 6, 4, &fe);
  g_assert_no_error (fe.error);
  assert_tile (fe.bytes, 5, 6, 4);
  g_assert_cmpuint (tile_server_count (ts, 5, 6, 4), ==, 1);
  fetch_clear (&fe);

  /* Without a fallback the hole is an error again. */
  cd_mbtiles_source_set_fallback (source, NULL);
  fetch (SHUMATE_DATA_SOURCE (source), 0, 0, 2, &fe);
  g_assert_error (fe.error, CD_MBTILES_ERROR, CD_MBTILES_ERROR_MISSING_TILE);
  fetch_clear (&fe);

  g_clear_object (&online);
  tile_server_free (ts);
}

static void
test_writer_append (Fixture       *f,
                    gconstpointer  data)
{
  CdMbtilesWriterFlags flags = GPOINTER_TO_INT (data);
  g_autofree char *path = make_file (f, "grow.mbtiles", flags, 1, 1, TRUE);
  g_autoptr(GBytes) png = png_of_tile (2, 2, 2);
  g_autoptr(GError) error = NULL;
  g_autoptr(CdMbtilesReader) reader = NULL;
  g_autoptr(CdMbtilesMetadata) md = NULL;
  g_autoptr(GBytes) back = NULL;
  CdMbtilesWriter *w;
  CdTileBounds world = { -85, -180, 85, 180 };
  guint64 n = 0, bytes = 0;

  w = cd_mbtiles_writer_open (path, CD_MBTILES_WRITER_NONE, &error);
  g_assert_no_error (error);
  g_assert_true (cd_mbtiles_writer_has_tile (w, 1, 0, 1));
  g_assert_false (cd_mbtiles_writer_has_tile (w, 2, 2, 2));
  g_assert_true (cd_mbtiles_writer_put_tile (w, 2, 2, 2, png, &error));
  /* The same image twice: stored once in the deduplicated layout. */
  g_assert_true (cd_mbtiles_writer_put_tile (w, 3, 3, 2, png, &error));
  if (flags & CD_MBTILES_WRITER_DEDUPLICATE)
    g_assert_cmpuint (cd_mbtiles_writer_count_images (w), ==, 5);
  g_assert_true (cd_mbtiles_writer_update_zoom_range (w, &error));
  g_assert_true (cd_mbtiles_writer_close (w, &error));
  g_assert_no_error (error);

  reader = cd_mbtiles_reader_open (path, &error);
  g_assert_no_error (error);
  md = cd_mbtiles_reader_read_metadata (reader, &error);
  g_assert_cmpint (md->min_zoom, ==, 1);
  g_assert_cmpint (md->max_zoom, ==, 2);
  back = cd_mbtiles_reader_read_tile (reader, 3, 3, 2, &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (back, png));
  g_assert_true (cd_mbtiles_reader_count_tiles (reader, &world, 0, 5, &n, &bytes, &error));
  g_assert_cmpuint (n, ==, 6);
  g_assert_cmpuint (bytes, >, 0);
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *home = isolate_user_dirs ();
  int status;

  g_test_init (&argc, &argv, NULL);

#define ADD(name, func, data) \
  g_test_add ("/tiles/mbtiles/" name, Fixture, data, fixture_setup, func, fixture_teardown)

  ADD ("reader/right-tile", test_reader_right_tile, GINT_TO_POINTER (CD_MBTILES_WRITER_NONE));
  ADD ("reader/right-tile-deduplicated", test_reader_right_tile, GINT_TO_POINTER (CD_MBTILES_WRITER_DEDUPLICATE));
  ADD ("reader/tms-row", test_reader_tms_row, NULL);
  ADD ("reader/received-data-first", test_reader_received_data_first, NULL);
  ADD ("reader/missing-tile", test_reader_missing_tile, NULL);
  ADD ("reader/metadata", test_reader_metadata, NULL);
  ADD ("reader/bad-metadata", test_reader_bad_metadata, NULL);
  ADD ("reader/not-found", test_reader_not_found, NULL);
  ADD ("reader/not-mbtiles", test_reader_not_mbtiles, NULL);
  ADD ("reader/corrupt-header", test_reader_corrupt_header, NULL);
  ADD ("reader/corrupt-pages", test_reader_corrupt_pages, NULL);
  ADD ("reader/truncated", test_reader_truncated, NULL);
  ADD ("reader/not-an-image", test_reader_not_an_image, NULL);
  ADD ("reader/vector-refused", test_reader_vector_refused, NULL);
  ADD ("reader/empty", test_reader_empty, NULL);
  ADD ("reader/off-main-thread", test_reader_off_main_thread, NULL);
  ADD ("reader/parallel", test_reader_parallel, NULL);
  ADD ("reader/cancelled", test_reader_cancelled, NULL);
  ADD ("source/fallback", test_source_fallback, NULL);
  ADD ("writer/append", test_writer_append, GINT_TO_POINTER (CD_MBTILES_WRITER_NONE));
  ADD ("writer/append-deduplicated", test_writer_append, GINT_TO_POINTER (CD_MBTILES_WRITER_DEDUPLICATE));

  status = g_test_run ();
  remove_tree (home);
  return status;
}
