/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-test-server.h: starts the real crewdesk-server binary on 127.0.0.1
 * with a fresh SQLite file, and talks to it over real HTTP. */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef struct
{
  GSubprocess *process;
  char        *dir;      /* temporary: database, logs, port file */
  char        *db_path;
  char        *log_path;
  guint16      port;
  char        *base_url;
} CdTestServer;

typedef struct
{
  guint     status;
  JsonNode *json;        /* NULL when the body is not JSON */
  char     *body;
  char     *content_type;
  char     *retry_after;
} CdTestReply;

/* Extra lines for the [server]/[login] key file, may be NULL. */
CdTestServer *cd_test_server_start        (const char   *config_text,
                                           gboolean      demo);
/* Starts again on the same database (after a crash or a stop). */
void          cd_test_server_restart      (CdTestServer *server);
void          cd_test_server_kill         (CdTestServer *server,
                                           int           signum);
void          cd_test_server_free         (CdTestServer *server);
/* Creates a user directly in the database, through the binary's own
 * --add-user option, so tests need no admin session. */
void          cd_test_server_add_user     (CdTestServer *server,
                                           const char   *username,
                                           const char   *role,
                                           const char   *crew_id,
                                           const char   *password);

CdTestReply  *cd_test_request             (CdTestServer *server,
                                           const char   *method,
                                           const char   *path,
                                           const char   *token,
                                           const char   *body);
CdTestReply  *cd_test_request_raw         (CdTestServer *server,
                                           const char   *method,
                                           const char   *path,
                                           const char   *token,
                                           const char   *content_type,
                                           const char   *body,
                                           gssize        length);
char         *cd_test_login               (CdTestServer *server,
                                           const char   *username,
                                           const char   *password);
void          cd_test_reply_free          (CdTestReply  *reply);
const char   *cd_test_reply_error_code    (CdTestReply  *reply);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CdTestServer, cd_test_server_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CdTestReply, cd_test_reply_free)

G_END_DECLS
