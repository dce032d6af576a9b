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
