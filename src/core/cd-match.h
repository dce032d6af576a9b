/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-match.h: crew matching, per ticket (a ranked, explained list) and in
 * batch (an optimal assignment of every open ticket to free capacity).
 *
 * Plain structs rather than model objects: the batch scores every ticket
 * against every crew, and the caller keeps the indices that map back.
 */
#pragma once

#include <glib.h>

#include "cd-enums.h"

G_BEGIN_DECLS

/* Service areas are bits of a guint64. */
#define CD_MATCH_MAX_AREAS 64

typedef struct {
  double    lat, lon;          /* degrees; non-finite = position unknown */
  CdUtility utility;
  guint64   skills_required;   /* bit i = skill i */
  CdUrgency urgency;
  gint      area;              /* service area index, -1 unknown */
  gboolean  pinned;            /* manual assignment: never moved by batch */
  gint      assigned_crew;     /* index into crews, -1 unassigned */
} CdMatchTicket;

typedef struct {
  double    lat, lon;          /* degrees; non-finite = position unknown */
  CdUtility utility;
  guint64   skills;            /* bit i = skill i */
  gboolean  on_shift;
  guint     capacity;          /* max tickets at once */
  guint     load;              /* tickets currently assigned */
  guint64   areas;             /* bit i = serves area i */
  double    speed_kmh;         /* ≤ 0 = use params default */
} CdMatchCrew;

/* Costs are in one unit, "minutes of travel": a ticket already carried by
 * the crew weighs w_load, a crew from outside the ticket's area weighs
 * w_area_mismatch, on top of the weighted travel time. */
typedef struct {
  double default_speed_kmh;                     /* > 0 */
  double detour_factor[CD_MATCH_MAX_AREAS];     /* per area; ≤ 0 = default_detour */
  double default_detour;                        /* road km per great-circle km */
  double w_travel_per_min;
  double w_load;                                /* per ticket already carried */
  double w_area_mismatch;
  double urgency_weight[CD_N_URGENCIES];        /* multiplies travel cost, ≥ 1 */
} CdMatchParams;

typedef enum {
  CD_MATCH_OK,
  CD_MATCH_WRONG_UTILITY,
  CD_MATCH_MISSING_SKILL,
  CD_MATCH_OFF_SHIFT,
  CD_MATCH_FULL,
  CD_MATCH_NO_POSITION,        /* the ticket's or the crew's position is unknown */
} CdMatchVerdict;

/*
 * One crew's score for one ticket, every part in cost units:
 *
 *   distance_km  = great-circle distance (haversine)
 *   travel_min   = distance_km × detour(ticket area) ÷ speed(crew) × 60
 *   cost_travel  = w_travel_per_min × travel_min
 *   cost_urgency = cost_travel × (urgency_weight[urgency] - 1)
 *                  (so travel counts urgency_weight times in all)
 *   cost_load    = w_load × load
 *   cost_area    = w_area_mismatch if the ticket's area is known (0..63)
 *                  and not among the crew's areas, else 0
 *   total        = cost_travel + cost_urgency + cost_area + cost_load
 *
 * The parts are filled in for infeasible crews too, so that a dispatcher
 * sees how far they are. Where a position is unknown, distance_km,
 * travel_min, cost_travel and cost_urgency are NaN and total is INFINITY.
 */
typedef struct {
  guint          crew;         /* index */
  CdMatchVerdict verdict;
  double         distance_km;
  double         travel_min;
  double         cost_travel;
  double         cost_load;
  double         cost_area;
  double         cost_urgency;
  double         total;
} CdMatchScore;

/*
 * The batch as a rectangular assignment problem: one row per eligible
 * ticket (unassigned and unpinned), one column per free capacity slot
 * (capacity - load) of a crew. Slot k of a crew costs the load term of
 * load + k, so filling a crew gets dearer ticket by ticket. INFINITY marks
 * a pair that breaks a hard constraint. Lines that could never be used are
 * left out: tickets no free slot can take, and slots beyond the number of
 * tickets that fit their crew (so off-shift crews have none).
 */
/* When free slots are short, which tickets go without? Costs alone would
 * leave out the ticket whose travel is dearest, an emergency as easily as
 * a meter reading. So in the batch problem every pair of a ticket costs
 * this much more per urgency level below emergency: a constant per
 * ticket, it never changes which crew a ticket gets, only which tickets
 * get one, and no travel or load cost comes near it. cd_match_batch()'s
 * total leaves it out. */
#define CD_MATCH_PRIORITY_STEP 1.0e6

typedef struct {
  guint   n_rows;
  guint   n_cols;
  double *cost;                /* n_rows × n_cols, row-major */
  guint  *row_ticket;          /* n_rows: ticket index */
  guint  *col_crew;            /* n_cols: crew index */
  guint  *col_slot;            /* n_cols: k, the slot's rank within its crew */
} CdMatchProblem;

void            cd_match_params_init_default (CdMatchParams       *params);

double          cd_match_distance_km         (double               lat1,
                                              double               lon1,
                                              double               lat2,
                                              double               lon2);

const char     *cd_match_verdict_to_string   (CdMatchVerdict       verdict);

CdMatchVerdict  cd_match_check               (const CdMatchTicket *ticket,
                                              const CdMatchCrew   *crew);

void            cd_match_score               (const CdMatchParams *params,
                                              const CdMatchTicket *ticket,
                                              const CdMatchCrew   *crew,
                                              guint                crew_index,
                                              CdMatchScore        *score);

/* Every crew as a CdMatchScore: feasible ones first, by ascending total,
 * then the infeasible ones, also by ascending total; ties by crew index.
 * A crew that already carries @ticket (ticket->assigned_crew) is scored as
 * if it did not, so that it competes fairly with the others. */
GArray         *cd_match_rank                (const CdMatchParams *params,
                                              const CdMatchTicket *ticket,
                                              const CdMatchCrew   *crews,
                                              guint                n_crews);

CdMatchProblem *cd_match_problem_new         (const CdMatchParams *params,
                                              const CdMatchTicket *tickets,
                                              guint                n_tickets,
                                              const CdMatchCrew   *crews,
                                              guint                n_crews);

void            cd_match_problem_free        (CdMatchProblem      *problem);

/* Assigns as many eligible tickets as the hard constraints and the free
 * capacity allow and, among those assignments, the one of least total cost
 * (optimal, not greedy). out_crew[i] is the crew for ticket i, or -1: left
 * unassigned, or not eligible (pinned or already assigned tickets are
 * never moved and always get -1 here). */
gboolean        cd_match_batch               (const CdMatchParams *params,
                                              const CdMatchTicket *tickets,
                                              guint                n_tickets,
                                              const CdMatchCrew   *crews,
                                              guint                n_crews,
                                              gint                *out_crew,
                                              double              *total_cost,
                                              GError             **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CdMatchProblem, cd_match_problem_free)

G_END_DECLS
