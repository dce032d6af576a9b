/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-timers.c: the shift supervisor's time-limits view, as plain data.
 *
 * Nothing here decides how a timer stands: every state, deadline and time
 * left comes from cd_sla_evaluate(), so the view, the server's escalation
 * scan and the reports agree. This file only selects, orders and groups,
 * and works out when the next evaluation would look different.
 */
#include "config.h"

#include <string.h>

#include "cd-model.h"
#include "cd-timers.h"

/* Helpers ----------------------------------------------------------------- */

static void
timer_clear (gpointer data)
{
  CdTimer *timer = data;

  g_clear_object (&timer->ticket);
  g_clear_object (&timer->calendar);
}

static GArray *
timer_array_new (guint reserved)
{
  GArray *timers = g_array_sized_new (FALSE, TRUE, sizeof (CdTimer), reserved);

  g_array_set_clear_func (timers, timer_clear);
  return timers;
}

static void
timer_array_append (GArray        *timers,
                    const CdTimer *timer)
{
  CdTimer copy = *timer;

  copy.ticket = g_object_ref (timer->ticket);
  copy.calendar = g_object_ref (timer->calendar);
  g_array_append_val (timers, copy);
}

static gboolean
is_running_state (CdSlaState state)
{
  return state == CD_SLA_STATE_GREEN || state == CD_SLA_STATE_AMBER || state == CD_SLA_STATE_RED;
}

/* Evaluates @kind of @ticket at @now into @timer (borrowing the ticket and
 * the calendar); FALSE when that timer does not run: no limit, or the
 * milestone already reached. */
static gboolean
evaluate_timer (CdTicket   *ticket,
                CdCalendar *calendar,
                CdSlaKind   kind,
                gint64      now,
                CdTimer    *timer)
{
  CdSlaStatus status;

  if (cd_sla_get_limit_min (ticket, kind) <= 0 || cd_sla_get_reached_at (ticket, kind) != 0)
    return FALSE;

  cd_sla_evaluate (ticket, kind, calendar, now, &status);
  if (!is_running_state (status.state))
    return FALSE;

  timer->ticket = ticket;
  timer->calendar = calendar;
  timer->kind = kind;
  timer->state = status.state;
  timer->deadline = status.deadline;
  timer->seconds_left = status.seconds_left;
  timer->warn_at = status.warn_at;
  timer->share_left = status.share_left;
  timer->paused = status.paused;

  return TRUE;
}

static CdCalendar *
ticket_calendar (CdSlaPolicySet *policies,
                 CdTicket       *ticket)
{
  if ((guint) ticket->sla_calendar > CD_CALENDAR_KIND_BUSINESS_HOURS)
    return NULL;

  return cd_sla_policy_set_get_calendar (policies, ticket->sla_calendar);
}

static gint
compare_timers_cb (gconstpointer a,
                   gconstpointer b)
{
  return cd_timer_compare (a, b);
}

/* NULL and "" both mean "none" for an area or a crew. */
static gboolean
key_matches (const char *wanted,
             const char *value)
{
  if (wanted == NULL)
    return TRUE;
  if (wanted[0] == '\0')
    return value == NULL || value[0] == '\0';
  return g_strcmp0 (wanted, value) == 0;
}

static const char *
group_key (const CdTimer  *timer,
           CdTimerGroupBy  by)
{
  const char *key = NULL;

  switch (by)
    {
    case CD_TIMER_GROUP_AREA:
      key = timer->ticket->area;
      break;
    case CD_TIMER_GROUP_CREW:
      key = timer->ticket->crew_id;
      break;
    case CD_TIMER_GROUP_CATEGORY:
      return cd_enum_to_nick (CD_TYPE_CATEGORY, timer->ticket->category);
    default:
      g_assert_not_reached ();
    }

  return key != NULL && key[0] != '\0' ? key : NULL;
}

static gint
compare_groups_cb (gconstpointer a,
                   gconstpointer b)
{
  const CdTimerGroup *ga = *(CdTimerGroup * const *) a;
  const CdTimerGroup *gb = *(CdTimerGroup * const *) b;

  if (ga->min_seconds_left != gb->min_seconds_left)
    return ga->min_seconds_left < gb->min_seconds_left ? -1 : 1;
  /* "No crew" last among equals: it is the group nobody is named for. */
  if (ga->key == NULL || gb->key == NULL)
    return (ga->key == NULL) - (gb->key == NULL);
  return strcmp (ga->key, gb->key);
}

/* Public API -------------------------------------------------------------- */

void
cd_timer_group_free (CdTimerGroup *group)
{
  if (group == NULL)
    return;

  g_free (group->key);
  g_clear_pointer (&group->timers, g_array_unref);
  g_free (group);
}

/**
 * cd_timers_collect:
 * @tickets: (element-type CdTicket): tickets; those not open are skipped
 * @policies: the policy set whose calendars the tickets' promises name
 * @now: the server's time
 *
 * Every running timer of every open ticket: a limit that is set and a
 * milestone not yet reached (cd_sla_get_reached_at()).
 *
 * Returns: (transfer full) (element-type CdTimer): the timers, sorted by
 *   time left (cd_timer_compare())
 */
GArray *
cd_timers_collect (GPtrArray      *tickets,
                   CdSlaPolicySet *policies,
                   gint64          now)
{
  GArray *timers;

  g_return_val_if_fail (tickets != NULL, NULL);
  g_return_val_if_fail (CD_IS_SLA_POLICY_SET (policies), NULL);

  timers = timer_array_new (tickets->len);

  for (guint i = 0; i < tickets->len; i++)
    {
      CdTicket *ticket = g_ptr_array_index (tickets, i);
      CdCalendar *calendar;

      if (!cd_ticket_is_open (ticket) || (calendar = ticket_calendar (policies, ticket)) == NULL)
        continue;

      for (guint kind = 0; kind < CD_N_SLA_KINDS; kind++)
        {
          CdTimer timer = { 0 };

          if (evaluate_timer (ticket, calendar, kind, now, &timer))
            timer_array_append (timers, &timer);
        }
    }

  cd_timers_sort (timers);
  return timers;
}

/**
 * cd_timer_compare:
 *
 * Orders by time left, least first (so the most overdue timer leads), then
 * by deadline, ticket number, ticket id and kind, so that the order is the
 * same on every screen.
 */
gint
cd_timer_compare (const CdTimer *a,
                  const CdTimer *b)
{
  gint cmp;

  if (a->seconds_left != b->seconds_left)
    return a->seconds_left < b->seconds_left ? -1 : 1;
  if (a->deadline != b->deadline)
    return a->deadline < b->deadline ? -1 : 1;
  if ((cmp = g_strcmp0 (a->ticket->number, b->ticket->number)) != 0)
    return cmp;
  if ((cmp = g_strcmp0 (CD_RECORD (a->ticket)->id, CD_RECORD (b->ticket)->id)) != 0)
    return cmp;
  return (gint) a->kind - (gint) b->kind;
}

void
cd_timers_sort (GArray *timers)
{
  g_return_if_fail (timers != NULL);

  g_array_sort (timers, compare_timers_cb);
}

void
cd_timer_filter_init (CdTimerFilter *filter)
{
  g_return_if_fail (filter != NULL);

  memset (filter, 0, sizeof *filter);
  filter->category = -1;
}

gboolean
cd_timer_filter_match (const CdTimerFilter *filter,
                       const CdTimer       *timer)
{
  g_return_val_if_fail (filter != NULL, FALSE);
  g_return_val_if_fail (timer != NULL, FALSE);

  return key_matches (filter->area, timer->ticket->area) &&
         key_matches (filter->crew_id, timer->ticket->crew_id) &&
         (filter->category < 0 || (gint) timer->ticket->category == filter->category) &&
         (filter->states == 0 || (filter->states & CD_TIMER_STATE_BIT (timer->state)) != 0) &&
         !(filter->hide_paused && timer->paused);
}

/**
 * cd_timers_filter:
 *
 * Returns: (transfer full) (element-type CdTimer): the timers @filter
 *   matches, in their order
 */
GArray *
cd_timers_filter (GArray              *timers,
                  const CdTimerFilter *filter)
{
  GArray *out;

  g_return_val_if_fail (timers != NULL, NULL);
  g_return_val_if_fail (filter != NULL, NULL);

  out = timer_array_new (0);
  for (guint i = 0; i < timers->len; i++)
    {
      const CdTimer *timer = &g_array_index (timers, CdTimer, i);

      if (cd_timer_filter_match (filter, timer))
        timer_array_append (out, timer);
    }

  return out;
}

/**
 * cd_timers_group:
 *
 * Groups by area, crew or category. Inside a group the timers keep their
 * order; groups come most urgent first (by their least time left), then by
 * key, the group without an area or crew last among equals.
 *
 * Returns: (transfer full) (element-type CdTimerGroup): the groups
 */
GPtrArray *
cd_timers_group (GArray         *timers,
                 CdTimerGroupBy  by)
{
  g_autoptr(GHashTable) by_key = NULL;
  GPtrArray *groups;
  CdTimerGroup *none = NULL;

  g_return_val_if_fail (timers != NULL, NULL);
  g_return_val_if_fail (by <= CD_TIMER_GROUP_CATEGORY, NULL);

  groups = g_ptr_array_new_with_free_func ((GDestroyNotify) cd_timer_group_free);
  by_key = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint i = 0; i < timers->len; i++)
    {
      const CdTimer *timer = &g_array_index (timers, CdTimer, i);
      const char *key = group_key (timer, by);
      CdTimerGroup *group = key != NULL ? g_hash_table_lookup (by_key, key) : none;

      if (group == NULL)
        {
          group = g_new0 (CdTimerGroup, 1);
          group->key = g_strdup (key);
          group->timers = timer_array_new (0);
          group->min_seconds_left = G_MAXINT64;
          g_ptr_array_add (groups, group);
          if (key != NULL)
            g_hash_table_insert (by_key, group->key, group);
          else
            none = group;
        }

      timer_array_append (group->timers, timer);
      group->min_seconds_left = MIN (group->min_seconds_left, timer->seconds_left);
      if (timer->paused)
        group->n_paused++;
      switch (timer->state)
        {
        case CD_SLA_STATE_GREEN:
          group->n_green++;
          break;
        case CD_SLA_STATE_AMBER:
          group->n_amber++;
          break;
        case CD_SLA_STATE_RED:
          group->n_red++;
          break;
        case CD_SLA_STATE_NONE:
        case CD_SLA_STATE_MET:
        default:
          break;
        }
    }

  g_ptr_array_sort (groups, compare_groups_cb);
  return groups;
}

/**
 * cd_timers_escalations:
 *
 * The timers to escalate to the shift supervisor: amber (near a breach)
 * and red (breached), paused ones included, in their order.
 *
 * Returns: (transfer full) (element-type CdTimer): those timers
 */
GArray *
cd_timers_escalations (GArray *timers)
{
  CdTimerFilter filter;

  g_return_val_if_fail (timers != NULL, NULL);

  cd_timer_filter_init (&filter);
  filter.states = CD_TIMER_STATE_BIT (CD_SLA_STATE_AMBER) | CD_TIMER_STATE_BIT (CD_SLA_STATE_RED);

  return cd_timers_filter (timers, &filter);
}

/**
 * cd_timers_crossed_red:
 * @since: the previous check
 * @now: this check
 *
 * The running timers that are red at @now and were not at @since (both
 * evaluated on the tickets as they are now), for one desktop notification
 * each. A timer turns red one second after its deadline, so a timer
 * crossed exactly when @since ≤ deadline < @now.
 *
 * Returns: (transfer full) (element-type CdTimer): those timers as at
 *   @now, sorted by time left
 */
GArray *
cd_timers_crossed_red (GPtrArray      *tickets,
                       CdSlaPolicySet *policies,
                       gint64          since,
                       gint64          now)
{
  GArray *crossed;

  g_return_val_if_fail (tickets != NULL, NULL);
  g_return_val_if_fail (CD_IS_SLA_POLICY_SET (policies), NULL);

  crossed = timer_array_new (0);
  if (now <= since)
    return crossed;

  for (guint i = 0; i < tickets->len; i++)
    {
      CdTicket *ticket = g_ptr_array_index (tickets, i);
      CdCalendar *calendar;

      if (!cd_ticket_is_open (ticket) || (calendar = ticket_calendar (policies, ticket)) == NULL)
        continue;

      for (guint kind = 0; kind < CD_N_SLA_KINDS; kind++)
        {
          CdTimer timer = { 0 };
          CdSlaStatus before;

          if (!evaluate_timer (ticket, calendar, kind, now, &timer) || timer.state != CD_SLA_STATE_RED)
            continue;

          cd_sla_evaluate (ticket, kind, calendar, since, &before);
          if (before.state != CD_SLA_STATE_RED)
            timer_array_append (crossed, &timer);
        }
    }

  cd_timers_sort (crossed);
  return crossed;
}

/**
 * cd_timer_display_minutes:
 *
 * Returns: the whole minutes a countdown shows for @seconds_left, as the
 *   app words it (cd_format_countdown()): time left rounded up, so 0 only
 *   at the deadline; time overdue rounded down, as a negative number (so
 *   the first 59 seconds overdue show 0, in red)
 */
gint64
cd_timer_display_minutes (gint64 seconds_left)
{
  if (seconds_left >= 0)
    return (seconds_left + 59) / 60;

  return -((-seconds_left) / 60);
}

/**
 * cd_timer_next_change:
 * @timer: a timer collected at @now
 *
 * The first moment after @now at which this timer, evaluated again, shows
 * other whole minutes (cd_timer_display_minutes()) or another colour:
 * green to amber at warn_at, red one second after the deadline. Time left
 * counts working time, so outside working hours a business-hours timer
 * only changes colour; an overdue timer counts on the wall clock.
 *
 * Returns: that moment, or 0 when the timer does not change (paused)
 */
gint64
cd_timer_next_change (const CdTimer *timer,
                      gint64         now)
{
  gint64 next, left;

  g_return_val_if_fail (timer != NULL, 0);
  g_return_val_if_fail (CD_IS_TICKET (timer->ticket), 0);

  if (timer->paused)
    return 0;

  if (timer->state == CD_SLA_STATE_RED)
    {
      gint64 over = -timer->seconds_left;

      /* floor (over / 60) goes up when over reaches the next multiple of 60. */
      return now + (60 * (over / 60 + 1) - over);
    }

  g_return_val_if_fail (CD_IS_CALENDAR (timer->calendar), 0);

  next = timer->deadline + 1;
  if (timer->state == CD_SLA_STATE_GREEN && timer->warn_at > now)
    next = MIN (next, timer->warn_at);

  left = timer->seconds_left;
  if (left > 0)
    {
      /* ceil (left / 60) goes down when left reaches the multiple of 60
       * below it, after that many working seconds. */
      gint64 target = 60 * ((left - 1) / 60);
      gint64 from = MAX (now, timer->ticket->created_at);

      next = MIN (next, cd_calendar_add_working_seconds (timer->calendar, from, left - target));
    }

  return next;
}

/**
 * cd_timers_next_change:
 * @timers: (element-type CdTimer): timers collected at @now
 *
 * When the view should evaluate again: the earliest cd_timer_next_change()
 * of its timers.
 *
 * Returns: that moment, or 0 when no shown value would change
 */
gint64
cd_timers_next_change (GArray *timers,
                       gint64  now)
{
  gint64 next = 0;

  g_return_val_if_fail (timers != NULL, 0);

  for (guint i = 0; i < timers->len; i++)
    {
      gint64 t = cd_timer_next_change (&g_array_index (timers, CdTimer, i), now);

      if (t != 0 && (next == 0 || t < next))
        next = t;
    }

  return next;
}
