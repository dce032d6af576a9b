/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "cd-format.h"
#include "cd-sla-escalation-row.h"
#include "cd-sla-pill.h"

struct _CdSlaEscalationRow
{
  GtkWidget       parent_instance;

  CdSlaTimerItem *item;
  gulong          notify_id;

  /* Template */
  GtkLabel       *number;
  CdSlaPill      *pill;
  GtkLabel       *countdown;
  GtkLabel       *details;
  GtkButton      *ack_button;
  GtkWidget      *acked_box;
};

G_DEFINE_FINAL_TYPE (CdSlaEscalationRow, cd_sla_escalation_row, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_ITEM,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* Who acknowledged, when and why; and why the button is off when it is. */
static void
update_tooltips (CdSlaEscalationRow *self)
{
  const CdTimer *timer;
  CdSlaAck *ack;

  if (self->item == NULL)
    return;

  timer = cd_sla_timer_item_get_timer (self->item);
  ack = cd_sla_find_acknowledgement (timer->ticket, timer->state);
  if (ack != NULL)
    {
      g_autofree char *when = cd_format_time (ack->at, g_get_real_time () / G_USEC_PER_SEC);
      g_autofree char *tooltip = NULL;

      if (ack->note != NULL && ack->note[0] != '\0')
        /* Translators: who acknowledged an escalation, when, and their note */
        tooltip = g_strdup_printf (_("Acknowledged by %s at %s: %s"), ack->by != NULL ? ack->by : "", when, ack->note);
      else
        /* Translators: who acknowledged an escalation, and when */
        tooltip = g_strdup_printf (_("Acknowledged by %s at %s"), ack->by != NULL ? ack->by : "", when);
      gtk_widget_set_tooltip_text (self->acked_box, tooltip);
    }

  gtk_widget_set_tooltip_text (GTK_WIDGET (self->ack_button),
                               gtk_widget_get_sensitive (GTK_WIDGET (self->ack_button))
                               ? _("Take note of this escalation for every supervisor; it moves down the list")
                               : _("Only a shift supervisor can acknowledge escalations"));
}

static void
update (CdSlaEscalationRow *self)
{
  CdSlaTimerItem *item = self->item;
  const CdTimer *timer;
  g_autofree char *category = NULL, *area = NULL, *crew = NULL, *kind = NULL, *due = NULL;
  g_autofree char *line = NULL, *details = NULL, *label = NULL;
  guint n_escalated = 0;
  gboolean acknowledged;

  if (item == NULL)
    return;

  timer = cd_sla_timer_item_get_timer (item);
  g_object_get (item, "category", &category, "area", &area, "crew", &crew, "kind", &kind,
                "due", &due, "n-escalated", &n_escalated, NULL);
  acknowledged = cd_sla_timer_item_get_acknowledged (item);

  gtk_label_set_label (self->number, cd_sla_timer_item_get_number (item));
  /* The level escalated, even while paused: a paused overdue ticket is
   * still overdue. */
  cd_sla_pill_set_label (self->pill, cd_format_sla_state (timer->state));
  cd_sla_pill_set_state (self->pill, timer->state, FALSE);

  if (timer->paused)
    /* Translators: a paused time limit and its frozen time left, "On site · 42 min, paused" */
    line = g_strdup_printf (_("%s · %s, paused"), kind, cd_sla_timer_item_get_countdown (item));
  else if (n_escalated > 1)
    /* Translators: the most urgent time limit and its countdown, then how many more of
     * the ticket's time limits need attention: "On site · overdue 12 min (+1)" */
    line = g_strdup_printf (_("%s · %s (+%u)"), kind, cd_sla_timer_item_get_countdown (item), n_escalated - 1);
  else
    /* Translators: the running time limit and its countdown, "On site · 42 min" */
    line = g_strdup_printf (_("%s · %s"), kind, cd_sla_timer_item_get_countdown (item));
  gtk_label_set_label (self->countdown, line);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->countdown), due);

  /* Translators: a ticket's category, service area and crew, "Leak · Eastbank · Heat North" */
  details = g_strdup_printf (_("%s · %s · %s"), category, area, crew);
  gtk_label_set_label (self->details, details);

  gtk_widget_set_visible (GTK_WIDGET (self->ack_button), !acknowledged);
  gtk_widget_set_visible (self->acked_box, acknowledged);
  update_tooltips (self);
  /* The target first: the action takes "(ss)". */
  gtk_actionable_set_action_target (GTK_ACTIONABLE (self->ack_button), "(ss)",
                                    cd_record_get_id (CD_RECORD (timer->ticket)),
                                    cd_sla_level_to_string (timer->state));
  gtk_actionable_set_action_name (GTK_ACTIONABLE (self->ack_button), "sla.acknowledge");
  gtk_widget_set_opacity (GTK_WIDGET (self), acknowledged ? 0.7 : 1.0);

  /* Translators: how a screen reader names an escalation, "HT-6, Overdue, On site · overdue 12 min" */
  label = g_strdup_printf (_("%s, %s, %s"), cd_sla_timer_item_get_number (item),
                           cd_format_sla_state (timer->state), line);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);
}

static void
item_notify_cb (CdSlaEscalationRow *self)
{
  update (self);
}

static void
cd_sla_escalation_row_dispose (GObject *object)
{
  CdSlaEscalationRow *self = CD_SLA_ESCALATION_ROW (object);
  GtkWidget *child;

  cd_sla_escalation_row_set_item (self, NULL);
  gtk_widget_dispose_template (GTK_WIDGET (self), CD_TYPE_SLA_ESCALATION_ROW);
  /* Template children without an id are not cleared by the above. */
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);

  G_OBJECT_CLASS (cd_sla_escalation_row_parent_class)->dispose (object);
}

static void
cd_sla_escalation_row_get_property (GObject    *object,
                                    guint       prop_id,
                                    GValue     *value,
                                    GParamSpec *pspec)
{
  switch (prop_id)
    {
    case PROP_ITEM:
      g_value_set_object (value, CD_SLA_ESCALATION_ROW (object)->item);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cd_sla_escalation_row_set_property (GObject      *object,
                                    guint         prop_id,
                                    const GValue *value,
                                    GParamSpec   *pspec)
{
  switch (prop_id)
    {
    case PROP_ITEM:
      cd_sla_escalation_row_set_item (CD_SLA_ESCALATION_ROW (object), g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cd_sla_escalation_row_class_init (CdSlaEscalationRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = cd_sla_escalation_row_dispose;
  object_class->get_property = cd_sla_escalation_row_get_property;
  object_class->set_property = cd_sla_escalation_row_set_property;

  properties[PROP_ITEM] =
    g_param_spec_object ("item", NULL, NULL, CD_TYPE_SLA_TIMER_ITEM,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/crewdesk/Crewdesk/sla/cd-sla-escalation-row.ui");
  gtk_widget_class_bind_template_child (widget_class, CdSlaEscalationRow, number);
  gtk_widget_class_bind_template_child (widget_class, CdSlaEscalationRow, pill);
  gtk_widget_class_bind_template_child (widget_class, CdSlaEscalationRow, countdown);
  gtk_widget_class_bind_template_child (widget_class, CdSlaEscalationRow, details);
  gtk_widget_class_bind_template_child (widget_class, CdSlaEscalationRow, ack_button);
  gtk_widget_class_bind_template_child (widget_class, CdSlaEscalationRow, acked_box);

  gtk_widget_class_set_css_name (widget_class, "slaescalation");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);

  g_type_ensure (CD_TYPE_SLA_PILL);
}

static void
cd_sla_escalation_row_init (CdSlaEscalationRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  g_signal_connect_swapped (self->ack_button, "notify::sensitive", G_CALLBACK (update_tooltips), self);
}

CdSlaTimerItem *
cd_sla_escalation_row_get_item (CdSlaEscalationRow *self)
{
  g_return_val_if_fail (CD_IS_SLA_ESCALATION_ROW (self), NULL);
  return self->item;
}

void
cd_sla_escalation_row_set_item (CdSlaEscalationRow *self,
                                CdSlaTimerItem     *item)
{
  g_return_if_fail (CD_IS_SLA_ESCALATION_ROW (self));
  g_return_if_fail (item == NULL || CD_IS_SLA_TIMER_ITEM (item));

  if (self->item == item)
    return;

  if (self->item != NULL)
    g_clear_signal_handler (&self->notify_id, self->item);
  g_set_object (&self->item, item);
  if (item != NULL)
    self->notify_id = g_signal_connect_swapped (item, "notify", G_CALLBACK (item_notify_cb), self);
  update (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ITEM]);
}

GtkButton *
cd_sla_escalation_row_get_button (CdSlaEscalationRow *self)
{
  g_return_val_if_fail (CD_IS_SLA_ESCALATION_ROW (self), NULL);
  return self->ack_button;
}
