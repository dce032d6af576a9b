/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-sync-json.c: the sync client's one-pass parser against the core's
 * cd_json_parse(): the same trees for what both accept, a refusal for
 * everything the core refuses, on hand-made documents and on thousands of
 * damaged copies of real ones. */
#include "config.h"

#include <string.h>

#include "cd-json.h"
#include "cd-sync-json.h"

static const char * const valid[] = {
  "{}", "[]", "0", "-0", "12", "-7", "3.25", "-1.5e3", "1E-2", "2e+8", "true", "false", "null",
  "\"\"", "\"plain\"", "\"esc \\\" \\\\ \\/ \\b \\f \\n \\r \\t\"", "\"\\u00e9\\u4e2d\"",
  "\"\\ud83d\\ude00 smile\"", "\"中文 Ünïcödé\"", " \t\r\n{ \"a\" : [ 1 , 2 , { } ] } \n",
  "{\"a\":1,\"a\":2}", "[[[[[[]]]]]]", "9223372036854775807", "-9223372036854775808",
  "[1.0, 0.5, 1e400]",
  "{\"changes\":[{\"kind\":\"ticket\",\"id\":\"x\",\"rev\":2,\"deleted\":false,"
  "\"record\":{\"id\":\"x\",\"lat\":39.9,\"tags\":[\"a\",\"b\"],\"customer\":{\"name\":\"Wang\"}}}],"
  "\"last_rev\":2,\"more\":false}",
};

static const char * const invalid[] = {
  "", " ", "{", "}", "[1,]", "{\"a\":1,}", "{a:1}", "{'a':1}", "01", "1.", ".5", "-", "+1", "1e",
  "0x10", "NaN", "Infinity", "tru", "nul", "\"open", "\"bad \\x escape\"", "\"\\u12\"",
  "\"tab\there\"", "[1] [2]", "{} x", "/* c */ {}", "[1 2]", "{\"a\" 1}", "\"\\",
  "\xff\"\"", "\"\xc3\"",
};

static gboolean
has_long_integer (const char *text)
{
  guint run = 0;

  for (const char *p = text; *p != '\0'; p++)
    {
      run = g_ascii_isdigit (*p) ? run + 1 : 0;
      if (run >= 19)
        return TRUE;
    }

  return FALSE;
}

static void
assert_same (const char *text,
             gssize      length)
{
  g_autoptr(GError) core_error = NULL;
  g_autoptr(GError) ours_error = NULL;
  gsize n = length < 0 ? strlen (text) : (gsize) length;
  g_autoptr(JsonNode) core = cd_json_parse (text, n, 0, 32, &core_error);
  g_autoptr(JsonNode) ours = _cd_sync_json_parse (text, n, 32, &ours_error);

  if (core == NULL)
    {
      if (ours != NULL)
        {
          g_autofree char *printable = g_strescape (text, NULL);

          g_error ("accepted what the core refuses (%s): %s", core_error->message, printable);
        }
      g_assert_true (ours_error != NULL && ours_error->domain == CD_CODEC_ERROR);
      return;
    }

  if (ours == NULL)
    {
      g_autofree char *printable = g_strescape (text, NULL);

      /* Refusals the core lets through: NUL, unpaired surrogates, and
       * integers beyond 64 bits (at least 19 digits). */
      if (strstr (text, "\\u") != NULL || has_long_integer (text))
        return;
      g_error ("refused what the core accepts (%s): %s", ours_error->message, printable);
    }
  if (!json_node_equal (core, ours))
    {
      g_autofree char *a = json_to_string (core, FALSE);
      g_autofree char *b = json_to_string (ours, FALSE);

      g_error ("different trees:\n core %s\n ours %s", a, b);
    }
  /* Integers stay integers, as the codec checks types. */
  if (JSON_NODE_HOLDS_VALUE (core))
    g_assert_true (json_node_get_value_type (core) == json_node_get_value_type (ours));
}

static void
test_documents (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (valid); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(JsonNode) node = _cd_sync_json_parse (valid[i], strlen (valid[i]), 32, &error);

      g_assert_no_error (error);
      g_assert_nonnull (node);
      assert_same (valid[i], -1);
    }

  for (guint i = 0; i < G_N_ELEMENTS (invalid); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(JsonNode) node = _cd_sync_json_parse (invalid[i], strlen (invalid[i]), 32, &error);

      if (node != NULL)
        g_error ("accepted: %s", invalid[i]);
      g_assert_true (error != NULL && error->domain == CD_CODEC_ERROR);
      assert_same (invalid[i], -1);
    }
}

static void
test_strict_extras (void)
{
  static const char * const refused[] = {
    "\"\\u0000\"", "\"\\ud800\"", "\"\\udc00\"", "\"\\ud800\\u0041\"", "92233720368547758070",
    "[-92233720368547758070]",
  };

  for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_null (_cd_sync_json_parse (refused[i], strlen (refused[i]), 32, &error));
      g_assert_error (error, CD_CODEC_ERROR, CD_CODEC_ERROR_MALFORMED);
    }
}

static void
test_depth (void)
{
  g_autoptr(GString) deep = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = NULL;

  for (guint i = 0; i < 32; i++)
    g_string_append_c (deep, '[');
  for (guint i = 0; i < 32; i++)
    g_string_append_c (deep, ']');
  node = _cd_sync_json_parse (deep->str, deep->len, 32, &error);
  g_assert_no_error (error);
  g_clear_pointer (&node, json_node_unref);

  g_string_prepend_c (deep, '[');
  g_string_append_c (deep, ']');
  g_assert_null (_cd_sync_json_parse (deep->str, deep->len, 32, &error));
  g_assert_error (error, CD_CODEC_ERROR, CD_CODEC_ERROR_TOO_DEEP);
  g_clear_error (&error);

  /* A hostile depth never reaches the stack. */
  g_string_truncate (deep, 0);
  for (guint i = 0; i < 1000000; i++)
    g_string_append_c (deep, '[');
  g_assert_null (_cd_sync_json_parse (deep->str, deep->len, 32, &error));
  g_assert_error (error, CD_CODEC_ERROR, CD_CODEC_ERROR_TOO_DEEP);
}

/* Damaged copies of a real reply: cut, bytes changed, bytes dropped. */
static void
test_damaged (void)
{
  const char *reply = valid[G_N_ELEMENTS (valid) - 1];
  gsize n = strlen (reply);
  GRand *rand = g_rand_new_with_seed (g_test_rand_int ());
  static const char alphabet[] = "{}[],:\"\\ 0123456789.eE+-tfnula\x01\xc3\xa9";

  for (gsize cut = 0; cut <= n; cut++)
    assert_same (reply, (gssize) cut);

  for (guint round = 0; round < 20000; round++)
    {
      g_autofree char *copy = g_strdup (reply);
      guint changes = g_rand_int_range (rand, 1, 4);

      for (guint c = 0; c < changes; c++)
        {
          gsize at = g_rand_int_range (rand, 0, (gint32) n);

          if (g_rand_boolean (rand))
            copy[at] = alphabet[g_rand_int_range (rand, 0, sizeof alphabet - 1)];
          else
            memmove (copy + at, copy + at + 1, strlen (copy + at));
        }
      assert_same (copy, -1);
    }
  g_rand_free (rand);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/sync/json/documents", test_documents);
  g_test_add_func ("/sync/json/strict-extras", test_strict_extras);
  g_test_add_func ("/sync/json/depth", test_depth);
  g_test_add_func ("/sync/json/damaged", test_damaged);

  return g_test_run ();
}
