/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-callbacks-private.h: what the view's parts ask of the view, and
 * what the widget tests reach. Not for other features. */
#pragma once

#include "cd-callbacks-close-dialog.h"
#include "cd-callbacks-logic.h"
#include "cd-callbacks-row.h"
#include "cd-callbacks-view.h"

G_BEGIN_DECLS

/* Rows: a username as people read it ("Liu Yang"), or the username. */
const char             *_cd_callbacks_view_user_display     (CdCallbacksView       *self,
                                                             const char            *username);

/* Tests. Whether a read of the callbacks is running or queued. */
gboolean                _cd_callbacks_view_is_loading       (CdCallbacksView       *self);
/* "queue" or "review". */
const char             *_cd_callbacks_view_get_page         (CdCallbacksView       *self);
void                    _cd_callbacks_view_set_page         (CdCallbacksView       *self,
                                                             const char            *page);
/* The lists as shown (of CdCallbacksItem), and their selections. */
GtkSingleSelection     *_cd_callbacks_view_get_queue        (CdCallbacksView       *self);
GtkSingleSelection     *_cd_callbacks_view_get_review       (CdCallbacksView       *self);
/* As a click or Enter on the row at @position of @page's list. */
void                    _cd_callbacks_view_activate         (CdCallbacksView       *self,
                                                             const char            *page,
                                                             guint                  position);
/* Whether the visible page is folded and shows its detail. */
gboolean                _cd_callbacks_view_is_folded_on_detail (CdCallbacksView    *self);
/* Sets the form's widgets as a person would. */
void                    _cd_callbacks_view_fill_form        (CdCallbacksView       *self,
                                                             const CdCallbacksForm *form);
/* The fields the form shows. */
CdCallbacksFields       _cd_callbacks_view_get_fields       (CdCallbacksView       *self);
/* Chooses the queue's order in its drop-down. */
void                    _cd_callbacks_view_set_sort         (CdCallbacksView       *self,
                                                             CdCallbackQueueSort    sort);
GtkWidget              *_cd_callbacks_view_get_record_button (CdCallbacksView      *self);
GtkWidget              *_cd_callbacks_view_get_close_button (CdCallbacksView       *self);
/* The history shown for the selected review item, once read. */
GtkListBox             *_cd_callbacks_view_get_history      (CdCallbacksView       *self);
gboolean                _cd_callbacks_view_history_loading  (CdCallbacksView       *self);
CdCallbacksCloseDialog *_cd_callbacks_view_get_close_dialog (CdCallbacksView       *self);

G_END_DECLS
