/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-format.h: how the app words the model: translated names of the
 * enums, countdowns and times. Plain functions, tested without a display. */
#pragma once

#include <glib.h>

#include "cd-enums.h"

G_BEGIN_DECLS

const char *cd_format_utility       (CdUtility       utility);
const char *cd_format_category      (CdCategory      category);
const char *cd_format_urgency       (CdUrgency       urgency);
const char *cd_format_channel       (CdChannel       channel);
const char *cd_format_ticket_status (CdTicketStatus  status);
const char *cd_format_crew_status   (CdCrewStatus    status);
const char *cd_format_role          (CdRole          role);
const char *cd_format_sla_kind      (CdSlaKind       kind);
const char *cd_format_sla_state     (CdSlaState      state);

/* "45 min", "2 h 05 min", "3 d 4 h"; "overdue 12 min" when negative;
 * time left is rounded up, so "0 min" only at the deadline; overdue
 * time rounded down, "just overdue" for its first minute (the minutes
 * of cd_timer_display_minutes()). */
char       *cd_format_countdown     (gint64          seconds_left);
/* "14:05" today, "Mon 14:05" within a week, else "2026-11-23 14:05"; in
 * local time. */
char       *cd_format_time          (gint64          unix_seconds,
                                     gint64          now);

G_END_DECLS
