/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-tiles.h: the map's tile source, as the settings configure it.
 *
 * Settings (org.crewdesk.Crewdesk):
 *   tile-source         online | mbtiles | both (the file first, then online)
 *   tile-url-template   the online server, {z}/{x}/{y} (or {tmsy})
 *   tile-mbtiles-path   the offline file; '' is the demo city shipped
 *                       with the app
 *   tile-bulk-download  whether the online server permits region download
 *   tile-cache-size     MB of viewed online tiles kept on disk
 *   tile-attribution    the credit shown on the map for online tiles
 *
 * The map view builds its source with cd_tiles_create_map_source() and
 * builds it again when one of cd_tiles_get_setting_keys() changes.
 */
#pragma once

#include <shumate/shumate.h>

#include "cd-mbtiles.h"
#include "cd-tile-grid.h"

G_BEGIN_DECLS

typedef enum {
  CD_TILE_SOURCE_ONLINE,
  CD_TILE_SOURCE_MBTILES,
  CD_TILE_SOURCE_BOTH,
} CdTileSourceMode;

#define CD_TILES_KEY_SOURCE        "tile-source"
#define CD_TILES_KEY_URL_TEMPLATE  "tile-url-template"
#define CD_TILES_KEY_MBTILES_PATH  "tile-mbtiles-path"
#define CD_TILES_KEY_BULK_DOWNLOAD "tile-bulk-download"
#define CD_TILES_KEY_CACHE_SIZE    "tile-cache-size"
#define CD_TILES_KEY_ATTRIBUTION   "tile-attribution"

/* The highest zoom level asked of an online server (OSM's standard
 * layer stops at 19). */
#define CD_TILES_ONLINE_MAX_ZOOM 19

/* NULL-terminated: every key above. */
const char * const *cd_tiles_get_setting_keys    (void);

/* tile-source, a string key with choices (so the schema needs no enum). */
CdTileSourceMode    cd_tiles_get_mode            (GSettings        *settings);
void                cd_tiles_set_mode            (GSettings        *settings,
                                                  CdTileSourceMode  mode);

/* A ShumateRasterRenderer over the configured data source:
 *   online   a CdOnlineSource with a disk cache of tile-cache-size MB
 *   mbtiles  a CdMbtilesSource (zoom levels and credit from the file)
 *   both     a CdMbtilesSource falling back to a CdOnlineSource
 * Fails with CD_TILES_ERROR (a bad URL template) or CD_MBTILES_ERROR
 * (a missing or unreadable file). Its id changes with the settings, so
 * libshumate's memory cache never mixes two configurations. */
ShumateMapSource   *cd_tiles_create_map_source   (GSettings        *settings,
                                                  GError          **error);

/* The file tile-mbtiles-path names; for '' the demo city's tiles:
 * $CREWDESK_DEMO_TILES, the installed copy, or the build tree's. */
char               *cd_tiles_get_mbtiles_path    (GSettings        *settings);
char               *cd_tiles_get_demo_path       (void);

/* The area @widget shows of @viewport (rotation included). FALSE while
 * the viewport has no reference map source or the widget no size. */
gboolean            cd_tiles_bounds_from_viewport (ShumateViewport *viewport,
                                                  GtkWidget        *widget,
                                                  CdTileBounds     *bounds);

/* MBTiles attributions may be HTML; ShumateLicense shows plain text. */
char               *cd_tiles_attribution_to_text (const char       *attribution);

G_END_DECLS
