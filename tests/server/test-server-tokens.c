/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-server-tokens.c: the server's token cache. Every test first uses a
 * token a few times, so its session is in the cache, then ends the
 * session (logout, expiry, a disabled account, a new password) and checks
 * that the very next request with it is refused. */
#include "config.h"

#include <string.h>

#include "cd-test-server.h"

/* The token is in the cache: it worked twice in a row. */
static void
warm (CdTestServer *server,
      const char   *token)
{
  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(CdTestReply) me = cd_test_request (server, "GET", "/api/v1/me", token, NULL);

      if (me->status != 200)
        g_error ("GET /api/v1/me: %u %s", me->status, me->body);
    }
}

static void
assert_refused (CdTestServer *server,
                const char   *token)
{
  g_autoptr(CdTestReply) me = cd_test_request (server, "GET", "/api/v1/me", token, NULL);

  if (me->status != 401)
    g_error ("a dead token still works: %u %s", me->status, me->body);
  g_assert_cmpstr (cd_test_reply_error_code (me), ==, "token-expired");
}

static char *
user_id (CdTestServer *server,
         const char   *token)
{
  g_autoptr(CdTestReply) me = cd_test_request (server, "GET", "/api/v1/me", token, NULL);
  JsonObject *user;

  g_assert_cmpuint (me->status, ==, 200);
  user = json_object_get_object_member (cd_test_reply_object (me), "user");
  return g_strdup (json_object_get_string_member (user, "id"));
}

static const char *
me_role (CdTestReply *me)
{
  return json_object_get_string_member (json_object_get_object_member (cd_test_reply_object (me), "user"),
                                        "role");
}

/* An admin's mutation of a user; asserts it applied. */
static void
admin_mutation (CdTestServer *server,
                const char   *admin,
                const char   *op,
                const char   *target,
                const char   *args)
{
  g_autofree char *m = cd_test_mutation (NULL, op, target, -1, args);
  g_autoptr(CdTestReply) reply = cd_test_send_mutation (server, admin, m);
  JsonObject *result = cd_test_result (reply, 0);

  if (g_strcmp0 (cd_test_result_status (result), "applied") != 0)
    g_error ("%s: %s", op, reply->body);
}

static void
test_logout (void)
{
  g_autoptr(CdTestServer) server = cd_test_server_start (NULL, FALSE);
  g_autofree char *token = cd_test_add_and_login (server, "li", "dispatcher", NULL);
  g_autofree char *password = cd_test_password_for ("li");
  g_autofree char *other = cd_test_login (server, "li", password);
  g_autoptr(CdTestReply) bye = NULL;

  warm (server, token);
  warm (server, other);

  bye = cd_test_request (server, "POST", "/api/v1/logout", token, NULL);
  g_assert_cmpuint (bye->status, ==, 204);
  assert_refused (server, token);
  /* Also on every other endpoint, and again. */
  {
    g_autoptr(CdTestReply) changes = cd_test_request (server, "GET", "/api/v1/changes?since=0", token, NULL);

    g_assert_cmpuint (changes->status, ==, 401);
  }
  assert_refused (server, token);

  /* The user's other session lives on. */
  warm (server, other);
}

static void
test_expiry (void)
{
  g_autoptr(CdTestServer) server = cd_test_server_start ("token-lifetime=4\n", FALSE);
  g_autofree char *password = cd_test_password_for ("zhang");
  g_autofree char *body = g_strdup_printf ("{\"username\":\"zhang\",\"password\":\"%s\"}", password);
  g_autoptr(CdTestReply) login = NULL;
  g_autoptr(GDateTime) expires = NULL;
  g_autoptr(CdTestReply) first = NULL;
  const char *token;
  gint64 wait_us;

  cd_test_server_add_user (server, "zhang", "supervisor", NULL, password);
  login = cd_test_request (server, "POST", "/api/v1/login", NULL, body);
  g_assert_cmpuint (login->status, ==, 200);
  token = json_object_get_string_member (cd_test_reply_object (login), "token");
  expires = g_date_time_new_from_iso8601 (json_object_get_string_member (cd_test_reply_object (login), "expires_at"),
                                          NULL);
  g_assert_nonnull (expires);

  first = cd_test_request (server, "GET", "/api/v1/me", token, NULL);
  if (first->status != 200)
    {
      /* Four seconds went by between the login and this request. */
      g_test_skip ("the machine was too slow to use the token before it expired");
      return;
    }
  {
    g_autoptr(CdTestReply) again = cd_test_request (server, "GET", "/api/v1/me", token, NULL);
    g_autoptr(CdTestReply) third = cd_test_request (server, "GET", "/api/v1/me", token, NULL);

    g_assert_true (again->status == 200 || again->status == 401);
    g_assert_true (third->status == 200 || third->status == 401);
  }

  /* Past the expiry (whole seconds), the cached session is refused. */
  wait_us = (g_date_time_to_unix (expires) + 1) * G_USEC_PER_SEC - g_get_real_time ();
  if (wait_us > 0)
    g_usleep (wait_us + 200 * 1000);
  assert_refused (server, token);
}

static void
test_deactivated (void)
{
  g_autoptr(CdTestServer) server = cd_test_server_start (NULL, FALSE);
  g_autofree char *admin = cd_test_add_and_login (server, "root", "admin", NULL);
  g_autofree char *token = cd_test_add_and_login (server, "wang", "dispatcher", NULL);
  g_autofree char *id = user_id (server, token);
  g_autofree char *password = cd_test_password_for ("wang");

  warm (server, token);
  admin_mutation (server, admin, "user.update", id, "{\"active\":false}");
  assert_refused (server, token);

  /* Nor can the account log in, and enabling it again does not bring
   * the old session back. */
  {
    g_autoptr(CdTestReply) login = cd_test_request (server, "POST", "/api/v1/login", NULL,
                                                    "{\"username\":\"wang\",\"password\":\"pw-wang-secret\"}");

    g_assert_cmpuint (login->status, ==, 401);
  }
  admin_mutation (server, admin, "user.update", id, "{\"active\":true}");
  assert_refused (server, token);
  {
    g_autofree char *fresh = cd_test_login (server, "wang", password);

    warm (server, fresh);
  }
}

static void
test_password_changed (void)
{
  g_autoptr(CdTestServer) server = cd_test_server_start (NULL, FALSE);
  g_autofree char *admin = cd_test_add_and_login (server, "root", "admin", NULL);
  g_autofree char *token = cd_test_add_and_login (server, "chen", "manager", NULL);
  g_autofree char *id = user_id (server, token);
  g_autofree char *fresh = NULL;

  warm (server, token);
  admin_mutation (server, admin, "user.set_password", id, "{\"password\":\"a brand new passphrase\"}");
  assert_refused (server, token);

  fresh = cd_test_login (server, "chen", "a brand new passphrase");
  warm (server, fresh);
  /* The admin's own session is untouched. */
  warm (server, admin);
}

/* A change of role is seen by the next request, not a minute later. */
static void
test_role_changed (void)
{
  g_autoptr(CdTestServer) server = cd_test_server_start (NULL, FALSE);
  g_autofree char *admin = cd_test_add_and_login (server, "root", "admin", NULL);
  g_autofree char *token = cd_test_add_and_login (server, "liu", "dispatcher", NULL);
  g_autofree char *id = user_id (server, token);
  g_autoptr(CdTestReply) me = NULL;

  warm (server, token);
  admin_mutation (server, admin, "user.update", id, "{\"role\":\"callback-agent\"}");
  me = cd_test_request (server, "GET", "/api/v1/me", token, NULL);
  g_assert_cmpuint (me->status, ==, 200);
  g_assert_cmpstr (me_role (me), ==, "callback-agent");

  /* And the permissions with it: intake is for dispatchers. */
  {
    g_autofree char *args = cd_test_ticket_args ("heat", "leak", NULL);
    g_autoptr(CdTestReply) intake = cd_test_request (server, "POST", "/api/v1/tickets", token, args);

    g_assert_cmpuint (intake->status, ==, 403);
  }
}

/* A cache of three sessions: more tokens than that all keep working (the
 * others are read from the store), and the cache stays at its size. */
static void
test_bounded (void)
{
  g_autoptr(CdTestServer) server = cd_test_server_start ("token-cache=3\n", FALSE);
  g_autofree char *admin = cd_test_add_and_login (server, "root", "admin", NULL);
  g_autoptr(GPtrArray) tokens = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *password = cd_test_password_for ("many");
  gint64 entries;

  cd_test_server_add_user (server, "many", "dispatcher", NULL, password);
  for (guint i = 0; i < 8; i++)
    g_ptr_array_add (tokens, cd_test_login (server, "many", password));

  for (guint round = 0; round < 3; round++)
    for (guint i = 0; i < tokens->len; i++)
      warm (server, g_ptr_array_index (tokens, i));

  entries = cd_test_metric (server, admin, "crewdesk_token_cache_entries");
  g_assert_cmpint (entries, >=, 1);
  g_assert_cmpint (entries, <=, 3);

  /* Logging one out still refuses it, cached or not. */
  for (guint i = 0; i < tokens->len; i += 3)
    {
      g_autoptr(CdTestReply) bye = cd_test_request (server, "POST", "/api/v1/logout",
                                                    g_ptr_array_index (tokens, i), NULL);

      g_assert_cmpuint (bye->status, ==, 204);
      assert_refused (server, g_ptr_array_index (tokens, i));
    }
  for (guint i = 0; i < tokens->len; i++)
    if (i % 3 != 0)
      warm (server, g_ptr_array_index (tokens, i));
}

int
main (int   argc,
      char *argv[])
{
  cd_test_init (&argc, &argv);

  g_test_add_func ("/server/tokens/logout", test_logout);
  g_test_add_func ("/server/tokens/expiry", test_expiry);
  g_test_add_func ("/server/tokens/deactivated", test_deactivated);
  g_test_add_func ("/server/tokens/password-changed", test_password_changed);
  g_test_add_func ("/server/tokens/role-changed", test_role_changed);
  g_test_add_func ("/server/tokens/bounded", test_bounded);

  return g_test_run ();
}
