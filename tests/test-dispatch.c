/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-dispatch.c: the batch optimizer over records. */
#include "config.h"

#include "cd-dispatch.h"
#include "cd-model.h"

#define NOW 1795000000

static CdCrew *
crew (const char *name,
      CdUtility   utility,
      const char *skill,
      gint64      capacity,
      double      lat,
      double      lon)
{
  g_autofree char *id = g_uuid_string_random ();
  const char *skills[] = { skill, NULL };
  CdCrew *c = g_object_new (CD_TYPE_CREW, "id", id, "name", name, "utility", utility,
                            "capacity", capacity, "position-lat", lat, "position-lon", lon,
                            "position-at", (gint64) NOW, NULL);

  if (skill)
    g_object_set (c, "skills", skills, NULL);
  return c;
}

static CdTicket *
ticket (guint       n,
        CdUtility   utility,
        const char *skill,
        double      lat,
        double      lon)
{
  g_autofree char *id = g_uuid_string_random ();
  g_autofree char *number = g_strdup_printf ("T-%u", n);
  const char *skills[] = { skill, NULL };
  CdTicket *t = g_object_new (CD_TYPE_TICKET, "id", id, "number", number, "utility", utility,
                              "status", CD_TICKET_STATUS_NEW, "lat", lat, "lon", lon,
                              "created-at", (gint64) (NOW - 1000 + n), NULL);

  if (skill)
    g_object_set (t, "skills", skills, NULL);
  return t;
}

static guint
count_for (GArray *plan,
           CdCrew *c)
{
  guint n = 0;

  for (guint i = 0; i < plan->len; i++)
    if (g_array_index (plan, CdDispatchProposal, i).crew == c)
      n++;

  return n;
}

static void
test_constraints_and_capacity (void)
{
  g_autoptr(GPtrArray) crews = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) tickets = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GArray) plan = NULL;
  g_autoptr(GError) error = NULL;
  CdMatchParams params;
  CdCrew *heat, *power, *welder;
  CdTicket *pinned, *carried;
  double total = 0;

  cd_match_params_init_default (&params);
  heat = crew ("Heat 1", CD_UTILITY_HEAT, NULL, 2, 39.90, 116.60);
  power = crew ("Power 1", CD_UTILITY_POWER, NULL, 1, 39.90, 116.60);
  welder = crew ("Heat 2", CD_UTILITY_HEAT, "welding", 1, 39.95, 116.65);
  g_ptr_array_add (crews, heat);
  g_ptr_array_add (crews, power);
  g_ptr_array_add (crews, welder);

  /* Heat 1 already carries one ticket: one free slot left. */
  carried = ticket (0, CD_UTILITY_HEAT, NULL, 39.9, 116.6);
  g_object_set (carried, "crew-id", CD_RECORD (heat)->id, "status", CD_TICKET_STATUS_ASSIGNED, NULL);
  g_ptr_array_add (tickets, carried);
  pinned = ticket (1, CD_UTILITY_HEAT, NULL, 39.9, 116.6);
  g_object_set (pinned, "pinned", TRUE, NULL);
  g_ptr_array_add (tickets, pinned);
  for (guint i = 2; i < 6; i++)
    g_ptr_array_add (tickets, ticket (i, CD_UTILITY_HEAT, NULL, 39.9 + i * 0.001, 116.6));
  g_ptr_array_add (tickets, ticket (6, CD_UTILITY_HEAT, "welding", 39.9, 116.6));
  g_ptr_array_add (tickets, ticket (7, CD_UTILITY_POWER, "cable-fault", 39.9, 116.6));

  plan = cd_dispatch_plan (&params, tickets, crews, NOW, &total, &error);
  g_assert_no_error (error);

  for (guint i = 0; i < plan->len; i++)
    {
      CdDispatchProposal *p = &g_array_index (plan, CdDispatchProposal, i);

      g_assert_true (p->ticket != pinned && p->ticket != carried);
      g_assert_cmpint (p->ticket->utility, ==, p->crew->utility);
      for (guint k = 0; p->ticket->skills && p->ticket->skills[k]; k++)
        g_assert_true (cd_crew_has_skill (p->crew, p->ticket->skills[k]));
      g_assert_cmpfloat (p->cost, >=, 0);
    }

  /* Capacity counts the ticket already carried. */
  g_assert_cmpuint (count_for (plan, heat), ==, 1);
  g_assert_cmpuint (count_for (plan, welder), ==, 1);
  /* Nobody has the cable-fault skill: the power ticket stays. */
  g_assert_cmpuint (count_for (plan, power), ==, 0);
  g_assert_cmpuint (plan->len, ==, 2);
  g_assert_cmpfloat (total, >, 0);
}

static void
test_deterministic (void)
{
  g_autoptr(GPtrArray) crews = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) tickets = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) reversed_crews = g_ptr_array_new ();
  g_autoptr(GPtrArray) reversed_tickets = g_ptr_array_new ();
  g_autoptr(GArray) a = NULL;
  g_autoptr(GArray) b = NULL;
  g_autoptr(GRand) rand = g_rand_new_with_seed (11);
  CdMatchParams params;
  double ta = 0, tb = 0;

  cd_match_params_init_default (&params);
  for (guint i = 0; i < 12; i++)
    g_ptr_array_add (crews, crew ("C", i % 2 ? CD_UTILITY_HEAT : CD_UTILITY_POWER, NULL,
                                  1 + i % 3, 39.9 + g_rand_double_range (rand, -0.05, 0.05),
                                  116.6 + g_rand_double_range (rand, -0.05, 0.05)));
  for (guint i = 0; i < 40; i++)
    g_ptr_array_add (tickets, ticket (i, i % 3 ? CD_UTILITY_HEAT : CD_UTILITY_POWER, NULL,
                                      39.9 + g_rand_double_range (rand, -0.05, 0.05),
                                      116.6 + g_rand_double_range (rand, -0.05, 0.05)));
  for (guint i = crews->len; i > 0; i--)
    g_ptr_array_add (reversed_crews, g_ptr_array_index (crews, i - 1));
  for (guint i = tickets->len; i > 0; i--)
    g_ptr_array_add (reversed_tickets, g_ptr_array_index (tickets, i - 1));

  a = cd_dispatch_plan (&params, tickets, crews, NOW, &ta, NULL);
  b = cd_dispatch_plan (&params, reversed_tickets, reversed_crews, NOW, &tb, NULL);
  g_assert_cmpuint (a->len, ==, b->len);
  g_assert_cmpfloat (ta, ==, tb);
  for (guint i = 0; i < a->len; i++)
    {
      g_assert_true (g_array_index (a, CdDispatchProposal, i).ticket == g_array_index (b, CdDispatchProposal, i).ticket);
      g_assert_true (g_array_index (a, CdDispatchProposal, i).crew == g_array_index (b, CdDispatchProposal, i).crew);
    }
  /* 24 slots for 40 tickets: every slot of a utility is used when it can be. */
  g_assert_cmpuint (a->len, >, 10);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  cd_model_init ();

  g_test_add_func ("/dispatch/constraints-capacity", test_constraints_and_capacity);
  g_test_add_func ("/dispatch/deterministic", test_deterministic);

  return g_test_run ();
}
