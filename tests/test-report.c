/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-report.c: the manager's reports (cd-report): population and
 * filters, time-limit compliance, durations, first-time fix, repeats,
 * satisfaction, overrides, day series, chart series and CSV.
 *
 * Times are local times at +08:00 ("YYYY-MM-DDTHH:MM"); 2025-03-03 is a
 * Monday, 2025-03-07 a Friday. Every expected figure is worked out by hand
 * in the comments beside it.
 */

#include "config.h"

#include <math.h>
#include <string.h>

#include "cd-model.h"
#include "cd-report.h"

#define POLICY_JSON                                                                              \
  "{\"format_version\": 1, \"warning_share\": 0.25, \"callback_due_min\": 1440,"                \
  " \"calendars\": {\"always\": {}, \"business-hours\": {\"time_zone\": \"+08:00\","            \
  "   \"weekdays\": [\"monday\", \"tuesday\", \"wednesday\", \"thursday\", \"friday\"],"         \
  "   \"open\": \"08:30\", \"close\": \"17:30\"}},"                                              \
  " \"fallback\": {\"category\": \"inquiry\", \"urgency\": \"normal\", \"area_class\": \"urban\"}," \
  " \"policies\": [{\"id\": \"705e63c6-c8bd-59d4-9c06-4c5787e2e63f\", \"category\": \"inquiry\"," \
  "   \"urgency\": \"normal\", \"area_class\": \"urban\", \"first_response_min\": 240,"            \
  "   \"on_site_min\": 0, \"resolved_min\": 1620, \"calendar\": \"business-hours\","             \
  "   \"auto_dispatch\": false}]}"

#define ALWAYS   CD_CALENDAR_KIND_ALWAYS
#define BUSINESS CD_CALENDAR_KIND_BUSINESS_HOURS
#define DAY      (24 * 3600)

/* A ticket as a table row. Limits in minutes. status 0 (NEW) means
 * "derive it": resolved when resolved is set, else open. */
typedef struct {
  const char     *number;
  const char     *created;
  gint64          fr, os, res;
  CdCalendarKind  calendar;
  const char     *first_response;
  const char     *on_site;
  const char     *resolved;
  const char     *pause_start;
  const char     *pause_end;
  const char     *area;
  const char     *crew;
  CdCategory      category;
  CdTicketStatus  status;
  const char     *account;
  const char     *address;
  const char     *duplicate_of;  /* a number */
} TicketSpec;

/* Helpers ----------------------------------------------------------------- */

static gint64
T (const char *text)
{
  g_autofree char *full = NULL;
  g_autoptr(GDateTime) dt = NULL;

  if (text == NULL)
    return 0;

  full = strlen (text) == 16 ? g_strconcat (text, ":00+08:00", NULL) : g_strdup (text);
  dt = g_date_time_new_from_iso8601 (full, NULL);
  g_assert_nonnull (dt);

  return g_date_time_to_unix (dt);
}

static CdSlaPolicySet *
make_policies (void)
{
  g_autoptr(GError) error = NULL;
  CdSlaPolicySet *policies = cd_sla_policy_set_new_from_data (POLICY_JSON, -1, "test", &error);

  g_assert_no_error (error);
  return policies;
}

/* Ticket "HT-<n>" has the id make_id (n). */
static char *
make_id (guint n)
{
  return g_strdup_printf ("00000000-0000-4000-8000-%012u", n);
}

static char *
id_of_number (const char *number)
{
  return make_id ((guint) g_ascii_strtoull (number + 3, NULL, 10));
}

static CdTicket *
make_ticket (CdSlaPolicySet   *policies,
             const TicketSpec *spec)
{
  g_autoptr(CdSlaPolicy) policy = cd_sla_policy_new ();
  g_autofree char *id = id_of_number (spec->number);
  CdCalendar *calendar = cd_sla_policy_set_get_calendar (policies, spec->calendar);
  CdTicket *ticket = cd_ticket_new ();

  cd_record_set_id (CD_RECORD (ticket), id);
  ticket->number = g_strdup (spec->number);
  ticket->created_at = T (spec->created);
  ticket->category = spec->category;
  cd_category_get_utility (spec->category, &ticket->utility);
  ticket->area = g_strdup (spec->area);
  ticket->crew_id = g_strdup (spec->crew);
  ticket->customer_account = g_strdup (spec->account);
  ticket->address = g_strdup (spec->address);
  if (spec->duplicate_of != NULL)
    ticket->duplicate_of = id_of_number (spec->duplicate_of);

  policy->first_response_min = spec->fr;
  policy->on_site_min = spec->os;
  policy->resolved_min = spec->res;
  policy->calendar = spec->calendar;
  policy->warning_share = 0.25;
  cd_sla_apply_policy (ticket, policy, calendar);

  if (spec->pause_start != NULL)
    {
      g_assert_true (cd_sla_pause (ticket, calendar, T (spec->pause_start), NULL, NULL));
      if (spec->pause_end != NULL)
        g_assert_true (cd_sla_resume (ticket, calendar, T (spec->pause_end), NULL));
    }

  ticket->first_response_at = T (spec->first_response);
  ticket->on_site_at = T (spec->on_site);
  ticket->resolved_at = T (spec->resolved);
  if (spec->status != CD_TICKET_STATUS_NEW)
    ticket->status = spec->status;
  else if (spec->duplicate_of != NULL)
    ticket->status = CD_TICKET_STATUS_DUPLICATE;
  else if (ticket->resolved_at != 0)
    ticket->status = CD_TICKET_STATUS_RESOLVED;
  else if (ticket->crew_id != NULL)
    ticket->status = CD_TICKET_STATUS_ASSIGNED;

  return ticket;
}

static GPtrArray *
make_tickets (CdSlaPolicySet   *policies,
              const TicketSpec *specs,
              guint             n_specs)
{
  GPtrArray *tickets = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; i < n_specs; i++)
    g_ptr_array_add (tickets, make_ticket (policies, &specs[i]));

  return tickets;
}

static CdCallback *
make_callback (const char     *number,
               CdSatisfaction  satisfaction,
               gboolean        solved,
               gboolean        second_handling)
{
  CdCallback *callback = cd_callback_new ();

  callback->ticket_id = id_of_number (number);
  callback->satisfaction = satisfaction;
  callback->solved = solved;
  if (satisfaction != CD_SATISFACTION_UNKNOWN)
    {
      callback->completed_at = T ("2025-03-04T10:00");
      callback->status = CD_CALLBACK_STATUS_DONE;
    }
  if (second_handling)
    {
      callback->status = CD_CALLBACK_STATUS_SECOND_HANDLING;
      callback->second_opened_at = T ("2025-03-04T10:00");
    }

  return callback;
}

static CdAssignmentEvent *
make_event (const char         *number,
            CdAssignmentSource  source,
            const char         *to,
            const char         *proposed)
{
  CdAssignmentEvent *event = cd_assignment_event_new ();

  event->ticket_id = id_of_number (number);
  event->source = source;
  event->actor = g_strdup (source == CD_ASSIGNMENT_SOURCE_AUTO ? "auto-dispatch" : "li");
  event->to_crew = g_strdup (to);
  event->proposed_crew = g_strdup (proposed);
  event->at = T ("2025-03-03T08:01");
  return event;
}

static CdReport *
make_report (GPtrArray           *tickets,
             GPtrArray           *callbacks,
             GPtrArray           *events,
             const CdReportQuery *query,
             const char          *now)
{
  g_autoptr(CdSlaPolicySet) policies = make_policies ();

  return cd_report_new (tickets, callbacks, events, policies, query, T (now));
}

static CdReportRow *
find_row (CdReportTable *table,
          const char    *key)
{
  for (guint i = 0; i < table->rows->len; i++)
    {
      CdReportRow *row = g_ptr_array_index (table->rows, i);

      if (g_strcmp0 (row->key, key) == 0)
        return row;
    }

  g_error ("no row “%s”", key ? key : "(none)");
  return NULL;
}

static char *
describe_ratio (const CdReportRatio *ratio)
{
  return g_strdup_printf ("%u/%u", ratio->numerator, ratio->denominator);
}

/* "fr 2/3 os 1/2 res 0/1 all 3/6" */
static char *
describe_compliance (const CdReportRow *row)
{
  return g_strdup_printf ("fr %u/%u os %u/%u res %u/%u all %u/%u",
                          row->compliance[0].numerator, row->compliance[0].denominator,
                          row->compliance[1].numerator, row->compliance[1].denominator,
                          row->compliance[2].numerator, row->compliance[2].denominator,
                          row->compliance_all.numerator, row->compliance_all.denominator);
}

/* Every double in a row is a number: no NaN, no infinity. */
static void
assert_row_finite (const CdReportRow *row)
{
  const CdReportStat *stats[] = { &row->response, &row->arrival, &row->resolution };
  const CdReportRatio *ratios[] = {
    &row->compliance[0], &row->compliance[1], &row->compliance[2], &row->compliance_all,
    &row->first_time_fix, &row->satisfaction,
  };

  for (guint i = 0; i < G_N_ELEMENTS (stats); i++)
    g_assert_true (isfinite (stats[i]->mean));
  for (guint i = 0; i < G_N_ELEMENTS (ratios); i++)
    {
      double value = -1;

      cd_report_ratio_get (ratios[i], &value);
      g_assert_true (isfinite (value));
    }
}

/* The population ------------------------------------------------------------ */

static const TicketSpec population[] = {
  /* In [03-03 00:00, 03-05 00:00): HT-1..HT-4 and the repeat HT-6. */
  { "HT-1", "2025-03-03T00:00", 10, 45, 240, ALWAYS, NULL, NULL, NULL, NULL, NULL,
    "north", "crew-a", CD_CATEGORY_LEAK, 0, NULL, NULL, NULL },
  { "HT-2", "2025-03-03T09:00", 10, 45, 240, ALWAYS, NULL, NULL, NULL, NULL, NULL,
    "south", "crew-b", CD_CATEGORY_NO_POWER, 0, NULL, NULL, NULL },
  { "HT-3", "2025-03-04T12:00", 10, 45, 240, ALWAYS, NULL, NULL, NULL, NULL, NULL,
    "north", NULL, CD_CATEGORY_NO_HEAT, 0, NULL, NULL, NULL },
  { "HT-4", "2025-03-04T23:59", 10, 45, 240, ALWAYS, NULL, NULL, NULL, NULL, NULL,
    NULL, "crew-a", CD_CATEGORY_BILLING, 0, NULL, NULL, NULL },
  /* Exactly at "to": out. Before "from": out. */
  { "HT-5", "2025-03-05T00:00", 10, 45, 240, ALWAYS, NULL, NULL, NULL, NULL, NULL,
    "north", "crew-a", CD_CATEGORY_LEAK, 0, NULL, NULL, NULL },
  { "HT-6", "2025-03-03T09:05", 10, 45, 240, ALWAYS, NULL, NULL, NULL, NULL, NULL,
    "south", NULL, CD_CATEGORY_NO_POWER, 0, NULL, NULL, "HT-2" },
  { "HT-7", "2025-03-02T23:59", 10, 45, 240, ALWAYS, NULL, NULL, NULL, NULL, NULL,
    "north", "crew-a", CD_CATEGORY_LEAK, 0, NULL, NULL, NULL },
};

static void
test_population (void)
{
  static const struct {
    const char *from;
    const char *to;
    gint        utility;
    gint        category;
    const char *area;
    const char *crew;
    guint       tickets;
    guint       repeats;
  } cases[] = {
    { "2025-03-03T00:00", "2025-03-05T00:00", -1, -1, NULL, NULL, 5, 1 },
    { NULL, NULL, -1, -1, NULL, NULL, 7, 1 },
    { "2025-03-03T00:00", NULL, -1, -1, NULL, NULL, 6, 1 },
    { NULL, "2025-03-03T00:00", -1, -1, NULL, NULL, 1, 0 },
    /* Power: no-power HT-2 and HT-6. Heat: leak HT-1, no-heat HT-3 (billing
     * has no utility of its own; it is heat by default, enum value 0). */
    { "2025-03-03T00:00", "2025-03-05T00:00", CD_UTILITY_POWER, -1, NULL, NULL, 2, 1 },
    { "2025-03-03T00:00", "2025-03-05T00:00", -1, CD_CATEGORY_LEAK, NULL, NULL, 1, 0 },
    { "2025-03-03T00:00", "2025-03-05T00:00", -1, -1, "north", NULL, 2, 0 },
    { "2025-03-03T00:00", "2025-03-05T00:00", -1, -1, "", NULL, 1, 0 },
    { "2025-03-03T00:00", "2025-03-05T00:00", -1, -1, NULL, "crew-a", 2, 0 },
    { "2025-03-03T00:00", "2025-03-05T00:00", -1, -1, NULL, "", 2, 1 },
    { "2025-03-03T00:00", "2025-03-05T00:00", -1, -1, "north", "crew-b", 0, 0 },
    /* An empty range. */
    { "2025-03-04T00:00", "2025-03-04T00:00", -1, -1, NULL, NULL, 0, 0 },
  };
  g_autoptr(CdSlaPolicySet) policies = make_policies ();
  g_autoptr(GPtrArray) tickets = make_tickets (policies, population, G_N_ELEMENTS (population));

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      CdReportQuery query;
      g_autoptr(CdReport) report = NULL;
      g_autoptr(CdReportTable) table = NULL;

      cd_report_query_init (&query);
      query.from = T (cases[i].from);
      query.to = T (cases[i].to);
      query.utility = cases[i].utility;
      query.category = cases[i].category;
      query.area = cases[i].area;
      query.crew_id = cases[i].crew;
      report = make_report (tickets, NULL, NULL, &query, "2025-03-06T00:00");
      table = cd_report_get_table (report, CD_REPORT_BY_NONE);

      g_test_message ("population case %u", i);
      g_assert_cmpuint (cd_report_get_n_tickets (report), ==, cases[i].tickets);
      g_assert_cmpuint (table->total->tickets, ==, cases[i].tickets);
      g_assert_cmpuint (table->total->repeats, ==, cases[i].repeats);
      g_assert_cmpuint (table->rows->len, ==, 1);
      g_assert_cmpuint (((CdReportRow *) g_ptr_array_index (table->rows, 0))->tickets, ==, cases[i].tickets);
    }
}

/* Compliance ------------------------------------------------------------------ */

/* At now = Monday 2025-03-10 09:00. 24x7 tickets at 10/45/240 are due
 * 08:10, 08:45 and 12:00 after an 08:00 creation.
 *  HT-1 (leak, north, crew-a): responded 08:10:00 exactly (met), on site
 *       08:40 (met), resolved 12:30 (missed).
 *  HT-2 (leak, north, crew-b): 08:11 (missed), 08:50 (missed), 11:00 (met).
 *  HT-3 (leak, south, crew-a): open since 08:00 on 03-10, nothing reached:
 *       response and on site red at 09:00 (missed), resolution running
 *       (not decided).
 *  HT-4 (billing, south, no crew): business hours 240 / none / 1620,
 *       created Friday 17:00; responded Monday 03-10 08:45, 63¾ hours
 *       later but only 30 + 15 working minutes (met); resolved Monday
 *       08:55 (met). No on-site limit: never decided.
 *  HT-5 (no-heat, north, crew-a): waited 08:05-08:30, responded 08:30:
 *       the deadline moved to 08:35 (met); on site 08:50 against 09:10
 *       (met); resolved 12:20 against 12:25 (met).
 *  HT-6 repeats HT-1 and HT-7 is cancelled: counted, never decided.
 *  HT-8 (no-heat, north, crew-a): resolved by phone at 08:05 without a
 *       response or a visit of its own: both count as reached at the
 *       resolution, all three met. */
static const TicketSpec compliance_tickets[] = {
  { "HT-1", "2025-03-03T08:00", 10, 45, 240, ALWAYS, "2025-03-03T08:10", "2025-03-03T08:40", "2025-03-03T12:30",
    NULL, NULL, "north", "crew-a", CD_CATEGORY_LEAK, 0, NULL, NULL, NULL },
  { "HT-2", "2025-03-03T08:00", 10, 45, 240, ALWAYS, "2025-03-03T08:11", "2025-03-03T08:50", "2025-03-03T11:00",
    NULL, NULL, "north", "crew-b", CD_CATEGORY_LEAK, 0, NULL, NULL, NULL },
  { "HT-3", "2025-03-10T08:00", 10, 45, 240, ALWAYS, NULL, NULL, NULL,
    NULL, NULL, "south", "crew-a", CD_CATEGORY_LEAK, 0, NULL, NULL, NULL },
  { "HT-4", "2025-03-07T17:00", 240, 0, 1620, BUSINESS, "2025-03-10T08:45", NULL, "2025-03-10T08:55",
    NULL, NULL, "south", NULL, CD_CATEGORY_BILLING, 0, NULL, NULL, NULL },
  { "HT-5", "2025-03-03T08:00", 10, 45, 240, ALWAYS, "2025-03-03T08:30", "2025-03-03T08:50", "2025-03-03T12:20",
    "2025-03-03T08:05", "2025-03-03T08:30", "north", "crew-a", CD_CATEGORY_NO_HEAT, 0, NULL, NULL, NULL },
  { "HT-6", "2025-03-03T08:02", 10, 45, 240, ALWAYS, NULL, NULL, NULL,
    NULL, NULL, "north", NULL, CD_CATEGORY_LEAK, 0, NULL, NULL, "HT-1" },
  { "HT-7", "2025-03-03T08:00", 10, 45, 240, ALWAYS, NULL, NULL, NULL,
    NULL, NULL, "north", "crew-a", CD_CATEGORY_LEAK, CD_TICKET_STATUS_CANCELLED, NULL, NULL, NULL },
  { "HT-8", "2025-03-03T08:00", 10, 45, 240, ALWAYS, NULL, NULL, "2025-03-03T08:05",
    NULL, NULL, "north", "crew-a", CD_CATEGORY_NO_HEAT, 0, NULL, NULL, NULL },
};

#define COMPLIANCE_NOW "2025-03-10T09:00"

static void
test_compliance (void)
{
  static const struct {
    CdReportBy  by;
    const char *key;
    const char *expected;
  } cases[] = {
    /* fr: HT-1 ✓ HT-2 ✗ HT-3 ✗ HT-4 ✓ HT-5 ✓ HT-8 ✓ = 4/6;
     * os: ✓ ✗ ✗ – ✓ ✓ = 3/5; res: ✗ ✓ – ✓ ✓ ✓ = 4/5. */
    { CD_REPORT_BY_NONE, "all", "fr 4/6 os 3/5 res 4/5 all 11/16" },
    /* leak: HT-1, HT-2, HT-3 (HT-6, HT-7 not decided). */
    { CD_REPORT_BY_CATEGORY, "leak", "fr 1/3 os 1/3 res 1/2 all 3/8" },
    { CD_REPORT_BY_CATEGORY, "no-heat", "fr 2/2 os 2/2 res 2/2 all 6/6" },
    { CD_REPORT_BY_CATEGORY, "billing", "fr 1/1 os 0/0 res 1/1 all 2/2" },
    /* north: HT-1, HT-2, HT-5, HT-8; south: HT-3, HT-4. */
    { CD_REPORT_BY_AREA, "north", "fr 3/4 os 3/4 res 3/4 all 9/12" },
    { CD_REPORT_BY_AREA, "south", "fr 1/2 os 0/1 res 1/1 all 2/4" },
    /* crew-a: HT-1, HT-3, HT-5, HT-8; crew-b: HT-2; none: HT-4. */
    { CD_REPORT_BY_CREW, "crew-a", "fr 3/4 os 3/4 res 2/3 all 8/11" },
    { CD_REPORT_BY_CREW, "crew-b", "fr 0/1 os 0/1 res 1/1 all 1/3" },
    { CD_REPORT_BY_CREW, NULL, "fr 1/1 os 0/0 res 1/1 all 2/2" },
  };
  g_autoptr(CdSlaPolicySet) policies = make_policies ();
  g_autoptr(GPtrArray) tickets = make_tickets (policies, compliance_tickets, G_N_ELEMENTS (compliance_tickets));
  g_autoptr(CdReport) report = make_report (tickets, NULL, NULL, NULL, COMPLIANCE_NOW);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(CdReportTable) table = cd_report_get_table (report, cases[i].by);
      g_autofree char *got = describe_compliance (find_row (table, cases[i].key));

      g_test_message ("compliance case %u", i);
      g_assert_cmpstr (got, ==, cases[i].expected);
    }
}

static void
test_compliance_counts (void)
{
  g_autoptr(CdSlaPolicySet) policies = make_policies ();
  g_autoptr(GPtrArray) tickets = make_tickets (policies, compliance_tickets, G_N_ELEMENTS (compliance_tickets));
  g_autoptr(CdReport) report = make_report (tickets, NULL, NULL, NULL, COMPLIANCE_NOW);
  g_autoptr(CdReportTable) table = cd_report_get_table (report, CD_REPORT_BY_CATEGORY);
  g_autoptr(CdReportTable) crews = cd_report_get_table (report, CD_REPORT_BY_CREW);
  CdReportRow *leak = find_row (table, "leak");
  g_autoptr(GString) keys = g_string_new (NULL);
  g_autoptr(GString) crew_keys = g_string_new (NULL);

  /* 8 reports: one repeat, one cancelled, 5 resolved (HT-1, 2, 4, 5, 8). */
  g_assert_cmpuint (table->total->tickets, ==, 8);
  g_assert_cmpuint (table->total->repeats, ==, 1);
  g_assert_cmpuint (table->total->cancelled, ==, 1);
  g_assert_cmpuint (table->total->resolved, ==, 5);
  g_assert_cmpuint (leak->tickets, ==, 5);
  g_assert_cmpuint (leak->repeats, ==, 1);
  g_assert_cmpuint (leak->cancelled, ==, 1);

  /* Categories in enum order (leak before no-heat before billing); crews
   * by id, unassigned last. */
  for (guint i = 0; i < table->rows->len; i++)
    g_string_append_printf (keys, "%s ", ((CdReportRow *) g_ptr_array_index (table->rows, i))->key);
  g_assert_cmpstr (keys->str, ==, "leak no-heat billing ");
  for (guint i = 0; i < crews->rows->len; i++)
    {
      const char *key = ((CdReportRow *) g_ptr_array_index (crews->rows, i))->key;

      g_string_append_printf (crew_keys, "%s ", key ? key : "(none)");
    }
  g_assert_cmpstr (crew_keys->str, ==, "crew-a crew-b (none) ");
}

/* Durations ------------------------------------------------------------------- */

static void
test_durations (void)
{
  /* Responses of n tickets, minutes after creation (all created 08:00). */
  static const struct {
    const char *what;
    guint       n;
    guint       minutes[12];
    double      mean_s;
    gint64      p90_s;
  } cases[] = {
    /* 1..10 min: mean 5.5 min = 330 s; p90 = the 9th smallest = 540 s. */
    { "ten", 10, { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 }, 330.0, 540 },
    /* Unordered input, same answer. */
    { "shuffled", 10, { 7, 3, 10, 1, 9, 2, 8, 4, 6, 5 }, 330.0, 540 },
    /* One value: itself. */
    { "one", 1, { 42 }, 2520.0, 2520 },
    /* Eleven: ceil (9.9) = the 10th smallest. mean 66/11 = 6 min. */
    { "eleven", 11, { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 }, 360.0, 600 },
    /* Ties: 0,0,0,0,0,0,0,0,0,60 min: p90 = 9th = 0; mean 6 min. */
    { "ties", 10, { 0, 0, 0, 0, 0, 0, 0, 0, 0, 60 }, 360.0, 0 },
    /* Two: ceil (1.8) = the 2nd. */
    { "two", 2, { 5, 1 }, 180.0, 300 },
  };

  for (guint c = 0; c < G_N_ELEMENTS (cases); c++)
    {
      g_autoptr(CdSlaPolicySet) policies = make_policies ();
      g_autoptr(GPtrArray) tickets = g_ptr_array_new_with_free_func (g_object_unref);
      g_autoptr(CdReport) report = NULL;
      g_autoptr(CdReportTable) table = NULL;

      for (guint i = 0; i < cases[c].n; i++)
        {
          g_autofree char *number = g_strdup_printf ("HT-%u", i + 1);
          TicketSpec spec = { number, "2025-03-03T08:00", 10, 0, 0, ALWAYS, NULL, NULL, NULL, NULL, NULL,
                              NULL, NULL, CD_CATEGORY_LEAK, 0, NULL, NULL, NULL };
          CdTicket *ticket = make_ticket (policies, &spec);

          ticket->first_response_at = ticket->created_at + cases[c].minutes[i] * 60;
          ticket->status = CD_TICKET_STATUS_CONTACTED;
          g_ptr_array_add (tickets, ticket);
        }

      report = make_report (tickets, NULL, NULL, NULL, "2025-03-04T00:00");
      table = cd_report_get_table (report, CD_REPORT_BY_NONE);
      g_test_message ("durations case %u: %s", c, cases[c].what);
      g_assert_cmpuint (table->total->response.count, ==, cases[c].n);
      g_assert_cmpfloat_with_epsilon (table->total->response.mean, cases[c].mean_s, 1e-9);
      g_assert_cmpint (table->total->response.p90, ==, cases[c].p90_s);
      /* Nobody arrived or resolved: no data there. */
      g_assert_cmpuint (table->total->arrival.count, ==, 0);
      g_assert_cmpuint (table->total->resolution.count, ==, 0);
      g_assert_cmpfloat (table->total->arrival.mean, ==, 0.0);
    }
}

static void
test_durations_kinds (void)
{
  /* HT-1: response 10 min, arrival 40, resolution 270. HT-2: 11, 50, 180.
   * HT-8: resolved by phone at 5 min: no response or arrival of its own.
   * HT-5: response 30 (the pause counts: the customer waited), 50, 260.
   * HT-4: response Friday 17:00 to Monday 08:45 = 63 h 45 min = 229500 s,
   *       resolution 63 h 55 min = 230100 s (wall clock, not working
   *       time). HT-3 has nothing yet. */
  g_autoptr(CdSlaPolicySet) policies = make_policies ();
  g_autoptr(GPtrArray) tickets = make_tickets (policies, compliance_tickets, G_N_ELEMENTS (compliance_tickets));
  g_autoptr(CdReport) report = make_report (tickets, NULL, NULL, NULL, COMPLIANCE_NOW);
  g_autoptr(CdReportTable) table = cd_report_get_table (report, CD_REPORT_BY_NONE);
  CdReportRow *all = table->total;

  /* Responses: 600, 660, 229500, 1800: mean 232560 / 4 = 58140; p90 =
   * ceil (3.6) = the 4th = 229500. */
  g_assert_cmpuint (all->response.count, ==, 4);
  g_assert_cmpfloat_with_epsilon (all->response.mean, 58140.0, 1e-9);
  g_assert_cmpint (all->response.p90, ==, 229500);
  /* Arrivals: 2400, 3000, 3000: mean 2800; p90 = 3rd = 3000. */
  g_assert_cmpuint (all->arrival.count, ==, 3);
  g_assert_cmpfloat_with_epsilon (all->arrival.mean, 2800.0, 1e-9);
  g_assert_cmpint (all->arrival.p90, ==, 3000);
  /* Resolutions: 16200, 10800, 230100, 15600, 300: sum 273000, mean
   * 54600; p90 = ceil (4.5) = 5th = 230100. */
  g_assert_cmpuint (all->resolution.count, ==, 5);
  g_assert_cmpfloat_with_epsilon (all->resolution.mean, 54600.0, 1e-9);
  g_assert_cmpint (all->resolution.p90, ==, 230100);
}

static void
test_p90_matches_sorting (void)
{
  /* The selection behind p90 against a plain sort, on awkward inputs:
   * many ties, sorted, reversed, random; sizes 1 to 300. */
  g_autoptr(GRand) rand = g_rand_new_with_seed (7);
  g_autoptr(CdSlaPolicySet) policies = make_policies ();

  for (guint round = 0; round < 40; round++)
    {
      guint n = 1 + (guint) g_rand_int_range (rand, 0, 300);
      g_autoptr(GPtrArray) tickets = g_ptr_array_new_with_free_func (g_object_unref);
      g_autoptr(GArray) values = g_array_new (FALSE, FALSE, sizeof (gint64));
      g_autoptr(CdReport) report = NULL;
      g_autoptr(CdReportTable) table = NULL;
      gint64 expected;

      for (guint i = 0; i < n; i++)
        {
          g_autofree char *number = g_strdup_printf ("HT-%u", i + 1);
          TicketSpec spec = { number, "2025-03-03T08:00", 10, 0, 0, ALWAYS, NULL, NULL, NULL, NULL, NULL,
                              NULL, NULL, CD_CATEGORY_LEAK, 0, NULL, NULL, NULL };
          CdTicket *ticket = make_ticket (policies, &spec);
          gint64 v;

          switch (round % 4)
            {
            case 0: v = g_rand_int_range (rand, 0, 5); break;    /* ties */
            case 1: v = i; break;                                 /* sorted */
            case 2: v = n - i; break;                             /* reversed */
            default: v = g_rand_int_range (rand, 0, 100000); break;
            }
          ticket->first_response_at = ticket->created_at + v;
          g_array_append_val (values, v);
          g_ptr_array_add (tickets, ticket);
        }

      /* Nearest rank by sorting: the ceil (0.9 n)-th smallest. */
      for (guint i = 1; i < values->len; i++)
        for (guint j = i; j > 0 && g_array_index (values, gint64, j - 1) > g_array_index (values, gint64, j); j--)
          {
            gint64 t = g_array_index (values, gint64, j);

            g_array_index (values, gint64, j) = g_array_index (values, gint64, j - 1);
            g_array_index (values, gint64, j - 1) = t;
          }
      expected = g_array_index (values, gint64, (guint) ceil (0.9 * n) - 1);

      report = make_report (tickets, NULL, NULL, NULL, "2025-03-04T00:00");
      table = cd_report_get_table (report, CD_REPORT_BY_NONE);
      g_assert_cmpint (table->total->response.p90, ==, expected);
    }
}

/* First-time fix -------------------------------------------------------------- */

static void
test_first_time_fix (void)
{
  /* The ticket under test, HT-1: a leak for account A-1 at "12 Riverside
   * Rd.", created 03-03 08:00, resolved 03-03 12:00. now = 2025-03-20,
   * long after every window, unless a case says otherwise. */
  static const struct {
    const char      *what;
    const char      *later_created;   /* a second report, NULL: none */
    CdCategory       later_category;
    const char      *later_account;
    const char      *later_address;
    CdTicketStatus   later_status;
    const char      *later_duplicate_of;
    CdSatisfaction   satisfaction;    /* of HT-1's callback; UNKNOWN: none */
    gboolean         solved;
    gint64           window;          /* 0: the default, 7 days */
    const char      *now;
    guint            fixed;           /* of HT-1 (HT-2 only counts when resolved) */
    guint            pending;
  } cases[] = {
    { "nothing after", NULL, 0, NULL, NULL, 0, NULL, CD_SATISFACTION_UNKNOWN, TRUE, 0, "2025-03-20T00:00", 1, 0 },
    { "satisfied callback", NULL, 0, NULL, NULL, 0, NULL, CD_SATISFACTION_SATISFIED, TRUE, 0, "2025-03-20T00:00", 1, 0 },
    { "neutral callback", NULL, 0, NULL, NULL, 0, NULL, CD_SATISFACTION_NEUTRAL, TRUE, 0, "2025-03-20T00:00", 1, 0 },
    { "unsatisfied: second handling", NULL, 0, NULL, NULL, 0, NULL, CD_SATISFACTION_UNSATISFIED, TRUE, 0,
      "2025-03-20T00:00", 0, 0 },
    { "satisfied but unsolved", NULL, 0, NULL, NULL, 0, NULL, CD_SATISFACTION_SATISFIED, FALSE, 0,
      "2025-03-20T00:00", 0, 0 },
    { "same account, same category, 2 days later", "2025-03-05T12:00", CD_CATEGORY_LEAK, "A-1", NULL, 0, NULL,
      CD_SATISFACTION_UNKNOWN, TRUE, 0, "2025-03-20T00:00", 0, 0 },
    /* Exactly 7 days after the resolution: inside; a second more: outside. */
    { "exactly at the window's end", "2025-03-10T12:00", CD_CATEGORY_LEAK, "A-1", NULL, 0, NULL,
      CD_SATISFACTION_UNKNOWN, TRUE, 0, "2025-03-20T00:00", 0, 0 },
    { "just after the window", "2025-03-10T12:00:01+08:00", CD_CATEGORY_LEAK, "A-1", NULL, 0, NULL,
      CD_SATISFACTION_UNKNOWN, TRUE, 0, "2025-03-20T00:00", 1, 0 },
    { "a shorter window", "2025-03-05T12:00", CD_CATEGORY_LEAK, "A-1", NULL, 0, NULL,
      CD_SATISFACTION_UNKNOWN, TRUE, DAY, "2025-03-20T00:00", 1, 0 },
    { "same account, other category", "2025-03-05T12:00", CD_CATEGORY_NO_HEAT, "A-1", NULL, 0, NULL,
      CD_SATISFACTION_UNKNOWN, TRUE, 0, "2025-03-20T00:00", 1, 0 },
    { "other account", "2025-03-05T12:00", CD_CATEGORY_LEAK, "A-2", "12 Riverside Rd.", 0, NULL,
      CD_SATISFACTION_UNKNOWN, TRUE, 0, "2025-03-20T00:00", 1, 0 },
    /* Reported again before the resolution: part of the same fault. */
    { "before the resolution", "2025-03-03T10:00", CD_CATEGORY_LEAK, "A-1", NULL, 0, NULL,
      CD_SATISFACTION_UNKNOWN, TRUE, 0, "2025-03-20T00:00", 1, 0 },
    { "a cancelled report", "2025-03-05T12:00", CD_CATEGORY_LEAK, "A-1", NULL, CD_TICKET_STATUS_CANCELLED, NULL,
      CD_SATISFACTION_UNKNOWN, TRUE, 0, "2025-03-20T00:00", 1, 0 },
    /* Linked as its duplicate after the resolution, no account. */
    { "linked by duplicate_of", "2025-03-04T12:00", CD_CATEGORY_NO_HEAT, NULL, NULL, 0, "HT-1",
      CD_SATISFACTION_UNKNOWN, TRUE, 0, "2025-03-20T00:00", 0, 0 },
    /* The window still open: fixed so far, pending. */
    { "window open", NULL, 0, NULL, NULL, 0, NULL, CD_SATISFACTION_SATISFIED, TRUE, 0, "2025-03-05T00:00", 1, 1 },
    { "window open, already repeated", "2025-03-04T12:00", CD_CATEGORY_LEAK, "A-1", NULL, 0, NULL,
      CD_SATISFACTION_UNKNOWN, TRUE, 0, "2025-03-05T00:00", 0, 0 },
    /* The window ends exactly at now: no longer pending. */
    { "window closes at now", NULL, 0, NULL, NULL, 0, NULL, CD_SATISFACTION_UNKNOWN, TRUE, 0, "2025-03-10T12:00", 1, 0 },
  };

  for (guint c = 0; c < G_N_ELEMENTS (cases); c++)
    {
      TicketSpec first = { "HT-1", "2025-03-03T08:00", 10, 45, 240, ALWAYS, "2025-03-03T08:05", "2025-03-03T08:30",
                           "2025-03-03T12:00", NULL, NULL, "north", "crew-a", CD_CATEGORY_LEAK, 0,
                           "A-1", "12 Riverside Rd.", NULL };
      g_autoptr(CdSlaPolicySet) policies = make_policies ();
      g_autoptr(GPtrArray) tickets = g_ptr_array_new_with_free_func (g_object_unref);
      g_autoptr(GPtrArray) callbacks = g_ptr_array_new_with_free_func (g_object_unref);
      g_autoptr(CdReport) report = NULL;
      g_autoptr(CdReportTable) table = NULL;
      CdReportQuery query;

      g_ptr_array_add (tickets, make_ticket (policies, &first));
      if (cases[c].later_created != NULL)
        {
          /* The later report lies outside the range: it is searched all the same. */
          TicketSpec later = { "HT-2", cases[c].later_created, 10, 45, 240, ALWAYS, NULL, NULL, NULL, NULL, NULL,
                               "north", NULL, cases[c].later_category, cases[c].later_status,
                               cases[c].later_account, cases[c].later_address, cases[c].later_duplicate_of };

          g_ptr_array_add (tickets, make_ticket (policies, &later));
        }
      if (cases[c].satisfaction != CD_SATISFACTION_UNKNOWN)
        {
          CdCallback *callback = make_callback ("HT-1", cases[c].satisfaction, cases[c].solved, FALSE);

          g_ptr_array_add (callbacks, callback);
        }

      cd_report_query_init (&query);
      query.from = T ("2025-03-03T00:00");
      query.to = T ("2025-03-03T09:00");
      query.repeat_window = cases[c].window;
      report = make_report (tickets, callbacks, NULL, &query, cases[c].now);
      table = cd_report_get_table (report, CD_REPORT_BY_NONE);

      g_test_message ("first-time fix case %u: %s", c, cases[c].what);
      g_assert_cmpuint (table->total->first_time_fix.denominator, ==, 1);
      g_assert_cmpuint (table->total->first_time_fix.numerator, ==, cases[c].fixed);
      g_assert_cmpuint (table->total->ftf_pending, ==, cases[c].pending);
    }
}

static void
test_first_time_fix_address (void)
{
  /* No accounts: the same address, however it is written, is the same
   * customer; letters and digits only, case-folded. Chinese too. */
  static const struct {
    const char *first;
    const char *later;
    gboolean    repeat;
  } cases[] = {
    { "12 Riverside Rd.", "12, riverside RD", TRUE },
    { "12 Riverside Rd.", "14 Riverside Rd.", FALSE },
    { "兰河路12号", "兰河路 12 号", TRUE },
    { "兰河路12号", "兰河路13号", FALSE },
    /* Nothing to compare: never a repeat. */
    { "--", "--", FALSE },
  };
  g_autoptr(CdSlaPolicySet) policies = make_policies ();

  for (guint c = 0; c < G_N_ELEMENTS (cases); c++)
    {
      TicketSpec first = { "HT-1", "2025-03-03T08:00", 10, 45, 240, ALWAYS, NULL, NULL, "2025-03-03T12:00",
                           NULL, NULL, NULL, NULL, CD_CATEGORY_LEAK, 0, NULL, cases[c].first, NULL };
      TicketSpec later = { "HT-2", "2025-03-04T08:00", 10, 45, 240, ALWAYS, NULL, NULL, NULL,
                           NULL, NULL, NULL, NULL, CD_CATEGORY_LEAK, 0, NULL, cases[c].later, NULL };
      g_autoptr(GPtrArray) tickets = g_ptr_array_new_with_free_func (g_object_unref);
      g_autoptr(CdReport) report = NULL;
      g_autoptr(CdReportTable) table = NULL;

      g_ptr_array_add (tickets, make_ticket (policies, &first));
      g_ptr_array_add (tickets, make_ticket (policies, &later));
      report = make_report (tickets, NULL, NULL, NULL, "2025-03-20T00:00");
      table = cd_report_get_table (report, CD_REPORT_BY_NONE);

      /* HT-1 is the only resolved ticket. */
      g_test_message ("address case %u", c);
      g_assert_cmpuint (table->total->first_time_fix.denominator, ==, 1);
      g_assert_cmpuint (table->total->first_time_fix.numerator, ==, cases[c].repeat ? 0 : 1);
    }
}

/* Satisfaction and repeats -------------------------------------------------------- */

static void
test_satisfaction (void)
{
  /* Over compliance_tickets: HT-1 satisfied, HT-2 unsatisfied (second
   * handling), HT-4 neutral, HT-5 satisfied, HT-8 a callback not yet
   * made (unknown: not rated), and a callback of a ticket outside the
   * population (HT-99), which is ignored. */
  g_autoptr(CdSlaPolicySet) policies = make_policies ();
  g_autoptr(GPtrArray) tickets = make_tickets (policies, compliance_tickets, G_N_ELEMENTS (compliance_tickets));
  g_autoptr(GPtrArray) callbacks = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(CdReport) report = NULL;
  g_autoptr(CdReportTable) total = NULL;
  g_autoptr(CdReportTable) areas = NULL;
  g_autofree char *all = NULL;
  g_autofree char *south = NULL;
  g_autofree char *ftf = NULL;
  CdReportRow *row;

  g_ptr_array_add (callbacks, make_callback ("HT-1", CD_SATISFACTION_SATISFIED, TRUE, FALSE));
  g_ptr_array_add (callbacks, make_callback ("HT-2", CD_SATISFACTION_UNSATISFIED, TRUE, TRUE));
  g_ptr_array_add (callbacks, make_callback ("HT-4", CD_SATISFACTION_NEUTRAL, TRUE, FALSE));
  g_ptr_array_add (callbacks, make_callback ("HT-5", CD_SATISFACTION_SATISFIED, TRUE, FALSE));
  g_ptr_array_add (callbacks, make_callback ("HT-8", CD_SATISFACTION_UNKNOWN, FALSE, FALSE));
  g_ptr_array_add (callbacks, make_callback ("HT-99", CD_SATISFACTION_UNSATISFIED, FALSE, TRUE));

  report = make_report (tickets, callbacks, NULL, NULL, COMPLIANCE_NOW);
  total = cd_report_get_table (report, CD_REPORT_BY_NONE);
  areas = cd_report_get_table (report, CD_REPORT_BY_AREA);

  /* 2 satisfied of 4 rated. */
  all = describe_ratio (&total->total->satisfaction);
  g_assert_cmpstr (all, ==, "2/4");
  g_assert_cmpuint (total->total->satisfied, ==, 2);
  g_assert_cmpuint (total->total->neutral, ==, 1);
  g_assert_cmpuint (total->total->unsatisfied, ==, 1);
  /* south: HT-4 neutral only: 0/1. */
  row = find_row (areas, "south");
  south = describe_ratio (&row->satisfaction);
  g_assert_cmpstr (south, ==, "0/1");

  /* First-time fix over the five resolved: HT-2 reopened, the rest fixed.
   * At 03-10 09:00 the 7-day windows of HT-1 (resolved 03-03 12:30),
   * HT-4 (03-10 08:55) and HT-5 (03-03 12:20) are still open; HT-8's
   * (03-03 08:05) closed at 03-10 08:05. */
  ftf = describe_ratio (&total->total->first_time_fix);
  g_assert_cmpstr (ftf, ==, "4/5");
  g_assert_cmpuint (total->total->ftf_pending, ==, 3);
}

/* Overrides ------------------------------------------------------------------- */

static void
test_override_rule (void)
{
  static const struct {
    CdAssignmentSource  source;
    const char         *to;
    const char         *proposed;
    gboolean            override;
  } cases[] = {
    { CD_ASSIGNMENT_SOURCE_MANUAL, "crew-b", "crew-a", TRUE },
    /* The dispatcher took the proposal: no override. */
    { CD_ASSIGNMENT_SOURCE_MANUAL, "crew-a", "crew-a", FALSE },
    /* No proposal to replace. */
    { CD_ASSIGNMENT_SOURCE_MANUAL, "crew-b", NULL, FALSE },
    { CD_ASSIGNMENT_SOURCE_MANUAL, "crew-b", "", FALSE },
    /* Unassigning by hand against a proposal. */
    { CD_ASSIGNMENT_SOURCE_MANUAL, NULL, "crew-a", TRUE },
    { CD_ASSIGNMENT_SOURCE_AUTO, "crew-b", "crew-a", FALSE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(CdAssignmentEvent) event = make_event ("HT-1", cases[i].source, cases[i].to, cases[i].proposed);

      g_assert_cmpint (cd_report_is_override (event), ==, cases[i].override);
    }
}

static void
test_overrides (void)
{
  /* Over compliance_tickets: HT-2 overridden (manual to crew-b, proposal
   * crew-a), HT-5 overridden twice, HT-1 and HT-8 auto-assigned, HT-3
   * manual taking the proposal; HT-4 never assigned (and no crew);
   * HT-7 cancelled with an override that does not count.
   *  overridden: HT-2 (fr ✗ os ✗ res ✓), HT-5 (✓ ✓ ✓): all 4/6;
   *  not overridden: HT-1 (✓ ✓ ✗), HT-3 (✗ ✗ -), HT-8 (✓ ✓ ✓): 5/8. */
  g_autoptr(CdSlaPolicySet) policies = make_policies ();
  g_autoptr(GPtrArray) tickets = make_tickets (policies, compliance_tickets, G_N_ELEMENTS (compliance_tickets));
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) callbacks = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(CdReport) report = NULL;
  g_autoptr(CdReportTable) table = NULL;
  g_autoptr(CdReportTable) crews = NULL;
  CdReportRow *overridden, *not_overridden;
  g_autofree char *c1 = NULL;
  g_autofree char *c2 = NULL;

  g_ptr_array_add (events, make_event ("HT-1", CD_ASSIGNMENT_SOURCE_AUTO, "crew-a", NULL));
  g_ptr_array_add (events, make_event ("HT-2", CD_ASSIGNMENT_SOURCE_MANUAL, "crew-b", "crew-a"));
  g_ptr_array_add (events, make_event ("HT-3", CD_ASSIGNMENT_SOURCE_MANUAL, "crew-a", "crew-a"));
  g_ptr_array_add (events, make_event ("HT-5", CD_ASSIGNMENT_SOURCE_MANUAL, "crew-b", "crew-a"));
  g_ptr_array_add (events, make_event ("HT-5", CD_ASSIGNMENT_SOURCE_MANUAL, "crew-a", "crew-b"));
  g_ptr_array_add (events, make_event ("HT-7", CD_ASSIGNMENT_SOURCE_MANUAL, "crew-a", "crew-b"));
  g_ptr_array_add (events, make_event ("HT-8", CD_ASSIGNMENT_SOURCE_AUTO, "crew-a", NULL));
  /* Satisfaction: HT-2 unsatisfied, HT-5 satisfied, HT-1 satisfied. */
  g_ptr_array_add (callbacks, make_callback ("HT-2", CD_SATISFACTION_UNSATISFIED, TRUE, TRUE));
  g_ptr_array_add (callbacks, make_callback ("HT-5", CD_SATISFACTION_SATISFIED, TRUE, FALSE));
  g_ptr_array_add (callbacks, make_callback ("HT-1", CD_SATISFACTION_SATISFIED, TRUE, FALSE));

  report = make_report (tickets, callbacks, events, NULL, COMPLIANCE_NOW);
  table = cd_report_get_table (report, CD_REPORT_BY_OVERRIDE);
  g_assert_cmpuint (table->rows->len, ==, 2);
  overridden = g_ptr_array_index (table->rows, 0);
  not_overridden = g_ptr_array_index (table->rows, 1);
  g_assert_cmpstr (overridden->key, ==, "overridden");
  g_assert_cmpstr (not_overridden->key, ==, "not-overridden");

  g_assert_cmpuint (overridden->tickets, ==, 2);
  g_assert_cmpuint (overridden->overridden, ==, 2);
  g_assert_cmpuint (overridden->override_events, ==, 3);
  c1 = describe_compliance (overridden);
  g_assert_cmpstr (c1, ==, "fr 1/2 os 1/2 res 2/2 all 4/6");
  /* Satisfaction 1/2; first-time fix 1/2 (HT-2 reopened). */
  g_assert_cmpuint (overridden->satisfaction.numerator, ==, 1);
  g_assert_cmpuint (overridden->satisfaction.denominator, ==, 2);
  g_assert_cmpuint (overridden->first_time_fix.numerator, ==, 1);
  g_assert_cmpuint (overridden->first_time_fix.denominator, ==, 2);
  /* Arrival: HT-2 50 min, HT-5 50 min. */
  g_assert_cmpfloat_with_epsilon (overridden->arrival.mean, 3000.0, 1e-9);

  g_assert_cmpuint (not_overridden->tickets, ==, 3);
  g_assert_cmpuint (not_overridden->overridden, ==, 0);
  c2 = describe_compliance (not_overridden);
  g_assert_cmpstr (c2, ==, "fr 2/3 os 2/3 res 1/2 all 5/8");
  g_assert_cmpuint (not_overridden->satisfaction.numerator, ==, 1);
  g_assert_cmpuint (not_overridden->satisfaction.denominator, ==, 1);

  /* In every table, the overridden tickets are counted where they fall:
   * crew-b holds HT-2 (one override event). */
  crews = cd_report_get_table (report, CD_REPORT_BY_CREW);
  g_assert_cmpuint (find_row (crews, "crew-b")->overridden, ==, 1);
  g_assert_cmpuint (find_row (crews, "crew-a")->override_events, ==, 2);
  g_assert_cmpuint (table->total->override_events, ==, 3);
}

/* Days and series ----------------------------------------------------------------- */

static void
test_by_day (void)
{
  /* Days at +08:00 from 03-03 to 03-06 (to = 03-07 00:00): four rows,
   * 03-04 and 03-06 empty. HT-2 at 03-03 23:30 local is 15:30 UTC, same
   * day; HT-3 at 03-05 00:10 local is 03-04 16:10 UTC: local 03-05. */
  static const TicketSpec specs[] = {
    { "HT-1", "2025-03-03T08:00", 10, 0, 0, ALWAYS, "2025-03-03T08:05", NULL, NULL, NULL, NULL,
      NULL, NULL, CD_CATEGORY_LEAK, 0, NULL, NULL, NULL },
    { "HT-2", "2025-03-03T23:30", 10, 0, 0, ALWAYS, "2025-03-03T23:50", NULL, NULL, NULL, NULL,
      NULL, NULL, CD_CATEGORY_LEAK, 0, NULL, NULL, NULL },
    { "HT-3", "2025-03-05T00:10", 10, 0, 0, ALWAYS, "2025-03-05T00:15", NULL, NULL, NULL, NULL,
      NULL, NULL, CD_CATEGORY_LEAK, 0, NULL, NULL, NULL },
  };
  static const struct {
    const char *key;
    const char *start;
    guint       tickets;
    const char *compliance;
  } expected[] = {
    { "2025-03-03", "2025-03-03T00:00", 2, "1/2" },
    { "2025-03-04", "2025-03-04T00:00", 0, "0/0" },
    { "2025-03-05", "2025-03-05T00:00", 1, "1/1" },
    { "2025-03-06", "2025-03-06T00:00", 0, "0/0" },
  };
  g_autoptr(CdSlaPolicySet) policies = make_policies ();
  g_autoptr(GPtrArray) tickets = make_tickets (policies, specs, G_N_ELEMENTS (specs));
  g_autoptr(GTimeZone) tz = g_time_zone_new_identifier ("+08:00");
  g_autoptr(GTimeZone) utc = g_time_zone_new_utc ();
  g_autoptr(CdReport) report = NULL;
  g_autoptr(CdReport) report_utc = NULL;
  g_autoptr(CdReportTable) table = NULL;
  g_autoptr(CdReportTable) table_utc = NULL;
  CdReportQuery query;

  cd_report_query_init (&query);
  query.from = T ("2025-03-03T00:00");
  query.to = T ("2025-03-07T00:00");
  query.time_zone = tz;
  report = make_report (tickets, NULL, NULL, &query, "2025-03-08T00:00");
  table = cd_report_get_table (report, CD_REPORT_BY_DAY);

  g_assert_cmpuint (table->rows->len, ==, G_N_ELEMENTS (expected));
  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      CdReportRow *row = g_ptr_array_index (table->rows, i);
      g_autofree char *compliance = describe_ratio (&row->compliance_all);

      g_assert_cmpstr (row->key, ==, expected[i].key);
      g_assert_cmpint (row->day, ==, T (expected[i].start));
      g_assert_cmpuint (row->tickets, ==, expected[i].tickets);
      g_assert_cmpstr (compliance, ==, expected[i].compliance);
      assert_row_finite (row);
    }

  /* In UTC the same range starts on 03-02 16:00: 03-02 .. 03-06, and
   * HT-3 falls on 03-04. */
  query.time_zone = utc;
  report_utc = make_report (tickets, NULL, NULL, &query, "2025-03-08T00:00");
  table_utc = cd_report_get_table (report_utc, CD_REPORT_BY_DAY);
  g_assert_cmpuint (table_utc->rows->len, ==, 5);
  g_assert_cmpstr (((CdReportRow *) g_ptr_array_index (table_utc->rows, 0))->key, ==, "2025-03-02");
  g_assert_cmpuint (((CdReportRow *) g_ptr_array_index (table_utc->rows, 1))->tickets, ==, 2);
  g_assert_cmpuint (((CdReportRow *) g_ptr_array_index (table_utc->rows, 2))->tickets, ==, 1);
  g_assert_cmpstr (((CdReportRow *) g_ptr_array_index (table_utc->rows, 2))->key, ==, "2025-03-04");
}

static void
test_series (void)
{
  static const TicketSpec specs[] = {
    { "HT-1", "2025-03-03T08:00", 10, 0, 0, ALWAYS, "2025-03-03T08:05", NULL, NULL, NULL, NULL,
      NULL, NULL, CD_CATEGORY_LEAK, 0, NULL, NULL, NULL },
    { "HT-2", "2025-03-03T09:00", 10, 0, 0, ALWAYS, "2025-03-03T09:30", NULL, NULL, NULL, NULL,
      NULL, NULL, CD_CATEGORY_NO_HEAT, 0, NULL, NULL, NULL },
    { "HT-3", "2025-03-05T08:00", 10, 0, 0, ALWAYS, "2025-03-05T08:04", NULL, NULL, NULL, NULL,
      NULL, NULL, CD_CATEGORY_LEAK, 0, NULL, NULL, NULL },
  };
  g_autoptr(CdSlaPolicySet) policies = make_policies ();
  g_autoptr(GPtrArray) tickets = make_tickets (policies, specs, G_N_ELEMENTS (specs));
  g_autoptr(GTimeZone) tz = g_time_zone_new_identifier ("+08:00");
  g_autoptr(CdReport) report = NULL;
  g_autoptr(CdReportTable) days = NULL;
  g_autoptr(CdReportTable) categories = NULL;
  g_autoptr(GPtrArray) day_series = NULL;
  g_autoptr(GPtrArray) bars = NULL;
  CdReportSeries *series;
  CdReportQuery query;

  cd_report_query_init (&query);
  query.from = T ("2025-03-03T00:00");
  query.to = T ("2025-03-06T00:00");
  query.time_zone = tz;
  report = make_report (tickets, NULL, NULL, &query, "2025-03-08T00:00");
  days = cd_report_get_table (report, CD_REPORT_BY_DAY);
  categories = cd_report_get_table (report, CD_REPORT_BY_CATEGORY);
  day_series = cd_report_table_get_series (days);
  bars = cd_report_table_get_series (categories);

  /* Tickets per day: 2, 0, 1, at each day's first second. */
  series = cd_report_table_find_series (day_series, "tickets");
  g_assert_nonnull (series);
  g_assert_cmpuint (series->points->len, ==, 3);
  g_assert_cmpint (g_array_index (series->points, CdReportPoint, 0).x, ==, T ("2025-03-03T00:00"));
  g_assert_cmpint (g_array_index (series->points, CdReportPoint, 2).x, ==, T ("2025-03-05T00:00"));
  g_assert_cmpfloat (g_array_index (series->points, CdReportPoint, 0).y, ==, 2.0);
  g_assert_cmpfloat (g_array_index (series->points, CdReportPoint, 1).y, ==, 0.0);
  g_assert_true (g_array_index (series->points, CdReportPoint, 1).has_value);
  g_assert_cmpfloat (g_array_index (series->points, CdReportPoint, 2).y, ==, 1.0);

  /* Compliance per day: 1/2 = 0.5, no data (a gap, not 0, not NaN), 1. */
  series = cd_report_table_find_series (day_series, "compliance");
  g_assert_cmpfloat (g_array_index (series->points, CdReportPoint, 0).y, ==, 0.5);
  g_assert_true (g_array_index (series->points, CdReportPoint, 0).has_value);
  g_assert_false (g_array_index (series->points, CdReportPoint, 1).has_value);
  g_assert_cmpfloat (g_array_index (series->points, CdReportPoint, 1).y, ==, 0.0);
  g_assert_cmpfloat (g_array_index (series->points, CdReportPoint, 2).y, ==, 1.0);
  g_assert_cmpstr (g_array_index (series->points, CdReportPoint, 1).key, ==, "2025-03-04");

  /* Mean response per day: 03-03 (5 + 30) / 2 = 17.5 min = 1050 s. */
  series = cd_report_table_find_series (day_series, "response-mean");
  g_assert_cmpfloat (g_array_index (series->points, CdReportPoint, 0).y, ==, 1050.0);
  g_assert_false (g_array_index (series->points, CdReportPoint, 1).has_value);

  /* Bars per category: leak 2 tickets (both in time), no-heat 1 (late). */
  series = cd_report_table_find_series (bars, "tickets");
  g_assert_cmpuint (series->points->len, ==, 2);
  g_assert_cmpstr (g_array_index (series->points, CdReportPoint, 0).key, ==, "leak");
  g_assert_cmpint (g_array_index (series->points, CdReportPoint, 0).x, ==, 0);
  g_assert_cmpfloat (g_array_index (series->points, CdReportPoint, 0).y, ==, 2.0);
  g_assert_cmpstr (g_array_index (series->points, CdReportPoint, 1).key, ==, "no-heat");
  series = cd_report_table_find_series (bars, "compliance-first-response");
  g_assert_cmpfloat (g_array_index (series->points, CdReportPoint, 0).y, ==, 1.0);
  g_assert_cmpfloat (g_array_index (series->points, CdReportPoint, 1).y, ==, 0.0);
  g_assert_true (g_array_index (series->points, CdReportPoint, 1).has_value);
  /* No on-site limits at all: no data. */
  series = cd_report_table_find_series (bars, "compliance-on-site");
  g_assert_false (g_array_index (series->points, CdReportPoint, 0).has_value);

  g_assert_null (cd_report_table_find_series (bars, "no-such-series"));
}

/* No data ---------------------------------------------------------------------- */

static void
test_empty (void)
{
  g_autoptr(GPtrArray) none = g_ptr_array_new ();
  g_autoptr(CdReport) report = make_report (none, none, none, NULL, "2025-03-08T00:00");
  g_autoptr(GString) csv = g_string_new (NULL);

  g_assert_cmpuint (cd_report_get_n_tickets (report), ==, 0);

  for (guint by = 0; by < CD_REPORT_N_BY; by++)
    {
      g_autoptr(CdReportTable) table = cd_report_get_table (report, by);
      g_autoptr(GPtrArray) series = cd_report_table_get_series (table);
      double value = -1;

      g_assert_cmpuint (table->total->tickets, ==, 0);
      g_assert_false (cd_report_ratio_get (&table->total->compliance_all, &value));
      g_assert_cmpfloat (value, ==, 0.0);
      g_assert_false (cd_report_ratio_get (&table->total->first_time_fix, NULL));
      g_assert_false (cd_report_ratio_get (&table->total->satisfaction, NULL));
      g_assert_cmpuint (table->total->response.count, ==, 0);
      assert_row_finite (table->total);
      for (guint i = 0; i < table->rows->len; i++)
        assert_row_finite (g_ptr_array_index (table->rows, i));

      /* Without a range and without data there are no days. */
      if (by == CD_REPORT_BY_DAY)
        g_assert_cmpuint (table->rows->len, ==, 0);
      /* The override table always has its two rows, empty. */
      if (by == CD_REPORT_BY_OVERRIDE)
        g_assert_cmpuint (table->rows->len, ==, 2);
      g_assert_cmpuint (series->len, >, 0);
    }

  {
    g_autoptr(CdReportTable) total = cd_report_get_table (report, CD_REPORT_BY_NONE);
    g_autofree char *text = cd_report_format_ratio (&total->total->compliance_all);

    /* Tests run in C.UTF-8, untranslated. */
    g_assert_cmpstr (text, ==, "no data");
    cd_report_table_to_csv (total, csv);
    /* The one row: counts 0, every rate and mean empty. */
    g_assert_true (g_str_has_suffix (csv->str, "\r\nall,0,0,0,0,0,0,,0,0,,0,0,,0,0,,0,,,0,,,0,,,0,0,,0,0,0,0,,0,0\r\n"));
    g_assert_null (strstr (csv->str, "nan"));
  }
}

static void
test_format_ratio (void)
{
  static const struct {
    guint       numerator;
    guint       denominator;
    const char *expected;
  } cases[] = {
    { 7, 8, "87.5%" }, { 0, 3, "0.0%" }, { 3, 3, "100.0%" }, { 1, 3, "33.3%" }, { 0, 0, "no data" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      CdReportRatio ratio = { cases[i].numerator, cases[i].denominator };
      g_autofree char *text = cd_report_format_ratio (&ratio);

      g_assert_cmpstr (text, ==, cases[i].expected);
    }
}

/* CSV ------------------------------------------------------------------------ */

static void
test_csv_field (void)
{
  static const struct {
    const char *field;
    const char *expected;
  } cases[] = {
    { NULL, "" },
    { "", "" },
    { "north", "north" },
    { "a,b", "\"a,b\"" },
    { "say \"hi\"", "\"say \"\"hi\"\"\"" },
    { "\"", "\"\"\"\"" },
    { "two\nlines", "\"two\nlines\"" },
    { "cr\rlf", "\"cr\rlf\"" },
    { "东城区", "东城区" },
    /* A full-width comma is text, an ASCII comma is a separator. */
    { "东城区，一号", "东城区，一号" },
    { "东城,区", "\"东城,区\"" },
    { "“引号”", "“引号”" },
    { " padded ", "\" padded \"" },
    { "semi;colon", "semi;colon" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GString) out = g_string_new (NULL);

      cd_report_csv_append_field (out, cases[i].field);
      g_assert_cmpstr (out->str, ==, cases[i].expected);
    }
}

/* A small RFC 4180 reader, to check that what is written reads back. */
static GPtrArray *
parse_csv (const char *text)
{
  GPtrArray *records = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
  g_autoptr(GPtrArray) fields = g_ptr_array_new ();
  g_autoptr(GString) field = g_string_new (NULL);
  const char *p = text;

  while (*p != '\0')
    {
      if (*p == '"')
        {
          for (p++; !(*p == '"' && p[1] != '"'); p++)
            {
              g_assert_true (*p != '\0');
              if (*p == '"')
                p++;
              g_string_append_c (field, *p);
            }
          p++;
        }
      else
        while (*p != ',' && *p != '\r' && *p != '\0')
          g_string_append_c (field, *p++);

      g_ptr_array_add (fields, g_strdup (field->str));
      g_string_truncate (field, 0);
      if (*p == ',')
        p++;
      else
        {
          /* Records end with CRLF, nothing else. */
          g_assert_cmpint (p[0], ==, '\r');
          g_assert_cmpint (p[1], ==, '\n');
          p += 2;
          g_ptr_array_add (fields, NULL);
          g_ptr_array_add (records, g_ptr_array_steal (fields, NULL));
        }
    }

  return records;
}

#define CSV_COLUMNS                                                   \
  "tickets,repeats,cancelled,resolved,"                               \
  "first_response_met,first_response_decided,first_response_rate,"    \
  "on_site_met,on_site_decided,on_site_rate,"                         \
  "resolved_met,resolved_decided,resolved_rate,"                      \
  "limits_met,limits_decided,limits_rate,"                            \
  "response_count,response_mean_s,response_p90_s,"                    \
  "arrival_count,arrival_mean_s,arrival_p90_s,"                       \
  "resolution_count,resolution_mean_s,resolution_p90_s,"              \
  "ftf_fixed,ftf_resolved,ftf_rate,ftf_pending,"                      \
  "satisfied,neutral,unsatisfied,satisfaction_rate,"                  \
  "overridden,override_events\r\n"

static void
test_csv (void)
{
  /* Areas named to need quoting, one in Chinese. HT-1: responded in
   * time; HT-2: late; HT-3: not yet due (open, no data in its area). */
  static const TicketSpec specs[] = {
    { "HT-1", "2025-03-03T08:00", 10, 0, 0, ALWAYS, "2025-03-03T08:05", NULL, NULL, NULL, NULL,
      "North, \"old\" town\nEast", NULL, CD_CATEGORY_LEAK, 0, NULL, NULL, NULL },
    { "HT-2", "2025-03-03T08:00", 10, 0, 0, ALWAYS, "2025-03-03T08:20", NULL, NULL, NULL, NULL,
      "东城区", NULL, CD_CATEGORY_LEAK, 0, NULL, NULL, NULL },
    { "HT-3", "2025-03-08T07:55", 10, 0, 0, ALWAYS, NULL, NULL, NULL, NULL, NULL,
      "西城区", NULL, CD_CATEGORY_LEAK, 0, NULL, NULL, NULL },
  };
  static const char *header = "area," CSV_COLUMNS;
  g_autoptr(CdSlaPolicySet) policies = make_policies ();
  g_autoptr(GPtrArray) tickets = make_tickets (policies, specs, G_N_ELEMENTS (specs));
  g_autoptr(CdReport) report = make_report (tickets, NULL, NULL, NULL, "2025-03-08T08:00");
  g_autoptr(CdReportTable) table = cd_report_get_table (report, CD_REPORT_BY_AREA);
  g_autoptr(GString) csv = g_string_new (NULL);
  g_autoptr(GPtrArray) records = NULL;
  g_auto(GStrv) lines = NULL;

  cd_report_table_to_csv (table, csv);
  g_assert_true (g_str_has_prefix (csv->str, header));

  /* Rows by area id (byte order: "N" < the Chinese names). HT-1: 1 of 1
   * in time, response 300 s. HT-2: 0 of 1, 1200 s. HT-3: no data. */
  lines = g_strsplit (csv->str + strlen (header), "\r\n", -1);
  g_assert_cmpstr (lines[0], ==, "\"North, \"\"old\"\" town\nEast\",1,0,0,0,1,1,1.0000,0,0,,0,0,,1,1,1.0000,"
                                 "1,300.0,300,0,,,0,,,0,0,,0,0,0,0,,0,0");
  g_assert_cmpstr (lines[1], ==, "东城区,1,0,0,0,0,1,0.0000,0,0,,0,0,,0,1,0.0000,"
                                 "1,1200.0,1200,0,,,0,,,0,0,,0,0,0,0,,0,0");
  g_assert_cmpstr (lines[2], ==, "西城区,1,0,0,0,0,0,,0,0,,0,0,,0,0,,0,,,0,,,0,,,0,0,,0,0,0,0,,0,0");
  g_assert_cmpstr (lines[3], ==, "");
  g_assert_null (lines[4]);

  /* It reads back: every record has as many fields as the header, and
   * the keys come back unchanged. */
  records = parse_csv (csv->str);
  g_assert_cmpuint (records->len, ==, 4);
  for (guint i = 0; i < records->len; i++)
    g_assert_cmpuint (g_strv_length (g_ptr_array_index (records, i)), ==, 36);
  g_assert_cmpstr (((char **) g_ptr_array_index (records, 1))[0], ==, "North, \"old\" town\nEast");
  g_assert_cmpstr (((char **) g_ptr_array_index (records, 2))[0], ==, "东城区");
}

static void
test_csv_columns (void)
{
  /* Every table shares the columns after its key column. */
  static const char * const first[] = { "scope", "category", "area", "crew", "day", "override" };
  g_autoptr(GPtrArray) none = g_ptr_array_new ();
  g_autoptr(CdReport) report = make_report (none, NULL, NULL, NULL, "2025-03-08T00:00");

  for (guint by = 0; by < CD_REPORT_N_BY; by++)
    {
      g_autoptr(CdReportTable) table = cd_report_get_table (report, by);
      g_autoptr(GString) csv = g_string_new (NULL);
      g_autofree char *header = g_strconcat (first[by], ",", CSV_COLUMNS, NULL);

      g_assert_cmpstr (cd_report_by_to_column (by), ==, first[by]);
      cd_report_table_to_csv (table, csv);
      g_assert_true (g_str_has_prefix (csv->str, header));
    }
}

static void
test_csv_stream (void)
{
  static const TicketSpec specs[] = {
    { "HT-1", "2025-03-03T08:00", 10, 0, 0, ALWAYS, "2025-03-03T08:05", NULL, NULL, NULL, NULL,
      "南区", NULL, CD_CATEGORY_LEAK, 0, NULL, NULL, NULL },
  };
  g_autoptr(CdSlaPolicySet) policies = make_policies ();
  g_autoptr(GPtrArray) tickets = make_tickets (policies, specs, G_N_ELEMENTS (specs));
  g_autoptr(CdReport) report = make_report (tickets, NULL, NULL, NULL, "2025-03-08T08:00");
  g_autoptr(CdReportTable) table = cd_report_get_table (report, CD_REPORT_BY_AREA);
  g_autoptr(GOutputStream) stream = g_memory_output_stream_new_resizable ();
  g_autoptr(GOutputStream) closed = g_memory_output_stream_new_resizable ();
  g_autoptr(GString) expected = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  GMemoryOutputStream *memory = G_MEMORY_OUTPUT_STREAM (stream);

  cd_report_table_to_csv (table, expected);
  g_assert_true (cd_report_table_write_csv (table, stream, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (g_memory_output_stream_get_data_size (memory), ==, expected->len);
  g_assert_cmpmem (g_memory_output_stream_get_data (memory), expected->len, expected->str, expected->len);

  /* A stream that refuses: the error comes back. */
  g_assert_true (g_output_stream_close (closed, NULL, NULL));
  g_assert_false (cd_report_table_write_csv (table, closed, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  cd_model_init ();

  g_test_add_func ("/report/population", test_population);
  g_test_add_func ("/report/compliance", test_compliance);
  g_test_add_func ("/report/compliance-counts", test_compliance_counts);
  g_test_add_func ("/report/durations", test_durations);
  g_test_add_func ("/report/durations-kinds", test_durations_kinds);
  g_test_add_func ("/report/p90-matches-sorting", test_p90_matches_sorting);
  g_test_add_func ("/report/first-time-fix", test_first_time_fix);
  g_test_add_func ("/report/first-time-fix-address", test_first_time_fix_address);
  g_test_add_func ("/report/satisfaction", test_satisfaction);
  g_test_add_func ("/report/override-rule", test_override_rule);
  g_test_add_func ("/report/overrides", test_overrides);
  g_test_add_func ("/report/by-day", test_by_day);
  g_test_add_func ("/report/series", test_series);
  g_test_add_func ("/report/empty", test_empty);
  g_test_add_func ("/report/format-ratio", test_format_ratio);
  g_test_add_func ("/report/csv-field", test_csv_field);
  g_test_add_func ("/report/csv", test_csv);
  g_test_add_func ("/report/csv-columns", test_csv_columns);
  g_test_add_func ("/report/csv-stream", test_csv_stream);

  return g_test_run ();
}
