/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-chart.h: a bar or line chart of a CdChartData.
 *
 * The chart is laid out once per size into a list of shapes (bars, grid
 * lines, lines, dots, labels) with the areas the pointer can hover; the
 * widget turns that list into snapshot nodes, and printing turns the same
 * list into cairo calls (cd_chart_draw()), so the screen and the paper
 * show one drawing. Colours come from the style (light or dark) on the
 * screen, from a fixed palette on paper.
 */
#pragma once

#include <gtk/gtk.h>

#include "cd-reports-logic.h"

G_BEGIN_DECLS

typedef enum {
  CD_CHART_INK_TEXT,       /* labels and values */
  CD_CHART_INK_DIM,        /* axis labels, "no data" */
  CD_CHART_INK_GRID,       /* grid lines */
  CD_CHART_INK_AXIS,       /* the zero line */
  CD_CHART_INK_LINE,       /* + CdChartColor: lines and dots */
  CD_CHART_INK_FILL = CD_CHART_INK_LINE + CD_CHART_N_COLORS, /* + CdChartColor: bars */
} CdChartInk;

#define CD_CHART_N_INKS (CD_CHART_INK_FILL + CD_CHART_N_COLORS)

typedef struct {
  GdkRGBA inks[CD_CHART_N_INKS];
} CdChartPalette;

/* The widget's colours: its text colour and the style's accent, success,
 * warning and error colours (the "_color" ones for lines, drawn like text,
 * the "_bg_color" ones for bars), for the light or the dark style. */
void        cd_chart_palette_init_from_widget (CdChartPalette *palette,
                                               GtkWidget      *widget);
/* Black on white, for paper. */
void        cd_chart_palette_init_for_print   (CdChartPalette *palette);

/* The height @data wants at @width: bars by their number, lines fixed. */
double      cd_chart_get_natural_height (CdChartData          *data,
                                         PangoContext         *pango,
                                         double                width);
/* Draws @data into (0, 0, @width, @height) of @cr with @pango's fonts. */
void        cd_chart_draw               (CdChartData          *data,
                                         cairo_t              *cr,
                                         PangoContext         *pango,
                                         double                width,
                                         double                height,
                                         const CdChartPalette *palette);

#define CD_TYPE_CHART (cd_chart_get_type ())
G_DECLARE_FINAL_TYPE (CdChart, cd_chart, CD, CHART, GtkWidget)

GtkWidget   *cd_chart_new               (void);
/* @data: (nullable): the chart's data (a reference is taken) */
void         cd_chart_set_data          (CdChart     *self,
                                         CdChartData *data);
CdChartData *cd_chart_get_data          (CdChart     *self);
/* The tooltip the chart shows with the pointer at (@x, @y), or NULL. */
char        *cd_chart_dup_tooltip_at    (CdChart     *self,
                                         double       x,
                                         double       y);

G_END_DECLS
