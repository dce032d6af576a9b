/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-bench-data.h: synthetic tickets and crews for the benchmarks. */
#pragma once

#include "cd-crew.h"
#include "cd-model.h"
#include "cd-ticket.h"

G_BEGIN_DECLS

#define CD_BENCH_T0      1790000000
#define CD_BENCH_N_AREAS 12

/* "district-01" … (not thread-safe on first use). */
const char *cd_bench_area_name   (guint      i);
/* Ticket @n of @n_total, spread over a year from CD_BENCH_T0;
 * @open_percent of them open, the rest closed, resolved, cancelled or
 * duplicates; assigned to one of @crews (CdCrew). */
CdTicket   *cd_bench_make_ticket (GRand     *rand,
                                  guint      n,
                                  guint      n_total,
                                  guint      open_percent,
                                  GPtrArray *crews);
CdCrew     *cd_bench_make_crew   (guint      n);

G_END_DECLS
