/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-tiles.c: the map's tile source, as the settings configure it. */
#include "config.h"

#undef G_LOG_DOMAIN
#define G_LOG_DOMAIN "CrewdeskTiles"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

#include "cd-mbtiles-source.h"
#include "cd-online-source.h"
#include "cd-tiles.h"
#include "tiles/cd-tiles-config.h"

#define DEMO_TILES_NAME "demo-city.mbtiles"
#define OSM_COPYRIGHT   "https://www.openstreetmap.org/copyright"

static const char * const setting_keys[] = {
  CD_TILES_KEY_SOURCE,
  CD_TILES_KEY_URL_TEMPLATE,
  CD_TILES_KEY_MBTILES_PATH,
  CD_TILES_KEY_BULK_DOWNLOAD,
  CD_TILES_KEY_CACHE_SIZE,
  CD_TILES_KEY_ATTRIBUTION,
  NULL
};

const char * const *
cd_tiles_get_setting_keys (void)
{
  return setting_keys;
}

char *
cd_tiles_get_demo_path (void)
{
  const char *env = g_getenv ("CREWDESK_DEMO_TILES");
  g_autofree char *installed = g_build_filename (PKGDATADIR, DEMO_TILES_NAME, NULL);
  g_autofree char *built = g_build_filename (CD_TILES_BUILD_DIR, DEMO_TILES_NAME, NULL);

  if (env != NULL && *env != '\0')
    return g_strdup (env);
  if (g_file_test (installed, G_FILE_TEST_IS_REGULAR))
    return g_steal_pointer (&installed);
  /* Running from the build tree. */
  if (g_file_test (built, G_FILE_TEST_IS_REGULAR))
    return g_steal_pointer (&built);
  return g_steal_pointer (&installed);
}

CdTileSourceMode
cd_tiles_get_mode (GSettings *settings)
{
  g_autofree char *mode = NULL;

  g_return_val_if_fail (G_IS_SETTINGS (settings), CD_TILE_SOURCE_ONLINE);

  mode = g_settings_get_string (settings, CD_TILES_KEY_SOURCE);
  if (g_strcmp0 (mode, "mbtiles") == 0)
    return CD_TILE_SOURCE_MBTILES;
  if (g_strcmp0 (mode, "both") == 0)
    return CD_TILE_SOURCE_BOTH;
  return CD_TILE_SOURCE_ONLINE;
}

void
cd_tiles_set_mode (GSettings        *settings,
                   CdTileSourceMode  mode)
{
  static const char * const names[] = { "online", "mbtiles", "both" };

  g_return_if_fail (G_IS_SETTINGS (settings));
  g_return_if_fail (mode <= CD_TILE_SOURCE_BOTH);

  g_settings_set_string (settings, CD_TILES_KEY_SOURCE, names[mode]);
}

char *
cd_tiles_get_mbtiles_path (GSettings *settings)
{
  g_autofree char *path = NULL;

  g_return_val_if_fail (G_IS_SETTINGS (settings), NULL);

  path = g_settings_get_string (settings, CD_TILES_KEY_MBTILES_PATH);
  if (path == NULL || *path == '\0')
    return cd_tiles_get_demo_path ();
  return g_steal_pointer (&path);
}

char *
cd_tiles_attribution_to_text (const char *attribution)
{
  static const struct { const char *entity; const char *text; } entities[] = {
    { "&copy;", "©" }, { "&amp;", "&" }, { "&lt;", "<" }, { "&gt;", ">" },
    { "&quot;", "\"" }, { "&#39;", "'" }, { "&nbsp;", " " },
  };
  g_autoptr(GString) out = NULL;
  gboolean in_tag = FALSE;

  if (attribution == NULL)
    return NULL;

  out = g_string_new (NULL);
  for (const char *p = attribution; *p; p++)
    {
      if (*p == '<')
        in_tag = TRUE;
      else if (*p == '>' && in_tag)
        in_tag = FALSE;
      else if (!in_tag)
        g_string_append_c (out, *p);
    }
  for (guint i = 0; i < G_N_ELEMENTS (entities); i++)
    g_string_replace (out, entities[i].entity, entities[i].text, 0);

  return g_strstrip (g_string_free (g_steal_pointer (&out), FALSE));
}

static gboolean
is_osm_template (const char *url_template)
{
  g_autofree char *sample = cd_tile_url_expand (url_template, 0, 0, 0);
  g_autoptr(GUri) uri = g_uri_parse (sample, G_URI_FLAGS_NONE, NULL);
  const char *host = uri ? g_uri_get_host (uri) : NULL;

  return host != NULL && (g_str_equal (host, "openstreetmap.org") || g_str_has_suffix (host, ".openstreetmap.org"));
}

/* Both credits, once each. */
static char *
join_attributions (const char *first,
                   const char *second)
{
  if (first == NULL || *first == '\0')
    return g_strdup (second);
  if (second == NULL || *second == '\0' || g_str_equal (first, second))
    return g_strdup (first);
  return g_strdup_printf ("%s · %s", first, second);
}

ShumateMapSource *
cd_tiles_create_map_source (GSettings  *settings,
                            GError    **error)
{
  g_autoptr(CdOnlineSource) online = NULL;
  g_autoptr(CdMbtilesSource) offline = NULL;
  g_autofree char *url_template = NULL;
  g_autofree char *attribution = NULL;
  g_autofree char *path = NULL;
  g_autofree char *license = NULL;
  g_autofree char *file_credit = NULL;
  g_autofree char *id = NULL;
  g_autofree char *fingerprint = NULL;
  g_autofree char *digest = NULL;
  const char *license_uri = NULL;
  const char *name;
  ShumateDataSource *data_source;
  CdTileSourceMode mode;
  guint cache_mb;
  int min_zoom, max_zoom;

  g_return_val_if_fail (G_IS_SETTINGS (settings), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  mode = cd_tiles_get_mode (settings);
  url_template = g_settings_get_string (settings, CD_TILES_KEY_URL_TEMPLATE);
  attribution = g_settings_get_string (settings, CD_TILES_KEY_ATTRIBUTION);
  cache_mb = g_settings_get_uint (settings, CD_TILES_KEY_CACHE_SIZE);
  path = cd_tiles_get_mbtiles_path (settings);

  if (mode != CD_TILE_SOURCE_MBTILES)
    {
      if (!cd_tile_url_template_check (url_template, error))
        return NULL;
      online = cd_online_source_new (url_template, cache_mb, NULL);
      if (is_osm_template (url_template))
        license_uri = OSM_COPYRIGHT;
    }

  if (mode != CD_TILE_SOURCE_ONLINE)
    {
      offline = cd_mbtiles_source_new (path, error);
      if (offline == NULL)
        return NULL;
      file_credit = cd_tiles_attribution_to_text (cd_mbtiles_source_get_attribution (offline));
    }

  switch (mode)
    {
    case CD_TILE_SOURCE_MBTILES:
      data_source = SHUMATE_DATA_SOURCE (offline);
      min_zoom = cd_mbtiles_source_get_min_zoom (offline);
      max_zoom = cd_mbtiles_source_get_max_zoom (offline);
      license = g_strdup (file_credit && *file_credit ? file_credit : attribution);
      name = _("Offline map");
      break;
    case CD_TILE_SOURCE_BOTH:
      cd_mbtiles_source_set_fallback (offline, SHUMATE_DATA_SOURCE (online));
      data_source = SHUMATE_DATA_SOURCE (offline);
      min_zoom = 0;
      max_zoom = MAX (CD_TILES_ONLINE_MAX_ZOOM, cd_mbtiles_source_get_max_zoom (offline));
      license = join_attributions (file_credit, attribution);
      name = _("Offline map, then online");
      break;
    case CD_TILE_SOURCE_ONLINE:
    default:
      data_source = SHUMATE_DATA_SOURCE (online);
      min_zoom = 0;
      max_zoom = CD_TILES_ONLINE_MAX_ZOOM;
      license = g_strdup (attribution);
      name = _("Online map");
      break;
    }

  /* libshumate's memory cache is keyed by the source's id. */
  fingerprint = g_strdup_printf ("%d\n%s\n%s", mode, mode != CD_TILE_SOURCE_MBTILES ? url_template : "",
                                 mode != CD_TILE_SOURCE_ONLINE ? path : "");
  digest = g_compute_checksum_for_string (G_CHECKSUM_SHA1, fingerprint, -1);
  digest[12] = '\0';
  id = g_strdup_printf ("crewdesk-%s", digest);

  return SHUMATE_MAP_SOURCE (shumate_raster_renderer_new_full (id, name, license, license_uri,
                                                               min_zoom, max_zoom, CD_TILE_SIZE,
                                                               SHUMATE_MAP_PROJECTION_MERCATOR,
                                                               data_source));
}

gboolean
cd_tiles_bounds_from_viewport (ShumateViewport *viewport,
                               GtkWidget       *widget,
                               CdTileBounds    *bounds)
{
  double w, h;
  double xs[4], ys[4];

  g_return_val_if_fail (SHUMATE_IS_VIEWPORT (viewport), FALSE);
  g_return_val_if_fail (GTK_IS_WIDGET (widget), FALSE);
  g_return_val_if_fail (bounds != NULL, FALSE);

  w = gtk_widget_get_width (widget);
  h = gtk_widget_get_height (widget);
  if (shumate_viewport_get_reference_map_source (viewport) == NULL || w <= 0 || h <= 0)
    return FALSE;

  xs[0] = 0; ys[0] = 0;
  xs[1] = w; ys[1] = 0;
  xs[2] = 0; ys[2] = h;
  xs[3] = w; ys[3] = h;

  bounds->south = bounds->west = G_MAXDOUBLE;
  bounds->north = bounds->east = -G_MAXDOUBLE;
  for (guint i = 0; i < 4; i++)
    {
      double lat, lon;

      shumate_viewport_widget_coords_to_location (viewport, widget, xs[i], ys[i], &lat, &lon);
      bounds->south = MIN (bounds->south, lat);
      bounds->north = MAX (bounds->north, lat);
      bounds->west = MIN (bounds->west, lon);
      bounds->east = MAX (bounds->east, lon);
    }

  bounds->south = CLAMP (bounds->south, -CD_TILE_MAX_LATITUDE, CD_TILE_MAX_LATITUDE);
  bounds->north = CLAMP (bounds->north, -CD_TILE_MAX_LATITUDE, CD_TILE_MAX_LATITUDE);
  bounds->west = CLAMP (bounds->west, -180.0, 180.0);
  bounds->east = CLAMP (bounds->east, -180.0, 180.0);
  return cd_tile_bounds_is_valid (bounds);
}
