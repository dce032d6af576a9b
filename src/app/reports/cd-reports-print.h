/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-reports-print.h: a report on paper (or in a PDF): a header, the
 * summary figures and the charts, drawn with the charts' own drawing code
 * (cd_chart_draw()) and spread over as many pages as they need. */
#pragma once

#include <gtk/gtk.h>

#include "cd-reports-logic.h"

G_BEGIN_DECLS

typedef struct {
  char      *title;      /* "Crewdesk Report" */
  char      *subtitle;   /* the range and the filters */
  char      *footnote;   /* when it was made */
  GArray    *figures;    /* CdReportsFigure */
  GPtrArray *charts;     /* CdChartData */
} CdReportsDocument;

CdReportsDocument *cd_reports_document_new         (void);
void               cd_reports_document_free        (CdReportsDocument *document);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CdReportsDocument, cd_reports_document_free)

/* Takes @document. */
GtkPrintOperation *cd_reports_print_operation_new  (CdReportsDocument *document);

G_END_DECLS
