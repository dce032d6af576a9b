/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-sync-credentials.c: session tokens in the Secret Service or a 0600 file. */
#include "config.h"

#define G_LOG_DOMAIN "CrewdeskSync"

#include <glib/gi18n-lib.h>
#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

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
 * alone; no group left: no file. */
static gboolean
save_file (const char  *path,
           GKeyFile    *kf,
           GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autofree char *dir = g_path_get_dirname (path);
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

  if (g_mkdir_with_parents (dir, 0700) != 0 || g_chmod (dir, 0700) != 0)
    {
      int saved = errno;

      set_file_error (error, _("Could not save the sign-in in “%s” (%s). Check that you may write "
                               "there; until then, Crewdesk asks for the password at every start."),
                      path, g_strerror (saved));
      return FALSE;
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

static gboolean
file_store (const char  *server_url,
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

  return save_file (path, kf, error);
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

static gboolean
file_forget (const char  *server_url,
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
  return save_file (path, kf, error);
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

/* Each returns FALSE with @error set when no Secret Service answered. */

static gboolean
secret_store (const char  *server_url,
              const char  *username,
              const char  *token,
              GError     **error)
{
  /* TRANSLATORS: how the saved token is named in the keyring (Passwords and Keys) */
  g_autofree char *label = g_strdup_printf (_("Crewdesk sign-in of %s on %s"), username, server_url);

  return secret_password_store_sync (get_schema (), SECRET_COLLECTION_DEFAULT, label, token, NULL, error,
                                     KEY_SERVER, server_url, KEY_USERNAME, username, NULL);
}

static gboolean
secret_lookup (const char  *server_url,
               const char  *username,
               char       **token,
               GError     **error)
{
  GError *local_error = NULL;
  char *secret = secret_password_lookup_sync (get_schema (), NULL, &local_error,
                                              KEY_SERVER, server_url, KEY_USERNAME, username, NULL);

  if (local_error != NULL)
    {
      g_propagate_error (error, local_error);
      return FALSE;
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

  secret_password_clear_sync (get_schema (), NULL, &local_error,
                              KEY_SERVER, server_url, KEY_USERNAME, username, NULL);
  if (local_error != NULL)
    {
      g_propagate_error (error, local_error);
      return FALSE;
    }

  return TRUE;
}

#endif

/* Public API -------------------------------------------------------------- */

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
  g_return_val_if_fail (server_url != NULL && username != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

#ifdef HAVE_LIBSECRET
  if (!file_only ())
    {
      g_autoptr(GError) local_error = NULL;
      char *token = NULL;

      if (secret_lookup (server_url, username, &token, &local_error))
        {
          if (token != NULL)
            return token;
        }
      else
        g_debug ("Credentials: no Secret Service (%s); using the file", local_error->message);
    }
#endif

  return file_lookup (server_url, username, error);
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
