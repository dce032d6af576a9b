/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-map-view.c: the map page in a real window, under xvfb-run.
 *
 * A CdContext over a real cache, filled through its store with tickets
 * and crews of the demo city (the engine is never started), shown in a
 * window. Clicks go through the map's own click gesture, keys through its
 * key controller. Screenshots land in the build directory for a person to
 * look at. */
#include "config.h"

#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "cd-test-ui.h"
#include "cd-city.h"
#include "cd-context.h"
#include "cd-model.h"
#include "cd-store.h"
#include "map/cd-map-view.h"
#ifdef HAVE_DEMO_TILES
#include "tiles/cd-tiles.h"
#endif

#define N_TICKETS 90
#define N_CREWS   14

typedef struct {
  char         *dir;
  CdSyncEngine *engine;
  CdContext    *context;
  GtkWindow    *window;
  CdMapView    *view;
  CdMapLayer   *layer;
} Fixture;

static gboolean
is_mapped (gpointer data)
{
  return gtk_widget_get_mapped (data);
}

/* Widget tree helpers --------------------------------------------------------- */

static GtkWidget *
find_widget (GtkWidget  *widget,
             GType       type,
             const char *tooltip)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (widget, type) &&
      (tooltip == NULL || g_strcmp0 (gtk_widget_get_tooltip_text (widget), tooltip) == 0))
    return widget;

  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_widget (child, type, tooltip);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static GtkWidget *
find_by_class (GtkWidget  *widget,
               const char *css_class)
{
  if (gtk_widget_has_css_class (widget, css_class))
    return widget;

  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_by_class (child, css_class);

      if (found != NULL)
        return found;
    }
  return NULL;
}

/* A primary click at (x, y) of the map, through its click gestures. */
static void
click_map (Fixture *f,
           double   x,
           double   y)
{
  GtkWidget *map = GTK_WIDGET (cd_map_view_get_map (f->view));
  g_autoptr(GListModel) controllers = gtk_widget_observe_controllers (map);
  guint n = 0;

  for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
    {
      g_autoptr(GObject) controller = g_list_model_get_item (controllers, i);

      if (GTK_IS_GESTURE_CLICK (controller))
        {
          g_signal_emit_by_name (controller, "released", 1, x, y);
          n++;
        }
    }
  g_assert_cmpuint (n, >, 0);
}

/* A key press on the map, through its key controllers. */
static gboolean
press_key (Fixture         *f,
           guint            keyval,
           GdkModifierType  state)
{
  GtkWidget *map = GTK_WIDGET (cd_map_view_get_map (f->view));
  g_autoptr(GListModel) controllers = gtk_widget_observe_controllers (map);
  gboolean handled = FALSE;

  for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
    {
      g_autoptr(GObject) controller = g_list_model_get_item (controllers, i);
      gboolean ret = FALSE;

      if (GTK_IS_EVENT_CONTROLLER_KEY (controller))
        {
          g_signal_emit_by_name (controller, "key-pressed", keyval, 0, state, &ret);
          handled |= ret;
        }
    }
  return handled;
}

/* The data ---------------------------------------------------------------------- */

static const char * const heat_skills[] = { "pipe-repair", "welding", "radiator", "substation", "heat-meter", NULL };
static const char * const power_skills[] = { "lv-repair", "hv-switching", "cable-fault", "meter", NULL };

static void
fill_cache (CdSyncCache    *cache,
            CdSlaPolicySet *policies,
            gint64          now)
{
  CdCity *city = cd_city_get_demo ();
  CdStore *store = cd_sync_cache_get_store (cache);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) crews = g_ptr_array_new_with_free_func (g_object_unref);
  const char * const *areas = cd_city_get_district_ids (city);
  GRand *rand = g_rand_new_with_seed (20261123);

  cd_sync_cache_lock (cache);
  g_assert_true (cd_store_begin (store, &error));
  g_assert_no_error (error);

  for (guint i = 0; i < N_CREWS; i++)
    {
      CdCrew *crew = cd_crew_new ();
      char *members[3] = { cd_city_random_person (rand), cd_city_random_person (rand), NULL };

      CD_RECORD (crew)->id = g_uuid_string_random ();
      CD_RECORD (crew)->version = 1;
      CD_RECORD (crew)->rev = cd_store_next_rev (store, &error);
      crew->utility = i % 2 == 0 ? CD_UTILITY_HEAT : CD_UTILITY_POWER;
      crew->name = g_strdup_printf ("%s %u", crew->utility == CD_UTILITY_HEAT ? "Heat" : "Power", i / 2 + 1);
      crew->status = (CdCrewStatus) (i % 5 == 4 ? CD_CREW_STATUS_BREAK : i % 3);
      crew->members = g_strdupv (members);
      crew->skills = g_strdupv ((char **) (crew->utility == CD_UTILITY_HEAT ? heat_skills : power_skills));
      crew->areas = g_strdupv ((char **) areas);
      crew->phone = g_strdup_printf ("+86 10 5555 %04u", 100 + i);
      crew->capacity = 3;
      crew->shift_start = now - 4 * 3600;
      crew->shift_end = now + 4 * 3600;
      g_free (cd_city_random_address (city, rand, NULL, &crew->lat, &crew->lon));
      crew->heading = g_rand_double_range (rand, 0, 360);
      crew->speed_kmh = crew->status == CD_CREW_STATUS_EN_ROUTE ? 32 : 0;
      crew->position_at = now - 5;
      crew->updated_at = now;
      g_free (members[0]);
      g_free (members[1]);
      g_assert_true (cd_store_save (store, CD_RECORD (crew), &error));
      g_assert_no_error (error);
      g_ptr_array_add (crews, crew);
    }

  for (guint i = 0; i < N_TICKETS; i++)
    {
      g_autoptr(CdTicket) t = cd_ticket_new ();
      const CdCityDistrict *district;
      CdSlaPolicy *policy;
      CdCalendar *calendar;

      CD_RECORD (t)->id = g_uuid_string_random ();
      CD_RECORD (t)->version = 1;
      CD_RECORD (t)->rev = cd_store_next_rev (store, &error);
      t->number = g_strdup_printf ("HT-%06u", 1 + i);
      t->channel = CD_CHANNEL_HOTLINE;
      t->category = g_rand_int_range (rand, 0, CD_N_CATEGORIES);
      cd_category_get_utility (t->category, &t->utility);
      t->urgency = cd_city_report_urgency (t->category, rand);
      t->customer_name = cd_city_random_person (rand);
      t->customer_phone = g_strdup_printf ("+86 138 0013 %04u", i);
      t->address = cd_city_random_address (city, rand, NULL, &t->lat, &t->lon);
      district = cd_city_district_at (city, t->lat, t->lon);
      t->area = g_strdup (district != NULL ? district->id : areas[0]);
      t->area_class = district != NULL ? district->area_class : CD_AREA_CLASS_URBAN;
      t->description = g_strdup (cd_city_random_description (t->category, rand));
      t->skills = cd_city_job_skills (t->category, t->utility, t->urgency, rand);
      t->owner = g_strdup ("dispatcher");
      t->key_customer = i % 17 == 0;
      /* Most came in within the last twenty minutes, some hours ago:
       * every colour shows. */
      t->created_at = now - (i % 4 == 0 ? g_rand_int_range (rand, 1800, 4 * 3600)
                                        : g_rand_int_range (rand, 60, 1200));
      policy = cd_sla_policy_set_lookup (policies, t->category, t->urgency, t->area_class);
      calendar = cd_sla_policy_set_get_calendar (policies, policy->calendar);
      cd_sla_apply_policy (t, policy, calendar);
      t->status = CD_TICKET_STATUS_NEW;
      if (i % 3 == 1)
        {
          CdCrew *crew = g_ptr_array_index (crews, i % N_CREWS);

          if (crew->utility == t->utility)
            {
              t->crew_id = g_strdup (CD_RECORD (crew)->id);
              t->assignment_source = i % 2 ? CD_ASSIGNMENT_SOURCE_AUTO : CD_ASSIGNMENT_SOURCE_MANUAL;
              t->status = CD_TICKET_STATUS_ASSIGNED;
            }
        }
      if (i % 11 == 5)
        {
          t->status = CD_TICKET_STATUS_WAITING_CUSTOMER;
          g_assert_true (cd_sla_pause (t, calendar, now - 60, "customer not at home", &error));
          g_assert_no_error (error);
        }
      t->updated_at = now;
      g_assert_true (cd_store_save (store, CD_RECORD (t), &error));
      g_assert_no_error (error);
    }

  g_assert_true (cd_store_commit (store, &error));
  g_assert_no_error (error);
  cd_sync_cache_unlock (cache);
  g_rand_free (rand);
}

/* Fixture ------------------------------------------------------------------------- */

static gboolean
view_fitted (gpointer data)
{
  Fixture *f = data;
  CdMapLayerStats stats;

  cd_map_layer_get_stats (f->layer, &stats);
  /* Drawn, and moved from libshumate's starting zoom (0 or 3). */
  return stats.n_snapshots > 0 &&
         shumate_viewport_get_zoom_level (shumate_layer_get_viewport (SHUMATE_LAYER (f->layer))) > 8;
}

static void
fixture_set_up (Fixture       *f,
                gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CdSyncCache) cache = NULL;
  g_autoptr(CdSyncClient) client = NULL;
  g_autoptr(CdSlaPolicySet) policies = NULL;
  g_autoptr(CdUser) user = cd_user_new ();
  g_autofree char *path = NULL;

  adw_style_manager_set_color_scheme (adw_style_manager_get_default (),
                                      GPOINTER_TO_INT (user_data) ? ADW_COLOR_SCHEME_FORCE_DARK
                                                                  : ADW_COLOR_SCHEME_FORCE_LIGHT);

  f->dir = g_dir_make_tmp ("crewdesk-map-XXXXXX", &error);
  g_assert_no_error (error);
  path = g_build_filename (f->dir, "cache.db", NULL);

  /* Nothing listens there: the engine is never started anyway. */
  cache = cd_sync_cache_open ("http://127.0.0.1:9", "dispatcher", path, &error);
  g_assert_no_error (error);
  CD_RECORD (user)->id = g_uuid_string_random ();
  user->username = g_strdup ("dispatcher");
  user->display_name = g_strdup ("Li Na");
  user->role = CD_ROLE_DISPATCHER;
  g_assert_true (cd_sync_cache_set_user (cache, user, &error));
  g_assert_no_error (error);

  policies = cd_sla_policy_set_new_default (&error);
  g_assert_no_error (error);
  fill_cache (cache, policies, g_get_real_time () / G_USEC_PER_SEC);

  client = cd_sync_client_new ("http://127.0.0.1:9");
  f->engine = cd_sync_engine_new (client, cache);
  f->context = cd_context_new (f->engine, policies);
  cd_context_reload (f->context);
  g_assert_cmpuint (g_list_model_get_n_items (cd_context_get_tickets (f->context)), ==, N_TICKETS);
  g_assert_cmpuint (g_list_model_get_n_items (cd_context_get_crews (f->context)), ==, N_CREWS);

  f->view = CD_MAP_VIEW (cd_map_view_new (f->context));
  f->layer = cd_map_view_get_layer (f->view);

#ifdef HAVE_DEMO_TILES
  {
    /* The demo city's own tiles: offline, so the screenshots show streets. */
    g_autoptr(GSettings) settings = g_settings_new (APP_ID);
    g_autoptr(ShumateMapSource) source = NULL;

    cd_tiles_set_mode (settings, CD_TILE_SOURCE_MBTILES);
    source = cd_tiles_create_map_source (settings, &error);
    if (source != NULL)
      cd_map_view_set_map_source (f->view, source);
    else
      g_test_message ("no demo tiles: %s", error->message);
    g_clear_error (&error);
  }
#endif

  f->window = GTK_WINDOW (gtk_window_new ());
  gtk_window_set_default_size (f->window, 1280, 800);
  gtk_window_set_child (f->window, GTK_WIDGET (f->view));
  gtk_window_present (f->window);

  g_assert_true (cd_test_ui_wait_until (view_fitted, f, 30));
  cd_test_ui_wait_for_frame (GTK_WIDGET (f->window));
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  user_data)
{
  g_autofree char *path = g_build_filename (f->dir, "cache.db", NULL);
  g_autofree char *wal = g_strconcat (path, "-wal", NULL);
  g_autofree char *shm = g_strconcat (path, "-shm", NULL);

  gtk_window_destroy (f->window);
  g_clear_object (&f->context);
  g_clear_object (&f->engine);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_unlink (path);
  g_unlink (wal);
  g_unlink (shm);
  g_rmdir (f->dir);
  g_free (f->dir);
}

static CdTicket *
find_drawn_ticket (Fixture *f,
                   double  *x,
                   double  *y)
{
  GListModel *tickets = cd_context_get_tickets (f->context);
  int w = gtk_widget_get_width (GTK_WIDGET (f->layer));
  int h = gtk_widget_get_height (GTK_WIDGET (f->layer));

  for (guint i = 0; i < g_list_model_get_n_items (tickets); i++)
    {
      g_autoptr(CdTicket) t = g_list_model_get_item (tickets, i);
      CdMapHit hit;

      /* Well inside, and what a click there hits is this very ticket. */
      if (cd_map_layer_get_item_position (f->layer, t, x, y) &&
          *x > 60 && *y > 60 && *x < w - 400 && *y < h - 60 &&
          cd_map_layer_hit_test (f->layer, *x, *y, &hit) && hit.item == t)
        return t;
    }
  return NULL;
}

/* Tests ----------------------------------------------------------------------------- */

static void
test_first_frame (Fixture       *f,
                  gconstpointer  user_data)
{
  ShumateViewport *viewport = shumate_layer_get_viewport (SHUMATE_LAYER (f->layer));
  GListModel *tickets = cd_context_get_tickets (f->context);
  int w = gtk_widget_get_width (GTK_WIDGET (f->layer));
  int h = gtk_widget_get_height (GTK_WIDGET (f->layer));
  CdMapLayerStats stats;
  guint compared = 0;

  cd_map_layer_get_stats (f->layer, &stats);
  g_assert_cmpuint (stats.n_tickets + stats.n_ticket_clusters, >, 0);
  g_assert_cmpuint (stats.n_crews + stats.n_crew_clusters, >, 0);

  for (guint i = 0; i < g_list_model_get_n_items (tickets); i++)
    {
      g_autoptr(CdTicket) t = g_list_model_get_item (tickets, i);
      double sx, sy, x, y;

      /* The first view holds every ticket... */
      shumate_viewport_location_to_widget_coords (viewport, GTK_WIDGET (f->layer), t->lat, t->lon, &sx, &sy);
      g_assert_cmpfloat (sx, >=, 0);
      g_assert_cmpfloat (sy, >=, 0);
      g_assert_cmpfloat (sx, <=, w);
      g_assert_cmpfloat (sy, <=, h);

      /* ...and the layer draws each where libshumate puts it. */
      if (cd_map_layer_get_item_position (f->layer, t, &x, &y))
        {
          g_assert_cmpfloat_with_epsilon (x, sx, 0.01);
          g_assert_cmpfloat_with_epsilon (y, sy, 0.01);
          compared++;
        }
    }
  g_assert_cmpuint (compared, >, 0);

  g_assert_cmpfloat (cd_test_ui_save_screenshot (GTK_WIDGET (f->window), "map-overview"), >, 0.02);
}

static void
test_click_ticket (Fixture       *f,
                   gconstpointer  user_data)
{
  CdTicket *ticket;
  CdMapHit hit;
  double x, y;

  /* Close enough that tickets stand alone. */
  shumate_viewport_set_zoom_level (shumate_layer_get_viewport (SHUMATE_LAYER (f->layer)), 15);
  cd_test_ui_wait_for_frame (GTK_WIDGET (f->window));

  ticket = find_drawn_ticket (f, &x, &y);
  g_assert_nonnull (ticket);
  g_assert_null (cd_map_view_get_shown_item (f->view));

  click_map (f, x, y);
  g_assert_true (cd_map_view_get_shown_item (f->view) == ticket);
  g_assert_true (cd_map_layer_get_selected (f->layer) == ticket);
  g_assert_true (cd_test_ui_wait_for_label (GTK_WIDGET (f->view), ticket->number));
  g_assert_true (cd_test_ui_wait_for_label (GTK_WIDGET (f->view), ticket->address));
  /* The automatic proposal, broken down. */
  g_assert_true (cd_test_ui_wait_for_label (GTK_WIDGET (f->view), "Travel"));

  /* The panel opens over the map; the ticket stays in sight. A click a
   * little off still hits it; far off closes the panel. */
  cd_test_ui_wait_for_frame (GTK_WIDGET (f->window));
  g_assert_true (cd_map_layer_get_item_position (f->layer, ticket, &x, &y));
  g_assert_true (cd_map_layer_hit_test (f->layer, x + 9, y, &hit));
  g_assert_true (hit.item == ticket);

  g_assert_cmpfloat (cd_test_ui_save_screenshot (GTK_WIDGET (f->window), "map-ticket"), >, 0.02);

  click_map (f, 5, 5);
  g_assert_null (cd_map_view_get_shown_item (f->view));
  g_assert_null (cd_map_layer_get_selected (f->layer));
}

static void
test_click_crew (Fixture       *f,
                 gconstpointer  user_data)
{
  GListModel *crews = cd_context_get_crews (f->context);
  CdCrew *crew = NULL;
  double x = 0, y = 0;

  shumate_viewport_set_zoom_level (shumate_layer_get_viewport (SHUMATE_LAYER (f->layer)), 14);
  cd_test_ui_wait_for_frame (GTK_WIDGET (f->window));

  /* A crew with tickets, drawn on its own. */
  for (guint i = 0; i < g_list_model_get_n_items (crews) && crew == NULL; i++)
    {
      g_autoptr(CdCrew) c = g_list_model_get_item (crews, i);

      if (cd_context_get_crew_load (f->context, CD_RECORD (c)->id) == 0)
        continue;
      shumate_location_set_location (SHUMATE_LOCATION (shumate_layer_get_viewport (SHUMATE_LAYER (f->layer))),
                                     c->lat, c->lon - 0.01);
      cd_test_ui_wait_for_frame (GTK_WIDGET (f->window));
      if (cd_map_layer_get_item_position (f->layer, c, &x, &y))
        crew = c;
    }
  g_assert_nonnull (crew);

  click_map (f, x, y);
  g_assert_true (cd_map_view_get_shown_item (f->view) == crew);
  g_assert_true (cd_test_ui_wait_for_label (GTK_WIDGET (f->view), crew->name));
  g_assert_true (cd_test_ui_wait_for_label (GTK_WIDGET (f->view), "of 3 tickets"));
  g_assert_true (cd_test_ui_wait_for_label (GTK_WIDGET (f->view), "HT-"));

  /* The panel lies over the map at its own width, whatever it shows. */
  {
    GtkWidget *panel = find_by_class (GTK_WIDGET (f->view), "cd-map-panel");

    g_assert_nonnull (panel);
    g_assert_cmpint (gtk_widget_get_width (panel), <=, 400);
    g_assert_cmpint (gtk_widget_get_width (GTK_WIDGET (cd_map_view_get_map (f->view))), ==,
                     gtk_widget_get_width (GTK_WIDGET (f->view)));
  }
  g_assert_cmpfloat (cd_test_ui_save_screenshot (GTK_WIDGET (f->window), "map-crew"), >, 0.02);
}

static gboolean
zoomed_past_12 (gpointer data)
{
  return shumate_viewport_get_zoom_level (data) > 12.5;
}

static void
test_clusters (Fixture       *f,
               gconstpointer  user_data)
{
  ShumateViewport *viewport = shumate_layer_get_viewport (SHUMATE_LAYER (f->layer));
  CdMapLayerStats stats;
  CdMapHit hit = { 0 };
  gboolean found = FALSE;
  int x = 0, y = 0;

  shumate_viewport_set_zoom_level (viewport, 11);
  cd_test_ui_wait_for_frame (GTK_WIDGET (f->window));
  cd_map_layer_get_stats (f->layer, &stats);
  g_assert_cmpuint (stats.n_ticket_clusters, >, 0);

  g_assert_cmpfloat (cd_test_ui_save_screenshot (GTK_WIDGET (f->window), "map-clusters"), >, 0.02);

  /* Find a cluster by probing the map; clicking it zooms in. (Click where
   * the probe hit it: at its centre a crew may lie above it.) */
  for (y = 10; y < gtk_widget_get_height (GTK_WIDGET (f->layer)) && !found; y += 6)
    for (x = 10; x < gtk_widget_get_width (GTK_WIDGET (f->layer)) && !found; x += 6)
      found = cd_map_layer_hit_test (f->layer, x, y, &hit) && hit.kind == CD_MAP_HIT_TICKET_CLUSTER;
  g_assert_true (found);
  g_assert_cmpuint (hit.count, >=, 3);
  g_assert_true (CD_IS_TICKET (hit.item));
  g_assert_cmpfloat (hit.south, <=, hit.north);
  g_assert_cmpfloat (hit.west, <=, hit.east);

  click_map (f, x - 6, y - 6);
  g_assert_true (cd_test_ui_wait_until (zoomed_past_12, viewport, 30));
  g_assert_null (cd_map_view_get_shown_item (f->view));
}

typedef struct {
  ShumateViewport *viewport;
  double           zoom;
} ZoomTarget;

static gboolean
zoom_reached (gpointer data)
{
  ZoomTarget *target = data;

  return fabs (shumate_viewport_get_zoom_level (target->viewport) - target->zoom) < 0.01;
}

static void
test_keyboard (Fixture       *f,
               gconstpointer  user_data)
{
  ShumateViewport *viewport = shumate_layer_get_viewport (SHUMATE_LAYER (f->layer));
  gpointer first, second, third;
  ZoomTarget zoom_target;

  shumate_viewport_set_zoom_level (viewport, 15);
  cd_test_ui_wait_for_frame (GTK_WIDGET (f->window));
  gtk_widget_grab_focus (GTK_WIDGET (cd_map_view_get_map (f->view)));

  g_assert_true (press_key (f, GDK_KEY_Tab, 0));
  first = cd_map_layer_get_selected (f->layer);
  g_assert_true (CD_IS_TICKET (first));
  g_assert_true (press_key (f, GDK_KEY_Tab, 0));
  second = cd_map_layer_get_selected (f->layer);
  g_assert_true (CD_IS_TICKET (second));
  g_assert_true (second != first);
  g_assert_true (press_key (f, GDK_KEY_ISO_Left_Tab, GDK_SHIFT_MASK));
  g_assert_true (cd_map_layer_get_selected (f->layer) == first);
  /* Selecting does not open the panel; Enter does. */
  g_assert_null (cd_map_view_get_shown_item (f->view));
  g_assert_true (press_key (f, GDK_KEY_Return, 0));
  g_assert_true (cd_map_view_get_shown_item (f->view) == first);

  /* The arrows move the selection (or the map, when nothing is that way),
   * and an open panel follows. */
  g_assert_true (press_key (f, GDK_KEY_Right, 0));
  g_assert_true (press_key (f, GDK_KEY_Down, 0));
  third = cd_map_layer_get_selected (f->layer);
  g_assert_true (CD_IS_TICKET (third));
  g_assert_true (cd_map_view_get_shown_item (f->view) == third);

  /* Escape closes the panel, then drops the selection. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->view), "map.escape", NULL));
  g_assert_null (cd_map_view_get_shown_item (f->view));
  g_assert_true (cd_map_layer_get_selected (f->layer) == third);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->view), "map.escape", NULL));
  g_assert_null (cd_map_layer_get_selected (f->layer));

  /* + and − zoom (libshumate animates it). */
  zoom_target.viewport = viewport;
  zoom_target.zoom = shumate_viewport_get_zoom_level (viewport) + 1;
  g_assert_true (press_key (f, GDK_KEY_plus, 0));
  g_assert_true (cd_test_ui_wait_until (zoom_reached, &zoom_target, 30));
  zoom_target.zoom -= 1;
  g_assert_true (press_key (f, GDK_KEY_minus, 0));
  g_assert_true (cd_test_ui_wait_until (zoom_reached, &zoom_target, 30));

  /* Other keys are left to the rest of the window. */
  g_assert_false (press_key (f, GDK_KEY_a, 0));
}

typedef struct {
  GAsyncResult *result;
} Pick;

static void
picked_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  ((Pick *) user_data)->result = g_object_ref (result);
}

static gboolean
has_result (gpointer data)
{
  return ((Pick *) data)->result != NULL;
}

static void
test_pick_location (Fixture       *f,
                    gconstpointer  user_data)
{
  ShumateViewport *viewport = shumate_layer_get_viewport (SHUMATE_LAYER (f->layer));
  GtkWidget *map = GTK_WIDGET (cd_map_view_get_map (f->view));
  GtkWidget *bar = find_widget (GTK_WIDGET (f->view), GTK_TYPE_INFO_BAR, NULL);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  Pick pick = { NULL };
  double lat, lon, want_lat, want_lon;

  g_assert_nonnull (bar);
  g_assert_false (gtk_info_bar_get_revealed (GTK_INFO_BAR (bar)));

  /* A click places it. */
  cd_map_view_pick_location_async (f->view, NULL, picked_cb, &pick);
  g_assert_true (gtk_info_bar_get_revealed (GTK_INFO_BAR (bar)));
  g_assert_true (cd_test_ui_wait_for_label (GTK_WIDGET (f->view), "Click the map to place the ticket"));
  g_assert_cmpfloat (cd_test_ui_save_screenshot (GTK_WIDGET (f->window), "map-pick"), >, 0.02);
  click_map (f, 300, 200);
  g_assert_true (cd_test_ui_wait_until (has_result, &pick, 10));
  g_assert_true (cd_map_view_pick_location_finish (f->view, pick.result, &lat, &lon, &error));
  g_assert_no_error (error);
  shumate_viewport_widget_coords_to_location (viewport, map, 300, 200, &want_lat, &want_lon);
  g_assert_cmpfloat_with_epsilon (lat, want_lat, 1e-9);
  g_assert_cmpfloat_with_epsilon (lon, want_lon, 1e-9);
  g_assert_false (gtk_info_bar_get_revealed (GTK_INFO_BAR (bar)));
  /* Picking is not selecting. */
  g_assert_null (cd_map_view_get_shown_item (f->view));
  g_clear_object (&pick.result);

  /* Enter places it at the crosshair, the centre. */
  cd_map_view_pick_location_async (f->view, NULL, picked_cb, &pick);
  g_assert_true (press_key (f, GDK_KEY_Return, 0));
  g_assert_true (cd_test_ui_wait_until (has_result, &pick, 10));
  g_assert_true (cd_map_view_pick_location_finish (f->view, pick.result, &lat, &lon, &error));
  g_assert_cmpfloat_with_epsilon (lat, shumate_location_get_latitude (SHUMATE_LOCATION (viewport)), 1e-9);
  g_assert_cmpfloat_with_epsilon (lon, shumate_location_get_longitude (SHUMATE_LOCATION (viewport)), 1e-9);
  g_clear_object (&pick.result);

  /* Escape cancels. */
  cd_map_view_pick_location_async (f->view, NULL, picked_cb, &pick);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->view), "map.escape", NULL));
  g_assert_true (cd_test_ui_wait_until (has_result, &pick, 10));
  g_assert_false (cd_map_view_pick_location_finish (f->view, pick.result, &lat, &lon, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  g_clear_object (&pick.result);
  g_assert_false (gtk_info_bar_get_revealed (GTK_INFO_BAR (bar)));

  /* So does the caller's cancellable... */
  cd_map_view_pick_location_async (f->view, cancellable, picked_cb, &pick);
  g_cancellable_cancel (cancellable);
  g_assert_true (cd_test_ui_wait_until (has_result, &pick, 10));
  g_assert_false (cd_map_view_pick_location_finish (f->view, pick.result, &lat, &lon, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  g_clear_object (&pick.result);

  /* ...and a new request, for the one before it. */
  {
    Pick second = { NULL };

    cd_map_view_pick_location_async (f->view, NULL, picked_cb, &pick);
    cd_map_view_pick_location_async (f->view, NULL, picked_cb, &second);
    g_assert_true (cd_test_ui_wait_until (has_result, &pick, 10));
    g_assert_false (cd_map_view_pick_location_finish (f->view, pick.result, &lat, &lon, &error));
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
    g_clear_error (&error);
    g_assert_null (second.result);
    click_map (f, 100, 100);
    g_assert_true (cd_test_ui_wait_until (has_result, &second, 10));
    g_assert_true (cd_map_view_pick_location_finish (f->view, second.result, &lat, &lon, &error));
    g_clear_object (&second.result);
    g_clear_object (&pick.result);
  }
}

static void
test_filter (Fixture       *f,
             gconstpointer  user_data)
{
  GtkWidget *utility = find_widget (GTK_WIDGET (f->view), GTK_TYPE_DROP_DOWN, "Utility");
  GtkWidget *crew = find_widget (GTK_WIDGET (f->view), GTK_TYPE_DROP_DOWN, "Crew");
  GListModel *tickets = cd_context_get_tickets (f->context);
  guint n_power = 0, n_unassigned = 0, shown = 0;

  g_assert_nonnull (utility);
  g_assert_nonnull (crew);
  for (guint i = 0; i < g_list_model_get_n_items (tickets); i++)
    {
      g_autoptr(CdTicket) t = g_list_model_get_item (tickets, i);

      n_power += t->utility == CD_UTILITY_POWER;
      n_unassigned += t->crew_id == NULL;
    }
  g_assert_cmpuint (n_power, >, 0);
  g_assert_cmpuint (n_power, <, N_TICKETS);

  /* "All Utilities", "Heat", "Power". */
  gtk_drop_down_set_selected (GTK_DROP_DOWN (utility), 2);
  cd_map_layer_count_shown (f->layer, &shown, NULL);
  g_assert_cmpuint (shown, ==, n_power);
  g_assert_cmpint (cd_map_layer_get_filter (f->layer)->utility, ==, CD_UTILITY_POWER);
  g_assert_true (cd_test_ui_wait_for_label (GTK_WIDGET (f->view), "tickets ·"));

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->view), "map.clear-filters", NULL));
  cd_map_layer_count_shown (f->layer, &shown, NULL);
  g_assert_cmpuint (shown, ==, N_TICKETS);

  /* "All Crews", "Unassigned Tickets", then the crews. */
  gtk_drop_down_set_selected (GTK_DROP_DOWN (crew), 1);
  cd_map_layer_count_shown (f->layer, &shown, NULL);
  g_assert_cmpuint (shown, ==, n_unassigned);

  g_assert_cmpfloat (cd_test_ui_save_screenshot (GTK_WIDGET (f->window), "map-filtered"), >, 0.02);

  /* The legend: one row per symbol, drawn as the map draws it. */
  {
    GtkWidget *button = find_widget (GTK_WIDGET (f->view), GTK_TYPE_MENU_BUTTON, "What the symbols mean");
    GtkPopover *popover;

    g_assert_nonnull (button);
    popover = gtk_menu_button_get_popover (GTK_MENU_BUTTON (button));
    gtk_menu_button_popup (GTK_MENU_BUTTON (button));
    g_assert_true (cd_test_ui_wait_until (is_mapped, popover, 30));
    g_assert_true (cd_test_ui_find_label (GTK_WIDGET (popover), "Time limit missed"));
    g_assert_true (cd_test_ui_find_label (GTK_WIDGET (popover), "Burst pipe"));
    g_assert_cmpfloat (cd_test_ui_save_screenshot (GTK_WIDGET (popover), "map-legend"), >, 0.02);
    gtk_popover_popdown (popover);
  }
}

static gboolean
nothing_moves (gpointer data)
{
  CdMapLayerStats stats;

  cd_map_layer_get_stats (data, &stats);
  return stats.n_moving == 0;
}

static void
test_crew_glides (Fixture       *f,
                  gconstpointer  user_data)
{
  ShumateViewport *viewport = shumate_layer_get_viewport (SHUMATE_LAYER (f->layer));
  g_autoptr(CdCrew) crew = g_list_model_get_item (cd_context_get_crews (f->context), 0);
  CdMapLayerStats stats;
  double x0, y0, x, y, sx, sy;
  double lat = crew->lat + 0.002, lon = crew->lon + 0.003;

  shumate_viewport_set_zoom_level (viewport, 16);
  shumate_location_set_location (SHUMATE_LOCATION (viewport), crew->lat, crew->lon);
  cd_test_ui_wait_for_frame (GTK_WIDGET (f->window));
  g_assert_true (cd_map_layer_get_item_position (f->layer, crew, &x0, &y0));
  cd_map_layer_set_show_trails (f->layer, TRUE);

  /* A report two seconds after the last: it glides for two seconds. */
  g_object_freeze_notify (G_OBJECT (crew));
  g_object_set (crew,
                "position-lat", lat,
                "position-lon", lon,
                "position-heading", 56.0,
                "position-speed-kmh", 30.0,
                "position-at", crew->position_at + 2,
                NULL);
  g_object_thaw_notify (G_OBJECT (crew));

  cd_map_layer_get_stats (f->layer, &stats);
  g_assert_cmpuint (stats.n_moving, ==, 1);
  /* Right after the report it is still where it was drawn. */
  cd_test_ui_wait_for_frame (GTK_WIDGET (f->window));
  g_assert_true (cd_map_layer_get_item_position (f->layer, crew, &x, &y));
  shumate_viewport_location_to_widget_coords (viewport, GTK_WIDGET (f->layer), lat, lon, &sx, &sy);
  g_assert_cmpfloat (hypot (x - x0, y - y0), <, hypot (sx - x0, sy - y0));

  g_assert_true (cd_test_ui_wait_until (nothing_moves, f->layer, 30));
  cd_test_ui_wait_for_frame (GTK_WIDGET (f->window));
  g_assert_true (cd_map_layer_get_item_position (f->layer, crew, &x, &y));
  g_assert_cmpfloat_with_epsilon (x, sx, 0.01);
  g_assert_cmpfloat_with_epsilon (y, sy, 0.01);

  g_assert_cmpfloat (cd_test_ui_save_screenshot (GTK_WIDGET (f->window), "map-trail"), >, 0.02);
}

static void
test_dark (Fixture       *f,
           gconstpointer  user_data)
{
  CdTicket *ticket;
  double x, y;

  g_assert_true (adw_style_manager_get_dark (adw_style_manager_get_default ()));
  shumate_viewport_set_zoom_level (shumate_layer_get_viewport (SHUMATE_LAYER (f->layer)), 14);
  cd_test_ui_wait_for_frame (GTK_WIDGET (f->window));
  ticket = find_drawn_ticket (f, &x, &y);
  g_assert_nonnull (ticket);
  click_map (f, x, y);
  g_assert_true (cd_map_view_get_shown_item (f->view) == ticket);
  g_assert_cmpfloat (cd_test_ui_save_screenshot (GTK_WIDGET (f->window), "map-dark"), >, 0.02);
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *home = NULL;

  /* libshumate's tile cache goes under XDG_CACHE_HOME: keep it here. */
  home = g_build_filename (g_get_tmp_dir (), "crewdesk-map-test-home", NULL);
  g_setenv ("XDG_CACHE_HOME", home, TRUE);
  g_setenv ("XDG_DATA_HOME", home, TRUE);
#ifdef HAVE_DEMO_TILES
  g_setenv ("CREWDESK_DEMO_TILES", DEMO_TILES_PATH, TRUE);
#endif

  g_test_init (&argc, &argv, NULL);
  adw_init ();
  cd_model_init ();

#define ADD(path, func, dark) \
  g_test_add (path, Fixture, GINT_TO_POINTER (dark), fixture_set_up, func, fixture_tear_down)
  ADD ("/map/view/first-frame", test_first_frame, FALSE);
  ADD ("/map/view/click-ticket", test_click_ticket, FALSE);
  ADD ("/map/view/click-crew", test_click_crew, FALSE);
  ADD ("/map/view/clusters", test_clusters, FALSE);
  ADD ("/map/view/keyboard", test_keyboard, FALSE);
  ADD ("/map/view/pick-location", test_pick_location, FALSE);
  ADD ("/map/view/filter", test_filter, FALSE);
  ADD ("/map/view/crew-glides", test_crew_glides, FALSE);
  ADD ("/map/view/dark", test_dark, TRUE);
#undef ADD

  return g_test_run ();
}
