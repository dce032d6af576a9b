/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-region-download-dialog.h: "Download Region", the dialog.
 *
 * A modal window for the area the map shows: the zoom levels to fetch,
 * the file to write, the estimate (tiles, size, how many are already in
 * the file) before anything starts, then a progress bar with Stop.
 * Stopping keeps what arrived; Download again resumes. Over the cap the
 * estimate says so and Download stays off. When the settings do not
 * permit bulk download, the dialog shows why (OpenStreetMap's tile usage
 * policy) instead of the form.
 *
 * Actions: region.download, region.stop, region.choose-file,
 * region.use-file (make the finished file the map's offline file).
 */
#pragma once

#include <adwaita.h>

#include "cd-region-download.h"

G_BEGIN_DECLS

#define CD_TYPE_REGION_DOWNLOAD_DIALOG (cd_region_download_dialog_get_type ())
G_DECLARE_FINAL_TYPE (CdRegionDownloadDialog, cd_region_download_dialog, CD, REGION_DOWNLOAD_DIALOG, AdwWindow)

/* @bounds: the visible area (cd_tiles_bounds_from_viewport()); @zoom:
 * the map's zoom level, the lowest level offered. */
CdRegionDownloadDialog *cd_region_download_dialog_new          (GtkWindow              *parent,
                                                                GSettings              *settings,
                                                                const CdTileBounds     *bounds,
                                                                double                  zoom);
/* The file to write; by default $XDG_DATA_HOME/crewdesk/offline-tiles.mbtiles. */
void                    cd_region_download_dialog_set_path     (CdRegionDownloadDialog *self,
                                                                const char             *path);
void                    cd_region_download_dialog_set_zoom_range (CdRegionDownloadDialog *self,
                                                                int                     min_zoom,
                                                                int                     max_zoom);
/* The download the dialog would run now (replaced when an input changes). */
CdRegionDownload       *cd_region_download_dialog_get_download (CdRegionDownloadDialog *self);

G_END_DECLS
