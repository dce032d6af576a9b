/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-sync-types.c: the sync engine's error domain and status texts. */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "cd-sync-types.h"

G_DEFINE_QUARK (cd-sync-error-quark, cd_sync_error)

G_DEFINE_ENUM_TYPE (CdSyncStatus, cd_sync_status,
  G_DEFINE_ENUM_VALUE (CD_SYNC_STATUS_OFFLINE, "offline"),
  G_DEFINE_ENUM_VALUE (CD_SYNC_STATUS_CONNECTING, "connecting"),
  G_DEFINE_ENUM_VALUE (CD_SYNC_STATUS_ONLINE, "online"))

/* A short label for the status, for a header bar. */
const char *
cd_sync_status_to_string (CdSyncStatus status)
{
  switch (status)
    {
    case CD_SYNC_STATUS_OFFLINE:
      return _("Offline");
    case CD_SYNC_STATUS_CONNECTING:
      return _("Connecting…");
    case CD_SYNC_STATUS_ONLINE:
      return _("Online");
    default:
      g_return_val_if_reached (NULL);
    }
}
