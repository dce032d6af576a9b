/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-http.c: libmicrohttpd glue.
 *
 * libsoup's SoupServer is not used: on Debian 12 it leaks a file descriptor
 * per connection, and upstream does not recommend it for untrusted peers.
 */
#include "config.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <string.h>
#include <sys/socket.h>

#include "cd-http.h"

struct _CdHttp
{
  CdHttpOptions      options;
  char              *tls_cert;
  char              *tls_key;
  CdHttpHandler      handler;
  gpointer           user_data;
  struct MHD_Daemon *daemon;
  guint16            port;
};

typedef struct
{
  GByteArray *body;
  gboolean    too_large;
  char        client[INET6_ADDRSTRLEN];
} Pending;

typedef struct
{
  CdHttpStreamRead read;
  gpointer         stream;
  GDestroyNotify   stream_free;
} StreamClosure;

static void
pending_free (Pending *pending)
{
  if (pending->body)
    g_byte_array_unref (pending->body);
  g_free (pending);
}

static void
peer_address (struct MHD_Connection *connection,
              char                  *out,
              gsize                  size)
{
  const union MHD_ConnectionInfo *info;
  const struct sockaddr *sa;

  g_strlcpy (out, "unknown", size);
  info = MHD_get_connection_info (connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
  if (info == NULL || info->client_addr == NULL)
    return;

  sa = info->client_addr;
  if (sa->sa_family == AF_INET)
    inet_ntop (AF_INET, &((const struct sockaddr_in *) (gconstpointer) sa)->sin_addr, out, size);
  else if (sa->sa_family == AF_INET6)
    inet_ntop (AF_INET6, &((const struct sockaddr_in6 *) (gconstpointer) sa)->sin6_addr, out, size);
}

static enum MHD_Result
queue_text (struct MHD_Connection *connection,
            guint                  status,
            const char            *json)
{
  struct MHD_Response *response;
  enum MHD_Result ret;

  g_autofree char *now_ms = g_strdup_printf ("%" G_GINT64_FORMAT, g_get_real_time () / 1000);

  response = MHD_create_response_from_buffer (strlen (json), (void *) json, MHD_RESPMEM_MUST_COPY);
  MHD_add_response_header (response, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
  /* The headers every reply of the API carries (see cd-server.c). */
  MHD_add_response_header (response, "X-Crewdesk-Time-Ms", now_ms);
  MHD_add_response_header (response, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
  ret = MHD_queue_response (connection, status, response);
  MHD_destroy_response (response);
  return ret;
}

static enum MHD_Result
queue_too_large (CdHttp                *self,
                 struct MHD_Connection *connection)
{
  g_autofree char *json = g_strdup_printf ("{\"error\":{\"code\":\"too-large\",\"message\":"
                                           "\"The request body is over the limit of %" G_GSIZE_FORMAT " bytes.\"}}",
                                           self->options.max_body);

  return queue_text (connection, MHD_HTTP_CONTENT_TOO_LARGE, json);
}

static ssize_t
stream_read_cb (void     *cls,
                uint64_t  pos,
                char     *buf,
                size_t    max)
{
  StreamClosure *closure = cls;
  gssize n = closure->read (closure->stream, buf, max);

  if (n < 0)
    return MHD_CONTENT_READER_END_OF_STREAM;
  return n;
}

static void
stream_free_cb (void *cls)
{
  StreamClosure *closure = cls;

  if (closure->stream_free)
    closure->stream_free (closure->stream);
  g_free (closure);
}

static void
response_clear (CdHttpResponse *response)
{
  g_clear_pointer (&response->content_type, g_free);
  g_clear_pointer (&response->body, g_bytes_unref);
  g_clear_pointer (&response->headers, g_ptr_array_unref);
}

static enum MHD_Result
dispatch (CdHttp                *self,
          struct MHD_Connection *connection,
          const char            *method,
          const char            *url,
          Pending               *pending)
{
  CdHttpRequest request = { 0 };
  CdHttpResponse response = { 0 };
  struct MHD_Response *mhd_response;
  enum MHD_Result ret;

  request.method = method;
  request.path = url;
  request.client = pending->client;
  request.body = pending->body ? pending->body->data : NULL;
  request.body_length = pending->body ? pending->body->len : 0;
  request.connection = connection;

  response.status = 500;
  self->handler (&request, &response, self->user_data);

  if (response.stream_read != NULL)
    {
      StreamClosure *closure = g_new0 (StreamClosure, 1);

      closure->read = response.stream_read;
      closure->stream = response.stream;
      closure->stream_free = response.stream_free;
      mhd_response = MHD_create_response_from_callback (MHD_SIZE_UNKNOWN, 4096,
                                                        stream_read_cb, closure,
                                                        stream_free_cb);
    }
  else if (response.body != NULL)
    {
      gsize size = 0;
      gconstpointer data = g_bytes_get_data (response.body, &size);

      mhd_response = MHD_create_response_from_buffer (size, (void *) data, MHD_RESPMEM_MUST_COPY);
    }
  else
    {
      mhd_response = MHD_create_response_from_buffer (0, (void *) "", MHD_RESPMEM_PERSISTENT);
    }

  if (mhd_response == NULL)
    {
      response_clear (&response);
      return MHD_NO;
    }

  if (response.content_type)
    MHD_add_response_header (mhd_response, MHD_HTTP_HEADER_CONTENT_TYPE, response.content_type);
  for (guint i = 0; response.headers && i + 1 < response.headers->len; i += 2)
    MHD_add_response_header (mhd_response,
                             g_ptr_array_index (response.headers, i),
                             g_ptr_array_index (response.headers, i + 1));

  ret = MHD_queue_response (connection, response.status, mhd_response);
  MHD_destroy_response (mhd_response);
  response_clear (&response);
  return ret;
}

static enum MHD_Result
access_cb (void                  *cls,
           struct MHD_Connection *connection,
           const char            *url,
           const char            *method,
           const char            *version,
           const char            *upload_data,
           size_t                *upload_data_size,
           void                 **con_cls)
{
  CdHttp *self = cls;
  Pending *pending = *con_cls;

  if (pending == NULL)
    {
      const char *length = MHD_lookup_connection_value (connection, MHD_HEADER_KIND,
                                                        MHD_HTTP_HEADER_CONTENT_LENGTH);

      pending = g_new0 (Pending, 1);
      peer_address (connection, pending->client, sizeof pending->client);
      *con_cls = pending;

      /* Refuse an announced oversize body before reading a byte of it:
       * a reply queued now means no "100 Continue" and no upload. */
      if (length != NULL && g_ascii_strtoull (length, NULL, 10) > self->options.max_body)
        return queue_too_large (self, connection);

      return MHD_YES;
    }

  if (*upload_data_size > 0)
    {
      if (!pending->too_large)
        {
          gsize have = pending->body ? pending->body->len : 0;

          if (have + *upload_data_size > self->options.max_body)
            {
              pending->too_large = TRUE;
              g_clear_pointer (&pending->body, g_byte_array_unref);
            }
          else
            {
              if (pending->body == NULL)
                pending->body = g_byte_array_sized_new (*upload_data_size);
              g_byte_array_append (pending->body, (const guint8 *) upload_data, *upload_data_size);
            }
        }
      *upload_data_size = 0;
      return MHD_YES;
    }

  if (pending->too_large)
    return queue_too_large (self, connection);

  return dispatch (self, connection, method, url, pending);
}

static void
completed_cb (void                            *cls,
              struct MHD_Connection           *connection,
              void                           **con_cls,
              enum MHD_RequestTerminationCode  toe)
{
  g_clear_pointer ((Pending **) con_cls, pending_free);
}

static void log_cb (void       *cls,
                    const char *fmt,
                    va_list     ap) G_GNUC_PRINTF (2, 0);

static void
log_cb (void       *cls,
        const char *fmt,
        va_list     ap)
{
  g_autofree char *message = g_strdup_vprintf (fmt, ap);

  g_strchomp (message);
  g_debug ("libmicrohttpd: %s", message);
}

CdHttp *
cd_http_new (const CdHttpOptions *options,
             CdHttpHandler        handler,
             gpointer             user_data)
{
  CdHttp *self = g_new0 (CdHttp, 1);

  self->options = *options;
  self->tls_cert = g_strdup (options->tls_cert_pem);
  self->tls_key = g_strdup (options->tls_key_pem);
  self->options.tls_cert_pem = self->tls_cert;
  self->options.tls_key_pem = self->tls_key;
  /* Handlers block on the disk (a mutation waits for its group commit),
   * and each blocked thread holds back the connections it polls: with a
   * thread for every busy client, all of them join the same commit (16
   * clients: 1,300 mutations/s with 8 threads, 2,500–2,900 with 32). */
  if (self->options.threads == 0)
    self->options.threads = MAX (32, 2 * g_get_num_processors ());
  if (self->options.max_body == 0)
    self->options.max_body = 1024 * 1024;
  if (self->options.connection_timeout == 0)
    self->options.connection_timeout = 30;
  if (self->options.max_connections == 0)
    self->options.max_connections = 4000;
  self->handler = handler;
  self->user_data = user_data;
  return self;
}

gboolean
cd_http_listen (CdHttp      *self,
                const char  *address,
                guint16      port,
                GError     **error)
{
  struct sockaddr_storage storage = { 0 };
  socklen_t sa_len;
  unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
                       MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
  const union MHD_DaemonInfo *info;
  struct MHD_OptionItem ops[16];
  guint n = 0;

  g_return_val_if_fail (self->daemon == NULL, FALSE);

  if (strchr (address, ':') != NULL)
    {
      struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *) &storage;

      sin6->sin6_family = AF_INET6;
      sin6->sin6_port = htons (port);
      if (inet_pton (AF_INET6, address, &sin6->sin6_addr) != 1)
        goto bad_address;
      sa_len = sizeof *sin6;
      flags |= MHD_USE_IPv6;
    }
  else
    {
      struct sockaddr_in *sin = (struct sockaddr_in *) &storage;

      sin->sin_family = AF_INET;
      sin->sin_port = htons (port);
      if (inet_pton (AF_INET, address, &sin->sin_addr) != 1)
        goto bad_address;
      sa_len = sizeof *sin;
    }

  if (self->tls_cert && self->tls_key)
    {
      flags |= MHD_USE_TLS;
      ops[n++] = (struct MHD_OptionItem) { MHD_OPTION_HTTPS_MEM_CERT, 0, self->tls_cert };
      ops[n++] = (struct MHD_OptionItem) { MHD_OPTION_HTTPS_MEM_KEY, 0, self->tls_key };
    }

  ops[n++] = (struct MHD_OptionItem) { MHD_OPTION_SOCK_ADDR, 0, &storage };
  ops[n++] = (struct MHD_OptionItem) { MHD_OPTION_THREAD_POOL_SIZE, self->options.threads, NULL };
  ops[n++] = (struct MHD_OptionItem) { MHD_OPTION_CONNECTION_TIMEOUT, self->options.connection_timeout, NULL };
  ops[n++] = (struct MHD_OptionItem) { MHD_OPTION_CONNECTION_LIMIT, self->options.max_connections, NULL };
  if (self->options.max_per_ip > 0)
    ops[n++] = (struct MHD_OptionItem) { MHD_OPTION_PER_IP_CONNECTION_LIMIT, self->options.max_per_ip, NULL };
  ops[n++] = (struct MHD_OptionItem) { MHD_OPTION_NOTIFY_COMPLETED, (intptr_t) completed_cb, NULL };
  ops[n++] = (struct MHD_OptionItem) { MHD_OPTION_EXTERNAL_LOGGER, (intptr_t) log_cb, NULL };
  ops[n++] = (struct MHD_OptionItem) { MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024, NULL };
  ops[n++] = (struct MHD_OptionItem) { MHD_OPTION_END, 0, NULL };
  g_assert (n <= G_N_ELEMENTS (ops));
  (void) sa_len;

  self->daemon = MHD_start_daemon (flags, port, NULL, NULL, access_cb, self,
                                   MHD_OPTION_ARRAY, ops, MHD_OPTION_END);
  if (self->daemon == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                   "Could not listen on %s port %u: the address may be in use, or not one of this machine's.",
                   address, port);
      return FALSE;
    }

  info = MHD_get_daemon_info (self->daemon, MHD_DAEMON_INFO_BIND_PORT);
  self->port = info ? info->port : port;
  return TRUE;

bad_address:
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
               "“%s” is not an IP address; use for example 127.0.0.1 or ::1.", address);
  return FALSE;
}

guint16
cd_http_get_port (CdHttp *self)
{
  return self->port;
}

void
cd_http_stop (CdHttp *self)
{
  if (self->daemon)
    {
      MHD_stop_daemon (self->daemon);
      self->daemon = NULL;
    }
}

void
cd_http_free (CdHttp *self)
{
  if (self == NULL)
    return;

  cd_http_stop (self);
  g_free (self->tls_cert);
  g_free (self->tls_key);
  g_free (self);
}

const char *
cd_http_request_header (CdHttpRequest *request,
                        const char    *name)
{
  return MHD_lookup_connection_value (request->connection, MHD_HEADER_KIND, name);
}

const char *
cd_http_request_query (CdHttpRequest *request,
                       const char    *name)
{
  return MHD_lookup_connection_value (request->connection, MHD_GET_ARGUMENT_KIND, name);
}

void
cd_http_response_set_json (CdHttpResponse *response,
                           guint           status,
                           char           *json_take,
                           gsize           length)
{
  response->status = status;
  g_free (response->content_type);
  response->content_type = g_strdup ("application/json");
  g_clear_pointer (&response->body, g_bytes_unref);
  response->body = g_bytes_new_take (json_take, length);
}

void
cd_http_response_set_text (CdHttpResponse *response,
                           guint           status,
                           const char     *content_type,
                           const char     *text)
{
  response->status = status;
  g_free (response->content_type);
  response->content_type = g_strdup (content_type);
  g_clear_pointer (&response->body, g_bytes_unref);
  response->body = g_bytes_new (text, strlen (text));
}

void
cd_http_response_add_header (CdHttpResponse *response,
                             const char     *name,
                             const char     *value)
{
  if (response->headers == NULL)
    response->headers = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (response->headers, g_strdup (name));
  g_ptr_array_add (response->headers, g_strdup (value));
}

void
cd_http_stream_suspend (gpointer connection)
{
  MHD_suspend_connection (connection);
}

void
cd_http_stream_wake (gpointer connection)
{
  MHD_resume_connection (connection);
}
