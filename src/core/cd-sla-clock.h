/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-sla-clock.h: the time-limit policy set and the SLA clock.
 *
 * The policy set is read from sla-policy.json and maps category x urgency x
 * area class to a CdSlaPolicy row. At intake cd_sla_apply_policy() freezes
 * the row's promise onto the ticket and computes its deadlines; pauses
 * ("waiting for customer") push the deadlines of the milestones not yet
 * reached; cd_sla_evaluate() says how a timer stands at a given moment.
 *
 * Limits count working time on the ticket's calendar. A milestone that is
 * not reached when the ticket is resolved counts as reached at resolution
 * (a ticket solved by phone needs no visit), and at closing when the ticket
 * was closed without a resolution.
 */
#pragma once

#include "cd-calendar.h"
#include "cd-sla-policy.h"
#include "cd-ticket.h"

G_BEGIN_DECLS

#define CD_SLA_ERROR (cd_sla_error_quark ())

typedef enum {
  CD_SLA_ERROR_READ_FAILED,       /* the policy file cannot be read */
  CD_SLA_ERROR_INVALID_POLICY,    /* bad JSON, a bad member, a row that does not decode */
  CD_SLA_ERROR_DUPLICATE_POLICY,  /* two rows with one key or one id */
  CD_SLA_ERROR_UNKNOWN_CALENDAR,  /* a calendar name that is not defined or not known */
  CD_SLA_ERROR_ALREADY_PAUSED,
  CD_SLA_ERROR_NOT_PAUSED,
  CD_SLA_ERROR_INVALID_TIME,      /* a pause before creation, or out of order */
  CD_SLA_ERROR_TOO_MANY_PAUSES,
} CdSlaError;

GQuark cd_sla_error_quark (void);

/* The policy set ---------------------------------------------------------- */

#define CD_TYPE_SLA_POLICY_SET (cd_sla_policy_set_get_type ())
G_DECLARE_FINAL_TYPE (CdSlaPolicySet, cd_sla_policy_set, CD, SLA_POLICY_SET, GObject)

CdSlaPolicySet *cd_sla_policy_set_new_from_file        (const char      *path,
                                                        GError         **error);
CdSlaPolicySet *cd_sla_policy_set_new_from_data        (const char      *data,
                                                        gssize           length,
                                                        const char      *source,
                                                        GError         **error);
CdSlaPolicySet *cd_sla_policy_set_new_default          (GError         **error);

CdSlaPolicy    *cd_sla_policy_set_lookup               (CdSlaPolicySet  *self,
                                                        CdCategory       category,
                                                        CdUrgency        urgency,
                                                        CdAreaClass      area_class);
CdCalendar     *cd_sla_policy_set_get_calendar         (CdSlaPolicySet  *self,
                                                        CdCalendarKind   kind);
GPtrArray      *cd_sla_policy_set_get_policies         (CdSlaPolicySet  *self);
const char     *cd_sla_policy_set_get_source           (CdSlaPolicySet  *self);
double          cd_sla_policy_set_get_warning_share    (CdSlaPolicySet  *self);
gint64          cd_sla_policy_set_get_callback_due_min (CdSlaPolicySet  *self);
gint64          cd_sla_policy_set_callback_due         (CdSlaPolicySet  *self,
                                                        CdTicket        *ticket);

/* The clock --------------------------------------------------------------- */

typedef struct {
  CdSlaState state;
  gint64     deadline;     /* 0 when there is no limit */
  gint64     seconds_left; /* working seconds left; when breached, minus the
                            * unpaused seconds since the deadline */
  gint64     breached_at;  /* the deadline when breached, else 0 */
  gint64     warn_at;      /* when the timer turns amber */
  double     share_left;   /* of the limit, 0 to 1 */
  gboolean   paused;       /* waiting for the customer, time left frozen */
} CdSlaStatus;

void      cd_sla_apply_policy   (CdTicket     *ticket,
                                 CdSlaPolicy  *policy,
                                 CdCalendar   *calendar);
gboolean  cd_sla_pause          (CdTicket     *ticket,
                                 CdCalendar   *calendar,
                                 gint64        now,
                                 const char   *reason,
                                 GError      **error);
gboolean  cd_sla_resume         (CdTicket     *ticket,
                                 CdCalendar   *calendar,
                                 gint64        now,
                                 GError      **error);
void      cd_sla_evaluate       (CdTicket     *ticket,
                                 CdSlaKind     kind,
                                 CdCalendar   *calendar,
                                 gint64        now,
                                 CdSlaStatus  *out);
gint64    cd_sla_next_deadline  (CdTicket     *ticket);
gint64    cd_sla_get_limit_min  (CdTicket     *ticket,
                                 CdSlaKind     kind);
gint64    cd_sla_get_due        (CdTicket     *ticket,
                                 CdSlaKind     kind);
gint64    cd_sla_get_reached_at (CdTicket     *ticket,
                                 CdSlaKind     kind);

G_END_DECLS
