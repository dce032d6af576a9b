/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "cd-callbacks-private.h"
#include "cd-format.h"

struct _CdCallbacksRow
{
  GtkWidget        parent_instance;

  CdCallbacksItem *item;
  gboolean         review;       /* the second-handling deadline, not the due time */
  CdContext       *context;      /* while mapped */
  gulong           item_notify_id;
  gulong           tick_id;
  gulong           reloaded_id;

  /* Template */
  GtkLabel        *number;
  GtkLabel        *customer;
  GtkImage        *complaint_icon;
  GtkImage        *key_icon;
  GtkImage        *repeat_icon;
  GtkImage        *pending_icon;
  GtkLabel        *detail;
  GtkLabel        *due;
  GtkLabel        *extra;
};

G_DEFINE_FINAL_TYPE (CdCallbacksRow, cd_callbacks_row, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_ITEM,
  PROP_REVIEW,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static const char * const due_classes[] = { "warning", "error" };

/* Helpers -------------------------------------------------------------------- */

static void
set_due_class (CdCallbacksRow *self,
               const char     *css_class)
{
  for (guint i = 0; i < G_N_ELEMENTS (due_classes); i++)
    if (g_strcmp0 (css_class, due_classes[i]) != 0)
      gtk_widget_remove_css_class (GTK_WIDGET (self->due), due_classes[i]);
  if (css_class != NULL)
    gtk_widget_add_css_class (GTK_WIDGET (self->due), css_class);
}

static void
update_due (CdCallbacksRow *self,
            gint64          now)
{
  CdCallback *callback;
  CdCallbacksDeadline state;
  g_autofree char *text = NULL;
  g_autofree char *when = NULL;
  g_autofree char *tooltip = NULL;
  gint64 start, deadline;

  if (self->item == NULL)
    return;

  callback = cd_callbacks_item_get_callback (self->item);
  if (self->review)
    {
      start = callback->second_opened_at;
      deadline = callback->second_deadline;
    }
  else
    {
      CdTicket *ticket = cd_callbacks_item_get_ticket (self->item);

      start = ticket != NULL ? ticket->resolved_at : 0;
      deadline = callback->due_at;
    }

  state = cd_callbacks_deadline_state (start, deadline, now);
  if (state == CD_CALLBACKS_DEADLINE_NONE)
    {
      gtk_label_set_label (self->due, "");
      set_due_class (self, NULL);
      gtk_widget_remove_css_class (GTK_WIDGET (self), "overdue");
      return;
    }

  text = cd_callbacks_format_due (deadline, now);
  if (g_strcmp0 (gtk_label_get_label (self->due), text) != 0)
    gtk_label_set_label (self->due, text);
  when = cd_format_time (deadline, now);
  /* Translators: when something is due, "Due at Mon 14:05" */
  tooltip = g_strdup_printf (_("Due at %s"), when);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->due), tooltip);

  set_due_class (self, state == CD_CALLBACKS_DEADLINE_OVERDUE ? "error"
                       : state == CD_CALLBACKS_DEADLINE_SOON ? "warning" : NULL);
  if (state == CD_CALLBACKS_DEADLINE_OVERDUE)
    gtk_widget_add_css_class (GTK_WIDGET (self), "overdue");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self), "overdue");
}

static void
update_pending (CdCallbacksRow *self)
{
  gboolean pending = self->item != NULL && self->context != NULL &&
                     cd_context_is_pending (self->context, cd_callbacks_item_get_id (self->item));

  gtk_widget_set_visible (GTK_WIDGET (self->pending_icon), pending);
}

static void
update (CdCallbacksRow *self)
{
  CdCallback *callback;
  CdTicket *ticket;
  CdCallbacksMarks marks;
  g_autofree char *detail = NULL;
  g_autofree char *extra = NULL;
  g_autofree char *label = NULL;
  const char *number, *name;

  if (self->item == NULL)
    return;

  callback = cd_callbacks_item_get_callback (self->item);
  ticket = cd_callbacks_item_get_ticket (self->item);
  number = ticket != NULL && ticket->number != NULL ? ticket->number : "";
  name = ticket != NULL && ticket->customer_name != NULL ? ticket->customer_name : _("Unknown customer");

  gtk_label_set_label (self->number, number);
  gtk_label_set_label (self->customer, name);

  marks = cd_callbacks_marks (ticket);
  gtk_widget_set_visible (GTK_WIDGET (self->complaint_icon), (marks & CD_CALLBACKS_MARK_COMPLAINT) != 0);
  gtk_widget_set_visible (GTK_WIDGET (self->key_icon), (marks & CD_CALLBACKS_MARK_KEY) != 0);
  gtk_widget_set_visible (GTK_WIDGET (self->repeat_icon), (marks & CD_CALLBACKS_MARK_REPEAT) != 0);

  if (self->review)
    {
      GtkWidget *view = gtk_widget_get_ancestor (GTK_WIDGET (self), CD_TYPE_CALLBACKS_VIEW);
      const char *owner = callback->second_owner != NULL ? callback->second_owner : "";

      if (view != NULL)
        owner = _cd_callbacks_view_user_display (CD_CALLBACKS_VIEW (view), owner);
      /* Translators: who owns a second handling, "Owner: Liu Yang" */
      detail = g_strdup_printf (_("Owner: %s"), owner);
      if (callback->satisfaction == CD_SATISFACTION_UNSATISFIED && !callback->solved)
        extra = g_strdup (_("Unsatisfied · Not solved"));
      else if (callback->satisfaction == CD_SATISFACTION_UNSATISFIED)
        extra = g_strdup (_("Unsatisfied"));
      else
        extra = g_strdup (_("Not solved"));
      gtk_widget_add_css_class (GTK_WIDGET (self->extra), "callbacks-unhappy");
      gtk_widget_remove_css_class (GTK_WIDGET (self->extra), "dim-label");
    }
  else
    {
      guint failed = cd_callback_count_failed_attempts (callback);

      /* Translators: a ticket's category, then the customer's phone, "No heat · 0451 5555 0101" */
      detail = g_strdup_printf (_("%s · %s"), ticket != NULL ? cd_format_category (ticket->category) : "",
                                ticket != NULL && ticket->customer_phone != NULL ? ticket->customer_phone : "");
      if (failed > 0)
        extra = cd_callbacks_attempts_label (failed, cd_callback_attempts_left (callback));
      gtk_widget_add_css_class (GTK_WIDGET (self->extra), "dim-label");
      gtk_widget_remove_css_class (GTK_WIDGET (self->extra), "callbacks-unhappy");
    }
  gtk_label_set_label (self->detail, detail);
  gtk_label_set_label (self->extra, extra != NULL ? extra : "");
  gtk_widget_set_visible (GTK_WIDGET (self->extra), extra != NULL);

  /* Translators: how a screen reader names a row, "HT-1, Wang Fang, No heat · 0451 5555 0101" */
  label = g_strdup_printf (_("%s, %s, %s"), number, name, detail);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);

  update_pending (self);
  if (self->context != NULL)
    update_due (self, cd_context_get_now (self->context));
}

/* Signal callbacks --------------------------------------------------------- */

static void
item_notify_cb (CdCallbacksItem *item,
                GParamSpec      *pspec,
                CdCallbacksRow  *self)
{
  update (self);
}

static void
tick_cb (CdContext      *context,
         gint64          now,
         CdCallbacksRow *self)
{
  update_due (self, now);
}

static void
reloaded_cb (CdContext      *context,
             CdCallbacksRow *self)
{
  update_pending (self);
}

/* A click on a row of a folded list opens its detail (the list view
 * selects it; the same row clicked again after going back reopens it). */
static void
released_cb (GtkGestureClick *gesture,
             int              n_press,
             double           x,
             double           y,
             CdCallbacksRow  *self)
{
  GtkWidget *leaflet = gtk_widget_get_ancestor (GTK_WIDGET (self), ADW_TYPE_LEAFLET);

  if (leaflet != NULL && adw_leaflet_get_folded (ADW_LEAFLET (leaflet)))
    adw_leaflet_set_visible_child_name (ADW_LEAFLET (leaflet), "detail");
}

/* Only a bound row that is on screen listens to the clock. */
static void
watch_clock (CdCallbacksRow *self)
{
  gboolean want = self->item != NULL && self->context != NULL && gtk_widget_get_mapped (GTK_WIDGET (self));

  if (want && self->tick_id == 0)
    {
      self->tick_id = g_signal_connect (self->context, "tick", G_CALLBACK (tick_cb), self);
      self->reloaded_id = g_signal_connect (self->context, "reloaded", G_CALLBACK (reloaded_cb), self);
    }
  else if (!want && self->tick_id != 0)
    {
      g_clear_signal_handler (&self->tick_id, self->context);
      g_clear_signal_handler (&self->reloaded_id, self->context);
    }
}

static void
set_item (CdCallbacksRow  *self,
          CdCallbacksItem *item)
{
  if (self->item == item)
    return;

  if (self->item != NULL)
    g_clear_signal_handler (&self->item_notify_id, self->item);
  g_set_object (&self->item, item);
  if (item != NULL)
    self->item_notify_id = g_signal_connect (item, "notify", G_CALLBACK (item_notify_cb), self);

  watch_clock (self);
  update (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ITEM]);
}

/* Overrides ------------------------------------------------------------------ */

static void
cd_callbacks_row_map (GtkWidget *widget)
{
  CdCallbacksRow *self = CD_CALLBACKS_ROW (widget);
  GtkWidget *view;

  GTK_WIDGET_CLASS (cd_callbacks_row_parent_class)->map (widget);

  view = gtk_widget_get_ancestor (widget, CD_TYPE_CALLBACKS_VIEW);
  if (self->context == NULL && view != NULL)
    self->context = g_object_ref (cd_callbacks_view_get_context (CD_CALLBACKS_VIEW (view)));
  watch_clock (self);
  update (self);
}

static void
cd_callbacks_row_unmap (GtkWidget *widget)
{
  CdCallbacksRow *self = CD_CALLBACKS_ROW (widget);

  GTK_WIDGET_CLASS (cd_callbacks_row_parent_class)->unmap (widget);
  watch_clock (self);
}

static void
cd_callbacks_row_dispose (GObject *object)
{
  CdCallbacksRow *self = CD_CALLBACKS_ROW (object);
  GtkWidget *child;

  if (self->context != NULL)
    {
      g_clear_signal_handler (&self->tick_id, self->context);
      g_clear_signal_handler (&self->reloaded_id, self->context);
    }
  if (self->item != NULL)
    g_clear_signal_handler (&self->item_notify_id, self->item);
  g_clear_object (&self->item);
  g_clear_object (&self->context);
  gtk_widget_dispose_template (GTK_WIDGET (self), CD_TYPE_CALLBACKS_ROW);
  /* Template children without an id are not cleared by the above. */
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);

  G_OBJECT_CLASS (cd_callbacks_row_parent_class)->dispose (object);
}

static void
cd_callbacks_row_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  CdCallbacksRow *self = CD_CALLBACKS_ROW (object);

  switch (prop_id)
    {
    case PROP_ITEM:
      g_value_set_object (value, self->item);
      break;
    case PROP_REVIEW:
      g_value_set_boolean (value, self->review);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cd_callbacks_row_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  CdCallbacksRow *self = CD_CALLBACKS_ROW (object);

  switch (prop_id)
    {
    case PROP_ITEM:
      set_item (self, g_value_get_object (value));
      break;
    case PROP_REVIEW:
      self->review = g_value_get_boolean (value);
      update (self);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cd_callbacks_row_class_init (CdCallbacksRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = cd_callbacks_row_dispose;
  object_class->get_property = cd_callbacks_row_get_property;
  object_class->set_property = cd_callbacks_row_set_property;

  widget_class->map = cd_callbacks_row_map;
  widget_class->unmap = cd_callbacks_row_unmap;

  properties[PROP_ITEM] =
    g_param_spec_object ("item", NULL, NULL, CD_TYPE_CALLBACKS_ITEM,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_REVIEW] =
    g_param_spec_boolean ("review", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/crewdesk/Crewdesk/callbacks/cd-callbacks-row.ui");
  gtk_widget_class_bind_template_child (widget_class, CdCallbacksRow, number);
  gtk_widget_class_bind_template_child (widget_class, CdCallbacksRow, customer);
  gtk_widget_class_bind_template_child (widget_class, CdCallbacksRow, complaint_icon);
  gtk_widget_class_bind_template_child (widget_class, CdCallbacksRow, key_icon);
  gtk_widget_class_bind_template_child (widget_class, CdCallbacksRow, repeat_icon);
  gtk_widget_class_bind_template_child (widget_class, CdCallbacksRow, pending_icon);
  gtk_widget_class_bind_template_child (widget_class, CdCallbacksRow, detail);
  gtk_widget_class_bind_template_child (widget_class, CdCallbacksRow, due);
  gtk_widget_class_bind_template_child (widget_class, CdCallbacksRow, extra);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BOX_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "callbacksrow");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
}

static void
cd_callbacks_row_init (CdCallbacksRow *self)
{
  GtkLayoutManager *layout;
  GtkGesture *click;

  gtk_widget_init_template (GTK_WIDGET (self));

  click = gtk_gesture_click_new ();
  gtk_gesture_single_set_button (GTK_GESTURE_SINGLE (click), GDK_BUTTON_PRIMARY);
  g_signal_connect (click, "released", G_CALLBACK (released_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (click));

  layout = gtk_widget_get_layout_manager (GTK_WIDGET (self));
  gtk_orientable_set_orientation (GTK_ORIENTABLE (layout), GTK_ORIENTATION_VERTICAL);
  gtk_box_layout_set_spacing (GTK_BOX_LAYOUT (layout), 3);
}

/* Public API ------------------------------------------------------------------ */

CdCallbacksItem *
cd_callbacks_row_get_item (CdCallbacksRow *self)
{
  g_return_val_if_fail (CD_IS_CALLBACKS_ROW (self), NULL);
  return self->item;
}

const char *
cd_callbacks_row_get_due (CdCallbacksRow *self)
{
  g_return_val_if_fail (CD_IS_CALLBACKS_ROW (self), NULL);
  return gtk_label_get_label (self->due);
}
