/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-auth.h: password hashing (argon2id), session tokens, and the
 * throttle that slows down password guessing. */
#pragma once

#include <glib.h>

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

G_END_DECLS
