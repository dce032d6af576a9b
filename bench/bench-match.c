/* SPDX-License-Identifier: GPL-3.0-or-later */
/* bench-match.c: times the batch matcher and the per-ticket ranking on a
 * storm-sized random city, and can dump the batch cost matrix so that
 * bench/match.py solves the very same problem with scipy.
 *
 * Output: one "key: value" per line. Dump format: the 8 bytes "CDCOST01",
 * rows and cols as little-endian uint64, then rows × cols little-endian
 * float64, row-major, inf where a pair is infeasible.
 */

#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cd-lap.h"
#include "cd-match.h"

#define CITY_LAT 45.75
#define CITY_LON 126.65
#define N_SKILLS 6
#define AREA_COLS 4
#define AREA_ROWS 2

static gint n_tickets = 2000;
static gint n_crews = 300;
static gint n_runs = 7;
/* The ranking takes microseconds: time blocks of calls, take the median
 * block. */
#define RANK_BLOCKS 201
#define RANK_PER_BLOCK 20
static gint seed = 20240611;
static char *dump_path = NULL;

static GOptionEntry entries[] = {
  { "tickets", 0, 0, G_OPTION_ARG_INT, &n_tickets, "Number of tickets", "N" },
  { "crews", 0, 0, G_OPTION_ARG_INT, &n_crews, "Number of crews", "N" },
  { "runs", 0, 0, G_OPTION_ARG_INT, &n_runs, "Timed runs of the batch (median)", "N" },
  { "seed", 0, 0, G_OPTION_ARG_INT, &seed, "Random seed of the instance", "S" },
  { "dump", 0, 0, G_OPTION_ARG_FILENAME, &dump_path, "Write the batch cost matrix to FILE", "FILE" },
  { NULL }
};

/* A 30 km square city cut into AREA_COLS × AREA_ROWS service areas. */
static void
random_place (GRand  *rand,
              double *lat,
              double *lon,
              gint   *area)
{
  double y = g_rand_double (rand);
  double x = g_rand_double (rand);

  *lat = CITY_LAT + (y - 0.5) * 0.27;
  *lon = CITY_LON + (x - 0.5) * 0.385;
  *area = MIN ((gint) (y * AREA_ROWS), AREA_ROWS - 1) * AREA_COLS +
          MIN ((gint) (x * AREA_COLS), AREA_COLS - 1);
}

static void
make_instance (GRand         *rand,
               CdMatchParams *params,
               CdMatchTicket *tickets,
               CdMatchCrew   *crews)
{
  cd_match_params_init_default (params);
  for (guint a = 0; a < AREA_COLS * AREA_ROWS; a++)
    params->detour_factor[a] = g_rand_double_range (rand, 1.2, 1.6);

  for (gint c = 0; c < n_crews; c++)
    {
      CdMatchCrew *crew = &crews[c];
      gint area;

      random_place (rand, &crew->lat, &crew->lon, &area);
      crew->utility = g_rand_int_range (rand, 0, 100) < 55 ? CD_UTILITY_HEAT : CD_UTILITY_POWER;
      /* Three to five of the six skills. */
      crew->skills = (1 << N_SKILLS) - 1;
      for (gint drop = g_rand_int_range (rand, 1, 4); drop > 0; drop--)
        crew->skills &= ~(G_GUINT64_CONSTANT (1) << g_rand_int_range (rand, 0, N_SKILLS));
      crew->on_shift = g_rand_int_range (rand, 0, 100) < 90;
      crew->capacity = g_rand_int_range (rand, 1, 4);
      /* Half the crews are idle, the others carry one ticket or more. */
      crew->load = g_rand_boolean (rand) ? 0 : g_rand_int_range (rand, 1, crew->capacity + 1);
      crew->areas = G_GUINT64_CONSTANT (1) << area;
      if (g_rand_boolean (rand))
        crew->areas |= G_GUINT64_CONSTANT (1) << g_rand_int_range (rand, 0, AREA_COLS * AREA_ROWS);
      crew->speed_kmh = g_rand_int_range (rand, 0, 3) == 0 ? g_rand_double_range (rand, 25, 45) : 0;
    }

  for (gint t = 0; t < n_tickets; t++)
    {
      CdMatchTicket *ticket = &tickets[t];
      gint roll = g_rand_int_range (rand, 0, 100);

      random_place (rand, &ticket->lat, &ticket->lon, &ticket->area);
      ticket->utility = g_rand_int_range (rand, 0, 100) < 55 ? CD_UTILITY_HEAT : CD_UTILITY_POWER;
      ticket->skills_required = 0;
      for (gint need = g_rand_int_range (rand, 0, 3); need > 0; need--)
        ticket->skills_required |= G_GUINT64_CONSTANT (1) << g_rand_int_range (rand, 0, N_SKILLS);
      ticket->urgency = roll < 70 ? CD_URGENCY_NORMAL : roll < 90 ? CD_URGENCY_URGENT : CD_URGENCY_EMERGENCY;
      ticket->pinned = FALSE;
      ticket->assigned_crew = -1;
      roll = g_rand_int_range (rand, 0, 100);
      if (roll < 10)
        {
          ticket->assigned_crew = g_rand_int_range (rand, 0, n_crews);
        }
      else if (roll < 13)
        {
          ticket->assigned_crew = g_rand_int_range (rand, 0, n_crews);
          ticket->pinned = TRUE;
        }
    }
}

static int
compare_doubles (const void *a,
                 const void *b)
{
  double x = *(const double *) a;
  double y = *(const double *) b;

  return (x > y) - (x < y);
}

static double
median (double *values,
        guint   n)
{
  qsort (values, n, sizeof (double), compare_doubles);
  return n % 2 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

static gboolean
dump_matrix (const CdMatchProblem  *problem,
             const char            *path,
             GError               **error)
{
  FILE *f = fopen (path, "wb");
  guint64 header[2] = {
    GUINT64_TO_LE ((guint64) problem->n_rows),
    GUINT64_TO_LE ((guint64) problem->n_cols),
  };
  gsize n = (gsize) problem->n_rows * problem->n_cols;
  gboolean ok;

  if (f == NULL)
    {
      int saved = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                   "Cannot write %s: %s", path, g_strerror (saved));
      return FALSE;
    }

  ok = fwrite ("CDCOST01", 1, 8, f) == 8 && fwrite (header, sizeof header, 1, f) == 1;
  for (gsize k = 0; ok && k < n; k++)
    {
      guint64 bits;

      memcpy (&bits, &problem->cost[k], sizeof bits);
      bits = GUINT64_TO_LE (bits);
      ok = fwrite (&bits, sizeof bits, 1, f) == 1;
    }
  ok = (fclose (f) == 0) && ok;

  if (!ok)
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_IO, "Cannot write %s", path);
  return ok;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = g_option_context_new ("- time crew matching");
  g_autoptr(GError) error = NULL;
  g_autoptr(GRand) rand = NULL;
  g_autoptr(CdMatchProblem) problem = NULL;
  g_autofree CdMatchTicket *tickets = NULL;
  g_autofree CdMatchCrew *crews = NULL;
  g_autofree gint *out = NULL;
  g_autofree gint *row_to_col = NULL;
  g_autofree double *batch_ms = NULL;
  g_autofree double *build_ms = NULL;
  g_autofree double *lap_ms = NULL;
  g_autofree double *rank_us = NULL;
  CdMatchParams params;
  double total = 0;
  double lap_total = 0;
  guint assigned = 0;
  guint feasible = 0;
  gint64 start;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }
  if (n_tickets < 1 || n_crews < 1 || n_runs < 1)
    {
      g_printerr ("--tickets, --crews and --runs must be positive\n");
      return 2;
    }

  rand = g_rand_new_with_seed (seed);
  tickets = g_new0 (CdMatchTicket, n_tickets);
  crews = g_new0 (CdMatchCrew, n_crews);
  out = g_new (gint, n_tickets);
  make_instance (rand, &params, tickets, crews);

  batch_ms = g_new (double, n_runs);
  build_ms = g_new (double, n_runs);
  lap_ms = g_new (double, n_runs);
  rank_us = g_new (double, RANK_BLOCKS);

  for (gint r = 0; r < n_runs; r++)
    {
      start = g_get_monotonic_time ();
      if (!cd_match_batch (&params, tickets, n_tickets, crews, n_crews, out, &total, &error))
        {
          g_printerr ("%s\n", error->message);
          return 1;
        }
      batch_ms[r] = (g_get_monotonic_time () - start) / 1000.0;
    }
  for (gint t = 0; t < n_tickets; t++)
    assigned += out[t] >= 0;

  /* The two halves of the batch, separately. */
  for (gint r = 0; r < n_runs; r++)
    {
      g_clear_pointer (&problem, cd_match_problem_free);
      start = g_get_monotonic_time ();
      problem = cd_match_problem_new (&params, tickets, n_tickets, crews, n_crews);
      build_ms[r] = (g_get_monotonic_time () - start) / 1000.0;
    }
  row_to_col = g_new (gint, problem->n_rows);
  for (gint r = 0; r < n_runs; r++)
    {
      start = g_get_monotonic_time ();
      cd_lap_solve (problem->n_rows, problem->n_cols, problem->cost,
                    row_to_col, &lap_total, NULL);
      lap_ms[r] = (g_get_monotonic_time () - start) / 1000.0;
    }
  for (gsize k = 0; k < (gsize) problem->n_rows * problem->n_cols; k++)
    feasible += isfinite (problem->cost[k]);

  for (gint b = 0; b < RANK_BLOCKS; b++)
    {
      start = g_get_monotonic_time ();
      for (gint r = 0; r < RANK_PER_BLOCK; r++)
        g_array_unref (cd_match_rank (&params, &tickets[0], crews, n_crews));
      rank_us[b] = (double) (g_get_monotonic_time () - start) / RANK_PER_BLOCK;
    }

  if (dump_path != NULL && !dump_matrix (problem, dump_path, &error))
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }

  g_print ("tickets: %d\n", n_tickets);
  g_print ("crews: %d\n", n_crews);
  g_print ("seed: %d\n", seed);
  g_print ("rows: %u\n", problem->n_rows);
  g_print ("cols: %u\n", problem->n_cols);
  g_print ("feasible_pairs: %u\n", feasible);
  g_print ("runs: %d\n", n_runs);
  g_print ("batch_ms: %.3f\n", median (batch_ms, n_runs));
  g_print ("build_ms: %.3f\n", median (build_ms, n_runs));
  g_print ("lap_ms: %.3f\n", median (lap_ms, n_runs));
  g_print ("rank_runs: %d\n", RANK_BLOCKS * RANK_PER_BLOCK);
  g_print ("rank_us: %.2f\n", median (rank_us, RANK_BLOCKS));
  g_print ("total_cost: %.9f\n", total);
  g_print ("lap_total_cost: %.9f\n", lap_total);
  g_print ("assigned: %u\n", assigned);

  g_free (dump_path);
  return 0;
}
