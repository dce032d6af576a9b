/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-store.c: records in SQLite, one table per kind, JSON as the truth. */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cd-model.h"
#include "cd-sla-clock.h"
#include "cd-store.h"
#include "cd-store-private.h"

/* Long enough to ride out another worker's commit, short enough that a
 * stuck writer surfaces as an error instead of a hung request. */
#define BUSY_TIMEOUT_MS 5000

typedef enum {
  KIND_TICKET,
  KIND_CREW,
  KIND_CALLBACK,
  KIND_ASSIGNMENT_EVENT,
  KIND_USER,
  KIND_SLA_POLICY,
} Kind;

#define N_KINDS (KIND_SLA_POLICY + 1)

typedef enum {
  OP_SAVE,
  OP_LOAD,
  OP_DELETE,
  OP_LIST,
  OP_CLEAR,
  OP_RESYNC_MARK,
  OP_RESYNC_SWEEP,
} Op;

#define N_OPS (OP_RESYNC_SWEEP + 1)

typedef enum {
  STMT_BEGIN,
  STMT_COMMIT,
  STMT_ROLLBACK,
  STMT_SAVEPOINT,
  STMT_RELEASE,
  STMT_ROLLBACK_TO,
  STMT_GET_REV,
  STMT_NEXT_REV,
  STMT_SET_REV,
  STMT_OPEN_TICKETS, /* 8 variants, indexed by a filter mask */
  STMT_OPEN_TICKETS_LAST = STMT_OPEN_TICKETS + 7,
  STMT_COUNT_OPEN,
  STMT_DEADLINES,
  STMT_CHANGES,
  STMT_CREWS,
  STMT_CREWS_UTILITY,
  STMT_SET_POSITION,
  STMT_CALLBACKS_DUE,
  STMT_CALLBACKS_FOR_TICKET,
  STMT_EVENTS_FOR_TICKET,
  STMT_FIND_USER,
  STMT_FIND_SLA_POLICY,
  STMT_BEGIN_READ,
  STMT_SET_PASSWORD,
  STMT_GET_PASSWORD,
  STMT_ADD_SESSION,
  STMT_LOOKUP_SESSION,
  STMT_REMOVE_SESSION,
  STMT_PURGE_SESSIONS,
  STMT_REMOVE_USER_SESSIONS,
  STMT_FIND_MUTATION,
  STMT_ADD_MUTATION,
  STMT_PURGE_MUTATIONS,
  STMT_GET_HORIZON,
  STMT_OUTBOX_ADD,
  STMT_OUTBOX_PENDING,
  STMT_OUTBOX_GET,
  STMT_OUTBOX_MARK_SENT,
  STMT_OUTBOX_FINISH,
  STMT_OUTBOX_COUNT,
  STMT_OUTBOX_PURGE,
  STMT_CONFLICT_ADD,
  STMT_CONFLICTS_LIST,
  STMT_CONFLICT_REMOVE,
  STMT_CLIENT_GET,
  STMT_CLIENT_SET,
  STMT_CLEAR_POSITIONS,
  STMT_TRAIL_ADD,
  STMT_TRAIL_TRIM,
  STMT_TRAIL_TRIM_ALL,
  STMT_TRAIL_LIST,
  STMT_TRAIL_LIST_ALL,
  STMT_CLEAR_TRAILS,
  STMT_POSITIONS_LIST,
  STMT_RESYNC_ANY,
  STMT_RESYNC_SEEN,
  STMT_RESYNC_CLEAR,
} Stmt;

#define N_STMTS (STMT_RESYNC_CLEAR + 1)

/* Filter bits of STMT_OPEN_TICKETS + mask. */
#define FILTER_STATUS 1
#define FILTER_AREA   2
#define FILTER_CREW   4

struct _CdStore
{
  GObject        parent_instance;

  sqlite3       *db;
  char          *path;
  guint          schema_version;
  guint          depth;          /* 0: autocommit; 1: BEGIN; > 1: savepoints */
  gint           dir_synced;     /* atomic: cd_store_sync_wal() synced the folder once */

  /* cd_store_set_wal_watch() */
  CdStoreWalFunc wal_func;
  gpointer       wal_data;
  guint          wal_inline_limit;

  sqlite3_stmt  *stmts[N_STMTS];
  sqlite3_stmt  *kind_stmts[N_KINDS][N_OPS];
};

G_DEFINE_FINAL_TYPE (CdStore, cd_store, G_TYPE_OBJECT)

G_DEFINE_QUARK (cd-store-error-quark, cd_store_error)

/* Schema ------------------------------------------------------------------ */

/* Every kind's table starts with the same five columns: the record's
 * identity, a tombstone flag and the JSON. A tombstone drops the JSON and
 * keeps id and rev so the changes feed can report the deletion. The
 * columns after them are copies of fields, extracted in C when saving, for
 * what the queries filter and sort on. Enums are stored as their nicks. */
#define COMMON_COLUMNS \
  "id      TEXT PRIMARY KEY NOT NULL," \
  "version INTEGER NOT NULL," \
  "rev     INTEGER NOT NULL," \
  "deleted INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1))," \
  "data    TEXT CHECK (deleted = 1 OR data IS NOT NULL)"

/* Migration N (1-based) is migrations[N - 1]; each runs in its own
 * transaction and must end by setting user_version to N. Never edit a
 * released step: add a new one. */
static const char * const migrations[] = {
  /* 1: the first schema. Partial indexes on open = 1 keep only the few
   * thousand open tickets in the hot indexes while closed ones pile up. */
  "CREATE TABLE meta ("
  "  key   TEXT PRIMARY KEY NOT NULL,"
  "  value INTEGER NOT NULL"
  ") WITHOUT ROWID;"
  "INSERT INTO meta (key, value) VALUES ('rev', 0);"

  "CREATE TABLE tickets (" COMMON_COLUMNS ","
  "  status     TEXT,"
  "  open       INTEGER NOT NULL DEFAULT 0,"
  "  paused     INTEGER NOT NULL DEFAULT 0,"
  "  area       TEXT,"
  "  crew_id    TEXT,"
  "  utility    TEXT,"
  "  category   TEXT,"
  "  created_at INTEGER NOT NULL DEFAULT 0,"
  "  next_due   INTEGER NOT NULL DEFAULT 0"
  ");"
  "CREATE INDEX tickets_rev ON tickets (rev);"
  "CREATE INDEX tickets_open ON tickets (created_at, id) WHERE open = 1;"
  /* open is redundant here but lets the per-status count be answered
   * from this index alone (SQLite 3.40 does not count a partial index's
   * WHERE terms as covered). */
  "CREATE INDEX tickets_open_status ON tickets (status, created_at, id, open) WHERE open = 1;"
  /* Each filter's index also yields the order (created_at, id), so no
   * combination sorts, whatever statistics the planner has. */
  "CREATE INDEX tickets_open_area ON tickets (area, created_at, id) WHERE open = 1;"
  "CREATE INDEX tickets_open_crew ON tickets (crew_id, created_at, id) WHERE open = 1;"
  "CREATE INDEX tickets_deadline ON tickets (next_due, id)"
  "  WHERE open = 1 AND paused = 0 AND next_due > 0;"

  "CREATE TABLE crews (" COMMON_COLUMNS ","
  "  name    TEXT,"
  "  utility TEXT,"
  "  status  TEXT"
  ");"
  "CREATE INDEX crews_rev ON crews (rev);"
  "CREATE INDEX crews_live ON crews (name, id) WHERE deleted = 0;"
  "CREATE INDEX crews_utility ON crews (utility, name, id) WHERE deleted = 0;"

  /* Positions are ephemeral: the latest per crew, outside the change log,
   * laid over the crew record when it is read. */
  "CREATE TABLE crew_positions ("
  "  crew_id   TEXT PRIMARY KEY NOT NULL REFERENCES crews (id) ON DELETE CASCADE,"
  "  lat       REAL NOT NULL,"
  "  lon       REAL NOT NULL,"
  "  heading   REAL NOT NULL DEFAULT 0,"
  "  speed_kmh REAL NOT NULL DEFAULT 0,"
  "  at        INTEGER NOT NULL"
  ") WITHOUT ROWID;"

  "CREATE TABLE callbacks (" COMMON_COLUMNS ","
  "  ticket_id TEXT,"
  "  due_at    INTEGER NOT NULL DEFAULT 0,"
  "  priority  INTEGER NOT NULL DEFAULT 0,"
  "  status    TEXT"
  ");"
  "CREATE INDEX callbacks_rev ON callbacks (rev);"
  "CREATE INDEX callbacks_due ON callbacks (status, due_at, priority DESC, id) WHERE deleted = 0;"
  "CREATE INDEX callbacks_ticket ON callbacks (ticket_id, due_at, id) WHERE deleted = 0;"

  "CREATE TABLE assignment_events (" COMMON_COLUMNS ","
  "  ticket_id TEXT,"
  "  at        INTEGER NOT NULL DEFAULT 0"
  ");"
  "CREATE INDEX assignment_events_rev ON assignment_events (rev);"
  "CREATE INDEX assignment_events_ticket ON assignment_events (ticket_id, at, id) WHERE deleted = 0;"

  "CREATE TABLE users (" COMMON_COLUMNS ","
  "  username TEXT"
  ");"
  "CREATE INDEX users_rev ON users (rev);"
  "CREATE UNIQUE INDEX users_username ON users (username) WHERE deleted = 0;"

  "CREATE TABLE sla_policies (" COMMON_COLUMNS ","
  "  category   TEXT,"
  "  urgency    TEXT,"
  "  area_class TEXT"
  ");"
  "CREATE INDEX sla_policies_rev ON sla_policies (rev);"
  "CREATE UNIQUE INDEX sla_policies_key ON sla_policies (category, urgency, area_class)"
  "  WHERE deleted = 0;"

  "PRAGMA application_id = 1128559467;" /* CD_STORE_APPLICATION_ID */
  "PRAGMA user_version = 1;",

  /* 2: what only the server keeps. Passwords stay out of the records (and
   * so out of every sync reply); sessions are stored by the SHA-256 of
   * their token; the mutation log makes every mutation UUID apply once
   * and replay its result after; the horizon is the oldest revision the
   * changes feed can still answer from (tombstones before it are gone). */
  "CREATE TABLE passwords ("
  "  user_id TEXT PRIMARY KEY NOT NULL,"
  "  hash    TEXT NOT NULL"
  ") WITHOUT ROWID;"
  "CREATE TABLE sessions ("
  "  digest     TEXT PRIMARY KEY NOT NULL,"
  "  user_id    TEXT NOT NULL,"
  "  expires_at INTEGER NOT NULL"
  ") WITHOUT ROWID;"
  "CREATE INDEX sessions_expiry ON sessions (expires_at);"
  "CREATE TABLE mutation_log ("
  "  id      TEXT PRIMARY KEY NOT NULL,"
  "  user_id TEXT NOT NULL,"
  "  at      INTEGER NOT NULL,"
  "  result  TEXT NOT NULL"
  ") WITHOUT ROWID;"
  "CREATE INDEX mutation_log_at ON mutation_log (at);"
  "INSERT INTO meta (key, value) VALUES ('horizon', 0);"
  "PRAGMA user_version = 2;",

  /* 3: what only a client cache keeps. The outbox is the ordered queue of
   * this user's mutations: pending until sent, sent until the server's
   * result is in (a retry reuses the id, the server replays), then done,
   * conflict or rejected. Only the mutation is stored; its optimistic
   * effect is computed from it on top of the server rows. conflicts keep
   * what the server refused, for the user to retry or discard.
   * client_meta holds the cache's own text values (the signed-in user,
   * the server's address). */
  "CREATE TABLE outbox ("
  "  seq        INTEGER PRIMARY KEY AUTOINCREMENT,"
  "  id         TEXT NOT NULL UNIQUE,"
  "  mutation   TEXT NOT NULL,"
  "  state      TEXT NOT NULL DEFAULT 'pending'"
  "             CHECK (state IN ('pending', 'sent', 'done', 'conflict', 'rejected')),"
  "  attempts   INTEGER NOT NULL DEFAULT 0,"
  "  created_at INTEGER NOT NULL,"
  "  last_error TEXT"
  ");"
  "CREATE INDEX outbox_waiting ON outbox (seq) WHERE state IN ('pending', 'sent');"
  "CREATE TABLE conflicts ("
  "  id          INTEGER PRIMARY KEY AUTOINCREMENT,"
  "  mutation_id TEXT NOT NULL UNIQUE,"
  "  mutation    TEXT NOT NULL,"
  "  kind        TEXT,"
  "  target      TEXT,"
  "  mine        TEXT,"
  "  current     TEXT,"
  "  changed_by  TEXT,"
  "  code        TEXT NOT NULL,"
  "  message     TEXT NOT NULL,"
  "  at          INTEGER NOT NULL"
  ");"
  "CREATE TABLE client_meta ("
  "  key   TEXT PRIMARY KEY NOT NULL,"
  "  value TEXT"
  ") WITHOUT ROWID;"
  "PRAGMA user_version = 3;",

  /* 4: crews' recent trails, on the server. Like the latest position, a
   * trail is ephemeral and outside the change log: the server keeps a
   * bounded history per crew (a time window and a number of points) and
   * deletes what falls out of it. */
  "CREATE TABLE crew_trails ("
  "  crew_id   TEXT NOT NULL REFERENCES crews (id) ON DELETE CASCADE,"
  "  at        INTEGER NOT NULL,"
  "  lat       REAL NOT NULL,"
  "  lon       REAL NOT NULL,"
  "  heading   REAL NOT NULL DEFAULT 0,"
  "  speed_kmh REAL NOT NULL DEFAULT 0,"
  "  PRIMARY KEY (crew_id, at)"
  ") WITHOUT ROWID;"
  "PRAGMA user_version = 4;",

  /* 5: a client cache re-reading the whole feed after a 410 keeps here
   * the rows it had that the pass has not brought yet (see
   * cd_store_resync_begin()); what is left at the end is gone from the
   * server. Kept on disk, so a pass cut short goes on after a restart. */
  "CREATE TABLE resync_stale ("
  "  kind TEXT NOT NULL,"
  "  id   TEXT NOT NULL,"
  "  PRIMARY KEY (kind, id)"
  ") WITHOUT ROWID;"
  "PRAGMA user_version = 5;",
};

G_STATIC_ASSERT (G_N_ELEMENTS (migrations) == CD_STORE_SCHEMA_VERSION);
G_STATIC_ASSERT (CD_STORE_APPLICATION_ID == 1128559467);

/* Cheap reads that walk from the root of each table (and the rev indexes)
 * to its first and last leaf: O(depth), not O(size). Together with reading
 * the schema they catch a damaged header, schema or root page at open
 * without paying for PRAGMA quick_check on every start; deeper damage is
 * reported as CORRUPT by the query that meets it, and cd_store_check()
 * runs the full check on request. */
typedef struct {
  guint       since_version;
  const char *sql;
} Probe;

#define PROBE_TABLE(t) \
  "SELECT (SELECT min(rowid) FROM " t "), (SELECT max(rowid) FROM " t "), (SELECT max(rev) FROM " t ")"

static const Probe probes[] = {
  { 1, "SELECT (SELECT min(key) FROM meta), (SELECT max(key) FROM meta)" },
  { 1, PROBE_TABLE ("tickets") },
  { 1, PROBE_TABLE ("crews") },
  { 1, "SELECT (SELECT min(crew_id) FROM crew_positions), (SELECT max(crew_id) FROM crew_positions)" },
  { 1, PROBE_TABLE ("callbacks") },
  { 1, PROBE_TABLE ("assignment_events") },
  { 1, PROBE_TABLE ("users") },
  { 1, PROBE_TABLE ("sla_policies") },
  { 2, "SELECT (SELECT min(user_id) FROM passwords), (SELECT max(user_id) FROM passwords)" },
  { 2, "SELECT (SELECT min(digest) FROM sessions), (SELECT max(digest) FROM sessions)" },
  { 2, "SELECT (SELECT min(id) FROM mutation_log), (SELECT max(id) FROM mutation_log)" },
  { 3, "SELECT (SELECT min(seq) FROM outbox), (SELECT max(seq) FROM outbox)" },
  { 3, "SELECT (SELECT min(id) FROM conflicts), (SELECT max(id) FROM conflicts)" },
  { 3, "SELECT (SELECT min(key) FROM client_meta), (SELECT max(key) FROM client_meta)" },
  { 4, "SELECT (SELECT min(crew_id) FROM crew_trails), (SELECT max(crew_id) FROM crew_trails)" },
  { 5, "SELECT (SELECT min(kind) FROM resync_stale), (SELECT max(kind) FROM resync_stale)" },
};

/* Statements -------------------------------------------------------------- */

typedef struct {
  const char *name;
  const char *sql;
} StmtInfo;

#define OPEN_TICKETS(filter) \
  "SELECT data FROM tickets WHERE open = 1" filter " ORDER BY created_at, id"

#define CREW_SELECT \
  "SELECT c.data, p.lat, p.lon, p.heading, p.speed_kmh, p.at" \
  " FROM crews AS c LEFT JOIN crew_positions AS p ON p.crew_id = c.id"

#define CHANGES_ARM(n, table) \
  "SELECT " #n " AS kind, id, rev, deleted, data FROM " table " WHERE rev > ?1"

static const StmtInfo stmt_info[N_STMTS] = {
  [STMT_BEGIN] = { "begin", "BEGIN IMMEDIATE" },
  [STMT_COMMIT] = { "commit", "COMMIT" },
  [STMT_ROLLBACK] = { "rollback", "ROLLBACK" },
  [STMT_SAVEPOINT] = { "savepoint", "SAVEPOINT nested" },
  [STMT_RELEASE] = { "release", "RELEASE nested" },
  [STMT_ROLLBACK_TO] = { "rollback_to", "ROLLBACK TO nested" },
  [STMT_GET_REV] = { "get_rev", "SELECT value FROM meta WHERE key = 'rev'" },
  [STMT_NEXT_REV] = { "next_rev", "UPDATE meta SET value = value + 1 WHERE key = 'rev' RETURNING value" },
  [STMT_SET_REV] = { "set_rev", "UPDATE meta SET value = ?1 WHERE key = 'rev'" },
  [STMT_OPEN_TICKETS + 0] = { "open_tickets", OPEN_TICKETS ("") },
  [STMT_OPEN_TICKETS + FILTER_STATUS] = {
    "open_tickets.status", OPEN_TICKETS (" AND status = ?1") },
  [STMT_OPEN_TICKETS + FILTER_AREA] = {
    "open_tickets.area", OPEN_TICKETS (" AND area = ?2") },
  [STMT_OPEN_TICKETS + FILTER_STATUS + FILTER_AREA] = {
    "open_tickets.status.area", OPEN_TICKETS (" AND status = ?1 AND area = ?2") },
  [STMT_OPEN_TICKETS + FILTER_CREW] = {
    "open_tickets.crew", OPEN_TICKETS (" AND crew_id = ?3") },
  [STMT_OPEN_TICKETS + FILTER_STATUS + FILTER_CREW] = {
    "open_tickets.status.crew", OPEN_TICKETS (" AND status = ?1 AND crew_id = ?3") },
  [STMT_OPEN_TICKETS + FILTER_AREA + FILTER_CREW] = {
    "open_tickets.area.crew", OPEN_TICKETS (" AND area = ?2 AND crew_id = ?3") },
  [STMT_OPEN_TICKETS + FILTER_STATUS + FILTER_AREA + FILTER_CREW] = {
    "open_tickets.status.area.crew",
    OPEN_TICKETS (" AND status = ?1 AND area = ?2 AND crew_id = ?3") },
  [STMT_COUNT_OPEN] = {
    "count_open", "SELECT status, count(*) FROM tickets WHERE open = 1 GROUP BY status" },
  [STMT_DEADLINES] = {
    "deadlines",
    "SELECT data FROM tickets WHERE open = 1 AND paused = 0 AND next_due > 0"
    " ORDER BY next_due, id LIMIT ?1" },
  /* A merge of per-table index walks in rev order (MERGE (UNION ALL)):
   * the LIMIT stops it early, nothing is sorted. The kind is the Kind
   * value. */
  [STMT_CHANGES] = {
    "changes",
    CHANGES_ARM (0, "tickets")
    " UNION ALL " CHANGES_ARM (1, "crews")
    " UNION ALL " CHANGES_ARM (2, "callbacks")
    " UNION ALL " CHANGES_ARM (3, "assignment_events")
    " UNION ALL " CHANGES_ARM (4, "users")
    " UNION ALL " CHANGES_ARM (5, "sla_policies")
    " ORDER BY rev LIMIT ?2" },
  [STMT_CREWS] = {
    "crews", CREW_SELECT " WHERE c.deleted = 0 ORDER BY c.name, c.id" },
  [STMT_CREWS_UTILITY] = {
    "crews.utility", CREW_SELECT " WHERE c.deleted = 0 AND c.utility = ?1 ORDER BY c.name, c.id" },
  /* An older report arriving late must not move the crew back. */
  [STMT_SET_POSITION] = {
    "set_position",
    "INSERT INTO crew_positions (crew_id, lat, lon, heading, speed_kmh, at)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
    " ON CONFLICT (crew_id) DO UPDATE SET lat = excluded.lat, lon = excluded.lon,"
    " heading = excluded.heading, speed_kmh = excluded.speed_kmh, at = excluded.at"
    " WHERE excluded.at >= crew_positions.at" },
  [STMT_CALLBACKS_DUE] = {
    "callbacks_due",
    "SELECT data FROM callbacks WHERE deleted = 0 AND status = ?1 AND due_at < ?2"
    " ORDER BY due_at, priority DESC, id LIMIT ?3" },
  [STMT_CALLBACKS_FOR_TICKET] = {
    "callbacks_for_ticket",
    "SELECT data FROM callbacks WHERE deleted = 0 AND ticket_id = ?1 ORDER BY due_at, id" },
  [STMT_EVENTS_FOR_TICKET] = {
    "events_for_ticket",
    "SELECT data FROM assignment_events WHERE deleted = 0 AND ticket_id = ?1 ORDER BY at, id" },
  [STMT_FIND_USER] = {
    "find_user", "SELECT data FROM users WHERE deleted = 0 AND username = ?1" },
  [STMT_FIND_SLA_POLICY] = {
    "find_sla_policy",
    "SELECT data FROM sla_policies WHERE deleted = 0"
    " AND category = ?1 AND urgency = ?2 AND area_class = ?3" },
  [STMT_BEGIN_READ] = { "begin_read", "BEGIN DEFERRED" },
  [STMT_SET_PASSWORD] = {
    "set_password",
    "INSERT INTO passwords (user_id, hash) VALUES (?1, ?2)"
    " ON CONFLICT (user_id) DO UPDATE SET hash = excluded.hash" },
  [STMT_GET_PASSWORD] = { "get_password", "SELECT hash FROM passwords WHERE user_id = ?1" },
  [STMT_ADD_SESSION] = {
    "add_session", "INSERT INTO sessions (digest, user_id, expires_at) VALUES (?1, ?2, ?3)" },
  [STMT_LOOKUP_SESSION] = {
    "lookup_session", "SELECT user_id, expires_at FROM sessions WHERE digest = ?1 AND expires_at > ?2" },
  [STMT_REMOVE_SESSION] = { "remove_session", "DELETE FROM sessions WHERE digest = ?1" },
  [STMT_PURGE_SESSIONS] = { "purge_sessions", "DELETE FROM sessions WHERE expires_at <= ?1" },
  [STMT_REMOVE_USER_SESSIONS] = { "remove_user_sessions", "DELETE FROM sessions WHERE user_id = ?1" },
  [STMT_FIND_MUTATION] = { "find_mutation", "SELECT result, user_id FROM mutation_log WHERE id = ?1" },
  [STMT_ADD_MUTATION] = {
    "add_mutation", "INSERT INTO mutation_log (id, user_id, at, result) VALUES (?1, ?2, ?3, ?4)" },
  [STMT_PURGE_MUTATIONS] = { "purge_mutations", "DELETE FROM mutation_log WHERE at < ?1" },
  [STMT_GET_HORIZON] = { "get_horizon", "SELECT value FROM meta WHERE key = 'horizon'" },
  [STMT_OUTBOX_ADD] = {
    "outbox_add", "INSERT INTO outbox (id, mutation, created_at) VALUES (?1, ?2, ?3)" },
  [STMT_OUTBOX_PENDING] = {
    "outbox_pending",
    "SELECT seq, id, mutation, state, attempts, created_at, last_error FROM outbox"
    " WHERE state IN ('pending', 'sent') AND seq > ?1 ORDER BY seq LIMIT ?2" },
  [STMT_OUTBOX_GET] = {
    "outbox_get",
    "SELECT seq, id, mutation, state, attempts, created_at, last_error FROM outbox WHERE id = ?1" },
  [STMT_OUTBOX_MARK_SENT] = {
    "outbox_mark_sent",
    "UPDATE outbox SET state = 'sent', attempts = attempts + 1"
    " WHERE id = ?1 AND state IN ('pending', 'sent')" },
  /* A result is final: a late duplicate must not reopen it. */
  [STMT_OUTBOX_FINISH] = {
    "outbox_finish",
    "UPDATE outbox SET state = ?2, last_error = ?3 WHERE id = ?1 AND state IN ('pending', 'sent')" },
  [STMT_OUTBOX_COUNT] = {
    "outbox_count", "SELECT count(*) FROM outbox WHERE state IN ('pending', 'sent')" },
  [STMT_OUTBOX_PURGE] = {
    "outbox_purge", "DELETE FROM outbox WHERE state = 'done' AND created_at < ?1" },
  [STMT_CONFLICT_ADD] = {
    "conflict_add",
    "INSERT INTO conflicts (mutation_id, mutation, kind, target, mine, current, changed_by,"
    " code, message, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
    " ON CONFLICT (mutation_id) DO NOTHING" },
  [STMT_CONFLICTS_LIST] = {
    "conflicts_list",
    "SELECT id, mutation_id, mutation, kind, target, mine, current, changed_by, code, message, at"
    " FROM conflicts ORDER BY id" },
  [STMT_CONFLICT_REMOVE] = { "conflict_remove", "DELETE FROM conflicts WHERE id = ?1" },
  [STMT_CLIENT_GET] = { "client_get", "SELECT value FROM client_meta WHERE key = ?1" },
  [STMT_CLIENT_SET] = {
    "client_set",
    "INSERT INTO client_meta (key, value) VALUES (?1, ?2)"
    " ON CONFLICT (key) DO UPDATE SET value = excluded.value" },
  [STMT_CLEAR_POSITIONS] = { "clear_positions", "DELETE FROM crew_positions" },
  [STMT_TRAIL_ADD] = {
    "trail_add",
    "INSERT INTO crew_trails (crew_id, at, lat, lon, heading, speed_kmh)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (crew_id, at) DO NOTHING" },
  [STMT_TRAIL_TRIM] = { "trail_trim", "DELETE FROM crew_trails WHERE crew_id = ?1 AND at < ?2" },
  [STMT_TRAIL_TRIM_ALL] = { "trail_trim_all", "DELETE FROM crew_trails WHERE at < ?1" },
  [STMT_TRAIL_LIST] = {
    "trail_list",
    "SELECT crew_id, at, lat, lon, heading, speed_kmh FROM crew_trails"
    " WHERE crew_id = ?1 AND at > ?2 ORDER BY at" },
  [STMT_TRAIL_LIST_ALL] = {
    "trail_list_all",
    "SELECT crew_id, at, lat, lon, heading, speed_kmh FROM crew_trails"
    " WHERE at > ?1 ORDER BY crew_id, at" },
  [STMT_CLEAR_TRAILS] = { "clear_trails", "DELETE FROM crew_trails" },
  [STMT_POSITIONS_LIST] = {
    "positions_list",
    "SELECT p.crew_id, p.at, p.lat, p.lon, p.heading, p.speed_kmh"
    " FROM crew_positions AS p JOIN crews AS c ON c.id = p.crew_id"
    " WHERE c.deleted = 0 ORDER BY p.crew_id" },
  [STMT_RESYNC_ANY] = { "resync_any", "SELECT EXISTS (SELECT 1 FROM resync_stale)" },
  [STMT_RESYNC_SEEN] = { "resync_seen", "DELETE FROM resync_stale WHERE kind = ?1 AND id = ?2" },
  [STMT_RESYNC_CLEAR] = { "resync_clear", "DELETE FROM resync_stale" },
};

typedef struct {
  const char  *kind;
  GType      (*get_type) (void);
  const char  *sql[N_OPS];
} KindInfo;

#define LOAD_SQL(table) "SELECT data FROM " table " WHERE id = ?1 AND deleted = 0"
#define LIST_SQL(table) "SELECT data FROM " table " WHERE deleted = 0 ORDER BY id"
#define DELETE_SQL(table, extra) \
  "UPDATE " table " SET deleted = 1, rev = ?2, version = version + 1, data = NULL" extra \
  " WHERE id = ?1 AND deleted = 0"
/* A client re-reading everything (after a 410) marks each live row, the
 * pass unmarks the rows it brings, and what stays marked is gone from the
 * server. */
#define RESYNC_SQL(table, kind) \
  "INSERT OR IGNORE INTO resync_stale (kind, id) SELECT '" kind "', id FROM " table " WHERE deleted = 0", \
  "DELETE FROM " table " WHERE id IN (SELECT id FROM resync_stale WHERE kind = '" kind "')"
#define UPSERT_COMMON "version = excluded.version, rev = excluded.rev, deleted = 0, data = excluded.data"

/* Saving binds ?1 id, ?2 version, ?3 rev, ?4 data, then the kind's own
 * columns from ?5 in the order of bind_columns(). */
static const char * const op_names[N_OPS] = {
  "save", "load", "delete", "list", "clear", "resync_mark", "resync_sweep",
};

static const KindInfo kinds[N_KINDS] = {
  [KIND_TICKET] = { "ticket", cd_ticket_get_type, {
    "INSERT INTO tickets (id, version, rev, data, status, open, paused, area, crew_id,"
    " utility, category, created_at, next_due)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)"
    " ON CONFLICT (id) DO UPDATE SET " UPSERT_COMMON ", status = excluded.status,"
    " open = excluded.open, paused = excluded.paused, area = excluded.area,"
    " crew_id = excluded.crew_id, utility = excluded.utility, category = excluded.category,"
    " created_at = excluded.created_at, next_due = excluded.next_due",
    LOAD_SQL ("tickets"),
    DELETE_SQL ("tickets", ", open = 0, paused = 0, next_due = 0"),
    LIST_SQL ("tickets"),
    "DELETE FROM tickets",
    RESYNC_SQL ("tickets", "ticket") } },
  [KIND_CREW] = { "crew", cd_crew_get_type, {
    "INSERT INTO crews (id, version, rev, data, name, utility, status)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
    " ON CONFLICT (id) DO UPDATE SET " UPSERT_COMMON ", name = excluded.name,"
    " utility = excluded.utility, status = excluded.status",
    CREW_SELECT " WHERE c.id = ?1 AND c.deleted = 0",
    DELETE_SQL ("crews", ""),
    CREW_SELECT " WHERE c.deleted = 0 ORDER BY c.id",
    "DELETE FROM crews",
    RESYNC_SQL ("crews", "crew") } },
  [KIND_CALLBACK] = { "callback", cd_callback_get_type, {
    "INSERT INTO callbacks (id, version, rev, data, ticket_id, due_at, priority, status)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
    " ON CONFLICT (id) DO UPDATE SET " UPSERT_COMMON ", ticket_id = excluded.ticket_id,"
    " due_at = excluded.due_at, priority = excluded.priority, status = excluded.status",
    LOAD_SQL ("callbacks"),
    DELETE_SQL ("callbacks", ""),
    LIST_SQL ("callbacks"),
    "DELETE FROM callbacks",
    RESYNC_SQL ("callbacks", "callback") } },
  [KIND_ASSIGNMENT_EVENT] = { "assignment_event", cd_assignment_event_get_type, {
    "INSERT INTO assignment_events (id, version, rev, data, ticket_id, at)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
    " ON CONFLICT (id) DO UPDATE SET " UPSERT_COMMON ", ticket_id = excluded.ticket_id,"
    " at = excluded.at",
    LOAD_SQL ("assignment_events"),
    DELETE_SQL ("assignment_events", ""),
    LIST_SQL ("assignment_events"),
    "DELETE FROM assignment_events",
    RESYNC_SQL ("assignment_events", "assignment_event") } },
  [KIND_USER] = { "user", cd_user_get_type, {
    "INSERT INTO users (id, version, rev, data, username)"
    " VALUES (?1, ?2, ?3, ?4, ?5)"
    " ON CONFLICT (id) DO UPDATE SET " UPSERT_COMMON ", username = excluded.username",
    LOAD_SQL ("users"),
    DELETE_SQL ("users", ""),
    LIST_SQL ("users"),
    "DELETE FROM users",
    RESYNC_SQL ("users", "user") } },
  [KIND_SLA_POLICY] = { "sla_policy", cd_sla_policy_get_type, {
    "INSERT INTO sla_policies (id, version, rev, data, category, urgency, area_class)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
    " ON CONFLICT (id) DO UPDATE SET " UPSERT_COMMON ", category = excluded.category,"
    " urgency = excluded.urgency, area_class = excluded.area_class",
    LOAD_SQL ("sla_policies"),
    DELETE_SQL ("sla_policies", ""),
    LIST_SQL ("sla_policies"),
    "DELETE FROM sla_policies",
    RESYNC_SQL ("sla_policies", "sla_policy") } },
};

/* A statement on loan from the store: g_autoptr resets it and drops its
 * bindings (and the JSON bound to it) on every path out of the caller. */
typedef sqlite3_stmt StmtLease;

static void
stmt_lease_release (StmtLease *stmt)
{
  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (StmtLease, stmt_lease_release)

/* Errors ------------------------------------------------------------------ */

/* Maps an SQLite result to a CD_STORE_ERROR with a sentence a user can act
 * on; SQLite's own message is kept in parentheses for the log. */
static void
set_sqlite_error (GError     **error,
                  sqlite3     *db,
                  int          rc,
                  const char  *path)
{
  g_autofree char *name = g_filename_display_name (path);
  const char *detail = db != NULL ? sqlite3_errmsg (db) : sqlite3_errstr (rc);

  switch (rc & 0xff)
    {
    case SQLITE_NOTADB:
      g_set_error (error, CD_STORE_ERROR, CD_STORE_ERROR_NOT_A_DATABASE,
                   _("“%s” is not a Crewdesk database, nor any database (%s). "
                     "Choose another file."), name, detail);
      break;
    case SQLITE_CORRUPT:
      g_set_error (error, CD_STORE_ERROR, CD_STORE_ERROR_CORRUPT,
                   _("“%s” is damaged (%s). Restore it from a backup, or open another file."),
                   name, detail);
      break;
    case SQLITE_FULL:
      g_set_error (error, CD_STORE_ERROR, CD_STORE_ERROR_FULL,
                   _("The disk holding “%s” is full, so nothing was saved (%s). "
                     "Free some space, then try again."), name, detail);
      break;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      g_set_error (error, CD_STORE_ERROR, CD_STORE_ERROR_BUSY,
                   _("“%s” is locked by another program or thread (%s). "
                     "Try again in a moment."), name, detail);
      break;
    case SQLITE_CONSTRAINT:
      g_set_error (error, CD_STORE_ERROR, CD_STORE_ERROR_CONSTRAINT,
                   _("The change conflicts with data already in “%s” (%s); nothing was saved."),
                   name, detail);
      break;
    case SQLITE_CANTOPEN:
      g_set_error (error, CD_STORE_ERROR, CD_STORE_ERROR_IO,
                   _("Could not open “%s” (%s). Check that its folder exists and "
                     "that you may write to it."), name, detail);
      break;
    case SQLITE_IOERR:
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_AUTH:
      g_set_error (error, CD_STORE_ERROR, CD_STORE_ERROR_IO,
                   _("Could not read or write “%s” (%s). Check that the disk is "
                     "present and that you may write to the file."), name, detail);
      break;
    default:
      g_set_error (error, CD_STORE_ERROR, CD_STORE_ERROR_FAILED,
                   _("The database “%s” reported an error (%s)."), name, detail);
      break;
    }
}

static void
store_error (CdStore  *self,
             int       rc,
             GError  **error)
{
  set_sqlite_error (error, self->db, rc, self->path);
}

static void
set_corrupt_record_error (CdStore     *self,
                          Kind         kind,
                          const char  *detail,
                          GError     **error)
{
  g_autofree char *name = g_filename_display_name (self->path);

  g_set_error (error, CD_STORE_ERROR, CD_STORE_ERROR_CORRUPT,
               _("A %s stored in “%s” cannot be read (%s). Restore the file from "
                 "a backup, or update Crewdesk if a newer one wrote it."),
               kinds[kind].kind, name, detail);
}

static void
set_newer_schema_error (const char  *path,
                        gint64       version,
                        GError     **error)
{
  g_autofree char *name = g_filename_display_name (path);

  /* user_version is a 32-bit field. */
  g_set_error (error, CD_STORE_ERROR, CD_STORE_ERROR_NEWER_SCHEMA,
               _("“%s” was written by a newer Crewdesk (schema %d, this one knows %d). "
                 "Update Crewdesk, or open another file."),
               name, (int) version, CD_STORE_SCHEMA_VERSION);
}

/* After an I/O error, SQLITE_FULL or the like SQLite may roll the whole
 * transaction back by itself. Carrying on would run the caller's next
 * statements in autocommit mode, each committing on its own, so refuse. */
static gboolean
check_transaction (CdStore  *self,
                   GError  **error)
{
  if (self->depth > 0 && sqlite3_get_autocommit (self->db))
    {
      g_set_error_literal (error, CD_STORE_ERROR, CD_STORE_ERROR_ABORTED,
                           _("The transaction was already rolled back after an earlier "
                             "error, so nothing in it was saved. Try the change again."));
      return FALSE;
    }

  return TRUE;
}

/* Helpers ----------------------------------------------------------------- */

static char *column_dup (sqlite3_stmt *stmt,
                         int           col);

static const char *
enum_nick (GType type,
           gint  value)
{
  GEnumClass *klass = g_type_class_peek (type);
  GEnumValue *ev;

  /* Kept for the program's life, like every registered enum class. */
  if (klass == NULL)
    klass = g_type_class_ref (type);

  ev = g_enum_get_value (klass, value);
  return ev != NULL ? ev->value_nick : NULL;
}

static gboolean
kind_for_type (GType  type,
               Kind  *kind)
{
  for (guint i = 0; i < N_KINDS; i++)
    if (kinds[i].get_type () == type)
      {
        *kind = (Kind) i;
        return TRUE;
      }

  return FALSE;
}

static void
bind_text (sqlite3_stmt *stmt,
           int           index,
           const char   *text)
{
  /* The lease clears bindings before the record can go away. */
  sqlite3_bind_text (stmt, index, text, -1, SQLITE_STATIC);
}

static void
bind_columns (sqlite3_stmt *stmt,
              Kind          kind,
              CdRecord     *record)
{
  switch (kind)
    {
    case KIND_TICKET:
      {
        CdTicket *t = CD_TICKET (record);
        gboolean open = cd_ticket_is_open (t);

        bind_text (stmt, 5, enum_nick (CD_TYPE_TICKET_STATUS, t->status));
        sqlite3_bind_int (stmt, 6, open);
        sqlite3_bind_int (stmt, 7, cd_ticket_is_paused (t));
        bind_text (stmt, 8, t->area);
        bind_text (stmt, 9, t->crew_id);
        bind_text (stmt, 10, enum_nick (CD_TYPE_UTILITY, t->utility));
        bind_text (stmt, 11, enum_nick (CD_TYPE_CATEGORY, t->category));
        sqlite3_bind_int64 (stmt, 12, t->created_at);
        sqlite3_bind_int64 (stmt, 13, cd_sla_next_deadline (t));
        break;
      }
    case KIND_CREW:
      {
        CdCrew *c = CD_CREW (record);

        bind_text (stmt, 5, c->name);
        bind_text (stmt, 6, enum_nick (CD_TYPE_UTILITY, c->utility));
        bind_text (stmt, 7, enum_nick (CD_TYPE_CREW_STATUS, c->status));
        break;
      }
    case KIND_CALLBACK:
      {
        CdCallback *b = CD_CALLBACK (record);

        bind_text (stmt, 5, b->ticket_id);
        sqlite3_bind_int64 (stmt, 6, b->due_at);
        sqlite3_bind_int64 (stmt, 7, b->priority);
        bind_text (stmt, 8, enum_nick (CD_TYPE_CALLBACK_STATUS, b->status));
        break;
      }
    case KIND_ASSIGNMENT_EVENT:
      {
        CdAssignmentEvent *e = CD_ASSIGNMENT_EVENT (record);

        bind_text (stmt, 5, e->ticket_id);
        sqlite3_bind_int64 (stmt, 6, e->at);
        break;
      }
    case KIND_USER:
      bind_text (stmt, 5, CD_USER (record)->username);
      break;
    case KIND_SLA_POLICY:
      {
        CdSlaPolicy *p = CD_SLA_POLICY (record);

        bind_text (stmt, 5, enum_nick (CD_TYPE_CATEGORY, p->category));
        bind_text (stmt, 6, enum_nick (CD_TYPE_URGENCY, p->urgency));
        bind_text (stmt, 7, enum_nick (CD_TYPE_AREA_CLASS, p->area_class));
        break;
      }
    default:
      g_assert_not_reached ();
    }
}

/* Lays the ephemeral position (columns @col .. @col + 4: lat, lon, heading,
 * speed, at) over the crew's own when it is newer. */
static void
apply_position (CdCrew       *crew,
                sqlite3_stmt *stmt,
                int           col)
{
  gint64 at;

  if (sqlite3_column_type (stmt, col + 4) == SQLITE_NULL)
    return;

  at = sqlite3_column_int64 (stmt, col + 4);
  if (at < crew->position_at)
    return;

  crew->lat = sqlite3_column_double (stmt, col);
  crew->lon = sqlite3_column_double (stmt, col + 1);
  crew->heading = sqlite3_column_double (stmt, col + 2);
  crew->speed_kmh = sqlite3_column_double (stmt, col + 3);
  crew->position_at = at;
}

/* Decodes the JSON in column @col; a crew query carries its position in
 * the five columns after it. */
static CdRecord *
read_record (CdStore       *self,
             Kind           kind,
             sqlite3_stmt  *stmt,
             int            col,
             GError       **error)
{
  g_autoptr(GError) local_error = NULL;
  const char *data = (const char *) sqlite3_column_text (stmt, col);
  int length = sqlite3_column_bytes (stmt, col);
  CdRecord *record;

  if (data == NULL)
    {
      set_corrupt_record_error (self, kind, _("the row has no data"), error);
      return NULL;
    }

  /* Default flags: members a newer Crewdesk added are skipped, not fatal. */
  record = cd_record_new_from_data (kinds[kind].get_type (), data, length,
                                    CD_DECODE_DEFAULT, &local_error);
  if (record == NULL)
    {
      set_corrupt_record_error (self, kind, local_error->message, error);
      return NULL;
    }

  if (kind == KIND_CREW && sqlite3_column_count (stmt) >= col + 6)
    apply_position (CD_CREW (record), stmt, col + 1);

  return record;
}

/* Steps @stmt to the end, decoding column 0 of each row. */
static GPtrArray *
collect (CdStore       *self,
         sqlite3_stmt  *stmt,
         Kind           kind,
         GError       **error)
{
  g_autoptr(GPtrArray) records = g_ptr_array_new_with_free_func (g_object_unref);
  int rc;

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      CdRecord *record = read_record (self, kind, stmt, 0, error);

      if (record == NULL)
        return NULL;
      g_ptr_array_add (records, record);
    }

  if (rc != SQLITE_DONE)
    {
      store_error (self, rc, error);
      return NULL;
    }

  return g_steal_pointer (&records);
}

/* Steps @stmt to the end, expecting at most one row. */
static gpointer
collect_one (CdStore       *self,
             sqlite3_stmt  *stmt,
             Kind           kind,
             const char    *key,
             GError       **error)
{
  g_autoptr(GPtrArray) records = collect (self, stmt, kind, error);

  if (records == NULL)
    return NULL;

  if (records->len == 0)
    {
      g_set_error (error, CD_STORE_ERROR, CD_STORE_ERROR_NOT_FOUND,
                   _("There is no %s “%s”. It may have been deleted."),
                   kinds[kind].kind, key);
      return NULL;
    }

  return g_object_ref (g_ptr_array_index (records, 0));
}

static gboolean
run (CdStore       *self,
     sqlite3_stmt  *stmt,
     GError       **error)
{
  int rc = sqlite3_step (stmt);

  if (rc != SQLITE_DONE && rc != SQLITE_ROW)
    {
      store_error (self, rc, error);
      sqlite3_reset (stmt);
      return FALSE;
    }

  sqlite3_reset (stmt);
  return TRUE;
}

/* Runs fixed SQL (no values in it) on a bare connection; returns the SQLite
 * result and the first column of the last row in @value. */
static int
query_int64 (sqlite3    *db,
             const char *sql,
             gint64     *value)
{
  sqlite3_stmt *stmt = NULL;
  int rc;

  rc = sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL);
  if (rc != SQLITE_OK)
    return rc;

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    if (value != NULL)
      *value = sqlite3_column_int64 (stmt, 0);

  sqlite3_finalize (stmt);
  return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static gboolean
exec_sql (CdStore     *self,
          const char  *sql,
          GError     **error)
{
  int rc = sqlite3_exec (self->db, sql, NULL, NULL, NULL);

  if (rc != SQLITE_OK)
    {
      store_error (self, rc, error);
      return FALSE;
    }

  return TRUE;
}

/* Opening ----------------------------------------------------------------- */

/* Decides, reading only, whether @db holds a Crewdesk schema this build can
 * use (@version, 0 for an empty file) or something else. */
static gboolean
identify (sqlite3     *db,
          const char  *path,
          guint       *version,
          GError     **error)
{
  g_autofree char *name = g_filename_display_name (path);
  gint64 app_id = 0;
  gint64 user_version = 0;
  gint64 n_objects = 0;
  int rc;

  rc = query_int64 (db, "PRAGMA application_id", &app_id);
  if (rc == SQLITE_OK)
    rc = query_int64 (db, "PRAGMA user_version", &user_version);
  if (rc == SQLITE_OK)
    rc = query_int64 (db, "SELECT count(*) FROM sqlite_schema", &n_objects);
  if (rc != SQLITE_OK)
    {
      set_sqlite_error (error, db, rc, path);
      return FALSE;
    }

  if (app_id == 0 && user_version == 0 && n_objects == 0)
    {
      *version = 0;
      return TRUE;
    }

  if (app_id != CD_STORE_APPLICATION_ID)
    {
      g_set_error (error, CD_STORE_ERROR, CD_STORE_ERROR_FOREIGN,
                   _("“%s” is a database of another application, not a Crewdesk file. "
                     "Open a Crewdesk file, or choose a new file name."), name);
      return FALSE;
    }

  if (user_version > CD_STORE_SCHEMA_VERSION)
    {
      set_newer_schema_error (path, user_version, error);
      return FALSE;
    }

  /* Migrations set both marks in one transaction, so one without the
   * other means the header was tampered with. */
  if (user_version < 1)
    {
      g_set_error (error, CD_STORE_ERROR, CD_STORE_ERROR_CORRUPT,
                   _("“%s” is damaged (its schema version is missing). Restore it "
                     "from a backup, or open another file."), name);
      return FALSE;
    }

  for (guint i = 0; i < G_N_ELEMENTS (probes); i++)
    {
      if (probes[i].since_version > user_version)
        continue;

      rc = query_int64 (db, probes[i].sql, NULL);
      if (rc == SQLITE_ERROR)
        {
          /* A table of ours is missing or mangled: damage, not a bug. */
          g_set_error (error, CD_STORE_ERROR, CD_STORE_ERROR_CORRUPT,
                       _("“%s” is damaged (%s). Restore it from a backup, or open "
                         "another file."), name, sqlite3_errmsg (db));
          return FALSE;
        }
      if (rc != SQLITE_OK)
        {
          set_sqlite_error (error, db, rc, path);
          return FALSE;
        }
    }

  *version = (guint) user_version;
  return TRUE;
}

/* Looks at an existing file through a read-only connection before the
 * read-write one exists, so that nothing SQLite does on a writable
 * connection (rolling back a hot journal, checkpointing a WAL on close,
 * switching the journal mode) can touch a file that is not ours. */
static gboolean
probe_file (const char  *path,
            GError     **error)
{
  GStatBuf st;
  g_autofree char *wal_path = NULL;
  sqlite3 *db = NULL;
  guint version = 0;
  gboolean ok;
  int rc;

  /* Nothing there yet: the read-write open creates it or says why not. */
  if (g_stat (path, &st) != 0)
    return TRUE;

  if (!S_ISREG (st.st_mode))
    {
      g_autofree char *name = g_filename_display_name (path);

      g_set_error (error, CD_STORE_ERROR, CD_STORE_ERROR_IO,
                   _("“%s” is not a file. Choose a file name."), name);
      return FALSE;
    }

  /* An empty file is an empty database to SQLite: ours to set up. */
  if (st.st_size == 0)
    return TRUE;

  /* Without a -wal file the main file holds everything: read it as
   * immutable, so SQLite creates no -wal or -shm beside a file that may
   * not be ours. With one, its frames count, so open read-only normally.
   * Either way the read-write connection identifies the file again. */
  wal_path = g_strconcat (path, "-wal", NULL);
  if (g_file_test (wal_path, G_FILE_TEST_EXISTS))
    {
      rc = sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL);
    }
  else
    {
      g_autofree char *escaped = g_uri_escape_string (path, "/", FALSE);
      g_autofree char *uri = g_strconcat ("file:", escaped, "?immutable=1", NULL);

      rc = sqlite3_open_v2 (uri, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL);
    }
  if (rc != SQLITE_OK)
    {
      set_sqlite_error (error, db, rc, path);
      sqlite3_close (db);
      return FALSE;
    }

  sqlite3_extended_result_codes (db, 1);
  sqlite3_busy_timeout (db, BUSY_TIMEOUT_MS);
  ok = identify (db, path, &version, error);
  sqlite3_close (db);

  return ok;
}

static gboolean
migrate (CdStore  *self,
         guint     version,
         GError  **error)
{
  guint v = version;

  while (v < G_N_ELEMENTS (migrations))
    {
      gint64 current = 0;
      int rc;

      if (!exec_sql (self, "BEGIN IMMEDIATE", error))
        return FALSE;

      /* Another process may have migrated while we waited for the lock. */
      rc = query_int64 (self->db, "PRAGMA user_version", &current);
      if (rc != SQLITE_OK)
        {
          store_error (self, rc, error);
          exec_sql (self, "ROLLBACK", NULL);
          return FALSE;
        }

      if (current != v)
        {
          exec_sql (self, "ROLLBACK", NULL);
          if (current > CD_STORE_SCHEMA_VERSION)
            {
              set_newer_schema_error (self->path, current, error);
              return FALSE;
            }
          v = (guint) MAX (current, 0);
          continue;
        }

      g_debug ("Store %s: migrating to schema %u", self->path, v + 1);
      if (!exec_sql (self, migrations[v], error))
        {
          exec_sql (self, "ROLLBACK", NULL);
          return FALSE;
        }

      rc = query_int64 (self->db, "PRAGMA user_version", &current);
      g_assert (rc != SQLITE_OK || current == v + 1);

      if (!exec_sql (self, "COMMIT", error))
        {
          exec_sql (self, "ROLLBACK", NULL);
          return FALSE;
        }

      v++;
    }

  return TRUE;
}

static gboolean
prepare (CdStore       *self,
         const char    *sql,
         sqlite3_stmt **stmt,
         GError       **error)
{
  int rc = sqlite3_prepare_v3 (self->db, sql, -1, SQLITE_PREPARE_PERSISTENT, stmt, NULL);

  if (rc != SQLITE_OK)
    {
      store_error (self, rc, error);
      return FALSE;
    }

  return TRUE;
}

static gboolean
prepare_all (CdStore  *self,
             GError  **error)
{
  for (guint i = 0; i < N_STMTS; i++)
    if (!prepare (self, stmt_info[i].sql, &self->stmts[i], error))
      return FALSE;

  for (guint k = 0; k < N_KINDS; k++)
    for (guint op = 0; op < N_OPS; op++)
      if (!prepare (self, kinds[k].sql[op], &self->kind_stmts[k][op], error))
        return FALSE;

  return TRUE;
}

/* GObject ----------------------------------------------------------------- */

static void
cd_store_finalize (GObject *object)
{
  CdStore *self = (CdStore *) object;

  if (self->depth > 0)
    g_warning ("Store %s closed inside a transaction; it was rolled back", self->path);

  for (guint i = 0; i < N_STMTS; i++)
    sqlite3_finalize (self->stmts[i]);
  for (guint k = 0; k < N_KINDS; k++)
    for (guint op = 0; op < N_OPS; op++)
      sqlite3_finalize (self->kind_stmts[k][op]);

  /* Closing the last connection checkpoints the WAL and removes it. */
  if (self->db != NULL && sqlite3_close (self->db) != SQLITE_OK)
    g_warning ("Store %s did not close cleanly: %s", self->path, sqlite3_errmsg (self->db));

  g_free (self->path);

  G_OBJECT_CLASS (cd_store_parent_class)->finalize (object);
}

static void
cd_store_class_init (CdStoreClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = cd_store_finalize;
}

static void
cd_store_init (CdStore *self)
{
}

/* Public API -------------------------------------------------------------- */

void
cd_store_change_free (CdStoreChange *change)
{
  if (change == NULL)
    return;

  g_free (change->id);
  g_clear_object (&change->record);
  g_free (change->json);
  g_free (change);
}

/**
 * cd_store_open:
 * @path: a file name, or ":memory:"
 * @error: a #GError
 *
 * Opens (or creates) the store at @path and brings its schema up to
 * CD_STORE_SCHEMA_VERSION. A file that is not an SQLite database, a
 * damaged one, another application's, or one from a newer Crewdesk is
 * refused with a CD_STORE_ERROR and left exactly as it was.
 *
 * Returns: (transfer full): the store, or %NULL
 */
CdStore *
cd_store_open (const char  *path,
               GError     **error)
{
  g_autoptr(CdStore) self = NULL;
  guint version = 0;
  gboolean in_memory;
  int rc;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  cd_model_init ();

  in_memory = path[0] == '\0' || strcmp (path, ":memory:") == 0;
  if (!in_memory && !probe_file (path, error))
    return NULL;

  self = g_object_new (CD_TYPE_STORE, NULL);
  self->path = g_strdup (path);

  rc = sqlite3_open_v2 (path, &self->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        NULL);
  if (rc != SQLITE_OK)
    {
      store_error (self, rc, error);
      return NULL;
    }

  sqlite3_extended_result_codes (self->db, 1);
  sqlite3_busy_timeout (self->db, BUSY_TIMEOUT_MS);

  /* Again on this connection, before its first write: the file may have
   * been replaced since the probe. */
  if (!identify (self->db, path, &version, error))
    return NULL;

  if (!exec_sql (self, "PRAGMA journal_mode = WAL", error) ||
      !exec_sql (self, "PRAGMA synchronous = NORMAL", error) ||
      !exec_sql (self, "PRAGMA foreign_keys = ON", error) ||
      !migrate (self, version, error) ||
      !prepare_all (self, error))
    return NULL;

  self->schema_version = CD_STORE_SCHEMA_VERSION;

  return g_steal_pointer (&self);
}

const char *
cd_store_get_path (CdStore *self)
{
  g_return_val_if_fail (CD_IS_STORE (self), NULL);

  return self->path;
}

guint
cd_store_get_schema_version (CdStore *self)
{
  g_return_val_if_fail (CD_IS_STORE (self), 0);

  return self->schema_version;
}

/**
 * cd_store_set_synchronous_full:
 * @full: %TRUE for synchronous=FULL, %FALSE for NORMAL (the default)
 *
 * With FULL every commit syncs the WAL, so a committed change survives a
 * power cut: what the server needs before it replies to a mutation. It
 * costs one fsync per transaction. Not inside a transaction.
 */
gboolean
cd_store_set_synchronous_full (CdStore  *self,
                               gboolean  full,
                               GError  **error)
{
  g_return_val_if_fail (CD_IS_STORE (self), FALSE);
  g_return_val_if_fail (self->depth == 0, FALSE);

  if (!exec_sql (self, full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL", error))
    return FALSE;

  /* The server's writer: 32 MiB of page cache keeps the hot indexes in
   * memory, so a commit writes pages instead of reading them first; the
   * savepoint journal of each mutation stays in memory instead of going
   * to a temporary file once it passes 64 KiB (a write per page touched). */
  return !full || (exec_sql (self, "PRAGMA cache_size = -32768", error) &&
                   exec_sql (self, "PRAGMA temp_store = MEMORY", error));
}

/**
 * cd_store_set_deferred_sync:
 * @deferred: %TRUE to leave the WAL unsynced at the following commits
 *
 * For a writer in synchronous=FULL: with @deferred the following commits
 * are made as with synchronous=NORMAL, atomic and consistent but not yet
 * durable, and the caller makes them durable with cd_store_sync_wal()
 * before it tells anyone that they happened. The server commits a group
 * of mutations this way and syncs it outside its write lock, while the
 * next group is being applied. Checkpoints still sync the WAL before
 * they copy it. Not inside a transaction.
 */
gboolean
cd_store_set_deferred_sync (CdStore   *self,
                            gboolean   deferred,
                            GError   **error)
{
  g_return_val_if_fail (CD_IS_STORE (self), FALSE);
  g_return_val_if_fail (self->depth == 0, FALSE);

  /* Never a prepared statement: SQLite applies "PRAGMA synchronous" when
   * it compiles one, so a connection that kept one prepared would switch
   * to that level at open, whatever it meant to run with. */
  return exec_sql (self, deferred ? "PRAGMA synchronous = NORMAL" : "PRAGMA synchronous = FULL", error);
}

static gboolean
sync_path (const char  *path,
           gboolean     directory,
           GError     **error)
{
  int fd = g_open (path, (directory ? O_DIRECTORY : 0) | O_RDONLY | O_CLOEXEC, 0);
  int saved_errno;
  int rc;

  if (fd < 0)
    {
      saved_errno = errno;
      goto fail;
    }

  rc = directory ? fsync (fd) : fdatasync (fd);
  saved_errno = errno;
  close (fd);
  if (rc == 0)
    return TRUE;

fail:
  {
    g_autofree char *name = g_filename_display_name (path);

    g_set_error (error, CD_STORE_ERROR, saved_errno == ENOSPC ? CD_STORE_ERROR_FULL : CD_STORE_ERROR_IO,
                 _("Could not write “%s” to the disk (%s). Check that the disk is present "
                   "and has space."), name, g_strerror (saved_errno));
    return FALSE;
  }
}

/**
 * cd_store_sync_wal:
 *
 * Makes every commit written to the store's file so far durable, by
 * whichever connection: one fdatasync of the WAL file (and, the first
 * time, of its folder, as SQLite does at a WAL's first sync). For commits
 * made under cd_store_set_deferred_sync().
 *
 * Unlike the rest of the API it may run on any thread, while another
 * thread uses the store: it touches nothing of the connection.
 */
gboolean
cd_store_sync_wal (CdStore  *self,
                   GError  **error)
{
  g_autofree char *wal = NULL;

  g_return_val_if_fail (CD_IS_STORE (self), FALSE);

  if (self->path[0] == '\0' || strcmp (self->path, ":memory:") == 0)
    return TRUE;

  wal = g_strconcat (self->path, "-wal", NULL);
  if (!sync_path (wal, FALSE, error))
    return FALSE;

  if (!g_atomic_int_get (&self->dir_synced))
    {
      g_autofree char *dir = g_path_get_dirname (self->path);

      if (!sync_path (dir, TRUE, error))
        return FALSE;
      g_atomic_int_set (&self->dir_synced, 1);
    }

  return TRUE;
}

static int
wal_hook_cb (gpointer    data,
             sqlite3    *db,
             const char *name,
             int         frames)
{
  CdStore *self = data;

  if (self->wal_func != NULL)
    self->wal_func (self->wal_data, (guint) MAX (frames, 0));

  /* The safety net: the watcher did not keep up. */
  if (self->wal_inline_limit > 0 && frames >= (int) self->wal_inline_limit)
    sqlite3_wal_checkpoint_v2 (db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);

  return SQLITE_OK;
}

/**
 * cd_store_set_wal_watch:
 * @inline_limit: WAL frames past which a commit checkpoints by itself
 * @func: called after every commit with the frames in the WAL
 *
 * Takes checkpoints off this connection's commits: instead of SQLite's
 * automatic checkpoint at 1,000 frames, @func learns the WAL's size after
 * each commit, and another connection checkpoints (cd_store_checkpoint()),
 * while this one goes on writing. Only past @inline_limit frames does a
 * commit checkpoint itself, as before. @func runs inside the commit, on
 * the committing thread: it must be quick and must not use the store.
 */
void
cd_store_set_wal_watch (CdStore        *self,
                        guint           inline_limit,
                        CdStoreWalFunc  func,
                        gpointer        user_data)
{
  g_return_if_fail (CD_IS_STORE (self));

  self->wal_func = func;
  self->wal_data = user_data;
  self->wal_inline_limit = inline_limit;
  sqlite3_wal_hook (self->db, wal_hook_cb, self);
}

/**
 * cd_store_checkpoint:
 * @complete: (out) (optional): whether the whole WAL, as it was when the
 *   checkpoint began, is now in the file
 *
 * Copies what the WAL holds into the database file without blocking
 * writers or readers (a passive checkpoint): frames written meanwhile, or
 * still read by another connection, stay for the next one. Once the WAL
 * is complete, the next write starts it over from the beginning; with a
 * writer going on, only a checkpoint made while it waits gets there.
 */
gboolean
cd_store_checkpoint (CdStore   *self,
                     gboolean  *complete,
                     GError   **error)
{
  int log = 0, done = 0;
  int rc;

  g_return_val_if_fail (CD_IS_STORE (self), FALSE);
  g_return_val_if_fail (self->depth == 0, FALSE);

  rc = sqlite3_wal_checkpoint_v2 (self->db, NULL, SQLITE_CHECKPOINT_PASSIVE, &log, &done);
  if (rc != SQLITE_OK && rc != SQLITE_BUSY)
    {
      store_error (self, rc, error);
      return FALSE;
    }

  if (complete != NULL)
    *complete = rc == SQLITE_OK && log == done;
  return TRUE;
}

/**
 * cd_store_check:
 *
 * Runs PRAGMA quick_check: reads every page, so it costs time in
 * proportion to the file (see the benchmark). For a maintenance command
 * or after a CORRUPT error, not for every start.
 *
 * Returns: %TRUE if the file is sound; otherwise CD_STORE_ERROR_CORRUPT
 *   (or the error that stopped the check)
 */
gboolean
cd_store_check (CdStore  *self,
                GError  **error)
{
  sqlite3_stmt *stmt = NULL;
  g_autofree char *problem = NULL;
  int rc;

  g_return_val_if_fail (CD_IS_STORE (self), FALSE);

  rc = sqlite3_prepare_v2 (self->db, "PRAGMA quick_check", -1, &stmt, NULL);
  if (rc != SQLITE_OK)
    {
      store_error (self, rc, error);
      return FALSE;
    }

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      const char *line = (const char *) sqlite3_column_text (stmt, 0);

      if (problem == NULL && g_strcmp0 (line, "ok") != 0)
        problem = g_strdup (line);
    }

  if (rc != SQLITE_DONE)
    {
      store_error (self, rc, error);
      sqlite3_finalize (stmt);
      return FALSE;
    }
  sqlite3_finalize (stmt);

  if (problem != NULL)
    {
      g_autofree char *name = g_filename_display_name (self->path);

      g_set_error (error, CD_STORE_ERROR, CD_STORE_ERROR_CORRUPT,
                   _("“%s” is damaged (%s). Restore it from a backup, or open another file."),
                   name, problem);
      return FALSE;
    }

  return TRUE;
}

/**
 * cd_store_begin:
 *
 * Starts a transaction, or a nested one inside it. The outermost is BEGIN
 * IMMEDIATE: it takes the write lock now (waiting up to the busy timeout),
 * so two writers never deadlock upgrading a read lock. Nested levels are
 * savepoints: cd_store_rollback() there undoes only the nested work.
 * Every successful begin needs exactly one commit or rollback.
 */
gboolean
cd_store_begin (CdStore  *self,
                GError  **error)
{
  g_return_val_if_fail (CD_IS_STORE (self), FALSE);

  if (!check_transaction (self, error))
    return FALSE;

  if (!run (self, self->stmts[self->depth == 0 ? STMT_BEGIN : STMT_SAVEPOINT], error))
    return FALSE;

  self->depth++;
  return TRUE;
}

/**
 * cd_store_commit:
 *
 * Commits the innermost level (the outermost writes to disk). On failure
 * that level is rolled back and closed: do not call cd_store_rollback()
 * for it. CD_STORE_ERROR_ABORTED means SQLite had already rolled the whole
 * transaction back after an earlier error.
 */
gboolean
cd_store_commit (CdStore  *self,
                 GError  **error)
{
  gboolean ok;

  g_return_val_if_fail (CD_IS_STORE (self), FALSE);
  g_return_val_if_fail (self->depth > 0, FALSE);

  if (!check_transaction (self, error))
    {
      self->depth--;
      return FALSE;
    }

  ok = run (self, self->stmts[self->depth == 1 ? STMT_COMMIT : STMT_RELEASE], error);
  if (!ok && !sqlite3_get_autocommit (self->db))
    {
      if (self->depth == 1)
        {
          run (self, self->stmts[STMT_ROLLBACK], NULL);
        }
      else
        {
          run (self, self->stmts[STMT_ROLLBACK_TO], NULL);
          run (self, self->stmts[STMT_RELEASE], NULL);
        }
    }

  self->depth--;
  return ok;
}

/**
 * cd_store_rollback:
 *
 * Undoes the innermost level. Safe after SQLite rolled back by itself.
 */
void
cd_store_rollback (CdStore *self)
{
  g_autoptr(GError) error = NULL;

  g_return_if_fail (CD_IS_STORE (self));
  g_return_if_fail (self->depth > 0);

  if (!sqlite3_get_autocommit (self->db))
    {
      gboolean ok;

      if (self->depth == 1)
        ok = run (self, self->stmts[STMT_ROLLBACK], &error);
      else
        ok = run (self, self->stmts[STMT_ROLLBACK_TO], &error) &&
             run (self, self->stmts[STMT_RELEASE], &error);

      if (!ok)
        g_warning ("Store %s: rollback failed: %s", self->path, error->message);
    }

  self->depth--;
}

guint
cd_store_get_depth (CdStore *self)
{
  g_return_val_if_fail (CD_IS_STORE (self), 0);

  return self->depth;
}

/**
 * cd_store_next_rev:
 *
 * Takes the next global revision. Call it inside the transaction that
 * saves the change, so a rollback gives the number back.
 *
 * Returns: the revision (>= 1), or -1 with @error set
 */
gint64
cd_store_next_rev (CdStore  *self,
                   GError  **error)
{
  g_autoptr(StmtLease) stmt = NULL;
  gint64 rev;
  int rc;

  g_return_val_if_fail (CD_IS_STORE (self), -1);
  g_return_val_if_fail (self->depth > 0, -1);

  if (!check_transaction (self, error))
    return -1;

  stmt = self->stmts[STMT_NEXT_REV];
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_ROW)
    {
      store_error (self, rc == SQLITE_DONE ? SQLITE_CORRUPT : rc, error);
      return -1;
    }
  rev = sqlite3_column_int64 (stmt, 0);

  /* A RETURNING statement finishes its write only when stepped to DONE. */
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_DONE)
    {
      store_error (self, rc, error);
      return -1;
    }

  return rev;
}

/**
 * cd_store_get_last_rev:
 *
 * The newest revision this store holds: on the server the last one
 * cd_store_next_rev() gave out, on a client the one it last pulled.
 *
 * Returns: the revision (>= 0), or -1 with @error set
 */
gint64
cd_store_get_last_rev (CdStore  *self,
                       GError  **error)
{
  g_autoptr(StmtLease) stmt = NULL;
  int rc;

  g_return_val_if_fail (CD_IS_STORE (self), -1);

  stmt = self->stmts[STMT_GET_REV];
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_ROW)
    {
      store_error (self, rc == SQLITE_DONE ? SQLITE_CORRUPT : rc, error);
      return -1;
    }

  return sqlite3_column_int64 (stmt, 0);
}

/**
 * cd_store_set_last_rev:
 *
 * For a client cache: records the server revision it has pulled up to, in
 * the same transaction as the pulled rows. A server never calls it.
 */
gboolean
cd_store_set_last_rev (CdStore  *self,
                       gint64    rev,
                       GError  **error)
{
  g_autoptr(StmtLease) stmt = NULL;

  g_return_val_if_fail (CD_IS_STORE (self), FALSE);
  g_return_val_if_fail (rev >= 0, FALSE);

  if (!check_transaction (self, error))
    return FALSE;

  stmt = self->stmts[STMT_SET_REV];
  sqlite3_bind_int64 (stmt, 1, rev);
  return run (self, stmt, error);
}

/* Stores @json (taken over when @json_free is set) as the row of @record:
 * the one place a record row is written. */
static gboolean
save_row (CdStore        *self,
          Kind            kind,
          CdRecord       *record,
          char           *json,
          gsize           length,
          GDestroyNotify  json_free,
          GError        **error)
{
  g_autoptr(StmtLease) stmt = NULL;

  /* The generator copies strings as they are and the parser refuses bad
   * UTF-8, so one such string would make the row unreadable, and every
   * list holding it fail. Cheap to check here, at the source. The codec's
   * other limits are checked where records come in (the server decodes
   * every request with it), not again here. */
  if (!g_utf8_validate (json, length, NULL))
    {
      g_set_error (error, CD_STORE_ERROR, CD_STORE_ERROR_INVALID,
                   _("The %s “%s” was not saved: it holds text that is not valid UTF-8. "
                     "This is a bug in Crewdesk; please report it."),
                   kinds[kind].kind, record->id);
      if (json_free)
        json_free (json);
      return FALSE;
    }

  stmt = self->kind_stmts[kind][OP_SAVE];
  bind_text (stmt, 1, record->id);
  sqlite3_bind_int64 (stmt, 2, record->version);
  sqlite3_bind_int64 (stmt, 3, record->rev);
  sqlite3_bind_text64 (stmt, 4, json, length, json_free ? json_free : SQLITE_STATIC, SQLITE_UTF8);
  bind_columns (stmt, kind, record);

  return run (self, stmt, error);
}

/**
 * cd_store_save:
 * @record: a ticket, crew, callback, assignment event, user or SLA policy
 *   with an id
 *
 * Inserts or replaces the record as given; version and rev are the
 * caller's. Saving the id of a tombstone brings the record back. A
 * crew's position goes beside the row (see cd_store_set_crew_position()).
 */
gboolean
cd_store_save (CdStore   *self,
               CdRecord  *record,
               GError   **error)
{
  g_autoptr(CdCrew) bare = NULL;
  CdRecord *encoded = record;
  char *json;
  gsize length = 0;
  Kind kind;

  g_return_val_if_fail (CD_IS_STORE (self), FALSE);
  g_return_val_if_fail (CD_IS_RECORD (record), FALSE);
  g_return_val_if_fail (kind_for_type (G_OBJECT_TYPE (record), &kind), FALSE);
  g_return_val_if_fail (record->id != NULL, FALSE);

  if (!check_transaction (self, error))
    return FALSE;

  /* A crew's position lives in crew_positions only: a row in the changes
   * feed must never carry a position older than the one streamed since. */
  if (kind == KIND_CREW && CD_CREW (record)->position_at != 0)
    {
      bare = cd_record_copy (record);
      bare->lat = bare->lon = bare->heading = bare->speed_kmh = 0;
      bare->position_at = 0;
      encoded = CD_RECORD (bare);
    }

  json = cd_record_to_json_string (encoded, &length);
  if (!save_row (self, kind, record, json, length, g_free, error))
    return FALSE;

  if (bare != NULL)
    {
      CdCrew *crew = CD_CREW (record);

      return cd_store_set_crew_position (self, record->id, crew->lat, crew->lon, crew->heading,
                                         crew->speed_kmh, crew->position_at, error);
    }

  return TRUE;
}

/**
 * cd_store_delete:
 * @rev: the revision of the deletion (the server's next_rev, or the
 *   server's rev of the tombstone on a client)
 *
 * Replaces the record with a tombstone (its id, @rev, version + 1), which
 * the changes feed reports and every other query skips.
 *
 * Returns: %TRUE, or %FALSE with CD_STORE_ERROR_NOT_FOUND when there is no
 *   live record of that id
 */
gboolean
cd_store_delete (CdStore     *self,
                 GType        type,
                 const char  *id,
                 gint64       rev,
                 GError     **error)
{
  g_autoptr(StmtLease) stmt = NULL;
  Kind kind;

  g_return_val_if_fail (CD_IS_STORE (self), FALSE);
  g_return_val_if_fail (kind_for_type (type, &kind), FALSE);
  g_return_val_if_fail (id != NULL, FALSE);

  if (!check_transaction (self, error))
    return FALSE;

  stmt = self->kind_stmts[kind][OP_DELETE];
  bind_text (stmt, 1, id);
  sqlite3_bind_int64 (stmt, 2, rev);
  if (!run (self, stmt, error))
    return FALSE;

  if (sqlite3_changes (self->db) == 0)
    {
      g_set_error (error, CD_STORE_ERROR, CD_STORE_ERROR_NOT_FOUND,
                   _("There is no %s “%s”. It may have been deleted."), kinds[kind].kind, id);
      return FALSE;
    }

  return TRUE;
}

/**
 * cd_store_load:
 * @type: the record's type (CD_TYPE_TICKET, ...)
 *
 * Returns: (transfer full): the record, or %NULL with
 *   CD_STORE_ERROR_NOT_FOUND (also for a tombstone)
 */
gpointer
cd_store_load (CdStore     *self,
               GType        type,
               const char  *id,
               GError     **error)
{
  g_autoptr(StmtLease) stmt = NULL;
  Kind kind;

  g_return_val_if_fail (CD_IS_STORE (self), NULL);
  g_return_val_if_fail (kind_for_type (type, &kind), NULL);
  g_return_val_if_fail (id != NULL, NULL);

  stmt = self->kind_stmts[kind][OP_LOAD];
  bind_text (stmt, 1, id);
  return collect_one (self, stmt, kind, id, error);
}

/* The same by kind name, as the sync protocol names it. */
gpointer
cd_store_load_kind (CdStore     *self,
                    const char  *kind,
                    const char  *id,
                    GError     **error)
{
  GType type;
  Kind k;

  g_return_val_if_fail (CD_IS_STORE (self), NULL);
  g_return_val_if_fail (kind != NULL, NULL);
  g_return_val_if_fail (id != NULL, NULL);

  type = cd_record_type_from_kind (kind);
  if (type == G_TYPE_INVALID || !kind_for_type (type, &k))
    {
      g_set_error (error, CD_STORE_ERROR, CD_STORE_ERROR_NOT_FOUND,
                   _("Crewdesk does not store records of kind “%.64s”."), kind);
      return NULL;
    }

  return cd_store_load (self, type, id, error);
}

/**
 * cd_store_load_json:
 * @kind: "ticket", "crew", ...
 *
 * The stored JSON text of a live record, as cd_store_save() wrote it (a
 * crew's without its position), without decoding it.
 *
 * Returns: (transfer full): the text, or %NULL with
 *   CD_STORE_ERROR_NOT_FOUND (also for a tombstone or an unknown kind)
 */
char *
cd_store_load_json (CdStore     *self,
                    const char  *kind,
                    const char  *id,
                    GError     **error)
{
  g_autoptr(StmtLease) stmt = NULL;
  GType type;
  Kind k;
  int rc;

  g_return_val_if_fail (CD_IS_STORE (self), NULL);
  g_return_val_if_fail (kind != NULL, NULL);
  g_return_val_if_fail (id != NULL, NULL);

  type = cd_record_type_from_kind (kind);
  if (type == G_TYPE_INVALID || !kind_for_type (type, &k))
    {
      g_set_error (error, CD_STORE_ERROR, CD_STORE_ERROR_NOT_FOUND,
                   _("Crewdesk does not store records of kind “%.64s”."), kind);
      return NULL;
    }

  stmt = self->kind_stmts[k][OP_LOAD];
  bind_text (stmt, 1, id);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW && sqlite3_column_type (stmt, 0) == SQLITE_TEXT)
    return g_strndup ((const char *) sqlite3_column_text (stmt, 0), sqlite3_column_bytes (stmt, 0));
  if (rc == SQLITE_ROW)
    set_corrupt_record_error (self, k, _("the row has no data"), error);
  else if (rc == SQLITE_DONE)
    g_set_error (error, CD_STORE_ERROR, CD_STORE_ERROR_NOT_FOUND,
                 _("There is no %s “%s”. It may have been deleted."), kinds[k].kind, id);
  else
    store_error (self, rc, error);

  return NULL;
}

/* Every live record of a kind, by id: for snapshots. */
GPtrArray *
cd_store_list_all (CdStore  *self,
                   GType     type,
                   GError  **error)
{
  g_autoptr(StmtLease) stmt = NULL;
  Kind kind;

  g_return_val_if_fail (CD_IS_STORE (self), NULL);
  g_return_val_if_fail (kind_for_type (type, &kind), NULL);

  stmt = self->kind_stmts[kind][OP_LIST];
  return collect (self, stmt, kind, error);
}

/**
 * cd_store_append_all_json:
 * @out: where the records go, as a JSON array's items separated by commas
 *
 * Every live record of a kind, by id, as the stored JSON text, without
 * decoding it: what the server relays. Crews are decoded (their position
 * lives beside the row and is laid over it), the other kinds copied.
 *
 * Returns: the number of records, or -1 with @error
 */
gint64
cd_store_append_all_json (CdStore  *self,
                          GType     type,
                          GString  *out,
                          GError  **error)
{
  g_autoptr(StmtLease) stmt = NULL;
  gint64 n = 0;
  Kind kind;
  int rc;

  g_return_val_if_fail (CD_IS_STORE (self), -1);
  g_return_val_if_fail (kind_for_type (type, &kind), -1);
  g_return_val_if_fail (out != NULL, -1);

  stmt = self->kind_stmts[kind][OP_LIST];
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      if (n > 0)
        g_string_append_c (out, ',');
      if (kind == KIND_CREW)
        {
          g_autoptr(CdRecord) record = read_record (self, kind, stmt, 0, error);
          g_autofree char *json = NULL;

          if (record == NULL)
            return -1;
          json = cd_record_to_json_string (record, NULL);
          g_string_append (out, json);
        }
      else
        g_string_append_len (out, (const char *) sqlite3_column_text (stmt, 0), sqlite3_column_bytes (stmt, 0));
      n++;
    }

  if (rc != SQLITE_DONE)
    {
      store_error (self, rc, error);
      return -1;
    }

  return n;
}

/**
 * cd_store_list_open_tickets:
 * @status: a #CdTicketStatus, or CD_STORE_ANY
 * @area: (nullable): a service area id, or %NULL for any
 * @crew_id: (nullable): a crew id, or %NULL for any
 *
 * Open tickets matching every filter given, oldest first (created_at,
 * then id).
 */
GPtrArray *
cd_store_list_open_tickets (CdStore     *self,
                            gint         status,
                            const char  *area,
                            const char  *crew_id,
                            GError     **error)
{
  g_autoptr(StmtLease) stmt = NULL;
  const char *status_nick = NULL;
  guint mask = 0;

  g_return_val_if_fail (CD_IS_STORE (self), NULL);

  if (status != CD_STORE_ANY)
    {
      status_nick = enum_nick (CD_TYPE_TICKET_STATUS, status);
      g_return_val_if_fail (status_nick != NULL, NULL);
      mask |= FILTER_STATUS;
    }
  if (area != NULL)
    mask |= FILTER_AREA;
  if (crew_id != NULL)
    mask |= FILTER_CREW;

  stmt = self->stmts[STMT_OPEN_TICKETS + mask];
  if (status_nick != NULL)
    bind_text (stmt, 1, status_nick);
  if (area != NULL)
    bind_text (stmt, 2, area);
  if (crew_id != NULL)
    bind_text (stmt, 3, crew_id);

  return collect (self, stmt, KIND_TICKET, error);
}

/* Reads only the open-status index, so it stays cheap however many closed
 * tickets the file holds. */
gboolean
cd_store_count_open_tickets (CdStore              *self,
                             CdStoreTicketCounts  *counts,
                             GError              **error)
{
  g_autoptr(StmtLease) stmt = NULL;
  GEnumClass *klass;
  int rc;

  g_return_val_if_fail (CD_IS_STORE (self), FALSE);
  g_return_val_if_fail (counts != NULL, FALSE);

  memset (counts, 0, sizeof *counts);
  klass = g_type_class_ref (CD_TYPE_TICKET_STATUS);

  stmt = self->stmts[STMT_COUNT_OPEN];
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      const char *nick = (const char *) sqlite3_column_text (stmt, 0);
      guint n = (guint) sqlite3_column_int64 (stmt, 1);
      GEnumValue *ev = nick != NULL ? g_enum_get_value_by_nick (klass, nick) : NULL;

      counts->total += n;
      if (ev != NULL && ev->value >= 0 && ev->value < CD_STORE_N_TICKET_STATUSES)
        counts->by_status[ev->value] += n;
    }

  g_type_class_unref (klass);

  if (rc != SQLITE_DONE)
    {
      store_error (self, rc, error);
      return FALSE;
    }

  return TRUE;
}

/**
 * cd_store_list_running_deadlines:
 * @limit: the most to return, 0 for all
 *
 * Open tickets whose timers run (not paused) and have a deadline left,
 * the nearest first: the supervisor's view.
 */
GPtrArray *
cd_store_list_running_deadlines (CdStore  *self,
                                 guint     limit,
                                 GError  **error)
{
  g_autoptr(StmtLease) stmt = NULL;

  g_return_val_if_fail (CD_IS_STORE (self), NULL);

  stmt = self->stmts[STMT_DEADLINES];
  sqlite3_bind_int64 (stmt, 1, limit > 0 ? (gint64) limit : -1);
  return collect (self, stmt, KIND_TICKET, error);
}

/**
 * cd_store_list_changes:
 * @since_rev: the newest revision the caller has
 * @limit: the most rows to return (> 0)
 * @more: (out) (optional): whether rows beyond @limit remain
 *
 * The changes feed: records and tombstones of every kind whose rev is
 * above @since_rev, in rev order. A caller that has them all continues
 * from the last row's rev.
 *
 * Returns: (transfer full) (element-type CdStoreChange): the rows
 */
static GPtrArray *
list_changes (CdStore   *self,
              gint64     since_rev,
              guint      limit,
              gboolean   as_json,
              gboolean  *more,
              GError   **error)
{
  g_autoptr(StmtLease) stmt = NULL;
  g_autoptr(GPtrArray) changes = NULL;
  int rc;

  g_return_val_if_fail (CD_IS_STORE (self), NULL);
  g_return_val_if_fail (limit > 0, NULL);

  if (more != NULL)
    *more = FALSE;

  changes = g_ptr_array_new_with_free_func ((GDestroyNotify) cd_store_change_free);
  stmt = self->stmts[STMT_CHANGES];
  sqlite3_bind_int64 (stmt, 1, since_rev);
  /* No limit in SQL: the rows are merged from the rev indexes and read
   * one by one, and a page must not end inside a revision (a ticket and
   * its assignment event share one), or the next pull from the page's
   * last rev would skip the rest of it. So a page runs past @limit until
   * the revision changes; one row more says whether more remain. */
  sqlite3_bind_int64 (stmt, 2, -1);

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      int k = sqlite3_column_int (stmt, 0);
      CdStoreChange *change;

      if (changes->len >= limit &&
          sqlite3_column_int64 (stmt, 2) != ((CdStoreChange *) g_ptr_array_index (changes, changes->len - 1))->rev)
        {
          if (more != NULL)
            *more = TRUE;
          rc = SQLITE_DONE;
          break;
        }

      g_assert (k >= 0 && k < N_KINDS);
      change = g_new0 (CdStoreChange, 1);
      change->kind = kinds[k].kind;
      change->id = g_strdup ((const char *) sqlite3_column_text (stmt, 1));
      change->rev = sqlite3_column_int64 (stmt, 2);
      g_ptr_array_add (changes, change);

      if (sqlite3_column_int (stmt, 3) == 0 && as_json)
        change->json = g_strdup ((const char *) sqlite3_column_text (stmt, 4));
      else if (sqlite3_column_int (stmt, 3) == 0)
        {
          change->record = read_record (self, (Kind) k, stmt, 4, error);
          if (change->record == NULL)
            return NULL;
        }
    }

  if (rc != SQLITE_DONE)
    {
      store_error (self, rc, error);
      return NULL;
    }

  return g_steal_pointer (&changes);
}

GPtrArray *
cd_store_list_changes (CdStore   *self,
                       gint64     since_rev,
                       guint      limit,
                       gboolean  *more,
                       GError   **error)
{
  return list_changes (self, since_rev, limit, FALSE, more, error);
}

/**
 * cd_store_list_changes_json:
 *
 * As cd_store_list_changes(), but each live row carries its stored JSON
 * text in @json instead of a decoded @record: the server relays the feed
 * without decoding and encoding every row again. The text is what
 * cd_record_to_json_string() wrote when the row was saved (for crews,
 * without the position reported since: positions travel on the events).
 */
GPtrArray *
cd_store_list_changes_json (CdStore   *self,
                            gint64     since_rev,
                            guint      limit,
                            gboolean  *more,
                            GError   **error)
{
  return list_changes (self, since_rev, limit, TRUE, more, error);
}

/**
 * cd_store_list_crews:
 * @utility: a #CdUtility, or CD_STORE_ANY
 *
 * Crews by name, each with its latest position laid over the record.
 */
GPtrArray *
cd_store_list_crews (CdStore  *self,
                     gint      utility,
                     GError  **error)
{
  g_autoptr(StmtLease) stmt = NULL;

  g_return_val_if_fail (CD_IS_STORE (self), NULL);

  if (utility == CD_STORE_ANY)
    {
      stmt = self->stmts[STMT_CREWS];
    }
  else
    {
      const char *nick = enum_nick (CD_TYPE_UTILITY, utility);

      g_return_val_if_fail (nick != NULL, NULL);
      stmt = self->stmts[STMT_CREWS_UTILITY];
      bind_text (stmt, 1, nick);
    }

  return collect (self, stmt, KIND_CREW, error);
}

/**
 * cd_store_set_crew_position:
 * @at: when the crew reported it (Unix seconds)
 *
 * Records a crew's latest position without touching its record, version
 * or rev: positions are streamed, not synced. A report older than the one
 * stored is ignored.
 *
 * Returns: %TRUE, or %FALSE with CD_STORE_ERROR_NOT_FOUND for an unknown
 *   crew
 */
gboolean
cd_store_set_crew_position (CdStore     *self,
                            const char  *crew_id,
                            double       lat,
                            double       lon,
                            double       heading,
                            double       speed_kmh,
                            gint64       at,
                            GError     **error)
{
  g_autoptr(StmtLease) stmt = NULL;
  int rc;

  g_return_val_if_fail (CD_IS_STORE (self), FALSE);
  g_return_val_if_fail (crew_id != NULL, FALSE);
  g_return_val_if_fail (lat >= -90 && lat <= 90, FALSE);
  g_return_val_if_fail (lon >= -180 && lon <= 180, FALSE);

  if (!check_transaction (self, error))
    return FALSE;

  stmt = self->stmts[STMT_SET_POSITION];
  bind_text (stmt, 1, crew_id);
  sqlite3_bind_double (stmt, 2, lat);
  sqlite3_bind_double (stmt, 3, lon);
  sqlite3_bind_double (stmt, 4, heading);
  sqlite3_bind_double (stmt, 5, speed_kmh);
  sqlite3_bind_int64 (stmt, 6, at);

  rc = sqlite3_step (stmt);
  if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
    {
      g_set_error (error, CD_STORE_ERROR, CD_STORE_ERROR_NOT_FOUND,
                   _("There is no crew “%s”. It may have been deleted."), crew_id);
      return FALSE;
    }
  if (rc != SQLITE_DONE)
    {
      store_error (self, rc, error);
      return FALSE;
    }

  return TRUE;
}

/* Trails ------------------------------------------------------------------ */

void
cd_trail_point_free (CdTrailPoint *point)
{
  if (point == NULL)
    return;

  g_free (point->crew_id);
  g_free (point);
}

/* Steps @stmt to the end, each row (crew_id, at, lat, lon, heading,
 * speed_kmh) a CdTrailPoint. */
static GPtrArray *
collect_points (CdStore       *self,
                sqlite3_stmt  *stmt,
                GError       **error)
{
  g_autoptr(GPtrArray) points = g_ptr_array_new_with_free_func ((GDestroyNotify) cd_trail_point_free);
  int rc;

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      CdTrailPoint *point = g_new0 (CdTrailPoint, 1);

      point->crew_id = column_dup (stmt, 0);
      point->at = sqlite3_column_int64 (stmt, 1);
      point->lat = sqlite3_column_double (stmt, 2);
      point->lon = sqlite3_column_double (stmt, 3);
      point->heading = sqlite3_column_double (stmt, 4);
      point->speed_kmh = sqlite3_column_double (stmt, 5);
      g_ptr_array_add (points, point);
    }

  if (rc != SQLITE_DONE)
    {
      store_error (self, rc, error);
      return NULL;
    }

  return g_steal_pointer (&points);
}

/**
 * cd_store_add_trail_point:
 *
 * Keeps a point of a crew's trail, outside the change log. A second point
 * of the same crew and second is ignored.
 *
 * Returns: %TRUE, or %FALSE with CD_STORE_ERROR_NOT_FOUND for an unknown
 *   crew
 */
gboolean
cd_store_add_trail_point (CdStore             *self,
                          const CdTrailPoint  *point,
                          GError             **error)
{
  g_autoptr(StmtLease) stmt = NULL;
  int rc;

  g_return_val_if_fail (CD_IS_STORE (self), FALSE);
  g_return_val_if_fail (point != NULL && point->crew_id != NULL, FALSE);

  if (!check_transaction (self, error))
    return FALSE;

  stmt = self->stmts[STMT_TRAIL_ADD];
  bind_text (stmt, 1, point->crew_id);
  sqlite3_bind_int64 (stmt, 2, point->at);
  sqlite3_bind_double (stmt, 3, point->lat);
  sqlite3_bind_double (stmt, 4, point->lon);
  sqlite3_bind_double (stmt, 5, point->heading);
  sqlite3_bind_double (stmt, 6, point->speed_kmh);

  rc = sqlite3_step (stmt);
  if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
    {
      g_set_error (error, CD_STORE_ERROR, CD_STORE_ERROR_NOT_FOUND,
                   _("There is no crew “%s”. It may have been deleted."), point->crew_id);
      return FALSE;
    }
  if (rc != SQLITE_DONE)
    {
      store_error (self, rc, error);
      return FALSE;
    }

  return TRUE;
}

/**
 * cd_store_trim_trail:
 * @crew_id: (nullable): a crew, or %NULL for every crew
 * @before: drop the points older than this
 */
gboolean
cd_store_trim_trail (CdStore     *self,
                     const char  *crew_id,
                     gint64       before,
                     GError     **error)
{
  g_autoptr(StmtLease) stmt = NULL;

  g_return_val_if_fail (CD_IS_STORE (self), FALSE);

  if (!check_transaction (self, error))
    return FALSE;

  if (crew_id != NULL)
    {
      stmt = self->stmts[STMT_TRAIL_TRIM];
      bind_text (stmt, 1, crew_id);
      sqlite3_bind_int64 (stmt, 2, before);
    }
  else
    {
      stmt = self->stmts[STMT_TRAIL_TRIM_ALL];
      sqlite3_bind_int64 (stmt, 1, before);
    }

  return run (self, stmt, error);
}

/**
 * cd_store_list_trail_points:
 * @crew_id: (nullable): a crew, or %NULL for every crew
 * @after: only points later than this
 *
 * Returns: (transfer full) (element-type CdTrailPoint): the points, by
 *   crew, then oldest first
 */
GPtrArray *
cd_store_list_trail_points (CdStore     *self,
                            const char  *crew_id,
                            gint64       after,
                            GError     **error)
{
  g_autoptr(StmtLease) stmt = NULL;

  g_return_val_if_fail (CD_IS_STORE (self), NULL);

  if (crew_id != NULL)
    {
      stmt = self->stmts[STMT_TRAIL_LIST];
      bind_text (stmt, 1, crew_id);
      sqlite3_bind_int64 (stmt, 2, after);
    }
  else
    {
      stmt = self->stmts[STMT_TRAIL_LIST_ALL];
      sqlite3_bind_int64 (stmt, 1, after);
    }

  return collect_points (self, stmt, error);
}

/**
 * cd_store_list_crew_positions:
 *
 * The latest position of every live crew that has one, by crew id.
 *
 * Returns: (transfer full) (element-type CdTrailPoint): the positions
 */
GPtrArray *
cd_store_list_crew_positions (CdStore  *self,
                              GError  **error)
{
  g_autoptr(StmtLease) stmt = NULL;

  g_return_val_if_fail (CD_IS_STORE (self), NULL);

  stmt = self->stmts[STMT_POSITIONS_LIST];
  return collect_points (self, stmt, error);
}

/* Resync ------------------------------------------------------------------ */

/**
 * cd_store_resync_begin:
 *
 * A client about to re-read the server's whole feed from revision 0 (its
 * revision is past the server's history, or the server was restored from
 * a backup). Marks every live row, sets the last revision to 0, and
 * leaves everything in place: the user keeps seeing the old rows until
 * the pass brings the new ones. cd_store_resync_seen() unmarks a row the
 * pass brought; cd_store_resync_finish() deletes what stays marked.
 * Inside a transaction.
 */
gboolean
cd_store_resync_begin (CdStore  *self,
                       GError  **error)
{
  g_return_val_if_fail (CD_IS_STORE (self), FALSE);

  if (!check_transaction (self, error))
    return FALSE;

  if (!run (self, self->stmts[STMT_RESYNC_CLEAR], error))
    return FALSE;
  for (guint k = 0; k < N_KINDS; k++)
    if (!run (self, self->kind_stmts[k][OP_RESYNC_MARK], error))
      return FALSE;

  return cd_store_set_last_rev (self, 0, error);
}

/* Whether a resync is under way (rows are still marked). */
gboolean
cd_store_resync_pending (CdStore   *self,
                         gboolean  *pending,
                         GError   **error)
{
  g_autoptr(StmtLease) stmt = NULL;
  int rc;

  g_return_val_if_fail (CD_IS_STORE (self), FALSE);
  g_return_val_if_fail (pending != NULL, FALSE);

  stmt = self->stmts[STMT_RESYNC_ANY];
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_ROW)
    {
      store_error (self, rc, error);
      return FALSE;
    }

  *pending = sqlite3_column_int (stmt, 0) != 0;
  return TRUE;
}

/* The pass brought this row (or its tombstone). Inside a transaction. */
gboolean
cd_store_resync_seen (CdStore     *self,
                      GType        type,
                      const char  *id,
                      GError     **error)
{
  g_autoptr(StmtLease) stmt = NULL;
  Kind kind;

  g_return_val_if_fail (CD_IS_STORE (self), FALSE);
  g_return_val_if_fail (kind_for_type (type, &kind), FALSE);
  g_return_val_if_fail (id != NULL, FALSE);

  if (!check_transaction (self, error))
    return FALSE;

  stmt = self->stmts[STMT_RESYNC_SEEN];
  bind_text (stmt, 1, kinds[kind].kind);
  bind_text (stmt, 2, id);
  return run (self, stmt, error);
}

/**
 * cd_store_resync_finish:
 * @n_removed: (out) (optional): how many rows were gone from the server
 *
 * The pass reached the end of the feed: deletes the rows it did not
 * bring (with their positions and trails) and ends the resync. Inside a
 * transaction.
 */
gboolean
cd_store_resync_finish (CdStore  *self,
                        guint    *n_removed,
                        GError  **error)
{
  guint removed = 0;

  g_return_val_if_fail (CD_IS_STORE (self), FALSE);

  if (!check_transaction (self, error))
    return FALSE;

  for (guint k = 0; k < N_KINDS; k++)
    {
      if (!run (self, self->kind_stmts[k][OP_RESYNC_SWEEP], error))
        return FALSE;
      removed += sqlite3_changes (self->db);
    }
  if (!run (self, self->stmts[STMT_RESYNC_CLEAR], error))
    return FALSE;

  if (n_removed != NULL)
    *n_removed = removed;
  return TRUE;
}

/**
 * cd_store_list_callbacks_due:
 * @status: which callbacks (usually CD_CALLBACK_STATUS_PENDING)
 * @before: due strictly before this time
 * @limit: the most to return, 0 for all
 *
 * The callback queue: earliest due first, then the higher priority.
 */
GPtrArray *
cd_store_list_callbacks_due (CdStore           *self,
                             CdCallbackStatus   status,
                             gint64             before,
                             guint              limit,
                             GError           **error)
{
  g_autoptr(StmtLease) stmt = NULL;
  const char *nick;

  g_return_val_if_fail (CD_IS_STORE (self), NULL);
  nick = enum_nick (CD_TYPE_CALLBACK_STATUS, status);
  g_return_val_if_fail (nick != NULL, NULL);

  stmt = self->stmts[STMT_CALLBACKS_DUE];
  bind_text (stmt, 1, nick);
  sqlite3_bind_int64 (stmt, 2, before);
  sqlite3_bind_int64 (stmt, 3, limit > 0 ? (gint64) limit : -1);
  return collect (self, stmt, KIND_CALLBACK, error);
}

/**
 * cd_store_list_for_ticket:
 * @type: CD_TYPE_CALLBACK (by due time) or CD_TYPE_ASSIGNMENT_EVENT (by
 *   time: the ticket's assignment history)
 */
GPtrArray *
cd_store_list_for_ticket (CdStore     *self,
                          GType        type,
                          const char  *ticket_id,
                          GError     **error)
{
  g_autoptr(StmtLease) stmt = NULL;

  g_return_val_if_fail (CD_IS_STORE (self), NULL);
  g_return_val_if_fail (type == CD_TYPE_CALLBACK || type == CD_TYPE_ASSIGNMENT_EVENT, NULL);
  g_return_val_if_fail (ticket_id != NULL, NULL);

  stmt = self->stmts[type == CD_TYPE_CALLBACK ? STMT_CALLBACKS_FOR_TICKET : STMT_EVENTS_FOR_TICKET];
  bind_text (stmt, 1, ticket_id);
  return collect (self, stmt, type == CD_TYPE_CALLBACK ? KIND_CALLBACK : KIND_ASSIGNMENT_EVENT,
                  error);
}

/* A live user by login name (unique among live users). */
gpointer
cd_store_find_user (CdStore     *self,
                    const char  *username,
                    GError     **error)
{
  g_autoptr(StmtLease) stmt = NULL;

  g_return_val_if_fail (CD_IS_STORE (self), NULL);
  g_return_val_if_fail (username != NULL, NULL);

  stmt = self->stmts[STMT_FIND_USER];
  bind_text (stmt, 1, username);
  return collect_one (self, stmt, KIND_USER, username, error);
}

/* The policy row for a category x urgency x area class (unique). */
gpointer
cd_store_find_sla_policy (CdStore      *self,
                          CdCategory    category,
                          CdUrgency     urgency,
                          CdAreaClass   area_class,
                          GError      **error)
{
  g_autoptr(StmtLease) stmt = NULL;
  const char *c = enum_nick (CD_TYPE_CATEGORY, category);
  const char *u = enum_nick (CD_TYPE_URGENCY, urgency);
  const char *a = enum_nick (CD_TYPE_AREA_CLASS, area_class);
  g_autofree char *key = NULL;

  g_return_val_if_fail (CD_IS_STORE (self), NULL);
  g_return_val_if_fail (c != NULL && u != NULL && a != NULL, NULL);

  stmt = self->stmts[STMT_FIND_SLA_POLICY];
  bind_text (stmt, 1, c);
  bind_text (stmt, 2, u);
  bind_text (stmt, 3, a);
  key = g_strjoin ("/", c, u, a, NULL);
  return collect_one (self, stmt, KIND_SLA_POLICY, key, error);
}

/* Read transactions ------------------------------------------------------- */

/**
 * cd_store_begin_read:
 *
 * A read-only transaction, so several queries see one state: a changes
 * page and last_rev that agree. It takes no write lock; end it with
 * cd_store_rollback() (or commit). Not nestable inside a write.
 */
gboolean
cd_store_begin_read (CdStore  *self,
                     GError  **error)
{
  g_return_val_if_fail (CD_IS_STORE (self), FALSE);
  g_return_val_if_fail (self->depth == 0, FALSE);

  if (!run (self, self->stmts[STMT_BEGIN_READ], error))
    return FALSE;

  self->depth++;
  return TRUE;
}

/* Server: passwords, sessions, the mutation log ----------------------------- */

static char *
step_text (CdStore       *self,
           sqlite3_stmt  *stmt,
           int            column,
           GError       **error)
{
  int rc = sqlite3_step (stmt);

  if (rc == SQLITE_ROW)
    return g_strdup ((const char *) sqlite3_column_text (stmt, column));
  if (rc != SQLITE_DONE)
    store_error (self, rc, error);

  return NULL;
}

/* Stores an argon2id hash (never a password) for a user. */
gboolean
cd_store_set_password (CdStore     *self,
                       const char  *user_id,
                       const char  *hash,
                       GError     **error)
{
  g_autoptr(StmtLease) stmt = NULL;

  g_return_val_if_fail (CD_IS_STORE (self), FALSE);
  g_return_val_if_fail (user_id != NULL && hash != NULL, FALSE);

  if (!check_transaction (self, error))
    return FALSE;

  stmt = self->stmts[STMT_SET_PASSWORD];
  bind_text (stmt, 1, user_id);
  bind_text (stmt, 2, hash);
  return run (self, stmt, error);
}

/* The user's hash, or NULL (with NOT_FOUND) when none was ever set. */
char *
cd_store_get_password (CdStore     *self,
                       const char  *user_id,
                       GError     **error)
{
  g_autoptr(StmtLease) stmt = NULL;
  g_autoptr(GError) local_error = NULL;
  char *hash;

  g_return_val_if_fail (CD_IS_STORE (self), NULL);
  g_return_val_if_fail (user_id != NULL, NULL);

  stmt = self->stmts[STMT_GET_PASSWORD];
  bind_text (stmt, 1, user_id);
  hash = step_text (self, stmt, 0, &local_error);
  if (hash == NULL && local_error == NULL)
    g_set_error (&local_error, CD_STORE_ERROR, CD_STORE_ERROR_NOT_FOUND,
                 _("The user has no password yet. An administrator can set one."));
  if (local_error != NULL)
    g_propagate_error (error, g_steal_pointer (&local_error));

  return hash;
}

gboolean
cd_store_add_session (CdStore     *self,
                      const char  *digest,
                      const char  *user_id,
                      gint64       expires_at,
                      GError     **error)
{
  g_autoptr(StmtLease) stmt = NULL;

  g_return_val_if_fail (CD_IS_STORE (self), FALSE);
  g_return_val_if_fail (digest != NULL && user_id != NULL, FALSE);

  if (!check_transaction (self, error))
    return FALSE;

  stmt = self->stmts[STMT_ADD_SESSION];
  bind_text (stmt, 1, digest);
  bind_text (stmt, 2, user_id);
  sqlite3_bind_int64 (stmt, 3, expires_at);
  return run (self, stmt, error);
}

/* The user id of a session still valid at @now; NULL (no error) when the
 * token is unknown or expired. */
char *
cd_store_lookup_session (CdStore     *self,
                         const char  *digest,
                         gint64       now,
                         gint64      *expires_at,
                         GError     **error)
{
  g_autoptr(StmtLease) stmt = NULL;
  char *user_id;

  g_return_val_if_fail (CD_IS_STORE (self), NULL);
  g_return_val_if_fail (digest != NULL, NULL);

  stmt = self->stmts[STMT_LOOKUP_SESSION];
  bind_text (stmt, 1, digest);
  sqlite3_bind_int64 (stmt, 2, now);
  user_id = step_text (self, stmt, 0, error);
  if (user_id != NULL && expires_at != NULL)
    *expires_at = sqlite3_column_int64 (stmt, 1);

  return user_id;
}

gboolean
cd_store_remove_session (CdStore     *self,
                         const char  *digest,
                         GError     **error)
{
  g_autoptr(StmtLease) stmt = NULL;

  g_return_val_if_fail (CD_IS_STORE (self), FALSE);
  g_return_val_if_fail (digest != NULL, FALSE);

  if (!check_transaction (self, error))
    return FALSE;

  stmt = self->stmts[STMT_REMOVE_SESSION];
  bind_text (stmt, 1, digest);
  return run (self, stmt, error);
}

/* Ends every session of a user (a new password, a disabled account). */
gboolean
cd_store_remove_user_sessions (CdStore     *self,
                               const char  *user_id,
                               GError     **error)
{
  g_autoptr(StmtLease) stmt = NULL;

  g_return_val_if_fail (CD_IS_STORE (self), FALSE);
  g_return_val_if_fail (user_id != NULL, FALSE);

  if (!check_transaction (self, error))
    return FALSE;

  stmt = self->stmts[STMT_REMOVE_USER_SESSIONS];
  bind_text (stmt, 1, user_id);
  return run (self, stmt, error);
}

/* The result logged for a mutation UUID, or NULL (no error) if unseen. */
char *
cd_store_find_mutation (CdStore     *self,
                        const char  *mutation_id,
                        char       **user_id,
                        GError     **error)
{
  g_autoptr(StmtLease) stmt = NULL;
  char *result;

  g_return_val_if_fail (CD_IS_STORE (self), NULL);
  g_return_val_if_fail (mutation_id != NULL, NULL);

  stmt = self->stmts[STMT_FIND_MUTATION];
  bind_text (stmt, 1, mutation_id);
  result = step_text (self, stmt, 0, error);
  if (result != NULL && user_id != NULL)
    *user_id = g_strdup ((const char *) sqlite3_column_text (stmt, 1));

  return result;
}

gboolean
cd_store_add_mutation (CdStore     *self,
                       const char  *mutation_id,
                       const char  *user_id,
                       const char  *result,
                       gint64       at,
                       GError     **error)
{
  g_autoptr(StmtLease) stmt = NULL;

  g_return_val_if_fail (CD_IS_STORE (self), FALSE);
  g_return_val_if_fail (mutation_id != NULL && user_id != NULL && result != NULL, FALSE);

  if (!check_transaction (self, error))
    return FALSE;

  stmt = self->stmts[STMT_ADD_MUTATION];
  bind_text (stmt, 1, mutation_id);
  bind_text (stmt, 2, user_id);
  sqlite3_bind_int64 (stmt, 3, at);
  bind_text (stmt, 4, result);
  return run (self, stmt, error);
}

/* The oldest revision the changes feed answers from: a client behind it
 * must load a snapshot. */
gint64
cd_store_get_horizon_rev (CdStore  *self,
                          GError  **error)
{
  g_autoptr(StmtLease) stmt = NULL;
  int rc;

  g_return_val_if_fail (CD_IS_STORE (self), -1);

  stmt = self->stmts[STMT_GET_HORIZON];
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    return sqlite3_column_int64 (stmt, 0);
  if (rc == SQLITE_DONE)
    return 0; /* a client cache: it keeps no feed of its own */

  store_error (self, rc, error);
  return -1;
}

/**
 * cd_store_purge:
 * @before_rev: drop tombstones at or below this revision
 * @before_time: drop expired sessions, and mutation log entries older than this
 *
 * Keeps the server's files from growing without end. Clients whose last
 * pull is older than @before_rev get 410 and load a snapshot; mutation
 * UUIDs older than @before_time would apply again, so keep that window
 * longer than any client stays offline.
 */
gboolean
cd_store_purge (CdStore  *self,
                gint64    before_rev,
                gint64    before_time,
                GError  **error)
{
  static const char * const tables[] = {
    "tickets", "crews", "callbacks", "assignment_events", "users", "sla_policies",
  };

  g_return_val_if_fail (CD_IS_STORE (self), FALSE);

  if (!cd_store_begin (self, error))
    return FALSE;

  for (guint i = 0; i < G_N_ELEMENTS (tables); i++)
    {
      g_autofree char *sql = g_strdup_printf ("DELETE FROM %s WHERE deleted = 1 AND rev <= ?1", tables[i]);
      sqlite3_stmt *stmt = NULL;
      int rc = sqlite3_prepare_v2 (self->db, sql, -1, &stmt, NULL);

      if (rc == SQLITE_OK)
        {
          sqlite3_bind_int64 (stmt, 1, before_rev);
          rc = sqlite3_step (stmt);
        }
      sqlite3_finalize (stmt);
      if (rc != SQLITE_DONE)
        {
          store_error (self, rc, error);
          cd_store_rollback (self);
          return FALSE;
        }
    }

  {
    sqlite3_stmt *stmt = NULL;
    int rc = sqlite3_prepare_v2 (self->db, "UPDATE meta SET value = max(value, ?1) WHERE key = 'horizon'",
                                 -1, &stmt, NULL);

    if (rc == SQLITE_OK)
      {
        sqlite3_bind_int64 (stmt, 1, before_rev);
        rc = sqlite3_step (stmt);
      }
    sqlite3_finalize (stmt);
    if (rc != SQLITE_DONE)
      {
        store_error (self, rc, error);
        cd_store_rollback (self);
        return FALSE;
      }
  }

  sqlite3_bind_int64 (self->stmts[STMT_PURGE_SESSIONS], 1, before_time);
  if (!run (self, self->stmts[STMT_PURGE_SESSIONS], error))
    {
      cd_store_rollback (self);
      return FALSE;
    }
  sqlite3_bind_int64 (self->stmts[STMT_PURGE_MUTATIONS], 1, before_time);
  if (!run (self, self->stmts[STMT_PURGE_MUTATIONS], error))
    {
      cd_store_rollback (self);
      return FALSE;
    }

  return cd_store_commit (self, error);
}

/* Client cache: the outbox, conflicts, client values ---------------------- */

static const char * const outbox_states[] = {
  [CD_OUTBOX_PENDING] = "pending",
  [CD_OUTBOX_SENT] = "sent",
  [CD_OUTBOX_DONE] = "done",
  [CD_OUTBOX_CONFLICT] = "conflict",
  [CD_OUTBOX_REJECTED] = "rejected",
};

void
cd_outbox_entry_free (CdOutboxEntry *entry)
{
  if (entry == NULL)
    return;

  g_free (entry->id);
  g_free (entry->mutation);
  g_free (entry->last_error);
  g_free (entry);
}

void
cd_store_conflict_free (CdStoreConflict *conflict)
{
  if (conflict == NULL)
    return;

  g_free (conflict->mutation_id);
  g_free (conflict->mutation);
  g_free (conflict->kind);
  g_free (conflict->target);
  g_free (conflict->mine);
  g_free (conflict->current);
  g_free (conflict->changed_by);
  g_free (conflict->code);
  g_free (conflict->message);
  g_free (conflict);
}

static char *
column_dup (sqlite3_stmt *stmt,
            int           col)
{
  return g_strdup ((const char *) sqlite3_column_text (stmt, col));
}

static CdOutboxEntry *
read_outbox_entry (sqlite3_stmt *stmt)
{
  CdOutboxEntry *entry = g_new0 (CdOutboxEntry, 1);
  const char *state = (const char *) sqlite3_column_text (stmt, 3);

  entry->seq = sqlite3_column_int64 (stmt, 0);
  entry->id = column_dup (stmt, 1);
  entry->mutation = column_dup (stmt, 2);
  entry->state = CD_OUTBOX_PENDING;
  for (guint i = 0; i < G_N_ELEMENTS (outbox_states); i++)
    if (g_strcmp0 (state, outbox_states[i]) == 0)
      entry->state = (CdOutboxState) i;
  entry->attempts = sqlite3_column_int64 (stmt, 4);
  entry->created_at = sqlite3_column_int64 (stmt, 5);
  entry->last_error = column_dup (stmt, 6);

  return entry;
}

/**
 * cd_store_outbox_add:
 * @id: the mutation's UUID
 * @mutation: the mutation's JSON text
 * @created_at: Unix milliseconds
 * @seq: (out) (optional): its place in the queue
 *
 * Queues a mutation, pending. An id already queued is refused with
 * CD_STORE_ERROR_CONSTRAINT.
 */
gboolean
cd_store_outbox_add (CdStore     *self,
                     const char  *id,
                     const char  *mutation,
                     gint64       created_at,
                     gint64      *seq,
                     GError     **error)
{
  g_autoptr(StmtLease) stmt = NULL;

  g_return_val_if_fail (CD_IS_STORE (self), FALSE);
  g_return_val_if_fail (id != NULL && mutation != NULL, FALSE);

  if (!check_transaction (self, error))
    return FALSE;

  stmt = self->stmts[STMT_OUTBOX_ADD];
  bind_text (stmt, 1, id);
  bind_text (stmt, 2, mutation);
  sqlite3_bind_int64 (stmt, 3, created_at);
  if (!run (self, stmt, error))
    return FALSE;

  if (seq != NULL)
    *seq = sqlite3_last_insert_rowid (self->db);

  return TRUE;
}

/**
 * cd_store_outbox_list_waiting:
 * @after_seq: list entries after this one (0: from the start)
 * @limit: the most to return, 0 for all
 *
 * Pending and sent entries, in the order they were made.
 *
 * Returns: (transfer full) (element-type CdOutboxEntry): the entries
 */
GPtrArray *
cd_store_outbox_list_waiting (CdStore     *self,
                              gint64       after_seq,
                              guint        limit,
                              GError     **error)
{
  g_autoptr(StmtLease) stmt = NULL;
  g_autoptr(GPtrArray) entries = NULL;
  int rc;

  g_return_val_if_fail (CD_IS_STORE (self), NULL);

  entries = g_ptr_array_new_with_free_func ((GDestroyNotify) cd_outbox_entry_free);
  stmt = self->stmts[STMT_OUTBOX_PENDING];
  sqlite3_bind_int64 (stmt, 1, after_seq);
  sqlite3_bind_int64 (stmt, 2, limit > 0 ? (gint64) limit : -1);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (entries, read_outbox_entry (stmt));

  if (rc != SQLITE_DONE)
    {
      store_error (self, rc, error);
      return NULL;
    }

  return g_steal_pointer (&entries);
}

/* The entry of a mutation id in any state; NULL without an error when
 * there is none. */
CdOutboxEntry *
cd_store_outbox_get (CdStore     *self,
                     const char  *id,
                     GError     **error)
{
  g_autoptr(StmtLease) stmt = NULL;
  int rc;

  g_return_val_if_fail (CD_IS_STORE (self), NULL);
  g_return_val_if_fail (id != NULL, NULL);

  stmt = self->stmts[STMT_OUTBOX_GET];
  bind_text (stmt, 1, id);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    return read_outbox_entry (stmt);
  if (rc != SQLITE_DONE)
    store_error (self, rc, error);

  return NULL;
}

/* Before a send: the entry is sent, one attempt more. */
gboolean
cd_store_outbox_mark_sent (CdStore     *self,
                           const char  *id,
                           GError     **error)
{
  g_autoptr(StmtLease) stmt = NULL;

  g_return_val_if_fail (CD_IS_STORE (self), FALSE);
  g_return_val_if_fail (id != NULL, FALSE);

  if (!check_transaction (self, error))
    return FALSE;

  stmt = self->stmts[STMT_OUTBOX_MARK_SENT];
  bind_text (stmt, 1, id);
  return run (self, stmt, error);
}

/**
 * cd_store_outbox_finish:
 * @state: CD_OUTBOX_DONE, CD_OUTBOX_CONFLICT or CD_OUTBOX_REJECTED
 * @last_error: (nullable): the server's message
 * @changed: (out) (optional): %FALSE when the entry had already finished
 *   (or is unknown), so a replayed result is not counted twice
 *
 * Records the server's result for a waiting entry. Call it in the
 * transaction that saves the rows the result carries.
 */
gboolean
cd_store_outbox_finish (CdStore        *self,
                        const char     *id,
                        CdOutboxState   state,
                        const char     *last_error,
                        gboolean       *changed,
                        GError        **error)
{
  g_autoptr(StmtLease) stmt = NULL;

  g_return_val_if_fail (CD_IS_STORE (self), FALSE);
  g_return_val_if_fail (id != NULL, FALSE);
  g_return_val_if_fail (state == CD_OUTBOX_DONE || state == CD_OUTBOX_CONFLICT ||
                        state == CD_OUTBOX_REJECTED, FALSE);

  if (!check_transaction (self, error))
    return FALSE;

  stmt = self->stmts[STMT_OUTBOX_FINISH];
  bind_text (stmt, 1, id);
  bind_text (stmt, 2, outbox_states[state]);
  bind_text (stmt, 3, last_error);
  if (!run (self, stmt, error))
    return FALSE;

  if (changed != NULL)
    *changed = sqlite3_changes (self->db) > 0;

  return TRUE;
}

/* How many entries wait (pending or sent); -1 with @error set. */
gint64
cd_store_outbox_count_waiting (CdStore  *self,
                               GError  **error)
{
  g_autoptr(StmtLease) stmt = NULL;
  int rc;

  g_return_val_if_fail (CD_IS_STORE (self), -1);

  stmt = self->stmts[STMT_OUTBOX_COUNT];
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    return sqlite3_column_int64 (stmt, 0);

  store_error (self, rc, error);
  return -1;
}

/* Forgets done entries made before @before_ms (Unix milliseconds). */
gboolean
cd_store_outbox_purge_done (CdStore  *self,
                            gint64    before_ms,
                            GError  **error)
{
  g_autoptr(StmtLease) stmt = NULL;

  g_return_val_if_fail (CD_IS_STORE (self), FALSE);

  if (!check_transaction (self, error))
    return FALSE;

  stmt = self->stmts[STMT_OUTBOX_PURGE];
  sqlite3_bind_int64 (stmt, 1, before_ms);
  return run (self, stmt, error);
}

/**
 * cd_store_add_conflict:
 * @conflict: what to keep; its @id is set on return
 *
 * Keeps a refused mutation for the user. A second result for the same
 * mutation id (a replay) is ignored.
 */
gboolean
cd_store_add_conflict (CdStore          *self,
                       CdStoreConflict  *conflict,
                       GError          **error)
{
  g_autoptr(StmtLease) stmt = NULL;

  g_return_val_if_fail (CD_IS_STORE (self), FALSE);
  g_return_val_if_fail (conflict != NULL, FALSE);
  g_return_val_if_fail (conflict->mutation_id != NULL && conflict->mutation != NULL, FALSE);
  g_return_val_if_fail (conflict->code != NULL && conflict->message != NULL, FALSE);

  if (!check_transaction (self, error))
    return FALSE;

  stmt = self->stmts[STMT_CONFLICT_ADD];
  bind_text (stmt, 1, conflict->mutation_id);
  bind_text (stmt, 2, conflict->mutation);
  bind_text (stmt, 3, conflict->kind);
  bind_text (stmt, 4, conflict->target);
  bind_text (stmt, 5, conflict->mine);
  bind_text (stmt, 6, conflict->current);
  bind_text (stmt, 7, conflict->changed_by);
  bind_text (stmt, 8, conflict->code);
  bind_text (stmt, 9, conflict->message);
  sqlite3_bind_int64 (stmt, 10, conflict->at);
  if (!run (self, stmt, error))
    return FALSE;

  if (sqlite3_changes (self->db) > 0)
    conflict->id = sqlite3_last_insert_rowid (self->db);

  return TRUE;
}

/* Every kept conflict, oldest first. (element-type CdStoreConflict) */
GPtrArray *
cd_store_list_conflicts (CdStore  *self,
                         GError  **error)
{
  g_autoptr(StmtLease) stmt = NULL;
  g_autoptr(GPtrArray) list = NULL;
  int rc;

  g_return_val_if_fail (CD_IS_STORE (self), NULL);

  list = g_ptr_array_new_with_free_func ((GDestroyNotify) cd_store_conflict_free);
  stmt = self->stmts[STMT_CONFLICTS_LIST];
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      CdStoreConflict *c = g_new0 (CdStoreConflict, 1);

      c->id = sqlite3_column_int64 (stmt, 0);
      c->mutation_id = column_dup (stmt, 1);
      c->mutation = column_dup (stmt, 2);
      c->kind = column_dup (stmt, 3);
      c->target = column_dup (stmt, 4);
      c->mine = column_dup (stmt, 5);
      c->current = column_dup (stmt, 6);
      c->changed_by = column_dup (stmt, 7);
      c->code = column_dup (stmt, 8);
      c->message = column_dup (stmt, 9);
      c->at = sqlite3_column_int64 (stmt, 10);
      g_ptr_array_add (list, c);
    }

  if (rc != SQLITE_DONE)
    {
      store_error (self, rc, error);
      return NULL;
    }

  return g_steal_pointer (&list);
}

/* Forgets a conflict (the user retried or discarded it). NOT_FOUND when
 * there is no such conflict. */
gboolean
cd_store_remove_conflict (CdStore  *self,
                          gint64    id,
                          GError  **error)
{
  g_autoptr(StmtLease) stmt = NULL;

  g_return_val_if_fail (CD_IS_STORE (self), FALSE);

  if (!check_transaction (self, error))
    return FALSE;

  stmt = self->stmts[STMT_CONFLICT_REMOVE];
  sqlite3_bind_int64 (stmt, 1, id);
  if (!run (self, stmt, error))
    return FALSE;

  if (sqlite3_changes (self->db) == 0)
    {
      g_set_error_literal (error, CD_STORE_ERROR, CD_STORE_ERROR_NOT_FOUND,
                           _("This conflict was already dealt with. Refresh the list."));
      return FALSE;
    }

  return TRUE;
}

/* A text value of the cache's own, or NULL (no error) when unset. */
char *
cd_store_get_client_value (CdStore     *self,
                           const char  *key,
                           GError     **error)
{
  g_autoptr(StmtLease) stmt = NULL;

  g_return_val_if_fail (CD_IS_STORE (self), NULL);
  g_return_val_if_fail (key != NULL, NULL);

  stmt = self->stmts[STMT_CLIENT_GET];
  bind_text (stmt, 1, key);
  return step_text (self, stmt, 0, error);
}

gboolean
cd_store_set_client_value (CdStore     *self,
                           const char  *key,
                           const char  *value,
                           GError     **error)
{
  g_autoptr(StmtLease) stmt = NULL;

  g_return_val_if_fail (CD_IS_STORE (self), FALSE);
  g_return_val_if_fail (key != NULL, FALSE);

  if (!check_transaction (self, error))
    return FALSE;

  stmt = self->stmts[STMT_CLIENT_SET];
  bind_text (stmt, 1, key);
  bind_text (stmt, 2, value);
  return run (self, stmt, error);
}

/**
 * cd_store_save_with_json:
 * @record: the decoding of @json
 * @json: the record's JSON text, as the server sent it
 *
 * As cd_store_save(), but stores @json instead of encoding @record again.
 */
gboolean
cd_store_save_with_json (CdStore     *self,
                         CdRecord    *record,
                         const char  *json,
                         gsize        length,
                         GError     **error)
{
  Kind kind;

  g_return_val_if_fail (CD_IS_STORE (self), FALSE);
  g_return_val_if_fail (CD_IS_RECORD (record), FALSE);
  g_return_val_if_fail (kind_for_type (G_OBJECT_TYPE (record), &kind), FALSE);
  g_return_val_if_fail (record->id != NULL, FALSE);
  g_return_val_if_fail (json != NULL, FALSE);

  if (!check_transaction (self, error))
    return FALSE;

  /* The text came off the network, unchanged: stored as it is. */
  return save_row (self, kind, record, (char *) json, length, NULL, error);
}

/**
 * cd_store_save_json:
 * @kind: "ticket", "crew", ...
 * @json: the record's JSON text
 * @length: its length, or -1 when NUL-terminated
 *
 * Decodes @json (which must have an id) and saves it with its text.
 * Returns %FALSE with a CD_CODEC_ERROR when it does not decode, or
 * CD_STORE_ERROR_NOT_FOUND for an unknown kind.
 */
gboolean
cd_store_save_json (CdStore     *self,
                    const char  *kind,
                    const char  *json,
                    gssize       length,
                    GError     **error)
{
  g_autoptr(CdRecord) record = NULL;
  GType type;
  Kind k;

  g_return_val_if_fail (CD_IS_STORE (self), FALSE);
  g_return_val_if_fail (kind != NULL && json != NULL, FALSE);

  type = cd_record_type_from_kind (kind);
  if (type == G_TYPE_INVALID || !kind_for_type (type, &k))
    {
      g_set_error (error, CD_STORE_ERROR, CD_STORE_ERROR_NOT_FOUND,
                   _("Crewdesk does not store records of kind “%.64s”."), kind);
      return FALSE;
    }

  if (length < 0)
    length = strlen (json);

  record = cd_record_new_from_data (type, json, length, CD_DECODE_DEFAULT, error);
  if (record == NULL)
    return FALSE;
  if (record->id == NULL)
    {
      g_set_error (error, CD_CODEC_ERROR, CD_CODEC_ERROR_MISSING_FIELD,
                   _("Field “%s” is required."), "id");
      return FALSE;
    }

  return cd_store_save_with_json (self, record, json, (gsize) length, error);
}

gboolean
cd_store_clear_records (CdStore  *self,
                        GError  **error)
{
  g_return_val_if_fail (CD_IS_STORE (self), FALSE);
  g_return_val_if_fail (self->depth > 0, FALSE);

  if (!check_transaction (self, error))
    return FALSE;

  if (!run (self, self->stmts[STMT_CLEAR_POSITIONS], error) ||
      !run (self, self->stmts[STMT_CLEAR_TRAILS], error))
    return FALSE;
  for (guint k = 0; k < N_KINDS; k++)
    if (!run (self, self->kind_stmts[k][OP_CLEAR], error))
      return FALSE;

  return TRUE;
}

/* Private ----------------------------------------------------------------- */

sqlite3 *
_cd_store_get_db (CdStore *self)
{
  g_return_val_if_fail (CD_IS_STORE (self), NULL);

  return self->db;
}

const char *
_cd_store_get_sql (CdStore    *self,
                   const char *name)
{
  g_return_val_if_fail (CD_IS_STORE (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);

  for (guint i = 0; i < N_STMTS; i++)
    if (strcmp (stmt_info[i].name, name) == 0)
      return sqlite3_sql (self->stmts[i]);

  for (guint k = 0; k < N_KINDS; k++)
    for (guint op = 0; op < N_OPS; op++)
      {
        g_autofree char *full = g_strdup_printf ("%s.%s", kinds[k].kind, op_names[op]);

        if (strcmp (full, name) == 0)
          return sqlite3_sql (self->kind_stmts[k][op]);
      }

  return NULL;
}
