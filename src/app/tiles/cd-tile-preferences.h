/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-tile-preferences.h: the "Map" page of the preferences window.
 *
 * Edits the tile-* settings (see cd-tiles.h): the source (online, offline
 * file, or both), the offline file (checked before it is taken), the
 * online server's URL template (checked on apply), its attribution, the
 * cache size, and whether the server permits bulk download.
 *
 * Actions: tiles.choose-file (a GtkFileChooserNative), tiles.reset-file
 * (back to the demo city's tiles).
 */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define CD_TYPE_TILE_PREFERENCES (cd_tile_preferences_get_type ())
G_DECLARE_FINAL_TYPE (CdTilePreferences, cd_tile_preferences, CD, TILE_PREFERENCES, AdwPreferencesPage)

GtkWidget *cd_tile_preferences_new          (GSettings         *settings);
GSettings *cd_tile_preferences_get_settings (CdTilePreferences *self);

/* Takes @path as the offline file if it is a readable raster MBTiles
 * file; otherwise shows why not and leaves the setting alone. What the
 * file chooser calls; public for tests. */
void       cd_tile_preferences_select_file  (CdTilePreferences *self,
                                             const char        *path);

G_END_DECLS
