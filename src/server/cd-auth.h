/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-auth.h: password hashing (argon2id), session tokens, and the
 * throttle that slows down password guessing. */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

char     *cd_auth_hash_password   (const char *password,
                                   GError    **error);
gboolean  cd_auth_verify_password (const char *encoded,
                                   const char *password);
/* Runs a verification against a fixed hash, so an unknown user takes as
 * long to refuse as a wrong password. */
void      cd_auth_burn_verify     (const char *password);

/* 32 random bytes from the kernel, as 64 hex digits. */
char     *cd_auth_new_token       (void);
/* What the store keeps instead of the token: a database leak yields no
 * usable session. */
char     *cd_auth_token_digest    (const char *token);

typedef struct _CdThrottle CdThrottle;

/* After @max_failures failed logins for one user name, or five times as
 * many from one address, inside @window seconds, further attempts are
 * refused until the window has passed. */
CdThrottle *cd_throttle_new            (guint        max_failures,
                                        gint64       window);
void        cd_throttle_free           (CdThrottle  *self);
/* Seconds to wait before a new attempt, 0 when one may be made now. */
gint64      cd_throttle_check          (CdThrottle  *self,
                                        const char  *username,
                                        const char  *client,
                                        gint64       now);
void        cd_throttle_record_failure (CdThrottle  *self,
                                        const char  *username,
                                        const char  *client,
                                        gint64       now);
void        cd_throttle_record_success (CdThrottle  *self,
                                        const char  *username,
                                        const char  *client);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CdThrottle, cd_throttle_free)

/* Sessions already looked up, by token digest: a request with a known
 * token costs no store read. Bounded (an arbitrary tenth is dropped when
 * full), an entry lives until its session expires or @revalidate seconds
 * after it was read, whichever comes first (what another process changed
 * in the file is seen by then), and removals take effect at once. A
 * reader takes the generation before it reads the store and passes it to
 * cd_token_cache_insert(), which keeps nothing if a removal came in
 * between (it may have read what was being removed). */
typedef struct _CdTokenCache CdTokenCache;

CdTokenCache *cd_token_cache_new         (guint         max_entries,
                                          gint64        revalidate);
void          cd_token_cache_free        (CdTokenCache *self);
/* The user (a new reference) of a session valid at @now, or NULL. */
gpointer      cd_token_cache_lookup      (CdTokenCache *self,
                                          const char   *digest,
                                          gint64        now,
                                          gint64       *expires_at);
guint64       cd_token_cache_generation  (CdTokenCache *self);
void          cd_token_cache_insert      (CdTokenCache *self,
                                          const char   *digest,
                                          const char   *user_id,
                                          gpointer      user,
                                          gint64        expires_at,
                                          gint64        now,
                                          guint64       generation);
void          cd_token_cache_remove      (CdTokenCache *self,
                                          const char   *digest);
/* Every session of a user: logged out, changed or deactivated. */
void          cd_token_cache_remove_user (CdTokenCache *self,
                                          const char   *user_id);
guint         cd_token_cache_get_size    (CdTokenCache *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CdTokenCache, cd_token_cache_free)

G_END_DECLS
