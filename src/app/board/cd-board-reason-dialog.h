/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-board-reason-dialog.h: asks why a dispatcher overrides the
 * automatic proposal: quick choices and free text. Responses "cancel"
 * and "assign"; "assign" is enabled once the reason is complete. */
#pragma once

#include <adwaita.h>

#include "cd-board-logic.h"

G_BEGIN_DECLS

#define CD_TYPE_BOARD_REASON_DIALOG (cd_board_reason_dialog_get_type ())
G_DECLARE_FINAL_TYPE (CdBoardReasonDialog, cd_board_reason_dialog, CD, BOARD_REASON_DIALOG, AdwMessageDialog)

/* @body: the sentence that says what is overridden. */
CdBoardReasonDialog *cd_board_reason_dialog_new        (GtkWindow           *parent,
                                                        const char          *body);
/* -1 while nothing is chosen. */
gint                 cd_board_reason_dialog_get_reason (CdBoardReasonDialog *self);
void                 cd_board_reason_dialog_set_reason (CdBoardReasonDialog *self,
                                                        CdBoardReason        reason,
                                                        const char          *details);
/* The reason to record (cd_board_reason_compose()), or NULL. */
char                *cd_board_reason_dialog_dup_recorded (CdBoardReasonDialog *self);

G_END_DECLS
