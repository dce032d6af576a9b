/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "cd-format.h"

const char *
cd_format_utility (CdUtility utility)
{
  switch (utility)
    {
    case CD_UTILITY_HEAT: return _("Heat");
    case CD_UTILITY_POWER: return _("Power");
    default: return _("Unknown");
    }
}

const char *
cd_format_category (CdCategory category)
{
  switch (category)
    {
    case CD_CATEGORY_POWER_OUTAGE: return _("Power outage");
    case CD_CATEGORY_LEAK: return _("Leak");
    case CD_CATEGORY_BURST_PIPE: return _("Burst pipe");
    case CD_CATEGORY_NO_HEAT: return _("No heat");
    case CD_CATEGORY_NO_POWER: return _("No power");
    case CD_CATEGORY_LOW_TEMPERATURE: return _("Low temperature");
    case CD_CATEGORY_VOLTAGE_QUALITY: return _("Voltage quality");
    case CD_CATEGORY_METER: return _("Meter");
    case CD_CATEGORY_BILLING: return _("Billing");
    case CD_CATEGORY_INQUIRY: return _("Inquiry");
    case CD_CATEGORY_COMPLAINT: return _("Complaint");
    case CD_CATEGORY_NEW_CONNECTION: return _("New connection");
    default: return _("Unknown");
    }
}

const char *
cd_format_urgency (CdUrgency urgency)
{
  switch (urgency)
    {
    case CD_URGENCY_NORMAL: return _("Normal");
    case CD_URGENCY_URGENT: return _("Urgent");
    case CD_URGENCY_EMERGENCY: return _("Emergency");
    default: return _("Unknown");
    }
}

const char *
cd_format_channel (CdChannel channel)
{
  switch (channel)
    {
    case CD_CHANNEL_HOTLINE: return _("Hotline");
    case CD_CHANNEL_WEB: return _("Website");
    case CD_CHANNEL_MOBILE_APP: return _("Mobile app");
    case CD_CHANNEL_MESSAGING: return _("Messaging");
    case CD_CHANNEL_COUNTER: return _("Service counter");
    case CD_CHANNEL_METER_ALARM: return _("Meter alarm");
    case CD_CHANNEL_NETWORK_MONITOR: return _("Network monitoring");
    default: return _("Unknown");
    }
}

const char *
cd_format_ticket_status (CdTicketStatus status)
{
  switch (status)
    {
    case CD_TICKET_STATUS_NEW: return _("New");
    case CD_TICKET_STATUS_ASSIGNED: return _("Assigned");
    case CD_TICKET_STATUS_CONTACTED: return _("Contacted");
    case CD_TICKET_STATUS_EN_ROUTE: return _("En route");
    case CD_TICKET_STATUS_ON_SITE: return _("On site");
    case CD_TICKET_STATUS_WAITING_CUSTOMER: return _("Waiting for customer");
    case CD_TICKET_STATUS_RESOLVED: return _("Resolved");
    case CD_TICKET_STATUS_CLOSED: return _("Closed");
    case CD_TICKET_STATUS_CANCELLED: return _("Cancelled");
    case CD_TICKET_STATUS_DUPLICATE: return _("Duplicate");
    default: return _("Unknown");
    }
}

const char *
cd_format_crew_status (CdCrewStatus status)
{
  switch (status)
    {
    case CD_CREW_STATUS_AVAILABLE: return _("Available");
    case CD_CREW_STATUS_EN_ROUTE: return _("En route");
    case CD_CREW_STATUS_ON_SITE: return _("On site");
    case CD_CREW_STATUS_BREAK: return _("On break");
    case CD_CREW_STATUS_OFF_SHIFT: return _("Off shift");
    default: return _("Unknown");
    }
}

const char *
cd_format_role (CdRole role)
{
  switch (role)
    {
    case CD_ROLE_DISPATCHER: return _("Dispatcher");
    case CD_ROLE_SUPERVISOR: return _("Shift supervisor");
    case CD_ROLE_CALLBACK_AGENT: return _("Callback agent");
    case CD_ROLE_MANAGER: return _("Manager");
    case CD_ROLE_ADMIN: return _("Administrator");
    case CD_ROLE_CREW_DEVICE: return _("Crew device");
    default: return _("Unknown");
    }
}

const char *
cd_format_sla_kind (CdSlaKind kind)
{
  switch (kind)
    {
    case CD_SLA_KIND_FIRST_RESPONSE: return _("First response");
    case CD_SLA_KIND_ON_SITE: return _("On site");
    case CD_SLA_KIND_RESOLVED: return _("Resolution");
    default: return _("Unknown");
    }
}

const char *
cd_format_sla_state (CdSlaState state)
{
  switch (state)
    {
    case CD_SLA_STATE_NONE: return _("No time limit");
    case CD_SLA_STATE_GREEN: return _("On time");
    case CD_SLA_STATE_AMBER: return _("At risk");
    case CD_SLA_STATE_RED: return _("Overdue");
    case CD_SLA_STATE_MET: return _("Met");
    default: return _("Unknown");
    }
}

/* @minutes ≥ 0. */
static char *
format_span (gint64 minutes)
{
  gint64 days = minutes / (24 * 60);
  gint64 hours = (minutes / 60) % 24;
  gint64 mins = minutes % 60;

  if (days > 0)
    /* Translators: a duration in days and hours, as short as it can be. */
    return g_strdup_printf (_("%lld d %lld h"), (long long) days, (long long) hours);
  if (hours > 0)
    /* Translators: a duration in hours and minutes. */
    return g_strdup_printf (_("%lld h %02lld min"), (long long) hours, (long long) mins);
  /* Translators: a duration in minutes. */
  return g_strdup_printf (_("%lld min"), (long long) mins);
}

char *
cd_format_countdown (gint64 seconds_left)
{
  g_autofree char *span = NULL;

  if (seconds_left >= 0)
    /* Rounded up: "0 min" only when the deadline is reached. */
    return format_span ((seconds_left + 59) / 60);

  /* Overdue minutes count down (cd_timer_display_minutes()); the first
   * one would read "overdue 0 min". */
  if (seconds_left > -60)
    return g_strdup (_("just overdue"));

  span = format_span ((-seconds_left) / 60);
  /* Translators: %s is a duration such as "12 min". */
  return g_strdup_printf (_("overdue %s"), span);
}

char *
cd_format_time (gint64 unix_seconds,
                gint64 now)
{
  g_autoptr(GDateTime) when = g_date_time_new_from_unix_local (unix_seconds);
  g_autoptr(GDateTime) today = g_date_time_new_from_unix_local (now);

  if (when == NULL || today == NULL)
    return g_strdup ("");

  if (g_date_time_get_year (when) == g_date_time_get_year (today) &&
      g_date_time_get_day_of_year (when) == g_date_time_get_day_of_year (today))
    /* Translators: a time of day today, see g_date_time_format(). */
    return g_date_time_format (when, _("%H:%M"));

  if (ABS (unix_seconds - now) < 6 * 24 * 3600)
    /* Translators: a weekday and time within a week, see g_date_time_format(). */
    return g_date_time_format (when, _("%a %H:%M"));

  /* Translators: a full date and time, see g_date_time_format(). */
  return g_date_time_format (when, _("%Y-%m-%d %H:%M"));
}
