/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-sim-schedule.c: periodic jobs in a binary heap by due time, run from
 * one GSource.
 *
 * It replaces three GLib timeouts per crew: with 500 crews that was 1,500
 * sources for the main context to look at on every iteration, each
 * re-armed from the moment it ran (so every interval grew by however late
 * the loop was). Removed jobs are only marked and leave the heap when
 * they reach its top, so a job may remove itself or others while the
 * schedule runs.
 */
#include "config.h"

#include "cd-sim-schedule.h"

typedef struct
{
  guint         id;
  gint64        due;
  gint64        period;
  CdSimJobFunc  func;
  gpointer      data;
  gboolean      removed;
} Job;

typedef struct
{
  GSource        source;
  CdSimSchedule *schedule;
} ScheduleSource;

struct _CdSimSchedule
{
  GPtrArray  *heap;      /* Job *, the earliest (due, id) first; owns the jobs */
  GHashTable *jobs;      /* id -> Job *, the jobs not removed */
  guint       last_id;
  guint64     missed;
  GSource    *source;
  gboolean    running;
};

/* The heap ------------------------------------------------------------------ */

static gboolean
job_before (const Job *a,
            const Job *b)
{
  return a->due < b->due || (a->due == b->due && a->id < b->id);
}

#define HEAP(self, i) ((Job *) g_ptr_array_index ((self)->heap, (i)))

static void
heap_swap (CdSimSchedule *self,
           guint          i,
           guint          j)
{
  gpointer t = self->heap->pdata[i];

  self->heap->pdata[i] = self->heap->pdata[j];
  self->heap->pdata[j] = t;
}

static void
heap_push (CdSimSchedule *self,
           Job           *job)
{
  guint i;

  g_ptr_array_add (self->heap, job);
  for (i = self->heap->len - 1; i > 0 && job_before (HEAP (self, i), HEAP (self, (i - 1) / 2)); i = (i - 1) / 2)
    heap_swap (self, i, (i - 1) / 2);
}

static Job *
heap_pop (CdSimSchedule *self)
{
  Job *top = HEAP (self, 0);
  guint n, i = 0;

  self->heap->pdata[0] = self->heap->pdata[self->heap->len - 1];
  g_ptr_array_set_size (self->heap, self->heap->len - 1);
  n = self->heap->len;
  for (;;)
    {
      guint l = 2 * i + 1, r = l + 1, m = i;

      if (l < n && job_before (HEAP (self, l), HEAP (self, m)))
        m = l;
      if (r < n && job_before (HEAP (self, r), HEAP (self, m)))
        m = r;
      if (m == i)
        break;
      heap_swap (self, i, m);
      i = m;
    }
  return top;
}

/* The earliest job not removed, or NULL; frees the removed ones on top. */
static Job *
heap_peek (CdSimSchedule *self)
{
  while (self->heap->len > 0 && HEAP (self, 0)->removed)
    g_free (heap_pop (self));
  return self->heap->len > 0 ? HEAP (self, 0) : NULL;
}

/* The source ---------------------------------------------------------------- */

static void
update_source (CdSimSchedule *self)
{
  gint64 due;

  if (self->source == NULL || self->running)
    return;
  due = cd_sim_schedule_next_due (self);
  g_source_set_ready_time (self->source, due == G_MAXINT64 ? -1 : due);
}

static gboolean
schedule_dispatch (GSource     *source,
                   GSourceFunc  callback,
                   gpointer     user_data)
{
  CdSimSchedule *self = ((ScheduleSource *) source)->schedule;

  /* Not g_source_get_time(): the jobs before may have taken a while. */
  cd_sim_schedule_run (self, g_get_monotonic_time ());
  return G_SOURCE_CONTINUE;
}

static GSourceFuncs schedule_source_funcs = {
  NULL, NULL, schedule_dispatch, NULL, NULL, NULL,
};

/* Public -------------------------------------------------------------------- */

CdSimSchedule *
cd_sim_schedule_new (void)
{
  CdSimSchedule *self = g_new0 (CdSimSchedule, 1);

  self->heap = g_ptr_array_new ();
  self->jobs = g_hash_table_new (g_direct_hash, g_direct_equal);
  return self;
}

void
cd_sim_schedule_free (CdSimSchedule *self)
{
  if (self == NULL)
    return;

  if (self->source != NULL)
    {
      g_source_destroy (self->source);
      g_source_unref (self->source);
    }
  for (guint i = 0; i < self->heap->len; i++)
    g_free (HEAP (self, i));
  g_ptr_array_unref (self->heap);
  g_hash_table_unref (self->jobs);
  g_free (self);
}

guint
cd_sim_schedule_add (CdSimSchedule *self,
                     gint64         first_us,
                     gint64         period_us,
                     CdSimJobFunc   func,
                     gpointer       data)
{
  Job *job;

  g_return_val_if_fail (self != NULL, 0);
  g_return_val_if_fail (period_us > 0, 0);
  g_return_val_if_fail (func != NULL, 0);

  job = g_new0 (Job, 1);
  do
    job->id = ++self->last_id;
  while (job->id == 0 || g_hash_table_contains (self->jobs, GUINT_TO_POINTER (job->id)));
  job->due = first_us;
  job->period = period_us;
  job->func = func;
  job->data = data;
  g_hash_table_insert (self->jobs, GUINT_TO_POINTER (job->id), job);
  heap_push (self, job);

  if (self->source != NULL && !self->running)
    {
      gint64 ready = g_source_get_ready_time (self->source);

      if (ready < 0 || first_us < ready)
        g_source_set_ready_time (self->source, first_us);
    }
  return job->id;
}

void
cd_sim_schedule_remove (CdSimSchedule *self,
                        guint          id)
{
  Job *job;

  g_return_if_fail (self != NULL);

  job = g_hash_table_lookup (self->jobs, GUINT_TO_POINTER (id));
  g_return_if_fail (job != NULL);
  job->removed = TRUE;
  g_hash_table_remove (self->jobs, GUINT_TO_POINTER (id));
}

guint
cd_sim_schedule_get_n_jobs (CdSimSchedule *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return g_hash_table_size (self->jobs);
}

gint64
cd_sim_schedule_next_due (CdSimSchedule *self)
{
  Job *job;

  g_return_val_if_fail (self != NULL, G_MAXINT64);

  job = heap_peek (self);
  return job ? job->due : G_MAXINT64;
}

gint64
cd_sim_schedule_run (CdSimSchedule *self,
                     gint64         now_us)
{
  Job *job;

  g_return_val_if_fail (self != NULL, G_MAXINT64);
  g_return_val_if_fail (!self->running, G_MAXINT64);

  self->running = TRUE;
  while ((job = heap_peek (self)) != NULL && job->due <= now_us)
    {
      gint64 next = job->due + job->period;
      guint missed = 0;

      /* Back in the heap before it runs, so that it may remove itself;
       * due after @now_us, so that it runs once in this call. */
      heap_pop (self);
      if (next <= now_us)
        {
          gint64 behind = (now_us - next) / job->period + 1;

          missed = (guint) MIN (behind, G_MAXUINT);
          next += behind * job->period;
        }
      job->due = next;
      heap_push (self, job);
      self->missed += missed;
      job->func (job->data, now_us, missed);
    }
  self->running = FALSE;

  update_source (self);
  return cd_sim_schedule_next_due (self);
}

guint64
cd_sim_schedule_get_missed (CdSimSchedule *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->missed;
}

void
cd_sim_schedule_attach (CdSimSchedule *self,
                        GMainContext  *context)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (self->source == NULL);

  self->source = g_source_new (&schedule_source_funcs, sizeof (ScheduleSource));
  ((ScheduleSource *) self->source)->schedule = self;
  g_source_set_static_name (self->source, "crewdesk-sim schedule");
  g_source_attach (self->source, context);
  update_source (self);
}

gint64
cd_sim_schedule_spread (gint64 period_us,
                        guint  index,
                        guint  n)
{
  g_return_val_if_fail (period_us >= 0, 0);

  if (n == 0)
    return 0;
  return period_us / n * (index % n) + period_us % n * (index % n) / n;
}
