/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-store.h: the SQLite store, shared by the server and the client cache.
 *
 * One table per record kind holds each record as the JSON of
 * cd_record_to_json_string() (the codec is the single truth), plus a few
 * columns extracted in C for the queries the views need.
 *
 * Threads: a CdStore is used by one thread at a time (cd_store_sync_wal()
 * excepted). The server opens one per worker thread (WAL lets them read in
 * parallel; writers queue on the busy timeout) or serialises access with a
 * lock.
 *
 * Durability: the store runs in WAL mode with synchronous=NORMAL. A commit
 * is atomic and the file never corrupts, but the last commits before a power
 * cut or an OS crash (not an application crash) may be lost, because the
 * WAL is synced at checkpoints only. The server, which must have a mutation
 * on disk before it replies, calls cd_store_set_synchronous_full(), and
 * for its group commits cd_store_set_deferred_sync() with
 * cd_store_sync_wal() after the commit, before the reply.
 *
 * Revisions: the server takes a revision with cd_store_next_rev() inside
 * the transaction that saves the change, sets record->rev, bumps
 * record->version, then saves. Writers are serialised by the transaction
 * (BEGIN IMMEDIATE), so revisions become visible in order. A client cache
 * saves the server's rows as they are and records the newest revision it
 * pulled with cd_store_set_last_rev().
 */
#pragma once

#include <glib-object.h>

#include "cd-enums.h"
#include "cd-record.h"

G_BEGIN_DECLS

#define CD_STORE_ERROR (cd_store_error_quark ())

typedef enum {
  CD_STORE_ERROR_FAILED,         /* anything not listed below */
  CD_STORE_ERROR_NOT_A_DATABASE, /* the file is not an SQLite database */
  CD_STORE_ERROR_CORRUPT,        /* an SQLite database, damaged */
  CD_STORE_ERROR_NEWER_SCHEMA,   /* written by a newer Crewdesk */
  CD_STORE_ERROR_FOREIGN,        /* another application's database */
  CD_STORE_ERROR_FULL,           /* the disk (or max_page_count) is full */
  CD_STORE_ERROR_BUSY,           /* locked by another connection past the timeout */
  CD_STORE_ERROR_NOT_FOUND,      /* no such record */
  CD_STORE_ERROR_CONSTRAINT,     /* a uniqueness or reference rule refused it */
  CD_STORE_ERROR_IO,             /* the file could not be opened, read or written */
  CD_STORE_ERROR_ABORTED,        /* SQLite already rolled the transaction back */
  CD_STORE_ERROR_INVALID,        /* a record the codec could never read back */
} CdStoreError;

GQuark cd_store_error_quark (void);

/* The schema version this build writes (PRAGMA user_version), and the
 * PRAGMA application_id that marks a file as Crewdesk's ("CDsk"). */
#define CD_STORE_SCHEMA_VERSION 5
#define CD_STORE_APPLICATION_ID 0x4344736b

#define CD_TYPE_STORE (cd_store_get_type ())
G_DECLARE_FINAL_TYPE (CdStore, cd_store, CD, STORE, GObject)

/* One row of the changes feed: a record, or the tombstone of one. */
typedef struct {
  const char *kind;   /* "ticket", "crew", ...; static */
  char       *id;
  gint64      rev;
  CdRecord   *record; /* NULL for a tombstone, or from cd_store_list_changes_json() */
  char       *json;   /* cd_store_list_changes_json() only: the stored record text */
} CdStoreChange;

void cd_store_change_free (CdStoreChange *change);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CdStoreChange, cd_store_change_free)

/* Open tickets per status, for a header bar. Indexed by CdTicketStatus. */
#define CD_STORE_N_TICKET_STATUSES (CD_TICKET_STATUS_DUPLICATE + 1)

typedef struct {
  guint total;
  guint by_status[CD_STORE_N_TICKET_STATUSES];
} CdStoreTicketCounts;

/* Pass for an enum filter to mean "any". */
#define CD_STORE_ANY (-1)

CdStore    *cd_store_open                 (const char           *path,
                                           GError              **error);
const char *cd_store_get_path             (CdStore              *self);
guint       cd_store_get_schema_version   (CdStore              *self);
gboolean    cd_store_set_synchronous_full (CdStore              *self,
                                           gboolean              full,
                                           GError              **error);
gboolean    cd_store_check                (CdStore              *self,
                                           GError              **error);
/* Server: group commit with the sync outside the write lock (see the
 * functions' documentation). cd_store_sync_wal() may run on any thread. */
gboolean    cd_store_set_deferred_sync    (CdStore              *self,
                                           gboolean              deferred,
                                           GError              **error);
gboolean    cd_store_sync_wal             (CdStore              *self,
                                           GError              **error);
/* Server: checkpoints on another connection, off the writer's commits. */
typedef void (*CdStoreWalFunc) (gpointer user_data,
                                guint    frames);
void        cd_store_set_wal_watch        (CdStore              *self,
                                           guint                 inline_limit,
                                           CdStoreWalFunc        func,
                                           gpointer              user_data);
gboolean    cd_store_checkpoint           (CdStore              *self,
                                           gboolean             *complete,
                                           GError              **error);

/* Transactions nest: the outermost is BEGIN IMMEDIATE ... COMMIT, inner
 * ones are savepoints, so an inner rollback undoes only its own work. */
gboolean    cd_store_begin                (CdStore              *self,
                                           GError              **error);
gboolean    cd_store_commit               (CdStore              *self,
                                           GError              **error);
void        cd_store_rollback             (CdStore              *self);
guint       cd_store_get_depth            (CdStore              *self);

gint64      cd_store_next_rev             (CdStore              *self,
                                           GError              **error);
gint64      cd_store_get_last_rev         (CdStore              *self,
                                           GError              **error);
gboolean    cd_store_set_last_rev         (CdStore              *self,
                                           gint64                rev,
                                           GError              **error);

gboolean    cd_store_save                 (CdStore              *self,
                                           CdRecord             *record,
                                           GError              **error);
gboolean    cd_store_delete               (CdStore              *self,
                                           GType                 type,
                                           const char           *id,
                                           gint64                rev,
                                           GError              **error);
gpointer    cd_store_load                 (CdStore              *self,
                                           GType                 type,
                                           const char           *id,
                                           GError              **error);
gpointer    cd_store_load_kind            (CdStore              *self,
                                           const char           *kind,
                                           const char           *id,
                                           GError              **error);
char       *cd_store_load_json            (CdStore              *self,
                                           const char           *kind,
                                           const char           *id,
                                           GError              **error);

/* Queries. Each returns a GPtrArray of new references (free with
 * g_ptr_array_unref), or NULL with @error set. A @limit of 0 means none. */
GPtrArray  *cd_store_list_all             (CdStore              *self,
                                           GType                 type,
                                           GError              **error);
gint64      cd_store_append_all_json      (CdStore              *self,
                                           GType                 type,
                                           GString              *out,
                                           GError              **error);
GPtrArray  *cd_store_list_open_tickets    (CdStore              *self,
                                           gint                  status,
                                           const char           *area,
                                           const char           *crew_id,
                                           GError              **error);
gboolean    cd_store_count_open_tickets   (CdStore              *self,
                                           CdStoreTicketCounts  *counts,
                                           GError              **error);
GPtrArray  *cd_store_list_running_deadlines (CdStore            *self,
                                           guint                 limit,
                                           GError              **error);
GPtrArray  *cd_store_list_changes         (CdStore              *self,
                                           gint64                since_rev,
                                           guint                 limit,
                                           gboolean             *more,
                                           GError              **error);
GPtrArray  *cd_store_list_changes_json    (CdStore              *self,
                                           gint64                since_rev,
                                           guint                 limit,
                                           gboolean             *more,
                                           GError              **error);
GPtrArray  *cd_store_list_crews           (CdStore              *self,
                                           gint                  utility,
                                           GError              **error);
gboolean    cd_store_set_crew_position    (CdStore              *self,
                                           const char           *crew_id,
                                           double                lat,
                                           double                lon,
                                           double                heading,
                                           double                speed_kmh,
                                           gint64                at,
                                           GError              **error);
/* Server: a crew's recent trail (schema 4), ephemeral like positions:
 * outside the change log, bounded by the server. */
typedef struct {
  char   *crew_id;
  double  lat, lon, heading, speed_kmh;
  gint64  at;          /* Unix seconds, server clock */
} CdTrailPoint;

void cd_trail_point_free (CdTrailPoint *point);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CdTrailPoint, cd_trail_point_free)

gboolean    cd_store_add_trail_point      (CdStore              *self,
                                           const CdTrailPoint   *point,
                                           GError              **error);
gboolean    cd_store_trim_trail           (CdStore              *self,
                                           const char           *crew_id,
                                           gint64                before,
                                           GError              **error);
GPtrArray  *cd_store_list_trail_points    (CdStore              *self,
                                           const char           *crew_id,
                                           gint64                after,
                                           GError              **error);
/* The latest position of every live crew (CdTrailPoint, by crew id). */
GPtrArray  *cd_store_list_crew_positions  (CdStore              *self,
                                           GError              **error);
GPtrArray  *cd_store_list_callbacks_due   (CdStore              *self,
                                           CdCallbackStatus      status,
                                           gint64                before,
                                           guint                 limit,
                                           GError              **error);
GPtrArray  *cd_store_list_for_ticket      (CdStore              *self,
                                           GType                 type,
                                           const char           *ticket_id,
                                           GError              **error);
gpointer    cd_store_find_user            (CdStore              *self,
                                           const char           *username,
                                           GError              **error);
gpointer    cd_store_find_sla_policy      (CdStore              *self,
                                           CdCategory            category,
                                           CdUrgency             urgency,
                                           CdAreaClass           area_class,
                                           GError              **error);

gboolean    cd_store_begin_read           (CdStore              *self,
                                           GError              **error);

/* Server only: passwords (argon2id hashes), sessions (by token digest),
 * the mutation log (exactly-once), and purging old history. */
gboolean    cd_store_set_password         (CdStore              *self,
                                           const char           *user_id,
                                           const char           *hash,
                                           GError              **error);
char       *cd_store_get_password         (CdStore              *self,
                                           const char           *user_id,
                                           GError              **error);
gboolean    cd_store_add_session          (CdStore              *self,
                                           const char           *digest,
                                           const char           *user_id,
                                           gint64                expires_at,
                                           GError              **error);
char       *cd_store_lookup_session       (CdStore              *self,
                                           const char           *digest,
                                           gint64                now,
                                           gint64               *expires_at,
                                           GError              **error);
gboolean    cd_store_remove_session       (CdStore              *self,
                                           const char           *digest,
                                           GError              **error);
gboolean    cd_store_remove_user_sessions (CdStore              *self,
                                           const char           *user_id,
                                           GError              **error);
char       *cd_store_find_mutation        (CdStore              *self,
                                           const char           *mutation_id,
                                           char                **user_id,
                                           GError              **error);
gboolean    cd_store_add_mutation         (CdStore              *self,
                                           const char           *mutation_id,
                                           const char           *user_id,
                                           const char           *result,
                                           gint64                at,
                                           GError              **error);
gint64      cd_store_get_horizon_rev      (CdStore              *self,
                                           GError              **error);
gboolean    cd_store_purge                (CdStore              *self,
                                           gint64                before_rev,
                                           gint64                before_time,
                                           GError              **error);

/* Client cache only (schema 3) ------------------------------------------ *
 *
 * The outbox: this user's mutations in the order they were made. An entry
 * is pending, then sent (attempts counts the sends; a retry sends the same
 * id and the server replays its result), then done, conflict or rejected.
 * Pending and sent entries are the ones still waiting. */
typedef enum {
  CD_OUTBOX_PENDING,
  CD_OUTBOX_SENT,
  CD_OUTBOX_DONE,
  CD_OUTBOX_CONFLICT,
  CD_OUTBOX_REJECTED,
} CdOutboxState;

typedef struct {
  gint64         seq;        /* the order of the user's changes */
  char          *id;         /* the mutation's UUID */
  char          *mutation;   /* its JSON text (cd_mutation_to_json) */
  CdOutboxState  state;
  gint64         attempts;
  gint64         created_at; /* Unix milliseconds, server clock as the client knew it */
  char          *last_error;
} CdOutboxEntry;

void cd_outbox_entry_free (CdOutboxEntry *entry);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CdOutboxEntry, cd_outbox_entry_free)

/* What the server refused (status conflict or rejected), kept for the
 * user: the mutation, the target as this user's change left it (mine),
 * the row as the server has it now (current), who changed it last. */
typedef struct {
  gint64  id;          /* 0 until stored */
  char   *mutation_id;
  char   *mutation;    /* JSON text */
  char   *kind;        /* of the target, or NULL */
  char   *target;
  char   *mine;        /* JSON text, or NULL */
  char   *current;     /* JSON text, or NULL */
  char   *changed_by;  /* a username, or NULL when unknown */
  char   *code;        /* "conflict", "forbidden", "invalid-transition", ... */
  char   *message;     /* the server's sentence */
  gint64  at;          /* Unix seconds */
} CdStoreConflict;

void cd_store_conflict_free (CdStoreConflict *conflict);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CdStoreConflict, cd_store_conflict_free)

gboolean    cd_store_outbox_add           (CdStore              *self,
                                           const char           *id,
                                           const char           *mutation,
                                           gint64                created_at,
                                           gint64               *seq,
                                           GError              **error);
GPtrArray  *cd_store_outbox_list_waiting  (CdStore              *self,
                                           gint64                after_seq,
                                           guint                 limit,
                                           GError              **error);
CdOutboxEntry *cd_store_outbox_get        (CdStore              *self,
                                           const char           *id,
                                           GError              **error);
gboolean    cd_store_outbox_mark_sent     (CdStore              *self,
                                           const char           *id,
                                           GError              **error);
gboolean    cd_store_outbox_finish        (CdStore              *self,
                                           const char           *id,
                                           CdOutboxState         state,
                                           const char           *last_error,
                                           gboolean             *changed,
                                           GError              **error);
gint64      cd_store_outbox_count_waiting (CdStore              *self,
                                           GError              **error);
gboolean    cd_store_outbox_purge_done    (CdStore              *self,
                                           gint64                before_ms,
                                           GError              **error);
gboolean    cd_store_add_conflict         (CdStore              *self,
                                           CdStoreConflict      *conflict,
                                           GError              **error);
GPtrArray  *cd_store_list_conflicts       (CdStore              *self,
                                           GError              **error);
gboolean    cd_store_remove_conflict      (CdStore              *self,
                                           gint64                id,
                                           GError              **error);
char       *cd_store_get_client_value     (CdStore              *self,
                                           const char           *key,
                                           GError              **error);
gboolean    cd_store_set_client_value     (CdStore              *self,
                                           const char           *key,
                                           const char           *value,
                                           GError              **error);

/* Saving rows as the server sent them. cd_store_save_with_json() stores
 * @json as the row's text and takes the id, version, rev and the query
 * columns from @record, which must be its decoding: a client that decoded
 * a reply to validate it saves the server's text without encoding the
 * record again. cd_store_save_json() decodes @json itself (leniently:
 * members a newer server added are kept in the text, skipped in C). */
gboolean    cd_store_save_with_json       (CdStore              *self,
                                           CdRecord             *record,
                                           const char           *json,
                                           gsize                 length,
                                           GError              **error);
gboolean    cd_store_save_json            (CdStore              *self,
                                           const char           *kind,
                                           const char           *json,
                                           gssize                length,
                                           GError              **error);
/* Client: re-reading the whole feed after a 410 (schema 5). Each inside
 * a transaction but cd_store_resync_pending(). */
gboolean    cd_store_resync_begin         (CdStore              *self,
                                           GError              **error);
gboolean    cd_store_resync_pending       (CdStore              *self,
                                           gboolean             *pending,
                                           GError              **error);
gboolean    cd_store_resync_seen          (CdStore              *self,
                                           GType                 type,
                                           const char           *id,
                                           GError              **error);
gboolean    cd_store_resync_finish        (CdStore              *self,
                                           guint                *n_removed,
                                           GError              **error);
/* Empties every record table, the positions and trails (not the outbox,
 * the conflicts nor client values): a client replacing its rows with a
 * snapshot, inside its transaction. */
gboolean    cd_store_clear_records        (CdStore              *self,
                                           GError              **error);

G_END_DECLS
