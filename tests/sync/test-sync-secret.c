/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-sync-secret.c: session tokens kept with a real Secret Service.
 *
 * Run through with-secret-service.sh, which starts gnome-keyring-daemon
 * on a private session bus with a throwaway, unlocked "login" keyring,
 * and says so in CREWDESK_TEST_SECRET_BUS. Run any other way, every test
 * is skipped: nothing here ever touches the keyring of the user running
 * it, whose items it deletes.
 *
 * What the code stores is checked apart from the code: through a
 * SecretService of the test's own (secret_service_open_sync(), not the
 * one libsecret shares in the process), listing every item of the
 * keyring, whatever its schema. The tests at the end kill the daemon and
 * start another one (the bus has no service files: nothing else does). */
#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <libsecret/secret.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cd-sync-credentials.h"
#include "cd-sync-types.h"

#define SERVER_1 "https://crewdesk.heat.example.org"
#define SERVER_2 "http://127.0.0.1:8765"
#define TOKEN_A  "752f83bd00112233445566778899aabbccddeeff00112233445566778899a001"
#define TOKEN_B  "752f83bd00112233445566778899aabbccddeeff00112233445566778899b002"
#define TOKEN_C  "752f83bd00112233445566778899aabbccddeeff00112233445566778899c003"
#define TOKEN_D  "752f83bd00112233445566778899aabbccddeeff00112233445566778899d004"
#define TOKEN_E  "752f83bd00112233445566778899aabbccddeeff00112233445566778899e005"

/* Set by with-secret-service.sh. */
#define BUS_ENV      "CREWDESK_TEST_SECRET_BUS"
#define DAEMON_ENV   "CREWDESK_TEST_KEYRING_DAEMON"
#define PASSWORD_ENV "CREWDESK_TEST_KEYRING_PASSWORD"

#define SECRETS_NAME     "org.freedesktop.secrets"
#define SECRETS_PATH     "/org/freedesktop/secrets"
#define LOGIN_PATH       SECRETS_PATH "/collection/login"
#define SCHEMA_NAME      APP_ID ".SessionToken"
/* Long enough for a daemon to start on a busy machine; a call to the
 * Secret Service that blocks is over in much less. */
#define SERVICE_WAIT_S   20
#define QUICK_S          5

static char *config_home;
/* The daemon this program started in place of the wrapper's, or 0. */
static GPid own_daemon;

/* The schema of cd-sync-credentials.c, written out again: where tokens
 * are kept is part of what is tested. */
static const SecretSchema *
token_schema (void)
{
  static const SecretSchema schema = {
    SCHEMA_NAME, SECRET_SCHEMA_NONE,
    {
      { "server", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { "username", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { NULL, 0 },
    },
    0, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  };

  return &schema;
}

/* The bus and the daemon ------------------------------------------------ */

/* The session bus: the wrapper's, which libsecret uses too. */
static GDBusConnection *
bus (void)
{
  static GDBusConnection *connection;

  if (connection == NULL)
    {
      g_autoptr(GError) error = NULL;

      connection = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, &error);
      g_assert_no_error (error);
    }
  return connection;
}

static GVariant *
call (const char         *name,
      const char         *path,
      const char         *interface,
      const char         *method,
      GVariant           *parameters,
      const GVariantType *reply_type,
      GError            **error)
{
  return g_dbus_connection_call_sync (bus (), name, path, interface, method, parameters, reply_type,
                                      G_DBUS_CALL_FLAGS_NO_AUTO_START, 5000, NULL, error);
}

/* The process that owns the Secret Service's name, or 0. */
static guint32
service_pid (void)
{
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;
  guint32 pid = 0;

  reply = call ("org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                "GetConnectionUnixProcessID", g_variant_new ("(s)", SECRETS_NAME), G_VARIANT_TYPE ("(u)"),
                &error);
  if (reply == NULL)
    {
      g_assert_true (g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_NAME_HAS_NO_OWNER));
      return 0;
    }
  g_variant_get (reply, "(u)", &pid);
  return pid;
}

static void
wait_for_service (gboolean up)
{
  gint64 deadline = g_get_monotonic_time () + SERVICE_WAIT_S * G_TIME_SPAN_SECOND;

  while ((service_pid () != 0) != up)
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("The Secret Service is still %s after %d s", up ? "away" : "there", SERVICE_WAIT_S);
      g_usleep (20 * 1000);
    }
}

/* Whether the default collection is "login", unlocked: where items go
 * without a prompt. */
static gboolean
login_unlocked (void)
{
  g_autoptr(GVariant) alias = NULL;
  g_autoptr(GVariant) locked = NULL;
  g_autoptr(GVariant) value = NULL;
  g_autoptr(GError) error = NULL;
  const char *path = NULL;

  alias = call (SECRETS_NAME, SECRETS_PATH, "org.freedesktop.Secret.Service", "ReadAlias",
                g_variant_new ("(s)", "default"), G_VARIANT_TYPE ("(o)"), &error);
  g_assert_no_error (error);
  g_variant_get (alias, "(&o)", &path);
  g_assert_cmpstr (path, ==, LOGIN_PATH);
  locked = call (SECRETS_NAME, LOGIN_PATH, "org.freedesktop.DBus.Properties", "Get",
                 g_variant_new ("(ss)", "org.freedesktop.Secret.Collection", "Locked"),
                 G_VARIANT_TYPE ("(v)"), &error);
  g_assert_no_error (error);
  g_variant_get (locked, "(v)", &value);
  return !g_variant_get_boolean (value);
}

static void
lock_login (void)
{
  static const char *paths[] = { LOGIN_PATH, NULL };
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;

  reply = call (SECRETS_NAME, SECRETS_PATH, "org.freedesktop.Secret.Service", "Lock",
                g_variant_new ("(^ao)", paths), G_VARIANT_TYPE ("(aoo)"), &error);
  g_assert_no_error (error);
  g_assert_false (login_unlocked ());
}

/* Kills the Secret Service (whoever started it), and waits for its name
 * to leave the bus. */
static void
kill_service (void)
{
  guint32 pid = service_pid ();

  g_assert_cmpuint (pid, >, 0);
  g_assert_cmpuint (pid, !=, getpid ());
  g_assert_cmpint (kill ((pid_t) pid, SIGKILL), ==, 0);
  if (own_daemon != 0 && (pid_t) pid == own_daemon)
    {
      g_assert_cmpint (waitpid (own_daemon, NULL, 0), ==, own_daemon);
      g_spawn_close_pid (own_daemon);
      own_daemon = 0;
    }
  wait_for_service (FALSE);
}

/* Starts a daemon like the wrapper's, on the same keyrings, which it
 * unlocks with the same password. */
static void
start_service (void)
{
  g_autoptr(GError) error = NULL;
  const char *argv[] = {
    g_getenv (DAEMON_ENV), "--foreground", "--unlock", "--components=secrets", NULL,
  };
  const char *password = g_getenv (PASSWORD_ENV);
  int in = -1;

  g_assert_nonnull (argv[0]);
  g_assert_nonnull (password);
  g_assert_cmpint (own_daemon, ==, 0);
  g_assert_cmpuint (service_pid (), ==, 0);
  /* Its standard output is not this program's: that is TAP. */
  g_spawn_async_with_pipes (NULL, (char **) argv, NULL,
                            G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL,
                            &own_daemon, &in, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (write (in, password, strlen (password)), ==, (gssize) strlen (password));
  g_assert_cmpint (close (in), ==, 0);
  wait_for_service (TRUE);
  g_assert_cmpuint (service_pid (), ==, (guint32) own_daemon);
  g_assert_true (login_unlocked ());
}

/* The keyring, seen apart from the code ------------------------------ */

/* A SecretService of its own, opened anew: not libsecret's shared one,
 * which the code uses, so that what the code did to that one (or failed
 * to do after a restart) does not change what is seen here. */
static SecretService *
open_service (void)
{
  g_autoptr(GError) error = NULL;
  SecretService *service = secret_service_open_sync (SECRET_TYPE_SERVICE, NULL, SECRET_SERVICE_OPEN_SESSION,
                                                     NULL, &error);

  g_assert_no_error (error);
  return service;
}

/* Every item of the keyring, whatever its schema, with its secret when
 * it is unlocked. */
static GList *
all_items (SecretService *service)
{
  g_autoptr(GHashTable) none = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GError) error = NULL;
  GList *items = secret_service_search_sync (service, NULL, none,
                                             SECRET_SEARCH_ALL | SECRET_SEARCH_LOAD_SECRETS, NULL, &error);

  g_assert_no_error (error);
  return items;
}

static void
delete_all_items (void)
{
  g_autoptr(SecretService) service = open_service ();
  GList *items = all_items (service);

  for (GList *l = items; l != NULL; l = l->next)
    {
      g_autoptr(GError) error = NULL;

      g_assert_true (secret_item_delete_sync (l->data, NULL, &error));
      g_assert_no_error (error);
    }
  g_list_free_full (items, g_object_unref);
}

/* Checks that the keyring holds exactly one token for each pair in
 * @expected (server, user, token, …, NULL) and nothing else: each in the
 * login collection, under the code's schema with its two attributes, its
 * label naming the user and the server, never the token. */
static void
assert_keyring (const char *first,
                ...)
{
  g_autoptr(SecretService) service = open_service ();
  g_autoptr(GPtrArray) expected = g_ptr_array_new ();
  GList *items = all_items (service);
  va_list args;

  va_start (args, first);
  for (const char *s = first; s != NULL; s = va_arg (args, const char *))
    g_ptr_array_add (expected, (gpointer) s);
  va_end (args);
  g_assert_cmpuint (expected->len % 3, ==, 0);
  g_assert_cmpuint (g_list_length (items), ==, expected->len / 3);

  for (GList *l = items; l != NULL; l = l->next)
    {
      SecretItem *item = l->data;
      g_autoptr(GHashTable) attributes = secret_item_get_attributes (item);
      g_autoptr(SecretValue) value = secret_item_get_secret (item);
      g_autofree char *label = secret_item_get_label (item);
      const char *server = g_hash_table_lookup (attributes, "server");
      const char *user = g_hash_table_lookup (attributes, "username");
      gboolean found = FALSE;

      g_assert_true (g_str_has_prefix (g_dbus_proxy_get_object_path (G_DBUS_PROXY (item)), LOGIN_PATH "/"));
      g_assert_cmpstr (g_hash_table_lookup (attributes, "xdg:schema"), ==, SCHEMA_NAME);
      g_assert_cmpuint (g_hash_table_size (attributes), ==, 3);
      g_assert_nonnull (server);
      g_assert_nonnull (user);
      g_assert_nonnull (value);
      g_assert_nonnull (strstr (label, server));
      g_assert_nonnull (strstr (label, user));
      g_assert_null (strstr (label, secret_value_get_text (value)));

      for (guint i = 0; i < expected->len; i += 3)
        if (g_strcmp0 (expected->pdata[i], server) == 0 && g_strcmp0 (expected->pdata[i + 1], user) == 0)
          {
            g_assert_false (found);
            g_assert_cmpstr (secret_value_get_text (value), ==, expected->pdata[i + 2]);
            found = TRUE;
          }
      if (!found)
        g_error ("An item for %s on %s is in the keyring", user, server);
    }

  g_list_free_full (items, g_object_unref);
}

/* What libsecret's own lookup finds, with the code's schema. */
static char *
keyring_lookup (const char *server,
                const char *user)
{
  g_autoptr(GError) error = NULL;
  char *secret = secret_password_lookup_sync (token_schema (), NULL, &error,
                                              "server", server, "username", user, NULL);
  char *token = g_strdup (secret);

  g_assert_no_error (error);
  secret_password_free (secret);
  return token;
}

/* The file and the code -------------------------------------------------- */

static char *
file_path (void)
{
  return cd_sync_credentials_file_path ();
}

static char *
folder_path (void)
{
  g_autofree char *path = file_path ();

  return g_path_get_dirname (path);
}

/* No file was made, nor even the folder. */
static void
assert_no_folder (void)
{
  g_autofree char *dir = folder_path ();

  g_assert_true (g_str_has_prefix (dir, config_home));
  g_assert_false (g_file_test (dir, G_FILE_TEST_EXISTS));
}

/* The file is there, 0600, and holds @present and not @absent (either
 * may be %NULL). */
static void
assert_file (const char *present,
             const char *absent)
{
  g_autofree char *path = file_path ();
  g_autofree char *contents = NULL;
  GStatBuf st;

  g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmphex (st.st_mode & 07777, ==, 0600);
  if (present != NULL)
    g_assert_nonnull (strstr (contents, present));
  if (absent != NULL)
    g_assert_null (strstr (contents, absent));
}

static void
assert_no_file (void)
{
  g_autofree char *path = file_path ();

  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
}

static void
assert_lookup (const char *server,
               const char *user,
               const char *expected)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *token = cd_sync_credentials_lookup (server, user, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (token, ==, expected);
}

static void
store (const char *server,
       const char *user,
       const char *token)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (cd_sync_credentials_store (server, user, token, &error));
  g_assert_no_error (error);
}

static void
forget (const char *server,
        const char *user)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (cd_sync_credentials_forget (server, user, &error));
  g_assert_no_error (error);
}

static void
remove_folder (void)
{
  g_autofree char *path = file_path ();
  g_autofree char *dir = folder_path ();
  g_autofree char *lock = g_build_filename (dir, "credentials.lock", NULL);

  g_unlink (path);
  g_unlink (lock);
  g_rmdir (dir);
}

static void
set_up (char          *fixture,
        gconstpointer  data)
{
  g_unsetenv (CD_SYNC_CREDENTIALS_ENV);
  remove_folder ();
  /* A test before that stopped the service started another. */
  g_assert_cmpuint (service_pid (), >, 0);
  g_assert_true (login_unlocked ());
  delete_all_items ();
  assert_keyring (NULL);
}

static void
tear_down (char          *fixture,
           gconstpointer  data)
{
  g_unsetenv (CD_SYNC_CREDENTIALS_ENV);
  remove_folder ();
  if (service_pid () != 0 && login_unlocked ())
    delete_all_items ();
}

/* Tests ------------------------------------------------------------------ */

/* Saved, found, in the login keyring under the code's schema, and in no
 * file: the folder is not even made. */
static void
test_round_trip (char          *fixture,
                 gconstpointer  data)
{
  g_autofree char *direct = NULL;

  /* Nothing kept yet: NULL, and no error. */
  assert_lookup (SERVER_1, "dispatcher", NULL);

  store (SERVER_1, "dispatcher", TOKEN_A);
  assert_lookup (SERVER_1, "dispatcher", TOKEN_A);
  assert_keyring (SERVER_1, "dispatcher", TOKEN_A, NULL);
  direct = keyring_lookup (SERVER_1, "dispatcher");
  g_assert_cmpstr (direct, ==, TOKEN_A);
  assert_no_folder ();
}

/* A new token replaces the old one: one item, with the new token. */
static void
test_replace (char          *fixture,
              gconstpointer  data)
{
  store (SERVER_1, "dispatcher", TOKEN_A);
  store (SERVER_1, "dispatcher", TOKEN_B);
  assert_lookup (SERVER_1, "dispatcher", TOKEN_B);
  assert_keyring (SERVER_1, "dispatcher", TOKEN_B, NULL);
  assert_no_folder ();
}

/* Two users on two servers: four items, each found under its own pair;
 * forgetting one leaves the others. */
static void
test_two_users_two_servers (char          *fixture,
                            gconstpointer  data)
{
  store (SERVER_1, "dispatcher", TOKEN_A);
  store (SERVER_1, "supervisor", TOKEN_B);
  store (SERVER_2, "dispatcher", TOKEN_C);
  store (SERVER_2, "li.na [night]\n=x", TOKEN_D);

  assert_lookup (SERVER_1, "dispatcher", TOKEN_A);
  assert_lookup (SERVER_1, "supervisor", TOKEN_B);
  assert_lookup (SERVER_2, "dispatcher", TOKEN_C);
  assert_lookup (SERVER_2, "li.na [night]\n=x", TOKEN_D);
  assert_lookup (SERVER_2, "supervisor", NULL);
  assert_lookup (SERVER_1 "/", "dispatcher", NULL);
  assert_lookup (SERVER_1, "Dispatcher", NULL);
  assert_keyring (SERVER_1, "dispatcher", TOKEN_A, SERVER_1, "supervisor", TOKEN_B,
                  SERVER_2, "dispatcher", TOKEN_C, SERVER_2, "li.na [night]\n=x", TOKEN_D, NULL);

  forget (SERVER_1, "dispatcher");
  assert_lookup (SERVER_1, "dispatcher", NULL);
  assert_lookup (SERVER_1, "supervisor", TOKEN_B);
  assert_lookup (SERVER_2, "dispatcher", TOKEN_C);
  assert_lookup (SERVER_2, "li.na [night]\n=x", TOKEN_D);
  assert_keyring (SERVER_1, "supervisor", TOKEN_B, SERVER_2, "dispatcher", TOKEN_C,
                  SERVER_2, "li.na [night]\n=x", TOKEN_D, NULL);
  assert_no_folder ();
}

/* Forgotten: gone from the Secret Service, as libsecret itself sees it;
 * forgetting again, or what was never saved, is no error. */
static void
test_forget (char          *fixture,
             gconstpointer  data)
{
  g_autofree char *direct = NULL;

  store (SERVER_1, "dispatcher", TOKEN_A);
  store (SERVER_2, "dispatcher", TOKEN_C);
  forget (SERVER_1, "dispatcher");

  assert_lookup (SERVER_1, "dispatcher", NULL);
  direct = keyring_lookup (SERVER_1, "dispatcher");
  g_assert_null (direct);
  assert_keyring (SERVER_2, "dispatcher", TOKEN_C, NULL);

  forget (SERVER_1, "dispatcher");
  forget (SERVER_1, "never-signed-in");
  assert_keyring (SERVER_2, "dispatcher", TOKEN_C, NULL);
  forget (SERVER_2, "dispatcher");
  assert_keyring (NULL);
  assert_no_folder ();
}

/* Tokens in the file from a time without the Secret Service: still found
 * while the service has none; the next save of one moves it to the
 * service, out of the file, and leaves the other entries there; the last
 * one forgotten, the file goes. */
static void
test_file_copy_moved (char          *fixture,
                      gconstpointer  data)
{
  g_setenv (CD_SYNC_CREDENTIALS_ENV, "file", TRUE);
  store (SERVER_1, "dispatcher", TOKEN_A);
  store (SERVER_2, "supervisor", TOKEN_C);
  g_unsetenv (CD_SYNC_CREDENTIALS_ENV);
  assert_keyring (NULL);

  assert_lookup (SERVER_1, "dispatcher", TOKEN_A);
  assert_lookup (SERVER_2, "supervisor", TOKEN_C);

  store (SERVER_1, "dispatcher", TOKEN_B);
  assert_keyring (SERVER_1, "dispatcher", TOKEN_B, NULL);
  assert_file (TOKEN_C, TOKEN_A);
  assert_file (NULL, TOKEN_B);
  assert_lookup (SERVER_1, "dispatcher", TOKEN_B);
  assert_lookup (SERVER_2, "supervisor", TOKEN_C);

  /* Forgetting takes it from both. */
  forget (SERVER_2, "supervisor");
  assert_lookup (SERVER_2, "supervisor", NULL);
  assert_no_file ();
  assert_keyring (SERVER_1, "dispatcher", TOKEN_B, NULL);
}

/* CREWDESK_CREDENTIALS=file: the file only, though the Secret Service
 * answers. A token the service holds is neither read nor removed. */
static void
test_file_forced (char          *fixture,
                  gconstpointer  data)
{
  store (SERVER_2, "dispatcher", TOKEN_C);

  g_setenv (CD_SYNC_CREDENTIALS_ENV, "file", TRUE);
  assert_lookup (SERVER_2, "dispatcher", NULL);
  store (SERVER_1, "dispatcher", TOKEN_A);
  assert_file (TOKEN_A, NULL);
  assert_keyring (SERVER_2, "dispatcher", TOKEN_C, NULL);
  assert_lookup (SERVER_1, "dispatcher", TOKEN_A);

  store (SERVER_1, "dispatcher", TOKEN_B);
  assert_file (TOKEN_B, TOKEN_A);
  assert_lookup (SERVER_1, "dispatcher", TOKEN_B);

  forget (SERVER_1, "dispatcher");
  forget (SERVER_2, "dispatcher");
  assert_no_file ();
  assert_lookup (SERVER_1, "dispatcher", NULL);
  assert_keyring (SERVER_2, "dispatcher", TOKEN_C, NULL);

  g_unsetenv (CD_SYNC_CREDENTIALS_ENV);
  assert_lookup (SERVER_2, "dispatcher", TOKEN_C);
  assert_lookup (SERVER_1, "dispatcher", NULL);
}

/* A locked keyring, and no one to type its password (no prompter on this
 * bus: the daemon dismisses the prompt at once): saving goes to the file
 * without waiting, and the token is found there. The daemon is then
 * replaced by one that unlocks the keyring at start: the code, which had
 * a connection to the old one, finds the new one. */
static void
test_locked (char          *fixture,
             gconstpointer  data)
{
  gint64 start;

  lock_login ();

  start = g_get_monotonic_time ();
  store (SERVER_1, "dispatcher", TOKEN_A);
  assert_lookup (SERVER_1, "dispatcher", TOKEN_A);
  g_assert_cmpint (g_get_monotonic_time () - start, <, QUICK_S * G_TIME_SPAN_SECOND);
  assert_file (TOKEN_A, NULL);

  kill_service ();
  start_service ();
  assert_keyring (NULL);

  /* The first call after the restart already reaches the new daemon: the
   * save lands there and takes the copy out of the file. */
  store (SERVER_1, "dispatcher", TOKEN_B);
  assert_keyring (SERVER_1, "dispatcher", TOKEN_B, NULL);
  assert_no_file ();
  assert_lookup (SERVER_1, "dispatcher", TOKEN_B);
}

/* The Secret Service goes away while the program runs (the daemon is
 * killed): saving falls back to the file at once, without an error, and
 * the token is found there; forgetting takes it from the file. Once a
 * new daemon answers, a token saved meanwhile is still found, and the
 * next save goes to the Secret Service again, out of the file. */
static void
test_service_gone (char          *fixture,
                   gconstpointer  data)
{
  g_autofree char *direct = NULL;
  gint64 start;

  store (SERVER_1, "supervisor", TOKEN_A);
  assert_keyring (SERVER_1, "supervisor", TOKEN_A, NULL);

  kill_service ();

  start = g_get_monotonic_time ();
  store (SERVER_1, "dispatcher", TOKEN_B);
  g_assert_cmpint (g_get_monotonic_time () - start, <, QUICK_S * G_TIME_SPAN_SECOND);
  assert_file (TOKEN_B, NULL);
  assert_lookup (SERVER_1, "dispatcher", TOKEN_B);
  /* What only the Secret Service held cannot be found while it is away. */
  assert_lookup (SERVER_1, "supervisor", NULL);

  forget (SERVER_1, "dispatcher");
  assert_lookup (SERVER_1, "dispatcher", NULL);
  assert_no_file ();

  store (SERVER_2, "dispatcher", TOKEN_C);
  assert_file (TOKEN_C, NULL);

  /* A new sign-in of a user the service still holds an older token of. */
  store (SERVER_1, "supervisor", TOKEN_E);
  assert_lookup (SERVER_1, "supervisor", TOKEN_E);

  start_service ();
  /* Both: the one saved in the file while the service was away, and the
   * one the service kept across its restart. Where both have one, the
   * file's is the newer and wins. */
  assert_lookup (SERVER_2, "dispatcher", TOKEN_C);
  assert_lookup (SERVER_1, "supervisor", TOKEN_E);
  forget (SERVER_1, "supervisor");
  assert_lookup (SERVER_1, "supervisor", NULL);
  store (SERVER_1, "supervisor", TOKEN_A);

  store (SERVER_2, "dispatcher", TOKEN_D);
  assert_keyring (SERVER_1, "supervisor", TOKEN_A, SERVER_2, "dispatcher", TOKEN_D, NULL);
  assert_no_file ();
  assert_lookup (SERVER_2, "dispatcher", TOKEN_D);
  direct = keyring_lookup (SERVER_2, "dispatcher");
  g_assert_cmpstr (direct, ==, TOKEN_D);
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
  const char *private_bus = g_getenv (BUS_ENV);
  gboolean ours;
  int status;

  /* Only on the wrapper's bus: the tests delete every item they see. */
  ours = private_bus != NULL && *private_bus != '\0' &&
         g_strcmp0 (private_bus, g_getenv ("DBUS_SESSION_BUS_ADDRESS")) == 0;

  /* Before anything reads it: a config home of this run's own. */
  config_home = g_dir_make_tmp ("crewdesk-secret-config-XXXXXX", &error);
  g_assert_no_error (error);
  g_setenv ("XDG_CONFIG_HOME", config_home, TRUE);
  g_unsetenv ("DISPLAY");
  g_unsetenv ("WAYLAND_DISPLAY");
  g_test_init (&argc, &argv, NULL);

  if (!ours)
    {
      g_test_add_func ("/sync/secret/skipped", test_skipped);
      status = g_test_run ();
      g_rmdir (config_home);
      g_free (config_home);
      return status;
    }

  g_test_add ("/sync/secret/round-trip", char, NULL, set_up, test_round_trip, tear_down);
  g_test_add ("/sync/secret/replace", char, NULL, set_up, test_replace, tear_down);
  g_test_add ("/sync/secret/two-users-two-servers", char, NULL, set_up, test_two_users_two_servers,
              tear_down);
  g_test_add ("/sync/secret/forget", char, NULL, set_up, test_forget, tear_down);
  g_test_add ("/sync/secret/file-copy-moved", char, NULL, set_up, test_file_copy_moved, tear_down);
  g_test_add ("/sync/secret/file-forced", char, NULL, set_up, test_file_forced, tear_down);
  /* These two replace the daemon. */
  g_test_add ("/sync/secret/locked", char, NULL, set_up, test_locked, tear_down);
  g_test_add ("/sync/secret/service-gone", char, NULL, set_up, test_service_gone, tear_down);

  status = g_test_run ();

  if (own_daemon != 0)
    {
      kill (own_daemon, SIGTERM);
      waitpid (own_daemon, NULL, 0);
      g_spawn_close_pid (own_daemon);
    }
  remove_folder ();
  g_rmdir (config_home);
  g_free (config_home);
  return status;
}
