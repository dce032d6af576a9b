/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "cd-style.h"

static void
spinner_mapped_cb (GtkWidget *spinner)
{
  gtk_spinner_set_spinning (GTK_SPINNER (spinner), gtk_widget_get_mapped (spinner));
}

void
cd_style_spin_while_mapped (GtkSpinner *spinner)
{
  g_return_if_fail (GTK_IS_SPINNER (spinner));

  g_signal_connect (spinner, "map", G_CALLBACK (spinner_mapped_cb), NULL);
  g_signal_connect (spinner, "unmap", G_CALLBACK (spinner_mapped_cb), NULL);
  spinner_mapped_cb (GTK_WIDGET (spinner));
}

void
cd_style_ensure (const char *resource_path)
{
  static GHashTable *loaded;
  GdkDisplay *display = gdk_display_get_default ();
  g_autoptr(GtkCssProvider) provider = NULL;

  g_return_if_fail (resource_path != NULL);

  if (display == NULL)
    return;
  if (loaded == NULL)
    loaded = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  if (!g_hash_table_add (loaded, g_strdup (resource_path)))
    return;

  provider = gtk_css_provider_new ();
  gtk_css_provider_load_from_resource (provider, resource_path);
  gtk_style_context_add_provider_for_display (display, GTK_STYLE_PROVIDER (provider),
                                              GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
}
