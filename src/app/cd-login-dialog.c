/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "cd-login-dialog.h"
#include "cd-sync-client.h"
#include "cd-sync-types.h"
#include "cd-user.h"

struct _CdLoginDialog
{
  AdwWindow      parent_instance;

  CdSyncClient  *client;
  char          *error;
  gboolean       busy;

  GtkLabel      *intro_label;
  AdwEntryRow   *server_row;
  AdwEntryRow   *user_row;
  AdwPasswordEntryRow *password_row;
  GtkRevealer   *error_revealer;
  GtkLabel      *error_label;
  GtkStack      *button_stack;
  GtkSpinner    *spinner;
};

G_DEFINE_FINAL_TYPE (CdLoginDialog, cd_login_dialog, ADW_TYPE_WINDOW)

enum {
  SIGNED_IN,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

char *
cd_login_normalize_server_url (const char  *text,
                               GError     **error)
{
  g_autofree char *url = NULL;
  g_autoptr(GUri) uri = NULL;
  const char *scheme;

  url = g_strstrip (g_strdup (text != NULL ? text : ""));
  if (*url == '\0')
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _("Enter the address of the server."));
      return NULL;
    }

  if (strstr (url, "://") == NULL)
    {
      char *with_scheme = g_strconcat ("https://", url, NULL);

      g_free (url);
      url = with_scheme;
    }

  uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  scheme = uri != NULL ? g_uri_get_scheme (uri) : NULL;
  if (uri == NULL || strpbrk (url, " \t\n") != NULL || g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0' ||
      (g_strcmp0 (scheme, "http") != 0 && g_strcmp0 (scheme, "https") != 0) ||
      g_uri_get_query (uri) != NULL || g_uri_get_fragment (uri) != NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("“%s” is not a server address. Enter one like crewdesk.example.org."),
                   text);
      return NULL;
    }

  /* No trailing slash: the client appends /api/v1/…. */
  while (g_str_has_suffix (url, "/"))
    url[strlen (url) - 1] = '\0';
  return g_steal_pointer (&url);
}

static void
set_error (CdLoginDialog *self,
           const char    *message)
{
  g_free (self->error);
  self->error = g_strdup (message);
  gtk_label_set_label (self->error_label, message != NULL ? message : "");
  gtk_revealer_set_reveal_child (self->error_revealer, message != NULL);
}

static void
set_busy (CdLoginDialog *self,
          gboolean       busy)
{
  self->busy = busy;
  gtk_stack_set_visible_child_name (self->button_stack, busy ? "spinner" : "button");
  /* Spinning only while shown: a hidden spinner still wakes the frame
   * clock. */
  gtk_spinner_set_spinning (self->spinner, busy);
  /* The rows stay sensitive: taking the focused entry's sensitivity away
   * under it loses its focus-out (GTK 4.8 warns). A second sign-in while
   * busy is ignored instead. */
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "login.sign-in", !busy);
}

static void
login_done_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(CdLoginDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(CdUser) user = NULL;

  user = cd_sync_client_login_finish (CD_SYNC_CLIENT (source), result, &error);
  set_busy (self, FALSE);
  if (user == NULL)
    {
      set_error (self, error->message);
      gtk_widget_grab_focus (GTK_WIDGET (self->password_row));
      return;
    }

  set_error (self, NULL);
  g_signal_emit (self, signals[SIGNED_IN], 0,
                 cd_sync_client_get_base_url (self->client),
                 user->username,
                 cd_sync_client_get_token (self->client),
                 user);
}

static void
sign_in_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  cd_login_dialog_sign_in (CD_LOGIN_DIALOG (widget));
}

static void
password_activated_cb (CdLoginDialog *self)
{
  cd_login_dialog_sign_in (self);
}

static void
cd_login_dialog_dispose (GObject *object)
{
  CdLoginDialog *self = CD_LOGIN_DIALOG (object);

  if (self->client != NULL)
    cd_sync_client_cancel (self->client);
  g_clear_object (&self->client);
  gtk_widget_dispose_template (GTK_WIDGET (self), CD_TYPE_LOGIN_DIALOG);

  G_OBJECT_CLASS (cd_login_dialog_parent_class)->dispose (object);
}

static void
cd_login_dialog_finalize (GObject *object)
{
  CdLoginDialog *self = CD_LOGIN_DIALOG (object);

  g_free (self->error);

  G_OBJECT_CLASS (cd_login_dialog_parent_class)->finalize (object);
}

static void
cd_login_dialog_class_init (CdLoginDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = cd_login_dialog_dispose;
  object_class->finalize = cd_login_dialog_finalize;

  /* (server_url, username, token, CdUser) */
  signals[SIGNED_IN] = g_signal_new ("signed-in", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                     0, NULL, NULL, NULL, G_TYPE_NONE, 4,
                                     G_TYPE_STRING, G_TYPE_STRING, G_TYPE_STRING, CD_TYPE_USER);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/crewdesk/Crewdesk/cd-login-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, CdLoginDialog, intro_label);
  gtk_widget_class_bind_template_child (widget_class, CdLoginDialog, server_row);
  gtk_widget_class_bind_template_child (widget_class, CdLoginDialog, user_row);
  gtk_widget_class_bind_template_child (widget_class, CdLoginDialog, password_row);
  gtk_widget_class_bind_template_child (widget_class, CdLoginDialog, error_revealer);
  gtk_widget_class_bind_template_child (widget_class, CdLoginDialog, error_label);
  gtk_widget_class_bind_template_child (widget_class, CdLoginDialog, button_stack);
  gtk_widget_class_bind_template_child (widget_class, CdLoginDialog, spinner);
  gtk_widget_class_bind_template_callback (widget_class, password_activated_cb);

  gtk_widget_class_install_action (widget_class, "login.sign-in", NULL, sign_in_action);
}

static void
cd_login_dialog_init (CdLoginDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWindow *
cd_login_dialog_new (const char *server_url,
                     const char *username)
{
  CdLoginDialog *self = g_object_new (CD_TYPE_LOGIN_DIALOG, NULL);

  gtk_editable_set_text (GTK_EDITABLE (self->server_row), server_url ? server_url : "");
  gtk_editable_set_text (GTK_EDITABLE (self->user_row), username ? username : "");
  if (server_url == NULL || *server_url == '\0')
    gtk_widget_grab_focus (GTK_WIDGET (self->server_row));
  else if (username == NULL || *username == '\0')
    gtk_widget_grab_focus (GTK_WIDGET (self->user_row));
  else
    gtk_widget_grab_focus (GTK_WIDGET (self->password_row));

  return GTK_WINDOW (self);
}

void
cd_login_dialog_set_session_ended (CdLoginDialog *self,
                                   guint          n_waiting)
{
  g_autofree char *text = NULL;

  g_return_if_fail (CD_IS_LOGIN_DIALOG (self));

  gtk_widget_set_sensitive (GTK_WIDGET (self->server_row), FALSE);
  gtk_widget_set_sensitive (GTK_WIDGET (self->user_row), FALSE);
  if (n_waiting > 0)
    text = g_strdup_printf (ngettext ("Your session has ended. Sign in again to send the %u change waiting on this computer.",
                                      "Your session has ended. Sign in again to send the %u changes waiting on this computer.",
                                      n_waiting), n_waiting);
  else
    text = g_strdup (_("Your session has ended. Sign in again to keep working with the server."));
  gtk_label_set_label (self->intro_label, text);
  gtk_widget_grab_focus (GTK_WIDGET (self->password_row));
}

void
cd_login_dialog_set_password (CdLoginDialog *self,
                              const char    *password)
{
  g_return_if_fail (CD_IS_LOGIN_DIALOG (self));
  gtk_editable_set_text (GTK_EDITABLE (self->password_row), password);
}

void
cd_login_dialog_sign_in (CdLoginDialog *self)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *url = NULL;
  g_autofree char *username = NULL;
  const char *password;

  g_return_if_fail (CD_IS_LOGIN_DIALOG (self));

  if (self->busy)
    return;

  url = cd_login_normalize_server_url (gtk_editable_get_text (GTK_EDITABLE (self->server_row)), &error);
  if (url == NULL)
    {
      set_error (self, error->message);
      gtk_widget_grab_focus (GTK_WIDGET (self->server_row));
      return;
    }
  username = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->user_row))));
  if (*username == '\0')
    {
      set_error (self, _("Enter your user name."));
      gtk_widget_grab_focus (GTK_WIDGET (self->user_row));
      return;
    }
  password = gtk_editable_get_text (GTK_EDITABLE (self->password_row));
  if (*password == '\0')
    {
      set_error (self, _("Enter your password."));
      gtk_widget_grab_focus (GTK_WIDGET (self->password_row));
      return;
    }

  if (self->client == NULL)
    self->client = cd_sync_client_new (url);
  else
    cd_sync_client_set_base_url (self->client, url);

  set_error (self, NULL);
  set_busy (self, TRUE);
  cd_sync_client_login_async (self->client, username, password, login_done_cb, g_object_ref (self));
}

const char *
cd_login_dialog_get_error (CdLoginDialog *self)
{
  g_return_val_if_fail (CD_IS_LOGIN_DIALOG (self), NULL);
  return self->error;
}

void
cd_login_dialog_show_error (CdLoginDialog *self,
                            const char    *message)
{
  g_return_if_fail (CD_IS_LOGIN_DIALOG (self));
  set_error (self, message);
}
