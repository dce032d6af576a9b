/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-sla-view.h: the shift supervisor's "Time limits" view.
 *
 * Every open ticket's running timers (first response, on site, resolved)
 * as live countdowns, most urgent first, coloured by state; filtered by
 * area, crew, category and state, and summarized by area, crew or
 * category. Pause and resume with a reason ("sla.pause", "sla.resume",
 * enabled for the roles ticket.pause allows). Beside it, the escalations:
 * every amber and red ticket, to acknowledge ("sla.acknowledge").
 *
 * One clock: the context's ::tick, and the view evaluates again only when
 * a shown minute or colour changes (cd_timers_next_change()), or the
 * model changed (::reloaded). The time is the server's
 * (cd_context_get_now()), so it is right offline too. After a wake from
 * suspend the first tick catches up once.
 *
 * Signals:
 * ::timer-turned-red (guint n_timers, const char *title, const char *body):
 *   timers turned red since the last evaluation, once for all of them;
 *   the desktop notification (a supervisor's, when there is an
 *   application) says @title and @body.
 */
#pragma once

#include <adwaita.h>

#include "cd-context.h"

G_BEGIN_DECLS

#define CD_TYPE_SLA_VIEW (cd_sla_view_get_type ())
G_DECLARE_FINAL_TYPE (CdSlaView, cd_sla_view, CD, SLA_VIEW, GtkWidget)

GtkWidget *cd_sla_view_new         (CdContext *context);
CdContext *cd_sla_view_get_context (CdSlaView *self);

G_END_DECLS
