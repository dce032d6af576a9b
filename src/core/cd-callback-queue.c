/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-callback-queue.c: the callback agent's queue, the manager's review of
 * second handling, and one ticket's history, as plain data. */
#include "config.h"

#include <string.h>

#include "cd-callback-queue.h"
#include "cd-report.h"

/* Helpers ----------------------------------------------------------------- */

static void
queue_item_clear (gpointer data)
{
  CdCallbackQueueItem *item = data;

  g_clear_object (&item->callback);
  g_clear_object (&item->ticket);
}

static void
review_item_clear (gpointer data)
{
  CdReviewItem *item = data;

  g_clear_object (&item->callback);
  g_clear_object (&item->ticket);
  g_clear_pointer (&item->owner, g_free);
}

static void
history_entry_clear (gpointer data)
{
  CdHistoryEntry *entry = data;

  g_clear_object (&entry->record);
  g_clear_pointer (&entry->actor, g_free);
  g_clear_pointer (&entry->detail, g_free);
}

/* id -> CdTicket (borrowed) */
static GHashTable *
index_tickets (GPtrArray *tickets)
{
  GHashTable *by_id = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint i = 0; tickets != NULL && i < tickets->len; i++)
    {
      CdTicket *ticket = g_ptr_array_index (tickets, i);
      const char *id = CD_RECORD (ticket)->id;

      if (id != NULL)
        g_hash_table_insert (by_id, (gpointer) id, ticket);
    }

  return by_id;
}

static CdTicket *
lookup_ticket (GHashTable *by_id,
               const char *id)
{
  CdTicket *ticket = id != NULL ? g_hash_table_lookup (by_id, id) : NULL;

  return ticket != NULL ? g_object_ref (ticket) : NULL;
}

static gint
compare_i64 (gint64 a,
             gint64 b)
{
  return (a > b) - (a < b);
}

/* Ties end on the ticket number and the callback's id, so every screen
 * shows the same order. */
static gint
compare_tail (CdCallback *a,
              CdTicket   *ta,
              CdCallback *b,
              CdTicket   *tb)
{
  gint cmp = g_strcmp0 (ta ? ta->number : NULL, tb ? tb->number : NULL);

  if (cmp != 0)
    return cmp;
  return g_strcmp0 (CD_RECORD (a)->id, CD_RECORD (b)->id);
}

static gint
compare_queue_due_cb (gconstpointer a,
                      gconstpointer b)
{
  return cd_callback_queue_compare (a, b, CD_CALLBACK_QUEUE_SORT_DUE);
}

static gint
compare_queue_priority_cb (gconstpointer a,
                           gconstpointer b)
{
  return cd_callback_queue_compare (a, b, CD_CALLBACK_QUEUE_SORT_PRIORITY);
}

static gint
compare_review_cb (gconstpointer a,
                   gconstpointer b)
{
  const CdReviewItem *ra = a;
  const CdReviewItem *rb = b;
  gint cmp;

  /* A deadline first, the earliest first; then priority as in the queue. */
  if ((ra->deadline == 0) != (rb->deadline == 0))
    return ra->deadline == 0 ? 1 : -1;
  if ((cmp = compare_i64 (ra->deadline, rb->deadline)) != 0)
    return cmp;
  if ((cmp = compare_i64 (rb->callback->priority, ra->callback->priority)) != 0)
    return cmp;
  return compare_tail (ra->callback, ra->ticket, rb->callback, rb->ticket);
}

/* Public API: the queue --------------------------------------------------- */

void
cd_callback_queue_options_init (CdCallbackQueueOptions *options)
{
  g_return_if_fail (options != NULL);

  memset (options, 0, sizeof *options);
  options->sort = CD_CALLBACK_QUEUE_SORT_DUE;
}

/**
 * cd_callback_queue_compare:
 *
 * The queue's order: pending before unreachable; then by due time (earlier
 * first) and priority (higher first), in the order @sort says; then by
 * ticket number and id.
 */
gint
cd_callback_queue_compare (const CdCallbackQueueItem *a,
                           const CdCallbackQueueItem *b,
                           CdCallbackQueueSort        sort)
{
  gint due, priority;

  g_return_val_if_fail (a != NULL && b != NULL, 0);

  if (a->unreachable != b->unreachable)
    return a->unreachable ? 1 : -1;

  due = compare_i64 (a->due_at, b->due_at);
  priority = compare_i64 (b->callback->priority, a->callback->priority);
  if (sort == CD_CALLBACK_QUEUE_SORT_PRIORITY)
    {
      if (priority != 0)
        return priority;
      if (due != 0)
        return due;
    }
  else
    {
      if (due != 0)
        return due;
      if (priority != 0)
        return priority;
    }

  return compare_tail (a->callback, a->ticket, b->callback, b->ticket);
}

/**
 * cd_callback_queue_build:
 * @callbacks: (element-type CdCallback): callbacks
 * @tickets: (element-type CdTicket) (nullable): their tickets, to show with
 *   them
 * @now: the server's time
 * @options: (nullable): what to include and how to sort; %NULL: the pending
 *   callbacks of every agent, by due time
 *
 * The callbacks still to make: pending ones (neither done, nor in second
 * handling, nor closed), and with @options->include_unreachable the ones
 * whose customer could not be reached (cd_callback_is_unreachable()),
 * after them.
 *
 * Returns: (transfer full) (element-type CdCallbackQueueItem): the queue
 */
GArray *
cd_callback_queue_build (GPtrArray                    *callbacks,
                         GPtrArray                    *tickets,
                         gint64                        now,
                         const CdCallbackQueueOptions *options)
{
  g_autoptr(GHashTable) by_id = NULL;
  CdCallbackQueueOptions defaults;
  GArray *queue;

  g_return_val_if_fail (callbacks != NULL, NULL);

  if (options == NULL)
    {
      cd_callback_queue_options_init (&defaults);
      options = &defaults;
    }

  by_id = index_tickets (tickets);
  queue = g_array_new (FALSE, TRUE, sizeof (CdCallbackQueueItem));
  g_array_set_clear_func (queue, queue_item_clear);

  for (guint i = 0; i < callbacks->len; i++)
    {
      CdCallback *callback = g_ptr_array_index (callbacks, i);
      CdCallbackQueueItem item = { 0 };
      gboolean unreachable = cd_callback_is_unreachable (callback);

      if (unreachable ? !options->include_unreachable
                      : callback->status != CD_CALLBACK_STATUS_PENDING)
        continue;
      if (options->due_before != 0 && callback->due_at >= options->due_before)
        continue;
      if (options->agent != NULL && callback->agent != NULL &&
          strcmp (options->agent, callback->agent) != 0)
        continue;

      item.callback = g_object_ref (callback);
      item.ticket = lookup_ticket (by_id, callback->ticket_id);
      item.due_at = callback->due_at;
      item.seconds_left = callback->due_at - now;
      item.overdue = now > callback->due_at;
      item.failed_attempts = cd_callback_count_failed_attempts (callback);
      item.attempts_left = cd_callback_attempts_left (callback);
      item.unreachable = unreachable;
      g_array_append_val (queue, item);
    }

  g_array_sort (queue, options->sort == CD_CALLBACK_QUEUE_SORT_PRIORITY ? compare_queue_priority_cb
                                                                       : compare_queue_due_cb);
  return queue;
}

/* Public API: the review -------------------------------------------------- */

/**
 * cd_callback_review_list:
 * @callbacks: (element-type CdCallback): callbacks
 * @tickets: (element-type CdTicket) (nullable): their tickets
 * @now: the server's time
 *
 * Every callback in second handling (opened by an unsatisfied or unsolved
 * outcome and not yet closed by a manager), with its owner and deadline,
 * earliest deadline first, so the overdue ones lead.
 *
 * Returns: (transfer full) (element-type CdReviewItem): the list
 */
GArray *
cd_callback_review_list (GPtrArray *callbacks,
                         GPtrArray *tickets,
                         gint64     now)
{
  g_autoptr(GHashTable) by_id = NULL;
  GArray *list;

  g_return_val_if_fail (callbacks != NULL, NULL);

  by_id = index_tickets (tickets);
  list = g_array_new (FALSE, TRUE, sizeof (CdReviewItem));
  g_array_set_clear_func (list, review_item_clear);

  for (guint i = 0; i < callbacks->len; i++)
    {
      CdCallback *callback = g_ptr_array_index (callbacks, i);
      CdReviewItem item = { 0 };

      if (callback->status != CD_CALLBACK_STATUS_SECOND_HANDLING)
        continue;

      item.callback = g_object_ref (callback);
      item.ticket = lookup_ticket (by_id, callback->ticket_id);
      item.owner = g_strdup (callback->second_owner);
      item.deadline = callback->second_deadline;
      item.seconds_left = item.deadline != 0 ? item.deadline - now : 0;
      item.overdue = item.deadline != 0 && now > item.deadline;
      item.unsatisfied = callback->satisfaction == CD_SATISFACTION_UNSATISFIED;
      item.unsolved = !callback->solved;
      g_array_append_val (list, item);
    }

  g_array_sort (list, compare_review_cb);
  return list;
}

/* Public API: the history ------------------------------------------------- */

typedef struct {
  GArray *entries; /* of CdHistoryEntry */
} History;

static void
history_add (History       *history,
             gint64         at,
             CdHistoryKind  kind,
             gpointer       record,
             const char    *actor,
             const char    *detail)
{
  CdHistoryEntry entry = { 0 };

  if (at == 0)
    return;

  entry.at = at;
  entry.kind = kind;
  entry.record = record != NULL ? g_object_ref (record) : NULL;
  entry.actor = g_strdup (actor);
  entry.detail = g_strdup (detail);
  g_array_append_val (history->entries, entry);
}

static gint
compare_entries_cb (gconstpointer a,
                    gconstpointer b)
{
  const CdHistoryEntry *ea = a;
  const CdHistoryEntry *eb = b;

  if (ea->at != eb->at)
    return ea->at < eb->at ? -1 : 1;
  if (ea->kind != eb->kind)
    return (gint) ea->kind - (gint) eb->kind;
  if (ea->kind == CD_HISTORY_LIMIT_MISSED)
    return (gint) ea->sla_kind - (gint) eb->sla_kind;
  return 0;
}

/**
 * cd_history_build:
 * @ticket: the ticket
 * @events: (element-type CdAssignmentEvent) (nullable): assignment events;
 *   those of other tickets are skipped
 * @callbacks: (element-type CdCallback) (nullable): callbacks; those of
 *   other tickets are skipped
 * @policies: (nullable): for the calendars of the time limits; %NULL
 *   leaves out the missed limits
 * @now: the server's time: limits still running are missed once it is
 *   past their deadline
 *
 * Everything that happened to @ticket, in time order: its own milestones
 * and pauses, every assignment (overrides marked), the time limits it
 * missed (cd_sla_evaluate()), and its callbacks' attempts, second handling
 * and missed deadlines. Entries at the same second keep the order of
 * #CdHistoryKind.
 *
 * Returns: (transfer full) (element-type CdHistoryEntry): the entries
 */
GArray *
cd_history_build (CdTicket       *ticket,
                  GPtrArray      *events,
                  GPtrArray      *callbacks,
                  CdSlaPolicySet *policies,
                  gint64          now)
{
  const char *id;
  History history;

  g_return_val_if_fail (CD_IS_TICKET (ticket), NULL);
  g_return_val_if_fail (policies == NULL || CD_IS_SLA_POLICY_SET (policies), NULL);

  id = CD_RECORD (ticket)->id;
  history.entries = g_array_new (FALSE, TRUE, sizeof (CdHistoryEntry));
  g_array_set_clear_func (history.entries, history_entry_clear);

  history_add (&history, ticket->created_at, CD_HISTORY_CREATED, ticket, ticket->owner, ticket->description);
  history_add (&history, ticket->first_response_at, CD_HISTORY_FIRST_RESPONSE, ticket, NULL, NULL);
  history_add (&history, ticket->on_site_at, CD_HISTORY_ON_SITE, ticket, NULL, NULL);
  history_add (&history, ticket->resolved_at, CD_HISTORY_RESOLVED, ticket, NULL, NULL);
  history_add (&history, ticket->closed_at, CD_HISTORY_CLOSED, ticket, NULL, NULL);

  for (guint i = 0; ticket->pauses != NULL && i < ticket->pauses->len; i++)
    {
      CdSlaPause *pause = g_ptr_array_index (ticket->pauses, i);

      history_add (&history, pause->start, CD_HISTORY_PAUSED, pause, NULL, pause->reason);
      history_add (&history, pause->end, CD_HISTORY_RESUMED, pause, NULL, NULL);
    }

  if (policies != NULL && (guint) ticket->sla_calendar <= CD_CALENDAR_KIND_BUSINESS_HOURS)
    {
      CdCalendar *calendar = cd_sla_policy_set_get_calendar (policies, ticket->sla_calendar);

      for (guint kind = 0; kind < CD_N_SLA_KINDS; kind++)
        {
          CdSlaStatus status;

          cd_sla_evaluate (ticket, kind, calendar, now, &status);
          if (status.state == CD_SLA_STATE_RED)
            {
              guint before = history.entries->len;

              history_add (&history, status.breached_at, CD_HISTORY_LIMIT_MISSED, ticket, NULL, NULL);
              if (history.entries->len > before)
                g_array_index (history.entries, CdHistoryEntry, before).sla_kind = kind;
            }
        }
    }

  for (guint i = 0; events != NULL && i < events->len; i++)
    {
      CdAssignmentEvent *event = g_ptr_array_index (events, i);

      if (g_strcmp0 (event->ticket_id, id) != 0)
        continue;
      history_add (&history, event->at,
                   cd_report_is_override (event) ? CD_HISTORY_OVERRIDDEN : CD_HISTORY_ASSIGNED,
                   event, event->actor, event->reason);
    }

  for (guint i = 0; callbacks != NULL && i < callbacks->len; i++)
    {
      CdCallback *callback = g_ptr_array_index (callbacks, i);
      gint64 reached = callback->completed_at != 0 ? callback->completed_at : now;

      if (g_strcmp0 (callback->ticket_id, id) != 0)
        continue;

      if (callback->due_at != 0 && reached > callback->due_at)
        history_add (&history, callback->due_at, CD_HISTORY_CALLBACK_OVERDUE, callback, callback->agent, NULL);

      for (guint j = 0; callback->attempts != NULL && j < callback->attempts->len; j++)
        {
          CdCallbackAttempt *attempt = g_ptr_array_index (callback->attempts, j);

          history_add (&history, attempt->at, CD_HISTORY_CALLBACK_ATTEMPT, attempt, attempt->agent, attempt->note);
        }

      history_add (&history, callback->second_opened_at, CD_HISTORY_SECOND_OPENED, callback,
                   callback->second_owner, callback->comment);
      if (callback->second_deadline != 0 &&
          (callback->second_closed_at != 0 ? callback->second_closed_at : now) > callback->second_deadline)
        history_add (&history, callback->second_deadline, CD_HISTORY_SECOND_OVERDUE, callback,
                     callback->second_owner, NULL);
      history_add (&history, callback->second_closed_at, CD_HISTORY_SECOND_CLOSED, callback,
                   callback->reviewed_by, callback->second_conclusion);
    }

  /* GLib's sort is a stable merge sort: equal entries keep the order they
   * were added in (the ticket, then events, then callbacks, each in input
   * order). */
  g_array_sort (history.entries, compare_entries_cb);
  return history.entries;
}
