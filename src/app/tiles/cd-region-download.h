/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-region-download.h: download an area's tiles into an MBTiles file.
 *
 * For tile servers whose terms allow it (tile-bulk-download): never
 * OpenStreetMap's public servers, whose tile usage policy forbids bulk
 * downloading. The check is here, not only in the dialog, so no caller
 * can start one by mistake.
 *
 * The work runs in one worker thread with its own main context: its
 * SoupSession (a timeout, a few parallel requests, a User-Agent naming
 * Crewdesk) and its MBTiles writer live there, so the main loop never
 * waits on the network or on SQLite. Tiles are committed in batches;
 * a stopped download keeps what it has, and running it again skips the
 * tiles already in the file (resume). Transport errors and 5xx/429
 * answers are retried twice; a 404 is not.
 *
 * Progress is published on the main thread through the properties
 * ("done", "downloaded", "skipped", "failed", "bytes", "fraction",
 * "running"), a few times a second at most.
 */
#pragma once

#include <gio/gio.h>

#include "cd-tile-grid.h"

G_BEGIN_DECLS

#define CD_REGION_DOWNLOAD_ERROR (cd_region_download_error_quark ())

typedef enum {
  CD_REGION_DOWNLOAD_ERROR_NOT_PERMITTED,  /* the server's terms forbid it */
  CD_REGION_DOWNLOAD_ERROR_TOO_MANY_TILES, /* over CD_REGION_DOWNLOAD_MAX_TILES */
  CD_REGION_DOWNLOAD_ERROR_INVALID,        /* no area, a bad zoom range or URL */
  CD_REGION_DOWNLOAD_ERROR_INCOMPLETE,     /* some tiles failed; run again */
} CdRegionDownloadError;

GQuark cd_region_download_error_quark (void);

/* The cap: a larger request is refused before it starts. */
#define CD_REGION_DOWNLOAD_MAX_TILES  100000
/* The size of an average raster street-map tile, for the estimate until
 * the file holds tiles to measure (OSM's standard layer averages 10 to
 * 20 kB; open country is smaller, city centres larger). */
#define CD_REGION_DOWNLOAD_TILE_BYTES 15000
#define CD_REGION_DOWNLOAD_MAX_ZOOM   19

#define CD_TYPE_REGION_DOWNLOAD (cd_region_download_get_type ())
G_DECLARE_FINAL_TYPE (CdRegionDownload, cd_region_download, CD, REGION_DOWNLOAD, GObject)

CdRegionDownload *cd_region_download_new             (const char          *url_template,
                                                      gboolean             bulk_permitted,
                                                      const CdTileBounds  *bounds,
                                                      int                  min_zoom,
                                                      int                  max_zoom,
                                                      const char          *path);
/* The server, permission and attribution from the tile-* settings. */
CdRegionDownload *cd_region_download_new_from_settings (GSettings         *settings,
                                                      const CdTileBounds  *bounds,
                                                      int                  min_zoom,
                                                      int                  max_zoom,
                                                      const char          *path);

const char       *cd_region_download_get_path        (CdRegionDownload    *self);
void              cd_region_download_get_bounds      (CdRegionDownload    *self,
                                                      CdTileBounds        *bounds);
int               cd_region_download_get_min_zoom    (CdRegionDownload    *self);
int               cd_region_download_get_max_zoom    (CdRegionDownload    *self);
/* Written into the file's metadata. */
void              cd_region_download_set_attribution (CdRegionDownload    *self,
                                                      const char          *attribution);
/* Parallel requests (default 4) and the per-request timeout (default 30 s). */
void              cd_region_download_set_max_connections (CdRegionDownload *self,
                                                      guint                n);
void              cd_region_download_set_timeout     (CdRegionDownload    *self,
                                                      guint                seconds);

/* Tiles in the area over the zoom range. */
guint64           cd_region_download_get_total       (CdRegionDownload    *self);
/* Bytes the tiles not yet in the file will take: their number times the
 * average size of the tiles already there (after a scan), or times
 * CD_REGION_DOWNLOAD_TILE_BYTES. */
guint64           cd_region_download_estimate_bytes  (CdRegionDownload    *self);
/* Whether it may start: NOT_PERMITTED, TOO_MANY_TILES or INVALID. */
gboolean          cd_region_download_check           (CdRegionDownload    *self,
                                                      GError             **error);

/* Counts the area's tiles the file already holds (in a thread). A
 * missing file holds none. Sets "done". */
void              cd_region_download_scan_async      (CdRegionDownload    *self,
                                                      GCancellable        *cancellable,
                                                      GAsyncReadyCallback  callback,
                                                      gpointer             user_data);
gboolean          cd_region_download_scan_finish     (CdRegionDownload    *self,
                                                      GAsyncResult        *result,
                                                      GError             **error);

/* Downloads the tiles the file lacks. Fails with the check's errors,
 * INCOMPLETE (some tiles failed: run again to retry them),
 * CD_MBTILES_ERROR (the file cannot be written) or G_IO_ERROR_CANCELLED
 * (what was downloaded is kept). */
void              cd_region_download_run_async       (CdRegionDownload    *self,
                                                      GCancellable        *cancellable,
                                                      GAsyncReadyCallback  callback,
                                                      gpointer             user_data);
gboolean          cd_region_download_run_finish      (CdRegionDownload    *self,
                                                      GAsyncResult        *result,
                                                      GError             **error);

gboolean          cd_region_download_get_running     (CdRegionDownload    *self);
/* Tiles of the area in the file: skipped + downloaded (or, after a scan,
 * the ones found). */
guint64           cd_region_download_get_done        (CdRegionDownload    *self);
guint64           cd_region_download_get_downloaded  (CdRegionDownload    *self);
guint64           cd_region_download_get_skipped     (CdRegionDownload    *self);
guint64           cd_region_download_get_failed      (CdRegionDownload    *self);
guint64           cd_region_download_get_bytes       (CdRegionDownload    *self);
double            cd_region_download_get_fraction    (CdRegionDownload    *self);

G_END_DECLS
