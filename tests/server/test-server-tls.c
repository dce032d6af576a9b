/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-server-tls.c: --tls-cert/--tls-key serve HTTPS, and only HTTPS. */
#include "config.h"

#include <glib/gstdio.h>
#include <libsoup/soup.h>

#include "cd-test-server.h"

static gboolean
accept_certificate_cb (SoupMessage          *msg,
                       GTlsCertificate      *certificate,
                       GTlsCertificateFlags  errors,
                       gpointer              user_data)
{
  /* Self-signed for the test: accepting it is the point. */
  return TRUE;
}

static guint
get (const char *url,
     char      **body)
{
  g_autoptr(SoupSession) session = soup_session_new_with_options ("timeout", 10, NULL);
  g_autoptr(SoupMessage) msg = soup_message_new ("GET", url);
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;

  g_signal_connect (msg, "accept-certificate", G_CALLBACK (accept_certificate_cb), NULL);
  bytes = soup_session_send_and_read (session, msg, NULL, &error);
  if (bytes == NULL)
    return 0;
  if (body)
    *body = g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  return soup_message_get_status (msg);
}

static void
test_https (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("crewdesk-tls-XXXXXX", &error);
  g_autofree char *cert = g_build_filename (dir, "cert.pem", NULL);
  g_autofree char *key = g_build_filename (dir, "key.pem", NULL);
  g_autofree char *config = NULL;
  g_autofree char *https = NULL;
  g_autofree char *http = NULL;
  g_autofree char *body = NULL;
  g_autoptr(GSubprocess) openssl = NULL;
  g_autoptr(CdTestServer) server = NULL;

  g_assert_no_error (error);
  openssl = g_subprocess_new (G_SUBPROCESS_FLAGS_STDERR_SILENCE | G_SUBPROCESS_FLAGS_STDOUT_SILENCE, &error,
                              "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                              "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=127.0.0.1", NULL);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_wait_check (openssl, NULL, &error));

  config = g_strdup_printf ("tls-cert=%s\ntls-key=%s\n", cert, key);
  server = cd_test_server_start (config, FALSE);

  https = g_strdup_printf ("https://127.0.0.1:%u/api/v1/health", server->port);
  g_assert_cmpuint (get (https, &body), ==, 200);
  g_assert_cmpstr (body, ==, "{\"status\":\"ok\"}");

  /* Plain HTTP on the TLS port gets no answer. */
  http = g_strdup_printf ("http://127.0.0.1:%u/api/v1/health", server->port);
  g_assert_cmpuint (get (http, NULL), !=, 200);

  g_unlink (cert);
  g_unlink (key);
  g_rmdir (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/tls/https-only", test_https);

  return g_test_run ();
}
