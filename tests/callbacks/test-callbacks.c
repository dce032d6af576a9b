/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-callbacks.c: the Callbacks view over a CdContext on a real cache (a
 * temporary SQLite file filled through its store), offline, so every
 * change stays queued in the outbox where the test can read it, and the
 * model the view re-reads is the cache with those changes on top. The
 * signed-in user is a callback agent, a manager or a dispatcher, as each
 * test says. Runs under xvfb-run and writes screenshots into the build
 * directory. */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "cd-test-ui.h"
#include "cd-callbacks-private.h"
#include "cd-context.h"
#include "cd-model.h"
#include "cd-store.h"

/* Resolved tickets, each with its callback. */
enum {
  T_LATE,       /* HT-0101: due six hours ago */
  T_COMPLAINT,  /* HT-0102: a complaint, due in two hours */
  T_KEY,        /* HT-0103: a key customer, due in two hours too */
  T_REPEAT,     /* HT-0104: a repeat report, due in five hours */
  T_TRIED,      /* HT-0105: one failed attempt already, due in eight hours */
  T_THEIRS,     /* HT-0106: held by another agent, due in three hours */
  T_SECOND,     /* HT-0107: second handling, past its deadline */
  T_SECOND2,    /* HT-0108: second handling, twenty hours left */
  T_DONE,       /* HT-0109: done, in neither list */
  N_TICKETS
};

typedef struct {
  char            *dir;
  CdSyncCache     *cache;
  CdSyncEngine    *engine;
  CdContext       *context;
  GtkWindow       *window;
  AdwToastOverlay *overlay;
  CdCallbacksView *view;
  GPtrArray       *toasts;      /* AdwToast, every one added */
  char            *crew;
  char            *ticket[N_TICKETS];
  char            *callback[N_TICKETS];
  gint64           now;
} Fixture;

/* Main loop ------------------------------------------------------------------ */

/* Until the view has read the cache (its worker thread). */
static void
wait_loaded (Fixture *f)
{
  while (_cd_callbacks_view_is_loading (f->view))
    g_main_context_iteration (NULL, TRUE);
  cd_test_ui_drain ();
}

static void
wait_history (Fixture *f)
{
  while (_cd_callbacks_view_history_loading (f->view))
    g_main_context_iteration (NULL, TRUE);
  cd_test_ui_drain ();
}

/* The cache ------------------------------------------------------------------- */

static void
save (CdStore  *store,
      CdRecord *record)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (cd_store_save (store, record, &error));
  g_assert_no_error (error);
}

static char *
new_id (CdRecord *record)
{
  char *id = g_uuid_string_random ();

  cd_record_set_id (record, id);
  record->version = 1;
  record->rev = 1;
  return id;
}

static void
save_user (CdStore    *store,
           const char *username,
           const char *display_name,
           CdRole      role)
{
  g_autoptr(CdUser) user = cd_user_new ();
  g_autofree char *id = new_id (CD_RECORD (user));

  user->username = g_strdup (username);
  user->display_name = g_strdup (display_name);
  user->role = role;
  user->active = TRUE;
  save (store, CD_RECORD (user));
}

typedef struct {
  const char *number;
  CdCategory  category;
  gboolean    key;
  gint64      duplicates;
  const char *customer;
  const char *phone;
  const char *address;
} TicketSpec;

static const TicketSpec ticket_specs[N_TICKETS] = {
  [T_LATE] = { "HT-0101", CD_CATEGORY_NO_HEAT, FALSE, 0, "Wang Fang", "+86 451 5555 0101", "12 Elm Road" },
  [T_COMPLAINT] = { "HT-0102", CD_CATEGORY_COMPLAINT, FALSE, 0, "Zhao Lei", "+86 451 5555 0102", "4 Birch Lane" },
  [T_KEY] = { "HT-0103", CD_CATEGORY_LEAK, TRUE, 0, "Lanhe No. 2 Hospital", "+86 451 5555 0103", "1 Hospital Road" },
  [T_REPEAT] = { "HT-0104", CD_CATEGORY_NO_HEAT, FALSE, 2, "Chen Jing", "+86 451 5555 0104", "88 River Street" },
  [T_TRIED] = { "HT-0105", CD_CATEGORY_LOW_TEMPERATURE, FALSE, 0, "Sun Hui", "+86 451 5555 0105", "9 Mill Road" },
  [T_THEIRS] = { "HT-0106", CD_CATEGORY_METER, FALSE, 0, "Zhou Min", "+86 451 5555 0106", "21 Park Avenue" },
  [T_SECOND] = { "HT-0107", CD_CATEGORY_NO_HEAT, FALSE, 0, "Wu Gang", "+86 451 5555 0107", "5 Quay Street" },
  [T_SECOND2] = { "HT-0108", CD_CATEGORY_LEAK, FALSE, 0, "Xu Ying", "+86 451 5555 0108", "17 Station Square" },
  [T_DONE] = { "HT-0109", CD_CATEGORY_NO_HEAT, FALSE, 0, "Ma Lin", "+86 451 5555 0109", "3 Harbour Road" },
};

static void
save_ticket_and_callback (Fixture        *f,
                          CdStore        *store,
                          CdSlaPolicySet *policies,
                          guint           which,
                          gint64          due_in)     /* seconds from now */
{
  const TicketSpec *s = &ticket_specs[which];
  g_autoptr(CdTicket) t = cd_ticket_new ();
  g_autoptr(CdCallback) c = cd_callback_new ();
  CdSlaPolicy *policy;
  gint64 resolved = f->now + due_in - 24 * 3600;

  f->ticket[which] = new_id (CD_RECORD (t));
  t->number = g_strdup (s->number);
  t->channel = CD_CHANNEL_HOTLINE;
  t->category = s->category;
  t->urgency = s->category == CD_CATEGORY_LEAK ? CD_URGENCY_EMERGENCY : CD_URGENCY_URGENT;
  if (!cd_category_get_utility (s->category, &t->utility))
    t->utility = CD_UTILITY_HEAT;
  t->status = CD_TICKET_STATUS_RESOLVED;
  t->customer_name = g_strdup (s->customer);
  t->customer_phone = g_strdup (s->phone);
  t->key_customer = s->key;
  t->duplicate_count = s->duplicates;
  t->address = g_strdup (s->address);
  t->lat = 45.75;
  t->lon = 126.65;
  t->area = g_strdup ("eastbank");
  t->area_class = CD_AREA_CLASS_URBAN;
  t->owner = g_strdup ("d1");
  t->description = g_strdup ("Radiators cold since the morning");
  t->crew_id = g_strdup (f->crew);
  t->assignment_source = CD_ASSIGNMENT_SOURCE_AUTO;
  t->created_at = resolved - 3 * 3600;
  policy = cd_sla_policy_set_lookup (policies, t->category, t->urgency, CD_AREA_CLASS_URBAN);
  if (policy != NULL)
    cd_sla_apply_policy (t, policy, cd_sla_policy_set_get_calendar (policies, policy->calendar));
  t->first_response_at = resolved - 2 * 3600 - 40 * 60;
  t->on_site_at = resolved - 2 * 3600;
  t->resolved_at = resolved;
  t->updated_at = resolved;
  save (store, CD_RECORD (t));

  f->callback[which] = new_id (CD_RECORD (c));
  c->ticket_id = g_strdup (f->ticket[which]);
  c->due_at = f->now + due_in;
  c->priority = s->category == CD_CATEGORY_COMPLAINT ? 90 : s->key ? 80 : s->duplicates > 0 ? 70 : 50;
  c->status = CD_CALLBACK_STATUS_PENDING;
  c->attempts = g_ptr_array_new_with_free_func (g_object_unref);

  switch (which)
    {
    case T_TRIED:
      c->agent = g_strdup ("agent");
      g_ptr_array_add (c->attempts, cd_callback_attempt_new (f->now - 1800, "agent", CD_CALLBACK_OUTCOME_NO_ANSWER,
                                                             "Line busy"));
      break;
    case T_THEIRS:
      c->agent = g_strdup ("agent2");
      g_ptr_array_add (c->attempts, cd_callback_attempt_new (f->now - 900, "agent2", CD_CALLBACK_OUTCOME_NO_ANSWER,
                                                             NULL));
      break;
    case T_SECOND:
    case T_SECOND2:
    case T_DONE:
      c->agent = g_strdup ("agent");
      g_ptr_array_add (c->attempts, cd_callback_attempt_new (resolved + 3600, "agent", CD_CALLBACK_OUTCOME_REACHED,
                                                             NULL));
      c->completed_at = resolved + 3600;
      c->satisfaction = which == T_SECOND ? CD_SATISFACTION_UNSATISFIED : CD_SATISFACTION_SATISFIED;
      c->solved = which != T_SECOND2;
      if (which == T_DONE)
        {
          c->status = CD_CALLBACK_STATUS_DONE;
          break;
        }
      c->status = CD_CALLBACK_STATUS_SECOND_HANDLING;
      c->comment = g_strdup (which == T_SECOND ? "Still cold in the bedroom; the crew left without testing."
                                               : "Satisfied with the crew, but the leak is back.");
      c->second_owner = g_strdup ("manager");
      c->second_opened_at = c->completed_at;
      c->second_deadline = which == T_SECOND ? f->now - 2 * 3600 : f->now + 20 * 3600;
      break;
    default:
      break;
    }
  c->updated_at = f->now;
  save (store, CD_RECORD (c));
}

static void
save_event (Fixture            *f,
            CdStore            *store,
            guint               which,
            CdAssignmentSource  source,
            gint64              at,
            const char         *reason)
{
  g_autoptr(CdAssignmentEvent) e = cd_assignment_event_new ();
  g_autofree char *id = new_id (CD_RECORD (e));

  e->ticket_id = g_strdup (f->ticket[which]);
  e->to_crew = g_strdup (f->crew);
  e->actor = g_strdup (source == CD_ASSIGNMENT_SOURCE_AUTO ? CD_MUTATION_AUTO_DISPATCH_ACTOR : "d1");
  e->at = at;
  e->source = source;
  e->reason = g_strdup (reason);
  if (source == CD_ASSIGNMENT_SOURCE_MANUAL)
    e->proposed_crew = g_uuid_string_random ();
  save (store, CD_RECORD (e));
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
  static const char * const skills[] = { "radiator", NULL };
  CdRole role = GPOINTER_TO_INT (data);
  const char *username = role == CD_ROLE_MANAGER ? "manager" : role == CD_ROLE_CALLBACK_AGENT ? "agent" : "d1";
  g_autoptr(GError) error = NULL;
  g_autoptr(CdSlaPolicySet) policies = cd_sla_policy_set_new_default (&error);
  g_autoptr(CdSyncClient) client = NULL;
  g_autoptr(CdUser) user = cd_user_new ();
  g_autoptr(CdCrew) crew = cd_crew_new ();
  g_autofree char *path = NULL;
  g_autofree char *user_id = NULL;
  CdStore *store;

  g_assert_no_error (error);
  f->now = g_get_real_time () / G_USEC_PER_SEC;
  f->toasts = g_ptr_array_new_with_free_func (g_object_unref);
  f->dir = g_dir_make_tmp ("crewdesk-callbacks-XXXXXX", &error);
  g_assert_no_error (error);
  path = g_build_filename (f->dir, "cache.db", NULL);
  /* Nothing listens there: the engine is never started, changes wait. */
  f->cache = cd_sync_cache_open ("http://127.0.0.1:9", username, path, &error);
  g_assert_no_error (error);

  user_id = new_id (CD_RECORD (user));
  user->username = g_strdup (username);
  user->display_name = g_strdup (role == CD_ROLE_MANAGER ? "Liu Yang" : role == CD_ROLE_CALLBACK_AGENT ? "Zhang Min"
                                                                                                    : "Li Na");
  user->role = role;
  user->active = TRUE;
  g_assert_true (cd_sync_cache_set_user (f->cache, user, &error));
  g_assert_no_error (error);

  store = cd_sync_cache_get_store (f->cache);
  cd_sync_cache_lock (f->cache);
  g_assert_true (cd_store_begin (store, &error));
  save_user (store, "agent", "Zhang Min", CD_ROLE_CALLBACK_AGENT);
  save_user (store, "manager", "Liu Yang", CD_ROLE_MANAGER);
  save_user (store, "lead", "Gao Wei", CD_ROLE_MANAGER);
  save_user (store, "d1", "Li Na", CD_ROLE_DISPATCHER);

  f->crew = new_id (CD_RECORD (crew));
  crew->name = g_strdup ("Heat North");
  crew->utility = CD_UTILITY_HEAT;
  crew->status = CD_CREW_STATUS_AVAILABLE;
  crew->skills = g_strdupv ((char **) skills);
  crew->capacity = 3;
  crew->shift_start = f->now - 3600;
  crew->shift_end = f->now + 10 * 3600;
  crew->lat = 45.76;
  crew->lon = 126.65;
  crew->position_at = f->now - 60;
  crew->updated_at = f->now;
  save (store, CD_RECORD (crew));

  save_ticket_and_callback (f, store, policies, T_LATE, -6 * 3600);
  save_ticket_and_callback (f, store, policies, T_COMPLAINT, 2 * 3600);
  save_ticket_and_callback (f, store, policies, T_KEY, 2 * 3600);
  save_ticket_and_callback (f, store, policies, T_REPEAT, 5 * 3600);
  save_ticket_and_callback (f, store, policies, T_TRIED, 8 * 3600);
  save_ticket_and_callback (f, store, policies, T_THEIRS, 3 * 3600);
  save_ticket_and_callback (f, store, policies, T_SECOND, -30 * 3600);
  save_ticket_and_callback (f, store, policies, T_SECOND2, -3 * 3600);
  save_ticket_and_callback (f, store, policies, T_DONE, -2 * 3600);
  save_event (f, store, T_SECOND, CD_ASSIGNMENT_SOURCE_AUTO, f->now - 57 * 3600, NULL);
  save_event (f, store, T_SECOND, CD_ASSIGNMENT_SOURCE_MANUAL, f->now - 56 * 3600 - 1800,
              "crew-nearby: already on the street");
  g_assert_true (cd_store_commit (store, &error));
  g_assert_no_error (error);
  cd_sync_cache_unlock (f->cache);

  client = cd_sync_client_new ("http://127.0.0.1:9");
  f->engine = cd_sync_engine_new (client, f->cache);
  f->context = cd_context_new (f->engine, policies);
  cd_context_reload (f->context);
  g_signal_connect (f->context, "add-toast", G_CALLBACK (toast_added_cb), f);

  f->window = GTK_WINDOW (gtk_window_new ());
  gtk_window_set_default_size (f->window, 1280, 800);
  f->overlay = ADW_TOAST_OVERLAY (adw_toast_overlay_new ());
  f->view = CD_CALLBACKS_VIEW (cd_callbacks_view_new (f->context));
  adw_toast_overlay_set_child (f->overlay, GTK_WIDGET (f->view));
  gtk_window_set_child (f->window, GTK_WIDGET (f->overlay));
  gtk_window_present (f->window);
  wait_loaded (f);
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
  CdCallbacksCloseDialog *dialog = _cd_callbacks_view_get_close_dialog (f->view);

  if (dialog != NULL)
    gtk_window_destroy (GTK_WINDOW (dialog));
  gtk_window_destroy (f->window);
  cd_test_ui_drain ();
  g_signal_handlers_disconnect_by_data (f->context, f);
  g_clear_object (&f->context);
  g_clear_object (&f->engine);
  g_clear_object (&f->cache);
  g_ptr_array_unref (f->toasts);
  remove_dir (f->dir);
  g_free (f->dir);
  g_free (f->crew);
  for (guint i = 0; i < N_TICKETS; i++)
    {
      g_free (f->ticket[i]);
      g_free (f->callback[i]);
    }
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

/* The callback as the model has it now (the cache, waiting changes on top). */
static CdCallback *
load_callback (Fixture *f,
               guint    which)
{
  g_autoptr(GError) error = NULL;
  CdCallback *callback = cd_sync_cache_load (f->cache, CD_TYPE_CALLBACK, f->callback[which], &error);

  g_assert_no_error (error);
  g_assert_nonnull (callback);
  return callback;
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

/* The ticket numbers of a list, in order, "HT-0101 HT-0102 …". */
static char *
numbers (GtkSingleSelection *selection)
{
  GListModel *model = G_LIST_MODEL (selection);
  g_autoptr(GString) text = g_string_new (NULL);

  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr(CdCallbacksItem) item = g_list_model_get_item (model, i);
      CdTicket *ticket = cd_callbacks_item_get_ticket (item);

      if (text->len > 0)
        g_string_append_c (text, ' ');
      g_string_append (text, ticket != NULL ? ticket->number : "?");
    }
  return g_string_free (g_steal_pointer (&text), FALSE);
}

static void
select_callback (Fixture            *f,
                 GtkSingleSelection *selection,
                 guint               which)
{
  guint position = cd_callbacks_find (G_LIST_MODEL (selection), f->callback[which]);

  g_assert_cmpuint (position, !=, G_MAXUINT);
  gtk_single_selection_set_selected (selection, position);
  cd_test_ui_drain ();
}

static gboolean
contains (GtkSingleSelection *selection,
          const char         *callback_id)
{
  return cd_callbacks_find (G_LIST_MODEL (selection), callback_id) != G_MAXUINT;
}

static CdCallbacksRow *
find_row (GtkWidget  *widget,
          const char *callback_id)
{
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      CdCallbacksRow *found;

      if (CD_IS_CALLBACKS_ROW (child) && cd_callbacks_row_get_item (CD_CALLBACKS_ROW (child)) != NULL &&
          g_strcmp0 (cd_callbacks_item_get_id (cd_callbacks_row_get_item (CD_CALLBACKS_ROW (child))), callback_id) == 0)
        return CD_CALLBACKS_ROW (child);
      if ((found = find_row (child, callback_id)) != NULL)
        return found;
    }
  return NULL;
}

static void
text_read_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  char **text = user_data;
  g_autoptr(GError) error = NULL;

  *text = gdk_clipboard_read_text_finish (GDK_CLIPBOARD (source), result, &error);
  g_assert_no_error (error);
}

static void
record (Fixture    *f,
        gint        outcome,
        gint        satisfaction,
        gint        solved,
        const char *comment,
        const char *owner)
{
  CdCallbacksForm form;

  cd_callbacks_form_init (&form);
  form.outcome = outcome;
  form.satisfaction = satisfaction;
  form.solved = solved;
  form.comment = comment;
  form.owner = owner;
  _cd_callbacks_view_fill_form (f->view, &form);
  g_assert_true (gtk_widget_get_sensitive (_cd_callbacks_view_get_record_button (f->view)));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->view), "callbacks.record", NULL));
  wait_loaded (f);
}

/* Tests ------------------------------------------------------------------------- */

static void
test_queue_order (Fixture       *f,
                  gconstpointer  data)
{
  GtkSingleSelection *queue = _cd_callbacks_view_get_queue (f->view);
  g_autofree char *by_due = NULL;
  g_autofree char *by_priority = NULL;
  g_autofree char *review = NULL;

  /* An agent starts on the queue: their own and nobody's callbacks, the
   * overdue first, then by due time, complaints before key customers at
   * the same time. A colleague's and the finished ones are not there. */
  g_assert_cmpstr (_cd_callbacks_view_get_page (f->view), ==, "queue");
  by_due = numbers (queue);
  g_assert_cmpstr (by_due, ==, "HT-0101 HT-0102 HT-0103 HT-0104 HT-0105");
  review = numbers (_cd_callbacks_view_get_review (f->view));
  g_assert_cmpstr (review, ==, "HT-0107 HT-0108");

  /* The first is selected, its form shown; its phone is one action away
   * from the clipboard. */
  g_assert_cmpuint (gtk_single_selection_get_selected (queue), ==, 0);
  {
    g_autofree char *text = NULL;

    g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->view), "callbacks.copy-phone", NULL));
    gdk_clipboard_read_text_async (gtk_widget_get_clipboard (GTK_WIDGET (f->view)), NULL, text_read_cb, &text);
    while (text == NULL)
      g_main_context_iteration (NULL, TRUE);
    g_assert_cmpstr (text, ==, "+86 451 5555 0101");
    g_assert_cmpstr (adw_toast_get_title (last_toast (f)), ==, "Phone number copied");
  }

  /* Priority first: complaint, key customer, repeat, then the rest by due time. */
  _cd_callbacks_view_set_sort (f->view, CD_CALLBACK_QUEUE_SORT_PRIORITY);
  cd_test_ui_drain ();
  by_priority = numbers (queue);
  g_assert_cmpstr (by_priority, ==, "HT-0102 HT-0103 HT-0104 HT-0101 HT-0105");
  _cd_callbacks_view_set_sort (f->view, CD_CALLBACK_QUEUE_SORT_DUE);
  cd_test_ui_drain ();
  g_clear_pointer (&by_due, g_free);
  by_due = numbers (queue);
  g_assert_cmpstr (by_due, ==, "HT-0101 HT-0102 HT-0103 HT-0104 HT-0105");

  /* A bound row counts down with the context's clock. */
  cd_test_ui_wait_for_frame (GTK_WIDGET (f->window));
  {
    CdCallbacksRow *row = find_row (GTK_WIDGET (f->view), f->callback[T_COMPLAINT]);
    CdCallbacksRow *late = find_row (GTK_WIDGET (f->view), f->callback[T_LATE]);

    g_assert_nonnull (row);
    g_assert_nonnull (late);
    assert_contains (cd_callbacks_row_get_due (row), "in 2 h");
    g_assert_true (gtk_widget_has_css_class (GTK_WIDGET (late), "overdue"));
    g_assert_false (gtk_widget_has_css_class (GTK_WIDGET (row), "overdue"));
    g_signal_emit_by_name (f->context, "tick", f->now + 3 * 3600);
    assert_contains (cd_callbacks_row_get_due (row), "overdue");
    g_assert_true (gtk_widget_has_css_class (GTK_WIDGET (row), "overdue"));
  }
}

static void
test_manager_sees_all (Fixture       *f,
                       gconstpointer  data)
{
  g_autofree char *queue = numbers (_cd_callbacks_view_get_queue (f->view));

  /* A manager starts on the review, and the queue holds every agent's. */
  g_assert_cmpstr (_cd_callbacks_view_get_page (f->view), ==, "review");
  g_assert_cmpstr (queue, ==, "HT-0101 HT-0102 HT-0103 HT-0106 HT-0104 HT-0105");
}

static void
test_unreachable (Fixture       *f,
                  gconstpointer  data)
{
  GtkSingleSelection *queue = _cd_callbacks_view_get_queue (f->view);
  g_autoptr(CdCallback) before = NULL;
  g_autoptr(CdCallback) after = NULL;
  g_autofree char *mutation = NULL;

  before = load_callback (f, T_REPEAT);
  g_assert_cmpint (before->status, ==, CD_CALLBACK_STATUS_PENDING);

  select_callback (f, queue, T_REPEAT);
  record (f, CD_CALLBACK_OUTCOME_NO_ANSWER, 0, -1, "No one home", NULL);
  g_assert_cmpint (pending (f), ==, 1);
  g_assert_cmpstr (adw_toast_get_title (last_toast (f)), ==, "No answer for HT-0104; 2 attempts left");
  mutation = last_mutation (f);
  assert_contains (mutation, "\"op\":\"callback.record\"");
  assert_contains (mutation, "\"outcome\":\"no-answer\"");
  assert_contains (mutation, "\"note\":\"No one home\"");
  /* Still in the queue, still selected, the attempt counted, the form empty. */
  g_assert_true (contains (queue, f->callback[T_REPEAT]));
  {
    CdCallbacksItem *item = gtk_single_selection_get_selected_item (queue);

    g_assert_cmpstr (cd_callbacks_item_get_id (item), ==, f->callback[T_REPEAT]);
    g_assert_cmpuint (cd_callback_count_failed_attempts (cd_callbacks_item_get_callback (item)), ==, 1);
  }
  g_assert_false (gtk_widget_get_sensitive (_cd_callbacks_view_get_record_button (f->view)));

  record (f, CD_CALLBACK_OUTCOME_WRONG_NUMBER, 0, -1, NULL, NULL);
  g_assert_cmpstr (adw_toast_get_title (last_toast (f)), ==, "Wrong number for HT-0104; 1 attempt left");
  g_assert_true (contains (queue, f->callback[T_REPEAT]));

  record (f, CD_CALLBACK_OUTCOME_NO_ANSWER, 0, -1, NULL, NULL);
  g_assert_cmpint (pending (f), ==, 3);
  g_assert_cmpstr (adw_toast_get_title (last_toast (f)), ==,
                   "Customer of HT-0104 marked unreachable after 3 failed attempts");
  /* Out of the queue; the model agrees. */
  g_assert_false (contains (queue, f->callback[T_REPEAT]));
  after = load_callback (f, T_REPEAT);
  g_assert_cmpint (after->status, ==, CD_CALLBACK_STATUS_UNREACHABLE);
  g_assert_cmpuint (after->attempts->len, ==, 3);
  /* The next one is selected, with a fresh form. */
  g_assert_nonnull (gtk_single_selection_get_selected_item (queue));
}

static void
test_second_handling (Fixture       *f,
                      gconstpointer  data)
{
  GtkSingleSelection *queue = _cd_callbacks_view_get_queue (f->view);
  GtkSingleSelection *review = _cd_callbacks_view_get_review (f->view);
  g_autoptr(CdCallback) after = NULL;
  g_autofree char *mutation = NULL;
  CdCallbacksForm form;

  select_callback (f, queue, T_COMPLAINT);

  /* Only the fields that apply: nothing about feelings on a wrong number,
   * no owner for a happy customer. */
  cd_callbacks_form_init (&form);
  _cd_callbacks_view_fill_form (f->view, &form);
  g_assert_cmpint (_cd_callbacks_view_get_fields (f->view), ==, CD_CALLBACKS_FIELD_COMMENT);
  form.outcome = CD_CALLBACK_OUTCOME_WRONG_NUMBER;
  _cd_callbacks_view_fill_form (f->view, &form);
  g_assert_cmpint (_cd_callbacks_view_get_fields (f->view), ==, CD_CALLBACKS_FIELD_COMMENT);
  form.outcome = CD_CALLBACK_OUTCOME_REACHED;
  form.satisfaction = CD_SATISFACTION_SATISFIED;
  _cd_callbacks_view_fill_form (f->view, &form);
  g_assert_cmpint (_cd_callbacks_view_get_fields (f->view), ==,
                   CD_CALLBACKS_FIELD_COMMENT | CD_CALLBACKS_FIELD_SATISFACTION | CD_CALLBACKS_FIELD_SOLVED);
  /* Solved not answered: not yet. */
  g_assert_false (gtk_widget_get_sensitive (_cd_callbacks_view_get_record_button (f->view)));
  assert_contains (gtk_widget_get_tooltip_text (_cd_callbacks_view_get_record_button (f->view)),
                   "whether the problem is solved");

  form.satisfaction = CD_SATISFACTION_UNSATISFIED;
  _cd_callbacks_view_fill_form (f->view, &form);
  g_assert_cmpint (_cd_callbacks_view_get_fields (f->view), ==,
                   CD_CALLBACKS_FIELD_COMMENT | CD_CALLBACKS_FIELD_SATISFACTION | CD_CALLBACKS_FIELD_SOLVED |
                   CD_CALLBACKS_FIELD_OWNER);

  record (f, CD_CALLBACK_OUTCOME_REACHED, CD_SATISFACTION_UNSATISFIED, 1, "Crew was rude", "manager");
  g_assert_cmpint (pending (f), ==, 1);
  g_assert_cmpstr (adw_toast_get_title (last_toast (f)), ==,
                   "Callback for HT-0102 recorded; second handling opened for Liu Yang");
  mutation = last_mutation (f);
  assert_contains (mutation, "\"outcome\":\"reached\"");
  assert_contains (mutation, "\"satisfaction\":\"unsatisfied\"");
  assert_contains (mutation, "\"solved\":true");
  assert_contains (mutation, "\"comment\":\"Crew was rude\"");
  assert_contains (mutation, "\"owner\":\"manager\"");

  /* It leaves the queue and shows in the review. */
  g_assert_false (contains (queue, f->callback[T_COMPLAINT]));
  g_assert_true (contains (review, f->callback[T_COMPLAINT]));
  after = load_callback (f, T_COMPLAINT);
  g_assert_cmpint (after->status, ==, CD_CALLBACK_STATUS_SECOND_HANDLING);
  g_assert_cmpstr (after->second_owner, ==, "manager");

  /* Another owner can be chosen; a satisfied but unsolved one opens it too. */
  select_callback (f, queue, T_KEY);
  record (f, CD_CALLBACK_OUTCOME_REACHED, CD_SATISFACTION_SATISFIED, 0, NULL, "lead");
  g_assert_cmpstr (adw_toast_get_title (last_toast (f)), ==,
                   "Callback for HT-0103 recorded; second handling opened for Gao Wei");
  g_clear_pointer (&mutation, g_free);
  mutation = last_mutation (f);
  assert_contains (mutation, "\"owner\":\"lead\"");
  g_assert_true (contains (review, f->callback[T_KEY]));

  /* A happy, solved one is simply done. */
  select_callback (f, queue, T_LATE);
  record (f, CD_CALLBACK_OUTCOME_REACHED, CD_SATISFACTION_NEUTRAL, 1, NULL, NULL);
  g_assert_cmpstr (adw_toast_get_title (last_toast (f)), ==, "Callback for HT-0101 recorded");
  g_clear_pointer (&mutation, g_free);
  mutation = last_mutation (f);
  g_assert_null (strstr (mutation, "\"owner\""));
  g_assert_false (contains (queue, f->callback[T_LATE]));
  g_assert_false (contains (review, f->callback[T_LATE]));
}

static void
test_close (Fixture       *f,
            gconstpointer  data)
{
  GtkSingleSelection *review = _cd_callbacks_view_get_review (f->view);
  CdCallbacksCloseDialog *dialog;
  g_autofree char *mutation = NULL;
  g_autoptr(CdCallback) after = NULL;
  GtkListBox *history;
  guint rows = 0;

  /* The overdue one first, selected, its history read. */
  g_assert_cmpstr (_cd_callbacks_view_get_page (f->view), ==, "review");
  {
    CdCallbacksItem *item = gtk_single_selection_get_selected_item (review);

    g_assert_nonnull (item);
    g_assert_cmpstr (cd_callbacks_item_get_id (item), ==, f->callback[T_SECOND]);
  }
  wait_history (f);
  history = _cd_callbacks_view_get_history (f->view);
  for (GtkWidget *row = gtk_widget_get_first_child (GTK_WIDGET (history)); row != NULL;
       row = gtk_widget_get_next_sibling (row))
    rows++;
  /* Created, two assignments, first response, on site, resolved, the
   * callback (overdue, reached), second handling opened and overdue. */
  g_assert_cmpuint (rows, >=, 9);
  {
    /* Newest first: the missed deadline leads. */
    GtkWidget *first = gtk_widget_get_first_child (GTK_WIDGET (history));

    g_assert_true (ADW_IS_ACTION_ROW (first));
    g_assert_cmpstr (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (first)), ==, "Second handling overdue");
    g_assert_true (gtk_widget_has_css_class (first, "callbacks-alert"));
  }

  /* Closing asks for a conclusion; an empty one cannot be given. */
  g_assert_true (gtk_widget_get_sensitive (_cd_callbacks_view_get_close_button (f->view)));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->view), "callbacks.close", NULL));
  dialog = _cd_callbacks_view_get_close_dialog (f->view);
  g_assert_nonnull (dialog);
  g_assert_false (adw_message_dialog_get_response_enabled (ADW_MESSAGE_DIALOG (dialog), "close"));
  cd_callbacks_close_dialog_set_conclusion (dialog, "  \n ");
  g_assert_false (adw_message_dialog_get_response_enabled (ADW_MESSAGE_DIALOG (dialog), "close"));
  cd_test_ui_save_screenshot (GTK_WIDGET (dialog), "callbacks-close-dialog");

  /* Forced anyway: refused, nothing sent, the manager told why. */
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (dialog), "close");
  cd_test_ui_drain ();
  g_assert_cmpint (pending (f), ==, 0);
  assert_contains (adw_toast_get_title (last_toast (f)), "Write the conclusion");
  g_assert_true (contains (review, f->callback[T_SECOND]));
  g_assert_null (_cd_callbacks_view_get_close_dialog (f->view));

  /* Cancelled: nothing either. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->view), "callbacks.close", NULL));
  dialog = _cd_callbacks_view_get_close_dialog (f->view);
  cd_callbacks_close_dialog_set_conclusion (dialog, "Not yet");
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  cd_test_ui_drain ();
  g_assert_cmpint (pending (f), ==, 0);

  /* With a conclusion. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->view), "callbacks.close", NULL));
  dialog = _cd_callbacks_view_get_close_dialog (f->view);
  cd_callbacks_close_dialog_set_conclusion (dialog, "Crew returned, bled the radiators; customer confirmed warm.");
  g_assert_true (adw_message_dialog_get_response_enabled (ADW_MESSAGE_DIALOG (dialog), "close"));
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (dialog), "close");
  wait_loaded (f);
  g_assert_cmpint (pending (f), ==, 1);
  mutation = last_mutation (f);
  assert_contains (mutation, "\"op\":\"callback.close\"");
  assert_contains (mutation, "\"conclusion\":\"Crew returned, bled the radiators; customer confirmed warm.\"");
  g_assert_cmpstr (adw_toast_get_title (last_toast (f)), ==, "Second handling of HT-0107 closed");
  g_assert_false (contains (review, f->callback[T_SECOND]));
  after = load_callback (f, T_SECOND);
  g_assert_cmpint (after->status, ==, CD_CALLBACK_STATUS_CLOSED);
  g_assert_cmpstr (after->reviewed_by, ==, "manager");
}

static void
test_roles (Fixture       *f,
            gconstpointer  data)
{
  CdRole role = GPOINTER_TO_INT (data);
  GtkWidget *record_button = _cd_callbacks_view_get_record_button (f->view);
  GtkWidget *close_button = _cd_callbacks_view_get_close_button (f->view);
  CdCallbacksForm form;

  /* A complete form. */
  cd_callbacks_form_init (&form);
  form.outcome = CD_CALLBACK_OUTCOME_NO_ANSWER;
  _cd_callbacks_view_fill_form (f->view, &form);

  if (role == CD_ROLE_DISPATCHER)
    {
      g_assert_false (gtk_widget_get_sensitive (record_button));
      assert_contains (gtk_widget_get_tooltip_text (record_button), "Only these roles may record callbacks");
      /* The action refuses too. */
      gtk_widget_activate_action (GTK_WIDGET (f->view), "callbacks.record", NULL);
      cd_test_ui_drain ();
      g_assert_cmpint (pending (f), ==, 0);
    }
  else
    g_assert_true (gtk_widget_get_sensitive (record_button));

  _cd_callbacks_view_set_page (f->view, "review");
  cd_test_ui_drain ();
  if (role == CD_ROLE_MANAGER)
    g_assert_true (gtk_widget_get_sensitive (close_button));
  else
    {
      g_assert_false (gtk_widget_get_sensitive (close_button));
      assert_contains (gtk_widget_get_tooltip_text (close_button), "Only these roles may close second handling");
      gtk_widget_activate_action (GTK_WIDGET (f->view), "callbacks.close", NULL);
      g_assert_null (_cd_callbacks_view_get_close_dialog (f->view));
    }
}

static void
test_screenshots (Fixture       *f,
                  gconstpointer  data)
{
  AdwStyleManager *style = adw_style_manager_get_default ();
  CdRole role = GPOINTER_TO_INT (data);
  const char *who = role == CD_ROLE_MANAGER ? "manager" : "agent";
  g_autofree char *queue_name = g_strdup_printf ("callbacks-queue-%s", who);
  g_autofree char *queue_dark = g_strdup_printf ("callbacks-queue-%s-dark", who);
  g_autofree char *review_name = g_strdup_printf ("callbacks-review-%s", who);
  g_autofree char *review_dark = g_strdup_printf ("callbacks-review-%s-dark", who);
  CdCallbacksForm form;
  double varied;

  /* The queue with a form half filled: reached, unsatisfied, so the owner
   * shows. */
  _cd_callbacks_view_set_page (f->view, "queue");
  select_callback (f, _cd_callbacks_view_get_queue (f->view), T_TRIED);
  cd_callbacks_form_init (&form);
  form.outcome = CD_CALLBACK_OUTCOME_REACHED;
  form.satisfaction = CD_SATISFACTION_UNSATISFIED;
  form.solved = 0;
  form.comment = "Still cold in the kitchen";
  _cd_callbacks_view_fill_form (f->view, &form);
  varied = cd_test_ui_save_screenshot (GTK_WIDGET (f->window), queue_name);
  g_assert_cmpfloat (varied, >, 0.05);
  adw_style_manager_set_color_scheme (style, ADW_COLOR_SCHEME_FORCE_DARK);
  varied = cd_test_ui_save_screenshot (GTK_WIDGET (f->window), queue_dark);
  g_assert_cmpfloat (varied, >, 0.05);
  adw_style_manager_set_color_scheme (style, ADW_COLOR_SCHEME_DEFAULT);

  _cd_callbacks_view_set_page (f->view, "review");
  cd_test_ui_drain ();
  wait_history (f);
  varied = cd_test_ui_save_screenshot (GTK_WIDGET (f->window), review_name);
  g_assert_cmpfloat (varied, >, 0.05);
  adw_style_manager_set_color_scheme (style, ADW_COLOR_SCHEME_FORCE_DARK);
  varied = cd_test_ui_save_screenshot (GTK_WIDGET (f->window), review_dark);
  g_assert_cmpfloat (varied, >, 0.05);
  adw_style_manager_set_color_scheme (style, ADW_COLOR_SCHEME_DEFAULT);

  /* Narrow: the list alone, then the detail with a way back. */
  if (role == CD_ROLE_CALLBACK_AGENT)
    {
      GtkWindow *narrow = GTK_WINDOW (gtk_window_new ());
      g_autoptr(GtkWidget) overlay = g_object_ref (GTK_WIDGET (f->overlay));

      _cd_callbacks_view_set_page (f->view, "queue");
      gtk_window_set_child (f->window, NULL);
      gtk_window_set_default_size (narrow, 400, 1000);
      gtk_window_set_child (narrow, overlay);
      gtk_window_present (narrow);
      cd_test_ui_wait_for_frame (GTK_WIDGET (narrow));
      cd_test_ui_save_screenshot (GTK_WIDGET (narrow), "callbacks-queue-narrow");
      /* Folded: the list first; choosing with the arrow keys stays there. */
      g_assert_false (_cd_callbacks_view_is_folded_on_detail (f->view));
      select_callback (f, _cd_callbacks_view_get_queue (f->view), T_KEY);
      g_assert_false (_cd_callbacks_view_is_folded_on_detail (f->view));
      _cd_callbacks_view_activate (f->view, "queue",
                                   cd_callbacks_find (G_LIST_MODEL (_cd_callbacks_view_get_queue (f->view)),
                                                      f->callback[T_COMPLAINT]));
      cd_test_ui_drain ();
      form.comment = NULL;
      _cd_callbacks_view_fill_form (f->view, &form);
      g_assert_true (_cd_callbacks_view_is_folded_on_detail (f->view));
      cd_test_ui_save_screenshot (GTK_WIDGET (narrow), "callbacks-queue-narrow-detail");
      gtk_window_set_child (narrow, NULL);
      gtk_window_destroy (narrow);
      gtk_window_set_child (f->window, overlay);
    }
}

static void
test_empty (Fixture       *f,
            gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  CdStore *store = cd_sync_cache_get_store (f->cache);
  AdwStyleManager *style = adw_style_manager_get_default ();

  /* Every callback done: the queue says there is nothing to call. */
  cd_sync_cache_lock (f->cache);
  g_assert_true (cd_store_begin (store, &error));
  for (guint i = 0; i < N_TICKETS; i++)
    {
      g_autoptr(CdCallback) c = cd_store_load (store, CD_TYPE_CALLBACK, f->callback[i], &error);

      g_assert_no_error (error);
      c->status = CD_CALLBACK_STATUS_CLOSED;
      CD_RECORD (c)->version++;
      CD_RECORD (c)->rev = 10 + i;
      save (store, CD_RECORD (c));
    }
  g_assert_true (cd_store_commit (store, &error));
  cd_sync_cache_unlock (f->cache);
  cd_context_reload (f->context);
  wait_loaded (f);

  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (_cd_callbacks_view_get_queue (f->view))), ==, 0);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (_cd_callbacks_view_get_review (f->view))), ==, 0);
  g_assert_false (gtk_widget_get_sensitive (_cd_callbacks_view_get_record_button (f->view)));
  cd_test_ui_save_screenshot (GTK_WIDGET (f->window), "callbacks-empty");
  adw_style_manager_set_color_scheme (style, ADW_COLOR_SCHEME_FORCE_DARK);
  cd_test_ui_save_screenshot (GTK_WIDGET (f->window), "callbacks-empty-dark");
  adw_style_manager_set_color_scheme (style, ADW_COLOR_SCHEME_DEFAULT);
}

int
main (int   argc,
      char *argv[])
{
  gconstpointer agent = GINT_TO_POINTER (CD_ROLE_CALLBACK_AGENT);
  gconstpointer manager = GINT_TO_POINTER (CD_ROLE_MANAGER);
  gconstpointer dispatcher = GINT_TO_POINTER (CD_ROLE_DISPATCHER);

  g_test_init (&argc, &argv, NULL);
  gtk_init ();
  adw_init ();
  /* Screenshots show the end of transitions, not their first frame. */
  g_object_set (gtk_settings_get_default (), "gtk-enable-animations", FALSE, NULL);
  cd_model_init ();

  g_test_add ("/callbacks/queue-order", Fixture, agent, fixture_set_up, test_queue_order, fixture_tear_down);
  g_test_add ("/callbacks/manager-sees-all", Fixture, manager, fixture_set_up, test_manager_sees_all,
              fixture_tear_down);
  g_test_add ("/callbacks/unreachable", Fixture, agent, fixture_set_up, test_unreachable, fixture_tear_down);
  g_test_add ("/callbacks/second-handling", Fixture, agent, fixture_set_up, test_second_handling, fixture_tear_down);
  g_test_add ("/callbacks/close", Fixture, manager, fixture_set_up, test_close, fixture_tear_down);
  g_test_add ("/callbacks/roles/dispatcher", Fixture, dispatcher, fixture_set_up, test_roles, fixture_tear_down);
  g_test_add ("/callbacks/roles/agent", Fixture, agent, fixture_set_up, test_roles, fixture_tear_down);
  g_test_add ("/callbacks/roles/manager", Fixture, manager, fixture_set_up, test_roles, fixture_tear_down);
  g_test_add ("/callbacks/screenshots/agent", Fixture, agent, fixture_set_up, test_screenshots, fixture_tear_down);
  g_test_add ("/callbacks/screenshots/manager", Fixture, manager, fixture_set_up, test_screenshots,
              fixture_tear_down);
  g_test_add ("/callbacks/empty", Fixture, agent, fixture_set_up, test_empty, fixture_tear_down);

  return g_test_run ();
}
