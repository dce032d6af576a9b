/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "cd-conflicts-dialog.h"
#include "cd-format.h"

struct _CdConflictsDialog
{
  AdwWindow   parent_instance;

  CdContext  *context;
  guint       n_items;

  GtkStack   *stack;
  GtkListBox *list_box;
};

G_DEFINE_FINAL_TYPE (CdConflictsDialog, cd_conflicts_dialog, ADW_TYPE_WINDOW)

enum {
  PROP_0,
  PROP_CONTEXT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* Plain functions ---------------------------------------------------------- */

static JsonObject *
parse_object (const char *text)
{
  g_autoptr(JsonNode) node = NULL;

  if (text == NULL)
    return NULL;
  node = json_from_string (text, NULL);
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return NULL;
  return json_object_ref (json_node_get_object (node));
}

static const char *
member_string (JsonObject *object,
               const char *name)
{
  JsonNode *node;

  if (object == NULL || !json_object_has_member (object, name))
    return NULL;
  node = json_object_get_member (object, name);
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

static char *
ticket_label (CdContext             *context,
              const CdStoreConflict *conflict)
{
  g_autoptr(JsonObject) current = parse_object (conflict->current);
  g_autoptr(JsonObject) mine = parse_object (conflict->mine);
  CdTicket *ticket = context != NULL ? cd_context_lookup_ticket (context, conflict->target) : NULL;
  const char *number = ticket != NULL ? ticket->number : NULL;

  if (number == NULL)
    number = member_string (current, "number");
  if (number == NULL)
    number = member_string (mine, "number");
  return g_strdup (number != NULL ? number : conflict->target);
}

static char *
crew_label (CdContext  *context,
            const char *crew_id)
{
  CdCrew *crew = context != NULL ? cd_context_lookup_crew (context, crew_id) : NULL;

  return g_strdup (crew != NULL && crew->name != NULL ? crew->name : crew_id);
}

char *
cd_conflict_describe (CdContext             *context,
                      const CdStoreConflict *conflict)
{
  g_autoptr(JsonObject) mutation = NULL;
  g_autofree char *what = NULL;
  JsonObject *args = NULL;
  const char *op;

  g_return_val_if_fail (conflict != NULL, NULL);

  mutation = parse_object (conflict->mutation);
  op = member_string (mutation, "op");
  if (mutation != NULL && json_object_has_member (mutation, "args") &&
      JSON_NODE_HOLDS_OBJECT (json_object_get_member (mutation, "args")))
    args = json_object_get_object_member (mutation, "args");

  if (op == NULL)
    return g_strdup (_("An unreadable change"));

  if (g_str_has_prefix (op, "ticket."))
    what = ticket_label (context, conflict);

  if (g_str_equal (op, "ticket.assign"))
    {
      JsonNode *crew = args != NULL && json_object_has_member (args, "crew_id")
        ? json_object_get_member (args, "crew_id") : NULL;

      if (crew == NULL || JSON_NODE_HOLDS_NULL (crew))
        /* Translators: %s is a ticket number. */
        return g_strdup_printf (_("Unassign %s"), what);
      else
        {
          g_autofree char *name = crew_label (context, json_node_get_string (crew));

          /* Translators: the first %s is a ticket number, the second a crew name. */
          return g_strdup_printf (_("Assign %s to %s"), what, name);
        }
    }
  if (g_str_equal (op, "ticket.set_status"))
    {
      g_autofree char *status = NULL;
      const char *nick = member_string (args, "status");
      GEnumClass *klass = g_type_class_ref (CD_TYPE_TICKET_STATUS);
      GEnumValue *value = nick != NULL ? g_enum_get_value_by_nick (klass, nick) : NULL;

      status = g_strdup (value != NULL ? cd_format_ticket_status (value->value) : (nick ? nick : "?"));
      g_type_class_unref (klass);
      /* Translators: the first %s is a ticket number, the second a status. */
      return g_strdup_printf (_("Set %s to “%s”"), what, status);
    }
  if (g_str_equal (op, "ticket.create"))
    return g_strdup_printf (_("Create ticket %s"), what);
  if (g_str_equal (op, "ticket.pause"))
    return g_strdup_printf (_("Pause the time limits of %s"), what);
  if (g_str_equal (op, "ticket.resume"))
    return g_strdup_printf (_("Resume the time limits of %s"), what);
  if (g_str_equal (op, "ticket.update"))
    return g_strdup_printf (_("Edit %s"), what);
  if (g_str_equal (op, "callback.record"))
    return g_strdup (_("Record a callback"));
  if (g_str_equal (op, "callback.close"))
    return g_strdup (_("Close a second handling"));

  /* Translators: %s is the technical name of an operation. */
  return g_strdup_printf (_("Change “%s”"), op);
}

static char *
value_text (JsonNode *node)
{
  if (node == NULL)
    return g_strdup ("—");
  if (JSON_NODE_HOLDS_NULL (node))
    return g_strdup ("—");
  if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
    return g_strdup (json_node_get_string (node));
  return json_to_string (node, FALSE);
}

/* Members that only move with every change say nothing to a person. */
static gboolean
is_bookkeeping (const char *name)
{
  return g_str_equal (name, "version") || g_str_equal (name, "rev") ||
         g_str_equal (name, "updated_at");
}

char *
cd_conflict_describe_changes (const char *mine,
                              const char *current)
{
  g_autoptr(JsonObject) a = parse_object (mine);
  g_autoptr(JsonObject) b = parse_object (current);
  g_autoptr(GString) out = NULL;
  g_autoptr(GList) names = NULL;
  g_autoptr(GHashTable) seen = NULL;

  if (a == NULL || b == NULL)
    return NULL;

  out = g_string_new (NULL);
  seen = g_hash_table_new (g_str_hash, g_str_equal);
  names = g_list_concat (json_object_get_members (a), json_object_get_members (b));
  for (GList *l = names; l != NULL; l = l->next)
    {
      const char *name = l->data;
      JsonNode *na = json_object_get_member (a, name);
      JsonNode *nb = json_object_get_member (b, name);
      g_autofree char *ta = NULL;
      g_autofree char *tb = NULL;

      if (!g_hash_table_add (seen, (gpointer) name) || is_bookkeeping (name))
        continue;
      if (na != NULL && nb != NULL && json_node_equal (na, nb))
        continue;

      ta = value_text (na);
      tb = value_text (nb);
      if (out->len > 0)
        g_string_append_c (out, '\n');
      /* Translators: a member that differs: its name, the value in this
       * user's change, the value on the server. */
      g_string_append_printf (out, _("%s: %s → %s"), name, ta, tb);
    }

  return g_string_free (g_steal_pointer (&out), FALSE);
}

/* The list ------------------------------------------------------------------- */

static void
retry_clicked_cb (GtkButton         *button,
                  CdConflictsDialog *self)
{
  gint64 id = *(gint64 *) g_object_get_data (G_OBJECT (button), "conflict-id");
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) changed = NULL;

  changed = cd_sync_cache_retry_conflict (cd_context_get_cache (self->context), id, &error);
  if (changed == NULL)
    {
      cd_context_add_toast (self->context, adw_toast_new (error->message));
      return;
    }
  cd_sync_engine_sync_now (cd_context_get_engine (self->context));
  cd_context_reload (self->context);
  cd_conflicts_dialog_refresh (self);
}

static void
discard_clicked_cb (GtkButton         *button,
                    CdConflictsDialog *self)
{
  gint64 id = *(gint64 *) g_object_get_data (G_OBJECT (button), "conflict-id");
  g_autoptr(GError) error = NULL;

  if (!cd_sync_cache_discard_conflict (cd_context_get_cache (self->context), id, &error))
    cd_context_add_toast (self->context, adw_toast_new (error->message));
  cd_conflicts_dialog_refresh (self);
}

static GtkWidget *
conflict_row (CdConflictsDialog     *self,
              const CdStoreConflict *conflict)
{
  g_autofree char *title = cd_conflict_describe (self->context, conflict);
  g_autofree char *changes = cd_conflict_describe_changes (conflict->mine, conflict->current);
  g_autofree char *when = cd_format_time (conflict->at, cd_context_get_now (self->context));
  g_autofree char *subtitle = NULL;
  GtkWidget *row, *box, *label, *retry, *discard;
  gint64 *id;

  if (conflict->changed_by != NULL)
    /* Translators: the server's reason, who changed the record, when. */
    subtitle = g_strdup_printf (_("%s Changed by %s, refused at %s."),
                                conflict->message ? conflict->message : "",
                                conflict->changed_by, when);
  else
    subtitle = g_strdup_printf (_("%s Refused at %s."),
                                conflict->message ? conflict->message : "", when);

  row = adw_expander_row_new ();
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_expander_row_set_subtitle (ADW_EXPANDER_ROW (row), subtitle);
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);

  id = g_new (gint64, 1);
  *id = conflict->id;

  retry = gtk_button_new_with_mnemonic (_("_Retry"));
  gtk_widget_set_valign (retry, GTK_ALIGN_CENTER);
  gtk_widget_set_tooltip_text (retry, _("Send the same change again, against what the server has now"));
  gtk_widget_add_css_class (retry, "suggested-action");
  g_object_set_data_full (G_OBJECT (retry), "conflict-id", id, g_free);
  g_signal_connect_object (retry, "clicked", G_CALLBACK (retry_clicked_cb), self, 0);

  discard = gtk_button_new_with_mnemonic (_("_Discard"));
  gtk_widget_set_valign (discard, GTK_ALIGN_CENTER);
  g_object_set_data (G_OBJECT (discard), "conflict-id", id);
  g_signal_connect_object (discard, "clicked", G_CALLBACK (discard_clicked_cb), self, 0);

  adw_expander_row_add_action (ADW_EXPANDER_ROW (row), discard);
  adw_expander_row_add_action (ADW_EXPANDER_ROW (row), retry);

  box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  gtk_widget_set_margin_top (box, 12);
  gtk_widget_set_margin_bottom (box, 12);
  gtk_widget_set_margin_start (box, 12);
  gtk_widget_set_margin_end (box, 12);
  label = gtk_label_new (_("Your change → the server now"));
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_widget_add_css_class (label, "heading");
  gtk_box_append (GTK_BOX (box), label);
  label = gtk_label_new (changes != NULL && *changes != '\0'
                         ? changes : _("The server no longer has this record."));
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_selectable (GTK_LABEL (label), TRUE);
  gtk_widget_add_css_class (label, "monospace");
  gtk_box_append (GTK_BOX (box), label);
  adw_expander_row_add_row (ADW_EXPANDER_ROW (row), box);

  return row;
}

void
cd_conflicts_dialog_refresh (CdConflictsDialog *self)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) conflicts = NULL;
  GtkWidget *child;

  g_return_if_fail (CD_IS_CONFLICTS_DIALOG (self));

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->list_box))) != NULL)
    gtk_list_box_remove (self->list_box, child);

  conflicts = cd_sync_cache_list_conflicts (cd_context_get_cache (self->context), &error);
  if (conflicts == NULL)
    {
      g_warning ("Could not read the refused changes: %s", error->message);
      self->n_items = 0;
    }
  else
    {
      for (guint i = 0; i < conflicts->len; i++)
        gtk_list_box_append (self->list_box, conflict_row (self, conflicts->pdata[i]));
      self->n_items = conflicts->len;
    }

  gtk_stack_set_visible_child_name (self->stack, self->n_items > 0 ? "list" : "empty");
}

static void
context_reloaded_cb (CdContext         *context,
                     CdConflictsDialog *self)
{
  cd_conflicts_dialog_refresh (self);
}

static void
cd_conflicts_dialog_constructed (GObject *object)
{
  CdConflictsDialog *self = CD_CONFLICTS_DIALOG (object);

  G_OBJECT_CLASS (cd_conflicts_dialog_parent_class)->constructed (object);

  g_signal_connect_object (self->context, "reloaded", G_CALLBACK (context_reloaded_cb), self, 0);
  cd_conflicts_dialog_refresh (self);
}

static void
cd_conflicts_dialog_dispose (GObject *object)
{
  CdConflictsDialog *self = CD_CONFLICTS_DIALOG (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), CD_TYPE_CONFLICTS_DIALOG);
  g_clear_object (&self->context);

  G_OBJECT_CLASS (cd_conflicts_dialog_parent_class)->dispose (object);
}

static void
cd_conflicts_dialog_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  CdConflictsDialog *self = CD_CONFLICTS_DIALOG (object);

  switch (prop_id)
    {
    case PROP_CONTEXT:
      g_value_set_object (value, self->context);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cd_conflicts_dialog_set_property (GObject      *object,
                                  guint         prop_id,
                                  const GValue *value,
                                  GParamSpec   *pspec)
{
  CdConflictsDialog *self = CD_CONFLICTS_DIALOG (object);

  switch (prop_id)
    {
    case PROP_CONTEXT:
      self->context = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cd_conflicts_dialog_class_init (CdConflictsDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = cd_conflicts_dialog_constructed;
  object_class->dispose = cd_conflicts_dialog_dispose;
  object_class->get_property = cd_conflicts_dialog_get_property;
  object_class->set_property = cd_conflicts_dialog_set_property;

  properties[PROP_CONTEXT] =
    g_param_spec_object ("context", NULL, NULL, CD_TYPE_CONTEXT,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/crewdesk/Crewdesk/cd-conflicts-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, CdConflictsDialog, stack);
  gtk_widget_class_bind_template_child (widget_class, CdConflictsDialog, list_box);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
cd_conflicts_dialog_init (CdConflictsDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWindow *
cd_conflicts_dialog_new (CdContext *context)
{
  g_return_val_if_fail (CD_IS_CONTEXT (context), NULL);
  return g_object_new (CD_TYPE_CONFLICTS_DIALOG, "context", context, NULL);
}

guint
cd_conflicts_dialog_get_n_items (CdConflictsDialog *self)
{
  g_return_val_if_fail (CD_IS_CONFLICTS_DIALOG (self), 0);
  return self->n_items;
}
