/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-reports-logic.c: the Reports view's decisions without a display:
 * date-range presets (month and year ends, leap years, zones without
 * daylight saving time, one day of a zone with it), the filter's query,
 * nice ticks, words for durations and ratios, row labels, the summary
 * figures and chart data over a report worked out by hand, "no data" for
 * an empty report, and every table in one CSV. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cd-model.h"
#include "cd-reports-logic.h"
#include "cd-sla-clock.h"

/* Helpers ----------------------------------------------------------------- */

static gint64
T (const char *iso)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_iso8601 (iso, NULL);

  g_assert_nonnull (dt);
  return g_date_time_to_unix (dt);
}

static GTimeZone *
zone (const char *identifier)
{
  GTimeZone *tz = g_time_zone_new_identifier (identifier);

  g_assert_nonnull (tz);
  return tz;
}

static void
assert_date (const GDate *date,
             const char  *expected)
{
  char text[16];

  g_assert_true (g_date_valid (date));
  g_date_strftime (text, sizeof text, "%Y-%m-%d", date);
  g_assert_cmpstr (text, ==, expected);
}

static void
set_date (GDate      *date,
          const char *ymd)
{
  guint y, m, d;

  g_assert_cmpint (sscanf (ymd, "%u-%u-%u", &y, &m, &d), ==, 3);
  g_date_clear (date, 1);
  g_date_set_dmy (date, (GDateDay) d, (GDateMonth) m, (GDateYear) y);
}

/* Date ranges ------------------------------------------------------------ */

static void
test_range_presets (void)
{
  static const struct {
    const char     *zone;
    const char     *now;
    CdReportsRange  range;
    const char     *first;
    const char     *last;
    const char     *from;     /* the span, as instants */
    const char     *to;
  } cases[] = {
    /* Late evening: still that day locally, though UTC is the same day. */
    { "+08:00", "2025-03-31T23:30:00+08:00", CD_REPORTS_RANGE_TODAY, "2025-03-31", "2025-03-31",
      "2025-03-31T00:00:00+08:00", "2025-04-01T00:00:00+08:00" },
    /* Just after midnight local: UTC is still the day before. */
    { "+08:00", "2025-03-01T00:10:00+08:00", CD_REPORTS_RANGE_TODAY, "2025-03-01", "2025-03-01",
      "2025-03-01T00:00:00+08:00", "2025-03-02T00:00:00+08:00" },
    { "UTC", "2025-03-01T00:10:00+08:00", CD_REPORTS_RANGE_TODAY, "2025-02-28", "2025-02-28",
      "2025-02-28T00:00:00Z", "2025-03-01T00:00:00Z" },
    /* Seven days back over a month end. */
    { "+08:00", "2025-03-01T00:10:00+08:00", CD_REPORTS_RANGE_LAST_7_DAYS, "2025-02-23", "2025-03-01",
      "2025-02-23T00:00:00+08:00", "2025-03-02T00:00:00+08:00" },
    /* Thirty days back over a leap day (29 of February and 1 of March)
     * and without one (28 and 2). */
    { "+08:00", "2024-03-01T08:00:00+08:00", CD_REPORTS_RANGE_LAST_30_DAYS, "2024-02-01", "2024-03-01",
      "2024-02-01T00:00:00+08:00", "2024-03-02T00:00:00+08:00" },
    { "+08:00", "2025-03-01T08:00:00+08:00", CD_REPORTS_RANGE_LAST_30_DAYS, "2025-01-31", "2025-03-01",
      "2025-01-31T00:00:00+08:00", "2025-03-02T00:00:00+08:00" },
    /* The month to date, over a year end. */
    { "+08:00", "2025-12-31T23:59:59+08:00", CD_REPORTS_RANGE_THIS_MONTH, "2025-12-01", "2025-12-31",
      "2025-12-01T00:00:00+08:00", "2026-01-01T00:00:00+08:00" },
    { "UTC", "2025-01-01T03:00:00+08:00", CD_REPORTS_RANGE_THIS_MONTH, "2024-12-01", "2024-12-31",
      "2024-12-01T00:00:00Z", "2025-01-01T00:00:00Z" },
    { "+08:00", "2025-01-01T03:00:00+08:00", CD_REPORTS_RANGE_THIS_MONTH, "2025-01-01", "2025-01-01",
      "2025-01-01T00:00:00+08:00", "2025-01-02T00:00:00+08:00" },
    /* West of Greenwich: the local day is behind UTC's. */
    { "-05:00", "2025-11-01T02:00:00Z", CD_REPORTS_RANGE_THIS_MONTH, "2025-10-01", "2025-10-31",
      "2025-10-01T00:00:00-05:00", "2025-11-01T00:00:00-05:00" },
    /* A named zone without daylight saving time. */
    { "Asia/Shanghai", "2025-06-15T12:00:00+08:00", CD_REPORTS_RANGE_LAST_7_DAYS, "2025-06-09", "2025-06-15",
      "2025-06-09T00:00:00+08:00", "2025-06-16T00:00:00+08:00" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GTimeZone) tz = zone (cases[i].zone);
      GDate first, last;
      gint64 from, to;

      g_test_message ("case %u: %s %s", i, cases[i].zone, cases[i].now);
      g_assert_true (cd_reports_range_days (cases[i].range, tz, T (cases[i].now), &first, &last));
      assert_date (&first, cases[i].first);
      assert_date (&last, cases[i].last);

      cd_reports_days_to_span (tz, &first, &last, &from, &to);
      g_assert_cmpint (from, ==, T (cases[i].from));
      g_assert_cmpint (to, ==, T (cases[i].to));
      /* The same days the other way round make the same span. */
      cd_reports_days_to_span (tz, &last, &first, &from, &to);
      g_assert_cmpint (from, ==, T (cases[i].from));
      g_assert_cmpint (to, ==, T (cases[i].to));
    }
}

static void
test_range_custom (void)
{
  g_autoptr(GTimeZone) tz = g_time_zone_new_utc ();
  GDate first, last;

  g_date_clear (&first, 1);
  g_date_clear (&last, 1);
  /* Nothing to work out: the user's days stay. */
  g_assert_false (cd_reports_range_days (CD_REPORTS_RANGE_CUSTOM, tz, T ("2025-03-03T00:00:00Z"), &first, &last));
  g_assert_cmpstr (cd_reports_range_label (CD_REPORTS_RANGE_LAST_7_DAYS), ==, "Last 7 days");
}

static void
test_range_dst (void)
{
  GTimeZone *tz = g_time_zone_new_identifier ("Europe/Berlin");
  GDate day;
  gint64 from, to;

  if (tz == NULL)
    {
      g_test_skip ("no Europe/Berlin in the time zone database");
      return;
    }

  /* The spring change: a day of 23 hours, from local midnight to local
   * midnight. */
  set_date (&day, "2025-03-30");
  cd_reports_days_to_span (tz, &day, &day, &from, &to);
  g_assert_cmpint (from, ==, T ("2025-03-30T00:00:00+01:00"));
  g_assert_cmpint (to - from, ==, 23 * 3600);
  g_time_zone_unref (tz);
}

static void
test_format_days (void)
{
  GDate a, b;
  g_autofree char *one = NULL;
  g_autofree char *two = NULL;
  g_autofree char *swapped = NULL;

  set_date (&a, "2025-11-03");
  set_date (&b, "2025-11-23");
  one = cd_reports_format_days (&a, &a);
  two = cd_reports_format_days (&a, &b);
  swapped = cd_reports_format_days (&b, &a);
  g_assert_cmpstr (one, ==, "3 Nov 2025");
  g_assert_cmpstr (two, ==, "3 Nov 2025 – 23 Nov 2025");
  g_assert_cmpstr (swapped, ==, two);
}

/* The filter --------------------------------------------------------------- */

static void
test_filter_query (void)
{
  g_autoptr(GTimeZone) tz = zone ("+08:00");
  CdReportsFilter filter, copy;
  CdReportQuery query;

  cd_reports_filter_init (&filter);
  cd_reports_filter_to_query (&filter, tz, &query);
  /* Nothing chosen: everything. */
  g_assert_cmpint (query.from, ==, 0);
  g_assert_cmpint (query.to, ==, 0);
  g_assert_cmpint (query.utility, ==, -1);
  g_assert_cmpint (query.category, ==, -1);
  g_assert_null (query.area);
  g_assert_null (query.crew_id);
  g_assert_true (query.time_zone == tz);

  set_date (&filter.first, "2025-03-03");
  set_date (&filter.last, "2025-03-09");
  filter.utility = g_strdup ("power");
  filter.category = g_strdup ("no-power");
  filter.area = g_strdup ("");
  filter.crew_id = g_strdup ("crew-1");
  cd_reports_filter_copy (&filter, &copy);
  cd_reports_filter_clear (&filter);

  cd_reports_filter_to_query (&copy, tz, &query);
  g_assert_cmpint (query.from, ==, T ("2025-03-03T00:00:00+08:00"));
  g_assert_cmpint (query.to, ==, T ("2025-03-10T00:00:00+08:00"));
  g_assert_cmpint (query.utility, ==, CD_UTILITY_POWER);
  g_assert_cmpint (query.category, ==, CD_CATEGORY_NO_POWER);
  g_assert_cmpstr (query.area, ==, "");
  g_assert_cmpstr (query.crew_id, ==, "crew-1");

  /* A nick nobody knows matches no ticket rather than every ticket. */
  g_free (copy.category);
  copy.category = g_strdup ("gas-leak");
  cd_reports_filter_to_query (&copy, tz, &query);
  g_assert_cmpint (query.category, !=, -1);
  g_assert_cmpint (query.category, >=, CD_N_CATEGORIES);
  cd_reports_filter_clear (&copy);
}

static void
test_category_in_utility (void)
{
  static const struct {
    CdCategory  category;
    const char *utility;
    gboolean    in;
  } cases[] = {
    { CD_CATEGORY_LEAK, NULL, TRUE },
    { CD_CATEGORY_LEAK, "heat", TRUE },
    { CD_CATEGORY_LEAK, "power", FALSE },
    { CD_CATEGORY_POWER_OUTAGE, "heat", FALSE },
    { CD_CATEGORY_POWER_OUTAGE, "power", TRUE },
    { CD_CATEGORY_METER, "heat", TRUE },
    { CD_CATEGORY_METER, "power", TRUE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    g_assert_cmpint (cd_reports_category_in_utility (cases[i].category, cases[i].utility), ==, cases[i].in);
}

/* Scales ------------------------------------------------------------------ */

static void
test_nice_number (void)
{
  static const struct {
    double   x;
    gboolean round;
    double   nice;
  } cases[] = {
    { 1, FALSE, 1 }, { 1.01, FALSE, 2 }, { 2, FALSE, 2 }, { 2.5, FALSE, 5 }, { 5, FALSE, 5 },
    { 7, FALSE, 10 }, { 12, FALSE, 20 }, { 0.3, FALSE, 0.5 }, { 0.1 + 0.2, FALSE, 0.5 }, { 0.2, FALSE, 0.2 },
    { 1.4, TRUE, 1 }, { 2.9, TRUE, 2 }, { 6.9, TRUE, 5 }, { 7.1, TRUE, 10 }, { 140, TRUE, 100 },
    { 0, FALSE, 1 }, { -3, TRUE, 1 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_test_message ("case %u: %g", i, cases[i].x);
      g_assert_cmpfloat_with_epsilon (cd_reports_nice_number (cases[i].x, cases[i].round), cases[i].nice, 1e-9);
    }
}

static void
test_scale (void)
{
  static const struct {
    CdReportsUnit unit;
    double        data_max;
    guint         max_steps;
    double        step;
    guint         n_steps;
  } cases[] = {
    /* Ratios: always the whole 0–100%. */
    { CD_REPORTS_UNIT_RATIO, 0.7, 5, 0.25, 4 },
    { CD_REPORTS_UNIT_RATIO, 0.1, 8, 0.25, 4 },
    { CD_REPORTS_UNIT_RATIO, 0.7, 2, 0.5, 2 },
    { CD_REPORTS_UNIT_RATIO, 1.0, 1, 1.0, 1 },
    /* Counts: 1, 2, 5 × 10^k, whole numbers. */
    { CD_REPORTS_UNIT_COUNT, 0, 5, 1, 1 },
    { CD_REPORTS_UNIT_COUNT, 3, 5, 1, 3 },
    { CD_REPORTS_UNIT_COUNT, 7, 5, 2, 4 },
    { CD_REPORTS_UNIT_COUNT, 10, 5, 2, 5 },
    { CD_REPORTS_UNIT_COUNT, 120, 5, 50, 3 },
    { CD_REPORTS_UNIT_COUNT, 0.4, 5, 1, 1 },
    /* Durations: whole minutes, hours, days. */
    { CD_REPORTS_UNIT_SECONDS, 1500, 5, 300, 5 },
    { CD_REPORTS_UNIT_SECONDS, 0, 5, 900, 4 },
    { CD_REPORTS_UNIT_SECONDS, 45, 5, 60, 1 },
    { CD_REPORTS_UNIT_SECONDS, 3.5 * 7200, 5, 7200, 4 },
    { CD_REPORTS_UNIT_SECONDS, 30 * 86400, 4, 10 * 86400, 3 },
    { CD_REPORTS_UNIT_SECONDS, 200 * 86400, 4, 50 * 86400, 4 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      CdReportsScale scale;

      g_test_message ("case %u: %g in %u steps", i, cases[i].data_max, cases[i].max_steps);
      cd_reports_scale (cases[i].unit, cases[i].data_max, cases[i].max_steps, &scale);
      g_assert_cmpfloat_with_epsilon (scale.step, cases[i].step, 1e-9);
      g_assert_cmpuint (scale.n_steps, ==, cases[i].n_steps);
      /* What every scale promises. */
      g_assert_cmpfloat_with_epsilon (scale.max, scale.step * scale.n_steps, 1e-9);
      g_assert_cmpfloat (scale.max, >=, cases[i].data_max);
      g_assert_cmpuint (scale.n_steps, <=, cases[i].max_steps);
      g_assert_cmpuint (scale.n_steps, >=, 1);
    }
}

/* Words ------------------------------------------------------------------- */

static void
test_format (void)
{
  static const struct {
    CdReportsUnit unit;
    double        value;
    const char   *text;
    const char   *tick;
  } cases[] = {
    { CD_REPORTS_UNIT_SECONDS, 0, "0 s", "0 s" },
    { CD_REPORTS_UNIT_SECONDS, -5, "0 s", "0 s" },
    { CD_REPORTS_UNIT_SECONDS, 59, "59 s", "59 s" },
    { CD_REPORTS_UNIT_SECONDS, 59.6, "1 min", "1 min" },
    { CD_REPORTS_UNIT_SECONDS, 90, "2 min", "2 min" },
    { CD_REPORTS_UNIT_SECONDS, 3599, "1 h", "1 h" },
    { CD_REPORTS_UNIT_SECONDS, 3900, "1 h 05 min", "1 h 05 min" },
    { CD_REPORTS_UNIT_SECONDS, 86399, "1 d", "1 d" },
    { CD_REPORTS_UNIT_SECONDS, 26 * 3600, "1 d 2 h", "1 d 2 h" },
    { CD_REPORTS_UNIT_RATIO, 0.875, "87.5%", "88%" },
    { CD_REPORTS_UNIT_RATIO, 0.5, "50.0%", "50%" },
    { CD_REPORTS_UNIT_RATIO, 1, "100.0%", "100%" },
    { CD_REPORTS_UNIT_COUNT, 42, "42", "42" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *text = cd_reports_format_value (cases[i].unit, cases[i].value);
      g_autofree char *tick = cd_reports_format_tick (cases[i].unit, cases[i].value);

      g_assert_cmpstr (text, ==, cases[i].text);
      g_assert_cmpstr (tick, ==, cases[i].tick);
    }
}

static const char *
crew_name_cb (const char *crew_id,
              gpointer    user_data)
{
  return g_str_equal (crew_id, "crew-a") ? "Heat North" : NULL;
}

static void
test_row_labels (void)
{
  g_autoptr(GTimeZone) tz = zone ("+08:00");
  CdReportsLabeler labeler = { tz, crew_name_cb, NULL };
  static const struct {
    CdReportBy  by;
    const char *key;
    const char *day;
    const char *label;
  } cases[] = {
    { CD_REPORT_BY_NONE, "all", NULL, "All tickets" },
    { CD_REPORT_BY_CATEGORY, "leak", NULL, "Leak" },
    { CD_REPORT_BY_CATEGORY, "no-such-category", NULL, "Unknown" },
    { CD_REPORT_BY_AREA, "eastbank", NULL, "Eastbank" },
    { CD_REPORT_BY_AREA, "atlantis", NULL, "atlantis" },
    { CD_REPORT_BY_AREA, NULL, NULL, "No area" },
    { CD_REPORT_BY_CREW, "crew-a", NULL, "Heat North" },
    { CD_REPORT_BY_CREW, "crew-gone", NULL, "crew-gone" },
    { CD_REPORT_BY_CREW, NULL, NULL, "Unassigned" },
    /* The day's first second in its zone; a Monday. */
    { CD_REPORT_BY_DAY, "2025-03-03", "2025-03-03T00:00:00+08:00", "Mon 3 Mar" },
    { CD_REPORT_BY_OVERRIDE, "overridden", NULL, "Overridden" },
    { CD_REPORT_BY_OVERRIDE, "not-overridden", NULL, "Not overridden" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      CdReportRow row = { 0 };
      g_autofree char *label = NULL;

      row.key = (char *) cases[i].key;
      row.day = cases[i].day != NULL ? T (cases[i].day) : 0;
      label = cd_reports_row_label (&labeler, cases[i].by, &row);
      g_assert_cmpstr (label, ==, cases[i].label);
    }

  /* The first column's title names the grouping. */
  g_assert_cmpstr (cd_reports_key_title (CD_REPORT_BY_CREW), ==, "Crew");
  g_assert_cmpstr (cd_reports_key_title (CD_REPORT_BY_DAY), ==, "Day");
  g_assert_cmpstr (cd_reports_by_label (CD_REPORT_BY_AREA), ==, "By area");
}

/* Reports ------------------------------------------------------------------ */

typedef struct {
  GPtrArray      *tickets;
  GPtrArray      *callbacks;
  GPtrArray      *events;
  CdSlaPolicySet *policies;
} Data;

static void
data_clear (Data *data)
{
  g_ptr_array_unref (data->tickets);
  g_ptr_array_unref (data->callbacks);
  g_ptr_array_unref (data->events);
  g_object_unref (data->policies);
}

/* A ticket created at @created with its milestones @fr, @os, @res minutes
 * later (0: not reached), resolved if @res is set. */
static CdTicket *
add_ticket (Data       *data,
            const char *id,
            CdCategory  category,
            CdUrgency   urgency,
            const char *created,
            gint64      fr,
            gint64      os,
            gint64      res,
            const char *crew)
{
  CdTicket *t = cd_ticket_new ();
  CdSlaPolicy *policy;

  cd_record_set_id (CD_RECORD (t), id);
  t->category = category;
  t->urgency = urgency;
  cd_category_get_utility (category, &t->utility);
  t->area = g_strdup ("eastbank");
  t->area_class = CD_AREA_CLASS_URBAN;
  t->customer_account = g_strdup (id);
  t->crew_id = g_strdup (crew);
  t->created_at = T (created);
  policy = cd_sla_policy_set_lookup (data->policies, category, urgency, CD_AREA_CLASS_URBAN);
  g_assert_nonnull (policy);
  cd_sla_apply_policy (t, policy, cd_sla_policy_set_get_calendar (data->policies, policy->calendar));
  t->first_response_at = fr > 0 ? t->created_at + fr * 60 : 0;
  t->on_site_at = os > 0 ? t->created_at + os * 60 : 0;
  t->resolved_at = res > 0 ? t->created_at + res * 60 : 0;
  t->status = res > 0 ? CD_TICKET_STATUS_RESOLVED : CD_TICKET_STATUS_ASSIGNED;
  g_ptr_array_add (data->tickets, t);
  return t;
}

static void
add_callback (Data           *data,
              const char     *ticket_id,
              CdSatisfaction  satisfaction,
              gboolean        second_handling)
{
  CdCallback *callback = cd_callback_new ();

  callback->ticket_id = g_strdup (ticket_id);
  callback->satisfaction = satisfaction;
  callback->status = second_handling ? CD_CALLBACK_STATUS_SECOND_HANDLING : CD_CALLBACK_STATUS_DONE;
  callback->solved = !second_handling;
  if (second_handling)
    callback->second_opened_at = T ("2025-03-04T10:00:00+08:00");
  g_ptr_array_add (data->callbacks, callback);
}

static void
add_event (Data               *data,
           const char         *ticket_id,
           CdAssignmentSource  source,
           const char         *to,
           const char         *proposed)
{
  CdAssignmentEvent *event = cd_assignment_event_new ();

  event->ticket_id = g_strdup (ticket_id);
  event->source = source;
  event->to_crew = g_strdup (to);
  event->proposed_crew = g_strdup (proposed);
  event->at = T ("2025-03-03T08:01:00+08:00");
  g_ptr_array_add (data->events, event);
}

static void
data_init (Data *data)
{
  g_autoptr(GError) error = NULL;

  data->tickets = g_ptr_array_new_with_free_func (g_object_unref);
  data->callbacks = g_ptr_array_new_with_free_func (g_object_unref);
  data->events = g_ptr_array_new_with_free_func (g_object_unref);
  data->policies = cd_sla_policy_set_new_default (&error);
  g_assert_no_error (error);
}

/* Three tickets on Monday 2025-03-03 (+08:00), every figure by hand:
 *   t1 no heat, urgent (30/120/480 min): 10, 60, 200 → 3 of 3 met;
 *      satisfied; auto-assigned to crew-a
 *   t2 no heat, urgent: 40 (missed), 100, 300 → 2 of 3; unsatisfied,
 *      second handling (no first-time fix); overridden to crew-b
 *   t3 leak, emergency (10/45/240 min): 5, 50 (missed), 200 → 2 of 3;
 *      neutral; on crew-a
 * Compliance 7/9 = 77.8%; leak 66.7%, no heat 83.3%. Response 10, 40 and
 * 5 min: mean 18.3 min → "18 min", p90 the 3rd smallest, 40 min. First-
 * time fix 2/3; satisfaction 1/3; overridden t2: 2/3 = 66.7% against
 * t1 and t3's 5/6 = 83.3%. */
static CdReport *
make_report (Data *data)
{
  g_autoptr(GTimeZone) tz = zone ("+08:00");
  CdReportsFilter filter;
  CdReportQuery query;
  CdReport *report;

  data_init (data);
  add_ticket (data, "t1", CD_CATEGORY_NO_HEAT, CD_URGENCY_URGENT, "2025-03-03T08:00:00+08:00", 10, 60, 200, "crew-a");
  add_ticket (data, "t2", CD_CATEGORY_NO_HEAT, CD_URGENCY_URGENT, "2025-03-03T09:00:00+08:00", 40, 100, 300, "crew-b");
  add_ticket (data, "t3", CD_CATEGORY_LEAK, CD_URGENCY_EMERGENCY, "2025-03-03T10:00:00+08:00", 5, 50, 200, "crew-a");
  add_callback (data, "t1", CD_SATISFACTION_SATISFIED, FALSE);
  add_callback (data, "t2", CD_SATISFACTION_UNSATISFIED, TRUE);
  add_callback (data, "t3", CD_SATISFACTION_NEUTRAL, FALSE);
  add_event (data, "t1", CD_ASSIGNMENT_SOURCE_AUTO, "crew-a", NULL);
  add_event (data, "t2", CD_ASSIGNMENT_SOURCE_MANUAL, "crew-b", "crew-a");
  add_event (data, "t3", CD_ASSIGNMENT_SOURCE_AUTO, "crew-a", NULL);

  cd_reports_filter_init (&filter);
  set_date (&filter.first, "2025-03-03");
  set_date (&filter.last, "2025-03-05");
  cd_reports_filter_to_query (&filter, tz, &query);
  /* A month later: every repeat window has closed. */
  report = cd_report_new (data->tickets, data->callbacks, data->events, data->policies, &query,
                          T ("2025-04-03T00:00:00+08:00"));
  g_assert_cmpuint (cd_report_get_n_tickets (report), ==, 3);
  return report;
}

static const CdReportsFigure *
figure (GArray     *figures,
        const char *id)
{
  for (guint i = 0; i < figures->len; i++)
    {
      const CdReportsFigure *f = &g_array_index (figures, CdReportsFigure, i);

      if (g_str_equal (f->id, id))
        return f;
    }
  g_assert_not_reached ();
}

static void
test_summary (void)
{
  Data data;
  g_autoptr(CdReport) report = make_report (&data);
  g_autoptr(CdReportTable) total = cd_report_get_table (report, CD_REPORT_BY_NONE);
  g_autoptr(CdReportTable) overrides = cd_report_get_table (report, CD_REPORT_BY_OVERRIDE);
  g_autoptr(GArray) figures = cd_reports_summary (total->total, overrides);

  g_assert_cmpuint (figures->len, ==, 8);
  g_assert_cmpstr (figure (figures, "compliance")->value, ==, "77.8%");
  g_assert_cmpstr (figure (figures, "compliance")->detail, ==, "7 of 9 time limits met");
  g_assert_cmpstr (figure (figures, "response")->value, ==, "18 min");
  g_assert_cmpstr (figure (figures, "response")->detail, ==, "90% within 40 min · 3 tickets");
  g_assert_cmpstr (figure (figures, "arrival")->value, ==, "1 h 10 min");
  g_assert_cmpstr (figure (figures, "resolution")->value, ==, "3 h 53 min");
  g_assert_cmpstr (figure (figures, "first-time-fix")->value, ==, "66.7%");
  g_assert_cmpstr (figure (figures, "first-time-fix")->detail, ==, "2 of 3 resolved");
  g_assert_cmpstr (figure (figures, "repeats")->value, ==, "0");
  g_assert_cmpstr (figure (figures, "satisfaction")->value, ==, "33.3%");
  g_assert_cmpstr (figure (figures, "satisfaction")->detail, ==, "1 of 3 rated callbacks satisfied");
  g_assert_cmpstr (figure (figures, "overrides")->value, ==, "1");
  g_assert_cmpstr (figure (figures, "overrides")->detail, ==, "Compliance 66.7%, others 83.3%");

  data_clear (&data);
}

static void
test_cells (void)
{
  Data data;
  g_autoptr(CdReport) report = make_report (&data);
  g_autoptr(CdReportTable) table = cd_report_get_table (report, CD_REPORT_BY_CATEGORY);
  const CdReportRow *leak, *no_heat;
  CdReportRow empty = { 0 };
  static const struct {
    CdReportsColumn column;
    const char     *leak;
    const char     *empty;
  } cases[] = {
    { CD_REPORTS_COLUMN_TICKETS, "1", "0" },
    { CD_REPORTS_COLUMN_COMPLIANCE, "66.7%", "no data" },
    { CD_REPORTS_COLUMN_RESPONSE_MEAN, "5 min", "no data" },
    { CD_REPORTS_COLUMN_RESPONSE_P90, "5 min", "no data" },
    { CD_REPORTS_COLUMN_ARRIVAL_MEAN, "50 min", "no data" },
    { CD_REPORTS_COLUMN_ARRIVAL_P90, "50 min", "no data" },
    { CD_REPORTS_COLUMN_RESOLUTION_MEAN, "3 h 20 min", "no data" },
    { CD_REPORTS_COLUMN_RESOLUTION_P90, "3 h 20 min", "no data" },
    { CD_REPORTS_COLUMN_FIRST_TIME_FIX, "100.0%", "no data" },
    { CD_REPORTS_COLUMN_REPEATS, "0", "0" },
    { CD_REPORTS_COLUMN_SATISFACTION, "0.0%", "no data" },
    { CD_REPORTS_COLUMN_OVERRIDDEN, "0", "0" },
  };

  /* In the enum's order: leak before no heat. */
  g_assert_cmpuint (table->rows->len, ==, 2);
  leak = g_ptr_array_index (table->rows, 0);
  no_heat = g_ptr_array_index (table->rows, 1);
  g_assert_cmpstr (leak->key, ==, "leak");

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *a = cd_reports_format_cell (leak, cases[i].column);
      g_autofree char *b = cd_reports_format_cell (&empty, cases[i].column);

      g_assert_cmpstr (a, ==, cases[i].leak);
      g_assert_cmpstr (b, ==, cases[i].empty);
    }

  /* No data sorts first; then by the figure. */
  g_assert_cmpint (cd_reports_compare_rows (&empty, leak, CD_REPORTS_COLUMN_COMPLIANCE), <, 0);
  g_assert_cmpint (cd_reports_compare_rows (leak, no_heat, CD_REPORTS_COLUMN_COMPLIANCE), <, 0);
  g_assert_cmpint (cd_reports_compare_rows (no_heat, leak, CD_REPORTS_COLUMN_TICKETS), >, 0);
  g_assert_cmpint (cd_reports_compare_rows (leak, leak, CD_REPORTS_COLUMN_RESPONSE_P90), ==, 0);
  g_assert_cmpint (cd_reports_compare_rows (leak, no_heat, CD_REPORTS_COLUMN_KEY), <, 0);
  g_assert_cmpint (cd_reports_compare_rows (&empty, leak, CD_REPORTS_COLUMN_KEY), >, 0);

  data_clear (&data);
}

static void
test_charts (void)
{
  Data data;
  g_autoptr(GTimeZone) tz = zone ("+08:00");
  CdReportsLabeler labeler = { tz, crew_name_cb, NULL };
  g_autoptr(CdReport) report = make_report (&data);
  g_autoptr(CdReportTable) categories = cd_report_get_table (report, CD_REPORT_BY_CATEGORY);
  g_autoptr(CdReportTable) days = cd_report_get_table (report, CD_REPORT_BY_DAY);
  g_autoptr(CdReportTable) overrides = cd_report_get_table (report, CD_REPORT_BY_OVERRIDE);
  g_autoptr(CdChartData) by_category = cd_reports_compliance_chart (categories, CD_CHART_KIND_BARS, "By category",
                                                                    &labeler);
  g_autoptr(CdChartData) by_day = cd_reports_compliance_chart (days, CD_CHART_KIND_LINE, "By day", &labeler);
  g_autoptr(CdChartData) by_override = cd_reports_override_chart (overrides, "Overrides");
  g_autofree char *description = NULL;
  g_autofree char *tooltip = NULL;
  g_autofree char *day_description = NULL;
  g_autofree char *override_tooltip = NULL;
  const CdChartPoint *point;
  double max;

  g_assert_cmpuint (by_category->labels->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (by_category->labels, 0), ==, "Leak");
  point = cd_chart_data_get_point (by_category, 0, 1);
  g_assert_true (point->has_value);
  g_assert_cmpfloat_with_epsilon (point->value, 5.0 / 6.0, 1e-9);
  g_assert_true (cd_chart_data_get_max (by_category, &max));
  g_assert_cmpfloat_with_epsilon (max, 5.0 / 6.0, 1e-9);

  description = cd_chart_data_describe (by_category);
  g_assert_cmpstr (description, ==, "Leak: 66.7%. No heat: 83.3%.");
  tooltip = cd_chart_data_tooltip (by_category, 0);
  g_assert_cmpstr (tooltip, ==, "Leak\nTime-limit compliance: 66.7% (2 of 3 time limits met)");

  /* Every day of the range, those without tickets as gaps. */
  g_assert_cmpuint (by_day->labels->len, ==, 3);
  g_assert_cmpstr (g_ptr_array_index (by_day->labels, 0), ==, "Mon 3 Mar");
  g_assert_true (cd_chart_data_get_point (by_day, 0, 0)->has_value);
  g_assert_false (cd_chart_data_get_point (by_day, 0, 1)->has_value);
  day_description = cd_chart_data_describe (by_day);
  g_assert_cmpstr (day_description, ==, "Mon 3 Mar: 77.8%. Tue 4 Mar: no data. Wed 5 Mar: no data.");

  /* Overridden against the rest, over three outcomes. */
  g_assert_cmpuint (by_override->labels->len, ==, 3);
  g_assert_cmpuint (by_override->series->len, ==, 2);
  g_assert_cmpstr (((CdChartSeries *) g_ptr_array_index (by_override->series, 0))->name, ==, "Overridden (1 ticket)");
  g_assert_cmpstr (((CdChartSeries *) g_ptr_array_index (by_override->series, 1))->name, ==,
                   "Not overridden (2 tickets)");
  g_assert_cmpfloat_with_epsilon (cd_chart_data_get_point (by_override, 0, 0)->value, 2.0 / 3.0, 1e-9);
  g_assert_cmpfloat_with_epsilon (cd_chart_data_get_point (by_override, 1, 0)->value, 5.0 / 6.0, 1e-9);
  /* First-time fix: t2 was reopened. */
  g_assert_cmpfloat_with_epsilon (cd_chart_data_get_point (by_override, 0, 1)->value, 0.0, 1e-9);
  g_assert_true (cd_chart_data_get_point (by_override, 0, 1)->has_value);
  override_tooltip = cd_chart_data_tooltip (by_override, 2);
  g_assert_cmpstr (override_tooltip, ==,
                   "Satisfaction\n"
                   "Overridden (1 ticket): 0.0% (0 of 1 rated callback satisfied)\n"
                   "Not overridden (2 tickets): 50.0% (1 of 2 rated callbacks satisfied)");

  data_clear (&data);
}

static void
test_empty (void)
{
  Data data;
  g_autoptr(GTimeZone) tz = zone ("+08:00");
  CdReportsLabeler labeler = { tz, NULL, NULL };
  CdReportsFilter filter;
  CdReportQuery query;
  g_autoptr(CdReport) report = NULL;
  g_autoptr(CdReportTable) total = NULL;
  g_autoptr(CdReportTable) categories = NULL;
  g_autoptr(CdReportTable) days = NULL;
  g_autoptr(CdReportTable) overrides = NULL;
  g_autoptr(GArray) figures = NULL;
  g_autoptr(CdChartData) by_category = NULL;
  g_autoptr(CdChartData) by_day = NULL;
  g_autoptr(CdChartData) by_override = NULL;
  g_autofree char *description = NULL;
  static const char * const no_data[] = {
    "compliance", "response", "arrival", "resolution", "first-time-fix", "satisfaction",
  };

  data_init (&data);
  cd_reports_filter_init (&filter);
  set_date (&filter.first, "2025-03-03");
  set_date (&filter.last, "2025-03-04");
  cd_reports_filter_to_query (&filter, tz, &query);
  report = cd_report_new (data.tickets, data.callbacks, data.events, data.policies, &query,
                          T ("2025-03-05T00:00:00+08:00"));
  total = cd_report_get_table (report, CD_REPORT_BY_NONE);
  categories = cd_report_get_table (report, CD_REPORT_BY_CATEGORY);
  days = cd_report_get_table (report, CD_REPORT_BY_DAY);
  overrides = cd_report_get_table (report, CD_REPORT_BY_OVERRIDE);

  figures = cd_reports_summary (total->total, overrides);
  for (guint i = 0; i < G_N_ELEMENTS (no_data); i++)
    g_assert_cmpstr (figure (figures, no_data[i])->value, ==, "no data");
  g_assert_cmpstr (figure (figures, "compliance")->detail, ==, "No time limit decided yet");
  g_assert_cmpstr (figure (figures, "satisfaction")->detail, ==, "No callback rated yet");
  g_assert_cmpstr (figure (figures, "repeats")->value, ==, "0");
  g_assert_cmpstr (figure (figures, "overrides")->value, ==, "0");
  g_assert_cmpstr (figure (figures, "overrides")->detail, ==, "No override of the automatic match");

  by_category = cd_reports_compliance_chart (categories, CD_CHART_KIND_BARS, "By category", &labeler);
  g_assert_cmpuint (by_category->labels->len, ==, 0);
  g_assert_false (cd_chart_data_get_max (by_category, NULL));
  description = cd_chart_data_describe (by_category);
  g_assert_cmpstr (description, ==, "No data for this range.");

  by_day = cd_reports_compliance_chart (days, CD_CHART_KIND_LINE, "By day", &labeler);
  g_assert_cmpuint (by_day->labels->len, ==, 2);
  g_assert_false (cd_chart_data_get_max (by_day, NULL));

  by_override = cd_reports_override_chart (overrides, "Overrides");
  g_assert_false (cd_chart_data_get_max (by_override, NULL));

  data_clear (&data);
}

static void
test_tables_csv (void)
{
  Data data;
  g_autoptr(CdReport) report = make_report (&data);
  g_autoptr(CdReportTable) a = cd_report_get_table (report, CD_REPORT_BY_NONE);
  g_autoptr(CdReportTable) b = cd_report_get_table (report, CD_REPORT_BY_CREW);
  CdReportTable *tables[] = { a, b };
  g_autoptr(GString) expected = g_string_new (NULL);
  g_autoptr(GString) csv = g_string_new (NULL);
  g_autoptr(GString) none = g_string_new (NULL);

  cd_report_table_to_csv (a, expected);
  g_string_append (expected, "\r\n");
  cd_report_table_to_csv (b, expected);

  cd_reports_tables_to_csv (tables, G_N_ELEMENTS (tables), csv);
  g_assert_cmpstr (csv->str, ==, expected->str);
  g_assert_true (g_str_has_prefix (csv->str, "scope,tickets,"));
  g_assert_nonnull (strstr (csv->str, "\r\n\r\ncrew,tickets,"));

  cd_reports_tables_to_csv (NULL, 0, none);
  g_assert_cmpstr (none->str, ==, "");

  data_clear (&data);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  cd_model_init ();

  g_test_add_func ("/reports-logic/range/presets", test_range_presets);
  g_test_add_func ("/reports-logic/range/custom", test_range_custom);
  g_test_add_func ("/reports-logic/range/dst", test_range_dst);
  g_test_add_func ("/reports-logic/range/format", test_format_days);
  g_test_add_func ("/reports-logic/filter/query", test_filter_query);
  g_test_add_func ("/reports-logic/filter/category-in-utility", test_category_in_utility);
  g_test_add_func ("/reports-logic/scale/nice-number", test_nice_number);
  g_test_add_func ("/reports-logic/scale/ticks", test_scale);
  g_test_add_func ("/reports-logic/format", test_format);
  g_test_add_func ("/reports-logic/row-labels", test_row_labels);
  g_test_add_func ("/reports-logic/summary", test_summary);
  g_test_add_func ("/reports-logic/cells", test_cells);
  g_test_add_func ("/reports-logic/charts", test_charts);
  g_test_add_func ("/reports-logic/empty", test_empty);
  g_test_add_func ("/reports-logic/tables-csv", test_tables_csv);

  return g_test_run ();
}
