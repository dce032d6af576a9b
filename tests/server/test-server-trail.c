/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-server-trail.c: crews' positions. Trails, GET
 * /api/v1/crews/{id}/trail: bounded in time and points, in time order,
 * kept across a restart, outside the change log; who may read them; bad
 * requests. The latest positions, GET /api/v1/positions: at once after a
 * report, flushed or not, across a restart; who may read them. */
#include "config.h"

#include <math.h>
#include <signal.h>
#include <string.h>

#include "cd-model.h"
#include "cd-store.h"
#include "cd-test-server.h"

/* A six-second window of at most three points: one point per two seconds. */
#define WINDOW 6
#define POINTS 3

static CdTestServer *server;
static char *crew;
static char *other_crew;
static char *device;
static char *dispatcher;
static char *admin;

static void
report (const char *token,
        const char *crew_id,
        double      lat)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/crews/%s/position", crew_id);
  g_autofree char *body = g_strdup_printf ("{\"lat\":%.6f,\"lon\":116.4,\"heading\":90,\"speed_kmh\":30}", lat);
  g_autoptr(CdTestReply) reply = cd_test_request (server, "POST", path, token, body);

  if (reply->status != 200)
    g_error ("position report: %u %s", reply->status, reply->body);
}

static CdTestReply *
get_trail (const char *token,
           const char *crew_id,
           const char *query)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/crews/%s/trail%s", crew_id, query ? query : "");

  return cd_test_request (server, "GET", path, token, NULL);
}

static gint64
point_time (JsonObject *point)
{
  g_autoptr(GDateTime) at = g_date_time_new_from_iso8601 (json_object_get_string_member (point, "at"), NULL);

  g_assert_nonnull (at);
  return g_date_time_to_unix (at);
}

/* The points of a 200 reply, checked: in time order, spaced by at least
 * WINDOW / POINTS seconds, at most POINTS, none older than the window
 * before @asked (our clock before the request: the server's is later). */
static JsonArray *
checked_points (CdTestReply *reply,
                gint64       asked)
{
  JsonObject *o;
  JsonArray *points;
  gint64 previous = 0;

  if (reply->status != 200)
    g_error ("trail: %u %s", reply->status, reply->body);
  o = cd_test_reply_object (reply);
  g_assert_cmpstr (json_object_get_string_member (o, "crew_id"), ==, crew);
  g_assert_cmpint (json_object_get_int_member (o, "window_seconds"), ==, WINDOW);
  g_assert_cmpint (json_object_get_int_member (o, "max_points"), ==, POINTS);
  points = json_object_get_array_member (o, "points");
  g_assert_nonnull (points);
  g_assert_cmpuint (json_array_get_length (points), <=, POINTS);

  for (guint i = 0; i < json_array_get_length (points); i++)
    {
      JsonObject *p = json_array_get_object_element (points, i);
      gint64 at = point_time (p);

      g_assert_cmpfloat (json_object_get_double_member (p, "lon"), ==, 116.4);
      g_assert_cmpfloat (json_object_get_double_member (p, "heading"), ==, 90);
      g_assert_cmpfloat (json_object_get_double_member (p, "speed_kmh"), ==, 30);
      g_assert_cmpint (at, >, asked - WINDOW);
      if (i > 0)
        g_assert_cmpint (at - previous, >=, WINDOW / POINTS);
      previous = at;
    }

  return points;
}

static void
test_bounds_and_order (void)
{
  g_autoptr(CdTestReply) reply = NULL;
  g_autoptr(CdTestReply) again = NULL;
  gint64 rev_before, rev_after, asked;
  JsonArray *points;
  double last_lat = 0;
  guint n;

  rev_before = cd_test_metric (server, admin, "crewdesk_revision");

  /* Ten seconds of reports, two a second, each further north. */
  for (guint i = 0; i < 20; i++)
    {
      last_lat = 39.90 + i * 0.001;
      report (device, crew, last_lat);
      g_usleep (500 * 1000);
    }

  asked = g_get_real_time () / G_USEC_PER_SEC;
  reply = get_trail (dispatcher, crew, NULL);
  points = checked_points (reply, asked);
  n = json_array_get_length (points);
  /* Ten seconds of reports fill the window. */
  g_assert_cmpuint (n, >=, 2);

  /* Every point is a report, in the order they were sent. */
  for (guint i = 0; i < n; i++)
    {
      double lat = json_object_get_double_member (json_array_get_object_element (points, i), "lat");
      double steps = (lat - 39.90) / 0.001;

      g_assert_cmpfloat (fabs (steps - round (steps)), <, 1e-6);
      g_assert_cmpfloat (lat, <=, last_lat + 1e-9);
      if (i > 0)
        g_assert_cmpfloat (lat, >, json_object_get_double_member (json_array_get_object_element (points, i - 1),
                                                                  "lat"));
    }

  /* since: only what came after it. */
  if (n >= 2)
    {
      gint64 first = point_time (json_array_get_object_element (points, 0));
      g_autofree char *query = g_strdup_printf ("?since=%" G_GINT64_FORMAT, first);
      g_autoptr(CdTestReply) later = get_trail (dispatcher, crew, query);
      JsonArray *rest = checked_points (later, asked);

      g_assert_cmpuint (json_array_get_length (rest), >=, 1);
      for (guint i = 0; i < json_array_get_length (rest); i++)
        g_assert_cmpint (point_time (json_array_get_object_element (rest, i)), >, first);
    }

  /* Positions are not changes: no revision was taken. */
  rev_after = cd_test_metric (server, admin, "crewdesk_revision");
  g_assert_cmpint (rev_after, ==, rev_before);

  /* Another crew's trail is its own: empty, it never reported. */
  {
    g_autoptr(CdTestReply) empty = get_trail (dispatcher, other_crew, NULL);

    g_assert_cmpuint (empty->status, ==, 200);
    g_assert_cmpuint (json_array_get_length (json_object_get_array_member (cd_test_reply_object (empty), "points")),
                      ==, 0);
  }

  /* A restart keeps the trail (written with the positions); sessions
   * survive it too. */
  cd_test_server_restart (server);
  again = get_trail (dispatcher, crew, NULL);
  {
    JsonArray *kept = checked_points (again, asked);

    /* What has not aged out since is still there, the same points. */
    for (guint i = 0; i < json_array_get_length (kept); i++)
      {
        JsonObject *p = json_array_get_object_element (kept, i);
        gboolean found = FALSE;

        for (guint j = 0; j < n; j++)
          if (point_time (json_array_get_object_element (points, j)) == point_time (p))
            found = json_object_get_double_member (json_array_get_object_element (points, j), "lat") ==
                    json_object_get_double_member (p, "lat");
        g_assert_true (found);
      }
  }

  /* A crew that stops reporting: its trail ages out of the window. */
  g_usleep ((WINDOW + 2) * G_USEC_PER_SEC);
  {
    g_autoptr(CdTestReply) aged = get_trail (dispatcher, crew, NULL);

    g_assert_cmpuint (aged->status, ==, 200);
    g_assert_cmpuint (json_array_get_length (json_object_get_array_member (cd_test_reply_object (aged), "points")),
                      ==, 0);
  }
}

/* The store holds no more than the bounds either. */
static void
test_store_bounded (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CdStore) store = NULL;
  g_autoptr(GPtrArray) points = NULL;

  for (guint i = 0; i < 16; i++)
    {
      report (device, crew, 40.0 + i * 0.001);
      g_usleep (500 * 1000);
    }
  /* SIGTERM: the flusher writes what it holds, then the server stops. */
  cd_test_server_kill (server, SIGTERM);

  store = cd_store_open (server->db_path, &error);
  g_assert_no_error (error);
  points = cd_store_list_trail_points (store, crew, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (points->len, >=, 2);
  g_assert_cmpuint (points->len, <=, POINTS);
  for (guint i = 1; i < points->len; i++)
    g_assert_cmpint (((CdTrailPoint *) g_ptr_array_index (points, i))->at, >,
                     ((CdTrailPoint *) g_ptr_array_index (points, i - 1))->at);
  g_clear_object (&store);

  cd_test_server_launch (server);
}

static void
test_roles (void)
{
  static const struct { const char *role; guint status; } cases[] = {
    { "dispatcher", 200 },
    { "supervisor", 200 },
    { "manager", 200 },
    { "admin", 200 },
    { "callback-agent", 403 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *name = g_strdup_printf ("trail-role-%u", i);
      g_autofree char *token = cd_test_add_and_login (server, name, cases[i].role, NULL);
      g_autoptr(CdTestReply) reply = get_trail (token, crew, NULL);

      g_test_message ("%s: %u", cases[i].role, reply->status);
      g_assert_cmpuint (reply->status, ==, cases[i].status);
      if (cases[i].status == 403)
        g_assert_cmpstr (cd_test_reply_error_code (reply), ==, "forbidden");
    }

  /* A crew device, even for its own crew. */
  {
    g_autoptr(CdTestReply) own = get_trail (device, crew, NULL);

    g_assert_cmpuint (own->status, ==, 403);
  }
  /* Without a token. */
  {
    g_autoptr(CdTestReply) anonymous = get_trail (NULL, crew, NULL);

    g_assert_cmpuint (anonymous->status, ==, 401);
  }
}

/* The position of @crew_id in a GET /api/v1/positions reply (checked
 * whole: sorted by crew, every member there), or NULL. */
static JsonObject *
latest_of (CdTestReply *reply,
           const char  *crew_id)
{
  JsonObject *o, *found = NULL;
  JsonArray *list;
  const char *previous = "";
  gint64 at = 0;

  if (reply->status != 200)
    g_error ("positions: %u %s", reply->status, reply->body);
  o = cd_test_reply_object (reply);
  g_assert_true (cd_json_parse_time (json_object_get_string_member (o, "at"), &at));
  list = json_object_get_array_member (o, "positions");
  g_assert_nonnull (list);
  for (guint i = 0; i < json_array_get_length (list); i++)
    {
      JsonObject *p = json_array_get_object_element (list, i);
      const char *id = json_object_get_string_member (p, "crew_id");

      g_assert_cmpstr (id, >, previous);
      previous = id;
      g_assert_true (json_object_has_member (p, "lat") && json_object_has_member (p, "lon") &&
                     json_object_has_member (p, "heading") && json_object_has_member (p, "speed_kmh"));
      g_assert_cmpint (point_time (p), <=, at);
      if (strcmp (id, crew_id) == 0)
        found = p;
    }

  return found;
}

static JsonObject *
expect_latest (CdTestReply *reply,
               const char  *crew_id,
               double       lat)
{
  JsonObject *p = latest_of (reply, crew_id);

  if (p == NULL)
    g_error ("crew %s is missing from %s", crew_id, reply->body);
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (p, "lat"), lat, 1e-6);
  return p;
}

static void
test_latest (void)
{
  static const struct { const char *role; guint status; } cases[] = {
    { "dispatcher", 200 }, { "supervisor", 200 }, { "callback-agent", 200 },
    { "manager", 200 }, { "admin", 200 },
  };

  /* Right after a report, before the once-a-second flush has stored it. */
  report (device, crew, 39.9731);
  {
    g_autoptr(CdTestReply) reply = cd_test_request (server, "GET", "/api/v1/positions", dispatcher, NULL);
    JsonObject *p = expect_latest (reply, crew, 39.9731);

    g_assert_cmpfloat (json_object_get_double_member (p, "lon"), ==, 116.4);
    g_assert_cmpfloat (json_object_get_double_member (p, "heading"), ==, 90);
    g_assert_cmpfloat (json_object_get_double_member (p, "speed_kmh"), ==, 30);
    /* A crew that never reported is where it was placed. */
    expect_latest (reply, other_crew, 39.915);
  }

  /* Once stored, and after a restart. */
  g_usleep (2 * G_USEC_PER_SEC);
  {
    g_autoptr(CdTestReply) reply = cd_test_request (server, "GET", "/api/v1/positions", dispatcher, NULL);

    expect_latest (reply, crew, 39.9731);
  }
  cd_test_server_kill (server, SIGTERM);
  cd_test_server_restart (server);
  {
    g_autoptr(CdTestReply) reply = cd_test_request (server, "GET", "/api/v1/positions", dispatcher, NULL);

    expect_latest (reply, crew, 39.9731);
  }

  /* Many reports in a row: the last one shows, never an older one. */
  for (guint i = 1; i <= 20; i++)
    {
      g_autoptr(CdTestReply) reply = NULL;

      report (device, crew, 39.98 + i * 0.0001);
      reply = cd_test_request (server, "GET", "/api/v1/positions", admin, NULL);
      expect_latest (reply, crew, 39.98 + i * 0.0001);
    }

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *name = g_strdup_printf ("latest-role-%u", i);
      g_autofree char *token = cd_test_add_and_login (server, name, cases[i].role, NULL);
      g_autoptr(CdTestReply) reply = cd_test_request (server, "GET", "/api/v1/positions", token, NULL);

      g_assert_cmpuint (reply->status, ==, cases[i].status);
    }
  {
    g_autoptr(CdTestReply) own = cd_test_request (server, "GET", "/api/v1/positions", device, NULL);
    g_autoptr(CdTestReply) anonymous = cd_test_request (server, "GET", "/api/v1/positions", NULL, NULL);

    g_assert_cmpuint (own->status, ==, 403);
    g_assert_cmpuint (anonymous->status, ==, 401);
  }
}

static void
test_bad_requests (void)
{
  static const char * const bad_since[] = {
    "?since=abc", "?since=-5", "?since=1.5", "?since=", "?since=99999999999999999999",
    "?since=253402300800", "?since=0x10",
  };
  g_autofree char *unknown = g_uuid_string_random ();

  /* An unknown crew, by UUID or not. */
  {
    g_autoptr(CdTestReply) reply = get_trail (dispatcher, unknown, NULL);

    g_assert_cmpuint (reply->status, ==, 404);
    g_assert_cmpstr (cd_test_reply_error_code (reply), ==, "not-found");
  }
  {
    g_autoptr(CdTestReply) reply = get_trail (dispatcher, "crew-7", NULL);

    g_assert_cmpuint (reply->status, ==, 404);
    g_assert_cmpstr (cd_test_reply_error_code (reply), ==, "not-found");
  }

  for (guint i = 0; i < G_N_ELEMENTS (bad_since); i++)
    {
      g_autoptr(CdTestReply) reply = get_trail (dispatcher, crew, bad_since[i]);

      g_test_message ("%s: %u %s", bad_since[i], reply->status, reply->body);
      g_assert_cmpuint (reply->status, ==, 400);
      g_assert_cmpstr (cd_test_reply_error_code (reply), ==, "bad-parameter");
      g_assert_nonnull (strstr (json_object_get_string_member (json_object_get_object_member (
                                  cd_test_reply_object (reply), "error"), "message"), "since"));
    }

  /* The trail takes GET only. */
  {
    g_autofree char *path = g_strdup_printf ("/api/v1/crews/%s/trail", crew);
    g_autoptr(CdTestReply) reply = cd_test_request (server, "POST", path, dispatcher, "{}");

    g_assert_cmpuint (reply->status, ==, 405);
  }
}

int
main (int   argc,
      char *argv[])
{
  static const char * const skills[] = { "radiator", NULL };
  int ret;

  cd_test_init (&argc, &argv);
  cd_model_init ();

  server = cd_test_server_new ("[positions]\ntrail-window=6\ntrail-points=3\n");
  crew = cd_test_store_add_crew (server, "Heat 1", CD_UTILITY_HEAT, skills, 3, 39.905, 116.405);
  other_crew = cd_test_store_add_crew (server, "Heat 2", CD_UTILITY_HEAT, skills, 3, 39.915, 116.395);
  cd_test_server_launch (server);
  dispatcher = cd_test_add_and_login (server, "trail-dispatcher", "dispatcher", NULL);
  admin = cd_test_add_and_login (server, "trail-admin", "admin", NULL);
  device = cd_test_add_and_login (server, "trail-device", "crew-device", crew);

  g_test_add_func ("/server/trail/bounds-and-order", test_bounds_and_order);
  g_test_add_func ("/server/trail/store-bounded", test_store_bounded);
  g_test_add_func ("/server/trail/roles", test_roles);
  g_test_add_func ("/server/trail/bad-requests", test_bad_requests);
  g_test_add_func ("/server/positions/latest", test_latest);

  ret = g_test_run ();

  cd_test_server_free (server);
  g_free (crew);
  g_free (other_crew);
  g_free (device);
  g_free (dispatcher);
  g_free (admin);
  return ret;
}
