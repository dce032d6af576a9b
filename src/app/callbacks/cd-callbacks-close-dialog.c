/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "cd-callbacks-close-dialog.h"
#include "cd-callbacks-logic.h"

struct _CdCallbacksCloseDialog
{
  AdwMessageDialog  parent_instance;

  /* Template */
  GtkTextView      *conclusion;
};

G_DEFINE_FINAL_TYPE (CdCallbacksCloseDialog, cd_callbacks_close_dialog, ADW_TYPE_MESSAGE_DIALOG)

/* "Close" only with a conclusion the server will take. */
static void
update_response (CdCallbacksCloseDialog *self)
{
  g_autofree char *text = cd_callbacks_close_dialog_dup_conclusion (self);
  g_autoptr(JsonObject) args = cd_callbacks_close_args (text, NULL);

  adw_message_dialog_set_response_enabled (ADW_MESSAGE_DIALOG (self), "close", args != NULL);
}

static void
conclusion_changed_cb (GtkTextBuffer          *buffer,
                       CdCallbacksCloseDialog *self)
{
  update_response (self);
}

static void
cd_callbacks_close_dialog_class_init (CdCallbacksCloseDialogClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/crewdesk/Crewdesk/callbacks/cd-callbacks-close-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, CdCallbacksCloseDialog, conclusion);
}

static void
cd_callbacks_close_dialog_init (CdCallbacksCloseDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  g_signal_connect_object (gtk_text_view_get_buffer (self->conclusion), "changed",
                           G_CALLBACK (conclusion_changed_cb), self, 0);
}

CdCallbacksCloseDialog *
cd_callbacks_close_dialog_new (GtkWindow *parent,
                               CdTicket  *ticket)
{
  CdCallbacksCloseDialog *self;
  g_autofree char *body = NULL;

  g_return_val_if_fail (ticket == NULL || CD_IS_TICKET (ticket), NULL);

  if (ticket != NULL)
    /* Translators: a ticket number, then the customer's name */
    body = g_strdup_printf (_("The second handling of ticket %s for %s ends here, and leaves the review."),
                            ticket->number != NULL ? ticket->number : "",
                            ticket->customer_name != NULL ? ticket->customer_name : _("Unknown customer"));
  else
    body = g_strdup (_("The second handling ends here, and leaves the review."));

  self = g_object_new (CD_TYPE_CALLBACKS_CLOSE_DIALOG,
                       "transient-for", parent,
                       "modal", TRUE,
                       "body", body,
                       NULL);
  gtk_widget_grab_focus (GTK_WIDGET (self->conclusion));
  return self;
}

char *
cd_callbacks_close_dialog_dup_conclusion (CdCallbacksCloseDialog *self)
{
  GtkTextBuffer *buffer;
  GtkTextIter start, end;

  g_return_val_if_fail (CD_IS_CALLBACKS_CLOSE_DIALOG (self), NULL);

  buffer = gtk_text_view_get_buffer (self->conclusion);
  gtk_text_buffer_get_bounds (buffer, &start, &end);
  return gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
}

void
cd_callbacks_close_dialog_set_conclusion (CdCallbacksCloseDialog *self,
                                          const char             *conclusion)
{
  g_return_if_fail (CD_IS_CALLBACKS_CLOSE_DIALOG (self));

  gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->conclusion), conclusion != NULL ? conclusion : "", -1);
}
