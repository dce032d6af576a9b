/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-chart.c: a bar or line chart of a CdChartData.
 *
 * plan_build() lays the chart out into shapes once per size and data;
 * plan_snapshot() draws them as render nodes (bars and grid lines as
 * colour nodes, labels as text nodes, the line and its dots in one cairo
 * node since GTK 4.8 has no path nodes), plan_draw_cairo() draws the same
 * shapes on paper.
 */
#include "config.h"

#include <adwaita.h>
#include <glib/gi18n-lib.h>
#include <math.h>

#include "cd-chart.h"

typedef enum {
  SHAPE_RECT,
  SHAPE_LINE,
  SHAPE_DOT,
  SHAPE_TEXT,
} ShapeKind;

typedef struct {
  ShapeKind        kind;
  guint            ink;       /* CdChartInk */
  graphene_rect_t  rect;      /* RECT: the bar; DOT: centre at origin; TEXT: origin */
  float            radius;    /* RECT: corners; DOT: the dot; LINE: its width */
  GArray          *points;    /* LINE: graphene_point_t */
  PangoLayout     *layout;    /* TEXT */
} Shape;

typedef struct {
  graphene_rect_t rect;
  guint           index;      /* the label */
} Hit;

typedef struct {
  GArray *shapes;             /* Shape */
  GArray *hits;               /* Hit */
  double  width;
  double  height;
} Plan;

/* Font sizes and the layout's measures, from the Pango context. */
typedef struct {
  PangoContext         *pango;
  PangoFontDescription *small;
  double                line_h;
  double                small_h;
} Metrics;

struct _CdChart
{
  GtkWidget    parent_instance;

  CdChartData *data;
  Plan        *plan;          /* of the last frame, for tooltips */
};

G_DEFINE_FINAL_TYPE (CdChart, cd_chart, GTK_TYPE_WIDGET)

#define BAR_GAP        3.0
#define LINE_WIDTH     2.5
#define TICK_SPACING_X 84.0   /* the least room a tick label gets across */
#define TICK_SPACING_Y 36.0

/* Helpers --------------------------------------------------------------- */

static void
shape_clear (gpointer data)
{
  Shape *shape = data;

  g_clear_pointer (&shape->points, g_array_unref);
  g_clear_object (&shape->layout);
}

static Plan *
plan_new (double width,
          double height)
{
  Plan *plan = g_new0 (Plan, 1);

  plan->shapes = g_array_new (FALSE, TRUE, sizeof (Shape));
  g_array_set_clear_func (plan->shapes, shape_clear);
  plan->hits = g_array_new (FALSE, FALSE, sizeof (Hit));
  plan->width = width;
  plan->height = height;
  return plan;
}

static void
plan_free (Plan *plan)
{
  if (plan == NULL)
    return;
  g_array_unref (plan->shapes);
  g_array_unref (plan->hits);
  g_free (plan);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Plan, plan_free)

static void
metrics_init (Metrics      *m,
              PangoContext *pango)
{
  const PangoFontDescription *font = pango_context_get_font_description (pango);
  g_autoptr(PangoLayout) layout = pango_layout_new (pango);
  int size, h;

  m->pango = pango;
  m->small = pango_font_description_copy (font);
  size = pango_font_description_get_size (font);
  if (size <= 0)
    size = 10 * PANGO_SCALE;
  /* Axis labels a step smaller than the values they frame. */
  if (pango_font_description_get_size_is_absolute (font))
    pango_font_description_set_absolute_size (m->small, size * 0.85);
  else
    pango_font_description_set_size (m->small, (int) (size * 0.85));

  pango_layout_set_text (layout, "0%Ag", -1);
  pango_layout_get_pixel_size (layout, NULL, &h);
  m->line_h = h;
  pango_layout_set_font_description (layout, m->small);
  pango_layout_get_pixel_size (layout, NULL, &h);
  m->small_h = h;
}

static void
metrics_clear (Metrics *m)
{
  g_clear_pointer (&m->small, pango_font_description_free);
}

static PangoLayout *
make_layout (Metrics    *m,
             const char *text,
             gboolean    small)
{
  PangoLayout *layout = pango_layout_new (m->pango);

  if (small)
    pango_layout_set_font_description (layout, m->small);
  pango_layout_set_text (layout, text, -1);
  return layout;
}

static double
layout_width (PangoLayout *layout)
{
  int w;

  pango_layout_get_pixel_size (layout, &w, NULL);
  return w;
}

static double
layout_height (PangoLayout *layout)
{
  int h;

  pango_layout_get_pixel_size (layout, NULL, &h);
  return h;
}

static void
add_rect (Plan   *plan,
          guint   ink,
          double  x,
          double  y,
          double  w,
          double  h,
          double  radius)
{
  Shape shape = { SHAPE_RECT, ink };

  graphene_rect_init (&shape.rect, x, y, w, h);
  shape.radius = MIN (radius, MIN (w, h) / 2);
  g_array_append_val (plan->shapes, shape);
}

/* Takes @layout. */
static void
add_text (Plan        *plan,
          guint        ink,
          PangoLayout *layout,
          double       x,
          double       y)
{
  Shape shape = { SHAPE_TEXT, ink };

  graphene_rect_init (&shape.rect, round (x), round (y), layout_width (layout), layout_height (layout));
  shape.layout = layout;
  g_array_append_val (plan->shapes, shape);
}

static void
add_hit (Plan   *plan,
         guint   index,
         double  x,
         double  y,
         double  w,
         double  h)
{
  Hit hit = { .index = index };

  graphene_rect_init (&hit.rect, x, y, w, h);
  g_array_append_val (plan->hits, hit);
}

/* A series' colour for its line or its bars. */
static guint
series_ink (CdChartData *data,
            guint        s,
            gboolean     fill)
{
  CdChartSeries *series = g_ptr_array_index (data->series, s);

  return (fill ? CD_CHART_INK_FILL : CD_CHART_INK_LINE) + MIN ((guint) series->color, CD_CHART_N_COLORS - 1);
}

/* A swatch and a name per series, wrapped over lines; returns the height
 * used (0 for a single series: the title says what it is). */
static double
plan_legend (Plan        *plan,
             Metrics     *m,
             CdChartData *data,
             double       width)
{
  double x = 0, y = 0;
  double swatch = round (m->small_h * 0.75);

  if (data->series->len < 2)
    return 0;

  for (guint s = 0; s < data->series->len; s++)
    {
      CdChartSeries *series = g_ptr_array_index (data->series, s);
      PangoLayout *layout = make_layout (m, series->name, TRUE);
      double w = swatch + 6 + layout_width (layout);

      if (x > 0 && x + w > width)
        {
          x = 0;
          y += m->small_h + 4;
        }
      if (plan != NULL)
        {
          add_rect (plan, series_ink (data, s, data->kind == CD_CHART_KIND_BARS), x, y + (m->small_h - swatch) / 2,
                    swatch, swatch, 3);
          add_text (plan, CD_CHART_INK_TEXT, layout, x + swatch + 6, y);
        }
      else
        g_object_unref (layout);
      x += w + 18;
    }

  return y + m->small_h + 10;
}

static void
plan_empty (Plan    *plan,
            Metrics *m,
            double   top)
{
  PangoLayout *layout = make_layout (m, _("No data for this range"), FALSE);
  double w = layout_width (layout), h = layout_height (layout);

  add_text (plan, CD_CHART_INK_DIM, layout, (plan->width - w) / 2, top + MAX (0, (plan->height - top - h) / 2));
}

/* Bars ------------------------------------------------------------------ */

typedef struct {
  double bar_h;
  double group_h;
  double row_h;
} BarRows;

static void
bar_rows (Metrics     *m,
          CdChartData *data,
          BarRows     *rows)
{
  guint ns = MAX (data->series->len, 1);

  rows->bar_h = round (ns == 1 ? m->line_h * 1.1 : m->line_h * 0.8);
  rows->group_h = ns * rows->bar_h + (ns - 1) * BAR_GAP;
  rows->row_h = MAX (rows->group_h, m->line_h) + (ns == 1 ? 10 : 14);
}

static double
bars_height (Metrics     *m,
             CdChartData *data,
             double       width)
{
  BarRows rows;
  double top = plan_legend (NULL, m, data, width);

  if (data->labels->len == 0 || data->series->len == 0)
    return top + 4 * m->line_h;

  bar_rows (m, data, &rows);
  return top + data->labels->len * rows.row_h + 6 + m->small_h + 2;
}

static void
plan_bars (Plan        *plan,
           Metrics     *m,
           CdChartData *data)
{
  g_autoptr(GPtrArray) labels = g_ptr_array_new_with_free_func (g_object_unref);
  double top = plan_legend (plan, m, data, plan->width);
  double label_w = 0, value_w = 0, x0, x1, plot_w, bottom, max = 0;
  guint n = data->labels->len, ns = data->series->len;
  CdReportsScale scale;
  BarRows rows;

  if (n == 0 || ns == 0)
    {
      plan_empty (plan, m, top);
      return;
    }

  bar_rows (m, data, &rows);

  /* The label column: as wide as the longest label, up to 38%. */
  for (guint i = 0; i < n; i++)
    {
      PangoLayout *layout = make_layout (m, g_ptr_array_index (data->labels, i), FALSE);

      label_w = MAX (label_w, layout_width (layout));
      g_ptr_array_add (labels, layout);
    }
  label_w = MIN (label_w, round (plan->width * 0.38));

  /* The value column: the widest value beside its bar. */
  for (guint s = 0; s < ns; s++)
    for (guint i = 0; i < n; i++)
      {
        const CdChartPoint *point = cd_chart_data_get_point (data, s, i);
        g_autofree char *text = point->has_value ? cd_reports_format_value (data->unit, point->value)
                                                 : g_strdup (_("no data"));
        g_autoptr(PangoLayout) layout = make_layout (m, text, ns > 1);

        value_w = MAX (value_w, layout_width (layout));
      }

  x0 = label_w + 12;
  x1 = MAX (plan->width - value_w - 8, x0 + 40);
  plot_w = x1 - x0;
  bottom = top + n * rows.row_h;

  cd_chart_data_get_max (data, &max);
  cd_reports_scale (data->unit, max, (guint) CLAMP (plot_w / TICK_SPACING_X, 1, 8), &scale);

  /* Grid and ticks. */
  for (guint t = 0; t <= scale.n_steps; t++)
    {
      double x = round (x0 + plot_w * t / scale.n_steps);
      g_autofree char *text = cd_reports_format_tick (data->unit, scale.step * t);
      PangoLayout *layout = make_layout (m, text, TRUE);
      double w = layout_width (layout);

      add_rect (plan, t == 0 ? CD_CHART_INK_AXIS : CD_CHART_INK_GRID, x - 0.5, top, 1, bottom - top, 0);
      add_text (plan, CD_CHART_INK_DIM, layout, CLAMP (x - w / 2, 0, plan->width - w), bottom + 6);
    }

  for (guint i = 0; i < n; i++)
    {
      PangoLayout *label = g_object_ref (g_ptr_array_index (labels, i));
      double ry = top + i * rows.row_h;
      double gy = ry + (rows.row_h - rows.group_h) / 2;

      pango_layout_set_width (label, (int) (label_w * PANGO_SCALE));
      pango_layout_set_ellipsize (label, PANGO_ELLIPSIZE_END);
      add_text (plan, CD_CHART_INK_TEXT, label, 0, ry + (rows.row_h - layout_height (label)) / 2);

      for (guint s = 0; s < ns; s++)
        {
          const CdChartPoint *point = cd_chart_data_get_point (data, s, i);
          double by = gy + s * (rows.bar_h + BAR_GAP);
          PangoLayout *layout;

          if (point->has_value)
            {
              g_autofree char *text = cd_reports_format_value (data->unit, point->value);
              double w = plot_w * CLAMP (point->value / scale.max, 0, 1);

              if (w > 0)
                add_rect (plan, series_ink (data, s, TRUE), x0, by, MAX (w, 2), rows.bar_h, MIN (3, rows.bar_h / 4));
              layout = make_layout (m, text, ns > 1);
              add_text (plan, CD_CHART_INK_TEXT, layout, x0 + w + 6, by + (rows.bar_h - layout_height (layout)) / 2);
            }
          else
            {
              layout = make_layout (m, _("no data"), ns > 1);
              add_text (plan, CD_CHART_INK_DIM, layout, x0 + 6, by + (rows.bar_h - layout_height (layout)) / 2);
            }
        }

      add_hit (plan, i, 0, ry, plan->width, rows.row_h);
    }
}

/* Lines ----------------------------------------------------------------- */

static double
line_height (Metrics *m)
{
  return round (13 * m->line_h);
}

static void
plan_line (Plan        *plan,
           Metrics     *m,
           CdChartData *data)
{
  g_autoptr(GPtrArray) ticks = g_ptr_array_new_with_free_func (g_object_unref);
  double top, bottom, axis_w = 0, x0, plot_w, slot, max = 0, max_label_w = 0, max_value_w = 0;
  guint n = data->labels->len, ns = data->series->len, every;
  gboolean show_values;
  CdReportsScale scale;

  top = plan_legend (plan, m, data, plan->width);
  if (n == 0 || ns == 0 || !cd_chart_data_get_max (data, &max))
    {
      plan_empty (plan, m, top);
      return;
    }

  /* Room above the top tick for its label and for a value over a dot. */
  top += m->small_h + 4;
  bottom = plan->height - m->small_h - 8;
  cd_reports_scale (data->unit, max, (guint) CLAMP ((bottom - top) / TICK_SPACING_Y, 1, 6), &scale);

  for (guint t = 0; t <= scale.n_steps; t++)
    {
      g_autofree char *text = cd_reports_format_tick (data->unit, scale.step * t);
      PangoLayout *layout = make_layout (m, text, TRUE);

      axis_w = MAX (axis_w, layout_width (layout));
      g_ptr_array_add (ticks, layout);
    }

  x0 = axis_w + 10;
  plot_w = MAX (plan->width - x0 - 4, 20);
  slot = plot_w / n;

  for (guint t = 0; t <= scale.n_steps; t++)
    {
      double y = round (bottom - (bottom - top) * t / scale.n_steps);
      PangoLayout *layout = g_object_ref (g_ptr_array_index (ticks, t));

      add_rect (plan, t == 0 ? CD_CHART_INK_AXIS : CD_CHART_INK_GRID, x0, y - 0.5, plot_w, 1, 0);
      add_text (plan, CD_CHART_INK_DIM, layout, x0 - 8 - layout_width (layout), y - layout_height (layout) / 2);
    }

  /* Day labels, thinned out to what fits side by side. */
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(PangoLayout) layout = make_layout (m, g_ptr_array_index (data->labels, i), TRUE);

      max_label_w = MAX (max_label_w, layout_width (layout));
    }
  every = MAX (1, (guint) ceil ((max_label_w + 12) / slot));
  for (guint i = 0; i < n; i += every)
    {
      PangoLayout *layout = make_layout (m, g_ptr_array_index (data->labels, i), TRUE);
      double w = layout_width (layout);
      double cx = x0 + (i + 0.5) * slot;

      add_text (plan, CD_CHART_INK_DIM, layout, CLAMP (cx - w / 2, 0, plan->width - w), bottom + 6);
    }

  /* Values over the dots, when each fits in its slot. */
  for (guint s = 0; s < ns; s++)
    for (guint i = 0; i < n; i++)
      {
        const CdChartPoint *point = cd_chart_data_get_point (data, s, i);

        if (point->has_value)
          {
            g_autofree char *text = cd_reports_format_value (data->unit, point->value);
            g_autoptr(PangoLayout) layout = make_layout (m, text, TRUE);

            max_value_w = MAX (max_value_w, layout_width (layout));
          }
      }
  show_values = ns == 1 && max_value_w + 8 <= slot;

  for (guint s = 0; s < ns; s++)
    {
      g_autoptr(GArray) run = NULL;
      double radius = slot >= 14 ? 3.5 : 2.5;

      for (guint i = 0; i <= n; i++)
        {
          const CdChartPoint *point = i < n ? cd_chart_data_get_point (data, s, i) : NULL;

          if (point != NULL && point->has_value)
            {
              graphene_point_t p = GRAPHENE_POINT_INIT (x0 + (i + 0.5) * slot,
                                                        bottom - (bottom - top) * CLAMP (point->value / scale.max, 0, 1));

              if (run == NULL)
                run = g_array_new (FALSE, FALSE, sizeof (graphene_point_t));
              g_array_append_val (run, p);
              continue;
            }

          /* A gap (no data) or the end: the run so far is one line. */
          if (run != NULL && run->len > 1)
            {
              Shape shape = { SHAPE_LINE, series_ink (data, s, FALSE) };

              shape.radius = LINE_WIDTH;
              shape.points = g_steal_pointer (&run);
              g_array_append_val (plan->shapes, shape);
            }
          g_clear_pointer (&run, g_array_unref);
        }

      for (guint i = 0; i < n; i++)
        {
          const CdChartPoint *point = cd_chart_data_get_point (data, s, i);
          Shape shape = { SHAPE_DOT, series_ink (data, s, FALSE) };
          double cx = x0 + (i + 0.5) * slot;
          double cy;

          if (!point->has_value)
            continue;
          cy = bottom - (bottom - top) * CLAMP (point->value / scale.max, 0, 1);
          graphene_rect_init (&shape.rect, cx, cy, 0, 0);
          shape.radius = radius;
          g_array_append_val (plan->shapes, shape);

          if (show_values)
            {
              g_autofree char *text = cd_reports_format_value (data->unit, point->value);
              PangoLayout *layout = make_layout (m, text, TRUE);
              double w = layout_width (layout);

              add_text (plan, CD_CHART_INK_TEXT, layout, CLAMP (cx - w / 2, 0, plan->width - w),
                        cy - radius - 3 - layout_height (layout));
            }
        }
    }

  for (guint i = 0; i < n; i++)
    add_hit (plan, i, x0 + i * slot, 0, slot, plan->height);
}

static Plan *
plan_build (CdChartData  *data,
            PangoContext *pango,
            double        width,
            double        height)
{
  g_autoptr(Plan) plan = plan_new (width, height);
  Metrics m;

  metrics_init (&m, pango);
  if (data == NULL)
    plan_empty (plan, &m, 0);
  else if (data->kind == CD_CHART_KIND_LINE)
    plan_line (plan, &m, data);
  else
    plan_bars (plan, &m, data);
  metrics_clear (&m);

  return g_steal_pointer (&plan);
}

/* Drawing --------------------------------------------------------------- */

static void
rounded_rect_path (cairo_t               *cr,
                   const graphene_rect_t *r,
                   double                 radius)
{
  double x = r->origin.x, y = r->origin.y, w = r->size.width, h = r->size.height;

  if (radius <= 0)
    {
      cairo_rectangle (cr, x, y, w, h);
      return;
    }
  cairo_new_sub_path (cr);
  cairo_arc (cr, x + w - radius, y + radius, radius, -G_PI / 2, 0);
  cairo_arc (cr, x + w - radius, y + h - radius, radius, 0, G_PI / 2);
  cairo_arc (cr, x + radius, y + h - radius, radius, G_PI / 2, G_PI);
  cairo_arc (cr, x + radius, y + radius, radius, G_PI, 3 * G_PI / 2);
  cairo_close_path (cr);
}

static void
draw_shape_cairo (cairo_t              *cr,
                  const Shape          *shape,
                  const CdChartPalette *palette)
{
  gdk_cairo_set_source_rgba (cr, &palette->inks[shape->ink]);

  switch (shape->kind)
    {
    case SHAPE_RECT:
      rounded_rect_path (cr, &shape->rect, shape->radius);
      cairo_fill (cr);
      break;
    case SHAPE_LINE:
      cairo_set_line_width (cr, shape->radius);
      cairo_set_line_join (cr, CAIRO_LINE_JOIN_ROUND);
      cairo_set_line_cap (cr, CAIRO_LINE_CAP_ROUND);
      for (guint i = 0; i < shape->points->len; i++)
        {
          const graphene_point_t *p = &g_array_index (shape->points, graphene_point_t, i);

          if (i == 0)
            cairo_move_to (cr, p->x, p->y);
          else
            cairo_line_to (cr, p->x, p->y);
        }
      cairo_stroke (cr);
      break;
    case SHAPE_DOT:
      cairo_new_sub_path (cr);
      cairo_arc (cr, shape->rect.origin.x, shape->rect.origin.y, shape->radius, 0, 2 * G_PI);
      cairo_fill (cr);
      break;
    case SHAPE_TEXT:
      cairo_move_to (cr, shape->rect.origin.x, shape->rect.origin.y);
      pango_cairo_show_layout (cr, shape->layout);
      break;
    default:
      g_assert_not_reached ();
    }
}

static void
plan_draw_cairo (Plan                 *plan,
                 cairo_t              *cr,
                 const CdChartPalette *palette)
{
  cairo_save (cr);
  for (guint i = 0; i < plan->shapes->len; i++)
    draw_shape_cairo (cr, &g_array_index (plan->shapes, Shape, i), palette);
  cairo_restore (cr);
}

static void
plan_snapshot (Plan                 *plan,
               GtkSnapshot          *snapshot,
               const CdChartPalette *palette)
{
  for (guint i = 0; i < plan->shapes->len; i++)
    {
      const Shape *shape = &g_array_index (plan->shapes, Shape, i);

      switch (shape->kind)
        {
        case SHAPE_RECT:
          if (shape->radius > 0)
            {
              GskRoundedRect clip;

              gsk_rounded_rect_init_from_rect (&clip, &shape->rect, shape->radius);
              gtk_snapshot_push_rounded_clip (snapshot, &clip);
              gtk_snapshot_append_color (snapshot, &palette->inks[shape->ink], &shape->rect);
              gtk_snapshot_pop (snapshot);
            }
          else
            gtk_snapshot_append_color (snapshot, &palette->inks[shape->ink], &shape->rect);
          break;

        case SHAPE_TEXT:
          gtk_snapshot_save (snapshot);
          gtk_snapshot_translate (snapshot, &shape->rect.origin);
          gtk_snapshot_append_layout (snapshot, shape->layout, &palette->inks[shape->ink]);
          gtk_snapshot_restore (snapshot);
          break;

        case SHAPE_LINE:
        case SHAPE_DOT:
          {
            /* Lines and dots in a row share one cairo node. */
            graphene_rect_t bounds = GRAPHENE_RECT_INIT (0, 0, plan->width, plan->height);
            cairo_t *cr = gtk_snapshot_append_cairo (snapshot, &bounds);
            guint j;

            for (j = i; j < plan->shapes->len; j++)
              {
                const Shape *s = &g_array_index (plan->shapes, Shape, j);

                if (s->kind != SHAPE_LINE && s->kind != SHAPE_DOT)
                  break;
                draw_shape_cairo (cr, s, palette);
              }
            cairo_destroy (cr);
            i = j - 1;
          }
          break;

        default:
          g_assert_not_reached ();
        }
    }
}

/* Overrides ------------------------------------------------------------- */

static void
cd_chart_snapshot (GtkWidget   *widget,
                   GtkSnapshot *snapshot)
{
  CdChart *self = CD_CHART (widget);
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);
  CdChartPalette palette;

  if (width <= 0 || height <= 0)
    return;

  /* Fonts and colours may have changed since: lay out every frame (a
   * few dozen labels). */
  g_clear_pointer (&self->plan, plan_free);
  self->plan = plan_build (self->data, gtk_widget_get_pango_context (widget), width, height);
  cd_chart_palette_init_from_widget (&palette, widget);
  plan_snapshot (self->plan, snapshot, &palette);
}

static void
cd_chart_measure (GtkWidget      *widget,
                  GtkOrientation  orientation,
                  int             for_size,
                  int            *minimum,
                  int            *natural,
                  int            *minimum_baseline,
                  int            *natural_baseline)
{
  CdChart *self = CD_CHART (widget);

  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      *minimum = 240;
      *natural = 480;
      return;
    }

  *minimum = *natural = (int) ceil (cd_chart_get_natural_height (self->data, gtk_widget_get_pango_context (widget),
                                                                 for_size > 0 ? for_size : 480));
}

/* The hover area under (@x, @y) in the last frame, or NULL. */
static const Hit *
find_hit (CdChart *self,
          double   x,
          double   y)
{
  if (self->plan == NULL || self->data == NULL)
    return NULL;

  for (guint i = 0; i < self->plan->hits->len; i++)
    {
      const Hit *hit = &g_array_index (self->plan->hits, Hit, i);

      if (graphene_rect_contains_point (&hit->rect, &GRAPHENE_POINT_INIT (x, y)))
        return hit;
    }

  return NULL;
}

static gboolean
cd_chart_query_tooltip (GtkWidget  *widget,
                        int         x,
                        int         y,
                        gboolean    keyboard,
                        GtkTooltip *tooltip)
{
  CdChart *self = CD_CHART (widget);
  const Hit *hit = keyboard ? NULL : find_hit (self, x, y);
  g_autofree char *text = NULL;
  GdkRectangle area;

  if (hit == NULL)
    return FALSE;

  text = cd_chart_data_tooltip (self->data, hit->index);
  gtk_tooltip_set_text (tooltip, text);
  /* Moving on to the next bar asks again. */
  area = (GdkRectangle) { (int) hit->rect.origin.x, (int) hit->rect.origin.y,
                          (int) ceil (hit->rect.size.width), (int) ceil (hit->rect.size.height) };
  gtk_tooltip_set_tip_area (tooltip, &area);
  return TRUE;
}

static void
dark_changed_cb (CdChart *self)
{
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
cd_chart_dispose (GObject *object)
{
  CdChart *self = CD_CHART (object);

  g_clear_pointer (&self->data, cd_chart_data_unref);
  g_clear_pointer (&self->plan, plan_free);

  G_OBJECT_CLASS (cd_chart_parent_class)->dispose (object);
}

static void
cd_chart_class_init (CdChartClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = cd_chart_dispose;

  widget_class->snapshot = cd_chart_snapshot;
  widget_class->measure = cd_chart_measure;
  widget_class->query_tooltip = cd_chart_query_tooltip;

  gtk_widget_class_set_css_name (widget_class, "chart");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
cd_chart_init (CdChart *self)
{
  gtk_widget_set_has_tooltip (GTK_WIDGET (self), TRUE);
  /* The style's colours change with it; GTK redraws on most changes,
   * this covers the named colours the chart looks up itself. */
  g_signal_connect_object (adw_style_manager_get_default (), "notify::dark",
                           G_CALLBACK (dark_changed_cb), self, G_CONNECT_SWAPPED);
}

/* Public API ------------------------------------------------------------- */

void
cd_chart_palette_init_from_widget (CdChartPalette *palette,
                                   GtkWidget      *widget)
{
  static const char * const line_names[CD_CHART_N_COLORS] = {
    "accent_color", "success_color", "warning_color", "error_color",
  };
  static const char * const fill_names[CD_CHART_N_COLORS] = {
    "accent_bg_color", "success_bg_color", "warning_bg_color", "error_bg_color",
  };
  /* libadwaita 1.2's values, should a theme not name them. */
  static const char * const light_lines[CD_CHART_N_COLORS] = { "#1c71d8", "#1b8553", "#9c6e03", "#c01c28" };
  static const char * const dark_lines[CD_CHART_N_COLORS] = { "#78aeed", "#8ff0a4", "#f8e45c", "#ff7b63" };
  static const char * const light_fills[CD_CHART_N_COLORS] = { "#3584e4", "#2ec27e", "#e5a50a", "#e01b24" };
  static const char * const dark_fills[CD_CHART_N_COLORS] = { "#3584e4", "#26a269", "#cd9309", "#c01c28" };
  GtkStyleContext *context;
  gboolean is_dark = adw_style_manager_get_dark (adw_style_manager_get_default ());
  GdkRGBA fg;

  g_return_if_fail (palette != NULL);
  g_return_if_fail (GTK_IS_WIDGET (widget));

  context = gtk_widget_get_style_context (widget);
  gtk_style_context_get_color (context, &fg);

  palette->inks[CD_CHART_INK_TEXT] = fg;
  palette->inks[CD_CHART_INK_DIM] = fg;
  palette->inks[CD_CHART_INK_DIM].alpha *= 0.7f;
  palette->inks[CD_CHART_INK_GRID] = fg;
  palette->inks[CD_CHART_INK_GRID].alpha *= 0.12f;
  palette->inks[CD_CHART_INK_AXIS] = fg;
  palette->inks[CD_CHART_INK_AXIS].alpha *= 0.45f;

  for (guint c = 0; c < CD_CHART_N_COLORS; c++)
    {
      GdkRGBA *line = &palette->inks[CD_CHART_INK_LINE + c];
      GdkRGBA *fill = &palette->inks[CD_CHART_INK_FILL + c];

      if (!gtk_style_context_lookup_color (context, line_names[c], line))
        gdk_rgba_parse (line, is_dark ? dark_lines[c] : light_lines[c]);
      if (!gtk_style_context_lookup_color (context, fill_names[c], fill))
        gdk_rgba_parse (fill, is_dark ? dark_fills[c] : light_fills[c]);
    }
}

void
cd_chart_palette_init_for_print (CdChartPalette *palette)
{
  static const char * const paper[CD_CHART_N_COLORS] = { "#1c71d8", "#26a269", "#e66100", "#c01c28" };

  g_return_if_fail (palette != NULL);

  palette->inks[CD_CHART_INK_TEXT] = (GdkRGBA) { 0, 0, 0, 1 };
  palette->inks[CD_CHART_INK_DIM] = (GdkRGBA) { 0.3f, 0.3f, 0.3f, 1 };
  palette->inks[CD_CHART_INK_GRID] = (GdkRGBA) { 0.85f, 0.85f, 0.85f, 1 };
  palette->inks[CD_CHART_INK_AXIS] = (GdkRGBA) { 0.45f, 0.45f, 0.45f, 1 };
  for (guint c = 0; c < CD_CHART_N_COLORS; c++)
    {
      gdk_rgba_parse (&palette->inks[CD_CHART_INK_LINE + c], paper[c]);
      gdk_rgba_parse (&palette->inks[CD_CHART_INK_FILL + c], paper[c]);
    }
}

double
cd_chart_get_natural_height (CdChartData  *data,
                             PangoContext *pango,
                             double        width)
{
  Metrics m;
  double height;

  g_return_val_if_fail (PANGO_IS_CONTEXT (pango), 0);

  metrics_init (&m, pango);
  if (data == NULL)
    height = 4 * m.line_h;
  else if (data->kind == CD_CHART_KIND_LINE)
    height = line_height (&m);
  else
    height = bars_height (&m, data, width);
  metrics_clear (&m);

  return height;
}

void
cd_chart_draw (CdChartData          *data,
               cairo_t              *cr,
               PangoContext         *pango,
               double                width,
               double                height,
               const CdChartPalette *palette)
{
  g_autoptr(Plan) plan = NULL;

  g_return_if_fail (cr != NULL);
  g_return_if_fail (PANGO_IS_CONTEXT (pango));
  g_return_if_fail (palette != NULL);

  plan = plan_build (data, pango, width, height);
  plan_draw_cairo (plan, cr, palette);
}

GtkWidget *
cd_chart_new (void)
{
  return g_object_new (CD_TYPE_CHART, NULL);
}

void
cd_chart_set_data (CdChart     *self,
                   CdChartData *data)
{
  g_autofree char *description = NULL;

  g_return_if_fail (CD_IS_CHART (self));

  if (data != NULL)
    cd_chart_data_ref (data);
  g_clear_pointer (&self->data, cd_chart_data_unref);
  self->data = data;
  g_clear_pointer (&self->plan, plan_free);

  description = data != NULL ? cd_chart_data_describe (data) : g_strdup (_("No data for this range."));
  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, data != NULL && data->title != NULL ? data->title : "",
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, description,
                                  -1);
  gtk_widget_queue_resize (GTK_WIDGET (self));
}

CdChartData *
cd_chart_get_data (CdChart *self)
{
  g_return_val_if_fail (CD_IS_CHART (self), NULL);
  return self->data;
}

char *
cd_chart_dup_tooltip_at (CdChart *self,
                         double   x,
                         double   y)
{
  const Hit *hit;

  g_return_val_if_fail (CD_IS_CHART (self), NULL);

  hit = find_hit (self, x, y);
  return hit != NULL ? cd_chart_data_tooltip (self->data, hit->index) : NULL;
}
