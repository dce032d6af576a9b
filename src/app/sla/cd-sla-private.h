/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-sla-private.h: what the widget tests reach inside the time-limits
 * view. Not for other views. */
#pragma once

#include "cd-sla-escalation-row.h"
#include "cd-sla-pause-dialog.h"
#include "cd-sla-pill.h"
#include "cd-sla-timer-item.h"
#include "cd-sla-view.h"

G_BEGIN_DECLS

typedef enum {
  CD_SLA_DROPDOWN_AREA,
  CD_SLA_DROPDOWN_CREW,
  CD_SLA_DROPDOWN_CATEGORY,
  CD_SLA_DROPDOWN_STATE,
  CD_SLA_DROPDOWN_GROUP,
} CdSlaDropDown;

/* The state dropdown's choices, in order. */
typedef enum {
  CD_SLA_STATE_CHOICE_ALL,
  CD_SLA_STATE_CHOICE_OVERDUE,
  CD_SLA_STATE_CHOICE_AT_RISK,
  CD_SLA_STATE_CHOICE_ESCALATED,   /* overdue or at risk */
  CD_SLA_STATE_CHOICE_ON_TIME,
} CdSlaStateChoice;

/* The group dropdown's choices, in order. */
typedef enum {
  CD_SLA_GROUP_CHOICE_NONE,
  CD_SLA_GROUP_CHOICE_AREA,
  CD_SLA_GROUP_CHOICE_CREW,
  CD_SLA_GROUP_CHOICE_CATEGORY,
} CdSlaGroupChoice;

/* The rows shown (CdSlaTimerItem), the escalations (CdSlaTimerItem, one
 * per ticket) and the grouped summary (CdSlaGroupItem). */
GListModel       *_cd_sla_view_get_timers        (CdSlaView     *self);
GListModel       *_cd_sla_view_get_escalations   (CdSlaView     *self);
GListModel       *_cd_sla_view_get_groups        (CdSlaView     *self);
GtkDropDown      *_cd_sla_view_get_dropdown      (CdSlaView     *self,
                                                  CdSlaDropDown  which);
/* The crew dropdown's position for @crew_id ("" = unassigned), or
 * GTK_INVALID_LIST_POSITION; the same for areas. */
guint             _cd_sla_view_find_crew         (CdSlaView     *self,
                                                  const char    *crew_id);
guint             _cd_sla_view_find_area         (CdSlaView     *self,
                                                  const char    *area);
GtkColumnView    *_cd_sla_view_get_column_view   (CdSlaView     *self);
GtkLabel         *_cd_sla_view_get_count_label   (CdSlaView     *self);
CdSlaPauseDialog *_cd_sla_view_get_pause_dialog  (CdSlaView     *self);
/* How many times the view evaluated its timers, and when it will next. */
guint             _cd_sla_view_get_n_evaluations (CdSlaView     *self);
gint64            _cd_sla_view_get_next_change   (CdSlaView     *self);
gint64            _cd_sla_view_get_last_evaluation (CdSlaView   *self);

G_END_DECLS
