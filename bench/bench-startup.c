/* SPDX-License-Identifier: GPL-3.0-or-later */
/* bench-startup.c: from launching crewdesk to its first drawn frame, with
 * a cache of N tickets (a year of a utility: --open-percent of them open)
 * and the server unreachable, as on a morning after an outage. Also the
 * time until the model is read (the views filled).
 *
 * Run under Xvfb:  xvfb-run -a _build/release/bench/bench-startup
 *
 * Output: one "key: value" per line; milliseconds, medians over --runs.
 */
#include "config.h"

#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>

#include "cd-bench-data.h"
#include "cd-store.h"
#include "cd-sync-cache.h"
#include "cd-user.h"

/* Nothing listens on the discard port: the app starts offline. */
#define SERVER_URL "http://127.0.0.1:9"
#define USERNAME   "dispatcher"

static gint n_tickets = 100000;
static gint open_percent = 5;
static gint n_runs = 5;
static char *app_path = NULL;
static char *schema_dir = NULL;

static GOptionEntry entries[] = {
  { "tickets", 0, 0, G_OPTION_ARG_INT, &n_tickets, "Tickets in the cache", "N" },
  { "open-percent", 0, 0, G_OPTION_ARG_INT, &open_percent, "Share of them open", "P" },
  { "runs", 0, 0, G_OPTION_ARG_INT, &n_runs, "Launches (median)", "N" },
  { "app", 0, 0, G_OPTION_ARG_FILENAME, &app_path, "The crewdesk binary (default: the build tree's)", "PATH" },
  { "schema-dir", 0, 0, G_OPTION_ARG_FILENAME, &schema_dir, "Compiled settings schema (default: the build tree's)", "DIR" },
  { NULL }
};

static void
die_on_error (const char *what,
              GError     *error)
{
  if (error != NULL)
    {
      fprintf (stderr, "bench-startup: %s: %s\n", what, error->message);
      exit (1);
    }
}

static int
cmp_double (const void *a,
            const void *b)
{
  double x = *(const double *) a;
  double y = *(const double *) b;

  return x < y ? -1 : x > y;
}

static double
median (double *v,
        guint   n)
{
  qsort (v, n, sizeof *v, cmp_double);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* The cache the app will open: crews, tickets, and the signed-in user. */
static void
fill_cache (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CdSyncCache) cache = NULL;
  g_autoptr(CdUser) user = cd_user_new ();
  g_autoptr(GPtrArray) crews = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GRand) rand = g_rand_new_with_seed (7);
  CdStore *store;
  gint64 start = g_get_monotonic_time ();

  cache = cd_sync_cache_open (SERVER_URL, USERNAME, NULL, &error);
  die_on_error ("open the cache", error);

  cd_record_set_id (CD_RECORD (user), "5d0c1d0e-0000-4000-8000-000000000001");
  CD_RECORD (user)->version = 1;
  user->username = g_strdup (USERNAME);
  user->display_name = g_strdup ("Dispatcher");
  user->role = CD_ROLE_DISPATCHER;
  user->active = TRUE;
  cd_sync_cache_set_user (cache, user, &error);
  die_on_error ("set the user", error);

  cd_sync_cache_lock (cache);
  store = cd_sync_cache_get_store (cache);
  cd_store_begin (store, &error);
  die_on_error ("begin", error);
  for (guint i = 0; i < 200; i++)
    {
      CdCrew *crew = cd_bench_make_crew (i);

      CD_RECORD (crew)->version = 1;
      CD_RECORD (crew)->rev = 1;
      cd_store_save (store, CD_RECORD (crew), &error);
      die_on_error ("save a crew", error);
      g_ptr_array_add (crews, crew);
    }
  for (gint n = 0; n < n_tickets; n++)
    {
      g_autoptr(CdTicket) t = cd_bench_make_ticket (rand, n, n_tickets, open_percent, crews);

      CD_RECORD (t)->version = 1;
      CD_RECORD (t)->rev = 2 + n;
      cd_store_save (store, CD_RECORD (t), &error);
      die_on_error ("save a ticket", error);
    }
  cd_store_commit (store, &error);
  die_on_error ("commit", error);
  cd_sync_cache_unlock (cache);

  printf ("tickets: %d\nopen_percent: %d\nfill_ms: %.0f\n", n_tickets, open_percent,
          (g_get_monotonic_time () - start) / 1000.0);
}

/* One launch: returns FALSE when the app did not report both moments. */
static gboolean
launch (double *first_frame_ms,
        double *model_ms,
        guint  *model_tickets)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                                                       G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  g_autoptr(GSubprocess) process = NULL;
  g_autofree char *out = NULL;
  gint64 t0, frame = 0, model = 0;
  g_auto(GStrv) lines = NULL;

  g_subprocess_launcher_setenv (launcher, "CREWDESK_BENCH_STARTUP", "1", TRUE);
  g_subprocess_launcher_setenv (launcher, "CREWDESK_CREDENTIALS", "file", TRUE);
  g_subprocess_launcher_setenv (launcher, "GSETTINGS_BACKEND", "memory", TRUE);
  g_subprocess_launcher_setenv (launcher, "GSETTINGS_SCHEMA_DIR", schema_dir, TRUE);
  g_subprocess_launcher_setenv (launcher, "GSK_RENDERER", "cairo", FALSE);
  g_subprocess_launcher_setenv (launcher, "GTK_A11Y", "none", TRUE);
  g_subprocess_launcher_setenv (launcher, "NO_AT_BRIDGE", "1", TRUE);

  t0 = g_get_real_time ();
  process = g_subprocess_launcher_spawn (launcher, &error, app_path,
                                         "--server", SERVER_URL, "--user", USERNAME, NULL);
  die_on_error ("launch crewdesk", error);
  g_subprocess_communicate_utf8 (process, NULL, NULL, &out, NULL, &error);
  die_on_error ("read crewdesk's output", error);

  lines = g_strsplit (out != NULL ? out : "", "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      if (g_str_has_prefix (lines[i], "first-frame-us: "))
        frame = g_ascii_strtoll (lines[i] + 16, NULL, 10);
      else if (g_str_has_prefix (lines[i], "model-loaded-us: "))
        model = g_ascii_strtoll (lines[i] + 17, NULL, 10);
      else if (g_str_has_prefix (lines[i], "model-tickets: "))
        *model_tickets = (guint) g_ascii_strtoull (lines[i] + 15, NULL, 10);
    }
  if (frame == 0 || model == 0)
    return FALSE;

  *first_frame_ms = (frame - t0) / 1000.0;
  *model_ms = (model - t0) / 1000.0;
  return TRUE;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) options = g_option_context_new ("- crewdesk's start-up time");
  g_autoptr(GError) error = NULL;
  g_autofree char *tmp = NULL;
  g_autofree char *data = NULL;
  g_autofree char *config = NULL;
  g_autofree char *bench_dir = NULL;
  g_autofree double *frames = NULL;
  g_autofree double *models = NULL;
  guint model_tickets = 0;

  g_option_context_add_main_entries (options, entries, NULL);
  if (!g_option_context_parse (options, &argc, &argv, &error))
    die_on_error ("options", error);

  bench_dir = g_path_get_dirname (argv[0]);
  if (app_path == NULL)
    app_path = g_build_filename (bench_dir, "..", "src", "app", "crewdesk", NULL);
  if (schema_dir == NULL)
    schema_dir = g_build_filename (bench_dir, "..", "data", NULL);

  /* Before anything asks GLib for the XDG folders: the cache goes where
   * the launched app will look for it. */
  tmp = g_dir_make_tmp ("crewdesk-bench-startup-XXXXXX", &error);
  die_on_error ("temporary folder", error);
  data = g_build_filename (tmp, "data", NULL);
  config = g_build_filename (tmp, "config", NULL);
  g_setenv ("XDG_DATA_HOME", data, TRUE);
  g_setenv ("XDG_CONFIG_HOME", config, TRUE);

  cd_model_init ();
  fill_cache ();

  frames = g_new (double, n_runs);
  models = g_new (double, n_runs);
  for (gint i = 0; i < n_runs; i++)
    {
      if (!launch (&frames[i], &models[i], &model_tickets))
        {
          fprintf (stderr, "bench-startup: crewdesk did not report its first frame "
                   "(is a display set? run under xvfb-run)\n");
          return 1;
        }
    }

  printf ("model_tickets: %u\n", model_tickets);
  printf ("first_frame_ms: %.0f\n", median (frames, n_runs));
  printf ("model_loaded_ms: %.0f\n", median (models, n_runs));

  {
    const char *rm_argv[] = { "rm", "-rf", tmp, NULL };

    if (!g_spawn_sync (NULL, (char **) rm_argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                       NULL, NULL, NULL, NULL))
      fprintf (stderr, "bench-startup: could not remove %s\n", tmp);
  }
  return 0;
}
