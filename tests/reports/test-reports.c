/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-reports.c: the Reports view over a CdContext on a real cache (a
 * temporary SQLite file filled through its store) with tickets whose
 * outcomes are known, their callbacks and assignment events (one an
 * override). The summary shows the expected figures; filters and a reload
 * change them; the CSV export is cd_report's CSV; printing to a PDF file
 * gives a PDF. Runs under xvfb-run and writes screenshots (light and
 * dark) into the build directory. */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "cd-test-ui.h"
#include "cd-context.h"
#include "cd-model.h"
#include "cd-reports-private.h"
#include "cd-store.h"

enum { NORTH, SOUTH, POWER, N_CREWS };

typedef struct {
  char          *dir;
  CdSyncCache   *cache;
  CdSyncEngine  *engine;
  CdContext     *context;
  CdSlaPolicySet *policies;
  GtkWindow     *window;
  CdReportsView *view;
  guint          updates;
  char          *crew[N_CREWS];
  gint64         now;
} Fixture;

/* Main loop ------------------------------------------------------------------ */

static void
updated_cb (CdReportsView *view,
            Fixture       *f)
{
  f->updates++;
}

/* Until the view shows a report newer than the last one seen, and no
 * other is on its way. */
static void
wait_updated (Fixture *f)
{
  guint seen = f->updates;

  while (f->updates == seen || cd_reports_view_get_busy (f->view))
    g_main_context_iteration (NULL, TRUE);
}

/* The cache ------------------------------------------------------------------- */

static void
save (CdStore  *store,
      gpointer  record)
{
  g_autoptr(GError) error = NULL;

  CD_RECORD (record)->version = 1;
  CD_RECORD (record)->rev = 1;
  g_assert_true (cd_store_save (store, CD_RECORD (record), &error));
  g_assert_no_error (error);
}

static char *
save_crew (CdStore    *store,
           const char *name,
           CdUtility   utility,
           gint64      now)
{
  g_autoptr(CdCrew) crew = cd_crew_new ();
  char *id = g_uuid_string_random ();

  cd_record_set_id (CD_RECORD (crew), id);
  crew->name = g_strdup (name);
  crew->utility = utility;
  crew->status = CD_CREW_STATUS_AVAILABLE;
  crew->capacity = 3;
  crew->shift_start = now - 3600;
  crew->shift_end = now + 10 * 3600;
  crew->lat = 45.75;
  crew->lon = 126.65;
  crew->updated_at = now;
  save (store, crew);
  return id;
}

/* A ticket created @ago seconds before now, its milestones @fr, @os, @res
 * minutes after creation (0: not reached). Returns its id. */
static char *
save_ticket (Fixture    *f,
             CdStore    *store,
             CdCategory  category,
             CdUrgency   urgency,
             const char *area,
             guint       crew,
             gint64      ago,
             gint64      fr,
             gint64      os,
             gint64      res,
             const char *duplicate_of)
{
  g_autoptr(CdTicket) t = cd_ticket_new ();
  char *id = g_uuid_string_random ();
  g_autofree char *number = g_strdup_printf ("HT-%04u", g_random_int_range (1, 9999));
  CdSlaPolicy *policy;

  cd_record_set_id (CD_RECORD (t), id);
  t->number = g_steal_pointer (&number);
  t->channel = CD_CHANNEL_HOTLINE;
  t->category = category;
  t->urgency = urgency;
  if (!cd_category_get_utility (category, &t->utility))
    t->utility = CD_UTILITY_HEAT;
  t->customer_name = g_strdup ("Wang Fang");
  t->customer_phone = g_strdup ("+86 451 5555 0101");
  t->customer_account = g_uuid_string_random ();
  t->address = g_strdup ("12 Elm Road");
  t->area = g_strdup (area);
  t->area_class = CD_AREA_CLASS_URBAN;
  t->owner = g_strdup ("d1");
  t->crew_id = crew < N_CREWS ? g_strdup (f->crew[crew]) : NULL;
  t->assignment_source = crew < N_CREWS ? CD_ASSIGNMENT_SOURCE_AUTO : CD_ASSIGNMENT_SOURCE_NONE;
  t->created_at = f->now - ago;
  t->updated_at = f->now;
  policy = cd_sla_policy_set_lookup (f->policies, category, urgency, CD_AREA_CLASS_URBAN);
  g_assert_nonnull (policy);
  cd_sla_apply_policy (t, policy, cd_sla_policy_set_get_calendar (f->policies, policy->calendar));
  t->first_response_at = fr > 0 ? t->created_at + fr * 60 : 0;
  t->on_site_at = os > 0 ? t->created_at + os * 60 : 0;
  t->resolved_at = res > 0 ? t->created_at + res * 60 : 0;
  if (duplicate_of != NULL)
    {
      t->duplicate_of = g_strdup (duplicate_of);
      t->status = CD_TICKET_STATUS_DUPLICATE;
    }
  else if (res > 0)
    t->status = CD_TICKET_STATUS_CLOSED;
  else
    t->status = crew < N_CREWS ? CD_TICKET_STATUS_ON_SITE : CD_TICKET_STATUS_NEW;
  if (t->status == CD_TICKET_STATUS_CLOSED)
    t->closed_at = t->resolved_at;
  save (store, t);
  return id;
}

static void
save_callback (Fixture        *f,
               CdStore        *store,
               const char     *ticket_id,
               CdSatisfaction  satisfaction,
               gboolean        second_handling)
{
  g_autoptr(CdCallback) callback = cd_callback_new ();
  g_autofree char *id = g_uuid_string_random ();

  cd_record_set_id (CD_RECORD (callback), id);
  callback->ticket_id = g_strdup (ticket_id);
  callback->due_at = f->now;
  callback->satisfaction = satisfaction;
  callback->solved = !second_handling;
  callback->completed_at = f->now - 3600;
  callback->status = second_handling ? CD_CALLBACK_STATUS_SECOND_HANDLING : CD_CALLBACK_STATUS_DONE;
  if (second_handling)
    callback->second_opened_at = f->now - 3600;
  save (store, callback);
}

static void
save_event (Fixture            *f,
            CdStore            *store,
            const char         *ticket_id,
            CdAssignmentSource  source,
            guint               to,
            gint                proposed)
{
  g_autoptr(CdAssignmentEvent) event = cd_assignment_event_new ();
  g_autofree char *id = g_uuid_string_random ();

  cd_record_set_id (CD_RECORD (event), id);
  event->ticket_id = g_strdup (ticket_id);
  event->to_crew = g_strdup (f->crew[to]);
  event->actor = g_strdup (source == CD_ASSIGNMENT_SOURCE_AUTO ? "auto-dispatch" : "d1");
  event->at = f->now - 20 * 3600;
  event->source = source;
  event->proposed_crew = proposed >= 0 ? g_strdup (f->crew[proposed]) : NULL;
  event->reason = source == CD_ASSIGNMENT_SOURCE_MANUAL ? g_strdup ("crew-nearby: at the substation") : NULL;
  save (store, event);
}

/* Every figure by hand (minutes after creation; limits 30/120/480 for
 * urgent, 10/45/240 for emergencies, 120/1440/4320 for normal):
 *   A no heat, urgent, North: 10, 60, 200 → 3 of 3; satisfied
 *   B no heat, urgent, South: 40 (late), 100, 300 → 2 of 3; unsatisfied,
 *     second handling; overridden (proposed North)
 *   C leak, emergency, North: 5, 50 (late), 200 → 2 of 3; neutral
 *   D power outage, emergency, Power East: 8, 40, 180 → 3 of 3; satisfied
 *   E meter, normal, South: 60, 600, still open → 2 of 2 (resolution
 *     not yet due)
 *   G a repeat report of A (counted, nothing else)
 * Compliance 12 of 14 = 85.7%; power only: D, 100.0%; leak only: 66.7%;
 * South only: B and E, 4 of 5 = 80.0%. Satisfaction 2 of 4 = 50.0%.
 * First-time fix: of A–D resolved, A was reported again (G) and B went
 * to second handling: 2 of 4 = 50.0%. */
static void
fill_cache (Fixture *f,
            CdStore *store)
{
  g_autofree char *a = NULL, *b = NULL, *c = NULL, *d = NULL, *e = NULL, *g = NULL;

  f->crew[NORTH] = save_crew (store, "Heat North", CD_UTILITY_HEAT, f->now);
  f->crew[SOUTH] = save_crew (store, "Heat South", CD_UTILITY_HEAT, f->now);
  f->crew[POWER] = save_crew (store, "Power East", CD_UTILITY_POWER, f->now);

  a = save_ticket (f, store, CD_CATEGORY_NO_HEAT, CD_URGENCY_URGENT, "eastbank", NORTH, 30 * 3600, 10, 60, 200, NULL);
  b = save_ticket (f, store, CD_CATEGORY_NO_HEAT, CD_URGENCY_URGENT, "old-town", SOUTH, 29 * 3600, 40, 100, 300, NULL);
  c = save_ticket (f, store, CD_CATEGORY_LEAK, CD_URGENCY_EMERGENCY, "eastbank", NORTH, 28 * 3600, 5, 50, 200, NULL);
  d = save_ticket (f, store, CD_CATEGORY_POWER_OUTAGE, CD_URGENCY_EMERGENCY, "ironworks", POWER, 27 * 3600, 8, 40, 180,
                   NULL);
  e = save_ticket (f, store, CD_CATEGORY_METER, CD_URGENCY_NORMAL, "old-town", SOUTH, 26 * 3600, 60, 600, 0, NULL);
  g = save_ticket (f, store, CD_CATEGORY_NO_HEAT, CD_URGENCY_URGENT, "eastbank", NORTH, 20 * 3600, 0, 0, 0, a);

  save_callback (f, store, a, CD_SATISFACTION_SATISFIED, FALSE);
  save_callback (f, store, b, CD_SATISFACTION_UNSATISFIED, TRUE);
  save_callback (f, store, c, CD_SATISFACTION_NEUTRAL, FALSE);
  save_callback (f, store, d, CD_SATISFACTION_SATISFIED, FALSE);

  save_event (f, store, a, CD_ASSIGNMENT_SOURCE_AUTO, NORTH, -1);
  save_event (f, store, b, CD_ASSIGNMENT_SOURCE_MANUAL, SOUTH, NORTH);
  save_event (f, store, c, CD_ASSIGNMENT_SOURCE_AUTO, NORTH, -1);
  save_event (f, store, d, CD_ASSIGNMENT_SOURCE_AUTO, POWER, -1);
  save_event (f, store, e, CD_ASSIGNMENT_SOURCE_AUTO, SOUTH, -1);
}

/* A month of a busier dispatch room, for the pictures: every outcome
 * drawn from a fixed seed. */
static void
fill_cache_busy (Fixture *f,
                 CdStore *store)
{
  static const CdCategory categories[] = {
    CD_CATEGORY_NO_HEAT, CD_CATEGORY_LEAK, CD_CATEGORY_BURST_PIPE, CD_CATEGORY_POWER_OUTAGE,
    CD_CATEGORY_NO_POWER, CD_CATEGORY_LOW_TEMPERATURE, CD_CATEGORY_VOLTAGE_QUALITY, CD_CATEGORY_METER,
  };
  static const char * const areas[] = { "eastbank", "old-town", "market", "ironworks", "northgate", "lakeside" };
  g_autoptr(GRand) rand = g_rand_new_with_seed (20251123);

  for (guint i = 0; i < 160; i++)
    {
      CdCategory category = categories[g_rand_int_range (rand, 0, G_N_ELEMENTS (categories))];
      CdUrgency urgency = category <= CD_CATEGORY_BURST_PIPE ? CD_URGENCY_EMERGENCY
                          : category <= CD_CATEGORY_NO_POWER ? CD_URGENCY_URGENT : CD_URGENCY_NORMAL;
      CdUtility utility = CD_UTILITY_HEAT;
      guint crew;
      double late = g_rand_double (rand) < 0.2 ? 1.6 : 0.6;
      gint64 fr = urgency == CD_URGENCY_EMERGENCY ? 10 : urgency == CD_URGENCY_URGENT ? 30 : 120;
      gint64 os = urgency == CD_URGENCY_EMERGENCY ? 45 : urgency == CD_URGENCY_URGENT ? 120 : 1440;
      gint64 res = urgency == CD_URGENCY_EMERGENCY ? 240 : urgency == CD_URGENCY_URGENT ? 480 : 4320;
      gint64 ago = 3600 + (gint64) g_rand_int_range (rand, 0, 29 * 24) * 3600;
      g_autofree char *id = NULL;

      if (!cd_category_get_utility (category, &utility))
        utility = CD_UTILITY_HEAT;
      crew = utility == CD_UTILITY_POWER ? POWER : g_rand_boolean (rand) ? NORTH : SOUTH;
      /* Nothing resolved in the future. */
      if (res * 60 * late >= ago)
        late = 0.3;
      id = save_ticket (f, store, category, urgency, areas[g_rand_int_range (rand, 0, G_N_ELEMENTS (areas))], crew, ago,
                        (gint64) (fr * late * g_rand_double_range (rand, 0.3, 1.0)) + 1,
                        (gint64) (os * late * g_rand_double_range (rand, 0.5, 1.0)) + 1,
                        (gint64) (res * late * g_rand_double_range (rand, 0.5, 1.0)) + 1, NULL);
      save_callback (f, store, id, g_rand_int_range (rand, 1, 4), g_rand_double (rand) < 0.1);
      if (g_rand_double (rand) < 0.15)
        save_event (f, store, id, CD_ASSIGNMENT_SOURCE_MANUAL, crew, crew == NORTH ? SOUTH : NORTH);
      else
        save_event (f, store, id, CD_ASSIGNMENT_SOURCE_AUTO, crew, -1);
    }
}

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  gboolean busy = GPOINTER_TO_INT (data);
  g_autoptr(GError) error = NULL;
  g_autoptr(CdSyncClient) client = NULL;
  g_autoptr(CdUser) user = cd_user_new ();
  g_autofree char *path = NULL;
  CdStore *store;

  f->now = g_get_real_time () / G_USEC_PER_SEC;
  f->policies = cd_sla_policy_set_new_default (&error);
  g_assert_no_error (error);
  f->dir = g_dir_make_tmp ("crewdesk-reports-XXXXXX", &error);
  g_assert_no_error (error);
  path = g_build_filename (f->dir, "cache.db", NULL);
  /* Nothing listens there: the engine is never started. */
  f->cache = cd_sync_cache_open ("http://127.0.0.1:9", "m1", path, &error);
  g_assert_no_error (error);

  cd_record_set_id (CD_RECORD (user), "7d8e8e1c-54a4-4d7f-9a1e-4c4b1e0d0a02");
  user->username = g_strdup ("m1");
  user->display_name = g_strdup ("Zhao Min");
  user->role = CD_ROLE_MANAGER;
  user->active = TRUE;
  g_assert_true (cd_sync_cache_set_user (f->cache, user, &error));
  g_assert_no_error (error);

  store = cd_sync_cache_get_store (f->cache);
  cd_sync_cache_lock (f->cache);
  g_assert_true (cd_store_begin (store, &error));
  fill_cache (f, store);
  if (busy)
    fill_cache_busy (f, store);
  g_assert_true (cd_store_commit (store, &error));
  g_assert_no_error (error);
  cd_sync_cache_unlock (f->cache);

  client = cd_sync_client_new ("http://127.0.0.1:9");
  f->engine = cd_sync_engine_new (client, f->cache);
  f->context = cd_context_new (f->engine, f->policies);
  cd_context_reload (f->context);

  f->window = GTK_WINDOW (gtk_window_new ());
  gtk_window_set_default_size (f->window, 1280, 900);
  f->view = CD_REPORTS_VIEW (cd_reports_view_new (f->context));
  g_signal_connect (f->view, "updated", G_CALLBACK (updated_cb), f);
  gtk_window_set_child (f->window, GTK_WIDGET (f->view));
  gtk_window_present (f->window);
  wait_updated (f);
}

static void
remove_dir (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);

      g_unlink (path);
    }
  g_rmdir (dir);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  gtk_window_destroy (f->window);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_clear_object (&f->context);
  g_clear_object (&f->engine);
  g_clear_object (&f->cache);
  g_clear_object (&f->policies);
  remove_dir (f->dir);
  g_free (f->dir);
  for (guint i = 0; i < N_CREWS; i++)
    g_free (f->crew[i]);
}

/* Helpers ----------------------------------------------------------------------- */

static void
select_and_wait (Fixture    *f,
                 const char *choice,
                 const char *value)
{
  g_assert_true (_cd_reports_view_select (f->view, choice, value));
  wait_updated (f);
}

static GPtrArray *
list_all (Fixture *f,
          GType    type)
{
  g_autoptr(GError) error = NULL;
  GPtrArray *records = cd_sync_cache_list_all (f->cache, type, &error);

  g_assert_no_error (error);
  return records;
}

/* The report the view should show: cd_report over the cache's records,
 * for the view's filter and moment. */
static CdReport *
expected_report (Fixture *f)
{
  g_autoptr(GPtrArray) tickets = list_all (f, CD_TYPE_TICKET);
  g_autoptr(GPtrArray) callbacks = list_all (f, CD_TYPE_CALLBACK);
  g_autoptr(GPtrArray) events = list_all (f, CD_TYPE_ASSIGNMENT_EVENT);
  g_autoptr(GTimeZone) tz = g_time_zone_new_local ();
  const CdReportsFilter *filter = _cd_reports_view_get_filter (f->view);
  CdReportQuery query;

  g_assert_nonnull (filter);
  cd_reports_filter_to_query (filter, tz, &query);
  return cd_report_new (tickets, callbacks, events, f->policies, &query, _cd_reports_view_get_now (f->view));
}

static void
exported_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

static char *
export_csv (Fixture    *f,
            gint        by,
            const char *name)
{
  g_autofree char *path = g_build_filename (f->dir, name, NULL);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  char *contents = NULL;

  cd_reports_view_export_csv_async (f->view, file, by, NULL, exported_cb, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (cd_reports_view_export_csv_finish (f->view, result, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (path, &contents, NULL, &error));
  g_assert_no_error (error);
  return contents;
}

/* Tests ----------------------------------------------------------------------- */

static void
test_summary (Fixture       *f,
              gconstpointer  data)
{
  /* Six tickets in the last seven days, the repeat report among them. */
  g_assert_cmpuint (_cd_reports_view_get_n_tickets (f->view), ==, 6);
  g_assert_cmpstr (cd_reports_view_get_figure (f->view, "compliance"), ==, "85.7%");
  g_assert_cmpstr (cd_reports_view_get_figure (f->view, "first-time-fix"), ==, "50.0%");
  g_assert_cmpstr (cd_reports_view_get_figure (f->view, "satisfaction"), ==, "50.0%");
  g_assert_cmpstr (cd_reports_view_get_figure (f->view, "repeats"), ==, "1");
  g_assert_cmpstr (cd_reports_view_get_figure (f->view, "overrides"), ==, "1");
  /* Response: 10, 40, 5, 8, 60 min → mean 24.6 min. */
  g_assert_cmpstr (cd_reports_view_get_figure (f->view, "response"), ==, "25 min");
  g_assert_null (cd_reports_view_get_figure (f->view, "no-such-figure"));
}

static void
test_filters (Fixture       *f,
              gconstpointer  data)
{
  select_and_wait (f, "utility", "power");
  g_assert_cmpstr (cd_reports_view_get_figure (f->view, "compliance"), ==, "100.0%");
  g_assert_cmpuint (_cd_reports_view_get_n_tickets (f->view), ==, 1);
  /* The categories of power only, meters (both utilities) included. */
  g_assert_false (_cd_reports_view_select (f->view, "category", "leak"));
  g_assert_true (_cd_reports_view_select (f->view, "category", "meter"));
  wait_updated (f);
  g_assert_cmpstr (cd_reports_view_get_figure (f->view, "compliance"), ==, "no data");

  select_and_wait (f, "utility", NULL);
  select_and_wait (f, "category", "leak");
  g_assert_cmpstr (cd_reports_view_get_figure (f->view, "compliance"), ==, "66.7%");

  select_and_wait (f, "category", NULL);
  select_and_wait (f, "crew", f->crew[SOUTH]);
  g_assert_cmpstr (cd_reports_view_get_figure (f->view, "compliance"), ==, "80.0%");
  g_assert_cmpstr (cd_reports_view_get_figure (f->view, "overrides"), ==, "1");

  /* Nobody's tickets: none. */
  select_and_wait (f, "crew", "");
  g_assert_cmpuint (_cd_reports_view_get_n_tickets (f->view), ==, 0);
  g_assert_cmpstr (cd_reports_view_get_figure (f->view, "compliance"), ==, "no data");
  cd_test_ui_save_screenshot (GTK_WIDGET (f->window), "reports-empty");

  select_and_wait (f, "crew", NULL);
  select_and_wait (f, "area", "eastbank");
  /* A, C and the repeat G: 5 of 6. */
  g_assert_cmpuint (_cd_reports_view_get_n_tickets (f->view), ==, 3);
  g_assert_cmpstr (cd_reports_view_get_figure (f->view, "compliance"), ==, "83.3%");
}

static void
test_range (Fixture       *f,
            gconstpointer  data)
{
  g_autoptr(GTimeZone) tz = g_time_zone_new_local ();
  const CdReportsFilter *filter;
  GDate first, last;

  _cd_reports_view_set_range (f->view, CD_REPORTS_RANGE_LAST_30_DAYS);
  wait_updated (f);
  filter = _cd_reports_view_get_filter (f->view);
  g_assert_true (cd_reports_range_days (CD_REPORTS_RANGE_LAST_30_DAYS, tz, _cd_reports_view_get_now (f->view),
                                        &first, &last));
  g_assert_cmpint (g_date_compare (&filter->first, &first), ==, 0);
  g_assert_cmpint (g_date_compare (&filter->last, &last), ==, 0);
  g_assert_cmpuint (_cd_reports_view_get_n_tickets (f->view), ==, 6);
}

/* @days_ago days before today, local. */
static void
pick_day (Fixture *f,
          gboolean first,
          int      days_ago)
{
  g_autoptr(GDateTime) now = g_date_time_new_from_unix_local (_cd_reports_view_get_now (f->view));
  g_autoptr(GDateTime) noon = g_date_time_new_local (g_date_time_get_year (now), g_date_time_get_month (now),
                                                     g_date_time_get_day_of_month (now), 12, 0, 0);
  g_autoptr(GDateTime) day = g_date_time_add_days (noon, -days_ago);

  GtkCalendar *calendar = _cd_reports_view_get_calendar (f->view, first);

  /* As a click on the day does, then closing the popover: GtkCalendar
   * says nothing when the new day has the old one's number. */
  gtk_calendar_select_day (calendar, day);
  g_signal_emit_by_name (gtk_widget_get_ancestor (GTK_WIDGET (calendar), GTK_TYPE_POPOVER), "closed");
}

static void
assert_days_ago (Fixture     *f,
                 const GDate *date,
                 int          days_ago)
{
  g_autoptr(GTimeZone) tz = g_time_zone_new_local ();
  GDate today, unused;

  g_assert_true (cd_reports_range_days (CD_REPORTS_RANGE_TODAY, tz, _cd_reports_view_get_now (f->view), &today,
                                        &unused));
  g_date_subtract_days (&today, days_ago);
  g_assert_cmpint (g_date_compare (date, &today), ==, 0);
}

static void
test_calendar (Fixture       *f,
               gconstpointer  data)
{
  const CdReportsFilter *filter;

  /* Sixty days back to today: a custom range with every ticket. */
  pick_day (f, TRUE, 60);
  wait_updated (f);
  filter = _cd_reports_view_get_filter (f->view);
  g_assert_cmpint (_cd_reports_view_get_range (f->view), ==, CD_REPORTS_RANGE_CUSTOM);
  assert_days_ago (f, &filter->first, 60);
  assert_days_ago (f, &filter->last, 0);
  g_assert_cmpuint (_cd_reports_view_get_n_tickets (f->view), ==, 6);

  /* A last day before the first: the first follows. No ticket then. */
  pick_day (f, FALSE, 61);
  wait_updated (f);
  filter = _cd_reports_view_get_filter (f->view);
  assert_days_ago (f, &filter->first, 61);
  assert_days_ago (f, &filter->last, 61);
  g_assert_cmpuint (_cd_reports_view_get_n_tickets (f->view), ==, 0);
  g_assert_cmpstr (cd_reports_view_get_figure (f->view, "compliance"), ==, "no data");

  /* Back to a preset. */
  _cd_reports_view_set_range (f->view, CD_REPORTS_RANGE_LAST_7_DAYS);
  wait_updated (f);
  filter = _cd_reports_view_get_filter (f->view);
  assert_days_ago (f, &filter->first, 6);
  g_assert_cmpuint (_cd_reports_view_get_n_tickets (f->view), ==, 6);
}

static void
test_reload (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *id = NULL;
  CdStore *store = cd_sync_cache_get_store (f->cache);

  /* A ticket that missed all three: 12 of 17 = 70.6%. */
  cd_sync_cache_lock (f->cache);
  g_assert_true (cd_store_begin (store, &error));
  id = save_ticket (f, store, CD_CATEGORY_NO_HEAT, CD_URGENCY_URGENT, "market", NORTH, 10 * 3600, 50, 200, 600, NULL);
  g_assert_true (cd_store_commit (store, &error));
  cd_sync_cache_unlock (f->cache);
  g_assert_no_error (error);

  cd_context_reload (f->context);
  wait_updated (f);
  g_assert_cmpuint (_cd_reports_view_get_n_tickets (f->view), ==, 7);
  g_assert_cmpstr (cd_reports_view_get_figure (f->view, "compliance"), ==, "70.6%");
  /* Its area joined the list. */
  g_assert_true (_cd_reports_view_select (f->view, "area", "market"));
  wait_updated (f);
  g_assert_cmpstr (cd_reports_view_get_figure (f->view, "compliance"), ==, "0.0%");
}

static void
test_csv (Fixture       *f,
          gconstpointer  data)
{
  g_autoptr(CdReport) report = NULL;
  g_autoptr(GString) expected = g_string_new (NULL);
  g_autoptr(GString) expected_all = g_string_new (NULL);
  g_autofree char *csv = NULL;
  g_autofree char *all = NULL;
  CdReportTable *tables[CD_REPORT_N_BY];

  select_and_wait (f, "utility", "heat");
  report = expected_report (f);
  for (guint by = 0; by < CD_REPORT_N_BY; by++)
    tables[by] = cd_report_get_table (report, by);

  csv = export_csv (f, CD_REPORT_BY_CATEGORY, "category.csv");
  cd_report_table_to_csv (tables[CD_REPORT_BY_CATEGORY], expected);
  g_assert_cmpstr (csv, ==, expected->str);
  /* Heat's categories only: no heat and leak (meters count for both). */
  g_assert_true (g_str_has_prefix (csv, "category,tickets,"));
  g_assert_nonnull (strstr (csv, "\r\nleak,"));
  g_assert_null (strstr (csv, "power-outage"));

  all = export_csv (f, CD_REPORTS_EXPORT_ALL, "all.csv");
  cd_reports_tables_to_csv (tables, CD_REPORT_N_BY, expected_all);
  g_assert_cmpstr (all, ==, expected_all->str);

  for (guint by = 0; by < CD_REPORT_N_BY; by++)
    cd_report_table_free (tables[by]);
}

static void
test_print (Fixture       *f,
            gconstpointer  data)
{
  g_autoptr(GtkPrintOperation) operation = cd_reports_view_new_print_operation (f->view);
  g_autofree char *path = g_build_filename (f->dir, "report.pdf", NULL);
  g_autofree char *copy = g_test_build_filename (G_TEST_BUILT, "reports.pdf", NULL);
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;
  gsize length;

  g_assert_nonnull (operation);
  gtk_print_operation_set_export_filename (operation, path);
  g_assert_cmpint (gtk_print_operation_run (operation, GTK_PRINT_OPERATION_ACTION_EXPORT, f->window, &error), ==,
                   GTK_PRINT_OPERATION_RESULT_APPLY);
  g_assert_no_error (error);

  g_assert_true (g_file_get_contents (path, &contents, &length, &error));
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (contents, "%PDF-"));
  /* A page of text and charts, not an empty document. */
  g_assert_cmpuint (length, >, 8000);
  g_assert_true (g_file_set_contents (copy, contents, length, &error));
  g_test_message ("PDF: %s", copy);
}

static void
test_charts (Fixture       *f,
             gconstpointer  data)
{
  CdChart *chart = _cd_reports_view_get_chart (f->view, "category");
  CdChartData *chart_data = cd_chart_get_data (chart);
  g_autofree char *tooltip = NULL;
  char *mismatch;

  g_assert_nonnull (chart_data);
  /* Leak and no heat, power outage, meter, in the categories' order. */
  g_assert_cmpuint (chart_data->labels->len, ==, 4);
  g_assert_cmpstr (g_ptr_array_index (chart_data->labels, 0), ==, "Power outage");

  mismatch = gtk_test_accessible_check_property (GTK_ACCESSIBLE (chart), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                                 "Power outage: 100.0%. Leak: 66.7%. No heat: 83.3%. Meter: 100.0%.");
  g_assert_null (mismatch);

  /* The pointer over the first bar's row. */
  cd_test_ui_wait_for_frame (GTK_WIDGET (chart));
  tooltip = cd_chart_dup_tooltip_at (chart, gtk_widget_get_width (GTK_WIDGET (chart)) / 2.0, 8);
  g_assert_cmpstr (tooltip, ==, "Power outage\nTime-limit compliance: 100.0% (3 of 3 time limits met)");

  /* The crews' chart by name; the overrides' two series. */
  chart_data = cd_chart_get_data (_cd_reports_view_get_chart (f->view, "crew"));
  g_assert_cmpuint (chart_data->labels->len, ==, 3);
  g_assert_cmpstr (g_ptr_array_index (chart_data->labels, 0), ==, "Heat North");
  g_assert_cmpstr (g_ptr_array_index (chart_data->labels, 2), ==, "Power East");
  chart_data = cd_chart_get_data (_cd_reports_view_get_chart (f->view, "overrides"));
  g_assert_cmpuint (chart_data->series->len, ==, 2);
  g_assert_cmpfloat_with_epsilon (cd_chart_data_get_point (chart_data, 0, 0)->value, 2.0 / 3.0, 1e-9);
}

static void
test_screenshot (Fixture       *f,
                 gconstpointer  data)
{
  AdwStyleManager *style = adw_style_manager_get_default ();
  double varied;

  _cd_reports_view_set_range (f->view, CD_REPORTS_RANGE_LAST_30_DAYS);
  wait_updated (f);
  g_assert_cmpuint (_cd_reports_view_get_n_tickets (f->view), >, 100);

  varied = cd_test_ui_save_screenshot (GTK_WIDGET (f->window), "reports");
  g_assert_cmpfloat (varied, >, 0.05);

  /* The whole page, the charts and the table below the fold too. */
  _cd_reports_view_set_table_by (f->view, CD_REPORT_BY_CREW);
  varied = cd_test_ui_save_screenshot (_cd_reports_view_get_page (f->view), "reports-full");
  g_assert_cmpfloat (varied, >, 0.05);

  adw_style_manager_set_color_scheme (style, ADW_COLOR_SCHEME_FORCE_DARK);
  varied = cd_test_ui_save_screenshot (GTK_WIDGET (f->window), "reports-dark");
  g_assert_cmpfloat (varied, >, 0.05);
  varied = cd_test_ui_save_screenshot (_cd_reports_view_get_page (f->view), "reports-full-dark");
  g_assert_cmpfloat (varied, >, 0.05);
  adw_style_manager_set_color_scheme (style, ADW_COLOR_SCHEME_DEFAULT);

  /* A narrow window. */
  gtk_window_set_default_size (f->window, 760, 900);
  varied = cd_test_ui_save_screenshot (GTK_WIDGET (f->window), "reports-narrow");
  g_assert_cmpfloat (varied, >, 0.05);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  /* Accessible properties are readable in the test backend only. */
  g_setenv ("GTK_A11Y", "test", TRUE);
  gtk_init ();
  adw_init ();
  /* Screenshots show the end of transitions, not their first frame. */
  g_object_set (gtk_settings_get_default (), "gtk-enable-animations", FALSE, NULL);
  cd_model_init ();

  g_test_add ("/reports/summary", Fixture, NULL, fixture_set_up, test_summary, fixture_tear_down);
  g_test_add ("/reports/filters", Fixture, NULL, fixture_set_up, test_filters, fixture_tear_down);
  g_test_add ("/reports/range", Fixture, NULL, fixture_set_up, test_range, fixture_tear_down);
  g_test_add ("/reports/calendar", Fixture, NULL, fixture_set_up, test_calendar, fixture_tear_down);
  g_test_add ("/reports/reload", Fixture, NULL, fixture_set_up, test_reload, fixture_tear_down);
  g_test_add ("/reports/csv", Fixture, NULL, fixture_set_up, test_csv, fixture_tear_down);
  g_test_add ("/reports/print", Fixture, NULL, fixture_set_up, test_print, fixture_tear_down);
  g_test_add ("/reports/charts", Fixture, NULL, fixture_set_up, test_charts, fixture_tear_down);
  g_test_add ("/reports/screenshot", Fixture, GINT_TO_POINTER (TRUE), fixture_set_up, test_screenshot,
              fixture_tear_down);

  return g_test_run ();
}
