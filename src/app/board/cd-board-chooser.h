/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-board-chooser.h: "Assign to…": a searchable list of crews with
 * their load and whether they can take the chosen tickets. Activating a
 * crew activates board.assign-to-crew with its id. */
#pragma once

#include <gtk/gtk.h>

#include "cd-context.h"

G_BEGIN_DECLS

#define CD_TYPE_BOARD_CHOOSER (cd_board_chooser_get_type ())
G_DECLARE_FINAL_TYPE (CdBoardChooser, cd_board_chooser, CD, BOARD_CHOOSER, GtkPopover)

CdBoardChooser *cd_board_chooser_new     (void);
/* Fills the list for moving @tickets (CdTicket). */
void            cd_board_chooser_set     (CdBoardChooser *self,
                                          CdContext      *context,
                                          GPtrArray      *tickets);
/* The choices shown (CdBoardChoice items), for tests. */
GListModel     *cd_board_chooser_get_model (CdBoardChooser *self);

#define CD_TYPE_BOARD_CHOICE (cd_board_choice_get_type ())
G_DECLARE_FINAL_TYPE (CdBoardChoice, cd_board_choice, CD, BOARD_CHOICE, GObject)

const char *cd_board_choice_get_crew_id (CdBoardChoice *self);
gboolean    cd_board_choice_get_allowed (CdBoardChoice *self);

G_END_DECLS
