/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-reports-logic.h: the Reports view's decisions, without GTK.
 *
 * Date ranges (presets in local time), the filter and the cd_report query
 * it makes, the words for rows, cells and summary figures, the charts'
 * data (built from cd_report tables) and their scales with "nice" ticks.
 * The numbers themselves all come from cd-report; nothing here counts.
 * tests/reports/test-reports-logic.c runs all of it without a display.
 */
#pragma once

#include <glib.h>

#include "cd-report.h"

G_BEGIN_DECLS

/* Date ranges ------------------------------------------------------------ */

typedef enum {
  CD_REPORTS_RANGE_TODAY,
  CD_REPORTS_RANGE_LAST_7_DAYS,   /* today and the six days before */
  CD_REPORTS_RANGE_LAST_30_DAYS,  /* today and the 29 days before */
  CD_REPORTS_RANGE_THIS_MONTH,    /* the first of the month to today */
  CD_REPORTS_RANGE_CUSTOM,
} CdReportsRange;

#define CD_REPORTS_N_RANGES (CD_REPORTS_RANGE_CUSTOM + 1)

const char *cd_reports_range_label      (CdReportsRange   range);
/* The local days (in @tz) a preset covers at @now, both inclusive.
 * FALSE for CUSTOM (nothing to compute). */
gboolean    cd_reports_range_days       (CdReportsRange   range,
                                         GTimeZone       *tz,
                                         gint64           now,
                                         GDate           *first,
                                         GDate           *last);
/* [*from, *to): the first second of @first to the first second of the day
 * after @last, in @tz; the days are taken in order whichever comes first. */
void        cd_reports_days_to_span     (GTimeZone       *tz,
                                         const GDate     *first,
                                         const GDate     *last,
                                         gint64          *from,
                                         gint64          *to);
/* "23 Nov 2025", or "3 Nov 2025 – 23 Nov 2025". */
char       *cd_reports_format_days      (const GDate     *first,
                                         const GDate     *last);
/* "23 Nov 2025". */
char       *cd_reports_format_date      (const GDate     *date);

/* The filter --------------------------------------------------------------- */

typedef struct {
  GDate  first;            /* local days, inclusive */
  GDate  last;
  char  *utility;          /* a CdUtility nick; NULL: any */
  char  *category;         /* a CdCategory nick; NULL: any */
  char  *area;             /* an area id; NULL: any; "": tickets with no area */
  char  *crew_id;          /* NULL: any; "": unassigned tickets */
} CdReportsFilter;

void        cd_reports_filter_init      (CdReportsFilter       *filter);
void        cd_reports_filter_clear     (CdReportsFilter       *filter);
void        cd_reports_filter_copy      (const CdReportsFilter *src,
                                         CdReportsFilter       *dest);
/* The query for @filter; its strings and @tz are borrowed, so @filter and
 * @tz must outlive @query. Unknown nicks match nothing. */
void        cd_reports_filter_to_query  (const CdReportsFilter *filter,
                                         GTimeZone             *tz,
                                         CdReportQuery         *query);
/* Whether @category belongs in the category list for @utility_nick (NULL:
 * every category). Meter faults belong to both utilities. */
gboolean    cd_reports_category_in_utility (CdCategory          category,
                                            const char         *utility_nick);

/* Words ------------------------------------------------------------------- */

typedef enum {
  CD_REPORTS_UNIT_COUNT,
  CD_REPORTS_UNIT_RATIO,   /* 0 to 1 */
  CD_REPORTS_UNIT_SECONDS,
} CdReportsUnit;

/* "45 s", "12 min", "1 h 05 min", "2 d 3 h". */
char       *cd_reports_format_duration  (double           seconds);
/* A value as a chart or a cell shows it: "87.5%", "12 min", "42". */
char       *cd_reports_format_value     (CdReportsUnit    unit,
                                         double           value);
/* A value on an axis, shorter: "50%", "1 h 30 min", "20". */
char       *cd_reports_format_tick      (CdReportsUnit    unit,
                                         double           value);
/* A ratio, "87.5%" or "no data". */
char       *cd_reports_format_ratio     (const CdReportRatio *ratio);
/* A statistic's mean, "12 min" or "no data". */
char       *cd_reports_format_mean      (const CdReportStat  *stat);
/* A statistic's p90, "25 min" or "no data". */
char       *cd_reports_format_p90       (const CdReportStat  *stat);

/* Row labels: what the first column and the chart axes show. */
typedef const char *(*CdReportsCrewNameFunc) (const char *crew_id,
                                              gpointer    user_data);
typedef struct {
  GTimeZone             *time_zone;  /* days; NULL: UTC */
  CdReportsCrewNameFunc  crew_name;  /* NULL: the id */
  gpointer               user_data;
} CdReportsLabeler;

/* "Leak", "Eastbank", "Heat North", "Unassigned", "Mon 3 Nov",
 * "Overridden", "All tickets". */
char       *cd_reports_row_label        (const CdReportsLabeler *labeler,
                                         CdReportBy              by,
                                         const CdReportRow      *row);
/* A service area's name: the demo city's district, else the id itself;
 * "No area" for NULL or "". */
char       *cd_reports_area_name        (const char             *area);
/* How a table is called in lists: "By category", ... */
const char *cd_reports_by_label         (CdReportBy              by);

/* The table's columns. */
typedef enum {
  CD_REPORTS_COLUMN_KEY,
  CD_REPORTS_COLUMN_TICKETS,
  CD_REPORTS_COLUMN_COMPLIANCE,
  CD_REPORTS_COLUMN_RESPONSE_MEAN,
  CD_REPORTS_COLUMN_RESPONSE_P90,
  CD_REPORTS_COLUMN_ARRIVAL_MEAN,
  CD_REPORTS_COLUMN_ARRIVAL_P90,
  CD_REPORTS_COLUMN_RESOLUTION_MEAN,
  CD_REPORTS_COLUMN_RESOLUTION_P90,
  CD_REPORTS_COLUMN_FIRST_TIME_FIX,
  CD_REPORTS_COLUMN_REPEATS,
  CD_REPORTS_COLUMN_SATISFACTION,
  CD_REPORTS_COLUMN_OVERRIDDEN,
} CdReportsColumn;

#define CD_REPORTS_N_COLUMNS (CD_REPORTS_COLUMN_OVERRIDDEN + 1)

const char *cd_reports_column_title     (CdReportsColumn    column);
/* The first column's title for a table: "Category", "Crew", ... */
const char *cd_reports_key_title        (CdReportBy         by);
/* The text of a cell (not KEY: that is cd_reports_row_label()). */
char       *cd_reports_format_cell      (const CdReportRow *row,
                                         CdReportsColumn    column);
/* Orders rows by a column's figure, "no data" first; KEY by key. */
int         cd_reports_compare_rows     (const CdReportRow *a,
                                         const CdReportRow *b,
                                         CdReportsColumn    column);

/* The summary cards: one per figure, over the table's total row and the
 * override table. */
typedef struct {
  const char *id;          /* stable: "compliance", "response", "arrival",
                            * "resolution", "first-time-fix", "repeats",
                            * "satisfaction", "overrides" */
  char       *title;
  char       *value;
  char       *detail;
} CdReportsFigure;

/* (element-type CdReportsFigure) */
GArray     *cd_reports_summary          (const CdReportRow   *total,
                                         const CdReportTable *overrides);

/* Every table in one CSV text: each table (cd_report_table_to_csv) after
 * the other, an empty line between two. */
void        cd_reports_tables_to_csv    (CdReportTable * const *tables,
                                         guint                  n_tables,
                                         GString               *out);

/* Charts ----------------------------------------------------------------- */

typedef enum {
  CD_CHART_KIND_BARS,      /* horizontal bars, a group per label */
  CD_CHART_KIND_LINE,      /* a line over the labels (days) */
} CdChartKind;

typedef enum {
  CD_CHART_COLOR_ACCENT,
  CD_CHART_COLOR_SUCCESS,
  CD_CHART_COLOR_WARNING,
  CD_CHART_COLOR_ERROR,
} CdChartColor;

#define CD_CHART_N_COLORS (CD_CHART_COLOR_ERROR + 1)

typedef struct {
  double    value;
  gboolean  has_value;     /* FALSE: no data */
  char     *detail;        /* "7 of 8 limits met"; nullable */
} CdChartPoint;

typedef struct {
  char         *name;
  CdChartColor  color;
  GArray       *points;    /* of CdChartPoint, one per label */
} CdChartSeries;

typedef struct {
  CdChartKind    kind;
  CdReportsUnit  unit;
  char          *title;
  GPtrArray     *labels;   /* char *, one per bar group or x position */
  GPtrArray     *series;   /* CdChartSeries */
} CdChartData;

CdChartData *cd_chart_data_new          (CdChartKind     kind,
                                         CdReportsUnit   unit,
                                         const char     *title);
CdChartData *cd_chart_data_ref          (CdChartData    *data);
void         cd_chart_data_unref        (CdChartData    *data);
guint        cd_chart_data_add_label    (CdChartData    *data,
                                         const char     *label);
guint        cd_chart_data_add_series   (CdChartData    *data,
                                         const char     *name,
                                         CdChartColor    color);
/* Points start as "no data". */
void         cd_chart_data_set_value    (CdChartData    *data,
                                         guint           series,
                                         guint           index,
                                         double          value,
                                         const char     *detail);
const CdChartPoint *cd_chart_data_get_point (CdChartData *data,
                                             guint        series,
                                             guint        index);
/* The largest value; FALSE when no point has data. */
gboolean     cd_chart_data_get_max      (CdChartData    *data,
                                         double         *max);
/* The accessible description: "Leak: 87.5%. No heat: no data." */
char        *cd_chart_data_describe     (CdChartData    *data);
/* The tooltip of a label's group: its label, then a line per series. */
char        *cd_chart_data_tooltip      (CdChartData    *data,
                                         guint           index);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CdChartData, cd_chart_data_unref)

/* Compliance (the three timers together) per row of @table. */
CdChartData *cd_reports_compliance_chart (CdReportTable          *table,
                                          CdChartKind             kind,
                                          const char             *title,
                                          const CdReportsLabeler *labeler);
/* The override table's two rows side by side over compliance, first-time
 * fix and satisfaction. */
CdChartData *cd_reports_override_chart   (CdReportTable          *overrides,
                                          const char             *title);

/* An axis from 0 to max = n_steps × step; ratios 0–100%, durations in
 * round minutes, hours or days, counts in 1, 2, 5 × 10^k. */
typedef struct {
  double max;
  double step;
  guint  n_steps;
} CdReportsScale;

/* @max_steps: at most this many intervals (at least 1). */
void         cd_reports_scale           (CdReportsUnit    unit,
                                         double           data_max,
                                         guint            max_steps,
                                         CdReportsScale  *scale);
/* 1, 2, 5 or 10 × 10^k: the nearest (@round) or the next at or above @x. */
double       cd_reports_nice_number     (double           x,
                                         gboolean         round);

G_END_DECLS
