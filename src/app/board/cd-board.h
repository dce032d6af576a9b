/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-board.h: the dispatch board, an "Unassigned" column and one column
 * per crew; cards are dragged (or moved from the keyboard and the context
 * menu) between them to assign, reassign and unassign tickets. */
#pragma once

#include <adwaita.h>

#include "cd-context.h"

G_BEGIN_DECLS

#define CD_TYPE_BOARD (cd_board_get_type ())
G_DECLARE_FINAL_TYPE (CdBoard, cd_board, CD, BOARD, GtkWidget)

GtkWidget *cd_board_new         (CdContext *context);
CdContext *cd_board_get_context (CdBoard   *self);

G_END_DECLS
