/* SPDX-License-Identifier: GPL-3.0-or-later */
/* tiles-test.h: what the tile tests share.
 *
 * A real HTTP tile server on 127.0.0.1 (libsoup's SoupServer, in the test
 * process, on the main context) whose tiles are PNGs of one colour that
 * encodes the tile's x, y and zoom, so a test can tell which tile it got;
 * PNG helpers; a wait that runs the main loop with a deadline.
 */
#pragma once

#define G_SETTINGS_ENABLE_BACKEND
#include <gio/gsettingsbackend.h>

#include <cairo.h>
#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <string.h>

#include "tiles/cd-mbtiles.h"

/* The colour of tile x/y/z: distinct for every tile of a small test grid. */
static inline guint32
tile_color (int x,
            int y,
            int zoom)
{
  guint r = (x * 37 + 11) & 0xff;
  guint g = (y * 53 + 7) & 0xff;
  guint b = (zoom * 29 + 3) & 0xff;

  return (r << 16) | (g << 8) | b;
}

static inline cairo_status_t
tiles_test_append (void                *closure,
                   const unsigned char *data,
                   unsigned int         length)
{
  g_byte_array_append (closure, data, length);
  return CAIRO_STATUS_SUCCESS;
}

static inline GBytes *
png_of_color (guint32 rgb,
              int     size)
{
  cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_RGB24, size, size);
  cairo_t *cr = cairo_create (surface);
  GByteArray *png = g_byte_array_new ();

  cairo_set_source_rgb (cr, ((rgb >> 16) & 0xff) / 255.0, ((rgb >> 8) & 0xff) / 255.0, (rgb & 0xff) / 255.0);
  cairo_paint (cr);
  cairo_destroy (cr);
  cairo_surface_write_to_png_stream (surface, tiles_test_append, png);
  cairo_surface_destroy (surface);
  return g_byte_array_free_to_bytes (png);
}

/* Noise compresses badly: a tile of some 200 kB, for cache size tests. */
static inline GBytes *
png_of_noise (guint32 seed)
{
  cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_RGB24, 256, 256);
  g_autoptr(GRand) rand = g_rand_new_with_seed (seed);
  GByteArray *png = g_byte_array_new ();
  guint8 *data;
  int stride;

  cairo_surface_flush (surface);
  data = cairo_image_surface_get_data (surface);
  stride = cairo_image_surface_get_stride (surface);
  for (int y = 0; y < 256; y++)
    for (int x = 0; x < 256; x++)
      ((guint32 *) (data + y * stride))[x] = g_rand_int (rand) & 0xffffff;
  cairo_surface_mark_dirty (surface);
  cairo_surface_write_to_png_stream (surface, tiles_test_append, png);
  cairo_surface_destroy (surface);
  return g_byte_array_free_to_bytes (png);
}

static inline GBytes *
png_of_tile (int x,
             int y,
             int zoom)
{
  return png_of_color (tile_color (x, y, zoom), 256);
}

typedef struct {
  const guint8 *data;
  gsize         size;
  gsize         pos;
} PngReader;

static inline cairo_status_t
tiles_test_read (void          *closure,
                 unsigned char *data,
                 unsigned int   length)
{
  PngReader *r = closure;

  if (r->pos + length > r->size)
    return CAIRO_STATUS_READ_ERROR;
  memcpy (data, r->data + r->pos, length);
  r->pos += length;
  return CAIRO_STATUS_SUCCESS;
}

/* Decodes a PNG; NULL if it is none. Free with cairo_surface_destroy(). */
static inline cairo_surface_t *
png_decode (GBytes *bytes)
{
  PngReader r = { g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), 0 };
  cairo_surface_t *s = cairo_image_surface_create_from_png_stream (tiles_test_read, &r);

  if (cairo_surface_status (s) != CAIRO_STATUS_SUCCESS)
    {
      cairo_surface_destroy (s);
      return NULL;
    }
  cairo_surface_flush (s);
  return s;
}

/* 0xRRGGBB of pixel (x, y) of an RGB24 or ARGB32 image. */
static inline guint32
surface_pixel (cairo_surface_t *s,
               int              x,
               int              y)
{
  const guint8 *row = cairo_image_surface_get_data (s) + y * cairo_image_surface_get_stride (s);

  return ((const guint32 *) row)[x] & 0xffffff;
}

static inline gboolean
color_near (guint32 a,
            guint32 b,
            int     tolerance)
{
  return ABS ((int) ((a >> 16) & 0xff) - (int) ((b >> 16) & 0xff)) <= tolerance
         && ABS ((int) ((a >> 8) & 0xff) - (int) ((b >> 8) & 0xff)) <= tolerance
         && ABS ((int) (a & 0xff) - (int) (b & 0xff)) <= tolerance;
}

/* Runs the main loop until *@flag or @timeout_s passed; returns *@flag. */
static inline gboolean
wait_for (gboolean *flag,
          guint     timeout_s)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_s * G_USEC_PER_SEC;

  while (!*flag && g_get_monotonic_time () < deadline)
    if (!g_main_context_iteration (NULL, FALSE))
      g_usleep (1000);
  return *flag;
}

/* The tile server ----------------------------------------------------------- */

typedef struct {
  SoupServer *server;
  char       *base;           /* http://127.0.0.1:PORT */
  char       *url_template;   /* base/tiles/{z}/{x}/{y}.png */
  GHashTable *requests;       /* "z/x/y" → count */
  guint       n_requests;
  char       *user_agent;     /* of the last request */
  guint       delay_ms;       /* before answering each request */
  GHashTable *fail_once;      /* "z/x/y" → status, answered once */
  GHashTable *fail_always;    /* "z/x/y" → status */
  gboolean    not_an_image;   /* answer 200 with HTML */
  gboolean    noise;          /* big tiles of noise */
} TileServer;

typedef struct {
  SoupServerMessage *msg;
  GBytes            *body;
  guint              status;
} Pending;

static inline gboolean
tile_server_answer_later (gpointer user_data)
{
  Pending *p = user_data;

  soup_server_message_set_status (p->msg, p->status, NULL);
  if (p->body)
    soup_server_message_set_response (p->msg, "image/png", SOUP_MEMORY_COPY,
                                      g_bytes_get_data (p->body, NULL), g_bytes_get_size (p->body));
  soup_server_message_unpause (p->msg);
  g_object_unref (p->msg);
  g_clear_pointer (&p->body, g_bytes_unref);
  g_free (p);
  return G_SOURCE_REMOVE;
}

static inline void
tile_server_handle (SoupServer        *server,
                    SoupServerMessage *msg,
                    const char        *path,
                    GHashTable        *query,
                    gpointer           user_data)
{
  TileServer *ts = user_data;
  int z, x, y;
  char key[64];
  gpointer status;
  const char *ua;
  Pending *p;

  ua = soup_message_headers_get_one (soup_server_message_get_request_headers (msg), "User-Agent");
  g_free (ts->user_agent);
  ts->user_agent = g_strdup (ua);

  if (sscanf (path, "/tiles/%d/%d/%d.png", &z, &x, &y) != 3)
    {
      soup_server_message_set_status (msg, 404, NULL);
      return;
    }

  g_snprintf (key, sizeof key, "%d/%d/%d", z, x, y);
  g_hash_table_insert (ts->requests, g_strdup (key),
                       GUINT_TO_POINTER (GPOINTER_TO_UINT (g_hash_table_lookup (ts->requests, key)) + 1));
  ts->n_requests++;

  p = g_new0 (Pending, 1);
  p->msg = g_object_ref (msg);
  p->status = 200;
  if (g_hash_table_lookup_extended (ts->fail_always, key, NULL, &status))
    p->status = GPOINTER_TO_UINT (status);
  else if (g_hash_table_lookup_extended (ts->fail_once, key, NULL, &status))
    {
      p->status = GPOINTER_TO_UINT (status);
      g_hash_table_remove (ts->fail_once, key);
    }
  else if (ts->noise)
    p->body = png_of_noise ((guint32) (x * 1000 + y * 10 + z));
  else if (ts->not_an_image)
    p->body = g_bytes_new_static ("<html>Tiles are not for you</html>", 34);
  else
    p->body = png_of_tile (x, y, z);

  soup_server_message_pause (msg);
  if (ts->delay_ms == 0)
    {
      tile_server_answer_later (p);
      return;
    }
  g_timeout_add (ts->delay_ms, tile_server_answer_later, p);
}

static inline TileServer *
tile_server_new (void)
{
  TileServer *ts = g_new0 (TileServer, 1);
  g_autoptr(GError) error = NULL;
  GSList *uris;
  guint port;

  ts->server = soup_server_new (NULL, NULL);
  soup_server_add_handler (ts->server, "/tiles", tile_server_handle, ts, NULL);
  soup_server_listen_local (ts->server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error);
  g_assert_no_error (error);

  uris = soup_server_get_uris (ts->server);
  g_assert_nonnull (uris);
  port = g_uri_get_port (uris->data);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);

  ts->base = g_strdup_printf ("http://127.0.0.1:%u", port);
  ts->url_template = g_strdup_printf ("%s/tiles/{z}/{x}/{y}.png", ts->base);
  ts->requests = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  ts->fail_once = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  ts->fail_always = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  return ts;
}

static inline guint
tile_server_count (TileServer *ts,
                   int         x,
                   int         y,
                   int         zoom)
{
  char key[64];

  g_snprintf (key, sizeof key, "%d/%d/%d", zoom, x, y);
  return GPOINTER_TO_UINT (g_hash_table_lookup (ts->requests, key));
}

static inline void
tile_server_fail (TileServer *ts,
                  int         x,
                  int         y,
                  int         zoom,
                  guint       status,
                  gboolean    always)
{
  g_hash_table_insert (always ? ts->fail_always : ts->fail_once,
                       g_strdup_printf ("%d/%d/%d", zoom, x, y), GUINT_TO_POINTER (status));
}

static inline void
tile_server_free (TileServer *ts)
{
  /* Let answers waiting on a timeout go out first. */
  for (int i = 0; i < 50 && g_main_context_pending (NULL); i++)
    g_main_context_iteration (NULL, FALSE);
  soup_server_disconnect (ts->server);
  g_object_unref (ts->server);
  g_hash_table_unref (ts->requests);
  g_hash_table_unref (ts->fail_once);
  g_hash_table_unref (ts->fail_always);
  g_free (ts->base);
  g_free (ts->url_template);
  g_free (ts->user_agent);
  g_free (ts);
}

/* A scratch directory per test, removed afterwards. */
static inline char *
scratch_dir (void)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp ("crewdesk-tiles-XXXXXX", &error);

  g_assert_no_error (error);
  return dir;
}

static inline void
remove_tree (const char *path)
{
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GFileEnumerator) e = g_file_enumerate_children (file, G_FILE_ATTRIBUTE_STANDARD_NAME ","
                                                            G_FILE_ATTRIBUTE_STANDARD_TYPE,
                                                            G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, NULL, NULL);
  GFileInfo *info;

  while (e && (info = g_file_enumerator_next_file (e, NULL, NULL)))
    {
      g_autofree char *child = g_build_filename (path, g_file_info_get_name (info), NULL);

      if (g_file_info_get_file_type (info) == G_FILE_TYPE_DIRECTORY)
        remove_tree (child);
      else
        g_unlink (child);
      g_object_unref (info);
    }
  g_rmdir (path);
}

/* Settings of their own, with every key at its default. */
static inline GSettings *
test_settings_new (void)
{
  g_autoptr(GSettingsBackend) backend = g_memory_settings_backend_new ();

  return g_settings_new_with_backend ("org.crewdesk.Crewdesk", backend);
}

/* An MBTiles file of every tile at @min_zoom..@max_zoom (png_of_tile). */
static inline void
write_grid_file (const char *path,
                 int         min_zoom,
                 int         max_zoom,
                 const char *attribution)
{
  g_autoptr(GError) error = NULL;
  CdMbtilesWriter *w = cd_mbtiles_writer_open (path, CD_MBTILES_WRITER_NONE, &error);

  g_assert_no_error (error);
  for (int z = min_zoom; z <= max_zoom; z++)
    for (int x = 0; x < (1 << z); x++)
      for (int y = 0; y < (1 << z); y++)
        {
          g_autoptr(GBytes) png = png_of_tile (x, y, z);

          g_assert_true (cd_mbtiles_writer_put_tile (w, x, y, z, png, &error));
        }
  g_assert_true (cd_mbtiles_writer_set_metadata (w, "name", "Grid", &error));
  g_assert_true (cd_mbtiles_writer_set_metadata (w, "format", "png", &error));
  if (attribution)
    g_assert_true (cd_mbtiles_writer_set_metadata (w, "attribution", attribution, &error));
  g_assert_true (cd_mbtiles_writer_update_zoom_range (w, &error));
  g_assert_true (cd_mbtiles_writer_close (w, &error));
  g_assert_no_error (error);
}

/* Caches and data of this run in a scratch directory. Not
 * G_TEST_OPTION_ISOLATE_DIRS: it hides XDG_DATA_DIRS, and with them the
 * MIME database gdk-pixbuf needs to recognise a PNG. Call first in main. */
static inline char *
isolate_user_dirs (void)
{
  char *home = scratch_dir ();
  g_autofree char *cache = g_build_filename (home, "cache", NULL);
  g_autofree char *data = g_build_filename (home, "data", NULL);
  g_autofree char *config = g_build_filename (home, "config", NULL);

  g_setenv ("XDG_CACHE_HOME", cache, TRUE);
  g_setenv ("XDG_DATA_HOME", data, TRUE);
  g_setenv ("XDG_CONFIG_HOME", config, TRUE);
  /* Loopback needs no proxy, whatever the desktop says. */
  g_setenv ("GIO_USE_PROXY_RESOLVER", "dummy", TRUE);
  return home;
}
