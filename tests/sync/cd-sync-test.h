/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-sync-test.h: a sync client against the real server, driven
 * synchronously by iterating the main context. */
#pragma once

#include "cd-model.h"
#include "cd-store.h"
#include "cd-sync-cache.h"
#include "cd-sync-client.h"
#include "cd-sync-engine.h"
#include "cd-sync-private.h"
#include "cd-test-server.h"

#include <glib/gstdio.h>

typedef struct {
  char         *username;
  char         *path;
  CdSyncCache  *cache;
  CdSyncClient *client;
} SyncClient;

static inline void
wait_result (GAsyncResult **result)
{
  gint64 deadline = g_get_monotonic_time () + 120 * G_USEC_PER_SEC;

  while (*result == NULL)
    {
      g_main_context_iteration (NULL, TRUE);
      if (g_get_monotonic_time () > deadline)
        g_error ("an asynchronous call did not finish within 120 s");
    }
}

static inline void
store_result_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

/* Runs the main context until @check (@data) holds or @timeout_s pass. */
static inline gboolean
wait_for (gboolean (*check) (gpointer data),
          gpointer   data,
          guint      timeout_s)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_s * G_USEC_PER_SEC;

  while (!check (data))
    {
      if (g_get_monotonic_time () > deadline)
        return FALSE;
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }

  return TRUE;
}

static inline gboolean
sync_client_login (SyncClient  *c,
                   const char  *password,
                   GError     **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(CdUser) user = NULL;

  cd_sync_client_login_async (c->client, c->username, password, store_result_cb, &result);
  wait_result (&result);
  user = cd_sync_client_login_finish (c->client, result, error);
  if (user == NULL)
    return FALSE;

  return cd_sync_cache_set_user (c->cache, user, error);
}

/* Opens (or reopens) the cache at @path as @username and signs in. */
static inline SyncClient *
sync_client_open (CdTestServer *server,
                  const char   *username,
                  const char   *path)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *password = cd_test_password_for (username);
  SyncClient *c = g_new0 (SyncClient, 1);

  c->username = g_strdup (username);
  c->path = g_strdup (path);
  c->cache = cd_sync_cache_open (server->base_url, username, path, &error);
  g_assert_no_error (error);
  c->client = cd_sync_client_new (server->base_url);
  g_assert_true (sync_client_login (c, password, &error));
  g_assert_no_error (error);

  return c;
}

/* Drops the client and the cache, as a client that is closed or dies. */
static inline void
sync_client_free (SyncClient *c)
{
  if (c == NULL)
    return;

  /* What is in flight is abandoned, as by a process that dies. */
  if (c->client != NULL)
    cd_sync_client_cancel (c->client);
  g_clear_object (&c->client);
  g_clear_object (&c->cache);
  g_free (c->username);
  g_free (c->path);
  g_free (c);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SyncClient, sync_client_free)

static inline gboolean
sync_client_pull (SyncClient  *c,
                  guint       *n_rows,
                  GError     **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  cd_sync_client_pull_async (c->client, c->cache, store_result_cb, &result);
  wait_result (&result);
  return cd_sync_client_pull_finish (c->client, result, n_rows, error);
}

static inline gboolean
sync_client_push (SyncClient        *c,
                  CdSyncPushResult  *stats,
                  GError           **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  cd_sync_client_push_async (c->client, c->cache, store_result_cb, &result);
  wait_result (&result);
  return cd_sync_client_push_finish (c->client, result, stats, error);
}

/* A mutation from its parts; @args_json: an object's text or NULL. */
static inline CdMutation *
make_mutation (const char *op,
               const char *target,
               gint64      expected_version,
               const char *args_json)
{
  g_autofree char *id = g_uuid_string_random ();
  g_autoptr(JsonNode) args = json_from_string (args_json ? args_json : "{}", NULL);
  CdMutationOp code;

  g_assert_nonnull (args);
  g_assert_true (cd_mutation_op_from_string (op, &code));
  return cd_mutation_new (id, code, target, expected_version, json_node_get_object (args));
}

/* Applies @m on the model and queues it; asserts it was accepted. */
static inline void
submit_ok (SyncClient *c,
           CdMutation *m)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) records = cd_sync_cache_submit (c->cache, m, &error);

  g_assert_no_error (error);
  g_assert_nonnull (records);
}

static inline CdMutation *
assign_mutation (const char *ticket,
                 const char *crew,
                 gboolean    expect_unassigned)
{
  g_autofree char *args = g_strdup_printf ("{\"crew_id\":\"%s\",\"reason\":\"nearest free crew\"%s}", crew,
                                           expect_unassigned ? ",\"expect_crew\":null" : "");

  return make_mutation ("ticket.assign", ticket, -1, args);
}

static inline CdMutation *
create_mutation (char **ticket_id)
{
  g_autofree char *target = g_uuid_string_random ();
  g_autofree char *args = cd_test_ticket_args ("heat", "no-heat", "\"skills\":[\"radiator\"]");
  CdMutation *m = make_mutation ("ticket.create", target, -1, args);

  if (ticket_id != NULL)
    *ticket_id = g_steal_pointer (&target);
  return m;
}

/* Shared checks against the server's snapshot --------------------------- */

/* The server's snapshot, read with @admin_token. */
static inline JsonObject *
sync_test_snapshot (CdTestServer *server,
                    const char   *admin_token)
{
  g_autoptr(CdTestReply) reply = cd_test_request (server, "GET", "/api/v1/snapshot", admin_token, NULL);

  g_assert_cmpuint (reply->status, ==, 200);
  return json_object_ref (cd_test_reply_object (reply));
}

static inline JsonObject *
sync_test_find_in (JsonObject *snap,
                   const char *member,
                   const char *id)
{
  JsonArray *list = json_object_get_array_member (snap, member);

  for (guint i = 0; i < json_array_get_length (list); i++)
    {
      JsonObject *o = json_array_get_object_element (list, i);

      if (g_strcmp0 (json_object_get_string_member (o, "id"), id) == 0)
        return o;
    }

  return NULL;
}

/* Assignment events of @ticket on the server: one per assignment made. */
static inline guint
sync_test_count_events_for (JsonObject *snap,
                            const char *ticket)
{
  JsonArray *list = json_object_get_array_member (snap, "assignment_events");
  guint n = 0;

  for (guint i = 0; i < json_array_get_length (list); i++)
    if (g_strcmp0 (json_object_get_string_member (json_array_get_object_element (list, i), "ticket_id"),
                   ticket) == 0)
      n++;

  return n;
}

/* Every live row of the server equals the cache's server row, and the
 * cache holds nothing else (crews aside: their positions move). */
static inline void
sync_test_assert_cache_equals_server (CdTestServer *server,
                                      const char   *admin_token,
                                      CdSyncCache  *cache)
{
  static const struct { const char *member; GType (*type) (void); } kinds[] = {
    { "tickets", cd_ticket_get_type },
    { "callbacks", cd_callback_get_type },
    { "assignment_events", cd_assignment_event_get_type },
    { "users", cd_user_get_type },
  };
  g_autoptr(JsonObject) snap = sync_test_snapshot (server, admin_token);
  CdStore *store = cd_sync_cache_get_store (cache);

  cd_sync_cache_lock (cache);
  for (guint k = 0; k < G_N_ELEMENTS (kinds); k++)
    {
      JsonArray *list = json_object_get_array_member (snap, kinds[k].member);
      g_autoptr(GPtrArray) mine = cd_store_list_all (store, kinds[k].type (), NULL);

      g_assert_nonnull (mine);
      if (mine->len != json_array_get_length (list))
        g_error ("%s: the cache has %u, the server %u", kinds[k].member, mine->len,
                 json_array_get_length (list));
      for (guint i = 0; i < json_array_get_length (list); i++)
        {
          g_autoptr(GError) error = NULL;
          g_autoptr(CdRecord) theirs = cd_record_new_from_json (kinds[k].type (), json_array_get_element (list, i),
                                                                CD_DECODE_DEFAULT, &error);
          g_autoptr(CdRecord) ours = NULL;

          g_assert_no_error (error);
          ours = cd_store_load (store, kinds[k].type (), theirs->id, &error);
          g_assert_no_error (error);
          if (!cd_record_equal (ours, theirs))
            {
              g_autofree char *a = cd_record_to_json_string (ours, NULL);
              g_autofree char *b = cd_record_to_json_string (theirs, NULL);

              g_error ("%s %s differs:\n cache  %s\n server %s", kinds[k].member, theirs->id, a, b);
            }
        }
    }
  cd_sync_cache_unlock (cache);
}

/* Removes a test's temporary folder and the files in it (one level). */
static inline void
sync_test_remove_dir (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);

      if (g_file_test (path, G_FILE_TEST_IS_DIR))
        sync_test_remove_dir (path);
      else
        g_unlink (path);
    }
  g_rmdir (dir);
}

