/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-server-sync.c: the changes feed, the snapshot, exactly-once
 * mutations, partial batches, 410 past the horizon, and two dispatchers
 * racing for one ticket. */
#include "config.h"

#include <signal.h>
#include <string.h>

#include "cd-model.h"
#include "cd-store.h"
#include "cd-test-server.h"

static CdTestServer *server;
static char *d1;            /* dispatcher tokens */
static char *d2;
static char *admin;
static char *crew_a;
static char *crew_b;

#define SKILLS "\"skills\":[\"radiator\"]"

static gint64
current_rev (void)
{
  gint64 rev = cd_test_metric (server, admin, "crewdesk_revision");

  g_assert_cmpint (rev, >=, 0);
  return rev;
}

static JsonNode *
get_json (const char *path)
{
  g_autoptr(CdTestReply) reply = cd_test_request (server, "GET", path, d1, NULL);

  if (reply->status != 200)
    g_error ("GET %s: %u %s", path, reply->status, reply->body);
  g_assert_nonnull (reply->json);

  return json_node_ref (reply->json);
}

static char *
new_ticket (void)
{
  return cd_test_create_ticket (server, d1, "heat", "no-heat", SKILLS);
}

static char *
assign_mutation (const char *id,
                 const char *ticket,
                 const char *crew,
                 gboolean    expect_unassigned)
{
  g_autofree char *args = g_strdup_printf ("{\"crew_id\":\"%s\",\"reason\":\"nearest free crew\"%s}", crew,
                                           expect_unassigned ? ",\"expect_crew\":null" : "");

  return cd_test_mutation (id, "ticket.assign", ticket, -1, args);
}

/* The assignment events the snapshot holds for @ticket. */
static guint
count_events (const char *ticket)
{
  g_autoptr(JsonNode) snapshot = get_json ("/api/v1/snapshot");
  JsonArray *events = json_object_get_array_member (json_node_get_object (snapshot), "assignment_events");
  guint n = 0;

  for (guint i = 0; i < json_array_get_length (events); i++)
    if (g_strcmp0 (json_object_get_string_member (json_array_get_object_element (events, i), "ticket_id"),
                   ticket) == 0)
      n++;

  return n;
}

/* The snapshot's copy of a record, or NULL; a new reference. */
static JsonObject *
snapshot_record (const char *member,
                 const char *id)
{
  g_autoptr(JsonNode) snapshot = get_json ("/api/v1/snapshot");
  JsonArray *list = json_object_get_array_member (json_node_get_object (snapshot), member);

  for (guint i = 0; i < json_array_get_length (list); i++)
    {
      JsonObject *o = json_array_get_object_element (list, i);

      if (g_strcmp0 (json_object_get_string_member (o, "id"), id) == 0)
        return json_object_ref (o);
    }

  return NULL;
}

/* ------------------------------------------------------------------------ */

static void
test_changes (void)
{
  g_autoptr(GPtrArray) tickets = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GHashTable) full = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GHashTable) paged = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(JsonNode) all = NULL;
  JsonArray *changes;
  gint64 rev, since = 0, previous = 0;
  guint pages = 0;

  for (guint i = 0; i < 6; i++)
    g_ptr_array_add (tickets, new_ticket ());
  /* Assignments write two records (the ticket and its event) in one
   * revision; an update writes one. */
  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *m = assign_mutation (NULL, g_ptr_array_index (tickets, i), i % 2 ? crew_a : crew_b, TRUE);
      g_autoptr(CdTestReply) reply = cd_test_send_mutation (server, d1, m);

      g_assert_cmpstr (cd_test_result_status (cd_test_result (reply, 0)), ==, "applied");
    }
  {
    g_autofree char *m = cd_test_mutation (NULL, "ticket.update", g_ptr_array_index (tickets, 5), 1,
                                           "{\"description\":\"Radiator cold in every room\"}");
    g_autoptr(CdTestReply) reply = cd_test_send_mutation (server, d1, m);

    g_assert_cmpstr (cd_test_result_status (cd_test_result (reply, 0)), ==, "applied");
  }
  rev = current_rev ();

  /* Everything since 0, in rev order. */
  all = get_json ("/api/v1/changes?since=0");
  changes = json_object_get_array_member (json_node_get_object (all), "changes");
  g_assert_false (json_object_get_boolean_member (json_node_get_object (all), "more"));
  g_assert_cmpint (json_object_get_int_member (json_node_get_object (all), "last_rev"), ==, rev);
  for (guint i = 0; i < json_array_get_length (changes); i++)
    {
      JsonObject *c = json_array_get_object_element (changes, i);
      gint64 r = json_object_get_int_member (c, "rev");
      char *key = g_strdup_printf ("%s:%s@%" G_GINT64_FORMAT, json_object_get_string_member (c, "kind"),
                                   json_object_get_string_member (c, "id"), r);

      g_assert_cmpint (r, >, 0);
      g_assert_cmpint (r, <=, rev);
      g_assert_cmpint (r, >=, previous);
      previous = r;
      g_assert_false (json_object_get_boolean_member (c, "deleted"));
      g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (c, "record"), "rev"), ==, r);
      g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (c, "record"), "id"), ==,
                       json_object_get_string_member (c, "id"));
      /* One row per record: its latest version. */
      g_assert_true (g_hash_table_add (full, key));
    }
  for (guint i = 0; i < tickets->len; i++)
    {
      gboolean found = FALSE;

      for (guint j = 0; j < json_array_get_length (changes); j++)
        {
          JsonObject *c = json_array_get_object_element (changes, j);

          if (g_strcmp0 (json_object_get_string_member (c, "id"), g_ptr_array_index (tickets, i)) == 0)
            {
              JsonObject *record = json_object_get_object_member (c, "record");

              g_assert_false (found);
              found = TRUE;
              g_assert_cmpstr (json_object_get_string_member (c, "kind"), ==, "ticket");
              g_assert_cmpint (json_object_get_int_member (record, "version"), ==, i < 3 || i == 5 ? 2 : 1);
            }
        }
      g_assert_true (found);
    }

  /* Pages of two, to the end: the same rows, none lost at a page break,
   * even where one revision holds two rows. */
  for (;;)
    {
      g_autofree char *path = g_strdup_printf ("/api/v1/changes?since=%" G_GINT64_FORMAT "&limit=2", since);
      g_autoptr(JsonNode) page = get_json (path);
      JsonObject *o = json_node_get_object (page);
      JsonArray *rows = json_object_get_array_member (o, "changes");
      gboolean more = json_object_get_boolean_member (o, "more");

      /* A page holds at most two rows, or runs on to finish the revision
       * its second row belongs to (see PROTOCOL.md). */
      for (guint i = 2; i < json_array_get_length (rows); i++)
        g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (rows, i), "rev"), ==,
                         json_object_get_int_member (json_array_get_object_element (rows, 1), "rev"));
      for (guint i = 0; i < json_array_get_length (rows); i++)
        {
          JsonObject *c = json_array_get_object_element (rows, i);
          gint64 r = json_object_get_int_member (c, "rev");

          g_assert_cmpint (r, >, since);
          g_hash_table_add (paged, g_strdup_printf ("%s:%s@%" G_GINT64_FORMAT, json_object_get_string_member (c, "kind"),
                                                    json_object_get_string_member (c, "id"), r));
        }
      g_assert_cmpint (json_object_get_int_member (o, "last_rev"), >=, since);
      since = json_object_get_int_member (o, "last_rev");
      g_assert_cmpuint (++pages, <, 1000);
      if (!more)
        break;
      g_assert_cmpuint (json_array_get_length (rows), >=, 2);
    }
  g_assert_cmpint (since, ==, rev);

  {
    GHashTableIter iter;
    gpointer key;
    guint lost = 0;

    g_hash_table_iter_init (&iter, full);
    while (g_hash_table_iter_next (&iter, &key, NULL))
      if (!g_hash_table_contains (paged, key))
        {
          g_test_message ("paging with limit=2 never returned %s", (const char *) key);
          lost++;
        }
    g_assert_cmpuint (g_hash_table_size (paged), <=, g_hash_table_size (full));
    /* Not fatal, so that the tests after this one still run. */
    if (lost > 0)
      {
        g_test_fail_printf ("paging lost %u of %u rows", lost, g_hash_table_size (full));
        return;
      }
  }

  /* Nothing new since the end. */
  {
    g_autofree char *path = g_strdup_printf ("/api/v1/changes?since=%" G_GINT64_FORMAT, rev);
    g_autoptr(JsonNode) page = get_json (path);
    JsonObject *o = json_node_get_object (page);

    g_assert_cmpuint (json_array_get_length (json_object_get_array_member (o, "changes")), ==, 0);
    g_assert_false (json_object_get_boolean_member (o, "more"));
    g_assert_cmpint (json_object_get_int_member (o, "last_rev"), ==, rev);
  }
}

static void
test_snapshot (void)
{
  g_autofree char *ticket = new_ticket ();
  g_autoptr(JsonNode) snapshot = NULL;
  g_autoptr(JsonNode) changes = NULL;
  JsonObject *o;
  JsonArray *tickets, *crews, *users;
  gint64 rev;
  gboolean found = FALSE;

  {
    g_autofree char *m = assign_mutation (NULL, ticket, crew_a, TRUE);
    g_autoptr(CdTestReply) reply = cd_test_send_mutation (server, d1, m);

    g_assert_cmpstr (cd_test_result_status (cd_test_result (reply, 0)), ==, "applied");
  }
  rev = current_rev ();
  snapshot = get_json ("/api/v1/snapshot");
  o = json_node_get_object (snapshot);

  g_assert_cmpint (json_object_get_int_member (o, "rev"), ==, rev);
  for (guint i = 0; i < 6; i++)
    {
      static const char * const members[] = { "tickets", "crews", "callbacks", "assignment_events",
                                              "sla_policies", "users" };

      g_assert_true (JSON_NODE_HOLDS_ARRAY (json_object_get_member (o, members[i])));
    }

  /* The snapshot agrees with the changes feed, record by record. */
  changes = get_json ("/api/v1/changes?since=0&limit=10000");
  tickets = json_object_get_array_member (o, "tickets");
  {
    JsonArray *rows = json_object_get_array_member (json_node_get_object (changes), "changes");
    guint n_tickets = 0;

    for (guint i = 0; i < json_array_get_length (rows); i++)
      {
        JsonObject *c = json_array_get_object_element (rows, i);
        const char *kind = json_object_get_string_member (c, "kind");
        const char *member = strcmp (kind, "ticket") == 0 ? "tickets"
                             : strcmp (kind, "crew") == 0 ? "crews"
                             : strcmp (kind, "user") == 0 ? "users"
                             : strcmp (kind, "assignment_event") == 0 ? "assignment_events"
                             : strcmp (kind, "callback") == 0 ? "callbacks" : "sla_policies";
        JsonArray *list = json_object_get_array_member (o, member);
        gboolean seen = FALSE;

        n_tickets += strcmp (kind, "ticket") == 0;
        for (guint j = 0; j < json_array_get_length (list); j++)
          {
            JsonObject *r = json_array_get_object_element (list, j);

            if (g_strcmp0 (json_object_get_string_member (r, "id"), json_object_get_string_member (c, "id")) == 0)
              {
                g_autoptr(JsonNode) fed = json_node_copy (json_object_get_member (c, "record"));
                g_autoptr(JsonNode) held = json_node_copy (json_array_get_element (list, j));

                g_assert_cmpint (json_object_get_int_member (r, "rev"), ==, json_object_get_int_member (c, "rev"));

                /* Positions are laid over crews outside the revisions; the
                 * test changes-crew-position looks at them. */
                if (strcmp (kind, "crew") == 0)
                  {
                    json_object_remove_member (json_node_get_object (fed), "position");
                    json_object_remove_member (json_node_get_object (held), "position");
                  }
                if (!json_node_equal (fed, held))
                  {
                    g_autofree char *a = json_to_string (json_object_get_member (c, "record"), FALSE);
                    g_autofree char *b = json_to_string (json_array_get_element (list, j), FALSE);

                    g_error ("the %s differs:\nchanges:  %s\nsnapshot: %s", kind, a, b);
                  }
                seen = TRUE;
              }
          }
        g_assert_true (seen);
      }
    g_assert_cmpuint (json_array_get_length (tickets), ==, n_tickets);
  }

  for (guint i = 0; i < json_array_get_length (tickets); i++)
    {
      JsonObject *t = json_array_get_object_element (tickets, i);

      if (g_strcmp0 (json_object_get_string_member (t, "id"), ticket) == 0)
        {
          found = TRUE;
          g_assert_cmpstr (json_object_get_string_member (t, "crew_id"), ==, crew_a);
          g_assert_cmpstr (json_object_get_string_member (t, "status"), ==, "assigned");
          g_assert_cmpint (json_object_get_int_member (t, "version"), ==, 2);
        }
    }
  g_assert_true (found);

  crews = json_object_get_array_member (o, "crews");
  g_assert_cmpuint (json_array_get_length (crews), ==, 2);
  for (guint i = 0; i < 2; i++)
    {
      JsonObject *c = json_array_get_object_element (crews, i);
      const char *id = json_object_get_string_member (c, "id");

      g_assert_true (g_strcmp0 (id, crew_a) == 0 || g_strcmp0 (id, crew_b) == 0);
      g_assert_cmpstr (json_object_get_string_member (c, "utility"), ==, "heat");
    }

  users = json_object_get_array_member (o, "users");
  g_assert_cmpuint (json_array_get_length (users), ==, 3);
  {
    g_autofree char *text = json_to_string (json_object_get_member (o, "users"), FALSE);

    g_assert_null (strstr (text, "password"));
    g_assert_null (strstr (text, "argon2"));
    g_assert_null (strstr (text, "hash"));
  }

  g_assert_cmpuint (count_events (ticket), ==, 1);
}

/* The crew as the snapshot shows it; a new reference. */
static JsonObject *
crew_position (const char *crew,
               double     *lat)
{
  JsonObject *row = snapshot_record ("crews", crew);
  JsonNode *position = json_object_get_member (row, "position");

  *lat = position != NULL && JSON_NODE_HOLDS_OBJECT (position)
         ? json_object_get_double_member (json_node_get_object (position), "lat") : 0;
  return row;
}

/* Polls the snapshot until the crew shows @lat; FALSE after @seconds. */
static gboolean
wait_for_position (const char *crew,
                   double      lat,
                   guint       seconds)
{
  gint64 deadline = g_get_monotonic_time () + seconds * G_USEC_PER_SEC;

  for (;;)
    {
      double shown;
      g_autoptr(JsonObject) row = crew_position (crew, &shown);

      if (G_APPROX_VALUE (shown, lat, 1e-7))
        return TRUE;
      if (g_get_monotonic_time () > deadline)
        return FALSE;
      g_usleep (20 * 1000);
    }
}

static void
post_position (const char *token,
               const char *crew,
               double      lat,
               const char *status)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/crews/%s/position", crew);
  g_autofree char *body = NULL;
  g_autoptr(CdTestReply) reply = NULL;
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  body = g_strdup_printf ("{\"lat\":%s,\"lon\":116.385,\"heading\":180,\"speed_kmh\":30%s%s%s}",
                          g_ascii_dtostr (buf, sizeof buf, lat),
                          status ? ",\"status\":\"" : "", status ? status : "", status ? "\"" : "");
  reply = cd_test_request (server, "POST", path, token, body);
  g_assert_cmpuint (reply->status, ==, 200);
}

/* The protocol: "Crew positions are not in the feed (see /events)". A
 * crew's row in the feed, after its device reported a position and a
 * status in one report, must then carry no position, or else the one
 * reported: never an older one, which a client applying the row would
 * move the crew back to. */
static void
test_changes_crew_position (void)
{
  g_autofree char *device = cd_test_add_and_login (server, "sync-crew-b", "crew-device", crew_b);
  g_autoptr(JsonNode) page = NULL;
  g_autofree char *changes_path = NULL;
  JsonObject *fed = NULL;
  JsonNode *position;
  JsonArray *rows;
  gint64 before = current_rev ();

  post_position (device, crew_b, 39.925, "en-route");
  /* The status is a revision at once. */
  g_assert_cmpint (current_rev (), ==, before + 1);
  /* The position reaches the store within a second or so; should it not,
   * the test position-same-second says why. */
  if (!wait_for_position (crew_b, 39.925, 5))
    g_test_message ("the snapshot does not show the reported position either");

  changes_path = g_strdup_printf ("/api/v1/changes?since=%" G_GINT64_FORMAT, before);
  page = get_json (changes_path);
  rows = json_object_get_array_member (json_node_get_object (page), "changes");
  for (guint i = 0; i < json_array_get_length (rows); i++)
    {
      JsonObject *c = json_array_get_object_element (rows, i);

      if (g_strcmp0 (json_object_get_string_member (c, "id"), crew_b) == 0)
        fed = json_object_get_object_member (c, "record");
    }
  g_assert_nonnull (fed);
  g_assert_cmpstr (json_object_get_string_member (fed, "status"), ==, "en-route");

  /* Not fatal, so that the tests after this one still run. */
  position = json_object_get_member (fed, "position");
  if (position != NULL && !JSON_NODE_HOLDS_NULL (position) &&
      !G_APPROX_VALUE (json_object_get_double_member (json_node_get_object (position), "lat"), 39.925, 1e-7))
    {
      g_autofree char *text = position ? json_to_string (position, FALSE) : g_strdup ("none");

      g_test_fail_printf ("the revision of the report that moved the crew to lat 39.925 and set it en-route "
                          "carries the position %s", text);
    }
}

/* Polls the snapshot until the crew shows @lat; returns the real time it
 * was first seen, or 0 after @seconds. */
static gint64
wait_seen (const char *crew,
           double      lat,
           guint       seconds)
{
  gint64 deadline = g_get_monotonic_time () + seconds * G_USEC_PER_SEC;

  for (;;)
    {
      double shown;
      g_autoptr(JsonObject) row = crew_position (crew, &shown);

      if (G_APPROX_VALUE (shown, lat, 1e-7))
        return g_get_real_time ();
      if (g_get_monotonic_time () > deadline)
        return 0;
      g_usleep (10 * 1000);
    }
}

static void
sleep_until (gint64 real_time)
{
  gint64 now = g_get_real_time ();

  if (real_time > now)
    g_usleep (real_time - now);
}

/* Two reports of one crew in one second, the second with a status: the
 * second's position must win. Reports are stamped in whole seconds of the
 * server's clock (this machine's clock, so the test can tell when it has
 * placed both in one second), and positions are stored by a flusher once
 * a second: the test sends the first report just before a flush, and the
 * second right after it. */
static void
test_position_same_second (void)
{
  g_autofree char *device = cd_test_add_and_login (server, "sync-crew-a", "crew-device", crew_a);
  static const char * const statuses[] = { "en-route", "on-site", "available", "en-route", "on-site", "available" };

  for (guint attempt = 0; attempt < G_N_ELEMENTS (statuses); attempt++)
    {
      double probe = 39.70 + attempt * 0.01;
      double first = probe + 0.003;
      double second = probe + 0.006;
      gint64 flushed, next, boundary, start, end;

      /* Where in the second the flusher runs. */
      post_position (device, crew_a, probe, NULL);
      flushed = wait_seen (crew_a, probe, 5);
      if (flushed == 0)
        {
          g_test_fail_printf ("a report (lat %.3f) never showed in the snapshot", probe);
          return;
        }

      /* The first report just before the next flush, in its second. */
      next = flushed + G_USEC_PER_SEC;
      boundary = (next - 20 * 1000) / G_USEC_PER_SEC * G_USEC_PER_SEC;
      sleep_until (MAX (boundary + 5 * 1000, next - 150 * 1000));
      start = g_get_real_time ();
      post_position (device, crew_a, first, NULL);
      if (wait_seen (crew_a, first, 5) == 0)
        {
          g_test_fail_printf ("a report (lat %.3f) never showed in the snapshot", first);
          return;
        }
      /* And the second, with a status, right after the flush. */
      post_position (device, crew_a, second, statuses[attempt]);
      end = g_get_real_time ();

      if (start / G_USEC_PER_SEC != end / G_USEC_PER_SEC)
        {
          g_test_message ("attempt %u: the two reports were not in one second; again", attempt);
          continue;
        }

      /* Generous: the flusher runs every second. */
      if (wait_seen (crew_a, second, 5) == 0)
        {
          double shown;
          g_autoptr(JsonObject) row = crew_position (crew_a, &shown);

          /* Not fatal, so that the tests after this one still run. */
          g_test_fail_printf ("the crew reported lat %.3f, then lat %.3f with the status %s, in the same second; "
                              "5 s later the snapshot still shows lat %.3f (status %s)",
                              first, second, statuses[attempt], shown,
                              json_object_get_string_member (row, "status"));
        }
      return;
    }

  g_test_message ("could not place two reports in one second; nothing checked");
}

static void
test_exactly_once (void)
{
  g_autofree char *ticket = new_ticket ();
  g_autofree char *id = g_uuid_string_random ();
  g_autofree char *m = assign_mutation (id, ticket, crew_a, TRUE);
  g_autoptr(CdTestReply) first = cd_test_send_mutation (server, d1, m);
  g_autoptr(CdTestReply) second = NULL;
  g_autoptr(JsonObject) row = NULL;
  JsonObject *result = cd_test_result (first, 0);
  gint64 rev;

  g_assert_cmpstr (cd_test_result_status (result), ==, "applied");
  g_assert_cmpstr (json_object_get_string_member (result, "id"), ==, id);
  g_assert_nonnull (cd_test_result_record (result, "ticket"));
  g_assert_nonnull (cd_test_result_record (result, "assignment_event"));
  g_assert_cmpint (json_object_get_int_member (result, "rev"), ==, json_object_get_int_member (cd_test_reply_object (first),
                                                                                               "last_rev"));
  rev = current_rev ();
  g_assert_cmpint (json_object_get_int_member (result, "rev"), ==, rev);

  /* The retry, as a client whose reply was lost sends it. */
  second = cd_test_send_mutation (server, d1, m);
  g_assert_true (json_node_equal (json_array_get_element (json_object_get_array_member (cd_test_reply_object (first),
                                                                                        "results"), 0),
                                  json_array_get_element (json_object_get_array_member (cd_test_reply_object (second),
                                                                                        "results"), 0)));
  g_assert_cmpint (current_rev (), ==, rev);
  row = snapshot_record ("tickets", ticket);
  g_assert_cmpint (json_object_get_int_member (row, "version"), ==, 2);
  g_assert_cmpuint (count_events (ticket), ==, 1);

  /* Again inside a batch with a new mutation: one replays, one applies. */
  {
    g_autofree char *args = cd_test_ticket_args ("heat", "leak", NULL);
    g_autofree char *fresh = cd_test_mutation (NULL, "ticket.create", NULL, -1, args);
    const char *list[] = { m, fresh, NULL };
    g_autoptr(CdTestReply) reply = cd_test_send_mutations (server, d1, list);

    g_assert_true (json_node_equal (json_array_get_element (json_object_get_array_member (cd_test_reply_object (first),
                                                                                          "results"), 0),
                                    json_array_get_element (json_object_get_array_member (cd_test_reply_object (reply),
                                                                                          "results"), 0)));
    g_assert_cmpstr (cd_test_result_status (cd_test_result (reply, 1)), ==, "applied");
    g_assert_cmpint (current_rev (), ==, rev + 1);
    rev++;
  }

  /* A refused mutation is refused the same way again. */
  {
    g_autofree char *missing = g_uuid_string_random ();
    g_autofree char *bad = assign_mutation (NULL, missing, crew_a, FALSE);
    g_autoptr(CdTestReply) r1 = cd_test_send_mutation (server, d1, bad);
    g_autoptr(CdTestReply) r2 = cd_test_send_mutation (server, d1, bad);

    g_assert_cmpstr (cd_test_result_error_code (cd_test_result (r1, 0)), ==, "not-found");
    g_assert_true (json_node_equal (json_array_get_element (json_object_get_array_member (cd_test_reply_object (r1),
                                                                                          "results"), 0),
                                    json_array_get_element (json_object_get_array_member (cd_test_reply_object (r2),
                                                                                          "results"), 0)));
  }

  /* Another user reusing the id applies nothing. */
  {
    g_autoptr(CdTestReply) reply = cd_test_send_mutation (server, d2, m);
    JsonObject *r = cd_test_result (reply, 0);

    g_assert_cmpstr (cd_test_result_status (r), !=, "applied");
    g_assert_cmpint (current_rev (), ==, rev);
    g_assert_cmpuint (count_events (ticket), ==, 1);
  }
}

/* The same new mutation, sent by several threads at once. */
typedef struct {
  GMutex       lock;
  GCond        cond;
  gboolean     go;
  JsonNode    *results[8];
} Race;

typedef struct {
  Race  *race;
  guint  index;
  const char *body;
  const char *token;
} Runner;

static gpointer
race_runner (gpointer data)
{
  Runner *runner = data;
  Race *race = runner->race;
  const char *list[] = { runner->body, NULL };
  g_autoptr(CdTestReply) reply = NULL;

  g_mutex_lock (&race->lock);
  while (!race->go)
    g_cond_wait (&race->cond, &race->lock);
  g_mutex_unlock (&race->lock);

  reply = cd_test_send_mutations (server, runner->token, list);
  if (reply->status != 200)
    g_error ("racing mutation: %u %s", reply->status, reply->body);
  race->results[runner->index] = json_node_ref (json_array_get_element (
      json_object_get_array_member (cd_test_reply_object (reply), "results"), 0));

  return NULL;
}

/* Runs @n runners: runner i sends bodies[i] with tokens[i]. */
static void
run_race (Race        *race,
          guint        n,
          const char **bodies,
          const char **tokens)
{
  GThread *threads[8];
  Runner runners[8];

  g_assert_cmpuint (n, <=, 8);
  g_mutex_init (&race->lock);
  g_cond_init (&race->cond);
  race->go = FALSE;
  for (guint i = 0; i < n; i++)
    {
      runners[i] = (Runner) { race, i, bodies[i], tokens[i] };
      threads[i] = g_thread_new ("race", race_runner, &runners[i]);
    }
  /* Let them all reach the gate. */
  g_usleep (50 * 1000);
  g_mutex_lock (&race->lock);
  race->go = TRUE;
  g_cond_broadcast (&race->cond);
  g_mutex_unlock (&race->lock);
  for (guint i = 0; i < n; i++)
    g_thread_join (threads[i]);
  g_mutex_clear (&race->lock);
  g_cond_clear (&race->cond);
}

static void
test_exactly_once_concurrent (void)
{
  g_autofree char *target = g_uuid_string_random ();
  g_autofree char *args = cd_test_ticket_args ("heat", "no-heat", SKILLS);
  g_autofree char *m = cd_test_mutation (NULL, "ticket.create", target, -1, args);
  const char *bodies[6] = { m, m, m, m, m, m };
  const char *tokens[6] = { d1, d1, d1, d1, d1, d1 };
  g_autoptr(JsonObject) row = NULL;
  Race race = { 0 };
  gint64 before = current_rev ();

  run_race (&race, 6, bodies, tokens);

  for (guint i = 0; i < 6; i++)
    {
      g_assert_cmpstr (cd_test_result_status (json_node_get_object (race.results[i])), ==, "applied");
      g_assert_true (json_node_equal (race.results[0], race.results[i]));
    }
  for (guint i = 0; i < 6; i++)
    json_node_unref (race.results[i]);

  g_assert_cmpint (current_rev (), ==, before + 1);
  row = snapshot_record ("tickets", target);
  g_assert_nonnull (row);
  g_assert_cmpint (json_object_get_int_member (row, "version"), ==, 1);
}

static void
test_batch_partial (void)
{
  g_autofree char *a = g_uuid_string_random ();
  g_autofree char *b = g_uuid_string_random ();
  g_autofree char *missing = g_uuid_string_random ();
  g_autofree char *args = cd_test_ticket_args ("heat", "no-heat", NULL);
  g_autofree char *m1 = cd_test_mutation (NULL, "ticket.create", a, -1, args);
  g_autofree char *m2 = assign_mutation (NULL, missing, crew_a, FALSE);
  g_autofree char *m3 = cd_test_mutation (NULL, "ticket.create", b, -1, args);
  g_autofree char *m4 = cd_test_mutation (NULL, "ticket.create", NULL, -1,
                                          "{\"channel\":\"hotline\",\"category\":\"no-heat\",\"urgency\":\"urgent\","
                                          "\"utility\":\"heat\",\"customer\":{\"name\":\"Li\"},\"lat\":39.9,\"lon\":116.4}");
  g_autofree char *m5 = cd_test_mutation (NULL, "ticket.update", a, 5, "{\"description\":\"stale\"}");
  g_autofree char *m6 = cd_test_mutation (NULL, "ticket.update", a, 1, "{\"description\":\"fresh\"}");
  const char *list[] = { m1, m2, m3, m4, m5, m6, NULL };
  static const char * const expected[] = { "applied", "rejected", "applied", "rejected", "conflict", "applied" };
  g_autoptr(CdTestReply) reply = NULL;
  g_autoptr(JsonObject) row_a = NULL;
  g_autoptr(JsonObject) row_b = NULL;
  JsonArray *results;
  gint64 before = current_rev ();
  gint64 max_rev = 0;

  reply = cd_test_send_mutations (server, d1, list);
  g_assert_cmpuint (reply->status, ==, 200);
  results = json_object_get_array_member (cd_test_reply_object (reply), "results");
  g_assert_cmpuint (json_array_get_length (results), ==, 6);

  for (guint i = 0; i < 6; i++)
    {
      JsonObject *r = cd_test_result (reply, i);
      g_autoptr(JsonNode) sent = json_from_string (list[i], NULL);

      g_assert_cmpstr (cd_test_result_status (r), ==, expected[i]);
      /* In the order sent, each under its own id. */
      g_assert_cmpstr (json_object_get_string_member (r, "id"), ==,
                       json_object_get_string_member (json_node_get_object (sent), "id"));
      if (strcmp (expected[i], "applied") == 0)
        {
          gint64 r_rev = json_object_get_int_member (r, "rev");

          g_assert_cmpint (r_rev, >, max_rev);
          max_rev = r_rev;
        }
      else
        g_assert_nonnull (cd_test_result_error_code (r));
    }
  g_assert_cmpstr (cd_test_result_error_code (cd_test_result (reply, 1)), ==, "not-found");
  g_assert_cmpstr (cd_test_result_error_code (cd_test_result (reply, 3)), ==, "invalid");
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (cd_test_result (reply, 4), "current"),
                                               "version"), ==, 1);

  g_assert_cmpint (json_object_get_int_member (cd_test_reply_object (reply), "last_rev"), ==, max_rev);
  g_assert_cmpint (current_rev (), ==, before + 3);
  g_assert_cmpint (max_rev, ==, before + 3);

  row_a = snapshot_record ("tickets", a);
  row_b = snapshot_record ("tickets", b);
  g_assert_nonnull (row_a);
  g_assert_nonnull (row_b);
  g_assert_cmpint (json_object_get_int_member (row_a, "version"), ==, 2);
  g_assert_cmpstr (json_object_get_string_member (row_a, "description"), ==, "fresh");
}

static void
test_concurrent_assign (void)
{
  for (guint round = 0; round < 5; round++)
    {
      g_autofree char *ticket = new_ticket ();
      g_autofree char *ma = assign_mutation (NULL, ticket, crew_a, TRUE);
      g_autofree char *mb = assign_mutation (NULL, ticket, crew_b, TRUE);
      const char *bodies[2] = { ma, mb };
      const char *tokens[2] = { d1, d2 };
      g_autoptr(JsonObject) row = NULL;
      Race race = { 0 };
      JsonObject *winner = NULL, *loser = NULL;
      const char *winner_crew = NULL;
      gint64 before = current_rev ();

      run_race (&race, 2, bodies, tokens);

      for (guint i = 0; i < 2; i++)
        {
          JsonObject *r = json_node_get_object (race.results[i]);

          if (g_strcmp0 (cd_test_result_status (r), "applied") == 0)
            {
              g_assert_null (winner);
              winner = r;
              winner_crew = i == 0 ? crew_a : crew_b;
            }
          else
            {
              g_assert_null (loser);
              loser = r;
            }
        }
      g_assert_nonnull (winner);
      g_assert_nonnull (loser);
      g_assert_cmpstr (cd_test_result_status (loser), ==, "conflict");
      g_assert_cmpstr (cd_test_result_error_code (loser), ==, "conflict");
      /* The loser is shown who won. */
      g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (loser, "current"), "crew_id"), ==,
                       winner_crew);

      g_assert_cmpint (current_rev (), ==, before + 1);
      row = snapshot_record ("tickets", ticket);
      g_assert_cmpstr (json_object_get_string_member (row, "crew_id"), ==, winner_crew);
      g_assert_cmpint (json_object_get_int_member (row, "version"), ==, 2);
      g_assert_cmpuint (count_events (ticket), ==, 1);

      json_node_unref (race.results[0]);
      json_node_unref (race.results[1]);
    }
}

/* Last: it stops the server and raises the horizon. */
static void
test_gone_after_purge (void)
{
  g_autoptr(GError) error = NULL;
  gint64 rev = current_rev ();

  g_assert_cmpint (rev, >, 5);

  cd_test_server_kill (server, SIGTERM);
  {
    g_autoptr(CdStore) store = cd_store_open (server->db_path, &error);

    g_assert_no_error (error);
    g_assert_true (cd_store_purge (store, rev - 2, 0, &error));
    g_assert_no_error (error);
    g_assert_cmpint (cd_store_get_horizon_rev (store, &error), ==, rev - 2);
  }
  cd_test_server_restart (server);

  {
    g_autoptr(CdTestReply) reply = cd_test_request (server, "GET", "/api/v1/changes?since=1", d1, NULL);

    g_assert_cmpuint (reply->status, ==, 410);
    g_assert_cmpstr (cd_test_reply_error_code (reply), ==, "gone");
  }
  /* From revision 0 the feed is the whole state, whatever the horizon: the
   * client that holds nothing pages through it (a snapshot in pages), and
   * it holds what the one-reply snapshot holds. */
  {
    g_autoptr(GHashTable) paged = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
    g_autoptr(JsonNode) snapshot = get_json ("/api/v1/snapshot");
    JsonObject *snap = json_node_get_object (snapshot);
    static const char * const lists[] = { "tickets", "crews", "callbacks", "assignment_events",
                                          "sla_policies", "users" };
    gint64 since = 0, horizon = -1;
    gboolean more = TRUE;
    guint live = 0, pages = 0;

    while (more)
      {
        g_autofree char *path = NULL;
        g_autoptr(JsonNode) page = NULL;
        JsonObject *o;
        JsonArray *changes;

        /* Below the horizon, a page is answered only to the pass that
         * started with it. */
        if (since > 0 && since < rev - 2)
          {
            g_autofree char *bare = g_strdup_printf ("/api/v1/changes?since=%" G_GINT64_FORMAT "&limit=3", since);
            g_autofree char *wrong = g_strdup_printf ("%s&horizon=%" G_GINT64_FORMAT, bare, horizon - 1);
            g_autoptr(CdTestReply) r1 = cd_test_request (server, "GET", bare, d1, NULL);
            g_autoptr(CdTestReply) r2 = cd_test_request (server, "GET", wrong, d1, NULL);

            g_assert_cmpuint (r1->status, ==, 410);
            g_assert_cmpuint (r2->status, ==, 410);
          }
        path = since == 0 ? g_strdup ("/api/v1/changes?since=0&limit=3")
                          : g_strdup_printf ("/api/v1/changes?since=%" G_GINT64_FORMAT "&limit=3&horizon=%"
                                             G_GINT64_FORMAT, since, horizon);
        page = get_json (path);
        o = json_node_get_object (page);
        changes = json_object_get_array_member (o, "changes");
        if (since == 0)
          horizon = json_object_get_int_member (o, "horizon");
        g_assert_cmpint (horizon, ==, rev - 2);

        for (guint i = 0; i < json_array_get_length (changes); i++)
          {
            JsonObject *c = json_array_get_object_element (changes, i);

            g_assert_cmpint (json_object_get_int_member (c, "rev"), >, since);
            if (!json_object_get_boolean_member (c, "deleted"))
              g_hash_table_add (paged, g_strdup (json_object_get_string_member (c, "id")));
          }
        since = json_object_get_int_member (o, "last_rev");
        more = json_object_get_boolean_member (o, "more");
        pages++;
      }
    g_assert_cmpint (since, ==, rev);
    g_assert_cmpuint (pages, >, 1);
    for (guint k = 0; k < G_N_ELEMENTS (lists); k++)
      {
        JsonArray *list = json_object_get_array_member (snap, lists[k]);

        for (guint i = 0; i < json_array_get_length (list); i++)
          {
            const char *id = json_object_get_string_member (json_array_get_object_element (list, i), "id");

            if (!g_hash_table_contains (paged, id))
              g_error ("the feed from 0 lacks %s %s", lists[k], id);
            live++;
          }
      }
    g_assert_cmpuint (g_hash_table_size (paged), ==, live);
  }
  {
    g_autofree char *path = g_strdup_printf ("/api/v1/changes?since=%" G_GINT64_FORMAT, rev - 3);
    g_autoptr(CdTestReply) reply = cd_test_request (server, "GET", path, d1, NULL);

    g_assert_cmpuint (reply->status, ==, 410);
    g_assert_cmpstr (cd_test_reply_error_code (reply), ==, "gone");
  }
  /* From the horizon on, the feed answers. */
  {
    g_autofree char *path = g_strdup_printf ("/api/v1/changes?since=%" G_GINT64_FORMAT, rev - 2);
    g_autoptr(JsonNode) page = get_json (path);

    g_assert_cmpint (json_object_get_int_member (json_node_get_object (page), "last_rev"), ==, rev);
  }
  /* And the snapshot is the way back. */
  {
    g_autoptr(JsonNode) snapshot = get_json ("/api/v1/snapshot");

    g_assert_cmpint (json_object_get_int_member (json_node_get_object (snapshot), "rev"), ==, rev);
  }
}

int
main (int   argc,
      char *argv[])
{
  static const char * const skills[] = { "radiator", "welding", NULL };
  int ret;

  cd_test_init (&argc, &argv);
  cd_model_init ();

  server = cd_test_server_new (NULL);
  crew_a = cd_test_store_add_crew (server, "Heat 1", CD_UTILITY_HEAT, skills, 10, 39.905, 116.405);
  crew_b = cd_test_store_add_crew (server, "Heat 2", CD_UTILITY_HEAT, skills, 10, 39.915, 116.395);
  cd_test_server_launch (server);
  d1 = cd_test_add_and_login (server, "sync-d1", "dispatcher", NULL);
  d2 = cd_test_add_and_login (server, "sync-d2", "dispatcher", NULL);
  admin = cd_test_add_and_login (server, "sync-admin", "admin", NULL);

  g_test_add_func ("/server/sync/changes", test_changes);
  g_test_add_func ("/server/sync/snapshot", test_snapshot);
  g_test_add_func ("/server/sync/changes-no-stale-position", test_changes_crew_position);
  g_test_add_func ("/server/sync/position-same-second", test_position_same_second);
  g_test_add_func ("/server/sync/exactly-once", test_exactly_once);
  g_test_add_func ("/server/sync/exactly-once-concurrent", test_exactly_once_concurrent);
  g_test_add_func ("/server/sync/batch-partial", test_batch_partial);
  g_test_add_func ("/server/sync/concurrent-assign", test_concurrent_assign);
  g_test_add_func ("/server/sync/gone-after-purge", test_gone_after_purge);

  ret = g_test_run ();

  cd_test_server_free (server);
  g_free (d1);
  g_free (d2);
  g_free (admin);
  g_free (crew_a);
  g_free (crew_b);
  return ret;
}
