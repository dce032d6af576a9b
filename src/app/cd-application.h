/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-application.h: the app object: sign-in, the session, windows.
 *
 * Starting: with a remembered server and user the session opens at once
 * from the local cache, reachable server or not, and starts syncing when
 * the kept token is found (looked up in a worker thread: the window never
 * waits for the Secret Service), or asks for the password when there is
 * none; otherwise the sign-in dialog comes first. When the server ends
 * the session, the dialog asks for the password again and the waiting
 * changes stay. Tokens are saved and forgotten in the same worker, in
 * order; the application stays until that is done, even after Quit. */
#pragma once

#include <adwaita.h>

#include "cd-context.h"

G_BEGIN_DECLS

#define CD_TYPE_APPLICATION (cd_application_get_type ())
G_DECLARE_FINAL_TYPE (CdApplication, cd_application, CD, APPLICATION, AdwApplication)

CdApplication *cd_application_new          (void);
/* The session's context, or NULL while nobody is signed in. */
CdContext     *cd_application_get_context  (CdApplication *self);

G_END_DECLS
