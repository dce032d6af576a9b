/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-server-areas.c: what intake derives when a report leaves it out:
 * the service area and its class from the position (the demo city's
 * districts, or polygons from a file), the skills from the category. */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "cd-city.h"
#include "cd-model.h"
#include "cd-test-server.h"

static JsonObject *
intake (CdTestServer *server,
        const char   *token,
        const char   *body)
{
  g_autoptr(CdTestReply) reply = cd_test_request (server, "POST", "/api/v1/tickets", token, body);
  JsonObject *ticket;

  if (reply->status != 201)
    g_error ("intake: %u %s", reply->status, reply->body);
  ticket = json_object_get_object_member (cd_test_reply_object (reply), "ticket");
  g_assert_nonnull (ticket);
  return json_object_ref (ticket);
}

/* A report without area, area_class or skills, unless @extra adds them. */
static char *
report (const char *category,
        const char *urgency,
        const char *utility,
        double      lat,
        double      lon,
        const char *extra)
{
  static guint n;
  char lat_text[G_ASCII_DTOSTR_BUF_SIZE], lon_text[G_ASCII_DTOSTR_BUF_SIZE];

  /* Far apart addresses: no report repeats another. */
  return g_strdup_printf ("{\"channel\":\"hotline\",\"category\":\"%s\",\"urgency\":\"%s\",\"utility\":\"%s\","
                          "\"customer\":{\"name\":\"Wang Fang\",\"phone\":\"+86 10 5555 0101\"},"
                          "\"address\":\"%u Test Road\",\"lat\":%s,\"lon\":%s%s%s}",
                          category, urgency, utility, ++n,
                          g_ascii_formatd (lat_text, sizeof lat_text, "%.7f", lat),
                          g_ascii_formatd (lon_text, sizeof lon_text, "%.7f", lon),
                          extra ? "," : "", extra ? extra : "");
}

static char *
skills_text (JsonObject *ticket)
{
  JsonNode *node = json_object_get_member (ticket, "skills");
  g_autoptr(GString) s = g_string_new (NULL);

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return g_strdup ("null");
  for (guint i = 0; i < json_array_get_length (json_node_get_array (node)); i++)
    g_string_append_printf (s, "%s%s", i ? "," : "", json_array_get_string_element (json_node_get_array (node), i));
  return g_string_free (g_steal_pointer (&s), FALSE);
}

static char *
rule_text (CdCategory category,
           CdUtility  utility,
           CdUrgency  urgency)
{
  g_auto(GStrv) skills = cd_city_category_skills (category, utility, urgency);

  return skills ? g_strjoinv (",", skills) : g_strdup ("null");
}

static const char *
nullable_string (JsonObject *o,
                 const char *member)
{
  return json_object_get_null_member (o, member) ? NULL : json_object_get_string_member (o, member);
}

/* Every district of the demo city: a report at its label gets its id and
 * class, and the time limit of that class (45, 90, 120 minutes on site). */
static void
test_demo_districts (void)
{
  g_autoptr(CdTestServer) server = cd_test_server_start ("[intake]\nservice-areas=demo\n", FALSE);
  g_autofree char *token = cd_test_add_and_login (server, "areas-d", "dispatcher", NULL);
  CdCity *city = cd_city_get_demo ();
  guint n = cd_city_get_n_districts (city);

  g_assert_cmpuint (n, >, 0);
  for (guint i = 0; i < n; i++)
    {
      const CdCityDistrict *d = cd_city_get_district (city, i);
      CdUtility utility = (d->utilities & (1u << CD_UTILITY_POWER)) ? CD_UTILITY_POWER : CD_UTILITY_HEAT;
      const char *category = utility == CD_UTILITY_POWER ? "power-outage" : "burst-pipe";
      g_autofree char *body = report (category, "emergency", cd_enum_to_nick (CD_TYPE_UTILITY, utility),
                                      d->label.lat, d->label.lon, NULL);
      g_autoptr(JsonObject) ticket = intake (server, token, body);
      g_autofree char *skills = skills_text (ticket);
      g_autofree char *expected = rule_text (utility == CD_UTILITY_POWER ? CD_CATEGORY_POWER_OUTAGE
                                                                        : CD_CATEGORY_BURST_PIPE,
                                             utility, CD_URGENCY_EMERGENCY);
      JsonObject *sla = json_object_get_object_member (ticket, "sla");
      gint64 on_site = d->area_class == CD_AREA_CLASS_URBAN ? 45 : d->area_class == CD_AREA_CLASS_RURAL ? 90 : 120;

      g_test_message ("%s (%s): %s", d->id, cd_enum_to_nick (CD_TYPE_AREA_CLASS, d->area_class), skills);
      g_assert_cmpstr (nullable_string (ticket, "area"), ==, d->id);
      g_assert_cmpstr (json_object_get_string_member (ticket, "area_class"), ==,
                       cd_enum_to_nick (CD_TYPE_AREA_CLASS, d->area_class));
      g_assert_cmpstr (skills, ==, expected);
      g_assert_cmpint (json_object_get_int_member (sla, "on_site_min"), ==, on_site);
    }
}

/* What a report sends is kept, even when the server would say otherwise. */
static void
test_sent_values_kept (void)
{
  g_autoptr(CdTestServer) server = cd_test_server_start ("[intake]\nservice-areas=demo\n", FALSE);
  g_autofree char *token = cd_test_add_and_login (server, "areas-k", "dispatcher", NULL);
  CdCity *city = cd_city_get_demo ();
  const CdCityDistrict *urban = NULL, *other = NULL;

  for (guint i = 0; i < cd_city_get_n_districts (city); i++)
    {
      const CdCityDistrict *d = cd_city_get_district (city, i);

      if (urban == NULL && d->area_class == CD_AREA_CLASS_URBAN)
        urban = d;
      else if (other == NULL && d->area_class != CD_AREA_CLASS_URBAN)
        other = d;
    }
  g_assert_nonnull (urban);
  g_assert_nonnull (other);

  /* area_class and skills sent: kept as they are. */
  {
    g_autofree char *body = report ("leak", "urgent", "heat", urban->label.lat, urban->label.lon,
                                    "\"area_class\":\"remote\",\"skills\":[\"welding\"]");
    g_autoptr(JsonObject) ticket = intake (server, token, body);
    g_autofree char *skills = skills_text (ticket);

    g_assert_cmpstr (nullable_string (ticket, "area"), ==, urban->id);
    g_assert_cmpstr (json_object_get_string_member (ticket, "area_class"), ==, "remote");
    g_assert_cmpstr (skills, ==, "welding");
  }
  /* An empty list of skills is an answer too. */
  {
    g_autofree char *body = report ("leak", "urgent", "heat", urban->label.lat, urban->label.lon, "\"skills\":[]");
    g_autoptr(JsonObject) ticket = intake (server, token, body);
    JsonNode *skills = json_object_get_member (ticket, "skills");

    g_assert_true (skills == NULL || JSON_NODE_HOLDS_NULL (skills) ||
                   json_array_get_length (json_node_get_array (skills)) == 0);
  }
  /* An area named (another district than where the point is): kept, and
   * the class is the named area's. */
  {
    g_autofree char *extra = g_strdup_printf ("\"area\":\"%s\"", other->id);
    g_autofree char *body = report ("no-heat", "urgent", "heat", urban->label.lat, urban->label.lon, extra);
    g_autoptr(JsonObject) ticket = intake (server, token, body);

    g_assert_cmpstr (nullable_string (ticket, "area"), ==, other->id);
    g_assert_cmpstr (json_object_get_string_member (ticket, "area_class"), ==,
                     cd_enum_to_nick (CD_TYPE_AREA_CLASS, other->area_class));
  }
  /* An area the server does not know: kept, with the class of where the
   * point lies. */
  {
    g_autofree char *body = report ("no-power", "urgent", "power", other->label.lat, other->label.lon,
                                    "\"area\":\"harbour\"");
    g_autoptr(JsonObject) ticket = intake (server, token, body);

    g_assert_cmpstr (nullable_string (ticket, "area"), ==, "harbour");
    g_assert_cmpstr (json_object_get_string_member (ticket, "area_class"), ==,
                     cd_enum_to_nick (CD_TYPE_AREA_CLASS, other->area_class));
  }
  /* Office work needs no skills; outside every district, no area. */
  {
    g_autofree char *body = report ("billing", "normal", "power", 10.0, 10.0, NULL);
    g_autoptr(JsonObject) ticket = intake (server, token, body);
    g_autofree char *skills = skills_text (ticket);
    JsonNode *area = json_object_get_member (ticket, "area");

    g_assert_true (area == NULL || JSON_NODE_HOLDS_NULL (area));
    g_assert_true (g_str_equal (skills, "null") || g_str_equal (skills, ""));
  }
}

/* Without service areas the server derives no area, but still the skills. */
static void
test_no_areas (void)
{
  g_autoptr(CdTestServer) server = cd_test_server_start (NULL, FALSE);
  g_autofree char *token = cd_test_add_and_login (server, "areas-n", "dispatcher", NULL);
  const CdCityDistrict *d = cd_city_get_district (cd_city_get_demo (), 0);
  g_autofree char *body = report ("meter", "normal", "power", d->label.lat, d->label.lon, NULL);
  g_autoptr(JsonObject) ticket = intake (server, token, body);
  g_autofree char *skills = skills_text (ticket);
  g_autofree char *expected = rule_text (CD_CATEGORY_METER, CD_UTILITY_POWER, CD_URGENCY_NORMAL);
  JsonNode *area = json_object_get_member (ticket, "area");

  g_assert_true (area == NULL || JSON_NODE_HOLDS_NULL (area));
  g_assert_cmpstr (skills, ==, expected);
  g_assert_cmpstr (skills, ==, "meter");
}

/* Polygons from the administrator's file; overlapping: the first wins. */
static void
test_areas_file (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("crewdesk-areas-XXXXXX", &error);
  g_autofree char *path = g_build_filename (dir, "areas.json", NULL);
  g_autofree char *config = NULL;
  g_autoptr(CdTestServer) server = NULL;
  g_autofree char *token = NULL;

  g_assert_no_error (error);
  g_file_set_contents (path,
                       "{\"areas\":["
                       "{\"id\":\"north-farms\",\"area_class\":\"rural\","
                       "\"polygon\":[[40.0,116.0],[40.0,116.2],[40.2,116.2],[40.2,116.0]]},"
                       "{\"id\":\"big-square\",\"area_class\":\"remote\","
                       "\"polygon\":[[39.5,115.5],[39.5,116.5],[40.5,116.5],[40.5,115.5],[39.5,115.5]]}]}",
                       -1, &error);
  g_assert_no_error (error);
  config = g_strdup_printf ("[intake]\nservice-areas=%s\n", path);
  server = cd_test_server_start (config, FALSE);
  token = cd_test_add_and_login (server, "areas-f", "dispatcher", NULL);

  {
    g_autofree char *body = report ("leak", "urgent", "heat", 40.1, 116.1, NULL);
    g_autoptr(JsonObject) ticket = intake (server, token, body);

    g_assert_cmpstr (nullable_string (ticket, "area"), ==, "north-farms");
    g_assert_cmpstr (json_object_get_string_member (ticket, "area_class"), ==, "rural");
  }
  {
    g_autofree char *body = report ("leak", "urgent", "heat", 39.7, 115.7, NULL);
    g_autoptr(JsonObject) ticket = intake (server, token, body);

    g_assert_cmpstr (nullable_string (ticket, "area"), ==, "big-square");
    g_assert_cmpstr (json_object_get_string_member (ticket, "area_class"), ==, "remote");
  }

  g_unlink (path);
  g_rmdir (dir);
}

/* A broken file stops the server at start, saying what is wrong. */
static void
test_areas_file_broken (void)
{
  static const char * const files[] = {
    "not json",
    "{\"areas\":[]}",
    "{\"areas\":[{\"id\":\"a\",\"area_class\":\"suburban\",\"polygon\":[[1,1],[1,2],[2,2]]}]}",
    "{\"areas\":[{\"id\":\"a\",\"area_class\":\"rural\",\"polygon\":[[1,1],[1,2]]}]}",
    "{\"areas\":[{\"id\":\"a\",\"area_class\":\"rural\",\"polygon\":[[1,1],[1,2],[91,2]]}]}",
    "{\"areas\":[{\"id\":\"a\",\"area_class\":\"rural\",\"polygon\":[[1,1],[1,2],[2,2]]},"
    "{\"id\":\"a\",\"area_class\":\"urban\",\"polygon\":[[1,1],[1,2],[2,2]]}]}",
  };
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("crewdesk-areas-XXXXXX", &error);
  g_autofree char *path = g_build_filename (dir, "areas.json", NULL);
  g_autofree char *conf = g_build_filename (dir, "server.conf", NULL);
  g_autofree char *db = g_build_filename (dir, "server.db", NULL);
  g_autofree char *conf_text = g_strdup_printf ("[intake]\nservice-areas=%s\n", path);

  g_assert_no_error (error);
  g_file_set_contents (conf, conf_text, -1, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autoptr(GSubprocess) p = NULL;
      g_autofree char *err = NULL;

      g_file_set_contents (path, files[i], -1, &error);
      g_assert_no_error (error);
      p = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_PIPE, &error,
                            g_getenv ("CREWDESK_SERVER_BIN"), "--listen", "127.0.0.1:0", "--db", db,
                            "--config", conf, NULL);
      g_assert_no_error (error);
      g_subprocess_communicate_utf8 (p, NULL, NULL, NULL, &err, &error);
      g_assert_no_error (error);
      g_test_message ("%s -> %s", files[i], err);
      g_assert_false (g_subprocess_get_successful (p));
      g_assert_nonnull (strstr (err, "service areas"));
    }

  g_unlink (path);
  g_unlink (conf);
  g_unlink (db);
  {
    g_autofree char *wal = g_strconcat (db, "-wal", NULL);
    g_autofree char *shm = g_strconcat (db, "-shm", NULL);

    g_unlink (wal);
    g_unlink (shm);
  }
  g_rmdir (dir);
}

int
main (int   argc,
      char *argv[])
{
  cd_test_init (&argc, &argv);
  cd_model_init ();

  g_test_add_func ("/server/areas/demo-districts", test_demo_districts);
  g_test_add_func ("/server/areas/sent-values-kept", test_sent_values_kept);
  g_test_add_func ("/server/areas/no-areas", test_no_areas);
  g_test_add_func ("/server/areas/file", test_areas_file);
  g_test_add_func ("/server/areas/file-broken", test_areas_file_broken);

  return g_test_run ();
}
