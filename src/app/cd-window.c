/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "cd-conflicts-dialog.h"
#include "cd-format.h"
#include "cd-intake-dialog.h"
#include "cd-window.h"
#include "board/cd-board.h"
#include "callbacks/cd-callbacks-view.h"
#include "reports/cd-reports-view.h"
#include "sla/cd-sla-view.h"
#include "map/cd-map-view.h"
#include "tiles/cd-region-download-dialog.h"
#include "tiles/cd-tiles.h"

struct _CdWindow
{
  AdwApplicationWindow parent_instance;

  CdContext      *context;
  GSettings      *settings;
  guint           n_conflicts;
  guint           build_views_source;

  /* Template widgets */
  AdwToastOverlay *toast_overlay;
  AdwViewStack    *stack;
  AdwViewSwitcherTitle *switcher_title;
  GtkMenuButton   *status_button;
  GtkImage        *status_icon;
  GtkLabel        *status_label;
  GtkLabel        *status_title;
  GtkLabel        *status_details;
  GtkLabel        *user_label;
};

G_DEFINE_FINAL_TYPE (CdWindow, cd_window, ADW_TYPE_APPLICATION_WINDOW)

enum {
  PROP_0,
  PROP_CONTEXT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static GtkWidget *
create_view (CdWindow   *self,
             const char *name)
{
  if (g_str_equal (name, "map"))
    return cd_map_view_new (self->context);
  if (g_str_equal (name, "board"))
    return cd_board_new (self->context);
  if (g_str_equal (name, "sla"))
    return cd_sla_view_new (self->context);
  if (g_str_equal (name, "callbacks"))
    return cd_callbacks_view_new (self->context);
  return cd_reports_view_new (self->context);
}

/* The map's tiles as the settings say; built again when they change. */
static void
update_map_source (CdWindow *self)
{
  GtkWidget *bin = adw_view_stack_get_child_by_name (self->stack, "map");
  GtkWidget *map = bin != NULL ? adw_bin_get_child (ADW_BIN (bin)) : NULL;
  g_autoptr(ShumateMapSource) source = NULL;
  g_autoptr(GError) error = NULL;

  if (map == NULL || !CD_IS_MAP_VIEW (map))
    return;

  source = cd_tiles_create_map_source (self->settings, &error);
  if (source == NULL)
    {
      AdwToast *toast = adw_toast_new (error->message);

      adw_toast_set_priority (toast, ADW_TOAST_PRIORITY_HIGH);
      adw_toast_overlay_add_toast (self->toast_overlay, toast);
      return;
    }
  cd_map_view_set_map_source (CD_MAP_VIEW (map), source);
}

static void
tile_setting_changed_cb (GSettings  *settings,
                         const char *key,
                         CdWindow   *self)
{
  if (g_strv_contains (cd_tiles_get_setting_keys (), key))
    update_map_source (self);
}

static GtkWidget *
ensure_view (CdWindow   *self,
             const char *name)
{
  GtkWidget *bin = adw_view_stack_get_child_by_name (self->stack, name);
  GtkWidget *view;

  if (bin == NULL)
    return NULL;
  view = adw_bin_get_child (ADW_BIN (bin));
  if (view == NULL)
    {
      view = create_view (self, name);
      adw_bin_set_child (ADW_BIN (bin), view);
      if (g_str_equal (name, "map"))
        update_map_source (self);
    }
  return view;
}

/* Builds the views not shown yet, one per idle, after the first frame. */
static gboolean
build_next_view_cb (gpointer user_data)
{
  CdWindow *self = user_data;
  static const char *names[] = { "map", "board", "sla", "callbacks", "reports" };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      GtkWidget *bin = adw_view_stack_get_child_by_name (self->stack, names[i]);

      if (bin != NULL && adw_bin_get_child (ADW_BIN (bin)) == NULL)
        {
          ensure_view (self, names[i]);
          return G_SOURCE_CONTINUE;
        }
    }
  self->build_views_source = 0;
  return G_SOURCE_REMOVE;
}

static void
add_views (CdWindow *self)
{
  static const struct {
    const char *name;
    const char *title;
    const char *icon;
  } views[] = {
    { "map", N_("Map"), "mark-location-symbolic" },
    { "board", N_("Board"), "view-grid-symbolic" },
    { "sla", N_("Time Limits"), "alarm-symbolic" },
    { "callbacks", N_("Callbacks"), "call-start-symbolic" },
    { "reports", N_("Reports"), "x-office-presentation-symbolic" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (views); i++)
    {
      AdwViewStackPage *page;

      /* Each view is built the first time it is shown (or on idle after
       * the first frame): the window draws without waiting for a board
       * of two hundred crews. */
      page = adw_view_stack_add_titled (self->stack, adw_bin_new (),
                                        views[i].name, _(views[i].title));
      adw_view_stack_page_set_icon_name (page, views[i].icon);
      adw_view_stack_page_set_use_underline (page, FALSE);
    }
}

static void
update_status (CdWindow *self)
{
  CdSyncEngine *engine = cd_context_get_engine (self->context);
  CdSyncStatus status = cd_sync_engine_get_status (engine);
  guint pending = cd_sync_engine_get_pending (engine);
  const char *last_error = cd_sync_engine_get_last_error (engine);
  g_autofree char *text = cd_sync_engine_dup_status_text (engine);
  g_autofree char *short_text = NULL;
  g_autofree char *details = NULL;
  const char *icon;

  switch (status)
    {
    case CD_SYNC_STATUS_ONLINE:
      icon = "network-transmit-receive-symbolic";
      short_text = pending > 0
        ? g_strdup_printf (ngettext ("Online, %u waiting", "Online, %u waiting", pending), pending)
        : g_strdup (_("Online"));
      break;
    case CD_SYNC_STATUS_CONNECTING:
      icon = "network-idle-symbolic";
      short_text = g_strdup (_("Connecting…"));
      break;
    case CD_SYNC_STATUS_OFFLINE:
    default:
      icon = "network-offline-symbolic";
      short_text = pending > 0
        ? g_strdup_printf (ngettext ("Offline, %u waiting", "Offline, %u waiting", pending), pending)
        : g_strdup (_("Offline"));
      break;
    }

  gtk_image_set_from_icon_name (self->status_icon, icon);
  gtk_label_set_label (self->status_label, short_text);
  gtk_label_set_label (self->status_title, text);
  if (status == CD_SYNC_STATUS_OFFLINE)
    gtk_widget_add_css_class (GTK_WIDGET (self->status_button), "offline");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->status_button), "offline");

  if (status != CD_SYNC_STATUS_ONLINE && last_error != NULL && *last_error != '\0')
    details = g_strdup_printf (_("Every change is kept on this computer and sent when the server can be reached. Last error: %s"),
                               last_error);
  else if (status != CD_SYNC_STATUS_ONLINE)
    details = g_strdup (_("Every change is kept on this computer and sent when the server can be reached."));
  else
    details = g_strdup (_("Changes reach the server as they are made."));
  gtk_label_set_label (self->status_details, details);
}

static void
update_user (CdWindow *self)
{
  CdUser *user = cd_context_get_user (self->context);
  g_autofree char *subtitle = NULL;
  g_autofree char *line = NULL;

  if (user == NULL)
    return;

  /* Translators: the header's subtitle: the user's name and role. */
  subtitle = g_strdup_printf (_("%s · %s"),
                              user->display_name && *user->display_name ? user->display_name : user->username,
                              cd_format_role (user->role));
  adw_view_switcher_title_set_subtitle (self->switcher_title, subtitle);
  line = g_strdup_printf (_("Signed in to %s as %s."),
                          cd_sync_cache_get_server_url (cd_context_get_cache (self->context)),
                          user->username);
  gtk_label_set_label (self->user_label, line);
}

static void
show_conflicts (CdWindow *self)
{
  GtkWindow *dialog = cd_conflicts_dialog_new (self->context);

  gtk_window_set_transient_for (dialog, GTK_WINDOW (self));
  gtk_window_present (dialog);
}

static void
review_conflicts_cb (AdwToast *toast,
                     CdWindow *self)
{
  show_conflicts (self);
}

/* A change the server refused is shown once as a toast, then kept in the
 * list of refused changes until the user resolves it. */
static void
check_conflicts (CdWindow *self)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) conflicts = NULL;
  AdwToast *toast;
  g_autofree char *title = NULL;

  conflicts = cd_sync_cache_list_conflicts (cd_context_get_cache (self->context), &error);
  if (conflicts == NULL)
    {
      g_warning ("Could not read the refused changes: %s", error->message);
      return;
    }

  if (conflicts->len > self->n_conflicts)
    {
      guint n = conflicts->len - self->n_conflicts;

      title = g_strdup_printf (ngettext ("The server refused %u change",
                                         "The server refused %u changes", n), n);
      toast = adw_toast_new (title);
      adw_toast_set_button_label (toast, _("_Review"));
      adw_toast_set_priority (toast, ADW_TOAST_PRIORITY_HIGH);
      adw_toast_set_timeout (toast, 0);
      g_signal_connect_object (toast, "button-clicked", G_CALLBACK (review_conflicts_cb), self, 0);
      adw_toast_overlay_add_toast (self->toast_overlay, toast);
    }
  self->n_conflicts = conflicts->len;
}

static void
engine_notify_cb (GObject    *object,
                  GParamSpec *pspec,
                  CdWindow   *self)
{
  update_status (self);
}

static void
context_reloaded_cb (CdContext *context,
                     CdWindow  *self)
{
  update_user (self);
  check_conflicts (self);
}

static void
context_add_toast_cb (CdContext *context,
                      AdwToast  *toast,
                      CdWindow  *self)
{
  adw_toast_overlay_add_toast (self->toast_overlay, g_object_ref (toast));
}

static void
new_ticket_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  CdWindow *self = CD_WINDOW (widget);
  GtkWindow *dialog = cd_intake_dialog_new (self->context, cd_window_get_view (self, "map"));

  gtk_window_set_transient_for (dialog, GTK_WINDOW (self));
  gtk_window_present (dialog);
}

static void
download_region_action (GtkWidget  *widget,
                        const char *action_name,
                        GVariant   *parameter)
{
  CdWindow *self = CD_WINDOW (widget);
  GtkWidget *map = cd_window_get_view (self, "map");
  CdRegionDownloadDialog *dialog;
  ShumateViewport *viewport;
  CdTileBounds bounds;

  if (map == NULL || !CD_IS_MAP_VIEW (map))
    return;

  viewport = shumate_map_get_viewport (cd_map_view_get_map (CD_MAP_VIEW (map)));
  if (!cd_tiles_bounds_from_viewport (viewport, GTK_WIDGET (cd_map_view_get_map (CD_MAP_VIEW (map))), &bounds))
    {
      adw_toast_overlay_add_toast (self->toast_overlay,
                                   adw_toast_new (_("Show the map first: the region is the area it shows.")));
      return;
    }

  cd_window_set_view (self, "map");
  dialog = cd_region_download_dialog_new (GTK_WINDOW (self), self->settings, &bounds,
                                          shumate_viewport_get_zoom_level (viewport));
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
show_conflicts_action (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *parameter)
{
  show_conflicts (CD_WINDOW (widget));
}

static void
sync_now_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  CdWindow *self = CD_WINDOW (widget);

  cd_sync_engine_sync_now (cd_context_get_engine (self->context));
}

static void
show_view_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  cd_window_set_view (CD_WINDOW (widget), g_variant_get_string (parameter, NULL));
}

static void
visible_child_cb (AdwViewStack *stack,
                  GParamSpec   *pspec,
                  CdWindow     *self)
{
  const char *name = adw_view_stack_get_visible_child_name (stack);

  if (name != NULL)
    ensure_view (self, name);
  if (self->settings != NULL && name != NULL)
    g_settings_set_string (self->settings, "view", name);
}

static void
cd_window_constructed (GObject *object)
{
  CdWindow *self = CD_WINDOW (object);
  CdSyncEngine *engine;
  g_autofree char *view = NULL;

  G_OBJECT_CLASS (cd_window_parent_class)->constructed (object);

  g_assert (self->context != NULL);
  engine = cd_context_get_engine (self->context);

  add_views (self);
  g_signal_connect_object (self->settings, "changed", G_CALLBACK (tile_setting_changed_cb), self, 0);

  view = g_settings_get_string (self->settings, "view");
  if (adw_view_stack_get_child_by_name (self->stack, view) != NULL)
    adw_view_stack_set_visible_child_name (self->stack, view);
  ensure_view (self, adw_view_stack_get_visible_child_name (self->stack));
  g_signal_connect_object (self->stack, "notify::visible-child",
                           G_CALLBACK (visible_child_cb), self, 0);
  self->build_views_source = g_idle_add_full (G_PRIORITY_LOW, build_next_view_cb, self, NULL);

  g_signal_connect_object (engine, "notify::status", G_CALLBACK (engine_notify_cb), self, 0);
  g_signal_connect_object (engine, "notify::pending", G_CALLBACK (engine_notify_cb), self, 0);
  g_signal_connect_object (engine, "notify::offline-since", G_CALLBACK (engine_notify_cb), self, 0);
  g_signal_connect_object (engine, "notify::last-error", G_CALLBACK (engine_notify_cb), self, 0);
  g_signal_connect_object (self->context, "reloaded", G_CALLBACK (context_reloaded_cb), self, 0);
  g_signal_connect_object (self->context, "add-toast", G_CALLBACK (context_add_toast_cb), self, 0);

  update_status (self);
  update_user (self);
}

static void
cd_window_dispose (GObject *object)
{
  CdWindow *self = CD_WINDOW (object);

  g_clear_handle_id (&self->build_views_source, g_source_remove);
  gtk_widget_dispose_template (GTK_WIDGET (self), CD_TYPE_WINDOW);
  g_clear_object (&self->context);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (cd_window_parent_class)->dispose (object);
}

static void
cd_window_get_property (GObject    *object,
                        guint       prop_id,
                        GValue     *value,
                        GParamSpec *pspec)
{
  CdWindow *self = CD_WINDOW (object);

  switch (prop_id)
    {
    case PROP_CONTEXT:
      g_value_set_object (value, self->context);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cd_window_set_property (GObject      *object,
                        guint         prop_id,
                        const GValue *value,
                        GParamSpec   *pspec)
{
  CdWindow *self = CD_WINDOW (object);

  switch (prop_id)
    {
    case PROP_CONTEXT:
      self->context = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cd_window_class_init (CdWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = cd_window_constructed;
  object_class->dispose = cd_window_dispose;
  object_class->get_property = cd_window_get_property;
  object_class->set_property = cd_window_set_property;

  properties[PROP_CONTEXT] =
    g_param_spec_object ("context", NULL, NULL, CD_TYPE_CONTEXT,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/crewdesk/Crewdesk/cd-window.ui");
  gtk_widget_class_bind_template_child (widget_class, CdWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, CdWindow, stack);
  gtk_widget_class_bind_template_child (widget_class, CdWindow, switcher_title);
  gtk_widget_class_bind_template_child (widget_class, CdWindow, status_button);
  gtk_widget_class_bind_template_child (widget_class, CdWindow, status_icon);
  gtk_widget_class_bind_template_child (widget_class, CdWindow, status_label);
  gtk_widget_class_bind_template_child (widget_class, CdWindow, status_title);
  gtk_widget_class_bind_template_child (widget_class, CdWindow, status_details);
  gtk_widget_class_bind_template_child (widget_class, CdWindow, user_label);

  gtk_widget_class_install_action (widget_class, "win.new-ticket", NULL, new_ticket_action);
  gtk_widget_class_install_action (widget_class, "win.show-conflicts", NULL, show_conflicts_action);
  gtk_widget_class_install_action (widget_class, "win.sync-now", NULL, sync_now_action);
  gtk_widget_class_install_action (widget_class, "win.download-region", NULL, download_region_action);
  gtk_widget_class_install_action (widget_class, "win.show-view", "s", show_view_action);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_n, GDK_CONTROL_MASK, "win.new-ticket", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_r, GDK_CONTROL_MASK, "win.sync-now", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_1, GDK_ALT_MASK, "win.show-view", "s", "map");
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_2, GDK_ALT_MASK, "win.show-view", "s", "board");
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_3, GDK_ALT_MASK, "win.show-view", "s", "sla");
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_4, GDK_ALT_MASK, "win.show-view", "s", "callbacks");
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_5, GDK_ALT_MASK, "win.show-view", "s", "reports");
}

static void
cd_window_init (CdWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->settings = g_settings_new (APP_ID);
  g_settings_bind (self->settings, "window-width", self, "default-width", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "window-height", self, "default-height", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "window-maximized", self, "maximized", G_SETTINGS_BIND_DEFAULT);
}

CdWindow *
cd_window_new (GtkApplication *application,
               CdContext      *context)
{
  g_return_val_if_fail (CD_IS_CONTEXT (context), NULL);

  return g_object_new (CD_TYPE_WINDOW,
                       "application", application,
                       "context", context,
                       NULL);
}

CdContext *
cd_window_get_context (CdWindow *self)
{
  g_return_val_if_fail (CD_IS_WINDOW (self), NULL);
  return self->context;
}

void
cd_window_set_view (CdWindow   *self,
                    const char *name)
{
  g_return_if_fail (CD_IS_WINDOW (self));
  g_return_if_fail (name != NULL);

  if (adw_view_stack_get_child_by_name (self->stack, name) != NULL)
    adw_view_stack_set_visible_child_name (self->stack, name);
}

GtkWidget *
cd_window_get_view (CdWindow   *self,
                    const char *name)
{
  g_return_val_if_fail (CD_IS_WINDOW (self), NULL);
  return ensure_view (self, name);
}

void
cd_window_add_toast (CdWindow *self,
                     AdwToast *toast)
{
  g_return_if_fail (CD_IS_WINDOW (self));
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}
