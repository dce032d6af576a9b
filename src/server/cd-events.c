/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "cd-events.h"

typedef struct _Subscriber Subscriber;

struct _CdEvents
{
  GMutex     lock;
  GCond      cond;
  GList     *subscribers;
  gint64     last_rev;
  guint      heartbeat_seconds;
  gsize      max_backlog;
  gboolean   stopping;
  GThread   *heartbeat;
};

struct _Subscriber
{
  gint       ref_count;
  CdEvents  *hub;
  gpointer   connection;
  GString   *pending;
  gboolean   suspended;
  gboolean   closed;
};

static void
subscriber_unref (Subscriber *sub)
{
  if (g_atomic_int_dec_and_test (&sub->ref_count))
    {
      g_string_free (sub->pending, TRUE);
      g_free (sub);
    }
}

/* Called with the hub locked. */
static void
wake (Subscriber *sub)
{
  if (sub->suspended)
    {
      sub->suspended = FALSE;
      cd_http_stream_wake (sub->connection);
    }
}

/* Called with the hub locked. */
static void
queue (CdEvents   *self,
       Subscriber *sub,
       const char *text,
       gsize       length)
{
  if (sub->closed)
    return;

  if (sub->pending->len + length > self->max_backlog)
    {
      /* Too slow to keep up: cut it off rather than buffer without end. */
      sub->closed = TRUE;
      g_string_truncate (sub->pending, 0);
    }
  else
    g_string_append_len (sub->pending, text, length);

  wake (sub);
}

static void
broadcast (CdEvents   *self,
           const char *text)
{
  gsize length = strlen (text);

  g_mutex_lock (&self->lock);
  for (GList *l = self->subscribers; l; l = l->next)
    queue (self, l->data, text, length);
  g_mutex_unlock (&self->lock);
}

static gssize
stream_read (gpointer  stream,
             char     *buf,
             gsize     max)
{
  Subscriber *sub = stream;
  CdEvents *self = sub->hub;
  gssize n;

  g_mutex_lock (&self->lock);
  if (sub->pending->len > 0)
    {
      n = MIN (max, sub->pending->len);
      memcpy (buf, sub->pending->str, n);
      g_string_erase (sub->pending, 0, n);
    }
  else if (sub->closed)
    n = -1;
  else
    {
      sub->suspended = TRUE;
      cd_http_stream_suspend (sub->connection);
      n = 0;
    }
  g_mutex_unlock (&self->lock);

  return n;
}

static void
stream_free (gpointer stream)
{
  Subscriber *sub = stream;
  CdEvents *self = sub->hub;

  g_mutex_lock (&self->lock);
  if (g_list_find (self->subscribers, sub))
    {
      self->subscribers = g_list_remove (self->subscribers, sub);
      subscriber_unref (sub);
    }
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);

  subscriber_unref (sub);
}

static gpointer
heartbeat_thread (gpointer data)
{
  CdEvents *self = data;

  g_mutex_lock (&self->lock);
  while (!self->stopping)
    {
      gint64 until = g_get_monotonic_time () + self->heartbeat_seconds * G_USEC_PER_SEC;

      while (!self->stopping && g_cond_wait_until (&self->cond, &self->lock, until))
        ;
      if (self->stopping)
        break;

      {
        g_autofree char *text = g_strdup_printf ("event: heartbeat\ndata: {\"time_ms\":%" G_GINT64_FORMAT
                                                 ",\"rev\":%" G_GINT64_FORMAT "}\n\n",
                                                 g_get_real_time () / 1000, self->last_rev);
        gsize length = strlen (text);

        /* Writing also lets libmicrohttpd notice clients that left. */
        for (GList *l = self->subscribers; l; l = l->next)
          queue (self, l->data, text, length);
      }
    }
  g_mutex_unlock (&self->lock);

  return NULL;
}

CdEvents *
cd_events_new (guint heartbeat_seconds,
               gsize max_backlog)
{
  CdEvents *self = g_new0 (CdEvents, 1);

  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  self->heartbeat_seconds = MAX (heartbeat_seconds, 1);
  self->max_backlog = max_backlog ? max_backlog : 4 * 1024 * 1024;
  self->heartbeat = g_thread_new ("crewdesk-heartbeat", heartbeat_thread, self);
  return self;
}

void
cd_events_close_all (CdEvents *self)
{
  g_mutex_lock (&self->lock);
  for (GList *l = self->subscribers; l; l = l->next)
    {
      Subscriber *sub = l->data;

      sub->closed = TRUE;
      wake (sub);
    }
  g_mutex_unlock (&self->lock);
}

void
cd_events_free (CdEvents *self)
{
  if (self == NULL)
    return;

  g_mutex_lock (&self->lock);
  self->stopping = TRUE;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
  g_thread_join (self->heartbeat);

  g_mutex_lock (&self->lock);
  while (self->subscribers)
    {
      Subscriber *sub = self->subscribers->data;

      self->subscribers = g_list_delete_link (self->subscribers, self->subscribers);
      sub->hub = NULL;
      subscriber_unref (sub);
    }
  g_mutex_unlock (&self->lock);

  g_cond_clear (&self->cond);
  g_mutex_clear (&self->lock);
  g_free (self);
}

void
cd_events_subscribe (CdEvents       *self,
                     gpointer        connection,
                     CdHttpResponse *response,
                     gint64          current_rev)
{
  Subscriber *sub = g_new0 (Subscriber, 1);
  g_autofree char *hello = NULL;

  sub->ref_count = 2; /* the hub's list, and the HTTP response */
  sub->hub = self;
  sub->connection = connection;
  sub->pending = g_string_new (NULL);

  g_mutex_lock (&self->lock);
  self->last_rev = MAX (self->last_rev, current_rev);
  /* The first event says where the stream starts, so a client that pulled
   * before subscribing knows whether it missed anything. */
  hello = g_strdup_printf ("retry: 2000\nevent: rev\ndata: {\"rev\":%" G_GINT64_FORMAT "}\n\n", self->last_rev);
  g_string_append (sub->pending, hello);
  self->subscribers = g_list_prepend (self->subscribers, sub);
  g_mutex_unlock (&self->lock);

  response->status = 200;
  g_free (response->content_type);
  response->content_type = g_strdup ("text/event-stream");
  response->stream_read = stream_read;
  response->stream = sub;
  response->stream_free = stream_free;
  cd_http_response_add_header (response, "X-Accel-Buffering", "no");
}

void
cd_events_publish_rev (CdEvents *self,
                       gint64    rev)
{
  g_autofree char *text = NULL;

  g_mutex_lock (&self->lock);
  if (rev <= self->last_rev)
    {
      g_mutex_unlock (&self->lock);
      return;
    }
  self->last_rev = rev;
  g_mutex_unlock (&self->lock);

  text = g_strdup_printf ("event: rev\ndata: {\"rev\":%" G_GINT64_FORMAT "}\n\n", rev);
  broadcast (self, text);
}

void
cd_events_publish (CdEvents   *self,
                   const char *event,
                   const char *json)
{
  g_autofree char *text = g_strdup_printf ("event: %s\ndata: %s\n\n", event, json);

  broadcast (self, text);
}

guint
cd_events_get_subscribers (CdEvents *self)
{
  guint n;

  g_mutex_lock (&self->lock);
  n = g_list_length (self->subscribers);
  g_mutex_unlock (&self->lock);

  return n;
}
