/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-sync-proxy.c: pull and push through a proxy that truncates replies
 * and requests, cuts connections in the middle of transfers and delays
 * bytes. Whatever it does, the client converges on the server's state
 * with nothing lost and nothing applied twice. */
#include "config.h"

#include <string.h>

#include "cd-sync-test.h"
#include "cd-test-proxy.h"

#define N_SEEDED 60

typedef struct {
  CdTestServer *server;
  CdTestProxy  *proxy;
  char         *dir;
  char         *crew_a;
  char         *admin;
  GPtrArray    *seeded;   /* ticket ids made on the server */
  guint         n_caches;
} Fixture;

static void
fixture_set_up (Fixture       *fx,
                gconstpointer  data)
{
  static const char * const skills[] = { "radiator", NULL };
  g_autoptr(GError) error = NULL;
  g_autofree char *d2 = NULL;

  fx->server = cd_test_server_new ("[dispatch]\nbatch-interval=0\n");
  fx->crew_a = cd_test_store_add_crew (fx->server, "Heat 1", CD_UTILITY_HEAT, skills, 50, 39.905, 116.405);
  cd_test_server_launch (fx->server);
  cd_test_server_add_user (fx->server, "d1", "dispatcher", NULL, "pw-d1-secret");
  fx->admin = cd_test_add_and_login (fx->server, "admin", "admin", NULL);
  d2 = cd_test_add_and_login (fx->server, "d2", "dispatcher", NULL);
  fx->proxy = cd_test_proxy_new (fx->server->port);
  fx->dir = g_dir_make_tmp ("crewdesk-sync-proxy-XXXXXX", &error);
  g_assert_no_error (error);

  /* Tickets, half of them assigned (a ticket and its event share a
   * revision, so pages end inside revisions too). */
  fx->seeded = g_ptr_array_new_with_free_func (g_free);
  {
    g_autoptr(GPtrArray) texts = g_ptr_array_new_with_free_func (g_free);
    g_autoptr(CdTestReply) reply = NULL;
    g_autofree char *args = cd_test_ticket_args ("heat", "no-heat", "\"skills\":[\"radiator\"]");

    for (guint i = 0; i < N_SEEDED; i++)
      {
        g_autofree char *id = g_uuid_string_random ();

        g_ptr_array_add (texts, cd_test_mutation (NULL, "ticket.create", id, -1, args));
        if (i % 2 == 0)
          {
            g_autofree char *assign = g_strdup_printf ("{\"crew_id\":\"%s\",\"reason\":\"near\"}", fx->crew_a);

            g_ptr_array_add (texts, cd_test_mutation (NULL, "ticket.assign", id, -1, assign));
          }
        g_ptr_array_add (fx->seeded, g_steal_pointer (&id));
      }
    g_ptr_array_add (texts, NULL);
    reply = cd_test_send_mutations (fx->server, d2, (const char * const *) texts->pdata);
    g_assert_cmpuint (reply->status, ==, 200);
    for (guint i = 0; i < texts->len - 1; i++)
      g_assert_cmpstr (cd_test_result_status (cd_test_result (reply, i)), ==, "applied");
  }
}

static void
fixture_tear_down (Fixture       *fx,
                   gconstpointer  data)
{
  cd_test_proxy_free (fx->proxy);
  cd_test_server_free (fx->server);
  sync_test_remove_dir (fx->dir);
  g_free (fx->dir);
  g_free (fx->crew_a);
  g_free (fx->admin);
  g_ptr_array_unref (fx->seeded);
}

/* A new, empty cache for d1, talking through the proxy. */
static SyncClient *
open_client (Fixture *fx)
{
  g_autofree char *name = g_strdup_printf ("d1-%u.db", fx->n_caches++);
  g_autofree char *path = g_build_filename (fx->dir, name, NULL);
  SyncClient *c = sync_client_open (fx->server, "d1", path);

  cd_sync_client_set_base_url (c->client, cd_test_proxy_get_url (fx->proxy));
  return c;
}

/* Pulls until a pull succeeds; returns the failures on the way. */
static guint
pull_until_done (SyncClient *c)
{
  guint failures = 0;

  for (;;)
    {
      g_autoptr(GError) error = NULL;

      if (sync_client_pull (c, NULL, &error))
        return failures;
      g_assert_error (error, CD_SYNC_ERROR, CD_SYNC_ERROR_NETWORK);
      failures++;
      g_assert_cmpuint (failures, <, 1000);
    }
}

static CdSyncPushResult
push_until_done (SyncClient *c,
                 guint      *failures)
{
  CdSyncPushResult total = { 0 };

  for (;;)
    {
      g_autoptr(GError) error = NULL;
      CdSyncPushResult stats = { 0 };
      gboolean ok = sync_client_push (c, &stats, &error);

      /* What a failed push recorded counts too. */
      total.applied += stats.applied;
      total.conflicts += stats.conflicts;
      total.rejected += stats.rejected;
      if (ok)
        return total;
      g_assert_error (error, CD_SYNC_ERROR, CD_SYNC_ERROR_NETWORK);
      (*failures)++;
      g_assert_cmpuint (*failures, <, 1000);
    }
}

/* Queues a new ticket and its assignment per @n; their ids go to @ids. */
static void
queue_work (SyncClient *c,
            Fixture    *fx,
            guint       n,
            GPtrArray  *ids)
{
  for (guint i = 0; i < n; i++)
    {
      char *id = NULL;
      g_autoptr(CdMutation) create = create_mutation (&id);
      g_autoptr(CdMutation) assign = NULL;

      submit_ok (c, create);
      assign = assign_mutation (id, fx->crew_a, TRUE);
      submit_ok (c, assign);
      g_ptr_array_add (ids, id);
    }
}

/* Every queued ticket is on the server once, assigned once, nothing was
 * refused (a second ticket.create or a second assignment expecting no
 * crew would have been), nothing waits. */
static void
assert_applied_once (Fixture    *fx,
                     SyncClient *c,
                     GPtrArray  *ids,
                     guint       applied)
{
  g_autoptr(JsonObject) snap = sync_test_snapshot (fx->server, fx->admin);
  g_autoptr(GPtrArray) conflicts = cd_sync_cache_list_conflicts (c->cache, NULL);
  JsonArray *tickets = json_object_get_array_member (snap, "tickets");

  g_assert_cmpuint (conflicts->len, ==, 0);
  g_assert_cmpint (cd_sync_cache_count_pending (c->cache, NULL), ==, 0);
  g_assert_cmpuint (json_array_get_length (tickets), ==, N_SEEDED + ids->len);
  g_assert_cmpuint (applied, ==, 2 * ids->len);
  for (guint i = 0; i < ids->len; i++)
    {
      JsonObject *t = sync_test_find_in (snap, "tickets", g_ptr_array_index (ids, i));

      g_assert_nonnull (t);
      g_assert_cmpstr (json_object_get_string_member (t, "crew_id"), ==, fx->crew_a);
      g_assert_cmpuint (sync_test_count_events_for (snap, g_ptr_array_index (ids, i)), ==, 1);
    }
}

/* Tests ------------------------------------------------------------------ */

/* The reply cut after N bytes, N from the status line to deep into the
 * body: the pull fails, the page is not applied, the next pull resumes
 * where the cache is, and the cache ends equal to the server. */
static void
test_pull_truncated (Fixture       *fx,
                     gconstpointer  data)
{
  static const guint64 offsets[] = { 0, 1, 17, 120, 400, 900, 1500, 2600, 4000, 7000 };
  guint failed = 0;

  for (guint i = 0; i < G_N_ELEMENTS (offsets); i++)
    {
      g_autoptr(SyncClient) c = open_client (fx);
      g_autoptr(GError) error = NULL;
      guint n_rows = 0;
      gint64 rev_before;

      cd_sync_client_set_page_size (c->client, 7);
      cd_test_proxy_truncate (fx->proxy, CD_TEST_PROXY_DOWN, offsets[i]);
      if (!sync_client_pull (c, &n_rows, &error))
        {
          g_assert_error (error, CD_SYNC_ERROR, CD_SYNC_ERROR_NETWORK);
          g_assert_true (cd_test_proxy_truncated (fx->proxy));
          failed++;
        }
      g_clear_error (&error);
      g_test_message ("cut after %" G_GUINT64_FORMAT " bytes: rev %" G_GINT64_FORMAT, offsets[i],
                      cd_sync_cache_get_last_rev (c->cache, NULL));

      /* What the cache holds is whole pages: a pull on from there ends
       * equal to the server. */
      rev_before = cd_sync_cache_get_last_rev (c->cache, NULL);
      g_assert_cmpuint (pull_until_done (c), ==, 0);
      g_assert_cmpint (cd_sync_cache_get_last_rev (c->cache, NULL), >=, rev_before);
      sync_test_assert_cache_equals_server (fx->server, fx->admin, c->cache);
    }

  /* Every cut fell inside the transfer. */
  g_assert_cmpuint (failed, ==, G_N_ELEMENTS (offsets));
}

/* A pull cut in the middle of a slow transfer (all connections closed at
 * once), then resumed. */
static void
test_pull_cut (Fixture       *fx,
               gconstpointer  data)
{
  g_autoptr(SyncClient) c = open_client (fx);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  guint64 start = cd_test_proxy_get_bytes (fx->proxy, CD_TEST_PROXY_DOWN);

  cd_sync_client_set_page_size (c->client, 5);
  /* 256 bytes every 2 ms: a few pages take a second. */
  cd_test_proxy_set_delay (fx->proxy, 2, 256);
  cd_sync_client_pull_async (c->client, c->cache, store_result_cb, &result);
  while (cd_test_proxy_get_bytes (fx->proxy, CD_TEST_PROXY_DOWN) < start + 6000 && result == NULL)
    g_main_context_iteration (NULL, FALSE);
  g_assert_null (result);
  cd_test_proxy_cut (fx->proxy);
  wait_result (&result);
  g_assert_false (cd_sync_client_pull_finish (c->client, result, NULL, &error));
  g_assert_error (error, CD_SYNC_ERROR, CD_SYNC_ERROR_NETWORK);
  /* Some pages are in, not all. */
  g_assert_cmpint (cd_sync_cache_get_last_rev (c->cache, NULL), >, 0);

  g_assert_cmpuint (pull_until_done (c), ==, 0);
  cd_test_proxy_set_delay (fx->proxy, 0, 0);
  sync_test_assert_cache_equals_server (fx->server, fx->admin, c->cache);
}

/* Replies to a flush cut after N bytes (the server applied the batch, the
 * client never heard), and requests cut after N bytes (the server got
 * half a batch): the retries reuse the ids, the server replays, nothing
 * is applied twice. */
static void
test_push_truncated (Fixture       *fx,
                     gconstpointer  data)
{
  g_autoptr(SyncClient) c = open_client (fx);
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  guint failures = 0, applied = 0;
  guint round = 0;

  g_assert_cmpuint (pull_until_done (c), ==, 0);
  queue_work (c, fx, 40, ids);
  cd_sync_client_set_batch_size (c->client, 6);

  while (cd_sync_cache_count_pending (c->cache, NULL) > 0)
    {
      g_autoptr(GError) error = NULL;
      CdSyncPushResult stats = { 0 };
      CdTestProxyDirection direction = round % 2 == 0 ? CD_TEST_PROXY_DOWN : CD_TEST_PROXY_UP;
      guint64 offset = (round * 397) % 2500;

      g_assert_cmpuint (round, <, 200);
      cd_test_proxy_clear_truncation (fx->proxy);
      cd_test_proxy_truncate (fx->proxy, direction, offset);
      if (!sync_client_push (c, &stats, &error))
        {
          g_assert_error (error, CD_SYNC_ERROR, CD_SYNC_ERROR_NETWORK);
          failures++;
        }
      applied += stats.applied;
      g_assert_cmpuint (stats.conflicts + stats.rejected, ==, 0);
      round++;
    }
  cd_test_proxy_clear_truncation (fx->proxy);
  g_test_message ("%u rounds, %u failed", round, failures);
  g_assert_cmpuint (failures, >, 0);

  g_assert_cmpuint (pull_until_done (c), ==, 0);
  assert_applied_once (fx, c, ids, applied);
  sync_test_assert_cache_equals_server (fx->server, fx->admin, c->cache);
}

typedef struct {
  CdTestProxy *proxy;
  GRand       *rand;
  guint        cuts;
  guint        source;
} Chaos;

static gboolean
chaos_cb (gpointer user_data)
{
  Chaos *chaos = user_data;

  cd_test_proxy_cut (chaos->proxy);
  chaos->cuts++;
  chaos->source = g_timeout_add (g_rand_int_range (chaos->rand, 30, 250), chaos_cb, chaos);
  return G_SOURCE_REMOVE;
}

/* Connections cut at random moments and bytes trickling through, while
 * edits keep coming and the client flushes and pulls: the end state is
 * the server's, every edit applied once. */
static void
test_cuts_and_delays (Fixture       *fx,
                      gconstpointer  data)
{
  g_autoptr(SyncClient) c = open_client (fx);
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  Chaos chaos = { fx->proxy, g_rand_new_with_seed (g_test_rand_int ()), 0, 0 };
  guint failures = 0, applied = 0;

  g_assert_cmpuint (pull_until_done (c), ==, 0);
  cd_sync_client_set_page_size (c->client, 9);
  cd_sync_client_set_batch_size (c->client, 8);
  cd_test_proxy_set_delay (fx->proxy, 1, 512);
  chaos.source = g_timeout_add (100, chaos_cb, &chaos);

  for (guint round = 0; round < 12; round++)
    {
      g_autoptr(GError) error = NULL;
      CdSyncPushResult stats = { 0 };

      queue_work (c, fx, 5, ids);
      if (!sync_client_push (c, &stats, &error))
        {
          g_assert_error (error, CD_SYNC_ERROR, CD_SYNC_ERROR_NETWORK);
          failures++;
        }
      applied += stats.applied;
      g_clear_error (&error);
      if (!sync_client_pull (c, NULL, &error))
        {
          g_assert_error (error, CD_SYNC_ERROR, CD_SYNC_ERROR_NETWORK);
          failures++;
        }
    }

  /* Still cutting: keep trying until everything is through. */
  {
    CdSyncPushResult rest = push_until_done (c, &failures);

    applied += rest.applied;
  }
  g_clear_handle_id (&chaos.source, g_source_remove);
  cd_test_proxy_set_delay (fx->proxy, 0, 0);
  g_test_message ("%u cuts, %u failed exchanges", chaos.cuts, failures);
  g_assert_cmpuint (chaos.cuts, >, 0);

  g_assert_cmpuint (pull_until_done (c), ==, 0);
  assert_applied_once (fx, c, ids, applied);
  sync_test_assert_cache_equals_server (fx->server, fx->admin, c->cache);
  g_rand_free (chaos.rand);
}

int
main (int   argc,
      char *argv[])
{
  cd_test_init (&argc, &argv);
  cd_model_init ();

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

  ADD ("/sync/proxy/pull-truncated", test_pull_truncated);
  ADD ("/sync/proxy/pull-cut", test_pull_cut);
  ADD ("/sync/proxy/push-truncated", test_push_truncated);
  ADD ("/sync/proxy/cuts-and-delays", test_cuts_and_delays);

  return g_test_run ();
}
