/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-sla-timer-item.h: the rows of the time-limits view, as list items.
 *
 * CdSlaTimerItem is one running timer (a ticket's first response, on site
 * or resolved) in the words the row shows, or, in the escalation list, a
 * ticket's most urgent escalated timer. CdSlaGroupItem is one group of the
 * grouped summary. The view keeps the same item for the same timer (or
 * group) across evaluations and updates it in place; the properties
 * notify only when they change, so a bound label redraws only then.
 * No GTK: tested without a display.
 */
#pragma once

#include "cd-sla-logic.h"

G_BEGIN_DECLS

#define CD_TYPE_SLA_TIMER_ITEM (cd_sla_timer_item_get_type ())
G_DECLARE_FINAL_TYPE (CdSlaTimerItem, cd_sla_timer_item, CD, SLA_TIMER_ITEM, GObject)

/* @key: what identifies the row across evaluations (cd_sla_timer_key(),
 * or a ticket id in the escalation list). */
CdSlaTimerItem *cd_sla_timer_item_new            (const char     *key);
const char     *cd_sla_timer_item_get_key        (CdSlaTimerItem *self);
/* Takes the values of @timer as at @now. @crew_name: NULL for none.
 * @acknowledged, @n_escalated: for the escalation list (else FALSE, 0). */
void            cd_sla_timer_item_update         (CdSlaTimerItem *self,
                                                  const CdTimer  *timer,
                                                  const char     *crew_name,
                                                  gint64          now,
                                                  gboolean        pending,
                                                  gboolean        acknowledged,
                                                  guint           n_escalated);
/* The timer as last updated; its ticket and calendar are references. */
const CdTimer  *cd_sla_timer_item_get_timer      (CdSlaTimerItem *self);
CdTicket       *cd_sla_timer_item_get_ticket     (CdSlaTimerItem *self);
const char     *cd_sla_timer_item_get_number     (CdSlaTimerItem *self);
CdSlaState      cd_sla_timer_item_get_state      (CdSlaTimerItem *self);
gboolean        cd_sla_timer_item_get_paused     (CdSlaTimerItem *self);
const char     *cd_sla_timer_item_get_countdown  (CdSlaTimerItem *self);
const char     *cd_sla_timer_item_get_state_label (CdSlaTimerItem *self);
const char     *cd_sla_timer_item_get_status     (CdSlaTimerItem *self);
gboolean        cd_sla_timer_item_get_acknowledged (CdSlaTimerItem *self);

#define CD_TYPE_SLA_GROUP_ITEM (cd_sla_group_item_get_type ())
G_DECLARE_FINAL_TYPE (CdSlaGroupItem, cd_sla_group_item, CD, SLA_GROUP_ITEM, GObject)

/* @key: the group's key (cd_timers_group()), NULL for "no area"/"no crew". */
CdSlaGroupItem *cd_sla_group_item_new            (const char     *key);
const char     *cd_sla_group_item_get_key        (CdSlaGroupItem *self);
void            cd_sla_group_item_update         (CdSlaGroupItem     *self,
                                                  const CdTimerGroup *group,
                                                  const char         *title);
const char     *cd_sla_group_item_get_title      (CdSlaGroupItem *self);
guint           cd_sla_group_item_get_n_red      (CdSlaGroupItem *self);
guint           cd_sla_group_item_get_n_amber    (CdSlaGroupItem *self);
guint           cd_sla_group_item_get_n_green    (CdSlaGroupItem *self);
guint           cd_sla_group_item_get_n_paused   (CdSlaGroupItem *self);

G_END_DECLS
