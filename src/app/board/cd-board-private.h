/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-board-private.h: what the board's parts ask of the board, and what
 * the widget tests reach. Not for other features. */
#pragma once

#include "cd-board.h"
#include "cd-board-card.h"
#include "cd-board-column.h"
#include "cd-board-logic.h"
#include "cd-board-plan-dialog.h"
#include "cd-board-reason-dialog.h"

G_BEGIN_DECLS

/* Columns: the drop target's questions. */
CdBoardDrop          _cd_board_hover             (CdBoard        *self,
                                                  CdBoardColumn  *column,
                                                  CdTicket       *ticket,
                                                  char          **message);
gboolean             _cd_board_drop              (CdBoard        *self,
                                                  CdBoardColumn  *column,
                                                  CdTicket       *ticket);

/* A column's selection became non-empty: the others' are cleared. */
void                 _cd_board_column_selected   (CdBoard        *self,
                                                  CdBoardColumn  *column);

/* Cards: a drag starts and ends; the menu and the proposal are asked for. */
void                 _cd_board_drag_begin        (CdBoard        *self,
                                                  CdBoardColumn  *column,
                                                  CdTicket       *ticket);
void                 _cd_board_drag_end          (CdBoard        *self);
void                 _cd_board_popup_menu        (CdBoard        *self,
                                                  GtkWidget      *card,
                                                  double          x,
                                                  double          y);
void                 _cd_board_show_proposal_for (CdBoard        *self,
                                                  GtkWidget      *card);

/* Autoscroll of @scroller while a drag hovers near its edges. */
void                 _cd_board_autoscroll_attach (GtkScrolledWindow *scroller,
                                                  GtkOrientation     orientation);

/* Tests. */
CdBoardColumn       *_cd_board_get_column        (CdBoard        *self,
                                                  const char     *crew_id);
guint                _cd_board_get_n_columns     (CdBoard        *self);
CdBoardReasonDialog *_cd_board_get_reason_dialog (CdBoard        *self);
CdBoardPlanDialog   *_cd_board_get_plan_dialog   (CdBoard        *self);
GtkPopover          *_cd_board_get_chooser       (CdBoard        *self);
GtkPopover          *_cd_board_get_proposal      (CdBoard        *self);
CdBoardUndo         *_cd_board_get_last_undo     (CdBoard        *self);

G_END_DECLS
