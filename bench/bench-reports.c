/* SPDX-License-Identifier: GPL-3.0-or-later */
/* bench-reports.c: times the manager's reports, the supervisor's timers
 * and the callback queue over a deterministic (seeded) history of 100,000
 * tickets with their callbacks and assignment events.
 *
 * The history spans 91 days of a heating season (2025-09-01 to 2025-11-30,
 * so the business-hours calendar meets the October holidays), ten service
 * areas, sixty crews and 40,000 customer accounts; the mix of categories,
 * urgencies, late milestones, pauses, repeat reports, cancellations,
 * callback outcomes and manual overrides is written below. Each figure is
 * the median of --runs runs, in wall-clock milliseconds and, in brackets,
 * CPU milliseconds of the process (steadier on a shared machine: other
 * work on the same cores stretches the wall clock, not the CPU time).
 * Output: one "key: value" per line.
 */

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "cd-callback-queue.h"
#include "cd-model.h"
#include "cd-report.h"
#include "cd-sla-clock.h"
#include "cd-timers.h"

#define N_AREAS     10
#define N_CREWS     60
#define N_CUSTOMERS 40000
#define DAYS        91

static gint n_tickets = 100000;
static gint n_runs = 7;
static gint seed = 20251123;

static GOptionEntry entries[] = {
  { "tickets", 0, 0, G_OPTION_ARG_INT, &n_tickets, "Number of tickets", "N" },
  { "runs", 0, 0, G_OPTION_ARG_INT, &n_runs, "Timed runs of each report (median)", "N" },
  { "seed", 0, 0, G_OPTION_ARG_INT, &seed, "Random seed of the history", "S" },
  { NULL }
};

typedef struct {
  CdCategory category;
  guint      weight;   /* per mille */
} CategoryMix;

static const CategoryMix category_mix[] = {
  { CD_CATEGORY_NO_HEAT, 240 },
  { CD_CATEGORY_LOW_TEMPERATURE, 150 },
  { CD_CATEGORY_LEAK, 80 },
  { CD_CATEGORY_BURST_PIPE, 20 },
  { CD_CATEGORY_POWER_OUTAGE, 50 },
  { CD_CATEGORY_NO_POWER, 100 },
  { CD_CATEGORY_VOLTAGE_QUALITY, 50 },
  { CD_CATEGORY_METER, 80 },
  { CD_CATEGORY_BILLING, 80 },
  { CD_CATEGORY_INQUIRY, 80 },
  { CD_CATEGORY_COMPLAINT, 50 },
  { CD_CATEGORY_NEW_CONNECTION, 20 },
};

typedef struct {
  GPtrArray      *tickets;
  GPtrArray      *callbacks;
  GPtrArray      *events;
  GPtrArray      *open;
  CdSlaPolicySet *policies;
  gint64          now;
  gint64          from;
  gint64          to;
  char           *crews[N_CREWS];
  char           *areas[N_AREAS];
} History;

/* Helpers ----------------------------------------------------------------- */

static char *
random_uuid (GRand *rand)
{
  return g_strdup_printf ("%08x-%04x-4%03x-%04x-%04x%08x",
                          g_rand_int (rand), g_rand_int (rand) & 0xffff,
                          g_rand_int (rand) & 0xfff, 0x8000 | (g_rand_int (rand) & 0x3fff),
                          g_rand_int (rand) & 0xffff, g_rand_int (rand));
}

static void
set_random_id (gpointer  record,
               GRand    *rand)
{
  g_autofree char *id = random_uuid (rand);

  cd_record_set_id (CD_RECORD (record), id);
}

static gint64
unix_time (const char *iso)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_iso8601 (iso, NULL);

  g_assert (dt != NULL);
  return g_date_time_to_unix (dt);
}

static CdCategory
random_category (GRand *rand)
{
  guint r = (guint) g_rand_int_range (rand, 0, 1000);

  for (guint i = 0; i < G_N_ELEMENTS (category_mix); i++)
    {
      if (r < category_mix[i].weight)
        return category_mix[i].category;
      r -= category_mix[i].weight;
    }

  return CD_CATEGORY_INQUIRY;
}

static CdUrgency
random_urgency (GRand      *rand,
                CdCategory  category)
{
  gint r = g_rand_int_range (rand, 0, 100);

  switch (category)
    {
    case CD_CATEGORY_POWER_OUTAGE:
    case CD_CATEGORY_LEAK:
    case CD_CATEGORY_BURST_PIPE:
      return r < 75 ? CD_URGENCY_EMERGENCY : CD_URGENCY_URGENT;
    case CD_CATEGORY_NO_HEAT:
    case CD_CATEGORY_NO_POWER:
    case CD_CATEGORY_COMPLAINT:
      return r < 10 ? CD_URGENCY_EMERGENCY : r < 85 ? CD_URGENCY_URGENT : CD_URGENCY_NORMAL;
    case CD_CATEGORY_LOW_TEMPERATURE:
    case CD_CATEGORY_VOLTAGE_QUALITY:
    case CD_CATEGORY_METER:
    case CD_CATEGORY_BILLING:
    case CD_CATEGORY_INQUIRY:
    case CD_CATEGORY_NEW_CONNECTION:
    default:
      return r < 85 ? CD_URGENCY_NORMAL : CD_URGENCY_URGENT;
    }
}

/* A milestone after @limit_s: mostly well inside it, one in eight late. */
static gint64
random_delay (GRand  *rand,
              gint64  limit_s)
{
  if (limit_s <= 0)
    limit_s = 3600;
  if (g_rand_int_range (rand, 0, 8) == 0)
    return limit_s + (gint64) (g_rand_double (rand) * limit_s);

  return 60 + (gint64) (g_rand_double (rand) * g_rand_double (rand) * limit_s * 0.95);
}

/* The history ------------------------------------------------------------- */

static void
add_callback (History  *h,
              GRand    *rand,
              CdTicket *ticket)
{
  g_autoptr(CdCallback) callback = cd_callback_new ();
  gint r = g_rand_int_range (rand, 0, 1000);
  gint64 at;

  set_random_id (callback, rand);
  callback->ticket_id = g_strdup (CD_RECORD (ticket)->id);
  callback->due_at = cd_sla_policy_set_callback_due (h->policies, ticket);
  callback->priority = ticket->category == CD_CATEGORY_COMPLAINT ? 90
                     : ticket->key_customer ? 80
                     : ticket->duplicate_count > 0 ? 70 : 50;
  callback->attempts = g_ptr_array_new_with_free_func (g_object_unref);
  at = ticket->resolved_at + 600 + g_rand_int_range (rand, 0, 30 * 3600);

  if (at > h->now)
    {
      callback->status = CD_CALLBACK_STATUS_PENDING;
    }
  else if (r < 30)
    {
      for (guint i = 0; i < CD_CALLBACK_MAX_FAILED_ATTEMPTS; i++)
        g_ptr_array_add (callback->attempts,
                         cd_callback_attempt_new (at + i * 7200, "agent-1", CD_CALLBACK_OUTCOME_NO_ANSWER, NULL));
      callback->status = CD_CALLBACK_STATUS_UNREACHABLE;
    }
  else
    {
      if (g_rand_int_range (rand, 0, 5) == 0)
        g_ptr_array_add (callback->attempts,
                         cd_callback_attempt_new (at - 1800, "agent-2", CD_CALLBACK_OUTCOME_NO_ANSWER, NULL));
      g_ptr_array_add (callback->attempts,
                       cd_callback_attempt_new (at, "agent-2", CD_CALLBACK_OUTCOME_REACHED, NULL));
      callback->agent = g_strdup ("agent-2");
      callback->completed_at = at;
      callback->solved = g_rand_int_range (rand, 0, 100) < 94;
      r = g_rand_int_range (rand, 0, 100);
      callback->satisfaction = r < 80 ? CD_SATISFACTION_SATISFIED
                             : r < 92 ? CD_SATISFACTION_NEUTRAL : CD_SATISFACTION_UNSATISFIED;
      callback->status = CD_CALLBACK_STATUS_DONE;
      if (cd_callback_needs_second_handling (callback))
        {
          callback->status = CD_CALLBACK_STATUS_SECOND_HANDLING;
          callback->second_owner = g_strdup ("manager");
          callback->second_opened_at = at;
          callback->second_deadline = at + 24 * 3600;
          if (at + 36 * 3600 < h->now && g_rand_int_range (rand, 0, 10) < 9)
            {
              callback->second_closed_at = at + g_rand_int_range (rand, 3600, 36 * 3600);
              callback->second_conclusion = g_strdup ("Repaired again");
              callback->reviewed_by = g_strdup ("manager");
              callback->status = CD_CALLBACK_STATUS_CLOSED;
            }
        }
    }

  g_ptr_array_add (h->callbacks, g_steal_pointer (&callback));
}

static void
add_events (History  *h,
            GRand    *rand,
            CdTicket *ticket,
            gint      crew)
{
  g_autoptr(CdAssignmentEvent) event = cd_assignment_event_new ();
  gboolean manual = ticket->urgency != CD_URGENCY_EMERGENCY || g_rand_int_range (rand, 0, 10) == 0;

  set_random_id (event, rand);
  event->ticket_id = g_strdup (CD_RECORD (ticket)->id);
  event->to_crew = g_strdup (h->crews[crew]);
  event->at = ticket->created_at + g_rand_int_range (rand, 30, 300);
  event->source = manual ? CD_ASSIGNMENT_SOURCE_MANUAL : CD_ASSIGNMENT_SOURCE_AUTO;
  event->actor = g_strdup (manual ? "dispatcher-1" : "auto-dispatch");
  event->score = g_rand_double_range (rand, 5, 40);
  /* One manual assignment in six overrides the proposal. */
  if (manual && g_rand_int_range (rand, 0, 6) == 0)
    {
      event->proposed_crew = g_strdup (h->crews[(crew + 1 + g_rand_int_range (rand, 0, N_CREWS - 1)) % N_CREWS]);
      event->proposed_score = event->score - g_rand_double_range (rand, 1, 5);
      event->reason = g_strdup ("Crew knows the building");
    }
  g_ptr_array_add (h->events, g_steal_pointer (&event));

  /* One ticket in twenty is handed to another crew later. */
  if (g_rand_int_range (rand, 0, 20) == 0)
    {
      g_autoptr(CdAssignmentEvent) again = cd_assignment_event_new ();
      gint other = (crew + 7) % N_CREWS;

      set_random_id (again, rand);
      again->ticket_id = g_strdup (CD_RECORD (ticket)->id);
      again->from_crew = g_strdup (h->crews[crew]);
      again->to_crew = g_strdup (h->crews[other]);
      again->at = ticket->created_at + g_rand_int_range (rand, 600, 1800);
      again->source = CD_ASSIGNMENT_SOURCE_MANUAL;
      again->actor = g_strdup ("dispatcher-2");
      again->proposed_crew = g_strdup (h->crews[crew]);
      again->reason = g_strdup ("Rebalancing");
      g_ptr_array_add (h->events, g_steal_pointer (&again));
      g_free (ticket->crew_id);
      ticket->crew_id = g_strdup (h->crews[other]);
    }
}

static void
make_history (History *h)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed ((guint32) seed);
  g_autoptr(GError) error = NULL;
  gint64 span = DAYS * 24 * 3600;

  h->policies = cd_sla_policy_set_new_default (&error);
  g_assert_no_error (error);
  h->from = unix_time ("2025-09-01T00:00:00+08:00");
  h->to = h->from + span;
  h->now = h->to;
  h->tickets = g_ptr_array_new_with_free_func (g_object_unref);
  h->callbacks = g_ptr_array_new_with_free_func (g_object_unref);
  h->events = g_ptr_array_new_with_free_func (g_object_unref);
  h->open = g_ptr_array_new ();

  for (guint a = 0; a < N_AREAS; a++)
    h->areas[a] = g_strdup_printf ("district-%02u", a);
  for (guint c = 0; c < N_CREWS; c++)
    h->crews[c] = random_uuid (rand);

  for (gint i = 0; i < n_tickets; i++)
    {
      g_autoptr(CdTicket) ticket = cd_ticket_new ();
      gint area = g_rand_int_range (rand, 0, N_AREAS);
      gint crew = area * (N_CREWS / N_AREAS) + g_rand_int_range (rand, 0, N_CREWS / N_AREAS);
      gint customer = g_rand_int_range (rand, 0, N_CUSTOMERS);
      gint r = g_rand_int_range (rand, 0, 100);
      CdSlaPolicy *policy;
      CdUtility utility;
      gint64 t, limit;

      set_random_id (ticket, rand);
      ticket->number = g_strdup_printf ("HT-%06d", i + 1);
      ticket->category = random_category (rand);
      ticket->urgency = random_urgency (rand, ticket->category);
      ticket->utility = cd_category_get_utility (ticket->category, &utility) ? utility
                      : (CdUtility) g_rand_int_range (rand, 0, CD_N_UTILITIES);
      ticket->area = g_strdup (h->areas[area]);
      ticket->area_class = area < 7 ? CD_AREA_CLASS_URBAN : area < 9 ? CD_AREA_CLASS_RURAL : CD_AREA_CLASS_REMOTE;
      ticket->customer_account = g_strdup_printf ("ACC-%06d", customer);
      ticket->address = g_strdup_printf ("%d Lanhe Road, Building %d", customer % 900, customer % 37);
      ticket->key_customer = customer % 50 == 0;
      ticket->owner = g_strdup ("dispatcher-1");
      ticket->status = CD_TICKET_STATUS_NEW;
      /* Weighted towards the later weeks, as a heating season starts. */
      ticket->created_at = h->from + (gint64) (span * (1.0 - g_rand_double (rand) * g_rand_double (rand)));
      ticket->created_at = MIN (ticket->created_at, h->now - 60);

      policy = cd_sla_policy_set_lookup (h->policies, ticket->category, ticket->urgency, ticket->area_class);
      cd_sla_apply_policy (ticket, policy, cd_sla_policy_set_get_calendar (h->policies, policy->calendar));

      /* Four in a hundred repeat an earlier open report. */
      if (r < 4 && h->tickets->len > 0)
        {
          CdTicket *earlier = g_ptr_array_index (h->tickets, g_rand_int_range (rand, MAX (0, (gint) h->tickets->len - 200), h->tickets->len));

          ticket->duplicate_of = g_strdup (CD_RECORD (earlier)->id);
          ticket->status = CD_TICKET_STATUS_DUPLICATE;
          earlier->duplicate_count++;
          g_ptr_array_add (h->tickets, g_steal_pointer (&ticket));
          continue;
        }
      if (r < 5)
        {
          ticket->status = CD_TICKET_STATUS_CANCELLED;
          g_ptr_array_add (h->tickets, g_steal_pointer (&ticket));
          continue;
        }

      /* Milestones, each after the last; whatever falls after now has not
       * happened yet. */
      t = ticket->created_at;
      ticket->crew_id = ticket->sla_on_site_min > 0 ? g_strdup (h->crews[crew]) : NULL;
      if (ticket->crew_id != NULL)
        add_events (h, rand, ticket, crew);

      limit = ticket->due_first_response - ticket->created_at;
      t += random_delay (rand, limit);
      if (t < h->now)
        ticket->first_response_at = t;

      if (ticket->first_response_at != 0 && g_rand_int_range (rand, 0, 12) == 0)
        {
          gint64 start = t + 60;
          gint64 end = start + g_rand_int_range (rand, 600, 4 * 3600);
          CdCalendar *calendar = cd_sla_policy_set_get_calendar (h->policies, ticket->sla_calendar);

          if (end < h->now)
            {
              g_assert_true (cd_sla_pause (ticket, calendar, start, "Customer not at home", NULL));
              g_assert_true (cd_sla_resume (ticket, calendar, end, NULL));
              t = end;
            }
        }

      if (ticket->first_response_at != 0 && ticket->sla_on_site_min > 0)
        {
          t += random_delay (rand, ticket->due_on_site - t);
          if (t < h->now)
            ticket->on_site_at = t;
        }

      if (ticket->first_response_at != 0 && (ticket->sla_on_site_min == 0 || ticket->on_site_at != 0))
        {
          t += random_delay (rand, MAX (ticket->due_resolved - t, 1800));
          if (t < h->now)
            {
              ticket->resolved_at = t;
              if (t + 3 * 24 * 3600 < h->now)
                ticket->closed_at = t + 3 * 24 * 3600;
            }
        }

      ticket->status = ticket->closed_at != 0 ? CD_TICKET_STATUS_CLOSED
                     : ticket->resolved_at != 0 ? CD_TICKET_STATUS_RESOLVED
                     : ticket->on_site_at != 0 ? CD_TICKET_STATUS_ON_SITE
                     : ticket->first_response_at != 0 ? CD_TICKET_STATUS_CONTACTED
                     : ticket->crew_id != NULL ? CD_TICKET_STATUS_ASSIGNED : CD_TICKET_STATUS_NEW;

      if (ticket->resolved_at != 0)
        add_callback (h, rand, ticket);
      if (cd_ticket_is_open (ticket))
        g_ptr_array_add (h->open, ticket);
      g_ptr_array_add (h->tickets, g_steal_pointer (&ticket));
    }
}

/* Timing ------------------------------------------------------------------ */

static gint
compare_double (gconstpointer a,
                gconstpointer b)
{
  double x = *(const double *) a;
  double y = *(const double *) b;

  return (x > y) - (x < y);
}

static double
median (double *values,
        guint   n)
{
  qsort (values, n, sizeof *values, (int (*) (const void *, const void *)) compare_double);
  return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

typedef struct {
  gint64 wall;
  gint64 cpu;
} Stamp;

static gint64
cpu_usec (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (gint64) ts.tv_sec * G_USEC_PER_SEC + ts.tv_nsec / 1000;
}

static void
stamp_start (Stamp *stamp)
{
  stamp->wall = g_get_monotonic_time ();
  stamp->cpu = cpu_usec ();
}

/* Records the run's wall and CPU milliseconds. */
static void
stamp_stop (const Stamp *stamp,
            double      *wall,
            double      *cpu,
            gint         run)
{
  wall[run] = (g_get_monotonic_time () - stamp->wall) / 1000.0;
  cpu[run] = (cpu_usec () - stamp->cpu) / 1000.0;
}

static CdReport *
new_report (History *h)
{
  CdReportQuery query;
  g_autoptr(GTimeZone) tz = g_time_zone_new_identifier ("+08:00");

  cd_report_query_init (&query);
  query.from = h->from;
  query.to = h->to;
  query.time_zone = tz;

  return cd_report_new (h->tickets, h->callbacks, h->events, h->policies, &query, h->now);
}

int
main (int   argc,
      char *argv[])
{
  static const char * const by_names[CD_REPORT_N_BY] = {
    "total", "category", "area", "crew", "day", "override",
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("- time the reports");
  g_autoptr(GError) error = NULL;
  g_autofree double *times = NULL;
  g_autofree double *cpu = NULL;
  History h = { 0 };
  gint64 start;
  Stamp stamp;
  guint n_open_timers = 0;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }
  n_runs = MAX (n_runs, 1);
  times = g_new0 (double, n_runs);
  cpu = g_new0 (double, n_runs);

  cd_model_init ();
  start = g_get_monotonic_time ();
  make_history (&h);
  g_print ("tickets: %u\ncallbacks: %u\nevents: %u\nopen tickets: %u\n",
           h.tickets->len, h.callbacks->len, h.events->len, h.open->len);
  g_print ("generate: %.0f ms\n", (g_get_monotonic_time () - start) / 1000.0);
  g_print ("runs: %d (medians below)\n", n_runs);

  /* The facts, alone. */
  for (gint run = 0; run < n_runs; run++)
    {
      g_autoptr(CdReport) report = NULL;

      stamp_start (&stamp);
      report = new_report (&h);
      stamp_stop (&stamp, times, cpu, run);
      if (run == 0)
        g_print ("population: %u\n", cd_report_get_n_tickets (report));
    }
  g_print ("report facts (cd_report_new): %.1f ms (cpu %.1f ms)\n", median (times, n_runs), median (cpu, n_runs));

  /* Each report from scratch: the facts, then its table. */
  for (guint by = 0; by < CD_REPORT_N_BY; by++)
    {
      g_autoptr(CdReportTable) kept = NULL;

      for (gint run = 0; run < n_runs; run++)
        {
          g_autoptr(CdReport) report = NULL;
          g_autoptr(CdReportTable) table = NULL;

          stamp_start (&stamp);
          report = new_report (&h);
          table = cd_report_get_table (report, by);
          stamp_stop (&stamp, times, cpu, run);
          if (run == 0)
            kept = g_steal_pointer (&table);
        }
      g_print ("report by %s (facts + table, %u rows): %.1f ms (cpu %.1f ms)\n",
               by_names[by], kept->rows->len, median (times, n_runs), median (cpu, n_runs));
      if (by == CD_REPORT_BY_NONE)
        {
          double c, f, s;

          cd_report_ratio_get (&kept->total->compliance_all, &c);
          cd_report_ratio_get (&kept->total->first_time_fix, &f);
          cd_report_ratio_get (&kept->total->satisfaction, &s);
          g_print ("  compliance %.3f, first-time fix %.3f, satisfaction %.3f, "
                   "response mean %.0f s p90 %" G_GINT64_FORMAT " s\n",
                   c, f, s, kept->total->response.mean, kept->total->response.p90);
        }
    }

  /* Every table from one set of facts, with series and CSV: the reports
   * screen opening. */
  for (gint run = 0; run < n_runs; run++)
    {
      g_autoptr(CdReport) report = NULL;
      g_autoptr(GString) csv = g_string_new (NULL);

      stamp_start (&stamp);
      report = new_report (&h);
      for (guint by = 0; by < CD_REPORT_N_BY; by++)
        {
          g_autoptr(CdReportTable) table = cd_report_get_table (report, by);
          g_autoptr(GPtrArray) series = cd_report_table_get_series (table);

          cd_report_table_to_csv (table, csv);
        }
      stamp_stop (&stamp, times, cpu, run);
    }
  g_print ("all tables + series + CSV from one cd_report_new: %.1f ms (cpu %.1f ms)\n",
           median (times, n_runs), median (cpu, n_runs));

  /* The supervisor's view over the open tickets. */
  for (gint run = 0; run < n_runs; run++)
    {
      g_autoptr(GArray) timers = NULL;
      g_autoptr(GPtrArray) groups = NULL;
      g_autoptr(GArray) escalations = NULL;

      stamp_start (&stamp);
      timers = cd_timers_collect (h.open, h.policies, h.now);
      groups = cd_timers_group (timers, CD_TIMER_GROUP_AREA);
      escalations = cd_timers_escalations (timers);
      cd_timers_next_change (timers, h.now);
      stamp_stop (&stamp, times, cpu, run);
      n_open_timers = timers->len;
    }
  g_print ("timers view (%u timers: collect, group, escalate, next change): %.1f ms (cpu %.1f ms)\n",
           n_open_timers, median (times, n_runs), median (cpu, n_runs));

  for (gint run = 0; run < n_runs; run++)
    {
      g_autoptr(GArray) crossed = NULL;

      stamp_start (&stamp);
      crossed = cd_timers_crossed_red (h.open, h.policies, h.now - 60, h.now);
      stamp_stop (&stamp, times, cpu, run);
    }
  g_print ("timers crossed into red in a minute: %.1f ms (cpu %.1f ms)\n", median (times, n_runs), median (cpu, n_runs));

  for (gint run = 0; run < n_runs; run++)
    {
      g_autoptr(GArray) queue = NULL;
      g_autoptr(GArray) review = NULL;
      CdCallbackQueueOptions options;

      cd_callback_queue_options_init (&options);
      options.include_unreachable = TRUE;
      stamp_start (&stamp);
      queue = cd_callback_queue_build (h.callbacks, h.tickets, h.now, &options);
      review = cd_callback_review_list (h.callbacks, h.tickets, h.now);
      stamp_stop (&stamp, times, cpu, run);
      if (run == 0)
        g_print ("callback queue: %u items, review: %u items\n", queue->len, review->len);
    }
  g_print ("callback queue + review over all callbacks: %.1f ms (cpu %.1f ms)\n", median (times, n_runs), median (cpu, n_runs));

  g_ptr_array_unref (h.open);
  g_ptr_array_unref (h.tickets);
  g_ptr_array_unref (h.callbacks);
  g_ptr_array_unref (h.events);
  g_object_unref (h.policies);
  for (guint i = 0; i < N_AREAS; i++)
    g_free (h.areas[i]);
  for (guint i = 0; i < N_CREWS; i++)
    g_free (h.crews[i]);

  return 0;
}
