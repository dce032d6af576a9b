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
  /* Counts the sessions opened, so a late answer knows its own. */
  guint           session_serial;

  /* Calls to cd-sync-credentials waiting (GTasks), and whether one runs. */
  GQueue          credentials_jobs;
  gboolean        credentials_busy;
  /* How many g_application_hold()s are ours: work a quit waits for. */
  guint           n_held;
};

G_DEFINE_FINAL_TYPE (CdApplication, cd_application, ADW_TYPE_APPLICATION)

static void show_login (CdApplication *self,
                        gboolean       session_ended,
                        const char    *message);
static void session_go_online (CdApplication *self,
                               const char    *token);

/* Work that must end even when every window is closed (a kept session
 * saved or forgotten, the server told of a sign-out): the application
 * holds itself meanwhile, and Quit waits for it (see quit_action). */
static void
app_hold (CdApplication *self)
{
  self->n_held++;
  g_application_hold (G_APPLICATION (self));
}

static void
app_release (CdApplication *self)
{
  g_return_if_fail (self->n_held > 0);
  self->n_held--;
  g_application_release (G_APPLICATION (self));
}

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

/* The kept session ------------------------------------------------------------- */

/* cd-sync-credentials blocks: a Secret Service that is stopped or wedged
 * holds each call for the D-Bus timeout (25 s). So its calls never run on
 * the main thread: they go to a worker thread, one at a time and in the
 * order they were asked for, so a forget (sign-out) is never overtaken by
 * the store of the sign-in before it. A store or a forget holds the
 * application until it is done; a lookup does not: after a quit its
 * answer has nobody to go to. */

typedef enum {
  CREDENTIALS_LOOKUP,
  CREDENTIALS_STORE,
  CREDENTIALS_FORGET,
} CredentialsOp;

typedef struct {
  CredentialsOp  op;
  char          *server_url;
  char          *username;
  char          *token;    /* CREDENTIALS_STORE */
  guint          session;  /* CREDENTIALS_LOOKUP: the session waiting for it */
} CredentialsJob;

static void
credentials_job_free (CredentialsJob *job)
{
  g_free (job->server_url);
  g_free (job->username);
  g_free (job->token);
  g_free (job);
}

/* In the worker: returns the token found (LOOKUP; may be NULL) or an error. */
static void
credentials_thread (GTask        *task,
                    gpointer      source_object,
                    gpointer      task_data,
                    GCancellable *cancellable)
{
  CredentialsJob *job = task_data;
  GError *error = NULL;
  char *token = NULL;

  if (job->op == CREDENTIALS_LOOKUP)
    token = cd_sync_credentials_lookup (job->server_url, job->username, &error);
  else if (job->op == CREDENTIALS_STORE)
    cd_sync_credentials_store (job->server_url, job->username, job->token, &error);
  else
    cd_sync_credentials_forget (job->server_url, job->username, &error);

  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, token, g_free);
}

static void
credentials_run_next (CdApplication *self)
{
  g_autoptr(GTask) task = NULL;

  if (self->credentials_busy)
    return;
  task = g_queue_pop_head (&self->credentials_jobs);
  if (task == NULL)
    return;
  self->credentials_busy = TRUE;
  g_task_run_in_thread (task, credentials_thread);
}

static void
credentials_done_cb (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  CdApplication *self = CD_APPLICATION (source);
  CredentialsJob *job = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;
  g_autofree char *token = g_task_propagate_pointer (G_TASK (result), &error);

  self->credentials_busy = FALSE;
  credentials_run_next (self);

  if (job->op == CREDENTIALS_LOOKUP)
    {
      if (error != NULL)
        g_warning ("Could not read the kept session: %s", error->message);
      g_debug ("Kept session of %s on %s looked up: %s", job->username, job->server_url,
               token != NULL ? "found" : "none");
      /* Unless that session was closed meanwhile (signed out). */
      if (self->context != NULL && self->session_serial == job->session)
        session_go_online (self, token);
      return;
    }

  /* Signing in works without a kept session; only the next start asks again. */
  if (error != NULL && job->op == CREDENTIALS_STORE)
    g_warning ("Could not keep the session for the next start: %s", error->message);
  else if (error != NULL)
    g_warning ("Could not forget the session: %s", error->message);
  app_release (self);
}

/* Queues a call to cd-sync-credentials; LOOKUP is for the session open now. */
static void
credentials_queue (CdApplication *self,
                   CredentialsOp  op,
                   const char    *server_url,
                   const char    *username,
                   const char    *token)
{
  CredentialsJob *job = g_new0 (CredentialsJob, 1);
  GTask *task = g_task_new (self, NULL, credentials_done_cb, NULL);

  job->op = op;
  job->server_url = g_strdup (server_url);
  job->username = g_strdup (username);
  job->token = g_strdup (token);
  job->session = self->session_serial;
  g_task_set_source_tag (task, credentials_queue);
  g_task_set_task_data (task, job, (GDestroyNotify) credentials_job_free);
  if (op != CREDENTIALS_LOOKUP)
    app_hold (self);

  g_queue_push_tail (&self->credentials_jobs, task);
  credentials_run_next (self);
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

/* Opens the cache of @username on @server_url and the window over it,
 * and starts reading the cache; session_go_online() starts syncing.
 * @user: from a sign-in just now (NULL: the one the cache knows, for
 * starting offline). */
static gboolean
open_session (CdApplication  *self,
              const char     *server_url,
              const char     *username,
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
  engine = cd_sync_engine_new (client, cache);

  close_session (self);
  self->context = cd_context_new (engine, NULL);
  self->session_serial++;
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
  return TRUE;
}

/* Starts syncing the open session with @token. Without one (none was
 * kept) the engine could only be refused: the window keeps showing the
 * cache and the sign-in dialog comes on top. */
static void
session_go_online (CdApplication *self,
                   const char    *token)
{
  CdSyncEngine *engine = cd_context_get_engine (self->context);

  if (token != NULL)
    cd_sync_client_set_token (cd_sync_engine_get_client (engine), token);
  cd_sync_engine_start (engine);
  if (token == NULL && g_getenv ("CREWDESK_BENCH_STARTUP") == NULL)
    show_login (self, TRUE, NULL);
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

  credentials_queue (self, CREDENTIALS_STORE, server_url, username, token);

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

  if (!open_session (self, server_url, username, user, &error))
    {
      show_login (self, FALSE, error->message);
      return;
    }
  session_go_online (self, token);
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

/* Starts from what is remembered: a cache with a known user opens at once
 * (offline too), and syncs once the kept token is found, or asks for a
 * sign-in when none is; otherwise the sign-in dialog. */
static void
start (CdApplication *self)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *server = NULL;
  g_autofree char *username = NULL;

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

  /* The window does not wait for the token: the Secret Service may take
   * the D-Bus timeout to answer (25 s), or not answer. The cache shows
   * meanwhile; the engine starts when the lookup is done. */
  if (!open_session (self, server, username, NULL, &error))
    {
      g_debug ("No session to resume: %s", error->message);
      show_login (self, FALSE, NULL);
      return;
    }
  credentials_queue (self, CREDENTIALS_LOOKUP, server, username, NULL);
}

/* Actions ---------------------------------------------------------------------- */

static void
logged_out_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  CdApplication *self = user_data;
  g_autoptr(GError) error = NULL;

  if (!cd_sync_client_logout_finish (CD_SYNC_CLIENT (source), result, &error))
    g_message ("The server could not be told of the sign-out: %s", error->message);
  app_release (self);
  g_object_unref (self);
}

static void
sign_out_action (GSimpleAction *action,
                 GVariant      *parameter,
                 gpointer       user_data)
{
  CdApplication *self = user_data;
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
      app_hold (self);
      cd_sync_client_logout_async (ending, logged_out_cb, g_object_ref (self));
    }

  /* After any store of this session still waiting: never overtaken. */
  credentials_queue (self, CREDENTIALS_FORGET, cd_sync_cache_get_server_url (cache),
                     cd_sync_cache_get_username (cache), NULL);

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
  CdApplication *self = user_data;
  GList *windows;

  /* g_application_quit() ends the application at once, whatever it holds.
   * While a kept session is still being saved or forgotten (a slow
   * Secret Service), or the server told of a sign-out, the windows close
   * now and the application ends when that is done. */
  if (self->n_held == 0)
    {
      g_application_quit (G_APPLICATION (self));
      return;
    }
  close_session (self);
  while ((windows = gtk_application_get_windows (GTK_APPLICATION (self))) != NULL)
    gtk_window_destroy (windows->data);
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
  g_queue_init (&self->credentials_jobs);
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
