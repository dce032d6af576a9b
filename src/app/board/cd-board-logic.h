/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-board-logic.h: the Board's decisions, without GTK.
 *
 * What the dispatch board decides before anything reaches the outbox:
 * whether a drop is allowed (and why not), whether a move overrides the
 * automatic proposal (then it asks for a reason and pins), how a group of
 * selected tickets moves, what an undo sends back, and how times read on
 * a card. Plain functions over model objects, so the rules are tested
 * without a display and the widgets only ask.
 */
#pragma once

#include <json-glib/json-glib.h>

#include "cd-crew.h"
#include "cd-match.h"
#include "cd-sla-clock.h"
#include "cd-ticket.h"

G_BEGIN_DECLS

/* Drops ------------------------------------------------------------------ */

/* @ticket and @crew reduced exactly as ticket.assign reduces them
 * (cd-mutation.c): utility, the ticket's required skills as bits and the
 * crew's share of them, shift at @now, capacity, @crew_load (the crew's
 * open tickets; the ticket's own place on its current crew is taken off,
 * as the server does), the reported position, area membership. */
void            cd_board_reduce           (CdTicket      *ticket,
                                           CdCrew        *crew,
                                           guint          crew_load,
                                           gint64         now,
                                           CdMatchTicket *out_ticket,
                                           CdMatchCrew   *out_crew);

typedef enum {
  CD_BOARD_DROP_ALLOW,         /* a move the server will take */
  CD_BOARD_DROP_ALLOW_WARNING, /* taken, with a warning (crew over capacity) */
  CD_BOARD_DROP_SAME,          /* already there: nothing to do */
  CD_BOARD_DROP_REFUSE,        /* breaks a hard constraint; nothing is sent */
} CdBoardDrop;

/* Whether @ticket may go to @crew (NULL: unassign) that carries
 * @crew_load open tickets. Refused exactly where ticket.assign refuses a
 * dispatcher (wrong utility, missing skill, off shift, a ticket that is not
 * open); a crew at capacity or without a position is allowed, as the
 * server allows a dispatcher to do it. @message (may be NULL) receives a
 * sentence: why, for a refusal; the warning, for ALLOW_WARNING; else NULL. */
CdBoardDrop     cd_board_check_drop       (CdTicket      *ticket,
                                           CdCrew        *crew,
                                           guint          crew_load,
                                           gint64         now,
                                           char         **message);
gboolean        cd_board_drop_is_allowed  (CdBoardDrop    drop);

/* Proposals and overrides -------------------------------------------------- */

/* The automatic proposal in a ranking (cd_context_rank_crews,
 * cd_mutation_rank_crews): the first crew that passes every constraint,
 * or NULL; @score (may be NULL) receives its score. */
CdCrew         *cd_board_proposal         (GPtrArray            *crews,
                                           GArray               *ranking,
                                           const CdMatchScore  **score);

/* Whether giving the ticket to @target_crew_id overrides the automatic
 * proposal @proposed_crew_id: any assignment to another crew than the one
 * proposed, and any assignment where the matcher proposed none (it would
 * have left the ticket waiting). Unassigning is never an override. */
gboolean        cd_board_is_override      (const char    *proposed_crew_id,
                                           const char    *target_crew_id);

/* Why a dispatcher overrode the proposal. The reason recorded in the
 * assignment event is a stable code, then ": " and the free text when
 * there is any ("crew-nearby: already at the substation"), so reports can
 * group overrides in any language; cd_board_reason_describe() reads it
 * back for people. */
typedef enum {
  CD_BOARD_REASON_CUSTOMER_REQUEST,
  CD_BOARD_REASON_CREW_NEARBY,
  CD_BOARD_REASON_SKILLS,
  CD_BOARD_REASON_WORKLOAD,
  CD_BOARD_REASON_OTHER,
  /* Not offered as a choice: what the board itself records. */
  CD_BOARD_REASON_ACCEPTED_PLAN,
  CD_BOARD_REASON_UNDO,
} CdBoardReason;

#define CD_BOARD_N_REASON_CHOICES (CD_BOARD_REASON_OTHER + 1)
#define CD_BOARD_N_REASONS        (CD_BOARD_REASON_UNDO + 1)
/* ticket.assign's limit on reason. */
#define CD_BOARD_REASON_MAX_CHARS 500

const char     *cd_board_reason_code      (CdBoardReason  reason);
const char     *cd_board_reason_label     (CdBoardReason  reason);
/* "Other" needs a text; the others may have one. */
gboolean        cd_board_reason_is_complete (CdBoardReason reason,
                                           const char    *details);
/* The text to record, cut to CD_BOARD_REASON_MAX_CHARS characters. */
char           *cd_board_reason_compose   (CdBoardReason  reason,
                                           const char    *details);
/* A recorded reason for people: the label of a known code, then the
 * text ("Crew already nearby: at the substation"); anything else as it is. */
char           *cd_board_reason_describe  (const char    *recorded);

/* ticket.assign's args. @crew_id NULL unassigns; @reason may be NULL;
 * @expect_crew_set adds the precondition expect_crew = @expect_crew
 * (NULL: "still unassigned"). The source is left out: a person's
 * assignment is "manual", the default; only the server's auto-dispatch
 * actor may send "auto". */
JsonObject     *cd_board_assign_args      (const char    *crew_id,
                                           const char    *reason,
                                           gboolean       pin,
                                           gboolean       expect_crew_set,
                                           const char    *expect_crew);

/* Moving a group ------------------------------------------------------------ */

typedef struct {
  CdTicket    *ticket;       /* borrowed */
  CdBoardDrop  drop;
  char        *message;      /* cd_board_check_drop()'s sentence, or NULL */
  gboolean     override;     /* asks for a reason, pins */
} CdBoardPlanItem;

typedef struct {
  GArray *items;             /* of CdBoardPlanItem, in the order given */
  guint   n_move;            /* ALLOW and ALLOW_WARNING */
  guint   n_same;
  guint   n_refused;
  guint   n_override;
} CdBoardMovePlan;

/* Plans moving @tickets (CdTicket) to @crew (NULL: unassign), which
 * carries @crew_load open tickets now. @proposals: for each ticket, the
 * id of the crew the matcher proposes, or NULL (may itself be NULL when
 * unassigning). Each accepted ticket adds to the load the next one is
 * checked against, as the queued mutations will on the server. */
CdBoardMovePlan *cd_board_plan_move       (GPtrArray          *tickets,
                                           CdCrew             *crew,
                                           guint               crew_load,
                                           const char * const *proposals,
                                           gint64              now);
void             cd_board_move_plan_free  (CdBoardMovePlan    *plan);
/* The first refusal's sentence, or NULL. */
const char      *cd_board_move_plan_first_refusal (CdBoardMovePlan *plan);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CdBoardMovePlan, cd_board_move_plan_free)

/* Undo ------------------------------------------------------------------------ */

typedef struct {
  char     *ticket_id;
  char     *number;
  char     *from_crew;      /* before the move; NULL: unassigned */
  char     *to_crew;        /* after */
  gboolean  was_pinned;
} CdBoardMove;

/* What one user action moved, undone as one. */
typedef struct _CdBoardUndo CdBoardUndo;

#define CD_TYPE_BOARD_UNDO (cd_board_undo_get_type ())
GType           cd_board_undo_get_type    (void) G_GNUC_CONST;
CdBoardUndo    *cd_board_undo_new         (void);
CdBoardUndo    *cd_board_undo_ref         (CdBoardUndo   *self);
void            cd_board_undo_unref       (CdBoardUndo   *self);
/* Records @ticket moving from its current crew (read now, so call it
 * before submitting) to @to_crew. */
void            cd_board_undo_add         (CdBoardUndo   *self,
                                           CdTicket      *ticket,
                                           const char    *to_crew);
/* Forgets the last move added (its mutation was refused). */
void            cd_board_undo_remove_last (CdBoardUndo   *self);
guint           cd_board_undo_get_n_moves (CdBoardUndo   *self);
const CdBoardMove *cd_board_undo_get_move (CdBoardUndo   *self,
                                           guint          index);
/* ticket.assign's args that put @move back: the crew before, pinned as
 * before, on condition that the ticket is still where the move left it
 * (so an undo never reverts someone else's later change). */
JsonObject     *cd_board_undo_args        (const CdBoardMove *move);
/* The toast's title: "Ticket HT-1 assigned to Heat 2", "3 tickets
 * assigned to Heat 2", "Ticket HT-1 unassigned", "3 tickets unassigned",
 * "3 tickets moved" ("3 tickets assigned" when each went from
 * Unassigned to some crew). @crew_name names the crew the moves went to (all of
 * them, if they went to one). */
char           *cd_board_undo_describe    (CdBoardUndo   *self,
                                           const char    *crew_name);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CdBoardUndo, cd_board_undo_unref)

/* Times on cards and columns ---------------------------------------------- */

/* The running time limit a card counts down: the unreached milestone with
 * the earliest deadline; FALSE when none runs. */
gboolean        cd_board_next_sla_kind    (CdTicket      *ticket,
                                           CdSlaKind     *kind);
/* The ticket among @tickets (CdTicket, the crew's) it goes to next: one
 * not yet on site, most urgent first, then the earliest deadline, then
 * the oldest; NULL when there is none. */
CdTicket       *cd_board_next_ticket      (GPtrArray     *tickets);
/* The matcher's travel estimate from @crew's position to @ticket in
 * minutes (the params' default speed and detour), NaN when a position is
 * unknown. */
double          cd_board_travel_minutes   (const CdMatchParams *params,
                                           CdTicket      *ticket,
                                           CdCrew        *crew);
/* The column header's ETA line: "12 min to HT-1" from the travel
 * estimate (worded by cd_format_countdown()), or when the crew has nothing to go to, how old its position
 * is ("Position 3 min old", "No position yet"). */
char           *cd_board_describe_eta     (const CdMatchParams *params,
                                           CdCrew        *crew,
                                           CdTicket      *next,
                                           gint64         now);
/* Order of cards in a column: emergency first, then the earliest running
 * deadline, then the number. */
gint            cd_board_compare_tickets  (CdTicket      *a,
                                           CdTicket      *b);

G_END_DECLS
