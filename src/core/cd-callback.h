/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-callback.h: the follow-up call every resolved ticket gets, its
 * attempts, its outcome and, when the customer is unhappy, second handling. */
#pragma once

#include "cd-enums.h"
#include "cd-record.h"

G_BEGIN_DECLS

#define CD_TYPE_CALLBACK_ATTEMPT (cd_callback_attempt_get_type ())
G_DECLARE_FINAL_TYPE (CdCallbackAttempt, cd_callback_attempt, CD, CALLBACK_ATTEMPT, CdRecord)

struct _CdCallbackAttempt
{
  CdRecord parent_instance;

  gint64             at;
  char              *agent;
  CdCallbackOutcome  outcome;
  char              *note;
};

CdCallbackAttempt *cd_callback_attempt_new (gint64             at,
                                            const char        *agent,
                                            CdCallbackOutcome  outcome,
                                            const char        *note);

#define CD_TYPE_CALLBACK (cd_callback_get_type ())
G_DECLARE_FINAL_TYPE (CdCallback, cd_callback, CD, CALLBACK, CdRecord)

/* Failed attempts after which the customer counts as unreachable. */
#define CD_CALLBACK_MAX_FAILED_ATTEMPTS 3

struct _CdCallback
{
  CdRecord parent_instance;

  char             *ticket_id;
  gint64            due_at;
  gint64            priority;      /* higher first: complaints, key customers, repeats */
  CdCallbackStatus  status;
  char             *agent;         /* who holds it */
  GPtrArray        *attempts;      /* of CdCallbackAttempt */
  CdSatisfaction    satisfaction;
  gboolean          solved;
  char             *comment;
  gint64            completed_at;

  /* Second handling, opened by an unsatisfied or unsolved outcome. */
  char             *second_owner;
  gint64            second_deadline;
  gint64            second_opened_at;
  gint64            second_closed_at;
  char             *second_conclusion;
  char             *reviewed_by;

  gint64            updated_at;
};

CdCallback *cd_callback_new                  (void);
guint       cd_callback_count_failed_attempts (CdCallback *self);
guint       cd_callback_attempts_left         (CdCallback *self);
gboolean    cd_callback_is_unreachable        (CdCallback *self);
gboolean    cd_callback_needs_second_handling (CdCallback *self);

G_END_DECLS
