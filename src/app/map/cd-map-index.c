/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-map-index.c: the map's geometry, without GTK. */

#include "config.h"

#include <math.h>

#include "cd-map-index.h"

#define MAX_LATITUDE 85.0511287798

/* A cell's accumulator while clustering. */
typedef struct {
  gint64 key;
  guint  count;
  double sum_x, sum_y;
  guint  rank;
  guint  top;
  double min_x, min_y, max_x, max_y;
  gint   cluster;          /* index in the output, -1 before it is placed */
} Cell;

void
cd_map_project (double  lat,
                double  lon,
                double *u,
                double *v)
{
  double s;

  lat = CLAMP (lat, -MAX_LATITUDE, MAX_LATITUDE);
  lon = CLAMP (lon, -180.0, 180.0);
  s = sin (lat * G_PI / 180.0);

  *u = (lon + 180.0) / 360.0;
  *v = 0.5 - log ((1.0 + s) / (1.0 - s)) / (4.0 * G_PI);
}

void
cd_map_unproject (double  u,
                  double  v,
                  double *lat,
                  double *lon)
{
  double n = G_PI - 2.0 * G_PI * v;

  *lon = u * 360.0 - 180.0;
  *lat = 180.0 / G_PI * atan (0.5 * (exp (n) - exp (-n)));
}

gboolean
cd_map_rect_contains (const CdMapRect *rect,
                      double           margin,
                      double           x,
                      double           y)
{
  return x >= rect->x - margin && x <= rect->x + rect->width + margin &&
         y >= rect->y - margin && y <= rect->y + rect->height + margin;
}

/* Folds every cluster into the first one closer than @distance, until
 * none are that close. Order decides who absorbs whom, and the order is
 * the input's, so the result does not depend on the view. */
static void
merge_close_clusters (GArray *clusters,
                      guint   first,
                      double  distance)
{
  gboolean merged = TRUE;
  double d2 = distance * distance;

  while (merged)
    {
      merged = FALSE;
      for (guint i = first; i < clusters->len; i++)
        {
          CdMapCluster *a = &g_array_index (clusters, CdMapCluster, i);

          for (guint j = i + 1; j < clusters->len; j++)
            {
              CdMapCluster *b = &g_array_index (clusters, CdMapCluster, j);
              double dx = a->x - b->x, dy = a->y - b->y;
              guint count;

              if (dx * dx + dy * dy >= d2)
                continue;

              count = a->count + b->count;
              a->x = (a->x * a->count + b->x * b->count) / count;
              a->y = (a->y * a->count + b->y * b->count) / count;
              a->count = count;
              if (b->rank > a->rank)
                {
                  a->rank = b->rank;
                  a->top = b->top;
                }
              a->min_x = MIN (a->min_x, b->min_x);
              a->min_y = MIN (a->min_y, b->min_y);
              a->max_x = MAX (a->max_x, b->max_x);
              a->max_y = MAX (a->max_y, b->max_y);
              g_array_remove_index (clusters, j);
              merged = TRUE;
              j--;
            }
        }
    }
}

static inline gint64
cell_key (gint64 cx,
          gint64 cy)
{
  /* 32 bits each: enough for 64 px cells up to zoom 30. */
  return (gint64) (((guint64) (guint32) cx << 32) | (guint32) cy);
}

static inline guint
hash_key (gint64 key)
{
  guint64 h = (guint64) key * G_GUINT64_CONSTANT (0x9E3779B97F4A7C15);

  return (guint) (h >> 32);
}

void
cd_map_cluster (const CdMapPoint *points,
                guint             n_points,
                const CdMapRect  *view,
                double            margin,
                double            cell_size,
                guint             min_count,
                double            merge_distance,
                GArray           *singles,
                GArray           *clusters)
{
  g_autofree Cell *cells = NULL;
  g_autofree gint *slot_of = NULL;
  double x0, y0, x1, y1, reach;
  guint capacity = 16;
  guint first_cluster = clusters->len;

  g_return_if_fail (points != NULL || n_points == 0);
  g_return_if_fail (view != NULL);
  g_return_if_fail (singles != NULL && clusters != NULL);

  if (cell_size <= 0 || min_count < 2)
    {
      for (guint i = 0; i < n_points; i++)
        if (cd_map_rect_contains (view, margin, points[i].x, points[i].y))
          g_array_append_val (singles, points[i]);
      return;
    }

  /* Cells a merge could reach from the view count too. */
  reach = margin + MAX (merge_distance, 0);
  x0 = floor ((view->x - reach) / cell_size);
  y0 = floor ((view->y - reach) / cell_size);
  x1 = floor ((view->x + view->width + reach) / cell_size);
  y1 = floor ((view->y + view->height + reach) / cell_size);

  while (capacity < 2 * n_points)
    capacity <<= 1;
  cells = g_new (Cell, capacity);
  for (guint i = 0; i < capacity; i++)
    cells[i].count = 0;
  slot_of = g_new (gint, MAX (n_points, 1));

  /* Pass 1: count the points of every cell that touches the view. */
  for (guint i = 0; i < n_points; i++)
    {
      const CdMapPoint *p = &points[i];
      double cx = floor (p->x / cell_size);
      double cy = floor (p->y / cell_size);
      gint64 key;
      guint h;
      Cell *cell;

      slot_of[i] = -1;
      if (!(cx >= x0 && cx <= x1 && cy >= y0 && cy <= y1))
        continue;

      key = cell_key ((gint64) cx, (gint64) cy);
      for (h = hash_key (key) & (capacity - 1);
           cells[h].count != 0 && cells[h].key != key;
           h = (h + 1) & (capacity - 1))
        ;
      cell = &cells[h];
      if (cell->count == 0)
        {
          cell->key = key;
          cell->sum_x = cell->sum_y = 0;
          cell->rank = p->rank;
          cell->top = p->id;
          cell->min_x = cell->max_x = p->x;
          cell->min_y = cell->max_y = p->y;
          cell->cluster = -1;
        }
      cell->count++;
      cell->sum_x += p->x;
      cell->sum_y += p->y;
      if (p->rank > cell->rank)
        {
          cell->rank = p->rank;
          cell->top = p->id;
        }
      cell->min_x = MIN (cell->min_x, p->x);
      cell->min_y = MIN (cell->min_y, p->y);
      cell->max_x = MAX (cell->max_x, p->x);
      cell->max_y = MAX (cell->max_y, p->y);
      slot_of[i] = (gint) h;
    }

  /* Pass 2: in input order, so the output does not depend on hashing. */
  for (guint i = 0; i < n_points; i++)
    {
      Cell *cell;

      if (slot_of[i] < 0)
        continue;

      cell = &cells[slot_of[i]];
      if (cell->count >= min_count)
        {
          if (cell->cluster < 0)
            {
              CdMapCluster c = {
                .x = cell->sum_x / cell->count,
                .y = cell->sum_y / cell->count,
                .count = cell->count,
                .rank = cell->rank,
                .top = cell->top,
                .min_x = cell->min_x, .min_y = cell->min_y,
                .max_x = cell->max_x, .max_y = cell->max_y,
              };

              cell->cluster = (gint) clusters->len;
              g_array_append_val (clusters, c);
            }
        }
      else if (cd_map_rect_contains (view, margin, points[i].x, points[i].y))
        {
          g_array_append_val (singles, points[i]);
        }
    }

  if (merge_distance > 0)
    merge_close_clusters (clusters, first_cluster, merge_distance);
}

gint
cd_map_hit_test (const CdMapTarget *targets,
                 guint              n_targets,
                 double             x,
                 double             y,
                 double             slop)
{
  gint best = -1;
  double best_d2 = 0;

  g_return_val_if_fail (targets != NULL || n_targets == 0, -1);

  for (guint i = 0; i < n_targets; i++)
    {
      const CdMapTarget *t = &targets[i];
      double dx = t->x - x, dy = t->y - y;
      double d2 = dx * dx + dy * dy;
      double r = t->radius + slop;

      if (d2 > r * r)
        continue;

      if (best < 0 ||
          t->layer > targets[best].layer ||
          (t->layer == targets[best].layer && d2 <= best_d2))
        {
          best = (gint) i;
          best_d2 = d2;
        }
    }

  return best;
}

gint
cd_map_step_direction (const CdMapPoint *points,
                       guint             n_points,
                       guint             current,
                       double            dx,
                       double            dy)
{
  double len = hypot (dx, dy);
  double ux, uy;
  double best_score = INFINITY;
  gint best = -1;

  g_return_val_if_fail (current < n_points, -1);

  if (len == 0)
    return -1;
  ux = dx / len;
  uy = dy / len;

  for (guint i = 0; i < n_points; i++)
    {
      double px = points[i].x - points[current].x;
      double py = points[i].y - points[current].y;
      double along = px * ux + py * uy;
      double across = fabs (px * uy - py * ux);
      double score;

      if (i == current || along <= 0)
        continue;
      /* Within 60° of the direction: tan 60° = 1.732. */
      if (across > along * 1.7320508)
        continue;

      score = along + 2 * across;
      if (score < best_score)
        {
          best_score = score;
          best = (gint) i;
        }
    }

  return best;
}

typedef struct {
  double band;
  const CdMapPoint *points;
} ReadingOrder;

static gint
compare_reading_order (gconstpointer a,
                       gconstpointer b,
                       gpointer      user_data)
{
  const ReadingOrder *order = user_data;
  const CdMapPoint *pa = &order->points[*(const guint *) a];
  const CdMapPoint *pb = &order->points[*(const guint *) b];
  double ra = floor (pa->y / order->band);
  double rb = floor (pb->y / order->band);

  if (ra != rb)
    return ra < rb ? -1 : 1;
  if (pa->x != pb->x)
    return pa->x < pb->x ? -1 : 1;
  if (pa->y != pb->y)
    return pa->y < pb->y ? -1 : 1;
  return (gint) *(const guint *) a - (gint) *(const guint *) b;
}

gint
cd_map_step_reading_order (const CdMapPoint *points,
                           guint             n_points,
                           gint              current,
                           double            band,
                           gboolean          backwards)
{
  g_autofree guint *order = NULL;
  ReadingOrder data = { band > 0 ? band : 1, points };
  gint at = -1;

  g_return_val_if_fail (current < (gint) n_points, -1);

  if (n_points == 0)
    return -1;

  order = g_new (guint, n_points);
  for (guint i = 0; i < n_points; i++)
    order[i] = i;
  g_qsort_with_data (order, n_points, sizeof (guint), compare_reading_order, &data);

  if (current >= 0)
    for (guint i = 0; i < n_points; i++)
      if (order[i] == (guint) current)
        at = (gint) i;

  if (backwards)
    at = current < 0 ? (gint) n_points - 1 : at - 1;
  else
    at = current < 0 ? 0 : at + 1;

  if (at < 0 || at >= (gint) n_points)
    return -1;

  return (gint) order[at];
}

gboolean
cd_map_fit (double  south,
            double  west,
            double  north,
            double  east,
            double  width,
            double  height,
            double  tile_size,
            double  padding,
            double  min_zoom,
            double  max_zoom,
            double *lat,
            double *lon,
            double *zoom)
{
  double u0, v0, u1, v1;
  double avail_w, avail_h;
  double z = max_zoom;

  if (!(south <= north && west <= east) || tile_size <= 0)
    return FALSE;

  cd_map_project (north, west, &u0, &v0);
  cd_map_project (south, east, &u1, &v1);

  avail_w = MAX (width - 2 * padding, 1.0);
  avail_h = MAX (height - 2 * padding, 1.0);

  if (u1 - u0 > 0)
    z = MIN (z, log2 (avail_w / ((u1 - u0) * tile_size)));
  if (v1 - v0 > 0)
    z = MIN (z, log2 (avail_h / ((v1 - v0) * tile_size)));

  *zoom = CLAMP (z, min_zoom, max_zoom);
  cd_map_unproject ((u0 + u1) / 2, (v0 + v1) / 2, lat, lon);

  return TRUE;
}

static double
normalize_heading (double h)
{
  h = fmod (h, 360.0);
  if (h < 0)
    h += 360.0;
  /* fmod of a tiny negative number rounds up to 360 itself. */
  return h >= 360.0 ? 0.0 : h;
}

double
cd_map_lerp_heading (double a,
                     double b,
                     double t)
{
  double d = normalize_heading (b - a);

  if (d > 180.0)
    d -= 360.0;

  return normalize_heading (a + d * t);
}

void
cd_map_motion_init (CdMapMotion *motion,
                    double       lat,
                    double       lon,
                    double       heading)
{
  motion->from_lat = motion->to_lat = lat;
  motion->from_lon = motion->to_lon = lon;
  motion->from_heading = motion->to_heading = normalize_heading (heading);
  motion->start = 0;
  motion->duration = 0;
}

gboolean
cd_map_motion_sample (const CdMapMotion *motion,
                      gint64             now,
                      double            *lat,
                      double            *lon,
                      double            *heading)
{
  double t;

  if (motion->duration <= 0 || now >= motion->start + motion->duration)
    {
      *lat = motion->to_lat;
      *lon = motion->to_lon;
      *heading = motion->to_heading;
      return FALSE;
    }

  t = now <= motion->start ? 0.0 : (double) (now - motion->start) / (double) motion->duration;
  /* Linear: a vehicle between two reports drives at a steady speed, and
   * the next report continues the line without a visible jolt. */
  *lat = motion->from_lat + (motion->to_lat - motion->from_lat) * t;
  *lon = motion->from_lon + (motion->to_lon - motion->from_lon) * t;
  *heading = cd_map_lerp_heading (motion->from_heading, motion->to_heading, t);

  return TRUE;
}

void
cd_map_motion_retarget (CdMapMotion *motion,
                        gint64       now,
                        double       lat,
                        double       lon,
                        double       heading,
                        gint64       duration)
{
  double cur_lat, cur_lon, cur_heading;

  cd_map_motion_sample (motion, now, &cur_lat, &cur_lon, &cur_heading);

  motion->from_lat = cur_lat;
  motion->from_lon = cur_lon;
  motion->from_heading = cur_heading;
  motion->to_lat = lat;
  motion->to_lon = lon;
  motion->to_heading = normalize_heading (heading);
  motion->start = now;
  motion->duration = MAX (duration, 0);
}

void
cd_map_trail_push (CdMapTrail *trail,
                   double      lat,
                   double      lon)
{
  guint slot;

  if (trail->len > 0)
    {
      double last_lat, last_lon;

      cd_map_trail_get (trail, trail->len - 1, &last_lat, &last_lon);
      if (last_lat == lat && last_lon == lon)
        return;
    }

  if (trail->len < CD_MAP_TRAIL_MAX)
    {
      slot = (trail->head + trail->len) % CD_MAP_TRAIL_MAX;
      trail->len++;
    }
  else
    {
      slot = trail->head;
      trail->head = (trail->head + 1) % CD_MAP_TRAIL_MAX;
    }

  trail->lat[slot] = lat;
  trail->lon[slot] = lon;
}

void
cd_map_trail_get (const CdMapTrail *trail,
                  guint             i,
                  double           *lat,
                  double           *lon)
{
  guint slot;

  g_return_if_fail (i < trail->len);

  slot = (trail->head + i) % CD_MAP_TRAIL_MAX;
  *lat = trail->lat[slot];
  *lon = trail->lon[slot];
}
