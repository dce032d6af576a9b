/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-sla-logic.h: the time-limits view's decisions, without GTK.
 *
 * cd-timers computes every timer; this file decides what the supervisor's
 * view does with them: when to look again (one clock, re-evaluating only
 * when something shown changes, or when the clock went back), which
 * crossings into red are new (so a wake from suspend gives one
 * notification for all, and nothing is told twice), what the notification
 * says, the escalation list (one row per ticket, acknowledged ones last),
 * the pause reason, and the minimal change that
 * turns one list of rows into the next. Plain functions, tested without a
 * display.
 */
#pragma once

#include <json-glib/json-glib.h>

#include "cd-timers.h"

G_BEGIN_DECLS

/* The clock ------------------------------------------------------------------ */

/* Whether the view evaluates again at @now: the next change it was told
 * about (cd_timers_next_change(), 0 for none) has come, or the clock went
 * back behind the last evaluation (a new server offset), so what is shown
 * is too far ahead. */
gboolean     cd_sla_should_evaluate      (gint64       last_eval,
                                          gint64       next_change,
                                          gint64       now);

/* Notifications ---------------------------------------------------------------- */

/* "<ticket id>/<kind nick>": a timer's identity across evaluations. */
char        *cd_sla_timer_key            (const CdTimer *timer);

/* Keeps in @crossed (of CdTimer, from cd_timers_crossed_red()) only the
 * timers @notified (a set of cd_sla_timer_key()s, owning its keys) has
 * not seen, and adds them to it. Returns how many are left. */
guint        cd_sla_take_new_crossings   (GHashTable   *notified,
                                          GArray       *crossed);
/* Forgets the timers of tickets that have no timer in @timers any more
 * (closed, or every milestone reached), so @notified stays small. */
void         cd_sla_forget_notified      (GHashTable   *notified,
                                          GArray       *timers);

/* The desktop notification for the timers that turned red between two
 * evaluations: FALSE (and nothing set) when @crossed is empty. One timer:
 * the ticket and which limit it missed; more: how many, and the first
 * tickets by number. @crew_names (may be NULL) maps crew ids to names. */
gboolean     cd_sla_red_notice           (GArray       *crossed,
                                          GHashTable   *crew_names,
                                          gint64        now,
                                          char        **title,
                                          char        **body);

/* Whether a desktop notification goes to a user of @role: the shift
 * supervisor, to whom breaches are escalated. */
gboolean     cd_sla_role_is_notified     (CdRole        role);

/* Escalations -------------------------------------------------------------------- */

/* The levels a supervisor acknowledges: amber and red. */
const char  *cd_sla_level_to_string      (CdSlaState    level);
gboolean     cd_sla_level_from_string    (const char   *text,
                                          CdSlaState   *level);

/* The supervisor's acknowledgement (ticket.acknowledge, kept on the
 * ticket) that covers @ticket's escalation at @level, or NULL: the one at
 * that level, or for amber the one at red (a supervisor who knows a ticket
 * is overdue knows it is at risk). Amber does not cover red. */
CdSlaAck    *cd_sla_find_acknowledgement (CdTicket     *ticket,
                                          CdSlaState    level);

typedef struct {
  CdTimer   timer;         /* the ticket's most urgent amber or red timer (references) */
  guint     n_timers;      /* how many of its timers are amber or red */
  gboolean  acknowledged;  /* at timer.state (cd_sla_find_acknowledgement()) */
} CdSlaEscalation;

/* One escalation per ticket with an amber or red timer in @timers (sorted
 * by time left, as cd_timers_collect() gives them): the ones still to
 * acknowledge first, then the acknowledged, each by time left.
 * Returns (element-type CdSlaEscalation); g_array_unref() it. */
GArray      *cd_sla_escalations          (GArray       *timers);

/* Pause and resume ------------------------------------------------------------------ */

#define CD_SLA_REASON_MAX_BYTES 500   /* ticket.pause's limit */

typedef enum {
  CD_SLA_REASON_OK,
  CD_SLA_REASON_EMPTY,
  CD_SLA_REASON_TOO_LONG,
} CdSlaReasonCheck;

/* The reason as it will be sent (leading and trailing blanks removed) is
 * checked; @problem (may be NULL) receives a sentence for the dialog, or
 * NULL when it is fine. */
CdSlaReasonCheck cd_sla_check_reason     (const char   *text,
                                          const char  **problem);
/* ticket.pause's arguments, or NULL when the reason does not pass. */
JsonObject  *cd_sla_pause_args           (const char   *reason);
/* ticket.acknowledge's arguments; @note may be NULL. */
JsonObject  *cd_sla_acknowledge_args     (CdSlaState    level,
                                          const char   *note);
/* The open pause of a paused ticket (end == 0), or NULL. */
CdSlaPause  *cd_sla_open_pause           (CdTicket     *ticket);

/* Words ----------------------------------------------------------------------------- */

/* A service area's name from the demo city's districts, the id when the
 * city does not know it, "No area" for none. */
const char  *cd_sla_area_name            (const char   *area);
/* Counts @timers by what the row shows: a paused timer counts as paused
 * only, so the parts add up to the whole. */
void         cd_sla_count_states         (GArray       *timers,
                                          guint        *n_red,
                                          guint        *n_amber,
                                          guint        *n_green,
                                          guint        *n_paused);
/* "2 overdue · 1 at risk · 5 on time · 1 paused", parts that are 0 left
 * out; "No running time limits" when all are. */
char        *cd_sla_describe_counts      (guint         n_red,
                                          guint         n_amber,
                                          guint         n_green,
                                          guint         n_paused);

/* Rows -------------------------------------------------------------------------------- */

/* The smallest change that turns @old_keys into @new_keys (strings): at
 * @position, remove @removed and insert @added, which is what
 * g_list_store_splice() takes. Unchanged when both are equal (0, 0). */
void         cd_sla_diff                 (GPtrArray    *old_keys,
                                          GPtrArray    *new_keys,
                                          guint        *position,
                                          guint        *removed,
                                          guint        *added);

G_END_DECLS
