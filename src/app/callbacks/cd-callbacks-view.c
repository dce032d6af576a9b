/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "cd-style.h"
#include "cd-callbacks-private.h"
#include "cd-format.h"

/* What a read of the cache brings back. */
typedef struct {
  GPtrArray *callbacks;  /* every callback on the model */
  GPtrArray *tickets;    /* the tickets of the queued and reviewed ones */
  GPtrArray *users;      /* CdUser, for owners and names; may be empty */
} Snapshot;

struct _CdCallbacksView
{
  GtkWidget               parent_instance;

  CdContext              *context;
  GCancellable           *cancellable;
  gboolean                load_running;
  gboolean                load_again;
  guint                   loads_started;
  gboolean                loaded;
  gboolean                page_chosen;

  GPtrArray              *callbacks;
  GPtrArray              *tickets;
  GPtrArray              *users;

  GListStore             *queue_store;
  GListStore             *review_store;
  GtkSingleSelection     *queue_selection;
  GtkSingleSelection     *review_selection;
  gboolean                filling;        /* the form is being set, not typed in */
  char                   *form_id;        /* the callback the form was reset for */
  char                   *submitted_id;   /* recorded, until a read started after it shows it */
  guint                   submitted_after; /* loads_started when it was recorded */

  GPtrArray              *owner_usernames;
  GtkStringList          *owner_names;

  GCancellable           *history_cancellable;
  char                   *history_id;     /* the callback whose history is shown */
  gboolean                history_loading;

  CdCallbacksCloseDialog *close_dialog;   /* weak */
  gulong                  tick_id;

  /* Template */
  AdwViewStack           *pages;
  AdwViewStackPage       *queue_page;
  AdwViewStackPage       *review_page;
  AdwLeaflet             *queue_leaflet;
  AdwLeaflet             *review_leaflet;
  GtkLabel               *queue_count;
  GtkLabel               *queue_overdue;
  GtkDropDown            *sort_dropdown;
  GtkStack               *queue_stack;
  GtkSpinner             *queue_spinner;
  GtkSpinner             *review_spinner;
  GtkSpinner             *history_spinner;
  GtkListView            *queue_list;
  GtkButton              *queue_back;
  GtkStack               *queue_detail_stack;
  GtkLabel               *queue_customer;
  GtkLabel               *queue_phone;
  GtkLabel               *queue_ticket;
  GtkBox                 *queue_marks;
  GtkLabel               *queue_due;
  AdwPreferencesGroup    *attempts_group;
  GtkListBox             *attempts_list;
  GtkBox                 *form_box;
  GtkToggleButton        *reached_button;
  GtkToggleButton        *no_answer_button;
  GtkToggleButton        *wrong_number_button;
  AdwPreferencesGroup    *satisfaction_group;
  GtkToggleButton        *satisfied_button;
  GtkToggleButton        *neutral_button;
  GtkToggleButton        *unsatisfied_button;
  AdwPreferencesGroup    *solved_group;
  GtkToggleButton        *solved_yes_button;
  GtkToggleButton        *solved_no_button;
  AdwEntryRow            *comment_row;
  AdwPreferencesGroup    *owner_group;
  AdwComboRow            *owner_row;
  GtkWidget              *record_separator;
  GtkWidget              *record_bar;
  GtkButton              *record_button;
  GtkLabel               *form_hint;
  GtkLabel               *review_count;
  GtkLabel               *review_overdue;
  GtkStack               *review_stack;
  GtkListView            *review_list;
  GtkButton              *review_back;
  GtkStack               *review_detail_stack;
  GtkLabel               *review_customer;
  GtkLabel               *review_phone;
  GtkLabel               *review_ticket;
  GtkBox                 *review_marks;
  GtkButton              *close_button;
  AdwActionRow           *review_owner_row;
  AdwActionRow           *review_deadline_row;
  GtkLabel               *review_deadline;
  AdwActionRow           *review_outcome_row;
  AdwActionRow           *review_comment_row;
  GtkLabel               *close_hint;
  GtkStack               *history_stack;
  GtkListBox             *history_list;
};

G_DEFINE_FINAL_TYPE (CdCallbacksView, cd_callbacks_view, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_CONTEXT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void start_load (CdCallbacksView *self);
static void show_queue_item (CdCallbacksView *self);
static void show_review_item (CdCallbacksView *self);

/* Helpers -------------------------------------------------------------------- */

static void
snapshot_free (Snapshot *snap)
{
  g_clear_pointer (&snap->callbacks, g_ptr_array_unref);
  g_clear_pointer (&snap->tickets, g_ptr_array_unref);
  g_clear_pointer (&snap->users, g_ptr_array_unref);
  g_free (snap);
}

static CdUser *
get_user (CdCallbacksView *self)
{
  return self->context != NULL ? cd_context_get_user (self->context) : NULL;
}

static void
toast (CdCallbacksView *self,
       const char      *title)
{
  AdwToast *t = adw_toast_new (title);

  /* Sentences can be long; the toast shows them whole. */
  adw_toast_set_timeout (t, 8);
  cd_context_add_toast (self->context, t);
}

static CdCallbacksItem *
selected_item (GtkSingleSelection *selection)
{
  return gtk_single_selection_get_selected_item (selection);
}

/* How people read a username: "Liu Yang", or the username itself. */
static const char *
user_display (CdCallbacksView *self,
              const char      *username)
{
  for (guint i = 0; username != NULL && self->users != NULL && i < self->users->len; i++)
    {
      CdUser *user = g_ptr_array_index (self->users, i);

      if (g_strcmp0 (user->username, username) == 0 && user->display_name != NULL && *user->display_name != '\0')
        return user->display_name;
    }
  return username != NULL ? username : "";
}

static char *
ticket_line (CdTicket *ticket)
{
  if (ticket == NULL)
    return g_strdup (_("The ticket is not in the local copy yet."));
  /* Translators: ticket number, category and address, "HT-0001 · No heat · 12 Elm Road" */
  return g_strdup_printf (_("%s · %s · %s"), ticket->number != NULL ? ticket->number : "",
                          cd_format_category (ticket->category), ticket->address != NULL ? ticket->address : "");
}

static void
clear_box (GtkWidget *box)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (box)) != NULL)
    {
      if (GTK_IS_LIST_BOX (box))
        gtk_list_box_remove (GTK_LIST_BOX (box), child);
      else
        gtk_box_remove (GTK_BOX (box), child);
    }
}

static void
add_badge (GtkBox     *box,
           const char *text,
           const char *css_class)
{
  GtkWidget *label = gtk_label_new (text);

  gtk_widget_add_css_class (label, "callbacks-badge");
  gtk_widget_add_css_class (label, css_class);
  gtk_box_append (box, label);
}

static void
fill_marks (GtkBox   *box,
            CdTicket *ticket)
{
  CdCallbacksMarks marks = cd_callbacks_marks (ticket);

  clear_box (GTK_WIDGET (box));
  if (marks & CD_CALLBACKS_MARK_COMPLAINT)
    add_badge (box, _("Complaint"), "complaint");
  if (marks & CD_CALLBACKS_MARK_KEY)
    add_badge (box, _("Key customer"), "key");
  if (marks & CD_CALLBACKS_MARK_REPEAT)
    add_badge (box, _("Repeat report"), "repeat");
}

static void
set_state_class (GtkWidget           *widget,
                 CdCallbacksDeadline  state)
{
  gtk_widget_remove_css_class (widget, "error");
  gtk_widget_remove_css_class (widget, "warning");
  if (state == CD_CALLBACKS_DEADLINE_OVERDUE)
    gtk_widget_add_css_class (widget, "error");
  else if (state == CD_CALLBACKS_DEADLINE_SOON)
    gtk_widget_add_css_class (widget, "warning");
}

static void
navigate_to_detail (AdwLeaflet *leaflet)
{
  if (adw_leaflet_get_folded (leaflet))
    adw_leaflet_set_visible_child_name (leaflet, "detail");
}

/* Owners ----------------------------------------------------------------------- */

/* Who may own second handling: active people (not crew devices),
 * managers first. */
static const char *
display_name (CdUser *user)
{
  return user->display_name != NULL && *user->display_name != '\0' ? user->display_name : user->username;
}

static gint
compare_owners (gconstpointer a,
                gconstpointer b)
{
  CdUser *ua = *(CdUser **) a;
  CdUser *ub = *(CdUser **) b;
  gint cmp;

  if ((ua->role == CD_ROLE_MANAGER) != (ub->role == CD_ROLE_MANAGER))
    return ua->role == CD_ROLE_MANAGER ? -1 : 1;
  if ((cmp = g_utf8_collate (display_name (ua), display_name (ub))) != 0)
    return cmp;
  return g_strcmp0 (ua->username, ub->username);
}

static guint
default_owner (CdCallbacksView *self)
{
  for (guint i = 0; i < self->owner_usernames->len; i++)
    if (g_strcmp0 (g_ptr_array_index (self->owner_usernames, i), CD_MUTATION_DEFAULT_SECOND_OWNER) == 0)
      return i;
  /* Managers come first. */
  return 0;
}

static void
update_owners (CdCallbacksView *self)
{
  g_autoptr(GPtrArray) owners = g_ptr_array_new ();
  g_autoptr(GPtrArray) usernames = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  gboolean same;

  for (guint i = 0; self->users != NULL && i < self->users->len; i++)
    {
      CdUser *user = g_ptr_array_index (self->users, i);

      if (user->active && user->username != NULL && user->role != CD_ROLE_CREW_DEVICE &&
          g_strcmp0 (user->username, CD_MUTATION_AUTO_DISPATCH_ACTOR) != 0)
        g_ptr_array_add (owners, user);
    }
  g_ptr_array_sort (owners, compare_owners);

  for (guint i = 0; i < owners->len; i++)
    {
      CdUser *user = g_ptr_array_index (owners, i);

      g_ptr_array_add (usernames, g_strdup (user->username));
      /* Translators: a person and their role, "Liu Yang (Manager)" */
      g_ptr_array_add (names, g_strdup_printf (_("%s (%s)"), user_display (self, user->username),
                                               cd_format_role (user->role)));
    }
  /* Nobody known yet (a cache without the user list): the server's
   * default owner. */
  if (usernames->len == 0)
    {
      g_ptr_array_add (usernames, g_strdup (CD_MUTATION_DEFAULT_SECOND_OWNER));
      g_ptr_array_add (names, g_strdup (CD_MUTATION_DEFAULT_SECOND_OWNER));
    }

  same = usernames->len == self->owner_usernames->len;
  for (guint i = 0; same && i < usernames->len; i++)
    same = g_str_equal (usernames->pdata[i], self->owner_usernames->pdata[i]);
  if (same)
    return;

  g_ptr_array_add (names, NULL);
  self->filling = TRUE;
  g_ptr_array_set_size (self->owner_usernames, 0);
  g_ptr_array_extend_and_steal (self->owner_usernames, g_steal_pointer (&usernames));
  gtk_string_list_splice (self->owner_names, 0, g_list_model_get_n_items (G_LIST_MODEL (self->owner_names)),
                          (const char * const *) names->pdata);
  adw_combo_row_set_selected (self->owner_row, default_owner (self));
  self->filling = FALSE;
}

static const char *
selected_owner (CdCallbacksView *self)
{
  guint i = adw_combo_row_get_selected (self->owner_row);

  return i < self->owner_usernames->len ? g_ptr_array_index (self->owner_usernames, i) : NULL;
}

/* The form ------------------------------------------------------------------------ */

static void
read_form (CdCallbacksView *self,
           CdCallbacksForm *form)
{
  cd_callbacks_form_init (form);

  if (gtk_toggle_button_get_active (self->reached_button))
    form->outcome = CD_CALLBACK_OUTCOME_REACHED;
  else if (gtk_toggle_button_get_active (self->no_answer_button))
    form->outcome = CD_CALLBACK_OUTCOME_NO_ANSWER;
  else if (gtk_toggle_button_get_active (self->wrong_number_button))
    form->outcome = CD_CALLBACK_OUTCOME_WRONG_NUMBER;

  if (gtk_toggle_button_get_active (self->satisfied_button))
    form->satisfaction = CD_SATISFACTION_SATISFIED;
  else if (gtk_toggle_button_get_active (self->neutral_button))
    form->satisfaction = CD_SATISFACTION_NEUTRAL;
  else if (gtk_toggle_button_get_active (self->unsatisfied_button))
    form->satisfaction = CD_SATISFACTION_UNSATISFIED;

  if (gtk_toggle_button_get_active (self->solved_yes_button))
    form->solved = 1;
  else if (gtk_toggle_button_get_active (self->solved_no_button))
    form->solved = 0;

  form->comment = gtk_editable_get_text (GTK_EDITABLE (self->comment_row));
  form->owner = selected_owner (self);
}

static void
reset_form (CdCallbacksView *self)
{
  GtkToggleButton *toggles[] = {
    self->reached_button, self->no_answer_button, self->wrong_number_button,
    self->satisfied_button, self->neutral_button, self->unsatisfied_button,
    self->solved_yes_button, self->solved_no_button,
  };

  self->filling = TRUE;
  for (guint i = 0; i < G_N_ELEMENTS (toggles); i++)
    gtk_toggle_button_set_active (toggles[i], FALSE);
  gtk_editable_set_text (GTK_EDITABLE (self->comment_row), "");
  adw_combo_row_set_selected (self->owner_row, default_owner (self));
  self->filling = FALSE;
}

/* Shows the fields that apply, says what is missing or what recording
 * will do, and enables "Record" when the answers are complete. */
static void
update_form (CdCallbacksView *self)
{
  CdCallbacksItem *item = selected_item (self->queue_selection);
  g_autofree char *not_allowed = cd_callbacks_why_not_allowed (get_user (self), CD_MUTATION_OP_CALLBACK_RECORD);
  g_autoptr(JsonObject) args = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *prediction = NULL;
  CdCallbacksFields fields;
  CdCallbacksForm form;
  const char *hint = NULL;
  gboolean waiting;

  read_form (self, &form);
  fields = cd_callbacks_form_fields (&form);
  gtk_widget_set_visible (GTK_WIDGET (self->satisfaction_group), (fields & CD_CALLBACKS_FIELD_SATISFACTION) != 0);
  gtk_widget_set_visible (GTK_WIDGET (self->solved_group), (fields & CD_CALLBACKS_FIELD_SOLVED) != 0);
  gtk_widget_set_visible (GTK_WIDGET (self->owner_group), (fields & CD_CALLBACKS_FIELD_OWNER) != 0);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->comment_row),
                                 form.outcome == CD_CALLBACK_OUTCOME_REACHED ? _("Comment")
                                 : form.outcome >= 0 ? _("Note on the attempt") : _("Comment"));
  gtk_widget_set_sensitive (GTK_WIDGET (self->form_box), not_allowed == NULL);

  args = cd_callbacks_form_build_args (&form, &error);
  waiting = item != NULL && g_strcmp0 (self->submitted_id, cd_callbacks_item_get_id (item)) == 0;

  if (not_allowed != NULL)
    hint = not_allowed;
  else if (waiting)
    hint = _("Recorded. Waiting for the queue to update…");
  else if (args == NULL)
    hint = error->message;
  else if (item != NULL)
    hint = prediction = cd_callbacks_result_hint (cd_callbacks_predict (cd_callbacks_item_get_callback (item), &form, NULL),
                                                  user_display (self, form.owner));

  gtk_label_set_label (self->form_hint, hint != NULL ? hint : "");
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->record_button),
                               args == NULL || not_allowed != NULL ? hint : _("Record Callback (Ctrl+Enter)"));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "callbacks.record",
                                 item != NULL && args != NULL && not_allowed == NULL && !waiting);
}

/* The queue's detail ---------------------------------------------------------------- */

static void
update_queue_header (CdCallbacksView *self,
                     gint64           now)
{
  GListModel *model = G_LIST_MODEL (self->queue_store);
  guint n = g_list_model_get_n_items (model);
  guint overdue = 0;
  g_autofree char *count = NULL;
  g_autofree char *late = NULL;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(CdCallbacksItem) item = g_list_model_get_item (model, i);

      if (now > cd_callbacks_item_get_callback (item)->due_at)
        overdue++;
    }

  /* Translators: the length of the callback queue */
  count = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u callback to make", "%u callbacks to make", n), n);
  gtk_label_set_label (self->queue_count, count);
  if (overdue > 0)
    /* Translators: how many callbacks are past their due time */
    late = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u overdue", "%u overdue", overdue), overdue);
  gtk_label_set_label (self->queue_overdue, late != NULL ? late : _("None overdue"));
  if (overdue > 0)
    {
      gtk_widget_add_css_class (GTK_WIDGET (self->queue_overdue), "error");
      gtk_widget_remove_css_class (GTK_WIDGET (self->queue_overdue), "dim-label");
    }
  else
    {
      gtk_widget_remove_css_class (GTK_WIDGET (self->queue_overdue), "error");
      gtk_widget_add_css_class (GTK_WIDGET (self->queue_overdue), "dim-label");
    }
  adw_view_stack_page_set_badge_number (self->queue_page, n);
}

static void
update_queue_due (CdCallbacksView *self,
                  gint64           now)
{
  CdCallbacksItem *item = selected_item (self->queue_selection);
  CdCallback *callback;
  CdTicket *ticket;
  g_autofree char *due = NULL;
  g_autofree char *when = NULL;
  g_autofree char *text = NULL;

  if (item == NULL)
    return;

  callback = cd_callbacks_item_get_callback (item);
  ticket = cd_callbacks_item_get_ticket (item);
  due = cd_callbacks_format_due (callback->due_at, now);
  when = cd_format_time (callback->due_at, now);
  /* Translators: when the callback is due, then the countdown, "Call back by 15:17 · in 8 h 00 min" */
  text = g_strdup_printf (_("Call back by %s · %s"), when, due);
  gtk_label_set_label (self->queue_due, text);
  set_state_class (GTK_WIDGET (self->queue_due),
                   cd_callbacks_deadline_state (ticket != NULL ? ticket->resolved_at : 0, callback->due_at, now));
}

static void
fill_attempts (CdCallbacksView *self,
               CdCallback      *callback,
               gint64           now)
{
  guint n = callback->attempts != NULL ? callback->attempts->len : 0;
  g_autofree char *label = cd_callbacks_attempts_label (cd_callback_count_failed_attempts (callback),
                                                        cd_callback_attempts_left (callback));

  adw_preferences_group_set_description (self->attempts_group, label);
  clear_box (GTK_WIDGET (self->attempts_list));
  for (guint i = 0; i < n; i++)
    {
      CdCallbackAttempt *attempt = g_ptr_array_index (callback->attempts, i);
      GtkWidget *row = adw_action_row_new ();
      g_autofree char *when = cd_format_time (attempt->at, now);
      g_autofree char *subtitle = NULL;

      if (attempt->note != NULL && *attempt->note != '\0')
        /* Translators: when, who, and their note, "10:02 · Zhang Min · busy line" */
        subtitle = g_strdup_printf (_("%s · %s · %s"), when, user_display (self, attempt->agent), attempt->note);
      else
        /* Translators: when and who, "10:02 · Zhang Min" */
        subtitle = g_strdup_printf (_("%s · %s"), when, user_display (self, attempt->agent));
      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), cd_callbacks_outcome_label (attempt->outcome));
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
      adw_action_row_add_prefix (ADW_ACTION_ROW (row), gtk_image_new_from_icon_name ("call-outgoing-symbolic"));
      gtk_list_box_append (self->attempts_list, row);
    }
  gtk_widget_set_visible (GTK_WIDGET (self->attempts_group), n > 0);
}

static void
show_queue_item (CdCallbacksView *self)
{
  CdCallbacksItem *item = selected_item (self->queue_selection);
  CdCallback *callback;
  CdTicket *ticket;
  g_autofree char *line = NULL;
  gint64 now;

  gtk_widget_set_visible (self->record_separator, item != NULL);
  gtk_widget_set_visible (self->record_bar, item != NULL);
  if (item == NULL)
    {
      gtk_stack_set_visible_child_name (self->queue_detail_stack, "none");
      g_clear_pointer (&self->form_id, g_free);
      update_form (self);
      return;
    }

  callback = cd_callbacks_item_get_callback (item);
  ticket = cd_callbacks_item_get_ticket (item);
  now = cd_context_get_now (self->context);
  gtk_stack_set_visible_child_name (self->queue_detail_stack, "form");

  /* Another callback: a fresh form. The same one updated: the answers
   * stay. */
  if (g_strcmp0 (self->form_id, cd_callbacks_item_get_id (item)) != 0)
    {
      g_free (self->form_id);
      self->form_id = g_strdup (cd_callbacks_item_get_id (item));
      reset_form (self);
    }

  gtk_label_set_label (self->queue_customer,
                       ticket != NULL && ticket->customer_name != NULL ? ticket->customer_name : _("Unknown customer"));
  gtk_label_set_label (self->queue_phone,
                       ticket != NULL && ticket->customer_phone != NULL ? ticket->customer_phone : _("No phone number"));
  line = ticket_line (ticket);
  gtk_label_set_label (self->queue_ticket, line);
  fill_marks (self->queue_marks, ticket);
  update_queue_due (self, now);
  fill_attempts (self, callback, now);
  update_form (self);
}

/* The review's detail --------------------------------------------------------------- */

static void
update_review_header (CdCallbacksView *self,
                      gint64           now)
{
  GListModel *model = G_LIST_MODEL (self->review_store);
  guint n = g_list_model_get_n_items (model);
  guint overdue = 0;
  g_autofree char *count = NULL;
  g_autofree char *late = NULL;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(CdCallbacksItem) item = g_list_model_get_item (model, i);
      CdCallback *callback = cd_callbacks_item_get_callback (item);

      if (callback->second_deadline != 0 && now > callback->second_deadline)
        overdue++;
    }

  /* Translators: how many second handlings are open */
  count = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u second handling open", "%u second handlings open", n), n);
  gtk_label_set_label (self->review_count, count);
  if (overdue > 0)
    /* Translators: how many second handlings are past their deadline */
    late = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u past the deadline", "%u past the deadline", overdue),
                            overdue);
  gtk_label_set_label (self->review_overdue, late != NULL ? late : _("None past the deadline"));
  if (overdue > 0)
    {
      gtk_widget_add_css_class (GTK_WIDGET (self->review_overdue), "error");
      gtk_widget_remove_css_class (GTK_WIDGET (self->review_overdue), "dim-label");
    }
  else
    {
      gtk_widget_remove_css_class (GTK_WIDGET (self->review_overdue), "error");
      gtk_widget_add_css_class (GTK_WIDGET (self->review_overdue), "dim-label");
    }
  adw_view_stack_page_set_badge_number (self->review_page, n);
  adw_view_stack_page_set_needs_attention (self->review_page, overdue > 0);
}

static void
update_review_deadline (CdCallbacksView *self,
                        gint64           now)
{
  CdCallbacksItem *item = selected_item (self->review_selection);
  CdCallback *callback;
  g_autofree char *due = NULL;
  g_autofree char *when = NULL;

  if (item == NULL)
    return;

  callback = cd_callbacks_item_get_callback (item);
  if (callback->second_deadline == 0)
    {
      adw_action_row_set_subtitle (self->review_deadline_row, _("No deadline"));
      gtk_label_set_label (self->review_deadline, "");
      return;
    }
  due = cd_callbacks_format_due (callback->second_deadline, now);
  when = cd_format_time (callback->second_deadline, now);
  adw_action_row_set_subtitle (self->review_deadline_row, when);
  gtk_label_set_label (self->review_deadline, due);
  set_state_class (GTK_WIDGET (self->review_deadline),
                   cd_callbacks_deadline_state (callback->second_opened_at, callback->second_deadline, now));
}

static void
update_review_actions (CdCallbacksView *self)
{
  g_autofree char *not_allowed = cd_callbacks_why_not_allowed (get_user (self), CD_MUTATION_OP_CALLBACK_CLOSE);
  CdCallbacksItem *item = selected_item (self->review_selection);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "callbacks.close", item != NULL && not_allowed == NULL);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->close_button),
                               not_allowed != NULL ? not_allowed : _("Close the second handling with a conclusion"));
  gtk_label_set_label (self->close_hint, not_allowed != NULL ? not_allowed : "");
  gtk_widget_set_visible (GTK_WIDGET (self->close_hint), not_allowed != NULL);
}

static GHashTable *
crew_names (CdCallbacksView *self)
{
  GListModel *crews = cd_context_get_crews (self->context);
  GHashTable *names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  guint n = g_list_model_get_n_items (crews);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(CdCrew) crew = g_list_model_get_item (crews, i);

      g_hash_table_insert (names, g_strdup (cd_record_get_id (CD_RECORD (crew))), g_strdup (crew->name));
    }
  return names;
}

static void
fill_history (CdCallbacksView *self,
              CdCallbacksItem *item,
              GPtrArray       *events)
{
  CdTicket *ticket = cd_callbacks_item_get_ticket (item);
  gint64 now = cd_context_get_now (self->context);
  g_autoptr(GHashTable) names = crew_names (self);
  g_autoptr(GArray) history = NULL;

  clear_box (GTK_WIDGET (self->history_list));
  gtk_stack_set_visible_child_name (self->history_stack, "list");
  if (ticket == NULL)
    return;

  history = cd_history_build (ticket, events, self->callbacks, cd_context_get_policies (self->context), now);
  /* Newest first: the reason for the review is at the top. */
  for (guint i = history->len; i > 0; i--)
    {
      const CdHistoryEntry *entry = &g_array_index (history, CdHistoryEntry, i - 1);
      g_autofree char *title = cd_callbacks_history_title (entry, names);
      g_autofree char *when = cd_format_time (entry->at, now);
      g_autofree char *subtitle = cd_callbacks_history_subtitle (entry, when,
                                                                 entry->actor != NULL ? user_display (self, entry->actor)
                                                                                      : NULL);
      GtkWidget *row = adw_action_row_new ();
      GtkWidget *icon = gtk_image_new_from_icon_name (cd_callbacks_history_icon (entry->kind));

      gtk_widget_add_css_class (icon, "callbacks-history-icon");
      if (cd_callbacks_history_is_alert (entry))
        {
          gtk_widget_add_css_class (icon, "error");
          gtk_widget_add_css_class (row, "callbacks-alert");
        }
      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
      adw_action_row_add_prefix (ADW_ACTION_ROW (row), icon);
      gtk_list_box_append (self->history_list, row);
    }
}

static void
history_loaded_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(CdCallbacksView) self = user_data;
  g_autoptr(GPtrArray) events = NULL;
  g_autoptr(GError) error = NULL;
  CdCallbacksItem *item;

  events = cd_context_list_all_finish (CD_CONTEXT (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  self->history_loading = FALSE;
  if (events == NULL)
    g_warning ("Could not read the assignment history: %s", error->message);

  item = selected_item (self->review_selection);
  if (item != NULL && g_strcmp0 (cd_callbacks_item_get_id (item), self->history_id) == 0)
    fill_history (self, item, events);
}

/* Reads the assignment events (in a worker thread) and shows the history
 * of the selected item; a running read for another item is dropped. */
static void
load_history (CdCallbacksView *self,
              CdCallbacksItem *item)
{
  if (g_strcmp0 (self->history_id, cd_callbacks_item_get_id (item)) != 0)
    {
      g_free (self->history_id);
      self->history_id = g_strdup (cd_callbacks_item_get_id (item));
      clear_box (GTK_WIDGET (self->history_list));
      gtk_stack_set_visible_child_name (self->history_stack, "loading");
    }

  g_cancellable_cancel (self->history_cancellable);
  g_clear_object (&self->history_cancellable);
  self->history_cancellable = g_cancellable_new ();
  self->history_loading = TRUE;
  cd_context_list_all_async (self->context, CD_TYPE_ASSIGNMENT_EVENT, self->history_cancellable,
                             history_loaded_cb, g_object_ref (self));
}

static void
show_review_item (CdCallbacksView *self)
{
  CdCallbacksItem *item = selected_item (self->review_selection);
  CdCallback *callback;
  CdTicket *ticket;
  g_autofree char *line = NULL;
  g_autofree char *owner = NULL;
  g_autofree char *outcome = NULL;
  g_autofree char *when = NULL;
  gint64 now;

  update_review_actions (self);
  if (item == NULL)
    {
      gtk_stack_set_visible_child_name (self->review_detail_stack, "none");
      g_clear_pointer (&self->history_id, g_free);
      return;
    }

  callback = cd_callbacks_item_get_callback (item);
  ticket = cd_callbacks_item_get_ticket (item);
  now = cd_context_get_now (self->context);
  gtk_stack_set_visible_child_name (self->review_detail_stack, "detail");

  gtk_label_set_label (self->review_customer,
                       ticket != NULL && ticket->customer_name != NULL ? ticket->customer_name : _("Unknown customer"));
  gtk_label_set_label (self->review_phone,
                       ticket != NULL && ticket->customer_phone != NULL ? ticket->customer_phone : "");
  line = ticket_line (ticket);
  gtk_label_set_label (self->review_ticket, line);

  fill_marks (self->review_marks, ticket);
  if (callback->satisfaction == CD_SATISFACTION_UNSATISFIED)
    add_badge (self->review_marks, _("Unsatisfied"), "unhappy");
  if (!callback->solved)
    add_badge (self->review_marks, _("Not solved"), "unhappy");

  if (callback->second_owner != NULL && g_strcmp0 (user_display (self, callback->second_owner), callback->second_owner) != 0)
    /* Translators: a person's name and username, "Liu Yang (manager)" */
    owner = g_strdup_printf (_("%s (%s)"), user_display (self, callback->second_owner), callback->second_owner);
  else
    owner = g_strdup (callback->second_owner != NULL ? callback->second_owner : _("Nobody"));
  adw_action_row_set_subtitle (self->review_owner_row, owner);
  update_review_deadline (self, now);

  when = cd_format_time (callback->completed_at, now);
  /* Translators: the callback's outcome, "Unsatisfied, not solved · 14:05 · Zhang Min" */
  outcome = g_strdup_printf (_("%s, %s · %s · %s"), cd_callbacks_satisfaction_label (callback->satisfaction),
                             callback->solved ? _("solved") : _("not solved"), when,
                             user_display (self, callback->agent));
  adw_action_row_set_subtitle (self->review_outcome_row, outcome);
  adw_action_row_set_subtitle (self->review_comment_row, callback->comment != NULL ? callback->comment : "");
  gtk_widget_set_visible (GTK_WIDGET (self->review_comment_row),
                          callback->comment != NULL && *callback->comment != '\0');

  if (g_strcmp0 (adw_view_stack_get_visible_child_name (self->pages), "review") == 0)
    load_history (self, item);
}

/* Loading -------------------------------------------------------------------------- */

/* A spinner until the first read; one status page for an empty list
 * (not a second one for an empty detail beside it). */
static void
update_stacks (CdCallbacksView *self)
{
  if (!self->loaded)
    return;
  gtk_stack_set_visible_child_name (self->queue_stack,
                                    g_list_model_get_n_items (G_LIST_MODEL (self->queue_store)) > 0 ? "content" : "empty");
  gtk_stack_set_visible_child_name (self->review_stack,
                                    g_list_model_get_n_items (G_LIST_MODEL (self->review_store)) > 0 ? "content" : "empty");
}

static void
merge_into (GListStore *store,
            GArray     *items,
            gsize       item_size,
            gsize       callback_offset,
            gsize       ticket_offset)
{
  g_autoptr(GPtrArray) callbacks = g_ptr_array_new ();
  g_autoptr(GPtrArray) tickets = g_ptr_array_new ();

  for (guint i = 0; i < items->len; i++)
    {
      const guint8 *item = (const guint8 *) items->data + i * item_size;

      g_ptr_array_add (callbacks, *(gpointer *) (item + callback_offset));
      g_ptr_array_add (tickets, *(gpointer *) (item + ticket_offset));
    }
  cd_callbacks_merge (store, callbacks, tickets);
}

/* The queue and the review from the last read, in the chosen order. */
static void
rebuild (CdCallbacksView *self)
{
  CdCallbackQueueOptions options;
  g_autoptr(GArray) queue = NULL;
  g_autoptr(GArray) review = NULL;
  gint64 now = cd_context_get_now (self->context);
  CdCallbackQueueSort sort = gtk_drop_down_get_selected (self->sort_dropdown) == 1 ? CD_CALLBACK_QUEUE_SORT_PRIORITY
                                                                                   : CD_CALLBACK_QUEUE_SORT_DUE;

  if (self->callbacks == NULL)
    return;

  cd_callbacks_queue_options (get_user (self), sort, &options);
  queue = cd_callback_queue_build (self->callbacks, self->tickets, now, &options);
  review = cd_callback_review_list (self->callbacks, self->tickets, now);

  merge_into (self->queue_store, queue, sizeof (CdCallbackQueueItem),
              G_STRUCT_OFFSET (CdCallbackQueueItem, callback), G_STRUCT_OFFSET (CdCallbackQueueItem, ticket));
  merge_into (self->review_store, review, sizeof (CdReviewItem),
              G_STRUCT_OFFSET (CdReviewItem, callback), G_STRUCT_OFFSET (CdReviewItem, ticket));

  update_stacks (self);
  update_queue_header (self, now);
  update_review_header (self, now);
  show_queue_item (self);
  show_review_item (self);
}

static void
load_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  CdSyncCache *cache = task_data;
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  GError *error = NULL;
  Snapshot *snap = g_new0 (Snapshot, 1);

  snap->callbacks = cd_sync_cache_list_all (cache, CD_TYPE_CALLBACK, &error);
  if (snap->callbacks == NULL)
    {
      snapshot_free (snap);
      g_task_return_error (task, error);
      return;
    }

  /* Only the tickets of what the view shows: reading every ticket ever
   * (cd_context_list_all_async) would decode the whole history on every
   * change. */
  snap->tickets = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < snap->callbacks->len; i++)
    {
      CdCallback *callback = g_ptr_array_index (snap->callbacks, i);
      CdTicket *ticket;

      if (callback->status != CD_CALLBACK_STATUS_PENDING && callback->status != CD_CALLBACK_STATUS_SECOND_HANDLING)
        continue;
      if (callback->ticket_id == NULL || g_hash_table_contains (seen, callback->ticket_id))
        continue;
      g_hash_table_add (seen, callback->ticket_id);
      ticket = cd_sync_cache_load (cache, CD_TYPE_TICKET, callback->ticket_id, &error);
      if (ticket != NULL)
        g_ptr_array_add (snap->tickets, ticket);
      else if (error != NULL)
        {
          snapshot_free (snap);
          g_task_return_error (task, error);
          return;
        }
    }

  /* The user list is a nicety: names and owners. */
  snap->users = cd_sync_cache_list_all (cache, CD_TYPE_USER, NULL);
  if (snap->users == NULL)
    snap->users = g_ptr_array_new_with_free_func (g_object_unref);

  g_task_return_pointer (task, snap, (GDestroyNotify) snapshot_free);
}

static void
choose_first_page (CdCallbacksView *self)
{
  CdUser *user = get_user (self);

  if (self->page_chosen || user == NULL)
    return;
  self->page_chosen = TRUE;
  adw_view_stack_set_visible_child_name (self->pages, cd_callbacks_first_page (user));
}

static void
load_done_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  CdCallbacksView *self = CD_CALLBACKS_VIEW (source);
  g_autoptr(GError) error = NULL;
  Snapshot *snap;
  guint serial;

  snap = g_task_propagate_pointer (G_TASK (result), &error);
  if (snap == NULL && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  self->load_running = FALSE;
  serial = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (result), "serial"));
  if (snap == NULL)
    g_warning ("Could not read the callbacks from the local cache: %s", error->message);
  else
    {
      g_clear_pointer (&self->callbacks, g_ptr_array_unref);
      g_clear_pointer (&self->tickets, g_ptr_array_unref);
      g_clear_pointer (&self->users, g_ptr_array_unref);
      self->callbacks = g_steal_pointer (&snap->callbacks);
      self->tickets = g_steal_pointer (&snap->tickets);
      self->users = g_steal_pointer (&snap->users);
      snapshot_free (snap);

      self->loaded = TRUE;
      /* A read that started before the recording may not show it. */
      if (serial > self->submitted_after)
        g_clear_pointer (&self->submitted_id, g_free);
      choose_first_page (self);
      update_owners (self);
      rebuild (self);
    }

  if (self->load_again)
    {
      self->load_again = FALSE;
      start_load (self);
    }
}

/* Coalesces: at most one read runs, and one more is queued behind it. */
static void
start_load (CdCallbacksView *self)
{
  g_autoptr(GTask) task = NULL;

  if (self->load_running)
    {
      self->load_again = TRUE;
      return;
    }

  self->load_running = TRUE;
  task = g_task_new (self, self->cancellable, load_done_cb, NULL);
  g_object_set_data (G_OBJECT (task), "serial", GUINT_TO_POINTER (++self->loads_started));
  g_task_set_source_tag (task, start_load);
  g_task_set_task_data (task, g_object_ref (cd_context_get_cache (self->context)), g_object_unref);
  g_task_run_in_thread (task, load_thread);
}

/* Signal callbacks ---------------------------------------------------------- */

static void
reloaded_cb (CdContext       *context,
             CdCallbacksView *self)
{
  start_load (self);
}

static void
tick_cb (CdContext       *context,
         gint64           now,
         CdCallbacksView *self)
{
  update_queue_header (self, now);
  update_review_header (self, now);
  update_queue_due (self, now);
  update_review_deadline (self, now);
}

/* A new selection shows its detail; on a narrow window the detail page
 * opens only on activation (a click, Enter), so the arrow keys still
 * browse the list. */
static void
queue_selection_cb (CdCallbacksView *self)
{
  show_queue_item (self);
}

static void
review_selection_cb (CdCallbacksView *self)
{
  show_review_item (self);
}

static void
queue_activated_cb (CdCallbacksView *self,
                    guint            position)
{
  gtk_single_selection_set_selected (self->queue_selection, position);
  navigate_to_detail (self->queue_leaflet);
  /* Straight on to the answers, from the keyboard. */
  gtk_widget_grab_focus (GTK_WIDGET (self->reached_button));
}

static void
review_activated_cb (CdCallbacksView *self,
                     guint            position)
{
  gtk_single_selection_set_selected (self->review_selection, position);
  navigate_to_detail (self->review_leaflet);
}

static void
back_clicked_cb (CdCallbacksView *self,
                 GtkButton       *button)
{
  adw_leaflet_navigate (button == self->queue_back ? self->queue_leaflet : self->review_leaflet,
                        ADW_NAVIGATION_DIRECTION_BACK);
}

static void
folded_changed_cb (CdCallbacksView *self)
{
  if (self->queue_back == NULL || self->review_back == NULL)
    return;
  gtk_widget_set_visible (GTK_WIDGET (self->queue_back), adw_leaflet_get_folded (self->queue_leaflet));
  gtk_widget_set_visible (GTK_WIDGET (self->review_back), adw_leaflet_get_folded (self->review_leaflet));
}

static void
form_changed_cb (CdCallbacksView *self)
{
  /* Not while the template is being built, nor while the form is set. */
  if (self->context != NULL && !self->filling)
    update_form (self);
}

static void
comment_activated_cb (CdCallbacksView *self)
{
  gtk_widget_activate_action (GTK_WIDGET (self), "callbacks.record", NULL);
}

static void
sort_changed_cb (CdCallbacksView *self)
{
  if (self->context != NULL)
    rebuild (self);
}

static void
page_changed_cb (CdCallbacksView *self)
{
  CdCallbacksItem *item;

  if (self->context == NULL)
    return;
  item = selected_item (self->review_selection);
  /* The history is read when it is about to be seen. */
  if (item != NULL && g_strcmp0 (adw_view_stack_get_visible_child_name (self->pages), "review") == 0 &&
      g_strcmp0 (self->history_id, cd_callbacks_item_get_id (item)) != 0)
    load_history (self, item);
}

/* Submits callback.close with the dialog's conclusion; refuses an empty
 * one (the button is disabled then, but a response can come from
 * elsewhere). */
static void
close_with (CdCallbacksView        *self,
            CdCallbacksCloseDialog *dialog)
{
  const char *id = g_object_get_data (G_OBJECT (dialog), "callback-id");
  CdTicket *ticket = g_object_get_data (G_OBJECT (dialog), "ticket");
  g_autofree char *conclusion = NULL;
  g_autofree char *message = NULL;
  g_autoptr(JsonObject) args = NULL;
  g_autoptr(GError) error = NULL;

  conclusion = cd_callbacks_close_dialog_dup_conclusion (dialog);
  args = cd_callbacks_close_args (conclusion, &error);
  if (args == NULL)
    {
      toast (self, error->message);
      return;
    }
  if (!cd_context_submit (self->context, CD_MUTATION_OP_CALLBACK_CLOSE, id, -1, g_steal_pointer (&args), NULL, &error))
    {
      toast (self, error->message);
      return;
    }
  /* Translators: %s is a ticket number */
  message = g_strdup_printf (_("Second handling of %s closed"),
                             ticket != NULL && ticket->number != NULL ? ticket->number : "");
  toast (self, message);
}

static void
close_response_cb (CdCallbacksCloseDialog *dialog,
                   const char             *response,
                   CdCallbacksView        *self)
{
  if (g_strcmp0 (response, "close") == 0)
    close_with (self, dialog);
  gtk_window_destroy (GTK_WINDOW (dialog));
}

/* Actions -------------------------------------------------------------------------- */

static void
record_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  CdCallbacksView *self = CD_CALLBACKS_VIEW (widget);
  CdCallbacksItem *item = selected_item (self->queue_selection);
  g_autoptr(JsonObject) args = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *message = NULL;
  g_autofree char *owner = NULL;
  g_autoptr(CdTicket) ticket = NULL;
  CdCallbacksResult result;
  CdCallbacksForm form;
  guint left = 0;

  if (item == NULL)
    return;

  read_form (self, &form);
  args = cd_callbacks_form_build_args (&form, &error);
  if (args == NULL)
    {
      toast (self, error->message);
      return;
    }

  /* What it will do, by the model's rules, said before the item changes. */
  result = cd_callbacks_predict (cd_callbacks_item_get_callback (item), &form, &left);
  owner = g_strdup (user_display (self, form.owner));
  ticket = cd_callbacks_item_get_ticket (item) != NULL ? g_object_ref (cd_callbacks_item_get_ticket (item)) : NULL;

  g_free (self->submitted_id);
  self->submitted_id = g_strdup (cd_callbacks_item_get_id (item));
  self->submitted_after = self->loads_started;
  if (!cd_context_submit (self->context, CD_MUTATION_OP_CALLBACK_RECORD, self->submitted_id, -1,
                          g_steal_pointer (&args), NULL, &error))
    {
      g_clear_pointer (&self->submitted_id, g_free);
      toast (self, error->message);
      update_form (self);
      return;
    }

  message = cd_callbacks_record_message (ticket, result, form.outcome, left, owner);
  toast (self, message);
  /* The next attempt starts from an empty form. */
  g_clear_pointer (&self->form_id, g_free);
  show_queue_item (self);
}

static void
close_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  CdCallbacksView *self = CD_CALLBACKS_VIEW (widget);
  CdCallbacksItem *item = selected_item (self->review_selection);
  GtkRoot *root = gtk_widget_get_root (widget);
  CdCallbacksCloseDialog *dialog;
  CdTicket *ticket;

  if (item == NULL || self->close_dialog != NULL)
    return;

  ticket = cd_callbacks_item_get_ticket (item);
  dialog = cd_callbacks_close_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL, ticket);
  g_object_set_data_full (G_OBJECT (dialog), "callback-id", g_strdup (cd_callbacks_item_get_id (item)), g_free);
  if (ticket != NULL)
    g_object_set_data_full (G_OBJECT (dialog), "ticket", g_object_ref (ticket), g_object_unref);
  g_signal_connect_object (dialog, "response", G_CALLBACK (close_response_cb), self, 0);
  self->close_dialog = dialog;
  g_object_add_weak_pointer (G_OBJECT (dialog), (gpointer *) &self->close_dialog);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
copy_phone_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  CdCallbacksView *self = CD_CALLBACKS_VIEW (widget);
  gboolean review = g_strcmp0 (adw_view_stack_get_visible_child_name (self->pages), "review") == 0;
  CdCallbacksItem *item = selected_item (review ? self->review_selection : self->queue_selection);
  CdTicket *ticket = item != NULL ? cd_callbacks_item_get_ticket (item) : NULL;

  if (ticket == NULL || ticket->customer_phone == NULL)
    return;
  gdk_clipboard_set_text (gtk_widget_get_clipboard (widget), ticket->customer_phone);
  toast (self, _("Phone number copied"));
}

static void
show_page_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  CdCallbacksView *self = CD_CALLBACKS_VIEW (widget);

  adw_view_stack_set_visible_child_name (self->pages, g_variant_get_string (parameter, NULL));
}

/* Overrides ----------------------------------------------------------------------- */

static void
cd_callbacks_view_map (GtkWidget *widget)
{
  CdCallbacksView *self = CD_CALLBACKS_VIEW (widget);

  GTK_WIDGET_CLASS (cd_callbacks_view_parent_class)->map (widget);
  /* Countdowns only while someone can see them. */
  if (self->tick_id == 0)
    self->tick_id = g_signal_connect (self->context, "tick", G_CALLBACK (tick_cb), self);
  tick_cb (self->context, cd_context_get_now (self->context), self);
}

static void
cd_callbacks_view_unmap (GtkWidget *widget)
{
  CdCallbacksView *self = CD_CALLBACKS_VIEW (widget);

  g_clear_signal_handler (&self->tick_id, self->context);
  GTK_WIDGET_CLASS (cd_callbacks_view_parent_class)->unmap (widget);
}

static void
cd_callbacks_view_constructed (GObject *object)
{
  CdCallbacksView *self = CD_CALLBACKS_VIEW (object);

  G_OBJECT_CLASS (cd_callbacks_view_parent_class)->constructed (object);

  g_assert (self->context != NULL);
  g_signal_connect_object (self->context, "reloaded", G_CALLBACK (reloaded_cb), self, 0);
  choose_first_page (self);
  update_form (self);
  update_review_actions (self);
  start_load (self);
}

static void
cd_callbacks_view_dispose (GObject *object)
{
  CdCallbacksView *self = CD_CALLBACKS_VIEW (object);
  GtkWidget *child;

  g_cancellable_cancel (self->cancellable);
  g_cancellable_cancel (self->history_cancellable);
  if (self->context != NULL)
    g_clear_signal_handler (&self->tick_id, self->context);
  if (self->close_dialog != NULL)
    {
      g_object_remove_weak_pointer (G_OBJECT (self->close_dialog), (gpointer *) &self->close_dialog);
      gtk_window_destroy (GTK_WINDOW (self->close_dialog));
      self->close_dialog = NULL;
    }
  if (self->queue_selection != NULL)
    g_signal_handlers_disconnect_by_data (self->queue_selection, self);
  if (self->review_selection != NULL)
    g_signal_handlers_disconnect_by_data (self->review_selection, self);

  gtk_widget_dispose_template (GTK_WIDGET (self), CD_TYPE_CALLBACKS_VIEW);
  /* Template children without an id are not cleared by the above. */
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);

  g_clear_object (&self->queue_selection);
  g_clear_object (&self->review_selection);
  g_clear_object (&self->queue_store);
  g_clear_object (&self->review_store);
  g_clear_object (&self->owner_names);
  g_clear_pointer (&self->callbacks, g_ptr_array_unref);
  g_clear_pointer (&self->tickets, g_ptr_array_unref);
  g_clear_pointer (&self->users, g_ptr_array_unref);
  g_clear_object (&self->context);

  G_OBJECT_CLASS (cd_callbacks_view_parent_class)->dispose (object);
}

static void
cd_callbacks_view_finalize (GObject *object)
{
  CdCallbacksView *self = CD_CALLBACKS_VIEW (object);

  g_clear_object (&self->cancellable);
  g_clear_object (&self->history_cancellable);
  g_ptr_array_unref (self->owner_usernames);
  g_free (self->form_id);
  g_free (self->submitted_id);
  g_free (self->history_id);

  G_OBJECT_CLASS (cd_callbacks_view_parent_class)->finalize (object);
}

static void
cd_callbacks_view_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  CdCallbacksView *self = CD_CALLBACKS_VIEW (object);

  switch (prop_id)
    {
    case PROP_CONTEXT:
      g_value_set_object (value, self->context);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cd_callbacks_view_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  CdCallbacksView *self = CD_CALLBACKS_VIEW (object);

  switch (prop_id)
    {
    case PROP_CONTEXT:
      self->context = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cd_callbacks_view_class_init (CdCallbacksViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = cd_callbacks_view_constructed;
  object_class->dispose = cd_callbacks_view_dispose;
  object_class->finalize = cd_callbacks_view_finalize;
  object_class->get_property = cd_callbacks_view_get_property;
  object_class->set_property = cd_callbacks_view_set_property;

  widget_class->map = cd_callbacks_view_map;
  widget_class->unmap = cd_callbacks_view_unmap;

  properties[PROP_CONTEXT] =
    g_param_spec_object ("context", NULL, NULL, CD_TYPE_CONTEXT,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/crewdesk/Crewdesk/callbacks/cd-callbacks-view.ui");
  gtk_widget_class_bind_template_child (widget_class, CdCallbacksView, pages);
  gtk_widget_class_bind_template_child (widget_class, CdCallbacksView, queue_page);
  gtk_widget_class_bind_template_child (widget_class, CdCallbacksView, review_page);
  gtk_widget_class_bind_template_child (widget_class, CdCallbacksView, queue_leaflet);
  gtk_widget_class_bind_template_child (widget_class, CdCallbacksView, review_leaflet);
  gtk_widget_class_bind_template_child (widget_class, CdCallbacksView, queue_count);
  gtk_widget_class_bind_template_child (widget_class, CdCallbacksView, queue_overdue);
  gtk_widget_class_bind_template_child (widget_class, CdCallbacksView, sort_dropdown);
  gtk_widget_class_bind_template_child (widget_class, CdCallbacksView, queue_stack);
  gtk_widget_class_bind_template_child (widget_class, CdCallbacksView, queue_spinner);
  gtk_widget_class_bind_template_child (widget_class, CdCallbacksView, review_spinner);
  gtk_widget_class_bind_template_child (widget_class, CdCallbacksView, history_spinner);
  gtk_widget_class_bind_template_child (widget_class, CdCallbacksView, queue_list);
  gtk_widget_class_bind_template_child (widget_class, CdCallbacksView, queue_back);
  gtk_widget_class_bind_template_child (widget_class, CdCallbacksView, queue_detail_stack);
  gtk_widget_class_bind_template_child (widget_class, CdCallbacksView, queue_customer);
  gtk_widget_class_bind_template_child (widget_class, CdCallbacksView, queue_phone);
  gtk_widget_class_bind_template_child (widget_class, CdCallbacksView, queue_ticket);
  gtk_widget_class_bind_template_child (widget_class, CdCallbacksView, queue_marks);
  gtk_widget_class_bind_template_child (widget_class, CdCallbacksView, queue_due);
  gtk_widget_class_bind_template_child (widget_class, CdCallbacksView, attempts_group);
  gtk_widget_class_bind_template_child (widget_class, CdCallbacksView, attempts_list);
  gtk_widget_class_bind_template_child (widget_class, CdCallbacksView, form_box);
  gtk_widget_class_bind_template_child (widget_class, CdCallbacksView, reached_button);
  gtk_widget_class_bind_template_child (widget_class, CdCallbacksView, no_answer_button);
  gtk_widget_class_bind_template_child (widget_class, CdCallbacksView, wrong_number_button);
  gtk_widget_class_bind_template_child (widget_class, CdCallbacksView, satisfaction_group);
  gtk_widget_class_bind_template_child (widget_class, CdCallbacksView, satisfied_button);
  gtk_widget_class_bind_template_child (widget_class, CdCallbacksView, neutral_button);
  gtk_widget_class_bind_template_child (widget_class, CdCallbacksView, unsatisfied_button);
  gtk_widget_class_bind_template_child (widget_class, CdCallbacksView, solved_group);
  gtk_widget_class_bind_template_child (widget_class, CdCallbacksView, solved_yes_button);
  gtk_widget_class_bind_template_child (widget_class, CdCallbacksView, solved_no_button);
  gtk_widget_class_bind_template_child (widget_class, CdCallbacksView, comment_row);
  gtk_widget_class_bind_template_child (widget_class, CdCallbacksView, owner_group);
  gtk_widget_class_bind_template_child (widget_class, CdCallbacksView, owner_row);
  gtk_widget_class_bind_template_child (widget_class, CdCallbacksView, record_separator);
  gtk_widget_class_bind_template_child (widget_class, CdCallbacksView, record_bar);
  gtk_widget_class_bind_template_child (widget_class, CdCallbacksView, record_button);
  gtk_widget_class_bind_template_child (widget_class, CdCallbacksView, form_hint);
  gtk_widget_class_bind_template_child (widget_class, CdCallbacksView, review_count);
  gtk_widget_class_bind_template_child (widget_class, CdCallbacksView, review_overdue);
  gtk_widget_class_bind_template_child (widget_class, CdCallbacksView, review_stack);
  gtk_widget_class_bind_template_child (widget_class, CdCallbacksView, review_list);
  gtk_widget_class_bind_template_child (widget_class, CdCallbacksView, review_back);
  gtk_widget_class_bind_template_child (widget_class, CdCallbacksView, review_detail_stack);
  gtk_widget_class_bind_template_child (widget_class, CdCallbacksView, review_customer);
  gtk_widget_class_bind_template_child (widget_class, CdCallbacksView, review_phone);
  gtk_widget_class_bind_template_child (widget_class, CdCallbacksView, review_ticket);
  gtk_widget_class_bind_template_child (widget_class, CdCallbacksView, review_marks);
  gtk_widget_class_bind_template_child (widget_class, CdCallbacksView, close_button);
  gtk_widget_class_bind_template_child (widget_class, CdCallbacksView, review_owner_row);
  gtk_widget_class_bind_template_child (widget_class, CdCallbacksView, review_deadline_row);
  gtk_widget_class_bind_template_child (widget_class, CdCallbacksView, review_deadline);
  gtk_widget_class_bind_template_child (widget_class, CdCallbacksView, review_outcome_row);
  gtk_widget_class_bind_template_child (widget_class, CdCallbacksView, review_comment_row);
  gtk_widget_class_bind_template_child (widget_class, CdCallbacksView, close_hint);
  gtk_widget_class_bind_template_child (widget_class, CdCallbacksView, history_stack);
  gtk_widget_class_bind_template_child (widget_class, CdCallbacksView, history_list);
  gtk_widget_class_bind_template_callback (widget_class, page_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, folded_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, sort_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, queue_activated_cb);
  gtk_widget_class_bind_template_callback (widget_class, review_activated_cb);
  gtk_widget_class_bind_template_callback (widget_class, back_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, form_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, comment_activated_cb);

  gtk_widget_class_install_action (widget_class, "callbacks.record", NULL, record_action);
  gtk_widget_class_install_action (widget_class, "callbacks.close", NULL, close_action);
  gtk_widget_class_install_action (widget_class, "callbacks.copy-phone", NULL, copy_phone_action);
  gtk_widget_class_install_action (widget_class, "callbacks.show-page", "s", show_page_action);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Return, GDK_CONTROL_MASK, "callbacks.record", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_KP_Enter, GDK_CONTROL_MASK, "callbacks.record", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_c, GDK_CONTROL_MASK | GDK_SHIFT_MASK,
                                       "callbacks.copy-phone", NULL);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "callbacksview");

  g_type_ensure (CD_TYPE_CALLBACKS_ROW);
}

static void
cd_callbacks_view_init (CdCallbacksView *self)
{
  cd_style_ensure ("/org/crewdesk/Crewdesk/callbacks/callbacks.css");
  gtk_widget_init_template (GTK_WIDGET (self));
  cd_style_spin_while_mapped (self->queue_spinner);
  cd_style_spin_while_mapped (self->review_spinner);
  cd_style_spin_while_mapped (self->history_spinner);

  self->cancellable = g_cancellable_new ();
  self->owner_usernames = g_ptr_array_new_with_free_func (g_free);
  self->owner_names = gtk_string_list_new (NULL);
  adw_combo_row_set_model (self->owner_row, G_LIST_MODEL (self->owner_names));

  self->queue_store = g_list_store_new (CD_TYPE_CALLBACKS_ITEM);
  self->queue_selection = gtk_single_selection_new (g_object_ref (G_LIST_MODEL (self->queue_store)));
  gtk_list_view_set_model (self->queue_list, GTK_SELECTION_MODEL (self->queue_selection));
  g_signal_connect_swapped (self->queue_selection, "notify::selected-item", G_CALLBACK (queue_selection_cb), self);

  self->review_store = g_list_store_new (CD_TYPE_CALLBACKS_ITEM);
  self->review_selection = gtk_single_selection_new (g_object_ref (G_LIST_MODEL (self->review_store)));
  gtk_list_view_set_model (self->review_list, GTK_SELECTION_MODEL (self->review_selection));
  g_signal_connect_swapped (self->review_selection, "notify::selected-item", G_CALLBACK (review_selection_cb), self);

}

/* Private API ----------------------------------------------------------------------- */

const char *
_cd_callbacks_view_user_display (CdCallbacksView *self,
                                 const char      *username)
{
  g_return_val_if_fail (CD_IS_CALLBACKS_VIEW (self), NULL);
  return user_display (self, username);
}

gboolean
_cd_callbacks_view_is_loading (CdCallbacksView *self)
{
  g_return_val_if_fail (CD_IS_CALLBACKS_VIEW (self), FALSE);
  return self->load_running || self->load_again;
}

const char *
_cd_callbacks_view_get_page (CdCallbacksView *self)
{
  g_return_val_if_fail (CD_IS_CALLBACKS_VIEW (self), NULL);
  return adw_view_stack_get_visible_child_name (self->pages);
}

void
_cd_callbacks_view_set_page (CdCallbacksView *self,
                             const char      *page)
{
  g_return_if_fail (CD_IS_CALLBACKS_VIEW (self));
  gtk_widget_activate_action (GTK_WIDGET (self), "callbacks.show-page", "s", page);
}

void
_cd_callbacks_view_activate (CdCallbacksView *self,
                             const char      *page,
                             guint            position)
{
  g_return_if_fail (CD_IS_CALLBACKS_VIEW (self));

  if (g_strcmp0 (page, "review") == 0)
    review_activated_cb (self, position);
  else
    queue_activated_cb (self, position);
}

gboolean
_cd_callbacks_view_is_folded_on_detail (CdCallbacksView *self)
{
  AdwLeaflet *leaflet;

  g_return_val_if_fail (CD_IS_CALLBACKS_VIEW (self), FALSE);

  leaflet = g_strcmp0 (adw_view_stack_get_visible_child_name (self->pages), "review") == 0 ? self->review_leaflet
                                                                                          : self->queue_leaflet;
  return adw_leaflet_get_folded (leaflet) &&
         g_strcmp0 (adw_leaflet_get_visible_child_name (leaflet), "detail") == 0;
}

GtkSingleSelection *
_cd_callbacks_view_get_queue (CdCallbacksView *self)
{
  g_return_val_if_fail (CD_IS_CALLBACKS_VIEW (self), NULL);
  return self->queue_selection;
}

GtkSingleSelection *
_cd_callbacks_view_get_review (CdCallbacksView *self)
{
  g_return_val_if_fail (CD_IS_CALLBACKS_VIEW (self), NULL);
  return self->review_selection;
}

void
_cd_callbacks_view_fill_form (CdCallbacksView       *self,
                              const CdCallbacksForm *form)
{
  GtkToggleButton *outcomes[] = { self->reached_button, self->no_answer_button, self->wrong_number_button };
  GtkToggleButton *feelings[] = { NULL, self->satisfied_button, self->neutral_button, self->unsatisfied_button };

  g_return_if_fail (CD_IS_CALLBACKS_VIEW (self));
  g_return_if_fail (form != NULL);

  reset_form (self);
  if (form->outcome >= 0 && form->outcome < (gint) G_N_ELEMENTS (outcomes))
    gtk_toggle_button_set_active (outcomes[form->outcome], TRUE);
  if (form->satisfaction > 0 && form->satisfaction < (gint) G_N_ELEMENTS (feelings))
    gtk_toggle_button_set_active (feelings[form->satisfaction], TRUE);
  if (form->solved == 1)
    gtk_toggle_button_set_active (self->solved_yes_button, TRUE);
  else if (form->solved == 0)
    gtk_toggle_button_set_active (self->solved_no_button, TRUE);
  gtk_editable_set_text (GTK_EDITABLE (self->comment_row), form->comment != NULL ? form->comment : "");
  for (guint i = 0; form->owner != NULL && i < self->owner_usernames->len; i++)
    if (g_str_equal (g_ptr_array_index (self->owner_usernames, i), form->owner))
      adw_combo_row_set_selected (self->owner_row, i);
  update_form (self);
}

CdCallbacksFields
_cd_callbacks_view_get_fields (CdCallbacksView *self)
{
  CdCallbacksFields fields = CD_CALLBACKS_FIELD_COMMENT;

  g_return_val_if_fail (CD_IS_CALLBACKS_VIEW (self), 0);

  if (gtk_widget_get_visible (GTK_WIDGET (self->satisfaction_group)))
    fields |= CD_CALLBACKS_FIELD_SATISFACTION;
  if (gtk_widget_get_visible (GTK_WIDGET (self->solved_group)))
    fields |= CD_CALLBACKS_FIELD_SOLVED;
  if (gtk_widget_get_visible (GTK_WIDGET (self->owner_group)))
    fields |= CD_CALLBACKS_FIELD_OWNER;
  return fields;
}

void
_cd_callbacks_view_set_sort (CdCallbacksView     *self,
                             CdCallbackQueueSort  sort)
{
  g_return_if_fail (CD_IS_CALLBACKS_VIEW (self));
  gtk_drop_down_set_selected (self->sort_dropdown, sort == CD_CALLBACK_QUEUE_SORT_PRIORITY ? 1 : 0);
}

GtkWidget *
_cd_callbacks_view_get_record_button (CdCallbacksView *self)
{
  g_return_val_if_fail (CD_IS_CALLBACKS_VIEW (self), NULL);
  return GTK_WIDGET (self->record_button);
}

GtkWidget *
_cd_callbacks_view_get_close_button (CdCallbacksView *self)
{
  g_return_val_if_fail (CD_IS_CALLBACKS_VIEW (self), NULL);
  return GTK_WIDGET (self->close_button);
}

GtkListBox *
_cd_callbacks_view_get_history (CdCallbacksView *self)
{
  g_return_val_if_fail (CD_IS_CALLBACKS_VIEW (self), NULL);
  return self->history_list;
}

gboolean
_cd_callbacks_view_history_loading (CdCallbacksView *self)
{
  g_return_val_if_fail (CD_IS_CALLBACKS_VIEW (self), FALSE);
  return self->history_loading;
}

CdCallbacksCloseDialog *
_cd_callbacks_view_get_close_dialog (CdCallbacksView *self)
{
  g_return_val_if_fail (CD_IS_CALLBACKS_VIEW (self), NULL);
  return self->close_dialog;
}

/* Public API ------------------------------------------------------------------------ */

GtkWidget *
cd_callbacks_view_new (CdContext *context)
{
  g_return_val_if_fail (CD_IS_CONTEXT (context), NULL);

  return g_object_new (CD_TYPE_CALLBACKS_VIEW, "context", context, NULL);
}

CdContext *
cd_callbacks_view_get_context (CdCallbacksView *self)
{
  g_return_val_if_fail (CD_IS_CALLBACKS_VIEW (self), NULL);
  return self->context;
}
