/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-sync-client.h: the HTTP side of sync (libsoup 3).
 *
 * Login, pull (the changes feed; after a 410 the whole feed again from
 * revision 0; the crews' latest positions when they may be stale), push (the
 * outbox, in order, in batches; a retry sends the same ids and the server
 * replays its results) and the event stream. Every reply's
 * X-Crewdesk-Time-Ms updates the clock offset. Replies are checked
 * against the protocol before anything reaches the cache: a malformed one
 * fails with CD_SYNC_ERROR_MALFORMED, is kept as the last error, and the
 * cache is left as it was.
 *
 * One operation of each kind at a time; the engine runs them in turn.
 * The client owns the GCancellable of everything it starts:
 * cd_sync_client_cancel() stops it all.
 */
#pragma once

#include <gio/gio.h>

#include "cd-sync-cache.h"
#include "cd-user.h"

G_BEGIN_DECLS

#define CD_TYPE_SYNC_CLIENT (cd_sync_client_get_type ())
G_DECLARE_FINAL_TYPE (CdSyncClient, cd_sync_client, CD, SYNC_CLIENT, GObject)

typedef struct {
  guint applied;   /* mutations the server applied */
  guint conflicts; /* refused on a precondition: see the cache's conflicts */
  guint rejected;  /* refused otherwise */
  guint batches;
} CdSyncPushResult;

CdSyncClient *cd_sync_client_new                (const char           *base_url);
const char   *cd_sync_client_get_base_url       (CdSyncClient         *self);
/* For requests started from now on (the server moved). */
void          cd_sync_client_set_base_url       (CdSyncClient         *self,
                                                 const char           *base_url);
void          cd_sync_client_set_token          (CdSyncClient         *self,
                                                 const char           *token);
const char   *cd_sync_client_get_token          (CdSyncClient         *self);
/* The server's clock minus ours, in milliseconds, from the last reply. */
gint64        cd_sync_client_get_clock_offset_ms (CdSyncClient        *self);
/* The last failure (NULL after a success). */
const GError *cd_sync_client_get_last_error     (CdSyncClient         *self);
/* Rows per page of the changes feed (default 5000). */
void          cd_sync_client_set_page_size      (CdSyncClient         *self,
                                                 guint                 rows);
/* Mutations per request (default 1000, the most the server takes). */
void          cd_sync_client_set_batch_size     (CdSyncClient         *self,
                                                 guint                 mutations);
void          cd_sync_client_cancel             (CdSyncClient         *self);

void          cd_sync_client_login_async        (CdSyncClient         *self,
                                                 const char           *username,
                                                 const char           *password,
                                                 GAsyncReadyCallback   callback,
                                                 gpointer              user_data);
CdUser       *cd_sync_client_login_finish       (CdSyncClient         *self,
                                                 GAsyncResult         *result,
                                                 GError              **error);

/* Ends the session of the client's token on the server and forgets the
 * token. A session the server had ended already counts as success; a
 * network failure is an error (the token then stays valid on the server
 * until it expires). */
void          cd_sync_client_logout_async       (CdSyncClient         *self,
                                                 GAsyncReadyCallback   callback,
                                                 gpointer              user_data);
gboolean      cd_sync_client_logout_finish      (CdSyncClient         *self,
                                                 GAsyncResult         *result,
                                                 GError              **error);

/* Pulls until the feed says there is no more, each page one transaction.
 * After a 410 it reads the whole feed again from revision 0, and at its
 * end deletes the rows the server no longer has (the cache's rows stay
 * visible meanwhile; a pass cut short goes on at the next pull). Then,
 * if they may be stale, reads the crews' latest positions. */
void          cd_sync_client_pull_async         (CdSyncClient         *self,
                                                 CdSyncCache          *cache,
                                                 GAsyncReadyCallback   callback,
                                                 gpointer              user_data);
gboolean      cd_sync_client_pull_finish        (CdSyncClient         *self,
                                                 GAsyncResult         *result,
                                                 guint                *n_rows,
                                                 GError              **error);

/* The next pull reads the crews' latest positions again: for when the
 * event stream that brings them was down. (A new client starts so.) */
void          cd_sync_client_invalidate_positions (CdSyncClient       *self);

/* Sends the outbox until it is empty. */
void          cd_sync_client_push_async         (CdSyncClient         *self,
                                                 CdSyncCache          *cache,
                                                 GAsyncReadyCallback   callback,
                                                 gpointer              user_data);
gboolean      cd_sync_client_push_finish        (CdSyncClient         *self,
                                                 GAsyncResult         *result,
                                                 CdSyncPushResult     *out,
                                                 GError              **error);

/* Opens GET /api/v1/events; the stream is the event-stream body. */
void          cd_sync_client_open_events_async  (CdSyncClient         *self,
                                                 GCancellable         *cancellable,
                                                 GAsyncReadyCallback   callback,
                                                 gpointer              user_data);
GInputStream *cd_sync_client_open_events_finish (CdSyncClient         *self,
                                                 GAsyncResult         *result,
                                                 GError              **error);

G_END_DECLS
