/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-server-escalation.c: a shift supervisor acknowledges an escalation
 * (ticket.acknowledge); the ticket records it and the level is not raised
 * again on the event stream, where an unacknowledged one is. */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "cd-model.h"
#include "cd-test-server.h"

/* The default policies, with emergency leaks due within a minute and amber
 * from the first second (warning share 0.99). */
static char *
write_tight_policy (const char *dir)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *source = g_build_filename (g_getenv ("CREWDESK_DATADIR"), "sla-policy.json", NULL);
  char *path;
  JsonArray *rows;

  g_assert_true (json_parser_load_from_file (parser, source, &error));
  g_assert_no_error (error);
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
  g_assert_no_error (error);
  return path;
}

static char *
intake_leak (CdTestServer *server,
             const char   *token,
             const char   *address,
             double        lat)
{
  g_autofree char *body = g_strdup_printf ("{\"channel\":\"hotline\",\"category\":\"leak\",\"urgency\":\"emergency\","
                                           "\"utility\":\"heat\",\"customer\":{\"name\":\"Wang Fang\"},"
                                           "\"address\":\"%s\",\"lat\":%.4f,\"lon\":116.6,\"area\":\"eastbank\","
                                           "\"area_class\":\"urban\",\"skills\":[]}", address, lat);
  g_autoptr(CdTestReply) reply = cd_test_request (server, "POST", "/api/v1/tickets", token, body);

  if (reply->status != 201)
    g_error ("intake: %u %s", reply->status, reply->body);
  return g_strdup (json_object_get_string_member (json_object_get_object_member (cd_test_reply_object (reply),
                                                                                 "ticket"), "id"));
}

static CdTestReply *
acknowledge (CdTestServer *server,
             const char   *token,
             const char   *ticket,
             const char   *level,
             const char   *note)
{
  g_autofree char *args = note ? g_strdup_printf ("{\"level\":\"%s\",\"note\":\"%s\"}", level, note)
                               : g_strdup_printf ("{\"level\":\"%s\"}", level);
  g_autofree char *m = cd_test_mutation (NULL, "ticket.acknowledge", ticket, -1, args);

  return cd_test_send_mutation (server, token, m);
}

static void
test_acknowledge (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("crewdesk-escalation-XXXXXX", &error);
  g_autofree char *policy = write_tight_policy (dir);
  /* The first scan comes one interval after a (re)start. */
  g_autofree char *config = g_strdup_printf ("policy-file=%s\nheartbeat=1\n[dispatch]\nbatch-interval=0\n"
                                             "escalation-interval=4\n", policy);
  g_autoptr(CdTestServer) server = cd_test_server_start (config, FALSE);
  g_autofree char *dispatcher = cd_test_add_and_login (server, "esc-dispatcher", "dispatcher", NULL);
  g_autofree char *supervisor = cd_test_add_and_login (server, "esc-supervisor", "supervisor", NULL);
  g_autofree char *acked = intake_leak (server, dispatcher, "1 Mill Lane", 39.90);
  g_autofree char *control = intake_leak (server, dispatcher, "90 Far Lane", 39.96);
  g_autoptr(CdTestStream) stream = NULL;
  JsonObject *record = NULL;
  gboolean control_seen = FALSE;
  gint64 until;

  /* Amber from the first second: acknowledged as soon as the server
   * agrees it is amber (a moment after intake). */
  until = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
  for (;;)
    {
      g_autoptr(CdTestReply) reply = acknowledge (server, supervisor, acked, "amber", "Crew 3 is on its way");
      JsonObject *result = cd_test_result (reply, 0);

      if (g_strcmp0 (cd_test_result_status (result), "applied") == 0)
        {
          record = json_object_ref (cd_test_result_record (result, "ticket"));
          break;
        }
      g_assert_cmpstr (cd_test_result_error_code (result), ==, "invalid-transition");
      g_assert_cmpint (g_get_monotonic_time (), <, until);
      g_usleep (200 * 1000);
    }

  /* The ticket records who, when and why, under sla. */
  {
    JsonArray *acks = json_object_get_array_member (json_object_get_object_member (record, "sla"), "acknowledgements");
    JsonObject *ack;

    g_assert_cmpuint (json_array_get_length (acks), ==, 1);
    ack = json_array_get_object_element (acks, 0);
    g_assert_cmpstr (json_object_get_string_member (ack, "level"), ==, "amber");
    g_assert_cmpstr (json_object_get_string_member (ack, "by"), ==, "esc-supervisor");
    g_assert_cmpstr (json_object_get_string_member (ack, "note"), ==, "Crew 3 is on its way");
    g_assert_nonnull (json_object_get_string_member (ack, "at"));
    json_object_unref (record);
  }

  /* Red is not reached: refused. A dispatcher may not acknowledge. */
  {
    g_autoptr(CdTestReply) red = acknowledge (server, supervisor, acked, "red", NULL);
    g_autoptr(CdTestReply) other = acknowledge (server, dispatcher, control, "amber", NULL);
    g_autoptr(CdTestReply) bad = acknowledge (server, supervisor, acked, "yellow", NULL);

    g_assert_cmpstr (cd_test_result_error_code (cd_test_result (red, 0)), ==, "invalid-transition");
    g_assert_cmpstr (cd_test_result_error_code (cd_test_result (other, 0)), ==, "forbidden");
    g_assert_cmpstr (cd_test_result_error_code (cd_test_result (bad, 0)), ==, "invalid");
  }

  /* After a restart every running escalation is announced again to the
   * clients that reconnect: the control ticket's amber, not the
   * acknowledged one's. */
  cd_test_server_restart (server);
  stream = cd_test_stream_open (server, "/api/v1/events", dispatcher);
  g_assert_cmpuint (cd_test_stream_get_status (stream), ==, 200);

  /* Read until the control's amber came, then five seconds more: the rest
   * of that scan and the next ones. */
  until = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
  while (g_get_monotonic_time () < until)
    {
      g_autofree char *event = NULL;
      g_autofree char *data = NULL;
      g_autoptr(JsonNode) node = NULL;
      JsonObject *o;

      if (!cd_test_stream_next_event (stream, 5, &event, &data))
        break;
      if (g_strcmp0 (event, "escalation") != 0)
        continue;
      node = json_from_string (data, NULL);
      g_assert_nonnull (node);
      o = json_node_get_object (node);
      g_test_message ("escalation %s %s %s", json_object_get_string_member (o, "ticket_id"),
                      json_object_get_string_member (o, "kind"), json_object_get_string_member (o, "state"));
      if (g_strcmp0 (json_object_get_string_member (o, "ticket_id"), acked) == 0)
        g_assert_cmpstr (json_object_get_string_member (o, "state"), !=, "amber");
      if (!control_seen && g_strcmp0 (json_object_get_string_member (o, "ticket_id"), control) == 0 &&
          g_strcmp0 (json_object_get_string_member (o, "state"), "amber") == 0)
        {
          control_seen = TRUE;
          until = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
        }
    }
  if (!control_seen)
    g_error ("the unacknowledged ticket's amber was not announced after the restart");

  g_unlink (policy);
  g_rmdir (dir);
}

int
main (int   argc,
      char *argv[])
{
  cd_test_init (&argc, &argv);
  cd_model_init ();

  g_test_add_func ("/server/escalation/acknowledge", test_acknowledge);

  return g_test_run ();
}
