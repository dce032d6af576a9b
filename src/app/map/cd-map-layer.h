/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-map-layer.h: every ticket and crew, drawn by one ShumateLayer.
 *
 * One widget draws all points in its snapshot, so ten thousand tickets
 * cost no more widgets than ten (ShumateMarkerLayer makes one widget per
 * marker and falls behind at a few thousand). Tickets are coloured by
 * their worst running time limit, shaped by utility, marked with their
 * category and sized by urgency; crews point where they drive, coloured by
 * status, and glide between position reports. At low zoom the points of
 * one grid cell merge into a counted cluster.
 *
 * The layer reads two live models (CdTicket, CdCrew) and follows their
 * changes by itself; the geometry it relies on is in cd-map-index.h.
 */
#pragma once

#include <shumate/shumate.h>

#include "cd-crew.h"
#include "cd-map-filter.h"
#include "cd-sla-clock.h"
#include "cd-ticket.h"

G_BEGIN_DECLS

#define CD_TYPE_MAP_LAYER (cd_map_layer_get_type ())
G_DECLARE_FINAL_TYPE (CdMapLayer, cd_map_layer, CD, MAP_LAYER, ShumateLayer)

typedef enum {
  CD_MAP_HIT_NONE,
  CD_MAP_HIT_TICKET_CLUSTER,
  CD_MAP_HIT_TICKET,
  CD_MAP_HIT_CREW_CLUSTER,
  CD_MAP_HIT_CREW,
} CdMapHitKind;

typedef struct {
  CdMapHitKind kind;
  gpointer     item;      /* CdTicket or CdCrew (a cluster's most urgent
                           * member); not a reference */
  guint        count;     /* members of a cluster, else 1 */
  double       x, y;      /* where it is drawn, widget coordinates */
  double       south, west, north, east; /* a cluster's members */
} CdMapHit;

typedef enum {
  CD_MAP_STEP_NEXT,
  CD_MAP_STEP_PREVIOUS,
  CD_MAP_STEP_LEFT,
  CD_MAP_STEP_RIGHT,
  CD_MAP_STEP_UP,
  CD_MAP_STEP_DOWN,
} CdMapStep;

/* What the last layout drew. */
typedef struct {
  guint n_tickets;          /* drawn one by one */
  guint n_ticket_clusters;
  guint n_crews;
  guint n_crew_clusters;
  guint n_moving;           /* crews gliding now */
  guint n_snapshots;        /* frames drawn since the layer was made */
  gint64 snapshot_us;       /* the last snapshot's time, layout included */
} CdMapLayerStats;

CdMapLayer *cd_map_layer_new                 (ShumateViewport   *viewport);

/* @tickets: CdTicket; @crews: CdCrew; either may be NULL. */
void        cd_map_layer_set_models          (CdMapLayer        *self,
                                              GListModel        *tickets,
                                              GListModel        *crews);
/* The calendars for the SLA colours; NULL draws every ticket neutral. */
void        cd_map_layer_set_policies        (CdMapLayer        *self,
                                              CdSlaPolicySet    *policies);
/* Unix seconds on the server's clock (the context's ::tick). */
void        cd_map_layer_set_now             (CdMapLayer        *self,
                                              gint64             now);
void        cd_map_layer_set_filter          (CdMapLayer        *self,
                                              const CdMapFilter *filter);
const CdMapFilter *cd_map_layer_get_filter   (CdMapLayer        *self);
/* A new position was set on @crew: it glides there. Safe to call for a
 * position the layer has seen already. */
void        cd_map_layer_crew_moved          (CdMapLayer        *self,
                                              CdCrew            *crew);

/* A CdTicket or a CdCrew of the models, or NULL. The selected ticket is
 * ringed; a selected crew shows lines to its tickets. */
void        cd_map_layer_set_selected        (CdMapLayer        *self,
                                              gpointer           item);
gpointer    cd_map_layer_get_selected        (CdMapLayer        *self);
/* Moves the selection among the tickets drawn one by one; returns the new
 * selection, or NULL (selection unchanged) when there is none that way. */
gpointer    cd_map_layer_step_selection      (CdMapLayer        *self,
                                              CdMapStep          step);

void        cd_map_layer_set_show_trails     (CdMapLayer        *self,
                                              gboolean           show_trails);
gboolean    cd_map_layer_get_show_trails     (CdMapLayer        *self);
/* A crosshair at the centre (placing a ticket with the keyboard). */
void        cd_map_layer_set_show_crosshair  (CdMapLayer        *self,
                                              gboolean           show);

/* An outline around the map while it has the keyboard focus. */
void        cd_map_layer_set_show_focus      (CdMapLayer        *self,
                                              gboolean           show);

/* What a click at (x, y) in the layer's coordinates hits: crews above
 * tickets above clusters, the nearest within a finger's reach. */
gboolean    cd_map_layer_hit_test            (CdMapLayer        *self,
                                              double             x,
                                              double             y,
                                              CdMapHit          *hit);
/* Where @item (CdTicket or CdCrew) is drawn on its own; FALSE when it is
 * filtered out, off screen or inside a cluster. */
gboolean    cd_map_layer_get_item_position   (CdMapLayer        *self,
                                              gpointer           item,
                                              double            *x,
                                              double            *y);
/* The box around every ticket and crew the filter shows; FALSE if none. */
gboolean    cd_map_layer_get_bounds          (CdMapLayer        *self,
                                              double            *south,
                                              double            *west,
                                              double            *north,
                                              double            *east);
/* Counts of tickets and crews the filter shows. */
void        cd_map_layer_count_shown         (CdMapLayer        *self,
                                              guint             *n_tickets,
                                              guint             *n_crews);
void        cd_map_layer_get_stats           (CdMapLayer        *self,
                                              CdMapLayerStats   *stats);

G_END_DECLS
