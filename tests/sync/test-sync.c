/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-sync.c: the sync engine against the real crewdesk-server: pulls,
 * offline edits that converge, two dispatchers racing for one ticket,
 * the server and the client dying during a flush, 410 and snapshots. */
#include "config.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>

#include "cd-sync-test.h"

typedef struct {
  CdTestServer *server;
  char         *dir;
  char         *crew_a;
  char         *crew_b;
  char         *admin;   /* token, for metrics */
} Fixture;

static void
fixture_set_up (Fixture       *fx,
                gconstpointer  data)
{
  static const char * const skills[] = { "radiator", "welding", NULL };
  g_autoptr(GError) error = NULL;
  const char *config = data != NULL ? data : "[dispatch]\nbatch-interval=0\n";

  fx->server = cd_test_server_new (config);
  fx->crew_a = cd_test_store_add_crew (fx->server, "Heat 1", CD_UTILITY_HEAT, skills, 50, 39.905, 116.405);
  fx->crew_b = cd_test_store_add_crew (fx->server, "Heat 2", CD_UTILITY_HEAT, skills, 50, 39.915, 116.395);
  cd_test_server_launch (fx->server);
  cd_test_server_add_user (fx->server, "d1", "dispatcher", NULL, "pw-d1-secret");
  cd_test_server_add_user (fx->server, "d2", "dispatcher", NULL, "pw-d2-secret");
  fx->admin = cd_test_add_and_login (fx->server, "admin", "admin", NULL);
  fx->dir = g_dir_make_tmp ("crewdesk-sync-XXXXXX", &error);
  g_assert_no_error (error);
}

static void
remove_dir (const char *dir)
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

static void
fixture_tear_down (Fixture       *fx,
                   gconstpointer  data)
{
  cd_test_server_free (fx->server);
  remove_dir (fx->dir);
  g_free (fx->dir);
  g_free (fx->crew_a);
  g_free (fx->crew_b);
  g_free (fx->admin);
}

static SyncClient *
open_client (Fixture    *fx,
             const char *username)
{
  g_autofree char *name = g_strconcat (username, ".db", NULL);
  g_autofree char *path = g_build_filename (fx->dir, name, NULL);

  return sync_client_open (fx->server, username, path);
}

/* The harness restarts the server on a new port. */
static void
restart_server (Fixture    *fx,
                SyncClient *c)
{
  cd_test_server_restart (fx->server);
  cd_sync_client_set_base_url (c->client, fx->server->base_url);
}

static gint64
server_rev (Fixture *fx)
{
  return cd_test_metric (fx->server, fx->admin, "crewdesk_revision");
}

/* The server's snapshot. */
static JsonObject *
snapshot (Fixture *fx)
{
  g_autoptr(CdTestReply) reply = cd_test_request (fx->server, "GET", "/api/v1/snapshot", fx->admin, NULL);

  g_assert_cmpuint (reply->status, ==, 200);
  return json_object_ref (cd_test_reply_object (reply));
}

static JsonObject *
find_in (JsonObject *snap,
         const char *member,
         const char *id)
{
  JsonArray *list = json_object_get_array_member (snap, member);

  for (guint i = 0; i < json_array_get_length (list); i++)
    {
      JsonObject *o = json_array_get_object_element (list, i);

      if (g_strcmp0 (json_object_get_string_member (o, "id"), id) == 0)
        return o;
    }

  return NULL;
}

static guint
count_events_for (JsonObject *snap,
                  const char *ticket)
{
  JsonArray *list = json_object_get_array_member (snap, "assignment_events");
  guint n = 0;

  for (guint i = 0; i < json_array_get_length (list); i++)
    if (g_strcmp0 (json_object_get_string_member (json_array_get_object_element (list, i), "ticket_id"),
                   ticket) == 0)
      n++;

  return n;
}

/* Every live row of the server equals the cache's server row, and the
 * cache holds nothing else. */
static void
assert_cache_equals_server (Fixture    *fx,
                            SyncClient *c)
{
  static const struct { const char *member; GType (*type) (void); } kinds[] = {
    { "tickets", cd_ticket_get_type },
    { "callbacks", cd_callback_get_type },
    { "assignment_events", cd_assignment_event_get_type },
    { "users", cd_user_get_type },
  };
  g_autoptr(JsonObject) snap = snapshot (fx);
  CdStore *store = cd_sync_cache_get_store (c->cache);

  cd_sync_cache_lock (c->cache);
  for (guint k = 0; k < G_N_ELEMENTS (kinds); k++)
    {
      JsonArray *list = json_object_get_array_member (snap, kinds[k].member);
      g_autoptr(GPtrArray) mine = cd_store_list_all (store, kinds[k].type (), NULL);

      g_assert_nonnull (mine);
      if (mine->len != json_array_get_length (list))
        g_error ("%s: the cache has %u, the server %u", kinds[k].member, mine->len,
                 json_array_get_length (list));
      for (guint i = 0; i < json_array_get_length (list); i++)
        {
          g_autoptr(GError) error = NULL;
          g_autoptr(CdRecord) theirs = cd_record_new_from_json (kinds[k].type (), json_array_get_element (list, i),
                                                                CD_DECODE_DEFAULT, &error);
          g_autoptr(CdRecord) ours = NULL;

          g_assert_no_error (error);
          ours = cd_store_load (store, kinds[k].type (), theirs->id, &error);
          g_assert_no_error (error);
          if (!cd_record_equal (ours, theirs))
            {
              g_autofree char *a = cd_record_to_json_string (ours, NULL);
              g_autofree char *b = cd_record_to_json_string (theirs, NULL);

              g_error ("%s %s differs:\n cache  %s\n server %s", kinds[k].member, theirs->id, a, b);
            }
        }
    }
  cd_sync_cache_unlock (c->cache);
}

static guint
count_tickets (JsonObject *snap)
{
  return json_array_get_length (json_object_get_array_member (snap, "tickets"));
}

/* ------------------------------------------------------------------------ */

/* First pull, in pages far smaller than the feed, across revisions that
 * hold two rows (a ticket and its assignment event): nothing is lost at
 * a page break, and the cache ends equal to the server. */
static void
test_pull_pages (Fixture       *fx,
                 gconstpointer  data)
{
  g_autoptr(SyncClient) c = open_client (fx, "d1");
  g_autoptr(GError) error = NULL;
  g_autofree char *token = cd_test_login (fx->server, "d2", "pw-d2-secret");
  g_autoptr(GPtrArray) open = NULL;
  guint n_rows = 0;

  for (guint i = 0; i < 7; i++)
    {
      g_autofree char *ticket = cd_test_create_ticket (fx->server, token, "heat", "no-heat",
                                                       "\"skills\":[\"radiator\"]");
      g_autofree char *args = g_strdup_printf ("{\"crew_id\":\"%s\",\"reason\":\"near\"}",
                                               i % 2 ? fx->crew_a : fx->crew_b);
      g_autofree char *m = cd_test_mutation (NULL, "ticket.assign", ticket, -1, args);
      g_autoptr(CdTestReply) reply = cd_test_send_mutation (fx->server, token, m);

      g_assert_cmpstr (cd_test_result_status (cd_test_result (reply, 0)), ==, "applied");
    }

  cd_sync_client_set_page_size (c->client, 2);
  { gboolean ok_ = sync_client_pull (c, &n_rows, &error); g_assert_no_error (error); g_assert_true (ok_); }
  g_assert_cmpuint (n_rows, >=, 7 * 2);
  g_assert_cmpint (cd_sync_cache_get_last_rev (c->cache, NULL), ==, server_rev (fx));
  assert_cache_equals_server (fx, c);

  open = cd_sync_cache_list_open_tickets (c->cache, CD_STORE_ANY, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (open->len, ==, 7);

  /* Nothing new: a pull fetches nothing and changes nothing. */
  g_assert_true (sync_client_pull (c, &n_rows, &error));
  g_assert_cmpuint (n_rows, ==, 0);
  g_assert_null (cd_sync_client_get_last_error (c->client));
}

/* Edits made while the server is down show at once, wait in the outbox,
 * survive a failed flush, and converge when it is back. */
static void
test_offline_converge (Fixture       *fx,
                       gconstpointer  data)
{
  g_autoptr(SyncClient) c = open_client (fx, "d1");
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) snap = NULL;
  g_autoptr(CdMutation) create = NULL;
  g_autoptr(CdMutation) assign_new = NULL;
  g_autoptr(CdMutation) assign_old = NULL;
  g_autoptr(CdMutation) status = NULL;
  g_autoptr(CdTicket) shown = NULL;
  g_autoptr(CdTicket) server_row = NULL;
  g_autofree char *token = cd_test_login (fx->server, "d2", "pw-d2-secret");
  g_autofree char *old_ticket = cd_test_create_ticket (fx->server, token, "heat", "no-heat",
                                                        "\"skills\":[\"radiator\"]");
  g_autofree char *new_ticket = NULL;
  CdSyncPushResult stats = { 0 };

  { gboolean ok_ = sync_client_pull (c, NULL, &error); g_assert_no_error (error); g_assert_true (ok_); }

  cd_test_server_kill (fx->server, SIGTERM);

  create = create_mutation (&new_ticket);
  submit_ok (c, create);
  assign_new = assign_mutation (new_ticket, fx->crew_a, TRUE);
  submit_ok (c, assign_new);
  assign_old = assign_mutation (old_ticket, fx->crew_b, TRUE);
  submit_ok (c, assign_old);
  status = make_mutation ("ticket.set_status", old_ticket, -1, "{\"status\":\"contacted\"}");
  submit_ok (c, status);
  g_assert_cmpint (cd_sync_cache_count_pending (c->cache, NULL), ==, 4);

  /* The model shows the edits; the server rows are as pulled. */
  shown = cd_sync_cache_load (c->cache, CD_TYPE_TICKET, old_ticket, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (shown->crew_id, ==, fx->crew_b);
  g_assert_cmpint (shown->status, ==, CD_TICKET_STATUS_CONTACTED);
  server_row = cd_sync_cache_load_server (c->cache, CD_TYPE_TICKET, old_ticket, &error);
  g_assert_null (server_row->crew_id);
  g_clear_object (&shown);
  shown = cd_sync_cache_load (c->cache, CD_TYPE_TICKET, new_ticket, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (shown->crew_id, ==, fx->crew_a);
  g_clear_object (&shown);

  /* A flush without a server fails and loses nothing. */
  g_assert_false (sync_client_push (c, &stats, &error));
  g_assert_error (error, CD_SYNC_ERROR, CD_SYNC_ERROR_NETWORK);
  g_assert_nonnull (cd_sync_client_get_last_error (c->client));
  g_clear_error (&error);
  g_assert_cmpint (cd_sync_cache_count_pending (c->cache, NULL), ==, 4);

  restart_server (fx, c);
  { gboolean ok_ = sync_client_push (c, &stats, &error); g_assert_no_error (error); g_assert_true (ok_); }
  g_assert_cmpuint (stats.applied, ==, 4);
  g_assert_cmpuint (stats.conflicts + stats.rejected, ==, 0);
  { gboolean ok_ = sync_client_pull (c, NULL, &error); g_assert_no_error (error); g_assert_true (ok_); }
  g_assert_cmpint (cd_sync_cache_count_pending (c->cache, NULL), ==, 0);

  snap = snapshot (fx);
  g_assert_cmpstr (json_object_get_string_member (find_in (snap, "tickets", new_ticket), "crew_id"), ==, fx->crew_a);
  g_assert_cmpstr (json_object_get_string_member (find_in (snap, "tickets", old_ticket), "crew_id"), ==, fx->crew_b);
  g_assert_cmpstr (json_object_get_string_member (find_in (snap, "tickets", old_ticket), "status"), ==, "contacted");
  g_assert_cmpuint (count_events_for (snap, old_ticket), ==, 1);
  g_assert_cmpuint (count_events_for (snap, new_ticket), ==, 1);
  assert_cache_equals_server (fx, c);

  /* The model now is the server's row. */
  shown = cd_sync_cache_load (c->cache, CD_TYPE_TICKET, old_ticket, &error);
  g_clear_object (&server_row);
  server_row = cd_sync_cache_load_server (c->cache, CD_TYPE_TICKET, old_ticket, &error);
  g_assert_true (cd_record_equal (CD_RECORD (shown), CD_RECORD (server_row)));
}

/* Two dispatchers give one ticket to different crews at the same moment:
 * one wins; the other's change is dropped from its model and kept as a
 * conflict naming the winner; the server holds one assignment event. */
static void
test_concurrent_assign (Fixture       *fx,
                        gconstpointer  data)
{
  g_autoptr(SyncClient) c1 = open_client (fx, "d1");
  g_autoptr(SyncClient) c2 = open_client (fx, "d2");
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) r1 = NULL;
  g_autoptr(GAsyncResult) r2 = NULL;
  g_autoptr(JsonObject) snap = NULL;
  g_autoptr(CdMutation) m1 = NULL;
  g_autoptr(CdMutation) m2 = NULL;
  g_autoptr(GPtrArray) conflicts = NULL;
  g_autoptr(CdTicket) shown = NULL;
  g_autofree char *token = cd_test_login (fx->server, "d1", "pw-d1-secret");
  g_autofree char *ticket = cd_test_create_ticket (fx->server, token, "heat", "no-heat",
                                                   "\"skills\":[\"radiator\"]");
  CdSyncPushResult s1 = { 0 }, s2 = { 0 };
  SyncClient *loser;
  const char *winner_crew, *loser_crew, *winner_name;
  CdStoreConflict *conflict;

  g_assert_true (sync_client_pull (c1, NULL, &error));
  { gboolean ok_ = sync_client_pull (c2, NULL, &error); g_assert_no_error (error); g_assert_true (ok_); }

  m1 = assign_mutation (ticket, fx->crew_a, TRUE);
  m2 = assign_mutation (ticket, fx->crew_b, TRUE);
  submit_ok (c1, m1);
  submit_ok (c2, m2);

  /* Both in flight at once. */
  cd_sync_client_push_async (c1->client, c1->cache, store_result_cb, &r1);
  cd_sync_client_push_async (c2->client, c2->cache, store_result_cb, &r2);
  wait_result (&r1);
  wait_result (&r2);
  g_assert_true (cd_sync_client_push_finish (c1->client, r1, &s1, &error));
  g_assert_true (cd_sync_client_push_finish (c2->client, r2, &s2, &error));
  g_assert_no_error (error);

  g_assert_cmpuint (s1.applied + s2.applied, ==, 1);
  g_assert_cmpuint (s1.conflicts + s2.conflicts, ==, 1);
  loser = s1.conflicts == 1 ? c1 : c2;
  winner_crew = s1.applied == 1 ? fx->crew_a : fx->crew_b;
  loser_crew = s1.applied == 1 ? fx->crew_b : fx->crew_a;
  winner_name = s1.applied == 1 ? "d1" : "d2";

  g_assert_true (sync_client_pull (c1, NULL, &error));
  { gboolean ok_ = sync_client_pull (c2, NULL, &error); g_assert_no_error (error); g_assert_true (ok_); }

  snap = snapshot (fx);
  g_assert_cmpuint (count_events_for (snap, ticket), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (find_in (snap, "tickets", ticket), "crew_id"), ==, winner_crew);

  /* The loser's optimistic change is gone from its model... */
  shown = cd_sync_cache_load (loser->cache, CD_TYPE_TICKET, ticket, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (shown->crew_id, ==, winner_crew);
  g_assert_cmpint (cd_sync_cache_count_pending (loser->cache, NULL), ==, 0);

  /* ...and kept as a conflict: what it did, what the server has, who. */
  conflicts = cd_sync_cache_list_conflicts (loser->cache, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (conflicts->len, ==, 1);
  conflict = g_ptr_array_index (conflicts, 0);
  g_assert_cmpstr (conflict->code, ==, "conflict");
  g_assert_cmpstr (conflict->kind, ==, "ticket");
  g_assert_cmpstr (conflict->target, ==, ticket);
  g_assert_nonnull (conflict->mine);
  g_assert_nonnull (strstr (conflict->mine, loser_crew));
  g_assert_nonnull (conflict->current);
  g_assert_nonnull (strstr (conflict->current, winner_crew));
  g_assert_cmpstr (conflict->changed_by, ==, winner_name);
  g_assert_true (strlen (conflict->message) > 0);

  /* Retrying against the new state reassigns it, knowingly. */
  {
    g_autoptr(GPtrArray) records = cd_sync_cache_retry_conflict (loser->cache, conflict->id, &error);
    CdSyncPushResult s3 = { 0 };
    g_autoptr(GPtrArray) left = NULL;
    g_autoptr(JsonObject) after = NULL;

    g_assert_no_error (error);
    g_assert_cmpstr (CD_TICKET (g_ptr_array_index (records, 0))->crew_id, ==, loser_crew);
    g_assert_true (sync_client_push (loser, &s3, &error));
    g_assert_no_error (error);
    g_assert_cmpuint (s3.applied, ==, 1);
    left = cd_sync_cache_list_conflicts (loser->cache, &error);
    g_assert_cmpuint (left->len, ==, 0);
    after = snapshot (fx);
    g_assert_cmpuint (count_events_for (after, ticket), ==, 2);
    g_assert_cmpstr (json_object_get_string_member (find_in (after, "tickets", ticket), "crew_id"), ==, loser_crew);
  }
}

typedef struct {
  Fixture    *fx;
  SyncClient *c;
  gint64      start_pending;
  gint64      start_rev;
} FlushWatch;

static gboolean
some_acknowledged (gpointer data)
{
  FlushWatch *w = data;

  return cd_sync_cache_count_pending (w->c->cache, NULL) < w->start_pending;
}

static gboolean
server_applied_some (gpointer data)
{
  FlushWatch *w = data;

  return server_rev (w->fx) > w->start_rev;
}

static void
queue_creates (SyncClient *c,
               guint       n,
               GPtrArray  *ids)
{
  for (guint i = 0; i < n; i++)
    {
      char *id = NULL;
      g_autoptr(CdMutation) m = create_mutation (&id);

      submit_ok (c, m);
      g_ptr_array_add (ids, id);
    }
}

/* Each ticket.create conflicts if applied twice (the target exists), so
 * "all applied, none refused, each ticket once" means exactly once. */
static void
assert_created_once (Fixture    *fx,
                     SyncClient *c,
                     GPtrArray  *ids,
                     guint       applied_total)
{
  g_autoptr(JsonObject) snap = snapshot (fx);
  g_autoptr(GPtrArray) conflicts = cd_sync_cache_list_conflicts (c->cache, NULL);
  g_autoptr(GPtrArray) waiting = NULL;

  g_assert_cmpuint (conflicts->len, ==, 0);
  g_assert_cmpint (cd_sync_cache_count_pending (c->cache, NULL), ==, 0);
  g_assert_cmpuint (count_tickets (snap), ==, ids->len);
  for (guint i = 0; i < ids->len; i++)
    g_assert_nonnull (find_in (snap, "tickets", g_ptr_array_index (ids, i)));
  g_assert_cmpuint (applied_total, ==, ids->len);
  cd_sync_cache_lock (c->cache);
  waiting = cd_store_outbox_list_waiting (cd_sync_cache_get_store (c->cache), 0, 0, NULL);
  cd_sync_cache_unlock (c->cache);
  g_assert_cmpuint (waiting->len, ==, 0);
}

/* SIGKILL of the server in the middle of a flush: after its restart the
 * flush resumes with the same ids; nothing is lost or applied twice. */
static void
test_server_killed_during_flush (Fixture       *fx,
                                 gconstpointer  data)
{
  g_autoptr(SyncClient) c = open_client (fx, "d1");
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  CdSyncPushResult first = { 0 }, second = { 0 };
  FlushWatch watch = { fx, c, 0, 0 };

  queue_creates (c, 200, ids);
  watch.start_pending = 200;
  cd_sync_client_set_batch_size (c->client, 10);

  cd_sync_client_push_async (c->client, c->cache, store_result_cb, &result);
  g_assert_true (wait_for (some_acknowledged, &watch, 60));
  cd_test_server_kill (fx->server, SIGKILL);
  wait_result (&result);
  g_assert_false (cd_sync_client_push_finish (c->client, result, &first, &error));
  g_assert_error (error, CD_SYNC_ERROR, CD_SYNC_ERROR_NETWORK);
  g_clear_error (&error);
  g_assert_cmpuint (first.applied, >, 0);
  g_assert_cmpuint (first.applied, <, 200);

  restart_server (fx, c);
  { gboolean ok_ = sync_client_push (c, &second, &error); g_assert_no_error (error); g_assert_true (ok_); }
  { gboolean ok_ = sync_client_pull (c, NULL, &error); g_assert_no_error (error); g_assert_true (ok_); }

  assert_created_once (fx, c, ids, first.applied + second.applied);
  assert_cache_equals_server (fx, c);
}

/* The client vanishes while the server applies a batch it sent (so some
 * entries are marked sent but their results never reach the cache): a
 * new client on the same cache file sends them again under the same ids
 * and the server replays; nothing is lost or applied twice. */
static void
test_client_killed_during_flush (Fixture       *fx,
                                 gconstpointer  data)
{
  g_autoptr(SyncClient) c = open_client (fx, "d1");
  g_autoptr(SyncClient) again = NULL;
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_strdup (c->path);
  g_autoptr(GPtrArray) sent = NULL;
  CdSyncPushResult stats = { 0 };
  FlushWatch watch = { fx, c, 0, 0 };
  guint n_sent = 0;

  queue_creates (c, 120, ids);
  cd_sync_client_set_batch_size (c->client, 40);
  watch.start_rev = server_rev (fx);

  /* Send, and drop everything as soon as the server has applied some. */
  cd_sync_client_push_async (c->client, c->cache, NULL, NULL);
  g_assert_true (wait_for (server_applied_some, &watch, 60));
  g_clear_pointer (&c, sync_client_free);

  /* Let a reply already read finish its transaction, or not. */
  for (guint i = 0; i < 50; i++)
    g_main_context_iteration (NULL, FALSE);
  g_usleep (200 * 1000);

  again = sync_client_open (fx->server, "d1", path);
  cd_sync_cache_lock (again->cache);
  sent = cd_store_outbox_list_waiting (cd_sync_cache_get_store (again->cache), 0, 0, NULL);
  cd_sync_cache_unlock (again->cache);
  for (guint i = 0; i < sent->len; i++)
    if (((CdOutboxEntry *) g_ptr_array_index (sent, i))->state == CD_OUTBOX_SENT)
      n_sent++;
  g_test_message ("after the client died: %u waiting, %u of them sent", sent->len, n_sent);
  g_assert_cmpuint (sent->len, >, 0);

  { gboolean ok_ = sync_client_push (again, &stats, &error); g_assert_no_error (error); g_assert_true (ok_); }
  { gboolean ok_ = sync_client_pull (again, NULL, &error); g_assert_no_error (error); g_assert_true (ok_); }

  /* Those whose results the dead client recorded are done already. */
  assert_created_once (fx, again, ids, stats.applied + (120 - sent->len));
  assert_cache_equals_server (fx, again);
}

static char *
stray_ticket_json (const char *id)
{
  return g_strdup_printf ("{\"id\":\"%s\",\"version\":1,\"rev\":1,\"number\":\"HT-STRAY\",\"channel\":\"hotline\","
                          "\"category\":\"no-heat\",\"urgency\":\"urgent\",\"utility\":\"heat\",\"status\":\"new\","
                          "\"customer\":{\"name\":\"X\"},\"address\":\"1 A Road\",\"lat\":39.9,\"lon\":116.4,"
                          "\"created_at\":\"2026-01-01T00:00:00Z\"}", id);
}

/* A revision older than the server keeps answers 410: the client reads
 * the whole feed again from revision 0, in pages, and drops the rows the
 * server no longer has at the end; its outbox stays. A client starting
 * afresh pages through the same feed below the horizon. */
static void
test_gone_resync (Fixture       *fx,
                  gconstpointer  data)
{
  g_autoptr(SyncClient) c = open_client (fx, "d1");
  g_autoptr(GError) error = NULL;
  g_autoptr(CdStore) server_store = NULL;
  g_autoptr(CdMutation) pending = NULL;
  g_autoptr(CdTicket) shown = NULL;
  g_autofree char *token = cd_test_login (fx->server, "d2", "pw-d2-secret");
  g_autofree char *t1 = cd_test_create_ticket (fx->server, token, "heat", "no-heat", "\"skills\":[\"radiator\"]");
  g_autofree char *t2 = NULL;
  g_autofree char *stray = g_uuid_string_random ();
  g_autofree char *stray_json = NULL;
  gint64 rev;

  { gboolean ok_ = sync_client_pull (c, NULL, &error); g_assert_no_error (error); g_assert_true (ok_); }

  /* A row the server no longer has (its tombstone purged). */
  stray_json = stray_ticket_json (stray);
  cd_sync_cache_lock (c->cache);
  g_assert_true (cd_store_save_json (cd_sync_cache_get_store (c->cache), "ticket", stray_json, -1, &error));
  cd_sync_cache_unlock (c->cache);
  g_assert_no_error (error);

  t2 = cd_test_create_ticket (fx->server, token, "heat", "no-heat", "\"skills\":[\"radiator\"]");
  pending = assign_mutation (t1, fx->crew_a, TRUE);
  submit_ok (c, pending);

  cd_test_server_kill (fx->server, SIGTERM);
  server_store = cd_store_open (fx->server->db_path, &error);
  g_assert_no_error (error);
  rev = cd_store_get_last_rev (server_store, &error);
  g_assert_true (cd_store_purge (server_store, rev, 0, &error));
  g_assert_no_error (error);
  g_clear_object (&server_store);
  restart_server (fx, c);

  /* Small pages: the pass goes on below the server's horizon. */
  cd_sync_client_set_page_size (c->client, 2);
  { gboolean ok_ = sync_client_pull (c, NULL, &error); g_assert_no_error (error); g_assert_true (ok_); }
  g_assert_cmpint (cd_sync_cache_get_last_rev (c->cache, NULL), ==, rev);
  g_assert_false (_cd_sync_cache_is_resyncing (c->cache));
  assert_cache_equals_server (fx, c);
  g_assert_null (cd_sync_cache_load_server (c->cache, CD_TYPE_TICKET, stray, NULL));

  /* A first start on that server: no 410, the same rows. */
  {
    g_autoptr(SyncClient) fresh = open_client (fx, "d2");

    cd_sync_client_set_page_size (fresh->client, 2);
    { gboolean ok_ = sync_client_pull (fresh, NULL, &error); g_assert_no_error (error); g_assert_true (ok_); }
    g_assert_cmpint (cd_sync_cache_get_last_rev (fresh->cache, NULL), ==, rev);
    g_assert_false (_cd_sync_cache_is_resyncing (fresh->cache));
    assert_cache_equals_server (fx, fresh);
  }

  /* The outbox survived the replacement, and its effect still shows. */
  g_assert_cmpint (cd_sync_cache_count_pending (c->cache, NULL), ==, 1);
  shown = cd_sync_cache_load (c->cache, CD_TYPE_TICKET, t1, &error);
  g_assert_cmpstr (shown->crew_id, ==, fx->crew_a);
}

/* A resync cut short goes on after a restart: the marks are in the file,
 * and the pass that reaches the end of the feed drops what it did not
 * bring. */
static void
test_resync_resumes (Fixture       *fx,
                     gconstpointer  data)
{
  g_autoptr(SyncClient) c = open_client (fx, "d1");
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) none = g_ptr_array_new ();
  g_autofree char *token = cd_test_login (fx->server, "d2", "pw-d2-secret");
  g_autofree char *t1 = cd_test_create_ticket (fx->server, token, "heat", "no-heat", "\"skills\":[\"radiator\"]");
  g_autofree char *stray = g_uuid_string_random ();
  g_autofree char *stray_json = stray_ticket_json (stray);
  g_autofree char *path = g_strdup (c->path);
  g_autoptr(CdTicket) kept = NULL;

  { gboolean ok_ = sync_client_pull (c, NULL, &error); g_assert_no_error (error); g_assert_true (ok_); }
  cd_sync_cache_lock (c->cache);
  g_assert_true (cd_store_save_json (cd_sync_cache_get_store (c->cache), "ticket", stray_json, -1, &error));
  cd_sync_cache_unlock (c->cache);
  g_assert_no_error (error);

  /* The first page of a pass, then the client dies. */
  g_assert_true (_cd_sync_cache_apply_rows (c->cache, none, 1, TRUE, FALSE, &error));
  g_assert_no_error (error);
  g_assert_true (_cd_sync_cache_is_resyncing (c->cache));
  g_clear_pointer (&c, sync_client_free);

  c = sync_client_open (fx->server, "d1", path);
  g_assert_true (_cd_sync_cache_is_resyncing (c->cache));
  /* Meanwhile everything is still there to see. */
  kept = cd_sync_cache_load_server (c->cache, CD_TYPE_TICKET, stray, &error);
  g_assert_no_error (error);
  g_assert_nonnull (kept);
  g_assert_cmpint (cd_sync_cache_get_last_rev (c->cache, NULL), ==, 1);

  cd_sync_client_set_page_size (c->client, 2);
  { gboolean ok_ = sync_client_pull (c, NULL, &error); g_assert_no_error (error); g_assert_true (ok_); }
  g_assert_false (_cd_sync_cache_is_resyncing (c->cache));
  g_assert_null (cd_sync_cache_load_server (c->cache, CD_TYPE_TICKET, stray, NULL));
  g_clear_object (&kept);
  kept = cd_sync_cache_load_server (c->cache, CD_TYPE_TICKET, t1, &error);
  g_assert_no_error (error);
  g_assert_nonnull (kept);
  assert_cache_equals_server (fx, c);
}

static gboolean
logout_sync (CdSyncClient  *client,
             GError       **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  cd_sync_client_logout_async (client, store_result_cb, &result);
  wait_result (&result);
  return cd_sync_client_logout_finish (client, result, error);
}

/* Signing out ends the session on the server: the token is refused from
 * then on, and the client forgets it. Twice is fine; a server that cannot
 * be reached is an error (the token stays valid until it expires). */
static void
test_logout (Fixture       *fx,
             gconstpointer  data)
{
  g_autoptr(SyncClient) c = open_client (fx, "d1");
  g_autoptr(GError) error = NULL;
  g_autofree char *token = g_strdup (cd_sync_client_get_token (c->client));
  g_autoptr(CdTestReply) before = NULL;
  g_autoptr(CdTestReply) after = NULL;

  g_assert_nonnull (token);
  before = cd_test_request (fx->server, "GET", "/api/v1/me", token, NULL);
  g_assert_cmpuint (before->status, ==, 200);

  g_assert_true (logout_sync (c->client, &error));
  g_assert_no_error (error);
  g_assert_null (cd_sync_client_get_token (c->client));
  after = cd_test_request (fx->server, "GET", "/api/v1/me", token, NULL);
  g_assert_cmpuint (after->status, ==, 401);

  /* Without a token, and with one the server ended already. */
  g_assert_true (logout_sync (c->client, &error));
  g_assert_no_error (error);
  cd_sync_client_set_token (c->client, token);
  g_assert_true (logout_sync (c->client, &error));
  g_assert_no_error (error);

  /* Nobody answers. */
  {
    g_autoptr(CdSyncClient) lost = cd_sync_client_new ("http://127.0.0.1:1");

    cd_sync_client_set_token (lost, token);
    g_assert_false (logout_sync (lost, &error));
    g_assert_error (error, CD_SYNC_ERROR, CD_SYNC_ERROR_NETWORK);
  }
}

/* A change the server would refuse is refused at once and never queued. */
static void
test_local_refusal (Fixture       *fx,
                    gconstpointer  data)
{
  g_autoptr(SyncClient) c = open_client (fx, "d1");
  g_autoptr(GError) error = NULL;
  g_autoptr(CdMutation) bad = NULL;
  g_autoptr(GPtrArray) records = NULL;
  g_autofree char *token = cd_test_login (fx->server, "d2", "pw-d2-secret");
  g_autofree char *ticket = cd_test_create_ticket (fx->server, token, "heat", "no-heat", "\"skills\":[\"radiator\"]");

  { gboolean ok_ = sync_client_pull (c, NULL, &error); g_assert_no_error (error); g_assert_true (ok_); }

  /* closed is reachable only from resolved. */
  bad = make_mutation ("ticket.set_status", ticket, -1, "{\"status\":\"closed\"}");
  records = cd_sync_cache_submit (c->cache, bad, &error);
  g_assert_null (records);
  g_assert_error (error, CD_MUTATION_ERROR, CD_MUTATION_ERROR_INVALID_TRANSITION);
  g_assert_cmpint (cd_sync_cache_count_pending (c->cache, NULL), ==, 0);
}

/* The records with unsent changes: targets of pending and sent entries,
 * not of answered ones (done or refused). */
static void
test_pending_targets (Fixture       *fx,
                      gconstpointer  data)
{
  g_autoptr(SyncClient) c = open_client (fx, "d1");
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) targets = NULL;
  g_autoptr(GPtrArray) sent = NULL;
  g_autoptr(CdMutation) create = NULL;
  g_autoptr(CdMutation) assign = NULL;
  g_autoptr(CdMutation) status = NULL;
  g_autoptr(CdTestReply) reply = NULL;
  g_autofree char *token = cd_test_login (fx->server, "d2", "pw-d2-secret");
  g_autofree char *old_ticket = cd_test_create_ticket (fx->server, token, "heat", "no-heat",
                                                        "\"skills\":[\"radiator\"]");
  g_autofree char *other = cd_test_create_ticket (fx->server, token, "heat", "no-heat",
                                                   "\"skills\":[\"radiator\"]");
  g_autofree char *new_ticket = NULL;
  g_autofree char *args = NULL;
  g_autofree char *m = NULL;
  CdSyncPushResult stats = { 0 };

  { gboolean ok_ = sync_client_pull (c, NULL, &error); g_assert_no_error (error); g_assert_true (ok_); }

  targets = cd_sync_cache_dup_pending_targets (c->cache, &error);
  g_assert_no_error (error);
  g_assert_nonnull (targets);
  g_assert_cmpuint (g_hash_table_size (targets), ==, 0);
  g_clear_pointer (&targets, g_hash_table_unref);

  create = create_mutation (&new_ticket);
  submit_ok (c, create);
  assign = assign_mutation (old_ticket, fx->crew_a, TRUE);
  submit_ok (c, assign);
  status = make_mutation ("ticket.set_status", old_ticket, -1, "{\"status\":\"contacted\"}");
  submit_ok (c, status);

  /* Two records, whatever the number of changes to each. */
  targets = cd_sync_cache_dup_pending_targets (c->cache, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_hash_table_size (targets), ==, 2);
  g_assert_true (g_hash_table_contains (targets, new_ticket));
  g_assert_true (g_hash_table_contains (targets, old_ticket));
  g_assert_false (g_hash_table_contains (targets, other));
  g_clear_pointer (&targets, g_hash_table_unref);

  /* Sent but unanswered still waits. */
  sent = _cd_sync_cache_begin_push (c->cache, 0, 1, 1 << 20, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (sent->len, ==, 1);
  {
    g_autoptr(CdOutboxEntry) entry = NULL;

    cd_sync_cache_lock (c->cache);
    entry = cd_store_outbox_get (cd_sync_cache_get_store (c->cache),
                                 ((CdOutboxEntry *) g_ptr_array_index (sent, 0))->id, &error);
    cd_sync_cache_unlock (c->cache);
    g_assert_no_error (error);
    g_assert_cmpint (entry->state, ==, CD_OUTBOX_SENT);
  }
  targets = cd_sync_cache_dup_pending_targets (c->cache, &error);
  g_assert_cmpuint (g_hash_table_size (targets), ==, 2);
  g_assert_true (g_hash_table_contains (targets, new_ticket));
  g_clear_pointer (&targets, g_hash_table_unref);

  /* d2 takes the old ticket first: d1's assignment comes back a conflict
   * (and the status change after it with it); neither waits any more. */
  args = g_strdup_printf ("{\"crew_id\":\"%s\",\"reason\":\"first\"}", fx->crew_b);
  m = cd_test_mutation (NULL, "ticket.assign", old_ticket, -1, args);
  reply = cd_test_send_mutation (fx->server, token, m);
  g_assert_cmpstr (cd_test_result_status (cd_test_result (reply, 0)), ==, "applied");

  { gboolean ok_ = sync_client_push (c, &stats, &error); g_assert_no_error (error); g_assert_true (ok_); }
  g_assert_cmpuint (stats.applied, >=, 1);
  g_assert_cmpuint (stats.conflicts + stats.rejected, >=, 1);
  g_assert_cmpint (cd_sync_cache_count_pending (c->cache, NULL), ==, 0);
  targets = cd_sync_cache_dup_pending_targets (c->cache, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_hash_table_size (targets), ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  cd_test_init (&argc, &argv);
  cd_model_init ();

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

  ADD ("/sync/pull-pages", test_pull_pages);
  ADD ("/sync/offline-converge", test_offline_converge);
  ADD ("/sync/concurrent-assign", test_concurrent_assign);
  ADD ("/sync/server-killed-during-flush", test_server_killed_during_flush);
  ADD ("/sync/client-killed-during-flush", test_client_killed_during_flush);
  ADD ("/sync/gone-resync", test_gone_resync);
  ADD ("/sync/resync-resumes", test_resync_resumes);
  ADD ("/sync/logout", test_logout);
  ADD ("/sync/local-refusal", test_local_refusal);
  ADD ("/sync/pending-targets", test_pending_targets);

  return g_test_run ();
}
