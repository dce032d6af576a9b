/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-mbtiles.h: MBTiles files (https://github.com/mapbox/mbtiles-spec):
 * an SQLite database of map tiles with a metadata table.
 *
 * Two plain handles, no GTK, no GObject, each used by one thread at a
 * time: a read-only reader (the map's tile source keeps a small pool of
 * them, one per reading thread) and a writer (region download, the
 * demo-city renderer).
 *
 * Tile coordinates in this API are the map's (XYZ: y counted from the
 * north). The file counts rows from the south (TMS); the flip happens
 * here and nowhere else.
 *
 * The writer creates the plain schema (a `tiles` table) or, with
 * CD_MBTILES_WRITER_DEDUPLICATE, the spec's `map` + `images` tables with
 * a `tiles` view, so identical tiles (open country, blank water) are
 * stored once. It appends to files of either layout.
 */
#pragma once

#include <glib.h>

#include "cd-tile-grid.h"

G_BEGIN_DECLS

#define CD_MBTILES_ERROR (cd_mbtiles_error_quark ())

typedef enum {
  CD_MBTILES_ERROR_NOT_FOUND,    /* no such file */
  CD_MBTILES_ERROR_NOT_MBTILES,  /* not SQLite, or SQLite without a tiles table */
  CD_MBTILES_ERROR_CORRUPT,      /* an SQLite file that is damaged, or a tile that is no image */
  CD_MBTILES_ERROR_UNSUPPORTED,  /* vector tiles (pbf): libshumate 1.0 draws raster only */
  CD_MBTILES_ERROR_EMPTY,        /* no tiles at all */
  CD_MBTILES_ERROR_MISSING_TILE, /* the file has no tile at these coordinates */
  CD_MBTILES_ERROR_FAILED,       /* I/O, locking, a full disk */
} CdMbtilesError;

GQuark cd_mbtiles_error_quark (void);

/* The spec's PRAGMA application_id, "MPBX". */
#define CD_MBTILES_APPLICATION_ID 0x4d504258

typedef struct {
  char         *name;
  char         *format;       /* "png", "jpg", "webp", "pbf"; NULL if unset */
  char         *attribution;  /* may hold HTML, as the spec allows */
  char         *description;
  int           min_zoom;     /* -1: no tiles */
  int           max_zoom;
  gboolean      has_bounds;
  CdTileBounds  bounds;
  gboolean      has_center;
  double        center_lat;
  double        center_lon;
  int           center_zoom;  /* -1 if not given */
} CdMbtilesMetadata;

void                 cd_mbtiles_metadata_free     (CdMbtilesMetadata *metadata);

typedef struct _CdMbtilesReader CdMbtilesReader;

/* Fails with NOT_FOUND, NOT_MBTILES or CORRUPT; never writes to the file. */
CdMbtilesReader     *cd_mbtiles_reader_open       (const char        *path,
                                                   GError           **error);
void                 cd_mbtiles_reader_free       (CdMbtilesReader   *reader);
const char          *cd_mbtiles_reader_get_path   (CdMbtilesReader   *reader);
/* min_zoom/max_zoom come from the metadata, or from the tiles when the
 * metadata lacks them. */
CdMbtilesMetadata   *cd_mbtiles_reader_read_metadata (CdMbtilesReader *reader,
                                                   GError           **error);
/* The image at XYZ (@y from the north). MISSING_TILE when there is none;
 * CORRUPT when the stored data is no image; UNSUPPORTED for a vector tile. */
GBytes              *cd_mbtiles_reader_read_tile  (CdMbtilesReader   *reader,
                                                   int                x,
                                                   int                y,
                                                   int                zoom,
                                                   GError           **error);
/* How many of the tiles covering @bounds at @min_zoom..@max_zoom the file
 * holds, and their size in bytes. */
gboolean             cd_mbtiles_reader_count_tiles (CdMbtilesReader  *reader,
                                                   const CdTileBounds *bounds,
                                                   int                min_zoom,
                                                   int                max_zoom,
                                                   guint64           *n_tiles,
                                                   guint64           *n_bytes,
                                                   GError           **error);

typedef enum {
  CD_MBTILES_WRITER_NONE        = 0,
  CD_MBTILES_WRITER_DEDUPLICATE = 1 << 0, /* a new file gets map + images */
} CdMbtilesWriterFlags;

typedef struct _CdMbtilesWriter CdMbtilesWriter;

/* Creates the file, or opens an existing MBTiles file to add to it.
 * Refuses (without writing) a file that is not MBTiles. */
CdMbtilesWriter     *cd_mbtiles_writer_open       (const char        *path,
                                                   CdMbtilesWriterFlags flags,
                                                   GError           **error);
/* Rolls back what was not committed and closes. */
void                 cd_mbtiles_writer_free       (CdMbtilesWriter   *writer);
gboolean             cd_mbtiles_writer_set_metadata (CdMbtilesWriter *writer,
                                                   const char        *name,
                                                   const char        *value,
                                                   GError           **error);
gboolean             cd_mbtiles_writer_has_tile   (CdMbtilesWriter   *writer,
                                                   int                x,
                                                   int                y,
                                                   int                zoom);
/* Replaces any tile at XYZ. Writes go into one transaction until
 * cd_mbtiles_writer_commit(). */
gboolean             cd_mbtiles_writer_put_tile   (CdMbtilesWriter   *writer,
                                                   int                x,
                                                   int                y,
                                                   int                zoom,
                                                   GBytes            *data,
                                                   GError           **error);
guint                cd_mbtiles_writer_get_n_pending (CdMbtilesWriter *writer);
gboolean             cd_mbtiles_writer_commit     (CdMbtilesWriter   *writer,
                                                   GError           **error);
/* Sets minzoom and maxzoom from the tiles present; commits. */
gboolean             cd_mbtiles_writer_update_zoom_range (CdMbtilesWriter *writer,
                                                   GError           **error);
/* Number of distinct images (the deduplicated layout), or of tiles. */
guint64              cd_mbtiles_writer_count_images (CdMbtilesWriter *writer);
/* Commits and closes; the handle is freed either way. */
gboolean             cd_mbtiles_writer_close      (CdMbtilesWriter   *writer,
                                                   GError           **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CdMbtilesMetadata, cd_mbtiles_metadata_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CdMbtilesReader, cd_mbtiles_reader_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CdMbtilesWriter, cd_mbtiles_writer_free)

G_END_DECLS
