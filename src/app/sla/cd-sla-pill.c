/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "cd-enum-types.h"
#include "cd-sla-pill.h"

struct _CdSlaPill
{
  GtkWidget   parent_instance;

  GtkLabel   *label;
  CdSlaState  state;
  gboolean    paused;
  const char *style;
};

G_DEFINE_FINAL_TYPE (CdSlaPill, cd_sla_pill, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_LABEL,
  PROP_STATE,
  PROP_PAUSED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static const char * const styles[] = { "success", "warning", "error", "paused" };

static void
update_style (CdSlaPill *self)
{
  const char *style = NULL;

  if (self->paused)
    style = "paused";
  else
    switch (self->state)
      {
      case CD_SLA_STATE_GREEN:
        style = "success";
        break;
      case CD_SLA_STATE_AMBER:
        style = "warning";
        break;
      case CD_SLA_STATE_RED:
        style = "error";
        break;
      case CD_SLA_STATE_NONE:
      case CD_SLA_STATE_MET:
      default:
        break;
      }

  self->style = style;
  for (guint i = 0; i < G_N_ELEMENTS (styles); i++)
    if (g_strcmp0 (style, styles[i]) != 0)
      gtk_widget_remove_css_class (GTK_WIDGET (self), styles[i]);
  if (style != NULL)
    gtk_widget_add_css_class (GTK_WIDGET (self), style);
}

static void
cd_sla_pill_dispose (GObject *object)
{
  CdSlaPill *self = CD_SLA_PILL (object);

  g_clear_pointer ((GtkWidget **) &self->label, gtk_widget_unparent);

  G_OBJECT_CLASS (cd_sla_pill_parent_class)->dispose (object);
}

static void
cd_sla_pill_get_property (GObject    *object,
                          guint       prop_id,
                          GValue     *value,
                          GParamSpec *pspec)
{
  CdSlaPill *self = CD_SLA_PILL (object);

  switch (prop_id)
    {
    case PROP_LABEL:
      g_value_set_string (value, cd_sla_pill_get_label (self));
      break;
    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;
    case PROP_PAUSED:
      g_value_set_boolean (value, self->paused);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cd_sla_pill_set_property (GObject      *object,
                          guint         prop_id,
                          const GValue *value,
                          GParamSpec   *pspec)
{
  CdSlaPill *self = CD_SLA_PILL (object);

  switch (prop_id)
    {
    case PROP_LABEL:
      cd_sla_pill_set_label (self, g_value_get_string (value));
      break;
    case PROP_STATE:
      cd_sla_pill_set_state (self, g_value_get_enum (value), self->paused);
      break;
    case PROP_PAUSED:
      cd_sla_pill_set_state (self, self->state, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cd_sla_pill_class_init (CdSlaPillClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = cd_sla_pill_dispose;
  object_class->get_property = cd_sla_pill_get_property;
  object_class->set_property = cd_sla_pill_set_property;

  properties[PROP_LABEL] =
    g_param_spec_string ("label", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL, CD_TYPE_SLA_STATE, CD_SLA_STATE_NONE,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_PAUSED] =
    g_param_spec_boolean ("paused", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "slapill");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_STATUS);
}

static void
cd_sla_pill_init (CdSlaPill *self)
{
  self->label = GTK_LABEL (gtk_label_new (NULL));
  gtk_widget_set_parent (GTK_WIDGET (self->label), GTK_WIDGET (self));
  gtk_widget_set_halign (GTK_WIDGET (self), GTK_ALIGN_START);
  gtk_widget_set_valign (GTK_WIDGET (self), GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (GTK_WIDGET (self), "sla-pill");
  /* Until it has something to say. */
  gtk_widget_set_visible (GTK_WIDGET (self), FALSE);
}

GtkWidget *
cd_sla_pill_new (void)
{
  return g_object_new (CD_TYPE_SLA_PILL, NULL);
}

void
cd_sla_pill_set_state (CdSlaPill  *self,
                       CdSlaState  state,
                       gboolean    paused)
{
  g_return_if_fail (CD_IS_SLA_PILL (self));

  paused = !!paused;
  if (self->state == state && self->paused == paused && self->style != NULL)
    return;

  if (self->state != state)
    {
      self->state = state;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
    }
  if (self->paused != paused)
    {
      self->paused = paused;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PAUSED]);
    }
  update_style (self);
}

void
cd_sla_pill_set_label (CdSlaPill  *self,
                       const char *label)
{
  g_return_if_fail (CD_IS_SLA_PILL (self));

  if (g_strcmp0 (gtk_label_get_label (self->label), label != NULL ? label : "") == 0)
    return;
  gtk_label_set_label (self->label, label);
  gtk_widget_set_visible (GTK_WIDGET (self), label != NULL && label[0] != '\0');
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LABEL]);
}

const char *
cd_sla_pill_get_label (CdSlaPill *self)
{
  g_return_val_if_fail (CD_IS_SLA_PILL (self), NULL);
  return gtk_label_get_label (self->label);
}

const char *
cd_sla_pill_get_style (CdSlaPill *self)
{
  g_return_val_if_fail (CD_IS_SLA_PILL (self), NULL);
  return self->style;
}
