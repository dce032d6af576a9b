/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-server-intake.c: POST /api/v1/tickets against the real server:
 * duplicate linking, idempotency keys, auto-dispatch, the periodic batch
 * optimization and escalation events. */
#include "config.h"

#include <libsoup/soup.h>
#include <string.h>

#include "cd-model.h"
#include "cd-store.h"
#include "cd-test-server.h"

#define PASSWORD "intake-pass"

/* Writes a crew straight into the server's database; the server reads
 * crews from the store on every assignment. */
static char *
seed_crew (CdTestServer *server,
           const char   *name,
           CdUtility     utility,
           const char   *skill,
           gint64        capacity,
           double        lat,
           double        lon)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CdStore) store = cd_store_open (server->db_path, &error);
  g_autoptr(CdCrew) crew = NULL;
  g_autofree char *id = g_uuid_string_random ();
  const char *skills[] = { skill, NULL };
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  g_assert_no_error (error);
  crew = g_object_new (CD_TYPE_CREW, "id", id, "version", (gint64) 1, "name", name,
                       "utility", utility, "capacity", capacity,
                       "shift-start", now - 3600, "shift-end", now + 8 * 3600, NULL);
  if (skill)
    g_object_set (crew, "skills", skills, NULL);

  g_assert_true (cd_store_begin (store, &error));
  CD_RECORD (crew)->rev = cd_store_next_rev (store, &error);
  g_assert_true (cd_store_save (store, CD_RECORD (crew), &error));
  g_assert_true (cd_store_set_crew_position (store, id, lat, lon, 0, 0, now, &error));
  g_assert_true (cd_store_commit (store, &error));
  g_assert_no_error (error);

  return g_steal_pointer (&id);
}

static char *
report (const char *category,
        const char *urgency,
        const char *utility,
        const char *address,
        double      lat,
        double      lon)
{
  return g_strdup_printf ("{\"channel\":\"hotline\",\"category\":\"%s\",\"urgency\":\"%s\","
                          "\"utility\":\"%s\",\"customer\":{\"name\":\"Wang Fang\",\"phone\":\"+86 10 5555 0101\"},"
                          "\"address\":\"%s\",\"lat\":%.6f,\"lon\":%.6f,\"area\":\"eastbank\"}",
                          category, urgency, utility, address, lat, lon);
}

static JsonObject *
object (CdTestReply *reply)
{
  g_assert_nonnull (reply->json);
  return json_node_get_object (reply->json);
}

static const char *
ticket_member (CdTestReply *reply,
               const char  *member)
{
  JsonObject *t = json_object_get_object_member (object (reply), "ticket");

  return json_object_get_null_member (t, member) ? NULL : json_object_get_string_member (t, member);
}

static CdTestServer *
start (const char *extra,
       char      **token)
{
  CdTestServer *server = cd_test_server_start (extra, FALSE);

  cd_test_server_add_user (server, "hotline", "dispatcher", NULL, PASSWORD);
  *token = cd_test_login (server, "hotline", PASSWORD);
  return server;
}

static void
test_duplicates (void)
{
  g_autofree char *token = NULL;
  g_autoptr(CdTestServer) server = start ("[dispatch]\nbatch-interval=0\n[intake]\nduplicate-radius=150\n", &token);
  g_autofree char *first = report ("power-outage", "emergency", "power", "5 Elm Road", 39.9000, 116.6000);
  g_autofree char *same_address = report ("power-outage", "emergency", "power", "5, ELM road.", 39.9300, 116.6300);
  g_autofree char *nearby = report ("power-outage", "emergency", "power", "7 Elm Road", 39.9005, 116.6005);
  g_autofree char *far = report ("power-outage", "emergency", "power", "90 Far Lane", 39.9500, 116.6500);
  g_autofree char *other_category = report ("voltage-quality", "normal", "power", "5 Elm Road", 39.9000, 116.6000);
  g_autoptr(CdTestReply) a = cd_test_request (server, "POST", "/api/v1/tickets", token, first);
  g_autoptr(CdTestReply) b = cd_test_request (server, "POST", "/api/v1/tickets", token, same_address);
  g_autoptr(CdTestReply) c = cd_test_request (server, "POST", "/api/v1/tickets", token, nearby);
  g_autoptr(CdTestReply) d = cd_test_request (server, "POST", "/api/v1/tickets", token, far);
  g_autoptr(CdTestReply) e = cd_test_request (server, "POST", "/api/v1/tickets", token, other_category);
  g_autoptr(GError) error = NULL;
  g_autoptr(CdStore) store = NULL;
  g_autoptr(CdTicket) original = NULL;
  const char *original_id;

  g_assert_cmpuint (a->status, ==, 201);
  original_id = ticket_member (a, "id");
  g_assert_cmpstr (ticket_member (a, "status"), ==, "new");
  g_assert_true (json_object_get_null_member (object (a), "duplicate_of"));

  /* Same address written differently, 4 km away: linked. */
  g_assert_cmpuint (b->status, ==, 201);
  g_assert_cmpstr (json_object_get_string_member (object (b), "duplicate_of"), ==, original_id);
  g_assert_cmpstr (ticket_member (b, "status"), ==, "duplicate");
  /* Another address 70 m away: linked. */
  g_assert_cmpstr (json_object_get_string_member (object (c), "duplicate_of"), ==, original_id);
  /* Far away, or another fault at the same address: new tickets. */
  g_assert_true (json_object_get_null_member (object (d), "duplicate_of"));
  g_assert_cmpstr (ticket_member (d, "status"), ==, "new");
  g_assert_true (json_object_get_null_member (object (e), "duplicate_of"));

  store = cd_store_open (server->db_path, &error);
  g_assert_no_error (error);
  original = cd_store_load (store, CD_TYPE_TICKET, original_id, &error);
  g_assert_no_error (error);
  g_assert_cmpint (original->duplicate_count, ==, 2);
}

static void
test_duplicate_window (void)
{
  g_autofree char *token = NULL;
  g_autoptr(CdTestServer) server = start ("[dispatch]\nbatch-interval=0\n[intake]\nduplicate-window=1\n", &token);
  g_autofree char *body = report ("leak", "emergency", "heat", "3 Canal Street", 39.91, 116.61);
  g_autoptr(CdTestReply) a = cd_test_request (server, "POST", "/api/v1/tickets", token, body);
  g_autoptr(CdTestReply) b = NULL;

  g_assert_cmpuint (a->status, ==, 201);
  g_usleep (2200 * 1000);
  b = cd_test_request (server, "POST", "/api/v1/tickets", token, body);
  g_assert_cmpuint (b->status, ==, 201);
  /* Outside the window: a fault of its own. */
  g_assert_true (json_object_get_null_member (object (b), "duplicate_of"));
}

/* POSTs a report with an Idempotency-Key header; returns the status. */
static guint
post_with_key (CdTestServer *server,
               const char   *token,
               const char   *key,
               const char   *body,
               char        **ticket_id)
{
  g_autoptr(SoupSession) session = soup_session_new_with_options ("timeout", 30, NULL);
  g_autofree char *url = g_strconcat (server->base_url, "/api/v1/tickets", NULL);
  g_autofree char *auth = g_strconcat ("Bearer ", token, NULL);
  g_autoptr(SoupMessage) msg = soup_message_new ("POST", url);
  g_autoptr(GBytes) request = g_bytes_new (body, strlen (body));
  g_autoptr(GBytes) reply = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) json = NULL;

  soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", auth);
  soup_message_headers_replace (soup_message_get_request_headers (msg), "Idempotency-Key", key);
  soup_message_set_request_body_from_bytes (msg, "application/json", request);
  reply = soup_session_send_and_read (session, msg, NULL, &error);
  g_assert_no_error (error);

  json = json_from_string (g_bytes_get_data (reply, NULL), NULL);
  if (ticket_id && json && json_object_has_member (json_node_get_object (json), "ticket"))
    *ticket_id = g_strdup (json_object_get_string_member (json_object_get_object_member (json_node_get_object (json), "ticket"), "id"));

  return soup_message_get_status (msg);
}

static void
test_idempotency_key (void)
{
  g_autofree char *token = NULL;
  g_autoptr(CdTestServer) server = start ("[dispatch]\nbatch-interval=0\n", &token);
  g_autofree char *key = g_uuid_string_random ();
  g_autofree char *body = report ("billing", "normal", "heat", "9 Oak Avenue", 39.95, 116.65);
  g_autofree char *first = NULL;
  g_autofree char *again = NULL;
  g_autoptr(CdTestReply) changes = NULL;
  JsonArray *rows;
  guint tickets = 0;

  /* A channel that retries after a lost reply gets the same ticket. */
  g_assert_cmpuint (post_with_key (server, token, key, body, &first), ==, 201);
  g_assert_cmpuint (post_with_key (server, token, key, body, &again), ==, 200);
  g_assert_nonnull (first);
  g_assert_cmpstr (first, ==, again);
  g_assert_cmpuint (post_with_key (server, token, "not-a-uuid", body, NULL), ==, 400);

  changes = cd_test_request (server, "GET", "/api/v1/changes?since=0", token, NULL);
  rows = json_object_get_array_member (object (changes), "changes");
  for (guint i = 0; i < json_array_get_length (rows); i++)
    if (g_strcmp0 (json_object_get_string_member (json_array_get_object_element (rows, i), "kind"), "ticket") == 0)
      tickets++;
  g_assert_cmpuint (tickets, ==, 1);
}

static void
test_bad_reports (void)
{
  g_autofree char *token = NULL;
  g_autoptr(CdTestServer) server = start ("[dispatch]\nbatch-interval=0\n", &token);
  const struct { const char *body; guint status; const char *code; } cases[] = {
    { "{\"channel\":\"hotline\"}", 400, "invalid" },
    { "{\"channel\":\"fax\",\"category\":\"leak\",\"urgency\":\"urgent\",\"utility\":\"heat\","
      "\"customer\":{\"name\":\"A\"},\"address\":\"x\",\"lat\":39.9,\"lon\":116.6}", 400, "invalid" },
    { "{\"channel\":\"web\",\"category\":\"leak\",\"urgency\":\"urgent\",\"utility\":\"heat\","
      "\"customer\":{\"name\":\"A\"},\"address\":\"x\",\"lat\":95,\"lon\":116.6}", 400, "invalid" },
    { "{\"channel\":\"web\",\"category\":\"no-heat\",\"urgency\":\"urgent\",\"utility\":\"power\","
      "\"customer\":{\"name\":\"A\"},\"address\":\"x\",\"lat\":39.9,\"lon\":116.6}", 400, "invalid" },
    { "[1,2]", 400, "wrong-type" },
    { "{\"a\":", 400, "malformed" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(CdTestReply) r = cd_test_request (server, "POST", "/api/v1/tickets", token, cases[i].body);

      g_assert_cmpuint (r->status, ==, cases[i].status);
      g_assert_cmpstr (cd_test_reply_error_code (r), ==, cases[i].code);
    }

  /* Nothing was written. */
  {
    g_autoptr(CdTestReply) changes = cd_test_request (server, "GET", "/api/v1/changes?since=0", token, NULL);
    JsonArray *rows = json_object_get_array_member (object (changes), "changes");

    for (guint i = 0; i < json_array_get_length (rows); i++)
      g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (rows, i), "kind"), !=, "ticket");
  }
}

static void
test_auto_dispatch (void)
{
  g_autofree char *token = NULL;
  g_autoptr(CdTestServer) server = start ("[dispatch]\nbatch-interval=0\n", &token);
  /* The report names no skills: intake requires those of its category
   * (an emergency outage: hv-switching), which both power crews have. */
  g_autofree char *near = seed_crew (server, "Power 1", CD_UTILITY_POWER, "hv-switching", 2, 39.901, 116.601);
  g_autofree char *far = seed_crew (server, "Power 2", CD_UTILITY_POWER, "hv-switching", 2, 39.990, 116.700);
  g_autofree char *heat = seed_crew (server, "Heat 1", CD_UTILITY_HEAT, NULL, 2, 39.900, 116.600);
  g_autofree char *outage = report ("power-outage", "emergency", "power", "1 Bridge Road", 39.90, 116.60);
  g_autofree char *billing = report ("billing", "normal", "power", "2 Bridge Road", 39.90, 116.60);
  g_autoptr(CdTestReply) a = cd_test_request (server, "POST", "/api/v1/tickets", token, outage);
  g_autoptr(CdTestReply) b = cd_test_request (server, "POST", "/api/v1/tickets", token, billing);
  g_autoptr(GError) error = NULL;
  g_autoptr(CdStore) store = NULL;
  g_autoptr(GPtrArray) events = NULL;
  CdAssignmentEvent *event;

  /* Emergencies dispatch automatically, to the nearest crew of the right
   * utility. */
  g_assert_cmpuint (a->status, ==, 201);
  g_assert_false (json_object_get_null_member (object (a), "auto_dispatch"));
  g_assert_cmpstr (ticket_member (a, "crew_id"), ==, near);
  g_assert_cmpstr (ticket_member (a, "status"), ==, "assigned");
  g_assert_cmpstr (ticket_member (a, "assignment_source"), ==, "auto");

  /* Billing questions wait for a person. */
  g_assert_cmpuint (b->status, ==, 201);
  g_assert_true (json_object_get_null_member (object (b), "auto_dispatch"));
  g_assert_null (ticket_member (b, "crew_id"));

  store = cd_store_open (server->db_path, &error);
  g_assert_no_error (error);
  events = cd_store_list_for_ticket (store, CD_TYPE_ASSIGNMENT_EVENT, ticket_member (a, "id"), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (events->len, ==, 1);
  event = g_ptr_array_index (events, 0);
  g_assert_cmpstr (event->to_crew, ==, near);
  g_assert_cmpstr (event->actor, ==, "auto-dispatch");
  g_assert_cmpint (event->source, ==, CD_ASSIGNMENT_SOURCE_AUTO);
  g_assert_cmpfloat (event->score, >, 0);
  (void) far;
  (void) heat;
}

static void
test_no_feasible_crew (void)
{
  g_autofree char *token = NULL;
  g_autoptr(CdTestServer) server = start ("[dispatch]\nbatch-interval=0\n", &token);
  g_autofree char *heat = seed_crew (server, "Heat 1", CD_UTILITY_HEAT, NULL, 2, 39.900, 116.600);
  g_autofree char *outage = report ("power-outage", "emergency", "power", "1 Bridge Road", 39.90, 116.60);
  g_autoptr(CdTestReply) a = cd_test_request (server, "POST", "/api/v1/tickets", token, outage);

  g_assert_cmpuint (a->status, ==, 201);
  g_assert_true (json_object_get_null_member (object (a), "auto_dispatch"));
  g_assert_null (ticket_member (a, "crew_id"));
  (void) heat;
}

static void
test_batch (void)
{
  g_autofree char *token = NULL;
  g_autoptr(CdTestServer) server = start ("[dispatch]\nbatch-interval=1\n", &token);
  char *ids[3] = { NULL };
  g_autoptr(GError) error = NULL;
  g_autofree char *crew = NULL;
  gint64 deadline;
  guint assigned = 0;

  /* Tickets arrive before any crew can take them... */
  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *address = g_strdup_printf ("%u Ring Road", i + 10);
      g_autofree char *body = report ("leak", "emergency", "heat", address, 39.90 + i * 0.01, 116.60);
      g_autoptr(CdTestReply) r = cd_test_request (server, "POST", "/api/v1/tickets", token, body);

      g_assert_cmpuint (r->status, ==, 201);
      g_assert_null (ticket_member (r, "crew_id"));
      ids[i] = g_strdup (ticket_member (r, "id"));
    }

  /* ...then a crew with room for two comes on shift: the batch gives it
   * two of them and leaves one waiting. */
  crew = seed_crew (server, "Heat 7", CD_UTILITY_HEAT, "pipe-repair", 2, 39.905, 116.60);
  deadline = g_get_monotonic_time () + 15 * G_USEC_PER_SEC;
  while (assigned < 2 && g_get_monotonic_time () < deadline)
    {
      g_autoptr(CdStore) store = cd_store_open (server->db_path, &error);

      g_assert_no_error (error);
      assigned = 0;
      for (guint i = 0; i < 3; i++)
        {
          g_autoptr(CdTicket) t = cd_store_load (store, CD_TYPE_TICKET, ids[i], &error);

          g_assert_no_error (error);
          if (g_strcmp0 (t->crew_id, crew) == 0)
            {
              g_assert_cmpint (t->assignment_source, ==, CD_ASSIGNMENT_SOURCE_AUTO);
              g_assert_false (t->pinned);
              assigned++;
            }
        }
      if (assigned < 2)
        g_usleep (200 * 1000);
    }
  g_assert_cmpuint (assigned, ==, 2);

  /* And never more than the capacity, however many rounds run. */
  g_usleep (1500 * 1000);
  {
    g_autoptr(CdStore) store = cd_store_open (server->db_path, &error);
    g_autoptr(GPtrArray) carried = cd_store_list_open_tickets (store, CD_STORE_ANY, NULL, crew, &error);

    g_assert_no_error (error);
    g_assert_cmpuint (carried->len, ==, 2);
  }

  for (guint i = 0; i < 3; i++)
    g_free (ids[i]);
}

/* A policy file where a leak's first response is due in one minute and
 * turns amber at once (warning share 0.99). */
static char *
write_tight_policy (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *source = g_build_filename (g_getenv ("CREWDESK_DATADIR"), "sla-policy.json", NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autofree char *dir = g_dir_make_tmp ("crewdesk-policy-XXXXXX", &error);
  char *path;
  JsonArray *rows;

  g_assert_no_error (error);
  g_assert_true (json_parser_load_from_file (parser, source, &error));
  rows = json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)), "policies");
  for (guint i = 0; i < json_array_get_length (rows); i++)
    {
      JsonObject *row = json_array_get_object_element (rows, i);

      if (g_strcmp0 (json_object_get_string_member (row, "category"), "leak") == 0 &&
          g_strcmp0 (json_object_get_string_member (row, "urgency"), "emergency") == 0)
        {
          json_object_set_int_member (row, "first_response_min", 1);
          json_object_set_double_member (row, "warning_share", 0.99);
        }
    }

  path = g_build_filename (dir, "tight-policy.json", NULL);
  json_generator_set_root (generator, json_parser_get_root (parser));
  g_assert_true (json_generator_to_file (generator, path, &error));
  return path;
}

/* Reads the event stream on a raw socket until an event named @name, or
 * the timeout. Returns its data line. */
static char *
wait_for_event (CdTestServer *server,
                const char   *token,
                const char   *name,
                guint         timeout_s)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) conn = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GDataInputStream) in = NULL;
  g_autofree char *request = g_strdup_printf ("GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                              "Authorization: Bearer %s\r\nAccept: text/event-stream\r\n\r\n", token);
  g_autofree char *wanted = g_strconcat ("event: ", name, NULL);
  gboolean found = FALSE;
  gint64 deadline = g_get_monotonic_time () + timeout_s * G_USEC_PER_SEC;

  g_socket_client_set_timeout (client, timeout_s);
  conn = g_socket_client_connect_to_host (client, "127.0.0.1", server->port, NULL, &error);
  g_assert_no_error (error);
  g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (conn)), request, strlen (request),
                             NULL, NULL, &error);
  g_assert_no_error (error);
  in = g_data_input_stream_new (g_io_stream_get_input_stream (G_IO_STREAM (conn)));

  while (g_get_monotonic_time () < deadline)
    {
      g_autofree char *line = g_data_input_stream_read_line_utf8 (in, NULL, NULL, &error);

      if (line == NULL)
        break;
      g_strchomp (line);
      if (found && g_str_has_prefix (line, "data: "))
        return g_strdup (line + 6);
      if (g_str_has_prefix (line, wanted))
        found = TRUE;
    }

  return NULL;
}

static void
test_escalation_event (void)
{
  g_autofree char *policy = write_tight_policy ();
  g_autofree char *config = g_strdup_printf ("[server]\npolicy-file=%s\n[dispatch]\nbatch-interval=0\n"
                                             "escalation-interval=1\n", policy);
  g_autofree char *token = NULL;
  g_autoptr(CdTestServer) server = start (config, &token);
  g_autofree char *body = report ("leak", "emergency", "heat", "4 Mill Lane", 39.92, 116.62);
  g_autoptr(CdTestReply) r = cd_test_request (server, "POST", "/api/v1/tickets", token, body);
  g_autofree char *data = NULL;
  g_autoptr(JsonNode) event = NULL;
  JsonObject *o;

  g_assert_cmpuint (r->status, ==, 201);
  data = wait_for_event (server, token, "escalation", 20);
  g_assert_nonnull (data);
  event = json_from_string (data, NULL);
  g_assert_nonnull (event);
  o = json_node_get_object (event);
  g_assert_cmpstr (json_object_get_string_member (o, "ticket_id"), ==, ticket_member (r, "id"));
  g_assert_cmpstr (json_object_get_string_member (o, "kind"), ==, "first-response");
  g_assert_cmpstr (json_object_get_string_member (o, "state"), ==, "amber");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  cd_model_init ();

  g_test_add_func ("/intake/duplicates", test_duplicates);
  g_test_add_func ("/intake/duplicate-window", test_duplicate_window);
  g_test_add_func ("/intake/idempotency-key", test_idempotency_key);
  g_test_add_func ("/intake/bad-reports", test_bad_reports);
  g_test_add_func ("/intake/auto-dispatch", test_auto_dispatch);
  g_test_add_func ("/intake/no-feasible-crew", test_no_feasible_crew);
  g_test_add_func ("/intake/batch", test_batch);
  g_test_add_func ("/intake/escalation-event", test_escalation_event);

  return g_test_run ();
}
