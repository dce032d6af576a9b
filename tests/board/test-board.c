/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-board.c: the Board over a CdContext on a real cache (a temporary
 * SQLite file filled through its store), offline, so every change stays
 * queued in the outbox where the test can read it. Drops go through the
 * columns' GtkDropTargets, actions through their names, undo through the
 * toast's button. Runs under xvfb-run and writes screenshots into the
 * build directory. */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "cd-test-ui.h"
#include "cd-board-chooser.h"
#include "cd-board-private.h"
#include "cd-board-proposal.h"
#include "cd-context.h"
#include "cd-model.h"
#include "cd-store.h"

enum { NORTH, SOUTH, POWER, NIGHT, N_CREWS };
enum { T_PLAIN, T_PLAIN2, T_PLAIN3, T_WELD, T_POWER, T_EMERGENCY, T_ON_NORTH, T_ON_SOUTH, N_TICKETS };

typedef struct {
  char          *dir;
  CdSyncCache   *cache;
  CdSyncEngine  *engine;
  CdContext     *context;
  GtkWindow     *window;
  AdwToastOverlay *overlay;
  CdBoard       *board;
  GPtrArray     *toasts;      /* AdwToast, every one added */
  char          *crew[N_CREWS];
  char          *ticket[N_TICKETS];
} Fixture;

/* Main loop ------------------------------------------------------------------ */

/* The cache ------------------------------------------------------------------- */

static char *
save_crew (CdStore            *store,
           const char         *name,
           CdUtility           utility,
           const char * const *skills,
           gint64              capacity,
           gboolean            on_shift,
           double              lat,
           double              lon,
           gint64              now)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CdCrew) crew = cd_crew_new ();
  char *id = g_uuid_string_random ();

  cd_record_set_id (CD_RECORD (crew), id);
  CD_RECORD (crew)->version = 1;
  CD_RECORD (crew)->rev = 1;
  crew->name = g_strdup (name);
  crew->utility = utility;
  crew->status = on_shift ? CD_CREW_STATUS_AVAILABLE : CD_CREW_STATUS_OFF_SHIFT;
  crew->skills = g_strdupv ((char **) skills);
  crew->capacity = capacity;
  crew->shift_start = now - 3600;
  crew->shift_end = now + 10 * 3600;
  crew->lat = lat;
  crew->lon = lon;
  crew->position_at = now - 90;
  crew->updated_at = now;
  g_assert_true (cd_store_save (store, CD_RECORD (crew), &error));
  g_assert_no_error (error);
  return id;
}

static char *
save_ticket (CdStore        *store,
             CdSlaPolicySet *policies,
             const char     *number,
             CdCategory      category,
             CdUrgency       urgency,
             const char     *skill,
             const char     *address,
             double          lat,
             double          lon,
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
  /* Meters serve both utilities; these are the heating company's. */
  if (!cd_category_get_utility (category, &t->utility))
    t->utility = CD_UTILITY_HEAT;
  t->status = crew_id != NULL ? CD_TICKET_STATUS_ASSIGNED : CD_TICKET_STATUS_NEW;
  t->customer_name = g_strdup ("Wang Fang");
  t->customer_phone = g_strdup ("+86 451 5555 0101");
  t->address = g_strdup (address);
  t->lat = lat;
  t->lon = lon;
  t->area = g_strdup ("eastbank");
  t->area_class = CD_AREA_CLASS_URBAN;
  if (skill != NULL)
    t->skills = g_strsplit (skill, ",", -1);
  t->owner = g_strdup ("d1");
  /* One key customer, to be seen in the screenshots. */
  t->key_customer = g_str_equal (number, "HT-0006");
  t->crew_id = g_strdup (crew_id);
  t->assignment_source = crew_id != NULL ? CD_ASSIGNMENT_SOURCE_AUTO : CD_ASSIGNMENT_SOURCE_NONE;
  t->created_at = created_at;
  t->updated_at = created_at;
  policy = cd_sla_policy_set_lookup (policies, category, urgency, CD_AREA_CLASS_URBAN);
  if (policy != NULL)
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

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  static const char * const heat_all[] = { "radiator", "welding", NULL };
  static const char * const heat_radiator[] = { "radiator", NULL };
  static const char * const power_hv[] = { "hv-switching", NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(CdSlaPolicySet) policies = cd_sla_policy_set_new_default (&error);
  g_autoptr(CdSyncClient) client = NULL;
  g_autoptr(CdUser) user = cd_user_new ();
  g_autofree char *path = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  CdStore *store;

  g_assert_no_error (error);
  f->toasts = g_ptr_array_new_with_free_func (g_object_unref);
  f->dir = g_dir_make_tmp ("crewdesk-board-XXXXXX", &error);
  g_assert_no_error (error);
  path = g_build_filename (f->dir, "cache.db", NULL);
  /* Nothing listens there: the engine is never started, changes wait. */
  f->cache = cd_sync_cache_open ("http://127.0.0.1:9", "d1", path, &error);
  g_assert_no_error (error);

  cd_record_set_id (CD_RECORD (user), "7d8e8e1c-54a4-4d7f-9a1e-4c4b1e0d0a01");
  user->username = g_strdup ("d1");
  user->display_name = g_strdup ("Li Na");
  user->role = CD_ROLE_DISPATCHER;
  user->active = TRUE;
  g_assert_true (cd_sync_cache_set_user (f->cache, user, &error));
  g_assert_no_error (error);

  store = cd_sync_cache_get_store (f->cache);
  cd_sync_cache_lock (f->cache);
  g_assert_true (cd_store_begin (store, &error));
  f->crew[NORTH] = save_crew (store, "Heat North", CD_UTILITY_HEAT, heat_all, 3, TRUE, 45.760, 126.650, now);
  f->crew[SOUTH] = save_crew (store, "Heat South", CD_UTILITY_HEAT, heat_radiator, 2, TRUE, 45.700, 126.600, now);
  f->crew[POWER] = save_crew (store, "Power East", CD_UTILITY_POWER, power_hv, 3, TRUE, 45.750, 126.700, now);
  f->crew[NIGHT] = save_crew (store, "Heat Night", CD_UTILITY_HEAT, heat_all, 3, FALSE, 45.755, 126.655, now);
  f->ticket[T_PLAIN] = save_ticket (store, policies, "HT-0001", CD_CATEGORY_NO_HEAT, CD_URGENCY_URGENT, "radiator",
                                    "12 Elm Road", 45.758, 126.652, NULL, now - 20 * 60);
  f->ticket[T_PLAIN2] = save_ticket (store, policies, "HT-0002", CD_CATEGORY_LOW_TEMPERATURE, CD_URGENCY_NORMAL, NULL,
                                     "4 Birch Lane", 45.762, 126.648, NULL, now - 50 * 60);
  f->ticket[T_PLAIN3] = save_ticket (store, policies, "HT-0003", CD_CATEGORY_NO_HEAT, CD_URGENCY_URGENT, NULL,
                                     "88 River Street", 45.701, 126.601, NULL, now - 100 * 60);
  f->ticket[T_WELD] = save_ticket (store, policies, "HT-0004", CD_CATEGORY_BURST_PIPE, CD_URGENCY_EMERGENCY, "welding",
                                   "3 Harbour Road, Building 2", 45.705, 126.605, NULL, now - 5 * 60);
  f->ticket[T_POWER] = save_ticket (store, policies, "PW-0005", CD_CATEGORY_NO_POWER, CD_URGENCY_URGENT, NULL,
                                    "17 Station Square", 45.751, 126.701, NULL, now - 12 * 60);
  f->ticket[T_EMERGENCY] = save_ticket (store, policies, "HT-0006", CD_CATEGORY_LEAK, CD_URGENCY_EMERGENCY, NULL,
                                        "9 Mill Road", 45.759, 126.651, NULL, now - 44 * 60);
  f->ticket[T_ON_NORTH] = save_ticket (store, policies, "HT-0007", CD_CATEGORY_NO_HEAT, CD_URGENCY_URGENT, NULL,
                                       "21 Park Avenue", 45.761, 126.655, f->crew[NORTH], now - 30 * 60);
  f->ticket[T_ON_SOUTH] = save_ticket (store, policies, "HT-0008", CD_CATEGORY_METER, CD_URGENCY_NORMAL, NULL,
                                       "5 Quay Street", 45.702, 126.602, f->crew[SOUTH], now - 70 * 60);
  g_assert_true (cd_store_commit (store, &error));
  g_assert_no_error (error);
  cd_sync_cache_unlock (f->cache);

  client = cd_sync_client_new ("http://127.0.0.1:9");
  f->engine = cd_sync_engine_new (client, f->cache);
  f->context = cd_context_new (f->engine, policies);
  cd_context_reload (f->context);
  g_signal_connect (f->context, "add-toast", G_CALLBACK (toast_added_cb), f);

  f->window = GTK_WINDOW (gtk_window_new ());
  gtk_window_set_default_size (f->window, 1560, 760);
  f->overlay = ADW_TOAST_OVERLAY (adw_toast_overlay_new ());
  f->board = CD_BOARD (cd_board_new (f->context));
  adw_toast_overlay_set_child (f->overlay, GTK_WIDGET (f->board));
  gtk_window_set_child (f->window, GTK_WIDGET (f->overlay));
  gtk_window_present (f->window);
  cd_test_ui_wait_for_frame (GTK_WIDGET (f->window));
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
  for (guint i = 0; i < N_CREWS; i++)
    g_free (f->crew[i]);
  for (guint i = 0; i < N_TICKETS; i++)
    g_free (f->ticket[i]);
}

/* Helpers ----------------------------------------------------------------------- */

static gint64
pending (Fixture *f)
{
  g_autoptr(GError) error = NULL;
  gint64 n = cd_sync_cache_count_pending (f->cache, &error);

  g_assert_no_error (error);
  return n;
}

static CdTicket *
ticket (Fixture *f,
        guint    which)
{
  CdTicket *t = cd_context_lookup_ticket (f->context, f->ticket[which]);

  g_assert_nonnull (t);
  return t;
}

static CdBoardColumn *
column (Fixture    *f,
        gint        crew)     /* -1: Unassigned */
{
  CdBoardColumn *c = _cd_board_get_column (f->board, crew >= 0 ? f->crew[crew] : NULL);

  g_assert_nonnull (c);
  return c;
}

static gboolean
in_column (Fixture *f,
           gint     crew,
           guint    which)
{
  return cd_board_column_contains (column (f, crew), ticket (f, which), NULL);
}

/* Emits the column's GtkDropTarget::drop with @t in a GValue, as GTK
 * does when a card is released over it. */
static gboolean
drop_on (Fixture  *f,
         gint      crew,
         CdTicket *t)
{
  GtkDropTarget *target = cd_board_column_get_drop_target (column (f, crew));
  g_auto(GValue) value = G_VALUE_INIT;
  gboolean handled = FALSE;

  g_value_init (&value, CD_TYPE_TICKET);
  g_value_set_object (&value, t);
  g_signal_emit_by_name (target, "drop", &value, 10.0, 10.0, &handled);
  cd_test_ui_drain ();
  return handled;
}

static const char *
proposal_for (Fixture *f,
              guint    which)
{
  g_autoptr(GPtrArray) crews = NULL;
  g_autoptr(GArray) ranking = NULL;
  g_autoptr(GError) error = NULL;
  CdCrew *crew;

  g_assert_true (cd_context_rank_crews (f->context, ticket (f, which), &crews, &ranking, &error));
  g_assert_no_error (error);
  crew = cd_board_proposal (crews, ranking, NULL);
  g_assert_nonnull (crew);
  /* The id lives in the context's crew object. */
  return cd_record_get_id (CD_RECORD (cd_context_lookup_crew (f->context, cd_record_get_id (CD_RECORD (crew)))));
}

static gint
crew_index (Fixture    *f,
            const char *id)
{
  for (guint i = 0; i < N_CREWS; i++)
    if (g_strcmp0 (f->crew[i], id) == 0)
      return (gint) i;
  g_assert_not_reached ();
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

static AdwToast *
last_toast (Fixture *f)
{
  g_assert_cmpuint (f->toasts->len, >, 0);
  return g_ptr_array_index (f->toasts, f->toasts->len - 1);
}

/* The toast with an Undo button among those added since @since. */
static AdwToast *
undo_toast_since (Fixture *f,
                  guint    since)
{
  for (guint i = f->toasts->len; i > since; i--)
    {
      AdwToast *t = g_ptr_array_index (f->toasts, i - 1);

      if (adw_toast_get_button_label (t) != NULL)
        return t;
    }
  g_assert_not_reached ();
}

static void
select_in (Fixture *f,
           gint     crew,
           guint    which,
           gboolean unselect_rest)
{
  CdBoardColumn *c = column (f, crew);
  guint position;

  g_assert_true (cd_board_column_contains (c, ticket (f, which), &position));
  g_assert_true (gtk_selection_model_select_item (cd_board_column_get_selection (c), position, unselect_rest));
}

static CdBoardCard *
find_card (GtkWidget *widget,
           CdTicket  *t)
{
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      CdBoardCard *found;

      if (CD_IS_BOARD_CARD (child) && cd_board_card_get_item (CD_BOARD_CARD (child)) == t)
        return CD_BOARD_CARD (child);
      if ((found = find_card (child, t)) != NULL)
        return found;
    }
  return NULL;
}

static GtkWidget *
find_class (GtkWidget  *widget,
            const char *css_class)
{
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found;

      if (gtk_widget_has_css_class (child, css_class))
        return child;
      if ((found = find_class (child, css_class)) != NULL)
        return found;
    }
  return NULL;
}

static GtkDragSource *
drag_source_of (GtkWidget *widget)
{
  g_autoptr(GListModel) controllers = gtk_widget_observe_controllers (widget);

  for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
    {
      g_autoptr(GObject) controller = g_list_model_get_item (controllers, i);

      if (GTK_IS_DRAG_SOURCE (controller))
        return GTK_DRAG_SOURCE (controller);
    }
  g_assert_not_reached ();
}

/* Tests ------------------------------------------------------------------------- */

static void
test_columns (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  static const char * const none[] = { NULL };
  g_autofree char *late = NULL;
  CdStore *store;

  /* Unassigned, then one per crew. */
  g_assert_cmpuint (_cd_board_get_n_columns (f->board), ==, N_CREWS + 1);
  for (guint i = T_PLAIN; i <= T_EMERGENCY; i++)
    g_assert_true (in_column (f, -1, i));
  g_assert_true (in_column (f, NORTH, T_ON_NORTH));
  g_assert_true (in_column (f, SOUTH, T_ON_SOUTH));
  g_assert_false (in_column (f, -1, T_ON_NORTH));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (cd_board_column_get_selection (column (f, -1)))), ==, 6);

  /* Emergencies first. */
  {
    g_autoptr(CdTicket) first = g_list_model_get_item (G_LIST_MODEL (cd_board_column_get_selection (column (f, -1))), 0);

    g_assert_cmpint (first->urgency, ==, CD_URGENCY_EMERGENCY);
  }

  /* A bound card counts down with the context's clock. */
  cd_test_ui_wait_for_frame (GTK_WIDGET (f->window));
  {
    CdBoardCard *card = find_card (GTK_WIDGET (f->board), ticket (f, T_WELD));
    GtkLabel *sla;
    g_autofree char *before = NULL;

    g_assert_nonnull (card);
    sla = GTK_LABEL (find_class (GTK_WIDGET (card), "board-sla"));
    g_assert_nonnull (sla);
    before = g_strdup (gtk_label_get_label (sla));
    assert_contains (before, "First response");
    g_assert_null (strstr (before, "overdue"));
    g_signal_emit_by_name (f->context, "tick", cd_context_get_now (f->context) + 3 * 3600);
    assert_contains (gtk_label_get_label (sla), "overdue");
    g_assert_true (gtk_widget_has_css_class (GTK_WIDGET (sla), "sla-red"));
  }

  /* A crew that appears gets a column, in the crews' order. */
  store = cd_sync_cache_get_store (f->cache);
  cd_sync_cache_lock (f->cache);
  g_assert_true (cd_store_begin (store, &error));
  late = save_crew (store, "Heat Late", CD_UTILITY_HEAT, none, 1, TRUE, 45.7, 126.6, g_get_real_time () / G_USEC_PER_SEC);
  g_assert_true (cd_store_commit (store, &error));
  cd_sync_cache_unlock (f->cache);
  cd_context_reload (f->context);
  g_assert_cmpuint (_cd_board_get_n_columns (f->board), ==, N_CREWS + 2);
  g_assert_nonnull (_cd_board_get_column (f->board, late));
}

static void
test_drop_assign_and_undo (Fixture       *f,
                           gconstpointer  data)
{
  CdTicket *t = ticket (f, T_PLAIN);
  const char *proposed = proposal_for (f, T_PLAIN);
  gint target = crew_index (f, proposed);
  CdCrew *crew = cd_context_lookup_crew (f->context, proposed);
  g_autofree char *title = NULL;
  g_autofree char *mutation = NULL;
  g_autofree char *undo_mutation = NULL;
  g_autofree char *expect = NULL;
  AdwToast *toast;
  guint toasts = f->toasts->len;

  g_assert_cmpint (pending (f), ==, 0);
  g_assert_false (cd_context_is_pending (f->context, f->ticket[T_PLAIN]));

  /* Dropped on the proposed crew: no question, queued, moved. */
  g_assert_true (drop_on (f, target, t));
  g_assert_null (_cd_board_get_reason_dialog (f->board));
  g_assert_cmpint (pending (f), ==, 1);
  g_assert_true (cd_context_is_pending (f->context, f->ticket[T_PLAIN]));
  g_assert_true (in_column (f, target, T_PLAIN));
  g_assert_false (in_column (f, -1, T_PLAIN));
  g_assert_cmpstr (t->crew_id, ==, proposed);
  g_assert_false (t->pinned);
  /* The card in its new column carries the "waiting to sync" mark. */
  cd_test_ui_wait_for_frame (GTK_WIDGET (f->window));
  {
    CdBoardCard *card = find_card (GTK_WIDGET (column (f, target)), t);

    g_assert_nonnull (card);
    g_assert_true (gtk_widget_get_visible (find_class (GTK_WIDGET (card), "board-pending")));
  }
  mutation = last_mutation (f);
  assert_contains (mutation, "\"op\":\"ticket.assign\"");
  assert_contains (mutation, "\"expect_crew\":null");
  assert_contains (mutation, "\"pin\":false");
  g_assert_null (strstr (mutation, "\"source\""));

  /* "Ticket HT-0001 assigned to Heat …", with Undo. */
  toast = undo_toast_since (f, toasts);
  title = g_strdup_printf ("Ticket HT-0001 assigned to %s", crew->name);
  g_assert_cmpstr (adw_toast_get_title (toast), ==, title);

  /* Undo from the toast: back, and the reverse is queued on condition. */
  g_signal_emit_by_name (toast, "button-clicked");
  cd_test_ui_drain ();
  g_assert_cmpint (pending (f), ==, 2);
  g_assert_true (in_column (f, -1, T_PLAIN));
  g_assert_false (in_column (f, target, T_PLAIN));
  g_assert_null (t->crew_id);
  undo_mutation = last_mutation (f);
  assert_contains (undo_mutation, "\"crew_id\":null");
  expect = g_strdup_printf ("\"expect_crew\":\"%s\"", proposed);
  assert_contains (undo_mutation, expect);

  /* Once only. */
  g_signal_emit_by_name (toast, "button-clicked");
  cd_test_ui_drain ();
  g_assert_cmpint (pending (f), ==, 2);
  gtk_widget_activate_action (GTK_WIDGET (f->board), "board.undo", NULL);
  cd_test_ui_drain ();
  g_assert_cmpint (pending (f), ==, 2);
}

static void
test_drop_override (Fixture       *f,
                    gconstpointer  data)
{
  CdTicket *t = ticket (f, T_PLAIN2);
  const char *proposed = proposal_for (f, T_PLAIN2);
  gint other = g_strcmp0 (proposed, f->crew[NORTH]) == 0 ? SOUTH : NORTH;
  CdBoardReasonDialog *dialog;
  g_autofree char *mutation = NULL;

  /* Cancelled: nothing is sent. */
  g_assert_true (drop_on (f, other, t));
  dialog = _cd_board_get_reason_dialog (f->board);
  g_assert_nonnull (dialog);
  g_assert_cmpint (pending (f), ==, 0);
  g_assert_true (in_column (f, -1, T_PLAIN2));
  g_assert_false (adw_message_dialog_get_response_enabled (ADW_MESSAGE_DIALOG (dialog), "assign"));
  cd_test_ui_save_screenshot (GTK_WIDGET (dialog), "board-reason-dialog");
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  cd_test_ui_drain ();
  g_assert_null (_cd_board_get_reason_dialog (f->board));
  g_assert_cmpint (pending (f), ==, 0);

  /* "Other" needs words; a quick choice with words records both. */
  g_assert_true (drop_on (f, other, t));
  dialog = _cd_board_get_reason_dialog (f->board);
  g_assert_nonnull (dialog);
  cd_board_reason_dialog_set_reason (dialog, CD_BOARD_REASON_OTHER, "  ");
  g_assert_false (adw_message_dialog_get_response_enabled (ADW_MESSAGE_DIALOG (dialog), "assign"));
  cd_board_reason_dialog_set_reason (dialog, CD_BOARD_REASON_CUSTOMER_REQUEST, "asked for the crew she knows");
  g_assert_true (adw_message_dialog_get_response_enabled (ADW_MESSAGE_DIALOG (dialog), "assign"));
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (dialog), "assign");
  cd_test_ui_drain ();

  g_assert_cmpint (pending (f), ==, 1);
  g_assert_true (in_column (f, other, T_PLAIN2));
  g_assert_true (t->pinned);
  mutation = last_mutation (f);
  assert_contains (mutation, "\"reason\":\"customer-request: asked for the crew she knows\"");
  assert_contains (mutation, "\"pin\":true");
  g_assert_null (strstr (mutation, "\"source\""));
}

static void
test_drop_refused (Fixture       *f,
                   gconstpointer  data)
{
  g_autofree char *hover = NULL;
  CdBoardColumn *power = column (f, POWER);
  GdkDragAction action = 0;

  /* A heating ticket on the power crew. */
  g_assert_false (drop_on (f, POWER, ticket (f, T_PLAIN)));
  g_assert_cmpint (pending (f), ==, 0);
  g_assert_true (in_column (f, -1, T_PLAIN));
  g_assert_null (_cd_board_get_reason_dialog (f->board));
  assert_contains (adw_toast_get_title (last_toast (f)), "needs a heating crew");

  /* A welding job on a crew without welders. */
  g_assert_false (drop_on (f, SOUTH, ticket (f, T_WELD)));
  g_assert_cmpint (pending (f), ==, 0);
  assert_contains (adw_toast_get_title (last_toast (f)), "“welding”");

  /* Off shift. */
  g_assert_false (drop_on (f, NIGHT, ticket (f, T_PLAIN)));
  g_assert_cmpint (pending (f), ==, 0);
  assert_contains (adw_toast_get_title (last_toast (f)), "off shift");

  /* While hovering, the column says so. */
  _cd_board_drag_begin (f->board, column (f, -1), ticket (f, T_PLAIN));
  g_signal_emit_by_name (cd_board_column_get_drop_target (power), "enter", 20.0, 20.0, &action);
  g_assert_cmpint (cd_board_column_get_drop_state (power), ==, CD_BOARD_COLUMN_DROP_REFUSE);
  g_assert_true (gtk_widget_has_css_class (GTK_WIDGET (power), "drop-refuse"));
  assert_contains (cd_board_column_get_drop_message (power), "needs a heating crew");
  cd_test_ui_save_screenshot (GTK_WIDGET (f->window), "board-drop-refused");
  g_signal_emit_by_name (cd_board_column_get_drop_target (power), "leave");
  g_assert_cmpint (cd_board_column_get_drop_state (power), ==, CD_BOARD_COLUMN_DROP_NONE);
  g_assert_false (gtk_widget_has_css_class (GTK_WIDGET (power), "drop-refuse"));

  /* And the allowed one highlights as allowed. */
  g_signal_emit_by_name (cd_board_column_get_drop_target (column (f, NORTH)), "enter", 20.0, 20.0, &action);
  g_assert_cmpint (action, ==, GDK_ACTION_MOVE);
  g_assert_cmpint (cd_board_column_get_drop_state (column (f, NORTH)), ==, CD_BOARD_COLUMN_DROP_ACCEPT);
  g_signal_emit_by_name (cd_board_column_get_drop_target (column (f, NORTH)), "leave");
  _cd_board_drag_end (f->board);
  g_assert_cmpint (pending (f), ==, 0);
}

static void
test_assign_to_action (Fixture       *f,
                       gconstpointer  data)
{
  const char *proposed = proposal_for (f, T_PLAIN3);
  GtkPopover *chooser = _cd_board_get_chooser (f->board);
  GListModel *choices;
  gboolean saw_power = FALSE;

  /* Nothing selected: nothing to assign. */
  gtk_widget_activate_action (GTK_WIDGET (f->board), "board.assign-to", NULL);
  cd_test_ui_drain ();
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (chooser)));

  select_in (f, -1, T_PLAIN3, TRUE);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->board), "board.assign-to", NULL));
  cd_test_ui_wait_for_frame (GTK_WIDGET (f->window));
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (chooser)));

  /* Every crew, the proposal first, the power crew refused. */
  choices = cd_board_chooser_get_model (CD_BOARD_CHOOSER (chooser));
  g_assert_cmpuint (g_list_model_get_n_items (choices), ==, N_CREWS);
  {
    g_autoptr(CdBoardChoice) first = g_list_model_get_item (choices, 0);

    g_assert_cmpstr (cd_board_choice_get_crew_id (first), ==, proposed);
    g_assert_true (cd_board_choice_get_allowed (first));
  }
  for (guint i = 0; i < g_list_model_get_n_items (choices); i++)
    {
      g_autoptr(CdBoardChoice) choice = g_list_model_get_item (choices, i);

      if (g_strcmp0 (cd_board_choice_get_crew_id (choice), f->crew[POWER]) == 0)
        {
          saw_power = TRUE;
          g_assert_false (cd_board_choice_get_allowed (choice));
        }
    }
  g_assert_true (saw_power);
  cd_test_ui_save_screenshot (GTK_WIDGET (chooser), "board-assign-to");

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->board), "board.assign-to-crew", "s", proposed));
  cd_test_ui_drain ();
  g_assert_cmpint (pending (f), ==, 1);
  g_assert_true (in_column (f, crew_index (f, proposed), T_PLAIN3));

  /* Unassign from the keyboard's action. */
  select_in (f, crew_index (f, proposed), T_PLAIN3, TRUE);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->board), "board.unassign", NULL));
  cd_test_ui_drain ();
  g_assert_cmpint (pending (f), ==, 2);
  g_assert_true (in_column (f, -1, T_PLAIN3));
  assert_contains (adw_toast_get_title (undo_toast_since (f, 0)), "Ticket HT-0003 unassigned");
}

/* Applies the reason dialog if the move asked for one. */
static void
answer_reason (Fixture *f)
{
  CdBoardReasonDialog *dialog = _cd_board_get_reason_dialog (f->board);

  if (dialog == NULL)
    return;
  cd_board_reason_dialog_set_reason (dialog, CD_BOARD_REASON_WORKLOAD, NULL);
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (dialog), "assign");
  cd_test_ui_drain ();
}

static void
test_multi_select (Fixture       *f,
                   gconstpointer  data)
{
  CdBoardUndo *undo;
  guint toasts;

  /* Three selected, one of them a power ticket: two move, one stays. */
  select_in (f, -1, T_PLAIN, TRUE);
  select_in (f, -1, T_PLAIN2, FALSE);
  select_in (f, -1, T_POWER, FALSE);
  toasts = f->toasts->len;
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->board), "board.assign-to-crew", "s", f->crew[NORTH]));
  answer_reason (f);
  g_assert_cmpint (pending (f), ==, 2);
  g_assert_true (in_column (f, NORTH, T_PLAIN));
  g_assert_true (in_column (f, NORTH, T_PLAIN2));
  g_assert_true (in_column (f, -1, T_POWER));
  assert_contains (adw_toast_get_title (undo_toast_since (f, toasts)), "2 tickets assigned to Heat North");
  assert_contains (adw_toast_get_title (last_toast (f)), "PW-0005");
  undo = _cd_board_get_last_undo (f->board);
  g_assert_nonnull (undo);
  g_assert_cmpuint (cd_board_undo_get_n_moves (undo), ==, 2);

  /* One undo for the group, from the keyboard's action. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->board), "board.undo", NULL));
  cd_test_ui_drain ();
  g_assert_cmpint (pending (f), ==, 4);
  g_assert_true (in_column (f, -1, T_PLAIN));
  g_assert_true (in_column (f, -1, T_PLAIN2));
  g_assert_null (_cd_board_get_last_undo (f->board));

  /* One drag of the selection: prepared on one selected card, dropped. */
  select_in (f, -1, T_PLAIN, TRUE);
  select_in (f, -1, T_EMERGENCY, FALSE);
  cd_test_ui_wait_for_frame (GTK_WIDGET (f->window));
  {
    CdBoardCard *card = find_card (GTK_WIDGET (cd_board_column_get_list_view (column (f, -1))), ticket (f, T_EMERGENCY));
    g_autoptr(GdkContentProvider) provider = NULL;
    g_autoptr(GError) error = NULL;
    g_auto(GValue) value = G_VALUE_INIT;
    gboolean handled = FALSE;

    g_assert_nonnull (card);
    g_signal_emit_by_name (drag_source_of (GTK_WIDGET (card)), "prepare", 5.0, 5.0, &provider);
    g_assert_nonnull (provider);
    g_value_init (&value, CD_TYPE_TICKET);
    g_assert_true (gdk_content_provider_get_value (provider, &value, &error));
    g_assert_no_error (error);
    g_assert_true (g_value_get_object (&value) == ticket (f, T_EMERGENCY));
    g_signal_emit_by_name (cd_board_column_get_drop_target (column (f, SOUTH)), "drop", &value, 10.0, 10.0, &handled);
    g_assert_true (handled);
    answer_reason (f);
  }
  g_assert_cmpint (pending (f), ==, 6);
  g_assert_true (in_column (f, SOUTH, T_PLAIN));
  g_assert_true (in_column (f, SOUTH, T_EMERGENCY));
  g_assert_cmpuint (cd_board_undo_get_n_moves (_cd_board_get_last_undo (f->board)), ==, 2);
}

/* A submit the model refuses: the sentence in a toast, the card where the
 * model says. Here an undo finds the ticket moved on by a later change. */
static void
test_conflict (Fixture       *f,
               gconstpointer  data)
{
  const char *proposed = proposal_for (f, T_PLAIN);
  gint target = crew_index (f, proposed);
  gint other = target == NORTH ? SOUTH : NORTH;
  g_autoptr(GError) error = NULL;
  AdwToast *toast;

  g_assert_true (drop_on (f, target, ticket (f, T_PLAIN)));
  toast = undo_toast_since (f, 0);
  g_assert_true (cd_context_submit (f->context, CD_MUTATION_OP_TICKET_ASSIGN, f->ticket[T_PLAIN], -1,
                                    cd_board_assign_args (f->crew[other], "other: phone call", TRUE, FALSE, NULL),
                                    NULL, &error));
  g_assert_no_error (error);
  cd_test_ui_drain ();
  g_assert_true (in_column (f, other, T_PLAIN));
  g_assert_cmpint (pending (f), ==, 2);

  g_signal_emit_by_name (toast, "button-clicked");
  cd_test_ui_drain ();
  g_assert_cmpint (pending (f), ==, 2);
  g_assert_true (in_column (f, other, T_PLAIN));
  g_assert_false (in_column (f, -1, T_PLAIN));
  assert_contains (adw_toast_get_title (last_toast (f)), "in the meantime");
}

static void
test_show_proposal (Fixture       *f,
                    gconstpointer  data)
{
  GtkPopover *popover = _cd_board_get_proposal (f->board);
  const char *proposed = proposal_for (f, T_EMERGENCY);

  select_in (f, -1, T_EMERGENCY, TRUE);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->board), "board.show-proposal", NULL));
  cd_test_ui_wait_for_frame (GTK_WIDGET (f->window));
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (popover)));
  g_assert_nonnull (cd_board_proposal_get_crew (CD_BOARD_PROPOSAL (popover)));
  g_assert_cmpstr (cd_record_get_id (CD_RECORD (cd_board_proposal_get_crew (CD_BOARD_PROPOSAL (popover)))), ==, proposed);
  cd_test_ui_save_screenshot (GTK_WIDGET (popover), "board-proposal");

  /* Its button assigns that ticket there, without asking why. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->board), "board.assign-ticket", "(ss)",
                                             f->ticket[T_EMERGENCY], proposed));
  cd_test_ui_drain ();
  g_assert_null (_cd_board_get_reason_dialog (f->board));
  g_assert_cmpint (pending (f), ==, 1);
  g_assert_true (in_column (f, crew_index (f, proposed), T_EMERGENCY));
}

static void
test_auto_assign (Fixture       *f,
                  gconstpointer  data)
{
  CdBoardPlanDialog *dialog;
  g_autofree char *mutation = NULL;
  g_autoptr(GPtrArray) chosen = NULL;
  CdTicket *left_out;
  guint n, unassigned_before;

  unassigned_before = g_list_model_get_n_items (G_LIST_MODEL (cd_board_column_get_selection (column (f, -1))));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->board), "board.auto-assign", NULL));
  dialog = _cd_board_get_plan_dialog (f->board);
  g_assert_nonnull (dialog);
  n = cd_board_plan_dialog_get_n_items (dialog);
  g_assert_cmpuint (n, >=, 2);
  cd_test_ui_save_screenshot (GTK_WIDGET (dialog), "board-auto-assign");

  /* Leave the first out. */
  cd_board_plan_dialog_set_chosen (dialog, 0, FALSE);
  chosen = cd_board_plan_dialog_dup_chosen (dialog);
  g_assert_cmpuint (chosen->len, ==, 2 * (n - 1));
  {
    g_autoptr(GPtrArray) all = NULL;

    cd_board_plan_dialog_set_chosen (dialog, 0, TRUE);
    all = cd_board_plan_dialog_dup_chosen (dialog);
    left_out = g_ptr_array_index (all, 0);
    cd_board_plan_dialog_set_chosen (dialog, 0, FALSE);
  }
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (dialog), "apply");
  cd_test_ui_drain ();

  g_assert_null (_cd_board_get_plan_dialog (f->board));
  g_assert_cmpint (pending (f), ==, (gint64) n - 1);
  g_assert_null (left_out->crew_id);
  g_assert_true (cd_board_column_contains (column (f, -1), left_out, NULL));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (cd_board_column_get_selection (column (f, -1)))), ==,
                    unassigned_before - (n - 1));
  /* As the dispatcher: manual (no "source"), unpinned, only if still unassigned. */
  mutation = last_mutation (f);
  assert_contains (mutation, "\"reason\":\"accepted-plan\"");
  assert_contains (mutation, "\"pin\":false");
  assert_contains (mutation, "\"expect_crew\":null");
  g_assert_null (strstr (mutation, "\"source\""));
  g_assert_cmpuint (cd_board_undo_get_n_moves (_cd_board_get_last_undo (f->board)), ==, n - 1);
  g_assert_cmpint (pending (f), ==, (gint64) n - 1);

  /* One undo puts them all back. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->board), "board.undo", NULL));
  cd_test_ui_drain ();
  g_assert_cmpint (pending (f), ==, 2 * ((gint64) n - 1));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (cd_board_column_get_selection (column (f, -1)))), ==,
                    unassigned_before);
}

static void
test_screenshot (Fixture       *f,
                 gconstpointer  data)
{
  AdwStyleManager *style = adw_style_manager_get_default ();
  CdTicket *t = ticket (f, T_PLAIN);
  const char *proposed = proposal_for (f, T_PLAIN);
  double varied;

  /* A pending, pinned card, a selection, a toast. */
  g_assert_true (cd_context_submit (f->context, CD_MUTATION_OP_TICKET_ASSIGN, f->ticket[T_PLAIN], -1,
                                    cd_board_assign_args (proposed, "crew-nearby", TRUE, TRUE, NULL), NULL, NULL));
  cd_test_ui_drain ();
  g_assert_true (t->pinned);
  select_in (f, -1, T_EMERGENCY, TRUE);
  varied = cd_test_ui_save_screenshot (GTK_WIDGET (f->window), "board");
  g_assert_cmpfloat (varied, >, 0.05);

  adw_style_manager_set_color_scheme (style, ADW_COLOR_SCHEME_FORCE_DARK);
  varied = cd_test_ui_save_screenshot (GTK_WIDGET (f->window), "board-dark");
  g_assert_cmpfloat (varied, >, 0.05);
  adw_style_manager_set_color_scheme (style, ADW_COLOR_SCHEME_DEFAULT);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  gtk_init ();
  adw_init ();
  /* Screenshots show the end of transitions, not their first frame. */
  g_object_set (gtk_settings_get_default (), "gtk-enable-animations", FALSE, NULL);
  cd_model_init ();

  g_test_add ("/board/columns", Fixture, NULL, fixture_set_up, test_columns, fixture_tear_down);
  g_test_add ("/board/drop-assign-undo", Fixture, NULL, fixture_set_up, test_drop_assign_and_undo, fixture_tear_down);
  g_test_add ("/board/drop-override", Fixture, NULL, fixture_set_up, test_drop_override, fixture_tear_down);
  g_test_add ("/board/drop-refused", Fixture, NULL, fixture_set_up, test_drop_refused, fixture_tear_down);
  g_test_add ("/board/assign-to", Fixture, NULL, fixture_set_up, test_assign_to_action, fixture_tear_down);
  g_test_add ("/board/multi-select", Fixture, NULL, fixture_set_up, test_multi_select, fixture_tear_down);
  g_test_add ("/board/conflict", Fixture, NULL, fixture_set_up, test_conflict, fixture_tear_down);
  g_test_add ("/board/show-proposal", Fixture, NULL, fixture_set_up, test_show_proposal, fixture_tear_down);
  g_test_add ("/board/auto-assign", Fixture, NULL, fixture_set_up, test_auto_assign, fixture_tear_down);
  g_test_add ("/board/screenshot", Fixture, NULL, fixture_set_up, test_screenshot, fixture_tear_down);

  return g_test_run ();
}
