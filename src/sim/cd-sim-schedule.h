/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-sim-schedule.h: one timer for every crew's periodic jobs (moving,
 * position reports, ticket polls).
 *
 * Jobs run at a fixed rate: a job due at T runs next at T + period, not a
 * period after it happened to run, so a busy main loop does not stretch
 * every crew's interval. A job that fell more than a period behind runs
 * once and skips the turns it missed (counted) instead of catching up in a
 * burst. The schedule itself knows no clock: cd_sim_schedule_run() is told
 * the time, so tests drive it in virtual time; cd_sim_schedule_attach()
 * runs it on the monotonic clock from one GSource. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _CdSimSchedule CdSimSchedule;

/* @now: the time the schedule runs at, in its clock's microseconds.
 * @missed: the job's turns skipped since it last ran, because the
 * schedule ran more than a period late. */
typedef void (*CdSimJobFunc) (gpointer data,
                              gint64   now,
                              guint    missed);

CdSimSchedule *cd_sim_schedule_new         (void);
/* Destroys the source of cd_sim_schedule_attach(), if any. */
void           cd_sim_schedule_free        (CdSimSchedule *self);

/* Runs @func every @period_us microseconds (> 0), first at @first_us.
 * Returns the job's id (never 0). */
guint          cd_sim_schedule_add         (CdSimSchedule *self,
                                            gint64         first_us,
                                            gint64         period_us,
                                            CdSimJobFunc   func,
                                            gpointer       data);
/* Also from inside a job. */
void           cd_sim_schedule_remove      (CdSimSchedule *self,
                                            guint          id);
guint          cd_sim_schedule_get_n_jobs  (CdSimSchedule *self);

/* Runs every job due at @now_us, earliest first (ties in the order the
 * jobs were added), each at most once. Returns the time the next job is
 * due, G_MAXINT64 when there is none. */
gint64         cd_sim_schedule_run         (CdSimSchedule *self,
                                            gint64         now_us);
gint64         cd_sim_schedule_next_due    (CdSimSchedule *self);
/* Turns skipped by all jobs so far. */
guint64        cd_sim_schedule_get_missed  (CdSimSchedule *self);

/* Runs the schedule from one source on @context (NULL: the global
 * default) on g_get_monotonic_time(), waking only when a job is due. */
void           cd_sim_schedule_attach      (CdSimSchedule *self,
                                            GMainContext  *context);

/* Where the @index-th of @n jobs of one period starts within it, so that
 * their turns are spread evenly over the period: @period_us * @index / @n. */
gint64         cd_sim_schedule_spread      (gint64         period_us,
                                            guint          index,
                                            guint          n);

G_END_DECLS
