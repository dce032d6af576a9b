/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-sync-engine.c: the sync engine (cycles, backoff, the event stream,
 * the heartbeat deadline, the status) against the real crewdesk-server,
 * nothing called by hand but cd_sync_engine_start() and submits. */
#include "config.h"

#include <math.h>

#include <signal.h>
#include <string.h>

#include "cd-sync-test.h"
#include "cd-test-proxy.h"

typedef struct {
  CdTestServer *server;
  CdTestProxy  *proxy;    /* between the client and the server */
  char         *dir;
  char         *crew_a;
  char         *crew_b;
  char         *admin;    /* token */
  char         *d2;       /* token of another dispatcher */
} Fixture;

/* What the engine told, in order. */
typedef struct {
  CdSyncEngine *engine;
  GArray       *statuses;  /* CdSyncStatus, each notify */
  GArray       *retries;   /* guint ms, each retry scheduled */
  guint         changed;
  guint         login_needed;
  guint         moved;
  char         *moved_crew;
  double        moved_lat;
  double        moved_lon;
} Watch;

/* Server configurations ------------------------------------------------- */

#define CONFIG_FAST_HEARTBEAT "heartbeat=1\n[dispatch]\nbatch-interval=0\n"
/* Sessions that end soon after a login. */
#define CONFIG_SHORT_SESSION  "token-lifetime=6\nheartbeat=1\n[dispatch]\nbatch-interval=0\n"

static void
fixture_set_up (Fixture       *fx,
                gconstpointer  data)
{
  static const char * const skills[] = { "radiator", "welding", NULL };
  g_autoptr(GError) error = NULL;

  fx->server = cd_test_server_new (data != NULL ? data : CONFIG_FAST_HEARTBEAT);
  fx->crew_a = cd_test_store_add_crew (fx->server, "Heat 1", CD_UTILITY_HEAT, skills, 50, 39.905, 116.405);
  fx->crew_b = cd_test_store_add_crew (fx->server, "Heat 2", CD_UTILITY_HEAT, skills, 50, 39.915, 116.395);
  cd_test_server_launch (fx->server);
  cd_test_server_add_user (fx->server, "d1", "dispatcher", NULL, "pw-d1-secret");
  fx->d2 = cd_test_add_and_login (fx->server, "d2", "dispatcher", NULL);
  fx->admin = cd_test_add_and_login (fx->server, "admin", "admin", NULL);
  fx->proxy = cd_test_proxy_new (fx->server->port);
  fx->dir = g_dir_make_tmp ("crewdesk-sync-engine-XXXXXX", &error);
  g_assert_no_error (error);
}

static void
fixture_tear_down (Fixture       *fx,
                   gconstpointer  data)
{
  cd_test_proxy_free (fx->proxy);
  cd_test_server_free (fx->server);
  sync_test_remove_dir (fx->dir);
  g_free (fx->dir);
  g_free (fx->crew_a);
  g_free (fx->crew_b);
  g_free (fx->admin);
  g_free (fx->d2);
}

/* A client signed in as d1, through the proxy when @proxied. */
static SyncClient *
open_client (Fixture  *fx,
             gboolean  proxied)
{
  g_autofree char *path = g_build_filename (fx->dir, "d1.db", NULL);
  SyncClient *c = sync_client_open (fx->server, "d1", path);

  if (proxied)
    cd_sync_client_set_base_url (c->client, cd_test_proxy_get_url (fx->proxy));
  return c;
}

static void
restart_server (Fixture    *fx,
                SyncClient *c)
{
  cd_test_server_restart (fx->server);
  cd_test_proxy_set_target (fx->proxy, fx->server->port);
  if (c != NULL && strcmp (cd_sync_client_get_base_url (c->client), cd_test_proxy_get_url (fx->proxy)) != 0)
    cd_sync_client_set_base_url (c->client, fx->server->base_url);
}

/* The watch ------------------------------------------------------------- */

static void
status_notified_cb (GObject    *object,
                    GParamSpec *pspec,
                    gpointer    user_data)
{
  Watch *w = user_data;
  CdSyncStatus status = cd_sync_engine_get_status (w->engine);

  g_array_append_val (w->statuses, status);
}

static void
retry_notified_cb (GObject    *object,
                   GParamSpec *pspec,
                   gpointer    user_data)
{
  Watch *w = user_data;
  guint ms = cd_sync_engine_get_next_retry_ms (w->engine);

  if (ms > 0)
    g_array_append_val (w->retries, ms);
}

static void
changed_cb (CdSyncEngine *engine,
            gpointer      user_data)
{
  ((Watch *) user_data)->changed++;
}

static void
login_needed_cb (CdSyncEngine *engine,
                 gpointer      user_data)
{
  ((Watch *) user_data)->login_needed++;
}

static void
crew_moved_cb (CdSyncEngine *engine,
               const char   *crew_id,
               double        lat,
               double        lon,
               double        heading,
               double        speed_kmh,
               gint64        at,
               gpointer      user_data)
{
  Watch *w = user_data;

  w->moved++;
  g_free (w->moved_crew);
  w->moved_crew = g_strdup (crew_id);
  w->moved_lat = lat;
  w->moved_lon = lon;
}

static Watch *
watch_new (SyncClient *c)
{
  Watch *w = g_new0 (Watch, 1);

  w->engine = cd_sync_engine_new (c->client, c->cache);
  w->statuses = g_array_new (FALSE, FALSE, sizeof (CdSyncStatus));
  w->retries = g_array_new (FALSE, FALSE, sizeof (guint));
  g_signal_connect (w->engine, "notify::status", G_CALLBACK (status_notified_cb), w);
  g_signal_connect (w->engine, "notify::next-retry-ms", G_CALLBACK (retry_notified_cb), w);
  g_signal_connect (w->engine, "changed", G_CALLBACK (changed_cb), w);
  g_signal_connect (w->engine, "login-needed", G_CALLBACK (login_needed_cb), w);
  g_signal_connect (w->engine, "crew-moved", G_CALLBACK (crew_moved_cb), w);
  /* Quick retries, so the tests do not wait for minutes. */
  cd_sync_engine_set_backoff (w->engine, 50, 400);
  cd_sync_engine_set_heartbeat_interval (w->engine, 1);

  return w;
}

static void
watch_free (Watch *w)
{
  cd_sync_engine_stop (w->engine);
  g_signal_handlers_disconnect_by_data (w->engine, w);
  g_object_unref (w->engine);
  g_array_unref (w->statuses);
  g_array_unref (w->retries);
  g_free (w->moved_crew);
  g_free (w);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Watch, watch_free)

static gboolean
is_online (gpointer data)
{
  return cd_sync_engine_get_status (((Watch *) data)->engine) == CD_SYNC_STATUS_ONLINE;
}

static gboolean
is_offline (gpointer data)
{
  return cd_sync_engine_get_status (((Watch *) data)->engine) == CD_SYNC_STATUS_OFFLINE;
}

/* A cycle just failed and the next is scheduled. */
static gboolean
offline_and_waiting (gpointer data)
{
  Watch *w = data;

  return cd_sync_engine_get_status (w->engine) == CD_SYNC_STATUS_OFFLINE &&
         cd_sync_engine_get_next_retry_ms (w->engine) > 0;
}

typedef struct {
  CdTestProxy *proxy;
  guint64      bytes;
} Traffic;

static gboolean
bytes_came (gpointer data)
{
  Traffic *t = data;

  return cd_test_proxy_get_bytes (t->proxy, CD_TEST_PROXY_DOWN) > t->bytes;
}

static gboolean
nothing_pending (gpointer data)
{
  Watch *w = data;

  return cd_sync_engine_get_pending (w->engine) == 0 &&
         cd_sync_cache_count_pending (cd_sync_engine_get_cache (w->engine), NULL) == 0;
}

static gboolean
login_was_needed (gpointer data)
{
  return ((Watch *) data)->login_needed > 0;
}

/* Online, pending nothing, the event stream open (its first heartbeat
 * read). */
static void
wait_online (Watch *w)
{
  g_assert_true (wait_for (is_online, w, 60));
  g_assert_true (wait_for (nothing_pending, w, 60));
}

static CdMutation *
assign_to (const char *ticket,
           const char *crew)
{
  return assign_mutation (ticket, crew, TRUE);
}

/* Tests ----------------------------------------------------------------- */

/* offline → connecting → online; then the server dies: offline since a
 * time, with the changes made since waiting; it comes back: online. */
static void
test_status (Fixture       *fx,
             gconstpointer  data)
{
  g_autoptr(SyncClient) c = open_client (fx, FALSE);
  g_autoptr(Watch) w = watch_new (c);
  g_autoptr(GError) error = NULL;
  g_autoptr(CdMutation) m = NULL;
  g_autoptr(GPtrArray) records = NULL;
  g_autoptr(JsonObject) snap = NULL;
  g_autofree char *text = NULL;
  g_autofree char *ticket = cd_test_create_ticket (fx->server, fx->d2, "heat", "no-heat",
                                                   "\"skills\":[\"radiator\"]");
  gint64 killed_at;

  g_assert_cmpint (cd_sync_engine_get_status (w->engine), ==, CD_SYNC_STATUS_OFFLINE);
  g_assert_cmpint (cd_sync_engine_get_offline_since (w->engine), ==, 0);
  text = cd_sync_engine_dup_status_text (w->engine);
  g_assert_cmpstr (text, ==, "Offline");
  g_clear_pointer (&text, g_free);

  cd_sync_engine_start (w->engine);
  wait_online (w);
  g_assert_cmpuint (w->statuses->len, ==, 2);
  g_assert_cmpint (g_array_index (w->statuses, CdSyncStatus, 0), ==, CD_SYNC_STATUS_CONNECTING);
  g_assert_cmpint (g_array_index (w->statuses, CdSyncStatus, 1), ==, CD_SYNC_STATUS_ONLINE);
  g_assert_cmpint (cd_sync_engine_get_offline_since (w->engine), ==, 0);
  g_assert_cmpuint (cd_sync_engine_get_pending (w->engine), ==, 0);
  g_assert_null (cd_sync_engine_get_last_error (w->engine));
  text = cd_sync_engine_dup_status_text (w->engine);
  g_assert_cmpstr (text, ==, "Online");
  g_clear_pointer (&text, g_free);
  /* The first cycle pulled the ticket made before. */
  g_assert_cmpuint (w->changed, >, 0);
  {
    g_autoptr(CdTicket) t = cd_sync_cache_load_server (c->cache, CD_TYPE_TICKET, ticket, &error);

    g_assert_no_error (error);
    g_assert_nonnull (t);
  }

  /* The server dies: the broken event stream says so. */
  killed_at = g_get_real_time () / G_USEC_PER_SEC;
  cd_test_server_kill (fx->server, SIGKILL);
  g_assert_true (wait_for (is_offline, w, 60));
  g_assert_nonnull (cd_sync_engine_get_last_error (w->engine));
  /* Server clock, and both clocks are this machine's. */
  g_assert_cmpint (cd_sync_engine_get_offline_since (w->engine), >=, killed_at - 5);
  g_assert_cmpint (cd_sync_engine_get_offline_since (w->engine), <=, g_get_real_time () / G_USEC_PER_SEC + 5);

  /* A change made now waits, and shows. */
  m = assign_to (ticket, fx->crew_a);
  records = cd_sync_engine_submit (w->engine, m, &error);
  g_assert_no_error (error);
  g_assert_nonnull (records);
  g_assert_cmpuint (cd_sync_engine_get_pending (w->engine), ==, 1);
  /* The cycle it starts fails too: still offline, still waiting. */
  g_assert_true (wait_for (offline_and_waiting, w, 60));
  g_assert_cmpuint (cd_sync_engine_get_pending (w->engine), ==, 1);
  text = cd_sync_engine_dup_status_text (w->engine);
  g_assert_true (g_str_has_prefix (text, "Offline since "));
  g_assert_true (g_str_has_suffix (text, ", 1 change waiting"));

  restart_server (fx, c);
  wait_online (w);
  g_assert_cmpint (cd_sync_engine_get_offline_since (w->engine), ==, 0);
  g_assert_cmpint (g_array_index (w->statuses, CdSyncStatus, w->statuses->len - 1), ==, CD_SYNC_STATUS_ONLINE);

  snap = sync_test_snapshot (fx->server, fx->admin);
  g_assert_cmpstr (json_object_get_string_member (sync_test_find_in (snap, "tickets", ticket), "crew_id"), ==,
                   fx->crew_a);
  g_assert_cmpuint (sync_test_count_events_for (snap, ticket), ==, 1);
}

/* While the server is down the engine retries with doubling, capped,
 * jittered waits; when it is back, the next attempt connects and the
 * outbox is flushed once. */
static void
test_reconnect_backoff (Fixture       *fx,
                        gconstpointer  data)
{
  g_autoptr(SyncClient) c = open_client (fx, FALSE);
  g_autoptr(Watch) w = watch_new (c);
  g_autoptr(GError) error = NULL;
  g_autoptr(CdMutation) m = NULL;
  g_autoptr(GPtrArray) records = NULL;
  g_autoptr(JsonObject) snap = NULL;
  g_autofree char *ticket = cd_test_create_ticket (fx->server, fx->d2, "heat", "no-heat",
                                                   "\"skills\":[\"radiator\"]");
  guint64 cap = 50;

  cd_sync_engine_start (w->engine);
  wait_online (w);
  g_assert_cmpuint (w->retries->len, ==, 0);

  cd_test_server_kill (fx->server, SIGKILL);
  g_assert_true (wait_for (is_offline, w, 60));
  m = assign_to (ticket, fx->crew_b);
  records = cd_sync_engine_submit (w->engine, m, &error);
  g_assert_no_error (error);

  /* Let it fail a good number of times. */
  while (w->retries->len < 8)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpint (cd_sync_engine_get_status (w->engine), !=, CD_SYNC_STATUS_ONLINE);

  for (guint i = 0; i < w->retries->len; i++)
    {
      guint ms = g_array_index (w->retries, guint, i);

      g_test_message ("retry %u after %u ms (cap %" G_GUINT64_FORMAT ")", i, ms, cap);
      g_assert_cmpuint (ms, >=, cap / 2);
      g_assert_cmpuint (ms, <=, cap);
      cap = MIN (cap * 2, 400);
    }
  /* The cap was reached and held. */
  g_assert_cmpuint (g_array_index (w->retries, guint, w->retries->len - 1), >=, 200);
  g_assert_cmpuint (cd_sync_engine_get_pending (w->engine), ==, 1);

  restart_server (fx, c);
  wait_online (w);
  /* Back online, no retry is scheduled any more. */
  g_assert_cmpuint (cd_sync_engine_get_next_retry_ms (w->engine), ==, 0);

  snap = sync_test_snapshot (fx->server, fx->admin);
  g_assert_cmpstr (json_object_get_string_member (sync_test_find_in (snap, "tickets", ticket), "crew_id"), ==,
                   fx->crew_b);
  g_assert_cmpuint (sync_test_count_events_for (snap, ticket), ==, 1);
}

typedef struct {
  CdSyncCache *cache;
  const char  *id;
} Lookup;

static gboolean
ticket_arrived (gpointer data)
{
  Lookup *l = data;
  g_autoptr(CdTicket) t = cd_sync_cache_load_server (l->cache, CD_TYPE_TICKET, l->id, NULL);

  return t != NULL;
}

typedef struct {
  Watch *w;
  guint  before;
} Changed;

static gboolean
changed_since (gpointer data)
{
  Changed *c = data;

  return c->w->changed > c->before;
}

/* Another client's change reaches the cache by itself: the "rev" poke
 * on the event stream starts a pull. */
static void
test_rev_poke (Fixture       *fx,
               gconstpointer  data)
{
  g_autoptr(SyncClient) c = open_client (fx, FALSE);
  g_autoptr(Watch) w = watch_new (c);
  g_autofree char *ticket = NULL;
  gint64 rev_before;
  guint changed_before;
  Lookup l = { c->cache, NULL };
  Changed changed;

  cd_sync_engine_start (w->engine);
  wait_online (w);
  /* Nothing else moves: the first heartbeat arrives without a pull. */
  rev_before = cd_sync_cache_get_last_rev (c->cache, NULL);
  changed_before = w->changed;

  ticket = cd_test_create_ticket (fx->server, fx->d2, "heat", "no-heat", "\"skills\":[\"radiator\"]");
  l.id = ticket;
  g_assert_true (wait_for (ticket_arrived, &l, 60));
  g_assert_cmpint (cd_sync_cache_get_last_rev (c->cache, NULL), >, rev_before);
  /* ...and the UI is told. */
  changed.w = w;
  changed.before = changed_before;
  g_assert_true (wait_for (changed_since, &changed, 60));
  g_assert_cmpint (cd_sync_engine_get_status (w->engine), ==, CD_SYNC_STATUS_ONLINE);
}

static gboolean
crew_moved (gpointer data)
{
  return ((Watch *) data)->moved > 0;
}

static gboolean
positions_written (gpointer data)
{
  return !_cd_sync_cache_has_unwritten_positions (data);
}

/* A crew's position report arrives as ::crew-moved and in the cache. */
static void
test_crew_moved (Fixture       *fx,
                 gconstpointer  data)
{
  g_autoptr(SyncClient) c = open_client (fx, FALSE);
  g_autoptr(Watch) w = watch_new (c);
  g_autoptr(GError) error = NULL;
  g_autoptr(CdCrew) crew = NULL;
  g_autofree char *device = cd_test_add_and_login (fx->server, "heat1", "crew-device", fx->crew_a);
  g_autofree char *path = g_strdup_printf ("/api/v1/crews/%s/position", fx->crew_a);

  cd_sync_engine_start (w->engine);
  wait_online (w);
  g_assert_cmpuint (w->moved, ==, 0);

  /* Positions are not kept for streams opened later: the crew reports
   * again, as crews do every few seconds, until the engine's stream (opened
   * just after it went online) hears one. */
  for (guint i = 0; i < 60 && w->moved == 0; i++)
    {
      g_autoptr(CdTestReply) reply = cd_test_request (fx->server, "POST", path, device,
                                                      "{\"lat\":39.9512,\"lon\":116.4321,"
                                                      "\"heading\":90,\"speed_kmh\":30}");

      g_assert_cmpuint (reply->status, ==, 200);
      wait_for (crew_moved, w, 1);
    }
  g_assert_cmpuint (w->moved, >, 0);
  g_assert_cmpstr (w->moved_crew, ==, fx->crew_a);
  g_assert_cmpfloat_with_epsilon (w->moved_lat, 39.9512, 1e-6);
  g_assert_cmpfloat_with_epsilon (w->moved_lon, 116.4321, 1e-6);

  /* The model shows it at once... */
  crew = cd_sync_cache_load (c->cache, CD_TYPE_CREW, fx->crew_a, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat_with_epsilon (crew->lat, 39.9512, 1e-6);
  g_assert_cmpfloat_with_epsilon (crew->lon, 116.4321, 1e-6);
  g_assert_cmpint (crew->position_at, >, 0);
  g_clear_object (&crew);

  /* ...and the file gets it with the next batch. */
  g_assert_true (wait_for (positions_written, c->cache, 60));
  cd_sync_cache_lock (c->cache);
  crew = cd_store_load (cd_sync_cache_get_store (c->cache), CD_TYPE_CREW, fx->crew_a, &error);
  cd_sync_cache_unlock (c->cache);
  g_assert_no_error (error);
  g_assert_cmpfloat_with_epsilon (crew->lat, 39.9512, 1e-6);
  g_assert_cmpfloat_with_epsilon (crew->lon, 116.4321, 1e-6);
}

typedef struct {
  CdSyncCache *cache;
  const char  *crew;
  double       lat;
} Where;

/* The cache shows the crew at @lat (from the file or the stream). */
static gboolean
crew_is_at (gpointer data)
{
  Where *where = data;
  g_autoptr(CdCrew) crew = cd_sync_cache_load (where->cache, CD_TYPE_CREW, where->crew, NULL);

  return crew != NULL && crew->position_at > 0 && fabs (crew->lat - where->lat) < 1e-6;
}

static void
report_position (Fixture    *fx,
                 const char *device,
                 const char *crew,
                 double      lat,
                 double      lon)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/crews/%s/position", crew);
  g_autofree char *body = NULL;
  char lat_text[G_ASCII_DTOSTR_BUF_SIZE], lon_text[G_ASCII_DTOSTR_BUF_SIZE];
  g_autoptr(CdTestReply) reply = NULL;

  body = g_strdup_printf ("{\"lat\":%s,\"lon\":%s,\"heading\":45,\"speed_kmh\":12}",
                          g_ascii_formatd (lat_text, sizeof lat_text, "%.6f", lat),
                          g_ascii_formatd (lon_text, sizeof lon_text, "%.6f", lon));
  reply = cd_test_request (fx->server, "POST", path, device, body);
  g_assert_cmpuint (reply->status, ==, 200);
}

/* A crew that reported before the client started is on its map at once,
 * with no report after (the feed's crew rows carry no position: the pull
 * ends by reading the latest positions). So is a report made while the
 * client's event stream was down. */
static void
test_positions_on_start (Fixture       *fx,
                         gconstpointer  data)
{
  g_autoptr(SyncClient) c = open_client (fx, FALSE);
  g_autoptr(Watch) w = NULL;
  g_autofree char *device = cd_test_add_and_login (fx->server, "heat1", "crew-device", fx->crew_a);
  Where where = { c->cache, fx->crew_a, 39.9377 };
  g_autoptr(CdCrew) crew = NULL;
  g_autoptr(GError) error = NULL;

  report_position (fx, device, fx->crew_a, 39.9377, 116.3811);

  w = watch_new (c);
  cd_sync_engine_start (w->engine);
  wait_online (w);
  g_assert_true (wait_for (crew_is_at, &where, 60));
  g_assert_cmpuint (w->moved, ==, 0);
  /* In the file too, not only in memory. */
  cd_sync_cache_lock (c->cache);
  crew = cd_store_load (cd_sync_cache_get_store (c->cache), CD_TYPE_CREW, fx->crew_a, &error);
  cd_sync_cache_unlock (c->cache);
  g_assert_no_error (error);
  g_assert_cmpfloat_with_epsilon (crew->lat, 39.9377, 1e-6);
  g_assert_cmpfloat_with_epsilon (crew->lon, 116.3811, 1e-6);
  g_assert_cmpfloat_with_epsilon (crew->heading, 45, 1e-6);
  /* The other crew never reported: it is where it was placed. */
  g_clear_object (&crew);
  crew = cd_sync_cache_load (c->cache, CD_TYPE_CREW, fx->crew_b, &error);
  g_assert_no_error (error);
  g_assert_cmpint (crew->position_at, >, 0);
  g_assert_cmpfloat_with_epsilon (crew->lat, 39.915, 1e-6);

  /* The stream goes down; the crew moves; the stream comes back. */
  cd_sync_engine_stop (w->engine);
  report_position (fx, device, fx->crew_a, 39.9421, 116.3902);
  where.lat = 39.9421;
  g_assert_false (crew_is_at (&where));
  cd_sync_engine_start (w->engine);
  g_assert_true (wait_for (crew_is_at, &where, 60));
}

typedef struct {
  CdTestProxy *proxy;
  guint        accepted;
} Reconnect;

static gboolean
new_connection (gpointer data)
{
  Reconnect *r = data;

  return cd_test_proxy_get_n_accepted (r->proxy) > r->accepted;
}

/* The connection goes silent without closing (the proxy stalls): only
 * the heartbeat deadline can tell, and the engine reconnects once bytes
 * flow again. */
static void
test_half_open (Fixture       *fx,
                gconstpointer  data)
{
  g_autoptr(SyncClient) c = open_client (fx, TRUE);
  g_autoptr(Watch) w = watch_new (c);
  Traffic traffic = { fx->proxy, 0 };
  Reconnect reconnect;
  guint accepted;

  cd_sync_engine_start (w->engine);
  wait_online (w);
  /* The stream is open through the proxy: a heartbeat came through. */
  traffic.bytes = cd_test_proxy_get_bytes (fx->proxy, CD_TEST_PROXY_DOWN);
  g_assert_true (wait_for (bytes_came, &traffic, 60));
  g_assert_cmpuint (cd_test_proxy_get_n_open (fx->proxy), >=, 1);
  accepted = cd_test_proxy_get_n_accepted (fx->proxy);

  cd_test_proxy_set_stalled (fx->proxy, TRUE);
  g_assert_true (wait_for (is_offline, w, 60));
  g_assert_nonnull (cd_sync_engine_get_last_error (w->engine));
  g_assert_nonnull (strstr (cd_sync_engine_get_last_error (w->engine), "stopped answering"));

  cd_test_proxy_set_stalled (fx->proxy, FALSE);
  g_assert_true (wait_for (is_online, w, 120));
  /* The dead stream was dropped; a new one connects. */
  reconnect.proxy = fx->proxy;
  reconnect.accepted = accepted;
  g_assert_true (wait_for (new_connection, &reconnect, 60));
}

static gboolean
token_expired_on (Fixture    *fx,
                  SyncClient *c)
{
  gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;

  while (g_get_monotonic_time () < deadline)
    {
      g_autoptr(CdTestReply) reply = NULL;

      for (guint i = 0; i < 50; i++)
        g_main_context_iteration (NULL, FALSE);
      g_usleep (200 * 1000);
      reply = cd_test_request (fx->server, "GET", "/api/v1/me", cd_sync_client_get_token (c->client), NULL);
      if (reply->status == 401)
        return TRUE;
    }

  return FALSE;
}

/* Sessions end within seconds here: a new admin session for each look. */
static char *
fresh_admin (Fixture *fx,
             char    *old)
{
  g_autofree char *password = cd_test_password_for ("admin");

  g_free (old);
  return cd_test_login (fx->server, "admin", password);
}

/* The session ends: the engine asks for a login (once, without retrying),
 * keeps the outbox and shows the change; signed in again as the same
 * user, the outbox is sent, once. */
static void
test_token_expired (Fixture       *fx,
                    gconstpointer  data)
{
  g_autoptr(SyncClient) c = open_client (fx, FALSE);
  g_autoptr(Watch) w = watch_new (c);
  g_autoptr(GError) error = NULL;
  g_autoptr(CdMutation) assign = NULL;
  g_autoptr(CdMutation) status = NULL;
  g_autoptr(GPtrArray) records = NULL;
  g_autoptr(CdTicket) shown = NULL;
  g_autoptr(CdUser) user = NULL;
  g_autoptr(JsonObject) snap = NULL;
  g_autofree char *old_token = NULL;
  g_autofree char *admin = NULL;
  g_autofree char *ticket = cd_test_create_ticket (fx->server, fx->d2, "heat", "no-heat",
                                                   "\"skills\":[\"radiator\"]");

  cd_sync_engine_start (w->engine);
  wait_online (w);
  old_token = g_strdup (cd_sync_client_get_token (c->client));

  g_assert_true (token_expired_on (fx, c));

  assign = assign_to (ticket, fx->crew_a);
  records = cd_sync_engine_submit (w->engine, assign, &error);
  g_assert_no_error (error);
  g_clear_pointer (&records, g_ptr_array_unref);
  status = make_mutation ("ticket.set_status", ticket, -1, "{\"status\":\"contacted\"}");
  records = cd_sync_engine_submit (w->engine, status, &error);
  g_assert_no_error (error);

  g_assert_true (wait_for (login_was_needed, w, 60));
  g_assert_true (wait_for (is_offline, w, 60));
  g_assert_cmpuint (cd_sync_engine_get_pending (w->engine), ==, 2);
  g_assert_cmpint (cd_sync_cache_count_pending (c->cache, NULL), ==, 2);
  /* Retrying cannot help: none is scheduled. */
  g_assert_cmpuint (cd_sync_engine_get_next_retry_ms (w->engine), ==, 0);
  g_assert_nonnull (strstr (cd_sync_engine_get_last_error (w->engine), "Sign in again"));
  /* The model still shows what the user did. */
  shown = cd_sync_cache_load (c->cache, CD_TYPE_TICKET, ticket, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (shown->crew_id, ==, fx->crew_a);
  g_assert_cmpint (shown->status, ==, CD_TICKET_STATUS_CONTACTED);
  /* Nothing reached the server. */
  snap = sync_test_snapshot (fx->server, admin = fresh_admin (fx, admin));
  g_assert_true (json_object_get_null_member (sync_test_find_in (snap, "tickets", ticket), "crew_id"));
  g_clear_pointer (&snap, json_object_unref);

  /* Signed in again as the same user: the outbox is sent. */
  g_assert_true (sync_client_login (c, "pw-d1-secret", &error));
  g_assert_no_error (error);
  g_assert_cmpstr (cd_sync_client_get_token (c->client), !=, old_token);
  user = cd_sync_cache_dup_user (c->cache);
  g_assert_cmpstr (user->username, ==, "d1");
  cd_sync_engine_sync_now (w->engine);
  wait_online (w);
  g_assert_cmpuint (w->login_needed, ==, 1);

  snap = sync_test_snapshot (fx->server, admin = fresh_admin (fx, admin));
  g_assert_cmpstr (json_object_get_string_member (sync_test_find_in (snap, "tickets", ticket), "crew_id"), ==,
                   fx->crew_a);
  g_assert_cmpstr (json_object_get_string_member (sync_test_find_in (snap, "tickets", ticket), "status"), ==,
                   "contacted");
  g_assert_cmpuint (sync_test_count_events_for (snap, ticket), ==, 1);
  {
    g_autoptr(GPtrArray) conflicts = cd_sync_cache_list_conflicts (c->cache, &error);

    g_assert_no_error (error);
    g_assert_cmpuint (conflicts->len, ==, 0);
  }
  g_assert_true (wait_for (nothing_pending, w, 60));
  sync_test_assert_cache_equals_server (fx->server, admin = fresh_admin (fx, admin), c->cache);
}

int
main (int   argc,
      char *argv[])
{
  cd_test_init (&argc, &argv);
  cd_model_init ();

#define ADD(path, config, func) \
  g_test_add (path, Fixture, config, fixture_set_up, func, fixture_tear_down)

  ADD ("/sync/engine/status", NULL, test_status);
  ADD ("/sync/engine/reconnect-backoff", NULL, test_reconnect_backoff);
  ADD ("/sync/engine/rev-poke", NULL, test_rev_poke);
  ADD ("/sync/engine/crew-moved", NULL, test_crew_moved);
  ADD ("/sync/engine/positions-on-start", NULL, test_positions_on_start);
  ADD ("/sync/engine/half-open", NULL, test_half_open);
  ADD ("/sync/engine/token-expired", CONFIG_SHORT_SESSION, test_token_expired);

  return g_test_run ();
}
