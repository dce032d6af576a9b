/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <math.h>

#include "cd-board-logic.h"
#include "cd-board-proposal.h"
#include "cd-format.h"

#define N_ALTERNATIVES 3

struct _CdBoardProposal
{
  GtkPopover  parent_instance;

  CdCrew     *crew;

  /* Template */
  GtkLabel   *heading;
  GtkLabel   *crew_label;
  GtkLabel   *note_label;
  GtkGrid    *breakdown;
  GtkLabel   *alternatives_heading;
  GtkGrid    *alternatives;
  GtkButton  *assign_button;
};

G_DEFINE_FINAL_TYPE (CdBoardProposal, cd_board_proposal, GTK_TYPE_POPOVER)

static void
clear_grid (GtkGrid *grid)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (grid))) != NULL)
    gtk_grid_remove (grid, child);
}

static GtkWidget *
cell (const char *text,
      float       xalign,
      const char *css_class)
{
  GtkWidget *label = gtk_label_new (text);

  gtk_label_set_xalign (GTK_LABEL (label), xalign);
  if (css_class != NULL)
    gtk_widget_add_css_class (label, css_class);
  return label;
}

static char *
cost_text (double cost)
{
  if (!isfinite (cost))
    /* Translators: a cost that cannot be computed */
    return g_strdup (_("—"));
  return g_strdup_printf ("%.1f", cost);
}

static void
add_part (CdBoardProposal *self,
          guint            row,
          const char      *part,
          const char      *detail,
          double           cost,
          gboolean         total)
{
  g_autofree char *value = cost_text (cost);

  gtk_grid_attach (self->breakdown, cell (part, 0, total ? "heading" : NULL), 0, (int) row, 1, 1);
  gtk_grid_attach (self->breakdown, cell (detail, 0, "dim-label"), 1, (int) row, 1, 1);
  gtk_grid_attach (self->breakdown, cell (value, 1, total ? "heading" : "numeric"), 2, (int) row, 1, 1);
}

static void
fill_breakdown (CdBoardProposal     *self,
                const CdMatchParams *params,
                CdTicket            *ticket,
                const CdMatchScore  *score)
{
  g_autofree char *travel = NULL;
  g_autofree char *load = NULL;
  g_autofree char *urgency = NULL;
  const char *area;
  guint n_load = 0;

  clear_grid (self->breakdown);

  if (isfinite (score->travel_min))
    {
      g_autofree char *minutes = cd_format_countdown ((gint64) ceil (score->travel_min * 60));

      /* Translators: distance and travel time, "3.2 km, 8 min" */
      travel = g_strdup_printf (_("%.1f km, %s"), score->distance_km, minutes);
    }
  else
    travel = g_strdup (_("Position unknown"));

  if (params->w_load > 0)
    n_load = (guint) floor (score->cost_load / params->w_load + 0.5);
  load = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u ticket in hand", "%u tickets in hand", n_load), n_load);

  if (ticket->area == NULL || *ticket->area == '\0')
    area = _("Ticket’s area unknown");
  else if (score->cost_area > 0)
    area = _("Outside its area");
  else
    area = _("In its area");

  /* Translators: how much the urgency weighs travel, "× 1.5 on travel" */
  urgency = g_strdup_printf (_("× %.1f on travel"), params->urgency_weight[CLAMP (ticket->urgency, 0, CD_N_URGENCIES - 1)]);

  add_part (self, 0, _("Travel"), travel, score->cost_travel, FALSE);
  add_part (self, 1, _("Load"), load, score->cost_load, FALSE);
  add_part (self, 2, _("Area"), area, score->cost_area, FALSE);
  add_part (self, 3, _("Urgency"), urgency, score->cost_urgency, FALSE);
  add_part (self, 4, _("Total"), "", score->total, TRUE);
}

static void
fill_alternatives (CdBoardProposal    *self,
                   GPtrArray          *crews,
                   GArray             *ranking,
                   const CdMatchScore *skip)
{
  guint row = 0;

  clear_grid (self->alternatives);
  for (guint i = 0; i < ranking->len && row < N_ALTERNATIVES; i++)
    {
      const CdMatchScore *s = &g_array_index (ranking, CdMatchScore, i);
      CdCrew *crew;
      g_autofree char *total = NULL;
      GtkWidget *name;

      if (s == skip || s->crew >= crews->len)
        continue;

      crew = g_ptr_array_index (crews, s->crew);
      total = cost_text (s->total);
      name = cell (crew->name, 0, NULL);
      gtk_label_set_ellipsize (GTK_LABEL (name), PANGO_ELLIPSIZE_END);
      gtk_widget_set_hexpand (name, TRUE);
      gtk_grid_attach (self->alternatives, name, 0, (int) row, 1, 1);
      gtk_grid_attach (self->alternatives, cell (total, 1, "numeric"), 1, (int) row, 1, 1);
      if (s->verdict != CD_MATCH_OK)
        {
          GtkWidget *why = cell (cd_match_verdict_to_string (s->verdict), 0, "caption");

          gtk_label_set_wrap (GTK_LABEL (why), TRUE);
          gtk_label_set_max_width_chars (GTK_LABEL (why), 36);
          gtk_widget_add_css_class (why, s->verdict == CD_MATCH_FULL || s->verdict == CD_MATCH_NO_POSITION
                                         ? "warning" : "error");
          row++;
          gtk_grid_attach (self->alternatives, why, 0, (int) row, 2, 1);
        }
      row++;
    }

  gtk_widget_set_visible (GTK_WIDGET (self->alternatives_heading), row > 0);
  gtk_widget_set_visible (GTK_WIDGET (self->alternatives), row > 0);
}

static void
cd_board_proposal_dispose (GObject *object)
{
  CdBoardProposal *self = CD_BOARD_PROPOSAL (object);

  g_clear_object (&self->crew);
  gtk_widget_dispose_template (GTK_WIDGET (self), CD_TYPE_BOARD_PROPOSAL);

  G_OBJECT_CLASS (cd_board_proposal_parent_class)->dispose (object);
}

static void
cd_board_proposal_class_init (CdBoardProposalClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = cd_board_proposal_dispose;

  gtk_widget_class_set_template_from_resource (widget_class, "/org/crewdesk/Crewdesk/board/cd-board-proposal.ui");
  gtk_widget_class_bind_template_child (widget_class, CdBoardProposal, heading);
  gtk_widget_class_bind_template_child (widget_class, CdBoardProposal, crew_label);
  gtk_widget_class_bind_template_child (widget_class, CdBoardProposal, note_label);
  gtk_widget_class_bind_template_child (widget_class, CdBoardProposal, breakdown);
  gtk_widget_class_bind_template_child (widget_class, CdBoardProposal, alternatives_heading);
  gtk_widget_class_bind_template_child (widget_class, CdBoardProposal, alternatives);
  gtk_widget_class_bind_template_child (widget_class, CdBoardProposal, assign_button);
}

static void
cd_board_proposal_init (CdBoardProposal *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

CdBoardProposal *
cd_board_proposal_new (void)
{
  return g_object_new (CD_TYPE_BOARD_PROPOSAL, NULL);
}

void
cd_board_proposal_set (CdBoardProposal     *self,
                       const CdMatchParams *params,
                       CdTicket            *ticket,
                       GPtrArray           *crews,
                       GArray              *ranking,
                       const char          *error_message)
{
  g_autofree char *heading = NULL;
  const CdMatchScore *score = NULL;
  CdCrew *crew = NULL;

  g_return_if_fail (CD_IS_BOARD_PROPOSAL (self));
  g_return_if_fail (params != NULL);
  g_return_if_fail (CD_IS_TICKET (ticket));

  /* Translators: the heading of the proposal popover, "Proposal for HT-1" */
  heading = g_strdup_printf (_("Proposal for %s"), ticket->number != NULL ? ticket->number : "");
  gtk_label_set_label (self->heading, heading);

  if (ranking != NULL)
    crew = cd_board_proposal (crews, ranking, &score);
  g_set_object (&self->crew, crew);

  gtk_widget_set_visible (GTK_WIDGET (self->breakdown), score != NULL);
  gtk_widget_set_visible (GTK_WIDGET (self->assign_button), FALSE);
  gtk_widget_set_visible (GTK_WIDGET (self->note_label), TRUE);

  if (ranking == NULL)
    {
      gtk_label_set_label (self->crew_label, _("No proposal"));
      gtk_label_set_label (self->note_label, error_message);
      gtk_widget_set_visible (GTK_WIDGET (self->alternatives_heading), FALSE);
      gtk_widget_set_visible (GTK_WIDGET (self->alternatives), FALSE);
      return;
    }

  if (crew == NULL)
    {
      gtk_label_set_label (self->crew_label, _("No crew can take it now"));
      gtk_label_set_label (self->note_label, _("Every crew breaks a constraint or is full. The closest ones and why:"));
      fill_alternatives (self, crews, ranking, NULL);
      return;
    }

  gtk_label_set_label (self->crew_label, crew->name);
  fill_breakdown (self, params, ticket, score);
  fill_alternatives (self, crews, ranking, score);

  if (g_strcmp0 (ticket->crew_id, cd_record_get_id (CD_RECORD (crew))) == 0)
    gtk_label_set_label (self->note_label, _("The ticket is already with this crew."));
  else
    {
      g_autofree char *label = g_strdup_printf (_("_Assign to %s"), crew->name);
      CdCrew *current = NULL;

      for (guint i = 0; ticket->crew_id != NULL && i < crews->len; i++)
        if (g_strcmp0 (cd_record_get_id (g_ptr_array_index (crews, i)), ticket->crew_id) == 0)
          current = g_ptr_array_index (crews, i);
      if (current != NULL)
        {
          g_autofree char *note = g_strdup_printf (_("Now with %s."), current->name);

          gtk_label_set_label (self->note_label, note);
        }
      else
        gtk_widget_set_visible (GTK_WIDGET (self->note_label), FALSE);

      gtk_button_set_label (self->assign_button, label);
      /* The target first: a name without it would not match the action. */
      gtk_actionable_set_action_target (GTK_ACTIONABLE (self->assign_button), "(ss)",
                                        cd_record_get_id (CD_RECORD (ticket)),
                                        cd_record_get_id (CD_RECORD (crew)));
      gtk_actionable_set_action_name (GTK_ACTIONABLE (self->assign_button), "board.assign-ticket");
      gtk_widget_set_visible (GTK_WIDGET (self->assign_button), TRUE);
    }
}

CdCrew *
cd_board_proposal_get_crew (CdBoardProposal *self)
{
  g_return_val_if_fail (CD_IS_BOARD_PROPOSAL (self), NULL);
  return self->crew;
}
