/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-events.h: the live event stream (server-sent events).
 *
 * Events carry no rows: "rev N is available" pokes (the client pulls
 * /changes), crew positions, and a heartbeat so clients can tell a quiet
 * stream from a dead one. A subscriber that falls too far behind is cut
 * off; it reconnects and pulls, losing nothing. */
#pragma once

#include "cd-http.h"

G_BEGIN_DECLS

typedef struct _CdEvents CdEvents;

CdEvents *cd_events_new             (guint        heartbeat_seconds,
                                     gsize        max_backlog);
void      cd_events_free            (CdEvents    *self);
/* Ends every stream and resumes its connection: call before the HTTP
 * daemon stops (libmicrohttpd must not stop with suspended connections). */
void      cd_events_close_all       (CdEvents    *self);

/* Turns @response into an event stream for @connection. */
void      cd_events_subscribe       (CdEvents       *self,
                                     gpointer        connection,
                                     CdHttpResponse *response,
                                     gint64          current_rev);
void      cd_events_publish_rev     (CdEvents    *self,
                                     gint64       rev);
/* @json: the event's data, one line of JSON. */
void      cd_events_publish         (CdEvents    *self,
                                     const char  *event,
                                     const char  *json);
guint     cd_events_get_subscribers (CdEvents    *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CdEvents, cd_events_free)

G_END_DECLS
