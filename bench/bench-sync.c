/* SPDX-License-Identifier: GPL-3.0-or-later */
/* bench-sync.c: the first sync of N tickets into an empty cache (time and
 * peak RSS), and the flush of M queued mutations, against the real
 * crewdesk-server on 127.0.0.1.
 *
 *   CREWDESK_SERVER_BIN=build/src/server/crewdesk-server \
 *     build/tests/sync/bench-sync [TICKETS [MUTATIONS]]
 *
 * Never asserts on time; the figures go to docs/PERFORMANCE.md. */
#include "config.h"

#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>

#include "cd-model.h"
#include "cd-store.h"
#include "cd-sync-cache.h"
#include "cd-sync-client.h"
#include "cd-test-server.h"

static gint64
peak_rss_kib (void)
{
  g_autofree char *status = NULL;
  const char *line;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL))
    return -1;
  line = strstr (status, "VmHWM:");
  return line != NULL ? g_ascii_strtoll (line + strlen ("VmHWM:"), NULL, 10) : -1;
}

/* Starts a new peak, so the seeding does not count. */
static void
reset_peak_rss (void)
{
  g_file_set_contents ("/proc/self/clear_refs", "5", 1, NULL);
}

static void
result_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static void
wait (GAsyncResult **result)
{
  while (*result == NULL)
    g_main_context_iteration (NULL, TRUE);
}

static GPtrArray *
seed (CdTestServer *server,
      guint         n)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CdStore) store = cd_store_open (server->db_path, &error);
  GPtrArray *ids = g_ptr_array_new_with_free_func (g_free);
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  static const char * const areas[] = { "eastbank", "old-town", "riverside", "north-hill" };

  g_assert_no_error (error);
  g_assert_true (cd_store_begin (store, &error));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(CdTicket) t = cd_ticket_new ();
      gint64 rev = cd_store_next_rev (store, &error);

      CD_RECORD (t)->id = g_uuid_string_random ();
      CD_RECORD (t)->version = 1;
      CD_RECORD (t)->rev = rev;
      t->number = g_strdup_printf ("HT-%06u", i);
      t->channel = CD_CHANNEL_HOTLINE;
      t->category = CD_CATEGORY_NO_HEAT;
      t->urgency = CD_URGENCY_URGENT;
      t->utility = CD_UTILITY_HEAT;
      t->status = CD_TICKET_STATUS_NEW;
      t->customer_name = g_strdup_printf ("Customer %u", i);
      t->customer_phone = g_strdup ("+86 10 5555 0101");
      t->address = g_strdup_printf ("%u Riverside Road, Eastbank", i % 500);
      t->lat = 39.9 + (i % 1000) * 0.0001;
      t->lon = 116.4 + (i % 977) * 0.0001;
      t->area = g_strdup (areas[i % G_N_ELEMENTS (areas)]);
      t->description = g_strdup ("Radiators cold in the whole flat since the morning; neighbours too.");
      t->owner = g_strdup ("dispatcher");
      t->sla_first_response_min = 30;
      t->sla_on_site_min = 240;
      t->sla_resolved_min = 1440;
      t->due_first_response = now + 1800;
      t->due_on_site = now + 4 * 3600;
      t->due_resolved = now + 24 * 3600;
      t->created_at = now - (n - i);
      t->updated_at = t->created_at;
      g_assert_true (cd_store_save (store, CD_RECORD (t), &error));
      g_ptr_array_add (ids, g_strdup (CD_RECORD (t)->id));
    }
  g_assert_true (cd_store_commit (store, &error));
  g_assert_no_error (error);

  return ids;
}

int
main (int   argc,
      char *argv[])
{
  static const char * const skills[] = { "radiator", NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(CdTestServer) server = NULL;
  g_autoptr(GPtrArray) ids = NULL;
  g_autoptr(CdSyncCache) cache = NULL;
  g_autoptr(CdSyncClient) client = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(CdUser) user = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  g_autofree char *crew = NULL;
  guint n_tickets = argc > 1 ? (guint) g_ascii_strtoull (argv[1], NULL, 10) : 100000;
  guint n_mutations = argc > 2 ? (guint) g_ascii_strtoull (argv[2], NULL, 10) : 10000;
  guint n_rows = 0;
  gint64 start;
  double pull_s, queue_s, flush_s;
  gint64 pull_rss;
  CdSyncPushResult stats = { 0 };

  cd_model_init ();
  n_mutations = MIN (n_mutations, n_tickets);

  server = cd_test_server_new ("[dispatch]\nbatch-interval=0\n");
  crew = cd_test_store_add_crew (server, "Heat 1", CD_UTILITY_HEAT, skills, 50, 39.905, 116.405);
  start = g_get_monotonic_time ();
  ids = seed (server, n_tickets);
  fprintf (stderr, "seeded %u tickets in %.2f s\n", n_tickets, (g_get_monotonic_time () - start) / 1e6);
  cd_test_server_launch (server);
  cd_test_server_add_user (server, "bench", "dispatcher", NULL, "pw-bench-secret");

  dir = g_dir_make_tmp ("crewdesk-bench-sync-XXXXXX", &error);
  g_assert_no_error (error);
  path = g_build_filename (dir, "cache.db", NULL);
  cache = cd_sync_cache_open (server->base_url, "bench", path, &error);
  g_assert_no_error (error);
  client = cd_sync_client_new (server->base_url);
  cd_sync_client_login_async (client, "bench", "pw-bench-secret", result_cb, &result);
  wait (&result);
  user = cd_sync_client_login_finish (client, result, &error);
  g_assert_no_error (error);
  g_assert_true (cd_sync_cache_set_user (cache, user, &error));
  g_clear_object (&result);

  /* 1. First sync into the empty cache. */
  reset_peak_rss ();
  start = g_get_monotonic_time ();
  cd_sync_client_pull_async (client, cache, result_cb, &result);
  wait (&result);
  if (!cd_sync_client_pull_finish (client, result, &n_rows, &error))
    g_error ("pull: %s", error->message);
  pull_s = (g_get_monotonic_time () - start) / 1e6;
  pull_rss = peak_rss_kib ();
  g_clear_object (&result);

  /* 2. Queue M assignments (each applied on the model), then flush. */
  start = g_get_monotonic_time ();
  for (guint i = 0; i < n_mutations; i++)
    {
      g_autofree char *id = g_uuid_string_random ();
      /* A status move: what a dispatcher does most. */
      const char *args_text = "{\"status\":\"contacted\"}";
      g_autoptr(JsonNode) args = json_from_string (args_text, NULL);
      g_autoptr(CdMutation) m = cd_mutation_new (id, CD_MUTATION_OP_TICKET_SET_STATUS, g_ptr_array_index (ids, i),
                                                 -1, json_node_get_object (args));
      g_autoptr(GPtrArray) records = cd_sync_cache_submit (cache, m, &error);

      g_assert_no_error (error);
    }
  queue_s = (g_get_monotonic_time () - start) / 1e6;

  start = g_get_monotonic_time ();
  cd_sync_client_push_async (client, cache, result_cb, &result);
  wait (&result);
  if (!cd_sync_client_push_finish (client, result, &stats, &error))
    g_error ("flush: %s", error->message);
  flush_s = (g_get_monotonic_time () - start) / 1e6;

  printf ("first sync: %u rows (%u tickets) in %.2f s, peak RSS %.1f MiB\n",
          n_rows, n_tickets, pull_s, pull_rss / 1024.0);
  printf ("queue: %u mutations in %.2f s (%.0f µs each)\n", n_mutations, queue_s, queue_s * 1e6 / MAX (n_mutations, 1));
  printf ("flush: %u mutations in %.2f s in %u batches (%u applied, %u conflicts, %u rejected)\n",
          n_mutations, flush_s, stats.batches, stats.applied, stats.conflicts, stats.rejected);

  g_clear_object (&cache);
  {
    g_autofree char *wal = g_strconcat (path, "-wal", NULL);
    g_autofree char *shm = g_strconcat (path, "-shm", NULL);

    g_unlink (path);
    g_unlink (wal);
    g_unlink (shm);
    g_rmdir (dir);
  }

  return 0;
}
