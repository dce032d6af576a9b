/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-sync-credentials.h: the session token kept between starts.
 *
 * One token per server address and user name. It goes to the Secret
 * Service (libsecret) when one answers; otherwise, or when the
 * environment variable CREWDESK_CREDENTIALS is "file", to a key file
 * readable by the user alone (mode 0600, in a 0700 folder):
 * $XDG_CONFIG_HOME/crewdesk/credentials, replaced atomically on every
 * change. A lookup asks the Secret Service first, then the file, so a
 * token saved while the service was away is still found.
 *
 * Several processes may save and forget at once: each change to the
 * file holds a lock (credentials.lock beside it, also 0600) from
 * reading the file to replacing it, so none undoes another's. A lock
 * held by a process that died is let go by the kernel; one held by a
 * live process for more than 10 seconds makes the change fail.
 *
 * The functions block (D-Bus, disk): call them from a worker thread in
 * the UI. Errors are CD_SYNC_ERROR_FAILED with a sentence for the user.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* "file": never use the Secret Service. */
#define CD_SYNC_CREDENTIALS_ENV "CREWDESK_CREDENTIALS"

gboolean  cd_sync_credentials_store     (const char  *server_url,
                                         const char  *username,
                                         const char  *token,
                                         GError     **error);
/* Returns: (transfer full) (nullable): the token, or %NULL without an
 * error when none is kept. */
char     *cd_sync_credentials_lookup    (const char  *server_url,
                                         const char  *username,
                                         GError     **error);
/* Forgetting a token that is not kept succeeds. */
gboolean  cd_sync_credentials_forget    (const char  *server_url,
                                         const char  *username,
                                         GError     **error);
/* The file used when there is no Secret Service. */
char     *cd_sync_credentials_file_path (void);

/* For tests only: how long a change to the file waits for a lock held
 * elsewhere (0: the default, 10 seconds), and a function called while
 * the lock is held, after the file was read and before it is replaced
 * (%NULL: none). Call before anything else here; not thread-safe. */
typedef void (*CdSyncCredentialsLockedFunc) (gpointer user_data);
void      cd_sync_credentials_set_test_hooks (guint                       timeout_ms,
                                              CdSyncCredentialsLockedFunc func,
                                              gpointer                    user_data);

G_END_DECLS
