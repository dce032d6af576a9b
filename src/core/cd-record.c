/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-record.c: one field table drives properties, JSON and equality. */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <math.h>
#include <string.h>

#include "cd-json.h"
#include "cd-record.h"

G_DEFINE_ABSTRACT_TYPE (CdRecord, cd_record, G_TYPE_OBJECT)

static const CdField identity_fields[] = {
  { "id", NULL, CD_FIELD_UUID, G_STRUCT_OFFSET (CdRecord, id), CD_FIELD_REQUIRED },
  { "version", NULL, CD_FIELD_INT, G_STRUCT_OFFSET (CdRecord, version), 0, 0, 0, G_MAXINT64 },
  { "rev", NULL, CD_FIELD_INT, G_STRUCT_OFFSET (CdRecord, rev), 0, 0, 0, G_MAXINT64 },
};

/* kind -> GType, filled as classes initialise. */
static GHashTable *kinds;
G_LOCK_DEFINE_STATIC (kinds);

#define FIELD_PTR(obj, f, type) ((type *) (gpointer) ((guint8 *) (obj) + (f)->offset))

static gsize
field_max_length (const CdField *f)
{
  if (f->max_length > 0)
    return f->max_length;

  switch (f->type)
    {
    case CD_FIELD_STRV:
    case CD_FIELD_LIST:
      return CD_FIELD_DEFAULT_MAX_ITEMS;
    case CD_FIELD_STRING:
    case CD_FIELD_UUID:
    case CD_FIELD_INT:
    case CD_FIELD_DOUBLE:
    case CD_FIELD_BOOLEAN:
    case CD_FIELD_ENUM:
    case CD_FIELD_TIME:
    case CD_FIELD_LATITUDE:
    case CD_FIELD_LONGITUDE:
    default:
      return CD_FIELD_DEFAULT_MAX_STRING;
    }
}

static char *
field_path (const char    *prefix,
            const CdField *f)
{
  return g_strconcat (prefix ? prefix : "", prefix && *prefix ? "." : "",
                      f->group ? f->group : "", f->group ? "." : "",
                      f->name, NULL);
}

static const char *
field_property_name (const CdField *f)
{
  g_autofree char *name = NULL;

  name = f->group ? g_strconcat (f->group, "-", f->name, NULL) : g_strdup (f->name);
  g_strdelimit (name, "_", '-');
  return g_intern_string (name);
}

/* Field values ------------------------------------------------------------ */

static gboolean
list_equal (GPtrArray *a,
            GPtrArray *b)
{
  guint na = a ? a->len : 0;
  guint nb = b ? b->len : 0;

  if (na != nb)
    return FALSE;

  for (guint i = 0; i < na; i++)
    if (!cd_record_equal (g_ptr_array_index (a, i), g_ptr_array_index (b, i)))
      return FALSE;

  return TRUE;
}

static gboolean
strv_equal (char **a,
            char **b)
{
  if (a == NULL || b == NULL)
    return (a == NULL || a[0] == NULL) && (b == NULL || b[0] == NULL);

  return g_strv_equal ((const char * const *) a, (const char * const *) b);
}

static gboolean
field_equal (gpointer       a,
             gpointer       b,
             const CdField *f)
{
  switch (f->type)
    {
    case CD_FIELD_STRING:
    case CD_FIELD_UUID:
      return g_strcmp0 (*FIELD_PTR (a, f, char *), *FIELD_PTR (b, f, char *)) == 0;
    case CD_FIELD_INT:
    case CD_FIELD_TIME:
      return *FIELD_PTR (a, f, gint64) == *FIELD_PTR (b, f, gint64);
    case CD_FIELD_DOUBLE:
    case CD_FIELD_LATITUDE:
    case CD_FIELD_LONGITUDE:
      return *FIELD_PTR (a, f, double) == *FIELD_PTR (b, f, double);
    case CD_FIELD_BOOLEAN:
      return !*FIELD_PTR (a, f, gboolean) == !*FIELD_PTR (b, f, gboolean);
    case CD_FIELD_ENUM:
      return *FIELD_PTR (a, f, gint) == *FIELD_PTR (b, f, gint);
    case CD_FIELD_STRV:
      return strv_equal (*FIELD_PTR (a, f, char **), *FIELD_PTR (b, f, char **));
    case CD_FIELD_LIST:
      return list_equal (*FIELD_PTR (a, f, GPtrArray *), *FIELD_PTR (b, f, GPtrArray *));
    default:
      g_assert_not_reached ();
    }
}

static gboolean
field_is_default (gpointer       obj,
                  const CdField *f)
{
  switch (f->type)
    {
    case CD_FIELD_STRING:
    case CD_FIELD_UUID:
      return *FIELD_PTR (obj, f, char *) == NULL;
    case CD_FIELD_INT:
    case CD_FIELD_TIME:
      return *FIELD_PTR (obj, f, gint64) == 0;
    case CD_FIELD_DOUBLE:
    case CD_FIELD_LATITUDE:
    case CD_FIELD_LONGITUDE:
      return *FIELD_PTR (obj, f, double) == 0.0;
    case CD_FIELD_BOOLEAN:
      return !*FIELD_PTR (obj, f, gboolean);
    case CD_FIELD_ENUM:
      return *FIELD_PTR (obj, f, gint) == 0;
    case CD_FIELD_STRV:
      {
        char **v = *FIELD_PTR (obj, f, char **);
        return v == NULL || v[0] == NULL;
      }
    case CD_FIELD_LIST:
      {
        GPtrArray *v = *FIELD_PTR (obj, f, GPtrArray *);
        return v == NULL || v->len == 0;
      }
    default:
      g_assert_not_reached ();
    }
}

static void
field_clear (gpointer       obj,
             const CdField *f)
{
  switch (f->type)
    {
    case CD_FIELD_STRING:
    case CD_FIELD_UUID:
      g_clear_pointer (FIELD_PTR (obj, f, char *), g_free);
      break;
    case CD_FIELD_STRV:
      g_clear_pointer (FIELD_PTR (obj, f, char **), g_strfreev);
      break;
    case CD_FIELD_LIST:
      g_clear_pointer (FIELD_PTR (obj, f, GPtrArray *), g_ptr_array_unref);
      break;
    case CD_FIELD_INT:
    case CD_FIELD_TIME:
    case CD_FIELD_DOUBLE:
    case CD_FIELD_LATITUDE:
    case CD_FIELD_LONGITUDE:
    case CD_FIELD_BOOLEAN:
    case CD_FIELD_ENUM:
    default:
      break;
    }
}

static GPtrArray *
list_copy (GPtrArray *src)
{
  GPtrArray *dst;

  if (src == NULL)
    return NULL;

  dst = g_ptr_array_new_full (src->len, g_object_unref);
  for (guint i = 0; i < src->len; i++)
    g_ptr_array_add (dst, cd_record_copy (g_ptr_array_index (src, i)));

  return dst;
}

static void
field_copy (gpointer       dst,
            gpointer       src,
            const CdField *f)
{
  switch (f->type)
    {
    case CD_FIELD_STRING:
    case CD_FIELD_UUID:
      g_free (*FIELD_PTR (dst, f, char *));
      *FIELD_PTR (dst, f, char *) = g_strdup (*FIELD_PTR (src, f, char *));
      break;
    case CD_FIELD_INT:
    case CD_FIELD_TIME:
      *FIELD_PTR (dst, f, gint64) = *FIELD_PTR (src, f, gint64);
      break;
    case CD_FIELD_DOUBLE:
    case CD_FIELD_LATITUDE:
    case CD_FIELD_LONGITUDE:
      *FIELD_PTR (dst, f, double) = *FIELD_PTR (src, f, double);
      break;
    case CD_FIELD_BOOLEAN:
      *FIELD_PTR (dst, f, gboolean) = !!*FIELD_PTR (src, f, gboolean);
      break;
    case CD_FIELD_ENUM:
      *FIELD_PTR (dst, f, gint) = *FIELD_PTR (src, f, gint);
      break;
    case CD_FIELD_STRV:
      g_strfreev (*FIELD_PTR (dst, f, char **));
      *FIELD_PTR (dst, f, char **) = g_strdupv (*FIELD_PTR (src, f, char **));
      break;
    case CD_FIELD_LIST:
      g_clear_pointer (FIELD_PTR (dst, f, GPtrArray *), g_ptr_array_unref);
      *FIELD_PTR (dst, f, GPtrArray *) = list_copy (*FIELD_PTR (src, f, GPtrArray *));
      break;
    default:
      g_assert_not_reached ();
    }
}

static void
field_to_value (gpointer       obj,
                const CdField *f,
                GValue        *value)
{
  switch (f->type)
    {
    case CD_FIELD_STRING:
    case CD_FIELD_UUID:
      g_value_set_string (value, *FIELD_PTR (obj, f, char *));
      break;
    case CD_FIELD_INT:
    case CD_FIELD_TIME:
      g_value_set_int64 (value, *FIELD_PTR (obj, f, gint64));
      break;
    case CD_FIELD_DOUBLE:
    case CD_FIELD_LATITUDE:
    case CD_FIELD_LONGITUDE:
      g_value_set_double (value, *FIELD_PTR (obj, f, double));
      break;
    case CD_FIELD_BOOLEAN:
      g_value_set_boolean (value, *FIELD_PTR (obj, f, gboolean));
      break;
    case CD_FIELD_ENUM:
      g_value_set_enum (value, *FIELD_PTR (obj, f, gint));
      break;
    case CD_FIELD_STRV:
    case CD_FIELD_LIST:
      g_value_set_boxed (value, *FIELD_PTR (obj, f, gpointer));
      break;
    default:
      g_assert_not_reached ();
    }
}

/* Returns TRUE when the stored value changed. */
static gboolean
field_from_value (gpointer       obj,
                  const CdField *f,
                  const GValue  *value)
{
  switch (f->type)
    {
    case CD_FIELD_STRING:
    case CD_FIELD_UUID:
      {
        char **p = FIELD_PTR (obj, f, char *);
        const char *s = g_value_get_string (value);

        if (g_strcmp0 (*p, s) == 0)
          return FALSE;
        g_free (*p);
        *p = g_strdup (s);
        return TRUE;
      }
    case CD_FIELD_INT:
    case CD_FIELD_TIME:
      {
        gint64 *p = FIELD_PTR (obj, f, gint64);
        gint64 v = g_value_get_int64 (value);

        if (*p == v)
          return FALSE;
        *p = v;
        return TRUE;
      }
    case CD_FIELD_DOUBLE:
    case CD_FIELD_LATITUDE:
    case CD_FIELD_LONGITUDE:
      {
        double *p = FIELD_PTR (obj, f, double);
        double v = g_value_get_double (value);

        if (*p == v)
          return FALSE;
        *p = v;
        return TRUE;
      }
    case CD_FIELD_BOOLEAN:
      {
        gboolean *p = FIELD_PTR (obj, f, gboolean);
        gboolean v = g_value_get_boolean (value);

        if (!*p == !v)
          return FALSE;
        *p = !!v;
        return TRUE;
      }
    case CD_FIELD_ENUM:
      {
        gint *p = FIELD_PTR (obj, f, gint);
        gint v = g_value_get_enum (value);

        if (*p == v)
          return FALSE;
        *p = v;
        return TRUE;
      }
    case CD_FIELD_STRV:
      {
        char ***p = FIELD_PTR (obj, f, char **);
        char **v = g_value_get_boxed (value);

        if (strv_equal (*p, v))
          return FALSE;
        g_strfreev (*p);
        *p = g_strdupv (v);
        return TRUE;
      }
    case CD_FIELD_LIST:
      {
        GPtrArray **p = FIELD_PTR (obj, f, GPtrArray *);
        GPtrArray *v = g_value_get_boxed (value);

        if (list_equal (*p, v))
          return FALSE;
        g_clear_pointer (p, g_ptr_array_unref);
        *p = v ? g_ptr_array_ref (v) : NULL;
        return TRUE;
      }
    default:
      g_assert_not_reached ();
    }
}

/* Encoding ---------------------------------------------------------------- */

static const char *
enum_nick (const CdField *f,
           gint           v)
{
  GEnumClass *klass = g_type_class_peek (f->value_type ());
  GEnumValue *ev = g_enum_get_value (klass, v);

  return ev ? ev->value_nick : NULL;
}

static JsonNode *
field_encode (gpointer       obj,
              const CdField *f)
{
  JsonNode *node = json_node_alloc ();

  switch (f->type)
    {
    case CD_FIELD_STRING:
    case CD_FIELD_UUID:
      {
        const char *s = *FIELD_PTR (obj, f, char *);

        if (s)
          json_node_init_string (node, s);
        else
          json_node_init_null (node);
        break;
      }
    case CD_FIELD_INT:
      json_node_init_int (node, *FIELD_PTR (obj, f, gint64));
      break;
    case CD_FIELD_TIME:
      {
        g_autofree char *s = cd_json_format_time (*FIELD_PTR (obj, f, gint64));

        if (s)
          json_node_init_string (node, s);
        else
          json_node_init_null (node);
        break;
      }
    case CD_FIELD_DOUBLE:
    case CD_FIELD_LATITUDE:
    case CD_FIELD_LONGITUDE:
      json_node_init_double (node, *FIELD_PTR (obj, f, double));
      break;
    case CD_FIELD_BOOLEAN:
      json_node_init_boolean (node, *FIELD_PTR (obj, f, gboolean));
      break;
    case CD_FIELD_ENUM:
      json_node_init_string (node, enum_nick (f, *FIELD_PTR (obj, f, gint)));
      break;
    case CD_FIELD_STRV:
      {
        char **v = *FIELD_PTR (obj, f, char **);
        JsonArray *array = json_array_new ();

        for (guint i = 0; v && v[i]; i++)
          json_array_add_string_element (array, v[i]);
        json_node_init_array (node, array);
        json_array_unref (array);
        break;
      }
    case CD_FIELD_LIST:
      {
        GPtrArray *v = *FIELD_PTR (obj, f, GPtrArray *);
        JsonArray *array = json_array_new ();

        for (guint i = 0; v && i < v->len; i++)
          json_array_add_element (array, cd_record_to_json (g_ptr_array_index (v, i)));
        json_node_init_array (node, array);
        json_array_unref (array);
        break;
      }
    default:
      g_assert_not_reached ();
    }

  return node;
}

static gboolean
group_is_default (CdRecordClass *klass,
                  gpointer       obj,
                  const char    *group)
{
  for (guint i = 0; i < klass->n_all_fields; i++)
    {
      const CdField *f = klass->all_fields[i];

      if (g_strcmp0 (f->group, group) == 0 && !field_is_default (obj, f))
        return FALSE;
    }

  return TRUE;
}

JsonNode *
cd_record_to_json (CdRecord *self)
{
  CdRecordClass *klass;
  JsonObject *object;
  JsonNode *node;

  g_return_val_if_fail (CD_IS_RECORD (self), NULL);

  klass = CD_RECORD_GET_CLASS (self);
  object = json_object_new ();

  for (guint i = 0; i < klass->n_all_fields; i++)
    {
      const CdField *f = klass->all_fields[i];
      JsonObject *target = object;

      if (f->flags & CD_FIELD_SECRET)
        continue;

      if (f->group != NULL)
        {
          if (!json_object_has_member (object, f->group))
            {
              if (group_is_default (klass, self, f->group))
                {
                  json_object_set_null_member (object, f->group);
                  continue;
                }
              json_object_set_object_member (object, f->group, json_object_new ());
            }

          target = json_object_get_object_member (object, f->group);
          if (target == NULL)
            continue;
        }

      json_object_set_member (target, f->name, field_encode (self, f));
    }

  node = json_node_init_object (json_node_alloc (), object);
  json_object_unref (object);
  return node;
}

char *
cd_record_to_json_string (CdRecord *self,
                          gsize    *length)
{
  g_autoptr(JsonNode) node = cd_record_to_json (self);

  return cd_json_to_string (node, length);
}

/* Decoding ---------------------------------------------------------------- */

static gboolean
wrong_type (const char  *path,
            const char  *expected,
            JsonNode    *node,
            GError     **error)
{
  g_set_error (error, CD_CODEC_ERROR, CD_CODEC_ERROR_WRONG_TYPE,
               _("Field “%s” must be %s, not %s."),
               path, expected, cd_json_node_describe (node));
  return FALSE;
}

static gboolean
holds (JsonNode *node,
       GType     type)
{
  return JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == type;
}

static gboolean
check_string (const char     *path,
              const CdField  *f,
              JsonNode       *node,
              const char    **out,
              GError        **error)
{
  const char *s;
  gsize max = field_max_length (f);

  if (!holds (node, G_TYPE_STRING))
    return wrong_type (path, _("a string"), node, error);

  s = json_node_get_string (node);
  if (strlen (s) > max)
    {
      g_set_error (error, CD_CODEC_ERROR, CD_CODEC_ERROR_TOO_LONG,
                   _("Field “%s” is longer than %llu bytes."), path, (unsigned long long) max);
      return FALSE;
    }

  *out = s;
  return TRUE;
}

static gboolean
check_range (const char     *path,
             double          v,
             double          min,
             double          max,
             GError        **error)
{
  if (isnan (v) || v < min || v > max)
    {
      g_set_error (error, CD_CODEC_ERROR, CD_CODEC_ERROR_OUT_OF_RANGE,
                   _("Field “%s” is %g; it must lie between %g and %g."),
                   path, v, min, max);
      return FALSE;
    }

  return TRUE;
}

static gboolean
decode_list_length (const char     *path,
                    const CdField  *f,
                    JsonNode       *node,
                    JsonArray     **out,
                    GError        **error)
{
  JsonArray *array;
  gsize max = field_max_length (f);

  if (!JSON_NODE_HOLDS_ARRAY (node))
    return wrong_type (path, _("an array"), node, error);

  array = json_node_get_array (node);
  if (json_array_get_length (array) > max)
    {
      g_set_error (error, CD_CODEC_ERROR, CD_CODEC_ERROR_TOO_LONG,
                   _("Field “%s” has more than %llu items."), path, (unsigned long long) max);
      return FALSE;
    }

  *out = array;
  return TRUE;
}

static gpointer decode_record (GType          type,
                               JsonNode      *node,
                               const char    *prefix,
                               CdDecodeFlags  flags,
                               GError       **error);

/* Decodes @node into @value (initialised to the field's property type). A
 * null node has been handled by the caller. */
static gboolean
field_decode (const CdField  *f,
              const char     *path,
              JsonNode       *node,
              CdDecodeFlags   flags,
              GValue         *value,
              GError        **error)
{
  switch (f->type)
    {
    case CD_FIELD_STRING:
      {
        const char *s;

        if (!check_string (path, f, node, &s, error))
          return FALSE;
        g_value_set_string (value, s);
        return TRUE;
      }
    case CD_FIELD_UUID:
      {
        const char *s;

        if (!check_string (path, f, node, &s, error))
          return FALSE;
        if (!g_uuid_string_is_valid (s))
          {
            g_set_error (error, CD_CODEC_ERROR, CD_CODEC_ERROR_BAD_VALUE,
                         _("Field “%s” is not a UUID: “%s”."), path, s);
            return FALSE;
          }
        g_value_set_string (value, s);
        return TRUE;
      }
    case CD_FIELD_INT:
      {
        gint64 v;

        if (!holds (node, G_TYPE_INT64))
          return wrong_type (path, _("an integer"), node, error);
        v = json_node_get_int (node);
        if (f->min < f->max && !check_range (path, (double) v, f->min, f->max, error))
          return FALSE;
        g_value_set_int64 (value, v);
        return TRUE;
      }
    case CD_FIELD_TIME:
      {
        const char *s;
        gint64 t = 0;

        if (!holds (node, G_TYPE_STRING))
          return wrong_type (path, _("an ISO 8601 time"), node, error);
        s = json_node_get_string (node);
        if (strlen (s) > 64 || !cd_json_parse_time (s, &t))
          {
            g_set_error (error, CD_CODEC_ERROR, CD_CODEC_ERROR_BAD_VALUE,
                         _("Field “%s” is not an ISO 8601 time such as 2026-01-31T08:00:00Z."), path);
            return FALSE;
          }
        g_value_set_int64 (value, t);
        return TRUE;
      }
    case CD_FIELD_DOUBLE:
    case CD_FIELD_LATITUDE:
    case CD_FIELD_LONGITUDE:
      {
        double v;

        if (!holds (node, G_TYPE_DOUBLE) && !holds (node, G_TYPE_INT64))
          return wrong_type (path, _("a number"), node, error);
        v = json_node_get_double (node);
        if (f->type == CD_FIELD_LATITUDE && !check_range (path, v, -90.0, 90.0, error))
          return FALSE;
        if (f->type == CD_FIELD_LONGITUDE && !check_range (path, v, -180.0, 180.0, error))
          return FALSE;
        if (f->min < f->max && !check_range (path, v, f->min, f->max, error))
          return FALSE;
        if (!isfinite (v))
          return check_range (path, v, -G_MAXDOUBLE, G_MAXDOUBLE, error);
        g_value_set_double (value, v);
        return TRUE;
      }
    case CD_FIELD_BOOLEAN:
      if (!holds (node, G_TYPE_BOOLEAN))
        return wrong_type (path, _("true or false"), node, error);
      g_value_set_boolean (value, json_node_get_boolean (node));
      return TRUE;
    case CD_FIELD_ENUM:
      {
        GEnumClass *klass = g_type_class_peek (f->value_type ());
        GEnumValue *ev;
        const char *s;

        if (!holds (node, G_TYPE_STRING))
          return wrong_type (path, _("a string"), node, error);
        s = json_node_get_string (node);
        ev = g_enum_get_value_by_nick (klass, s);
        if (ev == NULL)
          {
            g_autoptr(GString) allowed = g_string_new (NULL);

            for (guint i = 0; i < klass->n_values; i++)
              g_string_append_printf (allowed, "%s%s", i ? ", " : "", klass->values[i].value_nick);
            g_set_error (error, CD_CODEC_ERROR, CD_CODEC_ERROR_BAD_ENUM,
                         _("Field “%s” has the unknown value “%.64s”; expected one of %s."),
                         path, s, allowed->str);
            return FALSE;
          }
        g_value_set_enum (value, ev->value);
        return TRUE;
      }
    case CD_FIELD_STRV:
      {
        JsonArray *array;
        g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
        guint n;

        if (!decode_list_length (path, f, node, &array, error))
          return FALSE;
        n = json_array_get_length (array);
        for (guint i = 0; i < n; i++)
          {
            JsonNode *item = json_array_get_element (array, i);
            g_autofree char *item_path = g_strdup_printf ("%s[%u]", path, i);
            const CdField item_field = { f->name, NULL, CD_FIELD_STRING, 0, 0, CD_FIELD_DEFAULT_MAX_STRING };
            const char *s;

            if (!check_string (item_path, &item_field, item, &s, error))
              return FALSE;
            g_strv_builder_add (builder, s);
          }
        g_value_take_boxed (value, g_strv_builder_end (builder));
        return TRUE;
      }
    case CD_FIELD_LIST:
      {
        JsonArray *array;
        GPtrArray *items;
        guint n;

        if (!decode_list_length (path, f, node, &array, error))
          return FALSE;
        n = json_array_get_length (array);
        items = g_ptr_array_new_full (n, g_object_unref);
        for (guint i = 0; i < n; i++)
          {
            g_autofree char *item_path = g_strdup_printf ("%s[%u]", path, i);
            gpointer item = decode_record (f->value_type (), json_array_get_element (array, i),
                                           item_path, flags, error);

            if (item == NULL)
              {
                g_ptr_array_unref (items);
                return FALSE;
              }
            g_ptr_array_add (items, item);
          }
        g_value_take_boxed (value, items);
        return TRUE;
      }
    default:
      g_assert_not_reached ();
    }
}

static gboolean
is_known_member (CdRecordClass *klass,
                 const char    *group,
                 const char    *name)
{
  for (guint i = 0; i < klass->n_all_fields; i++)
    {
      const CdField *f = klass->all_fields[i];

      if (f->flags & CD_FIELD_SECRET)
        continue;
      if (group == NULL && f->group != NULL && strcmp (f->group, name) == 0)
        return TRUE;
      if (g_strcmp0 (f->group, group) == 0 && strcmp (f->name, name) == 0)
        return TRUE;
    }

  return FALSE;
}

static gboolean
is_group (CdRecordClass *klass,
          const char    *name)
{
  for (guint i = 0; i < klass->n_all_fields; i++)
    if (g_strcmp0 (klass->all_fields[i]->group, name) == 0)
      return TRUE;

  return FALSE;
}

static gboolean
check_unknown_members (CdRecordClass  *klass,
                       JsonObject     *object,
                       const char     *prefix,
                       const char     *group,
                       GError        **error)
{
  JsonObjectIter iter;
  const char *name;
  JsonNode *member;

  json_object_iter_init (&iter, object);
  while (json_object_iter_next (&iter, &name, &member))
    {
      if (!is_known_member (klass, group, name))
        {
          g_set_error (error, CD_CODEC_ERROR, CD_CODEC_ERROR_UNKNOWN_FIELD,
                       _("Field “%s%s%s%s%.64s” is not part of a %s."),
                       prefix ? prefix : "", prefix && *prefix ? "." : "",
                       group ? group : "", group ? "." : "", name, klass->kind);
          return FALSE;
        }

      if (group == NULL && JSON_NODE_HOLDS_OBJECT (member) && is_group (klass, name) &&
          !check_unknown_members (klass, json_node_get_object (member), prefix, name, error))
        return FALSE;
    }

  return TRUE;
}

static gpointer
decode_record (GType          type,
               JsonNode      *node,
               const char    *prefix,
               CdDecodeFlags  flags,
               GError       **error)
{
  g_autoptr(CdRecord) self = NULL;
  CdRecordClass *klass;
  JsonObject *object;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    {
      klass = g_type_class_ref (type);
      g_set_error (error, CD_CODEC_ERROR, CD_CODEC_ERROR_WRONG_TYPE,
                   _("“%s” must be an object describing a %s, not %s."),
                   prefix && *prefix ? prefix : _("document"), klass->kind, cd_json_node_describe (node));
      g_type_class_unref (klass);
      return NULL;
    }

  self = g_object_new (type, NULL);
  klass = CD_RECORD_GET_CLASS (self);
  object = json_node_get_object (node);

  if ((flags & CD_DECODE_STRICT) &&
      !check_unknown_members (klass, object, prefix, NULL, error))
    return NULL;

  for (guint i = 0; i < klass->n_all_fields; i++)
    {
      const CdField *f = klass->all_fields[i];
      JsonObject *source = object;
      JsonNode *member = NULL;
      g_autofree char *path = NULL;
      g_auto(GValue) value = G_VALUE_INIT;

      if (f->flags & CD_FIELD_SECRET)
        continue;

      if (f->group != NULL)
        {
          JsonNode *group = json_object_get_member (object, f->group);

          source = NULL;
          if (group != NULL && JSON_NODE_HOLDS_OBJECT (group))
            source = json_node_get_object (group);
          else if (group != NULL && !JSON_NODE_HOLDS_NULL (group))
            {
              g_autofree char *group_path = g_strconcat (prefix ? prefix : "", prefix && *prefix ? "." : "",
                                                         f->group, NULL);
              wrong_type (group_path, _("an object"), group, error);
              return NULL;
            }
        }

      if (source != NULL)
        member = json_object_get_member (source, f->name);

      if (member == NULL || JSON_NODE_HOLDS_NULL (member))
        {
          if (f->flags & CD_FIELD_REQUIRED)
            {
              path = field_path (prefix, f);
              g_set_error (error, CD_CODEC_ERROR, CD_CODEC_ERROR_MISSING_FIELD,
                           _("Field “%s” is required."), path);
              return NULL;
            }
          continue;
        }

      path = field_path (prefix, f);
      g_value_init (&value, klass->pspecs[i]->value_type);
      if (!field_decode (f, path, member, flags, &value, error))
        return NULL;
      field_from_value (self, f, &value);
    }

  return g_steal_pointer (&self);
}

gpointer
cd_record_new_from_json (GType          type,
                         JsonNode      *node,
                         CdDecodeFlags  flags,
                         GError       **error)
{
  g_return_val_if_fail (g_type_is_a (type, CD_TYPE_RECORD), NULL);

  return decode_record (type, node, NULL, flags, error);
}

gpointer
cd_record_new_from_data (GType          type,
                         const char    *data,
                         gssize         length,
                         CdDecodeFlags  flags,
                         GError       **error)
{
  g_autoptr(JsonNode) node = NULL;

  node = cd_json_parse (data, length, CD_JSON_MAX_BYTES, CD_JSON_MAX_DEPTH, error);
  if (node == NULL)
    return NULL;

  return cd_record_new_from_json (type, node, flags, error);
}

static const CdField *
find_field (CdRecordClass *klass,
            const char    *name,
            guint         *index)
{
  for (guint i = 0; i < klass->n_all_fields; i++)
    {
      const CdField *f = klass->all_fields[i];

      if (!(f->flags & CD_FIELD_SECRET) && f->group == NULL && strcmp (f->name, name) == 0)
        {
          *index = i;
          return f;
        }
    }

  return NULL;
}

/* Validates one top-level member, for partial updates (a mutation that sets
 * a ticket's status). @value receives the property's GValue. */
gboolean
cd_record_decode_member (GType        type,
                         const char  *name,
                         JsonNode    *node,
                         GValue      *value,
                         GError     **error)
{
  CdRecordClass *klass;
  const CdField *f;
  guint index = 0;
  gboolean ok;

  g_return_val_if_fail (g_type_is_a (type, CD_TYPE_RECORD), FALSE);

  klass = g_type_class_ref (type);
  f = find_field (klass, name, &index);
  if (f == NULL)
    {
      g_set_error (error, CD_CODEC_ERROR, CD_CODEC_ERROR_UNKNOWN_FIELD,
                   _("Field “%.64s” is not part of a %s."), name, klass->kind);
      ok = FALSE;
    }
  else if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    {
      if (f->flags & CD_FIELD_REQUIRED)
        {
          g_set_error (error, CD_CODEC_ERROR, CD_CODEC_ERROR_MISSING_FIELD,
                       _("Field “%s” is required."), name);
          ok = FALSE;
        }
      else
        {
          g_value_init (value, klass->pspecs[index]->value_type);
          ok = TRUE;
        }
    }
  else
    {
      g_value_init (value, klass->pspecs[index]->value_type);
      ok = field_decode (f, name, node, CD_DECODE_STRICT, value, error);
      if (!ok)
        g_value_unset (value);
    }

  g_type_class_unref (klass);
  return ok;
}

/* Comparison and copies --------------------------------------------------- */

gboolean
cd_record_equal (CdRecord *a,
                 CdRecord *b)
{
  CdRecordClass *klass;

  if (a == b)
    return TRUE;
  if (a == NULL || b == NULL || G_OBJECT_TYPE (a) != G_OBJECT_TYPE (b))
    return FALSE;

  klass = CD_RECORD_GET_CLASS (a);
  for (guint i = 0; i < klass->n_all_fields; i++)
    if (!field_equal (a, b, klass->all_fields[i]))
      return FALSE;

  return TRUE;
}

gpointer
cd_record_copy (CdRecord *self)
{
  CdRecordClass *klass;
  CdRecord *copy;

  g_return_val_if_fail (CD_IS_RECORD (self), NULL);

  copy = g_object_new (G_OBJECT_TYPE (self), NULL);
  klass = CD_RECORD_GET_CLASS (self);
  for (guint i = 0; i < klass->n_all_fields; i++)
    field_copy (copy, self, klass->all_fields[i]);

  return copy;
}

/* Takes @other's values, notifying each property that changed. */
gboolean
cd_record_update_from (CdRecord *self,
                       CdRecord *other)
{
  CdRecordClass *klass;
  gboolean changed = FALSE;

  g_return_val_if_fail (CD_IS_RECORD (self), FALSE);
  g_return_val_if_fail (CD_IS_RECORD (other), FALSE);
  g_return_val_if_fail (G_OBJECT_TYPE (self) == G_OBJECT_TYPE (other), FALSE);

  klass = CD_RECORD_GET_CLASS (self);
  g_object_freeze_notify (G_OBJECT (self));
  for (guint i = 0; i < klass->n_all_fields; i++)
    {
      const CdField *f = klass->all_fields[i];

      if (!field_equal (self, other, f))
        {
          field_copy (self, other, f);
          g_object_notify_by_pspec (G_OBJECT (self), klass->pspecs[i]);
          changed = TRUE;
        }
    }
  g_object_thaw_notify (G_OBJECT (self));

  return changed;
}

/* GObject ----------------------------------------------------------------- */

static guint
find_pspec (CdRecordClass *klass,
            GParamSpec    *pspec)
{
  for (guint i = 0; i < klass->n_all_fields; i++)
    if (klass->pspecs[i] == pspec)
      return i;

  g_assert_not_reached ();
}

static void
cd_record_get_property (GObject    *object,
                        guint       prop_id,
                        GValue     *value,
                        GParamSpec *pspec)
{
  CdRecordClass *klass = CD_RECORD_GET_CLASS (object);

  field_to_value (object, klass->all_fields[find_pspec (klass, pspec)], value);
}

static void
cd_record_set_property (GObject      *object,
                        guint         prop_id,
                        const GValue *value,
                        GParamSpec   *pspec)
{
  CdRecordClass *klass = CD_RECORD_GET_CLASS (object);

  if (field_from_value (object, klass->all_fields[find_pspec (klass, pspec)], value))
    g_object_notify_by_pspec (object, pspec);
}

static void
cd_record_finalize (GObject *object)
{
  CdRecordClass *klass = CD_RECORD_GET_CLASS (object);

  for (guint i = 0; i < klass->n_all_fields; i++)
    field_clear (object, klass->all_fields[i]);

  G_OBJECT_CLASS (cd_record_parent_class)->finalize (object);
}

static void
cd_record_class_init (CdRecordClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = cd_record_finalize;
}

static void
cd_record_init (CdRecord *self)
{
}

static GParamSpec *
field_param_spec (const CdField *f)
{
  const char *name = field_property_name (f);
  GParamFlags flags = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  switch (f->type)
    {
    case CD_FIELD_STRING:
    case CD_FIELD_UUID:
      return g_param_spec_string (name, NULL, NULL, NULL, flags);
    case CD_FIELD_INT:
    case CD_FIELD_TIME:
      return g_param_spec_int64 (name, NULL, NULL, G_MININT64, G_MAXINT64, 0, flags);
    case CD_FIELD_DOUBLE:
    case CD_FIELD_LATITUDE:
    case CD_FIELD_LONGITUDE:
      return g_param_spec_double (name, NULL, NULL, -G_MAXDOUBLE, G_MAXDOUBLE, 0, flags);
    case CD_FIELD_BOOLEAN:
      return g_param_spec_boolean (name, NULL, NULL, FALSE, flags);
    case CD_FIELD_ENUM:
      {
        GEnumClass *enum_class = g_type_class_ref (f->value_type ());
        GParamSpec *pspec = g_param_spec_enum (name, NULL, NULL, f->value_type (),
                                               enum_class->values[0].value, flags);
        /* Keep the enum class alive: the codec peeks it on every call. */
        return pspec;
      }
    case CD_FIELD_STRV:
      return g_param_spec_boxed (name, NULL, NULL, G_TYPE_STRV, flags);
    case CD_FIELD_LIST:
      g_type_class_ref (f->value_type ());
      return g_param_spec_boxed (name, NULL, NULL, G_TYPE_PTR_ARRAY, flags);
    default:
      g_assert_not_reached ();
    }
}

/* Called from a subclass's class_init. */
void
cd_record_class_install_fields (CdRecordClass *klass,
                                const char    *kind,
                                gboolean       has_identity,
                                const CdField *fields,
                                guint          n_fields)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  guint n_identity = has_identity ? G_N_ELEMENTS (identity_fields) : 0;
  guint n;

  g_return_if_fail (CD_IS_RECORD_CLASS (klass));
  g_return_if_fail (kind != NULL);

  object_class->get_property = cd_record_get_property;
  object_class->set_property = cd_record_set_property;

  klass->kind = kind;
  klass->has_identity = has_identity;
  klass->fields = fields;
  klass->n_fields = n_fields;

  n = n_identity + n_fields;
  klass->all_fields = g_new0 (const CdField *, n);
  klass->pspecs = g_new0 (GParamSpec *, n);
  klass->n_all_fields = n;

  for (guint i = 0; i < n; i++)
    {
      const CdField *f = i < n_identity ? &identity_fields[i] : &fields[i - n_identity];

      klass->all_fields[i] = f;
      klass->pspecs[i] = field_param_spec (f);
      g_object_class_install_property (object_class, i + 1, klass->pspecs[i]);
    }

  G_LOCK (kinds);
  if (kinds == NULL)
    kinds = g_hash_table_new (g_str_hash, g_str_equal);
  g_hash_table_insert (kinds, (gpointer) kind, GSIZE_TO_POINTER (G_TYPE_FROM_CLASS (klass)));
  G_UNLOCK (kinds);
}

/* Public API -------------------------------------------------------------- */

const char *
cd_record_get_kind (CdRecord *self)
{
  g_return_val_if_fail (CD_IS_RECORD (self), NULL);

  return CD_RECORD_GET_CLASS (self)->kind;
}

const char *
cd_record_get_id (CdRecord *self)
{
  g_return_val_if_fail (CD_IS_RECORD (self), NULL);

  return self->id;
}

void
cd_record_set_id (CdRecord   *self,
                  const char *id)
{
  g_return_if_fail (CD_IS_RECORD (self));

  g_object_set (self, "id", id, NULL);
}

/* Only kinds whose class has been initialised are known; the model's
 * cd_model_init() makes sure every one has. */
GType
cd_record_type_from_kind (const char *kind)
{
  GType type = G_TYPE_INVALID;

  G_LOCK (kinds);
  if (kinds != NULL && kind != NULL)
    type = GPOINTER_TO_SIZE (g_hash_table_lookup (kinds, kind));
  G_UNLOCK (kinds);

  return type;
}
