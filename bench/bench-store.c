/* SPDX-License-Identifier: GPL-3.0-or-later */
/* bench-store.c: the store at a utility's scale. Inserts N tickets the way
 * the server does (a revision per ticket, batches in transactions), then
 * times the queries the views run.
 *
 * Output: one "key: value" per line; times in milliseconds unless the key
 * says otherwise, medians over --runs runs.
 */

#include "config.h"

#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cd-model.h"
#include "cd-store.h"
#include "cd-store-private.h"
#include "cd-bench-data.h"

#define N_AREAS CD_BENCH_N_AREAS
#define N_CREWS 200

static gint n_tickets = 100000;
static gint batch = 1000;
static gint n_runs = 201;
static gint n_commits = 300;
static char *db_path = NULL;

static GOptionEntry entries[] = {
  { "tickets", 0, 0, G_OPTION_ARG_INT, &n_tickets, "Number of tickets", "N" },
  { "db", 0, 0, G_OPTION_ARG_FILENAME, &db_path, "Store file (default: a temporary file, deleted)", "PATH" },
  { "batch", 0, 0, G_OPTION_ARG_INT, &batch, "Tickets per insert transaction", "N" },
  { "runs", 0, 0, G_OPTION_ARG_INT, &n_runs, "Runs per timed query (median)", "N" },
  { "commits", 0, 0, G_OPTION_ARG_INT, &n_commits, "Single-ticket transactions timed per synchronous mode", "N" },
  { NULL }
};

static void
die_on_error (const char *what,
              GError     *error)
{
  if (error != NULL)
    {
      fprintf (stderr, "bench-store: %s: %s\n", what, error->message);
      exit (1);
    }
}

static double
now_ms (void)
{
  return g_get_monotonic_time () / 1000.0;
}

static int
cmp_double (const void *a,
            const void *b)
{
  double x = *(const double *) a;
  double y = *(const double *) b;

  return x < y ? -1 : x > y;
}

static double
median (double *v,
        guint   n)
{
  qsort (v, n, sizeof *v, cmp_double);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* The server's way: a revision per record, inside the batch's
 * transaction. */
static void
save_with_rev (CdStore  *store,
               CdRecord *record)
{
  g_autoptr(GError) error = NULL;

  record->rev = cd_store_next_rev (store, &error);
  die_on_error ("next_rev", error);
  record->version++;
  cd_store_save (store, record, &error);
  die_on_error ("save", error);
}

typedef GPtrArray *(*QueryFunc) (CdStore *store, guint run, guint *rows);

static void
time_query (CdStore    *store,
            const char *key,
            QueryFunc   func)
{
  g_autofree double *times = g_new (double, n_runs);
  guint rows = 0;
  gsize total_rows = 0;

  /* One untimed run warms the page cache and the statement. */
  g_ptr_array_unref (func (store, 0, &rows));
  for (gint i = 0; i < n_runs; i++)
    {
      double start = now_ms ();
      GPtrArray *result = func (store, i, &rows);

      times[i] = now_ms () - start;
      total_rows += rows;
      g_ptr_array_unref (result);
    }

  printf ("%s_ms: %.3f\n", key, median (times, n_runs));
  printf ("%s_rows: %.1f\n", key, (double) total_rows / n_runs);
}

static GPtrArray *
query_open_by_area (CdStore *store,
                    guint    run,
                    guint   *rows)
{
  g_autoptr(GError) error = NULL;
  GPtrArray *result = cd_store_list_open_tickets (store, CD_STORE_ANY, cd_bench_area_name (run % N_AREAS),
                                                  NULL, &error);

  die_on_error ("open tickets by area", error);
  *rows = result->len;
  return result;
}

static GPtrArray *
query_open_all (CdStore *store,
                guint    run,
                guint   *rows)
{
  g_autoptr(GError) error = NULL;
  GPtrArray *result = cd_store_list_open_tickets (store, CD_STORE_ANY, NULL, NULL, &error);

  die_on_error ("open tickets", error);
  *rows = result->len;
  return result;
}

static GPtrArray *
query_open_by_area_status (CdStore *store,
                           guint    run,
                           guint   *rows)
{
  g_autoptr(GError) error = NULL;
  GPtrArray *result = cd_store_list_open_tickets (store, CD_TICKET_STATUS_EN_ROUTE,
                                                  cd_bench_area_name (run % N_AREAS), NULL, &error);

  die_on_error ("open tickets by area and status", error);
  *rows = result->len;
  return result;
}

static GPtrArray *
query_deadlines (CdStore *store,
                 guint    run,
                 guint   *rows)
{
  g_autoptr(GError) error = NULL;
  GPtrArray *result = cd_store_list_running_deadlines (store, 50, &error);

  die_on_error ("running deadlines", error);
  *rows = result->len;
  return result;
}

static gint64 last_rev;

static GPtrArray *
query_changes_page (CdStore *store,
                    guint    run,
                    guint   *rows)
{
  g_autoptr(GError) error = NULL;
  gboolean more = FALSE;
  /* Pages from spread-out points of the history. */
  gint64 since = (last_rev - 1000) * (run % 97) / 97;
  GPtrArray *result = cd_store_list_changes (store, since, 1000, &more, &error);

  die_on_error ("changes", error);
  *rows = result->len;
  return result;
}

static GPtrArray *
query_count_open (CdStore *store,
                  guint    run,
                  guint   *rows)
{
  g_autoptr(GError) error = NULL;
  CdStoreTicketCounts counts;

  cd_store_count_open_tickets (store, &counts, &error);
  die_on_error ("count", error);
  *rows = counts.total;
  return g_ptr_array_new ();
}

static GPtrArray *
query_load (CdStore *store,
            guint    run,
            guint   *rows)
{
  static GPtrArray *ids = NULL;
  g_autoptr(GError) error = NULL;
  GPtrArray *result = g_ptr_array_new_with_free_func (g_object_unref);

  if (ids == NULL)
    {
      g_autoptr(GPtrArray) open = cd_store_list_open_tickets (store, CD_STORE_ANY, NULL, NULL, &error);

      die_on_error ("ids", error);
      ids = g_ptr_array_new_with_free_func (g_free);
      for (guint i = 0; i < open->len; i++)
        g_ptr_array_add (ids, g_strdup (cd_record_get_id (g_ptr_array_index (open, i))));
    }

  g_ptr_array_add (result, cd_store_load (store, CD_TYPE_TICKET, g_ptr_array_index (ids, run % ids->len), &error));
  die_on_error ("load", error);
  *rows = 1;
  return result;
}

static void
plan_of (CdStore    *store,
         const char *key,
         const char *query)
{
  g_autofree char *sql = g_strconcat ("EXPLAIN QUERY PLAN ", _cd_store_get_sql (store, query), NULL);
  sqlite3_stmt *stmt = NULL;
  GString *plan = g_string_new (NULL);

  sqlite3_prepare_v2 (_cd_store_get_db (store), sql, -1, &stmt, NULL);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      const char *detail = (const char *) sqlite3_column_text (stmt, 3);

      /* The changes plan repeats its merge scaffolding: keep the walks. */
      if (strstr (detail, "SCAN") || strstr (detail, "SEARCH") || strstr (detail, "TEMP"))
        g_string_append_printf (plan, "%s%s", plan->len ? "; " : "", detail);
    }
  sqlite3_finalize (stmt);
  printf ("plan_%s: %s\n", key, plan->str);
  g_string_free (plan, TRUE);
}

/* The same SQL without decoding the JSON: how much of a query is SQLite
 * and how much the codec. */
static void
time_sql_only (CdStore    *store,
               const char *key,
               const char *query,
               gint64      since)
{
  g_autofree double *times = g_new (double, n_runs);
  sqlite3_stmt *stmt = NULL;

  sqlite3_prepare_v2 (_cd_store_get_db (store), _cd_store_get_sql (store, query), -1, &stmt, NULL);
  for (gint i = 0; i < n_runs; i++)
    {
      double start = now_ms ();
      gsize bytes = 0;

      if (since >= 0)
        {
          sqlite3_bind_int64 (stmt, 1, since * (i % 97) / 97);
          sqlite3_bind_int64 (stmt, 2, 1000);
        }
      while (sqlite3_step (stmt) == SQLITE_ROW)
        bytes += sqlite3_column_bytes (stmt, sqlite3_column_count (stmt) - 1);
      sqlite3_reset (stmt);
      times[i] = now_ms () - start;
      g_assert (bytes > 0);
    }
  sqlite3_finalize (stmt);

  printf ("%s_sql_only_ms: %.3f\n", key, median (times, n_runs));
}

static void
time_commits (CdStore    *store,
              const char *key,
              GPtrArray  *tickets)
{
  g_autoptr(GError) error = NULL;
  double start = now_ms ();
  double elapsed;

  for (gint i = 0; i < n_commits; i++)
    {
      CdTicket *t = g_ptr_array_index (tickets, i % tickets->len);

      cd_store_begin (store, &error);
      die_on_error ("begin", error);
      t->updated_at++;
      save_with_rev (store, CD_RECORD (t));
      cd_store_commit (store, &error);
      die_on_error ("commit", error);
    }
  elapsed = now_ms () - start;
  printf ("%s_per_s: %.0f\n", key, n_commits / (elapsed / 1000.0));
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = g_option_context_new ("- time the SQLite store");
  g_autoptr(GError) error = NULL;
  g_autoptr(CdStore) store = NULL;
  g_autoptr(GPtrArray) crews = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) sample = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GRand) rand = g_rand_new_with_seed (20240611);
  g_autofree char *tmp_dir = NULL;
  gboolean temporary = FALSE;
  double start, elapsed;
  GStatBuf st;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    die_on_error ("options", error);
  if (n_tickets < 1 || batch < 1 || n_runs < 1)
    {
      fprintf (stderr, "bench-store: --tickets, --batch and --runs must be positive\n");
      return 1;
    }

  cd_model_init ();

  if (db_path == NULL)
    {
      tmp_dir = g_dir_make_tmp ("crewdesk-bench-XXXXXX", &error);
      die_on_error ("temporary folder", error);
      db_path = g_build_filename (tmp_dir, "bench.db", NULL);
      temporary = TRUE;
    }

  printf ("sqlite_version: %s\n", sqlite3_libversion ());
  printf ("tickets: %d\n", n_tickets);
  printf ("batch: %d\n", batch);

  store = cd_store_open (db_path, &error);
  die_on_error ("open", error);

  /* Insert. */
  cd_store_begin (store, &error);
  for (guint i = 0; i < N_CREWS; i++)
    {
      CdCrew *c = cd_bench_make_crew (i);

      save_with_rev (store, CD_RECORD (c));
      g_ptr_array_add (crews, c);
    }
  cd_store_commit (store, &error);
  die_on_error ("crews", error);

  start = now_ms ();
  for (gint done = 0; done < n_tickets;)
    {
      cd_store_begin (store, &error);
      die_on_error ("begin", error);
      for (gint i = 0; i < batch && done < n_tickets; i++, done++)
        {
          CdTicket *t = cd_bench_make_ticket (rand, done, n_tickets, 5, crews);

          save_with_rev (store, CD_RECORD (t));
          if (done % 97 == 0 && sample->len < 1000)
            g_ptr_array_add (sample, t);
          else
            g_object_unref (t);
        }
      cd_store_commit (store, &error);
      die_on_error ("commit", error);
    }
  elapsed = now_ms () - start;
  printf ("insert_total_s: %.2f\n", elapsed / 1000.0);
  printf ("insert_per_s: %.0f\n", n_tickets / (elapsed / 1000.0));

  last_rev = cd_store_get_last_rev (store, &error);
  die_on_error ("last rev", error);
  printf ("last_rev: %" G_GINT64_FORMAT "\n", last_rev);

  /* Reopen, as the server or the app would start, before timing reads. */
  g_clear_object (&store);
  start = now_ms ();
  store = cd_store_open (db_path, &error);
  die_on_error ("reopen", error);
  printf ("open_existing_ms: %.2f\n", now_ms () - start);

  time_query (store, "open_by_area", query_open_by_area);
  time_query (store, "open_by_area_status", query_open_by_area_status);
  time_query (store, "open_all", query_open_all);
  time_query (store, "count_open", query_count_open);
  time_query (store, "running_deadlines_50", query_deadlines);
  time_query (store, "changes_page_1000", query_changes_page);
  time_query (store, "load_by_id", query_load);
  time_sql_only (store, "open_all", "open_tickets", -1);
  time_sql_only (store, "changes_page_1000", "changes", last_rev - 1000);

  /* The changes feed walked from 0 to the end, as a new client does. */
  {
    gint64 since = 0;
    gboolean more = TRUE;
    gsize rows = 0;

    start = now_ms ();
    while (more)
      {
        g_autoptr(GPtrArray) page = cd_store_list_changes (store, since, 1000, &more, &error);

        die_on_error ("changes walk", error);
        rows += page->len;
        if (page->len > 0)
          since = ((CdStoreChange *) g_ptr_array_index (page, page->len - 1))->rev;
      }
    elapsed = now_ms () - start;
    printf ("changes_full_walk_s: %.2f\n", elapsed / 1000.0);
    printf ("changes_full_walk_rows: %" G_GSIZE_FORMAT "\n", rows);
    printf ("changes_full_walk_rows_per_s: %.0f\n", rows / (elapsed / 1000.0));
  }

  plan_of (store, "open_by_area", "open_tickets.area");
  plan_of (store, "open_by_area_status", "open_tickets.status.area");
  plan_of (store, "running_deadlines", "deadlines");
  plan_of (store, "count_open", "count_open");
  plan_of (store, "changes", "changes");

  /* One mutation per transaction, as the server commits them. */
  time_commits (store, "commit_normal", sample);
  cd_store_set_synchronous_full (store, TRUE, &error);
  die_on_error ("synchronous", error);
  time_commits (store, "commit_full", sample);
  cd_store_set_synchronous_full (store, FALSE, &error);

  start = now_ms ();
  cd_store_check (store, &error);
  die_on_error ("check", error);
  printf ("quick_check_s: %.2f\n", (now_ms () - start) / 1000.0);

  g_clear_object (&store);
  if (g_stat (db_path, &st) == 0)
    {
      printf ("file_bytes: %" G_GINT64_FORMAT "\n", (gint64) st.st_size);
      printf ("file_mib: %.1f\n", st.st_size / 1048576.0);
      printf ("bytes_per_ticket: %.0f\n", (double) st.st_size / n_tickets);
    }

  if (temporary)
    {
      g_autofree char *wal = g_strconcat (db_path, "-wal", NULL);
      g_autofree char *shm = g_strconcat (db_path, "-shm", NULL);

      g_unlink (db_path);
      g_unlink (wal);
      g_unlink (shm);
      g_rmdir (tmp_dir);
    }

  g_free (db_path);

  return 0;
}
