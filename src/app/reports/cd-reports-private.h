/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-reports-private.h: what the widget tests reach in the Reports view.
 * Not for other features. */
#pragma once

#include "cd-chart.h"
#include "cd-reports-logic.h"
#include "cd-reports-view.h"

G_BEGIN_DECLS

/* Chooses @value (NULL: any) in the drop-down @choice ("utility",
 * "category", "area", "crew"), as a click on the item would; FALSE when
 * the list has no such item. */
gboolean               _cd_reports_view_select        (CdReportsView          *self,
                                                       const char             *choice,
                                                       const char             *value);
void                   _cd_reports_view_set_range     (CdReportsView          *self,
                                                       CdReportsRange          range);
CdReportsRange         _cd_reports_view_get_range     (CdReportsView          *self);
/* The popovers' calendars of the first and the last day. */
GtkCalendar           *_cd_reports_view_get_calendar  (CdReportsView          *self,
                                                       gboolean                first);
/* The filter and the moment of the report shown. */
const CdReportsFilter *_cd_reports_view_get_filter    (CdReportsView          *self);
gint64                 _cd_reports_view_get_now       (CdReportsView          *self);
guint                  _cd_reports_view_get_n_tickets (CdReportsView          *self);
/* "category", "area", "day", "crew", "overrides". */
CdChart               *_cd_reports_view_get_chart     (CdReportsView          *self,
                                                       const char             *name);
GtkColumnView         *_cd_reports_view_get_table     (CdReportsView          *self);
/* The scrolled page (figures, charts, table), for a picture of all of it. */
GtkWidget             *_cd_reports_view_get_page      (CdReportsView          *self);
void                   _cd_reports_view_set_table_by  (CdReportsView          *self,
                                                       CdReportBy              by);

G_END_DECLS
