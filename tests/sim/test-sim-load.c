/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-sim-load.c: crewdesk-sim with 500 crews against the real
 * crewdesk-server on 127.0.0.1: every crew's position reaches the server,
 * and the simulator stops when told to.
 *
 * Nothing here asserts on speed: the bound is generous. A working
 * simulator has every crew reported within its first interval after the
 * logins (16 s on a 2-core machine, most of it the server checking 500
 * argon2 passwords); the bound only catches one that cannot serve all its
 * crews. Before the fix, 500 crews delivered 4 reports a second in total,
 * the first ones after 40 s, the last crew's after 115 s, and the
 * simulator ignored SIGTERM (its main loop never idle). */
#include "config.h"

#include <signal.h>
#include <sys/prctl.h>

#include "cd-json.h"
#include "cd-model.h"
#include "cd-store.h"
#include "cd-test-server.h"

#define N_CREWS      500
#define PASSWORD     "pw-sim-load-secret"
#define INTERVAL     "5"
#define BOUND_S      90
#define STOP_BOUND_S 30

/* Crews and their device users, straight into the database: one argon2
 * hash made by the server binary (for the hotline user) serves every user,
 * since they share the password. */
static void
fill (CdTestServer *server)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CdStore) store = NULL;
  g_autoptr(CdUser) hotline = NULL;
  g_autofree char *hash = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  cd_test_server_add_user (server, "hotline", "dispatcher", NULL, PASSWORD);

  store = cd_store_open (server->db_path, &error);
  g_assert_no_error (error);
  hotline = cd_store_find_user (store, "hotline", &error);
  g_assert_no_error (error);
  hash = cd_store_get_password (store, CD_RECORD (hotline)->id, &error);
  g_assert_no_error (error);
  g_assert_nonnull (hash);

  g_assert_true (cd_store_begin (store, &error));
  for (guint i = 0; i <= N_CREWS; i++)
    {
      static const char * const skills[] = { "lv-repair", NULL };
      g_autoptr(CdUser) user = cd_user_new ();
      g_autofree char *crew_id = NULL;
      gint64 rev;

      if (i < N_CREWS)
        {
          g_autoptr(CdCrew) crew = cd_crew_new ();

          crew_id = g_uuid_string_random ();
          rev = cd_store_next_rev (store, &error);
          g_assert_no_error (error);
          CD_RECORD (crew)->id = g_strdup (crew_id);
          CD_RECORD (crew)->version = 1;
          CD_RECORD (crew)->rev = rev;
          crew->name = g_strdup_printf ("Load %03u", i);
          crew->utility = CD_UTILITY_POWER;
          crew->status = CD_CREW_STATUS_AVAILABLE;
          crew->skills = g_strdupv ((char **) skills);
          crew->capacity = 2;
          crew->shift_start = now - 3600;
          crew->shift_end = now + 12 * 3600;
          crew->updated_at = now;
          g_assert_true (cd_store_save (store, CD_RECORD (crew), &error));
          g_assert_no_error (error);
          /* Last seen an hour ago, in the middle of the demo city. */
          g_assert_true (cd_store_set_crew_position (store, crew_id, 39.9 + i * 1e-4, 116.4, 0, 0, now - 3600, &error));
          g_assert_no_error (error);
        }

      rev = cd_store_next_rev (store, &error);
      g_assert_no_error (error);
      CD_RECORD (user)->id = g_uuid_string_random ();
      CD_RECORD (user)->version = 1;
      CD_RECORD (user)->rev = rev;
      /* And one admin, for /metrics. */
      user->username = i < N_CREWS ? g_strdup_printf ("load-%03u", i) : g_strdup ("admin");
      user->role = i < N_CREWS ? CD_ROLE_CREW_DEVICE : CD_ROLE_ADMIN;
      user->crew_id = g_steal_pointer (&crew_id);
      user->active = TRUE;
      user->updated_at = now;
      g_assert_true (cd_store_save (store, CD_RECORD (user), &error));
      g_assert_no_error (error);
      g_assert_true (cd_store_set_password (store, CD_RECORD (user)->id, hash, &error));
      g_assert_no_error (error);
    }
  g_assert_true (cd_store_commit (store, &error));
  g_assert_no_error (error);
}

/* Crews whose position the server has from @since on. */
static guint
count_reported (CdTestServer *server,
                const char   *token,
                gint64        since)
{
  g_autoptr(CdTestReply) reply = cd_test_request (server, "GET", "/api/v1/snapshot", token, NULL);
  JsonArray *crews;
  guint n = 0;

  g_assert_cmpuint (reply->status, ==, 200);
  crews = json_object_get_array_member (cd_test_reply_object (reply), "crews");
  for (guint i = 0; i < json_array_get_length (crews); i++)
    {
      JsonObject *c = json_array_get_object_element (crews, i);
      JsonNode *p = json_object_get_member (c, "position");
      gint64 at = 0;

      if (p != NULL && JSON_NODE_HOLDS_OBJECT (p) &&
          json_object_has_member (json_node_get_object (p), "at") &&
          cd_json_parse_time (json_object_get_string_member (json_node_get_object (p), "at"), &at) &&
          at >= since)
        n++;
    }
  return n;
}

/* A test that fails half-way leaves no simulator behind. */
static void
die_with_parent (gpointer data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

static void
exited_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      data)
{
  gboolean *exited = data;

  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  *exited = TRUE;
}

static gboolean
give_up_cb (gpointer data)
{
  gboolean *gave_up = data;

  *gave_up = TRUE;
  return G_SOURCE_REMOVE;
}

static void
print_log_tail (const char *path)
{
  g_autofree char *text = NULL;
  gsize length = 0;

  if (g_file_get_contents (path, &text, &length, NULL))
    g_test_message ("crewdesk-sim's output ends with:\n%s", text + (length > 3000 ? length - 3000 : 0));
}

static void
test_every_crew_reports (void)
{
  g_autoptr(CdTestServer) server = cd_test_server_new (NULL);
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDERR_MERGE);
  g_autoptr(GSubprocess) sim = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *token = NULL;
  g_autofree char *admin = NULL;
  g_autofree char *url = NULL;
  g_autofree char *sim_log = NULL;
  gint64 since, started, all_at = 0, reports_before, reports_after;
  guint reported = 0;
  gboolean exited = FALSE, gave_up = FALSE;
  guint guard;

  fill (server);
  cd_test_server_launch (server);
  token = cd_test_login (server, "hotline", PASSWORD);
  admin = cd_test_login (server, "admin", PASSWORD);
  g_assert_cmpuint (count_reported (server, token, 1), ==, N_CREWS);
  reports_before = cd_test_metric (server, admin, "crewdesk_position_reports_total");

  /* Positions carry the server's time in seconds: a report in this second
   * or later is one of the simulator's. */
  since = g_get_real_time () / G_USEC_PER_SEC;
  started = g_get_monotonic_time ();
  url = g_strdup_printf ("http://127.0.0.1:%u", server->port);
  sim_log = g_build_filename (server->dir, "sim.log", NULL);
  g_subprocess_launcher_set_stdout_file_path (launcher, sim_log);
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  sim = g_subprocess_launcher_spawn (launcher, &error, g_getenv ("CREWDESK_SIM_BIN"), "--server", url,
                                     "--crews", G_STRINGIFY (N_CREWS), "--interval", INTERVAL, "--rate", "0",
                                     "--password", PASSWORD, "--hotline-user", "hotline", "--seed", "11", NULL);
  g_assert_no_error (error);
  g_subprocess_wait_async (sim, NULL, exited_cb, &exited);

  /* Every crew's position arrives, within a generous bound. */
  while (g_get_monotonic_time () - started < BOUND_S * G_USEC_PER_SEC)
    {
      g_usleep (2 * G_USEC_PER_SEC);
      while (g_main_context_iteration (NULL, FALSE))
        ;
      if (exited)
        print_log_tail (sim_log);
      g_assert_false (exited);
      reported = count_reported (server, token, since);
      if (reported == N_CREWS)
        {
          all_at = g_get_monotonic_time ();
          break;
        }
    }
  if (reported < N_CREWS)
    print_log_tail (sim_log);
  g_assert_cmpuint (reported, ==, N_CREWS);

  /* Figures for the log, not for asserting. */
  g_usleep (10 * G_USEC_PER_SEC);
  reports_after = cd_test_metric (server, admin, "crewdesk_position_reports_total");
  g_test_message ("every one of %d crews reported %.1f s after the simulator started; "
                  "%" G_GINT64_FORMAT " reports in %.1f s", N_CREWS, (all_at - started) / 1e6,
                  reports_after - reports_before, (g_get_monotonic_time () - started) / 1e6);

  /* Told to stop, the simulator stops, busy or not. */
  g_subprocess_send_signal (sim, SIGTERM);
  guard = g_timeout_add_seconds (STOP_BOUND_S, give_up_cb, &gave_up);
  while (!exited && !gave_up)
    g_main_context_iteration (NULL, TRUE);
  if (!exited)
    {
      print_log_tail (sim_log);
      g_subprocess_force_exit (sim);
      while (!exited)
        g_main_context_iteration (NULL, TRUE);
      g_test_fail_printf ("crewdesk-sim did not stop within %d s of SIGTERM", STOP_BOUND_S);
      return;
    }
  g_source_remove (guard);
  g_assert_true (g_subprocess_get_if_exited (sim));
  g_assert_cmpint (g_subprocess_get_exit_status (sim), ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  cd_test_init (&argc, &argv);
  cd_model_init ();

  g_test_add_func ("/sim/load/every-crew-reports", test_every_crew_reports);

  return g_test_run ();
}
