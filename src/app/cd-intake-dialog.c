/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <math.h>

#include "cd-city.h"
#include "cd-format.h"
#include "cd-intake-dialog.h"
#include "map/cd-map-view.h"

struct _CdIntakeDialog
{
  AdwWindow        parent_instance;

  CdContext       *context;
  GtkWidget       *map_view;     /* weak */
  GCancellable    *pick_cancellable;
  double           lat;
  double           lon;
  gboolean         placed;

  AdwToastOverlay *toast_overlay;
  AdwEntryRow     *name_row;
  AdwEntryRow     *phone_row;
  AdwEntryRow     *account_row;
  GtkSwitch       *key_switch;
  AdwComboRow     *category_row;
  AdwComboRow     *utility_row;
  AdwComboRow     *urgency_row;
  AdwComboRow     *channel_row;
  GtkTextView     *description_view;
  AdwEntryRow     *address_row;
  AdwActionRow    *location_row;
};

G_DEFINE_FINAL_TYPE (CdIntakeDialog, cd_intake_dialog, ADW_TYPE_WINDOW)

enum {
  PROP_0,
  PROP_CONTEXT,
  PROP_MAP_VIEW,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* The plain part -------------------------------------------------------------- */

static gboolean
is_blank (const char *text)
{
  if (text == NULL)
    return TRUE;
  for (; *text != '\0'; text = g_utf8_next_char (text))
    if (!g_unichar_isspace (g_utf8_get_char (text)))
      return FALSE;
  return TRUE;
}

static char *
trimmed (const char *text)
{
  return g_strstrip (g_strdup (text != NULL ? text : ""));
}

static void
set_text_member (JsonObject *object,
                 const char *name,
                 const char *value)
{
  g_autofree char *text = trimmed (value);

  if (*text != '\0')
    json_object_set_string_member (object, name, text);
}

JsonObject *
cd_intake_build_args (const char *customer_name,
                      const char *phone,
                      const char *account,
                      gboolean    key_customer,
                      const char *address,
                      double      lat,
                      double      lon,
                      CdCategory  category,
                      CdUtility   utility,
                      CdUrgency   urgency,
                      CdChannel   channel,
                      const char *description,
                      GError    **error)
{
  g_autoptr(JsonObject) args = NULL;
  JsonObject *customer;
  CdUtility category_utility;
  const CdCityDistrict *district;

  if (is_blank (customer_name))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           _("Enter the customer’s name."));
      return NULL;
    }
  if (is_blank (address))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           _("Enter the address of the fault."));
      return NULL;
    }
  if (!isfinite (lat) || !isfinite (lon) || lat < -90 || lat > 90 || lon < -180 || lon > 180)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           _("Place the fault on the map."));
      return NULL;
    }
  if (cd_category_get_utility (category, &category_utility))
    utility = category_utility;

  args = json_object_new ();
  customer = json_object_new ();
  set_text_member (customer, "name", customer_name);
  set_text_member (customer, "phone", phone);
  set_text_member (customer, "account", account);
  if (key_customer)
    json_object_set_boolean_member (customer, "key", TRUE);
  json_object_set_object_member (args, "customer", customer);

  json_object_set_string_member (args, "channel", cd_enum_to_nick (CD_TYPE_CHANNEL, channel));
  json_object_set_string_member (args, "category", cd_enum_to_nick (CD_TYPE_CATEGORY, category));
  json_object_set_string_member (args, "utility", cd_enum_to_nick (CD_TYPE_UTILITY, utility));
  json_object_set_string_member (args, "urgency", cd_enum_to_nick (CD_TYPE_URGENCY, urgency));
  set_text_member (args, "address", address);
  json_object_set_double_member (args, "lat", lat);
  json_object_set_double_member (args, "lon", lon);
  set_text_member (args, "description", description);

  district = cd_city_district_at (cd_city_get_demo (), lat, lon);
  if (district != NULL)
    {
      json_object_set_string_member (args, "area", district->id);
      json_object_set_string_member (args, "area_class",
                                     cd_enum_to_nick (CD_TYPE_AREA_CLASS, district->area_class));
    }

  return g_steal_pointer (&args);
}

/* The form -------------------------------------------------------------------- */

static void
fill_combo (AdwComboRow *row,
            GType        enum_type,
            const char *(*label) (int value))
{
  GEnumClass *klass = g_type_class_ref (enum_type);
  GtkStringList *list = gtk_string_list_new (NULL);

  for (guint i = 0; i < klass->n_values; i++)
    gtk_string_list_append (list, label (klass->values[i].value));
  adw_combo_row_set_model (row, G_LIST_MODEL (list));
  g_object_unref (list);
  g_type_class_unref (klass);
}

static void
update_location_row (CdIntakeDialog *self)
{
  g_autofree char *text = NULL;

  if (!self->placed)
    {
      adw_action_row_set_subtitle (self->location_row, _("Not placed yet"));
      return;
    }
  /* Translators: a latitude and longitude in degrees. */
  text = g_strdup_printf (_("%.5f, %.5f"), self->lat, self->lon);
  adw_action_row_set_subtitle (self->location_row, text);
}

/* Categories of one utility choose it; the row is for the others. */
static void
category_changed_cb (AdwComboRow    *row,
                     GParamSpec     *pspec,
                     CdIntakeDialog *self)
{
  CdUtility utility;
  gboolean fixed = cd_category_get_utility (adw_combo_row_get_selected (row), &utility);

  if (fixed)
    adw_combo_row_set_selected (self->utility_row, utility);
  gtk_widget_set_sensitive (GTK_WIDGET (self->utility_row), !fixed);
}

static void
show_error (CdIntakeDialog *self,
            const char     *message)
{
  AdwToast *toast = adw_toast_new (message);

  adw_toast_set_priority (toast, ADW_TOAST_PRIORITY_HIGH);
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}

static void
create_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  CdIntakeDialog *self = CD_INTAKE_DIALOG (widget);
  g_autoptr(GError) error = NULL;
  g_autofree char *id = cd_intake_dialog_submit (self, &error);

  if (id == NULL)
    show_error (self, error->message);
}

static void
pick_done_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(CdIntakeDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  double lat, lon;

  if (cd_map_view_pick_location_finish (CD_MAP_VIEW (source), result, &lat, &lon, &error))
    cd_intake_dialog_set_location (self, lat, lon);
  else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    show_error (self, error->message);

  gtk_window_present (GTK_WINDOW (self));
}

/* The dialog steps aside while the dispatcher clicks the map. */
static void
pick_location_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *parameter)
{
  CdIntakeDialog *self = CD_INTAKE_DIALOG (widget);
  GtkWidget *stack;

  if (self->map_view == NULL || !CD_IS_MAP_VIEW (self->map_view))
    return;

  stack = gtk_widget_get_ancestor (self->map_view, ADW_TYPE_VIEW_STACK);
  if (stack != NULL)
    {
      /* The stack's page is the view or a container of it. */
      GtkWidget *page = self->map_view;

      while (page != NULL && gtk_widget_get_parent (page) != stack)
        page = gtk_widget_get_parent (page);
      if (page != NULL)
        adw_view_stack_set_visible_child (ADW_VIEW_STACK (stack), page);
    }

  g_cancellable_cancel (self->pick_cancellable);
  g_clear_object (&self->pick_cancellable);
  self->pick_cancellable = g_cancellable_new ();

  gtk_widget_set_visible (GTK_WIDGET (self), FALSE);
  cd_map_view_pick_location_async (CD_MAP_VIEW (self->map_view), self->pick_cancellable,
                                   pick_done_cb, g_object_ref (self));
}

static void
cd_intake_dialog_constructed (GObject *object)
{
  CdIntakeDialog *self = CD_INTAKE_DIALOG (object);

  G_OBJECT_CLASS (cd_intake_dialog_parent_class)->constructed (object);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "intake.pick-location",
                                 self->map_view != NULL && CD_IS_MAP_VIEW (self->map_view));
}

static void
cd_intake_dialog_dispose (GObject *object)
{
  CdIntakeDialog *self = CD_INTAKE_DIALOG (object);

  g_cancellable_cancel (self->pick_cancellable);
  g_clear_object (&self->pick_cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), CD_TYPE_INTAKE_DIALOG);
  g_clear_weak_pointer (&self->map_view);
  g_clear_object (&self->context);

  G_OBJECT_CLASS (cd_intake_dialog_parent_class)->dispose (object);
}

static void
cd_intake_dialog_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  CdIntakeDialog *self = CD_INTAKE_DIALOG (object);

  switch (prop_id)
    {
    case PROP_CONTEXT:
      g_value_set_object (value, self->context);
      break;
    case PROP_MAP_VIEW:
      g_value_set_object (value, self->map_view);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cd_intake_dialog_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  CdIntakeDialog *self = CD_INTAKE_DIALOG (object);

  switch (prop_id)
    {
    case PROP_CONTEXT:
      self->context = g_value_dup_object (value);
      break;
    case PROP_MAP_VIEW:
      g_set_weak_pointer (&self->map_view, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cd_intake_dialog_class_init (CdIntakeDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = cd_intake_dialog_constructed;
  object_class->dispose = cd_intake_dialog_dispose;
  object_class->get_property = cd_intake_dialog_get_property;
  object_class->set_property = cd_intake_dialog_set_property;

  properties[PROP_CONTEXT] =
    g_param_spec_object ("context", NULL, NULL, CD_TYPE_CONTEXT,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_MAP_VIEW] =
    g_param_spec_object ("map-view", NULL, NULL, GTK_TYPE_WIDGET,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/crewdesk/Crewdesk/cd-intake-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, CdIntakeDialog, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, CdIntakeDialog, name_row);
  gtk_widget_class_bind_template_child (widget_class, CdIntakeDialog, phone_row);
  gtk_widget_class_bind_template_child (widget_class, CdIntakeDialog, account_row);
  gtk_widget_class_bind_template_child (widget_class, CdIntakeDialog, key_switch);
  gtk_widget_class_bind_template_child (widget_class, CdIntakeDialog, category_row);
  gtk_widget_class_bind_template_child (widget_class, CdIntakeDialog, utility_row);
  gtk_widget_class_bind_template_child (widget_class, CdIntakeDialog, urgency_row);
  gtk_widget_class_bind_template_child (widget_class, CdIntakeDialog, channel_row);
  gtk_widget_class_bind_template_child (widget_class, CdIntakeDialog, description_view);
  gtk_widget_class_bind_template_child (widget_class, CdIntakeDialog, address_row);
  gtk_widget_class_bind_template_child (widget_class, CdIntakeDialog, location_row);

  gtk_widget_class_install_action (widget_class, "intake.create", NULL, create_action);
  gtk_widget_class_install_action (widget_class, "intake.pick-location", NULL, pick_location_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Return, GDK_CONTROL_MASK, "intake.create", NULL);
}

static void
cd_intake_dialog_init (CdIntakeDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  fill_combo (self->category_row, CD_TYPE_CATEGORY, (const char *(*) (int)) cd_format_category);
  fill_combo (self->utility_row, CD_TYPE_UTILITY, (const char *(*) (int)) cd_format_utility);
  fill_combo (self->urgency_row, CD_TYPE_URGENCY, (const char *(*) (int)) cd_format_urgency);
  fill_combo (self->channel_row, CD_TYPE_CHANNEL, (const char *(*) (int)) cd_format_channel);

  /* The most common report first. */
  adw_combo_row_set_selected (self->category_row, CD_CATEGORY_NO_HEAT);
  g_signal_connect_object (self->category_row, "notify::selected",
                           G_CALLBACK (category_changed_cb), self, 0);
  category_changed_cb (self->category_row, NULL, self);

  self->lat = NAN;
  self->lon = NAN;
}

GtkWindow *
cd_intake_dialog_new (CdContext *context,
                      GtkWidget *map_view)
{
  g_return_val_if_fail (CD_IS_CONTEXT (context), NULL);
  return g_object_new (CD_TYPE_INTAKE_DIALOG, "context", context, "map-view", map_view, NULL);
}

void
cd_intake_dialog_set_location (CdIntakeDialog *self,
                               double          lat,
                               double          lon)
{
  g_return_if_fail (CD_IS_INTAKE_DIALOG (self));

  self->lat = lat;
  self->lon = lon;
  self->placed = TRUE;
  update_location_row (self);
}

char *
cd_intake_dialog_submit (CdIntakeDialog  *self,
                         GError         **error)
{
  g_autoptr(JsonObject) args = NULL;
  g_autofree char *description = NULL;
  g_autofree char *id = NULL;
  GtkTextBuffer *buffer;
  GtkTextIter start, end;
  CdTicket *ticket;

  g_return_val_if_fail (CD_IS_INTAKE_DIALOG (self), NULL);

  buffer = gtk_text_view_get_buffer (self->description_view);
  gtk_text_buffer_get_bounds (buffer, &start, &end);
  description = gtk_text_buffer_get_text (buffer, &start, &end, FALSE);

  args = cd_intake_build_args (gtk_editable_get_text (GTK_EDITABLE (self->name_row)),
                               gtk_editable_get_text (GTK_EDITABLE (self->phone_row)),
                               gtk_editable_get_text (GTK_EDITABLE (self->account_row)),
                               gtk_switch_get_active (self->key_switch),
                               gtk_editable_get_text (GTK_EDITABLE (self->address_row)),
                               self->lat, self->lon,
                               adw_combo_row_get_selected (self->category_row),
                               adw_combo_row_get_selected (self->utility_row),
                               adw_combo_row_get_selected (self->urgency_row),
                               adw_combo_row_get_selected (self->channel_row),
                               description,
                               error);
  if (args == NULL)
    return NULL;

  id = g_uuid_string_random ();
  if (!cd_context_submit (self->context, CD_MUTATION_OP_TICKET_CREATE, id, 0,
                          g_steal_pointer (&args), NULL, error))
    return NULL;

  ticket = cd_context_lookup_ticket (self->context, id);
  if (ticket != NULL)
    {
      /* Translators: %s is a ticket number. */
      g_autofree char *title = g_strdup_printf (_("Ticket %s created"), ticket->number);

      cd_context_add_toast (self->context, adw_toast_new (title));
    }

  gtk_window_close (GTK_WINDOW (self));
  return g_steal_pointer (&id);
}
