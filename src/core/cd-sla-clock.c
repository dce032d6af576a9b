/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-sla-clock.c: the time-limit policy set and the SLA clock.
 *
 * Every deadline is derived the same way: walk from created_at through the
 * ticket's pauses in order, spending the limit's working seconds on the
 * calendar between them. The server, the client and the tests all call the
 * same walk, so they cannot disagree on a deadline.
 */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "cd-enum-types.h"
#include "cd-json.h"
#include "cd-sla-clock.h"

#define POLICY_FILE_NAME   "sla-policy.json"
#define POLICY_MAX_BYTES   (1024 * 1024)
#define FORMAT_VERSION     1
#define MINUTES_MAX        (366 * 24 * 60) /* the limit fields' own bound */
#define N_CALENDAR_KINDS   (CD_CALENDAR_KIND_BUSINESS_HOURS + 1)

struct _CdSlaPolicySet
{
  GObject      parent_instance;

  char        *source;
  GPtrArray   *policies;                     /* of CdSlaPolicy, file order */
  GHashTable  *by_key;                       /* policy_key() -> CdSlaPolicy */
  CdCalendar  *calendars[N_CALENDAR_KINDS];  /* by CdCalendarKind */
  CdSlaPolicy *fallback;                     /* one of policies */
  double       warning_share;
  gint64       callback_due_min;
};

/* A stretch of paused time, already clipped and ordered. */
typedef struct {
  gint64 start;
  gint64 end;
} Span;

static gboolean policy_error (GError     **error,
                              const char  *source,
                              CdSlaError   code,
                              const char  *format,
                              ...) G_GNUC_PRINTF (4, 5);

G_DEFINE_QUARK (cd-sla-error-quark, cd_sla_error)
G_DEFINE_FINAL_TYPE (CdSlaPolicySet, cd_sla_policy_set, G_TYPE_OBJECT)

static const char * const weekday_names[] = {
  "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
};

static const char * const due_properties[CD_N_SLA_KINDS] = {
  "sla-due-first-response", "sla-due-on-site", "sla-due-resolved",
};

/* Helpers ----------------------------------------------------------------- */

static gboolean
policy_error (GError     **error,
              const char  *source,
              CdSlaError   code,
              const char  *format,
              ...)
{
  g_autofree char *detail = NULL;
  va_list args;

  va_start (args, format);
  detail = g_strdup_vprintf (format, args);
  va_end (args);

  g_set_error (error, CD_SLA_ERROR, code,
               _("The time-limit policy “%s” cannot be used. %s"), source, detail);
  return FALSE;
}

static const char *
enum_nick (GType type,
           gint  value)
{
  g_autoptr(GEnumClass) klass = g_type_class_ref (type);
  GEnumValue *ev = g_enum_get_value (klass, value);

  /* Static enum classes are never finalised, so the nick outlives klass. */
  return ev ? ev->value_nick : "?";
}

static gboolean
enum_from_nick (GType       type,
                const char *nick,
                gint       *value)
{
  g_autoptr(GEnumClass) klass = g_type_class_ref (type);
  GEnumValue *ev = g_enum_get_value_by_nick (klass, nick);

  if (ev == NULL)
    return FALSE;

  *value = ev->value;
  return TRUE;
}

static gpointer
policy_key (CdCategory  category,
            CdUrgency   urgency,
            CdAreaClass area_class)
{
  /* +1 keeps the key away from NULL. */
  return GUINT_TO_POINTER (1 + ((guint) category * CD_N_URGENCIES + (guint) urgency)
                               * CD_N_AREA_CLASSES + (guint) area_class);
}

static char *
describe_key (CdCategory  category,
              CdUrgency   urgency,
              CdAreaClass area_class)
{
  return g_strdup_printf ("%s/%s/%s",
                          enum_nick (CD_TYPE_CATEGORY, category),
                          enum_nick (CD_TYPE_URGENCY, urgency),
                          enum_nick (CD_TYPE_AREA_CLASS, area_class));
}

/* Rejects members outside @known: a misspelt member would otherwise be
 * silently ignored and its default used. "comment" is always allowed. */
static gboolean
check_members (JsonObject         *object,
               const char         *path,
               const char * const *known,
               const char         *source,
               GError            **error)
{
  JsonObjectIter iter;
  const char *name;
  JsonNode *member;

  json_object_iter_init (&iter, object);
  while (json_object_iter_next (&iter, &name, &member))
    {
      if (strcmp (name, "comment") == 0 || g_strv_contains (known, name))
        continue;

      return policy_error (error, source, CD_SLA_ERROR_INVALID_POLICY,
                           _("“%s%s%.64s” is not a member this file knows; remove it or check its spelling."),
                           path ? path : "", path ? "." : "", name);
    }

  return TRUE;
}

static JsonNode *
require_member (JsonObject  *object,
                const char  *path,
                const char  *name,
                const char  *source,
                GError     **error)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    {
      policy_error (error, source, CD_SLA_ERROR_INVALID_POLICY,
                    _("The member “%s%s%s” is missing; add it, as in the sla-policy.json shipped with Crewdesk."),
                    path ? path : "", path ? "." : "", name);
      return NULL;
    }

  return node;
}

static const char *
require_string (JsonObject  *object,
                const char  *path,
                const char  *name,
                const char  *source,
                GError     **error)
{
  JsonNode *node = require_member (object, path, name, source, error);

  if (node == NULL)
    return NULL;

  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    {
      policy_error (error, source, CD_SLA_ERROR_INVALID_POLICY,
                    _("“%s%s%s” must be a string, not %s."),
                    path ? path : "", path ? "." : "", name, cd_json_node_describe (node));
      return NULL;
    }

  return json_node_get_string (node);
}

static JsonArray *
optional_string_array (JsonObject  *object,
                       const char  *path,
                       const char  *name,
                       const char  *source,
                       GError     **error,
                       gboolean    *ok)
{
  JsonNode *node = json_object_get_member (object, name);
  JsonArray *array;

  *ok = TRUE;
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return NULL;

  if (JSON_NODE_HOLDS_ARRAY (node))
    {
      array = json_node_get_array (node);
      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          JsonNode *item = json_array_get_element (array, i);

          if (!JSON_NODE_HOLDS_VALUE (item) || json_node_get_value_type (item) != G_TYPE_STRING)
            {
              *ok = policy_error (error, source, CD_SLA_ERROR_INVALID_POLICY,
                                  _("“%s.%s[%u]” must be a string, not %s."),
                                  path, name, i, cd_json_node_describe (item));
              return NULL;
            }
        }
      return array;
    }

  *ok = policy_error (error, source, CD_SLA_ERROR_INVALID_POLICY,
                      _("“%s.%s” must be an array of strings, not %s."),
                      path, name, cd_json_node_describe (node));
  return NULL;
}

/* "08:30" -> 510; "24:00" is allowed as a closing time. */
static gboolean
parse_clock_time (const char *text,
                  guint      *minute)
{
  guint h, m;

  if (strlen (text) != 5 || text[2] != ':' ||
      !g_ascii_isdigit (text[0]) || !g_ascii_isdigit (text[1]) ||
      !g_ascii_isdigit (text[3]) || !g_ascii_isdigit (text[4]))
    return FALSE;

  h = (guint) (text[0] - '0') * 10 + (guint) (text[1] - '0');
  m = (guint) (text[3] - '0') * 10 + (guint) (text[4] - '0');
  if (m >= 60 || h > 24 || (h == 24 && m != 0))
    return FALSE;

  *minute = h * 60 + m;
  return TRUE;
}

/* "2025-10-01", nothing else: a date that parses loosely is a typo. */
static gboolean
parse_date (const char *text,
            GDate      *date)
{
  guint y, m, d;

  if (strlen (text) != 10 || text[4] != '-' || text[7] != '-')
    return FALSE;
  for (guint i = 0; i < 10; i++)
    if (i != 4 && i != 7 && !g_ascii_isdigit (text[i]))
      return FALSE;

  y = (guint) g_ascii_strtoull (text, NULL, 10);
  m = (guint) g_ascii_strtoull (text + 5, NULL, 10);
  d = (guint) g_ascii_strtoull (text + 8, NULL, 10);
  if (!g_date_valid_dmy ((GDateDay) d, (GDateMonth) m, (GDateYear) y))
    return FALSE;

  g_date_clear (date, 1);
  g_date_set_dmy (date, (GDateDay) d, (GDateMonth) m, (GDateYear) y);
  return TRUE;
}

/* Loading ----------------------------------------------------------------- */

static CdCalendar *
load_business_hours (JsonObject  *object,
                     const char  *path,
                     const char  *source,
                     GError     **error)
{
  static const char * const known[] = {
    "time_zone", "weekdays", "open", "close", "holidays", "working_days", NULL,
  };
  g_autoptr(CdCalendar) calendar = NULL;
  g_autoptr(GTimeZone) tz = NULL;
  g_autoptr(GHashTable) holidays = g_hash_table_new (NULL, NULL);
  JsonNode *weekdays_node;
  JsonArray *weekdays, *holiday_list, *working_list;
  const char *tz_name, *open_text, *close_text;
  guint mask = 0, open, close;
  gboolean ok;

  if (!check_members (object, path, known, source, error))
    return NULL;

  if ((tz_name = require_string (object, path, "time_zone", source, error)) == NULL)
    return NULL;
  tz = g_time_zone_new_identifier (tz_name);
  if (tz == NULL)
    {
      policy_error (error, source, CD_SLA_ERROR_INVALID_POLICY,
                    _("“%s.time_zone” is “%.64s”, which is not a time zone; use an offset such as “+08:00” or a name such as “Asia/Shanghai”."),
                    path, tz_name);
      return NULL;
    }

  if ((open_text = require_string (object, path, "open", source, error)) == NULL ||
      (close_text = require_string (object, path, "close", source, error)) == NULL)
    return NULL;
  if (!parse_clock_time (open_text, &open) || open >= CD_MINUTES_PER_DAY)
    {
      policy_error (error, source, CD_SLA_ERROR_INVALID_POLICY,
                    _("“%s.open” is “%.64s”; write the opening time as hours and minutes, such as “08:30”."),
                    path, open_text);
      return NULL;
    }
  if (!parse_clock_time (close_text, &close))
    {
      policy_error (error, source, CD_SLA_ERROR_INVALID_POLICY,
                    _("“%s.close” is “%.64s”; write the closing time as hours and minutes, such as “17:30” (at most “24:00”)."),
                    path, close_text);
      return NULL;
    }
  if (close <= open)
    {
      policy_error (error, source, CD_SLA_ERROR_INVALID_POLICY,
                    _("“%s” opens at %s and closes at %s; the closing time must come after the opening time on the same day."),
                    path, open_text, close_text);
      return NULL;
    }

  if ((weekdays_node = require_member (object, path, "weekdays", source, error)) == NULL)
    return NULL;
  weekdays = optional_string_array (object, path, "weekdays", source, error, &ok);
  if (!ok)
    return NULL;
  for (guint i = 0; i < json_array_get_length (weekdays); i++)
    {
      const char *name = json_array_get_string_element (weekdays, i);
      guint day;

      for (day = 0; day < G_N_ELEMENTS (weekday_names); day++)
        if (strcmp (name, weekday_names[day]) == 0)
          break;

      if (day == G_N_ELEMENTS (weekday_names))
        {
          policy_error (error, source, CD_SLA_ERROR_INVALID_POLICY,
                        _("“%s.weekdays[%u]” is “%.64s”, which is not a weekday; use monday, tuesday, wednesday, thursday, friday, saturday or sunday."),
                        path, i, name);
          return NULL;
        }
      mask |= CD_WEEKDAY_BIT (day + 1);
    }
  if (mask == 0)
    {
      policy_error (error, source, CD_SLA_ERROR_INVALID_POLICY,
                    _("“%s.weekdays” is empty; list at least one working weekday."), path);
      return NULL;
    }

  calendar = cd_calendar_new_business_hours (tz, mask, open, close);

  holiday_list = optional_string_array (object, path, "holidays", source, error, &ok);
  if (!ok)
    return NULL;
  for (guint i = 0; holiday_list && i < json_array_get_length (holiday_list); i++)
    {
      const char *text = json_array_get_string_element (holiday_list, i);
      GDate date;

      if (!parse_date (text, &date))
        {
          policy_error (error, source, CD_SLA_ERROR_INVALID_POLICY,
                        _("“%s.holidays[%u]” is “%.64s”, which is not a date; write dates as YYYY-MM-DD, such as “2025-10-01”."),
                        path, i, text);
          return NULL;
        }
      cd_calendar_add_holiday (calendar, &date);
      g_hash_table_add (holidays, GUINT_TO_POINTER (g_date_get_julian (&date)));
    }

  working_list = optional_string_array (object, path, "working_days", source, error, &ok);
  if (!ok)
    return NULL;
  for (guint i = 0; working_list && i < json_array_get_length (working_list); i++)
    {
      const char *text = json_array_get_string_element (working_list, i);
      GDate date;

      if (!parse_date (text, &date))
        {
          policy_error (error, source, CD_SLA_ERROR_INVALID_POLICY,
                        _("“%s.working_days[%u]” is “%.64s”, which is not a date; write dates as YYYY-MM-DD, such as “2025-09-28”."),
                        path, i, text);
          return NULL;
        }
      if (g_hash_table_contains (holidays, GUINT_TO_POINTER (g_date_get_julian (&date))))
        {
          policy_error (error, source, CD_SLA_ERROR_INVALID_POLICY,
                        _("%s is listed both as a holiday and as a working day of “%s”; keep it in one of the two lists."),
                        text, path);
          return NULL;
        }
      cd_calendar_add_working_day (calendar, &date);
    }

  return g_steal_pointer (&calendar);
}

static gboolean
load_calendars (CdSlaPolicySet  *self,
                JsonNode        *node,
                GError         **error)
{
  JsonObjectIter iter;
  const char *name;
  JsonNode *member;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    return policy_error (error, self->source, CD_SLA_ERROR_INVALID_POLICY,
                         _("“calendars” must be an object that defines each calendar by name, not %s."),
                         cd_json_node_describe (node));

  json_object_iter_init (&iter, json_node_get_object (node));
  while (json_object_iter_next (&iter, &name, &member))
    {
      g_autofree char *path = g_strconcat ("calendars.", name, NULL);
      gint kind;

      if (strcmp (name, "comment") == 0)
        continue;

      if (!enum_from_nick (CD_TYPE_CALENDAR_KIND, name, &kind))
        return policy_error (error, self->source, CD_SLA_ERROR_UNKNOWN_CALENDAR,
                             _("The calendar “%.64s” is not one Crewdesk knows; name the calendars “always” and “business-hours”."),
                             name);

      if (!JSON_NODE_HOLDS_OBJECT (member))
        return policy_error (error, self->source, CD_SLA_ERROR_INVALID_POLICY,
                             _("“%s” must be an object, not %s."), path, cd_json_node_describe (member));

      switch ((CdCalendarKind) kind)
        {
        case CD_CALENDAR_KIND_ALWAYS:
          {
            static const char * const known[] = { NULL };

            /* 24x7 has nothing to configure; refuse settings that would
             * look effective but are not. */
            if (!check_members (json_node_get_object (member), path, known, self->source, error))
              return FALSE;
            g_clear_object (&self->calendars[kind]);
            self->calendars[kind] = cd_calendar_new_always ();
          }
          break;
        case CD_CALENDAR_KIND_BUSINESS_HOURS:
          {
            CdCalendar *calendar = load_business_hours (json_node_get_object (member), path,
                                                        self->source, error);

            if (calendar == NULL)
              return FALSE;
            g_clear_object (&self->calendars[kind]);
            self->calendars[kind] = calendar;
          }
          break;
        default:
          g_assert_not_reached ();
        }
    }

  for (guint kind = 0; kind < N_CALENDAR_KINDS; kind++)
    if (self->calendars[kind] == NULL)
      return policy_error (error, self->source, CD_SLA_ERROR_UNKNOWN_CALENDAR,
                           _("The calendar “%s” is not defined; add it under “calendars”."),
                           enum_nick (CD_TYPE_CALENDAR_KIND, (gint) kind));

  return TRUE;
}

static gboolean
load_policy_row (CdSlaPolicySet  *self,
                 guint            index,
                 JsonNode        *node,
                 GError         **error)
{
  g_autoptr(CdSlaPolicy) policy = NULL;
  g_autoptr(GError) local_error = NULL;
  gpointer key;
  CdSlaPolicy *other;

  /* Name an undefined calendar before the codec reports it as a bad enum
   * value: the fix is in this file, not in the row's spelling. */
  if (JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonNode *cal = json_object_get_member (json_node_get_object (node), "calendar");
      gint kind;

      if (cal != NULL && JSON_NODE_HOLDS_VALUE (cal) &&
          json_node_get_value_type (cal) == G_TYPE_STRING &&
          !enum_from_nick (CD_TYPE_CALENDAR_KIND, json_node_get_string (cal), &kind))
        return policy_error (error, self->source, CD_SLA_ERROR_UNKNOWN_CALENDAR,
                             _("policies[%u] uses the calendar “%.64s”, which is not defined under “calendars”; use “always” or “business-hours”."),
                             index, json_node_get_string (cal));
    }

  policy = cd_record_new_from_json (CD_TYPE_SLA_POLICY, node, CD_DECODE_STRICT, &local_error);
  if (policy == NULL)
    return policy_error (error, self->source, CD_SLA_ERROR_INVALID_POLICY,
                         _("policies[%u] is not a valid policy row: %s Fix or remove the row."),
                         index, local_error->message);

  /* The file-wide share applies to rows that do not set their own. */
  if (!json_object_has_member (json_node_get_object (node), "warning_share"))
    policy->warning_share = self->warning_share;

  key = policy_key (policy->category, policy->urgency, policy->area_class);
  other = g_hash_table_lookup (self->by_key, key);
  if (other != NULL)
    {
      g_autofree char *desc = describe_key (policy->category, policy->urgency, policy->area_class);
      guint other_index = 0;

      g_ptr_array_find (self->policies, other, &other_index);
      return policy_error (error, self->source, CD_SLA_ERROR_DUPLICATE_POLICY,
                           _("policies[%u] repeats the key %s of policies[%u]; remove one of the two rows."),
                           index, desc, other_index);
    }

  for (guint i = 0; i < self->policies->len; i++)
    {
      CdSlaPolicy *row = g_ptr_array_index (self->policies, i);

      if (g_strcmp0 (CD_RECORD (row)->id, CD_RECORD (policy)->id) == 0)
        return policy_error (error, self->source, CD_SLA_ERROR_DUPLICATE_POLICY,
                             _("policies[%u] repeats the id %s of policies[%u]; give every row its own UUID."),
                             index, CD_RECORD (policy)->id, i);
    }

  g_hash_table_insert (self->by_key, key, policy);
  g_ptr_array_add (self->policies, g_steal_pointer (&policy));
  return TRUE;
}

static gboolean
load_fallback (CdSlaPolicySet  *self,
               JsonNode        *node,
               GError         **error)
{
  static const char * const known[] = { "category", "urgency", "area_class", NULL };
  static const struct {
    const char *name;
    GType     (*type) (void);
  } parts[] = {
    { "category", cd_category_get_type },
    { "urgency", cd_urgency_get_type },
    { "area_class", cd_area_class_get_type },
  };
  JsonObject *object;
  gint values[G_N_ELEMENTS (parts)];

  if (!JSON_NODE_HOLDS_OBJECT (node))
    return policy_error (error, self->source, CD_SLA_ERROR_INVALID_POLICY,
                         _("“fallback” must be an object naming a row by category, urgency and area_class, not %s."),
                         cd_json_node_describe (node));

  object = json_node_get_object (node);
  if (!check_members (object, "fallback", known, self->source, error))
    return FALSE;

  for (guint i = 0; i < G_N_ELEMENTS (parts); i++)
    {
      const char *nick = require_string (object, "fallback", parts[i].name, self->source, error);

      if (nick == NULL)
        return FALSE;
      if (!enum_from_nick (parts[i].type (), nick, &values[i]))
        return policy_error (error, self->source, CD_SLA_ERROR_INVALID_POLICY,
                             _("“fallback.%s” is “%.64s”, which is not a valid %s."),
                             parts[i].name, nick, parts[i].name);
    }

  self->fallback = g_hash_table_lookup (self->by_key, policy_key (values[0], values[1], values[2]));
  if (self->fallback == NULL)
    {
      g_autofree char *desc = describe_key (values[0], values[1], values[2]);

      return policy_error (error, self->source, CD_SLA_ERROR_INVALID_POLICY,
                           _("“fallback” names the row %s, which the file does not define; point it at one of the rows in “policies”."),
                           desc);
    }

  return TRUE;
}

static gboolean
load_document (CdSlaPolicySet  *self,
               JsonNode        *root,
               GError         **error)
{
  static const char * const known[] = {
    "format_version", "warning_share", "callback_due_min", "calendars", "policies", "fallback", NULL,
  };
  JsonObject *object;
  JsonNode *node;
  JsonArray *rows;

  if (!JSON_NODE_HOLDS_OBJECT (root))
    return policy_error (error, self->source, CD_SLA_ERROR_INVALID_POLICY,
                         _("The document must be a JSON object with “calendars” and “policies”, not %s."),
                         cd_json_node_describe (root));

  object = json_node_get_object (root);
  if (!check_members (object, NULL, known, self->source, error))
    return FALSE;

  if ((node = require_member (object, NULL, "format_version", self->source, error)) == NULL)
    return FALSE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64 ||
      json_node_get_int (node) != FORMAT_VERSION)
    return policy_error (error, self->source, CD_SLA_ERROR_INVALID_POLICY,
                         _("“format_version” must be %d; this version of Crewdesk reads no other format."),
                         FORMAT_VERSION);

  if ((node = require_member (object, NULL, "warning_share", self->source, error)) == NULL)
    return FALSE;
  if (!JSON_NODE_HOLDS_VALUE (node) ||
      (json_node_get_value_type (node) != G_TYPE_DOUBLE && json_node_get_value_type (node) != G_TYPE_INT64) ||
      !(json_node_get_double (node) >= 0.0 && json_node_get_double (node) < 1.0))
    return policy_error (error, self->source, CD_SLA_ERROR_INVALID_POLICY,
                         _("“warning_share” must be a number from 0 up to, not including, 1 (0.25 turns a timer amber with a quarter of its time left)."));
  self->warning_share = json_node_get_double (node);

  if ((node = require_member (object, NULL, "callback_due_min", self->source, error)) == NULL)
    return FALSE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64 ||
      json_node_get_int (node) <= 0 || json_node_get_int (node) > MINUTES_MAX)
    return policy_error (error, self->source, CD_SLA_ERROR_INVALID_POLICY,
                         _("“callback_due_min” must be a whole number of minutes from 1 to %d (1440 is 24 hours)."),
                         MINUTES_MAX);
  self->callback_due_min = json_node_get_int (node);

  if ((node = require_member (object, NULL, "calendars", self->source, error)) == NULL ||
      !load_calendars (self, node, error))
    return FALSE;

  if ((node = require_member (object, NULL, "policies", self->source, error)) == NULL)
    return FALSE;
  if (!JSON_NODE_HOLDS_ARRAY (node) || json_array_get_length (json_node_get_array (node)) == 0)
    return policy_error (error, self->source, CD_SLA_ERROR_INVALID_POLICY,
                         _("“policies” must be a non-empty array of policy rows."));
  rows = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (rows); i++)
    if (!load_policy_row (self, i, json_array_get_element (rows, i), error))
      return FALSE;

  if ((node = require_member (object, NULL, "fallback", self->source, error)) == NULL ||
      !load_fallback (self, node, error))
    return FALSE;

  return TRUE;
}

static void
cd_sla_policy_set_finalize (GObject *object)
{
  CdSlaPolicySet *self = CD_SLA_POLICY_SET (object);

  g_clear_pointer (&self->source, g_free);
  g_clear_pointer (&self->by_key, g_hash_table_unref);
  g_clear_pointer (&self->policies, g_ptr_array_unref);
  for (guint i = 0; i < N_CALENDAR_KINDS; i++)
    g_clear_object (&self->calendars[i]);

  G_OBJECT_CLASS (cd_sla_policy_set_parent_class)->finalize (object);
}

static void
cd_sla_policy_set_class_init (CdSlaPolicySetClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = cd_sla_policy_set_finalize;
}

static void
cd_sla_policy_set_init (CdSlaPolicySet *self)
{
  self->policies = g_ptr_array_new_with_free_func (g_object_unref);
  self->by_key = g_hash_table_new (NULL, NULL);
  self->warning_share = 0.25;
}

/* The policy set: public API ---------------------------------------------- */

/**
 * cd_sla_policy_set_new_from_data:
 * @data: the JSON document
 * @length: its length, or -1 when nul-terminated
 * @source: where it came from (a path), for error messages
 *
 * Reads and validates a policy document; see data/sla-policy.json for the
 * format.
 *
 * Returns: (transfer full): the policy set, or %NULL with @error set in
 *   %CD_SLA_ERROR, its message naming @source and the problem
 */
CdSlaPolicySet *
cd_sla_policy_set_new_from_data (const char  *data,
                                 gssize       length,
                                 const char  *source,
                                 GError     **error)
{
  g_autoptr(CdSlaPolicySet) self = NULL;
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GError) local_error = NULL;

  g_return_val_if_fail (data != NULL || length == 0, NULL);
  g_return_val_if_fail (source != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  self = g_object_new (CD_TYPE_SLA_POLICY_SET, NULL);
  self->source = g_strdup (source);

  root = cd_json_parse (data, length, POLICY_MAX_BYTES, CD_JSON_MAX_DEPTH, &local_error);
  if (root == NULL)
    {
      policy_error (error, source, CD_SLA_ERROR_INVALID_POLICY,
                    _("%s Fix the JSON syntax."), local_error->message);
      return NULL;
    }

  if (!load_document (self, root, error))
    return NULL;

  return g_steal_pointer (&self);
}

CdSlaPolicySet *
cd_sla_policy_set_new_from_file (const char  *path,
                                 GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autofree char *data = NULL;
  gsize length;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!g_file_get_contents (path, &data, &length, &local_error))
    {
      g_set_error (error, CD_SLA_ERROR, CD_SLA_ERROR_READ_FAILED,
                   _("The time-limit policy “%s” cannot be read: %s. Check that the file exists and is readable, or set CREWDESK_DATADIR to the folder that holds sla-policy.json."),
                   path, local_error->message);
      return NULL;
    }

  return cd_sla_policy_set_new_from_data (data, (gssize) length, path, error);
}

/**
 * cd_sla_policy_set_new_default:
 *
 * Loads $CREWDESK_DATADIR/sla-policy.json when CREWDESK_DATADIR is set,
 * else the installed PKGDATADIR/sla-policy.json, else the one in the source
 * tree (for running uninstalled).
 *
 * Returns: (transfer full): the policy set, or %NULL with @error set
 */
CdSlaPolicySet *
cd_sla_policy_set_new_default (GError **error)
{
  const char *dir = g_getenv ("CREWDESK_DATADIR");
  g_autofree char *installed = NULL;
  g_autofree char *uninstalled = NULL;

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (dir != NULL && *dir != '\0')
    {
      g_autofree char *path = g_build_filename (dir, POLICY_FILE_NAME, NULL);

      return cd_sla_policy_set_new_from_file (path, error);
    }

  installed = g_build_filename (PKGDATADIR, POLICY_FILE_NAME, NULL);
  if (g_file_test (installed, G_FILE_TEST_EXISTS))
    return cd_sla_policy_set_new_from_file (installed, error);

  uninstalled = g_build_filename (SRCDATADIR, POLICY_FILE_NAME, NULL);
  if (g_file_test (uninstalled, G_FILE_TEST_EXISTS))
    return cd_sla_policy_set_new_from_file (uninstalled, error);

  g_set_error (error, CD_SLA_ERROR, CD_SLA_ERROR_READ_FAILED,
               _("No time-limit policy was found at “%s” or “%s”. Reinstall Crewdesk, or set CREWDESK_DATADIR to the folder that holds sla-policy.json."),
               installed, uninstalled);
  return NULL;
}

/**
 * cd_sla_policy_set_lookup:
 *
 * Finds the row for a ticket, in this order:
 *  1. the exact category, urgency and area class;
 *  2. the same category and urgency, urban (area classes only change the
 *     on-site limit of emergencies, so most rows exist only for urban);
 *  3. the same category at the nearest other urgency, ties going to the
 *     more urgent one (a shorter limit errs on the customer's side), with
 *     the same area class, then urban;
 *  4. the file's "fallback" row.
 *
 * Returns: (transfer none): the row, never %NULL for a loaded set. Do not
 *   modify it.
 */
CdSlaPolicy *
cd_sla_policy_set_lookup (CdSlaPolicySet *self,
                          CdCategory      category,
                          CdUrgency       urgency,
                          CdAreaClass     area_class)
{
  CdSlaPolicy *policy;

  g_return_val_if_fail (CD_IS_SLA_POLICY_SET (self), NULL);
  g_return_val_if_fail ((guint) category < CD_N_CATEGORIES, self->fallback);
  g_return_val_if_fail ((guint) urgency < CD_N_URGENCIES, self->fallback);
  g_return_val_if_fail ((guint) area_class < CD_N_AREA_CLASSES, self->fallback);

  if ((policy = g_hash_table_lookup (self->by_key, policy_key (category, urgency, area_class))) != NULL ||
      (policy = g_hash_table_lookup (self->by_key, policy_key (category, urgency, CD_AREA_CLASS_URBAN))) != NULL)
    return policy;

  for (gint distance = 1; distance < CD_N_URGENCIES; distance++)
    {
      const gint candidates[] = { (gint) urgency + distance, (gint) urgency - distance };

      for (guint i = 0; i < G_N_ELEMENTS (candidates); i++)
        {
          gint u = candidates[i];

          if (u < 0 || u >= CD_N_URGENCIES)
            continue;
          if ((policy = g_hash_table_lookup (self->by_key, policy_key (category, u, area_class))) != NULL ||
              (policy = g_hash_table_lookup (self->by_key, policy_key (category, u, CD_AREA_CLASS_URBAN))) != NULL)
            return policy;
        }
    }

  return self->fallback;
}

/**
 * cd_sla_policy_set_get_calendar:
 *
 * Returns: (transfer none): the calendar of that name; never %NULL for a
 *   loaded set
 */
CdCalendar *
cd_sla_policy_set_get_calendar (CdSlaPolicySet *self,
                                CdCalendarKind  kind)
{
  g_return_val_if_fail (CD_IS_SLA_POLICY_SET (self), NULL);
  g_return_val_if_fail ((guint) kind < N_CALENDAR_KINDS, NULL);

  return self->calendars[kind];
}

/**
 * cd_sla_policy_set_get_policies:
 *
 * Returns: (transfer none) (element-type CdSlaPolicy): every row, in file
 *   order
 */
GPtrArray *
cd_sla_policy_set_get_policies (CdSlaPolicySet *self)
{
  g_return_val_if_fail (CD_IS_SLA_POLICY_SET (self), NULL);

  return self->policies;
}

const char *
cd_sla_policy_set_get_source (CdSlaPolicySet *self)
{
  g_return_val_if_fail (CD_IS_SLA_POLICY_SET (self), NULL);

  return self->source;
}

double
cd_sla_policy_set_get_warning_share (CdSlaPolicySet *self)
{
  g_return_val_if_fail (CD_IS_SLA_POLICY_SET (self), 0.25);

  return self->warning_share;
}

gint64
cd_sla_policy_set_get_callback_due_min (CdSlaPolicySet *self)
{
  g_return_val_if_fail (CD_IS_SLA_POLICY_SET (self), 0);

  return self->callback_due_min;
}

/**
 * cd_sla_policy_set_callback_due:
 *
 * Returns: when the callback after resolution is due (wall-clock time, the
 *   dispatch room calls back around the clock), or 0 when @ticket is not
 *   resolved
 */
gint64
cd_sla_policy_set_callback_due (CdSlaPolicySet *self,
                                CdTicket       *ticket)
{
  g_return_val_if_fail (CD_IS_SLA_POLICY_SET (self), 0);
  g_return_val_if_fail (CD_IS_TICKET (ticket), 0);

  if (ticket->resolved_at == 0)
    return 0;

  return ticket->resolved_at + self->callback_due_min * 60;
}

/* The clock: helpers ------------------------------------------------------ */

static const char *
ticket_label (CdTicket *ticket)
{
  if (ticket->number != NULL)
    return ticket->number;
  if (CD_RECORD (ticket)->id != NULL)
    return CD_RECORD (ticket)->id;
  return _("(new ticket)");
}

static gint
compare_spans (gconstpointer a,
               gconstpointer b)
{
  const Span *sa = a;
  const Span *sb = b;

  return (sa->start > sb->start) - (sa->start < sb->start);
}

/* The ticket's pauses as ordered, disjoint spans inside [created_at,
 * as_of). An open pause ends at @as_of when @open_ends_now, else it is left
 * out: stored deadlines are "if the customer answered right away". Pauses
 * arrive from the wire too, so nothing is assumed about their order. */
static GArray *
collect_spans (CdTicket *ticket,
               gint64    as_of,
               gboolean  open_ends_now)
{
  GArray *spans = g_array_new (FALSE, FALSE, sizeof (Span));
  gint64 last_end = ticket->created_at;
  guint out = 0;

  for (guint i = 0; ticket->pauses && i < ticket->pauses->len; i++)
    {
      CdSlaPause *pause = g_ptr_array_index (ticket->pauses, i);
      Span span = { pause->start, pause->end };

      if (pause->end == 0)
        {
          if (!open_ends_now)
            continue;
          span.end = as_of;
        }
      span.end = MIN (span.end, as_of);
      if (span.start < span.end)
        g_array_append_val (spans, span);
    }

  g_array_sort (spans, compare_spans);

  /* Clip to created_at and merge overlaps, so no paused second is
   * subtracted twice. */
  for (guint i = 0; i < spans->len; i++)
    {
      Span span = g_array_index (spans, Span, i);

      span.start = MAX (span.start, last_end);
      if (span.start >= span.end)
        continue;
      if (out > 0 && g_array_index (spans, Span, out - 1).end == span.start)
        g_array_index (spans, Span, out - 1).end = span.end;
      else
        g_array_index (spans, Span, out++) = span;
      last_end = span.end;
    }
  g_array_set_size (spans, out);

  return spans;
}

/* When @limit working seconds after created_at are used up, the pauses not
 * counting. A pause that starts after that moment is too late to help. */
static gint64
deadline_after (CdTicket   *ticket,
                CdCalendar *calendar,
                GArray     *spans,
                gint64      limit)
{
  gint64 t = ticket->created_at;
  gint64 remaining = limit;

  for (guint i = 0; i < spans->len; i++)
    {
      const Span *span = &g_array_index (spans, Span, i);
      gint64 due = cd_calendar_add_working_seconds (calendar, t, remaining);

      if (due < span->start)
        return due;

      remaining -= cd_calendar_count_working_seconds (calendar, t, span->start);
      t = span->end;
    }

  return cd_calendar_add_working_seconds (calendar, t, remaining);
}

/* Working seconds used between created_at and @as_of, pauses excluded. */
static gint64
working_seconds_used (CdTicket   *ticket,
                      CdCalendar *calendar,
                      GArray     *spans,
                      gint64      as_of)
{
  gint64 used = cd_calendar_count_working_seconds (calendar, ticket->created_at, as_of);

  for (guint i = 0; i < spans->len; i++)
    {
      const Span *span = &g_array_index (spans, Span, i);

      used -= cd_calendar_count_working_seconds (calendar, span->start, span->end);
    }

  return used;
}

/* Wall-clock seconds in (@from, @to] that no pause covers. */
static gint64
unpaused_seconds (GArray *spans,
                  gint64  from,
                  gint64  to)
{
  gint64 total = to - from;

  for (guint i = 0; i < spans->len; i++)
    {
      const Span *span = &g_array_index (spans, Span, i);
      gint64 overlap = MIN (span->end, to) - MAX (span->start, from);

      if (overlap > 0)
        total -= overlap;
    }

  return total;
}

static guint
max_pauses (void)
{
  g_autoptr(GTypeClass) klass = g_type_class_ref (CD_TYPE_TICKET);
  CdRecordClass *record_class = CD_RECORD_CLASS (klass);

  /* The codec refuses a ticket with more pauses than its field allows, so
   * a pause beyond that would make the ticket impossible to send. */
  for (guint i = 0; i < record_class->n_fields; i++)
    if (strcmp (record_class->fields[i].name, "pauses") == 0 && record_class->fields[i].max_length > 0)
      return (guint) record_class->fields[i].max_length;

  return CD_FIELD_DEFAULT_MAX_ITEMS;
}

static void
update_deadlines (CdTicket   *ticket,
                  CdCalendar *calendar,
                  gboolean    reached_too)
{
  g_autoptr(GArray) spans = collect_spans (ticket, G_MAXINT64, FALSE);

  for (guint kind = 0; kind < CD_N_SLA_KINDS; kind++)
    {
      gint64 limit = cd_sla_get_limit_min (ticket, kind) * 60;
      gint64 due = 0;

      if (!reached_too && cd_sla_get_reached_at (ticket, kind) != 0)
        continue;
      if (limit > 0)
        due = deadline_after (ticket, calendar, spans, limit);
      g_object_set (ticket, due_properties[kind], due, NULL);
    }
}

/* The clock: public API --------------------------------------------------- */

/**
 * cd_sla_get_limit_min:
 *
 * Returns: the ticket's frozen limit for @kind in working minutes, 0 for
 *   none
 */
gint64
cd_sla_get_limit_min (CdTicket  *ticket,
                      CdSlaKind  kind)
{
  g_return_val_if_fail (CD_IS_TICKET (ticket), 0);

  switch (kind)
    {
    case CD_SLA_KIND_FIRST_RESPONSE:
      return ticket->sla_first_response_min;
    case CD_SLA_KIND_ON_SITE:
      return ticket->sla_on_site_min;
    case CD_SLA_KIND_RESOLVED:
      return ticket->sla_resolved_min;
    default:
      g_return_val_if_reached (0);
    }
}

gint64
cd_sla_get_due (CdTicket  *ticket,
                CdSlaKind  kind)
{
  g_return_val_if_fail (CD_IS_TICKET (ticket), 0);

  switch (kind)
    {
    case CD_SLA_KIND_FIRST_RESPONSE:
      return ticket->due_first_response;
    case CD_SLA_KIND_ON_SITE:
      return ticket->due_on_site;
    case CD_SLA_KIND_RESOLVED:
      return ticket->due_resolved;
    default:
      g_return_val_if_reached (0);
    }
}

/**
 * cd_sla_get_reached_at:
 *
 * Returns: when the milestone of @kind was reached, 0 if not yet. A
 *   resolution reaches the milestones before it that were skipped, and
 *   closing a ticket without a resolution stops all of them.
 */
gint64
cd_sla_get_reached_at (CdTicket  *ticket,
                       CdSlaKind  kind)
{
  gint64 own = 0;

  g_return_val_if_fail (CD_IS_TICKET (ticket), 0);

  switch (kind)
    {
    case CD_SLA_KIND_FIRST_RESPONSE:
      own = ticket->first_response_at;
      break;
    case CD_SLA_KIND_ON_SITE:
      own = ticket->on_site_at;
      break;
    case CD_SLA_KIND_RESOLVED:
      own = ticket->resolved_at;
      break;
    default:
      g_return_val_if_reached (0);
    }

  if (own != 0)
    return own;
  if (ticket->resolved_at != 0)
    return ticket->resolved_at;
  return ticket->closed_at;
}

/**
 * cd_sla_apply_policy:
 * @calendar: the calendar the policy names
 *
 * Freezes @policy's promise onto @ticket, so later policy changes do not
 * move its deadlines, and computes the deadlines from created_at.
 */
void
cd_sla_apply_policy (CdTicket    *ticket,
                     CdSlaPolicy *policy,
                     CdCalendar  *calendar)
{
  g_return_if_fail (CD_IS_TICKET (ticket));
  g_return_if_fail (CD_IS_SLA_POLICY (policy));
  g_return_if_fail (CD_IS_CALENDAR (calendar));
  g_return_if_fail (cd_calendar_get_kind (calendar) == policy->calendar);

  g_object_freeze_notify (G_OBJECT (ticket));
  g_object_set (ticket,
                "sla-first-response-min", policy->first_response_min,
                "sla-on-site-min", policy->on_site_min,
                "sla-resolved-min", policy->resolved_min,
                "sla-calendar", policy->calendar,
                "sla-warning-share", policy->warning_share,
                NULL);
  update_deadlines (ticket, calendar, TRUE);
  g_object_thaw_notify (G_OBJECT (ticket));
}

/**
 * cd_sla_pause:
 * @now: when the ticket starts waiting for the customer
 * @reason: (nullable): why, for the record
 *
 * Stops the ticket's timers. The stored deadlines stay where they were
 * until cd_sla_resume() pushes them.
 *
 * Returns: %TRUE, or %FALSE with @error set when the ticket is already
 *   paused or @now comes before the ticket or its last pause
 */
gboolean
cd_sla_pause (CdTicket    *ticket,
              CdCalendar  *calendar,
              gint64       now,
              const char  *reason,
              GError     **error)
{
  g_autoptr(GPtrArray) pauses = NULL;
  guint n;

  g_return_val_if_fail (CD_IS_TICKET (ticket), FALSE);
  g_return_val_if_fail (CD_IS_CALENDAR (calendar), FALSE);
  g_return_val_if_fail (cd_calendar_get_kind (calendar) == ticket->sla_calendar, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  n = ticket->pauses ? ticket->pauses->len : 0;

  if (cd_ticket_is_paused (ticket))
    {
      g_set_error (error, CD_SLA_ERROR, CD_SLA_ERROR_ALREADY_PAUSED,
                   _("Ticket %s is already waiting for the customer; resume it before pausing it again."),
                   ticket_label (ticket));
      return FALSE;
    }

  if (now < ticket->created_at)
    {
      g_autofree char *when = cd_json_format_time (now);
      g_autofree char *created = cd_json_format_time (ticket->created_at);

      g_set_error (error, CD_SLA_ERROR, CD_SLA_ERROR_INVALID_TIME,
                   _("Ticket %s cannot be paused at %s, before it was created at %s; check the clock of the device that sent the pause."),
                   ticket_label (ticket), when, created);
      return FALSE;
    }

  for (guint i = 0; i < n; i++)
    {
      CdSlaPause *pause = g_ptr_array_index (ticket->pauses, i);

      if (now < pause->end)
        {
          g_autofree char *when = cd_json_format_time (now);
          g_autofree char *end = cd_json_format_time (pause->end);

          g_set_error (error, CD_SLA_ERROR, CD_SLA_ERROR_INVALID_TIME,
                       _("Ticket %s cannot be paused at %s: an earlier pause lasted until %s. Pause it at a later time."),
                       ticket_label (ticket), when, end);
          return FALSE;
        }
    }

  if (n >= max_pauses ())
    {
      g_set_error (error, CD_SLA_ERROR, CD_SLA_ERROR_TOO_MANY_PAUSES,
                   _("Ticket %s has been paused %u times, the most one ticket can record; keep its timers running."),
                   ticket_label (ticket), n);
      return FALSE;
    }

  /* A new array, not an append in place: the "sla-pauses" property only
   * notifies when its value changes. */
  pauses = g_ptr_array_new_full (n + 1, g_object_unref);
  for (guint i = 0; i < n; i++)
    g_ptr_array_add (pauses, g_object_ref (g_ptr_array_index (ticket->pauses, i)));
  g_ptr_array_add (pauses, cd_sla_pause_new (now, 0, reason));

  g_object_freeze_notify (G_OBJECT (ticket));
  g_object_set (ticket, "sla-pauses", pauses, NULL);
  update_deadlines (ticket, calendar, FALSE);
  g_object_thaw_notify (G_OBJECT (ticket));

  return TRUE;
}

/**
 * cd_sla_resume:
 * @now: when the customer answered
 *
 * Ends the open pause and moves the deadlines of the milestones not yet
 * reached by the working time the pause took.
 *
 * Returns: %TRUE, or %FALSE with @error set when the ticket is not paused
 *   or @now comes before the pause began
 */
gboolean
cd_sla_resume (CdTicket    *ticket,
               CdCalendar  *calendar,
               gint64       now,
               GError     **error)
{
  g_autoptr(GPtrArray) pauses = NULL;
  CdSlaPause *open = NULL;

  g_return_val_if_fail (CD_IS_TICKET (ticket), FALSE);
  g_return_val_if_fail (CD_IS_CALENDAR (calendar), FALSE);
  g_return_val_if_fail (cd_calendar_get_kind (calendar) == ticket->sla_calendar, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  for (guint i = 0; ticket->pauses && i < ticket->pauses->len; i++)
    {
      CdSlaPause *pause = g_ptr_array_index (ticket->pauses, i);

      if (pause->end == 0)
        open = pause;
    }

  if (open == NULL)
    {
      g_set_error (error, CD_SLA_ERROR, CD_SLA_ERROR_NOT_PAUSED,
                   _("Ticket %s is not waiting for the customer, so there is nothing to resume; reload the ticket to see its current state."),
                   ticket_label (ticket));
      return FALSE;
    }

  if (now < open->start)
    {
      g_autofree char *when = cd_json_format_time (now);
      g_autofree char *start = cd_json_format_time (open->start);

      g_set_error (error, CD_SLA_ERROR, CD_SLA_ERROR_INVALID_TIME,
                   _("Ticket %s cannot be resumed at %s, before its pause began at %s; check the clock of the device that sent it."),
                   ticket_label (ticket), when, start);
      return FALSE;
    }

  /* Copy the pause being closed rather than edit it: the old array may be
   * shared with a copy of the ticket, and a new value notifies. */
  pauses = g_ptr_array_new_full (ticket->pauses->len, g_object_unref);
  for (guint i = 0; i < ticket->pauses->len; i++)
    {
      CdSlaPause *pause = g_ptr_array_index (ticket->pauses, i);

      if (pause == open)
        {
          CdSlaPause *closed = cd_record_copy (CD_RECORD (pause));

          closed->end = now;
          g_ptr_array_add (pauses, closed);
        }
      else
        g_ptr_array_add (pauses, g_object_ref (pause));
    }

  g_object_freeze_notify (G_OBJECT (ticket));
  g_object_set (ticket, "sla-pauses", pauses, NULL);
  update_deadlines (ticket, calendar, FALSE);
  g_object_thaw_notify (G_OBJECT (ticket));

  return TRUE;
}

/**
 * cd_sla_evaluate:
 * @kind: which timer
 * @calendar: the calendar the ticket's promise names
 * @now: the current time
 * @out: (out caller-allocates): the timer's state
 *
 * Says how the timer stands at @now, recomputing the deadline from the
 * frozen limit and the pauses (an open pause ends at @now: the deadline
 * shown is the one that holds if the customer answers right away).
 *
 * A timer is GREEN while more than its warning share of the limit is left
 * and AMBER from the moment exactly that share is left until the deadline;
 * it is RED one second after the deadline. Outside working hours the time
 * left does not move, but the deadline is a moment: a business-hours limit
 * due at 17:30 on Friday is RED on Saturday.
 */
void
cd_sla_evaluate (CdTicket    *ticket,
                 CdSlaKind    kind,
                 CdCalendar  *calendar,
                 gint64       now,
                 CdSlaStatus *out)
{
  g_autoptr(GArray) spans = NULL;
  gint64 limit, reached, as_of, warn, used, left;
  double share;

  g_return_if_fail (out != NULL);
  memset (out, 0, sizeof *out);
  out->state = CD_SLA_STATE_NONE;
  g_return_if_fail (CD_IS_TICKET (ticket));
  g_return_if_fail ((guint) kind < CD_N_SLA_KINDS);
  g_return_if_fail (CD_IS_CALENDAR (calendar));
  g_return_if_fail (cd_calendar_get_kind (calendar) == ticket->sla_calendar);

  limit = cd_sla_get_limit_min (ticket, kind) * 60;
  reached = cd_sla_get_reached_at (ticket, kind);
  out->paused = reached == 0 && cd_ticket_is_paused (ticket);

  if (limit <= 0)
    return;

  as_of = MAX (reached != 0 ? reached : now, ticket->created_at);
  share = CLAMP (ticket->sla_warning_share, 0.0, 1.0);
  warn = CLAMP ((gint64) (limit * share + 0.5), 0, limit);

  spans = collect_spans (ticket, as_of, TRUE);
  out->deadline = deadline_after (ticket, calendar, spans, limit);
  out->warn_at = deadline_after (ticket, calendar, spans, limit - warn);

  if (as_of > out->deadline)
    {
      out->state = CD_SLA_STATE_RED;
      out->breached_at = out->deadline;
      out->seconds_left = -unpaused_seconds (spans, out->deadline, as_of);
      out->share_left = 0.0;
      return;
    }

  used = working_seconds_used (ticket, calendar, spans, as_of);
  left = CLAMP (limit - used, 0, limit);
  out->seconds_left = left;
  out->share_left = (double) left / (double) limit;

  if (reached != 0)
    out->state = CD_SLA_STATE_MET;
  else if (left > warn)
    out->state = CD_SLA_STATE_GREEN;
  else
    out->state = CD_SLA_STATE_AMBER;
}

/**
 * cd_sla_next_deadline:
 *
 * Returns: the earliest stored deadline among the milestones not yet
 *   reached, for ordering running timers; 0 when none runs (no limit left,
 *   the ticket is closed, or it is waiting for the customer)
 */
gint64
cd_sla_next_deadline (CdTicket *ticket)
{
  gint64 next = 0;

  g_return_val_if_fail (CD_IS_TICKET (ticket), 0);

  if (!cd_ticket_is_open (ticket) || cd_ticket_is_paused (ticket))
    return 0;

  for (guint kind = 0; kind < CD_N_SLA_KINDS; kind++)
    {
      gint64 due = cd_sla_get_due (ticket, kind);

      if (cd_sla_get_limit_min (ticket, kind) <= 0 || due == 0 ||
          cd_sla_get_reached_at (ticket, kind) != 0)
        continue;
      if (next == 0 || due < next)
        next = due;
    }

  return next;
}
