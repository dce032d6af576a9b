/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-sync-engine.h: keeps a cache in step with the server.
 *
 * Runs push-then-pull cycles: when started, after every local change,
 * on every revision poke of the event stream, and after a failure with
 * capped exponential backoff and jitter. Reads the event stream: "rev"
 * pokes start a pull, "position" events update the cache and are
 * re-emitted as ::crew-moved, and silence longer than twice the heartbeat
 * interval counts as a dead connection. GNetworkMonitor is only a hint to
 * retry early.
 *
 * Everything runs on the thread default main context it was created on.
 */
#pragma once

#include "cd-sync-cache.h"
#include "cd-sync-client.h"
#include "cd-sync-types.h"

G_BEGIN_DECLS

#define CD_TYPE_SYNC_ENGINE (cd_sync_engine_get_type ())
G_DECLARE_FINAL_TYPE (CdSyncEngine, cd_sync_engine, CD, SYNC_ENGINE, GObject)

CdSyncEngine *cd_sync_engine_new                (CdSyncClient  *client,
                                                 CdSyncCache   *cache);
CdSyncClient *cd_sync_engine_get_client         (CdSyncEngine  *self);
CdSyncCache  *cd_sync_engine_get_cache          (CdSyncEngine  *self);

void          cd_sync_engine_start              (CdSyncEngine  *self);
void          cd_sync_engine_stop               (CdSyncEngine  *self);
/* Starts a cycle now (or right after the one running). */
void          cd_sync_engine_sync_now           (CdSyncEngine  *self);

CdSyncStatus  cd_sync_engine_get_status         (CdSyncEngine  *self);
gint64        cd_sync_engine_get_offline_since  (CdSyncEngine  *self);
guint         cd_sync_engine_get_pending        (CdSyncEngine  *self);
gint64        cd_sync_engine_get_clock_offset_ms (CdSyncEngine *self);
const char   *cd_sync_engine_get_last_error     (CdSyncEngine  *self);
/* The wait before the next reconnection attempt (ms), 0 when none is
 * scheduled ("retrying in 20 s"). */
guint         cd_sync_engine_get_next_retry_ms  (CdSyncEngine  *self);
/* "Online", "Connecting…", "Offline since 14:05, 3 changes waiting". */
char         *cd_sync_engine_dup_status_text    (CdSyncEngine  *self);

/* Reconnect delays: from @min_ms, doubling, capped at @max_ms; each
 * drawn between half and all of that (defaults 1 s and 60 s). */
void          cd_sync_engine_set_backoff        (CdSyncEngine  *self,
                                                 guint          min_ms,
                                                 guint          max_ms);
/* The server's heartbeat interval in seconds (default 15). */
void          cd_sync_engine_set_heartbeat_interval (CdSyncEngine *self,
                                                 guint          seconds);

/* cd_sync_cache_submit(), then a cycle. */
GPtrArray    *cd_sync_engine_submit             (CdSyncEngine  *self,
                                                 CdMutation    *mutation,
                                                 GError       **error);

G_END_DECLS
