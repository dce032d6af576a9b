/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-city.h: Lanhe, the fictional riverside city of the demo.
 *
 * One model, three users: the server seeds crews and tickets on it, the
 * simulator drives crews along its streets, and the tile tool draws it. So
 * it is built the same way on every run (no randomness, no clock), and it
 * is immutable once built: cd_city_get_demo() may be read from any thread.
 *
 * About 12 km × 10 km around 39.90 N, 116.60 E: an urban centre of four
 * districts split by the Lan River, with a 250 m street grid, old-town
 * lanes, diagonal avenues, a ring road and bridges; rural districts around
 * it with a 1 km road grid and villages; remote districts in two corners
 * with a few winding roads.
 *
 * Every coordinate is WGS 84 degrees; lengths are metres on the mean Earth
 * sphere, as cd_match_distance_km() measures them.
 */
#pragma once

#include <glib.h>

#include "cd-enums.h"

G_BEGIN_DECLS

typedef struct {
  double lat;
  double lon;
} CdCityPoint;

typedef enum {
  CD_CITY_STREET_ARTERIAL, /* avenues, the ring road, embankments, rural main roads */
  CD_CITY_STREET_STREET,
  CD_CITY_STREET_LANE,     /* old-town hutongs, village lanes */
} CdCityStreetClass;

#define CD_CITY_N_STREET_CLASSES 3

/* A service area. Districts tile the city's bounds without gaps. */
typedef struct {
  const char  *id;          /* "eastbank": the ticket's and the crew's area */
  const char  *name;        /* "Eastbank": a proper name, not translated */
  CdAreaClass  area_class;
  guint        utilities;   /* bit (1 << CdUtility) per utility serving it */
  GArray      *polygon;     /* CdCityPoint, open (the last point is not the first) */
  CdCityPoint  label;       /* inside the polygon, where its name goes */
  guint        depot;       /* node index: the crews' base */
} CdCityDistrict;

typedef struct {
  CdCityPoint point;
  guint       district;     /* index into the districts */
  guint       degree;       /* streets meeting here */
} CdCityNode;

/* One edge of the street graph, from one junction to the next. Every edge
 * can be driven both ways. */
typedef struct {
  guint              from;         /* node index */
  guint              to;           /* node index */
  const char        *name;         /* "Heping Road"; shared by all edges of a road */
  CdCityStreetClass  street_class;
  double             speed_kmh;
  double             length_m;
  gboolean           bridge;
  GArray            *points;       /* CdCityPoint: from's point first, to's last */
  double             road_offset_m; /* distance along the whole road at from: house numbers */
} CdCityStreet;

typedef struct {
  const char *name;
  GArray     *polygon;      /* CdCityPoint, open */
} CdCityArea;               /* a park */

typedef struct {
  const char *name;
  GArray     *polygon;      /* CdCityPoint, open: the water */
  GArray     *centerline;   /* CdCityPoint, upstream (north) first */
} CdCityRiver;

typedef struct {
  const char  *name;        /* "Central Station" */
  const char  *kind;        /* "station", "hospital", "heat-plant", "substation",
                             * "city-hall", "depot", "village" */
  CdCityPoint  point;
} CdCityLandmark;

/* A way along the streets. times[i] is when the way reaches points[i],
 * in seconds from the start, each stretch driven at its street's speed. */
typedef struct {
  GArray *points;           /* CdCityPoint */
  GArray *times;            /* double */
  double  length_m;
  double  duration_s;
} CdCityRoute;

typedef struct _CdCity CdCity;

/* The demo city, built on first use, never freed. Thread-safe. */
CdCity               *cd_city_get_demo            (void);
/* A new copy of it, for tests that compare two builds. */
CdCity               *cd_city_new_demo            (void);
void                  cd_city_free                (CdCity       *city);

const char           *cd_city_get_name            (CdCity       *city);
void                  cd_city_get_bounds          (CdCity       *city,
                                                   double       *south,
                                                   double       *west,
                                                   double       *north,
                                                   double       *east);

guint                 cd_city_get_n_districts     (CdCity       *city);
const CdCityDistrict *cd_city_get_district        (CdCity       *city,
                                                   guint         index);
const CdCityDistrict *cd_city_find_district       (CdCity       *city,
                                                   const char   *id);
/* NULL-terminated, in index order: the area list for crew matching. */
const char * const   *cd_city_get_district_ids    (CdCity       *city);
/* NULL outside the bounds. */
const CdCityDistrict *cd_city_district_at         (CdCity       *city,
                                                   double        lat,
                                                   double        lon);

guint                 cd_city_get_n_nodes         (CdCity       *city);
const CdCityNode     *cd_city_get_node            (CdCity       *city,
                                                   guint         index);
guint                 cd_city_get_n_streets       (CdCity       *city);
const CdCityStreet   *cd_city_get_street          (CdCity       *city,
                                                   guint         index);
const CdCityRiver    *cd_city_get_river           (CdCity       *city);
guint                 cd_city_get_n_parks         (CdCity       *city);
const CdCityArea     *cd_city_get_park            (CdCity       *city,
                                                   guint         index);
guint                 cd_city_get_n_landmarks     (CdCity       *city);
const CdCityLandmark *cd_city_get_landmark        (CdCity       *city,
                                                   guint         index);

guint                 cd_city_nearest_node        (CdCity       *city,
                                                   double        lat,
                                                   double        lon,
                                                   double       *distance_m);
/* The point of the street network nearest to (lat, lon); returns the
 * street index. */
guint                 cd_city_snap                (CdCity       *city,
                                                   double        lat,
                                                   double        lon,
                                                   double       *snapped_lat,
                                                   double       *snapped_lon);

/* The quickest way along the streets (A*, by travel time) from the street
 * point nearest to the start to the one nearest to the end. */
CdCityRoute          *cd_city_route               (CdCity       *city,
                                                   double        from_lat,
                                                   double        from_lon,
                                                   double        to_lat,
                                                   double        to_lon);
void                  cd_city_route_free          (CdCityRoute  *route);
/* Where a vehicle on @route is @seconds after the start. Returns FALSE
 * once it has arrived (the position is then the end, speed 0). */
gboolean              cd_city_route_position_at   (const CdCityRoute *route,
                                                   double        seconds,
                                                   double       *lat,
                                                   double       *lon,
                                                   double       *heading,
                                                   double       *speed_kmh);

/* A house on a real street: "Heping Road 117", with its position. Only
 * houses inside @district_id (NULL: anywhere; bridges have none). Returns
 * NULL when the district is unknown. */
char                 *cd_city_random_address      (CdCity       *city,
                                                   GRand        *rand,
                                                   const char   *district_id,
                                                   double       *lat,
                                                   double       *lon);

/* The demo's people and jobs, shared by the server's seeding and the
 * simulator's customers so that both speak alike. */

/* "Wang Fang": a resident's name in pinyin. */
char                 *cd_city_random_person       (GRand        *rand);
/* What a customer says about a problem of @category. */
const char           *cd_city_random_description  (CdCategory    category,
                                                   GRand        *rand);
/* How urgent a customer's report of @category is: emergencies for outages
 * and burst pipes, most leaks, urgent for a home without heat or power. */
CdUrgency             cd_city_report_urgency      (CdCategory    category,
                                                   GRand        *rand);
/* The skills a job needs (NULL for office work: billing, inquiries,
 * complaints). The vocabulary is "lv-repair", "hv-switching",
 * "cable-fault" and "meter" for power; "pipe-repair", "welding",
 * "radiator", "substation" and "heat-meter" for heat. */
char                **cd_city_job_skills          (CdCategory    category,
                                                   CdUtility     utility,
                                                   CdUrgency     urgency,
                                                   GRand        *rand);
/* The skills a job of @category always needs, without chance: the rule
 * intake applies to a report that names none. Always among what
 * cd_city_job_skills() may give (which sometimes adds one: a cable fault
 * in an outage; a substation instead of a radiator for a home without
 * heat). NULL for office work. */
char                **cd_city_category_skills     (CdCategory    category,
                                                   CdUtility     utility,
                                                   CdUrgency     urgency);

/* Polylines (GArray of CdCityPoint). */
double                cd_city_polyline_length     (const GArray *polyline);
/* The point @distance_m along @polyline and the heading there (degrees
 * clockwise from north). Returns FALSE when the distance is outside the
 * polyline, after clamping to its nearer end. */
gboolean              cd_city_point_along         (const GArray *polyline,
                                                   double        distance_m,
                                                   double       *lat,
                                                   double       *lon,
                                                   double       *heading);
double                cd_city_distance_m          (double        lat1,
                                                   double        lon1,
                                                   double        lat2,
                                                   double        lon2);
gboolean              cd_city_polygon_contains    (const GArray *polygon,
                                                   double        lat,
                                                   double        lon);

const char           *cd_city_street_class_to_string (CdCityStreetClass street_class);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CdCity, cd_city_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CdCityRoute, cd_city_route_free)

G_END_DECLS
