/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-sim-client.c: crewdesk-sim's HTTP client under load, against a
 * small keep-alive HTTP/1.1 server in this test that counts what it sees:
 * hundreds of requests at once (POSTs like position reports, GETs like
 * polls) all get their answer over a few reused connections, with never
 * more than CD_SIM_CLIENT_MAX_IN_FLIGHT of them at the server at once.
 *
 * The counts are the point, not the time: libsoup 3.2 opens a new
 * connection for every POST not marked idempotent, and walks its whole
 * queue per queued message whenever a connection changes state, which made
 * 500 simulated crews deliver a few reports a second. */
#include "config.h"

#include <string.h>

#include "cd-sim-client.h"

#define N_REQUESTS 600

typedef struct
{
  GSocketService *service;
  guint16         port;
  gint            connections;  /* accepted */
  gint            requests;     /* answered */
  gint            posts;
  gint            busy;         /* requests read and not answered yet */
  gint            max_busy;
  gint            threads;      /* connections still being served */
  GMutex          lock;
} FakeServer;

static void
note_busy (FakeServer *fs,
           gint        delta)
{
  g_mutex_lock (&fs->lock);
  fs->busy += delta;
  fs->max_busy = MAX (fs->max_busy, fs->busy);
  g_mutex_unlock (&fs->lock);
}

/* One connection, in a thread of its own: requests one after another
 * until the client closes it. */
static gboolean
serve_cb (GThreadedSocketService *service,
          GSocketConnection      *connection,
          GObject                *source,
          gpointer                data)
{
  FakeServer *fs = data;
  GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (connection));
  g_autoptr(GDataInputStream) in = g_data_input_stream_new (g_io_stream_get_input_stream (G_IO_STREAM (connection)));
  static const char reply[] = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                              "Content-Length: 11\r\n\r\n{\"ok\":true}";

  g_atomic_int_inc (&fs->connections);
  g_atomic_int_inc (&fs->threads);
  g_filter_input_stream_set_close_base_stream (G_FILTER_INPUT_STREAM (in), FALSE);
  g_data_input_stream_set_newline_type (in, G_DATA_STREAM_NEWLINE_TYPE_CR_LF);

  for (;;)
    {
      g_autofree char *request_line = g_data_input_stream_read_line (in, NULL, NULL, NULL);
      guint64 length = 0;

      if (request_line == NULL)
        break;
      for (;;)
        {
          g_autofree char *header = g_data_input_stream_read_line (in, NULL, NULL, NULL);

          if (header == NULL)
            goto out;
          if (header[0] == '\0')
            break;
          if (g_ascii_strncasecmp (header, "Content-Length:", 15) == 0)
            g_ascii_string_to_unsigned (g_strstrip (header + 15), 10, 0, 1 << 20, &length, NULL);
        }
      if (length > 0)
        {
          g_autofree char *body = g_malloc (length);

          if (!g_input_stream_read_all (G_INPUT_STREAM (in), body, length, NULL, NULL, NULL))
            break;
        }

      note_busy (fs, 1);
      if (g_str_has_prefix (request_line, "POST "))
        g_atomic_int_inc (&fs->posts);
      /* A little work, so that requests overlap as they would at a real
       * server. */
      g_usleep (2000);
      note_busy (fs, -1);
      if (!g_output_stream_write_all (out, reply, strlen (reply), NULL, NULL, NULL))
        break;
      g_atomic_int_inc (&fs->requests);
    }

out:
  g_atomic_int_dec_and_test (&fs->threads);
  return TRUE;
}

static FakeServer *
fake_server_start (void)
{
  FakeServer *fs = g_new0 (FakeServer, 1);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GError) error = NULL;

  g_mutex_init (&fs->lock);
  /* A thread per connection, without limit: a client that opened one per
   * request would get them all. */
  fs->service = g_threaded_socket_service_new (-1);
  g_socket_listener_add_address (G_SOCKET_LISTENER (fs->service), address, G_SOCKET_TYPE_STREAM,
                                 G_SOCKET_PROTOCOL_TCP, NULL, &bound, &error);
  g_assert_no_error (error);
  fs->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  g_signal_connect (fs->service, "run", G_CALLBACK (serve_cb), fs);
  g_socket_service_start (fs->service);
  return fs;
}

/* After the client: the connections it kept alive end with it. */
static void
fake_server_free (FakeServer *fs)
{
  g_socket_service_stop (fs->service);
  g_socket_listener_close (G_SOCKET_LISTENER (fs->service));
  while (g_atomic_int_get (&fs->threads) > 0)
    g_usleep (1000);
  g_object_unref (fs->service);
  g_mutex_clear (&fs->lock);
  g_free (fs);
}

typedef struct
{
  guint answered;   /* 200 */
  guint cancelled;
  guint failed;
  guint pending;
} Tally;

static void
done_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      data)
{
  Tally *tally = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(CdSimReply) reply = cd_sim_client_request_finish (CD_SIM_CLIENT (source), result, &error);

  if (reply != NULL && reply->status == 200)
    tally->answered++;
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    tally->cancelled++;
  else
    tally->failed++;
  tally->pending--;
}

static gboolean
give_up_cb (gpointer data)
{
  gboolean *gave_up = data;

  *gave_up = TRUE;
  return G_SOURCE_REMOVE;
}

/* Waits for every request's answer, however long it takes up to a
 * generous bound that only catches a hang. */
static void
wait_for (Tally *tally)
{
  gboolean gave_up = FALSE;
  guint guard = g_timeout_add_seconds (120, give_up_cb, &gave_up);

  while (tally->pending > 0 && !gave_up)
    g_main_context_iteration (NULL, TRUE);
  g_assert_false (gave_up);
  g_source_remove (guard);
}

static void
send_many (CdSimClient  *client,
           guint         n,
           GCancellable *cancellable,
           Tally        *tally)
{
  g_autoptr(JsonNode) body = json_from_string ("{\"lat\":39.9,\"lon\":116.4,\"status\":\"available\"}", NULL);

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *path = g_strdup_printf ("/api/v1/crews/%u/%s", i, i % 3 == 2 ? "tickets" : "position");

      tally->pending++;
      /* Two POSTs (position reports) to one GET (a poll). */
      cd_sim_client_request_async (client, NULL, i % 3 == 2 ? "GET" : "POST", path, i % 3 == 2 ? NULL : body,
                                   NULL, CD_SIM_RETRY_NONE, cancellable, done_cb, tally);
    }
}

/* Hundreds of requests at once: all answered, over reused connections,
 * never more than CD_SIM_CLIENT_MAX_IN_FLIGHT at the server at once. */
static void
test_many_at_once (void)
{
  FakeServer *fs = fake_server_start ();
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u", fs->port);
  CdSimClient *client = cd_sim_client_new (url, 30);
  CdSimClientStats stats;
  Tally tally = { 0 };

  send_many (client, N_REQUESTS, NULL, &tally);
  wait_for (&tally);

  g_assert_cmpuint (tally.answered, ==, N_REQUESTS);
  g_assert_cmpint (g_atomic_int_get (&fs->requests), ==, N_REQUESTS);
  g_assert_cmpint (g_atomic_int_get (&fs->posts), ==, 2 * N_REQUESTS / 3);
  g_test_message ("%d connections for %d requests, at most %d at the server at once",
                  g_atomic_int_get (&fs->connections), N_REQUESTS, fs->max_busy);
  /* POSTs reuse connections (without SOUP_MESSAGE_IDEMPOTENT, each one
   * opened its own: 400 connections here). */
  g_assert_cmpint (g_atomic_int_get (&fs->connections), <=, CD_SIM_CLIENT_MAX_IN_FLIGHT);
  g_assert_cmpint (fs->max_busy, <=, CD_SIM_CLIENT_MAX_IN_FLIGHT);
  cd_sim_client_get_stats (client, &stats);
  g_assert_cmpuint (stats.requests, ==, N_REQUESTS);
  g_assert_cmpuint (stats.network_errors, ==, 0);

  /* A second wave goes out on the same connections. */
  send_many (client, N_REQUESTS, NULL, &tally);
  wait_for (&tally);
  g_assert_cmpuint (tally.answered, ==, 2 * N_REQUESTS);
  g_assert_cmpint (g_atomic_int_get (&fs->connections), <=, CD_SIM_CLIENT_MAX_IN_FLIGHT);

  g_object_unref (client);
  fake_server_free (fs);
}

/* Requests cancelled while they wait for their turn end as cancelled,
 * promptly, and the others still get through. */
static void
test_cancel_waiting (void)
{
  FakeServer *fs = fake_server_start ();
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u", fs->port);
  CdSimClient *client = cd_sim_client_new (url, 30);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  Tally kept = { 0 }, dropped = { 0 };

  send_many (client, N_REQUESTS / 2, NULL, &kept);
  send_many (client, N_REQUESTS / 2, cancellable, &dropped);
  g_cancellable_cancel (cancellable);
  wait_for (&dropped);
  wait_for (&kept);

  g_assert_cmpuint (kept.answered, ==, N_REQUESTS / 2);
  g_assert_cmpuint (dropped.cancelled + dropped.answered, ==, N_REQUESTS / 2);
  /* All of them waited behind the first ones: none was sent. */
  g_assert_cmpuint (dropped.cancelled, ==, N_REQUESTS / 2);
  g_assert_cmpuint (kept.failed + dropped.failed, ==, 0);

  g_object_unref (client);
  fake_server_free (fs);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/sim/client/many-at-once", test_many_at_once);
  g_test_add_func ("/sim/client/cancel-waiting", test_cancel_waiting);

  return g_test_run ();
}
