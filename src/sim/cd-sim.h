/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-sim.h: crewdesk-sim, field crews and customers played against a
 * running crewdesk-server, on the streets of the demo city. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct
{
  char     *server_url;       /* "http://127.0.0.1:8765" */
  gint      crews;            /* crew devices to play; < 0: all */
  double    rate;             /* customer reports per minute; 0: none */
  gboolean  storm;            /* a burst of outage reports in one district */
  char     *storm_district;   /* NULL: one drawn from the seed */
  guint     storm_size;
  double    speedup;          /* simulated seconds per real second */
  guint     duration;         /* seconds; 0: until interrupted */
  char     *password;         /* of every simulated user */
  char     *hotline_user;     /* the dispatcher account customer reports come in through */
  double    report_interval;  /* seconds between a crew's position reports */
  double    poll_interval;    /* seconds between a crew's ticket polls */
  guint     timeout;          /* HTTP timeout, seconds */
  guint32   seed;
  gboolean  verbose;
} CdSimOptions;

void cd_sim_options_init  (CdSimOptions *options);
void cd_sim_options_clear (CdSimOptions *options);

#define CD_TYPE_SIM (cd_sim_get_type ())
G_DECLARE_FINAL_TYPE (CdSim, cd_sim, CD, SIM, GObject)

CdSim    *cd_sim_new           (const CdSimOptions  *options);
/* Runs until the duration is over (TRUE), @cancellable is cancelled
 * (TRUE), or the simulation cannot go on: the hotline user cannot log in
 * (FALSE with @error). */
void      cd_sim_run_async     (CdSim               *self,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data);
gboolean  cd_sim_run_finish    (CdSim               *self,
                                GAsyncResult        *result,
                                GError             **error);
/* One line of figures: crews by state, reports, positions, mutations. */
char     *cd_sim_describe      (CdSim               *self);

G_END_DECLS
