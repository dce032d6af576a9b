/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-map-symbols.h: how tickets, crews and clusters look on the map.
 *
 * One place draws each symbol with cairo, so the layer (which bakes them
 * into textures once per style) and the legend show the same thing.
 * Colours come from the style: libadwaita's success, warning and error
 * colours for the time limits, its palette for crew states, the accent
 * for the selection, view colours for labels (so dark mode follows).
 * Every symbol has a white ring and a thin dark rim, which keeps it
 * readable on light and dark tiles alike.
 */
#pragma once

#include <gtk/gtk.h>

#include "cd-enums.h"
#include "cd-map-filter.h"

G_BEGIN_DECLS

#define CD_MAP_N_CREW_STATUSES 5

typedef struct {
  GdkRGBA  sla[CD_MAP_N_SLA];        /* ticket fills */
  GdkRGBA  sla_fg[CD_MAP_N_SLA];     /* glyphs on them */
  GdkRGBA  crew[CD_MAP_N_CREW_STATUSES];
  GdkRGBA  crew_fg;
  GdkRGBA  ring;                     /* around every symbol */
  GdkRGBA  cluster_bg;
  GdkRGBA  cluster_fg;
  GdkRGBA  rim;                      /* a thin line outside the ring */
  GdkRGBA  accent;                   /* selection, crew lines */
  GdkRGBA  label_bg;
  GdkRGBA  label_fg;
  gboolean dark;
  gboolean high_contrast;
} CdMapPalette;

/* Reads the palette from @widget's style (and AdwStyleManager's dark
 * and high-contrast flags); falls back to Adwaita's own values. */
void     cd_map_palette_load        (CdMapPalette       *palette,
                                     GtkWidget          *widget);

/* Radius of a ticket's body, by urgency, in pixels. */
double   cd_map_ticket_radius       (CdUrgency           urgency);
#define  CD_MAP_CREW_RADIUS 11.0
/* Pixels around a symbol's centre that its drawing may reach. */
double   cd_map_ticket_extent       (CdUrgency           urgency);
#define  CD_MAP_CREW_EXTENT 26.0
double   cd_map_cluster_radius      (guint               count);

/* Each draws centred on (0, 0) of @cr; a crew's chevron points north. */
void     cd_map_draw_ticket         (cairo_t            *cr,
                                     const CdMapPalette *palette,
                                     CdCategory          category,
                                     CdUrgency           urgency,
                                     CdMapSla            sla);
void     cd_map_draw_crew           (cairo_t            *cr,
                                     const CdMapPalette *palette,
                                     CdCrewStatus        status,
                                     gboolean            moving);
/* The two parts the layer draws apart: the body stays upright, the
 * heading's chevron turns around it. */
void     cd_map_draw_crew_body      (cairo_t            *cr,
                                     const CdMapPalette *palette,
                                     CdCrewStatus        status);
void     cd_map_draw_crew_arrow     (cairo_t            *cr,
                                     const CdMapPalette *palette,
                                     CdCrewStatus        status);
/* The disc or the rounded square of a cluster, without its count. */
void     cd_map_draw_cluster        (cairo_t            *cr,
                                     const CdMapPalette *palette,
                                     gboolean            crews,
                                     CdMapSla            worst,
                                     double              radius);
/* The glyph alone, in a box of @size, for lists and the legend. */
void     cd_map_draw_category_glyph (cairo_t            *cr,
                                     CdCategory          category,
                                     double              size);

G_END_DECLS
