/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-sync-store.c: the client cache's tables in the store (schema 3):
 * the outbox, conflicts, client values, saving server text as it is. */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "cd-model.h"
#include "cd-store.h"

#define TICKET_JSON(id, status, crew) \
  "{\"id\":\"" id "\",\"version\":2,\"rev\":7,\"number\":\"HT-1\",\"channel\":\"hotline\"," \
  "\"category\":\"no-heat\",\"urgency\":\"urgent\",\"utility\":\"heat\",\"status\":\"" status "\"," \
  "\"customer\":{\"name\":\"Wang Fang\"},\"address\":\"1 Elm Road\",\"lat\":39.9,\"lon\":116.4," \
  "\"area\":\"eastbank\",\"crew_id\":" crew ",\"created_at\":\"2026-01-01T00:00:00Z\"," \
  "\"from_a_newer_server\":{\"x\":1}}"

#define T1 "6f1c2a4e-3b7d-4c1e-9a55-0d2f6e8b1c01"
#define C1 "6f1c2a4e-3b7d-4c1e-9a55-0d2f6e8b1c02"

static CdStore *
open_store (char **dir)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  CdStore *store;

  *dir = g_dir_make_tmp ("crewdesk-sync-store-XXXXXX", &error);
  g_assert_no_error (error);
  path = g_build_filename (*dir, "cache.db", NULL);
  store = cd_store_open (path, &error);
  g_assert_no_error (error);
  /* The client's tables came with schema 3; later ones keep them. */
  g_assert_cmpuint (cd_store_get_schema_version (store), >=, 3);

  return store;
}

static void
close_store (CdStore *store,
             char    *dir)
{
  g_autofree char *path = g_strdup (cd_store_get_path (store));
  g_autofree char *wal = g_strconcat (path, "-wal", NULL);
  g_autofree char *shm = g_strconcat (path, "-shm", NULL);

  g_object_unref (store);
  g_unlink (path);
  g_unlink (wal);
  g_unlink (shm);
  g_rmdir (dir);
  g_free (dir);
}

static void
test_outbox (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) waiting = NULL;
  g_autoptr(CdOutboxEntry) entry = NULL;
  char *dir = NULL;
  CdStore *store = open_store (&dir);
  gint64 seq = 0, previous = 0;
  gboolean changed = FALSE;

  for (guint i = 0; i < 5; i++)
    {
      g_autofree char *id = g_strdup_printf ("00000000-0000-4000-8000-00000000000%u", i);
      g_autofree char *json = g_strdup_printf ("{\"id\":\"%s\",\"op\":\"ticket.resume\",\"target\":\"" T1 "\"}", id);

      g_assert_true (cd_store_outbox_add (store, id, json, 1000 + i, &seq, &error));
      g_assert_no_error (error);
      g_assert_cmpint (seq, >, previous);
      previous = seq;
    }

  /* An id is queued once. */
  g_assert_false (cd_store_outbox_add (store, "00000000-0000-4000-8000-000000000001", "{}", 1, NULL, &error));
  g_assert_error (error, CD_STORE_ERROR, CD_STORE_ERROR_CONSTRAINT);
  g_clear_error (&error);

  g_assert_cmpint (cd_store_outbox_count_waiting (store, NULL), ==, 5);
  g_assert_true (cd_store_outbox_mark_sent (store, "00000000-0000-4000-8000-000000000000", &error));
  g_assert_true (cd_store_outbox_mark_sent (store, "00000000-0000-4000-8000-000000000000", &error));
  g_assert_true (cd_store_outbox_finish (store, "00000000-0000-4000-8000-000000000001", CD_OUTBOX_DONE,
                                         NULL, &changed, &error));
  g_assert_true (changed);
  /* A replayed result does not finish it twice. */
  g_assert_true (cd_store_outbox_finish (store, "00000000-0000-4000-8000-000000000001", CD_OUTBOX_CONFLICT,
                                         "late", &changed, &error));
  g_assert_false (changed);
  g_assert_true (cd_store_outbox_finish (store, "00000000-0000-4000-8000-000000000003", CD_OUTBOX_REJECTED,
                                         "No.", &changed, &error));
  g_assert_no_error (error);

  /* Waiting: pending and sent, in order. */
  waiting = cd_store_outbox_list_waiting (store, 0, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (waiting->len, ==, 3);
  g_assert_cmpstr (((CdOutboxEntry *) g_ptr_array_index (waiting, 0))->id, ==, "00000000-0000-4000-8000-000000000000");
  g_assert_cmpint (((CdOutboxEntry *) g_ptr_array_index (waiting, 0))->state, ==, CD_OUTBOX_SENT);
  g_assert_cmpint (((CdOutboxEntry *) g_ptr_array_index (waiting, 0))->attempts, ==, 2);
  g_assert_cmpstr (((CdOutboxEntry *) g_ptr_array_index (waiting, 1))->id, ==, "00000000-0000-4000-8000-000000000002");
  g_assert_cmpstr (((CdOutboxEntry *) g_ptr_array_index (waiting, 2))->id, ==, "00000000-0000-4000-8000-000000000004");
  g_clear_pointer (&waiting, g_ptr_array_unref);
  waiting = cd_store_outbox_list_waiting (store, previous - 2, 1, &error);
  g_assert_cmpstr (((CdOutboxEntry *) g_ptr_array_index (waiting, 0))->id, ==, "00000000-0000-4000-8000-000000000004");
  g_assert_cmpuint (waiting->len, ==, 1);
  g_assert_cmpint (cd_store_outbox_count_waiting (store, NULL), ==, 3);

  entry = cd_store_outbox_get (store, "00000000-0000-4000-8000-000000000003", &error);
  g_assert_nonnull (entry);
  g_assert_cmpint (entry->state, ==, CD_OUTBOX_REJECTED);
  g_assert_cmpstr (entry->last_error, ==, "No.");
  g_assert_null (cd_store_outbox_get (store, "00000000-0000-4000-8000-000000000009", &error));
  g_assert_no_error (error);

  g_assert_true (cd_store_outbox_purge_done (store, 2000, &error));
  g_clear_pointer (&entry, cd_outbox_entry_free);
  g_assert_null (cd_store_outbox_get (store, "00000000-0000-4000-8000-000000000001", &error));

  close_store (store, dir);
}

static void
test_conflicts (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) list = NULL;
  char *dir = NULL;
  CdStore *store = open_store (&dir);
  CdStoreConflict c = { 0 };
  CdStoreConflict *got;

  c.mutation_id = (char *) "00000000-0000-4000-8000-000000000001";
  c.mutation = (char *) "{}";
  c.kind = (char *) "ticket";
  c.target = (char *) T1;
  c.mine = (char *) "{\"crew_id\":\"a\"}";
  c.current = (char *) "{\"crew_id\":\"b\"}";
  c.changed_by = (char *) "d2";
  c.code = (char *) "conflict";
  c.message = (char *) "Assigned in the meantime.";
  c.at = 42;
  g_assert_true (cd_store_add_conflict (store, &c, &error));
  g_assert_no_error (error);
  g_assert_cmpint (c.id, >, 0);
  /* The same mutation's result again: kept once. */
  g_assert_true (cd_store_add_conflict (store, &c, &error));

  list = cd_store_list_conflicts (store, &error);
  g_assert_cmpuint (list->len, ==, 1);
  got = g_ptr_array_index (list, 0);
  g_assert_cmpstr (got->changed_by, ==, "d2");
  g_assert_cmpstr (got->current, ==, "{\"crew_id\":\"b\"}");
  g_assert_cmpint (got->at, ==, 42);

  g_assert_true (cd_store_remove_conflict (store, got->id, &error));
  g_assert_false (cd_store_remove_conflict (store, got->id, &error));
  g_assert_error (error, CD_STORE_ERROR, CD_STORE_ERROR_NOT_FOUND);

  close_store (store, dir);
}

static void
test_save_json (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CdTicket) ticket = NULL;
  g_autoptr(GPtrArray) open = NULL;
  g_autoptr(GPtrArray) changes = NULL;
  g_autofree char *value = NULL;
  char *dir = NULL;
  CdStore *store = open_store (&dir);
  CdStoreChange *change;

  g_assert_true (cd_store_save_json (store, "ticket", TICKET_JSON (T1, "assigned", "\"" C1 "\""), -1, &error));
  g_assert_no_error (error);

  /* The query columns come from the decoded record... */
  open = cd_store_list_open_tickets (store, CD_TICKET_STATUS_ASSIGNED, "eastbank", C1, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (open->len, ==, 1);
  ticket = cd_store_load (store, CD_TYPE_TICKET, T1, &error);
  g_assert_cmpint (CD_RECORD (ticket)->version, ==, 2);
  g_assert_cmpint (CD_RECORD (ticket)->rev, ==, 7);

  /* ...the text is the server's, as it came (members a newer one added). */
  changes = cd_store_list_changes_json (store, 0, 10, NULL, &error);
  g_assert_cmpuint (changes->len, ==, 1);
  change = g_ptr_array_index (changes, 0);
  g_assert_cmpstr (change->json, ==, TICKET_JSON (T1, "assigned", "\"" C1 "\""));

  /* Not a ticket: refused, nothing saved. */
  g_assert_false (cd_store_save_json (store, "ticket", "{\"id\":\"" T1 "\",\"lat\":\"north\"}", -1, &error));
  g_assert_true (error != NULL && error->domain == CD_CODEC_ERROR);
  g_clear_error (&error);
  g_assert_false (cd_store_save_json (store, "weather", "{}", -1, &error));
  g_assert_error (error, CD_STORE_ERROR, CD_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* Client values; clearing the rows keeps them and the outbox. */
  g_assert_true (cd_store_set_client_value (store, "user", "{\"a\":1}", &error));
  g_assert_true (cd_store_outbox_add (store, "00000000-0000-4000-8000-000000000001", "{}", 1, NULL, &error));
  g_assert_true (cd_store_begin (store, &error));
  g_assert_true (cd_store_clear_records (store, &error));
  g_assert_true (cd_store_commit (store, &error));
  g_assert_no_error (error);
  g_assert_null (cd_store_load (store, CD_TYPE_TICKET, T1, NULL));
  value = cd_store_get_client_value (store, "user", &error);
  g_assert_cmpstr (value, ==, "{\"a\":1}");
  g_assert_cmpint (cd_store_outbox_count_waiting (store, NULL), ==, 1);

  close_store (store, dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  cd_model_init ();

  g_test_add_func ("/sync/store/outbox", test_outbox);
  g_test_add_func ("/sync/store/conflicts", test_conflicts);
  g_test_add_func ("/sync/store/save-json", test_save_json);

  return g_test_run ();
}
