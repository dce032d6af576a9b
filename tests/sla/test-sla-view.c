/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-sla-view.c: the time-limits view over a CdContext on a real cache
 * (a temporary SQLite file filled through its store), offline, so every
 * change stays queued in the outbox where the test can read it. Time is
 * driven by emitting the context's ::tick with moments relative to
 * cd_context_get_now(); the tickets' deadlines are set relative to it
 * too. Runs under xvfb-run and writes screenshots into the build
 * directory. */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "cd-test-ui.h"
#include "cd-context.h"
#include "cd-model.h"
#include "cd-sla-pause-button.h"
#include "cd-sla-private.h"
#include "cd-store.h"

enum { NORTH, SOUTH, N_CREWS };
/* RED: first response overdue 5 min; AMBER: first response 5 of 30 min
 * left; GREEN: 2 min old; SOON: first response due in 4 min (of 10). */
enum { T_RED, T_AMBER, T_GREEN, T_SOON, N_TICKETS };

typedef struct {
  char            *dir;
  CdSyncCache     *cache;
  CdSyncEngine    *engine;
  CdContext       *context;
  GtkWindow       *window;
  AdwToastOverlay *overlay;
  CdSlaView       *view;
  GPtrArray       *toasts;        /* AdwToast, every one added */
  gint64           now;           /* server time when the tickets were made */
  char            *crew[N_CREWS];
  char            *ticket[N_TICKETS];
  gboolean         faking;        /* the test drives the clock: real ticks are held */
  gint64           fake_now;
  guint            n_red_signals;
  guint            last_n_timers;
  char            *last_title;
  char            *last_body;
} Fixture;

/* Main loop --------------------------------------------------------------------- */

/* The cache ------------------------------------------------------------------------ */

static char *
add_crew (CdStore    *store,
          const char *name,
          gint64      now)
{
  static const char * const skills[] = { "radiator", NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(CdCrew) crew = cd_crew_new ();
  char *id = g_uuid_string_random ();

  cd_record_set_id (CD_RECORD (crew), id);
  CD_RECORD (crew)->version = 1;
  CD_RECORD (crew)->rev = 1;
  crew->name = g_strdup (name);
  crew->utility = CD_UTILITY_HEAT;
  crew->status = CD_CREW_STATUS_AVAILABLE;
  crew->skills = g_strdupv ((char **) skills);
  crew->capacity = 3;
  crew->shift_start = now - 3600;
  crew->shift_end = now + 10 * 3600;
  crew->lat = 45.75;
  crew->lon = 126.65;
  crew->position_at = now - 60;
  crew->updated_at = now;
  g_assert_true (cd_store_save (store, CD_RECORD (crew), &error));
  g_assert_no_error (error);
  return id;
}

static char *
add_ticket (CdStore        *store,
            CdSlaPolicySet *policies,
            const char     *number,
            CdCategory      category,
            CdUrgency       urgency,
            const char     *area,
            const char     *crew_id,
            gint64          created_at)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CdTicket) t = cd_ticket_new ();
  char *id = g_uuid_string_random ();
  CdSlaPolicy *policy;

  cd_record_set_id (CD_RECORD (t), id);
  CD_RECORD (t)->version = 1;
  CD_RECORD (t)->rev = 2;
  t->number = g_strdup (number);
  t->channel = CD_CHANNEL_HOTLINE;
  t->category = category;
  t->urgency = urgency;
  if (!cd_category_get_utility (category, &t->utility))
    t->utility = CD_UTILITY_HEAT;
  t->status = crew_id != NULL ? CD_TICKET_STATUS_ASSIGNED : CD_TICKET_STATUS_NEW;
  t->customer_name = g_strdup ("Zhao Lei");
  t->customer_phone = g_strdup ("+86 451 5555 0199");
  t->address = g_strdup ("8 Canal Street");
  t->lat = 45.75;
  t->lon = 126.65;
  t->area = g_strdup (area);
  t->area_class = CD_AREA_CLASS_URBAN;
  t->owner = g_strdup ("s1");
  t->crew_id = g_strdup (crew_id);
  t->assignment_source = crew_id != NULL ? CD_ASSIGNMENT_SOURCE_AUTO : CD_ASSIGNMENT_SOURCE_NONE;
  t->created_at = created_at;
  t->updated_at = created_at;
  policy = cd_sla_policy_set_lookup (policies, category, urgency, CD_AREA_CLASS_URBAN);
  g_assert_nonnull (policy);
  cd_sla_apply_policy (t, policy, cd_sla_policy_set_get_calendar (policies, policy->calendar));
  g_assert_true (cd_store_save (store, CD_RECORD (t), &error));
  g_assert_no_error (error);
  return id;
}

static void
toast_added_cb (CdContext *context,
                AdwToast  *toast,
                Fixture   *f)
{
  g_ptr_array_add (f->toasts, g_object_ref (toast));
  adw_toast_overlay_add_toast (f->overlay, g_object_ref (toast));
}

/* Connected before the view: once the test drives the clock, the
 * context's real ticks stop here and do not reach the view. */
static void
hold_real_ticks_cb (CdContext *context,
                    gint64     now,
                    Fixture   *f)
{
  if (f->faking && now != f->fake_now)
    g_signal_stop_emission_by_name (context, "tick");
}

static void
turned_red_cb (CdSlaView  *view,
               guint       n_timers,
               const char *title,
               const char *body,
               Fixture    *f)
{
  f->n_red_signals++;
  f->last_n_timers = n_timers;
  g_free (f->last_title);
  f->last_title = g_strdup (title);
  g_free (f->last_body);
  f->last_body = g_strdup (body);
}

static void tick (Fixture *f,
                  gint64   at);

/* @data: the signed-in user's CdRole. */
static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CdSlaPolicySet) policies = cd_sla_policy_set_new_default (&error);
  g_autoptr(CdSyncClient) client = NULL;
  g_autoptr(CdUser) user = cd_user_new ();
  g_autofree char *path = NULL;
  CdStore *store;
  gint64 now;

  g_assert_no_error (error);
  f->toasts = g_ptr_array_new_with_free_func (g_object_unref);
  f->dir = g_dir_make_tmp ("crewdesk-sla-XXXXXX", &error);
  g_assert_no_error (error);
  path = g_build_filename (f->dir, "cache.db", NULL);
  /* Nothing listens there: the engine is never started, changes wait. */
  f->cache = cd_sync_cache_open ("http://127.0.0.1:9", "s1", path, &error);
  g_assert_no_error (error);

  cd_record_set_id (CD_RECORD (user), "5b0c2f7e-3a41-4f0e-9d7b-2f8a1c6e0b11");
  user->username = g_strdup ("s1");
  user->display_name = g_strdup ("Chen Jing");
  user->role = (CdRole) GPOINTER_TO_INT (data);
  user->active = TRUE;
  g_assert_true (cd_sync_cache_set_user (f->cache, user, &error));
  g_assert_no_error (error);

  /* The server's time as the context will tell it. */
  now = f->now = cd_sync_cache_get_server_now_ms (f->cache) / 1000;

  store = cd_sync_cache_get_store (f->cache);
  cd_sync_cache_lock (f->cache);
  g_assert_true (cd_store_begin (store, &error));
  f->crew[NORTH] = add_crew (store, "Heat North", now);
  f->crew[SOUTH] = add_crew (store, "Heat South", now);
  f->ticket[T_RED] = add_ticket (store, policies, "HT-0001", CD_CATEGORY_LEAK, CD_URGENCY_EMERGENCY,
                                 "eastbank", f->crew[NORTH], now - 15 * 60);
  f->ticket[T_AMBER] = add_ticket (store, policies, "HT-0002", CD_CATEGORY_NO_HEAT, CD_URGENCY_URGENT,
                                   "market", NULL, now - 25 * 60);
  f->ticket[T_GREEN] = add_ticket (store, policies, "HT-0003", CD_CATEGORY_NO_HEAT, CD_URGENCY_URGENT,
                                   "market", f->crew[SOUTH], now - 2 * 60);
  f->ticket[T_SOON] = add_ticket (store, policies, "PW-0004", CD_CATEGORY_POWER_OUTAGE, CD_URGENCY_EMERGENCY,
                                  "eastbank", NULL, now - 6 * 60);
  g_assert_true (cd_store_commit (store, &error));
  g_assert_no_error (error);
  cd_sync_cache_unlock (f->cache);

  client = cd_sync_client_new ("http://127.0.0.1:9");
  f->engine = cd_sync_engine_new (client, f->cache);
  f->context = cd_context_new (f->engine, policies);
  cd_context_reload (f->context);
  g_signal_connect (f->context, "add-toast", G_CALLBACK (toast_added_cb), f);
  g_signal_connect (f->context, "tick", G_CALLBACK (hold_real_ticks_cb), f);

  f->window = GTK_WINDOW (gtk_window_new ());
  gtk_window_set_default_size (f->window, 1440, 720);
  f->overlay = ADW_TOAST_OVERLAY (adw_toast_overlay_new ());
  f->view = CD_SLA_VIEW (cd_sla_view_new (f->context));
  g_signal_connect (f->view, "timer-turned-red", G_CALLBACK (turned_red_cb), f);
  adw_toast_overlay_set_child (f->overlay, GTK_WIDGET (f->view));
  gtk_window_set_child (f->window, GTK_WIDGET (f->overlay));
  gtk_window_present (f->window);
  cd_test_ui_wait_for_frame (GTK_WIDGET (f->window));
  /* From here the test's clock: the moment the tickets were made. */
  tick (f, f->now);
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
  cd_test_ui_drain ();
  g_signal_handlers_disconnect_by_data (f->context, f);
  g_clear_object (&f->context);
  g_clear_object (&f->engine);
  g_clear_object (&f->cache);
  g_ptr_array_unref (f->toasts);
  remove_dir (f->dir);
  g_free (f->dir);
  g_free (f->last_title);
  g_free (f->last_body);
  for (guint i = 0; i < N_CREWS; i++)
    g_free (f->crew[i]);
  for (guint i = 0; i < N_TICKETS; i++)
    g_free (f->ticket[i]);
}

/* Helpers -------------------------------------------------------------------------- */

static gint64
pending (Fixture *f)
{
  g_autoptr(GError) error = NULL;
  gint64 n = cd_sync_cache_count_pending (f->cache, &error);

  g_assert_no_error (error);
  return n;
}

/* The outbox's newest waiting mutation, as JSON text. */
static char *
last_mutation (Fixture *f)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) waiting = NULL;
  CdOutboxEntry *entry;

  cd_sync_cache_lock (f->cache);
  waiting = cd_store_outbox_list_waiting (cd_sync_cache_get_store (f->cache), 0, 0, &error);
  cd_sync_cache_unlock (f->cache);
  g_assert_no_error (error);
  g_assert_cmpuint (waiting->len, >, 0);
  entry = g_ptr_array_index (waiting, waiting->len - 1);
  return g_strdup (entry->mutation);
}

static void
assert_contains (const char *haystack,
                 const char *needle)
{
  if (haystack == NULL || strstr (haystack, needle) == NULL)
    g_error ("“%s” does not contain “%s”", haystack ? haystack : "(null)", needle);
}

static GListModel *
rows (Fixture *f)
{
  return _cd_sla_view_get_timers (f->view);
}

static CdSlaTimerItem *
row (Fixture *f,
     guint    position)
{
  g_autoptr(CdSlaTimerItem) item = g_list_model_get_item (rows (f), position);

  g_assert_nonnull (item);
  return item;   /* the store keeps it */
}

/* The row of @which's @kind timer, or NULL when not shown. */
static CdSlaTimerItem *
row_of (Fixture   *f,
        guint      which,
        CdSlaKind  kind)
{
  for (guint i = 0; i < g_list_model_get_n_items (rows (f)); i++)
    {
      CdSlaTimerItem *item = row (f, i);
      const CdTimer *timer = cd_sla_timer_item_get_timer (item);

      if (g_str_equal (cd_record_get_id (CD_RECORD (timer->ticket)), f->ticket[which]) && timer->kind == kind)
        return item;
    }
  return NULL;
}

static CdSlaTimerItem *
escalation (Fixture *f,
            guint    position)
{
  g_autoptr(CdSlaTimerItem) item = g_list_model_get_item (_cd_sla_view_get_escalations (f->view), position);

  g_assert_nonnull (item);
  return item;
}

static void
select_in (Fixture       *f,
           CdSlaDropDown  which,
           guint          position)
{
  g_assert_cmpuint (position, !=, GTK_INVALID_LIST_POSITION);
  gtk_drop_down_set_selected (_cd_sla_view_get_dropdown (f->view, which), position);
}

/* The clock says @at, and stays there. */
static void
tick (Fixture *f,
      gint64   at)
{
  f->faking = TRUE;
  f->fake_now = at;
  g_signal_emit_by_name (f->context, "tick", at);
}

/* Every widget of @type under @widget, depth first. */
static void
collect (GtkWidget *widget,
         GType      type,
         GPtrArray *found)
{
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      if (G_TYPE_CHECK_INSTANCE_TYPE (child, type) && gtk_widget_get_visible (child))
        g_ptr_array_add (found, child);
      collect (child, type, found);
    }
}

static CdSlaPill *
find_pill (GtkWidget  *widget,
           const char *label)
{
  g_autoptr(GPtrArray) pills = g_ptr_array_new ();

  collect (widget, CD_TYPE_SLA_PILL, pills);
  for (guint i = 0; i < pills->len; i++)
    if (g_strcmp0 (cd_sla_pill_get_label (g_ptr_array_index (pills, i)), label) == 0)
      return g_ptr_array_index (pills, i);
  return NULL;
}

static CdSlaPauseButton *
find_pause_button (Fixture *f,
                   guint    which)
{
  g_autoptr(GPtrArray) buttons = g_ptr_array_new ();

  collect (GTK_WIDGET (_cd_sla_view_get_column_view (f->view)), CD_TYPE_SLA_PAUSE_BUTTON, buttons);
  for (guint i = 0; i < buttons->len; i++)
    {
      CdSlaTimerItem *item = cd_sla_pause_button_get_item (g_ptr_array_index (buttons, i));

      if (item != NULL &&
          g_str_equal (cd_record_get_id (CD_RECORD (cd_sla_timer_item_get_ticket (item))), f->ticket[which]))
        return g_ptr_array_index (buttons, i);
    }
  return NULL;
}

/* Tests --------------------------------------------------------------------------------- */

static void
test_rows (Fixture       *f,
           gconstpointer  data)
{
  guint n = g_list_model_get_n_items (rows (f));
  CdSlaPill *pill;

  /* Three timers a ticket, sorted by time left, the overdue one first. */
  g_assert_cmpuint (n, ==, 3 * N_TICKETS);
  for (guint i = 0; i + 1 < n; i++)
    g_assert_cmpint (cd_timer_compare (cd_sla_timer_item_get_timer (row (f, i)),
                                       cd_sla_timer_item_get_timer (row (f, i + 1))), <, 0);
  g_assert_cmpstr (cd_sla_timer_item_get_number (row (f, 0)), ==, "HT-0001");
  g_assert_cmpint (cd_sla_timer_item_get_state (row (f, 0)), ==, CD_SLA_STATE_RED);
  assert_contains (cd_sla_timer_item_get_countdown (row (f, 0)), "overdue");
  /* Less time left but a shorter limit: first, and still on time. */
  g_assert_cmpstr (cd_sla_timer_item_get_number (row (f, 1)), ==, "PW-0004");
  g_assert_cmpint (cd_sla_timer_item_get_state (row (f, 1)), ==, CD_SLA_STATE_GREEN);
  g_assert_cmpstr (cd_sla_timer_item_get_number (row (f, 2)), ==, "HT-0002");
  g_assert_cmpint (cd_sla_timer_item_get_state (row (f, 2)), ==, CD_SLA_STATE_AMBER);
  g_assert_cmpint (cd_sla_timer_item_get_state (row (f, n - 1)), ==, CD_SLA_STATE_GREEN);
  assert_contains (gtk_label_get_label (_cd_sla_view_get_count_label (f->view)), "12 time limits: 1 overdue · 1 at risk · 10 on time");

  /* Coloured by state in the table. */
  cd_test_ui_wait_for_frame (GTK_WIDGET (f->window));
  pill = find_pill (GTK_WIDGET (_cd_sla_view_get_column_view (f->view)), "Overdue");
  g_assert_nonnull (pill);
  g_assert_true (gtk_widget_has_css_class (GTK_WIDGET (pill), "error"));
  g_assert_false (gtk_widget_has_css_class (GTK_WIDGET (pill), "success"));
  pill = find_pill (GTK_WIDGET (_cd_sla_view_get_column_view (f->view)), "At risk");
  g_assert_nonnull (pill);
  g_assert_true (gtk_widget_has_css_class (GTK_WIDGET (pill), "warning"));
  pill = find_pill (GTK_WIDGET (_cd_sla_view_get_column_view (f->view)), "On time");
  g_assert_nonnull (pill);
  g_assert_true (gtk_widget_has_css_class (GTK_WIDGET (pill), "success"));
}

static void
test_clock (Fixture       *f,
            gconstpointer  data)
{
  guint evaluations = _cd_sla_view_get_n_evaluations (f->view);
  gint64 last = _cd_sla_view_get_last_evaluation (f->view);
  gint64 next = _cd_sla_view_get_next_change (f->view);
  CdSlaTimerItem *first = row (f, 0);
  g_autofree char *before = g_strdup (cd_sla_timer_item_get_countdown (first));

  /* Ticks before the next change do nothing; one clock, no work per second. */
  g_assert_cmpint (next, >, last);
  g_assert_cmpint (next, <=, last + 60);
  if (next - 1 > last)
    tick (f, next - 1);
  tick (f, last);
  g_assert_cmpuint (_cd_sla_view_get_n_evaluations (f->view), ==, evaluations);

  /* At it, the view looks again and a minute shown changes. */
  tick (f, next);
  g_assert_cmpuint (_cd_sla_view_get_n_evaluations (f->view), ==, evaluations + 1);
  g_assert_cmpint (_cd_sla_view_get_last_evaluation (f->view), ==, next);
  g_assert_cmpint (_cd_sla_view_get_next_change (f->view), >, next);

  /* Ten minutes later (the overdue count goes up by ten). */
  tick (f, f->now + 10 * 60);
  g_assert_cmpstr (cd_sla_timer_item_get_number (row (f, 0)), ==, "HT-0001");
  g_assert_cmpstr (cd_sla_timer_item_get_countdown (row (f, 0)), !=, before);
  assert_contains (cd_sla_timer_item_get_countdown (row (f, 0)), "overdue 15 min");
}

static void
test_filters (Fixture       *f,
              gconstpointer  data)
{
  guint n = g_list_model_get_n_items (rows (f));

  /* By area. */
  select_in (f, CD_SLA_DROPDOWN_AREA, _cd_sla_view_find_area (f->view, "market"));
  g_assert_cmpuint (g_list_model_get_n_items (rows (f)), ==, 6);
  for (guint i = 0; i < 6; i++)
    g_assert_cmpstr (cd_sla_timer_item_get_ticket (row (f, i))->area, ==, "market");
  assert_contains (gtk_label_get_label (_cd_sla_view_get_count_label (f->view)), "6 of 12 time limits");

  /* And by crew. */
  select_in (f, CD_SLA_DROPDOWN_CREW, _cd_sla_view_find_crew (f->view, f->crew[SOUTH]));
  g_assert_cmpuint (g_list_model_get_n_items (rows (f)), ==, 3);
  g_assert_cmpstr (cd_sla_timer_item_get_number (row (f, 0)), ==, "HT-0003");

  /* Unassigned, in Market Quarter. */
  select_in (f, CD_SLA_DROPDOWN_CREW, _cd_sla_view_find_crew (f->view, ""));
  g_assert_cmpuint (g_list_model_get_n_items (rows (f)), ==, 3);
  g_assert_cmpstr (cd_sla_timer_item_get_number (row (f, 0)), ==, "HT-0002");

  /* Nothing matches: the empty page says so and offers to clear. */
  select_in (f, CD_SLA_DROPDOWN_CATEGORY, 1 + CD_CATEGORY_BILLING);
  g_assert_cmpuint (g_list_model_get_n_items (rows (f)), ==, 0);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->view), "sla.clear-filters", NULL));
  g_assert_cmpuint (g_list_model_get_n_items (rows (f)), ==, n);

  /* By state and category. */
  select_in (f, CD_SLA_DROPDOWN_STATE, CD_SLA_STATE_CHOICE_OVERDUE);
  g_assert_cmpuint (g_list_model_get_n_items (rows (f)), ==, 1);
  g_assert_cmpstr (cd_sla_timer_item_get_number (row (f, 0)), ==, "HT-0001");
  select_in (f, CD_SLA_DROPDOWN_STATE, CD_SLA_STATE_CHOICE_ESCALATED);
  g_assert_cmpuint (g_list_model_get_n_items (rows (f)), ==, 2);
  select_in (f, CD_SLA_DROPDOWN_CATEGORY, 1 + CD_CATEGORY_NO_HEAT);
  g_assert_cmpuint (g_list_model_get_n_items (rows (f)), ==, 1);
  g_assert_cmpstr (cd_sla_timer_item_get_number (row (f, 0)), ==, "HT-0002");
  g_assert_cmpuint (_cd_sla_view_find_area (f->view, "nowhere"), ==, GTK_INVALID_LIST_POSITION);
}

static void
test_groups (Fixture       *f,
             gconstpointer  data)
{
  GListModel *groups = _cd_sla_view_get_groups (f->view);
  g_autoptr(CdSlaGroupItem) first = NULL;
  GtkFlowBoxChild *chip;

  g_assert_cmpuint (g_list_model_get_n_items (groups), ==, 0);
  select_in (f, CD_SLA_DROPDOWN_GROUP, CD_SLA_GROUP_CHOICE_AREA);
  g_assert_cmpuint (g_list_model_get_n_items (groups), ==, 2);
  first = g_list_model_get_item (groups, 0);
  /* The most urgent group first. */
  g_assert_cmpstr (cd_sla_group_item_get_title (first), ==, "Eastbank");
  g_assert_cmpuint (cd_sla_group_item_get_n_red (first), ==, 1);
  g_assert_cmpuint (cd_sla_group_item_get_n_amber (first), ==, 0);
  g_assert_cmpuint (cd_sla_group_item_get_n_green (first), ==, 5);

  /* Its card narrows the table to it; again lets go. */
  cd_test_ui_wait_for_frame (GTK_WIDGET (f->window));
  {
    g_autoptr(GPtrArray) boxes = g_ptr_array_new ();
    GtkWidget *button;

    collect (GTK_WIDGET (f->view), GTK_TYPE_FLOW_BOX, boxes);
    g_assert_cmpuint (boxes->len, ==, 1);
    chip = gtk_flow_box_get_child_at_index (g_ptr_array_index (boxes, 0), 0);
    g_assert_nonnull (chip);
    button = gtk_flow_box_child_get_child (chip);
    g_assert_true (GTK_IS_BUTTON (button));
    g_assert_false (gtk_widget_has_css_class (button, "current"));

    g_signal_emit_by_name (button, "clicked");
    g_assert_cmpuint (gtk_drop_down_get_selected (_cd_sla_view_get_dropdown (f->view, CD_SLA_DROPDOWN_AREA)), ==,
                      _cd_sla_view_find_area (f->view, "eastbank"));
    g_assert_cmpuint (g_list_model_get_n_items (rows (f)), ==, 6);
    for (guint i = 0; i < 6; i++)
      g_assert_cmpstr (cd_sla_timer_item_get_ticket (row (f, i))->area, ==, "eastbank");
    /* The summary still offers every area, the chosen one marked. */
    g_assert_cmpuint (g_list_model_get_n_items (groups), ==, 2);
    g_assert_true (gtk_widget_has_css_class (button, "current"));

    g_signal_emit_by_name (button, "clicked");
    g_assert_cmpuint (g_list_model_get_n_items (rows (f)), ==, 3 * N_TICKETS);
    g_assert_false (gtk_widget_has_css_class (button, "current"));
  }

  /* By crew: the unassigned tickets are a group of their own. */
  select_in (f, CD_SLA_DROPDOWN_GROUP, CD_SLA_GROUP_CHOICE_CREW);
  g_assert_cmpuint (g_list_model_get_n_items (groups), ==, 3);
  {
    gboolean saw_unassigned = FALSE;

    for (guint i = 0; i < 3; i++)
      {
        g_autoptr(CdSlaGroupItem) group = g_list_model_get_item (groups, i);

        if (g_strcmp0 (cd_sla_group_item_get_title (group), "Unassigned") == 0)
          saw_unassigned = TRUE;
      }
    g_assert_true (saw_unassigned);
  }

  /* By category, titled in words; a click filters by it. */
  select_in (f, CD_SLA_DROPDOWN_GROUP, CD_SLA_GROUP_CHOICE_CATEGORY);
  g_assert_cmpuint (g_list_model_get_n_items (groups), ==, 3);
  {
    g_autoptr(CdSlaGroupItem) leak = g_list_model_get_item (groups, 0);
    g_autoptr(GPtrArray) boxes = g_ptr_array_new ();

    g_assert_cmpstr (cd_sla_group_item_get_title (leak), ==, "Leak");
    cd_test_ui_wait_for_frame (GTK_WIDGET (f->window));
    collect (GTK_WIDGET (f->view), GTK_TYPE_FLOW_BOX, boxes);
    chip = gtk_flow_box_get_child_at_index (g_ptr_array_index (boxes, 0), 0);
    g_signal_emit_by_name (gtk_flow_box_child_get_child (chip), "clicked");
    g_assert_cmpuint (gtk_drop_down_get_selected (_cd_sla_view_get_dropdown (f->view, CD_SLA_DROPDOWN_CATEGORY)), ==,
                      1 + CD_CATEGORY_LEAK);
    g_assert_cmpuint (g_list_model_get_n_items (rows (f)), ==, 3);
  }

  select_in (f, CD_SLA_DROPDOWN_GROUP, CD_SLA_GROUP_CHOICE_NONE);
  g_assert_cmpuint (g_list_model_get_n_items (groups), ==, 0);
}

/* Pause, with the reason asked; then resume. */
static void
test_pause_resume (Fixture       *f,
                   gconstpointer  data)
{
  CdSlaPauseDialog *dialog;
  CdSlaPauseButton *button;
  CdTicket *ticket = cd_context_lookup_ticket (f->context, f->ticket[T_AMBER]);
  g_autofree char *mutation = NULL;
  g_autofree char *resumed = NULL;

  g_assert_cmpint (pending (f), ==, 0);
  cd_test_ui_wait_for_frame (GTK_WIDGET (f->window));
  button = find_pause_button (f, T_AMBER);
  g_assert_nonnull (button);
  g_assert_true (gtk_widget_get_sensitive (GTK_WIDGET (button)));
  g_assert_cmpstr (gtk_actionable_get_action_name (GTK_ACTIONABLE (button)), ==, "sla.pause");

  /* Cancelled: nothing is sent. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->view), "sla.pause", "s", f->ticket[T_AMBER]));
  dialog = _cd_sla_view_get_pause_dialog (f->view);
  g_assert_nonnull (dialog);
  g_assert_false (adw_message_dialog_get_response_enabled (ADW_MESSAGE_DIALOG (dialog), "pause"));
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  cd_test_ui_drain ();
  g_assert_null (_cd_sla_view_get_pause_dialog (f->view));
  g_assert_cmpint (pending (f), ==, 0);

  /* From the row's button this time; blanks are no reason. */
  g_signal_emit_by_name (button, "clicked");
  dialog = _cd_sla_view_get_pause_dialog (f->view);
  g_assert_nonnull (dialog);
  g_assert_false (cd_sla_pause_dialog_get_resume (dialog));
  cd_sla_pause_dialog_set_reason (dialog, "   ");
  g_assert_false (adw_message_dialog_get_response_enabled (ADW_MESSAGE_DIALOG (dialog), "pause"));
  cd_sla_pause_dialog_set_reason (dialog, "  Customer asked us to come after 18:00 ");
  g_assert_true (adw_message_dialog_get_response_enabled (ADW_MESSAGE_DIALOG (dialog), "pause"));
  cd_test_ui_save_screenshot (GTK_WIDGET (dialog), "sla-pause-dialog");
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (dialog), "pause");
  cd_test_ui_drain ();

  /* One mutation queued; the ticket's rows show it paused, at once. */
  g_assert_null (_cd_sla_view_get_pause_dialog (f->view));
  g_assert_cmpint (pending (f), ==, 1);
  mutation = last_mutation (f);
  assert_contains (mutation, "\"op\":\"ticket.pause\"");
  assert_contains (mutation, "\"reason\":\"Customer asked us to come after 18:00\"");
  g_assert_true (cd_ticket_is_paused (ticket));
  for (guint kind = 0; kind < CD_N_SLA_KINDS; kind++)
    {
      CdSlaTimerItem *item = row_of (f, T_AMBER, kind);

      g_assert_nonnull (item);
      g_assert_true (cd_sla_timer_item_get_paused (item));
      g_assert_cmpstr (cd_sla_timer_item_get_state_label (item), ==, "Paused");
      g_assert_cmpstr (cd_sla_timer_item_get_status (item), ==, "Waiting for customer");
    }
  cd_test_ui_wait_for_frame (GTK_WIDGET (f->window));
  g_assert_nonnull (find_pill (GTK_WIDGET (_cd_sla_view_get_column_view (f->view)), "Paused"));
  button = find_pause_button (f, T_AMBER);
  g_assert_nonnull (button);
  g_assert_cmpstr (gtk_actionable_get_action_name (GTK_ACTIONABLE (button)), ==, "sla.resume");

  /* A paused timer does not count down: the clock passes it by. */
  {
    g_autofree char *frozen = g_strdup (cd_sla_timer_item_get_countdown (row_of (f, T_AMBER, CD_SLA_KIND_FIRST_RESPONSE)));

    tick (f, f->now + 20 * 60);
    g_assert_cmpstr (cd_sla_timer_item_get_countdown (row_of (f, T_AMBER, CD_SLA_KIND_FIRST_RESPONSE)), ==, frozen);
    g_assert_cmpint (cd_sla_timer_item_get_state (row_of (f, T_AMBER, CD_SLA_KIND_FIRST_RESPONSE)), ==,
                     CD_SLA_STATE_AMBER);
  }

  /* Resume: asks, says what the pause was for, and queues ticket.resume. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->view), "sla.resume", "s", f->ticket[T_AMBER]));
  dialog = _cd_sla_view_get_pause_dialog (f->view);
  g_assert_nonnull (dialog);
  g_assert_true (cd_sla_pause_dialog_get_resume (dialog));
  assert_contains (adw_message_dialog_get_body (ADW_MESSAGE_DIALOG (dialog)), "Customer asked us to come after 18:00");
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (dialog), "resume");
  cd_test_ui_drain ();
  g_assert_cmpint (pending (f), ==, 2);
  resumed = last_mutation (f);
  assert_contains (resumed, "\"op\":\"ticket.resume\"");
  g_assert_false (cd_ticket_is_paused (ticket));
  g_assert_false (cd_sla_timer_item_get_paused (row_of (f, T_AMBER, CD_SLA_KIND_FIRST_RESPONSE)));
}

/* A dispatcher sees the timers, cannot pause, and is told why. */
static void
test_not_allowed (Fixture       *f,
                  gconstpointer  data)
{
  CdSlaPauseButton *button;

  cd_test_ui_wait_for_frame (GTK_WIDGET (f->window));
  button = find_pause_button (f, T_AMBER);
  g_assert_nonnull (button);
  g_assert_false (gtk_widget_get_sensitive (GTK_WIDGET (button)));
  assert_contains (gtk_widget_get_tooltip_text (GTK_WIDGET (button)), "Only a shift supervisor");

  gtk_widget_activate_action (GTK_WIDGET (f->view), "sla.pause", "s", f->ticket[T_AMBER]);
  cd_test_ui_drain ();
  g_assert_null (_cd_sla_view_get_pause_dialog (f->view));
  gtk_widget_activate_action (GTK_WIDGET (f->view), "sla.acknowledge", "(ss)", f->ticket[T_RED], "red");
  cd_test_ui_drain ();
  g_assert_cmpint (pending (f), ==, 0);
  g_assert_false (cd_sla_timer_item_get_acknowledged (escalation (f, 0)));
  {
    g_autoptr(GPtrArray) found = g_ptr_array_new ();
    GtkButton *ack;

    collect (GTK_WIDGET (f->view), CD_TYPE_SLA_ESCALATION_ROW, found);
    g_assert_cmpuint (found->len, >, 0);
    ack = cd_sla_escalation_row_get_button (g_ptr_array_index (found, 0));
    g_assert_false (gtk_widget_get_sensitive (GTK_WIDGET (ack)));
    assert_contains (gtk_widget_get_tooltip_text (GTK_WIDGET (ack)), "Only a shift supervisor");
  }
  g_assert_cmpuint (g_list_model_get_n_items (rows (f)), ==, 3 * N_TICKETS);
}

/* The crossing into red is told once; after a long sleep, once for all. */
static void
test_turned_red (Fixture       *f,
                 gconstpointer  data)
{
  g_assert_cmpuint (f->n_red_signals, ==, 0);

  /* Four and a half minutes on: only PW-0004's first response (due in
   * 4) crossed. */
  tick (f, f->now + 4 * 60 + 30);
  g_assert_cmpuint (f->n_red_signals, ==, 1);
  g_assert_cmpuint (f->last_n_timers, ==, 1);
  g_assert_cmpstr (f->last_title, ==, "Ticket PW-0004 Is Overdue");
  assert_contains (f->last_body, "First response was due at");
  g_assert_cmpint (cd_sla_timer_item_get_state (row_of (f, T_SOON, CD_SLA_KIND_FIRST_RESPONSE)), ==,
                   CD_SLA_STATE_RED);

  /* The next minutes, and a reload: not again. */
  tick (f, f->now + 4 * 60 + 40);
  tick (f, f->now + 4 * 60 + 50);
  cd_context_reload (f->context);
  tick (f, f->now + 4 * 60 + 55);
  g_assert_cmpuint (f->n_red_signals, ==, 1);

  /* A new server offset puts the clock back before the deadline, and time
   * passes it again: shown again as it is, but not told twice. */
  tick (f, f->now + 2 * 60);
  g_assert_cmpint (cd_sla_timer_item_get_state (row_of (f, T_SOON, CD_SLA_KIND_FIRST_RESPONSE)), !=,
                   CD_SLA_STATE_RED);
  tick (f, f->now + 4 * 60 + 58);
  g_assert_cmpint (cd_sla_timer_item_get_state (row_of (f, T_SOON, CD_SLA_KIND_FIRST_RESPONSE)), ==,
                   CD_SLA_STATE_RED);
  g_assert_cmpuint (f->n_red_signals, ==, 1);

  /* The machine sleeps three hours: one signal for everything missed. */
  tick (f, f->now + 3 * 3600);
  g_assert_cmpuint (f->n_red_signals, ==, 2);
  g_assert_cmpuint (f->last_n_timers, >=, 5);
  assert_contains (f->last_title, "Time Limits Missed");
  assert_contains (f->last_body, "HT-0002 (First response)");
  g_assert_cmpint (cd_sla_timer_item_get_state (row_of (f, T_GREEN, CD_SLA_KIND_ON_SITE)), ==, CD_SLA_STATE_RED);
}

static CdSlaTimerItem *
escalation_of (Fixture    *f,
               const char *number)
{
  GListModel *escalations = _cd_sla_view_get_escalations (f->view);

  for (guint i = 0; i < g_list_model_get_n_items (escalations); i++)
    if (g_str_equal (cd_sla_timer_item_get_number (escalation (f, i)), number))
      return escalation (f, i);
  return NULL;
}

static void
test_escalations (Fixture       *f,
                  gconstpointer  data)
{
  GListModel *escalations = _cd_sla_view_get_escalations (f->view);
  CdTicket *red = cd_context_lookup_ticket (f->context, f->ticket[T_RED]);
  g_autofree char *mutation = NULL;
  CdSlaTimerItem *item;
  guint toasts;

  /* One per amber or red ticket, the overdue first. */
  g_assert_cmpuint (g_list_model_get_n_items (escalations), ==, 2);
  item = escalation (f, 0);
  g_assert_cmpstr (cd_sla_timer_item_get_number (item), ==, "HT-0001");
  g_assert_cmpint (cd_sla_timer_item_get_state (item), ==, CD_SLA_STATE_RED);
  g_assert_false (cd_sla_timer_item_get_acknowledged (item));

  /* Acknowledged: one ticket.acknowledge queued, kept on the ticket, and
   * the escalation goes down the list. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->view), "sla.acknowledge", "(ss)",
                                             f->ticket[T_RED], "red"));
  g_assert_cmpint (pending (f), ==, 1);
  mutation = last_mutation (f);
  assert_contains (mutation, "\"op\":\"ticket.acknowledge\"");
  assert_contains (mutation, "\"level\":\"red\"");
  g_assert_nonnull (cd_ticket_get_acknowledgement (red, CD_SLA_STATE_RED));
  g_assert_cmpuint (g_list_model_get_n_items (escalations), ==, 2);
  g_assert_cmpstr (cd_sla_timer_item_get_number (escalation (f, 0)), ==, "HT-0002");
  item = escalation (f, 1);
  g_assert_cmpstr (cd_sla_timer_item_get_number (item), ==, "HT-0001");
  g_assert_true (cd_sla_timer_item_get_acknowledged (item));

  /* Twice is nothing. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->view), "sla.acknowledge", "(ss)",
                                             f->ticket[T_RED], "red"));
  g_assert_cmpint (pending (f), ==, 1);

  /* HT-0002 acknowledged at amber; once it turns red it asks again (its
   * button now for red), HT-0001 does not. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->view), "sla.acknowledge", "(ss)",
                                             f->ticket[T_AMBER], "amber"));
  g_assert_cmpint (pending (f), ==, 2);
  g_assert_true (cd_sla_timer_item_get_acknowledged (escalation_of (f, "HT-0002")));
  tick (f, f->now + 6 * 60);
  item = escalation_of (f, "HT-0002");
  g_assert_nonnull (item);
  g_assert_cmpint (cd_sla_timer_item_get_state (item), ==, CD_SLA_STATE_RED);
  g_assert_false (cd_sla_timer_item_get_acknowledged (item));
  g_assert_true (cd_sla_timer_item_get_acknowledged (escalation_of (f, "HT-0001")));
  /* Those to acknowledge first, most overdue first: PW-0004 (2 min) and
   * HT-0002 (1 min), then HT-0001. */
  g_assert_cmpuint (g_list_model_get_n_items (escalations), ==, 3);
  g_assert_cmpstr (cd_sla_timer_item_get_number (escalation (f, 0)), ==, "PW-0004");
  g_assert_cmpstr (cd_sla_timer_item_get_number (escalation (f, 1)), ==, "HT-0002");
  g_assert_cmpstr (cd_sla_timer_item_get_number (escalation (f, 2)), ==, "HT-0001");

  cd_test_ui_wait_for_frame (GTK_WIDGET (f->window));
  {
    g_autoptr(GPtrArray) found = g_ptr_array_new ();
    gboolean saw = FALSE;

    collect (GTK_WIDGET (f->view), CD_TYPE_SLA_ESCALATION_ROW, found);
    for (guint i = 0; i < found->len; i++)
      {
        CdSlaEscalationRow *r = g_ptr_array_index (found, i);
        GtkButton *button = cd_sla_escalation_row_get_button (r);
        GVariant *target = gtk_actionable_get_action_target_value (GTK_ACTIONABLE (button));
        const char *id, *level;

        if (!g_str_equal (cd_sla_timer_item_get_number (cd_sla_escalation_row_get_item (r)), "HT-0002"))
          continue;
        saw = TRUE;
        g_assert_true (gtk_widget_get_visible (GTK_WIDGET (button)));
        g_assert_true (gtk_widget_get_sensitive (GTK_WIDGET (button)));
        g_variant_get (target, "(&s&s)", &id, &level);
        g_assert_cmpstr (id, ==, f->ticket[T_AMBER]);
        g_assert_cmpstr (level, ==, "red");

        /* The test's clock ran ahead; the model checks on the real one,
         * where HT-0002 is not overdue yet: refused, told, nothing queued. */
        toasts = f->toasts->len;
        g_signal_emit_by_name (button, "clicked");
        g_assert_cmpuint (f->toasts->len, ==, toasts + 1);
        assert_contains (adw_toast_get_title (g_ptr_array_index (f->toasts, toasts)), "no escalation to acknowledge");
        g_assert_cmpint (pending (f), ==, 2);
      }
    g_assert_true (saw);
  }
}

static void
test_screenshot (Fixture       *f,
                 gconstpointer  data)
{
  AdwStyleManager *style = adw_style_manager_get_default ();
  double varied;

  /* A paused ticket, an acknowledged escalation, the summary by area. */
  g_assert_true (cd_context_submit (f->context, CD_MUTATION_OP_TICKET_PAUSE, f->ticket[T_GREEN], -1,
                                    cd_sla_pause_args ("customer away until noon"), NULL, NULL));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->view), "sla.acknowledge", "(ss)",
                                             f->ticket[T_RED], "red"));
  select_in (f, CD_SLA_DROPDOWN_GROUP, CD_SLA_GROUP_CHOICE_AREA);
  cd_test_ui_drain ();

  varied = cd_test_ui_save_screenshot (GTK_WIDGET (f->window), "sla-view");
  g_assert_cmpfloat (varied, >, 0.05);

  adw_style_manager_set_color_scheme (style, ADW_COLOR_SCHEME_FORCE_DARK);
  varied = cd_test_ui_save_screenshot (GTK_WIDGET (f->window), "sla-view-dark");
  g_assert_cmpfloat (varied, >, 0.05);
  adw_style_manager_set_color_scheme (style, ADW_COLOR_SCHEME_DEFAULT);

  /* Nothing matches: the empty page. */
  select_in (f, CD_SLA_DROPDOWN_CATEGORY, 1 + CD_CATEGORY_BILLING);
  cd_test_ui_save_screenshot (GTK_WIDGET (f->window), "sla-view-empty");
}

int
main (int   argc,
      char *argv[])
{
  gconstpointer supervisor = GINT_TO_POINTER (CD_ROLE_SUPERVISOR);
  gconstpointer dispatcher = GINT_TO_POINTER (CD_ROLE_DISPATCHER);

  g_test_init (&argc, &argv, NULL);
  gtk_init ();
  adw_init ();
  /* Screenshots show the end of transitions, not their first frame. */
  g_object_set (gtk_settings_get_default (), "gtk-enable-animations", FALSE, NULL);
  cd_model_init ();

  g_test_add ("/sla/rows", Fixture, supervisor, fixture_set_up, test_rows, fixture_tear_down);
  g_test_add ("/sla/clock", Fixture, supervisor, fixture_set_up, test_clock, fixture_tear_down);
  g_test_add ("/sla/filters", Fixture, supervisor, fixture_set_up, test_filters, fixture_tear_down);
  g_test_add ("/sla/groups", Fixture, supervisor, fixture_set_up, test_groups, fixture_tear_down);
  g_test_add ("/sla/pause-resume", Fixture, supervisor, fixture_set_up, test_pause_resume, fixture_tear_down);
  g_test_add ("/sla/not-allowed", Fixture, dispatcher, fixture_set_up, test_not_allowed, fixture_tear_down);
  g_test_add ("/sla/turned-red", Fixture, supervisor, fixture_set_up, test_turned_red, fixture_tear_down);
  g_test_add ("/sla/escalations", Fixture, supervisor, fixture_set_up, test_escalations, fixture_tear_down);
  g_test_add ("/sla/screenshot", Fixture, supervisor, fixture_set_up, test_screenshot, fixture_tear_down);

  return g_test_run ();
}
