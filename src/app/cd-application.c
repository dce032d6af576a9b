/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "cd-application.h"
#include "cd-login-dialog.h"
#include "cd-sync-credentials.h"
#include "cd-window.h"
#include "tiles/cd-tile-preferences.h"

struct _CdApplication
{
  AdwApplication  parent_instance;

  GSettings      *settings;
  char           *server_option;
  char           *user_option;
  char           *demo_login;

  CdContext      *context;
  CdWindow       *window;
  GtkWindow      *login_dialog;
};

G_DEFINE_FINAL_TYPE (CdApplication, cd_application, ADW_TYPE_APPLICATION)

static void show_login (CdApplication *self,
                        gboolean       session_ended,
                        const char    *message);

/* bench-startup ------------------------------------------------------------------ */

/* With CREWDESK_BENCH_STARTUP set, the app prints when its window first
 * drew a frame and when the model was first read (wall-clock µs, to set
 * against the launch time of bench/bench-startup), then quits. */
typedef struct {
  CdApplication *app;
  gboolean       painted;
  gboolean       loaded;
} BenchStartup;

static void
bench_startup_check (BenchStartup *bench)
{
  if (bench->painted && bench->loaded)
    g_application_quit (G_APPLICATION (bench->app));
}

static void
bench_after_paint_cb (GdkFrameClock *clock,
                      BenchStartup  *bench)
{
  if (bench->painted)
    return;
  bench->painted = TRUE;
  g_print ("first-frame-us: %" G_GINT64_FORMAT "\n", g_get_real_time ());
  bench_startup_check (bench);
}

static void
bench_window_mapped_cb (GtkWidget    *window,
                        BenchStartup *bench)
{
  g_signal_connect (gtk_widget_get_frame_clock (window), "after-paint",
                    G_CALLBACK (bench_after_paint_cb), bench);
}

static void
bench_reloaded_cb (CdContext    *context,
                   BenchStartup *bench)
{
  if (bench->loaded)
    return;
  bench->loaded = TRUE;
  g_print ("model-loaded-us: %" G_GINT64_FORMAT "\n", g_get_real_time ());
  g_print ("model-tickets: %u\n", g_list_model_get_n_items (cd_context_get_tickets (context)));
  bench_startup_check (bench);
}

static void
bench_startup_watch (CdApplication *self)
{
  BenchStartup *bench = g_new0 (BenchStartup, 1);

  bench->app = self;
  g_object_set_data_full (G_OBJECT (self), "bench-startup", bench, g_free);
  g_signal_connect (self->window, "map", G_CALLBACK (bench_window_mapped_cb), bench);
  g_signal_connect (self->context, "reloaded", G_CALLBACK (bench_reloaded_cb), bench);
}

/* The session ------------------------------------------------------------------ */

static void
engine_login_needed_cb (CdSyncEngine  *engine,
                        CdApplication *self)
{
  show_login (self, TRUE, NULL);
}

static void
close_session (CdApplication *self)
{
  if (self->context != NULL)
    cd_sync_engine_stop (cd_context_get_engine (self->context));
  if (self->window != NULL)
    gtk_window_destroy (GTK_WINDOW (self->window));
  self->window = NULL;
  g_clear_object (&self->context);
}

/* Opens the cache of @username on @server_url and the window over it.
 * @user: from a sign-in just now (NULL: the one the cache knows, for
 * starting offline). @token may be NULL: the engine then asks for a
 * sign-in, and the window still shows the cache. */
static gboolean
open_session (CdApplication  *self,
              const char     *server_url,
              const char     *username,
              const char     *token,
              CdUser         *user,
              GError        **error)
{
  g_autoptr(CdSyncCache) cache = NULL;
  g_autoptr(CdSyncClient) client = NULL;
  g_autoptr(CdSyncEngine) engine = NULL;
  g_autoptr(CdUser) known = NULL;
  g_autoptr(GError) local_error = NULL;

  cache = cd_sync_cache_open (server_url, username, NULL, error);
  if (cache == NULL)
    return FALSE;

  if (user != NULL && !cd_sync_cache_set_user (cache, user, error))
    return FALSE;
  known = cd_sync_cache_dup_user (cache);
  if (known == NULL)
    {
      g_set_error_literal (error, CD_SYNC_ERROR, CD_SYNC_ERROR_NOT_SIGNED_IN,
                           _("Nobody is signed in on this computer yet. Sign in once while "
                             "the server can be reached."));
      return FALSE;
    }

  client = cd_sync_client_new (server_url);
  if (token != NULL)
    cd_sync_client_set_token (client, token);
  engine = cd_sync_engine_new (client, cache);

  close_session (self);
  self->context = cd_context_new (engine, NULL);
  g_signal_connect_object (engine, "login-needed", G_CALLBACK (engine_login_needed_cb), self, 0);

  g_settings_set_string (self->settings, "last-server", server_url);
  g_settings_set_string (self->settings, "last-username", username);

  self->window = cd_window_new (GTK_APPLICATION (self), self->context);
  g_object_add_weak_pointer (G_OBJECT (self->window), (gpointer *) &self->window);
  if (g_getenv ("CREWDESK_BENCH_STARTUP") != NULL)
    bench_startup_watch (self);
  gtk_window_present (GTK_WINDOW (self->window));

  /* The first frame does not wait for a large cache. */
  cd_context_reload_async (self->context);
  cd_sync_engine_start (engine);
  if (token == NULL && g_getenv ("CREWDESK_BENCH_STARTUP") == NULL)
    show_login (self, TRUE, NULL);
  return TRUE;
}

static void
login_signed_in_cb (CdLoginDialog *dialog,
                    const char    *server_url,
                    const char    *username,
                    const char    *token,
                    CdUser        *user,
                    CdApplication *self)
{
  g_autoptr(GError) error = NULL;

  if (!cd_sync_credentials_store (server_url, username, token, &error))
    {
      /* Signing in works; only the next start asks again. */
      g_warning ("Could not keep the session for the next start: %s", error->message);
      g_clear_error (&error);
    }

  /* The session ended and this is the same user: keep the window and the
   * cache (with its waiting changes), give the engine the new token. */
  if (self->context != NULL)
    {
      CdSyncCache *cache = cd_context_get_cache (self->context);
      CdSyncEngine *engine = cd_context_get_engine (self->context);

      if (g_strcmp0 (cd_sync_cache_get_server_url (cache), server_url) == 0 &&
          g_strcmp0 (cd_sync_cache_get_username (cache), username) == 0)
        {
          if (!cd_sync_cache_set_user (cache, user, &error))
            g_warning ("Could not update the signed-in user: %s", error->message);
          cd_sync_client_set_token (cd_sync_engine_get_client (engine), token);
          cd_sync_engine_sync_now (engine);
          gtk_window_destroy (GTK_WINDOW (dialog));
          return;
        }
    }

  if (!open_session (self, server_url, username, token, user, &error))
    {
      show_login (self, FALSE, error->message);
      return;
    }
  gtk_window_destroy (GTK_WINDOW (dialog));
}

static void
show_login (CdApplication *self,
            gboolean       session_ended,
            const char    *message)
{
  g_autofree char *server = NULL;
  g_autofree char *username = NULL;

  if (self->login_dialog != NULL)
    {
      gtk_window_present (self->login_dialog);
      return;
    }

  if (session_ended && self->context != NULL)
    {
      CdSyncCache *cache = cd_context_get_cache (self->context);

      server = g_strdup (cd_sync_cache_get_server_url (cache));
      username = g_strdup (cd_sync_cache_get_username (cache));
    }
  else
    {
      server = g_strdup (self->server_option ? self->server_option
                                             : g_settings_get_string (self->settings, "last-server"));
      username = g_strdup (self->user_option ? self->user_option
                                             : g_settings_get_string (self->settings, "last-username"));
    }

  self->login_dialog = cd_login_dialog_new (server, username);
  g_object_add_weak_pointer (G_OBJECT (self->login_dialog), (gpointer *) &self->login_dialog);
  gtk_window_set_application (self->login_dialog, GTK_APPLICATION (self));
  if (session_ended && self->context != NULL)
    cd_login_dialog_set_session_ended (CD_LOGIN_DIALOG (self->login_dialog),
                                       cd_sync_engine_get_pending (cd_context_get_engine (self->context)));
  if (self->window != NULL)
    {
      gtk_window_set_transient_for (self->login_dialog, GTK_WINDOW (self->window));
      gtk_window_set_modal (self->login_dialog, TRUE);
    }
  g_signal_connect_object (self->login_dialog, "signed-in", G_CALLBACK (login_signed_in_cb), self, 0);
  gtk_window_present (self->login_dialog);

  if (message != NULL)
    cd_login_dialog_show_error (CD_LOGIN_DIALOG (self->login_dialog), message);

  if (self->demo_login != NULL && !session_ended)
    {
      /* The demo's users all have the password "demo". */
      cd_login_dialog_set_password (CD_LOGIN_DIALOG (self->login_dialog), "demo");
      cd_login_dialog_sign_in (CD_LOGIN_DIALOG (self->login_dialog));
      g_clear_pointer (&self->demo_login, g_free);
    }
}

/* Starts from what is remembered: a token opens the session (offline too);
 * a cache with a known user but no token opens it and asks for a sign-in;
 * otherwise the sign-in dialog. */
static void
start (CdApplication *self)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *server = NULL;
  g_autofree char *username = NULL;
  g_autofree char *token = NULL;

  if (self->demo_login != NULL)
    {
      g_free (self->user_option);
      self->user_option = g_strdup (self->demo_login);
      show_login (self, FALSE, NULL);
      return;
    }

  server = g_strdup (self->server_option ? self->server_option
                                         : g_settings_get_string (self->settings, "last-server"));
  username = g_strdup (self->user_option ? self->user_option
                                         : g_settings_get_string (self->settings, "last-username"));
  if (*server == '\0' || *username == '\0')
    {
      show_login (self, FALSE, NULL);
      return;
    }

  token = cd_sync_credentials_lookup (server, username, &error);
  if (error != NULL)
    {
      g_warning ("Could not read the kept session: %s", error->message);
      g_clear_error (&error);
    }

  if (!open_session (self, server, username, token, NULL, &error))
    {
      g_debug ("No session to resume: %s", error->message);
      show_login (self, FALSE, NULL);
    }
}

/* Actions ---------------------------------------------------------------------- */

static void
logged_out_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  GApplication *app = user_data;
  g_autoptr(GError) error = NULL;

  if (!cd_sync_client_logout_finish (CD_SYNC_CLIENT (source), result, &error))
    g_message ("The server could not be told of the sign-out: %s", error->message);
  g_application_release (app);
  g_object_unref (app);
}

static void
sign_out_action (GSimpleAction *action,
                 GVariant      *parameter,
                 gpointer       user_data)
{
  CdApplication *self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(CdSyncClient) ending = NULL;
  CdSyncClient *client;
  CdSyncCache *cache;

  if (self->context == NULL)
    return;

  cache = cd_context_get_cache (self->context);
  client = cd_sync_engine_get_client (cd_context_get_engine (self->context));

  /* The token ends on the server too, not only here: one left in a
   * keyring that could not be cleared, or copied, is worth nothing. A
   * client of its own, as the session's is closed below; the application
   * stays until it has answered. */
  if (cd_sync_client_get_token (client) != NULL)
    {
      ending = cd_sync_client_new (cd_sync_client_get_base_url (client));
      cd_sync_client_set_token (ending, cd_sync_client_get_token (client));
      g_application_hold (G_APPLICATION (self));
      cd_sync_client_logout_async (ending, logged_out_cb, g_object_ref (self));
    }

  if (!cd_sync_credentials_forget (cd_sync_cache_get_server_url (cache),
                                   cd_sync_cache_get_username (cache), &error))
    g_warning ("Could not forget the session: %s", error->message);

  /* The cache and its waiting changes stay on disk: they are sent the
   * next time this user signs in. */
  close_session (self);
  show_login (self, FALSE, NULL);
}

static void
about_action (GSimpleAction *action,
              GVariant      *parameter,
              gpointer       user_data)
{
  CdApplication *self = user_data;
  GtkWindow *parent = gtk_application_get_active_window (GTK_APPLICATION (self));

  adw_show_about_window (parent,
                         "application-name", _("Crewdesk"),
                         "application-icon", APP_ID,
                         "developer-name", _("The Crewdesk developers"),
                         "version", PACKAGE_VERSION,
                         "comments", _("Dispatch for heating and power utilities: tickets, crews, time limits and callbacks."),
                         "license-type", GTK_LICENSE_GPL_3_0,
                         /* Translators: put your names here, one per line. */
                         "translator-credits", _("translator-credits"),
                         NULL);
}

static void
preferences_action (GSimpleAction *action,
                    GVariant      *parameter,
                    gpointer       user_data)
{
  CdApplication *self = user_data;
  GtkWindow *parent = gtk_application_get_active_window (GTK_APPLICATION (self));
  GtkWidget *window = adw_preferences_window_new ();

  adw_preferences_window_add (ADW_PREFERENCES_WINDOW (window),
                              ADW_PREFERENCES_PAGE (cd_tile_preferences_new (self->settings)));
  gtk_window_set_transient_for (GTK_WINDOW (window), parent);
  gtk_window_set_modal (GTK_WINDOW (window), TRUE);
  gtk_window_present (GTK_WINDOW (window));
}

/* From a notification: the window, at a view. */
static void
show_view_action (GSimpleAction *action,
                  GVariant      *parameter,
                  gpointer       user_data)
{
  CdApplication *self = user_data;

  if (self->window == NULL)
    return;
  cd_window_set_view (self->window, g_variant_get_string (parameter, NULL));
  gtk_window_present (GTK_WINDOW (self->window));
}

static void
quit_action (GSimpleAction *action,
             GVariant      *parameter,
             gpointer       user_data)
{
  g_application_quit (G_APPLICATION (user_data));
}

static const GActionEntry app_actions[] = {
  { "sign-out", sign_out_action },
  { "about", about_action },
  { "preferences", preferences_action },
  { "show-view", show_view_action, "s" },
  { "quit", quit_action },
};

/* GApplication ----------------------------------------------------------------- */

static int
cd_application_handle_local_options (GApplication *app,
                                     GVariantDict *options)
{
  CdApplication *self = CD_APPLICATION (app);
  const char *value;

  if (g_variant_dict_lookup (options, "version", "b", NULL))
    {
      g_print ("crewdesk %s\n", PACKAGE_VERSION);
      return 0;
    }
  if (g_variant_dict_lookup (options, "server", "&s", &value))
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *url = cd_login_normalize_server_url (value, &error);

      if (url == NULL)
        {
          g_printerr ("%s\n", error->message);
          return 1;
        }
      self->server_option = g_steal_pointer (&url);
    }
  if (g_variant_dict_lookup (options, "user", "&s", &value))
    self->user_option = g_strdup (value);
  if (g_variant_dict_lookup (options, "demo-login", "&s", &value))
    self->demo_login = g_strdup (value);

  return -1;
}

static void
cd_application_activate (GApplication *app)
{
  CdApplication *self = CD_APPLICATION (app);

  if (self->window != NULL)
    gtk_window_present (GTK_WINDOW (self->window));
  else if (self->login_dialog != NULL)
    gtk_window_present (self->login_dialog);
  else
    start (self);
}

static void
cd_application_startup (GApplication *app)
{
  CdApplication *self = CD_APPLICATION (app);
  static const char *quit_accels[] = { "<Control>q", NULL };
  static const char *preferences_accels[] = { "<Control>comma", NULL };

  G_APPLICATION_CLASS (cd_application_parent_class)->startup (app);

  self->settings = g_settings_new (APP_ID);
  g_action_map_add_action_entries (G_ACTION_MAP (self), app_actions, G_N_ELEMENTS (app_actions), self);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.quit", quit_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.preferences", preferences_accels);
}

static void
cd_application_shutdown (GApplication *app)
{
  CdApplication *self = CD_APPLICATION (app);

  if (self->context != NULL)
    cd_sync_engine_stop (cd_context_get_engine (self->context));
  g_clear_object (&self->context);

  G_APPLICATION_CLASS (cd_application_parent_class)->shutdown (app);
}

static void
cd_application_finalize (GObject *object)
{
  CdApplication *self = CD_APPLICATION (object);

  g_clear_object (&self->settings);
  g_free (self->server_option);
  g_free (self->user_option);
  g_free (self->demo_login);

  G_OBJECT_CLASS (cd_application_parent_class)->finalize (object);
}

static void
cd_application_class_init (CdApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->finalize = cd_application_finalize;
  app_class->handle_local_options = cd_application_handle_local_options;
  app_class->activate = cd_application_activate;
  app_class->startup = cd_application_startup;
  app_class->shutdown = cd_application_shutdown;
}

static void
cd_application_init (CdApplication *self)
{
  static const GOptionEntry entries[] = {
    { "server", 's', 0, G_OPTION_ARG_STRING, NULL, N_("The dispatch server’s address"), N_("URL") },
    { "user", 'u', 0, G_OPTION_ARG_STRING, NULL, N_("The user name to sign in as"), N_("NAME") },
    { "demo-login", 0, 0, G_OPTION_ARG_STRING, NULL, N_("Sign in as this demo user with the demo password"), N_("NAME") },
    { "version", 0, 0, G_OPTION_ARG_NONE, NULL, N_("Show the version and quit"), NULL },
    { NULL }
  };

  g_application_add_main_option_entries (G_APPLICATION (self), entries);
}

CdApplication *
cd_application_new (void)
{
  return g_object_new (CD_TYPE_APPLICATION,
                       "application-id", APP_ID,
                       "flags", G_APPLICATION_DEFAULT_FLAGS,
                       "resource-base-path", "/org/crewdesk/Crewdesk",
                       NULL);
}

CdContext *
cd_application_get_context (CdApplication *self)
{
  g_return_val_if_fail (CD_IS_APPLICATION (self), NULL);
  return self->context;
}
