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

/* Strict RFC 8259 ----------------------------------------------------------- */

/* json-glib's parser is lenient: it takes single quotes, comments, hex
 * numbers, and ignores what follows the first document. A server must not
 * accept what other JSON parsers (a proxy, an audit tool) would read
 * differently, so every document passes this strict check first. Nesting
 * is already bounded by the depth scan, so recursion is safe. */
typedef struct {
  const char *p;
  const char *end;
} Scan;

static void
skip_ws (Scan *s)
{
  while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
    s->p++;
}

static gboolean
scan_string (Scan *s)
{
  if (s->p >= s->end || *s->p != '"')
    return FALSE;
  s->p++;

  while (s->p < s->end)
    {
      guchar c = (guchar) *s->p++;

      if (c == '"')
        return TRUE;
      if (c < 0x20)
        return FALSE;
      if (c == '\\')
        {
          if (s->p >= s->end)
            return FALSE;
          c = (guchar) *s->p++;
          if (c == 'u')
            {
              for (guint i = 0; i < 4; i++, s->p++)
                if (s->p >= s->end || !g_ascii_isxdigit (*s->p))
                  return FALSE;
            }
          else if (!strchr ("\"\\/bfnrt", c) || c == '\0')
            return FALSE;
        }
    }

  return FALSE;
}

static gboolean
scan_digits (Scan *s)
{
  const char *start = s->p;

  while (s->p < s->end && g_ascii_isdigit (*s->p))
    s->p++;

  return s->p > start;
}

static gboolean
scan_number (Scan *s)
{
  if (s->p < s->end && *s->p == '-')
    s->p++;
  if (s->p < s->end && *s->p == '0')
    s->p++;
  else if (!scan_digits (s))
    return FALSE;
  if (s->p < s->end && *s->p == '.')
    {
      s->p++;
      if (!scan_digits (s))
        return FALSE;
    }
  if (s->p < s->end && (*s->p == 'e' || *s->p == 'E'))
    {
      s->p++;
      if (s->p < s->end && (*s->p == '+' || *s->p == '-'))
        s->p++;
      if (!scan_digits (s))
        return FALSE;
    }

  return TRUE;
}

static gboolean
scan_literal (Scan       *s,
              const char *word)
{
  gsize n = strlen (word);

  if ((gsize) (s->end - s->p) < n || memcmp (s->p, word, n) != 0)
    return FALSE;
  s->p += n;
  return TRUE;
}

static gboolean scan_value (Scan *s);

static gboolean
scan_container (Scan     *s,
                gboolean  object)
{
  char close = object ? '}' : ']';

  s->p++;
  skip_ws (s);
  if (s->p < s->end && *s->p == close)
    {
      s->p++;
      return TRUE;
    }

  for (;;)
    {
      if (object)
        {
          if (!scan_string (s))
            return FALSE;
          skip_ws (s);
          if (s->p >= s->end || *s->p != ':')
            return FALSE;
          s->p++;
        }
      if (!scan_value (s))
        return FALSE;
      skip_ws (s);
      if (s->p >= s->end)
        return FALSE;
      if (*s->p == close)
        {
          s->p++;
          return TRUE;
        }
      if (*s->p != ',')
        return FALSE;
      s->p++;
      skip_ws (s);
    }
}

static gboolean
scan_value (Scan *s)
{
  skip_ws (s);
  if (s->p >= s->end)
    return FALSE;

  switch (*s->p)
    {
    case '{':
      return scan_container (s, TRUE);
    case '[':
      return scan_container (s, FALSE);
    case '"':
      return scan_string (s);
    case 't':
      return scan_literal (s, "true");
    case 'f':
      return scan_literal (s, "false");
    case 'n':
      return scan_literal (s, "null");
    default:
      return scan_number (s);
    }
}

/* The offset of the first byte that breaks RFC 8259, or -1 when @data is
 * one valid JSON text (UTF-8 included). */
gssize
cd_json_check_strict (const char *data,
                      gsize       length)
{
  Scan s = { data, data + length };
  const char *bad_utf8 = NULL;

  if (!g_utf8_validate (data, length, &bad_utf8))
    return bad_utf8 - data;

  if (!scan_value (&s))
    return s.p - data;
  skip_ws (&s);
  if (s.p != s.end)
    return s.p - data;

  return -1;
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
                   _("The document is %llu bytes long; the limit is %llu bytes."),
                   (unsigned long long) len, (unsigned long long) max_bytes);
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

  {
    gssize bad = cd_json_check_strict (data, len);

    if (bad >= 0)
      {
        g_set_error (error, CD_CODEC_ERROR, CD_CODEC_ERROR_MALFORMED,
                     _("The document is not valid JSON: unexpected input at byte %lld."), (long long) bad);
        return NULL;
      }
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

const char *
cd_json_node_describe (JsonNode *node)
{
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return _("null");
  if (JSON_NODE_HOLDS_OBJECT (node))
    return _("an object");
  if (JSON_NODE_HOLDS_ARRAY (node))
    return _("an array");

  switch (json_node_get_value_type (node))
    {
    case G_TYPE_STRING:
      return _("a string");
    case G_TYPE_INT64:
    case G_TYPE_DOUBLE:
      return _("a number");
    case G_TYPE_BOOLEAN:
      return _("a boolean");
    default:
      return _("a value");
    }
}
