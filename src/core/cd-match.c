/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-match.c: crew matching.
 *
 * Distances go through unit vectors: the haversine term sin²(Δφ/2) +
 * cos φ1 cos φ2 sin²(Δλ/2) is (chord / 2)², so d = 2R asin(chord / 2). The
 * batch scores every ticket against every crew, and with the trigonometry
 * done once per point each pair costs one sqrt and one asin. Ranking uses
 * the same path, so a pair costs exactly the same in both.
 */

#include "config.h"

#include <glib/gi18n-lib.h>
#include <math.h>
#include <string.h>

#include "cd-lap.h"
#include "cd-match.h"

/* Mean Earth radius (IUGG). */
#define EARTH_RADIUS_KM 6371.0088

typedef struct {
  double x, y, z;
} Unit;

/* A crew reduced to what pairing with a ticket needs. */
typedef struct {
  Unit   unit;
  double min_per_km;           /* 60 ÷ speed */
} CrewPrep;

/* The same for a ticket. */
typedef struct {
  Unit   unit;
  double detour;
  double weight;               /* urgency weight */
  double priority;             /* added to every pair: see PRIORITY_STEP */
} TicketPrep;

/* See CD_MATCH_PRIORITY_STEP. */
#define PRIORITY_STEP CD_MATCH_PRIORITY_STEP

static gboolean
position_known (double lat,
                double lon)
{
  return isfinite (lat) && isfinite (lon) && fabs (lat) <= 90.0;
}

static void
unit_from_degrees (double  lat,
                   double  lon,
                   Unit   *unit)
{
  double phi = lat * (G_PI / 180.0);
  double lambda = lon * (G_PI / 180.0);
  double cos_phi = cos (phi);

  unit->x = cos_phi * cos (lambda);
  unit->y = cos_phi * sin (lambda);
  unit->z = sin (phi);
}

static double
unit_distance_km (const Unit *a,
                  const Unit *b)
{
  double dx = a->x - b->x;
  double dy = a->y - b->y;
  double dz = a->z - b->z;
  double half_chord = 0.5 * sqrt (dx * dx + dy * dy + dz * dz);

  /* Rounding can push antipodal points a hair past 1. */
  return 2.0 * EARTH_RADIUS_KM * asin (MIN (half_chord, 1.0));
}

static double
crew_min_per_km (const CdMatchParams *params,
                 const CdMatchCrew   *crew)
{
  double speed = crew->speed_kmh;

  if (!(speed > 0) || !isfinite (speed))
    speed = params->default_speed_kmh;
  return 60.0 / speed;
}

static void
crew_prep (const CdMatchParams *params,
           const CdMatchCrew   *crew,
           CrewPrep            *prep)
{
  unit_from_degrees (crew->lat, crew->lon, &prep->unit);
  prep->min_per_km = crew_min_per_km (params, crew);
}

static double
area_detour (const CdMatchParams *params,
             gint                 area)
{
  if (area >= 0 && area < CD_MATCH_MAX_AREAS && params->detour_factor[area] > 0)
    return params->detour_factor[area];
  return params->default_detour;
}

static double
urgency_weight (const CdMatchParams *params,
                CdUrgency            urgency)
{
  if ((guint) urgency < CD_N_URGENCIES)
    return params->urgency_weight[urgency];
  return 1.0;
}

static gboolean
area_mismatch (const CdMatchTicket *ticket,
               const CdMatchCrew   *crew)
{
  if (ticket->area < 0 || ticket->area >= CD_MATCH_MAX_AREAS)
    return FALSE;
  return (crew->areas & (G_GUINT64_CONSTANT (1) << ticket->area)) == 0;
}

/* One place adds the parts up, so the batch matrix and the ranking agree
 * to the last bit. */
static inline double
score_total (const CdMatchScore *score)
{
  return score->cost_travel + score->cost_urgency + score->cost_area + score->cost_load;
}

/* Everything but the verdict, for a crew carrying @load tickets. */
static void
score_parts (const CdMatchParams *params,
             const CdMatchTicket *ticket,
             const Unit          *ticket_unit,
             double               detour,
             double               weight,
             const CdMatchCrew   *crew,
             const CrewPrep      *prep,
             guint                load,
             CdMatchScore        *score)
{
  score->cost_load = params->w_load * load;
  score->cost_area = area_mismatch (ticket, crew) ? params->w_area_mismatch : 0;

  if (ticket_unit == NULL || !position_known (crew->lat, crew->lon))
    {
      score->distance_km = NAN;
      score->travel_min = NAN;
      score->cost_travel = NAN;
      score->cost_urgency = NAN;
      score->total = INFINITY;
      return;
    }

  score->distance_km = unit_distance_km (ticket_unit, &prep->unit);
  score->travel_min = score->distance_km * detour * prep->min_per_km;
  score->cost_travel = params->w_travel_per_min * score->travel_min;
  score->cost_urgency = score->cost_travel * (weight - 1.0);
  score->total = score_total (score);
}

static CdMatchVerdict
check_with_load (const CdMatchTicket *ticket,
                 const CdMatchCrew   *crew,
                 guint                load)
{
  if (ticket->utility != crew->utility)
    return CD_MATCH_WRONG_UTILITY;
  if ((ticket->skills_required & ~crew->skills) != 0)
    return CD_MATCH_MISSING_SKILL;
  if (!crew->on_shift)
    return CD_MATCH_OFF_SHIFT;
  if (load >= crew->capacity)
    return CD_MATCH_FULL;
  if (!position_known (ticket->lat, ticket->lon) ||
      !position_known (crew->lat, crew->lon))
    return CD_MATCH_NO_POSITION;
  return CD_MATCH_OK;
}

static double
ticket_priority (CdUrgency urgency)
{
  if ((guint) urgency >= CD_N_URGENCIES)
    return 0.0;
  return (double) (CD_URGENCY_EMERGENCY - urgency) * PRIORITY_STEP;
}

static void
ticket_prep (const CdMatchParams *params,
             const CdMatchTicket *ticket,
             TicketPrep          *prep)
{
  unit_from_degrees (ticket->lat, ticket->lon, &prep->unit);
  prep->detour = area_detour (params, ticket->area);
  prep->weight = urgency_weight (params, ticket->urgency);
  prep->priority = ticket_priority (ticket->urgency);
}

/* A ticket's costs in the @n_slots free slots of a crew, @stride apart.
 * Slots are free capacity, so only the other constraints can rule the
 * pair out. */
static inline void
pair_fill (const CdMatchParams *params,
           const CdMatchTicket *ticket,
           const TicketPrep    *tprep,
           const CdMatchCrew   *crew,
           const CrewPrep      *cprep,
           guint                n_slots,
           double              *out,
           gsize                stride)
{
  CdMatchScore score;

  if (check_with_load (ticket, crew, crew->load) != CD_MATCH_OK)
    {
      for (guint k = 0; k < n_slots; k++)
        out[k * stride] = INFINITY;
      return;
    }

  score_parts (params, ticket, &tprep->unit, tprep->detour, tprep->weight,
               crew, cprep, crew->load, &score);
  out[0] = score.total + tprep->priority;
  for (guint k = 1; k < n_slots; k++)
    {
      score.cost_load = params->w_load * (crew->load + k);
      out[k * stride] = score_total (&score) + tprep->priority;
    }
}

static int
compare_scores (gconstpointer a,
                gconstpointer b)
{
  const CdMatchScore *sa = a;
  const CdMatchScore *sb = b;
  gboolean fa = sa->verdict == CD_MATCH_OK;
  gboolean fb = sb->verdict == CD_MATCH_OK;

  if (fa != fb)
    return fa ? -1 : 1;
  if (sa->total < sb->total)
    return -1;
  if (sa->total > sb->total)
    return 1;
  return (sa->crew > sb->crew) - (sa->crew < sb->crew);
}

void
cd_match_params_init_default (CdMatchParams *params)
{
  g_return_if_fail (params != NULL);

  memset (params, 0, sizeof *params);
  params->default_speed_kmh = 35.0;
  params->default_detour = 1.3;
  params->w_travel_per_min = 1.0;
  /* A ticket already in hand delays the next one by roughly a job. */
  params->w_load = 20.0;
  /* A crew outside its area knows neither the network nor the streets. */
  params->w_area_mismatch = 15.0;
  params->urgency_weight[CD_URGENCY_NORMAL] = 1.0;
  params->urgency_weight[CD_URGENCY_URGENT] = 1.5;
  params->urgency_weight[CD_URGENCY_EMERGENCY] = 3.0;
}

/* Great-circle distance (haversine) on the mean Earth sphere. */
double
cd_match_distance_km (double lat1,
                      double lon1,
                      double lat2,
                      double lon2)
{
  Unit a, b;

  unit_from_degrees (lat1, lon1, &a);
  unit_from_degrees (lat2, lon2, &b);
  return unit_distance_km (&a, &b);
}

const char *
cd_match_verdict_to_string (CdMatchVerdict verdict)
{
  switch (verdict)
    {
    case CD_MATCH_OK:
      return _("The crew can take this ticket.");
    case CD_MATCH_WRONG_UTILITY:
      return _("The crew works for the other utility.");
    case CD_MATCH_MISSING_SKILL:
      return _("The crew lacks a required skill.");
    case CD_MATCH_OFF_SHIFT:
      return _("The crew is off shift.");
    case CD_MATCH_FULL:
      return _("The crew has no free capacity.");
    case CD_MATCH_NO_POSITION:
      return _("The position of the ticket or of the crew is unknown.");
    default:
      g_return_val_if_reached (NULL);
    }
}

/* Hard constraints, in the order a dispatcher would rule a crew out. */
CdMatchVerdict
cd_match_check (const CdMatchTicket *ticket,
                const CdMatchCrew   *crew)
{
  g_return_val_if_fail (ticket != NULL, CD_MATCH_WRONG_UTILITY);
  g_return_val_if_fail (crew != NULL, CD_MATCH_WRONG_UTILITY);

  return check_with_load (ticket, crew, crew->load);
}

void
cd_match_score (const CdMatchParams *params,
                const CdMatchTicket *ticket,
                const CdMatchCrew   *crew,
                guint                crew_index,
                CdMatchScore        *score)
{
  Unit ticket_unit;
  CrewPrep prep;
  gboolean known;

  g_return_if_fail (params != NULL);
  g_return_if_fail (ticket != NULL);
  g_return_if_fail (crew != NULL);
  g_return_if_fail (score != NULL);

  known = position_known (ticket->lat, ticket->lon);
  if (known)
    unit_from_degrees (ticket->lat, ticket->lon, &ticket_unit);
  crew_prep (params, crew, &prep);

  score->crew = crew_index;
  score->verdict = check_with_load (ticket, crew, crew->load);
  score_parts (params, ticket, known ? &ticket_unit : NULL,
               area_detour (params, ticket->area),
               urgency_weight (params, ticket->urgency),
               crew, &prep, crew->load, score);
}

GArray *
cd_match_rank (const CdMatchParams *params,
               const CdMatchTicket *ticket,
               const CdMatchCrew   *crews,
               guint                n_crews)
{
  GArray *scores;
  Unit ticket_unit;
  gboolean known;
  double detour;
  double weight;

  g_return_val_if_fail (params != NULL, NULL);
  g_return_val_if_fail (ticket != NULL, NULL);
  g_return_val_if_fail (n_crews == 0 || crews != NULL, NULL);

  scores = g_array_sized_new (FALSE, FALSE, sizeof (CdMatchScore), n_crews);
  g_array_set_size (scores, n_crews);

  known = position_known (ticket->lat, ticket->lon);
  if (known)
    unit_from_degrees (ticket->lat, ticket->lon, &ticket_unit);
  detour = area_detour (params, ticket->area);
  weight = urgency_weight (params, ticket->urgency);

  for (guint c = 0; c < n_crews; c++)
    {
      CdMatchScore *score = &g_array_index (scores, CdMatchScore, c);
      const CdMatchCrew *crew = &crews[c];
      guint load = crew->load;
      CrewPrep prep;

      if (ticket->assigned_crew >= 0 && (guint) ticket->assigned_crew == c && load > 0)
        load--;

      crew_prep (params, crew, &prep);
      score->crew = c;
      score->verdict = check_with_load (ticket, crew, load);
      score_parts (params, ticket, known ? &ticket_unit : NULL,
                   detour, weight, crew, &prep, load, score);
    }

  g_array_sort (scores, compare_scores);

  return scores;
}

void
cd_match_problem_free (CdMatchProblem *problem)
{
  if (problem == NULL)
    return;

  g_free (problem->cost);
  g_free (problem->row_ticket);
  g_free (problem->col_crew);
  g_free (problem->col_slot);
  g_free (problem);
}

/* Lays out rows and columns, leaving out tickets no free slot can take and
 * slots no ticket fits: the solver would drop such dead lines with a copy
 * of the whole matrix, and they are cheap to spot from the hard
 * constraints alone. */
static CdMatchProblem *
problem_layout (const CdMatchParams *params,
                const CdMatchTicket *tickets,
                guint                n_tickets,
                const CdMatchCrew   *crews,
                guint                n_crews,
                CrewPrep            *crew_preps,
                TicketPrep          *ticket_preps)
{
  CdMatchProblem *problem = g_new0 (CdMatchProblem, 1);
  g_autofree guint *n_free = g_new (guint, n_crews);
  g_autofree guint *fits = g_new0 (guint, n_crews);
  g_autofree guint *open = g_new (guint, n_tickets);
  guint n_open = 0;
  guint n_rows = 0;
  guint n_cols = 0;

  for (guint c = 0; c < n_crews; c++)
    {
      const CdMatchCrew *crew = &crews[c];

      n_free[c] = crew->capacity > crew->load ? crew->capacity - crew->load : 0;
      if (n_free[c] > 0)
        crew_prep (params, crew, &crew_preps[c]);
    }

  for (guint t = 0; t < n_tickets; t++)
    {
      if (tickets[t].assigned_crew < 0 && !tickets[t].pinned)
        open[n_open++] = t;
    }

  problem->row_ticket = g_new (guint, n_open);
  for (guint k = 0; k < n_open; k++)
    {
      const CdMatchTicket *ticket = &tickets[open[k]];
      gboolean live = FALSE;

      for (guint c = 0; c < n_crews; c++)
        {
          if (n_free[c] > 0 && check_with_load (ticket, &crews[c], crews[c].load) == CD_MATCH_OK)
            {
              live = TRUE;
              fits[c]++;
            }
        }
      if (!live)
        continue;

      problem->row_ticket[n_rows] = open[k];
      ticket_prep (params, ticket, &ticket_preps[n_rows]);
      n_rows++;
    }

  /* No crew needs more slots than there are tickets it could take. */
  for (guint c = 0; c < n_crews; c++)
    n_cols += MIN (n_free[c], fits[c]);

  problem->n_rows = n_rows;
  problem->n_cols = n_cols;
  problem->col_crew = g_new (guint, n_cols);
  problem->col_slot = g_new (guint, n_cols);
  n_cols = 0;
  for (guint c = 0; c < n_crews; c++)
    for (guint k = 0; k < MIN (n_free[c], fits[c]); k++)
      {
        problem->col_crew[n_cols] = c;
        problem->col_slot[n_cols] = k;
        n_cols++;
      }

  return problem;
}

/* Fills the cost matrix, rows = tickets, or transposed (rows = slots) so
 * that the solver, which wants the shorter side as rows, need not copy it.
 * Each (ticket, crew) pair is scored once; its slots differ only in the
 * load term. */
static void
problem_fill (CdMatchProblem      *problem,
              const CdMatchParams *params,
              const CdMatchTicket *tickets,
              const CdMatchCrew   *crews,
              const CrewPrep      *crew_preps,
              const TicketPrep    *ticket_preps,
              gboolean             transposed)
{
  const guint n_rows = problem->n_rows;
  const guint n_cols = problem->n_cols;
  gsize row_stride = transposed ? 1 : n_cols;
  gsize col_stride = transposed ? n_rows : 1;

  problem->cost = g_new (double, (gsize) n_rows * n_cols);

  /* Crew by crew when transposed, ticket by ticket otherwise, so that the
   * writes run along memory. */
  if (transposed)
    {
      for (guint j = 0; j < n_cols; )
        {
          guint c = problem->col_crew[j];
          guint n_slots = 0;

          while (j + n_slots < n_cols && problem->col_crew[j + n_slots] == c)
            n_slots++;
          for (guint i = 0; i < n_rows; i++)
            pair_fill (params, &tickets[problem->row_ticket[i]], &ticket_preps[i],
                       &crews[c], &crew_preps[c], n_slots,
                       problem->cost + i * row_stride + j * col_stride, col_stride);
          j += n_slots;
        }
    }
  else
    {
      for (guint i = 0; i < n_rows; i++)
        for (guint j = 0; j < n_cols; )
          {
            guint c = problem->col_crew[j];
            guint n_slots = 0;

            while (j + n_slots < n_cols && problem->col_crew[j + n_slots] == c)
              n_slots++;
            pair_fill (params, &tickets[problem->row_ticket[i]], &ticket_preps[i],
                       &crews[c], &crew_preps[c], n_slots,
                       problem->cost + i * row_stride + j * col_stride, col_stride);
            j += n_slots;
          }
    }
}

static CdMatchProblem *
problem_new (const CdMatchParams *params,
             const CdMatchTicket *tickets,
             guint                n_tickets,
             const CdMatchCrew   *crews,
             guint                n_crews,
             gboolean             short_side_rows,
             gboolean            *transposed)
{
  g_autofree CrewPrep *crew_preps = g_new (CrewPrep, n_crews);
  g_autofree TicketPrep *ticket_preps = g_new (TicketPrep, n_tickets);
  CdMatchProblem *problem;

  problem = problem_layout (params, tickets, n_tickets, crews, n_crews,
                            crew_preps, ticket_preps);
  *transposed = short_side_rows && problem->n_cols < problem->n_rows;
  problem_fill (problem, params, tickets, crews, crew_preps, ticket_preps, *transposed);

  return problem;
}

CdMatchProblem *
cd_match_problem_new (const CdMatchParams *params,
                      const CdMatchTicket *tickets,
                      guint                n_tickets,
                      const CdMatchCrew   *crews,
                      guint                n_crews)
{
  gboolean transposed;

  g_return_val_if_fail (params != NULL, NULL);
  g_return_val_if_fail (n_tickets == 0 || tickets != NULL, NULL);
  g_return_val_if_fail (n_crews == 0 || crews != NULL, NULL);

  return problem_new (params, tickets, n_tickets, crews, n_crews, FALSE, &transposed);
}

/* The PRIORITY_STEP terms the solver's total holds for the tickets it
 * assigned. */
static double
priority_of_assigned (const CdMatchProblem *problem,
                      const CdMatchTicket  *tickets,
                      const gint           *out_crew)
{
  double sum = 0;

  for (guint i = 0; i < problem->n_rows; i++)
    {
      guint t = problem->row_ticket[i];

      if (out_crew[t] >= 0)
        sum += ticket_priority (tickets[t].urgency);
    }
  return sum;
}

gboolean
cd_match_batch (const CdMatchParams  *params,
                const CdMatchTicket  *tickets,
                guint                 n_tickets,
                const CdMatchCrew    *crews,
                guint                 n_crews,
                gint                 *out_crew,
                double               *total_cost,
                GError              **error)
{
  g_autoptr(CdMatchProblem) problem = NULL;
  g_autofree gint *assignment = NULL;
  gboolean transposed;

  g_return_val_if_fail (params != NULL, FALSE);
  g_return_val_if_fail (n_tickets == 0 || tickets != NULL, FALSE);
  g_return_val_if_fail (n_crews == 0 || crews != NULL, FALSE);
  g_return_val_if_fail (n_tickets == 0 || out_crew != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  for (guint t = 0; t < n_tickets; t++)
    out_crew[t] = -1;
  if (total_cost != NULL)
    *total_cost = 0;

  problem = problem_new (params, tickets, n_tickets, crews, n_crews, TRUE, &transposed);

  if (!transposed)
    {
      assignment = g_new (gint, problem->n_rows);
      if (!cd_lap_solve (problem->n_rows, problem->n_cols, problem->cost,
                         assignment, total_cost, error))
        return FALSE;
      for (guint i = 0; i < problem->n_rows; i++)
        {
          if (assignment[i] >= 0)
            out_crew[problem->row_ticket[i]] = problem->col_crew[assignment[i]];
        }
      if (total_cost != NULL)
        *total_cost -= priority_of_assigned (problem, tickets, out_crew);
    }
  else
    {
      assignment = g_new (gint, problem->n_cols);
      if (!cd_lap_solve (problem->n_cols, problem->n_rows, problem->cost,
                         assignment, total_cost, error))
        return FALSE;
      for (guint j = 0; j < problem->n_cols; j++)
        {
          if (assignment[j] >= 0)
            out_crew[problem->row_ticket[assignment[j]]] = problem->col_crew[j];
        }
      if (total_cost != NULL)
        *total_cost -= priority_of_assigned (problem, tickets, out_crew);
    }

  return TRUE;
}
