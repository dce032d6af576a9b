/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-tile-grid.h: the web-mercator tile grid ("slippy map" numbering).
 *
 * Tiles are numbered as libshumate and the online servers number them:
 * x from the west, y from the north, zoom z has 2^z × 2^z tiles. MBTiles
 * files count rows from the south (TMS); cd_tile_tms_row() converts.
 *
 * No GTK here: the tile renderer (a build-time tool) links this too.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define CD_TILES_ERROR (cd_tiles_error_quark ())

typedef enum {
  CD_TILES_ERROR_INVALID_TEMPLATE, /* the online URL template cannot be used */
  CD_TILES_ERROR_NO_FILE,          /* the configured MBTiles file is missing */
  CD_TILES_ERROR_INVALID_REGION,   /* an empty or inverted area, a bad zoom range */
} CdTilesError;

GQuark cd_tiles_error_quark (void);

/* The Web Mercator limit: tiles cover ±85.0511° of latitude. */
#define CD_TILE_MAX_LATITUDE 85.05112877980659
#define CD_TILE_SIZE         256
#define CD_TILE_MAX_ZOOM     22

/* An area in WGS 84 degrees. */
typedef struct {
  double south;
  double west;
  double north;
  double east;
} CdTileBounds;

/* A tile range at one zoom level, inclusive on both ends. */
typedef struct {
  int zoom;
  int x0;
  int y0;
  int x1;
  int y1;
} CdTileRange;

/* Fractional tile coordinates (x from the west, y from the north). */
double    cd_tile_x_from_lon        (double              lon,
                                     int                 zoom);
double    cd_tile_y_from_lat        (double              lat,
                                     int                 zoom);
double    cd_tile_lon_from_x        (double              x,
                                     int                 zoom);
double    cd_tile_lat_from_y        (double              y,
                                     int                 zoom);

int       cd_tile_tms_row           (int                 y,
                                     int                 zoom);

/* The tiles that cover @bounds at @zoom, clamped to the world. */
void      cd_tile_range_for_bounds  (const CdTileBounds *bounds,
                                     int                 zoom,
                                     CdTileRange        *range);
guint64   cd_tile_range_count       (const CdTileRange  *range);
/* The number of tiles covering @bounds from @min_zoom to @max_zoom. */
guint64   cd_tile_count             (const CdTileBounds *bounds,
                                     int                 min_zoom,
                                     int                 max_zoom);

gboolean  cd_tile_bounds_is_valid   (const CdTileBounds *bounds);
/* The MBTiles spelling: "west,south,east,north". */
gboolean  cd_tile_bounds_parse      (const char         *text,
                                     CdTileBounds       *bounds);
char     *cd_tile_bounds_to_string  (const CdTileBounds *bounds);

/* An http(s) URL with {z}, {x} and {y} (or {tmsy}, the TMS row). */
gboolean  cd_tile_url_template_check (const char        *url_template,
                                      GError           **error);
char     *cd_tile_url_expand        (const char         *url_template,
                                     int                 x,
                                     int                 y,
                                     int                 zoom);

/* The User-Agent of every tile request: "Crewdesk/VERSION " (libsoup
 * appends its own token after the space). */
const char *cd_tiles_get_user_agent (void);

/* What an image file's first bytes say it is: "png", "jpg", "webp",
 * "gif", or NULL. "pbf" for gzip, which MBTiles uses for vector tiles. */
const char *cd_tile_sniff_format    (const guint8       *data,
                                     gsize               size);

G_END_DECLS
