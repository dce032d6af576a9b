/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-lap.c: rectangular minimum-cost assignment.
 *
 * The solver wants the shorter side as rows, so that every augmentation
 * scans the long side: n ≤ m, O(n² m) in the worst case. A matrix with more
 * rows than columns is copied transposed; dead lines (rows or columns
 * without a single feasible pair) are dropped, which also needs a copy.
 *
 * Rows are matched one at a time along the shortest augmenting path
 * (Dijkstra over reduced costs c - u - v). A greedy pass first gives every
 * row its cheapest column when that column is still free, which is
 * optimal for those rows with u = row minimum and v = 0.
 *
 * Infeasible pairs mean some rows may have no augmenting path ("stuck").
 * Skipping them still yields a maximum matching (a vertex without an
 * augmenting path never gets one later), and an optimal one for the rows it
 * covers, but another maximum matching may cover a different, cheaper set of
 * rows. By Gallai–Edmonds the rows reachable from stuck rows by alternating
 * paths (D) and their columns (A) form a block that every maximum matching
 * covers column-wise, independently of the rest, so that block alone is
 * solved again with the roles of rows and columns swapped.
 */

#include "config.h"

#include <glib/gi18n-lib.h>
#include <math.h>
#include <string.h>

#include "cd-lap.h"

typedef struct {
  guint         n;            /* rows, n ≤ m */
  guint         m;            /* columns */
  const double *cost;         /* n × m, +INFINITY where infeasible */
  gint         *col4row;      /* n */
  gint         *row4col;      /* m */
  double       *u;            /* n, row potentials */
  double       *v;            /* m, column potentials, 0 while free */
  double       *spc;          /* m, shortest path cost to each column */
  guint        *path;         /* m, row the shortest path came from */
  guint        *alive;        /* the columns an augmenting path may use */
  guint         n_alive;
  guint        *remaining;    /* m, unscanned columns first, then scanned */
  guint        *scanned_rows; /* n */
} Lap;

G_DEFINE_QUARK (cd-lap-error-quark, cd_lap_error)

#define TILE 32

static void
lap_init (Lap          *lap,
          guint         n,
          guint         m,
          const double *cost)
{
  g_assert (n <= m);

  lap->n = n;
  lap->m = m;
  lap->cost = cost;
  lap->col4row = g_new (gint, n);
  lap->row4col = g_new (gint, m);
  lap->u = g_new0 (double, n);
  lap->v = g_new0 (double, m);
  lap->spc = g_new (double, m);
  lap->path = g_new (guint, m);
  lap->alive = g_new (guint, m);
  lap->n_alive = m;
  lap->remaining = g_new (guint, m);
  lap->scanned_rows = g_new (guint, n);

  memset (lap->col4row, 0xff, sizeof (gint) * n);
  memset (lap->row4col, 0xff, sizeof (gint) * m);
  for (guint j = 0; j < m; j++)
    lap->alive[j] = j;
}

static void
lap_clear (Lap *lap)
{
  g_free (lap->col4row);
  g_free (lap->row4col);
  g_free (lap->u);
  g_free (lap->v);
  g_free (lap->spc);
  g_free (lap->path);
  g_free (lap->alive);
  g_free (lap->remaining);
  g_free (lap->scanned_rows);
}

/* u = row minimum, v = 0 is a feasible dual; a row whose minimum column is
 * still free is matched at reduced cost 0, so the partial matching is
 * already optimal and most rows of a spread-out instance never need a
 * shortest path search. */
static void
lap_greedy (Lap *lap)
{
  for (guint i = 0; i < lap->n; i++)
    {
      const double *row = lap->cost + (gsize) i * lap->m;
      double best = INFINITY;
      guint best_j = 0;

      for (guint j = 0; j < lap->m; j++)
        {
          if (row[j] < best)
            {
              best = row[j];
              best_j = j;
            }
        }

      if (best == INFINITY)
        continue;

      lap->u[i] = best;
      if (lap->row4col[best_j] < 0)
        {
          lap->row4col[best_j] = i;
          lap->col4row[i] = best_j;
        }
    }
}

/* Among columns at the same distance, a free one ends the search (and lets
 * earlier rows keep their columns); then the lower index wins. */
static inline gboolean
lap_tie_better (const Lap *lap,
                guint      j,
                guint      best_j)
{
  gboolean j_free = lap->row4col[j] < 0;
  gboolean best_free = lap->row4col[best_j] < 0;

  if (j_free != best_free)
    return j_free;
  return j < best_j;
}

/* One shortest augmenting path from the free row @cur. Settled columns
 * move to the tail of `remaining`, so each step scans only the unsettled
 * ones.
 *
 * Returns %FALSE, leaving matching and potentials untouched, when no free
 * column can be reached through feasible pairs. Every column the search
 * reached is then dead for good: from it, alternating paths lead only to
 * matched columns, and later augmenting paths, which never enter that
 * region, do not change it. Dropping those columns keeps each further
 * stuck row from searching the same region again. */
static gboolean
lap_augment (Lap   *lap,
             guint  cur)
{
  const guint m = lap->m;
  const double *cost = lap->cost;
  double *spc = lap->spc;
  double *v = lap->v;
  guint *path = lap->path;
  guint *remaining = lap->remaining;
  double min_val = 0;
  guint n_rem = lap->n_alive;
  guint n_sr = 0;
  guint i = cur;
  guint sink;
  guint j;

  for (guint k = 0; k < n_rem; k++)
    {
      j = lap->alive[k];
      remaining[k] = j;
      spc[j] = INFINITY;
    }

  for (;;)
    {
      const double *row = cost + (gsize) i * m;
      double h = min_val - lap->u[i];
      double lowest = INFINITY;
      guint best = 0;

      lap->scanned_rows[n_sr++] = i;

      for (guint k = 0; k < n_rem; k++)
        {
          guint jj = remaining[k];
          double r = h + row[jj] - v[jj];
          double s = spc[jj];
          guint closer;

          /* Whether a column gets closer is a coin toss that a branch
           * predictor keeps losing, so the update is a select. */
          closer = r < s;
          s = MIN (r, s);
          spc[jj] = s;
          path[jj] = (i & (0u - closer)) | (path[jj] & (closer - 1u));

          if (s < lowest)
            {
              lowest = s;
              best = k;
            }
          else if (s == lowest && s != INFINITY &&
                   lap_tie_better (lap, jj, remaining[best]))
            {
              best = k;
            }
        }

      if (lowest == INFINITY)
        {
          /* The unsettled columns, first in `remaining`, stay alive. */
          lap->remaining = lap->alive;
          lap->alive = remaining;
          lap->n_alive = n_rem;
          return FALSE;
        }

      min_val = lowest;
      j = remaining[best];
      n_rem--;
      remaining[best] = remaining[n_rem];
      remaining[n_rem] = j;

      if (lap->row4col[j] < 0)
        {
          sink = j;
          break;
        }
      i = lap->row4col[j];
    }

  /* Scanned rows and columns move by how much closer than the sink they
   * were; this keeps every reduced cost ≥ 0 and the new path's at 0. */
  lap->u[cur] += min_val;
  for (guint k = 1; k < n_sr; k++)
    {
      guint r = lap->scanned_rows[k];
      lap->u[r] += min_val - spc[lap->col4row[r]];
    }
  for (guint k = n_rem; k < lap->n_alive; k++)
    {
      guint c = remaining[k];
      v[c] -= min_val - spc[c];
    }

  j = sink;
  for (;;)
    {
      guint r = path[j];
      gint prev = lap->col4row[r];

      lap->row4col[j] = r;
      lap->col4row[r] = j;
      if (r == cur)
        break;
      j = prev;
    }

  return TRUE;
}

/* Solves the block of rows reachable from the stuck rows again, with
 * columns as the side that must be covered. See the file comment. */
static void
lap_resolve_deficient (Lap         *lap,
                       const guint *stuck,
                       guint        n_stuck)
{
  const guint n = lap->n;
  const guint m = lap->m;
  g_autofree guint *d_rows = g_new (guint, n);
  g_autofree guint *a_cols = g_new (guint, m);
  g_autofree guint *d_index = g_new (guint, n);
  g_autofree gboolean *in_a = g_new0 (gboolean, m);
  g_autofree double *sub = NULL;
  guint n_d = 0;
  guint n_a = 0;
  Lap block;

  memset (d_index, 0xff, sizeof (guint) * n);

  /* Breadth-first over alternating paths; d_rows doubles as the queue. */
  for (guint k = 0; k < n_stuck; k++)
    {
      d_index[stuck[k]] = n_d;
      d_rows[n_d++] = stuck[k];
    }
  for (guint head = 0; head < n_d; head++)
    {
      const double *row = lap->cost + (gsize) d_rows[head] * m;

      for (guint j = 0; j < m; j++)
        {
          gint r;

          if (row[j] == INFINITY || in_a[j])
            continue;
          in_a[j] = TRUE;
          a_cols[n_a++] = j;
          r = lap->row4col[j];
          /* A free column here would be an augmenting path. */
          g_assert (r >= 0);
          if (d_index[r] == G_MAXUINT)
            {
              d_index[r] = n_d;
              d_rows[n_d++] = r;
            }
        }
    }

  /* Dead rows were dropped before solving, so a stuck row has partners. */
  g_assert (n_a > 0 && n_a < n_d);

  for (guint k = 0; k < n_d; k++)
    lap->col4row[d_rows[k]] = -1;
  for (guint k = 0; k < n_a; k++)
    lap->row4col[a_cols[k]] = -1;

  sub = g_new (double, (gsize) n_a * n_d);
  for (guint a = 0; a < n_a; a++)
    for (guint d = 0; d < n_d; d++)
      sub[(gsize) a * n_d + d] = lap->cost[(gsize) d_rows[d] * m + a_cols[a]];

  lap_init (&block, n_a, n_d, sub);
  lap_greedy (&block);
  for (guint a = 0; a < n_a; a++)
    {
      if (block.col4row[a] >= 0)
        continue;
      /* Every column of A is covered by some maximum matching. */
      if (!lap_augment (&block, a))
        g_assert_not_reached ();
    }

  for (guint a = 0; a < n_a; a++)
    {
      guint r = d_rows[block.col4row[a]];

      lap->col4row[r] = a_cols[a];
      lap->row4col[a_cols[a]] = r;
    }

  lap_clear (&block);
}

static void
lap_run (Lap *lap)
{
  g_autofree guint *stuck = g_new (guint, lap->n);
  guint n_stuck = 0;

  lap_greedy (lap);

  for (guint i = 0; i < lap->n; i++)
    {
      if (lap->col4row[i] >= 0)
        continue;
      if (!lap_augment (lap, i))
        stuck[n_stuck++] = i;
    }

  if (n_stuck > 0)
    lap_resolve_deficient (lap, stuck, n_stuck);
}

/* Reads the input once: marks the lines with a feasible pair and spots NaN
 * and -INFINITY (which must become +INFINITY before solving). */
static void
scan_in_place (const double *cost,
               guint         n_rows,
               guint         n_cols,
               guint8       *row_live,
               guint8       *col_live,
               gboolean     *has_nan,
               gboolean     *has_minus_inf)
{
  gboolean nan_seen = FALSE;
  gboolean minus_inf_seen = FALSE;

  for (guint r = 0; r < n_rows && !nan_seen; r++)
    {
      const double *row = cost + (gsize) r * n_cols;
      guint8 live = 0;

      for (guint c = 0; c < n_cols; c++)
        {
          double x = row[c];
          guint8 finite = isfinite (x);

          live |= finite;
          col_live[c] |= finite;
          nan_seen |= x != x;
          minus_inf_seen |= x == -INFINITY;
        }
      row_live[r] = live;
    }

  *has_nan = nan_seen;
  *has_minus_inf = minus_inf_seen;
}

/* The same scan fused with the transposing copy, since a matrix with more
 * rows than columns is always copied. Tiled, so that neither side walks
 * memory with a long stride. */
static double *
scan_transposed (const double *cost,
                 guint         n_rows,
                 guint         n_cols,
                 guint8       *row_live,
                 guint8       *col_live,
                 gboolean     *has_nan)
{
  double *work = g_new (double, (gsize) n_rows * n_cols);
  gboolean nan_seen = FALSE;

  for (guint r0 = 0; r0 < n_rows && !nan_seen; r0 += TILE)
    for (guint c0 = 0; c0 < n_cols; c0 += TILE)
      {
        guint r1 = MIN (r0 + TILE, n_rows);
        guint c1 = MIN (c0 + TILE, n_cols);

        for (guint r = r0; r < r1; r++)
          {
            const double *row = cost + (gsize) r * n_cols;
            double *dst = work + r;
            guint8 live = 0;

            for (guint c = c0; c < c1; c++)
              {
                double x = row[c];
                guint8 finite = isfinite (x);

                live |= finite;
                col_live[c] |= finite;
                nan_seen |= x != x;
                dst[(gsize) c * n_rows] = finite ? x : INFINITY;
              }
            row_live[r] |= live;
          }
      }

  *has_nan = nan_seen;
  return work;
}

/* Copies the live lines, transposed if asked, with every infeasible pair
 * as +INFINITY. Only for inputs with dead lines or -INFINITY. */
static double *
gather (const double *cost,
        guint         n_cols,
        const guint  *rows,
        guint         n_live_rows,
        const guint  *cols,
        guint         n_live_cols,
        gboolean      transpose)
{
  double *work = g_new (double, (gsize) n_live_rows * n_live_cols);

  for (guint i0 = 0; i0 < n_live_rows; i0 += TILE)
    for (guint j0 = 0; j0 < n_live_cols; j0 += TILE)
      {
        guint i1 = MIN (i0 + TILE, n_live_rows);
        guint j1 = MIN (j0 + TILE, n_live_cols);

        for (guint i = i0; i < i1; i++)
          {
            const double *src = cost + (gsize) rows[i] * n_cols;

            for (guint j = j0; j < j1; j++)
              {
                double x = src[cols[j]];
                gsize k = transpose ? (gsize) j * n_live_rows + i
                                    : (gsize) i * n_live_cols + j;

                work[k] = isfinite (x) ? x : INFINITY;
              }
          }
      }

  return work;
}

static guint *
live_list (const guint8 *live,
           guint         n,
           guint        *n_live)
{
  guint *list = g_new (guint, n);

  *n_live = 0;
  for (guint k = 0; k < n; k++)
    {
      if (live[k])
        list[(*n_live)++] = k;
    }

  return list;
}

gboolean
cd_lap_solve (guint          n_rows,
              guint          n_cols,
              const double  *cost,
              gint          *row_to_col,
              double        *total_cost,
              GError       **error)
{
  g_autofree guint8 *row_live = NULL;
  g_autofree guint8 *col_live = NULL;
  g_autofree guint *live_rows = NULL;
  g_autofree guint *live_cols = NULL;
  g_autofree double *work = NULL;
  guint n_live_rows = 0;
  guint n_live_cols = 0;
  gboolean has_nan = FALSE;
  gboolean has_minus_inf = FALSE;
  gboolean transpose;
  double total = 0;
  Lap lap;

  g_return_val_if_fail (n_rows == 0 || row_to_col != NULL, FALSE);
  g_return_val_if_fail (n_rows == 0 || n_cols == 0 || cost != NULL, FALSE);
  g_return_val_if_fail (n_rows <= G_MAXINT && n_cols <= G_MAXINT, FALSE);
  g_return_val_if_fail (n_rows == 0 || n_cols <= G_MAXSIZE / sizeof (double) / n_rows, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (total_cost != NULL)
    *total_cost = 0;
  for (guint r = 0; r < n_rows; r++)
    row_to_col[r] = -1;

  if (n_rows == 0 || n_cols == 0)
    return TRUE;

  row_live = g_new0 (guint8, n_rows);
  col_live = g_new0 (guint8, n_cols);
  transpose = n_rows > n_cols;
  if (transpose)
    work = scan_transposed (cost, n_rows, n_cols, row_live, col_live, &has_nan);
  else
    scan_in_place (cost, n_rows, n_cols, row_live, col_live, &has_nan, &has_minus_inf);

  if (has_nan)
    {
      for (gsize k = 0; k < (gsize) n_rows * n_cols; k++)
        {
          if (isnan (cost[k]))
            {
              g_set_error (error, CD_LAP_ERROR, CD_LAP_ERROR_INVALID_COST,
                           _("The cost of row %u, column %u is not a number. "
                             "Mark impossible pairs as infinite instead."),
                           (guint) (k / n_cols), (guint) (k % n_cols));
              break;
            }
        }
      return FALSE;
    }

  live_rows = live_list (row_live, n_rows, &n_live_rows);
  live_cols = live_list (col_live, n_cols, &n_live_cols);
  if (n_live_rows == 0)
    return TRUE;

  /* Rare: drop dead lines (they would only lengthen every scan) and pick
   * the orientation again from what is left. */
  if (n_live_rows < n_rows || n_live_cols < n_cols || has_minus_inf)
    {
      transpose = n_live_rows > n_live_cols;
      g_free (work);
      work = gather (cost, n_cols, live_rows, n_live_rows,
                     live_cols, n_live_cols, transpose);
    }

  if (!transpose)
    {
      lap_init (&lap, n_live_rows, n_live_cols, work != NULL ? work : cost);
      lap_run (&lap);
      for (guint i = 0; i < n_live_rows; i++)
        {
          if (lap.col4row[i] >= 0)
            row_to_col[live_rows[i]] = live_cols[lap.col4row[i]];
        }
    }
  else
    {
      lap_init (&lap, n_live_cols, n_live_rows, work);
      lap_run (&lap);
      for (guint j = 0; j < n_live_cols; j++)
        {
          if (lap.col4row[j] >= 0)
            row_to_col[live_rows[lap.col4row[j]]] = live_cols[j];
        }
    }
  lap_clear (&lap);

  for (guint r = 0; r < n_rows; r++)
    {
      if (row_to_col[r] >= 0)
        total += cost[(gsize) r * n_cols + row_to_col[r]];
    }
  if (total_cost != NULL)
    *total_cost = total;

  return TRUE;
}

