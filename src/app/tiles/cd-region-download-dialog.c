/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-region-download-dialog.c: "Download Region", the dialog. */
#include "config.h"

#undef G_LOG_DOMAIN
#define G_LOG_DOMAIN "CrewdeskTiles"

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <math.h>

#include "cd-mbtiles.h"
#include "cd-region-download-dialog.h"
#include "cd-tiles.h"


struct _CdRegionDownloadDialog
{
  AdwWindow             parent_instance;

  GSettings            *settings;
  CdTileBounds          bounds;
  char                 *path;
  CdRegionDownload     *download;
  GCancellable         *scan_cancellable;
  GCancellable         *run_cancellable;
  GtkFileChooserNative *chooser;
  gboolean              scanned;
  gboolean              finished;
  gboolean              disposed;

  GtkStack             *stack;
  GtkWidget            *cancel_button;
  GtkWidget            *download_button;
  GtkWidget            *stop_button;
  AdwActionRow         *area_row;
  GtkSpinButton        *min_zoom_spin;
  GtkSpinButton        *max_zoom_spin;
  AdwActionRow         *tiles_row;
  AdwActionRow         *size_row;
  AdwActionRow         *file_row;
  GtkWidget            *progress_group;
  GtkProgressBar       *progress_bar;
  GtkLabel             *status_label;
  GtkWidget            *use_button;
};

G_DEFINE_FINAL_TYPE (CdRegionDownloadDialog, cd_region_download_dialog, ADW_TYPE_WINDOW)

static void rebuild_download (CdRegionDownloadDialog *self);

/* Text ------------------------------------------------------------------------ */

static char *
format_count (guint64 n)
{
  return g_strdup_printf ("%'" G_GUINT64_FORMAT, n);
}

static char *
format_lat (double lat)
{
  /* Translators: a latitude, north or south of the equator. */
  return g_strdup_printf (lat >= 0 ? _("%.4f° N") : _("%.4f° S"), fabs (lat));
}

static char *
format_lon (double lon)
{
  /* Translators: a longitude, east or west of Greenwich. */
  return g_strdup_printf (lon >= 0 ? _("%.4f° E") : _("%.4f° W"), fabs (lon));
}

/* State ------------------------------------------------------------------------ */

static gboolean
is_running (CdRegionDownloadDialog *self)
{
  return self->download != NULL && cd_region_download_get_running (self->download);
}

static void
update_actions (CdRegionDownloadDialog *self)
{
  gboolean running = is_running (self);
  gboolean permitted = g_settings_get_boolean (self->settings, CD_TILES_KEY_BULK_DOWNLOAD);
  gboolean ok = self->download != NULL && cd_region_download_check (self->download, NULL);
  guint64 done = self->download ? cd_region_download_get_done (self->download) : 0;
  guint64 total = self->download ? cd_region_download_get_total (self->download) : 0;

  gtk_stack_set_visible_child_name (self->stack, permitted ? "form" : "refused");
  gtk_widget_set_visible (self->download_button, permitted && !running && !self->finished);
  gtk_widget_set_visible (self->stop_button, running);
  gtk_button_set_label (GTK_BUTTON (self->download_button),
                        done > 0 && done < total && !self->finished ? _("_Resume") : _("_Download"));
  gtk_button_set_label (GTK_BUTTON (self->cancel_button), self->finished ? _("_Close") : _("_Cancel"));

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "region.download", permitted && ok && !running);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "region.stop", running);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "region.choose-file", !running);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "region.use-file", self->finished && !running);
  gtk_widget_set_visible (self->use_button, self->finished && !running);

  gtk_widget_set_sensitive (GTK_WIDGET (self->min_zoom_spin), !running);
  gtk_widget_set_sensitive (GTK_WIDGET (self->max_zoom_spin), !running);
}

static void
update_estimate (CdRegionDownloadDialog *self)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *total = NULL;
  g_autofree char *done = NULL;
  g_autofree char *tiles = NULL;
  g_autofree char *size = NULL;
  g_autofree char *bytes = NULL;

  if (self->download == NULL)
    return;

  total = format_count (cd_region_download_get_total (self->download));
  done = format_count (cd_region_download_get_done (self->download));

  if (!cd_region_download_check (self->download, &error)
      && !g_error_matches (error, CD_REGION_DOWNLOAD_ERROR, CD_REGION_DOWNLOAD_ERROR_NOT_PERMITTED))
    {
      adw_action_row_set_subtitle (self->tiles_row, error->message);
      gtk_widget_add_css_class (GTK_WIDGET (self->tiles_row), "error");
      adw_action_row_set_subtitle (self->size_row, "");
      return;
    }

  gtk_widget_remove_css_class (GTK_WIDGET (self->tiles_row), "error");
  if (self->scanned && cd_region_download_get_done (self->download) > 0)
    /* Translators: the tiles the area needs, and how many of them the file already holds. */
    tiles = g_strdup_printf (_("%s tiles, %s of them already in the file"), total, done);
  else
    tiles = g_strdup_printf (_("%s tiles"), total);
  adw_action_row_set_subtitle (self->tiles_row, tiles);

  if (self->scanned && cd_region_download_get_done (self->download) >= cd_region_download_get_total (self->download))
    {
      adw_action_row_set_subtitle (self->size_row, _("Nothing to download: every tile is in the file"));
      return;
    }
  bytes = g_format_size (cd_region_download_estimate_bytes (self->download));
  /* Translators: an estimate of the download's size, like "about 12.3 MB". */
  size = g_strdup_printf (_("About %s"), bytes);
  adw_action_row_set_subtitle (self->size_row, size);
}

static void
update_progress (CdRegionDownloadDialog *self)
{
  g_autofree char *done = NULL;
  g_autofree char *total = NULL;
  g_autofree char *bytes = NULL;
  g_autofree char *text = NULL;

  if (self->download == NULL || !is_running (self))
    return;

  done = format_count (cd_region_download_get_done (self->download));
  total = format_count (cd_region_download_get_total (self->download));
  bytes = g_format_size (cd_region_download_get_bytes (self->download));

  gtk_progress_bar_set_fraction (self->progress_bar, cd_region_download_get_fraction (self->download));
  /* Translators: progress: "1,024 of 5,000 tiles · 12.1 MB downloaded". */
  text = g_strdup_printf (_("%s of %s tiles · %s downloaded"), done, total, bytes);
  gtk_label_set_text (self->status_label, text);
}

static void
download_notify_cb (CdRegionDownloadDialog *self,
                    GParamSpec             *pspec,
                    CdRegionDownload       *download)
{
  update_progress (self);
  if (g_strcmp0 (g_param_spec_get_name (pspec), "running") == 0)
    update_actions (self);
}

static void
scan_done_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(CdRegionDownloadDialog) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!cd_region_download_scan_finish (CD_REGION_DOWNLOAD (object), result, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) && !self->disposed)
        {
          adw_action_row_set_subtitle (self->file_row, error->message);
          gtk_widget_add_css_class (GTK_WIDGET (self->file_row), "error");
        }
      return;
    }
  if (self->disposed || CD_REGION_DOWNLOAD (object) != self->download)
    return;

  self->scanned = TRUE;
  update_estimate (self);
  update_actions (self);
}

static void
rebuild_download (CdRegionDownloadDialog *self)
{
  g_autofree char *display = NULL;
  int min_zoom, max_zoom;

  if (is_running (self))
    return;

  if (self->download != NULL)
    g_signal_handlers_disconnect_by_data (self->download, self);
  g_clear_object (&self->download);
  g_cancellable_cancel (self->scan_cancellable);
  g_clear_object (&self->scan_cancellable);

  min_zoom = gtk_spin_button_get_value_as_int (self->min_zoom_spin);
  max_zoom = gtk_spin_button_get_value_as_int (self->max_zoom_spin);
  self->download = cd_region_download_new_from_settings (self->settings, &self->bounds,
                                                         min_zoom, max_zoom, self->path);
  g_signal_connect_object (self->download, "notify", G_CALLBACK (download_notify_cb),
                           self, G_CONNECT_SWAPPED);

  self->scanned = FALSE;
  self->finished = FALSE;
  gtk_widget_set_visible (self->progress_group, FALSE);
  display = g_filename_display_name (self->path);
  adw_action_row_set_subtitle (self->file_row, display);
  gtk_widget_remove_css_class (GTK_WIDGET (self->file_row), "error");

  update_estimate (self);
  update_actions (self);

  self->scan_cancellable = g_cancellable_new ();
  cd_region_download_scan_async (self->download, self->scan_cancellable, scan_done_cb, g_object_ref (self));
}

/* Running --------------------------------------------------------------------- */

static void
run_done_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(CdRegionDownloadDialog) self = user_data;
  CdRegionDownload *download = CD_REGION_DOWNLOAD (object);
  g_autoptr(GError) error = NULL;
  g_autofree char *done = NULL;
  g_autofree char *total = NULL;
  g_autofree char *text = NULL;
  gboolean ok;

  ok = cd_region_download_run_finish (download, result, &error);
  if (self->disposed)
    return;

  g_clear_object (&self->run_cancellable);
  done = format_count (cd_region_download_get_done (download));
  total = format_count (cd_region_download_get_total (download));
  gtk_progress_bar_set_fraction (self->progress_bar, cd_region_download_get_fraction (download));

  if (ok)
    {
      self->finished = TRUE;
      text = g_strdup_printf (_("Done: all %s tiles are in the file."), total);
      gtk_widget_remove_css_class (GTK_WIDGET (self->status_label), "error");
    }
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      text = g_strdup_printf (_("Stopped: %s of %s tiles are in the file. Resume to fetch the rest."),
                              done, total);
      gtk_widget_remove_css_class (GTK_WIDGET (self->status_label), "error");
    }
  else
    {
      text = g_strdup (error->message);
      gtk_widget_add_css_class (GTK_WIDGET (self->status_label), "error");
    }
  gtk_label_set_text (self->status_label, text);

  self->scanned = TRUE;
  update_estimate (self);
  update_actions (self);
}

static void
download_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  CdRegionDownloadDialog *self = CD_REGION_DOWNLOAD_DIALOG (widget);
  g_autofree char *dir = NULL;
  g_autoptr(GError) error = NULL;

  if (self->download == NULL || is_running (self))
    return;

  if (!cd_region_download_check (self->download, &error))
    {
      gtk_label_set_text (self->status_label, error->message);
      gtk_widget_add_css_class (GTK_WIDGET (self->status_label), "error");
      gtk_widget_set_visible (self->progress_group, TRUE);
      return;
    }

  dir = g_path_get_dirname (self->path);
  g_mkdir_with_parents (dir, 0700);

  self->finished = FALSE;
  g_cancellable_cancel (self->scan_cancellable);
  g_clear_object (&self->run_cancellable);
  self->run_cancellable = g_cancellable_new ();

  gtk_widget_set_visible (self->progress_group, TRUE);
  gtk_widget_remove_css_class (GTK_WIDGET (self->status_label), "error");
  gtk_progress_bar_set_fraction (self->progress_bar, 0);
  gtk_label_set_text (self->status_label, _("Starting…"));

  cd_region_download_run_async (self->download, self->run_cancellable, run_done_cb, g_object_ref (self));
  update_actions (self);
}

static void
stop_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  CdRegionDownloadDialog *self = CD_REGION_DOWNLOAD_DIALOG (widget);

  g_cancellable_cancel (self->run_cancellable);
  gtk_label_set_text (self->status_label, _("Stopping…"));
}

static void
use_file_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  CdRegionDownloadDialog *self = CD_REGION_DOWNLOAD_DIALOG (widget);

  g_settings_set_string (self->settings, CD_TILES_KEY_MBTILES_PATH, self->path);
  /* An online-only map would never read the file: use it first. */
  if (cd_tiles_get_mode (self->settings) == CD_TILE_SOURCE_ONLINE)
    cd_tiles_set_mode (self->settings, CD_TILE_SOURCE_BOTH);
  gtk_window_destroy (GTK_WINDOW (self));
}

static void
chooser_response_cb (CdRegionDownloadDialog *self,
                     int                     response,
                     GtkFileChooserNative   *chooser)
{
  g_autoptr(GFile) file = NULL;
  g_autofree char *path = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    {
      file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
      path = file ? g_file_get_path (file) : NULL;
      if (path != NULL)
        cd_region_download_dialog_set_path (self, path);
    }
  g_clear_object (&self->chooser);
}

static void
choose_file_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  CdRegionDownloadDialog *self = CD_REGION_DOWNLOAD_DIALOG (widget);
  g_autoptr(GtkFileFilter) filter = gtk_file_filter_new ();
  g_autoptr(GFile) current = NULL;

  if (self->chooser != NULL)
    return;

  self->chooser = gtk_file_chooser_native_new (_("Save Tiles To"), GTK_WINDOW (self),
                                               GTK_FILE_CHOOSER_ACTION_SAVE,
                                               _("_Save"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (self->chooser), TRUE);
  gtk_file_filter_set_name (filter, _("MBTiles files"));
  gtk_file_filter_add_pattern (filter, "*.mbtiles");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->chooser), filter);
  current = g_file_new_for_path (self->path);
  gtk_file_chooser_set_file (GTK_FILE_CHOOSER (self->chooser), current, NULL);

  g_signal_connect_object (self->chooser, "response", G_CALLBACK (chooser_response_cb),
                           self, G_CONNECT_SWAPPED);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
}

/* Signals ----------------------------------------------------------------------- */

static void
zoom_changed_cb (CdRegionDownloadDialog *self,
                 GtkSpinButton          *spin)
{
  int min_zoom = gtk_spin_button_get_value_as_int (self->min_zoom_spin);
  int max_zoom = gtk_spin_button_get_value_as_int (self->max_zoom_spin);

  /* Keep lowest ≤ highest, moving the other one. */
  if (min_zoom > max_zoom)
    {
      if (spin == self->min_zoom_spin)
        gtk_spin_button_set_value (self->max_zoom_spin, min_zoom);
      else
        gtk_spin_button_set_value (self->min_zoom_spin, max_zoom);
      return;   /* the other spin's change rebuilds */
    }
  rebuild_download (self);
}

static void
settings_changed_cb (CdRegionDownloadDialog *self,
                     const char             *key,
                     GSettings              *settings)
{
  if (g_strcmp0 (key, CD_TILES_KEY_BULK_DOWNLOAD) == 0
      || g_strcmp0 (key, CD_TILES_KEY_URL_TEMPLATE) == 0
      || g_strcmp0 (key, CD_TILES_KEY_ATTRIBUTION) == 0)
    rebuild_download (self);
}

static gboolean
close_request_cb (CdRegionDownloadDialog *self)
{
  /* What arrived is kept; the file resumes next time. */
  g_cancellable_cancel (self->run_cancellable);
  return FALSE;
}

/* GObject ------------------------------------------------------------------------- */

static void
cd_region_download_dialog_dispose (GObject *object)
{
  CdRegionDownloadDialog *self = CD_REGION_DOWNLOAD_DIALOG (object);

  self->disposed = TRUE;
  g_cancellable_cancel (self->scan_cancellable);
  g_cancellable_cancel (self->run_cancellable);
  g_clear_object (&self->scan_cancellable);
  g_clear_object (&self->run_cancellable);
  if (self->chooser != NULL)
    gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->chooser));
  g_clear_object (&self->chooser);
  if (self->download != NULL)
    g_signal_handlers_disconnect_by_data (self->download, self);
  g_clear_object (&self->download);
  if (self->settings != NULL)
    g_signal_handlers_disconnect_by_data (self->settings, self);
  g_clear_object (&self->settings);

  gtk_widget_dispose_template (GTK_WIDGET (self), CD_TYPE_REGION_DOWNLOAD_DIALOG);

  G_OBJECT_CLASS (cd_region_download_dialog_parent_class)->dispose (object);
}

static void
cd_region_download_dialog_finalize (GObject *object)
{
  CdRegionDownloadDialog *self = CD_REGION_DOWNLOAD_DIALOG (object);

  g_free (self->path);

  G_OBJECT_CLASS (cd_region_download_dialog_parent_class)->finalize (object);
}

static void
cd_region_download_dialog_class_init (CdRegionDownloadDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = cd_region_download_dialog_dispose;
  object_class->finalize = cd_region_download_dialog_finalize;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/crewdesk/Crewdesk/tiles/cd-region-download-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, CdRegionDownloadDialog, stack);
  gtk_widget_class_bind_template_child (widget_class, CdRegionDownloadDialog, cancel_button);
  gtk_widget_class_bind_template_child (widget_class, CdRegionDownloadDialog, download_button);
  gtk_widget_class_bind_template_child (widget_class, CdRegionDownloadDialog, stop_button);
  gtk_widget_class_bind_template_child (widget_class, CdRegionDownloadDialog, area_row);
  gtk_widget_class_bind_template_child (widget_class, CdRegionDownloadDialog, min_zoom_spin);
  gtk_widget_class_bind_template_child (widget_class, CdRegionDownloadDialog, max_zoom_spin);
  gtk_widget_class_bind_template_child (widget_class, CdRegionDownloadDialog, tiles_row);
  gtk_widget_class_bind_template_child (widget_class, CdRegionDownloadDialog, size_row);
  gtk_widget_class_bind_template_child (widget_class, CdRegionDownloadDialog, file_row);
  gtk_widget_class_bind_template_child (widget_class, CdRegionDownloadDialog, progress_group);
  gtk_widget_class_bind_template_child (widget_class, CdRegionDownloadDialog, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, CdRegionDownloadDialog, status_label);
  gtk_widget_class_bind_template_child (widget_class, CdRegionDownloadDialog, use_button);
  gtk_widget_class_bind_template_callback (widget_class, zoom_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, close_request_cb);

  gtk_widget_class_install_action (widget_class, "region.download", NULL, download_action);
  gtk_widget_class_install_action (widget_class, "region.stop", NULL, stop_action);
  gtk_widget_class_install_action (widget_class, "region.choose-file", NULL, choose_file_action);
  gtk_widget_class_install_action (widget_class, "region.use-file", NULL, use_file_action);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
cd_region_download_dialog_init (CdRegionDownloadDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->path = g_build_filename (g_get_user_data_dir (), "crewdesk", "offline-tiles.mbtiles", NULL);
}

/* Public API --------------------------------------------------------------------------- */

CdRegionDownloadDialog *
cd_region_download_dialog_new (GtkWindow          *parent,
                               GSettings          *settings,
                               const CdTileBounds *bounds,
                               double              zoom)
{
  CdRegionDownloadDialog *self;
  g_autofree char *south = NULL, *north = NULL, *west = NULL, *east = NULL;
  g_autofree char *area = NULL;
  int min_zoom;

  g_return_val_if_fail (parent == NULL || GTK_IS_WINDOW (parent), NULL);
  g_return_val_if_fail (G_IS_SETTINGS (settings), NULL);
  g_return_val_if_fail (bounds != NULL, NULL);

  self = g_object_new (CD_TYPE_REGION_DOWNLOAD_DIALOG,
                       "transient-for", parent,
                       "modal", TRUE,
                       NULL);
  self->settings = g_object_ref (settings);
  self->bounds = *bounds;
  g_signal_connect_object (settings, "changed", G_CALLBACK (settings_changed_cb), self, G_CONNECT_SWAPPED);

  south = format_lat (bounds->south);
  north = format_lat (bounds->north);
  west = format_lon (bounds->west);
  east = format_lon (bounds->east);
  /* Translators: the area: latitudes from south to north, longitudes from west to east. */
  area = g_strdup_printf (_("%s to %s, %s to %s"), south, north, west, east);
  adw_action_row_set_subtitle (self->area_row, area);

  min_zoom = CLAMP ((int) floor (zoom), 0, CD_REGION_DOWNLOAD_MAX_ZOOM);
  cd_region_download_dialog_set_zoom_range (self, min_zoom, MIN (min_zoom + 3, CD_REGION_DOWNLOAD_MAX_ZOOM));
  return self;
}

void
cd_region_download_dialog_set_path (CdRegionDownloadDialog *self,
                                    const char             *path)
{
  g_return_if_fail (CD_IS_REGION_DOWNLOAD_DIALOG (self));
  g_return_if_fail (path != NULL);

  if (is_running (self))
    return;
  g_free (self->path);
  self->path = g_strdup (path);
  if (self->settings != NULL)
    rebuild_download (self);
}

void
cd_region_download_dialog_set_zoom_range (CdRegionDownloadDialog *self,
                                          int                     min_zoom,
                                          int                     max_zoom)
{
  g_return_if_fail (CD_IS_REGION_DOWNLOAD_DIALOG (self));

  if (is_running (self))
    return;
  g_signal_handlers_block_by_func (self->min_zoom_spin, zoom_changed_cb, self);
  g_signal_handlers_block_by_func (self->max_zoom_spin, zoom_changed_cb, self);
  gtk_spin_button_set_value (self->max_zoom_spin, max_zoom);
  gtk_spin_button_set_value (self->min_zoom_spin, min_zoom);
  g_signal_handlers_unblock_by_func (self->min_zoom_spin, zoom_changed_cb, self);
  g_signal_handlers_unblock_by_func (self->max_zoom_spin, zoom_changed_cb, self);
  rebuild_download (self);
}

CdRegionDownload *
cd_region_download_dialog_get_download (CdRegionDownloadDialog *self)
{
  g_return_val_if_fail (CD_IS_REGION_DOWNLOAD_DIALOG (self), NULL);

  return self->download;
}
