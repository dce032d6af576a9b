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

/* Results ----------------------------------------------------------------- */

static JsonNode *
rejected_json (const char   *mutation_id,
               const GError *error,
               CdRecord     *current)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
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

  return json_builder_get_root (b);
}

static JsonNode *
applied_json (const char *mutation_id,
              gint64      rev,
              GPtrArray  *records,
              const char *warning)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "id");
  json_builder_add_string_value (b, mutation_id);
  json_builder_set_member_name (b, "status");
  json_builder_add_string_value (b, "applied");
  json_builder_set_member_name (b, "rev");
  json_builder_add_int_value (b, rev);
  json_builder_set_member_name (b, "records");
  json_builder_begin_array (b);
  for (guint i = 0; records && i < records->len; i++)
    {
      CdRecord *r = g_ptr_array_index (records, i);

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "kind");
      json_builder_add_string_value (b, cd_record_get_kind (r));
      json_builder_set_member_name (b, "record");
      json_builder_add_value (b, cd_record_to_json (r));
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_set_member_name (b, "warning");
  if (warning)
    json_builder_add_string_value (b, warning);
  else
    json_builder_add_null_value (b);
  json_builder_end_object (b);

  return json_builder_get_root (b);
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
 * Returns the result to send, or NULL with @error set when the machinery
 * failed (the caller then rolls the whole batch back). *@rev is raised to
 * the revision used. */
JsonNode *
cd_server_apply_mutation (CdServer    *self,
                          CdStore     *store,
                          CdUser      *actor,
                          CdMutation  *m,
                          gint64      *rev,
                          GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autofree char *logged = NULL;
  g_autofree char *logged_user = NULL;
  g_autoptr(JsonNode) result = NULL;
  g_auto(CdMutationResult) outcome;
  CdMutationContext ctx;
  gint64 new_rev = 0;

  cd_mutation_result_init (&outcome);

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
          return rejected_json (m->id, local_error, NULL);
        }
      return json_from_string (logged, NULL);
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
      result = rejected_json (m->id, local_error, outcome.current);
    }
  else
    {
      if (outcome.records->len > 0)
        {
          new_rev = cd_store_next_rev (store, error);
          if (new_rev <= 0)
            goto fail;
          for (guint i = 0; i < outcome.records->len; i++)
            {
              CdRecord *r = g_ptr_array_index (outcome.records, i);

              r->rev = new_rev;
              if (!cd_store_save (store, r, error))
                goto fail;
            }
        }

      if (outcome.password != NULL && outcome.records->len > 0)
        {
          g_autofree char *hash = cd_auth_hash_password (outcome.password, error);
          CdRecord *user = g_ptr_array_index (outcome.records, 0);

          if (hash == NULL || !cd_store_set_password (store, user->id, hash, error))
            goto fail;
        }

      if (!cd_store_commit (store, error))
        goto fail;

      g_atomic_int_inc (&self->metrics.mutations);
      *rev = MAX (*rev, new_rev);
      result = applied_json (m->id, new_rev, outcome.records, outcome.warning);
    }

  {
    g_autofree char *text = cd_json_to_string (result, NULL);

    if (!cd_store_add_mutation (store, m->id, CD_RECORD (actor)->id, text, cd_server_now (self), error))
      return NULL;
  }

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

static void
node_unref0 (gpointer node)
{
  if (node != NULL)
    json_node_unref (node);
}

/* Parses a mutation outside the writer's lock; what does not parse is
 * answered with its rejection, in its place in the batch. */
static CdMutation *
parse_one (JsonNode  *node,
           JsonNode **refused)
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
  *refused = rejected_json (id, error, NULL);
  return NULL;
}

/* Group commit -------------------------------------------------------------
 *
 * Every request's batch waits in a queue; whichever request finds no
 * leader becomes it, takes every batch queued, applies them all in one
 * transaction (each mutation in its savepoint) and commits once: one disk
 * sync for as many requests as arrived during the previous one. Results
 * are the same as one request at a time, in queue order. */

typedef struct
{
  CdUser    *actor;
  GPtrArray *parsed;    /* CdMutation, or NULL where it did not parse */
  GPtrArray *refused;   /* JsonNode: the rejection of what did not parse */
  GPtrArray *results;   /* JsonNode, one per mutation */
  gint64     rev;
  GError    *error;
  gboolean   done;
} Batch;

static gboolean
apply_batches (CdServer  *self,
               CdStore   *store,
               Batch    **batches,
               guint      n_batches,
               GError   **error)
{
  if (!cd_store_begin (store, error))
    return FALSE;

  for (guint b = 0; b < n_batches; b++)
    {
      Batch *batch = batches[b];

      g_ptr_array_set_size (batch->results, 0);
      batch->rev = 0;
      for (guint i = 0; i < batch->parsed->len; i++)
        {
          CdMutation *m = g_ptr_array_index (batch->parsed, i);
          JsonNode *result = m ? cd_server_apply_mutation (self, store, batch->actor, m, &batch->rev, error)
                               : json_node_ref (g_ptr_array_index (batch->refused, i));

          if (result == NULL)
            {
              cd_store_rollback (store);
              return FALSE;
            }
          g_ptr_array_add (batch->results, result);
        }
    }

  return cd_store_commit (store, error);
}

static void
commit_group (CdServer  *self,
              GPtrArray *group)
{
  g_autoptr(GError) error = NULL;
  CdStore *store = cd_server_lock_writer (self);

  if (!apply_batches (self, store, (Batch **) group->pdata, group->len, &error))
    {
      /* The machinery failed (disk full, busy): try each request alone, so
       * one that cannot be stored does not take the others with it. */
      for (guint b = 0; b < group->len; b++)
        {
          Batch *batch = g_ptr_array_index (group, b);

          if (group->len == 1)
            batch->error = g_steal_pointer (&error);
          else
            apply_batches (self, store, &batch, 1, &batch->error);
        }
    }
  cd_server_unlock_writer (self);
}

static void
run_batch (CdServer *self,
           Batch    *batch)
{
  g_mutex_lock (&self->group_lock);
  g_queue_push_tail (&self->group_queue, batch);
  while (!batch->done)
    {
      if (self->group_leader)
        {
          g_cond_wait (&self->group_cond, &self->group_lock);
          continue;
        }

      {
        g_autoptr(GPtrArray) group = g_ptr_array_new ();

        self->group_leader = TRUE;
        while (!g_queue_is_empty (&self->group_queue))
          g_ptr_array_add (group, g_queue_pop_head (&self->group_queue));
        g_mutex_unlock (&self->group_lock);

        commit_group (self, group);

        g_mutex_lock (&self->group_lock);
        for (guint b = 0; b < group->len; b++)
          ((Batch *) g_ptr_array_index (group, b))->done = TRUE;
        self->group_leader = FALSE;
        g_cond_broadcast (&self->group_cond);
      }
    }
  g_mutex_unlock (&self->group_lock);
}

void
cd_server_handle_mutations (CdServer  *self,
                            CdRequest *req)
{
  static const char * const known[] = { "mutations", NULL };
  g_autoptr(JsonNode) body = cd_request_parse_body (req);
  g_autoptr(JsonBuilder) b = NULL;
  g_autoptr(JsonNode) reply = NULL;
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GPtrArray) parsed = NULL;
  g_autoptr(GPtrArray) refused = NULL;
  Batch batch = { 0 };
  JsonNode *list;
  guint n;

  if (body == NULL)
    return;
  if (!cd_request_reject_unknown (req, json_node_get_object (body), known))
    return;

  list = json_object_get_member (json_node_get_object (body), "mutations");
  if (list == NULL || !JSON_NODE_HOLDS_ARRAY (list))
    {
      cd_request_reply_error (req, 400, list ? "wrong-type" : "missing-field",
                              _("Field “mutations” must be an array of mutations."));
      return;
    }
  n = json_array_get_length (json_node_get_array (list));
  if (n > MAX_MUTATIONS_PER_REQUEST)
    {
      g_autofree char *message = g_strdup_printf (_("Send at most %d mutations in one request."),
                                                  MAX_MUTATIONS_PER_REQUEST);
      cd_request_reply_error (req, 413, "too-many", message);
      return;
    }

  results = g_ptr_array_new_with_free_func ((GDestroyNotify) json_node_unref);
  parsed = g_ptr_array_new_with_free_func (mutation_unref0);
  refused = g_ptr_array_new_with_free_func (node_unref0);
  for (guint i = 0; i < n; i++)
    {
      JsonNode *rejection = NULL;

      g_ptr_array_add (parsed, parse_one (json_array_get_element (json_node_get_array (list), i), &rejection));
      g_ptr_array_add (refused, rejection);
    }
  batch.actor = req->user;
  batch.parsed = parsed;
  batch.refused = refused;
  batch.results = results;
  run_batch (self, &batch);

  if (batch.error != NULL)
    {
      /* Nothing of the request was kept: the client retries it whole. */
      cd_request_reply_gerror (req, batch.error);
      g_error_free (batch.error);
      return;
    }

  if (batch.rev > 0)
    cd_server_changed (self, batch.rev);

  b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "results");
  json_builder_begin_array (b);
  for (guint i = 0; i < results->len; i++)
    json_builder_add_value (b, json_node_ref (g_ptr_array_index (results, i)));
  json_builder_end_array (b);
  json_builder_set_member_name (b, "last_rev");
  json_builder_add_int_value (b, batch.rev);
  json_builder_end_object (b);
  reply = json_builder_get_root (b);
  cd_request_reply_json (req, 200, reply);
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
  g_autoptr(JsonNode) created = NULL;
  g_autoptr(JsonNode) assigned = NULL;
  g_autoptr(JsonBuilder) b = NULL;
  g_autoptr(JsonNode) reply = NULL;
  g_autofree char *mutation_id = NULL;
  g_autofree char *ticket_id = NULL;
  g_autofree char *repeated = NULL;
  g_autofree char *logged = NULL;
  const char *key = cd_http_request_header (req->http, "Idempotency-Key");
  JsonObject *args;
  JsonNode *ticket_node;
  gint64 rev = 0;
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

  store = cd_server_lock_writer (self);
  if (!cd_store_begin (store, &error))
    goto out;

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
      created = cd_server_apply_mutation (self, store, req->user, m, &rev, &error);
    }

  if (created != NULL && logged == NULL && repeated == NULL &&
      g_strcmp0 (json_object_get_string_member (json_node_get_object (created), "status"), "applied") == 0)
    {
      g_autoptr(CdTicket) ticket = cd_store_load (store, CD_TYPE_TICKET, ticket_id, &error);

      if (ticket != NULL)
        assigned = cd_server_auto_dispatch (self, store, ticket, mutation_id, &rev, &error);
    }
  else if (logged != NULL && error == NULL)
    {
      /* A retry: report the assignment the first attempt made, if any. */
      g_autofree char *auto_id = cd_mutation_derive_id (mutation_id, "auto-dispatch");
      g_autofree char *auto_logged = cd_store_find_mutation (store, auto_id, NULL, &error);

      if (auto_logged != NULL)
        assigned = json_from_string (auto_logged, NULL);
    }

  if (error == NULL)
    cd_store_commit (store, &error);
  else
    cd_store_rollback (store);

out:
  cd_server_unlock_writer (self);
  if (error != NULL)
    {
      cd_request_reply_gerror (req, error);
      return;
    }
  if (rev > 0)
    cd_server_changed (self, rev);

  if (g_strcmp0 (json_object_get_string_member (json_node_get_object (created), "status"), "applied") != 0)
    {
      JsonObject *e = json_object_get_object_member (json_node_get_object (created), "error");
      const char *code = json_object_get_string_member (e, "code");

      cd_request_reply_error (req, g_strcmp0 (code, "forbidden") == 0 ? 403 :
                                   g_strcmp0 (code, "conflict") == 0 ? 409 : 400,
                              code, json_object_get_string_member (e, "message"));
      return;
    }

  ticket_node = assigned && result_ticket (assigned) ? result_ticket (assigned) : result_ticket (created);
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
