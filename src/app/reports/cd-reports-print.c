/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-reports-print.c: a report on paper (or in a PDF).
 *
 * begin-print measures every block (the header, the figures, each chart
 * with its title) with the print context's fonts and places them top to
 * bottom, a block that does not fit going to the next page; draw-page then
 * draws the blocks of that page. Charts are drawn by cd_chart_draw(), the
 * layout the widget shows, in a paper palette.
 */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "cd-chart.h"
#include "cd-reports-print.h"

#define FONT_FAMILY     "Sans"
#define FIGURE_COLUMNS  4
#define FIGURE_GAP      10.0
#define FIGURE_PADDING  8.0
#define BLOCK_GAP       18.0

typedef enum {
  BLOCK_HEADER,
  BLOCK_FIGURES,
  BLOCK_CHART,
} BlockKind;

typedef struct {
  BlockKind kind;
  guint     index;      /* BLOCK_CHART: the chart */
  double    height;
  int       page;
  double    y;
} Block;

typedef struct {
  CdReportsDocument *document;
  GArray            *blocks;
  CdChartPalette     palette;
} Job;

/* Helpers --------------------------------------------------------------- */

static void
job_free (gpointer data)
{
  Job *job = data;

  cd_reports_document_free (job->document);
  g_clear_pointer (&job->blocks, g_array_unref);
  g_free (job);
}

static void
job_free_notify (gpointer  data,
                 GClosure *closure)
{
  job_free (data);
}

static PangoContext *
make_pango (GtkPrintContext *context)
{
  PangoContext *pango = gtk_print_context_create_pango_context (context);
  g_autoptr(PangoFontDescription) font = pango_font_description_from_string (FONT_FAMILY " 8");

  pango_context_set_font_description (pango, font);
  return pango;
}

static PangoLayout *
make_layout (PangoContext *pango,
             const char   *text,
             const char   *font,
             double        width)
{
  PangoLayout *layout = pango_layout_new (pango);
  g_autoptr(PangoFontDescription) desc = pango_font_description_from_string (font);

  pango_layout_set_font_description (layout, desc);
  pango_layout_set_text (layout, text != NULL ? text : "", -1);
  if (width > 0)
    {
      pango_layout_set_width (layout, (int) (width * PANGO_SCALE));
      pango_layout_set_wrap (layout, PANGO_WRAP_WORD_CHAR);
    }
  return layout;
}

static double
layout_height (PangoLayout *layout)
{
  int h;

  pango_layout_get_pixel_size (layout, NULL, &h);
  return h;
}

/* Lays out a text at @y (when @cr is set) and returns the y below it. */
static double
text_at (cairo_t       *cr,
         PangoContext  *pango,
         const GdkRGBA *color,
         const char    *text,
         const char    *font,
         double         x,
         double         y,
         double         width)
{
  g_autoptr(PangoLayout) layout = make_layout (pango, text, font, width);

  if (cr != NULL)
    {
      gdk_cairo_set_source_rgba (cr, color);
      cairo_move_to (cr, x, y);
      pango_cairo_show_layout (cr, layout);
    }
  return y + layout_height (layout);
}

/* Draws a block when @cr is set; returns its height either way. */
static double
block_run (Job          *job,
           const Block  *block,
           cairo_t      *cr,
           PangoContext *pango,
           double        width)
{
  const GdkRGBA *text = &job->palette.inks[CD_CHART_INK_TEXT];
  const GdkRGBA *dim = &job->palette.inks[CD_CHART_INK_DIM];
  CdReportsDocument *doc = job->document;
  double y = 0;

  switch (block->kind)
    {
    case BLOCK_HEADER:
      y = text_at (cr, pango, text, doc->title, FONT_FAMILY " Bold 16", 0, y, width);
      y = text_at (cr, pango, text, doc->subtitle, FONT_FAMILY " 10", 0, y + 4, width);
      y = text_at (cr, pango, dim, doc->footnote, FONT_FAMILY " 8", 0, y + 2, width);
      return y + BLOCK_GAP;

    case BLOCK_FIGURES:
      {
        double cell_w = (width - (FIGURE_COLUMNS - 1) * FIGURE_GAP) / FIGURE_COLUMNS;
        double inner_w = cell_w - 2 * FIGURE_PADDING;
        guint n = doc->figures->len;

        for (guint row = 0; row * FIGURE_COLUMNS < n; row++)
          {
            double row_h = 0;

            /* Measure the row, then draw it with one height. */
            for (guint pass = 0; pass < 2; pass++)
              for (guint c = 0; c < FIGURE_COLUMNS && row * FIGURE_COLUMNS + c < n; c++)
                {
                  const CdReportsFigure *figure = &g_array_index (doc->figures, CdReportsFigure, row * FIGURE_COLUMNS + c);
                  cairo_t *target = pass == 1 ? cr : NULL;
                  double x = c * (cell_w + FIGURE_GAP);
                  double fy = y + FIGURE_PADDING;

                  if (pass == 1 && cr == NULL)
                    break;
                  if (target != NULL)
                    {
                      cairo_save (cr);
                      gdk_cairo_set_source_rgba (cr, &job->palette.inks[CD_CHART_INK_GRID]);
                      cairo_set_line_width (cr, 1);
                      cairo_rectangle (cr, x + 0.5, y + 0.5, cell_w - 1, row_h - 1);
                      cairo_stroke (cr);
                      cairo_restore (cr);
                    }
                  fy = text_at (target, pango, dim, figure->title, FONT_FAMILY " 8", x + FIGURE_PADDING, fy, inner_w);
                  fy = text_at (target, pango, text, figure->value, FONT_FAMILY " Bold 15", x + FIGURE_PADDING, fy + 2,
                                inner_w);
                  fy = text_at (target, pango, dim, figure->detail, FONT_FAMILY " 7.5", x + FIGURE_PADDING, fy + 2,
                                inner_w);
                  row_h = MAX (row_h, fy + FIGURE_PADDING - y);
                }
            y += row_h + FIGURE_GAP;
          }
        return y - FIGURE_GAP + BLOCK_GAP;
      }

    case BLOCK_CHART:
      {
        CdChartData *chart = g_ptr_array_index (doc->charts, block->index);
        double chart_h;

        y = text_at (cr, pango, text, chart->title, FONT_FAMILY " Bold 11", 0, y, width) + 6;
        chart_h = cd_chart_get_natural_height (chart, pango, width);
        if (cr != NULL)
          {
            cairo_save (cr);
            cairo_translate (cr, 0, y);
            cd_chart_draw (chart, cr, pango, width, chart_h, &job->palette);
            cairo_restore (cr);
          }
        return y + chart_h + BLOCK_GAP;
      }

    default:
      g_assert_not_reached ();
    }
}

/* Signal callbacks ------------------------------------------------------- */

static void
begin_print_cb (GtkPrintOperation *operation,
                GtkPrintContext   *context,
                Job               *job)
{
  g_autoptr(GObject) pango_object = G_OBJECT (make_pango (context));
  PangoContext *pango = PANGO_CONTEXT (pango_object);
  double width = gtk_print_context_get_width (context);
  double height = gtk_print_context_get_height (context);
  double y = 0;
  int page = 0;

  g_array_set_size (job->blocks, 0);
  {
    Block header = { BLOCK_HEADER };
    Block figures = { BLOCK_FIGURES };

    g_array_append_val (job->blocks, header);
    if (job->document->figures->len > 0)
      g_array_append_val (job->blocks, figures);
  }
  for (guint i = 0; i < job->document->charts->len; i++)
    {
      Block chart = { BLOCK_CHART, i };

      g_array_append_val (job->blocks, chart);
    }

  /* A block that does not fit starts a page; one taller than a page is
   * cut at its bottom. */
  for (guint i = 0; i < job->blocks->len; i++)
    {
      Block *block = &g_array_index (job->blocks, Block, i);

      block->height = block_run (job, block, NULL, pango, width);
      if (y > 0 && y + block->height - BLOCK_GAP > height)
        {
          page++;
          y = 0;
        }
      block->page = page;
      block->y = y;
      y += block->height;
    }

  gtk_print_operation_set_n_pages (operation, page + 1);
}

static void
draw_page_cb (GtkPrintOperation *operation,
              GtkPrintContext   *context,
              int                page_nr,
              Job               *job)
{
  g_autoptr(GObject) pango_object = G_OBJECT (make_pango (context));
  PangoContext *pango = PANGO_CONTEXT (pango_object);
  cairo_t *cr = gtk_print_context_get_cairo_context (context);
  double width = gtk_print_context_get_width (context);

  for (guint i = 0; i < job->blocks->len; i++)
    {
      const Block *block = &g_array_index (job->blocks, Block, i);

      if (block->page != page_nr)
        continue;
      cairo_save (cr);
      cairo_translate (cr, 0, block->y);
      block_run (job, block, cr, pango, width);
      cairo_restore (cr);
    }
}

/* Public API ------------------------------------------------------------- */

static void
figure_clear (gpointer data)
{
  CdReportsFigure *figure = data;

  g_free (figure->title);
  g_free (figure->value);
  g_free (figure->detail);
}

CdReportsDocument *
cd_reports_document_new (void)
{
  CdReportsDocument *document = g_new0 (CdReportsDocument, 1);

  document->figures = g_array_new (FALSE, TRUE, sizeof (CdReportsFigure));
  g_array_set_clear_func (document->figures, figure_clear);
  document->charts = g_ptr_array_new_with_free_func ((GDestroyNotify) cd_chart_data_unref);
  return document;
}

void
cd_reports_document_free (CdReportsDocument *document)
{
  if (document == NULL)
    return;

  g_free (document->title);
  g_free (document->subtitle);
  g_free (document->footnote);
  g_array_unref (document->figures);
  g_ptr_array_unref (document->charts);
  g_free (document);
}

GtkPrintOperation *
cd_reports_print_operation_new (CdReportsDocument *document)
{
  GtkPrintOperation *operation;
  Job *job;

  g_return_val_if_fail (document != NULL, NULL);

  job = g_new0 (Job, 1);
  job->document = document;
  job->blocks = g_array_new (FALSE, TRUE, sizeof (Block));
  cd_chart_palette_init_for_print (&job->palette);

  operation = gtk_print_operation_new ();
  gtk_print_operation_set_job_name (operation, document->title);
  gtk_print_operation_set_embed_page_setup (operation, TRUE);
  g_signal_connect_data (operation, "begin-print", G_CALLBACK (begin_print_cb), job, job_free_notify, 0);
  g_signal_connect (operation, "draw-page", G_CALLBACK (draw_page_cb), job);

  return operation;
}
