/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-reports-view.c: the manager's figures for a date range and filters.
 *
 * The records come from cd_context_list_all_async(): new objects read from
 * the cache, never the live ones other views update in place, so the
 * worker thread that runs cd_report_new() over them races with nobody.
 * They are read again (debounced) after the context's ::reloaded; a change
 * of filter only works the report out again over the same records. While
 * the view is not mapped nothing is read or computed; mapping catches up.
 */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "cd-style.h"
#include "cd-format.h"
#include "cd-model.h"
#include "cd-reports-print.h"
#include "cd-reports-private.h"

#define FILTER_DELAY_MS 150   /* a few quick clicks make one report */
#define RELOAD_DELAY_MS 1000  /* a burst of sync changes makes one read */

typedef enum {
  CHOICE_UTILITY,
  CHOICE_CATEGORY,
  CHOICE_AREA,
  CHOICE_CREW,
  N_CHOICES
} ChoiceId;

static const char * const choice_names[N_CHOICES] = { "utility", "category", "area", "crew" };

/* The tables the table drop-down offers, in its order. */
static const CdReportBy table_bys[] = {
  CD_REPORT_BY_CATEGORY, CD_REPORT_BY_AREA, CD_REPORT_BY_CREW, CD_REPORT_BY_DAY, CD_REPORT_BY_OVERRIDE,
};

static const char * const figure_ids[] = {
  "compliance", "response", "arrival", "resolution", "first-time-fix", "repeats", "satisfaction", "overrides",
};

/* A filter drop-down: its labels and the value behind each. */
typedef struct {
  GtkDropDown   *dropdown;
  GtkStringList *labels;
  GPtrArray     *values;      /* char *; NULL: any */
} Choice;

typedef struct {
  GtkWidget *card;
  GtkLabel  *title;
  GtkLabel  *value;
  GtkLabel  *detail;
} FigureWidgets;

/* A report worked out, and what it was worked out for. */
typedef struct {
  grefcount        ref;
  CdReport        *report;
  CdReportTable   *tables[CD_REPORT_N_BY];
  CdReportsFilter  filter;
  gint64           now;
  GPtrArray       *areas;     /* char *: every area the tickets name */
  gboolean         has_no_area;
} Result;

typedef struct {
  GPtrArray       *tickets;
  GPtrArray       *callbacks;
  GPtrArray       *events;
  CdSlaPolicySet  *policies;
  CdReportsFilter  filter;
  GTimeZone       *time_zone;
  gint64           now;
} ComputeData;

/* The three reads of one load. */
typedef struct {
  CdReportsView *self;        /* a reference */
  GCancellable  *cancellable;
  GPtrArray     *lists[3];
  GError        *error;
  guint          pending;
} Load;

typedef struct {
  Load  *load;
  guint  index;
} LoadPart;

typedef struct {
  Result *result;
  GFile  *file;
  gint    by;
} ExportData;

/* A row of the table. */
#define CD_TYPE_REPORTS_TABLE_ITEM (cd_reports_table_item_get_type ())
G_DECLARE_FINAL_TYPE (CdReportsTableItem, cd_reports_table_item, CD, REPORTS_TABLE_ITEM, GObject)

struct _CdReportsTableItem
{
  GObject      parent_instance;

  CdReportBy   by;
  CdReportRow  row;           /* a copy; key owned */
  char        *label;
  guint        position;      /* in cd_report's order */
};

G_DEFINE_FINAL_TYPE (CdReportsTableItem, cd_reports_table_item, G_TYPE_OBJECT)

struct _CdReportsView
{
  GtkWidget          parent_instance;

  CdContext         *context;
  GTimeZone         *time_zone;
  CdReportsRange     range;
  CdReportsFilter    filter;        /* what the controls say */
  Choice             choices[N_CHOICES];
  GHashTable        *figures;       /* id → FigureWidgets */

  GPtrArray         *tickets;       /* as last read; never changed */
  GPtrArray         *callbacks;
  GPtrArray         *events;
  gboolean           data_stale;
  gboolean           dirty;
  guint              update_source;
  GCancellable      *cancellable;   /* the load or computation under way */
  gboolean           busy;
  guint              updating;      /* > 0 while code sets the controls */
  Result            *result;        /* the report shown */

  GListStore        *rows;          /* CdReportsTableItem */
  GtkColumnViewColumn *key_column;
  CdReportBy         table_by;

  GtkNativeDialog   *chooser;
  GtkPrintOperation *print_operation;
  GtkPrintSettings  *print_settings;

  /* Template */
  GtkWidget         *main_box;
  GtkDropDown       *range_dropdown;
  GtkMenuButton     *from_button;
  GtkMenuButton     *to_button;
  GtkCalendar       *from_calendar;
  GtkCalendar       *to_calendar;
  GtkSpinner        *spinner;
  GtkSpinner        *loading_spinner;
  GtkDropDown       *utility_dropdown;
  GtkDropDown       *category_dropdown;
  GtkDropDown       *area_dropdown;
  GtkDropDown       *crew_dropdown;
  GtkStack          *stack;
  GtkWidget         *page;
  GtkFlowBox        *figures_box;
  CdChart           *chart_category;
  CdChart           *chart_area;
  CdChart           *chart_day;
  CdChart           *chart_crew;
  CdChart           *chart_overrides;
  GtkDropDown       *table_dropdown;
  GtkColumnView     *column_view;
};

G_DEFINE_FINAL_TYPE (CdReportsView, cd_reports_view, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_CONTEXT,
  PROP_BUSY,
  N_PROPS
};

enum {
  UPDATED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void start_compute (CdReportsView *self);

/* Table items ------------------------------------------------------------ */

static void
cd_reports_table_item_finalize (GObject *object)
{
  CdReportsTableItem *self = CD_REPORTS_TABLE_ITEM (object);

  g_free (self->row.key);
  g_free (self->label);

  G_OBJECT_CLASS (cd_reports_table_item_parent_class)->finalize (object);
}

static void
cd_reports_table_item_class_init (CdReportsTableItemClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = cd_reports_table_item_finalize;
}

static void
cd_reports_table_item_init (CdReportsTableItem *self)
{
}

static CdReportsTableItem *
table_item_new (CdReportBy         by,
                const CdReportRow *row,
                char              *label,
                guint              position)
{
  CdReportsTableItem *item = g_object_new (CD_TYPE_REPORTS_TABLE_ITEM, NULL);

  item->by = by;
  item->row = *row;
  item->row.key = g_strdup (row->key);
  item->label = label;
  item->position = position;
  return item;
}

/* Results and jobs --------------------------------------------------------- */

static Result *
result_ref (Result *result)
{
  g_ref_count_inc (&result->ref);
  return result;
}

static void
result_unref (Result *result)
{
  if (result == NULL || !g_ref_count_dec (&result->ref))
    return;

  g_clear_object (&result->report);
  for (guint i = 0; i < CD_REPORT_N_BY; i++)
    cd_report_table_free (result->tables[i]);
  cd_reports_filter_clear (&result->filter);
  g_clear_pointer (&result->areas, g_ptr_array_unref);
  g_free (result);
}

static void
compute_data_free (gpointer data)
{
  ComputeData *compute = data;

  g_clear_pointer (&compute->tickets, g_ptr_array_unref);
  g_clear_pointer (&compute->callbacks, g_ptr_array_unref);
  g_clear_pointer (&compute->events, g_ptr_array_unref);
  g_clear_object (&compute->policies);
  cd_reports_filter_clear (&compute->filter);
  g_clear_pointer (&compute->time_zone, g_time_zone_unref);
  g_free (compute);
}

static void
load_free (Load *load)
{
  g_object_unref (load->self);
  g_object_unref (load->cancellable);
  for (guint i = 0; i < G_N_ELEMENTS (load->lists); i++)
    g_clear_pointer (&load->lists[i], g_ptr_array_unref);
  g_clear_error (&load->error);
  g_free (load);
}

static void
export_data_free (gpointer data)
{
  ExportData *export = data;

  result_unref (export->result);
  g_object_unref (export->file);
  g_free (export);
}

/* Helpers ----------------------------------------------------------------- */

static void
toast (CdReportsView *self,
       const char    *title)
{
  AdwToast *t = adw_toast_new (title);

  adw_toast_set_timeout (t, 8);
  cd_context_add_toast (self->context, t);
}

static GtkWindow *
parent_window (CdReportsView *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  return GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL;
}

static void
set_busy (CdReportsView *self,
          gboolean       busy)
{
  if (self->busy == busy)
    return;

  self->busy = busy;
  gtk_spinner_set_spinning (self->spinner, busy);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
}

static const char *
crew_name_cb (const char *crew_id,
              gpointer    user_data)
{
  CdReportsView *self = user_data;
  CdCrew *crew = cd_context_lookup_crew (self->context, crew_id);

  return crew != NULL ? crew->name : NULL;
}

static void
labeler_init (CdReportsView    *self,
              CdReportsLabeler *labeler)
{
  labeler->time_zone = self->time_zone;
  labeler->crew_name = crew_name_cb;
  labeler->user_data = self;
}

static gint
enum_value (GType       type,
            const char *nick)
{
  g_autoptr(GEnumClass) klass = g_type_class_ref (type);
  GEnumValue *value = nick != NULL ? g_enum_get_value_by_nick (klass, nick) : NULL;

  return value != NULL ? value->value : -1;
}

static gboolean
filter_equal (const CdReportsFilter *a,
              const CdReportsFilter *b)
{
  return g_date_valid (&a->first) == g_date_valid (&b->first) &&
         g_date_valid (&a->last) == g_date_valid (&b->last) &&
         (!g_date_valid (&a->first) || g_date_compare (&a->first, &b->first) == 0) &&
         (!g_date_valid (&a->last) || g_date_compare (&a->last, &b->last) == 0) &&
         g_strcmp0 (a->utility, b->utility) == 0 &&
         g_strcmp0 (a->category, b->category) == 0 &&
         g_strcmp0 (a->area, b->area) == 0 &&
         g_strcmp0 (a->crew_id, b->crew_id) == 0;
}

/* The range and the filters in words, for the printed page. */
static char *
describe_filter (CdReportsView         *self,
                 const CdReportsFilter *filter)
{
  g_autoptr(GPtrArray) parts = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GString) out = g_string_new (NULL);

  if (g_date_valid (&filter->first) && g_date_valid (&filter->last))
    g_ptr_array_add (parts, cd_reports_format_days (&filter->first, &filter->last));
  if (filter->utility != NULL)
    g_ptr_array_add (parts, g_strdup (cd_format_utility (enum_value (CD_TYPE_UTILITY, filter->utility))));
  if (filter->category != NULL)
    g_ptr_array_add (parts, g_strdup (cd_format_category (enum_value (CD_TYPE_CATEGORY, filter->category))));
  if (filter->area != NULL)
    g_ptr_array_add (parts, cd_reports_area_name (filter->area));
  if (filter->crew_id != NULL)
    {
      const char *name = filter->crew_id[0] != '\0' ? crew_name_cb (filter->crew_id, self) : NULL;

      g_ptr_array_add (parts, g_strdup (filter->crew_id[0] == '\0' ? _("Unassigned") : name != NULL ? name : filter->crew_id));
    }
  if (parts->len < 2)
    g_ptr_array_add (parts, g_strdup (_("All tickets")));

  for (guint i = 0; i < parts->len; i++)
    {
      if (i > 0)
        g_string_append (out, " · ");
      g_string_append (out, g_ptr_array_index (parts, i));
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

/* Choices ------------------------------------------------------------------ */

static const char *
choice_get (CdReportsView *self,
            ChoiceId       id)
{
  Choice *choice = &self->choices[id];
  guint selected = gtk_drop_down_get_selected (choice->dropdown);

  return selected < choice->values->len ? g_ptr_array_index (choice->values, selected) : NULL;
}

/* Replaces the items (@values: char *, NULL for "any"; @labels: the same
 * number of texts), keeping @keep selected if it is still there. Takes
 * both arrays. */
static void
choice_set (CdReportsView *self,
            ChoiceId       id,
            GPtrArray     *values,
            GPtrArray     *labels,
            const char    *keep)
{
  Choice *choice = &self->choices[id];
  g_autofree char *kept = g_strdup (keep);
  guint selected = 0;

  g_assert (values->len == labels->len);

  g_ptr_array_add (labels, NULL);
  self->updating++;
  gtk_string_list_splice (choice->labels, 0, g_list_model_get_n_items (G_LIST_MODEL (choice->labels)),
                          (const char * const *) labels->pdata);
  g_ptr_array_unref (choice->values);
  choice->values = values;
  for (guint i = 0; i < values->len; i++)
    if (g_strcmp0 (g_ptr_array_index (values, i), kept) == 0)
      {
        selected = i;
        break;
      }
  gtk_drop_down_set_selected (choice->dropdown, selected);
  self->updating--;
  g_ptr_array_unref (labels);
}

static GPtrArray *
new_strings (void)
{
  return g_ptr_array_new_with_free_func (g_free);
}

static void
rebuild_utilities (CdReportsView *self)
{
  GPtrArray *values = new_strings (), *labels = new_strings ();

  g_ptr_array_add (values, NULL);
  g_ptr_array_add (labels, g_strdup (_("All utilities")));
  for (guint u = 0; u < CD_N_UTILITIES; u++)
    {
      g_ptr_array_add (values, g_strdup (cd_enum_to_nick (CD_TYPE_UTILITY, (gint) u)));
      g_ptr_array_add (labels, g_strdup (cd_format_utility (u)));
    }
  choice_set (self, CHOICE_UTILITY, values, labels, self->filter.utility);
}

static void
rebuild_categories (CdReportsView *self,
                    const char    *utility)
{
  GPtrArray *values = new_strings (), *labels = new_strings ();

  g_ptr_array_add (values, NULL);
  g_ptr_array_add (labels, g_strdup (_("All categories")));
  for (guint c = 0; c < CD_N_CATEGORIES; c++)
    if (cd_reports_category_in_utility (c, utility))
      {
        g_ptr_array_add (values, g_strdup (cd_enum_to_nick (CD_TYPE_CATEGORY, (gint) c)));
        g_ptr_array_add (labels, g_strdup (cd_format_category (c)));
      }
  choice_set (self, CHOICE_CATEGORY, values, labels, self->filter.category);
}

static void
rebuild_crews (CdReportsView *self,
               const char    *utility_nick)
{
  GListModel *crews = cd_context_get_crews (self->context);
  GPtrArray *values = new_strings (), *labels = new_strings ();
  gint utility = enum_value (CD_TYPE_UTILITY, utility_nick);

  g_ptr_array_add (values, NULL);
  g_ptr_array_add (labels, g_strdup (_("All crews")));
  g_ptr_array_add (values, g_strdup (""));
  g_ptr_array_add (labels, g_strdup (_("Unassigned")));
  for (guint i = 0; i < g_list_model_get_n_items (crews); i++)
    {
      g_autoptr(CdCrew) crew = g_list_model_get_item (crews, i);

      if (utility_nick != NULL && (gint) crew->utility != utility)
        continue;
      g_ptr_array_add (values, g_strdup (cd_record_get_id (CD_RECORD (crew))));
      g_ptr_array_add (labels, g_strdup (crew->name != NULL ? crew->name : cd_record_get_id (CD_RECORD (crew))));
    }
  choice_set (self, CHOICE_CREW, values, labels, self->filter.crew_id);
}

typedef struct {
  char *id;
  char *name;
} AreaName;

static int
compare_area_names (gconstpointer a,
                    gconstpointer b)
{
  const AreaName *x = a, *y = b;

  return g_utf8_collate (x->name, y->name);
}

static void
rebuild_areas (CdReportsView *self)
{
  g_autoptr(GArray) names = g_array_new (FALSE, FALSE, sizeof (AreaName));
  GPtrArray *values = new_strings (), *labels = new_strings ();
  gboolean has_none = self->result != NULL && self->result->has_no_area;
  gboolean has_kept = self->filter.area == NULL;

  for (guint i = 0; self->result != NULL && i < self->result->areas->len; i++)
    {
      AreaName n = { g_ptr_array_index (self->result->areas, i), NULL };

      n.name = cd_reports_area_name (n.id);
      has_kept |= g_strcmp0 (n.id, self->filter.area) == 0;
      g_array_append_val (names, n);
    }
  /* The chosen area stays in the list, tickets or not. */
  if (!has_kept && self->filter.area[0] != '\0')
    {
      AreaName n = { self->filter.area, cd_reports_area_name (self->filter.area) };

      g_array_append_val (names, n);
    }
  g_array_sort (names, compare_area_names);

  g_ptr_array_add (values, NULL);
  g_ptr_array_add (labels, g_strdup (_("All areas")));
  for (guint i = 0; i < names->len; i++)
    {
      AreaName *n = &g_array_index (names, AreaName, i);

      g_ptr_array_add (values, g_strdup (n->id));
      g_ptr_array_add (labels, n->name);
    }
  if (has_none || g_strcmp0 (self->filter.area, "") == 0)
    {
      g_ptr_array_add (values, g_strdup (""));
      g_ptr_array_add (labels, g_strdup (_("No area")));
    }
  choice_set (self, CHOICE_AREA, values, labels, self->filter.area);
}

/* Updates ------------------------------------------------------------------ */

static gboolean
update_timeout_cb (gpointer user_data);

static void
schedule_update (CdReportsView *self,
                 gboolean       reload)
{
  if (reload)
    self->data_stale = TRUE;
  self->dirty = TRUE;

  if (!gtk_widget_get_mapped (GTK_WIDGET (self)))
    return;

  if (self->update_source != 0)
    {
      /* A read waiting keeps its deadline, or a stream of changes would
       * put it off for ever; a filter asks sooner. */
      if (reload)
        return;
      g_clear_handle_id (&self->update_source, g_source_remove);
    }
  self->update_source = g_timeout_add (reload ? RELOAD_DELAY_MS : FILTER_DELAY_MS, update_timeout_cb, self);
}

/* The days of the preset at this moment. */
static void
apply_preset (CdReportsView *self)
{
  GDate first, last;

  if (cd_reports_range_days (self->range, self->time_zone, cd_context_get_now (self->context), &first, &last))
    {
      self->filter.first = first;
      self->filter.last = last;
    }
}

static void
select_day (GtkCalendar *calendar,
            const GDate *date)
{
  g_autoptr(GDateTime) dt = g_date_time_new_local (g_date_get_year (date), g_date_get_month (date),
                                                   g_date_get_day (date), 12, 0, 0);

  gtk_calendar_select_day (calendar, dt);
}

static void
update_date_controls (CdReportsView *self)
{
  g_autofree char *first = cd_reports_format_date (&self->filter.first);
  g_autofree char *last = cd_reports_format_date (&self->filter.last);

  self->updating++;
  gtk_menu_button_set_label (self->from_button, first);
  gtk_menu_button_set_label (self->to_button, last);
  select_day (self->from_calendar, &self->filter.first);
  select_day (self->to_calendar, &self->filter.last);
  gtk_drop_down_set_selected (self->range_dropdown, self->range);
  self->updating--;
}

static void
list_all_cb (GObject      *source,
             GAsyncResult *res,
             gpointer      user_data)
{
  LoadPart *part = user_data;
  Load *load = part->load;
  g_autoptr(GError) error = NULL;
  g_autoptr(CdReportsView) keep = NULL;
  CdReportsView *self = load->self;

  load->lists[part->index] = cd_context_list_all_finish (CD_CONTEXT (source), res, &error);
  if (error != NULL && load->error == NULL)
    load->error = g_steal_pointer (&error);
  g_free (part);

  if (--load->pending > 0)
    return;

  /* Cancelled, or the view was disposed (its context is gone) while the
   * records were read. */
  if (g_cancellable_is_cancelled (load->cancellable) || self->context == NULL ||
      (load->error == NULL && (load->lists[0] == NULL || load->lists[1] == NULL || load->lists[2] == NULL)))
    {
      load_free (load);
      return;
    }

  if (load->error != NULL)
    {
      g_autofree char *message = g_strdup_printf (_("Could not read the records for the report: %s"),
                                                  load->error->message);

      g_warning ("%s", message);
      toast (self, message);
      self->data_stale = TRUE;
      set_busy (self, FALSE);
      load_free (load);
      return;
    }

  g_clear_pointer (&self->tickets, g_ptr_array_unref);
  g_clear_pointer (&self->callbacks, g_ptr_array_unref);
  g_clear_pointer (&self->events, g_ptr_array_unref);
  self->tickets = g_steal_pointer (&load->lists[0]);
  self->callbacks = g_steal_pointer (&load->lists[1]);
  self->events = g_steal_pointer (&load->lists[2]);
  /* The load held the view; with the window gone, that was the last
   * reference. */
  keep = g_object_ref (self);
  load_free (load);

  if (self->context != NULL)
    start_compute (self);
}

static void
start_load (CdReportsView *self)
{
  const GType types[3] = { CD_TYPE_TICKET, CD_TYPE_CALLBACK, CD_TYPE_ASSIGNMENT_EVENT };
  Load *load = g_new0 (Load, 1);

  self->data_stale = FALSE;
  load->self = g_object_ref (self);
  load->cancellable = g_object_ref (self->cancellable);
  load->pending = G_N_ELEMENTS (types);
  for (guint i = 0; i < G_N_ELEMENTS (types); i++)
    {
      LoadPart *part = g_new0 (LoadPart, 1);

      part->load = load;
      part->index = i;
      cd_context_list_all_async (self->context, types[i], load->cancellable, list_all_cb, part);
    }
}

static void
compute_thread (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  ComputeData *data = task_data;
  g_autoptr(GHashTable) areas = g_hash_table_new (g_str_hash, g_str_equal);
  Result *result = g_new0 (Result, 1);
  CdReportQuery query;
  GHashTableIter iter;
  gpointer key;

  g_ref_count_init (&result->ref);
  cd_reports_filter_to_query (&data->filter, data->time_zone, &query);
  result->report = cd_report_new (data->tickets, data->callbacks, data->events, data->policies, &query, data->now);
  for (guint by = 0; by < CD_REPORT_N_BY; by++)
    result->tables[by] = cd_report_get_table (result->report, by);
  cd_reports_filter_copy (&data->filter, &result->filter);
  result->now = data->now;

  /* Every area any ticket names, filtered or not, for the area list. */
  for (guint i = 0; i < data->tickets->len; i++)
    {
      CdTicket *ticket = g_ptr_array_index (data->tickets, i);

      if (ticket->area != NULL && ticket->area[0] != '\0')
        g_hash_table_add (areas, ticket->area);
      else
        result->has_no_area = TRUE;
    }
  result->areas = g_ptr_array_new_full (g_hash_table_size (areas), g_free);
  g_hash_table_iter_init (&iter, areas);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_ptr_array_add (result->areas, g_strdup (key));

  g_task_return_pointer (task, result, (GDestroyNotify) result_unref);
}

/* A table's rows in the order of their labels, "none" last (crews by
 * name rather than by id); the rows are borrowed. */
static CdReportTable *
table_by_label (CdReportsView *self,
                CdReportTable *table)
{
  CdReportTable *sorted = g_new0 (CdReportTable, 1);
  g_autoptr(GPtrArray) labels = g_ptr_array_new_with_free_func (g_free);
  g_autofree guint *order = g_new (guint, table->rows->len + 1);
  CdReportsLabeler labeler;

  labeler_init (self, &labeler);
  for (guint i = 0; i < table->rows->len; i++)
    {
      g_ptr_array_add (labels, cd_reports_row_label (&labeler, table->by, g_ptr_array_index (table->rows, i)));
      order[i] = i;
    }
  /* Insertion sort: a few dozen rows. */
  for (guint i = 1; i < table->rows->len; i++)
    for (guint j = i; j > 0; j--)
      {
        const CdReportRow *a = g_ptr_array_index (table->rows, order[j - 1]);
        const CdReportRow *b = g_ptr_array_index (table->rows, order[j]);
        gboolean swap = a->key == NULL ? b->key != NULL
                        : b->key != NULL && g_utf8_collate (g_ptr_array_index (labels, order[j - 1]),
                                                            g_ptr_array_index (labels, order[j])) > 0;
        guint t;

        if (!swap)
          break;
        t = order[j];
        order[j] = order[j - 1];
        order[j - 1] = t;
      }

  sorted->by = table->by;
  sorted->total = table->total;
  sorted->rows = g_ptr_array_new ();
  for (guint i = 0; i < table->rows->len; i++)
    g_ptr_array_add (sorted->rows, g_ptr_array_index (table->rows, order[i]));
  return sorted;
}

static void
free_sorted_table (CdReportTable *table)
{
  g_ptr_array_unref (table->rows);
  g_free (table);
}

static CdChartData *
compliance_chart (CdReportsView *self,
                  CdReportBy     by,
                  CdChartKind    kind,
                  const char    *title)
{
  CdReportTable *table = self->result->tables[by];
  CdReportsLabeler labeler;

  labeler_init (self, &labeler);
  if (by == CD_REPORT_BY_AREA || by == CD_REPORT_BY_CREW)
    {
      CdReportTable *sorted = table_by_label (self, table);
      CdChartData *data = cd_reports_compliance_chart (sorted, kind, title, &labeler);

      free_sorted_table (sorted);
      return data;
    }
  return cd_reports_compliance_chart (table, kind, title, &labeler);
}

static void
show_charts (CdReportsView *self)
{
  struct {
    CdChart    *chart;
    CdReportBy  by;
    CdChartKind kind;
    const char *title;
  } charts[] = {
    { self->chart_category, CD_REPORT_BY_CATEGORY, CD_CHART_KIND_BARS, _("Compliance by Category") },
    { self->chart_area, CD_REPORT_BY_AREA, CD_CHART_KIND_BARS, _("Compliance by Area") },
    { self->chart_day, CD_REPORT_BY_DAY, CD_CHART_KIND_LINE, _("Compliance by Day") },
    { self->chart_crew, CD_REPORT_BY_CREW, CD_CHART_KIND_BARS, _("Compliance by Crew") },
  };
  g_autoptr(CdChartData) overrides = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (charts); i++)
    {
      g_autoptr(CdChartData) data = compliance_chart (self, charts[i].by, charts[i].kind, charts[i].title);

      cd_chart_set_data (charts[i].chart, data);
    }

  overrides = cd_reports_override_chart (self->result->tables[CD_REPORT_BY_OVERRIDE],
                                         _("Overridden Matches and How They Turned Out"));
  cd_chart_set_data (self->chart_overrides, overrides);
}

static void
show_figures (CdReportsView *self)
{
  g_autoptr(GArray) summary = cd_reports_summary (self->result->tables[CD_REPORT_BY_NONE]->total,
                                                  self->result->tables[CD_REPORT_BY_OVERRIDE]);

  for (guint i = 0; i < summary->len; i++)
    {
      const CdReportsFigure *figure = &g_array_index (summary, CdReportsFigure, i);
      FigureWidgets *widgets = g_hash_table_lookup (self->figures, figure->id);

      if (widgets == NULL)
        continue;
      gtk_label_set_text (widgets->title, figure->title);
      gtk_label_set_text (widgets->value, figure->value);
      gtk_label_set_text (widgets->detail, figure->detail);
      if (g_str_equal (figure->value, _("no data")))
        gtk_widget_add_css_class (widgets->card, "no-data");
      else
        gtk_widget_remove_css_class (widgets->card, "no-data");
    }
}

static void
show_table (CdReportsView *self)
{
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func (g_object_unref);
  CdReportTable *table, *sorted = NULL;
  CdReportsLabeler labeler;

  if (self->result == NULL)
    return;

  labeler_init (self, &labeler);
  table = self->result->tables[self->table_by];
  /* Crews and areas by name, as on the charts. */
  if (table->by == CD_REPORT_BY_AREA || table->by == CD_REPORT_BY_CREW)
    sorted = table = table_by_label (self, table);
  for (guint i = 0; i < table->rows->len; i++)
    {
      const CdReportRow *row = g_ptr_array_index (table->rows, i);

      g_ptr_array_add (items, table_item_new (table->by, row, cd_reports_row_label (&labeler, table->by, row), i));
    }
  g_clear_pointer (&sorted, free_sorted_table);
  g_list_store_splice (self->rows, 0, g_list_model_get_n_items (G_LIST_MODEL (self->rows)), items->pdata, items->len);
}

static void
show_result (CdReportsView *self)
{
  rebuild_areas (self);
  show_figures (self);
  show_charts (self);
  show_table (self);
  gtk_stack_set_visible_child_name (self->stack, cd_report_get_n_tickets (self->result->report) > 0 ? "report" : "empty");
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "reports.export-csv", TRUE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "reports.print", TRUE);
}

static void
compute_cb (GObject      *source,
            GAsyncResult *res,
            gpointer      user_data)
{
  CdReportsView *self = CD_REPORTS_VIEW (source);
  g_autoptr(GError) error = NULL;
  Result *result = g_task_propagate_pointer (G_TASK (res), &error);

  if (result == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          toast (self, error->message);
          set_busy (self, FALSE);
        }
      return;
    }

  g_clear_pointer (&self->result, result_unref);
  self->result = result;
  show_result (self);
  if (self->update_source == 0)
    set_busy (self, FALSE);
  g_signal_emit (self, signals[UPDATED], 0);
}

static void
start_compute (CdReportsView *self)
{
  g_autoptr(GTask) task = NULL;
  ComputeData *data = g_new0 (ComputeData, 1);

  data->tickets = g_ptr_array_ref (self->tickets);
  data->callbacks = g_ptr_array_ref (self->callbacks);
  data->events = g_ptr_array_ref (self->events);
  data->policies = g_object_ref (cd_context_get_policies (self->context));
  cd_reports_filter_copy (&self->filter, &data->filter);
  data->time_zone = g_time_zone_ref (self->time_zone);
  data->now = cd_context_get_now (self->context);

  task = g_task_new (self, self->cancellable, compute_cb, NULL);
  g_task_set_source_tag (task, start_compute);
  g_task_set_task_data (task, data, compute_data_free);
  g_task_run_in_thread (task, compute_thread);
}

static void
start_update (CdReportsView *self)
{
  self->dirty = FALSE;
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  set_busy (self, TRUE);

  /* A preset follows the clock: "Today" is another day after midnight. */
  if (self->range != CD_REPORTS_RANGE_CUSTOM)
    {
      apply_preset (self);
      update_date_controls (self);
    }

  if (self->data_stale || self->tickets == NULL)
    start_load (self);
  else
    start_compute (self);
}

static gboolean
update_timeout_cb (gpointer user_data)
{
  CdReportsView *self = user_data;

  self->update_source = 0;
  start_update (self);
  return G_SOURCE_REMOVE;
}

/* Signal callbacks --------------------------------------------------------- */

static void
controls_changed (CdReportsView *self)
{
  CdReportsFilter next;

  cd_reports_filter_init (&next);
  next.first = self->filter.first;
  next.last = self->filter.last;
  next.utility = g_strdup (choice_get (self, CHOICE_UTILITY));
  next.category = g_strdup (choice_get (self, CHOICE_CATEGORY));
  next.area = g_strdup (choice_get (self, CHOICE_AREA));
  next.crew_id = g_strdup (choice_get (self, CHOICE_CREW));

  if (filter_equal (&next, &self->filter))
    {
      cd_reports_filter_clear (&next);
      return;
    }

  cd_reports_filter_clear (&self->filter);
  self->filter = next;
  schedule_update (self, FALSE);
}

static void
choice_selected_cb (GtkDropDown   *dropdown,
                    GParamSpec    *pspec,
                    CdReportsView *self)
{
  if (self->updating > 0)
    return;

  /* The categories and crews of that utility only. */
  if (dropdown == self->choices[CHOICE_UTILITY].dropdown)
    {
      rebuild_categories (self, choice_get (self, CHOICE_UTILITY));
      rebuild_crews (self, choice_get (self, CHOICE_UTILITY));
    }
  controls_changed (self);
}

static void
range_selected_cb (GtkDropDown   *dropdown,
                   GParamSpec    *pspec,
                   CdReportsView *self)
{
  if (self->updating > 0)
    return;

  self->range = gtk_drop_down_get_selected (dropdown);
  if (self->range >= CD_REPORTS_N_RANGES)
    self->range = CD_REPORTS_RANGE_CUSTOM;
  if (self->range == CD_REPORTS_RANGE_CUSTOM)
    {
      /* The days stay as they are until a calendar changes them. */
      gtk_menu_button_popup (self->from_button);
      return;
    }

  apply_preset (self);
  update_date_controls (self);
  schedule_update (self, FALSE);
}

static void
calendar_to_date (GtkCalendar *calendar,
                  GDate       *date)
{
  g_autoptr(GDateTime) dt = gtk_calendar_get_date (calendar);

  g_date_clear (date, 1);
  g_date_set_dmy (date, (GDateDay) g_date_time_get_day_of_month (dt), (GDateMonth) g_date_time_get_month (dt),
                  (GDateYear) g_date_time_get_year (dt));
}

/* A day chosen in a calendar. GtkCalendar moves its day with the month
 * and says nothing, and says nothing either when that same day is then
 * clicked: closing the popover takes whatever day it shows. */
static void
day_selected (CdReportsView *self,
              gboolean       first,
              gboolean       popdown)
{
  GDate date;

  if (self->updating > 0)
    return;

  calendar_to_date (first ? self->from_calendar : self->to_calendar, &date);
  if (g_date_compare (&date, first ? &self->filter.first : &self->filter.last) == 0)
    return;

  if (first)
    {
      self->filter.first = date;
      /* The other end follows, so the range is never upside down. */
      if (g_date_compare (&self->filter.last, &date) < 0)
        self->filter.last = date;
    }
  else
    {
      self->filter.last = date;
      if (g_date_compare (&self->filter.first, &date) > 0)
        self->filter.first = date;
    }
  self->range = CD_REPORTS_RANGE_CUSTOM;
  update_date_controls (self);
  if (popdown)
    gtk_menu_button_popdown (first ? self->from_button : self->to_button);
  schedule_update (self, FALSE);
}

static void
from_day_selected_cb (CdReportsView *self)
{
  day_selected (self, TRUE, TRUE);
}

static void
to_day_selected_cb (CdReportsView *self)
{
  day_selected (self, FALSE, TRUE);
}

static void
from_popover_closed_cb (CdReportsView *self)
{
  day_selected (self, TRUE, FALSE);
}

static void
to_popover_closed_cb (CdReportsView *self)
{
  day_selected (self, FALSE, FALSE);
}

static void
table_selected_cb (GtkDropDown   *dropdown,
                   GParamSpec    *pspec,
                   CdReportsView *self)
{
  guint selected = gtk_drop_down_get_selected (dropdown);

  if (selected >= G_N_ELEMENTS (table_bys))
    return;
  self->table_by = table_bys[selected];
  gtk_column_view_column_set_title (self->key_column, cd_reports_key_title (self->table_by));
  show_table (self);
}

static void
reloaded_cb (CdReportsView *self)
{
  schedule_update (self, TRUE);
}

static void
crews_changed_cb (CdReportsView *self)
{
  if (self->context == NULL)
    return;
  rebuild_crews (self, self->filter.utility);
  /* A crew that left takes the chosen crew with it. */
  controls_changed (self);
}

/* A time column shows the mean and, under it, the 90th percentile: three
 * columns fewer, so that the table fits a window's width. */
static gboolean
is_time_column (CdReportsColumn column)
{
  return column == CD_REPORTS_COLUMN_RESPONSE_MEAN || column == CD_REPORTS_COLUMN_ARRIVAL_MEAN ||
         column == CD_REPORTS_COLUMN_RESOLUTION_MEAN;
}

static void
setup_cell_cb (GtkSignalListItemFactory *factory,
               GtkListItem              *list_item,
               gpointer                  user_data)
{
  CdReportsColumn column = GPOINTER_TO_INT (user_data);
  GtkWidget *label = gtk_label_new (NULL);

  if (column == CD_REPORTS_COLUMN_KEY)
    {
      gtk_label_set_xalign (GTK_LABEL (label), 0);
      gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
      gtk_list_item_set_child (list_item, label);
      return;
    }

  gtk_label_set_xalign (GTK_LABEL (label), 1);
  gtk_widget_add_css_class (label, "numeric");
  if (is_time_column (column))
    {
      GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
      GtkWidget *p90 = gtk_label_new (NULL);

      gtk_label_set_xalign (GTK_LABEL (p90), 1);
      gtk_widget_add_css_class (p90, "numeric");
      gtk_widget_add_css_class (p90, "caption");
      gtk_widget_add_css_class (p90, "dim-label");
      gtk_box_append (GTK_BOX (box), label);
      gtk_box_append (GTK_BOX (box), p90);
      gtk_list_item_set_child (list_item, box);
      return;
    }
  gtk_list_item_set_child (list_item, label);
}

static void
bind_cell_cb (GtkSignalListItemFactory *factory,
              GtkListItem              *list_item,
              gpointer                  user_data)
{
  CdReportsColumn column = GPOINTER_TO_INT (user_data);
  CdReportsTableItem *item = gtk_list_item_get_item (list_item);
  GtkWidget *child = gtk_list_item_get_child (list_item);
  g_autofree char *text = NULL;

  if (column == CD_REPORTS_COLUMN_KEY)
    {
      gtk_label_set_text (GTK_LABEL (child), item->label);
      return;
    }

  text = cd_reports_format_cell (&item->row, column);
  if (is_time_column (column))
    {
      GtkWidget *mean = gtk_widget_get_first_child (child);
      GtkWidget *p90 = gtk_widget_get_next_sibling (mean);
      g_autofree char *p90_value = cd_reports_format_cell (&item->row, column + 1);
      g_autofree char *p90_text = NULL;
      const CdReportStat *stat = column == CD_REPORTS_COLUMN_RESPONSE_MEAN ? &item->row.response
                                 : column == CD_REPORTS_COLUMN_ARRIVAL_MEAN ? &item->row.arrival
                                 : &item->row.resolution;

      /* Translators: under a mean time in the table: nine tickets in ten
       * stayed within this time, "90%: 1 h 04 min" */
      p90_text = g_strdup_printf (_("90%%: %s"), p90_value);
      gtk_label_set_text (GTK_LABEL (mean), text);
      gtk_label_set_text (GTK_LABEL (p90), p90_text);
      gtk_widget_set_visible (p90, stat->count > 0);
      return;
    }
  gtk_label_set_text (GTK_LABEL (child), text);
}

static int
compare_items_cb (gconstpointer a,
                  gconstpointer b,
                  gpointer      user_data)
{
  CdReportsColumn column = GPOINTER_TO_INT (user_data);
  const CdReportsTableItem *x = a, *y = b;

  if (column != CD_REPORTS_COLUMN_KEY)
    return cd_reports_compare_rows (&x->row, &y->row, column);

  /* As the table came: days and categories in their order, names
   * alphabetically, none last. */
  return (x->position > y->position) - (x->position < y->position);
}

/* Export ------------------------------------------------------------------- */

static void
export_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  ExportData *export = task_data;
  g_autoptr(GFileOutputStream) stream = NULL;
  GError *error = NULL;
  gboolean ok = TRUE;

  stream = g_file_replace (export->file, NULL, FALSE, G_FILE_CREATE_REPLACE_DESTINATION, cancellable, &error);
  if (stream == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  if (export->by == CD_REPORTS_EXPORT_ALL)
    {
      /* As cd_reports_tables_to_csv() puts them: an empty line between. */
      for (guint by = 0; ok && by < CD_REPORT_N_BY; by++)
        {
          if (by > 0)
            ok = g_output_stream_write_all (G_OUTPUT_STREAM (stream), "\r\n", 2, NULL, cancellable, &error);
          ok = ok && cd_report_table_write_csv (export->result->tables[by], G_OUTPUT_STREAM (stream), cancellable,
                                                &error);
        }
    }
  else
    ok = cd_report_table_write_csv (export->result->tables[export->by], G_OUTPUT_STREAM (stream), cancellable, &error);

  if (!ok)
    {
      /* Leave the old file, if there was one, as it was. */
      g_output_stream_close (G_OUTPUT_STREAM (stream), NULL, NULL);
      g_task_return_error (task, error);
      return;
    }

  if (!g_output_stream_close (G_OUTPUT_STREAM (stream), cancellable, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  g_task_return_boolean (task, TRUE);
}

static void
exported_cb (GObject      *source,
             GAsyncResult *res,
             gpointer      user_data)
{
  CdReportsView *self = CD_REPORTS_VIEW (source);
  GFile *file = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *name = g_file_get_basename (file);
  g_autofree char *message = NULL;

  if (cd_reports_view_export_csv_finish (self, res, &error))
    /* Translators: the file the report was written to */
    message = g_strdup_printf (_("Report exported as “%s”"), name);
  else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    /* Translators: the file, then why it could not be written */
    message = g_strdup_printf (_("Could not export the report to “%s”: %s. Choose another folder or file name."),
                               name, error->message);

  if (message != NULL)
    toast (self, message);
  g_object_unref (file);
}

static void
chooser_response_cb (GtkNativeDialog *chooser,
                     int              response,
                     CdReportsView   *self)
{
  g_autoptr(GFile) file = NULL;
  const char *choice;
  gint by = CD_REPORTS_EXPORT_ALL;

  if (response == GTK_RESPONSE_ACCEPT)
    {
      file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
      choice = gtk_file_chooser_get_choice (GTK_FILE_CHOOSER (chooser), "table");
      for (guint i = 0; choice != NULL && i < G_N_ELEMENTS (table_bys); i++)
        if (g_str_equal (choice, cd_report_by_to_column (table_bys[i])))
          by = table_bys[i];
    }

  gtk_native_dialog_destroy (chooser);
  g_clear_object (&self->chooser);

  if (file != NULL)
    cd_reports_view_export_csv_async (self, file, by, NULL, exported_cb, g_object_ref (file));
}

static void
export_csv_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  CdReportsView *self = CD_REPORTS_VIEW (widget);
  g_autoptr(GtkFileFilter) filter = gtk_file_filter_new ();
  g_autoptr(GPtrArray) ids = g_ptr_array_new ();
  g_autoptr(GPtrArray) labels = g_ptr_array_new ();
  GtkFileChooserNative *chooser;
  char first[16], last[16];
  g_autofree char *name = NULL;

  if (self->result == NULL || self->chooser != NULL)
    return;

  g_date_strftime (first, sizeof first, "%Y-%m-%d", &self->result->filter.first);
  g_date_strftime (last, sizeof last, "%Y-%m-%d", &self->result->filter.last);
  /* Dates in ISO order sort the files by period. */
  name = g_strdup_printf ("crewdesk-report-%s-%s.csv", first, last);

  chooser = gtk_file_chooser_native_new (_("Export Report as CSV"), parent_window (self),
                                         GTK_FILE_CHOOSER_ACTION_SAVE, _("_Export"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (chooser), name);
  gtk_file_filter_set_name (filter, _("CSV files"));
  gtk_file_filter_add_mime_type (filter, "text/csv");
  gtk_file_filter_add_suffix (filter, "csv");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (chooser), filter);

  g_ptr_array_add (ids, (gpointer) "all");
  g_ptr_array_add (labels, (gpointer) _("Every table"));
  for (guint i = 0; i < G_N_ELEMENTS (table_bys); i++)
    {
      g_ptr_array_add (ids, (gpointer) cd_report_by_to_column (table_bys[i]));
      g_ptr_array_add (labels, (gpointer) cd_reports_by_label (table_bys[i]));
    }
  g_ptr_array_add (ids, NULL);
  g_ptr_array_add (labels, NULL);
  gtk_file_chooser_add_choice (GTK_FILE_CHOOSER (chooser), "table", _("Table"),
                               (const char **) ids->pdata, (const char **) labels->pdata);
  gtk_file_chooser_set_choice (GTK_FILE_CHOOSER (chooser), "table", cd_report_by_to_column (self->table_by));

  self->chooser = GTK_NATIVE_DIALOG (chooser);
  g_signal_connect (chooser, "response", G_CALLBACK (chooser_response_cb), self);
  gtk_native_dialog_show (self->chooser);
}

/* Printing ------------------------------------------------------------------ */

static void
print_done_cb (GtkPrintOperation       *operation,
               GtkPrintOperationResult  result,
               CdReportsView           *self)
{
  if (result == GTK_PRINT_OPERATION_RESULT_APPLY)
    g_set_object (&self->print_settings, gtk_print_operation_get_print_settings (operation));
  else if (result == GTK_PRINT_OPERATION_RESULT_ERROR)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *message = NULL;

      gtk_print_operation_get_error (operation, &error);
      /* Translators: why the report could not be printed */
      message = g_strdup_printf (_("Could not print the report: %s"), error != NULL ? error->message : _("Unknown error"));
      toast (self, message);
    }

  if (self->print_operation == operation)
    g_clear_object (&self->print_operation);
}

static void
print_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  CdReportsView *self = CD_REPORTS_VIEW (widget);
  g_autoptr(GtkPrintOperation) operation = NULL;
  g_autoptr(GError) error = NULL;

  if (self->print_operation != NULL)
    return;

  operation = cd_reports_view_new_print_operation (self);
  if (operation == NULL)
    return;

  if (self->print_settings != NULL)
    gtk_print_operation_set_print_settings (operation, self->print_settings);
  gtk_print_operation_set_allow_async (operation, TRUE);
  g_signal_connect_object (operation, "done", G_CALLBACK (print_done_cb), self, 0);
  self->print_operation = g_object_ref (operation);
  if (gtk_print_operation_run (operation, GTK_PRINT_OPERATION_ACTION_PRINT_DIALOG, parent_window (self), &error) ==
      GTK_PRINT_OPERATION_RESULT_ERROR)
    {
      g_autofree char *message = g_strdup_printf (_("Could not print the report: %s"), error->message);

      toast (self, message);
      g_clear_object (&self->print_operation);
    }
}

/* Overrides ----------------------------------------------------------------- */

static void
cd_reports_view_map (GtkWidget *widget)
{
  CdReportsView *self = CD_REPORTS_VIEW (widget);

  GTK_WIDGET_CLASS (cd_reports_view_parent_class)->map (widget);

  /* Whatever happened while hidden, once. */
  if ((self->dirty || self->data_stale || self->result == NULL) && self->update_source == 0)
    self->update_source = g_timeout_add (0, update_timeout_cb, self);
}

static void
setup_figures (CdReportsView *self)
{
  for (guint i = 0; i < G_N_ELEMENTS (figure_ids); i++)
    {
      FigureWidgets *widgets = g_new0 (FigureWidgets, 1);
      GtkWidget *child;

      widgets->card = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
      gtk_widget_add_css_class (widgets->card, "card");
      gtk_widget_add_css_class (widgets->card, "reports-figure");
      widgets->title = GTK_LABEL (gtk_label_new (NULL));
      widgets->value = GTK_LABEL (gtk_label_new (NULL));
      widgets->detail = GTK_LABEL (gtk_label_new (NULL));
      gtk_widget_add_css_class (GTK_WIDGET (widgets->title), "reports-figure-title");
      gtk_widget_add_css_class (GTK_WIDGET (widgets->value), "reports-figure-value");
      gtk_widget_add_css_class (GTK_WIDGET (widgets->value), "numeric");
      gtk_widget_add_css_class (GTK_WIDGET (widgets->detail), "reports-figure-detail");
      gtk_label_set_xalign (widgets->title, 0);
      gtk_label_set_xalign (widgets->value, 0);
      gtk_label_set_xalign (widgets->detail, 0);
      gtk_label_set_wrap (widgets->title, TRUE);
      gtk_label_set_wrap (widgets->detail, TRUE);
      gtk_label_set_ellipsize (widgets->value, PANGO_ELLIPSIZE_END);
      gtk_box_append (GTK_BOX (widgets->card), GTK_WIDGET (widgets->title));
      gtk_box_append (GTK_BOX (widgets->card), GTK_WIDGET (widgets->value));
      gtk_box_append (GTK_BOX (widgets->card), GTK_WIDGET (widgets->detail));

      gtk_flow_box_append (self->figures_box, widgets->card);
      child = gtk_widget_get_parent (widgets->card);
      gtk_widget_set_focusable (child, FALSE);
      g_hash_table_insert (self->figures, (gpointer) figure_ids[i], widgets);
    }
}

static void
setup_table (CdReportsView *self)
{
  GtkSortListModel *sorted;
  g_autoptr(GtkNoSelection) selection = NULL;
  g_autoptr(GtkStringList) table_labels = NULL;
  g_autoptr(GPtrArray) labels = g_ptr_array_new ();

  for (guint c = 0; c < CD_REPORTS_N_COLUMNS; c++)
    {
      GtkListItemFactory *factory;
      GtkColumnViewColumn *column;
      GtkCustomSorter *sorter;

      /* Shown under the means. */
      if (c == CD_REPORTS_COLUMN_RESPONSE_P90 || c == CD_REPORTS_COLUMN_ARRIVAL_P90 ||
          c == CD_REPORTS_COLUMN_RESOLUTION_P90)
        continue;

      factory = gtk_signal_list_item_factory_new ();
      g_signal_connect (factory, "setup", G_CALLBACK (setup_cell_cb), GINT_TO_POINTER (c));
      g_signal_connect (factory, "bind", G_CALLBACK (bind_cell_cb), GINT_TO_POINTER (c));
      column = gtk_column_view_column_new (cd_reports_column_title (c), factory);
      sorter = gtk_custom_sorter_new (compare_items_cb, GINT_TO_POINTER (c), NULL);
      gtk_column_view_column_set_sorter (column, GTK_SORTER (sorter));
      gtk_column_view_column_set_resizable (column, TRUE);
      if (c == CD_REPORTS_COLUMN_KEY)
        {
          /* Room for a crew's or an area's name, however wide the rest. */
          gtk_column_view_column_set_fixed_width (column, 170);
          gtk_column_view_column_set_expand (column, TRUE);
          self->key_column = column;
        }
      gtk_column_view_append_column (self->column_view, column);
      g_object_unref (sorter);
      g_object_unref (column);
    }
  gtk_widget_add_css_class (GTK_WIDGET (self->column_view), "reports-table");

  self->rows = g_list_store_new (CD_TYPE_REPORTS_TABLE_ITEM);
  sorted = gtk_sort_list_model_new (G_LIST_MODEL (g_object_ref (self->rows)),
                                    g_object_ref (gtk_column_view_get_sorter (self->column_view)));
  selection = gtk_no_selection_new (G_LIST_MODEL (sorted));
  gtk_column_view_set_model (self->column_view, GTK_SELECTION_MODEL (selection));

  for (guint i = 0; i < G_N_ELEMENTS (table_bys); i++)
    g_ptr_array_add (labels, (gpointer) cd_reports_by_label (table_bys[i]));
  g_ptr_array_add (labels, NULL);
  table_labels = gtk_string_list_new ((const char * const *) labels->pdata);
  gtk_drop_down_set_model (self->table_dropdown, G_LIST_MODEL (table_labels));
  self->table_by = table_bys[0];
  gtk_column_view_column_set_title (self->key_column, cd_reports_key_title (self->table_by));
  g_signal_connect (self->table_dropdown, "notify::selected", G_CALLBACK (table_selected_cb), self);
}

static void
cd_reports_view_constructed (GObject *object)
{
  CdReportsView *self = CD_REPORTS_VIEW (object);
  GListModel *crews;

  G_OBJECT_CLASS (cd_reports_view_parent_class)->constructed (object);

  g_assert (CD_IS_CONTEXT (self->context));

  crews = cd_context_get_crews (self->context);
  rebuild_utilities (self);
  rebuild_categories (self, NULL);
  rebuild_crews (self, NULL);
  rebuild_areas (self);

  apply_preset (self);
  update_date_controls (self);

  g_signal_connect_object (self->context, "reloaded", G_CALLBACK (reloaded_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (crews, "items-changed", G_CALLBACK (crews_changed_cb), self, G_CONNECT_SWAPPED);
  schedule_update (self, TRUE);
}

static void
cd_reports_view_dispose (GObject *object)
{
  CdReportsView *self = CD_REPORTS_VIEW (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_handle_id (&self->update_source, g_source_remove);
  if (self->chooser != NULL)
    gtk_native_dialog_destroy (self->chooser);
  g_clear_object (&self->chooser);
  if (self->print_operation != NULL)
    g_signal_handlers_disconnect_by_data (self->print_operation, self);
  g_clear_object (&self->print_operation);

  gtk_widget_dispose_template (GTK_WIDGET (self), CD_TYPE_REPORTS_VIEW);

  g_clear_pointer (&self->result, result_unref);
  g_clear_pointer (&self->tickets, g_ptr_array_unref);
  g_clear_pointer (&self->callbacks, g_ptr_array_unref);
  g_clear_pointer (&self->events, g_ptr_array_unref);
  g_clear_object (&self->rows);
  g_clear_object (&self->print_settings);
  g_clear_object (&self->context);

  G_OBJECT_CLASS (cd_reports_view_parent_class)->dispose (object);
}

static void
cd_reports_view_finalize (GObject *object)
{
  CdReportsView *self = CD_REPORTS_VIEW (object);

  for (guint i = 0; i < N_CHOICES; i++)
    g_clear_pointer (&self->choices[i].values, g_ptr_array_unref);
  g_hash_table_unref (self->figures);
  cd_reports_filter_clear (&self->filter);
  g_time_zone_unref (self->time_zone);

  G_OBJECT_CLASS (cd_reports_view_parent_class)->finalize (object);
}

static void
cd_reports_view_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  CdReportsView *self = CD_REPORTS_VIEW (object);

  switch (prop_id)
    {
    case PROP_CONTEXT:
      g_value_set_object (value, self->context);
      break;
    case PROP_BUSY:
      g_value_set_boolean (value, self->busy);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cd_reports_view_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  CdReportsView *self = CD_REPORTS_VIEW (object);

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
cd_reports_view_class_init (CdReportsViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = cd_reports_view_constructed;
  object_class->dispose = cd_reports_view_dispose;
  object_class->finalize = cd_reports_view_finalize;
  object_class->get_property = cd_reports_view_get_property;
  object_class->set_property = cd_reports_view_set_property;

  widget_class->map = cd_reports_view_map;

  properties[PROP_CONTEXT] =
    g_param_spec_object ("context", NULL, NULL, CD_TYPE_CONTEXT,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_BUSY] =
    g_param_spec_boolean ("busy", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * CdReportsView::updated:
   *
   * A report was worked out and is shown.
   */
  signals[UPDATED] = g_signal_new ("updated", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                   0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  g_type_ensure (CD_TYPE_CHART);
  gtk_widget_class_set_template_from_resource (widget_class, "/org/crewdesk/Crewdesk/reports/cd-reports-view.ui");
  gtk_widget_class_bind_template_child (widget_class, CdReportsView, main_box);
  gtk_widget_class_bind_template_child (widget_class, CdReportsView, range_dropdown);
  gtk_widget_class_bind_template_child (widget_class, CdReportsView, from_button);
  gtk_widget_class_bind_template_child (widget_class, CdReportsView, to_button);
  gtk_widget_class_bind_template_child (widget_class, CdReportsView, from_calendar);
  gtk_widget_class_bind_template_child (widget_class, CdReportsView, to_calendar);
  gtk_widget_class_bind_template_child (widget_class, CdReportsView, spinner);
  gtk_widget_class_bind_template_child (widget_class, CdReportsView, loading_spinner);
  gtk_widget_class_bind_template_child (widget_class, CdReportsView, utility_dropdown);
  gtk_widget_class_bind_template_child (widget_class, CdReportsView, category_dropdown);
  gtk_widget_class_bind_template_child (widget_class, CdReportsView, area_dropdown);
  gtk_widget_class_bind_template_child (widget_class, CdReportsView, crew_dropdown);
  gtk_widget_class_bind_template_child (widget_class, CdReportsView, stack);
  gtk_widget_class_bind_template_child (widget_class, CdReportsView, page);
  gtk_widget_class_bind_template_child (widget_class, CdReportsView, figures_box);
  gtk_widget_class_bind_template_child (widget_class, CdReportsView, chart_category);
  gtk_widget_class_bind_template_child (widget_class, CdReportsView, chart_area);
  gtk_widget_class_bind_template_child (widget_class, CdReportsView, chart_day);
  gtk_widget_class_bind_template_child (widget_class, CdReportsView, chart_crew);
  gtk_widget_class_bind_template_child (widget_class, CdReportsView, chart_overrides);
  gtk_widget_class_bind_template_child (widget_class, CdReportsView, table_dropdown);
  gtk_widget_class_bind_template_child (widget_class, CdReportsView, column_view);
  gtk_widget_class_bind_template_callback (widget_class, from_day_selected_cb);
  gtk_widget_class_bind_template_callback (widget_class, to_day_selected_cb);
  gtk_widget_class_bind_template_callback (widget_class, from_popover_closed_cb);
  gtk_widget_class_bind_template_callback (widget_class, to_popover_closed_cb);

  gtk_widget_class_install_action (widget_class, "reports.export-csv", NULL, export_csv_action);
  gtk_widget_class_install_action (widget_class, "reports.print", NULL, print_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_e, GDK_CONTROL_MASK, "reports.export-csv", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_p, GDK_CONTROL_MASK, "reports.print", NULL);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "reports");
}

static void
cd_reports_view_init (CdReportsView *self)
{
  g_autoptr(GPtrArray) ranges = g_ptr_array_new ();
  g_autoptr(GtkStringList) range_labels = NULL;
  GtkExpression *expression;

  cd_style_ensure ("/org/crewdesk/Crewdesk/reports/reports.css");
  gtk_widget_init_template (GTK_WIDGET (self));
  cd_style_spin_while_mapped (self->loading_spinner);

  self->time_zone = g_time_zone_new_local ();
  self->range = CD_REPORTS_RANGE_LAST_7_DAYS;
  self->figures = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  cd_reports_filter_init (&self->filter);

  for (guint r = 0; r < CD_REPORTS_N_RANGES; r++)
    g_ptr_array_add (ranges, (gpointer) cd_reports_range_label (r));
  g_ptr_array_add (ranges, NULL);
  range_labels = gtk_string_list_new ((const char * const *) ranges->pdata);
  gtk_drop_down_set_model (self->range_dropdown, G_LIST_MODEL (range_labels));
  gtk_drop_down_set_selected (self->range_dropdown, self->range);
  g_signal_connect (self->range_dropdown, "notify::selected", G_CALLBACK (range_selected_cb), self);

  self->choices[CHOICE_UTILITY].dropdown = self->utility_dropdown;
  self->choices[CHOICE_CATEGORY].dropdown = self->category_dropdown;
  self->choices[CHOICE_AREA].dropdown = self->area_dropdown;
  self->choices[CHOICE_CREW].dropdown = self->crew_dropdown;
  expression = gtk_property_expression_new (GTK_TYPE_STRING_OBJECT, NULL, "string");
  for (guint i = 0; i < N_CHOICES; i++)
    {
      Choice *choice = &self->choices[i];

      choice->labels = gtk_string_list_new (NULL);
      choice->values = g_ptr_array_new_with_free_func (g_free);
      gtk_drop_down_set_model (choice->dropdown, G_LIST_MODEL (choice->labels));
      g_object_unref (choice->labels);
      gtk_drop_down_set_expression (choice->dropdown, expression);
      g_signal_connect (choice->dropdown, "notify::selected", G_CALLBACK (choice_selected_cb), self);
    }
  gtk_expression_unref (expression);

  setup_figures (self);
  setup_table (self);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "reports.export-csv", FALSE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "reports.print", FALSE);
  self->data_stale = TRUE;
  self->dirty = TRUE;
}

/* Private API ---------------------------------------------------------------- */

gboolean
_cd_reports_view_select (CdReportsView *self,
                         const char    *choice,
                         const char    *value)
{
  g_return_val_if_fail (CD_IS_REPORTS_VIEW (self), FALSE);

  for (guint i = 0; i < N_CHOICES; i++)
    {
      GPtrArray *values = self->choices[i].values;

      if (!g_str_equal (choice, choice_names[i]))
        continue;
      for (guint v = 0; v < values->len; v++)
        if (g_strcmp0 (g_ptr_array_index (values, v), value) == 0)
          {
            gtk_drop_down_set_selected (self->choices[i].dropdown, v);
            return TRUE;
          }
      return FALSE;
    }

  g_return_val_if_reached (FALSE);
}

void
_cd_reports_view_set_range (CdReportsView  *self,
                            CdReportsRange  range)
{
  g_return_if_fail (CD_IS_REPORTS_VIEW (self));
  g_return_if_fail ((guint) range < CD_REPORTS_N_RANGES);

  gtk_drop_down_set_selected (self->range_dropdown, range);
}

CdReportsRange
_cd_reports_view_get_range (CdReportsView *self)
{
  g_return_val_if_fail (CD_IS_REPORTS_VIEW (self), CD_REPORTS_RANGE_CUSTOM);
  return self->range;
}

GtkCalendar *
_cd_reports_view_get_calendar (CdReportsView *self,
                               gboolean       first)
{
  g_return_val_if_fail (CD_IS_REPORTS_VIEW (self), NULL);
  return first ? self->from_calendar : self->to_calendar;
}

const CdReportsFilter *
_cd_reports_view_get_filter (CdReportsView *self)
{
  g_return_val_if_fail (CD_IS_REPORTS_VIEW (self), NULL);
  return self->result != NULL ? &self->result->filter : NULL;
}

gint64
_cd_reports_view_get_now (CdReportsView *self)
{
  g_return_val_if_fail (CD_IS_REPORTS_VIEW (self), 0);
  return self->result != NULL ? self->result->now : 0;
}

guint
_cd_reports_view_get_n_tickets (CdReportsView *self)
{
  g_return_val_if_fail (CD_IS_REPORTS_VIEW (self), 0);
  return self->result != NULL ? cd_report_get_n_tickets (self->result->report) : 0;
}

CdChart *
_cd_reports_view_get_chart (CdReportsView *self,
                            const char    *name)
{
  g_return_val_if_fail (CD_IS_REPORTS_VIEW (self), NULL);

  if (g_str_equal (name, "category"))
    return self->chart_category;
  if (g_str_equal (name, "area"))
    return self->chart_area;
  if (g_str_equal (name, "day"))
    return self->chart_day;
  if (g_str_equal (name, "crew"))
    return self->chart_crew;
  if (g_str_equal (name, "overrides"))
    return self->chart_overrides;
  g_return_val_if_reached (NULL);
}

GtkColumnView *
_cd_reports_view_get_table (CdReportsView *self)
{
  g_return_val_if_fail (CD_IS_REPORTS_VIEW (self), NULL);
  return self->column_view;
}

GtkWidget *
_cd_reports_view_get_page (CdReportsView *self)
{
  g_return_val_if_fail (CD_IS_REPORTS_VIEW (self), NULL);
  return self->page;
}

void
_cd_reports_view_set_table_by (CdReportsView *self,
                               CdReportBy     by)
{
  g_return_if_fail (CD_IS_REPORTS_VIEW (self));

  for (guint i = 0; i < G_N_ELEMENTS (table_bys); i++)
    if (table_bys[i] == by)
      gtk_drop_down_set_selected (self->table_dropdown, i);
}

/* Public API ------------------------------------------------------------------ */

GtkWidget *
cd_reports_view_new (CdContext *context)
{
  g_return_val_if_fail (CD_IS_CONTEXT (context), NULL);

  return g_object_new (CD_TYPE_REPORTS_VIEW, "context", context, NULL);
}

CdContext *
cd_reports_view_get_context (CdReportsView *self)
{
  g_return_val_if_fail (CD_IS_REPORTS_VIEW (self), NULL);
  return self->context;
}

gboolean
cd_reports_view_get_busy (CdReportsView *self)
{
  g_return_val_if_fail (CD_IS_REPORTS_VIEW (self), FALSE);
  return self->busy;
}

const char *
cd_reports_view_get_figure (CdReportsView *self,
                            const char    *id)
{
  FigureWidgets *widgets;

  g_return_val_if_fail (CD_IS_REPORTS_VIEW (self), NULL);
  g_return_val_if_fail (id != NULL, NULL);

  widgets = g_hash_table_lookup (self->figures, id);
  if (widgets == NULL || self->result == NULL)
    return NULL;
  return gtk_label_get_text (widgets->value);
}

void
cd_reports_view_export_csv_async (CdReportsView       *self,
                                  GFile               *file,
                                  gint                 by,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  ExportData *export;

  g_return_if_fail (CD_IS_REPORTS_VIEW (self));
  g_return_if_fail (G_IS_FILE (file));
  g_return_if_fail (by == CD_REPORTS_EXPORT_ALL || (by >= 0 && by < CD_REPORT_N_BY));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, cd_reports_view_export_csv_async);

  if (self->result == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED,
                               _("The report is not ready yet"));
      return;
    }

  export = g_new0 (ExportData, 1);
  export->result = result_ref (self->result);
  export->file = g_object_ref (file);
  export->by = by;
  g_task_set_task_data (task, export, export_data_free);
  g_task_run_in_thread (task, export_thread);
}

gboolean
cd_reports_view_export_csv_finish (CdReportsView  *self,
                                   GAsyncResult   *result,
                                   GError        **error)
{
  g_return_val_if_fail (CD_IS_REPORTS_VIEW (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

GtkPrintOperation *
cd_reports_view_new_print_operation (CdReportsView *self)
{
  CdReportsDocument *document;
  CdChart *charts[] = {
    self->chart_category, self->chart_area, self->chart_day, self->chart_crew, self->chart_overrides,
  };
  g_autoptr(GDateTime) utc = NULL;
  g_autoptr(GDateTime) local = NULL;
  g_autofree char *made = NULL;

  g_return_val_if_fail (CD_IS_REPORTS_VIEW (self), NULL);

  if (self->result == NULL)
    return NULL;

  document = cd_reports_document_new ();
  document->title = g_strdup (_("Crewdesk Report"));
  document->subtitle = describe_filter (self, &self->result->filter);
  utc = g_date_time_new_from_unix_utc (self->result->now);
  local = g_date_time_to_timezone (utc, self->time_zone);
  /* Translators: when a report was made, as g_date_time_format() takes it */
  made = g_date_time_format (local, _("%-d %b %Y, %H:%M"));
  /* Translators: the moment a printed report was worked out */
  document->footnote = g_strdup_printf (_("Figures as of %s"), made);
  g_array_unref (document->figures);
  document->figures = cd_reports_summary (self->result->tables[CD_REPORT_BY_NONE]->total,
                                          self->result->tables[CD_REPORT_BY_OVERRIDE]);
  for (guint i = 0; i < G_N_ELEMENTS (charts); i++)
    {
      CdChartData *data = cd_chart_get_data (charts[i]);

      if (data != NULL)
        g_ptr_array_add (document->charts, cd_chart_data_ref (data));
    }

  return cd_reports_print_operation_new (document);
}
