/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-map-symbols.c: how tickets, crews and clusters look on the map. */
#include "config.h"

#include <adwaita.h>
#include <math.h>

#include "cd-map-symbols.h"

static void
lookup (GtkStyleContext *context,
        const char      *name,
        const char      *fallback,
        GdkRGBA         *out)
{
  /* GtkStyleContext is how GTK 4.8 exposes named colours; it is only
   * deprecated from 4.10 on. */
  if (context == NULL || !gtk_style_context_lookup_color (context, name, out))
    gdk_rgba_parse (out, fallback);
}

void
cd_map_palette_load (CdMapPalette *palette,
                     GtkWidget    *widget)
{
  GtkStyleContext *context = widget != NULL ? gtk_widget_get_style_context (widget) : NULL;
  AdwStyleManager *manager = adw_style_manager_get_default ();

  palette->dark = adw_style_manager_get_dark (manager);
  palette->high_contrast = adw_style_manager_get_high_contrast (manager);

  lookup (context, "dark_2", "#5e5c64", &palette->sla[CD_MAP_SLA_NONE]);
  lookup (context, "light_4", "#9a9996", &palette->sla[CD_MAP_SLA_PAUSED]);
  lookup (context, "success_bg_color", "#26a269", &palette->sla[CD_MAP_SLA_GREEN]);
  lookup (context, "warning_bg_color", "#e5a50a", &palette->sla[CD_MAP_SLA_AMBER]);
  lookup (context, "error_bg_color", "#e01b24", &palette->sla[CD_MAP_SLA_RED]);

  gdk_rgba_parse (&palette->sla_fg[CD_MAP_SLA_NONE], "#ffffff");
  /* Light grey needs a dark glyph to keep 4.5:1. */
  gdk_rgba_parse (&palette->sla_fg[CD_MAP_SLA_PAUSED], "rgba(0,0,0,0.8)");
  lookup (context, "success_fg_color", "#ffffff", &palette->sla_fg[CD_MAP_SLA_GREEN]);
  lookup (context, "warning_fg_color", "rgba(0,0,0,0.8)", &palette->sla_fg[CD_MAP_SLA_AMBER]);
  lookup (context, "error_fg_color", "#ffffff", &palette->sla_fg[CD_MAP_SLA_RED]);

  /* Crew states stay clear of green, amber and red, which mean time. */
  lookup (context, "blue_4", "#1c71d8", &palette->crew[CD_CREW_STATUS_AVAILABLE]);
  lookup (context, "purple_3", "#9141ac", &palette->crew[CD_CREW_STATUS_EN_ROUTE]);
  lookup (context, "brown_3", "#986a44", &palette->crew[CD_CREW_STATUS_ON_SITE]);
  lookup (context, "dark_1", "#77767b", &palette->crew[CD_CREW_STATUS_BREAK]);
  lookup (context, "light_5", "#c0bfbc", &palette->crew[CD_CREW_STATUS_OFF_SHIFT]);
  gdk_rgba_parse (&palette->crew_fg, "#ffffff");

  gdk_rgba_parse (&palette->ring, "#ffffff");
  gdk_rgba_parse (&palette->cluster_bg, "#ffffff");
  gdk_rgba_parse (&palette->cluster_fg, "rgba(0,0,0,0.85)");
  gdk_rgba_parse (&palette->rim, palette->high_contrast ? "rgba(0,0,0,0.9)" : "rgba(0,0,0,0.45)");
  lookup (context, "accent_bg_color", "#3584e4", &palette->accent);
  lookup (context, "view_bg_color", palette->dark ? "#1e1e1e" : "#ffffff", &palette->label_bg);
  lookup (context, "view_fg_color", palette->dark ? "#ffffff" : "rgba(0,0,0,0.8)", &palette->label_fg);
}

double
cd_map_ticket_radius (CdUrgency urgency)
{
  switch (urgency)
    {
    case CD_URGENCY_EMERGENCY:
      return 12.0;
    case CD_URGENCY_URGENT:
      return 10.0;
    case CD_URGENCY_NORMAL:
    default:
      return 8.0;
    }
}

double
cd_map_ticket_extent (CdUrgency urgency)
{
  /* The ring, the rim and, for emergencies, the halo. */
  return cd_map_ticket_radius (urgency) + (urgency == CD_URGENCY_EMERGENCY ? 7.0 : 3.0);
}

double
cd_map_cluster_radius (guint count)
{
  if (count < 10)
    return 13.0;
  if (count < 100)
    return 16.0;
  if (count < 1000)
    return 19.0;
  return 22.0;
}

/* Glyphs, in a box from -1 to 1 --------------------------------------- */

static void
glyph_bolt (cairo_t *cr)
{
  cairo_move_to (cr, 0.25, -1.0);
  cairo_line_to (cr, -0.6, 0.15);
  cairo_line_to (cr, -0.05, 0.15);
  cairo_line_to (cr, -0.3, 1.0);
  cairo_line_to (cr, 0.6, -0.2);
  cairo_line_to (cr, 0.05, -0.2);
  cairo_close_path (cr);
  cairo_fill (cr);
}

static void
glyph_plug (cairo_t *cr)
{
  cairo_rectangle (cr, -0.45, -0.95, 0.22, 0.6);
  cairo_rectangle (cr, 0.23, -0.95, 0.22, 0.6);
  cairo_fill (cr);
  cairo_move_to (cr, -0.7, -0.35);
  cairo_line_to (cr, 0.7, -0.35);
  cairo_line_to (cr, 0.7, 0.05);
  cairo_curve_to (cr, 0.7, 0.4, 0.4, 0.55, 0.0, 0.55);
  cairo_curve_to (cr, -0.4, 0.55, -0.7, 0.4, -0.7, 0.05);
  cairo_close_path (cr);
  cairo_fill (cr);
  cairo_set_line_width (cr, 0.25);
  cairo_move_to (cr, 0.0, 0.5);
  cairo_line_to (cr, 0.0, 1.0);
  cairo_stroke (cr);
}

static void
glyph_wave (cairo_t *cr)
{
  cairo_set_line_width (cr, 0.28);
  cairo_set_line_cap (cr, CAIRO_LINE_CAP_ROUND);
  cairo_move_to (cr, -0.9, 0.0);
  for (int i = 1; i <= 24; i++)
    {
      double x = -0.9 + 1.8 * i / 24.0;

      cairo_line_to (cr, x, -0.55 * sin ((x + 0.9) / 1.8 * 2 * G_PI));
    }
  cairo_stroke (cr);
}

static void
glyph_gauge (cairo_t *cr)
{
  cairo_set_line_width (cr, 0.24);
  cairo_set_line_cap (cr, CAIRO_LINE_CAP_ROUND);
  cairo_arc (cr, 0.0, 0.35, 0.85, G_PI * 1.1, G_PI * 1.9);
  cairo_stroke (cr);
  cairo_move_to (cr, 0.0, 0.35);
  cairo_line_to (cr, 0.45, -0.3);
  cairo_stroke (cr);
  cairo_arc (cr, 0.0, 0.35, 0.2, 0, 2 * G_PI);
  cairo_fill (cr);
}

static void
drop_path (cairo_t *cr)
{
  cairo_move_to (cr, 0.0, -1.0);
  cairo_curve_to (cr, 0.3, -0.55, 0.65, -0.15, 0.65, 0.3);
  cairo_arc (cr, 0.0, 0.3, 0.65, 0.0, G_PI);
  cairo_curve_to (cr, -0.65, -0.15, -0.3, -0.55, 0.0, -1.0);
  cairo_close_path (cr);
}

static void
glyph_drop (cairo_t *cr)
{
  drop_path (cr);
  cairo_fill (cr);
}

static void
glyph_burst (cairo_t *cr)
{
  cairo_rectangle (cr, -1.0, 0.15, 0.75, 0.5);
  cairo_rectangle (cr, 0.25, 0.15, 0.75, 0.5);
  cairo_fill (cr);
  cairo_set_line_width (cr, 0.22);
  cairo_set_line_cap (cr, CAIRO_LINE_CAP_ROUND);
  cairo_move_to (cr, 0.0, 0.05);
  cairo_line_to (cr, 0.0, -0.95);
  cairo_move_to (cr, -0.15, 0.05);
  cairo_line_to (cr, -0.65, -0.75);
  cairo_move_to (cr, 0.15, 0.05);
  cairo_line_to (cr, 0.65, -0.75);
  cairo_stroke (cr);
}

static void
glyph_radiator (cairo_t *cr)
{
  for (int i = -1; i <= 1; i++)
    {
      double x = i * 0.6 - 0.17;

      cairo_rectangle (cr, x, -0.85, 0.34, 1.55);
    }
  cairo_rectangle (cr, -0.85, 0.35, 1.7, 0.3);
  cairo_fill (cr);
}

static void
glyph_thermometer (cairo_t *cr)
{
  cairo_arc (cr, 0.0, 0.55, 0.42, 0, 2 * G_PI);
  cairo_fill (cr);
  cairo_rectangle (cr, -0.18, -0.8, 0.36, 1.2);
  cairo_arc (cr, 0.0, -0.8, 0.18, G_PI, 2 * G_PI);
  cairo_fill (cr);
  cairo_set_line_width (cr, 0.16);
  cairo_move_to (cr, 0.3, -0.6);
  cairo_line_to (cr, 0.6, -0.6);
  cairo_move_to (cr, 0.3, -0.25);
  cairo_line_to (cr, 0.6, -0.25);
  cairo_stroke (cr);
}

static void
glyph_document (cairo_t *cr)
{
  cairo_set_line_width (cr, 0.2);
  cairo_rectangle (cr, -0.6, -0.9, 1.2, 1.8);
  cairo_stroke (cr);
  for (int i = 0; i < 3; i++)
    {
      cairo_move_to (cr, -0.32, -0.45 + i * 0.45);
      cairo_line_to (cr, 0.32, -0.45 + i * 0.45);
    }
  cairo_stroke (cr);
}

static void
glyph_question (cairo_t *cr)
{
  cairo_set_line_width (cr, 0.3);
  cairo_set_line_cap (cr, CAIRO_LINE_CAP_ROUND);
  cairo_arc (cr, 0.0, -0.4, 0.45, G_PI * 1.05, G_PI * 2.4);
  cairo_line_to (cr, 0.0, 0.3);
  cairo_stroke (cr);
  cairo_arc (cr, 0.0, 0.82, 0.18, 0, 2 * G_PI);
  cairo_fill (cr);
}

static void
glyph_exclamation (cairo_t *cr)
{
  cairo_move_to (cr, -0.2, -1.0);
  cairo_line_to (cr, 0.2, -1.0);
  cairo_line_to (cr, 0.12, 0.35);
  cairo_line_to (cr, -0.12, 0.35);
  cairo_close_path (cr);
  cairo_fill (cr);
  cairo_arc (cr, 0.0, 0.78, 0.2, 0, 2 * G_PI);
  cairo_fill (cr);
}

static void
glyph_plus (cairo_t *cr)
{
  cairo_rectangle (cr, -0.17, -0.85, 0.34, 1.7);
  cairo_rectangle (cr, -0.85, -0.17, 1.7, 0.34);
  cairo_fill (cr);
}

static void
draw_glyph (cairo_t    *cr,
            CdCategory  category)
{
  switch (category)
    {
    case CD_CATEGORY_POWER_OUTAGE:
      glyph_bolt (cr);
      break;
    case CD_CATEGORY_NO_POWER:
      glyph_plug (cr);
      break;
    case CD_CATEGORY_VOLTAGE_QUALITY:
      glyph_wave (cr);
      break;
    case CD_CATEGORY_METER:
      glyph_gauge (cr);
      break;
    case CD_CATEGORY_LEAK:
      glyph_drop (cr);
      break;
    case CD_CATEGORY_BURST_PIPE:
      glyph_burst (cr);
      break;
    case CD_CATEGORY_NO_HEAT:
      glyph_radiator (cr);
      break;
    case CD_CATEGORY_LOW_TEMPERATURE:
      glyph_thermometer (cr);
      break;
    case CD_CATEGORY_BILLING:
      glyph_document (cr);
      break;
    case CD_CATEGORY_INQUIRY:
      glyph_question (cr);
      break;
    case CD_CATEGORY_COMPLAINT:
      glyph_exclamation (cr);
      break;
    case CD_CATEGORY_NEW_CONNECTION:
    default:
      glyph_plus (cr);
      break;
    }
}

void
cd_map_draw_category_glyph (cairo_t    *cr,
                            CdCategory  category,
                            double      size)
{
  cairo_save (cr);
  cairo_scale (cr, size / 2.0, size / 2.0);
  draw_glyph (cr, category);
  cairo_restore (cr);
}

/* Bodies ---------------------------------------------------------------- */

static void
body_path (cairo_t   *cr,
           CdUtility  utility,
           double     r)
{
  if (utility == CD_UTILITY_POWER)
    {
      /* A diamond with softened corners: power, as on warning signs. */
      double k = r * 1.2, c = r * 0.22;

      cairo_new_path (cr);
      cairo_move_to (cr, c * 0.7, -k + c * 0.7);
      cairo_line_to (cr, k - c * 0.7, -c * 0.7);
      cairo_curve_to (cr, k, 0, k, 0, k - c * 0.7, c * 0.7);
      cairo_line_to (cr, c * 0.7, k - c * 0.7);
      cairo_curve_to (cr, 0, k, 0, k, -c * 0.7, k - c * 0.7);
      cairo_line_to (cr, -k + c * 0.7, c * 0.7);
      cairo_curve_to (cr, -k, 0, -k, 0, -k + c * 0.7, -c * 0.7);
      cairo_line_to (cr, -c * 0.7, -k + c * 0.7);
      cairo_curve_to (cr, 0, -k, 0, -k, c * 0.7, -k + c * 0.7);
      cairo_close_path (cr);
    }
  else
    {
      cairo_new_path (cr);
      cairo_arc (cr, 0, 0, r, 0, 2 * G_PI);
      cairo_close_path (cr);
    }
}

/* The body filled, with its white ring and thin dark rim. */
static void
fill_outlined (cairo_t            *cr,
               const CdMapPalette *palette,
               const GdkRGBA      *fill)
{
  double ring = palette->high_contrast ? 2.5 : 2.0;

  cairo_set_line_join (cr, CAIRO_LINE_JOIN_ROUND);
  cairo_set_line_width (cr, 2 * ring + 2.0);
  gdk_cairo_set_source_rgba (cr, &palette->rim);
  cairo_stroke_preserve (cr);
  cairo_set_line_width (cr, 2 * ring);
  gdk_cairo_set_source_rgba (cr, &palette->ring);
  cairo_stroke_preserve (cr);
  gdk_cairo_set_source_rgba (cr, fill);
  cairo_fill (cr);
}

void
cd_map_draw_ticket (cairo_t            *cr,
                    const CdMapPalette *palette,
                    CdCategory          category,
                    CdUrgency           urgency,
                    CdMapSla            sla)
{
  double r = cd_map_ticket_radius (urgency);
  CdUtility utility = CD_UTILITY_HEAT;
  double glyph;

  g_return_if_fail ((guint) sla < CD_MAP_N_SLA);

  cd_category_get_utility (category, &utility);

  cairo_save (cr);

  if (urgency == CD_URGENCY_EMERGENCY)
    {
      GdkRGBA halo = palette->sla[sla];

      halo.alpha = 0.55;
      cairo_set_line_width (cr, 3.0);
      gdk_cairo_set_source_rgba (cr, &halo);
      cairo_arc (cr, 0, 0, r + 5.0, 0, 2 * G_PI);
      cairo_stroke (cr);
    }

  body_path (cr, utility, r);
  fill_outlined (cr, palette, &palette->sla[sla]);

  glyph = utility == CD_UTILITY_POWER ? r * 0.62 : r * 0.6;
  gdk_cairo_set_source_rgba (cr, &palette->sla_fg[sla]);
  cairo_scale (cr, glyph, glyph);
  draw_glyph (cr, category);

  cairo_restore (cr);
}

static void
glyph_truck (cairo_t       *cr,
             const GdkRGBA *body)
{
  /* Cargo box, then the cab with a sloped windscreen. */
  cairo_rectangle (cr, -1.0, -0.6, 1.2, 1.05);
  cairo_move_to (cr, 0.3, -0.25);
  cairo_line_to (cr, 0.7, -0.25);
  cairo_line_to (cr, 1.0, 0.1);
  cairo_line_to (cr, 1.0, 0.45);
  cairo_line_to (cr, 0.3, 0.45);
  cairo_close_path (cr);
  cairo_fill (cr);
  /* Wheels, with a hub in the body's colour. */
  cairo_arc (cr, -0.55, 0.55, 0.27, 0, 2 * G_PI);
  cairo_fill (cr);
  cairo_arc (cr, 0.6, 0.55, 0.27, 0, 2 * G_PI);
  cairo_fill (cr);
  cairo_save (cr);
  gdk_cairo_set_source_rgba (cr, body);
  cairo_arc (cr, -0.55, 0.55, 0.1, 0, 2 * G_PI);
  cairo_fill (cr);
  cairo_arc (cr, 0.6, 0.55, 0.1, 0, 2 * G_PI);
  cairo_fill (cr);
  cairo_restore (cr);
}

static void
rounded_square (cairo_t *cr,
                double   half,
                double   corner)
{
  cairo_new_path (cr);
  cairo_arc (cr, half - corner, -half + corner, corner, -G_PI / 2, 0);
  cairo_arc (cr, half - corner, half - corner, corner, 0, G_PI / 2);
  cairo_arc (cr, -half + corner, half - corner, corner, G_PI / 2, G_PI);
  cairo_arc (cr, -half + corner, -half + corner, corner, G_PI, 3 * G_PI / 2);
  cairo_close_path (cr);
}

void
cd_map_draw_crew_body (cairo_t            *cr,
                       const CdMapPalette *palette,
                       CdCrewStatus        status)
{
  g_return_if_fail ((guint) status < CD_MAP_N_CREW_STATUSES);

  cairo_save (cr);
  /* A rounded square: tickets are discs and diamonds. */
  rounded_square (cr, CD_MAP_CREW_RADIUS, 5.0);
  fill_outlined (cr, palette, &palette->crew[status]);
  gdk_cairo_set_source_rgba (cr, &palette->crew_fg);
  cairo_scale (cr, 7.0, 7.0);
  glyph_truck (cr, &palette->crew[status]);
  cairo_restore (cr);
}

void
cd_map_draw_crew_arrow (cairo_t            *cr,
                        const CdMapPalette *palette,
                        CdCrewStatus        status)
{
  double base = CD_MAP_CREW_RADIUS + 4.0;

  g_return_if_fail ((guint) status < CD_MAP_N_CREW_STATUSES);

  /* A chevron ahead of the body, pointing north; the caller rotates it. */
  cairo_save (cr);
  cairo_new_path (cr);
  cairo_move_to (cr, 0, -base - 8.0);
  cairo_line_to (cr, 6.5, -base + 1.0);
  cairo_line_to (cr, 0, -base - 1.5);
  cairo_line_to (cr, -6.5, -base + 1.0);
  cairo_close_path (cr);
  fill_outlined (cr, palette, &palette->crew[status]);
  cairo_restore (cr);
}

void
cd_map_draw_crew (cairo_t            *cr,
                  const CdMapPalette *palette,
                  CdCrewStatus        status,
                  gboolean            moving)
{
  if (moving)
    cd_map_draw_crew_arrow (cr, palette, status);
  cd_map_draw_crew_body (cr, palette, status);
}

void
cd_map_draw_cluster (cairo_t            *cr,
                     const CdMapPalette *palette,
                     gboolean            crews,
                     CdMapSla            worst,
                     double              radius)
{
  const GdkRGBA *ring = crews ? &palette->crew[CD_CREW_STATUS_AVAILABLE] : &palette->sla[worst];

  /* A white face with a thick coloured ring and a dark count: never
   * mistaken for one solid ticket or crew. */
  cairo_save (cr);
  if (crews)
    rounded_square (cr, radius, radius * 0.4);
  else
    {
      cairo_new_path (cr);
      cairo_arc (cr, 0, 0, radius, 0, 2 * G_PI);
      cairo_close_path (cr);
    }
  cairo_set_line_join (cr, CAIRO_LINE_JOIN_ROUND);
  cairo_set_line_width (cr, 9.0);
  gdk_cairo_set_source_rgba (cr, &palette->rim);
  cairo_stroke_preserve (cr);
  cairo_set_line_width (cr, 7.0);
  gdk_cairo_set_source_rgba (cr, ring);
  cairo_stroke_preserve (cr);
  gdk_cairo_set_source_rgba (cr, &palette->cluster_bg);
  cairo_fill (cr);
  cairo_restore (cr);
}
