/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-assignment-event.h: who gave a ticket to which crew, when and why,
 * and for a manual override, the automatic proposal it replaced. */
#pragma once

#include "cd-enums.h"
#include "cd-record.h"

G_BEGIN_DECLS

#define CD_TYPE_ASSIGNMENT_EVENT (cd_assignment_event_get_type ())
G_DECLARE_FINAL_TYPE (CdAssignmentEvent, cd_assignment_event, CD, ASSIGNMENT_EVENT, CdRecord)

struct _CdAssignmentEvent
{
  CdRecord parent_instance;

  char               *ticket_id;
  char               *from_crew;
  char               *to_crew;       /* NULL: unassigned */
  char               *actor;         /* username, or "auto-dispatch" */
  gint64              at;
  CdAssignmentSource  source;
  double              score;         /* the matcher's cost of to_crew */
  char               *proposed_crew; /* the automatic proposal overridden */
  double              proposed_score;
  char               *reason;
};

CdAssignmentEvent *cd_assignment_event_new (void);

G_END_DECLS
