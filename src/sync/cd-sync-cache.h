/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-sync-cache.h: the client's local copy of the server, and its outbox.
 *
 * One SQLite cache (a CdStore, schema 3) per server address and user,
 * under $XDG_DATA_HOME/crewdesk/caches/. It holds the server's rows as
 * the server sent them, the revision pulled up to, and the outbox: this
 * user's mutations, in order, until the server has answered each.
 *
 * The model the UI sees is computed, not stored: the server rows with the
 * waiting mutations applied on top, by cd_mutation_apply(), the code the
 * server runs, over a world that reads the cache. So an optimistic change
 * shows exactly what the server will most likely make of it, and it
 * vanishes by itself when the server refuses it.
 *
 * Threads: every function locks the cache; the sync client applies
 * pulled pages in a worker thread while the UI reads.
 */
#pragma once

#include <glib-object.h>

#include "cd-mutation.h"
#include "cd-sla-clock.h"
#include "cd-store.h"
#include "cd-sync-types.h"
#include "cd-user.h"

G_BEGIN_DECLS

#define CD_TYPE_SYNC_CACHE (cd_sync_cache_get_type ())
G_DECLARE_FINAL_TYPE (CdSyncCache, cd_sync_cache, CD, SYNC_CACHE, GObject)

char        *cd_sync_cache_default_path     (const char      *server_url,
                                             const char      *username);
CdSyncCache *cd_sync_cache_open             (const char      *server_url,
                                             const char      *username,
                                             const char      *path,
                                             GError         **error);
const char  *cd_sync_cache_get_path         (CdSyncCache     *self);
const char  *cd_sync_cache_get_server_url   (CdSyncCache     *self);
const char  *cd_sync_cache_get_username     (CdSyncCache     *self);

/* The store underneath, for tests and benchmarks: lock with
 * cd_sync_cache_lock() while using it. */
CdStore     *cd_sync_cache_get_store        (CdSyncCache     *self);
void         cd_sync_cache_lock             (CdSyncCache     *self);
void         cd_sync_cache_unlock           (CdSyncCache     *self);

void         cd_sync_cache_set_policies     (CdSyncCache     *self,
                                             CdSlaPolicySet  *policies);
void         cd_sync_cache_set_clock_offset (CdSyncCache     *self,
                                             gint64           offset_ms);
gint64       cd_sync_cache_get_server_now_ms (CdSyncCache    *self);

/* The user this cache acts as (kept in the cache, so starting offline
 * works). */
gboolean     cd_sync_cache_set_user         (CdSyncCache     *self,
                                             CdUser          *user,
                                             GError         **error);
CdUser      *cd_sync_cache_dup_user         (CdSyncCache     *self);
/* The user who last signed in to @server_url on this computer: recorded
 * by cd_sync_cache_set_user() on a cache in its default place, so that
 * starting without the server opens that user's cache. NULL when none. */
char        *cd_sync_cache_dup_last_username (const char     *server_url);

gint64       cd_sync_cache_get_last_rev     (CdSyncCache     *self,
                                             GError         **error);
gint64       cd_sync_cache_count_pending    (CdSyncCache     *self,
                                             GError         **error);
/* The ids of the records that waiting (pending or sent) mutations
 * target: a set (keys owned, g_str_hash) for the UI to mark rows with
 * unsent changes. A record created by a waiting mutation is in it too.
 * NULL with @error set. */
GHashTable  *cd_sync_cache_dup_pending_targets (CdSyncCache  *self,
                                             GError         **error);

/* The model: server rows with the waiting mutations on top. */
gpointer     cd_sync_cache_load             (CdSyncCache     *self,
                                             GType            type,
                                             const char      *id,
                                             GError         **error);
GPtrArray   *cd_sync_cache_list_open_tickets (CdSyncCache    *self,
                                             gint             status,
                                             const char      *area,
                                             const char      *crew_id,
                                             GError         **error);
GPtrArray   *cd_sync_cache_list_crews       (CdSyncCache     *self,
                                             gint             utility,
                                             GError         **error);
/* Every record of @type (callbacks, assignment events, all tickets) on
 * the model, in no particular order. */
GPtrArray   *cd_sync_cache_list_all         (CdSyncCache     *self,
                                             GType            type,
                                             GError         **error);
/* The server row alone, without the waiting mutations. */
gpointer     cd_sync_cache_load_server      (CdSyncCache     *self,
                                             GType            type,
                                             const char      *id,
                                             GError         **error);

/* Applies @mutation on the model now and queues it. Returns the records
 * it changes as the user will see them (new references), or NULL with
 * the error the server would give (CD_MUTATION_ERROR) or a store error:
 * nothing is queued then. */
GPtrArray   *cd_sync_cache_submit           (CdSyncCache     *self,
                                             CdMutation      *mutation,
                                             GError         **error);

/* Refused mutations (element-type CdStoreConflict), oldest first, each
 * with changed_by filled in where the cache knows who. */
GPtrArray   *cd_sync_cache_list_conflicts   (CdSyncCache     *self,
                                             GError         **error);
gboolean     cd_sync_cache_discard_conflict (CdSyncCache     *self,
                                             gint64           conflict_id,
                                             GError         **error);
/* Sends the same change again, with a new id, against the state the
 * server has now (its version, its current crew), and forgets the
 * conflict. Returns as cd_sync_cache_submit(). */
GPtrArray   *cd_sync_cache_retry_conflict   (CdSyncCache     *self,
                                             gint64           conflict_id,
                                             GError         **error);

/* A crew's latest position from the event stream: shown by the reads at
 * once, written to the file in batches (the sync engine does, in a worker
 * thread, about once a second; closing the cache writes what is left).
 * Unknown crews are ignored. */
gboolean     cd_sync_cache_set_crew_position (CdSyncCache    *self,
                                             const char      *crew_id,
                                             double           lat,
                                             double           lon,
                                             double           heading,
                                             double           speed_kmh,
                                             gint64           at,
                                             GError         **error);

G_END_DECLS
