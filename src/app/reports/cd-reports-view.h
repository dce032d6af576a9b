/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-reports-view.h: the manager's figures for a date range and filters:
 * summary cards, charts and a table, exported as CSV and printed (or
 * saved as PDF). The numbers come from cd_report, computed in a worker
 * thread over the records the cache holds. */
#pragma once

#include <adwaita.h>

#include "cd-context.h"
#include "cd-report.h"

G_BEGIN_DECLS

/* cd_reports_view_export_csv_async()'s @by for every table in one file. */
#define CD_REPORTS_EXPORT_ALL (-1)

#define CD_TYPE_REPORTS_VIEW (cd_reports_view_get_type ())
G_DECLARE_FINAL_TYPE (CdReportsView, cd_reports_view, CD, REPORTS_VIEW, GtkWidget)

GtkWidget         *cd_reports_view_new                  (CdContext            *context);
CdContext         *cd_reports_view_get_context          (CdReportsView        *self);
/* Whether the figures shown are being recomputed. */
gboolean           cd_reports_view_get_busy             (CdReportsView        *self);
/* The summary figure's value as shown ("87.5%", "no data"), by its id
 * (see CdReportsFigure); NULL before the first report. */
const char        *cd_reports_view_get_figure           (CdReportsView        *self,
                                                         const char           *id);
/* Writes the shown report's table @by (a CdReportBy, or
 * CD_REPORTS_EXPORT_ALL) as CSV into @file, in a worker thread. */
void               cd_reports_view_export_csv_async     (CdReportsView        *self,
                                                         GFile                *file,
                                                         gint                  by,
                                                         GCancellable         *cancellable,
                                                         GAsyncReadyCallback   callback,
                                                         gpointer              user_data);
gboolean           cd_reports_view_export_csv_finish    (CdReportsView        *self,
                                                         GAsyncResult         *result,
                                                         GError              **error);
/* A print operation for the shown report (summary and charts); NULL
 * before the first report. Run it with PRINT_DIALOG, or set
 * "export-filename" and run it with EXPORT for a PDF. */
GtkPrintOperation *cd_reports_view_new_print_operation  (CdReportsView        *self);

G_END_DECLS
