/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-server-events.c: the server-sent event stream: where it starts,
 * revision pokes, crew positions, heartbeats, and clients that leave. */
#include "config.h"

#include <string.h>

#include "cd-model.h"
#include "cd-store.h"
#include "cd-test-server.h"

static CdTestServer *server;
static char *dispatcher;
static char *admin;
static char *device;
static char *crew;

static gint64
current_rev (void)
{
  gint64 rev = cd_test_metric (server, admin, "crewdesk_revision");

  g_assert_cmpint (rev, >=, 0);
  return rev;
}

static gint64
subscribers (void)
{
  gint64 n = cd_test_metric (server, admin, "crewdesk_event_subscribers");

  g_assert_cmpint (n, >=, 0);
  return n;
}

static JsonObject *
parse_object (const char *data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = json_from_string (data, &error);

  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
  return json_object_ref (json_node_get_object (node));
}

static CdTestStream *
open_events (const char *token)
{
  CdTestStream *stream = cd_test_stream_open (server, "/api/v1/events", token);
  const char *type = cd_test_stream_get_header (stream, "Content-Type");

  g_assert_cmpuint (cd_test_stream_get_status (stream), ==, 200);
  g_assert_nonnull (type);
  g_assert_true (g_str_has_prefix (type, "text/event-stream"));
  return stream;
}

/* Waits for a rev event carrying @rev, checking that revisions only grow. */
static gboolean
wait_for_rev (CdTestStream *stream,
              gint64        rev,
              gint64       *previous)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  while (g_get_monotonic_time () < deadline)
    {
      g_autofree char *data = cd_test_stream_wait_event (stream, "rev", 10);
      g_autoptr(JsonObject) o = NULL;
      gint64 r;

      if (data == NULL)
        return FALSE;
      o = parse_object (data);
      r = json_object_get_int_member (o, "rev");
      g_assert_cmpint (r, >, *previous);
      *previous = r;
      if (r == rev)
        return TRUE;
      g_assert_cmpint (r, <, rev);
    }

  return FALSE;
}

static void
test_first_event (void)
{
  g_autofree char *ticket = cd_test_create_ticket (server, dispatcher, "power", "no-power", NULL);
  g_autoptr(CdTestStream) stream = NULL;
  g_autofree char *event = NULL;
  g_autofree char *data = NULL;
  g_autoptr(JsonObject) o = NULL;
  gint64 rev = current_rev ();

  g_assert_cmpint (rev, >, 0);
  stream = open_events (dispatcher);
  g_assert_true (cd_test_stream_next_event (stream, 10, &event, &data));
  g_assert_cmpstr (event, ==, "rev");
  o = parse_object (data);
  g_assert_cmpint (json_object_get_int_member (o, "rev"), ==, rev);
}

static void
test_rev_after_mutation (void)
{
  g_autoptr(CdTestStream) stream = open_events (dispatcher);
  g_autofree char *first = cd_test_stream_wait_event (stream, "rev", 10);
  g_autoptr(JsonObject) o = NULL;
  gint64 previous;

  g_assert_nonnull (first);
  o = parse_object (first);
  previous = json_object_get_int_member (o, "rev");

  /* One mutation, then a quick series: the stream ends on the last. */
  for (guint round = 0; round < 2; round++)
    {
      guint n = round == 0 ? 1 : 20;
      gint64 last = 0;

      for (guint i = 0; i < n; i++)
        {
          g_autofree char *args = cd_test_ticket_args ("heat", "leak", NULL);
          g_autofree char *m = cd_test_mutation (NULL, "ticket.create", NULL, -1, args);
          g_autoptr(CdTestReply) reply = cd_test_send_mutation (server, dispatcher, m);

          g_assert_cmpstr (cd_test_result_status (cd_test_result (reply, 0)), ==, "applied");
          last = json_object_get_int_member (cd_test_reply_object (reply), "last_rev");
        }
      if (!wait_for_rev (stream, last, &previous))
        g_error ("no rev event for revision %" G_GINT64_FORMAT, last);
    }

  /* A mutation that changes nothing pokes nobody, and the stream goes on. */
  {
    g_autofree char *missing = g_uuid_string_random ();
    g_autofree char *m = cd_test_mutation (NULL, "ticket.resume", missing, -1, NULL);
    g_autoptr(CdTestReply) reply = cd_test_send_mutation (server, dispatcher, m);

    g_assert_cmpstr (cd_test_result_status (cd_test_result (reply, 0)), ==, "rejected");
  }
  {
    g_autofree char *ticket = cd_test_create_ticket (server, dispatcher, "heat", "leak", NULL);

    g_assert_true (wait_for_rev (stream, current_rev (), &previous));
  }
}

static void
test_position (void)
{
  g_autoptr(CdTestStream) stream = open_events (dispatcher);
  g_autofree char *path = g_strdup_printf ("/api/v1/crews/%s/position", crew);
  g_autoptr(CdTestReply) reply = NULL;
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  g_autofree char *hello = cd_test_stream_wait_event (stream, "rev", 10);

  g_assert_nonnull (hello);
  reply = cd_test_request (server, "POST", path, device,
                           "{\"lat\":39.9321,\"lon\":116.4432,\"heading\":45.5,\"speed_kmh\":36}");
  g_assert_cmpuint (reply->status, ==, 200);

  for (;;)
    {
      g_autofree char *data = NULL;
      g_autoptr(JsonObject) o = NULL;
      gint64 left = deadline - g_get_monotonic_time ();

      g_assert_cmpint (left, >, 0);
      data = cd_test_stream_wait_event (stream, "position", (guint) (left / G_USEC_PER_SEC) + 1);
      if (data == NULL)
        g_error ("no position event");
      o = parse_object (data);
      if (g_strcmp0 (json_object_get_string_member (o, "crew_id"), crew) != 0)
        continue;
      g_assert_cmpfloat_with_epsilon (json_object_get_double_member (o, "lat"), 39.9321, 1e-6);
      g_assert_cmpfloat_with_epsilon (json_object_get_double_member (o, "lon"), 116.4432, 1e-6);
      g_assert_cmpfloat_with_epsilon (json_object_get_double_member (o, "heading"), 45.5, 1e-6);
      g_assert_cmpfloat_with_epsilon (json_object_get_double_member (o, "speed_kmh"), 36, 1e-6);
      g_assert_nonnull (json_object_get_string_member (o, "at"));
      break;
    }
}

static void
test_heartbeat (void)
{
  g_autoptr(CdTestStream) stream = open_events (dispatcher);

  /* heartbeat=1: two of them well within the bound. */
  for (guint i = 0; i < 2; i++)
    {
      g_autofree char *data = cd_test_stream_wait_event (stream, "heartbeat", 10);
      g_autoptr(JsonObject) o = NULL;

      if (data == NULL)
        g_error ("no heartbeat within 10 s with heartbeat=1");
      o = parse_object (data);
      g_assert_cmpint (json_object_get_int_member (o, "time_ms"), >, 0);
      g_assert_cmpint (json_object_get_int_member (o, "rev"), ==, current_rev ());
    }
}

/* Polls the gauge until it reads @expected; FALSE after a generous bound. */
static gboolean
wait_for_subscribers (gint64 expected)
{
  gint64 deadline = g_get_monotonic_time () + 15 * G_USEC_PER_SEC;

  while (subscribers () != expected)
    {
      if (g_get_monotonic_time () > deadline)
        return FALSE;
      g_usleep (100 * 1000);
    }

  return TRUE;
}

static void
test_subscribers_gauge (void)
{
  g_autoptr(GPtrArray) streams = g_ptr_array_new_with_free_func ((GDestroyNotify) cd_test_stream_free);
  gint64 base;

  /* Earlier tests' streams are gone by now. */
  g_assert_true (wait_for_subscribers (0));
  base = subscribers ();

  for (guint i = 0; i < 3; i++)
    {
      CdTestStream *stream = open_events (dispatcher);
      g_autofree char *hello = cd_test_stream_wait_event (stream, "rev", 10);

      g_assert_nonnull (hello);
      g_ptr_array_add (streams, stream);
    }
  g_assert_cmpint (subscribers (), ==, base + 3);

  g_ptr_array_set_size (streams, 1);
  if (!wait_for_subscribers (base + 1))
    g_error ("the gauge stays at %" G_GINT64_FORMAT " after two clients left", subscribers ());

  g_ptr_array_set_size (streams, 0);
  if (!wait_for_subscribers (base))
    g_error ("the gauge stays at %" G_GINT64_FORMAT " after every client left", subscribers ());
}

static void
test_disconnects (void)
{
  g_autoptr(CdTestStream) keeper = open_events (dispatcher);
  g_autofree char *first = cd_test_stream_wait_event (keeper, "rev", 10);
  g_autoptr(JsonObject) o = parse_object (first);
  gint64 previous = json_object_get_int_member (o, "rev");
  g_autofree char *request = g_strdup_printf ("GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                              "Authorization: Bearer %s\r\n\r\n", dispatcher);

  for (guint round = 0; round < 3; round++)
    {
      g_autoptr(GPtrArray) streams = g_ptr_array_new_with_free_func ((GDestroyNotify) cd_test_stream_free);

      /* Gone right after the headers, or after the first event, or with
       * the request sent and the answer never read. */
      for (guint i = 0; i < 10; i++)
        {
          CdTestStream *stream = open_events (dispatcher);

          if (i % 2)
            {
              g_autofree char *hello = cd_test_stream_wait_event (stream, "rev", 10);

              g_assert_nonnull (hello);
            }
          g_ptr_array_add (streams, stream);
        }
      for (guint i = 0; i < 5; i++)
        {
          g_autoptr(GSocketConnection) c = cd_test_raw_connect (server);
          g_autoptr(GError) error = NULL;

          cd_test_raw_write (c, request, -1, &error);
          g_assert_no_error (error);
          g_io_stream_close (G_IO_STREAM (c), NULL, NULL);
        }
      g_ptr_array_set_size (streams, 0);

      /* Meanwhile the remaining subscriber and everyone else carry on. */
      {
        g_autofree char *ticket = cd_test_create_ticket (server, dispatcher, "power", "power-outage", NULL);

        g_assert_true (wait_for_rev (keeper, current_rev (), &previous));
      }
      {
        g_autoptr(CdTestReply) health = cd_test_request (server, "GET", "/api/v1/health", NULL, NULL);

        g_assert_cmpuint (health->status, ==, 200);
      }
    }

  /* Every one of them is let go, the keeper stays. */
  if (!wait_for_subscribers (1))
    g_error ("%" G_GINT64_FORMAT " subscribers remain, only one client is left", subscribers ());

  /* A new subscriber is served as usual. */
  {
    g_autoptr(CdTestStream) late = open_events (dispatcher);
    g_autofree char *data = cd_test_stream_wait_event (late, "rev", 10);
    g_autoptr(JsonObject) lo = parse_object (data);

    g_assert_cmpint (json_object_get_int_member (lo, "rev"), ==, current_rev ());
  }
}

int
main (int   argc,
      char *argv[])
{
  static const char * const no_skills[] = { NULL };
  int ret;

  cd_test_init (&argc, &argv);
  cd_model_init ();

  server = cd_test_server_new ("heartbeat=1\n");
  crew = cd_test_store_add_crew (server, "Power 7", CD_UTILITY_POWER, no_skills, 3, 39.91, 116.39);
  cd_test_server_launch (server);
  dispatcher = cd_test_add_and_login (server, "events-dispatcher", "dispatcher", NULL);
  admin = cd_test_add_and_login (server, "events-admin", "admin", NULL);
  device = cd_test_add_and_login (server, "events-crew", "crew-device", crew);

  g_test_add_func ("/server/events/first-event", test_first_event);
  g_test_add_func ("/server/events/rev-after-mutation", test_rev_after_mutation);
  g_test_add_func ("/server/events/position", test_position);
  g_test_add_func ("/server/events/heartbeat", test_heartbeat);
  g_test_add_func ("/server/events/subscribers-gauge", test_subscribers_gauge);
  g_test_add_func ("/server/events/disconnects", test_disconnects);

  ret = g_test_run ();

  cd_test_server_free (server);
  g_free (dispatcher);
  g_free (admin);
  g_free (device);
  g_free (crew);
  return ret;
}
