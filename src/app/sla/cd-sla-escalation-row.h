/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-sla-escalation-row.h: one ticket in the escalation list: its most
 * urgent amber or red time limit, where it stands, and the "Acknowledge"
 * button (the "sla.acknowledge" action with the ticket's id and level),
 * or a mark once acknowledged. */
#pragma once

#include <gtk/gtk.h>

#include "cd-sla-timer-item.h"

G_BEGIN_DECLS

#define CD_TYPE_SLA_ESCALATION_ROW (cd_sla_escalation_row_get_type ())
G_DECLARE_FINAL_TYPE (CdSlaEscalationRow, cd_sla_escalation_row, CD, SLA_ESCALATION_ROW, GtkWidget)

CdSlaTimerItem *cd_sla_escalation_row_get_item (CdSlaEscalationRow *self);
void            cd_sla_escalation_row_set_item (CdSlaEscalationRow *self,
                                                CdSlaTimerItem     *item);
GtkButton      *cd_sla_escalation_row_get_button (CdSlaEscalationRow *self);

G_END_DECLS
