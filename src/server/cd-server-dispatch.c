/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-server-dispatch.c: automatic dispatch of new tickets, the periodic
 * batch optimization of unassigned ones, and time-limit escalations.
 *
 * The automatic dispatcher acts through ticket.assign mutations like a
 * person would, under its own actor name, so its assignments carry their
 * score in an assignment event and can be undone or overridden.
 */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "cd-dispatch.h"
#include "cd-server-private.h"

/* A fixed id: the auto-dispatch actor is not a stored user, but its
 * mutations are logged under an id like everyone's. */
#define AUTO_ACTOR_ID "2b8f6c1e-6d4a-4c77-9d57-a1f0e3c5d001"

static CdUser *
auto_actor (CdServer *self)
{
  if (self->auto_actor == NULL)
    self->auto_actor = g_object_new (CD_TYPE_USER, "id", AUTO_ACTOR_ID,
                                     "username", CD_MUTATION_AUTO_DISPATCH_ACTOR,
                                     "display-name", "Automatic dispatch",
                                     "role", CD_ROLE_DISPATCHER, "active", TRUE, NULL);

  return self->auto_actor;
}

static char *
assign (CdServer    *self,
        CdStore     *store,
        const char  *mutation_id,
        CdTicket    *ticket,
        CdCrew      *crew,
        gint64      *rev,
        gboolean    *applied,
        GError     **error)
{
  g_autoptr(JsonObject) args = json_object_new ();
  g_autoptr(CdMutation) m = NULL;

  json_object_set_string_member (args, "crew_id", CD_RECORD (crew)->id);
  json_object_set_string_member (args, "source", "auto");
  json_object_set_boolean_member (args, "pin", FALSE);
  /* Only while nobody has assigned it meanwhile. */
  json_object_set_null_member (args, "expect_crew");
  m = cd_mutation_new (mutation_id, CD_MUTATION_OP_TICKET_ASSIGN, CD_RECORD (ticket)->id, -1, args);

  return cd_server_apply_mutation (self, store, auto_actor (self), m, rev, applied, error);
}

char *
cd_server_auto_dispatch (CdServer    *self,
                         CdStore     *store,
                         CdTicket    *ticket,
                         const char  *cause_id,
                         gint64      *rev,
                         GError     **error)
{
  g_autoptr(GPtrArray) crews = NULL;
  g_autoptr(GArray) ranking = NULL;
  g_autofree char *mutation_id = NULL;
  CdMutationContext ctx;
  CdSlaPolicy *policy;

  policy = cd_sla_policy_set_lookup (self->policies, ticket->category, ticket->urgency, ticket->area_class);
  if (policy == NULL || !policy->auto_dispatch || !cd_dispatch_is_candidate (ticket))
    return NULL;

  cd_mutation_context_init (&ctx, auto_actor (self), cd_server_now (self), self->policies);
  if (!cd_mutation_rank_crews (&ctx, &cd_server_store_world, store, ticket, &crews, &ranking, error))
    return NULL;

  for (guint i = 0; i < ranking->len; i++)
    {
      const CdMatchScore *score = &g_array_index (ranking, CdMatchScore, i);

      if (score->verdict != CD_MATCH_OK)
        break; /* feasible crews come first */

      mutation_id = cd_mutation_derive_id (cause_id, "auto-dispatch");
      return assign (self, store, mutation_id, ticket, g_ptr_array_index (crews, score->crew), rev, NULL, error);
    }

  cd_server_log ("info", "auto-dispatch-none", "ticket=%s reason=\"no feasible crew\"", ticket->number);
  return NULL;
}

/* The batch ---------------------------------------------------------------- */

static void
run_batch (CdServer *self)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) tickets = NULL;
  g_autoptr(GPtrArray) crews = NULL;
  g_autoptr(GPtrArray) eligible = g_ptr_array_new ();
  g_autoptr(GArray) plan = NULL;
  CdMatchParams params;
  double total = 0;
  gint64 rev = 0;
  guint applied = 0;
  CdStore *store;

  cd_match_params_init_default (&params);

  store = cd_server_lock_writer (self);
  if (!cd_store_begin (store, &error))
    goto out;

  tickets = cd_store_list_open_tickets (store, CD_STORE_ANY, NULL, NULL, &error);
  if (tickets != NULL)
    crews = cd_store_list_crews (store, CD_STORE_ANY, &error);
  if (crews == NULL)
    goto rollback;

  /* Only categories whose policy dispatches automatically. */
  for (guint i = 0; i < tickets->len; i++)
    {
      CdTicket *t = g_ptr_array_index (tickets, i);
      CdSlaPolicy *policy = cd_sla_policy_set_lookup (self->policies, t->category, t->urgency, t->area_class);

      if (!cd_dispatch_is_candidate (t) || (policy != NULL && policy->auto_dispatch))
        g_ptr_array_add (eligible, t);
    }

  plan = cd_dispatch_plan (&params, eligible, crews, cd_server_now (self), &total, &error);
  if (plan == NULL)
    goto rollback;

  for (guint i = 0; i < plan->len; i++)
    {
      CdDispatchProposal *p = &g_array_index (plan, CdDispatchProposal, i);
      g_autofree char *mutation_id = g_uuid_string_random ();
      gboolean ok = FALSE;
      g_autofree char *result = assign (self, store, mutation_id, p->ticket, p->crew, &rev, &ok, &error);

      if (result == NULL)
        goto rollback;
      if (ok)
        applied++;
    }

  if (!cd_store_commit (store, &error))
    goto out;
  cd_server_unlock_writer (self);

  if (plan->len > 0)
    cd_server_log ("info", "batch-dispatch", "proposed=%u applied=%u cost=%.1f", plan->len, applied, total);
  if (rev > 0)
    cd_server_changed (self, rev);
  return;

rollback:
  cd_store_rollback (store);
out:
  cd_server_unlock_writer (self);
  if (error)
    cd_server_log ("error", "batch-dispatch", "message=\"%s\"", error->message);
}

/* Escalations -------------------------------------------------------------- */

/* Publishes an "escalation" event when a running timer turns amber or red,
 * unless a supervisor has acknowledged that level on the ticket. States
 * are remembered in memory: after a restart (the first scan comes one
 * interval later, when clients have reconnected) each amber or red timer
 * not acknowledged is announced once more, which a supervisor would
 * rather have than miss. */
static void
scan_escalations (CdServer *self)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) tickets = NULL;
  GHashTable *seen;
  gint64 now = cd_server_now (self);
  CdStore *store = cd_server_acquire_reader (self, &error);

  if (store != NULL)
    tickets = cd_store_list_open_tickets (store, CD_STORE_ANY, NULL, NULL, &error);
  cd_server_release_reader (self, store);
  if (tickets == NULL)
    {
      cd_server_log ("error", "escalation-scan", "message=\"%s\"", error ? error->message : "");
      return;
    }

  /* Only open tickets are remembered: closed ones drop out each scan. */
  seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (guint i = 0; i < tickets->len; i++)
    {
      CdTicket *t = g_ptr_array_index (tickets, i);
      CdCalendar *calendar = cd_sla_policy_set_get_calendar (self->policies, t->sla_calendar);

      for (guint kind = 0; kind < CD_N_SLA_KINDS; kind++)
        {
          g_autofree char *key = g_strdup_printf ("%s/%u", CD_RECORD (t)->id, kind);
          CdSlaStatus status;
          gpointer previous;

          cd_sla_evaluate (t, kind, calendar, now, &status);
          previous = g_hash_table_lookup (self->sla_states, key);
          g_hash_table_replace (seen, g_strdup (key), GINT_TO_POINTER (status.state));
          if (GPOINTER_TO_INT (previous) == (gint) status.state)
            continue;

          /* A level a supervisor acknowledged is not raised again
           * (ticket.acknowledge), after a restart neither. */
          if ((status.state == CD_SLA_STATE_AMBER || status.state == CD_SLA_STATE_RED) &&
              cd_ticket_get_acknowledgement (t, status.state) == NULL)
            {
              g_autofree char *deadline = cd_json_format_time (status.deadline);
              g_autofree char *json = g_strdup_printf ("{\"ticket_id\":\"%s\",\"number\":\"%s\",\"kind\":\"%s\","
                                                       "\"state\":\"%s\",\"deadline\":\"%s\",\"seconds_left\":%"
                                                       G_GINT64_FORMAT "}",
                                                       CD_RECORD (t)->id, t->number, cd_enum_to_nick (CD_TYPE_SLA_KIND, kind),
                                                       cd_enum_to_nick (CD_TYPE_SLA_STATE, status.state), deadline ? deadline : "",
                                                       status.seconds_left);

              cd_events_publish (self->events, "escalation", json);
              cd_server_log ("info", "escalation", "ticket=%s kind=%s state=%s", t->number,
                             cd_enum_to_nick (CD_TYPE_SLA_KIND, kind), cd_enum_to_nick (CD_TYPE_SLA_STATE, status.state));
            }
        }
    }

  g_hash_table_unref (self->sla_states);
  self->sla_states = seen;
}

static gpointer
dispatcher_thread (gpointer data)
{
  CdServer *self = data;
  gint64 next_batch = g_get_monotonic_time () + self->config.batch_interval * G_USEC_PER_SEC;
  /* The first scan one interval after the start, so that after a restart
   * the clients that reconnect hear of every running escalation again. */
  gint64 next_scan = g_get_monotonic_time () + MAX (self->config.escalation_interval, 1) * G_USEC_PER_SEC;

  g_mutex_lock (&self->dispatch_lock);
  while (!self->dispatch_stopping)
    {
      gint64 now = g_get_monotonic_time ();

      if (now >= next_scan)
        {
          g_mutex_unlock (&self->dispatch_lock);
          scan_escalations (self);
          g_mutex_lock (&self->dispatch_lock);
          next_scan = g_get_monotonic_time () + MAX (self->config.escalation_interval, 1) * G_USEC_PER_SEC;
        }
      if (self->config.batch_interval > 0 && now >= next_batch)
        {
          g_mutex_unlock (&self->dispatch_lock);
          run_batch (self);
          g_mutex_lock (&self->dispatch_lock);
          next_batch = g_get_monotonic_time () + self->config.batch_interval * G_USEC_PER_SEC;
        }

      g_cond_wait_until (&self->dispatch_cond, &self->dispatch_lock,
                         self->config.batch_interval > 0 ? MIN (next_scan, next_batch) : next_scan);
    }
  g_mutex_unlock (&self->dispatch_lock);

  return NULL;
}

void
cd_server_dispatch_start (CdServer *self)
{
  self->sla_states = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->dispatch_stopping = FALSE;
  self->dispatcher = g_thread_new ("crewdesk-dispatch", dispatcher_thread, self);
}

void
cd_server_dispatch_stop (CdServer *self)
{
  if (self->dispatcher == NULL)
    return;

  g_mutex_lock (&self->dispatch_lock);
  self->dispatch_stopping = TRUE;
  g_cond_signal (&self->dispatch_cond);
  g_mutex_unlock (&self->dispatch_lock);
  g_thread_join (self->dispatcher);
  self->dispatcher = NULL;
  g_clear_pointer (&self->sla_states, g_hash_table_unref);
}
