/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-sync-types.h: the sync engine's error domain and status. */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define CD_SYNC_ERROR (cd_sync_error_quark ())

typedef enum {
  CD_SYNC_ERROR_FAILED,          /* anything not listed below */
  CD_SYNC_ERROR_NETWORK,         /* the server cannot be reached, or the connection broke */
  CD_SYNC_ERROR_UNAUTHORIZED,    /* no session, or it expired: sign in again */
  CD_SYNC_ERROR_BAD_CREDENTIALS, /* wrong user name or password */
  CD_SYNC_ERROR_THROTTLED,       /* too many attempts */
  CD_SYNC_ERROR_SERVER,          /* the server answered with an error */
  CD_SYNC_ERROR_MALFORMED,       /* the server's reply is not what the protocol says */
  CD_SYNC_ERROR_NOT_SIGNED_IN,   /* the cache knows no user to act as */
} CdSyncError;

GQuark cd_sync_error_quark (void);

/* What the UI shows: online, connecting, or offline since a time. */
typedef enum {
  CD_SYNC_STATUS_OFFLINE,
  CD_SYNC_STATUS_CONNECTING,
  CD_SYNC_STATUS_ONLINE,
} CdSyncStatus;

#define CD_TYPE_SYNC_STATUS (cd_sync_status_get_type ())
GType       cd_sync_status_get_type  (void) G_GNUC_CONST;
const char *cd_sync_status_to_string (CdSyncStatus status);

G_END_DECLS
