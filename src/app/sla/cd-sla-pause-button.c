/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "cd-sla-pause-button.h"

struct _CdSlaPauseButton
{
  GtkButton       parent_instance;

  CdSlaTimerItem *item;
  gulong          notify_id;
};

G_DEFINE_FINAL_TYPE (CdSlaPauseButton, cd_sla_pause_button, GTK_TYPE_BUTTON)

enum {
  PROP_0,
  PROP_ITEM,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
update (CdSlaPauseButton *self)
{
  GtkWidget *widget = GTK_WIDGET (self);
  CdTicket *ticket = self->item != NULL ? cd_sla_timer_item_get_ticket (self->item) : NULL;
  gboolean paused;
  g_autofree char *tooltip = NULL;

  if (ticket == NULL)
    {
      gtk_actionable_set_action_name (GTK_ACTIONABLE (self), NULL);
      return;
    }

  paused = cd_sla_timer_item_get_paused (self->item);
  gtk_button_set_icon_name (GTK_BUTTON (self), paused ? "media-playback-start-symbolic"
                                                      : "media-playback-pause-symbolic");
  gtk_actionable_set_action_target_value (GTK_ACTIONABLE (self),
                                          g_variant_new_string (cd_record_get_id (CD_RECORD (ticket))));
  gtk_actionable_set_action_name (GTK_ACTIONABLE (self), paused ? "sla.resume" : "sla.pause");

  if (!gtk_widget_get_sensitive (widget))
    tooltip = g_strdup (_("Only a shift supervisor can pause or resume time limits"));
  else if (paused)
    /* Translators: a button's tooltip, %s is a ticket number */
    tooltip = g_strdup_printf (_("Resume the time limits of ticket %s…"), cd_sla_timer_item_get_number (self->item));
  else
    /* Translators: a button's tooltip, %s is a ticket number */
    tooltip = g_strdup_printf (_("Pause the time limits of ticket %s while waiting for the customer…"),
                               cd_sla_timer_item_get_number (self->item));
  gtk_widget_set_tooltip_text (widget, tooltip);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  paused ? _("Resume Time Limits") : _("Pause Time Limits"), -1);
}

static void
item_notify_cb (CdSlaPauseButton *self,
                GParamSpec       *pspec)
{
  /* The countdown changes every minute; the button only with these. */
  if (g_str_equal (pspec->name, "paused") || g_str_equal (pspec->name, "ticket") ||
      g_str_equal (pspec->name, "number"))
    update (self);
}

static void
sensitive_notify_cb (CdSlaPauseButton *self)
{
  update (self);
}

static void
cd_sla_pause_button_dispose (GObject *object)
{
  CdSlaPauseButton *self = CD_SLA_PAUSE_BUTTON (object);

  cd_sla_pause_button_set_item (self, NULL);

  G_OBJECT_CLASS (cd_sla_pause_button_parent_class)->dispose (object);
}

static void
cd_sla_pause_button_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  switch (prop_id)
    {
    case PROP_ITEM:
      g_value_set_object (value, CD_SLA_PAUSE_BUTTON (object)->item);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cd_sla_pause_button_set_property (GObject      *object,
                                  guint         prop_id,
                                  const GValue *value,
                                  GParamSpec   *pspec)
{
  switch (prop_id)
    {
    case PROP_ITEM:
      cd_sla_pause_button_set_item (CD_SLA_PAUSE_BUTTON (object), g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cd_sla_pause_button_class_init (CdSlaPauseButtonClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = cd_sla_pause_button_dispose;
  object_class->get_property = cd_sla_pause_button_get_property;
  object_class->set_property = cd_sla_pause_button_set_property;

  properties[PROP_ITEM] =
    g_param_spec_object ("item", NULL, NULL, CD_TYPE_SLA_TIMER_ITEM,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
cd_sla_pause_button_init (CdSlaPauseButton *self)
{
  gtk_widget_add_css_class (GTK_WIDGET (self), "flat");
  gtk_widget_add_css_class (GTK_WIDGET (self), "sla-pause-button");
  gtk_widget_set_halign (GTK_WIDGET (self), GTK_ALIGN_CENTER);
  gtk_widget_set_valign (GTK_WIDGET (self), GTK_ALIGN_CENTER);
  g_signal_connect (self, "notify::sensitive", G_CALLBACK (sensitive_notify_cb), NULL);
}

GtkWidget *
cd_sla_pause_button_new (void)
{
  return g_object_new (CD_TYPE_SLA_PAUSE_BUTTON, NULL);
}

CdSlaTimerItem *
cd_sla_pause_button_get_item (CdSlaPauseButton *self)
{
  g_return_val_if_fail (CD_IS_SLA_PAUSE_BUTTON (self), NULL);
  return self->item;
}

void
cd_sla_pause_button_set_item (CdSlaPauseButton *self,
                              CdSlaTimerItem   *item)
{
  g_return_if_fail (CD_IS_SLA_PAUSE_BUTTON (self));
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
