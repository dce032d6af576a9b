/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-server.h: crewdesk-server, the API v1 over one SQLite store. */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define CD_SERVER_ERROR (cd_server_error_quark ())

typedef enum {
  CD_SERVER_ERROR_CONFIG,
  CD_SERVER_ERROR_LISTEN,
} CdServerError;

GQuark cd_server_error_quark (void);

typedef struct
{
  char    *db_path;
  char    *listen_address;    /* "127.0.0.1" */
  guint16  port;              /* 0: any free port */
  guint    threads;
  gsize    max_body;          /* bytes */
  gint64   token_lifetime;    /* seconds */
  guint    token_cache;       /* sessions kept in memory */
  guint    login_max_failures;
  gint64   login_window;      /* seconds */
  guint    heartbeat_seconds; /* event stream */
  guint    changes_max_limit;
  char    *tls_cert_file;
  char    *tls_key_file;
  char    *policy_file;       /* NULL: the installed sla-policy.json */
  guint    batch_interval;    /* seconds between batch optimizations, 0: never */
  guint    escalation_interval; /* seconds between time-limit scans */
  gint64   trail_window;      /* seconds of position history per crew */
  guint    trail_points;      /* and at most this many points */
  char    *service_areas;     /* "demo", a JSON file, or NULL (with demo: "demo") */
  double   duplicate_radius_m;
  gint64   duplicate_window;  /* seconds */
  gboolean demo;
} CdServerConfig;

void     cd_server_config_init       (CdServerConfig  *config);
gboolean cd_server_config_load       (CdServerConfig  *config,
                                      const char      *key_file,
                                      GError         **error);
void     cd_server_config_clear      (CdServerConfig  *config);

#define CD_TYPE_SERVER (cd_server_get_type ())
G_DECLARE_FINAL_TYPE (CdServer, cd_server, CD, SERVER, GObject)

CdServer *cd_server_new          (const CdServerConfig  *config,
                                  GError               **error);
gboolean  cd_server_start        (CdServer              *self,
                                  GError               **error);
guint16   cd_server_get_port     (CdServer              *self);
void      cd_server_stop         (CdServer              *self);
gboolean  cd_server_add_user     (CdServer              *self,
                                  const char            *username,
                                  const char            *display_name,
                                  gint                   role,
                                  const char            *crew_id,
                                  const char            *password,
                                  GError               **error);

/* cd-demo.c: seeds the fictional demo city (districts, crews, tickets in
 * every state, callbacks, one user per role with the password "demo"). */
gboolean  cd_server_seed_demo    (CdServer              *self,
                                  GError               **error);

G_END_DECLS
