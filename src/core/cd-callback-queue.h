/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-callback-queue.h: the callback agent's queue, the manager's review of
 * second handling, and one ticket's history, as plain data.
 *
 * The rules are the model's: a callback's priority is the number
 * ticket.set_status stored on it when the ticket was resolved (higher
 * first: complaints, then key customers, then repeat reports), a customer
 * is unreachable by cd_callback_is_unreachable() (the rule callback.record
 * applies), and second handling is what callback.record opened.
 *
 * Items hold references to their callback and ticket; the arrays free
 * them (g_array_unref()).
 */
#pragma once

#include "cd-assignment-event.h"
#include "cd-callback.h"
#include "cd-sla-clock.h"
#include "cd-ticket.h"

G_BEGIN_DECLS

/* The callback queue ------------------------------------------------------ */

typedef enum {
  CD_CALLBACK_QUEUE_SORT_DUE,      /* due time, then priority */
  CD_CALLBACK_QUEUE_SORT_PRIORITY, /* priority, then due time */
} CdCallbackQueueSort;

typedef struct {
  gint64               due_before;          /* 0: any; else due_at < due_before */
  const char          *agent;               /* NULL: anyone's; else held by this
                                             * agent or by nobody yet */
  gboolean             include_unreachable; /* add the unreachable ones, after
                                             * the pending ones */
  CdCallbackQueueSort  sort;
} CdCallbackQueueOptions;

typedef struct {
  CdCallback *callback;        /* a reference */
  CdTicket   *ticket;          /* a reference, or NULL when not loaded */
  gint64      due_at;
  gint64      seconds_left;    /* until due_at; negative when overdue */
  gboolean    overdue;         /* now > due_at */
  guint       failed_attempts;
  guint       attempts_left;   /* before the customer counts as unreachable */
  gboolean    unreachable;
} CdCallbackQueueItem;

void    cd_callback_queue_options_init (CdCallbackQueueOptions       *options);
GArray *cd_callback_queue_build        (GPtrArray                    *callbacks,
                                        GPtrArray                    *tickets,
                                        gint64                        now,
                                        const CdCallbackQueueOptions *options);
gint    cd_callback_queue_compare      (const CdCallbackQueueItem    *a,
                                        const CdCallbackQueueItem    *b,
                                        CdCallbackQueueSort           sort);

/* The manager's review ---------------------------------------------------- */

typedef struct {
  CdCallback *callback;     /* a reference */
  CdTicket   *ticket;       /* a reference, or NULL when not loaded */
  char       *owner;        /* callback->second_owner, a copy */
  gint64      deadline;     /* callback->second_deadline, 0 when none */
  gint64      seconds_left; /* until the deadline; negative when overdue */
  gboolean    overdue;      /* a deadline, and now > deadline */
  gboolean    unsatisfied;  /* the customer said so */
  gboolean    unsolved;     /* the problem is not solved */
} CdReviewItem;

GArray *cd_callback_review_list        (GPtrArray                    *callbacks,
                                        GPtrArray                    *tickets,
                                        gint64                        now);

/* One ticket's history ---------------------------------------------------- */

typedef enum {
  CD_HISTORY_CREATED,          /* actor: the first-contact owner */
  CD_HISTORY_ASSIGNED,         /* an assignment event (record); to_crew NULL: unassigned */
  CD_HISTORY_OVERRIDDEN,       /* a manual assignment that replaced the automatic proposal */
  CD_HISTORY_FIRST_RESPONSE,
  CD_HISTORY_ON_SITE,
  CD_HISTORY_PAUSED,           /* record: the CdSlaPause; detail: its reason */
  CD_HISTORY_RESUMED,
  CD_HISTORY_LIMIT_MISSED,     /* at sla_kind's deadline, when it passed before its milestone */
  CD_HISTORY_RESOLVED,
  CD_HISTORY_CLOSED,
  CD_HISTORY_CALLBACK_OVERDUE, /* the callback's due time, once passed before it reached the customer */
  CD_HISTORY_CALLBACK_ATTEMPT, /* record: the CdCallbackAttempt; detail: its note */
  CD_HISTORY_SECOND_OPENED,    /* actor: the owner; detail: the callback's comment */
  CD_HISTORY_SECOND_OVERDUE,   /* the second-handling deadline, once passed before closing */
  CD_HISTORY_SECOND_CLOSED,    /* actor: the reviewer; detail: the conclusion */
} CdHistoryKind;

typedef struct {
  gint64         at;
  CdHistoryKind  kind;
  CdSlaKind      sla_kind;  /* LIMIT_MISSED only */
  CdRecord      *record;    /* a reference: the ticket, event, pause, callback or attempt */
  char          *actor;     /* who, when known */
  char          *detail;    /* a reason, note, comment or conclusion, when there is one */
} CdHistoryEntry;

GArray *cd_history_build               (CdTicket                     *ticket,
                                        GPtrArray                    *events,
                                        GPtrArray                    *callbacks,
                                        CdSlaPolicySet               *policies,
                                        gint64                        now);

G_END_DECLS
