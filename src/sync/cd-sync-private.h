/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-sync-private.h: what the sync client hands the cache. */
#pragma once

#include "cd-sync-cache.h"

G_BEGIN_DECLS

/* One pulled row: @json points into the reply that holds it. */
typedef struct {
  GType       type;
  char       *id;
  gint64      rev;
  CdRecord   *record;   /* NULL: a tombstone */
  const char *json;
  gsize       json_len;
} CdSyncRow;

void cd_sync_row_free (CdSyncRow *row);

typedef enum {
  CD_SYNC_RESULT_APPLIED,
  CD_SYNC_RESULT_CONFLICT,
  CD_SYNC_RESULT_REJECTED,
} CdSyncResultStatus;

/* One mutation's result from POST /mutations. */
typedef struct {
  char               *id;
  CdSyncResultStatus  status;
  GPtrArray          *records;  /* applied: CdRecord */
  JsonNode           *current_node; /* refusals: the row now, or NULL */
  char               *code;
  char               *message;
} CdSyncResult;

void cd_sync_result_free (CdSyncResult *result);

typedef struct {
  guint applied;
  guint conflicts;
  guint rejected;
} CdSyncPushStats;

/* One transaction: every row (upsert or tombstone) and the revision to
 * pull from next.
 * A resync re-reads the whole feed from revision 0 after a 410: its first
 * page comes with @begin_resync, which marks every row the cache has
 * (they stay visible meanwhile); each row a page brings is unmarked; the
 * page that ends the feed (@end_of_feed) deletes what is still marked,
 * gone from the server. The marks are on disk: a pass cut short goes on
 * at the next pull. */
gboolean   _cd_sync_cache_apply_rows    (CdSyncCache      *self,
                                         GPtrArray        *rows,
                                         gint64            next_since,
                                         gboolean          begin_resync,
                                         gboolean          end_of_feed,
                                         GError          **error);
gboolean   _cd_sync_cache_is_resyncing  (CdSyncCache      *self);
/* One transaction: crews' latest positions from the server
 * (element-type CdTrailPoint); older than what the cache has, or of
 * crews it does not know, are skipped. */
gboolean   _cd_sync_cache_apply_positions (CdSyncCache    *self,
                                           GPtrArray      *positions,
                                           GError        **error);
/* The next waiting entries after @after_seq (at most @max_count, about
 * @max_bytes of JSON), marked sent in one transaction.
 * (element-type CdOutboxEntry) */
GPtrArray *_cd_sync_cache_begin_push    (CdSyncCache      *self,
                                         gint64            after_seq,
                                         guint             max_count,
                                         gsize             max_bytes,
                                         GError          **error);
/* One transaction: the rows of applied results, the outbox states, the
 * conflicts. */
gboolean   _cd_sync_cache_apply_results (CdSyncCache      *self,
                                         GPtrArray        *results,
                                         CdSyncPushStats  *stats,
                                         GError          **error);

/* Positions from the event stream are kept in memory until written, in
 * one transaction, by this (in a worker thread). */
gboolean   _cd_sync_cache_write_positions       (CdSyncCache  *self,
                                                 GError      **error);
gboolean   _cd_sync_cache_has_unwritten_positions (CdSyncCache *self);

G_END_DECLS
