/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-reports-logic.c: the Reports view's decisions, without GTK. */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <math.h>
#include <string.h>

#include "cd-city.h"
#include "cd-format.h"
#include "cd-model.h"
#include "cd-reports-logic.h"

#define SECONDS_PER_DAY 86400

/* Date ranges ------------------------------------------------------------ */

const char *
cd_reports_range_label (CdReportsRange range)
{
  switch (range)
    {
    case CD_REPORTS_RANGE_TODAY: return _("Today");
    case CD_REPORTS_RANGE_LAST_7_DAYS: return _("Last 7 days");
    case CD_REPORTS_RANGE_LAST_30_DAYS: return _("Last 30 days");
    case CD_REPORTS_RANGE_THIS_MONTH: return _("This month");
    case CD_REPORTS_RANGE_CUSTOM: return _("Custom range");
    default: return _("Unknown");
    }
}

gboolean
cd_reports_range_days (CdReportsRange  range,
                       GTimeZone      *tz,
                       gint64          now,
                       GDate          *first,
                       GDate          *last)
{
  g_autoptr(GDateTime) utc = NULL;
  g_autoptr(GDateTime) local = NULL;
  GDate today;

  g_return_val_if_fail (tz != NULL, FALSE);
  g_return_val_if_fail (first != NULL && last != NULL, FALSE);

  utc = g_date_time_new_from_unix_utc (now);
  g_return_val_if_fail (utc != NULL, FALSE);
  local = g_date_time_to_timezone (utc, tz);

  g_date_clear (&today, 1);
  g_date_set_dmy (&today, (GDateDay) g_date_time_get_day_of_month (local),
                  (GDateMonth) g_date_time_get_month (local),
                  (GDateYear) g_date_time_get_year (local));
  *first = today;
  *last = today;

  switch (range)
    {
    case CD_REPORTS_RANGE_TODAY:
      return TRUE;
    case CD_REPORTS_RANGE_LAST_7_DAYS:
      g_date_subtract_days (first, 6);
      return TRUE;
    case CD_REPORTS_RANGE_LAST_30_DAYS:
      g_date_subtract_days (first, 29);
      return TRUE;
    case CD_REPORTS_RANGE_THIS_MONTH:
      g_date_set_day (first, 1);
      return TRUE;
    case CD_REPORTS_RANGE_CUSTOM:
    default:
      return FALSE;
    }
}

/* The first second of local day @date in @tz. */
static gint64
day_start (GTimeZone   *tz,
           const GDate *date)
{
  /* GDateTime moves a midnight that a clock change skips to the first
   * time that exists. */
  g_autoptr(GDateTime) dt = g_date_time_new (tz, g_date_get_year (date), g_date_get_month (date),
                                             g_date_get_day (date), 0, 0, 0);

  g_assert (dt != NULL);
  return g_date_time_to_unix (dt);
}

void
cd_reports_days_to_span (GTimeZone   *tz,
                         const GDate *first,
                         const GDate *last,
                         gint64      *from,
                         gint64      *to)
{
  GDate a, b;

  g_return_if_fail (tz != NULL);
  g_return_if_fail (g_date_valid (first) && g_date_valid (last));

  a = *first;
  b = *last;
  if (g_date_compare (&a, &b) > 0)
    {
      GDate t = a;

      a = b;
      b = t;
    }
  g_date_add_days (&b, 1);

  *from = day_start (tz, &a);
  *to = day_start (tz, &b);
}

static GDateTime *
date_time_for (const GDate *date)
{
  /* Noon, so no zone can move it to another day. */
  return g_date_time_new_utc (g_date_get_year (date), g_date_get_month (date), g_date_get_day (date), 12, 0, 0);
}

char *
cd_reports_format_date (const GDate *date)
{
  g_autoptr(GDateTime) dt = NULL;

  g_return_val_if_fail (date != NULL && g_date_valid (date), NULL);

  dt = date_time_for (date);
  /* Translators: a date in a report's range, as g_date_time_format()
   * takes it; "23 Nov 2025". */
  return g_date_time_format (dt, _("%-d %b %Y"));
}

char *
cd_reports_format_days (const GDate *first,
                        const GDate *last)
{
  g_autofree char *a = NULL;
  g_autofree char *b = NULL;

  g_return_val_if_fail (first != NULL && last != NULL, NULL);

  if (g_date_compare (first, last) == 0)
    return cd_reports_format_date (first);

  a = cd_reports_format_date (g_date_compare (first, last) < 0 ? first : last);
  b = cd_reports_format_date (g_date_compare (first, last) < 0 ? last : first);
  /* Translators: a range of days, both included, "3 Nov 2025 – 23 Nov 2025" */
  return g_strdup_printf (_("%s – %s"), a, b);
}

/* The filter --------------------------------------------------------------- */

void
cd_reports_filter_init (CdReportsFilter *filter)
{
  g_return_if_fail (filter != NULL);

  memset (filter, 0, sizeof *filter);
  g_date_clear (&filter->first, 1);
  g_date_clear (&filter->last, 1);
}

void
cd_reports_filter_clear (CdReportsFilter *filter)
{
  g_return_if_fail (filter != NULL);

  g_clear_pointer (&filter->utility, g_free);
  g_clear_pointer (&filter->category, g_free);
  g_clear_pointer (&filter->area, g_free);
  g_clear_pointer (&filter->crew_id, g_free);
}

void
cd_reports_filter_copy (const CdReportsFilter *src,
                        CdReportsFilter       *dest)
{
  g_return_if_fail (src != NULL && dest != NULL);

  dest->first = src->first;
  dest->last = src->last;
  dest->utility = g_strdup (src->utility);
  dest->category = g_strdup (src->category);
  dest->area = g_strdup (src->area);
  dest->crew_id = g_strdup (src->crew_id);
}

static gint
enum_from_nick (GType       type,
                const char *nick)
{
  g_autoptr(GEnumClass) klass = g_type_class_ref (type);
  GEnumValue *value = g_enum_get_value_by_nick (klass, nick);

  return value != NULL ? value->value : G_MAXINT;
}

void
cd_reports_filter_to_query (const CdReportsFilter *filter,
                            GTimeZone             *tz,
                            CdReportQuery         *query)
{
  g_return_if_fail (filter != NULL);
  g_return_if_fail (tz != NULL);
  g_return_if_fail (query != NULL);

  cd_report_query_init (query);
  query->time_zone = tz;
  if (g_date_valid (&filter->first) && g_date_valid (&filter->last))
    cd_reports_days_to_span (tz, &filter->first, &filter->last, &query->from, &query->to);
  /* An unknown nick is no value at all: it matches no ticket. */
  if (filter->utility != NULL)
    query->utility = enum_from_nick (CD_TYPE_UTILITY, filter->utility);
  if (filter->category != NULL)
    query->category = enum_from_nick (CD_TYPE_CATEGORY, filter->category);
  query->area = filter->area;
  query->crew_id = filter->crew_id;
}

gboolean
cd_reports_category_in_utility (CdCategory  category,
                                const char *utility_nick)
{
  CdUtility utility;

  if (utility_nick == NULL)
    return TRUE;
  /* Categories of both utilities (meters) have no utility of their own. */
  if (!cd_category_get_utility (category, &utility))
    return TRUE;
  return (gint) utility == enum_from_nick (CD_TYPE_UTILITY, utility_nick);
}

/* Words ------------------------------------------------------------------- */

char *
cd_reports_format_duration (double seconds)
{
  gint64 minutes, hours;

  if (!isfinite (seconds) || seconds < 0)
    seconds = 0;

  if (seconds < 59.5)
    /* Translators: a duration in seconds */
    return g_strdup_printf (_("%d s"), (int) lround (seconds));

  minutes = (gint64) llround (seconds / 60.0);
  if (minutes < 60)
    /* Translators: a duration in minutes */
    return g_strdup_printf (_("%d min"), (int) minutes);

  if (minutes < 24 * 60)
    {
      if (minutes % 60 == 0)
        /* Translators: a duration in whole hours */
        return g_strdup_printf (_("%d h"), (int) (minutes / 60));
      /* Translators: a duration in hours and minutes, "1 h 05 min" */
      return g_strdup_printf (_("%d h %02d min"), (int) (minutes / 60), (int) (minutes % 60));
    }

  hours = (gint64) llround (seconds / 3600.0);
  if (hours % 24 == 0)
    /* Translators: a duration in whole days */
    return g_strdup_printf (_("%d d"), (int) (hours / 24));
  /* Translators: a duration in days and hours, "2 d 3 h" */
  return g_strdup_printf (_("%d d %d h"), (int) (hours / 24), (int) (hours % 24));
}

char *
cd_reports_format_value (CdReportsUnit unit,
                         double        value)
{
  switch (unit)
    {
    case CD_REPORTS_UNIT_RATIO:
      /* Translators: a percentage with one decimal, "87.5%" */
      return g_strdup_printf (_("%.1f%%"), value * 100.0);
    case CD_REPORTS_UNIT_SECONDS:
      return cd_reports_format_duration (value);
    case CD_REPORTS_UNIT_COUNT:
    default:
      return g_strdup_printf ("%.0f", value);
    }
}

char *
cd_reports_format_tick (CdReportsUnit unit,
                        double        value)
{
  switch (unit)
    {
    case CD_REPORTS_UNIT_RATIO:
      /* Translators: a whole percentage on a chart's axis, "50%" */
      return g_strdup_printf (_("%.0f%%"), value * 100.0);
    case CD_REPORTS_UNIT_SECONDS:
      return cd_reports_format_duration (value);
    case CD_REPORTS_UNIT_COUNT:
    default:
      return g_strdup_printf ("%.0f", value);
    }
}

static const char *
no_data (void)
{
  /* Translators: a figure that cannot be computed: nothing to count. */
  return _("no data");
}

char *
cd_reports_format_ratio (const CdReportRatio *ratio)
{
  double value;

  g_return_val_if_fail (ratio != NULL, NULL);

  if (!cd_report_ratio_get (ratio, &value))
    return g_strdup (no_data ());
  return cd_reports_format_value (CD_REPORTS_UNIT_RATIO, value);
}

char *
cd_reports_format_mean (const CdReportStat *stat)
{
  g_return_val_if_fail (stat != NULL, NULL);

  if (stat->count == 0)
    return g_strdup (no_data ());
  return cd_reports_format_duration (stat->mean);
}

char *
cd_reports_format_p90 (const CdReportStat *stat)
{
  g_return_val_if_fail (stat != NULL, NULL);

  if (stat->count == 0)
    return g_strdup (no_data ());
  return cd_reports_format_duration ((double) stat->p90);
}

char *
cd_reports_area_name (const char *area)
{
  const CdCityDistrict *district;

  if (area == NULL || area[0] == '\0')
    return g_strdup (_("No area"));

  district = cd_city_find_district (cd_city_get_demo (), area);
  return g_strdup (district != NULL ? district->name : area);
}

char *
cd_reports_row_label (const CdReportsLabeler *labeler,
                      CdReportBy              by,
                      const CdReportRow      *row)
{
  g_return_val_if_fail (row != NULL, NULL);

  switch (by)
    {
    case CD_REPORT_BY_NONE:
      return g_strdup (_("All tickets"));
    case CD_REPORT_BY_CATEGORY:
      {
        gint category = row->key != NULL ? enum_from_nick (CD_TYPE_CATEGORY, row->key) : G_MAXINT;

        return g_strdup (category != G_MAXINT ? cd_format_category (category) : _("Unknown"));
      }
    case CD_REPORT_BY_AREA:
      return cd_reports_area_name (row->key);
    case CD_REPORT_BY_CREW:
      {
        const char *name = NULL;

        if (row->key == NULL || row->key[0] == '\0')
          return g_strdup (_("Unassigned"));
        if (labeler != NULL && labeler->crew_name != NULL)
          name = labeler->crew_name (row->key, labeler->user_data);
        return g_strdup (name != NULL ? name : row->key);
      }
    case CD_REPORT_BY_DAY:
      {
        g_autoptr(GTimeZone) utc = g_time_zone_new_utc ();
        g_autoptr(GDateTime) at = g_date_time_new_from_unix_utc (row->day);
        g_autoptr(GDateTime) local = NULL;

        if (at == NULL)
          return g_strdup (row->key);
        local = g_date_time_to_timezone (at, labeler != NULL && labeler->time_zone != NULL ? labeler->time_zone : utc);
        /* Translators: a day in a report, as g_date_time_format() takes
         * it; "Mon 3 Nov" */
        return g_date_time_format (local, _("%a %-d %b"));
      }
    case CD_REPORT_BY_OVERRIDE:
      return g_strdup (g_strcmp0 (row->key, "overridden") == 0 ? _("Overridden") : _("Not overridden"));
    default:
      return g_strdup (row->key);
    }
}

const char *
cd_reports_by_label (CdReportBy by)
{
  switch (by)
    {
    case CD_REPORT_BY_NONE: return _("All tickets");
    case CD_REPORT_BY_CATEGORY: return _("By category");
    case CD_REPORT_BY_AREA: return _("By area");
    case CD_REPORT_BY_CREW: return _("By crew");
    case CD_REPORT_BY_DAY: return _("By day");
    case CD_REPORT_BY_OVERRIDE: return _("Overrides");
    default: return _("Unknown");
    }
}

const char *
cd_reports_column_title (CdReportsColumn column)
{
  /* Short: a dozen columns share the width of a window. The view's
   * caption says that times are means and what "90%" means. */
  switch (column)
    {
    case CD_REPORTS_COLUMN_KEY: return _("Group");
    case CD_REPORTS_COLUMN_TICKETS: return _("Tickets");
    case CD_REPORTS_COLUMN_COMPLIANCE: return _("Compliance");
    /* Translators: a column of mean times to the first response */
    case CD_REPORTS_COLUMN_RESPONSE_MEAN: return _("Response");
    /* Translators: a column: the time nine tickets in ten got a first
     * response within */
    case CD_REPORTS_COLUMN_RESPONSE_P90: return _("Response 90%");
    case CD_REPORTS_COLUMN_ARRIVAL_MEAN: return _("Arrival");
    case CD_REPORTS_COLUMN_ARRIVAL_P90: return _("Arrival 90%");
    case CD_REPORTS_COLUMN_RESOLUTION_MEAN: return _("Resolution");
    case CD_REPORTS_COLUMN_RESOLUTION_P90: return _("Resolution 90%");
    case CD_REPORTS_COLUMN_FIRST_TIME_FIX: return _("First-Time Fix");
    case CD_REPORTS_COLUMN_REPEATS: return _("Repeats");
    case CD_REPORTS_COLUMN_SATISFACTION: return _("Satisfied");
    case CD_REPORTS_COLUMN_OVERRIDDEN: return _("Overridden");
    default: return _("Unknown");
    }
}

const char *
cd_reports_key_title (CdReportBy by)
{
  switch (by)
    {
    case CD_REPORT_BY_NONE: return _("Scope");
    case CD_REPORT_BY_CATEGORY: return _("Category");
    case CD_REPORT_BY_AREA: return _("Area");
    case CD_REPORT_BY_CREW: return _("Crew");
    case CD_REPORT_BY_DAY: return _("Day");
    /* Translators: a column: whether the automatic match was overridden */
    case CD_REPORT_BY_OVERRIDE: return _("Assignment");
    default: return cd_reports_column_title (CD_REPORTS_COLUMN_KEY);
    }
}

char *
cd_reports_format_cell (const CdReportRow *row,
                        CdReportsColumn    column)
{
  g_return_val_if_fail (row != NULL, NULL);

  switch (column)
    {
    case CD_REPORTS_COLUMN_TICKETS: return g_strdup_printf ("%u", row->tickets);
    case CD_REPORTS_COLUMN_COMPLIANCE: return cd_reports_format_ratio (&row->compliance_all);
    case CD_REPORTS_COLUMN_RESPONSE_MEAN: return cd_reports_format_mean (&row->response);
    case CD_REPORTS_COLUMN_RESPONSE_P90: return cd_reports_format_p90 (&row->response);
    case CD_REPORTS_COLUMN_ARRIVAL_MEAN: return cd_reports_format_mean (&row->arrival);
    case CD_REPORTS_COLUMN_ARRIVAL_P90: return cd_reports_format_p90 (&row->arrival);
    case CD_REPORTS_COLUMN_RESOLUTION_MEAN: return cd_reports_format_mean (&row->resolution);
    case CD_REPORTS_COLUMN_RESOLUTION_P90: return cd_reports_format_p90 (&row->resolution);
    case CD_REPORTS_COLUMN_FIRST_TIME_FIX: return cd_reports_format_ratio (&row->first_time_fix);
    case CD_REPORTS_COLUMN_REPEATS: return g_strdup_printf ("%u", row->repeats);
    case CD_REPORTS_COLUMN_SATISFACTION: return cd_reports_format_ratio (&row->satisfaction);
    case CD_REPORTS_COLUMN_OVERRIDDEN: return g_strdup_printf ("%u", row->overridden);
    case CD_REPORTS_COLUMN_KEY:
    default:
      return g_strdup (row->key);
    }
}

/* A column's figure; -1 for no data, so that it sorts first. */
static double
cell_value (const CdReportRow *row,
            CdReportsColumn    column)
{
  const CdReportRatio *ratio = NULL;
  const CdReportStat *stat = NULL;
  gboolean p90 = FALSE;
  double value;

  switch (column)
    {
    case CD_REPORTS_COLUMN_TICKETS: return row->tickets;
    case CD_REPORTS_COLUMN_REPEATS: return row->repeats;
    case CD_REPORTS_COLUMN_OVERRIDDEN: return row->overridden;
    case CD_REPORTS_COLUMN_COMPLIANCE: ratio = &row->compliance_all; break;
    case CD_REPORTS_COLUMN_FIRST_TIME_FIX: ratio = &row->first_time_fix; break;
    case CD_REPORTS_COLUMN_SATISFACTION: ratio = &row->satisfaction; break;
    case CD_REPORTS_COLUMN_RESPONSE_MEAN: stat = &row->response; break;
    case CD_REPORTS_COLUMN_RESPONSE_P90: stat = &row->response; p90 = TRUE; break;
    case CD_REPORTS_COLUMN_ARRIVAL_MEAN: stat = &row->arrival; break;
    case CD_REPORTS_COLUMN_ARRIVAL_P90: stat = &row->arrival; p90 = TRUE; break;
    case CD_REPORTS_COLUMN_RESOLUTION_MEAN: stat = &row->resolution; break;
    case CD_REPORTS_COLUMN_RESOLUTION_P90: stat = &row->resolution; p90 = TRUE; break;
    case CD_REPORTS_COLUMN_KEY:
    default:
      return 0;
    }

  if (ratio != NULL)
    return cd_report_ratio_get (ratio, &value) ? value : -1.0;
  if (stat->count == 0)
    return -1.0;
  return p90 ? (double) stat->p90 : stat->mean;
}

int
cd_reports_compare_rows (const CdReportRow *a,
                         const CdReportRow *b,
                         CdReportsColumn    column)
{
  double va, vb;

  g_return_val_if_fail (a != NULL && b != NULL, 0);

  if (column == CD_REPORTS_COLUMN_KEY)
    {
      /* None last, as cd_report orders them. */
      if (a->key == NULL || b->key == NULL)
        return (a->key == NULL) - (b->key == NULL);
      return strcmp (a->key, b->key);
    }

  va = cell_value (a, column);
  vb = cell_value (b, column);
  return (va > vb) - (va < vb);
}

static char *
stat_detail (const CdReportStat *stat)
{
  g_autofree char *p90 = NULL;

  if (stat->count == 0)
    return g_strdup (_("No ticket got there yet"));

  p90 = cd_reports_format_duration ((double) stat->p90);
  /* Translators: the p90 of a duration, then how many tickets it is over:
   * "90% within 25 min · 20 tickets" */
  return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "90%% within %s · %u ticket", "90%% within %s · %u tickets",
                                       stat->count),
                          p90, stat->count);
}

static void
figure_add (GArray     *figures,
            const char *id,
            const char *title,
            char       *value,
            char       *detail)
{
  CdReportsFigure figure = { id, g_strdup (title), value, detail };

  g_array_append_val (figures, figure);
}

static void
figure_clear (gpointer data)
{
  CdReportsFigure *figure = data;

  g_free (figure->title);
  g_free (figure->value);
  g_free (figure->detail);
}

static const CdReportRow *
find_row (const CdReportTable *table,
          const char          *key)
{
  for (guint i = 0; table != NULL && i < table->rows->len; i++)
    {
      const CdReportRow *row = g_ptr_array_index (table->rows, i);

      if (g_strcmp0 (row->key, key) == 0)
        return row;
    }

  return NULL;
}

GArray *
cd_reports_summary (const CdReportRow   *total,
                    const CdReportTable *overrides)
{
  GArray *figures;
  const CdReportRow *overridden, *others;
  char *detail;

  g_return_val_if_fail (total != NULL, NULL);

  figures = g_array_new (FALSE, FALSE, sizeof (CdReportsFigure));
  g_array_set_clear_func (figures, figure_clear);

  if (total->compliance_all.denominator > 0)
    /* Translators: the time limits (first response, on site, resolved)
     * kept, of those decided */
    detail = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u of %u time limit met", "%u of %u time limits met",
                                           total->compliance_all.denominator),
                              total->compliance_all.numerator, total->compliance_all.denominator);
  else
    detail = g_strdup (_("No time limit decided yet"));
  figure_add (figures, "compliance", _("Time-Limit Compliance"),
              cd_reports_format_ratio (&total->compliance_all), detail);

  figure_add (figures, "response", _("First Response, Mean"),
              cd_reports_format_mean (&total->response), stat_detail (&total->response));
  figure_add (figures, "arrival", _("Arrival on Site, Mean"),
              cd_reports_format_mean (&total->arrival), stat_detail (&total->arrival));
  figure_add (figures, "resolution", _("Resolution, Mean"),
              cd_reports_format_mean (&total->resolution), stat_detail (&total->resolution));

  if (total->first_time_fix.denominator == 0)
    detail = g_strdup (_("No ticket resolved yet"));
  else if (total->ftf_pending > 0)
    /* Translators: first-time fixes of the resolved tickets, then how many
     * may still get a repeat report: "9 of 10 resolved · 2 may still repeat" */
    detail = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u of %u resolved · %u may still repeat",
                                           "%u of %u resolved · %u may still repeat",
                                           total->first_time_fix.denominator),
                              total->first_time_fix.numerator, total->first_time_fix.denominator, total->ftf_pending);
  else
    detail = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u of %u resolved", "%u of %u resolved",
                                           total->first_time_fix.denominator),
                              total->first_time_fix.numerator, total->first_time_fix.denominator);
  figure_add (figures, "first-time-fix", _("First-Time Fix"), cd_reports_format_ratio (&total->first_time_fix), detail);

  figure_add (figures, "repeats", _("Repeat Reports"), g_strdup_printf ("%u", total->repeats),
              /* Translators: the repeat reports are counted of these */
              g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Of %u ticket", "Of %u tickets", total->tickets),
                               total->tickets));

  if (total->satisfaction.denominator > 0)
    detail = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u of %u rated callback satisfied",
                                           "%u of %u rated callbacks satisfied", total->satisfaction.denominator),
                              total->satisfaction.numerator, total->satisfaction.denominator);
  else
    detail = g_strdup (_("No callback rated yet"));
  figure_add (figures, "satisfaction", _("Satisfaction"), cd_reports_format_ratio (&total->satisfaction), detail);

  overridden = find_row (overrides, "overridden");
  others = find_row (overrides, "not-overridden");
  if (total->overridden == 0 || overridden == NULL || others == NULL)
    detail = g_strdup (_("No override of the automatic match"));
  else
    {
      g_autofree char *a = cd_reports_format_ratio (&overridden->compliance_all);
      g_autofree char *b = cd_reports_format_ratio (&others->compliance_all);

      /* Translators: time-limit compliance of the overridden tickets, then
       * of the other assigned tickets */
      detail = g_strdup_printf (_("Compliance %s, others %s"), a, b);
    }
  figure_add (figures, "overrides", _("Overridden Tickets"), g_strdup_printf ("%u", total->overridden), detail);

  return figures;
}

void
cd_reports_tables_to_csv (CdReportTable * const *tables,
                          guint                  n_tables,
                          GString               *out)
{
  g_return_if_fail (tables != NULL || n_tables == 0);
  g_return_if_fail (out != NULL);

  for (guint i = 0; i < n_tables; i++)
    {
      if (i > 0)
        g_string_append (out, "\r\n");
      cd_report_table_to_csv (tables[i], out);
    }
}

/* Charts ----------------------------------------------------------------- */

typedef struct {
  CdChartData data;
  grefcount   ref;
} ChartData;

static void
point_clear (gpointer data)
{
  CdChartPoint *point = data;

  g_clear_pointer (&point->detail, g_free);
}

static void
series_free (gpointer data)
{
  CdChartSeries *series = data;

  g_free (series->name);
  g_array_unref (series->points);
  g_free (series);
}

CdChartData *
cd_chart_data_new (CdChartKind    kind,
                   CdReportsUnit  unit,
                   const char    *title)
{
  ChartData *self = g_new0 (ChartData, 1);

  g_ref_count_init (&self->ref);
  self->data.kind = kind;
  self->data.unit = unit;
  self->data.title = g_strdup (title);
  self->data.labels = g_ptr_array_new_with_free_func (g_free);
  self->data.series = g_ptr_array_new_with_free_func (series_free);

  return &self->data;
}

CdChartData *
cd_chart_data_ref (CdChartData *data)
{
  g_return_val_if_fail (data != NULL, NULL);

  g_ref_count_inc (&((ChartData *) data)->ref);
  return data;
}

void
cd_chart_data_unref (CdChartData *data)
{
  ChartData *self = (ChartData *) data;

  if (data == NULL || !g_ref_count_dec (&self->ref))
    return;

  g_free (data->title);
  g_ptr_array_unref (data->labels);
  g_ptr_array_unref (data->series);
  g_free (self);
}

static void
series_grow (CdChartSeries *series,
             guint          n)
{
  while (series->points->len < n)
    {
      CdChartPoint point = { 0 };

      g_array_append_val (series->points, point);
    }
}

guint
cd_chart_data_add_label (CdChartData *data,
                         const char  *label)
{
  g_return_val_if_fail (data != NULL, 0);

  g_ptr_array_add (data->labels, g_strdup (label != NULL ? label : ""));
  for (guint s = 0; s < data->series->len; s++)
    series_grow (g_ptr_array_index (data->series, s), data->labels->len);

  return data->labels->len - 1;
}

guint
cd_chart_data_add_series (CdChartData  *data,
                          const char   *name,
                          CdChartColor  color)
{
  CdChartSeries *series;

  g_return_val_if_fail (data != NULL, 0);

  series = g_new0 (CdChartSeries, 1);
  series->name = g_strdup (name != NULL ? name : "");
  series->color = color;
  series->points = g_array_new (FALSE, TRUE, sizeof (CdChartPoint));
  g_array_set_clear_func (series->points, point_clear);
  series_grow (series, data->labels->len);
  g_ptr_array_add (data->series, series);

  return data->series->len - 1;
}

void
cd_chart_data_set_value (CdChartData *data,
                         guint        series,
                         guint        index,
                         double       value,
                         const char  *detail)
{
  CdChartSeries *s;
  CdChartPoint *point;

  g_return_if_fail (data != NULL);
  g_return_if_fail (series < data->series->len);
  g_return_if_fail (index < data->labels->len);

  s = g_ptr_array_index (data->series, series);
  point = &g_array_index (s->points, CdChartPoint, index);
  point->value = value;
  point->has_value = TRUE;
  g_free (point->detail);
  point->detail = g_strdup (detail);
}

const CdChartPoint *
cd_chart_data_get_point (CdChartData *data,
                         guint        series,
                         guint        index)
{
  CdChartSeries *s;

  g_return_val_if_fail (data != NULL, NULL);
  g_return_val_if_fail (series < data->series->len, NULL);
  g_return_val_if_fail (index < data->labels->len, NULL);

  s = g_ptr_array_index (data->series, series);
  return &g_array_index (s->points, CdChartPoint, index);
}

gboolean
cd_chart_data_get_max (CdChartData *data,
                       double      *max)
{
  gboolean any = FALSE;
  double m = 0.0;

  g_return_val_if_fail (data != NULL, FALSE);

  for (guint s = 0; s < data->series->len; s++)
    for (guint i = 0; i < data->labels->len; i++)
      {
        const CdChartPoint *point = cd_chart_data_get_point (data, s, i);

        if (point->has_value)
          {
            m = any ? MAX (m, point->value) : point->value;
            any = TRUE;
          }
      }

  if (max != NULL)
    *max = m;
  return any;
}

static char *
point_text (CdChartData        *data,
            const CdChartPoint *point,
            gboolean            with_detail)
{
  g_autofree char *value = NULL;

  if (!point->has_value)
    return g_strdup (no_data ());

  value = cd_reports_format_value (data->unit, point->value);
  if (with_detail && point->detail != NULL)
    /* Translators: a value on a chart and what it counts, "87.5% (7 of 8 time limits met)" */
    return g_strdup_printf (_("%s (%s)"), value, point->detail);
  return g_steal_pointer (&value);
}

char *
cd_chart_data_describe (CdChartData *data)
{
  g_autoptr(GString) out = g_string_new (NULL);

  g_return_val_if_fail (data != NULL, NULL);

  if (data->labels->len == 0 || data->series->len == 0)
    return g_strdup (_("No data for this range."));

  for (guint i = 0; i < data->labels->len; i++)
    {
      g_autoptr(GString) values = g_string_new (NULL);

      for (guint s = 0; s < data->series->len; s++)
        {
          CdChartSeries *series = g_ptr_array_index (data->series, s);
          g_autofree char *text = point_text (data, cd_chart_data_get_point (data, s, i), FALSE);

          if (s > 0)
            g_string_append (values, _(", "));
          if (data->series->len > 1)
            /* Translators: a series of a chart and its value, "Overridden 75.0%" */
            g_string_append_printf (values, _("%s %s"), series->name, text);
          else
            g_string_append (values, text);
        }

      if (i > 0)
        g_string_append_c (out, ' ');
      /* Translators: one entry of a chart's description, "Leak: 87.5%." */
      g_string_append_printf (out, _("%s: %s."), (const char *) g_ptr_array_index (data->labels, i), values->str);
    }

  return g_string_free (g_steal_pointer (&out), FALSE);
}

char *
cd_chart_data_tooltip (CdChartData *data,
                       guint        index)
{
  g_autoptr(GString) out = NULL;

  g_return_val_if_fail (data != NULL, NULL);
  g_return_val_if_fail (index < data->labels->len, NULL);

  out = g_string_new (g_ptr_array_index (data->labels, index));
  for (guint s = 0; s < data->series->len; s++)
    {
      CdChartSeries *series = g_ptr_array_index (data->series, s);
      g_autofree char *text = point_text (data, cd_chart_data_get_point (data, s, index), TRUE);

      g_string_append_c (out, '\n');
      /* Translators: a series of a chart and its value in a tooltip,
       * "Time-limit compliance: 87.5% (7 of 8 time limits met)" */
      g_string_append_printf (out, _("%s: %s"), series->name, text);
    }

  return g_string_free (g_steal_pointer (&out), FALSE);
}

static char *
compliance_detail (const CdReportRatio *ratio)
{
  if (ratio->denominator == 0)
    return NULL;
  return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u of %u time limit met", "%u of %u time limits met",
                                       ratio->denominator),
                          ratio->numerator, ratio->denominator);
}

static void
set_ratio (CdChartData         *data,
           guint                series,
           guint                index,
           const CdReportRatio *ratio,
           char                *detail)
{
  double value;

  if (cd_report_ratio_get (ratio, &value))
    cd_chart_data_set_value (data, series, index, value, detail);
  g_free (detail);
}

CdChartData *
cd_reports_compliance_chart (CdReportTable          *table,
                             CdChartKind             kind,
                             const char             *title,
                             const CdReportsLabeler *labeler)
{
  CdChartData *data;
  guint series;

  g_return_val_if_fail (table != NULL, NULL);

  data = cd_chart_data_new (kind, CD_REPORTS_UNIT_RATIO, title);
  series = cd_chart_data_add_series (data, _("Time-limit compliance"), CD_CHART_COLOR_ACCENT);
  for (guint i = 0; i < table->rows->len; i++)
    {
      const CdReportRow *row = g_ptr_array_index (table->rows, i);
      g_autofree char *label = cd_reports_row_label (labeler, table->by, row);
      guint index = cd_chart_data_add_label (data, label);

      set_ratio (data, series, index, &row->compliance_all, compliance_detail (&row->compliance_all));
    }

  return data;
}

CdChartData *
cd_reports_override_chart (CdReportTable *overrides,
                           const char    *title)
{
  static const CdReportsColumn metrics[] = {
    CD_REPORTS_COLUMN_COMPLIANCE, CD_REPORTS_COLUMN_FIRST_TIME_FIX, CD_REPORTS_COLUMN_SATISFACTION,
  };
  CdChartData *data;
  const CdReportRow *rows[2];

  g_return_val_if_fail (overrides != NULL, NULL);

  data = cd_chart_data_new (CD_CHART_KIND_BARS, CD_REPORTS_UNIT_RATIO, title);
  rows[0] = find_row (overrides, "overridden");
  rows[1] = find_row (overrides, "not-overridden");

  cd_chart_data_add_label (data, _("Time-limit compliance"));
  cd_chart_data_add_label (data, _("First-time fix"));
  cd_chart_data_add_label (data, _("Satisfaction"));

  for (guint r = 0; r < G_N_ELEMENTS (rows); r++)
    {
      guint tickets = rows[r] != NULL ? rows[r]->tickets : 0;
      g_autofree char *name = NULL;
      guint series;

      if (r == 0)
        /* Translators: a chart's series, the tickets whose automatic match
         * a dispatcher overrode */
        name = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Overridden (%u ticket)", "Overridden (%u tickets)",
                                             tickets), tickets);
      else
        /* Translators: a chart's series, the other assigned tickets */
        name = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Not overridden (%u ticket)",
                                             "Not overridden (%u tickets)", tickets), tickets);
      series = cd_chart_data_add_series (data, name, r == 0 ? CD_CHART_COLOR_WARNING : CD_CHART_COLOR_ACCENT);
      if (rows[r] == NULL)
        continue;

      for (guint m = 0; m < G_N_ELEMENTS (metrics); m++)
        {
          const CdReportRatio *ratio;
          char *detail = NULL;

          if (metrics[m] == CD_REPORTS_COLUMN_COMPLIANCE)
            {
              ratio = &rows[r]->compliance_all;
              detail = compliance_detail (ratio);
            }
          else if (metrics[m] == CD_REPORTS_COLUMN_FIRST_TIME_FIX)
            {
              ratio = &rows[r]->first_time_fix;
              if (ratio->denominator > 0)
                detail = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u of %u resolved", "%u of %u resolved",
                                                       ratio->denominator),
                                          ratio->numerator, ratio->denominator);
            }
          else
            {
              ratio = &rows[r]->satisfaction;
              if (ratio->denominator > 0)
                detail = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u of %u rated callback satisfied",
                                                       "%u of %u rated callbacks satisfied", ratio->denominator),
                                          ratio->numerator, ratio->denominator);
            }
          set_ratio (data, series, m, ratio, detail);
        }
    }

  return data;
}

double
cd_reports_nice_number (double   x,
                        gboolean round)
{
  double exponent, fraction, nice;

  if (!(x > 0) || !isfinite (x))
    return 1.0;

  exponent = floor (log10 (x));
  fraction = x / pow (10.0, exponent);
  /* Tolerance: 0.3 / 0.1 is 2.9999999999999996. */
  if (round)
    nice = fraction < 1.5 ? 1 : fraction < 3 ? 2 : fraction < 7 ? 5 : 10;
  else
    nice = fraction <= 1 + 1e-9 ? 1 : fraction <= 2 + 1e-9 ? 2 : fraction <= 5 + 1e-9 ? 5 : 10;

  return nice * pow (10.0, exponent);
}

void
cd_reports_scale (CdReportsUnit   unit,
                  double          data_max,
                  guint           max_steps,
                  CdReportsScale *scale)
{
  /* Steps a reader counts in without arithmetic. */
  static const double duration_steps[] = {
    60, 2 * 60, 5 * 60, 10 * 60, 15 * 60, 30 * 60,
    3600, 2 * 3600, 3 * 3600, 6 * 3600, 12 * 3600,
    SECONDS_PER_DAY, 2 * SECONDS_PER_DAY, 5 * SECONDS_PER_DAY, 10 * SECONDS_PER_DAY,
  };
  double step = 1.0;

  g_return_if_fail (scale != NULL);

  max_steps = MAX (max_steps, 1);
  if (!isfinite (data_max) || data_max < 0)
    data_max = 0;

  switch (unit)
    {
    case CD_REPORTS_UNIT_RATIO:
      /* Always the whole 0–100%: bars of two charts compare by eye. */
      scale->step = max_steps >= 4 ? 0.25 : max_steps >= 2 ? 0.5 : 1.0;
      scale->n_steps = (guint) lround (1.0 / scale->step);
      scale->max = 1.0;
      return;

    case CD_REPORTS_UNIT_SECONDS:
      if (data_max <= 0)
        data_max = 3600;
      step = 0;
      for (guint i = 0; i < G_N_ELEMENTS (duration_steps); i++)
        if (ceil (data_max / duration_steps[i] - 1e-9) <= max_steps)
          {
            step = duration_steps[i];
            break;
          }
      if (step == 0)
        step = SECONDS_PER_DAY * cd_reports_nice_number (data_max / SECONDS_PER_DAY / max_steps, FALSE);
      break;

    case CD_REPORTS_UNIT_COUNT:
    default:
      if (data_max <= 0)
        data_max = 1;
      step = MAX (1.0, cd_reports_nice_number (data_max / max_steps, FALSE));
      break;
    }

  scale->step = step;
  scale->n_steps = MAX (1, (guint) ceil (data_max / step - 1e-9));
  scale->max = scale->n_steps * step;
}
