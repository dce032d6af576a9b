/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-sync-credentials.c: session tokens kept between starts, in the
 * 0600 file (forced, and as the fallback when no Secret Service answers).
 * No test here ever talks to a real keyring: the session bus is pointed
 * at nothing before anything runs.
 *
 * The tests of the lock run real processes on the real file: this
 * program started again in a helper mode (--helper-…, see run_helper()),
 * with the same XDG_CONFIG_HOME. */
#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
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

/* How a helper finds the config home of the run that started it. */
#define HOME_ENV "CREWDESK_TEST_CREDENTIALS_HOME"
/* The concurrent test: processes, threads in each, changes by each thread. */
#define CHURN_PROCESSES  6
#define CHURN_THREADS    2
#define CHURN_ITERATIONS 40

static char *config_home;
static char *self_exe;

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
  g_autofree char *lock = g_build_filename (dir, "credentials.lock", NULL);

  g_unlink (path);
  g_unlink (lock);
  g_rmdir (dir);
}

static guint
mode_of (const char *path)
{
  GStatBuf st;

  g_assert_cmpint (g_stat (path, &st), ==, 0);
  return st.st_mode & 07777;
}

/* Only the file and its lock are in the folder, both 0600: no temporary
 * file left behind. */
static void
assert_alone (const char *path)
{
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *lock = g_build_filename (dir, "credentials.lock", NULL);
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;
  guint n = 0;

  g_assert_nonnull (d);
  while ((name = g_dir_read_name (d)) != NULL)
    {
      if (g_strcmp0 (name, "credentials") != 0)
        g_assert_cmpstr (name, ==, "credentials.lock");
      n++;
    }
  g_assert_cmpuint (n, ==, 2);
  g_assert_cmphex (mode_of (path), ==, 0600);
  g_assert_cmphex (mode_of (lock), ==, 0600);
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

/* The lock ------------------------------------------------------------------ */

/* Helper processes: this program, started with argv[1] a helper mode.
 * Each waits for its standard input to close before it starts, so that
 * all start together, and so that it ends, rather than lingering, when
 * the test that started it dies. */

static void
wait_for_stdin_eof (void)
{
  char c;
  gssize n;

  do
    n = read (STDIN_FILENO, &c, 1);
  while (n > 0 || (n < 0 && errno == EINTR));
}

static char *
churn_token (guint id,
             guint thread,
             guint iteration)
{
  return g_strdup_printf ("churn-%02u-%u-%06u", id, thread, iteration);
}

static char *
churn_user (guint       id,
            guint       thread,
            const char *suffix)
{
  return g_strdup_printf ("churn-%02u-%u%s", id, thread, suffix);
}

static const char *
churn_server (guint id)
{
  return id % 2 == 0 ? SERVER_1 : SERVER_2;
}

typedef struct {
  guint id;
  guint thread;
  gboolean ok;
} Churn;

/* One thread of a churn helper: saves a new token for its own user again
 * and again, and now and then saves and forgets a second user. Before
 * each change it checks that what it did last is still there (or still
 * gone): another process's change that started from an older file and
 * ended after this one's would have undone it. */
static gpointer
churn_thread (gpointer data)
{
  Churn *churn = data;
  const char *server = churn_server (churn->id);
  g_autofree char *user = churn_user (churn->id, churn->thread, "");
  g_autofree char *temp_user = churn_user (churn->id, churn->thread, "-temp");
  g_autofree char *expected = NULL;

  for (guint i = 0; i < CHURN_ITERATIONS; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *token = cd_sync_credentials_lookup (server, user, &error);
      g_autofree char *next = churn_token (churn->id, churn->thread, i);

      if (error != NULL || g_strcmp0 (token, expected) != 0)
        {
          g_printerr ("helper %u/%u, change %u: %s\n", churn->id, churn->thread, i,
                      error != NULL ? error->message : "the last token saved was lost");
          return NULL;
        }
      if (!cd_sync_credentials_store (server, user, next, &error))
        {
          g_printerr ("helper %u/%u, save %u: %s\n", churn->id, churn->thread, i, error->message);
          return NULL;
        }
      g_free (expected);
      expected = g_steal_pointer (&next);

      if (i % 4 == 1)
        {
          g_autofree char *temp = cd_sync_credentials_lookup (server, temp_user, &error);

          if (error != NULL || temp != NULL)
            {
              g_printerr ("helper %u/%u, change %u: %s\n", churn->id, churn->thread, i,
                          error != NULL ? error->message : "a forgotten token came back");
              return NULL;
            }
          if (!cd_sync_credentials_store (server, temp_user, TOKEN_D, &error) ||
              !cd_sync_credentials_forget (server, temp_user, &error))
            {
              g_printerr ("helper %u/%u, change %u: %s\n", churn->id, churn->thread, i, error->message);
              return NULL;
            }
        }
    }

  churn->ok = TRUE;
  return NULL;
}

/* --helper-churn ID: CHURN_THREADS threads of churn_thread(). */
static int
helper_churn (guint id)
{
  Churn churns[CHURN_THREADS];
  GThread *threads[CHURN_THREADS];
  int status = 0;

  wait_for_stdin_eof ();
  for (guint t = 0; t < CHURN_THREADS; t++)
    {
      churns[t] = (Churn) { id, t, FALSE };
      threads[t] = g_thread_new ("churn", churn_thread, &churns[t]);
    }
  for (guint t = 0; t < CHURN_THREADS; t++)
    {
      g_thread_join (threads[t]);
      if (!churns[t].ok)
        status = 1;
    }

  return status;
}

static void
hold_locked (gpointer user_data)
{
  /* Tell the test the lock is held, then wait to be killed. */
  if (write (STDOUT_FILENO, "L", 1) != 1)
    _exit (2);
  wait_for_stdin_eof ();
  _exit (3);
}

/* --helper-hold: saves a token, and stops for good (until its standard
 * input closes) while holding the lock, after reading the file and
 * before replacing it. */
static int
helper_hold (void)
{
  g_autoptr(GError) error = NULL;

  cd_sync_credentials_set_test_hooks (0, hold_locked, NULL);
  cd_sync_credentials_store (SERVER_2, "holder", TOKEN_D, &error);
  g_printerr ("the hold helper got past the lock: %s\n", error != NULL ? error->message : "saved");
  return 1;
}

static int
run_helper (int   argc,
            char *argv[])
{
  if (g_strcmp0 (argv[1], "--helper-churn") == 0 && argc == 3)
    return helper_churn ((guint) g_ascii_strtoull (argv[2], NULL, 10));
  if (g_strcmp0 (argv[1], "--helper-hold") == 0 && argc == 2)
    return helper_hold ();

  g_printerr ("unknown helper mode %s\n", argv[1]);
  return 2;
}

/* Starts this program as a helper; its standard input is *@in, its
 * standard output *@out if @out is not %NULL. */
static GPid
spawn_helper (const char *mode,
              const char *arg,
              int        *in,
              int        *out)
{
  g_autoptr(GError) error = NULL;
  const char *argv[] = { self_exe, mode, arg, NULL };
  GPid pid = 0;

  g_spawn_async_with_pipes (NULL, (char **) argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL,
                            &pid, in, out, NULL, &error);
  g_assert_no_error (error);
  return pid;
}

static void
assert_helper_exited_well (GPid pid)
{
  g_autoptr(GError) error = NULL;
  int wait_status = 0;

  g_assert_cmpint (waitpid (pid, &wait_status, 0), ==, pid);
  g_spawn_close_pid (pid);
  g_spawn_check_wait_status (wait_status, &error);
  g_assert_no_error (error);
}

/* CHURN_PROCESSES processes of CHURN_THREADS threads change the file at
 * once, each thread its own user (and a second one it saves and forgets
 * again): every change is still there at the end, and every removal. */
static void
test_concurrent (char          *fixture,
                 gconstpointer  data)
{
  g_autofree char *path = cd_sync_credentials_file_path ();
  g_autoptr(GKeyFile) kf = g_key_file_new ();
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) groups = NULL;
  GPid pids[CHURN_PROCESSES];
  int ins[CHURN_PROCESSES];

  for (guint id = 0; id < CHURN_PROCESSES; id++)
    {
      g_autofree char *arg = g_strdup_printf ("%u", id);

      pids[id] = spawn_helper ("--helper-churn", arg, &ins[id], NULL);
    }
  /* Off they go, together. */
  for (guint id = 0; id < CHURN_PROCESSES; id++)
    close (ins[id]);
  for (guint id = 0; id < CHURN_PROCESSES; id++)
    assert_helper_exited_well (pids[id]);

  for (guint id = 0; id < CHURN_PROCESSES; id++)
    for (guint t = 0; t < CHURN_THREADS; t++)
      {
        g_autofree char *user = churn_user (id, t, "");
        g_autofree char *temp_user = churn_user (id, t, "-temp");
        g_autofree char *last = churn_token (id, t, CHURN_ITERATIONS - 1);

        assert_lookup (churn_server (id), user, last);
        assert_lookup (churn_server (id), temp_user, NULL);
      }
  /* Nothing else in the file, nothing else in the folder. */
  g_assert_true (g_key_file_load_from_file (kf, path, G_KEY_FILE_NONE, &error));
  g_assert_no_error (error);
  groups = g_key_file_get_groups (kf, NULL);
  g_assert_cmpuint (g_strv_length (groups), ==, CHURN_PROCESSES * CHURN_THREADS);
  assert_alone (path);
}

/* Waits for the hold helper to say it holds the lock. */
static void
wait_for_hold (int out)
{
  struct pollfd pfd = { .fd = out, .events = POLLIN };
  char c = 0;

  g_assert_cmpint (poll (&pfd, 1, 60 * 1000), ==, 1);
  g_assert_cmpint (read (out, &c, 1), ==, 1);
  g_assert_cmpint (c, ==, 'L');
}

/* A process that holds the lock makes saves and removals elsewhere wait,
 * then fail with a sentence (never hang); lookups do not wait. Once it
 * is killed, holding the lock, the next save goes through at once. */
static void
test_lock_held_then_killed (char          *fixture,
                            gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = cd_sync_credentials_file_path ();
  g_autofree char *display = g_filename_display_name (path);
  gint64 start, elapsed;
  int in = -1, out = -1;
  GPid pid;
  int wait_status = 0;

  g_assert_true (cd_sync_credentials_store (SERVER_1, "dispatcher", TOKEN_A, &error));
  g_assert_no_error (error);
  /* Its standard input stays open until it is killed: it stops waiting
   * when it closes. */
  pid = spawn_helper ("--helper-hold", NULL, &in, &out);
  wait_for_hold (out);

  cd_sync_credentials_set_test_hooks (300, NULL, NULL);
  start = g_get_monotonic_time ();
  g_assert_false (cd_sync_credentials_store (SERVER_1, "dispatcher", TOKEN_B, &error));
  elapsed = g_get_monotonic_time () - start;
  g_assert_error (error, CD_SYNC_ERROR, CD_SYNC_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "stayed locked by another running Crewdesk"));
  g_assert_nonnull (strstr (error->message, display));
  g_assert_null (strstr (error->message, TOKEN_B));
  g_assert_cmpint (elapsed, >=, 300 * G_TIME_SPAN_MILLISECOND);
  g_assert_cmpint (elapsed, <, 5 * G_TIME_SPAN_SECOND);
  g_clear_error (&error);

  g_assert_false (cd_sync_credentials_forget (SERVER_1, "dispatcher", &error));
  g_assert_error (error, CD_SYNC_ERROR, CD_SYNC_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "stayed locked by another running Crewdesk"));
  g_clear_error (&error);

  /* Reading needs no lock: the file is only ever replaced whole. */
  start = g_get_monotonic_time ();
  assert_lookup (SERVER_1, "dispatcher", TOKEN_A);
  g_assert_cmpint (g_get_monotonic_time () - start, <, G_TIME_SPAN_SECOND);

  /* Killed while holding the lock: the kernel lets it go. The wait is the
   * default one again (10 s), so a lock left behind would show as a save
   * slower than 5 s, or an error. */
  g_assert_cmpint (kill (pid, SIGKILL), ==, 0);
  g_assert_cmpint (waitpid (pid, &wait_status, 0), ==, pid);
  g_spawn_close_pid (pid);
  g_assert_true (WIFSIGNALED (wait_status));
  g_assert_cmpint (WTERMSIG (wait_status), ==, SIGKILL);
  close (in);
  close (out);

  cd_sync_credentials_set_test_hooks (0, NULL, NULL);
  start = g_get_monotonic_time ();
  g_assert_true (cd_sync_credentials_store (SERVER_1, "dispatcher", TOKEN_C, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 5 * G_TIME_SPAN_SECOND);
  assert_lookup (SERVER_1, "dispatcher", TOKEN_C);
  /* What the killed process was saving never landed, half or whole. */
  assert_lookup (SERVER_2, "holder", NULL);
  assert_alone (path);

  start = g_get_monotonic_time ();
  g_assert_true (cd_sync_credentials_forget (SERVER_1, "dispatcher", &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 5 * G_TIME_SPAN_SECOND);
  assert_lookup (SERVER_1, "dispatcher", NULL);
}

/* Returns: the error's message, to show. */
static char *
assert_save_error (const char *expected)
{
  g_autoptr(GError) error = NULL;

  g_assert_false (cd_sync_credentials_store (SERVER_1, "dispatcher", TOKEN_B, &error));
  g_assert_error (error, CD_SYNC_ERROR, CD_SYNC_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, expected));
  g_assert_null (strstr (error->message, TOKEN_B));
  return g_strdup (error->message);
}

/* Whether this process may take another user's and group's ids
 * (CAP_SETUID and CAP_SETGID, which a container may take from root). */
static gboolean
may_change_user (void)
{
  g_autofree char *status = NULL;
  const char *line;
  guint64 caps;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL) ||
      (line = strstr (status, "\nCapEff:")) == NULL)
    return FALSE;
  caps = g_ascii_strtoull (line + strlen ("\nCapEff:"), NULL, 16);
  return (caps & (1 << 6)) != 0 && (caps & (1 << 7)) != 0;
}

/* Where the file or its lock cannot be written, saving fails with a
 * sentence, and no token in it. */
static void
test_unwritable (char          *fixture,
                 gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = cd_sync_credentials_file_path ();
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *lock = g_build_filename (dir, "credentials.lock", NULL);
  g_autofree char *message = NULL;

  if (g_test_subprocess ())
    {
      /* A folder this user may not write in. As root, who may write
       * anywhere, as another user, in a folder left by `sudo crewdesk`:
       * root's, mode 0755, with root's token and lock in it. */
      if (geteuid () == 0)
        {
          g_assert_cmpint (g_chmod (config_home, 0755), ==, 0);
          g_assert_true (cd_sync_credentials_store (SERVER_1, "dispatcher", TOKEN_A, &error));
          g_assert_no_error (error);
          g_assert_cmpint (g_chmod (dir, 0755), ==, 0);
          g_assert_cmpint (setgroups (0, NULL), ==, 0);
          g_assert_cmpint (setgid (65534), ==, 0);
          g_assert_cmpint (setuid (65534), ==, 0);
          message = assert_save_error ("Could not save the sign-in in");
          g_print ("%s\n", message);

          g_assert_false (cd_sync_credentials_forget (SERVER_1, "dispatcher", &error));
          g_assert_error (error, CD_SYNC_ERROR, CD_SYNC_ERROR_FAILED);
          g_print ("%s\n", error->message);
          g_assert_nonnull (strstr (error->message, "Could not use the lock file"));
        }
      else
        {
          g_assert_cmpint (g_chmod (config_home, 0500), ==, 0);
          message = assert_save_error ("Could not save the sign-in in");
          g_print ("%s\n", message);
          /* Nothing was kept: forgetting it succeeds. */
          g_assert_true (cd_sync_credentials_forget (SERVER_1, "dispatcher", &error));
          g_assert_no_error (error);
        }
      return;
    }

  if (geteuid () != 0 || may_change_user ())
    {
      g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
      g_assert_cmpint (g_chmod (config_home, 0700), ==, 0);
      g_test_trap_assert_passed ();
      g_test_trap_assert_stdout ("*Could not save the sign-in in*");
      if (geteuid () == 0)
        g_test_trap_assert_stdout ("*Could not use the lock file*(Permission denied)*");
    }
  else
    g_test_message ("Root, and may not become another user: the folder of another user is not tried");

  /* The folder is a file. */
  tear_down (NULL, NULL);
  g_assert_true (g_file_set_contents (dir, "", 0, NULL));
  message = assert_save_error ("Could not save the sign-in in");
  g_test_message ("%s", message);
  g_clear_pointer (&message, g_free);
  g_assert_true (cd_sync_credentials_forget (SERVER_1, "dispatcher", &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_unlink (dir), ==, 0);

  /* The lock is not a file. */
  g_assert_cmpint (g_mkdir (dir, 0700), ==, 0);
  g_assert_cmpint (g_mkdir (lock, 0700), ==, 0);
  message = assert_save_error ("Could not use the lock file");
  g_test_message ("%s", message);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  g_assert_cmpint (g_rmdir (lock), ==, 0);

  /* Once it can be, it is. */
  g_assert_true (cd_sync_credentials_store (SERVER_1, "dispatcher", TOKEN_B, &error));
  g_assert_no_error (error);
  assert_lookup (SERVER_1, "dispatcher", TOKEN_B);
  assert_alone (path);
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
  const char *shared_home = g_getenv (HOME_ENV);
  int status;

  /* A helper: everything set by the test that started it. */
  if (argc >= 2 && g_str_has_prefix (argv[1], "--helper-"))
    {
      g_assert_nonnull (shared_home);
      return run_helper (argc, argv);
    }

  /* Before anything reads them: a private config home (the one of the
   * test that started this when it is a test subprocess), and no keyring. */
  if (shared_home != NULL)
    config_home = g_strdup (shared_home);
  else
    {
      config_home = g_dir_make_tmp ("crewdesk-credentials-XXXXXX", &error);
      g_assert_no_error (error);
      g_setenv (HOME_ENV, config_home, TRUE);
    }
  g_setenv ("XDG_CONFIG_HOME", config_home, TRUE);
  g_setenv ("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/crewdesk-test-bus", TRUE);
  g_unsetenv ("DISPLAY");
  self_exe = g_file_read_link ("/proc/self/exe", &error);
  g_assert_no_error (error);
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/sync/credentials/round-trip", char, NULL, set_up, test_round_trip, tear_down);
  g_test_add ("/sync/credentials/private-folder", char, NULL, set_up, test_private_folder, tear_down);
  g_test_add ("/sync/credentials/two-users-two-servers", char, NULL, set_up, test_two_users_two_servers,
              tear_down);
  g_test_add ("/sync/credentials/corrupt", char, NULL, set_up, test_corrupt, tear_down);
  g_test_add ("/sync/credentials/no-secret-service", char, NULL, set_up_auto, test_no_secret_service,
              tear_down);
  g_test_add ("/sync/credentials/concurrent", char, NULL, set_up, test_concurrent, tear_down);
  g_test_add ("/sync/credentials/lock-held-then-killed", char, NULL, set_up, test_lock_held_then_killed,
              tear_down);
  g_test_add ("/sync/credentials/unwritable", char, NULL, set_up, test_unwritable, tear_down);

  status = g_test_run ();
  if (shared_home == NULL)
    g_rmdir (config_home);
  g_free (config_home);
  g_free (self_exe);
  return status;
}
