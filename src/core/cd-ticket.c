/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "cd-enum-types.h"
#include "cd-match.h"
#include "cd-ticket.h"

G_DEFINE_FINAL_TYPE (CdSlaPause, cd_sla_pause, CD_TYPE_RECORD)
G_DEFINE_FINAL_TYPE (CdSlaAck, cd_sla_ack, CD_TYPE_RECORD)
G_DEFINE_FINAL_TYPE (CdTicket, cd_ticket, CD_TYPE_RECORD)

#define PAUSE(name) G_STRUCT_OFFSET (CdSlaPause, name)

static const CdField pause_fields[] = {
  { "start", NULL, CD_FIELD_TIME, PAUSE (start), CD_FIELD_REQUIRED },
  { "end", NULL, CD_FIELD_TIME, PAUSE (end) },
  { "reason", NULL, CD_FIELD_STRING, PAUSE (reason), 0, 500 },
};

#define ACK(name) G_STRUCT_OFFSET (CdSlaAck, name)

static const CdField ack_fields[] = {
  { "level", NULL, CD_FIELD_ENUM, ACK (level), CD_FIELD_REQUIRED, 0, 0, 0, cd_sla_state_get_type },
  { "by", NULL, CD_FIELD_STRING, ACK (by), CD_FIELD_REQUIRED, 64 },
  { "at", NULL, CD_FIELD_TIME, ACK (at), CD_FIELD_REQUIRED },
  { "note", NULL, CD_FIELD_STRING, ACK (note), 0, 500 },
};

#define T(name) G_STRUCT_OFFSET (CdTicket, name)
#define MINUTES_MAX (366.0 * 24 * 60)

static const CdField ticket_fields[] = {
  { "number", NULL, CD_FIELD_STRING, T (number), CD_FIELD_REQUIRED, 32 },
  { "channel", NULL, CD_FIELD_ENUM, T (channel), CD_FIELD_REQUIRED, 0, 0, 0, cd_channel_get_type },
  { "category", NULL, CD_FIELD_ENUM, T (category), CD_FIELD_REQUIRED, 0, 0, 0, cd_category_get_type },
  { "urgency", NULL, CD_FIELD_ENUM, T (urgency), CD_FIELD_REQUIRED, 0, 0, 0, cd_urgency_get_type },
  { "utility", NULL, CD_FIELD_ENUM, T (utility), CD_FIELD_REQUIRED, 0, 0, 0, cd_utility_get_type },
  { "status", NULL, CD_FIELD_ENUM, T (status), CD_FIELD_REQUIRED, 0, 0, 0, cd_ticket_status_get_type },
  { "name", "customer", CD_FIELD_STRING, T (customer_name), CD_FIELD_REQUIRED, 200 },
  { "phone", "customer", CD_FIELD_STRING, T (customer_phone), 0, 40 },
  { "account", "customer", CD_FIELD_STRING, T (customer_account), 0, 64 },
  { "key", "customer", CD_FIELD_BOOLEAN, T (key_customer) },
  { "address", NULL, CD_FIELD_STRING, T (address), CD_FIELD_REQUIRED, 300 },
  { "lat", NULL, CD_FIELD_LATITUDE, T (lat), CD_FIELD_REQUIRED },
  { "lon", NULL, CD_FIELD_LONGITUDE, T (lon), CD_FIELD_REQUIRED },
  { "area", NULL, CD_FIELD_STRING, T (area), 0, 64 },
  { "area_class", NULL, CD_FIELD_ENUM, T (area_class), 0, 0, 0, 0, cd_area_class_get_type },
  { "description", NULL, CD_FIELD_STRING, T (description), 0, 4000 },
  { "skills", NULL, CD_FIELD_STRV, T (skills), 0, 16 },
  { "owner", NULL, CD_FIELD_STRING, T (owner), 0, 64 },
  { "crew_id", NULL, CD_FIELD_UUID, T (crew_id), 0, 36 },
  { "assignment_source", NULL, CD_FIELD_ENUM, T (assignment_source), 0, 0, 0, 0, cd_assignment_source_get_type },
  { "pinned", NULL, CD_FIELD_BOOLEAN, T (pinned) },
  { "first_response_min", "sla", CD_FIELD_INT, T (sla_first_response_min), 0, 0, 0, MINUTES_MAX },
  { "on_site_min", "sla", CD_FIELD_INT, T (sla_on_site_min), 0, 0, 0, MINUTES_MAX },
  { "resolved_min", "sla", CD_FIELD_INT, T (sla_resolved_min), 0, 0, 0, MINUTES_MAX },
  { "calendar", "sla", CD_FIELD_ENUM, T (sla_calendar), 0, 0, 0, 0, cd_calendar_kind_get_type },
  { "warning_share", "sla", CD_FIELD_DOUBLE, T (sla_warning_share), 0, 0, 0, 1 },
  { "due_first_response", "sla", CD_FIELD_TIME, T (due_first_response) },
  { "due_on_site", "sla", CD_FIELD_TIME, T (due_on_site) },
  { "due_resolved", "sla", CD_FIELD_TIME, T (due_resolved) },
  { "pauses", "sla", CD_FIELD_LIST, T (pauses), 0, 64, 0, 0, cd_sla_pause_get_type },
  { "acknowledgements", "sla", CD_FIELD_LIST, T (acknowledgements), 0, 8, 0, 0, cd_sla_ack_get_type },
  { "created_at", NULL, CD_FIELD_TIME, T (created_at), CD_FIELD_REQUIRED },
  { "first_response_at", NULL, CD_FIELD_TIME, T (first_response_at) },
  { "on_site_at", NULL, CD_FIELD_TIME, T (on_site_at) },
  { "resolved_at", NULL, CD_FIELD_TIME, T (resolved_at) },
  { "closed_at", NULL, CD_FIELD_TIME, T (closed_at) },
  { "updated_at", NULL, CD_FIELD_TIME, T (updated_at) },
  { "duplicate_of", NULL, CD_FIELD_UUID, T (duplicate_of), 0, 36 },
  { "duplicate_count", NULL, CD_FIELD_INT, T (duplicate_count), 0, 0, 0, G_MAXINT32 },
};

static void
cd_sla_pause_class_init (CdSlaPauseClass *klass)
{
  cd_record_class_install_fields (CD_RECORD_CLASS (klass), "sla_pause", FALSE,
                                  pause_fields, G_N_ELEMENTS (pause_fields));
}

static void
cd_sla_pause_init (CdSlaPause *self)
{
}

static void
cd_sla_ack_class_init (CdSlaAckClass *klass)
{
  cd_record_class_install_fields (CD_RECORD_CLASS (klass), "sla_ack", FALSE,
                                  ack_fields, G_N_ELEMENTS (ack_fields));
}

static void
cd_sla_ack_init (CdSlaAck *self)
{
}

static void
cd_ticket_class_init (CdTicketClass *klass)
{
  cd_record_class_install_fields (CD_RECORD_CLASS (klass), "ticket", TRUE,
                                  ticket_fields, G_N_ELEMENTS (ticket_fields));
}

static void
cd_ticket_init (CdTicket *self)
{
  self->sla_warning_share = 0.25;
}

CdSlaPause *
cd_sla_pause_new (gint64      start,
                  gint64      end,
                  const char *reason)
{
  return g_object_new (CD_TYPE_SLA_PAUSE, "start", start, "end", end, "reason", reason, NULL);
}

CdSlaAck *
cd_sla_ack_new (CdSlaState  level,
                const char *by,
                gint64      at,
                const char *note)
{
  return g_object_new (CD_TYPE_SLA_ACK, "level", level, "by", by, "at", at, "note", note, NULL);
}

CdSlaAck *
cd_ticket_get_acknowledgement (CdTicket   *self,
                               CdSlaState  level)
{
  g_return_val_if_fail (CD_IS_TICKET (self), NULL);

  for (guint i = 0; self->acknowledgements != NULL && i < self->acknowledgements->len; i++)
    {
      CdSlaAck *ack = g_ptr_array_index (self->acknowledgements, i);

      if (ack->level == level)
        return ack;
    }

  return NULL;
}

CdTicket *
cd_ticket_new (void)
{
  return g_object_new (CD_TYPE_TICKET, NULL);
}

gboolean
cd_ticket_is_open (CdTicket *self)
{
  g_return_val_if_fail (CD_IS_TICKET (self), FALSE);

  switch (self->status)
    {
    case CD_TICKET_STATUS_NEW:
    case CD_TICKET_STATUS_ASSIGNED:
    case CD_TICKET_STATUS_CONTACTED:
    case CD_TICKET_STATUS_EN_ROUTE:
    case CD_TICKET_STATUS_ON_SITE:
    case CD_TICKET_STATUS_WAITING_CUSTOMER:
      return TRUE;
    case CD_TICKET_STATUS_RESOLVED:
    case CD_TICKET_STATUS_CLOSED:
    case CD_TICKET_STATUS_CANCELLED:
    case CD_TICKET_STATUS_DUPLICATE:
    default:
      return FALSE;
    }
}

gboolean
cd_ticket_is_paused (CdTicket *self)
{
  g_return_val_if_fail (CD_IS_TICKET (self), FALSE);

  for (guint i = 0; self->pauses && i < self->pauses->len; i++)
    {
      CdSlaPause *pause = g_ptr_array_index (self->pauses, i);

      if (pause->end == 0)
        return TRUE;
    }

  return FALSE;
}

/**
 * cd_ticket_address_key:
 *
 * Case-folded letters and digits only: "12 Riverside Rd." and
 * "12, riverside rd" are one address, for cd_ticket_repeats() and for the
 * reports' repeat search.
 *
 * Returns: (transfer full): the key, possibly empty
 */
char *
cd_ticket_address_key (const char *address)
{
  g_autofree char *folded = g_utf8_casefold (address, -1);
  GString *key = g_string_new (NULL);

  for (const char *p = folded; *p; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (g_unichar_isalnum (c))
        g_string_append_unichar (key, c);
    }

  return g_string_free (key, FALSE);
}

/**
 * cd_ticket_repeats:
 * @existing: an earlier ticket
 * @at: when the new report came in
 * @radius_m: reports closer than this are one fault
 * @window: seconds after @existing's creation in which a report repeats it
 *
 * Whether a new report of @category at @address (@lat, @lon) is the same
 * fault as @existing, to be linked to it instead of dispatched again: same
 * category, @existing still open and not itself a repeat, created within
 * the window, and the same address or within the radius.
 */
gboolean
cd_ticket_repeats (CdTicket    *existing,
                   CdCategory   category,
                   const char  *address,
                   double       lat,
                   double       lon,
                   gint64       at,
                   double       radius_m,
                   gint64       window)
{
  g_autofree char *a = NULL;
  g_autofree char *b = NULL;

  g_return_val_if_fail (CD_IS_TICKET (existing), FALSE);

  if (existing->category != category || !cd_ticket_is_open (existing) ||
      existing->duplicate_of != NULL)
    return FALSE;
  if (at < existing->created_at || at - existing->created_at > window)
    return FALSE;

  if (cd_match_distance_km (existing->lat, existing->lon, lat, lon) * 1000.0 <= radius_m)
    return TRUE;

  if (address == NULL || existing->address == NULL)
    return FALSE;
  a = cd_ticket_address_key (address);
  b = cd_ticket_address_key (existing->address);
  return a[0] != '\0' && strcmp (a, b) == 0;
}

/* The utility a category of fault belongs to; FALSE for the categories
 * both utilities share (meters, billing, inquiries, complaints, new
 * connections). */
gboolean
cd_category_get_utility (CdCategory  category,
                         CdUtility  *utility)
{
  switch (category)
    {
    case CD_CATEGORY_POWER_OUTAGE:
    case CD_CATEGORY_NO_POWER:
    case CD_CATEGORY_VOLTAGE_QUALITY:
      *utility = CD_UTILITY_POWER;
      return TRUE;
    case CD_CATEGORY_LEAK:
    case CD_CATEGORY_BURST_PIPE:
    case CD_CATEGORY_NO_HEAT:
    case CD_CATEGORY_LOW_TEMPERATURE:
      *utility = CD_UTILITY_HEAT;
      return TRUE;
    case CD_CATEGORY_METER:
    case CD_CATEGORY_BILLING:
    case CD_CATEGORY_INQUIRY:
    case CD_CATEGORY_COMPLAINT:
    case CD_CATEGORY_NEW_CONNECTION:
    default:
      return FALSE;
    }
}
