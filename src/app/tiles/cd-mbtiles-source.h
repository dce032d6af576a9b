/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-mbtiles-source.h: map tiles from a raster MBTiles file.
 *
 * A ShumateDataSource: put it under a ShumateRasterRenderer. Reads run in
 * GTask worker threads, each on a read-only SQLite connection taken from
 * a small pool (a connection is used by one thread at a time). The
 * tile's bytes are handed to ::received-data on the main thread before
 * the request completes; libshumate 1.0.3's raster renderer only draws
 * what arrives through that signal.
 *
 * With a fallback source set ("both" mode), a tile the file lacks is
 * asked of the fallback (typically a CdOnlineSource) and its
 * ::received-data is relayed as this source's own.
 *
 * Errors: CD_MBTILES_ERROR (see cd-mbtiles.h); MISSING_TILE for a tile
 * the file lacks when there is no fallback.
 */
#pragma once

#include <shumate/shumate.h>

#include "cd-mbtiles.h"

G_BEGIN_DECLS

#define CD_TYPE_MBTILES_SOURCE (cd_mbtiles_source_get_type ())
G_DECLARE_FINAL_TYPE (CdMbtilesSource, cd_mbtiles_source, CD, MBTILES_SOURCE, ShumateDataSource)

/* Opens @path and reads its metadata (a few rows, on this thread). Fails
 * with NOT_FOUND, NOT_MBTILES, CORRUPT, UNSUPPORTED (vector tiles) or
 * EMPTY. */
CdMbtilesSource         *cd_mbtiles_source_new           (const char         *path,
                                                          GError            **error);

const char              *cd_mbtiles_source_get_path      (CdMbtilesSource    *self);
const CdMbtilesMetadata *cd_mbtiles_source_get_metadata  (CdMbtilesSource    *self);
int                      cd_mbtiles_source_get_min_zoom  (CdMbtilesSource    *self);
int                      cd_mbtiles_source_get_max_zoom  (CdMbtilesSource    *self);
/* NULL when the file does not say. */
const char              *cd_mbtiles_source_get_name      (CdMbtilesSource    *self);
const char              *cd_mbtiles_source_get_attribution (CdMbtilesSource  *self);
gboolean                 cd_mbtiles_source_get_bounds    (CdMbtilesSource    *self,
                                                          CdTileBounds       *bounds);

/* The source asked for tiles the file lacks (NULL: none). */
ShumateDataSource       *cd_mbtiles_source_get_fallback  (CdMbtilesSource    *self);
void                     cd_mbtiles_source_set_fallback  (CdMbtilesSource    *self,
                                                          ShumateDataSource  *fallback);

G_END_DECLS
