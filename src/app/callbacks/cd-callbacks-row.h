/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-callbacks-row.h: one row of the queue or of the review: the ticket,
 * the customer, the priority marks and a live countdown (to the
 * callback's due time, or to the second-handling deadline). */
#pragma once

#include <adwaita.h>

#include "cd-callbacks-logic.h"

G_BEGIN_DECLS

#define CD_TYPE_CALLBACKS_ROW (cd_callbacks_row_get_type ())
G_DECLARE_FINAL_TYPE (CdCallbacksRow, cd_callbacks_row, CD, CALLBACKS_ROW, GtkWidget)

CdCallbacksItem *cd_callbacks_row_get_item (CdCallbacksRow *self);
/* The countdown as shown, for tests. */
const char      *cd_callbacks_row_get_due  (CdCallbacksRow *self);

G_END_DECLS
