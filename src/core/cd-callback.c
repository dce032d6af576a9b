/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "cd-callback.h"
#include "cd-enum-types.h"

G_DEFINE_FINAL_TYPE (CdCallbackAttempt, cd_callback_attempt, CD_TYPE_RECORD)
G_DEFINE_FINAL_TYPE (CdCallback, cd_callback, CD_TYPE_RECORD)

#define A(name) G_STRUCT_OFFSET (CdCallbackAttempt, name)

static const CdField attempt_fields[] = {
  { "at", NULL, CD_FIELD_TIME, A (at), CD_FIELD_REQUIRED },
  { "agent", NULL, CD_FIELD_STRING, A (agent), CD_FIELD_REQUIRED, 64 },
  { "outcome", NULL, CD_FIELD_ENUM, A (outcome), CD_FIELD_REQUIRED, 0, 0, 0, cd_callback_outcome_get_type },
  { "note", NULL, CD_FIELD_STRING, A (note), 0, 500 },
};

#define B(name) G_STRUCT_OFFSET (CdCallback, name)

static const CdField callback_fields[] = {
  { "ticket_id", NULL, CD_FIELD_UUID, B (ticket_id), CD_FIELD_REQUIRED, 36 },
  { "due_at", NULL, CD_FIELD_TIME, B (due_at), CD_FIELD_REQUIRED },
  { "priority", NULL, CD_FIELD_INT, B (priority), 0, 0, 0, 100 },
  { "status", NULL, CD_FIELD_ENUM, B (status), 0, 0, 0, 0, cd_callback_status_get_type },
  { "agent", NULL, CD_FIELD_STRING, B (agent), 0, 64 },
  { "attempts", NULL, CD_FIELD_LIST, B (attempts), 0, 32, 0, 0, cd_callback_attempt_get_type },
  { "satisfaction", NULL, CD_FIELD_ENUM, B (satisfaction), 0, 0, 0, 0, cd_satisfaction_get_type },
  { "solved", NULL, CD_FIELD_BOOLEAN, B (solved) },
  { "comment", NULL, CD_FIELD_STRING, B (comment), 0, 2000 },
  { "completed_at", NULL, CD_FIELD_TIME, B (completed_at) },
  { "owner", "second_handling", CD_FIELD_STRING, B (second_owner), 0, 64 },
  { "deadline", "second_handling", CD_FIELD_TIME, B (second_deadline) },
  { "opened_at", "second_handling", CD_FIELD_TIME, B (second_opened_at) },
  { "closed_at", "second_handling", CD_FIELD_TIME, B (second_closed_at) },
  { "conclusion", "second_handling", CD_FIELD_STRING, B (second_conclusion), 0, 2000 },
  { "reviewed_by", "second_handling", CD_FIELD_STRING, B (reviewed_by), 0, 64 },
  { "updated_at", NULL, CD_FIELD_TIME, B (updated_at) },
};

static void
cd_callback_attempt_class_init (CdCallbackAttemptClass *klass)
{
  cd_record_class_install_fields (CD_RECORD_CLASS (klass), "callback_attempt", FALSE,
                                  attempt_fields, G_N_ELEMENTS (attempt_fields));
}

static void
cd_callback_attempt_init (CdCallbackAttempt *self)
{
}

static void
cd_callback_class_init (CdCallbackClass *klass)
{
  cd_record_class_install_fields (CD_RECORD_CLASS (klass), "callback", TRUE,
                                  callback_fields, G_N_ELEMENTS (callback_fields));
}

static void
cd_callback_init (CdCallback *self)
{
}

CdCallbackAttempt *
cd_callback_attempt_new (gint64             at,
                         const char        *agent,
                         CdCallbackOutcome  outcome,
                         const char        *note)
{
  return g_object_new (CD_TYPE_CALLBACK_ATTEMPT,
                       "at", at, "agent", agent, "outcome", outcome, "note", note,
                       NULL);
}

CdCallback *
cd_callback_new (void)
{
  return g_object_new (CD_TYPE_CALLBACK, NULL);
}

guint
cd_callback_count_failed_attempts (CdCallback *self)
{
  guint failed = 0;

  g_return_val_if_fail (CD_IS_CALLBACK (self), 0);

  for (guint i = 0; self->attempts && i < self->attempts->len; i++)
    {
      CdCallbackAttempt *attempt = g_ptr_array_index (self->attempts, i);

      if (attempt->outcome != CD_CALLBACK_OUTCOME_REACHED)
        failed++;
    }

  return failed;
}

/**
 * cd_callback_attempts_left:
 *
 * Returns: the failed attempts an agent may still make before the customer
 *   counts as unreachable; 0 once the callback is no longer pending
 */
guint
cd_callback_attempts_left (CdCallback *self)
{
  guint failed;

  g_return_val_if_fail (CD_IS_CALLBACK (self), 0);

  if (self->status != CD_CALLBACK_STATUS_PENDING)
    return 0;

  failed = cd_callback_count_failed_attempts (self);
  return failed < CD_CALLBACK_MAX_FAILED_ATTEMPTS ? CD_CALLBACK_MAX_FAILED_ATTEMPTS - failed : 0;
}

/**
 * cd_callback_is_unreachable:
 *
 * The rule callback.record applies: a callback that reached nobody after
 * %CD_CALLBACK_MAX_FAILED_ATTEMPTS failed attempts is unreachable. A
 * pending callback that already has that many failures (a copy the
 * mutation has not finished with) counts too.
 */
gboolean
cd_callback_is_unreachable (CdCallback *self)
{
  g_return_val_if_fail (CD_IS_CALLBACK (self), FALSE);

  switch (self->status)
    {
    case CD_CALLBACK_STATUS_UNREACHABLE:
      return TRUE;
    case CD_CALLBACK_STATUS_PENDING:
      return self->completed_at == 0 &&
             cd_callback_count_failed_attempts (self) >= CD_CALLBACK_MAX_FAILED_ATTEMPTS;
    case CD_CALLBACK_STATUS_DONE:
    case CD_CALLBACK_STATUS_SECOND_HANDLING:
    case CD_CALLBACK_STATUS_CLOSED:
    default:
      return FALSE;
    }
}

/* An unsatisfied customer, or a problem not solved, reopens the work. */
gboolean
cd_callback_needs_second_handling (CdCallback *self)
{
  g_return_val_if_fail (CD_IS_CALLBACK (self), FALSE);

  if (self->completed_at == 0)
    return FALSE;

  return self->satisfaction == CD_SATISFACTION_UNSATISFIED || !self->solved;
}
