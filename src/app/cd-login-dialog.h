/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-login-dialog.h: sign in: server address, user name, password.
 *
 * Signs in with its own client and emits ::signed-in (server URL, user
 * name, token, CdUser) on success; the application opens the session.
 * In "session ended" mode the server and the user are fixed, so the
 * changes waiting in that user's cache are sent after signing in. */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define CD_TYPE_LOGIN_DIALOG (cd_login_dialog_get_type ())
G_DECLARE_FINAL_TYPE (CdLoginDialog, cd_login_dialog, CD, LOGIN_DIALOG, AdwWindow)

GtkWindow *cd_login_dialog_new              (const char    *server_url,
                                             const char    *username);
/* Fixes server and user, and says why the password is asked again. */
void       cd_login_dialog_set_session_ended (CdLoginDialog *self,
                                             guint          n_waiting);
void       cd_login_dialog_set_password     (CdLoginDialog *self,
                                             const char    *password);
/* What the Sign In button does. */
void       cd_login_dialog_sign_in          (CdLoginDialog *self);
void       cd_login_dialog_show_error       (CdLoginDialog *self,
                                             const char    *message);
const char *cd_login_dialog_get_error       (CdLoginDialog *self);

/* Plain function, tested without a display: "crewdesk.example.org" →
 * "https://crewdesk.example.org"; keeps an explicit http:// (loopback and
 * tests); NULL with an error for what is not a server address. */
char      *cd_login_normalize_server_url    (const char    *text,
                                             GError       **error);

G_END_DECLS
