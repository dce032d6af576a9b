/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-city.c: the demo city is the same on every build, its districts
 * tile the map, its streets form one connected network clear of the
 * water, and routes run along them. */
#include "config.h"

#include <math.h>
#include <string.h>

#include "cd-city.h"
#include "cd-match.h"

/* A local plane for distance-to-polyline checks, metres. */
typedef struct {
  double x, y;
} Xy;

static Xy
to_xy (CdCityPoint p)
{
  const double m_lat = 6371008.8 * G_PI / 180.0;
  Xy v = { (p.lon - 116.60) * m_lat * cos (39.90 * G_PI / 180.0), (p.lat - 39.90) * m_lat };

  return v;
}

static double
segment_distance (Xy a,
                  Xy b,
                  Xy p)
{
  double dx = b.x - a.x, dy = b.y - a.y;
  double len2 = dx * dx + dy * dy;
  double t = len2 > 0 ? CLAMP (((p.x - a.x) * dx + (p.y - a.y) * dy) / len2, 0.0, 1.0) : 0.0;

  return hypot (a.x + t * dx - p.x, a.y + t * dy - p.y);
}

static double
street_distance (const CdCityStreet *street,
                 CdCityPoint         p)
{
  Xy q = to_xy (p);
  double best = G_MAXDOUBLE;

  for (guint k = 0; k + 1 < street->points->len; k++)
    best = MIN (best, segment_distance (to_xy (g_array_index (street->points, CdCityPoint, k)),
                                        to_xy (g_array_index (street->points, CdCityPoint, k + 1)), q));
  return best;
}

/* The street nearest to @p and how far it is. */
static double
network_distance (CdCity      *city,
                  CdCityPoint  p)
{
  double best = G_MAXDOUBLE;

  for (guint i = 0; i < cd_city_get_n_streets (city); i++)
    best = MIN (best, street_distance (cd_city_get_street (city, i), p));
  return best;
}

static gboolean
points_equal (const GArray *a,
              const GArray *b)
{
  return a->len == b->len && memcmp (a->data, b->data, a->len * sizeof (CdCityPoint)) == 0;
}

static void
test_city_deterministic (void)
{
  g_autoptr(CdCity) a = cd_city_new_demo ();
  g_autoptr(CdCity) b = cd_city_new_demo ();
  g_autoptr(GRand) ra = g_rand_new_with_seed (7);
  g_autoptr(GRand) rb = g_rand_new_with_seed (7);

  g_assert_true (cd_city_get_demo () == cd_city_get_demo ());

  g_assert_cmpuint (cd_city_get_n_nodes (a), ==, cd_city_get_n_nodes (b));
  g_assert_cmpuint (cd_city_get_n_streets (a), ==, cd_city_get_n_streets (b));
  g_assert_cmpuint (cd_city_get_n_districts (a), ==, cd_city_get_n_districts (b));
  g_assert_cmpuint (cd_city_get_n_parks (a), ==, cd_city_get_n_parks (b));
  g_assert_cmpuint (cd_city_get_n_landmarks (a), ==, cd_city_get_n_landmarks (b));

  for (guint i = 0; i < cd_city_get_n_nodes (a); i++)
    g_assert_true (memcmp (cd_city_get_node (a, i), cd_city_get_node (b, i), sizeof (CdCityNode)) == 0);

  for (guint i = 0; i < cd_city_get_n_streets (a); i++)
    {
      const CdCityStreet *sa = cd_city_get_street (a, i);
      const CdCityStreet *sb = cd_city_get_street (b, i);

      g_assert_cmpuint (sa->from, ==, sb->from);
      g_assert_cmpuint (sa->to, ==, sb->to);
      g_assert_cmpstr (sa->name, ==, sb->name);
      g_assert_cmpint (sa->street_class, ==, sb->street_class);
      g_assert_cmpfloat (sa->speed_kmh, ==, sb->speed_kmh);
      g_assert_cmpfloat (sa->length_m, ==, sb->length_m);
      g_assert_cmpfloat (sa->road_offset_m, ==, sb->road_offset_m);
      g_assert_cmpint (sa->bridge, ==, sb->bridge);
      g_assert_true (points_equal (sa->points, sb->points));
    }

  for (guint i = 0; i < cd_city_get_n_districts (a); i++)
    {
      const CdCityDistrict *da = cd_city_get_district (a, i);
      const CdCityDistrict *db = cd_city_get_district (b, i);

      g_assert_cmpstr (da->id, ==, db->id);
      g_assert_cmpstr (da->name, ==, db->name);
      g_assert_cmpint (da->area_class, ==, db->area_class);
      g_assert_cmpuint (da->utilities, ==, db->utilities);
      g_assert_cmpuint (da->depot, ==, db->depot);
      g_assert_true (points_equal (da->polygon, db->polygon));
    }

  g_assert_true (points_equal (cd_city_get_river (a)->polygon, cd_city_get_river (b)->polygon));
  g_assert_true (points_equal (cd_city_get_river (a)->centerline, cd_city_get_river (b)->centerline));
  for (guint i = 0; i < cd_city_get_n_parks (a); i++)
    {
      g_assert_cmpstr (cd_city_get_park (a, i)->name, ==, cd_city_get_park (b, i)->name);
      g_assert_true (points_equal (cd_city_get_park (a, i)->polygon, cd_city_get_park (b, i)->polygon));
    }
  for (guint i = 0; i < cd_city_get_n_landmarks (a); i++)
    {
      g_assert_cmpstr (cd_city_get_landmark (a, i)->name, ==, cd_city_get_landmark (b, i)->name);
      g_assert_cmpfloat (cd_city_get_landmark (a, i)->point.lat, ==, cd_city_get_landmark (b, i)->point.lat);
      g_assert_cmpfloat (cd_city_get_landmark (a, i)->point.lon, ==, cd_city_get_landmark (b, i)->point.lon);
    }

  /* Same seed, same addresses; and routes the same. */
  for (guint i = 0; i < 50; i++)
    {
      double lat_a, lon_a, lat_b, lon_b;
      g_autofree char *addr_a = cd_city_random_address (a, ra, NULL, &lat_a, &lon_a);
      g_autofree char *addr_b = cd_city_random_address (b, rb, NULL, &lat_b, &lon_b);

      g_assert_cmpstr (addr_a, ==, addr_b);
      g_assert_cmpfloat (lat_a, ==, lat_b);
      g_assert_cmpfloat (lon_a, ==, lon_b);
    }
  {
    g_autoptr(CdCityRoute) route_a = cd_city_route (a, 39.87, 116.55, 39.93, 116.65);
    g_autoptr(CdCityRoute) route_b = cd_city_route (b, 39.87, 116.55, 39.93, 116.65);

    g_assert_true (points_equal (route_a->points, route_b->points));
    g_assert_cmpfloat (route_a->duration_s, ==, route_b->duration_s);
  }
}

static void
test_city_size (void)
{
  CdCity *city = cd_city_get_demo ();
  double south, west, north, east;
  guint n_classes[CD_CITY_N_STREET_CLASSES] = { 0 };
  guint n_bridges = 0;

  cd_city_get_bounds (city, &south, &west, &north, &east);
  /* About 12 km × 10 km. */
  g_assert_cmpfloat_with_epsilon (cd_match_distance_km (south, west, south, east), 12.0, 0.2);
  g_assert_cmpfloat_with_epsilon (cd_match_distance_km (south, west, north, west), 10.0, 0.2);
  g_assert_cmpstr (cd_city_get_name (city), ==, "Lanhe");

  g_assert_cmpuint (cd_city_get_n_districts (city), >=, 8);
  g_assert_cmpuint (cd_city_get_n_districts (city), <=, 10);
  g_assert_cmpuint (cd_city_get_n_streets (city), >=, 500);
  g_assert_cmpuint (cd_city_get_n_streets (city), <=, 5000);
  g_assert_cmpuint (cd_city_get_n_parks (city), >=, 3);
  g_assert_cmpuint (cd_city_get_n_landmarks (city), >=, cd_city_get_n_districts (city));

  for (guint i = 0; i < cd_city_get_n_streets (city); i++)
    {
      const CdCityStreet *s = cd_city_get_street (city, i);

      n_classes[s->street_class]++;
      n_bridges += s->bridge;
      g_assert_nonnull (s->name);
      g_assert_cmpstr (cd_city_street_class_to_string (s->street_class), !=, "unknown");
    }
  for (guint c = 0; c < CD_CITY_N_STREET_CLASSES; c++)
    g_assert_cmpuint (n_classes[c], >, 50);
  g_assert_cmpuint (n_bridges, >=, 6);

  g_test_message ("%u nodes, %u streets (%u arterial, %u street, %u lane), %u bridges",
                  cd_city_get_n_nodes (city), cd_city_get_n_streets (city),
                  n_classes[0], n_classes[1], n_classes[2], n_bridges);
}

static void
test_city_districts (void)
{
  CdCity *city = cd_city_get_demo ();
  g_autoptr(GRand) rand = g_rand_new_with_seed (11);
  g_autoptr(GHashTable) ids = g_hash_table_new (g_str_hash, g_str_equal);
  const char * const *id_list = cd_city_get_district_ids (city);
  guint n_classes[CD_N_AREA_CLASSES] = { 0 };
  double south, west, north, east;

  cd_city_get_bounds (city, &south, &west, &north, &east);

  g_assert_cmpuint (g_strv_length ((char **) id_list), ==, cd_city_get_n_districts (city));
  for (guint i = 0; i < cd_city_get_n_districts (city); i++)
    {
      const CdCityDistrict *d = cd_city_get_district (city, i);
      const CdCityNode *depot = cd_city_get_node (city, d->depot);

      g_assert_cmpstr (id_list[i], ==, d->id);
      g_assert_true (cd_city_find_district (city, d->id) == d);
      g_assert_true (g_hash_table_add (ids, (gpointer) d->id));
      for (const char *p = d->id; *p; p++)
        g_assert_true (g_ascii_islower (*p) || *p == '-');
      g_assert_cmpuint (d->utilities, !=, 0);
      g_assert_cmpuint (d->polygon->len, >=, 4);
      n_classes[d->area_class]++;

      g_assert_true (cd_city_polygon_contains (d->polygon, d->label.lat, d->label.lon));
      g_assert_true (cd_city_district_at (city, d->label.lat, d->label.lon) == d);
      g_assert_cmpuint (depot->district, ==, i);
      g_assert_true (cd_city_polygon_contains (d->polygon, depot->point.lat, depot->point.lon));

      /* Every address drawn for a district lies in it, on a street. */
      for (guint k = 0; k < 40; k++)
        {
          double lat, lon;
          g_autofree char *address = cd_city_random_address (city, rand, d->id, &lat, &lon);
          const char *space = strrchr (address, ' ');
          CdCityPoint p = { lat, lon };

          g_assert_nonnull (space);
          g_assert_true (g_ascii_isdigit (space[1]));
          g_assert_true (cd_city_polygon_contains (d->polygon, lat, lon));
          g_assert_true (cd_city_district_at (city, lat, lon) == d);
          g_assert_cmpfloat (network_distance (city, p), <, 0.5);
        }
    }
  for (guint c = 0; c < CD_N_AREA_CLASSES; c++)
    g_assert_cmpuint (n_classes[c], >=, 2);

  g_assert_null (cd_city_find_district (city, "atlantis"));
  g_assert_null (cd_city_random_address (city, rand, "atlantis", NULL, NULL));

  /* Outside the bounds there is none. */
  g_assert_null (cd_city_district_at (city, north + 0.001, (west + east) / 2));
  g_assert_null (cd_city_district_at (city, south - 0.001, (west + east) / 2));
  g_assert_null (cd_city_district_at (city, (south + north) / 2, west - 0.001));
  g_assert_null (cd_city_district_at (city, (south + north) / 2, east + 0.001));
  g_assert_null (cd_city_district_at (city, 0, 0));
  g_assert_null (cd_city_district_at (city, NAN, NAN));

  /* Inside, the districts tile the map: every point is in exactly one. */
  for (guint i = 0; i < 60; i++)
    for (guint j = 0; j < 60; j++)
      {
        double lat = south + (north - south) * (i + 0.37) / 60;
        double lon = west + (east - west) * (j + 0.61) / 60;
        guint n = 0;

        for (guint k = 0; k < cd_city_get_n_districts (city); k++)
          n += cd_city_polygon_contains (cd_city_get_district (city, k)->polygon, lat, lon);
        g_assert_cmpuint (n, ==, 1);
        g_assert_nonnull (cd_city_district_at (city, lat, lon));
      }
}

static void
test_city_graph (void)
{
  CdCity *city = cd_city_get_demo ();
  guint n = cd_city_get_n_nodes (city);
  g_autofree gboolean *seen = g_new0 (gboolean, n);
  g_autofree guint *degree = g_new0 (guint, n);
  g_autoptr(GArray) stack = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autoptr(GPtrArray) adjacency = g_ptr_array_new_with_free_func ((GDestroyNotify) g_array_unref);
  const CdCityRiver *river = cd_city_get_river (city);
  guint reached = 0, start = 0;

  for (guint i = 0; i < n; i++)
    g_ptr_array_add (adjacency, g_array_new (FALSE, FALSE, sizeof (guint)));

  for (guint i = 0; i < cd_city_get_n_streets (city); i++)
    {
      const CdCityStreet *s = cd_city_get_street (city, i);
      CdCityPoint first = g_array_index (s->points, CdCityPoint, 0);
      CdCityPoint last = g_array_index (s->points, CdCityPoint, s->points->len - 1);
      const CdCityNode *from = cd_city_get_node (city, s->from);
      const CdCityNode *to = cd_city_get_node (city, s->to);

      g_assert_cmpuint (s->from, <, n);
      g_assert_cmpuint (s->to, <, n);
      g_assert_cmpuint (s->from, !=, s->to);
      g_assert_cmpuint (s->points->len, >=, 2);
      g_assert_cmpfloat (s->speed_kmh, >, 0);
      g_assert_cmpfloat (s->length_m, >, 1.0);
      g_assert_cmpfloat_with_epsilon (s->length_m, cd_city_polyline_length (s->points), 1e-6);
      /* Each edge starts and ends exactly on its junctions. */
      g_assert_cmpfloat (first.lat, ==, from->point.lat);
      g_assert_cmpfloat (first.lon, ==, from->point.lon);
      g_assert_cmpfloat (last.lat, ==, to->point.lat);
      g_assert_cmpfloat (last.lon, ==, to->point.lon);

      degree[s->from]++;
      degree[s->to]++;
      g_array_append_val (g_ptr_array_index (adjacency, s->from), s->to);
      g_array_append_val (g_ptr_array_index (adjacency, s->to), s->from);

      /* No street runs through the water except on a bridge. */
      if (!s->bridge)
        {
          for (double d = 0; d <= s->length_m; d += 10)
            {
              double lat, lon;

              cd_city_point_along (s->points, d, &lat, &lon, NULL);
              g_assert_false (cd_city_polygon_contains (river->polygon, lat, lon));
            }
        }
      else
        {
          double lat, lon;

          cd_city_point_along (s->points, s->length_m / 2, &lat, &lon, NULL);
          g_assert_true (cd_city_polygon_contains (river->polygon, lat, lon));
        }
    }

  /* Every junction reaches every other. */
  for (guint i = 0; i < n; i++)
    {
      g_assert_cmpuint (degree[i], >, 0);
      g_assert_cmpuint (degree[i], ==, cd_city_get_node (city, i)->degree);
    }
  seen[start] = TRUE;
  g_array_append_val (stack, start);
  while (stack->len > 0)
    {
      guint v = g_array_index (stack, guint, stack->len - 1);
      GArray *next = g_ptr_array_index (adjacency, v);

      g_array_set_size (stack, stack->len - 1);
      reached++;
      for (guint k = 0; k < next->len; k++)
        {
          guint w = g_array_index (next, guint, k);

          if (!seen[w])
            {
              seen[w] = TRUE;
              g_array_append_val (stack, w);
            }
        }
    }
  g_assert_cmpuint (reached, ==, n);

  /* The river runs through the city; parks lie inside the bounds. */
  {
    double south, west, north, east;
    CdCityPoint top = g_array_index (river->centerline, CdCityPoint, 0);
    CdCityPoint bottom = g_array_index (river->centerline, CdCityPoint, river->centerline->len - 1);

    cd_city_get_bounds (city, &south, &west, &north, &east);
    g_assert_cmpfloat (top.lat, >, north);
    g_assert_cmpfloat (bottom.lat, <, south);
    for (guint i = 0; i < cd_city_get_n_parks (city); i++)
      {
        const CdCityArea *park = cd_city_get_park (city, i);

        for (guint k = 0; k < park->polygon->len; k++)
          {
            CdCityPoint p = g_array_index (park->polygon, CdCityPoint, k);

            g_assert_nonnull (cd_city_district_at (city, p.lat, p.lon));
          }
      }
  }
}

static void
check_route (CdCity      *city,
             CdCityRoute *route)
{
  double walked = 0;

  g_assert_cmpuint (route->points->len, ==, route->times->len);
  g_assert_cmpuint (route->points->len, >=, 1);
  g_assert_cmpfloat (g_array_index (route->times, double, 0), ==, 0);

  for (guint k = 0; k < route->points->len; k++)
    {
      CdCityPoint p = g_array_index (route->points, CdCityPoint, k);

      g_assert_cmpfloat (network_distance (city, p), <, 0.5);
      if (k == 0)
        continue;
      {
        CdCityPoint q = g_array_index (route->points, CdCityPoint, k - 1);
        CdCityPoint mid = { (p.lat + q.lat) / 2, (p.lon + q.lon) / 2 };
        gboolean on_one_street = FALSE;

        /* Consecutive points lie on one street: the stretch between them
         * is street, not a shortcut across a block. */
        for (guint i = 0; i < cd_city_get_n_streets (city) && !on_one_street; i++)
          {
            const CdCityStreet *s = cd_city_get_street (city, i);

            on_one_street = street_distance (s, p) < 0.5 && street_distance (s, q) < 0.5 &&
                            street_distance (s, mid) < 0.5;
          }
        g_assert_true (on_one_street);
        g_assert_cmpfloat (g_array_index (route->times, double, k), >, g_array_index (route->times, double, k - 1));
        walked += cd_city_distance_m (q.lat, q.lon, p.lat, p.lon);
      }
    }

  g_assert_cmpfloat_with_epsilon (walked, route->length_m, 1e-6 * MAX (1.0, walked));
  g_assert_cmpfloat (route->duration_s, ==, g_array_index (route->times, double, route->times->len - 1));
}

static void
test_city_routes (void)
{
  CdCity *city = cd_city_get_demo ();
  g_autoptr(GRand) rand = g_rand_new_with_seed (2024);
  double worst = 0;

  for (guint i = 0; i < 150; i++)
    {
      double lat1, lon1, lat2, lon2, straight;
      g_autofree char *a = cd_city_random_address (city, rand, NULL, &lat1, &lon1);
      g_autofree char *b = cd_city_random_address (city, rand, NULL, &lat2, &lon2);
      g_autoptr(CdCityRoute) route = cd_city_route (city, lat1, lon1, lat2, lon2);
      CdCityPoint first = g_array_index (route->points, CdCityPoint, 0);
      CdCityPoint last = g_array_index (route->points, CdCityPoint, route->points->len - 1);

      check_route (city, route);
      /* Addresses are on streets: the route starts and ends at them. */
      g_assert_cmpfloat (cd_city_distance_m (first.lat, first.lon, lat1, lon1), <, 0.5);
      g_assert_cmpfloat (cd_city_distance_m (last.lat, last.lon, lat2, lon2), <, 0.5);

      straight = cd_match_distance_km (lat1, lon1, lat2, lon2) * 1000;
      g_assert_cmpfloat (route->length_m, >=, straight - 0.5);
      g_assert_cmpfloat (route->length_m, <=, 3 * straight + 100);
      if (straight > 1000)
        worst = MAX (worst, route->length_m / straight);
      g_assert_cmpfloat (route->duration_s, >, route->length_m / (80 / 3.6));
      g_assert_cmpfloat (route->duration_s, <, route->length_m / (15 / 3.6) + 1);
    }
  g_test_message ("worst detour over 1 km: %.2f", worst);
  g_assert_cmpfloat (worst, <=, 3.0);

  /* From a point off the street network: from the nearest street point. */
  {
    g_autoptr(CdCityRoute) route = cd_city_route (city, 39.9011, 116.5712, 39.9012, 116.5712);
    double lat, lon;

    check_route (city, route);
    cd_city_snap (city, 39.9011, 116.5712, &lat, &lon);
    g_assert_cmpfloat (cd_city_distance_m (lat, lon, g_array_index (route->points, CdCityPoint, 0).lat,
                                           g_array_index (route->points, CdCityPoint, 0).lon), <, 0.01);
  }

  /* A route to where one already is. */
  {
    const CdCityNode *node = cd_city_get_node (city, 17);
    g_autoptr(CdCityRoute) route = cd_city_route (city, node->point.lat, node->point.lon,
                                                  node->point.lat, node->point.lon);

    g_assert_cmpuint (route->points->len, ==, 1);
    g_assert_cmpfloat (route->length_m, ==, 0);
    g_assert_cmpfloat (route->duration_s, ==, 0);
  }
}

static void
test_city_point_along (void)
{
  CdCity *city = cd_city_get_demo ();
  g_autoptr(CdCityRoute) route = cd_city_route (city, 39.865, 116.56, 39.935, 116.64);
  CdCityPoint first = g_array_index (route->points, CdCityPoint, 0);
  CdCityPoint last = g_array_index (route->points, CdCityPoint, route->points->len - 1);
  double lat, lon, heading, speed, total = cd_city_polyline_length (route->points);

  g_assert_cmpfloat_with_epsilon (total, route->length_m, 1e-6);

  g_assert_true (cd_city_point_along (route->points, 0, &lat, &lon, &heading));
  g_assert_cmpfloat (cd_city_distance_m (lat, lon, first.lat, first.lon), <, 0.01);
  g_assert_cmpfloat (heading, >=, 0);
  g_assert_cmpfloat (heading, <, 360);

  g_assert_false (cd_city_point_along (route->points, total, &lat, &lon, &heading));
  g_assert_cmpfloat (cd_city_distance_m (lat, lon, last.lat, last.lon), <, 0.01);
  g_assert_false (cd_city_point_along (route->points, total + 500, &lat, &lon, NULL));
  g_assert_cmpfloat (cd_city_distance_m (lat, lon, last.lat, last.lon), <, 0.01);
  g_assert_false (cd_city_point_along (route->points, -5, &lat, &lon, NULL));
  g_assert_cmpfloat (cd_city_distance_m (lat, lon, first.lat, first.lon), <, 0.01);

  /* Halfway is halfway. */
  g_assert_true (cd_city_point_along (route->points, total / 2, &lat, &lon, NULL));
  g_assert_cmpfloat (network_distance (city, (CdCityPoint) { lat, lon }), <, 0.5);

  /* A simple line: due east, then due north. */
  {
    g_autoptr(GArray) line = g_array_new (FALSE, FALSE, sizeof (CdCityPoint));
    CdCityPoint p0 = { 39.9, 116.6 }, p1 = { 39.9, 116.61 }, p2 = { 39.91, 116.61 };
    double leg = cd_city_distance_m (p0.lat, p0.lon, p1.lat, p1.lon);

    g_array_append_val (line, p0);
    g_array_append_val (line, p1);
    g_array_append_val (line, p2);
    g_assert_true (cd_city_point_along (line, leg / 2, &lat, &lon, &heading));
    g_assert_cmpfloat_with_epsilon (heading, 90.0, 0.01);
    g_assert_cmpfloat_with_epsilon (lat, 39.9, 1e-9);
    g_assert_true (cd_city_point_along (line, leg + 10, &lat, &lon, &heading));
    g_assert_cmpfloat_with_epsilon (heading, 0.0, 0.01);
    g_assert_cmpfloat_with_epsilon (lon, 116.61, 1e-9);
  }

  /* Driving: the start at 0 s, the end at the duration, moving between. */
  g_assert_true (cd_city_route_position_at (route, 0, &lat, &lon, &heading, &speed));
  g_assert_cmpfloat (cd_city_distance_m (lat, lon, first.lat, first.lon), <, 0.01);
  g_assert_cmpfloat (speed, >, 0);
  g_assert_true (cd_city_route_position_at (route, route->duration_s / 2, &lat, &lon, &heading, &speed));
  g_assert_cmpfloat (speed, >=, 15);
  g_assert_cmpfloat (speed, <=, 70);
  g_assert_cmpfloat (network_distance (city, (CdCityPoint) { lat, lon }), <, 0.5);
  g_assert_false (cd_city_route_position_at (route, route->duration_s, &lat, &lon, &heading, &speed));
  g_assert_cmpfloat (cd_city_distance_m (lat, lon, last.lat, last.lon), <, 0.01);
  g_assert_cmpfloat (speed, ==, 0);
}

static void
test_city_nearest (void)
{
  CdCity *city = cd_city_get_demo ();
  double distance;

  for (guint i = 0; i < cd_city_get_n_nodes (city); i += 37)
    {
      const CdCityNode *node = cd_city_get_node (city, i);

      g_assert_cmpuint (cd_city_nearest_node (city, node->point.lat, node->point.lon, &distance), ==, i);
      g_assert_cmpfloat (distance, <, 0.01);
    }

  /* Far outside, the nearest is still a junction of the city. */
  g_assert_cmpuint (cd_city_nearest_node (city, 40.5, 117.5, &distance), <, cd_city_get_n_nodes (city));
  g_assert_cmpfloat (distance, >, 50000);
}

static void
test_city_people (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (3);
  const char * const power[] = { "lv-repair", "hv-switching", "cable-fault", "meter", NULL };
  const char * const heat[] = { "pipe-repair", "welding", "radiator", "substation", "heat-meter", NULL };

  for (guint i = 0; i < 20; i++)
    {
      g_autofree char *name = cd_city_random_person (rand);

      g_assert_nonnull (strchr (name, ' '));
      g_assert_true (g_ascii_isupper (name[0]));
    }

  for (guint c = 0; c < CD_N_CATEGORIES; c++)
    {
      g_assert_nonnull (cd_city_random_description (c, rand));
      for (guint u = 0; u < CD_N_UTILITIES; u++)
        for (guint g = 0; g < CD_N_URGENCIES; g++)
          {
            g_auto(GStrv) skills = cd_city_job_skills (c, u, g, rand);
            gboolean office = c == CD_CATEGORY_BILLING || c == CD_CATEGORY_INQUIRY || c == CD_CATEGORY_COMPLAINT;

            g_assert_true (office == (skills == NULL));
            for (guint k = 0; skills && skills[k]; k++)
              g_assert_true (g_strv_contains (power, skills[k]) || g_strv_contains (heat, skills[k]));
          }
    }
}

/* The rule intake applies: fixed, office work needs none, and every skill
 * it names is one the demo's jobs of that kind may need. */
static void
test_city_category_skills (void)
{
  for (guint c = 0; c < CD_N_CATEGORIES; c++)
    for (guint u = 0; u < CD_N_UTILITIES; u++)
      for (guint g = 0; g < CD_N_URGENCIES; g++)
        {
          g_auto(GStrv) rule = cd_city_category_skills (c, u, g);
          g_auto(GStrv) again = cd_city_category_skills (c, u, g);
          gboolean office = c == CD_CATEGORY_BILLING || c == CD_CATEGORY_INQUIRY || c == CD_CATEGORY_COMPLAINT;

          g_assert_true (office == (rule == NULL));
          if (rule == NULL)
            continue;
          g_assert_nonnull (rule[0]);
          g_assert_true (g_strv_equal ((const char * const *) rule, (const char * const *) again));

          for (guint k = 0; rule[k] != NULL; k++)
            {
              g_autoptr(GRand) rand = g_rand_new_with_seed (11);
              gboolean seen = FALSE;

              for (guint n = 0; n < 200 && !seen; n++)
                {
                  g_auto(GStrv) job = cd_city_job_skills (c, u, g, rand);

                  seen = job != NULL && g_strv_contains ((const char * const *) job, rule[k]);
                }
              if (!seen)
                g_error ("%s for category %u, utility %u, urgency %u is not among the demo's job skills",
                         rule[k], c, u, g);
            }
        }

  /* A few by name. */
  {
    g_auto(GStrv) outage = cd_city_category_skills (CD_CATEGORY_POWER_OUTAGE, CD_UTILITY_POWER, CD_URGENCY_EMERGENCY);
    g_auto(GStrv) burst = cd_city_category_skills (CD_CATEGORY_BURST_PIPE, CD_UTILITY_HEAT, CD_URGENCY_EMERGENCY);
    g_auto(GStrv) meter = cd_city_category_skills (CD_CATEGORY_METER, CD_UTILITY_HEAT, CD_URGENCY_NORMAL);

    g_assert_cmpstrv (outage, ((const char * const []) { "hv-switching", NULL }));
    g_assert_cmpstrv (burst, ((const char * const []) { "pipe-repair", "welding", NULL }));
    g_assert_cmpstrv (meter, ((const char * const []) { "heat-meter", NULL }));
  }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/city/deterministic", test_city_deterministic);
  g_test_add_func ("/city/size", test_city_size);
  g_test_add_func ("/city/districts", test_city_districts);
  g_test_add_func ("/city/graph", test_city_graph);
  g_test_add_func ("/city/routes", test_city_routes);
  g_test_add_func ("/city/point-along", test_city_point_along);
  g_test_add_func ("/city/nearest", test_city_nearest);
  g_test_add_func ("/city/people", test_city_people);
  g_test_add_func ("/city/category-skills", test_city_category_skills);

  return g_test_run ();
}
