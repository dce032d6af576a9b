/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-map-view.h: the map page of the dispatcher window.
 *
 * Every open ticket and every crew on one map (CdMapLayer over a
 * ShumateSimpleMap), a filter bar, a legend, and a side panel with the
 * clicked ticket (its time limits counting down, its crew, the automatic
 * proposal with each score broken down) or the clicked crew (its load,
 * members and tickets, with lines drawn to them). The intake form asks it
 * for a position with cd_map_view_pick_location_async().
 *
 * Keyboard: Tab and the arrow keys move a selection between the tickets
 * on screen, Enter opens its details, Escape closes them, + and − zoom.
 */
#pragma once

#include <shumate/shumate.h>

#include "cd-context.h"
#include "cd-map-layer.h"

G_BEGIN_DECLS

#define CD_TYPE_MAP_VIEW (cd_map_view_get_type ())
G_DECLARE_FINAL_TYPE (CdMapView, cd_map_view, CD, MAP_VIEW, GtkWidget)

GtkWidget  *cd_map_view_new                  (CdContext           *context);
CdContext  *cd_map_view_get_context          (CdMapView           *self);

/* The tiles under the points; until it is called, OpenStreetMap's. */
void        cd_map_view_set_map_source       (CdMapView           *self,
                                              ShumateMapSource    *source);

/* The next click on the map (or Enter: the crosshair at the centre)
 * gives a position; a banner says so meanwhile. Escape, the banner's
 * Cancel button or @cancellable fail it with G_IO_ERROR_CANCELLED; a new
 * request cancels the one before. */
void        cd_map_view_pick_location_async  (CdMapView           *self,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
gboolean    cd_map_view_pick_location_finish (CdMapView           *self,
                                              GAsyncResult        *result,
                                              double              *lat,
                                              double              *lon,
                                              GError             **error);

/* Selects @item (a CdTicket or CdCrew of the context, or NULL) and shows
 * its details in the side panel. */
void        cd_map_view_show_item            (CdMapView           *self,
                                              gpointer             item);
/* What the side panel shows, or NULL when it is closed. */
gpointer    cd_map_view_get_shown_item       (CdMapView           *self);

/* For tests and the benchmark. */
CdMapLayer *cd_map_view_get_layer            (CdMapView           *self);
ShumateMap *cd_map_view_get_map              (CdMapView           *self);

G_END_DECLS
