/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-ticket.h: a customer's report, from intake to closing. */
#pragma once

#include "cd-enums.h"
#include "cd-record.h"

G_BEGIN_DECLS

/* One "waiting for customer" interval; end == 0 while it lasts. */
#define CD_TYPE_SLA_PAUSE (cd_sla_pause_get_type ())
G_DECLARE_FINAL_TYPE (CdSlaPause, cd_sla_pause, CD, SLA_PAUSE, CdRecord)

struct _CdSlaPause
{
  CdRecord parent_instance;

  gint64  start;
  gint64  end;
  char   *reason;
};

CdSlaPause *cd_sla_pause_new (gint64      start,
                              gint64      end,
                              const char *reason);

/* A shift supervisor's acknowledgement of an escalation: the level
 * (amber or red) no longer raises an escalation for the ticket. */
#define CD_TYPE_SLA_ACK (cd_sla_ack_get_type ())
G_DECLARE_FINAL_TYPE (CdSlaAck, cd_sla_ack, CD, SLA_ACK, CdRecord)

struct _CdSlaAck
{
  CdRecord parent_instance;

  CdSlaState  level;
  char       *by;      /* the supervisor's username */
  gint64      at;
  char       *note;
};

CdSlaAck   *cd_sla_ack_new (CdSlaState  level,
                            const char *by,
                            gint64      at,
                            const char *note);

#define CD_TYPE_TICKET (cd_ticket_get_type ())
G_DECLARE_FINAL_TYPE (CdTicket, cd_ticket, CD, TICKET, CdRecord)

struct _CdTicket
{
  CdRecord parent_instance;

  char               *number;        /* human readable, "HT-000123" */
  CdChannel           channel;
  CdCategory          category;
  CdUrgency           urgency;
  CdUtility           utility;
  CdTicketStatus      status;

  char               *customer_name;
  char               *customer_phone;
  char               *customer_account;
  gboolean            key_customer;

  char               *address;
  double              lat;
  double              lon;
  char               *area;          /* service area id */
  CdAreaClass         area_class;
  char               *description;
  char              **skills;        /* required skills */
  char               *owner;         /* first-contact owner (username) */

  char               *crew_id;
  CdAssignmentSource  assignment_source;
  gboolean            pinned;        /* manual: the optimizer leaves it alone */

  /* The promise, frozen at intake from the policy, and its deadlines. */
  gint64              sla_first_response_min;
  gint64              sla_on_site_min;
  gint64              sla_resolved_min;
  CdCalendarKind      sla_calendar;
  double              sla_warning_share;
  gint64              due_first_response;
  gint64              due_on_site;
  gint64              due_resolved;
  GPtrArray          *pauses;        /* of CdSlaPause */
  GPtrArray          *acknowledgements; /* of CdSlaAck, one per level at most */

  gint64              created_at;
  gint64              first_response_at;
  gint64              on_site_at;
  gint64              resolved_at;
  gint64              closed_at;
  gint64              updated_at;

  char               *duplicate_of;  /* the ticket this one repeats */
  gint64              duplicate_count;
};

CdTicket   *cd_ticket_new          (void);
gboolean    cd_category_get_utility (CdCategory  category,
                                     CdUtility  *utility);
gboolean    cd_ticket_is_open      (CdTicket *self);
char       *cd_ticket_address_key  (const char *address);
gboolean    cd_ticket_is_paused    (CdTicket *self);
/* The acknowledgement of @level (amber or red), or NULL. */
CdSlaAck   *cd_ticket_get_acknowledgement (CdTicket   *self,
                                           CdSlaState  level);
gboolean    cd_ticket_repeats      (CdTicket    *existing,
                                    CdCategory   category,
                                    const char  *address,
                                    double       lat,
                                    double       lon,
                                    gint64       at,
                                    double       radius_m,
                                    gint64       window);

G_END_DECLS
