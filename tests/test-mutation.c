/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-mutation.c: the change operations, against a tiny in-memory world. */

#include "config.h"

#include <math.h>
#include <string.h>

#include "cd-model.h"
#include "cd-mutation.h"

/* 2026-11-18T11:13:20Z */
#define NOW ((gint64) 1795000400)

#define TICKET       "6f1c2a4e-3b7d-4c1e-9a55-0d2f6e8b1c01"
#define CREW_A       "6f1c2a4e-3b7d-4c1e-9a55-0d2f6e8b1c02" /* near the ticket */
#define CREW_B       "6f1c2a4e-3b7d-4c1e-9a55-0d2f6e8b1c03" /* farther */
#define CREW_HEAT    "6f1c2a4e-3b7d-4c1e-9a55-0d2f6e8b1c04"
#define CREW_OFF     "6f1c2a4e-3b7d-4c1e-9a55-0d2f6e8b1c05"
#define CREW_NOSKILL "6f1c2a4e-3b7d-4c1e-9a55-0d2f6e8b1c06"
#define CREW_FULL    "6f1c2a4e-3b7d-4c1e-9a55-0d2f6e8b1c07"
#define TICKET_LOAD  "6f1c2a4e-3b7d-4c1e-9a55-0d2f6e8b1c08" /* keeps CREW_FULL full */
#define TICKET_2     "6f1c2a4e-3b7d-4c1e-9a55-0d2f6e8b1c09"
#define CALLBACK     "6f1c2a4e-3b7d-4c1e-9a55-0d2f6e8b1c0a"
#define USER_1       "6f1c2a4e-3b7d-4c1e-9a55-0d2f6e8b1c0b"
#define POLICY_1     "6f1c2a4e-3b7d-4c1e-9a55-0d2f6e8b1c0c"
#define MISSING      "6f1c2a4e-3b7d-4c1e-9a55-0d2f6e8b1cff"
#define MUTATION_1   "0b5e4c1a-2f3d-4e5f-8a9b-0c1d2e3f4a01"
#define MUTATION_2   "0b5e4c1a-2f3d-4e5f-8a9b-0c1d2e3f4a02"
#define MUTATION_3   "0b5e4c1a-2f3d-4e5f-8a9b-0c1d2e3f4a03"

#define TICKET_ARGS                                                                            \
  "{\"channel\": \"hotline\", \"category\": \"power-outage\", \"urgency\": \"emergency\","     \
  " \"utility\": \"power\", \"customer\": {\"name\": \"Wang Fang\", \"phone\": \"+86 10 5555\"}," \
  " \"address\": \"12 Riverside Road\", \"lat\": 45.75, \"lon\": 126.65, \"area\": \"eastbank\"," \
  " \"area_class\": \"urban\", \"skills\": [\"hv-switching\"]}"

/* The world ---------------------------------------------------------------- */

typedef struct {
  GHashTable *records; /* id -> CdRecord */
} World;

static World *
world_new (void)
{
  World *w = g_new0 (World, 1);

  w->records = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  return w;
}

static void
world_free (World *w)
{
  g_hash_table_unref (w->records);
  g_free (w);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (World, world_free)

static void
world_put (World    *w,
           gpointer  record)
{
  g_hash_table_replace (w->records, g_strdup (CD_RECORD (record)->id), record);
}

static gpointer
world_get (World      *w,
           const char *id)
{
  return g_hash_table_lookup (w->records, id);
}

static gpointer
world_load (gpointer     world,
            GType        type,
            const char  *id,
            GError     **error)
{
  World *w = world;
  gpointer record = g_hash_table_lookup (w->records, id);

  if (record == NULL || !G_TYPE_CHECK_INSTANCE_TYPE (record, type))
    return NULL;
  return g_object_ref (record);
}

static GPtrArray *
world_list_crews (gpointer   world,
                  GError   **error)
{
  World *w = world;
  GPtrArray *crews = g_ptr_array_new_with_free_func (g_object_unref);
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, w->records);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (CD_IS_CREW (value))
      g_ptr_array_add (crews, g_object_ref (value));

  return crews;
}

static guint
world_crew_load (gpointer    world,
                 const char *crew_id)
{
  World *w = world;
  GHashTableIter iter;
  gpointer value;
  guint load = 0;

  g_hash_table_iter_init (&iter, w->records);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (CD_IS_TICKET (value) && cd_ticket_is_open (value) &&
        g_strcmp0 (CD_TICKET (value)->crew_id, crew_id) == 0)
      load++;

  return load;
}

static gpointer
world_find_user (gpointer     world,
                 const char  *username,
                 GError     **error)
{
  World *w = world;
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, w->records);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (CD_IS_USER (value) && g_strcmp0 (CD_USER (value)->username, username) == 0)
      return g_object_ref (value);

  return NULL;
}

static const CdMutationWorldVTable world_vtable = {
  world_load, world_list_crews, world_crew_load, world_find_user,
};

/* What the server does with a result: save every record. */
static void
world_commit (World            *w,
              CdMutationResult *result)
{
  for (guint i = 0; i < result->records->len; i++)
    world_put (w, g_object_ref (g_ptr_array_index (result->records, i)));
}

static gint
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return g_strcmp0 (*(const char * const *) a, *(const char * const *) b);
}

/* JSON of every record, sorted, to see that nothing changed in place. */
static char *
world_snapshot (World *w)
{
  g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, w->records);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_ptr_array_add (lines, cd_record_to_json_string (value, NULL));
  g_ptr_array_sort (lines, compare_strings);
  g_ptr_array_add (lines, NULL);

  return g_strjoinv ("\n", (char **) lines->pdata);
}

/* Fixture -------------------------------------------------------------------- */

typedef struct {
  World             *world;
  CdSlaPolicySet    *policies;
  CdUser            *dispatcher;
  CdUser            *supervisor;
  CdUser            *agent;
  CdUser            *manager;
  CdUser            *admin;
  CdUser            *device;   /* of CREW_A */
  CdUser            *auto_dispatch;
  CdMutationContext  ctx;
} Fixture;

static CdUser *
make_user (const char *username,
           CdRole      role,
           const char *crew_id)
{
  CdUser *user = cd_user_new ();
  g_autofree char *id = g_uuid_string_random ();

  CD_RECORD (user)->id = g_steal_pointer (&id);
  user->username = g_strdup (username);
  user->role = role;
  user->crew_id = g_strdup (crew_id);
  user->active = TRUE;
  return user;
}

static CdCrew *
make_crew (const char *id,
           const char *name,
           CdUtility   utility,
           const char *skill,
           gint64      capacity,
           double      lat,
           double      lon)
{
  CdCrew *crew = cd_crew_new ();
  const char *skills[] = { skill, NULL };
  const char *areas[] = { "eastbank", NULL };

  CD_RECORD (crew)->id = g_strdup (id);
  CD_RECORD (crew)->version = 1;
  crew->name = g_strdup (name);
  crew->utility = utility;
  crew->skills = skill ? g_strdupv ((char **) skills) : NULL;
  crew->areas = g_strdupv ((char **) areas);
  crew->capacity = capacity;
  crew->lat = lat;
  crew->lon = lon;
  crew->position_at = NOW - 60;
  return crew;
}

static JsonObject *
parse_object (const char *json)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = cd_json_parse (json, -1, CD_JSON_MAX_BYTES, CD_JSON_MAX_DEPTH, &error);

  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
  return json_object_ref (json_node_get_object (node));
}

static CdMutation *
make_with_id (const char *id,
              const char *op_name,
              const char *target,
              gint64      expected_version,
              const char *args)
{
  g_autoptr(JsonObject) object = parse_object (args ? args : "{}");
  CdMutationOp op;

  g_assert_true (cd_mutation_op_from_string (op_name, &op));
  return cd_mutation_new (id, op, target, expected_version, object);
}

static CdMutation *
make (const char *op_name,
      const char *target,
      gint64      expected_version,
      const char *args)
{
  g_autofree char *id = g_uuid_string_random ();

  return make_with_id (id, op_name, target, expected_version, args);
}

static gboolean
run (Fixture           *f,
     CdUser            *actor,
     CdMutation        *m,
     CdMutationResult  *result,
     GError           **error)
{
  f->ctx.actor = actor;
  return cd_mutation_apply (m, &f->ctx, &world_vtable, f->world, result, error);
}

static void
run_ok (Fixture          *f,
        CdUser           *actor,
        CdMutation       *m,
        CdMutationResult *result)
{
  g_autoptr(GError) error = NULL;
  gboolean ok = run (f, actor, m, result, &error);

  g_assert_no_error (error);
  g_assert_true (ok);
  world_commit (f->world, result);
}

/* Applies and expects @code; returns the message. */
static char *
run_fails (Fixture          *f,
           CdUser           *actor,
           CdMutation       *m,
           CdMutationResult *result,
           gint              code)
{
  g_autoptr(GError) error = NULL;
  gboolean ok = run (f, actor, m, result, &error);

  g_assert_false (ok);
  g_assert_error (error, CD_MUTATION_ERROR, code);
  g_assert_cmpuint (result->records->len, ==, 0);
  g_assert_null (result->password);
  g_test_message ("%s: %s", cd_mutation_error_code_to_string (code), error->message);
  return g_strdup (error->message);
}

/* One op through a fresh result; asserts success, commits. */
static void
step (Fixture    *f,
      CdUser     *actor,
      const char *op,
      const char *target,
      const char *args)
{
  g_auto(CdMutationResult) result = { 0 };
  g_autoptr(CdMutation) m = make (op, target, -1, args);

  cd_mutation_result_init (&result);
  run_ok (f, actor, m, &result);
}

static void
build_world (World *w)
{
  g_autoptr(CdTicket) load = cd_ticket_new ();

  world_put (w, make_crew (CREW_A, "Power 1", CD_UTILITY_POWER, "hv-switching", 2, 45.755, 126.655));
  world_put (w, make_crew (CREW_B, "Power 2", CD_UTILITY_POWER, "hv-switching", 2, 45.80, 126.75));
  world_put (w, make_crew (CREW_HEAT, "Heat 1", CD_UTILITY_HEAT, "hv-switching", 2, 45.751, 126.651));
  world_put (w, make_crew (CREW_NOSKILL, "Power 3", CD_UTILITY_POWER, NULL, 2, 45.751, 126.651));
  world_put (w, make_crew (CREW_FULL, "Power 4", CD_UTILITY_POWER, "hv-switching", 1, 45.752, 126.652));
  {
    CdCrew *off = make_crew (CREW_OFF, "Power 5", CD_UTILITY_POWER, "hv-switching", 2, 45.751, 126.651);

    off->status = CD_CREW_STATUS_OFF_SHIFT;
    world_put (w, off);
  }

  CD_RECORD (load)->id = g_strdup (TICKET_LOAD);
  CD_RECORD (load)->version = 1;
  load->number = g_strdup ("PW-LOAD");
  load->utility = CD_UTILITY_POWER;
  load->status = CD_TICKET_STATUS_ASSIGNED;
  load->customer_name = g_strdup ("Li Lei");
  load->address = g_strdup ("1 Hill Road");
  load->lat = 45.7;
  load->lon = 126.6;
  load->created_at = NOW - 3600;
  load->crew_id = g_strdup (CREW_FULL);
  world_put (w, g_steal_pointer (&load));
}

/* The base ticket, created the way a dispatcher does. */
static void
create_ticket (Fixture    *f,
               World      *w,
               gint64      now)
{
  g_auto(CdMutationResult) result = { 0 };
  g_autoptr(CdMutation) m = make_with_id (MUTATION_3, "ticket.create", TICKET, -1, TICKET_ARGS);
  g_autoptr(GError) error = NULL;
  CdMutationContext ctx = f->ctx;

  cd_mutation_result_init (&result);
  ctx.actor = f->dispatcher;
  ctx.now = now;
  g_assert_true (cd_mutation_apply (m, &ctx, &world_vtable, w, &result, &error));
  g_assert_no_error (error);
  world_commit (w, &result);
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->policies = cd_sla_policy_set_new_default (&error);
  g_assert_no_error (error);

  f->world = world_new ();
  build_world (f->world);

  f->dispatcher = make_user ("dispatcher", CD_ROLE_DISPATCHER, NULL);
  f->supervisor = make_user ("supervisor", CD_ROLE_SUPERVISOR, NULL);
  f->agent = make_user ("agent", CD_ROLE_CALLBACK_AGENT, NULL);
  f->manager = make_user ("boss", CD_ROLE_MANAGER, NULL);
  f->admin = make_user ("admin", CD_ROLE_ADMIN, NULL);
  f->device = make_user ("power-1-phone", CD_ROLE_CREW_DEVICE, CREW_A);
  f->auto_dispatch = make_user (CD_MUTATION_AUTO_DISPATCH_ACTOR, CD_ROLE_SUPERVISOR, NULL);

  cd_mutation_context_init (&f->ctx, f->dispatcher, NOW, f->policies);
  create_ticket (f, f->world, NOW - 600);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_clear_object (&f->dispatcher);
  g_clear_object (&f->supervisor);
  g_clear_object (&f->agent);
  g_clear_object (&f->manager);
  g_clear_object (&f->admin);
  g_clear_object (&f->device);
  g_clear_object (&f->auto_dispatch);
  g_clear_object (&f->policies);
  g_clear_pointer (&f->world, world_free);
}

static CdTicket *
ticket (Fixture    *f,
        const char *id)
{
  CdTicket *t = world_get (f->world, id);

  g_assert_true (CD_IS_TICKET (t));
  return t;
}

static CdRecord *
find_kind (CdMutationResult *result,
           GType             type)
{
  CdRecord *found = NULL;

  for (guint i = 0; i < result->records->len; i++)
    if (G_TYPE_CHECK_INSTANCE_TYPE (g_ptr_array_index (result->records, i), type))
      {
        g_assert_null (found);
        found = g_ptr_array_index (result->records, i);
      }

  return found;
}

static void
assign (Fixture    *f,
        const char *crew_id)
{
  g_autofree char *args = g_strdup_printf ("{\"crew_id\": \"%s\"}", crew_id);

  step (f, f->dispatcher, "ticket.assign", TICKET, args);
}

static void
set_status (Fixture    *f,
            CdUser     *actor,
            const char *target,
            const char *status)
{
  g_autofree char *args = g_strdup_printf ("{\"status\": \"%s\"}", status);

  step (f, actor, "ticket.set_status", target, args);
}

/* A ticket put straight into the world, for the callback tests. */
static CdTicket *
put_ticket (Fixture            *f,
            const char         *id,
            CdTicketStatus      status)
{
  CdTicket *t = cd_record_copy (CD_RECORD (ticket (f, TICKET)));

  g_free (CD_RECORD (t)->id);
  CD_RECORD (t)->id = g_strdup (id);
  CD_RECORD (t)->version = 1;
  t->status = status;
  t->first_response_at = t->on_site_at = t->resolved_at = t->closed_at = 0;
  g_clear_pointer (&t->pauses, g_ptr_array_unref);
  g_free (t->crew_id);
  t->crew_id = g_strdup (CREW_A);
  world_put (f->world, t);
  return t;
}

/* ticket.create --------------------------------------------------------------- */

static void
test_create (Fixture       *f,
             gconstpointer  data)
{
  CdTicket *t = ticket (f, TICKET);
  CdSlaPolicy *policy = cd_sla_policy_set_lookup (f->policies, CD_CATEGORY_POWER_OUTAGE,
                                                  CD_URGENCY_EMERGENCY, CD_AREA_CLASS_URBAN);
  g_autoptr(CdMutation) m = NULL;
  g_auto(CdMutationResult) result = { 0 };
  CdTicket *dup;
  CdTicket *original;

  /* Created in the fixture, ten minutes ago. */
  g_assert_cmpint (CD_RECORD (t)->version, ==, 1);
  g_assert_cmpint (CD_RECORD (t)->rev, ==, 0);
  g_assert_cmpint (t->status, ==, CD_TICKET_STATUS_NEW);
  g_assert_cmpint (t->created_at, ==, NOW - 600);
  g_assert_cmpint (t->updated_at, ==, NOW - 600);
  g_assert_cmpstr (t->owner, ==, "dispatcher");
  g_assert_cmpstr (t->number, ==, "PW-6F1C2A4E3B");
  g_assert_cmpstr (t->customer_name, ==, "Wang Fang");
  g_assert_null (t->crew_id);
  g_assert_cmpint (t->sla_first_response_min, ==, policy->first_response_min);
  g_assert_cmpint (t->sla_on_site_min, ==, policy->on_site_min);
  g_assert_cmpint (t->sla_resolved_min, ==, policy->resolved_min);
  g_assert_cmpint (t->sla_calendar, ==, CD_CALENDAR_KIND_ALWAYS);
  g_assert_cmpint (t->due_first_response, ==, t->created_at + policy->first_response_min * 60);
  g_assert_cmpint (t->due_on_site, ==, t->created_at + policy->on_site_min * 60);

  /* A repeat report names the first one and counts on it. */
  m = make ("ticket.create", TICKET_2, -1,
            "{\"channel\": \"web\", \"category\": \"power-outage\", \"urgency\": \"emergency\","
            " \"utility\": \"power\", \"customer\": {\"name\": \"Zhang Min\"}, \"address\": \"14 Riverside Road\","
            " \"lat\": 45.7501, \"lon\": 126.6501, \"number\": \"PW-000117\", \"owner\": \"hotline-7\","
            " \"duplicate_of\": \"" TICKET "\"}");
  cd_mutation_result_init (&result);
  run_ok (f, f->supervisor, m, &result);
  g_assert_cmpuint (result.records->len, ==, 2);
  dup = g_ptr_array_index (result.records, 0);
  original = g_ptr_array_index (result.records, 1);
  g_assert_cmpstr (CD_RECORD (dup)->id, ==, TICKET_2);
  g_assert_cmpstr (dup->number, ==, "PW-000117");
  g_assert_cmpstr (dup->owner, ==, "hotline-7");
  g_assert_cmpstr (dup->duplicate_of, ==, TICKET);
  g_assert_cmpstr (CD_RECORD (original)->id, ==, TICKET);
  g_assert_cmpint (original->duplicate_count, ==, 1);
  g_assert_cmpint (CD_RECORD (original)->version, ==, 2);
  g_assert_cmpint (original->updated_at, ==, NOW);
}

static void
test_create_filled_members (Fixture       *f,
                            gconstpointer  data)
{
  static const char * const filled[] = { "status", "crew_id", "created_at", "sla", "version" };

  for (guint i = 0; i < G_N_ELEMENTS (filled); i++)
    {
      g_autoptr(JsonObject) args = parse_object (TICKET_ARGS);
      g_autoptr(CdMutation) m = NULL;
      g_autoptr(GError) error = NULL;
      g_autoptr(JsonNode) node = NULL;
      g_autoptr(CdMutation) parsed = NULL;

      json_object_set_null_member (args, filled[i]);
      m = cd_mutation_new (MUTATION_1, CD_MUTATION_OP_TICKET_CREATE, TICKET_2, -1, args);
      node = cd_mutation_to_json (m);
      parsed = cd_mutation_new_from_json (node, &error);
      g_assert_null (parsed);
      g_assert_error (error, CD_MUTATION_ERROR, CD_MUTATION_ERROR_INVALID);
      g_assert_nonnull (strstr (error->message, filled[i]));
    }
}

/* ticket.assign ---------------------------------------------------------------- */

static void
test_assign_best (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(CdMutation) m = make_with_id (MUTATION_1, "ticket.assign", TICKET, 1,
                                          "{\"crew_id\": \"" CREW_A "\", \"reason\": \"Closest crew\"}");
  g_auto(CdMutationResult) result = { 0 };
  g_autofree char *event_id = cd_mutation_derive_id (MUTATION_1, "event");
  CdTicket *t;
  CdAssignmentEvent *event;

  cd_mutation_result_init (&result);
  run_ok (f, f->dispatcher, m, &result);
  g_assert_cmpuint (result.records->len, ==, 2);
  g_assert_null (result.warning);

  t = g_ptr_array_index (result.records, 0);
  g_assert_cmpstr (CD_RECORD (t)->id, ==, TICKET);
  g_assert_cmpint (CD_RECORD (t)->version, ==, 2);
  g_assert_cmpstr (t->crew_id, ==, CREW_A);
  g_assert_cmpint (t->status, ==, CD_TICKET_STATUS_ASSIGNED);
  g_assert_cmpint (t->assignment_source, ==, CD_ASSIGNMENT_SOURCE_MANUAL);
  g_assert_true (t->pinned);
  g_assert_cmpint (t->updated_at, ==, NOW);

  event = g_ptr_array_index (result.records, 1);
  g_assert_true (CD_IS_ASSIGNMENT_EVENT (event));
  g_assert_cmpstr (CD_RECORD (event)->id, ==, event_id);
  g_assert_cmpint (CD_RECORD (event)->version, ==, 1);
  g_assert_cmpstr (event->ticket_id, ==, TICKET);
  g_assert_null (event->from_crew);
  g_assert_cmpstr (event->to_crew, ==, CREW_A);
  g_assert_cmpstr (event->actor, ==, "dispatcher");
  g_assert_cmpint (event->at, ==, NOW);
  g_assert_cmpint (event->source, ==, CD_ASSIGNMENT_SOURCE_MANUAL);
  g_assert_cmpstr (event->reason, ==, "Closest crew");
  g_assert_cmpfloat (event->score, >, 0);
  /* The best crew was chosen: no proposal was overridden. */
  g_assert_null (event->proposed_crew);
  g_assert_cmpfloat (event->proposed_score, ==, 0);
}

static void
test_assign_override (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(CdMutation) m = make ("ticket.assign", TICKET, -1,
                                  "{\"crew_id\": \"" CREW_B "\", \"reason\": \"Crew 1 is at lunch\"}");
  g_auto(CdMutationResult) result = { 0 };
  CdAssignmentEvent *event;
  CdTicket *t;
  CdMatchParams params;
  CdMatchTicket mt = { 0 };
  CdMatchCrew a = { 0 }, b = { 0 };
  CdMatchScore score_a, score_b;

  cd_mutation_result_init (&result);
  run_ok (f, f->dispatcher, m, &result);
  event = CD_ASSIGNMENT_EVENT (find_kind (&result, CD_TYPE_ASSIGNMENT_EVENT));
  g_assert_cmpstr (event->to_crew, ==, CREW_B);
  g_assert_cmpstr (event->proposed_crew, ==, CREW_A);
  g_assert_cmpfloat (event->proposed_score, <, event->score);

  /* The same figures as the matcher's own. */
  t = ticket (f, TICKET);
  cd_match_params_init_default (&params);
  mt.lat = t->lat;
  mt.lon = t->lon;
  mt.utility = CD_UTILITY_POWER;
  mt.skills_required = 1;
  mt.urgency = t->urgency;
  mt.area = 0;
  mt.assigned_crew = -1;
  a.lat = 45.755; a.lon = 126.655; a.utility = CD_UTILITY_POWER; a.skills = 1;
  a.on_shift = TRUE; a.capacity = 2; a.areas = 1;
  b = a;
  b.lat = 45.80; b.lon = 126.75;
  cd_match_score (&params, &mt, &a, 0, &score_a);
  cd_match_score (&params, &mt, &b, 1, &score_b);
  g_assert_cmpfloat_with_epsilon (event->proposed_score, score_a.total, 1e-9);
  g_assert_cmpfloat_with_epsilon (event->score, score_b.total, 1e-9);
}

static void
test_assign_unassign (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(CdMutation) m = make ("ticket.assign", TICKET, -1, "{\"crew_id\": null}");
  g_autoptr(CdMutation) again = NULL;
  g_auto(CdMutationResult) result = { 0 };
  CdTicket *t;
  CdAssignmentEvent *event;

  assign (f, CREW_A);
  cd_mutation_result_init (&result);
  run_ok (f, f->dispatcher, m, &result);
  t = g_ptr_array_index (result.records, 0);
  g_assert_null (t->crew_id);
  g_assert_cmpint (t->status, ==, CD_TICKET_STATUS_NEW);
  g_assert_cmpint (t->assignment_source, ==, CD_ASSIGNMENT_SOURCE_NONE);
  g_assert_false (t->pinned);
  event = CD_ASSIGNMENT_EVENT (find_kind (&result, CD_TYPE_ASSIGNMENT_EVENT));
  g_assert_cmpstr (event->from_crew, ==, CREW_A);
  g_assert_null (event->to_crew);
  g_assert_null (event->proposed_crew);

  /* Unassigning an unassigned ticket changes nothing. */
  again = make ("ticket.assign", TICKET, -1, "{\"crew_id\": null}");
  run_ok (f, f->dispatcher, again, &result);
  g_assert_cmpuint (result.records->len, ==, 0);
}

static void
test_assign_expect_crew (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(CdMutation) first = make ("ticket.assign", TICKET, -1,
                                      "{\"crew_id\": \"" CREW_A "\", \"expect_crew\": null}");
  g_autoptr(CdMutation) second = make ("ticket.assign", TICKET, -1,
                                       "{\"crew_id\": \"" CREW_B "\", \"expect_crew\": null}");
  g_autoptr(CdMutation) reassign = make ("ticket.assign", TICKET, -1,
                                         "{\"crew_id\": \"" CREW_B "\", \"expect_crew\": \"" CREW_A "\"}");
  g_autoptr(CdUser) other = make_user ("dispatcher-2", CD_ROLE_DISPATCHER, NULL);
  g_auto(CdMutationResult) result = { 0 };
  g_autofree char *message = NULL;

  /* Both saw the ticket unassigned; the first one wins. */
  cd_mutation_result_init (&result);
  run_ok (f, f->dispatcher, first, &result);
  message = run_fails (f, other, second, &result, CD_MUTATION_ERROR_CONFLICT);
  g_assert_nonnull (result.current);
  g_assert_true (CD_IS_TICKET (result.current));
  g_assert_cmpstr (CD_TICKET (result.current)->crew_id, ==, CREW_A);
  g_assert_cmpint (result.current->version, ==, 2);
  g_assert_true (cd_record_equal (result.current, world_get (f->world, TICKET)));

  /* A precondition that holds. */
  run_ok (f, other, reassign, &result);
  g_assert_null (result.current);
  g_assert_cmpstr (ticket (f, TICKET)->crew_id, ==, CREW_B);
}

static void
test_assign_capacity (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(CdMutation) manual = make ("ticket.assign", TICKET, -1, "{\"crew_id\": \"" CREW_FULL "\"}");
  g_autoptr(CdMutation) automatic = make ("ticket.assign", TICKET, -1,
                                          "{\"crew_id\": \"" CREW_FULL "\", \"source\": \"auto\"}");
  g_autoptr(CdMutation) auto_ok = make ("ticket.assign", TICKET, -1,
                                        "{\"crew_id\": \"" CREW_A "\", \"source\": \"auto\"}");
  g_auto(CdMutationResult) result = { 0 };
  g_autofree char *message = NULL;
  g_autofree char *forbidden = NULL;
  CdTicket *t;

  /* The automatic dispatcher respects capacity... */
  cd_mutation_result_init (&result);
  message = run_fails (f, f->auto_dispatch, automatic, &result, CD_MUTATION_ERROR_CONSTRAINT);
  g_assert_nonnull (strstr (message, cd_match_verdict_to_string (CD_MATCH_FULL)));

  /* ...and nobody else may pose as it. */
  forbidden = run_fails (f, f->dispatcher, automatic, &result, CD_MUTATION_ERROR_FORBIDDEN);

  /* A dispatcher may overload a crew, and is told. */
  run_ok (f, f->dispatcher, manual, &result);
  g_assert_nonnull (result.warning);
  g_assert_nonnull (strstr (result.warning, "Power 4"));
  g_test_message ("warning: %s", result.warning);

  /* An automatic assignment is not pinned. */
  run_ok (f, f->auto_dispatch, auto_ok, &result);
  t = g_ptr_array_index (result.records, 0);
  g_assert_cmpint (t->assignment_source, ==, CD_ASSIGNMENT_SOURCE_AUTO);
  g_assert_false (t->pinned);
  g_assert_cmpstr (CD_ASSIGNMENT_EVENT (g_ptr_array_index (result.records, 1))->actor, ==,
                   CD_MUTATION_AUTO_DISPATCH_ACTOR);
}

/* ticket.set_status -------------------------------------------------------------- */

static void
test_status_lifecycle (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr(CdMutation) resolve = make_with_id (MUTATION_2, "ticket.set_status", TICKET, -1,
                                                "{\"status\": \"resolved\"}");
  g_autofree char *callback_id = cd_mutation_derive_id (MUTATION_2, "callback");
  g_auto(CdMutationResult) result = { 0 };
  CdCallback *callback;
  CdTicket *t;

  assign (f, CREW_A);
  f->ctx.now = NOW + 60;
  set_status (f, f->device, TICKET, "contacted");
  g_assert_cmpint (ticket (f, TICKET)->first_response_at, ==, NOW + 60);
  f->ctx.now = NOW + 120;
  set_status (f, f->device, TICKET, "en-route");
  f->ctx.now = NOW + 1200;
  set_status (f, f->device, TICKET, "on-site");
  t = ticket (f, TICKET);
  g_assert_cmpint (t->status, ==, CD_TICKET_STATUS_ON_SITE);
  g_assert_cmpint (t->on_site_at, ==, NOW + 1200);
  g_assert_cmpint (t->first_response_at, ==, NOW + 60);
  g_assert_cmpint (CD_RECORD (t)->version, ==, 5);

  f->ctx.now = NOW + 3600;
  cd_mutation_result_init (&result);
  run_ok (f, f->device, resolve, &result);
  g_assert_cmpuint (result.records->len, ==, 2);
  t = g_ptr_array_index (result.records, 0);
  g_assert_cmpint (t->status, ==, CD_TICKET_STATUS_RESOLVED);
  g_assert_cmpint (t->resolved_at, ==, NOW + 3600);

  /* Exactly one callback, due by the policy set, plain priority. */
  callback = CD_CALLBACK (find_kind (&result, CD_TYPE_CALLBACK));
  g_assert_nonnull (callback);
  g_assert_cmpstr (CD_RECORD (callback)->id, ==, callback_id);
  g_assert_cmpint (CD_RECORD (callback)->version, ==, 1);
  g_assert_cmpstr (callback->ticket_id, ==, TICKET);
  g_assert_cmpint (callback->status, ==, CD_CALLBACK_STATUS_PENDING);
  g_assert_cmpint (callback->priority, ==, 50);
  g_assert_cmpint (callback->due_at, ==, cd_sla_policy_set_callback_due (f->policies, t));
  g_assert_cmpint (callback->due_at, ==,
                   NOW + 3600 + cd_sla_policy_set_get_callback_due_min (f->policies) * 60);

  /* Resolving again changes nothing and makes no second callback. */
  run_ok (f, f->supervisor, resolve, &result);
  g_assert_cmpuint (result.records->len, ==, 0);

  f->ctx.now = NOW + 7200;
  set_status (f, f->dispatcher, TICKET, "closed");
  g_assert_cmpint (ticket (f, TICKET)->closed_at, ==, NOW + 7200);
}

static void
test_status_on_site_first (Fixture       *f,
                           gconstpointer  data)
{
  CdTicket *t;

  /* A crew that arrives without calling first responds on arrival. */
  assign (f, CREW_A);
  set_status (f, f->device, TICKET, "on-site");
  t = ticket (f, TICKET);
  g_assert_cmpint (t->on_site_at, ==, NOW);
  g_assert_cmpint (t->first_response_at, ==, NOW);
}

static void
test_status_callback_priority (Fixture       *f,
                               gconstpointer  data)
{
  static const struct {
    CdCategory category;
    gboolean   key;
    gint64     duplicates;
    gint64     priority;
  } cases[] = {
    { CD_CATEGORY_COMPLAINT, TRUE, 2, 90 },
    { CD_CATEGORY_POWER_OUTAGE, TRUE, 2, 80 },
    { CD_CATEGORY_POWER_OUTAGE, FALSE, 1, 70 },
    { CD_CATEGORY_POWER_OUTAGE, FALSE, 0, 50 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *id = g_uuid_string_random ();
      g_autoptr(CdMutation) m = make ("ticket.set_status", id, -1, "{\"status\": \"resolved\"}");
      g_auto(CdMutationResult) result = { 0 };
      CdTicket *t = put_ticket (f, id, CD_TICKET_STATUS_ON_SITE);

      t->category = cases[i].category;
      t->key_customer = cases[i].key;
      t->duplicate_count = cases[i].duplicates;
      cd_mutation_result_init (&result);
      run_ok (f, f->dispatcher, m, &result);
      g_assert_cmpint (CD_CALLBACK (find_kind (&result, CD_TYPE_CALLBACK))->priority, ==, cases[i].priority);
    }
}

static void
test_status_crew_device (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(CdMutation) cancel = make ("ticket.set_status", TICKET, -1, "{\"status\": \"cancelled\"}");
  g_autoptr(CdMutation) other = make ("ticket.set_status", TICKET_LOAD, -1, "{\"status\": \"contacted\"}");
  g_autoptr(CdUser) loose = make_user ("loose-phone", CD_ROLE_CREW_DEVICE, NULL);
  g_autoptr(CdMutation) contacted = make ("ticket.set_status", TICKET, -1, "{\"status\": \"contacted\"}");
  g_auto(CdMutationResult) result = { 0 };
  g_autofree char *m1 = NULL;
  g_autofree char *m2 = NULL;
  g_autofree char *m3 = NULL;

  assign (f, CREW_A);
  cd_mutation_result_init (&result);
  /* Another crew's ticket. */
  m1 = run_fails (f, f->device, other, &result, CD_MUTATION_ERROR_FORBIDDEN);
  /* An office decision. */
  m2 = run_fails (f, f->device, cancel, &result, CD_MUTATION_ERROR_FORBIDDEN);
  /* A device that belongs to no crew. */
  m3 = run_fails (f, loose, contacted, &result, CD_MUTATION_ERROR_FORBIDDEN);
  run_ok (f, f->device, contacted, &result);
  run_ok (f, f->dispatcher, cancel, &result);
  g_assert_cmpint (ticket (f, TICKET)->status, ==, CD_TICKET_STATUS_CANCELLED);
}

/* ticket.pause and ticket.resume -------------------------------------------------- */

static void
test_pause_resume (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(CdTicket) expected = NULL;
  CdCalendar *calendar;
  CdTicket *t;
  gint64 due_first_response;

  assign (f, CREW_A);
  f->ctx.now = NOW + 60;
  set_status (f, f->device, TICKET, "contacted");
  expected = cd_record_copy (world_get (f->world, TICKET));
  calendar = cd_sla_policy_set_get_calendar (f->policies, expected->sla_calendar);
  due_first_response = expected->due_first_response;

  f->ctx.now = NOW + 300;
  step (f, f->supervisor, "ticket.pause", TICKET, "{\"reason\": \"Customer not home\"}");
  g_assert_true (cd_sla_pause (expected, calendar, NOW + 300, "Customer not home", NULL));
  t = ticket (f, TICKET);
  g_assert_cmpint (t->status, ==, CD_TICKET_STATUS_WAITING_CUSTOMER);
  g_assert_true (cd_ticket_is_paused (t));
  g_assert_cmpint (t->due_on_site, ==, expected->due_on_site);
  g_assert_cmpint (t->due_resolved, ==, expected->due_resolved);
  g_assert_cmpuint (t->pauses->len, ==, 1);
  g_assert_cmpstr (CD_SLA_PAUSE (g_ptr_array_index (t->pauses, 0))->reason, ==, "Customer not home");

  f->ctx.now = NOW + 2100;
  step (f, f->supervisor, "ticket.resume", TICKET, NULL);
  g_assert_true (cd_sla_resume (expected, calendar, NOW + 2100, NULL));
  t = ticket (f, TICKET);
  g_assert_false (cd_ticket_is_paused (t));
  g_assert_cmpint (t->due_on_site, ==, expected->due_on_site);
  g_assert_cmpint (t->due_resolved, ==, expected->due_resolved);
  g_assert_true (cd_record_equal (g_ptr_array_index (t->pauses, 0), g_ptr_array_index (expected->pauses, 0)));
  /* 30 minutes of waiting move the running limits, not the one met. */
  g_assert_cmpint (t->due_on_site, ==, ticket (f, TICKET)->created_at + t->sla_on_site_min * 60 + 1800);
  g_assert_cmpint (t->due_first_response, ==, due_first_response);
  /* Back to where it was. */
  g_assert_cmpint (t->status, ==, CD_TICKET_STATUS_CONTACTED);
}

static void
test_resume_status (Fixture       *f,
                    gconstpointer  data)
{
  /* On site before the pause: on site after it. */
  assign (f, CREW_A);
  set_status (f, f->device, TICKET, "on-site");
  f->ctx.now = NOW + 60;
  step (f, f->supervisor, "ticket.pause", TICKET, "{\"reason\": \"Waiting for the key\"}");
  f->ctx.now = NOW + 120;
  step (f, f->supervisor, "ticket.resume", TICKET, NULL);
  g_assert_cmpint (ticket (f, TICKET)->status, ==, CD_TICKET_STATUS_ON_SITE);

  /* Assigned only: assigned. */
  put_ticket (f, TICKET_2, CD_TICKET_STATUS_ASSIGNED);
  step (f, f->supervisor, "ticket.pause", TICKET_2, "{\"reason\": \"Customer asked for tomorrow\"}");
  f->ctx.now = NOW + 180;
  step (f, f->supervisor, "ticket.resume", TICKET_2, NULL);
  g_assert_cmpint (ticket (f, TICKET_2)->status, ==, CD_TICKET_STATUS_ASSIGNED);
}

/* ticket.acknowledge ---------------------------------------------------------------- */

/* The base ticket (an urban emergency outage, created at NOW - 600) must
 * respond within 10 minutes: amber in its last 2.5, red from NOW on. */
#define AMBER_TIME (NOW - 100)
#define RED_TIME   (NOW + 60)

static void
test_acknowledge (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(CdTicket) before = NULL;
  g_autoptr(CdRecord) decoded = NULL;
  g_autoptr(JsonNode) json = NULL;
  g_autoptr(GError) error = NULL;
  CdSlaAck *ack;
  CdTicket *t;

  /* Amber: the supervisor takes note, with a note. */
  f->ctx.now = AMBER_TIME;
  before = cd_record_copy (CD_RECORD (ticket (f, TICKET)));
  g_assert_null (cd_ticket_get_acknowledgement (before, CD_SLA_STATE_AMBER));
  {
    g_auto(CdMutationResult) result = { 0 };
    g_autoptr(CdMutation) m = make ("ticket.acknowledge", TICKET, -1,
                                    "{\"level\": \"amber\", \"note\": \"Crew 3 is two streets away\"}");

    cd_mutation_result_init (&result);
    run_ok (f, f->supervisor, m, &result);
    g_assert_cmpuint (result.records->len, ==, 1);
  }
  t = ticket (f, TICKET);
  g_assert_cmpint (CD_RECORD (t)->version, ==, CD_RECORD (before)->version + 1);
  g_assert_cmpint (t->updated_at, ==, AMBER_TIME);
  g_assert_cmpuint (t->acknowledgements->len, ==, 1);
  ack = cd_ticket_get_acknowledgement (t, CD_SLA_STATE_AMBER);
  g_assert_nonnull (ack);
  g_assert_cmpstr (ack->by, ==, "supervisor");
  g_assert_cmpint (ack->at, ==, AMBER_TIME);
  g_assert_cmpstr (ack->note, ==, "Crew 3 is two streets away");
  g_assert_null (cd_ticket_get_acknowledgement (t, CD_SLA_STATE_RED));
  /* Nothing else changed: the deadlines stay. */
  g_assert_cmpint (t->due_first_response, ==, before->due_first_response);
  g_assert_cmpint (t->status, ==, before->status);

  /* Red is not reached yet. */
  {
    g_auto(CdMutationResult) result = { 0 };
    g_autoptr(CdMutation) m = make ("ticket.acknowledge", TICKET, -1, "{\"level\": \"red\"}");
    g_autofree char *message = NULL;

    cd_mutation_result_init (&result);
    message = run_fails (f, f->supervisor, m, &result, CD_MUTATION_ERROR_INVALID_TRANSITION);
    g_assert_nonnull (strstr (message, "red"));
  }

  /* Amber again: nothing changes, no new version. */
  {
    g_auto(CdMutationResult) result = { 0 };
    g_autoptr(CdMutation) m = make ("ticket.acknowledge", TICKET, -1, "{\"level\": \"amber\"}");

    cd_mutation_result_init (&result);
    run_ok (f, f->supervisor, m, &result);
    g_assert_cmpuint (result.records->len, ==, 0);
    g_assert_cmpint (CD_RECORD (ticket (f, TICKET))->version, ==, CD_RECORD (before)->version + 1);
  }

  /* Breached: red, without a note. */
  f->ctx.now = RED_TIME;
  step (f, f->supervisor, "ticket.acknowledge", TICKET, "{\"level\": \"red\", \"note\": null}");
  t = ticket (f, TICKET);
  g_assert_cmpuint (t->acknowledgements->len, ==, 2);
  ack = cd_ticket_get_acknowledgement (t, CD_SLA_STATE_RED);
  g_assert_nonnull (ack);
  g_assert_cmpint (ack->at, ==, RED_TIME);
  g_assert_null (ack->note);
  g_assert_cmpint (cd_ticket_get_acknowledgement (t, CD_SLA_STATE_AMBER)->at, ==, AMBER_TIME);

  /* The codec carries it, under sla. */
  json = cd_record_to_json (CD_RECORD (t));
  {
    JsonObject *sla = json_object_get_object_member (json_node_get_object (json), "sla");
    JsonArray *acks = json_object_get_array_member (sla, "acknowledgements");

    g_assert_nonnull (acks);
    g_assert_cmpuint (json_array_get_length (acks), ==, 2);
    g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (acks, 1), "level"), ==, "red");
    g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (acks, 0), "by"), ==, "supervisor");
  }
  decoded = cd_record_new_from_json (CD_TYPE_TICKET, json, CD_DECODE_STRICT, &error);
  g_assert_no_error (error);
  g_assert_true (cd_record_equal (decoded, CD_RECORD (t)));

  /* Red covers amber: a ticket that went red unnoticed can be
   * acknowledged at amber too. */
  put_ticket (f, TICKET_2, CD_TICKET_STATUS_ASSIGNED);
  step (f, f->supervisor, "ticket.acknowledge", TICKET_2, "{\"level\": \"amber\"}");
  g_assert_nonnull (cd_ticket_get_acknowledgement (ticket (f, TICKET_2), CD_SLA_STATE_AMBER));
}

static void
test_acknowledge_refused (Fixture       *f,
                          gconstpointer  data)
{
  static const char * const invalid[] = {
    "{\"level\": \"green\"}",
    "{\"level\": \"met\"}",
    "{\"level\": \"yellow\"}",
    "{\"level\": 2}",
    "{}",
    "{\"level\": \"amber\", \"colour\": \"blue\"}",
  };
  g_autofree char *long_note = NULL;

  f->ctx.now = RED_TIME;
  for (guint i = 0; i < G_N_ELEMENTS (invalid); i++)
    {
      g_auto(CdMutationResult) result = { 0 };
      g_autoptr(CdMutation) m = make ("ticket.acknowledge", TICKET, -1, invalid[i]);
      g_autofree char *message = NULL;

      cd_mutation_result_init (&result);
      message = run_fails (f, f->supervisor, m, &result, CD_MUTATION_ERROR_INVALID);
    }
  {
    g_autoptr(GString) note = g_string_new ("{\"level\": \"red\", \"note\": \"");
    g_auto(CdMutationResult) result = { 0 };
    g_autoptr(CdMutation) m = NULL;
    g_autofree char *message = NULL;

    for (guint i = 0; i < 501; i++)
      g_string_append_c (note, 'x');
    g_string_append (note, "\"}");
    m = make ("ticket.acknowledge", TICKET, -1, note->str);
    cd_mutation_result_init (&result);
    message = run_fails (f, f->supervisor, m, &result, CD_MUTATION_ERROR_INVALID);
    g_assert_nonnull (strstr (message, "note"));
  }

  /* Only a shift supervisor. */
  {
    g_auto(CdMutationResult) result = { 0 };
    g_autoptr(CdMutation) m = make ("ticket.acknowledge", TICKET, -1, "{\"level\": \"red\"}");
    g_autofree char *message = NULL;

    cd_mutation_result_init (&result);
    message = run_fails (f, f->dispatcher, m, &result, CD_MUTATION_ERROR_FORBIDDEN);
    cd_mutation_result_clear (&result);
    cd_mutation_result_init (&result);
    g_free (message);
    message = run_fails (f, f->manager, m, &result, CD_MUTATION_ERROR_FORBIDDEN);
  }

  /* An unknown ticket. */
  {
    g_auto(CdMutationResult) result = { 0 };
    g_autoptr(CdMutation) m = make ("ticket.acknowledge", MISSING, -1, "{\"level\": \"red\"}");
    g_autofree char *message = NULL;

    cd_mutation_result_init (&result);
    message = run_fails (f, f->supervisor, m, &result, CD_MUTATION_ERROR_NOT_FOUND);
  }

  /* A ticket whose timers no longer run. */
  put_ticket (f, TICKET_2, CD_TICKET_STATUS_CANCELLED);
  {
    g_auto(CdMutationResult) result = { 0 };
    g_autoptr(CdMutation) m = make ("ticket.acknowledge", TICKET_2, -1, "{\"level\": \"red\"}");
    g_autofree char *message = NULL;

    cd_mutation_result_init (&result);
    message = run_fails (f, f->supervisor, m, &result, CD_MUTATION_ERROR_INVALID_TRANSITION);
    g_assert_nonnull (strstr (message, "cancelled"));
  }

  /* All green: nothing to acknowledge yet. */
  f->ctx.now = NOW - 590;
  {
    g_auto(CdMutationResult) result = { 0 };
    g_autoptr(CdMutation) m = make ("ticket.acknowledge", TICKET, -1, "{\"level\": \"amber\"}");
    g_autofree char *message = NULL;

    cd_mutation_result_init (&result);
    message = run_fails (f, f->supervisor, m, &result, CD_MUTATION_ERROR_INVALID_TRANSITION);
  }

  /* A stale version is a conflict. */
  f->ctx.now = RED_TIME;
  {
    g_auto(CdMutationResult) result = { 0 };
    g_autoptr(CdMutation) m = make ("ticket.acknowledge", TICKET, 7, "{\"level\": \"red\"}");
    g_autofree char *message = NULL;

    cd_mutation_result_init (&result);
    message = run_fails (f, f->supervisor, m, &result, CD_MUTATION_ERROR_CONFLICT);
  }
}

/* ticket.update ----------------------------------------------------------------- */

static void
test_update (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(CdMutation) m = make ("ticket.update", TICKET, 1,
                                  "{\"customer\": {\"phone\": \"+86 10 5555 0199\"}, \"address\": \"12A Riverside Road\","
                                  " \"urgency\": \"urgent\", \"skills\": []}");
  g_autoptr(CdTicket) expected = cd_record_copy (world_get (f->world, TICKET));
  g_auto(CdMutationResult) result = { 0 };
  CdSlaPolicy *policy;
  CdTicket *t;

  cd_mutation_result_init (&result);
  run_ok (f, f->dispatcher, m, &result);
  g_assert_cmpuint (result.records->len, ==, 1);
  t = g_ptr_array_index (result.records, 0);
  g_assert_cmpint (CD_RECORD (t)->version, ==, 2);
  g_assert_cmpstr (t->customer_name, ==, "Wang Fang");
  g_assert_cmpstr (t->customer_phone, ==, "+86 10 5555 0199");
  g_assert_cmpstr (t->address, ==, "12A Riverside Road");
  g_assert_true (t->skills == NULL || t->skills[0] == NULL);
  g_assert_cmpint (t->urgency, ==, CD_URGENCY_URGENT);

  /* The new grade's promise, counted from intake. */
  expected->urgency = CD_URGENCY_URGENT;
  policy = cd_sla_policy_set_lookup (f->policies, expected->category, expected->urgency, expected->area_class);
  cd_sla_apply_policy (expected, policy, cd_sla_policy_set_get_calendar (f->policies, policy->calendar));
  g_assert_cmpint (t->sla_on_site_min, ==, expected->sla_on_site_min);
  g_assert_cmpint (t->sla_on_site_min, !=, 45);
  g_assert_cmpint (t->due_first_response, ==, expected->due_first_response);
  g_assert_cmpint (t->due_on_site, ==, expected->due_on_site);
  g_assert_cmpint (t->due_resolved, ==, expected->due_resolved);
}

static void
test_update_needs_version (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr(CdMutation) m = make ("ticket.update", TICKET, -1, "{\"address\": \"1 New Road\"}");
  g_autoptr(CdMutation) status = make ("ticket.update", TICKET, 1, "{\"status\": \"closed\"}");
  g_autoptr(CdMutation) bad = make ("ticket.update", TICKET, 1, "{\"customer\": {\"name\": null}}");
  g_auto(CdMutationResult) result = { 0 };
  g_autofree char *m1 = NULL;
  g_autofree char *m2 = NULL;
  g_autofree char *m3 = NULL;

  cd_mutation_result_init (&result);
  m1 = run_fails (f, f->dispatcher, m, &result, CD_MUTATION_ERROR_INVALID);
  g_assert_nonnull (strstr (m1, "expected_version"));
  m2 = run_fails (f, f->dispatcher, status, &result, CD_MUTATION_ERROR_INVALID);
  g_assert_nonnull (strstr (m2, "status"));
  m3 = run_fails (f, f->dispatcher, bad, &result, CD_MUTATION_ERROR_INVALID);
  g_assert_nonnull (strstr (m3, "customer.name"));
}

/* callback.record and callback.close ----------------------------------------------- */

static CdCallback *
put_callback (Fixture *f)
{
  CdCallback *callback = cd_callback_new ();

  CD_RECORD (callback)->id = g_strdup (CALLBACK);
  CD_RECORD (callback)->version = 1;
  callback->ticket_id = g_strdup (TICKET);
  callback->due_at = NOW + 86400;
  callback->priority = 50;
  world_put (f->world, callback);
  return callback;
}

static CdCallback *
callback (Fixture *f)
{
  CdCallback *cb = world_get (f->world, CALLBACK);

  g_assert_true (CD_IS_CALLBACK (cb));
  return cb;
}

static void
test_callback_unreachable (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr(CdMutation) late = make ("callback.record", CALLBACK, -1, "{\"outcome\": \"no-answer\"}");
  g_auto(CdMutationResult) result = { 0 };
  g_autofree char *message = NULL;

  put_callback (f);
  step (f, f->agent, "callback.record", CALLBACK, "{\"outcome\": \"no-answer\", \"note\": \"Rang 10 times\"}");
  f->ctx.now = NOW + 3600;
  step (f, f->agent, "callback.record", CALLBACK, "{\"outcome\": \"wrong-number\"}");
  g_assert_cmpint (callback (f)->status, ==, CD_CALLBACK_STATUS_PENDING);
  f->ctx.now = NOW + 7200;
  step (f, f->manager, "callback.record", CALLBACK, "{\"outcome\": \"no-answer\"}");

  g_assert_cmpint (callback (f)->status, ==, CD_CALLBACK_STATUS_UNREACHABLE);
  g_assert_cmpuint (callback (f)->attempts->len, ==, 3);
  g_assert_cmpint (CD_RECORD (callback (f))->version, ==, 4);
  g_assert_cmpstr (CD_CALLBACK_ATTEMPT (g_ptr_array_index (callback (f)->attempts, 0))->note, ==, "Rang 10 times");
  g_assert_cmpstr (CD_CALLBACK_ATTEMPT (g_ptr_array_index (callback (f)->attempts, 2))->agent, ==, "boss");
  g_assert_cmpint (CD_CALLBACK_ATTEMPT (g_ptr_array_index (callback (f)->attempts, 1))->at, ==, NOW + 3600);
  g_assert_cmpint (callback (f)->completed_at, ==, 0);

  cd_mutation_result_init (&result);
  message = run_fails (f, f->agent, late, &result, CD_MUTATION_ERROR_INVALID_TRANSITION);
}

static void
test_callback_satisfied (Fixture       *f,
                         gconstpointer  data)
{
  put_callback (f);
  step (f, f->agent, "callback.record", CALLBACK,
        "{\"outcome\": \"reached\", \"satisfaction\": \"satisfied\", \"solved\": true, \"comment\": \"Quick work\"}");
  g_assert_cmpint (callback (f)->status, ==, CD_CALLBACK_STATUS_DONE);
  g_assert_cmpint (callback (f)->completed_at, ==, NOW);
  g_assert_cmpint (callback (f)->satisfaction, ==, CD_SATISFACTION_SATISFIED);
  g_assert_true (callback (f)->solved);
  g_assert_cmpstr (callback (f)->comment, ==, "Quick work");
  g_assert_cmpstr (callback (f)->agent, ==, "agent");
  g_assert_null (callback (f)->second_owner);
}

static void
test_callback_second_handling (Fixture       *f,
                               gconstpointer  data)
{
  g_autoptr(CdMutation) close_pending = make ("callback.close", CALLBACK, -1, "{\"conclusion\": \"Done\"}");
  g_autoptr(CdMutation) close_empty = make ("callback.close", CALLBACK, -1, "{\"conclusion\": \"  \"}");
  g_auto(CdMutationResult) result = { 0 };
  g_autofree char *m1 = NULL;
  g_autofree char *m2 = NULL;
  CdCallback *cb;

  /* Unsatisfied: the ticket's owner gets it back, for 24 hours. */
  put_callback (f);
  cd_mutation_result_init (&result);
  m1 = run_fails (f, f->manager, close_pending, &result, CD_MUTATION_ERROR_INVALID_TRANSITION);
  step (f, f->agent, "callback.record", CALLBACK,
        "{\"outcome\": \"reached\", \"satisfaction\": \"unsatisfied\", \"solved\": true}");
  cb = callback (f);
  g_assert_cmpint (cb->status, ==, CD_CALLBACK_STATUS_SECOND_HANDLING);
  g_assert_cmpstr (cb->second_owner, ==, "dispatcher");
  g_assert_cmpint (cb->second_opened_at, ==, NOW);
  g_assert_cmpint (cb->second_deadline, ==, NOW + 24 * 3600);
  g_assert_cmpint (cb->completed_at, ==, NOW);

  /* A manager closes it with a conclusion. */
  m2 = run_fails (f, f->manager, close_empty, &result, CD_MUTATION_ERROR_INVALID);
  f->ctx.now = NOW + 7200;
  step (f, f->manager, "callback.close", CALLBACK, "{\"conclusion\": \"Radiator replaced; customer called back.\"}");
  cb = callback (f);
  g_assert_cmpint (cb->status, ==, CD_CALLBACK_STATUS_CLOSED);
  g_assert_cmpint (cb->second_closed_at, ==, NOW + 7200);
  g_assert_cmpstr (cb->second_conclusion, ==, "Radiator replaced; customer called back.");
  g_assert_cmpstr (cb->reviewed_by, ==, "boss");

  /* Not solved, a named owner, a longer deadline from the context. */
  g_hash_table_remove (f->world->records, CALLBACK);
  put_callback (f);
  f->ctx.second_handling_hours = 48;
  step (f, f->manager, "callback.record", CALLBACK,
        "{\"outcome\": \"reached\", \"satisfaction\": \"neutral\", \"solved\": false, \"owner\": \"zhao\"}");
  cb = callback (f);
  g_assert_cmpint (cb->status, ==, CD_CALLBACK_STATUS_SECOND_HANDLING);
  g_assert_cmpstr (cb->second_owner, ==, "zhao");
  g_assert_cmpint (cb->second_deadline, ==, NOW + 7200 + 48 * 3600);
}

/* sla_policy.update ---------------------------------------------------------------- */

static gboolean
find_free_key (CdSlaPolicySet *policies,
               CdCategory     *category,
               CdUrgency      *urgency,
               CdAreaClass    *area_class)
{
  GPtrArray *rows = cd_sla_policy_set_get_policies (policies);

  for (gint c = 0; c < CD_N_CATEGORIES; c++)
    for (gint u = 0; u < CD_N_URGENCIES; u++)
      for (gint k = 0; k < CD_N_AREA_CLASSES; k++)
        {
          gboolean taken = FALSE;

          for (guint i = 0; i < rows->len && !taken; i++)
            {
              CdSlaPolicy *row = g_ptr_array_index (rows, i);

              taken = (gint) row->category == c && (gint) row->urgency == u && (gint) row->area_class == k;
            }
          if (!taken)
            {
              *category = c;
              *urgency = u;
              *area_class = k;
              return TRUE;
            }
        }

  return FALSE;
}

static char *
policy_args (CdCategory   category,
             CdUrgency    urgency,
             CdAreaClass  area_class,
             gint         on_site_min)
{
  g_autoptr(GEnumClass) cats = g_type_class_ref (CD_TYPE_CATEGORY);
  g_autoptr(GEnumClass) urgs = g_type_class_ref (CD_TYPE_URGENCY);
  g_autoptr(GEnumClass) areas = g_type_class_ref (CD_TYPE_AREA_CLASS);

  return g_strdup_printf ("{\"category\": \"%s\", \"urgency\": \"%s\", \"area_class\": \"%s\","
                          " \"first_response_min\": 30, \"on_site_min\": %d, \"resolved_min\": 600,"
                          " \"calendar\": \"always\", \"auto_dispatch\": false}",
                          g_enum_get_value (cats, category)->value_nick,
                          g_enum_get_value (urgs, urgency)->value_nick,
                          g_enum_get_value (areas, area_class)->value_nick, on_site_min);
}

static void
test_sla_policy_update (Fixture       *f,
                        gconstpointer  data)
{
  CdCategory category = 0;
  CdUrgency urgency = 0;
  CdAreaClass area_class = 0;
  g_autofree char *args = NULL;
  g_autofree char *args2 = NULL;
  g_autofree char *clash = NULL;
  g_autoptr(CdMutation) create = NULL;
  g_autoptr(CdMutation) blind = NULL;
  g_autoptr(CdMutation) update = NULL;
  g_autoptr(CdMutation) taken = NULL;
  g_autoptr(CdMutation) identity = NULL;
  g_auto(CdMutationResult) result = { 0 };
  g_autofree char *m1 = NULL;
  g_autofree char *m2 = NULL;
  g_autofree char *m3 = NULL;
  CdSlaPolicy *existing = g_ptr_array_index (cd_sla_policy_set_get_policies (f->policies), 0);
  CdSlaPolicy *policy;

  g_assert_true (find_free_key (f->policies, &category, &urgency, &area_class));
  args = policy_args (category, urgency, area_class, 90);
  args2 = policy_args (category, urgency, area_class, 120);

  create = make ("sla_policy.update", POLICY_1, -1, args);
  cd_mutation_result_init (&result);
  run_ok (f, f->manager, create, &result);
  policy = g_ptr_array_index (result.records, 0);
  g_assert_cmpstr (CD_RECORD (policy)->id, ==, POLICY_1);
  g_assert_cmpint (CD_RECORD (policy)->version, ==, 1);
  g_assert_cmpint (policy->on_site_min, ==, 90);
  g_assert_cmpint (policy->updated_at, ==, NOW);

  /* Once it exists, a change must say which version it saw. */
  blind = make ("sla_policy.update", POLICY_1, -1, args2);
  m1 = run_fails (f, f->manager, blind, &result, CD_MUTATION_ERROR_CONFLICT);
  g_assert_true (CD_IS_SLA_POLICY (result.current));
  update = make ("sla_policy.update", POLICY_1, 1, args2);
  run_ok (f, f->manager, update, &result);
  policy = g_ptr_array_index (result.records, 0);
  g_assert_cmpint (CD_RECORD (policy)->version, ==, 2);
  g_assert_cmpint (policy->on_site_min, ==, 120);

  /* A key another row holds. */
  clash = policy_args (existing->category, existing->urgency, existing->area_class, 10);
  taken = make ("sla_policy.update", POLICY_1, 2, clash);
  m2 = run_fails (f, f->manager, taken, &result, CD_MUTATION_ERROR_CONFLICT);
  g_assert_cmpstr (result.current->id, ==, CD_RECORD (existing)->id);

  /* Identity is the server's. */
  identity = make ("sla_policy.update", POLICY_1, 2, "{\"id\": \"" POLICY_1 "\"}");
  m3 = run_fails (f, f->manager, identity, &result, CD_MUTATION_ERROR_INVALID);
  g_assert_nonnull (strstr (m3, "id"));
}

/* Users ------------------------------------------------------------------------- */

static void
assert_no_password (CdMutationResult *result,
                    const char       *password)
{
  g_autoptr(JsonNode) node = cd_mutation_result_to_json (result);
  g_autofree char *json = cd_json_to_string (node, NULL);

  for (guint i = 0; i < result->records->len; i++)
    {
      g_autofree char *record = cd_record_to_json_string (g_ptr_array_index (result->records, i), NULL);

      g_assert_null (strstr (record, password));
    }
  g_assert_null (strstr (json, password));
  g_assert_null (strstr (json, "password"));
}

static void
test_user_create (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(CdMutation) m = make ("user.create", USER_1, -1,
                                  "{\"username\": \"li.wei\", \"display_name\": \"Li Wei\", \"role\": \"crew-device\","
                                  " \"crew_id\": \"" CREW_B "\", \"password\": \"correct horse battery\"}");
  g_autoptr(CdMutation) same_name = make ("user.create", MISSING, -1,
                                          "{\"username\": \"li.wei\", \"role\": \"dispatcher\","
                                          " \"password\": \"another secret\"}");
  g_autoptr(CdMutation) short_password = make ("user.create", MISSING, -1,
                                               "{\"username\": \"x\", \"role\": \"dispatcher\", \"password\": \"short\"}");
  g_autoptr(CdMutation) reserved = make ("user.create", MISSING, -1,
                                         "{\"username\": \"auto-dispatch\", \"role\": \"supervisor\","
                                         " \"password\": \"long enough\"}");
  g_autoptr(CdMutation) set_password = make ("user.set_password", USER_1, -1,
                                             "{\"password\": \"tr0ub4dor&3 again\"}");
  g_auto(CdMutationResult) result = { 0 };
  g_autofree char *m1 = NULL;
  g_autofree char *m2 = NULL;
  g_autofree char *m3 = NULL;
  CdUser *user;

  cd_mutation_result_init (&result);
  run_ok (f, f->admin, m, &result);
  g_assert_cmpuint (result.records->len, ==, 1);
  user = g_ptr_array_index (result.records, 0);
  g_assert_cmpstr (CD_RECORD (user)->id, ==, USER_1);
  g_assert_cmpint (CD_RECORD (user)->version, ==, 1);
  g_assert_cmpstr (user->username, ==, "li.wei");
  g_assert_cmpint (user->role, ==, CD_ROLE_CREW_DEVICE);
  g_assert_cmpstr (user->crew_id, ==, CREW_B);
  g_assert_true (user->active);
  g_assert_cmpstr (result.password, ==, "correct horse battery");
  assert_no_password (&result, "correct horse battery");

  m1 = run_fails (f, f->admin, same_name, &result, CD_MUTATION_ERROR_CONFLICT);
  g_assert_cmpstr (result.current->id, ==, USER_1);
  m2 = run_fails (f, f->admin, short_password, &result, CD_MUTATION_ERROR_INVALID);
  m3 = run_fails (f, f->admin, reserved, &result, CD_MUTATION_ERROR_INVALID);

  run_ok (f, f->admin, set_password, &result);
  g_assert_cmpuint (result.records->len, ==, 0);
  g_assert_cmpstr (result.password, ==, "tr0ub4dor&3 again");
  assert_no_password (&result, "tr0ub4dor&3 again");
}

static void
test_user_update (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(CdMutation) rename = make ("user.update", USER_1, -1, "{\"username\": \"wei.li\"}");
  g_autoptr(CdMutation) no_crew = make ("user.update", USER_1, -1, "{\"role\": \"dispatcher\"}");
  g_auto(CdMutationResult) result = { 0 };
  g_autofree char *m1 = NULL;
  g_autofree char *m2 = NULL;
  CdUser *user;

  step (f, f->admin, "user.create", USER_1,
        "{\"username\": \"li.wei\", \"role\": \"crew-device\", \"crew_id\": \"" CREW_B "\","
        " \"password\": \"correct horse battery\"}");
  step (f, f->admin, "user.update", USER_1,
        "{\"username\": \"li.wei\", \"role\": \"dispatcher\", \"crew_id\": null, \"active\": false,"
        " \"display_name\": \"Li Wei\"}");
  user = world_get (f->world, USER_1);
  g_assert_cmpint (CD_RECORD (user)->version, ==, 2);
  g_assert_cmpint (user->role, ==, CD_ROLE_DISPATCHER);
  g_assert_null (user->crew_id);
  g_assert_false (user->active);
  g_assert_cmpstr (user->display_name, ==, "Li Wei");

  cd_mutation_result_init (&result);
  m1 = run_fails (f, f->admin, rename, &result, CD_MUTATION_ERROR_INVALID);
  step (f, f->admin, "user.update", USER_1, "{\"role\": \"crew-device\", \"crew_id\": \"" CREW_A "\"}");
  m2 = run_fails (f, f->admin, no_crew, &result, CD_MUTATION_ERROR_INVALID);
  g_assert_nonnull (strstr (m2, "crew_id"));
}

/* Each error code, with its trigger ---------------------------------------------- */

static void
test_error_invalid (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(CdMutation) m = make ("ticket.assign", TICKET, -1, "{\"crew_id\": \"crew-7\"}");
  g_auto(CdMutationResult) result = { 0 };
  g_autofree char *message = NULL;

  cd_mutation_result_init (&result);
  message = run_fails (f, f->dispatcher, m, &result, CD_MUTATION_ERROR_INVALID);
  g_assert_nonnull (strstr (message, "crew_id"));
  g_assert_cmpstr (cd_mutation_error_code_to_string (CD_MUTATION_ERROR_INVALID), ==, "invalid");
}

static void
test_error_forbidden (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(CdMutation) m = make ("ticket.assign", TICKET, -1, "{\"crew_id\": \"" CREW_A "\"}");
  g_autoptr(CdUser) retired = make_user ("retired", CD_ROLE_DISPATCHER, NULL);
  g_auto(CdMutationResult) result = { 0 };
  g_autofree char *m1 = NULL;
  g_autofree char *m2 = NULL;

  cd_mutation_result_init (&result);
  m1 = run_fails (f, f->agent, m, &result, CD_MUTATION_ERROR_FORBIDDEN);
  g_assert_nonnull (strstr (m1, "callback-agent"));
  retired->active = FALSE;
  m2 = run_fails (f, retired, m, &result, CD_MUTATION_ERROR_FORBIDDEN);
  g_assert_cmpstr (cd_mutation_error_code_to_string (CD_MUTATION_ERROR_FORBIDDEN), ==, "forbidden");
}

static void
test_error_not_found (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(CdMutation) no_ticket = make ("ticket.set_status", MISSING, -1, "{\"status\": \"contacted\"}");
  g_autoptr(CdMutation) no_crew = make ("ticket.assign", TICKET, -1, "{\"crew_id\": \"" MISSING "\"}");
  g_autoptr(CdMutation) no_original = make ("ticket.create", TICKET_2, -1,
                                            "{\"channel\": \"web\", \"category\": \"leak\", \"urgency\": \"urgent\","
                                            " \"utility\": \"heat\", \"customer\": {\"name\": \"A\"}, \"address\": \"B\","
                                            " \"lat\": 45, \"lon\": 126, \"duplicate_of\": \"" MISSING "\"}");
  g_auto(CdMutationResult) result = { 0 };
  g_autofree char *m1 = NULL;
  g_autofree char *m2 = NULL;
  g_autofree char *m3 = NULL;

  cd_mutation_result_init (&result);
  m1 = run_fails (f, f->dispatcher, no_ticket, &result, CD_MUTATION_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (m1, MISSING));
  m2 = run_fails (f, f->dispatcher, no_crew, &result, CD_MUTATION_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (m2, MISSING));
  m3 = run_fails (f, f->dispatcher, no_original, &result, CD_MUTATION_ERROR_NOT_FOUND);
  g_assert_cmpstr (cd_mutation_error_code_to_string (CD_MUTATION_ERROR_NOT_FOUND), ==, "not-found");
}

static void
test_error_conflict (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(CdMutation) stale = make ("ticket.update", TICKET, 1, "{\"address\": \"13 Riverside Road\"}");
  g_autoptr(CdMutation) again = make ("ticket.create", TICKET, -1, TICKET_ARGS);
  g_auto(CdMutationResult) result = { 0 };
  g_autofree char *m1 = NULL;
  g_autofree char *m2 = NULL;

  /* Someone else's change got there first. */
  assign (f, CREW_A);
  cd_mutation_result_init (&result);
  m1 = run_fails (f, f->dispatcher, stale, &result, CD_MUTATION_ERROR_CONFLICT);
  g_assert_nonnull (result.current);
  g_assert_cmpint (result.current->version, ==, 2);
  g_assert_true (cd_record_equal (result.current, world_get (f->world, TICKET)));
  /* A copy: the caller may keep it whatever happens to the world. */
  g_assert_true (result.current != world_get (f->world, TICKET));

  /* Creating what exists. */
  m2 = run_fails (f, f->dispatcher, again, &result, CD_MUTATION_ERROR_CONFLICT);
  g_assert_cmpstr (result.current->id, ==, TICKET);
  g_assert_cmpstr (cd_mutation_error_code_to_string (CD_MUTATION_ERROR_CONFLICT), ==, "conflict");
}

static void
test_error_constraint (Fixture       *f,
                       gconstpointer  data)
{
  static const struct {
    const char     *crew;
    CdMatchVerdict  verdict;
  } cases[] = {
    { CREW_HEAT, CD_MATCH_WRONG_UTILITY },
    { CREW_NOSKILL, CD_MATCH_MISSING_SKILL },
    { CREW_OFF, CD_MATCH_OFF_SHIFT },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *args = g_strdup_printf ("{\"crew_id\": \"%s\"}", cases[i].crew);
      g_autoptr(CdMutation) m = make ("ticket.assign", TICKET, -1, args);
      g_auto(CdMutationResult) result = { 0 };
      g_autofree char *message = NULL;

      cd_mutation_result_init (&result);
      message = run_fails (f, f->dispatcher, m, &result, CD_MUTATION_ERROR_CONSTRAINT);
      g_assert_nonnull (strstr (message, cd_match_verdict_to_string (cases[i].verdict)));
    }
  g_assert_null (ticket (f, TICKET)->crew_id);
  g_assert_cmpstr (cd_mutation_error_code_to_string (CD_MUTATION_ERROR_CONSTRAINT), ==, "constraint");
}

static void
test_error_invalid_transition (Fixture       *f,
                               gconstpointer  data)
{
  static const struct {
    CdTicketStatus from;
    const char    *to;
  } cases[] = {
    { CD_TICKET_STATUS_ASSIGNED, "closed" },
    { CD_TICKET_STATUS_NEW, "assigned" },
    { CD_TICKET_STATUS_CONTACTED, "waiting-customer" },
    { CD_TICKET_STATUS_ON_SITE, "en-route" },
    { CD_TICKET_STATUS_WAITING_CUSTOMER, "on-site" },
    { CD_TICKET_STATUS_CLOSED, "resolved" },
    { CD_TICKET_STATUS_CANCELLED, "contacted" },
  };
  g_autoptr(GEnumClass) statuses = g_type_class_ref (CD_TYPE_TICKET_STATUS);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *id = g_uuid_string_random ();
      g_autofree char *args = g_strdup_printf ("{\"status\": \"%s\"}", cases[i].to);
      g_autoptr(CdMutation) m = make ("ticket.set_status", id, -1, args);
      g_auto(CdMutationResult) result = { 0 };
      g_autofree char *message = NULL;

      put_ticket (f, id, cases[i].from);
      cd_mutation_result_init (&result);
      message = run_fails (f, f->supervisor, m, &result, CD_MUTATION_ERROR_INVALID_TRANSITION);
      g_assert_nonnull (strstr (message, g_enum_get_value (statuses, cases[i].from)->value_nick));
      g_assert_nonnull (strstr (message, cases[i].to));
    }
  g_assert_cmpstr (cd_mutation_error_code_to_string (CD_MUTATION_ERROR_INVALID_TRANSITION), ==,
                   "invalid-transition");
  g_assert_null (cd_mutation_error_code_to_string (42));
}

/* Permissions --------------------------------------------------------------------- */

static void
test_permissions (Fixture       *f,
                  gconstpointer  data)
{
  /* Written out from the brief, not from the code. Columns: dispatcher,
   * supervisor, callback-agent, manager, admin, crew-device. */
  static const struct {
    const char *op;
    const char *allowed;
  } matrix[] = {
    { "ticket.create",     "xx...." },
    { "ticket.assign",     "xx...." },
    { "ticket.set_status", "xx...x" },
    { "ticket.pause",      ".x...." },
    { "ticket.resume",     ".x...." },
    { "ticket.update",     "xx...." },
    { "callback.record",   "..xx.." },
    { "callback.close",    "...x.." },
    { "sla_policy.update", "...x.." },
    { "user.create",       "....x." },
    { "user.update",       "....x." },
    { "user.set_password", "....x." },
    { "ticket.acknowledge", ".x...." },
  };
  static const CdRole roles[] = {
    CD_ROLE_DISPATCHER, CD_ROLE_SUPERVISOR, CD_ROLE_CALLBACK_AGENT,
    CD_ROLE_MANAGER, CD_ROLE_ADMIN, CD_ROLE_CREW_DEVICE,
  };

  g_assert_cmpuint (G_N_ELEMENTS (matrix), ==, CD_MUTATION_N_OPS);

  for (guint i = 0; i < G_N_ELEMENTS (matrix); i++)
    {
      CdMutationOp op;

      g_assert_true (cd_mutation_op_from_string (matrix[i].op, &op));
      g_assert_cmpstr (cd_mutation_op_to_string (op), ==, matrix[i].op);

      for (guint r = 0; r < G_N_ELEMENTS (roles); r++)
        {
          gboolean expected = matrix[i].allowed[r] == 'x';
          g_autoptr(CdUser) actor = make_user ("someone", roles[r],
                                               roles[r] == CD_ROLE_CREW_DEVICE ? CREW_A : NULL);
          g_autoptr(CdMutation) m = make (matrix[i].op, MISSING, 1, NULL);
          g_autoptr(GError) error = NULL;
          g_auto(CdMutationResult) result = { 0 };

          g_assert_cmpint (cd_mutation_role_allowed (op, roles[r]), ==, expected);

          /* And apply agrees: the role is checked before anything else. */
          cd_mutation_result_init (&result);
          g_assert_false (run (f, actor, m, &result, &error));
          g_assert_nonnull (error);
          if (expected)
            g_assert_false (g_error_matches (error, CD_MUTATION_ERROR, CD_MUTATION_ERROR_FORBIDDEN));
          else
            g_assert_error (error, CD_MUTATION_ERROR, CD_MUTATION_ERROR_FORBIDDEN);
        }
    }
}

/* Determinism and purity ------------------------------------------------------------ */

static void
apply_in (Fixture          *f,
          World            *w,
          CdUser           *actor,
          CdMutation       *m,
          CdMutationResult *result)
{
  g_autoptr(GError) error = NULL;

  f->ctx.actor = actor;
  g_assert_true (cd_mutation_apply (m, &f->ctx, &world_vtable, w, result, &error));
  g_assert_no_error (error);
  world_commit (w, result);
}

static void
assert_results_equal (CdMutationResult *a,
                      CdMutationResult *b)
{
  g_assert_cmpuint (a->records->len, ==, b->records->len);
  for (guint i = 0; i < a->records->len; i++)
    {
      g_autofree char *ja = cd_record_to_json_string (g_ptr_array_index (a->records, i), NULL);
      g_autofree char *jb = cd_record_to_json_string (g_ptr_array_index (b->records, i), NULL);

      g_assert_true (cd_record_equal (g_ptr_array_index (a->records, i), g_ptr_array_index (b->records, i)));
      g_assert_cmpstr (ja, ==, jb);
    }
  g_assert_cmpstr (a->warning, ==, b->warning);
}

static void
test_deterministic (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(World) client = world_new ();
  g_autoptr(World) server = world_new ();
  g_autoptr(CdMutation) assign_m = make_with_id (MUTATION_1, "ticket.assign", TICKET, 1,
                                                 "{\"crew_id\": \"" CREW_B "\", \"reason\": \"Knows the street\"}");
  g_autoptr(CdMutation) resolve_m = make_with_id (MUTATION_2, "ticket.set_status", TICKET, 2,
                                                  "{\"status\": \"resolved\"}");
  g_autofree char *event_id = cd_mutation_derive_id (MUTATION_1, "event");
  g_autofree char *callback_id = cd_mutation_derive_id (MUTATION_2, "callback");
  g_auto(CdMutationResult) rc = { 0 };
  g_auto(CdMutationResult) rs = { 0 };

  /* The client's cache and the server's store, as equal as sync makes them. */
  build_world (client);
  build_world (server);
  create_ticket (f, client, NOW - 600);
  create_ticket (f, server, NOW - 600);

  cd_mutation_result_init (&rc);
  cd_mutation_result_init (&rs);
  apply_in (f, client, f->dispatcher, assign_m, &rc);
  apply_in (f, server, f->dispatcher, assign_m, &rs);
  assert_results_equal (&rc, &rs);
  g_assert_cmpstr (CD_RECORD (g_ptr_array_index (rc.records, 1))->id, ==, event_id);

  f->ctx.now = NOW + 900;
  apply_in (f, client, f->supervisor, resolve_m, &rc);
  apply_in (f, server, f->supervisor, resolve_m, &rs);
  assert_results_equal (&rc, &rs);
  g_assert_cmpstr (CD_RECORD (find_kind (&rc, CD_TYPE_CALLBACK))->id, ==, callback_id);
}

static void
test_derive_id (void)
{
  g_autofree char *a = cd_mutation_derive_id (MUTATION_1, "event");
  g_autofree char *b = cd_mutation_derive_id (MUTATION_1, "event");
  g_autofree char *upper = cd_mutation_derive_id ("0B5E4C1A-2F3D-4E5F-8A9B-0C1D2E3F4A01", "event");
  g_autofree char *c = cd_mutation_derive_id (MUTATION_1, "callback");
  g_autofree char *d = cd_mutation_derive_id (MUTATION_2, "event");

  g_assert_true (g_uuid_string_is_valid (a));
  g_assert_cmpint (a[14], ==, '5');
  g_assert_true (strchr ("89ab", a[19]) != NULL);
  g_assert_cmpstr (a, ==, b);
  g_assert_cmpstr (a, ==, upper);
  g_assert_cmpstr (a, !=, c);
  g_assert_cmpstr (a, !=, d);
}

static void
test_world_untouched (Fixture       *f,
                      gconstpointer  data)
{
  static const char * const steps[][3] = {
    { "ticket.assign", TICKET, "{\"crew_id\": \"" CREW_B "\"}" },
    { "ticket.update", TICKET, "{\"urgency\": \"normal\", \"customer\": {\"key\": true}}" },
    { "ticket.set_status", TICKET, "{\"status\": \"contacted\"}" },
    { "ticket.pause", TICKET, "{\"reason\": \"Customer asked to wait\"}" },
    { "ticket.resume", TICKET, "{}" },
    { "ticket.set_status", TICKET, "{\"status\": \"resolved\"}" },
  };
  CdUser *actors[] = { f->dispatcher, f->dispatcher, f->dispatcher, f->supervisor, f->supervisor, f->supervisor };

  for (guint i = 0; i < G_N_ELEMENTS (steps); i++)
    {
      g_autofree char *before = world_snapshot (f->world);
      g_autofree char *after = NULL;
      g_autoptr(CdMutation) m = make (steps[i][0], steps[i][1],
                                      CD_RECORD (ticket (f, TICKET))->version, steps[i][2]);
      g_autoptr(GError) error = NULL;
      g_auto(CdMutationResult) result = { 0 };

      cd_mutation_result_init (&result);
      f->ctx.now = NOW + 60 * i;
      g_assert_true (run (f, actors[i], m, &result, &error));
      g_assert_no_error (error);
      g_assert_cmpuint (result.records->len, >, 0);
      after = world_snapshot (f->world);
      g_assert_cmpstr (before, ==, after);
      world_commit (f->world, &result);
    }
}

/* The wire form ----------------------------------------------------------------- */

static void
test_json_round_trip (void)
{
  g_autoptr(CdMutation) m = make_with_id (MUTATION_1, "ticket.assign", TICKET, 3,
                                          "{\"crew_id\": \"" CREW_A "\", \"reason\": \"Nearest\", \"pin\": false,"
                                          " \"expect_crew\": null}");
  g_autoptr(CdMutation) none = make_with_id (MUTATION_2, "ticket.resume", TICKET, -1, NULL);
  g_autoptr(JsonNode) node = cd_mutation_to_json (m);
  g_autofree char *text = cd_json_to_string (node, NULL);
  g_autoptr(JsonNode) reparsed = NULL;
  g_autoptr(CdMutation) back = NULL;
  g_autoptr(JsonNode) none_node = cd_mutation_to_json (none);
  g_autoptr(CdMutation) none_back = NULL;
  g_autoptr(JsonNode) args_a = NULL;
  g_autoptr(JsonNode) args_b = NULL;
  g_autoptr(GError) error = NULL;

  g_test_message ("%s", text);
  reparsed = cd_json_parse (text, -1, CD_JSON_MAX_BYTES, CD_JSON_MAX_DEPTH, &error);
  g_assert_no_error (error);
  back = cd_mutation_new_from_json (reparsed, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (back->id, ==, MUTATION_1);
  g_assert_cmpint (back->op, ==, CD_MUTATION_OP_TICKET_ASSIGN);
  g_assert_cmpstr (back->target, ==, TICKET);
  g_assert_cmpint (back->expected_version, ==, 3);
  args_a = json_node_init_object (json_node_alloc (), m->args);
  args_b = json_node_init_object (json_node_alloc (), back->args);
  g_assert_true (json_node_equal (args_a, args_b));

  g_assert_false (json_object_has_member (json_node_get_object (none_node), "expected_version"));
  none_back = cd_mutation_new_from_json (none_node, &error);
  g_assert_no_error (error);
  g_assert_cmpint (none_back->expected_version, ==, -1);
  g_assert_cmpuint (json_object_get_size (none_back->args), ==, 0);
}

static void
test_json_malformed (void)
{
  static const struct {
    const char *json;
    const char *names;
  } cases[] = {
    { "[]", "object" },
    { "{\"op\": \"ticket.resume\", \"target\": \"" TICKET "\"}", "“id”" },
    { "{\"id\": \"m-1\", \"op\": \"ticket.resume\", \"target\": \"" TICKET "\"}", "“id”" },
    { "{\"id\": \"" MUTATION_1 "\", \"op\": \"ticket.resume\", \"target\": 12}", "“target”" },
    { "{\"id\": \"" MUTATION_1 "\", \"op\": \"ticket.delete\", \"target\": \"" TICKET "\"}", "ticket.delete" },
    { "{\"id\": \"" MUTATION_1 "\", \"target\": \"" TICKET "\"}", "“op”" },
    { "{\"id\": \"" MUTATION_1 "\", \"op\": \"ticket.resume\", \"target\": \"" TICKET "\", \"when\": 1}", "“when”" },
    { "{\"id\": \"" MUTATION_1 "\", \"op\": \"ticket.resume\", \"target\": \"" TICKET "\", \"expected_version\": -2}",
      "“expected_version”" },
    { "{\"id\": \"" MUTATION_1 "\", \"op\": \"ticket.resume\", \"target\": \"" TICKET "\", \"args\": []}", "“args”" },
    /* Arguments. */
    { "{\"id\": \"" MUTATION_1 "\", \"op\": \"ticket.resume\", \"target\": \"" TICKET "\", \"args\": {\"now\": 1}}",
      "“now”" },
    { "{\"id\": \"" MUTATION_1 "\", \"op\": \"ticket.assign\", \"target\": \"" TICKET "\","
      " \"args\": {\"crew_id\": null, \"colour\": \"red\"}}", "“colour”" },
    { "{\"id\": \"" MUTATION_1 "\", \"op\": \"ticket.assign\", \"target\": \"" TICKET "\","
      " \"args\": {\"crew_id\": 7}}", "“crew_id”" },
    { "{\"id\": \"" MUTATION_1 "\", \"op\": \"ticket.assign\", \"target\": \"" TICKET "\","
      " \"args\": {\"crew_id\": null, \"pin\": \"yes\"}}", "“pin”" },
    { "{\"id\": \"" MUTATION_1 "\", \"op\": \"ticket.assign\", \"target\": \"" TICKET "\","
      " \"args\": {\"crew_id\": null, \"source\": \"robot\"}}", "“source”" },
    { "{\"id\": \"" MUTATION_1 "\", \"op\": \"ticket.assign\", \"target\": \"" TICKET "\", \"args\": {}}",
      "“crew_id”" },
    { "{\"id\": \"" MUTATION_1 "\", \"op\": \"ticket.set_status\", \"target\": \"" TICKET "\","
      " \"args\": {\"status\": \"done\"}}", "“status”" },
    { "{\"id\": \"" MUTATION_1 "\", \"op\": \"ticket.pause\", \"target\": \"" TICKET "\", \"args\": {}}",
      "“reason”" },
    { "{\"id\": \"" MUTATION_1 "\", \"op\": \"callback.record\", \"target\": \"" TICKET "\","
      " \"args\": {\"outcome\": \"reached\", \"solved\": true}}", "“satisfaction”" },
    { "{\"id\": \"" MUTATION_1 "\", \"op\": \"callback.record\", \"target\": \"" TICKET "\","
      " \"args\": {\"outcome\": \"no-answer\", \"solved\": true}}", "“solved”" },
    { "{\"id\": \"" MUTATION_1 "\", \"op\": \"ticket.create\", \"target\": \"" TICKET "\","
      " \"args\": {\"channel\": \"web\", \"category\": \"leak\", \"urgency\": \"urgent\", \"utility\": \"heat\","
      " \"customer\": {\"name\": \"A\"}, \"address\": \"B\", \"lat\": \"north\", \"lon\": 126}}", "“lat”" },
    { "{\"id\": \"" MUTATION_1 "\", \"op\": \"ticket.create\", \"target\": \"" TICKET "\","
      " \"args\": {\"channel\": \"web\", \"category\": \"leak\", \"urgency\": \"urgent\", \"utility\": \"heat\","
      " \"customer\": {\"name\": \"A\", \"email\": \"a@b\"}, \"address\": \"B\", \"lat\": 1, \"lon\": 126}}",
      "customer.email" },
    { "{\"id\": \"" MUTATION_1 "\", \"op\": \"ticket.create\", \"target\": \"" TICKET "\","
      " \"expected_version\": 4, \"args\": {}}", "“expected_version”" },
    { "{\"id\": \"" MUTATION_1 "\", \"op\": \"ticket.update\", \"target\": \"" TICKET "\","
      " \"expected_version\": 4, \"args\": {\"lon\": 500}}", "“lon”" },
    { "{\"id\": \"" MUTATION_1 "\", \"op\": \"user.create\", \"target\": \"" TICKET "\","
      " \"args\": {\"username\": \"a b\", \"role\": \"admin\", \"password\": \"long enough\"}}", "“a b”" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(JsonNode) node = cd_json_parse (cases[i].json, -1, CD_JSON_MAX_BYTES, CD_JSON_MAX_DEPTH, &error);
      g_autoptr(CdMutation) m = NULL;

      g_assert_no_error (error);
      m = cd_mutation_new_from_json (node, &error);
      g_test_message ("%s → %s", cases[i].json, error ? error->message : "(accepted)");
      g_assert_null (m);
      g_assert_error (error, CD_MUTATION_ERROR, CD_MUTATION_ERROR_INVALID);
      g_assert_nonnull (strstr (error->message, cases[i].names));
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  cd_model_init ();

#define ADD(path, func) g_test_add ("/mutation/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("create", test_create);
  ADD ("create/filled-members", test_create_filled_members);
  ADD ("assign/best", test_assign_best);
  ADD ("assign/override", test_assign_override);
  ADD ("assign/unassign", test_assign_unassign);
  ADD ("assign/expect-crew", test_assign_expect_crew);
  ADD ("assign/capacity", test_assign_capacity);
  ADD ("status/lifecycle", test_status_lifecycle);
  ADD ("status/on-site-first", test_status_on_site_first);
  ADD ("status/callback-priority", test_status_callback_priority);
  ADD ("status/crew-device", test_status_crew_device);
  ADD ("pause-resume", test_pause_resume);
  ADD ("pause-resume/status", test_resume_status);
  ADD ("acknowledge", test_acknowledge);
  ADD ("acknowledge/refused", test_acknowledge_refused);
  ADD ("update", test_update);
  ADD ("update/needs-version", test_update_needs_version);
  ADD ("callback/unreachable", test_callback_unreachable);
  ADD ("callback/satisfied", test_callback_satisfied);
  ADD ("callback/second-handling", test_callback_second_handling);
  ADD ("sla-policy/update", test_sla_policy_update);
  ADD ("user/create", test_user_create);
  ADD ("user/update", test_user_update);
  ADD ("error/invalid", test_error_invalid);
  ADD ("error/forbidden", test_error_forbidden);
  ADD ("error/not-found", test_error_not_found);
  ADD ("error/conflict", test_error_conflict);
  ADD ("error/constraint", test_error_constraint);
  ADD ("error/invalid-transition", test_error_invalid_transition);
  ADD ("permissions", test_permissions);
  ADD ("deterministic", test_deterministic);
  ADD ("world-untouched", test_world_untouched);
#undef ADD
  g_test_add_func ("/mutation/derive-id", test_derive_id);
  g_test_add_func ("/mutation/json/round-trip", test_json_round_trip);
  g_test_add_func ("/mutation/json/malformed", test_json_malformed);

  return g_test_run ();
}
