/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-server-sync.c: mutations (exactly once), intake with duplicate
 * detection and auto-dispatch.
 *
 * Every mutation runs inside the writer's transaction, in a savepoint of
 * its own: one that fails leaves the others of its batch standing. Its
 * result, success or domain failure, is logged under its UUID in the same
 * transaction, so a retry replays the result instead of applying twice.
 * The batch commits (synchronous=FULL) before the reply leaves.
 */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "cd-city.h"
#include "cd-match.h"
#include "cd-mutation.h"
#include "cd-server-private.h"

#define MAX_MUTATIONS_PER_REQUEST 1000

/* The world a mutation reads: the writer store, inside its transaction. */

static gpointer
world_load (gpointer     world,
            GType        type,
            const char  *id,
            GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  gpointer record = cd_store_load (world, type, id, &local_error);

  if (record == NULL && !g_error_matches (local_error, CD_STORE_ERROR, CD_STORE_ERROR_NOT_FOUND))
    g_propagate_error (error, g_steal_pointer (&local_error));

  return record;
}

static GPtrArray *
world_list_crews (gpointer   world,
                  GError   **error)
{
  return cd_store_list_crews (world, CD_STORE_ANY, error);
}

static guint
world_crew_load (gpointer    world,
                 const char *crew_id)
{
  g_autoptr(GPtrArray) tickets = cd_store_list_open_tickets (world, CD_STORE_ANY, NULL, crew_id, NULL);

  return tickets ? tickets->len : 0;
}

static gpointer
world_find_user (gpointer     world,
                 const char  *username,
                 GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  gpointer user = cd_store_find_user (world, username, &local_error);

  if (user == NULL && !g_error_matches (local_error, CD_STORE_ERROR, CD_STORE_ERROR_NOT_FOUND))
    g_propagate_error (error, g_steal_pointer (&local_error));

  return user;
}

const CdMutationWorldVTable cd_server_store_world = {
  world_load,
  world_list_crews,
  world_crew_load,
  world_find_user,
};

/* Results -----------------------------------------------------------------
 *
 * A result travels as JSON text. An applied one embeds each record's text
 * exactly as it was stored, so the record is encoded once per mutation;
 * the mutation log keeps the same result with references to the rows
 * instead of their text ("refs": [[kind, id], …]), so a record is stored
 * once, in its table. A replay puts the rows' text back in. */

static void
append_json_string (GString    *out,
                    const char *s)
{
  if (s == NULL)
    {
      g_string_append (out, "null");
      return;
    }

  g_string_append_c (out, '"');
  for (const guchar *p = (const guchar *) s; *p != '\0'; p++)
    {
      switch (*p)
        {
        case '"':
          g_string_append (out, "\\\"");
          break;
        case '\\':
          g_string_append (out, "\\\\");
          break;
        case '\n':
          g_string_append (out, "\\n");
          break;
        case '\r':
          g_string_append (out, "\\r");
          break;
        case '\t':
          g_string_append (out, "\\t");
          break;
        default:
          if (*p < 0x20)
            g_string_append_printf (out, "\\u%04x", *p);
          else
            g_string_append_c (out, (char) *p);
          break;
        }
    }
  g_string_append_c (out, '"');
}

static char *
rejected_text (const char   *mutation_id,
               const GError *error,
               CdRecord     *current)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) node = NULL;
  const char *code;

  if (error->domain == CD_MUTATION_ERROR)
    code = cd_mutation_error_code_to_string (error->code);
  else if (error->domain == CD_CODEC_ERROR)
    code = "invalid";
  else
    code = "failed";

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "id");
  if (mutation_id)
    json_builder_add_string_value (b, mutation_id);
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "status");
  json_builder_add_string_value (b, g_error_matches (error, CD_MUTATION_ERROR, CD_MUTATION_ERROR_CONFLICT)
                                      ? "conflict" : "rejected");
  json_builder_set_member_name (b, "error");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "code");
  json_builder_add_string_value (b, code);
  json_builder_set_member_name (b, "message");
  json_builder_add_string_value (b, error->message);
  json_builder_end_object (b);
  json_builder_set_member_name (b, "current");
  if (current)
    json_builder_add_value (b, cd_record_to_json (current));
  else
    json_builder_add_null_value (b);
  json_builder_end_object (b);
  node = json_builder_get_root (b);

  return cd_json_to_string (node, NULL);
}

/* The result of an applied mutation; with @texts NULL, its form for the
 * log (references instead of records). */
static char *
applied_text (const char  *mutation_id,
              gint64       rev,
              GPtrArray   *records,
              GPtrArray   *texts,
              const char  *warning)
{
  GString *out = g_string_sized_new (texts ? 1536 : 256);

  g_string_append (out, "{\"id\":");
  append_json_string (out, mutation_id);
  g_string_append_printf (out, ",\"status\":\"applied\",\"rev\":%" G_GINT64_FORMAT ",\"%s\":[",
                          rev, texts ? "records" : "refs");
  for (guint i = 0; records != NULL && i < records->len; i++)
    {
      CdRecord *r = g_ptr_array_index (records, i);

      if (i > 0)
        g_string_append_c (out, ',');
      if (texts != NULL)
        {
          g_string_append (out, "{\"kind\":");
          append_json_string (out, cd_record_get_kind (r));
          g_string_append (out, ",\"record\":");
          g_string_append (out, g_ptr_array_index (texts, i));
          g_string_append_c (out, '}');
        }
      else
        {
          g_string_append_c (out, '[');
          append_json_string (out, cd_record_get_kind (r));
          g_string_append_c (out, ',');
          append_json_string (out, r->id);
          g_string_append_c (out, ']');
        }
    }
  g_string_append (out, "],\"warning\":");
  append_json_string (out, warning);
  g_string_append_c (out, '}');

  return g_string_free (out, FALSE);
}

static gboolean
text_is_applied (JsonObject *o)
{
  JsonNode *status = json_object_get_member (o, "status");

  return status != NULL && JSON_NODE_HOLDS_VALUE (status) &&
         g_strcmp0 (json_node_get_string (status), "applied") == 0;
}

/* A logged result as it is sent: references replaced by the rows as they
 * are now (a row changed since is sent as it is now, which is what the
 * client would pull next anyway; one gone since is left out). Results
 * logged whole (refusals, and those logged before references) are sent
 * as they were. */
static char *
expand_logged (CdStore     *store,
               const char  *logged,
               gboolean    *applied,
               GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(JsonNode) node = cd_json_parse (logged, -1, CD_JSON_MAX_BYTES, CD_JSON_MAX_DEPTH, &local_error);
  g_autoptr(GString) out = NULL;
  JsonObject *o;
  JsonNode *refs;
  JsonNode *rev, *warning;
  guint n = 0;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error (error, CD_STORE_ERROR, CD_STORE_ERROR_CORRUPT,
                   _("A logged mutation result cannot be read (%s). Restore the database from a backup."),
                   local_error ? local_error->message : _("not an object"));
      return NULL;
    }

  o = json_node_get_object (node);
  if (applied != NULL)
    *applied = text_is_applied (o);
  refs = json_object_get_member (o, "refs");
  if (refs == NULL || !JSON_NODE_HOLDS_ARRAY (refs))
    return g_strdup (logged);

  rev = json_object_get_member (o, "rev");
  warning = json_object_get_member (o, "warning");
  out = g_string_sized_new (1536);
  g_string_append (out, "{\"id\":");
  append_json_string (out, json_object_get_string_member_with_default (o, "id", NULL));
  g_string_append_printf (out, ",\"status\":\"applied\",\"rev\":%" G_GINT64_FORMAT ",\"records\":[",
                          rev && JSON_NODE_HOLDS_VALUE (rev) ? json_node_get_int (rev) : 0);
  for (guint i = 0; i < json_array_get_length (json_node_get_array (refs)); i++)
    {
      JsonNode *ref = json_array_get_element (json_node_get_array (refs), i);
      JsonArray *pair = JSON_NODE_HOLDS_ARRAY (ref) ? json_node_get_array (ref) : NULL;
      g_autofree char *text = NULL;
      const char *kind, *id;

      if (pair == NULL || json_array_get_length (pair) != 2)
        continue;
      kind = json_array_get_string_element (pair, 0);
      id = json_array_get_string_element (pair, 1);
      if (kind == NULL || id == NULL)
        continue;

      text = cd_store_load_json (store, kind, id, &local_error);
      if (text == NULL)
        {
          if (!g_error_matches (local_error, CD_STORE_ERROR, CD_STORE_ERROR_NOT_FOUND))
            {
              g_propagate_error (error, g_steal_pointer (&local_error));
              return NULL;
            }
          g_clear_error (&local_error);
          continue;
        }

      g_string_append (out, n++ ? ",{\"kind\":" : "{\"kind\":");
      append_json_string (out, kind);
      g_string_append (out, ",\"record\":");
      g_string_append (out, text);
      g_string_append_c (out, '}');
    }
  g_string_append (out, "],\"warning\":");
  append_json_string (out, warning && JSON_NODE_HOLDS_VALUE (warning) ? json_node_get_string (warning) : NULL);
  g_string_append_c (out, '}');

  return g_string_free (g_steal_pointer (&out), FALSE);
}

/* Saves a record a mutation returned; *@text is what was stored. */
static gboolean
save_record (CdStore   *store,
             CdRecord  *record,
             char     **text,
             GError   **error)
{
  gsize length = 0;

  /* A crew's position goes beside its row: cd_store_save() splits it. */
  if (CD_IS_CREW (record))
    {
      if (!cd_store_save (store, record, error))
        return FALSE;
      *text = cd_store_load_json (store, cd_record_get_kind (record), record->id, error);
      return *text != NULL;
    }

  *text = cd_record_to_json_string (record, &length);
  return cd_store_save_with_json (store, record, *text, length, error);
}

/* Domain failures are part of a mutation's outcome and are replayed; a
 * failure of the machinery (disk full, busy) is not, so a retry can
 * succeed. */
static gboolean
is_domain_error (const GError *error)
{
  return error->domain == CD_MUTATION_ERROR || error->domain == CD_CODEC_ERROR;
}

/* Applies a parsed mutation inside the open transaction, exactly once.
 * Returns the result's JSON text, or NULL with @error set when the
 * machinery failed (the caller then rolls the whole batch back). *@rev is
 * raised to the revision used; *@applied says whether it applied. */
char *
cd_server_apply_mutation (CdServer    *self,
                          CdStore     *store,
                          CdUser      *actor,
                          CdMutation  *m,
                          gint64      *rev,
                          gboolean    *applied,
                          GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autofree char *logged = NULL;
  g_autofree char *logged_user = NULL;
  g_autofree char *result = NULL;
  g_autofree char *log_text = NULL;
  g_autoptr(GPtrArray) texts = NULL;
  g_auto(CdMutationResult) outcome;
  CdMutationContext ctx;
  gint64 new_rev = 0;

  cd_mutation_result_init (&outcome);
  if (applied != NULL)
    *applied = FALSE;

  /* Seen before: replay the stored result. */
  logged = cd_store_find_mutation (store, m->id, &logged_user, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  if (logged != NULL)
    {
      if (g_strcmp0 (logged_user, CD_RECORD (actor)->id) != 0)
        {
          g_set_error (&local_error, CD_MUTATION_ERROR, CD_MUTATION_ERROR_CONFLICT,
                       _("Another user already sent a change with this id. Send it again with a new id."));
          return rejected_text (m->id, local_error, NULL);
        }
      return expand_logged (store, logged, applied, error);
    }

  if (!cd_store_begin (store, error))
    return NULL;

  cd_mutation_context_init (&ctx, actor, cd_server_now (self), self->policies);
  if (!cd_mutation_apply (m, &ctx, &cd_server_store_world, store, &outcome, &local_error))
    {
      cd_store_rollback (store);
      if (!is_domain_error (local_error))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return NULL;
        }
      if (g_error_matches (local_error, CD_MUTATION_ERROR, CD_MUTATION_ERROR_CONFLICT))
        g_atomic_int_inc (&self->metrics.conflicts);
      result = rejected_text (m->id, local_error, outcome.current);
      log_text = g_strdup (result);
    }
  else
    {
      texts = g_ptr_array_new_with_free_func (g_free);
      if (outcome.records->len > 0)
        {
          new_rev = cd_store_next_rev (store, error);
          if (new_rev <= 0)
            goto fail;
          for (guint i = 0; i < outcome.records->len; i++)
            {
              CdRecord *r = g_ptr_array_index (outcome.records, i);
              char *text = NULL;

              r->rev = new_rev;
              if (!save_record (store, r, &text, error))
                {
                  g_free (text);
                  goto fail;
                }
              g_ptr_array_add (texts, text);
            }
        }

      /* The password's user: the one created, or the target of
       * user.set_password (which changes no record). A new password ends
       * the user's sessions. */
      if (outcome.password != NULL)
        {
          g_autofree char *hash = cd_auth_hash_password (outcome.password, error);
          const char *user_id = outcome.records->len > 0 ? ((CdRecord *) g_ptr_array_index (outcome.records, 0))->id
                                                         : m->target;

          if (hash == NULL || !cd_store_set_password (store, user_id, hash, error) ||
              !cd_store_remove_user_sessions (store, user_id, error))
            goto fail;
          cd_server_user_changed (self, user_id);
        }

      /* So does disabling the account; any change of a user is read again
       * by the next request. */
      for (guint i = 0; i < outcome.records->len; i++)
        {
          CdRecord *r = g_ptr_array_index (outcome.records, i);

          if (!CD_IS_USER (r))
            continue;
          if (!CD_USER (r)->active && !cd_store_remove_user_sessions (store, r->id, error))
            goto fail;
          cd_server_user_changed (self, r->id);
        }

      if (!cd_store_commit (store, error))
        goto fail;

      g_atomic_int_inc (&self->metrics.mutations);
      *rev = MAX (*rev, new_rev);
      if (applied != NULL)
        *applied = TRUE;
      result = applied_text (m->id, new_rev, outcome.records, texts, outcome.warning);
      log_text = applied_text (m->id, new_rev, outcome.records, NULL, outcome.warning);
    }

  if (!cd_store_add_mutation (store, m->id, CD_RECORD (actor)->id, log_text, cd_server_now (self), error))
    return NULL;

  return g_steal_pointer (&result);

fail:
  cd_store_rollback (store);
  return NULL;
}

static void
mutation_unref0 (gpointer m)
{
  if (m != NULL)
    cd_mutation_unref (m);
}

/* Parses a mutation outside the writer's lock; what does not parse is
 * answered with its rejection, in its place in the batch. */
static CdMutation *
parse_one (JsonNode  *node,
           char     **refused)
{
  g_autoptr(GError) error = NULL;
  CdMutation *m = cd_mutation_new_from_json (node, &error);
  const char *id = NULL;

  if (m != NULL)
    return m;

  if (JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonNode *id_node = json_object_get_member (json_node_get_object (node), "id");

      if (id_node && JSON_NODE_HOLDS_VALUE (id_node) && json_node_get_value_type (id_node) == G_TYPE_STRING)
        id = json_node_get_string (id_node);
    }
  *refused = rejected_text (id, error, NULL);
  return NULL;
}

/* Group commit -------------------------------------------------------------
 *
 * Every request's batch waits in a queue. Whichever request finds no
 * leader becomes it: it opens one transaction and applies every batch
 * queued, each mutation in its savepoint. While the group before it is
 * still being synced it keeps taking the batches that arrive, so the
 * work of applying overlaps the disk sync; once that sync is done it
 * commits without syncing, hands leadership on, and syncs (one fdatasync
 * for everything written by then, cd_server_sync()). Only then are the
 * requests answered: nothing is acknowledged before it is on disk. Results
 * are the same as one request at a time, in queue order. */

#define MAX_GROUP_BATCHES 256

/* How long a leader with nothing to wait for may wait for requests whose
 * bodies are being parsed: each would otherwise cost a commit and a sync
 * of its own when the processors are busy. */
#define ARRIVAL_WAIT_US 1000

typedef struct
{
  CdUser    *actor;
  GPtrArray *parsed;    /* CdMutation, or NULL where it did not parse */
  GPtrArray *refused;   /* char *: the rejection of what did not parse */
  GPtrArray *results;   /* char *: the result text, one per mutation */
  gint64     rev;
  GError    *error;
  GCond      cond;      /* signalled when it is done or may lead */
  gboolean   taken;     /* a leader has taken it from the queue */
  gboolean   done;      /* committed and synced, or failed */
} Batch;

/* Applies @batch inside the open transaction. */
static gboolean
apply_batch (CdServer  *self,
             CdStore   *store,
             Batch     *batch,
             GError   **error)
{
  g_ptr_array_set_size (batch->results, 0);
  batch->rev = 0;
  for (guint i = 0; i < batch->parsed->len; i++)
    {
      CdMutation *m = g_ptr_array_index (batch->parsed, i);
      char *result = m ? cd_server_apply_mutation (self, store, batch->actor, m, &batch->rev, NULL, error)
                       : g_strdup (g_ptr_array_index (batch->refused, i));

      if (result == NULL)
        return FALSE;
      g_ptr_array_add (batch->results, result);
    }

  return TRUE;
}

/* Takes every queued batch into @group; with group_lock held. */
static guint
take_queue (CdServer  *self,
            GPtrArray *group)
{
  guint first = group->len;

  while (!g_queue_is_empty (&self->group_queue))
    {
      Batch *queued = g_queue_pop_head (&self->group_queue);

      queued->taken = TRUE;
      g_ptr_array_add (group, queued);
    }

  return first;
}

/* Runs one group as its leader; called and returns with group_lock held. */
static void
lead_group (CdServer *self)
{
  g_autoptr(GPtrArray) group = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) sync_error = NULL;
  gboolean deferred, ok;
  gint64 arrivals_until;
  guint64 written;
  CdStore *store;
  Batch *head;

  self->group_leader = TRUE;
  take_queue (self, group);
  g_mutex_unlock (&self->group_lock);

  store = cd_server_lock_writer (self);
  arrivals_until = g_get_monotonic_time () + ARRIVAL_WAIT_US;
  deferred = cd_store_set_deferred_sync (store, TRUE, &error);
  ok = deferred && cd_store_begin (store, &error);

  g_mutex_lock (&self->group_lock);
  for (guint first = 0; ok; first = take_queue (self, group))
    {
      g_mutex_unlock (&self->group_lock);
      for (guint b = first; ok && b < group->len; b++)
        ok = apply_batch (self, store, g_ptr_array_index (group, b), &error);
      g_mutex_lock (&self->group_lock);

      /* Take what arrived meanwhile, until the group before is synced,
       * and what requests being read already will bring, for a moment. */
      while (ok && g_queue_is_empty (&self->group_queue))
        {
          if (self->unsynced_groups > 0)
            g_cond_wait (&self->leader_cond, &self->group_lock);
          else if (g_atomic_int_get (&self->mutations_arriving) > 0 &&
                   g_get_monotonic_time () < arrivals_until)
            g_cond_wait_until (&self->leader_cond, &self->group_lock, arrivals_until);
          else
            break;
        }
      if (!ok || g_queue_is_empty (&self->group_queue) || group->len >= MAX_GROUP_BATCHES)
        break;
    }
  /* The next group commits after this one is synced. */
  self->unsynced_groups++;
  g_mutex_unlock (&self->group_lock);

  if (ok)
    ok = cd_store_commit (store, &error);
  else if (cd_store_get_depth (store) > 0)
    cd_store_rollback (store);

  if (!ok && deferred)
    {
      /* The machinery failed (disk full, busy): try each request alone, so
       * one that cannot be stored does not take the others with it. */
      for (guint b = 0; b < group->len; b++)
        {
          Batch *batch = g_ptr_array_index (group, b);

          if (group->len == 1)
            batch->error = g_error_copy (error);
          else if (!cd_store_begin (store, &batch->error))
            continue;
          else if (apply_batch (self, store, batch, &batch->error))
            cd_store_commit (store, &batch->error);
          else
            cd_store_rollback (store);
        }
    }
  else if (!ok)
    {
      for (guint b = 0; b < group->len; b++)
        ((Batch *) g_ptr_array_index (group, b))->error = g_error_copy (error);
    }

  if (deferred)
    {
      g_clear_error (&error);
      if (!cd_store_set_deferred_sync (store, FALSE, &error))
        cd_server_log ("error", "synchronous-full", "message=\"%s\"", error->message);
    }
  written = cd_server_unlock_writer (self);

  /* The next group may be applied while this one is synced. */
  g_mutex_lock (&self->group_lock);
  self->group_leader = FALSE;
  head = g_queue_peek_head (&self->group_queue);
  if (head != NULL)
    g_cond_signal (&head->cond);
  g_mutex_unlock (&self->group_lock);

  cd_server_sync (self, written, &sync_error);

  g_mutex_lock (&self->group_lock);
  self->unsynced_groups--;
  g_cond_signal (&self->leader_cond);
  for (guint b = 0; b < group->len; b++)
    {
      Batch *done = g_ptr_array_index (group, b);

      if (sync_error != NULL && done->error == NULL)
        done->error = g_error_copy (sync_error);
      done->done = TRUE;
      g_cond_signal (&done->cond);
    }
}

static void
run_batch (CdServer *self,
           Batch    *batch)
{
  g_mutex_lock (&self->group_lock);
  g_queue_push_tail (&self->group_queue, batch);
  g_atomic_int_add (&self->mutations_arriving, -1);
  if (self->group_leader)
    g_cond_signal (&self->leader_cond);
  while (!batch->done)
    {
      if (!self->group_leader && !batch->taken)
        lead_group (self);
      else
        g_cond_wait (&batch->cond, &self->group_lock);
    }
  g_mutex_unlock (&self->group_lock);
}

/* Checkpoints ---------------------------------------------------------------
 *
 * SQLite's automatic checkpoint runs inside the commit that takes the WAL
 * past 1,000 frames: milliseconds of copying and two syncs with the
 * writer held. Here a thread of its own, on its own connection, copies
 * each new 1,000 frames while the writer goes on. A WAL that is being
 * written to never completes that way, so it would not start over: once
 * it passes WAL_RESTART_FRAMES, one checkpoint is made with the writer
 * held back, copying only what the last pass left. Should the thread fall
 * behind, commits checkpoint by themselves again past
 * CHECKPOINT_INLINE_LIMIT frames. */

#define CHECKPOINT_FRAMES       1000
#define WAL_RESTART_FRAMES      10000
#define CHECKPOINT_INLINE_LIMIT 40000
#define CHECKPOINT_MIN_GAP_US   (20 * 1000)

/* Inside a commit, on the writer's thread. */
static void
wal_grew_cb (gpointer data,
             guint    frames)
{
  CdServer *self = data;

  g_mutex_lock (&self->ckpt_lock);
  /* Fewer than before: the WAL started over. */
  if (frames < self->wal_frames)
    self->wal_checkpointed = 0;
  self->wal_frames = frames;
  if (frames >= self->wal_checkpointed + CHECKPOINT_FRAMES)
    g_cond_signal (&self->ckpt_cond);
  g_mutex_unlock (&self->ckpt_lock);
}

static gpointer
checkpointer_thread (gpointer data)
{
  CdServer *self = data;

  g_mutex_lock (&self->ckpt_lock);
  while (!self->ckpt_stopping)
    {
      g_autoptr(GError) error = NULL;
      gboolean complete = FALSE;
      gboolean restart;
      gboolean ok;

      if (self->wal_frames < self->wal_checkpointed + CHECKPOINT_FRAMES)
        {
          g_cond_wait (&self->ckpt_cond, &self->ckpt_lock);
          continue;
        }
      restart = self->wal_frames >= WAL_RESTART_FRAMES;
      self->wal_checkpointed = self->wal_frames;
      g_mutex_unlock (&self->ckpt_lock);

      ok = cd_store_checkpoint (self->ckpt_store, NULL, &error);
      if (ok && restart)
        {
          cd_server_lock_writer (self);
          ok = cd_store_checkpoint (self->ckpt_store, &complete, &error);
          cd_server_unlock_writer (self);
          if (ok && !complete)
            g_debug ("Checkpoint: a reader holds part of the WAL");
        }
      if (!ok)
        cd_server_log ("error", "checkpoint", "message=\"%s\"", error->message);

      /* Never more often than this, however fast the WAL grows. */
      g_usleep (CHECKPOINT_MIN_GAP_US);
      g_mutex_lock (&self->ckpt_lock);
    }
  g_mutex_unlock (&self->ckpt_lock);

  return NULL;
}

gboolean
cd_server_checkpointer_start (CdServer  *self,
                              GError   **error)
{
  self->ckpt_store = cd_store_open (self->config.db_path, error);
  if (self->ckpt_store == NULL)
    return FALSE;

  self->ckpt_stopping = FALSE;
  self->wal_frames = 0;
  self->wal_checkpointed = 0;
  cd_store_set_wal_watch (self->writer, CHECKPOINT_INLINE_LIMIT, wal_grew_cb, self);
  self->checkpointer = g_thread_new ("crewdesk-checkpoint", checkpointer_thread, self);
  return TRUE;
}

void
cd_server_checkpointer_stop (CdServer *self)
{
  if (self->checkpointer == NULL)
    return;

  g_mutex_lock (&self->ckpt_lock);
  self->ckpt_stopping = TRUE;
  g_cond_signal (&self->ckpt_cond);
  g_mutex_unlock (&self->ckpt_lock);
  g_thread_join (self->checkpointer);
  self->checkpointer = NULL;

  /* Commits checkpoint by themselves again. */
  cd_store_set_wal_watch (self->writer, CHECKPOINT_FRAMES, NULL, NULL);
  g_clear_object (&self->ckpt_store);
}

/* Reads a request's mutations; replies and returns FALSE when the request
 * as a whole is malformed. Each mutation that does not parse is answered
 * with its rejection, in its place. */
static gboolean
read_batch (CdRequest  *req,
            GPtrArray **parsed,
            GPtrArray **refused)
{
  static const char * const known[] = { "mutations", NULL };
  g_autoptr(JsonNode) body = cd_request_parse_body (req);
  JsonNode *list;
  guint n;

  if (body == NULL)
    return FALSE;
  if (!cd_request_reject_unknown (req, json_node_get_object (body), known))
    return FALSE;

  list = json_object_get_member (json_node_get_object (body), "mutations");
  if (list == NULL || !JSON_NODE_HOLDS_ARRAY (list))
    {
      cd_request_reply_error (req, 400, list ? "wrong-type" : "missing-field",
                              _("Field “mutations” must be an array of mutations."));
      return FALSE;
    }
  n = json_array_get_length (json_node_get_array (list));
  if (n > MAX_MUTATIONS_PER_REQUEST)
    {
      g_autofree char *message = g_strdup_printf (_("Send at most %d mutations in one request."),
                                                  MAX_MUTATIONS_PER_REQUEST);
      cd_request_reply_error (req, 413, "too-many", message);
      return FALSE;
    }

  *parsed = g_ptr_array_new_with_free_func (mutation_unref0);
  *refused = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < n; i++)
    {
      char *rejection = NULL;

      g_ptr_array_add (*parsed, parse_one (json_array_get_element (json_node_get_array (list), i), &rejection));
      g_ptr_array_add (*refused, rejection);
    }

  return TRUE;
}

void
cd_server_handle_mutations (CdServer  *self,
                            CdRequest *req)
{
  g_autoptr(GPtrArray) results = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) parsed = NULL;
  g_autoptr(GPtrArray) refused = NULL;
  GString *out;
  Batch batch = { 0 };
  gsize length;

  /* Counted from here until the batch is queued (run_batch()): a leader
   * may wait a moment for it. */
  g_atomic_int_inc (&self->mutations_arriving);
  if (!read_batch (req, &parsed, &refused))
    {
      g_atomic_int_add (&self->mutations_arriving, -1);
      return;
    }

  batch.actor = req->user;
  batch.parsed = parsed;
  batch.refused = refused;
  batch.results = results;
  g_cond_init (&batch.cond);
  run_batch (self, &batch);
  g_cond_clear (&batch.cond);

  if (batch.error != NULL)
    {
      /* Nothing of the request was acknowledged: the client retries it
       * whole, and what was kept replays. */
      cd_request_reply_gerror (req, batch.error);
      g_error_free (batch.error);
      return;
    }

  if (batch.rev > 0)
    cd_server_changed (self, batch.rev);

  /* The results are JSON text already: joined, not built again. */
  length = 64;
  for (guint i = 0; i < results->len; i++)
    length += strlen (g_ptr_array_index (results, i)) + 1;
  out = g_string_sized_new (length);
  g_string_append (out, "{\"results\":[");
  for (guint i = 0; i < results->len; i++)
    {
      if (i > 0)
        g_string_append_c (out, ',');
      g_string_append (out, g_ptr_array_index (results, i));
    }
  g_string_append_printf (out, "],\"last_rev\":%" G_GINT64_FORMAT "}", batch.rev);
  length = out->len;
  cd_http_response_set_json (req->response, 200, g_string_free (out, FALSE), length);
}

void
cd_server_changed (CdServer *self,
                   gint64    rev)
{
  if (self->events)
    cd_events_publish_rev (self->events, rev);
}

/* Intake ------------------------------------------------------------------- */

/* The last ticket record in a mutation result, if any. */
static JsonNode *
result_ticket (JsonNode *result)
{
  JsonObject *o = json_node_get_object (result);
  JsonArray *records;
  JsonNode *found = NULL;

  if (!json_object_has_member (o, "records"))
    return NULL;
  records = json_object_get_array_member (o, "records");
  for (guint i = 0; i < json_array_get_length (records); i++)
    {
      JsonObject *r = json_array_get_object_element (records, i);

      if (g_strcmp0 (json_object_get_string_member (r, "kind"), "ticket") == 0 && found == NULL)
        found = json_object_get_member (r, "record");
    }

  return found;
}

static const char *
string_member (JsonObject *o,
               const char *name)
{
  JsonNode *n = json_object_get_member (o, name);

  if (n && JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_STRING)
    return json_node_get_string (n);
  return NULL;
}

static gboolean
double_member (JsonObject *o,
               const char *name,
               double     *out)
{
  JsonNode *n = json_object_get_member (o, name);

  if (n && JSON_NODE_HOLDS_VALUE (n) &&
      (json_node_get_value_type (n) == G_TYPE_DOUBLE || json_node_get_value_type (n) == G_TYPE_INT64))
    {
      *out = json_node_get_double (n);
      return TRUE;
    }
  return FALSE;
}

static gint
enum_member (JsonObject *o,
             const char *name,
             GType       type,
             gint        fallback)
{
  const char *nick = string_member (o, name);
  g_autoptr(GEnumClass) klass = g_type_class_ref (type);
  GEnumValue *value = nick ? g_enum_get_value_by_nick (klass, nick) : NULL;

  return value ? value->value : fallback;
}

/* Fills in what a report leaves out and the server can tell: its service
 * area and area class from where it is (cd-areas.h), and the skills the
 * job needs from its category (cd_city_category_skills()). A member the
 * report has, even null, is left as it is; a malformed report is left to
 * ticket.create to refuse with a precise error. */
static void
derive_report (CdServer   *self,
               JsonObject *report)
{
  const char *area = string_member (report, "area");
  gint category = enum_member (report, "category", CD_TYPE_CATEGORY, -1);
  gint utility = enum_member (report, "utility", CD_TYPE_UTILITY, -1);
  CdAreaClass area_class;
  gboolean known_class = FALSE;
  double lat, lon;
  gboolean located = double_member (report, "lat", &lat) && double_member (report, "lon", &lon) &&
                     lat >= -90 && lat <= 90 && lon >= -180 && lon <= 180;

  if (self->areas != NULL)
    {
      if (!json_object_has_member (report, "area") && located)
        {
          const char *found = cd_areas_find (self->areas, lat, lon, &area_class);

          if (found != NULL)
            {
              json_object_set_string_member (report, "area", found);
              known_class = TRUE;
            }
        }
      else if (area != NULL)
        known_class = cd_areas_lookup (self->areas, area, &area_class);

      /* An area the server does not know: the class of where it is. */
      if (!known_class && located)
        known_class = cd_areas_find (self->areas, lat, lon, &area_class) != NULL;

      if (known_class && !json_object_has_member (report, "area_class"))
        json_object_set_string_member (report, "area_class", cd_enum_to_nick (CD_TYPE_AREA_CLASS, area_class));
    }

  if (!json_object_has_member (report, "skills") && category >= 0 && utility >= 0)
    {
      g_auto(GStrv) skills = cd_city_category_skills (category, utility,
                                                      enum_member (report, "urgency", CD_TYPE_URGENCY,
                                                                   CD_URGENCY_NORMAL));

      if (skills != NULL)
        {
          JsonArray *list = json_array_new ();

          for (guint i = 0; skills[i] != NULL; i++)
            json_array_add_string_element (list, skills[i]);
          json_object_set_array_member (report, "skills", list);
        }
    }
}

/* The open ticket a report repeats, if any, found inside the writer's
 * transaction so two reports of one fault racing in are still linked. */
static char *
find_repeated (CdServer    *self,
               CdStore     *store,
               JsonObject  *report,
               GError     **error)
{
  g_autoptr(GPtrArray) open = NULL;
  const char *category_nick = string_member (report, "category");
  const char *area = string_member (report, "area");
  const char *address = string_member (report, "address");
  GEnumClass *categories = g_type_class_peek (CD_TYPE_CATEGORY);
  GEnumValue *category = category_nick ? g_enum_get_value_by_nick (categories, category_nick) : NULL;
  double lat, lon;

  /* A malformed report is refused by ticket.create with a precise error. */
  if (category == NULL || !double_member (report, "lat", &lat) || !double_member (report, "lon", &lon))
    return NULL;

  open = cd_store_list_open_tickets (store, CD_STORE_ANY, area, NULL, error);
  if (open == NULL)
    return NULL;

  for (guint i = 0; i < open->len; i++)
    {
      CdTicket *t = g_ptr_array_index (open, i);

      if (cd_ticket_repeats (t, category->value, address, lat, lon, cd_server_now (self),
                             self->config.duplicate_radius_m, self->config.duplicate_window))
        return g_strdup (CD_RECORD (t)->id);
    }

  return NULL;
}

/* POST /api/v1/tickets: a report from a channel (hotline, web form, meter
 * alarm). An Idempotency-Key header (a UUID) makes a retry safe. */
void
cd_server_handle_intake (CdServer  *self,
                         CdRequest *req)
{
  g_autoptr(JsonNode) body = cd_request_parse_body (req);
  g_autoptr(GError) error = NULL;
  g_autoptr(CdMutation) m = NULL;
  g_autofree char *created_text = NULL;
  g_autofree char *assigned_text = NULL;
  g_autoptr(JsonNode) created = NULL;
  g_autoptr(JsonNode) assigned = NULL;
  g_autoptr(JsonBuilder) b = NULL;
  g_autoptr(JsonNode) reply = NULL;
  g_autofree char *mutation_id = NULL;
  g_autofree char *ticket_id = NULL;
  g_autofree char *repeated = NULL;
  g_autofree char *logged = NULL;
  const char *key = cd_http_request_header (req->http, "Idempotency-Key");
  gboolean applied = FALSE;
  JsonObject *args;
  JsonNode *ticket_node;
  gint64 rev = 0;
  guint64 written;
  CdStore *store;

  if (body == NULL)
    return;

  if (key != NULL && !g_uuid_string_is_valid (key))
    {
      cd_request_reply_error (req, 400, "bad-parameter", _("The Idempotency-Key header must be a UUID."));
      return;
    }
  mutation_id = key ? g_ascii_strdown (key, -1) : g_uuid_string_random ();
  ticket_id = cd_mutation_derive_id (mutation_id, "ticket");
  args = json_node_get_object (body);
  derive_report (self, args);

  /* Synced below, outside the lock, before the reply. */
  store = cd_server_lock_writer (self);
  if (!cd_store_set_deferred_sync (store, TRUE, &error))
    goto out;
  if (!cd_store_begin (store, &error))
    goto restore;

  logged = cd_store_find_mutation (store, mutation_id, NULL, &error);
  if (error == NULL && logged == NULL)
    {
      repeated = find_repeated (self, store, args, &error);
      if (repeated != NULL && !json_object_has_member (args, "duplicate_of"))
        json_object_set_string_member (args, "duplicate_of", repeated);
    }

  if (error == NULL)
    {
      m = cd_mutation_new (mutation_id, CD_MUTATION_OP_TICKET_CREATE, ticket_id, -1, args);
      created_text = cd_server_apply_mutation (self, store, req->user, m, &rev, &applied, &error);
    }

  if (created_text != NULL && logged == NULL && repeated == NULL && applied)
    {
      g_autoptr(CdTicket) ticket = cd_store_load (store, CD_TYPE_TICKET, ticket_id, &error);

      if (ticket != NULL)
        assigned_text = cd_server_auto_dispatch (self, store, ticket, mutation_id, &rev, &error);
    }
  else if (logged != NULL && error == NULL)
    {
      /* A retry: report the assignment the first attempt made, if any. */
      g_autofree char *auto_id = cd_mutation_derive_id (mutation_id, "auto-dispatch");
      g_autofree char *auto_logged = cd_store_find_mutation (store, auto_id, NULL, &error);

      if (auto_logged != NULL)
        assigned_text = expand_logged (store, auto_logged, NULL, &error);
    }

  if (error == NULL)
    cd_store_commit (store, &error);
  else
    cd_store_rollback (store);

restore:
  {
    g_autoptr(GError) restore_error = NULL;

    if (!cd_store_set_deferred_sync (store, FALSE, &restore_error))
      cd_server_log ("error", "synchronous-full", "message=\"%s\"", restore_error->message);
  }
out:
  written = cd_server_unlock_writer (self);
  if (error == NULL)
    cd_server_sync (self, written, &error);
  if (error != NULL)
    {
      cd_request_reply_gerror (req, error);
      return;
    }
  if (rev > 0)
    cd_server_changed (self, rev);

  created = json_from_string (created_text, NULL);
  assigned = assigned_text ? json_from_string (assigned_text, NULL) : NULL;
  if (created == NULL || !JSON_NODE_HOLDS_OBJECT (created) ||
      (assigned != NULL && !JSON_NODE_HOLDS_OBJECT (assigned)))
    {
      cd_request_reply_error (req, 500, "internal", _("The server failed to handle the request; it has been logged."));
      cd_server_log ("error", "internal", "message=\"an intake result is not a JSON object\"");
      return;
    }

  if (!text_is_applied (json_node_get_object (created)))
    {
      JsonObject *e = json_object_get_object_member (json_node_get_object (created), "error");
      const char *code = json_object_get_string_member (e, "code");

      cd_request_reply_error (req, g_strcmp0 (code, "forbidden") == 0 ? 403 :
                                   g_strcmp0 (code, "conflict") == 0 ? 409 : 400,
                              code, json_object_get_string_member (e, "message"));
      return;
    }

  ticket_node = assigned && result_ticket (assigned) ? result_ticket (assigned) : result_ticket (created);
  if (ticket_node == NULL)
    {
      cd_request_reply_error (req, 404, "not-found", _("The ticket of this report no longer exists."));
      return;
    }
  b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "ticket");
  json_builder_add_value (b, json_node_copy (ticket_node));
  json_builder_set_member_name (b, "duplicate_of");
  {
    JsonObject *t = json_node_get_object (ticket_node);
    const char *dup = json_object_get_null_member (t, "duplicate_of") ? NULL
                      : json_object_get_string_member (t, "duplicate_of");

    if (dup)
      json_builder_add_string_value (b, dup);
    else
      json_builder_add_null_value (b);
  }
  json_builder_set_member_name (b, "auto_dispatch");
  if (assigned)
    json_builder_add_value (b, json_node_ref (assigned));
  else
    json_builder_add_null_value (b);
  json_builder_end_object (b);
  reply = json_builder_get_root (b);
  cd_request_reply_json (req, logged ? 200 : 201, reply);
}
