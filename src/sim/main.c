/* SPDX-License-Identifier: GPL-3.0-or-later */
/* crewdesk-sim: plays the demo city's field crews and customers against a
 * running crewdesk-server. */
#include "config.h"

#include <glib-unix.h>
#include <locale.h>
#include <math.h>

#include "cd-sim.h"

typedef struct
{
  GMainLoop *loop;
  gboolean   ok;
  GError    *error;
} Run;

static gboolean
interrupted_cb (gpointer data)
{
  g_cancellable_cancel (data);
  return G_SOURCE_CONTINUE;
}

static void
run_done_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      data)
{
  Run *run = data;

  run->ok = cd_sim_run_finish (CD_SIM (source), result, &run->error);
  g_main_loop_quit (run->loop);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(CdSim) sim = NULL;
  g_autoptr(GCancellable) cancellable = NULL;
  g_autofree char *summary = NULL;
  CdSimOptions options;
  Run run = { 0 };
  char *server = NULL, *password = NULL, *hotline = NULL, *storm_district = NULL;
  gint crews = -1, storm_size = 0, duration = 0, seed = 0, timeout = 0;
  double rate = -1, speedup = -1, interval = -1;
  gboolean storm = FALSE, verbose = FALSE;
  guint sig_int, sig_term;
  GOptionEntry entries[] = {
    { "server", 's', 0, G_OPTION_ARG_STRING, &server, "Server address (default http://127.0.0.1:8765)", "URL" },
    { "crews", 'c', 0, G_OPTION_ARG_INT, &crews, "Crews to play (default: every crew device on the server)", "N" },
    { "rate", 'r', 0, G_OPTION_ARG_DOUBLE, &rate, "New customer reports per minute (default 2; 0: none)", "PER_MINUTE" },
    { "storm", 0, 0, G_OPTION_ARG_NONE, &storm, "Send a burst of outage reports in one district", NULL },
    { "storm-district", 0, 0, G_OPTION_ARG_STRING, &storm_district, "District of the storm (default: drawn from the seed)", "ID" },
    { "storm-size", 0, 0, G_OPTION_ARG_INT, &storm_size, "Reports in the storm (default 30)", "N" },
    { "speedup", 'x', 0, G_OPTION_ARG_DOUBLE, &speedup, "Simulated time per real time, for driving and repairs (default 1)", "X" },
    { "duration", 'd', 0, G_OPTION_ARG_INT, &duration, "Stop after this many seconds (default 0: run until interrupted)", "SECONDS" },
    { "password", 'p', 0, G_OPTION_ARG_STRING, &password, "Password of the simulated users (default demo)", "PASSWORD" },
    { "hotline-user", 0, 0, G_OPTION_ARG_STRING, &hotline, "Dispatcher user that files the customer reports (default hotline)", "USER" },
    { "interval", 'i', 0, G_OPTION_ARG_DOUBLE, &interval, "Seconds between a crew's position reports (default 3)", "SECONDS" },
    { "timeout", 0, 0, G_OPTION_ARG_INT, &timeout, "HTTP timeout in seconds (default 15)", "SECONDS" },
    { "seed", 0, 0, G_OPTION_ARG_INT, &seed, "Seed of the random choices, to repeat a run (default: a new one each run)", "N" },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose, "Log one line per action", NULL },
    { NULL }
  };

  setlocale (LC_ALL, "");

  context = g_option_context_new ("- play field crews and customers against crewdesk-server");
  g_option_context_set_summary (context,
                                "Logs in as every crew device of the demo city (crewdesk-server --demo), drives\n"
                                "the crews along the streets to their tickets and reports their positions, and\n"
                                "files new customer reports through the hotline user.");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("crewdesk-sim: %s\n", error->message);
      return 2;
    }

  cd_sim_options_init (&options);
  if (server)
    {
      g_free (options.server_url);
      options.server_url = server;
    }
  if (password)
    {
      g_free (options.password);
      options.password = password;
    }
  if (hotline)
    {
      g_free (options.hotline_user);
      options.hotline_user = hotline;
    }
  options.storm_district = storm_district;
  options.crews = crews;
  options.storm = storm || storm_district != NULL;
  options.verbose = verbose;
  /* A new seed each run, or the server would take today's reports for
   * repeats of yesterday's; printed, so that a run can be repeated. */
  options.seed = seed != 0 ? (guint32) seed : g_random_int_range (1, G_MAXINT32);
  if (rate >= 0)
    options.rate = rate;
  if (storm_size > 0)
    options.storm_size = storm_size;
  if (speedup != -1)
    options.speedup = speedup;
  if (interval != -1)
    options.report_interval = interval;
  if (timeout > 0)
    options.timeout = timeout;
  if (duration < 0 || !(options.speedup > 0 && options.speedup <= 1000) ||
      !(options.report_interval >= 0.05 && options.report_interval <= 3600) ||
      !isfinite (options.rate) || options.rate > 60000)
    {
      g_printerr ("crewdesk-sim: --duration must be 0 or more, --speedup above 0 and at most 1000, "
                  "--interval from 0.05 to 3600 seconds, --rate from 0 to 60000.\n");
      cd_sim_options_clear (&options);
      return 2;
    }
  options.duration = duration;
  /* Polls follow the reports' pace, but no faster than every two seconds. */
  options.poll_interval = MAX (2.0, MIN (5.0, options.report_interval * 2));

  sim = cd_sim_new (&options);
  cd_sim_options_clear (&options);

  cancellable = g_cancellable_new ();
  run.loop = g_main_loop_new (NULL, FALSE);
  sig_int = g_unix_signal_add (SIGINT, interrupted_cb, cancellable);
  sig_term = g_unix_signal_add (SIGTERM, interrupted_cb, cancellable);

  cd_sim_run_async (sim, cancellable, run_done_cb, &run);
  g_main_loop_run (run.loop);

  g_source_remove (sig_int);
  g_source_remove (sig_term);
  g_main_loop_unref (run.loop);

  summary = cd_sim_describe (sim);
  g_print ("crewdesk-sim: %s\n", summary);

  if (!run.ok)
    {
      g_printerr ("crewdesk-sim: %s\n", run.error->message);
      g_clear_error (&run.error);
      return 1;
    }

  return 0;
}
