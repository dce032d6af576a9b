/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-board-logic.c: the Board's decisions without a display: drops and
 * their reasons (checked against what ticket.assign itself decides),
 * overrides, reasons, group moves, undo records and how times read. */
#include "config.h"

#include <math.h>
#include <string.h>

#include "cd-board-logic.h"
#include "cd-model.h"
#include "cd-mutation.h"

#define NOW 1795000000

/* Crews ---------------------------------------------------------------- */

enum { HEAT_A, HEAT_B, POWER_C, OFF_D, NOPOS_E, LATE_F, N_CREWS };

typedef struct {
  const char *name;
  CdUtility   utility;
  const char *skills[3];
  gint64      capacity;
  gboolean    off_shift;    /* status off-shift */
  gboolean    shift_over;   /* shift ended an hour ago */
  gboolean    no_position;
} CrewSpec;

static const CrewSpec crew_specs[N_CREWS] = {
  [HEAT_A] = { "Heat A", CD_UTILITY_HEAT, { "radiator", "welding" }, 2 },
  [HEAT_B] = { "Heat B", CD_UTILITY_HEAT, { "radiator" }, 1 },
  [POWER_C] = { "Power C", CD_UTILITY_POWER, { "hv-switching" }, 3 },
  [OFF_D] = { "Heat D", CD_UTILITY_HEAT, { "radiator", "welding" }, 3, TRUE },
  [NOPOS_E] = { "Heat E", CD_UTILITY_HEAT, { "radiator", "welding" }, 3, FALSE, FALSE, TRUE },
  [LATE_F] = { "Heat F", CD_UTILITY_HEAT, { "radiator", "welding" }, 3, FALSE, TRUE },
};

static char *crew_ids[N_CREWS];

static CdCrew *
make_crew (guint which)
{
  const CrewSpec *s = &crew_specs[which];
  CdCrew *c = cd_crew_new ();

  if (crew_ids[which] == NULL)
    crew_ids[which] = g_uuid_string_random ();
  cd_record_set_id (CD_RECORD (c), crew_ids[which]);
  CD_RECORD (c)->version = 1;
  c->name = g_strdup (s->name);
  c->utility = s->utility;
  c->status = s->off_shift ? CD_CREW_STATUS_OFF_SHIFT : CD_CREW_STATUS_AVAILABLE;
  c->skills = g_strdupv ((char **) s->skills);
  c->capacity = s->capacity;
  c->shift_start = NOW - 8 * 3600;
  c->shift_end = s->shift_over ? NOW - 3600 : NOW + 4 * 3600;
  if (!s->no_position)
    {
      c->lat = 39.90 + 0.01 * which;
      c->lon = 116.40;
      c->position_at = NOW - 30;
    }
  return c;
}

static CdTicket *
make_ticket (const char     *number,
             CdUtility       utility,
             const char     *skills,    /* comma separated, or NULL */
             gint            crew,      /* index, -1 none */
             CdTicketStatus  status)
{
  g_autofree char *id = g_uuid_string_random ();
  CdTicket *t = cd_ticket_new ();

  cd_record_set_id (CD_RECORD (t), id);
  CD_RECORD (t)->version = 1;
  t->number = g_strdup (number);
  t->utility = utility;
  t->category = utility == CD_UTILITY_HEAT ? CD_CATEGORY_NO_HEAT : CD_CATEGORY_NO_POWER;
  t->urgency = CD_URGENCY_URGENT;
  t->status = status;
  t->lat = 39.91;
  t->lon = 116.41;
  t->address = g_strdup ("1 Elm Road");
  t->created_at = NOW - 600;
  if (skills != NULL)
    t->skills = g_strsplit (skills, ",", -1);
  if (crew >= 0)
    {
      if (crew_ids[crew] == NULL)
        crew_ids[crew] = g_uuid_string_random ();
      t->crew_id = g_strdup (crew_ids[crew]);
      t->assignment_source = CD_ASSIGNMENT_SOURCE_MANUAL;
    }
  return t;
}

/* A world for cd_mutation_apply(): the server's decision, to compare. --- */

typedef struct {
  GHashTable *records;   /* id -> CdRecord */
  gint        load;      /* forced crew load, or -1 to count */
} World;

static gpointer
world_load (gpointer     world,
            GType        type,
            const char  *id,
            GError     **error)
{
  gpointer record = g_hash_table_lookup (((World *) world)->records, id);

  return record != NULL && G_TYPE_CHECK_INSTANCE_TYPE (record, type) ? g_object_ref (record) : NULL;
}

static GPtrArray *
world_list_crews (gpointer   world,
                  GError   **error)
{
  GPtrArray *crews = g_ptr_array_new_with_free_func (g_object_unref);
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, ((World *) world)->records);
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

  if (w->load >= 0)
    return (guint) w->load;
  g_hash_table_iter_init (&iter, w->records);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (CD_IS_TICKET (value) && cd_ticket_is_open (value) && g_strcmp0 (CD_TICKET (value)->crew_id, crew_id) == 0)
      load++;
  return load;
}

static const CdMutationWorldVTable world_vtable = { world_load, world_list_crews, world_crew_load, NULL };

static void
world_put (World    *w,
           gpointer  record)
{
  g_hash_table_replace (w->records, g_strdup (cd_record_get_id (record)), record);
}

static World *
world_new (void)
{
  World *w = g_new0 (World, 1);

  w->records = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  w->load = -1;
  for (guint i = 0; i < N_CREWS; i++)
    world_put (w, make_crew (i));
  return w;
}

static void
world_free (World *w)
{
  g_hash_table_unref (w->records);
  g_free (w);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (World, world_free)

static CdUser *
dispatcher (void)
{
  CdUser *u = cd_user_new ();
  g_autofree char *id = g_uuid_string_random ();

  cd_record_set_id (CD_RECORD (u), id);
  u->username = g_strdup ("d1");
  u->role = CD_ROLE_DISPATCHER;
  u->active = TRUE;
  return u;
}

static CdSlaPolicySet *
policies (void)
{
  static CdSlaPolicySet *set;
  g_autoptr(GError) error = NULL;

  if (set == NULL)
    set = cd_sla_policy_set_new_default (&error);
  g_assert_no_error (error);
  return set;
}

/* Runs ticket.assign with @args (consumed) on @ticket_id as a dispatcher
 * and saves what it changed. */
static gboolean
world_assign (World       *w,
              const char  *ticket_id,
              JsonObject  *args,
              char       **warning,
              GError     **error)
{
  g_autoptr(CdUser) actor = dispatcher ();
  g_autofree char *id = g_uuid_string_random ();
  g_autoptr(CdMutation) m = cd_mutation_new (id, CD_MUTATION_OP_TICKET_ASSIGN, ticket_id, -1, args);
  g_auto(CdMutationResult) result;
  CdMutationContext ctx;

  json_object_unref (args);
  cd_mutation_result_init (&result);
  cd_mutation_context_init (&ctx, actor, NOW, policies ());
  if (!cd_mutation_apply (m, &ctx, &world_vtable, w, &result, error))
    return FALSE;
  for (guint i = 0; i < result.records->len; i++)
    world_put (w, g_object_ref (g_ptr_array_index (result.records, i)));
  if (warning != NULL)
    *warning = g_steal_pointer (&result.warning);
  return TRUE;
}

/* Drops: a table, each row also put to ticket.assign --------------------- */

typedef struct {
  const char     *what;
  CdUtility       utility;
  const char     *skills;
  gint            on_crew;      /* -1 unassigned */
  CdTicketStatus  status;
  gint            target;       /* -1 unassign */
  guint           load;         /* the target crew's open tickets */
  CdBoardDrop     expected;
  const char     *says;         /* in the message; NULL: no message */
  const char     *not_says;
} DropRow;

static const DropRow drop_rows[] = {
  { "free heat crew", CD_UTILITY_HEAT, "radiator", -1, CD_TICKET_STATUS_NEW, HEAT_A, 0, CD_BOARD_DROP_ALLOW, NULL },
  { "power crew for heat", CD_UTILITY_HEAT, NULL, -1, CD_TICKET_STATUS_NEW, POWER_C, 0, CD_BOARD_DROP_REFUSE, "needs a heating crew" },
  { "heat crew for power", CD_UTILITY_POWER, NULL, -1, CD_TICKET_STATUS_NEW, HEAT_A, 0, CD_BOARD_DROP_REFUSE, "needs a power crew" },
  { "missing skill", CD_UTILITY_HEAT, "welding", -1, CD_TICKET_STATUS_NEW, HEAT_B, 0, CD_BOARD_DROP_REFUSE, "lacks “welding”" },
  { "names only the missing skill", CD_UTILITY_HEAT, "radiator,welding", -1, CD_TICKET_STATUS_NEW, HEAT_B, 0,
    CD_BOARD_DROP_REFUSE, "“welding”", "radiator" },
  { "off shift (status)", CD_UTILITY_HEAT, NULL, -1, CD_TICKET_STATUS_NEW, OFF_D, 0, CD_BOARD_DROP_REFUSE, "off shift" },
  { "off shift (shift over)", CD_UTILITY_HEAT, NULL, -1, CD_TICKET_STATUS_NEW, LATE_F, 0, CD_BOARD_DROP_REFUSE, "off shift" },
  { "crew at capacity", CD_UTILITY_HEAT, NULL, -1, CD_TICKET_STATUS_NEW, HEAT_B, 1, CD_BOARD_DROP_ALLOW_WARNING, "full capacity" },
  { "own place does not count", CD_UTILITY_HEAT, NULL, HEAT_A, CD_TICKET_STATUS_ASSIGNED, HEAT_B, 0, CD_BOARD_DROP_ALLOW, NULL },
  { "crew without position", CD_UTILITY_HEAT, "welding", -1, CD_TICKET_STATUS_NEW, NOPOS_E, 0, CD_BOARD_DROP_ALLOW, NULL },
  { "already there", CD_UTILITY_HEAT, NULL, HEAT_B, CD_TICKET_STATUS_ASSIGNED, HEAT_B, 1, CD_BOARD_DROP_SAME, NULL },
  { "unassign", CD_UTILITY_HEAT, NULL, HEAT_B, CD_TICKET_STATUS_EN_ROUTE, -1, 0, CD_BOARD_DROP_ALLOW, NULL },
  { "unassign, already unassigned", CD_UTILITY_HEAT, NULL, -1, CD_TICKET_STATUS_NEW, -1, 0, CD_BOARD_DROP_SAME, NULL },
  { "not open", CD_UTILITY_HEAT, NULL, -1, CD_TICKET_STATUS_RESOLVED, HEAT_A, 0, CD_BOARD_DROP_REFUSE, "no longer open" },
};

static void
test_check_drop (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (drop_rows); i++)
    {
      const DropRow *row = &drop_rows[i];
      g_autoptr(World) w = world_new ();
      g_autoptr(CdTicket) ticket = make_ticket ("HT-1", row->utility, row->skills, row->on_crew, row->status);
      CdCrew *target = row->target >= 0 ? g_hash_table_lookup (w->records, crew_ids[row->target]) : NULL;
      g_autofree char *message = NULL;
      g_autofree char *warning = NULL;
      g_autoptr(GError) error = NULL;
      CdBoardDrop drop;
      gboolean applied;

      g_test_message ("row %u: %s", i, row->what);
      drop = cd_board_check_drop (ticket, target, row->load, NOW, &message);
      g_assert_cmpint (drop, ==, row->expected);
      if (row->says != NULL)
        {
          g_assert_nonnull (message);
          g_assert_nonnull (strstr (message, row->says));
          g_assert_nonnull (strstr (message, target != NULL && drop != CD_BOARD_DROP_REFUSE ? target->name : ""));
        }
      else
        g_assert_null (message);
      if (row->not_says != NULL)
        g_assert_null (strstr (message, row->not_says));
      g_assert_cmpint (cd_board_drop_is_allowed (drop), ==,
                       drop == CD_BOARD_DROP_ALLOW || drop == CD_BOARD_DROP_ALLOW_WARNING);

      /* The server's own decision on the same pair and load. */
      if (drop == CD_BOARD_DROP_SAME)
        continue;
      world_put (w, g_object_ref (ticket));
      w->load = (gint) row->load + (target != NULL && g_strcmp0 (ticket->crew_id, crew_ids[row->target]) == 0);
      applied = world_assign (w, cd_record_get_id (CD_RECORD (ticket)),
                              cd_board_assign_args (target ? crew_ids[row->target] : NULL, "other: test",
                                                    TRUE, FALSE, NULL),
                              &warning, &error);
      g_assert_cmpint (applied, ==, cd_board_drop_is_allowed (drop));
      if (!applied)
        g_assert_true (g_error_matches (error, CD_MUTATION_ERROR, CD_MUTATION_ERROR_CONSTRAINT) ||
                       g_error_matches (error, CD_MUTATION_ERROR, CD_MUTATION_ERROR_INVALID_TRANSITION));
      g_assert_cmpint (warning != NULL, ==, drop == CD_BOARD_DROP_ALLOW_WARNING);
    }
}

static void
test_reduce (void)
{
  g_autoptr(CdCrew) a = make_crew (HEAT_A);
  g_autoptr(CdCrew) e = make_crew (NOPOS_E);
  g_autoptr(CdTicket) t = make_ticket ("HT-2", CD_UTILITY_HEAT, "welding,radiator,camera", HEAT_A,
                                       CD_TICKET_STATUS_ASSIGNED);
  CdMatchTicket mt;
  CdMatchCrew mc;

  cd_board_reduce (t, a, 2, NOW, &mt, &mc);
  g_assert_cmpuint (mt.skills_required, ==, 7);
  g_assert_cmpuint (mc.skills, ==, 3);         /* welding and radiator, not camera */
  g_assert_cmpuint (mc.load, ==, 1);           /* its own place taken off */
  g_assert_cmpuint (mc.capacity, ==, 2);
  g_assert_true (mc.on_shift);
  g_assert_cmpint (mt.area, ==, -1);
  g_assert_cmpint (cd_match_check (&mt, &mc), ==, CD_MATCH_MISSING_SKILL);

  cd_board_reduce (t, e, 0, NOW, &mt, &mc);
  g_assert_true (isnan (mc.lat));
  g_assert_cmpuint (mc.load, ==, 0);

  g_free (t->area);
  t->area = g_strdup ("eastbank");
  e->areas = g_strsplit ("eastbank,harbour", ",", -1);
  cd_board_reduce (t, e, 0, NOW, &mt, &mc);
  g_assert_cmpint (mt.area, ==, 0);
  g_assert_cmpuint (mc.areas, ==, 1);
}

/* Proposals and overrides -------------------------------------------------- */

static void
test_override (void)
{
  static const struct { const char *proposed, *target; gboolean override; } rows[] = {
    { "A", "A", FALSE },   /* the proposal accepted */
    { "A", "B", TRUE },    /* another crew */
    { NULL, "B", TRUE },   /* the matcher would have left it waiting */
    { "A", NULL, FALSE },  /* unassigning */
    { NULL, NULL, FALSE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (rows); i++)
    g_assert_cmpint (cd_board_is_override (rows[i].proposed, rows[i].target), ==, rows[i].override);
}

static void
test_proposal (void)
{
  g_autoptr(GPtrArray) crews = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GArray) ranking = g_array_new (FALSE, TRUE, sizeof (CdMatchScore));
  const CdMatchScore *score = NULL;
  CdMatchScore s = { 0 };

  g_ptr_array_add (crews, make_crew (HEAT_A));
  g_ptr_array_add (crews, make_crew (HEAT_B));
  g_assert_null (cd_board_proposal (crews, ranking, &score));
  g_assert_null (score);

  /* Infeasible ones are ranked after; a full crew is no proposal. */
  s.crew = 1, s.verdict = CD_MATCH_FULL, s.total = 3;
  g_array_append_val (ranking, s);
  g_assert_null (cd_board_proposal (crews, ranking, &score));
  s.crew = 0, s.verdict = CD_MATCH_OK, s.total = 9;
  g_array_append_val (ranking, s);
  g_assert_true (cd_board_proposal (crews, ranking, &score) == g_ptr_array_index (crews, 0));
  g_assert_cmpfloat (score->total, ==, 9);
}

/* The proposal the board computes is the one the server records as
 * overridden: assign to the second-best crew and read the event. */
static void
test_override_recorded (void)
{
  g_autoptr(World) w = world_new ();
  g_autoptr(CdTicket) t = make_ticket ("HT-3", CD_UTILITY_HEAT, "radiator", -1, CD_TICKET_STATUS_NEW);
  g_autoptr(GPtrArray) crews = NULL;
  g_autoptr(GArray) ranking = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(CdUser) actor = dispatcher ();
  g_autofree char *reason = cd_board_reason_compose (CD_BOARD_REASON_CUSTOMER_REQUEST, "asked for Wang");
  CdMutationContext ctx;
  CdAssignmentEvent *event = NULL;
  CdCrew *proposal, *other = NULL;
  GHashTableIter iter;
  gpointer value;

  world_put (w, g_object_ref (t));
  cd_mutation_context_init (&ctx, actor, NOW, policies ());
  g_assert_true (cd_mutation_rank_crews (&ctx, &world_vtable, w, t, &crews, &ranking, &error));
  proposal = cd_board_proposal (crews, ranking, NULL);
  g_assert_nonnull (proposal);
  for (guint i = 0; i < ranking->len && other == NULL; i++)
    {
      const CdMatchScore *s = &g_array_index (ranking, CdMatchScore, i);
      CdCrew *c = g_ptr_array_index (crews, s->crew);

      if (c != proposal && cd_board_check_drop (t, c, 0, NOW, NULL) == CD_BOARD_DROP_ALLOW)
        other = c;
    }
  g_assert_nonnull (other);
  g_assert_true (cd_board_is_override (cd_record_get_id (CD_RECORD (proposal)), cd_record_get_id (CD_RECORD (other))));

  g_assert_true (world_assign (w, cd_record_get_id (CD_RECORD (t)),
                               cd_board_assign_args (cd_record_get_id (CD_RECORD (other)), reason, TRUE, TRUE, NULL),
                               NULL, &error));
  g_assert_no_error (error);
  g_hash_table_iter_init (&iter, w->records);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (CD_IS_ASSIGNMENT_EVENT (value))
      event = value;
  g_assert_nonnull (event);
  g_assert_cmpstr (event->proposed_crew, ==, cd_record_get_id (CD_RECORD (proposal)));
  g_assert_cmpstr (event->reason, ==, "customer-request: asked for Wang");
  g_assert_cmpint (event->source, ==, CD_ASSIGNMENT_SOURCE_MANUAL);
  g_assert_true (CD_TICKET (g_hash_table_lookup (w->records, cd_record_get_id (CD_RECORD (t))))->pinned);
}

/* Reasons -------------------------------------------------------------------- */

static void
test_reasons (void)
{
  static const struct {
    CdBoardReason reason;
    const char   *details;
    gboolean      complete;
    const char   *recorded;
    const char   *described;
  } rows[] = {
    { CD_BOARD_REASON_CUSTOMER_REQUEST, NULL, TRUE, "customer-request", "Customer request" },
    { CD_BOARD_REASON_CREW_NEARBY, "  at the substation ", TRUE, "crew-nearby: at the substation",
      "Crew already nearby: at the substation" },
    { CD_BOARD_REASON_SKILLS, "", TRUE, "skills", "Skills" },
    { CD_BOARD_REASON_WORKLOAD, "Heat 2 has four", TRUE, "workload: Heat 2 has four", "Workload balance: Heat 2 has four" },
    { CD_BOARD_REASON_OTHER, "   ", FALSE, "other", "Other" },
    { CD_BOARD_REASON_OTHER, "road closed", TRUE, "other: road closed", "Other: road closed" },
    { CD_BOARD_REASON_ACCEPTED_PLAN, NULL, TRUE, "accepted-plan", "Accepted from the automatic plan" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (rows); i++)
    {
      g_autofree char *recorded = cd_board_reason_compose (rows[i].reason, rows[i].details);
      g_autofree char *described = cd_board_reason_describe (recorded);

      g_assert_cmpint (cd_board_reason_is_complete (rows[i].reason, rows[i].details), ==, rows[i].complete);
      g_assert_cmpstr (recorded, ==, rows[i].recorded);
      g_assert_cmpstr (described, ==, rows[i].described);
    }

  /* Free text that is not ours reads as it is. */
  {
    g_autofree char *d = cd_board_reason_describe ("nearest free crew");
    g_autofree char *e = cd_board_reason_describe ("skillset: x");

    g_assert_cmpstr (d, ==, "nearest free crew");
    g_assert_cmpstr (e, ==, "skillset: x");
    g_assert_null (cd_board_reason_describe (NULL));
  }

  /* Cut to ticket.assign's limit in characters, not bytes. */
  {
    g_autoptr(GString) long_text = g_string_new (NULL);
    g_autofree char *recorded = NULL;

    for (guint i = 0; i < 600; i++)
      g_string_append (long_text, "热");
    recorded = cd_board_reason_compose (CD_BOARD_REASON_OTHER, long_text->str);
    g_assert_true (g_utf8_validate (recorded, -1, NULL));
    g_assert_cmpint (g_utf8_strlen (recorded, -1), ==, CD_BOARD_REASON_MAX_CHARS);
  }
}

static char *
args_text (JsonObject *args)
{
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);

  json_node_take_object (node, args);
  return json_to_string (node, FALSE);
}

static void
test_assign_args (void)
{
  static const struct {
    const char *crew, *reason;
    gboolean pin, expect_set;
    const char *expect, *json;
  } rows[] = {
    { "C", "skills", TRUE, FALSE, NULL, "{\"crew_id\":\"C\",\"reason\":\"skills\",\"pin\":true}" },
    { NULL, NULL, FALSE, TRUE, "C", "{\"crew_id\":null,\"pin\":false,\"expect_crew\":\"C\"}" },
    { "C", NULL, FALSE, TRUE, NULL, "{\"crew_id\":\"C\",\"pin\":false,\"expect_crew\":null}" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (rows); i++)
    {
      g_autofree char *text = args_text (cd_board_assign_args (rows[i].crew, rows[i].reason, rows[i].pin,
                                                               rows[i].expect_set, rows[i].expect));

      g_assert_cmpstr (text, ==, rows[i].json);
      /* Never "source": a dispatcher may not send "auto". */
      g_assert_null (strstr (text, "source"));
    }
}

/* Moving a group ------------------------------------------------------------ */

static void
test_plan_move (void)
{
  g_autoptr(GPtrArray) tickets = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(CdCrew) b = make_crew (HEAT_B);   /* capacity 1 */
  g_autoptr(CdBoardMovePlan) plan = NULL;
  g_autoptr(CdBoardMovePlan) away = NULL;
  const char *proposals[5];
  static const struct { CdBoardDrop drop; gboolean override; } expected[] = {
    { CD_BOARD_DROP_ALLOW, FALSE },          /* proposed here */
    { CD_BOARD_DROP_ALLOW_WARNING, TRUE },   /* over capacity once the first is in */
    { CD_BOARD_DROP_REFUSE, FALSE },         /* a power ticket */
    { CD_BOARD_DROP_SAME, FALSE },           /* already on B */
    { CD_BOARD_DROP_ALLOW_WARNING, TRUE },   /* no proposal at all */
  };

  g_ptr_array_add (tickets, make_ticket ("HT-10", CD_UTILITY_HEAT, NULL, -1, CD_TICKET_STATUS_NEW));
  g_ptr_array_add (tickets, make_ticket ("HT-11", CD_UTILITY_HEAT, NULL, HEAT_A, CD_TICKET_STATUS_ASSIGNED));
  g_ptr_array_add (tickets, make_ticket ("PW-12", CD_UTILITY_POWER, NULL, -1, CD_TICKET_STATUS_NEW));
  g_ptr_array_add (tickets, make_ticket ("HT-13", CD_UTILITY_HEAT, NULL, HEAT_B, CD_TICKET_STATUS_ASSIGNED));
  g_ptr_array_add (tickets, make_ticket ("HT-14", CD_UTILITY_HEAT, NULL, -1, CD_TICKET_STATUS_NEW));
  proposals[0] = crew_ids[HEAT_B];
  proposals[1] = crew_ids[HEAT_A];
  proposals[2] = crew_ids[POWER_C];
  proposals[3] = crew_ids[HEAT_B];
  proposals[4] = NULL;

  /* B carries HT-13 already. */
  plan = cd_board_plan_move (tickets, b, 1, proposals, NOW);
  g_assert_cmpuint (plan->items->len, ==, 5);
  for (guint i = 0; i < 5; i++)
    {
      const CdBoardPlanItem *item = &g_array_index (plan->items, CdBoardPlanItem, i);

      g_test_message ("item %u", i);
      g_assert_true (item->ticket == g_ptr_array_index (tickets, i));
      g_assert_cmpint (item->drop, ==, i == 0 ? CD_BOARD_DROP_ALLOW_WARNING : expected[i].drop);
      g_assert_cmpint (item->override, ==, expected[i].override);
    }
  g_assert_cmpuint (plan->n_move, ==, 3);
  g_assert_cmpuint (plan->n_same, ==, 1);
  g_assert_cmpuint (plan->n_refused, ==, 1);
  g_assert_cmpuint (plan->n_override, ==, 2);
  g_assert_nonnull (strstr (cd_board_move_plan_first_refusal (plan), "PW-12"));
  g_clear_pointer (&plan, cd_board_move_plan_free);

  /* With room, the first goes without a warning; the load grows. */
  plan = cd_board_plan_move (tickets, b, 0, proposals, NOW);
  g_assert_cmpint (g_array_index (plan->items, CdBoardPlanItem, 0).drop, ==, CD_BOARD_DROP_ALLOW);
  g_assert_cmpint (g_array_index (plan->items, CdBoardPlanItem, 1).drop, ==, CD_BOARD_DROP_ALLOW_WARNING);

  /* Unassigning a group: never an override, nothing refused but what is open. */
  away = cd_board_plan_move (tickets, NULL, 0, NULL, NOW);
  g_assert_cmpuint (away->n_move, ==, 2);
  g_assert_cmpuint (away->n_same, ==, 3);
  g_assert_cmpuint (away->n_override, ==, 0);
  g_assert_null (cd_board_move_plan_first_refusal (away));
}

/* Undo ---------------------------------------------------------------------- */

static void
test_undo_describe (void)
{
  static const struct {
    guint n; gint to[3]; const char *crew_name; const char *text;
    gboolean from_unassigned;
    gboolean remove_last;    /* two added, the last refused */
  } rows[] = {
    { 1, { HEAT_A }, "Heat A", "Ticket HT-20 assigned to Heat A" },
    { 3, { HEAT_A, HEAT_A, HEAT_A }, "Heat A", "3 tickets assigned to Heat A" },
    { 1, { -1 }, NULL, "Ticket HT-20 unassigned" },
    { 2, { -1, -1 }, NULL, "2 tickets unassigned" },
    { 2, { HEAT_A, -1 }, "Heat A", "2 tickets moved" },
    { 1, { HEAT_A }, NULL, "Ticket HT-20 moved" },
    { 3, { HEAT_A, POWER_C, HEAT_A }, NULL, "3 tickets assigned", TRUE },
    { 1, { HEAT_A, HEAT_B }, NULL, "Ticket HT-20 moved", FALSE, TRUE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (rows); i++)
    {
      g_autoptr(CdBoardUndo) undo = cd_board_undo_new ();
      g_autofree char *text = NULL;

      for (guint k = 0; k < rows[i].n; k++)
        {
          g_autofree char *number = g_strdup_printf ("HT-%u", 20 + k);
          g_autoptr(CdTicket) t = make_ticket (number, CD_UTILITY_HEAT, NULL, rows[i].from_unassigned ? -1 : HEAT_B,
                                               rows[i].from_unassigned ? CD_TICKET_STATUS_NEW : CD_TICKET_STATUS_ASSIGNED);

          cd_board_undo_add (undo, t, rows[i].to[k] >= 0 ? crew_ids[rows[i].to[k]] : NULL);
        }
      if (rows[i].remove_last)
        {
          g_autoptr(CdTicket) t = make_ticket ("HT-99", CD_UTILITY_HEAT, NULL, -1, CD_TICKET_STATUS_NEW);

          cd_board_undo_add (undo, t, crew_ids[HEAT_B]);
          g_assert_cmpuint (cd_board_undo_get_n_moves (undo), ==, rows[i].n + 1);
          cd_board_undo_remove_last (undo);
          g_assert_cmpstr (cd_board_undo_get_move (undo, rows[i].n - 1)->number, ==, "HT-20");
        }
      text = cd_board_undo_describe (undo, rows[i].crew_name);
      g_assert_cmpuint (cd_board_undo_get_n_moves (undo), ==, rows[i].n);
      g_assert_cmpstr (text, ==, rows[i].text);
    }
}

/* An undo puts the ticket back through ticket.assign, and refuses to
 * when someone moved it on in the meantime. */
static void
test_undo_apply (void)
{
  g_autoptr(World) w = world_new ();
  g_autoptr(CdTicket) t = make_ticket ("HT-30", CD_UTILITY_HEAT, NULL, HEAT_A, CD_TICKET_STATUS_ASSIGNED);
  g_autoptr(CdBoardUndo) undo = cd_board_undo_new ();
  g_autoptr(CdBoardUndo) undo2 = cd_board_undo_new ();
  g_autoptr(GError) error = NULL;
  const char *id = cd_record_get_id (CD_RECORD (t));
  CdTicket *now;

  t->pinned = FALSE;
  world_put (w, g_object_ref (t));

  /* Move A -> B, pinned, then undo: back on A, unpinned as before. */
  cd_board_undo_add (undo, t, crew_ids[HEAT_B]);
  g_assert_true (world_assign (w, id, cd_board_assign_args (crew_ids[HEAT_B], "skills", TRUE, TRUE, crew_ids[HEAT_A]),
                               NULL, &error));
  g_assert_no_error (error);
  now = g_hash_table_lookup (w->records, id);
  g_assert_cmpstr (now->crew_id, ==, crew_ids[HEAT_B]);
  g_assert_true (now->pinned);

  g_assert_true (world_assign (w, id, cd_board_undo_args (cd_board_undo_get_move (undo, 0)), NULL, &error));
  g_assert_no_error (error);
  now = g_hash_table_lookup (w->records, id);
  g_assert_cmpstr (now->crew_id, ==, crew_ids[HEAT_A]);
  g_assert_false (now->pinned);

  /* Undoing it twice finds the ticket elsewhere: a conflict, nothing changes. */
  g_assert_false (world_assign (w, id, cd_board_undo_args (cd_board_undo_get_move (undo, 0)), NULL, &error));
  g_assert_error (error, CD_MUTATION_ERROR, CD_MUTATION_ERROR_CONFLICT);
  g_clear_error (&error);

  /* Unassign, someone else assigns it to B, then the undo is refused. */
  cd_board_undo_add (undo2, now, NULL);
  g_assert_true (world_assign (w, id, cd_board_assign_args (NULL, NULL, FALSE, TRUE, crew_ids[HEAT_A]), NULL, &error));
  g_assert_true (world_assign (w, id, cd_board_assign_args (crew_ids[HEAT_B], NULL, TRUE, FALSE, NULL), NULL, &error));
  g_assert_false (world_assign (w, id, cd_board_undo_args (cd_board_undo_get_move (undo2, 0)), NULL, &error));
  g_assert_error (error, CD_MUTATION_ERROR, CD_MUTATION_ERROR_CONFLICT);
  g_assert_cmpstr (CD_TICKET (g_hash_table_lookup (w->records, id))->crew_id, ==, crew_ids[HEAT_B]);
}

/* Times ---------------------------------------------------------------------- */

static void
set_limits (CdTicket *t,
            gint64    due_first,
            gint64    due_site,
            gint64    due_resolved)
{
  t->sla_first_response_min = due_first ? 30 : 0;
  t->sla_on_site_min = due_site ? 120 : 0;
  t->sla_resolved_min = due_resolved ? 480 : 0;
  t->due_first_response = due_first;
  t->due_on_site = due_site;
  t->due_resolved = due_resolved;
}

static void
test_next_sla (void)
{
  g_autoptr(CdTicket) t = make_ticket ("HT-40", CD_UTILITY_HEAT, NULL, -1, CD_TICKET_STATUS_NEW);
  CdSlaKind kind = CD_SLA_KIND_RESOLVED;

  g_assert_false (cd_board_next_sla_kind (t, &kind));
  set_limits (t, NOW + 100, NOW + 50, NOW + 1000);
  g_assert_true (cd_board_next_sla_kind (t, &kind));
  g_assert_cmpint (kind, ==, CD_SLA_KIND_ON_SITE);
  t->on_site_at = NOW - 1;
  g_assert_true (cd_board_next_sla_kind (t, &kind));
  g_assert_cmpint (kind, ==, CD_SLA_KIND_FIRST_RESPONSE);
  t->first_response_at = NOW - 1;
  g_assert_true (cd_board_next_sla_kind (t, &kind));
  g_assert_cmpint (kind, ==, CD_SLA_KIND_RESOLVED);
  t->status = CD_TICKET_STATUS_CLOSED;
  g_assert_false (cd_board_next_sla_kind (t, NULL));
}

static void
test_next_ticket_and_order (void)
{
  g_autoptr(GPtrArray) tickets = g_ptr_array_new_with_free_func (g_object_unref);
  CdTicket *on_site, *normal, *urgent_late, *urgent_soon, *emergency;

  g_assert_null (cd_board_next_ticket (tickets));
  on_site = make_ticket ("HT-50", CD_UTILITY_HEAT, NULL, HEAT_A, CD_TICKET_STATUS_ON_SITE);
  on_site->urgency = CD_URGENCY_EMERGENCY;
  g_ptr_array_add (tickets, on_site);
  g_assert_null (cd_board_next_ticket (tickets));

  normal = make_ticket ("HT-51", CD_UTILITY_HEAT, NULL, HEAT_A, CD_TICKET_STATUS_ASSIGNED);
  normal->urgency = CD_URGENCY_NORMAL;
  set_limits (normal, NOW + 10, 0, 0);
  g_ptr_array_add (tickets, normal);
  g_assert_true (cd_board_next_ticket (tickets) == normal);

  urgent_late = make_ticket ("HT-52", CD_UTILITY_HEAT, NULL, HEAT_A, CD_TICKET_STATUS_CONTACTED);
  set_limits (urgent_late, NOW + 900, 0, 0);
  g_ptr_array_add (tickets, urgent_late);
  urgent_soon = make_ticket ("HT-53", CD_UTILITY_HEAT, NULL, HEAT_A, CD_TICKET_STATUS_EN_ROUTE);
  set_limits (urgent_soon, NOW + 300, 0, 0);
  g_ptr_array_add (tickets, urgent_soon);
  g_assert_true (cd_board_next_ticket (tickets) == urgent_soon);

  emergency = make_ticket ("HT-54", CD_UTILITY_HEAT, NULL, HEAT_A, CD_TICKET_STATUS_ASSIGNED);
  emergency->urgency = CD_URGENCY_EMERGENCY;
  g_ptr_array_add (tickets, emergency);
  g_assert_true (cd_board_next_ticket (tickets) == emergency);

  /* Cards: emergency first, then the earliest deadline, then the number. */
  g_assert_cmpint (cd_board_compare_tickets (emergency, urgent_soon), <, 0);
  g_assert_cmpint (cd_board_compare_tickets (urgent_soon, urgent_late), <, 0);
  g_assert_cmpint (cd_board_compare_tickets (urgent_late, normal), <, 0);
  g_assert_cmpint (cd_board_compare_tickets (on_site, emergency), <, 0);   /* same urgency, no deadline: by number */
  g_assert_cmpint (cd_board_compare_tickets (normal, normal), ==, 0);
}

static void
test_eta (void)
{
  g_autoptr(CdCrew) a = make_crew (HEAT_A);
  g_autoptr(CdCrew) e = make_crew (NOPOS_E);
  g_autoptr(CdTicket) t = make_ticket ("HT-60", CD_UTILITY_HEAT, NULL, HEAT_A, CD_TICKET_STATUS_ASSIGNED);
  CdMatchParams params;
  g_autofree char *eta = NULL;
  g_autofree char *expected = NULL;
  g_autofree char *nopos = NULL;
  g_autofree char *fresh = NULL;
  g_autofree char *old = NULL;
  double minutes, km;

  cd_match_params_init_default (&params);
  minutes = cd_board_travel_minutes (&params, t, a);
  km = cd_match_distance_km (t->lat, t->lon, a->lat, a->lon);
  g_assert_cmpfloat_with_epsilon (minutes, km * params.default_detour / params.default_speed_kmh * 60, 1e-6);
  g_assert_true (isnan (cd_board_travel_minutes (&params, t, e)));

  eta = cd_board_describe_eta (&params, a, t, NOW);
  expected = g_strdup_printf ("%d min to HT-60", (int) ceil (minutes));
  g_assert_cmpstr (eta, ==, expected);

  nopos = cd_board_describe_eta (&params, e, t, NOW);
  g_assert_cmpstr (nopos, ==, "No position yet");
  fresh = cd_board_describe_eta (&params, a, NULL, NOW);
  g_assert_cmpstr (fresh, ==, "Position just updated");
  a->position_at = NOW - 7 * 60;
  old = cd_board_describe_eta (&params, a, NULL, NOW);
  g_assert_cmpstr (old, ==, "Position 7 min old");
}

static void
test_labels (void)
{
  for (guint i = 0; i < CD_BOARD_N_REASONS; i++)
    {
      g_assert_nonnull (cd_board_reason_label (i));
      g_assert_nonnull (cd_board_reason_code (i));
    }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  cd_model_init ();

  g_test_add_func ("/board/logic/check-drop", test_check_drop);
  g_test_add_func ("/board/logic/reduce", test_reduce);
  g_test_add_func ("/board/logic/override", test_override);
  g_test_add_func ("/board/logic/proposal", test_proposal);
  g_test_add_func ("/board/logic/override-recorded", test_override_recorded);
  g_test_add_func ("/board/logic/reasons", test_reasons);
  g_test_add_func ("/board/logic/assign-args", test_assign_args);
  g_test_add_func ("/board/logic/plan-move", test_plan_move);
  g_test_add_func ("/board/logic/undo-describe", test_undo_describe);
  g_test_add_func ("/board/logic/undo-apply", test_undo_apply);
  g_test_add_func ("/board/logic/next-sla", test_next_sla);
  g_test_add_func ("/board/logic/next-ticket", test_next_ticket_and_order);
  g_test_add_func ("/board/logic/eta", test_eta);
  g_test_add_func ("/board/logic/labels", test_labels);

  return g_test_run ();
}
