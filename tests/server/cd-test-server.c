/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <signal.h>
#include <string.h>

#include "cd-test-server.h"

static const char *
server_binary (void)
{
  const char *bin = g_getenv ("CREWDESK_SERVER_BIN");

  g_assert_nonnull (bin);
  return bin;
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
cd_test_server_start (const char *config_text,
                      gboolean    demo)
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

  p = g_subprocess_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDERR_SILENCE, &error,
                        server_binary (), "--db", server->db_path, "--add-user", username,
                        "--role", role, crew_id ? "--crew" : NULL, crew_id, NULL);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (p, input, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_successful (p));
}

static SoupSession *
session (void)
{
  static SoupSession *s;

  if (s == NULL)
    s = soup_session_new_with_options ("timeout", 30, "max-conns", 64, "max-conns-per-host", 64, NULL);

  return s;
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
  g_autofree char *url = g_strconcat (server->base_url, path, NULL);
  g_autoptr(SoupMessage) msg = soup_message_new (method, url);
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;
  CdTestReply *reply = g_new0 (CdTestReply, 1);
  SoupMessageHeaders *headers;
  const char *type;
  gsize size = 0;

  g_assert_nonnull (msg);
  headers = soup_message_get_request_headers (msg);
  if (token)
    {
      g_autofree char *value = g_strconcat ("Bearer ", token, NULL);
      soup_message_headers_replace (headers, "Authorization", value);
    }
  if (body)
    {
      g_autoptr(GBytes) b = g_bytes_new (body, length < 0 ? strlen (body) : (gsize) length);
      soup_message_set_request_body_from_bytes (msg, content_type, b);
    }

  bytes = soup_session_send_and_read (session (), msg, NULL, &error);
  g_assert_no_error (error);

  reply->status = soup_message_get_status (msg);
  reply->body = g_strndup (g_bytes_get_data (bytes, &size), g_bytes_get_size (bytes));
  type = soup_message_headers_get_content_type (soup_message_get_response_headers (msg), NULL);
  reply->content_type = g_strdup (type);
  reply->retry_after = g_strdup (soup_message_headers_get_one (soup_message_get_response_headers (msg), "Retry-After"));
  if (type && strcmp (type, "application/json") == 0 && size > 0)
    reply->json = json_from_string (reply->body, NULL);

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
