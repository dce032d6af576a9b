/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-board-plan-dialog.h: "Auto-Assign": the batch optimizer's proposed
 * assignments (ticket → crew, cost), one checkbox each. Responses
 * "cancel" and "apply". */
#pragma once

#include <adwaita.h>

#include "cd-dispatch.h"

G_BEGIN_DECLS

#define CD_TYPE_BOARD_PLAN_DIALOG (cd_board_plan_dialog_get_type ())
G_DECLARE_FINAL_TYPE (CdBoardPlanDialog, cd_board_plan_dialog, CD, BOARD_PLAN_DIALOG, AdwMessageDialog)

/* @plan: of CdDispatchProposal; the tickets and crews are referenced. */
CdBoardPlanDialog *cd_board_plan_dialog_new         (GtkWindow         *parent,
                                                     GArray            *plan,
                                                     gint64             now,
                                                     const CdMatchParams *params);
guint              cd_board_plan_dialog_get_n_items (CdBoardPlanDialog *self);
gboolean           cd_board_plan_dialog_get_chosen  (CdBoardPlanDialog *self,
                                                     guint              index);
void               cd_board_plan_dialog_set_chosen  (CdBoardPlanDialog *self,
                                                     guint              index,
                                                     gboolean           chosen);
/* The chosen proposals: ticket, crew (new references), pairs in order. */
GPtrArray         *cd_board_plan_dialog_dup_chosen  (CdBoardPlanDialog *self);

G_END_DECLS
