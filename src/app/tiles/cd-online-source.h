/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-online-source.h: map tiles from a tile server, kept in a disk cache.
 *
 * What ShumateTileDownloader does, with what libshumate 1.0.3 does not
 * let us set on it: its file cache is fixed at 100 MB, its HTTP session
 * has no timeout (libsoup 3 waits forever by default) and sends a
 * library User-Agent, which OpenStreetMap's tile usage policy asks
 * applications not to do. This source owns its ShumateFileCache (of the
 * configured size) and its SoupSession (a timeout, two connections per
 * server as OSM asks, a User-Agent naming Crewdesk).
 *
 * A cached tile is handed to ::received-data at once; one younger than
 * seven days completes the request, an older one is revalidated
 * (If-None-Match / If-Modified-Since). When the server cannot be reached
 * a cached tile of any age is good enough: that is what keeps the map
 * on screen during an outage.
 *
 * The 1.0.3 file cache stops purging itself after its first purge finds
 * it under the limit (its in-progress flag is never cleared on that
 * path), so this source purges through a fresh ShumateFileCache on the
 * same directory when it starts and whenever it has written a tenth of
 * the limit since.
 *
 * Errors: SHUMATE_TILE_DOWNLOADER_ERROR, as libshumate's own downloader.
 */
#pragma once

#include <shumate/shumate.h>

G_BEGIN_DECLS

#define CD_TYPE_ONLINE_SOURCE (cd_online_source_get_type ())
G_DECLARE_FINAL_TYPE (CdOnlineSource, cd_online_source, CD, ONLINE_SOURCE, ShumateDataSource)

/* @cache_dir: NULL for $XDG_CACHE_HOME/crewdesk/tiles. */
CdOnlineSource *cd_online_source_new             (const char     *url_template,
                                                  guint           cache_size_mb,
                                                  const char     *cache_dir);
const char     *cd_online_source_get_url_template (CdOnlineSource *self);
guint           cd_online_source_get_cache_size  (CdOnlineSource *self);
ShumateFileCache *cd_online_source_get_file_cache (CdOnlineSource *self);

/* Seconds before a request is given up (default 20). */
void            cd_online_source_set_timeout     (CdOnlineSource *self,
                                                  guint           seconds);

/* Purges the disk cache down to its size: now, or right after the purge
 * that is running (tiles may have arrived since it started). */
void            cd_online_source_purge_async     (CdOnlineSource      *self,
                                                  GCancellable        *cancellable,
                                                  GAsyncReadyCallback  callback,
                                                  gpointer             user_data);
gboolean        cd_online_source_purge_finish    (CdOnlineSource      *self,
                                                  GAsyncResult        *result,
                                                  GError             **error);

G_END_DECLS
