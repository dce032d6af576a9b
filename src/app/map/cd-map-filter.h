/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-map-filter.h: what the map shows, and in which colour, without GTK.
 *
 * The filter bar's choices as a plain struct, the test a ticket or a crew
 * passes to be drawn, and the state of a ticket's running time limits as
 * the map colours it (the worst running timer; grey while paused).
 */
#pragma once

#include "cd-crew.h"
#include "cd-sla-clock.h"
#include "cd-ticket.h"

G_BEGIN_DECLS

typedef struct {
  gint  utility;    /* CdUtility, or -1 for any */
  gint  category;   /* CdCategory, or -1 */
  gint  status;     /* CdTicketStatus, or -1 */
  char *area;       /* a service area id, or NULL */
  char *crew_id;    /* a crew's tickets (and the crew), "" unassigned ones, or NULL */
} CdMapFilter;

void      cd_map_filter_init          (CdMapFilter       *filter);
void      cd_map_filter_clear         (CdMapFilter       *filter);
void      cd_map_filter_copy          (const CdMapFilter *src,
                                       CdMapFilter       *dest);
gboolean  cd_map_filter_equal         (const CdMapFilter *a,
                                       const CdMapFilter *b);
gboolean  cd_map_filter_is_empty      (const CdMapFilter *filter);
gboolean  cd_map_filter_match_ticket  (const CdMapFilter *filter,
                                       CdTicket          *ticket);
/* Crews follow the utility, area and crew choices; the category and
 * status ones are about tickets and keep every crew. With "unassigned"
 * (crew_id "") every crew stays, to see who could take them. */
gboolean  cd_map_filter_match_crew    (const CdMapFilter *filter,
                                       CdCrew            *crew);

/* How the map colours a ticket. */
typedef enum {
  CD_MAP_SLA_NONE,     /* no running limit */
  CD_MAP_SLA_PAUSED,   /* waiting for the customer */
  CD_MAP_SLA_GREEN,
  CD_MAP_SLA_AMBER,
  CD_MAP_SLA_RED,
} CdMapSla;

#define CD_MAP_N_SLA 5

/* The worst of the ticket's running timers at @now. *@valid_until gets
 * the moment it may change by itself (a timer turning amber or red),
 * G_MAXINT64 when only a change to the ticket can change it. A NULL
 * @policies (no calendars) gives CD_MAP_SLA_NONE. */
CdMapSla  cd_map_ticket_sla           (CdTicket          *ticket,
                                       CdSlaPolicySet    *policies,
                                       gint64             now,
                                       gint64            *valid_until);

G_END_DECLS
