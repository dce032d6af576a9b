/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "cd-style.h"
#include "cd-board-chooser.h"
#include "cd-board-private.h"
#include "cd-board-proposal.h"
#include "cd-dispatch.h"

#define MAX_UNDO 20

/* A ticket the board watches so that a change of crew refilters the two
 * columns concerned (filter models do not watch their items). */
typedef struct {
  CdBoard  *board;
  CdTicket *ticket;
  char     *crew_id;     /* as last seen */
  gulong    handler;
} Watch;

/* A move waiting for the override reason. */
typedef struct {
  CdBoardMovePlan *plan;
  GPtrArray       *tickets;   /* keeps the plan's tickets alive */
  CdCrew          *crew;
} PendingMove;

struct _CdBoard
{
  GtkWidget            parent_instance;

  CdContext           *context;

  CdBoardColumn       *unassigned;
  GtkSortListModel    *crews;          /* the context's, crews on shift first */
  GtkCustomSorter     *crew_sorter;
  char                *off_shift;      /* the off-shift crews the order was made with */
  GPtrArray           *crew_columns;   /* CdBoardColumn, in the order of crews */
  GHashTable          *watched;        /* CdTicket → Watch */
  GHashTable          *dirty;          /* crew ids ("" for Unassigned) to refilter */
  guint                refilter_idle;

  GtkWidget           *menu;
  CdBoardProposal     *proposal;
  CdBoardChooser      *chooser;
  GPtrArray           *chooser_targets;
  GPtrArray           *drag_group;     /* the tickets a drag carries */
  CdBoardColumn       *active_column;  /* holds the selection */
  GQueue               undo_stack;     /* CdBoardUndo, newest first */
  CdBoardReasonDialog *reason_dialog;  /* weak */
  CdBoardPlanDialog   *plan_dialog;    /* weak */

  /* Template */
  GtkScrolledWindow   *scroller;
  GtkBox              *columns_box;
  GMenuModel          *card_menu;
};

G_DEFINE_FINAL_TYPE (CdBoard, cd_board, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_CONTEXT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void update_actions (CdBoard *self);

/* Helpers -------------------------------------------------------------------- */

static void
pending_move_free (gpointer data)
{
  PendingMove *pending = data;

  cd_board_move_plan_free (pending->plan);
  g_ptr_array_unref (pending->tickets);
  g_clear_object (&pending->crew);
  g_free (pending);
}

static void
watch_free (gpointer data)
{
  Watch *watch = data;

  g_clear_signal_handler (&watch->handler, watch->ticket);
  g_object_unref (watch->ticket);
  g_free (watch->crew_id);
  g_free (watch);
}

static const char *
ticket_label (CdTicket *ticket)
{
  return ticket->number != NULL ? ticket->number : cd_record_get_id (CD_RECORD (ticket));
}

static CdBoardColumn *
find_column (CdBoard    *self,
             const char *crew_id)
{
  if (crew_id == NULL || *crew_id == '\0')
    return self->unassigned;

  for (guint i = 0; i < self->crew_columns->len; i++)
    {
      CdBoardColumn *column = g_ptr_array_index (self->crew_columns, i);

      if (g_strcmp0 (cd_board_column_get_crew_id (column), crew_id) == 0)
        return column;
    }

  return NULL;
}

static void
toast (CdBoard    *self,
       const char *title)
{
  AdwToast *t = adw_toast_new (title);

  /* Sentences can be long; the toast shows them whole. */
  adw_toast_set_timeout (t, 8);
  cd_context_add_toast (self->context, t);
}

static GtkWindow *
parent_window (CdBoard *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  return GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL;
}

/* The tickets the actions act on: the selection (one column's at a time). */
static GPtrArray *
dup_targets (CdBoard *self)
{
  if (self->active_column != NULL)
    {
      GPtrArray *selected = cd_board_column_dup_selected (self->active_column);

      if (selected->len > 0)
        return selected;
      g_ptr_array_unref (selected);
    }

  for (guint i = 0; i <= self->crew_columns->len; i++)
    {
      CdBoardColumn *column = i == 0 ? self->unassigned : g_ptr_array_index (self->crew_columns, i - 1);
      GPtrArray *selected = cd_board_column_dup_selected (column);

      if (selected->len > 0)
        return selected;
      g_ptr_array_unref (selected);
    }

  return g_ptr_array_new_with_free_func (g_object_unref);
}

/* The proposed crew's id for each ticket (NULL where there is none). */
static GPtrArray *
dup_proposals (CdBoard   *self,
               GPtrArray *tickets)
{
  GPtrArray *proposals = g_ptr_array_new_full (tickets->len + 1, g_free);

  for (guint i = 0; i < tickets->len; i++)
    {
      g_autoptr(GPtrArray) crews = NULL;
      g_autoptr(GArray) ranking = NULL;
      g_autoptr(GError) error = NULL;
      CdCrew *proposal = NULL;

      if (cd_context_rank_crews (self->context, g_ptr_array_index (tickets, i), &crews, &ranking, &error))
        proposal = cd_board_proposal (crews, ranking, NULL);
      else
        g_debug ("No ranking for the override check: %s", error->message);
      g_ptr_array_add (proposals, proposal != NULL ? g_strdup (cd_record_get_id (CD_RECORD (proposal))) : NULL);
    }
  g_ptr_array_add (proposals, NULL);

  return proposals;
}

static CdBoardMovePlan *
plan_move (CdBoard   *self,
           GPtrArray *tickets,
           CdCrew    *crew,
           gboolean   with_proposals)
{
  g_autoptr(GPtrArray) proposals = NULL;
  const char *crew_id = crew != NULL ? cd_record_get_id (CD_RECORD (crew)) : NULL;
  guint load = crew_id != NULL ? cd_context_get_crew_load (self->context, crew_id) : 0;

  if (with_proposals && crew != NULL)
    proposals = dup_proposals (self, tickets);

  return cd_board_plan_move (tickets, crew, load,
                             proposals != NULL ? (const char * const *) proposals->pdata : NULL,
                             cd_context_get_now (self->context));
}

/* Refiltering ---------------------------------------------------------------- */

static void
flush_refilter (CdBoard *self)
{
  GHashTableIter iter;
  gpointer key;

  g_clear_handle_id (&self->refilter_idle, g_source_remove);

  g_hash_table_iter_init (&iter, self->dirty);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      CdBoardColumn *column = find_column (self, key);

      if (column != NULL)
        cd_board_column_refilter (column);
    }
  g_hash_table_remove_all (self->dirty);
}

static gboolean
refilter_idle_cb (gpointer user_data)
{
  CdBoard *self = user_data;

  self->refilter_idle = 0;
  flush_refilter (self);
  return G_SOURCE_REMOVE;
}

static void
mark_dirty (CdBoard    *self,
            const char *crew_id)
{
  g_hash_table_add (self->dirty, g_strdup (crew_id != NULL ? crew_id : ""));
  /* Changes from the model come with ::reloaded, which refilters at
   * once; the idle catches anything else. */
  if (self->refilter_idle == 0)
    self->refilter_idle = g_idle_add (refilter_idle_cb, self);
}

static void
ticket_crew_changed_cb (CdTicket   *ticket,
                        GParamSpec *pspec,
                        Watch      *watch)
{
  if (g_strcmp0 (watch->crew_id, ticket->crew_id) == 0)
    return;

  mark_dirty (watch->board, watch->crew_id);
  mark_dirty (watch->board, ticket->crew_id);
  g_free (watch->crew_id);
  watch->crew_id = g_strdup (ticket->crew_id);
}

static void
watch_ticket (CdBoard  *self,
              CdTicket *ticket)
{
  Watch *watch;

  if (g_hash_table_contains (self->watched, ticket))
    return;

  watch = g_new0 (Watch, 1);
  watch->board = self;
  watch->ticket = g_object_ref (ticket);
  watch->crew_id = g_strdup (ticket->crew_id);
  watch->handler = g_signal_connect (ticket, "notify::crew-id", G_CALLBACK (ticket_crew_changed_cb), watch);
  g_hash_table_insert (self->watched, ticket, watch);
}

static void
tickets_changed_cb (GListModel *model,
                    guint       position,
                    guint       removed,
                    guint       added,
                    CdBoard    *self)
{
  for (guint i = 0; i < added; i++)
    {
      g_autoptr(CdTicket) ticket = g_list_model_get_item (model, position + i);

      watch_ticket (self, ticket);
    }

  /* Forget the tickets that left. */
  if (removed > 0)
    {
      g_autoptr(GHashTable) present = g_hash_table_new (NULL, NULL);
      GHashTableIter iter;
      gpointer key;
      guint n = g_list_model_get_n_items (model);

      for (guint i = 0; i < n; i++)
        {
          g_autoptr(GObject) item = g_list_model_get_item (model, i);

          g_hash_table_add (present, item);
        }
      g_hash_table_iter_init (&iter, self->watched);
      while (g_hash_table_iter_next (&iter, &key, NULL))
        if (!g_hash_table_contains (present, key))
          g_hash_table_iter_remove (&iter);
    }
}

/* Crews at work first, so the columns a dispatcher drops on are near;
 * then by name, as the context lists them. */
static int
compare_crews (gconstpointer a,
               gconstpointer b,
               gpointer      user_data)
{
  CdBoard *self = user_data;
  gint64 now = cd_context_get_now (self->context);
  gboolean a_on = cd_crew_is_on_shift ((CdCrew *) a, now);
  gboolean b_on = cd_crew_is_on_shift ((CdCrew *) b, now);
  int c;

  if (a_on != b_on)
    return a_on ? -1 : 1;
  if ((c = g_utf8_collate (((CdCrew *) a)->name ? ((CdCrew *) a)->name : "",
                           ((CdCrew *) b)->name ? ((CdCrew *) b)->name : "")) != 0)
    return c;
  return g_strcmp0 (cd_record_get_id ((CdRecord *) a), cd_record_get_id ((CdRecord *) b));
}

static char *
dup_off_shift (CdBoard *self)
{
  GListModel *crews = cd_context_get_crews (self->context);
  g_autoptr(GString) ids = g_string_new (NULL);
  gint64 now = cd_context_get_now (self->context);

  for (guint i = 0; i < g_list_model_get_n_items (crews); i++)
    {
      g_autoptr(CdCrew) crew = g_list_model_get_item (crews, i);

      if (!cd_crew_is_on_shift (crew, now))
        g_string_append_printf (ids, "%s ", cd_record_get_id (CD_RECORD (crew)));
    }
  return g_string_free (g_steal_pointer (&ids), FALSE);
}

/* Re-sorts the columns only when a crew came on or went off shift:
 * a new order rebuilds the columns that moved. */
static void
resort_crews (CdBoard *self)
{
  g_autofree char *off_shift = dup_off_shift (self);

  if (g_strcmp0 (off_shift, self->off_shift) == 0)
    return;
  g_free (self->off_shift);
  self->off_shift = g_steal_pointer (&off_shift);
  gtk_sorter_changed (GTK_SORTER (self->crew_sorter), GTK_SORTER_CHANGE_DIFFERENT);
}

static void
reloaded_cb (CdContext *context,
             CdBoard   *self)
{
  flush_refilter (self);
  resort_crews (self);
  /* Deadlines and urgencies may have moved. */
  cd_board_column_resort (self->unassigned);
  for (guint i = 0; i < self->crew_columns->len; i++)
    cd_board_column_resort (g_ptr_array_index (self->crew_columns, i));
  update_actions (self);
}

/* Columns follow the crews ---------------------------------------------------- */

static void
crews_changed_cb (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  CdBoard    *self)
{
  for (guint i = 0; i < removed; i++)
    {
      CdBoardColumn *column = g_ptr_array_index (self->crew_columns, position);

      if (self->active_column == column)
        self->active_column = NULL;
      gtk_box_remove (self->columns_box, GTK_WIDGET (column));
      g_ptr_array_remove_index (self->crew_columns, position);
    }

  for (guint i = 0; i < added; i++)
    {
      g_autoptr(CdCrew) crew = g_list_model_get_item (model, position + i);
      CdBoardColumn *column = cd_board_column_new (self->context, crew);
      GtkWidget *sibling = position + i == 0 ? GTK_WIDGET (self->unassigned)
                                             : g_ptr_array_index (self->crew_columns, position + i - 1);

      g_ptr_array_insert (self->crew_columns, (gint) (position + i), column);
      gtk_box_insert_child_after (self->columns_box, GTK_WIDGET (column), sibling);
    }
}

/* Undo ------------------------------------------------------------------------ */

/* @undo: borrowed; done at most once. */
static void
undo_apply (CdBoard     *self,
            CdBoardUndo *undo)
{
  g_autoptr(GError) first_error = NULL;
  GList *link = g_queue_find (&self->undo_stack, undo);
  guint n = cd_board_undo_get_n_moves (undo);
  guint failed = 0;

  /* Undone once only; the stack's reference is ours from here. */
  if (link == NULL)
    return;
  g_queue_delete_link (&self->undo_stack, link);

  for (guint i = n; i > 0; i--)
    {
      const CdBoardMove *move = cd_board_undo_get_move (undo, i - 1);
      g_autoptr(GError) error = NULL;

      if (!cd_context_submit (self->context, CD_MUTATION_OP_TICKET_ASSIGN, move->ticket_id, -1,
                              cd_board_undo_args (move), NULL, &error))
        {
          failed++;
          if (first_error == NULL)
            first_error = g_steal_pointer (&error);
        }
    }

  if (first_error != NULL)
    {
      g_autofree char *title = NULL;

      if (n == 1)
        title = g_strdup (first_error->message);
      else
        /* Translators: %u of %u tickets, then the first reason */
        title = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                              "%u of %u tickets could not be put back: %s",
                                              "%u of %u tickets could not be put back: %s", failed),
                                 failed, n, first_error->message);
      toast (self, title);
    }

  g_clear_pointer (&undo, cd_board_undo_unref);
  update_actions (self);
}

static void
undo_clicked_cb (AdwToast *t,
                 CdBoard  *self)
{
  CdBoardUndo *undo = g_object_get_data (G_OBJECT (t), "cd-board-undo");

  if (undo != NULL)
    undo_apply (self, undo);
}

static void
push_undo (CdBoard     *self,
           CdBoardUndo *undo,
           const char  *crew_name)
{
  g_autofree char *title = cd_board_undo_describe (undo, crew_name);
  AdwToast *t = adw_toast_new (title);

  g_queue_push_head (&self->undo_stack, cd_board_undo_ref (undo));
  while (g_queue_get_length (&self->undo_stack) > MAX_UNDO)
    cd_board_undo_unref (g_queue_pop_tail (&self->undo_stack));

  adw_toast_set_button_label (t, _("_Undo"));
  adw_toast_set_priority (t, ADW_TOAST_PRIORITY_HIGH);
  g_object_set_data_full (G_OBJECT (t), "cd-board-undo", cd_board_undo_ref (undo),
                          (GDestroyNotify) cd_board_undo_unref);
  g_signal_connect_object (t, "button-clicked", G_CALLBACK (undo_clicked_cb), self, 0);
  cd_context_add_toast (self->context, t);
  update_actions (self);
}

/* Moving ---------------------------------------------------------------------- */

/* Sends the plan's moves as ticket.assign mutations: overrides carry the
 * reason and pin, the others do not; every one on condition that the
 * ticket is still on the crew it was seen on. One undo for all. */
static guint
apply_plan (CdBoard         *self,
            CdBoardMovePlan *plan,
            CdCrew          *crew,
            const char      *reason)
{
  g_autoptr(CdBoardUndo) undo = cd_board_undo_new ();
  g_autoptr(GError) first_error = NULL;
  g_autofree char *last_warning = NULL;
  const char *crew_id = crew != NULL ? cd_record_get_id (CD_RECORD (crew)) : NULL;
  guint failed = 0;

  for (guint i = 0; i < plan->items->len; i++)
    {
      const CdBoardPlanItem *item = &g_array_index (plan->items, CdBoardPlanItem, i);
      CdTicket *ticket = item->ticket;
      g_autoptr(GError) error = NULL;
      g_autofree char *warning = NULL;
      JsonObject *args;

      if (!cd_board_drop_is_allowed (item->drop))
        continue;

      args = cd_board_assign_args (crew_id, item->override ? reason : NULL, item->override,
                                   TRUE, ticket->crew_id);
      cd_board_undo_add (undo, ticket, crew_id);
      if (!cd_context_submit (self->context, CD_MUTATION_OP_TICKET_ASSIGN,
                              cd_record_get_id (CD_RECORD (ticket)), -1, args, &warning, &error))
        {
          cd_board_undo_remove_last (undo);
          failed++;
          if (first_error == NULL)
            first_error = g_steal_pointer (&error);
          continue;
        }
      if (warning != NULL)
        {
          g_free (last_warning);
          last_warning = g_steal_pointer (&warning);
        }
    }

  if (cd_board_undo_get_n_moves (undo) > 0)
    push_undo (self, undo, crew != NULL ? crew->name : NULL);

  if (first_error != NULL)
    {
      g_autofree char *title = NULL;

      if (failed == 1)
        title = g_strdup (first_error->message);
      else
        title = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                              "%u ticket could not be moved: %s",
                                              "%u tickets could not be moved: %s", failed),
                                 failed, first_error->message);
      toast (self, title);
    }
  if (plan->n_refused > 0 && cd_board_move_plan_first_refusal (plan) != NULL)
    toast (self, cd_board_move_plan_first_refusal (plan));
  if (last_warning != NULL)
    toast (self, last_warning);

  return cd_board_undo_get_n_moves (undo);
}

static char *
describe_override (CdBoard         *self,
                   CdBoardMovePlan *plan,
                   CdCrew          *crew)
{
  const CdBoardPlanItem *first = NULL;
  g_autoptr(GPtrArray) crews = NULL;
  g_autoptr(GArray) ranking = NULL;
  CdCrew *proposal = NULL;

  for (guint i = 0; i < plan->items->len && first == NULL; i++)
    if (g_array_index (plan->items, CdBoardPlanItem, i).override)
      first = &g_array_index (plan->items, CdBoardPlanItem, i);
  g_assert (first != NULL);

  if (plan->n_override > 1)
    return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                         "%u ticket goes to %s instead of the crew automatic matching proposes. The reason is recorded with the assignment.",
                                         "%u tickets go to %s instead of the crews automatic matching proposes. The reason is recorded with each assignment.",
                                         plan->n_override),
                            plan->n_override, crew->name);

  if (cd_context_rank_crews (self->context, first->ticket, &crews, &ranking, NULL))
    proposal = cd_board_proposal (crews, ranking, NULL);
  if (proposal == NULL)
    return g_strdup_printf (_("Automatic matching found no free crew for ticket %s. Why should %s take it? The reason is recorded with the assignment."),
                            ticket_label (first->ticket), crew->name);
  return g_strdup_printf (_("Automatic matching proposes %s for ticket %s. Why should %s take it instead? The reason is recorded with the assignment."),
                          proposal->name, ticket_label (first->ticket), crew->name);
}

static void
reason_response_cb (CdBoardReasonDialog *dialog,
                    const char          *response,
                    CdBoard             *self)
{
  PendingMove *pending = g_object_get_data (G_OBJECT (dialog), "cd-board-pending");

  if (g_strcmp0 (response, "assign") == 0 && pending != NULL)
    {
      g_autofree char *reason = cd_board_reason_dialog_dup_recorded (dialog);

      if (reason != NULL)
        apply_plan (self, pending->plan, pending->crew, reason);
    }

  gtk_window_destroy (GTK_WINDOW (dialog));
}

/* Moves @tickets to @crew (NULL: unassigns). Overrides of the automatic
 * proposal ask for a reason first. Returns FALSE when nothing is or will
 * be sent. */
static gboolean
board_move (CdBoard   *self,
            GPtrArray *tickets,
            CdCrew    *crew)
{
  g_autoptr(CdBoardMovePlan) plan = NULL;
  PendingMove *pending;
  g_autofree char *body = NULL;

  if (tickets->len == 0)
    return FALSE;

  plan = plan_move (self, tickets, crew, TRUE);
  if (plan->n_move == 0)
    {
      if (plan->n_refused > 0)
        toast (self, cd_board_move_plan_first_refusal (plan));
      return FALSE;
    }

  if (plan->n_override == 0)
    return apply_plan (self, plan, crew, NULL) > 0;

  /* Only one question at a time. */
  if (self->reason_dialog != NULL)
    gtk_window_destroy (GTK_WINDOW (self->reason_dialog));

  body = describe_override (self, plan, crew);
  pending = g_new0 (PendingMove, 1);
  pending->plan = g_steal_pointer (&plan);
  pending->tickets = g_ptr_array_ref (tickets);
  pending->crew = g_object_ref (crew);

  self->reason_dialog = cd_board_reason_dialog_new (parent_window (self), body);
  g_object_add_weak_pointer (G_OBJECT (self->reason_dialog), (gpointer *) &self->reason_dialog);
  g_object_set_data_full (G_OBJECT (self->reason_dialog), "cd-board-pending", pending, pending_move_free);
  g_signal_connect_object (self->reason_dialog, "response", G_CALLBACK (reason_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (self->reason_dialog));

  return TRUE;
}

static GPtrArray *
group_for (CdBoard  *self,
           CdTicket *ticket)
{
  GPtrArray *tickets;

  if (self->drag_group != NULL && (ticket == NULL || g_ptr_array_find (self->drag_group, ticket, NULL)))
    return g_ptr_array_ref (self->drag_group);

  tickets = g_ptr_array_new_with_free_func (g_object_unref);
  if (ticket != NULL)
    g_ptr_array_add (tickets, g_object_ref (ticket));
  return tickets;
}

/* Popovers -------------------------------------------------------------------- */

/* Where a popover for the keyboard's target points: the focused card, or
 * the active column. */
static void
point_at_focus (CdBoard    *self,
                GtkPopover *popover)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkWidget *focus = root != NULL ? gtk_root_get_focus (root) : NULL;
  GtkWidget *target = NULL;
  graphene_rect_t bounds;

  if (focus != NULL && gtk_widget_is_ancestor (focus, GTK_WIDGET (self)))
    target = focus;
  if (target == NULL && self->active_column != NULL)
    target = GTK_WIDGET (self->active_column);
  if (target == NULL)
    target = GTK_WIDGET (self->unassigned);

  if (gtk_widget_compute_bounds (target, GTK_WIDGET (self), &bounds))
    {
      GdkRectangle rect = {
        (int) bounds.origin.x, (int) bounds.origin.y,
        MAX ((int) bounds.size.width, 1), MAX ((int) bounds.size.height, 1)
      };

      /* A column is tall: point at its header. */
      if (CD_IS_BOARD_COLUMN (target))
        rect.height = MIN (rect.height, 48);
      gtk_popover_set_pointing_to (popover, &rect);
    }
}

static void
point_at_widget (CdBoard    *self,
                 GtkPopover *popover,
                 GtkWidget  *widget)
{
  graphene_rect_t bounds;

  if (widget != NULL && gtk_widget_compute_bounds (widget, GTK_WIDGET (self), &bounds))
    {
      GdkRectangle rect = {
        (int) bounds.origin.x, (int) bounds.origin.y,
        MAX ((int) bounds.size.width, 1), MAX ((int) bounds.size.height, 1)
      };

      gtk_popover_set_pointing_to (popover, &rect);
    }
  else
    point_at_focus (self, popover);
}

static void
show_proposal (CdBoard   *self,
               CdTicket  *ticket,
               GtkWidget *anchor)
{
  g_autoptr(GPtrArray) crews = NULL;
  g_autoptr(GArray) ranking = NULL;
  g_autoptr(GError) error = NULL;

  if (!cd_context_rank_crews (self->context, ticket, &crews, &ranking, &error))
    cd_board_proposal_set (self->proposal, cd_context_get_match_params (self->context), ticket,
                           NULL, NULL, error->message);
  else
    cd_board_proposal_set (self->proposal, cd_context_get_match_params (self->context), ticket,
                           crews, ranking, NULL);

  point_at_widget (self, GTK_POPOVER (self->proposal), anchor);
  gtk_popover_popup (GTK_POPOVER (self->proposal));
}

/* Select @card's ticket unless it is already part of the selection. */
static void
select_card (CdBoard   *self,
             GtkWidget *card)
{
  GtkWidget *column = gtk_widget_get_ancestor (card, CD_TYPE_BOARD_COLUMN);
  CdTicket *ticket = cd_board_card_get_item (CD_BOARD_CARD (card));
  guint position;

  if (column == NULL || ticket == NULL)
    return;

  self->active_column = CD_BOARD_COLUMN (column);
  if (cd_board_column_contains (CD_BOARD_COLUMN (column), ticket, &position))
    {
      GtkSelectionModel *selection = cd_board_column_get_selection (CD_BOARD_COLUMN (column));

      if (!gtk_selection_model_is_selected (selection, position))
        gtk_selection_model_select_item (selection, position, TRUE);
    }
}

/* Dismissed without a choice: the tickets it was opened for are forgotten
 * (a choice takes them before the popover closes). */
static void
chooser_closed_cb (CdBoard *self)
{
  g_clear_pointer (&self->chooser_targets, g_ptr_array_unref);
}

/* Autoscroll ------------------------------------------------------------------ */

typedef struct {
  GtkScrolledWindow *scroller;   /* unowned: the controller lives on it */
  GtkOrientation     orientation;
  double             speed;      /* pixels per frame */
  guint              tick_id;
} Autoscroll;

#define AUTOSCROLL_EDGE  48.0
#define AUTOSCROLL_SPEED 18.0

static gboolean
autoscroll_tick_cb (GtkWidget     *widget,
                    GdkFrameClock *clock,
                    gpointer       user_data)
{
  Autoscroll *a = user_data;
  GtkAdjustment *adj = a->orientation == GTK_ORIENTATION_HORIZONTAL
                       ? gtk_scrolled_window_get_hadjustment (a->scroller)
                       : gtk_scrolled_window_get_vadjustment (a->scroller);

  if (a->speed == 0)
    {
      a->tick_id = 0;
      return G_SOURCE_REMOVE;
    }

  gtk_adjustment_set_value (adj, gtk_adjustment_get_value (adj) + a->speed);
  return G_SOURCE_CONTINUE;
}

static void
autoscroll_stop (Autoscroll *a)
{
  a->speed = 0;
  if (a->tick_id != 0)
    {
      gtk_widget_remove_tick_callback (GTK_WIDGET (a->scroller), a->tick_id);
      a->tick_id = 0;
    }
}

static void
autoscroll_motion_cb (GtkDropControllerMotion *motion,
                      double                   x,
                      double                   y,
                      Autoscroll              *a)
{
  gboolean horizontal = a->orientation == GTK_ORIENTATION_HORIZONTAL;
  double pos = horizontal ? x : y;
  double size = horizontal ? gtk_widget_get_width (GTK_WIDGET (a->scroller))
                           : gtk_widget_get_height (GTK_WIDGET (a->scroller));
  double edge = MIN (AUTOSCROLL_EDGE, size / 4);

  /* Faster the nearer the edge. */
  if (pos < edge)
    a->speed = -AUTOSCROLL_SPEED * (edge - pos) / edge;
  else if (pos > size - edge)
    a->speed = AUTOSCROLL_SPEED * (pos - (size - edge)) / edge;
  else
    a->speed = 0;

  if (a->speed != 0 && a->tick_id == 0)
    a->tick_id = gtk_widget_add_tick_callback (GTK_WIDGET (a->scroller), autoscroll_tick_cb, a, NULL);
  else if (a->speed == 0)
    autoscroll_stop (a);
}

static void
autoscroll_leave_cb (GtkDropControllerMotion *motion,
                     Autoscroll              *a)
{
  autoscroll_stop (a);
}

/* Actions ---------------------------------------------------------------------- */

static void
update_actions (CdBoard *self)
{
  g_autoptr(GPtrArray) targets = dup_targets (self);
  gboolean any = targets->len > 0;
  gboolean any_assigned = FALSE;

  for (guint i = 0; i < targets->len; i++)
    if (((CdTicket *) g_ptr_array_index (targets, i))->crew_id != NULL)
      any_assigned = TRUE;

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "board.assign-to", any);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "board.unassign", any_assigned);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "board.show-proposal", any);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "board.context-menu", any);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "board.undo", !g_queue_is_empty (&self->undo_stack));
}

static void
assign_to_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  CdBoard *self = CD_BOARD (widget);
  g_autoptr(GPtrArray) targets = dup_targets (self);

  if (targets->len == 0)
    return;

  g_clear_pointer (&self->chooser_targets, g_ptr_array_unref);
  self->chooser_targets = g_ptr_array_ref (targets);
  cd_board_chooser_set (self->chooser, self->context, targets);
  point_at_focus (self, GTK_POPOVER (self->chooser));
  gtk_popover_popup (GTK_POPOVER (self->chooser));
}

static void
assign_to_crew_action (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *parameter)
{
  CdBoard *self = CD_BOARD (widget);
  const char *crew_id = g_variant_get_string (parameter, NULL);
  g_autoptr(GPtrArray) targets = NULL;
  CdCrew *crew = NULL;

  if (*crew_id != '\0' && (crew = cd_context_lookup_crew (self->context, crew_id)) == NULL)
    {
      toast (self, _("This crew is no longer on the board."));
      return;
    }

  /* The tickets the chooser was opened for, else the selection. */
  if (self->chooser_targets != NULL)
    targets = g_steal_pointer (&self->chooser_targets);
  else
    targets = dup_targets (self);

  gtk_popover_popdown (GTK_POPOVER (self->chooser));
  board_move (self, targets, crew);
}

static void
assign_ticket_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *parameter)
{
  CdBoard *self = CD_BOARD (widget);
  g_autoptr(GPtrArray) tickets = g_ptr_array_new_with_free_func (g_object_unref);
  const char *ticket_id, *crew_id;
  CdTicket *ticket;
  CdCrew *crew = NULL;

  g_variant_get (parameter, "(&s&s)", &ticket_id, &crew_id);
  ticket = cd_context_lookup_ticket (self->context, ticket_id);
  if (ticket == NULL || (*crew_id != '\0' && (crew = cd_context_lookup_crew (self->context, crew_id)) == NULL))
    {
      toast (self, _("This ticket or crew is no longer on the board."));
      return;
    }

  gtk_popover_popdown (GTK_POPOVER (self->proposal));
  g_ptr_array_add (tickets, g_object_ref (ticket));
  board_move (self, tickets, crew);
}

static void
unassign_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  CdBoard *self = CD_BOARD (widget);
  g_autoptr(GPtrArray) targets = dup_targets (self);

  board_move (self, targets, NULL);
}

static void
show_proposal_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *parameter)
{
  CdBoard *self = CD_BOARD (widget);
  g_autoptr(GPtrArray) targets = dup_targets (self);

  if (targets->len > 0)
    show_proposal (self, g_ptr_array_index (targets, 0), NULL);
}

static void
context_menu_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  CdBoard *self = CD_BOARD (widget);

  point_at_focus (self, GTK_POPOVER (self->menu));
  gtk_popover_popup (GTK_POPOVER (self->menu));
}

static void
undo_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  CdBoard *self = CD_BOARD (widget);
  CdBoardUndo *undo = g_queue_peek_head (&self->undo_stack);

  if (undo != NULL)
    undo_apply (self, undo);
}

static void
plan_response_cb (CdBoardPlanDialog *dialog,
                  const char        *response,
                  CdBoard           *self)
{
  g_autoptr(CdBoardUndo) undo = cd_board_undo_new ();
  g_autoptr(GPtrArray) chosen = NULL;
  g_autoptr(GError) first_error = NULL;
  g_autofree char *reason = NULL;
  guint failed = 0;

  if (g_strcmp0 (response, "apply") != 0)
    {
      gtk_window_destroy (GTK_WINDOW (dialog));
      return;
    }

  /* As a person's assignment ("manual", the default source: only the
   * server's own dispatcher may send "auto"), not pinned: it follows the
   * proposal, so later optimization may revisit it. Recorded as accepted
   * from the plan; the server records the proposal it differs from. */
  reason = cd_board_reason_compose (CD_BOARD_REASON_ACCEPTED_PLAN, NULL);
  chosen = cd_board_plan_dialog_dup_chosen (dialog);
  for (guint i = 0; i + 1 < chosen->len; i += 2)
    {
      CdTicket *ticket = g_ptr_array_index (chosen, i);
      CdCrew *crew = g_ptr_array_index (chosen, i + 1);
      const char *crew_id = cd_record_get_id (CD_RECORD (crew));
      g_autoptr(GError) error = NULL;

      cd_board_undo_add (undo, ticket, crew_id);
      if (!cd_context_submit (self->context, CD_MUTATION_OP_TICKET_ASSIGN, cd_record_get_id (CD_RECORD (ticket)), -1,
                              cd_board_assign_args (crew_id, reason, FALSE, TRUE, NULL), NULL, &error))
        {
          cd_board_undo_remove_last (undo);
          failed++;
          if (first_error == NULL)
            first_error = g_steal_pointer (&error);
        }
    }

  if (cd_board_undo_get_n_moves (undo) > 0)
    push_undo (self, undo, NULL);
  if (first_error != NULL)
    {
      g_autofree char *title = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                                             "%u ticket could not be assigned: %s",
                                                             "%u tickets could not be assigned: %s", failed),
                                                failed, first_error->message);
      toast (self, title);
    }

  gtk_window_destroy (GTK_WINDOW (dialog));
}

static void
auto_assign_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  CdBoard *self = CD_BOARD (widget);
  GListModel *tickets_model = cd_context_get_tickets (self->context);
  GListModel *crews_model = cd_context_get_crews (self->context);
  g_autoptr(GPtrArray) tickets = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) crews = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GArray) plan = NULL;
  g_autoptr(GError) error = NULL;
  double total = 0;

  for (guint i = 0; i < g_list_model_get_n_items (tickets_model); i++)
    g_ptr_array_add (tickets, g_list_model_get_item (tickets_model, i));
  for (guint i = 0; i < g_list_model_get_n_items (crews_model); i++)
    g_ptr_array_add (crews, g_list_model_get_item (crews_model, i));

  plan = cd_dispatch_plan (cd_context_get_match_params (self->context), tickets, crews,
                           cd_context_get_now (self->context), &total, &error);
  if (plan == NULL)
    {
      toast (self, error->message);
      return;
    }
  if (plan->len == 0)
    {
      toast (self, _("No unassigned ticket fits a free crew right now."));
      return;
    }

  if (self->plan_dialog != NULL)
    gtk_window_destroy (GTK_WINDOW (self->plan_dialog));
  self->plan_dialog = cd_board_plan_dialog_new (parent_window (self), plan, cd_context_get_now (self->context),
                                                cd_context_get_match_params (self->context));
  g_object_add_weak_pointer (G_OBJECT (self->plan_dialog), (gpointer *) &self->plan_dialog);
  g_signal_connect_object (self->plan_dialog, "response", G_CALLBACK (plan_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (self->plan_dialog));
}

/* Overrides ------------------------------------------------------------------ */

static void
cd_board_size_allocate (GtkWidget *widget,
                        int        width,
                        int        height,
                        int        baseline)
{
  CdBoard *self = CD_BOARD (widget);

  GTK_WIDGET_CLASS (cd_board_parent_class)->size_allocate (widget, width, height, baseline);

  /* Popovers parented here need presenting with their parent. */
  gtk_popover_present (GTK_POPOVER (self->menu));
  gtk_popover_present (GTK_POPOVER (self->proposal));
  gtk_popover_present (GTK_POPOVER (self->chooser));
}

static void
cd_board_constructed (GObject *object)
{
  CdBoard *self = CD_BOARD (object);
  GListModel *tickets, *crews;

  G_OBJECT_CLASS (cd_board_parent_class)->constructed (object);

  g_assert (CD_IS_CONTEXT (self->context));

  self->unassigned = cd_board_column_new (self->context, NULL);
  gtk_box_prepend (self->columns_box, GTK_WIDGET (self->unassigned));

  tickets = cd_context_get_tickets (self->context);
  self->crew_sorter = gtk_custom_sorter_new (compare_crews, self, NULL);
  self->crews = gtk_sort_list_model_new (g_object_ref (cd_context_get_crews (self->context)),
                                         g_object_ref (GTK_SORTER (self->crew_sorter)));
  self->off_shift = dup_off_shift (self);
  crews = G_LIST_MODEL (self->crews);
  g_signal_connect_object (tickets, "items-changed", G_CALLBACK (tickets_changed_cb), self, 0);
  g_signal_connect_object (crews, "items-changed", G_CALLBACK (crews_changed_cb), self, 0);
  g_signal_connect_object (self->context, "reloaded", G_CALLBACK (reloaded_cb), self, 0);
  tickets_changed_cb (tickets, 0, 0, g_list_model_get_n_items (tickets), self);
  crews_changed_cb (crews, 0, 0, g_list_model_get_n_items (crews), self);

  update_actions (self);
}

static void
cd_board_dispose (GObject *object)
{
  CdBoard *self = CD_BOARD (object);
  GtkWidget *child;

  if (self->reason_dialog != NULL)
    gtk_window_destroy (GTK_WINDOW (self->reason_dialog));
  if (self->plan_dialog != NULL)
    gtk_window_destroy (GTK_WINDOW (self->plan_dialog));
  g_clear_pointer (&self->menu, gtk_widget_unparent);
  g_clear_pointer ((GtkWidget **) &self->proposal, gtk_widget_unparent);
  g_clear_pointer ((GtkWidget **) &self->chooser, gtk_widget_unparent);
  g_clear_handle_id (&self->refilter_idle, g_source_remove);
  gtk_widget_dispose_template (GTK_WIDGET (self), CD_TYPE_BOARD);
  /* Template children without an id are not cleared by the above. */
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);
  self->unassigned = NULL;
  self->active_column = NULL;
  g_clear_pointer (&self->crew_columns, g_ptr_array_unref);
  if (self->crews != NULL)
    g_signal_handlers_disconnect_by_data (self->crews, self);
  g_clear_object (&self->crews);
  g_clear_object (&self->crew_sorter);
  g_clear_pointer (&self->watched, g_hash_table_unref);
  g_clear_pointer (&self->chooser_targets, g_ptr_array_unref);
  g_clear_pointer (&self->drag_group, g_ptr_array_unref);
  g_queue_clear_full (&self->undo_stack, (GDestroyNotify) cd_board_undo_unref);
  g_clear_object (&self->context);

  G_OBJECT_CLASS (cd_board_parent_class)->dispose (object);
}

static void
cd_board_finalize (GObject *object)
{
  CdBoard *self = CD_BOARD (object);

  g_hash_table_unref (self->dirty);
  g_free (self->off_shift);

  G_OBJECT_CLASS (cd_board_parent_class)->finalize (object);
}

static void
cd_board_get_property (GObject    *object,
                       guint       prop_id,
                       GValue     *value,
                       GParamSpec *pspec)
{
  CdBoard *self = CD_BOARD (object);

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
cd_board_set_property (GObject      *object,
                       guint         prop_id,
                       const GValue *value,
                       GParamSpec   *pspec)
{
  CdBoard *self = CD_BOARD (object);

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
cd_board_class_init (CdBoardClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = cd_board_constructed;
  object_class->dispose = cd_board_dispose;
  object_class->finalize = cd_board_finalize;
  object_class->get_property = cd_board_get_property;
  object_class->set_property = cd_board_set_property;

  widget_class->size_allocate = cd_board_size_allocate;

  properties[PROP_CONTEXT] =
    g_param_spec_object ("context", NULL, NULL, CD_TYPE_CONTEXT,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/crewdesk/Crewdesk/board/cd-board.ui");
  gtk_widget_class_bind_template_child (widget_class, CdBoard, scroller);
  gtk_widget_class_bind_template_child (widget_class, CdBoard, columns_box);
  gtk_widget_class_bind_template_child (widget_class, CdBoard, card_menu);

  gtk_widget_class_install_action (widget_class, "board.assign-to", NULL, assign_to_action);
  gtk_widget_class_install_action (widget_class, "board.assign-to-crew", "s", assign_to_crew_action);
  gtk_widget_class_install_action (widget_class, "board.assign-ticket", "(ss)", assign_ticket_action);
  gtk_widget_class_install_action (widget_class, "board.unassign", NULL, unassign_action);
  gtk_widget_class_install_action (widget_class, "board.show-proposal", NULL, show_proposal_action);
  gtk_widget_class_install_action (widget_class, "board.context-menu", NULL, context_menu_action);
  gtk_widget_class_install_action (widget_class, "board.auto-assign", NULL, auto_assign_action);
  gtk_widget_class_install_action (widget_class, "board.undo", NULL, undo_action);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_m, GDK_CONTROL_MASK, "board.assign-to", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Delete, 0, "board.unassign", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_KP_Delete, 0, "board.unassign", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_i, GDK_CONTROL_MASK, "board.show-proposal", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_a, GDK_CONTROL_MASK | GDK_SHIFT_MASK,
                                       "board.auto-assign", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_z, GDK_CONTROL_MASK, "board.undo", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_F10, GDK_SHIFT_MASK, "board.context-menu", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Menu, 0, "board.context-menu", NULL);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "board");

  g_type_ensure (CD_TYPE_BOARD_COLUMN);
}

static void
cd_board_init (CdBoard *self)
{
  cd_style_ensure ("/org/crewdesk/Crewdesk/board/board.css");
  gtk_widget_init_template (GTK_WIDGET (self));

  self->crew_columns = g_ptr_array_new ();
  self->watched = g_hash_table_new_full (NULL, NULL, NULL, watch_free);
  self->dirty = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_queue_init (&self->undo_stack);

  self->menu = gtk_popover_menu_new_from_model (self->card_menu);
  gtk_popover_set_has_arrow (GTK_POPOVER (self->menu), FALSE);
  gtk_widget_set_halign (self->menu, GTK_ALIGN_START);
  gtk_widget_set_parent (self->menu, GTK_WIDGET (self));

  self->proposal = cd_board_proposal_new ();
  gtk_widget_set_parent (GTK_WIDGET (self->proposal), GTK_WIDGET (self));
  self->chooser = cd_board_chooser_new ();
  gtk_widget_set_parent (GTK_WIDGET (self->chooser), GTK_WIDGET (self));
  g_signal_connect_swapped (self->chooser, "closed", G_CALLBACK (chooser_closed_cb), self);

  _cd_board_autoscroll_attach (self->scroller, GTK_ORIENTATION_HORIZONTAL);
}

/* Private API ------------------------------------------------------------------ */

CdBoardDrop
_cd_board_hover (CdBoard        *self,
                 CdBoardColumn  *column,
                 CdTicket       *ticket,
                 char          **message)
{
  g_autoptr(GPtrArray) tickets = group_for (self, ticket);
  g_autoptr(CdBoardMovePlan) plan = NULL;

  *message = NULL;
  /* Nothing known yet: let the drop decide. */
  if (tickets->len == 0)
    return CD_BOARD_DROP_ALLOW;

  /* Whether it is allowed, not whether it overrides: no ranking here. */
  plan = plan_move (self, tickets, cd_board_column_get_crew (column), FALSE);
  if (plan->n_move == 0)
    {
      if (plan->n_refused == 0)
        return CD_BOARD_DROP_SAME;
      *message = g_strdup (cd_board_move_plan_first_refusal (plan));
      return CD_BOARD_DROP_REFUSE;
    }

  if (plan->n_refused > 0)
    {
      /* Translators: some of a group of dragged tickets cannot go, then why */
      *message = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u ticket will stay: %s", "%u tickets will stay: %s",
                                               plan->n_refused),
                                  plan->n_refused, cd_board_move_plan_first_refusal (plan));
      return CD_BOARD_DROP_ALLOW_WARNING;
    }

  for (guint i = 0; i < plan->items->len; i++)
    {
      const CdBoardPlanItem *item = &g_array_index (plan->items, CdBoardPlanItem, i);

      if (item->drop == CD_BOARD_DROP_ALLOW_WARNING)
        {
          *message = g_strdup (item->message);
          return CD_BOARD_DROP_ALLOW_WARNING;
        }
    }

  return CD_BOARD_DROP_ALLOW;
}

gboolean
_cd_board_drop (CdBoard       *self,
                CdBoardColumn *column,
                CdTicket      *ticket)
{
  g_autoptr(GPtrArray) tickets = group_for (self, ticket);

  g_clear_pointer (&self->drag_group, g_ptr_array_unref);
  return board_move (self, tickets, cd_board_column_get_crew (column));
}

void
_cd_board_column_selected (CdBoard       *self,
                           CdBoardColumn *column)
{
  self->active_column = column;
  if (column != self->unassigned)
    gtk_selection_model_unselect_all (cd_board_column_get_selection (self->unassigned));
  for (guint i = 0; i < self->crew_columns->len; i++)
    {
      CdBoardColumn *other = g_ptr_array_index (self->crew_columns, i);

      if (other != column)
        gtk_selection_model_unselect_all (cd_board_column_get_selection (other));
    }
  update_actions (self);
}

void
_cd_board_drag_begin (CdBoard       *self,
                      CdBoardColumn *column,
                      CdTicket      *ticket)
{
  g_autoptr(GPtrArray) selected = cd_board_column_dup_selected (column);

  g_clear_pointer (&self->drag_group, g_ptr_array_unref);
  /* Dragging a selected card drags the whole selection; another card
   * goes alone. */
  if (selected->len > 1 && g_ptr_array_find (selected, ticket, NULL))
    self->drag_group = g_steal_pointer (&selected);
  else
    {
      self->drag_group = g_ptr_array_new_with_free_func (g_object_unref);
      g_ptr_array_add (self->drag_group, g_object_ref (ticket));
    }
}

void
_cd_board_drag_end (CdBoard *self)
{
  g_clear_pointer (&self->drag_group, g_ptr_array_unref);
}

void
_cd_board_popup_menu (CdBoard   *self,
                      GtkWidget *card,
                      double     x,
                      double     y)
{
  double bx = 0, by = 0;
  GdkRectangle rect;

  select_card (self, card);
  update_actions (self);
  if (!gtk_widget_translate_coordinates (card, GTK_WIDGET (self), x, y, &bx, &by))
    bx = x, by = y;
  rect = (GdkRectangle) { (int) bx, (int) by, 1, 1 };
  gtk_popover_set_pointing_to (GTK_POPOVER (self->menu), &rect);
  gtk_popover_popup (GTK_POPOVER (self->menu));
}

void
_cd_board_show_proposal_for (CdBoard   *self,
                             GtkWidget *card)
{
  CdTicket *ticket = cd_board_card_get_item (CD_BOARD_CARD (card));

  if (ticket == NULL)
    return;
  select_card (self, card);
  show_proposal (self, ticket, card);
}

void
_cd_board_autoscroll_attach (GtkScrolledWindow *scroller,
                             GtkOrientation     orientation)
{
  GtkEventController *motion = gtk_drop_controller_motion_new ();
  Autoscroll *a = g_new0 (Autoscroll, 1);

  a->scroller = scroller;
  a->orientation = orientation;
  g_object_set_data_full (G_OBJECT (motion), "cd-autoscroll", a, g_free);
  g_signal_connect (motion, "enter", G_CALLBACK (autoscroll_motion_cb), a);
  g_signal_connect (motion, "motion", G_CALLBACK (autoscroll_motion_cb), a);
  g_signal_connect (motion, "leave", G_CALLBACK (autoscroll_leave_cb), a);
  gtk_widget_add_controller (GTK_WIDGET (scroller), motion);
}

CdBoardColumn *
_cd_board_get_column (CdBoard    *self,
                      const char *crew_id)
{
  g_return_val_if_fail (CD_IS_BOARD (self), NULL);
  return find_column (self, crew_id);
}

guint
_cd_board_get_n_columns (CdBoard *self)
{
  g_return_val_if_fail (CD_IS_BOARD (self), 0);
  return self->crew_columns->len + 1;
}

CdBoardReasonDialog *
_cd_board_get_reason_dialog (CdBoard *self)
{
  g_return_val_if_fail (CD_IS_BOARD (self), NULL);
  return self->reason_dialog;
}

CdBoardPlanDialog *
_cd_board_get_plan_dialog (CdBoard *self)
{
  g_return_val_if_fail (CD_IS_BOARD (self), NULL);
  return self->plan_dialog;
}

GtkPopover *
_cd_board_get_chooser (CdBoard *self)
{
  g_return_val_if_fail (CD_IS_BOARD (self), NULL);
  return GTK_POPOVER (self->chooser);
}

GtkPopover *
_cd_board_get_proposal (CdBoard *self)
{
  g_return_val_if_fail (CD_IS_BOARD (self), NULL);
  return GTK_POPOVER (self->proposal);
}

CdBoardUndo *
_cd_board_get_last_undo (CdBoard *self)
{
  g_return_val_if_fail (CD_IS_BOARD (self), NULL);
  return g_queue_peek_head (&self->undo_stack);
}

/* Public API ------------------------------------------------------------------ */

GtkWidget *
cd_board_new (CdContext *context)
{
  g_return_val_if_fail (CD_IS_CONTEXT (context), NULL);

  return g_object_new (CD_TYPE_BOARD, "context", context, NULL);
}

CdContext *
cd_board_get_context (CdBoard *self)
{
  g_return_val_if_fail (CD_IS_BOARD (self), NULL);
  return self->context;
}
