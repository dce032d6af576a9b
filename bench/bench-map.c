/* SPDX-License-Identifier: GPL-3.0-or-later */
/* bench-map.c: frame times of the map with 10,000 tickets and 1,000 crews.
 *
 * The same scripted panning and zooming runs twice in one window: once
 * over CdMapLayer (one widget drawing everything), once over libshumate's
 * ShumateMarkerLayer with one ShumatePoint per ticket and crew, the same
 * positions. No tiles, so only the points are measured.
 *
 * Two figures per frame:
 *  - frame: from the tick callback that moves the viewport (the frame
 *    clock's update phase) to the end of its paint (after-paint): layout,
 *    snapshot, rendering and GTK's handing of the window to the X server;
 *  - layer: the layer's own work for that frame: placing and snapshotting
 *    its points, then its render node drawn with cairo into an image (what
 *    GskCairoRenderer does with it), without the X server. Under Xvfb a
 *    whole-window repaint costs GTK about the same with one point as with
 *    eleven thousand, so this is the figure that compares the layers.
 *
 * Run under Xvfb with the software renderer, as docs/PERFORMANCE.md:
 *   GSK_RENDERER=cairo xvfb-run -a -s '-screen 0 1600x1000x24' \
 *     _build/release/bench/bench-map [n_tickets n_crews]
 * It never asserts on time.
 */
#include "config.h"

#include <adwaita.h>
#include <math.h>
#include <stdlib.h>

#include "cd-city.h"
#include "cd-model.h"
#include "map/cd-map-layer.h"

/* Frames per phase ($CD_BENCH_MAP_FRAMES, for profiling runs). */
static guint phase_frames = 240;
#define PHASE_FRAMES phase_frames

typedef enum {
  PHASE_PAN_CLUSTERED,   /* zoom 12.5: most points in clusters */
  PHASE_PAN_DENSE,       /* zoom 15: clustering off, ~1,000 points on screen */
  PHASE_ZOOM,            /* 10 → 17 → 10 */
  PHASE_PAN_MOVING,      /* zoom 15 while every crew glides */
  N_PHASES
} Phase;

static const char * const phase_names[N_PHASES] = {
  "pan, zoom 12.5 (clustered)",
  "pan, zoom 15 (every point on its own)",
  "zoom 10 → 17 → 10",
  "pan, zoom 15, 1,000 crews gliding",
};

typedef struct {
  GtkWidget       *map;
  GtkWidget       *layer;            /* the one measured */
  cairo_surface_t *image;            /* where the layer alone is drawn */
  ShumateViewport *viewport;
  GListStore      *crews;
  gboolean         marker_layer;
  double           lat0, lon0;
  guint            frame;
  gint64           started;
  GArray          *times[N_PHASES];   /* double, ms: whole frames */
  GArray          *layer_times[N_PHASES]; /* double, ms: the layer alone */
  GMainLoop       *loop;
  gulong           paint_id;
  guint            tick_id;
} Run;

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

static double
percentile (GArray *sorted,
            double  p)
{
  guint i;

  if (sorted->len == 0)
    return NAN;
  i = (guint) ceil (p * sorted->len) - 1;
  return g_array_index (sorted, double, MIN (i, sorted->len - 1));
}

static void
report (const char *what,
        GArray     *times)
{
  g_autoptr(GArray) sorted = g_array_copy (times);

  g_array_sort (sorted, compare_doubles);
  g_print ("  %-42s %4u frames  p50 %6.2f ms  p95 %6.2f ms  max %7.2f ms\n",
           what, sorted->len, percentile (sorted, 0.5), percentile (sorted, 0.95),
           g_array_index (sorted, double, sorted->len - 1));
}

/* Where the script puts the viewport for frame @i of @phase. */
static void
script (Run   *run,
        Phase  phase,
        guint  i,
        double *lat,
        double *lon,
        double *zoom)
{
  double t = (double) i / PHASE_FRAMES;
  double a = t * 2 * G_PI;

  switch (phase)
    {
    case PHASE_PAN_CLUSTERED:
      /* A circle of about 4 km around the centre. */
      *zoom = 12.5;
      *lat = run->lat0 + 0.03 * sin (a);
      *lon = run->lon0 + 0.04 * cos (a);
      break;
    case PHASE_PAN_DENSE:
    case PHASE_PAN_MOVING:
      *zoom = 15;
      *lat = run->lat0 + 0.02 * sin (a);
      *lon = run->lon0 + 0.025 * cos (a);
      break;
    case PHASE_ZOOM:
    case N_PHASES:
    default:
      *zoom = 10 + 7 * (1 - fabs (2 * t - 1));
      *lat = run->lat0;
      *lon = run->lon0;
      break;
    }
}

/* Every crew reports a new position a little further on: they glide
 * over the next five seconds. */
static void
move_crews (Run *run)
{
  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (run->crews)); i++)
    {
      g_autoptr(CdCrew) crew = g_list_model_get_item (G_LIST_MODEL (run->crews), i);
      double heading = fmod (crew->heading + 20, 360);

      g_object_freeze_notify (G_OBJECT (crew));
      g_object_set (crew,
                    "position-lat", crew->lat + 0.004 * cos (heading * G_PI / 180),
                    "position-lon", crew->lon + 0.005 * sin (heading * G_PI / 180),
                    "position-heading", heading,
                    "position-speed-kmh", 30.0,
                    "position-at", crew->position_at + 5,
                    NULL);
      g_object_thaw_notify (G_OBJECT (crew));
    }
}

static gboolean
tick_cb (GtkWidget     *widget,
         GdkFrameClock *clock,
         gpointer       user_data)
{
  Run *run = user_data;
  Phase phase = run->frame / PHASE_FRAMES;
  guint i = run->frame % PHASE_FRAMES;
  double lat, lon, zoom;

  if (phase >= N_PHASES)
    {
      run->tick_id = 0;
      g_main_loop_quit (run->loop);
      return G_SOURCE_REMOVE;
    }

  if (phase == PHASE_PAN_MOVING && i == 0 && !run->marker_layer)
    move_crews (run);

  script (run, phase, i, &lat, &lon, &zoom);
  shumate_viewport_set_zoom_level (run->viewport, zoom);
  shumate_location_set_location (SHUMATE_LOCATION (run->viewport), lat, lon);
  run->started = g_get_monotonic_time ();

  return G_SOURCE_CONTINUE;
}

static void
after_paint_cb (GdkFrameClock *clock,
                Run           *run)
{
  Phase phase = run->frame / PHASE_FRAMES;
  double ms;

  if (run->started == 0 || phase >= N_PHASES)
    return;

  ms = (g_get_monotonic_time () - run->started) / 1000.0;
  g_array_append_val (run->times[phase], ms);
  run->started = 0;
  run->frame++;

  /* The layer alone. CdMapLayer: the time its snapshot took in this
   * frame (layout included), plus its node rendered with cairo into an
   * image. ShumateMarkerLayer: its markers placed again (its work is in
   * size_allocate), snapshot and rendered the same way. */
  {
    gint64 t0 = g_get_monotonic_time ();
    gint64 own = 0;
    GtkSnapshot *snapshot;
    g_autoptr(GskRenderNode) node = NULL;
    cairo_t *cr;

    if (CD_IS_MAP_LAYER (run->layer))
      {
        CdMapLayerStats stats;

        cd_map_layer_get_stats (CD_MAP_LAYER (run->layer), &stats);
        own = stats.snapshot_us;
      }
    else
      {
        GtkAllocation alloc;

        gtk_widget_get_allocation (run->layer, &alloc);
        gtk_widget_queue_allocate (run->layer);
        gtk_widget_size_allocate (run->layer, &alloc, -1);
        gtk_widget_queue_draw (run->layer);
      }

    snapshot = gtk_snapshot_new ();
    gtk_widget_snapshot_child (run->map, run->layer, snapshot);
    node = gtk_snapshot_free_to_node (snapshot);
    cr = cairo_create (run->image);
    cairo_set_operator (cr, CAIRO_OPERATOR_CLEAR);
    cairo_paint (cr);
    cairo_set_operator (cr, CAIRO_OPERATOR_OVER);
    if (node != NULL)
      gsk_render_node_draw (node, cr);
    cairo_destroy (cr);
    cairo_surface_flush (run->image);
    ms = (g_get_monotonic_time () - t0 + own) / 1000.0;
    g_array_append_val (run->layer_times[phase], ms);
  }
}

static void
report_run (Run        *run,
            const char *title)
{
  g_autoptr(GArray) all = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) all_layer = g_array_new (FALSE, FALSE, sizeof (double));

  g_print ("%s, whole frames:\n", title);
  for (guint p = 0; p < N_PHASES; p++)
    {
      report (phase_names[p], run->times[p]);
      g_array_append_vals (all, run->times[p]->data, run->times[p]->len);
    }
  report ("all", all);
  g_print ("%s, the layer alone (snapshot + cairo):\n", title);
  for (guint p = 0; p < N_PHASES; p++)
    {
      report (phase_names[p], run->layer_times[p]);
      g_array_append_vals (all_layer, run->layer_times[p]->data, run->layer_times[p]->len);
    }
  report ("all", all_layer);

  for (guint p = 0; p < N_PHASES; p++)
    {
      g_clear_pointer (&run->times[p], g_array_unref);
      g_clear_pointer (&run->layer_times[p], g_array_unref);
    }
}

static void
run_script (Run *run)
{
  GdkFrameClock *clock = gtk_widget_get_frame_clock (run->map);

  for (guint p = 0; p < N_PHASES; p++)
    {
      run->times[p] = g_array_new (FALSE, FALSE, sizeof (double));
      run->layer_times[p] = g_array_new (FALSE, FALSE, sizeof (double));
    }
  if (run->image == NULL)
    run->image = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, gtk_widget_get_width (run->map),
                                             gtk_widget_get_height (run->map));
  run->frame = 0;
  run->loop = g_main_loop_new (NULL, FALSE);
  run->paint_id = g_signal_connect (clock, "after-paint", G_CALLBACK (after_paint_cb), run);
  run->tick_id = gtk_widget_add_tick_callback (run->map, tick_cb, run, NULL);
  g_main_loop_run (run->loop);
  g_signal_handler_disconnect (clock, run->paint_id);
  g_main_loop_unref (run->loop);
}

static void
wait_mapped (GtkWidget *widget)
{
  while (!gtk_widget_get_mapped (widget) || gtk_widget_get_width (widget) == 0)
    g_main_context_iteration (NULL, TRUE);
}

int
main (int   argc,
      char *argv[])
{
  guint n_tickets = argc > 1 ? (guint) atoi (argv[1]) : 10000;
  guint n_crews = argc > 2 ? (guint) atoi (argv[2]) : 1000;
  g_autoptr(GError) error = NULL;
  g_autoptr(CdSlaPolicySet) policies = NULL;
  g_autoptr(ShumateMapSourceRegistry) registry = NULL;
  g_autoptr(GListStore) tickets = g_list_store_new (CD_TYPE_TICKET);
  g_autoptr(GListStore) crews = g_list_store_new (CD_TYPE_CREW);
  GRand *rand = g_rand_new_with_seed (20261123);
  double south, west, north, east;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  GtkWindow *window;
  ShumateMap *map;
  CdMapLayer *layer;
  ShumateMarkerLayer *markers;
  CdMapLayerStats stats;
  Run run = { 0 };
  gint64 t0;

  adw_init ();
  cd_model_init ();
  if (g_getenv ("CD_BENCH_MAP_FRAMES") != NULL)
    phase_frames = MAX (1, atoi (g_getenv ("CD_BENCH_MAP_FRAMES")));

  policies = cd_sla_policy_set_new_default (&error);
  if (policies == NULL)
    g_printerr ("No time-limit policies (%s): every ticket neutral.\n", error->message);

  /* The demo city and the country around it: 30 × 25 km. */
  cd_city_get_bounds (cd_city_get_demo (), &south, &west, &north, &east);
  run.lat0 = (south + north) / 2;
  run.lon0 = (west + east) / 2;
  south = run.lat0 - 0.11;
  north = run.lat0 + 0.11;
  west = run.lon0 - 0.18;
  east = run.lon0 + 0.18;

  t0 = g_get_monotonic_time ();
  for (guint i = 0; i < n_tickets; i++)
    {
      g_autoptr(CdTicket) t = cd_ticket_new ();

      /* Denser in the centre, as a city is. */
      double r = pow (g_rand_double (rand), 1.6);
      double a = g_rand_double_range (rand, 0, 2 * G_PI);

      CD_RECORD (t)->id = g_uuid_string_random ();
      t->number = g_strdup_printf ("HT-%06u", i + 1);
      t->category = g_rand_int_range (rand, 0, CD_N_CATEGORIES);
      cd_category_get_utility (t->category, &t->utility);
      t->urgency = g_rand_int_range (rand, 0, CD_N_URGENCIES);
      t->status = CD_TICKET_STATUS_NEW;
      t->lat = run.lat0 + r * (north - run.lat0) * sin (a);
      t->lon = run.lon0 + r * (east - run.lon0) * cos (a);
      t->created_at = now - g_rand_int_range (rand, 60, 4 * 3600);
      if (policies != NULL)
        {
          CdSlaPolicy *policy = cd_sla_policy_set_lookup (policies, t->category, t->urgency, CD_AREA_CLASS_URBAN);

          cd_sla_apply_policy (t, policy, cd_sla_policy_set_get_calendar (policies, policy->calendar));
        }
      g_list_store_append (tickets, t);
    }
  for (guint i = 0; i < n_crews; i++)
    {
      g_autoptr(CdCrew) c = cd_crew_new ();

      CD_RECORD (c)->id = g_uuid_string_random ();
      c->name = g_strdup_printf ("Crew %u", i + 1);
      c->utility = i % 2;
      c->status = i % 5;
      c->capacity = 3;
      c->lat = g_rand_double_range (rand, south, north);
      c->lon = g_rand_double_range (rand, west, east);
      c->heading = g_rand_double_range (rand, 0, 360);
      c->speed_kmh = i % 3 == 0 ? 30 : 0;
      c->position_at = now;
      g_list_store_append (crews, c);
    }
  g_print ("%u tickets and %u crews made in %.1f s; renderer %s\n", n_tickets, n_crews,
           (g_get_monotonic_time () - t0) / 1e6, g_getenv ("GSK_RENDERER") ? g_getenv ("GSK_RENDERER") : "default");

  window = GTK_WINDOW (gtk_window_new ());
  gtk_window_set_default_size (window, 1280, 800);
  map = shumate_map_new ();
  registry = shumate_map_source_registry_new_with_defaults ();
  /* A reference source for the projection; no tile layer is added. */
  shumate_viewport_set_reference_map_source (shumate_map_get_viewport (map),
                                             shumate_map_source_registry_get_by_id (registry,
                                                                                    SHUMATE_MAP_SOURCE_OSM_MAPNIK));
  gtk_window_set_child (window, GTK_WIDGET (map));
  run.map = GTK_WIDGET (map);
  run.viewport = shumate_map_get_viewport (map);
  run.crews = crews;

  /* CdMapLayer. */
  t0 = g_get_monotonic_time ();
  layer = cd_map_layer_new (run.viewport);
  cd_map_layer_set_policies (layer, policies);
  cd_map_layer_set_now (layer, now);
  cd_map_layer_set_models (layer, G_LIST_MODEL (tickets), G_LIST_MODEL (crews));
  shumate_map_add_layer (map, SHUMATE_LAYER (layer));
  g_print ("CdMapLayer fed in %.0f ms\n", (g_get_monotonic_time () - t0) / 1000.0);
  gtk_window_present (window);
  wait_mapped (run.map);

  run.marker_layer = FALSE;
  run.layer = GTK_WIDGET (layer);
  run_script (&run);
  cd_map_layer_get_stats (layer, &stats);
  g_print ("\n");
  report_run (&run, "CdMapLayer");
  /* The same frames with a single ticket: what a whole-window repaint
   * costs GTK and the X server by itself. */
  {
    g_autoptr(GListStore) one = g_list_store_new (CD_TYPE_TICKET);
    g_autoptr(CdTicket) first = g_list_model_get_item (G_LIST_MODEL (tickets), 0);

    g_list_store_append (one, first);
    cd_map_layer_set_models (layer, G_LIST_MODEL (one), NULL);
    run_script (&run);
    g_print ("\n");
    report_run (&run, "CdMapLayer with one ticket (the cost of a repaint)");
    cd_map_layer_set_models (layer, NULL, NULL);
  }
  shumate_map_remove_layer (map, SHUMATE_LAYER (layer));

  if (g_getenv ("CD_BENCH_MAP_ONLY_LAYER") != NULL)
    {
      gtk_window_destroy (window);
      g_rand_free (rand);
      return 0;
    }

  /* ShumateMarkerLayer, one ShumatePoint per ticket and crew. */
  t0 = g_get_monotonic_time ();
  markers = shumate_marker_layer_new (run.viewport);
  for (guint i = 0; i < n_tickets; i++)
    {
      g_autoptr(CdTicket) t = g_list_model_get_item (G_LIST_MODEL (tickets), i);
      ShumateMarker *point = shumate_point_new ();

      shumate_location_set_location (SHUMATE_LOCATION (point), t->lat, t->lon);
      shumate_marker_layer_add_marker (markers, point);
    }
  for (guint i = 0; i < n_crews; i++)
    {
      g_autoptr(CdCrew) c = g_list_model_get_item (G_LIST_MODEL (crews), i);
      ShumateMarker *point = shumate_point_new ();

      shumate_location_set_location (SHUMATE_LOCATION (point), c->lat, c->lon);
      shumate_marker_layer_add_marker (markers, point);
    }
  shumate_map_add_layer (map, SHUMATE_LAYER (markers));
  g_print ("\nShumateMarkerLayer fed in %.0f ms\n", (g_get_monotonic_time () - t0) / 1000.0);

  run.marker_layer = TRUE;
  run.layer = GTK_WIDGET (markers);
  run_script (&run);
  report_run (&run, "ShumateMarkerLayer (no clustering, crews do not glide)");
  g_print ("\nLast CdMapLayer frame: %u tickets, %u ticket clusters, %u crews, %u crew clusters\n",
           stats.n_tickets, stats.n_ticket_clusters, stats.n_crews, stats.n_crew_clusters);

  gtk_window_destroy (window);
  g_clear_pointer (&run.image, cairo_surface_destroy);
  g_rand_free (rand);
  return 0;
}
