/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>

#include "cd-test-server.h"

void
cd_test_init (int    *argc,
              char ***argv)
{
  /* Kept for the whole run: GLib keeps pointers into argv. */
  static GPtrArray *args;

  args = g_ptr_array_new ();
  for (int i = 0; i < *argc; i++)
    g_ptr_array_add (args, (*argv)[i]);
  g_ptr_array_add (args, (gpointer) "--keep-going");
  g_ptr_array_add (args, NULL);
  *argc = (int) args->len - 1;
  *argv = (char **) args->pdata;

  g_test_init (argc, argv, NULL);
}

static const char *
server_binary (void)
{
  const char *bin = g_getenv ("CREWDESK_SERVER_BIN");

  g_assert_nonnull (bin);
  return bin;
}

/* A server outlives no test: should the test program die on a failed
 * assertion, the kernel kills the server too. */
static void
die_with_parent (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

static void
spawn (CdTestServer *server)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_autoptr(GError) error = NULL;
  g_autofree char *port_file = g_build_filename (server->dir, "port", NULL);
  g_autofree char *config = g_build_filename (server->dir, "server.conf", NULL);
  g_autofree char *port_text = NULL;
  gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
  g_autofree char *demo_flag = g_build_filename (server->dir, "demo", NULL);
  gboolean demo = g_file_test (demo_flag, G_FILE_TEST_EXISTS);

  g_unlink (port_file);
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  g_subprocess_launcher_set_stderr_file_path (launcher, server->log_path);
  g_subprocess_launcher_set_flags (launcher, G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
  server->process = g_subprocess_launcher_spawn (launcher, &error, server_binary (),
                                                 "--listen", "127.0.0.1:0",
                                                 "--db", server->db_path,
                                                 "--config", config,
                                                 "--port-file", port_file,
                                                 demo ? "--demo" : NULL, NULL);
  g_assert_no_error (error);

  while (!g_file_get_contents (port_file, &port_text, NULL, NULL))
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("crewdesk-server did not start; see %s", server->log_path);
      g_usleep (20 * 1000);
    }

  server->port = (guint16) g_ascii_strtoull (port_text, NULL, 10);
  g_free (server->base_url);
  server->base_url = g_strdup_printf ("http://127.0.0.1:%u", server->port);
}

CdTestServer *
cd_test_server_new (const char *config_text)
{
  CdTestServer *server = g_new0 (CdTestServer, 1);
  g_autoptr(GError) error = NULL;
  g_autofree char *config = NULL;
  g_autofree char *text = g_strdup_printf ("[server]\nthreads=4\n%s\n", config_text ? config_text : "");

  server->dir = g_dir_make_tmp ("crewdesk-server-XXXXXX", &error);
  g_assert_no_error (error);
  server->db_path = g_build_filename (server->dir, "server.db", NULL);
  server->log_path = g_build_filename (server->dir, "server.log", NULL);
  config = g_build_filename (server->dir, "server.conf", NULL);
  g_file_set_contents (config, text, -1, &error);
  g_assert_no_error (error);

  return server;
}

void
cd_test_server_launch (CdTestServer *server)
{
  g_assert_null (server->process);
  spawn (server);
}

CdTestServer *
cd_test_server_start (const char *config_text,
                      gboolean    demo)
{
  CdTestServer *server = cd_test_server_new (config_text);

  if (demo)
    {
      g_autofree char *flag = g_build_filename (server->dir, "demo", NULL);
      g_file_set_contents (flag, "", 0, NULL);
    }

  spawn (server);
  return server;
}

void
cd_test_server_kill (CdTestServer *server,
                     int           signum)
{
  if (server->process == NULL)
    return;

  g_subprocess_send_signal (server->process, signum);
  g_subprocess_wait (server->process, NULL, NULL);
  g_clear_object (&server->process);
}

void
cd_test_server_restart (CdTestServer *server)
{
  g_autofree char *flag = g_build_filename (server->dir, "demo", NULL);

  cd_test_server_kill (server, SIGTERM);
  /* The demo seeds only an empty database; never twice. */
  g_unlink (flag);
  spawn (server);
}

static void
remove_tree (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  while (d && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      g_unlink (path);
    }
  g_rmdir (dir);
}

void
cd_test_server_free (CdTestServer *server)
{
  if (server == NULL)
    return;

  cd_test_server_kill (server, SIGTERM);
  if (g_getenv ("CREWDESK_KEEP_TEST_DIRS") == NULL)
    remove_tree (server->dir);
  g_free (server->dir);
  g_free (server->db_path);
  g_free (server->log_path);
  g_free (server->base_url);
  g_free (server);
}

void
cd_test_server_add_user (CdTestServer *server,
                         const char   *username,
                         const char   *role,
                         const char   *crew_id,
                         const char   *password)
{
  g_autoptr(GSubprocess) p = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *input = g_strconcat (password, "\n", NULL);

  p = g_subprocess_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
                        G_SUBPROCESS_FLAGS_STDERR_SILENCE, &error,
                        server_binary (), "--db", server->db_path, "--add-user", username,
                        "--role", role, crew_id ? "--crew" : NULL, crew_id, NULL);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (p, input, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_successful (p));
}

char *
cd_test_password_for (const char *username)
{
  return g_strconcat ("pw-", username, "-secret", NULL);
}

char *
cd_test_add_and_login (CdTestServer *server,
                       const char   *username,
                       const char   *role,
                       const char   *crew_id)
{
  g_autofree char *password = cd_test_password_for (username);

  cd_test_server_add_user (server, username, role, crew_id, password);
  return cd_test_login (server, username, password);
}

/* libsoup 3.2 lets any thread send on one session; it is created once. */
static SoupSession *
session (void)
{
  static SoupSession *s;

  if (g_once_init_enter (&s))
    g_once_init_leave (&s, soup_session_new_with_options ("timeout", 30, "max-conns", 64,
                                                          "max-conns-per-host", 64, NULL));

  return s;
}

static void
copy_header (const char *name,
             const char *value,
             gpointer    user_data)
{
  g_hash_table_replace (user_data, g_ascii_strdown (name, -1), g_strdup (value));
}

CdTestReply *
cd_test_request_full (CdTestServer       *server,
                      const char         *method,
                      const char         *path,
                      const char         *token,
                      const char * const *headers,
                      const char         *content_type,
                      const char         *body,
                      gssize              length,
                      gboolean            chunked,
                      GError            **error)
{
  g_autofree char *url = g_strconcat (server->base_url, path, NULL);
  g_autoptr(SoupMessage) msg = soup_message_new (method, url);
  g_autoptr(GBytes) bytes = NULL;
  CdTestReply *reply;
  SoupMessageHeaders *request_headers;
  SoupMessageHeaders *response_headers;
  const char *type;
  gsize size = 0;

  g_assert_nonnull (msg);
  request_headers = soup_message_get_request_headers (msg);
  if (token)
    {
      g_autofree char *value = g_strconcat ("Bearer ", token, NULL);
      soup_message_headers_replace (request_headers, "Authorization", value);
    }
  if (body)
    {
      gsize n = length < 0 ? strlen (body) : (gsize) length;

      if (chunked)
        {
          g_autoptr(GInputStream) stream = g_memory_input_stream_new_from_data (g_memdup2 (body, n), n, g_free);

          soup_message_set_request_body (msg, content_type, stream, -1);
          soup_message_headers_set_encoding (request_headers, SOUP_ENCODING_CHUNKED);
        }
      else
        {
          g_autoptr(GBytes) b = g_bytes_new (body, n);

          soup_message_set_request_body_from_bytes (msg, content_type, b);
        }
    }
  for (guint i = 0; headers != NULL && headers[i] != NULL && headers[i + 1] != NULL; i += 2)
    soup_message_headers_replace (request_headers, headers[i], headers[i + 1]);

  bytes = soup_session_send_and_read (session (), msg, NULL, error);
  if (bytes == NULL)
    return NULL;

  reply = g_new0 (CdTestReply, 1);
  response_headers = soup_message_get_response_headers (msg);
  reply->status = soup_message_get_status (msg);
  reply->body = g_strndup (g_bytes_get_data (bytes, &size), g_bytes_get_size (bytes));
  type = soup_message_headers_get_content_type (response_headers, NULL);
  reply->content_type = g_strdup (type);
  reply->retry_after = g_strdup (soup_message_headers_get_one (response_headers, "Retry-After"));
  reply->headers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  soup_message_headers_foreach (response_headers, copy_header, reply->headers);
  if (type && strcmp (type, "application/json") == 0 && size > 0)
    reply->json = json_from_string (reply->body, NULL);

  return reply;
}

CdTestReply *
cd_test_request_raw (CdTestServer *server,
                     const char   *method,
                     const char   *path,
                     const char   *token,
                     const char   *content_type,
                     const char   *body,
                     gssize        length)
{
  g_autoptr(GError) error = NULL;
  CdTestReply *reply = cd_test_request_full (server, method, path, token, NULL, content_type,
                                             body, length, FALSE, &error);

  g_assert_no_error (error);
  return reply;
}

CdTestReply *
cd_test_request (CdTestServer *server,
                 const char   *method,
                 const char   *path,
                 const char   *token,
                 const char   *body)
{
  return cd_test_request_raw (server, method, path, token,
                              body ? "application/json" : NULL, body, -1);
}

char *
cd_test_login (CdTestServer *server,
               const char   *username,
               const char   *password)
{
  g_autofree char *body = g_strdup_printf ("{\"username\":\"%s\",\"password\":\"%s\"}", username, password);
  g_autoptr(CdTestReply) reply = cd_test_request (server, "POST", "/api/v1/login", NULL, body);

  if (reply->status != 200)
    g_error ("login of %s failed: %u %s", username, reply->status, reply->body);

  return g_strdup (json_object_get_string_member (json_node_get_object (reply->json), "token"));
}

void
cd_test_reply_free (CdTestReply *reply)
{
  if (reply == NULL)
    return;

  g_clear_pointer (&reply->json, json_node_unref);
  g_clear_pointer (&reply->headers, g_hash_table_unref);
  g_free (reply->body);
  g_free (reply->content_type);
  g_free (reply->retry_after);
  g_free (reply);
}

const char *
cd_test_reply_error_code (CdTestReply *reply)
{
  JsonObject *o, *e;

  if (reply->json == NULL || !JSON_NODE_HOLDS_OBJECT (reply->json))
    return NULL;
  o = json_node_get_object (reply->json);
  if (!json_object_has_member (o, "error"))
    return NULL;
  e = json_object_get_object_member (o, "error");
  return json_object_get_string_member (e, "code");
}

const char *
cd_test_reply_header (CdTestReply *reply,
                      const char  *name)
{
  g_autofree char *key = g_ascii_strdown (name, -1);

  return reply->headers ? g_hash_table_lookup (reply->headers, key) : NULL;
}

JsonObject *
cd_test_reply_object (CdTestReply *reply)
{
  if (reply->json == NULL || !JSON_NODE_HOLDS_OBJECT (reply->json))
    g_error ("expected a JSON object, got %u %s", reply->status, reply->body);

  return json_node_get_object (reply->json);
}

gint64
cd_test_metric (CdTestServer *server,
                const char   *token,
                const char   *name)
{
  g_autoptr(CdTestReply) reply = cd_test_request (server, "GET", "/metrics", token, NULL);
  g_auto(GStrv) lines = NULL;
  gsize name_len = strlen (name);

  g_assert_cmpuint (reply->status, ==, 200);
  lines = g_strsplit (reply->body, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    if (g_str_has_prefix (lines[i], name) && lines[i][name_len] == ' ')
      return g_ascii_strtoll (lines[i] + name_len + 1, NULL, 10);

  return -1;
}

/* Mutations ------------------------------------------------------------- */

char *
cd_test_mutation (const char *id,
                  const char *op,
                  const char *target,
                  gint64      expected_version,
                  const char *args_json)
{
  g_autofree char *new_id = id ? NULL : g_uuid_string_random ();
  g_autofree char *new_target = target ? NULL : g_uuid_string_random ();
  g_autofree char *version = expected_version >= 0
                             ? g_strdup_printf (",\"expected_version\":%" G_GINT64_FORMAT, expected_version)
                             : g_strdup ("");

  return g_strdup_printf ("{\"id\":\"%s\",\"op\":\"%s\",\"target\":\"%s\"%s%s%s}",
                          id ? id : new_id, op, target ? target : new_target, version,
                          args_json ? ",\"args\":" : "", args_json ? args_json : "");
}

char *
cd_test_ticket_args (const char *utility,
                     const char *category,
                     const char *extra)
{
  return g_strdup_printf ("{\"channel\":\"hotline\",\"category\":\"%s\",\"urgency\":\"urgent\","
                          "\"utility\":\"%s\",\"customer\":{\"name\":\"Wang Fang\",\"phone\":\"+86 10 5555 0101\"},"
                          "\"address\":\"12 Riverside Road\",\"lat\":39.91,\"lon\":116.40%s%s}",
                          category, utility, extra ? "," : "", extra ? extra : "");
}

CdTestReply *
cd_test_send_mutations (CdTestServer       *server,
                        const char         *token,
                        const char * const *mutations)
{
  g_autoptr(GString) body = g_string_new ("{\"mutations\":[");

  for (guint i = 0; mutations[i] != NULL; i++)
    g_string_append_printf (body, "%s%s", i ? "," : "", mutations[i]);
  g_string_append (body, "]}");

  return cd_test_request (server, "POST", "/api/v1/mutations", token, body->str);
}

CdTestReply *
cd_test_send_mutation (CdTestServer *server,
                       const char   *token,
                       const char   *mutation)
{
  const char *list[] = { mutation, NULL };

  return cd_test_send_mutations (server, token, list);
}

JsonObject *
cd_test_result (CdTestReply *reply,
                guint        index)
{
  JsonArray *results;

  if (reply->status != 200)
    g_error ("mutations failed: %u %s", reply->status, reply->body);
  results = json_object_get_array_member (cd_test_reply_object (reply), "results");
  g_assert_nonnull (results);
  g_assert_cmpuint (index, <, json_array_get_length (results));

  return json_array_get_object_element (results, index);
}

const char *
cd_test_result_status (JsonObject *result)
{
  return json_object_get_string_member (result, "status");
}

const char *
cd_test_result_error_code (JsonObject *result)
{
  JsonNode *node = json_object_get_member (result, "error");

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return NULL;

  return json_object_get_string_member (json_node_get_object (node), "code");
}

JsonObject *
cd_test_result_record (JsonObject *result,
                       const char *kind)
{
  JsonArray *records;

  if (!json_object_has_member (result, "records"))
    return NULL;
  records = json_object_get_array_member (result, "records");
  for (guint i = 0; records && i < json_array_get_length (records); i++)
    {
      JsonObject *item = json_array_get_object_element (records, i);

      if (g_strcmp0 (json_object_get_string_member (item, "kind"), kind) == 0)
        return json_object_get_object_member (item, "record");
    }

  return NULL;
}

char *
cd_test_create_ticket (CdTestServer *server,
                       const char   *token,
                       const char   *utility,
                       const char   *category,
                       const char   *extra)
{
  g_autofree char *target = g_uuid_string_random ();
  g_autofree char *args = cd_test_ticket_args (utility, category, extra);
  g_autofree char *m = cd_test_mutation (NULL, "ticket.create", target, -1, args);
  g_autoptr(CdTestReply) reply = cd_test_send_mutation (server, token, m);
  JsonObject *result = cd_test_result (reply, 0);

  if (g_strcmp0 (cd_test_result_status (result), "applied") != 0)
    g_error ("ticket.create not applied: %s", reply->body);

  return g_steal_pointer (&target);
}

/* Raw sockets ----------------------------------------------------------- */

GSocketConnection *
cd_test_raw_connect (CdTestServer *server)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GError) error = NULL;
  GSocketConnection *connection;

  g_socket_client_set_timeout (client, 20);
  connection = g_socket_client_connect_to_host (client, "127.0.0.1", server->port, NULL, &error);
  g_assert_no_error (error);

  return connection;
}

gboolean
cd_test_raw_write (GSocketConnection  *connection,
                   const char         *data,
                   gssize              length,
                   GError            **error)
{
  GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (connection));
  gsize n = length < 0 ? strlen (data) : (gsize) length;

  return g_output_stream_write_all (out, data, n, NULL, NULL, error);
}

/* Whether @buf holds a whole response: headers, and as many body bytes as
 * Content-Length says (a response without one is whole at the peer's close). */
static gboolean
response_complete (GString *buf)
{
  const char *end = strstr (buf->str, "\r\n\r\n");
  g_autofree char *head = NULL;
  g_auto(GStrv) lines = NULL;

  if (end == NULL)
    return FALSE;
  head = g_ascii_strdown (buf->str, end - buf->str);
  lines = g_strsplit (head, "\r\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    if (g_str_has_prefix (lines[i], "content-length:"))
      {
        guint64 length = g_ascii_strtoull (lines[i] + strlen ("content-length:"), NULL, 10);

        return (gsize) (end + 4 - buf->str) + length <= buf->len;
      }

  return FALSE;
}

char *
cd_test_raw_read (GSocketConnection *connection,
                  guint              timeout_s)
{
  GSocket *socket = g_socket_connection_get_socket (connection);
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_s * G_USEC_PER_SEC;
  GString *buf = g_string_new (NULL);

  while (!response_complete (buf))
    {
      g_autoptr(GError) error = NULL;
      gint64 left = deadline - g_get_monotonic_time ();
      char chunk[4096];
      gssize n;

      if (left <= 0 || !g_socket_condition_timed_wait (socket, G_IO_IN | G_IO_HUP | G_IO_ERR, left, NULL, &error))
        break;
      n = g_socket_receive (socket, chunk, sizeof chunk, NULL, &error);
      if (n <= 0)
        break;
      g_string_append_len (buf, chunk, n);
    }

  return g_string_free (buf, FALSE);
}

/* Streams --------------------------------------------------------------- */

struct _CdTestStream
{
  GSocketConnection *connection;
  GString           *raw;      /* received, not yet decoded */
  GString           *body;     /* decoded, not yet handed out */
  guint              status;
  GHashTable        *headers;
  gboolean           chunked;
  gboolean           ended;
  gsize              chunk_left;
  gboolean           need_crlf;  /* after a chunk's data */
};

/* Reads once; FALSE on timeout, error or end. */
static gboolean
stream_fill (CdTestStream *stream,
             gint64        deadline)
{
  GSocket *socket = g_socket_connection_get_socket (stream->connection);
  g_autoptr(GError) error = NULL;
  gint64 left = deadline - g_get_monotonic_time ();
  char chunk[4096];
  gssize n;

  if (stream->ended || left <= 0 ||
      !g_socket_condition_timed_wait (socket, G_IO_IN | G_IO_HUP | G_IO_ERR, left, NULL, &error))
    return FALSE;
  n = g_socket_receive (socket, chunk, sizeof chunk, NULL, &error);
  if (n <= 0)
    {
      stream->ended = TRUE;
      return FALSE;
    }
  g_string_append_len (stream->raw, chunk, n);
  return TRUE;
}

/* Moves what can be decoded from raw to body. */
static void
stream_decode (CdTestStream *stream)
{
  if (!stream->chunked)
    {
      g_string_append_len (stream->body, stream->raw->str, stream->raw->len);
      g_string_truncate (stream->raw, 0);
      return;
    }

  for (;;)
    {
      if (stream->need_crlf)
        {
          if (stream->raw->len < 2)
            return;
          g_assert_cmpmem (stream->raw->str, 2, "\r\n", 2);
          g_string_erase (stream->raw, 0, 2);
          stream->need_crlf = FALSE;
          continue;
        }
      if (stream->chunk_left > 0)
        {
          gsize n = MIN (stream->chunk_left, stream->raw->len);

          if (n == 0)
            return;
          g_string_append_len (stream->body, stream->raw->str, n);
          g_string_erase (stream->raw, 0, n);
          stream->chunk_left -= n;
          stream->need_crlf = stream->chunk_left == 0;
          continue;
        }

      {
        const char *eol = strstr (stream->raw->str, "\r\n");
        guint64 size;

        if (eol == NULL)
          return;
        size = g_ascii_strtoull (stream->raw->str, NULL, 16);
        g_string_erase (stream->raw, 0, eol + 2 - stream->raw->str);
        if (size == 0)
          {
            stream->ended = TRUE;
            return;
          }
        stream->chunk_left = size;
      }
    }
}

CdTestStream *
cd_test_stream_open (CdTestServer *server,
                     const char   *path,
                     const char   *token)
{
  CdTestStream *stream = g_new0 (CdTestStream, 1);
  g_autoptr(GError) error = NULL;
  g_autofree char *request = NULL;
  g_auto(GStrv) lines = NULL;
  gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
  const char *end;
  const char *encoding;

  stream->connection = cd_test_raw_connect (server);
  stream->raw = g_string_new (NULL);
  stream->body = g_string_new (NULL);
  stream->headers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  request = g_strdup_printf ("GET %s HTTP/1.1\r\nHost: 127.0.0.1:%u\r\nAccept: text/event-stream\r\n"
                             "%s%s%s\r\n", path, server->port,
                             token ? "Authorization: Bearer " : "", token ? token : "", token ? "\r\n" : "");
  cd_test_raw_write (stream->connection, request, -1, &error);
  g_assert_no_error (error);

  while ((end = strstr (stream->raw->str, "\r\n\r\n")) == NULL)
    if (!stream_fill (stream, deadline))
      g_error ("no response headers from %s (got \"%s\")", path, stream->raw->str);

  {
    g_autofree char *head = g_strndup (stream->raw->str, end - stream->raw->str);

    lines = g_strsplit (head, "\r\n", -1);
  }
  g_string_erase (stream->raw, 0, end + 4 - stream->raw->str);

  g_assert_true (g_str_has_prefix (lines[0], "HTTP/1.1 "));
  stream->status = (guint) g_ascii_strtoull (lines[0] + strlen ("HTTP/1.1 "), NULL, 10);
  for (guint i = 1; lines[i] != NULL; i++)
    {
      const char *colon = strchr (lines[i], ':');

      if (colon == NULL)
        continue;
      g_hash_table_replace (stream->headers, g_ascii_strdown (lines[i], colon - lines[i]),
                            g_strstrip (g_strdup (colon + 1)));
    }
  encoding = g_hash_table_lookup (stream->headers, "transfer-encoding");
  stream->chunked = encoding != NULL && g_ascii_strcasecmp (encoding, "chunked") == 0;
  stream_decode (stream);

  return stream;
}

guint
cd_test_stream_get_status (CdTestStream *stream)
{
  return stream->status;
}

const char *
cd_test_stream_get_header (CdTestStream *stream,
                           const char   *name)
{
  g_autofree char *key = g_ascii_strdown (name, -1);

  return g_hash_table_lookup (stream->headers, key);
}

gboolean
cd_test_stream_next_event (CdTestStream  *stream,
                           guint          timeout_s,
                           char         **event,
                           char         **data)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_s * G_USEC_PER_SEC;

  for (;;)
    {
      const char *end = strstr (stream->body->str, "\n\n");

      if (end != NULL)
        {
          g_autofree char *block = g_strndup (stream->body->str, end - stream->body->str);
          g_auto(GStrv) lines = g_strsplit (block, "\n", -1);
          g_autoptr(GString) joined = NULL;
          g_autofree char *name = NULL;

          g_string_erase (stream->body, 0, end + 2 - stream->body->str);
          for (guint i = 0; lines[i] != NULL; i++)
            {
              if (g_str_has_prefix (lines[i], "event:"))
                {
                  g_free (name);
                  name = g_strstrip (g_strdup (lines[i] + strlen ("event:")));
                }
              else if (g_str_has_prefix (lines[i], "data:"))
                {
                  const char *d = lines[i] + strlen ("data:");

                  if (*d == ' ')
                    d++;
                  if (joined == NULL)
                    joined = g_string_new (d);
                  else
                    g_string_append_printf (joined, "\n%s", d);
                }
            }
          /* A block of comments or a bare retry: carries no event. */
          if (joined == NULL)
            continue;
          if (event)
            *event = name ? g_steal_pointer (&name) : g_strdup ("message");
          if (data)
            *data = g_string_free (g_steal_pointer (&joined), FALSE);
          return TRUE;
        }

      if (!stream_fill (stream, deadline))
        return FALSE;
      stream_decode (stream);
    }
}

char *
cd_test_stream_wait_event (CdTestStream *stream,
                           const char   *event,
                           guint         timeout_s)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_s * G_USEC_PER_SEC;

  for (;;)
    {
      g_autofree char *name = NULL;
      char *data = NULL;
      gint64 left = deadline - g_get_monotonic_time ();

      if (left <= 0 || !cd_test_stream_next_event (stream, (guint) ((left + G_USEC_PER_SEC - 1) / G_USEC_PER_SEC),
                                                   &name, &data))
        return NULL;
      if (g_strcmp0 (name, event) == 0)
        return data;
      g_free (data);
    }
}

void
cd_test_stream_free (CdTestStream *stream)
{
  if (stream == NULL)
    return;

  g_io_stream_close (G_IO_STREAM (stream->connection), NULL, NULL);
  g_object_unref (stream->connection);
  g_string_free (stream->raw, TRUE);
  g_string_free (stream->body, TRUE);
  g_hash_table_unref (stream->headers);
  g_free (stream);
}
