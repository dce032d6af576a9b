/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-lap.c: rectangular minimum-cost assignment.
 *
 * The solver works on a compact copy with dead lines (rows or columns
 * without a single feasible pair) removed and the shorter side as rows, so
 * every augmentation scans the long side: n ≤ m, O(n² m) in the worst case.
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
  guint        *remaining;    /* m, unscanned columns first, then scanned */
  guint        *scanned_rows; /* n */
} Lap;

G_DEFINE_QUARK (cd-lap-error-quark, cd_lap_error)

#define TILE 64

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
  lap->remaining = g_new (guint, m);
  lap->scanned_rows = g_new (guint, n);

  memset (lap->col4row, 0xff, sizeof (gint) * n);
  memset (lap->row4col, 0xff, sizeof (gint) * m);
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

/* One shortest augmenting path from the free row @cur. Returns %FALSE,
 * leaving matching and potentials untouched, when no free column can be
 * reached through feasible pairs. */
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
  guint n_rem = m;
  guint n_sr = 0;
  guint i = cur;
  guint sink;
  guint j;

  for (j = 0; j < m; j++)
    {
      remaining[j] = j;
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

          if (r < s)
            {
              s = r;
              spc[jj] = r;
              path[jj] = i;
            }

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
        return FALSE;

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
  for (guint k = n_rem; k < m; k++)
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

  g_assert (n_a < n_d);

  for (guint k = 0; k < n_d; k++)
    lap->col4row[d_rows[k]] = -1;
  for (guint k = 0; k < n_a; k++)
    lap->row4col[a_cols[k]] = -1;

  if (n_a == 0)
    return;

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

gboolean
cd_lap_solve (guint          n_rows,
              guint          n_cols,
              const double  *cost,
              gint          *row_to_col,
              double        *total_cost,
              GError       **error)
{
  g_autofree guint *live_rows = NULL;
  g_autofree guint *live_cols = NULL;
  g_autofree double *work = NULL;
  guint n_live_rows = 0;
  guint n_live_cols = 0;
  gboolean all_plus_inf = TRUE;
  gboolean transpose;
  const double *matrix;
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

  /* One pass: refuse NaN, find the lines with at least one feasible pair. */
  live_rows = g_new (guint, n_rows);
  live_cols = g_new0 (guint, n_cols);
  for (guint r = 0; r < n_rows; r++)
    {
      const double *row = cost + (gsize) r * n_cols;
      gboolean live = FALSE;

      for (guint c = 0; c < n_cols; c++)
        {
          double x = row[c];

          if (isfinite (x))
            {
              live = TRUE;
              live_cols[c] = 1;
            }
          else if (isnan (x))
            {
              g_set_error (error, CD_LAP_ERROR, CD_LAP_ERROR_INVALID_COST,
                           _("The cost of row %u, column %u is not a number. "
                             "Mark impossible pairs as infinite instead."),
                           r, c);
              return FALSE;
            }
          else if (x != INFINITY)
            {
              all_plus_inf = FALSE;
            }
        }

      if (live)
        live_rows[n_live_rows++] = r;
    }
  for (guint c = 0; c < n_cols; c++)
    {
      if (live_cols[c])
        live_cols[n_live_cols++] = c;
    }

  if (n_live_rows == 0)
    return TRUE;

  transpose = n_live_rows > n_live_cols;

  if (!transpose && all_plus_inf &&
      n_live_rows == n_rows && n_live_cols == n_cols)
    {
      matrix = cost;
    }
  else if (!transpose)
    {
      work = g_new (double, (gsize) n_live_rows * n_live_cols);
      for (guint i = 0; i < n_live_rows; i++)
        {
          const double *src = cost + (gsize) live_rows[i] * n_cols;
          double *dst = work + (gsize) i * n_live_cols;

          for (guint j = 0; j < n_live_cols; j++)
            {
              double x = src[live_cols[j]];
              dst[j] = isfinite (x) ? x : INFINITY;
            }
        }
      matrix = work;
    }
  else
    {
      /* Tiled, so that neither side walks memory with a long stride. */
      work = g_new (double, (gsize) n_live_rows * n_live_cols);
      for (guint i0 = 0; i0 < n_live_rows; i0 += TILE)
        for (guint j0 = 0; j0 < n_live_cols; j0 += TILE)
          {
            guint i1 = MIN (i0 + TILE, n_live_rows);
            guint j1 = MIN (j0 + TILE, n_live_cols);

            for (guint i = i0; i < i1; i++)
              {
                const double *src = cost + (gsize) live_rows[i] * n_cols;

                for (guint j = j0; j < j1; j++)
                  {
                    double x = src[live_cols[j]];
                    work[(gsize) j * n_live_rows + i] = isfinite (x) ? x : INFINITY;
                  }
              }
          }
      matrix = work;
    }

  if (!transpose)
    {
      lap_init (&lap, n_live_rows, n_live_cols, matrix);
      lap_run (&lap);
      for (guint i = 0; i < n_live_rows; i++)
        {
          if (lap.col4row[i] >= 0)
            row_to_col[live_rows[i]] = live_cols[lap.col4row[i]];
        }
    }
  else
    {
      lap_init (&lap, n_live_cols, n_live_rows, matrix);
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
