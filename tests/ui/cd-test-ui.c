/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "cd-test-ui.h"

gboolean
cd_test_ui_wait_until (gboolean (*check) (gpointer data),
                       gpointer   data,
                       guint      timeout_s)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_s * G_USEC_PER_SEC;

  while (!check (data))
    {
      if (g_get_monotonic_time () > deadline)
        return FALSE;
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
  return TRUE;
}

static gboolean
is_mapped (gpointer data)
{
  return gtk_widget_get_mapped (data);
}

static gboolean
is_true (gpointer data)
{
  return *(gboolean *) data;
}

static void
after_paint_cb (GdkFrameClock *clock,
                gboolean      *painted)
{
  *painted = TRUE;
}

void
cd_test_ui_wait_for_frame (GtkWidget *widget)
{
  GdkFrameClock *clock;
  gboolean painted = FALSE;
  gulong id;

  g_assert_true (cd_test_ui_wait_until (is_mapped, widget, 30));
  clock = gtk_widget_get_frame_clock (widget);
  g_assert_nonnull (clock);
  id = g_signal_connect (clock, "after-paint", G_CALLBACK (after_paint_cb), &painted);
  gtk_widget_queue_draw (widget);
  g_assert_true (cd_test_ui_wait_until (is_true, &painted, 30));
  g_signal_handler_disconnect (clock, id);
}

void
cd_test_ui_drain (void)
{
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

gboolean
cd_test_ui_find_label (GtkWidget  *widget,
                       const char *needle)
{
  if (GTK_IS_LABEL (widget) && gtk_widget_is_visible (widget) &&
      strstr (gtk_label_get_label (GTK_LABEL (widget)), needle) != NULL)
    return TRUE;

  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (cd_test_ui_find_label (child, needle))
      return TRUE;
  return FALSE;
}

gboolean
cd_test_ui_wait_for_label (GtkWidget  *widget,
                           const char *needle)
{
  gint64 deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;

  while (!cd_test_ui_find_label (widget, needle))
    {
      if (g_get_monotonic_time () > deadline)
        return FALSE;
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
  return TRUE;
}

double
cd_test_ui_save_screenshot (GtkWidget  *widget,
                            const char *name)
{
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  g_autofree char *file = g_strconcat (name, ".png", NULL);
  g_autofree char *path = g_test_build_filename (G_TEST_BUILT, file, NULL);
  g_autofree guchar *pixels = NULL;
  GtkWidget *window = GTK_WIDGET (gtk_widget_get_native (widget));
  int width = 0, height = 0;
  guint differ = 0;

  /* A window just presented may draw its first frame before it has its
   * size: try a few frames. */
  for (guint attempt = 0; attempt < 20 && node == NULL; attempt++)
    {
      g_autoptr(GdkPaintable) paintable = NULL;
      g_autoptr(GtkSnapshot) snapshot = NULL;
      GdkRGBA background = { 1, 1, 1, 1 };

      cd_test_ui_wait_for_frame (window != NULL ? window : widget);
      width = gtk_widget_get_width (widget);
      height = gtk_widget_get_height (widget);
      if (width <= 0 || height <= 0)
        continue;
      paintable = gtk_widget_paintable_new (widget);
      snapshot = gtk_snapshot_new ();
      /* A widget alone (not a window) has no background of its own. */
      gtk_style_context_lookup_color (gtk_widget_get_style_context (widget), "window_bg_color", &background);
      gtk_snapshot_append_color (snapshot, &background, &GRAPHENE_RECT_INIT (0, 0, width, height));
      gdk_paintable_snapshot (paintable, GDK_SNAPSHOT (snapshot), width, height);
      node = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
    }
  g_assert_nonnull (node);

  texture = gsk_renderer_render_texture (gtk_native_get_renderer (gtk_widget_get_native (widget)), node,
                                         &GRAPHENE_RECT_INIT (0, 0, width, height));
  g_assert_true (gdk_texture_save_to_png (texture, path));
  g_test_message ("screenshot: %s", path);

  pixels = g_malloc ((gsize) width * height * 4);
  gdk_texture_download (texture, pixels, (gsize) width * 4);
  for (int i = 0; i < width * height; i++)
    if (memcmp (pixels + (gsize) i * 4, pixels, 4) != 0)
      differ++;
  return (double) differ / (width * height);
}
