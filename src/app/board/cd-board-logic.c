/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <math.h>
#include <string.h>

#include "cd-board-logic.h"
#include "cd-format.h"

struct _CdBoardUndo
{
  gatomicrefcount  ref_count;
  GPtrArray       *moves;    /* of CdBoardMove */
};

G_DEFINE_BOXED_TYPE (CdBoardUndo, cd_board_undo, cd_board_undo_ref, cd_board_undo_unref)

static const char *
ticket_label (CdTicket *ticket)
{
  const char *number = ticket->number;

  return number != NULL && *number != '\0' ? number : cd_record_get_id (CD_RECORD (ticket));
}

static gboolean
has_text (const char *s)
{
  return s != NULL && *s != '\0';
}

/* Drops ------------------------------------------------------------------ */

static guint64
skill_bits (char     **required,
            char     **have,
            gboolean   all)
{
  guint64 bits = 0;

  for (guint i = 0; required != NULL && required[i] != NULL && i < 64; i++)
    if (all || (have != NULL && g_strv_contains ((const char * const *) have, required[i])))
      bits |= G_GUINT64_CONSTANT (1) << i;

  return bits;
}

/* Mirrors matching_build() in cd-mutation.c, for one crew: the same
 * struct the server hands cd_match_check() for this pair. */
void
cd_board_reduce (CdTicket      *ticket,
                 CdCrew        *crew,
                 guint          crew_load,
                 gint64         now,
                 CdMatchTicket *out_ticket,
                 CdMatchCrew   *out_crew)
{
  gboolean has_area;

  g_return_if_fail (CD_IS_TICKET (ticket));
  g_return_if_fail (CD_IS_CREW (crew));
  g_return_if_fail (out_ticket != NULL && out_crew != NULL);

  has_area = has_text (ticket->area);

  memset (out_ticket, 0, sizeof *out_ticket);
  out_ticket->lat = ticket->lat;
  out_ticket->lon = ticket->lon;
  out_ticket->utility = ticket->utility;
  out_ticket->skills_required = skill_bits (ticket->skills, NULL, TRUE);
  out_ticket->urgency = ticket->urgency;
  out_ticket->area = has_area ? 0 : -1;
  out_ticket->pinned = ticket->pinned;
  out_ticket->assigned_crew = -1;

  memset (out_crew, 0, sizeof *out_crew);
  out_crew->lat = crew->position_at != 0 ? crew->lat : NAN;
  out_crew->lon = crew->position_at != 0 ? crew->lon : NAN;
  out_crew->utility = crew->utility;
  out_crew->skills = skill_bits (ticket->skills, crew->skills, FALSE);
  out_crew->on_shift = cd_crew_is_on_shift (crew, now);
  out_crew->capacity = (guint) CLAMP (crew->capacity, 0, G_MAXUINT);
  /* The ticket's own place on its current crew does not count. */
  out_crew->load = crew_load;
  if (g_strcmp0 (ticket->crew_id, cd_record_get_id (CD_RECORD (crew))) == 0 && crew_load > 0)
    out_crew->load--;
  out_crew->areas = has_area && cd_crew_serves_area (crew, ticket->area) ? 1 : 0;
  out_crew->speed_kmh = 0;
}

static char *
missing_skills (CdTicket *ticket,
                CdCrew   *crew)
{
  g_autoptr(GString) list = g_string_new (NULL);

  for (guint i = 0; ticket->skills != NULL && ticket->skills[i] != NULL; i++)
    if (!cd_crew_has_skill (crew, ticket->skills[i]))
      {
        if (list->len > 0)
          g_string_append (list, _(", "));
        /* Translators: a skill's name, quoted in a list */
        g_string_append_printf (list, _("“%s”"), ticket->skills[i]);
      }

  return g_string_free (g_steal_pointer (&list), FALSE);
}

CdBoardDrop
cd_board_check_drop (CdTicket  *ticket,
                     CdCrew    *crew,
                     guint      crew_load,
                     gint64     now,
                     char     **message)
{
  CdMatchTicket mt;
  CdMatchCrew mc;
  CdMatchVerdict verdict;
  const char *crew_id;

  g_return_val_if_fail (CD_IS_TICKET (ticket), CD_BOARD_DROP_REFUSE);
  g_return_val_if_fail (crew == NULL || CD_IS_CREW (crew), CD_BOARD_DROP_REFUSE);

  if (message != NULL)
    *message = NULL;

  crew_id = crew != NULL ? cd_record_get_id (CD_RECORD (crew)) : NULL;
  if (g_strcmp0 (ticket->crew_id, crew_id) == 0)
    return CD_BOARD_DROP_SAME;

  if (!cd_ticket_is_open (ticket))
    {
      if (message != NULL)
        *message = g_strdup_printf (_("Ticket %s is no longer open, so it cannot be assigned."),
                                    ticket_label (ticket));
      return CD_BOARD_DROP_REFUSE;
    }

  if (crew == NULL)
    return CD_BOARD_DROP_ALLOW;

  cd_board_reduce (ticket, crew, crew_load, now, &mt, &mc);
  verdict = cd_match_check (&mt, &mc);

  switch (verdict)
    {
    case CD_MATCH_WRONG_UTILITY:
      if (message != NULL)
        *message = g_strdup_printf (crew->utility == CD_UTILITY_POWER
                                    ? _("%s is a power crew and ticket %s needs a heating crew. Choose a heating crew.")
                                    : _("%s is a heating crew and ticket %s needs a power crew. Choose a power crew."),
                                    crew->name, ticket_label (ticket));
      return CD_BOARD_DROP_REFUSE;

    case CD_MATCH_MISSING_SKILL:
      if (message != NULL)
        {
          g_autofree char *skills = missing_skills (ticket, crew);

          *message = g_strdup_printf (_("%s lacks %s, which ticket %s needs. Choose a crew with that skill."),
                                      crew->name, skills, ticket_label (ticket));
        }
      return CD_BOARD_DROP_REFUSE;

    case CD_MATCH_OFF_SHIFT:
      if (message != NULL)
        *message = g_strdup_printf (_("%s is off shift. Choose a crew on shift."), crew->name);
      return CD_BOARD_DROP_REFUSE;

    case CD_MATCH_FULL:
      /* A dispatcher may overload a crew on purpose; the server warns. */
      if (message != NULL)
        *message = g_strdup_printf (_("%s already carries %u tickets, its full capacity."),
                                    crew->name, mc.load);
      return CD_BOARD_DROP_ALLOW_WARNING;

    case CD_MATCH_NO_POSITION:
      /* Travel cannot be estimated, but a dispatcher knows where crews are. */
    case CD_MATCH_OK:
    default:
      return CD_BOARD_DROP_ALLOW;
    }
}

gboolean
cd_board_drop_is_allowed (CdBoardDrop drop)
{
  return drop == CD_BOARD_DROP_ALLOW || drop == CD_BOARD_DROP_ALLOW_WARNING;
}

/* Proposals and overrides -------------------------------------------------- */

CdCrew *
cd_board_proposal (GPtrArray           *crews,
                   GArray              *ranking,
                   const CdMatchScore **score)
{
  if (score != NULL)
    *score = NULL;

  g_return_val_if_fail (crews != NULL, NULL);
  g_return_val_if_fail (ranking != NULL, NULL);

  for (guint i = 0; i < ranking->len; i++)
    {
      const CdMatchScore *s = &g_array_index (ranking, CdMatchScore, i);

      if (s->verdict != CD_MATCH_OK || s->crew >= crews->len)
        continue;
      if (score != NULL)
        *score = s;
      return g_ptr_array_index (crews, s->crew);
    }

  return NULL;
}

gboolean
cd_board_is_override (const char *proposed_crew_id,
                      const char *target_crew_id)
{
  if (target_crew_id == NULL)
    return FALSE;

  return g_strcmp0 (proposed_crew_id, target_crew_id) != 0;
}

static const char * const reason_codes[CD_BOARD_N_REASONS] = {
  [CD_BOARD_REASON_CUSTOMER_REQUEST] = "customer-request",
  [CD_BOARD_REASON_CREW_NEARBY] = "crew-nearby",
  [CD_BOARD_REASON_SKILLS] = "skills",
  [CD_BOARD_REASON_WORKLOAD] = "workload",
  [CD_BOARD_REASON_OTHER] = "other",
  [CD_BOARD_REASON_ACCEPTED_PLAN] = "accepted-plan",
  [CD_BOARD_REASON_UNDO] = "undo",
};

const char *
cd_board_reason_code (CdBoardReason reason)
{
  g_return_val_if_fail ((guint) reason < CD_BOARD_N_REASONS, NULL);

  return reason_codes[reason];
}

const char *
cd_board_reason_label (CdBoardReason reason)
{
  switch (reason)
    {
    case CD_BOARD_REASON_CUSTOMER_REQUEST:
      return _("Customer request");
    case CD_BOARD_REASON_CREW_NEARBY:
      return _("Crew already nearby");
    case CD_BOARD_REASON_SKILLS:
      return _("Skills");
    case CD_BOARD_REASON_WORKLOAD:
      return _("Workload balance");
    case CD_BOARD_REASON_OTHER:
      return _("Other");
    case CD_BOARD_REASON_ACCEPTED_PLAN:
      return _("Accepted from the automatic plan");
    case CD_BOARD_REASON_UNDO:
      return _("Undone");
    default:
      g_return_val_if_reached (NULL);
    }
}

gboolean
cd_board_reason_is_complete (CdBoardReason  reason,
                             const char    *details)
{
  g_autofree char *stripped = g_strstrip (g_strdup (details != NULL ? details : ""));

  g_return_val_if_fail ((guint) reason < CD_BOARD_N_REASONS, FALSE);

  return reason != CD_BOARD_REASON_OTHER || *stripped != '\0';
}

char *
cd_board_reason_compose (CdBoardReason  reason,
                         const char    *details)
{
  g_autofree char *stripped = g_strstrip (g_strdup (details != NULL ? details : ""));
  g_autofree char *text = NULL;
  const char *end;

  g_return_val_if_fail ((guint) reason < CD_BOARD_N_REASONS, NULL);

  if (*stripped != '\0')
    text = g_strconcat (reason_codes[reason], ": ", stripped, NULL);
  else
    text = g_strdup (reason_codes[reason]);

  if (!g_utf8_validate (text, -1, &end))
    text[end - text] = '\0';
  if (g_utf8_strlen (text, -1) > CD_BOARD_REASON_MAX_CHARS)
    *g_utf8_offset_to_pointer (text, CD_BOARD_REASON_MAX_CHARS) = '\0';

  return g_steal_pointer (&text);
}

char *
cd_board_reason_describe (const char *recorded)
{
  if (recorded == NULL)
    return NULL;

  for (guint i = 0; i < CD_BOARD_N_REASONS; i++)
    {
      gsize len = strlen (reason_codes[i]);

      if (strncmp (recorded, reason_codes[i], len) != 0)
        continue;
      if (recorded[len] == '\0')
        return g_strdup (cd_board_reason_label (i));
      if (recorded[len] == ':' && recorded[len + 1] == ' ')
        /* Translators: an override's reason, then what the dispatcher wrote */
        return g_strdup_printf (_("%s: %s"), cd_board_reason_label (i), recorded + len + 2);
    }

  return g_strdup (recorded);
}

JsonObject *
cd_board_assign_args (const char *crew_id,
                      const char *reason,
                      gboolean    pin,
                      gboolean    expect_crew_set,
                      const char *expect_crew)
{
  JsonObject *args = json_object_new ();

  if (crew_id != NULL)
    json_object_set_string_member (args, "crew_id", crew_id);
  else
    json_object_set_null_member (args, "crew_id");
  if (reason != NULL)
    json_object_set_string_member (args, "reason", reason);
  json_object_set_boolean_member (args, "pin", pin);
  if (expect_crew_set)
    {
      if (expect_crew != NULL)
        json_object_set_string_member (args, "expect_crew", expect_crew);
      else
        json_object_set_null_member (args, "expect_crew");
    }

  return args;
}

/* Moving a group ------------------------------------------------------------ */

static void
plan_item_clear (gpointer data)
{
  CdBoardPlanItem *item = data;

  g_clear_pointer (&item->message, g_free);
}

CdBoardMovePlan *
cd_board_plan_move (GPtrArray          *tickets,
                    CdCrew             *crew,
                    guint               crew_load,
                    const char * const *proposals,
                    gint64              now)
{
  CdBoardMovePlan *plan;
  const char *crew_id;
  guint load = crew_load;

  g_return_val_if_fail (tickets != NULL, NULL);
  g_return_val_if_fail (crew == NULL || CD_IS_CREW (crew), NULL);

  crew_id = crew != NULL ? cd_record_get_id (CD_RECORD (crew)) : NULL;
  plan = g_new0 (CdBoardMovePlan, 1);
  plan->items = g_array_sized_new (FALSE, TRUE, sizeof (CdBoardPlanItem), tickets->len);
  g_array_set_clear_func (plan->items, plan_item_clear);

  for (guint i = 0; i < tickets->len; i++)
    {
      CdBoardPlanItem item = { 0 };

      item.ticket = g_ptr_array_index (tickets, i);
      item.drop = cd_board_check_drop (item.ticket, crew, load, now, &item.message);

      switch (item.drop)
        {
        case CD_BOARD_DROP_ALLOW:
        case CD_BOARD_DROP_ALLOW_WARNING:
          plan->n_move++;
          item.override = cd_board_is_override (proposals != NULL ? proposals[i] : NULL, crew_id);
          if (item.override)
            plan->n_override++;
          /* The next mutation finds this one queued before it. */
          if (crew != NULL)
            load++;
          break;
        case CD_BOARD_DROP_SAME:
          plan->n_same++;
          break;
        case CD_BOARD_DROP_REFUSE:
        default:
          plan->n_refused++;
          break;
        }

      g_array_append_val (plan->items, item);
    }

  return plan;
}

void
cd_board_move_plan_free (CdBoardMovePlan *plan)
{
  if (plan == NULL)
    return;

  g_array_unref (plan->items);
  g_free (plan);
}

const char *
cd_board_move_plan_first_refusal (CdBoardMovePlan *plan)
{
  g_return_val_if_fail (plan != NULL, NULL);

  for (guint i = 0; i < plan->items->len; i++)
    {
      const CdBoardPlanItem *item = &g_array_index (plan->items, CdBoardPlanItem, i);

      if (item->drop == CD_BOARD_DROP_REFUSE)
        return item->message;
    }

  return NULL;
}

/* Undo ------------------------------------------------------------------------ */

static void
move_free (gpointer data)
{
  CdBoardMove *move = data;

  g_free (move->ticket_id);
  g_free (move->number);
  g_free (move->from_crew);
  g_free (move->to_crew);
  g_free (move);
}

CdBoardUndo *
cd_board_undo_new (void)
{
  CdBoardUndo *self = g_new0 (CdBoardUndo, 1);

  g_atomic_ref_count_init (&self->ref_count);
  self->moves = g_ptr_array_new_with_free_func (move_free);

  return self;
}

CdBoardUndo *
cd_board_undo_ref (CdBoardUndo *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

void
cd_board_undo_unref (CdBoardUndo *self)
{
  g_return_if_fail (self != NULL);

  if (g_atomic_ref_count_dec (&self->ref_count))
    {
      g_ptr_array_unref (self->moves);
      g_free (self);
    }
}

void
cd_board_undo_add (CdBoardUndo *self,
                   CdTicket    *ticket,
                   const char  *to_crew)
{
  CdBoardMove *move;

  g_return_if_fail (self != NULL);
  g_return_if_fail (CD_IS_TICKET (ticket));

  move = g_new0 (CdBoardMove, 1);
  move->ticket_id = g_strdup (cd_record_get_id (CD_RECORD (ticket)));
  move->number = g_strdup (ticket_label (ticket));
  move->from_crew = g_strdup (ticket->crew_id);
  move->to_crew = g_strdup (to_crew);
  move->was_pinned = ticket->pinned;
  g_ptr_array_add (self->moves, move);
}

void
cd_board_undo_remove_last (CdBoardUndo *self)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (self->moves->len > 0);

  g_ptr_array_remove_index (self->moves, self->moves->len - 1);
}

guint
cd_board_undo_get_n_moves (CdBoardUndo *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->moves->len;
}

const CdBoardMove *
cd_board_undo_get_move (CdBoardUndo *self,
                        guint        index)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (index < self->moves->len, NULL);

  return g_ptr_array_index (self->moves, index);
}

JsonObject *
cd_board_undo_args (const CdBoardMove *move)
{
  g_return_val_if_fail (move != NULL, NULL);

  return cd_board_assign_args (move->from_crew, cd_board_reason_code (CD_BOARD_REASON_UNDO),
                               move->was_pinned, TRUE, move->to_crew);
}

char *
cd_board_undo_describe (CdBoardUndo *self,
                        const char  *crew_name)
{
  const CdBoardMove *first;
  gboolean one_target = TRUE;
  guint n;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (self->moves->len > 0, NULL);

  n = self->moves->len;
  first = g_ptr_array_index (self->moves, 0);
  for (guint i = 1; i < n; i++)
    if (g_strcmp0 (((CdBoardMove *) g_ptr_array_index (self->moves, i))->to_crew, first->to_crew) != 0)
      one_target = FALSE;

  if (!one_target || (first->to_crew != NULL && crew_name == NULL))
    {
      gboolean all_assigned = TRUE;

      for (guint i = 0; i < n; i++)
        {
          const CdBoardMove *move = g_ptr_array_index (self->moves, i);

          if (move->from_crew != NULL || move->to_crew == NULL)
            all_assigned = FALSE;
        }
      if (n == 1)
        return g_strdup_printf (_("Ticket %s moved"), first->number);
      /* The automatic plan: from the Unassigned column to several crews. */
      if (all_assigned)
        return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u ticket assigned", "%u tickets assigned", n), n);
      return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u ticket moved", "%u tickets moved", n), n);
    }

  if (first->to_crew == NULL)
    {
      if (n == 1)
        return g_strdup_printf (_("Ticket %s unassigned"), first->number);
      return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u ticket unassigned", "%u tickets unassigned", n), n);
    }

  if (n == 1)
    return g_strdup_printf (_("Ticket %s assigned to %s"), first->number, crew_name);
  return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u ticket assigned to %s", "%u tickets assigned to %s", n),
                          n, crew_name);
}

/* Times on cards and columns ---------------------------------------------- */

gboolean
cd_board_next_sla_kind (CdTicket  *ticket,
                        CdSlaKind *kind)
{
  gint64 next = 0;
  gint found = -1;

  g_return_val_if_fail (CD_IS_TICKET (ticket), FALSE);

  if (!cd_ticket_is_open (ticket))
    return FALSE;

  for (guint k = 0; k < CD_N_SLA_KINDS; k++)
    {
      gint64 due = cd_sla_get_due (ticket, k);

      if (cd_sla_get_limit_min (ticket, k) <= 0 || due == 0 || cd_sla_get_reached_at (ticket, k) != 0)
        continue;
      if (found < 0 || due < next)
        {
          next = due;
          found = (gint) k;
        }
    }

  if (found < 0)
    return FALSE;
  if (kind != NULL)
    *kind = found;
  return TRUE;
}

static gint
compare_next (CdTicket *a,
              CdTicket *b)
{
  gint64 da = cd_sla_next_deadline (a);
  gint64 db = cd_sla_next_deadline (b);

  /* A ticket without a running limit goes after those with one. */
  if (da != db)
    {
      if (da == 0)
        return 1;
      if (db == 0)
        return -1;
      return da < db ? -1 : 1;
    }

  return 0;
}

CdTicket *
cd_board_next_ticket (GPtrArray *tickets)
{
  CdTicket *best = NULL;

  g_return_val_if_fail (tickets != NULL, NULL);

  for (guint i = 0; i < tickets->len; i++)
    {
      CdTicket *t = g_ptr_array_index (tickets, i);
      gint c;

      if (t->status != CD_TICKET_STATUS_ASSIGNED && t->status != CD_TICKET_STATUS_CONTACTED &&
          t->status != CD_TICKET_STATUS_EN_ROUTE)
        continue;
      if (best == NULL)
        {
          best = t;
          continue;
        }

      if (t->urgency != best->urgency)
        c = t->urgency > best->urgency ? -1 : 1;
      else if ((c = compare_next (t, best)) == 0 && t->created_at != best->created_at)
        c = t->created_at < best->created_at ? -1 : 1;
      if (c < 0)
        best = t;
    }

  return best;
}

double
cd_board_travel_minutes (const CdMatchParams *params,
                         CdTicket            *ticket,
                         CdCrew              *crew)
{
  CdMatchTicket mt;
  CdMatchCrew mc;
  CdMatchScore score;

  g_return_val_if_fail (params != NULL, NAN);
  g_return_val_if_fail (CD_IS_TICKET (ticket) && CD_IS_CREW (crew), NAN);

  cd_board_reduce (ticket, crew, 0, 0, &mt, &mc);
  /* The client does not know the per-area detours: the default one. */
  mt.area = -1;
  cd_match_score (params, &mt, &mc, 0, &score);

  return score.travel_min;
}

char *
cd_board_describe_eta (const CdMatchParams *params,
                       CdCrew              *crew,
                       CdTicket            *next,
                       gint64               now)
{
  g_autofree char *age = NULL;

  g_return_val_if_fail (params != NULL, NULL);
  g_return_val_if_fail (CD_IS_CREW (crew), NULL);

  if (next != NULL)
    {
      double minutes = cd_board_travel_minutes (params, next, crew);
      g_autofree char *travel = NULL;

      if (isfinite (minutes) && minutes >= 0)
        {
          travel = cd_format_countdown ((gint64) ceil (minutes * 60));
        /* Translators: a crew's estimated travel time to its next ticket, "12 min to HT-1" */
          return g_strdup_printf (_("%s to %s"), travel, ticket_label (next));
        }
    }

  if (crew->position_at == 0)
    return g_strdup (_("No position yet"));
  if (now - crew->position_at < 60)
    return g_strdup (_("Position just updated"));

  age = cd_format_countdown (now - crew->position_at);
  /* Translators: how old a crew's last reported position is, "Position 3 min old" */
  return g_strdup_printf (_("Position %s old"), age);
}

gint
cd_board_compare_tickets (CdTicket *a,
                          CdTicket *b)
{
  gint c;

  if (a->urgency != b->urgency)
    return a->urgency > b->urgency ? -1 : 1;
  if ((c = compare_next (a, b)) != 0)
    return c;
  if ((c = g_strcmp0 (a->number, b->number)) != 0)
    return c;
  return g_strcmp0 (cd_record_get_id (CD_RECORD (a)), cd_record_get_id (CD_RECORD (b)));
}
