/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-board-column.h: one column of the board: the open tickets of one
 * crew (or the unassigned ones) as a virtualized list of cards, under a
 * header with the crew's status, load and ETA, and a drop target. */
#pragma once

#include <gtk/gtk.h>

#include "cd-context.h"

G_BEGIN_DECLS

typedef enum {
  CD_BOARD_COLUMN_DROP_NONE,
  CD_BOARD_COLUMN_DROP_ACCEPT,
  CD_BOARD_COLUMN_DROP_WARN,
  CD_BOARD_COLUMN_DROP_REFUSE,
} CdBoardColumnDrop;

#define CD_TYPE_BOARD_COLUMN (cd_board_column_get_type ())
G_DECLARE_FINAL_TYPE (CdBoardColumn, cd_board_column, CD, BOARD_COLUMN, GtkWidget)

/* @crew: NULL for the Unassigned column. */
CdBoardColumn     *cd_board_column_new            (CdContext      *context,
                                                   CdCrew         *crew);
CdContext         *cd_board_column_get_context    (CdBoardColumn  *self);
CdCrew            *cd_board_column_get_crew       (CdBoardColumn  *self);
const char        *cd_board_column_get_crew_id    (CdBoardColumn  *self);
/* The column's cards: the context's tickets, filtered by crew, sorted. */
GtkSelectionModel *cd_board_column_get_selection  (CdBoardColumn  *self);
GtkListView       *cd_board_column_get_list_view  (CdBoardColumn  *self);
GtkDropTarget     *cd_board_column_get_drop_target (CdBoardColumn *self);
gboolean           cd_board_column_contains       (CdBoardColumn  *self,
                                                   CdTicket       *ticket,
                                                   guint          *position);
/* The selected tickets, in the column's order (new references). */
GPtrArray         *cd_board_column_dup_selected   (CdBoardColumn  *self);
void               cd_board_column_refilter       (CdBoardColumn  *self);
void               cd_board_column_resort         (CdBoardColumn  *self);
/* Highlights the column while a drag hovers it; @message says why a
 * drop would be refused (or the warning). */
void               cd_board_column_set_drop_state (CdBoardColumn     *self,
                                                   CdBoardColumnDrop  state,
                                                   const char        *message);
CdBoardColumnDrop  cd_board_column_get_drop_state (CdBoardColumn  *self);
const char        *cd_board_column_get_drop_message (CdBoardColumn *self);

G_END_DECLS
