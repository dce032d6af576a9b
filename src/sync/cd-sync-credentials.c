/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-sync-credentials.c: session tokens in the Secret Service or a 0600 file. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* F_OFD_SETLK */
#endif
#include "config.h"

#define G_LOG_DOMAIN "CrewdeskSync"

#include <glib/gi18n-lib.h>
#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifdef HAVE_LIBSECRET
#include <libsecret/secret.h>
#endif

#include "cd-sync-credentials.h"
#include "cd-sync-types.h"

#define FILE_NAME     "credentials"
#define KEY_SERVER    "server"
#define KEY_USERNAME  "username"
#define KEY_TOKEN     "token"
/* A token is 64 hex digits; anything far longer is not one. */
#define TOKEN_MAX     1024
/* Beside the file, held by whoever reads it to replace it. */
#define LOCK_NAME     "credentials.lock"
/* Another process holds the lock for one read and one write: this is a
 * process that is stuck, not one that is slow. */
#define LOCK_TIMEOUT_MS 10000
/* The first wait for a busy lock, and the longest. */
#define LOCK_PAUSE_MIN_US 1000
#define LOCK_PAUSE_MAX_US 20000

/* cd_sync_credentials_set_test_hooks() */
static guint lock_timeout_ms = LOCK_TIMEOUT_MS;
static CdSyncCredentialsLockedFunc locked_func;
static gpointer locked_data;

/* Helpers ----------------------------------------------------------------- */

#ifdef HAVE_LIBSECRET
static gboolean
file_only (void)
{
  return g_strcmp0 (g_getenv (CD_SYNC_CREDENTIALS_ENV), "file") == 0;
}
#endif

/* One group per server and user, named by a digest: key file group names
 * may not hold every character a URL or a user name may. */
static char *
group_for (const char *server_url,
           const char *username)
{
  g_autofree char *key = g_strconcat (server_url, "\n", username, NULL);
  g_autofree char *digest = g_compute_checksum_for_string (G_CHECKSUM_SHA256, key, -1);

  return g_strconcat ("token ", digest, NULL);
}

static gboolean
valid_token (const char *token)
{
  gsize n = 0;

  for (const char *p = token; *p != '\0'; p++, n++)
    if (!g_ascii_isgraph (*p) || n >= TOKEN_MAX)
      return FALSE;

  return n > 0;
}

/* A macro, so that each format stays a translated literal. */
#define set_file_error(error, format, path, detail) \
  G_STMT_START { \
    g_autofree char *name_ = g_filename_display_name (path); \
    g_set_error (error, CD_SYNC_ERROR, CD_SYNC_ERROR_FAILED, format, name_, detail); \
  } G_STMT_END

/* The file's contents as a key file; an empty one when there is no file.
 * A file that cannot be parsed is an error (@corrupt set). */
static GKeyFile *
load_file (const char  *path,
           gboolean    *corrupt,
           GError     **error)
{
  g_autoptr(GKeyFile) kf = g_key_file_new ();
  g_autoptr(GError) local_error = NULL;
  g_autofree char *data = NULL;
  gsize length = 0;

  *corrupt = FALSE;
  if (!g_file_get_contents (path, &data, &length, &local_error))
    {
      if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        return g_steal_pointer (&kf);
      set_file_error (error, _("Could not read the saved sign-in in “%s” (%s). Check the file’s "
                               "permissions, or sign in again."), path, local_error->message);
      return NULL;
    }

  if (length != strlen (data) || !g_utf8_validate (data, length, NULL) ||
      !g_key_file_load_from_data (kf, data, length, G_KEY_FILE_NONE, &local_error))
    {
      *corrupt = TRUE;
      set_file_error (error, _("The saved sign-in file “%s” is damaged (%s). Sign in again; "
                               "Crewdesk will replace the file."), path,
                      local_error != NULL ? local_error->message : _("not text"));
      return NULL;
    }

  return g_steal_pointer (&kf);
}

/* Writes @kf in place of the file, atomically, readable by the user
 * alone; no group left: no file. Called with the lock held, so the
 * folder is there. */
static gboolean
save_file (const char  *path,
           GKeyFile    *kf,
           GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autofree char *data = NULL;
  g_auto(GStrv) groups = g_key_file_get_groups (kf, NULL);
  gsize length = 0;

  if (groups == NULL || groups[0] == NULL)
    {
      if (g_unlink (path) != 0 && errno != ENOENT)
        {
          int saved = errno;

          set_file_error (error, _("Could not remove the saved sign-in “%s” (%s). Delete the file "
                                   "to sign out of this computer."), path, g_strerror (saved));
          return FALSE;
        }
      return TRUE;
    }

  data = g_key_file_to_data (kf, &length, NULL);
  /* A temporary file created 0600, synced, renamed over the old one. */
  if (!g_file_set_contents_full (path, data, (gssize) length,
                                 G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE,
                                 0600, &local_error))
    {
      set_file_error (error, _("Could not save the sign-in in “%s” (%s). Check that you may write "
                               "there; until then, Crewdesk asks for the password at every start."),
                      path, local_error->message);
      return FALSE;
    }

  return TRUE;
}

/* The lock ------------------------------------------------------------------ */

/* Several processes (two Crewdesk windows, a sign-in and a sign-out) may
 * change the file at once, and each change reads the whole file, edits
 * one entry and writes the whole file back: without a lock, the last to
 * write undoes the others' changes. So every save and removal holds an
 * open file description lock (fcntl F_OFD_SETLK) on LOCK_NAME, beside
 * the file, from reading the file to renaming the new one over it.
 *
 * Such a lock belongs to the open file, not to the process: it keeps
 * out other threads of this process too, each opening the file anew.
 * The kernel lets it go when the holder closes the file or dies, so a
 * crashed or killed Crewdesk never leaves a lock behind; the file
 * itself stays, empty, mode 0600, and is never removed (removing it
 * would let two processes lock two different files). Lookups take no
 * lock: the file is only ever replaced by a rename, so a reader sees
 * either the old file or the new one, whole.
 *
 * A busy lock is tried again after growing pauses, until
 * lock_timeout_ms have passed: then the change fails with an error
 * rather than waiting for ever on a process that is stuck. */

/* The folder of @path, made if need be, readable by the user alone. */
static gboolean
ensure_folder (const char  *path,
               GError     **error)
{
  g_autofree char *dir = g_path_get_dirname (path);

  if (g_mkdir_with_parents (dir, 0700) != 0 || g_chmod (dir, 0700) != 0)
    {
      int saved = errno;

      set_file_error (error, _("Could not save the sign-in in “%s” (%s). Check that you may write "
                               "there; until then, Crewdesk asks for the password at every start."),
                      path, g_strerror (saved));
      return FALSE;
    }

  return TRUE;
}

static gboolean
lock_unsupported (int error_code)
{
  /* File systems without locks (some network ones) */
  return error_code == ENOLCK || error_code == EINVAL || error_code == EOPNOTSUPP ||
         error_code == ENOSYS;
}

/* Takes the lock for a change to the file at @path. On success *@fd is
 * the lock's descriptor, for lock_release(), or -1 when the file system
 * has no locks (the change then goes ahead unlocked, as it would have
 * before there was a lock). */
static gboolean
lock_acquire (const char  *path,
              int         *fd,
              GError     **error)
{
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *lock_path = g_build_filename (dir, LOCK_NAME, NULL);
  gint64 deadline = g_get_monotonic_time () + (gint64) lock_timeout_ms * G_TIME_SPAN_MILLISECOND;
  gulong pause_us = LOCK_PAUSE_MIN_US;
  struct stat st_fd;
  int lock_fd = -1;

  *fd = -1;
  for (;;)
    {
      struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0 };
      struct stat st_path;
      gint64 now;
      int saved;

      if (lock_fd < 0)
        {
          /* Created 0600, like the file, though it never holds anything. */
          lock_fd = open (lock_path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
          if (lock_fd < 0)
            {
              saved = errno;
              if (saved == EINTR)
                continue;
              set_file_error (error, _("Could not use the lock file “%s” of the saved sign-in (%s). "
                                       "Check that you may write in that folder, then try again."),
                              lock_path, g_strerror (saved));
              return FALSE;
            }
          if (fstat (lock_fd, &st_fd) != 0 || !S_ISREG (st_fd.st_mode))
            {
              close (lock_fd);
              set_file_error (error, _("Could not use the lock file “%s” of the saved sign-in (%s). "
                                       "Check that you may write in that folder, then try again."),
                              lock_path, _("not a regular file"));
              return FALSE;
            }
          if ((st_fd.st_mode & 07777) != 0600 && fchmod (lock_fd, 0600) != 0)
            g_debug ("Credentials: %s keeps mode %o: %s", lock_path,
                     (unsigned int) (st_fd.st_mode & 07777), g_strerror (errno));
        }

      if (fcntl (lock_fd, F_OFD_SETLK, &fl) == 0)
        {
          /* Still the file under that name, not one removed meanwhile? */
          if (g_stat (lock_path, &st_path) == 0 &&
              st_path.st_dev == st_fd.st_dev && st_path.st_ino == st_fd.st_ino)
            {
              *fd = lock_fd;
              return TRUE;
            }
          close (lock_fd);
          lock_fd = -1;
        }
      else
        {
          saved = errno;
          if (saved == EINTR)
            continue;
          if (saved != EAGAIN && saved != EACCES)
            {
              close (lock_fd);
              if (lock_unsupported (saved))
                {
                  g_warning_once ("Credentials: %s cannot be locked (%s); saving without a lock",
                                  lock_path, g_strerror (saved));
                  return TRUE;
                }
              set_file_error (error, _("Could not use the lock file “%s” of the saved sign-in (%s). "
                                       "Check that you may write in that folder, then try again."),
                              lock_path, g_strerror (saved));
              return FALSE;
            }
        }

      /* Busy (or replaced): wait a little, a random part of a pause that
       * doubles each time, so that waiters do not wake in step. */
      now = g_get_monotonic_time ();
      if (now >= deadline)
        {
          g_autofree char *name = g_filename_display_name (path);

          if (lock_fd >= 0)
            close (lock_fd);
          g_set_error (error, CD_SYNC_ERROR, CD_SYNC_ERROR_FAILED,
                       _("The saved sign-in in “%s” stayed locked by another running Crewdesk, so it "
                         "was not changed. Try again in a moment; if this keeps happening, quit the "
                         "other Crewdesk windows."), name);
          return FALSE;
        }
      g_usleep (MIN ((gint64) g_random_int_range (pause_us / 2, pause_us + 1), deadline - now));
      pause_us = MIN (pause_us * 2, LOCK_PAUSE_MAX_US);
    }
}

/* Lets the lock go (closing its file does it). */
static void
lock_release (int fd)
{
  if (fd >= 0)
    close (fd);
}

static void
run_locked_func (void)
{
  if (locked_func != NULL)
    locked_func (locked_data);
}

/* Saves and removals ----------------------------------------------------- */

/* With the lock held. */
static gboolean
file_store_locked (const char  *server_url,
                   const char  *username,
                   const char  *token,
                   GError     **error)
{
  g_autofree char *path = cd_sync_credentials_file_path ();
  g_autofree char *group = group_for (server_url, username);
  g_autoptr(GKeyFile) kf = NULL;
  g_autoptr(GError) local_error = NULL;
  gboolean corrupt = FALSE;

  kf = load_file (path, &corrupt, &local_error);
  if (kf == NULL && corrupt)
    {
      /* Nothing in it can be read: signing in again replaces it. */
      g_debug ("Replacing the damaged %s: %s", path, local_error->message);
      kf = g_key_file_new ();
    }
  else if (kf == NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }

  g_key_file_set_string (kf, group, KEY_SERVER, server_url);
  g_key_file_set_string (kf, group, KEY_USERNAME, username);
  g_key_file_set_string (kf, group, KEY_TOKEN, token);

  run_locked_func ();
  return save_file (path, kf, error);
}

static gboolean
file_store (const char  *server_url,
            const char  *username,
            const char  *token,
            GError     **error)
{
  g_autofree char *path = cd_sync_credentials_file_path ();
  gboolean ok;
  int fd = -1;

  if (!ensure_folder (path, error) || !lock_acquire (path, &fd, error))
    return FALSE;
  ok = file_store_locked (server_url, username, token, error);
  lock_release (fd);
  return ok;
}

static char *
file_lookup (const char  *server_url,
             const char  *username,
             GError     **error)
{
  g_autofree char *path = cd_sync_credentials_file_path ();
  g_autofree char *group = group_for (server_url, username);
  g_autofree char *server = NULL;
  g_autofree char *user = NULL;
  g_autofree char *token = NULL;
  g_autoptr(GKeyFile) kf = NULL;
  gboolean corrupt = FALSE;

  kf = load_file (path, &corrupt, error);
  if (kf == NULL)
    return NULL;
  if (!g_key_file_has_group (kf, group))
    return NULL;

  server = g_key_file_get_string (kf, group, KEY_SERVER, NULL);
  user = g_key_file_get_string (kf, group, KEY_USERNAME, NULL);
  token = g_key_file_get_string (kf, group, KEY_TOKEN, NULL);
  if (g_strcmp0 (server, server_url) != 0 || g_strcmp0 (user, username) != 0 ||
      token == NULL || !valid_token (token))
    {
      set_file_error (error, _("The saved sign-in file “%s” is damaged (%s). Sign in again; "
                               "Crewdesk will replace the file."), path,
                      _("an entry is incomplete"));
      return NULL;
    }

  return g_steal_pointer (&token);
}

/* With the lock held. */
static gboolean
file_forget_locked (const char  *server_url,
                    const char  *username,
                    GError     **error)
{
  g_autofree char *path = cd_sync_credentials_file_path ();
  g_autofree char *group = group_for (server_url, username);
  g_autoptr(GKeyFile) kf = NULL;
  g_autoptr(GError) local_error = NULL;
  gboolean corrupt = FALSE;

  kf = load_file (path, &corrupt, &local_error);
  if (kf == NULL && corrupt)
    {
      /* Forgetting must leave no token behind, and none in it can be
       * told apart: the damaged file goes. */
      g_autoptr(GKeyFile) empty = g_key_file_new ();

      run_locked_func ();
      return save_file (path, empty, error);
    }
  if (kf == NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (!g_key_file_has_group (kf, group))
    return TRUE;

  g_key_file_remove_group (kf, group, NULL);
  run_locked_func ();
  return save_file (path, kf, error);
}

static gboolean
file_forget (const char  *server_url,
             const char  *username,
             GError     **error)
{
  g_autofree char *path = cd_sync_credentials_file_path ();
  GStatBuf st;
  gboolean ok;
  int fd = -1;

  /* No file, nothing to forget: no folder nor lock made for nothing (the
   * usual case with a Secret Service). */
  if (g_lstat (path, &st) != 0 && (errno == ENOENT || errno == ENOTDIR))
    return TRUE;

  if (!lock_acquire (path, &fd, error))
    return FALSE;
  ok = file_forget_locked (server_url, username, error);
  lock_release (fd);
  return ok;
}

#ifdef HAVE_LIBSECRET

static const SecretSchema *
get_schema (void)
{
  static const SecretSchema schema = {
    APP_ID ".SessionToken", SECRET_SCHEMA_NONE,
    {
      { KEY_SERVER, SECRET_SCHEMA_ATTRIBUTE_STRING },
      { KEY_USERNAME, SECRET_SCHEMA_ATTRIBUTE_STRING },
      { NULL, 0 },
    },
    0, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  };

  return &schema;
}

/* libsecret keeps one connection to the Secret Service for the whole
 * process, bound to the daemon that answered first and to the session
 * opened with it. Once that daemon is gone (it crashed, or was started
 * again), every call through that connection fails, even when another
 * daemon answers, and libsecret would only notice from a main loop that
 * these blocking calls never run. So a failure that may come from an old
 * connection (the daemon's name unknown, or its session: an error of the
 * service that libsecret does not know) drops the connection, and the
 * call is tried once more on a new one; it costs one quick round trip
 * when there is no service. Not after other failures: a locked keyring,
 * or a service that does not answer (each attempt would wait for the
 * D-Bus timeout again).
 * Returns: whether to try again. */
static gboolean
secret_reconnect (const GError *error)
{
  if (!g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_SERVICE_UNKNOWN) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_DBUS_ERROR))
    return FALSE;

  secret_service_disconnect ();
  return TRUE;
}

/* Each returns FALSE with @error set when no Secret Service answered. */

static gboolean
secret_store (const char  *server_url,
              const char  *username,
              const char  *token,
              GError     **error)
{
  /* TRANSLATORS: how the saved token is named in the keyring (Passwords and Keys) */
  g_autofree char *label = g_strdup_printf (_("Crewdesk sign-in of %s on %s"), username, server_url);

  for (guint attempt = 0;; attempt++)
    {
      GError *local_error = NULL;

      if (secret_password_store_sync (get_schema (), SECRET_COLLECTION_DEFAULT, label, token, NULL,
                                      &local_error, KEY_SERVER, server_url, KEY_USERNAME, username, NULL))
        return TRUE;
      if (!secret_reconnect (local_error) || attempt > 0)
        {
          g_propagate_error (error, local_error);
          return FALSE;
        }
      g_error_free (local_error);
    }
}

static gboolean
secret_lookup (const char  *server_url,
               const char  *username,
               char       **token,
               GError     **error)
{
  GError *local_error = NULL;
  char *secret = NULL;

  for (guint attempt = 0;; attempt++)
    {
      secret = secret_password_lookup_sync (get_schema (), NULL, &local_error,
                                            KEY_SERVER, server_url, KEY_USERNAME, username, NULL);
      if (local_error == NULL)
        break;
      if (!secret_reconnect (local_error) || attempt > 0)
        {
          g_propagate_error (error, local_error);
          return FALSE;
        }
      g_clear_error (&local_error);
    }

  *token = g_strdup (secret);
  secret_password_free (secret);
  return TRUE;
}

static gboolean
secret_forget (const char  *server_url,
               const char  *username,
               GError     **error)
{
  GError *local_error = NULL;

  for (guint attempt = 0;; attempt++)
    {
      secret_password_clear_sync (get_schema (), NULL, &local_error,
                                  KEY_SERVER, server_url, KEY_USERNAME, username, NULL);
      if (local_error == NULL)
        return TRUE;
      if (!secret_reconnect (local_error) || attempt > 0)
        {
          g_propagate_error (error, local_error);
          return FALSE;
        }
      g_clear_error (&local_error);
    }
}

#endif

/* Public API -------------------------------------------------------------- */

void
cd_sync_credentials_set_test_hooks (guint                       timeout_ms,
                                    CdSyncCredentialsLockedFunc func,
                                    gpointer                    user_data)
{
  lock_timeout_ms = timeout_ms > 0 ? timeout_ms : LOCK_TIMEOUT_MS;
  locked_func = func;
  locked_data = user_data;
}

/* Returns: (transfer full): $XDG_CONFIG_HOME/crewdesk/credentials */
char *
cd_sync_credentials_file_path (void)
{
  return g_build_filename (g_get_user_config_dir (), "crewdesk", FILE_NAME, NULL);
}

gboolean
cd_sync_credentials_store (const char  *server_url,
                           const char  *username,
                           const char  *token,
                           GError     **error)
{
  g_return_val_if_fail (server_url != NULL && username != NULL, FALSE);
  g_return_val_if_fail (token != NULL && valid_token (token), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

#ifdef HAVE_LIBSECRET
  if (!file_only ())
    {
      g_autoptr(GError) local_error = NULL;

      if (secret_store (server_url, username, token, &local_error))
        {
          g_autoptr(GError) forget_error = NULL;

          /* No copy left in a file from a time without the service. */
          if (!file_forget (server_url, username, &forget_error))
            g_debug ("Credentials: an old copy stays in the file: %s", forget_error->message);
          return TRUE;
        }
      g_debug ("Credentials: no Secret Service (%s); using the file", local_error->message);
    }
#endif

  return file_store (server_url, username, token, error);
}

char *
cd_sync_credentials_lookup (const char  *server_url,
                            const char  *username,
                            GError     **error)
{
  g_autoptr(GError) file_error = NULL;
  char *token;

  g_return_val_if_fail (server_url != NULL && username != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  /* The file first: a token there was saved while the Secret Service was
   * away, so it is newer than any the service holds (a save that reaches
   * the service removes the file's copy). */
  token = file_lookup (server_url, username, &file_error);
  if (token != NULL)
    return token;

#ifdef HAVE_LIBSECRET
  if (!file_only ())
    {
      g_autoptr(GError) local_error = NULL;

      if (secret_lookup (server_url, username, &token, &local_error))
        {
          if (token != NULL)
            return token;
        }
      else
        g_debug ("Credentials: no Secret Service (%s); using the file", local_error->message);
    }
#endif

  if (file_error != NULL)
    g_propagate_error (error, g_steal_pointer (&file_error));
  return NULL;
}

gboolean
cd_sync_credentials_forget (const char  *server_url,
                            const char  *username,
                            GError     **error)
{
  g_return_val_if_fail (server_url != NULL && username != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

#ifdef HAVE_LIBSECRET
  if (!file_only ())
    {
      g_autoptr(GError) local_error = NULL;

      if (!secret_forget (server_url, username, &local_error))
        g_debug ("Credentials: no Secret Service (%s); using the file", local_error->message);
    }
#endif

  return file_forget (server_url, username, error);
}
