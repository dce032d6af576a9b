/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <argon2.h>
#include <gio/gio.h>
#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include "cd-auth.h"

/* OWASP's minimum for argon2id: 19 MiB, two passes, one lane. */
#define ARGON2_T_COST   2
#define ARGON2_M_COST   19456
#define ARGON2_LANES    1
#define ARGON2_SALT_LEN 16
#define ARGON2_HASH_LEN 32

static void
random_bytes (guint8 *buf,
              gsize   len)
{
  gsize done = 0;

  while (done < len)
    {
      gssize n = getrandom (buf + done, len - done, 0);

      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          g_error ("The kernel gave no random bytes: %s", g_strerror (errno));
        }
      done += n;
    }
}

char *
cd_auth_hash_password (const char  *password,
                       GError     **error)
{
  guint8 salt[ARGON2_SALT_LEN];
  gsize len;
  char *encoded;
  int rc;

  g_return_val_if_fail (password != NULL, NULL);

  random_bytes (salt, sizeof salt);
  len = argon2_encodedlen (ARGON2_T_COST, ARGON2_M_COST, ARGON2_LANES,
                           sizeof salt, ARGON2_HASH_LEN, Argon2_id);
  encoded = g_malloc0 (len);
  rc = argon2id_hash_encoded (ARGON2_T_COST, ARGON2_M_COST, ARGON2_LANES,
                              password, strlen (password), salt, sizeof salt,
                              ARGON2_HASH_LEN, encoded, len);
  if (rc != ARGON2_OK)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                   "Could not hash the password: %s", argon2_error_message (rc));
      g_free (encoded);
      return NULL;
    }

  return encoded;
}

gboolean
cd_auth_verify_password (const char *encoded,
                         const char *password)
{
  if (encoded == NULL || password == NULL || !g_str_has_prefix (encoded, "$argon2id$"))
    return FALSE;

  return argon2id_verify (encoded, password, strlen (password)) == ARGON2_OK;
}

void
cd_auth_burn_verify (const char *password)
{
  static char *dummy;

  if (g_once_init_enter (&dummy))
    g_once_init_leave (&dummy, cd_auth_hash_password ("crewdesk-no-such-user", NULL));

  (void) cd_auth_verify_password (dummy, password ? password : "");
}

char *
cd_auth_new_token (void)
{
  guint8 bytes[32];
  GString *hex = g_string_sized_new (sizeof bytes * 2);

  random_bytes (bytes, sizeof bytes);
  for (gsize i = 0; i < sizeof bytes; i++)
    g_string_append_printf (hex, "%02x", bytes[i]);

  return g_string_free (hex, FALSE);
}

char *
cd_auth_token_digest (const char *token)
{
  return g_compute_checksum_for_string (G_CHECKSUM_SHA256, token, -1);
}

/* Throttle ---------------------------------------------------------------- */

#define ADDRESS_FACTOR 5

typedef struct
{
  guint  failures;
  gint64 first;
} Strikes;

struct _CdThrottle
{
  GMutex      lock;
  guint       max_failures;
  gint64      window;
  GHashTable *strikes; /* "u:name" or "a:address" -> Strikes */
};

CdThrottle *
cd_throttle_new (guint  max_failures,
                 gint64 window)
{
  CdThrottle *self = g_new0 (CdThrottle, 1);

  g_mutex_init (&self->lock);
  self->max_failures = max_failures;
  self->window = window;
  self->strikes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  return self;
}

void
cd_throttle_free (CdThrottle *self)
{
  if (self == NULL)
    return;

  g_hash_table_unref (self->strikes);
  g_mutex_clear (&self->lock);
  g_free (self);
}

static gint64
wait_for (CdThrottle *self,
          const char *key,
          guint       max_failures,
          gint64      now)
{
  Strikes *s = g_hash_table_lookup (self->strikes, key);

  if (s == NULL)
    return 0;
  if (now - s->first >= self->window)
    {
      g_hash_table_remove (self->strikes, key);
      return 0;
    }
  if (s->failures < max_failures)
    return 0;

  return s->first + self->window - now;
}

gint64
cd_throttle_check (CdThrottle *self,
                   const char *username,
                   const char *client,
                   gint64      now)
{
  g_autofree char *ukey = g_strconcat ("u:", username ? username : "", NULL);
  g_autofree char *akey = g_strconcat ("a:", client ? client : "", NULL);
  gint64 wait;

  g_mutex_lock (&self->lock);
  /* An address gets more tries than a name: one office behind NAT shares
   * an address, and one colleague's typos must not lock out the rest. */
  wait = MAX (wait_for (self, ukey, self->max_failures, now),
              wait_for (self, akey, self->max_failures * ADDRESS_FACTOR, now));
  g_mutex_unlock (&self->lock);

  return wait;
}

static void
strike (CdThrottle *self,
        char       *key,
        gint64      now)
{
  Strikes *s = g_hash_table_lookup (self->strikes, key);

  if (s == NULL || now - s->first >= self->window)
    {
      s = g_new0 (Strikes, 1);
      s->first = now;
      g_hash_table_replace (self->strikes, key, s);
    }
  else
    g_free (key);

  s->failures++;
}

void
cd_throttle_record_failure (CdThrottle *self,
                            const char *username,
                            const char *client,
                            gint64      now)
{
  g_mutex_lock (&self->lock);
  strike (self, g_strconcat ("u:", username ? username : "", NULL), now);
  strike (self, g_strconcat ("a:", client ? client : "", NULL), now);
  g_mutex_unlock (&self->lock);
}


/* A good password clears the user's strikes, not the address's: a guesser
 * who knows one password must not reset the count for every other name. */
void
cd_throttle_record_success (CdThrottle *self,
                            const char *username,
                            const char *client)
{
  g_autofree char *ukey = g_strconcat ("u:", username ? username : "", NULL);

  g_mutex_lock (&self->lock);
  g_hash_table_remove (self->strikes, ukey);
  g_mutex_unlock (&self->lock);
}
