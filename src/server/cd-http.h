/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-http.h: a small HTTP/1.1 front on GNU libmicrohttpd.
 *
 * It owns the daemon (a thread pool on epoll), reads request bodies up to a
 * limit, answers 413 beyond it without buffering the rest, and hands each
 * complete request to one handler, on a pool thread. Handlers fill a
 * CdHttpResponse; streaming responses (server-sent events) use a reader.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct _CdHttp CdHttp;

typedef struct
{
  const char *method;
  const char *path;
  const char *client;      /* peer address, for throttling and logs */
  const guint8 *body;
  gsize body_length;
  gpointer connection;     /* struct MHD_Connection *, for headers and args */
} CdHttpRequest;

/* A streaming body: called on a pool thread, returns bytes written into
 * @buf, or -1 to end the stream. When nothing is ready it calls
 * cd_http_stream_suspend() on its connection (under the lock that its
 * writer takes before cd_http_stream_wake(), so no wake-up is lost) and
 * returns 0. */
typedef gssize (*CdHttpStreamRead) (gpointer stream,
                                    char    *buf,
                                    gsize    max);

typedef struct
{
  guint             status;
  char             *content_type;
  GBytes           *body;
  GPtrArray        *headers;       /* name, value, name, value… */
  CdHttpStreamRead  stream_read;
  gpointer          stream;
  GDestroyNotify    stream_free;
} CdHttpResponse;

typedef void (*CdHttpHandler) (CdHttpRequest  *request,
                               CdHttpResponse *response,
                               gpointer        user_data);

typedef struct
{
  guint  threads;          /* pool size */
  gsize  max_body;         /* bytes; larger bodies get 413 */
  guint  connection_timeout; /* seconds of silence before a client is dropped */
  guint  max_connections;
  guint  max_per_ip;
  const char *tls_cert_pem; /* both set: HTTPS */
  const char *tls_key_pem;
} CdHttpOptions;

CdHttp     *cd_http_new            (const CdHttpOptions *options,
                                    CdHttpHandler        handler,
                                    gpointer             user_data);
gboolean    cd_http_listen         (CdHttp              *self,
                                    const char          *address,
                                    guint16              port,
                                    GError             **error);
guint16     cd_http_get_port       (CdHttp              *self);
void        cd_http_stop           (CdHttp              *self);
void        cd_http_free           (CdHttp              *self);

const char *cd_http_request_header (CdHttpRequest       *request,
                                    const char          *name);
const char *cd_http_request_query  (CdHttpRequest       *request,
                                    const char          *name);

void        cd_http_response_set_json   (CdHttpResponse *response,
                                         guint           status,
                                         char           *json_take,
                                         gsize           length);
void        cd_http_response_set_text   (CdHttpResponse *response,
                                         guint           status,
                                         const char     *content_type,
                                         const char     *text);
void        cd_http_response_add_header (CdHttpResponse *response,
                                         const char     *name,
                                         const char     *value);

void        cd_http_stream_suspend (gpointer             connection);
/* Resumes a stream's suspended connection; safe from any thread. */
void        cd_http_stream_wake    (gpointer             connection);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CdHttp, cd_http_free)

G_END_DECLS
