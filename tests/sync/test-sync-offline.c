/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-sync-offline.c: starting while the server cannot be reached. The
 * last user of the server is known, their cache opens with the model and
 * the user, their saved token is found, edits go to the outbox, and they
 * are sent, once, when the server is back. The client talks to the
 * server through a proxy, so its address stays the same across the
 * server's restart (which moves the server to another port). */
#include "config.h"

#include <signal.h>
#include <string.h>

#include "cd-sync-credentials.h"
#include "cd-sync-test.h"
#include "cd-test-proxy.h"

static char *home;

typedef struct {
  CdTestServer *server;
  CdTestProxy  *proxy;
  char         *crew_a;
  char         *admin;
  char         *d2;
} Fixture;

static void
fixture_set_up (Fixture       *fx,
                gconstpointer  data)
{
  static const char * const skills[] = { "radiator", NULL };

  fx->server = cd_test_server_new ("[dispatch]\nbatch-interval=0\n");
  fx->crew_a = cd_test_store_add_crew (fx->server, "Heat 1", CD_UTILITY_HEAT, skills, 50, 39.905, 116.405);
  cd_test_server_launch (fx->server);
  cd_test_server_add_user (fx->server, "d1", "dispatcher", NULL, "pw-d1-secret");
  fx->admin = cd_test_add_and_login (fx->server, "admin", "admin", NULL);
  fx->d2 = cd_test_add_and_login (fx->server, "d2", "dispatcher", NULL);
  fx->proxy = cd_test_proxy_new (fx->server->port);
}

static void
fixture_tear_down (Fixture       *fx,
                   gconstpointer  data)
{
  g_autofree char *path = cd_sync_cache_default_path (cd_test_proxy_get_url (fx->proxy), "d1");
  g_autofree char *dir = g_path_get_dirname (path);

  cd_sync_credentials_forget (cd_test_proxy_get_url (fx->proxy), "d1", NULL);
  sync_test_remove_dir (dir);
  cd_test_proxy_free (fx->proxy);
  cd_test_server_free (fx->server);
  g_free (fx->crew_a);
  g_free (fx->admin);
  g_free (fx->d2);
}

static gboolean
offline_and_waiting (gpointer data)
{
  CdSyncEngine *engine = data;

  return cd_sync_engine_get_status (engine) == CD_SYNC_STATUS_OFFLINE &&
         cd_sync_engine_get_next_retry_ms (engine) > 0;
}

static gboolean
online_and_flushed (gpointer data)
{
  CdSyncEngine *engine = data;

  return cd_sync_engine_get_status (engine) == CD_SYNC_STATUS_ONLINE &&
         cd_sync_engine_get_pending (engine) == 0 &&
         cd_sync_cache_count_pending (cd_sync_engine_get_cache (engine), NULL) == 0;
}

/* A first run with the server up: sign in, keep the token, pull. */
static void
first_run (Fixture *fx)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(CdSyncCache) cache = NULL;
  g_autoptr(CdSyncClient) client = NULL;
  g_autoptr(CdUser) user = NULL;
  const char *url = cd_test_proxy_get_url (fx->proxy);

  cache = cd_sync_cache_open (url, "d1", NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (cd_sync_cache_get_path (cache), home));
  client = cd_sync_client_new (url);
  cd_sync_client_login_async (client, "d1", "pw-d1-secret", store_result_cb, &result);
  wait_result (&result);
  user = cd_sync_client_login_finish (client, result, &error);
  g_assert_no_error (error);
  g_assert_true (cd_sync_cache_set_user (cache, user, &error));
  g_assert_true (cd_sync_credentials_store (url, "d1", cd_sync_client_get_token (client), &error));
  g_assert_no_error (error);
  g_clear_object (&result);

  cd_sync_client_pull_async (client, cache, store_result_cb, &result);
  wait_result (&result);
  g_assert_true (cd_sync_client_pull_finish (client, result, NULL, &error));
  g_assert_no_error (error);
}

static void
test_start_offline (Fixture       *fx,
                    gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CdSyncCache) cache = NULL;
  g_autoptr(CdSyncClient) client = NULL;
  g_autoptr(CdSyncEngine) engine = NULL;
  g_autoptr(CdUser) user = NULL;
  g_autoptr(GPtrArray) open = NULL;
  g_autoptr(GPtrArray) records = NULL;
  g_autoptr(CdMutation) assign = NULL;
  g_autoptr(CdMutation) status = NULL;
  g_autoptr(CdTicket) shown = NULL;
  g_autoptr(GHashTable) targets = NULL;
  g_autoptr(JsonObject) snap = NULL;
  g_autofree char *username = NULL;
  g_autofree char *token = NULL;
  g_autofree char *ticket = cd_test_create_ticket (fx->server, fx->d2, "heat", "no-heat",
                                                   "\"skills\":[\"radiator\"]");
  const char *url = cd_test_proxy_get_url (fx->proxy);

  /* Nobody has used this server here yet. */
  g_assert_null (cd_sync_cache_dup_last_username (url));
  first_run (fx);
  g_assert_null (cd_sync_cache_dup_last_username (fx->server->base_url));

  cd_test_server_kill (fx->server, SIGTERM);

  /* The next start: who, the cache, the token, all without the server. */
  username = cd_sync_cache_dup_last_username (url);
  g_assert_cmpstr (username, ==, "d1");
  cache = cd_sync_cache_open (url, username, NULL, &error);
  g_assert_no_error (error);
  user = cd_sync_cache_dup_user (cache);
  g_assert_nonnull (user);
  g_assert_cmpstr (user->username, ==, "d1");
  g_assert_cmpint (user->role, ==, CD_ROLE_DISPATCHER);
  open = cd_sync_cache_list_open_tickets (cache, CD_STORE_ANY, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (open->len, ==, 1);
  g_assert_cmpstr (CD_RECORD (g_ptr_array_index (open, 0))->id, ==, ticket);
  token = cd_sync_credentials_lookup (url, username, &error);
  g_assert_no_error (error);
  g_assert_nonnull (token);

  client = cd_sync_client_new (url);
  cd_sync_client_set_token (client, token);
  engine = cd_sync_engine_new (client, cache);
  cd_sync_engine_set_backoff (engine, 50, 400);
  cd_sync_engine_start (engine);
  g_assert_true (wait_for (offline_and_waiting, engine, 60));

  /* Edits are accepted, shown, and wait. */
  assign = assign_mutation (ticket, fx->crew_a, TRUE);
  records = cd_sync_engine_submit (engine, assign, &error);
  g_assert_no_error (error);
  g_clear_pointer (&records, g_ptr_array_unref);
  status = make_mutation ("ticket.set_status", ticket, -1, "{\"status\":\"contacted\"}");
  records = cd_sync_engine_submit (engine, status, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (cd_sync_engine_get_pending (engine), ==, 2);
  shown = cd_sync_cache_load (cache, CD_TYPE_TICKET, ticket, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (shown->crew_id, ==, fx->crew_a);
  g_assert_cmpint (shown->status, ==, CD_TICKET_STATUS_CONTACTED);
  targets = cd_sync_cache_dup_pending_targets (cache, &error);
  g_assert_no_error (error);
  g_assert_true (g_hash_table_contains (targets, ticket));
  g_assert_true (wait_for (offline_and_waiting, engine, 60));
  g_assert_cmpuint (cd_sync_engine_get_pending (engine), ==, 2);

  /* The server is back (elsewhere; the proxy follows it). */
  cd_test_server_restart (fx->server);
  cd_test_proxy_set_target (fx->proxy, fx->server->port);
  g_assert_true (wait_for (online_and_flushed, engine, 120));

  snap = sync_test_snapshot (fx->server, fx->admin);
  g_assert_cmpstr (json_object_get_string_member (sync_test_find_in (snap, "tickets", ticket), "crew_id"), ==,
                   fx->crew_a);
  g_assert_cmpstr (json_object_get_string_member (sync_test_find_in (snap, "tickets", ticket), "status"), ==,
                   "contacted");
  g_assert_cmpuint (sync_test_count_events_for (snap, ticket), ==, 1);
  {
    g_autoptr(GPtrArray) conflicts = cd_sync_cache_list_conflicts (cache, &error);

    g_assert_no_error (error);
    g_assert_cmpuint (conflicts->len, ==, 0);
  }
  cd_sync_engine_stop (engine);
  sync_test_assert_cache_equals_server (fx->server, fx->admin, cache);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  g_autofree char *data_home = NULL;
  g_autofree char *config_home = NULL;
  int status;

  /* Before anything reads them: private data and config homes, the token
   * in the file, no keyring. */
  home = g_dir_make_tmp ("crewdesk-sync-offline-XXXXXX", &error);
  g_assert_no_error (error);
  data_home = g_build_filename (home, "data", NULL);
  config_home = g_build_filename (home, "config", NULL);
  g_setenv ("XDG_DATA_HOME", data_home, TRUE);
  g_setenv ("XDG_CONFIG_HOME", config_home, TRUE);
  g_setenv (CD_SYNC_CREDENTIALS_ENV, "file", TRUE);
  g_setenv ("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/crewdesk-test-bus", TRUE);

  cd_test_init (&argc, &argv);
  cd_model_init ();

  g_test_add ("/sync/offline/start-offline", Fixture, NULL, fixture_set_up, test_start_offline,
              fixture_tear_down);

  status = g_test_run ();
  sync_test_remove_dir (home);
  g_free (home);
  return status;
}
