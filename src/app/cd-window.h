/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-window.h: the dispatcher window: the views of one signed-in session. */
#pragma once

#include <adwaita.h>

#include "cd-context.h"

G_BEGIN_DECLS

#define CD_TYPE_WINDOW (cd_window_get_type ())
G_DECLARE_FINAL_TYPE (CdWindow, cd_window, CD, WINDOW, AdwApplicationWindow)

CdWindow  *cd_window_new           (GtkApplication *application,
                                    CdContext      *context);
CdContext *cd_window_get_context   (CdWindow       *self);
/* "map", "board", "sla", "callbacks", "reports". */
void       cd_window_set_view      (CdWindow       *self,
                                    const char     *name);
GtkWidget *cd_window_get_view      (CdWindow       *self,
                                    const char     *name);
void       cd_window_add_toast     (CdWindow       *self,
                                    AdwToast       *toast);

G_END_DECLS
