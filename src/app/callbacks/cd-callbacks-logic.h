/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-callbacks-logic.h: the Callbacks view's decisions, without GTK.
 *
 * What the callback agent's form and the manager's review decide before
 * anything reaches the outbox: which fields of the form apply, whether it
 * is complete (and, if not, what is missing, in a sentence), the
 * callback.record and callback.close arguments, what recording will do
 * (an attempt, an unreachable customer, second handling) by the model's
 * own rules, the priority marks of a ticket, how a deadline reads, the
 * words and icons of a ticket's history, and how a list store follows a
 * freshly read queue without losing its objects. Plain functions over
 * model objects, tested without a display.
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "cd-callback-queue.h"
#include "cd-callback.h"
#include "cd-mutation.h"
#include "cd-ticket.h"
#include "cd-user.h"

G_BEGIN_DECLS

#define CD_CALLBACKS_ERROR (cd_callbacks_error_quark ())

typedef enum {
  CD_CALLBACKS_ERROR_INCOMPLETE, /* a required answer is missing */
  CD_CALLBACKS_ERROR_TOO_LONG,   /* a text is over the protocol's limit */
} CdCallbacksError;

GQuark cd_callbacks_error_quark (void);

/* The protocol's limits, in bytes (cd-mutation.c's argument table). */
#define CD_CALLBACKS_NOTE_MAX       500
#define CD_CALLBACKS_COMMENT_MAX    2000
#define CD_CALLBACKS_OWNER_MAX      64
#define CD_CALLBACKS_CONCLUSION_MAX 2000

/* The recording form --------------------------------------------------------- */

typedef struct {
  gint        outcome;      /* CdCallbackOutcome, or -1: not chosen yet */
  gint        satisfaction; /* CdSatisfaction; CD_SATISFACTION_UNKNOWN: not chosen */
  gint        solved;       /* -1: not answered, 0: no, 1: yes */
  const char *comment;      /* the agent's words; NULL or "" for none */
  const char *owner;        /* username of the second-handling owner, or NULL */
} CdCallbacksForm;

void cd_callbacks_form_init (CdCallbacksForm *form);

typedef enum {
  CD_CALLBACKS_FIELD_SATISFACTION = 1 << 0,
  CD_CALLBACKS_FIELD_SOLVED       = 1 << 1,
  CD_CALLBACKS_FIELD_COMMENT      = 1 << 2,
  CD_CALLBACKS_FIELD_OWNER        = 1 << 3,
} CdCallbacksFields;

/* The fields that apply besides the outcome: satisfaction and solved once
 * the customer was reached; the owner once the answers open second
 * handling; the comment always (a note on a failed attempt). */
CdCallbacksFields cd_callbacks_form_fields         (const CdCallbacksForm *form);
/* Whether these answers open second handling (reached, and unsatisfied
 * or not solved), as cd_callback_needs_second_handling() decides. */
gboolean          cd_callbacks_form_opens_second   (const CdCallbacksForm *form);
/* The callback.record arguments, or NULL with a CD_CALLBACKS_ERROR whose
 * message says what to answer or shorten. Text is trimmed; an empty
 * comment is left out. Reached: outcome, satisfaction, solved, comment,
 * and owner when second handling opens. Otherwise: outcome and the
 * comment as the attempt's note. */
JsonObject       *cd_callbacks_form_build_args     (const CdCallbacksForm *form,
                                                    GError               **error);

/* What recording these answers on @callback will do. */
typedef enum {
  CD_CALLBACKS_RESULT_ATTEMPT,      /* a failed attempt; still pending */
  CD_CALLBACKS_RESULT_UNREACHABLE,  /* the last allowed failed attempt */
  CD_CALLBACKS_RESULT_DONE,         /* reached, satisfied or neutral, solved */
  CD_CALLBACKS_RESULT_SECOND,       /* reached; second handling opens */
} CdCallbacksResult;

/* By the model's rules (cd_callback_is_unreachable(),
 * cd_callback_needs_second_handling()) applied to a copy with the new
 * attempt; @attempts_left (may be NULL) receives the failed attempts
 * still allowed afterwards. @form must be complete. */
CdCallbacksResult cd_callbacks_predict             (CdCallback            *callback,
                                                    const CdCallbacksForm *form,
                                                    guint                 *attempts_left);

/* What recording will do, said beside the Record button before it is
 * pressed: "This is the last attempt: …", "Second handling opens for Liu
 * Yang …". @owner_name: the owner as people read it (SECOND only). */
char             *cd_callbacks_result_hint         (CdCallbacksResult      result,
                                                    const char            *owner_name);

/* The toast that confirms a recording: "Callback for HT-0001 recorded",
 * "No answer from Wang Fang (HT-0001); 2 attempts left", "… marked
 * unreachable after 3 failed attempts", "… second handling opened for
 * Liu Yang". @owner_name: who owns second handling, as people read it. */
char             *cd_callbacks_record_message      (CdTicket              *ticket,
                                                    CdCallbacksResult      result,
                                                    CdCallbackOutcome      outcome,
                                                    guint                  attempts_left,
                                                    const char            *owner_name);

/* The callback.close arguments: the conclusion, trimmed, required. */
JsonObject       *cd_callbacks_close_args          (const char            *conclusion,
                                                    GError               **error);

/* Roles --------------------------------------------------------------------- */

/* NULL when @user may do @op (cd_mutation_role_allowed(), an active
 * user), else the sentence for a disabled button's tooltip. */
char             *cd_callbacks_why_not_allowed     (CdUser                *user,
                                                    CdMutationOp           op);

/* The page a role starts on: "review" for managers, else "queue". */
const char       *cd_callbacks_first_page          (CdUser                *user);

/* Queue options for @user: a callback agent sees the callbacks they hold
 * and the ones nobody holds yet; everyone else sees all of them. */
void              cd_callbacks_queue_options       (CdUser                 *user,
                                                    CdCallbackQueueSort     sort,
                                                    CdCallbackQueueOptions *options);

/* Marks and deadlines ----------------------------------------------------------- */

typedef enum {
  CD_CALLBACKS_MARK_COMPLAINT = 1 << 0,
  CD_CALLBACKS_MARK_KEY       = 1 << 1,
  CD_CALLBACKS_MARK_REPEAT    = 1 << 2,
} CdCallbacksMarks;

/* Why a callback comes first: the ticket is a complaint, from a key
 * customer, or a repeat report (duplicates were linked to it: the rule
 * ticket.set_status uses for the callback's priority). */
CdCallbacksMarks  cd_callbacks_marks               (CdTicket              *ticket);

typedef enum {
  CD_CALLBACKS_DEADLINE_NONE,    /* no deadline */
  CD_CALLBACKS_DEADLINE_OK,
  CD_CALLBACKS_DEADLINE_SOON,    /* inside the last quarter of its window,
                                  * or the last hour */
  CD_CALLBACKS_DEADLINE_OVERDUE,
} CdCallbacksDeadline;

/* @start: when the window opened (0: unknown, then only the last hour
 * counts as soon). */
CdCallbacksDeadline cd_callbacks_deadline_state    (gint64                 start,
                                                    gint64                 deadline,
                                                    gint64                 now);
/* "in 3 h 20 min", "overdue 12 min", as cd_format_countdown() counts. */
char             *cd_callbacks_format_due          (gint64                 deadline,
                                                    gint64                 now);

/* Words --------------------------------------------------------------------- */

const char       *cd_callbacks_outcome_label       (CdCallbackOutcome      outcome);
const char       *cd_callbacks_satisfaction_label  (CdSatisfaction         satisfaction);
/* "No attempts yet", "1 failed attempt, 2 left". */
char             *cd_callbacks_attempts_label      (guint                  failed,
                                                    guint                  left);

/* History ------------------------------------------------------------------- */

/* A symbolic icon name for the kind of entry. */
const char       *cd_callbacks_history_icon        (CdHistoryKind          kind);
/* What happened, in a line: "Assigned to Heat North", "Callback: no
 * answer", "Time limit missed: On site". @crew_names (id → name, may be
 * NULL) names the crews. */
char             *cd_callbacks_history_title       (const CdHistoryEntry  *entry,
                                                    GHashTable            *crew_names);
/* The line under the title: when, who (the owner, for second handling),
 * and the words recorded: "Sat 02:14 · owner: Liu Yang · Still cold".
 * @when: the time as shown; @actor_name: entry->actor as people read it
 * (NULL: left out). */
char             *cd_callbacks_history_subtitle    (const CdHistoryEntry  *entry,
                                                    const char            *when,
                                                    const char            *actor_name);
/* Whether the entry is bad news (a missed limit, an overdue callback or
 * deadline, an unsatisfied outcome), for the timeline's colour. */
gboolean          cd_callbacks_history_is_alert    (const CdHistoryEntry  *entry);

/* The list items ------------------------------------------------------------ */

/* One callback with its ticket, as a list shows it. The objects are the
 * item's own: cd_callbacks_item_update() copies newer versions into them
 * (cd_record_update_from, so bindings see notify) and notifies "callback"
 * or "ticket" when anything changed. */
#define CD_TYPE_CALLBACKS_ITEM (cd_callbacks_item_get_type ())
G_DECLARE_FINAL_TYPE (CdCallbacksItem, cd_callbacks_item, CD, CALLBACKS_ITEM, GObject)

CdCallbacksItem  *cd_callbacks_item_new            (CdCallback            *callback,
                                                    CdTicket              *ticket);
CdCallback       *cd_callbacks_item_get_callback   (CdCallbacksItem       *self);
CdTicket         *cd_callbacks_item_get_ticket     (CdCallbacksItem       *self);
const char       *cd_callbacks_item_get_id         (CdCallbacksItem       *self);
gboolean          cd_callbacks_item_update         (CdCallbacksItem       *self,
                                                    CdCallback            *callback,
                                                    CdTicket              *ticket);

/* Brings @store (of CdCallbacksItem) to @callbacks and @tickets (parallel
 * arrays in the order to show; a ticket may be NULL), keeping the item of
 * every callback still there: gone ones are removed, new ones inserted
 * where they belong, kept ones updated in place, so a list view keeps its
 * scroll position and selection. Returns whether the store changed
 * (items added, removed or moved). */
gboolean          cd_callbacks_merge               (GListStore            *store,
                                                    GPtrArray             *callbacks,
                                                    GPtrArray             *tickets);
/* The position of the item of @callback_id, or G_MAXUINT. */
guint             cd_callbacks_find                (GListModel            *model,
                                                    const char            *callback_id);

G_END_DECLS
