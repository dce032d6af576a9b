/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-callbacks-close-dialog.h: "Close Second Handling?", asking the
 * manager for the conclusion (required) before callback.close. */
#pragma once

#include <adwaita.h>

#include "cd-ticket.h"

G_BEGIN_DECLS

#define CD_TYPE_CALLBACKS_CLOSE_DIALOG (cd_callbacks_close_dialog_get_type ())
G_DECLARE_FINAL_TYPE (CdCallbacksCloseDialog, cd_callbacks_close_dialog, CD, CALLBACKS_CLOSE_DIALOG,
                      AdwMessageDialog)

CdCallbacksCloseDialog *cd_callbacks_close_dialog_new            (GtkWindow              *parent,
                                                                  CdTicket               *ticket);
/* The conclusion as typed, not trimmed (a new string). */
char                   *cd_callbacks_close_dialog_dup_conclusion (CdCallbacksCloseDialog *self);
void                    cd_callbacks_close_dialog_set_conclusion (CdCallbacksCloseDialog *self,
                                                                  const char             *conclusion);

G_END_DECLS
