/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-tile-grid.c: the web-mercator tile grid. */
#include "config.h"

#undef G_LOG_DOMAIN
#define G_LOG_DOMAIN "CrewdeskTiles"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

#include "cd-tile-grid.h"

G_DEFINE_QUARK (cd-tiles-error-quark, cd_tiles_error)

static int
clamp_tile (double v,
            int    zoom)
{
  double n = (double) (1 << zoom);

  if (v < 0)
    return 0;
  if (v >= n)
    return (1 << zoom) - 1;
  return (int) floor (v);
}

double
cd_tile_x_from_lon (double lon,
                    int    zoom)
{
  return (lon + 180.0) / 360.0 * (double) (1 << zoom);
}

double
cd_tile_y_from_lat (double lat,
                    int    zoom)
{
  double phi;

  lat = CLAMP (lat, -CD_TILE_MAX_LATITUDE, CD_TILE_MAX_LATITUDE);
  phi = lat * G_PI / 180.0;
  return (1.0 - log (tan (phi) + 1.0 / cos (phi)) / G_PI) / 2.0 * (double) (1 << zoom);
}

double
cd_tile_lon_from_x (double x,
                    int    zoom)
{
  return x / (double) (1 << zoom) * 360.0 - 180.0;
}

double
cd_tile_lat_from_y (double y,
                    int    zoom)
{
  double n = G_PI - 2.0 * G_PI * y / (double) (1 << zoom);

  return 180.0 / G_PI * atan (sinh (n));
}

int
cd_tile_tms_row (int y,
                 int zoom)
{
  return (1 << zoom) - 1 - y;
}

void
cd_tile_range_for_bounds (const CdTileBounds *bounds,
                          int                 zoom,
                          CdTileRange        *range)
{
  double east_x, south_y;

  g_return_if_fail (bounds != NULL);
  g_return_if_fail (range != NULL);
  g_return_if_fail (zoom >= 0 && zoom <= CD_TILE_MAX_ZOOM);

  range->zoom = zoom;
  range->x0 = clamp_tile (cd_tile_x_from_lon (bounds->west, zoom), zoom);
  range->y0 = clamp_tile (cd_tile_y_from_lat (bounds->north, zoom), zoom);

  /* An edge exactly on a tile border does not reach into the next tile. */
  east_x = cd_tile_x_from_lon (bounds->east, zoom);
  south_y = cd_tile_y_from_lat (bounds->south, zoom);
  range->x1 = clamp_tile (east_x == floor (east_x) && east_x > 0 ? east_x - 1 : east_x, zoom);
  range->y1 = clamp_tile (south_y == floor (south_y) && south_y > 0 ? south_y - 1 : south_y, zoom);
  range->x1 = MAX (range->x1, range->x0);
  range->y1 = MAX (range->y1, range->y0);
}

guint64
cd_tile_range_count (const CdTileRange *range)
{
  g_return_val_if_fail (range != NULL, 0);

  return (guint64) (range->x1 - range->x0 + 1) * (guint64) (range->y1 - range->y0 + 1);
}

guint64
cd_tile_count (const CdTileBounds *bounds,
               int                 min_zoom,
               int                 max_zoom)
{
  guint64 total = 0;

  g_return_val_if_fail (bounds != NULL, 0);

  min_zoom = MAX (min_zoom, 0);
  max_zoom = MIN (max_zoom, CD_TILE_MAX_ZOOM);
  for (int z = min_zoom; z <= max_zoom; z++)
    {
      CdTileRange range;

      cd_tile_range_for_bounds (bounds, z, &range);
      total += cd_tile_range_count (&range);
    }

  return total;
}

gboolean
cd_tile_bounds_is_valid (const CdTileBounds *bounds)
{
  return bounds != NULL
         && isfinite (bounds->south) && isfinite (bounds->north)
         && isfinite (bounds->west) && isfinite (bounds->east)
         && bounds->south >= -90 && bounds->north <= 90
         && bounds->west >= -180 && bounds->east <= 180
         && bounds->south < bounds->north
         && bounds->west < bounds->east;
}

gboolean
cd_tile_bounds_parse (const char   *text,
                      CdTileBounds *bounds)
{
  g_auto(GStrv) parts = NULL;
  double v[4];

  g_return_val_if_fail (bounds != NULL, FALSE);

  if (text == NULL)
    return FALSE;

  parts = g_strsplit (text, ",", -1);
  if (g_strv_length (parts) != 4)
    return FALSE;

  for (guint i = 0; i < 4; i++)
    {
      char *end = NULL;
      const char *s = g_strstrip (parts[i]);

      v[i] = g_ascii_strtod (s, &end);
      if (*s == '\0' || end == NULL || *end != '\0')
        return FALSE;
    }

  bounds->west = v[0];
  bounds->south = v[1];
  bounds->east = v[2];
  bounds->north = v[3];
  return cd_tile_bounds_is_valid (bounds);
}

char *
cd_tile_bounds_to_string (const CdTileBounds *bounds)
{
  char w[G_ASCII_DTOSTR_BUF_SIZE], s[G_ASCII_DTOSTR_BUF_SIZE];
  char e[G_ASCII_DTOSTR_BUF_SIZE], n[G_ASCII_DTOSTR_BUF_SIZE];

  g_return_val_if_fail (bounds != NULL, NULL);

  return g_strdup_printf ("%s,%s,%s,%s",
                          g_ascii_formatd (w, sizeof w, "%.6f", bounds->west),
                          g_ascii_formatd (s, sizeof s, "%.6f", bounds->south),
                          g_ascii_formatd (e, sizeof e, "%.6f", bounds->east),
                          g_ascii_formatd (n, sizeof n, "%.6f", bounds->north));
}

gboolean
cd_tile_url_template_check (const char  *url_template,
                            GError     **error)
{
  g_autoptr(GUri) uri = NULL;
  g_autofree char *sample = NULL;
  const char *scheme;

  if (url_template == NULL || *url_template == '\0')
    {
      g_set_error_literal (error, CD_TILES_ERROR, CD_TILES_ERROR_INVALID_TEMPLATE,
                           _("No tile server address is set. Enter the URL template of a tile server in the map preferences."));
      return FALSE;
    }

  if (strstr (url_template, "{z}") == NULL
      || strstr (url_template, "{x}") == NULL
      || (strstr (url_template, "{y}") == NULL && strstr (url_template, "{tmsy}") == NULL))
    {
      g_set_error (error, CD_TILES_ERROR, CD_TILES_ERROR_INVALID_TEMPLATE,
                   _("The tile server address “%s” lacks {z}, {x} or {y}. Write it like https://tile.example.com/{z}/{x}/{y}.png."),
                   url_template);
      return FALSE;
    }

  sample = cd_tile_url_expand (url_template, 0, 0, 0);
  uri = g_uri_parse (sample, G_URI_FLAGS_NONE, NULL);
  scheme = uri ? g_uri_get_scheme (uri) : NULL;
  if (uri == NULL || scheme == NULL
      || (g_ascii_strcasecmp (scheme, "http") != 0 && g_ascii_strcasecmp (scheme, "https") != 0)
      || g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0')
    {
      g_set_error (error, CD_TILES_ERROR, CD_TILES_ERROR_INVALID_TEMPLATE,
                   _("The tile server address “%s” is not an http or https URL. Write it like https://tile.example.com/{z}/{x}/{y}.png."),
                   url_template);
      return FALSE;
    }

  return TRUE;
}

char *
cd_tile_url_expand (const char *url_template,
                    int         x,
                    int         y,
                    int         zoom)
{
  g_autoptr(GString) s = NULL;
  char buf[16];

  g_return_val_if_fail (url_template != NULL, NULL);

  s = g_string_new (url_template);
  g_snprintf (buf, sizeof buf, "%d", x);
  g_string_replace (s, "{x}", buf, 0);
  g_snprintf (buf, sizeof buf, "%d", y);
  g_string_replace (s, "{y}", buf, 0);
  g_snprintf (buf, sizeof buf, "%d", zoom);
  g_string_replace (s, "{z}", buf, 0);
  g_snprintf (buf, sizeof buf, "%d", cd_tile_tms_row (y, zoom));
  g_string_replace (s, "{tmsy}", buf, 0);

  return g_string_free (g_steal_pointer (&s), FALSE);
}

const char *
cd_tile_sniff_format (const guint8 *data,
                      gsize         size)
{
  if (data == NULL)
    return NULL;
  if (size >= 8 && memcmp (data, "\x89PNG\r\n\x1a\n", 8) == 0)
    return "png";
  if (size >= 3 && data[0] == 0xff && data[1] == 0xd8 && data[2] == 0xff)
    return "jpg";
  if (size >= 12 && memcmp (data, "RIFF", 4) == 0 && memcmp (data + 8, "WEBP", 4) == 0)
    return "webp";
  if (size >= 6 && (memcmp (data, "GIF87a", 6) == 0 || memcmp (data, "GIF89a", 6) == 0))
    return "gif";
  if (size >= 2 && data[0] == 0x1f && data[1] == 0x8b)
    return "pbf";
  return NULL;
}

const char *
cd_tiles_get_user_agent (void)
{
  return "Crewdesk/" PACKAGE_VERSION " ";
}
