/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-server-demo.c: `crewdesk-server --demo` seeds the demo city, and
 * crewdesk-sim plays its crews and customers against the real server. */
#include "config.h"

#include <string.h>

#include "cd-model.h"
#include "cd-store.h"
#include "cd-test-server.h"

static JsonObject *
snapshot (CdTestServer *server,
          const char   *token,
          CdTestReply **keep)
{
  *keep = cd_test_request (server, "GET", "/api/v1/snapshot", token, NULL);
  g_assert_cmpuint ((*keep)->status, ==, 200);
  return json_node_get_object ((*keep)->json);
}

static guint
count_where (JsonArray  *rows,
             const char *member,
             const char *value)
{
  guint n = 0;

  for (guint i = 0; i < json_array_get_length (rows); i++)
    {
      JsonObject *o = json_array_get_object_element (rows, i);

      if (!json_object_get_null_member (o, member) &&
          g_strcmp0 (json_object_get_string_member (o, member), value) == 0)
        n++;
    }

  return n;
}

static void
test_seed (void)
{
  g_autoptr(CdTestServer) server = cd_test_server_start (NULL, TRUE);
  g_autoptr(CdTestReply) keep = NULL;
  g_autofree char *token = cd_test_login (server, "dispatcher", "demo");
  const char *roles[][2] = {
    { "supervisor", "supervisor" }, { "agent", "callback-agent" }, { "manager", "manager" },
    { "admin", "admin" }, { "crew-07", "crew-device" },
  };
  const char *statuses[] = {
    "new", "assigned", "contacted", "en-route", "on-site", "waiting-customer",
    "resolved", "closed", "cancelled", "duplicate",
  };
  const char *callback_statuses[] = { "pending", "done", "unreachable", "second-handling", "closed" };
  JsonObject *snap = snapshot (server, token, &keep);
  JsonArray *tickets = json_object_get_array_member (snap, "tickets");
  JsonArray *crews = json_object_get_array_member (snap, "crews");
  JsonArray *callbacks = json_object_get_array_member (snap, "callbacks");
  JsonArray *events = json_object_get_array_member (snap, "assignment_events");

  /* About 40 crews of both utilities, about 300 tickets in every state,
   * callbacks in every state, assignment events with overrides. */
  g_assert_cmpuint (json_array_get_length (crews), >=, 35);
  g_assert_cmpuint (count_where (crews, "utility", "heat"), >, 10);
  g_assert_cmpuint (count_where (crews, "utility", "power"), >, 10);
  g_assert_cmpuint (json_array_get_length (tickets), >=, 250);
  for (guint i = 0; i < G_N_ELEMENTS (statuses); i++)
    if (count_where (tickets, "status", statuses[i]) == 0)
      g_error ("no demo ticket is %s", statuses[i]);
  for (guint i = 0; i < G_N_ELEMENTS (callback_statuses); i++)
    if (count_where (callbacks, "status", callback_statuses[i]) == 0)
      g_error ("no demo callback is %s", callback_statuses[i]);
  g_assert_cmpuint (count_where (events, "source", "auto"), >, 0);
  g_assert_cmpuint (count_where (events, "source", "manual"), >, 0);

  /* One user per role, password "demo". */
  for (guint i = 0; i < G_N_ELEMENTS (roles); i++)
    {
      g_autofree char *body = g_strdup_printf ("{\"username\":\"%s\",\"password\":\"demo\"}", roles[i][0]);
      g_autoptr(CdTestReply) r = cd_test_request (server, "POST", "/api/v1/login", NULL, body);
      JsonObject *user;

      g_assert_cmpuint (r->status, ==, 200);
      user = json_object_get_object_member (json_node_get_object (r->json), "user");
      g_assert_cmpstr (json_object_get_string_member (user, "role"), ==, roles[i][1]);
    }

  /* Seeding twice does nothing: a restart with --demo keeps the data. */
  {
    gint64 rev = json_object_get_int_member (snap, "rev");
    g_autoptr(CdTestReply) again = NULL;
    g_autofree char *token2 = NULL;

    cd_test_server_restart (server);
    token2 = cd_test_login (server, "dispatcher", "demo");
    g_assert_cmpint (json_object_get_int_member (snapshot (server, token2, &again), "rev"), ==, rev);
  }
}

static gint64
count_status (CdTestServer *server,
              const char   *token,
              const char   *status)
{
  g_autoptr(CdTestReply) keep = NULL;
  JsonObject *snap = snapshot (server, token, &keep);

  return count_where (json_object_get_array_member (snap, "tickets"), "status", status);
}

static void
test_sim (void)
{
  g_autoptr(CdTestServer) server = cd_test_server_start ("[dispatch]\nbatch-interval=5\n", TRUE);
  g_autofree char *token = cd_test_login (server, "dispatcher", "demo");
  g_autofree char *admin = cd_test_login (server, "admin", "demo");
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u", server->port);
  g_autoptr(GSubprocess) sim = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(CdTestReply) before_snap = NULL;
  g_autoptr(CdTestReply) after_snap = NULL;
  g_autoptr(GHashTable) positions = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  JsonArray *crews;
  guint tickets_before, tickets_after, moved = 0;
  gint64 reports_before, resolved_before;

  tickets_before = json_array_get_length (json_object_get_array_member (snapshot (server, token, &before_snap), "tickets"));
  crews = json_object_get_array_member (json_node_get_object (before_snap->json), "crews");
  for (guint i = 0; i < json_array_get_length (crews); i++)
    {
      JsonObject *c = json_array_get_object_element (crews, i);
      JsonNode *p = json_object_get_member (c, "position");

      if (p && JSON_NODE_HOLDS_OBJECT (p))
        g_hash_table_insert (positions, g_strdup (json_object_get_string_member (c, "id")),
                             g_strdup_printf ("%.6f,%.6f", json_object_get_double_member (json_node_get_object (p), "lat"),
                                              json_object_get_double_member (json_node_get_object (p), "lon")));
    }
  reports_before = cd_test_metric (server, admin, "crewdesk_position_reports_total");
  resolved_before = count_status (server, token, "resolved");

  /* Fast: 120× time, many reports, for a bounded 25 seconds. */
  sim = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_SILENCE, &error,
                          g_getenv ("CREWDESK_SIM_BIN"), "--server", url, "--speedup", "120",
                          "--rate", "30", "--duration", "25", "--interval", "1", "--seed", "7", NULL);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_wait_check (sim, NULL, &error));
  g_assert_no_error (error);

  /* Crews reported positions and moved along the streets... */
  g_assert_cmpint (cd_test_metric (server, admin, "crewdesk_position_reports_total") - reports_before, >, 100);
  g_usleep (1500 * 1000); /* the server writes positions once a second */
  crews = json_object_get_array_member (snapshot (server, token, &after_snap), "crews");
  for (guint i = 0; i < json_array_get_length (crews); i++)
    {
      JsonObject *c = json_array_get_object_element (crews, i);
      JsonNode *p = json_object_get_member (c, "position");
      const char *old;
      g_autofree char *now = NULL;

      if (!p || !JSON_NODE_HOLDS_OBJECT (p))
        continue;
      old = g_hash_table_lookup (positions, json_object_get_string_member (c, "id"));
      now = g_strdup_printf ("%.6f,%.6f", json_object_get_double_member (json_node_get_object (p), "lat"),
                             json_object_get_double_member (json_node_get_object (p), "lon"));
      if (g_strcmp0 (old, now) != 0)
        moved++;
    }
  g_assert_cmpuint (moved, >, 3);

  /* ...customers reported new faults... */
  tickets_after = json_array_get_length (json_object_get_array_member (json_node_get_object (after_snap->json), "tickets"));
  g_assert_cmpuint (tickets_after, >, tickets_before + 3);

  /* ...and crews resolved tickets. */
  g_assert_cmpint (count_status (server, token, "resolved"), >, resolved_before);
}

int
main (int   argc,
      char *argv[])
{
  cd_test_init (&argc, &argv);
  cd_model_init ();

  g_test_add_func ("/demo/seed", test_seed);
  g_test_add_func ("/demo/sim", test_sim);

  return g_test_run ();
}
