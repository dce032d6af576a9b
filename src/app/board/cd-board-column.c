/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "cd-board-card.h"
#include "cd-board-column.h"
#include "cd-board-logic.h"
#include "cd-board-private.h"
#include "cd-format.h"

struct _CdBoardColumn
{
  GtkWidget           parent_instance;

  CdContext          *context;
  CdCrew             *crew;          /* NULL: Unassigned */

  GtkCustomFilter    *filter;
  GtkFilterListModel *filtered;
  GtkCustomSorter    *sorter;
  GtkSortListModel   *sorted;
  GtkMultiSelection  *selection;
  GtkDropTarget      *drop_target;
  CdBoardColumnDrop   drop_state;
  char               *drop_message;

  /* Template */
  GtkWidget          *header;
  GtkImage           *icon;
  GtkLabel           *title;
  GtkLabel           *count;
  GtkLabel           *subtitle;
  GtkLevelBar        *load_bar;
  GtkButton          *auto_assign_button;
  GtkRevealer        *drop_revealer;
  GtkLabel           *drop_label;
  GtkStack           *stack;
  GtkScrolledWindow  *scroller;
  GtkListView        *list_view;
  GtkLabel           *empty_label;
};

G_DEFINE_FINAL_TYPE (CdBoardColumn, cd_board_column, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_CONTEXT,
  PROP_CREW,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static const char * const drop_classes[] = {
  [CD_BOARD_COLUMN_DROP_NONE] = NULL,
  [CD_BOARD_COLUMN_DROP_ACCEPT] = "drop-accept",
  [CD_BOARD_COLUMN_DROP_WARN] = "drop-warn",
  [CD_BOARD_COLUMN_DROP_REFUSE] = "drop-refuse",
};

/* Helpers -------------------------------------------------------------------- */

static gboolean
filter_func (gpointer item,
             gpointer user_data)
{
  CdBoardColumn *self = user_data;
  CdTicket *ticket = item;

  return g_strcmp0 (ticket->crew_id, cd_board_column_get_crew_id (self)) == 0;
}

static int
sort_func (gconstpointer a,
           gconstpointer b,
           gpointer      user_data)
{
  return cd_board_compare_tickets ((CdTicket *) a, (CdTicket *) b);
}

static CdBoard *
get_board (CdBoardColumn *self)
{
  return (CdBoard *) gtk_widget_get_ancestor (GTK_WIDGET (self), CD_TYPE_BOARD);
}

static CdTicket *
dragged_ticket (GtkDropTarget *target)
{
  const GValue *value = gtk_drop_target_get_value (target);

  if (value == NULL || !G_VALUE_HOLDS (value, CD_TYPE_TICKET))
    return NULL;
  return g_value_get_object (value);
}

static void
update_eta (CdBoardColumn *self)
{
  g_autoptr(GPtrArray) tickets = NULL;
  g_autofree char *eta = NULL;
  g_autofree char *line = NULL;
  GListModel *model;
  guint n;

  if (self->crew == NULL)
    return;

  model = G_LIST_MODEL (self->sorted);
  n = g_list_model_get_n_items (model);
  tickets = g_ptr_array_new_full (n, g_object_unref);
  for (guint i = 0; i < n; i++)
    g_ptr_array_add (tickets, g_list_model_get_item (model, i));

  eta = cd_board_describe_eta (cd_context_get_match_params (self->context), self->crew,
                               cd_board_next_ticket (tickets), cd_context_get_now (self->context));
  /* Translators: a crew's status, then its ETA line, "Available · 12 min to HT-1" */
  line = g_strdup_printf (_("%s · %s"), cd_format_crew_status (self->crew->status), eta);
  if (g_strcmp0 (gtk_label_get_label (self->subtitle), line) != 0)
    gtk_label_set_label (self->subtitle, line);
}

static void
update_header (CdBoardColumn *self)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->filtered));
  g_autofree char *count = NULL;
  g_autofree char *subtitle = NULL;

  if (self->crew == NULL)
    {
      gtk_label_set_label (self->title, _("Unassigned"));
      count = g_strdup_printf ("%u", n);
      subtitle = n == 0 ? g_strdup (_("Nothing waits for a crew"))
                        : g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u ticket waits for a crew",
                                                        "%u tickets wait for a crew", n), n);
      gtk_label_set_label (self->subtitle, subtitle);
      gtk_label_set_label (self->count, count);
      gtk_widget_set_tooltip_text (GTK_WIDGET (self->count), subtitle);
    }
  else
    {
      guint capacity = (guint) CLAMP (self->crew->capacity, 0, G_MAXUINT);
      g_autofree char *tooltip = NULL;

      gtk_label_set_label (self->title, self->crew->name);
      /* Translators: a crew's load against its capacity, "2/5" */
      count = g_strdup_printf (_("%u/%u"), n, capacity);
      tooltip = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u open ticket, capacity %u",
                                              "%u open tickets, capacity %u", n), n, capacity);
      gtk_label_set_label (self->count, count);
      gtk_widget_set_tooltip_text (GTK_WIDGET (self->count), tooltip);
      gtk_level_bar_set_max_value (self->load_bar, MAX (capacity, 1));
      gtk_level_bar_set_value (self->load_bar, MIN (n, MAX (capacity, 1)));
      if (n > capacity)
        gtk_widget_add_css_class (GTK_WIDGET (self->count), "over-capacity");
      else
        gtk_widget_remove_css_class (GTK_WIDGET (self->count), "over-capacity");
      if (self->crew->status == CD_CREW_STATUS_OFF_SHIFT)
        gtk_widget_add_css_class (GTK_WIDGET (self), "off-shift");
      else
        gtk_widget_remove_css_class (GTK_WIDGET (self), "off-shift");
      update_eta (self);
    }

  gtk_stack_set_visible_child_name (self->stack, n > 0 ? "list" : "empty");
}

/* Signal callbacks --------------------------------------------------------- */

static void
items_changed_cb (GListModel    *model,
                  guint          position,
                  guint          removed,
                  guint          added,
                  CdBoardColumn *self)
{
  update_header (self);
}

static void
crew_notify_cb (CdCrew        *crew,
                GParamSpec    *pspec,
                CdBoardColumn *self)
{
  update_header (self);
}

static void
tick_cb (CdContext     *context,
         gint64         now,
         CdBoardColumn *self)
{
  update_eta (self);
}

static void
activate_cb (GtkListView   *list_view,
             guint          position,
             CdBoardColumn *self)
{
  /* Enter or a double click on a card: its proposal. */
  gtk_widget_activate_action (GTK_WIDGET (self), "board.show-proposal", NULL);
}

static void
selection_changed_cb (GtkSelectionModel *model,
                      guint              position,
                      guint              n_items,
                      CdBoardColumn     *self)
{
  /* One column's selection at a time: the targets of the board's actions. */
  if (!gtk_bitset_is_empty (gtk_selection_model_get_selection (model)))
    {
      CdBoard *board = get_board (self);

      if (board != NULL)
        _cd_board_column_selected (board, self);
    }
}

static GdkDragAction
drop_enter_cb (GtkDropTarget *target,
               double         x,
               double         y,
               CdBoardColumn *self)
{
  CdBoard *board = get_board (self);
  g_autofree char *message = NULL;
  CdBoardDrop drop;

  if (board == NULL)
    return 0;

  drop = _cd_board_hover (board, self, dragged_ticket (target), &message);
  switch (drop)
    {
    case CD_BOARD_DROP_ALLOW:
      cd_board_column_set_drop_state (self, CD_BOARD_COLUMN_DROP_ACCEPT, NULL);
      break;
    case CD_BOARD_DROP_ALLOW_WARNING:
      cd_board_column_set_drop_state (self, CD_BOARD_COLUMN_DROP_WARN, message);
      break;
    case CD_BOARD_DROP_REFUSE:
      cd_board_column_set_drop_state (self, CD_BOARD_COLUMN_DROP_REFUSE, message);
      break;
    case CD_BOARD_DROP_SAME:
    default:
      cd_board_column_set_drop_state (self, CD_BOARD_COLUMN_DROP_NONE, NULL);
      break;
    }

  /* A refused drop is still let through, so the drop itself can say why
   * in a toast; the column shows the refusal while it hovers. */
  return drop == CD_BOARD_DROP_SAME ? 0 : GDK_ACTION_MOVE;
}

static GdkDragAction
drop_motion_cb (GtkDropTarget *target,
                double         x,
                double         y,
                CdBoardColumn *self)
{
  /* The value may arrive after ::enter. */
  if (self->drop_state == CD_BOARD_COLUMN_DROP_NONE)
    return drop_enter_cb (target, x, y, self);

  return GDK_ACTION_MOVE;
}

static void
drop_leave_cb (GtkDropTarget *target,
               CdBoardColumn *self)
{
  cd_board_column_set_drop_state (self, CD_BOARD_COLUMN_DROP_NONE, NULL);
}

static gboolean
drop_cb (GtkDropTarget *target,
         const GValue  *value,
         double         x,
         double         y,
         CdBoardColumn *self)
{
  CdBoard *board = get_board (self);

  cd_board_column_set_drop_state (self, CD_BOARD_COLUMN_DROP_NONE, NULL);
  if (board == NULL || !G_VALUE_HOLDS (value, CD_TYPE_TICKET) || g_value_get_object (value) == NULL)
    return FALSE;

  return _cd_board_drop (board, self, g_value_get_object (value));
}

/* GObject -------------------------------------------------------------------- */

static void
cd_board_column_constructed (GObject *object)
{
  CdBoardColumn *self = CD_BOARD_COLUMN (object);

  G_OBJECT_CLASS (cd_board_column_parent_class)->constructed (object);

  g_assert (CD_IS_CONTEXT (self->context));

  self->filter = gtk_custom_filter_new (filter_func, self, NULL);
  self->filtered = gtk_filter_list_model_new (g_object_ref (cd_context_get_tickets (self->context)),
                                              g_object_ref (GTK_FILTER (self->filter)));
  self->sorter = gtk_custom_sorter_new (sort_func, NULL, NULL);
  self->sorted = gtk_sort_list_model_new (g_object_ref (G_LIST_MODEL (self->filtered)),
                                          g_object_ref (GTK_SORTER (self->sorter)));
  self->selection = gtk_multi_selection_new (g_object_ref (G_LIST_MODEL (self->sorted)));
  gtk_list_view_set_model (self->list_view, GTK_SELECTION_MODEL (self->selection));

  g_signal_connect_object (self->filtered, "items-changed", G_CALLBACK (items_changed_cb), self, 0);
  g_signal_connect_object (self->selection, "selection-changed", G_CALLBACK (selection_changed_cb), self, 0);
  g_signal_connect_object (self->context, "tick", G_CALLBACK (tick_cb), self, 0);
  g_signal_connect_object (self->list_view, "activate", G_CALLBACK (activate_cb), self, 0);

  if (self->crew != NULL)
    {
      g_signal_connect_object (self->crew, "notify", G_CALLBACK (crew_notify_cb), self, 0);
      gtk_widget_set_visible (GTK_WIDGET (self->load_bar), TRUE);
      gtk_label_set_label (self->empty_label, _("No tickets. Drop tickets here to assign them to this crew."));
      gtk_accessible_update_property (GTK_ACCESSIBLE (self->list_view),
                                      GTK_ACCESSIBLE_PROPERTY_LABEL, self->crew->name, -1);
    }
  else
    {
      gtk_widget_set_visible (GTK_WIDGET (self->icon), FALSE);
      gtk_widget_set_visible (GTK_WIDGET (self->auto_assign_button), TRUE);
      gtk_widget_add_css_class (GTK_WIDGET (self), "unassigned");
      gtk_label_set_label (self->empty_label, _("Every ticket has a crew."));
      gtk_accessible_update_property (GTK_ACCESSIBLE (self->list_view),
                                      GTK_ACCESSIBLE_PROPERTY_LABEL, _("Unassigned"), -1);
    }

  _cd_board_autoscroll_attach (self->scroller, GTK_ORIENTATION_VERTICAL);
  update_header (self);
}

static void
cd_board_column_dispose (GObject *object)
{
  CdBoardColumn *self = CD_BOARD_COLUMN (object);
  GtkWidget *child;

  if (self->list_view != NULL)
    gtk_list_view_set_model (self->list_view, NULL);
  gtk_widget_dispose_template (GTK_WIDGET (self), CD_TYPE_BOARD_COLUMN);
  /* Template children without an id are not cleared by the above. */
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);
  g_clear_object (&self->selection);
  g_clear_object (&self->sorted);
  g_clear_object (&self->sorter);
  g_clear_object (&self->filtered);
  g_clear_object (&self->filter);
  g_clear_object (&self->crew);
  g_clear_object (&self->context);

  G_OBJECT_CLASS (cd_board_column_parent_class)->dispose (object);
}

static void
cd_board_column_finalize (GObject *object)
{
  CdBoardColumn *self = CD_BOARD_COLUMN (object);

  g_free (self->drop_message);

  G_OBJECT_CLASS (cd_board_column_parent_class)->finalize (object);
}

static void
cd_board_column_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  CdBoardColumn *self = CD_BOARD_COLUMN (object);

  switch (prop_id)
    {
    case PROP_CONTEXT:
      g_value_set_object (value, self->context);
      break;
    case PROP_CREW:
      g_value_set_object (value, self->crew);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cd_board_column_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  CdBoardColumn *self = CD_BOARD_COLUMN (object);

  switch (prop_id)
    {
    case PROP_CONTEXT:
      self->context = g_value_dup_object (value);
      break;
    case PROP_CREW:
      self->crew = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cd_board_column_class_init (CdBoardColumnClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = cd_board_column_constructed;
  object_class->dispose = cd_board_column_dispose;
  object_class->finalize = cd_board_column_finalize;
  object_class->get_property = cd_board_column_get_property;
  object_class->set_property = cd_board_column_set_property;

  properties[PROP_CONTEXT] =
    g_param_spec_object ("context", NULL, NULL, CD_TYPE_CONTEXT,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_CREW] =
    g_param_spec_object ("crew", NULL, NULL, CD_TYPE_CREW,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (CD_TYPE_BOARD_CARD);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/crewdesk/Crewdesk/board/cd-board-column.ui");
  gtk_widget_class_bind_template_child (widget_class, CdBoardColumn, header);
  gtk_widget_class_bind_template_child (widget_class, CdBoardColumn, icon);
  gtk_widget_class_bind_template_child (widget_class, CdBoardColumn, title);
  gtk_widget_class_bind_template_child (widget_class, CdBoardColumn, count);
  gtk_widget_class_bind_template_child (widget_class, CdBoardColumn, subtitle);
  gtk_widget_class_bind_template_child (widget_class, CdBoardColumn, load_bar);
  gtk_widget_class_bind_template_child (widget_class, CdBoardColumn, auto_assign_button);
  gtk_widget_class_bind_template_child (widget_class, CdBoardColumn, drop_revealer);
  gtk_widget_class_bind_template_child (widget_class, CdBoardColumn, drop_label);
  gtk_widget_class_bind_template_child (widget_class, CdBoardColumn, stack);
  gtk_widget_class_bind_template_child (widget_class, CdBoardColumn, scroller);
  gtk_widget_class_bind_template_child (widget_class, CdBoardColumn, list_view);
  gtk_widget_class_bind_template_child (widget_class, CdBoardColumn, empty_label);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BOX_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "boardcolumn");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
}

static void
cd_board_column_init (CdBoardColumn *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  gtk_orientable_set_orientation (GTK_ORIENTABLE (gtk_widget_get_layout_manager (GTK_WIDGET (self))),
                                  GTK_ORIENTATION_VERTICAL);

  /* The exact type of what is dragged: GTK matches drops by GType. */
  self->drop_target = gtk_drop_target_new (CD_TYPE_TICKET, GDK_ACTION_MOVE);
  gtk_drop_target_set_preload (self->drop_target, TRUE);
  g_signal_connect (self->drop_target, "enter", G_CALLBACK (drop_enter_cb), self);
  g_signal_connect (self->drop_target, "motion", G_CALLBACK (drop_motion_cb), self);
  g_signal_connect (self->drop_target, "leave", G_CALLBACK (drop_leave_cb), self);
  g_signal_connect (self->drop_target, "drop", G_CALLBACK (drop_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (self->drop_target));
}

/* Public API ------------------------------------------------------------------ */

CdBoardColumn *
cd_board_column_new (CdContext *context,
                     CdCrew    *crew)
{
  g_return_val_if_fail (CD_IS_CONTEXT (context), NULL);
  g_return_val_if_fail (crew == NULL || CD_IS_CREW (crew), NULL);

  return g_object_new (CD_TYPE_BOARD_COLUMN, "context", context, "crew", crew, NULL);
}

CdContext *
cd_board_column_get_context (CdBoardColumn *self)
{
  g_return_val_if_fail (CD_IS_BOARD_COLUMN (self), NULL);
  return self->context;
}

CdCrew *
cd_board_column_get_crew (CdBoardColumn *self)
{
  g_return_val_if_fail (CD_IS_BOARD_COLUMN (self), NULL);
  return self->crew;
}

const char *
cd_board_column_get_crew_id (CdBoardColumn *self)
{
  g_return_val_if_fail (CD_IS_BOARD_COLUMN (self), NULL);
  return self->crew != NULL ? cd_record_get_id (CD_RECORD (self->crew)) : NULL;
}

GtkSelectionModel *
cd_board_column_get_selection (CdBoardColumn *self)
{
  g_return_val_if_fail (CD_IS_BOARD_COLUMN (self), NULL);
  return GTK_SELECTION_MODEL (self->selection);
}

GtkListView *
cd_board_column_get_list_view (CdBoardColumn *self)
{
  g_return_val_if_fail (CD_IS_BOARD_COLUMN (self), NULL);
  return self->list_view;
}

GtkDropTarget *
cd_board_column_get_drop_target (CdBoardColumn *self)
{
  g_return_val_if_fail (CD_IS_BOARD_COLUMN (self), NULL);
  return self->drop_target;
}

gboolean
cd_board_column_contains (CdBoardColumn *self,
                          CdTicket      *ticket,
                          guint         *position)
{
  GListModel *model;
  guint n;

  g_return_val_if_fail (CD_IS_BOARD_COLUMN (self), FALSE);

  model = G_LIST_MODEL (self->sorted);
  n = g_list_model_get_n_items (model);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(CdTicket) item = g_list_model_get_item (model, i);

      if (item == ticket)
        {
          if (position != NULL)
            *position = i;
          return TRUE;
        }
    }

  return FALSE;
}

GPtrArray *
cd_board_column_dup_selected (CdBoardColumn *self)
{
  g_autoptr(GtkBitset) selected = NULL;
  GtkBitsetIter iter;
  GPtrArray *tickets;
  guint position;

  g_return_val_if_fail (CD_IS_BOARD_COLUMN (self), NULL);

  tickets = g_ptr_array_new_with_free_func (g_object_unref);
  selected = gtk_selection_model_get_selection (GTK_SELECTION_MODEL (self->selection));
  for (gboolean ok = gtk_bitset_iter_init_first (&iter, selected, &position); ok;
       ok = gtk_bitset_iter_next (&iter, &position))
    g_ptr_array_add (tickets, g_list_model_get_item (G_LIST_MODEL (self->selection), position));

  return tickets;
}

void
cd_board_column_refilter (CdBoardColumn *self)
{
  g_return_if_fail (CD_IS_BOARD_COLUMN (self));

  gtk_filter_changed (GTK_FILTER (self->filter), GTK_FILTER_CHANGE_DIFFERENT);
}

void
cd_board_column_resort (CdBoardColumn *self)
{
  g_return_if_fail (CD_IS_BOARD_COLUMN (self));

  gtk_sorter_changed (GTK_SORTER (self->sorter), GTK_SORTER_CHANGE_DIFFERENT);
  update_header (self);
}

void
cd_board_column_set_drop_state (CdBoardColumn     *self,
                                CdBoardColumnDrop  state,
                                const char        *message)
{
  g_return_if_fail (CD_IS_BOARD_COLUMN (self));

  if (drop_classes[self->drop_state] != NULL)
    gtk_widget_remove_css_class (GTK_WIDGET (self), drop_classes[self->drop_state]);
  self->drop_state = state;
  if (drop_classes[state] != NULL)
    gtk_widget_add_css_class (GTK_WIDGET (self), drop_classes[state]);

  g_free (self->drop_message);
  self->drop_message = g_strdup (message);
  if (message != NULL)
    gtk_label_set_label (self->drop_label, message);
  gtk_widget_remove_css_class (GTK_WIDGET (self->drop_label), "error");
  gtk_widget_remove_css_class (GTK_WIDGET (self->drop_label), "warning");
  if (state == CD_BOARD_COLUMN_DROP_REFUSE)
    gtk_widget_add_css_class (GTK_WIDGET (self->drop_label), "error");
  else if (state == CD_BOARD_COLUMN_DROP_WARN)
    gtk_widget_add_css_class (GTK_WIDGET (self->drop_label), "warning");
  gtk_revealer_set_reveal_child (self->drop_revealer, message != NULL);
}

CdBoardColumnDrop
cd_board_column_get_drop_state (CdBoardColumn *self)
{
  g_return_val_if_fail (CD_IS_BOARD_COLUMN (self), CD_BOARD_COLUMN_DROP_NONE);
  return self->drop_state;
}

const char *
cd_board_column_get_drop_message (CdBoardColumn *self)
{
  g_return_val_if_fail (CD_IS_BOARD_COLUMN (self), NULL);
  return self->drop_message;
}
