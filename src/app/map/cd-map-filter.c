/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-map-filter.c: what the map shows, and in which colour, without GTK. */
#include "config.h"

#include <string.h>

#include "cd-map-filter.h"

void
cd_map_filter_init (CdMapFilter *filter)
{
  filter->utility = -1;
  filter->category = -1;
  filter->status = -1;
  filter->area = NULL;
  filter->crew_id = NULL;
}

void
cd_map_filter_clear (CdMapFilter *filter)
{
  g_clear_pointer (&filter->area, g_free);
  g_clear_pointer (&filter->crew_id, g_free);
  cd_map_filter_init (filter);
}

void
cd_map_filter_copy (const CdMapFilter *src,
                    CdMapFilter       *dest)
{
  if (src == dest)
    return;

  cd_map_filter_clear (dest);
  dest->utility = src->utility;
  dest->category = src->category;
  dest->status = src->status;
  dest->area = g_strdup (src->area);
  dest->crew_id = g_strdup (src->crew_id);
}

gboolean
cd_map_filter_equal (const CdMapFilter *a,
                     const CdMapFilter *b)
{
  return a->utility == b->utility &&
         a->category == b->category &&
         a->status == b->status &&
         g_strcmp0 (a->area, b->area) == 0 &&
         g_strcmp0 (a->crew_id, b->crew_id) == 0;
}

gboolean
cd_map_filter_is_empty (const CdMapFilter *filter)
{
  return filter->utility < 0 && filter->category < 0 && filter->status < 0 &&
         filter->area == NULL && filter->crew_id == NULL;
}

gboolean
cd_map_filter_match_ticket (const CdMapFilter *filter,
                            CdTicket          *ticket)
{
  g_return_val_if_fail (CD_IS_TICKET (ticket), FALSE);

  if (filter->utility >= 0 && (gint) ticket->utility != filter->utility)
    return FALSE;
  if (filter->category >= 0 && (gint) ticket->category != filter->category)
    return FALSE;
  if (filter->status >= 0 && (gint) ticket->status != filter->status)
    return FALSE;
  if (filter->area != NULL && g_strcmp0 (ticket->area, filter->area) != 0)
    return FALSE;
  if (filter->crew_id != NULL)
    {
      if (filter->crew_id[0] == '\0')
        return ticket->crew_id == NULL || ticket->crew_id[0] == '\0';
      return g_strcmp0 (ticket->crew_id, filter->crew_id) == 0;
    }

  return TRUE;
}

gboolean
cd_map_filter_match_crew (const CdMapFilter *filter,
                          CdCrew            *crew)
{
  g_return_val_if_fail (CD_IS_CREW (crew), FALSE);

  if (filter->utility >= 0 && (gint) crew->utility != filter->utility)
    return FALSE;
  if (filter->area != NULL && !cd_crew_serves_area (crew, filter->area))
    return FALSE;
  if (filter->crew_id != NULL && filter->crew_id[0] != '\0')
    return g_strcmp0 (CD_RECORD (crew)->id, filter->crew_id) == 0;

  return TRUE;
}

CdMapSla
cd_map_ticket_sla (CdTicket       *ticket,
                   CdSlaPolicySet *policies,
                   gint64          now,
                   gint64         *valid_until)
{
  CdCalendar *calendar;
  CdMapSla worst = CD_MAP_SLA_NONE;
  gint64 until = G_MAXINT64;
  gboolean paused = FALSE;

  g_return_val_if_fail (CD_IS_TICKET (ticket), CD_MAP_SLA_NONE);

  if (valid_until != NULL)
    *valid_until = G_MAXINT64;

  if (policies == NULL)
    return CD_MAP_SLA_NONE;

  calendar = cd_sla_policy_set_get_calendar (policies, ticket->sla_calendar);
  if (calendar == NULL)
    return CD_MAP_SLA_NONE;

  for (guint kind = 0; kind < CD_N_SLA_KINDS; kind++)
    {
      CdSlaStatus status;
      CdMapSla state;

      /* A milestone already reached is history, not something to act on. */
      if (cd_sla_get_reached_at (ticket, kind) != 0)
        continue;

      cd_sla_evaluate (ticket, kind, calendar, now, &status);
      paused |= status.paused;

      switch (status.state)
        {
        case CD_SLA_STATE_GREEN:
          state = CD_MAP_SLA_GREEN;
          if (status.warn_at > now)
            until = MIN (until, status.warn_at);
          break;
        case CD_SLA_STATE_AMBER:
          state = CD_MAP_SLA_AMBER;
          if (status.deadline > now)
            until = MIN (until, status.deadline);
          break;
        case CD_SLA_STATE_RED:
          state = CD_MAP_SLA_RED;
          break;
        case CD_SLA_STATE_NONE:
        case CD_SLA_STATE_MET:
        default:
          state = CD_MAP_SLA_NONE;
          break;
        }

      worst = MAX (worst, state);
    }

  if (paused)
    return CD_MAP_SLA_PAUSED;

  if (valid_until != NULL)
    *valid_until = until;

  return worst;
}
