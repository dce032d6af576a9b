/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-server-roles.c: every role against every endpoint and every
 * mutation, with the permission matrix written out here independently of
 * the server's route table and of the core's op table. */
#include "config.h"

#include <string.h>

#include "cd-model.h"
#include "cd-store.h"
#include "cd-test-server.h"

typedef enum {
  DISPATCHER,
  SUPERVISOR,
  AGENT,
  MANAGER,
  ADMIN,
  CREW,
  N_ROLES,
} Role;

#define BIT(r)  (1u << (r))
#define STAFF   (BIT (DISPATCHER) | BIT (SUPERVISOR) | BIT (AGENT) | BIT (MANAGER) | BIT (ADMIN))
#define ANYONE  (STAFF | BIT (CREW))
#define OFFICE  (BIT (DISPATCHER) | BIT (SUPERVISOR))
#define PUBLIC  0x100u   /* needs no token at all */

static const char * const role_nicks[N_ROLES] = {
  "dispatcher", "supervisor", "callback-agent", "manager", "admin", "crew-device",
};

static CdTestServer *server;
static char *tokens[N_ROLES];
static char *own_crew;
static char *other_crew;

static const char *
username_of (Role role)
{
  static const char * const names[N_ROLES] = {
    "role-dispatcher", "role-supervisor", "role-agent", "role-manager", "role-admin", "role-crew",
  };

  return names[role];
}

static gint64
current_rev (void)
{
  gint64 rev = cd_test_metric (server, tokens[ADMIN], "crewdesk_revision");

  g_assert_cmpint (rev, >=, 0);
  return rev;
}

/* Endpoints ------------------------------------------------------------- */

typedef enum {
  BODY_NONE,
  BODY_JSON,      /* the text in body */
  BODY_LOGIN,     /* the role's own credentials */
  BODY_INTAKE,    /* a report, each at another place (no duplicates) */
} BodyKind;

typedef struct {
  const char *method;
  const char *path;      /* "{own}": the crew device's crew */
  BodyKind    body_kind;
  const char *body;
  guint       allowed;   /* roles, or PUBLIC */
  gboolean    stream;    /* answers with an endless stream when allowed */
  gboolean    fresh;     /* needs a session of its own (logout ends it) */
} Endpoint;

/* Expected, from the matrix and the protocol: staff read the
 * feeds; only administrators and managers read the figures; a crew device
 * talks only about its own crew; everybody may send mutations (the ops
 * are checked one by one below). */
static const Endpoint endpoints[] = {
  { "POST", "/api/v1/login", BODY_LOGIN, NULL, PUBLIC },
  { "POST", "/api/v1/logout", BODY_NONE, NULL, ANYONE, FALSE, TRUE },
  { "GET", "/api/v1/me", BODY_NONE, NULL, ANYONE },
  { "GET", "/api/v1/health", BODY_NONE, NULL, PUBLIC },
  { "GET", "/metrics", BODY_NONE, NULL, BIT (ADMIN) | BIT (MANAGER) },
  { "GET", "/api/v1/changes?since=0&limit=5", BODY_NONE, NULL, STAFF },
  { "GET", "/api/v1/positions", BODY_NONE, NULL, STAFF },
  { "GET", "/api/v1/snapshot", BODY_NONE, NULL, STAFF },
  { "GET", "/api/v1/events", BODY_NONE, NULL, STAFF, TRUE },
  { "POST", "/api/v1/mutations", BODY_JSON, "{\"mutations\":[]}", ANYONE },
  { "POST", "/api/v1/crews/{own}/position", BODY_JSON, "{\"lat\":39.91,\"lon\":116.41,\"heading\":90,\"speed_kmh\":20}",
    BIT (CREW) },
  { "GET", "/api/v1/crews/{own}/tickets", BODY_NONE, NULL, ANYONE },
  /* Intake from the channels is the dispatch room's. */
  { "POST", "/api/v1/tickets", BODY_INTAKE, NULL, OFFICE },
};

static char *
expand_path (const char *path)
{
  g_autoptr(GString) s = g_string_new (path);

  g_string_replace (s, "{own}", own_crew, 0);
  return g_string_free (g_steal_pointer (&s), FALSE);
}

/* The status of one call; @role < 0: without a token. */
static guint
call (const Endpoint *e,
      gint            role)
{
  g_autofree char *path = expand_path (e->path);
  g_autofree char *fresh_token = NULL;
  g_autofree char *login_body = NULL;
  g_autofree char *intake_body = NULL;
  const char *token = NULL;
  const char *body = NULL;

  if (role >= 0)
    {
      if (e->fresh)
        {
          g_autofree char *password = cd_test_password_for (username_of (role));

          fresh_token = cd_test_login (server, username_of (role), password);
          token = fresh_token;
        }
      else
        token = tokens[role];
    }

  if (e->body_kind == BODY_JSON)
    body = e->body;
  else if (e->body_kind == BODY_LOGIN)
    {
      Role who = role >= 0 ? (Role) role : DISPATCHER;
      g_autofree char *password = cd_test_password_for (username_of (who));

      login_body = g_strdup_printf ("{\"username\":\"%s\",\"password\":\"%s\"}", username_of (who), password);
      body = login_body;
    }
  else if (e->body_kind == BODY_INTAKE)
    {
      static guint n;
      g_autofree char *extra = g_strdup_printf ("\"address\":\"%u Intake Lane\",\"lat\":%u.5,\"lon\":%u.5",
                                                n + 1, 20 + n, 80 + n);
      g_autofree char *args = NULL;

      n++;
      args = cd_test_ticket_args ("power", "meter", NULL);
      /* Replace the fixed place with this call's own. */
      {
        g_autoptr(GString) s = g_string_new (args);

        g_string_replace (s, "\"address\":\"12 Riverside Road\",\"lat\":39.91,\"lon\":116.40", extra, 1);
        intake_body = g_string_free (g_steal_pointer (&s), FALSE);
      }
      body = intake_body;
    }

  if (e->stream)
    {
      g_autoptr(CdTestStream) stream = cd_test_stream_open (server, path, token);

      return cd_test_stream_get_status (stream);
    }

  {
    g_autoptr(CdTestReply) reply = cd_test_request (server, e->method, path, token, body);

    if (reply->status == 403)
      g_assert_cmpstr (cd_test_reply_error_code (reply), ==, "forbidden");
    if (reply->status / 100 != 2 && reply->status != 403 && reply->status != 401)
      g_test_message ("%s %s as %s: %u %s", e->method, path, role >= 0 ? role_nicks[role] : "nobody",
                      reply->status, reply->body);
    return reply->status;
  }
}

static void
test_endpoints (void)
{
  guint failures = 0;

  for (guint i = 0; i < G_N_ELEMENTS (endpoints); i++)
    {
      const Endpoint *e = &endpoints[i];
      guint status;

      for (guint r = 0; r < N_ROLES; r++)
        {
          gboolean allowed = e->allowed == PUBLIC || (e->allowed & BIT (r)) != 0;

          status = call (e, r);
          if (allowed ? status / 100 != 2 : status != 403)
            {
              g_test_message ("MISMATCH %s %s as %s: %u, expected %s", e->method, e->path, role_nicks[r],
                              status, allowed ? "2xx" : "403");
              failures++;
            }
        }

      /* Without a token: only the public ones answer. */
      status = call (e, -1);
      if (e->allowed == PUBLIC ? status / 100 != 2 : status != 401)
        {
          g_test_message ("MISMATCH %s %s without a token: %u, expected %s", e->method, e->path, status,
                          e->allowed == PUBLIC ? "2xx" : "401");
          failures++;
        }
    }

  /* Every mismatch is listed above; not fatal, so the next tests run. */
  if (failures > 0)
    g_test_fail_printf ("%u cells of the matrix do not match", failures);
}

/* Mutations ------------------------------------------------------------- */

typedef enum {
  TARGET_MISSING,   /* an id nothing has: allowed roles get not-found */
  TARGET_NEW,       /* a new id: allowed roles create it */
} TargetKind;

typedef struct {
  const char *op;
  TargetKind  target;
  gint64      expected_version;
  const char *args;           /* "%s": replaced by the role's nick */
  guint       allowed;
} OpCase;

/* Expected, from the matrix in the issue and the protocol. */
static const OpCase op_cases[] = {
  { "ticket.create", TARGET_NEW, -1, NULL /* ticket args */, OFFICE },
  { "ticket.assign", TARGET_MISSING, -1, "{\"crew_id\":null}", OFFICE },
  { "ticket.set_status", TARGET_MISSING, -1, "{\"status\":\"contacted\"}", OFFICE | BIT (CREW) },
  { "ticket.pause", TARGET_MISSING, -1, "{\"reason\":\"Customer is not at home\"}", BIT (SUPERVISOR) },
  { "ticket.resume", TARGET_MISSING, -1, "{}", BIT (SUPERVISOR) },
  { "ticket.update", TARGET_MISSING, 1, "{\"description\":\"Water on the floor\"}", OFFICE },
  { "callback.record", TARGET_MISSING, -1, "{\"outcome\":\"no-answer\"}", BIT (AGENT) | BIT (MANAGER) },
  { "callback.close", TARGET_MISSING, -1, "{\"conclusion\":\"Radiator replaced, customer content\"}", BIT (MANAGER) },
  { "sla_policy.update", TARGET_NEW, -1,
    "{\"category\":\"meter\",\"urgency\":\"normal\",\"area_class\":\"remote\",\"first_response_min\":60,"
    "\"on_site_min\":600,\"resolved_min\":2000,\"calendar\":\"always\",\"warning_share\":0.25,"
    "\"auto_dispatch\":false}", BIT (MANAGER) },
  { "user.create", TARGET_NEW, -1,
    "{\"username\":\"made-by-%s\",\"role\":\"dispatcher\",\"password\":\"a long enough password\"}", BIT (ADMIN) },
  { "user.update", TARGET_MISSING, -1, "{\"display_name\":\"Someone Else\"}", BIT (ADMIN) },
  { "user.set_password", TARGET_MISSING, -1, "{\"password\":\"another long password\"}", BIT (ADMIN) },
  { "ticket.acknowledge", TARGET_MISSING, -1, "{\"level\":\"amber\",\"note\":\"On it\"}", BIT (SUPERVISOR) },
};

static void
test_mutation_ops (void)
{
  guint failures = 0;

  for (guint i = 0; i < G_N_ELEMENTS (op_cases); i++)
    {
      const OpCase *c = &op_cases[i];

      for (guint r = 0; r < N_ROLES; r++)
        {
          gboolean allowed = (c->allowed & BIT (r)) != 0;
          g_autofree char *args = NULL;
          g_autofree char *m = NULL;
          g_autoptr(CdTestReply) reply = NULL;
          const char *code;
          const char *status;
          JsonObject *result;
          gint64 before = current_rev ();

          if (c->args == NULL)
            args = cd_test_ticket_args ("power", "no-power", NULL);
          else
            {
              g_autoptr(GString) s = g_string_new (c->args);

              g_string_replace (s, "%s", role_nicks[r], 0);
              args = g_string_free (g_steal_pointer (&s), FALSE);
            }
          m = cd_test_mutation (NULL, c->op, NULL, c->expected_version, args);
          reply = cd_test_send_mutation (server, tokens[r], m);
          result = cd_test_result (reply, 0);
          status = cd_test_result_status (result);
          code = cd_test_result_error_code (result);

          if (allowed)
            {
              /* Past the role check: what is left is the world's answer. */
              gboolean ok = g_strcmp0 (code, "forbidden") != 0 &&
                            (c->target == TARGET_NEW ? g_strcmp0 (status, "applied") == 0 ||
                                                       g_strcmp0 (status, "conflict") == 0
                                                     : g_strcmp0 (code, "not-found") == 0);

              if (!ok)
                {
                  g_test_message ("MISMATCH %s as %s: %s", c->op, role_nicks[r], reply->body);
                  failures++;
                }
            }
          else
            {
              if (g_strcmp0 (status, "rejected") != 0 || g_strcmp0 (code, "forbidden") != 0)
                {
                  g_test_message ("MISMATCH %s as %s: %s, expected forbidden", c->op, role_nicks[r], reply->body);
                  failures++;
                }
              /* Nothing written. */
              g_assert_cmpint (current_rev (), ==, before);
            }
        }
    }

  /* Every mismatch is listed above; not fatal, so the next tests run. */
  if (failures > 0)
    g_test_fail_printf ("%u cells of the matrix do not match", failures);
}

/* A crew device speaks for its own crew only. */
static void
test_crew_device_own_crew (void)
{
  g_autofree char *other_path = g_strdup_printf ("/api/v1/crews/%s/position", other_crew);
  g_autofree char *other_tickets = g_strdup_printf ("/api/v1/crews/%s/tickets", other_crew);
  g_autofree char *own_tickets = g_strdup_printf ("/api/v1/crews/%s/tickets", own_crew);
  g_autofree char *mine = cd_test_create_ticket (server, tokens[DISPATCHER], "power", "no-power", NULL);
  g_autofree char *theirs = cd_test_create_ticket (server, tokens[DISPATCHER], "power", "no-power", NULL);
  gint64 before;

  /* Give one ticket to each crew. */
  {
    g_autofree char *a1 = g_strdup_printf ("{\"crew_id\":\"%s\"}", own_crew);
    g_autofree char *a2 = g_strdup_printf ("{\"crew_id\":\"%s\"}", other_crew);
    g_autofree char *m1 = cd_test_mutation (NULL, "ticket.assign", mine, -1, a1);
    g_autofree char *m2 = cd_test_mutation (NULL, "ticket.assign", theirs, -1, a2);
    const char *list[] = { m1, m2, NULL };
    g_autoptr(CdTestReply) reply = cd_test_send_mutations (server, tokens[DISPATCHER], list);

    g_assert_cmpstr (cd_test_result_status (cd_test_result (reply, 0)), ==, "applied");
    g_assert_cmpstr (cd_test_result_status (cd_test_result (reply, 1)), ==, "applied");
  }

  before = current_rev ();

  /* Positions and ticket lists of another crew. */
  {
    g_autoptr(CdTestReply) reply = cd_test_request (server, "POST", other_path, tokens[CREW],
                                                    "{\"lat\":39.9,\"lon\":116.4}");

    g_assert_cmpuint (reply->status, ==, 403);
    g_assert_cmpstr (cd_test_reply_error_code (reply), ==, "forbidden");
  }
  {
    g_autoptr(CdTestReply) reply = cd_test_request (server, "GET", other_tickets, tokens[CREW], NULL);

    g_assert_cmpuint (reply->status, ==, 403);
    g_assert_cmpstr (cd_test_reply_error_code (reply), ==, "forbidden");
  }

  /* Staff read any crew's list. */
  {
    g_autoptr(CdTestReply) reply = cd_test_request (server, "GET", other_tickets, tokens[AGENT], NULL);

    g_assert_cmpuint (reply->status, ==, 200);
  }

  /* Another crew's ticket. */
  {
    g_autofree char *m = cd_test_mutation (NULL, "ticket.set_status", theirs, -1, "{\"status\":\"contacted\"}");
    g_autoptr(CdTestReply) reply = cd_test_send_mutation (server, tokens[CREW], m);

    g_assert_cmpstr (cd_test_result_error_code (cd_test_result (reply, 0)), ==, "forbidden");
  }

  /* Its own ticket, but a status only the office sets. */
  {
    g_autofree char *m = cd_test_mutation (NULL, "ticket.set_status", mine, -1, "{\"status\":\"cancelled\"}");
    g_autoptr(CdTestReply) reply = cd_test_send_mutation (server, tokens[CREW], m);

    g_assert_cmpstr (cd_test_result_error_code (cd_test_result (reply, 0)), ==, "forbidden");
  }

  g_assert_cmpint (current_rev (), ==, before);

  /* Its own ticket, a status it reports: fine, and it now sees it. */
  {
    g_autofree char *m = cd_test_mutation (NULL, "ticket.set_status", mine, -1, "{\"status\":\"contacted\"}");
    g_autoptr(CdTestReply) reply = cd_test_send_mutation (server, tokens[CREW], m);

    g_assert_cmpstr (cd_test_result_status (cd_test_result (reply, 0)), ==, "applied");
  }
  {
    g_autoptr(CdTestReply) reply = cd_test_request (server, "GET", own_tickets, tokens[CREW], NULL);
    JsonArray *tickets;
    gboolean found = FALSE;

    g_assert_cmpuint (reply->status, ==, 200);
    tickets = json_object_get_array_member (cd_test_reply_object (reply), "tickets");
    for (guint i = 0; i < json_array_get_length (tickets); i++)
      {
        JsonObject *t = json_array_get_object_element (tickets, i);

        g_assert_cmpstr (json_object_get_string_member (t, "crew_id"), ==, own_crew);
        found |= g_strcmp0 (json_object_get_string_member (t, "id"), mine) == 0;
      }
    g_assert_true (found);
  }
}

/* A deactivated account can do nothing, even with a live session. */
static void
test_inactive_user (void)
{
  g_autofree char *token = cd_test_add_and_login (server, "role-leaver", "dispatcher", NULL);
  g_autoptr(CdTestReply) me = cd_test_request (server, "GET", "/api/v1/me", token, NULL);
  const char *id;
  gint64 version;

  g_assert_cmpuint (me->status, ==, 200);
  id = json_object_get_string_member (json_object_get_object_member (cd_test_reply_object (me), "user"), "id");
  version = json_object_get_int_member (json_object_get_object_member (cd_test_reply_object (me), "user"), "version");

  {
    g_autofree char *m = cd_test_mutation (NULL, "user.update", id, version, "{\"active\":false}");
    g_autoptr(CdTestReply) reply = cd_test_send_mutation (server, tokens[ADMIN], m);

    g_assert_cmpstr (cd_test_result_status (cd_test_result (reply, 0)), ==, "applied");
  }

  {
    g_autoptr(CdTestReply) reply = cd_test_request (server, "GET", "/api/v1/me", token, NULL);

    g_assert_cmpuint (reply->status, ==, 401);
  }
  {
    g_autofree char *args = cd_test_ticket_args ("heat", "no-heat", NULL);
    g_autofree char *m = cd_test_mutation (NULL, "ticket.create", NULL, -1, args);
    g_autoptr(CdTestReply) reply = cd_test_send_mutation (server, token, m);

    g_assert_cmpuint (reply->status, ==, 401);
  }
  {
    g_autofree char *password = cd_test_password_for ("role-leaver");
    g_autofree char *body = g_strdup_printf ("{\"username\":\"role-leaver\",\"password\":\"%s\"}", password);
    g_autoptr(CdTestReply) reply = cd_test_request (server, "POST", "/api/v1/login", NULL, body);

    g_assert_cmpuint (reply->status, ==, 401);
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

  server = cd_test_server_new (NULL);
  own_crew = cd_test_store_add_crew (server, "Power 1", CD_UTILITY_POWER, no_skills, 5, 39.90, 116.40);
  other_crew = cd_test_store_add_crew (server, "Power 2", CD_UTILITY_POWER, no_skills, 5, 39.92, 116.42);
  cd_test_server_launch (server);

  for (guint r = 0; r < N_ROLES; r++)
    tokens[r] = cd_test_add_and_login (server, username_of (r), role_nicks[r], r == CREW ? own_crew : NULL);

  g_test_add_func ("/server/roles/endpoints", test_endpoints);
  g_test_add_func ("/server/roles/mutation-ops", test_mutation_ops);
  g_test_add_func ("/server/roles/crew-device-own-crew", test_crew_device_own_crew);
  g_test_add_func ("/server/roles/inactive-user", test_inactive_user);

  ret = g_test_run ();

  cd_test_server_free (server);
  for (guint r = 0; r < N_ROLES; r++)
    g_free (tokens[r]);
  g_free (own_crew);
  g_free (other_crew);
  return ret;
}
