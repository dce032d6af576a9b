/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-callbacks-view.h: the callback agent's queue and the manager's
 * review of second handling, two pages of one view.
 *
 * Queue: resolved tickets due for a callback, by due time then priority,
 * each recorded from a side form (callback.record). Review: callbacks in
 * second handling with their owner, deadline and the ticket's history,
 * closed with a conclusion (callback.close). */
#pragma once

#include <adwaita.h>

#include "cd-context.h"

G_BEGIN_DECLS

#define CD_TYPE_CALLBACKS_VIEW (cd_callbacks_view_get_type ())
G_DECLARE_FINAL_TYPE (CdCallbacksView, cd_callbacks_view, CD, CALLBACKS_VIEW, GtkWidget)

GtkWidget *cd_callbacks_view_new         (CdContext       *context);
CdContext *cd_callbacks_view_get_context (CdCallbacksView *self);

G_END_DECLS
