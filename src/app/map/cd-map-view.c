/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-map-view.c: the map page of the dispatcher window. */
#include "config.h"

#include <glib/gi18n.h>
#include <math.h>

#include "cd-city.h"
#include "cd-format.h"
#include "cd-map-index.h"
#include "cd-map-symbols.h"
#include "cd-map-view.h"

/* The first view of the data, and "Show All". */
#define FIT_PADDING    48.0
#define FIT_MIN_ZOOM   3.0
#define FIT_MAX_ZOOM   16.0
/* How often an open proposal is re-ranked while crews move. */
#define PROPOSAL_REFRESH_S 5
#define PROPOSAL_ROWS  3
/* The side panel's width (ui/map/cd-map-view.ui), which it covers. */
#define PANEL_WIDTH    360

struct _CdMapView
{
  GtkWidget            parent_instance;

  CdContext           *context;

  /* Template children */
  GtkDropDown         *utility_dropdown;
  GtkDropDown         *category_dropdown;
  GtkDropDown         *status_dropdown;
  GtkDropDown         *area_dropdown;
  GtkDropDown         *crew_dropdown;
  GtkLabel            *count_label;
  GtkToggleButton     *trails_button;
  GtkBox              *legend_box;
  GtkInfoBar          *pick_bar;
  GtkRevealer         *panel_revealer;
  ShumateSimpleMap    *map;
  GtkLabel            *panel_title;
  GtkLabel            *panel_subtitle;
  GtkStack            *panel_stack;
  GtkLabel            *status_value;
  GtkLabel            *customer_value;
  GtkLabel            *phone_value;
  GtkLabel            *address_value;
  AdwActionRow        *sla_row_0;
  AdwActionRow        *sla_row_1;
  AdwActionRow        *sla_row_2;
  GtkLabel            *sla_value_0;
  GtkLabel            *sla_value_1;
  GtkLabel            *sla_value_2;
  AdwActionRow        *ticket_crew_row;
  GtkWidget           *ticket_crew_arrow;
  AdwPreferencesGroup *proposal_group;
  GtkListBox          *proposal_list;
  GtkLabel            *crew_status_value;
  GtkLabel            *crew_load_value;
  GtkLabel            *crew_members_value;
  GtkLabel            *crew_phone_value;
  GtkLabel            *crew_position_value;
  AdwPreferencesGroup *crew_tickets_group;
  GtkListBox          *crew_ticket_list;

  CdMapLayer          *layer;
  ShumateMapSourceRegistry *registry;
  GPtrArray           *area_ids;      /* the area dropdown's ids; [0] NULL = all */
  GPtrArray           *crew_ids;      /* [0] NULL = all, [1] "" = unassigned */
  gboolean             updating_lists;

  GObject             *shown;         /* what the panel shows */
  gulong               shown_notify_id;
  guint                panel_idle_id;
  gint64               proposal_at;   /* when the proposal was ranked (now) */
  gboolean             proposal_stale;

  GTask               *pick_task;
  GCancellable        *pick_cancellable;
  gulong               pick_cancelled_id;

  gboolean             fitted;
  guint                fit_tick_id;
  guint                lists_idle_id;
};

G_DEFINE_FINAL_TYPE (CdMapView, cd_map_view, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_CONTEXT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

typedef struct {
  double lat;
  double lon;
} PickedPoint;

static const CdTicketStatus open_statuses[] = {
  CD_TICKET_STATUS_NEW,
  CD_TICKET_STATUS_ASSIGNED,
  CD_TICKET_STATUS_CONTACTED,
  CD_TICKET_STATUS_EN_ROUTE,
  CD_TICKET_STATUS_ON_SITE,
  CD_TICKET_STATUS_WAITING_CUSTOMER,
};

static void refresh_panel (CdMapView *self);
static void pick_finish (CdMapView *self, gboolean picked, double lat, double lon);
static void zoom_step (CdMapView *self, int direction);

/* Helpers -------------------------------------------------------------- */

static GtkWidget *
map_widget (CdMapView *self)
{
  return GTK_WIDGET (shumate_simple_map_get_map (self->map));
}

static ShumateViewport *
viewport (CdMapView *self)
{
  return shumate_simple_map_get_viewport (self->map);
}

static void
list_box_clear (GtkListBox *list)
{
  GtkWidget *child;

  /* gtk_list_box_remove_all() is GTK 4.12. */
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (list))) != NULL)
    gtk_list_box_remove (list, child);
}

static const char *
area_name (const char *id)
{
  const CdCityDistrict *district = id != NULL ? cd_city_find_district (cd_city_get_demo (), id) : NULL;

  return district != NULL ? district->name : id;
}

/* A symbol as the map draws it, for lists and the legend. */
typedef enum {
  SYMBOL_TICKET,
  SYMBOL_CREW,
  SYMBOL_CLUSTER,
  SYMBOL_GLYPH,
} SymbolKind;

typedef struct {
  SymbolKind kind;
  guint      a, b, c;
} Symbol;

static void
draw_symbol_cb (GtkDrawingArea *area,
                cairo_t        *cr,
                int             width,
                int             height,
                gpointer        user_data)
{
  Symbol *symbol = user_data;
  CdMapPalette palette;

  cd_map_palette_load (&palette, GTK_WIDGET (area));
  cairo_translate (cr, width / 2.0, height / 2.0);

  switch (symbol->kind)
    {
    case SYMBOL_TICKET:
      cd_map_draw_ticket (cr, &palette, symbol->a, symbol->b, symbol->c);
      break;
    case SYMBOL_CREW:
      cd_map_draw_crew (cr, &palette, symbol->a, symbol->b);
      break;
    case SYMBOL_CLUSTER:
      cd_map_draw_cluster (cr, &palette, symbol->a, symbol->b, 10);
      break;
    case SYMBOL_GLYPH:
    default:
      {
        GdkRGBA fg;

        /* The glyph in the label colour, so it follows dark mode. */
        gtk_style_context_get_color (gtk_widget_get_style_context (GTK_WIDGET (area)), &fg);
        gdk_cairo_set_source_rgba (cr, &fg);
        cd_map_draw_category_glyph (cr, symbol->a, 14);
      }
      break;
    }
}

static GtkWidget *
symbol_new (SymbolKind kind,
            guint      a,
            guint      b,
            guint      c)
{
  GtkWidget *area = gtk_drawing_area_new ();
  Symbol *symbol = g_new0 (Symbol, 1);

  symbol->kind = kind;
  symbol->a = a;
  symbol->b = b;
  symbol->c = c;
  gtk_drawing_area_set_content_width (GTK_DRAWING_AREA (area), 40);
  gtk_drawing_area_set_content_height (GTK_DRAWING_AREA (area), 32);
  gtk_drawing_area_set_draw_func (GTK_DRAWING_AREA (area), draw_symbol_cb, symbol, g_free);
  gtk_widget_set_valign (area, GTK_ALIGN_CENTER);
  /* Decoration: the row's text says the same. */
  gtk_accessible_update_property (GTK_ACCESSIBLE (area), GTK_ACCESSIBLE_PROPERTY_LABEL, "", -1);

  return area;
}

static CdMapSla
ticket_sla (CdMapView *self,
            CdTicket  *ticket)
{
  return cd_map_ticket_sla (ticket, cd_context_get_policies (self->context),
                            cd_context_get_now (self->context), NULL);
}

/* Filter bar ----------------------------------------------------------- */

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
  /* Searching a long list needs to know what to search. */
  g_autoptr(GtkExpression) expression =
    gtk_property_expression_new (GTK_TYPE_STRING_OBJECT, NULL, "string");

  gtk_drop_down_set_expression (dropdown, expression);
  gtk_drop_down_set_model (dropdown, G_LIST_MODEL (list));
  g_object_unref (list);
}

static void
update_count (CdMapView *self)
{
  guint n_tickets = 0, n_crews = 0;
  g_autofree char *tickets = NULL;
  g_autofree char *crews = NULL;
  g_autofree char *text = NULL;

  cd_map_layer_count_shown (self->layer, &n_tickets, &n_crews);
  tickets = g_strdup_printf (ngettext ("%u ticket", "%u tickets", n_tickets), n_tickets);
  crews = g_strdup_printf (ngettext ("%u crew", "%u crews", n_crews), n_crews);
  /* Translators: "12 tickets · 4 crews", shown on the map. */
  text = g_strdup_printf (_("%s · %s"), tickets, crews);
  gtk_label_set_label (self->count_label, text);
}

static void
filter_changed_cb (CdMapView *self)
{
  CdMapFilter filter;
  guint pos;

  if (self->updating_lists || self->context == NULL)
    return;

  cd_map_filter_init (&filter);

  pos = gtk_drop_down_get_selected (self->utility_dropdown);
  if (pos != GTK_INVALID_LIST_POSITION && pos > 0)
    filter.utility = (gint) pos - 1;
  pos = gtk_drop_down_get_selected (self->category_dropdown);
  if (pos != GTK_INVALID_LIST_POSITION && pos > 0)
    filter.category = (gint) pos - 1;
  pos = gtk_drop_down_get_selected (self->status_dropdown);
  if (pos != GTK_INVALID_LIST_POSITION && pos > 0 && pos <= G_N_ELEMENTS (open_statuses))
    filter.status = open_statuses[pos - 1];
  pos = gtk_drop_down_get_selected (self->area_dropdown);
  if (pos != GTK_INVALID_LIST_POSITION && pos < self->area_ids->len)
    filter.area = g_strdup (g_ptr_array_index (self->area_ids, pos));
  pos = gtk_drop_down_get_selected (self->crew_dropdown);
  if (pos != GTK_INVALID_LIST_POSITION && pos < self->crew_ids->len)
    filter.crew_id = g_strdup (g_ptr_array_index (self->crew_ids, pos));

  cd_map_layer_set_filter (self->layer, &filter);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "map.clear-filters", !cd_map_filter_is_empty (&filter));
  cd_map_filter_clear (&filter);
  update_count (self);
}

static gint
compare_area_ids (gconstpointer a,
                  gconstpointer b)
{
  return g_utf8_collate (area_name (*(const char * const *) a), area_name (*(const char * const *) b));
}

/* The area and crew lists follow the data, keeping what is chosen. */
static void
update_lists (CdMapView *self)
{
  GListModel *tickets = cd_context_get_tickets (self->context);
  GListModel *crews = cd_context_get_crews (self->context);
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GPtrArray) areas = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) crew_ids = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *area = NULL;
  g_autofree char *crew = NULL;
  GtkStringList *list;
  guint pos, n;
  gboolean same;

  for (guint i = 0, m = g_list_model_get_n_items (tickets); i < m; i++)
    {
      g_autoptr(CdTicket) t = g_list_model_get_item (tickets, i);

      if (t->area != NULL && g_hash_table_add (seen, t->area))
        g_ptr_array_add (areas, g_strdup (t->area));
    }
  for (guint i = 0, m = g_list_model_get_n_items (crews); i < m; i++)
    {
      g_autoptr(CdCrew) c = g_list_model_get_item (crews, i);

      for (guint k = 0; c->areas != NULL && c->areas[k] != NULL; k++)
        if (g_hash_table_add (seen, c->areas[k]))
          g_ptr_array_add (areas, g_strdup (c->areas[k]));
      g_ptr_array_add (crew_ids, g_strdup (CD_RECORD (c)->id));
    }
  g_ptr_array_sort (areas, compare_area_ids);
  g_ptr_array_insert (areas, 0, NULL);
  g_ptr_array_insert (crew_ids, 0, NULL);
  g_ptr_array_insert (crew_ids, 1, g_strdup (""));

  self->updating_lists = TRUE;

  pos = gtk_drop_down_get_selected (self->area_dropdown);
  if (pos != GTK_INVALID_LIST_POSITION && pos < self->area_ids->len)
    area = g_strdup (g_ptr_array_index (self->area_ids, pos));
  same = areas->len == self->area_ids->len;
  for (guint i = 0; same && i < areas->len; i++)
    same = g_strcmp0 (g_ptr_array_index (areas, i), g_ptr_array_index (self->area_ids, i)) == 0;
  if (!same)
    {
      list = string_list_new_with (_("All Areas"));
      for (guint i = 1; i < areas->len; i++)
        gtk_string_list_append (list, area_name (g_ptr_array_index (areas, i)));
      set_dropdown_model (self->area_dropdown, list);
      g_ptr_array_unref (self->area_ids);
      self->area_ids = g_ptr_array_ref (areas);
      n = 0;
      for (guint i = 1; area != NULL && i < areas->len; i++)
        if (g_str_equal (area, g_ptr_array_index (areas, i)))
          n = i;
      gtk_drop_down_set_selected (self->area_dropdown, n);
    }

  pos = gtk_drop_down_get_selected (self->crew_dropdown);
  if (pos != GTK_INVALID_LIST_POSITION && pos < self->crew_ids->len)
    crew = g_strdup (g_ptr_array_index (self->crew_ids, pos));
  same = crew_ids->len == self->crew_ids->len;
  for (guint i = 0; same && i < crew_ids->len; i++)
    same = g_strcmp0 (g_ptr_array_index (crew_ids, i), g_ptr_array_index (self->crew_ids, i)) == 0;
  if (!same)
    {
      list = string_list_new_with (_("All Crews"));
      gtk_string_list_append (list, _("Unassigned Tickets"));
      for (guint i = 0, m = g_list_model_get_n_items (crews); i < m; i++)
        {
          g_autoptr(CdCrew) c = g_list_model_get_item (crews, i);

          gtk_string_list_append (list, c->name != NULL ? c->name : CD_RECORD (c)->id);
        }
      set_dropdown_model (self->crew_dropdown, list);
      g_ptr_array_unref (self->crew_ids);
      self->crew_ids = g_ptr_array_ref (crew_ids);
      n = 0;
      for (guint i = 1; crew != NULL && i < crew_ids->len; i++)
        if (g_str_equal (crew, g_ptr_array_index (crew_ids, i)))
          n = i;
      gtk_drop_down_set_selected (self->crew_dropdown, n);
    }

  self->updating_lists = FALSE;
  filter_changed_cb (self);
}

static void
setup_fixed_lists (CdMapView *self)
{
  GtkStringList *list;

  list = string_list_new_with (_("All Utilities"));
  for (guint i = 0; i < CD_N_UTILITIES; i++)
    gtk_string_list_append (list, cd_format_utility (i));
  set_dropdown_model (self->utility_dropdown, list);

  list = string_list_new_with (_("All Categories"));
  for (guint i = 0; i < CD_N_CATEGORIES; i++)
    gtk_string_list_append (list, cd_format_category (i));
  set_dropdown_model (self->category_dropdown, list);

  list = string_list_new_with (_("All Statuses"));
  for (guint i = 0; i < G_N_ELEMENTS (open_statuses); i++)
    gtk_string_list_append (list, cd_format_ticket_status (open_statuses[i]));
  set_dropdown_model (self->status_dropdown, list);

  set_dropdown_model (self->area_dropdown, string_list_new_with (_("All Areas")));
  list = string_list_new_with (_("All Crews"));
  gtk_string_list_append (list, _("Unassigned Tickets"));
  set_dropdown_model (self->crew_dropdown, list);
}

/* Legend ----------------------------------------------------------------- */

static void
legend_heading (CdMapView  *self,
                const char *text,
                gboolean    first)
{
  GtkWidget *label = gtk_label_new (text);

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_widget_add_css_class (label, "heading");
  if (!first)
    gtk_widget_set_margin_top (label, 12);
  gtk_box_append (self->legend_box, label);
}

static void
legend_row (CdMapView  *self,
            GtkWidget  *symbol,
            const char *text)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *label = gtk_label_new (text);

  /* Short phrases: on one line each (a wrapping label in a popover gets
   * only its minimum width). */
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_box_append (GTK_BOX (box), symbol);
  gtk_box_append (GTK_BOX (box), label);
  gtk_box_append (self->legend_box, box);
}

static void
setup_legend (CdMapView *self)
{
  static const struct {
    CdMapSla    sla;
    const char *text;
  } slas[] = {
    { CD_MAP_SLA_GREEN, N_("On time") },
    { CD_MAP_SLA_AMBER, N_("Time limit close: less than a quarter left") },
    { CD_MAP_SLA_RED, N_("Time limit missed") },
    { CD_MAP_SLA_PAUSED, N_("Paused, waiting for the customer") },
    { CD_MAP_SLA_NONE, N_("No time limit running") },
  };

  legend_heading (self, _("Tickets: colour is the most pressing time limit"), TRUE);
  for (guint i = 0; i < G_N_ELEMENTS (slas); i++)
    legend_row (self, symbol_new (SYMBOL_TICKET, CD_CATEGORY_NO_HEAT, CD_URGENCY_URGENT, slas[i].sla),
                _(slas[i].text));

  legend_heading (self, _("Shape is the utility, size the urgency"), FALSE);
  legend_row (self, symbol_new (SYMBOL_TICKET, CD_CATEGORY_NO_HEAT, CD_URGENCY_NORMAL, CD_MAP_SLA_GREEN),
              _("Heat: a disc"));
  legend_row (self, symbol_new (SYMBOL_TICKET, CD_CATEGORY_NO_POWER, CD_URGENCY_NORMAL, CD_MAP_SLA_GREEN),
              _("Power: a diamond"));
  for (guint u = 0; u < CD_N_URGENCIES; u++)
    legend_row (self, symbol_new (SYMBOL_TICKET, CD_CATEGORY_POWER_OUTAGE, u, CD_MAP_SLA_GREEN),
                cd_format_urgency (u));

  legend_heading (self, _("Symbol is the category"), FALSE);
  for (guint c = 0; c < CD_N_CATEGORIES; c++)
    legend_row (self, symbol_new (SYMBOL_GLYPH, c, 0, 0), cd_format_category (c));

  legend_heading (self, _("Crews: colour is the status, the arrow the heading"), FALSE);
  for (guint s = 0; s < CD_MAP_N_CREW_STATUSES; s++)
    legend_row (self, symbol_new (SYMBOL_CREW, s, s == CD_CREW_STATUS_EN_ROUTE, 0),
                cd_format_crew_status (s));

  legend_heading (self, _("Clusters, zoomed out"), FALSE);
  legend_row (self, symbol_new (SYMBOL_CLUSTER, FALSE, CD_MAP_SLA_RED, 0),
              _("Tickets close together, coloured as the most pressing"));
  legend_row (self, symbol_new (SYMBOL_CLUSTER, TRUE, 0, 0), _("Crews close together"));
}

/* Side panel --------------------------------------------------------------- */

static void
set_value (GtkLabel   *label,
           const char *text)
{
  gtk_label_set_label (label, text != NULL && *text != '\0' ? text : "—");
}

static void
set_state_class (GtkWidget  *widget,
                 const char *name)
{
  static const char *classes[] = { "success", "warning", "error", "dim-label" };

  for (guint i = 0; i < G_N_ELEMENTS (classes); i++)
    if (g_strcmp0 (name, classes[i]) != 0)
      gtk_widget_remove_css_class (widget, classes[i]);
  if (name != NULL)
    gtk_widget_add_css_class (widget, name);
}

static void
refresh_sla (CdMapView *self,
             CdTicket  *ticket)
{
  AdwActionRow *rows[CD_N_SLA_KINDS] = { self->sla_row_0, self->sla_row_1, self->sla_row_2 };
  GtkLabel *values[CD_N_SLA_KINDS] = { self->sla_value_0, self->sla_value_1, self->sla_value_2 };
  CdSlaPolicySet *policies = cd_context_get_policies (self->context);
  CdCalendar *calendar = policies != NULL ? cd_sla_policy_set_get_calendar (policies, ticket->sla_calendar) : NULL;
  gint64 now = cd_context_get_now (self->context);

  for (guint kind = 0; kind < CD_N_SLA_KINDS; kind++)
    {
      CdSlaStatus status = { 0 };
      g_autofree char *text = NULL;
      g_autofree char *left = NULL;
      g_autofree char *due = NULL;
      const char *css = NULL;
      gint64 reached = cd_sla_get_reached_at (ticket, kind);

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (rows[kind]), cd_format_sla_kind (kind));

      if (calendar == NULL || cd_sla_get_limit_min (ticket, kind) <= 0)
        {
          text = g_strdup (_("No limit"));
          css = "dim-label";
          adw_action_row_set_subtitle (rows[kind], NULL);
        }
      else
        {
          cd_sla_evaluate (ticket, kind, calendar, now, &status);
          due = cd_format_time (status.deadline, now);

          if (reached != 0)
            {
              g_autofree char *at = cd_format_time (reached, now);

              /* Translators: a time limit that was kept or missed; %s is a time. */
              text = g_strdup_printf (status.state == CD_SLA_STATE_RED ? _("Missed, done %s") : _("Met at %s"), at);
              css = status.state == CD_SLA_STATE_RED ? "error" : "dim-label";
            }
          else
            {
              left = cd_format_countdown (status.seconds_left);
              if (status.paused)
                {
                  /* Translators: %s is the time left, frozen while paused. */
                  text = g_strdup_printf (_("Paused, %s left"), left);
                  css = "dim-label";
                }
              else
                {
                  text = g_steal_pointer (&left);
                  css = status.state == CD_SLA_STATE_RED ? "error"
                      : status.state == CD_SLA_STATE_AMBER ? "warning" : "success";
                }
            }
          {
            /* Translators: the deadline of a time limit, %s is a time. */
            g_autofree char *subtitle = g_strdup_printf (_("Due %s"), due);

            adw_action_row_set_subtitle (rows[kind], subtitle);
          }
        }

      gtk_label_set_label (values[kind], text);
      set_state_class (GTK_WIDGET (values[kind]), css);
    }
}

static GtkWidget *
crew_row_new (CdCrew     *crew,
              const char *subtitle,
              const char *score)
{
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *label;

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), crew->name);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), TRUE);
  adw_action_row_add_prefix (ADW_ACTION_ROW (row),
                             symbol_new (SYMBOL_CREW, crew->status, FALSE, 0));
  if (score != NULL)
    {
      label = gtk_label_new (score);
      gtk_widget_add_css_class (label, "numeric");
      gtk_widget_add_css_class (label, "heading");
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), label);
    }
  g_object_set_data_full (G_OBJECT (row), "item", g_object_ref (crew), g_object_unref);

  return row;
}

static void
refresh_proposal (CdMapView *self,
                  CdTicket  *ticket)
{
  g_autoptr(GPtrArray) crews = NULL;
  g_autoptr(GArray) ranking = NULL;
  g_autoptr(GError) error = NULL;
  guint shown = 0;

  list_box_clear (self->proposal_list);
  self->proposal_at = cd_context_get_now (self->context);
  self->proposal_stale = FALSE;

  if (!cd_context_rank_crews (self->context, ticket, &crews, &ranking, &error))
    {
      GtkWidget *row = adw_action_row_new ();

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _("No proposal"));
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), error->message);
      gtk_list_box_append (self->proposal_list, row);
      return;
    }

  for (guint i = 0; i < ranking->len && shown < PROPOSAL_ROWS; i++)
    {
      CdMatchScore *score = &g_array_index (ranking, CdMatchScore, i);
      CdCrew *crew = g_ptr_array_index (crews, score->crew);
      g_autofree char *subtitle = NULL;
      g_autofree char *total = NULL;
      g_autofree char *parts = NULL;
      GtkWidget *row;

      if (score->verdict != CD_MATCH_OK)
        break;

      /* Translators: a crew's score for a ticket, broken down: travel
       * minutes and kilometres, then the cost added by urgency, the load
       * the crew carries and a crew from another service area. */
      parts = g_strdup_printf (_("Travel %.0f min (%.1f km) · urgency +%.0f · load +%.0f · area +%.0f"),
                               score->travel_min, score->distance_km, score->cost_urgency,
                               score->cost_load, score->cost_area);
      if (shown == 0)
        /* Translators: the first of the ranked crews, then its score's parts. */
        subtitle = g_strdup_printf (_("Proposed · %s"), parts);
      else
        subtitle = g_steal_pointer (&parts);
      total = g_strdup_printf ("%.0f", score->total);

      row = crew_row_new (crew, subtitle, total);
      gtk_widget_set_tooltip_text (row, _("Show this crew"));
      if (shown == 0)
        gtk_widget_add_css_class (row, "cd-map-proposed");
      gtk_list_box_append (self->proposal_list, row);
      shown++;
    }

  if (shown == 0)
    {
      GtkWidget *row = adw_action_row_new ();

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _("No crew can take this ticket now"));
      if (ranking->len > 0)
        {
          CdMatchScore *best = &g_array_index (ranking, CdMatchScore, 0);
          CdCrew *crew = g_ptr_array_index (crews, best->crew);
          g_autofree char *why = g_strdup_printf ("%s: %s", crew->name,
                                                  cd_match_verdict_to_string (best->verdict));

          adw_action_row_set_subtitle (ADW_ACTION_ROW (row), why);
        }
      gtk_list_box_append (self->proposal_list, row);
    }
}

static void
show_ticket_panel (CdMapView *self,
                   CdTicket  *ticket)
{
  g_autofree char *subtitle = NULL;
  g_autofree char *customer = NULL;
  CdCrew *crew = ticket->crew_id != NULL ? cd_context_lookup_crew (self->context, ticket->crew_id) : NULL;

  gtk_stack_set_visible_child_name (self->panel_stack, "ticket");
  set_value (self->panel_title, ticket->number);
  /* Translators: a ticket's category, urgency and utility. */
  subtitle = g_strdup_printf (_("%s · %s · %s"), cd_format_category (ticket->category),
                              cd_format_urgency (ticket->urgency), cd_format_utility (ticket->utility));
  gtk_label_set_label (self->panel_subtitle, subtitle);

  set_value (self->status_value, cd_format_ticket_status (ticket->status));
  if (ticket->key_customer && ticket->customer_name != NULL)
    /* Translators: %s is a customer's name. */
    customer = g_strdup_printf (_("%s (key customer)"), ticket->customer_name);
  else
    customer = g_strdup (ticket->customer_name);
  set_value (self->customer_value, customer);
  set_value (self->phone_value, ticket->customer_phone);
  set_value (self->address_value, ticket->address);

  refresh_sla (self, ticket);

  if (crew != NULL)
    {
      g_autofree char *load = NULL;
      const char *how = ticket->assignment_source == CD_ASSIGNMENT_SOURCE_MANUAL
                        ? _("Assigned by hand") : _("Assigned automatically");

      /* Translators: how a crew was assigned, its status and its load. */
      load = g_strdup_printf (_("%s · %s · %u of %u tickets"), how, cd_format_crew_status (crew->status),
                              cd_context_get_crew_load (self->context, CD_RECORD (crew)->id),
                              (guint) crew->capacity);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->ticket_crew_row), crew->name);
      adw_action_row_set_subtitle (self->ticket_crew_row, load);
      gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (self->ticket_crew_row), TRUE);
      gtk_widget_set_visible (self->ticket_crew_arrow, TRUE);
    }
  else
    {
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->ticket_crew_row), _("Not assigned"));
      adw_action_row_set_subtitle (self->ticket_crew_row, NULL);
      gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (self->ticket_crew_row), FALSE);
      gtk_widget_set_visible (self->ticket_crew_arrow, FALSE);
    }

  refresh_proposal (self, ticket);
}

static void
refresh_crew_position (CdMapView *self,
                       CdCrew    *crew)
{
  g_autofree char *text = NULL;

  if (crew->position_at == 0)
    {
      text = g_strdup (_("No position reported yet"));
    }
  else
    {
      g_autofree char *at = cd_format_time (crew->position_at, cd_context_get_now (self->context));

      if (crew->speed_kmh >= 1.0)
        /* Translators: when a crew last reported its position, and its speed. */
        text = g_strdup_printf (_("%s, %.0f km/h"), at, crew->speed_kmh);
      else
        text = g_steal_pointer (&at);
    }
  gtk_label_set_label (self->crew_position_value, text);
}

static void
show_crew_panel (CdMapView *self,
                 CdCrew    *crew)
{
  GListModel *tickets = cd_context_get_tickets (self->context);
  g_autofree char *subtitle = NULL;
  g_autofree char *load = NULL;
  g_autofree char *members = NULL;
  guint n = 0;

  gtk_stack_set_visible_child_name (self->panel_stack, "crew");
  set_value (self->panel_title, crew->name);
  /* Translators: "Power crew"; %s is the utility. */
  subtitle = g_strdup_printf (_("%s crew"), cd_format_utility (crew->utility));
  gtk_label_set_label (self->panel_subtitle, subtitle);

  set_value (self->crew_status_value, cd_format_crew_status (crew->status));
  /* Translators: a crew's load: tickets carried of its capacity. */
  load = g_strdup_printf (_("%u of %u tickets"), cd_context_get_crew_load (self->context, CD_RECORD (crew)->id),
                          (guint) crew->capacity);
  set_value (self->crew_load_value, load);
  if (crew->members != NULL)
    members = g_strjoinv (", ", crew->members);
  set_value (self->crew_members_value, members);
  set_value (self->crew_phone_value, crew->phone);
  refresh_crew_position (self, crew);

  list_box_clear (self->crew_ticket_list);
  for (guint i = 0, m = g_list_model_get_n_items (tickets); i < m; i++)
    {
      g_autoptr(CdTicket) t = g_list_model_get_item (tickets, i);
      g_autofree char *title = NULL;
      GtkWidget *row;

      if (g_strcmp0 (t->crew_id, CD_RECORD (crew)->id) != 0)
        continue;

      row = adw_action_row_new ();
      /* Translators: a ticket's number and category. */
      title = g_strdup_printf (_("%s · %s"), t->number, cd_format_category (t->category));
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), t->address);
      adw_action_row_add_prefix (ADW_ACTION_ROW (row),
                                 symbol_new (SYMBOL_TICKET, t->category, t->urgency, ticket_sla (self, t)));
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), gtk_image_new_from_icon_name ("go-next-symbolic"));
      gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), TRUE);
      g_object_set_data_full (G_OBJECT (row), "item", g_object_ref (t), g_object_unref);
      gtk_list_box_append (self->crew_ticket_list, row);
      n++;
    }
  if (n == 0)
    {
      GtkWidget *row = adw_action_row_new ();

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _("No tickets assigned"));
      gtk_list_box_append (self->crew_ticket_list, row);
    }
}

static void
refresh_panel (CdMapView *self)
{
  if (self->shown == NULL)
    return;

  if (CD_IS_TICKET (self->shown))
    show_ticket_panel (self, CD_TICKET (self->shown));
  else
    show_crew_panel (self, CD_CREW (self->shown));
}

static gboolean
panel_idle_cb (gpointer user_data)
{
  CdMapView *self = user_data;

  self->panel_idle_id = 0;
  refresh_panel (self);

  return G_SOURCE_REMOVE;
}

static void
shown_notify_cb (CdMapView *self)
{
  /* Properties change one by one: redo the panel once for them all. */
  if (self->panel_idle_id == 0)
    self->panel_idle_id = g_idle_add (panel_idle_cb, self);
}

static void
set_shown (CdMapView *self,
           gpointer   item)
{
  if (self->shown == item)
    return;

  if (self->shown != NULL)
    g_clear_signal_handler (&self->shown_notify_id, self->shown);
  g_set_object (&self->shown, item);
  if (self->shown != NULL)
    self->shown_notify_id = g_signal_connect_swapped (self->shown, "notify",
                                                      G_CALLBACK (shown_notify_cb), self);
}

static void pan_by (CdMapView *self, double dx, double dy);

/* The panel lies over the map's right side: bring @item out from under
 * it, moving the map as little as possible. */
static void
keep_in_sight (CdMapView *self,
               gpointer   item)
{
  GtkWidget *map = shumate_simple_map_get_map (self->map) != NULL
                   ? GTK_WIDGET (shumate_simple_map_get_map (self->map)) : NULL;
  double x, y, right;

  if (map == NULL || !cd_map_layer_get_item_position (self->layer, item, &x, &y))
    return;

  right = gtk_widget_get_width (map) - PANEL_WIDTH - 48;
  if (x > right && right > 48)
    pan_by (self, x - right, 0);
}

/* A crew and its tickets, all in the part of the map the panel leaves
 * free; zooming out when they do not fit, never in. */
static void
frame_crew (CdMapView *self,
            CdCrew    *crew)
{
  ShumateViewport *vp = viewport (self);
  ShumateMapSource *source = shumate_viewport_get_reference_map_source (vp);
  GListModel *tickets = cd_context_get_tickets (self->context);
  GtkWidget *map = map_widget (self);
  double south = crew->lat, north = crew->lat, west = crew->lon, east = crew->lon;
  double width = gtk_widget_get_width (map) - PANEL_WIDTH;
  double height = gtk_widget_get_height (map);
  double lat, lon, zoom, u, v, sx, sy;
  gboolean all_in_sight = TRUE;

  if (source == NULL || crew->position_at == 0 || width < 200)
    return;

  for (guint i = 0, n = g_list_model_get_n_items (tickets); i < n; i++)
    {
      g_autoptr(CdTicket) t = g_list_model_get_item (tickets, i);

      if (g_strcmp0 (t->crew_id, CD_RECORD (crew)->id) != 0)
        continue;
      south = MIN (south, t->lat);
      north = MAX (north, t->lat);
      west = MIN (west, t->lon);
      east = MAX (east, t->lon);
      shumate_viewport_location_to_widget_coords (vp, map, t->lat, t->lon, &sx, &sy);
      all_in_sight &= sx > 32 && sx < width - 32 && sy > 32 && sy < height - 32;
    }
  shumate_viewport_location_to_widget_coords (vp, map, crew->lat, crew->lon, &sx, &sy);
  all_in_sight &= sx > 32 && sx < width - 32 && sy > 32 && sy < height - 32;
  if (all_in_sight)
    return;

  if (!cd_map_fit (south, west, north, east, width, height, shumate_map_source_get_tile_size (source),
                   FIT_PADDING, FIT_MIN_ZOOM, shumate_viewport_get_zoom_level (vp), &lat, &lon, &zoom))
    return;

  /* That centre belongs in the middle of the free part: the map's own
   * centre lies half a panel further east. */
  cd_map_project (lat, lon, &u, &v);
  u += (PANEL_WIDTH / 2.0) / (shumate_map_source_get_tile_size (source) * pow (2, zoom));
  cd_map_unproject (u, v, &lat, &lon);
  shumate_map_go_to_full_with_duration (shumate_simple_map_get_map (self->map), lat, lon, zoom, 400);
}

static void
open_panel (CdMapView *self,
            gpointer   item)
{
  set_shown (self, item);
  refresh_panel (self);
  gtk_revealer_set_reveal_child (self->panel_revealer, TRUE);
  if (CD_IS_CREW (item))
    frame_crew (self, item);
  else
    keep_in_sight (self, item);
}

static void
close_panel (CdMapView *self)
{
  gtk_revealer_set_reveal_child (self->panel_revealer, FALSE);
  set_shown (self, NULL);
  g_clear_handle_id (&self->panel_idle_id, g_source_remove);
}

/* Map ---------------------------------------------------------------------- */

static void
fit_to_data (CdMapView *self,
             gboolean   animate)
{
  ShumateMapSource *source = shumate_viewport_get_reference_map_source (viewport (self));
  double south, west, north, east, lat, lon, zoom;
  int width = gtk_widget_get_width (map_widget (self));
  int height = gtk_widget_get_height (map_widget (self));

  if (source == NULL || width <= 0 || height <= 0 ||
      !cd_map_layer_get_bounds (self->layer, &south, &west, &north, &east))
    return;

  if (!cd_map_fit (south, west, north, east, width, height, shumate_map_source_get_tile_size (source),
                   FIT_PADDING, FIT_MIN_ZOOM, FIT_MAX_ZOOM, &lat, &lon, &zoom))
    return;

  self->fitted = TRUE;
  if (animate)
    {
      shumate_map_go_to_full (shumate_simple_map_get_map (self->map), lat, lon, zoom);
    }
  else
    {
      shumate_viewport_set_zoom_level (viewport (self), zoom);
      shumate_location_set_location (SHUMATE_LOCATION (viewport (self)), lat, lon);
    }
}

static gboolean
first_fit_tick_cb (GtkWidget     *widget,
                   GdkFrameClock *clock,
                   gpointer       user_data)
{
  CdMapView *self = CD_MAP_VIEW (user_data);

  if (gtk_widget_get_width (widget) <= 0)
    return G_SOURCE_CONTINUE;

  /* Sized: fit now if there is data; otherwise the data's arrival will. */
  if (!self->fitted)
    fit_to_data (self, FALSE);
  self->fit_tick_id = 0;

  return G_SOURCE_REMOVE;
}

static gboolean
lists_idle_cb (gpointer user_data)
{
  CdMapView *self = user_data;

  self->lists_idle_id = 0;
  update_lists (self);
  if (!self->fitted)
    fit_to_data (self, FALSE);

  return G_SOURCE_REMOVE;
}

static void
models_changed_cb (CdMapView *self)
{
  if (self->lists_idle_id == 0)
    self->lists_idle_id = g_idle_add (lists_idle_cb, self);
}

static void
zoom_to_cluster (CdMapView      *self,
                 const CdMapHit *hit)
{
  ShumateMapSource *source = shumate_viewport_get_reference_map_source (viewport (self));
  double current = shumate_viewport_get_zoom_level (viewport (self));
  double lat, lon, zoom;

  if (source == NULL ||
      !cd_map_fit (hit->south, hit->west, hit->north, hit->east,
                   gtk_widget_get_width (map_widget (self)), gtk_widget_get_height (map_widget (self)),
                   shumate_map_source_get_tile_size (source), FIT_PADDING, 0, 19, &lat, &lon, &zoom))
    return;

  /* Always at least two steps closer, so a click always makes progress. */
  shumate_map_go_to_full (shumate_simple_map_get_map (self->map), lat, lon, MAX (zoom, current + 2));
}

static void
select_item (CdMapView *self,
             gpointer   item,
             gboolean   open)
{
  cd_map_layer_set_selected (self->layer, item);
  /* An open panel follows the selection. */
  if (item != NULL && (open || gtk_revealer_get_reveal_child (self->panel_revealer)))
    open_panel (self, item);
}

static void
click_released_cb (GtkGestureClick *gesture,
                   int              n_press,
                   double           x,
                   double           y,
                   CdMapView       *self)
{
  GtkWidget *map = map_widget (self);
  double lx, ly;
  CdMapHit hit;

  if (n_press != 1)
    return;

  gtk_widget_grab_focus (map);

  if (self->pick_task != NULL)
    {
      double lat, lon;

      shumate_viewport_widget_coords_to_location (viewport (self), map, x, y, &lat, &lon);
      pick_finish (self, TRUE, lat, lon);
      return;
    }

  if (!gtk_widget_translate_coordinates (map, GTK_WIDGET (self->layer), x, y, &lx, &ly))
    return;

  if (!cd_map_layer_hit_test (self->layer, lx, ly, &hit))
    {
      cd_map_layer_set_selected (self->layer, NULL);
      close_panel (self);
      return;
    }

  switch (hit.kind)
    {
    case CD_MAP_HIT_TICKET:
    case CD_MAP_HIT_CREW:
      select_item (self, hit.item, TRUE);
      break;
    case CD_MAP_HIT_TICKET_CLUSTER:
    case CD_MAP_HIT_CREW_CLUSTER:
      zoom_to_cluster (self, &hit);
      break;
    case CD_MAP_HIT_NONE:
    default:
      break;
    }
}

static void
pan_by (CdMapView *self,
        double     dx,
        double     dy)
{
  GtkWidget *map = map_widget (self);
  double lat, lon;

  shumate_viewport_widget_coords_to_location (viewport (self), map,
                                              gtk_widget_get_width (map) / 2.0 + dx,
                                              gtk_widget_get_height (map) / 2.0 + dy, &lat, &lon);
  shumate_location_set_location (SHUMATE_LOCATION (viewport (self)), lat, lon);
}

static gboolean
key_pressed_cb (GtkEventControllerKey *controller,
                guint                  keyval,
                guint                  keycode,
                GdkModifierType        state,
                CdMapView             *self)
{
  GtkWidget *map = map_widget (self);
  gboolean shift = (state & GDK_SHIFT_MASK) != 0;
  CdMapStep step;
  double pan = MIN (gtk_widget_get_width (map), gtk_widget_get_height (map)) / 4.0;

  if ((state & (GDK_CONTROL_MASK | GDK_ALT_MASK)) != 0)
    return GDK_EVENT_PROPAGATE;

  switch (keyval)
    {
    case GDK_KEY_Tab:
    case GDK_KEY_KP_Tab:
    case GDK_KEY_ISO_Left_Tab:
      if (self->pick_task != NULL)
        return GDK_EVENT_PROPAGATE;
      step = shift || keyval == GDK_KEY_ISO_Left_Tab ? CD_MAP_STEP_PREVIOUS : CD_MAP_STEP_NEXT;
      /* Past the last ticket, Tab leaves the map as usual. */
      if (cd_map_layer_step_selection (self->layer, step) == NULL)
        return GDK_EVENT_PROPAGATE;
      select_item (self, cd_map_layer_get_selected (self->layer), FALSE);
      return GDK_EVENT_STOP;

    case GDK_KEY_Left:
    case GDK_KEY_Right:
    case GDK_KEY_Up:
    case GDK_KEY_Down:
    case GDK_KEY_KP_Left:
    case GDK_KEY_KP_Right:
    case GDK_KEY_KP_Up:
    case GDK_KEY_KP_Down:
      {
        double dx = 0, dy = 0;

        if (keyval == GDK_KEY_Left || keyval == GDK_KEY_KP_Left)
          step = CD_MAP_STEP_LEFT, dx = -pan;
        else if (keyval == GDK_KEY_Right || keyval == GDK_KEY_KP_Right)
          step = CD_MAP_STEP_RIGHT, dx = pan;
        else if (keyval == GDK_KEY_Up || keyval == GDK_KEY_KP_Up)
          step = CD_MAP_STEP_UP, dy = -pan;
        else
          step = CD_MAP_STEP_DOWN, dy = pan;

        /* With the crosshair out, or nothing that way: move the map. */
        if (self->pick_task != NULL || cd_map_layer_step_selection (self->layer, step) == NULL)
          pan_by (self, dx, dy);
        else
          select_item (self, cd_map_layer_get_selected (self->layer), FALSE);
      }
      return GDK_EVENT_STOP;

    case GDK_KEY_Return:
    case GDK_KEY_KP_Enter:
    case GDK_KEY_ISO_Enter:
    case GDK_KEY_space:
      if (self->pick_task != NULL)
        {
          double lat = shumate_location_get_latitude (SHUMATE_LOCATION (viewport (self)));
          double lon = shumate_location_get_longitude (SHUMATE_LOCATION (viewport (self)));

          pick_finish (self, TRUE, lat, lon);
          return GDK_EVENT_STOP;
        }
      if (cd_map_layer_get_selected (self->layer) != NULL)
        {
          open_panel (self, cd_map_layer_get_selected (self->layer));
          return GDK_EVENT_STOP;
        }
      return GDK_EVENT_PROPAGATE;

    case GDK_KEY_plus:
    case GDK_KEY_equal:
    case GDK_KEY_KP_Add:
      zoom_step (self, 1);
      return GDK_EVENT_STOP;

    case GDK_KEY_minus:
    case GDK_KEY_KP_Subtract:
      zoom_step (self, -1);
      return GDK_EVENT_STOP;

    default:
      return GDK_EVENT_PROPAGATE;
    }
}

/* One whole level per key (libshumate 1.0.3 steps by a fifth). */
static void
zoom_step (CdMapView *self,
           int        direction)
{
  ShumateViewport *vp = viewport (self);
  double zoom = shumate_viewport_get_zoom_level (vp);
  double target = direction > 0 ? floor (zoom + 1e-6) + 1 : ceil (zoom - 1e-6) - 1;

  target = CLAMP (target, shumate_viewport_get_min_zoom_level (vp), shumate_viewport_get_max_zoom_level (vp));
  shumate_map_go_to_full_with_duration (shumate_simple_map_get_map (self->map),
                                        shumate_location_get_latitude (SHUMATE_LOCATION (vp)),
                                        shumate_location_get_longitude (SHUMATE_LOCATION (vp)),
                                        target, 200);
}

static void
focus_changed_cb (CdMapView *self)
{
  cd_map_layer_set_show_focus (self->layer, gtk_widget_has_visible_focus (map_widget (self)));
}

/* Picking a location ------------------------------------------------------ */

static void
pick_finish (CdMapView *self,
             gboolean   picked,
             double     lat,
             double     lon)
{
  g_autoptr(GTask) task = g_steal_pointer (&self->pick_task);

  if (task == NULL)
    return;

  if (self->pick_cancellable != NULL)
    g_clear_signal_handler (&self->pick_cancelled_id, self->pick_cancellable);
  g_clear_object (&self->pick_cancellable);

  gtk_info_bar_set_revealed (self->pick_bar, FALSE);
  cd_map_layer_set_show_crosshair (self->layer, FALSE);
  gtk_widget_set_cursor (map_widget (self), NULL);

  if (picked)
    {
      PickedPoint *point = g_new (PickedPoint, 1);

      point->lat = lat;
      point->lon = lon;
      g_task_return_pointer (task, point, g_free);
    }
  else
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "%s",
                               _("Placing the ticket on the map was cancelled."));
    }
}

static void
pick_cancelled_cb (GCancellable *cancellable,
                   CdMapView    *self)
{
  pick_finish (self, FALSE, 0, 0);
}

/* Actions -------------------------------------------------------------------- */

static void
escape_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  CdMapView *self = CD_MAP_VIEW (widget);

  if (self->pick_task != NULL)
    pick_finish (self, FALSE, 0, 0);
  else if (gtk_revealer_get_reveal_child (self->panel_revealer))
    {
      close_panel (self);
      /* Back to the map, where the selection still is. */
      gtk_widget_grab_focus (map_widget (self));
    }
  else
    cd_map_layer_set_selected (self->layer, NULL);
}

static void
close_panel_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  CdMapView *self = CD_MAP_VIEW (widget);

  close_panel (self);
  gtk_widget_grab_focus (map_widget (self));
}

static void
fit_action (GtkWidget  *widget,
            const char *action_name,
            GVariant   *parameter)
{
  fit_to_data (CD_MAP_VIEW (widget), TRUE);
}

static void
zoom_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  CdMapView *self = CD_MAP_VIEW (widget);

  zoom_step (self, g_str_equal (action_name, "map.zoom-in") ? 1 : -1);
}

static void
clear_filters_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *parameter)
{
  CdMapView *self = CD_MAP_VIEW (widget);

  self->updating_lists = TRUE;
  gtk_drop_down_set_selected (self->utility_dropdown, 0);
  gtk_drop_down_set_selected (self->category_dropdown, 0);
  gtk_drop_down_set_selected (self->status_dropdown, 0);
  gtk_drop_down_set_selected (self->area_dropdown, 0);
  gtk_drop_down_set_selected (self->crew_dropdown, 0);
  self->updating_lists = FALSE;
  filter_changed_cb (self);
}

/* Template callbacks ---------------------------------------------------------- */

static void
ticket_crew_row_activated_cb (CdMapView *self)
{
  CdCrew *crew;

  if (self->shown == NULL || !CD_IS_TICKET (self->shown) || CD_TICKET (self->shown)->crew_id == NULL)
    return;

  crew = cd_context_lookup_crew (self->context, CD_TICKET (self->shown)->crew_id);
  if (crew != NULL)
    cd_map_view_show_item (self, crew);
}

static void
crew_list_row_activated_cb (CdMapView     *self,
                            GtkListBoxRow *row)
{
  gpointer item = g_object_get_data (G_OBJECT (row), "item");

  if (item != NULL)
    cd_map_view_show_item (self, item);
}

static void
ticket_list_row_activated_cb (CdMapView     *self,
                              GtkListBoxRow *row)
{
  crew_list_row_activated_cb (self, row);
}

/* Context signals -------------------------------------------------------------- */

static void
tick_cb (CdMapView *self,
         gint64     now)
{
  cd_map_layer_set_now (self->layer, now);
  update_count (self);

  if (self->shown == NULL || !gtk_revealer_get_reveal_child (self->panel_revealer))
    return;

  if (CD_IS_TICKET (self->shown))
    {
      refresh_sla (self, CD_TICKET (self->shown));
      if (self->proposal_stale && now - self->proposal_at >= PROPOSAL_REFRESH_S)
        refresh_proposal (self, CD_TICKET (self->shown));
    }
  else
    {
      refresh_crew_position (self, CD_CREW (self->shown));
    }
}

static void
crew_moved_cb (CdMapView *self,
               CdCrew    *crew)
{
  cd_map_layer_crew_moved (self->layer, crew);
  self->proposal_stale = TRUE;
}

static void
reloaded_cb (CdMapView *self)
{
  models_changed_cb (self);
  self->proposal_stale = TRUE;
}

/* GObject ---------------------------------------------------------------------- */

static void
cd_map_view_map (GtkWidget *widget)
{
  CdMapView *self = CD_MAP_VIEW (widget);

  GTK_WIDGET_CLASS (cd_map_view_parent_class)->map (widget);

  if (!self->fitted && self->fit_tick_id == 0)
    self->fit_tick_id = gtk_widget_add_tick_callback (map_widget (self), first_fit_tick_cb, self, NULL);
}

static void
cd_map_view_constructed (GObject *object)
{
  CdMapView *self = CD_MAP_VIEW (object);

  G_OBJECT_CLASS (cd_map_view_parent_class)->constructed (object);

  g_return_if_fail (CD_IS_CONTEXT (self->context));

  cd_map_layer_set_policies (self->layer, cd_context_get_policies (self->context));
  cd_map_layer_set_now (self->layer, cd_context_get_now (self->context));
  cd_map_layer_set_models (self->layer, cd_context_get_tickets (self->context),
                           cd_context_get_crews (self->context));

  g_signal_connect_object (self->context, "tick", G_CALLBACK (tick_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->context, "crew-moved", G_CALLBACK (crew_moved_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->context, "reloaded", G_CALLBACK (reloaded_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (cd_context_get_tickets (self->context), "items-changed",
                           G_CALLBACK (models_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (cd_context_get_crews (self->context), "items-changed",
                           G_CALLBACK (models_changed_cb), self, G_CONNECT_SWAPPED);

  update_lists (self);
}

static void
cd_map_view_dispose (GObject *object)
{
  CdMapView *self = CD_MAP_VIEW (object);
  GtkWidget *child;

  pick_finish (self, FALSE, 0, 0);
  set_shown (self, NULL);
  g_clear_handle_id (&self->panel_idle_id, g_source_remove);
  g_clear_handle_id (&self->lists_idle_id, g_source_remove);
  if (self->fit_tick_id != 0)
    {
      gtk_widget_remove_tick_callback (map_widget (self), self->fit_tick_id);
      self->fit_tick_id = 0;
    }
  if (self->layer != NULL)
    cd_map_layer_set_models (self->layer, NULL, NULL);

  gtk_widget_dispose_template (GTK_WIDGET (self), CD_TYPE_MAP_VIEW);
  self->layer = NULL;
  /* The template's unnamed children too (the box layout holds them). */
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);

  g_clear_object (&self->registry);
  g_clear_object (&self->context);

  G_OBJECT_CLASS (cd_map_view_parent_class)->dispose (object);
}

static void
cd_map_view_finalize (GObject *object)
{
  CdMapView *self = CD_MAP_VIEW (object);

  g_clear_pointer (&self->area_ids, g_ptr_array_unref);
  g_clear_pointer (&self->crew_ids, g_ptr_array_unref);

  G_OBJECT_CLASS (cd_map_view_parent_class)->finalize (object);
}

static void
cd_map_view_get_property (GObject    *object,
                          guint       prop_id,
                          GValue     *value,
                          GParamSpec *pspec)
{
  CdMapView *self = CD_MAP_VIEW (object);

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
cd_map_view_set_property (GObject      *object,
                          guint         prop_id,
                          const GValue *value,
                          GParamSpec   *pspec)
{
  CdMapView *self = CD_MAP_VIEW (object);

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
cd_map_view_class_init (CdMapViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = cd_map_view_constructed;
  object_class->dispose = cd_map_view_dispose;
  object_class->finalize = cd_map_view_finalize;
  object_class->get_property = cd_map_view_get_property;
  object_class->set_property = cd_map_view_set_property;

  widget_class->map = cd_map_view_map;

  properties[PROP_CONTEXT] =
    g_param_spec_object ("context", NULL, NULL, CD_TYPE_CONTEXT,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (SHUMATE_TYPE_SIMPLE_MAP);
  g_type_ensure (ADW_TYPE_CLAMP);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/crewdesk/Crewdesk/map/cd-map-view.ui");
  gtk_widget_class_bind_template_child (widget_class, CdMapView, utility_dropdown);
  gtk_widget_class_bind_template_child (widget_class, CdMapView, category_dropdown);
  gtk_widget_class_bind_template_child (widget_class, CdMapView, status_dropdown);
  gtk_widget_class_bind_template_child (widget_class, CdMapView, area_dropdown);
  gtk_widget_class_bind_template_child (widget_class, CdMapView, crew_dropdown);
  gtk_widget_class_bind_template_child (widget_class, CdMapView, count_label);
  gtk_widget_class_bind_template_child (widget_class, CdMapView, trails_button);
  gtk_widget_class_bind_template_child (widget_class, CdMapView, legend_box);
  gtk_widget_class_bind_template_child (widget_class, CdMapView, pick_bar);
  gtk_widget_class_bind_template_child (widget_class, CdMapView, panel_revealer);
  gtk_widget_class_bind_template_child (widget_class, CdMapView, map);
  gtk_widget_class_bind_template_child (widget_class, CdMapView, panel_title);
  gtk_widget_class_bind_template_child (widget_class, CdMapView, panel_subtitle);
  gtk_widget_class_bind_template_child (widget_class, CdMapView, panel_stack);
  gtk_widget_class_bind_template_child (widget_class, CdMapView, status_value);
  gtk_widget_class_bind_template_child (widget_class, CdMapView, customer_value);
  gtk_widget_class_bind_template_child (widget_class, CdMapView, phone_value);
  gtk_widget_class_bind_template_child (widget_class, CdMapView, address_value);
  gtk_widget_class_bind_template_child (widget_class, CdMapView, sla_row_0);
  gtk_widget_class_bind_template_child (widget_class, CdMapView, sla_row_1);
  gtk_widget_class_bind_template_child (widget_class, CdMapView, sla_row_2);
  gtk_widget_class_bind_template_child (widget_class, CdMapView, sla_value_0);
  gtk_widget_class_bind_template_child (widget_class, CdMapView, sla_value_1);
  gtk_widget_class_bind_template_child (widget_class, CdMapView, sla_value_2);
  gtk_widget_class_bind_template_child (widget_class, CdMapView, ticket_crew_row);
  gtk_widget_class_bind_template_child (widget_class, CdMapView, ticket_crew_arrow);
  gtk_widget_class_bind_template_child (widget_class, CdMapView, proposal_group);
  gtk_widget_class_bind_template_child (widget_class, CdMapView, proposal_list);
  gtk_widget_class_bind_template_child (widget_class, CdMapView, crew_status_value);
  gtk_widget_class_bind_template_child (widget_class, CdMapView, crew_load_value);
  gtk_widget_class_bind_template_child (widget_class, CdMapView, crew_members_value);
  gtk_widget_class_bind_template_child (widget_class, CdMapView, crew_phone_value);
  gtk_widget_class_bind_template_child (widget_class, CdMapView, crew_position_value);
  gtk_widget_class_bind_template_child (widget_class, CdMapView, crew_tickets_group);
  gtk_widget_class_bind_template_child (widget_class, CdMapView, crew_ticket_list);
  gtk_widget_class_bind_template_callback (widget_class, ticket_crew_row_activated_cb);
  gtk_widget_class_bind_template_callback (widget_class, crew_list_row_activated_cb);
  gtk_widget_class_bind_template_callback (widget_class, ticket_list_row_activated_cb);

  gtk_widget_class_install_action (widget_class, "map.escape", NULL, escape_action);
  gtk_widget_class_install_action (widget_class, "map.close-panel", NULL, close_panel_action);
  gtk_widget_class_install_action (widget_class, "map.fit", NULL, fit_action);
  gtk_widget_class_install_action (widget_class, "map.zoom-in", NULL, zoom_action);
  gtk_widget_class_install_action (widget_class, "map.zoom-out", NULL, zoom_action);
  gtk_widget_class_install_action (widget_class, "map.clear-filters", NULL, clear_filters_action);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "map.escape", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_plus, GDK_CONTROL_MASK, "map.zoom-in", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_equal, GDK_CONTROL_MASK, "map.zoom-in", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_minus, GDK_CONTROL_MASK, "map.zoom-out", NULL);

  gtk_widget_class_set_css_name (widget_class, "cd-map-view");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
}

static void
cd_map_view_init (CdMapView *self)
{
  GtkEventController *key;
  GtkEventController *focus;
  GtkGesture *click;
  ShumateMapSource *source;
  GtkWidget *map;

  gtk_widget_init_template (GTK_WIDGET (self));

  self->area_ids = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (self->area_ids, NULL);
  self->crew_ids = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (self->crew_ids, NULL);
  g_ptr_array_add (self->crew_ids, g_strdup (""));

  self->registry = shumate_map_source_registry_new_with_defaults ();
  source = shumate_map_source_registry_get_by_id (self->registry, SHUMATE_MAP_SOURCE_OSM_MAPNIK);
  shumate_simple_map_set_map_source (self->map, source);

  /* A dispatch room in China measures in metres only. */
  shumate_scale_set_unit (shumate_simple_map_get_scale (self->map), SHUMATE_UNIT_METRIC);

  self->layer = cd_map_layer_new (viewport (self));
  shumate_simple_map_add_overlay_layer (self->map, SHUMATE_LAYER (self->layer));
  g_object_bind_property (self->trails_button, "active", self->layer, "show-trails", G_BINDING_SYNC_CREATE);

  map = map_widget (self);
  gtk_widget_set_focusable (map, TRUE);
  gtk_accessible_update_property (GTK_ACCESSIBLE (map), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Map of tickets and crews"), -1);

  click = gtk_gesture_click_new ();
  gtk_gesture_single_set_button (GTK_GESTURE_SINGLE (click), GDK_BUTTON_PRIMARY);
  g_signal_connect (click, "released", G_CALLBACK (click_released_cb), self);
  gtk_widget_add_controller (map, GTK_EVENT_CONTROLLER (click));

  key = gtk_event_controller_key_new ();
  g_signal_connect (key, "key-pressed", G_CALLBACK (key_pressed_cb), self);
  gtk_widget_add_controller (map, key);

  focus = gtk_event_controller_focus_new ();
  g_signal_connect_swapped (focus, "enter", G_CALLBACK (focus_changed_cb), self);
  g_signal_connect_swapped (focus, "leave", G_CALLBACK (focus_changed_cb), self);
  gtk_widget_add_controller (map, focus);

  setup_fixed_lists (self);
  setup_legend (self);

  g_signal_connect_swapped (self->utility_dropdown, "notify::selected", G_CALLBACK (filter_changed_cb), self);
  g_signal_connect_swapped (self->category_dropdown, "notify::selected", G_CALLBACK (filter_changed_cb), self);
  g_signal_connect_swapped (self->status_dropdown, "notify::selected", G_CALLBACK (filter_changed_cb), self);
  g_signal_connect_swapped (self->area_dropdown, "notify::selected", G_CALLBACK (filter_changed_cb), self);
  g_signal_connect_swapped (self->crew_dropdown, "notify::selected", G_CALLBACK (filter_changed_cb), self);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "map.clear-filters", FALSE);
}

/* Public API ------------------------------------------------------------------ */

GtkWidget *
cd_map_view_new (CdContext *context)
{
  g_return_val_if_fail (CD_IS_CONTEXT (context), NULL);

  return g_object_new (CD_TYPE_MAP_VIEW, "context", context, NULL);
}

CdContext *
cd_map_view_get_context (CdMapView *self)
{
  g_return_val_if_fail (CD_IS_MAP_VIEW (self), NULL);

  return self->context;
}

void
cd_map_view_set_map_source (CdMapView        *self,
                            ShumateMapSource *source)
{
  g_return_if_fail (CD_IS_MAP_VIEW (self));
  g_return_if_fail (SHUMATE_IS_MAP_SOURCE (source));

  shumate_simple_map_set_map_source (self->map, source);
  gtk_widget_queue_draw (GTK_WIDGET (self->layer));
}

void
cd_map_view_pick_location_async (CdMapView           *self,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (CD_IS_MAP_VIEW (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, cd_map_view_pick_location_async);

  if (g_task_return_error_if_cancelled (task))
    return;

  /* The form asked again: the earlier request is stale. */
  pick_finish (self, FALSE, 0, 0);

  self->pick_task = g_steal_pointer (&task);
  if (cancellable != NULL)
    {
      self->pick_cancellable = g_object_ref (cancellable);
      self->pick_cancelled_id = g_signal_connect (cancellable, "cancelled", G_CALLBACK (pick_cancelled_cb), self);
    }

  gtk_info_bar_set_revealed (self->pick_bar, TRUE);
  cd_map_layer_set_show_crosshair (self->layer, TRUE);
  gtk_widget_set_cursor_from_name (map_widget (self), "crosshair");
  gtk_widget_grab_focus (map_widget (self));
}

gboolean
cd_map_view_pick_location_finish (CdMapView     *self,
                                  GAsyncResult  *result,
                                  double        *lat,
                                  double        *lon,
                                  GError       **error)
{
  g_autofree PickedPoint *point = NULL;

  g_return_val_if_fail (CD_IS_MAP_VIEW (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == cd_map_view_pick_location_async, FALSE);

  point = g_task_propagate_pointer (G_TASK (result), error);
  if (point == NULL)
    return FALSE;

  if (lat != NULL)
    *lat = point->lat;
  if (lon != NULL)
    *lon = point->lon;
  return TRUE;
}

void
cd_map_view_show_item (CdMapView *self,
                       gpointer   item)
{
  g_return_if_fail (CD_IS_MAP_VIEW (self));
  g_return_if_fail (item == NULL || CD_IS_TICKET (item) || CD_IS_CREW (item));

  if (item == NULL)
    {
      cd_map_layer_set_selected (self->layer, NULL);
      close_panel (self);
      return;
    }

  select_item (self, item, TRUE);
}

gpointer
cd_map_view_get_shown_item (CdMapView *self)
{
  g_return_val_if_fail (CD_IS_MAP_VIEW (self), NULL);

  return gtk_revealer_get_reveal_child (self->panel_revealer) ? self->shown : NULL;
}

CdMapLayer *
cd_map_view_get_layer (CdMapView *self)
{
  g_return_val_if_fail (CD_IS_MAP_VIEW (self), NULL);

  return self->layer;
}

ShumateMap *
cd_map_view_get_map (CdMapView *self)
{
  g_return_val_if_fail (CD_IS_MAP_VIEW (self), NULL);

  return shumate_simple_map_get_map (self->map);
}
