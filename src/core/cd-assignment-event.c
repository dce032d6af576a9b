/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "cd-assignment-event.h"
#include "cd-enum-types.h"

G_DEFINE_FINAL_TYPE (CdAssignmentEvent, cd_assignment_event, CD_TYPE_RECORD)

#define E(name) G_STRUCT_OFFSET (CdAssignmentEvent, name)

static const CdField event_fields[] = {
  { "ticket_id", NULL, CD_FIELD_UUID, E (ticket_id), CD_FIELD_REQUIRED, 36 },
  { "from_crew", NULL, CD_FIELD_UUID, E (from_crew), 0, 36 },
  { "to_crew", NULL, CD_FIELD_UUID, E (to_crew), 0, 36 },
  { "actor", NULL, CD_FIELD_STRING, E (actor), CD_FIELD_REQUIRED, 64 },
  { "at", NULL, CD_FIELD_TIME, E (at), CD_FIELD_REQUIRED },
  { "source", NULL, CD_FIELD_ENUM, E (source), CD_FIELD_REQUIRED, 0, 0, 0, cd_assignment_source_get_type },
  { "score", NULL, CD_FIELD_DOUBLE, E (score) },
  { "proposed_crew", NULL, CD_FIELD_UUID, E (proposed_crew), 0, 36 },
  { "proposed_score", NULL, CD_FIELD_DOUBLE, E (proposed_score) },
  { "reason", NULL, CD_FIELD_STRING, E (reason), 0, 500 },
};

static void
cd_assignment_event_class_init (CdAssignmentEventClass *klass)
{
  cd_record_class_install_fields (CD_RECORD_CLASS (klass), "assignment_event", TRUE,
                                  event_fields, G_N_ELEMENTS (event_fields));
}

static void
cd_assignment_event_init (CdAssignmentEvent *self)
{
}

CdAssignmentEvent *
cd_assignment_event_new (void)
{
  return g_object_new (CD_TYPE_ASSIGNMENT_EVENT, NULL);
}
