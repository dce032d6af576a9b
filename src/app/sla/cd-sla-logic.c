/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "cd-city.h"
#include "cd-format.h"
#include "cd-model.h"
#include "cd-sla-logic.h"

/* How many tickets a notification for many names before "and N more". */
#define NOTICE_MAX_NAMED 3

/* Helpers ----------------------------------------------------------------------- */

static const char *
ticket_id (const CdTimer *timer)
{
  return cd_record_get_id (CD_RECORD (timer->ticket));
}

static const char *
ticket_number (CdTicket *ticket)
{
  return ticket->number != NULL ? ticket->number : cd_record_get_id (CD_RECORD (ticket));
}

static GHashTable *
ticket_ids_of (GArray *timers)
{
  GHashTable *ids = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint i = 0; i < timers->len; i++)
    g_hash_table_add (ids, (gpointer) ticket_id (&g_array_index (timers, CdTimer, i)));
  return ids;
}

/* The ticket id part of a "<ticket id>/<kind>" key. */
static gboolean
key_has_ticket (const char *key,
                GHashTable *ids)
{
  const char *slash = strrchr (key, '/');
  g_autofree char *id = slash != NULL ? g_strndup (key, slash - key) : g_strdup (key);

  return g_hash_table_contains (ids, id);
}

static void
escalation_clear (gpointer data)
{
  CdSlaEscalation *e = data;

  g_clear_object (&e->timer.ticket);
  g_clear_object (&e->timer.calendar);
}

static gint
compare_escalations_cb (gconstpointer a,
                        gconstpointer b)
{
  const CdSlaEscalation *ea = a;
  const CdSlaEscalation *eb = b;

  if (ea->acknowledged != eb->acknowledged)
    return ea->acknowledged ? 1 : -1;
  return cd_timer_compare (&ea->timer, &eb->timer);
}

static gboolean
is_blank (const char *text)
{
  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    if (!g_unichar_isspace (g_utf8_get_char (p)))
      return FALSE;
  return TRUE;
}

/* The clock ---------------------------------------------------------------------- */

gboolean
cd_sla_should_evaluate (gint64 last_eval,
                        gint64 next_change,
                        gint64 now)
{
  if (now < last_eval)
    return TRUE;
  return next_change != 0 && now >= next_change;
}

/* Notifications -------------------------------------------------------------------- */

char *
cd_sla_timer_key (const CdTimer *timer)
{
  g_return_val_if_fail (timer != NULL && CD_IS_TICKET (timer->ticket), NULL);

  return g_strdup_printf ("%s/%s", ticket_id (timer), cd_enum_to_nick (CD_TYPE_SLA_KIND, timer->kind));
}

guint
cd_sla_take_new_crossings (GHashTable *notified,
                           GArray     *crossed)
{
  g_return_val_if_fail (notified != NULL, 0);
  g_return_val_if_fail (crossed != NULL, 0);

  for (guint i = crossed->len; i > 0; i--)
    {
      char *key = cd_sla_timer_key (&g_array_index (crossed, CdTimer, i - 1));

      if (g_hash_table_contains (notified, key))
        {
          g_array_remove_index (crossed, i - 1);
          g_free (key);
        }
      else
        g_hash_table_add (notified, key);
    }

  return crossed->len;
}

void
cd_sla_forget_notified (GHashTable *notified,
                        GArray     *timers)
{
  g_autoptr(GHashTable) ids = NULL;
  GHashTableIter iter;
  gpointer key;

  g_return_if_fail (notified != NULL);
  g_return_if_fail (timers != NULL);

  ids = ticket_ids_of (timers);
  g_hash_table_iter_init (&iter, notified);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    if (!key_has_ticket (key, ids))
      g_hash_table_iter_remove (&iter);
}

gboolean
cd_sla_red_notice (GArray      *crossed,
                   GHashTable  *crew_names,
                   gint64       now,
                   char       **title,
                   char       **body)
{
  g_autoptr(GHashTable) tickets = NULL;
  g_autoptr(GPtrArray) named = NULL;
  g_autoptr(GString) text = NULL;
  guint n_tickets;

  g_return_val_if_fail (crossed != NULL, FALSE);
  g_return_val_if_fail (title != NULL && body != NULL, FALSE);

  if (crossed->len == 0)
    return FALSE;

  if (crossed->len == 1)
    {
      const CdTimer *timer = &g_array_index (crossed, CdTimer, 0);
      CdTicket *t = timer->ticket;
      const char *crew = t->crew_id != NULL && crew_names != NULL ? g_hash_table_lookup (crew_names, t->crew_id) : NULL;
      g_autofree char *due = cd_format_time (timer->deadline, now);

      /* Translators: a desktop notification's title, %s is a ticket number */
      *title = g_strdup_printf (_("Ticket %s Is Overdue"), ticket_number (t));
      /* Translators: a notification's body: the time limit missed and when it was due,
       * then the ticket's category, service area and crew: "On site was due at 14:05.
       * No heat · Eastbank · Heat North" */
      *body = g_strdup_printf (_("%s was due at %s.\n%s · %s · %s"),
                               cd_format_sla_kind (timer->kind), due,
                               cd_format_category (t->category), cd_sla_area_name (t->area),
                               crew != NULL ? crew : _("No crew"));
      return TRUE;
    }

  /* Many, as after a wake from suspend: one notice, the most overdue first. */
  tickets = g_hash_table_new (g_str_hash, g_str_equal);
  named = g_ptr_array_new ();
  for (guint i = 0; i < crossed->len; i++)
    {
      const CdTimer *timer = &g_array_index (crossed, CdTimer, i);

      if (g_hash_table_add (tickets, (gpointer) ticket_id (timer)) && named->len < NOTICE_MAX_NAMED)
        g_ptr_array_add (named, (gpointer) timer);
    }
  n_tickets = g_hash_table_size (tickets);

  /* Translators: a desktop notification's title */
  *title = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u Time Limit Missed", "%u Time Limits Missed",
                                         crossed->len),
                            crossed->len);

  text = g_string_new (NULL);
  for (guint i = 0; i < named->len; i++)
    {
      const CdTimer *timer = g_ptr_array_index (named, i);

      if (i > 0)
        /* Translators: between the items of a list in a sentence */
        g_string_append (text, _(", "));
      /* Translators: a ticket and the time limit it missed, "HT-0001 (On site)" */
      g_string_append_printf (text, _("%s (%s)"), ticket_number (timer->ticket), cd_format_sla_kind (timer->kind));
    }
  if (n_tickets > named->len)
    {
      guint more = n_tickets - named->len;
      g_autofree char *list = g_string_free (g_steal_pointer (&text), FALSE);

      /* Translators: a list of tickets, then how many more there are */
      *body = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s and %u more ticket", "%s and %u more tickets", more),
                               list, more);
    }
  else
    *body = g_string_free (g_steal_pointer (&text), FALSE);

  return TRUE;
}

gboolean
cd_sla_role_is_notified (CdRole role)
{
  return role == CD_ROLE_SUPERVISOR;
}

/* Escalations --------------------------------------------------------------------- */

const char *
cd_sla_level_to_string (CdSlaState level)
{
  switch (level)
    {
    case CD_SLA_STATE_AMBER:
      return "amber";
    case CD_SLA_STATE_RED:
      return "red";
    case CD_SLA_STATE_NONE:
    case CD_SLA_STATE_GREEN:
    case CD_SLA_STATE_MET:
    default:
      return NULL;
    }
}

gboolean
cd_sla_level_from_string (const char *text,
                          CdSlaState *level)
{
  g_return_val_if_fail (level != NULL, FALSE);

  if (g_strcmp0 (text, "amber") == 0)
    *level = CD_SLA_STATE_AMBER;
  else if (g_strcmp0 (text, "red") == 0)
    *level = CD_SLA_STATE_RED;
  else
    return FALSE;
  return TRUE;
}

CdSlaAck *
cd_sla_find_acknowledgement (CdTicket   *ticket,
                             CdSlaState  level)
{
  CdSlaAck *ack;

  g_return_val_if_fail (CD_IS_TICKET (ticket), NULL);

  if (level != CD_SLA_STATE_AMBER && level != CD_SLA_STATE_RED)
    return NULL;
  if ((ack = cd_ticket_get_acknowledgement (ticket, level)) != NULL)
    return ack;
  return level == CD_SLA_STATE_AMBER ? cd_ticket_get_acknowledgement (ticket, CD_SLA_STATE_RED) : NULL;
}

GArray *
cd_sla_escalations (GArray *timers)
{
  g_autoptr(GHashTable) index = NULL;
  GArray *out;

  g_return_val_if_fail (timers != NULL, NULL);

  out = g_array_new (FALSE, TRUE, sizeof (CdSlaEscalation));
  g_array_set_clear_func (out, escalation_clear);
  index = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint i = 0; i < timers->len; i++)
    {
      const CdTimer *timer = &g_array_index (timers, CdTimer, i);
      gpointer pos;

      if (timer->state != CD_SLA_STATE_AMBER && timer->state != CD_SLA_STATE_RED)
        continue;

      /* Sorted by time left: a ticket's first escalated timer is its most
       * urgent, and a red one (time left < 0) comes before an amber one. */
      if (g_hash_table_lookup_extended (index, ticket_id (timer), NULL, &pos))
        {
          g_array_index (out, CdSlaEscalation, GPOINTER_TO_UINT (pos)).n_timers++;
          continue;
        }

      {
        CdSlaEscalation e = { 0 };

        e.timer = *timer;
        e.timer.ticket = g_object_ref (timer->ticket);
        e.timer.calendar = timer->calendar != NULL ? g_object_ref (timer->calendar) : NULL;
        e.n_timers = 1;
        e.acknowledged = cd_sla_find_acknowledgement (timer->ticket, timer->state) != NULL;
        g_hash_table_insert (index, (gpointer) ticket_id (timer), GUINT_TO_POINTER (out->len));
        g_array_append_val (out, e);
      }
    }

  g_array_sort (out, compare_escalations_cb);
  return out;
}

/* Pause and resume ------------------------------------------------------------------ */

CdSlaReasonCheck
cd_sla_check_reason (const char  *text,
                     const char **problem)
{
  g_autofree char *stripped = g_strstrip (g_strdup (text != NULL ? text : ""));
  CdSlaReasonCheck check = CD_SLA_REASON_OK;

  if (!g_utf8_validate (stripped, -1, NULL) || is_blank (stripped))
    check = CD_SLA_REASON_EMPTY;
  else if (strlen (stripped) > CD_SLA_REASON_MAX_BYTES)
    check = CD_SLA_REASON_TOO_LONG;

  if (problem != NULL)
    {
      switch (check)
        {
        case CD_SLA_REASON_EMPTY:
          *problem = _("Say why the time limits stop, for example what the customer asked for.");
          break;
        case CD_SLA_REASON_TOO_LONG:
          *problem = _("The reason is too long. Shorten it to a sentence or two.");
          break;
        case CD_SLA_REASON_OK:
        default:
          *problem = NULL;
          break;
        }
    }

  return check;
}

JsonObject *
cd_sla_pause_args (const char *reason)
{
  g_autofree char *stripped = NULL;
  JsonObject *args;

  if (cd_sla_check_reason (reason, NULL) != CD_SLA_REASON_OK)
    return NULL;

  stripped = g_strstrip (g_strdup (reason));
  args = json_object_new ();
  json_object_set_string_member (args, "reason", stripped);
  return args;
}

JsonObject *
cd_sla_acknowledge_args (CdSlaState  level,
                         const char *note)
{
  JsonObject *args;
  const char *nick = cd_sla_level_to_string (level);

  g_return_val_if_fail (nick != NULL, NULL);

  args = json_object_new ();
  json_object_set_string_member (args, "level", nick);
  if (note != NULL && !is_blank (note))
    {
      g_autofree char *copy = g_strstrip (g_strdup (note));

      json_object_set_string_member (args, "note", copy);
    }
  return args;
}

CdSlaPause *
cd_sla_open_pause (CdTicket *ticket)
{
  g_return_val_if_fail (CD_IS_TICKET (ticket), NULL);

  if (ticket->pauses == NULL || ticket->pauses->len == 0)
    return NULL;

  {
    CdSlaPause *last = g_ptr_array_index (ticket->pauses, ticket->pauses->len - 1);

    return last->end == 0 ? last : NULL;
  }
}

/* Words -------------------------------------------------------------------------------- */

const char *
cd_sla_area_name (const char *area)
{
  const CdCityDistrict *district;

  if (area == NULL || area[0] == '\0')
    return _("No area");

  district = cd_city_find_district (cd_city_get_demo (), area);
  return district != NULL ? district->name : area;
}

void
cd_sla_count_states (GArray *timers,
                     guint  *n_red,
                     guint  *n_amber,
                     guint  *n_green,
                     guint  *n_paused)
{
  g_return_if_fail (timers != NULL);
  g_return_if_fail (n_red != NULL && n_amber != NULL && n_green != NULL && n_paused != NULL);

  *n_red = *n_amber = *n_green = *n_paused = 0;
  for (guint i = 0; i < timers->len; i++)
    {
      const CdTimer *timer = &g_array_index (timers, CdTimer, i);

      if (timer->paused)
        (*n_paused)++;
      else if (timer->state == CD_SLA_STATE_RED)
        (*n_red)++;
      else if (timer->state == CD_SLA_STATE_AMBER)
        (*n_amber)++;
      else if (timer->state == CD_SLA_STATE_GREEN)
        (*n_green)++;
    }
}

char *
cd_sla_describe_counts (guint n_red,
                        guint n_amber,
                        guint n_green,
                        guint n_paused)
{
  g_autoptr(GPtrArray) parts = g_ptr_array_new_with_free_func (g_free);

  if (n_red > 0)
    /* Translators: how many time limits are overdue */
    g_ptr_array_add (parts, g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u overdue", "%u overdue", n_red), n_red));
  if (n_amber > 0)
    /* Translators: how many time limits are near their deadline */
    g_ptr_array_add (parts, g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u at risk", "%u at risk", n_amber),
                                             n_amber));
  if (n_green > 0)
    /* Translators: how many time limits are on time */
    g_ptr_array_add (parts, g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u on time", "%u on time", n_green),
                                             n_green));
  if (n_paused > 0)
    /* Translators: how many time limits are paused (waiting for the customer) */
    g_ptr_array_add (parts, g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u paused", "%u paused", n_paused),
                                             n_paused));

  if (parts->len == 0)
    return g_strdup (_("No running time limits"));

  g_ptr_array_add (parts, NULL);
  /* Translators: the separator between the counts "2 overdue · 5 on time" */
  return g_strjoinv (_(" · "), (char **) parts->pdata);
}

/* Rows ------------------------------------------------------------------------------------ */

void
cd_sla_diff (GPtrArray *old_keys,
             GPtrArray *new_keys,
             guint     *position,
             guint     *removed,
             guint     *added)
{
  guint prefix = 0, suffix = 0;
  guint n_old, n_new;

  g_return_if_fail (old_keys != NULL && new_keys != NULL);
  g_return_if_fail (position != NULL && removed != NULL && added != NULL);

  n_old = old_keys->len;
  n_new = new_keys->len;
  while (prefix < n_old && prefix < n_new &&
         g_strcmp0 (g_ptr_array_index (old_keys, prefix), g_ptr_array_index (new_keys, prefix)) == 0)
    prefix++;
  while (suffix < n_old - prefix && suffix < n_new - prefix &&
         g_strcmp0 (g_ptr_array_index (old_keys, n_old - 1 - suffix),
                    g_ptr_array_index (new_keys, n_new - 1 - suffix)) == 0)
    suffix++;

  *position = prefix;
  *removed = n_old - prefix - suffix;
  *added = n_new - prefix - suffix;
}
