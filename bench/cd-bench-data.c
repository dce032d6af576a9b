/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-bench-data.c: the benchmarks' synthetic utility, one generator for
 * all of them. Deterministic for a given GRand seed. */
#include "config.h"

#include "cd-bench-data.h"

const char *
cd_bench_area_name (guint i)
{
  static char *names[CD_BENCH_N_AREAS];

  g_return_val_if_fail (i < CD_BENCH_N_AREAS, NULL);
  if (names[i] == NULL)
    names[i] = g_strdup_printf ("district-%02u", i + 1);
  return names[i];
}


/* What a year of a mid-sized utility looks like: nearly everything closed,
 * a few thousand open, spread over districts and crews. */
CdTicket *
cd_bench_make_ticket (GRand     *rand,
                      guint      n,
                      guint      n_total,
                      guint      open_percent,
                      GPtrArray *crews)
{
  static const CdTicketStatus open_statuses[] = {
    CD_TICKET_STATUS_NEW, CD_TICKET_STATUS_ASSIGNED, CD_TICKET_STATUS_CONTACTED,
    CD_TICKET_STATUS_EN_ROUTE, CD_TICKET_STATUS_ON_SITE, CD_TICKET_STATUS_WAITING_CUSTOMER,
  };
  static const CdTicketStatus closed_statuses[] = {
    CD_TICKET_STATUS_CLOSED, CD_TICKET_STATUS_CLOSED, CD_TICKET_STATUS_CLOSED,
    CD_TICKET_STATUS_RESOLVED, CD_TICKET_STATUS_CANCELLED, CD_TICKET_STATUS_DUPLICATE,
  };
  CdTicket *t = cd_ticket_new ();
  gint64 created = CD_BENCH_T0 + (gint64) n * (365 * 86400 / MAX (n_total, 1));
  gboolean open = (guint) g_rand_int_range (rand, 0, 100) < open_percent;
  CdCrew *crew = g_ptr_array_index (crews, g_rand_int_range (rand, 0, crews->len));
  const char *skills[] = { "district-heating", "leak-repair", NULL };

  t->parent_instance.id = g_uuid_string_random ();
  t->number = g_strdup_printf ("HT-%07u", n);
  t->channel = g_rand_int_range (rand, 0, CD_CHANNEL_NETWORK_MONITOR + 1);
  t->category = g_rand_int_range (rand, 0, CD_N_CATEGORIES);
  t->urgency = g_rand_int_range (rand, 0, CD_N_URGENCIES);
  t->utility = crew->utility;
  t->status = open ? open_statuses[g_rand_int_range (rand, 0, G_N_ELEMENTS (open_statuses))]
                   : closed_statuses[g_rand_int_range (rand, 0, G_N_ELEMENTS (closed_statuses))];
  t->customer_name = g_strdup_printf ("Customer %u", n);
  t->customer_phone = g_strdup_printf ("+86 451 %04u %04u", n % 10000, (n * 7) % 10000);
  t->customer_account = g_strdup_printf ("AC-%08u", n * 13);
  t->address = g_strdup_printf ("%u Zhongyang Street, building %u, flat %u", n % 400, n % 37, n % 120);
  t->lat = 45.75 + g_rand_double_range (rand, -0.13, 0.13);
  t->lon = 126.65 + g_rand_double_range (rand, -0.19, 0.19);
  t->area = g_strdup (cd_bench_area_name (g_rand_int_range (rand, 0, CD_BENCH_N_AREAS)));
  t->area_class = g_rand_int_range (rand, 0, CD_N_AREA_CLASSES);
  t->description = g_strdup ("Radiators cold in the whole flat since the morning; neighbours "
                             "report the same. Customer is elderly and at home all day.");
  t->skills = g_strdupv ((char **) skills);
  t->owner = g_strdup ("dispatcher");
  if (!open || t->status != CD_TICKET_STATUS_NEW)
    {
      t->crew_id = g_strdup (crew->parent_instance.id);
      t->assignment_source = CD_ASSIGNMENT_SOURCE_AUTO;
    }
  t->sla_first_response_min = 30;
  t->sla_on_site_min = 120;
  t->sla_resolved_min = 480;
  t->due_first_response = created + 30 * 60;
  t->due_on_site = created + 120 * 60;
  t->due_resolved = created + 480 * 60;
  t->pauses = g_ptr_array_new_with_free_func (g_object_unref);
  if (t->status == CD_TICKET_STATUS_WAITING_CUSTOMER)
    g_ptr_array_add (t->pauses, cd_sla_pause_new (created + 900, 0, "Customer not at home"));
  t->created_at = created;
  if (!open || t->status >= CD_TICKET_STATUS_CONTACTED)
    t->first_response_at = created + 600;
  if (!open || t->status >= CD_TICKET_STATUS_ON_SITE)
    t->on_site_at = created + 3600;
  if (!open)
    {
      t->resolved_at = created + 7200;
      t->closed_at = created + 7300;
    }
  t->updated_at = created + 7300;

  return t;
}

CdCrew *
cd_bench_make_crew (guint n)
{
  CdCrew *c = cd_crew_new ();
  const char *areas[] = { cd_bench_area_name (n % CD_BENCH_N_AREAS), cd_bench_area_name ((n + 1) % CD_BENCH_N_AREAS), NULL };

  c->parent_instance.id = g_uuid_string_random ();
  c->name = g_strdup_printf ("Crew %03u", n);
  c->utility = n % 2 ? CD_UTILITY_POWER : CD_UTILITY_HEAT;
  c->areas = g_strdupv ((char **) areas);
  c->capacity = 3;
  c->lat = 45.75;
  c->lon = 126.65;
  c->position_at = CD_BENCH_T0;
  return c;
}

