/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-server-input.c: bad input of every kind gets a clear JSON error
 * with a stable code, nothing is written, and the server keeps serving. */
#include "config.h"

#include <string.h>

#include "cd-model.h"
#include "cd-store.h"
#include "cd-test-server.h"

#define MAX_BODY 4096

static CdTestServer *server;
static char *dispatcher;    /* token */
static char *admin;         /* token, for /metrics */
static char *crew_device;   /* token of the device of `crew` */
static char *lost_device;   /* token of a device whose crew does not exist */
static char *crew;          /* an existing crew's id */
static char *lost_crew;     /* lost_device's crew, which does not exist */

static gint64
current_rev (void)
{
  gint64 rev = cd_test_metric (server, admin, "crewdesk_revision");

  g_assert_cmpint (rev, >=, 0);
  return rev;
}

static void
assert_error (CdTestReply *reply,
              guint        status,
              const char  *code)
{
  JsonObject *error;

  if (reply->status != status)
    g_error ("expected %u %s, got %u %s", status, code ? code : "", reply->status, reply->body);
  g_assert_cmpstr (reply->content_type, ==, "application/json");
  g_assert_nonnull (reply->json);
  error = json_object_get_object_member (cd_test_reply_object (reply), "error");
  g_assert_nonnull (error);
  if (code && g_strcmp0 (json_object_get_string_member (error, "code"), code) != 0)
    g_error ("expected the code %s, got %s", code, reply->body);
  g_assert_cmpstr (json_object_get_string_member (error, "message"), !=, "");
}

static CdTestReply *
post (const char *path,
      const char *token,
      const char *body)
{
  return cd_test_request (server, "POST", path, token, body);
}

/* POSTs @body to /mutations and asserts a 400 with @code, and nothing
 * written. */
static void
assert_batch_refused (const char *body,
                      guint       status,
                      const char *code)
{
  gint64 before = current_rev ();
  g_autoptr(CdTestReply) reply = post ("/api/v1/mutations", dispatcher, body);
  g_autofree char *shown = g_strescape (body, NULL);

  g_test_message ("body %.60s -> %u %s", shown, reply->status, reply->body);
  assert_error (reply, status, code);
  g_assert_cmpint (current_rev (), ==, before);
}

/* Sends one mutation and asserts it was rejected with @code, nothing
 * written, and the rest of the batch unharmed. */
static void
assert_mutation_rejected (const char *mutation,
                          const char *code)
{
  gint64 before = current_rev ();
  g_autoptr(CdTestReply) reply = cd_test_send_mutation (server, dispatcher, mutation);
  JsonObject *result = cd_test_result (reply, 0);

  g_test_message ("mutation %.80s -> %s", mutation, reply->body);
  g_assert_cmpstr (cd_test_result_status (result), ==, "rejected");
  g_assert_cmpstr (cd_test_result_error_code (result), ==, code);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (result, "error"), "message"), !=, "");
  g_assert_cmpint (current_rev (), ==, before);
}

static char *
ticket_mutation (const char *args)
{
  return cd_test_mutation (NULL, "ticket.create", NULL, -1, args);
}

/* ------------------------------------------------------------------------ */

static void
test_malformed_json (void)
{
  static const char * const bodies[] = {
    "{\"mutations\": [",
    "not json at all",
    "{\"mutations\": [],}",
    "{mutations: []}",
    "{\"mutations\": [] } trailing",
    "{\"mutations\": [{\"id\": \"x\" \"op\": \"y\"}]}",
    "",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bodies); i++)
    assert_batch_refused (bodies[i], 400, "malformed");

  /* Invalid UTF-8, and a document nested past the limit. */
  assert_batch_refused ("{\"mutations\": [\"\xff\xfe\"]}", 400, NULL);
  {
    g_autoptr(GString) deep = g_string_new ("{\"mutations\":");

    for (guint i = 0; i < 100; i++)
      g_string_append_c (deep, '[');
    for (guint i = 0; i < 100; i++)
      g_string_append_c (deep, ']');
    g_string_append_c (deep, '}');
    assert_batch_refused (deep->str, 400, "too-deep");
  }

  /* The login too. */
  {
    g_autoptr(CdTestReply) reply = post ("/api/v1/login", NULL, "{\"username\": \"x\", ");

    assert_error (reply, 400, "malformed");
  }
  /* And a position. */
  {
    g_autofree char *path = g_strdup_printf ("/api/v1/crews/%s/position", crew);
    g_autoptr(CdTestReply) reply = post (path, crew_device, "{\"lat\": 39.9, \"lon\": }");

    assert_error (reply, 400, "malformed");
  }
}

/* What json-glib's parser lets through but RFC 8259 does not: a client
 * (or a proxy that checks bodies) must not get a different reading of a
 * request than the server. */
static void
test_non_standard_json (void)
{
  static const char * const bodies[] = {
    "{'mutations': []}",
    "{\"mutations\": [] /* a comment */}",
    "{\"mutations\": []} {\"mutations\": [42]}",
    "{\"mutations\": [0x10]}",
  };
  guint accepted = 0;

  for (guint i = 0; i < G_N_ELEMENTS (bodies); i++)
    {
      gint64 before = current_rev ();
      g_autoptr(CdTestReply) reply = post ("/api/v1/mutations", dispatcher, bodies[i]);

      g_assert_cmpint (current_rev (), ==, before);
      if (reply->status != 400 || g_strcmp0 (cd_test_reply_error_code (reply), "malformed") != 0)
        {
          g_test_message ("not JSON, but accepted: %s -> %u %s", bodies[i], reply->status, reply->body);
          accepted++;
        }
    }

  /* Not fatal, so that the tests after this one still run. */
  if (accepted > 0)
    g_test_fail_printf ("%u documents that are not JSON were accepted", accepted);
}

static void
test_content_type (void)
{
  g_autofree char *args = cd_test_ticket_args ("heat", "no-heat", NULL);
  g_autofree char *m = ticket_mutation (args);
  g_autofree char *body = g_strdup_printf ("{\"mutations\":[%s]}", m);
  static const char * const types[] = { "text/plain", "application/x-www-form-urlencoded", "multipart/form-data",
                                        "application/xml" };
  gint64 before = current_rev ();

  for (guint i = 0; i < G_N_ELEMENTS (types); i++)
    {
      g_autoptr(CdTestReply) reply = cd_test_request_raw (server, "POST", "/api/v1/mutations", dispatcher,
                                                          types[i], body, -1);

      assert_error (reply, 415, "unsupported-media-type");
    }

  /* No Content-Type at all. */
  {
    const char *headers[] = { "Content-Type", "", NULL };
    g_autoptr(GError) error = NULL;
    g_autoptr(CdTestReply) reply = cd_test_request_full (server, "POST", "/api/v1/mutations", dispatcher, headers,
                                                         NULL, body, -1, FALSE, &error);

    g_assert_no_error (error);
    assert_error (reply, 415, "unsupported-media-type");
  }

  g_assert_cmpint (current_rev (), ==, before);

  /* The same body as JSON goes through: it was only the type. */
  {
    g_autoptr(CdTestReply) reply = post ("/api/v1/mutations", dispatcher, body);

    g_assert_cmpstr (cd_test_result_status (cd_test_result (reply, 0)), ==, "applied");
    g_assert_cmpint (current_rev (), ==, before + 1);
  }
}

static void
test_wrong_types (void)
{
  g_autofree char *position = g_strdup_printf ("/api/v1/crews/%s/position", crew);

  assert_batch_refused ("[]", 400, "wrong-type");
  assert_batch_refused ("\"mutations\"", 400, "wrong-type");
  assert_batch_refused ("{\"mutations\": {}}", 400, "wrong-type");
  assert_batch_refused ("{\"mutations\": \"all of them\"}", 400, "wrong-type");
  assert_batch_refused ("{\"mutations\": 3}", 400, "wrong-type");

  {
    g_autoptr(CdTestReply) reply = post ("/api/v1/login", NULL, "{\"username\": 5, \"password\": \"x\"}");

    assert_error (reply, 400, "wrong-type");
  }
  {
    g_autoptr(CdTestReply) reply = post ("/api/v1/login", NULL, "{\"username\": \"a\", \"password\": [\"x\"]}");

    assert_error (reply, 400, "wrong-type");
  }
  {
    g_autoptr(CdTestReply) reply = post (position, crew_device, "{\"lat\": \"north\", \"lon\": 116.4}");

    assert_error (reply, 400, "wrong-type");
  }
  {
    g_autoptr(CdTestReply) reply = post (position, crew_device, "{\"lat\": 91, \"lon\": 116.4}");

    assert_error (reply, 400, "out-of-range");
  }
  {
    g_autoptr(CdTestReply) reply = post (position, crew_device, "{\"lat\": 39.9, \"lon\": 116.4, \"status\": 7}");

    g_assert_cmpuint (reply->status, ==, 400);
  }

  /* Inside a batch: each mutation is judged on its own. */
  assert_mutation_rejected ("42", "invalid");
  assert_mutation_rejected ("[\"ticket.create\"]", "invalid");
  {
    g_autofree char *args = cd_test_ticket_args ("heat", "no-heat", "\"description\": 12");
    g_autofree char *m = ticket_mutation (args);

    assert_mutation_rejected (m, "invalid");
  }
  {
    g_autofree char *args = g_strdup_printf ("{\"channel\":\"hotline\",\"category\":\"no-heat\",\"urgency\":\"urgent\","
                                             "\"utility\":\"heat\",\"customer\":{\"name\":\"Li\"},"
                                             "\"address\":\"1 Road\",\"lat\":\"north\",\"lon\":116.4}");
    g_autofree char *m = ticket_mutation (args);

    assert_mutation_rejected (m, "invalid");
  }
  {
    g_autofree char *args = cd_test_ticket_args ("heat", "weather", NULL);
    g_autofree char *m = ticket_mutation (args);

    assert_mutation_rejected (m, "invalid");
  }
  {
    g_autofree char *target = g_uuid_string_random ();
    g_autofree char *id = g_uuid_string_random ();
    g_autofree char *m = g_strdup_printf ("{\"id\":\"%s\",\"op\":\"ticket.update\",\"target\":\"%s\","
                                          "\"expected_version\":\"3\",\"args\":{\"description\":\"x\"}}", id, target);

    assert_mutation_rejected (m, "invalid");
  }
  {
    g_autofree char *id = g_uuid_string_random ();
    g_autofree char *m = g_strdup_printf ("{\"id\":\"%s\",\"op\":\"ticket.resume\",\"target\":5}", id);

    assert_mutation_rejected (m, "invalid");
  }
  {
    g_autofree char *m = cd_test_mutation (NULL, "ticket.assign", NULL, -1, "{\"crew_id\": 17}");

    assert_mutation_rejected (m, "invalid");
  }
  {
    g_autofree char *m = cd_test_mutation ("not-a-uuid", "ticket.resume", NULL, -1, NULL);

    assert_mutation_rejected (m, "invalid");
  }
}

static void
test_missing_fields (void)
{
  g_autofree char *position = g_strdup_printf ("/api/v1/crews/%s/position", crew);

  assert_batch_refused ("{}", 400, "missing-field");

  {
    g_autoptr(CdTestReply) reply = post ("/api/v1/login", NULL, "{\"username\": \"someone\"}");

    assert_error (reply, 400, "missing-field");
  }
  {
    g_autoptr(CdTestReply) reply = post ("/api/v1/login", NULL, "{\"password\": \"something\"}");

    assert_error (reply, 400, "missing-field");
  }
  {
    g_autoptr(CdTestReply) reply = post (position, crew_device, "{\"lat\": 39.9}");

    assert_error (reply, 400, "missing-field");
  }

  {
    g_autofree char *target = g_uuid_string_random ();
    g_autofree char *m = g_strdup_printf ("{\"op\":\"ticket.resume\",\"target\":\"%s\"}", target);
    g_autoptr(CdTestReply) reply = cd_test_send_mutation (server, dispatcher, m);
    JsonObject *result = cd_test_result (reply, 0);

    /* Without an id, the result says so with a null id. */
    g_assert_cmpstr (cd_test_result_status (result), ==, "rejected");
    g_assert_cmpstr (cd_test_result_error_code (result), ==, "invalid");
    g_assert_true (json_object_get_null_member (result, "id"));
  }
  {
    g_autofree char *id = g_uuid_string_random ();
    g_autofree char *m = g_strdup_printf ("{\"id\":\"%s\",\"target\":\"%s\"}", id, id);

    assert_mutation_rejected (m, "invalid");
  }
  {
    g_autofree char *id = g_uuid_string_random ();
    g_autofree char *m = g_strdup_printf ("{\"id\":\"%s\",\"op\":\"ticket.resume\"}", id);

    assert_mutation_rejected (m, "invalid");
  }
  {
    /* No address. */
    g_autofree char *m = ticket_mutation ("{\"channel\":\"hotline\",\"category\":\"no-heat\",\"urgency\":\"urgent\","
                                          "\"utility\":\"heat\",\"customer\":{\"name\":\"Li\"},\"lat\":39.9,\"lon\":116.4}");

    assert_mutation_rejected (m, "invalid");
  }
  {
    /* No customer name. */
    g_autofree char *m = ticket_mutation ("{\"channel\":\"hotline\",\"category\":\"no-heat\",\"urgency\":\"urgent\","
                                          "\"utility\":\"heat\",\"customer\":{\"phone\":\"1\"},\"address\":\"1 Road\","
                                          "\"lat\":39.9,\"lon\":116.4}");

    assert_mutation_rejected (m, "invalid");
  }
  {
    g_autofree char *m = cd_test_mutation (NULL, "ticket.assign", NULL, -1, "{\"reason\":\"closest\"}");

    assert_mutation_rejected (m, "invalid");
  }
  {
    g_autofree char *m = cd_test_mutation (NULL, "ticket.update", NULL, -1, "{\"description\":\"no version\"}");

    assert_mutation_rejected (m, "invalid");
  }
}

static void
test_unknown_fields (void)
{
  g_autofree char *position = g_strdup_printf ("/api/v1/crews/%s/position", crew);

  assert_batch_refused ("{\"mutations\": [], \"force\": true}", 400, "unknown-field");

  {
    g_autoptr(CdTestReply) reply = post ("/api/v1/login", NULL,
                                         "{\"username\": \"a\", \"password\": \"b\", \"remember\": true}");

    assert_error (reply, 400, "unknown-field");
  }
  {
    g_autoptr(CdTestReply) reply = post (position, crew_device, "{\"lat\": 39.9, \"lon\": 116.4, \"altitude\": 40}");

    assert_error (reply, 400, "unknown-field");
  }

  {
    g_autofree char *id = g_uuid_string_random ();
    g_autofree char *m = g_strdup_printf ("{\"id\":\"%s\",\"op\":\"ticket.resume\",\"target\":\"%s\",\"priority\":1}",
                                          id, id);

    assert_mutation_rejected (m, "invalid");
  }
  {
    g_autofree char *args = cd_test_ticket_args ("heat", "no-heat", "\"colour\": \"red\"");
    g_autofree char *m = ticket_mutation (args);

    assert_mutation_rejected (m, "invalid");
  }
  {
    /* A member the server fills in. */
    g_autofree char *args = cd_test_ticket_args ("heat", "no-heat", "\"status\": \"resolved\"");
    g_autofree char *m = ticket_mutation (args);

    assert_mutation_rejected (m, "invalid");
  }
  {
    g_autofree char *m = cd_test_mutation (NULL, "ticket.assign", NULL, -1, "{\"crew_id\":null,\"urgent\":true}");

    assert_mutation_rejected (m, "invalid");
  }
}

static void
test_unknown_op (void)
{
  static const char * const ops[] = { "ticket.delete", "", "TICKET.CREATE", "ticket.create ", "drop table tickets" };

  for (guint i = 0; i < G_N_ELEMENTS (ops); i++)
    {
      g_autofree char *m = cd_test_mutation (NULL, ops[i], NULL, -1, "{}");

      assert_mutation_rejected (m, "invalid");
    }
}

/* A ticket.create batch of about @size bytes. */
static char *
sized_batch (gsize size)
{
  g_autofree char *description = g_strnfill (size - 600, 'x');
  g_autofree char *extra = g_strdup_printf ("\"description\":\"%s\"", description);
  g_autofree char *args = cd_test_ticket_args ("heat", "no-heat", extra);
  g_autofree char *m = ticket_mutation (args);

  return g_strdup_printf ("{\"mutations\":[%s]}", m);
}

static void
test_body_too_large (void)
{
  g_autofree char *big = sized_batch (MAX_BODY + 400);
  g_autofree char *small = sized_batch (MAX_BODY - 300);
  gint64 before = current_rev ();

  g_assert_cmpuint (strlen (big), >, MAX_BODY);
  g_assert_cmpuint (strlen (small), <, MAX_BODY);

  /* Announced by Content-Length. */
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(CdTestReply) reply = cd_test_request_full (server, "POST", "/api/v1/mutations", dispatcher, NULL,
                                                         "application/json", big, -1, FALSE, &error);

    g_assert_no_error (error);
    assert_error (reply, 413, "too-large");
  }
  /* Found out while reading a chunked body. */
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(CdTestReply) reply = cd_test_request_full (server, "POST", "/api/v1/mutations", dispatcher, NULL,
                                                         "application/json", big, -1, TRUE, &error);

    g_assert_no_error (error);
    assert_error (reply, 413, "too-large");
  }
  /* Far over, on the login. */
  {
    g_autofree char *huge = g_strnfill (256 * 1024, ' ');
    g_autoptr(GError) error = NULL;
    g_autoptr(CdTestReply) reply = cd_test_request_full (server, "POST", "/api/v1/login", NULL, NULL,
                                                         "application/json", huge, -1, TRUE, &error);

    g_assert_no_error (error);
    assert_error (reply, 413, "too-large");
  }

  /* Small enough, but more mutations than one batch may hold. */
  {
    g_autoptr(GString) many = g_string_new ("{\"mutations\":[");
    g_autoptr(CdTestReply) reply = NULL;

    for (guint i = 0; i < 1001; i++)
      g_string_append (many, i ? ",{}" : "{}");
    g_string_append (many, "]}");
    g_assert_cmpuint (many->len, <, MAX_BODY);
    reply = post ("/api/v1/mutations", dispatcher, many->str);
    assert_error (reply, 413, "too-many");
  }

  g_assert_cmpint (current_rev (), ==, before);

  /* Under the limit, chunked or not, the same mutation applies. */
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(CdTestReply) reply = cd_test_request_full (server, "POST", "/api/v1/mutations", dispatcher, NULL,
                                                         "application/json", small, -1, TRUE, &error);

    g_assert_no_error (error);
    g_assert_cmpstr (cd_test_result_status (cd_test_result (reply, 0)), ==, "applied");
  }
  g_assert_cmpint (current_rev (), ==, before + 1);
}

/* An announced oversize body is refused on its headers: the server does
 * not wait for (nor read) a body it will refuse anyway. */
static void
test_oversize_refused_before_body (void)
{
  g_autoptr(GSocketConnection) c = cd_test_raw_connect (server);
  g_autoptr(GError) error = NULL;
  g_autofree char *head = g_strdup_printf ("POST /api/v1/mutations HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                           "Authorization: Bearer %s\r\nContent-Type: application/json\r\n"
                                           "Content-Length: 1000000000\r\n\r\n{\"mutations\":[", dispatcher);
  g_autofree char *response = NULL;
  gint64 before = current_rev ();

  cd_test_raw_write (c, head, -1, &error);
  g_assert_no_error (error);
  /* Generous: the answer needs nothing more from the client. */
  response = cd_test_raw_read (c, 5);
  g_test_message ("response: %.200s", response);
  g_assert_cmpint (current_rev (), ==, before);
  /* Not fatal, so that the tests after this one still run. */
  if (!g_str_has_prefix (response, "HTTP/1.1 413") || strstr (response, "too-large") == NULL)
    g_test_fail_printf ("a body announced as 1 GB got no 413 without sending it (got \"%.60s\")", response);
}

static void
test_unknown_ids (void)
{
  g_autofree char *ticket = cd_test_create_ticket (server, dispatcher, "power", "no-power", NULL);
  g_autofree char *missing = g_uuid_string_random ();
  gint64 before = current_rev ();

  {
    g_autofree char *m = cd_test_mutation (NULL, "ticket.assign", missing, -1, "{\"crew_id\":null}");

    assert_mutation_rejected (m, "not-found");
  }
  {
    g_autofree char *m = cd_test_mutation (NULL, "ticket.set_status", missing, -1, "{\"status\":\"contacted\"}");

    assert_mutation_rejected (m, "not-found");
  }
  {
    g_autofree char *m = cd_test_mutation (NULL, "ticket.update", missing, 1, "{\"description\":\"x\"}");

    assert_mutation_rejected (m, "not-found");
  }
  {
    /* An existing ticket, a crew nobody has. */
    g_autofree char *args = g_strdup_printf ("{\"crew_id\":\"%s\"}", missing);
    g_autofree char *m = cd_test_mutation (NULL, "ticket.assign", ticket, -1, args);

    assert_mutation_rejected (m, "not-found");
  }
  {
    /* A duplicate of a ticket nobody has. */
    g_autofree char *extra = g_strdup_printf ("\"duplicate_of\":\"%s\"", missing);
    g_autofree char *args = cd_test_ticket_args ("power", "no-power", extra);
    g_autofree char *m = ticket_mutation (args);

    assert_mutation_rejected (m, "not-found");
  }
  {
    g_autofree char *path = g_strdup_printf ("/api/v1/crews/%s/tickets", missing);
    g_autoptr(CdTestReply) reply = cd_test_request (server, "GET", path, dispatcher, NULL);

    assert_error (reply, 404, "not-found");
  }
  {
    /* A device whose crew is gone. */
    g_autofree char *path = g_strdup_printf ("/api/v1/crews/%s/position", lost_crew);
    g_autoptr(CdTestReply) reply = post (path, lost_device, "{\"lat\":39.9,\"lon\":116.4}");

    assert_error (reply, 404, "not-found");
  }
  {
    g_autoptr(CdTestReply) reply = cd_test_request (server, "GET", "/api/v1/crews/not-a-crew/tickets", dispatcher, NULL);

    g_assert_true (reply->status == 400 || reply->status == 404);
    g_assert_nonnull (cd_test_reply_error_code (reply));
  }

  g_assert_cmpint (current_rev (), ==, before);
}

static void
test_stale_version (void)
{
  g_autofree char *ticket = cd_test_create_ticket (server, dispatcher, "heat", "leak", NULL);
  gint64 before;

  {
    g_autofree char *m = cd_test_mutation (NULL, "ticket.update", ticket, 1, "{\"description\":\"first edit\"}");
    g_autoptr(CdTestReply) reply = cd_test_send_mutation (server, dispatcher, m);
    JsonObject *record;

    g_assert_cmpstr (cd_test_result_status (cd_test_result (reply, 0)), ==, "applied");
    record = cd_test_result_record (cd_test_result (reply, 0), "ticket");
    g_assert_cmpint (json_object_get_int_member (record, "version"), ==, 2);
  }

  before = current_rev ();

  /* Made on version 1, which is gone. */
  {
    g_autofree char *m = cd_test_mutation (NULL, "ticket.update", ticket, 1, "{\"description\":\"second edit\"}");
    g_autoptr(CdTestReply) reply = cd_test_send_mutation (server, dispatcher, m);
    JsonObject *result = cd_test_result (reply, 0);
    JsonObject *current;

    g_assert_cmpstr (cd_test_result_status (result), ==, "conflict");
    g_assert_cmpstr (cd_test_result_error_code (result), ==, "conflict");
    current = json_object_get_object_member (result, "current");
    g_assert_nonnull (current);
    g_assert_cmpstr (json_object_get_string_member (current, "id"), ==, ticket);
    g_assert_cmpint (json_object_get_int_member (current, "version"), ==, 2);
    g_assert_cmpstr (json_object_get_string_member (current, "description"), ==, "first edit");
  }
  /* A version from the future is stale too. */
  {
    g_autofree char *m = cd_test_mutation (NULL, "ticket.assign", ticket, 7, "{\"crew_id\":null}");
    g_autoptr(CdTestReply) reply = cd_test_send_mutation (server, dispatcher, m);
    JsonObject *result = cd_test_result (reply, 0);

    g_assert_cmpstr (cd_test_result_status (result), ==, "conflict");
    g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (result, "current"), "version"), ==, 2);
  }

  g_assert_cmpint (current_rev (), ==, before);
}

static void
test_unknown_endpoint (void)
{
  static const char * const paths[][2] = {
    { "GET", "/api/v1/nothing" },
    { "GET", "/api/v2/me" },
    { "GET", "/" },
    { "GET", "/api/v1/me/extra" },
    { "GET", "/api/v1/crews//tickets" },
    { "GET", "/api/v1/crews/x/y/tickets" },
    { "GET", "/metrics/x" },
    { "POST", "/api/v1/nothing" },
    { "GET", "/api/v1/../../etc/passwd" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (paths); i++)
    {
      g_autoptr(CdTestReply) reply = cd_test_request (server, paths[i][0], paths[i][1], dispatcher,
                                                      strcmp (paths[i][0], "POST") == 0 ? "{}" : NULL);

      g_test_message ("%s %s -> %u", paths[i][0], paths[i][1], reply->status);
      assert_error (reply, 404, NULL);
    }
}

static const char * const wrong_methods[][2] = {
  { "GET", "/api/v1/login" },
  { "DELETE", "/api/v1/changes" },
  { "PUT", "/api/v1/mutations" },
  { "POST", "/api/v1/health" },
  { "GET", "/api/v1/crews/0b6c3e0e-4f57-4d5c-8d38-2f0c3c7a1f00/position" },
  { "POST", "/api/v1/snapshot" },
  { "PATCH", "/api/v1/me" },
};

static void
test_wrong_method (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (wrong_methods); i++)
    {
      g_autoptr(CdTestReply) reply = cd_test_request (server, wrong_methods[i][0], wrong_methods[i][1], dispatcher,
                                                      NULL);

      assert_error (reply, 405, "method-not-allowed");
    }
}

/* RFC 9110 §15.5.6: a 405 response MUST carry Allow with the methods the
 * resource supports. */
static void
test_wrong_method_allow_header (void)
{
  static const char * const allowed[] = { "POST", "GET", "POST", "GET", "POST", "GET", "GET" };

  for (guint i = 0; i < G_N_ELEMENTS (wrong_methods); i++)
    {
      g_autoptr(CdTestReply) reply = cd_test_request (server, wrong_methods[i][0], wrong_methods[i][1], dispatcher,
                                                      NULL);
      const char *allow = cd_test_reply_header (reply, "Allow");

      g_assert_cmpuint (reply->status, ==, 405);
      /* Not fatal, so that the tests after this one still run. */
      if (allow == NULL || strstr (allow, allowed[i]) == NULL)
        {
          g_test_fail_printf ("405 for %s %s carries %s%s", wrong_methods[i][0], wrong_methods[i][1],
                              allow ? "Allow: " : "no Allow header", allow ? allow : "");
          return;
        }
    }
}

static void
test_bad_query (void)
{
  static const char * const queries[] = {
    "since=-1", "since=abc", "since=1.5", "since=", "since=0x10",
    "limit=abc", "limit=0", "limit=-3", "limit=10001", "limit=99999999999999999999999",
    "since=0&limit=1e3",
  };

  for (guint i = 0; i < G_N_ELEMENTS (queries); i++)
    {
      g_autofree char *path = g_strdup_printf ("/api/v1/changes?%s", queries[i]);
      g_autoptr(CdTestReply) reply = cd_test_request (server, "GET", path, dispatcher, NULL);

      g_test_message ("%s -> %u", queries[i], reply->status);
      assert_error (reply, 400, "bad-parameter");
    }

  /* The bounds themselves are fine. */
  {
    g_autoptr(CdTestReply) reply = cd_test_request (server, "GET", "/api/v1/changes?since=0&limit=10000", dispatcher,
                                                    NULL);

    g_assert_cmpuint (reply->status, ==, 200);
  }
  {
    g_autoptr(CdTestReply) reply = cd_test_request (server, "GET", "/api/v1/changes?since=0&limit=1", dispatcher, NULL);

    g_assert_cmpuint (reply->status, ==, 200);
  }
}

/* GET /api/v1/health over a fresh connection; asserts a 200 within a
 * generous bound. */
static void
assert_health_raw (void)
{
  g_autoptr(GSocketConnection) c = cd_test_raw_connect (server);
  g_autoptr(GError) error = NULL;
  g_autofree char *response = NULL;

  cd_test_raw_write (c, "GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", -1, &error);
  g_assert_no_error (error);
  response = cd_test_raw_read (c, 10);
  if (!g_str_has_prefix (response, "HTTP/1.1 200"))
    g_error ("no prompt answer to /health: \"%s\"", response);
}

static void
test_slow_clients (void)
{
  g_autoptr(GPtrArray) stalled = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GSocketConnection) late = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *args = cd_test_ticket_args ("heat", "no-heat", NULL);
  g_autofree char *m = ticket_mutation (args);
  g_autofree char *body = g_strdup_printf ("{\"mutations\":[%s]}", m);
  g_autofree char *head = g_strdup_printf ("POST /api/v1/mutations HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                           "Authorization: Bearer %s\r\nContent-Type: application/json\r\n"
                                           "Content-Length: %" G_GSIZE_FORMAT "\r\nConnection: close\r\n\r\n",
                                           dispatcher, strlen (body));
  g_autofree char *response = NULL;
  gsize half = strlen (body) / 2;
  gint64 before = current_rev ();

  /* More stalled clients than the server has threads (4): half a request
   * line, half the headers, headers and half a body. */
  for (guint i = 0; i < 16; i++)
    {
      GSocketConnection *c = cd_test_raw_connect (server);

      switch (i % 3)
        {
        case 0:
          cd_test_raw_write (c, "GET /api/v1/hea", -1, &error);
          break;
        case 1:
          cd_test_raw_write (c, "GET /api/v1/health HTTP/1.1\r\nHost: 127.0", -1, &error);
          break;
        default:
          if (cd_test_raw_write (c, head, -1, &error))
            cd_test_raw_write (c, body, half, &error);
          break;
        }
      g_assert_no_error (error);
      g_ptr_array_add (stalled, c);
    }

  late = cd_test_raw_connect (server);
  cd_test_raw_write (late, head, -1, &error);
  g_assert_no_error (error);
  cd_test_raw_write (late, body, half, &error);
  g_assert_no_error (error);

  /* Everyone else is served meanwhile. */
  for (guint i = 0; i < 20; i++)
    assert_health_raw ();
  {
    g_autoptr(CdTestReply) me = cd_test_request (server, "GET", "/api/v1/me", dispatcher, NULL);

    g_assert_cmpuint (me->status, ==, 200);
  }
  {
    g_autofree char *other = cd_test_create_ticket (server, dispatcher, "power", "meter", NULL);

    g_assert_nonnull (other);
  }
  g_assert_cmpint (current_rev (), ==, before + 1);

  /* The slow client finishes its body: it is served, once. */
  cd_test_raw_write (late, body + half, -1, &error);
  g_assert_no_error (error);
  response = cd_test_raw_read (late, 20);
  g_test_message ("late response: %.120s", response);
  g_assert_true (g_str_has_prefix (response, "HTTP/1.1 200"));
  g_assert_nonnull (strstr (response, "\"applied\""));
  g_assert_cmpint (current_rev (), ==, before + 2);

  /* The stalled ones leave without finishing: nothing of theirs is applied. */
  for (guint i = 0; i < stalled->len; i++)
    g_io_stream_close (g_ptr_array_index (stalled, i), NULL, NULL);
  assert_health_raw ();
  g_assert_cmpint (current_rev (), ==, before + 2);
}

static void
test_vanishing_clients (void)
{
  g_autofree char *args = cd_test_ticket_args ("power", "power-outage", NULL);
  g_autofree char *m = ticket_mutation (args);
  g_autofree char *body = g_strdup_printf ("{\"mutations\":[%s]}", m);
  g_autofree char *head = g_strdup_printf ("POST /api/v1/mutations HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                           "Authorization: Bearer %s\r\nContent-Type: application/json\r\n"
                                           "Content-Length: %" G_GSIZE_FORMAT "\r\n\r\n",
                                           dispatcher, strlen (body));
  g_autofree char *chunked_head = g_strdup_printf ("POST /api/v1/mutations HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                                   "Authorization: Bearer %s\r\nContent-Type: application/json\r\n"
                                                   "Transfer-Encoding: chunked\r\n\r\n", dispatcher);
  gint64 before = current_rev ();

  for (guint round = 0; round < 5; round++)
    {
      g_autoptr(GSocketConnection) a = cd_test_raw_connect (server);
      g_autoptr(GSocketConnection) b = cd_test_raw_connect (server);
      g_autoptr(GSocketConnection) c = cd_test_raw_connect (server);
      g_autoptr(GSocketConnection) d = cd_test_raw_connect (server);
      g_autoptr(GSocketConnection) e = cd_test_raw_connect (server);
      g_autofree char *size_line = g_strdup_printf ("%" G_GSIZE_MODIFIER "x\r\n", strlen (body));
      g_autoptr(GError) error = NULL;

      /* Half a body, then gone. */
      cd_test_raw_write (a, head, -1, &error);
      cd_test_raw_write (a, body, strlen (body) / 2, &error);
      /* Connected and gone. */
      /* Garbage, then gone. */
      cd_test_raw_write (c, "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 not http at all\r\n\r\n", -1, &error);
      /* A chunked body cut off inside a chunk. */
      cd_test_raw_write (d, chunked_head, -1, &error);
      cd_test_raw_write (d, size_line, -1, &error);
      cd_test_raw_write (d, body, 20, &error);
      /* The whole request, but gone before the answer. */
      cd_test_raw_write (e, head, -1, &error);
      g_clear_error (&error);

      g_io_stream_close (G_IO_STREAM (a), NULL, NULL);
      g_io_stream_close (G_IO_STREAM (b), NULL, NULL);
      g_io_stream_close (G_IO_STREAM (c), NULL, NULL);
      g_io_stream_close (G_IO_STREAM (d), NULL, NULL);
      g_io_stream_close (G_IO_STREAM (e), NULL, NULL);
    }

  assert_health_raw ();
  g_assert_cmpint (current_rev (), ==, before);

  /* And a normal client right after is served normally. */
  {
    g_autofree char *ticket = cd_test_create_ticket (server, dispatcher, "power", "power-outage", NULL);

    g_assert_nonnull (ticket);
    g_assert_cmpint (current_rev (), ==, before + 1);
  }
}

/* "Clients measure their clock offset from this, on every reply." */
static void
test_time_header_on_every_reply (void)
{
  g_autofree char *big = sized_batch (MAX_BODY + 400);
  struct {
    guint        status;
    CdTestReply *reply;
  } replies[] = {
    { 200, cd_test_request (server, "GET", "/api/v1/health", NULL, NULL) },
    { 400, cd_test_request (server, "POST", "/api/v1/mutations", dispatcher, "{") },
    { 401, cd_test_request (server, "GET", "/api/v1/me", "nope", NULL) },
    { 404, cd_test_request (server, "GET", "/api/v1/nothing", dispatcher, NULL) },
    { 405, cd_test_request (server, "GET", "/api/v1/login", NULL, NULL) },
    { 415, cd_test_request_raw (server, "POST", "/api/v1/mutations", dispatcher, "text/plain", "{}", -1) },
    { 413, cd_test_request (server, "POST", "/api/v1/mutations", dispatcher, big) },
  };
  guint missing = 0;

  for (guint i = 0; i < G_N_ELEMENTS (replies); i++)
    {
      const char *value = cd_test_reply_header (replies[i].reply, "X-Crewdesk-Time-Ms");

      g_assert_cmpuint (replies[i].reply->status, ==, replies[i].status);
      if (value == NULL || g_ascii_strtoll (value, NULL, 10) <= 0)
        {
          g_test_message ("the %u reply has no X-Crewdesk-Time-Ms header", replies[i].status);
          missing++;
        }
      cd_test_reply_free (replies[i].reply);
    }

  /* Not fatal, so that the tests after this one still run. */
  if (missing > 0)
    g_test_fail_printf ("%u replies have no X-Crewdesk-Time-Ms header", missing);
}

static void
test_still_healthy (void)
{
  g_autoptr(CdTestReply) health = cd_test_request (server, "GET", "/api/v1/health", NULL, NULL);
  g_autoptr(CdTestReply) me = cd_test_request (server, "GET", "/api/v1/me", dispatcher, NULL);

  g_assert_cmpuint (health->status, ==, 200);
  g_assert_cmpuint (me->status, ==, 200);
  g_assert_cmpint (current_rev (), >, 0);
}

int
main (int   argc,
      char *argv[])
{
  static const char * const no_skills[] = { NULL };
  g_autofree char *config = g_strdup_printf ("max-body=%d\n", MAX_BODY);
  int ret;

  cd_test_init (&argc, &argv);
  cd_model_init ();

  server = cd_test_server_new (config);
  crew = cd_test_store_add_crew (server, "Power 1", CD_UTILITY_POWER, no_skills, 5, 39.90, 116.40);
  cd_test_server_launch (server);
  dispatcher = cd_test_add_and_login (server, "input-dispatcher", "dispatcher", NULL);
  admin = cd_test_add_and_login (server, "input-admin", "admin", NULL);
  crew_device = cd_test_add_and_login (server, "input-crew", "crew-device", crew);
  lost_crew = g_uuid_string_random ();
  lost_device = cd_test_add_and_login (server, "input-lost-crew", "crew-device", lost_crew);

  g_test_add_func ("/server/input/malformed-json", test_malformed_json);
  g_test_add_func ("/server/input/non-standard-json", test_non_standard_json);
  g_test_add_func ("/server/input/content-type", test_content_type);
  g_test_add_func ("/server/input/wrong-types", test_wrong_types);
  g_test_add_func ("/server/input/missing-fields", test_missing_fields);
  g_test_add_func ("/server/input/unknown-fields", test_unknown_fields);
  g_test_add_func ("/server/input/unknown-op", test_unknown_op);
  g_test_add_func ("/server/input/body-too-large", test_body_too_large);
  g_test_add_func ("/server/input/oversize-refused-before-body", test_oversize_refused_before_body);
  g_test_add_func ("/server/input/unknown-ids", test_unknown_ids);
  g_test_add_func ("/server/input/stale-version", test_stale_version);
  g_test_add_func ("/server/input/unknown-endpoint", test_unknown_endpoint);
  g_test_add_func ("/server/input/wrong-method", test_wrong_method);
  g_test_add_func ("/server/input/wrong-method-allow-header", test_wrong_method_allow_header);
  g_test_add_func ("/server/input/bad-query", test_bad_query);
  g_test_add_func ("/server/input/slow-clients", test_slow_clients);
  g_test_add_func ("/server/input/vanishing-clients", test_vanishing_clients);
  g_test_add_func ("/server/input/time-header-on-every-reply", test_time_header_on_every_reply);
  g_test_add_func ("/server/input/still-healthy", test_still_healthy);

  ret = g_test_run ();

  cd_test_server_free (server);
  g_free (dispatcher);
  g_free (admin);
  g_free (crew_device);
  g_free (lost_device);
  g_free (crew);
  g_free (lost_crew);
  return ret;
}
