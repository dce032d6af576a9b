/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "cd-format.h"
#include "cd-model.h"
#include "cd-sla-timer-item.h"

struct _CdSlaTimerItem
{
  GObject     parent_instance;

  char       *key;
  CdTimer     timer;          /* ticket and calendar are references */
  char       *number;
  char       *category;
  char       *area;
  char       *crew;
  char       *kind;
  char       *countdown;
  char       *state_label;
  char       *status;
  char       *due;
  CdSlaState  state;
  gboolean    paused;
  gboolean    pending;
  gboolean    acknowledged;
  guint       n_escalated;
};

G_DEFINE_FINAL_TYPE (CdSlaTimerItem, cd_sla_timer_item, G_TYPE_OBJECT)

enum {
  TIMER_PROP_0,
  TIMER_PROP_TICKET,
  TIMER_PROP_NUMBER,
  TIMER_PROP_CATEGORY,
  TIMER_PROP_AREA,
  TIMER_PROP_CREW,
  TIMER_PROP_KIND,
  TIMER_PROP_COUNTDOWN,
  TIMER_PROP_STATE,
  TIMER_PROP_STATE_LABEL,
  TIMER_PROP_PAUSED,
  TIMER_PROP_STATUS,
  TIMER_PROP_DUE,
  TIMER_PROP_PENDING,
  TIMER_PROP_ACKNOWLEDGED,
  TIMER_PROP_N_ESCALATED,
  TIMER_N_PROPS
};

static GParamSpec *timer_properties[TIMER_N_PROPS];

struct _CdSlaGroupItem
{
  GObject     parent_instance;

  char       *key;
  char       *title;
  char       *counts;
  char       *most_urgent;
  CdSlaState  state;          /* the worst of the group */
  guint       n_red;
  guint       n_amber;
  guint       n_green;
  guint       n_paused;
};

G_DEFINE_FINAL_TYPE (CdSlaGroupItem, cd_sla_group_item, G_TYPE_OBJECT)

enum {
  GROUP_PROP_0,
  GROUP_PROP_TITLE,
  GROUP_PROP_COUNTS,
  GROUP_PROP_MOST_URGENT,
  GROUP_PROP_STATE,
  GROUP_PROP_N_RED,
  GROUP_PROP_N_AMBER,
  GROUP_PROP_N_GREEN,
  GROUP_PROP_N_PAUSED,
  GROUP_N_PROPS
};

static GParamSpec *group_properties[GROUP_N_PROPS];

/* Helpers ------------------------------------------------------------------------- */

/* Notify only on change: a label bound to it redraws only then. */
static void
set_string (GObject     *object,
            char       **field,
            const char  *value,
            GParamSpec  *pspec)
{
  if (g_strcmp0 (*field, value) == 0)
    return;
  g_free (*field);
  *field = g_strdup (value);
  g_object_notify_by_pspec (object, pspec);
}

static void
set_uint (GObject    *object,
          guint      *field,
          guint       value,
          GParamSpec *pspec)
{
  if (*field == value)
    return;
  *field = value;
  g_object_notify_by_pspec (object, pspec);
}

static void
set_boolean (GObject    *object,
             gboolean   *field,
             gboolean    value,
             GParamSpec *pspec)
{
  value = !!value;
  if (*field == value)
    return;
  *field = value;
  g_object_notify_by_pspec (object, pspec);
}

/* CdSlaTimerItem ---------------------------------------------------------------------- */

static void
cd_sla_timer_item_finalize (GObject *object)
{
  CdSlaTimerItem *self = CD_SLA_TIMER_ITEM (object);

  g_clear_object (&self->timer.ticket);
  g_clear_object (&self->timer.calendar);
  g_free (self->key);
  g_free (self->number);
  g_free (self->category);
  g_free (self->area);
  g_free (self->crew);
  g_free (self->kind);
  g_free (self->countdown);
  g_free (self->state_label);
  g_free (self->status);
  g_free (self->due);

  G_OBJECT_CLASS (cd_sla_timer_item_parent_class)->finalize (object);
}

static void
cd_sla_timer_item_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  CdSlaTimerItem *self = CD_SLA_TIMER_ITEM (object);

  switch (prop_id)
    {
    case TIMER_PROP_TICKET:
      g_value_set_object (value, self->timer.ticket);
      break;
    case TIMER_PROP_NUMBER:
      g_value_set_string (value, self->number);
      break;
    case TIMER_PROP_CATEGORY:
      g_value_set_string (value, self->category);
      break;
    case TIMER_PROP_AREA:
      g_value_set_string (value, self->area);
      break;
    case TIMER_PROP_CREW:
      g_value_set_string (value, self->crew);
      break;
    case TIMER_PROP_KIND:
      g_value_set_string (value, self->kind);
      break;
    case TIMER_PROP_COUNTDOWN:
      g_value_set_string (value, self->countdown);
      break;
    case TIMER_PROP_STATE:
      g_value_set_enum (value, self->state);
      break;
    case TIMER_PROP_STATE_LABEL:
      g_value_set_string (value, self->state_label);
      break;
    case TIMER_PROP_PAUSED:
      g_value_set_boolean (value, self->paused);
      break;
    case TIMER_PROP_STATUS:
      g_value_set_string (value, self->status);
      break;
    case TIMER_PROP_DUE:
      g_value_set_string (value, self->due);
      break;
    case TIMER_PROP_PENDING:
      g_value_set_boolean (value, self->pending);
      break;
    case TIMER_PROP_ACKNOWLEDGED:
      g_value_set_boolean (value, self->acknowledged);
      break;
    case TIMER_PROP_N_ESCALATED:
      g_value_set_uint (value, self->n_escalated);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static GParamSpec *
string_pspec (const char *name)
{
  return g_param_spec_string (name, NULL, NULL, NULL,
                              G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
}

static GParamSpec *
boolean_pspec (const char *name)
{
  return g_param_spec_boolean (name, NULL, NULL, FALSE,
                               G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
}

static GParamSpec *
uint_pspec (const char *name)
{
  return g_param_spec_uint (name, NULL, NULL, 0, G_MAXUINT, 0,
                            G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
}

static void
cd_sla_timer_item_class_init (CdSlaTimerItemClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = cd_sla_timer_item_finalize;
  object_class->get_property = cd_sla_timer_item_get_property;

  timer_properties[TIMER_PROP_TICKET] =
    g_param_spec_object ("ticket", NULL, NULL, CD_TYPE_TICKET,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  timer_properties[TIMER_PROP_NUMBER] = string_pspec ("number");
  timer_properties[TIMER_PROP_CATEGORY] = string_pspec ("category");
  timer_properties[TIMER_PROP_AREA] = string_pspec ("area");
  timer_properties[TIMER_PROP_CREW] = string_pspec ("crew");
  timer_properties[TIMER_PROP_KIND] = string_pspec ("kind");
  timer_properties[TIMER_PROP_COUNTDOWN] = string_pspec ("countdown");
  timer_properties[TIMER_PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL, CD_TYPE_SLA_STATE, CD_SLA_STATE_NONE,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  timer_properties[TIMER_PROP_STATE_LABEL] = string_pspec ("state-label");
  timer_properties[TIMER_PROP_PAUSED] = boolean_pspec ("paused");
  timer_properties[TIMER_PROP_STATUS] = string_pspec ("status");
  timer_properties[TIMER_PROP_DUE] = string_pspec ("due");
  timer_properties[TIMER_PROP_PENDING] = boolean_pspec ("pending");
  timer_properties[TIMER_PROP_ACKNOWLEDGED] = boolean_pspec ("acknowledged");
  timer_properties[TIMER_PROP_N_ESCALATED] = uint_pspec ("n-escalated");
  g_object_class_install_properties (object_class, TIMER_N_PROPS, timer_properties);
}

static void
cd_sla_timer_item_init (CdSlaTimerItem *self)
{
}

CdSlaTimerItem *
cd_sla_timer_item_new (const char *key)
{
  CdSlaTimerItem *self;

  g_return_val_if_fail (key != NULL, NULL);

  self = g_object_new (CD_TYPE_SLA_TIMER_ITEM, NULL);
  self->key = g_strdup (key);
  return self;
}

const char *
cd_sla_timer_item_get_key (CdSlaTimerItem *self)
{
  g_return_val_if_fail (CD_IS_SLA_TIMER_ITEM (self), NULL);
  return self->key;
}

void
cd_sla_timer_item_update (CdSlaTimerItem *self,
                          const CdTimer  *timer,
                          const char     *crew_name,
                          gint64          now,
                          gboolean        pending,
                          gboolean        acknowledged,
                          guint           n_escalated)
{
  GObject *object = (GObject *) self;
  CdTicket *t;
  g_autofree char *countdown = NULL;
  g_autofree char *due = NULL;
  gboolean new_ticket;

  g_return_if_fail (CD_IS_SLA_TIMER_ITEM (self));
  g_return_if_fail (timer != NULL && CD_IS_TICKET (timer->ticket));

  t = timer->ticket;
  new_ticket = self->timer.ticket != t;

  g_object_freeze_notify (object);

  /* Keep the old references until the new ones are taken. */
  {
    CdTimer old = self->timer;

    self->timer = *timer;
    g_object_ref (self->timer.ticket);
    if (self->timer.calendar != NULL)
      g_object_ref (self->timer.calendar);
    g_clear_object (&old.ticket);
    g_clear_object (&old.calendar);
  }
  if (new_ticket)
    g_object_notify_by_pspec (object, timer_properties[TIMER_PROP_TICKET]);

  set_string (object, &self->number, t->number != NULL ? t->number : cd_record_get_id (CD_RECORD (t)),
              timer_properties[TIMER_PROP_NUMBER]);
  set_string (object, &self->category, cd_format_category (t->category), timer_properties[TIMER_PROP_CATEGORY]);
  set_string (object, &self->area, cd_sla_area_name (t->area), timer_properties[TIMER_PROP_AREA]);
  set_string (object, &self->crew, crew_name != NULL ? crew_name : _("Unassigned"),
              timer_properties[TIMER_PROP_CREW]);
  set_string (object, &self->kind, cd_format_sla_kind (timer->kind), timer_properties[TIMER_PROP_KIND]);

  countdown = cd_format_countdown (timer->seconds_left);
  set_string (object, &self->countdown, countdown, timer_properties[TIMER_PROP_COUNTDOWN]);
  if (self->state != timer->state)
    {
      self->state = timer->state;
      g_object_notify_by_pspec (object, timer_properties[TIMER_PROP_STATE]);
    }
  set_boolean (object, &self->paused, timer->paused, timer_properties[TIMER_PROP_PAUSED]);
  /* Translators: a time limit that does not count while the crew waits for the customer */
  set_string (object, &self->state_label, timer->paused ? C_("time limit", "Paused") : cd_format_sla_state (timer->state),
              timer_properties[TIMER_PROP_STATE_LABEL]);
  set_string (object, &self->status, cd_format_ticket_status (t->status), timer_properties[TIMER_PROP_STATUS]);

  if (timer->paused)
    due = g_strdup (_("Time left does not count down while the crew waits for the customer"));
  else
    {
      g_autofree char *when = cd_format_time (timer->deadline, now);

      /* Translators: a time limit and when it is due, "On site due at 14:05" */
      due = g_strdup_printf (_("%s due at %s"), cd_format_sla_kind (timer->kind), when);
    }
  set_string (object, &self->due, due, timer_properties[TIMER_PROP_DUE]);
  set_boolean (object, &self->pending, pending, timer_properties[TIMER_PROP_PENDING]);
  set_boolean (object, &self->acknowledged, acknowledged, timer_properties[TIMER_PROP_ACKNOWLEDGED]);
  set_uint (object, &self->n_escalated, n_escalated, timer_properties[TIMER_PROP_N_ESCALATED]);

  g_object_thaw_notify (object);
}

const CdTimer *
cd_sla_timer_item_get_timer (CdSlaTimerItem *self)
{
  g_return_val_if_fail (CD_IS_SLA_TIMER_ITEM (self), NULL);
  return &self->timer;
}

CdTicket *
cd_sla_timer_item_get_ticket (CdSlaTimerItem *self)
{
  g_return_val_if_fail (CD_IS_SLA_TIMER_ITEM (self), NULL);
  return self->timer.ticket;
}

const char *
cd_sla_timer_item_get_number (CdSlaTimerItem *self)
{
  g_return_val_if_fail (CD_IS_SLA_TIMER_ITEM (self), NULL);
  return self->number;
}

CdSlaState
cd_sla_timer_item_get_state (CdSlaTimerItem *self)
{
  g_return_val_if_fail (CD_IS_SLA_TIMER_ITEM (self), CD_SLA_STATE_NONE);
  return self->state;
}

gboolean
cd_sla_timer_item_get_paused (CdSlaTimerItem *self)
{
  g_return_val_if_fail (CD_IS_SLA_TIMER_ITEM (self), FALSE);
  return self->paused;
}

const char *
cd_sla_timer_item_get_countdown (CdSlaTimerItem *self)
{
  g_return_val_if_fail (CD_IS_SLA_TIMER_ITEM (self), NULL);
  return self->countdown;
}

const char *
cd_sla_timer_item_get_state_label (CdSlaTimerItem *self)
{
  g_return_val_if_fail (CD_IS_SLA_TIMER_ITEM (self), NULL);
  return self->state_label;
}

const char *
cd_sla_timer_item_get_status (CdSlaTimerItem *self)
{
  g_return_val_if_fail (CD_IS_SLA_TIMER_ITEM (self), NULL);
  return self->status;
}

gboolean
cd_sla_timer_item_get_acknowledged (CdSlaTimerItem *self)
{
  g_return_val_if_fail (CD_IS_SLA_TIMER_ITEM (self), FALSE);
  return self->acknowledged;
}

/* CdSlaGroupItem ------------------------------------------------------------------------ */

static void
cd_sla_group_item_finalize (GObject *object)
{
  CdSlaGroupItem *self = CD_SLA_GROUP_ITEM (object);

  g_free (self->key);
  g_free (self->title);
  g_free (self->counts);
  g_free (self->most_urgent);

  G_OBJECT_CLASS (cd_sla_group_item_parent_class)->finalize (object);
}

static void
cd_sla_group_item_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  CdSlaGroupItem *self = CD_SLA_GROUP_ITEM (object);

  switch (prop_id)
    {
    case GROUP_PROP_TITLE:
      g_value_set_string (value, self->title);
      break;
    case GROUP_PROP_COUNTS:
      g_value_set_string (value, self->counts);
      break;
    case GROUP_PROP_MOST_URGENT:
      g_value_set_string (value, self->most_urgent);
      break;
    case GROUP_PROP_STATE:
      g_value_set_enum (value, self->state);
      break;
    case GROUP_PROP_N_RED:
      g_value_set_uint (value, self->n_red);
      break;
    case GROUP_PROP_N_AMBER:
      g_value_set_uint (value, self->n_amber);
      break;
    case GROUP_PROP_N_GREEN:
      g_value_set_uint (value, self->n_green);
      break;
    case GROUP_PROP_N_PAUSED:
      g_value_set_uint (value, self->n_paused);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cd_sla_group_item_class_init (CdSlaGroupItemClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = cd_sla_group_item_finalize;
  object_class->get_property = cd_sla_group_item_get_property;

  group_properties[GROUP_PROP_TITLE] = string_pspec ("title");
  group_properties[GROUP_PROP_COUNTS] = string_pspec ("counts");
  group_properties[GROUP_PROP_MOST_URGENT] = string_pspec ("most-urgent");
  group_properties[GROUP_PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL, CD_TYPE_SLA_STATE, CD_SLA_STATE_NONE,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  group_properties[GROUP_PROP_N_RED] = uint_pspec ("n-red");
  group_properties[GROUP_PROP_N_AMBER] = uint_pspec ("n-amber");
  group_properties[GROUP_PROP_N_GREEN] = uint_pspec ("n-green");
  group_properties[GROUP_PROP_N_PAUSED] = uint_pspec ("n-paused");
  g_object_class_install_properties (object_class, GROUP_N_PROPS, group_properties);
}

static void
cd_sla_group_item_init (CdSlaGroupItem *self)
{
}

CdSlaGroupItem *
cd_sla_group_item_new (const char *key)
{
  CdSlaGroupItem *self = g_object_new (CD_TYPE_SLA_GROUP_ITEM, NULL);

  self->key = g_strdup (key);
  return self;
}

const char *
cd_sla_group_item_get_key (CdSlaGroupItem *self)
{
  g_return_val_if_fail (CD_IS_SLA_GROUP_ITEM (self), NULL);
  return self->key;
}

void
cd_sla_group_item_update (CdSlaGroupItem     *self,
                          const CdTimerGroup *group,
                          const char         *title)
{
  GObject *object = (GObject *) self;
  g_autofree char *counts = NULL;
  g_autofree char *most_urgent = NULL;
  guint n_red, n_amber, n_green, n_paused;
  CdSlaState state;

  g_return_if_fail (CD_IS_SLA_GROUP_ITEM (self));
  g_return_if_fail (group != NULL);

  /* As the rows show them: a paused timer is paused, not on time too. */
  cd_sla_count_states (group->timers, &n_red, &n_amber, &n_green, &n_paused);

  g_object_freeze_notify (object);
  set_string (object, &self->title, title, group_properties[GROUP_PROP_TITLE]);
  counts = cd_sla_describe_counts (n_red, n_amber, n_green, n_paused);
  set_string (object, &self->counts, counts, group_properties[GROUP_PROP_COUNTS]);
  most_urgent = group->timers->len > 0 ? cd_format_countdown (group->min_seconds_left) : NULL;
  set_string (object, &self->most_urgent, most_urgent, group_properties[GROUP_PROP_MOST_URGENT]);
  state = group->n_red > 0 ? CD_SLA_STATE_RED : group->n_amber > 0 ? CD_SLA_STATE_AMBER : CD_SLA_STATE_GREEN;
  if (self->state != state)
    {
      self->state = state;
      g_object_notify_by_pspec (object, group_properties[GROUP_PROP_STATE]);
    }
  set_uint (object, &self->n_red, n_red, group_properties[GROUP_PROP_N_RED]);
  set_uint (object, &self->n_amber, n_amber, group_properties[GROUP_PROP_N_AMBER]);
  set_uint (object, &self->n_green, n_green, group_properties[GROUP_PROP_N_GREEN]);
  set_uint (object, &self->n_paused, n_paused, group_properties[GROUP_PROP_N_PAUSED]);
  g_object_thaw_notify (object);
}

const char *
cd_sla_group_item_get_title (CdSlaGroupItem *self)
{
  g_return_val_if_fail (CD_IS_SLA_GROUP_ITEM (self), NULL);
  return self->title;
}

guint
cd_sla_group_item_get_n_red (CdSlaGroupItem *self)
{
  g_return_val_if_fail (CD_IS_SLA_GROUP_ITEM (self), 0);
  return self->n_red;
}

guint
cd_sla_group_item_get_n_amber (CdSlaGroupItem *self)
{
  g_return_val_if_fail (CD_IS_SLA_GROUP_ITEM (self), 0);
  return self->n_amber;
}

guint
cd_sla_group_item_get_n_green (CdSlaGroupItem *self)
{
  g_return_val_if_fail (CD_IS_SLA_GROUP_ITEM (self), 0);
  return self->n_green;
}

guint
cd_sla_group_item_get_n_paused (CdSlaGroupItem *self)
{
  g_return_val_if_fail (CD_IS_SLA_GROUP_ITEM (self), 0);
  return self->n_paused;
}
