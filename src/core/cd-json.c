/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-json.c: bounded JSON parsing.
 *
 * json-glib's parser recurses once per nesting level, so a hostile body of a
 * few megabytes of '[' would exhaust the stack. We measure the depth with a
 * flat scan first and only hand bounded input to the parser.
 */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "cd-json.h"

G_DEFINE_QUARK (cd-codec-error-quark, cd_codec_error)

/* The deepest nesting of arrays and objects, ignoring brackets inside
 * strings. Malformed input still yields a number; the parser judges it. */
guint
cd_json_scan_depth (const char *data,
                    gsize       length)
{
  guint depth = 0;
  guint deepest = 0;
  gboolean in_string = FALSE;

  for (gsize i = 0; i < length; i++)
    {
      char c = data[i];

      if (in_string)
        {
          if (c == '\\')
            i++;
          else if (c == '"')
            in_string = FALSE;
          continue;
        }

      switch (c)
        {
        case '"':
          in_string = TRUE;
          break;
        case '[':
        case '{':
          depth++;
          deepest = MAX (deepest, depth);
          break;
        case ']':
        case '}':
          if (depth > 0)
            depth--;
          break;
        default:
          break;
        }
    }

  return deepest;
}

JsonNode *
cd_json_parse (const char *data,
               gssize      length,
               gsize       max_bytes,
               guint       max_depth,
               GError    **error)
{
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(GError) local_error = NULL;
  JsonNode *root;
  gsize len;

  g_return_val_if_fail (data != NULL || length == 0, NULL);

  len = length < 0 ? strlen (data) : (gsize) length;

  if (max_bytes > 0 && len > max_bytes)
    {
      g_set_error (error, CD_CODEC_ERROR, CD_CODEC_ERROR_TOO_LARGE,
                   _("The document is %" G_GSIZE_FORMAT " bytes long; the limit is %" G_GSIZE_FORMAT " bytes."),
                   len, max_bytes);
      return NULL;
    }

  if (len == 0)
    {
      g_set_error_literal (error, CD_CODEC_ERROR, CD_CODEC_ERROR_MALFORMED,
                           _("The document is empty; a JSON value was expected."));
      return NULL;
    }

  if (max_depth > 0 && cd_json_scan_depth (data, len) > max_depth)
    {
      g_set_error (error, CD_CODEC_ERROR, CD_CODEC_ERROR_TOO_DEEP,
                   _("The document nests deeper than %u levels."), max_depth);
      return NULL;
    }

  parser = json_parser_new_immutable ();
  if (!json_parser_load_from_data (parser, data, len, &local_error))
    {
      g_set_error (error, CD_CODEC_ERROR, CD_CODEC_ERROR_MALFORMED,
                   _("The document is not valid JSON: %s"), local_error->message);
      return NULL;
    }

  root = json_parser_steal_root (parser);
  if (root == NULL)
    {
      g_set_error_literal (error, CD_CODEC_ERROR, CD_CODEC_ERROR_MALFORMED,
                           _("The document is empty; a JSON value was expected."));
      return NULL;
    }

  return root;
}

char *
cd_json_to_string (JsonNode *node,
                   gsize    *length)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();

  json_generator_set_root (generator, node);
  return json_generator_to_data (generator, length);
}

char *
cd_json_format_time (gint64 unix_seconds)
{
  g_autoptr(GDateTime) dt = NULL;

  if (unix_seconds == 0)
    return NULL;

  dt = g_date_time_new_from_unix_utc (unix_seconds);
  if (dt == NULL)
    return NULL;

  return g_date_time_format (dt, "%Y-%m-%dT%H:%M:%SZ");
}

gboolean
cd_json_parse_time (const char *text,
                    gint64     *unix_seconds)
{
  g_autoptr(GDateTime) dt = NULL;
  g_autoptr(GTimeZone) utc = g_time_zone_new_utc ();

  g_return_val_if_fail (text != NULL, FALSE);

  dt = g_date_time_new_from_iso8601 (text, utc);
  if (dt == NULL)
    return FALSE;

  *unix_seconds = g_date_time_to_unix (dt);
  return TRUE;
}
