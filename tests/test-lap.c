/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-lap.c: the assignment solver against brute force and a reference. */

#include "config.h"

#include <math.h>

#include "cd-lap.h"

typedef struct {
  guint         n_rows;
  guint         n_cols;
  const double *cost;
  gboolean     *col_used;
  guint         best_count;
  double        best_cost;
} Brute;

/* Tries every injective partial assignment (each row: a free feasible
 * column, or none) and keeps the largest, then cheapest. */
static void
brute_visit (Brute  *b,
             guint   row,
             guint   count,
             double  sum)
{
  if (row == b->n_rows)
    {
      if (count > b->best_count ||
          (count == b->best_count && sum < b->best_cost))
        {
          b->best_count = count;
          b->best_cost = sum;
        }
      return;
    }

  brute_visit (b, row + 1, count, sum);
  for (guint c = 0; c < b->n_cols; c++)
    {
      double x = b->cost[row * b->n_cols + c];

      if (b->col_used[c] || !isfinite (x))
        continue;
      b->col_used[c] = TRUE;
      brute_visit (b, row + 1, count + 1, sum + x);
      b->col_used[c] = FALSE;
    }
}

static void
brute_force (guint         n_rows,
             guint         n_cols,
             const double *cost,
             guint        *count,
             double       *total)
{
  g_autofree gboolean *used = g_new0 (gboolean, n_cols);
  Brute b = { n_rows, n_cols, cost, used, 0, 0 };

  brute_visit (&b, 0, 0, 0);
  *count = b.best_count;
  *total = b.best_cost;
}

/* Checks that @row_to_col is a matching of feasible pairs and returns its
 * size and cost. */
static void
check_matching (guint         n_rows,
                guint         n_cols,
                const double *cost,
                const gint   *row_to_col,
                guint        *count,
                double       *total)
{
  g_autofree gboolean *used = g_new0 (gboolean, n_cols);

  *count = 0;
  *total = 0;
  for (guint r = 0; r < n_rows; r++)
    {
      gint c = row_to_col[r];

      if (c < 0)
        {
          g_assert_cmpint (c, ==, -1);
          continue;
        }
      g_assert_cmpint (c, <, (gint) n_cols);
      g_assert_false (used[c]);
      used[c] = TRUE;
      g_assert_true (isfinite (cost[r * n_cols + c]));
      *count += 1;
      *total += cost[r * n_cols + c];
    }
}

static double *
random_matrix (GRand  *rand,
               guint   n_rows,
               guint   n_cols,
               double  p_inf,
               gboolean integers)
{
  double *cost = g_new (double, (gsize) n_rows * n_cols);

  for (gsize k = 0; k < (gsize) n_rows * n_cols; k++)
    {
      if (g_rand_double (rand) < p_inf)
        cost[k] = g_rand_boolean (rand) ? INFINITY : -INFINITY;
      else if (integers)
        cost[k] = g_rand_int_range (rand, -5, 6);
      else
        cost[k] = g_rand_double_range (rand, -10, 10);
    }

  return cost;
}

static void
test_lap_brute_force (void)
{
  static const double p_infs[] = { 0, 0.2, 0.5, 0.8, 0.95 };
  g_autoptr(GRand) rand = g_rand_new_with_seed (20240611);
  guint n_checked = 0;

  for (guint n_rows = 1; n_rows <= 7; n_rows++)
    for (guint n_cols = 1; n_cols <= 7; n_cols++)
      for (guint p = 0; p < G_N_ELEMENTS (p_infs); p++)
        for (guint rep = 0; rep < 4; rep++)
          {
            gboolean integers = rep % 2 == 0;
            g_autofree double *cost = random_matrix (rand, n_rows, n_cols,
                                                     p_infs[p], integers);
            g_autofree gint *row_to_col = g_new (gint, n_rows);
            g_autoptr(GError) error = NULL;
            guint want_count, got_count;
            double want_cost, got_cost, reported;

            g_assert_true (cd_lap_solve (n_rows, n_cols, cost, row_to_col,
                                         &reported, &error));
            g_assert_no_error (error);

            brute_force (n_rows, n_cols, cost, &want_count, &want_cost);
            check_matching (n_rows, n_cols, cost, row_to_col, &got_count, &got_cost);

            g_assert_cmpuint (got_count, ==, want_count);
            g_assert_cmpfloat_with_epsilon (got_cost, want_cost, 1e-9);
            g_assert_cmpfloat_with_epsilon (reported, got_cost, 1e-9);
            n_checked++;
          }

  g_test_message ("%u matrices checked against brute force", n_checked);
}

/* Hall's condition broken on purpose: a crowd of rows (or of columns)
 * shares fewer partners than it has members, so the short side cannot be
 * covered and the solver must pick which members go without. */
static double *
crowded_matrix (GRand *rand,
                guint  n_rows,
                guint  n_cols)
{
  double *cost = random_matrix (rand, n_rows, n_cols, 0.3, g_rand_boolean (rand));
  gboolean by_rows = n_cols < 2 || (n_rows >= 2 && g_rand_boolean (rand));
  guint n_a = by_rows ? n_rows : n_cols;
  guint n_b = by_rows ? n_cols : n_rows;
  guint crowd, partners;
  g_autofree guint *perm_a = g_new (guint, n_a);
  g_autofree guint *perm_b = g_new (guint, n_b);

  g_assert (n_a >= 2);
  crowd = g_rand_int_range (rand, 2, n_a + 1);
  partners = g_rand_int_range (rand, 1, MIN (crowd, n_b + 1));

  for (guint k = 0; k < n_a; k++)
    perm_a[k] = k;
  for (guint k = 0; k < n_b; k++)
    perm_b[k] = k;
  for (guint k = n_a; k > 1; k--)
    {
      guint x = g_rand_int_range (rand, 0, k), t = perm_a[k - 1];
      perm_a[k - 1] = perm_a[x];
      perm_a[x] = t;
    }
  for (guint k = n_b; k > 1; k--)
    {
      guint x = g_rand_int_range (rand, 0, k), t = perm_b[k - 1];
      perm_b[k - 1] = perm_b[x];
      perm_b[x] = t;
    }

  /* Members of the crowd pair only with the first `partners` of perm_b. */
  for (guint k = 0; k < crowd; k++)
    for (guint l = partners; l < n_b; l++)
      {
        guint a = perm_a[k], b = perm_b[l];
        gsize at = by_rows ? (gsize) a * n_cols + b : (gsize) b * n_cols + a;

        cost[at] = INFINITY;
      }

  return cost;
}

static void
test_lap_brute_force_crowded (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (7);

  for (guint rep = 0; rep < 600; rep++)
    {
      guint n_rows = g_rand_int_range (rand, 2, 8);
      guint n_cols = g_rand_int_range (rand, 2, 8);
      g_autofree double *cost = crowded_matrix (rand, n_rows, n_cols);
      g_autofree gint *row_to_col = g_new (gint, n_rows);
      guint want_count, got_count;
      double want_cost, got_cost;

      g_assert_true (cd_lap_solve (n_rows, n_cols, cost, row_to_col, NULL, NULL));
      brute_force (n_rows, n_cols, cost, &want_count, &want_cost);
      check_matching (n_rows, n_cols, cost, row_to_col, &got_count, &got_cost);
      g_assert_cmpuint (got_count, ==, want_count);
      g_assert_cmpfloat_with_epsilon (got_cost, want_cost, 1e-9);
    }
}

/* A textbook O(n² m) Hungarian method on a full matrix (n ≤ m), written
 * independently of the solver, fed with infeasible pairs priced so high
 * that using one never pays. Returns col_of_row. */
static void
reference_hungarian (guint         n,
                     guint         m,
                     const double *a,
                     gint         *col_of_row)
{
  g_autofree double *u = g_new0 (double, n + 1);
  g_autofree double *v = g_new0 (double, m + 1);
  g_autofree guint *p = g_new0 (guint, m + 1);
  g_autofree guint *way = g_new0 (guint, m + 1);
  g_autofree double *minv = g_new (double, m + 1);
  g_autofree gboolean *used = g_new (gboolean, m + 1);

  for (guint i = 1; i <= n; i++)
    {
      guint j0 = 0;

      p[0] = i;
      for (guint j = 0; j <= m; j++)
        {
          minv[j] = INFINITY;
          used[j] = FALSE;
        }
      do
        {
          guint i0 = p[j0], j1 = 0;
          double delta = INFINITY;

          used[j0] = TRUE;
          for (guint j = 1; j <= m; j++)
            {
              if (used[j])
                continue;
              {
                double cur = a[(i0 - 1) * m + (j - 1)] - u[i0] - v[j];
                if (cur < minv[j])
                  {
                    minv[j] = cur;
                    way[j] = j0;
                  }
                if (minv[j] < delta)
                  {
                    delta = minv[j];
                    j1 = j;
                  }
              }
            }
          for (guint j = 0; j <= m; j++)
            {
              if (used[j])
                {
                  u[p[j]] += delta;
                  v[j] -= delta;
                }
              else
                minv[j] -= delta;
            }
          j0 = j1;
        }
      while (p[j0] != 0);
      do
        {
          guint j1 = way[j0];
          p[j0] = p[j1];
          j0 = j1;
        }
      while (j0 != 0);
    }

  for (guint i = 0; i < n; i++)
    col_of_row[i] = -1;
  for (guint j = 1; j <= m; j++)
    if (p[j] != 0)
      col_of_row[p[j] - 1] = j - 1;
}

/* Rows and columns fall into groups of uneven sizes and pair only within
 * their group: some groups have rows to spare, others columns. */
static double *
clustered_matrix (GRand *rand,
                  guint  n_rows,
                  guint  n_cols)
{
  double *cost = g_new (double, (gsize) n_rows * n_cols);
  guint n_groups = g_rand_int_range (rand, 2, 6);
  g_autofree guint *row_group = g_new (guint, n_rows);
  g_autofree guint *col_group = g_new (guint, n_cols);

  for (guint r = 0; r < n_rows; r++)
    row_group[r] = MIN (g_rand_int_range (rand, 0, n_groups), g_rand_int_range (rand, 0, n_groups));
  for (guint c = 0; c < n_cols; c++)
    col_group[c] = MAX (g_rand_int_range (rand, 0, n_groups), g_rand_int_range (rand, 0, n_groups));
  for (guint r = 0; r < n_rows; r++)
    for (guint c = 0; c < n_cols; c++)
      {
        gboolean same = row_group[r] == col_group[c];

        cost[(gsize) r * n_cols + c] = same && g_rand_double (rand) < 0.5
          ? g_rand_double_range (rand, 0, 100) : INFINITY;
      }

  return cost;
}

static void
test_lap_reference (void)
{
  static const guint sizes[][2] = {
    { 40, 40 }, { 30, 70 }, { 70, 30 }, { 120, 90 }, { 90, 200 }, { 1, 50 }, { 50, 1 },
  };
  /* Negative: clustered and crowded structures instead of random holes. */
  static const double p_infs[] = { 0, 0.3, 0.7, 0.97, -1, -2 };
  g_autoptr(GRand) rand = g_rand_new_with_seed (99);

  for (guint s = 0; s < G_N_ELEMENTS (sizes); s++)
    for (guint p = 0; p < G_N_ELEMENTS (p_infs); p++)
      for (guint rep = 0; rep < 3; rep++)
        {
          guint n_rows = sizes[s][0], n_cols = sizes[s][1];
          guint n = MIN (n_rows, n_cols), m = MAX (n_rows, n_cols);
          g_autofree double *cost =
            p_infs[p] == -1 ? clustered_matrix (rand, n_rows, n_cols) :
            p_infs[p] == -2 ? crowded_matrix (rand, n_rows, n_cols) :
            random_matrix (rand, n_rows, n_cols, p_infs[p], rep == 0);
          g_autofree double *full = g_new (double, (gsize) n * m);
          g_autofree gint *row_to_col = g_new (gint, n_rows);
          g_autofree gint *ref = g_new (gint, n);
          double lo = INFINITY, hi = -INFINITY, big;
          guint got_count, want_count = 0;
          double got_cost, want_cost = 0;

          for (gsize k = 0; k < (gsize) n * m; k++)
            if (isfinite (cost[k]))
              {
                lo = MIN (lo, cost[k]);
                hi = MAX (hi, cost[k]);
              }
          if (lo > hi)
            lo = hi = 0;
          /* One more finite pair always outweighs any saving elsewhere. */
          big = hi + (hi - lo + 1) * (n + 1);

          for (guint r = 0; r < n_rows; r++)
            for (guint c = 0; c < n_cols; c++)
              {
                double x = cost[r * n_cols + c];
                gsize k = n_rows <= n_cols ? (gsize) r * m + c : (gsize) c * m + r;
                full[k] = isfinite (x) ? x : big;
              }
          reference_hungarian (n, m, full, ref);
          for (guint i = 0; i < n; i++)
            {
              double x = full[(gsize) i * m + ref[i]];
              if (x != big)
                {
                  want_count++;
                  want_cost += x;
                }
            }

          g_assert_true (cd_lap_solve (n_rows, n_cols, cost, row_to_col, NULL, NULL));
          check_matching (n_rows, n_cols, cost, row_to_col, &got_count, &got_cost);
          g_assert_cmpuint (got_count, ==, want_count);
          g_assert_cmpfloat_with_epsilon (got_cost, want_cost, 1e-7);
        }
}

static void
test_lap_empty (void)
{
  gint row_to_col[3] = { 7, 7, 7 };
  double total = 42;

  g_assert_true (cd_lap_solve (0, 0, NULL, NULL, &total, NULL));
  g_assert_cmpfloat (total, ==, 0);
  g_assert_true (cd_lap_solve (0, 5, NULL, NULL, NULL, NULL));
  g_assert_true (cd_lap_solve (3, 0, NULL, row_to_col, &total, NULL));
  for (guint r = 0; r < 3; r++)
    g_assert_cmpint (row_to_col[r], ==, -1);
}

static void
test_lap_all_infeasible (void)
{
  double cost[6] = { INFINITY, -INFINITY, INFINITY, INFINITY, INFINITY, -INFINITY };
  gint row_to_col[2];
  double total = 1;

  g_assert_true (cd_lap_solve (2, 3, cost, row_to_col, &total, NULL));
  g_assert_cmpint (row_to_col[0], ==, -1);
  g_assert_cmpint (row_to_col[1], ==, -1);
  g_assert_cmpfloat (total, ==, 0);
}

static void
test_lap_nan (void)
{
  double cost[4] = { 1, 2, NAN, 4 };
  gint row_to_col[2] = { 5, 5 };
  g_autoptr(GError) error = NULL;

  g_assert_false (cd_lap_solve (2, 2, cost, row_to_col, NULL, &error));
  g_assert_error (error, CD_LAP_ERROR, CD_LAP_ERROR_INVALID_COST);
  g_assert_cmpint (row_to_col[0], ==, -1);
  g_assert_cmpint (row_to_col[1], ==, -1);
}

/* Cardinality comes first: a single column goes to the row that can have
 * it cheaply, even when a more expensive row was served first. */
static void
test_lap_cardinality_then_cost (void)
{
  double one_col[3] = { 10, 1, 5 };
  double cost[9] = {
    1, INFINITY, INFINITY,
    2, INFINITY, INFINITY,
    0, 100,      INFINITY,
  };
  gint row_to_col[3];
  double total;

  g_assert_true (cd_lap_solve (3, 1, one_col, row_to_col, &total, NULL));
  g_assert_cmpint (row_to_col[0], ==, -1);
  g_assert_cmpint (row_to_col[1], ==, 0);
  g_assert_cmpint (row_to_col[2], ==, -1);
  g_assert_cmpfloat (total, ==, 1);

  /* Two rows can be served only if row 2 takes column 1 at 100; then
   * column 0 goes to the cheaper of rows 0 and 1. */
  g_assert_true (cd_lap_solve (3, 3, cost, row_to_col, &total, NULL));
  g_assert_cmpint (row_to_col[0], ==, 0);
  g_assert_cmpint (row_to_col[1], ==, -1);
  g_assert_cmpint (row_to_col[2], ==, 1);
  g_assert_cmpfloat (total, ==, 101);
}

static void
test_lap_ties (void)
{
  double zeros[35] = { 0 };
  double row[4] = { 3, 2, 2, 2 };
  gint row_to_col[7];

  g_assert_true (cd_lap_solve (1, 4, row, row_to_col, NULL, NULL));
  g_assert_cmpint (row_to_col[0], ==, 1);

  g_assert_true (cd_lap_solve (4, 1, row, row_to_col, NULL, NULL));
  g_assert_cmpint (row_to_col[0], ==, -1);
  g_assert_cmpint (row_to_col[1], ==, 0);
  g_assert_cmpint (row_to_col[2], ==, -1);
  g_assert_cmpint (row_to_col[3], ==, -1);

  g_assert_true (cd_lap_solve (5, 5, zeros, row_to_col, NULL, NULL));
  for (gint r = 0; r < 5; r++)
    g_assert_cmpint (row_to_col[r], ==, r);

  g_assert_true (cd_lap_solve (5, 7, zeros, row_to_col, NULL, NULL));
  for (gint r = 0; r < 5; r++)
    g_assert_cmpint (row_to_col[r], ==, r);

  g_assert_true (cd_lap_solve (7, 5, zeros, row_to_col, NULL, NULL));
  for (gint r = 0; r < 7; r++)
    g_assert_cmpint (row_to_col[r], ==, r < 5 ? r : -1);
}

static void
test_lap_negative (void)
{
  double cost[4] = { -5, -1, -2, -10 };
  gint row_to_col[2];
  double total;

  g_assert_true (cd_lap_solve (2, 2, cost, row_to_col, &total, NULL));
  g_assert_cmpint (row_to_col[0], ==, 0);
  g_assert_cmpint (row_to_col[1], ==, 1);
  g_assert_cmpfloat (total, ==, -15);
}

/* The batch size the dispatch room sees in a storm: must stay fast and
 * produce a full matching of the short side when one exists. */
static void
test_lap_large (void)
{
  const guint n_rows = 2000, n_cols = 900;
  g_autoptr(GRand) rand = g_rand_new_with_seed (2000);
  g_autofree double *cost = random_matrix (rand, n_rows, n_cols, 0.3, FALSE);
  g_autofree gint *row_to_col = g_new (gint, n_rows);
  g_autofree gint *again = g_new (gint, n_rows);
  guint count;
  double total, total2;
  gint64 start;

  start = g_get_monotonic_time ();
  g_assert_true (cd_lap_solve (n_rows, n_cols, cost, row_to_col, &total, NULL));
  g_test_message ("2000 x 900: %.1f ms", (g_get_monotonic_time () - start) / 1000.0);

  check_matching (n_rows, n_cols, cost, row_to_col, &count, &total2);
  g_assert_cmpuint (count, ==, n_cols);
  g_assert_cmpfloat (total, ==, total2);

  /* Deterministic. */
  g_assert_true (cd_lap_solve (n_rows, n_cols, cost, again, &total2, NULL));
  g_assert_cmpmem (row_to_col, sizeof (gint) * n_rows, again, sizeof (gint) * n_rows);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/lap/brute-force", test_lap_brute_force);
  g_test_add_func ("/lap/brute-force-crowded", test_lap_brute_force_crowded);
  g_test_add_func ("/lap/reference", test_lap_reference);
  g_test_add_func ("/lap/empty", test_lap_empty);
  g_test_add_func ("/lap/all-infeasible", test_lap_all_infeasible);
  g_test_add_func ("/lap/nan", test_lap_nan);
  g_test_add_func ("/lap/cardinality-then-cost", test_lap_cardinality_then_cost);
  g_test_add_func ("/lap/ties", test_lap_ties);
  g_test_add_func ("/lap/negative", test_lap_negative);
  g_test_add_func ("/lap/large", test_lap_large);

  return g_test_run ();
}
