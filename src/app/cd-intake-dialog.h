/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-intake-dialog.h: one form for every channel: a new ticket. */
#pragma once

#include <adwaita.h>

#include "cd-context.h"

G_BEGIN_DECLS

#define CD_TYPE_INTAKE_DIALOG (cd_intake_dialog_get_type ())
G_DECLARE_FINAL_TYPE (CdIntakeDialog, cd_intake_dialog, CD, INTAKE_DIALOG, AdwWindow)

/* @map_view: the window's map view, where "Pick on Map" places the point
 * (NULL or another widget: the point is typed in). */
GtkWindow  *cd_intake_dialog_new          (CdContext      *context,
                                           GtkWidget      *map_view);
void        cd_intake_dialog_set_location (CdIntakeDialog *self,
                                           double          lat,
                                           double          lon);
/* Validates and queues the ticket; on success returns its id and closes
 * the dialog. Returns NULL and shows the reason otherwise. */
char       *cd_intake_dialog_submit       (CdIntakeDialog *self,
                                           GError        **error);

/* Plain function, tested without a display: the ticket.create arguments
 * for the form's values, or NULL with a sentence naming what is missing.
 * @utility counts only for categories both utilities have. In the demo
 * city, the service area and its class come from the district the point
 * lies in. */
JsonObject *cd_intake_build_args          (const char     *customer_name,
                                           const char     *phone,
                                           const char     *account,
                                           gboolean        key_customer,
                                           const char     *address,
                                           double          lat,
                                           double          lon,
                                           CdCategory      category,
                                           CdUtility       utility,
                                           CdUrgency       urgency,
                                           CdChannel       channel,
                                           const char     *description,
                                           GError        **error);

G_END_DECLS
