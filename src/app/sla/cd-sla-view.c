/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "cd-style.h"
#include "cd-format.h"
#include "cd-model.h"
#include "cd-sla-logic.h"
#include "cd-sla-pause-button.h"
#include "cd-sla-private.h"

/* One id: a newer notice replaces the last one in the message tray; the
 * escalation list keeps every ticket. */
#define NOTIFICATION_ID "sla-overdue"

typedef const char *(*KeyFunc) (gpointer item);

struct _CdSlaView
{
  GtkWidget         parent_instance;

  CdContext        *context;

  GArray           *timers;            /* CdTimer: every running timer as at last_eval */
  GListStore       *shown;             /* CdSlaTimerItem: the filtered timers, by time left */
  GListStore       *escalations;       /* CdSlaTimerItem: one per amber or red ticket */
  GListStore       *groups;            /* CdSlaGroupItem */
  GHashTable       *shown_index;       /* key → CdSlaTimerItem (a reference) */
  GHashTable       *escalation_index;  /* ticket id → CdSlaTimerItem (a reference) */
  GHashTable       *group_index;       /* group key ("" for none) → CdSlaGroupItem */

  GHashTable       *notified;          /* cd_sla_timer_key()s told as turned red */
  gint64            clock;             /* the last ::tick's time: the view's only clock */
  gint64            last_eval;
  gint64            next_change;
  guint             n_evaluations;

  GPtrArray        *area_ids;          /* the area dropdown's: [0] NULL = all, "" = none */
  GPtrArray        *crew_ids;          /* the crew dropdown's: [0] NULL = all, [1] "" = unassigned */
  gboolean          updating_lists;
  gboolean          can_pause;

  CdSlaPauseDialog *pause_dialog;      /* weak */

  /* Template */
  GtkDropDown      *area_dropdown;
  GtkDropDown      *crew_dropdown;
  GtkDropDown      *category_dropdown;
  GtkDropDown      *state_dropdown;
  GtkDropDown      *group_dropdown;
  GtkLabel         *count_label;
  GtkRevealer      *groups_revealer;
  GtkFlowBox       *groups_box;
  GtkStack         *main_stack;
  AdwStatusPage    *empty_page;
  GtkWidget        *empty_clear_button;
  GtkColumnView    *column_view;
  GtkStack         *escalation_stack;
  GtkListView      *escalation_list;
  GtkLabel         *escalation_count;
};

G_DEFINE_FINAL_TYPE (CdSlaView, cd_sla_view, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_CONTEXT,
  N_PROPS
};

enum {
  TIMER_TURNED_RED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void refresh (CdSlaView *self);

/* Helpers ------------------------------------------------------------------------ */

static const char *
timer_item_key (gpointer item)
{
  return cd_sla_timer_item_get_key (item);
}

static const char *
group_item_key (gpointer item)
{
  const char *key = cd_sla_group_item_get_key (item);

  return key != NULL ? key : "";
}

static GtkWindow *
parent_window (CdSlaView *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  return GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL;
}

static void
toast (CdSlaView  *self,
       const char *title)
{
  AdwToast *t = adw_toast_new (title);

  /* Sentences can be long; the toast shows them whole. */
  adw_toast_set_timeout (t, 8);
  cd_context_add_toast (self->context, t);
}

static GPtrArray *
dup_tickets (CdSlaView *self)
{
  GListModel *model = cd_context_get_tickets (self->context);
  guint n = g_list_model_get_n_items (model);
  GPtrArray *tickets = g_ptr_array_new_full (n, g_object_unref);

  for (guint i = 0; i < n; i++)
    g_ptr_array_add (tickets, g_list_model_get_item (model, i));
  return tickets;
}

static const char *
crew_name (CdSlaView  *self,
           const char *crew_id)
{
  CdCrew *crew;

  if (crew_id == NULL || crew_id[0] == '\0')
    return NULL;
  crew = cd_context_lookup_crew (self->context, crew_id);
  /* A crew the cache does not know yet: its id is better than nothing. */
  return crew != NULL && crew->name != NULL ? crew->name : crew_id;
}

static GHashTable *
dup_crew_names (CdSlaView *self)
{
  GListModel *crews = cd_context_get_crews (self->context);
  GHashTable *names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  for (guint i = 0, n = g_list_model_get_n_items (crews); i < n; i++)
    {
      g_autoptr(CdCrew) crew = g_list_model_get_item (crews, i);

      g_hash_table_insert (names, g_strdup (cd_record_get_id (CD_RECORD (crew))),
                           g_strdup (crew->name != NULL ? crew->name : cd_record_get_id (CD_RECORD (crew))));
    }
  return names;
}

static gboolean
is_pending (CdSlaView *self,
            CdTicket  *ticket)
{
  return cd_context_is_pending (self->context, cd_record_get_id (CD_RECORD (ticket)));
}

static const char *
selected_id (GtkDropDown *dropdown,
             GPtrArray   *ids)
{
  guint pos = gtk_drop_down_get_selected (dropdown);

  return pos != GTK_INVALID_LIST_POSITION && pos < ids->len ? g_ptr_array_index (ids, pos) : NULL;
}

static CdSlaGroupChoice
group_choice (CdSlaView *self)
{
  guint pos = gtk_drop_down_get_selected (self->group_dropdown);

  return pos <= CD_SLA_GROUP_CHOICE_CATEGORY ? (CdSlaGroupChoice) pos : CD_SLA_GROUP_CHOICE_NONE;
}

/* The filter the dropdowns say; @except_group leaves out the dimension the
 * summary groups by, so the summary shows every group to choose from. The
 * strings point into the id lists. */
static void
build_filter (CdSlaView     *self,
              CdTimerFilter *filter,
              gboolean       except_group)
{
  CdSlaGroupChoice grouped = except_group ? group_choice (self) : CD_SLA_GROUP_CHOICE_NONE;
  guint pos;

  cd_timer_filter_init (filter);
  if (grouped != CD_SLA_GROUP_CHOICE_AREA)
    filter->area = selected_id (self->area_dropdown, self->area_ids);
  if (grouped != CD_SLA_GROUP_CHOICE_CREW)
    filter->crew_id = selected_id (self->crew_dropdown, self->crew_ids);
  pos = gtk_drop_down_get_selected (self->category_dropdown);
  if (grouped != CD_SLA_GROUP_CHOICE_CATEGORY && pos != GTK_INVALID_LIST_POSITION && pos > 0 &&
      pos <= CD_N_CATEGORIES)
    filter->category = (gint) pos - 1;

  switch (gtk_drop_down_get_selected (self->state_dropdown))
    {
    case CD_SLA_STATE_CHOICE_OVERDUE:
      filter->states = CD_TIMER_STATE_BIT (CD_SLA_STATE_RED);
      break;
    case CD_SLA_STATE_CHOICE_AT_RISK:
      filter->states = CD_TIMER_STATE_BIT (CD_SLA_STATE_AMBER);
      break;
    case CD_SLA_STATE_CHOICE_ESCALATED:
      filter->states = CD_TIMER_STATE_BIT (CD_SLA_STATE_AMBER) | CD_TIMER_STATE_BIT (CD_SLA_STATE_RED);
      break;
    case CD_SLA_STATE_CHOICE_ON_TIME:
      filter->states = CD_TIMER_STATE_BIT (CD_SLA_STATE_GREEN);
      break;
    case CD_SLA_STATE_CHOICE_ALL:
    default:
      break;
    }
}

static gboolean
filter_is_empty (const CdTimerFilter *filter)
{
  return filter->area == NULL && filter->crew_id == NULL && filter->category < 0 && filter->states == 0 &&
         !filter->hide_paused;
}

/* Brings @store to @items (in order) with the smallest splice, so rows
 * that stay keep their widgets; @index becomes the items by key. */
static void
sync_store (GListStore  *store,
            GHashTable **index,
            GPtrArray   *items,
            KeyFunc      key_of)
{
  GListModel *model = G_LIST_MODEL (store);
  guint n = g_list_model_get_n_items (model);
  g_autoptr(GPtrArray) old_keys = g_ptr_array_new_full (n, NULL);
  g_autoptr(GPtrArray) new_keys = g_ptr_array_new_full (items->len, NULL);
  g_autoptr(GPtrArray) old_items = g_ptr_array_new_full (n, g_object_unref);
  GHashTable *new_index;
  guint position, removed, added;

  for (guint i = 0; i < n; i++)
    {
      gpointer item = g_list_model_get_item (model, i);

      g_ptr_array_add (old_items, item);
      g_ptr_array_add (old_keys, (gpointer) key_of (item));
    }
  for (guint i = 0; i < items->len; i++)
    g_ptr_array_add (new_keys, (gpointer) key_of (g_ptr_array_index (items, i)));

  cd_sla_diff (old_keys, new_keys, &position, &removed, &added);
  if (removed > 0 || added > 0)
    g_list_store_splice (store, position, removed, items->pdata + position, added);

  new_index = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_object_unref);
  for (guint i = 0; i < items->len; i++)
    {
      gpointer item = g_ptr_array_index (items, i);

      g_hash_table_insert (new_index, (gpointer) key_of (item), g_object_ref (item));
    }
  g_hash_table_unref (*index);
  *index = new_index;
}

/* Rows ------------------------------------------------------------------------------ */

static void
refresh_rows (CdSlaView *self)
{
  CdTimerFilter filter;
  g_autoptr(GArray) shown = NULL;
  g_autoptr(GPtrArray) items = NULL;
  g_autofree char *counts = NULL;
  g_autofree char *text = NULL;
  guint n_red, n_amber, n_green, n_paused;
  gboolean filtered;

  build_filter (self, &filter, FALSE);
  filtered = !filter_is_empty (&filter);
  shown = cd_timers_filter (self->timers, &filter);
  items = g_ptr_array_new_full (shown->len, g_object_unref);

  for (guint i = 0; i < shown->len; i++)
    {
      const CdTimer *timer = &g_array_index (shown, CdTimer, i);
      g_autofree char *key = cd_sla_timer_key (timer);
      CdSlaTimerItem *item = g_hash_table_lookup (self->shown_index, key);

      item = item != NULL ? g_object_ref (item) : cd_sla_timer_item_new (key);
      cd_sla_timer_item_update (item, timer, crew_name (self, timer->ticket->crew_id), self->last_eval,
                                is_pending (self, timer->ticket), FALSE, 0);
      g_ptr_array_add (items, item);
    }
  sync_store (self->shown, &self->shown_index, items, timer_item_key);

  cd_sla_count_states (shown, &n_red, &n_amber, &n_green, &n_paused);
  counts = cd_sla_describe_counts (n_red, n_amber, n_green, n_paused);
  if (self->timers->len == 0)
    text = g_strdup (counts);
  else if (shown->len == 0)
    /* Translators: the filters show none of the running time limits */
    text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "None of %u time limit", "None of %u time limits",
                                         self->timers->len),
                            self->timers->len);
  else if (filtered)
    /* Translators: how many time limits the filters show of all, then their counts by state */
    text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u of %u time limit: %s", "%u of %u time limits: %s",
                                         self->timers->len),
                            shown->len, self->timers->len, counts);
  else
    /* Translators: how many time limits run, then their counts by state */
    text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u time limit: %s", "%u time limits: %s",
                                         self->timers->len),
                            self->timers->len, counts);
  gtk_label_set_label (self->count_label, text);

  if (shown->len > 0)
    gtk_stack_set_visible_child_name (self->main_stack, "timers");
  else
    {
      if (self->timers->len == 0)
        {
          adw_status_page_set_title (self->empty_page, _("No Running Time Limits"));
          adw_status_page_set_description (self->empty_page,
                                           _("No open ticket has a time limit counting down."));
        }
      else
        {
          adw_status_page_set_title (self->empty_page, _("No Matching Time Limits"));
          adw_status_page_set_description (self->empty_page, _("No running time limit matches the filters."));
        }
      gtk_widget_set_visible (self->empty_clear_button, filtered);
      gtk_stack_set_visible_child_name (self->main_stack, "empty");
    }

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "sla.clear-filters", filtered);
}

static void
refresh_escalations (CdSlaView *self)
{
  g_autoptr(GArray) escalations = cd_sla_escalations (self->timers);
  g_autoptr(GPtrArray) items = g_ptr_array_new_full (escalations->len, g_object_unref);
  guint to_acknowledge = 0;

  for (guint i = 0; i < escalations->len; i++)
    {
      const CdSlaEscalation *e = &g_array_index (escalations, CdSlaEscalation, i);
      const char *id = cd_record_get_id (CD_RECORD (e->timer.ticket));
      CdSlaTimerItem *item = g_hash_table_lookup (self->escalation_index, id);

      item = item != NULL ? g_object_ref (item) : cd_sla_timer_item_new (id);
      cd_sla_timer_item_update (item, &e->timer, crew_name (self, e->timer.ticket->crew_id), self->last_eval,
                                is_pending (self, e->timer.ticket), e->acknowledged, e->n_timers);
      g_ptr_array_add (items, item);
      if (!e->acknowledged)
        to_acknowledge++;
    }
  sync_store (self->escalations, &self->escalation_index, items, timer_item_key);

  if (to_acknowledge > 0)
    {
      /* Translators: escalations the supervisor has not acknowledged yet */
      g_autofree char *text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u to acknowledge",
                                                            "%u to acknowledge", to_acknowledge),
                                               to_acknowledge);

      gtk_label_set_label (self->escalation_count, text);
    }
  else
    gtk_label_set_label (self->escalation_count, escalations->len > 0 ? _("All acknowledged") : "");
  gtk_widget_set_visible (GTK_WIDGET (self->escalation_count), escalations->len > 0);
  gtk_stack_set_visible_child_name (self->escalation_stack, escalations->len > 0 ? "list" : "empty");
}

/* Groups -------------------------------------------------------------------------------- */

/* The CdCategory of a nick (the key cd_timers_group() gives), or -1. */
static gint
category_from_nick (const char *nick)
{
  for (guint i = 0; nick != NULL && i < CD_N_CATEGORIES; i++)
    if (g_strcmp0 (cd_enum_to_nick (CD_TYPE_CATEGORY, (gint) i), nick) == 0)
      return (gint) i;
  return -1;
}

static const char *
group_title (CdSlaView      *self,
             CdTimerGroupBy  by,
             const char     *key)
{
  switch (by)
    {
    case CD_TIMER_GROUP_AREA:
      return cd_sla_area_name (key);
    case CD_TIMER_GROUP_CREW:
      return key != NULL ? crew_name (self, key) : _("Unassigned");
    case CD_TIMER_GROUP_CATEGORY:
      {
        gint category = category_from_nick (key);

        return category >= 0 ? cd_format_category (category) : key;
      }
    default:
      g_assert_not_reached ();
    }
}

/* The group the dropdowns narrow to, as cd_timers_group() keys it ("" for
 * none), or NULL when the grouped dimension is not filtered. */
static char *
current_group_key (CdSlaView *self)
{
  const char *id;
  guint pos;

  switch (group_choice (self))
    {
    case CD_SLA_GROUP_CHOICE_AREA:
      id = selected_id (self->area_dropdown, self->area_ids);
      return g_strdup (id);
    case CD_SLA_GROUP_CHOICE_CREW:
      id = selected_id (self->crew_dropdown, self->crew_ids);
      return g_strdup (id);
    case CD_SLA_GROUP_CHOICE_CATEGORY:
      pos = gtk_drop_down_get_selected (self->category_dropdown);
      if (pos == GTK_INVALID_LIST_POSITION || pos == 0 || pos > CD_N_CATEGORIES)
        return NULL;
      return g_strdup (cd_enum_to_nick (CD_TYPE_CATEGORY, (gint) pos - 1));
    case CD_SLA_GROUP_CHOICE_NONE:
    default:
      return NULL;
    }
}

static void
update_current_group (CdSlaView *self)
{
  g_autofree char *current = current_group_key (self);

  for (guint i = 0; ; i++)
    {
      GtkFlowBoxChild *child = gtk_flow_box_get_child_at_index (self->groups_box, (int) i);
      GtkWidget *button;
      CdSlaGroupItem *item;

      if (child == NULL)
        break;
      button = gtk_flow_box_child_get_child (child);
      item = g_object_get_data (G_OBJECT (button), "item");
      if (item != NULL && current != NULL && g_strcmp0 (group_item_key (item), current) == 0)
        gtk_widget_add_css_class (button, "current");
      else
        gtk_widget_remove_css_class (button, "current");
    }
}

static void
refresh_groups (CdSlaView *self)
{
  CdSlaGroupChoice choice = group_choice (self);
  CdTimerGroupBy by;
  CdTimerFilter filter;
  g_autoptr(GArray) subset = NULL;
  g_autoptr(GPtrArray) groups = NULL;
  g_autoptr(GPtrArray) items = NULL;

  if (choice == CD_SLA_GROUP_CHOICE_NONE)
    {
      g_autoptr(GPtrArray) none = g_ptr_array_new ();

      gtk_revealer_set_reveal_child (self->groups_revealer, FALSE);
      sync_store (self->groups, &self->group_index, none, group_item_key);
      return;
    }

  by = choice == CD_SLA_GROUP_CHOICE_AREA ? CD_TIMER_GROUP_AREA
     : choice == CD_SLA_GROUP_CHOICE_CREW ? CD_TIMER_GROUP_CREW
     : CD_TIMER_GROUP_CATEGORY;
  build_filter (self, &filter, TRUE);
  subset = cd_timers_filter (self->timers, &filter);
  groups = cd_timers_group (subset, by);
  items = g_ptr_array_new_full (groups->len, g_object_unref);

  for (guint i = 0; i < groups->len; i++)
    {
      const CdTimerGroup *group = g_ptr_array_index (groups, i);
      CdSlaGroupItem *item = g_hash_table_lookup (self->group_index, group->key != NULL ? group->key : "");

      item = item != NULL ? g_object_ref (item) : cd_sla_group_item_new (group->key);
      cd_sla_group_item_update (item, group, group_title (self, by, group->key));
      g_ptr_array_add (items, item);
    }
  sync_store (self->groups, &self->group_index, items, group_item_key);
  update_current_group (self);
  /* No empty band when the filters leave no group. */
  gtk_revealer_set_reveal_child (self->groups_revealer, groups->len > 0);
}

static void
update_chip (GtkWidget      *button,
             CdSlaGroupItem *item)
{
  g_autofree char *counts = NULL;
  g_autofree char *most_urgent = NULL;
  g_autofree char *red = NULL, *amber = NULL, *green = NULL, *paused = NULL;
  g_autofree char *urgent_line = NULL;
  guint n_red = cd_sla_group_item_get_n_red (item);
  guint n_amber = cd_sla_group_item_get_n_amber (item);
  guint n_green = cd_sla_group_item_get_n_green (item);
  guint n_paused = cd_sla_group_item_get_n_paused (item);

  g_object_get (item, "counts", &counts, "most-urgent", &most_urgent, NULL);
  gtk_label_set_label (g_object_get_data (G_OBJECT (button), "title"), cd_sla_group_item_get_title (item));

  if (n_red > 0)
    red = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u overdue", "%u overdue", n_red), n_red);
  if (n_amber > 0)
    amber = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u at risk", "%u at risk", n_amber), n_amber);
  if (n_green > 0)
    green = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u on time", "%u on time", n_green), n_green);
  cd_sla_pill_set_label (g_object_get_data (G_OBJECT (button), "red"), red);
  cd_sla_pill_set_label (g_object_get_data (G_OBJECT (button), "amber"), amber);
  if (n_paused > 0)
    paused = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u paused", "%u paused", n_paused), n_paused);
  cd_sla_pill_set_label (g_object_get_data (G_OBJECT (button), "green"), green);
  cd_sla_pill_set_label (g_object_get_data (G_OBJECT (button), "paused"), paused);

  /* Translators: the least time left in a group, "Most urgent: overdue 12 min" */
  urgent_line = g_strdup_printf (_("Most urgent: %s"), most_urgent != NULL ? most_urgent : "");
  gtk_label_set_label (g_object_get_data (G_OBJECT (button), "urgent"), urgent_line);

  gtk_widget_set_tooltip_text (button, counts);
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  cd_sla_group_item_get_title (item),
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, counts, -1);
}

static void
chip_item_notify_cb (GtkWidget *button)
{
  update_chip (button, g_object_get_data (G_OBJECT (button), "item"));
}

static void
chip_clicked_cb (GtkButton *button,
                 CdSlaView *self)
{
  CdSlaGroupItem *item = g_object_get_data (G_OBJECT (button), "item");
  g_autofree char *current = current_group_key (self);
  const char *key = group_item_key (item);
  gboolean again = current != NULL && g_str_equal (current, key);
  guint pos = 0;

  /* A second click on the group shown lets go of it. */
  switch (group_choice (self))
    {
    case CD_SLA_GROUP_CHOICE_AREA:
      if (!again)
        pos = _cd_sla_view_find_area (self, key);
      gtk_drop_down_set_selected (self->area_dropdown, pos != GTK_INVALID_LIST_POSITION ? pos : 0);
      break;
    case CD_SLA_GROUP_CHOICE_CREW:
      if (!again)
        pos = _cd_sla_view_find_crew (self, key);
      gtk_drop_down_set_selected (self->crew_dropdown, pos != GTK_INVALID_LIST_POSITION ? pos : 0);
      break;
    case CD_SLA_GROUP_CHOICE_CATEGORY:
      if (!again && category_from_nick (key) >= 0)
        pos = (guint) category_from_nick (key) + 1;
      gtk_drop_down_set_selected (self->category_dropdown, pos);
      break;
    case CD_SLA_GROUP_CHOICE_NONE:
    default:
      break;
    }
}

static GtkWidget *
create_chip_cb (gpointer item,
                gpointer user_data)
{
  CdSlaView *self = user_data;
  GtkWidget *button = gtk_button_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 4);
  GtkWidget *pills = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 4);
  GtkWidget *title = gtk_label_new (NULL);
  GtkWidget *urgent = gtk_label_new (NULL);
  const CdSlaState states[] = { CD_SLA_STATE_RED, CD_SLA_STATE_AMBER, CD_SLA_STATE_GREEN, CD_SLA_STATE_NONE };
  const char *names[] = { "red", "amber", "green", "paused" };

  gtk_widget_add_css_class (button, "card");
  gtk_widget_add_css_class (button, "sla-group");
  gtk_label_set_xalign (GTK_LABEL (title), 0);
  gtk_label_set_ellipsize (GTK_LABEL (title), PANGO_ELLIPSIZE_END);
  gtk_widget_add_css_class (title, "heading");
  gtk_box_append (GTK_BOX (box), title);
  for (guint i = 0; i < G_N_ELEMENTS (states); i++)
    {
      GtkWidget *pill = cd_sla_pill_new ();

      cd_sla_pill_set_state (CD_SLA_PILL (pill), states[i], states[i] == CD_SLA_STATE_NONE);
      gtk_box_append (GTK_BOX (pills), pill);
      g_object_set_data (G_OBJECT (button), names[i], pill);
    }
  gtk_box_append (GTK_BOX (box), pills);
  gtk_label_set_xalign (GTK_LABEL (urgent), 0);
  gtk_label_set_ellipsize (GTK_LABEL (urgent), PANGO_ELLIPSIZE_END);
  gtk_widget_add_css_class (urgent, "caption");
  gtk_widget_add_css_class (urgent, "dim-label");
  gtk_widget_add_css_class (urgent, "numeric");
  gtk_box_append (GTK_BOX (box), urgent);
  gtk_button_set_child (GTK_BUTTON (button), box);

  g_object_set_data_full (G_OBJECT (button), "item", g_object_ref (item), g_object_unref);
  g_object_set_data (G_OBJECT (button), "title", title);
  g_object_set_data (G_OBJECT (button), "urgent", urgent);
  g_signal_connect_object (item, "notify", G_CALLBACK (chip_item_notify_cb), button, G_CONNECT_SWAPPED);
  g_signal_connect (button, "clicked", G_CALLBACK (chip_clicked_cb), self);
  update_chip (button, item);
  return button;
}

static void
refresh (CdSlaView *self)
{
  refresh_rows (self);
  refresh_escalations (self);
  refresh_groups (self);
}

/* Evaluation ------------------------------------------------------------------------------ */

/* Tells the timers that turned red: the signal always, the desktop a
 * supervisor's notice when there is an application to send it. */
static void
announce_red (CdSlaView *self,
              GArray    *crossed,
              gint64     now)
{
  g_autoptr(GHashTable) crew_names = dup_crew_names (self);
  g_autofree char *title = NULL;
  g_autofree char *body = NULL;
  GApplication *app;
  CdUser *user;

  if (!cd_sla_red_notice (crossed, crew_names, now, &title, &body))
    return;

  g_signal_emit (self, signals[TIMER_TURNED_RED], 0, crossed->len, title, body);

  app = g_application_get_default ();
  user = cd_context_get_user (self->context);
  if (app != NULL && user != NULL && user->active && cd_sla_role_is_notified (user->role))
    {
      g_autoptr(GNotification) notification = g_notification_new (title);
      g_autoptr(GIcon) icon = g_themed_icon_new ("alarm-symbolic");

      g_notification_set_body (notification, body);
      g_notification_set_icon (notification, icon);
      g_notification_set_priority (notification, G_NOTIFICATION_PRIORITY_HIGH);
      /* The window's view switch, when the application offers it. */
      if (g_action_group_has_action (G_ACTION_GROUP (app), "show-view"))
        g_notification_set_default_action_and_target (notification, "app.show-view", "s", "sla");
      g_application_send_notification (app, NOTIFICATION_ID, notification);
    }
}

static void
evaluate (CdSlaView *self,
          gint64     now)
{
  CdSlaPolicySet *policies = cd_context_get_policies (self->context);
  g_autoptr(GPtrArray) tickets = NULL;
  g_autoptr(GArray) crossed = NULL;
  guint n_new = 0;

  if (policies == NULL)
    return;

  tickets = dup_tickets (self);
  g_clear_pointer (&self->timers, g_array_unref);
  self->timers = cd_timers_collect (tickets, policies, now);

  /* Crossed since the last look, however long ago (a suspend): one notice. */
  if (now > self->last_eval)
    {
      crossed = cd_timers_crossed_red (tickets, policies, self->last_eval, now);
      cd_sla_forget_notified (self->notified, self->timers);
      n_new = cd_sla_take_new_crossings (self->notified, crossed);
    }

  self->last_eval = now;
  self->next_change = cd_timers_next_change (self->timers, now);
  self->n_evaluations++;
  g_debug ("time limits: %u timers at %" G_GINT64_FORMAT ", next change in %" G_GINT64_FORMAT " s",
           self->timers->len, now, self->next_change != 0 ? self->next_change - now : -1);

  refresh (self);
  if (n_new > 0)
    announce_red (self, crossed, now);
}

/* Lists ------------------------------------------------------------------------------------ */

static GtkStringList *
string_list_new_with (const char *first)
{
  GtkStringList *list = gtk_string_list_new (NULL);

  gtk_string_list_append (list, first);
  return list;
}

static void
set_dropdown_model (GtkDropDown   *dropdown,
                    GtkStringList *list)
{
  g_autoptr(GtkExpression) expression =
    gtk_property_expression_new (GTK_TYPE_STRING_OBJECT, NULL, "string");

  gtk_drop_down_set_expression (dropdown, expression);
  gtk_drop_down_set_model (dropdown, G_LIST_MODEL (list));
  g_object_unref (list);
}

static gboolean
same_ids (GPtrArray *a,
          GPtrArray *b)
{
  if (a->len != b->len)
    return FALSE;
  for (guint i = 0; i < a->len; i++)
    if (g_strcmp0 (g_ptr_array_index (a, i), g_ptr_array_index (b, i)) != 0)
      return FALSE;
  return TRUE;
}

static gint
compare_area_ids (gconstpointer a,
                  gconstpointer b)
{
  return g_utf8_collate (cd_sla_area_name (*(const char * const *) a), cd_sla_area_name (*(const char * const *) b));
}

/* Puts @ids (and their @labels) into @dropdown, keeping the choice. */
static void
replace_list (CdSlaView      *self,
              GtkDropDown    *dropdown,
              GPtrArray     **current,
              GPtrArray      *ids,
              GtkStringList  *labels)
{
  g_autofree char *chosen = g_strdup (selected_id (dropdown, *current));
  guint pos = 0;

  g_ptr_array_unref (*current);
  *current = g_ptr_array_ref (ids);
  set_dropdown_model (dropdown, labels);
  for (guint i = 1; chosen != NULL && i < ids->len; i++)
    if (g_strcmp0 (chosen, g_ptr_array_index (ids, i)) == 0)
      pos = i;
  gtk_drop_down_set_selected (dropdown, pos);
}

/* The area and crew lists follow the model. */
static void
update_lists (CdSlaView *self)
{
  GListModel *tickets = cd_context_get_tickets (self->context);
  GListModel *crews = cd_context_get_crews (self->context);
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GPtrArray) areas = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) crew_ids = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) keep = g_ptr_array_new_with_free_func (g_object_unref);
  gboolean no_area = FALSE;

  for (guint i = 0, n = g_list_model_get_n_items (tickets); i < n; i++)
    {
      CdTicket *t = g_list_model_get_item (tickets, i);

      g_ptr_array_add (keep, t);
      if (t->area == NULL || t->area[0] == '\0')
        no_area = TRUE;
      else if (g_hash_table_add (seen, t->area))
        g_ptr_array_add (areas, g_strdup (t->area));
    }
  for (guint i = 0, n = g_list_model_get_n_items (crews); i < n; i++)
    {
      CdCrew *c = g_list_model_get_item (crews, i);

      g_ptr_array_add (keep, c);
      for (guint k = 0; c->areas != NULL && c->areas[k] != NULL; k++)
        if (g_hash_table_add (seen, c->areas[k]))
          g_ptr_array_add (areas, g_strdup (c->areas[k]));
      g_ptr_array_add (crew_ids, g_strdup (cd_record_get_id (CD_RECORD (c))));
    }
  g_ptr_array_sort (areas, compare_area_ids);
  if (no_area)
    g_ptr_array_add (areas, g_strdup (""));
  g_ptr_array_insert (areas, 0, NULL);
  g_ptr_array_insert (crew_ids, 0, NULL);
  g_ptr_array_insert (crew_ids, 1, g_strdup (""));

  self->updating_lists = TRUE;

  if (!same_ids (areas, self->area_ids))
    {
      GtkStringList *labels = string_list_new_with (_("All Areas"));

      for (guint i = 1; i < areas->len; i++)
        gtk_string_list_append (labels, cd_sla_area_name (g_ptr_array_index (areas, i)));
      replace_list (self, self->area_dropdown, &self->area_ids, areas, labels);
    }

  if (!same_ids (crew_ids, self->crew_ids))
    {
      GtkStringList *labels = string_list_new_with (_("All Crews"));

      gtk_string_list_append (labels, _("Unassigned"));
      for (guint i = 2; i < crew_ids->len; i++)
        gtk_string_list_append (labels, crew_name (self, g_ptr_array_index (crew_ids, i)));
      replace_list (self, self->crew_dropdown, &self->crew_ids, crew_ids, labels);
    }

  self->updating_lists = FALSE;
}

static void
setup_fixed_lists (CdSlaView *self)
{
  GtkStringList *list;

  list = string_list_new_with (_("All Categories"));
  for (guint i = 0; i < CD_N_CATEGORIES; i++)
    gtk_string_list_append (list, cd_format_category (i));
  set_dropdown_model (self->category_dropdown, list);

  /* In the order of CdSlaStateChoice. */
  list = string_list_new_with (_("All States"));
  gtk_string_list_append (list, _("Overdue"));
  gtk_string_list_append (list, _("At Risk"));
  gtk_string_list_append (list, _("Overdue or At Risk"));
  gtk_string_list_append (list, _("On Time"));
  set_dropdown_model (self->state_dropdown, list);

  /* In the order of CdSlaGroupChoice. */
  list = string_list_new_with (_("No Summary"));
  gtk_string_list_append (list, _("Summary by Area"));
  gtk_string_list_append (list, _("Summary by Crew"));
  gtk_string_list_append (list, _("Summary by Category"));
  set_dropdown_model (self->group_dropdown, list);

  set_dropdown_model (self->area_dropdown, string_list_new_with (_("All Areas")));
  list = string_list_new_with (_("All Crews"));
  gtk_string_list_append (list, _("Unassigned"));
  set_dropdown_model (self->crew_dropdown, list);
}

static void
update_permissions (CdSlaView *self)
{
  CdUser *user = cd_context_get_user (self->context);
  gboolean active = user != NULL && user->active;

  self->can_pause = active && cd_mutation_role_allowed (CD_MUTATION_OP_TICKET_PAUSE, user->role);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "sla.pause", self->can_pause);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "sla.resume",
                                 active && cd_mutation_role_allowed (CD_MUTATION_OP_TICKET_RESUME, user->role));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "sla.acknowledge",
                                 active && cd_mutation_role_allowed (CD_MUTATION_OP_TICKET_ACKNOWLEDGE, user->role));
}

/* Pause and resume ------------------------------------------------------------------------- */

static void
pause_response_cb (CdSlaPauseDialog *dialog,
                   const char       *response,
                   CdSlaView        *self)
{
  g_autoptr(CdTicket) ticket = g_object_ref (cd_sla_pause_dialog_get_ticket (dialog));
  const char *id = cd_record_get_id (CD_RECORD (ticket));
  g_autoptr(GError) error = NULL;
  JsonObject *args = NULL;
  gboolean ok = TRUE;

  /* The response "pause" is enabled only with a valid reason. */
  if (g_str_equal (response, "pause"))
    args = cd_sla_pause_args (cd_sla_pause_dialog_get_reason (dialog));
  gtk_window_destroy (GTK_WINDOW (dialog));

  if (args != NULL)
    ok = cd_context_submit (self->context, CD_MUTATION_OP_TICKET_PAUSE, id, -1, args, NULL, &error);
  else if (g_str_equal (response, "resume"))
    ok = cd_context_submit (self->context, CD_MUTATION_OP_TICKET_RESUME, id, -1, NULL, NULL, &error);

  if (!ok)
    toast (self, error->message);
}

static void
open_pause_dialog (CdSlaView *self,
                   CdTicket  *ticket,
                   gboolean   resume)
{
  CdSlaPauseDialog *dialog;

  if (self->pause_dialog != NULL)
    gtk_window_destroy (GTK_WINDOW (self->pause_dialog));

  dialog = cd_sla_pause_dialog_new (parent_window (self), ticket, resume, cd_context_get_now (self->context));
  g_set_weak_pointer (&self->pause_dialog, dialog);
  g_signal_connect_object (dialog, "response", G_CALLBACK (pause_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
pause_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  CdSlaView *self = CD_SLA_VIEW (widget);
  CdTicket *ticket = cd_context_lookup_ticket (self->context, g_variant_get_string (parameter, NULL));

  if (ticket == NULL)
    return;
  open_pause_dialog (self, ticket, g_str_equal (action_name, "sla.resume"));
}

static void
row_activated_cb (CdSlaView *self,
                  guint      position)
{
  g_autoptr(CdSlaTimerItem) item = g_list_model_get_item (G_LIST_MODEL (self->shown), position);
  CdTicket *ticket = item != NULL ? cd_sla_timer_item_get_ticket (item) : NULL;
  const char *action = item != NULL && cd_sla_timer_item_get_paused (item) ? "sla.resume" : "sla.pause";

  if (ticket == NULL)
    return;
  gtk_widget_activate_action (GTK_WIDGET (self), action, "s", cd_record_get_id (CD_RECORD (ticket)));
}

/* Acknowledgements and filters ---------------------------------------------------------------- */

static void
acknowledge_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  CdSlaView *self = CD_SLA_VIEW (widget);
  g_autoptr(GError) error = NULL;
  const char *id, *nick;
  CdSlaState level;
  CdTicket *ticket;

  g_variant_get (parameter, "(&s&s)", &id, &nick);
  if (!cd_sla_level_from_string (nick, &level) || (ticket = cd_context_lookup_ticket (self->context, id)) == NULL)
    return;
  /* Twice is nothing: the ticket already says so. */
  if (cd_sla_find_acknowledgement (ticket, level) != NULL)
    return;

  /* Kept on the ticket, so every supervisor sees it, after a restart too;
   * ::reloaded follows at once and the list moves it down. */
  if (!cd_context_submit (self->context, CD_MUTATION_OP_TICKET_ACKNOWLEDGE, id, -1,
                          cd_sla_acknowledge_args (level, NULL), NULL, &error))
    toast (self, error->message);
}

static void
clear_filters_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *parameter)
{
  CdSlaView *self = CD_SLA_VIEW (widget);

  self->updating_lists = TRUE;
  gtk_drop_down_set_selected (self->area_dropdown, 0);
  gtk_drop_down_set_selected (self->crew_dropdown, 0);
  gtk_drop_down_set_selected (self->category_dropdown, 0);
  gtk_drop_down_set_selected (self->state_dropdown, 0);
  self->updating_lists = FALSE;
  refresh (self);
}

/* Signal callbacks --------------------------------------------------------------------------- */

static void
filter_changed_cb (CdSlaView *self)
{
  if (self->updating_lists || self->timers == NULL)
    return;
  /* The values are those of the last evaluation; only the choice changed. */
  refresh (self);
}

static void
tick_cb (CdContext *context,
         gint64     now,
         CdSlaView *self)
{
  self->clock = now;
  if (cd_sla_should_evaluate (self->last_eval, self->next_change, now))
    evaluate (self, now);
}

static void
reloaded_cb (CdContext *context,
             CdSlaView *self)
{
  update_lists (self);
  update_permissions (self);
  /* New data, not a new time: the time is the last tick's (at most a
   * second old), and never earlier than shown. */
  evaluate (self, MAX (self->clock, self->last_eval));
}

/* GObject ------------------------------------------------------------------------------------------ */

static void
cd_sla_view_constructed (GObject *object)
{
  CdSlaView *self = CD_SLA_VIEW (object);

  G_OBJECT_CLASS (cd_sla_view_parent_class)->constructed (object);

  g_assert (CD_IS_CONTEXT (self->context));

  g_signal_connect_object (self->context, "tick", G_CALLBACK (tick_cb), self, 0);
  g_signal_connect_object (self->context, "reloaded", G_CALLBACK (reloaded_cb), self, 0);

  update_lists (self);
  update_permissions (self);
  /* Red before the view existed is not news: the escalations show it. */
  self->clock = self->last_eval = cd_context_get_now (self->context);
  evaluate (self, self->last_eval);
}

static void
cd_sla_view_dispose (GObject *object)
{
  CdSlaView *self = CD_SLA_VIEW (object);
  GtkWidget *child;

  if (self->pause_dialog != NULL)
    gtk_window_destroy (GTK_WINDOW (self->pause_dialog));
  g_clear_weak_pointer (&self->pause_dialog);
  if (self->groups_box != NULL)
    gtk_flow_box_bind_model (self->groups_box, NULL, NULL, NULL, NULL);
  if (self->column_view != NULL)
    gtk_column_view_set_model (self->column_view, NULL);
  if (self->escalation_list != NULL)
    gtk_list_view_set_model (self->escalation_list, NULL);
  gtk_widget_dispose_template (GTK_WIDGET (self), CD_TYPE_SLA_VIEW);
  /* Template children without an id are not cleared by the above. */
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);
  g_clear_object (&self->shown);
  g_clear_object (&self->escalations);
  g_clear_object (&self->groups);
  g_clear_pointer (&self->timers, g_array_unref);
  g_clear_object (&self->context);

  G_OBJECT_CLASS (cd_sla_view_parent_class)->dispose (object);
}

static void
cd_sla_view_finalize (GObject *object)
{
  CdSlaView *self = CD_SLA_VIEW (object);

  g_hash_table_unref (self->shown_index);
  g_hash_table_unref (self->escalation_index);
  g_hash_table_unref (self->group_index);
  g_hash_table_unref (self->notified);
  g_ptr_array_unref (self->area_ids);
  g_ptr_array_unref (self->crew_ids);

  G_OBJECT_CLASS (cd_sla_view_parent_class)->finalize (object);
}

static void
cd_sla_view_get_property (GObject    *object,
                          guint       prop_id,
                          GValue     *value,
                          GParamSpec *pspec)
{
  CdSlaView *self = CD_SLA_VIEW (object);

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
cd_sla_view_set_property (GObject      *object,
                          guint         prop_id,
                          const GValue *value,
                          GParamSpec   *pspec)
{
  CdSlaView *self = CD_SLA_VIEW (object);

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
cd_sla_view_class_init (CdSlaViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = cd_sla_view_constructed;
  object_class->dispose = cd_sla_view_dispose;
  object_class->finalize = cd_sla_view_finalize;
  object_class->get_property = cd_sla_view_get_property;
  object_class->set_property = cd_sla_view_set_property;

  properties[PROP_CONTEXT] =
    g_param_spec_object ("context", NULL, NULL, CD_TYPE_CONTEXT,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[TIMER_TURNED_RED] =
    g_signal_new ("timer-turned-red", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 3, G_TYPE_UINT, G_TYPE_STRING, G_TYPE_STRING);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/crewdesk/Crewdesk/sla/cd-sla-view.ui");
  gtk_widget_class_bind_template_child (widget_class, CdSlaView, area_dropdown);
  gtk_widget_class_bind_template_child (widget_class, CdSlaView, crew_dropdown);
  gtk_widget_class_bind_template_child (widget_class, CdSlaView, category_dropdown);
  gtk_widget_class_bind_template_child (widget_class, CdSlaView, state_dropdown);
  gtk_widget_class_bind_template_child (widget_class, CdSlaView, group_dropdown);
  gtk_widget_class_bind_template_child (widget_class, CdSlaView, count_label);
  gtk_widget_class_bind_template_child (widget_class, CdSlaView, groups_revealer);
  gtk_widget_class_bind_template_child (widget_class, CdSlaView, groups_box);
  gtk_widget_class_bind_template_child (widget_class, CdSlaView, main_stack);
  gtk_widget_class_bind_template_child (widget_class, CdSlaView, empty_page);
  gtk_widget_class_bind_template_child (widget_class, CdSlaView, empty_clear_button);
  gtk_widget_class_bind_template_child (widget_class, CdSlaView, column_view);
  gtk_widget_class_bind_template_child (widget_class, CdSlaView, escalation_stack);
  gtk_widget_class_bind_template_child (widget_class, CdSlaView, escalation_list);
  gtk_widget_class_bind_template_child (widget_class, CdSlaView, escalation_count);
  gtk_widget_class_bind_template_callback (widget_class, row_activated_cb);

  gtk_widget_class_install_action (widget_class, "sla.pause", "s", pause_action);
  gtk_widget_class_install_action (widget_class, "sla.resume", "s", pause_action);
  gtk_widget_class_install_action (widget_class, "sla.acknowledge", "(ss)", acknowledge_action);
  gtk_widget_class_install_action (widget_class, "sla.clear-filters", NULL, clear_filters_action);

  gtk_widget_class_set_css_name (widget_class, "slaview");

  g_type_ensure (CD_TYPE_SLA_TIMER_ITEM);
  g_type_ensure (CD_TYPE_SLA_PILL);
  g_type_ensure (CD_TYPE_SLA_PAUSE_BUTTON);
  g_type_ensure (CD_TYPE_SLA_ESCALATION_ROW);
}

static void
cd_sla_view_init (CdSlaView *self)
{
  cd_style_ensure ("/org/crewdesk/Crewdesk/sla/sla.css");
  gtk_widget_init_template (GTK_WIDGET (self));

  self->shown = g_list_store_new (CD_TYPE_SLA_TIMER_ITEM);
  self->escalations = g_list_store_new (CD_TYPE_SLA_TIMER_ITEM);
  self->groups = g_list_store_new (CD_TYPE_SLA_GROUP_ITEM);
  self->shown_index = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_object_unref);
  self->escalation_index = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_object_unref);
  self->group_index = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_object_unref);
  self->notified = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->area_ids = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (self->area_ids, NULL);
  self->crew_ids = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (self->crew_ids, NULL);
  g_ptr_array_add (self->crew_ids, g_strdup (""));

  setup_fixed_lists (self);

  gtk_column_view_set_model (self->column_view,
                             GTK_SELECTION_MODEL (gtk_no_selection_new (g_object_ref (G_LIST_MODEL (self->shown)))));
  gtk_list_view_set_model (self->escalation_list,
                           GTK_SELECTION_MODEL (gtk_no_selection_new (g_object_ref (G_LIST_MODEL (self->escalations)))));
  gtk_flow_box_bind_model (self->groups_box, G_LIST_MODEL (self->groups), create_chip_cb, self, NULL);

  g_signal_connect_swapped (self->area_dropdown, "notify::selected", G_CALLBACK (filter_changed_cb), self);
  g_signal_connect_swapped (self->crew_dropdown, "notify::selected", G_CALLBACK (filter_changed_cb), self);
  g_signal_connect_swapped (self->category_dropdown, "notify::selected", G_CALLBACK (filter_changed_cb), self);
  g_signal_connect_swapped (self->state_dropdown, "notify::selected", G_CALLBACK (filter_changed_cb), self);
  g_signal_connect_swapped (self->group_dropdown, "notify::selected", G_CALLBACK (filter_changed_cb), self);
}

/* Private API --------------------------------------------------------------------------------------- */

GListModel *
_cd_sla_view_get_timers (CdSlaView *self)
{
  g_return_val_if_fail (CD_IS_SLA_VIEW (self), NULL);
  return G_LIST_MODEL (self->shown);
}

GListModel *
_cd_sla_view_get_escalations (CdSlaView *self)
{
  g_return_val_if_fail (CD_IS_SLA_VIEW (self), NULL);
  return G_LIST_MODEL (self->escalations);
}

GListModel *
_cd_sla_view_get_groups (CdSlaView *self)
{
  g_return_val_if_fail (CD_IS_SLA_VIEW (self), NULL);
  return G_LIST_MODEL (self->groups);
}

GtkDropDown *
_cd_sla_view_get_dropdown (CdSlaView     *self,
                           CdSlaDropDown  which)
{
  g_return_val_if_fail (CD_IS_SLA_VIEW (self), NULL);

  switch (which)
    {
    case CD_SLA_DROPDOWN_AREA:
      return self->area_dropdown;
    case CD_SLA_DROPDOWN_CREW:
      return self->crew_dropdown;
    case CD_SLA_DROPDOWN_CATEGORY:
      return self->category_dropdown;
    case CD_SLA_DROPDOWN_STATE:
      return self->state_dropdown;
    case CD_SLA_DROPDOWN_GROUP:
      return self->group_dropdown;
    default:
      g_return_val_if_reached (NULL);
    }
}

static guint
find_id (GPtrArray  *ids,
         const char *id)
{
  for (guint i = 1; i < ids->len; i++)
    if (g_strcmp0 (g_ptr_array_index (ids, i), id) == 0)
      return i;
  return GTK_INVALID_LIST_POSITION;
}

guint
_cd_sla_view_find_crew (CdSlaView  *self,
                        const char *crew_id)
{
  g_return_val_if_fail (CD_IS_SLA_VIEW (self), GTK_INVALID_LIST_POSITION);
  return find_id (self->crew_ids, crew_id != NULL ? crew_id : "");
}

guint
_cd_sla_view_find_area (CdSlaView  *self,
                        const char *area)
{
  g_return_val_if_fail (CD_IS_SLA_VIEW (self), GTK_INVALID_LIST_POSITION);
  return find_id (self->area_ids, area != NULL ? area : "");
}

GtkColumnView *
_cd_sla_view_get_column_view (CdSlaView *self)
{
  g_return_val_if_fail (CD_IS_SLA_VIEW (self), NULL);
  return self->column_view;
}

GtkLabel *
_cd_sla_view_get_count_label (CdSlaView *self)
{
  g_return_val_if_fail (CD_IS_SLA_VIEW (self), NULL);
  return self->count_label;
}

CdSlaPauseDialog *
_cd_sla_view_get_pause_dialog (CdSlaView *self)
{
  g_return_val_if_fail (CD_IS_SLA_VIEW (self), NULL);
  return self->pause_dialog;
}

guint
_cd_sla_view_get_n_evaluations (CdSlaView *self)
{
  g_return_val_if_fail (CD_IS_SLA_VIEW (self), 0);
  return self->n_evaluations;
}

gint64
_cd_sla_view_get_next_change (CdSlaView *self)
{
  g_return_val_if_fail (CD_IS_SLA_VIEW (self), 0);
  return self->next_change;
}

gint64
_cd_sla_view_get_last_evaluation (CdSlaView *self)
{
  g_return_val_if_fail (CD_IS_SLA_VIEW (self), 0);
  return self->last_eval;
}

/* Public API ------------------------------------------------------------------------------------------ */

GtkWidget *
cd_sla_view_new (CdContext *context)
{
  g_return_val_if_fail (CD_IS_CONTEXT (context), NULL);

  return g_object_new (CD_TYPE_SLA_VIEW, "context", context, NULL);
}

CdContext *
cd_sla_view_get_context (CdSlaView *self)
{
  g_return_val_if_fail (CD_IS_SLA_VIEW (self), NULL);
  return self->context;
}
