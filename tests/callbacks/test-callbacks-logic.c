/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-callbacks-logic.c: the Callbacks view's decisions without a
 * display: which fields of the form apply, the callback.record and
 * callback.close arguments (and that cd_mutation_apply takes them and
 * does what the form predicted), roles, marks, deadlines, words, the
 * history's icons and titles, and how the list store follows a queue. */
#include "config.h"

#include <string.h>

#include "cd-callbacks-logic.h"
#include "cd-model.h"
#include "cd-mutation.h"

#define NOW 1795000000

/* Helpers ------------------------------------------------------------------ */

static void
assert_contains (const char *haystack,
                 const char *needle)
{
  if (haystack == NULL || strstr (haystack, needle) == NULL)
    g_error ("“%s” does not contain “%s”", haystack ? haystack : "(null)", needle);
}

static char *
args_to_string (JsonObject *args)
{
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);

  json_node_set_object (node, args);
  return json_to_string (node, FALSE);
}

static CdTicket *
make_ticket (const char *number,
             CdCategory  category,
             gboolean    key,
             gint64      duplicates)
{
  g_autofree char *id = g_uuid_string_random ();
  CdTicket *t = cd_ticket_new ();

  cd_record_set_id (CD_RECORD (t), id);
  CD_RECORD (t)->version = 3;
  t->number = g_strdup (number);
  t->category = category;
  t->key_customer = key;
  t->duplicate_count = duplicates;
  t->status = CD_TICKET_STATUS_RESOLVED;
  t->customer_name = g_strdup ("Wang Fang");
  t->customer_phone = g_strdup ("+86 451 5555 0101");
  t->owner = g_strdup ("d1");
  t->created_at = NOW - 5 * 3600;
  t->resolved_at = NOW - 3600;
  return t;
}

static CdCallback *
make_callback (CdTicket *ticket,
               guint     failed,
               gint64    due_at)
{
  g_autofree char *id = g_uuid_string_random ();
  CdCallback *c = cd_callback_new ();

  cd_record_set_id (CD_RECORD (c), id);
  CD_RECORD (c)->version = 1 + failed;
  c->ticket_id = g_strdup (cd_record_get_id (CD_RECORD (ticket)));
  c->due_at = due_at;
  c->priority = 50;
  c->status = CD_CALLBACK_STATUS_PENDING;
  c->attempts = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < failed; i++)
    g_ptr_array_add (c->attempts, cd_callback_attempt_new (NOW - 600 * (failed - i), "agent",
                                                           i % 2 ? CD_CALLBACK_OUTCOME_WRONG_NUMBER
                                                                 : CD_CALLBACK_OUTCOME_NO_ANSWER, NULL));
  if (failed > 0)
    c->agent = g_strdup ("agent");
  return c;
}

static CdUser *
make_user (const char *username,
           CdRole      role,
           gboolean    active)
{
  g_autofree char *id = g_uuid_string_random ();
  CdUser *u = cd_user_new ();

  cd_record_set_id (CD_RECORD (u), id);
  u->username = g_strdup (username);
  u->display_name = g_strdup (username);
  u->role = role;
  u->active = active;
  return u;
}

/* A world of a few records for cd_mutation_apply. */
static gpointer
world_load (gpointer     world,
            GType        type,
            const char  *id,
            GError     **error)
{
  gpointer record = g_hash_table_lookup (world, id);

  if (record == NULL || !G_TYPE_CHECK_INSTANCE_TYPE (record, type))
    return NULL;
  return g_object_ref (record);
}

static GPtrArray *
world_list_crews (gpointer   world,
                  GError   **error)
{
  return g_ptr_array_new_with_free_func (g_object_unref);
}

static guint
world_crew_load (gpointer    world,
                 const char *crew_id)
{
  return 0;
}

static const CdMutationWorldVTable world_vtable = {
  world_load, world_list_crews, world_crew_load, NULL,
};

/* Fields ------------------------------------------------------------------- */

typedef struct {
  gint              outcome;
  gint              satisfaction;
  gint              solved;
  CdCallbacksFields fields;
  gboolean          opens_second;
} FieldsCase;

static void
test_fields (void)
{
#define C CD_CALLBACKS_FIELD_COMMENT
#define S CD_CALLBACKS_FIELD_SATISFACTION
#define V CD_CALLBACKS_FIELD_SOLVED
#define O CD_CALLBACKS_FIELD_OWNER
  static const FieldsCase cases[] = {
    { -1, CD_SATISFACTION_UNKNOWN, -1, C, FALSE },
    { CD_CALLBACK_OUTCOME_NO_ANSWER, CD_SATISFACTION_UNKNOWN, -1, C, FALSE },
    /* Answers left over from "reached" do not count once it is not. */
    { CD_CALLBACK_OUTCOME_NO_ANSWER, CD_SATISFACTION_UNSATISFIED, 0, C, FALSE },
    { CD_CALLBACK_OUTCOME_WRONG_NUMBER, CD_SATISFACTION_UNKNOWN, -1, C, FALSE },
    { CD_CALLBACK_OUTCOME_REACHED, CD_SATISFACTION_UNKNOWN, -1, C | S | V, FALSE },
    { CD_CALLBACK_OUTCOME_REACHED, CD_SATISFACTION_SATISFIED, -1, C | S | V, FALSE },
    { CD_CALLBACK_OUTCOME_REACHED, CD_SATISFACTION_SATISFIED, 1, C | S | V, FALSE },
    { CD_CALLBACK_OUTCOME_REACHED, CD_SATISFACTION_NEUTRAL, 1, C | S | V, FALSE },
    { CD_CALLBACK_OUTCOME_REACHED, CD_SATISFACTION_SATISFIED, 0, C | S | V | O, TRUE },
    { CD_CALLBACK_OUTCOME_REACHED, CD_SATISFACTION_UNSATISFIED, -1, C | S | V | O, TRUE },
    { CD_CALLBACK_OUTCOME_REACHED, CD_SATISFACTION_UNSATISFIED, 1, C | S | V | O, TRUE },
    { CD_CALLBACK_OUTCOME_REACHED, CD_SATISFACTION_UNKNOWN, 0, C | S | V | O, TRUE },
  };

#undef C
#undef S
#undef V
#undef O

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      CdCallbacksForm form;

      cd_callbacks_form_init (&form);
      form.outcome = cases[i].outcome;
      form.satisfaction = cases[i].satisfaction;
      form.solved = cases[i].solved;
      g_test_message ("case %u", i);
      g_assert_cmpint (cd_callbacks_form_fields (&form), ==, cases[i].fields);
      g_assert_cmpint (cd_callbacks_form_opens_second (&form), ==, cases[i].opens_second);
    }
}

/* Arguments ----------------------------------------------------------------- */

typedef struct {
  gint        outcome;
  gint        satisfaction;
  gint        solved;
  const char *comment;
  const char *owner;
  const char *json;          /* expected, or NULL for an error */
  gint        error_code;
  const char *error_words;   /* in the message */
} ArgsCase;

static const ArgsCase args_cases[] = {
  /* Nothing chosen. */
  { -1, 0, -1, NULL, NULL, NULL, CD_CALLBACKS_ERROR_INCOMPLETE, "how the call went" },
  /* A failed attempt: the words are its note, trimmed; other answers ignored. */
  { CD_CALLBACK_OUTCOME_NO_ANSWER, 0, -1, NULL, NULL, "{\"outcome\":\"no-answer\"}" },
  { CD_CALLBACK_OUTCOME_NO_ANSWER, 0, -1, "  busy line \n", NULL,
    "{\"outcome\":\"no-answer\",\"note\":\"busy line\"}" },
  { CD_CALLBACK_OUTCOME_WRONG_NUMBER, CD_SATISFACTION_UNSATISFIED, 0, "   ", "manager",
    "{\"outcome\":\"wrong-number\"}" },
  /* Reached: satisfaction and solved are required. */
  { CD_CALLBACK_OUTCOME_REACHED, 0, -1, NULL, NULL, NULL, CD_CALLBACKS_ERROR_INCOMPLETE, "how the customer felt" },
  { CD_CALLBACK_OUTCOME_REACHED, CD_SATISFACTION_SATISFIED, -1, NULL, NULL, NULL, CD_CALLBACKS_ERROR_INCOMPLETE,
    "whether the problem is solved" },
  { CD_CALLBACK_OUTCOME_REACHED, CD_SATISFACTION_SATISFIED, 1, NULL, "manager",
    "{\"outcome\":\"reached\",\"satisfaction\":\"satisfied\",\"solved\":true}" },
  { CD_CALLBACK_OUTCOME_REACHED, CD_SATISFACTION_NEUTRAL, 1, " fine ", NULL,
    "{\"outcome\":\"reached\",\"satisfaction\":\"neutral\",\"solved\":true,\"comment\":\"fine\"}" },
  /* Second handling needs an owner. */
  { CD_CALLBACK_OUTCOME_REACHED, CD_SATISFACTION_UNSATISFIED, 1, "cold again", NULL, NULL,
    CD_CALLBACKS_ERROR_INCOMPLETE, "owns the second handling" },
  { CD_CALLBACK_OUTCOME_REACHED, CD_SATISFACTION_UNSATISFIED, 1, "cold again", "  ", NULL,
    CD_CALLBACKS_ERROR_INCOMPLETE, "owns the second handling" },
  { CD_CALLBACK_OUTCOME_REACHED, CD_SATISFACTION_UNSATISFIED, 1, "cold again", "manager",
    "{\"outcome\":\"reached\",\"satisfaction\":\"unsatisfied\",\"solved\":true,\"comment\":\"cold again\","
    "\"owner\":\"manager\"}" },
  { CD_CALLBACK_OUTCOME_REACHED, CD_SATISFACTION_SATISFIED, 0, NULL, "lead",
    "{\"outcome\":\"reached\",\"satisfaction\":\"satisfied\",\"solved\":false,\"owner\":\"lead\"}" },
};

static void
fill_form (CdCallbacksForm *form,
           const ArgsCase  *c)
{
  cd_callbacks_form_init (form);
  form->outcome = c->outcome;
  form->satisfaction = c->satisfaction;
  form->solved = c->solved;
  form->comment = c->comment;
  form->owner = c->owner;
}

static void
test_build_args (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (args_cases); i++)
    {
      const ArgsCase *c = &args_cases[i];
      g_autoptr(GError) error = NULL;
      g_autoptr(JsonObject) args = NULL;
      CdCallbacksForm form;

      g_test_message ("case %u", i);
      fill_form (&form, c);
      args = cd_callbacks_form_build_args (&form, &error);
      if (c->json != NULL)
        {
          g_autofree char *text = NULL;

          g_assert_no_error (error);
          g_assert_nonnull (args);
          text = args_to_string (args);
          g_assert_cmpstr (text, ==, c->json);
        }
      else
        {
          g_assert_null (args);
          g_assert_error (error, CD_CALLBACKS_ERROR, c->error_code);
          assert_contains (error->message, c->error_words);
        }
    }
}

static void
test_too_long (void)
{
  g_autofree char *note = g_strnfill (CD_CALLBACKS_NOTE_MAX + 1, 'x');
  g_autofree char *comment = g_strnfill (CD_CALLBACKS_COMMENT_MAX + 1, 'y');
  /* Limits are bytes: 200 Chinese characters are 600 bytes. */
  g_autoptr(GString) chinese = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) args = NULL;
  CdCallbacksForm form;

  for (guint i = 0; i < 200; i++)
    g_string_append (chinese, "占");

  cd_callbacks_form_init (&form);
  form.outcome = CD_CALLBACK_OUTCOME_NO_ANSWER;
  form.comment = note;
  g_assert_null (cd_callbacks_form_build_args (&form, &error));
  g_assert_error (error, CD_CALLBACKS_ERROR, CD_CALLBACKS_ERROR_TOO_LONG);
  g_clear_error (&error);

  form.comment = chinese->str;
  g_assert_null (cd_callbacks_form_build_args (&form, &error));
  g_assert_error (error, CD_CALLBACKS_ERROR, CD_CALLBACKS_ERROR_TOO_LONG);
  g_clear_error (&error);

  /* The same words fit a comment when the customer was reached. */
  form.outcome = CD_CALLBACK_OUTCOME_REACHED;
  form.satisfaction = CD_SATISFACTION_SATISFIED;
  form.solved = 1;
  args = cd_callbacks_form_build_args (&form, &error);
  g_assert_no_error (error);
  g_assert_nonnull (args);

  form.comment = comment;
  g_assert_null (cd_callbacks_form_build_args (&form, &error));
  g_assert_error (error, CD_CALLBACKS_ERROR, CD_CALLBACKS_ERROR_TOO_LONG);
}

/* Every complete form, on callbacks with 0, 1 and 2 failed attempts: the
 * arguments go through cd_mutation_apply as the agent, and the callback
 * it returns is what cd_callbacks_predict() said. */
static void
test_args_apply_as_predicted (void)
{
  g_autoptr(CdTicket) ticket = make_ticket ("HT-0001", CD_CATEGORY_NO_HEAT, FALSE, 0);
  g_autoptr(CdUser) agent = make_user ("agent", CD_ROLE_CALLBACK_AGENT, TRUE);
  g_autoptr(GError) policy_error = NULL;
  g_autoptr(CdSlaPolicySet) policies = cd_sla_policy_set_new_default (&policy_error);
  guint checked = 0;

  g_assert_no_error (policy_error);

  for (guint failed = 0; failed < CD_CALLBACK_MAX_FAILED_ATTEMPTS; failed++)
    for (guint i = 0; i < G_N_ELEMENTS (args_cases); i++)
      {
        const ArgsCase *c = &args_cases[i];
        g_autoptr(CdCallback) callback = make_callback (ticket, failed, NOW + 3600);
        g_autoptr(GHashTable) world = g_hash_table_new (g_str_hash, g_str_equal);
        g_autoptr(JsonObject) args = NULL;
        g_autoptr(CdMutation) mutation = NULL;
        g_autoptr(GError) error = NULL;
        g_autofree char *mutation_id = g_uuid_string_random ();
        g_auto(CdMutationResult) result = { NULL, };
        CdMutationContext ctx;
        CdCallbacksResult predicted;
        CdCallback *after;
        CdCallbacksForm form;
        guint left = 99;

        if (c->json == NULL)
          continue;
        g_test_message ("case %u, %u failed before", i, failed);
        fill_form (&form, c);
        args = cd_callbacks_form_build_args (&form, &error);
        g_assert_no_error (error);
        predicted = cd_callbacks_predict (callback, &form, &left);

        g_hash_table_insert (world, (gpointer) cd_record_get_id (CD_RECORD (ticket)), ticket);
        g_hash_table_insert (world, (gpointer) cd_record_get_id (CD_RECORD (callback)), callback);
        cd_mutation_context_init (&ctx, agent, NOW, policies);
        cd_mutation_result_init (&result);
        mutation = cd_mutation_new (mutation_id, CD_MUTATION_OP_CALLBACK_RECORD,
                                    cd_record_get_id (CD_RECORD (callback)), -1, args);
        g_assert_true (cd_mutation_apply (mutation, &ctx, &world_vtable, world, &result, &error));
        g_assert_no_error (error);
        g_assert_cmpuint (result.records->len, ==, 1);
        after = g_ptr_array_index (result.records, 0);
        g_assert_true (CD_IS_CALLBACK (after));

        switch (predicted)
          {
          case CD_CALLBACKS_RESULT_ATTEMPT:
            g_assert_cmpint (after->status, ==, CD_CALLBACK_STATUS_PENDING);
            g_assert_cmpuint (left, ==, cd_callback_attempts_left (after));
            g_assert_cmpuint (left, ==, CD_CALLBACK_MAX_FAILED_ATTEMPTS - failed - 1);
            break;
          case CD_CALLBACKS_RESULT_UNREACHABLE:
            g_assert_cmpint (after->status, ==, CD_CALLBACK_STATUS_UNREACHABLE);
            g_assert_cmpuint (failed, ==, CD_CALLBACK_MAX_FAILED_ATTEMPTS - 1);
            g_assert_cmpuint (left, ==, 0);
            break;
          case CD_CALLBACKS_RESULT_DONE:
            g_assert_cmpint (after->status, ==, CD_CALLBACK_STATUS_DONE);
            break;
          case CD_CALLBACKS_RESULT_SECOND:
            g_assert_cmpint (after->status, ==, CD_CALLBACK_STATUS_SECOND_HANDLING);
            g_assert_cmpstr (after->second_owner, ==, c->owner);
            g_assert_cmpint (after->second_deadline, >, NOW);
            break;
          default:
            g_assert_not_reached ();
          }
        g_assert_cmpint (predicted == CD_CALLBACKS_RESULT_SECOND, ==, cd_callbacks_form_opens_second (&form));
        if (c->outcome == CD_CALLBACK_OUTCOME_REACHED)
          g_assert_cmpstr (after->comment, ==, json_object_get_string_member_with_default (
                             mutation->args, "comment", NULL));
        checked++;
      }

  /* Every outcome was seen. */
  g_assert_cmpuint (checked, ==, 3 * 7);
}

static void
test_close_args (void)
{
  static const struct {
    const char *conclusion;
    const char *json;
    gint        code;
  } cases[] = {
    { NULL, NULL, CD_CALLBACKS_ERROR_INCOMPLETE },
    { "", NULL, CD_CALLBACKS_ERROR_INCOMPLETE },
    { " \n\t ", NULL, CD_CALLBACKS_ERROR_INCOMPLETE },
    { "Radiator replaced; customer called back and satisfied.",
      "{\"conclusion\":\"Radiator replaced; customer called back and satisfied.\"}" },
    { "  trimmed \n", "{\"conclusion\":\"trimmed\"}" },
  };
  g_autofree char *long_text = g_strnfill (CD_CALLBACKS_CONCLUSION_MAX + 1, 'z');
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(JsonObject) args = NULL;
      g_autoptr(GError) case_error = NULL;

      g_test_message ("case %u", i);
      args = cd_callbacks_close_args (cases[i].conclusion, &case_error);
      if (cases[i].json != NULL)
        {
          g_autofree char *text = NULL;

          g_assert_no_error (case_error);
          text = args_to_string (args);
          g_assert_cmpstr (text, ==, cases[i].json);
        }
      else
        {
          g_assert_null (args);
          g_assert_error (case_error, CD_CALLBACKS_ERROR, cases[i].code);
          assert_contains (case_error->message, "conclusion");
        }
    }

  g_assert_null (cd_callbacks_close_args (long_text, &error));
  g_assert_error (error, CD_CALLBACKS_ERROR, CD_CALLBACKS_ERROR_TOO_LONG);
}

/* Roles ------------------------------------------------------------------------ */

static void
test_roles (void)
{
  static const CdMutationOp ops[] = { CD_MUTATION_OP_CALLBACK_RECORD, CD_MUTATION_OP_CALLBACK_CLOSE };

  for (guint role = CD_ROLE_DISPATCHER; role <= CD_ROLE_CREW_DEVICE; role++)
    for (guint o = 0; o < G_N_ELEMENTS (ops); o++)
      {
        g_autoptr(CdUser) user = make_user ("someone", role, TRUE);
        g_autoptr(CdUser) inactive = make_user ("gone", role, FALSE);
        g_autofree char *why = cd_callbacks_why_not_allowed (user, ops[o]);
        g_autofree char *why_inactive = cd_callbacks_why_not_allowed (inactive, ops[o]);

        g_test_message ("role %u, op %u", role, ops[o]);
        if (cd_mutation_role_allowed (ops[o], role))
          g_assert_null (why);
        else
          {
            g_assert_nonnull (why);
            /* It names who may, and who the user is. */
            assert_contains (why, "Manager");
            assert_contains (why, "You are signed in as");
          }
        assert_contains (why_inactive, "disabled");
      }

  {
    g_autoptr(CdUser) agent = make_user ("agent", CD_ROLE_CALLBACK_AGENT, TRUE);
    g_autoptr(CdUser) dispatcher = make_user ("d1", CD_ROLE_DISPATCHER, TRUE);
    g_autofree char *agent_close = cd_callbacks_why_not_allowed (agent, CD_MUTATION_OP_CALLBACK_CLOSE);
    g_autofree char *dispatcher_record = cd_callbacks_why_not_allowed (dispatcher, CD_MUTATION_OP_CALLBACK_RECORD);
    g_autofree char *nobody = cd_callbacks_why_not_allowed (NULL, CD_MUTATION_OP_CALLBACK_RECORD);

    assert_contains (agent_close, "close second handling");
    assert_contains (agent_close, "Callback agent");
    assert_contains (dispatcher_record, "record callbacks: Callback agent, Manager");
    assert_contains (dispatcher_record, "Dispatcher");
    g_assert_nonnull (nobody);
  }
}

static void
test_first_page_and_options (void)
{
  static const struct {
    CdRole      role;
    const char *page;
    gboolean    own_only;
  } cases[] = {
    { CD_ROLE_CALLBACK_AGENT, "queue", TRUE },
    { CD_ROLE_MANAGER, "review", FALSE },
    { CD_ROLE_DISPATCHER, "queue", FALSE },
    { CD_ROLE_SUPERVISOR, "queue", FALSE },
    { CD_ROLE_ADMIN, "queue", FALSE },
  };

  g_assert_cmpstr (cd_callbacks_first_page (NULL), ==, "queue");
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(CdUser) user = make_user ("agent", cases[i].role, TRUE);
      CdCallbackQueueOptions options;

      g_assert_cmpstr (cd_callbacks_first_page (user), ==, cases[i].page);
      cd_callbacks_queue_options (user, CD_CALLBACK_QUEUE_SORT_PRIORITY, &options);
      g_assert_cmpint (options.sort, ==, CD_CALLBACK_QUEUE_SORT_PRIORITY);
      g_assert_false (options.include_unreachable);
      if (cases[i].own_only)
        g_assert_cmpstr (options.agent, ==, "agent");
      else
        g_assert_null (options.agent);
    }
}

/* An agent sees their own and nobody's callbacks, not a colleague's. */
static void
test_agent_queue (void)
{
  g_autoptr(CdTicket) t1 = make_ticket ("HT-0001", CD_CATEGORY_NO_HEAT, FALSE, 0);
  g_autoptr(CdTicket) t2 = make_ticket ("HT-0002", CD_CATEGORY_NO_HEAT, FALSE, 0);
  g_autoptr(CdTicket) t3 = make_ticket ("HT-0003", CD_CATEGORY_NO_HEAT, FALSE, 0);
  g_autoptr(CdCallback) mine = make_callback (t1, 1, NOW + 100);
  g_autoptr(CdCallback) nobodys = make_callback (t2, 0, NOW + 200);
  g_autoptr(CdCallback) theirs = make_callback (t3, 1, NOW + 50);
  g_autoptr(CdUser) agent = make_user ("agent", CD_ROLE_CALLBACK_AGENT, TRUE);
  g_autoptr(CdUser) manager = make_user ("manager", CD_ROLE_MANAGER, TRUE);
  g_autoptr(GPtrArray) callbacks = g_ptr_array_new ();
  g_autoptr(GPtrArray) tickets = g_ptr_array_new ();
  g_autoptr(GArray) queue = NULL;
  CdCallbackQueueOptions options;

  g_free (theirs->agent);
  theirs->agent = g_strdup ("agent2");
  g_ptr_array_add (callbacks, mine);
  g_ptr_array_add (callbacks, nobodys);
  g_ptr_array_add (callbacks, theirs);
  g_ptr_array_add (tickets, t1);
  g_ptr_array_add (tickets, t2);
  g_ptr_array_add (tickets, t3);

  cd_callbacks_queue_options (agent, CD_CALLBACK_QUEUE_SORT_DUE, &options);
  queue = cd_callback_queue_build (callbacks, tickets, NOW, &options);
  g_assert_cmpuint (queue->len, ==, 2);
  g_assert_true (g_array_index (queue, CdCallbackQueueItem, 0).callback == mine);
  g_assert_true (g_array_index (queue, CdCallbackQueueItem, 1).callback == nobodys);
  g_clear_pointer (&queue, g_array_unref);

  cd_callbacks_queue_options (manager, CD_CALLBACK_QUEUE_SORT_DUE, &options);
  queue = cd_callback_queue_build (callbacks, tickets, NOW, &options);
  g_assert_cmpuint (queue->len, ==, 3);
  g_assert_true (g_array_index (queue, CdCallbackQueueItem, 0).callback == theirs);
}

/* Marks and deadlines ---------------------------------------------------------- */

static void
test_marks (void)
{
  static const struct {
    CdCategory       category;
    gboolean         key;
    gint64           duplicates;
    CdCallbacksMarks marks;
  } cases[] = {
    { CD_CATEGORY_NO_HEAT, FALSE, 0, 0 },
    { CD_CATEGORY_COMPLAINT, FALSE, 0, CD_CALLBACKS_MARK_COMPLAINT },
    { CD_CATEGORY_LEAK, TRUE, 0, CD_CALLBACKS_MARK_KEY },
    { CD_CATEGORY_POWER_OUTAGE, FALSE, 2, CD_CALLBACKS_MARK_REPEAT },
    { CD_CATEGORY_COMPLAINT, TRUE, 1,
      CD_CALLBACKS_MARK_COMPLAINT | CD_CALLBACKS_MARK_KEY | CD_CALLBACKS_MARK_REPEAT },
  };

  g_assert_cmpint (cd_callbacks_marks (NULL), ==, 0);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(CdTicket) t = make_ticket ("HT-1", cases[i].category, cases[i].key, cases[i].duplicates);

      g_assert_cmpint (cd_callbacks_marks (t), ==, cases[i].marks);
    }
}

static void
test_deadline_state (void)
{
  static const struct {
    gint64              start;
    gint64              deadline;
    gint64              now;
    CdCallbacksDeadline state;
  } cases[] = {
    { 0, 0, NOW, CD_CALLBACKS_DEADLINE_NONE },
    /* A 24 h window: a quarter is 6 h. */
    { NOW, NOW + 24 * 3600, NOW, CD_CALLBACKS_DEADLINE_OK },
    { NOW - 18 * 3600 + 1, NOW + 6 * 3600 + 1, NOW, CD_CALLBACKS_DEADLINE_OK },
    { NOW - 18 * 3600, NOW + 6 * 3600, NOW, CD_CALLBACKS_DEADLINE_SOON },
    { NOW - 23 * 3600, NOW + 3600, NOW, CD_CALLBACKS_DEADLINE_SOON },
    /* At the deadline: not yet overdue; a second later it is. */
    { NOW - 24 * 3600, NOW, NOW, CD_CALLBACKS_DEADLINE_SOON },
    { NOW - 24 * 3600, NOW - 1, NOW, CD_CALLBACKS_DEADLINE_OVERDUE },
    /* No start known: only the last hour warns. */
    { 0, NOW + 3601, NOW, CD_CALLBACKS_DEADLINE_OK },
    { 0, NOW + 3600, NOW, CD_CALLBACKS_DEADLINE_SOON },
    { 0, NOW - 3600, NOW, CD_CALLBACKS_DEADLINE_OVERDUE },
    /* A start after the deadline is ignored. */
    { NOW + 10, NOW + 5, NOW, CD_CALLBACKS_DEADLINE_SOON },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_test_message ("case %u", i);
      g_assert_cmpint (cd_callbacks_deadline_state (cases[i].start, cases[i].deadline, cases[i].now), ==,
                       cases[i].state);
    }
}

static void
test_format_due (void)
{
  static const struct {
    gint64      left;
    const char *text;
  } cases[] = {
    { 3 * 3600 + 20 * 60, "in 3 h 20 min" },
    { 59, "in 1 min" },
    { 0, "in 0 min" },
    { -30, "just overdue" },
    { -12 * 60, "overdue 12 min" },
    { -26 * 3600, "overdue 1 d 2 h" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *text = cd_callbacks_format_due (NOW + cases[i].left, NOW);

      g_assert_cmpstr (text, ==, cases[i].text);
    }
}

/* Words -------------------------------------------------------------------------- */

static void
test_messages (void)
{
  g_autoptr(CdTicket) t = make_ticket ("HT-0042", CD_CATEGORY_NO_HEAT, FALSE, 0);
  static const struct {
    CdCallbacksResult result;
    CdCallbackOutcome outcome;
    guint             left;
    const char       *text;
  } cases[] = {
    { CD_CALLBACKS_RESULT_ATTEMPT, CD_CALLBACK_OUTCOME_NO_ANSWER, 2, "No answer for HT-0042; 2 attempts left" },
    { CD_CALLBACKS_RESULT_ATTEMPT, CD_CALLBACK_OUTCOME_NO_ANSWER, 1, "No answer for HT-0042; 1 attempt left" },
    { CD_CALLBACKS_RESULT_ATTEMPT, CD_CALLBACK_OUTCOME_WRONG_NUMBER, 1, "Wrong number for HT-0042; 1 attempt left" },
    { CD_CALLBACKS_RESULT_UNREACHABLE, CD_CALLBACK_OUTCOME_NO_ANSWER, 0,
      "Customer of HT-0042 marked unreachable after 3 failed attempts" },
    { CD_CALLBACKS_RESULT_DONE, CD_CALLBACK_OUTCOME_REACHED, 0, "Callback for HT-0042 recorded" },
    { CD_CALLBACKS_RESULT_SECOND, CD_CALLBACK_OUTCOME_REACHED, 0,
      "Callback for HT-0042 recorded; second handling opened for Liu Yang" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *text = cd_callbacks_record_message (t, cases[i].result, cases[i].outcome, cases[i].left,
                                                           "Liu Yang");

      g_assert_cmpstr (text, ==, cases[i].text);
    }
  {
    g_autofree char *attempt = cd_callbacks_result_hint (CD_CALLBACKS_RESULT_ATTEMPT, NULL);
    g_autofree char *last = cd_callbacks_result_hint (CD_CALLBACKS_RESULT_UNREACHABLE, NULL);
    g_autofree char *second = cd_callbacks_result_hint (CD_CALLBACKS_RESULT_SECOND, "Liu Yang");
    g_autofree char *done = cd_callbacks_result_hint (CD_CALLBACKS_RESULT_DONE, NULL);

    assert_contains (attempt, "another attempt");
    assert_contains (last, "unreachable");
    assert_contains (second, "Second handling opens for Liu Yang");
    assert_contains (done, "complete");
  }

  {
    g_autofree char *none = cd_callbacks_attempts_label (0, 3);
    g_autofree char *one = cd_callbacks_attempts_label (1, 2);
    g_autofree char *two = cd_callbacks_attempts_label (2, 1);

    g_assert_cmpstr (none, ==, "No attempts yet");
    g_assert_cmpstr (one, ==, "1 failed attempt, 2 left");
    g_assert_cmpstr (two, ==, "2 failed attempts, 1 left");
  }
  g_assert_cmpstr (cd_callbacks_outcome_label (CD_CALLBACK_OUTCOME_WRONG_NUMBER), ==, "Wrong number");
  g_assert_cmpstr (cd_callbacks_satisfaction_label (CD_SATISFACTION_UNSATISFIED), ==, "Unsatisfied");
}

/* History ----------------------------------------------------------------------- */

static void
test_history_words (void)
{
  g_autoptr(CdTicket) t = make_ticket ("HT-0001", CD_CATEGORY_NO_HEAT, FALSE, 0);
  g_autoptr(CdAssignmentEvent) auto_event = cd_assignment_event_new ();
  g_autoptr(CdAssignmentEvent) override = cd_assignment_event_new ();
  g_autoptr(CdAssignmentEvent) unassign = cd_assignment_event_new ();
  g_autoptr(CdCallbackAttempt) attempt = cd_callback_attempt_new (NOW, "agent", CD_CALLBACK_OUTCOME_NO_ANSWER, NULL);
  g_autoptr(CdCallback) callback = make_callback (t, 0, NOW);
  g_autoptr(GHashTable) names = g_hash_table_new (g_str_hash, g_str_equal);
  static const struct {
    CdHistoryKind kind;
    gint          record;   /* 0 ticket, 1 auto, 2 override, 3 unassign, 4 attempt, 5 callback */
    const char   *title;
    gboolean      alert;
  } cases[] = {
    { CD_HISTORY_CREATED, 0, "Ticket created", FALSE },
    { CD_HISTORY_ASSIGNED, 1, "Assigned to Heat North automatically", FALSE },
    { CD_HISTORY_OVERRIDDEN, 2, "Assigned to another crew by hand, over the proposal", FALSE },
    { CD_HISTORY_ASSIGNED, 3, "Unassigned", FALSE },
    { CD_HISTORY_FIRST_RESPONSE, 0, "Crew called the customer", FALSE },
    { CD_HISTORY_ON_SITE, 0, "Crew on site", FALSE },
    { CD_HISTORY_PAUSED, 0, "Waiting for the customer", FALSE },
    { CD_HISTORY_RESUMED, 0, "Work resumed", FALSE },
    { CD_HISTORY_LIMIT_MISSED, 0, "Time limit missed: On site", TRUE },
    { CD_HISTORY_RESOLVED, 0, "Resolved", FALSE },
    { CD_HISTORY_CLOSED, 0, "Ticket closed", FALSE },
    { CD_HISTORY_CALLBACK_OVERDUE, 5, "Callback overdue", TRUE },
    { CD_HISTORY_CALLBACK_ATTEMPT, 4, "Callback: No answer", FALSE },
    { CD_HISTORY_SECOND_OPENED, 5, "Second handling opened: unsatisfied", TRUE },
    { CD_HISTORY_SECOND_OVERDUE, 5, "Second handling overdue", TRUE },
    { CD_HISTORY_SECOND_CLOSED, 5, "Second handling closed", FALSE },
  };
  CdRecord *records[] = {
    CD_RECORD (t), CD_RECORD (auto_event), CD_RECORD (override), CD_RECORD (unassign),
    CD_RECORD (attempt), CD_RECORD (callback),
  };
  g_autoptr(GHashTable) icons = g_hash_table_new (g_str_hash, g_str_equal);

  auto_event->to_crew = g_strdup ("crew-north");
  auto_event->source = CD_ASSIGNMENT_SOURCE_AUTO;
  override->to_crew = g_strdup ("crew-unknown");
  override->source = CD_ASSIGNMENT_SOURCE_MANUAL;
  callback->satisfaction = CD_SATISFACTION_UNSATISFIED;
  callback->solved = TRUE;
  g_hash_table_insert (names, (gpointer) "crew-north", (gpointer) "Heat North");

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      CdHistoryEntry entry = { 0 };
      g_autofree char *title = NULL;
      const char *icon = cd_callbacks_history_icon (cases[i].kind);

      entry.at = NOW;
      entry.kind = cases[i].kind;
      entry.sla_kind = CD_SLA_KIND_ON_SITE;
      entry.record = records[cases[i].record];
      title = cd_callbacks_history_title (&entry, names);
      g_assert_cmpstr (title, ==, cases[i].title);
      g_assert_cmpint (cd_callbacks_history_is_alert (&entry), ==, cases[i].alert);
      g_assert_true (g_str_has_suffix (icon, "-symbolic"));
      g_hash_table_add (icons, (gpointer) icon);
    }
  /* Kinds look different, with a few sharing the alarm. */
  g_assert_cmpuint (g_hash_table_size (icons), >=, 12);

  /* Both reasons at once. */
  callback->solved = FALSE;
  {
    CdHistoryEntry entry = { .at = NOW, .kind = CD_HISTORY_SECOND_OPENED, .record = CD_RECORD (callback) };
    g_autofree char *title = cd_callbacks_history_title (&entry, NULL);

    g_assert_cmpstr (title, ==, "Second handling opened: unsatisfied, not solved");
  }

  /* The line under it: the owner named as such, the words at the end. */
  {
    static const struct {
      CdHistoryKind kind;
      const char   *actor;
      const char   *detail;
      const char   *text;
    } lines[] = {
      { CD_HISTORY_SECOND_OPENED, "Liu Yang", "Still cold", "Sat 02:14 · owner: Liu Yang · Still cold" },
      { CD_HISTORY_SECOND_OVERDUE, "Liu Yang", NULL, "Sat 02:14 · owner: Liu Yang" },
      { CD_HISTORY_CALLBACK_ATTEMPT, "Zhang Min", "", "Sat 02:14 · Zhang Min" },
      { CD_HISTORY_PAUSED, NULL, "Customer away", "Sat 02:14 · Customer away" },
      { CD_HISTORY_RESOLVED, NULL, NULL, "Sat 02:14" },
    };

    for (guint i = 0; i < G_N_ELEMENTS (lines); i++)
      {
        CdHistoryEntry entry = { .at = NOW, .kind = lines[i].kind, .detail = (char *) lines[i].detail };
        g_autofree char *text = cd_callbacks_history_subtitle (&entry, "Sat 02:14", lines[i].actor);

        g_assert_cmpstr (text, ==, lines[i].text);
      }
  }
}

/* The list items ---------------------------------------------------------------- */

typedef struct {
  guint changes;
  guint removed;
  guint added;
} Changes;

static void
items_changed_cb (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  Changes    *changes)
{
  changes->changes++;
  changes->removed += removed;
  changes->added += added;
}

static void
notified_cb (GObject    *object,
             GParamSpec *pspec,
             guint      *count)
{
  (*count)++;
}

static GPtrArray *
pick (GPtrArray *all,
      const int *order)
{
  GPtrArray *picked = g_ptr_array_new ();

  for (guint i = 0; order[i] >= 0; i++)
    g_ptr_array_add (picked, all->pdata[order[i]]);
  return picked;
}

static void
assert_store (GListStore *store,
              GPtrArray  *callbacks,
              const int  *order)
{
  guint n = 0;

  while (order[n] >= 0)
    n++;
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (store)), ==, n);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(CdCallbacksItem) item = g_list_model_get_item (G_LIST_MODEL (store), i);

      g_assert_cmpstr (cd_callbacks_item_get_id (item), ==, cd_record_get_id (callbacks->pdata[order[i]]));
    }
}

static CdCallbacksItem *
item_at (GListStore *store,
         guint       i)
{
  g_autoptr(CdCallbacksItem) item = g_list_model_get_item (G_LIST_MODEL (store), i);

  return item;  /* the store keeps it */
}

static void
test_merge (void)
{
  g_autoptr(GPtrArray) callbacks = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) tickets = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GListStore) store = g_list_store_new (CD_TYPE_CALLBACKS_ITEM);
  static const int first[] = { 0, 1, 2, 3, -1 };
  static const int less[] = { 0, 2, 3, -1 };
  static const int more[] = { 0, 4, 2, 3, 5, -1 };
  static const int reordered[] = { 5, 3, 2, 4, 0, -1 };
  Changes changes = { 0 };
  CdCallbacksItem *kept;
  guint notified = 0;

  for (guint i = 0; i < 6; i++)
    {
      g_autofree char *number = g_strdup_printf ("HT-%04u", i);
      CdTicket *t = make_ticket (number, CD_CATEGORY_NO_HEAT, FALSE, 0);

      g_ptr_array_add (tickets, t);
      g_ptr_array_add (callbacks, make_callback (t, 0, NOW + i));
    }
  g_signal_connect (store, "items-changed", G_CALLBACK (items_changed_cb), &changes);

  /* The first load is one change. */
  {
    g_autoptr(GPtrArray) c = pick (callbacks, first);
    g_autoptr(GPtrArray) t = pick (tickets, first);

    g_assert_true (cd_callbacks_merge (store, c, t));
  }
  assert_store (store, callbacks, first);
  g_assert_cmpuint (changes.changes, ==, 1);
  /* Items hold copies: the caller's objects are never changed. */
  g_assert_false (cd_callbacks_item_get_callback (item_at (store, 0)) == callbacks->pdata[0]);
  g_assert_cmpstr (cd_callbacks_item_get_ticket (item_at (store, 0))->number, ==, "HT-0000");
  kept = item_at (store, 2);
  g_signal_connect (kept, "notify::callback", G_CALLBACK (notified_cb), &notified);

  /* The same again: nothing changes, nothing notifies. */
  changes = (Changes) { 0 };
  {
    g_autoptr(GPtrArray) c = pick (callbacks, first);
    g_autoptr(GPtrArray) t = pick (tickets, first);

    g_assert_false (cd_callbacks_merge (store, c, t));
  }
  g_assert_cmpuint (changes.changes, ==, 0);
  g_assert_cmpuint (notified, ==, 0);

  /* One leaves; the others stay the same objects. */
  {
    g_autoptr(GPtrArray) c = pick (callbacks, less);
    g_autoptr(GPtrArray) t = pick (tickets, less);

    g_assert_true (cd_callbacks_merge (store, c, t));
  }
  assert_store (store, callbacks, less);
  g_assert_cmpuint (changes.removed, ==, 1);
  g_assert_cmpuint (changes.added, ==, 0);
  g_assert_true (item_at (store, 1) == kept);

  /* Two arrive, one in the middle; a kept one changed is updated in place. */
  changes = (Changes) { 0 };
  g_ptr_array_add (((CdCallback *) callbacks->pdata[2])->attempts,
                   cd_callback_attempt_new (NOW, "agent", CD_CALLBACK_OUTCOME_NO_ANSWER, NULL));
  {
    g_autoptr(GPtrArray) c = pick (callbacks, more);
    g_autoptr(GPtrArray) t = pick (tickets, more);

    g_assert_true (cd_callbacks_merge (store, c, t));
  }
  assert_store (store, callbacks, more);
  g_assert_cmpuint (changes.removed, ==, 0);
  g_assert_cmpuint (changes.added, ==, 2);
  g_assert_true (item_at (store, 2) == kept);
  g_assert_cmpuint (notified, ==, 1);
  g_assert_cmpuint (cd_callback_count_failed_attempts (cd_callbacks_item_get_callback (kept)), ==, 1);
  g_assert_cmpuint (cd_callbacks_find (G_LIST_MODEL (store), cd_record_get_id (callbacks->pdata[4])), ==, 1);
  g_assert_cmpuint (cd_callbacks_find (G_LIST_MODEL (store), cd_record_get_id (callbacks->pdata[1])), ==, G_MAXUINT);

  /* Another order (a different sort): rebuilt, with the same objects. */
  {
    g_autoptr(GPtrArray) c = pick (callbacks, reordered);
    g_autoptr(GPtrArray) t = pick (tickets, reordered);

    g_assert_true (cd_callbacks_merge (store, c, t));
  }
  assert_store (store, callbacks, reordered);
  g_assert_true (item_at (store, 2) == kept);

  /* A ticket that is gone from the read leaves the item without one. */
  {
    static const int one[] = { 2, -1 };
    g_autoptr(GPtrArray) c = pick (callbacks, one);
    g_autoptr(GPtrArray) t = g_ptr_array_new ();

    g_ptr_array_add (t, NULL);
    cd_callbacks_merge (store, c, t);
    g_assert_true (item_at (store, 0) == kept);
    g_assert_null (cd_callbacks_item_get_ticket (kept));
  }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  cd_model_init ();

  g_test_add_func ("/callbacks/logic/fields", test_fields);
  g_test_add_func ("/callbacks/logic/build-args", test_build_args);
  g_test_add_func ("/callbacks/logic/too-long", test_too_long);
  g_test_add_func ("/callbacks/logic/apply-as-predicted", test_args_apply_as_predicted);
  g_test_add_func ("/callbacks/logic/close-args", test_close_args);
  g_test_add_func ("/callbacks/logic/roles", test_roles);
  g_test_add_func ("/callbacks/logic/first-page", test_first_page_and_options);
  g_test_add_func ("/callbacks/logic/agent-queue", test_agent_queue);
  g_test_add_func ("/callbacks/logic/marks", test_marks);
  g_test_add_func ("/callbacks/logic/deadline", test_deadline_state);
  g_test_add_func ("/callbacks/logic/format-due", test_format_due);
  g_test_add_func ("/callbacks/logic/messages", test_messages);
  g_test_add_func ("/callbacks/logic/history", test_history_words);
  g_test_add_func ("/callbacks/logic/merge", test_merge);

  return g_test_run ();
}
