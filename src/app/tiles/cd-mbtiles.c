/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-mbtiles.c: reading and writing MBTiles files. */
#include "config.h"

#undef G_LOG_DOMAIN
#define G_LOG_DOMAIN "CrewdeskTiles"

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "cd-mbtiles.h"

struct _CdMbtilesReader
{
  sqlite3      *db;
  sqlite3_stmt *tile_stmt;
  char         *path;
};

struct _CdMbtilesWriter
{
  sqlite3      *db;
  char         *path;
  gboolean      dedup;
  gboolean      in_transaction;
  guint         n_pending;
  sqlite3_stmt *has_stmt;
  sqlite3_stmt *put_tile_stmt;   /* plain layout */
  sqlite3_stmt *put_image_stmt;  /* deduplicated layout */
  sqlite3_stmt *put_map_stmt;
  sqlite3_stmt *del_meta_stmt;
  sqlite3_stmt *put_meta_stmt;
};

G_DEFINE_QUARK (cd-mbtiles-error-quark, cd_mbtiles_error)

#define TILE_QUERY \
  "SELECT tile_data FROM tiles WHERE zoom_level = ?1 AND tile_column = ?2 AND tile_row = ?3"

/* Helpers ---------------------------------------------------------------- */

static gboolean
file_has_sqlite_header (const char *path)
{
  char header[16] = { 0 };
  FILE *f = g_fopen (path, "rb");
  gsize n;

  if (f == NULL)
    return FALSE;
  n = fread (header, 1, sizeof header, f);
  fclose (f);
  return n == sizeof header && memcmp (header, "SQLite format 3", 16) == 0;
}

/* Turns an SQLite failure into a CD_MBTILES_ERROR with a sentence a user
 * can act on. */
static void
set_sqlite_error (GError     **error,
                  sqlite3     *db,
                  int          rc,
                  const char  *path)
{
  g_autofree char *display = g_filename_display_name (path);
  const char *detail = db ? sqlite3_errmsg (db) : sqlite3_errstr (rc);

  switch (rc & 0xff)
    {
    case SQLITE_NOTADB:
      if (file_has_sqlite_header (path))
        g_set_error (error, CD_MBTILES_ERROR, CD_MBTILES_ERROR_CORRUPT,
                     _("The map tile file “%s” is damaged (%s). Copy or download it again."),
                     display, detail);
      else
        g_set_error (error, CD_MBTILES_ERROR, CD_MBTILES_ERROR_NOT_MBTILES,
                     _("“%s” is not an MBTiles map tile file. Choose a file ending in .mbtiles that holds raster tiles."),
                     display);
      break;
    case SQLITE_CORRUPT:
      g_set_error (error, CD_MBTILES_ERROR, CD_MBTILES_ERROR_CORRUPT,
                   _("The map tile file “%s” is damaged (%s). Copy or download it again."),
                   display, detail);
      break;
    case SQLITE_FULL:
      g_set_error (error, CD_MBTILES_ERROR, CD_MBTILES_ERROR_FAILED,
                   _("The map tile file “%s” could not be written because the disk is full. Free some space and try again."),
                   display);
      break;
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
    case SQLITE_READONLY:
      g_set_error (error, CD_MBTILES_ERROR, CD_MBTILES_ERROR_FAILED,
                   _("The map tile file “%s” could not be opened (%s). Check that the folder exists and that you may write to it."),
                   display, detail);
      break;
    default:
      g_set_error (error, CD_MBTILES_ERROR, CD_MBTILES_ERROR_FAILED,
                   _("The map tile file “%s” could not be read or written (%s). Try again; if it keeps failing, choose another file."),
                   display, detail);
      break;
    }
}

static void
set_not_mbtiles (GError     **error,
                 const char  *path)
{
  g_autofree char *display = g_filename_display_name (path);

  g_set_error (error, CD_MBTILES_ERROR, CD_MBTILES_ERROR_NOT_MBTILES,
               _("“%s” is not an MBTiles map tile file. Choose a file ending in .mbtiles that holds raster tiles."),
               display);
}

/* "table", "view" or NULL. */
static char *
object_type (sqlite3    *db,
             const char *name,
             int        *rc_out)
{
  sqlite3_stmt *stmt = NULL;
  char *type = NULL;
  int rc;

  rc = sqlite3_prepare_v2 (db, "SELECT type FROM sqlite_master WHERE name = ?1", -1, &stmt, NULL);
  if (rc == SQLITE_OK)
    {
      sqlite3_bind_text (stmt, 1, name, -1, SQLITE_STATIC);
      rc = sqlite3_step (stmt);
      if (rc == SQLITE_ROW)
        {
          type = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
          rc = SQLITE_OK;
        }
      else if (rc == SQLITE_DONE)
        rc = SQLITE_OK;
    }
  sqlite3_finalize (stmt);
  *rc_out = rc;
  return type;
}

static gboolean
parse_zoom (const char *text,
            int        *zoom)
{
  gint64 v;

  if (text == NULL || !g_ascii_string_to_signed (text, 10, 0, CD_TILE_MAX_ZOOM, &v, NULL))
    return FALSE;
  *zoom = (int) v;
  return TRUE;
}

/* "lon,lat,zoom" */
static gboolean
parse_center (const char        *text,
              CdMbtilesMetadata *md)
{
  g_auto(GStrv) parts = NULL;
  double v[2];
  guint n;

  if (text == NULL)
    return FALSE;
  parts = g_strsplit (text, ",", -1);
  n = g_strv_length (parts);
  if (n != 2 && n != 3)
    return FALSE;
  for (guint i = 0; i < 2; i++)
    {
      char *end = NULL;
      const char *s = g_strstrip (parts[i]);

      v[i] = g_ascii_strtod (s, &end);
      if (*s == '\0' || *end != '\0')
        return FALSE;
    }
  if (v[0] < -180 || v[0] > 180 || v[1] < -90 || v[1] > 90)
    return FALSE;
  md->center_lon = v[0];
  md->center_lat = v[1];
  md->center_zoom = -1;
  if (n == 3 && !parse_zoom (g_strstrip (parts[2]), &md->center_zoom))
    md->center_zoom = -1;
  return TRUE;
}

/* Metadata ---------------------------------------------------------------- */

void
cd_mbtiles_metadata_free (CdMbtilesMetadata *metadata)
{
  if (metadata == NULL)
    return;
  g_free (metadata->name);
  g_free (metadata->format);
  g_free (metadata->attribution);
  g_free (metadata->description);
  g_free (metadata);
}

/* Reader ------------------------------------------------------------------ */

CdMbtilesReader *
cd_mbtiles_reader_open (const char  *path,
                        GError     **error)
{
  g_autoptr(CdMbtilesReader) reader = NULL;
  int rc;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
    {
      g_autofree char *display = g_filename_display_name (path);

      g_set_error (error, CD_MBTILES_ERROR, CD_MBTILES_ERROR_NOT_FOUND,
                   _("The map tile file “%s” does not exist. Choose another file in the map preferences."),
                   display);
      return NULL;
    }

  reader = g_new0 (CdMbtilesReader, 1);
  reader->path = g_strdup (path);

  /* NOMUTEX: each reader is used by one thread at a time. */
  rc = sqlite3_open_v2 (path, &reader->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
  if (rc != SQLITE_OK)
    {
      set_sqlite_error (error, reader->db, rc, path);
      return NULL;
    }
  sqlite3_extended_result_codes (reader->db, TRUE);
  /* A region download may be committing into the same file. */
  sqlite3_busy_timeout (reader->db, 2000);

  rc = sqlite3_prepare_v2 (reader->db, TILE_QUERY, -1, &reader->tile_stmt, NULL);
  if (rc != SQLITE_OK)
    {
      /* "no such table/column" is SQLITE_ERROR: a database, but not ours. */
      if ((rc & 0xff) == SQLITE_ERROR)
        set_not_mbtiles (error, path);
      else
        set_sqlite_error (error, reader->db, rc, path);
      return NULL;
    }

  return g_steal_pointer (&reader);
}

void
cd_mbtiles_reader_free (CdMbtilesReader *reader)
{
  if (reader == NULL)
    return;
  sqlite3_finalize (reader->tile_stmt);
  sqlite3_close (reader->db);
  g_free (reader->path);
  g_free (reader);
}

const char *
cd_mbtiles_reader_get_path (CdMbtilesReader *reader)
{
  g_return_val_if_fail (reader != NULL, NULL);

  return reader->path;
}

CdMbtilesMetadata *
cd_mbtiles_reader_read_metadata (CdMbtilesReader  *reader,
                                 GError          **error)
{
  g_autoptr(CdMbtilesMetadata) md = NULL;
  g_autofree char *meta_type = NULL;
  sqlite3_stmt *stmt = NULL;
  gboolean have_min = FALSE, have_max = FALSE;
  int rc;

  g_return_val_if_fail (reader != NULL, NULL);

  md = g_new0 (CdMbtilesMetadata, 1);
  md->min_zoom = md->max_zoom = md->center_zoom = -1;

  meta_type = object_type (reader->db, "metadata", &rc);
  if (rc != SQLITE_OK)
    {
      set_sqlite_error (error, reader->db, rc, reader->path);
      return NULL;
    }

  /* The spec requires the table, but files without it exist; they are
   * readable, just undescribed. */
  if (meta_type != NULL)
    {
      rc = sqlite3_prepare_v2 (reader->db, "SELECT name, value FROM metadata", -1, &stmt, NULL);
      if (rc != SQLITE_OK)
        {
          if ((rc & 0xff) == SQLITE_ERROR)
            set_not_mbtiles (error, reader->path);
          else
            set_sqlite_error (error, reader->db, rc, reader->path);
          return NULL;
        }

      while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
        {
          const char *name = (const char *) sqlite3_column_text (stmt, 0);
          const char *value = (const char *) sqlite3_column_text (stmt, 1);

          if (name == NULL || value == NULL)
            continue;

          if (g_str_equal (name, "name"))
            {
              g_free (md->name);
              md->name = g_strdup (value);
            }
          else if (g_str_equal (name, "format"))
            {
              g_free (md->format);
              md->format = g_ascii_strdown (value, -1);
            }
          else if (g_str_equal (name, "attribution"))
            {
              g_free (md->attribution);
              md->attribution = g_strdup (value);
            }
          else if (g_str_equal (name, "description"))
            {
              g_free (md->description);
              md->description = g_strdup (value);
            }
          else if (g_str_equal (name, "bounds"))
            md->has_bounds = cd_tile_bounds_parse (value, &md->bounds);
          else if (g_str_equal (name, "center"))
            md->has_center = parse_center (value, md);
          else if (g_str_equal (name, "minzoom"))
            have_min = parse_zoom (value, &md->min_zoom);
          else if (g_str_equal (name, "maxzoom"))
            have_max = parse_zoom (value, &md->max_zoom);
        }
      sqlite3_finalize (stmt);
      if (rc != SQLITE_DONE)
        {
          set_sqlite_error (error, reader->db, rc, reader->path);
          return NULL;
        }
    }

  if (!have_min || !have_max || md->min_zoom > md->max_zoom)
    {
      rc = sqlite3_prepare_v2 (reader->db, "SELECT MIN(zoom_level), MAX(zoom_level) FROM tiles",
                               -1, &stmt, NULL);
      if (rc == SQLITE_OK)
        rc = sqlite3_step (stmt);
      if (rc != SQLITE_ROW)
        {
          set_sqlite_error (error, reader->db, rc, reader->path);
          sqlite3_finalize (stmt);
          return NULL;
        }
      if (sqlite3_column_type (stmt, 0) == SQLITE_NULL)
        md->min_zoom = md->max_zoom = -1;
      else
        {
          md->min_zoom = CLAMP (sqlite3_column_int (stmt, 0), 0, CD_TILE_MAX_ZOOM);
          md->max_zoom = CLAMP (sqlite3_column_int (stmt, 1), 0, CD_TILE_MAX_ZOOM);
        }
      sqlite3_finalize (stmt);
    }

  return g_steal_pointer (&md);
}

GBytes *
cd_mbtiles_reader_read_tile (CdMbtilesReader  *reader,
                             int               x,
                             int               y,
                             int               zoom,
                             GError          **error)
{
  GBytes *bytes = NULL;
  const char *format;
  int rc;

  g_return_val_if_fail (reader != NULL, NULL);

  if (zoom < 0 || zoom > CD_TILE_MAX_ZOOM || x < 0 || y < 0 || x >= (1 << zoom) || y >= (1 << zoom))
    {
      g_set_error (error, CD_MBTILES_ERROR, CD_MBTILES_ERROR_MISSING_TILE,
                   "There is no tile %d/%d/%d", zoom, x, y);
      return NULL;
    }

  sqlite3_reset (reader->tile_stmt);
  sqlite3_bind_int (reader->tile_stmt, 1, zoom);
  sqlite3_bind_int (reader->tile_stmt, 2, x);
  sqlite3_bind_int (reader->tile_stmt, 3, cd_tile_tms_row (y, zoom));

  rc = sqlite3_step (reader->tile_stmt);
  if (rc == SQLITE_DONE)
    {
      g_set_error (error, CD_MBTILES_ERROR, CD_MBTILES_ERROR_MISSING_TILE,
                   "The file has no tile %d/%d/%d", zoom, x, y);
      sqlite3_reset (reader->tile_stmt);
      return NULL;
    }
  if (rc != SQLITE_ROW)
    {
      set_sqlite_error (error, reader->db, rc, reader->path);
      sqlite3_reset (reader->tile_stmt);
      return NULL;
    }

  bytes = g_bytes_new (sqlite3_column_blob (reader->tile_stmt, 0),
                       sqlite3_column_bytes (reader->tile_stmt, 0));
  sqlite3_reset (reader->tile_stmt);

  format = cd_tile_sniff_format (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  if (format == NULL)
    {
      g_autofree char *display = g_filename_display_name (reader->path);

      g_set_error (error, CD_MBTILES_ERROR, CD_MBTILES_ERROR_CORRUPT,
                   _("The tile %d/%d/%d in “%s” is not an image. The file may be damaged; copy or download it again."),
                   zoom, x, y, display);
      g_bytes_unref (bytes);
      return NULL;
    }
  if (g_str_equal (format, "pbf"))
    {
      g_autofree char *display = g_filename_display_name (reader->path);

      g_set_error (error, CD_MBTILES_ERROR, CD_MBTILES_ERROR_UNSUPPORTED,
                   _("“%s” holds vector tiles, which this version of the map cannot draw. Choose a file with raster (PNG or JPEG) tiles."),
                   display);
      g_bytes_unref (bytes);
      return NULL;
    }

  return bytes;
}

gboolean
cd_mbtiles_reader_count_tiles (CdMbtilesReader     *reader,
                               const CdTileBounds  *bounds,
                               int                  min_zoom,
                               int                  max_zoom,
                               guint64             *n_tiles,
                               guint64             *n_bytes,
                               GError             **error)
{
  sqlite3_stmt *stmt = NULL;
  guint64 tiles = 0;
  double bytes = 0;
  int rc;

  g_return_val_if_fail (reader != NULL, FALSE);
  g_return_val_if_fail (bounds != NULL, FALSE);

  /* length() of a blob reads no overflow pages: cheap. */
  rc = sqlite3_prepare_v2 (reader->db,
                           "SELECT COUNT(*), TOTAL(LENGTH(tile_data)) FROM tiles"
                           " WHERE zoom_level = ?1 AND tile_column BETWEEN ?2 AND ?3"
                           " AND tile_row BETWEEN ?4 AND ?5",
                           -1, &stmt, NULL);
  if (rc != SQLITE_OK)
    {
      set_sqlite_error (error, reader->db, rc, reader->path);
      return FALSE;
    }

  for (int z = MAX (min_zoom, 0); z <= MIN (max_zoom, CD_TILE_MAX_ZOOM); z++)
    {
      CdTileRange r;

      cd_tile_range_for_bounds (bounds, z, &r);
      sqlite3_reset (stmt);
      sqlite3_bind_int (stmt, 1, z);
      sqlite3_bind_int (stmt, 2, r.x0);
      sqlite3_bind_int (stmt, 3, r.x1);
      sqlite3_bind_int (stmt, 4, cd_tile_tms_row (r.y1, z));
      sqlite3_bind_int (stmt, 5, cd_tile_tms_row (r.y0, z));
      rc = sqlite3_step (stmt);
      if (rc != SQLITE_ROW)
        {
          set_sqlite_error (error, reader->db, rc, reader->path);
          sqlite3_finalize (stmt);
          return FALSE;
        }
      tiles += (guint64) sqlite3_column_int64 (stmt, 0);
      bytes += sqlite3_column_double (stmt, 1);
    }
  sqlite3_finalize (stmt);

  if (n_tiles)
    *n_tiles = tiles;
  if (n_bytes)
    *n_bytes = (guint64) bytes;
  return TRUE;
}

/* Writer ------------------------------------------------------------------ */

static const char *schema_plain =
  "PRAGMA application_id = 1297105496;"
  "CREATE TABLE metadata (name TEXT, value TEXT);"
  "CREATE UNIQUE INDEX metadata_name ON metadata (name);"
  "CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB);"
  "CREATE UNIQUE INDEX tile_index ON tiles (zoom_level, tile_column, tile_row);";

static const char *schema_dedup =
  "PRAGMA application_id = 1297105496;"
  "CREATE TABLE metadata (name TEXT, value TEXT);"
  "CREATE UNIQUE INDEX metadata_name ON metadata (name);"
  "CREATE TABLE map (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_id TEXT);"
  "CREATE UNIQUE INDEX map_index ON map (zoom_level, tile_column, tile_row);"
  "CREATE TABLE images (tile_data BLOB, tile_id TEXT);"
  "CREATE UNIQUE INDEX images_id ON images (tile_id);"
  "CREATE VIEW tiles AS SELECT map.zoom_level AS zoom_level, map.tile_column AS tile_column,"
  " map.tile_row AS tile_row, images.tile_data AS tile_data"
  " FROM map JOIN images ON images.tile_id = map.tile_id;";

G_STATIC_ASSERT (CD_MBTILES_APPLICATION_ID == 1297105496);

static gboolean
writer_exec (CdMbtilesWriter  *writer,
             const char       *sql,
             GError          **error)
{
  int rc = sqlite3_exec (writer->db, sql, NULL, NULL, NULL);

  if (rc != SQLITE_OK)
    {
      set_sqlite_error (error, writer->db, rc, writer->path);
      return FALSE;
    }
  return TRUE;
}

static gboolean
writer_prepare (CdMbtilesWriter  *writer,
                const char       *sql,
                sqlite3_stmt    **stmt,
                GError          **error)
{
  int rc = sqlite3_prepare_v2 (writer->db, sql, -1, stmt, NULL);

  if (rc != SQLITE_OK)
    {
      if ((rc & 0xff) == SQLITE_ERROR)
        set_not_mbtiles (error, writer->path);
      else
        set_sqlite_error (error, writer->db, rc, writer->path);
      return FALSE;
    }
  return TRUE;
}

static gboolean
writer_begin (CdMbtilesWriter  *writer,
              GError          **error)
{
  if (writer->in_transaction)
    return TRUE;
  if (!writer_exec (writer, "BEGIN IMMEDIATE", error))
    return FALSE;
  writer->in_transaction = TRUE;
  return TRUE;
}

CdMbtilesWriter *
cd_mbtiles_writer_open (const char            *path,
                        CdMbtilesWriterFlags   flags,
                        GError               **error)
{
  g_autoptr(CdMbtilesWriter) writer = NULL;
  g_autofree char *tiles_type = NULL;
  g_autofree char *map_type = NULL;
  g_autofree char *meta_type = NULL;
  gboolean existed;
  int rc;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  existed = g_file_test (path, G_FILE_TEST_EXISTS);

  writer = g_new0 (CdMbtilesWriter, 1);
  writer->path = g_strdup (path);

  rc = sqlite3_open_v2 (path, &writer->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
  if (rc != SQLITE_OK)
    {
      set_sqlite_error (error, writer->db, rc, path);
      return NULL;
    }
  sqlite3_extended_result_codes (writer->db, TRUE);
  sqlite3_busy_timeout (writer->db, 5000);

  /* Reading the schema is the first access: a non-database fails here,
   * before anything is written. */
  tiles_type = object_type (writer->db, "tiles", &rc);
  if (rc != SQLITE_OK)
    {
      set_sqlite_error (error, writer->db, rc, path);
      return NULL;
    }
  map_type = object_type (writer->db, "map", &rc);
  meta_type = object_type (writer->db, "metadata", &rc);

  if (tiles_type == NULL)
    {
      int n_objects = 0;
      sqlite3_stmt *stmt = NULL;

      /* Only an empty database becomes an MBTiles file. */
      if (sqlite3_prepare_v2 (writer->db, "SELECT COUNT(*) FROM sqlite_master", -1, &stmt, NULL) == SQLITE_OK
          && sqlite3_step (stmt) == SQLITE_ROW)
        n_objects = sqlite3_column_int (stmt, 0);
      sqlite3_finalize (stmt);
      if (existed && n_objects > 0)
        {
          set_not_mbtiles (error, path);
          return NULL;
        }

      writer->dedup = (flags & CD_MBTILES_WRITER_DEDUPLICATE) != 0;
      if (!writer_exec (writer, "BEGIN", error)
          || !writer_exec (writer, writer->dedup ? schema_dedup : schema_plain, error)
          || !writer_exec (writer, "COMMIT", error))
        {
          sqlite3_exec (writer->db, "ROLLBACK", NULL, NULL, NULL);
          return NULL;
        }
    }
  else
    {
      writer->dedup = g_strcmp0 (tiles_type, "view") == 0 && g_strcmp0 (map_type, "table") == 0;
      if (g_strcmp0 (tiles_type, "table") != 0 && !writer->dedup)
        {
          set_not_mbtiles (error, path);
          return NULL;
        }
      if (meta_type == NULL && !writer_exec (writer, "CREATE TABLE metadata (name TEXT, value TEXT)", error))
        return NULL;
    }

  if (!writer_prepare (writer, TILE_QUERY, &writer->has_stmt, error)
      || !writer_prepare (writer, "DELETE FROM metadata WHERE name = ?1", &writer->del_meta_stmt, error)
      || !writer_prepare (writer, "INSERT INTO metadata (name, value) VALUES (?1, ?2)", &writer->put_meta_stmt, error))
    return NULL;

  if (writer->dedup)
    {
      if (!writer_prepare (writer, "INSERT OR IGNORE INTO images (tile_id, tile_data) VALUES (?1, ?2)",
                           &writer->put_image_stmt, error)
          || !writer_prepare (writer, "INSERT OR REPLACE INTO map (zoom_level, tile_column, tile_row, tile_id)"
                              " VALUES (?1, ?2, ?3, ?4)", &writer->put_map_stmt, error))
        return NULL;
    }
  else if (!writer_prepare (writer, "INSERT OR REPLACE INTO tiles (zoom_level, tile_column, tile_row, tile_data)"
                            " VALUES (?1, ?2, ?3, ?4)", &writer->put_tile_stmt, error))
    return NULL;

  return g_steal_pointer (&writer);
}

void
cd_mbtiles_writer_free (CdMbtilesWriter *writer)
{
  if (writer == NULL)
    return;
  if (writer->in_transaction)
    sqlite3_exec (writer->db, "ROLLBACK", NULL, NULL, NULL);
  sqlite3_finalize (writer->has_stmt);
  sqlite3_finalize (writer->put_tile_stmt);
  sqlite3_finalize (writer->put_image_stmt);
  sqlite3_finalize (writer->put_map_stmt);
  sqlite3_finalize (writer->del_meta_stmt);
  sqlite3_finalize (writer->put_meta_stmt);
  sqlite3_close (writer->db);
  g_free (writer->path);
  g_free (writer);
}

gboolean
cd_mbtiles_writer_set_metadata (CdMbtilesWriter  *writer,
                                const char       *name,
                                const char       *value,
                                GError          **error)
{
  int rc;

  g_return_val_if_fail (writer != NULL, FALSE);
  g_return_val_if_fail (name != NULL, FALSE);

  if (!writer_begin (writer, error))
    return FALSE;

  sqlite3_reset (writer->del_meta_stmt);
  sqlite3_bind_text (writer->del_meta_stmt, 1, name, -1, SQLITE_TRANSIENT);
  rc = sqlite3_step (writer->del_meta_stmt);
  sqlite3_reset (writer->del_meta_stmt);
  if (rc != SQLITE_DONE)
    {
      set_sqlite_error (error, writer->db, rc, writer->path);
      return FALSE;
    }

  if (value == NULL)
    return TRUE;

  sqlite3_reset (writer->put_meta_stmt);
  sqlite3_bind_text (writer->put_meta_stmt, 1, name, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (writer->put_meta_stmt, 2, value, -1, SQLITE_TRANSIENT);
  rc = sqlite3_step (writer->put_meta_stmt);
  sqlite3_reset (writer->put_meta_stmt);
  if (rc != SQLITE_DONE)
    {
      set_sqlite_error (error, writer->db, rc, writer->path);
      return FALSE;
    }
  return TRUE;
}

gboolean
cd_mbtiles_writer_has_tile (CdMbtilesWriter *writer,
                            int              x,
                            int              y,
                            int              zoom)
{
  gboolean found;

  g_return_val_if_fail (writer != NULL, FALSE);

  sqlite3_reset (writer->has_stmt);
  sqlite3_bind_int (writer->has_stmt, 1, zoom);
  sqlite3_bind_int (writer->has_stmt, 2, x);
  sqlite3_bind_int (writer->has_stmt, 3, cd_tile_tms_row (y, zoom));
  found = sqlite3_step (writer->has_stmt) == SQLITE_ROW;
  sqlite3_reset (writer->has_stmt);
  return found;
}

gboolean
cd_mbtiles_writer_put_tile (CdMbtilesWriter  *writer,
                            int               x,
                            int               y,
                            int               zoom,
                            GBytes           *data,
                            GError          **error)
{
  gconstpointer blob;
  gsize size;
  int rc;

  g_return_val_if_fail (writer != NULL, FALSE);
  g_return_val_if_fail (data != NULL, FALSE);
  g_return_val_if_fail (zoom >= 0 && zoom <= CD_TILE_MAX_ZOOM, FALSE);

  if (!writer_begin (writer, error))
    return FALSE;

  blob = g_bytes_get_data (data, &size);

  if (writer->dedup)
    {
      g_autofree char *id = g_compute_checksum_for_bytes (G_CHECKSUM_SHA1, data);

      sqlite3_reset (writer->put_image_stmt);
      sqlite3_bind_text (writer->put_image_stmt, 1, id, -1, SQLITE_STATIC);
      sqlite3_bind_blob64 (writer->put_image_stmt, 2, blob, size, SQLITE_STATIC);
      rc = sqlite3_step (writer->put_image_stmt);
      sqlite3_reset (writer->put_image_stmt);
      if (rc == SQLITE_DONE)
        {
          sqlite3_reset (writer->put_map_stmt);
          sqlite3_bind_int (writer->put_map_stmt, 1, zoom);
          sqlite3_bind_int (writer->put_map_stmt, 2, x);
          sqlite3_bind_int (writer->put_map_stmt, 3, cd_tile_tms_row (y, zoom));
          sqlite3_bind_text (writer->put_map_stmt, 4, id, -1, SQLITE_STATIC);
          rc = sqlite3_step (writer->put_map_stmt);
          sqlite3_reset (writer->put_map_stmt);
        }
    }
  else
    {
      sqlite3_reset (writer->put_tile_stmt);
      sqlite3_bind_int (writer->put_tile_stmt, 1, zoom);
      sqlite3_bind_int (writer->put_tile_stmt, 2, x);
      sqlite3_bind_int (writer->put_tile_stmt, 3, cd_tile_tms_row (y, zoom));
      sqlite3_bind_blob64 (writer->put_tile_stmt, 4, blob, size, SQLITE_STATIC);
      rc = sqlite3_step (writer->put_tile_stmt);
      sqlite3_reset (writer->put_tile_stmt);
    }

  if (rc != SQLITE_DONE)
    {
      set_sqlite_error (error, writer->db, rc, writer->path);
      return FALSE;
    }

  writer->n_pending++;
  return TRUE;
}

guint
cd_mbtiles_writer_get_n_pending (CdMbtilesWriter *writer)
{
  g_return_val_if_fail (writer != NULL, 0);

  return writer->n_pending;
}

gboolean
cd_mbtiles_writer_commit (CdMbtilesWriter  *writer,
                          GError          **error)
{
  g_return_val_if_fail (writer != NULL, FALSE);

  if (!writer->in_transaction)
    return TRUE;
  if (!writer_exec (writer, "COMMIT", error))
    return FALSE;
  writer->in_transaction = FALSE;
  writer->n_pending = 0;
  return TRUE;
}

gboolean
cd_mbtiles_writer_update_zoom_range (CdMbtilesWriter  *writer,
                                     GError          **error)
{
  sqlite3_stmt *stmt = NULL;
  char min_text[16], max_text[16];
  gboolean empty;
  int rc;

  g_return_val_if_fail (writer != NULL, FALSE);

  if (!writer_begin (writer, error))
    return FALSE;

  rc = sqlite3_prepare_v2 (writer->db,
                           writer->dedup ? "SELECT MIN(zoom_level), MAX(zoom_level) FROM map"
                                         : "SELECT MIN(zoom_level), MAX(zoom_level) FROM tiles",
                           -1, &stmt, NULL);
  if (rc == SQLITE_OK)
    rc = sqlite3_step (stmt);
  if (rc != SQLITE_ROW)
    {
      set_sqlite_error (error, writer->db, rc, writer->path);
      sqlite3_finalize (stmt);
      return FALSE;
    }
  empty = sqlite3_column_type (stmt, 0) == SQLITE_NULL;
  g_snprintf (min_text, sizeof min_text, "%d", sqlite3_column_int (stmt, 0));
  g_snprintf (max_text, sizeof max_text, "%d", sqlite3_column_int (stmt, 1));
  sqlite3_finalize (stmt);

  if (!empty
      && (!cd_mbtiles_writer_set_metadata (writer, "minzoom", min_text, error)
          || !cd_mbtiles_writer_set_metadata (writer, "maxzoom", max_text, error)))
    return FALSE;

  return cd_mbtiles_writer_commit (writer, error);
}

guint64
cd_mbtiles_writer_count_images (CdMbtilesWriter *writer)
{
  sqlite3_stmt *stmt = NULL;
  guint64 n = 0;

  g_return_val_if_fail (writer != NULL, 0);

  if (sqlite3_prepare_v2 (writer->db,
                          writer->dedup ? "SELECT COUNT(*) FROM images" : "SELECT COUNT(*) FROM tiles",
                          -1, &stmt, NULL) == SQLITE_OK
      && sqlite3_step (stmt) == SQLITE_ROW)
    n = (guint64) sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  return n;
}

gboolean
cd_mbtiles_writer_close (CdMbtilesWriter  *writer,
                         GError          **error)
{
  gboolean ok;

  g_return_val_if_fail (writer != NULL, FALSE);

  ok = cd_mbtiles_writer_commit (writer, error);
  cd_mbtiles_writer_free (writer);
  return ok;
}
