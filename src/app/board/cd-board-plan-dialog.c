/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <math.h>

#include "cd-board-logic.h"
#include "cd-board-plan-dialog.h"
#include "cd-format.h"

/* One proposed assignment ------------------------------------------------- */

#define CD_TYPE_BOARD_PLAN_ENTRY (cd_board_plan_entry_get_type ())
G_DECLARE_FINAL_TYPE (CdBoardPlanEntry, cd_board_plan_entry, CD, BOARD_PLAN_ENTRY, GObject)

struct _CdBoardPlanEntry
{
  GObject   parent_instance;

  CdTicket *ticket;
  CdCrew   *crew;
  char     *title;
  char     *subtitle;
  char     *cost;
  gboolean  chosen;
};

G_DEFINE_FINAL_TYPE (CdBoardPlanEntry, cd_board_plan_entry, G_TYPE_OBJECT)

enum {
  ENTRY_PROP_0,
  ENTRY_PROP_TITLE,
  ENTRY_PROP_SUBTITLE,
  ENTRY_PROP_COST,
  ENTRY_PROP_CHOSEN,
  N_ENTRY_PROPS
};

static GParamSpec *entry_properties[N_ENTRY_PROPS];

static void
cd_board_plan_entry_finalize (GObject *object)
{
  CdBoardPlanEntry *self = CD_BOARD_PLAN_ENTRY (object);

  g_clear_object (&self->ticket);
  g_clear_object (&self->crew);
  g_free (self->title);
  g_free (self->subtitle);
  g_free (self->cost);

  G_OBJECT_CLASS (cd_board_plan_entry_parent_class)->finalize (object);
}

static void
cd_board_plan_entry_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  CdBoardPlanEntry *self = CD_BOARD_PLAN_ENTRY (object);

  switch (prop_id)
    {
    case ENTRY_PROP_TITLE:
      g_value_set_string (value, self->title);
      break;
    case ENTRY_PROP_SUBTITLE:
      g_value_set_string (value, self->subtitle);
      break;
    case ENTRY_PROP_COST:
      g_value_set_string (value, self->cost);
      break;
    case ENTRY_PROP_CHOSEN:
      g_value_set_boolean (value, self->chosen);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cd_board_plan_entry_set_property (GObject      *object,
                                  guint         prop_id,
                                  const GValue *value,
                                  GParamSpec   *pspec)
{
  CdBoardPlanEntry *self = CD_BOARD_PLAN_ENTRY (object);

  switch (prop_id)
    {
    case ENTRY_PROP_CHOSEN:
      if (self->chosen != g_value_get_boolean (value))
        {
          self->chosen = g_value_get_boolean (value);
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cd_board_plan_entry_class_init (CdBoardPlanEntryClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = cd_board_plan_entry_finalize;
  object_class->get_property = cd_board_plan_entry_get_property;
  object_class->set_property = cd_board_plan_entry_set_property;

  entry_properties[ENTRY_PROP_TITLE] =
    g_param_spec_string ("title", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  entry_properties[ENTRY_PROP_SUBTITLE] =
    g_param_spec_string ("subtitle", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  entry_properties[ENTRY_PROP_COST] =
    g_param_spec_string ("cost", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  entry_properties[ENTRY_PROP_CHOSEN] =
    g_param_spec_boolean ("chosen", NULL, NULL, TRUE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_ENTRY_PROPS, entry_properties);
}

static void
cd_board_plan_entry_init (CdBoardPlanEntry *self)
{
  self->chosen = TRUE;
}

/* Its row: the checkbox writes back into the entry ------------------------ */

#define CD_TYPE_BOARD_PLAN_ROW (cd_board_plan_row_get_type ())
G_DECLARE_FINAL_TYPE (CdBoardPlanRow, cd_board_plan_row, CD, BOARD_PLAN_ROW, GtkWidget)

struct _CdBoardPlanRow
{
  GtkWidget         parent_instance;

  CdBoardPlanEntry *item;
  GBinding         *binding;
  GtkWidget        *check;
  GtkWidget        *title;
  GtkWidget        *subtitle;
  GtkWidget        *cost;
};

G_DEFINE_FINAL_TYPE (CdBoardPlanRow, cd_board_plan_row, GTK_TYPE_WIDGET)

enum {
  ROW_PROP_0,
  ROW_PROP_ITEM,
  N_ROW_PROPS
};

static GParamSpec *row_properties[N_ROW_PROPS];

static void
plan_row_set_item (CdBoardPlanRow   *self,
                   CdBoardPlanEntry *item)
{
  if (self->item == item)
    return;

  g_clear_pointer (&self->binding, g_binding_unbind);
  g_set_object (&self->item, item);
  if (item != NULL)
    {
      self->binding = g_object_bind_property (item, "chosen", self->check, "active",
                                              G_BINDING_BIDIRECTIONAL | G_BINDING_SYNC_CREATE);
      gtk_label_set_label (GTK_LABEL (self->title), item->title);
      gtk_label_set_label (GTK_LABEL (self->subtitle), item->subtitle);
      gtk_label_set_label (GTK_LABEL (self->cost), item->cost);
      gtk_accessible_update_property (GTK_ACCESSIBLE (self->check), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                      item->title, -1);
    }
  g_object_notify_by_pspec (G_OBJECT (self), row_properties[ROW_PROP_ITEM]);
}

static void
cd_board_plan_row_dispose (GObject *object)
{
  CdBoardPlanRow *self = CD_BOARD_PLAN_ROW (object);
  GtkWidget *child;

  g_clear_pointer (&self->binding, g_binding_unbind);
  g_clear_object (&self->item);
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);

  G_OBJECT_CLASS (cd_board_plan_row_parent_class)->dispose (object);
}

static void
cd_board_plan_row_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  switch (prop_id)
    {
    case ROW_PROP_ITEM:
      g_value_set_object (value, CD_BOARD_PLAN_ROW (object)->item);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cd_board_plan_row_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  switch (prop_id)
    {
    case ROW_PROP_ITEM:
      plan_row_set_item (CD_BOARD_PLAN_ROW (object), g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cd_board_plan_row_class_init (CdBoardPlanRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = cd_board_plan_row_dispose;
  object_class->get_property = cd_board_plan_row_get_property;
  object_class->set_property = cd_board_plan_row_set_property;

  row_properties[ROW_PROP_ITEM] =
    g_param_spec_object ("item", NULL, NULL, CD_TYPE_BOARD_PLAN_ENTRY,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_ROW_PROPS, row_properties);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BOX_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "boardplanrow");
}

static void
cd_board_plan_row_init (CdBoardPlanRow *self)
{
  GtkWidget *texts = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);

  gtk_box_layout_set_spacing (GTK_BOX_LAYOUT (gtk_widget_get_layout_manager (GTK_WIDGET (self))), 12);

  self->check = gtk_check_button_new ();
  gtk_widget_set_valign (self->check, GTK_ALIGN_CENTER);
  gtk_widget_set_parent (self->check, GTK_WIDGET (self));

  self->title = gtk_label_new (NULL);
  gtk_label_set_xalign (GTK_LABEL (self->title), 0);
  gtk_label_set_ellipsize (GTK_LABEL (self->title), PANGO_ELLIPSIZE_END);
  self->subtitle = gtk_label_new (NULL);
  gtk_label_set_xalign (GTK_LABEL (self->subtitle), 0);
  gtk_label_set_ellipsize (GTK_LABEL (self->subtitle), PANGO_ELLIPSIZE_END);
  gtk_widget_add_css_class (self->subtitle, "caption");
  gtk_widget_add_css_class (self->subtitle, "dim-label");
  gtk_box_append (GTK_BOX (texts), self->title);
  gtk_box_append (GTK_BOX (texts), self->subtitle);
  gtk_widget_set_hexpand (texts, TRUE);
  gtk_widget_set_parent (texts, GTK_WIDGET (self));

  self->cost = gtk_label_new (NULL);
  gtk_widget_add_css_class (self->cost, "numeric");
  gtk_widget_add_css_class (self->cost, "dim-label");
  gtk_widget_set_tooltip_text (self->cost, _("Cost, in minutes of travel"));
  gtk_widget_set_parent (self->cost, GTK_WIDGET (self));
}

/* The dialog --------------------------------------------------------------- */

struct _CdBoardPlanDialog
{
  AdwMessageDialog  parent_instance;

  GListStore       *store;

  /* Template */
  GtkListView      *list_view;
};

G_DEFINE_FINAL_TYPE (CdBoardPlanDialog, cd_board_plan_dialog, ADW_TYPE_MESSAGE_DIALOG)

static guint
count_chosen (CdBoardPlanDialog *self)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->store));
  guint chosen = 0;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(CdBoardPlanEntry) entry = g_list_model_get_item (G_LIST_MODEL (self->store), i);

      chosen += entry->chosen;
    }
  return chosen;
}

static void
update_response (CdBoardPlanDialog *self)
{
  guint n = count_chosen (self);
  g_autofree char *label = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "_Assign %u Ticket", "_Assign %u Tickets", n),
                                            n);

  adw_message_dialog_set_response_label (ADW_MESSAGE_DIALOG (self), "apply", label);
  adw_message_dialog_set_response_enabled (ADW_MESSAGE_DIALOG (self), "apply", n > 0);
}

static void
entry_chosen_cb (CdBoardPlanEntry  *entry,
                 GParamSpec        *pspec,
                 CdBoardPlanDialog *self)
{
  update_response (self);
}

static void
cd_board_plan_dialog_dispose (GObject *object)
{
  CdBoardPlanDialog *self = CD_BOARD_PLAN_DIALOG (object);

  if (self->list_view != NULL)
    gtk_list_view_set_model (self->list_view, NULL);
  g_clear_object (&self->store);

  G_OBJECT_CLASS (cd_board_plan_dialog_parent_class)->dispose (object);
}

static void
cd_board_plan_dialog_class_init (CdBoardPlanDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = cd_board_plan_dialog_dispose;

  g_type_ensure (CD_TYPE_BOARD_PLAN_ROW);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/crewdesk/Crewdesk/board/cd-board-plan-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, CdBoardPlanDialog, list_view);
}

static void
cd_board_plan_dialog_init (CdBoardPlanDialog *self)
{
  GtkNoSelection *selection;

  gtk_widget_init_template (GTK_WIDGET (self));

  self->store = g_list_store_new (CD_TYPE_BOARD_PLAN_ENTRY);
  selection = gtk_no_selection_new (g_object_ref (G_LIST_MODEL (self->store)));
  gtk_list_view_set_model (self->list_view, GTK_SELECTION_MODEL (selection));
  g_object_unref (selection);
}

CdBoardPlanDialog *
cd_board_plan_dialog_new (GtkWindow           *parent,
                          GArray              *plan,
                          gint64               now,
                          const CdMatchParams *params)
{
  CdBoardPlanDialog *self;
  g_autofree char *body = NULL;

  g_return_val_if_fail (plan != NULL, NULL);
  g_return_val_if_fail (params != NULL, NULL);

  body = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                       "The optimizer proposes a crew for %u unassigned ticket, with the least travel for all of them together. Untick what should stay unassigned.",
                                       "The optimizer proposes crews for %u unassigned tickets, with the least travel for all of them together. Untick what should stay unassigned.",
                                       plan->len),
                          plan->len);
  self = g_object_new (CD_TYPE_BOARD_PLAN_DIALOG,
                       "transient-for", parent,
                       "modal", TRUE,
                       "body", body,
                       NULL);

  for (guint i = 0; i < plan->len; i++)
    {
      const CdDispatchProposal *p = &g_array_index (plan, CdDispatchProposal, i);
      g_autoptr(CdBoardPlanEntry) entry = g_object_new (CD_TYPE_BOARD_PLAN_ENTRY, NULL);
      double travel = cd_board_travel_minutes (params, p->ticket, p->crew);

      entry->ticket = g_object_ref (p->ticket);
      entry->crew = g_object_ref (p->crew);
      /* Translators: a proposed assignment, "HT-1 → Heat 2" */
      entry->title = g_strdup_printf (_("%s → %s"), p->ticket->number ? p->ticket->number : "", p->crew->name);
      if (isfinite (travel))
        {
          g_autofree char *away = cd_format_countdown ((gint64) ceil (travel * 60));

          /* Translators: category, address, travel time, "No heat · 1 Elm Road · 8 min away" */
          entry->subtitle = g_strdup_printf (_("%s · %s · %s away"), cd_format_category (p->ticket->category),
                                             p->ticket->address ? p->ticket->address : "", away);
        }
      else
        entry->subtitle = g_strdup_printf (_("%s · %s"), cd_format_category (p->ticket->category),
                                           p->ticket->address ? p->ticket->address : "");
      entry->cost = isfinite (p->cost) ? g_strdup_printf ("%.1f", p->cost) : g_strdup ("");
      g_signal_connect_object (entry, "notify::chosen", G_CALLBACK (entry_chosen_cb), self, 0);
      g_list_store_append (self->store, entry);
    }
  update_response (self);

  return self;
}

guint
cd_board_plan_dialog_get_n_items (CdBoardPlanDialog *self)
{
  g_return_val_if_fail (CD_IS_BOARD_PLAN_DIALOG (self), 0);
  return g_list_model_get_n_items (G_LIST_MODEL (self->store));
}

gboolean
cd_board_plan_dialog_get_chosen (CdBoardPlanDialog *self,
                                 guint              index)
{
  g_autoptr(CdBoardPlanEntry) entry = NULL;

  g_return_val_if_fail (CD_IS_BOARD_PLAN_DIALOG (self), FALSE);

  entry = g_list_model_get_item (G_LIST_MODEL (self->store), index);
  g_return_val_if_fail (entry != NULL, FALSE);
  return entry->chosen;
}

void
cd_board_plan_dialog_set_chosen (CdBoardPlanDialog *self,
                                 guint              index,
                                 gboolean           chosen)
{
  g_autoptr(CdBoardPlanEntry) entry = NULL;

  g_return_if_fail (CD_IS_BOARD_PLAN_DIALOG (self));

  entry = g_list_model_get_item (G_LIST_MODEL (self->store), index);
  g_return_if_fail (entry != NULL);
  g_object_set (entry, "chosen", chosen, NULL);
}

GPtrArray *
cd_board_plan_dialog_dup_chosen (CdBoardPlanDialog *self)
{
  GPtrArray *pairs;
  guint n;

  g_return_val_if_fail (CD_IS_BOARD_PLAN_DIALOG (self), NULL);

  pairs = g_ptr_array_new_with_free_func (g_object_unref);
  n = g_list_model_get_n_items (G_LIST_MODEL (self->store));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(CdBoardPlanEntry) entry = g_list_model_get_item (G_LIST_MODEL (self->store), i);

      if (!entry->chosen)
        continue;
      g_ptr_array_add (pairs, g_object_ref (entry->ticket));
      g_ptr_array_add (pairs, g_object_ref (entry->crew));
    }

  return pairs;
}
