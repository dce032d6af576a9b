/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-server-auth.c: logins, sessions, throttling and what the server
 * keeps of passwords and tokens, against the real crewdesk-server. */
#include "config.h"

#include <string.h>

#include "cd-model.h"
#include "cd-store.h"
#include "cd-test-server.h"

/* One server for the tests that need no special configuration. Its
 * throttle (5 failures per address in 15 minutes) is never reached: the
 * tests below fail two logins on it in all. */
static CdTestServer *shared;

/* Every password and token the tests used, to look for in the logs. */
static GPtrArray *secrets;

#define PASSWORD "correct horse battery"

static void
remember_secret (const char *secret)
{
  g_ptr_array_add (secrets, g_strdup (secret));
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
  if (code)
    g_assert_cmpstr (json_object_get_string_member (error, "code"), ==, code);
  g_assert_cmpstr (json_object_get_string_member (error, "message"), !=, "");
}

/* No member of @node, at any depth, is named like a password or hash. */
static void
assert_no_secret_members (JsonNode *node)
{
  if (JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObjectIter iter;
      const char *name;
      JsonNode *member;

      json_object_iter_init (&iter, json_node_get_object (node));
      while (json_object_iter_next (&iter, &name, &member))
        {
          g_autofree char *lower = g_ascii_strdown (name, -1);

          g_assert_null (strstr (lower, "password"));
          g_assert_null (strstr (lower, "hash"));
          g_assert_null (strstr (lower, "secret"));
          assert_no_secret_members (member);
        }
    }
  else if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *array = json_node_get_array (node);

      for (guint i = 0; i < json_array_get_length (array); i++)
        assert_no_secret_members (json_array_get_element (array, i));
    }
}

static gboolean
contains_bytes (const char *data,
                gsize       size,
                const char *needle)
{
  gsize n = strlen (needle);

  for (gsize i = 0; n > 0 && i + n <= size; i++)
    if (data[i] == needle[0] && memcmp (data + i, needle, n) == 0)
      return TRUE;

  return FALSE;
}

static CdTestReply *
login (CdTestServer *server,
       const char   *username,
       const char   *password)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *body = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "username");
  json_builder_add_string_value (b, username);
  json_builder_set_member_name (b, "password");
  json_builder_add_string_value (b, password);
  json_builder_end_object (b);
  node = json_builder_get_root (b);
  body = json_to_string (node, FALSE);

  remember_secret (password);
  return cd_test_request (server, "POST", "/api/v1/login", NULL, body);
}

static char *
login_ok (CdTestServer *server,
          const char   *username,
          const char   *password)
{
  g_autoptr(CdTestReply) reply = login (server, username, password);
  const char *token;

  if (reply->status != 200)
    g_error ("login of %s: %u %s", username, reply->status, reply->body);
  token = json_object_get_string_member (cd_test_reply_object (reply), "token");
  g_assert_nonnull (token);
  remember_secret (token);

  return g_strdup (token);
}

static void
test_login_ok (void)
{
  g_autoptr(CdTestReply) reply = login (shared, "alice", PASSWORD);
  g_autoptr(GDateTime) expires = NULL;
  JsonObject *o, *user;
  const char *token;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  g_assert_cmpuint (reply->status, ==, 200);
  g_assert_cmpstr (reply->content_type, ==, "application/json");
  g_assert_nonnull (cd_test_reply_header (reply, "X-Crewdesk-Time-Ms"));
  o = cd_test_reply_object (reply);

  token = json_object_get_string_member (o, "token");
  g_assert_nonnull (token);
  remember_secret (token);
  /* Long enough to be unguessable. */
  g_assert_cmpuint (strlen (token), >=, 32);

  expires = g_date_time_new_from_iso8601 (json_object_get_string_member (o, "expires_at"), NULL);
  g_assert_nonnull (expires);
  /* The default lifetime: in the future, and within a day. */
  g_assert_cmpint (g_date_time_to_unix (expires), >, now);
  g_assert_cmpint (g_date_time_to_unix (expires), <=, now + 24 * 3600 + 5);

  user = json_object_get_object_member (o, "user");
  g_assert_nonnull (user);
  g_assert_cmpstr (json_object_get_string_member (user, "username"), ==, "alice");
  g_assert_cmpstr (json_object_get_string_member (user, "role"), ==, "dispatcher");
  g_assert_true (g_uuid_string_is_valid (json_object_get_string_member (user, "id")));
  assert_no_secret_members (reply->json);
  g_assert_null (strstr (reply->body, PASSWORD));
  g_assert_null (strstr (reply->body, "$argon2"));

  /* A second login gets a different session. */
  {
    g_autofree char *second = login_ok (shared, "alice", PASSWORD);

    g_assert_cmpstr (second, !=, token);
  }
}

static void
test_login_refused (void)
{
  g_autoptr(CdTestReply) wrong = login (shared, "alice", "not the password");
  g_autoptr(CdTestReply) unknown = login (shared, "nobody-at-all", "not the password");
  JsonObject *e1, *e2;

  /* The same answer for both: no way to learn which names exist. */
  assert_error (wrong, 401, NULL);
  assert_error (unknown, 401, NULL);
  e1 = json_object_get_object_member (cd_test_reply_object (wrong), "error");
  e2 = json_object_get_object_member (cd_test_reply_object (unknown), "error");
  g_assert_cmpstr (json_object_get_string_member (e1, "code"), ==, json_object_get_string_member (e2, "code"));
  g_assert_cmpstr (json_object_get_string_member (e1, "message"), ==, json_object_get_string_member (e2, "message"));
  g_assert_null (wrong->retry_after);
  g_assert_false (json_object_has_member (cd_test_reply_object (wrong), "token"));
}

static void
test_me_and_logout (void)
{
  g_autofree char *token = login_ok (shared, "alice", PASSWORD);
  g_autofree char *other = login_ok (shared, "alice", PASSWORD);
  g_autoptr(CdTestReply) me = cd_test_request (shared, "GET", "/api/v1/me", token, NULL);
  g_autoptr(CdTestReply) out = NULL;
  g_autoptr(CdTestReply) after = NULL;
  g_autoptr(CdTestReply) other_me = NULL;
  g_autoptr(CdTestReply) again = NULL;
  JsonObject *user;

  g_assert_cmpuint (me->status, ==, 200);
  user = json_object_get_object_member (cd_test_reply_object (me), "user");
  g_assert_cmpstr (json_object_get_string_member (user, "username"), ==, "alice");
  g_assert_cmpstr (json_object_get_string_member (user, "role"), ==, "dispatcher");
  {
    g_autoptr(GDateTime) expires = g_date_time_new_from_iso8601 (json_object_get_string_member (cd_test_reply_object (me),
                                                                                                "expires_at"), NULL);

    g_assert_nonnull (expires);
  }
  assert_no_secret_members (me->json);

  out = cd_test_request (shared, "POST", "/api/v1/logout", token, NULL);
  g_assert_cmpuint (out->status / 100, ==, 2);

  after = cd_test_request (shared, "GET", "/api/v1/me", token, NULL);
  assert_error (after, 401, NULL);
  g_assert_nonnull (cd_test_reply_header (after, "WWW-Authenticate"));

  /* Logging out again with the dead token is refused too. */
  again = cd_test_request (shared, "POST", "/api/v1/logout", token, NULL);
  assert_error (again, 401, NULL);

  /* Only that session ended. */
  other_me = cd_test_request (shared, "GET", "/api/v1/me", other, NULL);
  g_assert_cmpuint (other_me->status, ==, 200);
}

static void
test_bad_authorization (void)
{
  g_autofree char *unknown_token = g_strnfill (64, 'a');
  g_autofree char *long_token = g_strnfill (4000, 'b');
  g_autofree char *valid = login_ok (shared, "alice", PASSWORD);
  g_autofree char *bearer_long = g_strconcat ("Bearer ", long_token, NULL);
  g_autofree char *bearer_unknown = g_strconcat ("Bearer ", unknown_token, NULL);
  g_autofree char *basic = g_strconcat ("Basic ", valid, NULL);
  g_autofree char *token_only = g_strdup (valid);
  g_autofree char *valid_plus = g_strconcat ("Bearer ", valid, "x", NULL);
  g_autofree char *valid_prefix = g_strconcat ("Bearer ", valid, NULL);
  const char *values[] = {
    "Bearer",
    "Bearer ",
    "Bearer      ",
    "bearer",
    "Basic YWxpY2U6Y29ycmVjdA==",
    basic,
    token_only,
    bearer_unknown,
    bearer_long,
    valid_plus,
    "Bearer ' OR 1=1 --",
    "Bearer ../../../../etc/passwd",
    "Bearer \xe4\xbd\xa0\xe5\xa5\xbd",
    "Bearer %00",
  };

  valid_prefix[strlen (valid_prefix) - 1] = '\0';

  for (guint i = 0; i < G_N_ELEMENTS (values); i++)
    {
      const char *headers[] = { "Authorization", values[i], NULL };
      g_autoptr(GError) error = NULL;
      g_autoptr(CdTestReply) reply = cd_test_request_full (shared, "GET", "/api/v1/me", NULL, headers,
                                                           NULL, NULL, -1, FALSE, &error);

      g_test_message ("Authorization: %.40s", values[i]);
      g_assert_no_error (error);
      assert_error (reply, 401, NULL);
    }

  /* A truncated valid token is no token. */
  {
    const char *headers[] = { "Authorization", valid_prefix, NULL };
    g_autoptr(GError) error = NULL;
    g_autoptr(CdTestReply) reply = cd_test_request_full (shared, "GET", "/api/v1/me", NULL, headers,
                                                         NULL, NULL, -1, FALSE, &error);

    g_assert_no_error (error);
    assert_error (reply, 401, NULL);
  }

  /* No header at all, on every endpoint that needs one. */
  {
    static const char * const paths[][2] = {
      { "GET", "/api/v1/me" }, { "POST", "/api/v1/logout" }, { "GET", "/api/v1/changes" },
      { "GET", "/api/v1/snapshot" }, { "GET", "/metrics" }, { "POST", "/api/v1/mutations" },
      { "GET", "/api/v1/positions" },
    };

    for (guint i = 0; i < G_N_ELEMENTS (paths); i++)
      {
        g_autoptr(CdTestReply) reply = cd_test_request (shared, paths[i][0], paths[i][1], NULL, NULL);

        assert_error (reply, 401, "unauthenticated");
      }
  }

  /* A header far over any sane size: refused, and the server lives on. */
  {
    g_autofree char *huge_token = g_strnfill (200 * 1024, 'c');
    g_autofree char *huge = g_strconcat ("Bearer ", huge_token, NULL);
    const char *headers[] = { "Authorization", huge, NULL };
    g_autoptr(GError) error = NULL;
    g_autoptr(CdTestReply) reply = cd_test_request_full (shared, "GET", "/api/v1/me", NULL, headers,
                                                         NULL, NULL, -1, FALSE, &error);
    g_autoptr(CdTestReply) health = NULL;

    /* The server may answer 401 or 431, or drop the connection. */
    if (reply != NULL)
      {
        g_test_message ("200 KiB Authorization header: %u", reply->status);
        g_assert_cmpuint (reply->status / 100, ==, 4);
      }
    health = cd_test_request (shared, "GET", "/api/v1/health", NULL, NULL);
    g_assert_cmpuint (health->status, ==, 200);
  }

  /* The valid token still works after all that. */
  {
    g_autoptr(CdTestReply) me = cd_test_request (shared, "GET", "/api/v1/me", valid, NULL);

    g_assert_cmpuint (me->status, ==, 200);
  }
}

static void
test_password_hash_stored (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CdStore) store = NULL;
  g_autoptr(CdUser) user = NULL;
  g_autofree char *hash = NULL;
  g_autofree char *db = NULL;

  store = cd_store_open (shared->db_path, &error);
  g_assert_no_error (error);
  user = cd_store_find_user (store, "alice", &error);
  g_assert_no_error (error);
  g_assert_nonnull (user);
  hash = cd_store_get_password (store, CD_RECORD (user)->id, &error);
  g_assert_no_error (error);
  g_assert_nonnull (hash);
  g_assert_true (g_str_has_prefix (hash, "$argon2id$"));
  g_assert_null (strstr (hash, PASSWORD));

  /* Neither the password nor a token is anywhere in the files. */
  g_clear_object (&store);
  for (guint f = 0; f < 2; f++)
    {
      g_autofree char *path = g_strconcat (shared->db_path, f ? "-wal" : "", NULL);
      gsize size = 0;

      g_clear_pointer (&db, g_free);
      if (!g_file_get_contents (path, &db, &size, NULL))
        continue;
      for (guint i = 0; i < secrets->len; i++)
        {
          const char *secret = g_ptr_array_index (secrets, i);

          if (strlen (secret) >= 8 && contains_bytes (db, size, secret))
            g_error ("%s contains the secret \"%s\"", path, secret);
        }
    }
}

static void
test_throttle (void)
{
  g_autoptr(CdTestServer) server = cd_test_server_start ("[login]\nmax-failures=3\nwindow=60\n", FALSE);
  g_autoptr(CdTestReply) throttled = NULL;
  g_autoptr(CdTestReply) correct = NULL;
  g_autofree char *log = NULL;
  gint64 retry;

  cd_test_server_add_user (server, "bob", "supervisor", NULL, PASSWORD);

  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *guess = g_strdup_printf ("guess-number-%u", i);
      g_autoptr(CdTestReply) reply = login (server, "bob", guess);

      assert_error (reply, 401, NULL);
    }

  throttled = login (server, "bob", "guess-number-3");
  assert_error (throttled, 429, NULL);
  g_assert_nonnull (throttled->retry_after);
  retry = g_ascii_strtoll (throttled->retry_after, NULL, 10);
  g_assert_cmpint (retry, >, 0);
  g_assert_cmpint (retry, <=, 60);

  /* The right password does not get through while the throttle holds. */
  correct = login (server, "bob", PASSWORD);
  assert_error (correct, 429, NULL);
  g_assert_nonnull (correct->retry_after);
  g_assert_false (json_object_has_member (cd_test_reply_object (correct), "token"));

  /* The refusals are counted. */
  {
    g_autoptr(CdTestReply) health = cd_test_request (server, "GET", "/api/v1/health", NULL, NULL);

    g_assert_cmpuint (health->status, ==, 200);
  }

  g_file_get_contents (server->log_path, &log, NULL, NULL);
  g_assert_nonnull (log);
  for (guint i = 0; i < secrets->len; i++)
    {
      const char *secret = g_ptr_array_index (secrets, i);

      if (strlen (secret) >= 8 && strstr (log, secret) != NULL)
        g_error ("the log of the throttled server contains the secret \"%s\"", secret);
    }
}

static void
test_expired_token (void)
{
  g_autoptr(CdTestServer) server = cd_test_server_start ("token-lifetime=1\n", FALSE);
  g_autofree char *token = NULL;
  g_autoptr(CdTestReply) fresh = NULL;
  g_autoptr(CdTestReply) expired = NULL;
  g_autoptr(CdTestReply) relogin = NULL;

  cd_test_server_add_user (server, "carol", "manager", NULL, PASSWORD);
  token = login_ok (server, "carol", PASSWORD);
  /* The lifetime counts whole seconds: the token may or may not still
   * work right now, but after two seconds it must not. */
  fresh = cd_test_request (server, "GET", "/api/v1/me", token, NULL);
  g_assert_true (fresh->status == 200 || fresh->status == 401);

  g_usleep (2200 * 1000);
  expired = cd_test_request (server, "GET", "/api/v1/me", token, NULL);
  assert_error (expired, 401, "token-expired");

  /* Logging in again works. */
  relogin = login (server, "carol", PASSWORD);
  g_assert_cmpuint (relogin->status, ==, 200);
  remember_secret (json_object_get_string_member (cd_test_reply_object (relogin), "token"));
}

/* Last: everything above has been logged by now. */
static void
test_log_has_no_secrets (void)
{
  g_autofree char *log = NULL;
  g_autoptr(GError) error = NULL;

  g_file_get_contents (shared->log_path, &log, NULL, &error);
  g_assert_no_error (error);
  /* The log is there and says something about the logins. */
  g_assert_nonnull (strstr (log, "login"));
  g_assert_cmpuint (secrets->len, >, 5);

  for (guint i = 0; i < secrets->len; i++)
    {
      const char *secret = g_ptr_array_index (secrets, i);

      if (strlen (secret) >= 8 && strstr (log, secret) != NULL)
        g_error ("the server log contains the secret \"%s\"", secret);
    }
  g_assert_null (strstr (log, "$argon2"));
}

int
main (int   argc,
      char *argv[])
{
  int ret;

  cd_test_init (&argc, &argv);
  cd_model_init ();

  secrets = g_ptr_array_new_with_free_func (g_free);
  remember_secret (PASSWORD);
  shared = cd_test_server_start (NULL, FALSE);
  cd_test_server_add_user (shared, "alice", "dispatcher", NULL, PASSWORD);

  g_test_add_func ("/server/auth/login-ok", test_login_ok);
  g_test_add_func ("/server/auth/login-refused", test_login_refused);
  g_test_add_func ("/server/auth/me-and-logout", test_me_and_logout);
  g_test_add_func ("/server/auth/bad-authorization", test_bad_authorization);
  g_test_add_func ("/server/auth/password-hash-stored", test_password_hash_stored);
  g_test_add_func ("/server/auth/throttle", test_throttle);
  g_test_add_func ("/server/auth/expired-token", test_expired_token);
  g_test_add_func ("/server/auth/log-has-no-secrets", test_log_has_no_secrets);

  ret = g_test_run ();

  cd_test_server_free (shared);
  g_ptr_array_unref (secrets);
  return ret;
}
