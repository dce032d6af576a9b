/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-sync-credentials.c: session tokens kept between starts, in the
 * 0600 file (forced, and as the fallback when no Secret Service answers).
 * No test here ever talks to a real keyring: the session bus is pointed
 * at nothing before anything runs. */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cd-sync-credentials.h"
#include "cd-sync-types.h"

#define SERVER_1 "https://crewdesk.heat.example.org"
#define SERVER_2 "http://127.0.0.1:8765"
#define TOKEN_A  "752f83bd00112233445566778899aabbccddeeff00112233445566778899a001"
#define TOKEN_B  "752f83bd00112233445566778899aabbccddeeff00112233445566778899b002"
#define TOKEN_C  "752f83bd00112233445566778899aabbccddeeff00112233445566778899c003"
#define TOKEN_D  "752f83bd00112233445566778899aabbccddeeff00112233445566778899d004"

static char *config_home;

static void
set_up (char          *fixture,
        gconstpointer  data)
{
  g_autofree char *path = cd_sync_credentials_file_path ();

  g_setenv (CD_SYNC_CREDENTIALS_ENV, data != NULL ? data : "file", TRUE);
  g_unlink (path);
}

static void
tear_down (char          *fixture,
           gconstpointer  data)
{
  g_autofree char *path = cd_sync_credentials_file_path ();
  g_autofree char *dir = g_path_get_dirname (path);

  g_unlink (path);
  g_rmdir (dir);
}

static guint
mode_of (const char *path)
{
  GStatBuf st;

  g_assert_cmpint (g_stat (path, &st), ==, 0);
  return st.st_mode & 07777;
}

/* Only the file is in the folder: no temporary file left behind. */
static void
assert_alone (const char *path)
{
  g_autofree char *dir = g_path_get_dirname (path);
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;
  guint n = 0;

  g_assert_nonnull (d);
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_assert_cmpstr (name, ==, "credentials");
      n++;
    }
  g_assert_cmpuint (n, ==, 1);
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
test_round_trip (char          *fixture,
                 gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = cd_sync_credentials_file_path ();
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *contents = NULL;

  g_assert_true (g_str_has_prefix (path, config_home));
  /* Nothing kept yet: NULL, and no error. */
  assert_lookup (SERVER_1, "dispatcher", NULL);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));

  g_assert_true (cd_sync_credentials_store (SERVER_1, "dispatcher", TOKEN_A, &error));
  g_assert_no_error (error);
  assert_lookup (SERVER_1, "dispatcher", TOKEN_A);
  g_assert_cmphex (mode_of (path), ==, 0600);
  g_assert_cmphex (mode_of (dir), ==, 0700);
  assert_alone (path);

  /* A new token replaces the old one, atomically, still 0600. */
  g_assert_true (cd_sync_credentials_store (SERVER_1, "dispatcher", TOKEN_B, &error));
  assert_lookup (SERVER_1, "dispatcher", TOKEN_B);
  g_assert_cmphex (mode_of (path), ==, 0600);
  assert_alone (path);
  g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
  g_assert_null (strstr (contents, TOKEN_A));

  /* Forgotten: gone, and the file with it. */
  g_assert_true (cd_sync_credentials_forget (SERVER_1, "dispatcher", &error));
  g_assert_no_error (error);
  assert_lookup (SERVER_1, "dispatcher", NULL);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  /* Forgetting again is not an error. */
  g_assert_true (cd_sync_credentials_forget (SERVER_1, "dispatcher", &error));
  g_assert_no_error (error);
}

/* A folder that was left readable by others is made private again. */
static void
test_private_folder (char          *fixture,
                     gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = cd_sync_credentials_file_path ();
  g_autofree char *dir = g_path_get_dirname (path);

  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  g_assert_cmpint (g_chmod (dir, 0755), ==, 0);
  g_assert_true (cd_sync_credentials_store (SERVER_1, "dispatcher", TOKEN_A, &error));
  g_assert_no_error (error);
  g_assert_cmphex (mode_of (dir), ==, 0700);
  g_assert_cmphex (mode_of (path), ==, 0600);
}

/* Two users on two servers: four tokens, each found under its own pair;
 * forgetting one leaves the others. */
static void
test_two_users_two_servers (char          *fixture,
                            gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = cd_sync_credentials_file_path ();

  g_assert_true (cd_sync_credentials_store (SERVER_1, "dispatcher", TOKEN_A, &error));
  g_assert_true (cd_sync_credentials_store (SERVER_1, "supervisor", TOKEN_B, &error));
  g_assert_true (cd_sync_credentials_store (SERVER_2, "dispatcher", TOKEN_C, &error));
  /* A user name with characters a key file would choke on. */
  g_assert_true (cd_sync_credentials_store (SERVER_2, "li.na [night]\n=x", TOKEN_D, &error));
  g_assert_no_error (error);

  assert_lookup (SERVER_1, "dispatcher", TOKEN_A);
  assert_lookup (SERVER_1, "supervisor", TOKEN_B);
  assert_lookup (SERVER_2, "dispatcher", TOKEN_C);
  assert_lookup (SERVER_2, "li.na [night]\n=x", TOKEN_D);
  assert_lookup (SERVER_2, "supervisor", NULL);
  assert_lookup (SERVER_1 "/", "dispatcher", NULL);

  g_assert_true (cd_sync_credentials_forget (SERVER_1, "dispatcher", &error));
  g_assert_no_error (error);
  assert_lookup (SERVER_1, "dispatcher", NULL);
  assert_lookup (SERVER_1, "supervisor", TOKEN_B);
  assert_lookup (SERVER_2, "dispatcher", TOKEN_C);
  assert_lookup (SERVER_2, "li.na [night]\n=x", TOKEN_D);
  g_assert_cmphex (mode_of (path), ==, 0600);
  assert_alone (path);
}

/* Damaged files give an error with a sentence, never a crash nor a wrong
 * token; signing in again replaces the file; forgetting removes it. */
static void
test_corrupt (char          *fixture,
              gconstpointer  data)
{
  static const struct { const char *text; gssize length; } damaged[] = {
    { "\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16 },                 /* binary, with NULs */
    { "[token 12", -1 },                                       /* cut short */
    { "token=abc\n", -1 },                                     /* no group */
    { "\xff\xfe[x]\nserver=\xc3\n", -1 },                      /* not UTF-8 */
    { NULL, 0 },                                               /* an entry without its token */
  };
  g_autofree char *path = cd_sync_credentials_file_path ();
  g_autofree char *dir = g_path_get_dirname (path);

  for (guint i = 0; i < G_N_ELEMENTS (damaged); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *token = NULL;

      g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
      if (damaged[i].text != NULL)
        g_assert_true (g_file_set_contents_full (path, damaged[i].text, damaged[i].length,
                                                 G_FILE_SET_CONTENTS_CONSISTENT, 0600, NULL));
      else
        {
          g_autoptr(GKeyFile) kf = g_key_file_new ();
          g_autofree char *text = NULL;

          /* A valid key file whose entry for this server and user lacks its
           * token: found by storing one, then taking the token out. */
          g_assert_true (cd_sync_credentials_store (SERVER_1, "dispatcher", TOKEN_A, &error));
          g_assert_true (g_key_file_load_from_file (kf, path, G_KEY_FILE_NONE, &error));
          g_assert_no_error (error);
          {
            g_auto(GStrv) groups = g_key_file_get_groups (kf, NULL);

            g_assert_true (g_key_file_remove_key (kf, groups[0], "token", &error));
          }
          text = g_key_file_to_data (kf, NULL, NULL);
          g_assert_true (g_file_set_contents_full (path, text, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600, NULL));
        }

      token = cd_sync_credentials_lookup (SERVER_1, "dispatcher", &error);
      g_assert_null (token);
      g_assert_error (error, CD_SYNC_ERROR, CD_SYNC_ERROR_FAILED);
      g_assert_nonnull (strstr (error->message, "is damaged"));
      g_assert_nonnull (strstr (error->message, "Sign in again"));
      g_clear_error (&error);

      /* Signing in again replaces the damaged file. */
      g_assert_true (cd_sync_credentials_store (SERVER_1, "dispatcher", TOKEN_B, &error));
      g_assert_no_error (error);
      assert_lookup (SERVER_1, "dispatcher", TOKEN_B);
      g_assert_cmphex (mode_of (path), ==, 0600);

      /* Damaged again, then forgotten: no file, no token. */
      g_assert_true (g_file_set_contents_full (path, "[token 12", -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600, NULL));
      g_assert_true (cd_sync_credentials_forget (SERVER_1, "dispatcher", &error));
      g_assert_no_error (error);
      g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
      assert_lookup (SERVER_1, "dispatcher", NULL);
    }
}

/* Without CREWDESK_CREDENTIALS=file and with no Secret Service to answer
 * (no session bus here), tokens still round-trip, through the file. */
static void
test_no_secret_service (char          *fixture,
                        gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = cd_sync_credentials_file_path ();

  g_assert_null (g_getenv (CD_SYNC_CREDENTIALS_ENV));
  g_assert_true (cd_sync_credentials_store (SERVER_2, "dispatcher", TOKEN_C, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_test (path, G_FILE_TEST_EXISTS));
  g_assert_cmphex (mode_of (path), ==, 0600);
  assert_lookup (SERVER_2, "dispatcher", TOKEN_C);
  g_assert_true (cd_sync_credentials_forget (SERVER_2, "dispatcher", &error));
  g_assert_no_error (error);
  assert_lookup (SERVER_2, "dispatcher", NULL);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
}

static void
set_up_auto (char          *fixture,
             gconstpointer  data)
{
  g_autofree char *path = cd_sync_credentials_file_path ();

  g_unsetenv (CD_SYNC_CREDENTIALS_ENV);
  g_unlink (path);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  int status;

  /* Before anything reads them: a private config home, and no keyring. */
  config_home = g_dir_make_tmp ("crewdesk-credentials-XXXXXX", &error);
  g_assert_no_error (error);
  g_setenv ("XDG_CONFIG_HOME", config_home, TRUE);
  g_setenv ("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/crewdesk-test-bus", TRUE);
  g_unsetenv ("DISPLAY");
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/sync/credentials/round-trip", char, NULL, set_up, test_round_trip, tear_down);
  g_test_add ("/sync/credentials/private-folder", char, NULL, set_up, test_private_folder, tear_down);
  g_test_add ("/sync/credentials/two-users-two-servers", char, NULL, set_up, test_two_users_two_servers,
              tear_down);
  g_test_add ("/sync/credentials/corrupt", char, NULL, set_up, test_corrupt, tear_down);
  g_test_add ("/sync/credentials/no-secret-service", char, NULL, set_up_auto, test_no_secret_service,
              tear_down);

  status = g_test_run ();
  g_rmdir (config_home);
  g_free (config_home);
  return status;
}
