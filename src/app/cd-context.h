/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-context.h: the shared services every view of the app reaches.
 *
 * One CdContext per signed-in session, passed to widgets as a
 * construct-only "context" property (gnome-calendar's GcalContext), never
 * through globals, so each widget can be built and tested alone.
 *
 * It owns the sync engine (and through it the cache and the HTTP client),
 * and keeps the model the views show: every open ticket and every crew as
 * live objects, updated in place from the cache (the server rows with this
 * user's waiting changes on top) whenever the engine reports a change, so
 * list models, filters and bindings follow without rebuilding widgets.
 *
 * The models start empty: the owner calls cd_context_reload() (tests) or
 * cd_context_reload_async() (the app, so the first frame is not kept
 * waiting by a large cache); after that the engine's ::changed keeps them
 * current.
 *
 * One clock ticks for all: ::tick once a second on the second, in server
 * time (the measured offset applied), re-synced after the machine wakes.
 *
 * Signals: ::reloaded (the model was re-read), ::tick (gint64 now),
 * ::crew-moved (CdCrew: a new position from the event stream, already
 * set on the object), ::add-toast (AdwToast).
 *
 * Every edit goes through cd_context_submit(): queued in the outbox with
 * its optimistic effect, shown at once, sent when the server is reachable.
 */
#pragma once

#include <adwaita.h>

#include "cd-crew.h"
#include "cd-match.h"
#include "cd-model.h"
#include "cd-mutation.h"
#include "cd-sla-clock.h"
#include "cd-sync-engine.h"
#include "cd-ticket.h"
#include "cd-user.h"

G_BEGIN_DECLS

#define CD_TYPE_CONTEXT (cd_context_get_type ())
G_DECLARE_FINAL_TYPE (CdContext, cd_context, CD, CONTEXT, GObject)

/* @engine: started by the caller (or not, for tests that stay offline).
 * @policies: NULL loads the default policy set. */
CdContext     *cd_context_new               (CdSyncEngine    *engine,
                                             CdSlaPolicySet  *policies);
CdSyncEngine  *cd_context_get_engine        (CdContext       *self);
CdSyncCache   *cd_context_get_cache         (CdContext       *self);
CdSlaPolicySet *cd_context_get_policies     (CdContext       *self);
/* The signed-in user, as the cache knows them. */
CdUser        *cd_context_get_user          (CdContext       *self);

/* Live models. Items are the same objects for as long as the record
 * exists: a change updates the object (notify on its properties), a
 * ticket that closes leaves the list. */
GListModel    *cd_context_get_tickets       (CdContext       *self); /* CdTicket, open ones */
GListModel    *cd_context_get_crews         (CdContext       *self); /* CdCrew, by name */
CdTicket      *cd_context_lookup_ticket     (CdContext       *self,
                                             const char      *id);
CdCrew        *cd_context_lookup_crew       (CdContext       *self,
                                             const char      *id);
/* Open tickets assigned to @crew_id. */
guint          cd_context_get_crew_load     (CdContext       *self,
                                             const char      *crew_id);
/* Re-reads the model from the cache now (the engine's ::changed does it
 * by itself); emits ::reloaded. */
void           cd_context_reload            (CdContext       *self);
/* The same in a worker thread; ::reloaded when done. Coalesced. */
void           cd_context_reload_async      (CdContext       *self);

/* Every record of @type on the model (callbacks, assignment events, all
 * tickets, closed ones too), read from the cache in a worker thread: new
 * objects, not the live ones above. Views that need them re-read on
 * ::reloaded. */
void           cd_context_list_all_async    (CdContext           *self,
                                             GType                type,
                                             GCancellable        *cancellable,
                                             GAsyncReadyCallback  callback,
                                             gpointer             user_data);
GPtrArray     *cd_context_list_all_finish   (CdContext           *self,
                                             GAsyncResult        *result,
                                             GError             **error);

/* Whether a change of this user to the record waits in the outbox. */
gboolean       cd_context_is_pending        (CdContext       *self,
                                             const char      *record_id);

/* Unix seconds on the server's clock. */
gint64         cd_context_get_now           (CdContext       *self);

/* Queues @op on @target (expected_version -1 for none) with a new UUID,
 * shows its effect at once (the changed objects are updated before this
 * returns) and starts a flush. Returns FALSE with the error the server
 * would give (CD_MUTATION_ERROR), nothing queued. @args is consumed
 * (may be NULL). @warning, if not NULL, receives a warning to show (a
 * crew over capacity) or NULL. */
gboolean       cd_context_submit            (CdContext       *self,
                                             CdMutationOp     op,
                                             const char      *target,
                                             gint64           expected_version,
                                             JsonObject      *args,
                                             char           **warning,
                                             GError         **error);

/* The automatic match for @ticket over the model: every crew ranked, each
 * with its score broken down (element-type CdMatchScore, crew = index
 * into *crews). */
gboolean       cd_context_rank_crews        (CdContext       *self,
                                             CdTicket        *ticket,
                                             GPtrArray      **crews,
                                             GArray         **ranking,
                                             GError         **error);
const CdMatchParams *cd_context_get_match_params (CdContext  *self);

/* Shows @toast in the window that shows this context (::add-toast). */
void           cd_context_add_toast         (CdContext       *self,
                                             AdwToast        *toast);

G_END_DECLS
