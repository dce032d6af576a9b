/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-areas.c: service areas as polygons (see cd-areas.h). */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <math.h>
#include <string.h>

#include "cd-areas.h"
#include "cd-city.h"
#include "cd-enum-types.h"
#include "cd-json.h"
#include "cd-server.h"

/* An area id is also a ticket's and a crew's "area" (at most 64 bytes). */
#define MAX_ID_BYTES 64
#define MAX_AREAS    10000
#define MAX_CORNERS  100000

typedef struct
{
  char        *id;
  CdAreaClass  area_class;
  GArray      *polygon;   /* CdCityPoint */
  double       south, west, north, east;
} Area;

struct _CdAreas
{
  GArray *areas;          /* Area */
};

static void
area_clear (gpointer data)
{
  Area *area = data;

  g_free (area->id);
  g_clear_pointer (&area->polygon, g_array_unref);
}

static CdAreas *
areas_new (void)
{
  CdAreas *self = g_new0 (CdAreas, 1);

  self->areas = g_array_new (FALSE, TRUE, sizeof (Area));
  g_array_set_clear_func (self->areas, area_clear);
  return self;
}

/* Takes @polygon; computes the bounding box that skips most tests. */
static void
add_area (CdAreas     *self,
          const char  *id,
          CdAreaClass  area_class,
          GArray      *polygon)
{
  Area area = { g_strdup (id), area_class, polygon, 90, 180, -90, -180 };

  for (guint i = 0; i < polygon->len; i++)
    {
      const CdCityPoint *p = &g_array_index (polygon, CdCityPoint, i);

      area.south = MIN (area.south, p->lat);
      area.north = MAX (area.north, p->lat);
      area.west = MIN (area.west, p->lon);
      area.east = MAX (area.east, p->lon);
    }
  g_array_append_val (self->areas, area);
}

CdAreas *
cd_areas_new_demo (void)
{
  CdCity *city = cd_city_get_demo ();
  CdAreas *self = areas_new ();

  for (guint i = 0; i < cd_city_get_n_districts (city); i++)
    {
      const CdCityDistrict *d = cd_city_get_district (city, i);
      GArray *polygon = g_array_sized_new (FALSE, FALSE, sizeof (CdCityPoint), d->polygon->len);

      g_array_append_vals (polygon, d->polygon->data, d->polygon->len);
      add_area (self, d->id, d->area_class, polygon);
    }

  return self;
}

static gboolean
area_error (GError     **error,
            const char  *path,
            guint        index,
            const char  *problem)
{
  g_autofree char *name = g_filename_display_name (path);

  g_set_error (error, CD_SERVER_ERROR, CD_SERVER_ERROR_CONFIG,
               _("The service areas in “%s” cannot be used: area %u %s. Correct the file and start the server again."),
               name, index + 1, problem);
  return FALSE;
}

static gboolean
read_corner (JsonNode    *node,
             CdCityPoint *point)
{
  JsonArray *pair;
  JsonNode *lat, *lon;

  if (!JSON_NODE_HOLDS_ARRAY (node))
    return FALSE;
  pair = json_node_get_array (node);
  if (json_array_get_length (pair) != 2)
    return FALSE;
  lat = json_array_get_element (pair, 0);
  lon = json_array_get_element (pair, 1);
  if (!JSON_NODE_HOLDS_VALUE (lat) || !JSON_NODE_HOLDS_VALUE (lon) ||
      (json_node_get_value_type (lat) != G_TYPE_DOUBLE && json_node_get_value_type (lat) != G_TYPE_INT64) ||
      (json_node_get_value_type (lon) != G_TYPE_DOUBLE && json_node_get_value_type (lon) != G_TYPE_INT64))
    return FALSE;

  point->lat = json_node_get_double (lat);
  point->lon = json_node_get_double (lon);
  return isfinite (point->lat) && isfinite (point->lon) &&
         point->lat >= -90 && point->lat <= 90 && point->lon >= -180 && point->lon <= 180;
}

CdAreas *
cd_areas_new_from_file (const char  *path,
                        GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *data = NULL;
  g_autofree char *name = g_filename_display_name (path);
  CdAreas *self;
  JsonNode *list;
  GEnumClass *classes;
  gsize length;

  g_return_val_if_fail (path != NULL, NULL);

  if (!g_file_get_contents (path, &data, &length, &local_error))
    {
      g_set_error (error, CD_SERVER_ERROR, CD_SERVER_ERROR_CONFIG,
                   _("The service areas cannot be read: %s"), local_error->message);
      return NULL;
    }
  root = cd_json_parse (data, length, CD_JSON_MAX_BYTES, CD_JSON_MAX_DEPTH, &local_error);
  if (root == NULL)
    {
      g_set_error (error, CD_SERVER_ERROR, CD_SERVER_ERROR_CONFIG,
                   _("The service areas in “%s” are not valid JSON: %s"), name, local_error->message);
      return NULL;
    }
  list = JSON_NODE_HOLDS_OBJECT (root) ? json_object_get_member (json_node_get_object (root), "areas") : NULL;
  if (list == NULL || !JSON_NODE_HOLDS_ARRAY (list) || json_array_get_length (json_node_get_array (list)) == 0 ||
      json_array_get_length (json_node_get_array (list)) > MAX_AREAS)
    {
      g_set_error (error, CD_SERVER_ERROR, CD_SERVER_ERROR_CONFIG,
                   _("The service areas in “%s” must be an object with a list “areas” of 1 to %d areas."),
                   name, MAX_AREAS);
      return NULL;
    }

  self = areas_new ();
  classes = g_type_class_ref (CD_TYPE_AREA_CLASS);
  for (guint i = 0; i < json_array_get_length (json_node_get_array (list)); i++)
    {
      JsonNode *item = json_array_get_element (json_node_get_array (list), i);
      JsonObject *o = JSON_NODE_HOLDS_OBJECT (item) ? json_node_get_object (item) : NULL;
      JsonNode *id = o ? json_object_get_member (o, "id") : NULL;
      JsonNode *klass = o ? json_object_get_member (o, "area_class") : NULL;
      JsonNode *corners = o ? json_object_get_member (o, "polygon") : NULL;
      GEnumValue *value = NULL;
      GArray *polygon;
      guint n;

      if (id == NULL || !JSON_NODE_HOLDS_VALUE (id) || json_node_get_value_type (id) != G_TYPE_STRING ||
          *json_node_get_string (id) == '\0' || strlen (json_node_get_string (id)) > MAX_ID_BYTES ||
          !g_utf8_validate (json_node_get_string (id), -1, NULL))
        {
          area_error (error, path, i, _("needs an “id” of 1 to 64 bytes"));
          goto fail;
        }
      if (cd_areas_lookup (self, json_node_get_string (id), NULL))
        {
          area_error (error, path, i, _("repeats an “id” listed before"));
          goto fail;
        }
      if (klass != NULL && JSON_NODE_HOLDS_VALUE (klass) && json_node_get_value_type (klass) == G_TYPE_STRING)
        value = g_enum_get_value_by_nick (classes, json_node_get_string (klass));
      if (value == NULL)
        {
          area_error (error, path, i, _("needs an “area_class”: urban, rural or remote"));
          goto fail;
        }
      n = corners && JSON_NODE_HOLDS_ARRAY (corners) ? json_array_get_length (json_node_get_array (corners)) : 0;
      if (n < 3 || n > MAX_CORNERS)
        {
          area_error (error, path, i, _("needs a “polygon” of at least three [lat, lon] corners"));
          goto fail;
        }

      polygon = g_array_sized_new (FALSE, FALSE, sizeof (CdCityPoint), n);
      for (guint k = 0; k < n; k++)
        {
          CdCityPoint p;

          if (!read_corner (json_array_get_element (json_node_get_array (corners), k), &p))
            {
              g_array_unref (polygon);
              area_error (error, path, i, _("has a corner that is not [lat, lon] in degrees"));
              goto fail;
            }
          g_array_append_val (polygon, p);
        }
      add_area (self, json_node_get_string (id), value->value, polygon);
    }
  g_type_class_unref (classes);

  return self;

fail:
  g_type_class_unref (classes);
  cd_areas_free (self);
  return NULL;
}

void
cd_areas_free (CdAreas *self)
{
  if (self == NULL)
    return;

  g_array_unref (self->areas);
  g_free (self);
}

guint
cd_areas_get_n (CdAreas *self)
{
  return self ? self->areas->len : 0;
}

const char *
cd_areas_find (CdAreas     *self,
               double       lat,
               double       lon,
               CdAreaClass *area_class)
{
  for (guint i = 0; self != NULL && i < self->areas->len; i++)
    {
      const Area *area = &g_array_index (self->areas, Area, i);

      if (lat < area->south || lat > area->north || lon < area->west || lon > area->east ||
          !cd_city_polygon_contains (area->polygon, lat, lon))
        continue;
      if (area_class != NULL)
        *area_class = area->area_class;
      return area->id;
    }

  return NULL;
}

gboolean
cd_areas_lookup (CdAreas     *self,
                 const char  *id,
                 CdAreaClass *area_class)
{
  for (guint i = 0; self != NULL && id != NULL && i < self->areas->len; i++)
    {
      const Area *area = &g_array_index (self->areas, Area, i);

      if (g_strcmp0 (area->id, id) == 0)
        {
          if (area_class != NULL)
            *area_class = area->area_class;
          return TRUE;
        }
    }

  return FALSE;
}
