/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-board-proposal.h: the automatic proposal for one ticket, explained:
 * the proposed crew's score broken down (travel, load, area, urgency,
 * total) and the best alternatives, each with its verdict. */
#pragma once

#include <gtk/gtk.h>

#include "cd-crew.h"
#include "cd-match.h"
#include "cd-ticket.h"

G_BEGIN_DECLS

#define CD_TYPE_BOARD_PROPOSAL (cd_board_proposal_get_type ())
G_DECLARE_FINAL_TYPE (CdBoardProposal, cd_board_proposal, CD, BOARD_PROPOSAL, GtkPopover)

CdBoardProposal *cd_board_proposal_new        (void);
/* @crews and @ranking as cd_context_rank_crews() gives them; @ranking
 * NULL with @error_message when the match could not be computed. */
void             cd_board_proposal_set        (CdBoardProposal     *self,
                                               const CdMatchParams *params,
                                               CdTicket            *ticket,
                                               GPtrArray           *crews,
                                               GArray              *ranking,
                                               const char          *error_message);
/* The crew shown as proposed, or NULL. */
CdCrew          *cd_board_proposal_get_crew   (CdBoardProposal *self);

G_END_DECLS
