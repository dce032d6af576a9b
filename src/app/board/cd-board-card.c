/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "cd-board-card.h"
#include "cd-board-logic.h"
#include "cd-board-private.h"
#include "cd-format.h"

struct _CdBoardCard
{
  GtkWidget   parent_instance;

  CdTicket   *item;
  CdContext  *context;       /* while mapped */
  gulong      item_notify_id;
  gulong      tick_id;
  gulong      reloaded_id;

  /* Template */
  GtkLabel   *number;
  GtkLabel   *category;
  GtkImage   *key_icon;
  GtkImage   *pending_icon;
  GtkImage   *pin_icon;
  GtkButton  *proposal_button;
  GtkLabel   *urgency;
  GtkLabel   *sla;
  GtkLabel   *address;
};

G_DEFINE_FINAL_TYPE (CdBoardCard, cd_board_card, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_ITEM,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static const char * const urgency_classes[CD_N_URGENCIES] = { "normal", "urgent", "emergency" };
static const char * const sla_classes[] = { "sla-green", "sla-amber", "sla-red" };

/* Helpers -------------------------------------------------------------------- */

static CdBoard *
get_board (CdBoardCard *self)
{
  return (CdBoard *) gtk_widget_get_ancestor (GTK_WIDGET (self), CD_TYPE_BOARD);
}

static void
set_sla_class (CdBoardCard *self,
               const char  *css_class)
{
  for (guint i = 0; i < G_N_ELEMENTS (sla_classes); i++)
    if (g_strcmp0 (css_class, sla_classes[i]) != 0)
      gtk_widget_remove_css_class (GTK_WIDGET (self->sla), sla_classes[i]);
  if (css_class != NULL)
    gtk_widget_add_css_class (GTK_WIDGET (self->sla), css_class);
}

static void
update_sla (CdBoardCard *self,
            gint64       now)
{
  CdSlaPolicySet *policies;
  CdCalendar *calendar;
  CdSlaStatus status;
  CdSlaKind kind;
  g_autofree char *left = NULL;
  g_autofree char *text = NULL;
  g_autofree char *due = NULL;
  g_autofree char *tooltip = NULL;

  if (self->item == NULL || self->context == NULL)
    return;

  if (cd_ticket_is_paused (self->item))
    {
      gtk_label_set_label (self->sla, cd_format_ticket_status (CD_TICKET_STATUS_WAITING_CUSTOMER));
      gtk_widget_set_tooltip_text (GTK_WIDGET (self->sla), _("The time limits are paused"));
      set_sla_class (self, NULL);
      return;
    }

  policies = cd_context_get_policies (self->context);
  calendar = policies != NULL ? cd_sla_policy_set_get_calendar (policies, self->item->sla_calendar) : NULL;
  if (calendar == NULL || !cd_board_next_sla_kind (self->item, &kind))
    {
      gtk_label_set_label (self->sla, _("No time limit running"));
      gtk_widget_set_tooltip_text (GTK_WIDGET (self->sla), NULL);
      set_sla_class (self, NULL);
      return;
    }

  cd_sla_evaluate (self->item, kind, calendar, now, &status);
  left = cd_format_countdown (status.seconds_left);
  /* Translators: the running time limit and its countdown, "On site · 42 min" */
  text = g_strdup_printf (_("%s · %s"), cd_format_sla_kind (kind), left);
  if (g_strcmp0 (gtk_label_get_label (self->sla), text) != 0)
    gtk_label_set_label (self->sla, text);

  due = cd_format_time (status.deadline, now);
  /* Translators: a time limit and when it is due, "On site due at 14:05" */
  tooltip = g_strdup_printf (_("%s due at %s"), cd_format_sla_kind (kind), due);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->sla), tooltip);

  switch (status.state)
    {
    case CD_SLA_STATE_GREEN:
      set_sla_class (self, "sla-green");
      break;
    case CD_SLA_STATE_AMBER:
      set_sla_class (self, "sla-amber");
      break;
    case CD_SLA_STATE_RED:
      set_sla_class (self, "sla-red");
      break;
    case CD_SLA_STATE_NONE:
    case CD_SLA_STATE_MET:
    default:
      set_sla_class (self, NULL);
      break;
    }
}

static void
update_pending (CdBoardCard *self)
{
  gboolean pending = self->item != NULL && self->context != NULL &&
                     cd_context_is_pending (self->context, cd_record_get_id (CD_RECORD (self->item)));

  gtk_widget_set_visible (GTK_WIDGET (self->pending_icon), pending);
}

static void
update (CdBoardCard *self)
{
  CdTicket *t = self->item;
  g_autofree char *address = NULL;
  g_autofree char *label = NULL;

  if (t == NULL)
    return;

  gtk_label_set_label (self->number, t->number != NULL ? t->number : "");
  gtk_label_set_label (self->category, cd_format_category (t->category));
  gtk_label_set_label (self->urgency, cd_format_urgency (t->urgency));
  for (guint i = 0; i < CD_N_URGENCIES; i++)
    if (i != t->urgency)
      gtk_widget_remove_css_class (GTK_WIDGET (self->urgency), urgency_classes[i]);
  if ((guint) t->urgency < CD_N_URGENCIES)
    gtk_widget_add_css_class (GTK_WIDGET (self->urgency), urgency_classes[t->urgency]);

  /* A crew's progress on it, where there is any to tell. */
  if (t->crew_id != NULL && t->status != CD_TICKET_STATUS_ASSIGNED)
    /* Translators: an address, then the ticket's status, "1 Elm Road · En route" */
    address = g_strdup_printf (_("%s · %s"), t->address != NULL ? t->address : "",
                               cd_format_ticket_status (t->status));
  else
    address = g_strdup (t->address != NULL ? t->address : "");
  gtk_label_set_label (self->address, address);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->address), t->address);

  gtk_widget_set_visible (GTK_WIDGET (self->pin_icon), t->pinned);
  gtk_widget_set_visible (GTK_WIDGET (self->key_icon), t->key_customer);

  /* Translators: how a screen reader names a card, "HT-1, No heat, Urgent, 1 Elm Road" */
  label = g_strdup_printf (_("%s, %s, %s, %s"), t->number != NULL ? t->number : "",
                           cd_format_category (t->category), cd_format_urgency (t->urgency),
                           t->address != NULL ? t->address : "");
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);

  update_pending (self);
  if (self->context != NULL)
    update_sla (self, cd_context_get_now (self->context));
}

/* Signal callbacks --------------------------------------------------------- */

static void
item_notify_cb (CdTicket    *ticket,
                GParamSpec  *pspec,
                CdBoardCard *self)
{
  update (self);
}

static void
tick_cb (CdContext   *context,
         gint64       now,
         CdBoardCard *self)
{
  update_sla (self, now);
}

static void
reloaded_cb (CdContext   *context,
             CdBoardCard *self)
{
  update_pending (self);
}

/* Only a bound card that is on screen listens to the clock. */
static void
watch_clock (CdBoardCard *self)
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

static GdkContentProvider *
drag_prepare_cb (GtkDragSource *source,
                 double         x,
                 double         y,
                 CdBoardCard   *self)
{
  CdBoard *board = get_board (self);
  GtkWidget *column = gtk_widget_get_ancestor (GTK_WIDGET (self), CD_TYPE_BOARD_COLUMN);

  if (self->item == NULL || board == NULL || column == NULL)
    return NULL;

  _cd_board_drag_begin (board, CD_BOARD_COLUMN (column), self->item);
  return gdk_content_provider_new_typed (CD_TYPE_TICKET, self->item);
}

static void
drag_begin_cb (GtkDragSource *source,
               GdkDrag       *drag,
               CdBoardCard   *self)
{
  g_autoptr(GdkPaintable) paintable = gtk_widget_paintable_new (GTK_WIDGET (self));

  gtk_drag_source_set_icon (source, paintable, 24, 16);
}

static void
drag_end_cb (GtkDragSource *source,
             GdkDrag       *drag,
             gboolean       delete_data,
             CdBoardCard   *self)
{
  CdBoard *board = get_board (self);

  if (board != NULL)
    _cd_board_drag_end (board);
}

static void
secondary_pressed_cb (GtkGestureClick *gesture,
                      int              n_press,
                      double           x,
                      double           y,
                      CdBoardCard     *self)
{
  CdBoard *board = get_board (self);

  if (board == NULL || self->item == NULL)
    return;

  gtk_gesture_set_state (GTK_GESTURE (gesture), GTK_EVENT_SEQUENCE_CLAIMED);
  _cd_board_popup_menu (board, GTK_WIDGET (self), x, y);
}

static void
long_pressed_cb (GtkGestureLongPress *gesture,
                 double               x,
                 double               y,
                 CdBoardCard         *self)
{
  CdBoard *board = get_board (self);

  if (board != NULL && self->item != NULL)
    _cd_board_popup_menu (board, GTK_WIDGET (self), x, y);
}

static void
proposal_clicked_cb (CdBoardCard *self)
{
  CdBoard *board = get_board (self);

  if (board != NULL && self->item != NULL)
    _cd_board_show_proposal_for (board, GTK_WIDGET (self));
}

/* Overrides ------------------------------------------------------------------ */

static void
cd_board_card_map (GtkWidget *widget)
{
  CdBoardCard *self = CD_BOARD_CARD (widget);
  GtkWidget *column;

  GTK_WIDGET_CLASS (cd_board_card_parent_class)->map (widget);

  column = gtk_widget_get_ancestor (widget, CD_TYPE_BOARD_COLUMN);
  if (self->context == NULL && column != NULL)
    self->context = g_object_ref (cd_board_column_get_context (CD_BOARD_COLUMN (column)));
  watch_clock (self);
  update (self);
}

static void
cd_board_card_unmap (GtkWidget *widget)
{
  CdBoardCard *self = CD_BOARD_CARD (widget);

  GTK_WIDGET_CLASS (cd_board_card_parent_class)->unmap (widget);
  watch_clock (self);
}

static void
cd_board_card_dispose (GObject *object)
{
  CdBoardCard *self = CD_BOARD_CARD (object);
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
  gtk_widget_dispose_template (GTK_WIDGET (self), CD_TYPE_BOARD_CARD);
  /* Template children without an id are not cleared by the above. */
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);

  G_OBJECT_CLASS (cd_board_card_parent_class)->dispose (object);
}

static void
cd_board_card_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  CdBoardCard *self = CD_BOARD_CARD (object);

  switch (prop_id)
    {
    case PROP_ITEM:
      g_value_set_object (value, self->item);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cd_board_card_set_property (GObject      *object,
                            guint         prop_id,
                            const GValue *value,
                            GParamSpec   *pspec)
{
  CdBoardCard *self = CD_BOARD_CARD (object);

  switch (prop_id)
    {
    case PROP_ITEM:
      cd_board_card_set_item (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cd_board_card_class_init (CdBoardCardClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = cd_board_card_dispose;
  object_class->get_property = cd_board_card_get_property;
  object_class->set_property = cd_board_card_set_property;

  widget_class->map = cd_board_card_map;
  widget_class->unmap = cd_board_card_unmap;

  properties[PROP_ITEM] =
    g_param_spec_object ("item", NULL, NULL, CD_TYPE_TICKET,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/crewdesk/Crewdesk/board/cd-board-card.ui");
  gtk_widget_class_bind_template_child (widget_class, CdBoardCard, number);
  gtk_widget_class_bind_template_child (widget_class, CdBoardCard, category);
  gtk_widget_class_bind_template_child (widget_class, CdBoardCard, key_icon);
  gtk_widget_class_bind_template_child (widget_class, CdBoardCard, pending_icon);
  gtk_widget_class_bind_template_child (widget_class, CdBoardCard, pin_icon);
  gtk_widget_class_bind_template_child (widget_class, CdBoardCard, proposal_button);
  gtk_widget_class_bind_template_child (widget_class, CdBoardCard, urgency);
  gtk_widget_class_bind_template_child (widget_class, CdBoardCard, sla);
  gtk_widget_class_bind_template_child (widget_class, CdBoardCard, address);
  gtk_widget_class_bind_template_callback (widget_class, proposal_clicked_cb);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BOX_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "boardcard");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
}

static void
cd_board_card_init (CdBoardCard *self)
{
  GtkDragSource *drag;
  GtkGesture *click;
  GtkGesture *long_press;
  GtkLayoutManager *layout;

  gtk_widget_init_template (GTK_WIDGET (self));

  layout = gtk_widget_get_layout_manager (GTK_WIDGET (self));
  gtk_orientable_set_orientation (GTK_ORIENTABLE (layout), GTK_ORIENTATION_VERTICAL);
  gtk_box_layout_set_spacing (GTK_BOX_LAYOUT (layout), 4);

  drag = gtk_drag_source_new ();
  gtk_drag_source_set_actions (drag, GDK_ACTION_MOVE);
  g_signal_connect (drag, "prepare", G_CALLBACK (drag_prepare_cb), self);
  g_signal_connect (drag, "drag-begin", G_CALLBACK (drag_begin_cb), self);
  g_signal_connect (drag, "drag-end", G_CALLBACK (drag_end_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (drag));

  click = gtk_gesture_click_new ();
  gtk_gesture_single_set_button (GTK_GESTURE_SINGLE (click), GDK_BUTTON_SECONDARY);
  g_signal_connect (click, "pressed", G_CALLBACK (secondary_pressed_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (click));

  long_press = gtk_gesture_long_press_new ();
  gtk_gesture_single_set_touch_only (GTK_GESTURE_SINGLE (long_press), TRUE);
  g_signal_connect (long_press, "pressed", G_CALLBACK (long_pressed_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (long_press));
}

/* Public API ------------------------------------------------------------------ */

CdTicket *
cd_board_card_get_item (CdBoardCard *self)
{
  g_return_val_if_fail (CD_IS_BOARD_CARD (self), NULL);
  return self->item;
}

void
cd_board_card_set_item (CdBoardCard *self,
                        CdTicket    *item)
{
  g_return_if_fail (CD_IS_BOARD_CARD (self));
  g_return_if_fail (item == NULL || CD_IS_TICKET (item));

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
