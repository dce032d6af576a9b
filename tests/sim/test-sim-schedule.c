/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-sim-schedule.c: crewdesk-sim's one schedule for every crew's jobs,
 * in virtual time: 500 crews reporting every 5 s over a simulated minute
 * each report 12 times, 100 reports in every second, none starved, also
 * when the main loop runs late or stalls. */
#include "config.h"

#include "cd-sim-schedule.h"

#define SECOND   ((gint64) G_USEC_PER_SEC)
#define N_CREWS  500
#define INTERVAL (5 * SECOND)
#define MINUTE   (60 * SECOND)
/* The virtual clock starts far from 0, as the monotonic clock does. */
#define T0       ((gint64) 1000 * SECOND)

typedef struct
{
  guint    index;
  GArray  *times;    /* gint64: when it ran */
  guint    missed;
  guint    runs_in_this_call;
} Crew;

typedef struct
{
  CdSimSchedule *schedule;
  Crew           crews[N_CREWS];
  guint          ids[N_CREWS];
  guint          calls;
} World;

static void
report_job (gpointer data,
            gint64   now,
            guint    missed)
{
  Crew *crew = data;

  g_array_append_val (crew->times, now);
  crew->missed += missed;
  crew->runs_in_this_call++;
}

static World *
world_new (gint64 interval)
{
  World *w = g_new0 (World, 1);

  w->schedule = cd_sim_schedule_new ();
  for (guint i = 0; i < N_CREWS; i++)
    {
      w->crews[i].index = i;
      w->crews[i].times = g_array_new (FALSE, FALSE, sizeof (gint64));
      w->ids[i] = cd_sim_schedule_add (w->schedule, T0 + cd_sim_schedule_spread (interval, i, N_CREWS),
                                       interval, report_job, &w->crews[i]);
      g_assert_cmpuint (w->ids[i], !=, 0);
    }
  return w;
}

static void
world_free (World *w)
{
  cd_sim_schedule_free (w->schedule);
  for (guint i = 0; i < N_CREWS; i++)
    g_array_unref (w->crews[i].times);
  g_free (w);
}

/* One run of the schedule at @now: no crew runs twice in it. */
static gint64
world_run (World  *w,
           gint64  now)
{
  gint64 next;

  for (guint i = 0; i < N_CREWS; i++)
    w->crews[i].runs_in_this_call = 0;
  next = cd_sim_schedule_run (w->schedule, now);
  w->calls++;
  for (guint i = 0; i < N_CREWS; i++)
    g_assert_cmpuint (w->crews[i].runs_in_this_call, <=, 1);
  g_assert_cmpint (next, >, now);
  return next;
}

static guint
count_in (Crew   *crew,
          gint64  from,
          gint64  to)
{
  guint n = 0;

  for (guint k = 0; k < crew->times->len; k++)
    {
      gint64 t = g_array_index (crew->times, gint64, k);

      if (t >= from && t < to)
        n++;
    }
  return n;
}

static gint64
max_gap (Crew   *crew,
         gint64  from,
         gint64  to)
{
  gint64 last = from, gap = 0;

  for (guint k = 0; k < crew->times->len; k++)
    {
      gint64 t = g_array_index (crew->times, gint64, k);

      if (t < from || t >= to)
        continue;
      gap = MAX (gap, t - last);
      last = t;
    }
  return MAX (gap, to - last);
}

static gint
compare_times (gconstpointer a,
               gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;

  return x < y ? -1 : x > y;
}

/* Woken exactly when the next job is due: every crew reports 12 times a
 * minute at its own fixed phase, 100 reports in every second, one every
 * 10 ms, and no crew waits more than one interval. */
static void
test_spread (void)
{
  World *w = world_new (INTERVAL);
  gint64 now = T0;
  gint64 per_second[60] = { 0 };
  GArray *all = g_array_new (FALSE, FALSE, sizeof (gint64));

  while (now < T0 + MINUTE)
    now = world_run (w, now);

  for (guint i = 0; i < N_CREWS; i++)
    {
      Crew *crew = &w->crews[i];
      gint64 phase = cd_sim_schedule_spread (INTERVAL, i, N_CREWS);

      g_assert_cmpuint (count_in (crew, T0, T0 + MINUTE), ==, 12);
      g_assert_cmpint (max_gap (crew, T0, T0 + MINUTE), <=, INTERVAL);
      g_assert_cmpuint (crew->missed, ==, 0);
      for (guint k = 0; k < crew->times->len; k++)
        {
          gint64 t = g_array_index (crew->times, gint64, k);

          /* On its grid: no drift. */
          g_assert_cmpint (t, ==, T0 + phase + k * INTERVAL);
          if (t < T0 + MINUTE)
            {
              per_second[(t - T0) / SECOND]++;
              g_array_append_val (all, t);
            }
        }
    }

  for (guint s = 0; s < 60; s++)
    g_assert_cmpint (per_second[s], ==, N_CREWS * SECOND / INTERVAL);

  /* Spread, not clumped: consecutive reports of the whole fleet 10 ms
   * apart (5 s / 500). */
  g_array_sort (all, compare_times);
  g_assert_cmpuint (all->len, ==, 12 * N_CREWS);
  for (guint k = 1; k < all->len; k++)
    g_assert_cmpint (g_array_index (all, gint64, k) - g_array_index (all, gint64, k - 1), ==, INTERVAL / N_CREWS);

  /* One wake-up per report, no more. */
  g_assert_cmpuint (w->calls, <=, 12 * N_CREWS + 1);

  g_array_unref (all);
  world_free (w);
}

/* A busy main loop: the schedule runs only every 250 ms, each time up to
 * 200 ms later still. Every crew still reports 12 times a minute, once per
 * interval, at most one late turn's worth behind, and never twice in one
 * wake-up to catch up. */
static void
test_late (void)
{
  World *w = world_new (INTERVAL);
  GRand *rand = g_rand_new_with_seed (42);
  gint64 now = T0;

  /* A little past the two minutes, for the last turns' late runs. */
  while (now < T0 + 2 * MINUTE + SECOND)
    {
      world_run (w, now);
      now += 250 * 1000 + g_rand_int_range (rand, 0, 200 * 1000);
    }

  for (guint i = 0; i < N_CREWS; i++)
    {
      Crew *crew = &w->crews[i];

      /* Each turn is due on the crew's grid and runs at most 450 ms late,
       * so each minute holds 12 of them, give or take the edges. */
      g_assert_cmpuint (count_in (crew, T0, T0 + MINUTE), >=, 11);
      g_assert_cmpuint (count_in (crew, T0, T0 + MINUTE), <=, 13);
      g_assert_cmpuint (count_in (crew, T0 + MINUTE, T0 + 2 * MINUTE), >=, 11);
      g_assert_cmpuint (count_in (crew, T0 + MINUTE, T0 + 2 * MINUTE), <=, 13);
      g_assert_cmpint (max_gap (crew, T0 + SECOND, T0 + 2 * MINUTE - SECOND), <=, INTERVAL + 450 * 1000);
      g_assert_cmpuint (crew->missed, ==, 0);
      /* Late, not drifting: the 24th turn is still due at phase + 23 intervals. */
      g_assert_cmpuint (crew->times->len, >=, 24);
      g_assert_cmpint (g_array_index (crew->times, gint64, 23) -
                       (T0 + cd_sim_schedule_spread (INTERVAL, i, N_CREWS) + 23 * INTERVAL), <, 450 * 1000);
    }

  g_rand_free (rand);
  world_free (w);
}

/* The main loop stalls for 12 s (two and a half intervals): every crew
 * runs once when it is back, its two missed turns counted, then goes on
 * on its own grid. */
static void
test_stall (void)
{
  World *w = world_new (INTERVAL);
  gint64 now = T0;

  while (now < T0 + 10 * SECOND)
    now = world_run (w, now);
  world_run (w, T0 + 22 * SECOND);
  now = cd_sim_schedule_next_due (w->schedule);
  while (now < T0 + 40 * SECOND)
    now = world_run (w, now);

  for (guint i = 0; i < N_CREWS; i++)
    {
      Crew *crew = &w->crews[i];
      gint64 phase = cd_sim_schedule_spread (INTERVAL, i, N_CREWS);
      /* Due at phase and 5 s + phase before the stall, then at 10, 15 and
       * (for phase <= 2 s) 20 s + phase by 22 s: one run, the rest missed. */
      guint due_before_stall = 2, missed = phase <= 2 * SECOND ? 2 : 1;

      g_assert_cmpuint (crew->missed, ==, missed);
      /* The one run at 22 s stands for the turns missed. */
      g_assert_cmpint (g_array_index (crew->times, gint64, due_before_stall), ==, T0 + 22 * SECOND);
      /* Then on the grid again, with no burst. */
      for (guint k = due_before_stall + 1; k < crew->times->len; k++)
        {
          gint64 t = g_array_index (crew->times, gint64, k);

          g_assert_cmpint ((t - T0 - phase) % INTERVAL, ==, 0);
          g_assert_cmpint (t - g_array_index (crew->times, gint64, k - 1), <=, INTERVAL);
        }
    }
  g_assert_cmpuint (cd_sim_schedule_get_missed (w->schedule), >=, N_CREWS);

  world_free (w);
}

static void
remover_job (gpointer data,
             gint64   now,
             guint    missed)
{
  World *w = data;

  /* A crew giving up removes its own job and another's from inside a
   * run. */
  if (w->ids[0] == 0)
    return;
  cd_sim_schedule_remove (w->schedule, w->ids[0]);
  cd_sim_schedule_remove (w->schedule, w->ids[1]);
  w->ids[0] = w->ids[1] = 0;
}

/* Removed jobs never run again, also when removed while the schedule
 * runs; the others go on. */
static void
test_remove (void)
{
  World *w = g_new0 (World, 1);
  gint64 now = T0;
  guint remover;

  w->schedule = cd_sim_schedule_new ();
  g_assert_cmpint (cd_sim_schedule_next_due (w->schedule), ==, G_MAXINT64);
  g_assert_cmpint (cd_sim_schedule_run (w->schedule, T0), ==, G_MAXINT64);
  for (guint i = 0; i < 3; i++)
    {
      w->crews[i].times = g_array_new (FALSE, FALSE, sizeof (gint64));
      /* All due at once: the order they were added in. */
      w->ids[i] = cd_sim_schedule_add (w->schedule, T0, SECOND, report_job, &w->crews[i]);
    }
  for (guint i = 3; i < N_CREWS; i++)
    w->crews[i].times = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_assert_cmpuint (cd_sim_schedule_get_n_jobs (w->schedule), ==, 3);

  now = world_run (w, now);
  g_assert_cmpint (now, ==, T0 + SECOND);
  for (guint i = 0; i < 3; i++)
    g_assert_cmpuint (w->crews[i].times->len, ==, 1);

  remover = cd_sim_schedule_add (w->schedule, T0 + SECOND, 10 * SECOND, remover_job, w);
  /* Due at the same time as the first three, after them. */
  now = world_run (w, now);
  g_assert_cmpuint (cd_sim_schedule_get_n_jobs (w->schedule), ==, 2);
  for (guint i = 0; i < 3; i++)
    g_assert_cmpuint (w->crews[i].times->len, ==, 2);

  while (now < T0 + 30 * SECOND)
    now = world_run (w, now);
  g_assert_cmpuint (w->crews[0].times->len, ==, 2);
  g_assert_cmpuint (w->crews[1].times->len, ==, 2);
  g_assert_cmpuint (w->crews[2].times->len, >=, 29);

  cd_sim_schedule_remove (w->schedule, remover);
  cd_sim_schedule_remove (w->schedule, w->ids[2]);
  g_assert_cmpuint (cd_sim_schedule_get_n_jobs (w->schedule), ==, 0);
  g_assert_cmpint (cd_sim_schedule_next_due (w->schedule), ==, G_MAXINT64);

  world_free (w);
}

/* cd_sim_schedule_spread() spreads any count over any period evenly. */
static void
test_spread_offsets (void)
{
  g_assert_cmpint (cd_sim_schedule_spread (INTERVAL, 0, N_CREWS), ==, 0);
  g_assert_cmpint (cd_sim_schedule_spread (INTERVAL, 1, N_CREWS), ==, 10 * 1000);
  g_assert_cmpint (cd_sim_schedule_spread (INTERVAL, N_CREWS - 1, N_CREWS), ==, INTERVAL - 10 * 1000);
  g_assert_cmpint (cd_sim_schedule_spread (INTERVAL, 0, 0), ==, 0);
  g_assert_cmpint (cd_sim_schedule_spread (7, 2, 3), ==, 4);
  /* No overflow with an hour and many crews. */
  g_assert_cmpint (cd_sim_schedule_spread (3600 * SECOND, 99999, 100000), ==, 3600 * SECOND - 36000);
}

static void
counting_job (gpointer data,
              gint64   now,
              guint    missed)
{
  guint *runs = data;

  (*runs)++;
}

static gboolean
give_up_cb (gpointer data)
{
  gboolean *gave_up = data;

  *gave_up = TRUE;
  return G_SOURCE_REMOVE;
}

/* On a main context, the schedule wakes up for its jobs by itself, also
 * for a job added after it was attached. */
static void
test_source (void)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  CdSimSchedule *schedule = cd_sim_schedule_new ();
  GSource *guard = g_timeout_source_new_seconds (30);
  gboolean gave_up = FALSE;
  guint early = 0, late = 0;

  g_source_set_callback (guard, give_up_cb, &gave_up, NULL);
  g_source_attach (guard, context);

  cd_sim_schedule_add (schedule, g_get_monotonic_time (), 20 * 1000, counting_job, &early);
  cd_sim_schedule_attach (schedule, context);
  cd_sim_schedule_add (schedule, g_get_monotonic_time () + 10 * 1000, 20 * 1000, counting_job, &late);

  while ((early < 3 || late < 3) && !gave_up)
    g_main_context_iteration (context, TRUE);
  g_assert_false (gave_up);

  cd_sim_schedule_free (schedule);
  g_source_destroy (guard);
  g_source_unref (guard);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/sim/schedule/spread", test_spread);
  g_test_add_func ("/sim/schedule/late", test_late);
  g_test_add_func ("/sim/schedule/stall", test_stall);
  g_test_add_func ("/sim/schedule/remove", test_remove);
  g_test_add_func ("/sim/schedule/spread-offsets", test_spread_offsets);
  g_test_add_func ("/sim/schedule/source", test_source);

  return g_test_run ();
}
