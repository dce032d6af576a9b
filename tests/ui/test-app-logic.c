/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The app's plain functions, without a display. */
#include "config.h"

#include <math.h>

#include "cd-city.h"
#include "cd-conflicts-dialog.h"
#include "cd-format.h"
#include "cd-intake-dialog.h"
#include "cd-login-dialog.h"
#include "cd-model.h"

static void
test_countdown (void)
{
  static const struct {
    gint64      seconds;
    const char *expected;
  } cases[] = {
    { 0, "0 min" },
    { 1, "1 min" },          /* rounded up: not yet due */
    { 59, "1 min" },
    { 60, "1 min" },
    { 61, "2 min" },
    { 45 * 60, "45 min" },
    { 60 * 60, "1 h 00 min" },
    { 2 * 3600 + 5 * 60, "2 h 05 min" },
    { 2 * 3600 + 4 * 60 + 1, "2 h 05 min" },
    { 24 * 3600, "1 d 0 h" },
    { 3 * 86400 + 4 * 3600 + 59 * 60, "3 d 4 h" },
    { -1, "just overdue" },
    { -59, "just overdue" },
    { -60, "overdue 1 min" },
    { -119, "overdue 1 min" },  /* rounded down: overdue by whole minutes */
    { -(90 * 60), "overdue 1 h 30 min" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *text = cd_format_countdown (cases[i].seconds);

      g_test_message ("%lld s", (long long) cases[i].seconds);
      g_assert_cmpstr (text, ==, cases[i].expected);
    }
}

/* Every value of every enum has its own words (a missing case would fall
 * through to "Unknown"). */
static void
test_enum_words (void)
{
  static const struct {
    GType        (*type) (void);
    const char *(*format) (int);
  } enums[] = {
    { cd_utility_get_type, (const char *(*) (int)) cd_format_utility },
    { cd_category_get_type, (const char *(*) (int)) cd_format_category },
    { cd_urgency_get_type, (const char *(*) (int)) cd_format_urgency },
    { cd_channel_get_type, (const char *(*) (int)) cd_format_channel },
    { cd_ticket_status_get_type, (const char *(*) (int)) cd_format_ticket_status },
    { cd_crew_status_get_type, (const char *(*) (int)) cd_format_crew_status },
    { cd_role_get_type, (const char *(*) (int)) cd_format_role },
    { cd_sla_kind_get_type, (const char *(*) (int)) cd_format_sla_kind },
    { cd_sla_state_get_type, (const char *(*) (int)) cd_format_sla_state },
  };

  for (guint i = 0; i < G_N_ELEMENTS (enums); i++)
    {
      GEnumClass *klass = g_type_class_ref (enums[i].type ());
      g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

      for (guint v = 0; v < klass->n_values; v++)
        {
          const char *words = enums[i].format (klass->values[v].value);

          g_test_message ("%s", klass->values[v].value_nick);
          g_assert_cmpstr (words, !=, "Unknown");
          g_assert_true (g_hash_table_add (seen, (gpointer) words));
        }
      g_assert_cmpstr (enums[i].format (999), ==, "Unknown");
      g_type_class_unref (klass);
    }
}

static void
test_format_time (void)
{
  g_autoptr(GDateTime) noon = g_date_time_new_local (2026, 11, 23, 12, 0, 0);
  gint64 now = g_date_time_to_unix (noon);
  g_autofree char *today = cd_format_time (now - 3600 * 2 - 60 * 5, now);
  g_autofree char *week = cd_format_time (now - 86400 * 2, now);
  g_autofree char *older = cd_format_time (now - 86400 * 30, now);

  g_assert_cmpstr (today, ==, "09:55");
  g_assert_cmpstr (week, ==, "Sat 12:00");
  g_assert_cmpstr (older, ==, "2026-10-24 12:00");
}

static void
test_server_url (void)
{
  static const struct {
    const char *text;
    const char *expected;  /* NULL: refused */
  } cases[] = {
    { "crewdesk.example.org", "https://crewdesk.example.org" },
    { "  crewdesk.example.org/  ", "https://crewdesk.example.org" },
    { "http://127.0.0.1:8765", "http://127.0.0.1:8765" },
    { "https://dispatch.example.org:8443/", "https://dispatch.example.org:8443" },
    { "HTTPS://Example.org", "HTTPS://Example.org" },
    { "", NULL },
    { "   ", NULL },
    { "ftp://example.org", NULL },
    { "https://", NULL },
    { "https://example.org/?x=1", NULL },
    { "https://example.org/#top", NULL },
    { "not a url at all", NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *url = cd_login_normalize_server_url (cases[i].text, &error);

      g_test_message ("“%s”", cases[i].text);
      if (cases[i].expected != NULL)
        {
          g_assert_no_error (error);
          g_assert_cmpstr (url, ==, cases[i].expected);
        }
      else
        {
          g_assert_null (url);
          g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
          g_assert_cmpstr (error->message, !=, "");
        }
    }
}

static void
test_intake_args (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) args = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *json = NULL;
  JsonObject *customer;
  double south, west, north, east;

  cd_city_get_bounds (cd_city_get_demo (), &south, &west, &north, &east);

  /* A complete form: trimmed, empty optional fields left out, the utility
   * from the category (the utility argument is ignored), the area from
   * the demo city. */
  args = cd_intake_build_args ("  Wang Fang ", "", "A-1001", TRUE, " 12 River Road ",
                               (south + north) / 2, (west + east) / 2,
                               CD_CATEGORY_NO_HEAT, CD_UTILITY_POWER,
                               CD_URGENCY_URGENT, CD_CHANNEL_HOTLINE, "  ", &error);
  g_assert_no_error (error);
  g_assert_nonnull (args);
  customer = json_object_get_object_member (args, "customer");
  g_assert_cmpstr (json_object_get_string_member (customer, "name"), ==, "Wang Fang");
  g_assert_false (json_object_has_member (customer, "phone"));
  g_assert_cmpstr (json_object_get_string_member (customer, "account"), ==, "A-1001");
  g_assert_true (json_object_get_boolean_member (customer, "key"));
  g_assert_cmpstr (json_object_get_string_member (args, "utility"), ==, "heat");
  g_assert_cmpstr (json_object_get_string_member (args, "category"), ==, "no-heat");
  g_assert_cmpstr (json_object_get_string_member (args, "urgency"), ==, "urgent");
  g_assert_cmpstr (json_object_get_string_member (args, "channel"), ==, "hotline");
  g_assert_cmpstr (json_object_get_string_member (args, "address"), ==, "12 River Road");
  g_assert_false (json_object_has_member (args, "description"));
  g_assert_true (json_object_has_member (args, "area"));
  g_assert_true (json_object_has_member (args, "area_class"));

  /* The arguments pass the mutation's own strict decoding. */
  node = json_node_new (JSON_NODE_OBJECT);
  json_node_set_object (node, args);
  json = json_to_string (node, FALSE);
  {
    g_autofree char *text = g_strdup_printf ("{\"id\":\"%s\",\"op\":\"ticket.create\",\"target\":\"%s\",\"args\":%s}",
                                             "6c1f8b4e-2a55-4d1c-9a43-0d9a4f7f0a01",
                                             "0e5f7c2a-1111-4c4c-8a8a-5b5b5b5b5b5b", json);
    g_autoptr(JsonNode) m = json_from_string (text, NULL);
    g_autoptr(CdMutation) mutation = cd_mutation_new_from_json (m, &error);

    g_assert_no_error (error);
    g_assert_nonnull (mutation);
  }

  /* A category both utilities have keeps the chosen one. */
  g_clear_pointer (&args, json_object_unref);
  args = cd_intake_build_args ("Li Lei", "138", NULL, FALSE, "1 Main St", 30, 120,
                               CD_CATEGORY_COMPLAINT, CD_UTILITY_POWER,
                               CD_URGENCY_NORMAL, CD_CHANNEL_WEB, "Rude crew", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (args, "utility"), ==, "power");
  g_assert_cmpstr (json_object_get_string_member (args, "description"), ==, "Rude crew");
  g_assert_false (json_object_has_member (args, "area"));  /* outside the demo city */
}

static void
test_intake_refusals (void)
{
  static const struct {
    const char *name;
    const char *address;
    double      lat, lon;
    const char *says;
  } cases[] = {
    { "", "1 Main St", 30, 120, "name" },
    { " \t", "1 Main St", 30, 120, "name" },
    { NULL, "1 Main St", 30, 120, "name" },
    { "Li", "", 30, 120, "address" },
    { "Li", "1 Main St", NAN, NAN, "map" },
    { "Li", "1 Main St", 91, 120, "map" },
    { "Li", "1 Main St", 30, -181, "map" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(JsonObject) args = NULL;

      args = cd_intake_build_args (cases[i].name, NULL, NULL, FALSE, cases[i].address,
                                   cases[i].lat, cases[i].lon, CD_CATEGORY_LEAK, CD_UTILITY_HEAT,
                                   CD_URGENCY_NORMAL, CD_CHANNEL_HOTLINE, NULL, &error);
      g_test_message ("case %u", i);
      g_assert_null (args);
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
      g_assert_nonnull (strstr (error->message, cases[i].says));
    }
}

static void
test_conflict_words (void)
{
  CdStoreConflict conflict = { 0 };
  g_autofree char *assign = NULL;
  g_autofree char *unassign = NULL;
  g_autofree char *status = NULL;
  g_autofree char *unknown = NULL;
  g_autofree char *broken = NULL;
  g_autofree char *changes = NULL;
  g_autofree char *same = NULL;

  conflict.target = (char *) "t-1";
  conflict.current = (char *) "{\"number\":\"HT-0042\",\"status\":\"on-site\",\"version\":4}";
  conflict.mine = (char *) "{\"number\":\"HT-0042\",\"status\":\"assigned\",\"version\":3}";

  conflict.mutation = (char *) "{\"op\":\"ticket.assign\",\"target\":\"t-1\",\"args\":{\"crew_id\":\"c-7\"}}";
  assign = cd_conflict_describe (NULL, &conflict);
  g_assert_cmpstr (assign, ==, "Assign HT-0042 to c-7");

  conflict.mutation = (char *) "{\"op\":\"ticket.assign\",\"target\":\"t-1\",\"args\":{\"crew_id\":null}}";
  unassign = cd_conflict_describe (NULL, &conflict);
  g_assert_cmpstr (unassign, ==, "Unassign HT-0042");

  conflict.mutation = (char *) "{\"op\":\"ticket.set_status\",\"target\":\"t-1\",\"args\":{\"status\":\"en-route\"}}";
  status = cd_conflict_describe (NULL, &conflict);
  g_assert_cmpstr (status, ==, "Set HT-0042 to “En route”");

  conflict.mutation = (char *) "{\"op\":\"crew.teleport\",\"target\":\"t-1\"}";
  unknown = cd_conflict_describe (NULL, &conflict);
  g_assert_cmpstr (unknown, ==, "Change “crew.teleport”");

  conflict.mutation = (char *) "not json";
  broken = cd_conflict_describe (NULL, &conflict);
  g_assert_cmpstr (broken, ==, "An unreadable change");

  /* Only what differs, and not the version bookkeeping. */
  changes = cd_conflict_describe_changes (conflict.mine, conflict.current);
  g_assert_cmpstr (changes, ==, "status: assigned → on-site");
  same = cd_conflict_describe_changes (conflict.mine, conflict.mine);
  g_assert_cmpstr (same, ==, "");
  g_assert_null (cd_conflict_describe_changes (NULL, conflict.current));
  g_assert_null (cd_conflict_describe_changes ("[1]", conflict.current));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  cd_model_init ();

  g_test_add_func ("/app/format/countdown", test_countdown);
  g_test_add_func ("/app/format/enum-words", test_enum_words);
  g_test_add_func ("/app/format/time", test_format_time);
  g_test_add_func ("/app/login/server-url", test_server_url);
  g_test_add_func ("/app/intake/args", test_intake_args);
  g_test_add_func ("/app/intake/refusals", test_intake_refusals);
  g_test_add_func ("/app/conflicts/words", test_conflict_words);

  return g_test_run ();
}
