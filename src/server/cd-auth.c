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

/* The token cache ---------------------------------------------------------- */

typedef struct
{
  char    *user_id;
  GObject *user;
  gint64   expires_at;  /* the session's end, server clock */
  gint64   checked_at;  /* when it was read from the store */
} TokenEntry;

struct _CdTokenCache
{
  GMutex      lock;
  GHashTable *entries;     /* token digest -> TokenEntry */
  guint64     generation;  /* raised by every removal */
  guint       max_entries;
  gint64      revalidate;  /* seconds */
};

static void
token_entry_free (gpointer data)
{
  TokenEntry *entry = data;

  g_free (entry->user_id);
  g_clear_object (&entry->user);
  g_free (entry);
}

CdTokenCache *
cd_token_cache_new (guint  max_entries,
                    gint64 revalidate)
{
  CdTokenCache *self = g_new0 (CdTokenCache, 1);

  g_mutex_init (&self->lock);
  self->entries = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, token_entry_free);
  self->max_entries = MAX (max_entries, 1);
  self->revalidate = revalidate;
  return self;
}

void
cd_token_cache_free (CdTokenCache *self)
{
  if (self == NULL)
    return;

  g_hash_table_unref (self->entries);
  g_mutex_clear (&self->lock);
  g_free (self);
}

gpointer
cd_token_cache_lookup (CdTokenCache *self,
                       const char   *digest,
                       gint64        now,
                       gint64       *expires_at)
{
  TokenEntry *entry;
  gpointer user = NULL;

  g_mutex_lock (&self->lock);
  entry = g_hash_table_lookup (self->entries, digest);
  if (entry != NULL && (now >= entry->expires_at || now >= entry->checked_at + self->revalidate ||
                        now < entry->checked_at))
    {
      /* Expired, or time to read the store again (the clock going back
       * counts too). */
      g_hash_table_remove (self->entries, digest);
      entry = NULL;
    }
  if (entry != NULL)
    {
      user = g_object_ref (entry->user);
      if (expires_at != NULL)
        *expires_at = entry->expires_at;
    }
  g_mutex_unlock (&self->lock);

  return user;
}

guint64
cd_token_cache_generation (CdTokenCache *self)
{
  guint64 generation;

  g_mutex_lock (&self->lock);
  generation = self->generation;
  g_mutex_unlock (&self->lock);

  return generation;
}

/* Makes room: expired entries first, then any, until a tenth is free. */
static void
token_cache_evict (CdTokenCache *self,
                   gint64        now)
{
  GHashTableIter iter;
  gpointer value;
  guint target = self->max_entries - MAX (self->max_entries / 10, 1);

  g_hash_table_iter_init (&iter, self->entries);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (now >= ((TokenEntry *) value)->expires_at)
      g_hash_table_iter_remove (&iter);

  g_hash_table_iter_init (&iter, self->entries);
  while (g_hash_table_size (self->entries) > target && g_hash_table_iter_next (&iter, NULL, NULL))
    g_hash_table_iter_remove (&iter);
}

void
cd_token_cache_insert (CdTokenCache *self,
                       const char   *digest,
                       const char   *user_id,
                       gpointer      user,
                       gint64        expires_at,
                       gint64        now,
                       guint64       generation)
{
  TokenEntry *entry;

  g_return_if_fail (G_IS_OBJECT (user));

  g_mutex_lock (&self->lock);
  /* A removal since the caller read the store may concern what it read:
   * then it is not kept. */
  if (generation == self->generation && now < expires_at)
    {
      if (g_hash_table_size (self->entries) >= self->max_entries &&
          !g_hash_table_contains (self->entries, digest))
        token_cache_evict (self, now);

      entry = g_new0 (TokenEntry, 1);
      entry->user_id = g_strdup (user_id);
      entry->user = g_object_ref (user);
      entry->expires_at = expires_at;
      entry->checked_at = now;
      g_hash_table_replace (self->entries, g_strdup (digest), entry);
    }
  g_mutex_unlock (&self->lock);
}

void
cd_token_cache_remove (CdTokenCache *self,
                       const char   *digest)
{
  g_mutex_lock (&self->lock);
  g_hash_table_remove (self->entries, digest);
  self->generation++;
  g_mutex_unlock (&self->lock);
}

void
cd_token_cache_remove_user (CdTokenCache *self,
                            const char   *user_id)
{
  GHashTableIter iter;
  gpointer value;

  g_mutex_lock (&self->lock);
  g_hash_table_iter_init (&iter, self->entries);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (g_strcmp0 (((TokenEntry *) value)->user_id, user_id) == 0)
      g_hash_table_iter_remove (&iter);
  self->generation++;
  g_mutex_unlock (&self->lock);
}

guint
cd_token_cache_get_size (CdTokenCache *self)
{
  guint size;

  g_mutex_lock (&self->lock);
  size = g_hash_table_size (self->entries);
  g_mutex_unlock (&self->lock);

  return size;
}
