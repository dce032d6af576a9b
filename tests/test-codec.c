/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-codec.c: the model's JSON round trips and every kind of bad input. */
#include "config.h"

#include <string.h>

#include "cd-model.h"

#define UUID_A "6f1c2a4e-3b7d-4c1e-9a55-0d2f6e8b1c01"
#define UUID_B "6f1c2a4e-3b7d-4c1e-9a55-0d2f6e8b1c02"
#define UUID_C "6f1c2a4e-3b7d-4c1e-9a55-0d2f6e8b1c03"

static CdTicket *
make_ticket (void)
{
  CdTicket *t = cd_ticket_new ();
  g_autoptr(GPtrArray) pauses = g_ptr_array_new_with_free_func (g_object_unref);
  const char *skills[] = { "hv-switching", "cable-fault", NULL };

  g_ptr_array_add (pauses, cd_sla_pause_new (1795000000, 1795000600, "Customer not home"));
  g_ptr_array_add (pauses, cd_sla_pause_new (1795003600, 0, NULL));

  g_object_set (t,
                "id", UUID_A, "version", (gint64) 3, "rev", (gint64) 1042,
                "number", "PW-000117",
                "channel", CD_CHANNEL_METER_ALARM,
                "category", CD_CATEGORY_POWER_OUTAGE,
                "urgency", CD_URGENCY_EMERGENCY,
                "utility", CD_UTILITY_POWER,
                "status", CD_TICKET_STATUS_EN_ROUTE,
                "customer-name", "王芳",
                "customer-phone", "+86 10 5555 0101",
                "customer-account", "PW-88812",
                "customer-key", TRUE,
                "address", "12 Riverside Road, Eastbank",
                "lat", 39.9123, "lon", 116.4011,
                "area", "eastbank", "area-class", CD_AREA_CLASS_RURAL,
                "description", "Whole street dark since 21:40",
                "skills", skills,
                "owner", "dispatcher",
                "crew-id", UUID_B,
                "assignment-source", CD_ASSIGNMENT_SOURCE_MANUAL,
                "pinned", TRUE,
                "sla-first-response-min", (gint64) 10,
                "sla-on-site-min", (gint64) 90,
                "sla-resolved-min", (gint64) 240,
                "sla-calendar", CD_CALENDAR_KIND_ALWAYS,
                "sla-warning-share", 0.2,
                "sla-due-first-response", (gint64) 1795000600,
                "sla-due-on-site", (gint64) 1795005400,
                "sla-due-resolved", (gint64) 1795014400,
                "sla-pauses", pauses,
                "created-at", (gint64) 1795000000,
                "first-response-at", (gint64) 1795000300,
                "updated-at", (gint64) 1795000900,
                "duplicate-count", (gint64) 2,
                NULL);
  return t;
}

static CdCallback *
make_callback (void)
{
  CdCallback *cb = cd_callback_new ();
  g_autoptr(GPtrArray) attempts = g_ptr_array_new_with_free_func (g_object_unref);

  g_ptr_array_add (attempts, cd_callback_attempt_new (1795100000, "agent", CD_CALLBACK_OUTCOME_NO_ANSWER, NULL));
  g_ptr_array_add (attempts, cd_callback_attempt_new (1795103600, "agent", CD_CALLBACK_OUTCOME_REACHED, "Heat back, radiator still cold"));

  g_object_set (cb,
                "id", UUID_C, "version", (gint64) 2, "rev", (gint64) 7,
                "ticket-id", UUID_A,
                "due-at", (gint64) 1795186400,
                "priority", (gint64) 80,
                "status", CD_CALLBACK_STATUS_SECOND_HANDLING,
                "agent", "agent",
                "attempts", attempts,
                "satisfaction", CD_SATISFACTION_UNSATISFIED,
                "solved", FALSE,
                "comment", "Radiator in the bedroom is still cold",
                "completed-at", (gint64) 1795103600,
                "second-handling-owner", "manager",
                "second-handling-deadline", (gint64) 1795190000,
                "second-handling-opened-at", (gint64) 1795103600,
                NULL);
  return cb;
}

static CdRecord *
make_record (GType type)
{
  if (type == CD_TYPE_TICKET)
    return CD_RECORD (make_ticket ());
  if (type == CD_TYPE_CALLBACK)
    return CD_RECORD (make_callback ());
  if (type == CD_TYPE_CREW)
    {
      const char *members[] = { "Li Wei", "Zhang Min", NULL };
      const char *areas[] = { "eastbank", "old-town", NULL };

      return g_object_new (CD_TYPE_CREW, "id", UUID_B, "version", (gint64) 9, "rev", (gint64) 55,
                           "name", "Power 7", "utility", CD_UTILITY_POWER,
                           "status", CD_CREW_STATUS_EN_ROUTE, "members", members,
                           "areas", areas, "capacity", (gint64) 3,
                           "shift-start", (gint64) 1794990000, "shift-end", (gint64) 1795033200,
                           "position-lat", 39.91, "position-lon", 116.39,
                           "position-heading", 271.5, "position-speed-kmh", 38.0,
                           "position-at", (gint64) 1795000500, NULL);
    }
  if (type == CD_TYPE_SLA_POLICY)
    return g_object_new (CD_TYPE_SLA_POLICY, "id", UUID_A, "category", CD_CATEGORY_LEAK,
                         "urgency", CD_URGENCY_EMERGENCY, "area-class", CD_AREA_CLASS_REMOTE,
                         "first-response-min", (gint64) 10, "on-site-min", (gint64) 120,
                         "resolved-min", (gint64) 240, "warning-share", 0.3,
                         "auto-dispatch", TRUE, NULL);
  if (type == CD_TYPE_ASSIGNMENT_EVENT)
    return g_object_new (CD_TYPE_ASSIGNMENT_EVENT, "id", UUID_C, "ticket-id", UUID_A,
                         "to-crew", UUID_B, "actor", "dispatcher", "at", (gint64) 1795000100,
                         "source", CD_ASSIGNMENT_SOURCE_MANUAL, "score", 18.5,
                         "proposed-crew", UUID_C, "proposed-score", 12.25,
                         "reason", "Crew already on the street", NULL);
  if (type == CD_TYPE_USER)
    return g_object_new (CD_TYPE_USER, "id", UUID_A, "username", "supervisor",
                         "display-name", "Chen Jing", "role", CD_ROLE_SUPERVISOR, NULL);
  g_assert_not_reached ();
}

static void
test_round_trip (gconstpointer data)
{
  GType type = GPOINTER_TO_SIZE (data);
  g_autoptr(CdRecord) record = make_record (type);
  g_autoptr(CdRecord) empty = g_object_new (type, NULL);
  g_autoptr(CdRecord) decoded = NULL;
  g_autoptr(CdRecord) again = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *json = NULL;
  g_autofree char *json2 = NULL;

  json = cd_record_to_json_string (record, NULL);
  decoded = cd_record_new_from_data (type, json, -1, CD_DECODE_STRICT, &error);
  g_assert_no_error (error);
  g_assert_nonnull (decoded);
  g_assert_true (cd_record_equal (record, decoded));
  /* The comparison is not vacuous: an empty record differs. */
  g_assert_false (cd_record_equal (record, empty));

  json2 = cd_record_to_json_string (decoded, NULL);
  g_assert_cmpstr (json, ==, json2);

  again = cd_record_copy (decoded);
  g_assert_true (cd_record_equal (record, again));
}

static void
test_json_shape (void)
{
  g_autoptr(CdTicket) t = make_ticket ();
  g_autoptr(JsonNode) node = cd_record_to_json (CD_RECORD (t));
  JsonObject *o = json_node_get_object (node);
  JsonObject *customer = json_object_get_object_member (o, "customer");
  JsonObject *sla = json_object_get_object_member (o, "sla");

  g_assert_cmpstr (json_object_get_string_member (o, "category"), ==, "power-outage");
  g_assert_cmpstr (json_object_get_string_member (o, "status"), ==, "en-route");
  g_assert_cmpstr (json_object_get_string_member (o, "created_at"), ==, "2026-11-18T11:06:40Z");
  g_assert_cmpstr (json_object_get_string_member (customer, "name"), ==, "王芳");
  g_assert_true (json_object_get_boolean_member (customer, "key"));
  g_assert_cmpint (json_array_get_length (json_object_get_array_member (sla, "pauses")), ==, 2);
  g_assert_true (json_object_get_null_member (o, "resolved_at"));
  g_assert_cmpint (json_object_get_int_member (o, "version"), ==, 3);
}

static void
test_group_null_when_empty (void)
{
  g_autoptr(CdRecord) crew = g_object_new (CD_TYPE_CREW, "id", UUID_B, "name", "Heat 1", NULL);
  g_autoptr(JsonNode) node = cd_record_to_json (crew);
  JsonObject *o = json_node_get_object (node);

  g_assert_true (json_object_get_null_member (o, "position"));
}

static void
record_notify_cb (GObject    *object,
                  GParamSpec *pspec,
                  GPtrArray  *seen)
{
  g_ptr_array_add (seen, g_strdup (pspec->name));
}

static void
test_update_notifies (void)
{
  g_autoptr(CdTicket) a = make_ticket ();
  g_autoptr(CdTicket) b = make_ticket ();
  g_autoptr(GPtrArray) seen = g_ptr_array_new_with_free_func (g_free);

  g_object_set (b, "status", CD_TICKET_STATUS_ON_SITE, "address", "14 Riverside Road", NULL);

  g_signal_connect (a, "notify", G_CALLBACK (record_notify_cb), seen);
  g_assert_true (cd_record_update_from (CD_RECORD (a), CD_RECORD (b)));
  g_assert_cmpuint (seen->len, ==, 2);
  g_assert_true (g_ptr_array_find_with_equal_func (seen, "status", g_str_equal, NULL));
  g_assert_true (g_ptr_array_find_with_equal_func (seen, "address", g_str_equal, NULL));
  g_assert_true (cd_record_equal (CD_RECORD (a), CD_RECORD (b)));

  /* Nothing changed: no notification at all. */
  g_ptr_array_set_size (seen, 0);
  g_assert_false (cd_record_update_from (CD_RECORD (a), CD_RECORD (b)));
  g_object_set (a, "status", CD_TICKET_STATUS_ON_SITE, NULL);
  g_assert_cmpuint (seen->len, ==, 0);
}

/* Bad input --------------------------------------------------------------- */

static JsonNode *
ticket_json (void)
{
  g_autoptr(CdTicket) t = make_ticket ();

  return cd_record_to_json (CD_RECORD (t));
}

typedef struct {
  const char  *name;
  const char  *member;   /* top-level member, or "group.member" */
  const char  *json;     /* its new value, NULL to remove it */
  CdCodecError code;
  const char  *field;    /* the field the message must name */
} BadCase;

static const BadCase bad_cases[] = {
  /* wrong types */
  { "string-for-number", "lat", "\"39.9\"", CD_CODEC_ERROR_WRONG_TYPE, "“lat”" },
  { "number-for-string", "address", "12", CD_CODEC_ERROR_WRONG_TYPE, "“address”" },
  { "float-for-integer", "duplicate_count", "1.5", CD_CODEC_ERROR_WRONG_TYPE, "“duplicate_count”" },
  { "string-for-boolean", "pinned", "\"yes\"", CD_CODEC_ERROR_WRONG_TYPE, "“pinned”" },
  { "object-for-string", "number", "{\"a\":1}", CD_CODEC_ERROR_WRONG_TYPE, "“number”" },
  { "array-for-group", "customer", "[1]", CD_CODEC_ERROR_WRONG_TYPE, "“customer”" },
  { "number-in-strv", "skills", "[\"a\", 3]", CD_CODEC_ERROR_WRONG_TYPE, "“skills[1]”" },
  { "string-for-list", "sla.pauses", "\"none\"", CD_CODEC_ERROR_WRONG_TYPE, "“sla.pauses”" },
  { "bad-list-item", "sla.pauses", "[{\"start\":\"2026-11-18T08:26:40Z\"}, 4]", CD_CODEC_ERROR_WRONG_TYPE, "“sla.pauses[1]”" },
  /* missing required fields */
  { "missing-id", "id", NULL, CD_CODEC_ERROR_MISSING_FIELD, "“id”" },
  { "missing-nested", "customer.name", NULL, CD_CODEC_ERROR_MISSING_FIELD, "“customer.name”" },
  { "missing-group", "customer", NULL, CD_CODEC_ERROR_MISSING_FIELD, "“customer.name”" },
  { "null-required", "category", "null", CD_CODEC_ERROR_MISSING_FIELD, "“category”" },
  { "missing-in-list-item", "sla.pauses", "[{\"end\":null}]", CD_CODEC_ERROR_MISSING_FIELD, "“sla.pauses[0].start”" },
  /* unknown enum values */
  { "unknown-category", "category", "\"weather\"", CD_CODEC_ERROR_BAD_ENUM, "“category”" },
  { "enum-by-number", "urgency", "2", CD_CODEC_ERROR_WRONG_TYPE, "“urgency”" },
  { "enum-wrong-case", "status", "\"NEW\"", CD_CODEC_ERROR_BAD_ENUM, "“status”" },
  /* coordinates and ranges */
  { "latitude-high", "lat", "90.0001", CD_CODEC_ERROR_OUT_OF_RANGE, "“lat”" },
  { "latitude-low", "lat", "-91", CD_CODEC_ERROR_OUT_OF_RANGE, "“lat”" },
  { "longitude-high", "lon", "180.5", CD_CODEC_ERROR_OUT_OF_RANGE, "“lon”" },
  { "longitude-low", "lon", "-200", CD_CODEC_ERROR_OUT_OF_RANGE, "“lon”" },
  { "negative-minutes", "sla.on_site_min", "-5", CD_CODEC_ERROR_OUT_OF_RANGE, "“sla.on_site_min”" },
  { "share-over-one", "sla.warning_share", "1.5", CD_CODEC_ERROR_OUT_OF_RANGE, "“sla.warning_share”" },
  /* length limits */
  { "phone-too-long", "customer.phone", "\"01234567890123456789012345678901234567890\"", CD_CODEC_ERROR_TOO_LONG, "“customer.phone”" },
  { "too-many-skills", "skills", "[\"a\",\"b\",\"c\",\"d\",\"e\",\"f\",\"g\",\"h\",\"i\",\"j\",\"k\",\"l\",\"m\",\"n\",\"o\",\"p\",\"q\"]", CD_CODEC_ERROR_TOO_LONG, "“skills”" },
  /* values */
  { "bad-uuid", "crew_id", "\"crew-7\"", CD_CODEC_ERROR_BAD_VALUE, "“crew_id”" },
  { "bad-time", "created_at", "\"yesterday\"", CD_CODEC_ERROR_BAD_VALUE, "“created_at”" },
  { "time-as-number", "created_at", "1795000000", CD_CODEC_ERROR_WRONG_TYPE, "“created_at”" },
  /* unknown members, in strict mode */
  { "unknown-member", "colour", "\"red\"", CD_CODEC_ERROR_UNKNOWN_FIELD, "“colour”" },
  { "unknown-nested", "customer.email", "\"a@b\"", CD_CODEC_ERROR_UNKNOWN_FIELD, "“customer.email”" },
  /* nesting too deep inside a record */
  { "deep-member", "description", "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\"x\"]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]", CD_CODEC_ERROR_TOO_DEEP, NULL },
};

static void
set_member (JsonObject *root,
            const char *member,
            const char *json)
{
  g_auto(GStrv) parts = g_strsplit (member, ".", 2);
  JsonObject *target = root;
  const char *name = parts[0];

  if (parts[1] != NULL)
    {
      target = json_object_get_object_member (root, parts[0]);
      name = parts[1];
    }

  if (json == NULL)
    json_object_remove_member (target, name);
  else
    json_object_set_member (target, name, json_from_string (json, NULL));
}

static void
test_bad_input (gconstpointer data)
{
  const BadCase *c = data;
  g_autoptr(JsonNode) node = ticket_json ();
  g_autoptr(CdRecord) decoded = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  set_member (json_node_get_object (node), c->member, c->json);
  text = cd_json_to_string (node, NULL);

  decoded = cd_record_new_from_data (CD_TYPE_TICKET, text, -1, CD_DECODE_STRICT, &error);
  g_assert_null (decoded);
  g_assert_error (error, CD_CODEC_ERROR, (gint) c->code);
  if (c->field != NULL && strstr (error->message, c->field) == NULL)
    g_error ("“%s” does not name %s", error->message, c->field);
}

static void
test_lenient_ignores_unknown (void)
{
  g_autoptr(JsonNode) node = ticket_json ();
  g_autoptr(CdRecord) decoded = NULL;
  g_autoptr(CdTicket) original = make_ticket ();
  g_autoptr(GError) error = NULL;

  json_object_set_string_member (json_node_get_object (node), "future_field", "x");
  decoded = cd_record_new_from_json (CD_TYPE_TICKET, node, CD_DECODE_DEFAULT, &error);
  g_assert_no_error (error);
  g_assert_true (cd_record_equal (decoded, CD_RECORD (original)));
}

static void
test_malformed (void)
{
  const char *docs[] = { "", "{", "{\"id\": }", "nul", "[1,2", "{\"a\":\"\\u12\"}", "\xff\xfe{}" };

  for (guint i = 0; i < G_N_ELEMENTS (docs); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(CdRecord) r = cd_record_new_from_data (CD_TYPE_TICKET, docs[i], -1, 0, &error);

      g_assert_null (r);
      g_assert_error (error, CD_CODEC_ERROR, CD_CODEC_ERROR_MALFORMED);
    }
}

static void
test_not_an_object (void)
{
  const char *docs[] = { "[]", "42", "\"ticket\"", "null", "true" };

  for (guint i = 0; i < G_N_ELEMENTS (docs); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(CdRecord) r = cd_record_new_from_data (CD_TYPE_CREW, docs[i], -1, 0, &error);

      g_assert_null (r);
      g_assert_error (error, CD_CODEC_ERROR, CD_CODEC_ERROR_WRONG_TYPE);
    }
}

static void
test_too_deep_does_not_crash (void)
{
  /* A megabyte of '[' would overflow json-glib's recursive parser. */
  gsize n = 1024 * 1024;
  g_autofree char *doc = g_malloc (n + 1);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = NULL;

  memset (doc, '[', n);
  doc[n] = '\0';
  node = cd_json_parse (doc, n, CD_JSON_MAX_BYTES, CD_JSON_MAX_DEPTH, &error);
  g_assert_null (node);
  g_assert_error (error, CD_CODEC_ERROR, CD_CODEC_ERROR_TOO_DEEP);
}

static void
test_depth_scan (void)
{
  g_assert_cmpuint (cd_json_scan_depth ("{}", 2), ==, 1);
  g_assert_cmpuint (cd_json_scan_depth ("{\"a\":[[1]]}", 11), ==, 3);
  /* Brackets inside strings do not count, escaped quotes do not end them. */
  g_assert_cmpuint (cd_json_scan_depth ("{\"a\":\"[[[\\\"[[\"}", 15), ==, 1);
}

static void
test_too_large (void)
{
  gsize n = CD_JSON_MAX_BYTES + 1;
  g_autofree char *doc = g_malloc (n);
  g_autoptr(GError) error = NULL;
  g_autoptr(CdRecord) r = NULL;

  memset (doc, ' ', n);
  r = cd_record_new_from_data (CD_TYPE_TICKET, doc, n, 0, &error);
  g_assert_null (r);
  g_assert_error (error, CD_CODEC_ERROR, CD_CODEC_ERROR_TOO_LARGE);
}

static void
test_decode_member (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) good = json_from_string ("\"on-site\"", NULL);
  g_autoptr(JsonNode) bad = json_from_string ("\"teleported\"", NULL);
  g_auto(GValue) value = G_VALUE_INIT;
  g_auto(GValue) value2 = G_VALUE_INIT;
  g_auto(GValue) value3 = G_VALUE_INIT;

  g_assert_true (cd_record_decode_member (CD_TYPE_TICKET, "status", good, &value, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_value_get_enum (&value), ==, CD_TICKET_STATUS_ON_SITE);

  g_assert_false (cd_record_decode_member (CD_TYPE_TICKET, "status", bad, &value2, &error));
  g_assert_error (error, CD_CODEC_ERROR, CD_CODEC_ERROR_BAD_ENUM);
  g_clear_error (&error);

  g_assert_false (cd_record_decode_member (CD_TYPE_TICKET, "wings", good, &value3, &error));
  g_assert_error (error, CD_CODEC_ERROR, CD_CODEC_ERROR_UNKNOWN_FIELD);
}

static void
test_kinds (void)
{
  cd_model_init ();
  g_assert_true (cd_record_type_from_kind ("ticket") == CD_TYPE_TICKET);
  g_assert_true (cd_record_type_from_kind ("crew") == CD_TYPE_CREW);
  g_assert_true (cd_record_type_from_kind ("callback") == CD_TYPE_CALLBACK);
  g_assert_true (cd_record_type_from_kind ("assignment_event") == CD_TYPE_ASSIGNMENT_EVENT);
  g_assert_true (cd_record_type_from_kind ("user") == CD_TYPE_USER);
  g_assert_true (cd_record_type_from_kind ("sla_policy") == CD_TYPE_SLA_POLICY);
  g_assert_true (cd_record_type_from_kind ("weather") == G_TYPE_INVALID);
}

static void
test_callback_rules (void)
{
  g_autoptr(CdCallback) cb = make_callback ();

  g_assert_cmpuint (cd_callback_count_failed_attempts (cb), ==, 1);
  g_assert_true (cd_callback_needs_second_handling (cb));
  g_object_set (cb, "satisfaction", CD_SATISFACTION_SATISFIED, "solved", TRUE, NULL);
  g_assert_false (cd_callback_needs_second_handling (cb));
  g_object_set (cb, "satisfaction", CD_SATISFACTION_NEUTRAL, "solved", FALSE, NULL);
  g_assert_true (cd_callback_needs_second_handling (cb));
}

static void
test_strict_json (void)
{
  const char *good[] = {
    "{}", "[]", "0", "-0.5e+10", "\"a\\u00e9\\n\"", " {\"a\" : [true, false, null, 1, \"x\"]} ",
    "{\"nested\":{\"a\":[{}]}}", "\"王芳\"",
  };
  const char *bad[] = {
    "{'a': 1}",                    /* single quotes */
    "{\"a\": 1} /* note */",       /* comments */
    "{\"a\": 0x10}",               /* hex */
    "{\"a\": 1} {\"a\": 2}",       /* a second document */
    "[1, 2,]",                     /* trailing comma */
    "{\"a\": 01}",                 /* leading zero */
    "{\"a\": 1.}",                 /* no fraction digits */
    "{\"a\": NaN}",
    "{\"a\": Infinity}",
    "\"tab\there\"",               /* raw control character */
    "\"\\x41\"",                   /* unknown escape */
    "\"\\u12\"",                   /* short unicode escape */
    "\"open",
    "{\"a\" 1}",
    "tru",
    "\xc3\x28",                    /* invalid UTF-8 */
  };

  for (guint i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(JsonNode) node = cd_json_parse (good[i], -1, CD_JSON_MAX_BYTES, CD_JSON_MAX_DEPTH, &error);

      g_assert_cmpint (cd_json_check_strict (good[i], strlen (good[i])), ==, -1);
      g_assert_no_error (error);
      g_assert_nonnull (node);
    }

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(JsonNode) node = cd_json_parse (bad[i], -1, CD_JSON_MAX_BYTES, CD_JSON_MAX_DEPTH, &error);

      if (node != NULL)
        g_error ("accepted non-standard JSON: %s", bad[i]);
      g_assert_error (error, CD_CODEC_ERROR, CD_CODEC_ERROR_MALFORMED);
    }
}

int
main (int   argc,
      char *argv[])
{
  const struct { const char *name; GType type; } types[] = {
    { "ticket", CD_TYPE_TICKET },
    { "crew", CD_TYPE_CREW },
    { "callback", CD_TYPE_CALLBACK },
    { "sla-policy", CD_TYPE_SLA_POLICY },
    { "assignment-event", CD_TYPE_ASSIGNMENT_EVENT },
    { "user", CD_TYPE_USER },
  };

  g_test_init (&argc, &argv, NULL);
  cd_model_init ();

  for (guint i = 0; i < G_N_ELEMENTS (types); i++)
    {
      g_autofree char *path = g_strdup_printf ("/codec/round-trip/%s", types[i].name);
      g_test_add_data_func (path, GSIZE_TO_POINTER (types[i].type), test_round_trip);
    }

  for (guint i = 0; i < G_N_ELEMENTS (bad_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/codec/bad/%s", bad_cases[i].name);
      g_test_add_data_func (path, &bad_cases[i], test_bad_input);
    }

  g_test_add_func ("/codec/shape", test_json_shape);
  g_test_add_func ("/codec/group-null", test_group_null_when_empty);
  g_test_add_func ("/codec/update-notifies", test_update_notifies);
  g_test_add_func ("/codec/lenient", test_lenient_ignores_unknown);
  g_test_add_func ("/codec/malformed", test_malformed);
  g_test_add_func ("/codec/not-an-object", test_not_an_object);
  g_test_add_func ("/codec/too-deep", test_too_deep_does_not_crash);
  g_test_add_func ("/codec/depth-scan", test_depth_scan);
  g_test_add_func ("/codec/strict-json", test_strict_json);
  g_test_add_func ("/codec/too-large", test_too_large);
  g_test_add_func ("/codec/decode-member", test_decode_member);
  g_test_add_func ("/codec/kinds", test_kinds);
  g_test_add_func ("/codec/callback-rules", test_callback_rules);

  return g_test_run ();
}
