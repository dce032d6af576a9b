/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-sla-pill.h: a time limit's state as a coloured pill ("Overdue" on
 * the error colour, "At risk" on the warning colour, "On time" on the
 * success colour, "Paused" neutral). The word is there for those who do
 * not tell the colours apart. Its properties are bound from list item
 * factories. */
#pragma once

#include <gtk/gtk.h>

#include "cd-enums.h"

G_BEGIN_DECLS

#define CD_TYPE_SLA_PILL (cd_sla_pill_get_type ())
G_DECLARE_FINAL_TYPE (CdSlaPill, cd_sla_pill, CD, SLA_PILL, GtkWidget)

GtkWidget  *cd_sla_pill_new        (void);
void        cd_sla_pill_set_state  (CdSlaPill   *self,
                                    CdSlaState   state,
                                    gboolean     paused);
void        cd_sla_pill_set_label  (CdSlaPill   *self,
                                    const char  *label);
const char *cd_sla_pill_get_label  (CdSlaPill   *self);
/* The style class shown: "success", "warning", "error", "paused" or NULL. */
const char *cd_sla_pill_get_style  (CdSlaPill   *self);

G_END_DECLS
