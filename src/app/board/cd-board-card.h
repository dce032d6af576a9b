/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-board-card.h: a ticket on the board (the list row widget, with an
 * "item" property): number, category, urgency, a live SLA countdown,
 * the address, and marks for waiting changes and manual pins. */
#pragma once

#include <gtk/gtk.h>

#include "cd-ticket.h"

G_BEGIN_DECLS

#define CD_TYPE_BOARD_CARD (cd_board_card_get_type ())
G_DECLARE_FINAL_TYPE (CdBoardCard, cd_board_card, CD, BOARD_CARD, GtkWidget)

CdTicket *cd_board_card_get_item (CdBoardCard *self);
void      cd_board_card_set_item (CdBoardCard *self,
                                  CdTicket    *item);

G_END_DECLS
