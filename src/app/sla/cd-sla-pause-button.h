/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-sla-pause-button.h: a timer row's pause or resume button. It
 * activates "sla.pause" or "sla.resume" with the ticket's id, so it is
 * disabled with the view's actions, and its tooltip then says why. */
#pragma once

#include <gtk/gtk.h>

#include "cd-sla-timer-item.h"

G_BEGIN_DECLS

#define CD_TYPE_SLA_PAUSE_BUTTON (cd_sla_pause_button_get_type ())
G_DECLARE_FINAL_TYPE (CdSlaPauseButton, cd_sla_pause_button, CD, SLA_PAUSE_BUTTON, GtkButton)

GtkWidget      *cd_sla_pause_button_new      (void);
CdSlaTimerItem *cd_sla_pause_button_get_item (CdSlaPauseButton *self);
void            cd_sla_pause_button_set_item (CdSlaPauseButton *self,
                                              CdSlaTimerItem   *item);

G_END_DECLS
