/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-callbacks-logic.c: the Callbacks view's decisions, without GTK. */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "cd-callbacks-logic.h"
#include "cd-format.h"
#include "cd-model.h"

G_DEFINE_QUARK (cd-callbacks-error-quark, cd_callbacks_error)

/* Helpers ------------------------------------------------------------------- */

/* @text without surrounding white space; NULL when nothing is left. */
static char *
trimmed (const char *text)
{
  char *copy;

  if (text == NULL)
    return NULL;
  copy = g_strstrip (g_strdup (text));
  if (*copy == '\0')
    g_clear_pointer (&copy, g_free);
  return copy;
}

static gboolean
check_length (const char  *text,
              gsize        max,
              const char  *message,
              GError     **error)
{
  if (text == NULL || strlen (text) <= max)
    return TRUE;
  g_set_error_literal (error, CD_CALLBACKS_ERROR, CD_CALLBACKS_ERROR_TOO_LONG, message);
  return FALSE;
}

static const char *
ticket_number (CdTicket *ticket)
{
  if (ticket == NULL)
    return "";
  return ticket->number != NULL ? ticket->number : cd_record_get_id (CD_RECORD (ticket));
}

/* Public API: the form ---------------------------------------------------------- */

void
cd_callbacks_form_init (CdCallbacksForm *form)
{
  g_return_if_fail (form != NULL);

  memset (form, 0, sizeof *form);
  form->outcome = -1;
  form->satisfaction = CD_SATISFACTION_UNKNOWN;
  form->solved = -1;
}

gboolean
cd_callbacks_form_opens_second (const CdCallbacksForm *form)
{
  g_return_val_if_fail (form != NULL, FALSE);

  return form->outcome == CD_CALLBACK_OUTCOME_REACHED &&
         (form->satisfaction == CD_SATISFACTION_UNSATISFIED || form->solved == 0);
}

CdCallbacksFields
cd_callbacks_form_fields (const CdCallbacksForm *form)
{
  CdCallbacksFields fields = CD_CALLBACKS_FIELD_COMMENT;

  g_return_val_if_fail (form != NULL, 0);

  if (form->outcome == CD_CALLBACK_OUTCOME_REACHED)
    fields |= CD_CALLBACKS_FIELD_SATISFACTION | CD_CALLBACKS_FIELD_SOLVED;
  if (cd_callbacks_form_opens_second (form))
    fields |= CD_CALLBACKS_FIELD_OWNER;
  return fields;
}

JsonObject *
cd_callbacks_form_build_args (const CdCallbacksForm  *form,
                              GError                **error)
{
  g_autoptr(JsonObject) args = NULL;
  g_autofree char *comment = NULL;
  g_autofree char *owner = NULL;

  g_return_val_if_fail (form != NULL, NULL);

  if (form->outcome < CD_CALLBACK_OUTCOME_REACHED || form->outcome > CD_CALLBACK_OUTCOME_WRONG_NUMBER)
    {
      g_set_error_literal (error, CD_CALLBACKS_ERROR, CD_CALLBACKS_ERROR_INCOMPLETE,
                           _("Choose how the call went: reached, no answer or wrong number."));
      return NULL;
    }

  comment = trimmed (form->comment);
  args = json_object_new ();
  json_object_set_string_member (args, "outcome", cd_enum_to_nick (CD_TYPE_CALLBACK_OUTCOME, form->outcome));

  if (form->outcome != CD_CALLBACK_OUTCOME_REACHED)
    {
      /* A failed attempt keeps the words as its note. */
      if (!check_length (comment, CD_CALLBACKS_NOTE_MAX,
                         _("The note on a failed attempt is too long; shorten it to a few sentences."), error))
        return NULL;
      if (comment != NULL)
        json_object_set_string_member (args, "note", comment);
      return g_steal_pointer (&args);
    }

  if (form->satisfaction < CD_SATISFACTION_SATISFIED || form->satisfaction > CD_SATISFACTION_UNSATISFIED)
    {
      g_set_error_literal (error, CD_CALLBACKS_ERROR, CD_CALLBACKS_ERROR_INCOMPLETE,
                           _("Choose how the customer felt: satisfied, neutral or unsatisfied."));
      return NULL;
    }
  if (form->solved != 0 && form->solved != 1)
    {
      g_set_error_literal (error, CD_CALLBACKS_ERROR, CD_CALLBACKS_ERROR_INCOMPLETE,
                           _("Choose whether the problem is solved."));
      return NULL;
    }
  if (!check_length (comment, CD_CALLBACKS_COMMENT_MAX, _("The comment is too long; shorten it."), error))
    return NULL;

  json_object_set_string_member (args, "satisfaction",
                                 cd_enum_to_nick (CD_TYPE_SATISFACTION, form->satisfaction));
  json_object_set_boolean_member (args, "solved", form->solved == 1);
  if (comment != NULL)
    json_object_set_string_member (args, "comment", comment);

  if (cd_callbacks_form_opens_second (form))
    {
      owner = trimmed (form->owner);
      if (owner == NULL)
        {
          g_set_error_literal (error, CD_CALLBACKS_ERROR, CD_CALLBACKS_ERROR_INCOMPLETE,
                               _("Choose who owns the second handling."));
          return NULL;
        }
      if (!check_length (owner, CD_CALLBACKS_OWNER_MAX, _("The owner’s user name is too long."), error))
        return NULL;
      json_object_set_string_member (args, "owner", owner);
    }

  return g_steal_pointer (&args);
}

CdCallbacksResult
cd_callbacks_predict (CdCallback            *callback,
                      const CdCallbacksForm *form,
                      guint                 *attempts_left)
{
  g_autoptr(CdCallback) copy = NULL;
  CdCallbacksResult result;

  g_return_val_if_fail (CD_IS_CALLBACK (callback), CD_CALLBACKS_RESULT_ATTEMPT);
  g_return_val_if_fail (form != NULL && form->outcome >= 0, CD_CALLBACKS_RESULT_ATTEMPT);

  /* The model's own rules, on a copy with the new attempt: the same
   * steps callback.record takes. */
  copy = cd_record_copy (CD_RECORD (callback));
  if (copy->attempts == NULL)
    copy->attempts = g_ptr_array_new_with_free_func (g_object_unref);
  g_ptr_array_add (copy->attempts, cd_callback_attempt_new (1, NULL, form->outcome, NULL));

  if (form->outcome == CD_CALLBACK_OUTCOME_REACHED)
    {
      copy->completed_at = 1;
      copy->satisfaction = form->satisfaction;
      copy->solved = form->solved == 1;
      result = cd_callback_needs_second_handling (copy) ? CD_CALLBACKS_RESULT_SECOND : CD_CALLBACKS_RESULT_DONE;
    }
  else
    result = cd_callback_is_unreachable (copy) ? CD_CALLBACKS_RESULT_UNREACHABLE : CD_CALLBACKS_RESULT_ATTEMPT;

  if (attempts_left != NULL)
    *attempts_left = result == CD_CALLBACKS_RESULT_ATTEMPT ? cd_callback_attempts_left (copy) : 0;
  return result;
}

char *
cd_callbacks_result_hint (CdCallbacksResult  result,
                          const char        *owner_name)
{
  switch (result)
    {
    case CD_CALLBACKS_RESULT_ATTEMPT:
      return g_strdup (_("The callback stays in the queue for another attempt."));
    case CD_CALLBACKS_RESULT_UNREACHABLE:
      return g_strdup (_("This is the last attempt: the customer will be marked unreachable."));
    case CD_CALLBACKS_RESULT_SECOND:
      /* Translators: %s is the person who will own the second handling */
      return g_strdup_printf (_("Second handling opens for %s, with a deadline; managers review it until it is closed."),
                              owner_name != NULL ? owner_name : "");
    case CD_CALLBACKS_RESULT_DONE:
    default:
      return g_strdup (_("The callback is complete and leaves the queue."));
    }
}

char *
cd_callbacks_record_message (CdTicket          *ticket,
                             CdCallbacksResult  result,
                             CdCallbackOutcome  outcome,
                             guint              attempts_left,
                             const char        *owner_name)
{
  const char *number = ticket_number (ticket);

  switch (result)
    {
    case CD_CALLBACKS_RESULT_ATTEMPT:
      if (outcome == CD_CALLBACK_OUTCOME_WRONG_NUMBER)
        /* Translators: %s is a ticket number, %u the attempts still allowed */
        return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                             "Wrong number for %s; %u attempt left",
                                             "Wrong number for %s; %u attempts left", attempts_left),
                                number, attempts_left);
      /* Translators: %s is a ticket number, %u the attempts still allowed */
      return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                           "No answer for %s; %u attempt left",
                                           "No answer for %s; %u attempts left", attempts_left),
                              number, attempts_left);
    case CD_CALLBACKS_RESULT_UNREACHABLE:
      /* Translators: %s is a ticket number, %u the number of failed attempts */
      return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                           "Customer of %s marked unreachable after %u failed attempt",
                                           "Customer of %s marked unreachable after %u failed attempts",
                                           CD_CALLBACK_MAX_FAILED_ATTEMPTS),
                              number, (guint) CD_CALLBACK_MAX_FAILED_ATTEMPTS);
    case CD_CALLBACKS_RESULT_SECOND:
      /* Translators: %s is a ticket number, then the person who owns the second handling */
      return g_strdup_printf (_("Callback for %s recorded; second handling opened for %s"),
                              number, owner_name != NULL ? owner_name : "");
    case CD_CALLBACKS_RESULT_DONE:
    default:
      /* Translators: %s is a ticket number */
      return g_strdup_printf (_("Callback for %s recorded"), number);
    }
}

JsonObject *
cd_callbacks_close_args (const char  *conclusion,
                         GError     **error)
{
  g_autofree char *text = trimmed (conclusion);
  JsonObject *args;

  if (text == NULL)
    {
      g_set_error_literal (error, CD_CALLBACKS_ERROR, CD_CALLBACKS_ERROR_INCOMPLETE,
                           _("Write the conclusion: what was done and what the customer was told."));
      return NULL;
    }
  if (!check_length (text, CD_CALLBACKS_CONCLUSION_MAX, _("The conclusion is too long; shorten it."), error))
    return NULL;

  args = json_object_new ();
  json_object_set_string_member (args, "conclusion", text);
  return args;
}

/* Public API: roles ----------------------------------------------------------- */

char *
cd_callbacks_why_not_allowed (CdUser       *user,
                              CdMutationOp  op)
{
  g_autoptr(GString) roles = g_string_new (NULL);

  if (user == NULL)
    return g_strdup (_("Nobody is signed in on this computer yet. Sign in once while the server can be reached."));
  if (!user->active)
    return g_strdup (_("Your account is disabled. Ask an administrator to enable it."));
  if (cd_mutation_role_allowed (op, user->role))
    return NULL;

  for (guint role = CD_ROLE_DISPATCHER; role <= CD_ROLE_CREW_DEVICE; role++)
    if (cd_mutation_role_allowed (op, role))
      {
        if (roles->len > 0)
          /* Translators: the separator in a list of roles */
          g_string_append (roles, _(", "));
        g_string_append (roles, cd_format_role (role));
      }

  if (op == CD_MUTATION_OP_CALLBACK_CLOSE)
    /* Translators: the first %s lists roles, the second is the user's role */
    return g_strdup_printf (_("Only these roles may close second handling: %s. You are signed in as %s."),
                            roles->str, cd_format_role (user->role));
  /* Translators: the first %s lists roles, the second is the user's role */
  return g_strdup_printf (_("Only these roles may record callbacks: %s. You are signed in as %s."),
                          roles->str, cd_format_role (user->role));
}

const char *
cd_callbacks_first_page (CdUser *user)
{
  return user != NULL && user->role == CD_ROLE_MANAGER ? "review" : "queue";
}

void
cd_callbacks_queue_options (CdUser                 *user,
                            CdCallbackQueueSort     sort,
                            CdCallbackQueueOptions *options)
{
  g_return_if_fail (options != NULL);

  cd_callback_queue_options_init (options);
  options->sort = sort;
  if (user != NULL && user->role == CD_ROLE_CALLBACK_AGENT)
    options->agent = user->username;
}

/* Public API: marks and deadlines ---------------------------------------------- */

CdCallbacksMarks
cd_callbacks_marks (CdTicket *ticket)
{
  CdCallbacksMarks marks = 0;

  if (ticket == NULL)
    return 0;
  if (ticket->category == CD_CATEGORY_COMPLAINT)
    marks |= CD_CALLBACKS_MARK_COMPLAINT;
  if (ticket->key_customer)
    marks |= CD_CALLBACKS_MARK_KEY;
  if (ticket->duplicate_count > 0)
    marks |= CD_CALLBACKS_MARK_REPEAT;
  return marks;
}

CdCallbacksDeadline
cd_callbacks_deadline_state (gint64 start,
                             gint64 deadline,
                             gint64 now)
{
  gint64 left, window;

  if (deadline == 0)
    return CD_CALLBACKS_DEADLINE_NONE;
  if (now > deadline)
    return CD_CALLBACKS_DEADLINE_OVERDUE;

  left = deadline - now;
  window = start > 0 && start < deadline ? deadline - start : 0;
  /* The last quarter, as the time limits warn (DOMAIN.md), and never
   * later than the last hour. */
  if (left <= 3600 || (window > 0 && left * 4 <= window))
    return CD_CALLBACKS_DEADLINE_SOON;
  return CD_CALLBACKS_DEADLINE_OK;
}

char *
cd_callbacks_format_due (gint64 deadline,
                         gint64 now)
{
  g_autofree char *span = cd_format_countdown (deadline - now);

  if (deadline < now)
    return g_steal_pointer (&span);
  /* Translators: time left, "in 3 h 20 min" */
  return g_strdup_printf (_("in %s"), span);
}

/* Public API: words ----------------------------------------------------------- */

const char *
cd_callbacks_outcome_label (CdCallbackOutcome outcome)
{
  switch (outcome)
    {
    case CD_CALLBACK_OUTCOME_REACHED: return _("Reached");
    case CD_CALLBACK_OUTCOME_NO_ANSWER: return _("No answer");
    case CD_CALLBACK_OUTCOME_WRONG_NUMBER: return _("Wrong number");
    default: return _("Unknown");
    }
}

const char *
cd_callbacks_satisfaction_label (CdSatisfaction satisfaction)
{
  switch (satisfaction)
    {
    case CD_SATISFACTION_SATISFIED: return _("Satisfied");
    case CD_SATISFACTION_NEUTRAL: return _("Neutral");
    case CD_SATISFACTION_UNSATISFIED: return _("Unsatisfied");
    case CD_SATISFACTION_UNKNOWN:
    default: return _("Not asked");
    }
}

char *
cd_callbacks_attempts_label (guint failed,
                             guint left)
{
  if (failed == 0)
    return g_strdup (_("No attempts yet"));
  /* Translators: failed call attempts so far, then how many remain, "1 failed attempt, 2 left" */
  return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u failed attempt, %u left", "%u failed attempts, %u left",
                                       failed),
                          failed, left);
}

/* Public API: history ------------------------------------------------------------ */

const char *
cd_callbacks_history_icon (CdHistoryKind kind)
{
  switch (kind)
    {
    case CD_HISTORY_CREATED: return "document-new-symbolic";
    case CD_HISTORY_ASSIGNED: return "system-users-symbolic";
    case CD_HISTORY_OVERRIDDEN: return "view-pin-symbolic";
    case CD_HISTORY_FIRST_RESPONSE: return "call-start-symbolic";
    case CD_HISTORY_ON_SITE: return "mark-location-symbolic";
    case CD_HISTORY_PAUSED: return "media-playback-pause-symbolic";
    case CD_HISTORY_RESUMED: return "media-playback-start-symbolic";
    case CD_HISTORY_LIMIT_MISSED: return "alarm-symbolic";
    case CD_HISTORY_RESOLVED: return "emblem-ok-symbolic";
    case CD_HISTORY_CLOSED: return "emblem-default-symbolic";
    case CD_HISTORY_CALLBACK_OVERDUE: return "alarm-symbolic";
    case CD_HISTORY_CALLBACK_ATTEMPT: return "call-outgoing-symbolic";
    case CD_HISTORY_SECOND_OPENED: return "view-refresh-symbolic";
    case CD_HISTORY_SECOND_OVERDUE: return "alarm-symbolic";
    case CD_HISTORY_SECOND_CLOSED: return "object-select-symbolic";
    default: return "help-about-symbolic";
    }
}

static const char *
crew_name (GHashTable *crew_names,
           const char *id)
{
  const char *name = crew_names != NULL && id != NULL ? g_hash_table_lookup (crew_names, id) : NULL;

  return name != NULL ? name : _("another crew");
}

char *
cd_callbacks_history_title (const CdHistoryEntry *entry,
                            GHashTable           *crew_names)
{
  g_return_val_if_fail (entry != NULL, NULL);

  switch (entry->kind)
    {
    case CD_HISTORY_CREATED:
      return g_strdup (_("Ticket created"));
    case CD_HISTORY_ASSIGNED:
    case CD_HISTORY_OVERRIDDEN:
      {
        CdAssignmentEvent *event = CD_IS_ASSIGNMENT_EVENT (entry->record) ? CD_ASSIGNMENT_EVENT (entry->record) : NULL;

        if (event == NULL || event->to_crew == NULL)
          return g_strdup (_("Unassigned"));
        if (entry->kind == CD_HISTORY_OVERRIDDEN)
          /* Translators: %s is a crew's name */
          return g_strdup_printf (_("Assigned to %s by hand, over the proposal"), crew_name (crew_names, event->to_crew));
        if (event->source == CD_ASSIGNMENT_SOURCE_AUTO)
          /* Translators: %s is a crew's name */
          return g_strdup_printf (_("Assigned to %s automatically"), crew_name (crew_names, event->to_crew));
        /* Translators: %s is a crew's name */
        return g_strdup_printf (_("Assigned to %s"), crew_name (crew_names, event->to_crew));
      }
    case CD_HISTORY_FIRST_RESPONSE:
      return g_strdup (_("Crew called the customer"));
    case CD_HISTORY_ON_SITE:
      return g_strdup (_("Crew on site"));
    case CD_HISTORY_PAUSED:
      return g_strdup (_("Waiting for the customer"));
    case CD_HISTORY_RESUMED:
      return g_strdup (_("Work resumed"));
    case CD_HISTORY_LIMIT_MISSED:
      /* Translators: %s names a time limit, "On site" */
      return g_strdup_printf (_("Time limit missed: %s"), cd_format_sla_kind (entry->sla_kind));
    case CD_HISTORY_RESOLVED:
      return g_strdup (_("Resolved"));
    case CD_HISTORY_CLOSED:
      return g_strdup (_("Ticket closed"));
    case CD_HISTORY_CALLBACK_OVERDUE:
      return g_strdup (_("Callback overdue"));
    case CD_HISTORY_CALLBACK_ATTEMPT:
      {
        CdCallbackAttempt *attempt = CD_IS_CALLBACK_ATTEMPT (entry->record) ? CD_CALLBACK_ATTEMPT (entry->record) : NULL;

        if (attempt == NULL)
          return g_strdup (_("Callback"));
        /* Translators: %s is the outcome of a call, "No answer" */
        return g_strdup_printf (_("Callback: %s"), cd_callbacks_outcome_label (attempt->outcome));
      }
    case CD_HISTORY_SECOND_OPENED:
      {
        CdCallback *callback = CD_IS_CALLBACK (entry->record) ? CD_CALLBACK (entry->record) : NULL;

        if (callback != NULL && callback->satisfaction == CD_SATISFACTION_UNSATISFIED && !callback->solved)
          return g_strdup (_("Second handling opened: unsatisfied, not solved"));
        if (callback != NULL && callback->satisfaction == CD_SATISFACTION_UNSATISFIED)
          return g_strdup (_("Second handling opened: unsatisfied"));
        return g_strdup (_("Second handling opened: not solved"));
      }
    case CD_HISTORY_SECOND_OVERDUE:
      return g_strdup (_("Second handling overdue"));
    case CD_HISTORY_SECOND_CLOSED:
      return g_strdup (_("Second handling closed"));
    default:
      return g_strdup (_("Unknown"));
    }
}

char *
cd_callbacks_history_subtitle (const CdHistoryEntry *entry,
                               const char           *when,
                               const char           *actor_name)
{
  GString *text;

  g_return_val_if_fail (entry != NULL, NULL);

  text = g_string_new (when);
  if (actor_name != NULL && *actor_name != '\0')
    {
      if (text->len > 0)
        /* Translators: the separator between the parts of a line */
        g_string_append (text, _(" · "));
      if (entry->kind == CD_HISTORY_SECOND_OPENED || entry->kind == CD_HISTORY_SECOND_OVERDUE)
        /* Translators: who owns a second handling, in a history line */
        g_string_append_printf (text, _("owner: %s"), actor_name);
      else
        g_string_append (text, actor_name);
    }
  if (entry->detail != NULL && *entry->detail != '\0')
    {
      if (text->len > 0)
        g_string_append (text, _(" · "));
      g_string_append (text, entry->detail);
    }
  return g_string_free (text, FALSE);
}

gboolean
cd_callbacks_history_is_alert (const CdHistoryEntry *entry)
{
  g_return_val_if_fail (entry != NULL, FALSE);

  switch (entry->kind)
    {
    case CD_HISTORY_LIMIT_MISSED:
    case CD_HISTORY_CALLBACK_OVERDUE:
    case CD_HISTORY_SECOND_OVERDUE:
    case CD_HISTORY_SECOND_OPENED:
      return TRUE;
    case CD_HISTORY_CREATED:
    case CD_HISTORY_ASSIGNED:
    case CD_HISTORY_OVERRIDDEN:
    case CD_HISTORY_FIRST_RESPONSE:
    case CD_HISTORY_ON_SITE:
    case CD_HISTORY_PAUSED:
    case CD_HISTORY_RESUMED:
    case CD_HISTORY_RESOLVED:
    case CD_HISTORY_CLOSED:
    case CD_HISTORY_CALLBACK_ATTEMPT:
    case CD_HISTORY_SECOND_CLOSED:
    default:
      return FALSE;
    }
}

/* The list items --------------------------------------------------------------- */

struct _CdCallbacksItem
{
  GObject     parent_instance;

  CdCallback *callback;
  CdTicket   *ticket;
};

G_DEFINE_FINAL_TYPE (CdCallbacksItem, cd_callbacks_item, G_TYPE_OBJECT)

enum {
  ITEM_PROP_0,
  ITEM_PROP_CALLBACK,
  ITEM_PROP_TICKET,
  ITEM_N_PROPS
};

static GParamSpec *item_properties[ITEM_N_PROPS];

static void
cd_callbacks_item_dispose (GObject *object)
{
  CdCallbacksItem *self = CD_CALLBACKS_ITEM (object);

  g_clear_object (&self->callback);
  g_clear_object (&self->ticket);

  G_OBJECT_CLASS (cd_callbacks_item_parent_class)->dispose (object);
}

static void
cd_callbacks_item_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  CdCallbacksItem *self = CD_CALLBACKS_ITEM (object);

  switch (prop_id)
    {
    case ITEM_PROP_CALLBACK:
      g_value_set_object (value, self->callback);
      break;
    case ITEM_PROP_TICKET:
      g_value_set_object (value, self->ticket);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cd_callbacks_item_class_init (CdCallbacksItemClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = cd_callbacks_item_dispose;
  object_class->get_property = cd_callbacks_item_get_property;

  item_properties[ITEM_PROP_CALLBACK] =
    g_param_spec_object ("callback", NULL, NULL, CD_TYPE_CALLBACK,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  item_properties[ITEM_PROP_TICKET] =
    g_param_spec_object ("ticket", NULL, NULL, CD_TYPE_TICKET,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, ITEM_N_PROPS, item_properties);
}

static void
cd_callbacks_item_init (CdCallbacksItem *self)
{
}

CdCallbacksItem *
cd_callbacks_item_new (CdCallback *callback,
                       CdTicket   *ticket)
{
  CdCallbacksItem *self;

  g_return_val_if_fail (CD_IS_CALLBACK (callback), NULL);
  g_return_val_if_fail (ticket == NULL || CD_IS_TICKET (ticket), NULL);

  self = g_object_new (CD_TYPE_CALLBACKS_ITEM, NULL);
  /* Copies: the item's objects change in place, never the caller's. */
  self->callback = cd_record_copy (CD_RECORD (callback));
  self->ticket = ticket != NULL ? cd_record_copy (CD_RECORD (ticket)) : NULL;
  return self;
}

CdCallback *
cd_callbacks_item_get_callback (CdCallbacksItem *self)
{
  g_return_val_if_fail (CD_IS_CALLBACKS_ITEM (self), NULL);
  return self->callback;
}

CdTicket *
cd_callbacks_item_get_ticket (CdCallbacksItem *self)
{
  g_return_val_if_fail (CD_IS_CALLBACKS_ITEM (self), NULL);
  return self->ticket;
}

const char *
cd_callbacks_item_get_id (CdCallbacksItem *self)
{
  g_return_val_if_fail (CD_IS_CALLBACKS_ITEM (self), NULL);
  return cd_record_get_id (CD_RECORD (self->callback));
}

gboolean
cd_callbacks_item_update (CdCallbacksItem *self,
                          CdCallback      *callback,
                          CdTicket        *ticket)
{
  gboolean changed = FALSE;

  g_return_val_if_fail (CD_IS_CALLBACKS_ITEM (self), FALSE);
  g_return_val_if_fail (CD_IS_CALLBACK (callback), FALSE);

  if (cd_record_update_from (CD_RECORD (self->callback), CD_RECORD (callback)))
    {
      g_object_notify_by_pspec (G_OBJECT (self), item_properties[ITEM_PROP_CALLBACK]);
      changed = TRUE;
    }

  if (ticket != NULL && self->ticket != NULL)
    {
      if (!cd_record_update_from (CD_RECORD (self->ticket), CD_RECORD (ticket)))
        return changed;
    }
  else if (ticket != NULL)
    self->ticket = cd_record_copy (CD_RECORD (ticket));
  else if (self->ticket != NULL)
    g_clear_object (&self->ticket);
  else
    return changed;

  g_object_notify_by_pspec (G_OBJECT (self), item_properties[ITEM_PROP_TICKET]);
  return TRUE;
}

guint
cd_callbacks_find (GListModel *model,
                   const char *callback_id)
{
  guint n;

  g_return_val_if_fail (G_IS_LIST_MODEL (model), G_MAXUINT);

  if (callback_id == NULL)
    return G_MAXUINT;

  n = g_list_model_get_n_items (model);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(CdCallbacksItem) item = g_list_model_get_item (model, i);

      if (g_strcmp0 (cd_callbacks_item_get_id (item), callback_id) == 0)
        return i;
    }
  return G_MAXUINT;
}

gboolean
cd_callbacks_merge (GListStore *store,
                    GPtrArray  *callbacks,
                    GPtrArray  *tickets)
{
  g_autoptr(GHashTable) wanted = g_hash_table_new (g_str_hash, g_str_equal);
  GListModel *model;
  gboolean changed = FALSE;
  gboolean in_order = TRUE;
  guint n, j;

  g_return_val_if_fail (G_IS_LIST_STORE (store), FALSE);
  g_return_val_if_fail (callbacks != NULL && tickets != NULL && callbacks->len == tickets->len, FALSE);

  model = G_LIST_MODEL (store);
  for (guint i = 0; i < callbacks->len; i++)
    g_hash_table_insert (wanted, (gpointer) cd_record_get_id (callbacks->pdata[i]), GUINT_TO_POINTER (i + 1));

  /* Gone ones leave, from the end, in runs. */
  n = g_list_model_get_n_items (model);
  for (guint i = n; i > 0; )
    {
      guint end = i;

      while (i > 0)
        {
          g_autoptr(CdCallbacksItem) item = g_list_model_get_item (model, i - 1);

          if (g_hash_table_contains (wanted, cd_callbacks_item_get_id (item)))
            break;
          i--;
        }
      if (i < end)
        {
          g_list_store_splice (store, i, end - i, NULL, 0);
          changed = TRUE;
        }
      else
        i--;
    }

  /* The kept ones must already be in the wanted order (a callback's sort
   * keys never change, so they almost always are). */
  n = g_list_model_get_n_items (model);
  j = 0;
  for (guint i = 0; i < n && in_order; i++)
    {
      g_autoptr(CdCallbacksItem) item = g_list_model_get_item (model, i);
      guint at = GPOINTER_TO_UINT (g_hash_table_lookup (wanted, cd_callbacks_item_get_id (item)));

      if (at <= j)
        in_order = FALSE;
      j = at;
    }

  if (!in_order)
    {
      /* Rebuilt in the new order, with the same objects. */
      g_autoptr(GHashTable) existing = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_object_unref);
      g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func (g_object_unref);

      for (guint i = 0; i < n; i++)
        {
          CdCallbacksItem *item = g_list_model_get_item (model, i);

          g_hash_table_insert (existing, (gpointer) cd_callbacks_item_get_id (item), item);
        }
      for (guint i = 0; i < callbacks->len; i++)
        {
          CdCallbacksItem *item = g_hash_table_lookup (existing, cd_record_get_id (callbacks->pdata[i]));

          if (item != NULL)
            {
              cd_callbacks_item_update (item, callbacks->pdata[i], tickets->pdata[i]);
              g_ptr_array_add (items, g_object_ref (item));
            }
          else
            g_ptr_array_add (items, cd_callbacks_item_new (callbacks->pdata[i], tickets->pdata[i]));
        }
      g_list_store_splice (store, 0, n, items->pdata, items->len);
      return TRUE;
    }

  /* Walk both: update the kept ones in place, insert the new ones in
   * runs (the first load is one splice). */
  {
    g_autoptr(GPtrArray) run = g_ptr_array_new_with_free_func (g_object_unref);
    guint pos = 0;

    for (guint i = 0; i <= callbacks->len; i++)
      {
        CdCallback *callback = i < callbacks->len ? callbacks->pdata[i] : NULL;
        g_autoptr(CdCallbacksItem) item = NULL;

        if (pos < g_list_model_get_n_items (model))
          item = g_list_model_get_item (model, pos);

        if (callback == NULL ||
            (item != NULL && g_strcmp0 (cd_callbacks_item_get_id (item), cd_record_get_id (CD_RECORD (callback))) == 0))
          {
            if (run->len > 0)
              {
                g_list_store_splice (store, pos, 0, run->pdata, run->len);
                pos += run->len;
                g_ptr_array_set_size (run, 0);
                changed = TRUE;
              }
            if (callback != NULL)
              {
                cd_callbacks_item_update (item, callback, tickets->pdata[i]);
                pos++;
              }
          }
        else
          g_ptr_array_add (run, cd_callbacks_item_new (callback, tickets->pdata[i]));
      }
  }

  return changed;
}
