/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-timers.c: the time-limits view model (cd-timers) and the callback
 * queue, the manager's review and the ticket history (cd-callback-queue).
 *
 * Times in the tables are local times at +08:00, "YYYY-MM-DDTHH:MM" or with
 * seconds. 2025-03-03 is a Monday, 2025-03-07 a Friday. The test policy's
 * business-hours calendar is Monday to Friday 08:30-17:30 at +08:00 with
 * the holidays 2025-10-01..08. Expected values are worked out by hand in
 * the comments; none comes from the code under test.
 */

#include "config.h"

#include <string.h>

#include "cd-callback-queue.h"
#include "cd-model.h"
#include "cd-mutation.h"
#include "cd-timers.h"

#define POLICY_JSON                                                                              \
  "{\"format_version\": 1, \"warning_share\": 0.25, \"callback_due_min\": 1440,"                \
  " \"calendars\": {\"always\": {}, \"business-hours\": {\"time_zone\": \"+08:00\","            \
  "   \"weekdays\": [\"monday\", \"tuesday\", \"wednesday\", \"thursday\", \"friday\"],"         \
  "   \"open\": \"08:30\", \"close\": \"17:30\","                                                \
  "   \"holidays\": [\"2025-10-01\", \"2025-10-02\", \"2025-10-03\", \"2025-10-04\","            \
  "                  \"2025-10-05\", \"2025-10-06\", \"2025-10-07\", \"2025-10-08\"]}},"         \
  " \"fallback\": {\"category\": \"inquiry\", \"urgency\": \"normal\", \"area_class\": \"urban\"}," \
  " \"policies\": [{\"id\": \"705e63c6-c8bd-59d4-9c06-4c5787e2e63f\", \"category\": \"inquiry\"," \
  "   \"urgency\": \"normal\", \"area_class\": \"urban\", \"first_response_min\": 240,"            \
  "   \"on_site_min\": 0, \"resolved_min\": 1620, \"calendar\": \"business-hours\","             \
  "   \"auto_dispatch\": false}]}"

#define ALWAYS   CD_CALENDAR_KIND_ALWAYS
#define BUSINESS CD_CALENDAR_KIND_BUSINESS_HOURS

/* One ticket, as a row of a table. Limits in minutes; milestones and the
 * pause as local times, NULL when not reached (pause_end NULL: still
 * waiting). status 0 (NEW) means "derive it from the milestones". */
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
  double          share;      /* 0: 0.25 */
} TicketSpec;

/* Helpers ----------------------------------------------------------------- */

static gint64
T (const char *text)
{
  g_autofree char *full = NULL;
  g_autoptr(GDateTime) dt = NULL;

  if (text == NULL)
    return 0;

  if (strlen (text) == 16)
    full = g_strconcat (text, ":00+08:00", NULL);
  else if (strlen (text) == 19)
    full = g_strconcat (text, "+08:00", NULL);
  else
    full = g_strdup (text);
  dt = g_date_time_new_from_iso8601 (full, NULL);
  g_assert_nonnull (dt);

  return g_date_time_to_unix (dt);
}

static char *
format_local (gint64 t)
{
  g_autoptr(GTimeZone) tz = g_time_zone_new_identifier ("+08:00");
  g_autoptr(GDateTime) utc = NULL;
  g_autoptr(GDateTime) local = NULL;

  if (t == 0)
    return g_strdup ("(none)");

  utc = g_date_time_new_from_unix_utc (t);
  local = g_date_time_to_timezone (utc, tz);
  return g_date_time_format (local, "%Y-%m-%dT%H:%M:%S");
}

static void
assert_time (gint64      got,
             const char *expected)
{
  g_autofree char *got_text = format_local (got);
  g_autofree char *expected_text = format_local (T (expected));

  g_assert_cmpstr (got_text, ==, expected_text);
}

static CdSlaPolicySet *
make_policies (void)
{
  g_autoptr(GError) error = NULL;
  CdSlaPolicySet *policies = cd_sla_policy_set_new_from_data (POLICY_JSON, -1, "test", &error);

  g_assert_no_error (error);
  return policies;
}

static char *
make_id (guint n)
{
  return g_strdup_printf ("00000000-0000-4000-8000-%012u", n);
}

static CdTicket *
make_ticket (CdSlaPolicySet   *policies,
             const TicketSpec *spec,
             guint             n)
{
  g_autoptr(CdSlaPolicy) policy = cd_sla_policy_new ();
  g_autofree char *id = make_id (n);
  CdCalendar *calendar = cd_sla_policy_set_get_calendar (policies, spec->calendar);
  CdTicket *ticket = cd_ticket_new ();

  cd_record_set_id (CD_RECORD (ticket), id);
  ticket->number = g_strdup (spec->number);
  ticket->created_at = T (spec->created);
  ticket->category = spec->category;
  ticket->area = g_strdup (spec->area);
  ticket->crew_id = g_strdup (spec->crew);
  policy->first_response_min = spec->fr;
  policy->on_site_min = spec->os;
  policy->resolved_min = spec->res;
  policy->calendar = spec->calendar;
  policy->warning_share = spec->share > 0 ? spec->share : 0.25;
  cd_sla_apply_policy (ticket, policy, calendar);

  if (spec->pause_start != NULL)
    {
      g_assert_true (cd_sla_pause (ticket, calendar, T (spec->pause_start), "Customer not at home", NULL));
      if (spec->pause_end != NULL)
        g_assert_true (cd_sla_resume (ticket, calendar, T (spec->pause_end), NULL));
    }

  ticket->first_response_at = T (spec->first_response);
  ticket->on_site_at = T (spec->on_site);
  ticket->resolved_at = T (spec->resolved);
  if (spec->status != CD_TICKET_STATUS_NEW)
    ticket->status = spec->status;
  else if (ticket->resolved_at != 0)
    ticket->status = CD_TICKET_STATUS_RESOLVED;
  else if (cd_ticket_is_paused (ticket))
    ticket->status = CD_TICKET_STATUS_WAITING_CUSTOMER;
  else if (ticket->first_response_at != 0)
    ticket->status = CD_TICKET_STATUS_CONTACTED;
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
    g_ptr_array_add (tickets, make_ticket (policies, &specs[i], i + 1));

  return tickets;
}

static const char *
kind_nick (CdSlaKind kind)
{
  return cd_enum_to_nick (CD_TYPE_SLA_KIND, kind);
}

/* "HT-1 first-response amber 150" plus " paused"; timers joined by "; ". */
static char *
describe_timers (GArray *timers)
{
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < timers->len; i++)
    {
      const CdTimer *timer = &g_array_index (timers, CdTimer, i);

      g_string_append_printf (out, "%s%s %s %s %" G_GINT64_FORMAT "%s",
                              i > 0 ? "; " : "", timer->ticket->number, kind_nick (timer->kind),
                              cd_enum_to_nick (CD_TYPE_SLA_STATE, timer->state), timer->seconds_left,
                              timer->paused ? " paused" : "");
    }

  return g_string_free (out, FALSE);
}

/* "HT-1/first-response, HT-2/on-site" */
static char *
describe_short (GArray *timers)
{
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < timers->len; i++)
    {
      const CdTimer *timer = &g_array_index (timers, CdTimer, i);

      g_string_append_printf (out, "%s%s/%s", i > 0 ? ", " : "", timer->ticket->number, kind_nick (timer->kind));
    }

  return g_string_free (out, FALSE);
}

/* Ticket A: 24x7, created Monday 08:00, 10 / 45 / 240 minutes. Warnings at
 * a quarter: 150 s, 675 s and 3600 s. Deadlines 08:10, 08:45, 12:00. */
static const TicketSpec ticket_a = {
  "HT-A", "2025-03-03T08:00", 10, 45, 240, ALWAYS, NULL, NULL, NULL, NULL, NULL,
  "north", "crew-a", CD_CATEGORY_LEAK, 0, 0,
};

/* Ticket C: an inquiry on business hours created Friday 17:00, 240 minutes
 * to respond, none on site, 1620 (three working days) to resolve. Friday
 * 17:00-17:30 uses 30 minutes, so the response is due Monday 12:00. */
static const TicketSpec ticket_c = {
  "HT-C", "2025-03-07T17:00", 240, 0, 1620, BUSINESS, NULL, NULL, NULL, NULL, NULL,
  "south", NULL, CD_CATEGORY_INQUIRY, 0, 0,
};

/* Timers: collect ------------------------------------------------------------ */

static void
test_collect (void)
{
  static const struct {
    const char *what;
    TicketSpec  ticket;
    const char *now;
    const char *expected;
  } cases[] = {
    /* 08:05: 300 of 600 s left (> 150: green); 2400; 14100. */
    { "24x7, early", ticket_a, "2025-03-03T08:05",
      "HT-A first-response green 300; HT-A on-site green 2400; HT-A resolved green 14100" },
    /* 151 s left: still green; exactly 150 s (the warning share): amber. */
    { "one second before amber", ticket_a, "2025-03-03T08:07:29",
      "HT-A first-response green 151; HT-A on-site green 2251; HT-A resolved green 13951" },
    { "amber at the warning share", ticket_a, "2025-03-03T08:07:30",
      "HT-A first-response amber 150; HT-A on-site green 2250; HT-A resolved green 13950" },
    /* Exactly on the deadline: amber with 0 left; a second later red, -1. */
    { "exactly on the deadline", ticket_a, "2025-03-03T08:10:00",
      "HT-A first-response amber 0; HT-A on-site green 2100; HT-A resolved green 13800" },
    { "one second past the deadline", ticket_a, "2025-03-03T08:10:01",
      "HT-A first-response red -1; HT-A on-site green 2099; HT-A resolved green 13799" },
    /* 08:36: on site 2700 - 2160 = 540 ≤ 675: amber; response 26 min overdue. */
    { "two at once", ticket_a, "2025-03-03T08:36",
      "HT-A first-response red -1560; HT-A on-site amber 540; HT-A resolved green 12240" },
    /* 12:00:01: overdue by 13801, 11701 and 1 s; most overdue first. */
    { "all red", ticket_a, "2025-03-03T12:00:01",
      "HT-A first-response red -13801; HT-A on-site red -11701; HT-A resolved red -1" },
    /* First response reached: that timer stops running. */
    { "milestone reached",
      { "HT-A", "2025-03-03T08:00", 10, 45, 240, ALWAYS, "2025-03-03T08:06", NULL, NULL, NULL, NULL,
        NULL, NULL, CD_CATEGORY_LEAK, 0, 0 },
      "2025-03-03T08:20", "HT-A on-site green 1500; HT-A resolved green 13200" },
    /* Waiting since 08:04: 240 s used, frozen: 360, 2460, 14160 left. */
    { "paused",
      { "HT-P", "2025-03-03T08:00", 10, 45, 240, ALWAYS, NULL, NULL, NULL, "2025-03-03T08:04", NULL,
        NULL, NULL, CD_CATEGORY_LEAK, 0, 0 },
      "2025-03-03T09:00",
      "HT-P first-response green 360 paused; HT-P on-site green 2460 paused; HT-P resolved green 14160 paused" },
    /* Paused at 08:12, after the 08:10 deadline: too late to help the
     * response (overdue 08:10-08:12 only, frozen at -120); on site used
     * 720 s, 1980 left. */
    { "paused after a breach",
      { "HT-P", "2025-03-03T08:00", 10, 45, 240, ALWAYS, NULL, NULL, NULL, "2025-03-03T08:12", NULL,
        NULL, NULL, CD_CATEGORY_LEAK, 0, 0 },
      "2025-03-03T09:00",
      "HT-P first-response red -120 paused; HT-P on-site green 1980 paused; HT-P resolved green 13680 paused" },
    /* A closed pause moves the deadline: 08:04-08:34 paused, at 08:40
     * 240 + 360 = 600 s used: exactly at the response deadline. */
    { "after a pause",
      { "HT-P", "2025-03-03T08:00", 10, 45, 240, ALWAYS, NULL, NULL, NULL, "2025-03-03T08:04", "2025-03-03T08:34",
        NULL, NULL, CD_CATEGORY_LEAK, 0, 0 },
      "2025-03-03T08:40",
      "HT-P first-response amber 0; HT-P on-site green 2100; HT-P resolved green 13800" },
    /* Business hours: Saturday counts nothing, 30 min used on Friday:
     * 12600 s left (> 3600: green); resolution 97200 - 1800 = 95400. No
     * on-site limit, so no on-site timer. */
    { "business hours, weekend", ticket_c, "2025-03-08T10:00",
      "HT-C first-response green 12600; HT-C resolved green 95400" },
    /* Monday 11:00: 30 + 150 min used, 3600 s left = the warning share. */
    { "business hours, amber", ticket_c, "2025-03-10T11:00",
      "HT-C first-response amber 3600; HT-C resolved green 86400" },
    { "business hours, on the deadline", ticket_c, "2025-03-10T12:00",
      "HT-C first-response amber 0; HT-C resolved green 82800" },
    /* Red counts on the wall clock, at night too: 20:00 is 8 h overdue.
     * Resolution: Monday 08:30-17:30 is 540 min, so 30 + 540 = 570 used. */
    { "business hours, overdue at night", ticket_c, "2025-03-10T20:00",
      "HT-C first-response red -28800; HT-C resolved green 63000" },
    /* Its own warning share: half of 600 s. */
    { "own warning share",
      { "HT-S", "2025-03-03T08:00", 10, 0, 0, ALWAYS, NULL, NULL, NULL, NULL, NULL,
        NULL, NULL, CD_CATEGORY_LEAK, 0, 0.5 },
      "2025-03-03T08:05", "HT-S first-response amber 300" },
    /* Not open: no timers. */
    { "resolved",
      { "HT-R", "2025-03-03T08:00", 10, 45, 240, ALWAYS, NULL, NULL, "2025-03-03T08:30", NULL, NULL,
        NULL, NULL, CD_CATEGORY_LEAK, 0, 0 },
      "2025-03-03T08:20", "" },
    { "cancelled",
      { "HT-X", "2025-03-03T08:00", 10, 45, 240, ALWAYS, NULL, NULL, NULL, NULL, NULL,
        NULL, NULL, CD_CATEGORY_LEAK, CD_TICKET_STATUS_CANCELLED, 0 },
      "2025-03-03T08:20", "" },
    /* No limits at all. */
    { "no limits",
      { "HT-N", "2025-03-03T08:00", 0, 0, 0, ALWAYS, NULL, NULL, NULL, NULL, NULL,
        NULL, NULL, CD_CATEGORY_INQUIRY, 0, 0 },
      "2025-03-03T08:20", "" },
  };
  g_autoptr(CdSlaPolicySet) policies = make_policies ();

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GPtrArray) tickets = make_tickets (policies, &cases[i].ticket, 1);
      g_autoptr(GArray) timers = cd_timers_collect (tickets, policies, T (cases[i].now));
      g_autofree char *got = describe_timers (timers);

      g_test_message ("case %u: %s", i, cases[i].what);
      g_assert_cmpstr (got, ==, cases[i].expected);
    }
}

/* Timers: sorting, filtering, grouping, escalating ------------------------------ */

/* At Monday 09:00, by hand:
 *  HT-1 created 08:50, 30/120/480: 1200, 6600, 28200 left, green.
 *  HT-2 created 08:00, 10/45/240: response 50 min overdue (-3000), on site
 *       15 min overdue (-900), resolution 14400 - 3600 = 10800 (green).
 *  HT-3 created 08:40, 10/45/240, responded 08:45: on site 1500, resolution
 *       13200, green.
 *  HT-4 created 08:30, 30/120/480, waiting since 08:50: 600, 6000, 27600,
 *       all paused, green.
 *  HT-5 created 07:30, 30/120/480, responded 07:50: on site 7200 - 5400 =
 *       1800 = its warning share (amber), resolution 23400.
 *  HT-6 resolved: nothing. */
static const TicketSpec view_tickets[] = {
  { "HT-1", "2025-03-03T08:50", 30, 120, 480, ALWAYS, NULL, NULL, NULL, NULL, NULL,
    "north", "crew-a", CD_CATEGORY_NO_HEAT, 0, 0 },
  { "HT-2", "2025-03-03T08:00", 10, 45, 240, ALWAYS, NULL, NULL, NULL, NULL, NULL,
    "south", NULL, CD_CATEGORY_LEAK, 0, 0 },
  { "HT-3", "2025-03-03T08:40", 10, 45, 240, ALWAYS, "2025-03-03T08:45", NULL, NULL, NULL, NULL,
    "north", "crew-b", CD_CATEGORY_LEAK, 0, 0 },
  { "HT-4", "2025-03-03T08:30", 30, 120, 480, ALWAYS, NULL, NULL, NULL, "2025-03-03T08:50", NULL,
    NULL, "crew-a", CD_CATEGORY_NO_HEAT, 0, 0 },
  { "HT-5", "2025-03-03T07:30", 30, 120, 480, ALWAYS, "2025-03-03T07:50", NULL, NULL, NULL, NULL,
    "south", "crew-b", CD_CATEGORY_NO_POWER, 0, 0 },
  { "HT-6", "2025-03-03T07:00", 30, 120, 480, ALWAYS, "2025-03-03T07:10", "2025-03-03T08:00", "2025-03-03T08:30",
    NULL, NULL, "south", "crew-b", CD_CATEGORY_NO_POWER, 0, 0 },
};

#define VIEW_NOW "2025-03-03T09:00"

static void
test_sort (void)
{
  g_autoptr(CdSlaPolicySet) policies = make_policies ();
  g_autoptr(GPtrArray) tickets = make_tickets (policies, view_tickets, G_N_ELEMENTS (view_tickets));
  g_autoptr(GPtrArray) reversed = g_ptr_array_new ();
  g_autoptr(GArray) timers = NULL;
  g_autoptr(GArray) timers_reversed = NULL;
  g_autofree char *got = NULL;
  g_autofree char *got_reversed = NULL;

  timers = cd_timers_collect (tickets, policies, T (VIEW_NOW));
  got = describe_timers (timers);
  g_assert_cmpstr (got, ==,
                   "HT-2 first-response red -3000; HT-2 on-site red -900; "
                   "HT-4 first-response green 600 paused; HT-1 first-response green 1200; "
                   "HT-3 on-site green 1500; HT-5 on-site amber 1800; "
                   "HT-4 on-site green 6000 paused; HT-1 on-site green 6600; "
                   "HT-2 resolved green 10800; HT-3 resolved green 13200; "
                   "HT-5 resolved green 23400; HT-4 resolved green 27600 paused; "
                   "HT-1 resolved green 28200");

  /* The input order does not matter. */
  for (guint i = tickets->len; i > 0; i--)
    g_ptr_array_add (reversed, g_ptr_array_index (tickets, i - 1));
  timers_reversed = cd_timers_collect (reversed, policies, T (VIEW_NOW));
  got_reversed = describe_timers (timers_reversed);
  g_assert_cmpstr (got_reversed, ==, got);
}

static void
test_sort_ties (void)
{
  /* Same time left: by deadline, then ticket number, then kind. HT-9 and
   * HT-10 were created together with the same limits. */
  static const TicketSpec specs[] = {
    { "HT-9", "2025-03-03T08:00", 10, 10, 0, ALWAYS, NULL, NULL, NULL, NULL, NULL, NULL, NULL, CD_CATEGORY_LEAK, 0, 0 },
    { "HT-10", "2025-03-03T08:00", 10, 0, 0, ALWAYS, NULL, NULL, NULL, NULL, NULL, NULL, NULL, CD_CATEGORY_LEAK, 0, 0 },
  };
  g_autoptr(CdSlaPolicySet) policies = make_policies ();
  g_autoptr(GPtrArray) tickets = make_tickets (policies, specs, G_N_ELEMENTS (specs));
  g_autoptr(GArray) timers = cd_timers_collect (tickets, policies, T ("2025-03-03T08:05"));
  g_autofree char *got = describe_short (timers);

  /* "HT-10" < "HT-9" as strings. */
  g_assert_cmpstr (got, ==, "HT-10/first-response, HT-9/first-response, HT-9/on-site");
}

static void
test_filter (void)
{
  static const struct {
    const char *area;
    const char *crew;
    gint        category;
    guint       states;
    gboolean    hide_paused;
    const char *expected;
  } cases[] = {
    { NULL, NULL, -1, 0, FALSE,
      "HT-2/first-response, HT-2/on-site, HT-4/first-response, HT-1/first-response, HT-3/on-site, "
      "HT-5/on-site, HT-4/on-site, HT-1/on-site, HT-2/resolved, HT-3/resolved, HT-5/resolved, "
      "HT-4/resolved, HT-1/resolved" },
    { "north", NULL, -1, 0, FALSE,
      "HT-1/first-response, HT-3/on-site, HT-1/on-site, HT-3/resolved, HT-1/resolved" },
    { "", NULL, -1, 0, FALSE, "HT-4/first-response, HT-4/on-site, HT-4/resolved" },
    { "nowhere", NULL, -1, 0, FALSE, "" },
    { NULL, "crew-a", -1, 0, FALSE,
      "HT-4/first-response, HT-1/first-response, HT-4/on-site, HT-1/on-site, HT-4/resolved, HT-1/resolved" },
    { NULL, "", -1, 0, FALSE, "HT-2/first-response, HT-2/on-site, HT-2/resolved" },
    { NULL, NULL, CD_CATEGORY_LEAK, 0, FALSE,
      "HT-2/first-response, HT-2/on-site, HT-3/on-site, HT-2/resolved, HT-3/resolved" },
    { NULL, NULL, -1, CD_TIMER_STATE_BIT (CD_SLA_STATE_RED), FALSE, "HT-2/first-response, HT-2/on-site" },
    { NULL, NULL, -1, CD_TIMER_STATE_BIT (CD_SLA_STATE_AMBER), FALSE, "HT-5/on-site" },
    { "", NULL, -1, 0, TRUE, "" },
    { NULL, "crew-b", CD_CATEGORY_NO_POWER, 0, FALSE, "HT-5/on-site, HT-5/resolved" },
    { "north", "crew-a", CD_CATEGORY_NO_HEAT, CD_TIMER_STATE_BIT (CD_SLA_STATE_GREEN), TRUE,
      "HT-1/first-response, HT-1/on-site, HT-1/resolved" },
  };
  g_autoptr(CdSlaPolicySet) policies = make_policies ();
  g_autoptr(GPtrArray) tickets = make_tickets (policies, view_tickets, G_N_ELEMENTS (view_tickets));
  g_autoptr(GArray) timers = cd_timers_collect (tickets, policies, T (VIEW_NOW));

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      CdTimerFilter filter;
      g_autoptr(GArray) filtered = NULL;
      g_autofree char *got = NULL;

      cd_timer_filter_init (&filter);
      filter.area = cases[i].area;
      filter.crew_id = cases[i].crew;
      filter.category = cases[i].category;
      filter.states = cases[i].states;
      filter.hide_paused = cases[i].hide_paused;

      filtered = cd_timers_filter (timers, &filter);
      got = describe_short (filtered);
      g_test_message ("filter case %u", i);
      g_assert_cmpstr (got, ==, cases[i].expected);
    }
}

static void
test_group (void)
{
  static const struct {
    CdTimerGroupBy  by;
    const char     *expected;
  } cases[] = {
    /* south: HT-2 (-3000) and HT-5; no area: HT-4 (600); north (1200). */
    { CD_TIMER_GROUP_AREA,
      "south g2 a1 r2 p0 min-3000 [HT-2/first-response, HT-2/on-site, HT-5/on-site, HT-2/resolved, HT-5/resolved] | "
      "(none) g3 a0 r0 p3 min600 [HT-4/first-response, HT-4/on-site, HT-4/resolved] | "
      "north g5 a0 r0 p0 min1200 [HT-1/first-response, HT-3/on-site, HT-1/on-site, HT-3/resolved, HT-1/resolved]" },
    { CD_TIMER_GROUP_CREW,
      "(none) g1 a0 r2 p0 min-3000 [HT-2/first-response, HT-2/on-site, HT-2/resolved] | "
      "crew-a g6 a0 r0 p3 min600 [HT-4/first-response, HT-1/first-response, HT-4/on-site, HT-1/on-site, HT-4/resolved, HT-1/resolved] | "
      "crew-b g3 a1 r0 p0 min1500 [HT-3/on-site, HT-5/on-site, HT-3/resolved, HT-5/resolved]" },
    { CD_TIMER_GROUP_CATEGORY,
      "leak g3 a0 r2 p0 min-3000 [HT-2/first-response, HT-2/on-site, HT-3/on-site, HT-2/resolved, HT-3/resolved] | "
      "no-heat g6 a0 r0 p3 min600 [HT-4/first-response, HT-1/first-response, HT-4/on-site, HT-1/on-site, HT-4/resolved, HT-1/resolved] | "
      "no-power g1 a1 r0 p0 min1800 [HT-5/on-site, HT-5/resolved]" },
  };
  g_autoptr(CdSlaPolicySet) policies = make_policies ();
  g_autoptr(GPtrArray) tickets = make_tickets (policies, view_tickets, G_N_ELEMENTS (view_tickets));
  g_autoptr(GArray) timers = cd_timers_collect (tickets, policies, T (VIEW_NOW));

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GPtrArray) groups = cd_timers_group (timers, cases[i].by);
      g_autoptr(GString) got = g_string_new (NULL);

      for (guint j = 0; j < groups->len; j++)
        {
          CdTimerGroup *group = g_ptr_array_index (groups, j);
          g_autofree char *list = describe_short (group->timers);

          g_string_append_printf (got, "%s%s g%u a%u r%u p%u min%" G_GINT64_FORMAT " [%s]",
                                  j > 0 ? " | " : "", group->key ? group->key : "(none)",
                                  group->n_green, group->n_amber, group->n_red, group->n_paused,
                                  group->min_seconds_left, list);
        }
      g_test_message ("group case %u", i);
      g_assert_cmpstr (got->str, ==, cases[i].expected);
    }
}

static void
test_group_ties (void)
{
  /* Two groups whose most urgent timers have the same time left: by key,
   * and the group of unassigned tickets after the named ones. HT-1 (no
   * crew) and HT-2 (crew-z) were created together with the same limit. */
  static const TicketSpec specs[] = {
    { "HT-1", "2025-03-03T08:00", 10, 0, 0, ALWAYS, NULL, NULL, NULL, NULL, NULL, "b", NULL, CD_CATEGORY_LEAK, 0, 0 },
    { "HT-2", "2025-03-03T08:00", 10, 0, 0, ALWAYS, NULL, NULL, NULL, NULL, NULL, "a", "crew-z", CD_CATEGORY_LEAK, 0, 0 },
  };
  g_autoptr(CdSlaPolicySet) policies = make_policies ();
  g_autoptr(GPtrArray) tickets = make_tickets (policies, specs, G_N_ELEMENTS (specs));
  g_autoptr(GArray) timers = cd_timers_collect (tickets, policies, T ("2025-03-03T08:05"));
  g_autoptr(GPtrArray) by_crew = cd_timers_group (timers, CD_TIMER_GROUP_CREW);
  g_autoptr(GPtrArray) by_area = cd_timers_group (timers, CD_TIMER_GROUP_AREA);

  g_assert_cmpuint (by_crew->len, ==, 2);
  g_assert_cmpstr (((CdTimerGroup *) g_ptr_array_index (by_crew, 0))->key, ==, "crew-z");
  g_assert_null (((CdTimerGroup *) g_ptr_array_index (by_crew, 1))->key);
  g_assert_cmpuint (by_area->len, ==, 2);
  g_assert_cmpstr (((CdTimerGroup *) g_ptr_array_index (by_area, 0))->key, ==, "a");
  g_assert_cmpstr (((CdTimerGroup *) g_ptr_array_index (by_area, 1))->key, ==, "b");
}

static void
test_escalations (void)
{
  g_autoptr(CdSlaPolicySet) policies = make_policies ();
  g_autoptr(GPtrArray) tickets = make_tickets (policies, view_tickets, G_N_ELEMENTS (view_tickets));
  g_autoptr(GArray) timers = cd_timers_collect (tickets, policies, T (VIEW_NOW));
  g_autoptr(GArray) escalations = cd_timers_escalations (timers);
  g_autofree char *got = describe_timers (escalations);

  g_assert_cmpstr (got, ==, "HT-2 first-response red -3000; HT-2 on-site red -900; HT-5 on-site amber 1800");
}

/* Timers: crossing into red ----------------------------------------------- */

static void
test_crossed_red (void)
{
  /* HT-P waits since 08:04 (before its deadlines): it never turns red. */
  static const TicketSpec specs[] = {
    ticket_a,
    ticket_c,
    { "HT-P", "2025-03-03T08:00", 10, 45, 240, ALWAYS, NULL, NULL, NULL, "2025-03-03T08:04", NULL,
      NULL, NULL, CD_CATEGORY_LEAK, 0, 0 },
  };
  static const struct {
    const char *since;
    const char *now;
    const char *expected;
  } cases[] = {
    /* Red one second after the deadline (08:10:00). */
    { "2025-03-03T08:09", "2025-03-03T08:10:00", "" },
    { "2025-03-03T08:10:00", "2025-03-03T08:10:01", "HT-A/first-response" },
    { "2025-03-03T08:10:01", "2025-03-03T08:20", "" },
    { "2025-03-03T08:00", "2025-03-03T08:45:01", "HT-A/first-response, HT-A/on-site" },
    { "2025-03-03T08:45", "2025-03-03T12:00:01", "HT-A/on-site, HT-A/resolved" },
    { "2025-03-03T08:30", "2025-03-03T08:30", "" },
    { "2025-03-03T08:30", "2025-03-03T08:00", "" },
    /* HT-C: due Monday 12:00 on business hours. */
    { "2025-03-07T17:29", "2025-03-10T12:00:00", "" },
    { "2025-03-07T17:29", "2025-03-10T12:00:01", "HT-C/first-response" },
  };
  g_autoptr(CdSlaPolicySet) policies = make_policies ();
  g_autoptr(GPtrArray) tickets = make_tickets (policies, specs, G_N_ELEMENTS (specs));

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GArray) crossed = cd_timers_crossed_red (tickets, policies, T (cases[i].since), T (cases[i].now));
      g_autofree char *got = describe_short (crossed);

      g_test_message ("crossed case %u", i);
      g_assert_cmpstr (got, ==, cases[i].expected);
      for (guint j = 0; j < crossed->len; j++)
        g_assert_cmpint (g_array_index (crossed, CdTimer, j).state, ==, CD_SLA_STATE_RED);
    }
}

/* Timers: when the view must wake up -------------------------------------- */

static void
test_display_minutes (void)
{
  static const struct {
    gint64 seconds;
    gint64 minutes;
  } cases[] = {
    { 0, 0 }, { 1, 1 }, { 59, 1 }, { 60, 1 }, { 61, 2 }, { 3600, 60 }, { 3601, 61 },
    { -1, 0 }, { -59, 0 }, { -60, -1 }, { -61, -1 }, { -119, -1 }, { -120, -2 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    g_assert_cmpint (cd_timer_display_minutes (cases[i].seconds), ==, cases[i].minutes);
}

/* Each timer's shown minutes and colour, to compare two evaluations. */
static char *
describe_display (GArray *timers)
{
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < timers->len; i++)
    {
      const CdTimer *timer = &g_array_index (timers, CdTimer, i);

      g_string_append_printf (out, "%s/%s %s %" G_GINT64_FORMAT "; ", timer->ticket->number,
                              kind_nick (timer->kind), cd_enum_to_nick (CD_TYPE_SLA_STATE, timer->state),
                              cd_timer_display_minutes (timer->seconds_left));
    }

  return g_string_free (out, FALSE);
}

static GArray *
collect_sorted_by_kind (GPtrArray      *tickets,
                        CdSlaPolicySet *policies,
                        gint64          now)
{
  GArray *timers = cd_timers_collect (tickets, policies, now);
  CdTimerFilter filter;

  /* A single ticket: order the timers by kind, which never changes, so
   * two evaluations line up. */
  cd_timer_filter_init (&filter);
  for (guint i = 0; i + 1 < timers->len; i++)
    for (guint j = i + 1; j < timers->len; j++)
      if (g_array_index (timers, CdTimer, j).kind < g_array_index (timers, CdTimer, i).kind)
        {
          CdTimer t = g_array_index (timers, CdTimer, i);

          g_array_index (timers, CdTimer, i) = g_array_index (timers, CdTimer, j);
          g_array_index (timers, CdTimer, j) = t;
        }

  return timers;
}

static void
test_next_change (void)
{
  static const struct {
    const char *what;
    TicketSpec  ticket;
    const char *now;
    const char *expected;  /* NULL: nothing changes */
  } cases[] = {
    /* 300 s left shows 5 min until 240 s are left: 08:06. */
    { "minute boundary", ticket_a, "2025-03-03T08:05", "2025-03-03T08:06" },
    /* 160 s shows 3 min until 08:08, but amber comes first at 08:07:30. */
    { "turning amber", ticket_a, "2025-03-03T08:07:20", "2025-03-03T08:07:30" },
    { "amber, next minute", ticket_a, "2025-03-03T08:07:30", "2025-03-03T08:08" },
    { "last second", ticket_a, "2025-03-03T08:09:59", "2025-03-03T08:10:00" },
    /* On the deadline: 0 min, amber; red one second later. */
    { "on the deadline", ticket_a, "2025-03-03T08:10:00", "2025-03-03T08:10:01" },
    /* Overdue 1 s shows "overdue 0 min" until 60 s: 08:11. */
    { "just overdue", ticket_a, "2025-03-03T08:10:01", "2025-03-03T08:11" },
    { "overdue a minute", ticket_a, "2025-03-03T08:11", "2025-03-03T08:12" },
    { "paused",
      { "HT-P", "2025-03-03T08:00", 10, 45, 240, ALWAYS, NULL, NULL, NULL, "2025-03-03T08:04", NULL,
        NULL, NULL, CD_CATEGORY_LEAK, 0, 0 },
      "2025-03-03T09:00", NULL },
    /* Friday 17:29:30: 12630 s left (211 min) until 12600 at closing. */
    { "before closing", ticket_c, "2025-03-07T17:29:30", "2025-03-07T17:30" },
    /* Closed for the weekend: the next minute is Monday 08:31. */
    { "at closing", ticket_c, "2025-03-07T17:30", "2025-03-10T08:31" },
    { "weekend", ticket_c, "2025-03-08T10:00", "2025-03-10T08:31" },
    /* Monday 10:59:30: 3630 s left; amber and the minute both at 11:00. */
    { "business hours, amber", ticket_c, "2025-03-10T10:59:30", "2025-03-10T11:00" },
    /* Overdue counts on the wall clock, also at night. */
    { "business hours, overdue", ticket_c, "2025-03-10T20:00", "2025-03-10T20:01" },
    /* Tuesday 30 Sep 17:00 + 30 min, then the October holidays: the clock
     * stands until Thursday 9 Oct 08:30, the next minute at 08:31. */
    { "holidays",
      { "HT-H", "2025-09-30T17:00", 240, 0, 1620, BUSINESS, NULL, NULL, NULL, NULL, NULL,
        NULL, NULL, CD_CATEGORY_INQUIRY, 0, 0 },
      "2025-10-03T10:00", "2025-10-09T08:31" },
  };
  g_autoptr(CdSlaPolicySet) policies = make_policies ();

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GPtrArray) tickets = make_tickets (policies, &cases[i].ticket, 1);
      gint64 now = T (cases[i].now);
      g_autoptr(GArray) timers = collect_sorted_by_kind (tickets, policies, now);
      gint64 next = cd_timers_next_change (timers, now);
      g_autoptr(GArray) before = NULL;
      g_autoptr(GArray) at = NULL;
      g_autofree char *shown = NULL;
      g_autofree char *shown_before = NULL;
      g_autofree char *shown_at = NULL;

      g_test_message ("next-change case %u: %s", i, cases[i].what);
      if (cases[i].expected == NULL)
        {
          g_assert_cmpint (next, ==, 0);
          continue;
        }
      assert_time (next, cases[i].expected);

      /* And it is exact: nothing shown changes before it, something at it. */
      before = collect_sorted_by_kind (tickets, policies, next - 1);
      at = collect_sorted_by_kind (tickets, policies, next);
      shown = describe_display (timers);
      shown_before = describe_display (before);
      shown_at = describe_display (at);
      g_assert_cmpstr (shown_before, ==, shown);
      g_assert_cmpstr (shown_at, !=, shown);
    }
}

static void
test_next_change_many (void)
{
  /* The view's wake-up is the earliest of its timers: HT-A's next minute
   * (08:06) comes before HT-C's (Monday). */
  static const TicketSpec specs[] = { ticket_c, ticket_a };
  g_autoptr(CdSlaPolicySet) policies = make_policies ();
  g_autoptr(GPtrArray) tickets = make_tickets (policies, specs, G_N_ELEMENTS (specs));
  g_autoptr(GArray) timers = cd_timers_collect (tickets, policies, T ("2025-03-03T08:05"));

  g_assert_cmpuint (timers->len, ==, 5);
  assert_time (cd_timers_next_change (timers, T ("2025-03-03T08:05")), "2025-03-03T08:06");
}

/* The callback queue -------------------------------------------------------- */

typedef struct {
  const char       *ticket;      /* number, NULL: a ticket not loaded */
  const char       *due;
  gint64            priority;
  CdCallbackStatus  status;
  guint             failed;      /* no-answer attempts */
  const char       *agent;
} CallbackSpec;

static CdCallback *
make_callback (const CallbackSpec *spec,
               guint               n)
{
  CdCallback *callback = cd_callback_new ();
  g_autofree char *id = make_id (1000 + n);

  cd_record_set_id (CD_RECORD (callback), id);
  /* Tickets are numbered "HT-<n>" with id make_id (n). */
  callback->ticket_id = spec->ticket != NULL ? make_id ((guint) g_ascii_strtoull (spec->ticket + 3, NULL, 10))
                                             : make_id (999);
  callback->due_at = T (spec->due);
  callback->priority = spec->priority;
  callback->status = spec->status;
  callback->agent = g_strdup (spec->agent);
  callback->attempts = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < spec->failed; i++)
    g_ptr_array_add (callback->attempts,
                     cd_callback_attempt_new (callback->due_at - 3600 + i * 60, "li",
                                              i % 2 ? CD_CALLBACK_OUTCOME_WRONG_NUMBER : CD_CALLBACK_OUTCOME_NO_ANSWER,
                                              NULL));

  return callback;
}

static GPtrArray *
make_numbered_tickets (guint n)
{
  GPtrArray *tickets = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 1; i <= n; i++)
    {
      CdTicket *ticket = cd_ticket_new ();
      g_autofree char *id = make_id (i);

      cd_record_set_id (CD_RECORD (ticket), id);
      ticket->number = g_strdup_printf ("HT-%u", i);
      ticket->status = CD_TICKET_STATUS_RESOLVED;
      g_ptr_array_add (tickets, ticket);
    }

  return tickets;
}

/* CB numbers are their index + 1. */
static const CallbackSpec queue_callbacks[] = {
  /* CB1 */ { "HT-1", "2025-03-03T10:00", 50, CD_CALLBACK_STATUS_PENDING, 0, NULL },
  /* CB2 */ { "HT-2", "2025-03-03T10:00", 90, CD_CALLBACK_STATUS_PENDING, 0, NULL },
  /* CB3 */ { "HT-3", "2025-03-03T09:00", 50, CD_CALLBACK_STATUS_PENDING, 2, "li" },
  /* CB4 */ { "HT-4", "2025-03-03T08:00", 80, CD_CALLBACK_STATUS_UNREACHABLE, 3, "li" },
  /* CB5 */ { "HT-5", "2025-03-03T07:00", 50, CD_CALLBACK_STATUS_DONE, 0, "li" },
  /* CB6 */ { "HT-6", "2025-03-03T07:30", 50, CD_CALLBACK_STATUS_SECOND_HANDLING, 0, "li" },
  /* CB7 */ { "HT-7", "2025-03-03T07:00", 90, CD_CALLBACK_STATUS_CLOSED, 0, "li" },
  /* CB8 */ { NULL, "2025-03-03T11:00", 70, CD_CALLBACK_STATUS_PENDING, 0, "wang" },
};

static char *
describe_queue (GArray *queue)
{
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < queue->len; i++)
    {
      const CdCallbackQueueItem *item = &g_array_index (queue, CdCallbackQueueItem, i);
      const char *id = CD_RECORD (item->callback)->id;

      g_string_append_printf (out, "%sCB%u %s left%" G_GINT64_FORMAT "%s try%u%s", i > 0 ? "; " : "",
                              (guint) g_ascii_strtoull (id + strlen (id) - 4, NULL, 10) - 1000,
                              item->ticket != NULL ? item->ticket->number : "-",
                              item->seconds_left, item->overdue ? " overdue" : "",
                              item->attempts_left, item->unreachable ? " unreachable" : "");
    }

  return g_string_free (out, FALSE);
}

static void
test_queue (void)
{
  static const struct {
    const char          *now;
    CdCallbackQueueSort  sort;
    gboolean             include_unreachable;
    const char          *agent;
    const char          *due_before;
    const char          *expected;
  } cases[] = {
    /* 09:30. By due time; CB2 and CB1 share 10:00, the complaint (90)
     * first. CB3 is 30 min overdue with one attempt left. */
    { "2025-03-03T09:30", CD_CALLBACK_QUEUE_SORT_DUE, FALSE, NULL, NULL,
      "CB3 HT-3 left-1800 overdue try1; CB2 HT-2 left1800 try3; CB1 HT-1 left1800 try3; CB8 - left5400 try3" },
    { "2025-03-03T09:30", CD_CALLBACK_QUEUE_SORT_PRIORITY, FALSE, NULL, NULL,
      "CB2 HT-2 left1800 try3; CB8 - left5400 try3; CB3 HT-3 left-1800 overdue try1; CB1 HT-1 left1800 try3" },
    /* The unreachable customer after the pending ones, in either order. */
    { "2025-03-03T09:30", CD_CALLBACK_QUEUE_SORT_DUE, TRUE, NULL, NULL,
      "CB3 HT-3 left-1800 overdue try1; CB2 HT-2 left1800 try3; CB1 HT-1 left1800 try3; CB8 - left5400 try3; "
      "CB4 HT-4 left-5400 overdue try0 unreachable" },
    { "2025-03-03T09:30", CD_CALLBACK_QUEUE_SORT_PRIORITY, TRUE, NULL, NULL,
      "CB2 HT-2 left1800 try3; CB8 - left5400 try3; CB3 HT-3 left-1800 overdue try1; CB1 HT-1 left1800 try3; "
      "CB4 HT-4 left-5400 overdue try0 unreachable" },
    /* li's own and nobody's; wang's CB8 is not offered to li. */
    { "2025-03-03T09:30", CD_CALLBACK_QUEUE_SORT_DUE, FALSE, "li", NULL,
      "CB3 HT-3 left-1800 overdue try1; CB2 HT-2 left1800 try3; CB1 HT-1 left1800 try3" },
    /* Due before 10:00: 10:00 itself is not before. */
    { "2025-03-03T09:30", CD_CALLBACK_QUEUE_SORT_DUE, FALSE, NULL, "2025-03-03T10:00",
      "CB3 HT-3 left-1800 overdue try1" },
    /* Exactly at the due time: not yet overdue; a second later it is. */
    { "2025-03-03T09:00", CD_CALLBACK_QUEUE_SORT_DUE, FALSE, NULL, "2025-03-03T09:01",
      "CB3 HT-3 left0 try1" },
    { "2025-03-03T09:00:01", CD_CALLBACK_QUEUE_SORT_DUE, FALSE, NULL, "2025-03-03T09:01",
      "CB3 HT-3 left-1 overdue try1" },
  };
  g_autoptr(GPtrArray) tickets = make_numbered_tickets (7);
  g_autoptr(GPtrArray) callbacks = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; i < G_N_ELEMENTS (queue_callbacks); i++)
    g_ptr_array_add (callbacks, make_callback (&queue_callbacks[i], i + 1));

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      CdCallbackQueueOptions options;
      g_autoptr(GArray) queue = NULL;
      g_autofree char *got = NULL;

      cd_callback_queue_options_init (&options);
      options.sort = cases[i].sort;
      options.include_unreachable = cases[i].include_unreachable;
      options.agent = cases[i].agent;
      options.due_before = T (cases[i].due_before);

      queue = cd_callback_queue_build (callbacks, tickets, T (cases[i].now), &options);
      got = describe_queue (queue);
      g_test_message ("queue case %u", i);
      g_assert_cmpstr (got, ==, cases[i].expected);
    }
}

static void
test_unreachable (void)
{
  static const struct {
    CdCallbackStatus  status;
    guint             failed;
    gboolean          reached;
    gboolean          unreachable;
    guint             left;
  } cases[] = {
    { CD_CALLBACK_STATUS_PENDING, 0, FALSE, FALSE, 3 },
    { CD_CALLBACK_STATUS_PENDING, 2, FALSE, FALSE, 1 },
    /* The mutation's copy before it sets the status. */
    { CD_CALLBACK_STATUS_PENDING, 3, FALSE, TRUE, 0 },
    /* More failures than the rule allows (imported data): none left. */
    { CD_CALLBACK_STATUS_PENDING, 4, FALSE, TRUE, 0 },
    { CD_CALLBACK_STATUS_UNREACHABLE, 3, FALSE, TRUE, 0 },
    { CD_CALLBACK_STATUS_DONE, 3, TRUE, FALSE, 0 },
    { CD_CALLBACK_STATUS_SECOND_HANDLING, 0, TRUE, FALSE, 0 },
    { CD_CALLBACK_STATUS_CLOSED, 0, TRUE, FALSE, 0 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      CallbackSpec spec = { "HT-1", "2025-03-03T10:00", 50, cases[i].status, cases[i].failed, NULL };
      g_autoptr(CdCallback) callback = make_callback (&spec, 1);

      if (cases[i].reached)
        {
          g_ptr_array_add (callback->attempts,
                           cd_callback_attempt_new (T ("2025-03-03T09:59"), "li", CD_CALLBACK_OUTCOME_REACHED, NULL));
          callback->completed_at = T ("2025-03-03T09:59");
        }

      g_test_message ("unreachable case %u", i);
      g_assert_cmpint (cd_callback_is_unreachable (callback), ==, cases[i].unreachable);
      g_assert_cmpuint (cd_callback_attempts_left (callback), ==, cases[i].left);
    }
}

/* The queue's rule and callback.record's are one: record failed attempts
 * through the mutation and ask the queue after each. */
static gpointer
single_load (gpointer     world,
             GType        type,
             const char  *id,
             GError     **error)
{
  CdRecord **slot = world;

  if (*slot == NULL || !G_TYPE_CHECK_INSTANCE_TYPE (*slot, type) || g_strcmp0 ((*slot)->id, id) != 0)
    return NULL;
  return g_object_ref (*slot);
}

static GPtrArray *
no_crews (gpointer   world,
          GError   **error)
{
  return g_ptr_array_new_with_free_func (g_object_unref);
}

static guint
no_load (gpointer    world,
         const char *crew_id)
{
  return 0;
}

static void
test_unreachable_agrees_with_mutation (void)
{
  static const CdMutationWorldVTable vtable = { single_load, no_crews, no_load, NULL };
  CallbackSpec spec = { "HT-1", "2025-03-03T10:00", 50, CD_CALLBACK_STATUS_PENDING, 0, NULL };
  g_autoptr(CdSlaPolicySet) policies = make_policies ();
  g_autoptr(CdUser) agent = cd_user_new ();
  g_autoptr(CdRecord) callback = CD_RECORD (make_callback (&spec, 1));
  g_autoptr(GPtrArray) tickets = make_numbered_tickets (1);

  agent->username = g_strdup ("li");
  agent->role = CD_ROLE_CALLBACK_AGENT;
  agent->active = TRUE;

  for (guint k = 1; k <= CD_CALLBACK_MAX_FAILED_ATTEMPTS; k++)
    {
      g_auto(CdMutationResult) result;
      g_autoptr(JsonObject) args = json_object_new ();
      g_autofree char *mutation_id = g_strdup_printf ("0b5e4c1a-2f3d-4e5f-8a9b-0c1d2e3f4a%02u", k);
      g_autoptr(CdMutation) m = NULL;
      g_autoptr(GError) error = NULL;
      g_autoptr(GPtrArray) callbacks = g_ptr_array_new ();
      g_autoptr(GArray) queue = NULL;
      CdCallbackQueueOptions options;
      CdMutationContext ctx;
      CdCallback *changed;

      json_object_set_string_member (args, "outcome", "no-answer");
      m = cd_mutation_new (mutation_id, CD_MUTATION_OP_CALLBACK_RECORD, callback->id, -1, args);
      cd_mutation_context_init (&ctx, agent, T ("2025-03-03T09:00") + k * 600, policies);
      cd_mutation_result_init (&result);
      g_assert_true (cd_mutation_apply (m, &ctx, &vtable, &callback, &result, &error));
      g_assert_no_error (error);
      g_assert_cmpuint (result.records->len, ==, 1);
      changed = g_ptr_array_index (result.records, 0);
      g_set_object (&callback, CD_RECORD (changed));

      /* The mutation's status and the queue's rule agree after every attempt. */
      g_assert_cmpuint (cd_callback_count_failed_attempts (changed), ==, k);
      g_assert_cmpint (changed->status == CD_CALLBACK_STATUS_UNREACHABLE, ==, k == CD_CALLBACK_MAX_FAILED_ATTEMPTS);
      g_assert_cmpint (cd_callback_is_unreachable (changed), ==, k == CD_CALLBACK_MAX_FAILED_ATTEMPTS);
      g_assert_cmpuint (cd_callback_attempts_left (changed), ==, CD_CALLBACK_MAX_FAILED_ATTEMPTS - k);

      /* And it leaves the plain queue when it becomes unreachable. */
      g_ptr_array_add (callbacks, changed);
      cd_callback_queue_options_init (&options);
      queue = cd_callback_queue_build (callbacks, tickets, ctx.now, &options);
      g_assert_cmpuint (queue->len, ==, k < CD_CALLBACK_MAX_FAILED_ATTEMPTS ? 1 : 0);
    }
}

/* The manager's review ------------------------------------------------------ */

static void
test_review (void)
{
  static const struct {
    CdCallbackStatus  status;
    const char       *owner;
    const char       *deadline;
    CdSatisfaction    satisfaction;
    gboolean          solved;
    gint64            priority;
  } specs[] = {
    /* R1 */ { CD_CALLBACK_STATUS_SECOND_HANDLING, "zhang", "2025-03-03T12:00", CD_SATISFACTION_UNSATISFIED, TRUE, 50 },
    /* R2 */ { CD_CALLBACK_STATUS_SECOND_HANDLING, "li", "2025-03-03T09:00", CD_SATISFACTION_NEUTRAL, FALSE, 90 },
    /* R3 */ { CD_CALLBACK_STATUS_SECOND_HANDLING, "li", "2025-03-03T12:00", CD_SATISFACTION_UNSATISFIED, FALSE, 90 },
    /* R4 */ { CD_CALLBACK_STATUS_CLOSED, "li", "2025-03-03T08:00", CD_SATISFACTION_UNSATISFIED, FALSE, 90 },
    /* R5 */ { CD_CALLBACK_STATUS_DONE, NULL, NULL, CD_SATISFACTION_SATISFIED, TRUE, 50 },
    /* R6 */ { CD_CALLBACK_STATUS_SECOND_HANDLING, "wang", NULL, CD_SATISFACTION_UNSATISFIED, TRUE, 50 },
  };
  static const struct {
    const char *now;
    const char *expected;
  } cases[] = {
    /* At 12:00 R3 and R1 are exactly at their deadline: not overdue. */
    { "2025-03-03T12:00",
      "R2 li left-10800 overdue unsolved; R3 li left0 unsatisfied unsolved; R1 zhang left0 unsatisfied; R6 wang left0 unsatisfied" },
    { "2025-03-03T12:00:01",
      "R2 li left-10801 overdue unsolved; R3 li left-1 overdue unsatisfied unsolved; R1 zhang left-1 overdue unsatisfied; "
      "R6 wang left0 unsatisfied" },
  };
  g_autoptr(GPtrArray) callbacks = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) tickets = make_numbered_tickets (6);

  for (guint i = 0; i < G_N_ELEMENTS (specs); i++)
    {
      CallbackSpec spec = { NULL, "2025-03-03T08:00", specs[i].priority, specs[i].status, 0, NULL };
      g_autofree char *ticket_number = g_strdup_printf ("HT-%u", i + 1);
      CdCallback *callback;

      spec.ticket = ticket_number;
      callback = make_callback (&spec, i + 1);
      callback->second_owner = g_strdup (specs[i].owner);
      callback->second_deadline = T (specs[i].deadline);
      callback->satisfaction = specs[i].satisfaction;
      callback->solved = specs[i].solved;
      callback->completed_at = T ("2025-03-03T08:00");
      g_ptr_array_add (callbacks, callback);
    }

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GArray) list = cd_callback_review_list (callbacks, tickets, T (cases[i].now));
      g_autoptr(GString) got = g_string_new (NULL);

      for (guint j = 0; j < list->len; j++)
        {
          const CdReviewItem *item = &g_array_index (list, CdReviewItem, j);

          g_assert_nonnull (item->ticket);
          g_string_append_printf (got, "%sR%s %s left%" G_GINT64_FORMAT "%s%s%s", j > 0 ? "; " : "",
                                  item->ticket->number + 3, item->owner, item->seconds_left,
                                  item->overdue ? " overdue" : "", item->unsatisfied ? " unsatisfied" : "",
                                  item->unsolved ? " unsolved" : "");
        }
      g_test_message ("review case %u", i);
      g_assert_cmpstr (got->str, ==, cases[i].expected);
    }
}

/* The history --------------------------------------------------------------- */

static CdAssignmentEvent *
make_event (const char         *ticket_id,
            const char         *at,
            CdAssignmentSource  source,
            const char         *actor,
            const char         *to,
            const char         *proposed,
            const char         *reason)
{
  CdAssignmentEvent *event = cd_assignment_event_new ();

  event->ticket_id = g_strdup (ticket_id);
  event->at = T (at);
  event->source = source;
  event->actor = g_strdup (actor);
  event->to_crew = g_strdup (to);
  event->proposed_crew = g_strdup (proposed);
  event->reason = g_strdup (reason);
  return event;
}

static void
test_history (void)
{
  /* 24x7, 10/45/240, waiting 08:20-08:30: deadlines 08:10, 08:55 and
   * 12:10. Responded 08:05 and on site 08:50 in time; resolved 13:00,
   * 50 min late: the resolution limit was missed at 12:10. */
  static const TicketSpec spec = {
    "HT-1", "2025-03-03T08:00", 10, 45, 240, ALWAYS, "2025-03-03T08:05", "2025-03-03T08:50", "2025-03-03T13:00",
    "2025-03-03T08:20", "2025-03-03T08:30", "east", "crew-b", CD_CATEGORY_LEAK, 0, 0,
  };
  static const char *expected =
    "2025-03-03T08:00:00 created wang\n"
    "2025-03-03T08:01:00 assigned auto-dispatch\n"
    "2025-03-03T08:03:00 overridden li: closer\n"
    "2025-03-03T08:05:00 first-response\n"
    "2025-03-03T08:20:00 paused: Customer not at home\n"
    "2025-03-03T08:30:00 resumed\n"
    "2025-03-03T08:50:00 on-site\n"
    "2025-03-03T12:10:00 limit-missed resolved\n"
    "2025-03-03T13:00:00 resolved\n"
    "2025-03-04T09:00:00 callback-attempt zhao: Rang 10 times\n"
    "2025-03-04T10:00:00 callback-attempt zhao\n"
    "2025-03-04T10:00:00 second-opened wang: Leaks again\n"
    "2025-03-05T10:00:00 second-overdue wang\n"
    "2025-03-05T11:00:00 second-closed manager: Replaced valve\n";
  static const char * const kind_names[] = {
    "created", "assigned", "overridden", "first-response", "on-site", "paused", "resumed",
    "limit-missed", "resolved", "closed", "callback-overdue", "callback-attempt",
    "second-opened", "second-overdue", "second-closed",
  };
  g_autoptr(CdSlaPolicySet) policies = make_policies ();
  g_autoptr(CdTicket) ticket = make_ticket (policies, &spec, 1);
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) callbacks = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GArray) history = NULL;
  g_autoptr(GArray) bare_history = NULL;
  g_autoptr(CdTicket) bare = cd_ticket_new ();
  g_autoptr(GString) got = g_string_new (NULL);
  g_autofree char *other_id = make_id (2);
  CallbackSpec cb_spec = { "HT-1", "2025-03-04T13:00", 50, CD_CALLBACK_STATUS_CLOSED, 0, "zhao" };
  CdCallback *callback = make_callback (&cb_spec, 1);
  CdCallback *other = make_callback (&cb_spec, 2);

  ticket->owner = g_strdup ("wang");
  /* Listed out of order on purpose, with another ticket's events. */
  g_ptr_array_add (events, make_event (CD_RECORD (ticket)->id, "2025-03-03T08:03", CD_ASSIGNMENT_SOURCE_MANUAL,
                                       "li", "crew-b", "crew-a", "closer"));
  g_ptr_array_add (events, make_event (other_id, "2025-03-03T08:02", CD_ASSIGNMENT_SOURCE_MANUAL,
                                       "li", "crew-c", "crew-a", "elsewhere"));
  g_ptr_array_add (events, make_event (CD_RECORD (ticket)->id, "2025-03-03T08:01", CD_ASSIGNMENT_SOURCE_AUTO,
                                       "auto-dispatch", "crew-a", NULL, NULL));

  g_ptr_array_add (callback->attempts,
                   cd_callback_attempt_new (T ("2025-03-04T09:00"), "zhao", CD_CALLBACK_OUTCOME_NO_ANSWER, "Rang 10 times"));
  g_ptr_array_add (callback->attempts,
                   cd_callback_attempt_new (T ("2025-03-04T10:00"), "zhao", CD_CALLBACK_OUTCOME_REACHED, NULL));
  callback->completed_at = T ("2025-03-04T10:00");
  callback->satisfaction = CD_SATISFACTION_UNSATISFIED;
  callback->comment = g_strdup ("Leaks again");
  callback->second_owner = g_strdup ("wang");
  callback->second_opened_at = T ("2025-03-04T10:00");
  callback->second_deadline = T ("2025-03-05T10:00");
  callback->second_closed_at = T ("2025-03-05T11:00");
  callback->second_conclusion = g_strdup ("Replaced valve");
  callback->reviewed_by = g_strdup ("manager");
  g_free (other->ticket_id);
  other->ticket_id = g_strdup (other_id);
  other->second_opened_at = T ("2025-03-04T10:30");
  g_ptr_array_add (callbacks, other);
  g_ptr_array_add (callbacks, callback);

  history = cd_history_build (ticket, events, callbacks, policies, T ("2025-03-05T12:00"));
  for (guint i = 0; i < history->len; i++)
    {
      const CdHistoryEntry *entry = &g_array_index (history, CdHistoryEntry, i);
      g_autofree char *at = format_local (entry->at);

      g_assert_nonnull (entry->record);
      g_string_append_printf (got, "%s %s", at, kind_names[entry->kind]);
      if (entry->kind == CD_HISTORY_LIMIT_MISSED)
        g_string_append_printf (got, " %s", kind_nick (entry->sla_kind));
      if (entry->actor != NULL)
        g_string_append_printf (got, " %s", entry->actor);
      if (entry->detail != NULL && entry->kind != CD_HISTORY_CREATED)
        g_string_append_printf (got, ": %s", entry->detail);
      g_string_append_c (got, '\n');

      /* Each entry carries the record it comes from. */
      if (entry->kind == CD_HISTORY_ASSIGNED || entry->kind == CD_HISTORY_OVERRIDDEN)
        g_assert_true (CD_IS_ASSIGNMENT_EVENT (entry->record));
      if (entry->kind == CD_HISTORY_CALLBACK_ATTEMPT)
        g_assert_true (CD_IS_CALLBACK_ATTEMPT (entry->record));
      if (entry->kind == CD_HISTORY_PAUSED)
        g_assert_true (CD_IS_SLA_PAUSE (entry->record));
    }
  g_assert_cmpstr (got->str, ==, expected);

  /* Without policies there is no missed-limit entry; nothing else changes. */
  g_clear_pointer (&history, g_array_unref);
  history = cd_history_build (ticket, events, callbacks, NULL, T ("2025-03-05T12:00"));
  g_assert_cmpuint (history->len, ==, 13);
  for (guint i = 0; i < history->len; i++)
    g_assert_cmpint (g_array_index (history, CdHistoryEntry, i).kind, !=, CD_HISTORY_LIMIT_MISSED);

  /* A ticket with nothing set has no history; no arrays are needed. */
  bare_history = cd_history_build (bare, NULL, NULL, NULL, T ("2025-03-05T12:00"));
  g_assert_cmpuint (bare_history->len, ==, 0);
}

static void
test_history_same_second (void)
{
  /* Entries of one second follow the life of a ticket, whatever order
   * they were found in: a crew handed over at the very second the ticket
   * was resolved shows before the resolution. */
  static const TicketSpec spec = {
    "HT-1", "2025-03-03T08:00", 0, 0, 0, ALWAYS, NULL, NULL, "2025-03-03T09:00", NULL, NULL,
    NULL, NULL, CD_CATEGORY_LEAK, 0, 0,
  };
  g_autoptr(CdSlaPolicySet) policies = make_policies ();
  g_autoptr(CdTicket) ticket = make_ticket (policies, &spec, 1);
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GArray) history = NULL;

  g_ptr_array_add (events, make_event (CD_RECORD (ticket)->id, "2025-03-03T09:00", CD_ASSIGNMENT_SOURCE_MANUAL,
                                       "li", "crew-b", NULL, NULL));
  history = cd_history_build (ticket, events, NULL, policies, T ("2025-03-03T10:00"));
  g_assert_cmpuint (history->len, ==, 3);
  g_assert_cmpint (g_array_index (history, CdHistoryEntry, 0).kind, ==, CD_HISTORY_CREATED);
  g_assert_cmpint (g_array_index (history, CdHistoryEntry, 1).kind, ==, CD_HISTORY_ASSIGNED);
  g_assert_cmpint (g_array_index (history, CdHistoryEntry, 2).kind, ==, CD_HISTORY_RESOLVED);
}

static void
test_callback_overdue_in_history (void)
{
  /* Due 2025-03-04 13:00; reached at 15:00: overdue at 13:00. Still
   * pending at now: overdue too. Reached at 12:00: no entry. */
  static const struct {
    const char *completed;
    const char *now;
    gboolean    overdue;
  } cases[] = {
    { "2025-03-04T15:00", "2025-03-05T12:00", TRUE },
    { NULL, "2025-03-04T13:00:01", TRUE },
    { NULL, "2025-03-04T13:00", FALSE },
    { "2025-03-04T12:00", "2025-03-05T12:00", FALSE },
  };
  g_autoptr(GPtrArray) tickets = make_numbered_tickets (1);
  CdTicket *ticket = g_ptr_array_index (tickets, 0);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      CallbackSpec spec = { "HT-1", "2025-03-04T13:00", 50, CD_CALLBACK_STATUS_PENDING, 0, NULL };
      g_autoptr(GPtrArray) callbacks = g_ptr_array_new_with_free_func (g_object_unref);
      g_autoptr(GArray) history = NULL;
      CdCallback *callback = make_callback (&spec, 1);
      gboolean found = FALSE;

      callback->completed_at = T (cases[i].completed);
      g_ptr_array_add (callbacks, callback);
      history = cd_history_build (ticket, NULL, callbacks, NULL, T (cases[i].now));
      for (guint j = 0; j < history->len; j++)
        if (g_array_index (history, CdHistoryEntry, j).kind == CD_HISTORY_CALLBACK_OVERDUE)
          {
            found = TRUE;
            assert_time (g_array_index (history, CdHistoryEntry, j).at, "2025-03-04T13:00");
          }
      g_test_message ("callback overdue case %u", i);
      g_assert_cmpint (found, ==, cases[i].overdue);
    }
}

/* Empty input ----------------------------------------------------------------- */

static void
test_empty (void)
{
  g_autoptr(CdSlaPolicySet) policies = make_policies ();
  g_autoptr(GPtrArray) none = g_ptr_array_new ();
  g_autoptr(GArray) timers = cd_timers_collect (none, policies, T ("2025-03-03T08:00"));
  g_autoptr(GArray) crossed = cd_timers_crossed_red (none, policies, 0, T ("2025-03-03T08:00"));
  g_autoptr(GPtrArray) groups = cd_timers_group (timers, CD_TIMER_GROUP_AREA);
  g_autoptr(GArray) escalations = cd_timers_escalations (timers);
  g_autoptr(GArray) queue = cd_callback_queue_build (none, NULL, T ("2025-03-03T08:00"), NULL);
  g_autoptr(GArray) review = cd_callback_review_list (none, NULL, T ("2025-03-03T08:00"));

  g_assert_cmpuint (timers->len, ==, 0);
  g_assert_cmpuint (crossed->len, ==, 0);
  g_assert_cmpuint (groups->len, ==, 0);
  g_assert_cmpuint (escalations->len, ==, 0);
  g_assert_cmpuint (queue->len, ==, 0);
  g_assert_cmpuint (review->len, ==, 0);
  g_assert_cmpint (cd_timers_next_change (timers, T ("2025-03-03T08:00")), ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  cd_model_init ();

  g_test_add_func ("/timers/collect", test_collect);
  g_test_add_func ("/timers/sort", test_sort);
  g_test_add_func ("/timers/sort-ties", test_sort_ties);
  g_test_add_func ("/timers/filter", test_filter);
  g_test_add_func ("/timers/group", test_group);
  g_test_add_func ("/timers/group-ties", test_group_ties);
  g_test_add_func ("/timers/escalations", test_escalations);
  g_test_add_func ("/timers/crossed-red", test_crossed_red);
  g_test_add_func ("/timers/display-minutes", test_display_minutes);
  g_test_add_func ("/timers/next-change", test_next_change);
  g_test_add_func ("/timers/next-change-many", test_next_change_many);
  g_test_add_func ("/callbacks/queue", test_queue);
  g_test_add_func ("/callbacks/unreachable", test_unreachable);
  g_test_add_func ("/callbacks/unreachable-agrees-with-mutation", test_unreachable_agrees_with_mutation);
  g_test_add_func ("/callbacks/review", test_review);
  g_test_add_func ("/callbacks/history", test_history);
  g_test_add_func ("/callbacks/history-same-second", test_history_same_second);
  g_test_add_func ("/callbacks/history-callback-overdue", test_callback_overdue_in_history);
  g_test_add_func ("/timers/empty", test_empty);

  return g_test_run ();
}
