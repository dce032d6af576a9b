/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-report.h: the manager's figures over a date range.
 *
 * Input is plain arrays of CdTicket, CdCallback and CdAssignmentEvent, so
 * the same code reports from the client cache and from the server store.
 * cd_report_new() picks the tickets of the range and filters and works out
 * each one's facts once; cd_report_get_table() then groups them by
 * category, area, crew, day or override, cheaply and as often as the view
 * likes. Tables turn into chart series and into CSV.
 *
 * cd_report_new() only reads the records, so it may run in a worker thread
 * (100,000 tickets take about a quarter of a second) as long as nobody
 * changes them meanwhile: give it copies, or the rows as the cache loaded
 * them, rather than the objects the UI updates in place.
 *
 * Definitions (every figure is computed from the data alone):
 *
 * - Population: tickets created in [from, to) that match the filters. A
 *   repeat report (duplicate_of set) counts in `tickets` and `repeats` and
 *   nowhere else; a cancelled ticket counts in `tickets` and `cancelled`.
 * - Compliance, per timer: a timer with a limit is decided when its
 *   milestone was reached (met or missed as cd_sla_evaluate() says at the
 *   moment it was reached) or when it is still running and already red at
 *   @now (missed). Running timers not yet due are left out. The rate is
 *   met / decided; `limits` adds up the three timers.
 * - Response, arrival, resolution: wall-clock seconds from created_at to
 *   first_response_at, on_site_at, resolved_at, for the tickets that have
 *   that timestamp of their own (a ticket solved by phone has no arrival);
 *   pauses included, since the customer waited through them. Mean, and p90
 *   by the nearest-rank method: the ⌈0.9 n⌉-th smallest value.
 * - First-time fix: of the resolved tickets, those whose work was not
 *   reopened: no callback of theirs opened second handling, and no repeat
 *   report came within the repeat window (7 days unless set) after the
 *   resolution — a later ticket of the same category from the same
 *   customer account (or, without an account, at the same address: letters
 *   and digits compared case-insensitively), or one linked to it by
 *   duplicate_of. Every ticket of the input is searched for repeats, not
 *   just those of the range. `ftf_pending` counts the resolved tickets
 *   whose window is still open at @now; they count as fixed until a repeat
 *   comes.
 * - Satisfaction: of the population's callbacks that recorded a rating,
 *   the satisfied ones.
 * - Override: an assignment event with source manual that replaced a
 *   different automatic proposal (cd_report_is_override()). The override
 *   table compares tickets with at least one override against the other
 *   tickets that were assigned to a crew; tickets never assigned are in
 *   neither row.
 * - A ratio with denominator 0 is "no data", never NaN: check it with
 *   cd_report_ratio_get(); in CSV its cell is empty.
 */
#pragma once

#include <gio/gio.h>

#include "cd-assignment-event.h"
#include "cd-callback.h"
#include "cd-sla-clock.h"
#include "cd-ticket.h"

G_BEGIN_DECLS

#define CD_REPORT_DEFAULT_REPEAT_WINDOW (7 * 24 * 3600)

typedef enum {
  CD_REPORT_BY_NONE,     /* one row, key "all" */
  CD_REPORT_BY_CATEGORY, /* key: the category nick; in enum order */
  CD_REPORT_BY_AREA,     /* key: the area id, NULL for none; by key, none last */
  CD_REPORT_BY_CREW,     /* key: the ticket's crew id, NULL for unassigned */
  CD_REPORT_BY_DAY,      /* key: "YYYY-MM-DD"; every day of the range */
  CD_REPORT_BY_OVERRIDE, /* keys "overridden" and "not-overridden" */
} CdReportBy;

#define CD_REPORT_N_BY (CD_REPORT_BY_OVERRIDE + 1)

typedef struct {
  gint64      from;          /* created_at ≥ from; 0: no lower bound */
  gint64      to;            /* created_at < to; 0: no upper bound */
  gint        utility;       /* a CdUtility, or -1 for any */
  gint        category;      /* a CdCategory, or -1 for any */
  const char *area;          /* NULL: any; "": tickets with no area */
  const char *crew_id;       /* NULL: any; "": unassigned tickets */
  GTimeZone  *time_zone;     /* where days begin; NULL: UTC */
  gint64      repeat_window; /* seconds; 0: CD_REPORT_DEFAULT_REPEAT_WINDOW */
} CdReportQuery;

typedef struct {
  guint numerator;
  guint denominator;         /* 0: no data */
} CdReportRatio;

typedef struct {
  guint  count;
  double mean;               /* seconds; 0 when count is 0 */
  gint64 p90;                /* seconds; 0 when count is 0 */
} CdReportStat;

typedef struct {
  char          *key;
  gint64         day;                         /* BY_DAY: the day's first second */
  guint          tickets;
  guint          repeats;
  guint          cancelled;
  guint          resolved;
  CdReportRatio  compliance[CD_N_SLA_KINDS];  /* by CdSlaKind */
  CdReportRatio  compliance_all;              /* the three timers together */
  CdReportStat   response;
  CdReportStat   arrival;
  CdReportStat   resolution;
  CdReportRatio  first_time_fix;              /* fixed / resolved */
  guint          ftf_pending;
  guint          satisfied;
  guint          neutral;
  guint          unsatisfied;
  CdReportRatio  satisfaction;                /* satisfied / rated */
  guint          overridden;                  /* tickets with an override */
  guint          override_events;
} CdReportRow;

typedef struct {
  CdReportBy   by;
  GPtrArray   *rows;                          /* of CdReportRow */
  CdReportRow *total;                         /* the whole population */
} CdReportTable;

typedef struct {
  gint64    x;               /* BY_DAY: the day's first second; else the row's index */
  char     *key;             /* the row's key */
  double    y;
  gboolean  has_value;       /* FALSE: no data (a gap), y is 0 */
} CdReportPoint;

typedef struct {
  const char *id;            /* stable: "tickets", "compliance", ... */
  GArray     *points;        /* of CdReportPoint, one per row */
} CdReportSeries;

void            cd_report_table_free        (CdReportTable        *table);
void            cd_report_series_free       (CdReportSeries       *series);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CdReportTable, cd_report_table_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CdReportSeries, cd_report_series_free)

#define CD_TYPE_REPORT (cd_report_get_type ())
G_DECLARE_FINAL_TYPE (CdReport, cd_report, CD, REPORT, GObject)

void            cd_report_query_init        (CdReportQuery        *query);
CdReport       *cd_report_new               (GPtrArray            *tickets,
                                             GPtrArray            *callbacks,
                                             GPtrArray            *events,
                                             CdSlaPolicySet       *policies,
                                             const CdReportQuery  *query,
                                             gint64                now);
guint           cd_report_get_n_tickets     (CdReport             *self);
CdReportTable  *cd_report_get_table         (CdReport             *self,
                                             CdReportBy            by);

gboolean        cd_report_ratio_get         (const CdReportRatio  *ratio,
                                             double               *value);
char           *cd_report_format_ratio      (const CdReportRatio  *ratio);
gboolean        cd_report_is_override       (CdAssignmentEvent    *event);

GPtrArray      *cd_report_table_get_series  (CdReportTable        *table);
CdReportSeries *cd_report_table_find_series (GPtrArray            *series,
                                             const char           *id);

const char     *cd_report_by_to_column      (CdReportBy            by);
void            cd_report_csv_append_field  (GString              *out,
                                             const char           *field);
void            cd_report_table_to_csv      (CdReportTable        *table,
                                             GString              *out);
gboolean        cd_report_table_write_csv   (CdReportTable        *table,
                                             GOutputStream        *stream,
                                             GCancellable         *cancellable,
                                             GError              **error);

G_END_DECLS
