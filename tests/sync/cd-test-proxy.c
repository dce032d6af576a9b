/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-test-proxy.c: a misbehaving TCP forwarder for the sync tests. */
#include <string.h>

#include "cd-test-proxy.h"

/* How often blocked threads look at the proxy's flags. */
#define POLL_MS     20
#define BUFFER_SIZE (64 * 1024)

typedef struct _Conn Conn;

struct _CdTestProxy
{
  GMutex     lock;
  GSocket   *listener;
  char      *url;
  GThread   *accept_thread;
  GPtrArray *conns;          /* Conn, until the proxy is freed */

  /* Under the lock. */
  gboolean   stopping;
  guint16    target_port;
  guint      cut_generation;
  gboolean   stalled;
  guint      delay_ms;
  gsize      chunk_bytes;
  gint64     truncate_left[2];  /* -1: not armed */
  gboolean   truncated;
  guint      n_accepted;
  guint      n_open;
  guint64    bytes[2];
};

struct _Conn
{
  CdTestProxy *proxy;
  GSocket     *client;
  GSocket     *server;
  guint        generation;
  gboolean     closing;       /* under the proxy's lock */
  gint         pumps_alive;   /* atomic */
  GThread     *threads[2];
};

static gboolean
conn_should_stop (Conn *conn)
{
  CdTestProxy *proxy = conn->proxy;
  gboolean stop;

  g_mutex_lock (&proxy->lock);
  stop = proxy->stopping || conn->closing || conn->generation != proxy->cut_generation;
  g_mutex_unlock (&proxy->lock);

  return stop;
}

static void
conn_close (Conn *conn)
{
  CdTestProxy *proxy = conn->proxy;

  g_mutex_lock (&proxy->lock);
  conn->closing = TRUE;
  g_mutex_unlock (&proxy->lock);

  /* Wakes the other direction's thread. */
  g_socket_shutdown (conn->client, TRUE, TRUE, NULL);
  if (conn->server != NULL)
    g_socket_shutdown (conn->server, TRUE, TRUE, NULL);
}

/* Writes all of @data, giving up when the connection is cut. */
static gboolean
send_all (Conn        *conn,
          GSocket     *dst,
          const char  *data,
          gsize        length)
{
  while (length > 0)
    {
      g_autoptr(GError) error = NULL;
      gssize n;

      if (conn_should_stop (conn))
        return FALSE;
      n = g_socket_send (dst, data, length, NULL, &error);
      if (n < 0)
        {
          if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT) ||
              g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
            continue;
          return FALSE;
        }
      data += n;
      length -= (gsize) n;
    }

  return TRUE;
}

static gpointer
pump_thread (gpointer user_data)
{
  Conn *conn = user_data;
  CdTestProxy *proxy = conn->proxy;
  CdTestProxyDirection direction;
  GSocket *src, *dst;
  g_autofree char *buffer = g_malloc (BUFFER_SIZE);

  /* The threads array is filled before the threads may look at it. */
  g_mutex_lock (&proxy->lock);
  direction = g_thread_self () == conn->threads[CD_TEST_PROXY_UP] ? CD_TEST_PROXY_UP : CD_TEST_PROXY_DOWN;
  g_mutex_unlock (&proxy->lock);
  src = direction == CD_TEST_PROXY_UP ? conn->client : conn->server;
  dst = direction == CD_TEST_PROXY_UP ? conn->server : conn->client;

  for (;;)
    {
      g_autoptr(GError) error = NULL;
      gboolean stalled, last = FALSE;
      guint delay_ms;
      gsize chunk;
      gssize n;

      if (conn_should_stop (conn))
        break;

      g_mutex_lock (&proxy->lock);
      stalled = proxy->stalled;
      delay_ms = proxy->delay_ms;
      chunk = proxy->chunk_bytes > 0 ? MIN (proxy->chunk_bytes, BUFFER_SIZE) : BUFFER_SIZE;
      g_mutex_unlock (&proxy->lock);

      if (stalled)
        {
          g_usleep (POLL_MS * 1000);
          continue;
        }

      if (!g_socket_condition_timed_wait (src, G_IO_IN, POLL_MS * 1000, NULL, &error))
        {
          if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
            continue;
          break;
        }
      /* Flags may have changed while waiting: a stall holds what came. */
      g_mutex_lock (&proxy->lock);
      stalled = proxy->stalled;
      g_mutex_unlock (&proxy->lock);
      if (stalled)
        continue;

      n = g_socket_receive (src, buffer, chunk, NULL, &error);
      if (n < 0 && (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT) ||
                    g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)))
        continue;
      if (n <= 0)
        break;

      if (delay_ms > 0)
        g_usleep (delay_ms * 1000);

      g_mutex_lock (&proxy->lock);
      if (proxy->truncate_left[direction] >= 0)
        {
          if (n >= proxy->truncate_left[direction])
            {
              n = proxy->truncate_left[direction];
              proxy->truncate_left[direction] = -1;
              proxy->truncated = TRUE;
              last = TRUE;
            }
          else
            proxy->truncate_left[direction] -= n;
        }
      proxy->bytes[direction] += (guint64) n;
      g_mutex_unlock (&proxy->lock);

      if ((n > 0 && !send_all (conn, dst, buffer, (gsize) n)) || last)
        break;
    }

  conn_close (conn);
  if (g_atomic_int_dec_and_test (&conn->pumps_alive))
    {
      g_socket_close (conn->client, NULL);
      g_socket_close (conn->server, NULL);
      g_mutex_lock (&proxy->lock);
      proxy->n_open--;
      g_mutex_unlock (&proxy->lock);
    }

  return NULL;
}

static void
conn_free (Conn *conn)
{
  for (guint i = 0; i < G_N_ELEMENTS (conn->threads); i++)
    if (conn->threads[i] != NULL)
      g_thread_join (conn->threads[i]);
  g_clear_object (&conn->client);
  g_clear_object (&conn->server);
  g_free (conn);
}

static GSocket *
connect_target (guint16 port)
{
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, port);
  g_autoptr(GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                            G_SOCKET_PROTOCOL_TCP, NULL);

  if (socket == NULL || !g_socket_connect (socket, address, NULL, NULL))
    return NULL;

  return g_steal_pointer (&socket);
}

static gpointer
accept_thread (gpointer user_data)
{
  CdTestProxy *self = user_data;

  for (;;)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GSocket) client = NULL;
      GSocket *server;
      guint16 port;
      guint generation;
      Conn *conn;

      g_mutex_lock (&self->lock);
      if (self->stopping)
        {
          g_mutex_unlock (&self->lock);
          break;
        }
      g_mutex_unlock (&self->lock);

      if (!g_socket_condition_timed_wait (self->listener, G_IO_IN, POLL_MS * 1000, NULL, &error))
        continue;
      client = g_socket_accept (self->listener, NULL, NULL);
      if (client == NULL)
        continue;

      g_mutex_lock (&self->lock);
      self->n_accepted++;
      port = self->target_port;
      g_mutex_unlock (&self->lock);

      /* No server behind: the client sees its connection closed. */
      server = connect_target (port);
      if (server == NULL)
        {
          g_socket_close (client, NULL);
          continue;
        }

      g_socket_set_timeout (client, 1);
      g_socket_set_timeout (server, 1);
      conn = g_new0 (Conn, 1);
      conn->proxy = self;
      conn->client = g_steal_pointer (&client);
      conn->server = server;
      conn->pumps_alive = 2;

      g_mutex_lock (&self->lock);
      generation = self->cut_generation;
      conn->generation = generation;
      self->n_open++;
      g_ptr_array_add (self->conns, conn);
      conn->threads[CD_TEST_PROXY_UP] = g_thread_new ("proxy-up", pump_thread, conn);
      conn->threads[CD_TEST_PROXY_DOWN] = g_thread_new ("proxy-down", pump_thread, conn);
      g_mutex_unlock (&self->lock);
    }

  return NULL;
}

CdTestProxy *
cd_test_proxy_new (guint16 target_port)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any_port = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  CdTestProxy *self = g_new0 (CdTestProxy, 1);

  g_mutex_init (&self->lock);
  self->target_port = target_port;
  self->truncate_left[0] = self->truncate_left[1] = -1;
  self->conns = g_ptr_array_new_with_free_func ((GDestroyNotify) conn_free);

  self->listener = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
  g_assert_no_error (error);
  g_socket_set_listen_backlog (self->listener, 64);
  g_assert_true (g_socket_bind (self->listener, any_port, TRUE, &error));
  g_assert_true (g_socket_listen (self->listener, &error));
  g_assert_no_error (error);
  bound = g_socket_get_local_address (self->listener, &error);
  g_assert_no_error (error);
  self->url = g_strdup_printf ("http://127.0.0.1:%u",
                               g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));

  self->accept_thread = g_thread_new ("proxy-accept", accept_thread, self);
  return self;
}

void
cd_test_proxy_free (CdTestProxy *self)
{
  if (self == NULL)
    return;

  g_mutex_lock (&self->lock);
  self->stopping = TRUE;
  g_mutex_unlock (&self->lock);
  g_thread_join (self->accept_thread);
  /* Joins every connection's threads; they see "stopping" within POLL_MS
   * or their socket timeout. */
  g_ptr_array_unref (self->conns);
  g_socket_close (self->listener, NULL);
  g_object_unref (self->listener);
  g_mutex_clear (&self->lock);
  g_free (self->url);
  g_free (self);
}

const char *
cd_test_proxy_get_url (CdTestProxy *self)
{
  return self->url;
}

void
cd_test_proxy_set_target (CdTestProxy *self,
                          guint16      port)
{
  g_mutex_lock (&self->lock);
  self->target_port = port;
  g_mutex_unlock (&self->lock);
}

void
cd_test_proxy_cut (CdTestProxy *self)
{
  g_mutex_lock (&self->lock);
  self->cut_generation++;
  for (guint i = 0; i < self->conns->len; i++)
    {
      Conn *conn = g_ptr_array_index (self->conns, i);

      /* At once, not at the threads' next look. */
      if (!conn->closing)
        {
          conn->closing = TRUE;
          g_socket_shutdown (conn->client, TRUE, TRUE, NULL);
          g_socket_shutdown (conn->server, TRUE, TRUE, NULL);
        }
    }
  g_mutex_unlock (&self->lock);
}

void
cd_test_proxy_set_delay (CdTestProxy *self,
                         guint        delay_ms,
                         gsize        chunk_bytes)
{
  g_mutex_lock (&self->lock);
  self->delay_ms = delay_ms;
  self->chunk_bytes = chunk_bytes;
  g_mutex_unlock (&self->lock);
}

void
cd_test_proxy_truncate (CdTestProxy          *self,
                        CdTestProxyDirection  direction,
                        guint64               after_bytes)
{
  g_mutex_lock (&self->lock);
  self->truncate_left[direction] = (gint64) after_bytes;
  self->truncated = FALSE;
  g_mutex_unlock (&self->lock);
}

void
cd_test_proxy_clear_truncation (CdTestProxy *self)
{
  g_mutex_lock (&self->lock);
  self->truncate_left[0] = self->truncate_left[1] = -1;
  g_mutex_unlock (&self->lock);
}

gboolean
cd_test_proxy_truncated (CdTestProxy *self)
{
  gboolean truncated;

  g_mutex_lock (&self->lock);
  truncated = self->truncated;
  g_mutex_unlock (&self->lock);

  return truncated;
}

void
cd_test_proxy_set_stalled (CdTestProxy *self,
                           gboolean     stalled)
{
  g_mutex_lock (&self->lock);
  self->stalled = stalled;
  g_mutex_unlock (&self->lock);
}

guint
cd_test_proxy_get_n_accepted (CdTestProxy *self)
{
  guint n;

  g_mutex_lock (&self->lock);
  n = self->n_accepted;
  g_mutex_unlock (&self->lock);

  return n;
}

guint
cd_test_proxy_get_n_open (CdTestProxy *self)
{
  guint n;

  g_mutex_lock (&self->lock);
  n = self->n_open;
  g_mutex_unlock (&self->lock);

  return n;
}

guint64
cd_test_proxy_get_bytes (CdTestProxy          *self,
                         CdTestProxyDirection  direction)
{
  guint64 n;

  g_mutex_lock (&self->lock);
  n = self->bytes[direction];
  g_mutex_unlock (&self->lock);

  return n;
}
