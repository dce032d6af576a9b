/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-sla.c: working-time calendars, the policy file and the SLA clock.
 *
 * Times in the tables are local times at +08:00, written "YYYY-MM-DDTHH:MM"
 * or with seconds, unless they carry their own offset; fixed offsets keep
 * the tests independent of tzdata.
 * 2025-03-03 is a Monday; 2025-01-01 and 2025-01-28..02-04 are holidays;
 * Sunday 2025-01-26 and Saturday 2025-02-08 are make-up working days.
 */

#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "cd-calendar.h"
#include "cd-model.h"
#include "cd-sla-clock.h"

typedef enum {
  CAL_ALWAYS,  /* 24x7 */
  CAL_OFFICE,  /* Mon-Fri 08:30-17:30 with the holidays above */
  CAL_EVENING, /* every day 18:00-24:00: a window ending at midnight */
  CAL_EARLY,   /* every day 06:00-10:00: its window spans a UTC midnight */
  CAL_WEST,    /* every day 18:00-23:00 at -05:00: so does this one */
} CalendarId;

typedef struct {
  const char *start;
  const char *end;   /* NULL: still paused */
} Pause;

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
  g_autoptr(GTimeZone) tz = NULL;
  g_autoptr(GDateTime) utc = NULL;
  g_autoptr(GDateTime) local = NULL;

  if (t == 0)
    return g_strdup ("(none)");

  tz = g_time_zone_new_identifier ("+08:00");
  utc = g_date_time_new_from_unix_utc (t);
  local = g_date_time_to_timezone (utc, tz);

  return g_date_time_format (local, "%Y-%m-%dT%H:%M:%S");
}

/* Compares as text, so a failure shows both times readably. */
static void
assert_time (gint64      got,
             const char *expected)
{
  g_autofree char *got_text = format_local (got);
  g_autofree char *expected_text = format_local (T (expected));

  g_assert_cmpstr (got_text, ==, expected_text);
}

static void
set_date (GDate *date,
          guint  year,
          guint  month,
          guint  day)
{
  g_date_clear (date, 1);
  g_date_set_dmy (date, (GDateDay) day, (GDateMonth) month, (GDateYear) year);
}

static CdCalendar *
make_calendar (CalendarId id)
{
  g_autoptr(GTimeZone) tz = g_time_zone_new_identifier ("+08:00");
  CdCalendar *calendar = NULL;
  GDate date;

  g_assert_nonnull (tz);

  switch (id)
    {
    case CAL_ALWAYS:
      calendar = cd_calendar_new_always ();
      break;
    case CAL_OFFICE:
      calendar = cd_calendar_new_business_hours (tz, CD_WEEKDAYS_MONDAY_TO_FRIDAY,
                                                 8 * 60 + 30, 17 * 60 + 30);
      set_date (&date, 2025, 1, 1);
      cd_calendar_add_holiday (calendar, &date);
      for (guint day = 28; day <= 31 + 4; day++)
        {
          set_date (&date, 2025, 1, 1);
          g_date_add_days (&date, day - 1);
          cd_calendar_add_holiday (calendar, &date);
        }
      set_date (&date, 2025, 1, 26);
      cd_calendar_add_working_day (calendar, &date);
      set_date (&date, 2025, 2, 8);
      cd_calendar_add_working_day (calendar, &date);
      break;
    case CAL_EVENING:
      calendar = cd_calendar_new_business_hours (tz, CD_WEEKDAYS_ALL, 18 * 60, 24 * 60);
      break;
    case CAL_EARLY:
      calendar = cd_calendar_new_business_hours (tz, CD_WEEKDAYS_ALL, 6 * 60, 10 * 60);
      break;
    case CAL_WEST:
      {
        g_autoptr(GTimeZone) west = g_time_zone_new_identifier ("-05:00");

        calendar = cd_calendar_new_business_hours (west, CD_WEEKDAYS_ALL, 18 * 60, 23 * 60);
      }
      break;
    default:
      g_assert_not_reached ();
    }

  return calendar;
}

static CdTicket *
make_ticket (CdCalendar *calendar,
             const char *created,
             gint64      first_response_min,
             gint64      on_site_min,
             gint64      resolved_min,
             double      warning_share)
{
  g_autoptr(CdSlaPolicy) policy = cd_sla_policy_new ();
  CdTicket *ticket = cd_ticket_new ();

  ticket->created_at = T (created);
  policy->first_response_min = first_response_min;
  policy->on_site_min = on_site_min;
  policy->resolved_min = resolved_min;
  policy->calendar = cd_calendar_get_kind (calendar);
  policy->warning_share = warning_share > 0 ? warning_share : 0.25;
  cd_sla_apply_policy (ticket, policy, calendar);

  return ticket;
}

static void
apply_pauses (CdTicket    *ticket,
              CdCalendar  *calendar,
              const Pause *pauses,
              guint        n_pauses)
{
  for (guint i = 0; i < n_pauses && pauses[i].start != NULL; i++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_true (cd_sla_pause (ticket, calendar, T (pauses[i].start), "waiting", &error));
      g_assert_no_error (error);
      if (pauses[i].end != NULL)
        {
          g_assert_true (cd_sla_resume (ticket, calendar, T (pauses[i].end), &error));
          g_assert_no_error (error);
        }
    }
}

static char *
write_file (const char *dir,
            const char *name,
            const char *contents)
{
  g_autoptr(GError) error = NULL;
  char *path = g_build_filename (dir, name, NULL);

  g_file_set_contents (path, contents, -1, &error);
  g_assert_no_error (error);

  return path;
}

static void
remove_dir (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);

      g_assert_cmpint (g_remove (path), ==, 0);
    }
  g_assert_cmpint (g_rmdir (dir), ==, 0);
}

/* Calendar ---------------------------------------------------------------- */

static void
test_calendar_add (void)
{
  static const struct {
    const char *description;
    CalendarId  calendar;
    const char *start;
    gint64      minutes;
    const char *expected;
  } cases[] = {
    { "inside hours, same day", CAL_OFFICE, "2025-03-03T09:00", 60, "2025-03-03T10:00" },
    { "across closing into the next morning", CAL_OFFICE, "2025-03-03T17:00", 60, "2025-03-04T09:00" },
    { "Friday afternoon skips the weekend", CAL_OFFICE, "2025-03-07T17:00", 60, "2025-03-10T09:00" },
    { "before opening (previous UTC day) starts at opening", CAL_OFFICE, "2025-03-03T07:00", 30, "2025-03-03T09:00" },
    { "after closing starts at the next opening", CAL_OFFICE, "2025-03-03T20:00", 30, "2025-03-04T09:00" },
    { "just after local midnight", CAL_OFFICE, "2025-03-04T00:30", 30, "2025-03-04T09:00" },
    { "on a Saturday starts on Monday", CAL_OFFICE, "2025-03-08T10:00", 30, "2025-03-10T09:00" },
    { "a holiday is skipped", CAL_OFFICE, "2024-12-31T17:00", 60, "2025-01-02T09:00" },
    { "starting on a holiday", CAL_OFFICE, "2025-01-01T10:00", 30, "2025-01-02T09:00" },
    { "a make-up Sunday is worked", CAL_OFFICE, "2025-01-24T17:00", 60, "2025-01-26T09:00" },
    { "a long holiday is skipped", CAL_OFFICE, "2025-01-27T17:00", 60, "2025-02-05T09:00" },
    { "a make-up Saturday is worked", CAL_OFFICE, "2025-02-07T17:00", 60, "2025-02-08T09:00" },
    { "a full day ends at closing, not the next opening", CAL_OFFICE, "2025-03-03T08:30", 540, "2025-03-03T17:30" },
    { "ending exactly at Friday's closing", CAL_OFFICE, "2025-03-07T16:30", 60, "2025-03-07T17:30" },
    { "three working days", CAL_OFFICE, "2025-03-03T10:00", 1620, "2025-03-06T10:00" },
    { "three working days over the make-up Saturday", CAL_OFFICE, "2025-02-06T10:00", 1620, "2025-02-10T10:00" },
    { "zero minutes returns the start, even outside hours", CAL_OFFICE, "2025-03-08T10:00", 0, "2025-03-08T10:00" },
    { "24x7 crosses midnight", CAL_ALWAYS, "2025-03-03T23:50", 20, "2025-03-04T00:10" },
    { "24x7 ignores weekends and holidays", CAL_ALWAYS, "2025-01-01T10:00", 60, "2025-01-01T11:00" },
    { "window closing at 24:00 continues the next evening", CAL_EVENING, "2025-03-03T23:50", 20, "2025-03-04T18:10" },
    { "window closing at 24:00 ends at midnight", CAL_EVENING, "2025-03-03T12:00", 360, "2025-03-04T00:00" },
    { "local evening that is already tomorrow in UTC", CAL_WEST,
      "2025-03-03T20:00:00-05:00", 60, "2025-03-03T21:00:00-05:00" },
    { "local morning that is still yesterday in UTC", CAL_EARLY, "2025-03-04T07:00", 60, "2025-03-04T08:00" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(CdCalendar) calendar = make_calendar (cases[i].calendar);

      g_test_message ("%s", cases[i].description);
      assert_time (cd_calendar_add_working_minutes (calendar, T (cases[i].start), cases[i].minutes),
                   cases[i].expected);
    }
}

static void
test_calendar_count (void)
{
  static const struct {
    const char *description;
    CalendarId  calendar;
    const char *from;
    const char *to;
    gint64      expected;
  } cases[] = {
    { "inside hours, same day", CAL_OFFICE, "2025-03-03T09:00", "2025-03-03T10:00", 60 },
    { "overnight", CAL_OFFICE, "2025-03-03T17:00", "2025-03-04T09:00", 60 },
    { "over a weekend", CAL_OFFICE, "2025-03-07T17:00", "2025-03-10T09:00", 60 },
    { "over a holiday", CAL_OFFICE, "2024-12-31T17:00", "2025-01-02T09:00", 60 },
    { "into a make-up Sunday", CAL_OFFICE, "2025-01-24T17:00", "2025-01-26T09:00", 60 },
    { "entirely in a weekend", CAL_OFFICE, "2025-03-08T10:00", "2025-03-09T18:00", 0 },
    { "reversed range", CAL_OFFICE, "2025-03-03T10:00", "2025-03-03T09:00", 0 },
    { "a full week", CAL_OFFICE, "2025-03-03T00:00", "2025-03-10T00:00", 5 * 540 },
    { "two weeks around the long holiday", CAL_OFFICE, "2025-01-27T00:00", "2025-02-10T00:00", 5 * 540 },
    { "under a minute rounds down", CAL_OFFICE, "2025-03-03T09:00:00", "2025-03-03T09:00:59", 0 },
    { "24x7 across midnight", CAL_ALWAYS, "2025-03-03T23:50", "2025-03-04T00:10", 20 },
    { "window closing at 24:00", CAL_EVENING, "2025-03-03T23:00", "2025-03-04T19:00", 120 },
    { "ending in a local morning that is still yesterday in UTC", CAL_EARLY,
      "2025-03-03T09:00", "2025-03-04T07:00", 120 },
    { "starting in a local evening that is already tomorrow in UTC", CAL_WEST,
      "2025-03-03T20:00:00-05:00", "2025-03-04T19:00:00-05:00", 180 + 60 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(CdCalendar) calendar = make_calendar (cases[i].calendar);

      g_test_message ("%s", cases[i].description);
      g_assert_cmpint (cd_calendar_count_working_minutes (calendar, T (cases[i].from), T (cases[i].to)),
                       ==, cases[i].expected);
    }
}

/* Adding and counting must agree for any start, in or out of hours. */
static void
test_calendar_round_trip (void)
{
  static const CalendarId calendars[] = { CAL_ALWAYS, CAL_OFFICE, CAL_EVENING, CAL_EARLY, CAL_WEST };
  static const gint64 minutes[] = { 1, 59, 540, 1620 };
  gint64 origin = T ("2025-01-20T00:00");

  for (guint c = 0; c < G_N_ELEMENTS (calendars); c++)
    {
      g_autoptr(CdCalendar) calendar = make_calendar (calendars[c]);

      for (guint step = 0; step < 1000; step++)
        {
          gint64 start = origin + step * 37 * 60 + 7;

          for (guint m = 0; m < G_N_ELEMENTS (minutes); m++)
            {
              gint64 end = cd_calendar_add_working_minutes (calendar, start, minutes[m]);

              g_assert_cmpint (end, >, cd_calendar_next_working_time (calendar, start));
              g_assert_cmpint (cd_calendar_count_working_seconds (calendar, start, end), ==, minutes[m] * 60);
              g_assert_cmpint (cd_calendar_count_working_seconds (calendar, start, end - 1), ==, minutes[m] * 60 - 1);
            }
        }
    }
}

static void
test_calendar_days (void)
{
  static const struct {
    const char *description;
    guint       year, month, day;
    gboolean    working;
  } cases[] = {
    { "Monday", 2025, 3, 3, TRUE },
    { "Saturday", 2025, 3, 8, FALSE },
    { "New Year's Day, a Wednesday", 2025, 1, 1, FALSE },
    { "Spring Festival, a Tuesday", 2025, 2, 4, FALSE },
    { "make-up Sunday", 2025, 1, 26, TRUE },
    { "make-up Saturday", 2025, 2, 8, TRUE },
    { "the Sunday after it", 2025, 2, 9, FALSE },
  };
  g_autoptr(CdCalendar) office = make_calendar (CAL_OFFICE);
  g_autoptr(CdCalendar) always = make_calendar (CAL_ALWAYS);
  g_autoptr(GTimeZone) tz = g_time_zone_new_identifier ("+08:00");
  g_autoptr(CdCalendar) later_wins = cd_calendar_new_business_hours (tz, CD_WEEKDAYS_MONDAY_TO_FRIDAY, 510, 1050);
  GDate date;

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_test_message ("%s", cases[i].description);
      set_date (&date, cases[i].year, cases[i].month, cases[i].day);
      g_assert_cmpint (cd_calendar_is_working_day (office, &date), ==, cases[i].working);
      g_assert_true (cd_calendar_is_working_day (always, &date));
    }

  /* The last declaration of a date wins. */
  set_date (&date, 2025, 3, 8);
  cd_calendar_add_holiday (later_wins, &date);
  cd_calendar_add_working_day (later_wins, &date);
  g_assert_true (cd_calendar_is_working_day (later_wins, &date));
  set_date (&date, 2025, 3, 10);
  cd_calendar_add_working_day (later_wins, &date);
  cd_calendar_add_holiday (later_wins, &date);
  g_assert_false (cd_calendar_is_working_day (later_wins, &date));

  g_assert_cmpint (cd_calendar_get_day_minutes (office), ==, 540);
  g_assert_cmpint (cd_calendar_get_day_minutes (always), ==, 1440);
  g_assert_cmpint (cd_calendar_get_kind (office), ==, CD_CALENDAR_KIND_BUSINESS_HOURS);
  g_assert_cmpint (cd_calendar_get_kind (always), ==, CD_CALENDAR_KIND_ALWAYS);
}

static void
test_calendar_next_working_time (void)
{
  static const struct {
    const char *description;
    const char *time;
    gboolean    working;
    const char *next;
  } cases[] = {
    { "a second before opening", "2025-03-03T08:29:59", FALSE, "2025-03-03T08:30" },
    { "at opening", "2025-03-03T08:30", TRUE, "2025-03-03T08:30" },
    { "a second before closing", "2025-03-03T17:29:59", TRUE, "2025-03-03T17:29:59" },
    { "at closing", "2025-03-03T17:30", FALSE, "2025-03-04T08:30" },
    { "Friday evening", "2025-03-07T18:00", FALSE, "2025-03-10T08:30" },
    { "on a holiday", "2025-01-01T09:00", FALSE, "2025-01-02T08:30" },
    { "on a make-up Sunday", "2025-01-26T09:00", TRUE, "2025-01-26T09:00" },
  };
  g_autoptr(CdCalendar) office = make_calendar (CAL_OFFICE);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_test_message ("%s", cases[i].description);
      g_assert_cmpint (cd_calendar_is_working_time (office, T (cases[i].time)), ==, cases[i].working);
      assert_time (cd_calendar_next_working_time (office, T (cases[i].time)), cases[i].next);
    }
}

/* Applying a policy ------------------------------------------------------- */

static void
test_sla_apply (void)
{
  static const struct {
    const char *description;
    CalendarId  calendar;
    const char *created;
    gint64      limits[CD_N_SLA_KINDS];
    const char *due[CD_N_SLA_KINDS];
  } cases[] = {
    { "24x7 urgent", CAL_ALWAYS, "2025-03-03T10:00", { 30, 120, 480 },
      { "2025-03-03T10:30", "2025-03-03T12:00", "2025-03-03T18:00" } },
    { "24x7 across midnight", CAL_ALWAYS, "2025-03-03T22:00", { 10, 45, 240 },
      { "2025-03-03T22:10", "2025-03-03T22:45", "2025-03-04T02:00" } },
    { "business hours, created inside them on a Friday", CAL_OFFICE, "2025-03-07T16:00", { 240, 0, 1620 },
      { "2025-03-10T11:00", NULL, "2025-03-12T16:00" } },
    { "business hours, created before opening", CAL_OFFICE, "2025-03-03T07:00", { 240, 0, 1620 },
      { "2025-03-03T12:30", NULL, "2025-03-05T17:30" } },
    { "business hours, created after closing", CAL_OFFICE, "2025-03-03T19:00", { 240, 0, 1620 },
      { "2025-03-04T12:30", NULL, "2025-03-06T17:30" } },
    { "business hours, created on a Saturday", CAL_OFFICE, "2025-03-08T10:00", { 240, 0, 1620 },
      { "2025-03-10T12:30", NULL, "2025-03-12T17:30" } },
    { "business hours, created on a holiday", CAL_OFFICE, "2025-01-01T10:00", { 240, 0, 1620 },
      { "2025-01-02T12:30", NULL, "2025-01-06T17:30" } },
    { "business hours, before the long holiday", CAL_OFFICE, "2025-01-27T16:30", { 240, 0, 1620 },
      { "2025-02-05T11:30", NULL, "2025-02-07T16:30" } },
    { "business hours, over a make-up Saturday", CAL_OFFICE, "2025-02-06T10:00", { 240, 0, 1620 },
      { "2025-02-06T14:00", NULL, "2025-02-10T10:00" } },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(CdCalendar) calendar = make_calendar (cases[i].calendar);
      g_autoptr(CdTicket) ticket = NULL;

      g_test_message ("%s", cases[i].description);
      ticket = make_ticket (calendar, cases[i].created,
                            cases[i].limits[0], cases[i].limits[1], cases[i].limits[2], 0.4);

      g_assert_cmpint (ticket->sla_first_response_min, ==, cases[i].limits[0]);
      g_assert_cmpint (ticket->sla_on_site_min, ==, cases[i].limits[1]);
      g_assert_cmpint (ticket->sla_resolved_min, ==, cases[i].limits[2]);
      g_assert_cmpint (ticket->sla_calendar, ==, cd_calendar_get_kind (calendar));
      g_assert_cmpfloat (ticket->sla_warning_share, ==, 0.4);
      assert_time (ticket->due_first_response, cases[i].due[0]);
      assert_time (ticket->due_on_site, cases[i].due[1]);
      assert_time (ticket->due_resolved, cases[i].due[2]);
    }
}

/* The frozen promise notifies, so a board showing the ticket updates. */
static void
count_notify_cb (GObject    *object,
                 GParamSpec *pspec,
                 gpointer    user_data)
{
  GHashTable *seen = user_data;

  g_hash_table_add (seen, (gpointer) g_param_spec_get_name (pspec));
}

static void
test_sla_notify (void)
{
  g_autoptr(CdCalendar) calendar = make_calendar (CAL_ALWAYS);
  g_autoptr(CdTicket) ticket = make_ticket (calendar, "2025-03-03T10:00", 30, 120, 480, 0);
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GError) error = NULL;

  g_signal_connect (ticket, "notify", G_CALLBACK (count_notify_cb), seen);
  g_assert_true (cd_sla_pause (ticket, calendar, T ("2025-03-03T10:10"), NULL, &error));
  g_assert_true (g_hash_table_contains (seen, "sla-pauses"));
  g_assert_false (g_hash_table_contains (seen, "sla-due-on-site"));

  g_hash_table_remove_all (seen);
  g_assert_true (cd_sla_resume (ticket, calendar, T ("2025-03-03T10:40"), &error));
  g_assert_no_error (error);
  g_assert_true (g_hash_table_contains (seen, "sla-pauses"));
  g_assert_true (g_hash_table_contains (seen, "sla-due-on-site"));
}

/* Pauses ------------------------------------------------------------------ */

static void
test_sla_pauses (void)
{
  static const struct {
    const char *description;
    CalendarId  calendar;
    const char *created;
    gint64      limits[CD_N_SLA_KINDS];
    const char *first_response_at;
    Pause       pauses[3];
    const char *due[CD_N_SLA_KINDS];
  } cases[] = {
    { "24x7, one pause", CAL_ALWAYS, "2025-03-03T10:00", { 30, 120, 480 }, NULL,
      { { "2025-03-03T10:10", "2025-03-03T10:40" } },
      { "2025-03-03T11:00", "2025-03-03T12:30", "2025-03-03T18:30" } },
    { "24x7, three pauses, the second after the first response was due", CAL_ALWAYS, "2025-03-03T10:00",
      { 30, 120, 480 }, NULL,
      { { "2025-03-03T10:10", "2025-03-03T10:40" },
        { "2025-03-03T11:05", "2025-03-03T11:50" },
        { "2025-03-03T13:00", "2025-03-03T13:15" } },
      { "2025-03-03T11:00", "2025-03-03T13:30", "2025-03-03T19:30" } },
    { "24x7, a pause across midnight", CAL_ALWAYS, "2025-03-03T22:00", { 10, 45, 240 }, NULL,
      { { "2025-03-03T22:30", "2025-03-04T01:30" } },
      { "2025-03-03T22:10", "2025-03-04T01:45", "2025-03-04T05:00" } },
    { "business hours, a pause spanning the weekend counts only its working minutes", CAL_OFFICE,
      "2025-03-07T16:00", { 240, 0, 1620 }, NULL,
      { { "2025-03-07T17:00", "2025-03-10T10:00" } },
      { "2025-03-10T13:00", NULL, "2025-03-13T09:00" } },
    { "business hours, a pause entirely outside working hours changes nothing", CAL_OFFICE,
      "2025-03-07T16:00", { 240, 0, 1620 }, NULL,
      { { "2025-03-08T10:00", "2025-03-09T12:00" } },
      { "2025-03-10T11:00", NULL, "2025-03-12T16:00" } },
    { "business hours, two pauses, one overnight", CAL_OFFICE, "2025-03-03T09:00", { 240, 0, 1620 }, NULL,
      { { "2025-03-03T10:00", "2025-03-03T11:00" },
        { "2025-03-03T17:00", "2025-03-04T09:00" } },
      { "2025-03-03T14:00", NULL, "2025-03-06T11:00" } },
    { "a milestone reached before the pause keeps its deadline", CAL_ALWAYS, "2025-03-03T10:00",
      { 30, 120, 480 }, "2025-03-03T10:20",
      { { "2025-03-03T10:30", "2025-03-03T11:30" } },
      { "2025-03-03T10:30", "2025-03-03T13:00", "2025-03-03T19:00" } },
    { "an open pause leaves the stored deadlines where they were", CAL_ALWAYS, "2025-03-03T10:00",
      { 30, 120, 480 }, NULL,
      { { "2025-03-03T10:10", NULL } },
      { "2025-03-03T10:30", "2025-03-03T12:00", "2025-03-03T18:00" } },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(CdCalendar) calendar = make_calendar (cases[i].calendar);
      g_autoptr(CdTicket) ticket = NULL;
      guint n_pauses = 0;

      g_test_message ("%s", cases[i].description);
      ticket = make_ticket (calendar, cases[i].created,
                            cases[i].limits[0], cases[i].limits[1], cases[i].limits[2], 0);
      ticket->first_response_at = T (cases[i].first_response_at);
      apply_pauses (ticket, calendar, cases[i].pauses, G_N_ELEMENTS (cases[i].pauses));

      while (n_pauses < G_N_ELEMENTS (cases[i].pauses) && cases[i].pauses[n_pauses].start != NULL)
        n_pauses++;
      g_assert_nonnull (ticket->pauses);
      g_assert_cmpuint (ticket->pauses->len, ==, n_pauses);
      for (guint p = 0; p < n_pauses; p++)
        {
          CdSlaPause *pause = g_ptr_array_index (ticket->pauses, p);

          g_assert_cmpint (pause->start, ==, T (cases[i].pauses[p].start));
          g_assert_cmpint (pause->end, ==, T (cases[i].pauses[p].end));
          g_assert_cmpstr (pause->reason, ==, "waiting");
        }
      g_assert_cmpint (cd_ticket_is_paused (ticket), ==, cases[i].pauses[n_pauses - 1].end == NULL);

      assert_time (ticket->due_first_response, cases[i].due[0]);
      assert_time (ticket->due_on_site, cases[i].due[1]);
      assert_time (ticket->due_resolved, cases[i].due[2]);
    }
}

typedef enum {
  OP_PAUSE,
  OP_RESUME,
} Op;

static void
test_sla_pause_errors (void)
{
  static const struct {
    const char *description;
    struct {
      Op          op;
      const char *time;
      gint        error;  /* a CdSlaError, or -1 for success */
    } steps[4];
  } cases[] = {
    { "pausing twice", {
      { OP_PAUSE, "2025-03-03T10:10", -1 },
      { OP_PAUSE, "2025-03-03T10:20", CD_SLA_ERROR_ALREADY_PAUSED } } },
    { "resuming when not paused", {
      { OP_RESUME, "2025-03-03T10:20", CD_SLA_ERROR_NOT_PAUSED } } },
    { "resuming twice", {
      { OP_PAUSE, "2025-03-03T10:10", -1 },
      { OP_RESUME, "2025-03-03T10:20", -1 },
      { OP_RESUME, "2025-03-03T10:30", CD_SLA_ERROR_NOT_PAUSED } } },
    { "pausing before the ticket was created", {
      { OP_PAUSE, "2025-03-03T09:00", CD_SLA_ERROR_INVALID_TIME } } },
    { "resuming before the pause began", {
      { OP_PAUSE, "2025-03-03T10:10", -1 },
      { OP_RESUME, "2025-03-03T10:05", CD_SLA_ERROR_INVALID_TIME } } },
    { "pausing inside an earlier pause", {
      { OP_PAUSE, "2025-03-03T10:10", -1 },
      { OP_RESUME, "2025-03-03T10:40", -1 },
      { OP_PAUSE, "2025-03-03T10:30", CD_SLA_ERROR_INVALID_TIME } } },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(CdCalendar) calendar = make_calendar (CAL_ALWAYS);
      g_autoptr(CdTicket) ticket = make_ticket (calendar, "2025-03-03T10:00", 30, 120, 480, 0);

      g_test_message ("%s", cases[i].description);
      for (guint s = 0; s < G_N_ELEMENTS (cases[i].steps) && cases[i].steps[s].time != NULL; s++)
        {
          g_autoptr(GError) error = NULL;
          g_autoptr(CdTicket) before = cd_record_copy (CD_RECORD (ticket));
          gint64 now = T (cases[i].steps[s].time);
          gboolean ok;

          if (cases[i].steps[s].op == OP_PAUSE)
            ok = cd_sla_pause (ticket, calendar, now, NULL, &error);
          else
            ok = cd_sla_resume (ticket, calendar, now, &error);

          if (cases[i].steps[s].error < 0)
            {
              g_assert_no_error (error);
              g_assert_true (ok);
            }
          else
            {
              g_assert_error (error, CD_SLA_ERROR, cases[i].steps[s].error);
              g_assert_false (ok);
              /* A refused step leaves the ticket as it was. */
              g_assert_true (cd_record_equal (CD_RECORD (before), CD_RECORD (ticket)));
            }
        }
    }
}

static void
test_sla_too_many_pauses (void)
{
  g_autoptr(CdCalendar) calendar = make_calendar (CAL_ALWAYS);
  g_autoptr(CdTicket) ticket = make_ticket (calendar, "2025-03-03T10:00", 30, 120, 480, 0);
  g_autoptr(GError) error = NULL;
  gint64 t = T ("2025-03-03T10:00");
  guint n = 0;

  while (cd_sla_pause (ticket, calendar, t + 120 * n, NULL, &error))
    {
      g_assert_true (cd_sla_resume (ticket, calendar, t + 120 * n + 60, NULL));
      n++;
      g_assert_cmpuint (n, <=, 64);
    }

  g_assert_error (error, CD_SLA_ERROR, CD_SLA_ERROR_TOO_MANY_PAUSES);
  g_assert_cmpuint (n, ==, 64);
  g_assert_cmpuint (ticket->pauses->len, ==, 64);
  /* 64 one-minute pauses push the on-site deadline by 64 minutes. */
  assert_time (ticket->due_on_site, "2025-03-03T13:04");
}

/* Evaluation -------------------------------------------------------------- */

static void
test_sla_evaluate (void)
{
  static const struct {
    const char *description;
    CalendarId  calendar;
    const char *created;
    gint64      limits[CD_N_SLA_KINDS];
    double      share;                    /* 0: the default 0.25 */
    const char *reached[CD_N_SLA_KINDS];  /* first response, on site, resolved */
    Pause       pauses[2];
    CdSlaKind   kind;
    const char *now;
    CdSlaState  state;
    const char *deadline;
    gint64      seconds_left;
    const char *breached_at;
    const char *warn_at;
    double      share_left;
    gboolean    paused;
  } cases[] = {
    { "just created", CAL_ALWAYS, "2025-03-03T10:00", { 30, 120, 480 }, 0, { NULL }, { { NULL } },
      CD_SLA_KIND_ON_SITE, "2025-03-03T10:00",
      CD_SLA_STATE_GREEN, "2025-03-03T12:00", 7200, NULL, "2025-03-03T11:30", 1.0, FALSE },
    { "a second before the warning share", CAL_ALWAYS, "2025-03-03T10:00", { 30, 120, 480 }, 0, { NULL }, { { NULL } },
      CD_SLA_KIND_ON_SITE, "2025-03-03T11:29:59",
      CD_SLA_STATE_GREEN, "2025-03-03T12:00", 1801, NULL, "2025-03-03T11:30", 1801.0 / 7200, FALSE },
    { "exactly at the warning share", CAL_ALWAYS, "2025-03-03T10:00", { 30, 120, 480 }, 0, { NULL }, { { NULL } },
      CD_SLA_KIND_ON_SITE, "2025-03-03T11:30",
      CD_SLA_STATE_AMBER, "2025-03-03T12:00", 1800, NULL, "2025-03-03T11:30", 0.25, FALSE },
    { "exactly at the deadline", CAL_ALWAYS, "2025-03-03T10:00", { 30, 120, 480 }, 0, { NULL }, { { NULL } },
      CD_SLA_KIND_ON_SITE, "2025-03-03T12:00",
      CD_SLA_STATE_AMBER, "2025-03-03T12:00", 0, NULL, "2025-03-03T11:30", 0.0, FALSE },
    { "a second after the deadline", CAL_ALWAYS, "2025-03-03T10:00", { 30, 120, 480 }, 0, { NULL }, { { NULL } },
      CD_SLA_KIND_ON_SITE, "2025-03-03T12:00:01",
      CD_SLA_STATE_RED, "2025-03-03T12:00", -1, "2025-03-03T12:00", "2025-03-03T11:30", 0.0, FALSE },
    { "an hour after the deadline", CAL_ALWAYS, "2025-03-03T10:00", { 30, 120, 480 }, 0, { NULL }, { { NULL } },
      CD_SLA_KIND_ON_SITE, "2025-03-03T13:00",
      CD_SLA_STATE_RED, "2025-03-03T12:00", -3600, "2025-03-03T12:00", "2025-03-03T11:30", 0.0, FALSE },
    { "custom share: a second before it", CAL_ALWAYS, "2025-03-03T10:00", { 30, 120, 480 }, 0.1, { NULL }, { { NULL } },
      CD_SLA_KIND_ON_SITE, "2025-03-03T11:47:59",
      CD_SLA_STATE_GREEN, "2025-03-03T12:00", 721, NULL, "2025-03-03T11:48", 721.0 / 7200, FALSE },
    { "custom share: exactly at it", CAL_ALWAYS, "2025-03-03T10:00", { 30, 120, 480 }, 0.1, { NULL }, { { NULL } },
      CD_SLA_KIND_ON_SITE, "2025-03-03T11:48",
      CD_SLA_STATE_AMBER, "2025-03-03T12:00", 720, NULL, "2025-03-03T11:48", 0.1, FALSE },
    { "met well in time", CAL_ALWAYS, "2025-03-03T10:00", { 30, 120, 480 }, 0,
      { NULL, "2025-03-03T11:00" }, { { NULL } },
      CD_SLA_KIND_ON_SITE, "2025-03-03T14:00",
      CD_SLA_STATE_MET, "2025-03-03T12:00", 3600, NULL, "2025-03-03T11:30", 0.5, FALSE },
    { "met at the deadline exactly", CAL_ALWAYS, "2025-03-03T10:00", { 30, 120, 480 }, 0,
      { NULL, "2025-03-03T12:00" }, { { NULL } },
      CD_SLA_KIND_ON_SITE, "2025-03-03T14:00",
      CD_SLA_STATE_MET, "2025-03-03T12:00", 0, NULL, "2025-03-03T11:30", 0.0, FALSE },
    { "reached a minute late", CAL_ALWAYS, "2025-03-03T10:00", { 30, 120, 480 }, 0,
      { NULL, "2025-03-03T12:01" }, { { NULL } },
      CD_SLA_KIND_ON_SITE, "2025-03-03T14:00",
      CD_SLA_STATE_RED, "2025-03-03T12:00", -60, "2025-03-03T12:00", "2025-03-03T11:30", 0.0, FALSE },
    { "a resolution reaches a skipped visit", CAL_ALWAYS, "2025-03-03T10:00", { 30, 120, 480 }, 0,
      { "2025-03-03T10:05", NULL, "2025-03-03T11:00" }, { { NULL } },
      CD_SLA_KIND_ON_SITE, "2025-03-03T14:00",
      CD_SLA_STATE_MET, "2025-03-03T12:00", 3600, NULL, "2025-03-03T11:30", 0.5, FALSE },
    { "a milestone reached before a pause is not paused", CAL_ALWAYS, "2025-03-03T10:00", { 30, 120, 480 }, 0,
      { "2025-03-03T10:05" }, { { "2025-03-03T10:30", NULL } },
      CD_SLA_KIND_FIRST_RESPONSE, "2025-03-03T11:00",
      CD_SLA_STATE_MET, "2025-03-03T10:30", 1500, NULL, "2025-03-03T10:22:30", 1500.0 / 1800, FALSE },
    { "no such limit", CAL_OFFICE, "2025-03-03T10:00", { 240, 0, 1620 }, 0, { NULL }, { { NULL } },
      CD_SLA_KIND_ON_SITE, "2025-03-03T14:00",
      CD_SLA_STATE_NONE, NULL, 0, NULL, NULL, 0.0, FALSE },
    { "24x7, paused: time left frozen, deadline if answered now", CAL_ALWAYS, "2025-03-03T10:00",
      { 30, 120, 480 }, 0, { NULL }, { { "2025-03-03T10:30", NULL } },
      CD_SLA_KIND_ON_SITE, "2025-03-03T15:00",
      CD_SLA_STATE_GREEN, "2025-03-03T16:30", 5400, NULL, "2025-03-03T16:00", 0.75, TRUE },
    { "24x7, paused exactly at the deadline: not breached while paused", CAL_ALWAYS, "2025-03-03T10:00",
      { 30, 120, 480 }, 0, { NULL }, { { "2025-03-03T12:00", NULL } },
      CD_SLA_KIND_ON_SITE, "2025-03-03T13:00",
      CD_SLA_STATE_AMBER, "2025-03-03T13:00", 0, NULL, "2025-03-03T11:30", 0.0, TRUE },
    { "24x7, resumed after a pause that began at the deadline: red a second later", CAL_ALWAYS,
      "2025-03-03T10:00", { 30, 120, 480 }, 0, { NULL }, { { "2025-03-03T12:00", "2025-03-03T12:30" } },
      CD_SLA_KIND_ON_SITE, "2025-03-03T12:30:01",
      CD_SLA_STATE_RED, "2025-03-03T12:30", -1, "2025-03-03T12:30", "2025-03-03T11:30", 0.0, FALSE },
    { "24x7, after a closed pause", CAL_ALWAYS, "2025-03-03T10:00",
      { 30, 120, 480 }, 0, { NULL }, { { "2025-03-03T10:30", "2025-03-03T11:00" } },
      CD_SLA_KIND_ON_SITE, "2025-03-03T11:30",
      CD_SLA_STATE_GREEN, "2025-03-03T12:30", 3600, NULL, "2025-03-03T12:00", 0.5, FALSE },
    { "24x7, paused after the breach: stays red, overdue stops growing", CAL_ALWAYS, "2025-03-03T10:00",
      { 30, 120, 480 }, 0, { NULL }, { { "2025-03-03T12:30", NULL } },
      CD_SLA_KIND_ON_SITE, "2025-03-03T15:00",
      CD_SLA_STATE_RED, "2025-03-03T12:00", -1800, "2025-03-03T12:00", "2025-03-03T11:30", 0.0, TRUE },
    { "business hours: frozen over the weekend", CAL_OFFICE, "2025-03-07T16:00", { 240, 0, 1620 }, 0,
      { NULL }, { { NULL } },
      CD_SLA_KIND_FIRST_RESPONSE, "2025-03-08T12:00",
      CD_SLA_STATE_GREEN, "2025-03-10T11:00", 9000, NULL, "2025-03-10T10:00", 0.625, FALSE },
    { "business hours: amber exactly at the share on Monday", CAL_OFFICE, "2025-03-07T16:00", { 240, 0, 1620 }, 0,
      { NULL }, { { NULL } },
      CD_SLA_KIND_FIRST_RESPONSE, "2025-03-10T10:00",
      CD_SLA_STATE_AMBER, "2025-03-10T11:00", 3600, NULL, "2025-03-10T10:00", 0.25, FALSE },
    { "business hours: due at closing, still amber at closing", CAL_OFFICE, "2025-03-07T13:30", { 240, 0, 1620 }, 0,
      { NULL }, { { NULL } },
      CD_SLA_KIND_FIRST_RESPONSE, "2025-03-07T17:30",
      CD_SLA_STATE_AMBER, "2025-03-07T17:30", 0, NULL, "2025-03-07T16:30", 0.0, FALSE },
    { "business hours: due at closing, red that evening", CAL_OFFICE, "2025-03-07T13:30", { 240, 0, 1620 }, 0,
      { NULL }, { { NULL } },
      CD_SLA_KIND_FIRST_RESPONSE, "2025-03-07T20:00",
      CD_SLA_STATE_RED, "2025-03-07T17:30", -9000, "2025-03-07T17:30", "2025-03-07T16:30", 0.0, FALSE },
    { "business hours: paused over the weekend", CAL_OFFICE, "2025-03-07T16:00", { 240, 0, 1620 }, 0,
      { NULL }, { { "2025-03-07T17:00", NULL } },
      CD_SLA_KIND_FIRST_RESPONSE, "2025-03-09T12:00",
      CD_SLA_STATE_GREEN, "2025-03-10T11:30", 10800, NULL, "2025-03-10T10:30", 0.75, TRUE },
    { "business hours: created and evaluated on a holiday", CAL_OFFICE, "2025-01-01T10:00", { 240, 0, 1620 }, 0,
      { NULL }, { { NULL } },
      CD_SLA_KIND_FIRST_RESPONSE, "2025-01-01T15:00",
      CD_SLA_STATE_GREEN, "2025-01-02T12:30", 14400, NULL, "2025-01-02T11:30", 1.0, FALSE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(CdCalendar) calendar = make_calendar (cases[i].calendar);
      g_autoptr(CdTicket) ticket = NULL;
      CdSlaStatus status;

      g_test_message ("%s", cases[i].description);
      ticket = make_ticket (calendar, cases[i].created,
                            cases[i].limits[0], cases[i].limits[1], cases[i].limits[2], cases[i].share);
      apply_pauses (ticket, calendar, cases[i].pauses, G_N_ELEMENTS (cases[i].pauses));
      ticket->first_response_at = T (cases[i].reached[0]);
      ticket->on_site_at = T (cases[i].reached[1]);
      ticket->resolved_at = T (cases[i].reached[2]);

      cd_sla_evaluate (ticket, cases[i].kind, calendar, T (cases[i].now), &status);

      g_assert_cmpint (status.state, ==, cases[i].state);
      assert_time (status.deadline, cases[i].deadline);
      g_assert_cmpint (status.seconds_left, ==, cases[i].seconds_left);
      assert_time (status.breached_at, cases[i].breached_at);
      assert_time (status.warn_at, cases[i].warn_at);
      g_assert_cmpfloat_with_epsilon (status.share_left, cases[i].share_left, 1e-9);
      g_assert_cmpint (status.paused, ==, cases[i].paused);

      /* Without an open pause, the evaluated deadline is the stored one. */
      if (!cd_ticket_is_paused (ticket) && cases[i].reached[cases[i].kind] == NULL)
        g_assert_cmpint (status.deadline, ==, cd_sla_get_due (ticket, cases[i].kind));
    }
}

/* While paused, the time left does not move, in or out of working hours. */
static void
test_sla_pause_freezes (void)
{
  static const struct {
    const char *description;
    CalendarId  calendar;
    const char *created;
    const char *pause;
    const char *nows[4];
    gint64      seconds_left;
  } cases[] = {
    { "24x7", CAL_ALWAYS, "2025-03-03T10:00", "2025-03-03T10:30",
      { "2025-03-03T10:30", "2025-03-03T12:00", "2025-03-04T03:00", "2025-03-10T10:00" }, 90 * 60 },
    { "business hours, over a weekend", CAL_OFFICE, "2025-03-07T16:00", "2025-03-07T16:30",
      { "2025-03-07T16:30", "2025-03-07T17:20", "2025-03-08T11:00", "2025-03-10T15:00" }, 90 * 60 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(CdCalendar) calendar = make_calendar (cases[i].calendar);
      g_autoptr(CdTicket) ticket = make_ticket (calendar, cases[i].created, 0, 120, 0, 0);
      g_autoptr(GError) error = NULL;
      CdSlaStatus running, after;

      g_test_message ("%s", cases[i].description);
      g_assert_true (cd_sla_pause (ticket, calendar, T (cases[i].pause), NULL, &error));
      for (guint n = 0; n < G_N_ELEMENTS (cases[i].nows); n++)
        {
          CdSlaStatus status;

          cd_sla_evaluate (ticket, CD_SLA_KIND_ON_SITE, calendar, T (cases[i].nows[n]), &status);
          g_assert_true (status.paused);
          g_assert_cmpint (status.seconds_left, ==, cases[i].seconds_left);
          g_assert_cmpint (status.state, ==, CD_SLA_STATE_GREEN);
        }

      /* Once resumed, the clock runs again: a working minute later, one
       * minute less is left. */
      g_assert_true (cd_sla_resume (ticket, calendar, T (cases[i].nows[3]), &error));
      cd_sla_evaluate (ticket, CD_SLA_KIND_ON_SITE, calendar, T (cases[i].nows[3]), &running);
      cd_sla_evaluate (ticket, CD_SLA_KIND_ON_SITE, calendar, T (cases[i].nows[3]) + 60, &after);
      g_assert_false (running.paused);
      g_assert_cmpint (running.seconds_left, ==, cases[i].seconds_left);
      g_assert_cmpint (after.seconds_left, ==, cases[i].seconds_left - 60);
      g_assert_cmpint (running.deadline, ==, ticket->due_on_site);
    }
}

/* Pauses decoded from the wire may be unsorted, overlap, or start before
 * the ticket; no paused second may count twice. */
static void
test_sla_wire_pauses (void)
{
  static const struct {
    const char *description;
    Pause       pauses[3];
    const char *deadline;
  } cases[] = {
    { "unsorted", { { "2025-03-03T11:00", "2025-03-03T11:10" }, { "2025-03-03T10:10", "2025-03-03T10:20" } },
      "2025-03-03T12:20" },
    { "overlapping", { { "2025-03-03T10:40", "2025-03-03T11:00" }, { "2025-03-03T10:10", "2025-03-03T10:50" } },
      "2025-03-03T12:50" },
    { "one inside another", { { "2025-03-03T10:10", "2025-03-03T11:00" }, { "2025-03-03T10:20", "2025-03-03T10:30" } },
      "2025-03-03T12:50" },
    { "starting before the ticket", { { "2025-03-03T09:00", "2025-03-03T10:30" } },
      "2025-03-03T12:30" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(CdCalendar) calendar = make_calendar (CAL_ALWAYS);
      g_autoptr(CdTicket) ticket = make_ticket (calendar, "2025-03-03T10:00", 30, 120, 480, 0);
      g_autoptr(GPtrArray) pauses = g_ptr_array_new_with_free_func (g_object_unref);
      CdSlaStatus status;

      g_test_message ("%s", cases[i].description);
      for (guint p = 0; p < G_N_ELEMENTS (cases[i].pauses) && cases[i].pauses[p].start != NULL; p++)
        g_ptr_array_add (pauses, cd_sla_pause_new (T (cases[i].pauses[p].start), T (cases[i].pauses[p].end), NULL));
      g_object_set (ticket, "sla-pauses", pauses, NULL);

      cd_sla_evaluate (ticket, CD_SLA_KIND_ON_SITE, calendar, T ("2025-03-03T11:30"), &status);
      assert_time (status.deadline, cases[i].deadline);
    }
}

static void
test_sla_next_deadline (void)
{
  static const struct {
    const char     *description;
    gint64          limits[CD_N_SLA_KINDS];
    const char     *reached[CD_N_SLA_KINDS];
    Pause           pause;
    CdTicketStatus  status;
    const char     *expected;
  } cases[] = {
    { "nothing reached: the first response", { 30, 120, 480 }, { NULL }, { NULL }, CD_TICKET_STATUS_NEW,
      "2025-03-03T10:30" },
    { "first response reached: on site", { 30, 120, 480 }, { "2025-03-03T10:20" }, { NULL },
      CD_TICKET_STATUS_CONTACTED, "2025-03-03T12:00" },
    { "on site reached: resolution", { 30, 120, 480 }, { "2025-03-03T10:20", "2025-03-03T11:00" }, { NULL },
      CD_TICKET_STATUS_ON_SITE, "2025-03-03T18:00" },
    { "resolved: none", { 30, 120, 480 }, { "2025-03-03T10:20", NULL, "2025-03-03T11:00" }, { NULL },
      CD_TICKET_STATUS_RESOLVED, NULL },
    { "resolved but status still open: none", { 30, 120, 480 }, { NULL, NULL, "2025-03-03T11:00" }, { NULL },
      CD_TICKET_STATUS_ON_SITE, NULL },
    { "paused: none runs", { 30, 120, 480 }, { NULL }, { "2025-03-03T10:05", NULL },
      CD_TICKET_STATUS_WAITING_CUSTOMER, NULL },
    { "after a pause: pushed", { 30, 120, 480 }, { NULL }, { "2025-03-03T10:05", "2025-03-03T10:35" },
      CD_TICKET_STATUS_ASSIGNED, "2025-03-03T11:00" },
    { "no first-response limit: on site", { 0, 120, 480 }, { NULL }, { NULL }, CD_TICKET_STATUS_NEW,
      "2025-03-03T12:00" },
    { "no limits", { 0, 0, 0 }, { NULL }, { NULL }, CD_TICKET_STATUS_NEW, NULL },
    { "cancelled", { 30, 120, 480 }, { NULL }, { NULL }, CD_TICKET_STATUS_CANCELLED, NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(CdCalendar) calendar = make_calendar (CAL_ALWAYS);
      g_autoptr(CdTicket) ticket = NULL;

      g_test_message ("%s", cases[i].description);
      ticket = make_ticket (calendar, "2025-03-03T10:00",
                            cases[i].limits[0], cases[i].limits[1], cases[i].limits[2], 0);
      apply_pauses (ticket, calendar, &cases[i].pause, 1);
      ticket->first_response_at = T (cases[i].reached[0]);
      ticket->on_site_at = T (cases[i].reached[1]);
      ticket->resolved_at = T (cases[i].reached[2]);
      ticket->status = cases[i].status;

      assert_time (cd_sla_next_deadline (ticket), cases[i].expected);
    }
}

/* The policy file --------------------------------------------------------- */

static CdSlaPolicySet *
load_default_set (void)
{
  g_autoptr(GError) error = NULL;
  CdSlaPolicySet *set = cd_sla_policy_set_new_default (&error);

  g_assert_no_error (error);
  g_assert_nonnull (set);

  return set;
}

/* DOMAIN.md's table, read back from the shipped data/sla-policy.json. */
static void
test_policy_defaults (void)
{
  static const struct {
    CdCategory     category;
    CdUrgency      urgency;
    CdAreaClass    area_class;
    gint64         first_response_min;
    gint64         on_site_min;
    gint64         resolved_min;
    CdCalendarKind calendar;
  } cases[] = {
#define EMERGENCY(cat) \
    { cat, CD_URGENCY_EMERGENCY, CD_AREA_CLASS_URBAN, 10, 45, 240, CD_CALENDAR_KIND_ALWAYS }, \
    { cat, CD_URGENCY_EMERGENCY, CD_AREA_CLASS_RURAL, 10, 90, 240, CD_CALENDAR_KIND_ALWAYS }, \
    { cat, CD_URGENCY_EMERGENCY, CD_AREA_CLASS_REMOTE, 10, 120, 240, CD_CALENDAR_KIND_ALWAYS }
    EMERGENCY (CD_CATEGORY_POWER_OUTAGE),
    EMERGENCY (CD_CATEGORY_LEAK),
    EMERGENCY (CD_CATEGORY_BURST_PIPE),
#undef EMERGENCY
    { CD_CATEGORY_NO_HEAT, CD_URGENCY_URGENT, CD_AREA_CLASS_URBAN, 30, 120, 480, CD_CALENDAR_KIND_ALWAYS },
    { CD_CATEGORY_NO_POWER, CD_URGENCY_URGENT, CD_AREA_CLASS_URBAN, 30, 120, 480, CD_CALENDAR_KIND_ALWAYS },
    { CD_CATEGORY_LOW_TEMPERATURE, CD_URGENCY_NORMAL, CD_AREA_CLASS_URBAN, 120, 1440, 4320, CD_CALENDAR_KIND_ALWAYS },
    { CD_CATEGORY_VOLTAGE_QUALITY, CD_URGENCY_NORMAL, CD_AREA_CLASS_URBAN, 120, 1440, 4320, CD_CALENDAR_KIND_ALWAYS },
    { CD_CATEGORY_METER, CD_URGENCY_NORMAL, CD_AREA_CLASS_URBAN, 120, 1440, 4320, CD_CALENDAR_KIND_ALWAYS },
    { CD_CATEGORY_BILLING, CD_URGENCY_NORMAL, CD_AREA_CLASS_URBAN, 240, 0, 3 * 540, CD_CALENDAR_KIND_BUSINESS_HOURS },
    { CD_CATEGORY_INQUIRY, CD_URGENCY_NORMAL, CD_AREA_CLASS_URBAN, 240, 0, 3 * 540, CD_CALENDAR_KIND_BUSINESS_HOURS },
    { CD_CATEGORY_COMPLAINT, CD_URGENCY_URGENT, CD_AREA_CLASS_URBAN, 60, 0, 3 * 540, CD_CALENDAR_KIND_BUSINESS_HOURS },
  };
  g_autoptr(CdSlaPolicySet) set = load_default_set ();
  CdCalendar *business = cd_sla_policy_set_get_calendar (set, CD_CALENDAR_KIND_BUSINESS_HOURS);
  CdCalendar *always = cd_sla_policy_set_get_calendar (set, CD_CALENDAR_KIND_ALWAYS);
  GDate date;

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      CdSlaPolicy *p = cd_sla_policy_set_lookup (set, cases[i].category, cases[i].urgency, cases[i].area_class);

      g_test_message ("row %u", i);
      g_assert_nonnull (p);
      /* An exact row, not a fallback that happens to match. */
      g_assert_cmpint (p->category, ==, cases[i].category);
      g_assert_cmpint (p->urgency, ==, cases[i].urgency);
      g_assert_cmpint (p->area_class, ==, cases[i].area_class);
      g_assert_cmpint (p->first_response_min, ==, cases[i].first_response_min);
      g_assert_cmpint (p->on_site_min, ==, cases[i].on_site_min);
      g_assert_cmpint (p->resolved_min, ==, cases[i].resolved_min);
      g_assert_cmpint (p->calendar, ==, cases[i].calendar);
      g_assert_cmpfloat (p->warning_share, ==, 0.25);
      g_assert_true (g_uuid_string_is_valid (CD_RECORD (p)->id));
    }

  g_assert_cmpfloat (cd_sla_policy_set_get_warning_share (set), ==, 0.25);
  g_assert_cmpint (cd_sla_policy_set_get_callback_due_min (set), ==, 24 * 60);

  /* "3 working days" is three business days of working minutes. */
  g_assert_nonnull (business);
  g_assert_cmpint (cd_calendar_get_kind (business), ==, CD_CALENDAR_KIND_BUSINESS_HOURS);
  g_assert_cmpint (cd_calendar_get_day_minutes (business), ==, 540);
  g_assert_cmpint (cd_calendar_get_open_minute (business), ==, 8 * 60 + 30);
  g_assert_cmpint (cd_calendar_get_close_minute (business), ==, 17 * 60 + 30);
  g_assert_cmpuint (cd_calendar_get_weekdays (business), ==, CD_WEEKDAYS_MONDAY_TO_FRIDAY);
  g_assert_cmpint (g_time_zone_get_offset (cd_calendar_get_time_zone (business), 0), ==, 8 * 3600);
  set_date (&date, 2025, 10, 1);
  g_assert_false (cd_calendar_is_working_day (business, &date));
  set_date (&date, 2025, 9, 28);
  g_assert_true (cd_calendar_is_working_day (business, &date));
  g_assert_nonnull (always);
  g_assert_cmpint (cd_calendar_get_kind (always), ==, CD_CALENDAR_KIND_ALWAYS);
}

/* Every category x urgency x area class resolves, and every row of the
 * shipped file can be applied with its calendar. */
static void
test_policy_every_combination (void)
{
  g_autoptr(CdSlaPolicySet) set = load_default_set ();
  GPtrArray *rows = cd_sla_policy_set_get_policies (set);

  for (guint c = 0; c < CD_N_CATEGORIES; c++)
    for (guint u = 0; u < CD_N_URGENCIES; u++)
      for (guint a = 0; a < CD_N_AREA_CLASSES; a++)
        {
          CdSlaPolicy *p = cd_sla_policy_set_lookup (set, c, u, a);

          g_assert_nonnull (p);
          g_assert_cmpint (p->category, ==, c);
          g_assert_cmpint (p->urgency, ==, u);
          g_assert_true (p->area_class == a || p->area_class == CD_AREA_CLASS_URBAN);
        }

  g_assert_cmpuint (rows->len, >=, CD_N_CATEGORIES * CD_N_URGENCIES);
  for (guint i = 0; i < rows->len; i++)
    {
      CdSlaPolicy *p = g_ptr_array_index (rows, i);
      CdCalendar *calendar = cd_sla_policy_set_get_calendar (set, p->calendar);
      g_autoptr(CdTicket) ticket = cd_ticket_new ();

      ticket->created_at = T ("2025-03-03T10:00");
      cd_sla_apply_policy (ticket, p, calendar);
      g_assert_cmpint (ticket->due_first_response != 0, ==, p->first_response_min != 0);
      g_assert_cmpint (ticket->due_on_site != 0, ==, p->on_site_min != 0);
      g_assert_cmpint (ticket->due_resolved != 0, ==, p->resolved_min != 0);
    }
}

static void
test_policy_callback_due (void)
{
  g_autoptr(CdSlaPolicySet) set = load_default_set ();
  g_autoptr(CdTicket) ticket = cd_ticket_new ();

  ticket->created_at = T ("2025-03-03T10:00");
  g_assert_cmpint (cd_sla_policy_set_callback_due (set, ticket), ==, 0);
  ticket->resolved_at = T ("2025-03-07T15:00");
  assert_time (cd_sla_policy_set_callback_due (set, ticket), "2025-03-08T15:00");
}

#define ROW(n, cat, urg, area, extra) \
  "{\"id\": \"00000000-0000-4000-8000-00000000000" #n "\", \"category\": \"" cat "\", " \
  "\"urgency\": \"" urg "\", \"area_class\": \"" area "\"" extra "}"

#define CALENDARS \
  "{\"always\": {}, \"business-hours\": {\"time_zone\": \"+08:00\", " \
  "\"weekdays\": [\"monday\", \"friday\"], \"open\": \"08:30\", \"close\": \"17:30\"}}"

#define DOCUMENT(share, calendars, rows, fallback) \
  "{\"format_version\": 1, \"warning_share\": " share ", \"callback_due_min\": 60, " \
  "\"calendars\": " calendars ", \"policies\": [" rows "], \"fallback\": " fallback "}"

#define FALLBACK_INQUIRY "{\"category\": \"inquiry\", \"urgency\": \"normal\", \"area_class\": \"urban\"}"

static void
test_policy_fallbacks (void)
{
  static const char document[] = DOCUMENT ("0.2", CALENDARS,
    ROW (1, "no-heat", "urgent", "urban", ", \"first_response_min\": 30, \"on_site_min\": 120") ", "
    ROW (2, "no-heat", "urgent", "rural", ", \"first_response_min\": 30, \"on_site_min\": 150") ", "
    ROW (3, "no-heat", "normal", "urban", ", \"first_response_min\": 120, \"warning_share\": 0.5") ", "
    ROW (4, "meter", "normal", "urban", ", \"first_response_min\": 120") ", "
    ROW (5, "meter", "emergency", "urban", ", \"first_response_min\": 10") ", "
    ROW (6, "leak", "emergency", "urban", ", \"first_response_min\": 10") ", "
    ROW (7, "inquiry", "normal", "urban", ", \"first_response_min\": 240, \"calendar\": \"business-hours\""),
    FALLBACK_INQUIRY);
  static const struct {
    const char  *description;
    CdCategory   category;
    CdUrgency    urgency;
    CdAreaClass  area_class;
    guint        expected_row;
  } cases[] = {
    { "exact rural row", CD_CATEGORY_NO_HEAT, CD_URGENCY_URGENT, CD_AREA_CLASS_RURAL, 2 },
    { "exact urban row", CD_CATEGORY_NO_HEAT, CD_URGENCY_URGENT, CD_AREA_CLASS_URBAN, 1 },
    { "missing area class: urban of the same urgency", CD_CATEGORY_NO_HEAT, CD_URGENCY_URGENT, CD_AREA_CLASS_REMOTE, 1 },
    { "missing urgency: nearest urgency, same area", CD_CATEGORY_NO_HEAT, CD_URGENCY_EMERGENCY, CD_AREA_CLASS_RURAL, 2 },
    { "missing urgency: nearest urgency, urban", CD_CATEGORY_NO_HEAT, CD_URGENCY_EMERGENCY, CD_AREA_CLASS_REMOTE, 1 },
    { "a tie goes to the more urgent row", CD_CATEGORY_METER, CD_URGENCY_URGENT, CD_AREA_CLASS_URBAN, 5 },
    { "two urgencies away", CD_CATEGORY_LEAK, CD_URGENCY_NORMAL, CD_AREA_CLASS_REMOTE, 6 },
    { "category without rows: the fallback row", CD_CATEGORY_BILLING, CD_URGENCY_NORMAL, CD_AREA_CLASS_URBAN, 7 },
    { "another category without rows", CD_CATEGORY_COMPLAINT, CD_URGENCY_EMERGENCY, CD_AREA_CLASS_REMOTE, 7 },
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(CdSlaPolicySet) set = cd_sla_policy_set_new_from_data (document, -1, "fallbacks.json", &error);

  g_assert_no_error (error);
  g_assert_nonnull (set);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      CdSlaPolicy *p = cd_sla_policy_set_lookup (set, cases[i].category, cases[i].urgency, cases[i].area_class);
      g_autofree char *expected_id = g_strdup_printf ("00000000-0000-4000-8000-00000000000%u", cases[i].expected_row);

      g_test_message ("%s", cases[i].description);
      g_assert_nonnull (p);
      g_assert_cmpstr (CD_RECORD (p)->id, ==, expected_id);
    }

  /* The file-wide warning share fills rows that do not set one. */
  g_assert_cmpfloat (cd_sla_policy_set_lookup (set, CD_CATEGORY_NO_HEAT, CD_URGENCY_URGENT,
                                               CD_AREA_CLASS_URBAN)->warning_share, ==, 0.2);
  g_assert_cmpfloat (cd_sla_policy_set_lookup (set, CD_CATEGORY_NO_HEAT, CD_URGENCY_NORMAL,
                                               CD_AREA_CLASS_URBAN)->warning_share, ==, 0.5);
  g_assert_cmpint (cd_sla_policy_set_get_callback_due_min (set), ==, 60);
  g_assert_cmpstr (cd_sla_policy_set_get_source (set), ==, "fallbacks.json");
}

#define GOOD_ROWS \
  ROW (1, "inquiry", "normal", "urban", ", \"first_response_min\": 240, \"calendar\": \"business-hours\"") ", " \
  ROW (2, "leak", "emergency", "urban", ", \"first_response_min\": 10, \"on_site_min\": 45")

#define BH(members) \
  "{\"always\": {}, \"business-hours\": {\"time_zone\": \"+08:00\", \"weekdays\": [\"monday\"], " members "}}"

static void
test_policy_bad_files (void)
{
  static const struct {
    const char *description;
    const char *contents;
    CdSlaError  code;
    const char *fragment;
  } cases[] = {
    { "the good document loads", DOCUMENT ("0.25", CALENDARS, GOOD_ROWS, FALLBACK_INQUIRY), 0, NULL },
    { "not JSON", "{\"format_version\": 1,", CD_SLA_ERROR_INVALID_POLICY, "not valid JSON" },
    { "empty", "", CD_SLA_ERROR_INVALID_POLICY, "empty" },
    { "not an object", "[]", CD_SLA_ERROR_INVALID_POLICY, "must be a JSON object" },
    { "unknown top-level member",
      "{\"format_version\": 1, \"warning_shar\": 0.3}", CD_SLA_ERROR_INVALID_POLICY, "warning_shar" },
    { "wrong format version",
      "{\"format_version\": 2}", CD_SLA_ERROR_INVALID_POLICY, "format_version" },
    { "warning share out of range",
      DOCUMENT ("1.5", CALENDARS, GOOD_ROWS, FALLBACK_INQUIRY), CD_SLA_ERROR_INVALID_POLICY, "warning_share" },
    { "missing policies",
      "{\"format_version\": 1, \"warning_share\": 0.25, \"callback_due_min\": 60, \"calendars\": " CALENDARS "}",
      CD_SLA_ERROR_INVALID_POLICY, "“policies” is missing" },
    { "a row with an unknown member",
      DOCUMENT ("0.25", CALENDARS, GOOD_ROWS ", " ROW (3, "meter", "normal", "urban", ", \"first_response_mins\": 120"),
                FALLBACK_INQUIRY),
      CD_SLA_ERROR_INVALID_POLICY, "policies[2] is not a valid policy row: Field “first_response_mins”" },
    { "a row with an unknown category",
      DOCUMENT ("0.25", CALENDARS, GOOD_ROWS ", " ROW (3, "gas-leak", "normal", "urban", ""), FALLBACK_INQUIRY),
      CD_SLA_ERROR_INVALID_POLICY, "gas-leak" },
    { "a row without an id",
      DOCUMENT ("0.25", CALENDARS, GOOD_ROWS ", {\"category\": \"meter\", \"urgency\": \"normal\", \"area_class\": \"urban\"}",
                FALLBACK_INQUIRY),
      CD_SLA_ERROR_INVALID_POLICY, "policies[2] is not a valid policy row: Field “id” is required" },
    { "a negative limit",
      DOCUMENT ("0.25", CALENDARS, GOOD_ROWS ", " ROW (3, "meter", "normal", "urban", ", \"on_site_min\": -5"),
                FALLBACK_INQUIRY),
      CD_SLA_ERROR_INVALID_POLICY, "on_site_min" },
    { "a duplicate key",
      DOCUMENT ("0.25", CALENDARS, GOOD_ROWS ", " ROW (3, "leak", "emergency", "urban", ", \"first_response_min\": 5"),
                FALLBACK_INQUIRY),
      CD_SLA_ERROR_DUPLICATE_POLICY, "policies[2] repeats the key leak/emergency/urban of policies[1]" },
    { "a duplicate id",
      DOCUMENT ("0.25", CALENDARS, GOOD_ROWS ", " ROW (1, "meter", "normal", "urban", ""), FALLBACK_INQUIRY),
      CD_SLA_ERROR_DUPLICATE_POLICY, "repeats the id 00000000-0000-4000-8000-000000000001" },
    { "an unknown calendar name",
      DOCUMENT ("0.25", "{\"always\": {}, \"night-shift\": {}}", GOOD_ROWS, FALLBACK_INQUIRY),
      CD_SLA_ERROR_UNKNOWN_CALENDAR, "“night-shift”" },
    { "a row using an undefined calendar",
      DOCUMENT ("0.25", CALENDARS, GOOD_ROWS ", " ROW (3, "meter", "normal", "urban", ", \"calendar\": \"night-shift\""),
                FALLBACK_INQUIRY),
      CD_SLA_ERROR_UNKNOWN_CALENDAR, "policies[2] uses the calendar “night-shift”" },
    { "a missing calendar",
      DOCUMENT ("0.25", "{\"always\": {}}", GOOD_ROWS, FALLBACK_INQUIRY),
      CD_SLA_ERROR_UNKNOWN_CALENDAR, "“business-hours” is not defined" },
    { "settings on the 24x7 calendar",
      DOCUMENT ("0.25", "{\"always\": {\"open\": \"08:00\"}}", GOOD_ROWS, FALLBACK_INQUIRY),
      CD_SLA_ERROR_INVALID_POLICY, "calendars.always.open" },
    { "an opening time without a leading zero",
      DOCUMENT ("0.25", BH ("\"open\": \"8:30\", \"close\": \"17:30\""), GOOD_ROWS, FALLBACK_INQUIRY),
      CD_SLA_ERROR_INVALID_POLICY, "calendars.business-hours.open" },
    { "closing before opening",
      DOCUMENT ("0.25", BH ("\"open\": \"17:30\", \"close\": \"08:30\""), GOOD_ROWS, FALLBACK_INQUIRY),
      CD_SLA_ERROR_INVALID_POLICY, "closing time must come after" },
    { "an unknown time zone",
      DOCUMENT ("0.25", "{\"always\": {}, \"business-hours\": {\"time_zone\": \"Mars/Olympus\", "
                "\"weekdays\": [\"monday\"], \"open\": \"08:30\", \"close\": \"17:30\"}}", GOOD_ROWS, FALLBACK_INQUIRY),
      CD_SLA_ERROR_INVALID_POLICY, "Mars/Olympus" },
    { "an unknown weekday",
      DOCUMENT ("0.25", "{\"always\": {}, \"business-hours\": {\"time_zone\": \"+08:00\", "
                "\"weekdays\": [\"funday\"], \"open\": \"08:30\", \"close\": \"17:30\"}}", GOOD_ROWS, FALLBACK_INQUIRY),
      CD_SLA_ERROR_INVALID_POLICY, "funday" },
    { "an impossible holiday",
      DOCUMENT ("0.25", BH ("\"open\": \"08:30\", \"close\": \"17:30\", \"holidays\": [\"2025-02-30\"]"),
                GOOD_ROWS, FALLBACK_INQUIRY),
      CD_SLA_ERROR_INVALID_POLICY, "holidays[0]" },
    { "a date both holiday and working day",
      DOCUMENT ("0.25", BH ("\"open\": \"08:30\", \"close\": \"17:30\", \"holidays\": [\"2025-10-01\"], "
                            "\"working_days\": [\"2025-10-01\"]"),
                GOOD_ROWS, FALLBACK_INQUIRY),
      CD_SLA_ERROR_INVALID_POLICY, "2025-10-01 is listed both" },
    { "a fallback naming no row",
      DOCUMENT ("0.25", CALENDARS, GOOD_ROWS,
                "{\"category\": \"complaint\", \"urgency\": \"urgent\", \"area_class\": \"urban\"}"),
      CD_SLA_ERROR_INVALID_POLICY, "complaint/urgent/urban" },
    { "no callback time",
      "{\"format_version\": 1, \"warning_share\": 0.25, \"callback_due_min\": 0}",
      CD_SLA_ERROR_INVALID_POLICY, "callback_due_min" },
  };
  g_autoptr(GError) dir_error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("test-sla-XXXXXX", &dir_error);

  g_assert_no_error (dir_error);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *name = g_strdup_printf ("bad-%02u.json", i);
      g_autofree char *path = write_file (dir, name, cases[i].contents);
      g_autoptr(GError) error = NULL;
      g_autoptr(CdSlaPolicySet) set = NULL;

      g_test_message ("%s", cases[i].description);
      set = cd_sla_policy_set_new_from_file (path, &error);

      if (cases[i].fragment == NULL)
        {
          g_assert_no_error (error);
          g_assert_nonnull (set);
          continue;
        }

      g_assert_null (set);
      g_assert_error (error, CD_SLA_ERROR, (gint) cases[i].code);
      g_assert_nonnull (strstr (error->message, path));
      if (strstr (error->message, cases[i].fragment) == NULL)
        g_error ("“%s” lacks “%s”", error->message, cases[i].fragment);
    }

  remove_dir (dir);
}

static void
test_policy_default_path (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *saved = g_strdup (g_getenv ("CREWDESK_DATADIR"));
  g_autofree char *dir = g_dir_make_tmp ("test-sla-XXXXXX", &error);
  g_autofree char *shipped = NULL;
  g_autofree char *custom = NULL;
  g_autofree char *installed = NULL;
  g_autofree char *uninstalled = NULL;
  g_autoptr(CdSlaPolicySet) set = NULL;

  g_assert_no_error (error);
  if (saved == NULL)
    {
      g_test_skip ("CREWDESK_DATADIR is not set; run through meson test");
      remove_dir (dir);
      return;
    }

  /* meson points CREWDESK_DATADIR at the source tree's data/. */
  shipped = g_build_filename (saved, "sla-policy.json", NULL);
  set = cd_sla_policy_set_new_default (&error);
  g_assert_no_error (error);
  g_assert_cmpstr (cd_sla_policy_set_get_source (set), ==, shipped);
  g_clear_object (&set);

  /* The variable wins over the installed and source copies. */
  custom = write_file (dir, "sla-policy.json", DOCUMENT ("0.25", CALENDARS, GOOD_ROWS, FALLBACK_INQUIRY));
  g_setenv ("CREWDESK_DATADIR", dir, TRUE);
  set = cd_sla_policy_set_new_default (&error);
  g_assert_no_error (error);
  g_assert_cmpstr (cd_sla_policy_set_get_source (set), ==, custom);
  g_assert_cmpint (cd_sla_policy_set_get_callback_due_min (set), ==, 60);
  g_clear_object (&set);

  /* A folder without the file is an error naming it, not a silent
   * fallback to another policy. */
  g_assert_cmpint (g_remove (custom), ==, 0);
  set = cd_sla_policy_set_new_default (&error);
  g_assert_null (set);
  g_assert_error (error, CD_SLA_ERROR, CD_SLA_ERROR_READ_FAILED);
  g_assert_nonnull (strstr (error->message, custom));
  g_clear_object (&set);

  /* Without the variable: the installed copy, else the source tree's. */
  g_clear_error (&error);
  g_unsetenv ("CREWDESK_DATADIR");
  installed = g_build_filename (PKGDATADIR, "sla-policy.json", NULL);
  uninstalled = g_build_filename (SRCDATADIR, "sla-policy.json", NULL);
  set = cd_sla_policy_set_new_default (&error);
  g_assert_no_error (error);
  g_assert_cmpstr (cd_sla_policy_set_get_source (set), ==,
                   g_file_test (installed, G_FILE_TEST_EXISTS) ? installed : uninstalled);

  g_setenv ("CREWDESK_DATADIR", saved, TRUE);
  remove_dir (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  cd_model_init ();

  g_test_add_func ("/calendar/add", test_calendar_add);
  g_test_add_func ("/calendar/count", test_calendar_count);
  g_test_add_func ("/calendar/round-trip", test_calendar_round_trip);
  g_test_add_func ("/calendar/days", test_calendar_days);
  g_test_add_func ("/calendar/next-working-time", test_calendar_next_working_time);
  g_test_add_func ("/sla/apply", test_sla_apply);
  g_test_add_func ("/sla/notify", test_sla_notify);
  g_test_add_func ("/sla/pauses", test_sla_pauses);
  g_test_add_func ("/sla/pause-errors", test_sla_pause_errors);
  g_test_add_func ("/sla/too-many-pauses", test_sla_too_many_pauses);
  g_test_add_func ("/sla/evaluate", test_sla_evaluate);
  g_test_add_func ("/sla/pause-freezes", test_sla_pause_freezes);
  g_test_add_func ("/sla/wire-pauses", test_sla_wire_pauses);
  g_test_add_func ("/sla/next-deadline", test_sla_next_deadline);
  g_test_add_func ("/policy/defaults", test_policy_defaults);
  g_test_add_func ("/policy/every-combination", test_policy_every_combination);
  g_test_add_func ("/policy/callback-due", test_policy_callback_due);
  g_test_add_func ("/policy/fallbacks", test_policy_fallbacks);
  g_test_add_func ("/policy/bad-files", test_policy_bad_files);
  g_test_add_func ("/policy/default-path", test_policy_default_path);

  return g_test_run ();
}
