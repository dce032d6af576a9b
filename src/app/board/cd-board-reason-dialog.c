/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "cd-board-reason-dialog.h"

struct _CdBoardReasonDialog
{
  AdwMessageDialog  parent_instance;

  GtkCheckButton   *checks[CD_BOARD_N_REASON_CHOICES];
  gint              reason;           /* -1: none chosen */

  /* Template */
  GtkListBox       *choices;
  AdwEntryRow      *details;
};

G_DEFINE_FINAL_TYPE (CdBoardReasonDialog, cd_board_reason_dialog, ADW_TYPE_MESSAGE_DIALOG)

static void
update_response (CdBoardReasonDialog *self)
{
  const char *details = gtk_editable_get_text (GTK_EDITABLE (self->details));
  gboolean complete = self->reason >= 0 && cd_board_reason_is_complete (self->reason, details);

  adw_message_dialog_set_response_enabled (ADW_MESSAGE_DIALOG (self), "assign", complete);
  /* "Other" asks for words. */
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->details),
                                 self->reason == CD_BOARD_REASON_OTHER ? _("Details (required)") : _("Details"));
}

static void
check_toggled_cb (GtkCheckButton      *check,
                  CdBoardReasonDialog *self)
{
  if (!gtk_check_button_get_active (check))
    return;

  for (guint i = 0; i < CD_BOARD_N_REASON_CHOICES; i++)
    if (self->checks[i] == check)
      self->reason = (gint) i;
  update_response (self);
  if (self->reason == CD_BOARD_REASON_OTHER)
    gtk_widget_grab_focus (GTK_WIDGET (self->details));
}

static void
details_changed_cb (CdBoardReasonDialog *self)
{
  update_response (self);
}

static void
details_activated_cb (CdBoardReasonDialog *self)
{
  if (adw_message_dialog_get_response_enabled (ADW_MESSAGE_DIALOG (self), "assign"))
    {
      adw_message_dialog_response (ADW_MESSAGE_DIALOG (self), "assign");
    }
}

static void
cd_board_reason_dialog_class_init (CdBoardReasonDialogClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/crewdesk/Crewdesk/board/cd-board-reason-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, CdBoardReasonDialog, choices);
  gtk_widget_class_bind_template_child (widget_class, CdBoardReasonDialog, details);
  gtk_widget_class_bind_template_callback (widget_class, details_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, details_activated_cb);
}

static void
cd_board_reason_dialog_init (CdBoardReasonDialog *self)
{
  GtkCheckButton *group = NULL;

  gtk_widget_init_template (GTK_WIDGET (self));
  self->reason = -1;

  /* The quick choices: one row each, the radio as its prefix. */
  for (guint i = 0; i < CD_BOARD_N_REASON_CHOICES; i++)
    {
      GtkWidget *row = adw_action_row_new ();
      GtkWidget *check = gtk_check_button_new ();

      gtk_check_button_set_group (GTK_CHECK_BUTTON (check), group);
      group = GTK_CHECK_BUTTON (check);
      gtk_widget_set_valign (check, GTK_ALIGN_CENTER);
      g_signal_connect (check, "toggled", G_CALLBACK (check_toggled_cb), self);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), cd_board_reason_label (i));
      adw_action_row_add_prefix (ADW_ACTION_ROW (row), check);
      adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), check);
      gtk_list_box_append (self->choices, row);
      self->checks[i] = GTK_CHECK_BUTTON (check);
    }
}

CdBoardReasonDialog *
cd_board_reason_dialog_new (GtkWindow  *parent,
                            const char *body)
{
  return g_object_new (CD_TYPE_BOARD_REASON_DIALOG,
                       "transient-for", parent,
                       "modal", TRUE,
                       "body", body,
                       NULL);
}

gint
cd_board_reason_dialog_get_reason (CdBoardReasonDialog *self)
{
  g_return_val_if_fail (CD_IS_BOARD_REASON_DIALOG (self), -1);
  return self->reason;
}

void
cd_board_reason_dialog_set_reason (CdBoardReasonDialog *self,
                                   CdBoardReason        reason,
                                   const char          *details)
{
  g_return_if_fail (CD_IS_BOARD_REASON_DIALOG (self));
  g_return_if_fail ((guint) reason < CD_BOARD_N_REASON_CHOICES);

  gtk_editable_set_text (GTK_EDITABLE (self->details), details != NULL ? details : "");
  gtk_check_button_set_active (self->checks[reason], TRUE);
  update_response (self);
}

char *
cd_board_reason_dialog_dup_recorded (CdBoardReasonDialog *self)
{
  const char *details;

  g_return_val_if_fail (CD_IS_BOARD_REASON_DIALOG (self), NULL);

  details = gtk_editable_get_text (GTK_EDITABLE (self->details));
  if (self->reason < 0 || !cd_board_reason_is_complete (self->reason, details))
    return NULL;
  return cd_board_reason_compose (self->reason, details);
}
