/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-store.c: the SQLite store on real files: schema, round trips, every
 * query against a computation in C, the changes feed, transactions, bad
 * files, a full disk and the query plans. */
#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>

#include "cd-model.h"
#include "cd-sla-clock.h"
#include "cd-store.h"
#include "cd-store-private.h"

#define T0 1795000000

static const char * const areas[] = { "eastbank", "westbank", "old-town", "harbour", "hills" };

typedef struct {
  char *dir;
} Fixture;

static void
fixture_set_up (Fixture       *fx,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  fx->dir = g_dir_make_tmp ("crewdesk-store-XXXXXX", &error);
  g_assert_no_error (error);
}

static void
fixture_tear_down (Fixture       *fx,
                   gconstpointer  data)
{
  g_autoptr(GDir) dir = g_dir_open (fx->dir, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (fx->dir, name, NULL);

      if (g_file_test (path, G_FILE_TEST_IS_DIR))
        g_rmdir (path);
      else
        g_unlink (path);
    }

  g_rmdir (fx->dir);
  g_free (fx->dir);
}

static char *
fixture_path (Fixture    *fx,
              const char *name)
{
  return g_build_filename (fx->dir, name, NULL);
}

/* Helpers ----------------------------------------------------------------- */

static char *
file_checksum (const char *path)
{
  g_autofree char *contents = NULL;
  gsize length = 0;
  g_autoptr(GError) error = NULL;

  g_file_get_contents (path, &contents, &length, &error);
  g_assert_no_error (error);
  return g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *) contents, length);
}

static gint
compare_names (gconstpointer a,
               gconstpointer b)
{
  return strcmp (*(const char **) a, *(const char **) b);
}

/* The directory's file names, sorted, joined: shows a stray -wal or -shm. */
static char *
dir_listing (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)) != NULL)
    g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_names);
  g_ptr_array_add (names, NULL);

  return g_strjoinv (" ", (char **) names->pdata);
}

static CdStore *
open_store (const char *path)
{
  g_autoptr(GError) error = NULL;
  CdStore *store = cd_store_open (path, &error);

  g_assert_no_error (error);
  g_assert_nonnull (store);
  return store;
}

static void
save_ok (CdStore  *store,
         gpointer  record)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (cd_store_save (store, CD_RECORD (record), &error));
  g_assert_no_error (error);
}

static void
raw_exec (const char *path,
          const char *sql)
{
  sqlite3 *db = NULL;
  char *message = NULL;

  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  if (sqlite3_exec (db, sql, NULL, NULL, &message) != SQLITE_OK)
    g_error ("%s: %s", sql, message);
  g_assert_cmpint (sqlite3_close (db), ==, SQLITE_OK);
}

static gint64
raw_int (sqlite3    *db,
         const char *sql)
{
  sqlite3_stmt *stmt = NULL;
  gint64 value;

  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  value = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  return value;
}

static gboolean
status_is_open (CdTicketStatus status)
{
  switch (status)
    {
    case CD_TICKET_STATUS_NEW:
    case CD_TICKET_STATUS_ASSIGNED:
    case CD_TICKET_STATUS_CONTACTED:
    case CD_TICKET_STATUS_EN_ROUTE:
    case CD_TICKET_STATUS_ON_SITE:
    case CD_TICKET_STATUS_WAITING_CUSTOMER:
      return TRUE;
    case CD_TICKET_STATUS_RESOLVED:
    case CD_TICKET_STATUS_CLOSED:
    case CD_TICKET_STATUS_CANCELLED:
    case CD_TICKET_STATUS_DUPLICATE:
    default:
      return FALSE;
    }
}

/* Written apart from the store's helper on purpose: the reference. */
static gint64
expected_next_due (CdTicket *t)
{
  gint64 best = G_MAXINT64;

  if (t->due_first_response > 0 && t->first_response_at == 0)
    best = MIN (best, t->due_first_response);
  if (t->due_on_site > 0 && t->on_site_at == 0)
    best = MIN (best, t->due_on_site);
  if (t->due_resolved > 0 && t->resolved_at == 0)
    best = MIN (best, t->due_resolved);

  return best == G_MAXINT64 ? 0 : best;
}

static gboolean
expected_paused (CdTicket *t)
{
  for (guint i = 0; t->pauses != NULL && i < t->pauses->len; i++)
    if (((CdSlaPause *) g_ptr_array_index (t->pauses, i))->end == 0)
      return TRUE;

  return FALSE;
}

/* Statuses are uniform unless @mostly_closed, which leaves about one in
 * ten open, as in a real file. */
static CdTicket *
make_ticket_full (GRand      *rand,
                  guint       n,
                  GPtrArray  *crews,
                  gboolean    mostly_closed)
{
  CdTicket *t = cd_ticket_new ();
  gint64 created = T0 + g_rand_int_range (rand, 0, 3 * 86400);

  /* Equal creation times now and then, so the id tie-break is tested. */
  if (g_rand_int_range (rand, 0, 10) == 0)
    created = T0;

  t->parent_instance.id = g_uuid_string_random ();
  t->parent_instance.version = 1;
  t->number = g_strdup_printf ("HT-%06u", n);
  t->channel = g_rand_int_range (rand, 0, CD_CHANNEL_NETWORK_MONITOR + 1);
  t->category = g_rand_int_range (rand, 0, CD_N_CATEGORIES);
  t->urgency = g_rand_int_range (rand, 0, CD_N_URGENCIES);
  t->utility = g_rand_int_range (rand, 0, CD_N_UTILITIES);
  t->status = g_rand_int_range (rand, 0, CD_STORE_N_TICKET_STATUSES);
  if (mostly_closed && g_rand_int_range (rand, 0, 10) != 0)
    t->status = CD_TICKET_STATUS_CLOSED;
  t->customer_name = g_strdup_printf ("Customer %u", n);
  t->customer_phone = g_strdup ("+86 10 5555 0101");
  t->address = g_strdup_printf ("%u Riverside Road", n);
  t->lat = 39.9 + g_rand_double_range (rand, -0.1, 0.1);
  t->lon = 116.4 + g_rand_double_range (rand, -0.1, 0.1);
  if (g_rand_int_range (rand, 0, 20) != 0)
    t->area = g_strdup (areas[g_rand_int_range (rand, 0, G_N_ELEMENTS (areas))]);
  t->area_class = g_rand_int_range (rand, 0, CD_N_AREA_CLASSES);
  t->description = g_strdup ("No heat in the flat since the morning");
  if (crews != NULL && g_rand_int_range (rand, 0, 4) != 0)
    t->crew_id = g_strdup (cd_record_get_id (g_ptr_array_index (crews, g_rand_int_range (rand, 0, crews->len))));
  t->created_at = created;
  t->due_first_response = created + 60 * g_rand_int_range (rand, 10, 240);
  t->due_on_site = g_rand_int_range (rand, 0, 3) ? created + 60 * g_rand_int_range (rand, 45, 1440) : 0;
  t->due_resolved = created + 60 * g_rand_int_range (rand, 240, 4320);
  /* The limits the deadlines were computed from (0: no such limit). */
  t->sla_first_response_min = (t->due_first_response - created) / 60;
  t->sla_on_site_min = t->due_on_site ? (t->due_on_site - created) / 60 : 0;
  t->sla_resolved_min = (t->due_resolved - created) / 60;
  if (g_rand_boolean (rand))
    t->first_response_at = created + 300;
  if (g_rand_int_range (rand, 0, 4) == 0)
    t->on_site_at = created + 3000;
  /* An open ticket has no resolution time: the clock would count its
   * unreached milestones as reached then. */
  if (g_rand_int_range (rand, 0, 8) == 0 && !status_is_open (t->status))
    t->resolved_at = created + 9000;
  t->pauses = g_ptr_array_new_with_free_func (g_object_unref);
  if (g_rand_int_range (rand, 0, 6) == 0)
    g_ptr_array_add (t->pauses, cd_sla_pause_new (created + 600, created + 900, "Customer away"));
  if (g_rand_int_range (rand, 0, 6) == 0)
    g_ptr_array_add (t->pauses, cd_sla_pause_new (created + 1200, 0, NULL));
  t->updated_at = created;

  return t;
}

static CdTicket *
make_ticket (GRand      *rand,
             guint       n,
             GPtrArray  *crews)
{
  return make_ticket_full (rand, n, crews, FALSE);
}

static CdCrew *
make_crew (guint n)
{
  CdCrew *c = cd_crew_new ();
  const char *areas_served[] = { areas[n % G_N_ELEMENTS (areas)], NULL };

  c->parent_instance.id = g_uuid_string_random ();
  c->parent_instance.version = 1;
  /* Names repeat, so the id tie-break matters. */
  c->name = g_strdup_printf ("Crew %u", n % 5);
  c->utility = n % 2 ? CD_UTILITY_POWER : CD_UTILITY_HEAT;
  c->status = n % 4;
  c->areas = g_strdupv ((char **) areas_served);
  c->capacity = 3;
  c->lat = 39.9;
  c->lon = 116.4;
  c->position_at = T0;
  return c;
}

static CdCallback *
make_callback (GRand      *rand,
               const char *ticket_id)
{
  CdCallback *b = cd_callback_new ();

  b->parent_instance.id = g_uuid_string_random ();
  b->parent_instance.version = 1;
  b->ticket_id = g_strdup (ticket_id);
  /* A coarse grid makes equal due times common: priority decides. */
  b->due_at = T0 + 3600 * g_rand_int_range (rand, 0, 48);
  b->priority = 10 * g_rand_int_range (rand, 0, 4);
  b->status = g_rand_int_range (rand, 0, CD_CALLBACK_STATUS_CLOSED + 1);
  return b;
}

static CdAssignmentEvent *
make_event (const char *ticket_id,
            const char *crew_id,
            gint64      at)
{
  CdAssignmentEvent *e = cd_assignment_event_new ();

  e->parent_instance.id = g_uuid_string_random ();
  e->ticket_id = g_strdup (ticket_id);
  e->to_crew = g_strdup (crew_id);
  e->actor = g_strdup ("auto-dispatch");
  e->at = at;
  e->source = CD_ASSIGNMENT_SOURCE_AUTO;
  e->score = 12.5;
  return e;
}

static CdUser *
make_user (const char *username)
{
  CdUser *u = cd_user_new ();

  u->parent_instance.id = g_uuid_string_random ();
  u->username = g_strdup (username);
  u->display_name = g_strdup ("Li Wei");
  u->role = CD_ROLE_DISPATCHER;
  u->active = TRUE;
  return u;
}

static CdSlaPolicy *
make_policy (CdCategory  category,
             CdUrgency   urgency,
             CdAreaClass area_class)
{
  CdSlaPolicy *p = cd_sla_policy_new ();

  p->parent_instance.id = g_uuid_string_random ();
  p->category = category;
  p->urgency = urgency;
  p->area_class = area_class;
  p->first_response_min = 10;
  p->on_site_min = 45;
  p->resolved_min = 240;
  p->warning_share = 0.25;
  p->auto_dispatch = TRUE;
  return p;
}

static void
assert_same_ids (GPtrArray *got,
                 GPtrArray *expected)
{
  g_assert_nonnull (got);
  g_assert_cmpuint (got->len, ==, expected->len);
  for (guint i = 0; i < got->len; i++)
    {
      CdRecord *a = g_ptr_array_index (got, i);
      CdRecord *b = g_ptr_array_index (expected, i);

      g_assert_cmpstr (a->id, ==, b->id);
      g_assert_true (cd_record_equal (a, b));
    }
}

/* Migrations and reopening ------------------------------------------------ */

static void
test_migrations (Fixture       *fx,
                 gconstpointer  data)
{
  g_autofree char *path = fixture_path (fx, "crewdesk.db");
  g_autoptr(CdStore) store = NULL;
  g_autoptr(CdTicket) ticket = NULL;
  g_autoptr(CdTicket) loaded = NULL;
  g_autoptr(GRand) rand = g_rand_new_with_seed (1);
  g_autoptr(GError) error = NULL;
  sqlite3 *db = NULL;

  store = open_store (path);
  g_assert_cmpuint (cd_store_get_schema_version (store), ==, CD_STORE_SCHEMA_VERSION);
  g_assert_cmpstr (cd_store_get_path (store), ==, path);
  g_assert_cmpint (cd_store_get_last_rev (store, &error), ==, 0);
  g_assert_no_error (error);

  ticket = make_ticket (rand, 1, NULL);
  save_ok (store, ticket);
  g_clear_object (&store);

  /* The file itself records the schema and who wrote it. */
  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (raw_int (db, "PRAGMA user_version"), ==, CD_STORE_SCHEMA_VERSION);
  g_assert_cmpint (raw_int (db, "PRAGMA application_id"), ==, CD_STORE_APPLICATION_ID);
  g_assert_cmpint (raw_int (db, "SELECT count(*) FROM sqlite_schema WHERE type = 'table'"
                                " AND name IN ('meta', 'tickets', 'crews', 'crew_positions',"
                                " 'callbacks', 'assignment_events', 'users', 'sla_policies')"), ==, 8);
  g_assert_cmpint (raw_int (db, "SELECT count(*) FROM tickets"), ==, 1);
  sqlite3_close (db);

  /* Reopening migrates nothing and keeps the data. */
  store = open_store (path);
  g_assert_cmpuint (cd_store_get_schema_version (store), ==, CD_STORE_SCHEMA_VERSION);
  loaded = cd_store_load (store, CD_TYPE_TICKET, ticket->parent_instance.id, &error);
  g_assert_no_error (error);
  g_assert_true (cd_record_equal (CD_RECORD (ticket), CD_RECORD (loaded)));
  g_assert_cmpstr (_cd_store_get_sql (store, "ticket.load"), !=, NULL);
  g_assert_null (_cd_store_get_sql (store, "no-such-query"));

  /* WAL mode was switched on and stays on. */
  g_assert_cmpint (raw_int (_cd_store_get_db (store), "PRAGMA foreign_keys"), ==, 1);
  {
    sqlite3_stmt *stmt = NULL;

    g_assert_cmpint (sqlite3_prepare_v2 (_cd_store_get_db (store), "PRAGMA journal_mode", -1,
                                         &stmt, NULL), ==, SQLITE_OK);
    g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
    g_assert_cmpstr ((const char *) sqlite3_column_text (stmt, 0), ==, "wal");
    sqlite3_finalize (stmt);
  }

  /* A store opens with synchronous=NORMAL, as documented: no statement
   * it keeps prepared sets another level (SQLite applies a PRAGMA
   * synchronous when it compiles one). */
  g_assert_cmpint (raw_int (_cd_store_get_db (store), "PRAGMA synchronous"), ==, 1);

  /* synchronous toggles for the server. */
  g_assert_true (cd_store_set_synchronous_full (store, TRUE, &error));
  g_assert_cmpint (raw_int (_cd_store_get_db (store), "PRAGMA synchronous"), ==, 2);
  g_assert_true (cd_store_set_deferred_sync (store, TRUE, &error));
  g_assert_cmpint (raw_int (_cd_store_get_db (store), "PRAGMA synchronous"), ==, 1);
  g_assert_true (cd_store_set_deferred_sync (store, FALSE, &error));
  g_assert_cmpint (raw_int (_cd_store_get_db (store), "PRAGMA synchronous"), ==, 2);
  g_assert_true (cd_store_set_synchronous_full (store, FALSE, &error));
  g_assert_cmpint (raw_int (_cd_store_get_db (store), "PRAGMA synchronous"), ==, 1);
  g_assert_no_error (error);
  g_assert_no_error (error);

  g_assert_true (cd_store_check (store, &error));
  g_assert_no_error (error);
}

static void
test_memory (void)
{
  g_autoptr(CdStore) store = open_store (":memory:");
  g_autoptr(CdUser) user = make_user ("li.wei");
  g_autoptr(CdUser) found = NULL;
  g_autoptr(GError) error = NULL;

  save_ok (store, user);
  found = cd_store_find_user (store, "li.wei", &error);
  g_assert_no_error (error);
  g_assert_true (cd_record_equal (CD_RECORD (user), CD_RECORD (found)));
}

/* Round trips ------------------------------------------------------------- */

static void
test_round_trip (Fixture       *fx,
                 gconstpointer  data)
{
  g_autofree char *path = fixture_path (fx, "round-trip.db");
  g_autoptr(CdStore) store = open_store (path);
  g_autoptr(GPtrArray) records = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) pauses = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) attempts = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GError) error = NULL;
  const char *skills[] = { "hv-switching", "cable-fault", NULL };
  const char *members[] = { "张伟", "Li Na", NULL };
  CdTicket *t = cd_ticket_new ();
  CdCrew *c = cd_crew_new ();
  CdCallback *b = cd_callback_new ();
  CdAssignmentEvent *e = cd_assignment_event_new ();
  CdUser *u = make_user ("agent.wu");
  CdSlaPolicy *p = make_policy (CD_CATEGORY_LEAK, CD_URGENCY_EMERGENCY, CD_AREA_CLASS_RURAL);

  g_ptr_array_add (pauses, cd_sla_pause_new (T0 + 60, T0 + 600, "Customer not home"));
  g_ptr_array_add (pauses, cd_sla_pause_new (T0 + 3600, 0, NULL));
  g_object_set (t,
                "id", "6f1c2a4e-3b7d-4c1e-9a55-0d2f6e8b1c01", "version", (gint64) 3, "rev", (gint64) 1042,
                "number", "PW-000117", "channel", CD_CHANNEL_METER_ALARM,
                "category", CD_CATEGORY_POWER_OUTAGE, "urgency", CD_URGENCY_EMERGENCY,
                "utility", CD_UTILITY_POWER, "status", CD_TICKET_STATUS_EN_ROUTE,
                "customer-name", "王芳", "customer-phone", "+86 10 5555 0101",
                "customer-account", "PW-88812", "customer-key", TRUE,
                "address", "12 Riverside Road, Eastbank", "lat", 39.912345678, "lon", 116.401112233,
                "area", "eastbank", "area-class", CD_AREA_CLASS_RURAL,
                "description", "Whole street dark since 21:40 \"quoted\" \\ and ' apostrophe",
                "skills", skills, "owner", "dispatcher",
                "crew-id", "6f1c2a4e-3b7d-4c1e-9a55-0d2f6e8b1c02",
                "assignment-source", CD_ASSIGNMENT_SOURCE_MANUAL, "pinned", TRUE,
                "sla-first-response-min", (gint64) 10, "sla-on-site-min", (gint64) 90,
                "sla-resolved-min", (gint64) 240, "sla-warning-share", 0.2,
                "sla-due-first-response", (gint64) T0 + 600, "sla-due-on-site", (gint64) T0 + 5400,
                "sla-due-resolved", (gint64) T0 + 14400, "sla-pauses", pauses,
                "created-at", (gint64) T0, "first-response-at", (gint64) T0 + 300,
                "updated-at", (gint64) T0 + 900, "duplicate-count", (gint64) 2,
                NULL);
  g_object_set (c,
                "id", "6f1c2a4e-3b7d-4c1e-9a55-0d2f6e8b1c02", "version", (gint64) 9, "rev", (gint64) 77,
                "name", "Eastbank HV 1", "utility", CD_UTILITY_POWER, "status", CD_CREW_STATUS_EN_ROUTE,
                "members", members, "skills", skills, "areas", skills, "phone", "+86 10 5555 0199",
                "capacity", (gint64) 4, "shift-start", (gint64) T0, "shift-end", (gint64) T0 + 28800,
                "position-lat", 39.91, "position-lon", 116.40, "position-heading", 271.5,
                "position-speed-kmh", 42.25, "position-at", (gint64) T0 + 100,
                NULL);
  g_ptr_array_add (attempts, cd_callback_attempt_new (T0 + 100, "agent", CD_CALLBACK_OUTCOME_NO_ANSWER, NULL));
  g_ptr_array_add (attempts, cd_callback_attempt_new (T0 + 3700, "agent", CD_CALLBACK_OUTCOME_REACHED, "Heat back"));
  g_object_set (b,
                "id", "6f1c2a4e-3b7d-4c1e-9a55-0d2f6e8b1c03", "version", (gint64) 2, "rev", (gint64) 7,
                "ticket-id", "6f1c2a4e-3b7d-4c1e-9a55-0d2f6e8b1c01", "due-at", (gint64) T0 + 86400,
                "priority", (gint64) 80, "status", CD_CALLBACK_STATUS_SECOND_HANDLING,
                "agent", "agent", "attempts", attempts, "satisfaction", CD_SATISFACTION_UNSATISFIED,
                "comment", "Radiator still cold", "second-handling-owner", "manager",
                "second-handling-deadline", (gint64) T0 + 90000,
                NULL);
  g_object_set (e,
                "id", "6f1c2a4e-3b7d-4c1e-9a55-0d2f6e8b1c04", "version", (gint64) 1, "rev", (gint64) 8,
                "ticket-id", "6f1c2a4e-3b7d-4c1e-9a55-0d2f6e8b1c01",
                "from-crew", "6f1c2a4e-3b7d-4c1e-9a55-0d2f6e8b1c05",
                "to-crew", "6f1c2a4e-3b7d-4c1e-9a55-0d2f6e8b1c02",
                "actor", "dispatcher", "at", (gint64) T0 + 50, "source", CD_ASSIGNMENT_SOURCE_MANUAL,
                "score", 17.125, "proposed-crew", "6f1c2a4e-3b7d-4c1e-9a55-0d2f6e8b1c05",
                "proposed-score", 11.0, "reason", "Crew already in the street",
                NULL);
  g_ptr_array_add (records, t);
  g_ptr_array_add (records, c);
  g_ptr_array_add (records, b);
  g_ptr_array_add (records, e);
  g_ptr_array_add (records, u);
  g_ptr_array_add (records, p);

  for (guint i = 0; i < records->len; i++)
    save_ok (store, g_ptr_array_index (records, i));

  for (guint pass = 0; pass < 2; pass++)
    {
      for (guint i = 0; i < records->len; i++)
        {
          CdRecord *r = g_ptr_array_index (records, i);
          g_autoptr(CdRecord) by_type = cd_store_load (store, G_OBJECT_TYPE (r), r->id, &error);
          g_autoptr(CdRecord) by_kind = NULL;
          g_autoptr(GPtrArray) all = NULL;

          g_assert_no_error (error);
          g_assert_true (G_OBJECT_TYPE (by_type) == G_OBJECT_TYPE (r));
          g_assert_true (cd_record_equal (r, by_type));

          by_kind = cd_store_load_kind (store, cd_record_get_kind (r), r->id, &error);
          g_assert_no_error (error);
          g_assert_true (cd_record_equal (r, by_kind));

          all = cd_store_list_all (store, G_OBJECT_TYPE (r), &error);
          g_assert_no_error (error);
          g_assert_cmpuint (all->len, ==, 1);
          g_assert_true (cd_record_equal (r, g_ptr_array_index (all, 0)));
        }

      /* Same again from the file. */
      g_clear_object (&store);
      store = open_store (path);
    }

  /* Saving again replaces, it does not add. */
  t->status = CD_TICKET_STATUS_ON_SITE;
  t->parent_instance.version = 4;
  save_ok (store, t);
  {
    g_autoptr(CdTicket) again = cd_store_load (store, CD_TYPE_TICKET, t->parent_instance.id, &error);
    g_autoptr(GPtrArray) all = cd_store_list_all (store, CD_TYPE_TICKET, &error);

    g_assert_no_error (error);
    g_assert_cmpint (again->status, ==, CD_TICKET_STATUS_ON_SITE);
    g_assert_cmpint (again->parent_instance.version, ==, 4);
    g_assert_cmpuint (all->len, ==, 1);
  }

  /* Unknown ids and kinds. */
  {
    g_autoptr(CdRecord) none = cd_store_load (store, CD_TYPE_CREW, "6f1c2a4e-3b7d-4c1e-9a55-0d2f6e8b1cff", &error);

    g_assert_null (none);
    g_assert_error (error, CD_STORE_ERROR, CD_STORE_ERROR_NOT_FOUND);
    g_clear_error (&error);
    none = cd_store_load_kind (store, "sla_pause", "6f1c2a4e-3b7d-4c1e-9a55-0d2f6e8b1c01", &error);
    g_assert_null (none);
    g_assert_error (error, CD_STORE_ERROR, CD_STORE_ERROR_NOT_FOUND);
    g_clear_error (&error);
  }

  /* Lookups by key. */
  {
    g_autoptr(CdSlaPolicy) policy = cd_store_find_sla_policy (store, CD_CATEGORY_LEAK, CD_URGENCY_EMERGENCY,
                                                              CD_AREA_CLASS_RURAL, &error);
    g_autoptr(CdSlaPolicy) none = NULL;
    g_autoptr(CdUser) user = cd_store_find_user (store, "agent.wu", &error);

    g_assert_no_error (error);
    g_assert_true (cd_record_equal (CD_RECORD (policy), CD_RECORD (p)));
    g_assert_true (cd_record_equal (CD_RECORD (user), CD_RECORD (u)));

    none = cd_store_find_sla_policy (store, CD_CATEGORY_LEAK, CD_URGENCY_NORMAL, CD_AREA_CLASS_RURAL, &error);
    g_assert_null (none);
    g_assert_error (error, CD_STORE_ERROR, CD_STORE_ERROR_NOT_FOUND);
  }
}

static void
test_unique (void)
{
  g_autoptr(CdStore) store = open_store (":memory:");
  g_autoptr(CdUser) first = make_user ("zhang.wei");
  g_autoptr(CdUser) second = make_user ("zhang.wei");
  g_autoptr(CdSlaPolicy) p1 = make_policy (CD_CATEGORY_NO_HEAT, CD_URGENCY_URGENT, CD_AREA_CLASS_URBAN);
  g_autoptr(CdSlaPolicy) p2 = make_policy (CD_CATEGORY_NO_HEAT, CD_URGENCY_URGENT, CD_AREA_CLASS_URBAN);
  g_autoptr(GError) error = NULL;

  save_ok (store, first);
  g_assert_false (cd_store_save (store, CD_RECORD (second), &error));
  g_assert_error (error, CD_STORE_ERROR, CD_STORE_ERROR_CONSTRAINT);
  g_test_message ("%s", error->message);
  g_clear_error (&error);

  /* A deleted user frees the name. */
  g_assert_true (cd_store_delete (store, CD_TYPE_USER, first->parent_instance.id, 1, &error));
  save_ok (store, second);

  save_ok (store, p1);
  g_assert_false (cd_store_save (store, CD_RECORD (p2), &error));
  g_assert_error (error, CD_STORE_ERROR, CD_STORE_ERROR_CONSTRAINT);
}

/* A string that is not UTF-8 would make the stored JSON unreadable. */
static void
test_invalid_utf8 (void)
{
  g_autoptr(CdStore) store = open_store (":memory:");
  g_autoptr(CdUser) user = make_user ("wang.fang");
  g_autoptr(GPtrArray) all = NULL;
  g_autoptr(GError) error = NULL;

  g_free (user->display_name);
  user->display_name = g_strdup ("Wang \xff\xfe Fang");
  g_assert_false (cd_store_save (store, CD_RECORD (user), &error));
  g_assert_error (error, CD_STORE_ERROR, CD_STORE_ERROR_INVALID);
  g_clear_error (&error);

  all = cd_store_list_all (store, CD_TYPE_USER, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (all->len, ==, 0);
}

/* Queries on a seeded data set -------------------------------------------- */

typedef struct {
  GPtrArray  *crews;     /* CdCrew */
  GHashTable *tickets;   /* id -> CdTicket, the live ones as saved last */
  GHashTable *callbacks; /* id -> CdCallback */
  GPtrArray  *events;    /* CdAssignmentEvent */
} Seed;

static void
seed_clear (Seed *seed)
{
  g_clear_pointer (&seed->crews, g_ptr_array_unref);
  g_clear_pointer (&seed->tickets, g_hash_table_unref);
  g_clear_pointer (&seed->callbacks, g_hash_table_unref);
  g_clear_pointer (&seed->events, g_ptr_array_unref);
}

static void
seed_store (CdStore  *store,
            Seed     *seed,
            guint     n_tickets,
            gboolean  mostly_closed)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (20240611);
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  GHashTableIter iter;
  gpointer value;

  seed->crews = g_ptr_array_new_with_free_func (g_object_unref);
  seed->tickets = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_object_unref);
  seed->callbacks = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_object_unref);
  seed->events = g_ptr_array_new_with_free_func (g_object_unref);

  g_assert_true (cd_store_begin (store, &error));
  for (guint i = 0; i < 10; i++)
    {
      CdCrew *c = make_crew (i);

      save_ok (store, c);
      g_ptr_array_add (seed->crews, c);
    }

  for (guint i = 0; i < n_tickets; i++)
    {
      CdTicket *t = make_ticket_full (rand, i, seed->crews, mostly_closed);

      save_ok (store, t);
      g_hash_table_insert (seed->tickets, t->parent_instance.id, t);
      g_ptr_array_add (ids, g_strdup (t->parent_instance.id));
    }

  /* Change some and delete some, so the queries must follow the latest
   * state and skip tombstones. */
  for (guint i = 0; i < ids->len; i += 7)
    {
      CdTicket *t = g_hash_table_lookup (seed->tickets, g_ptr_array_index (ids, i));

      t->status = (t->status + 3) % CD_STORE_N_TICKET_STATUSES;
      if (status_is_open (t->status))
        t->resolved_at = 0;
      g_clear_pointer (&t->area, g_free);
      t->area = g_strdup (areas[i % G_N_ELEMENTS (areas)]);
      t->parent_instance.version++;
      save_ok (store, t);
    }
  for (guint i = 3; i < ids->len; i += 11)
    {
      const char *id = g_ptr_array_index (ids, i);

      g_assert_true (cd_store_delete (store, CD_TYPE_TICKET, id, 1, &error));
      g_assert_no_error (error);
      g_hash_table_remove (seed->tickets, id);
    }

  for (guint i = 0; i < ids->len; i += 2)
    {
      const char *id = g_ptr_array_index (ids, i);
      CdCallback *b = make_callback (rand, id);

      save_ok (store, b);
      g_hash_table_insert (seed->callbacks, b->parent_instance.id, b);
    }

  g_hash_table_iter_init (&iter, seed->tickets);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      CdTicket *t = value;

      if (t->crew_id != NULL)
        {
          CdAssignmentEvent *e1 = make_event (t->parent_instance.id, t->crew_id, t->created_at + 120);
          CdAssignmentEvent *e2 = make_event (t->parent_instance.id, NULL, t->created_at + 60);

          save_ok (store, e1);
          save_ok (store, e2);
          g_ptr_array_add (seed->events, e1);
          g_ptr_array_add (seed->events, e2);
        }
    }

  g_assert_true (cd_store_commit (store, &error));
  g_assert_no_error (error);
}

static gint
ticket_by_created (gconstpointer a,
                   gconstpointer b)
{
  CdTicket *x = *(CdTicket **) a;
  CdTicket *y = *(CdTicket **) b;

  if (x->created_at != y->created_at)
    return x->created_at < y->created_at ? -1 : 1;
  return strcmp (x->parent_instance.id, y->parent_instance.id);
}

static gint
ticket_by_due (gconstpointer a,
               gconstpointer b)
{
  CdTicket *x = *(CdTicket **) a;
  CdTicket *y = *(CdTicket **) b;
  gint64 dx = expected_next_due (x);
  gint64 dy = expected_next_due (y);

  if (dx != dy)
    return dx < dy ? -1 : 1;
  return strcmp (x->parent_instance.id, y->parent_instance.id);
}

static gint
callback_by_due (gconstpointer a,
                 gconstpointer b)
{
  CdCallback *x = *(CdCallback **) a;
  CdCallback *y = *(CdCallback **) b;

  if (x->due_at != y->due_at)
    return x->due_at < y->due_at ? -1 : 1;
  if (x->priority != y->priority)
    return x->priority > y->priority ? -1 : 1;
  return strcmp (x->parent_instance.id, y->parent_instance.id);
}

static gint
crew_by_name (gconstpointer a,
              gconstpointer b)
{
  CdCrew *x = *(CdCrew **) a;
  CdCrew *y = *(CdCrew **) b;
  int c = strcmp (x->name, y->name);

  return c != 0 ? c : strcmp (x->parent_instance.id, y->parent_instance.id);
}

static GPtrArray *
expected_open (Seed       *seed,
               gint        status,
               const char *area,
               const char *crew_id)
{
  GPtrArray *out = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, seed->tickets);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      CdTicket *t = value;

      if (!status_is_open (t->status) ||
          (status != CD_STORE_ANY && (gint) t->status != status) ||
          (area != NULL && g_strcmp0 (t->area, area) != 0) ||
          (crew_id != NULL && g_strcmp0 (t->crew_id, crew_id) != 0))
        continue;
      g_ptr_array_add (out, t);
    }

  g_ptr_array_sort (out, ticket_by_created);
  return out;
}

static void
test_queries (Fixture       *fx,
              gconstpointer  data)
{
  g_autofree char *path = fixture_path (fx, "queries.db");
  g_autoptr(CdStore) store = open_store (path);
  g_autoptr(GError) error = NULL;
  Seed seed = { 0 };
  guint n_queries = 0;

  seed_store (store, &seed, 700, FALSE);

  /* Open tickets: every filter combination. */
  for (gint status = CD_STORE_ANY; status < CD_STORE_N_TICKET_STATUSES; status++)
    for (guint a = 0; a <= G_N_ELEMENTS (areas) + 1; a++)
      for (guint c = 0; c <= seed.crews->len; c += (status == CD_STORE_ANY ? 1 : 3))
        {
          /* a: 0 any, then each area, then one that matches nothing. */
          const char *area = a == 0 ? NULL : a <= G_N_ELEMENTS (areas) ? areas[a - 1] : "nowhere";
          const char *crew = c == 0 ? NULL : cd_record_get_id (g_ptr_array_index (seed.crews, c - 1));
          g_autoptr(GPtrArray) got = cd_store_list_open_tickets (store, status, area, crew, &error);
          g_autoptr(GPtrArray) expected = expected_open (&seed, status, area, crew);

          g_assert_no_error (error);
          assert_same_ids (got, expected);
          n_queries++;
        }
  g_test_message ("%u open-ticket filter combinations checked", n_queries);

  /* Counts. */
  {
    CdStoreTicketCounts counts;
    guint expected[CD_STORE_N_TICKET_STATUSES] = { 0 };
    guint total = 0;
    GHashTableIter iter;
    gpointer value;

    g_hash_table_iter_init (&iter, seed.tickets);
    while (g_hash_table_iter_next (&iter, NULL, &value))
      if (status_is_open (((CdTicket *) value)->status))
        {
          expected[((CdTicket *) value)->status]++;
          total++;
        }

    g_assert_true (cd_store_count_open_tickets (store, &counts, &error));
    g_assert_no_error (error);
    g_assert_cmpuint (counts.total, ==, total);
    for (guint i = 0; i < CD_STORE_N_TICKET_STATUSES; i++)
      g_assert_cmpuint (counts.by_status[i], ==, expected[i]);
    g_assert_cmpuint (total, >, 100);
  }

  /* Running deadlines, with and without a limit. */
  {
    g_autoptr(GPtrArray) expected = g_ptr_array_new ();
    GHashTableIter iter;
    gpointer value;
    const guint limits[] = { 0, 1, 25, 10000 };

    g_hash_table_iter_init (&iter, seed.tickets);
    while (g_hash_table_iter_next (&iter, NULL, &value))
      {
        CdTicket *t = value;

        if (status_is_open (t->status) && !expected_paused (t) && expected_next_due (t) > 0)
          g_ptr_array_add (expected, t);
      }
    g_ptr_array_sort (expected, ticket_by_due);
    g_assert_cmpuint (expected->len, >, 50);

    for (guint i = 0; i < G_N_ELEMENTS (limits); i++)
      {
        g_autoptr(GPtrArray) got = cd_store_list_running_deadlines (store, limits[i], &error);
        g_autoptr(GPtrArray) want = g_ptr_array_new ();

        for (guint j = 0; j < expected->len && (limits[i] == 0 || j < limits[i]); j++)
          g_ptr_array_add (want, g_ptr_array_index (expected, j));
        g_assert_no_error (error);
        assert_same_ids (got, want);
      }
  }

  /* Callbacks due, per status, before several times. */
  for (gint status = 0; status <= CD_CALLBACK_STATUS_CLOSED; status++)
    {
      const gint64 befores[] = { T0, T0 + 3600, T0 + 86400, T0 + 10 * 86400 };

      for (guint i = 0; i < G_N_ELEMENTS (befores); i++)
        {
          g_autoptr(GPtrArray) got = cd_store_list_callbacks_due (store, status, befores[i], 0, &error);
          g_autoptr(GPtrArray) want = g_ptr_array_new ();
          g_autoptr(GPtrArray) got_limited = NULL;
          GHashTableIter iter;
          gpointer value;

          g_hash_table_iter_init (&iter, seed.callbacks);
          while (g_hash_table_iter_next (&iter, NULL, &value))
            {
              CdCallback *b = value;

              if ((gint) b->status == status && b->due_at < befores[i])
                g_ptr_array_add (want, b);
            }
          g_ptr_array_sort (want, callback_by_due);
          g_assert_no_error (error);
          assert_same_ids (got, want);

          got_limited = cd_store_list_callbacks_due (store, status, befores[i], 5, &error);
          g_assert_no_error (error);
          g_ptr_array_set_size (want, MIN (want->len, 5));
          assert_same_ids (got_limited, want);
        }
    }

  /* Callbacks and assignment history of one ticket. */
  {
    GHashTableIter iter;
    gpointer value;
    guint checked = 0;

    g_hash_table_iter_init (&iter, seed.tickets);
    while (g_hash_table_iter_next (&iter, NULL, &value) && checked < 30)
      {
        CdTicket *t = value;
        g_autoptr(GPtrArray) callbacks = cd_store_list_for_ticket (store, CD_TYPE_CALLBACK, t->parent_instance.id, &error);
        g_autoptr(GPtrArray) events = cd_store_list_for_ticket (store, CD_TYPE_ASSIGNMENT_EVENT, t->parent_instance.id, &error);
        g_autoptr(GPtrArray) want_callbacks = g_ptr_array_new ();
        g_autoptr(GPtrArray) want_events = g_ptr_array_new ();
        GHashTableIter inner;
        gpointer cb;

        g_assert_no_error (error);
        g_hash_table_iter_init (&inner, seed.callbacks);
        while (g_hash_table_iter_next (&inner, NULL, &cb))
          if (g_strcmp0 (((CdCallback *) cb)->ticket_id, t->parent_instance.id) == 0)
            g_ptr_array_add (want_callbacks, cb);
        assert_same_ids (callbacks, want_callbacks);

        for (guint i = 0; i < seed.events->len; i++)
          {
            CdAssignmentEvent *e = g_ptr_array_index (seed.events, i);

            if (g_strcmp0 (e->ticket_id, t->parent_instance.id) == 0)
              g_ptr_array_add (want_events, e);
          }
        /* Saved later, but earlier in time: the query orders by time. */
        if (want_events->len == 2)
          {
            g_ptr_array_add (want_events, g_ptr_array_steal_index (want_events, 0));
            g_assert_cmpint (((CdAssignmentEvent *) g_ptr_array_index (want_events, 0))->at, <,
                             ((CdAssignmentEvent *) g_ptr_array_index (want_events, 1))->at);
          }
        assert_same_ids (events, want_events);
        checked++;
      }
  }

  /* Crews, all and per utility, with positions laid over. */
  {
    CdCrew *moved = g_ptr_array_index (seed.crews, 3);
    g_autoptr(CdCrew) loaded = NULL;

    g_assert_true (cd_store_set_crew_position (store, moved->parent_instance.id, 39.95, 116.45, 90, 30,
                                               T0 + 500, &error));
    /* A late, older report does not move it back. */
    g_assert_true (cd_store_set_crew_position (store, moved->parent_instance.id, 39.0, 116.0, 0, 0,
                                               T0 + 400, &error));
    g_assert_no_error (error);
    moved->lat = 39.95;
    moved->lon = 116.45;
    moved->heading = 90;
    moved->speed_kmh = 30;
    moved->position_at = T0 + 500;

    /* A position older than the record's own is not laid over it. */
    g_assert_true (cd_store_set_crew_position (store, cd_record_get_id (g_ptr_array_index (seed.crews, 4)),
                                               10, 10, 0, 0, T0 - 100, &error));
    g_assert_no_error (error);

    for (gint utility = CD_STORE_ANY; utility < CD_N_UTILITIES; utility++)
      {
        g_autoptr(GPtrArray) got = cd_store_list_crews (store, utility, &error);
        g_autoptr(GPtrArray) want = g_ptr_array_new ();

        for (guint i = 0; i < seed.crews->len; i++)
          {
            CdCrew *c = g_ptr_array_index (seed.crews, i);

            if (utility == CD_STORE_ANY || (gint) c->utility == utility)
              g_ptr_array_add (want, c);
          }
        g_ptr_array_sort (want, crew_by_name);
        g_assert_no_error (error);
        assert_same_ids (got, want);
      }

    loaded = cd_store_load (store, CD_TYPE_CREW, moved->parent_instance.id, &error);
    g_assert_no_error (error);
    g_assert_true (cd_record_equal (CD_RECORD (loaded), CD_RECORD (moved)));

    g_assert_false (cd_store_set_crew_position (store, "6f1c2a4e-3b7d-4c1e-9a55-0d2f6e8b1cff",
                                                39.9, 116.4, 0, 0, T0, &error));
    g_assert_error (error, CD_STORE_ERROR, CD_STORE_ERROR_NOT_FOUND);
    g_clear_error (&error);
  }

  /* Every ticket still loads as saved; tombstones do not. */
  {
    g_autoptr(GPtrArray) all = cd_store_list_all (store, CD_TYPE_TICKET, &error);

    g_assert_no_error (error);
    g_assert_cmpuint (all->len, ==, g_hash_table_size (seed.tickets));
    for (guint i = 0; i < all->len; i++)
      {
        CdRecord *r = g_ptr_array_index (all, i);

        g_assert_true (cd_record_equal (r, g_hash_table_lookup (seed.tickets, r->id)));
      }
  }

  seed_clear (&seed);
}

/* The changes feed -------------------------------------------------------- */

typedef struct {
  const char *kind;
  char       *id;
  gint64      rev;
  CdRecord   *record; /* NULL: deleted */
} Expect;

static void
expect_free (Expect *e)
{
  g_free (e->id);
  g_clear_object (&e->record);
  g_free (e);
}

/* The server's way: one transaction takes a rev, bumps the version and
 * saves. */
static void
server_save (CdStore    *store,
             GHashTable *expect,
             CdRecord   *record)
{
  g_autoptr(GError) error = NULL;
  Expect *e;

  g_assert_true (cd_store_begin (store, &error));
  record->rev = cd_store_next_rev (store, &error);
  g_assert_no_error (error);
  record->version++;
  save_ok (store, record);
  g_assert_true (cd_store_commit (store, &error));

  e = g_new0 (Expect, 1);
  e->kind = cd_record_get_kind (record);
  e->id = g_strdup (record->id);
  e->rev = record->rev;
  e->record = cd_record_copy (record);
  g_hash_table_replace (expect, e->id, e);
}

static void
server_delete (CdStore    *store,
               GHashTable *expect,
               CdRecord   *record)
{
  g_autoptr(GError) error = NULL;
  Expect *e = g_hash_table_lookup (expect, record->id);
  gint64 rev;

  g_assert_true (cd_store_begin (store, &error));
  rev = cd_store_next_rev (store, &error);
  g_assert_true (cd_store_delete (store, G_OBJECT_TYPE (record), record->id, rev, &error));
  g_assert_no_error (error);
  g_assert_true (cd_store_commit (store, &error));

  e->rev = rev;
  g_clear_object (&e->record);
}

static gint
expect_by_rev (gconstpointer a,
               gconstpointer b)
{
  const Expect *x = *(Expect **) a;
  const Expect *y = *(Expect **) b;

  return x->rev < y->rev ? -1 : x->rev > y->rev;
}

static void
test_changes (Fixture       *fx,
              gconstpointer  data)
{
  g_autofree char *path = fixture_path (fx, "server.db");
  g_autofree char *client_path = fixture_path (fx, "client.db");
  g_autoptr(CdStore) store = open_store (path);
  g_autoptr(CdStore) client = open_store (client_path);
  g_autoptr(GHashTable) expect = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                                        (GDestroyNotify) expect_free);
  g_autoptr(GPtrArray) records = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) ordered = g_ptr_array_new ();
  g_autoptr(GRand) rand = g_rand_new_with_seed (7);
  g_autoptr(GError) error = NULL;
  const guint limits[] = { 1, 7, 50, 1000 };
  GHashTableIter iter;
  gpointer value;
  gint64 last;

  for (guint i = 0; i < 12; i++)
    {
      CdCrew *c = make_crew (i);

      g_ptr_array_add (records, c);
      server_save (store, expect, CD_RECORD (c));
    }
  for (guint i = 0; i < 40; i++)
    {
      CdTicket *t = make_ticket (rand, i, records);
      g_autofree char *name = g_strdup_printf ("user%u", i);

      g_ptr_array_add (records, t);
      server_save (store, expect, CD_RECORD (t));
      if (i % 3 == 0)
        {
          CdCallback *b = make_callback (rand, t->parent_instance.id);

          g_ptr_array_add (records, b);
          server_save (store, expect, CD_RECORD (b));
        }
      if (i % 5 == 0)
        {
          CdAssignmentEvent *e = make_event (t->parent_instance.id, NULL, T0);

          g_ptr_array_add (records, e);
          server_save (store, expect, CD_RECORD (e));
        }
      if (i % 8 == 0)
        {
          CdUser *u = make_user (name);

          g_ptr_array_add (records, u);
          server_save (store, expect, CD_RECORD (u));
        }
      if (i < CD_N_CATEGORIES)
        {
          CdSlaPolicy *p = make_policy (i, CD_URGENCY_NORMAL, CD_AREA_CLASS_URBAN);

          g_ptr_array_add (records, p);
          server_save (store, expect, CD_RECORD (p));
        }
    }

  /* Update some (a row appears once, at its newest rev) and delete some
   * (a tombstone at the deletion's rev). */
  for (guint i = 0; i < records->len; i += 4)
    server_save (store, expect, g_ptr_array_index (records, i));
  for (guint i = 1; i < records->len; i += 6)
    server_delete (store, expect, g_ptr_array_index (records, i));

  g_hash_table_iter_init (&iter, expect);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_ptr_array_add (ordered, value);
  g_ptr_array_sort (ordered, expect_by_rev);

  last = cd_store_get_last_rev (store, &error);
  g_assert_no_error (error);
  g_assert_cmpint (last, ==, ((Expect *) g_ptr_array_index (ordered, ordered->len - 1))->rev);

  /* Walk the feed in pages of several sizes. */
  for (guint l = 0; l < G_N_ELEMENTS (limits); l++)
    {
      gint64 since = 0;
      guint seen = 0;
      gboolean more = TRUE;

      while (more)
        {
          g_autoptr(GPtrArray) page = cd_store_list_changes (store, since, limits[l], &more, &error);

          g_assert_no_error (error);
          /* One revision per row here, so pages are exact. */
          g_assert_cmpuint (page->len, <=, limits[l]);
          if (more)
            g_assert_cmpuint (page->len, ==, limits[l]);

          for (guint i = 0; i < page->len; i++)
            {
              CdStoreChange *change = g_ptr_array_index (page, i);
              Expect *e = g_ptr_array_index (ordered, seen++);

              g_assert_cmpstr (change->kind, ==, e->kind);
              g_assert_cmpstr (change->id, ==, e->id);
              g_assert_cmpint (change->rev, ==, e->rev);
              g_assert_cmpint (change->rev, >, since);
              if (e->record == NULL)
                g_assert_null (change->record);
              else if (CD_IS_CREW (e->record))
                {
                  /* The feed carries crews without their position. */
                  g_autoptr(CdCrew) bare = cd_record_copy (e->record);

                  bare->lat = bare->lon = bare->heading = bare->speed_kmh = 0;
                  bare->position_at = 0;
                  g_assert_true (cd_record_equal (change->record, CD_RECORD (bare)));
                }
              else
                g_assert_true (cd_record_equal (change->record, e->record));
              since = change->rev;
            }
        }
      g_assert_cmpuint (seen, ==, ordered->len);
    }

  /* From the newest rev: nothing, and nothing more. */
  {
    gboolean more = TRUE;
    g_autoptr(GPtrArray) page = cd_store_list_changes (store, last, 10, &more, &error);

    g_assert_no_error (error);
    g_assert_cmpuint (page->len, ==, 0);
    g_assert_false (more);
  }

  /* A client cache pulls the feed page by page, each page and its
   * last_rev in one transaction, and ends up equal to the server. */
  {
    gboolean more = TRUE;
    gint64 since = cd_store_get_last_rev (client, &error);
    const GType types[] = {
      CD_TYPE_TICKET, CD_TYPE_CREW, CD_TYPE_CALLBACK, CD_TYPE_ASSIGNMENT_EVENT,
      CD_TYPE_USER, CD_TYPE_SLA_POLICY,
    };

    g_assert_cmpint (since, ==, 0);
    while (more)
      {
        g_autoptr(GPtrArray) page = cd_store_list_changes (store, since, 16, &more, &error);

        g_assert_no_error (error);
        g_assert_true (cd_store_begin (client, &error));
        for (guint i = 0; i < page->len; i++)
          {
            CdStoreChange *change = g_ptr_array_index (page, i);

            if (change->record != NULL)
              {
                save_ok (client, change->record);
              }
            else if (!cd_store_delete (client, cd_record_type_from_kind (change->kind), change->id,
                                       change->rev, &error))
              {
                /* Created and deleted before this client ever saw it. */
                g_assert_error (error, CD_STORE_ERROR, CD_STORE_ERROR_NOT_FOUND);
                g_clear_error (&error);
              }
            since = change->rev;
          }
        g_assert_true (cd_store_set_last_rev (client, since, &error));
        g_assert_true (cd_store_commit (client, &error));
        g_assert_no_error (error);
      }

    g_assert_cmpint (cd_store_get_last_rev (client, &error), ==, last);
    for (guint i = 0; i < G_N_ELEMENTS (types); i++)
      {
        g_autoptr(GPtrArray) a = cd_store_list_all (store, types[i], &error);
        g_autoptr(GPtrArray) b = cd_store_list_all (client, types[i], &error);

        g_assert_no_error (error);
        g_assert_cmpuint (a->len, >, 0);
        /* Positions travel on the event stream, not in the feed. */
        for (guint k = 0; types[i] == CD_TYPE_CREW && k < a->len; k++)
          {
            CdCrew *c = g_ptr_array_index (a, k);

            c->lat = c->lon = c->heading = c->speed_kmh = 0;
            c->position_at = 0;
          }
        assert_same_ids (b, a);
      }
  }

  /* Deleting twice: nothing to delete. */
  {
    Expect *gone = NULL;

    for (guint i = 0; i < ordered->len && gone == NULL; i++)
      if (((Expect *) g_ptr_array_index (ordered, i))->record == NULL)
        gone = g_ptr_array_index (ordered, i);
    g_assert_nonnull (gone);
    g_assert_false (cd_store_delete (store, cd_record_type_from_kind (gone->kind), gone->id, last + 1, &error));
    g_assert_error (error, CD_STORE_ERROR, CD_STORE_ERROR_NOT_FOUND);
  }
}

/* Transactions ------------------------------------------------------------ */

static void
test_transactions (Fixture       *fx,
                   gconstpointer  data)
{
  g_autofree char *path = fixture_path (fx, "tx.db");
  g_autoptr(CdStore) store = open_store (path);
  g_autoptr(GRand) rand = g_rand_new_with_seed (3);
  g_autoptr(CdTicket) a = make_ticket (rand, 1, NULL);
  g_autoptr(CdTicket) b = make_ticket (rand, 2, NULL);
  g_autoptr(CdTicket) c = make_ticket (rand, 3, NULL);
  g_autoptr(CdRecord) loaded = NULL;
  g_autoptr(GError) error = NULL;

  /* A rollback discards the save. */
  g_assert_true (cd_store_begin (store, &error));
  g_assert_cmpuint (cd_store_get_depth (store), ==, 1);
  save_ok (store, a);
  cd_store_rollback (store);
  g_assert_cmpuint (cd_store_get_depth (store), ==, 0);
  loaded = cd_store_load (store, CD_TYPE_TICKET, a->parent_instance.id, &error);
  g_assert_null (loaded);
  g_assert_error (error, CD_STORE_ERROR, CD_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* A nested rollback undoes only the nested work. */
  g_assert_true (cd_store_begin (store, &error));
  save_ok (store, a);
  g_assert_true (cd_store_begin (store, &error));
  g_assert_cmpuint (cd_store_get_depth (store), ==, 2);
  save_ok (store, b);
  cd_store_rollback (store);
  g_assert_true (cd_store_begin (store, &error));
  save_ok (store, c);
  g_assert_true (cd_store_commit (store, &error));
  g_assert_true (cd_store_commit (store, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (cd_store_get_depth (store), ==, 0);

  g_clear_object (&store);
  store = open_store (path);
  loaded = cd_store_load (store, CD_TYPE_TICKET, a->parent_instance.id, &error);
  g_assert_no_error (error);
  g_clear_object (&loaded);
  loaded = cd_store_load (store, CD_TYPE_TICKET, c->parent_instance.id, &error);
  g_assert_no_error (error);
  g_clear_object (&loaded);
  loaded = cd_store_load (store, CD_TYPE_TICKET, b->parent_instance.id, &error);
  g_assert_error (error, CD_STORE_ERROR, CD_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* A rolled-back revision is handed out again; a committed one is not. */
  g_assert_true (cd_store_begin (store, &error));
  g_assert_cmpint (cd_store_next_rev (store, &error), ==, 1);
  g_assert_cmpint (cd_store_next_rev (store, &error), ==, 2);
  cd_store_rollback (store);
  g_assert_cmpint (cd_store_get_last_rev (store, &error), ==, 0);
  g_assert_true (cd_store_begin (store, &error));
  g_assert_cmpint (cd_store_next_rev (store, &error), ==, 1);
  g_assert_true (cd_store_commit (store, &error));
  g_assert_true (cd_store_begin (store, &error));
  g_assert_cmpint (cd_store_next_rev (store, &error), ==, 2);
  g_assert_true (cd_store_commit (store, &error));
  g_assert_no_error (error);
  g_clear_object (&store);
  store = open_store (path);
  g_assert_cmpint (cd_store_get_last_rev (store, &error), ==, 2);

  /* A client's last_rev is kept the same way. */
  g_assert_true (cd_store_set_last_rev (store, 41, &error));
  g_assert_true (cd_store_begin (store, &error));
  g_assert_true (cd_store_set_last_rev (store, 99, &error));
  cd_store_rollback (store);
  g_assert_cmpint (cd_store_get_last_rev (store, &error), ==, 41);
  g_assert_no_error (error);
}

/* Bad files --------------------------------------------------------------- */

typedef enum {
  BAD_RANDOM_BYTES,
  BAD_TEXT,
  BAD_TRASHED_PAGES,
  BAD_NEWER_SCHEMA,
  BAD_OTHER_TABLES,
  BAD_OTHER_APPLICATION_ID,
  BAD_OTHER_LIVE_WAL,
} BadKind;

typedef struct {
  const char *name;
  BadKind     kind;
  gint        code;
} BadCase;

static const BadCase bad_cases[] = {
  { "random-bytes", BAD_RANDOM_BYTES, CD_STORE_ERROR_NOT_A_DATABASE },
  { "text", BAD_TEXT, CD_STORE_ERROR_NOT_A_DATABASE },
  { "trashed-pages", BAD_TRASHED_PAGES, CD_STORE_ERROR_CORRUPT },
  { "newer-schema", BAD_NEWER_SCHEMA, CD_STORE_ERROR_NEWER_SCHEMA },
  { "other-tables", BAD_OTHER_TABLES, CD_STORE_ERROR_FOREIGN },
  { "other-application-id", BAD_OTHER_APPLICATION_ID, CD_STORE_ERROR_FOREIGN },
  { "other-live-wal", BAD_OTHER_LIVE_WAL, CD_STORE_ERROR_FOREIGN },
};

static void
write_file (const char *path,
            const void *data,
            gsize       length)
{
  g_autoptr(GError) error = NULL;

  g_file_set_contents (path, data, length, &error);
  g_assert_no_error (error);
}

/* A store with a few hundred tickets, closed, so it spans many pages. */
static void
make_real_store (const char *path,
                 guint       n_tickets)
{
  g_autoptr(CdStore) store = open_store (path);
  g_autoptr(GRand) rand = g_rand_new_with_seed (11);
  g_autoptr(GError) error = NULL;

  g_assert_true (cd_store_begin (store, &error));
  for (guint i = 0; i < n_tickets; i++)
    {
      g_autoptr(CdTicket) t = make_ticket (rand, i, NULL);

      save_ok (store, t);
    }
  g_assert_true (cd_store_commit (store, &error));
  g_assert_no_error (error);
}

static gsize
page_size_of (const guint8 *header)
{
  gsize size = (header[16] << 8) | header[17];

  return size == 1 ? 65536 : size;
}

static void
test_bad_file (Fixture       *fx,
               gconstpointer  data)
{
  const BadCase *bad = data;
  g_autofree char *path = fixture_path (fx, "bad.db");
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  g_autofree char *listing_before = NULL;
  g_autofree char *listing_after = NULL;
  g_autoptr(CdStore) store = NULL;
  g_autoptr(GError) error = NULL;
  sqlite3 *holder = NULL;

  switch (bad->kind)
    {
    case BAD_RANDOM_BYTES:
      {
        g_autoptr(GRand) rand = g_rand_new_with_seed (5);
        guint8 bytes[8192];

        for (guint i = 0; i < sizeof bytes; i++)
          bytes[i] = g_rand_int_range (rand, 0, 256);
        write_file (path, bytes, sizeof bytes);
        break;
      }
    case BAD_TEXT:
      {
        GString *text = g_string_new (NULL);

        for (guint i = 0; i < 300; i++)
          g_string_append_printf (text, "Ticket %u: no heat at 12 Riverside Road.\n", i);
        write_file (path, text->str, text->len);
        g_string_free (text, TRUE);
        break;
      }
    case BAD_TRASHED_PAGES:
      {
        g_autofree guint8 *contents = NULL;
        gsize length = 0;
        gsize page;

        make_real_store (path, 300);
        g_assert_true (g_file_get_contents (path, (char **) &contents, &length, NULL));
        page = page_size_of (contents);
        g_assert_cmpuint (length, >, 10 * page);
        /* Page 1 (header and schema) stays; every other page is junk. */
        memset (contents + page, 0xa5, length - page);
        write_file (path, contents, length);
        break;
      }
    case BAD_NEWER_SCHEMA:
      make_real_store (path, 3);
      raw_exec (path, "PRAGMA user_version = 9");
      break;
    case BAD_OTHER_TABLES:
      raw_exec (path, "CREATE TABLE contacts (name TEXT, phone TEXT);"
                      "INSERT INTO contacts VALUES ('Wang Fang', '+86 10 5555 0101');");
      break;
    case BAD_OTHER_APPLICATION_ID:
      raw_exec (path, "PRAGMA application_id = 252006674;" /* Fossil's */
                      "CREATE TABLE blob (rid INTEGER PRIMARY KEY, content BLOB);");
      break;
    case BAD_OTHER_LIVE_WAL:
      /* Another program has it open in WAL mode: its tables are only in
       * the -wal file so far, which the check must read, not ignore. */
      g_assert_cmpint (sqlite3_open (path, &holder), ==, SQLITE_OK);
      g_assert_cmpint (sqlite3_exec (holder, "PRAGMA journal_mode = WAL;"
                                             "CREATE TABLE readings (meter TEXT, kwh REAL);"
                                             "INSERT INTO readings VALUES ('M-1', 12.5);",
                                     NULL, NULL, NULL), ==, SQLITE_OK);
      break;
    default:
      g_assert_not_reached ();
    }

  before = file_checksum (path);
  listing_before = dir_listing (fx->dir);

  store = cd_store_open (path, &error);
  g_assert_null (store);
  g_assert_error (error, CD_STORE_ERROR, bad->code);
  g_test_message ("%s: %s", bad->name, error->message);
  g_assert_nonnull (strstr (error->message, "bad.db"));
  if (bad->kind == BAD_NEWER_SCHEMA)
    {
      g_autofree char *expected = g_strdup_printf ("schema 9, this one knows %d", CD_STORE_SCHEMA_VERSION);
      g_assert_nonnull (strstr (error->message, expected));
    }

  /* Twice: a refused file stays refused, and the same. */
  g_clear_error (&error);
  store = cd_store_open (path, &error);
  g_assert_null (store);
  g_assert_error (error, CD_STORE_ERROR, bad->code);

  after = file_checksum (path);
  listing_after = dir_listing (fx->dir);
  g_assert_cmpstr (before, ==, after);
  g_assert_cmpstr (listing_before, ==, listing_after);

  if (holder != NULL)
    g_assert_cmpint (sqlite3_close (holder), ==, SQLITE_OK);
}

/* Damage deep inside, past what the cheap probe at open reads: the open
 * may succeed, the full check finds it, and the file is not touched. */
static void
test_deep_damage (Fixture       *fx,
                  gconstpointer  data)
{
  g_autofree char *path = fixture_path (fx, "deep.db");
  g_autofree guint8 *contents = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  g_autoptr(CdStore) store = NULL;
  g_autoptr(GError) error = NULL;
  gsize length = 0;
  gsize page;
  gsize n_pages;

  make_real_store (path, 400);
  g_assert_true (g_file_get_contents (path, (char **) &contents, &length, NULL));
  page = page_size_of (contents);
  n_pages = length / page;
  memset (contents + (n_pages / 2) * page, 0xa5, page);
  write_file (path, contents, length);
  before = file_checksum (path);

  store = cd_store_open (path, &error);
  if (store == NULL)
    {
      g_assert_error (error, CD_STORE_ERROR, CD_STORE_ERROR_CORRUPT);
    }
  else
    {
      g_autoptr(GPtrArray) all = NULL;

      g_assert_no_error (error);
      g_assert_false (cd_store_check (store, &error));
      g_assert_error (error, CD_STORE_ERROR, CD_STORE_ERROR_CORRUPT);
      g_test_message ("check: %s", error->message);
      g_clear_error (&error);

      /* Reading the table either meets the damage or not (it may sit in
       * an index); it must not crash or return garbage silently. */
      all = cd_store_list_all (store, CD_TYPE_TICKET, &error);
      if (all == NULL)
        g_assert_error (error, CD_STORE_ERROR, CD_STORE_ERROR_CORRUPT);
      g_clear_object (&store);
    }

  after = file_checksum (path);
  g_assert_cmpstr (before, ==, after);
}

static void
test_not_a_file (Fixture       *fx,
                 gconstpointer  data)
{
  g_autofree char *sub = fixture_path (fx, "folder");
  g_autofree char *missing = g_build_filename (fx->dir, "no", "such", "dir", "x.db", NULL);
  g_autoptr(CdStore) store = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (g_mkdir (sub, 0700), ==, 0);
  store = cd_store_open (sub, &error);
  g_assert_null (store);
  g_assert_error (error, CD_STORE_ERROR, CD_STORE_ERROR_IO);
  g_clear_error (&error);

  store = cd_store_open (missing, &error);
  g_assert_null (store);
  g_assert_error (error, CD_STORE_ERROR, CD_STORE_ERROR_IO);
  g_test_message ("%s", error->message);
}

/* A full disk ------------------------------------------------------------- */

static void
test_disk_full (Fixture       *fx,
                gconstpointer  data)
{
  g_autofree char *path = fixture_path (fx, "full.db");
  g_autoptr(CdStore) store = open_store (path);
  g_autoptr(GPtrArray) kept = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) lost = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GRand) rand = g_rand_new_with_seed (13);
  g_autoptr(GError) error = NULL;
  g_autoptr(CdTicket) big = NULL;
  g_autofree char *padding = g_strnfill (3900, 'x');
  sqlite3 *db = _cd_store_get_db (store);
  gint64 pages;
  guint batch_len;
  gboolean failed = FALSE;
  g_autofree char *sql = NULL;

  /* Saved before the disk fills: must survive. */
  g_assert_true (cd_store_begin (store, &error));
  for (guint i = 0; i < 50; i++)
    {
      CdTicket *t = make_ticket (rand, i, NULL);

      save_ok (store, t);
      g_ptr_array_add (kept, t);
    }
  g_assert_true (cd_store_commit (store, &error));
  g_assert_no_error (error);

  /* Room for a few more pages only: growing past them fails as on a full
   * disk, in the middle of the batch below. */
  pages = raw_int (db, "PRAGMA page_count");
  sql = g_strdup_printf ("PRAGMA max_page_count = %" G_GINT64_FORMAT, pages + 20);
  g_assert_cmpint (sqlite3_exec (db, sql, NULL, NULL, NULL), ==, SQLITE_OK);
  g_clear_pointer (&sql, g_free);

  /* A batch that does not fit: the error is FULL, and none of it stays. */
  g_assert_true (cd_store_begin (store, &error));
  for (guint i = 0; i < 5000 && !failed; i++)
    {
      CdTicket *t = make_ticket (rand, 1000 + i, NULL);

      g_free (t->description);
      t->description = g_strdup (padding);
      g_ptr_array_add (lost, t);
      if (!cd_store_save (store, CD_RECORD (t), &error))
        failed = TRUE;
    }
  g_assert_true (failed);
  g_assert_error (error, CD_STORE_ERROR, CD_STORE_ERROR_FULL);
  g_test_message ("%s (at save %u of the batch)", error->message, lost->len);
  g_assert_cmpuint (lost->len, >, 3);
  batch_len = lost->len;
  g_clear_error (&error);
  cd_store_rollback (store);
  g_assert_cmpuint (cd_store_get_depth (store), ==, 0);

  /* Now no room at all. */
  pages = raw_int (db, "PRAGMA page_count");
  sql = g_strdup_printf ("PRAGMA max_page_count = %" G_GINT64_FORMAT, pages);
  g_assert_cmpint (sqlite3_exec (db, sql, NULL, NULL, NULL), ==, SQLITE_OK);

  /* One save on its own, too big for the room left. */
  big = make_ticket (rand, 9999, NULL);
  g_free (big->description);
  big->description = g_strdup (padding);
  for (guint i = 0; i < 3 && cd_store_save (store, CD_RECORD (big), &error); i++)
    {
      /* Might fit in free space once; a fresh id needs a new row. */
      g_ptr_array_add (lost, cd_record_copy (CD_RECORD (big)));
      g_free (big->parent_instance.id);
      big->parent_instance.id = g_uuid_string_random ();
    }
  g_assert_error (error, CD_STORE_ERROR, CD_STORE_ERROR_FULL);
  g_clear_error (&error);

  /* Room again: the store works on, with exactly the data it had. */
  g_assert_cmpint (sqlite3_exec (db, "PRAGMA max_page_count = 1073741823", NULL, NULL, NULL), ==, SQLITE_OK);
  g_clear_object (&store);
  store = open_store (path);
  g_assert_true (cd_store_check (store, &error));
  g_assert_no_error (error);
  {
    g_autoptr(GPtrArray) all = cd_store_list_all (store, CD_TYPE_TICKET, &error);
    guint found_lost = 0;

    g_assert_no_error (error);
    for (guint i = 0; i < kept->len; i++)
      {
        CdRecord *r = g_ptr_array_index (kept, i);
        g_autoptr(CdRecord) loaded = cd_store_load (store, CD_TYPE_TICKET, r->id, &error);

        g_assert_no_error (error);
        g_assert_true (cd_record_equal (r, loaded));
      }
    for (guint i = 0; i < lost->len; i++)
      {
        CdRecord *r = g_ptr_array_index (lost, i);
        g_autoptr(CdRecord) loaded = cd_store_load (store, CD_TYPE_TICKET, r->id, &error);

        /* Nothing of the rolled-back batch is left. */
        if (i < batch_len)
          g_assert_error (error, CD_STORE_ERROR, CD_STORE_ERROR_NOT_FOUND);
        if (loaded != NULL)
          found_lost++;
        g_clear_error (&error);
      }
    /* Only single saves that fitted before the last one failed remain. */
    g_assert_cmpuint (all->len, ==, kept->len + found_lost);
    g_assert_cmpuint (found_lost, <=, 3);
  }

  save_ok (store, big);
}

/* A transaction SQLite rolled back by itself is not silently continued. */
static void
test_aborted_transaction (Fixture       *fx,
                          gconstpointer  data)
{
  g_autofree char *path = fixture_path (fx, "aborted.db");
  g_autoptr(CdStore) store = open_store (path);
  g_autoptr(GRand) rand = g_rand_new_with_seed (17);
  g_autoptr(CdTicket) t = make_ticket (rand, 1, NULL);
  g_autoptr(CdRecord) loaded = NULL;
  g_autoptr(GError) error = NULL;
  sqlite3 *db = _cd_store_get_db (store);

  g_assert_true (cd_store_begin (store, &error));
  g_assert_true (cd_store_begin (store, &error));
  /* What SQLite does after some I/O errors: the whole transaction goes. */
  g_assert_cmpint (sqlite3_exec (db, "ROLLBACK", NULL, NULL, NULL), ==, SQLITE_OK);

  g_assert_false (cd_store_save (store, CD_RECORD (t), &error));
  g_assert_error (error, CD_STORE_ERROR, CD_STORE_ERROR_ABORTED);
  g_clear_error (&error);
  cd_store_rollback (store);
  g_assert_false (cd_store_commit (store, &error));
  g_assert_error (error, CD_STORE_ERROR, CD_STORE_ERROR_ABORTED);
  g_clear_error (&error);
  g_assert_cmpuint (cd_store_get_depth (store), ==, 0);

  loaded = cd_store_load (store, CD_TYPE_TICKET, t->parent_instance.id, &error);
  g_assert_error (error, CD_STORE_ERROR, CD_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  save_ok (store, t);
}

/* Query plans ------------------------------------------------------------- */

typedef struct {
  const char *query;
  const char *must;     /* a substring of the plan */
  gboolean    ordered;  /* the index gives the order: no temp b-tree */
} PlanCase;

static const PlanCase plan_cases[] = {
  { "open_tickets", "USING INDEX tickets_open", TRUE },
  { "open_tickets.status", "SEARCH tickets USING INDEX tickets_open_status (status=?)", TRUE },
  { "open_tickets.area", "SEARCH tickets USING INDEX tickets_open_area (area=?)", TRUE },
  { "open_tickets.status.area", "SEARCH tickets USING INDEX tickets_open_", TRUE },
  { "open_tickets.crew", "SEARCH tickets USING INDEX tickets_open_crew (crew_id=?)", TRUE },
  { "open_tickets.status.crew", "SEARCH tickets USING INDEX tickets_open_", TRUE },
  { "open_tickets.area.crew", "SEARCH tickets USING INDEX tickets_open_", TRUE },
  { "open_tickets.status.area.crew", "SEARCH tickets USING INDEX tickets_open_", TRUE },
  { "count_open", "USING COVERING INDEX tickets_open_status", TRUE },
  { "deadlines", "USING INDEX tickets_deadline", TRUE },
  { "changes", "SEARCH sla_policies USING INDEX sla_policies_rev (rev>?)", TRUE },
  { "crews", "USING INDEX crews_live", TRUE },
  { "crews.utility", "SEARCH c USING INDEX crews_utility (utility=?)", TRUE },
  { "callbacks_due", "SEARCH callbacks USING INDEX callbacks_due (status=? AND due_at<?)", TRUE },
  /* A ticket has a handful of these: with statistics SQLite may sort
   * them rather than follow the index order, which is as cheap. */
  { "callbacks_for_ticket", "SEARCH callbacks USING INDEX callbacks_ticket (ticket_id=?)", FALSE },
  { "events_for_ticket", "SEARCH assignment_events USING INDEX assignment_events_ticket (ticket_id=?)", FALSE },
  { "find_user", "SEARCH users USING INDEX users_username (username=?)", TRUE },
  { "find_sla_policy", "SEARCH sla_policies USING INDEX sla_policies_key", TRUE },
  { "ticket.load", "SEARCH tickets USING INDEX sqlite_autoindex_tickets_1 (id=?)", TRUE },
  { "crew.load", "SEARCH c USING INDEX sqlite_autoindex_crews_1 (id=?)", TRUE },
  { "ticket.delete", "SEARCH tickets USING INDEX sqlite_autoindex_tickets_1 (id=?)", TRUE },
};

static char *
explain (CdStore    *store,
         const char *query)
{
  const char *sql = _cd_store_get_sql (store, query);
  g_autofree char *explain_sql = NULL;
  GString *plan = g_string_new (NULL);
  sqlite3_stmt *stmt = NULL;

  g_assert_nonnull (sql);
  explain_sql = g_strconcat ("EXPLAIN QUERY PLAN ", sql, NULL);
  g_assert_cmpint (sqlite3_prepare_v2 (_cd_store_get_db (store), explain_sql, -1, &stmt, NULL), ==, SQLITE_OK);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    g_string_append_printf (plan, "%s\n", (const char *) sqlite3_column_text (stmt, 3));
  sqlite3_finalize (stmt);

  return g_string_free (plan, FALSE);
}

static void
check_plans (CdStore    *store,
             const char *when)
{
  for (guint i = 0; i < G_N_ELEMENTS (plan_cases); i++)
    {
      const PlanCase *pc = &plan_cases[i];
      g_autofree char *plan = explain (store, pc->query);
      g_auto(GStrv) lines = g_strsplit (plan, "\n", -1);

      g_test_message ("%s, %s:\n%s", when, pc->query, plan);
      g_assert_nonnull (strstr (plan, pc->must));
      if (pc->ordered)
        g_assert_null (strstr (plan, "TEMP B-TREE"));

      /* Every SCAN walks an index (a partial one holds only the rows the
       * query wants): never a whole table. */
      for (guint j = 0; lines[j] != NULL; j++)
        if (g_str_has_prefix (lines[j], "SCAN "))
          g_assert_true (strstr (lines[j], "USING INDEX") != NULL ||
                         strstr (lines[j], "USING COVERING INDEX") != NULL);
    }

  /* The changes feed merges index walks per table instead of sorting. */
  {
    g_autofree char *plan = explain (store, "changes");
    const char *tables[] = { "tickets", "crews", "callbacks", "assignment_events", "users", "sla_policies" };

    g_assert_nonnull (strstr (plan, "MERGE (UNION ALL)"));
    for (guint i = 0; i < G_N_ELEMENTS (tables); i++)
      {
        g_autofree char *want = g_strdup_printf ("SEARCH %s USING INDEX %s_rev (rev>?)", tables[i], tables[i]);

        g_assert_nonnull (strstr (plan, want));
      }
  }
}

static void
test_query_plans (Fixture       *fx,
                  gconstpointer  data)
{
  g_autofree char *path = fixture_path (fx, "plans.db");
  g_autoptr(CdStore) store = open_store (path);
  Seed seed = { 0 };

  check_plans (store, "empty");

  /* With statistics of a realistic file (most tickets closed) the planner
   * must still choose the same indexes: reopen, so the statements are
   * prepared after ANALYZE. */
  seed_store (store, &seed, 3000, TRUE);
  g_assert_cmpint (sqlite3_exec (_cd_store_get_db (store), "ANALYZE", NULL, NULL, NULL), ==, SQLITE_OK);
  g_clear_object (&store);
  store = open_store (path);
  check_plans (store, "analyzed");

  seed_clear (&seed);
}

/* Server tables ------------------------------------------------------------ */

static void
test_passwords_and_sessions (Fixture       *fx,
                             gconstpointer  data)
{
  g_autofree char *path = fixture_path (fx, "auth.db");
  g_autoptr(CdStore) store = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *hash = NULL;
  g_autofree char *user = NULL;
  g_autofree char *expired = NULL;
  g_autofree char *gone = NULL;
  gint64 expires = 0;

  store = cd_store_open (path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (cd_store_get_schema_version (store), ==, CD_STORE_SCHEMA_VERSION);

  hash = cd_store_get_password (store, "u1", &error);
  g_assert_null (hash);
  g_assert_error (error, CD_STORE_ERROR, CD_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  g_assert_true (cd_store_set_password (store, "u1", "$argon2id$first", &error));
  g_assert_true (cd_store_set_password (store, "u1", "$argon2id$second", &error));
  g_assert_no_error (error);
  hash = cd_store_get_password (store, "u1", &error);
  g_assert_cmpstr (hash, ==, "$argon2id$second");

  g_assert_true (cd_store_add_session (store, "digest-a", "u1", 1000, &error));
  g_assert_no_error (error);
  user = cd_store_lookup_session (store, "digest-a", 999, &expires, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (user, ==, "u1");
  g_assert_cmpint (expires, ==, 1000);

  /* At its expiry time a session is no longer valid. */
  expired = cd_store_lookup_session (store, "digest-a", 1000, NULL, &error);
  g_assert_no_error (error);
  g_assert_null (expired);

  g_assert_true (cd_store_remove_session (store, "digest-a", &error));
  gone = cd_store_lookup_session (store, "digest-a", 0, NULL, &error);
  g_assert_no_error (error);
  g_assert_null (gone);
}

static void
test_mutation_log (Fixture       *fx,
                   gconstpointer  data)
{
  g_autofree char *path = fixture_path (fx, "log.db");
  g_autoptr(CdStore) store = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *result = NULL;
  g_autofree char *user = NULL;
  g_autofree char *unseen = NULL;

  store = cd_store_open (path, &error);
  g_assert_no_error (error);

  g_assert_true (cd_store_add_mutation (store, "m1", "u1", "{\"status\":\"applied\"}", 100, &error));
  g_assert_no_error (error);
  result = cd_store_find_mutation (store, "m1", &user, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (result, ==, "{\"status\":\"applied\"}");
  g_assert_cmpstr (user, ==, "u1");

  unseen = cd_store_find_mutation (store, "m2", NULL, &error);
  g_assert_no_error (error);
  g_assert_null (unseen);

  /* A UUID is logged once: a second entry is refused, not replaced. */
  g_assert_false (cd_store_add_mutation (store, "m1", "u2", "{}", 101, &error));
  g_assert_error (error, CD_STORE_ERROR, CD_STORE_ERROR_CONSTRAINT);
}

static void
test_purge_horizon (Fixture       *fx,
                    gconstpointer  data)
{
  g_autofree char *path = fixture_path (fx, "purge.db");
  g_autoptr(CdStore) store = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GRand) rand = g_rand_new_with_seed (7);
  g_autoptr(GPtrArray) changes = NULL;
  g_autofree char *logged = NULL;
  gboolean more = TRUE;
  char *ids[3];

  store = cd_store_open (path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (cd_store_get_horizon_rev (store, &error), ==, 0);

  g_assert_true (cd_store_begin (store, &error));
  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(CdTicket) t = make_ticket (rand, 1, NULL);

      CD_RECORD (t)->rev = cd_store_next_rev (store, &error);
      ids[i] = g_strdup (CD_RECORD (t)->id);
      g_assert_true (cd_store_save (store, CD_RECORD (t), &error));
    }
  g_assert_true (cd_store_delete (store, CD_TYPE_TICKET, ids[0], cd_store_next_rev (store, &error), &error));
  g_assert_true (cd_store_delete (store, CD_TYPE_TICKET, ids[1], cd_store_next_rev (store, &error), &error));
  g_assert_true (cd_store_commit (store, &error));
  g_assert_no_error (error);
  g_assert_true (cd_store_add_mutation (store, "old", "u", "{}", 10, &error));
  g_assert_true (cd_store_add_mutation (store, "new", "u", "{}", 5000, &error));

  /* Tombstones at revs 4 and 5: purge up to 4. */
  g_assert_true (cd_store_purge (store, 4, 1000, &error));
  g_assert_no_error (error);
  g_assert_cmpint (cd_store_get_horizon_rev (store, &error), ==, 4);

  changes = cd_store_list_changes (store, 0, 1000, &more, &error);
  g_assert_no_error (error);
  /* Live ticket 3 (rev 3) and the tombstone of ticket 2 (rev 5) remain. */
  g_assert_cmpuint (changes->len, ==, 2);
  g_assert_cmpstr (((CdStoreChange *) g_ptr_array_index (changes, 0))->id, ==, ids[2]);
  g_assert_cmpstr (((CdStoreChange *) g_ptr_array_index (changes, 1))->id, ==, ids[1]);
  g_assert_null (((CdStoreChange *) g_ptr_array_index (changes, 1))->record);

  g_assert_null (cd_store_find_mutation (store, "old", NULL, &error));
  logged = cd_store_find_mutation (store, "new", NULL, &error);
  g_assert_nonnull (logged);

  /* The horizon never moves back. */
  g_assert_true (cd_store_purge (store, 2, 0, &error));
  g_assert_cmpint (cd_store_get_horizon_rev (store, &error), ==, 4);

  for (guint i = 0; i < 3; i++)
    g_free (ids[i]);
}

static void
test_read_transaction (Fixture       *fx,
                       gconstpointer  data)
{
  g_autofree char *path = fixture_path (fx, "read.db");
  g_autoptr(CdStore) writer = NULL;
  g_autoptr(CdStore) reader = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GRand) rand = g_rand_new_with_seed (9);
  g_autoptr(CdTicket) t = make_ticket (rand, 1, NULL);

  writer = cd_store_open (path, &error);
  g_assert_no_error (error);
  reader = cd_store_open (path, &error);
  g_assert_no_error (error);

  g_assert_true (cd_store_begin_read (reader, &error));
  g_assert_cmpint (cd_store_get_last_rev (reader, &error), ==, 0);

  /* The writer commits while the reader's transaction is open (WAL). */
  g_assert_true (cd_store_begin (writer, &error));
  CD_RECORD (t)->rev = cd_store_next_rev (writer, &error);
  g_assert_true (cd_store_save (writer, CD_RECORD (t), &error));
  g_assert_true (cd_store_commit (writer, &error));

  /* The reader still sees the state it started with... */
  g_assert_cmpint (cd_store_get_last_rev (reader, &error), ==, 0);
  cd_store_rollback (reader);
  /* ...and the new one after. */
  g_assert_cmpint (cd_store_get_last_rev (reader, &error), ==, 1);
  g_assert_no_error (error);
}

static void
test_changes_json (Fixture       *fx,
                   gconstpointer  data)
{
  g_autofree char *path = fixture_path (fx, "json.db");
  g_autoptr(CdStore) store = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GRand) rand = g_rand_new_with_seed (5);
  g_autoptr(GPtrArray) decoded = NULL;
  g_autoptr(GPtrArray) raw = NULL;
  gboolean more_a = FALSE, more_b = FALSE;
  char *deleted_id = NULL;

  store = cd_store_open (path, &error);
  g_assert_no_error (error);
  g_assert_true (cd_store_begin (store, &error));
  for (guint i = 0; i < 20; i++)
    {
      g_autoptr(CdTicket) t = make_ticket (rand, i, NULL);

      CD_RECORD (t)->rev = cd_store_next_rev (store, &error);
      g_assert_true (cd_store_save (store, CD_RECORD (t), &error));
      if (i == 3)
        deleted_id = g_strdup (CD_RECORD (t)->id);
    }
  g_assert_true (cd_store_delete (store, CD_TYPE_TICKET, deleted_id, cd_store_next_rev (store, &error), &error));
  g_assert_true (cd_store_commit (store, &error));

  decoded = cd_store_list_changes (store, 2, 10, &more_a, &error);
  raw = cd_store_list_changes_json (store, 2, 10, &more_b, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (decoded->len, ==, raw->len);
  g_assert_true (more_a == more_b);
  for (guint i = 0; i < raw->len; i++)
    {
      CdStoreChange *a = g_ptr_array_index (decoded, i);
      CdStoreChange *b = g_ptr_array_index (raw, i);
      g_autoptr(CdRecord) r = NULL;

      g_assert_cmpstr (a->id, ==, b->id);
      g_assert_cmpint (a->rev, ==, b->rev);
      g_assert_null (b->record);
      r = cd_record_new_from_data (CD_TYPE_TICKET, b->json, -1, CD_DECODE_STRICT, &error);
      g_assert_no_error (error);
      g_assert_true (cd_record_equal (a->record, r));
    }

  /* The tombstone: no record, no text. */
  g_clear_pointer (&raw, g_ptr_array_unref);
  raw = cd_store_list_changes_json (store, 20, 10, &more_b, &error);
  g_assert_cmpuint (raw->len, ==, 1);
  g_assert_cmpstr (((CdStoreChange *) g_ptr_array_index (raw, 0))->id, ==, deleted_id);
  g_assert_null (((CdStoreChange *) g_ptr_array_index (raw, 0))->json);
  g_free (deleted_id);
}

static void
test_changes_whole_revisions (Fixture       *fx,
                              gconstpointer  data)
{
  g_autofree char *path = fixture_path (fx, "revs.db");
  g_autoptr(CdStore) store = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GRand) rand = g_rand_new_with_seed (3);
  g_autoptr(GPtrArray) page = NULL;
  g_autoptr(GPtrArray) rest = NULL;
  gboolean more = FALSE;
  gint64 rev;

  store = cd_store_open (path, &error);
  g_assert_no_error (error);

  /* Rev 1: one ticket. Rev 2: a ticket and two events, as one mutation
   * writes them. Rev 3: one more ticket. */
  g_assert_true (cd_store_begin (store, &error));
  for (guint r = 1; r <= 3; r++)
    {
      guint n = r == 2 ? 3 : 1;

      rev = cd_store_next_rev (store, &error);
      for (guint i = 0; i < n; i++)
        {
          g_autoptr(CdRecord) rec = i == 0 ? CD_RECORD (make_ticket (rand, r * 10 + i, NULL))
                                           : CD_RECORD (make_event ("6f1c2a4e-3b7d-4c1e-9a55-0d2f6e8b1c01", NULL, T0));

          rec->rev = rev;
          g_assert_true (cd_store_save (store, rec, &error));
        }
    }
  g_assert_true (cd_store_commit (store, &error));
  g_assert_no_error (error);

  /* A page of 2 would end inside rev 2: it runs on to the end of it. */
  page = cd_store_list_changes (store, 0, 2, &more, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (page->len, ==, 4);
  g_assert_true (more);
  g_assert_cmpint (((CdStoreChange *) g_ptr_array_index (page, 3))->rev, ==, 2);

  rest = cd_store_list_changes (store, 2, 2, &more, &error);
  g_assert_cmpuint (rest->len, ==, 1);
  g_assert_false (more);
  g_assert_cmpint (((CdStoreChange *) g_ptr_array_index (rest, 0))->rev, ==, 3);
}

static void
test_crew_position_not_in_row (Fixture       *fx,
                               gconstpointer  data)
{
  g_autofree char *path = fixture_path (fx, "crewpos.db");
  g_autoptr(CdStore) store = NULL;
  g_autoptr(GError) error = NULL;
    g_autoptr(CdCrew) crew = make_crew (1);
  g_autoptr(CdCrew) loaded = NULL;
  g_autoptr(CdCrew) reloaded = NULL;
  g_autoptr(GPtrArray) raw = NULL;
  gboolean more;

  store = cd_store_open (path, &error);
  g_assert_no_error (error);
  crew->lat = 39.91;
  crew->lon = 116.61;
  crew->position_at = T0 + 100;

  g_assert_true (cd_store_begin (store, &error));
  CD_RECORD (crew)->rev = cd_store_next_rev (store, &error);
  g_assert_true (cd_store_save (store, CD_RECORD (crew), &error));
  g_assert_true (cd_store_commit (store, &error));

  /* Saving a crew records its position beside the row, not in it. */
  raw = cd_store_list_changes_json (store, 0, 10, &more, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (raw->len, ==, 1);
  g_assert_null (strstr (((CdStoreChange *) g_ptr_array_index (raw, 0))->json, "39.91"));
  loaded = cd_store_load (store, CD_TYPE_CREW, CD_RECORD (crew)->id, &error);
  g_assert_cmpfloat (loaded->lat, ==, 39.91);
  g_assert_cmpint (loaded->position_at, ==, T0 + 100);

  /* A report in the same second as the stored one wins: it came later. */
  g_assert_true (cd_store_set_crew_position (store, CD_RECORD (crew)->id, 39.92, 116.62, 90, 30, T0 + 100, &error));
  reloaded = cd_store_load (store, CD_TYPE_CREW, CD_RECORD (crew)->id, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat (reloaded->lat, ==, 39.92);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  cd_model_init ();

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("/store/migrations", test_migrations);
  g_test_add_func ("/store/memory", test_memory);
  ADD ("/store/round-trip", test_round_trip);
  g_test_add_func ("/store/unique", test_unique);
  g_test_add_func ("/store/invalid-utf8", test_invalid_utf8);
  ADD ("/store/queries", test_queries);
  ADD ("/store/changes", test_changes);
  ADD ("/store/transactions", test_transactions);
  ADD ("/store/aborted-transaction", test_aborted_transaction);
  for (guint i = 0; i < G_N_ELEMENTS (bad_cases); i++)
    {
      g_autofree char *name = g_strdup_printf ("/store/bad-file/%s", bad_cases[i].name);

      g_test_add (name, Fixture, &bad_cases[i], fixture_set_up, test_bad_file, fixture_tear_down);
    }
  ADD ("/store/bad-file/deep-damage", test_deep_damage);
  ADD ("/store/bad-file/not-a-file", test_not_a_file);
  ADD ("/store/disk-full", test_disk_full);
  ADD ("/store/query-plans", test_query_plans);
  ADD ("/store/server/passwords-sessions", test_passwords_and_sessions);
  ADD ("/store/server/mutation-log", test_mutation_log);
  ADD ("/store/server/purge-horizon", test_purge_horizon);
  ADD ("/store/read-transaction", test_read_transaction);
  ADD ("/store/changes-json", test_changes_json);
  ADD ("/store/changes-whole-revisions", test_changes_whole_revisions);
  ADD ("/store/crew-position-not-in-row", test_crew_position_not_in_row);
#undef ADD

  return g_test_run ();
}
