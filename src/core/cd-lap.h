/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-lap.h: rectangular minimum-cost assignment.
 *
 * Shortest augmenting paths with dual potentials (Jonker–Volgenant, in the
 * rectangular form of Crouse 2016), O(n² m) for n = min(rows, cols).
 * Infeasible pairs are allowed anywhere: the solver first maximises the
 * number of assigned pairs and, among those matchings, minimises the cost.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define CD_LAP_ERROR (cd_lap_error_quark ())

typedef enum {
  CD_LAP_ERROR_INVALID_COST,
} CdLapError;

GQuark   cd_lap_error_quark (void);

/*
 * cd_lap_solve:
 * @n_rows: number of rows (may be 0)
 * @n_cols: number of columns (may be 0)
 * @cost: (array): n_rows × n_cols costs, row-major: cost[r * n_cols + c].
 *   Any infinite value (+INFINITY, -INFINITY) marks an infeasible pair; NaN is
 *   refused. Finite costs may be negative. Keep magnitudes below ~1e150 so
 *   that sums of potentials cannot overflow.
 * @row_to_col: (out) (array): n_rows entries; the column assigned to each
 *   row, or -1
 * @total_cost: (out) (optional): sum of the assigned pairs' costs, 0 if none
 * @error: a #GError, set to CD_LAP_ERROR_INVALID_COST on NaN
 *
 * Finds a maximum-cardinality matching among the feasible pairs and, among
 * those, one of minimum total cost.
 *
 * The result is deterministic. Ties go to the lower index: a row whose
 * candidates cost the same gets the lower column, and rows are served in
 * order, so an earlier row keeps its choice when a later one could take the
 * same column at the same cost (an all-equal square matrix yields the
 * identity). With more rows than columns the roles swap: columns go to the
 * lower row index.
 *
 * Returns: %TRUE on success; on %FALSE @row_to_col is all -1.
 */
gboolean cd_lap_solve (guint         n_rows,
                       guint         n_cols,
                       const double *cost,
                       gint         *row_to_col,
                       double       *total_cost,
                       GError      **error);

G_END_DECLS
