/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-render-tiles.c: crewdesk-render-tiles, the demo city's raster tiles.
 *
 *   crewdesk-render-tiles --output demo-city.mbtiles [--min-zoom 10] [--max-zoom 17]
 *
 * Draws Lanhe from the core's city model (cd_city_get_demo(), the same
 * model the server seeds and the simulator drives on): land, built-up
 * districts, the river, parks, district borders, every street edge by
 * class with bridges over the water, landmarks, and names (city,
 * districts, villages, river, parks, landmarks, streets). Streets are the
 * graph's own edge polylines, so a crew moving along an edge moves along
 * a drawn street.
 *
 * Everything is drawn in world pixel coordinates of the zoom level and
 * each tile is a 256 px window on them; labels are placed once per zoom
 * level (greedy, by priority, without overlaps) and every tile a label
 * touches draws its part, so names run across tile borders unbroken.
 *
 * Tiles cover the city's bounds plus a margin at every zoom level.
 * Identical tiles (open country, water) are stored once: the file uses
 * the MBTiles map + images layout. The output is written to a temporary
 * file and renamed, so an interrupted build leaves no half file.
 *
 * Plain cairo, pango and SQLite: no GTK.
 */
#include "config.h"

#undef G_LOG_DOMAIN
#define G_LOG_DOMAIN "CrewdeskTiles"

#include <cairo.h>
#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <pango/pangocairo.h>
#include <stdio.h>
#include <string.h>

#include "cd-city.h"
#include "cd-mbtiles.h"
#include "cd-tile-grid.h"

#define TILE           CD_TILE_SIZE
#define MARGIN_M       1000.0   /* land drawn around the city's bounds */
#define RIVER_EXTEND_M 40000.0  /* the river goes on beyond the model's reach */
#define FONT_FAMILY    "DejaVu Sans, Noto Sans, Sans"

/* Colours (sRGB, 0..1). */
typedef struct { double r, g, b; } Rgb;

static const Rgb LAND          = { 0.957, 0.945, 0.918 };
static const Rgb URBAN         = { 0.918, 0.898, 0.863 };
static const Rgb PARK          = { 0.784, 0.890, 0.690 };
static const Rgb PARK_EDGE     = { 0.624, 0.796, 0.525 };
static const Rgb WATER         = { 0.667, 0.827, 0.875 };
static const Rgb BORDER_BAND   = { 0.745, 0.659, 0.839 };
static const Rgb BORDER_LINE   = { 0.557, 0.420, 0.690 };
static const Rgb ARTERIAL      = { 0.988, 0.839, 0.643 };
static const Rgb ARTERIAL_LOW  = { 0.949, 0.733, 0.478 };
static const Rgb ARTERIAL_CASE = { 0.784, 0.584, 0.353 };
static const Rgb STREET        = { 1.000, 1.000, 1.000 };
static const Rgb STREET_LOW    = { 0.820, 0.796, 0.757 };
static const Rgb STREET_CASE   = { 0.765, 0.741, 0.698 };
static const Rgb LANE_CASE     = { 0.820, 0.796, 0.757 };
static const Rgb BRIDGE_CASE   = { 0.380, 0.380, 0.400 };
static const Rgb TEXT_DARK     = { 0.200, 0.200, 0.220 };
static const Rgb TEXT_DISTRICT = { 0.447, 0.322, 0.588 };
static const Rgb TEXT_WATER    = { 0.231, 0.443, 0.612 };
static const Rgb TEXT_PARK     = { 0.200, 0.400, 0.150 };
static const Rgb HALO          = { 1.000, 1.000, 1.000 };

/* World pixels at zoom 0 (0..256 across the world). */
typedef struct {
  double x;
  double y;
} Pt;

typedef struct {
  Pt    *pts;
  guint  n;
  double x0, y0, x1, y1;     /* bounding box */
} Line;

typedef struct {
  Line               line;
  CdCityStreetClass  street_class;
  gboolean           bridge;
  const char        *name;
} Street;

typedef struct {
  Line        line;
  const char *name;
  Pt          label;
  gboolean    urban;
} Area;

typedef struct {
  const char *name;
  const char *kind;
  Pt          at;
} Landmark;

typedef struct {
  GArray *streets;     /* Street */
  GArray *districts;   /* Area */
  GArray *parks;       /* Area */
  GArray *landmarks;   /* Landmark */
  Line    river;
  Line    river_center;
  Pt      city_center;
  const char *city_name;
  const char *river_name;
} Map;

/* A name placed at one zoom level, in that level's world pixels. */
typedef struct {
  PangoLayout *layout;
  Rgb          color;
  double       halo;       /* halo line width */
  double       x, y;       /* centre */
  double       angle;      /* radians */
  double       w, h;
  double       bx0, by0, bx1, by1;
} Label;

typedef struct {
  double street_fill[CD_CITY_N_STREET_CLASSES];
  double casing;            /* each side; 0: none */
  double border;            /* district border band; 0: none */
  double landmark_r;        /* 0: no landmarks */
} Style;

/* Geometry ------------------------------------------------------------------ */

static Pt
project (double lat,
         double lon)
{
  Pt p = { cd_tile_x_from_lon (lon, 0) * TILE, cd_tile_y_from_lat (lat, 0) * TILE };

  return p;
}

static void
line_bbox (Line *line)
{
  line->x0 = line->y0 = G_MAXDOUBLE;
  line->x1 = line->y1 = -G_MAXDOUBLE;
  for (guint i = 0; i < line->n; i++)
    {
      line->x0 = MIN (line->x0, line->pts[i].x);
      line->y0 = MIN (line->y0, line->pts[i].y);
      line->x1 = MAX (line->x1, line->pts[i].x);
      line->y1 = MAX (line->y1, line->pts[i].y);
    }
}

static Line
line_from_points (const GArray *points)
{
  Line line = { g_new (Pt, points->len), points->len, 0, 0, 0, 0 };

  for (guint i = 0; i < points->len; i++)
    {
      const CdCityPoint *p = &g_array_index (points, CdCityPoint, i);

      line.pts[i] = project (p->lat, p->lon);
    }
  line_bbox (&line);
  return line;
}

static void
line_clear (Line *line)
{
  g_clear_pointer (&line->pts, g_free);
}

/* The river model reaches a kilometre past the city; beyond that it runs
 * on straight, so zoomed-out tiles do not show it ending in a field. */
static Line
river_outline (const CdCityRiver *river)
{
  const GArray *poly = river->polygon;
  guint half = poly->len / 2;
  g_autoptr(GArray) pts = g_array_new (FALSE, FALSE, sizeof (CdCityPoint));
  const CdCityPoint *first = &g_array_index (poly, CdCityPoint, 0);
  const CdCityPoint *last_left = &g_array_index (poly, CdCityPoint, half - 1);
  const CdCityPoint *first_right = &g_array_index (poly, CdCityPoint, half);
  const CdCityPoint *last = &g_array_index (poly, CdCityPoint, poly->len - 1);
  double dlat = RIVER_EXTEND_M / 111195.0;
  CdCityPoint p;

  /* The polygon runs down the west bank from the north, then up the east
   * bank from the south. */
  p = *first;
  p.lat += dlat;
  g_array_append_val (pts, p);
  g_array_append_vals (pts, poly->data, half);
  p = *last_left;
  p.lat -= dlat;
  g_array_append_val (pts, p);
  p = *first_right;
  p.lat -= dlat;
  g_array_append_val (pts, p);
  g_array_append_vals (pts, &g_array_index (poly, CdCityPoint, half), poly->len - half);
  p = *last;
  p.lat += dlat;
  g_array_append_val (pts, p);

  return line_from_points (pts);
}

static Pt
polygon_centre (const Line *line)
{
  Pt c = { 0, 0 };

  for (guint i = 0; i < line->n; i++)
    {
      c.x += line->pts[i].x;
      c.y += line->pts[i].y;
    }
  c.x /= line->n;
  c.y /= line->n;
  return c;
}

static void
map_load (Map    *map,
          CdCity *city)
{
  double s, w, n, e;

  map->streets = g_array_new (FALSE, TRUE, sizeof (Street));
  for (guint i = 0; i < cd_city_get_n_streets (city); i++)
    {
      const CdCityStreet *cs = cd_city_get_street (city, i);
      Street st = { line_from_points (cs->points), cs->street_class, cs->bridge, cs->name };

      g_array_append_val (map->streets, st);
    }

  map->districts = g_array_new (FALSE, TRUE, sizeof (Area));
  for (guint i = 0; i < cd_city_get_n_districts (city); i++)
    {
      const CdCityDistrict *d = cd_city_get_district (city, i);
      Area a = { line_from_points (d->polygon), d->name, project (d->label.lat, d->label.lon),
                 d->area_class == CD_AREA_CLASS_URBAN };

      g_array_append_val (map->districts, a);
    }

  map->parks = g_array_new (FALSE, TRUE, sizeof (Area));
  for (guint i = 0; i < cd_city_get_n_parks (city); i++)
    {
      const CdCityArea *p = cd_city_get_park (city, i);
      Area a = { line_from_points (p->polygon), p->name, { 0, 0 }, FALSE };

      a.label = polygon_centre (&a.line);
      g_array_append_val (map->parks, a);
    }

  map->landmarks = g_array_new (FALSE, TRUE, sizeof (Landmark));
  for (guint i = 0; i < cd_city_get_n_landmarks (city); i++)
    {
      const CdCityLandmark *l = cd_city_get_landmark (city, i);
      Landmark lm = { l->name, l->kind, project (l->point.lat, l->point.lon) };

      g_array_append_val (map->landmarks, lm);
    }

  map->river = river_outline (cd_city_get_river (city));
  map->river_center = line_from_points (cd_city_get_river (city)->centerline);
  map->river_name = cd_city_get_river (city)->name;
  map->city_name = cd_city_get_name (city);
  cd_city_get_bounds (city, &s, &w, &n, &e);
  map->city_center = project ((s + n) / 2, (w + e) / 2);
}

static void
map_clear (Map *map)
{
  for (guint i = 0; i < map->streets->len; i++)
    line_clear (&g_array_index (map->streets, Street, i).line);
  for (guint i = 0; i < map->districts->len; i++)
    line_clear (&g_array_index (map->districts, Area, i).line);
  for (guint i = 0; i < map->parks->len; i++)
    line_clear (&g_array_index (map->parks, Area, i).line);
  g_array_unref (map->streets);
  g_array_unref (map->districts);
  g_array_unref (map->parks);
  g_array_unref (map->landmarks);
  line_clear (&map->river);
  line_clear (&map->river_center);
}

/* Style ----------------------------------------------------------------------- */

static Style
style_for_zoom (int zoom)
{
  /*                          z10   z11   z12   z13   z14   z15   z16   z17 */
  static const double art[]  = { 1.2, 1.6, 2.4, 3.4, 5.0, 7.5, 11.0, 18.0 };
  static const double str[]  = { 0.0, 0.0, 0.7, 1.2, 2.6, 4.5, 7.5, 13.0 };
  static const double lane[] = { 0.0, 0.0, 0.0, 0.0, 1.2, 2.4, 4.5, 8.0 };
  static const double cas[]  = { 0.0, 0.0, 0.0, 0.6, 0.8, 1.0, 1.2, 1.5 };
  static const double bor[]  = { 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 8.0, 8.0 };
  static const double lmr[]  = { 0.0, 0.0, 0.0, 0.0, 3.5, 4.5, 5.5, 6.5 };
  int i = CLAMP (zoom, 10, 17) - 10;
  Style s;

  s.street_fill[CD_CITY_STREET_ARTERIAL] = art[i];
  s.street_fill[CD_CITY_STREET_STREET] = str[i];
  s.street_fill[CD_CITY_STREET_LANE] = lane[i];
  s.casing = cas[i];
  s.border = bor[i];
  s.landmark_r = lmr[i];
  /* Below z10 the tiles still exist (the tool may be asked for them): the
   * arterials alone, thinner. */
  if (zoom < 10)
    {
      s.street_fill[CD_CITY_STREET_ARTERIAL] = 0.8;
      s.border = 2.0;
    }
  return s;
}

static Rgb
landmark_color (const char *kind)
{
  static const struct { const char *kind; Rgb color; } colors[] = {
    { "station",    { 0.290, 0.435, 0.647 } },
    { "hospital",   { 0.851, 0.325, 0.310 } },
    { "heat-plant", { 0.878, 0.482, 0.224 } },
    { "substation", { 0.788, 0.635, 0.153 } },
    { "city-hall",  { 0.478, 0.361, 0.600 } },
    { "depot",      { 0.165, 0.616, 0.561 } },
  };

  for (guint i = 0; i < G_N_ELEMENTS (colors); i++)
    if (g_str_equal (kind, colors[i].kind))
      return colors[i].color;
  return TEXT_DARK;
}

/* Labels ---------------------------------------------------------------------- */

typedef struct {
  PangoContext *context;
  GPtrArray    *labels;    /* Label, accepted */
  int           zoom;
  double        scale;     /* world pixels per zoom-0 pixel */
} Placer;

static void
label_free (Label *label)
{
  g_clear_object (&label->layout);
  g_free (label);
}

static PangoLayout *
make_layout (Placer     *placer,
             const char *text,
             double      size_px,
             gboolean    bold,
             gboolean    italic,
             double      letter_spacing_px)
{
  PangoLayout *layout = pango_layout_new (placer->context);
  PangoFontDescription *desc = pango_font_description_from_string (FONT_FAMILY);

  pango_font_description_set_absolute_size (desc, size_px * PANGO_SCALE);
  pango_font_description_set_weight (desc, bold ? PANGO_WEIGHT_BOLD : PANGO_WEIGHT_NORMAL);
  pango_font_description_set_style (desc, italic ? PANGO_STYLE_ITALIC : PANGO_STYLE_NORMAL);
  pango_layout_set_font_description (layout, desc);
  pango_font_description_free (desc);

  if (letter_spacing_px > 0)
    {
      PangoAttrList *attrs = pango_attr_list_new ();

      pango_attr_list_insert (attrs, pango_attr_letter_spacing_new ((int) (letter_spacing_px * PANGO_SCALE)));
      pango_layout_set_attributes (layout, attrs);
      pango_attr_list_unref (attrs);
    }

  pango_layout_set_text (layout, text, -1);
  return layout;
}

static gboolean
overlaps (Placer *placer,
          double  x0,
          double  y0,
          double  x1,
          double  y1)
{
  for (guint i = 0; i < placer->labels->len; i++)
    {
      Label *l = g_ptr_array_index (placer->labels, i);

      if (x0 < l->bx1 && x1 > l->bx0 && y0 < l->by1 && y1 > l->by0)
        return TRUE;
    }
  return FALSE;
}

/* Places @layout centred at (x, y) turned by @angle unless it would
 * overlap a label placed before. Takes @layout. */
static gboolean
place (Placer      *placer,
       PangoLayout *layout,
       Rgb          color,
       double       halo,
       double       x,
       double       y,
       double       angle,
       double       pad)
{
  PangoRectangle ink;
  Label *label;
  double w, h, c, s, hw, hh;

  pango_layout_get_pixel_extents (layout, NULL, &ink);
  w = ink.width;
  h = ink.height;

  /* Keep text upright. */
  if (angle > G_PI / 2)
    angle -= G_PI;
  else if (angle <= -G_PI / 2)
    angle += G_PI;

  c = fabs (cos (angle));
  s = fabs (sin (angle));
  hw = (w * c + h * s) / 2 + halo + pad;
  hh = (w * s + h * c) / 2 + halo + pad;

  if (overlaps (placer, x - hw, y - hh, x + hw, y + hh))
    {
      g_object_unref (layout);
      return FALSE;
    }

  label = g_new0 (Label, 1);
  label->layout = layout;
  label->color = color;
  label->halo = halo;
  label->x = x;
  label->y = y;
  label->angle = angle;
  label->w = w;
  label->h = h;
  label->bx0 = x - hw;
  label->by0 = y - hh;
  label->bx1 = x + hw;
  label->by1 = y + hh;
  g_ptr_array_add (placer->labels, label);
  return TRUE;
}

/* Reserves a box (a landmark's symbol) so no label covers it. */
static void
reserve (Placer *placer,
         double  x,
         double  y,
         double  r)
{
  Label *label = g_new0 (Label, 1);

  label->bx0 = x - r;
  label->by0 = y - r;
  label->bx1 = x + r;
  label->by1 = y + r;
  g_ptr_array_add (placer->labels, label);
}

/* The point @at along @line (in world pixels of the zoom) and the
 * direction there; FALSE past the end. */
static gboolean
point_along (const Line *line,
             double      scale,
             double      at,
             Pt         *p,
             double     *angle)
{
  double run = 0;

  for (guint i = 0; i + 1 < line->n; i++)
    {
      double dx = (line->pts[i + 1].x - line->pts[i].x) * scale;
      double dy = (line->pts[i + 1].y - line->pts[i].y) * scale;
      double len = hypot (dx, dy);

      if (len > 0 && run + len >= at)
        {
          double t = (at - run) / len;

          p->x = line->pts[i].x * scale + dx * t;
          p->y = line->pts[i].y * scale + dy * t;
          *angle = atan2 (dy, dx);
          return TRUE;
        }
      run += len;
    }
  return FALSE;
}

static double
line_length (const Line *line,
             double      scale)
{
  double len = 0;

  for (guint i = 0; i + 1 < line->n; i++)
    len += hypot (line->pts[i + 1].x - line->pts[i].x, line->pts[i + 1].y - line->pts[i].y) * scale;
  return len;
}

/* Text along a line: the chord from @from to @to must stay close to the
 * line, or the straight text would leave the street. */
static gboolean
straight_enough (const Line *line,
                 double      scale,
                 double      from,
                 double      to,
                 double      tolerance,
                 Pt         *mid,
                 double     *angle)
{
  Pt a, b, p;
  double unused, len;

  if (!point_along (line, scale, from, &a, &unused) || !point_along (line, scale, to, &b, &unused))
    return FALSE;
  len = hypot (b.x - a.x, b.y - a.y);
  if (len <= 0)
    return FALSE;

  for (double t = from; t <= to; t += 4)
    {
      double d;

      if (!point_along (line, scale, t, &p, &unused))
        break;
      d = fabs ((b.x - a.x) * (a.y - p.y) - (a.x - p.x) * (b.y - a.y)) / len;
      if (d > tolerance)
        return FALSE;
    }

  mid->x = (a.x + b.x) / 2;
  mid->y = (a.y + b.y) / 2;
  *angle = atan2 (b.y - a.y, b.x - a.x);
  return TRUE;
}

static int
compare_streets_for_labels (gconstpointer a,
                            gconstpointer b,
                            gpointer      user_data)
{
  const Street *sa = *(const Street * const *) a;
  const Street *sb = *(const Street * const *) b;
  double la, lb;

  if (sa->street_class != sb->street_class)
    return sa->street_class < sb->street_class ? -1 : 1;
  la = line_length (&sa->line, 1);
  lb = line_length (&sb->line, 1);
  return la > lb ? -1 : la < lb ? 1 : 0;
}

static void
place_street_labels (Placer    *placer,
                     const Map *map)
{
  double size = placer->zoom >= 17 ? 12 : 11;
  double spacing = placer->zoom >= 17 ? 700 : 450;   /* one name per road per this many px */
  g_autoptr(GPtrArray) order = g_ptr_array_new ();
  g_autoptr(GHashTable) placed = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                                        (GDestroyNotify) g_array_unref);

  for (guint i = 0; i < map->streets->len; i++)
    {
      Street *st = &g_array_index (map->streets, Street, i);

      if (st->name != NULL && !st->bridge && placer->zoom >= (st->street_class == CD_CITY_STREET_LANE ? 17 : 16))
        g_ptr_array_add (order, st);
    }
  g_ptr_array_sort_with_data (order, compare_streets_for_labels, NULL);

  for (guint i = 0; i < order->len; i++)
    {
      Street *st = g_ptr_array_index (order, i);
      double len = line_length (&st->line, placer->scale);
      PangoLayout *layout;
      PangoRectangle ink;
      GArray *spots;
      gboolean near = FALSE;
      double angle;
      Pt mid;

      layout = make_layout (placer, st->name, size, FALSE, FALSE, 0);
      pango_layout_get_pixel_extents (layout, NULL, &ink);
      if (ink.width + 24 > len
          || !straight_enough (&st->line, placer->scale, (len - ink.width) / 2 - 4, (len + ink.width) / 2 + 4,
                               ink.height * 0.25, &mid, &angle))
        {
          g_object_unref (layout);
          continue;
        }

      spots = g_hash_table_lookup (placed, st->name);
      for (guint k = 0; spots && k < spots->len; k++)
        {
          Pt *q = &g_array_index (spots, Pt, k);

          if (hypot (q->x - mid.x, q->y - mid.y) < spacing)
            near = TRUE;
        }
      if (near)
        {
          g_object_unref (layout);
          continue;
        }

      if (place (placer, layout, TEXT_DARK, 2.5, mid.x, mid.y, angle, 1))
        {
          if (spots == NULL)
            {
              spots = g_array_new (FALSE, FALSE, sizeof (Pt));
              g_hash_table_insert (placed, (gpointer) st->name, spots);
            }
          g_array_append_val (spots, mid);
        }
    }
}

static void
place_river_labels (Placer    *placer,
                    const Map *map)
{
  double len = line_length (&map->river_center, placer->scale);
  double step = placer->zoom >= 15 ? 900 : 600;
  double size = placer->zoom >= 15 ? 14 : 12;

  for (double at = step / 2; at < len; at += step)
    {
      PangoLayout *layout = make_layout (placer, map->river_name, size, FALSE, TRUE, 1);
      PangoRectangle ink;
      double angle;
      Pt mid;

      pango_layout_get_pixel_extents (layout, NULL, &ink);
      if (!straight_enough (&map->river_center, placer->scale, at - ink.width / 2.0 - 4,
                            at + ink.width / 2.0 + 4, ink.height * 0.4, &mid, &angle))
        {
          g_object_unref (layout);
          continue;
        }
      place (placer, layout, TEXT_WATER, 2.0, mid.x, mid.y, angle, 2);
    }
}

static GPtrArray *
place_labels (PangoContext *context,
              const Map    *map,
              int           zoom)
{
  Placer placer = { context, g_ptr_array_new_with_free_func ((GDestroyNotify) label_free), zoom, (double) (1 << zoom) };
  Style style = style_for_zoom (zoom);

  /* By priority: what is placed first wins. */
  if (zoom <= 11)
    place (&placer, make_layout (&placer, map->city_name, zoom == 10 ? 18 : 22, TRUE, FALSE, 2),
           TEXT_DARK, 3, map->city_center.x * placer.scale, map->city_center.y * placer.scale, 0, 4);

  if (style.landmark_r > 0)
    for (guint i = 0; i < map->landmarks->len; i++)
      {
        Landmark *lm = &g_array_index (map->landmarks, Landmark, i);

        if (!g_str_equal (lm->kind, "village"))
          reserve (&placer, lm->at.x * placer.scale, lm->at.y * placer.scale, style.landmark_r + 1);
      }

  if (zoom >= 12 && zoom <= 15)
    {
      double size = (const double[]) { 12, 14, 16, 17 }[zoom - 12];

      for (guint i = 0; i < map->districts->len; i++)
        {
          Area *d = &g_array_index (map->districts, Area, i);
          g_autofree char *upper = g_utf8_strup (d->name, -1);

          place (&placer, make_layout (&placer, upper, size, TRUE, FALSE, size * 0.18),
                 TEXT_DISTRICT, 3, d->label.x * placer.scale, d->label.y * placer.scale, 0, 6);
        }
    }

  if (zoom >= 12)
    for (guint i = 0; i < map->landmarks->len; i++)
      {
        Landmark *lm = &g_array_index (map->landmarks, Landmark, i);
        g_autofree char *name = NULL;

        if (!g_str_equal (lm->kind, "village") || zoom > 16)
          continue;
        /* "Songling Village": the place name alone is the map's habit. */
        name = g_strdup (lm->name);
        if (g_str_has_suffix (name, " Village"))
          name[strlen (name) - strlen (" Village")] = '\0';
        place (&placer, make_layout (&placer, name, zoom >= 14 ? 14 : 12, TRUE, FALSE, 0),
               TEXT_DARK, 2.5, lm->at.x * placer.scale, lm->at.y * placer.scale, 0, 3);
      }

  if (zoom >= 12)
    place_river_labels (&placer, map);

  if (zoom >= 15)
    for (guint i = 0; i < map->landmarks->len; i++)
      {
        Landmark *lm = &g_array_index (map->landmarks, Landmark, i);
        PangoLayout *layout;
        PangoRectangle ink;

        if (g_str_equal (lm->kind, "village"))
          continue;
        layout = make_layout (&placer, lm->name, 11, TRUE, FALSE, 0);
        pango_layout_get_pixel_extents (layout, NULL, &ink);
        place (&placer, layout, landmark_color (lm->kind), 2.5,
               lm->at.x * placer.scale + style.landmark_r + 6 + ink.width / 2.0,
               lm->at.y * placer.scale, 0, 1);
      }

  if (zoom >= 14)
    for (guint i = 0; i < map->parks->len; i++)
      {
        Area *p = &g_array_index (map->parks, Area, i);
        PangoLayout *layout = make_layout (&placer, p->name, zoom >= 16 ? 13 : 11, FALSE, TRUE, 0);
        PangoRectangle ink;

        pango_layout_get_pixel_extents (layout, NULL, &ink);
        if (ink.width > (p->line.x1 - p->line.x0) * placer.scale * 1.2)
          {
            g_object_unref (layout);
            continue;
          }
        place (&placer, layout, TEXT_PARK, 2, p->label.x * placer.scale, p->label.y * placer.scale, 0, 2);
      }

  if (zoom >= 16)
    place_street_labels (&placer, map);

  return placer.labels;
}

/* Drawing --------------------------------------------------------------------- */

typedef struct {
  cairo_t *cr;
  double   scale;         /* world px per zoom-0 px */
  double   ox, oy;        /* the tile's top left, world px */
} Canvas;

static gboolean
visible (const Canvas *cv,
         const Line   *line,
         double        pad)
{
  return line->x1 * cv->scale + pad >= cv->ox && line->x0 * cv->scale - pad <= cv->ox + TILE
         && line->y1 * cv->scale + pad >= cv->oy && line->y0 * cv->scale - pad <= cv->oy + TILE;
}

static void
trace (const Canvas *cv,
       const Line   *line,
       gboolean      closed)
{
  cairo_new_sub_path (cv->cr);
  for (guint i = 0; i < line->n; i++)
    cairo_line_to (cv->cr, line->pts[i].x * cv->scale - cv->ox, line->pts[i].y * cv->scale - cv->oy);
  if (closed)
    cairo_close_path (cv->cr);
}

static void
set_color (cairo_t *cr,
           Rgb      c)
{
  cairo_set_source_rgb (cr, c.r, c.g, c.b);
}

static void
draw_streets (const Canvas *cv,
              const Map    *map,
              const Style  *style,
              gboolean      bridges)
{
  cairo_t *cr = cv->cr;

  cairo_set_line_cap (cr, CAIRO_LINE_CAP_ROUND);
  cairo_set_line_join (cr, CAIRO_LINE_JOIN_ROUND);

  /* Casings first, all classes, so fills join cleanly at crossings. */
  if (style->casing > 0)
    for (int cls = CD_CITY_STREET_LANE; cls >= CD_CITY_STREET_ARTERIAL; cls--)
      {
        double w = style->street_fill[cls];

        if (w <= 0)
          continue;
        for (guint i = 0; i < map->streets->len; i++)
          {
            const Street *st = &g_array_index (map->streets, Street, i);

            if ((int) st->street_class != cls || st->bridge != bridges || !visible (cv, &st->line, w + 4))
              continue;
            cairo_new_path (cr);
            trace (cv, &st->line, FALSE);
            set_color (cr, bridges ? BRIDGE_CASE
                           : cls == CD_CITY_STREET_ARTERIAL ? ARTERIAL_CASE
                           : cls == CD_CITY_STREET_STREET ? STREET_CASE : LANE_CASE);
            cairo_set_line_width (cr, w + 2 * style->casing * (bridges ? 1.6 : 1.0));
            if (bridges)
              cairo_set_line_cap (cr, CAIRO_LINE_CAP_BUTT);
            cairo_stroke (cr);
            cairo_set_line_cap (cr, CAIRO_LINE_CAP_ROUND);
          }
      }

  for (int cls = CD_CITY_STREET_LANE; cls >= CD_CITY_STREET_ARTERIAL; cls--)
    {
      double w = style->street_fill[cls];

      if (w <= 0)
        continue;
      for (guint i = 0; i < map->streets->len; i++)
        {
          const Street *st = &g_array_index (map->streets, Street, i);

          if ((int) st->street_class != cls || st->bridge != bridges || !visible (cv, &st->line, w + 4))
            continue;
          cairo_new_path (cr);
          trace (cv, &st->line, FALSE);
          if (cls == CD_CITY_STREET_ARTERIAL)
            set_color (cr, style->casing > 0 ? ARTERIAL : ARTERIAL_LOW);
          else
            set_color (cr, style->casing > 0 ? STREET : STREET_LOW);
          cairo_set_line_width (cr, w);
          cairo_stroke (cr);
        }
    }
}

static void
draw_label (const Canvas *cv,
            const Label  *label)
{
  cairo_t *cr = cv->cr;
  PangoRectangle ink;

  if (label->layout == NULL
      || label->bx1 < cv->ox || label->bx0 > cv->ox + TILE
      || label->by1 < cv->oy || label->by0 > cv->oy + TILE)
    return;

  pango_layout_get_pixel_extents (label->layout, &ink, NULL);

  cairo_save (cr);
  cairo_translate (cr, label->x - cv->ox, label->y - cv->oy);
  cairo_rotate (cr, label->angle);
  cairo_move_to (cr, -ink.x - label->w / 2, -ink.y - label->h / 2);

  pango_cairo_layout_path (cr, label->layout);
  set_color (cr, HALO);
  cairo_set_line_width (cr, label->halo);
  cairo_set_line_join (cr, CAIRO_LINE_JOIN_ROUND);
  cairo_stroke (cr);

  cairo_move_to (cr, -ink.x - label->w / 2, -ink.y - label->h / 2);
  set_color (cr, label->color);
  pango_cairo_show_layout (cr, label->layout);
  cairo_restore (cr);
}

static cairo_status_t
append_png (void                *closure,
            const unsigned char *data,
            unsigned int         length)
{
  g_byte_array_append (closure, data, length);
  return CAIRO_STATUS_SUCCESS;
}

static GBytes *
render_tile (const Map *map,
             GPtrArray *labels,
             int        zoom,
             int        tx,
             int        ty)
{
  cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_RGB24, TILE, TILE);
  cairo_t *cr = cairo_create (surface);
  Canvas cv = { cr, (double) (1 << zoom), (double) tx * TILE, (double) ty * TILE };
  Style style = style_for_zoom (zoom);
  GByteArray *png;

  set_color (cr, LAND);
  cairo_paint (cr);

  /* Built-up districts. */
  cairo_new_path (cr);
  for (guint i = 0; i < map->districts->len; i++)
    {
      const Area *d = &g_array_index (map->districts, Area, i);

      if (d->urban && visible (&cv, &d->line, 0))
        trace (&cv, &d->line, TRUE);
    }
  set_color (cr, URBAN);
  cairo_fill (cr);

  /* Parks. */
  for (guint i = 0; i < map->parks->len; i++)
    {
      const Area *p = &g_array_index (map->parks, Area, i);

      if (!visible (&cv, &p->line, 2))
        continue;
      cairo_new_path (cr);
      trace (&cv, &p->line, TRUE);
      set_color (cr, PARK);
      cairo_fill_preserve (cr);
      if (zoom >= 14)
        {
          set_color (cr, PARK_EDGE);
          cairo_set_line_width (cr, 1);
          cairo_stroke (cr);
        }
      cairo_new_path (cr);
    }

  /* The river. */
  if (visible (&cv, &map->river, 0))
    {
      cairo_new_path (cr);
      trace (&cv, &map->river, TRUE);
      set_color (cr, WATER);
      cairo_fill (cr);
    }

  /* District borders: one translucent group, so where two districts
   * share a side the band is not darker. */
  if (style.border > 0)
    {
      cairo_push_group (cr);
      cairo_set_line_join (cr, CAIRO_LINE_JOIN_ROUND);
      for (guint pass = 0; pass < 2; pass++)
        for (guint i = 0; i < map->districts->len; i++)
          {
            const Area *d = &g_array_index (map->districts, Area, i);

            if (!visible (&cv, &d->line, style.border))
              continue;
            cairo_new_path (cr);
            trace (&cv, &d->line, TRUE);
            set_color (cr, pass == 0 ? BORDER_BAND : BORDER_LINE);
            cairo_set_line_width (cr, pass == 0 ? style.border : 1.0);
            cairo_stroke (cr);
          }
      cairo_pop_group_to_source (cr);
      cairo_paint_with_alpha (cr, 0.55);
    }

  draw_streets (&cv, map, &style, FALSE);
  draw_streets (&cv, map, &style, TRUE);

  /* Landmarks. */
  if (style.landmark_r > 0)
    for (guint i = 0; i < map->landmarks->len; i++)
      {
        const Landmark *lm = &g_array_index (map->landmarks, Landmark, i);
        double x = lm->at.x * cv.scale - cv.ox, y = lm->at.y * cv.scale - cv.oy;

        if (g_str_equal (lm->kind, "village") || x < -10 || y < -10 || x > TILE + 10 || y > TILE + 10)
          continue;
        cairo_new_path (cr);
        cairo_arc (cr, x, y, style.landmark_r, 0, 2 * G_PI);
        set_color (cr, landmark_color (lm->kind));
        cairo_fill_preserve (cr);
        set_color (cr, HALO);
        cairo_set_line_width (cr, 1.5);
        cairo_stroke (cr);
      }

  for (guint i = 0; i < labels->len; i++)
    draw_label (&cv, g_ptr_array_index (labels, i));

  cairo_destroy (cr);
  png = g_byte_array_sized_new (16 * 1024);
  cairo_surface_write_to_png_stream (surface, append_png, png);
  cairo_surface_destroy (surface);
  return g_byte_array_free_to_bytes (png);
}

/* Main ------------------------------------------------------------------------ */

int
main (int   argc,
      char *argv[])
{
  g_autofree char *output = NULL;
  g_autofree char *tmp = NULL;
  g_autoptr(GOptionContext) options = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(CdMbtilesWriter) writer = NULL;
  g_autofree char *bounds_text = NULL;
  g_autofree char *center_text = NULL;
  char num[32], lat[G_ASCII_DTOSTR_BUF_SIZE], lon[G_ASCII_DTOSTR_BUF_SIZE];
  int min_zoom = 10, max_zoom = 17;
  PangoFontMap *font_map;
  PangoContext *context;
  cairo_font_options_t *font_options;
  CdTileBounds bounds;
  CdCity *city;
  Map map = { 0 };
  guint64 n_tiles = 0, n_bytes = 0;
  gint64 started = g_get_monotonic_time ();
  double dlat, dlon;
  const GOptionEntry entries[] = {
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output, "The MBTiles file to write", "FILE" },
    { "min-zoom", 0, 0, G_OPTION_ARG_INT, &min_zoom, "Lowest zoom level (10)", "Z" },
    { "max-zoom", 0, 0, G_OPTION_ARG_INT, &max_zoom, "Highest zoom level (17)", "Z" },
    { NULL }
  };

  options = g_option_context_new ("- render the demo city's map tiles");
  g_option_context_add_main_entries (options, entries, NULL);
  if (!g_option_context_parse (options, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }
  if (output == NULL || min_zoom < 0 || max_zoom > 20 || min_zoom > max_zoom)
    {
      g_printerr ("Usage: crewdesk-render-tiles --output FILE [--min-zoom Z] [--max-zoom Z]\n");
      return 2;
    }

  city = cd_city_get_demo ();
  map_load (&map, city);

  cd_city_get_bounds (city, &bounds.south, &bounds.west, &bounds.north, &bounds.east);
  dlat = MARGIN_M / 111195.0;
  dlon = dlat / cos ((bounds.south + bounds.north) / 2 * G_PI / 180);
  bounds.south -= dlat;
  bounds.north += dlat;
  bounds.west -= dlon;
  bounds.east += dlon;

  tmp = g_strdup_printf ("%s.tmp", output);
  g_unlink (tmp);
  writer = cd_mbtiles_writer_open (tmp, CD_MBTILES_WRITER_DEDUPLICATE, &error);
  if (writer == NULL)
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }

  /* Unhinted outlines: a glyph looks the same in every tile it spans. */
  font_map = pango_cairo_font_map_new ();
  context = pango_font_map_create_context (font_map);
  font_options = cairo_font_options_create ();
  cairo_font_options_set_hint_style (font_options, CAIRO_HINT_STYLE_NONE);
  cairo_font_options_set_hint_metrics (font_options, CAIRO_HINT_METRICS_OFF);
  cairo_font_options_set_antialias (font_options, CAIRO_ANTIALIAS_GRAY);
  pango_cairo_context_set_font_options (context, font_options);
  cairo_font_options_destroy (font_options);

  for (int z = min_zoom; z <= max_zoom; z++)
    {
      g_autoptr(GPtrArray) labels = place_labels (context, &map, z);
      gint64 zoom_started = g_get_monotonic_time ();
      CdTileRange range;

      cd_tile_range_for_bounds (&bounds, z, &range);
      for (int ty = range.y0; ty <= range.y1; ty++)
        for (int tx = range.x0; tx <= range.x1; tx++)
          {
            g_autoptr(GBytes) png = render_tile (&map, labels, z, tx, ty);

            n_bytes += g_bytes_get_size (png);
            if (!cd_mbtiles_writer_put_tile (writer, tx, ty, z, png, &error))
              {
                g_printerr ("%s\n", error->message);
                return 1;
              }
            n_tiles++;
          }
      if (!cd_mbtiles_writer_commit (writer, &error))
        {
          g_printerr ("%s\n", error->message);
          return 1;
        }
      g_print ("zoom %2d: %5" G_GUINT64_FORMAT " tiles, %4u labels, %.2f s\n",
               z, cd_tile_range_count (&range), labels->len,
               (g_get_monotonic_time () - zoom_started) / (double) G_USEC_PER_SEC);
    }

  bounds_text = cd_tile_bounds_to_string (&bounds);
  center_text = g_strdup_printf ("%s,%s,13",
                                 g_ascii_formatd (lon, sizeof lon, "%.6f", (bounds.west + bounds.east) / 2),
                                 g_ascii_formatd (lat, sizeof lat, "%.6f", (bounds.south + bounds.north) / 2));
  if (!cd_mbtiles_writer_set_metadata (writer, "name", "Lanhe demo city", &error)
      || !cd_mbtiles_writer_set_metadata (writer, "format", "png", &error)
      || !cd_mbtiles_writer_set_metadata (writer, "type", "baselayer", &error)
      || !cd_mbtiles_writer_set_metadata (writer, "version", "1", &error)
      || !cd_mbtiles_writer_set_metadata (writer, "description",
                                          "Lanhe, the fictional city of the Crewdesk demo, drawn from its street model", &error)
      || !cd_mbtiles_writer_set_metadata (writer, "attribution", "Lanhe demo city (fictional) · Crewdesk", &error)
      || !cd_mbtiles_writer_set_metadata (writer, "bounds", bounds_text, &error)
      || !cd_mbtiles_writer_set_metadata (writer, "center", center_text, &error)
      || !cd_mbtiles_writer_set_metadata (writer, "minzoom", (g_snprintf (num, sizeof num, "%d", min_zoom), num), &error)
      || !cd_mbtiles_writer_set_metadata (writer, "maxzoom", (g_snprintf (num, sizeof num, "%d", max_zoom), num), &error))
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }

  g_print ("%" G_GUINT64_FORMAT " tiles, %" G_GUINT64_FORMAT " distinct images, %.1f MB of PNG before deduplication, %.2f s\n",
           n_tiles, cd_mbtiles_writer_count_images (writer), n_bytes / 1e6,
           (g_get_monotonic_time () - started) / (double) G_USEC_PER_SEC);

  if (!cd_mbtiles_writer_close (g_steal_pointer (&writer), &error))
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }
  if (g_rename (tmp, output) != 0)
    {
      g_printerr ("Could not rename %s to %s: %s\n", tmp, output, g_strerror (errno));
      return 1;
    }

  g_object_unref (context);
  g_object_unref (font_map);
  map_clear (&map);
  return 0;
}
