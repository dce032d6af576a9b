/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-sim-crew.h: one field crew's device: it reports its position every
 * few seconds, polls its open tickets, drives to the next one along the
 * demo city's streets and moves it through contacted, en-route, on-site
 * and resolved. */
#pragma once

#include <json-glib/json-glib.h>

#include "cd-city.h"
#include "cd-sim-client.h"
#include "cd-sim-schedule.h"

G_BEGIN_DECLS

typedef enum {
  CD_SIM_CREW_IDLE,     /* waiting for a ticket */
  CD_SIM_CREW_CALLING,  /* phoning the customer before setting out */
  CD_SIM_CREW_DRIVING,
  CD_SIM_CREW_WORKING,  /* on site, repairing */
} CdSimCrewState;

#define CD_SIM_CREW_N_STATES 4

typedef struct {
  double   speedup;          /* simulated seconds per real second */
  double   report_interval;  /* real seconds between position reports */
  double   poll_interval;    /* real seconds between ticket polls */
  gboolean verbose;
} CdSimCrewOptions;

typedef struct {
  guint positions;
  guint positions_failed;
  /* Turns without a report: the last one was still unanswered, or the
   * schedule ran a whole interval late. */
  guint positions_skipped;
  guint polls_failed;
  guint mutations;
  guint applied;
  guint conflicts;
  guint rejected;
  guint resolved;
} CdSimCrewStats;

#define CD_TYPE_SIM_CREW (cd_sim_crew_get_type ())
G_DECLARE_FINAL_TYPE (CdSimCrew, cd_sim_crew, CD, SIM_CREW, GObject)

/* @crew: the crew's record from the snapshot (for its name, areas and
 * last position), or NULL. */
CdSimCrew      *cd_sim_crew_new       (CdSimClient            *client,
                                       CdCity                 *city,
                                       CdSimAccount           *account,
                                       const char             *crew_id,
                                       JsonObject             *crew,
                                       const CdSimCrewOptions *options,
                                       guint32                 seed);
/* Moves, reports and polls from @schedule (which must outlive
 * cd_sim_crew_stop()) on g_get_monotonic_time(): reports first at @phase
 * (0 to 1) of the report interval from now, polls at @phase of the poll
 * interval, so that crews started with phases spread over 0 to 1 spread
 * their requests evenly instead of sending them all at once. */
void            cd_sim_crew_start     (CdSimCrew              *self,
                                       CdSimSchedule          *schedule,
                                       double                  phase);
void            cd_sim_crew_stop      (CdSimCrew              *self);
CdSimCrewState  cd_sim_crew_get_state (CdSimCrew              *self);
const char     *cd_sim_crew_get_name  (CdSimCrew              *self);
void            cd_sim_crew_get_stats (CdSimCrew              *self,
                                       CdSimCrewStats         *stats);

G_END_DECLS
