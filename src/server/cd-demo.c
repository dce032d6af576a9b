/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-demo.c: `crewdesk-server --demo` seeds an empty database with a day
 * in the life of Lanhe's dispatch room.
 *
 * Everything is drawn from one fixed seed and placed relative to the
 * moment of seeding, so each start looks alike: 40 crews on today's shifts,
 * about 300 tickets from the last two days in every status (with time
 * limits green, amber, red and met), the assignment history behind them,
 * callbacks in every state, the time-limit policy rows, and one user per
 * role plus one device user per crew, all with the password "demo".
 *
 * Records are written as the server writes its own: in one transaction on
 * the writer store, each with a revision from cd_store_next_rev() and
 * version 1. Users go through cd_server_add_user(), which hashes the
 * password, in transactions of their own afterwards.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "cd-city.h"
#include "cd-match.h"
#include "cd-model.h"
#include "cd-server.h"
#include "cd-server-private.h"
#include "cd-sla-clock.h"
#include "cd-store.h"

#define DEMO_SEED      20251118
#define DEMO_PASSWORD  "demo"
#define N_POWER_CREWS  22
#define N_HEAT_CREWS   18
#define N_CREWS        (N_POWER_CREWS + N_HEAT_CREWS)
#define MINUTE         ((gint64) 60)
#define HOUR           ((gint64) 3600)
#define MAX_AGE        (47 * HOUR)
#define LOCAL_OFFSET   (8 * 3600)  /* the city keeps China Standard Time */

typedef struct
{
  CdServer       *server;
  CdSlaPolicySet *policies;
  CdCity         *city;
  GRand          *rand;
  gint64          now;
  gint64          shift_start;   /* the shift on duty now */
  gint64          shift_end;

  GPtrArray      *crews;         /* CdCrew, crew number - 1 */
  guint           load[N_CREWS]; /* open tickets carried */
  gboolean        busy[N_CREWS]; /* driving to or working at one */
  GPtrArray      *tickets;       /* CdTicket */
  GPtrArray      *events;        /* CdAssignmentEvent */
  GPtrArray      *callbacks;     /* CdCallback */
} Demo;

/* Skills: a crew has its utility's base skill and at least two of the
 * three others, so any two crews of a district cover every job. */
static const char * const power_extras[] = { "hv-switching", "cable-fault", "meter" };
static const char * const heat_extras[] = { "welding", "radiator", "substation" };

static const char * const pause_reasons[] = {
  "Customer not at home", "Customer asked to come tomorrow morning",
  "Waiting for the building manager's key", "Customer checking with the landlord",
};

static const char * const override_reasons[] = {
  "Crew already working next door",
  "Customer asked for the crew that fixed it last time",
  "Proposed crew's truck is in the workshop",
  "Needs the welding trailer this crew carries",
  "Proposed crew is about to end its shift",
};

static const char * const satisfied_comments[] = {
  "Fixed quickly, friendly crew", "All working again", "Crew explained the cause well", "Thanks",
};

static const char * const unhappy_comments[] = {
  "Problem came back the same evening", "Waited far too long", "Crew left a mess",
  "Still cold in the bedroom",
};

static const char * const conclusions[] = {
  "Second visit replaced the faulty valve; customer confirmed by phone",
  "Apology and compensation voucher accepted",
  "Riser rebalanced; room temperature 20 °C measured",
  "Cable joint remade; no further trips in 48 h",
};

/* Helpers -------------------------------------------------------------------- */

static double
uniform (Demo   *d,
         double  lo,
         double  hi)
{
  return g_rand_double_range (d->rand, lo, hi);
}

static gboolean
chance (Demo   *d,
        double  p)
{
  return g_rand_double (d->rand) < p;
}

static const char *
pick (Demo               *d,
      const char * const *list,
      guint               n)
{
  return list[g_rand_int_range (d->rand, 0, n)];
}

#define PICK(d, array) pick ((d), (array), G_N_ELEMENTS (array))

static guint
weighted (Demo        *d,
          const guint *weights,
          guint        n)
{
  guint total = 0, r;

  for (guint i = 0; i < n; i++)
    total += weights[i];
  r = g_rand_int_range (d->rand, 0, total);
  for (guint i = 0; i < n; i++)
    {
      if (r < weights[i])
        return i;
      r -= weights[i];
    }
  return n - 1;
}

/* A version 4 UUID from the seeded generator, so ids repeat too. */
static char *
demo_uuid (Demo *d)
{
  guint8 b[16];

  for (guint i = 0; i < 16; i++)
    b[i] = g_rand_int_range (d->rand, 0, 256);
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;

  return g_strdup_printf ("%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                          b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7],
                          b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

static char *
person_name (Demo *d)
{
  return cd_city_random_person (d->rand);
}

static gboolean
is_office_category (CdCategory category)
{
  return category == CD_CATEGORY_BILLING || category == CD_CATEGORY_INQUIRY ||
         category == CD_CATEGORY_COMPLAINT;
}

/* Categories ----------------------------------------------------------------- */

static CdUtility
utility_for (Demo *d,
             CdCategory  category)
{
  CdUtility utility;

  if (cd_category_get_utility (category, &utility))
    return utility;

  return chance (d, 0.55) ? CD_UTILITY_POWER : CD_UTILITY_HEAT;
}

static CdCategory
pick_category (Demo     *d,
               gboolean  field_only)
{
  /* Indexed by CdCategory. */
  static const guint weights[CD_N_CATEGORIES] = { 16, 9, 4, 14, 10, 9, 6, 7, 6, 5, 4, 3 };
  CdCategory category;

  do
    category = weighted (d, weights, CD_N_CATEGORIES);
  while (field_only && is_office_category (category));

  return category;
}

static CdChannel
pick_channel (Demo       *d,
              CdCategory  category)
{
  static const guint weights[] = { 45, 10, 16, 12, 5 };

  if ((category == CD_CATEGORY_METER || category == CD_CATEGORY_POWER_OUTAGE) && chance (d, 0.3))
    return category == CD_CATEGORY_METER || chance (d, 0.5) ? CD_CHANNEL_METER_ALARM : CD_CHANNEL_NETWORK_MONITOR;

  return weighted (d, weights, G_N_ELEMENTS (weights));
}

static const CdCityDistrict *
pick_district (Demo      *d,
               CdUtility  utility)
{
  guint weights[32] = { 0 };
  guint n = cd_city_get_n_districts (d->city);

  for (guint i = 0; i < n && i < G_N_ELEMENTS (weights); i++)
    {
      const CdCityDistrict *district = cd_city_get_district (d->city, i);

      if (!(district->utilities & (1u << utility)))
        continue;
      weights[i] = district->area_class == CD_AREA_CLASS_URBAN ? 5 :
                   district->area_class == CD_AREA_CLASS_RURAL ? 2 : 1;
    }

  return cd_city_get_district (d->city, weighted (d, weights, n));
}

/* Crews ---------------------------------------------------------------------- */

static void
local_day_start (gint64  now,
                 gint64 *shift_start,
                 gint64 *shift_end)
{
  gint64 local = now + LOCAL_OFFSET;
  gint64 midnight = local - local % (24 * HOUR) - LOCAL_OFFSET;
  gint64 hour = (local % (24 * HOUR)) / HOUR;

  /* Day shift 08:00-20:00, night shift 20:00-08:00, local time. */
  if (hour >= 8 && hour < 20)
    *shift_start = midnight + 8 * HOUR;
  else if (hour >= 20)
    *shift_start = midnight + 20 * HOUR;
  else
    *shift_start = midnight - 4 * HOUR;
  *shift_end = *shift_start + 12 * HOUR;
}

static void
make_crews (Demo *d)
{
  guint served[CD_N_UTILITIES][16];
  guint n_served[CD_N_UTILITIES] = { 0 };

  for (guint i = 0; i < cd_city_get_n_districts (d->city); i++)
    for (guint u = 0; u < CD_N_UTILITIES; u++)
      if (cd_city_get_district (d->city, i)->utilities & (1u << u) && n_served[u] < G_N_ELEMENTS (served[u]))
        served[u][n_served[u]++] = i;

  for (guint i = 0; i < N_CREWS; i++)
    {
      static const guint capacity_weights[] = { 2, 4, 4 };
      CdUtility utility = i < N_POWER_CREWS ? CD_UTILITY_POWER : CD_UTILITY_HEAT;
      guint j = utility == CD_UTILITY_POWER ? i : i - N_POWER_CREWS;
      guint nd = n_served[utility];
      const CdCityDistrict *home = cd_city_get_district (d->city, served[utility][j % nd]);
      const CdCityDistrict *next = cd_city_get_district (d->city, served[utility][(j + 1) % nd]);
      const char * const *extras = utility == CD_UTILITY_POWER ? power_extras : heat_extras;
      g_autoptr(GStrvBuilder) skills = g_strv_builder_new ();
      g_autoptr(GStrvBuilder) members = g_strv_builder_new ();
      g_autoptr(GStrvBuilder) areas = g_strv_builder_new ();
      CdCrew *crew = cd_crew_new ();
      g_autofree char *id = demo_uuid (d);
      guint pattern = j % 4;
      guint n_members = chance (d, 0.5) ? 3 : 2;
      gboolean on_duty = chance (d, 0.86);

      /* Base skill, then two or all three extras. */
      g_strv_builder_add (skills, utility == CD_UTILITY_POWER ? "lv-repair" : "pipe-repair");
      for (guint k = 0; k < 3; k++)
        if (pattern == 3 || k != pattern)
          {
            g_strv_builder_add (skills, extras[k]);
            if (utility == CD_UTILITY_HEAT && k == 1)
              g_strv_builder_add (skills, "heat-meter");
          }

      for (guint k = 0; k < n_members; k++)
        {
          g_autofree char *name = person_name (d);

          g_strv_builder_add (members, name);
        }

      g_strv_builder_add (areas, home->id);
      if ((j / nd) % 2 == 1 || chance (d, 0.35))
        g_strv_builder_add (areas, next->id);

      cd_record_set_id (CD_RECORD (crew), id);
      crew->name = g_strdup_printf ("%s %u", utility == CD_UTILITY_POWER ? "Power" : "Heat", i + 1);
      crew->utility = utility;
      crew->skills = g_strv_builder_end (skills);
      crew->members = g_strv_builder_end (members);
      crew->areas = g_strv_builder_end (areas);
      crew->phone = g_strdup_printf ("+86 10 6555 %04u", 1100 + i + 1);
      crew->capacity = 1 + weighted (d, capacity_weights, G_N_ELEMENTS (capacity_weights));
      crew->shift_start = on_duty ? d->shift_start : d->shift_end;
      crew->shift_end = crew->shift_start + 12 * HOUR;
      crew->status = on_duty ? CD_CREW_STATUS_AVAILABLE : CD_CREW_STATUS_OFF_SHIFT;

      /* At the depot, or out on a street of the home district. */
      if (!on_duty || chance (d, 0.3))
        {
          const CdCityNode *depot = cd_city_get_node (d->city, home->depot);

          crew->lat = depot->point.lat;
          crew->lon = depot->point.lon;
        }
      else
        g_free (cd_city_random_address (d->city, d->rand, home->id, &crew->lat, &crew->lon));
      crew->heading = g_rand_int_range (d->rand, 0, 360);
      crew->position_at = d->now - (on_duty ? g_rand_int_range (d->rand, 3, 60) : g_rand_int_range (d->rand, 3600, 4 * 3600));
      crew->updated_at = d->shift_start - g_rand_int_range (d->rand, 600, 3600);

      g_ptr_array_add (d->crews, crew);
    }
}

/* Matching ------------------------------------------------------------------- */

typedef struct {
  gint   best;          /* crew index, -1 none */
  double best_score;
  gint   runner_up;
  double runner_score;
} Choice;

/* Ranks the crews for @ticket with the server's matcher. @live: the crew
 * must be on shift and under capacity now (else any crew that could have
 * done it). @exclusive: and not already driving to or working at a job. */
static Choice
choose_crew (Demo     *d,
             CdTicket *ticket,
             gboolean  live,
             gboolean  exclusive)
{
  CdMatchParams params;
  CdMatchTicket t = { 0 };
  CdMatchCrew crews[N_CREWS];
  g_autoptr(GArray) ranked = NULL;
  guint n_skills = ticket->skills ? g_strv_length (ticket->skills) : 0;
  Choice choice = { -1, 0, -1, 0 };

  cd_match_params_init_default (&params);

  t.lat = ticket->lat;
  t.lon = ticket->lon;
  t.utility = ticket->utility;
  t.skills_required = n_skills >= 64 ? G_MAXUINT64 : (G_GUINT64_CONSTANT (1) << n_skills) - 1;
  t.urgency = ticket->urgency;
  t.area = 0;
  t.assigned_crew = -1;

  for (guint i = 0; i < N_CREWS; i++)
    {
      CdCrew *crew = g_ptr_array_index (d->crews, i);
      CdMatchCrew *c = &crews[i];

      memset (c, 0, sizeof *c);
      c->lat = crew->lat;
      c->lon = crew->lon;
      c->utility = crew->utility;
      for (guint k = 0; k < n_skills; k++)
        if (cd_crew_has_skill (crew, ticket->skills[k]))
          c->skills |= G_GUINT64_CONSTANT (1) << k;
      c->on_shift = !live || (cd_crew_is_on_shift (crew, d->now) && !(exclusive && d->busy[i]));
      c->capacity = live ? crew->capacity : 100;
      c->load = live ? d->load[i] : 0;
      c->areas = cd_crew_serves_area (crew, ticket->area) ? 1 : 0;
    }

  ranked = cd_match_rank (&params, &t, crews, N_CREWS);
  for (guint k = 0; k < ranked->len; k++)
    {
      CdMatchScore *s = &g_array_index (ranked, CdMatchScore, k);

      if (s->verdict != CD_MATCH_OK)
        break;
      if (choice.best < 0)
        {
          choice.best = s->crew;
          choice.best_score = s->total;
        }
      else
        {
          choice.runner_up = s->crew;
          choice.runner_score = s->total;
          break;
        }
    }

  return choice;
}

static void
add_event (Demo               *d,
           CdTicket           *ticket,
           gint                from,
           gint                to,
           gint64              at,
           CdAssignmentSource  source,
           double              score,
           gint                proposed,
           double              proposed_score,
           const char         *reason)
{
  CdAssignmentEvent *event = cd_assignment_event_new ();
  g_autofree char *id = demo_uuid (d);

  cd_record_set_id (CD_RECORD (event), id);
  event->ticket_id = g_strdup (CD_RECORD (ticket)->id);
  event->from_crew = from >= 0 ? g_strdup (CD_RECORD (g_ptr_array_index (d->crews, from))->id) : NULL;
  event->to_crew = g_strdup (CD_RECORD (g_ptr_array_index (d->crews, to))->id);
  event->actor = g_strdup (source == CD_ASSIGNMENT_SOURCE_AUTO ? "auto-dispatch" : "dispatcher");
  event->at = at;
  event->source = source;
  event->score = score;
  if (proposed >= 0)
    {
      event->proposed_crew = g_strdup (CD_RECORD (g_ptr_array_index (d->crews, proposed))->id);
      event->proposed_score = proposed_score;
    }
  event->reason = g_strdup (reason);
  g_ptr_array_add (d->events, event);
}

/* Gives @ticket a crew at @at: mostly the matcher's proposal, sometimes a
 * dispatcher's override, now and then a reassignment. Returns FALSE when
 * no crew can take it. */
static gboolean
assign (Demo     *d,
        CdTicket *ticket,
        gint64    at,
        gboolean  live,
        gboolean  exclusive)
{
  Choice c = choose_crew (d, ticket, live, exclusive);
  gint crew;

  if (c.best < 0)
    return FALSE;

  if (c.runner_up >= 0 && chance (d, 0.12))
    {
      /* Reassigned after the automatic proposal had gone out. */
      add_event (d, ticket, -1, c.best, at, CD_ASSIGNMENT_SOURCE_AUTO, c.best_score, -1, 0, NULL);
      add_event (d, ticket, c.best, c.runner_up, at + g_rand_int_range (d->rand, 2, 15) * MINUTE,
                 CD_ASSIGNMENT_SOURCE_MANUAL, c.runner_score, -1, 0, PICK (d, override_reasons));
      crew = c.runner_up;
      ticket->assignment_source = CD_ASSIGNMENT_SOURCE_MANUAL;
      ticket->pinned = TRUE;
    }
  else if (c.runner_up >= 0 && chance (d, 0.14))
    {
      /* Overridden at once: the proposal is kept on the record. */
      add_event (d, ticket, -1, c.runner_up, at, CD_ASSIGNMENT_SOURCE_MANUAL, c.runner_score,
                 c.best, c.best_score, PICK (d, override_reasons));
      crew = c.runner_up;
      ticket->assignment_source = CD_ASSIGNMENT_SOURCE_MANUAL;
      ticket->pinned = TRUE;
    }
  else
    {
      add_event (d, ticket, -1, c.best, at, CD_ASSIGNMENT_SOURCE_AUTO, c.best_score, -1, 0, NULL);
      crew = c.best;
      ticket->assignment_source = CD_ASSIGNMENT_SOURCE_AUTO;
    }

  ticket->crew_id = g_strdup (CD_RECORD (g_ptr_array_index (d->crews, crew))->id);
  if (live)
    {
      d->load[crew]++;
      if (exclusive)
        d->busy[crew] = TRUE;
    }
  return TRUE;
}

static gint
crew_index (Demo       *d,
            const char *crew_id)
{
  for (guint i = 0; crew_id != NULL && i < N_CREWS; i++)
    if (g_strcmp0 (CD_RECORD (g_ptr_array_index (d->crews, i))->id, crew_id) == 0)
      return i;
  return -1;
}

/* Tickets -------------------------------------------------------------------- */

static CdCalendar *
ticket_calendar (Demo     *d,
                 CdTicket *ticket)
{
  return cd_sla_policy_set_get_calendar (d->policies, ticket->sla_calendar);
}

/* @category: a CdCategory, or -1 to draw one. */
static CdTicket *
new_ticket (Demo     *d,
            gboolean  field_only,
            gint      category)
{
  CdTicket *t = cd_ticket_new ();
  g_autofree char *id = demo_uuid (d);
  const CdCityDistrict *district;

  cd_record_set_id (CD_RECORD (t), id);
  t->category = category >= 0 ? (CdCategory) category : pick_category (d, field_only);
  t->utility = utility_for (d, t->category);
  t->urgency = cd_city_report_urgency (t->category, d->rand);
  t->channel = pick_channel (d, t->category);

  district = pick_district (d, t->utility);
  t->area = g_strdup (district->id);
  t->area_class = district->area_class;
  t->address = cd_city_random_address (d->city, d->rand, district->id, &t->lat, &t->lon);

  t->customer_name = person_name (d);
  t->customer_phone = g_strdup_printf ("+86 1%02d %04d %04d", g_rand_int_range (d->rand, 30, 90),
                                       g_rand_int_range (d->rand, 0, 10000), g_rand_int_range (d->rand, 0, 10000));
  t->customer_account = g_strdup_printf ("%s-%08d", t->utility == CD_UTILITY_POWER ? "PW" : "HT",
                                         g_rand_int_range (d->rand, 0, 100000000));
  t->key_customer = chance (d, 0.05);

  t->description = g_strdup (cd_city_random_description (t->category, d->rand));
  t->skills = cd_city_job_skills (t->category, t->utility, t->urgency, d->rand);
  t->owner = g_strdup (t->channel == CD_CHANNEL_HOTLINE ? "hotline" : "dispatcher");

  return t;
}

/* Freezes the promise at intake: must run once created_at is set. */
static void
apply_policy (Demo     *d,
              CdTicket *t)
{
  CdSlaPolicy *policy = cd_sla_policy_set_lookup (d->policies, t->category, t->urgency, t->area_class);

  cd_sla_apply_policy (t, policy, cd_sla_policy_set_get_calendar (d->policies, policy->calendar));
}

/* Limits for scheduling; a missing one stands in as a typical duration. */
static gint64
limit_s (CdTicket  *t,
         CdSlaKind  kind,
         gint64     fallback_min)
{
  gint64 min = cd_sla_get_limit_min (t, kind);

  return (min > 0 ? MIN (min, 24 * 60) : fallback_min) * MINUTE;
}

static gboolean
pause_ticket (Demo     *d,
              CdTicket *t,
              gint64    start,
              gint64    end)
{
  g_autoptr(GError) error = NULL;

  if (!cd_sla_pause (t, ticket_calendar (d, t), start, PICK (d, pause_reasons), &error) ||
      (end > 0 && !cd_sla_resume (t, ticket_calendar (d, t), end, &error)))
    {
      g_warning ("Demo ticket %s: %s", CD_RECORD (t)->id, error->message);
      return FALSE;
    }
  return TRUE;
}

/* How far through its running limit an open ticket is: mostly green,
 * some amber (inside the warning share), some breached. */
static double
age_factor (Demo *d)
{
  double r = g_rand_double (d->rand);

  if (r < 0.55)
    return uniform (d, 0.05, 0.7);
  if (r < 0.78)
    return uniform (d, 0.78, 0.97);
  return uniform (d, 1.03, 1.5);
}

/* When a milestone with limit @limit was reached: mostly in time, now and
 * then late; always after @after and before now. */
static gint64
milestone (Demo     *d,
           CdTicket *t,
           gint64    limit,
           gint64    after)
{
  gint64 at = t->created_at + limit * (chance (d, 0.82) ? uniform (d, 0.3, 0.95) : uniform (d, 1.05, 1.6));

  if (at >= d->now - MINUTE)
    at = after + (d->now - after) * uniform (d, 0.2, 0.8);
  return MAX (at, after + 30);
}

/* An open ticket, placed so that its running limit is anywhere from fresh
 * to breached. */
static CdTicket *
make_open_ticket (Demo           *d,
                  CdTicketStatus  status)
{
  gboolean field = status == CD_TICKET_STATUS_ASSIGNED || status == CD_TICKET_STATUS_EN_ROUTE ||
                   status == CD_TICKET_STATUS_ON_SITE || status == CD_TICKET_STATUS_CONTACTED ||
                   (status == CD_TICKET_STATUS_WAITING_CUSTOMER && chance (d, 0.7));
  g_autoptr(CdTicket) t = new_ticket (d, field, -1);
  gint64 fr, os, res, age, assign_at, now = d->now;

  /* A provisional age, for the limits; the policy needs created_at. */
  t->created_at = now - HOUR;
  apply_policy (d, t);
  fr = limit_s (t, CD_SLA_KIND_FIRST_RESPONSE, 60);
  os = limit_s (t, CD_SLA_KIND_ON_SITE, 120);
  res = limit_s (t, CD_SLA_KIND_RESOLVED, 480);

  switch (status)
    {
    case CD_TICKET_STATUS_NEW:
    case CD_TICKET_STATUS_ASSIGNED:
      age = fr * age_factor (d);
      break;
    case CD_TICKET_STATUS_CONTACTED:
    case CD_TICKET_STATUS_EN_ROUTE:
      age = MAX (os * age_factor (d), 8 * MINUTE);
      break;
    case CD_TICKET_STATUS_ON_SITE:
    case CD_TICKET_STATUS_WAITING_CUSTOMER:
      age = MAX (res * age_factor (d), 20 * MINUTE);
      break;
    case CD_TICKET_STATUS_RESOLVED:
    case CD_TICKET_STATUS_CLOSED:
    case CD_TICKET_STATUS_CANCELLED:
    case CD_TICKET_STATUS_DUPLICATE:
    default:
      g_assert_not_reached ();
    }
  age = CLAMP (age, 2 * MINUTE, MAX_AGE);

  t->created_at = now - age;
  apply_policy (d, t);
  t->status = status;
  t->updated_at = t->created_at;
  assign_at = t->created_at + MIN (age * uniform (d, 0.02, 0.25), fr / 2);

  if (status == CD_TICKET_STATUS_NEW)
    return g_steal_pointer (&t);

  if (field && !assign (d, t, assign_at, TRUE, status == CD_TICKET_STATUS_EN_ROUTE || status == CD_TICKET_STATUS_ON_SITE))
    {
      /* Nobody free: it waits for a crew. */
      t->status = CD_TICKET_STATUS_NEW;
      return g_steal_pointer (&t);
    }
  t->updated_at = field ? assign_at : t->created_at;

  if (status == CD_TICKET_STATUS_ASSIGNED)
    return g_steal_pointer (&t);

  if (status != CD_TICKET_STATUS_EN_ROUTE || chance (d, 0.8))
    {
      t->first_response_at = milestone (d, t, fr, assign_at);
      t->updated_at = t->first_response_at;
    }

  if (status == CD_TICKET_STATUS_ON_SITE)
    {
      t->on_site_at = milestone (d, t, os, MAX (t->first_response_at, assign_at));
      t->updated_at = t->on_site_at;
    }
  else if (status == CD_TICKET_STATUS_EN_ROUTE)
    t->updated_at = MAX (t->updated_at, now - g_rand_int_range (d->rand, 3, 25) * MINUTE);
  else if (status == CD_TICKET_STATUS_WAITING_CUSTOMER)
    {
      gint64 from = MAX (t->first_response_at, assign_at);
      gint64 start;

      if (t->crew_id != NULL && chance (d, 0.5))
        {
          t->on_site_at = milestone (d, t, os, from);
          from = t->on_site_at;
        }
      start = from + (now - from) * uniform (d, 0.3, 0.9);
      pause_ticket (d, t, start, 0);
      t->updated_at = start;
    }

  return g_steal_pointer (&t);
}

/* A resolved or closed ticket, with its milestones met or missed. */
static CdTicket *
make_done_ticket (Demo           *d,
                  CdTicketStatus  status)
{
  g_autoptr(CdTicket) t = new_ticket (d, FALSE, -1);
  gboolean office = is_office_category (t->category);
  gint64 fr, os, res, o_assign, o_fr, o_os, o_res, after, total, now = d->now;
  gboolean paused = chance (d, 0.12);

  t->created_at = now - HOUR;
  apply_policy (d, t);
  fr = limit_s (t, CD_SLA_KIND_FIRST_RESPONSE, 60);
  os = limit_s (t, CD_SLA_KIND_ON_SITE, 120);
  res = limit_s (t, CD_SLA_KIND_RESOLVED, 480);

  /* Offsets from creation; about one in six misses a limit. */
  o_assign = MAX (60, fr * uniform (d, 0.02, 0.2));
  o_fr = MAX (o_assign + 60, fr * uniform (d, 0.2, chance (d, 0.15) ? 1.4 : 0.95));
  o_os = office ? 0 : MAX (o_fr + 5 * MINUTE, os * uniform (d, 0.3, chance (d, 0.15) ? 1.3 : 0.95));
  o_res = MAX ((office ? o_fr : o_os) + 15 * MINUTE, res * uniform (d, 0.25, chance (d, 0.12) ? 1.25 : 0.9));

  /* Resolved ones are waiting for their callback or for closing; closed
   * ones are older. */
  after = status == CD_TICKET_STATUS_RESOLVED ? uniform (d, 5 * MINUTE, 26 * HOUR)
                                              : uniform (d, 2 * HOUR, 40 * HOUR);
  total = o_res + after;
  if (total > MAX_AGE)
    {
      double f = (double) (MAX_AGE - after) / o_res;

      if (f < 0.2)
        {
          after = MAX_AGE / 3;
          f = (double) (MAX_AGE - after) / o_res;
        }
      o_assign *= f;
      o_fr *= f;
      o_os *= f;
      o_res *= f;
    }

  t->created_at = now - o_res - after;
  apply_policy (d, t);

  if (!office && !assign (d, t, t->created_at + o_assign, FALSE, FALSE))
    office = TRUE;

  t->first_response_at = t->created_at + o_fr;
  if (paused && o_os > o_fr + 30 * MINUTE)
    {
      gint64 start = t->first_response_at + 5 * MINUTE;

      pause_ticket (d, t, start, start + (o_os - o_fr - 10 * MINUTE) * uniform (d, 0.2, 0.7));
    }
  if (!office)
    t->on_site_at = t->created_at + o_os;
  t->resolved_at = t->created_at + o_res;
  t->status = CD_TICKET_STATUS_RESOLVED;
  t->updated_at = t->resolved_at;

  if (status == CD_TICKET_STATUS_CLOSED)
    {
      t->status = CD_TICKET_STATUS_CLOSED;
      t->closed_at = t->resolved_at + after * uniform (d, 0.3, 0.9);
      t->updated_at = t->closed_at;
    }

  return g_steal_pointer (&t);
}

static CdTicket *
make_cancelled_ticket (Demo *d)
{
  CdTicket *t = new_ticket (d, FALSE, -1);
  gint64 age = uniform (d, 30 * MINUTE, 40 * HOUR);

  t->created_at = d->now - age;
  apply_policy (d, t);
  if (t->skills != NULL && chance (d, 0.4))
    assign (d, t, t->created_at + age * uniform (d, 0.02, 0.2), FALSE, FALSE);
  t->status = CD_TICKET_STATUS_CANCELLED;
  t->updated_at = t->created_at + age * uniform (d, 0.1, 0.6);
  if (t->crew_id != NULL)
    t->first_response_at = t->created_at + (t->updated_at - t->created_at) / 2;
  return t;
}

/* A repeat report of @original's fault: a neighbour, or the same customer
 * again, shortly after. */
static CdTicket *
make_duplicate (Demo     *d,
                CdTicket *original)
{
  CdTicket *t = new_ticket (d, FALSE, original->category);
  gint64 end = original->resolved_at ? original->resolved_at : d->now;

  t->utility = original->utility;
  t->urgency = original->urgency;
  g_free (t->area);
  t->area = g_strdup (original->area);
  t->area_class = original->area_class;
  g_strfreev (t->skills);
  t->skills = g_strdupv (original->skills);

  /* The same outage area, or the same house. */
  g_free (t->address);
  t->address = NULL;
  for (guint tries = 0; tries < 20 && original->category == CD_CATEGORY_POWER_OUTAGE; tries++)
    {
      double lat, lon;
      g_autofree char *address = cd_city_random_address (d->city, d->rand, original->area, &lat, &lon);

      if (cd_city_distance_m (lat, lon, original->lat, original->lon) < 400)
        {
          t->address = g_steal_pointer (&address);
          t->lat = lat;
          t->lon = lon;
          break;
        }
    }
  if (t->address == NULL)
    {
      t->address = g_strdup (original->address);
      t->lat = original->lat;
      t->lon = original->lon;
    }

  t->created_at = original->created_at + (gint64) ((end - original->created_at) * uniform (d, 0.05, 0.6));
  t->created_at = MIN (t->created_at, d->now - MINUTE);
  apply_policy (d, t);
  t->status = CD_TICKET_STATUS_DUPLICATE;
  t->duplicate_of = g_strdup (CD_RECORD (original)->id);
  t->updated_at = MIN (t->created_at + g_rand_int_range (d->rand, 1, 10) * MINUTE, d->now);
  original->duplicate_count++;
  return t;
}

/* Callbacks ------------------------------------------------------------------ */

static gint64
callback_priority (CdTicket *ticket)
{
  /* As cd-mutation.c sets it when a ticket is resolved. */
  if (ticket->category == CD_CATEGORY_COMPLAINT)
    return 90;
  if (ticket->key_customer)
    return 80;
  if (ticket->duplicate_count > 0)
    return 70;
  return 50;
}

typedef enum {
  CALLBACK_PENDING,
  CALLBACK_PENDING_RETRY,
  CALLBACK_SATISFIED,
  CALLBACK_NEUTRAL,
  CALLBACK_SECOND,
  CALLBACK_SECOND_CLOSED,
  CALLBACK_UNREACHABLE,
} CallbackPlan;

static void
add_attempt (CdCallback        *cb,
             gint64             at,
             CdCallbackOutcome  outcome,
             const char        *note)
{
  if (cb->attempts == NULL)
    cb->attempts = g_ptr_array_new_with_free_func (g_object_unref);
  g_ptr_array_add (cb->attempts, cd_callback_attempt_new (at, "agent", outcome, note));
  if (cb->agent == NULL)
    cb->agent = g_strdup ("agent");
  cb->updated_at = at;
}

static void
make_callback (Demo         *d,
               CdTicket     *t,
               CallbackPlan  plan)
{
  CdCallback *cb = cd_callback_new ();
  g_autofree char *id = demo_uuid (d);
  /* Calls happen between resolution and now (or closing). */
  gint64 end = t->closed_at ? t->closed_at : d->now;
  gint64 from = t->resolved_at + (end - t->resolved_at) / 20;
  gint64 to = end - (end - t->resolved_at) / 20;
  gint64 at = from + (to - from) * uniform (d, 0.1, 0.5);

  cd_record_set_id (CD_RECORD (cb), id);
  cb->ticket_id = g_strdup (CD_RECORD (t)->id);
  cb->due_at = cd_sla_policy_set_callback_due (d->policies, t);
  cb->priority = callback_priority (t);
  cb->status = CD_CALLBACK_STATUS_PENDING;
  cb->updated_at = t->resolved_at;

  switch (plan)
    {
    case CALLBACK_PENDING:
      break;

    case CALLBACK_PENDING_RETRY:
      add_attempt (cb, at, CD_CALLBACK_OUTCOME_NO_ANSWER, "No answer");
      if (chance (d, 0.4))
        add_attempt (cb, at + (to - at) / 2, CD_CALLBACK_OUTCOME_NO_ANSWER, "Line busy");
      break;

    case CALLBACK_UNREACHABLE:
      add_attempt (cb, at, CD_CALLBACK_OUTCOME_NO_ANSWER, "No answer");
      add_attempt (cb, at + (to - at) / 3, CD_CALLBACK_OUTCOME_NO_ANSWER, "No answer");
      add_attempt (cb, at + 2 * (to - at) / 3, chance (d, 0.3) ? CD_CALLBACK_OUTCOME_WRONG_NUMBER
                                                                : CD_CALLBACK_OUTCOME_NO_ANSWER, NULL);
      cb->status = CD_CALLBACK_STATUS_UNREACHABLE;
      break;

    case CALLBACK_SATISFIED:
    case CALLBACK_NEUTRAL:
      if (chance (d, 0.2))
        add_attempt (cb, at - (at - from) / 2, CD_CALLBACK_OUTCOME_NO_ANSWER, NULL);
      add_attempt (cb, at, CD_CALLBACK_OUTCOME_REACHED, NULL);
      cb->status = CD_CALLBACK_STATUS_DONE;
      cb->satisfaction = plan == CALLBACK_SATISFIED ? CD_SATISFACTION_SATISFIED : CD_SATISFACTION_NEUTRAL;
      cb->solved = TRUE;
      cb->comment = g_strdup (plan == CALLBACK_SATISFIED ? PICK (d, satisfied_comments) : NULL);
      cb->completed_at = at;
      break;

    case CALLBACK_SECOND:
    case CALLBACK_SECOND_CLOSED:
      add_attempt (cb, at, CD_CALLBACK_OUTCOME_REACHED, NULL);
      cb->satisfaction = chance (d, 0.8) ? CD_SATISFACTION_UNSATISFIED : CD_SATISFACTION_NEUTRAL;
      cb->solved = cb->satisfaction == CD_SATISFACTION_UNSATISFIED && chance (d, 0.5);
      cb->comment = g_strdup (PICK (d, unhappy_comments));
      cb->completed_at = at;
      cb->status = CD_CALLBACK_STATUS_SECOND_HANDLING;
      cb->second_owner = g_strdup (CD_MUTATION_DEFAULT_SECOND_OWNER);
      cb->second_opened_at = at;
      cb->second_deadline = at + CD_MUTATION_SECOND_HANDLING_HOURS * HOUR;
      if (plan == CALLBACK_SECOND_CLOSED)
        {
          cb->second_closed_at = at + (to - at) * uniform (d, 0.3, 0.9);
          cb->second_conclusion = g_strdup (PICK (d, conclusions));
          cb->reviewed_by = g_strdup ("manager");
          cb->status = CD_CALLBACK_STATUS_CLOSED;
          cb->updated_at = cb->second_closed_at;
        }
      break;

    default:
      g_assert_not_reached ();
    }

  g_ptr_array_add (d->callbacks, cb);
}

static void
make_callbacks (Demo *d)
{
  for (guint i = 0; i < d->tickets->len; i++)
    {
      CdTicket *t = g_ptr_array_index (d->tickets, i);
      double r = g_rand_double (d->rand);
      CallbackPlan plan;

      if (t->status == CD_TICKET_STATUS_RESOLVED)
        {
          /* Called back soon after resolution, mostly still to do. */
          if (d->now - t->resolved_at < 2 * HOUR)
            plan = r < 0.85 ? CALLBACK_PENDING : CALLBACK_PENDING_RETRY;
          else
            plan = r < 0.35 ? CALLBACK_PENDING : r < 0.55 ? CALLBACK_PENDING_RETRY :
                   r < 0.75 ? CALLBACK_SECOND : r < 0.85 ? CALLBACK_UNREACHABLE : CALLBACK_SATISFIED;
        }
      else if (t->status == CD_TICKET_STATUS_CLOSED)
        plan = r < 0.62 ? CALLBACK_SATISFIED : r < 0.77 ? CALLBACK_NEUTRAL :
               r < 0.90 ? CALLBACK_SECOND_CLOSED : CALLBACK_UNREACHABLE;
      else
        continue;

      make_callback (d, t, plan);
    }
}

/* The whole day -------------------------------------------------------------- */

static gint
compare_created (gconstpointer a,
                 gconstpointer b)
{
  CdTicket *ta = *(CdTicket **) a;
  CdTicket *tb = *(CdTicket **) b;

  if (ta->created_at != tb->created_at)
    return ta->created_at < tb->created_at ? -1 : 1;
  return g_strcmp0 (CD_RECORD (ta)->id, CD_RECORD (tb)->id);
}

/* Crew status and position follow their live tickets. */
static void
place_crews (Demo *d)
{
  guint breaks = 0;

  for (guint i = 0; i < d->tickets->len; i++)
    {
      CdTicket *t = g_ptr_array_index (d->tickets, i);
      gint c = crew_index (d, t->crew_id);
      CdCrew *crew;

      if (c < 0 || (t->status != CD_TICKET_STATUS_EN_ROUTE && t->status != CD_TICKET_STATUS_ON_SITE))
        continue;

      crew = g_ptr_array_index (d->crews, c);
      if (t->status == CD_TICKET_STATUS_ON_SITE)
        {
          crew->status = CD_CREW_STATUS_ON_SITE;
          crew->lat = t->lat;
          crew->lon = t->lon;
          crew->speed_kmh = 0;
        }
      else
        {
          g_autoptr(CdCityRoute) route = cd_city_route (d->city, crew->lat, crew->lon, t->lat, t->lon);
          double lat, lon, heading = 0, speed = 0;

          cd_city_route_position_at (route, route->duration_s * uniform (d, 0.2, 0.8), &lat, &lon, &heading, &speed);
          crew->status = CD_CREW_STATUS_EN_ROUTE;
          crew->lat = lat;
          crew->lon = lon;
          crew->heading = floor (heading);
          crew->speed_kmh = round (speed);
        }
    }

  for (guint i = 0; i < N_CREWS; i++)
    {
      CdCrew *crew = g_ptr_array_index (d->crews, i);

      if (crew->status == CD_CREW_STATUS_AVAILABLE && d->load[i] == 0 && breaks < 2)
        {
          crew->status = CD_CREW_STATUS_BREAK;
          breaks++;
        }
    }
}

static void
make_day (Demo *d)
{
  static const struct {
    CdTicketStatus status;
    guint          count;
  } plan[] = {
    /* Busy crews first, so each drives to or works at one job. */
    { CD_TICKET_STATUS_ON_SITE, 12 },
    { CD_TICKET_STATUS_EN_ROUTE, 13 },
    { CD_TICKET_STATUS_CONTACTED, 12 },
    { CD_TICKET_STATUS_ASSIGNED, 16 },
    { CD_TICKET_STATUS_WAITING_CUSTOMER, 10 },
    { CD_TICKET_STATUS_NEW, 30 },
    { CD_TICKET_STATUS_RESOLVED, 55 },
    { CD_TICKET_STATUS_CLOSED, 112 },
    { CD_TICKET_STATUS_CANCELLED, 15 },
  };
  g_autoptr(GPtrArray) originals = g_ptr_array_new ();
  guint number[CD_N_UTILITIES] = { 0 };
  const guint n_duplicates = 25;

  make_crews (d);

  for (guint p = 0; p < G_N_ELEMENTS (plan); p++)
    for (guint k = 0; k < plan[p].count; k++)
      {
        CdTicket *t;

        switch (plan[p].status)
          {
          case CD_TICKET_STATUS_RESOLVED:
          case CD_TICKET_STATUS_CLOSED:
            t = make_done_ticket (d, plan[p].status);
            break;
          case CD_TICKET_STATUS_CANCELLED:
            t = make_cancelled_ticket (d);
            break;
          case CD_TICKET_STATUS_NEW:
          case CD_TICKET_STATUS_ASSIGNED:
          case CD_TICKET_STATUS_CONTACTED:
          case CD_TICKET_STATUS_EN_ROUTE:
          case CD_TICKET_STATUS_ON_SITE:
          case CD_TICKET_STATUS_WAITING_CUSTOMER:
            t = make_open_ticket (d, plan[p].status);
            break;
          case CD_TICKET_STATUS_DUPLICATE:
          default:
            g_assert_not_reached ();
          }
        g_ptr_array_add (d->tickets, t);
      }

  /* Repeat reports cluster on a few faults, as in a real outage. */
  for (guint i = 0; i < d->tickets->len; i++)
    {
      CdTicket *t = g_ptr_array_index (d->tickets, i);

      if ((t->category == CD_CATEGORY_POWER_OUTAGE || t->category == CD_CATEGORY_BURST_PIPE ||
           t->category == CD_CATEGORY_NO_HEAT || t->category == CD_CATEGORY_LEAK) &&
          t->status != CD_TICKET_STATUS_CANCELLED && originals->len < 9)
        g_ptr_array_add (originals, t);
    }
  for (guint k = 0; k < n_duplicates && originals->len > 0; k++)
    {
      /* The first originals get most of them. */
      guint o = MIN ((guint) (originals->len * pow (g_rand_double (d->rand), 1.8)), originals->len - 1);

      g_ptr_array_add (d->tickets, make_duplicate (d, g_ptr_array_index (originals, o)));
    }

  place_crews (d);
  make_callbacks (d);

  /* Numbers in order of intake. */
  g_ptr_array_sort (d->tickets, compare_created);
  for (guint i = 0; i < d->tickets->len; i++)
    {
      CdTicket *t = g_ptr_array_index (d->tickets, i);

      t->number = g_strdup_printf ("%s-%06u", t->utility == CD_UTILITY_POWER ? "PW" : "HT",
                                   100 + number[t->utility]++);
    }
}

/* Storing -------------------------------------------------------------------- */

static gboolean
save_records (CdStore    *store,
              GPtrArray  *records,
              GError    **error)
{
  for (guint i = 0; i < records->len; i++)
    {
      CdRecord *record = g_ptr_array_index (records, i);
      gint64 rev = cd_store_next_rev (store, error);

      if (rev <= 0)
        return FALSE;
      record->rev = rev;
      record->version = 1;
      if (!cd_store_save (store, record, error))
        return FALSE;
    }
  return TRUE;
}

/* The policy rows, so that managers can edit them; rows already stored
 * are left alone. */
static gboolean
save_policies (Demo     *d,
               CdStore  *store,
               guint    *n_saved,
               GError  **error)
{
  GPtrArray *policies = cd_sla_policy_set_get_policies (d->policies);
  g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; policies && i < policies->len; i++)
    {
      CdSlaPolicy *policy = cd_record_copy (g_ptr_array_index (policies, i));
      g_autoptr(GError) local_error = NULL;
      g_autoptr(CdRecord) existing = NULL;

      if (CD_RECORD (policy)->id == NULL)
        {
          g_autofree char *id = demo_uuid (d);

          cd_record_set_id (CD_RECORD (policy), id);
        }
      existing = cd_store_load (store, CD_TYPE_SLA_POLICY, CD_RECORD (policy)->id, &local_error);
      if (existing != NULL)
        {
          g_object_unref (policy);
          continue;
        }
      if (!g_error_matches (local_error, CD_STORE_ERROR, CD_STORE_ERROR_NOT_FOUND))
        {
          g_object_unref (policy);
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      policy->updated_at = d->now;
      g_ptr_array_add (rows, policy);
    }

  *n_saved = rows->len;
  return save_records (store, rows, error);
}

/* Empty: no user and no ticket. Revision 0 settles it at once; otherwise
 * the tables are asked. */
static gboolean
store_is_empty (CdStore   *store,
                gboolean  *empty,
                GError   **error)
{
  g_autoptr(GPtrArray) users = NULL;
  g_autoptr(GPtrArray) tickets = NULL;
  gint64 rev = cd_store_get_last_rev (store, error);

  if (rev < 0)
    return FALSE;
  *empty = TRUE;
  if (rev == 0)
    return TRUE;

  if ((users = cd_store_list_all (store, CD_TYPE_USER, error)) == NULL)
    return FALSE;
  if (users->len > 0)
    {
      *empty = FALSE;
      return TRUE;
    }
  if ((tickets = cd_store_list_all (store, CD_TYPE_TICKET, error)) == NULL)
    return FALSE;
  *empty = tickets->len == 0;
  return TRUE;
}

static gboolean
add_users (Demo    *d,
           GError **error)
{
  static const struct {
    const char *username;
    const char *display_name;
    CdRole      role;
  } staff[] = {
    { "dispatcher", "Wang Fang", CD_ROLE_DISPATCHER },
    { "supervisor", "Li Qiang", CD_ROLE_SUPERVISOR },
    { "agent", "Zhang Min", CD_ROLE_CALLBACK_AGENT },
    { "manager", "Liu Yang", CD_ROLE_MANAGER },
    { "admin", "Chen Jie", CD_ROLE_ADMIN },
    { "hotline", "Hotline intake", CD_ROLE_DISPATCHER },
  };

  for (guint i = 0; i < G_N_ELEMENTS (staff); i++)
    if (!cd_server_add_user (d->server, staff[i].username, staff[i].display_name, staff[i].role,
                             NULL, DEMO_PASSWORD, error))
      return FALSE;

  for (guint i = 0; i < N_CREWS; i++)
    {
      CdCrew *crew = g_ptr_array_index (d->crews, i);
      g_autofree char *username = g_strdup_printf ("crew-%02u", i + 1);
      g_autofree char *display_name = g_strdup_printf ("%s device", crew->name);

      if (!cd_server_add_user (d->server, username, display_name, CD_ROLE_CREW_DEVICE,
                               CD_RECORD (crew)->id, DEMO_PASSWORD, error))
        return FALSE;
    }

  return TRUE;
}

static void
demo_clear (Demo *d)
{
  g_clear_pointer (&d->rand, g_rand_free);
  g_clear_pointer (&d->crews, g_ptr_array_unref);
  g_clear_pointer (&d->tickets, g_ptr_array_unref);
  g_clear_pointer (&d->events, g_ptr_array_unref);
  g_clear_pointer (&d->callbacks, g_ptr_array_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Demo, demo_clear)

gboolean
cd_server_seed_demo (CdServer  *self,
                     GError   **error)
{
  g_auto(Demo) d = { 0 };
  g_autoptr(GPtrArray) ticket_records = NULL;
  CdStore *store;
  gboolean empty = FALSE, ok = FALSE;
  guint n_policies = 0;
  guint by_status[CD_TICKET_STATUS_DUPLICATE + 1] = { 0 };
  gint64 started = g_get_monotonic_time ();

  g_return_val_if_fail (CD_IS_SERVER (self), FALSE);

  cd_model_init ();

  d.server = self;
  d.policies = self->policies;
  d.city = cd_city_get_demo ();
  d.rand = g_rand_new_with_seed (DEMO_SEED);
  d.now = cd_server_now (self);
  local_day_start (d.now, &d.shift_start, &d.shift_end);
  d.crews = g_ptr_array_new_with_free_func (g_object_unref);
  d.tickets = g_ptr_array_new_with_free_func (g_object_unref);
  d.events = g_ptr_array_new_with_free_func (g_object_unref);
  d.callbacks = g_ptr_array_new_with_free_func (g_object_unref);

  store = cd_server_lock_writer (self);
  if (!store_is_empty (store, &empty, error))
    goto out;
  if (!empty)
    {
      cd_server_log ("info", "demo-skipped", "reason=\"the database already has users or tickets\" db=\"%s\"",
                     self->config.db_path);
      ok = TRUE;
      goto out;
    }

  make_day (&d);

  if (!cd_store_begin (store, error))
    goto out;
  if (!save_policies (&d, store, &n_policies, error) ||
      !save_records (store, d.crews, error) ||
      !save_records (store, d.tickets, error) ||
      !save_records (store, d.events, error) ||
      !save_records (store, d.callbacks, error) ||
      !cd_store_commit (store, error))
    {
      cd_store_rollback (store);
      goto out;
    }
  ok = TRUE;

out:
  cd_server_unlock_writer (self);
  if (!ok || !empty)
    return ok;

  /* Users last: each hashes its password, in a transaction of its own. */
  if (!add_users (&d, error))
    return FALSE;

  for (guint i = 0; i < d.tickets->len; i++)
    by_status[((CdTicket *) g_ptr_array_index (d.tickets, i))->status]++;

  cd_server_log ("info", "demo-seeded",
                 "city=\"%s\" districts=%u crews=%u tickets=%u new=%u assigned=%u contacted=%u en_route=%u "
                 "on_site=%u waiting=%u resolved=%u closed=%u cancelled=%u duplicate=%u events=%u callbacks=%u "
                 "policies=%u users=%u ms=%" G_GINT64_FORMAT,
                 cd_city_get_name (d.city), cd_city_get_n_districts (d.city), d.crews->len, d.tickets->len,
                 by_status[CD_TICKET_STATUS_NEW], by_status[CD_TICKET_STATUS_ASSIGNED],
                 by_status[CD_TICKET_STATUS_CONTACTED], by_status[CD_TICKET_STATUS_EN_ROUTE],
                 by_status[CD_TICKET_STATUS_ON_SITE], by_status[CD_TICKET_STATUS_WAITING_CUSTOMER],
                 by_status[CD_TICKET_STATUS_RESOLVED], by_status[CD_TICKET_STATUS_CLOSED],
                 by_status[CD_TICKET_STATUS_CANCELLED], by_status[CD_TICKET_STATUS_DUPLICATE],
                 d.events->len, d.callbacks->len, n_policies, 6 + N_CREWS,
                 (g_get_monotonic_time () - started) / 1000);

  /* Demo mode only: the console says how to get in. */
  g_print ("Demo city %s seeded. Users, all with the password \"%s\":\n"
           "  dispatcher, supervisor, agent (callback agent), manager, admin;\n"
           "  hotline (dispatcher, used by crewdesk-sim for customer reports);\n"
           "  crew-01 ... crew-%02u (crew devices, one per crew).\n",
           cd_city_get_name (d.city), DEMO_PASSWORD, N_CREWS);

  return TRUE;
}
