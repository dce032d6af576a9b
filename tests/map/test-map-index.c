/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-map-index.c: the map's geometry and filter rules, without a
 * display: culling, clustering by zoom, hit-testing, keyboard steps,
 * fitting, crew glides and trails, the filter and the SLA colour. */
#include "config.h"

#include <math.h>

#include "cd-map-filter.h"
#include "cd-map-index.h"
#include "cd-model.h"

#define TILE 256.0

/* Culling -------------------------------------------------------------- */

static void
test_cull (void)
{
  static const struct {
    double x, y;
    double margin;
    gboolean inside;
  } cases[] = {
    { 50, 50, 0, TRUE },
    { 0, 0, 0, TRUE },            /* the edges belong to the view */
    { 100, 80, 0, TRUE },
    { 100.5, 80, 0, FALSE },
    { -1, 40, 0, FALSE },
    { -1, 40, 2, TRUE },          /* a symbol's half past the edge */
    { 40, 85, 4, FALSE },
    { 40, 84, 4, TRUE },
    { 130, 130, 20, FALSE },
  };
  const CdMapRect view = { 0, 0, 100, 80 };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GArray) singles = g_array_new (FALSE, FALSE, sizeof (CdMapPoint));
      g_autoptr(GArray) clusters = g_array_new (FALSE, FALSE, sizeof (CdMapCluster));
      CdMapPoint p = { cases[i].x, cases[i].y, 7, 0 };

      g_test_message ("case %u: (%g, %g) margin %g", i, cases[i].x, cases[i].y, cases[i].margin);
      g_assert_cmpint (cd_map_rect_contains (&view, cases[i].margin, p.x, p.y), ==, cases[i].inside);
      /* Without a grid, clustering only culls. */
      cd_map_cluster (&p, 1, &view, cases[i].margin, 0, 3, 0, singles, clusters);
      g_assert_cmpuint (clusters->len, ==, 0);
      g_assert_cmpuint (singles->len, ==, cases[i].inside ? 1 : 0);
      if (cases[i].inside)
        g_assert_cmpuint (g_array_index (singles, CdMapPoint, 0).id, ==, 7);
    }
}

/* Clustering ------------------------------------------------------------- */

/* A street block of 6 tickets within 40 m, a pair 3 km east, one ticket
 * 8 km north: degrees around the demo city. */
static const struct {
  double lat, lon;
} city_points[] = {
  { 39.90010, 116.60010 },
  { 39.90020, 116.60030 },
  { 39.90005, 116.60040 },
  { 39.90030, 116.60020 },
  { 39.90025, 116.60005 },
  { 39.90015, 116.60035 },
  { 39.90020, 116.63510 },
  { 39.90030, 116.63530 },
  { 39.97210, 116.60020 },
};

static void
project_city (double     zoom,
              CdMapPoint *points)
{
  double size = TILE * pow (2, zoom);

  for (guint i = 0; i < G_N_ELEMENTS (city_points); i++)
    {
      double u, v;

      cd_map_project (city_points[i].lat, city_points[i].lon, &u, &v);
      points[i].x = u * size;
      points[i].y = v * size;
      points[i].id = i;
      points[i].rank = i == 3 ? 5 : 1;
    }
}

static void
test_cluster_zoom (void)
{
  /* Cells of 72 px, 3 or more merge. */
  static const struct {
    double zoom;
    guint  n_clusters;
    guint  n_singles;
    guint  biggest;
  } cases[] = {
    { 6, 1, 0, 9 },       /* the whole city in one cell */
    { 8, 1, 2, 7 },       /* the pair 3 km east leaves; 2 are too few to merge */
    { 12, 1, 3, 6 },      /* the block merges; the pair and the far one stay */
    { 15, 1, 3, 6 },
    { 18, 1, 5, 4 },      /* the block (40 m, ~100 px) spans cells now */
    { 19, 0, 9, 0 },      /* no cell holds 3: everything on its own */
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GArray) singles = g_array_new (FALSE, FALSE, sizeof (CdMapPoint));
      g_autoptr(GArray) clusters = g_array_new (FALSE, FALSE, sizeof (CdMapCluster));
      CdMapPoint points[G_N_ELEMENTS (city_points)];
      CdMapRect view;
      guint total = 0, biggest = 0;

      project_city (cases[i].zoom, points);
      /* A view holding every point at this zoom. */
      view.x = points[0].x - 100;
      view.y = points[8].y - 100;
      view.width = points[7].x - points[0].x + 200;
      view.height = points[2].y - points[8].y + 200;

      cd_map_cluster (points, G_N_ELEMENTS (points), &view, 0, 72, 3, 0, singles, clusters);

      g_test_message ("zoom %g: %u clusters, %u singles", cases[i].zoom, clusters->len, singles->len);
      g_assert_cmpuint (clusters->len, ==, cases[i].n_clusters);
      g_assert_cmpuint (singles->len, ==, cases[i].n_singles);
      for (guint k = 0; k < clusters->len; k++)
        {
          CdMapCluster *c = &g_array_index (clusters, CdMapCluster, k);

          total += c->count;
          biggest = MAX (biggest, c->count);
          /* The centroid lies within the members' bounds, and the most
           * urgent member (rank 5) names it. */
          g_assert_cmpfloat (c->x, >=, c->min_x);
          g_assert_cmpfloat (c->x, <=, c->max_x);
          g_assert_cmpfloat (c->y, >=, c->min_y);
          g_assert_cmpfloat (c->y, <=, c->max_y);
          g_assert_cmpuint (c->rank, ==, 5);
          g_assert_cmpuint (c->top, ==, 3);
        }
      g_assert_cmpuint (biggest, ==, cases[i].biggest);
      /* Nobody lost, nobody counted twice. */
      g_assert_cmpuint (total + singles->len, ==, G_N_ELEMENTS (points));
    }
}

static void
test_cluster_pan_stable (void)
{
  /* A cloud of points; clusters must not change while the view pans by
   * amounts that are not multiples of the cell. */
  g_autoptr(GArray) points = g_array_new (FALSE, FALSE, sizeof (CdMapPoint));
  GRand *rand = g_rand_new_with_seed (20261123);
  const double pans[][2] = { { 0, 0 }, { 13, 7 }, { -37, 29 }, { 71, -71 }, { 5.5, 0.25 } };
  g_autoptr(GArray) reference = NULL;

  for (guint i = 0; i < 3000; i++)
    {
      CdMapPoint p = { g_rand_double_range (rand, 0, 2000), g_rand_double_range (rand, 0, 1500), i, 0 };

      g_array_append_val (points, p);
    }
  g_rand_free (rand);

  for (guint k = 0; k < G_N_ELEMENTS (pans); k++)
    {
      g_autoptr(GArray) singles = g_array_new (FALSE, FALSE, sizeof (CdMapPoint));
      g_autoptr(GArray) clusters = g_array_new (FALSE, FALSE, sizeof (CdMapCluster));
      CdMapRect view = { 500 + pans[k][0], 400 + pans[k][1], 800, 600 };
      CdMapRect inner = { 700, 600, 400, 200 };
      g_autoptr(GArray) inside = g_array_new (FALSE, FALSE, sizeof (CdMapCluster));

      cd_map_cluster ((CdMapPoint *) (gpointer) points->data, points->len, &view, 0, 72, 3, 44, singles, clusters);

      /* Compare the clusters well inside every view. */
      for (guint i = 0; i < clusters->len; i++)
        {
          CdMapCluster *c = &g_array_index (clusters, CdMapCluster, i);

          if (cd_map_rect_contains (&inner, 0, c->x, c->y))
            g_array_append_val (inside, *c);
        }
      g_assert_cmpuint (inside->len, >, 5);

      if (reference == NULL)
        {
          reference = g_array_ref (inside);
          continue;
        }

      g_assert_cmpuint (inside->len, ==, reference->len);
      for (guint i = 0; i < inside->len; i++)
        {
          CdMapCluster *a = &g_array_index (inside, CdMapCluster, i);
          CdMapCluster *b = &g_array_index (reference, CdMapCluster, i);

          g_assert_cmpuint (a->count, ==, b->count);
          g_assert_cmpfloat_with_epsilon (a->x, b->x, 1e-9);
          g_assert_cmpfloat_with_epsilon (a->y, b->y, 1e-9);
        }
    }
}

static void
test_cluster_edge_cell (void)
{
  /* A cell cut by the view's edge still counts all its members. */
  const CdMapPoint points[] = {
    { 10, 10, 0, 0 }, { 20, 20, 1, 0 }, { 60, 60, 2, 0 }, { 65, 10, 3, 0 },
  };
  const CdMapRect view = { 50, 0, 100, 100 };
  g_autoptr(GArray) singles = g_array_new (FALSE, FALSE, sizeof (CdMapPoint));
  g_autoptr(GArray) clusters = g_array_new (FALSE, FALSE, sizeof (CdMapCluster));

  cd_map_cluster (points, G_N_ELEMENTS (points), &view, 0, 72, 3, 0, singles, clusters);
  g_assert_cmpuint (clusters->len, ==, 1);
  g_assert_cmpuint (g_array_index (clusters, CdMapCluster, 0).count, ==, 4);
  g_assert_cmpuint (singles->len, ==, 0);

  /* Below the threshold the same cell's points are culled one by one. */
  g_array_set_size (clusters, 0);
  cd_map_cluster (points, G_N_ELEMENTS (points), &view, 0, 72, 5, 0, singles, clusters);
  g_assert_cmpuint (clusters->len, ==, 0);
  g_assert_cmpuint (singles->len, ==, 2);
  g_assert_cmpuint (g_array_index (singles, CdMapPoint, 0).id, ==, 2);
  g_assert_cmpuint (g_array_index (singles, CdMapPoint, 1).id, ==, 3);
}

static void
test_cluster_merge (void)
{
  /* Three points each side of the edge x = 72 between two cells, and a
   * third group two cells away. */
  const CdMapPoint points[] = {
    { 60, 30, 0, 0 }, { 62, 34, 1, 0 }, { 65, 40, 2, 4 },
    { 80, 30, 3, 0 }, { 84, 36, 4, 0 }, { 86, 38, 5, 0 },
    { 200, 30, 6, 0 }, { 205, 30, 7, 0 }, { 210, 30, 8, 0 },
  };
  static const struct {
    double merge;
    guint  n_clusters;
    guint  first_count;
  } cases[] = {
    { 0, 3, 3 },         /* the grid alone: the pair of cells shows two badges 20 px apart */
    { 44, 2, 6 },        /* merged into one badge of six */
    { 200, 1, 9 },       /* everything within reach */
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GArray) singles = g_array_new (FALSE, FALSE, sizeof (CdMapPoint));
      g_autoptr(GArray) clusters = g_array_new (FALSE, FALSE, sizeof (CdMapCluster));
      const CdMapRect view = { 0, 0, 300, 100 };
      CdMapCluster *first;
      guint total = 0;

      cd_map_cluster (points, G_N_ELEMENTS (points), &view, 0, 72, 3, cases[i].merge, singles, clusters);
      g_test_message ("merge %g: %u clusters", cases[i].merge, clusters->len);
      g_assert_cmpuint (clusters->len, ==, cases[i].n_clusters);
      g_assert_cmpuint (singles->len, ==, 0);
      first = &g_array_index (clusters, CdMapCluster, 0);
      g_assert_cmpuint (first->count, ==, cases[i].first_count);
      /* The most urgent member still names the merged cluster. */
      g_assert_cmpuint (first->top, ==, 2);
      g_assert_cmpuint (first->rank, ==, 4);
      g_assert_cmpfloat (first->min_x, ==, 60);
      for (guint k = 0; k < clusters->len; k++)
        total += g_array_index (clusters, CdMapCluster, k).count;
      g_assert_cmpuint (total, ==, G_N_ELEMENTS (points));
    }
}

/* Hit-testing ------------------------------------------------------------ */

enum { CLUSTER, TICKET, CREW_CLUSTER, CREW };

static void
test_hit_test (void)
{
  const CdMapTarget targets[] = {
    /* 0 */ { 100, 100, 10, TICKET },
    /* 1 */ { 108, 100, 10, TICKET },
    /* 2 */ { 120, 100, 11, CREW },
    /* 3 */ { 300, 300, 16, CLUSTER },
    /* 4 */ { 305, 300, 8, TICKET },
    /* 5 */ { 500, 500, 8, TICKET },
    /* 6 */ { 500, 500, 8, TICKET },
  };
  static const struct {
    double x, y, slop;
    gint   expected;
  } cases[] = {
    { 100, 100, 0, 0 },       /* right on a ticket */
    { 103, 100, 0, 0 },       /* nearer the first */
    { 105, 100, 0, 1 },       /* nearer the second */
    { 110, 100, 0, 2 },       /* inside both tickets and the crew: the crew */
    { 131, 100, 0, 2 },       /* the crew's edge */
    { 132, 100, 0, -1 },      /* just outside */
    { 132, 100, 6, 2 },       /* within reach of a finger */
    { 140, 100, 6, -1 },
    { 300, 300, 0, 4 },       /* a ticket above its cluster */
    { 290, 300, 0, 3 },       /* only the cluster */
    { 500, 500, 0, 6 },       /* two on one spot: the one drawn last */
    { 0, 0, 50, -1 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_test_message ("case %u: (%g, %g)", i, cases[i].x, cases[i].y);
      g_assert_cmpint (cd_map_hit_test (targets, G_N_ELEMENTS (targets), cases[i].x, cases[i].y, cases[i].slop),
                       ==, cases[i].expected);
    }

  g_assert_cmpint (cd_map_hit_test (NULL, 0, 1, 1, 10), ==, -1);
}

/* Keyboard steps --------------------------------------------------------- */

static void
test_steps (void)
{
  /*   0 . 1
   *   . 2 .
   *   3 . 4      (cells of 100 px) */
  const CdMapPoint points[] = {
    { 0, 0, 0, 0 }, { 200, 5, 1, 0 }, { 100, 100, 2, 0 }, { 0, 210, 3, 0 }, { 200, 200, 4, 0 },
  };
  static const struct {
    guint from;
    double dx, dy;
    gint expected;
  } dirs[] = {
    { 2, 1, 0, 1 },           /* 1 and 4 both ~45° off: the one nearer the line */
    { 0, 1, 0, 1 },
    { 0, 0, 1, 3 },
    { 2, -1, -1, 0 },
    { 4, 0, -1, 1 },
    { 4, -1, 0, 3 },
    { 3, 0, 1, -1 },          /* nothing below */
    { 1, 1, 0, -1 },
  };
  const gint order[] = { 0, 1, 2, 3, 4 };
  gint at = -1;

  for (guint i = 0; i < G_N_ELEMENTS (dirs); i++)
    {
      gint expected = dirs[i].expected;

      g_test_message ("step %u", i);
      g_assert_cmpint (cd_map_step_direction (points, G_N_ELEMENTS (points), dirs[i].from, dirs[i].dx, dirs[i].dy),
                       ==, expected);
    }

  /* Tab: rows of 50 px, so 0 and 1 (y 0 and 5) are one row. */
  for (guint i = 0; i < G_N_ELEMENTS (order); i++)
    {
      at = cd_map_step_reading_order (points, G_N_ELEMENTS (points), at, 50, FALSE);
      g_assert_cmpint (at, ==, order[i]);
    }
  g_assert_cmpint (cd_map_step_reading_order (points, G_N_ELEMENTS (points), at, 50, FALSE), ==, -1);
  at = -1;
  for (gint i = G_N_ELEMENTS (order) - 1; i >= 0; i--)
    {
      at = cd_map_step_reading_order (points, G_N_ELEMENTS (points), at, 50, TRUE);
      g_assert_cmpint (at, ==, order[i]);
    }
  g_assert_cmpint (cd_map_step_reading_order (points, G_N_ELEMENTS (points), at, 50, TRUE), ==, -1);
  g_assert_cmpint (cd_map_step_reading_order (NULL, 0, -1, 50, FALSE), ==, -1);
}

/* Projection and fitting ------------------------------------------------ */

static void
test_project (void)
{
  static const struct {
    double lat, lon, u, v;
  } cases[] = {
    { 0, 0, 0.5, 0.5 },
    { 0, -180, 0, 0.5 },
    { 0, 180, 1, 0.5 },
    { 85.0511287798, 0, 0.5, 0 },
    { -85.0511287798, 0, 0.5, 1 },
    { 89.9, 0, 0.5, 0 },            /* clamped */
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      double u, v, lat, lon;

      cd_map_project (cases[i].lat, cases[i].lon, &u, &v);
      g_assert_cmpfloat_with_epsilon (u, cases[i].u, 1e-9);
      g_assert_cmpfloat_with_epsilon (v, cases[i].v, 1e-9);
      cd_map_unproject (u, v, &lat, &lon);
      g_assert_cmpfloat_with_epsilon (lon, cases[i].lon, 1e-9);
      g_assert_cmpfloat_with_epsilon (lat, CLAMP (cases[i].lat, -85.0511287798, 85.0511287798), 1e-7);
    }
}

static void
test_fit (void)
{
  double lat, lon, zoom, u0, v0, u1, v1, size;

  /* The demo city (about 12 × 10 km) in a 1000 × 700 window. */
  g_assert_true (cd_map_fit (39.855, 116.53, 39.945, 116.67, 1000, 700, TILE, 40, 2, 18, &lat, &lon, &zoom));
  g_assert_cmpfloat_with_epsilon (lon, 116.60, 1e-9);
  g_assert_cmpfloat (fabs (lat - 39.90), <, 0.001);
  /* Everything fits, and one more zoom level would not. */
  cd_map_project (39.945, 116.53, &u0, &v0);
  cd_map_project (39.855, 116.67, &u1, &v1);
  size = TILE * pow (2, zoom);
  g_assert_cmpfloat ((u1 - u0) * size, <=, 920 + 1e-6);
  g_assert_cmpfloat ((v1 - v0) * size, <=, 620 + 1e-6);
  g_assert_cmpfloat (MAX ((u1 - u0) * size * 2 - 920, (v1 - v0) * size * 2 - 620), >, 0);

  /* One point: as close as allowed. */
  g_assert_true (cd_map_fit (39.9, 116.6, 39.9, 116.6, 1000, 700, TILE, 40, 2, 16, &lat, &lon, &zoom));
  g_assert_cmpfloat (zoom, ==, 16);
  /* The whole world: as far as allowed. */
  g_assert_true (cd_map_fit (-80, -179, 80, 179, 300, 200, TILE, 0, 3, 16, &lat, &lon, &zoom));
  g_assert_cmpfloat (zoom, ==, 3);
  /* Nothing to fit. */
  g_assert_false (cd_map_fit (40, 116, 39, 117, 1000, 700, TILE, 40, 2, 16, &lat, &lon, &zoom));
}

/* Crews gliding ---------------------------------------------------------- */

static void
test_heading (void)
{
  static const struct {
    double a, b, t, expected;
  } cases[] = {
    { 350, 10, 0.0, 350 },
    { 350, 10, 0.25, 355 },
    { 350, 10, 0.5, 0 },          /* across north, not through south */
    { 350, 10, 0.75, 5 },
    { 350, 10, 1.0, 10 },
    { 10, 350, 0.5, 0 },
    { 10, 350, 0.75, 355 },
    { 90, 270, 0.5, 180 },        /* half a turn: clockwise */
    { 0, 90, 0.5, 45 },
    { 720, 10, 0.0, 0 },
    { -90, 0, 0.5, 315 },
    { 180, 180, 0.3, 180 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      double h = cd_map_lerp_heading (cases[i].a, cases[i].b, cases[i].t);

      g_test_message ("%g → %g at %g: %g", cases[i].a, cases[i].b, cases[i].t, h);
      g_assert_cmpfloat (h, >=, 0);
      g_assert_cmpfloat (h, <, 360);
      g_assert_cmpfloat_with_epsilon (h, cases[i].expected, 1e-9);
    }
}

static void
test_motion (void)
{
  CdMapMotion m;
  double lat, lon, heading;
  static const struct {
    gint64 at;
    double lat, lon, heading;
    gboolean moving;
  } samples[] = {
    { 1000, 39.9, 116.6, 350, TRUE },        /* the start */
    { 1500, 39.905, 116.61, 355, TRUE },     /* a quarter */
    { 3000, 39.92, 116.64, 10, TRUE },       /* the middle: heading passes north */
    { 4999, 39.92, 116.64, 10, TRUE },
    { 5000, 39.94, 116.68, 30, FALSE },      /* arrived */
    { 9000, 39.94, 116.68, 30, FALSE },
  };

  cd_map_motion_init (&m, 39.9, 116.6, 350);
  g_assert_false (cd_map_motion_sample (&m, 0, &lat, &lon, &heading));
  g_assert_cmpfloat (lat, ==, 39.9);
  g_assert_cmpfloat (heading, ==, 350);

  cd_map_motion_retarget (&m, 1000, 39.94, 116.68, 30, 4000);
  for (guint i = 0; i < G_N_ELEMENTS (samples); i++)
    {
      gboolean moving = cd_map_motion_sample (&m, samples[i].at, &lat, &lon, &heading);

      g_test_message ("at %" G_GINT64_FORMAT ": %g %g %g", samples[i].at, lat, lon, heading);
      g_assert_cmpint (moving, ==, samples[i].moving);
      if (samples[i].at == 4999)
        continue;     /* just shy of the end: only check it still moves */
      g_assert_cmpfloat_with_epsilon (lat, samples[i].lat, 1e-9);
      g_assert_cmpfloat_with_epsilon (lon, samples[i].lon, 1e-9);
      g_assert_cmpfloat_with_epsilon (heading, samples[i].heading, 1e-9);
    }

  /* A new report half way: it carries on from where it is drawn. */
  cd_map_motion_retarget (&m, 3000, 39.95, 116.70, 90, 2000);
  g_assert_true (cd_map_motion_sample (&m, 3000, &lat, &lon, &heading));
  g_assert_cmpfloat_with_epsilon (lat, 39.92, 1e-9);
  g_assert_cmpfloat_with_epsilon (lon, 116.64, 1e-9);
  g_assert_cmpfloat_with_epsilon (heading, 10, 1e-9);
  g_assert_true (cd_map_motion_sample (&m, 4000, &lat, &lon, &heading));
  g_assert_cmpfloat_with_epsilon (lat, 39.935, 1e-9);
  g_assert_cmpfloat_with_epsilon (heading, 50, 1e-9);
  g_assert_false (cd_map_motion_sample (&m, 5000, &lat, &lon, &heading));
  g_assert_cmpfloat (lon, ==, 116.70);

  /* Duration 0 jumps. */
  cd_map_motion_retarget (&m, 6000, 1, 2, 3, 0);
  g_assert_false (cd_map_motion_sample (&m, 6000, &lat, &lon, &heading));
  g_assert_cmpfloat (lat, ==, 1);
  g_assert_cmpfloat (lon, ==, 2);
  g_assert_cmpfloat (heading, ==, 3);
}

static void
test_trail (void)
{
  CdMapTrail trail = { 0 };
  double lat, lon;

  cd_map_trail_push (&trail, 1, 1);
  cd_map_trail_push (&trail, 1, 1);     /* standing still adds nothing */
  g_assert_cmpuint (trail.len, ==, 1);

  for (guint i = 2; i <= CD_MAP_TRAIL_MAX + 5; i++)
    cd_map_trail_push (&trail, i, i * 10);

  g_assert_cmpuint (trail.len, ==, CD_MAP_TRAIL_MAX);
  /* The oldest ones fell off; order is kept. */
  for (guint i = 0; i < trail.len; i++)
    {
      cd_map_trail_get (&trail, i, &lat, &lon);
      g_assert_cmpfloat (lat, ==, 6 + i);
      g_assert_cmpfloat (lon, ==, (6 + i) * 10);
    }
}

/* The filter and the SLA colour ----------------------------------------- */

static CdTicket *
make_ticket (CdUtility      utility,
             CdCategory     category,
             CdTicketStatus status,
             const char    *area,
             const char    *crew_id)
{
  CdTicket *t = cd_ticket_new ();

  t->utility = utility;
  t->category = category;
  t->status = status;
  t->area = g_strdup (area);
  t->crew_id = g_strdup (crew_id);
  t->lat = 39.9;
  t->lon = 116.6;
  return t;
}

static void
test_filter (void)
{
  g_autoptr(CdTicket) t1 = make_ticket (CD_UTILITY_HEAT, CD_CATEGORY_NO_HEAT, CD_TICKET_STATUS_NEW, "eastbank", NULL);
  g_autoptr(CdTicket) t2 = make_ticket (CD_UTILITY_POWER, CD_CATEGORY_POWER_OUTAGE, CD_TICKET_STATUS_ASSIGNED,
                                        "westbank", "crew-a");
  g_autoptr(CdCrew) crew = cd_crew_new ();
  const char *areas[] = { "westbank", NULL };
  static const struct {
    gint utility, category, status;
    const char *area, *crew_id;
    gboolean t1, t2, crew;
  } cases[] = {
    { -1, -1, -1, NULL, NULL, TRUE, TRUE, TRUE },
    { CD_UTILITY_HEAT, -1, -1, NULL, NULL, TRUE, FALSE, FALSE },
    { CD_UTILITY_POWER, -1, -1, NULL, NULL, FALSE, TRUE, TRUE },
    { -1, CD_CATEGORY_POWER_OUTAGE, -1, NULL, NULL, FALSE, TRUE, TRUE },
    { -1, -1, CD_TICKET_STATUS_NEW, NULL, NULL, TRUE, FALSE, TRUE },
    { -1, -1, -1, "eastbank", NULL, TRUE, FALSE, FALSE },
    { -1, -1, -1, "westbank", NULL, FALSE, TRUE, TRUE },
    { -1, -1, -1, NULL, "", TRUE, FALSE, TRUE },          /* unassigned: every crew stays */
    { -1, -1, -1, NULL, "crew-a", FALSE, TRUE, TRUE },
    { -1, -1, -1, NULL, "crew-b", FALSE, FALSE, FALSE },
    { CD_UTILITY_POWER, -1, CD_TICKET_STATUS_ASSIGNED, "westbank", "crew-a", FALSE, TRUE, TRUE },
  };

  CD_RECORD (crew)->id = g_strdup ("crew-a");
  crew->utility = CD_UTILITY_POWER;
  crew->areas = g_strdupv ((char **) areas);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      CdMapFilter f;
      CdMapFilter copy;

      cd_map_filter_init (&f);
      cd_map_filter_init (&copy);
      f.utility = cases[i].utility;
      f.category = cases[i].category;
      f.status = cases[i].status;
      f.area = g_strdup (cases[i].area);
      f.crew_id = g_strdup (cases[i].crew_id);

      g_test_message ("case %u", i);
      g_assert_cmpint (cd_map_filter_match_ticket (&f, t1), ==, cases[i].t1);
      g_assert_cmpint (cd_map_filter_match_ticket (&f, t2), ==, cases[i].t2);
      g_assert_cmpint (cd_map_filter_match_crew (&f, crew), ==, cases[i].crew);
      g_assert_cmpint (cd_map_filter_is_empty (&f), ==, i == 0);

      cd_map_filter_copy (&f, &copy);
      g_assert_true (cd_map_filter_equal (&f, &copy));
      copy.status = 99;
      g_assert_false (cd_map_filter_equal (&f, &copy));

      cd_map_filter_clear (&f);
      cd_map_filter_clear (&copy);
    }
}

static void
test_ticket_sla (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CdSlaPolicySet) set = cd_sla_policy_set_new_default (&error);
  g_autoptr(CdSlaPolicy) policy = cd_sla_policy_new ();
  g_autoptr(CdTicket) ticket = make_ticket (CD_UTILITY_HEAT, CD_CATEGORY_NO_HEAT, CD_TICKET_STATUS_NEW, "x", NULL);
  CdCalendar *calendar;
  const gint64 t0 = 1800000000; /* 2027-01-15, any instant works on 24×7 */
  static const struct {
    gint64   after_s;
    CdMapSla sla;
    gint64   until_s;         /* when it may change; -1: never by itself */
  } cases[] = {
    { 0, CD_MAP_SLA_GREEN, 22 * 60 + 30 },        /* 30 min limit, amber at 25% left */
    { 22 * 60, CD_MAP_SLA_GREEN, 22 * 60 + 30 },
    { 22 * 60 + 30, CD_MAP_SLA_AMBER, 30 * 60 },
    { 29 * 60, CD_MAP_SLA_AMBER, 30 * 60 },
    /* Red stays red; the on-site limit (2 h) turns amber at 90 min. */
    { 31 * 60, CD_MAP_SLA_RED, 90 * 60 },
    /* All three breached: nothing left to change by itself. */
    { 9 * 3600, CD_MAP_SLA_RED, -1 },
  };

  g_assert_no_error (error);
  calendar = cd_sla_policy_set_get_calendar (set, CD_CALENDAR_KIND_ALWAYS);
  g_assert_nonnull (calendar);

  ticket->created_at = t0;
  policy->first_response_min = 30;
  policy->on_site_min = 120;
  policy->resolved_min = 480;
  policy->calendar = CD_CALENDAR_KIND_ALWAYS;
  policy->warning_share = 0.25;
  cd_sla_apply_policy (ticket, policy, calendar);

  /* No calendars, no colour. */
  g_assert_cmpint (cd_map_ticket_sla (ticket, NULL, t0, NULL), ==, CD_MAP_SLA_NONE);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      gint64 until = 0;
      CdMapSla sla = cd_map_ticket_sla (ticket, set, t0 + cases[i].after_s, &until);

      g_test_message ("after %" G_GINT64_FORMAT " s: %d until %" G_GINT64_FORMAT, cases[i].after_s, sla, until);
      g_assert_cmpint (sla, ==, cases[i].sla);
      if (cases[i].until_s < 0)
        g_assert_cmpint (until, ==, G_MAXINT64);
      else
        g_assert_cmpint (until, ==, t0 + cases[i].until_s);
    }

  /* Reaching the first response leaves the next timer (2 h on site). */
  ticket->first_response_at = t0 + 29 * 60;
  g_assert_cmpint (cd_map_ticket_sla (ticket, set, t0 + 31 * 60, NULL), ==, CD_MAP_SLA_GREEN);

  /* Waiting for the customer: grey, and frozen. */
  g_assert_true (cd_sla_pause (ticket, calendar, t0 + 40 * 60, "away", &error));
  g_assert_no_error (error);
  {
    gint64 until = 0;

    g_assert_cmpint (cd_map_ticket_sla (ticket, set, t0 + 500 * 60, &until), ==, CD_MAP_SLA_PAUSED);
    g_assert_cmpint (until, ==, G_MAXINT64);
  }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  cd_model_init ();

  g_test_add_func ("/map/index/cull", test_cull);
  g_test_add_func ("/map/index/cluster-zoom", test_cluster_zoom);
  g_test_add_func ("/map/index/cluster-pan-stable", test_cluster_pan_stable);
  g_test_add_func ("/map/index/cluster-edge-cell", test_cluster_edge_cell);
  g_test_add_func ("/map/index/cluster-merge", test_cluster_merge);
  g_test_add_func ("/map/index/hit-test", test_hit_test);
  g_test_add_func ("/map/index/steps", test_steps);
  g_test_add_func ("/map/index/project", test_project);
  g_test_add_func ("/map/index/fit", test_fit);
  g_test_add_func ("/map/index/heading", test_heading);
  g_test_add_func ("/map/index/motion", test_motion);
  g_test_add_func ("/map/index/trail", test_trail);
  g_test_add_func ("/map/filter/match", test_filter);
  g_test_add_func ("/map/filter/ticket-sla", test_ticket_sla);

  return g_test_run ();
}
