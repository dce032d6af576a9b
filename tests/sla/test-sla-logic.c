/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-sla-logic.c: the time-limits view's decisions and row items,
 * without a display: when to evaluate, which crossings into red are news
 * and what the notice says, escalations and acknowledgements, the pause
 * reason, the row diff, and items that notify only on change. Tickets
 * are built in memory with the default policies at a fixed moment. */
#include "config.h"

#include <string.h>

#include "cd-model.h"
#include "cd-sla-logic.h"
#include "cd-sla-timer-item.h"

/* 2026-01-15 10:00:00 UTC, a Thursday; the tickets use 24×7 calendars. */
#define NOW ((gint64) 1768471200)

static CdSlaPolicySet *policies;

static CdTicket *
make_ticket (const char *number,
             CdCategory  category,
             CdUrgency   urgency,
             const char *area,
             const char *crew_id,
             gint64      age_s)
{
  CdTicket *t = cd_ticket_new ();
  g_autofree char *id = g_uuid_string_random ();
  CdSlaPolicy *policy;

  cd_record_set_id (CD_RECORD (t), id);
  t->number = g_strdup (number);
  t->category = category;
  t->urgency = urgency;
  if (!cd_category_get_utility (category, &t->utility))
    t->utility = CD_UTILITY_HEAT;
  t->status = crew_id != NULL ? CD_TICKET_STATUS_ASSIGNED : CD_TICKET_STATUS_NEW;
  t->area = g_strdup (area);
  t->area_class = CD_AREA_CLASS_URBAN;
  t->crew_id = g_strdup (crew_id);
  t->created_at = NOW - age_s;
  t->updated_at = t->created_at;
  policy = cd_sla_policy_set_lookup (policies, category, urgency, CD_AREA_CLASS_URBAN);
  g_assert_nonnull (policy);
  cd_sla_apply_policy (t, policy, cd_sla_policy_set_get_calendar (policies, policy->calendar));
  return t;
}

static const char *
id_of (CdTicket *t)
{
  return cd_record_get_id (CD_RECORD (t));
}

static void
assert_contains (const char *haystack,
                 const char *needle)
{
  if (haystack == NULL || strstr (haystack, needle) == NULL)
    g_error ("“%s” does not contain “%s”", haystack ? haystack : "(null)", needle);
}

/* The clock ----------------------------------------------------------------------- */

static void
test_should_evaluate (void)
{
  static const struct {
    gint64   last, next, now;
    gboolean expected;
  } cases[] = {
    { 100, 160, 100, FALSE },  /* just evaluated */
    { 100, 160, 159, FALSE },  /* nothing shown changes yet */
    { 100, 160, 160, TRUE },   /* the minute turns */
    { 100, 160, 9000, TRUE },  /* woke from a long suspend */
    { 100, 0, 5000, FALSE },   /* nothing would change (no timers, or all paused) */
    { 100, 160, 99, TRUE },    /* the server offset moved the clock back */
    { 100, 0, 40, TRUE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_test_message ("case %u", i);
      g_assert_cmpint (cd_sla_should_evaluate (cases[i].last, cases[i].next, cases[i].now), ==, cases[i].expected);
    }
}

/* Crossings and notices --------------------------------------------------------------- */

typedef struct {
  GPtrArray *tickets;
  CdTicket  *leak;       /* emergency, 15 min old: first response overdue 5 min */
  CdTicket  *heat_amber; /* urgent, 25 min old: first response 5 of 30 min left */
  CdTicket  *heat_green; /* urgent, 5 min old: everything on time */
  CdTicket  *burst;      /* emergency, 50 min old: first response and on site overdue */
} World;

static void
world_init (World *w)
{
  w->tickets = g_ptr_array_new_with_free_func (g_object_unref);
  w->leak = make_ticket ("HT-0001", CD_CATEGORY_LEAK, CD_URGENCY_EMERGENCY, "eastbank", "crew-a", 15 * 60);
  w->heat_amber = make_ticket ("HT-0002", CD_CATEGORY_NO_HEAT, CD_URGENCY_URGENT, "market", NULL, 25 * 60);
  w->heat_green = make_ticket ("HT-0003", CD_CATEGORY_NO_HEAT, CD_URGENCY_URGENT, NULL, "crew-b", 5 * 60);
  w->burst = make_ticket ("HT-0004", CD_CATEGORY_BURST_PIPE, CD_URGENCY_EMERGENCY, "market", "crew-a", 50 * 60);
  g_ptr_array_add (w->tickets, w->leak);
  g_ptr_array_add (w->tickets, w->heat_amber);
  g_ptr_array_add (w->tickets, w->heat_green);
  g_ptr_array_add (w->tickets, w->burst);
}

static void
world_clear (World *w)
{
  g_clear_pointer (&w->tickets, g_ptr_array_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (World, world_clear)

static void
test_crossings (void)
{
  g_auto(World) w = { 0 };
  g_autoptr(GHashTable) notified = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GArray) crossed = NULL;
  g_autoptr(GArray) again = NULL;
  g_autoptr(GArray) timers = NULL;
  g_autoptr(GPtrArray) fewer = NULL;

  world_init (&w);

  /* Over the last ten minutes: the leak's first response (due 5 min ago)
   * and the burst pipe's on site (due 5 min ago); not the burst pipe's
   * first response (due 40 min ago). */
  crossed = cd_timers_crossed_red (w.tickets, policies, NOW - 600, NOW);
  g_assert_cmpuint (crossed->len, ==, 2);
  g_assert_cmpuint (cd_sla_take_new_crossings (notified, crossed), ==, 2);
  g_assert_cmpuint (g_hash_table_size (notified), ==, 2);

  /* The same crossings seen again (the clock went back and forth): nothing new. */
  again = cd_timers_crossed_red (w.tickets, policies, NOW - 300, NOW);
  g_assert_cmpuint (again->len, ==, 2);
  g_assert_cmpuint (cd_sla_take_new_crossings (notified, again), ==, 0);
  g_assert_cmpuint (again->len, ==, 0);

  /* Once the leak is closed, its key is forgotten, the other stays. */
  fewer = g_ptr_array_new_with_free_func (g_object_unref);
  g_ptr_array_add (fewer, g_object_ref (w.burst));
  timers = cd_timers_collect (fewer, policies, NOW);
  cd_sla_forget_notified (notified, timers);
  g_assert_cmpuint (g_hash_table_size (notified), ==, 1);
  {
    g_autofree char *key = g_strdup_printf ("%s/on-site", id_of (w.burst));

    g_assert_true (g_hash_table_contains (notified, key));
  }
}

static void
test_red_notice (void)
{
  g_auto(World) w = { 0 };
  g_autoptr(GHashTable) crews = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GArray) none = NULL;
  g_autoptr(GArray) one = NULL;
  g_autoptr(GArray) two = NULL;
  g_autoptr(GArray) many = NULL;
  g_autoptr(GPtrArray) more = NULL;
  char *title = NULL, *body = NULL;

  world_init (&w);
  g_hash_table_insert (crews, (gpointer) "crew-a", (gpointer) "Heat North");

  /* Nothing crossed: no notice, nothing set. */
  none = cd_timers_crossed_red (w.tickets, policies, NOW - 60, NOW);
  g_assert_cmpuint (none->len, ==, 0);
  g_assert_false (cd_sla_red_notice (none, crews, NOW, &title, &body));
  g_assert_null (title);
  g_assert_null (body);

  /* One: the ticket, which limit, when, where and who. */
  one = cd_timers_crossed_red (w.tickets, policies, NOW - 400, NOW - 200);
  g_assert_cmpuint (one->len, ==, 2);
  g_array_remove_index (one, 1);
  g_assert_true (cd_sla_red_notice (one, crews, NOW, &title, &body));
  g_assert_cmpstr (title, ==, "Ticket HT-0001 Is Overdue");
  assert_contains (body, "First response was due at");
  assert_contains (body, "Leak");
  assert_contains (body, "Eastbank");
  assert_contains (body, "Heat North");
  g_clear_pointer (&title, g_free);
  g_clear_pointer (&body, g_free);

  /* Two, as after a suspend: one notice for both, the most overdue first
   * (here equally overdue: by number). */
  two = cd_timers_crossed_red (w.tickets, policies, NOW - 600, NOW);
  g_assert_true (cd_sla_red_notice (two, crews, NOW, &title, &body));
  g_assert_cmpstr (title, ==, "2 Time Limits Missed");
  g_assert_cmpstr (body, ==, "HT-0001 (First response), HT-0004 (On site)");
  g_clear_pointer (&title, g_free);
  g_clear_pointer (&body, g_free);

  /* Many tickets: three named, the rest counted. */
  more = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < 5; i++)
    {
      g_autofree char *number = g_strdup_printf ("PW-%04u", i + 1);

      g_ptr_array_add (more, make_ticket (number, CD_CATEGORY_POWER_OUTAGE, CD_URGENCY_EMERGENCY, "eastbank", NULL,
                                          11 * 60 + i));
    }
  many = cd_timers_crossed_red (more, policies, NOW - 600, NOW);
  g_assert_cmpuint (many->len, ==, 5);
  g_assert_true (cd_sla_red_notice (many, NULL, NOW, &title, &body));
  g_assert_cmpstr (title, ==, "5 Time Limits Missed");
  g_assert_cmpstr (body, ==, "PW-0005 (First response), PW-0004 (First response), PW-0003 (First response) "
                             "and 2 more tickets");
  g_free (title);
  g_free (body);
}

static void
test_role_is_notified (void)
{
  static const struct {
    CdRole   role;
    gboolean expected;
  } cases[] = {
    { CD_ROLE_SUPERVISOR, TRUE },
    { CD_ROLE_DISPATCHER, FALSE },
    { CD_ROLE_CALLBACK_AGENT, FALSE },
    { CD_ROLE_MANAGER, FALSE },
    { CD_ROLE_ADMIN, FALSE },
    { CD_ROLE_CREW_DEVICE, FALSE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    g_assert_cmpint (cd_sla_role_is_notified (cases[i].role), ==, cases[i].expected);
}

/* Escalations ----------------------------------------------------------------------------- */

static void
test_levels (void)
{
  static const struct {
    const char *text;
    gboolean    valid;
    CdSlaState  level;
  } cases[] = {
    { "amber", TRUE, CD_SLA_STATE_AMBER },
    { "red", TRUE, CD_SLA_STATE_RED },
    { "green", FALSE, 0 },
    { "Red", FALSE, 0 },
    { "", FALSE, 0 },
    { NULL, FALSE, 0 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      CdSlaState level = CD_SLA_STATE_NONE;

      g_assert_cmpint (cd_sla_level_from_string (cases[i].text, &level), ==, cases[i].valid);
      if (cases[i].valid)
        {
          g_assert_cmpint (level, ==, cases[i].level);
          g_assert_cmpstr (cd_sla_level_to_string (level), ==, cases[i].text);
        }
    }
  g_assert_null (cd_sla_level_to_string (CD_SLA_STATE_GREEN));
  g_assert_null (cd_sla_level_to_string (CD_SLA_STATE_MET));
}

static void
acknowledge (CdTicket   *ticket,
             CdSlaState  level)
{
  if (ticket->acknowledgements == NULL)
    ticket->acknowledgements = g_ptr_array_new_with_free_func (g_object_unref);
  g_ptr_array_add (ticket->acknowledgements, cd_sla_ack_new (level, "s1", NOW - 60, NULL));
}

static void
test_acknowledgement (void)
{
  /* What the ticket holds, and what each level asks for. */
  static const struct {
    gboolean   amber, red;        /* acknowledged on the ticket */
    CdSlaState asked;
    gint       found;             /* -1 none, else the level found */
  } cases[] = {
    { FALSE, FALSE, CD_SLA_STATE_AMBER, -1 },
    { FALSE, FALSE, CD_SLA_STATE_RED, -1 },
    { TRUE, FALSE, CD_SLA_STATE_AMBER, CD_SLA_STATE_AMBER },
    { TRUE, FALSE, CD_SLA_STATE_RED, -1 },              /* amber does not cover red */
    { FALSE, TRUE, CD_SLA_STATE_AMBER, CD_SLA_STATE_RED }, /* red covers amber */
    { FALSE, TRUE, CD_SLA_STATE_RED, CD_SLA_STATE_RED },
    { TRUE, TRUE, CD_SLA_STATE_AMBER, CD_SLA_STATE_AMBER },
    { TRUE, TRUE, CD_SLA_STATE_GREEN, -1 },
    { TRUE, TRUE, CD_SLA_STATE_NONE, -1 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(CdTicket) t = make_ticket ("HT-0100", CD_CATEGORY_LEAK, CD_URGENCY_EMERGENCY, "eastbank", NULL, 60);
      CdSlaAck *ack;

      g_test_message ("case %u", i);
      if (cases[i].amber)
        acknowledge (t, CD_SLA_STATE_AMBER);
      if (cases[i].red)
        acknowledge (t, CD_SLA_STATE_RED);
      ack = cd_sla_find_acknowledgement (t, cases[i].asked);
      if (cases[i].found < 0)
        g_assert_null (ack);
      else
        {
          g_assert_nonnull (ack);
          g_assert_cmpint (ack->level, ==, cases[i].found);
        }
    }
}

static void
test_escalations (void)
{
  g_auto(World) w = { 0 };
  g_autoptr(GArray) timers = NULL;
  g_autoptr(GArray) first = NULL;
  g_autoptr(GArray) acked = NULL;
  g_autoptr(GArray) amber_acked = NULL;
  const CdSlaEscalation *e;

  world_init (&w);
  timers = cd_timers_collect (w.tickets, policies, NOW);

  /* One per ticket, its worst timer, most urgent first; the green one not. */
  first = cd_sla_escalations (timers);
  g_assert_cmpuint (first->len, ==, 3);
  e = &g_array_index (first, CdSlaEscalation, 0);
  g_assert_true (e->timer.ticket == w.burst);
  g_assert_cmpint (e->timer.kind, ==, CD_SLA_KIND_FIRST_RESPONSE);
  g_assert_cmpint (e->timer.state, ==, CD_SLA_STATE_RED);
  g_assert_cmpuint (e->n_timers, ==, 2);
  g_assert_false (e->acknowledged);
  e = &g_array_index (first, CdSlaEscalation, 1);
  g_assert_true (e->timer.ticket == w.leak);
  g_assert_cmpint (e->timer.state, ==, CD_SLA_STATE_RED);
  g_assert_cmpuint (e->n_timers, ==, 1);
  e = &g_array_index (first, CdSlaEscalation, 2);
  g_assert_true (e->timer.ticket == w.heat_amber);
  g_assert_cmpint (e->timer.state, ==, CD_SLA_STATE_AMBER);

  /* Acknowledged ones go last, in their order. */
  acknowledge (w.burst, CD_SLA_STATE_RED);
  acked = cd_sla_escalations (timers);
  g_assert_cmpuint (acked->len, ==, 3);
  g_assert_true (g_array_index (acked, CdSlaEscalation, 0).timer.ticket == w.leak);
  g_assert_true (g_array_index (acked, CdSlaEscalation, 1).timer.ticket == w.heat_amber);
  g_assert_true (g_array_index (acked, CdSlaEscalation, 2).timer.ticket == w.burst);
  g_assert_true (g_array_index (acked, CdSlaEscalation, 2).acknowledged);

  /* Acknowledged at amber, a red ticket still asks. */
  acknowledge (w.leak, CD_SLA_STATE_AMBER);
  amber_acked = cd_sla_escalations (timers);
  g_assert_true (g_array_index (amber_acked, CdSlaEscalation, 0).timer.ticket == w.leak);
  g_assert_false (g_array_index (amber_acked, CdSlaEscalation, 0).acknowledged);
}

/* Pause and resume ------------------------------------------------------------------------- */

static void
test_reason (void)
{
  g_autofree char *long_ascii = g_strnfill (CD_SLA_REASON_MAX_BYTES + 1, 'x');
  g_autofree char *max_ascii = g_strnfill (CD_SLA_REASON_MAX_BYTES, 'x');
  g_autofree char *padded_max = g_strconcat ("  ", max_ascii, " \n", NULL);
  g_autoptr(GString) chinese = g_string_new (NULL);
  const struct {
    const char       *text;
    CdSlaReasonCheck  expected;
  } cases[] = {
    { NULL, CD_SLA_REASON_EMPTY },
    { "", CD_SLA_REASON_EMPTY },
    { " \t\n ", CD_SLA_REASON_EMPTY },
    { "\xe3\x80\x80", CD_SLA_REASON_EMPTY },         /* an ideographic space */
    { "Customer not at home until 18:00", CD_SLA_REASON_OK },
    { "客户要求改约", CD_SLA_REASON_OK },
    { max_ascii, CD_SLA_REASON_OK },
    { padded_max, CD_SLA_REASON_OK },                /* the blanks are not sent */
    { long_ascii, CD_SLA_REASON_TOO_LONG },
    { NULL, CD_SLA_REASON_TOO_LONG },                /* 167 × 3 bytes, set below */
  };
  guint n = G_N_ELEMENTS (cases);

  for (guint i = 0; i < 167; i++)
    g_string_append (chinese, "等");

  for (guint i = 0; i < n; i++)
    {
      const char *text = i == n - 1 ? chinese->str : cases[i].text;
      const char *problem = "unset";
      g_autoptr(JsonObject) args = NULL;

      g_test_message ("case %u", i);
      g_assert_cmpint (cd_sla_check_reason (text, &problem), ==, cases[i].expected);
      args = cd_sla_pause_args (text);
      if (cases[i].expected == CD_SLA_REASON_OK)
        {
          g_autofree char *stripped = g_strstrip (g_strdup (text));

          g_assert_null (problem);
          g_assert_nonnull (args);
          g_assert_cmpstr (json_object_get_string_member (args, "reason"), ==, stripped);
          g_assert_cmpuint (json_object_get_size (args), ==, 1);
        }
      else
        {
          g_assert_nonnull (problem);
          g_assert_null (args);
        }
    }
}

static void
test_acknowledge_args (void)
{
  g_autoptr(JsonObject) plain = cd_sla_acknowledge_args (CD_SLA_STATE_RED, NULL);
  g_autoptr(JsonObject) blank = cd_sla_acknowledge_args (CD_SLA_STATE_AMBER, "   ");
  g_autoptr(JsonObject) noted = cd_sla_acknowledge_args (CD_SLA_STATE_AMBER, " crew called, 5 min away ");

  g_assert_cmpstr (json_object_get_string_member (plain, "level"), ==, "red");
  g_assert_false (json_object_has_member (plain, "note"));
  g_assert_cmpstr (json_object_get_string_member (blank, "level"), ==, "amber");
  g_assert_false (json_object_has_member (blank, "note"));
  g_assert_cmpstr (json_object_get_string_member (noted, "note"), ==, "crew called, 5 min away");
}

static void
test_open_pause (void)
{
  g_autoptr(CdTicket) t = make_ticket ("HT-0009", CD_CATEGORY_NO_HEAT, CD_URGENCY_URGENT, "eastbank", NULL, 600);
  CdCalendar *calendar = cd_sla_policy_set_get_calendar (policies, t->sla_calendar);
  g_autoptr(GError) error = NULL;

  g_assert_null (cd_sla_open_pause (t));
  g_assert_true (cd_sla_pause (t, calendar, NOW - 300, "customer away", &error));
  g_assert_no_error (error);
  g_assert_nonnull (cd_sla_open_pause (t));
  g_assert_cmpstr (cd_sla_open_pause (t)->reason, ==, "customer away");
  g_assert_true (cd_sla_resume (t, calendar, NOW - 100, &error));
  g_assert_null (cd_sla_open_pause (t));
}

/* Words and rows ------------------------------------------------------------------------------- */

static void
test_words (void)
{
  static const struct {
    guint       red, amber, green, paused;
    const char *expected;
  } counts[] = {
    { 0, 0, 0, 0, "No running time limits" },
    { 2, 1, 5, 0, "2 overdue · 1 at risk · 5 on time" },
    { 0, 0, 7, 0, "7 on time" },
    { 1, 0, 0, 1, "1 overdue · 1 paused" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (counts); i++)
    {
      g_autofree char *text = cd_sla_describe_counts (counts[i].red, counts[i].amber, counts[i].green,
                                                      counts[i].paused);

      g_assert_cmpstr (text, ==, counts[i].expected);
    }

  /* Paused timers count as paused only, so the parts add up. */
  {
    g_auto(World) w = { 0 };
    g_autoptr(GArray) timers = NULL;
    CdCalendar *calendar;
    guint red, amber, green, paused;

    world_init (&w);
    calendar = cd_sla_policy_set_get_calendar (policies, w.leak->sla_calendar);
    g_assert_true (cd_sla_pause (w.leak, calendar, NOW - 60, "customer away", NULL));
    timers = cd_timers_collect (w.tickets, policies, NOW);
    cd_sla_count_states (timers, &red, &amber, &green, &paused);
    /* The leak's three paused; the burst pipe's two red, the other amber
     * ticket's first response, and the rest on time. */
    g_assert_cmpuint (paused, ==, 3);
    g_assert_cmpuint (red, ==, 2);
    g_assert_cmpuint (amber, ==, 1);
    g_assert_cmpuint (red + amber + green + paused, ==, timers->len);
  }

  g_assert_cmpstr (cd_sla_area_name ("eastbank"), ==, "Eastbank");
  g_assert_cmpstr (cd_sla_area_name ("market"), ==, "Market Quarter");
  g_assert_cmpstr (cd_sla_area_name ("nowhere-yet"), ==, "nowhere-yet");
  g_assert_cmpstr (cd_sla_area_name (NULL), ==, "No area");
  g_assert_cmpstr (cd_sla_area_name (""), ==, "No area");
}

static GPtrArray *
keys (const char *spec)
{
  GPtrArray *array = g_ptr_array_new_with_free_func (g_free);
  g_auto(GStrv) parts = g_strsplit (spec, " ", -1);

  for (guint i = 0; parts[i] != NULL; i++)
    if (parts[i][0] != '\0')
      g_ptr_array_add (array, g_strdup (parts[i]));
  return array;
}

static void
test_diff (void)
{
  static const struct {
    const char *old, *new;
    guint       position, removed, added;
  } cases[] = {
    { "a b c", "a b c", 3, 0, 0 },
    { "", "", 0, 0, 0 },
    { "", "a b", 0, 0, 2 },
    { "a b", "", 0, 2, 0 },
    { "a b c", "a c", 1, 1, 0 },       /* one row leaves */
    { "a c", "a b c", 1, 0, 1 },       /* one row arrives */
    { "a b c d", "a c b d", 1, 2, 2 }, /* two rows swap */
    { "a b c", "c a b", 0, 3, 3 },     /* the last moves first */
    { "a b c", "a b c d", 3, 0, 1 },
    { "a a", "a", 1, 1, 0 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GPtrArray) old = keys (cases[i].old);
      g_autoptr(GPtrArray) new = keys (cases[i].new);
      guint position = 99, removed = 99, added = 99;

      g_test_message ("case %u: “%s” → “%s”", i, cases[i].old, cases[i].new);
      cd_sla_diff (old, new, &position, &removed, &added);
      g_assert_cmpuint (position, ==, cases[i].position);
      g_assert_cmpuint (removed, ==, cases[i].removed);
      g_assert_cmpuint (added, ==, cases[i].added);

      /* Applying it gives the new list. */
      g_ptr_array_remove_range (old, position, removed);
      for (guint k = 0; k < added; k++)
        g_ptr_array_insert (old, position + k, g_strdup (g_ptr_array_index (new, position + k)));
      g_assert_cmpuint (old->len, ==, new->len);
      for (guint k = 0; k < new->len; k++)
        g_assert_cmpstr (g_ptr_array_index (old, k), ==, g_ptr_array_index (new, k));
    }
}

static void
count_notify_cb (GObject    *object,
                 GParamSpec *pspec,
                 GPtrArray  *names)
{
  g_ptr_array_add (names, g_strdup (pspec->name));
}

static gboolean
has_name (GPtrArray  *names,
          const char *name)
{
  for (guint i = 0; i < names->len; i++)
    if (g_str_equal (g_ptr_array_index (names, i), name))
      return TRUE;
  return FALSE;
}

static void
test_timer_item (void)
{
  g_autoptr(CdTicket) t = make_ticket ("HT-0042", CD_CATEGORY_NO_HEAT, CD_URGENCY_URGENT, "eastbank", "crew-a",
                                       10 * 60);
  g_autoptr(GPtrArray) tickets = g_ptr_array_new ();
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GArray) at_now = NULL;
  g_autoptr(GArray) later = NULL;
  g_autoptr(GArray) minute = NULL;
  g_autoptr(CdSlaTimerItem) item = NULL;
  g_autofree char *key = NULL;
  const CdTimer *first;

  g_ptr_array_add (tickets, t);
  at_now = cd_timers_collect (tickets, policies, NOW);
  first = &g_array_index (at_now, CdTimer, 0);
  g_assert_cmpint (first->kind, ==, CD_SLA_KIND_FIRST_RESPONSE);
  key = cd_sla_timer_key (first);
  g_assert_true (g_str_has_suffix (key, "/first-response"));

  item = cd_sla_timer_item_new (key);
  cd_sla_timer_item_update (item, first, "Heat North", NOW, FALSE, FALSE, 0);
  g_assert_cmpstr (cd_sla_timer_item_get_key (item), ==, key);
  g_assert_cmpstr (cd_sla_timer_item_get_number (item), ==, "HT-0042");
  g_assert_cmpstr (cd_sla_timer_item_get_countdown (item), ==, "20 min");
  g_assert_cmpstr (cd_sla_timer_item_get_state_label (item), ==, "On time");
  g_assert_cmpint (cd_sla_timer_item_get_state (item), ==, CD_SLA_STATE_GREEN);
  g_assert_true (cd_sla_timer_item_get_ticket (item) == t);
  {
    g_autofree char *area = NULL, *crew = NULL, *kind = NULL;

    g_object_get (item, "area", &area, "crew", &crew, "kind", &kind, NULL);
    g_assert_cmpstr (area, ==, "Eastbank");
    g_assert_cmpstr (crew, ==, "Heat North");
    g_assert_cmpstr (kind, ==, "First response");
  }

  g_signal_connect (item, "notify", G_CALLBACK (count_notify_cb), names);

  /* The same values: no notification at all. */
  cd_sla_timer_item_update (item, first, "Heat North", NOW, FALSE, FALSE, 0);
  g_assert_cmpuint (names->len, ==, 0);

  /* Within the same minute shown: still nothing. */
  later = cd_timers_collect (tickets, policies, NOW + 30);
  cd_sla_timer_item_update (item, &g_array_index (later, CdTimer, 0), "Heat North", NOW + 30, FALSE, FALSE, 0);
  g_assert_cmpuint (names->len, ==, 0);

  /* The minute turns, into amber (7.5 min left of 30): countdown and colour. */
  minute = cd_timers_collect (tickets, policies, NOW + 13 * 60);
  cd_sla_timer_item_update (item, &g_array_index (minute, CdTimer, 0), "Heat North", NOW + 13 * 60, FALSE, FALSE, 0);
  g_assert_true (has_name (names, "countdown"));
  g_assert_true (has_name (names, "state"));
  g_assert_true (has_name (names, "state-label"));
  g_assert_false (has_name (names, "number"));
  g_assert_false (has_name (names, "crew"));
  g_assert_false (has_name (names, "ticket"));
  g_assert_cmpstr (cd_sla_timer_item_get_countdown (item), ==, "7 min");
  g_assert_cmpstr (cd_sla_timer_item_get_state_label (item), ==, "At risk");
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  int ret;

  g_test_init (&argc, &argv, NULL);
  cd_model_init ();
  policies = cd_sla_policy_set_new_default (&error);
  g_assert_no_error (error);

  g_test_add_func ("/sla/logic/should-evaluate", test_should_evaluate);
  g_test_add_func ("/sla/logic/crossings", test_crossings);
  g_test_add_func ("/sla/logic/red-notice", test_red_notice);
  g_test_add_func ("/sla/logic/role-is-notified", test_role_is_notified);
  g_test_add_func ("/sla/logic/levels", test_levels);
  g_test_add_func ("/sla/logic/acknowledgement", test_acknowledgement);
  g_test_add_func ("/sla/logic/escalations", test_escalations);
  g_test_add_func ("/sla/logic/reason", test_reason);
  g_test_add_func ("/sla/logic/acknowledge-args", test_acknowledge_args);
  g_test_add_func ("/sla/logic/open-pause", test_open_pause);
  g_test_add_func ("/sla/logic/words", test_words);
  g_test_add_func ("/sla/logic/diff", test_diff);
  g_test_add_func ("/sla/logic/timer-item", test_timer_item);

  ret = g_test_run ();
  g_object_unref (policies);
  return ret;
}
