/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-keyring-hang.c: the app never waits for a Secret Service that does
 * not answer.
 *
 * Run through with-secret-service.sh (a real gnome-keyring-daemon on a
 * private session bus, with a throwaway keyring) and xvfb-run; run any
 * other way, it is skipped. The daemon is stopped with SIGSTOP: it keeps
 * its name on the bus, and every call to it waits for the D-Bus timeout
 * (25 s), as with a wedged keyring. CdApplication runs in this process,
 * over the real crewdesk-server with the demo city, through
 * g_application_run() with the app's own command line.
 *
 * Nothing here measures time. What the app did with the keyring is read
 * from what a finished call leaves behind, while the daemon is still
 * stopped: a lookup that gave up shows the sign-in dialog, a save that
 * gave up writes the credentials file. So "the window came while the call
 * was still waiting" is a fact the test sees, not a duration. */
#include "config.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>

#include "cd-application.h"
#include "cd-login-dialog.h"
#include "cd-model.h"
#include "cd-sync-credentials.h"
#include "cd-test-server.h"
#include "cd-test-ui.h"
#include "cd-window.h"

/* Set by with-secret-service.sh. */
#define BUS_ENV      "CREWDESK_TEST_SECRET_BUS"
#define SECRETS_NAME "org.freedesktop.secrets"
#define LOGIN_PATH   "/org/freedesktop/secrets/collection/login"
#define USERNAME     "dispatcher"
/* Generous: a slow machine, never a measure. */
#define WAIT_S       60

typedef struct {
  CdTestServer   *server;
  char           *server_url;  /* as the app writes it */
  CdApplication  *app;
  guint32         keyring_pid;
  gboolean        keyring_stopped;

  guint           ticks;
  guint           logins_shown;
  gboolean        signed_in;
  /* Timeouts that fired after the sign-in while the token was still being
   * saved (the daemon stopped, and no copy in the file). */
  guint           ticks_while_saving;
  /* The app ended only after the test let the daemon answer. */
  gboolean        resumed;
  /* "ItemCreated", "ItemDeleted" of the login collection, in order. */
  GPtrArray      *keyring_events;
  guint           keyring_events_id;
} Fixture;

#define CHECK(cond, ...) \
  G_STMT_START { \
    if (!(cond)) \
      { \
        g_test_fail_printf (__VA_ARGS__); \
        goto out; \
      } \
  } G_STMT_END

/* The keyring daemon ------------------------------------------------------------ */

static guint32
keyring_pid (void)
{
  g_autoptr(GDBusConnection) bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, NULL);
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;
  guint32 pid = 0;

  g_assert_nonnull (bus);
  reply = g_dbus_connection_call_sync (bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus", "GetConnectionUnixProcessID",
                                       g_variant_new ("(s)", SECRETS_NAME), G_VARIANT_TYPE ("(u)"),
                                       G_DBUS_CALL_FLAGS_NO_AUTO_START, 5000, NULL, &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(u)", &pid);
  g_assert_cmpuint (pid, >, 0);
  return pid;
}

/* The state letter of /proc/PID/stat: 'T' when stopped. */
static char
process_state (guint32 pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%u/stat", pid);
  g_autofree char *text = NULL;
  const char *end;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return '?';
  end = strrchr (text, ')');
  return end != NULL && end[1] == ' ' ? end[2] : '?';
}

static gboolean
keyring_is_stopped (gpointer data)
{
  Fixture *f = data;

  return process_state (f->keyring_pid) == 'T';
}

static gboolean
keyring_is_running (gpointer data)
{
  return !keyring_is_stopped (data);
}

static void
stop_keyring (Fixture *f)
{
  g_assert_cmpint (kill ((pid_t) f->keyring_pid, SIGSTOP), ==, 0);
  g_assert_true (cd_test_ui_wait_until (keyring_is_stopped, f, WAIT_S));
  f->keyring_stopped = TRUE;
}

static void
resume_keyring (Fixture *f)
{
  if (!f->keyring_stopped)
    return;
  g_assert_cmpint (kill ((pid_t) f->keyring_pid, SIGCONT), ==, 0);
  f->keyring_stopped = FALSE;
  g_assert_true (cd_test_ui_wait_until (keyring_is_running, f, WAIT_S));
}

static void
keyring_event_cb (GDBusConnection *connection,
                  const char      *sender,
                  const char      *path,
                  const char      *interface,
                  const char      *signal,
                  GVariant        *parameters,
                  gpointer         user_data)
{
  Fixture *f = user_data;

  if (g_str_equal (signal, "ItemCreated") || g_str_equal (signal, "ItemDeleted"))
    g_ptr_array_add (f->keyring_events, g_strdup (signal));
}

static gboolean
credentials_file_exists (void)
{
  g_autofree char *path = cd_sync_credentials_file_path ();

  return g_file_test (path, G_FILE_TEST_EXISTS);
}

/* What cd-sync-credentials finds now (the daemon answering). */
static char *
kept_token (Fixture *f)
{
  g_autoptr(GError) error = NULL;
  char *token = cd_sync_credentials_lookup (f->server_url, USERNAME, &error);

  g_assert_no_error (error);
  return token;
}

/* The app ---------------------------------------------------------------------- */

static CdWindow *
app_window (Fixture *f)
{
  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (f->app)); l != NULL; l = l->next)
    if (CD_IS_WINDOW (l->data))
      return l->data;
  return NULL;
}

static GtkWindow *
app_login_dialog (Fixture *f)
{
  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (f->app)); l != NULL; l = l->next)
    if (CD_IS_LOGIN_DIALOG (l->data))
      return l->data;
  return NULL;
}

static gboolean
has_window (gpointer data)
{
  return app_window (data) != NULL;
}

static gboolean
has_login_dialog (gpointer data)
{
  return app_login_dialog (data) != NULL;
}

static CdSyncEngine *
app_engine (Fixture *f)
{
  CdContext *context = cd_application_get_context (f->app);

  return context != NULL ? cd_context_get_engine (context) : NULL;
}

static const char *
app_token (Fixture *f)
{
  CdSyncEngine *engine = app_engine (f);

  return engine != NULL ? cd_sync_client_get_token (cd_sync_engine_get_client (engine)) : NULL;
}

static void
signed_in_cb (CdLoginDialog *dialog,
              const char    *server_url,
              const char    *username,
              const char    *token,
              CdUser        *user,
              Fixture       *f)
{
  f->signed_in = TRUE;
}

static void
window_added_cb (GtkApplication *app,
                 GtkWindow      *window,
                 Fixture        *f)
{
  if (!CD_IS_LOGIN_DIALOG (window))
    return;
  f->logins_shown++;
  g_signal_connect (window, "signed-in", G_CALLBACK (signed_in_cb), f);
}

/* Fires every 10 ms while the main loop runs. */
static gboolean
tick_cb (gpointer data)
{
  Fixture *f = data;

  f->ticks++;
  if (f->signed_in && f->keyring_stopped && !credentials_file_exists ())
    f->ticks_while_saving++;
  return G_SOURCE_CONTINUE;
}

/* Runs the app with ARGV (NULL-terminated, after the program name), with
 * @body called from its main loop once it runs. Returns its exit status. */
static int
run_app (Fixture     *f,
         GSourceFunc  body,
         const char  *first_arg,
         ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  va_list args;
  guint ticker;
  int status;

  g_ptr_array_add (argv, (gpointer) "crewdesk");
  va_start (args, first_arg);
  for (const char *arg = first_arg; arg != NULL; arg = va_arg (args, const char *))
    g_ptr_array_add (argv, (gpointer) arg);
  va_end (args);
  g_ptr_array_add (argv, NULL);

  f->app = cd_application_new ();
  /* Two tests, two instances in one process: no single-instance dance. */
  g_application_set_flags (G_APPLICATION (f->app), G_APPLICATION_NON_UNIQUE);
  g_signal_connect (f->app, "window-added", G_CALLBACK (window_added_cb), f);
  ticker = g_timeout_add (10, tick_cb, f);
  g_idle_add (body, f);
  status = g_application_run (G_APPLICATION (f->app), (int) argv->len - 1, (char **) argv->pdata);
  g_source_remove (ticker);
  return status;
}

/* Fixture ---------------------------------------------------------------------- */

static void
fixture_set_up (Fixture       *f,
                gconstpointer  user_data)
{
  g_autoptr(GDBusConnection) bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, NULL);
  g_autoptr(GError) error = NULL;

  f->server = cd_test_server_start (NULL, TRUE);
  f->server_url = cd_login_normalize_server_url (f->server->base_url, &error);
  g_assert_no_error (error);
  f->keyring_pid = keyring_pid ();
  g_assert_false (keyring_is_stopped (f));
  g_assert_false (credentials_file_exists ());
  f->keyring_events = g_ptr_array_new_with_free_func (g_free);
  f->keyring_events_id = g_dbus_connection_signal_subscribe (bus, NULL, "org.freedesktop.Secret.Collection",
                                                             NULL, LOGIN_PATH, NULL,
                                                             G_DBUS_SIGNAL_FLAGS_NONE,
                                                             keyring_event_cb, f, NULL);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  user_data)
{
  g_autoptr(GDBusConnection) bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *path = cd_sync_credentials_file_path ();

  resume_keyring (f);
  if (f->app != NULL)
    {
      GList *windows;

      while ((windows = gtk_application_get_windows (GTK_APPLICATION (f->app))) != NULL)
        gtk_window_destroy (windows->data);
      cd_test_ui_drain ();
      g_clear_object (&f->app);
    }
  g_dbus_connection_signal_unsubscribe (bus, f->keyring_events_id);
  g_ptr_array_unref (f->keyring_events);
  /* Nothing kept for the next test. */
  g_assert_true (cd_sync_credentials_forget (f->server_url, USERNAME, &error));
  g_assert_no_error (error);
  g_unlink (path);
  g_clear_pointer (&f->server, cd_test_server_free);
  g_free (f->server_url);
}

static void
store_result_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static gboolean
has_result (gpointer data)
{
  return *(GAsyncResult **) data != NULL;
}

/* Start-up ---------------------------------------------------------------------- */

static char *kept;

static gboolean
token_applied (gpointer data)
{
  return g_strcmp0 (app_token (data), kept) == 0;
}

static gboolean
engine_online (gpointer data)
{
  CdSyncEngine *engine = app_engine (data);

  return engine != NULL && cd_sync_engine_get_status (engine) == CD_SYNC_STATUS_ONLINE;
}

static gboolean
start_up_body (gpointer data)
{
  Fixture *f = data;
  CdWindow *window;

  g_assert_true (cd_test_ui_wait_until (has_window, f, WAIT_S));
  window = app_window (f);
  cd_test_ui_wait_for_frame (GTK_WIDGET (window));

  /* The window is on screen over the cache, the keyring still stopped,
   * and the lookup still waiting: had it ended (given up, after the
   * D-Bus timeout), the token would be applied or the sign-in dialog
   * would be on top. */
  CHECK (keyring_is_stopped (f), "the keyring answered during the check");
  CHECK (f->logins_shown == 0,
         "the sign-in dialog came with the window: the lookup of the kept session had already "
         "ended (given up on the stopped keyring), so the window waited for it");
  CHECK (app_token (f) == NULL, "a token was applied while the keyring was stopped");

  /* The keyring answers: its token is applied, the session goes online,
   * and nobody is asked to sign in. */
  resume_keyring (f);
  CHECK (cd_test_ui_wait_until (token_applied, f, WAIT_S),
         "the kept token was not applied once the keyring answered");
  CHECK (cd_test_ui_wait_until (engine_online, f, WAIT_S), "the session did not go online");
  CHECK (f->logins_shown == 0, "the sign-in dialog was shown though a token was kept");

out:
  resume_keyring (f);
  g_application_quit (G_APPLICATION (f->app));
  return G_SOURCE_REMOVE;
}

/* A token kept in the keyring, a cache that knows its user; the keyring
 * stopped, the app started on them: the window comes, and the token is
 * applied when the keyring answers. */
static void
test_start_up (Fixture       *f,
               gconstpointer  user_data)
{
  g_autoptr(CdSyncClient) client = cd_sync_client_new (f->server_url);
  g_autoptr(CdSyncCache) cache = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(CdUser) user = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *found = NULL;

  cd_sync_client_login_async (client, USERNAME, "demo", store_result_cb, &result);
  g_assert_true (cd_test_ui_wait_until (has_result, &result, WAIT_S));
  user = cd_sync_client_login_finish (client, result, &error);
  g_assert_no_error (error);
  cache = cd_sync_cache_open (f->server_url, USERNAME, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (cd_sync_cache_set_user (cache, user, &error));
  g_assert_no_error (error);
  g_clear_object (&cache);

  /* In the keyring, and only there. */
  kept = g_strdup (cd_sync_client_get_token (client));
  g_assert_true (cd_sync_credentials_store (f->server_url, USERNAME, kept, &error));
  g_assert_no_error (error);
  g_assert_false (credentials_file_exists ());
  found = kept_token (f);
  g_assert_cmpstr (found, ==, kept);

  stop_keyring (f);
  g_assert_cmpint (run_app (f, start_up_body, "--server", f->server_url, "--user", USERNAME, NULL), ==, 0);
  g_clear_pointer (&kept, g_free);
}

/* Sign-in, sign-out, quit --------------------------------------------------------- */

static gboolean
saving_while_looping (gpointer data)
{
  return ((Fixture *) data)->ticks_while_saving >= 3;
}

static gboolean
resume_cb (gpointer data)
{
  Fixture *f = data;

  f->resumed = TRUE;
  resume_keyring (f);
  return G_SOURCE_REMOVE;
}

static gboolean
sign_in_body (gpointer data)
{
  Fixture *f = data;
  GtkWindow *dialog;
  guint ticks;

  g_assert_true (cd_test_ui_wait_until (has_window, f, WAIT_S));
  cd_test_ui_wait_for_frame (GTK_WIDGET (app_window (f)));

  /* Signed in, the window on screen, the token still being saved (the
   * keyring stopped, no copy in the file: a save that gave up writes it
   * there), and the main loop runs meanwhile. */
  CHECK (f->signed_in, "the window came without a sign-in");
  CHECK (keyring_is_stopped (f), "the keyring answered during the check");
  CHECK (!credentials_file_exists (),
         "the token is already in the file: saving it gave up on the stopped keyring before "
         "the window came, so the window waited for it");
  CHECK (cd_test_ui_wait_until (saving_while_looping, f, 30),
         "the main loop did not run while the token was being saved (timeouts fired %u times "
         "after the sign-in with the keyring stopped and the token not saved)",
         f->ticks_while_saving);
  CHECK (!credentials_file_exists (), "the save gave up while the main loop was watched");
  CHECK (app_token (f) != NULL, "the session has no token");

  /* Signing out with the save still waiting: the forget queues behind it,
   * the sign-in dialog comes at once. */
  g_action_group_activate_action (G_ACTION_GROUP (f->app), "sign-out", NULL);
  CHECK (cd_application_get_context (f->app) == NULL, "the session is still open after signing out");
  CHECK (cd_test_ui_wait_until (has_login_dialog, f, WAIT_S), "no sign-in dialog after signing out");
  dialog = app_login_dialog (f);
  cd_test_ui_wait_for_frame (GTK_WIDGET (dialog));
  ticks = f->ticks;
  cd_test_ui_wait_for_frame (GTK_WIDGET (dialog));
  CHECK (f->ticks > ticks, "the main loop does not run after signing out");
  CHECK (keyring_is_stopped (f), "the keyring answered during the check");

  /* Quit while both wait: the windows close, and the app stays until the
   * keyring has answered them (resumed from a timeout of the app's own
   * main loop, which g_application_run() would leave at once otherwise). */
  g_action_group_activate_action (G_ACTION_GROUP (f->app), "quit", NULL);
  CHECK (gtk_application_get_windows (GTK_APPLICATION (f->app)) == NULL, "windows left after Quit");
  g_timeout_add (300, resume_cb, f);
  return G_SOURCE_REMOVE;

out:
  resume_keyring (f);
  g_application_quit (G_APPLICATION (f->app));
  return G_SOURCE_REMOVE;
}

static gboolean
two_keyring_events (gpointer data)
{
  return ((Fixture *) data)->keyring_events->len >= 2;
}

/* With the keyring stopped: --demo-login signs in (the token is saved in
 * the background), the window comes and the main loop runs; signing out
 * queues the forget behind that save; Quit waits for both. Once the
 * keyring answers, the token was saved and then forgotten, in that order,
 * and nothing is kept. */
static void
test_sign_in_sign_out_quit (Fixture       *f,
                            gconstpointer  user_data)
{
  g_autofree char *found = NULL;
  int status;

  stop_keyring (f);
  status = run_app (f, sign_in_body, "--server", f->server_url, "--demo-login", USERNAME, NULL);
  g_assert_cmpint (status, ==, 0);
  if (g_test_failed ())
    return;

  g_assert_true (f->resumed);
  g_assert_false (f->keyring_stopped);
  g_assert_true (cd_test_ui_wait_until (two_keyring_events, f, WAIT_S));
  g_assert_cmpuint (f->keyring_events->len, ==, 2);
  g_assert_cmpstr (f->keyring_events->pdata[0], ==, "ItemCreated");
  g_assert_cmpstr (f->keyring_events->pdata[1], ==, "ItemDeleted");
  found = kept_token (f);
  g_assert_null (found);
  g_assert_false (credentials_file_exists ());
}

static void
test_skipped (void)
{
  g_test_skip ("Not run through with-secret-service.sh: no private Secret Service to test with");
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  g_autofree char *home = NULL;
  g_autofree char *config = NULL;
  g_autofree char *data = NULL;
  g_autofree char *cache = NULL;
  const char *private_bus = g_getenv (BUS_ENV);
  gboolean ours;
  int status;

  /* Only on the wrapper's bus: the tests stop the keyring daemon. */
  ours = private_bus != NULL && *private_bus != '\0' &&
         g_strcmp0 (private_bus, g_getenv ("DBUS_SESSION_BUS_ADDRESS")) == 0;

  /* Before anything reads them: folders of this run's own, and the
   * Secret Service (the suite's environment forces the file). */
  home = g_dir_make_tmp ("crewdesk-keyring-hang-XXXXXX", &error);
  g_assert_no_error (error);
  config = g_build_filename (home, "config", NULL);
  data = g_build_filename (home, "data", NULL);
  cache = g_build_filename (home, "cache", NULL);
  g_setenv ("XDG_CONFIG_HOME", config, TRUE);
  g_setenv ("XDG_DATA_HOME", data, TRUE);
  g_setenv ("XDG_CACHE_HOME", cache, TRUE);
  g_unsetenv (CD_SYNC_CREDENTIALS_ENV);

  cd_test_init (&argc, &argv);
  if (!ours)
    {
      g_test_add_func ("/ui/keyring-hang/skipped", test_skipped);
      status = g_test_run ();
      g_rmdir (home);
      return status;
    }

  gtk_init ();
  adw_init ();
  cd_model_init ();

  g_test_add ("/ui/keyring-hang/start-up", Fixture, NULL, fixture_set_up, test_start_up,
              fixture_tear_down);
  g_test_add ("/ui/keyring-hang/sign-in-sign-out-quit", Fixture, NULL, fixture_set_up,
              test_sign_in_sign_out_quit, fixture_tear_down);

  status = g_test_run ();
  /* The folder is under the wrapper's, which goes at the end. */
  return status;
}
