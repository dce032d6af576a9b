/* SPDX-License-Identifier: GPL-3.0-or-later */
/* bench-sync.c: the sync client against the real crewdesk-server on
 * 127.0.0.1:
 *
 *   first-sync  N tickets into an empty cache: time, peak RSS, client CPU
 *   resync      after the first sync, the client is ahead of the server (as
 *               after a restore from a backup): the 410 and the whole feed
 *               read again from revision 0 over the full cache: time, RSS
 *   flush       M queued mutations sent: time
 *   latency     a change made on the server until the client's model shows
 *               it (the engine's "changed" with the cache at that
 *               revision), while crewdesk-sim plays C crews reporting their
 *               positions: percentiles over S changes
 *
 *   CREWDESK_SERVER_BIN=build/src/server/crewdesk-server \
 *     build/tests/sync/bench-sync [--phase all|first-sync|resync|flush|latency]
 *       [--tickets N] [--mutations M] [--crews C] [--samples S]
 *       [--seed-cache DIR]
 *
 * crewdesk-sim is found beside the server (build/src/sim/crewdesk-sim) or
 * in CREWDESK_SIM_BIN. --seed-cache keeps the seeded server databases in
 * DIR, as seeding 100,000 tickets or adding 500 crew users takes long.
 * Never asserts on time; the figures go to docs/PERFORMANCE.md. */
#include "config.h"

#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include "cd-model.h"
#include "cd-store.h"
#include "cd-sync-cache.h"
#include "cd-sync-client.h"
#include "cd-sync-engine.h"
#include "cd-test-server.h"

static char *seed_cache;
static gint page_size;
static gint batch_size;
static gint extra_positions = -1;
static gboolean quiet_server;

/* Measures ---------------------------------------------------------------- */

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

/* This process's CPU time (all threads), seconds. */
static double
cpu_seconds (void)
{
  struct rusage u;

  getrusage (RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_stime.tv_sec + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
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

/* The server's CPU time so far (clock ticks), from /proc. */
static gint64
server_cpu_ticks (CdTestServer *server)
{
  g_autofree char *path = g_strdup_printf ("/proc/%s/stat", g_subprocess_get_identifier (server->process));
  g_autofree char *stat = NULL;
  g_auto(GStrv) fields = NULL;
  const char *after;

  if (!g_file_get_contents (path, &stat, NULL, NULL) || (after = strrchr (stat, ')')) == NULL)
    return -1;
  fields = g_strsplit (after + 2, " ", 0);
  if (g_strv_length (fields) < 13)
    return -1;
  /* utime and stime: fields 14 and 15, 12 and 13 after the name. */
  return g_ascii_strtoll (fields[11], NULL, 10) + g_ascii_strtoll (fields[12], NULL, 10);
}

/* Waits until the server has done its start-up work (its first escalation
 * scan reads every open ticket: seconds of CPU with 100,000 of them), so
 * that what is timed is the sync, not the server settling. */
static void
wait_server_idle (CdTestServer *server)
{
  gint64 start = g_get_monotonic_time ();
  gint64 before = server_cpu_ticks (server);

  for (;;)
    {
      gint64 now;

      g_usleep (500 * 1000);
      now = server_cpu_ticks (server);
      /* Less than 5% of a CPU over half a second (ticks are 10 ms). */
      if (now < 0 || now - before <= 2 || g_get_monotonic_time () - start > 120 * G_USEC_PER_SEC)
        break;
      before = now;
    }
  fprintf (stderr, "server settled in %.1f s\n", (g_get_monotonic_time () - start) / 1e6);
}

/* Seeding ----------------------------------------------------------------- */

/* Copies a kept database into the server's place, if there is one. */
static gboolean
seed_from_cache (CdTestServer *server,
                 const char   *name)
{
  g_autofree char *path = NULL;
  g_autoptr(GFile) from = NULL;
  g_autoptr(GFile) to = NULL;
  g_autoptr(GError) error = NULL;

  if (seed_cache == NULL)
    return FALSE;
  path = g_build_filename (seed_cache, name, NULL);
  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
    return FALSE;
  from = g_file_new_for_path (path);
  to = g_file_new_for_path (server->db_path);
  if (!g_file_copy (from, to, G_FILE_COPY_OVERWRITE, NULL, NULL, NULL, &error))
    g_error ("%s", error->message);
  fprintf (stderr, "seed: copied %s\n", path);
  return TRUE;
}

/* Keeps the server's database (the server stopped) for the next run. */
static void
seed_to_cache (CdTestServer *server,
               const char   *name)
{
  g_autofree char *path = NULL;
  g_autoptr(GFile) from = NULL;
  g_autoptr(GFile) to = NULL;
  g_autoptr(GError) error = NULL;

  if (seed_cache == NULL)
    return;
  g_mkdir_with_parents (seed_cache, 0700);
  path = g_build_filename (seed_cache, name, NULL);
  from = g_file_new_for_path (server->db_path);
  to = g_file_new_for_path (path);
  if (!g_file_copy (from, to, G_FILE_COPY_OVERWRITE, NULL, NULL, NULL, &error))
    g_error ("%s", error->message);
}

static GPtrArray *
seed_tickets (CdTestServer *server,
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

/* The ids of the open tickets, from a kept database. */
static GPtrArray *
ticket_ids (CdTestServer *server)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CdStore) store = cd_store_open (server->db_path, &error);
  g_autoptr(GPtrArray) open = NULL;
  GPtrArray *ids = g_ptr_array_new_with_free_func (g_free);

  g_assert_no_error (error);
  open = cd_store_list_open_tickets (store, CD_STORE_ANY, NULL, NULL, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < open->len; i++)
    g_ptr_array_add (ids, g_strdup (CD_RECORD (g_ptr_array_index (open, i))->id));

  return ids;
}

static CdSyncClient *
login (CdTestServer *server,
       CdSyncCache  *cache,
       const char   *username,
       const char   *password)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(CdUser) user = NULL;
  CdSyncClient *client = cd_sync_client_new (server->base_url);

  cd_sync_client_login_async (client, username, password, result_cb, &result);
  wait (&result);
  user = cd_sync_client_login_finish (client, result, &error);
  g_assert_no_error (error);
  g_assert_true (cd_sync_cache_set_user (cache, user, &error));

  return client;
}

static void
remove_cache (const char *path)
{
  g_autofree char *wal = g_strconcat (path, "-wal", NULL);
  g_autofree char *shm = g_strconcat (path, "-shm", NULL);
  g_autofree char *dir = g_path_get_dirname (path);

  g_unlink (path);
  g_unlink (wal);
  g_unlink (shm);
  g_rmdir (dir);
}

/* 1 and 2: first sync, flush ---------------------------------------------- */

static void
bench_first_sync_and_flush (guint    n_tickets,
                            guint    n_mutations,
                            gboolean do_resync,
                            gboolean do_flush)
{
  static const char * const skills[] = { "radiator", NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(CdTestServer) server = NULL;
  g_autoptr(GPtrArray) ids = NULL;
  g_autoptr(CdSyncCache) cache = NULL;
  g_autoptr(CdSyncClient) client = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  g_autofree char *seed_name = g_strdup_printf ("tickets-%u.db", n_tickets);
  guint n_rows = 0;
  gint64 start;
  double cpu_start, pull_s, pull_cpu, queue_s, flush_s;
  gint64 pull_rss;
  CdSyncPushResult stats = { 0 };

  n_mutations = MIN (n_mutations, n_tickets);

  /* --quiet-server: no escalation scan (it decodes every open ticket every
   * 30 s), to tell the client's time from the server's. */
  server = cd_test_server_new (quiet_server ? "[dispatch]\nbatch-interval=0\nescalation-interval=3600\n"
                                            : "[dispatch]\nbatch-interval=0\n");
  start = g_get_monotonic_time ();
  if (!seed_from_cache (server, seed_name))
    {
      g_autofree char *crew = cd_test_store_add_crew (server, "Heat 1", CD_UTILITY_HEAT, skills, 50,
                                                      39.905, 116.405);

      ids = seed_tickets (server, n_tickets);
      seed_to_cache (server, seed_name);
    }
  fprintf (stderr, "seeded %u tickets in %.2f s\n", n_tickets, (g_get_monotonic_time () - start) / 1e6);
  cd_test_server_launch (server);
  cd_test_server_add_user (server, "bench", "dispatcher", NULL, "pw-bench-secret");

  dir = g_dir_make_tmp ("crewdesk-bench-sync-XXXXXX", &error);
  g_assert_no_error (error);
  path = g_build_filename (dir, "cache.db", NULL);
  cache = cd_sync_cache_open (server->base_url, "bench", path, &error);
  g_assert_no_error (error);
  client = login (server, cache, "bench", "pw-bench-secret");
  wait_server_idle (server);
  if (page_size > 0)
    cd_sync_client_set_page_size (client, (guint) page_size);
  if (batch_size > 0)
    cd_sync_client_set_batch_size (client, (guint) batch_size);

  /* 1. First sync into the empty cache. */
  reset_peak_rss ();
  cpu_start = cpu_seconds ();
  start = g_get_monotonic_time ();
  cd_sync_client_pull_async (client, cache, result_cb, &result);
  wait (&result);
  if (!cd_sync_client_pull_finish (client, result, &n_rows, &error))
    g_error ("pull: %s", error->message);
  pull_s = (g_get_monotonic_time () - start) / 1e6;
  pull_cpu = cpu_seconds () - cpu_start;
  pull_rss = peak_rss_kib ();
  g_clear_object (&result);
  printf ("first sync: %u rows (%u tickets) in %.2f s (client CPU %.2f s), peak RSS %.1f MiB\n",
          n_rows, n_tickets, pull_s, pull_cpu, pull_rss / 1024.0);
  fflush (stdout);

  if (do_resync)
    {
      gint64 rev = cd_sync_cache_get_last_rev (cache, NULL);

      /* Ahead of the server: 410, then every row again over a full cache. */
      cd_sync_cache_lock (cache);
      g_assert_true (cd_store_begin (cd_sync_cache_get_store (cache), &error));
      g_assert_true (cd_store_set_last_rev (cd_sync_cache_get_store (cache), rev + 1000, &error));
      g_assert_true (cd_store_commit (cd_sync_cache_get_store (cache), &error));
      cd_sync_cache_unlock (cache);
      reset_peak_rss ();
      cpu_start = cpu_seconds ();
      start = g_get_monotonic_time ();
      cd_sync_client_pull_async (client, cache, result_cb, &result);
      wait (&result);
      if (!cd_sync_client_pull_finish (client, result, &n_rows, &error))
        g_error ("resync: %s", error->message);
      g_clear_object (&result);
      g_assert_cmpint (cd_sync_cache_get_last_rev (cache, NULL), ==, rev);
      printf ("resync after 410: %u rows in %.2f s (client CPU %.2f s), peak RSS %.1f MiB\n",
              n_rows, (g_get_monotonic_time () - start) / 1e6, cpu_seconds () - cpu_start,
              peak_rss_kib () / 1024.0);
      fflush (stdout);
    }

  if (do_flush)
    {
      /* The tickets of a kept database, read after the timed pull. */
      if (ids == NULL)
        ids = ticket_ids (server);
      n_mutations = MIN (n_mutations, ids->len);

      /* 2. Queue M status moves (each applied on the model), then flush. */
      start = g_get_monotonic_time ();
      for (guint i = 0; i < n_mutations; i++)
        {
          g_autofree char *id = g_uuid_string_random ();
          /* A status move: what a dispatcher does most. */
          g_autoptr(JsonNode) args = json_from_string ("{\"status\":\"contacted\"}", NULL);
          g_autoptr(CdMutation) m = cd_mutation_new (id, CD_MUTATION_OP_TICKET_SET_STATUS,
                                                     g_ptr_array_index (ids, i), -1, json_node_get_object (args));
          g_autoptr(GPtrArray) records = cd_sync_cache_submit (cache, m, &error);

          g_assert_no_error (error);
        }
      queue_s = (g_get_monotonic_time () - start) / 1e6;

      cpu_start = cpu_seconds ();
      start = g_get_monotonic_time ();
      cd_sync_client_push_async (client, cache, result_cb, &result);
      wait (&result);
      if (!cd_sync_client_push_finish (client, result, &stats, &error))
        g_error ("flush: %s", error->message);
      flush_s = (g_get_monotonic_time () - start) / 1e6;

      printf ("queue: %u mutations in %.2f s (%.0f µs each)\n", n_mutations, queue_s,
              queue_s * 1e6 / MAX (n_mutations, 1));
      printf ("flush: %u mutations in %.2f s (client CPU %.2f s) in %u batches "
              "(%u applied, %u conflicts, %u rejected)\n",
              n_mutations, flush_s, cpu_seconds () - cpu_start, stats.batches, stats.applied,
              stats.conflicts, stats.rejected);
      fflush (stdout);
    }

  g_clear_object (&client);
  g_clear_object (&cache);
  remove_cache (path);
}

/* 3. Latency -------------------------------------------------------------- */

typedef struct {
  gint64 sent_us;
  gint64 rev;        /* 0 until the reply */
  gint64 seen_us;    /* 0 until the model shows it */
} Sample;

typedef struct {
  CdSyncEngine *engine;
  CdSyncCache  *cache;
  SoupSession  *writer;
  char         *url;
  char         *token;
  GArray       *samples;   /* Sample */
  GArray       *seen_log;  /* (time, rev) pairs at each "changed" */
  guint         wanted;
  guint         in_flight;
  guint64       moved;
  GRand        *rand;
  gboolean      stop;
} Latency;

typedef struct {
  gint64 at_us;
  gint64 rev;
} Seen;

/* The first "changed" at or after @from_us with the cache at @rev. */
static gint64
seen_time (Latency *l,
           gint64   from_us,
           gint64   rev)
{
  for (guint i = 0; i < l->seen_log->len; i++)
    {
      Seen *s = &g_array_index (l->seen_log, Seen, i);

      if (s->at_us >= from_us && s->rev >= rev)
        return s->at_us;
    }

  return 0;
}

static void
engine_changed_cb (CdSyncEngine *engine,
                   gpointer      user_data)
{
  Latency *l = user_data;
  Seen s = { g_get_monotonic_time (), cd_sync_cache_get_last_rev (l->cache, NULL) };

  g_array_append_val (l->seen_log, s);
  for (guint i = 0; i < l->samples->len; i++)
    {
      Sample *sample = &g_array_index (l->samples, Sample, i);

      if (sample->rev > 0 && sample->seen_us == 0 && s.rev >= sample->rev)
        sample->seen_us = s.at_us;
    }
}

static void
crew_moved_cb (CdSyncEngine *engine,
               const char   *crew_id,
               double        lat,
               double        lon,
               double        heading,
               double        speed_kmh,
               gint64        at,
               gpointer      user_data)
{
  ((Latency *) user_data)->moved++;
}

static void send_change (Latency *l);

typedef struct {
  Latency *l;
  guint    index;
} Sent;

static void
change_sent_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autofree Sent *sent = user_data;
  Latency *l = sent->l;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);
  g_autoptr(JsonNode) root = NULL;
  Sample *sample = &g_array_index (l->samples, Sample, sent->index);
  JsonObject *r;

  l->in_flight--;
  if (body == NULL)
    g_error ("change: %s", error->message);
  root = json_from_string (g_bytes_get_data (body, NULL), &error);
  g_assert_no_error (error);
  r = json_array_get_object_element (json_object_get_array_member (json_node_get_object (root), "results"), 0);
  if (g_strcmp0 (json_object_get_string_member (r, "status"), "applied") != 0)
    g_error ("change refused: %s", (char *) g_bytes_get_data (body, NULL));
  sample->rev = json_object_get_int_member (json_object_get_object_member (
    json_array_get_object_element (json_object_get_array_member (r, "records"), 0), "record"), "rev");
  /* The poke may have been faster than the reply. */
  sample->seen_us = seen_time (l, sample->sent_us, sample->rev);
}

static gboolean
next_change_cb (gpointer user_data)
{
  Latency *l = user_data;

  if (!l->stop)
    send_change (l);
  return G_SOURCE_REMOVE;
}

/* A new ticket, as a dispatcher elsewhere files it. */
static void
send_change (Latency *l)
{
  g_autofree char *id = g_uuid_string_random ();
  g_autofree char *target = g_uuid_string_random ();
  g_autofree char *args = cd_test_ticket_args ("heat", "no-heat", "\"skills\":[\"radiator\"]");
  g_autofree char *text = g_strdup_printf ("{\"mutations\":[{\"id\":\"%s\",\"op\":\"ticket.create\","
                                           "\"target\":\"%s\",\"args\":%s}]}", id, target, args);
  g_autofree char *url = g_strconcat (l->url, "/api/v1/mutations", NULL);
  g_autofree char *auth = g_strconcat ("Bearer ", l->token, NULL);
  g_autoptr(SoupMessage) msg = soup_message_new ("POST", url);
  g_autoptr(GBytes) body = g_bytes_new (text, strlen (text));
  Sample sample = { 0 };
  Sent *sent = g_new0 (Sent, 1);

  soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", auth);
  soup_message_set_request_body_from_bytes (msg, "application/json", body);
  sample.sent_us = g_get_monotonic_time ();
  g_array_append_val (l->samples, sample);
  sent->l = l;
  sent->index = l->samples->len - 1;
  l->in_flight++;
  soup_session_send_and_read_async (l->writer, msg, G_PRIORITY_DEFAULT, NULL, change_sent_cb, sent);

  /* One change every 100 to 300 ms, not in step with anything. */
  if (l->samples->len < l->wanted)
    g_timeout_add (g_rand_int_range (l->rand, 100, 300), next_change_cb, l);
}

static int
compare_gint64 (gconstpointer a,
                gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;

  return x < y ? -1 : x > y;
}

static gboolean
all_seen (Latency *l)
{
  if (l->samples->len < l->wanted || l->in_flight > 0)
    return FALSE;
  for (guint i = 0; i < l->samples->len; i++)
    if (g_array_index (l->samples, Sample, i).seen_us == 0)
      return FALSE;
  return TRUE;
}

static char *
sim_binary (void)
{
  const char *env = g_getenv ("CREWDESK_SIM_BIN");
  g_autofree char *server_dir = NULL;
  g_autofree char *build_dir = NULL;

  if (env != NULL)
    return g_strdup (env);
  server_dir = g_path_get_dirname (g_getenv ("CREWDESK_SERVER_BIN"));
  build_dir = g_path_get_dirname (server_dir);
  return g_build_filename (build_dir, "sim", "crewdesk-sim", NULL);
}

#define BENCH_PASSWORD "pw-bench-secret"

/* @n_crews crews, each with its device user, a hotline user for the
 * simulator's customer reports, and two dispatchers: one for the client,
 * one making the changes. Every password is BENCH_PASSWORD (the
 * simulator logs in as every crew device with one password). */
static CdTestServer *
latency_server (guint n_crews)
{
  static const char * const skills[] = { "radiator", "welding", "cable", NULL };
  static const char * const staff[] = { "hotline", "dispatcher", "supervisor" };
  g_autofree char *seed_name = g_strdup_printf ("latency-%u.db", n_crews);
  CdTestServer *server = cd_test_server_new ("[dispatch]\nbatch-interval=0\n");
  g_autoptr(GPtrArray) crews = g_ptr_array_new_with_free_func (g_free);
  gint64 start = g_get_monotonic_time ();

  if (seed_from_cache (server, seed_name))
    {
      cd_test_server_launch (server);
      return server;
    }

  for (guint i = 0; i < n_crews; i++)
    {
      g_autofree char *name = g_strdup_printf ("Bench %03u", i + 1);

      /* Spread over the demo city (12 x 10 km around 39.9 N, 116.4 E). */
      g_ptr_array_add (crews, cd_test_store_add_crew (server, name, i % 2 ? CD_UTILITY_HEAT : CD_UTILITY_POWER,
                                                      skills, 5, 39.86 + (i % 25) * 0.0035,
                                                      116.33 + (i / 25) * 0.007));
    }
  cd_test_server_launch (server);
  for (guint i = 0; i < G_N_ELEMENTS (staff); i++)
    cd_test_server_add_user (server, staff[i], i == 2 ? "supervisor" : "dispatcher", NULL, BENCH_PASSWORD);
  for (guint i = 0; i < crews->len; i++)
    {
      g_autofree char *username = g_strdup_printf ("crew-%03u", i + 1);

      cd_test_server_add_user (server, username, "crew-device", g_ptr_array_index (crews, i), BENCH_PASSWORD);
    }
  fprintf (stderr, "latency: %u crews and their users in %.1f s\n", n_crews,
           (g_get_monotonic_time () - start) / 1e6);
  cd_test_server_kill (server, SIGTERM);
  seed_to_cache (server, seed_name);
  cd_test_server_launch (server);

  return server;
}

/* Position reports from the bench itself, when the simulator sends fewer
 * than its crews should: a thread posting for a few crews in turn. */
typedef struct {
  char       *url;
  GPtrArray  *tokens;    /* "token crew_id" */
  guint       per_second;
  gint        stop;      /* atomic */
  guint64     sent;
  GThread    *thread;
} Reporter;

static gpointer
reporter_thread (gpointer data)
{
  Reporter *r = data;
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(SoupSession) session = NULL;
  gint64 next = g_get_monotonic_time ();
  gint64 interval = G_USEC_PER_SEC / MAX (r->per_second, 1);
  guint i = 0;

  g_main_context_push_thread_default (context);
  session = soup_session_new_with_options ("timeout", 10, NULL);
  while (!g_atomic_int_get (&r->stop))
    {
      g_auto(GStrv) parts = g_strsplit (g_ptr_array_index (r->tokens, i++ % r->tokens->len), " ", 2);
      g_autofree char *url = g_strdup_printf ("%s/api/v1/crews/%s/position", r->url, parts[1]);
      g_autofree char *auth = g_strconcat ("Bearer ", parts[0], NULL);
      g_autofree char *body = g_strdup_printf ("{\"lat\":%.5f,\"lon\":%.5f,\"heading\":%u,\"speed_kmh\":30}",
                                               39.88 + (i % 100) * 0.0004, 116.36 + (i % 77) * 0.0005, i % 360);
      g_autoptr(SoupMessage) msg = soup_message_new ("POST", url);
      g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));
      g_autoptr(GBytes) reply = NULL;
      gint64 now;

      soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", auth);
      soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
      reply = soup_session_send_and_read (session, msg, NULL, NULL);
      r->sent++;
      next += interval;
      now = g_get_monotonic_time ();
      if (next > now)
        g_usleep (next - now);
    }
  g_main_context_pop_thread_default (context);

  return NULL;
}

static Reporter *
reporter_start (CdTestServer *server,
                guint         per_second)
{
  Reporter *r = g_new0 (Reporter, 1);

  r->url = g_strdup (server->base_url);
  r->per_second = per_second;
  r->tokens = g_ptr_array_new_with_free_func (g_free);
  /* Twenty crews, each reporting far more often than a real one: the
   * client sees the same stream of events. */
  for (guint i = 0; i < 20; i++)
    {
      g_autofree char *username = g_strdup_printf ("crew-%03u", 480 + i + 1);
      g_autofree char *token = cd_test_login (server, username, BENCH_PASSWORD);
      g_autofree char *path = g_strdup_printf ("/api/v1/me");
      g_autoptr(CdTestReply) me = cd_test_request (server, "GET", path, token, NULL);
      JsonObject *user = json_object_get_object_member (cd_test_reply_object (me), "user");

      g_ptr_array_add (r->tokens, g_strdup_printf ("%s %s", token, json_object_get_string_member (user, "crew_id")));
    }
  r->thread = g_thread_new ("bench-reporter", reporter_thread, r);
  return r;
}

static guint64
reporter_stop (Reporter *r)
{
  guint64 sent;

  g_atomic_int_set (&r->stop, 1);
  g_thread_join (r->thread);
  sent = r->sent;
  g_ptr_array_unref (r->tokens);
  g_free (r->url);
  g_free (r);
  return sent;
}

static void
die_with_parent (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

static gboolean
engine_online (CdSyncEngine *engine)
{
  return cd_sync_engine_get_status (engine) == CD_SYNC_STATUS_ONLINE;
}

static void
bench_latency (guint n_crews,
               guint n_samples)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CdTestServer) server = latency_server (n_crews);
  g_autoptr(GSubprocess) sim = NULL;
  g_autoptr(CdSyncCache) cache = NULL;
  g_autoptr(CdSyncClient) client = NULL;
  g_autoptr(CdSyncEngine) engine = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  g_autofree char *sim_bin = sim_binary ();
  g_autofree char *crews_arg = g_strdup_printf ("%u", n_crews);
  g_autofree gint64 *latencies = NULL;
  Latency l = { 0 };
  Reporter *reporter = NULL;
  guint warmup = MAX (n_samples / 10, 5);
  guint n = 0;
  gint64 start, moved_start;
  double cpu_start;

  /* The crews drive and report every 3 s, as crewdesk-sim does by default;
   * customers file a few reports a minute. */
  {
    g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
                                                                         G_SUBPROCESS_FLAGS_STDERR_SILENCE);

    g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
    sim = g_subprocess_launcher_spawn (launcher, &error, sim_bin, "--server", server->base_url,
                                       "--crews", crews_arg, "--rate", "6", "--password", BENCH_PASSWORD,
                                       "--seed", "7", NULL);
    g_assert_no_error (error);
  }

  dir = g_dir_make_tmp ("crewdesk-bench-sync-XXXXXX", &error);
  g_assert_no_error (error);
  path = g_build_filename (dir, "cache.db", NULL);
  cache = cd_sync_cache_open (server->base_url, "dispatcher", path, &error);
  g_assert_no_error (error);
  client = login (server, cache, "dispatcher", BENCH_PASSWORD);
  engine = cd_sync_engine_new (client, cache);

  l.engine = engine;
  l.cache = cache;
  l.url = server->base_url;
  l.token = cd_test_login (server, "supervisor", BENCH_PASSWORD);
  l.writer = soup_session_new_with_options ("timeout", 30, NULL);
  l.samples = g_array_new (FALSE, TRUE, sizeof (Sample));
  l.seen_log = g_array_new (FALSE, FALSE, sizeof (Seen));
  l.wanted = n_samples + warmup;
  l.rand = g_rand_new_with_seed (42);
  g_signal_connect (engine, "changed", G_CALLBACK (engine_changed_cb), &l);
  g_signal_connect (engine, "crew-moved", G_CALLBACK (crew_moved_cb), &l);

  cd_sync_engine_start (engine);
  while (!engine_online (engine))
    g_main_context_iteration (NULL, TRUE);
  /* Let every crew log in (a password hash each, on the server) and
   * start reporting: until the positions reaching the client come at
   * nine tenths of the rate the crews report at (one each 3 s). */
  start = g_get_monotonic_time ();
  for (;;)
    {
      guint64 before = l.moved;
      gint64 window = g_get_monotonic_time ();
      double rate;

      while (g_get_monotonic_time () - window < 5 * G_USEC_PER_SEC)
        g_main_context_iteration (NULL, TRUE);
      rate = (l.moved - before) / 5.0;
      fprintf (stderr, "latency: %.0f positions/s after %.0f s\n", rate, (g_get_monotonic_time () - start) / 1e6);
      if (rate >= 0.9 * n_crews / 3.0 || g_get_monotonic_time () - start > 60 * G_USEC_PER_SEC)
        {
          /* The simulator may deliver fewer (see docs/PERFORMANCE.md):
           * the bench makes up the difference. */
          guint missing = rate < n_crews / 3.0 ? (guint) (n_crews / 3.0 - rate) : 0;

          if (extra_positions >= 0)
            missing = (guint) extra_positions;
          if (missing > 0)
            {
              reporter = reporter_start (server, missing);
              fprintf (stderr, "latency: the bench adds %u positions/s\n", missing);
              window = g_get_monotonic_time ();
              before = l.moved;
              while (g_get_monotonic_time () - window < 5 * G_USEC_PER_SEC)
                g_main_context_iteration (NULL, TRUE);
              fprintf (stderr, "latency: %.0f positions/s\n", (l.moved - before) / 5.0);
            }
          break;
        }
    }

  moved_start = l.moved;
  cpu_start = cpu_seconds ();
  start = g_get_monotonic_time ();
  send_change (&l);
  {
    gint64 report = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

    while (!all_seen (&l))
      {
        g_main_context_iteration (NULL, TRUE);
        if (g_get_monotonic_time () > report)
          {
            guint seen = 0;

            for (guint i = 0; i < l.samples->len; i++)
              seen += g_array_index (l.samples, Sample, i).seen_us != 0;
            fprintf (stderr, "latency: %u changes sent, %u seen, %u in flight, engine %s at rev %" G_GINT64_FORMAT
                     ", %" G_GUINT64_FORMAT " positions\n", l.samples->len, seen, l.in_flight,
                     cd_sync_status_to_string (cd_sync_engine_get_status (engine)),
                     cd_sync_cache_get_last_rev (cache, NULL), l.moved);
            report = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
          }
      }
  }
  l.stop = TRUE;

  latencies = g_new (gint64, l.samples->len);
  for (guint i = warmup; i < l.samples->len; i++)
    {
      Sample *s = &g_array_index (l.samples, Sample, i);

      latencies[n++] = s->seen_us - s->sent_us;
    }
  qsort (latencies, n, sizeof (gint64), compare_gint64);
  {
    double seconds = (g_get_monotonic_time () - start) / 1e6;

    printf ("latency: %u changes with %u crews reporting (%.0f positions/s reached the client, "
            "client CPU %.0f%%): p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms\n",
            n, n_crews, (l.moved - moved_start) / seconds, 100 * (cpu_seconds () - cpu_start) / seconds,
            latencies[n / 2] / 1e3, latencies[(n * 9) / 10] / 1e3,
            latencies[MIN (n - 1, (n * 99) / 100)] / 1e3, latencies[n - 1] / 1e3);
  }

  if (reporter != NULL)
    reporter_stop (reporter);
  g_subprocess_force_exit (sim);
  g_subprocess_wait (sim, NULL, NULL);
  cd_sync_engine_stop (engine);
  g_signal_handlers_disconnect_by_data (engine, &l);
  g_clear_object (&l.writer);
  g_free (l.token);
  g_array_unref (l.samples);
  g_array_unref (l.seen_log);
  g_rand_free (l.rand);
  g_clear_object (&engine);
  g_clear_object (&client);
  g_clear_object (&cache);
  remove_cache (path);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = g_option_context_new ("- the sync client's benchmark");
  g_autoptr(GError) error = NULL;
  g_autofree char *phase = NULL;
  gint n_tickets = 100000, n_mutations = 10000, n_crews = 500, n_samples = 300;
  const GOptionEntry entries[] = {
    { "phase", 0, 0, G_OPTION_ARG_STRING, &phase, "all, first-sync, resync, flush or latency (default all)", "PHASE" },
    { "tickets", 0, 0, G_OPTION_ARG_INT, &n_tickets, "Tickets on the server (default 100000)", "N" },
    { "mutations", 0, 0, G_OPTION_ARG_INT, &n_mutations, "Mutations to flush (default 10000)", "M" },
    { "crews", 0, 0, G_OPTION_ARG_INT, &n_crews, "Simulated crews reporting (default 500)", "C" },
    { "samples", 0, 0, G_OPTION_ARG_INT, &n_samples, "Changes timed (default 300)", "S" },
    { "seed-cache", 0, 0, G_OPTION_ARG_FILENAME, &seed_cache, "Keep seeded databases here", "DIR" },
    { "page-size", 0, 0, G_OPTION_ARG_INT, &page_size, "Rows per page of the first sync (default: the client's)", "N" },
    { "batch-size", 0, 0, G_OPTION_ARG_INT, &batch_size, "Mutations per request of the flush (default: the client's)", "N" },
    { "extra-positions", 0, 0, G_OPTION_ARG_INT, &extra_positions,
      "Position reports per second sent by the bench itself, on top of the simulator's "
      "(default: what brings them to one per crew every 3 s)", "N" },
    { "quiet-server", 0, 0, G_OPTION_ARG_NONE, &quiet_server, "No escalation scans on the server", NULL },
    G_OPTION_ENTRY_NULL
  };
  gboolean all;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }
  all = phase == NULL || strcmp (phase, "all") == 0;
  cd_model_init ();

  if (all || g_strcmp0 (phase, "first-sync") == 0 || g_strcmp0 (phase, "resync") == 0 ||
      g_strcmp0 (phase, "flush") == 0)
    bench_first_sync_and_flush ((guint) n_tickets, (guint) n_mutations,
                                all || g_strcmp0 (phase, "resync") == 0,
                                all || g_strcmp0 (phase, "flush") == 0);
  if (all || g_strcmp0 (phase, "latency") == 0)
    bench_latency ((guint) MAX (n_crews, 40), (guint) MAX (n_samples, 20));

  g_free (seed_cache);
  return 0;
}
