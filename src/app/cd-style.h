/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-style.h: a feature's stylesheet, loaded once for the display. Views
 * load their own (not only through the application's style.css) so they
 * look the same when built alone, as the widget tests do. And spinners
 * that spin only on screen. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* Adds the stylesheet at @resource_path to the default display, once per
 * path; does nothing without a display. */
void cd_style_ensure (const char *resource_path);

/* Makes @spinner spin while it is mapped, and only then. A spinning
 * GtkSpinner in a page that is not shown (another view, a stack's other
 * page) keeps GTK 4.8's frame clock running: a whole frame every 16 ms for
 * nothing (6 % of a core on an idle window here). */
void cd_style_spin_while_mapped (GtkSpinner *spinner);

G_END_DECLS
