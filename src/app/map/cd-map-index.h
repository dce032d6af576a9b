/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-map-index.h: the map's geometry, without GTK.
 *
 * Everything here works on points in a plane (world pixels of Web
 * Mercator at the current zoom, or widget pixels) and plain numbers, so
 * the rules a dispatcher sees on the map (what is culled, what merges into
 * a cluster, what a click hits, how a crew glides between two position
 * reports) are tested without a display.
 *
 * Clustering uses a square grid anchored at the plane's origin, not at the
 * screen: panning never moves a point to another cell, so clusters keep
 * their counts and positions while the dispatcher drags the map.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  double x, y, width, height;
} CdMapRect;

/* A point to draw: the caller's index and how important it is (a cluster
 * takes the highest rank of its members, for its colour). */
typedef struct {
  double x, y;
  guint  id;
  guint  rank;
} CdMapPoint;

typedef struct {
  double x, y;                    /* centroid of the members */
  guint  count;
  guint  rank;                    /* highest member rank */
  guint  top;                     /* id of the first member with that rank */
  double min_x, min_y, max_x, max_y;
} CdMapCluster;

/* Web Mercator, normalised: (0, 0) is the north-west corner of the world,
 * (1, 1) the south-east one. Latitudes are clamped to ±85.0511°. */
void      cd_map_project              (double             lat,
                                       double             lon,
                                       double            *u,
                                       double            *v);
void      cd_map_unproject            (double             u,
                                       double             v,
                                       double            *lat,
                                       double            *lon);

/* Whether (x, y) lies in @rect grown by @margin on every side. */
gboolean  cd_map_rect_contains        (const CdMapRect   *rect,
                                       double             margin,
                                       double             x,
                                       double             y);

/* Culls @points to @view (grown by @margin) and, when @cell_size > 0,
 * merges the points of every grid cell holding @min_count or more into a
 * cluster. A cell that touches the grown view brings all its points into
 * the cluster, so counts and centroids do not change while panning; the
 * points of smaller cells are culled one by one. Clusters whose centres
 * end up closer than @merge_distance (neighbouring cells whose points lie
 * near their common edge) merge, so their badges do not overlap; cells
 * that far beyond the view take part, which keeps that stable too.
 * Appends to @singles (CdMapPoint, input order) and @clusters
 * (CdMapCluster, in the order their first member appears). */
void      cd_map_cluster              (const CdMapPoint  *points,
                                       guint              n_points,
                                       const CdMapRect   *view,
                                       double             margin,
                                       double             cell_size,
                                       guint              min_count,
                                       double             merge_distance,
                                       GArray            *singles,
                                       GArray            *clusters);

/* Something drawn that a click can hit: a disc of @radius. @layer says
 * what is drawn above what (crews above tickets above clusters). */
typedef struct {
  double x, y;
  double radius;
  guint  layer;
} CdMapTarget;

/* The target a click at (x, y) hits: among those whose disc grown by
 * @slop contains the point, the highest layer, then the nearest centre,
 * then the one drawn last. -1 when none. */
gint      cd_map_hit_test             (const CdMapTarget *targets,
                                       guint              n_targets,
                                       double             x,
                                       double             y,
                                       double             slop);

/* Keyboard navigation between points on screen. The next point in the
 * direction (dx, dy) from @current (within 60° of it, the nearest, with
 * sideways distance counting double); -1 when there is none. */
gint      cd_map_step_direction       (const CdMapPoint  *points,
                                       guint              n_points,
                                       guint              current,
                                       double             dx,
                                       double             dy);
/* Tab order: rows @band pixels high, top to bottom, each left to right.
 * The point after @current (or before it when @backwards); @current -1
 * starts at the first (or last). -1 past the end. */
gint      cd_map_step_reading_order   (const CdMapPoint  *points,
                                       guint              n_points,
                                       gint               current,
                                       double             band,
                                       gboolean           backwards);

/* The centre and zoom that show the box (degrees) in a widget of
 * @width × @height pixels with @padding around, for tiles of @tile_size
 * pixels, clamped to [min_zoom, max_zoom]. FALSE when the box is empty. */
gboolean  cd_map_fit                  (double             south,
                                       double             west,
                                       double             north,
                                       double             east,
                                       double             width,
                                       double             height,
                                       double             tile_size,
                                       double             padding,
                                       double             min_zoom,
                                       double             max_zoom,
                                       double            *lat,
                                       double            *lon,
                                       double            *zoom);

/* Headings in degrees clockwise from north. The one @t of the way from @a
 * to @b along the shorter arc (350° → 10° passes north), in [0, 360). */
double    cd_map_lerp_heading         (double             a,
                                       double             b,
                                       double             t);

/* A crew gliding from where it was drawn to its new reported position,
 * over the interval between reports, so it arrives as the next report
 * is due. Times in microseconds (monotonic). */
typedef struct {
  double from_lat, from_lon, from_heading;
  double to_lat, to_lon, to_heading;
  gint64 start;
  gint64 duration;                /* 0: at rest at "to" */
} CdMapMotion;

void      cd_map_motion_init          (CdMapMotion       *motion,
                                       double             lat,
                                       double             lon,
                                       double             heading);
/* Where the crew is drawn at @now; TRUE while it still moves. */
gboolean  cd_map_motion_sample        (const CdMapMotion *motion,
                                       gint64             now,
                                       double            *lat,
                                       double            *lon,
                                       double            *heading);
/* Heads for a new position from wherever it is drawn at @now (a report
 * that comes early does not make it jump); @duration 0 jumps. */
void      cd_map_motion_retarget      (CdMapMotion       *motion,
                                       gint64             now,
                                       double             lat,
                                       double             lon,
                                       double             heading,
                                       gint64             duration);

/* The last reported positions of a crew, oldest first, at most
 * CD_MAP_TRAIL_MAX; a report at the same place as the last adds nothing. */
#define CD_MAP_TRAIL_MAX 16

typedef struct {
  guint  len;
  guint  head;                    /* index of the oldest */
  double lat[CD_MAP_TRAIL_MAX];
  double lon[CD_MAP_TRAIL_MAX];
} CdMapTrail;

void      cd_map_trail_push           (CdMapTrail        *trail,
                                       double             lat,
                                       double             lon);
/* @i from 0 (oldest) to len - 1 (newest). */
void      cd_map_trail_get            (const CdMapTrail  *trail,
                                       guint              i,
                                       double            *lat,
                                       double            *lon);

G_END_DECLS
