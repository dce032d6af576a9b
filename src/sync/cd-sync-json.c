/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-sync-json.c: a strict one-pass JSON parser building json-glib trees. */
#include "config.h"

#define G_LOG_DOMAIN "CrewdeskSync"

#include <glib/gi18n-lib.h>
#include <errno.h>
#include <string.h>

#include "cd-json.h"
#include "cd-sync-json.h"

typedef struct {
  const char *start;
  const char *p;
  const char *end;
  guint       depth;
  guint       max_depth;
  gboolean    too_deep;
  GString    *buffer;    /* a string being unescaped */
} Parser;

static JsonNode *parse_value (Parser *ps);

static inline void
skip_ws (Parser *ps)
{
  while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\n' || *ps->p == '\r' || *ps->p == '\t'))
    ps->p++;
}

static gint
hex4 (const char *p)
{
  gint v = 0;

  for (guint i = 0; i < 4; i++)
    {
      gint d = g_ascii_xdigit_value (p[i]);

      if (d < 0)
        return -1;
      v = v * 16 + d;
    }

  return v;
}

/* The string at ps->p (its opening quote), unescaped into ps->buffer.
 * The whole input is valid UTF-8 already. */
static gboolean
parse_string (Parser *ps)
{
  const char *run;

  if (ps->p >= ps->end || *ps->p != '"')
    return FALSE;
  ps->p++;
  g_string_truncate (ps->buffer, 0);
  run = ps->p;

  while (ps->p < ps->end)
    {
      guchar c = (guchar) *ps->p;

      if (c == '"')
        {
          g_string_append_len (ps->buffer, run, ps->p - run);
          ps->p++;
          return TRUE;
        }
      if (c < 0x20)
        return FALSE;
      if (c != '\\')
        {
          ps->p++;
          continue;
        }

      g_string_append_len (ps->buffer, run, ps->p - run);
      ps->p++;
      if (ps->p >= ps->end)
        return FALSE;
      switch (*ps->p)
        {
        case '"': g_string_append_c (ps->buffer, '"'); break;
        case '\\': g_string_append_c (ps->buffer, '\\'); break;
        case '/': g_string_append_c (ps->buffer, '/'); break;
        case 'b': g_string_append_c (ps->buffer, '\b'); break;
        case 'f': g_string_append_c (ps->buffer, '\f'); break;
        case 'n': g_string_append_c (ps->buffer, '\n'); break;
        case 'r': g_string_append_c (ps->buffer, '\r'); break;
        case 't': g_string_append_c (ps->buffer, '\t'); break;
        case 'u':
          {
            gint unit;
            gunichar ch;

            if (ps->end - ps->p < 5 || (unit = hex4 (ps->p + 1)) < 0)
              return FALSE;
            ps->p += 4;
            if (unit == 0 || (unit >= 0xDC00 && unit <= 0xDFFF))
              return FALSE;
            if (unit >= 0xD800 && unit <= 0xDBFF)
              {
                gint low;

                /* A high surrogate needs its low half right after. */
                if (ps->end - ps->p < 7 || ps->p[1] != '\\' || ps->p[2] != 'u' ||
                    (low = hex4 (ps->p + 3)) < 0xDC00 || low > 0xDFFF)
                  return FALSE;
                ps->p += 6;
                ch = 0x10000 + (((gunichar) unit - 0xD800) << 10) + ((gunichar) low - 0xDC00);
              }
            else
              ch = (gunichar) unit;
            g_string_append_unichar (ps->buffer, ch);
          }
          break;
        default:
          return FALSE;
        }
      ps->p++;
      run = ps->p;
    }

  return FALSE;
}

static gboolean
scan_digits (Parser *ps)
{
  const char *start = ps->p;

  while (ps->p < ps->end && g_ascii_isdigit (*ps->p))
    ps->p++;

  return ps->p > start;
}

static JsonNode *
parse_number (Parser *ps)
{
  const char *start = ps->p;
  gboolean integer = TRUE;
  char text[64];
  gsize length;

  if (ps->p < ps->end && *ps->p == '-')
    ps->p++;
  if (ps->p < ps->end && *ps->p == '0')
    ps->p++;
  else if (!scan_digits (ps))
    return NULL;
  if (ps->p < ps->end && *ps->p == '.')
    {
      ps->p++;
      integer = FALSE;
      if (!scan_digits (ps))
        return NULL;
    }
  if (ps->p < ps->end && (*ps->p == 'e' || *ps->p == 'E'))
    {
      ps->p++;
      integer = FALSE;
      if (ps->p < ps->end && (*ps->p == '+' || *ps->p == '-'))
        ps->p++;
      if (!scan_digits (ps))
        return NULL;
    }

  /* The input need not end with a NUL: convert a copy. */
  length = ps->p - start;
  if (length >= sizeof text)
    {
      ps->p = start;
      return NULL;
    }
  memcpy (text, start, length);
  text[length] = '\0';

  if (integer)
    {
      gint64 v;

      errno = 0;
      v = g_ascii_strtoll (text, NULL, 10);
      /* Beyond 64 bits json-glib makes garbage of it: refused. */
      if (errno != 0)
        {
          ps->p = start;
          return NULL;
        }
      return json_node_init_int (json_node_alloc (), v);
    }

  return json_node_init_double (json_node_alloc (), g_ascii_strtod (text, NULL));
}

static JsonNode *
parse_literal (Parser     *ps,
               const char *word,
               gsize       n)
{
  if ((gsize) (ps->end - ps->p) < n || memcmp (ps->p, word, n) != 0)
    return NULL;
  ps->p += n;

  switch (word[0])
    {
    case 't':
      return json_node_init_boolean (json_node_alloc (), TRUE);
    case 'f':
      return json_node_init_boolean (json_node_alloc (), FALSE);
    default:
      return json_node_init_null (json_node_alloc ());
    }
}

static JsonNode *
parse_object (Parser *ps)
{
  g_autoptr(JsonObject) object = json_object_new ();

  ps->p++;
  skip_ws (ps);
  if (ps->p < ps->end && *ps->p == '}')
    {
      ps->p++;
      return json_node_init_object (json_node_alloc (), object);
    }

  for (;;)
    {
      g_autofree char *name = NULL;
      JsonNode *value;

      if (!parse_string (ps))
        return NULL;
      name = g_strndup (ps->buffer->str, ps->buffer->len);
      skip_ws (ps);
      if (ps->p >= ps->end || *ps->p != ':')
        return NULL;
      ps->p++;
      value = parse_value (ps);
      if (value == NULL)
        return NULL;
      /* As json-glib: a repeated member replaces the earlier one. */
      json_object_set_member (object, name, value);

      skip_ws (ps);
      if (ps->p >= ps->end)
        return NULL;
      if (*ps->p == '}')
        {
          ps->p++;
          return json_node_init_object (json_node_alloc (), object);
        }
      if (*ps->p != ',')
        return NULL;
      ps->p++;
      skip_ws (ps);
    }
}

static JsonNode *
parse_array (Parser *ps)
{
  g_autoptr(JsonArray) array = json_array_new ();

  ps->p++;
  skip_ws (ps);
  if (ps->p < ps->end && *ps->p == ']')
    {
      ps->p++;
      return json_node_init_array (json_node_alloc (), array);
    }

  for (;;)
    {
      JsonNode *value = parse_value (ps);

      if (value == NULL)
        return NULL;
      json_array_add_element (array, value);

      skip_ws (ps);
      if (ps->p >= ps->end)
        return NULL;
      if (*ps->p == ']')
        {
          ps->p++;
          return json_node_init_array (json_node_alloc (), array);
        }
      if (*ps->p != ',')
        return NULL;
      ps->p++;
    }
}

static JsonNode *
parse_value (Parser *ps)
{
  JsonNode *node;

  skip_ws (ps);
  if (ps->p >= ps->end)
    return NULL;

  switch (*ps->p)
    {
    case '{':
    case '[':
      if (ps->depth >= ps->max_depth)
        {
          ps->too_deep = TRUE;
          return NULL;
        }
      ps->depth++;
      node = *ps->p == '{' ? parse_object (ps) : parse_array (ps);
      ps->depth--;
      return node;
    case '"':
      if (!parse_string (ps))
        return NULL;
      node = json_node_alloc ();
      json_node_init_string (node, ps->buffer->str);
      return node;
    case 't':
      return parse_literal (ps, "true", 4);
    case 'f':
      return parse_literal (ps, "false", 5);
    case 'n':
      return parse_literal (ps, "null", 4);
    default:
      return parse_number (ps);
    }
}

/**
 * _cd_sync_json_parse:
 * @max_depth: the deepest nesting of arrays and objects allowed
 *
 * Returns: (transfer full): the document, or %NULL with a CD_CODEC_ERROR
 */
JsonNode *
_cd_sync_json_parse (const char  *data,
                     gsize        length,
                     guint        max_depth,
                     GError     **error)
{
  g_autoptr(GString) buffer = g_string_sized_new (256);
  const char *bad_utf8 = NULL;
  JsonNode *root;
  Parser ps = { data, data, data + length, 0, max_depth, FALSE, buffer };

  g_return_val_if_fail (data != NULL || length == 0, NULL);

  if (length == 0)
    {
      g_set_error_literal (error, CD_CODEC_ERROR, CD_CODEC_ERROR_MALFORMED,
                           _("The document is empty; a JSON value was expected."));
      return NULL;
    }

  /* Once for the whole text: strings then need no check of their own. */
  if (!g_utf8_validate (data, length, &bad_utf8))
    {
      g_set_error (error, CD_CODEC_ERROR, CD_CODEC_ERROR_MALFORMED,
                   _("The document is not valid JSON: unexpected input at byte %lld."),
                   (long long) (bad_utf8 - data));
      return NULL;
    }

  root = parse_value (&ps);
  if (root != NULL)
    {
      skip_ws (&ps);
      if (ps.p == ps.end)
        return root;
      json_node_unref (root);
    }

  if (ps.too_deep)
    g_set_error (error, CD_CODEC_ERROR, CD_CODEC_ERROR_TOO_DEEP,
                 _("The document nests deeper than %u levels."), max_depth);
  else
    g_set_error (error, CD_CODEC_ERROR, CD_CODEC_ERROR_MALFORMED,
                 _("The document is not valid JSON: unexpected input at byte %lld."),
                 (long long) (ps.p - data));
  return NULL;
}
