/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-timers.h: the shift supervisor's time-limits view, as plain data.
 *
 * cd_timers_collect() turns open tickets into their running timers (first
 * response, on site, resolved) as cd_sla_evaluate() sees them at the
 * server time @now; the rest sorts, filters, groups and picks the timers to
 * escalate, says which timers crossed into red between two moments (desktop
 * notifications), and when the next displayed value or colour changes, so
 * the view wakes exactly then instead of every second.
 *
 * Timers live in a GArray of CdTimer that owns a reference to each ticket
 * and calendar; free it with g_array_unref(). The values are those of the
 * moment they were collected: collect again when a ticket changes.
 */
#pragma once

#include "cd-calendar.h"
#include "cd-sla-clock.h"
#include "cd-ticket.h"

G_BEGIN_DECLS

typedef struct {
  CdTicket   *ticket;        /* a reference */
  CdCalendar *calendar;      /* a reference: the calendar of the ticket's promise */
  CdSlaKind   kind;
  CdSlaState  state;         /* GREEN, AMBER or RED, as cd_sla_evaluate() says */
  gint64      deadline;      /* moves with now while paused (as if the customer
                              * answered right away): show "paused" instead */
  gint64      seconds_left;  /* working seconds; negative: overdue by that many
                              * unpaused seconds */
  gint64      warn_at;       /* when it turns (or turned) amber */
  double      share_left;    /* of the limit, 0 to 1 */
  gboolean    paused;        /* waiting for the customer: seconds_left is frozen */
} CdTimer;

/* Which timers a view shows. Members left at their cd_timer_filter_init()
 * value match everything. */
typedef struct {
  const char *area;          /* NULL: any area; "": tickets with no area */
  const char *crew_id;       /* NULL: any crew; "": unassigned tickets */
  gint        category;      /* a CdCategory, or -1 for any */
  guint       states;        /* CD_TIMER_STATE_BIT()s; 0: any state */
  gboolean    hide_paused;
} CdTimerFilter;

#define CD_TIMER_STATE_BIT(state) (1u << (state))

typedef enum {
  CD_TIMER_GROUP_AREA,
  CD_TIMER_GROUP_CREW,
  CD_TIMER_GROUP_CATEGORY,
} CdTimerGroupBy;

typedef struct {
  char    *key;              /* area id, crew id or category nick; NULL: no
                              * area, or no crew */
  GArray  *timers;           /* of CdTimer, sorted by time left */
  guint    n_green;
  guint    n_amber;
  guint    n_red;
  guint    n_paused;
  gint64   min_seconds_left; /* of its most urgent timer */
} CdTimerGroup;

void          cd_timer_group_free        (CdTimerGroup         *group);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CdTimerGroup, cd_timer_group_free)

GArray       *cd_timers_collect          (GPtrArray            *tickets,
                                          CdSlaPolicySet       *policies,
                                          gint64                now);
gint          cd_timer_compare           (const CdTimer        *a,
                                          const CdTimer        *b);
void          cd_timers_sort             (GArray               *timers);

void          cd_timer_filter_init       (CdTimerFilter        *filter);
gboolean      cd_timer_filter_match      (const CdTimerFilter  *filter,
                                          const CdTimer        *timer);
GArray       *cd_timers_filter           (GArray               *timers,
                                          const CdTimerFilter  *filter);
GPtrArray    *cd_timers_group            (GArray               *timers,
                                          CdTimerGroupBy        by);
GArray       *cd_timers_escalations      (GArray               *timers);

GArray       *cd_timers_crossed_red      (GPtrArray            *tickets,
                                          CdSlaPolicySet       *policies,
                                          gint64                since,
                                          gint64                now);

gint64        cd_timer_display_minutes   (gint64                seconds_left);
gint64        cd_timer_next_change       (const CdTimer        *timer,
                                          gint64                now);
gint64        cd_timers_next_change      (GArray               *timers,
                                          gint64                now);

G_END_DECLS
