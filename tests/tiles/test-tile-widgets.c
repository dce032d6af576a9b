/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-tile-widgets.c: on a display (xvfb-run): the map drawn from the
 * demo city's tiles with no network at all, the "Map" preferences page,
 * and the region download dialog. Each writes a screenshot (PNG) into
 * the build directory for a person to look at.
 *
 *   test-tile-widgets --tap DEMO-CITY.mbtiles SCREENSHOT-DIR
 */
#include "config.h"

#include <adwaita.h>

#include "cd-city.h"
#include "tiles/cd-mbtiles-source.h"
#include "tiles/cd-region-download-dialog.h"
#include "tiles/cd-tile-preferences.h"
#include "tiles/cd-tiles.h"
#include "tiles-test.h"

#define ARTERIAL_FILL 0xfcd6a4
#define WATER_FILL    0xaad3df

static const char *demo_path;
static const char *shot_dir;

/* Helpers ------------------------------------------------------------------------ */

static gboolean
count_frame_cb (GtkWidget     *widget,
                GdkFrameClock *clock,
                gpointer       user_data)
{
  (*(guint *) user_data)++;
  return G_SOURCE_CONTINUE;
}

/* Runs the main loop until @widget has drawn @n more frames. */
static void
wait_frames (GtkWidget *widget,
             guint      n)
{
  guint frames = 0;
  guint id = gtk_widget_add_tick_callback (widget, count_frame_cb, &frames, NULL);
  gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;

  while (frames < n && g_get_monotonic_time () < deadline)
    {
      gtk_widget_queue_draw (widget);
      g_main_context_iteration (NULL, TRUE);
    }
  gtk_widget_remove_tick_callback (widget, id);
  g_assert_cmpuint (frames, >=, n);
}

static void
wait_ms (guint ms)
{
  gint64 until = g_get_monotonic_time () + (gint64) ms * 1000;

  while (g_get_monotonic_time () < until)
    if (!g_main_context_iteration (NULL, FALSE))
      g_usleep (2000);
}

/* Renders @target as it is on screen and saves it as @name (for a
 * window, its content: the frame is the window manager's business). */
static GdkTexture *
screenshot (GtkWidget  *target,
            const char *name)
{
  GtkWidget *widget = GTK_IS_WINDOW (target) ? gtk_widget_get_first_child (target) : target;
  g_autoptr(GdkPaintable) paintable = NULL;
  g_autofree char *path = g_build_filename (shot_dir, name, NULL);
  GtkSnapshot *snapshot = gtk_snapshot_new ();
  GskRenderNode *node;
  GskRenderer *renderer;
  GdkTexture *texture;
  int w, h;

  /* The paintable copies the widget as last drawn: nothing while a
   * resize is pending. */
  wait_frames (widget, 2);
  paintable = gtk_widget_paintable_new (widget);
  w = gtk_widget_get_width (widget);
  h = gtk_widget_get_height (widget);

  g_assert_cmpint (w, >, 0);
  g_assert_cmpint (h, >, 0);
  gdk_paintable_snapshot (paintable, snapshot, w, h);
  node = gtk_snapshot_free_to_node (snapshot);
  g_assert_nonnull (node);
  renderer = gtk_native_get_renderer (gtk_widget_get_native (widget));
  texture = gsk_renderer_render_texture (renderer, node, &GRAPHENE_RECT_INIT (0, 0, w, h));
  gsk_render_node_unref (node);

  g_assert_true (gdk_texture_save_to_png (texture, path));
  g_test_message ("screenshot: %s", path);
  return texture;
}

typedef struct {
  guint  width;
  guint  height;
  guint  n_colors;
  double arterial;   /* share of pixels */
  double water;
  double top_color_share;
} PixelStats;

static PixelStats
pixel_stats (GdkTexture *texture)
{
  PixelStats st = { gdk_texture_get_width (texture), gdk_texture_get_height (texture), 0, 0, 0, 0 };
  g_autofree guint32 *px = g_new (guint32, st.width * st.height);
  g_autoptr(GHashTable) colors = g_hash_table_new (NULL, NULL);
  guint arterial = 0, water = 0, top = 0;
  GHashTableIter iter;
  gpointer count;

  gdk_texture_download (texture, (guchar *) px, st.width * 4);
  for (guint i = 0; i < st.width * st.height; i++)
    {
      guint32 c = px[i] & 0xffffff;
      gpointer key = GUINT_TO_POINTER (c);

      g_hash_table_insert (colors, key, GUINT_TO_POINTER (GPOINTER_TO_UINT (g_hash_table_lookup (colors, key)) + 1));
      if (color_near (c, ARTERIAL_FILL, 4))
        arterial++;
      if (color_near (c, WATER_FILL, 4))
        water++;
    }
  g_hash_table_iter_init (&iter, colors);
  while (g_hash_table_iter_next (&iter, NULL, &count))
    top = MAX (top, GPOINTER_TO_UINT (count));

  st.n_colors = g_hash_table_size (colors);
  st.arterial = (double) arterial / (st.width * st.height);
  st.water = (double) water / (st.width * st.height);
  st.top_color_share = (double) top / (st.width * st.height);
  return st;
}

static GtkWidget *
find_row (GtkWidget  *root,
          GType       type,
          const char *title)
{
  for (GtkWidget *child = gtk_widget_get_first_child (root); child; child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found;

      if (G_TYPE_CHECK_INSTANCE_TYPE (child, type)
          && (title == NULL || g_strcmp0 (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (child)), title) == 0))
        return child;
      if ((found = find_row (child, type, title)))
        return found;
    }
  return NULL;
}

static GtkWidget *
find_widget (GtkWidget *root,
             GType      type)
{
  for (GtkWidget *child = gtk_widget_get_first_child (root); child; child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found;

      if (G_TYPE_CHECK_INSTANCE_TYPE (child, type))
        return child;
      if ((found = find_widget (child, type)))
        return found;
    }
  return NULL;
}

/* The map ------------------------------------------------------------------------ */

static void
tile_received_cb (ShumateDataSource *source,
                  int                x,
                  int                y,
                  int                zoom,
                  GBytes            *bytes,
                  guint             *count)
{
  (*count)++;
}

static GdkTexture *
show_map (GSettings  *settings,
          double      zoom,
          const char *shot,
          guint      *n_tiles)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(ShumateMapSource) source = cd_tiles_create_map_source (settings, &error);
  ShumateDataSource *data_source = NULL;
  ShumateSimpleMap *map;
  GtkWindow *window;
  CdCity *city = cd_city_get_demo ();
  double s, w, n, e;
  guint received = 0, last = 0, still = 0;
  gint64 deadline;
  GdkTexture *texture;

  g_assert_no_error (error);
  g_object_get (source, "data-source", &data_source, NULL);
  g_signal_connect (data_source, "received-data", G_CALLBACK (tile_received_cb), &received);

  window = GTK_WINDOW (gtk_window_new ());
  gtk_window_set_default_size (window, 800, 600);
  gtk_window_set_decorated (window, FALSE);
  map = shumate_simple_map_new ();
  shumate_simple_map_set_map_source (map, source);
  gtk_window_set_child (window, GTK_WIDGET (map));
  gtk_window_present (window);

  cd_city_get_bounds (city, &s, &w, &n, &e);
  shumate_viewport_set_zoom_level (shumate_simple_map_get_viewport (map), zoom);
  shumate_map_center_on (shumate_simple_map_get_map (map), (s + n) / 2, (w + e) / 2);

  /* Until the tiles stop coming (a dozen frames without a new one). */
  deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
  while (g_get_monotonic_time () < deadline && (received < 6 || still < 12))
    {
      wait_frames (GTK_WIDGET (map), 1);
      still = received == last ? still + 1 : 0;
      last = received;
    }
  g_test_message ("%u tiles received", received);
  /* Tiles fade in. */
  wait_ms (400);
  wait_frames (GTK_WIDGET (map), 3);

  texture = screenshot (GTK_WIDGET (map), shot);

  /* The visible area, as region download takes it: around the centre,
   * as wide as 800 px are at this zoom level. */
  {
    CdTileBounds area;
    double span = 800.0 / CD_TILE_SIZE * 360.0 / (1 << (int) zoom);

    g_assert_true (cd_tiles_bounds_from_viewport (shumate_simple_map_get_viewport (map),
                                                  GTK_WIDGET (map), &area));
    g_assert_cmpfloat (area.south, <, (s + n) / 2);
    g_assert_cmpfloat (area.north, >, (s + n) / 2);
    g_assert_cmpfloat_with_epsilon ((area.west + area.east) / 2, (w + e) / 2, 1e-4);
    g_assert_cmpfloat_with_epsilon (area.east - area.west, span, span * 0.01);
  }
  g_signal_handlers_disconnect_by_data (data_source, &received);
  g_object_unref (data_source);
  gtk_window_destroy (window);
  *n_tiles = received;
  return texture;
}

static void
test_map_offline (void)
{
  g_autoptr(GSettings) settings = test_settings_new ();
  g_autoptr(GdkTexture) texture = NULL;
  PixelStats st;
  guint n_tiles = 0;

  /* No network at all: the offline file only, and a server address
   * nothing listens on, should anything try it. */
  g_settings_set_string (settings, CD_TILES_KEY_URL_TEMPLATE, "http://127.0.0.1:9/{z}/{x}/{y}.png");
  cd_tiles_set_mode (settings, CD_TILE_SOURCE_MBTILES);
  g_settings_set_string (settings, CD_TILES_KEY_MBTILES_PATH, demo_path);

  texture = show_map (settings, 14, "tiles-map-offline.png", &n_tiles);
  st = pixel_stats (texture);
  g_test_message ("%u×%u, %u colours, %.1f%% arterial, %.1f%% water, top colour %.1f%%",
                  st.width, st.height, st.n_colors, st.arterial * 100, st.water * 100, st.top_color_share * 100);

  g_assert_cmpuint (n_tiles, >=, 12);          /* 800×600 at 256 px: 4×3 tiles at least */
  g_assert_cmpuint (st.n_colors, >, 50);      /* not blank, not one colour */
  g_assert_cmpfloat (st.top_color_share, <, 0.8);
  g_assert_cmpfloat (st.arterial, >, 0.01);   /* streets */
  g_assert_cmpfloat (st.water, >, 0.005);     /* the river runs through the centre */
}

static void
test_map_both_unreachable (void)
{
  g_autoptr(GSettings) settings = test_settings_new ();
  g_autoptr(GdkTexture) texture = NULL;
  PixelStats st;
  guint n_tiles = 0;

  /* The file first; the online server is down. Inside the city the map
   * is whole. */
  g_settings_set_string (settings, CD_TILES_KEY_URL_TEMPLATE, "http://127.0.0.1:9/{z}/{x}/{y}.png");
  cd_tiles_set_mode (settings, CD_TILE_SOURCE_BOTH);
  g_settings_set_string (settings, CD_TILES_KEY_MBTILES_PATH, demo_path);

  texture = show_map (settings, 16, "tiles-map-both.png", &n_tiles);
  st = pixel_stats (texture);
  g_test_message ("%u colours, %.1f%% arterial, top colour %.1f%%",
                  st.n_colors, st.arterial * 100, st.top_color_share * 100);
  g_assert_cmpuint (n_tiles, >=, 12);
  g_assert_cmpuint (st.n_colors, >, 50);
  g_assert_cmpfloat (st.arterial, >, 0.01);
}

/* The preferences page ----------------------------------------------------------------- */

typedef struct {
  GSettings *settings;
  const char *key;
  gboolean changed;
} Watch;

static void
key_changed_cb (GSettings  *settings,
                const char *key,
                Watch      *watch)
{
  if (g_strcmp0 (key, watch->key) == 0)
    watch->changed = TRUE;
}

static void
test_preferences (void)
{
  g_autoptr(GSettings) settings = test_settings_new ();
  g_autofree char *dir = scratch_dir ();
  g_autofree char *notes = g_build_filename (dir, "notes.mbtiles", NULL);
  g_autofree char *value = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  AdwPreferencesWindow *window;
  GtkWidget *page, *combo, *url_row, *file_row;
  Watch watch = { settings, CD_TILES_KEY_MBTILES_PATH, FALSE };

  g_signal_connect (settings, "changed", G_CALLBACK (key_changed_cb), &watch);

  window = ADW_PREFERENCES_WINDOW (adw_preferences_window_new ());
  gtk_window_set_default_size (GTK_WINDOW (window), 640, 860);
  page = cd_tile_preferences_new (settings);
  adw_preferences_window_add (window, ADW_PREFERENCES_PAGE (page));
  gtk_window_present (GTK_WINDOW (window));
  wait_frames (page, 3);
  wait_ms (300);   /* the file check runs in a thread */
  wait_frames (page, 2);

  /* The source: settings and combo row follow each other. */
  combo = find_row (page, ADW_TYPE_COMBO_ROW, NULL);
  g_assert_nonnull (combo);
  g_assert_cmpuint (adw_combo_row_get_selected (ADW_COMBO_ROW (combo)), ==, 1);   /* mbtiles */
  cd_tiles_set_mode (settings, CD_TILE_SOURCE_BOTH);
  g_assert_cmpuint (adw_combo_row_get_selected (ADW_COMBO_ROW (combo)), ==, 2);
  adw_combo_row_set_selected (ADW_COMBO_ROW (combo), 0);
  g_assert_cmpint (cd_tiles_get_mode (settings), ==, CD_TILE_SOURCE_ONLINE);

  /* The demo city's file is described. */
  file_row = find_row (page, ADW_TYPE_ACTION_ROW, "Tile file");
  g_assert_nonnull (file_row);
  g_test_message ("file row: %s", adw_action_row_get_subtitle (ADW_ACTION_ROW (file_row)));

  texture = screenshot (GTK_WIDGET (window), "tiles-preferences.png");

  /* A bad URL template is refused and marked; a good one is taken. */
  url_row = find_row (page, ADW_TYPE_ENTRY_ROW, "URL template");
  g_assert_nonnull (url_row);
  gtk_editable_set_text (GTK_EDITABLE (url_row), "tile server please");
  g_signal_emit_by_name (url_row, "apply");
  value = g_settings_get_string (settings, CD_TILES_KEY_URL_TEMPLATE);
  g_assert_cmpstr (value, ==, "https://tile.openstreetmap.org/{z}/{x}/{y}.png");
  g_assert_true (gtk_widget_has_css_class (url_row, "error"));
  g_clear_pointer (&value, g_free);

  gtk_editable_set_text (GTK_EDITABLE (url_row), "https://tiles.example.com/{z}/{x}/{y}.png");
  g_signal_emit_by_name (url_row, "apply");
  value = g_settings_get_string (settings, CD_TILES_KEY_URL_TEMPLATE);
  g_assert_cmpstr (value, ==, "https://tiles.example.com/{z}/{x}/{y}.png");
  g_assert_false (gtk_widget_has_css_class (url_row, "error"));
  g_clear_pointer (&value, g_free);

  /* A file that is not MBTiles is not taken, and the row says why. */
  g_assert_true (g_file_set_contents (notes, "shift notes\n", -1, NULL));
  cd_tile_preferences_select_file (CD_TILE_PREFERENCES (page), notes);
  wait_ms (500);
  g_assert_false (watch.changed);
  g_assert_true (gtk_widget_has_css_class (file_row, "error"));
  g_assert_nonnull (strstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (file_row)), "notes.mbtiles"));

  /* A good one is. */
  cd_tile_preferences_select_file (CD_TILE_PREFERENCES (page), demo_path);
  g_assert_true (wait_for (&watch.changed, 10));
  value = g_settings_get_string (settings, CD_TILES_KEY_MBTILES_PATH);
  g_assert_cmpstr (value, ==, demo_path);
  g_clear_pointer (&value, g_free);
  wait_ms (300);
  g_assert_false (gtk_widget_has_css_class (file_row, "error"));

  /* Back to the demo city. */
  g_assert_true (gtk_widget_activate_action (page, "tiles.reset-file", NULL));
  value = g_settings_get_string (settings, CD_TILES_KEY_MBTILES_PATH);
  g_assert_cmpstr (value, ==, "");

  g_signal_handlers_disconnect_by_data (settings, &watch);
  gtk_window_destroy (GTK_WINDOW (window));
  remove_tree (dir);
}

/* The region download dialog ---------------------------------------------------------------- */

static void
test_region_dialog (void)
{
  g_autoptr(GSettings) settings = test_settings_new ();
  g_autofree char *dir = scratch_dir ();
  g_autofree char *path = g_build_filename (dir, "region", "lanhe.mbtiles", NULL);
  g_autoptr(GdkTexture) refused = NULL;
  g_autoptr(GdkTexture) done = NULL;
  g_autofree char *value = NULL;
  TileServer *server = tile_server_new ();
  CdRegionDownloadDialog *dialog;
  CdRegionDownload *download;
  GtkStack *stack;
  /* A few blocks of Lanhe's centre. */
  const CdTileBounds area = { 39.895, 116.590, 39.910, 116.612 };
  gint64 deadline;

  g_settings_set_string (settings, CD_TILES_KEY_URL_TEMPLATE, server->url_template);
  cd_tiles_set_mode (settings, CD_TILE_SOURCE_ONLINE);

  dialog = cd_region_download_dialog_new (NULL, settings, &area, 14.3);
  cd_region_download_dialog_set_path (dialog, path);
  gtk_window_present (GTK_WINDOW (dialog));
  wait_frames (GTK_WIDGET (dialog), 3);

  /* Not permitted (the default): the dialog says why and cannot start. */
  stack = GTK_STACK (find_widget (GTK_WIDGET (dialog), GTK_TYPE_STACK));
  g_assert_cmpstr (gtk_stack_get_visible_child_name (stack), ==, "refused");
  gtk_widget_activate_action (GTK_WIDGET (dialog), "region.download", NULL);
  wait_ms (300);
  g_assert_cmpuint (server->n_requests, ==, 0);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  g_assert_false (cd_region_download_get_running (cd_region_download_dialog_get_download (dialog)));
  refused = screenshot (GTK_WIDGET (dialog), "tiles-region-refused.png");

  /* Permitted: the form, with the estimate, then the download. */
  g_settings_set_boolean (settings, CD_TILES_KEY_BULK_DOWNLOAD, TRUE);
  wait_frames (GTK_WIDGET (dialog), 2);
  g_assert_cmpstr (gtk_stack_get_visible_child_name (stack), ==, "form");
  download = cd_region_download_dialog_get_download (dialog);
  g_assert_cmpint (cd_region_download_get_min_zoom (download), ==, 14);
  g_assert_cmpint (cd_region_download_get_max_zoom (download), ==, 17);
  g_assert_cmpuint (cd_region_download_get_total (download), ==, cd_tile_count (&area, 14, 17));

  cd_region_download_dialog_set_zoom_range (dialog, 13, 16);
  download = cd_region_download_dialog_get_download (dialog);
  g_assert_cmpuint (cd_region_download_get_total (download), ==, cd_tile_count (&area, 13, 16));

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (dialog), "region.download", NULL));
  deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
  while (g_get_monotonic_time () < deadline
         && (cd_region_download_get_running (download)
             || cd_region_download_get_done (download) < cd_region_download_get_total (download)))
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (cd_region_download_get_done (download), ==, cd_region_download_get_total (download));
  g_assert_cmpuint (server->n_requests, ==, cd_region_download_get_total (download));
  g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));
  wait_frames (GTK_WIDGET (dialog), 3);
  done = screenshot (GTK_WIDGET (dialog), "tiles-region-download.png");

  /* "Use for the Map": the file becomes the map's offline tiles, used
   * before the online server. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (dialog), "region.use-file", NULL));
  value = g_settings_get_string (settings, CD_TILES_KEY_MBTILES_PATH);
  g_assert_cmpstr (value, ==, path);
  g_assert_cmpint (cd_tiles_get_mode (settings), ==, CD_TILE_SOURCE_BOTH);

  wait_ms (100);
  tile_server_free (server);
  remove_tree (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *home = isolate_user_dirs ();
  int status;

  gtk_test_init (&argc, &argv, NULL);
  adw_init ();
  if (argc < 3)
    {
      g_printerr ("Usage: %s DEMO-CITY.mbtiles SCREENSHOT-DIR\n", argv[0]);
      return 1;
    }
  demo_path = argv[1];
  shot_dir = argv[2];

  g_test_add_func ("/tiles/widgets/map-offline", test_map_offline);
  g_test_add_func ("/tiles/widgets/map-both-unreachable", test_map_both_unreachable);
  g_test_add_func ("/tiles/widgets/preferences", test_preferences);
  g_test_add_func ("/tiles/widgets/region-dialog", test_region_dialog);

  status = g_test_run ();
  remove_tree (home);
  return status;
}
