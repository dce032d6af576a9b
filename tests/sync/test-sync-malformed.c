/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-sync-malformed.c: replies that break the protocol (bad JSON, wrong
 * types, bad records, cut short) are refused with an error the client
 * keeps, and the cache stays exactly as it was. The real server never
 * sends these, so a tiny fake one in the test does; every other sync test
 * talks to the real server. */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "cd-model.h"
#include "cd-store.h"
#include "cd-sync-cache.h"
#include "cd-sync-client.h"
#include "cd-sync-private.h"

#define T1 "6f1c2a4e-3b7d-4c1e-9a55-0d2f6e8b1c01"
#define M1 "2fd72e97-94a2-4d16-a708-a053849cb315"
#define C1 "0b6a1f3e-8c2d-4e5f-9a7b-1c2d3e4f5a6b"
#define GONE "{\"error\":{\"code\":\"gone\",\"message\":\"Gone.\"}}"
#define EMPTY_FEED "{\"changes\":[],\"last_rev\":5,\"more\":false}"

#define TICKET(id, rev) \
  "{\"id\":\"" id "\",\"version\":1,\"rev\":" rev ",\"number\":\"HT-1\",\"channel\":\"hotline\"," \
  "\"category\":\"no-heat\",\"urgency\":\"urgent\",\"utility\":\"heat\",\"status\":\"new\"," \
  "\"customer\":{\"name\":\"Wang Fang\"},\"address\":\"1 Elm Road\",\"lat\":39.9,\"lon\":116.4," \
  "\"created_at\":\"2026-01-01T00:00:00Z\"}"

/* What the fake answers, per path; set by each case: the feed from
 * revision 0 (the pass after a 410) and the positions have their own. */
static GMutex fake_lock;
static guint fake_status;
static char *fake_body;
static guint fake_second_status;
static char *fake_second_body;

static gboolean
fake_run_cb (GThreadedSocketService *service,
             GSocketConnection      *connection,
             GObject                *source,
             gpointer                user_data)
{
  GInputStream *in = g_io_stream_get_input_stream (G_IO_STREAM (connection));
  GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (connection));
  g_autoptr(GString) head = g_string_new (NULL);
  g_autofree char *reply = NULL;
  g_autofree char *body = NULL;
  guint status;
  char c;

  while (strstr (head->str, "\r\n\r\n") == NULL)
    {
      if (g_input_stream_read (in, &c, 1, NULL, NULL) != 1)
        return TRUE;
      g_string_append_c (head, c);
    }
  /* A request body (mutations) is read and ignored. */
  {
    const char *cl = strstr (head->str, "Content-Length: ");
    gsize n = cl != NULL ? g_ascii_strtoull (cl + strlen ("Content-Length: "), NULL, 10) : 0;
    g_autofree char *skip = g_malloc (n + 1);

    g_input_stream_read_all (in, skip, n, NULL, NULL, NULL);
  }

  g_mutex_lock (&fake_lock);
  if (g_str_has_prefix (head->str, "GET /api/v1/changes?since=0&") ||
      g_str_has_prefix (head->str, "GET /api/v1/positions"))
    {
      status = fake_second_status;
      body = g_strdup (fake_second_body);
    }
  else
    {
      status = fake_status;
      body = g_strdup (fake_body);
    }
  g_mutex_unlock (&fake_lock);

  reply = g_strdup_printf ("HTTP/1.1 %u Fake\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
                           "X-Crewdesk-Time-Ms: %" G_GINT64_FORMAT "\r\nConnection: close\r\n\r\n%s",
                           status, strlen (body), g_get_real_time () / 1000 + 5000, body);
  g_output_stream_write_all (out, reply, strlen (reply), NULL, NULL, NULL);
  g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
  return TRUE;
}

static void
fake_set (guint       status,
          const char *body,
          guint       second_status,
          const char *second_body)
{
  g_mutex_lock (&fake_lock);
  fake_status = status;
  g_free (fake_body);
  fake_body = g_strdup (body);
  fake_second_status = second_status;
  g_free (fake_second_body);
  fake_second_body = g_strdup (second_body ? second_body : "");
  g_mutex_unlock (&fake_lock);
}

static void
result_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

/* Everything the cache holds, as text: rows, revision, outbox, conflicts. */
static char *
fingerprint (CdSyncCache *cache)
{
  CdStore *store = cd_sync_cache_get_store (cache);
  g_autoptr(GString) s = g_string_new (NULL);
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(GPtrArray) waiting = NULL;
  g_autoptr(GPtrArray) conflicts = NULL;
  g_autoptr(GPtrArray) positions = NULL;
  gboolean resync = TRUE;

  cd_sync_cache_lock (cache);
  positions = cd_store_list_crew_positions (store, NULL);
  g_assert_true (cd_store_resync_pending (store, &resync, NULL));
  rows = cd_store_list_changes_json (store, -1, 1000, NULL, NULL);
  waiting = cd_store_outbox_list_waiting (store, 0, 0, NULL);
  conflicts = cd_store_list_conflicts (store, NULL);
  g_string_append_printf (s, "rev=%" G_GINT64_FORMAT "\n", cd_store_get_last_rev (store, NULL));
  for (guint i = 0; i < rows->len; i++)
    {
      CdStoreChange *c = g_ptr_array_index (rows, i);

      g_string_append_printf (s, "%s %s %" G_GINT64_FORMAT " %s\n", c->kind, c->id, c->rev,
                              c->json ? c->json : "(tombstone)");
    }
  for (guint i = 0; i < waiting->len; i++)
    {
      CdOutboxEntry *e = g_ptr_array_index (waiting, i);

      g_string_append_printf (s, "outbox %s %d\n", e->id, (int) e->state);
    }
  g_string_append_printf (s, "conflicts=%u\n", conflicts->len);
  for (guint i = 0; i < positions->len; i++)
    {
      CdTrailPoint *p = g_ptr_array_index (positions, i);

      g_string_append_printf (s, "position %s %.7f %.7f %" G_GINT64_FORMAT "\n", p->crew_id, p->lat, p->lon, p->at);
    }
  g_string_append_printf (s, "resync=%d\n", resync);
  cd_sync_cache_unlock (cache);

  return g_string_free (g_steal_pointer (&s), FALSE);
}

typedef struct {
  const char *name;
  guint       status;
  const char *body;
  guint       second_status;  /* the feed from 0, or the positions */
  const char *second_body;
} Case;

static const Case pull_cases[] = {
  { "not JSON", 200, "{\"changes\": [ this is not json", 0, NULL },
  { "empty body", 200, "", 0, NULL },
  { "not an object", 200, "[1, 2, 3]", 0, NULL },
  { "last_rev a string", 200, "{\"changes\":[],\"last_rev\":\"9\",\"more\":false}", 0, NULL },
  { "more missing", 200, "{\"changes\":[],\"last_rev\":9}", 0, NULL },
  { "changes an object", 200, "{\"changes\":{},\"last_rev\":9,\"more\":false}", 0, NULL },
  { "bad record", 200,
    "{\"changes\":[{\"kind\":\"ticket\",\"id\":\"" T1 "\",\"rev\":6,\"deleted\":false,"
    "\"record\":{\"id\":\"" T1 "\",\"version\":2,\"rev\":6,\"lat\":\"north\"}}],\"last_rev\":6,\"more\":false}", 0, NULL },
  { "second record bad", 200,
    "{\"changes\":[{\"kind\":\"ticket\",\"id\":\"" T1 "\",\"rev\":6,\"deleted\":true,\"record\":null},"
    "{\"kind\":\"ticket\",\"id\":\"x\",\"rev\":7,\"deleted\":false,\"record\":{\"id\":\"x\"}}],"
    "\"last_rev\":7,\"more\":false}", 0, NULL },
  { "unknown kind", 200,
    "{\"changes\":[{\"kind\":\"weather\",\"id\":\"" T1 "\",\"rev\":6,\"deleted\":true,\"record\":null}],"
    "\"last_rev\":6,\"more\":false}", 0, NULL },
  { "revision behind", 200,
    "{\"changes\":[{\"kind\":\"ticket\",\"id\":\"" T1 "\",\"rev\":3,\"deleted\":true,\"record\":null}],"
    "\"last_rev\":6,\"more\":false}", 0, NULL },
  { "id differs from record", 200,
    "{\"changes\":[{\"kind\":\"ticket\",\"id\":\"7324a303-5908-4a1a-a7f1-c40d5c1d62d1\",\"rev\":6,"
    "\"deleted\":false,\"record\":" TICKET (T1, "6") "}],\"last_rev\":6,\"more\":false}", 0, NULL },
  { "cut short", 200,
    "{\"changes\":[{\"kind\":\"ticket\",\"id\":\"" T1 "\",\"rev\":6,\"deleted\":false,\"record\":{\"id\":\"" T1,
    0, NULL },
  /* A 410, then the pass from revision 0 sends nonsense: the cache is
   * not even marked for the pass. */
  { "resync page not JSON", 410, GONE, 200, "{\"changes\":[" },
  { "resync bad record", 410, GONE, 200,
    "{\"changes\":[{\"kind\":\"ticket\",\"id\":\"" T1 "\",\"rev\":6,\"deleted\":false,"
    "\"record\":{\"id\":\"" T1 "\",\"lat\":\"north\"}}],\"last_rev\":6,\"more\":false}" },
  { "resync more missing", 410, GONE, 200, "{\"changes\":[],\"last_rev\":9}" },
  /* The feed is fine; the crews' positions that end the pull are not. */
  { "positions not JSON", 200, EMPTY_FEED, 200, "{\"positions\":[" },
  { "positions not a list", 200, EMPTY_FEED, 200, "{\"at\":\"2026-01-01T00:00:00Z\",\"positions\":{}}" },
  { "position without crew", 200, EMPTY_FEED, 200,
    "{\"positions\":[{\"lat\":39.9,\"lon\":116.4,\"heading\":0,\"speed_kmh\":0,"
    "\"at\":\"2026-01-01T00:00:00Z\"}]}" },
  { "position latitude a string", 200, EMPTY_FEED, 200,
    "{\"positions\":[{\"crew_id\":\"" C1 "\",\"lat\":39.9,\"lon\":116.4,\"heading\":0,\"speed_kmh\":0,"
    "\"at\":\"2026-01-01T00:00:00Z\"},"
    "{\"crew_id\":\"" C1 "\",\"lat\":\"north\",\"lon\":116.4,\"heading\":0,\"speed_kmh\":0,"
    "\"at\":\"2026-01-01T00:00:01Z\"}]}" },
  { "position off the globe", 200, EMPTY_FEED, 200,
    "{\"positions\":[{\"crew_id\":\"" C1 "\",\"lat\":91,\"lon\":116.4,\"heading\":0,\"speed_kmh\":0,"
    "\"at\":\"2026-01-01T00:00:00Z\"}]}" },
  { "position time not a time", 200, EMPTY_FEED, 200,
    "{\"positions\":[{\"crew_id\":\"" C1 "\",\"lat\":39.9,\"lon\":116.4,\"heading\":0,\"speed_kmh\":0,"
    "\"at\":\"yesterday\"}]}" },
};

static const Case push_cases[] = {
  { "results not a list", 200, "{\"results\":\"none\"}", 0, NULL },
  { "bad record in result", 200,
    "{\"results\":[{\"id\":\"" M1 "\",\"status\":\"applied\",\"rev\":6,\"records\":"
    "[{\"kind\":\"ticket\",\"record\":{\"id\":\"" T1 "\",\"version\":\"two\"}}]}]}", 0, NULL },
  { "unknown status", 200, "{\"results\":[{\"id\":\"" M1 "\",\"status\":\"maybe\"}]}", 0, NULL },
  { "conflict without error", 200, "{\"results\":[{\"id\":\"" M1 "\",\"status\":\"conflict\"}]}", 0, NULL },
  { "conflict with a bad current row", 200,
    "{\"results\":[{\"id\":\"" M1 "\",\"status\":\"conflict\",\"error\":{\"code\":\"conflict\",\"message\":\"x\"},"
    "\"current\":{\"id\":\"" T1 "\",\"lat\":\"north\"}}]}", 0, NULL },
  { "nothing answered", 200, "{\"results\":[],\"last_rev\":5}", 0, NULL },
  { "not JSON", 200, "<html>proxy error</html>", 0, NULL },
};

static CdSyncCache *
make_cache (const char  *dir,
            const char  *url)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_build_filename (dir, "cache.db", NULL);
  CdSyncCache *cache = cd_sync_cache_open (url, "d1", path, &error);
  CdStore *store;

  g_assert_no_error (error);
  store = cd_sync_cache_get_store (cache);
  cd_sync_cache_lock (cache);
  g_assert_true (cd_store_begin (store, &error));
  g_assert_true (cd_store_save_json (store, "ticket", TICKET (T1, "5"), -1, &error));
  g_assert_true (cd_store_save_json (store, "crew",
                                     "{\"id\":\"" C1 "\",\"version\":1,\"rev\":4,\"name\":\"Heat 1\","
                                     "\"utility\":\"heat\",\"status\":\"available\",\"capacity\":3}",
                                     -1, &error));
  g_assert_no_error (error);
  g_assert_true (cd_store_set_crew_position (store, C1, 39.95, 116.35, 90, 20, 1700000000, &error));
  g_assert_true (cd_store_set_last_rev (store, 5, &error));
  g_assert_true (cd_store_outbox_add (store, M1, "{\"id\":\"" M1 "\",\"op\":\"ticket.resume\",\"target\":\"" T1 "\"}",
                                      1000, NULL, &error));
  g_assert_true (cd_store_commit (store, &error));
  cd_sync_cache_unlock (cache);
  g_assert_no_error (error);

  return cache;
}

static void
run_cases (const Case *cases,
           guint       n,
           gboolean    push)
{
  g_autoptr(GSocketService) service = g_threaded_socket_service_new (4);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("crewdesk-sync-bad-XXXXXX", &error);
  g_autofree char *url = NULL;
  g_autoptr(CdSyncCache) cache = NULL;

  g_assert_no_error (error);
  g_socket_listener_add_address (G_SOCKET_LISTENER (service), address, G_SOCKET_TYPE_STREAM,
                                 G_SOCKET_PROTOCOL_TCP, NULL, &bound, &error);
  g_assert_no_error (error);
  g_signal_connect (service, "run", G_CALLBACK (fake_run_cb), NULL);
  g_socket_service_start (service);
  url = g_strdup_printf ("http://127.0.0.1:%u", g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));
  cache = make_cache (dir, url);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(CdSyncClient) client = cd_sync_client_new (url);
      g_autoptr(GAsyncResult) result = NULL;
      g_autoptr(GError) local_error = NULL;
      g_autofree char *before = fingerprint (cache);
      g_autofree char *after = NULL;
      gboolean ok;

      g_test_message ("case: %s", cases[i].name);
      fake_set (cases[i].status, cases[i].body, cases[i].second_status, cases[i].second_body);
      cd_sync_client_set_token (client, "fake");
      if (push)
        cd_sync_client_push_async (client, cache, result_cb, &result);
      else
        cd_sync_client_pull_async (client, cache, result_cb, &result);
      while (result == NULL)
        g_main_context_iteration (NULL, TRUE);
      ok = push ? cd_sync_client_push_finish (client, result, NULL, &local_error)
                : cd_sync_client_pull_finish (client, result, NULL, &local_error);

      if (ok || !g_error_matches (local_error, CD_SYNC_ERROR, CD_SYNC_ERROR_MALFORMED))
        g_error ("case “%s”: expected a malformed-reply error, got %s", cases[i].name,
                 local_error ? local_error->message : "success");
      g_assert_nonnull (cd_sync_client_get_last_error (client));
      g_assert_true (g_error_matches (cd_sync_client_get_last_error (client), CD_SYNC_ERROR,
                                      CD_SYNC_ERROR_MALFORMED));
      /* The clock was read even from a reply that was refused. */
      g_assert_cmpint (cd_sync_client_get_clock_offset_ms (client), >, 4000);

      after = fingerprint (cache);
      if (push)
        {
          /* Sent, not answered: the same entry goes again next time. */
          g_autofree char *expected = NULL;
          char *p;

          expected = g_strdup (before);
          p = strstr (expected, "outbox " M1 " ");
          g_assert_nonnull (p);
          p[strlen ("outbox " M1 " ")] = '1'; /* CD_OUTBOX_SENT */
          g_assert_cmpstr (after, ==, expected);
        }
      else
        g_assert_cmpstr (after, ==, before);
    }

  g_socket_service_stop (service);
  g_socket_listener_close (G_SOCKET_LISTENER (service));
  g_clear_object (&cache);
  {
    g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
    const char *name;

    while (d != NULL && (name = g_dir_read_name (d)) != NULL)
      {
        g_autofree char *path = g_build_filename (dir, name, NULL);
        g_unlink (path);
      }
    g_rmdir (dir);
  }
}

static void
test_pull (void)
{
  run_cases (pull_cases, G_N_ELEMENTS (pull_cases), FALSE);
}

static void
test_push (void)
{
  run_cases (push_cases, G_N_ELEMENTS (push_cases), TRUE);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  cd_model_init ();

  g_test_add_func ("/sync/malformed/pull", test_pull);
  g_test_add_func ("/sync/malformed/push", test_push);

  return g_test_run ();
}
