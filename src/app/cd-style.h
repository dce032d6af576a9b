/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-style.h: a feature's stylesheet, loaded once for the display. Views
 * load their own (not only through the application's style.css) so they
 * look the same when built alone, as the widget tests do. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* Adds the stylesheet at @resource_path to the default display, once per
 * path; does nothing without a display. */
void cd_style_ensure (const char *resource_path);

G_END_DECLS
