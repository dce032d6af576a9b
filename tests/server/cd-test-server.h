/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-test-server.h: starts the real crewdesk-server binary on 127.0.0.1
 * with a fresh SQLite file, and talks to it over real HTTP. */
#pragma once

#include <gio/gio.h>
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
  guint       status;
  JsonNode   *json;        /* NULL when the body is not JSON */
  char       *body;
  char       *content_type;
  char       *retry_after;
  GHashTable *headers;     /* lower-case name -> value (the last one) */
} CdTestReply;

/* g_test_init() with --keep-going added: a test that finds a server bug
 * reports it with g_test_fail() and the tests after it still run (meson
 * passes only --tap, and GLib bails out at the first failure without -k). */
void          cd_test_init                (int          *argc,
                                           char       ***argv);

/* Extra lines for the [server]/[login] key file, may be NULL. */
CdTestServer *cd_test_server_start        (const char   *config_text,
                                           gboolean      demo);
/* Like cd_test_server_start() but does not start the binary yet, so a
 * test can fill the database first; then cd_test_server_launch(). */
CdTestServer *cd_test_server_new          (const char   *config_text);
void          cd_test_server_launch       (CdTestServer *server);
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
/* cd_test_server_add_user() with the password "pw-" USERNAME "-secret",
 * then a login; returns the token. */
char         *cd_test_add_and_login       (CdTestServer *server,
                                           const char   *username,
                                           const char   *role,
                                           const char   *crew_id);
char         *cd_test_password_for        (const char   *username);

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
/* The general form. @headers: name, value, name, value…, NULL (may be
 * NULL); they replace what the other arguments set. @chunked sends the
 * body with Transfer-Encoding: chunked. Returns NULL with @error set when
 * the transport failed (the server is gone), where the others assert. */
CdTestReply  *cd_test_request_full        (CdTestServer       *server,
                                           const char         *method,
                                           const char         *path,
                                           const char         *token,
                                           const char * const *headers,
                                           const char         *content_type,
                                           const char         *body,
                                           gssize              length,
                                           gboolean            chunked,
                                           GError            **error);
char         *cd_test_login               (CdTestServer *server,
                                           const char   *username,
                                           const char   *password);
void          cd_test_reply_free          (CdTestReply  *reply);
const char   *cd_test_reply_error_code    (CdTestReply  *reply);
const char   *cd_test_reply_header        (CdTestReply  *reply,
                                           const char   *name);
JsonObject   *cd_test_reply_object        (CdTestReply  *reply);

/* Prometheus text from /metrics (a token of a role that may read it):
 * the value of the sample @name, or -1 when it is missing. */
gint64        cd_test_metric              (CdTestServer *server,
                                           const char   *token,
                                           const char   *name);

/* Mutations ----------------------------------------------------------- */

/* One mutation as JSON text. @id and @target: NULL for a new random UUID;
 * @expected_version < 0: none; @args_json: an object's text, or NULL. */
char         *cd_test_mutation            (const char   *id,
                                           const char   *op,
                                           const char   *target,
                                           gint64        expected_version,
                                           const char   *args_json);
/* The args of a valid ticket.create; @extra: more members ("\"skills\":[…]"),
 * or NULL. */
char         *cd_test_ticket_args         (const char   *utility,
                                           const char   *category,
                                           const char   *extra);
/* POSTs {"mutations":[…]} with the NULL-terminated list. */
CdTestReply  *cd_test_send_mutations      (CdTestServer       *server,
                                           const char         *token,
                                           const char * const *mutations);
CdTestReply  *cd_test_send_mutation       (CdTestServer *server,
                                           const char   *token,
                                           const char   *mutation);
/* results[@index] of a 200 reply; asserts it is there. */
JsonObject   *cd_test_result              (CdTestReply  *reply,
                                           guint         index);
const char   *cd_test_result_status       (JsonObject   *result);
/* error.code of a result, or NULL. */
const char   *cd_test_result_error_code   (JsonObject   *result);
/* The record of @kind among an applied result's records, or NULL. */
JsonObject   *cd_test_result_record       (JsonObject   *result,
                                           const char   *kind);
/* Creates a ticket through ticket.create and asserts it applied; returns
 * its id. */
char         *cd_test_create_ticket       (CdTestServer *server,
                                           const char   *token,
                                           const char   *utility,
                                           const char   *category,
                                           const char   *extra);

/* Raw sockets --------------------------------------------------------- */

/* A plain TCP connection to the server, for clients libsoup will not
 * play: slow ones, vanishing ones, hand-made requests. */
GSocketConnection *cd_test_raw_connect    (CdTestServer      *server);
/* FALSE with @error set when the peer is gone. */
gboolean      cd_test_raw_write           (GSocketConnection *connection,
                                           const char        *data,
                                           gssize             length,
                                           GError           **error);
/* Reads what arrives until the peer closes, a complete response with a
 * Content-Length is in, or @timeout_s seconds pass. Returns the bytes
 * read, possibly empty, never NULL. */
char         *cd_test_raw_read            (GSocketConnection *connection,
                                           guint              timeout_s);

/* Streams (server-sent events) --------------------------------------- */

typedef struct _CdTestStream CdTestStream;

/* Sends GET @path over its own connection and reads the status line and
 * the headers (asserting they come within 20 s). */
CdTestStream *cd_test_stream_open         (CdTestServer *server,
                                           const char   *path,
                                           const char   *token);
guint         cd_test_stream_get_status   (CdTestStream *stream);
const char   *cd_test_stream_get_header   (CdTestStream *stream,
                                           const char   *name);
/* The next event (its "event:" name, "message" when none, and its data
 * lines joined by "\n"). FALSE when the stream ended or nothing came
 * within @timeout_s seconds. */
gboolean      cd_test_stream_next_event   (CdTestStream *stream,
                                           guint         timeout_s,
                                           char        **event,
                                           char        **data);
/* Like cd_test_stream_next_event() but skips events of other names. */
char         *cd_test_stream_wait_event   (CdTestStream *stream,
                                           const char   *event,
                                           guint         timeout_s);
/* Closes the connection at once, as a client that vanishes. */
void          cd_test_stream_free         (CdTestStream *stream);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CdTestServer, cd_test_server_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CdTestReply, cd_test_reply_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CdTestStream, cd_test_stream_free)

/* Store helpers ------------------------------------------------------- *
 * For test programs that include cd-model.h and cd-store.h first (they
 * link the core; the harness library does not). The server must be
 * stopped (or not launched yet) while they write. */
#if defined (CD_TYPE_STORE) && defined (CD_TYPE_CREW)

/* Saves a crew that can take tickets of @utility needing @skills now: on
 * shift from an hour ago for twelve hours, available, capacity
 * @capacity, with a reported position. Returns its id. */
static inline char *
cd_test_store_add_crew (CdTestServer       *server,
                        const char         *name,
                        CdUtility           utility,
                        const char * const *skills,
                        gint64              capacity,
                        double              lat,
                        double              lon)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CdStore) store = NULL;
  g_autoptr(CdCrew) crew = cd_crew_new ();
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  char *id = g_uuid_string_random ();
  gint64 rev;

  g_assert_null (server->process);
  store = cd_store_open (server->db_path, &error);
  g_assert_no_error (error);
  g_assert_true (cd_store_begin (store, &error));
  rev = cd_store_next_rev (store, &error);
  g_assert_no_error (error);
  g_assert_cmpint (rev, >, 0);

  CD_RECORD (crew)->id = g_strdup (id);
  CD_RECORD (crew)->version = 1;
  CD_RECORD (crew)->rev = rev;
  crew->name = g_strdup (name);
  crew->utility = utility;
  crew->status = CD_CREW_STATUS_AVAILABLE;
  crew->skills = g_strdupv ((char **) skills);
  crew->capacity = capacity;
  crew->shift_start = now - 3600;
  crew->shift_end = now + 12 * 3600;
  crew->updated_at = now;
  g_assert_true (cd_store_save (store, CD_RECORD (crew), &error));
  g_assert_no_error (error);
  g_assert_true (cd_store_set_crew_position (store, id, lat, lon, 0, 0, now, &error));
  g_assert_no_error (error);
  g_assert_true (cd_store_commit (store, &error));
  g_assert_no_error (error);

  return id;
}

#endif

G_END_DECLS
