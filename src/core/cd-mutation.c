/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-mutation.c: the domain's change operations, shared by the server and
 * the client's sync engine. Everything here is a pure function of the
 * mutation, the context and what the world returns, so that both sides
 * reach the same records. */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <math.h>
#include <string.h>

#include "cd-assignment-event.h"
#include "cd-callback.h"
#include "cd-crew.h"
#include "cd-enum-types.h"
#include "cd-json.h"
#include "cd-mutation.h"
#include "cd-sla-policy.h"
#include "cd-ticket.h"

G_DEFINE_QUARK (cd-mutation-error-quark, cd_mutation_error)

/* Arguments ---------------------------------------------------------------- */

typedef enum {
  ARG_STRING,  /* a string, or null to clear */
  ARG_TEXT,    /* a non-empty string */
  ARG_BOOLEAN,
  ARG_UUID,    /* a UUID, or null */
  ARG_ENUM,    /* the nick of a value of enum_type */
} ArgKind;

typedef struct {
  const char *name;
  ArgKind     kind;
  gboolean    required;
  gsize       max;               /* strings: bytes */
  GType     (*enum_type) (void);
} ArgSpec;

typedef struct {
  gboolean    present;           /* given; for STRING and UUID possibly as null */
  const char *string;            /* borrowed from the args object */
  gboolean    boolean;
  gint        value;             /* ARG_ENUM */
} ArgValue;

#define MAX_ARGS 8

enum { ASSIGN_CREW_ID, ASSIGN_REASON, ASSIGN_PIN, ASSIGN_EXPECT_CREW, ASSIGN_SOURCE };
static const ArgSpec assign_args[] = {
  { "crew_id", ARG_UUID, TRUE },
  { "reason", ARG_STRING, FALSE, 500 },
  { "pin", ARG_BOOLEAN },
  { "expect_crew", ARG_UUID },
  { "source", ARG_ENUM, FALSE, 0, cd_assignment_source_get_type },
};

enum { STATUS_STATUS };
static const ArgSpec set_status_args[] = {
  { "status", ARG_ENUM, TRUE, 0, cd_ticket_status_get_type },
};

enum { PAUSE_REASON };
static const ArgSpec pause_args[] = {
  { "reason", ARG_TEXT, TRUE, 500 },
};

enum { ACK_LEVEL, ACK_NOTE };
static const ArgSpec acknowledge_args[] = {
  { "level", ARG_ENUM, TRUE, 0, cd_sla_state_get_type },
  { "note", ARG_STRING, FALSE, 500 },
};

enum { RECORD_OUTCOME, RECORD_NOTE, RECORD_SATISFACTION, RECORD_SOLVED, RECORD_COMMENT, RECORD_OWNER };
static const ArgSpec record_args[] = {
  { "outcome", ARG_ENUM, TRUE, 0, cd_callback_outcome_get_type },
  { "note", ARG_STRING, FALSE, 500 },
  { "satisfaction", ARG_ENUM, FALSE, 0, cd_satisfaction_get_type },
  { "solved", ARG_BOOLEAN },
  { "comment", ARG_STRING, FALSE, 2000 },
  { "owner", ARG_TEXT, FALSE, 64 },
};

enum { CLOSE_CONCLUSION };
static const ArgSpec close_args[] = {
  { "conclusion", ARG_TEXT, TRUE, 2000 },
};

/* user.create and user.update share the first five indices. */
enum { USER_USERNAME, USER_DISPLAY_NAME, USER_ROLE, USER_CREW_ID, USER_ACTIVE, USER_PASSWORD };
static const ArgSpec user_create_args[] = {
  { "username", ARG_TEXT, TRUE, 64 },
  { "display_name", ARG_STRING, FALSE, 128 },
  { "role", ARG_ENUM, TRUE, 0, cd_role_get_type },
  { "crew_id", ARG_UUID },
  { "active", ARG_BOOLEAN },
  { "password", ARG_TEXT, TRUE, 1024 },
};
static const ArgSpec user_update_args[] = {
  { "username", ARG_TEXT, FALSE, 64 },
  { "display_name", ARG_STRING, FALSE, 128 },
  { "role", ARG_ENUM, FALSE, 0, cd_role_get_type },
  { "crew_id", ARG_UUID },
  { "active", ARG_BOOLEAN },
};

enum { PASSWORD_PASSWORD };
static const ArgSpec set_password_args[] = {
  { "password", ARG_TEXT, TRUE, 1024 },
};

/* Members of a ticket that ticket.create leaves to the server... */
static const char * const ticket_filled_members[] = {
  "id", "version", "rev", "status", "sla", "created_at", "first_response_at",
  "on_site_at", "resolved_at", "closed_at", "updated_at", "crew_id",
  "assignment_source", "pinned", "duplicate_count", NULL,
};

/* ...and those ticket.update may change. */
static const char * const ticket_update_members[] = {
  "customer", "address", "lat", "lon", "area", "area_class", "description",
  "urgency", "category", "skills", NULL,
};

static const char * const policy_filled_members[] = {
  "id", "version", "rev", "updated_at", NULL,
};

/* Operations --------------------------------------------------------------- */

typedef enum {
  ARGS_SPEC,           /* decoded with an ArgSpec table */
  ARGS_NEW_TICKET,     /* a ticket, minus what the server fills */
  ARGS_TICKET_UPDATE,  /* some members of a ticket */
  ARGS_SLA_POLICY,     /* a sla_policy, minus identity */
} ArgsStyle;

typedef enum {
  TARGET_EXISTING,
  TARGET_NEW,          /* creates the target: expected_version 0 or none */
  TARGET_UPSERT,
} TargetStyle;

typedef struct {
  const char    *name;
  guint          roles;          /* bit per CdRole */
  ArgsStyle      style;
  const ArgSpec *args;
  guint          n_args;
  TargetStyle    target;
  gboolean       needs_version;
} OpInfo;

#define ROLE(r) (1u << (r))
#define OFFICE  (ROLE (CD_ROLE_DISPATCHER) | ROLE (CD_ROLE_SUPERVISOR))
#define SPEC(a) ARGS_SPEC, a, G_N_ELEMENTS (a)

/* The permission matrix is the roles column. */
static const OpInfo ops[CD_MUTATION_N_OPS] = {
  [CD_MUTATION_OP_TICKET_CREATE] = { "ticket.create", OFFICE, ARGS_NEW_TICKET, NULL, 0, TARGET_NEW },
  [CD_MUTATION_OP_TICKET_ASSIGN] = { "ticket.assign", OFFICE, SPEC (assign_args), TARGET_EXISTING },
  [CD_MUTATION_OP_TICKET_SET_STATUS] = { "ticket.set_status", OFFICE | ROLE (CD_ROLE_CREW_DEVICE),
                                         SPEC (set_status_args), TARGET_EXISTING },
  [CD_MUTATION_OP_TICKET_PAUSE] = { "ticket.pause", ROLE (CD_ROLE_SUPERVISOR), SPEC (pause_args), TARGET_EXISTING },
  [CD_MUTATION_OP_TICKET_RESUME] = { "ticket.resume", ROLE (CD_ROLE_SUPERVISOR), ARGS_SPEC, NULL, 0, TARGET_EXISTING },
  [CD_MUTATION_OP_TICKET_UPDATE] = { "ticket.update", OFFICE, ARGS_TICKET_UPDATE, NULL, 0, TARGET_EXISTING, TRUE },
  [CD_MUTATION_OP_CALLBACK_RECORD] = { "callback.record", ROLE (CD_ROLE_CALLBACK_AGENT) | ROLE (CD_ROLE_MANAGER),
                                       SPEC (record_args), TARGET_EXISTING },
  [CD_MUTATION_OP_CALLBACK_CLOSE] = { "callback.close", ROLE (CD_ROLE_MANAGER), SPEC (close_args), TARGET_EXISTING },
  [CD_MUTATION_OP_SLA_POLICY_UPDATE] = { "sla_policy.update", ROLE (CD_ROLE_MANAGER), ARGS_SLA_POLICY, NULL, 0,
                                         TARGET_UPSERT },
  [CD_MUTATION_OP_USER_CREATE] = { "user.create", ROLE (CD_ROLE_ADMIN), SPEC (user_create_args), TARGET_NEW },
  [CD_MUTATION_OP_USER_UPDATE] = { "user.update", ROLE (CD_ROLE_ADMIN), SPEC (user_update_args), TARGET_EXISTING },
  [CD_MUTATION_OP_USER_SET_PASSWORD] = { "user.set_password", ROLE (CD_ROLE_ADMIN), SPEC (set_password_args),
                                         TARGET_EXISTING },
  [CD_MUTATION_OP_TICKET_ACKNOWLEDGE] = { "ticket.acknowledge", ROLE (CD_ROLE_SUPERVISOR), SPEC (acknowledge_args),
                                          TARGET_EXISTING },
};

/* Ticket status transitions by ticket.set_status: bit per target status. */
#define STATUS_BIT(s) (1u << (guint) (s))
#define ST(s) STATUS_BIT (CD_TICKET_STATUS_ ## s)
#define STOPS (ST (CANCELLED) | ST (DUPLICATE))

static const guint transitions[] = {
  [CD_TICKET_STATUS_NEW] = ST (CONTACTED) | ST (RESOLVED) | STOPS,
  [CD_TICKET_STATUS_ASSIGNED] = ST (CONTACTED) | ST (EN_ROUTE) | ST (ON_SITE) | ST (RESOLVED) | STOPS,
  [CD_TICKET_STATUS_CONTACTED] = ST (EN_ROUTE) | ST (ON_SITE) | ST (RESOLVED) | STOPS,
  [CD_TICKET_STATUS_EN_ROUTE] = ST (ON_SITE) | ST (RESOLVED) | STOPS,
  [CD_TICKET_STATUS_ON_SITE] = ST (RESOLVED) | STOPS,
  [CD_TICKET_STATUS_WAITING_CUSTOMER] = STOPS,
  [CD_TICKET_STATUS_RESOLVED] = ST (CLOSED),
  [CD_TICKET_STATUS_CLOSED] = 0,
  [CD_TICKET_STATUS_CANCELLED] = 0,
  [CD_TICKET_STATUS_DUPLICATE] = 0,
};

/* What a crew's device may report. */
#define CREW_STATUSES (ST (CONTACTED) | ST (EN_ROUTE) | ST (ON_SITE) | ST (RESOLVED))

/* Statuses a ticket may be paused from. */
#define PAUSABLE (ST (NEW) | ST (ASSIGNED) | ST (CONTACTED) | ST (EN_ROUTE) | ST (ON_SITE))

/* Statuses a change of crew restarts at assigned. */
#define CREW_STAGES (ST (ASSIGNED) | ST (CONTACTED) | ST (EN_ROUTE) | ST (ON_SITE))

/* One application ----------------------------------------------------------- */

typedef struct {
  CdMutation                  *m;
  const OpInfo                *info;
  const CdMutationContext     *ctx;
  const CdMutationWorldVTable *vt;
  gpointer                     world;
  CdMutationResult            *result;
  ArgValue                     args[MAX_ARGS];
} Apply;

/* Helpers ------------------------------------------------------------------ */

static gboolean fail (GError     **error,
                      gint         code,
                      const char  *format,
                      ...) G_GNUC_PRINTF (3, 4);

static gboolean
fail (GError     **error,
      gint         code,
      const char  *format,
      ...)
{
  va_list args;

  va_start (args, format);
  g_propagate_error (error, g_error_new_valist (CD_MUTATION_ERROR, code, format, args));
  va_end (args);

  return FALSE;
}

static gboolean conflict (Apply       *a,
                          CdRecord    *current,
                          GError     **error,
                          const char  *format,
                          ...) G_GNUC_PRINTF (4, 5);

static gboolean
conflict (Apply       *a,
          CdRecord    *current,
          GError     **error,
          const char  *format,
          ...)
{
  va_list args;

  g_clear_object (&a->result->current);
  if (current != NULL)
    a->result->current = cd_record_copy (current);

  va_start (args, format);
  g_propagate_error (error, g_error_new_valist (CD_MUTATION_ERROR, CD_MUTATION_ERROR_CONFLICT, format, args));
  va_end (args);

  return FALSE;
}

static const char *
enum_nick (GType type,
           gint  value)
{
  g_autoptr(GEnumClass) klass = g_type_class_ref (type);
  GEnumValue *ev = g_enum_get_value (klass, value);

  /* Registered enums are static: the nick outlives the class reference. */
  return ev ? ev->value_nick : "?";
}

static const char *
status_nick (CdTicketStatus status)
{
  return enum_nick (CD_TYPE_TICKET_STATUS, status);
}

static const char *
ticket_label (CdTicket *ticket)
{
  return ticket->number ? ticket->number : CD_RECORD (ticket)->id;
}

static gboolean
holds (JsonNode *node,
       GType     type)
{
  return node != NULL && JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == type;
}

static void
set_string (char       **field,
            const char  *value)
{
  if (*field != value)
    {
      g_free (*field);
      *field = g_strdup (value);
    }
}

static gboolean
strv_contains (const char * const *strv,
               const char         *s)
{
  return strv != NULL && s != NULL && g_strv_contains (strv, s);
}

/* Parses the 32 hex digits of a UUID string into its 16 bytes. */
static gboolean
uuid_to_bytes (const char *uuid,
               guint8      bytes[16])
{
  guint n = 0;

  for (const char *p = uuid; *p != '\0'; p++)
    {
      gint v;

      if (*p == '-')
        continue;
      v = g_ascii_xdigit_value (*p);
      if (v < 0 || n >= 32)
        return FALSE;
      if (n % 2 == 0)
        bytes[n / 2] = (guint8) (v << 4);
      else
        bytes[n / 2] |= (guint8) v;
      n++;
    }

  return n == 32;
}

/* Argument decoding -------------------------------------------------------- */

static gboolean
decode_arg (const OpInfo  *info,
            const ArgSpec *spec,
            JsonNode      *node,
            ArgValue      *value,
            GError       **error)
{
  gboolean is_null = JSON_NODE_HOLDS_NULL (node);

  switch (spec->kind)
    {
    case ARG_STRING:
    case ARG_TEXT:
    case ARG_UUID:
      {
        const char *s;

        if (is_null && (spec->kind != ARG_TEXT || !spec->required))
          {
            /* A null text counts as left out. */
            value->present = spec->kind != ARG_TEXT;
            value->string = NULL;
            return TRUE;
          }
        if (!holds (node, G_TYPE_STRING))
          return fail (error, CD_MUTATION_ERROR_INVALID,
                       _("Argument “%s” of %s must be %s, not %s."),
                       spec->name, info->name,
                       spec->kind == ARG_UUID ? _("a UUID or null") : _("a string"),
                       cd_json_node_describe (node));
        s = json_node_get_string (node);
        if (!g_utf8_validate (s, -1, NULL))
          return fail (error, CD_MUTATION_ERROR_INVALID,
                       _("Argument “%s” of %s is not valid UTF-8."), spec->name, info->name);
        if (spec->kind == ARG_UUID && !g_uuid_string_is_valid (s))
          return fail (error, CD_MUTATION_ERROR_INVALID,
                       _("Argument “%s” of %s is not a UUID: “%.64s”."), spec->name, info->name, s);
        if (spec->max > 0 && strlen (s) > spec->max)
          return fail (error, CD_MUTATION_ERROR_INVALID,
                       _("Argument “%s” of %s is longer than %llu bytes; shorten it."),
                       spec->name, info->name, (unsigned long long) spec->max);
        if (spec->kind == ARG_TEXT)
          {
            const char *p = s;

            while (*p != '\0' && g_unichar_isspace (g_utf8_get_char (p)))
              p = g_utf8_next_char (p);
            if (*p == '\0')
              return fail (error, CD_MUTATION_ERROR_INVALID,
                           _("Argument “%s” of %s must not be empty."), spec->name, info->name);
          }
        value->present = TRUE;
        value->string = s;
        return TRUE;
      }
    case ARG_BOOLEAN:
      if (is_null && !spec->required)
        return TRUE;
      if (!holds (node, G_TYPE_BOOLEAN))
        return fail (error, CD_MUTATION_ERROR_INVALID,
                     _("Argument “%s” of %s must be %s, not %s."),
                     spec->name, info->name, _("true or false"), cd_json_node_describe (node));
      value->present = TRUE;
      value->boolean = json_node_get_boolean (node);
      return TRUE;
    case ARG_ENUM:
      {
        g_autoptr(GEnumClass) klass = NULL;
        GEnumValue *ev;
        const char *s;

        if (is_null && !spec->required)
          return TRUE;
        if (!holds (node, G_TYPE_STRING))
          return fail (error, CD_MUTATION_ERROR_INVALID,
                       _("Argument “%s” of %s must be %s, not %s."),
                       spec->name, info->name, _("a string"), cd_json_node_describe (node));
        s = json_node_get_string (node);
        klass = g_type_class_ref (spec->enum_type ());
        ev = g_enum_get_value_by_nick (klass, s);
        if (ev == NULL)
          {
            g_autoptr(GString) allowed = g_string_new (NULL);

            for (guint i = 0; i < klass->n_values; i++)
              g_string_append_printf (allowed, "%s%s", i ? ", " : "", klass->values[i].value_nick);
            return fail (error, CD_MUTATION_ERROR_INVALID,
                         _("Argument “%s” of %s has the unknown value “%.64s”; expected one of %s."),
                         spec->name, info->name, s, allowed->str);
          }
        value->present = TRUE;
        value->value = ev->value;
        return TRUE;
      }
    default:
      g_assert_not_reached ();
    }
}

static gboolean
unknown_arg (const OpInfo  *info,
             const char    *name,
             GError       **error)
{
  return fail (error, CD_MUTATION_ERROR_INVALID,
               _("%s takes no argument “%.64s”. Remove it, or check its spelling."),
               info->name, name);
}

static gboolean
decode_spec_args (const OpInfo  *info,
                  JsonObject    *args,
                  ArgValue      *values,
                  GError       **error)
{
  JsonObjectIter iter;
  const char *name;
  JsonNode *node;

  g_assert (info->n_args <= MAX_ARGS);
  memset (values, 0, sizeof (ArgValue) * MAX_ARGS);

  json_object_iter_init (&iter, args);
  while (json_object_iter_next (&iter, &name, &node))
    {
      guint i;

      for (i = 0; i < info->n_args; i++)
        if (strcmp (info->args[i].name, name) == 0)
          break;
      if (i == info->n_args)
        return unknown_arg (info, name, error);
      if (!decode_arg (info, &info->args[i], node, &values[i], error))
        return FALSE;
    }

  for (guint i = 0; i < info->n_args; i++)
    if (info->args[i].required && !values[i].present)
      return fail (error, CD_MUTATION_ERROR_INVALID,
                   _("%s needs the argument “%s”."), info->name, info->args[i].name);

  return TRUE;
}

static gboolean
codec_failed (const OpInfo  *info,
              GError        *codec_error,
              GError       **error)
{
  return fail (error, CD_MUTATION_ERROR_INVALID,
               _("The arguments of %s are not valid: %s"), info->name, codec_error->message);
}

static gboolean
refuse_filled_members (const OpInfo        *info,
                       JsonObject          *args,
                       const char * const  *filled,
                       GError             **error)
{
  for (guint i = 0; filled[i] != NULL; i++)
    if (json_object_has_member (args, filled[i]))
      return fail (error, CD_MUTATION_ERROR_INVALID,
                   _("%s cannot set “%s”: the server fills it in. Remove it from the arguments."),
                   info->name, filled[i]);

  return TRUE;
}

static JsonObject *
copy_members (JsonObject *args)
{
  JsonObject *object = json_object_new ();
  JsonObjectIter iter;
  const char *name;
  JsonNode *node;

  json_object_iter_init (&iter, args);
  while (json_object_iter_next (&iter, &name, &node))
    json_object_set_member (object, name, json_node_copy (node));

  return object;
}

/* "PW-3F9A2C71B0": the utility and the first 40 bits of the id, so the
 * client can show the number before the server has seen the ticket. */
static char *
derive_ticket_number (CdUtility   utility,
                      const char *id)
{
  GString *number = g_string_new (utility == CD_UTILITY_HEAT ? "HT-" : "PW-");

  for (const char *p = id; *p != '\0' && number->len < 13; p++)
    if (*p != '-')
      g_string_append_c (number, g_ascii_toupper (*p));

  return g_string_free (number, FALSE);
}

static CdTicket *
decode_new_ticket (CdMutation  *m,
                   const OpInfo *info,
                   gint64       now,
                   GError     **error)
{
  g_autoptr(JsonObject) object = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *created = cd_json_format_time (now);
  JsonNode *number;
  gboolean has_number;
  CdTicket *ticket;

  if (!refuse_filled_members (info, m->args, ticket_filled_members, error))
    return NULL;

  object = copy_members (m->args);
  json_object_set_string_member (object, "id", m->target);
  json_object_set_string_member (object, "status", status_nick (CD_TICKET_STATUS_NEW));
  json_object_set_string_member (object, "created_at", created);
  number = json_object_get_member (object, "number");
  has_number = number != NULL && !JSON_NODE_HOLDS_NULL (number);
  if (!has_number)
    json_object_set_string_member (object, "number", "-");

  node = json_node_init_object (json_node_alloc (), object);
  ticket = cd_record_new_from_json (CD_TYPE_TICKET, node, CD_DECODE_STRICT, &local_error);
  if (ticket == NULL)
    {
      codec_failed (info, local_error, error);
      return NULL;
    }

  if (!has_number)
    {
      g_free (ticket->number);
      ticket->number = derive_ticket_number (ticket->utility, m->target);
    }
  if (g_strcmp0 (ticket->duplicate_of, m->target) == 0)
    {
      fail (error, CD_MUTATION_ERROR_INVALID,
            _("A ticket cannot be a duplicate of itself; set “duplicate_of” to the ticket it repeats."));
      g_object_unref (ticket);
      return NULL;
    }

  {
    CdUtility utility;

    /* A burst pipe is the heating company's, whatever the form said. */
    if (cd_category_get_utility (ticket->category, &utility) && utility != ticket->utility)
      {
        fail (error, CD_MUTATION_ERROR_INVALID,
              _("A “%s” report belongs to the %s utility, not %s. Correct the category or the utility."),
              enum_nick (CD_TYPE_CATEGORY, ticket->category), enum_nick (CD_TYPE_UTILITY, utility),
              enum_nick (CD_TYPE_UTILITY, ticket->utility));
        g_object_unref (ticket);
        return NULL;
      }
  }

  return ticket;
}

/* The ticket @base with the members of ticket.update's args laid over it,
 * decoded strictly: the codec checks every value and names its path. */
static CdTicket *
decode_ticket_update (CdMutation    *m,
                      const OpInfo  *info,
                      CdTicket      *base,
                      GError       **error)
{
  g_autoptr(JsonNode) node = cd_record_to_json (CD_RECORD (base));
  g_autoptr(GError) local_error = NULL;
  JsonObject *object = json_node_get_object (node);
  JsonObjectIter iter;
  const char *name;
  JsonNode *member;
  CdTicket *ticket;

  json_object_iter_init (&iter, m->args);
  while (json_object_iter_next (&iter, &name, &member))
    {
      if (!strv_contains (ticket_update_members, name))
        {
          g_autofree char *allowed = g_strjoinv (", ", (char **) ticket_update_members);

          fail (error, CD_MUTATION_ERROR_INVALID,
                _("%s cannot change “%.64s”; it changes only %s."), info->name, name, allowed);
          return NULL;
        }

      if (strcmp (name, "customer") == 0 && JSON_NODE_HOLDS_OBJECT (member))
        {
          /* Merged member by member: {"phone": "…"} keeps the name. */
          JsonNode *current = json_object_get_member (object, "customer");
          g_autoptr(JsonObject) customer = NULL;
          JsonObjectIter inner;
          const char *inner_name;
          JsonNode *inner_node;

          if (current != NULL && JSON_NODE_HOLDS_OBJECT (current))
            customer = copy_members (json_node_get_object (current));
          else
            customer = json_object_new ();
          json_object_iter_init (&inner, json_node_get_object (member));
          while (json_object_iter_next (&inner, &inner_name, &inner_node))
            json_object_set_member (customer, inner_name, json_node_copy (inner_node));
          json_object_set_object_member (object, "customer", g_steal_pointer (&customer));
        }
      else
        json_object_set_member (object, name, json_node_copy (member));
    }

  ticket = cd_record_new_from_json (CD_TYPE_TICKET, node, CD_DECODE_STRICT, &local_error);
  if (ticket == NULL)
    codec_failed (info, local_error, error);

  return ticket;
}

static CdSlaPolicy *
decode_policy (CdMutation    *m,
               const OpInfo  *info,
               GError       **error)
{
  g_autoptr(JsonObject) object = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GError) local_error = NULL;
  CdSlaPolicy *policy;

  if (!refuse_filled_members (info, m->args, policy_filled_members, error))
    return NULL;

  object = copy_members (m->args);
  json_object_set_string_member (object, "id", m->target);
  node = json_node_init_object (json_node_alloc (), object);
  policy = cd_record_new_from_json (CD_TYPE_SLA_POLICY, node, CD_DECODE_STRICT, &local_error);
  if (policy == NULL)
    codec_failed (info, local_error, error);

  return policy;
}

static gboolean
check_username (const char  *username,
                GError     **error)
{
  for (const char *p = username; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (g_unichar_isspace (c) || g_unichar_iscntrl (c))
        return fail (error, CD_MUTATION_ERROR_INVALID,
                     _("The username “%s” contains spaces or control characters; use letters, digits and punctuation only."),
                     username);
    }

  if (strcmp (username, CD_MUTATION_AUTO_DISPATCH_ACTOR) == 0)
    return fail (error, CD_MUTATION_ERROR_INVALID,
                 _("The username “%s” is reserved for the server’s automatic dispatcher; choose another one."),
                 username);

  return TRUE;
}

static gboolean
check_password (const char  *password,
                GError     **error)
{
  if (g_utf8_strlen (password, -1) < CD_MUTATION_MIN_PASSWORD_CHARS)
    return fail (error, CD_MUTATION_ERROR_INVALID,
                 _("The password is too short; use at least %d characters."),
                 CD_MUTATION_MIN_PASSWORD_CHARS);

  return TRUE;
}

/* Everything about the arguments that does not depend on the world, so a
 * malformed mutation is refused on arrival and again when applied. */
static gboolean
decode_args (CdMutation  *m,
             ArgValue    *values,
             GError     **error)
{
  const OpInfo *info = &ops[m->op];

  memset (values, 0, sizeof (ArgValue) * MAX_ARGS);

  if (info->target == TARGET_NEW && m->expected_version > 0)
    return fail (error, CD_MUTATION_ERROR_INVALID,
                 _("%s creates a record, so “expected_version” must be 0 or left out."), info->name);
  if (info->needs_version && m->expected_version < 0)
    return fail (error, CD_MUTATION_ERROR_INVALID,
                 _("%s needs “expected_version”, the version of the record the change was made on."),
                 info->name);

  switch (info->style)
    {
    case ARGS_SPEC:
      if (!decode_spec_args (info, m->args, values, error))
        return FALSE;
      break;
    case ARGS_NEW_TICKET:
      {
        /* The time only fills created_at for the codec. */
        g_autoptr(CdTicket) ticket = decode_new_ticket (m, info, 1, error);

        return ticket != NULL;
      }
    case ARGS_TICKET_UPDATE:
      {
        g_autoptr(CdTicket) base = cd_ticket_new ();
        g_autoptr(CdTicket) ticket = NULL;

        /* Any valid ticket will do to check the members one by one. */
        CD_RECORD (base)->id = g_strdup (m->target);
        base->number = g_strdup ("-");
        base->customer_name = g_strdup ("-");
        base->address = g_strdup ("-");
        base->created_at = 1;
        ticket = decode_ticket_update (m, info, base, error);
        return ticket != NULL;
      }
    case ARGS_SLA_POLICY:
      {
        g_autoptr(CdSlaPolicy) policy = decode_policy (m, info, error);

        return policy != NULL;
      }
    default:
      g_assert_not_reached ();
    }

  switch (m->op)
    {
    case CD_MUTATION_OP_TICKET_ASSIGN:
      if (values[ASSIGN_SOURCE].present && values[ASSIGN_SOURCE].value == CD_ASSIGNMENT_SOURCE_NONE)
        return fail (error, CD_MUTATION_ERROR_INVALID,
                     _("Argument “source” of %s must be “manual” or “auto”."), info->name);
      break;
    case CD_MUTATION_OP_CALLBACK_RECORD:
      if (values[RECORD_OUTCOME].value == CD_CALLBACK_OUTCOME_REACHED)
        {
          if (!values[RECORD_SATISFACTION].present || !values[RECORD_SOLVED].present)
            return fail (error, CD_MUTATION_ERROR_INVALID,
                         _("%s needs the arguments “satisfaction” and “solved” when the customer was reached."),
                         info->name);
          if (values[RECORD_SATISFACTION].value == CD_SATISFACTION_UNKNOWN)
            return fail (error, CD_MUTATION_ERROR_INVALID,
                         _("Argument “satisfaction” of %s must say how the customer felt: satisfied, neutral or unsatisfied."),
                         info->name);
        }
      else
        {
          static const guint reached_only[] = { RECORD_SATISFACTION, RECORD_SOLVED, RECORD_COMMENT, RECORD_OWNER };

          for (guint i = 0; i < G_N_ELEMENTS (reached_only); i++)
            if (values[reached_only[i]].present)
              return fail (error, CD_MUTATION_ERROR_INVALID,
                           _("Argument “%s” of %s applies only when the customer was reached; remove it."),
                           info->args[reached_only[i]].name, info->name);
        }
      break;
    case CD_MUTATION_OP_USER_CREATE:
      if (!check_username (values[USER_USERNAME].string, error) ||
          !check_password (values[USER_PASSWORD].string, error))
        return FALSE;
      if ((values[USER_ROLE].value == CD_ROLE_CREW_DEVICE) != (values[USER_CREW_ID].string != NULL))
        return fail (error, CD_MUTATION_ERROR_INVALID,
                     _("Argument “crew_id” of %s must name the crew of a crew device, and only of a crew device."),
                     info->name);
      break;
    case CD_MUTATION_OP_USER_SET_PASSWORD:
      if (!check_password (values[PASSWORD_PASSWORD].string, error))
        return FALSE;
      break;
    case CD_MUTATION_OP_TICKET_ACKNOWLEDGE:
      if (values[ACK_LEVEL].value != CD_SLA_STATE_AMBER && values[ACK_LEVEL].value != CD_SLA_STATE_RED)
        return fail (error, CD_MUTATION_ERROR_INVALID,
                     _("Argument “level” of %s must be “amber” or “red”, the escalation levels a supervisor acknowledges."),
                     info->name);
      break;
    case CD_MUTATION_OP_TICKET_CREATE:
    case CD_MUTATION_OP_TICKET_SET_STATUS:
    case CD_MUTATION_OP_TICKET_PAUSE:
    case CD_MUTATION_OP_TICKET_RESUME:
    case CD_MUTATION_OP_TICKET_UPDATE:
    case CD_MUTATION_OP_CALLBACK_CLOSE:
    case CD_MUTATION_OP_SLA_POLICY_UPDATE:
    case CD_MUTATION_OP_USER_UPDATE:
    default:
      break;
    }

  return TRUE;
}

/* The world ------------------------------------------------------------------ */

static void
set_not_found (GError     **error,
               GType        type,
               const char  *id)
{
  if (type == CD_TYPE_TICKET)
    fail (error, CD_MUTATION_ERROR_NOT_FOUND,
          _("Ticket %s does not exist. It may have been removed; reload and try again."), id);
  else if (type == CD_TYPE_CREW)
    fail (error, CD_MUTATION_ERROR_NOT_FOUND,
          _("Crew %s does not exist. Reload the crews and choose another one."), id);
  else if (type == CD_TYPE_CALLBACK)
    fail (error, CD_MUTATION_ERROR_NOT_FOUND,
          _("Callback %s does not exist. Reload the callback queue."), id);
  else if (type == CD_TYPE_USER)
    fail (error, CD_MUTATION_ERROR_NOT_FOUND,
          _("User %s does not exist. Reload the list of users."), id);
  else
    fail (error, CD_MUTATION_ERROR_NOT_FOUND,
          _("Time-limit policy %s does not exist. Reload the policies."), id);
}

/* FALSE with @error set when the world fails; TRUE with *out NULL when the
 * record does not exist. */
static gboolean
world_load (Apply       *a,
            GType        type,
            const char  *id,
            gpointer    *out,
            GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  gpointer object;

  object = a->vt->load (a->world, type, id, &local_error);
  if (object == NULL && local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (object != NULL && !G_TYPE_CHECK_INSTANCE_TYPE (object, type))
    {
      g_critical ("The world returned a %s for %s %s", G_OBJECT_TYPE_NAME (object), g_type_name (type), id);
      g_clear_object (&object);
    }

  *out = object;
  return TRUE;
}

static gpointer
load_existing (Apply       *a,
               GType        type,
               const char  *id,
               GError     **error)
{
  gpointer object = NULL;

  if (!world_load (a, type, id, &object, error))
    return NULL;
  if (object == NULL)
    set_not_found (error, type, id);

  return object;
}

static gboolean
check_version (Apply     *a,
               CdRecord  *current,
               GError   **error)
{
  if (a->m->expected_version < 0 || current->version == a->m->expected_version)
    return TRUE;

  return conflict (a, current, error,
                   _("The record %s has changed since it was read: it is at version %lld, "
                     "the change was made on version %lld. Reload it and make the change again."),
                   current->id, (long long) current->version, (long long) a->m->expected_version);
}

static void
touch (Apply    *a,
       CdRecord *record)
{
  if (g_object_class_find_property (G_OBJECT_GET_CLASS (record), "updated-at") != NULL)
    g_object_set (record, "updated-at", a->ctx->now, NULL);
}

/* Adds @copy, a changed copy of @current, to the result, unless nothing
 * changed. Returns whether it did. */
static gboolean
emit_changed (Apply    *a,
              CdRecord *current,
              CdRecord *copy)
{
  if (cd_record_equal (current, copy))
    return FALSE;

  copy->version = current->version + 1;
  touch (a, copy);
  g_ptr_array_add (a->result->records, g_object_ref (copy));
  return TRUE;
}

static void
emit_new (Apply    *a,
          CdRecord *record)
{
  record->version = 1;
  record->rev = 0;
  touch (a, record);
  g_ptr_array_add (a->result->records, g_object_ref (record));
}

static void
set_derived_id (CdRecord   *record,
                CdMutation *m,
                const char *purpose)
{
  g_free (record->id);
  record->id = cd_mutation_derive_id (m->id, purpose);
}

static CdCalendar *
ticket_calendar (Apply    *a,
                 CdTicket *ticket)
{
  return cd_sla_policy_set_get_calendar (a->ctx->policies, ticket->sla_calendar);
}

static void
apply_policy (Apply    *a,
              CdTicket *ticket)
{
  CdSlaPolicy *policy = cd_sla_policy_set_lookup (a->ctx->policies, ticket->category,
                                                  ticket->urgency, ticket->area_class);

  cd_sla_apply_policy (ticket, policy, cd_sla_policy_set_get_calendar (a->ctx->policies, policy->calendar));
}

static gboolean
sla_failed (GError  *sla_error,
            GError **error)
{
  gint code = CD_MUTATION_ERROR_INVALID;

  if (g_error_matches (sla_error, CD_SLA_ERROR, CD_SLA_ERROR_ALREADY_PAUSED) ||
      g_error_matches (sla_error, CD_SLA_ERROR, CD_SLA_ERROR_NOT_PAUSED))
    code = CD_MUTATION_ERROR_INVALID_TRANSITION;

  g_set_error_literal (error, CD_MUTATION_ERROR, code, sla_error->message);
  return FALSE;
}

/* Matching ------------------------------------------------------------------ */

typedef struct {
  CdMatchParams  params;
  CdMatchTicket  ticket;
  GPtrArray     *crews;   /* CdCrew, by id */
  GArray        *match;   /* CdMatchCrew, same order */
  guint          chosen;
} Matching;

static void
matching_clear (Matching *mt)
{
  g_clear_pointer (&mt->crews, g_ptr_array_unref);
  g_clear_pointer (&mt->match, g_array_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Matching, matching_clear)

static gint
compare_crew_ids (gconstpointer a,
                  gconstpointer b)
{
  CdRecord *ca = *(CdRecord **) a;
  CdRecord *cb = *(CdRecord **) b;

  return g_strcmp0 (ca->id, cb->id);
}

static guint64
skill_bits (char **required,
            char **have,
            gboolean all)
{
  guint64 bits = 0;

  for (guint i = 0; required != NULL && required[i] != NULL && i < 64; i++)
    if (all || strv_contains ((const char * const *) have, required[i]))
      bits |= G_GUINT64_CONSTANT (1) << i;

  return bits;
}

static gint
find_crew (GPtrArray  *crews,
           const char *id)
{
  for (guint i = 0; id != NULL && i < crews->len; i++)
    if (g_strcmp0 (CD_RECORD (g_ptr_array_index (crews, i))->id, id) == 0)
      return (gint) i;

  return -1;
}

/* Reduces @ticket and every crew to the matcher's structs. Service areas
 * get local bits: bit 0 is the ticket's area, which is all the costs look
 * at, and its detour factor is taken from ctx->match_areas. Crews are
 * sorted by id so that ties break the same way on every side. */
static gboolean
matching_build (Apply     *a,
                CdTicket  *ticket,
                CdCrew    *chosen,
                Matching  *mt,
                GError   **error)
{
  g_autoptr(GPtrArray) listed = NULL;
  gboolean has_area = ticket->area != NULL && *ticket->area != '\0';
  double detour = 0;
  gint chosen_index;

  if (a->vt->list_crews != NULL && (listed = a->vt->list_crews (a->world, error)) == NULL)
    return FALSE;

  mt->crews = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; listed != NULL && i < listed->len; i++)
    {
      CdCrew *crew = g_ptr_array_index (listed, i);

      if (CD_IS_CREW (crew) && find_crew (mt->crews, CD_RECORD (crew)->id) < 0)
        g_ptr_array_add (mt->crews, g_object_ref (crew));
    }
  if (chosen != NULL && find_crew (mt->crews, CD_RECORD (chosen)->id) < 0)
    g_ptr_array_add (mt->crews, g_object_ref (chosen));
  g_ptr_array_sort (mt->crews, compare_crew_ids);
  if (chosen != NULL)
    {
      chosen_index = find_crew (mt->crews, CD_RECORD (chosen)->id);
      g_assert (chosen_index >= 0);
      mt->chosen = (guint) chosen_index;
    }

  if (a->ctx->match_params != NULL)
    mt->params = *a->ctx->match_params;
  else
    cd_match_params_init_default (&mt->params);
  for (guint i = 0; has_area && a->ctx->match_areas != NULL && a->ctx->match_areas[i] != NULL &&
       i < CD_MATCH_MAX_AREAS; i++)
    if (strcmp (a->ctx->match_areas[i], ticket->area) == 0)
      detour = mt->params.detour_factor[i];
  memset (mt->params.detour_factor, 0, sizeof mt->params.detour_factor);
  mt->params.detour_factor[0] = detour;

  mt->ticket.lat = ticket->lat;
  mt->ticket.lon = ticket->lon;
  mt->ticket.utility = ticket->utility;
  mt->ticket.skills_required = skill_bits (ticket->skills, NULL, TRUE);
  mt->ticket.urgency = ticket->urgency;
  mt->ticket.area = has_area ? 0 : -1;
  mt->ticket.pinned = ticket->pinned;
  mt->ticket.assigned_crew = find_crew (mt->crews, ticket->crew_id);

  mt->match = g_array_sized_new (FALSE, TRUE, sizeof (CdMatchCrew), mt->crews->len);
  for (guint i = 0; i < mt->crews->len; i++)
    {
      CdCrew *crew = g_ptr_array_index (mt->crews, i);
      CdMatchCrew c = { 0 };

      c.lat = crew->position_at != 0 ? crew->lat : NAN;
      c.lon = crew->position_at != 0 ? crew->lon : NAN;
      c.utility = crew->utility;
      c.skills = skill_bits (ticket->skills, crew->skills, FALSE);
      c.on_shift = cd_crew_is_on_shift (crew, a->ctx->now);
      c.capacity = (guint) CLAMP (crew->capacity, 0, G_MAXUINT);
      c.load = a->vt->crew_load != NULL ? a->vt->crew_load (a->world, CD_RECORD (crew)->id) : 0;
      c.areas = has_area && cd_crew_serves_area (crew, ticket->area) ? 1 : 0;
      /* The reported speed is a moment's; travel uses the params' average. */
      c.speed_kmh = 0;
      g_array_append_val (mt->match, c);
    }

  return TRUE;
}

/* Operations: tickets -------------------------------------------------------- */

static gboolean
apply_ticket_create (Apply   *a,
                     GError **error)
{
  g_autoptr(CdTicket) ticket = NULL;
  g_autoptr(CdRecord) existing = NULL;
  g_autoptr(CdTicket) original = NULL;

  if (!world_load (a, CD_TYPE_TICKET, a->m->target, (gpointer *) &existing, error))
    return FALSE;
  if (existing != NULL)
    return conflict (a, existing, error,
                     _("Ticket %s already exists; it was probably created by an earlier attempt. Reload the tickets."),
                     a->m->target);

  ticket = decode_new_ticket (a->m, a->info, a->ctx->now, error);
  if (ticket == NULL)
    return FALSE;

  if (ticket->duplicate_of != NULL &&
      (original = load_existing (a, CD_TYPE_TICKET, ticket->duplicate_of, error)) == NULL)
    return FALSE;

  if (ticket->owner == NULL)
    ticket->owner = g_strdup (a->ctx->actor->username);
  /* A repeat report is recorded and linked, never dispatched twice. */
  if (original != NULL)
    ticket->status = CD_TICKET_STATUS_DUPLICATE;
  apply_policy (a, ticket);
  emit_new (a, CD_RECORD (ticket));

  if (original != NULL)
    {
      g_autoptr(CdTicket) copy = cd_record_copy (CD_RECORD (original));

      copy->duplicate_count++;
      emit_changed (a, CD_RECORD (original), CD_RECORD (copy));
    }

  return TRUE;
}

static gboolean
apply_ticket_assign (Apply   *a,
                     GError **error)
{
  const ArgValue *args = a->args;
  const char *crew_id = args[ASSIGN_CREW_ID].string;
  CdAssignmentSource source = args[ASSIGN_SOURCE].present ? args[ASSIGN_SOURCE].value
                                                          : CD_ASSIGNMENT_SOURCE_MANUAL;
  gboolean is_auto = source == CD_ASSIGNMENT_SOURCE_AUTO;
  g_autoptr(CdTicket) ticket = NULL;
  g_autoptr(CdTicket) copy = NULL;
  g_autoptr(CdCrew) crew = NULL;
  g_autoptr(CdAssignmentEvent) event = NULL;
  g_autoptr(GArray) ranking = NULL;
  g_auto(Matching) mt = { 0 };
  gboolean crew_changes;

  if (is_auto && strcmp (a->ctx->actor->username, CD_MUTATION_AUTO_DISPATCH_ACTOR) != 0)
    return fail (error, CD_MUTATION_ERROR_FORBIDDEN,
                 _("Only the server’s automatic dispatcher may assign with source “auto”; assign by hand with source “manual”."));

  if ((ticket = load_existing (a, CD_TYPE_TICKET, a->m->target, error)) == NULL ||
      !check_version (a, CD_RECORD (ticket), error))
    return FALSE;

  if (args[ASSIGN_EXPECT_CREW].present &&
      g_strcmp0 (ticket->crew_id, args[ASSIGN_EXPECT_CREW].string) != 0)
    {
      if (ticket->crew_id == NULL)
        return conflict (a, CD_RECORD (ticket), error,
                         _("Ticket %s was unassigned in the meantime. Look at it again before assigning it."),
                         ticket_label (ticket));
      return conflict (a, CD_RECORD (ticket), error,
                       _("Ticket %s has been assigned to another crew in the meantime. Look at it again before changing it."),
                       ticket_label (ticket));
    }

  if (!cd_ticket_is_open (ticket))
    return fail (error, CD_MUTATION_ERROR_INVALID_TRANSITION,
                 _("Ticket %s is “%s”; only open tickets can be assigned."),
                 ticket_label (ticket), status_nick (ticket->status));

  copy = cd_record_copy (CD_RECORD (ticket));
  event = cd_assignment_event_new ();

  if (crew_id != NULL)
    {
      CdMatchCrew chosen;
      CdMatchVerdict verdict;
      const CdMatchScore *best = NULL;
      const CdMatchScore *mine = NULL;

      if ((crew = load_existing (a, CD_TYPE_CREW, crew_id, error)) == NULL ||
          !matching_build (a, ticket, crew, &mt, error))
        return FALSE;

      /* The ticket's own place on its current crew does not count. */
      chosen = g_array_index (mt.match, CdMatchCrew, mt.chosen);
      if (g_strcmp0 (ticket->crew_id, crew_id) == 0 && chosen.load > 0)
        chosen.load--;
      verdict = cd_match_check (&mt.ticket, &chosen);

      switch (verdict)
        {
        case CD_MATCH_WRONG_UTILITY:
        case CD_MATCH_MISSING_SKILL:
        case CD_MATCH_OFF_SHIFT:
          return fail (error, CD_MUTATION_ERROR_CONSTRAINT,
                       _("Ticket %s cannot go to crew %s: %s Choose another crew."),
                       ticket_label (ticket), crew->name, cd_match_verdict_to_string (verdict));
        case CD_MATCH_FULL:
          if (is_auto)
            return fail (error, CD_MUTATION_ERROR_CONSTRAINT,
                         _("Ticket %s cannot go to crew %s: %s Choose another crew."),
                         ticket_label (ticket), crew->name, cd_match_verdict_to_string (verdict));
          /* A dispatcher may overload a crew on purpose. */
          a->result->warning = g_strdup_printf (_("Crew %s now carries %u open tickets, more than its capacity of %u."),
                                                crew->name, chosen.load + 1, chosen.capacity);
          break;
        case CD_MATCH_NO_POSITION:
          /* Travel cannot be estimated, but a dispatcher knows where the crew is. */
          if (is_auto)
            return fail (error, CD_MUTATION_ERROR_CONSTRAINT,
                         _("Ticket %s cannot go to crew %s: %s Choose another crew."),
                         ticket_label (ticket), crew->name, cd_match_verdict_to_string (verdict));
          break;
        case CD_MATCH_OK:
        default:
          break;
        }

      ranking = cd_match_rank (&mt.params, &mt.ticket, (const CdMatchCrew *) mt.match->data, mt.match->len);
      for (guint i = 0; i < ranking->len; i++)
        {
          const CdMatchScore *score = &g_array_index (ranking, CdMatchScore, i);

          if (best == NULL && score->verdict == CD_MATCH_OK)
            best = score;
          if (score->crew == mt.chosen)
            mine = score;
        }

      event->score = mine != NULL && isfinite (mine->total) ? mine->total : 0;
      if (best != NULL && best->crew != mt.chosen)
        {
          event->proposed_crew = g_strdup (CD_RECORD (g_ptr_array_index (mt.crews, best->crew))->id);
          event->proposed_score = best->total;
        }
    }

  crew_changes = g_strcmp0 (ticket->crew_id, crew_id) != 0;
  set_string (&copy->crew_id, crew_id);
  copy->assignment_source = crew_id != NULL ? source : CD_ASSIGNMENT_SOURCE_NONE;
  copy->pinned = args[ASSIGN_PIN].present ? args[ASSIGN_PIN].boolean
                                          : crew_id != NULL && !is_auto;
  if (crew_changes && crew_id != NULL && (ticket->status == CD_TICKET_STATUS_NEW ||
                                          (STATUS_BIT (ticket->status) & CREW_STAGES)))
    copy->status = CD_TICKET_STATUS_ASSIGNED;
  else if (crew_changes && crew_id == NULL && (STATUS_BIT (ticket->status) & CREW_STAGES))
    copy->status = CD_TICKET_STATUS_NEW;

  if (!emit_changed (a, CD_RECORD (ticket), CD_RECORD (copy)))
    {
      g_clear_pointer (&a->result->warning, g_free);
      return TRUE;
    }

  set_derived_id (CD_RECORD (event), a->m, "event");
  event->ticket_id = g_strdup (a->m->target);
  event->from_crew = g_strdup (ticket->crew_id);
  event->to_crew = g_strdup (crew_id);
  event->actor = g_strdup (a->ctx->actor->username);
  event->at = a->ctx->now;
  event->source = source;
  event->reason = g_strdup (args[ASSIGN_REASON].string);
  emit_new (a, CD_RECORD (event));

  return TRUE;
}

static gint64
callback_priority (CdTicket *ticket)
{
  if (ticket->category == CD_CATEGORY_COMPLAINT)
    return 90;
  if (ticket->key_customer)
    return 80;
  if (ticket->duplicate_count > 0)
    return 70;
  return 50;
}

static gboolean
apply_ticket_set_status (Apply   *a,
                         GError **error)
{
  CdTicketStatus to = a->args[STATUS_STATUS].value;
  CdUser *actor = a->ctx->actor;
  g_autoptr(CdTicket) ticket = NULL;
  g_autoptr(CdTicket) copy = NULL;
  gint64 now = a->ctx->now;

  if ((ticket = load_existing (a, CD_TYPE_TICKET, a->m->target, error)) == NULL ||
      !check_version (a, CD_RECORD (ticket), error))
    return FALSE;

  if (actor->role == CD_ROLE_CREW_DEVICE)
    {
      if (actor->crew_id == NULL)
        return fail (error, CD_MUTATION_ERROR_FORBIDDEN,
                     _("This crew device is linked to no crew, so it may not change tickets. Ask an administrator to set its crew."));
      if (g_strcmp0 (ticket->crew_id, actor->crew_id) != 0)
        return fail (error, CD_MUTATION_ERROR_FORBIDDEN,
                     _("Ticket %s is not assigned to this device’s crew, so the device may not change it."),
                     ticket_label (ticket));
      if (!(STATUS_BIT (to) & CREW_STATUSES))
        return fail (error, CD_MUTATION_ERROR_FORBIDDEN,
                     _("A crew device may report only contacted, en-route, on-site and resolved; ask the dispatch room to set ticket %s to “%s”."),
                     ticket_label (ticket), status_nick (to));
    }

  if (to == ticket->status)
    return TRUE;

  if ((guint) ticket->status >= G_N_ELEMENTS (transitions) || !(transitions[ticket->status] & STATUS_BIT (to)) ||
      (to == CD_TICKET_STATUS_EN_ROUTE && ticket->crew_id == NULL) ||
      (to == CD_TICKET_STATUS_ON_SITE && ticket->crew_id == NULL))
    {
      const char *hint;

      if (to == CD_TICKET_STATUS_ASSIGNED || to == CD_TICKET_STATUS_NEW)
        hint = _("Assign or unassign a crew instead.");
      else if (to == CD_TICKET_STATUS_WAITING_CUSTOMER)
        hint = _("Pause the ticket instead.");
      else if (ticket->status == CD_TICKET_STATUS_WAITING_CUSTOMER)
        hint = _("Resume the ticket first.");
      else if (ticket->crew_id == NULL && (to == CD_TICKET_STATUS_EN_ROUTE || to == CD_TICKET_STATUS_ON_SITE))
        hint = _("Assign a crew first.");
      else
        hint = _("Reload the ticket to see its current status.");

      return fail (error, CD_MUTATION_ERROR_INVALID_TRANSITION,
                   _("Ticket %s cannot go from “%s” to “%s”. %s"),
                   ticket_label (ticket), status_nick (ticket->status), status_nick (to), hint);
    }

  copy = cd_record_copy (CD_RECORD (ticket));

  if (ticket->status == CD_TICKET_STATUS_WAITING_CUSTOMER && cd_ticket_is_paused (copy))
    {
      g_autoptr(GError) local_error = NULL;

      if (!cd_sla_resume (copy, ticket_calendar (a, copy), now, &local_error))
        return sla_failed (local_error, error);
    }

  copy->status = to;
  switch (to)
    {
    case CD_TICKET_STATUS_CONTACTED:
      if (copy->first_response_at == 0)
        copy->first_response_at = now;
      break;
    case CD_TICKET_STATUS_ON_SITE:
      if (copy->first_response_at == 0)
        copy->first_response_at = now;
      if (copy->on_site_at == 0)
        copy->on_site_at = now;
      break;
    case CD_TICKET_STATUS_RESOLVED:
      copy->resolved_at = now;
      break;
    case CD_TICKET_STATUS_CLOSED:
      copy->closed_at = now;
      break;
    case CD_TICKET_STATUS_NEW:
    case CD_TICKET_STATUS_ASSIGNED:
    case CD_TICKET_STATUS_EN_ROUTE:
    case CD_TICKET_STATUS_WAITING_CUSTOMER:
    case CD_TICKET_STATUS_CANCELLED:
    case CD_TICKET_STATUS_DUPLICATE:
    default:
      break;
    }

  emit_changed (a, CD_RECORD (ticket), CD_RECORD (copy));

  if (to == CD_TICKET_STATUS_RESOLVED)
    {
      g_autoptr(CdCallback) callback = cd_callback_new ();

      set_derived_id (CD_RECORD (callback), a->m, "callback");
      callback->ticket_id = g_strdup (a->m->target);
      callback->due_at = cd_sla_policy_set_callback_due (a->ctx->policies, copy);
      callback->priority = callback_priority (copy);
      callback->status = CD_CALLBACK_STATUS_PENDING;
      emit_new (a, CD_RECORD (callback));
    }

  return TRUE;
}

static gboolean
apply_ticket_pause (Apply   *a,
                    GError **error)
{
  g_autoptr(CdTicket) ticket = NULL;
  g_autoptr(CdTicket) copy = NULL;
  g_autoptr(GError) local_error = NULL;

  if ((ticket = load_existing (a, CD_TYPE_TICKET, a->m->target, error)) == NULL ||
      !check_version (a, CD_RECORD (ticket), error))
    return FALSE;

  if (!(STATUS_BIT (ticket->status) & PAUSABLE))
    return fail (error, CD_MUTATION_ERROR_INVALID_TRANSITION,
                 _("Ticket %s cannot go from “%s” to “%s”. %s"),
                 ticket_label (ticket), status_nick (ticket->status),
                 status_nick (CD_TICKET_STATUS_WAITING_CUSTOMER),
                 _("Only an open ticket that is not waiting already can wait for the customer."));

  copy = cd_record_copy (CD_RECORD (ticket));
  if (!cd_sla_pause (copy, ticket_calendar (a, copy), a->ctx->now, a->args[PAUSE_REASON].string, &local_error))
    return sla_failed (local_error, error);
  copy->status = CD_TICKET_STATUS_WAITING_CUSTOMER;
  emit_changed (a, CD_RECORD (ticket), CD_RECORD (copy));

  return TRUE;
}

/* The status before the pause, from what the ticket records (see the
 * header for why en-route is not restored). */
static CdTicketStatus
status_after_pause (CdTicket *ticket)
{
  if (ticket->crew_id == NULL)
    return CD_TICKET_STATUS_NEW;
  if (ticket->on_site_at != 0)
    return CD_TICKET_STATUS_ON_SITE;
  if (ticket->first_response_at != 0)
    return CD_TICKET_STATUS_CONTACTED;
  return CD_TICKET_STATUS_ASSIGNED;
}

static gboolean
apply_ticket_resume (Apply   *a,
                     GError **error)
{
  g_autoptr(CdTicket) ticket = NULL;
  g_autoptr(CdTicket) copy = NULL;
  g_autoptr(GError) local_error = NULL;

  if ((ticket = load_existing (a, CD_TYPE_TICKET, a->m->target, error)) == NULL ||
      !check_version (a, CD_RECORD (ticket), error))
    return FALSE;

  if (ticket->status != CD_TICKET_STATUS_WAITING_CUSTOMER)
    return fail (error, CD_MUTATION_ERROR_INVALID_TRANSITION,
                 _("Ticket %s is “%s”, not waiting for the customer, so there is nothing to resume. Reload it to see its current status."),
                 ticket_label (ticket), status_nick (ticket->status));

  copy = cd_record_copy (CD_RECORD (ticket));
  if (!cd_sla_resume (copy, ticket_calendar (a, copy), a->ctx->now, &local_error))
    return sla_failed (local_error, error);
  copy->status = status_after_pause (copy);
  emit_changed (a, CD_RECORD (ticket), CD_RECORD (copy));

  return TRUE;
}

/* A shift supervisor takes note of an escalation: its level is not
 * raised again for this ticket. Only a level some running timer has
 * reached can be acknowledged (red covers amber: a red timer was amber
 * first); acknowledging it again changes nothing. */
static gboolean
apply_ticket_acknowledge (Apply   *a,
                          GError **error)
{
  g_autoptr(CdTicket) ticket = NULL;
  g_autoptr(CdTicket) copy = NULL;
  CdSlaState level = a->args[ACK_LEVEL].value;
  CdCalendar *calendar;
  gboolean reached = FALSE;

  if ((ticket = load_existing (a, CD_TYPE_TICKET, a->m->target, error)) == NULL ||
      !check_version (a, CD_RECORD (ticket), error))
    return FALSE;

  if (!cd_ticket_is_open (ticket))
    return fail (error, CD_MUTATION_ERROR_INVALID_TRANSITION,
                 _("Ticket %s is “%s”: its time limits no longer run, so there is no escalation to acknowledge."),
                 ticket_label (ticket), status_nick (ticket->status));

  if (cd_ticket_get_acknowledgement (ticket, level) != NULL)
    return TRUE;

  calendar = ticket_calendar (a, ticket);
  for (guint kind = 0; kind < CD_N_SLA_KINDS && !reached; kind++)
    {
      CdSlaStatus status;

      cd_sla_evaluate (ticket, kind, calendar, a->ctx->now, &status);
      reached = status.state == CD_SLA_STATE_RED ||
                (level == CD_SLA_STATE_AMBER && status.state == CD_SLA_STATE_AMBER);
    }
  if (!reached)
    return fail (error, CD_MUTATION_ERROR_INVALID_TRANSITION,
                 _("No time limit of ticket %s is at %s, so there is no escalation to acknowledge. Reload it to see its timers."),
                 ticket_label (ticket), enum_nick (CD_TYPE_SLA_STATE, level));

  copy = cd_record_copy (CD_RECORD (ticket));
  if (copy->acknowledgements == NULL)
    copy->acknowledgements = g_ptr_array_new_with_free_func (g_object_unref);
  g_ptr_array_add (copy->acknowledgements,
                   cd_sla_ack_new (level, a->ctx->actor->username, a->ctx->now, a->args[ACK_NOTE].string));
  emit_changed (a, CD_RECORD (ticket), CD_RECORD (copy));

  return TRUE;
}

static gboolean
apply_ticket_update (Apply   *a,
                     GError **error)
{
  g_autoptr(CdTicket) ticket = NULL;
  g_autoptr(CdTicket) decoded = NULL;
  g_autoptr(CdTicket) copy = NULL;
  JsonObject *args = a->m->args;

  if ((ticket = load_existing (a, CD_TYPE_TICKET, a->m->target, error)) == NULL ||
      !check_version (a, CD_RECORD (ticket), error) ||
      (decoded = decode_ticket_update (a->m, a->info, ticket, error)) == NULL)
    return FALSE;

  copy = cd_record_copy (CD_RECORD (ticket));
  if (json_object_has_member (args, "customer"))
    {
      set_string (&copy->customer_name, decoded->customer_name);
      set_string (&copy->customer_phone, decoded->customer_phone);
      set_string (&copy->customer_account, decoded->customer_account);
      copy->key_customer = decoded->key_customer;
    }
  if (json_object_has_member (args, "address"))
    set_string (&copy->address, decoded->address);
  if (json_object_has_member (args, "lat"))
    copy->lat = decoded->lat;
  if (json_object_has_member (args, "lon"))
    copy->lon = decoded->lon;
  if (json_object_has_member (args, "area"))
    set_string (&copy->area, decoded->area);
  if (json_object_has_member (args, "area_class"))
    copy->area_class = decoded->area_class;
  if (json_object_has_member (args, "description"))
    set_string (&copy->description, decoded->description);
  if (json_object_has_member (args, "urgency"))
    copy->urgency = decoded->urgency;
  if (json_object_has_member (args, "category"))
    copy->category = decoded->category;
  if (json_object_has_member (args, "skills"))
    {
      g_strfreev (copy->skills);
      copy->skills = g_strdupv (decoded->skills);
    }

  /* A new grade is a new promise, counted from intake; the milestones
   * already reached stay reached. */
  if (copy->category != ticket->category || copy->urgency != ticket->urgency ||
      copy->area_class != ticket->area_class)
    apply_policy (a, copy);

  emit_changed (a, CD_RECORD (ticket), CD_RECORD (copy));
  return TRUE;
}

/* Operations: callbacks ------------------------------------------------------ */

static gboolean
apply_callback_record (Apply   *a,
                       GError **error)
{
  const ArgValue *args = a->args;
  const CdMutationContext *ctx = a->ctx;
  g_autoptr(CdCallback) callback = NULL;
  g_autoptr(CdCallback) copy = NULL;
  CdCallbackOutcome outcome = args[RECORD_OUTCOME].value;

  if ((callback = load_existing (a, CD_TYPE_CALLBACK, a->m->target, error)) == NULL ||
      !check_version (a, CD_RECORD (callback), error))
    return FALSE;

  if (callback->status != CD_CALLBACK_STATUS_PENDING)
    return fail (error, CD_MUTATION_ERROR_INVALID_TRANSITION,
                 _("Callback %s is “%s”; attempts can be recorded only while it is pending."),
                 CD_RECORD (callback)->id, enum_nick (CD_TYPE_CALLBACK_STATUS, callback->status));

  copy = cd_record_copy (CD_RECORD (callback));
  if (copy->attempts == NULL)
    copy->attempts = g_ptr_array_new_with_free_func (g_object_unref);
  g_ptr_array_add (copy->attempts,
                   cd_callback_attempt_new (ctx->now, ctx->actor->username, outcome, args[RECORD_NOTE].string));
  if (copy->agent == NULL)
    copy->agent = g_strdup (ctx->actor->username);

  if (outcome == CD_CALLBACK_OUTCOME_REACHED)
    {
      copy->completed_at = ctx->now;
      copy->satisfaction = args[RECORD_SATISFACTION].value;
      copy->solved = args[RECORD_SOLVED].boolean;
      set_string (&copy->comment, args[RECORD_COMMENT].string);
      copy->status = CD_CALLBACK_STATUS_DONE;

      if (cd_callback_needs_second_handling (copy))
        {
          gint64 hours = ctx->second_handling_hours > 0 ? ctx->second_handling_hours
                                                        : CD_MUTATION_SECOND_HANDLING_HOURS;
          const char *owner = args[RECORD_OWNER].string;
          g_autoptr(CdTicket) ticket = NULL;

          if (owner == NULL)
            {
              if (!world_load (a, CD_TYPE_TICKET, callback->ticket_id, (gpointer *) &ticket, error))
                return FALSE;
              owner = ticket != NULL && ticket->owner != NULL ? ticket->owner : CD_MUTATION_DEFAULT_SECOND_OWNER;
            }

          copy->status = CD_CALLBACK_STATUS_SECOND_HANDLING;
          set_string (&copy->second_owner, owner);
          copy->second_opened_at = ctx->now;
          copy->second_deadline = ctx->now + hours * 3600;
        }
    }
  else if (cd_callback_is_unreachable (copy))
    copy->status = CD_CALLBACK_STATUS_UNREACHABLE;

  emit_changed (a, CD_RECORD (callback), CD_RECORD (copy));
  return TRUE;
}

static gboolean
apply_callback_close (Apply   *a,
                      GError **error)
{
  g_autoptr(CdCallback) callback = NULL;
  g_autoptr(CdCallback) copy = NULL;

  if ((callback = load_existing (a, CD_TYPE_CALLBACK, a->m->target, error)) == NULL ||
      !check_version (a, CD_RECORD (callback), error))
    return FALSE;

  if (callback->status != CD_CALLBACK_STATUS_SECOND_HANDLING)
    return fail (error, CD_MUTATION_ERROR_INVALID_TRANSITION,
                 _("Callback %s is “%s”; only a callback in second handling can be closed."),
                 CD_RECORD (callback)->id, enum_nick (CD_TYPE_CALLBACK_STATUS, callback->status));

  copy = cd_record_copy (CD_RECORD (callback));
  copy->second_closed_at = a->ctx->now;
  set_string (&copy->second_conclusion, a->args[CLOSE_CONCLUSION].string);
  set_string (&copy->reviewed_by, a->ctx->actor->username);
  copy->status = CD_CALLBACK_STATUS_CLOSED;
  emit_changed (a, CD_RECORD (callback), CD_RECORD (copy));

  return TRUE;
}

/* Operations: policies and users -------------------------------------------- */

static gboolean
apply_sla_policy_update (Apply   *a,
                         GError **error)
{
  g_autoptr(CdSlaPolicy) policy = NULL;
  g_autoptr(CdSlaPolicy) current = NULL;
  GPtrArray *rows;

  if ((policy = decode_policy (a->m, a->info, error)) == NULL ||
      !world_load (a, CD_TYPE_SLA_POLICY, a->m->target, (gpointer *) &current, error))
    return FALSE;

  if (current != NULL)
    {
      if (a->m->expected_version < 0)
        return conflict (a, CD_RECORD (current), error,
                         _("Time-limit policy %s already exists, so the change must say which version it was made on. Reload the policies and make the change again."),
                         a->m->target);
      if (!check_version (a, CD_RECORD (current), error))
        return FALSE;
    }
  else if (a->m->expected_version > 0)
    {
      set_not_found (error, CD_TYPE_SLA_POLICY, a->m->target);
      return FALSE;
    }

  /* One row per key. The loaded set is what this side knows of the others. */
  rows = cd_sla_policy_set_get_policies (a->ctx->policies);
  for (guint i = 0; rows != NULL && i < rows->len; i++)
    {
      CdSlaPolicy *row = g_ptr_array_index (rows, i);

      if (row->category == policy->category && row->urgency == policy->urgency &&
          row->area_class == policy->area_class && g_strcmp0 (CD_RECORD (row)->id, a->m->target) != 0)
        return conflict (a, CD_RECORD (row), error,
                         _("Time-limit policy %s already covers %s, %s, %s; change that row instead."),
                         CD_RECORD (row)->id,
                         enum_nick (CD_TYPE_CATEGORY, row->category),
                         enum_nick (CD_TYPE_URGENCY, row->urgency),
                         enum_nick (CD_TYPE_AREA_CLASS, row->area_class));
    }

  if (current == NULL)
    {
      emit_new (a, CD_RECORD (policy));
      return TRUE;
    }

  CD_RECORD (policy)->version = CD_RECORD (current)->version;
  CD_RECORD (policy)->rev = CD_RECORD (current)->rev;
  policy->updated_at = current->updated_at;
  emit_changed (a, CD_RECORD (current), CD_RECORD (policy));

  return TRUE;
}

static gboolean
check_user_crew (Apply       *a,
                 const char  *crew_id,
                 GError     **error)
{
  g_autoptr(CdCrew) crew = NULL;

  if (crew_id == NULL)
    return TRUE;

  crew = load_existing (a, CD_TYPE_CREW, crew_id, error);
  return crew != NULL;
}

static gboolean
check_username_free (Apply       *a,
                     const char  *username,
                     GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(CdUser) other = NULL;

  if (a->vt->find_user == NULL)
    return TRUE;

  other = a->vt->find_user (a->world, username, &local_error);
  if (other == NULL && local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (other != NULL && CD_IS_USER (other) && g_strcmp0 (CD_RECORD (other)->id, a->m->target) != 0)
    return conflict (a, CD_RECORD (other), error,
                     _("The username “%s” is taken by another user; choose another one."), username);

  return TRUE;
}

static gboolean
apply_user_create (Apply   *a,
                   GError **error)
{
  const ArgValue *args = a->args;
  g_autoptr(CdRecord) existing = NULL;
  g_autoptr(CdUser) user = NULL;

  if (!world_load (a, CD_TYPE_USER, a->m->target, (gpointer *) &existing, error))
    return FALSE;
  if (existing != NULL)
    return conflict (a, existing, error,
                     _("User %s already exists; it was probably created by an earlier attempt. Reload the list of users."),
                     a->m->target);

  if (!check_username_free (a, args[USER_USERNAME].string, error) ||
      !check_user_crew (a, args[USER_CREW_ID].string, error))
    return FALSE;

  user = cd_user_new ();
  CD_RECORD (user)->id = g_strdup (a->m->target);
  user->username = g_strdup (args[USER_USERNAME].string);
  user->display_name = g_strdup (args[USER_DISPLAY_NAME].string);
  user->role = args[USER_ROLE].value;
  user->crew_id = g_strdup (args[USER_CREW_ID].string);
  user->active = args[USER_ACTIVE].present ? args[USER_ACTIVE].boolean : TRUE;
  emit_new (a, CD_RECORD (user));

  a->result->password = g_strdup (args[USER_PASSWORD].string);
  return TRUE;
}

static gboolean
apply_user_update (Apply   *a,
                   GError **error)
{
  const ArgValue *args = a->args;
  g_autoptr(CdUser) user = NULL;
  g_autoptr(CdUser) copy = NULL;

  if ((user = load_existing (a, CD_TYPE_USER, a->m->target, error)) == NULL ||
      !check_version (a, CD_RECORD (user), error))
    return FALSE;

  if (args[USER_USERNAME].present && g_strcmp0 (args[USER_USERNAME].string, user->username) != 0)
    return fail (error, CD_MUTATION_ERROR_INVALID,
                 _("The username of %s cannot be changed, because tickets name their owner by it. Create a new user instead."),
                 user->username);

  copy = cd_record_copy (CD_RECORD (user));
  if (args[USER_DISPLAY_NAME].present)
    set_string (&copy->display_name, args[USER_DISPLAY_NAME].string);
  if (args[USER_ROLE].present)
    copy->role = args[USER_ROLE].value;
  if (args[USER_CREW_ID].present)
    set_string (&copy->crew_id, args[USER_CREW_ID].string);
  if (args[USER_ACTIVE].present)
    copy->active = args[USER_ACTIVE].boolean;

  if ((copy->role == CD_ROLE_CREW_DEVICE) != (copy->crew_id != NULL))
    return fail (error, CD_MUTATION_ERROR_INVALID,
                 _("Argument “crew_id” of %s must name the crew of a crew device, and only of a crew device."),
                 a->info->name);
  if (args[USER_CREW_ID].present && !check_user_crew (a, copy->crew_id, error))
    return FALSE;

  emit_changed (a, CD_RECORD (user), CD_RECORD (copy));
  return TRUE;
}

static gboolean
apply_user_set_password (Apply   *a,
                         GError **error)
{
  g_autoptr(CdUser) user = NULL;

  if ((user = load_existing (a, CD_TYPE_USER, a->m->target, error)) == NULL ||
      !check_version (a, CD_RECORD (user), error))
    return FALSE;

  /* No record changes here: the hash lives in the server's store only. */
  a->result->password = g_strdup (a->args[PASSWORD_PASSWORD].string);
  return TRUE;
}

/* Public API: errors and operations ----------------------------------------- */

/**
 * cd_mutation_error_code_to_string:
 *
 * Returns: the stable wire code of a %CD_MUTATION_ERROR code ("conflict"),
 *   or %NULL for a code that is not one
 */
const char *
cd_mutation_error_code_to_string (gint code)
{
  switch ((CdMutationError) code)
    {
    case CD_MUTATION_ERROR_INVALID:
      return "invalid";
    case CD_MUTATION_ERROR_FORBIDDEN:
      return "forbidden";
    case CD_MUTATION_ERROR_NOT_FOUND:
      return "not-found";
    case CD_MUTATION_ERROR_CONFLICT:
      return "conflict";
    case CD_MUTATION_ERROR_CONSTRAINT:
      return "constraint";
    case CD_MUTATION_ERROR_INVALID_TRANSITION:
      return "invalid-transition";
    default:
      return NULL;
    }
}

const char *
cd_mutation_op_to_string (CdMutationOp op)
{
  g_return_val_if_fail ((guint) op < CD_MUTATION_N_OPS, NULL);

  return ops[op].name;
}

gboolean
cd_mutation_op_from_string (const char   *name,
                            CdMutationOp *op)
{
  g_return_val_if_fail (op != NULL, FALSE);

  for (guint i = 0; name != NULL && i < CD_MUTATION_N_OPS; i++)
    if (strcmp (ops[i].name, name) == 0)
      {
        *op = (CdMutationOp) i;
        return TRUE;
      }

  return FALSE;
}

/* The permission matrix. A crew device's set_status is further limited to
 * its own crew's tickets by cd_mutation_apply(). */
gboolean
cd_mutation_role_allowed (CdMutationOp op,
                          CdRole       role)
{
  g_return_val_if_fail ((guint) op < CD_MUTATION_N_OPS, FALSE);

  return (guint) role < 32 && (ops[op].roles & ROLE (role)) != 0;
}

/* Public API: the mutation ------------------------------------------------- */

G_DEFINE_BOXED_TYPE (CdMutation, cd_mutation, cd_mutation_ref, cd_mutation_unref)

static CdMutation *
mutation_alloc (const char   *id,
                CdMutationOp  op,
                const char   *target,
                gint64        expected_version,
                JsonObject   *args)
{
  CdMutation *self = g_atomic_rc_box_new0 (CdMutation);

  self->id = g_strdup (id);
  self->op = op;
  self->target = g_strdup (target);
  self->expected_version = expected_version;
  self->args = args != NULL ? json_object_ref (args) : json_object_new ();

  return self;
}

/**
 * cd_mutation_new:
 * @args: (nullable) (transfer none): the arguments; referenced, so do not
 *   change them afterwards
 *
 * Builds a mutation from C. The arguments are checked when it is applied
 * (or use cd_mutation_new_from_json() on cd_mutation_to_json() to check
 * them at once).
 */
CdMutation *
cd_mutation_new (const char   *id,
                 CdMutationOp  op,
                 const char   *target,
                 gint64        expected_version,
                 JsonObject   *args)
{
  g_return_val_if_fail (id != NULL && g_uuid_string_is_valid (id), NULL);
  g_return_val_if_fail ((guint) op < CD_MUTATION_N_OPS, NULL);
  g_return_val_if_fail (target != NULL && g_uuid_string_is_valid (target), NULL);
  g_return_val_if_fail (expected_version >= -1, NULL);

  return mutation_alloc (id, op, target, expected_version, args);
}

static const char *
require_uuid_member (JsonObject  *object,
                     const char  *name,
                     GError     **error)
{
  JsonNode *node = json_object_get_member (object, name);
  const char *s;

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    {
      fail (error, CD_MUTATION_ERROR_INVALID, _("Member “%s” of the mutation is required."), name);
      return NULL;
    }
  if (!holds (node, G_TYPE_STRING))
    {
      fail (error, CD_MUTATION_ERROR_INVALID, _("Member “%s” of the mutation must be %s, not %s."),
            name, _("a UUID string"), cd_json_node_describe (node));
      return NULL;
    }
  s = json_node_get_string (node);
  if (!g_uuid_string_is_valid (s))
    {
      fail (error, CD_MUTATION_ERROR_INVALID, _("Member “%s” of the mutation is not a UUID: “%.64s”."), name, s);
      return NULL;
    }

  return s;
}

/**
 * cd_mutation_new_from_json:
 *
 * Decodes a mutation strictly: unknown members, a missing or malformed id,
 * op or target, and arguments that are unknown, missing or wrongly typed
 * for the op are %CD_MUTATION_ERROR_INVALID errors naming the member.
 *
 * Returns: (transfer full): the mutation, or %NULL with @error set
 */
CdMutation *
cd_mutation_new_from_json (JsonNode  *node,
                           GError   **error)
{
  static const char * const known[] = { "id", "op", "target", "expected_version", "args", NULL };
  g_autoptr(CdMutation) self = NULL;
  JsonObjectIter iter;
  JsonObject *object;
  const char *name;
  JsonNode *member;
  const char *id;
  const char *target;
  const char *op_name;
  CdMutationOp op;
  gint64 expected_version = -1;
  JsonObject *args = NULL;
  ArgValue values[MAX_ARGS];

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    {
      fail (error, CD_MUTATION_ERROR_INVALID, _("A mutation must be a JSON object, not %s."), cd_json_node_describe (node));
      return NULL;
    }
  object = json_node_get_object (node);

  json_object_iter_init (&iter, object);
  while (json_object_iter_next (&iter, &name, &member))
    if (!strv_contains (known, name))
      {
        fail (error, CD_MUTATION_ERROR_INVALID,
              _("Member “%.64s” is not part of a mutation. Remove it, or check its spelling."), name);
        return NULL;
      }

  if ((id = require_uuid_member (object, "id", error)) == NULL)
    return NULL;

  member = json_object_get_member (object, "op");
  if (member == NULL || JSON_NODE_HOLDS_NULL (member))
    {
      fail (error, CD_MUTATION_ERROR_INVALID, _("Member “%s” of the mutation is required."), "op");
      return NULL;
    }
  if (!holds (member, G_TYPE_STRING))
    {
      fail (error, CD_MUTATION_ERROR_INVALID, _("Member “%s” of the mutation must be %s, not %s."),
            "op", _("a string"), cd_json_node_describe (member));
      return NULL;
    }
  op_name = json_node_get_string (member);
  if (!cd_mutation_op_from_string (op_name, &op))
    {
      fail (error, CD_MUTATION_ERROR_INVALID,
            _("Member “op” names no known operation: “%.64s”. Check its spelling, or update Crewdesk."), op_name);
      return NULL;
    }

  if ((target = require_uuid_member (object, "target", error)) == NULL)
    return NULL;

  member = json_object_get_member (object, "expected_version");
  if (member != NULL && !JSON_NODE_HOLDS_NULL (member))
    {
      if (!holds (member, G_TYPE_INT64) || json_node_get_int (member) < 0)
        {
          fail (error, CD_MUTATION_ERROR_INVALID,
                _("Member “expected_version” of the mutation must be a version number (a whole number, 0 or more) or null."));
          return NULL;
        }
      expected_version = json_node_get_int (member);
    }

  member = json_object_get_member (object, "args");
  if (member != NULL)
    {
      if (!JSON_NODE_HOLDS_OBJECT (member))
        {
          fail (error, CD_MUTATION_ERROR_INVALID, _("Member “%s” of the mutation must be %s, not %s."),
                "args", _("an object"), cd_json_node_describe (member));
          return NULL;
        }
      args = json_node_get_object (member);
    }

  self = mutation_alloc (id, op, target, expected_version, args);
  if (!decode_args (self, values, error))
    return NULL;

  return g_steal_pointer (&self);
}

/**
 * cd_mutation_to_json:
 *
 * Returns: (transfer full): the wire form; expected_version is left out
 *   when there is none. The args object is shared, not copied.
 */
JsonNode *
cd_mutation_to_json (CdMutation *self)
{
  JsonObject *object;
  JsonNode *node;

  g_return_val_if_fail (self != NULL, NULL);

  object = json_object_new ();
  json_object_set_string_member (object, "id", self->id);
  json_object_set_string_member (object, "op", ops[self->op].name);
  json_object_set_string_member (object, "target", self->target);
  if (self->expected_version >= 0)
    json_object_set_int_member (object, "expected_version", self->expected_version);
  json_object_set_object_member (object, "args", json_object_ref (self->args));

  node = json_node_init_object (json_node_alloc (), object);
  json_object_unref (object);
  return node;
}

static void
mutation_clear (gpointer data)
{
  CdMutation *self = data;

  g_free (self->id);
  g_free (self->target);
  json_object_unref (self->args);
}

CdMutation *
cd_mutation_ref (CdMutation *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return g_atomic_rc_box_acquire (self);
}

void
cd_mutation_unref (CdMutation *self)
{
  g_return_if_fail (self != NULL);

  g_atomic_rc_box_release_full (self, mutation_clear);
}

/**
 * cd_mutation_derive_id:
 * @mutation_id: a UUID
 * @purpose: what the record is to the mutation, "event" or "callback"
 *
 * Returns: (transfer full): a lower-case UUID, version 5 (SHA-1) of
 *   @purpose in the namespace @mutation_id
 */
char *
cd_mutation_derive_id (const char *mutation_id,
                       const char *purpose)
{
  g_autoptr(GChecksum) checksum = NULL;
  guint8 ns[16];
  guint8 d[20];
  gsize length = sizeof d;

  g_return_val_if_fail (mutation_id != NULL && g_uuid_string_is_valid (mutation_id), NULL);
  g_return_val_if_fail (purpose != NULL, NULL);

  if (!uuid_to_bytes (mutation_id, ns))
    g_return_val_if_reached (NULL);

  checksum = g_checksum_new (G_CHECKSUM_SHA1);
  g_checksum_update (checksum, ns, sizeof ns);
  g_checksum_update (checksum, (const guchar *) purpose, (gssize) strlen (purpose));
  g_checksum_get_digest (checksum, d, &length);

  d[6] = (d[6] & 0x0f) | 0x50;
  d[8] = (d[8] & 0x3f) | 0x80;

  return g_strdup_printf ("%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                          d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7],
                          d[8], d[9], d[10], d[11], d[12], d[13], d[14], d[15]);
}

/* Public API: context and result -------------------------------------------- */

void
cd_mutation_context_init (CdMutationContext *ctx,
                          CdUser            *actor,
                          gint64             now,
                          CdSlaPolicySet    *policies)
{
  g_return_if_fail (ctx != NULL);

  memset (ctx, 0, sizeof *ctx);
  ctx->actor = actor;
  ctx->now = now;
  ctx->policies = policies;
  ctx->second_handling_hours = CD_MUTATION_SECOND_HANDLING_HOURS;
}

void
cd_mutation_result_init (CdMutationResult *result)
{
  g_return_if_fail (result != NULL);

  memset (result, 0, sizeof *result);
  result->records = g_ptr_array_new_with_free_func (g_object_unref);
}

static void
clear_password (char **password)
{
  if (*password != NULL)
    {
      /* Do not leave it in freed memory. */
      volatile char *p = *password;

      while (*p != '\0')
        *p++ = '\0';
      g_clear_pointer (password, g_free);
    }
}

void
cd_mutation_result_clear (CdMutationResult *result)
{
  g_return_if_fail (result != NULL);

  g_clear_pointer (&result->records, g_ptr_array_unref);
  clear_password (&result->password);
  g_clear_pointer (&result->warning, g_free);
  g_clear_object (&result->current);
}

/**
 * cd_mutation_result_to_json:
 *
 * The result as the server stores it for replays and sends it back:
 *
 *   { "records": [ { "kind": "ticket", "record": { … } }, … ],
 *     "warning": "…" or null }
 *
 * The password is never part of it.
 *
 * Returns: (transfer full): the JSON
 */
JsonNode *
cd_mutation_result_to_json (CdMutationResult *result)
{
  JsonObject *object;
  JsonArray *records;
  JsonNode *node;

  g_return_val_if_fail (result != NULL, NULL);

  records = json_array_new ();
  for (guint i = 0; result->records != NULL && i < result->records->len; i++)
    {
      CdRecord *record = g_ptr_array_index (result->records, i);
      JsonObject *item = json_object_new ();

      json_object_set_string_member (item, "kind", cd_record_get_kind (record));
      json_object_set_member (item, "record", cd_record_to_json (record));
      json_array_add_object_element (records, item);
    }

  object = json_object_new ();
  json_object_set_array_member (object, "records", records);
  if (result->warning != NULL)
    json_object_set_string_member (object, "warning", result->warning);
  else
    json_object_set_null_member (object, "warning");

  node = json_node_init_object (json_node_alloc (), object);
  json_object_unref (object);
  return node;
}

/* Public API: applying ------------------------------------------------------- */

gboolean
cd_mutation_apply (CdMutation                  *self,
                   const CdMutationContext     *ctx,
                   const CdMutationWorldVTable *vtable,
                   gpointer                     world,
                   CdMutationResult            *result,
                   GError                     **error)
{
  Apply a = { 0 };
  CdUser *actor;
  gboolean ok = FALSE;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (ctx != NULL, FALSE);
  g_return_val_if_fail (CD_IS_USER (ctx->actor), FALSE);
  g_return_val_if_fail (CD_IS_SLA_POLICY_SET (ctx->policies), FALSE);
  g_return_val_if_fail (vtable != NULL && vtable->load != NULL, FALSE);
  g_return_val_if_fail (result != NULL && result->records != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  /* Start from an empty result, whatever the caller left in it. */
  g_ptr_array_set_size (result->records, 0);
  clear_password (&result->password);
  g_clear_pointer (&result->warning, g_free);
  g_clear_object (&result->current);

  actor = ctx->actor;
  a.m = self;
  a.info = &ops[self->op];
  a.ctx = ctx;
  a.vt = vtable;
  a.world = world;
  a.result = result;

  if (!actor->active)
    return fail (error, CD_MUTATION_ERROR_FORBIDDEN,
                 _("The account “%s” is disabled, so it cannot change anything. Ask an administrator to enable it."),
                 actor->username);
  if (!cd_mutation_role_allowed (self->op, actor->role))
    return fail (error, CD_MUTATION_ERROR_FORBIDDEN,
                 _("The role “%s” may not perform %s. Ask someone whose role allows it."),
                 enum_nick (CD_TYPE_ROLE, actor->role), a.info->name);

  if (!decode_args (self, a.args, error))
    return FALSE;

  switch (self->op)
    {
    case CD_MUTATION_OP_TICKET_CREATE:
      ok = apply_ticket_create (&a, error);
      break;
    case CD_MUTATION_OP_TICKET_ASSIGN:
      ok = apply_ticket_assign (&a, error);
      break;
    case CD_MUTATION_OP_TICKET_SET_STATUS:
      ok = apply_ticket_set_status (&a, error);
      break;
    case CD_MUTATION_OP_TICKET_PAUSE:
      ok = apply_ticket_pause (&a, error);
      break;
    case CD_MUTATION_OP_TICKET_RESUME:
      ok = apply_ticket_resume (&a, error);
      break;
    case CD_MUTATION_OP_TICKET_UPDATE:
      ok = apply_ticket_update (&a, error);
      break;
    case CD_MUTATION_OP_CALLBACK_RECORD:
      ok = apply_callback_record (&a, error);
      break;
    case CD_MUTATION_OP_CALLBACK_CLOSE:
      ok = apply_callback_close (&a, error);
      break;
    case CD_MUTATION_OP_SLA_POLICY_UPDATE:
      ok = apply_sla_policy_update (&a, error);
      break;
    case CD_MUTATION_OP_USER_CREATE:
      ok = apply_user_create (&a, error);
      break;
    case CD_MUTATION_OP_USER_UPDATE:
      ok = apply_user_update (&a, error);
      break;
    case CD_MUTATION_OP_USER_SET_PASSWORD:
      ok = apply_user_set_password (&a, error);
      break;
    case CD_MUTATION_OP_TICKET_ACKNOWLEDGE:
      ok = apply_ticket_acknowledge (&a, error);
      break;
    default:
      g_assert_not_reached ();
    }

  if (!ok)
    {
      g_ptr_array_set_size (result->records, 0);
      clear_password (&result->password);
      g_clear_pointer (&result->warning, g_free);
    }

  return ok;
}

/**
 * cd_mutation_rank_crews:
 * @ticket: the ticket to place
 * @crews: (out): every crew, sorted by id; the scores' crew indices point here
 * @ranking: (out): a #CdMatchScore per crew, feasible first, as cd_match_rank()
 *
 * Ranks the crews for @ticket exactly as ticket.assign scores them, so the
 * proposal a dispatcher is shown, the one auto-dispatch takes and the one an
 * override records are the same.
 */
gboolean
cd_mutation_rank_crews (const CdMutationContext      *ctx,
                        const CdMutationWorldVTable  *vt,
                        gpointer                      world,
                        CdTicket                     *ticket,
                        GPtrArray                   **crews,
                        GArray                      **ranking,
                        GError                      **error)
{
  Apply a = { 0 };
  g_auto(Matching) mt = { 0 };

  g_return_val_if_fail (ctx != NULL && vt != NULL, FALSE);
  g_return_val_if_fail (CD_IS_TICKET (ticket), FALSE);
  g_return_val_if_fail (crews != NULL && ranking != NULL, FALSE);

  a.ctx = ctx;
  a.vt = vt;
  a.world = world;
  if (!matching_build (&a, ticket, NULL, &mt, error))
    return FALSE;

  *ranking = cd_match_rank (&mt.params, &mt.ticket, (const CdMatchCrew *) mt.match->data, mt.match->len);
  *crews = g_steal_pointer (&mt.crews);
  return TRUE;
}
