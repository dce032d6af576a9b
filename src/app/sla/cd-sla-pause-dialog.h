/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-sla-pause-dialog.h: asks before a ticket's time limits pause (with
 * the reason, required) or resume. Responses "cancel" and "pause", or
 * "cancel" and "resume"; "pause" is enabled once the reason passes
 * cd_sla_check_reason(). */
#pragma once

#include <adwaita.h>

#include "cd-ticket.h"

G_BEGIN_DECLS

#define CD_TYPE_SLA_PAUSE_DIALOG (cd_sla_pause_dialog_get_type ())
G_DECLARE_FINAL_TYPE (CdSlaPauseDialog, cd_sla_pause_dialog, CD, SLA_PAUSE_DIALOG, AdwMessageDialog)

/* @resume: FALSE to pause @ticket, TRUE to resume it; @now: server time. */
CdSlaPauseDialog *cd_sla_pause_dialog_new           (GtkWindow        *parent,
                                                     CdTicket         *ticket,
                                                     gboolean          resume,
                                                     gint64            now);
CdTicket         *cd_sla_pause_dialog_get_ticket    (CdSlaPauseDialog *self);
gboolean          cd_sla_pause_dialog_get_resume    (CdSlaPauseDialog *self);
void              cd_sla_pause_dialog_set_reason    (CdSlaPauseDialog *self,
                                                     const char       *reason);
/* The reason as typed, or NULL. */
const char       *cd_sla_pause_dialog_get_reason    (CdSlaPauseDialog *self);

G_END_DECLS
