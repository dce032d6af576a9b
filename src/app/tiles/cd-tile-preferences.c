/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-tile-preferences.c: the "Map" page of the preferences window. */
#include "config.h"

#undef G_LOG_DOMAIN
#define G_LOG_DOMAIN "CrewdeskTiles"

#include <glib/gi18n.h>

#include "cd-mbtiles-source.h"
#include "cd-tile-preferences.h"
#include "cd-tiles.h"

struct _CdTilePreferences
{
  AdwPreferencesPage    parent_instance;

  GSettings            *settings;
  GCancellable         *cancellable;     /* the file check in flight */
  GtkFileChooserNative *chooser;

  AdwComboRow          *source_row;
  AdwActionRow         *file_row;
  GtkWidget            *reset_button;
  AdwEntryRow          *url_row;
  AdwEntryRow          *attribution_row;
  GtkSpinButton        *cache_spin;
  GtkSwitch            *bulk_switch;
};

G_DEFINE_FINAL_TYPE (CdTilePreferences, cd_tile_preferences, ADW_TYPE_PREFERENCES_PAGE)

enum {
  PROP_0,
  PROP_SETTINGS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static const char * const mode_names[] = { "online", "mbtiles", "both" };

/* Helpers ---------------------------------------------------------------------- */

static void
show_toast (CdTilePreferences *self,
            const char        *message)
{
  GtkWidget *window = gtk_widget_get_ancestor (GTK_WIDGET (self), ADW_TYPE_PREFERENCES_WINDOW);

  if (window != NULL)
    adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (window), adw_toast_new (message));
}

static gboolean
mode_to_selected (GValue   *value,
                  GVariant *variant,
                  gpointer  user_data)
{
  const char *mode = g_variant_get_string (variant, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (mode_names); i++)
    if (g_str_equal (mode, mode_names[i]))
      {
        g_value_set_uint (value, i);
        return TRUE;
      }
  return FALSE;
}

static GVariant *
selected_to_mode (const GValue       *value,
                  const GVariantType *expected_type,
                  gpointer            user_data)
{
  guint selected = g_value_get_uint (value);

  if (selected >= G_N_ELEMENTS (mode_names))
    return NULL;
  return g_variant_new_string (mode_names[selected]);
}

/* The offline file ---------------------------------------------------------------- */

typedef struct {
  char     *path;
  gboolean  select;   /* take it into the settings if it is good */
} FileCheck;

static void
file_check_free (FileCheck *check)
{
  g_free (check->path);
  g_free (check);
}

static void
check_file_thread (GTask        *task,
                   gpointer      source_object,
                   gpointer      task_data,
                   GCancellable *cancellable)
{
  FileCheck *check = task_data;
  GError *error = NULL;
  CdMbtilesSource *source = cd_mbtiles_source_new (check->path, &error);

  if (source == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, source, g_object_unref);
}

static char *
describe_file (CdMbtilesSource *source,
               gboolean         demo)
{
  g_autofree char *display = g_filename_display_name (cd_mbtiles_source_get_path (source));
  const char *name = cd_mbtiles_source_get_name (source);
  int min = cd_mbtiles_source_get_min_zoom (source);
  int max = cd_mbtiles_source_get_max_zoom (source);

  if (demo)
    /* Translators: the demo city's tiles; the numbers are zoom levels. */
    return g_strdup_printf (_("Demo city, built in · zoom levels %d to %d"), min, max);
  if (name != NULL && *name != '\0')
    /* Translators: a tile set's name, its zoom levels, its file. */
    return g_strdup_printf (_("%s · zoom levels %d to %d · %s"), name, min, max, display);
  return g_strdup_printf (_("Zoom levels %d to %d · %s"), min, max, display);
}

static void
file_checked_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  CdTilePreferences *self = CD_TILE_PREFERENCES (object);
  FileCheck *check = g_task_get_task_data (G_TASK (result));
  g_autoptr(CdMbtilesSource) source = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *setting = NULL;
  g_autofree char *subtitle = NULL;

  source = g_task_propagate_pointer (G_TASK (result), &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  if (source == NULL)
    {
      adw_action_row_set_subtitle (self->file_row, error->message);
      gtk_widget_add_css_class (GTK_WIDGET (self->file_row), "error");
      if (check->select)
        show_toast (self, error->message);
      return;
    }

  gtk_widget_remove_css_class (GTK_WIDGET (self->file_row), "error");
  if (check->select)
    {
      /* Settings "changed" checks it again, cheaply, and shows it. */
      g_settings_set_string (self->settings, CD_TILES_KEY_MBTILES_PATH, check->path);
      return;
    }

  setting = g_settings_get_string (self->settings, CD_TILES_KEY_MBTILES_PATH);
  subtitle = describe_file (source, *setting == '\0');
  adw_action_row_set_subtitle (self->file_row, subtitle);
}

static void
check_file (CdTilePreferences *self,
            const char        *path,
            gboolean           select)
{
  g_autoptr(GTask) task = NULL;
  FileCheck *check;

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();

  check = g_new0 (FileCheck, 1);
  check->path = g_strdup (path);
  check->select = select;

  task = g_task_new (self, self->cancellable, file_checked_cb, NULL);
  g_task_set_source_tag (task, check_file);
  g_task_set_task_data (task, check, (GDestroyNotify) file_check_free);
  g_task_run_in_thread (task, check_file_thread);
}

static void
refresh_file_row (CdTilePreferences *self)
{
  g_autofree char *setting = g_settings_get_string (self->settings, CD_TILES_KEY_MBTILES_PATH);
  g_autofree char *path = cd_tiles_get_mbtiles_path (self->settings);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "tiles.reset-file", *setting != '\0');
  adw_action_row_set_subtitle (self->file_row, _("Checking the file…"));
  check_file (self, path, FALSE);
}

static void
chooser_response_cb (CdTilePreferences    *self,
                     int                   response,
                     GtkFileChooserNative *chooser)
{
  g_autoptr(GFile) file = NULL;
  g_autofree char *path = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    {
      file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
      path = file ? g_file_get_path (file) : NULL;
      if (path != NULL)
        cd_tile_preferences_select_file (self, path);
    }

  g_clear_object (&self->chooser);
}

static void
choose_file_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  CdTilePreferences *self = CD_TILE_PREFERENCES (widget);
  g_autoptr(GtkFileFilter) mbtiles = gtk_file_filter_new ();
  g_autoptr(GtkFileFilter) all = gtk_file_filter_new ();
  GtkRoot *root = gtk_widget_get_root (widget);

  if (self->chooser != NULL)
    return;

  /* GtkFileDialog is GTK 4.10; 4.8 has the native chooser. */
  self->chooser = gtk_file_chooser_native_new (_("Choose an Offline Tile File"),
                                               GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                               GTK_FILE_CHOOSER_ACTION_OPEN,
                                               _("_Open"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (self->chooser), TRUE);

  gtk_file_filter_set_name (mbtiles, _("MBTiles files"));
  gtk_file_filter_add_pattern (mbtiles, "*.mbtiles");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->chooser), mbtiles);
  gtk_file_filter_set_name (all, _("All files"));
  gtk_file_filter_add_pattern (all, "*");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->chooser), all);

  g_signal_connect_object (self->chooser, "response", G_CALLBACK (chooser_response_cb),
                           self, G_CONNECT_SWAPPED);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
}

static void
reset_file_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  CdTilePreferences *self = CD_TILE_PREFERENCES (widget);

  g_settings_reset (self->settings, CD_TILES_KEY_MBTILES_PATH);
}

/* The online server ------------------------------------------------------------------ */

static void
load_entries (CdTilePreferences *self)
{
  g_autofree char *url = g_settings_get_string (self->settings, CD_TILES_KEY_URL_TEMPLATE);
  g_autofree char *attribution = g_settings_get_string (self->settings, CD_TILES_KEY_ATTRIBUTION);

  gtk_editable_set_text (GTK_EDITABLE (self->url_row), url);
  gtk_editable_set_text (GTK_EDITABLE (self->attribution_row), attribution);
  gtk_widget_remove_css_class (GTK_WIDGET (self->url_row), "error");
}

static void
url_applied_cb (CdTilePreferences *self,
                AdwEntryRow       *row)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (row));
  g_autoptr(GError) error = NULL;
  g_autofree char *url = g_strstrip (g_strdup (text));

  if (!cd_tile_url_template_check (url, &error))
    {
      gtk_widget_add_css_class (GTK_WIDGET (row), "error");
      show_toast (self, error->message);
      return;
    }

  gtk_widget_remove_css_class (GTK_WIDGET (row), "error");
  g_settings_set_string (self->settings, CD_TILES_KEY_URL_TEMPLATE, url);
}

static void
attribution_applied_cb (CdTilePreferences *self,
                        AdwEntryRow       *row)
{
  g_autofree char *text = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (row))));

  g_settings_set_string (self->settings, CD_TILES_KEY_ATTRIBUTION, text);
}

static void
settings_changed_cb (CdTilePreferences *self,
                     const char        *key,
                     GSettings         *settings)
{
  if (g_strcmp0 (key, CD_TILES_KEY_MBTILES_PATH) == 0)
    refresh_file_row (self);
  else if (g_strcmp0 (key, CD_TILES_KEY_URL_TEMPLATE) == 0
           || g_strcmp0 (key, CD_TILES_KEY_ATTRIBUTION) == 0)
    load_entries (self);
}

/* GObject ------------------------------------------------------------------------------ */

static void
cd_tile_preferences_constructed (GObject *object)
{
  CdTilePreferences *self = CD_TILE_PREFERENCES (object);

  G_OBJECT_CLASS (cd_tile_preferences_parent_class)->constructed (object);

  g_assert (G_IS_SETTINGS (self->settings));

  g_settings_bind_with_mapping (self->settings, CD_TILES_KEY_SOURCE, self->source_row, "selected",
                                G_SETTINGS_BIND_DEFAULT, mode_to_selected, selected_to_mode, NULL, NULL);
  g_settings_bind (self->settings, CD_TILES_KEY_CACHE_SIZE, self->cache_spin, "value",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, CD_TILES_KEY_BULK_DOWNLOAD, self->bulk_switch, "active",
                   G_SETTINGS_BIND_DEFAULT);
  g_signal_connect_object (self->settings, "changed", G_CALLBACK (settings_changed_cb),
                           self, G_CONNECT_SWAPPED);

  load_entries (self);
  refresh_file_row (self);
}

static void
cd_tile_preferences_dispose (GObject *object)
{
  CdTilePreferences *self = CD_TILE_PREFERENCES (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->chooser != NULL)
    gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->chooser));
  g_clear_object (&self->chooser);

  gtk_widget_dispose_template (GTK_WIDGET (self), CD_TYPE_TILE_PREFERENCES);

  G_OBJECT_CLASS (cd_tile_preferences_parent_class)->dispose (object);
}

static void
cd_tile_preferences_finalize (GObject *object)
{
  CdTilePreferences *self = CD_TILE_PREFERENCES (object);

  g_clear_object (&self->settings);

  G_OBJECT_CLASS (cd_tile_preferences_parent_class)->finalize (object);
}

static void
cd_tile_preferences_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  CdTilePreferences *self = CD_TILE_PREFERENCES (object);

  switch (prop_id)
    {
    case PROP_SETTINGS:
      g_value_set_object (value, self->settings);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cd_tile_preferences_set_property (GObject      *object,
                                  guint         prop_id,
                                  const GValue *value,
                                  GParamSpec   *pspec)
{
  CdTilePreferences *self = CD_TILE_PREFERENCES (object);

  switch (prop_id)
    {
    case PROP_SETTINGS:
      self->settings = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cd_tile_preferences_class_init (CdTilePreferencesClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = cd_tile_preferences_constructed;
  object_class->dispose = cd_tile_preferences_dispose;
  object_class->finalize = cd_tile_preferences_finalize;
  object_class->get_property = cd_tile_preferences_get_property;
  object_class->set_property = cd_tile_preferences_set_property;

  properties[PROP_SETTINGS] =
    g_param_spec_object ("settings", NULL, NULL, G_TYPE_SETTINGS,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/crewdesk/Crewdesk/tiles/cd-tile-preferences.ui");
  gtk_widget_class_bind_template_child (widget_class, CdTilePreferences, source_row);
  gtk_widget_class_bind_template_child (widget_class, CdTilePreferences, file_row);
  gtk_widget_class_bind_template_child (widget_class, CdTilePreferences, reset_button);
  gtk_widget_class_bind_template_child (widget_class, CdTilePreferences, url_row);
  gtk_widget_class_bind_template_child (widget_class, CdTilePreferences, attribution_row);
  gtk_widget_class_bind_template_child (widget_class, CdTilePreferences, cache_spin);
  gtk_widget_class_bind_template_child (widget_class, CdTilePreferences, bulk_switch);
  gtk_widget_class_bind_template_callback (widget_class, url_applied_cb);
  gtk_widget_class_bind_template_callback (widget_class, attribution_applied_cb);

  gtk_widget_class_install_action (widget_class, "tiles.choose-file", NULL, choose_file_action);
  gtk_widget_class_install_action (widget_class, "tiles.reset-file", NULL, reset_file_action);
}

static void
cd_tile_preferences_init (CdTilePreferences *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

/* Public API ----------------------------------------------------------------------------- */

GtkWidget *
cd_tile_preferences_new (GSettings *settings)
{
  g_return_val_if_fail (G_IS_SETTINGS (settings), NULL);

  return g_object_new (CD_TYPE_TILE_PREFERENCES, "settings", settings, NULL);
}

GSettings *
cd_tile_preferences_get_settings (CdTilePreferences *self)
{
  g_return_val_if_fail (CD_IS_TILE_PREFERENCES (self), NULL);

  return self->settings;
}

void
cd_tile_preferences_select_file (CdTilePreferences *self,
                                 const char        *path)
{
  g_return_if_fail (CD_IS_TILE_PREFERENCES (self));
  g_return_if_fail (path != NULL);

  adw_action_row_set_subtitle (self->file_row, _("Checking the file…"));
  check_file (self, path, TRUE);
}
