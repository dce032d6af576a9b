/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "cd-format.h"
#include "cd-sla-logic.h"
#include "cd-sla-pause-dialog.h"

struct _CdSlaPauseDialog
{
  AdwMessageDialog  parent_instance;

  CdTicket         *ticket;
  gboolean          resume;
  gboolean          edited;    /* say what is missing only once something was typed */

  /* Template */
  GtkWidget        *reason_box;
  AdwEntryRow      *reason;
  GtkLabel         *problem;
};

G_DEFINE_FINAL_TYPE (CdSlaPauseDialog, cd_sla_pause_dialog, ADW_TYPE_MESSAGE_DIALOG)

static const char *
ticket_label (CdTicket *ticket)
{
  return ticket->number != NULL ? ticket->number : cd_record_get_id (CD_RECORD (ticket));
}

static void
update_response (CdSlaPauseDialog *self)
{
  const char *problem = NULL;
  CdSlaReasonCheck check;

  if (self->resume)
    return;

  check = cd_sla_check_reason (gtk_editable_get_text (GTK_EDITABLE (self->reason)), &problem);
  adw_message_dialog_set_response_enabled (ADW_MESSAGE_DIALOG (self), "pause", check == CD_SLA_REASON_OK);
  gtk_label_set_label (self->problem, problem);
  gtk_widget_set_visible (GTK_WIDGET (self->problem), problem != NULL && (self->edited || check != CD_SLA_REASON_EMPTY));
  if (check == CD_SLA_REASON_TOO_LONG)
    gtk_widget_add_css_class (GTK_WIDGET (self->reason), "error");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->reason), "error");
}

static void
reason_changed_cb (CdSlaPauseDialog *self)
{
  self->edited = TRUE;
  update_response (self);
}

static void
reason_activated_cb (CdSlaPauseDialog *self)
{
  if (adw_message_dialog_get_response_enabled (ADW_MESSAGE_DIALOG (self), "pause"))
    adw_message_dialog_response (ADW_MESSAGE_DIALOG (self), "pause");
}

static void
cd_sla_pause_dialog_dispose (GObject *object)
{
  CdSlaPauseDialog *self = CD_SLA_PAUSE_DIALOG (object);

  g_clear_object (&self->ticket);
  gtk_widget_dispose_template (GTK_WIDGET (self), CD_TYPE_SLA_PAUSE_DIALOG);

  G_OBJECT_CLASS (cd_sla_pause_dialog_parent_class)->dispose (object);
}

static void
cd_sla_pause_dialog_class_init (CdSlaPauseDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = cd_sla_pause_dialog_dispose;

  gtk_widget_class_set_template_from_resource (widget_class, "/org/crewdesk/Crewdesk/sla/cd-sla-pause-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, CdSlaPauseDialog, reason_box);
  gtk_widget_class_bind_template_child (widget_class, CdSlaPauseDialog, reason);
  gtk_widget_class_bind_template_child (widget_class, CdSlaPauseDialog, problem);
  gtk_widget_class_bind_template_callback (widget_class, reason_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, reason_activated_cb);
}

static void
cd_sla_pause_dialog_init (CdSlaPauseDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

CdSlaPauseDialog *
cd_sla_pause_dialog_new (GtkWindow *parent,
                         CdTicket  *ticket,
                         gboolean   resume,
                         gint64     now)
{
  CdSlaPauseDialog *self;
  AdwMessageDialog *dialog;
  g_autofree char *body = NULL;

  g_return_val_if_fail (parent == NULL || GTK_IS_WINDOW (parent), NULL);
  g_return_val_if_fail (CD_IS_TICKET (ticket), NULL);

  self = g_object_new (CD_TYPE_SLA_PAUSE_DIALOG,
                       "transient-for", parent,
                       "modal", TRUE,
                       NULL);
  dialog = ADW_MESSAGE_DIALOG (self);
  self->ticket = g_object_ref (ticket);
  self->resume = resume;

  adw_message_dialog_add_response (dialog, "cancel", _("_Cancel"));
  if (!resume)
    {
      adw_message_dialog_set_heading (dialog, _("Pause Time Limits?"));
      body = g_strdup_printf (_("The time limits of ticket %s stop counting until they are resumed. Pause only "
                                "while the crew waits for the customer; the reason is recorded with the ticket."),
                              ticket_label (ticket));
      adw_message_dialog_add_response (dialog, "pause", _("_Pause"));
      adw_message_dialog_set_response_appearance (dialog, "pause", ADW_RESPONSE_SUGGESTED);
      adw_message_dialog_set_default_response (dialog, "pause");
      update_response (self);
    }
  else
    {
      CdSlaPause *pause = cd_sla_open_pause (ticket);

      adw_message_dialog_set_heading (dialog, _("Resume Time Limits?"));
      if (pause != NULL)
        {
          g_autofree char *since = cd_format_time (pause->start, now);

          /* Translators: %s: a ticket number, a time, the reason given for the pause */
          body = g_strdup_printf (_("Ticket %s has waited for the customer since %s: “%s”. Its time limits "
                                    "count again from now."),
                                  ticket_label (ticket), since, pause->reason != NULL ? pause->reason : "");
        }
      else
        body = g_strdup_printf (_("The time limits of ticket %s count again from now."), ticket_label (ticket));
      gtk_widget_set_visible (self->reason_box, FALSE);
      adw_message_dialog_add_response (dialog, "resume", _("_Resume"));
      adw_message_dialog_set_response_appearance (dialog, "resume", ADW_RESPONSE_SUGGESTED);
      adw_message_dialog_set_default_response (dialog, "resume");
    }
  adw_message_dialog_set_close_response (dialog, "cancel");
  adw_message_dialog_set_body (dialog, body);

  return self;
}

CdTicket *
cd_sla_pause_dialog_get_ticket (CdSlaPauseDialog *self)
{
  g_return_val_if_fail (CD_IS_SLA_PAUSE_DIALOG (self), NULL);
  return self->ticket;
}

gboolean
cd_sla_pause_dialog_get_resume (CdSlaPauseDialog *self)
{
  g_return_val_if_fail (CD_IS_SLA_PAUSE_DIALOG (self), FALSE);
  return self->resume;
}

void
cd_sla_pause_dialog_set_reason (CdSlaPauseDialog *self,
                                const char       *reason)
{
  g_return_if_fail (CD_IS_SLA_PAUSE_DIALOG (self));

  gtk_editable_set_text (GTK_EDITABLE (self->reason), reason != NULL ? reason : "");
  update_response (self);
}

const char *
cd_sla_pause_dialog_get_reason (CdSlaPauseDialog *self)
{
  g_return_val_if_fail (CD_IS_SLA_PAUSE_DIALOG (self), NULL);

  if (self->resume)
    return NULL;
  return gtk_editable_get_text (GTK_EDITABLE (self->reason));
}
