/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-dispatch.h: the batch optimizer over model records.
 *
 * Reduces open tickets and crews to the matcher's structs with shared
 * skill and area vocabularies, and solves the minimum-cost assignment of
 * every unassigned, unpinned ticket to the crews' free capacity. The
 * server runs it periodically; the app's "Auto-assign all" shows its plan
 * before applying it through ticket.assign mutations.
 */
#pragma once

#include "cd-crew.h"
#include "cd-match.h"
#include "cd-ticket.h"

G_BEGIN_DECLS

typedef struct {
  CdTicket *ticket;  /* borrowed from the input */
  CdCrew   *crew;    /* borrowed from the input */
  double    cost;    /* the matcher's total for this pair */
} CdDispatchProposal;

/* Which tickets the optimizer may move: open, unassigned, not pinned, new. */
gboolean   cd_dispatch_is_candidate (CdTicket            *ticket);

/* @tickets: every open ticket (assigned ones count towards crew loads);
 * @crews: every crew. Returns the proposals (a GArray of
 * CdDispatchProposal), ordered by ticket creation; tickets left out had
 * no feasible free crew. */
GArray    *cd_dispatch_plan         (const CdMatchParams *params,
                                     GPtrArray           *tickets,
                                     GPtrArray           *crews,
                                     gint64               now,
                                     double              *total_cost,
                                     GError             **error);

G_END_DECLS
