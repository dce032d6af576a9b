/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-match.c: crew matching, ranking and batch. */

#include "config.h"

#include <math.h>
#include <string.h>

#include "cd-match.h"

#define CITY_LAT 45.75
#define CITY_LON 126.65
#define N_SKILLS 4
#define N_AREAS 5

static double
classic_haversine (double lat1,
                   double lon1,
                   double lat2,
                   double lon2)
{
  double p1 = lat1 * G_PI / 180, p2 = lat2 * G_PI / 180;
  double dp = p2 - p1, dl = (lon2 - lon1) * G_PI / 180;
  double h = sin (dp / 2) * sin (dp / 2) + cos (p1) * cos (p2) * sin (dl / 2) * sin (dl / 2);

  return 2 * 6371.0088 * asin (sqrt (h));
}

/* Somewhere within about 15 km of the city centre. */
static void
random_position (GRand  *rand,
                 double *lat,
                 double *lon)
{
  *lat = CITY_LAT + g_rand_double_range (rand, -0.135, 0.135);
  *lon = CITY_LON + g_rand_double_range (rand, -0.19, 0.19);
}

static void
random_ticket (GRand         *rand,
               CdMatchTicket *t)
{
  memset (t, 0, sizeof *t);
  random_position (rand, &t->lat, &t->lon);
  t->utility = g_rand_boolean (rand) ? CD_UTILITY_HEAT : CD_UTILITY_POWER;
  t->skills_required = 0;
  if (g_rand_int_range (rand, 0, 3) == 0)
    t->skills_required |= G_GUINT64_CONSTANT (1) << g_rand_int_range (rand, 0, N_SKILLS);
  t->urgency = g_rand_int_range (rand, 0, CD_N_URGENCIES);
  t->area = g_rand_int_range (rand, -1, N_AREAS);
  t->pinned = FALSE;
  t->assigned_crew = -1;
}

static void
random_crew (GRand       *rand,
             CdMatchCrew *c)
{
  memset (c, 0, sizeof *c);
  random_position (rand, &c->lat, &c->lon);
  c->utility = g_rand_boolean (rand) ? CD_UTILITY_HEAT : CD_UTILITY_POWER;
  c->skills = g_rand_int_range (rand, 0, 1 << N_SKILLS);
  c->on_shift = g_rand_int_range (rand, 0, 6) != 0;
  c->capacity = g_rand_int_range (rand, 0, 4);
  c->load = c->capacity > 0 ? g_rand_int_range (rand, 0, c->capacity + 1) : 0;
  c->areas = g_rand_int_range (rand, 0, 1 << N_AREAS);
  c->speed_kmh = g_rand_boolean (rand) ? 0 : g_rand_double_range (rand, 20, 50);
}

static void
test_match_distance (void)
{
  double d;

  /* Published great-circle distances. */
  d = cd_match_distance_km (51.5074, -0.1278, 48.8566, 2.3522);
  g_assert_cmpfloat (fabs (d - 343.5) / 343.5, <, 0.005);
  d = cd_match_distance_km (39.9042, 116.4074, 31.2304, 121.4737);
  g_assert_cmpfloat (fabs (d - 1067.0) / 1067.0, <, 0.005);

  g_assert_cmpfloat (cd_match_distance_km (10, 20, 10, 20), ==, 0);
  g_assert_cmpfloat_with_epsilon (cd_match_distance_km (0, 0, 0, 180),
                                  G_PI * 6371.0088, 1e-6);
  g_assert_cmpfloat_with_epsilon (cd_match_distance_km (90, 0, -90, 0),
                                  G_PI * 6371.0088, 1e-6);

  /* The chord form is the haversine formula, symmetric. */
  {
    g_autoptr(GRand) rand = g_rand_new_with_seed (3);

    for (guint k = 0; k < 1000; k++)
      {
        double lat1 = g_rand_double_range (rand, -89, 89);
        double lon1 = g_rand_double_range (rand, -180, 180);
        double lat2 = k % 2 ? lat1 + g_rand_double_range (rand, -0.01, 0.01)
                            : g_rand_double_range (rand, -89, 89);
        double lon2 = k % 2 ? lon1 + g_rand_double_range (rand, -0.01, 0.01)
                            : g_rand_double_range (rand, -180, 180);
        double want = classic_haversine (lat1, lon1, lat2, lon2);
        double got = cd_match_distance_km (lat1, lon1, lat2, lon2);

        g_assert_cmpfloat (fabs (got - want), <=, 1e-9 * want + 1e-9);
        g_assert_cmpfloat (got, ==, cd_match_distance_km (lat2, lon2, lat1, lon1));
      }
  }
}

static void
test_match_verdicts (void)
{
  CdMatchTicket t = { CITY_LAT, CITY_LON, CD_UTILITY_POWER, 0x5, CD_URGENCY_URGENT, 2, FALSE, -1 };
  CdMatchCrew ok = { CITY_LAT, CITY_LON + 0.01, CD_UTILITY_POWER, 0x7, TRUE, 2, 1, 0x4, 0 };
  CdMatchCrew c;
  const char *strings[CD_MATCH_NO_POSITION + 1];

  g_assert_cmpint (cd_match_check (&t, &ok), ==, CD_MATCH_OK);

  c = ok;
  c.utility = CD_UTILITY_HEAT;
  g_assert_cmpint (cd_match_check (&t, &c), ==, CD_MATCH_WRONG_UTILITY);
  /* The first broken constraint is the one reported. */
  c.skills = 0;
  c.on_shift = FALSE;
  g_assert_cmpint (cd_match_check (&t, &c), ==, CD_MATCH_WRONG_UTILITY);

  c = ok;
  c.skills = 0x3;
  g_assert_cmpint (cd_match_check (&t, &c), ==, CD_MATCH_MISSING_SKILL);

  c = ok;
  c.on_shift = FALSE;
  c.load = 2;
  g_assert_cmpint (cd_match_check (&t, &c), ==, CD_MATCH_OFF_SHIFT);

  c = ok;
  c.load = 2;
  g_assert_cmpint (cd_match_check (&t, &c), ==, CD_MATCH_FULL);
  c.capacity = 0;
  c.load = 0;
  g_assert_cmpint (cd_match_check (&t, &c), ==, CD_MATCH_FULL);

  c = ok;
  c.lat = NAN;
  g_assert_cmpint (cd_match_check (&t, &c), ==, CD_MATCH_NO_POSITION);

  for (guint v = CD_MATCH_OK; v <= CD_MATCH_NO_POSITION; v++)
    {
      strings[v] = cd_match_verdict_to_string (v);
      g_assert_nonnull (strings[v]);
      g_assert_cmpuint (strlen (strings[v]), >, 0);
      for (guint w = CD_MATCH_OK; w < v; w++)
        g_assert_cmpstr (strings[v], !=, strings[w]);
    }
  g_assert_cmpstr (cd_match_verdict_to_string (CD_MATCH_MISSING_SKILL), ==,
                   "The crew lacks a required skill.");
}

static void
test_match_score_parts (void)
{
  CdMatchParams p;
  CdMatchTicket t = { CITY_LAT, CITY_LON, CD_UTILITY_HEAT, 0, CD_URGENCY_EMERGENCY, 3, FALSE, -1 };
  CdMatchCrew c = { CITY_LAT + 0.05, CITY_LON, CD_UTILITY_HEAT, 0, TRUE, 3, 2, 0x1, 40 };
  CdMatchScore s;
  double d;

  cd_match_params_init_default (&p);
  p.detour_factor[3] = 1.5;
  d = cd_match_distance_km (t.lat, t.lon, c.lat, c.lon);

  cd_match_score (&p, &t, &c, 7, &s);
  g_assert_cmpuint (s.crew, ==, 7);
  g_assert_cmpint (s.verdict, ==, CD_MATCH_OK);
  g_assert_cmpfloat (s.distance_km, ==, d);
  g_assert_cmpfloat_with_epsilon (s.distance_km, 5.559, 0.01);
  g_assert_cmpfloat_with_epsilon (s.travel_min, d * 1.5 / 40 * 60, 1e-12);
  g_assert_cmpfloat_with_epsilon (s.cost_travel, p.w_travel_per_min * s.travel_min, 1e-12);
  g_assert_cmpfloat_with_epsilon (s.cost_urgency, s.cost_travel * (p.urgency_weight[CD_URGENCY_EMERGENCY] - 1), 1e-12);
  g_assert_cmpfloat (s.cost_load, ==, 2 * p.w_load);
  g_assert_cmpfloat (s.cost_area, ==, p.w_area_mismatch);
  g_assert_cmpfloat_with_epsilon (s.total, s.cost_travel + s.cost_urgency + s.cost_load + s.cost_area, 1e-12);

  /* Default speed and detour; area served; unknown area never penalised. */
  c.speed_kmh = 0;
  c.areas = 1 << 3;
  t.area = 4;
  cd_match_score (&p, &t, &c, 0, &s);
  g_assert_cmpfloat_with_epsilon (s.travel_min, d * p.default_detour / p.default_speed_kmh * 60, 1e-12);
  g_assert_cmpfloat (s.cost_area, ==, p.w_area_mismatch);
  t.area = 3;
  cd_match_score (&p, &t, &c, 0, &s);
  g_assert_cmpfloat (s.cost_area, ==, 0);
  t.area = -1;
  cd_match_score (&p, &t, &c, 0, &s);
  g_assert_cmpfloat (s.cost_area, ==, 0);

  /* Normal urgency adds nothing. */
  t.urgency = CD_URGENCY_NORMAL;
  cd_match_score (&p, &t, &c, 0, &s);
  g_assert_cmpfloat (s.cost_urgency, ==, 0);

  t.lon = INFINITY;
  cd_match_score (&p, &t, &c, 0, &s);
  g_assert_cmpint (s.verdict, ==, CD_MATCH_NO_POSITION);
  g_assert_true (isnan (s.distance_km));
  g_assert_cmpfloat (s.total, ==, INFINITY);
}

static void
test_match_rank (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (11);
  CdMatchParams p;

  cd_match_params_init_default (&p);

  for (guint rep = 0; rep < 50; rep++)
    {
      guint n_crews = g_rand_int_range (rand, 0, 60);
      g_autofree CdMatchCrew *crews = g_new (CdMatchCrew, n_crews);
      g_autofree gboolean *seen = g_new0 (gboolean, n_crews);
      g_autoptr(GArray) ranked = NULL;
      CdMatchTicket t;
      gboolean in_feasible = TRUE;

      random_ticket (rand, &t);
      for (guint c = 0; c < n_crews; c++)
        random_crew (rand, &crews[c]);
      /* Twins must rank by index. */
      if (n_crews >= 4)
        crews[3] = crews[1];

      ranked = cd_match_rank (&p, &t, crews, n_crews);
      g_assert_cmpuint (ranked->len, ==, n_crews);

      for (guint k = 0; k < ranked->len; k++)
        {
          const CdMatchScore *s = &g_array_index (ranked, CdMatchScore, k);
          CdMatchScore alone;

          g_assert_cmpuint (s->crew, <, n_crews);
          g_assert_false (seen[s->crew]);
          seen[s->crew] = TRUE;

          g_assert_cmpint (s->verdict, ==, cd_match_check (&t, &crews[s->crew]));
          g_assert_cmpfloat_with_epsilon (s->total, s->cost_travel + s->cost_urgency +
                                          s->cost_load + s->cost_area, 1e-9);

          cd_match_score (&p, &t, &crews[s->crew], s->crew, &alone);
          g_assert_cmpmem (s, sizeof *s, &alone, sizeof alone);

          if (s->verdict != CD_MATCH_OK)
            in_feasible = FALSE;
          else
            g_assert_true (in_feasible);

          if (k > 0)
            {
              const CdMatchScore *prev = &g_array_index (ranked, CdMatchScore, k - 1);

              if ((prev->verdict == CD_MATCH_OK) == (s->verdict == CD_MATCH_OK))
                {
                  g_assert_cmpfloat (prev->total, <=, s->total);
                  if (prev->total == s->total)
                    g_assert_cmpuint (prev->crew, <, s->crew);
                }
            }
        }
    }
}

/* The crew that carries the ticket is scored without it, so it is not
 * "full" of the very ticket being ranked. */
static void
test_match_rank_assigned (void)
{
  CdMatchParams p;
  CdMatchTicket t = { CITY_LAT, CITY_LON, CD_UTILITY_HEAT, 0, CD_URGENCY_NORMAL, -1, FALSE, 1 };
  CdMatchCrew crews[2] = {
    { CITY_LAT + 0.1, CITY_LON, CD_UTILITY_HEAT, 0, TRUE, 1, 0, 0, 0 },
    { CITY_LAT + 0.01, CITY_LON, CD_UTILITY_HEAT, 0, TRUE, 1, 1, 0, 0 },
  };
  g_autoptr(GArray) ranked = NULL;
  const CdMatchScore *first;

  cd_match_params_init_default (&p);
  ranked = cd_match_rank (&p, &t, crews, 2);
  first = &g_array_index (ranked, CdMatchScore, 0);
  g_assert_cmpuint (first->crew, ==, 1);
  g_assert_cmpint (first->verdict, ==, CD_MATCH_OK);
  g_assert_cmpfloat (first->cost_load, ==, 0);

  t.assigned_crew = -1;
  g_clear_pointer (&ranked, g_array_unref);
  ranked = cd_match_rank (&p, &t, crews, 2);
  g_assert_cmpuint (g_array_index (ranked, CdMatchScore, 0).crew, ==, 0);
  g_assert_cmpint (g_array_index (ranked, CdMatchScore, 1).verdict, ==, CD_MATCH_FULL);
}

typedef struct {
  const CdMatchParams *p;
  const CdMatchTicket *tickets;
  guint                n_tickets;
  const CdMatchCrew   *crews;
  guint                n_crews;
  guint               *taken;          /* per crew, new tickets so far */
  gint                *choice;
  guint                best_count;
  guint                best_urgency;
  double               best_cost;
} BruteBatch;

/* The sum of the urgency levels of the assigned tickets: between two
 * assignments of as many tickets, the batch takes the more urgent ones. */
static guint
batch_urgency (const CdMatchTicket *tickets,
               guint                n_tickets,
               const gint          *choice)
{
  guint sum = 0;

  for (guint t = 0; t < n_tickets; t++)
    if (choice[t] >= 0)
      sum += tickets[t].urgency;
  return sum;
}

/* Cost of one assignment: each pair's cost without the load term, plus,
 * per crew, the load terms of the slots it fills (load, load + 1, ...). */
static double
batch_cost (const CdMatchParams *p,
            const CdMatchTicket *tickets,
            guint                n_tickets,
            const CdMatchCrew   *crews,
            guint                n_crews,
            const gint          *choice,
            guint               *count)
{
  g_autofree guint *taken = g_new0 (guint, n_crews);
  double sum = 0;

  *count = 0;
  for (guint t = 0; t < n_tickets; t++)
    {
      CdMatchScore s;

      if (choice[t] < 0)
        continue;
      cd_match_score (p, &tickets[t], &crews[choice[t]], choice[t], &s);
      sum += s.total - s.cost_load;
      taken[choice[t]]++;
      *count += 1;
    }
  for (guint c = 0; c < n_crews; c++)
    for (guint k = 0; k < taken[c]; k++)
      sum += p->w_load * (crews[c].load + k);

  return sum;
}

static void
brute_batch_visit (BruteBatch *b,
                   guint       t)
{
  if (t == b->n_tickets)
    {
      guint count;
      double cost = batch_cost (b->p, b->tickets, b->n_tickets, b->crews,
                                b->n_crews, b->choice, &count);
      guint urgency = batch_urgency (b->tickets, b->n_tickets, b->choice);

      if (count > b->best_count ||
          (count == b->best_count && urgency > b->best_urgency) ||
          (count == b->best_count && urgency == b->best_urgency && cost < b->best_cost - 1e-12))
        {
          b->best_count = count;
          b->best_urgency = urgency;
          b->best_cost = cost;
        }
      return;
    }

  b->choice[t] = -1;
  brute_batch_visit (b, t + 1);

  if (b->tickets[t].pinned || b->tickets[t].assigned_crew >= 0)
    return;

  for (guint c = 0; c < b->n_crews; c++)
    {
      const CdMatchCrew *crew = &b->crews[c];
      CdMatchCrew busier = *crew;

      busier.load = crew->load + b->taken[c];
      if (cd_match_check (&b->tickets[t], &busier) != CD_MATCH_OK)
        continue;
      b->taken[c]++;
      b->choice[t] = c;
      brute_batch_visit (b, t + 1);
      b->taken[c]--;
    }
  b->choice[t] = -1;
}

static void
test_match_batch_brute_force (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (424242);
  CdMatchParams p;

  cd_match_params_init_default (&p);
  p.detour_factor[1] = 1.8;

  for (guint rep = 0; rep < 400; rep++)
    {
      guint n_tickets = g_rand_int_range (rand, 0, 7);
      guint n_crews = g_rand_int_range (rand, 0, 5);
      g_autofree CdMatchTicket *tickets = g_new (CdMatchTicket, n_tickets);
      g_autofree CdMatchCrew *crews = g_new (CdMatchCrew, n_crews);
      g_autofree gint *out = g_new (gint, n_tickets);
      g_autofree gint *choice = g_new (gint, n_tickets);
      g_autofree guint *taken = g_new0 (guint, n_crews);
      g_autoptr(GError) error = NULL;
      BruteBatch b = { &p, tickets, n_tickets, crews, n_crews, taken, choice, 0, 0, 0 };
      guint count;
      double total, cost;

      for (guint c = 0; c < n_crews; c++)
        {
          random_crew (rand, &crews[c]);
          /* Mostly one kind of work, so that crews compete. */
          crews[c].utility = CD_UTILITY_HEAT;
        }
      for (guint t = 0; t < n_tickets; t++)
        {
          random_ticket (rand, &tickets[t]);
          if (g_rand_int_range (rand, 0, 5) > 0)
            tickets[t].utility = CD_UTILITY_HEAT;
          if (g_rand_int_range (rand, 0, 8) == 0)
            tickets[t].pinned = TRUE;
          if (n_crews > 0 && g_rand_int_range (rand, 0, 8) == 0)
            tickets[t].assigned_crew = g_rand_int_range (rand, 0, n_crews);
        }

      g_assert_true (cd_match_batch (&p, tickets, n_tickets, crews, n_crews,
                                     out, &total, &error));
      g_assert_no_error (error);

      brute_batch_visit (&b, 0);
      cost = batch_cost (&p, tickets, n_tickets, crews, n_crews, out, &count);
      g_assert_cmpuint (count, ==, b.best_count);
      g_assert_cmpuint (batch_urgency (tickets, n_tickets, out), ==, b.best_urgency);
      g_assert_cmpfloat_with_epsilon (cost, b.best_cost, 1e-9);
      g_assert_cmpfloat_with_epsilon (total, cost, 1e-9);
    }
}

static void
make_instance (guint32         seed,
               guint           n_tickets,
               guint           n_crews,
               CdMatchTicket **tickets,
               CdMatchCrew   **crews)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (seed);

  *tickets = g_new (CdMatchTicket, n_tickets);
  *crews = g_new (CdMatchCrew, n_crews);
  for (guint c = 0; c < n_crews; c++)
    random_crew (rand, &(*crews)[c]);
  for (guint t = 0; t < n_tickets; t++)
    {
      random_ticket (rand, &(*tickets)[t]);
      switch (g_rand_int_range (rand, 0, 10))
        {
        case 0:
          (*tickets)[t].pinned = TRUE;
          (*tickets)[t].assigned_crew = g_rand_int_range (rand, 0, n_crews);
          break;
        case 1:
          (*tickets)[t].assigned_crew = g_rand_int_range (rand, 0, n_crews);
          break;
        case 2:
          (*tickets)[t].pinned = TRUE;
          break;
        default:
          break;
        }
    }
}

static void
test_match_batch_constraints (void)
{
  CdMatchParams p;

  cd_match_params_init_default (&p);

  for (guint32 seed = 1; seed <= 6; seed++)
    {
      const guint n_tickets = 600, n_crews = 120;
      g_autofree CdMatchTicket *tickets = NULL;
      g_autofree CdMatchCrew *crews = NULL;
      g_autofree gint *out = g_new (gint, n_tickets);
      g_autofree guint *taken = g_new0 (guint, n_crews);
      double total;

      make_instance (seed, n_tickets, n_crews, &tickets, &crews);
      /* A quiet night as well as a storm. */
      g_assert_true (cd_match_batch (&p, tickets, seed % 2 ? n_tickets : 40,
                                     crews, n_crews, out, &total, NULL));

      for (guint t = 0; t < (seed % 2 ? n_tickets : 40); t++)
        {
          CdMatchCrew *crew;

          if (out[t] < 0)
            continue;
          g_assert_false (tickets[t].pinned);
          g_assert_cmpint (tickets[t].assigned_crew, ==, -1);
          g_assert_cmpint (out[t], <, (gint) n_crews);
          crew = &crews[out[t]];
          g_assert_cmpint (tickets[t].utility, ==, crew->utility);
          g_assert_cmpuint (tickets[t].skills_required & ~crew->skills, ==, 0);
          g_assert_true (crew->on_shift);
          taken[out[t]]++;
          g_assert_cmpuint (crew->load + taken[out[t]], <=, crew->capacity);
        }

      /* Maximum: no open ticket fits a crew that still has room. */
      for (guint t = 0; t < (seed % 2 ? n_tickets : 40); t++)
        {
          if (out[t] >= 0 || tickets[t].pinned || tickets[t].assigned_crew >= 0)
            continue;
          for (guint c = 0; c < n_crews; c++)
            {
              CdMatchCrew busier = crews[c];

              busier.load += taken[c];
              g_assert_cmpint (cd_match_check (&tickets[t], &busier), !=, CD_MATCH_OK);
            }
        }
    }
}

static void
test_match_batch_pinned (void)
{
  CdMatchParams p;
  CdMatchCrew crew = { CITY_LAT, CITY_LON, CD_UTILITY_POWER, 0, TRUE, 3, 0, 0, 0 };
  CdMatchTicket tickets[4] = {
    { CITY_LAT, CITY_LON, CD_UTILITY_POWER, 0, CD_URGENCY_NORMAL, -1, TRUE, 0 },
    { CITY_LAT, CITY_LON, CD_UTILITY_POWER, 0, CD_URGENCY_NORMAL, -1, FALSE, 0 },
    { CITY_LAT, CITY_LON, CD_UTILITY_POWER, 0, CD_URGENCY_NORMAL, -1, TRUE, -1 },
    { CITY_LAT + 0.01, CITY_LON, CD_UTILITY_POWER, 0, CD_URGENCY_NORMAL, -1, FALSE, -1 },
  };
  gint out[4];
  double total;
  CdMatchScore s;

  cd_match_params_init_default (&p);
  /* The caller counts assigned tickets in load. */
  crew.load = 2;
  g_assert_true (cd_match_batch (&p, tickets, 4, &crew, 1, out, &total, NULL));
  g_assert_cmpint (out[0], ==, -1);
  g_assert_cmpint (out[1], ==, -1);
  g_assert_cmpint (out[2], ==, -1);
  g_assert_cmpint (out[3], ==, 0);
  cd_match_score (&p, &tickets[3], &crew, 0, &s);
  g_assert_cmpfloat_with_epsilon (total, s.total, 1e-6);

  crew.load = 3;
  g_assert_true (cd_match_batch (&p, tickets, 4, &crew, 1, out, &total, NULL));
  g_assert_cmpint (out[3], ==, -1);
  g_assert_cmpfloat (total, ==, 0);

  g_assert_true (cd_match_batch (&p, NULL, 0, &crew, 1, NULL, &total, NULL));
  g_assert_true (cd_match_batch (&p, tickets, 4, NULL, 0, out, &total, NULL));
  for (guint t = 0; t < 4; t++)
    g_assert_cmpint (out[t], ==, -1);
}

/* One free slot, two tickets: the emergency gets it even though the
 * normal ticket is next door and the emergency across town. */
static void
test_match_batch_urgency_first (void)
{
  CdMatchParams p;
  CdMatchCrew crew = { CITY_LAT, CITY_LON, CD_UTILITY_HEAT, 0, TRUE, 1, 0, 0, 0 };
  CdMatchTicket tickets[3] = {
    { CITY_LAT + 0.001, CITY_LON, CD_UTILITY_HEAT, 0, CD_URGENCY_NORMAL, -1, FALSE, -1 },
    { CITY_LAT + 0.08, CITY_LON, CD_UTILITY_HEAT, 0, CD_URGENCY_EMERGENCY, -1, FALSE, -1 },
    { CITY_LAT + 0.002, CITY_LON, CD_UTILITY_HEAT, 0, CD_URGENCY_URGENT, -1, FALSE, -1 },
  };
  gint out[3];
  double total;
  CdMatchScore s;

  cd_match_params_init_default (&p);
  g_assert_true (cd_match_batch (&p, tickets, 3, &crew, 1, out, &total, NULL));
  g_assert_cmpint (out[0], ==, -1);
  g_assert_cmpint (out[1], ==, 0);
  g_assert_cmpint (out[2], ==, -1);
  /* The reported total is the pair's own cost, without the priority. */
  cd_match_score (&p, &tickets[1], &crew, 0, &s);
  g_assert_cmpfloat_with_epsilon (total, s.total, 1e-6);

  /* Two slots: the urgent ticket before the normal one. */
  crew.capacity = 2;
  g_assert_true (cd_match_batch (&p, tickets, 3, &crew, 1, out, &total, NULL));
  g_assert_cmpint (out[0], ==, -1);
  g_assert_cmpint (out[1], ==, 0);
  g_assert_cmpint (out[2], ==, 0);
}

/* One ticket: the batch takes the ranking's first crew at its price. */
static void
test_match_batch_agrees_with_rank (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (5);
  CdMatchParams p;

  cd_match_params_init_default (&p);
  for (guint rep = 0; rep < 100; rep++)
    {
      CdMatchCrew crews[30];
      CdMatchTicket t;
      g_autoptr(GArray) ranked = NULL;
      const CdMatchScore *best;
      gint out;
      double total;

      random_ticket (rand, &t);
      for (guint c = 0; c < G_N_ELEMENTS (crews); c++)
        random_crew (rand, &crews[c]);

      ranked = cd_match_rank (&p, &t, crews, G_N_ELEMENTS (crews));
      g_assert_true (cd_match_batch (&p, &t, 1, crews, G_N_ELEMENTS (crews),
                                     &out, &total, NULL));
      best = &g_array_index (ranked, CdMatchScore, 0);
      if (best->verdict == CD_MATCH_OK)
        {
          g_assert_cmpint (out, ==, (gint) best->crew);
          g_assert_cmpfloat_with_epsilon (total, best->total, 1e-6);
        }
      else
        {
          g_assert_cmpint (out, ==, -1);
        }
    }
}

static void
test_match_problem (void)
{
  CdMatchParams p;
  CdMatchCrew crews[3] = {
    { CITY_LAT, CITY_LON, CD_UTILITY_HEAT, 0x1, TRUE, 4, 1, 0, 0 },
    { CITY_LAT, CITY_LON, CD_UTILITY_HEAT, 0x1, FALSE, 3, 0, 0, 0 },
    { CITY_LAT, CITY_LON, CD_UTILITY_POWER, 0x1, TRUE, 1, 0, 0, 0 },
  };
  CdMatchTicket tickets[5] = {
    { CITY_LAT + 0.02, CITY_LON, CD_UTILITY_HEAT, 0x1, CD_URGENCY_NORMAL, -1, FALSE, -1 },
    { CITY_LAT + 0.02, CITY_LON, CD_UTILITY_HEAT, 0x1, CD_URGENCY_NORMAL, -1, TRUE, -1 },
    { CITY_LAT + 0.03, CITY_LON, CD_UTILITY_HEAT, 0x2, CD_URGENCY_NORMAL, -1, FALSE, -1 },
    { CITY_LAT + 0.03, CITY_LON, CD_UTILITY_POWER, 0x0, CD_URGENCY_URGENT, -1, FALSE, -1 },
    { CITY_LAT - 0.01, CITY_LON, CD_UTILITY_HEAT, 0x0, CD_URGENCY_NORMAL, -1, FALSE, -1 },
  };
  g_autoptr(CdMatchProblem) problem = NULL;
  CdMatchScore s0, s3, s4;

  cd_match_params_init_default (&p);
  problem = cd_match_problem_new (&p, tickets, 5, crews, 3);
  cd_match_score (&p, &tickets[0], &crews[0], 0, &s0);
  cd_match_score (&p, &tickets[3], &crews[2], 2, &s3);
  cd_match_score (&p, &tickets[4], &crews[0], 0, &s4);

  /* Ticket 1 is pinned, no crew can take ticket 2. Crew 0 has three free
   * slots but only two tickets for them, crew 1 is off shift. */
  g_assert_cmpuint (problem->n_rows, ==, 3);
  g_assert_cmpuint (problem->row_ticket[0], ==, 0);
  g_assert_cmpuint (problem->row_ticket[1], ==, 3);
  g_assert_cmpuint (problem->row_ticket[2], ==, 4);
  g_assert_cmpuint (problem->n_cols, ==, 3);
  g_assert_cmpuint (problem->col_crew[0], ==, 0);
  g_assert_cmpuint (problem->col_slot[0], ==, 0);
  g_assert_cmpuint (problem->col_crew[1], ==, 0);
  g_assert_cmpuint (problem->col_slot[1], ==, 1);
  g_assert_cmpuint (problem->col_crew[2], ==, 2);
  g_assert_cmpuint (problem->col_slot[2], ==, 0);

  /* Normal tickets cost two priority steps more, urgent ones one. */
  g_assert_cmpfloat_with_epsilon (problem->cost[0], s0.total + 2 * CD_MATCH_PRIORITY_STEP, 1e-6);
  g_assert_cmpfloat_with_epsilon (problem->cost[1], s0.total + p.w_load + 2 * CD_MATCH_PRIORITY_STEP, 1e-6);
  g_assert_cmpfloat (problem->cost[2], ==, INFINITY);
  g_assert_cmpfloat (problem->cost[3], ==, INFINITY);
  g_assert_cmpfloat (problem->cost[4], ==, INFINITY);
  g_assert_cmpfloat_with_epsilon (problem->cost[5], s3.total + CD_MATCH_PRIORITY_STEP, 1e-6);
  g_assert_cmpfloat_with_epsilon (problem->cost[6], s4.total + 2 * CD_MATCH_PRIORITY_STEP, 1e-6);
  g_assert_cmpfloat_with_epsilon (problem->cost[7], s4.total + p.w_load + 2 * CD_MATCH_PRIORITY_STEP, 1e-6);
  g_assert_cmpfloat (problem->cost[8], ==, INFINITY);
}

static void
test_match_determinism (void)
{
  const guint n_tickets = 800, n_crews = 150;
  g_autofree CdMatchTicket *tickets = NULL;
  g_autofree CdMatchCrew *crews = NULL;
  g_autofree gint *out1 = g_new (gint, n_tickets);
  g_autofree gint *out2 = g_new (gint, n_tickets);
  CdMatchParams p;
  double total1, total2;

  cd_match_params_init_default (&p);
  make_instance (77, n_tickets, n_crews, &tickets, &crews);
  g_assert_true (cd_match_batch (&p, tickets, n_tickets, crews, n_crews, out1, &total1, NULL));
  g_assert_true (cd_match_batch (&p, tickets, n_tickets, crews, n_crews, out2, &total2, NULL));
  g_assert_cmpmem (out1, sizeof (gint) * n_tickets, out2, sizeof (gint) * n_tickets);
  g_assert_cmpfloat (total1, ==, total2);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/match/distance", test_match_distance);
  g_test_add_func ("/match/verdicts", test_match_verdicts);
  g_test_add_func ("/match/score-parts", test_match_score_parts);
  g_test_add_func ("/match/rank", test_match_rank);
  g_test_add_func ("/match/rank-assigned", test_match_rank_assigned);
  g_test_add_func ("/match/problem", test_match_problem);
  g_test_add_func ("/match/batch-brute-force", test_match_batch_brute_force);
  g_test_add_func ("/match/batch-constraints", test_match_batch_constraints);
  g_test_add_func ("/match/batch-pinned", test_match_batch_pinned);
  g_test_add_func ("/match/batch-urgency-first", test_match_batch_urgency_first);
  g_test_add_func ("/match/batch-agrees-with-rank", test_match_batch_agrees_with_rank);
  g_test_add_func ("/match/determinism", test_match_determinism);

  return g_test_run ();
}
