/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-test-proxy.h: a TCP forwarder on 127.0.0.1:0 between a sync client
 * and the real server, that misbehaves on request: it cuts every
 * connection, delays and splits bytes, truncates a stream after N bytes,
 * or stalls (keeps the connections open and forwards nothing, as a
 * half-open connection does). Each connection is two plain threads, so
 * the proxy runs whatever the test's main loop is doing. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef enum {
  CD_TEST_PROXY_UP,   /* client to server: requests */
  CD_TEST_PROXY_DOWN, /* server to client: replies, the event stream */
} CdTestProxyDirection;

typedef struct _CdTestProxy CdTestProxy;

CdTestProxy *cd_test_proxy_new             (guint16               target_port);
void         cd_test_proxy_free            (CdTestProxy          *self);
/* "http://127.0.0.1:PORT", stable for the proxy's life. */
const char  *cd_test_proxy_get_url         (CdTestProxy          *self);
/* New connections go to @port (the server restarted elsewhere). */
void         cd_test_proxy_set_target      (CdTestProxy          *self,
                                            guint16               port);
/* Closes every open connection now. */
void         cd_test_proxy_cut             (CdTestProxy          *self);
/* Forwards at most @chunk_bytes at a time (0: no limit) and waits
 * @delay_ms before each piece. */
void         cd_test_proxy_set_delay       (CdTestProxy          *self,
                                            guint                 delay_ms,
                                            gsize                 chunk_bytes);
/* Once: after @after_bytes more bytes in @direction (on any connection),
 * the connection carrying the next byte is closed. */
void         cd_test_proxy_truncate        (CdTestProxy          *self,
                                            CdTestProxyDirection  direction,
                                            guint64               after_bytes);
/* Disarms both directions. */
void         cd_test_proxy_clear_truncation (CdTestProxy         *self);
/* TRUE once the armed truncation closed a connection. */
gboolean     cd_test_proxy_truncated       (CdTestProxy          *self);
/* Stalled: nothing is forwarded and nothing is closed. */
void         cd_test_proxy_set_stalled     (CdTestProxy          *self,
                                            gboolean              stalled);
guint        cd_test_proxy_get_n_accepted  (CdTestProxy          *self);
guint        cd_test_proxy_get_n_open      (CdTestProxy          *self);
guint64      cd_test_proxy_get_bytes       (CdTestProxy          *self,
                                            CdTestProxyDirection  direction);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CdTestProxy, cd_test_proxy_free)

G_END_DECLS
