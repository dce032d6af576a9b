/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <math.h>

#include "cd-board-chooser.h"
#include "cd-board-logic.h"
#include "cd-format.h"

/* One crew in the chooser -------------------------------------------------- */

struct _CdBoardChoice
{
  GObject   parent_instance;

  char     *crew_id;
  char     *name;
  char     *detail;
  gboolean  allowed;
  gboolean  proposed;
  double    travel;    /* minutes, for the order; INFINITY unknown */
};

G_DEFINE_FINAL_TYPE (CdBoardChoice, cd_board_choice, G_TYPE_OBJECT)

enum {
  CHOICE_PROP_0,
  CHOICE_PROP_NAME,
  CHOICE_PROP_DETAIL,
  CHOICE_PROP_ALLOWED,
  CHOICE_PROP_PROPOSED,
  CHOICE_PROP_BADGE,
  N_CHOICE_PROPS
};

static GParamSpec *choice_properties[N_CHOICE_PROPS];

static void
cd_board_choice_finalize (GObject *object)
{
  CdBoardChoice *self = CD_BOARD_CHOICE (object);

  g_free (self->crew_id);
  g_free (self->name);
  g_free (self->detail);

  G_OBJECT_CLASS (cd_board_choice_parent_class)->finalize (object);
}

static void
cd_board_choice_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  CdBoardChoice *self = CD_BOARD_CHOICE (object);

  switch (prop_id)
    {
    case CHOICE_PROP_NAME:
      g_value_set_string (value, self->name);
      break;
    case CHOICE_PROP_DETAIL:
      g_value_set_string (value, self->detail);
      break;
    case CHOICE_PROP_ALLOWED:
      g_value_set_boolean (value, self->allowed);
      break;
    case CHOICE_PROP_PROPOSED:
      g_value_set_boolean (value, self->proposed);
      break;
    case CHOICE_PROP_BADGE:
      g_value_set_string (value, self->proposed ? _("Proposed") : "");
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cd_board_choice_class_init (CdBoardChoiceClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = cd_board_choice_finalize;
  object_class->get_property = cd_board_choice_get_property;

  choice_properties[CHOICE_PROP_NAME] =
    g_param_spec_string ("name", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  choice_properties[CHOICE_PROP_DETAIL] =
    g_param_spec_string ("detail", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  choice_properties[CHOICE_PROP_ALLOWED] =
    g_param_spec_boolean ("allowed", NULL, NULL, FALSE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  choice_properties[CHOICE_PROP_PROPOSED] =
    g_param_spec_boolean ("proposed", NULL, NULL, FALSE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  choice_properties[CHOICE_PROP_BADGE] =
    g_param_spec_string ("badge", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_CHOICE_PROPS, choice_properties);
}

static void
cd_board_choice_init (CdBoardChoice *self)
{
}

const char *
cd_board_choice_get_crew_id (CdBoardChoice *self)
{
  g_return_val_if_fail (CD_IS_BOARD_CHOICE (self), NULL);
  return self->crew_id;
}

gboolean
cd_board_choice_get_allowed (CdBoardChoice *self)
{
  g_return_val_if_fail (CD_IS_BOARD_CHOICE (self), FALSE);
  return self->allowed;
}

/* The popover -------------------------------------------------------------- */

struct _CdBoardChooser
{
  GtkPopover          parent_instance;

  GListStore         *store;
  GtkStringFilter    *filter;
  GtkFilterListModel *filtered;

  /* Template */
  GtkLabel           *heading;
  GtkSearchEntry     *search_entry;
  GtkListView        *list_view;
};

G_DEFINE_FINAL_TYPE (CdBoardChooser, cd_board_chooser, GTK_TYPE_POPOVER)

static void
choose (CdBoardChooser *self,
        CdBoardChoice  *choice)
{
  if (choice == NULL || !choice->allowed)
    return;

  gtk_widget_activate_action (GTK_WIDGET (self), "board.assign-to-crew", "s", choice->crew_id);
}

static void
list_activate_cb (CdBoardChooser *self,
                  guint           position)
{
  g_autoptr(CdBoardChoice) choice = g_list_model_get_item (G_LIST_MODEL (self->filtered), position);

  choose (self, choice);
}

/* Enter in the search takes the first crew that fits. */
static void
search_activate_cb (CdBoardChooser *self)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->filtered));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(CdBoardChoice) choice = g_list_model_get_item (G_LIST_MODEL (self->filtered), i);

      if (choice->allowed)
        {
          choose (self, choice);
          return;
        }
    }
}

static void
stop_search_cb (CdBoardChooser *self)
{
  gtk_popover_popdown (GTK_POPOVER (self));
}

static gint
compare_choices (gconstpointer a,
                 gconstpointer b)
{
  const CdBoardChoice *ca = *(CdBoardChoice **) a;
  const CdBoardChoice *cb = *(CdBoardChoice **) b;

  if (ca->proposed != cb->proposed)
    return ca->proposed ? -1 : 1;
  if (ca->allowed != cb->allowed)
    return ca->allowed ? -1 : 1;
  if (ca->travel != cb->travel)
    return ca->travel < cb->travel ? -1 : 1;
  return g_utf8_collate (ca->name, cb->name);
}

static void
cd_board_chooser_dispose (GObject *object)
{
  CdBoardChooser *self = CD_BOARD_CHOOSER (object);

  if (self->list_view != NULL)
    gtk_list_view_set_model (self->list_view, NULL);
  gtk_widget_dispose_template (GTK_WIDGET (self), CD_TYPE_BOARD_CHOOSER);
  g_clear_object (&self->filtered);
  g_clear_object (&self->filter);
  g_clear_object (&self->store);

  G_OBJECT_CLASS (cd_board_chooser_parent_class)->dispose (object);
}

static void
cd_board_chooser_class_init (CdBoardChooserClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = cd_board_chooser_dispose;

  g_type_ensure (CD_TYPE_BOARD_CHOICE);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/crewdesk/Crewdesk/board/cd-board-chooser.ui");
  gtk_widget_class_bind_template_child (widget_class, CdBoardChooser, heading);
  gtk_widget_class_bind_template_child (widget_class, CdBoardChooser, search_entry);
  gtk_widget_class_bind_template_child (widget_class, CdBoardChooser, list_view);
  gtk_widget_class_bind_template_callback (widget_class, list_activate_cb);
  gtk_widget_class_bind_template_callback (widget_class, search_activate_cb);
  gtk_widget_class_bind_template_callback (widget_class, stop_search_cb);
}

static void
cd_board_chooser_init (CdBoardChooser *self)
{
  GtkSingleSelection *selection;

  gtk_widget_init_template (GTK_WIDGET (self));

  self->store = g_list_store_new (CD_TYPE_BOARD_CHOICE);
  self->filter = gtk_string_filter_new (gtk_property_expression_new (CD_TYPE_BOARD_CHOICE, NULL, "name"));
  gtk_string_filter_set_match_mode (self->filter, GTK_STRING_FILTER_MATCH_MODE_SUBSTRING);
  gtk_string_filter_set_ignore_case (self->filter, TRUE);
  self->filtered = gtk_filter_list_model_new (g_object_ref (G_LIST_MODEL (self->store)),
                                              g_object_ref (GTK_FILTER (self->filter)));
  g_object_bind_property (self->search_entry, "text", self->filter, "search", G_BINDING_SYNC_CREATE);

  selection = gtk_single_selection_new (g_object_ref (G_LIST_MODEL (self->filtered)));
  gtk_single_selection_set_autoselect (selection, FALSE);
  gtk_single_selection_set_can_unselect (selection, TRUE);
  gtk_list_view_set_model (self->list_view, GTK_SELECTION_MODEL (selection));
  g_object_unref (selection);

  gtk_search_entry_set_key_capture_widget (self->search_entry, GTK_WIDGET (self));
}

CdBoardChooser *
cd_board_chooser_new (void)
{
  return g_object_new (CD_TYPE_BOARD_CHOOSER, NULL);
}

void
cd_board_chooser_set (CdBoardChooser *self,
                      CdContext      *context,
                      GPtrArray      *tickets)
{
  g_autoptr(GPtrArray) choices = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) proposals = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *heading = NULL;
  GListModel *crews;
  gint64 now;
  guint n;

  g_return_if_fail (CD_IS_BOARD_CHOOSER (self));
  g_return_if_fail (CD_IS_CONTEXT (context));
  g_return_if_fail (tickets != NULL && tickets->len > 0);

  if (tickets->len == 1)
    heading = g_strdup_printf (_("Assign %s To"), ((CdTicket *) g_ptr_array_index (tickets, 0))->number);
  else
    heading = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Assign %u Ticket To", "Assign %u Tickets To",
                                            tickets->len), tickets->len);
  gtk_label_set_label (self->heading, heading);
  gtk_editable_set_text (GTK_EDITABLE (self->search_entry), "");

  for (guint i = 0; i < tickets->len; i++)
    {
      g_autoptr(GPtrArray) ranked = NULL;
      g_autoptr(GArray) ranking = NULL;
      CdCrew *proposal = NULL;

      if (cd_context_rank_crews (context, g_ptr_array_index (tickets, i), &ranked, &ranking, NULL))
        proposal = cd_board_proposal (ranked, ranking, NULL);
      g_ptr_array_add (proposals, proposal != NULL ? g_strdup (cd_record_get_id (CD_RECORD (proposal))) : NULL);
    }
  g_ptr_array_add (proposals, NULL);

  now = cd_context_get_now (context);
  crews = cd_context_get_crews (context);
  n = g_list_model_get_n_items (crews);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(CdCrew) crew = g_list_model_get_item (crews, i);
      const char *crew_id = cd_record_get_id (CD_RECORD (crew));
      guint load = cd_context_get_crew_load (context, crew_id);
      g_autoptr(CdBoardMovePlan) plan = cd_board_plan_move (tickets, crew, load,
                                                            (const char * const *) proposals->pdata, now);
      CdBoardChoice *choice = g_object_new (CD_TYPE_BOARD_CHOICE, NULL);
      gboolean warn = FALSE;

      choice->crew_id = g_strdup (crew_id);
      choice->name = g_strdup (crew->name);
      choice->allowed = plan->n_move > 0;
      choice->proposed = TRUE;
      for (guint k = 0; k < tickets->len; k++)
        if (g_strcmp0 (g_ptr_array_index (proposals, k), crew_id) != 0)
          choice->proposed = FALSE;
      choice->travel = tickets->len == 1
                       ? cd_board_travel_minutes (cd_context_get_match_params (context),
                                                  g_ptr_array_index (tickets, 0), crew)
                       : INFINITY;
      if (!isfinite (choice->travel))
        choice->travel = INFINITY;

      for (guint k = 0; k < plan->items->len; k++)
        if (g_array_index (plan->items, CdBoardPlanItem, k).drop == CD_BOARD_DROP_ALLOW_WARNING)
          warn = TRUE;

      if (plan->n_same == tickets->len)
        choice->detail = g_strdup (g_dngettext (GETTEXT_PACKAGE, "Has this ticket already",
                                                "Has these tickets already", tickets->len));
      else if (!choice->allowed)
        choice->detail = g_strdup (cd_board_move_plan_first_refusal (plan));
      else
        {
          g_autoptr(GString) detail = g_string_new (cd_format_crew_status (crew->status));

          /* Translators: separates facts about a crew, "Available · 2/5 tickets · 8 min away" */
          g_string_append (detail, _(" · "));
          g_string_append_printf (detail, _("%u/%u tickets"), load, (guint) CLAMP (crew->capacity, 0, G_MAXUINT));
          if (isfinite (choice->travel))
            {
              g_autofree char *away = cd_format_countdown ((gint64) ceil (choice->travel * 60));

              g_string_append (detail, _(" · "));
              /* Translators: a crew's travel time to the ticket, "8 min away" */
              g_string_append_printf (detail, _("%s away"), away);
            }
          if (warn)
            {
              g_string_append (detail, _(" · "));
              g_string_append (detail, _("over capacity"));
            }
          if (plan->n_refused > 0)
            {
              g_string_append (detail, _(" · "));
              g_string_append_printf (detail, g_dngettext (GETTEXT_PACKAGE, "%u cannot go", "%u cannot go",
                                                           plan->n_refused), plan->n_refused);
            }
          choice->detail = g_string_free (g_steal_pointer (&detail), FALSE);
        }

      g_ptr_array_add (choices, choice);
    }

  g_ptr_array_sort (choices, compare_choices);
  g_list_store_splice (self->store, 0, g_list_model_get_n_items (G_LIST_MODEL (self->store)),
                       choices->pdata, choices->len);
}

GListModel *
cd_board_chooser_get_model (CdBoardChooser *self)
{
  g_return_val_if_fail (CD_IS_BOARD_CHOOSER (self), NULL);
  return G_LIST_MODEL (self->filtered);
}
