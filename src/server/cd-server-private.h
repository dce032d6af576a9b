/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-server-private.h: what the server's handler files share. */
#pragma once

#include <json-glib/json-glib.h>

#include "cd-areas.h"
#include "cd-auth.h"
#include "cd-events.h"
#include "cd-http.h"
#include "cd-model.h"
#include "cd-mutation.h"
#include "cd-server.h"
#include "cd-sla-clock.h"
#include "cd-store.h"

G_BEGIN_DECLS

typedef struct
{
  gint requests;
  gint requests_failed;
  gint logins_failed;
  gint logins_throttled;
  gint mutations;
  gint conflicts;
  gint positions;
} CdServerMetrics;

struct _CdServer
{
  GObject          parent_instance;

  CdServerConfig   config;
  CdHttp          *http;
  CdThrottle      *throttle;
  CdTokenCache    *tokens;
  CdSlaPolicySet  *policies;
  CdAreas         *areas;        /* NULL: intake derives no area */

  GMutex           write_lock;
  CdStore         *writer;
  guint64          write_seq;    /* writer lock releases, under write_lock */
  GPtrArray       *changed_users; /* user ids, under write_lock */

  /* Syncs of the WAL after deferred commits (cd_server_sync()). */
  GMutex           sync_lock;
  GCond            sync_cond;
  guint64          written_seq;  /* the last write_seq released */
  guint64          synced_seq;   /* every write up to it is on disk */
  gboolean         syncing;

  /* Group commit of mutation requests (cd-server-sync.c). */
  GMutex           group_lock;
  GQueue           group_queue;
  gboolean         group_leader;
  GCond            leader_cond;    /* a batch arrived, or a group was synced */
  guint            unsynced_groups;
  gint             mutations_arriving; /* atomic: requests read, not yet queued */
  GAsyncQueue     *readers;      /* idle read-only CdStores */

  /* Checkpoints off the writer's commits (cd-server-sync.c). */
  CdStore         *ckpt_store;
  GThread         *checkpointer;
  GMutex           ckpt_lock;
  GCond            ckpt_cond;
  guint            wal_frames;       /* in the WAL after the last commit */
  guint            wal_checkpointed; /* of them, copied by the last pass */
  gboolean         ckpt_stopping;

  CdEvents        *events;

  /* Latest position per crew, flushed to the store once a second: reports
   * are ephemeral and must not cost a disk sync each. */
  GMutex           positions_lock;
  GHashTable      *positions;    /* crew id -> CdPosition */
  GHashTable      *flushing;     /* the batch being written, or NULL */
  GHashTable      *crew_cache;   /* crew id -> CdCrew, to validate reports */
  GHashTable      *trails;       /* crew id -> GArray of CdPosition, oldest first */
  GPtrArray       *trail_added;  /* CdTrailPoint: not yet in the store */
  GHashTable      *trail_trims;  /* crew id -> gint64: the store keeps from there */
  GThread         *flusher;
  GCond            flusher_cond;
  gboolean         stopping;

  CdServerMetrics  metrics;

  /* The automatic dispatcher: an actor of its own in assignment events. */
  CdUser          *auto_actor;
  GThread         *dispatcher;
  GMutex           dispatch_lock;
  GCond            dispatch_cond;
  gboolean         dispatch_stopping;
  GHashTable      *sla_states;   /* "ticket id/kind" -> last CdSlaState seen */
};

typedef struct
{
  double lat, lon, heading, speed_kmh;
  gint64 at;
} CdPosition;

/* One request on its way through a handler. */
typedef struct
{
  CdHttpRequest  *http;
  CdHttpResponse *response;
  GPtrArray      *params;           /* path segments matched by "{}" */
  CdUser         *user;             /* set once authenticated */
  char           *token_digest;
  gint64          token_expires_at;
} CdRequest;

void        cd_server_log              (const char  *level,
                                        const char  *event,
                                        const char  *format,
                                        ...) G_GNUC_PRINTF (3, 4);
gint64      cd_server_now              (CdServer    *self);

CdStore    *cd_server_acquire_reader   (CdServer    *self,
                                        GError     **error);
void        cd_server_release_reader   (CdServer    *self,
                                        CdStore     *store);
CdStore    *cd_server_lock_writer      (CdServer    *self);
void        cd_server_user_changed     (CdServer    *self,
                                        const char  *user_id);
/* Returns the number of this write, for cd_server_sync(). */
guint64     cd_server_unlock_writer    (CdServer    *self);
/* Makes every write up to @written durable (commits made under
 * cd_store_set_deferred_sync()); one fdatasync serves every caller
 * waiting meanwhile. */
gboolean    cd_server_sync             (CdServer    *self,
                                        guint64      written,
                                        GError     **error);

void        cd_request_reply_json      (CdRequest   *req,
                                        guint        status,
                                        JsonNode    *node);
void        cd_request_reply_error     (CdRequest   *req,
                                        guint        status,
                                        const char  *code,
                                        const char  *message);
void        cd_request_reply_gerror    (CdRequest   *req,
                                        const GError *error);
JsonNode   *cd_request_parse_body      (CdRequest   *req);
const char *cd_request_require_string  (CdRequest   *req,
                                        JsonObject  *object,
                                        const char  *member,
                                        gsize        max_length);
gboolean    cd_request_reject_unknown  (CdRequest   *req,
                                        JsonObject  *object,
                                        const char * const *known);
gboolean    cd_request_int_param       (CdRequest   *req,
                                        const char  *name,
                                        gint64       fallback,
                                        gint64       min,
                                        gint64       max,
                                        gint64      *out);


/* cd-server-crews.c */
void        cd_server_handle_position  (CdServer    *self,
                                        CdRequest   *req);
void        cd_server_handle_crew_tickets (CdServer *self,
                                        CdRequest   *req);
void        cd_server_handle_events    (CdServer    *self,
                                        CdRequest   *req);
void        cd_server_handle_crew_trail (CdServer   *self,
                                        CdRequest   *req);
void        cd_server_handle_positions (CdServer    *self,
                                        CdRequest   *req);
void        cd_server_positions_start  (CdServer    *self);
void        cd_server_positions_stop   (CdServer    *self);

/* cd-server-sync.c */
void        cd_server_handle_mutations (CdServer    *self,
                                        CdRequest   *req);
void        cd_server_handle_intake    (CdServer    *self,
                                        CdRequest   *req);
gboolean    cd_server_checkpointer_start (CdServer  *self,
                                          GError   **error);
void        cd_server_checkpointer_stop  (CdServer  *self);
/* Applies @m inside the writer's open transaction, exactly once; the
 * result to send (JSON text), or NULL with @error when the machinery
 * failed. @applied (optional): whether the result is "applied". */
char       *cd_server_apply_mutation   (CdServer    *self,
                                        CdStore     *store,
                                        CdUser      *actor,
                                        CdMutation  *m,
                                        gint64      *rev,
                                        gboolean    *applied,
                                        GError     **error);
extern const CdMutationWorldVTable cd_server_store_world;

/* cd-server-dispatch.c */
void        cd_server_dispatch_start   (CdServer    *self);
void        cd_server_dispatch_stop    (CdServer    *self);
/* Gives a new ticket its best crew when its policy says so, inside the
 * writer's open transaction. Returns the assignment result (JSON text)
 * or NULL. */
char       *cd_server_auto_dispatch    (CdServer    *self,
                                        CdStore     *store,
                                        CdTicket    *ticket,
                                        const char  *cause_id,
                                        gint64      *rev,
                                        GError     **error);

/* Called after every commit that took a revision. */
void        cd_server_changed          (CdServer    *self,
                                        gint64       rev);

G_END_DECLS
