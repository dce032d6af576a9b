/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-test-ui.h: what every widget test needs: run the main loop until
 * something holds, wait for a drawn frame, find a label, and save a
 * screenshot for a person to look at. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* Runs the default main context until @check (@data) holds; FALSE after
 * @timeout_s seconds. */
gboolean cd_test_ui_wait_until        (gboolean   (*check) (gpointer data),
                                       gpointer     data,
                                       guint        timeout_s);
/* Until @widget is mapped and drawn once more (asserts within 30 s). */
void     cd_test_ui_wait_for_frame    (GtkWidget   *widget);
/* Runs whatever is ready. */
void     cd_test_ui_drain             (void);
/* Whether a visible label under @widget contains @needle. */
gboolean cd_test_ui_find_label        (GtkWidget   *widget,
                                       const char  *needle);
/* cd_test_ui_find_label() until it holds; FALSE after 30 s. */
gboolean cd_test_ui_wait_for_label    (GtkWidget   *widget,
                                       const char  *needle);
/* Renders @widget as drawn on screen, over the window background, into
 * G_TEST_BUILDDIR/NAME.png. Returns the share of pixels that differ from
 * the first one, so a test can fail a blank picture. */
double   cd_test_ui_save_screenshot   (GtkWidget   *widget,
                                       const char  *name);

G_END_DECLS
