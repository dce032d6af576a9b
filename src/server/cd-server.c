/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-server.c: routing, authentication, roles and the API v1 handlers.
 *
 * Threads: libmicrohttpd calls handle_request() on its pool threads. Reads
 * take a connection from a small pool of read-only CdStores (WAL lets them
 * run beside the writer); every write goes through the one writer store
 * under write_lock, so revisions are handed out in commit order.
 */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "cd-areas.h"
#include "cd-auth.h"
#include "cd-http.h"
#include "cd-model.h"
#include "cd-server.h"
#include "cd-server-private.h"
#include "cd-sla-clock.h"
#include "cd-store.h"

G_DEFINE_QUARK (cd-server-error-quark, cd_server_error)

G_DEFINE_FINAL_TYPE (CdServer, cd_server, G_TYPE_OBJECT)

/* A token cache entry is read from the store again after a minute, so a
 * change made by another process (--add-user) shows by then. Changes
 * made through this server show at once. */
#define TOKEN_CACHE_REVALIDATE 60

/* Role sets for the route table. */
#define R(role)      (1u << (role))
#define ROLES_STAFF  (R (CD_ROLE_DISPATCHER) | R (CD_ROLE_SUPERVISOR) | R (CD_ROLE_CALLBACK_AGENT) | \
                      R (CD_ROLE_MANAGER) | R (CD_ROLE_ADMIN))
#define ROLES_ANY    (ROLES_STAFF | R (CD_ROLE_CREW_DEVICE))
#define ROLES_INTAKE (R (CD_ROLE_DISPATCHER) | R (CD_ROLE_SUPERVISOR))
#define ROLES_TRAIL  (R (CD_ROLE_DISPATCHER) | R (CD_ROLE_SUPERVISOR) | R (CD_ROLE_MANAGER) | R (CD_ROLE_ADMIN))
#define ROLES_PUBLIC 0

typedef void (*RouteHandler) (CdServer       *self,
                              CdRequest      *req);

typedef struct
{
  const char   *method;
  const char   *pattern;   /* "{}" matches one path segment */
  guint         roles;     /* 0: no token needed */
  RouteHandler  handler;
} Route;

static void handle_login    (CdServer *self, CdRequest *req);
static void handle_logout   (CdServer *self, CdRequest *req);
static void handle_me       (CdServer *self, CdRequest *req);
static void handle_health   (CdServer *self, CdRequest *req);
static void handle_metrics  (CdServer *self, CdRequest *req);
static void handle_changes  (CdServer *self, CdRequest *req);
static void handle_snapshot (CdServer *self, CdRequest *req);

/* The permission matrix of docs/PROTOCOL.md: one line per endpoint. Finer
 * rules (which mutation a role may send, a crew device's own crew) are
 * checked by the handlers. */
static const Route routes[] = {
  { "POST", "/api/v1/login", ROLES_PUBLIC, handle_login },
  { "POST", "/api/v1/logout", ROLES_ANY, handle_logout },
  { "GET", "/api/v1/me", ROLES_ANY, handle_me },
  { "GET", "/api/v1/health", ROLES_PUBLIC, handle_health },
  { "GET", "/metrics", R (CD_ROLE_ADMIN) | R (CD_ROLE_MANAGER), handle_metrics },
  { "GET", "/api/v1/changes", ROLES_STAFF, handle_changes },
  { "GET", "/api/v1/snapshot", ROLES_STAFF, handle_snapshot },
  { "GET", "/api/v1/events", ROLES_STAFF, cd_server_handle_events },
  { "POST", "/api/v1/mutations", ROLES_ANY, cd_server_handle_mutations },
  { "POST", "/api/v1/crews/{}/position", R (CD_ROLE_CREW_DEVICE), cd_server_handle_position },
  { "GET", "/api/v1/crews/{}/tickets", ROLES_ANY, cd_server_handle_crew_tickets },
  { "GET", "/api/v1/crews/{}/trail", ROLES_TRAIL, cd_server_handle_crew_trail },
  { "GET", "/api/v1/positions", ROLES_STAFF, cd_server_handle_positions },
  { "POST", "/api/v1/tickets", ROLES_INTAKE, cd_server_handle_intake },
};

/* Logging ----------------------------------------------------------------- */

/* One line per event, key=value, for journald and grep. Values that come
 * from clients are quoted and never include secrets. */
void
cd_server_log (const char *level,
               const char *event,
               const char *format,
               ...)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *ts = g_date_time_format (now, "%Y-%m-%dT%H:%M:%S.%fZ");
  g_autofree char *rest = NULL;
  va_list args;

  va_start (args, format);
  rest = format ? g_strdup_vprintf (format, args) : NULL;
  va_end (args);

  g_printerr ("ts=%s level=%s event=%s%s%s\n", ts, level, event, rest ? " " : "", rest ? rest : "");
}

/* Replies ----------------------------------------------------------------- */

void
cd_request_reply_json (CdRequest *req,
                       guint      status,
                       JsonNode  *node)
{
  gsize length = 0;
  char *json = cd_json_to_string (node, &length);

  cd_http_response_set_json (req->response, status, json, length);
}

void
cd_request_reply_error (CdRequest  *req,
                        guint       status,
                        const char *code,
                        const char *message)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) node = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "error");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "code");
  json_builder_add_string_value (b, code);
  json_builder_set_member_name (b, "message");
  json_builder_add_string_value (b, message);
  json_builder_end_object (b);
  json_builder_end_object (b);
  node = json_builder_get_root (b);

  cd_request_reply_json (req, status, node);
}

static const char *
codec_error_code (gint code)
{
  switch ((CdCodecError) code)
    {
    case CD_CODEC_ERROR_MALFORMED: return "malformed";
    case CD_CODEC_ERROR_TOO_LARGE: return "too-large";
    case CD_CODEC_ERROR_TOO_DEEP: return "too-deep";
    case CD_CODEC_ERROR_WRONG_TYPE: return "wrong-type";
    case CD_CODEC_ERROR_MISSING_FIELD: return "missing-field";
    case CD_CODEC_ERROR_UNKNOWN_FIELD: return "unknown-field";
    case CD_CODEC_ERROR_BAD_ENUM: return "bad-enum";
    case CD_CODEC_ERROR_OUT_OF_RANGE: return "out-of-range";
    case CD_CODEC_ERROR_TOO_LONG: return "too-long";
    case CD_CODEC_ERROR_BAD_VALUE: return "bad-value";
    default: return "invalid";
    }
}

/* Maps a GError from the core to an HTTP status and a stable code. */
void
cd_request_reply_gerror (CdRequest    *req,
                         const GError *error)
{
  if (error->domain == CD_CODEC_ERROR)
    {
      cd_request_reply_error (req, error->code == CD_CODEC_ERROR_TOO_LARGE ? 413 : 400,
                              codec_error_code (error->code), error->message);
      return;
    }

  if (error->domain == CD_STORE_ERROR)
    {
      switch ((CdStoreError) error->code)
        {
        case CD_STORE_ERROR_NOT_FOUND:
          cd_request_reply_error (req, 404, "not-found", error->message);
          return;
        case CD_STORE_ERROR_FULL:
          cd_request_reply_error (req, 507, "storage-full",
                                  _("The server's disk is full; nothing was written. Try again after the administrator frees space."));
          return;
        case CD_STORE_ERROR_BUSY:
          cd_request_reply_error (req, 503, "busy", _("The server is busy; try again in a moment."));
          return;
        case CD_STORE_ERROR_FAILED:
        case CD_STORE_ERROR_NOT_A_DATABASE:
        case CD_STORE_ERROR_CORRUPT:
        case CD_STORE_ERROR_NEWER_SCHEMA:
        case CD_STORE_ERROR_FOREIGN:
        case CD_STORE_ERROR_CONSTRAINT:
        case CD_STORE_ERROR_IO:
        case CD_STORE_ERROR_ABORTED:
        case CD_STORE_ERROR_INVALID:
        default:
          break;
        }
    }

  cd_server_log ("error", "internal", "message=\"%s\"", error->message);
  cd_request_reply_error (req, 500, "internal", _("The server failed to handle the request; it has been logged."));
}

/* Request bodies ---------------------------------------------------------- */

JsonNode *
cd_request_parse_body (CdRequest *req)
{
  g_autoptr(GError) error = NULL;
  JsonNode *node;
  const char *type = cd_http_request_header (req->http, "Content-Type");

  if (type == NULL || !g_str_has_prefix (type, "application/json"))
    {
      cd_request_reply_error (req, 415, "unsupported-media-type",
                              _("Send the request body as JSON, with Content-Type: application/json."));
      return NULL;
    }

  node = cd_json_parse ((const char *) req->http->body, req->http->body_length,
                        CD_JSON_MAX_BYTES, CD_JSON_MAX_DEPTH, &error);
  if (node == NULL)
    {
      cd_request_reply_gerror (req, error);
      return NULL;
    }

  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      cd_request_reply_error (req, 400, "wrong-type", _("The request body must be a JSON object."));
      json_node_unref (node);
      return NULL;
    }

  return node;
}

/* Reads a string member; replies with an error and returns NULL when it is
 * missing or not a string. */
const char *
cd_request_require_string (CdRequest  *req,
                           JsonObject *object,
                           const char *member,
                           gsize       max_length)
{
  JsonNode *node = json_object_get_member (object, member);
  g_autofree char *message = NULL;

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    {
      message = g_strdup_printf (_("Field “%s” is required."), member);
      cd_request_reply_error (req, 400, "missing-field", message);
      return NULL;
    }
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    {
      message = g_strdup_printf (_("Field “%s” must be a string."), member);
      cd_request_reply_error (req, 400, "wrong-type", message);
      return NULL;
    }
  if (strlen (json_node_get_string (node)) > max_length)
    {
      message = g_strdup_printf (_("Field “%s” is longer than %llu bytes."), member,
                                 (unsigned long long) max_length);
      cd_request_reply_error (req, 400, "too-long", message);
      return NULL;
    }

  return json_node_get_string (node);
}

gboolean
cd_request_reject_unknown (CdRequest          *req,
                           JsonObject         *object,
                           const char * const *known)
{
  JsonObjectIter iter;
  const char *name;
  JsonNode *member;

  json_object_iter_init (&iter, object);
  while (json_object_iter_next (&iter, &name, &member))
    {
      if (!g_strv_contains (known, name))
        {
          g_autofree char *message = g_strdup_printf (_("Field “%.64s” is not part of this request."), name);

          cd_request_reply_error (req, 400, "unknown-field", message);
          return FALSE;
        }
    }

  return TRUE;
}

/* Stores ------------------------------------------------------------------ */

CdStore *
cd_server_acquire_reader (CdServer  *self,
                          GError   **error)
{
  CdStore *store = g_async_queue_try_pop (self->readers);

  if (store == NULL)
    store = cd_store_open (self->config.db_path, error);

  return store;
}

void
cd_server_release_reader (CdServer *self,
                          CdStore  *store)
{
  if (store != NULL)
    g_async_queue_push (self->readers, store);
}

CdStore *
cd_server_lock_writer (CdServer *self)
{
  g_mutex_lock (&self->write_lock);
  return self->writer;
}

/* Users whose sessions must be read again: called with the writer locked,
 * by code that changed a user; the cache forgets them when the change is
 * committed (cd_server_unlock_writer()). */
void
cd_server_user_changed (CdServer   *self,
                        const char *user_id)
{
  g_ptr_array_add (self->changed_users, g_strdup (user_id));
}

guint64
cd_server_unlock_writer (CdServer *self)
{
  guint64 written = ++self->write_seq;

  for (guint i = 0; i < self->changed_users->len; i++)
    cd_token_cache_remove_user (self->tokens, g_ptr_array_index (self->changed_users, i));
  g_ptr_array_set_size (self->changed_users, 0);

  g_mutex_lock (&self->sync_lock);
  self->written_seq = written;
  g_mutex_unlock (&self->sync_lock);
  g_mutex_unlock (&self->write_lock);

  return written;
}

gboolean
cd_server_sync (CdServer  *self,
                guint64    written,
                GError   **error)
{
  g_autoptr(GError) local_error = NULL;
  gboolean ok = TRUE;

  g_mutex_lock (&self->sync_lock);
  while (ok && self->synced_seq < written)
    {
      guint64 target;

      /* A sync under way may have started before our write: wait for it,
       * then sync again for everything written by then. */
      if (self->syncing)
        {
          g_cond_wait (&self->sync_cond, &self->sync_lock);
          continue;
        }

      self->syncing = TRUE;
      target = self->written_seq;
      g_mutex_unlock (&self->sync_lock);

      ok = cd_store_sync_wal (self->writer, &local_error);

      g_mutex_lock (&self->sync_lock);
      self->syncing = FALSE;
      if (ok)
        self->synced_seq = MAX (self->synced_seq, target);
      g_cond_broadcast (&self->sync_cond);
    }
  g_mutex_unlock (&self->sync_lock);

  if (!ok)
    {
      cd_server_log ("error", "sync", "message=\"%s\"", local_error->message);
      g_propagate_error (error, g_steal_pointer (&local_error));
    }
  return ok;
}

/* Authentication ---------------------------------------------------------- */

static const char *
bearer_token (CdRequest *req)
{
  const char *auth = cd_http_request_header (req->http, "Authorization");

  if (auth == NULL || g_ascii_strncasecmp (auth, "Bearer ", 7) != 0)
    return NULL;

  auth += 7;
  while (*auth == ' ')
    auth++;

  return *auth ? auth : NULL;
}

/* Looks up the session; replies 401 and returns FALSE when there is none. */
static gboolean
authenticate (CdServer  *self,
              CdRequest *req)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *digest = NULL;
  g_autofree char *user_id = NULL;
  const char *token = bearer_token (req);
  gint64 now = cd_server_now (self);
  CdStore *store;

  if (token == NULL || strlen (token) > 128)
    {
      cd_http_response_add_header (req->response, "WWW-Authenticate", "Bearer");
      cd_request_reply_error (req, 401, "unauthenticated",
                              _("Log in first: this request needs an Authorization: Bearer token."));
      return FALSE;
    }

  digest = cd_auth_token_digest (token);
  req->user = cd_token_cache_lookup (self->tokens, digest, now, &req->token_expires_at);
  if (req->user == NULL)
    {
      /* Taken before the read: a logout or a change of the user meanwhile
       * keeps what is read here out of the cache. */
      guint64 generation = cd_token_cache_generation (self->tokens);

      store = cd_server_acquire_reader (self, &error);
      if (store != NULL)
        {
          user_id = cd_store_lookup_session (store, digest, now, &req->token_expires_at, &error);
          if (user_id != NULL)
            req->user = cd_store_load (store, CD_TYPE_USER, user_id, &error);
        }
      cd_server_release_reader (self, store);

      if (req->user != NULL && req->user->active)
        cd_token_cache_insert (self->tokens, digest, user_id, req->user, req->token_expires_at, now, generation);
    }

  if (error != NULL && !g_error_matches (error, CD_STORE_ERROR, CD_STORE_ERROR_NOT_FOUND))
    {
      cd_request_reply_gerror (req, error);
      return FALSE;
    }

  if (req->user == NULL || !req->user->active)
    {
      g_clear_object (&req->user);
      cd_http_response_add_header (req->response, "WWW-Authenticate", "Bearer error=\"invalid_token\"");
      cd_request_reply_error (req, 401, "token-expired",
                              _("Your session has expired or was ended. Log in again; changes you have not sent are kept."));
      return FALSE;
    }

  req->token_digest = g_steal_pointer (&digest);
  return TRUE;
}

/* Handlers: session ------------------------------------------------------- */

static JsonNode *
user_json (CdUser *user)
{
  return cd_record_to_json (CD_RECORD (user));
}

static void
handle_login (CdServer  *self,
              CdRequest *req)
{
  static const char * const known[] = { "username", "password", NULL };
  g_autoptr(JsonNode) body = cd_request_parse_body (req);
  g_autoptr(GError) error = NULL;
  g_autoptr(CdUser) user = NULL;
  g_autofree char *hash = NULL;
  g_autofree char *token = NULL;
  g_autofree char *digest = NULL;
  g_autofree char *expires_text = NULL;
  g_autofree char *safe_user = NULL;
  g_autoptr(JsonBuilder) b = NULL;
  g_autoptr(JsonNode) reply = NULL;
  const char *username, *password;
  JsonObject *o;
  gint64 now = cd_server_now (self);
  gint64 wait;
  gint64 expires;
  CdStore *store;

  if (body == NULL)
    return;
  o = json_node_get_object (body);
  if (!cd_request_reject_unknown (req, o, known) ||
      (username = cd_request_require_string (req, o, "username", 64)) == NULL ||
      (password = cd_request_require_string (req, o, "password", 1024)) == NULL)
    return;

  /* Names come from the client: escaped, a log line stays one line. */
  safe_user = g_strescape (username, NULL);

  wait = cd_throttle_check (self->throttle, username, req->http->client, now);
  if (wait > 0)
    {
      g_autofree char *retry = g_strdup_printf ("%" G_GINT64_FORMAT, wait);
      g_autofree char *message = g_strdup_printf (_("Too many failed logins. Try again in %lld seconds."),
                                                  (long long) wait);

      g_atomic_int_inc (&self->metrics.logins_throttled);
      cd_server_log ("warning", "login-throttled", "user=\"%s\" client=%s", safe_user, req->http->client);
      cd_http_response_add_header (req->response, "Retry-After", retry);
      cd_request_reply_error (req, 429, "throttled", message);
      return;
    }

  store = cd_server_acquire_reader (self, &error);
  if (store != NULL)
    {
      user = cd_store_find_user (store, username, &error);
      if (user != NULL)
        hash = cd_store_get_password (store, CD_RECORD (user)->id, &error);
    }
  cd_server_release_reader (self, store);
  if (error != NULL && !g_error_matches (error, CD_STORE_ERROR, CD_STORE_ERROR_NOT_FOUND))
    {
      cd_request_reply_gerror (req, error);
      return;
    }

  if (hash == NULL)
    cd_auth_burn_verify (password);

  if (user == NULL || hash == NULL || !user->active || !cd_auth_verify_password (hash, password))
    {
      g_atomic_int_inc (&self->metrics.logins_failed);
      cd_throttle_record_failure (self->throttle, username, req->http->client, now);
      cd_server_log ("warning", "login-failed", "user=\"%s\" client=%s", safe_user, req->http->client);
      cd_request_reply_error (req, 401, "bad-credentials", _("The user name or the password is wrong."));
      return;
    }

  cd_throttle_record_success (self->throttle, username, req->http->client);

  token = cd_auth_new_token ();
  digest = cd_auth_token_digest (token);
  expires = now + self->config.token_lifetime;
  store = cd_server_lock_writer (self);
  cd_store_add_session (store, digest, CD_RECORD (user)->id, expires, &error);
  cd_server_unlock_writer (self);
  if (error != NULL)
    {
      cd_request_reply_gerror (req, error);
      return;
    }

  cd_server_log ("info", "login", "user=\"%s\" role=%s client=%s", safe_user,
                 cd_enum_to_nick (CD_TYPE_ROLE, user->role), req->http->client);

  expires_text = cd_json_format_time (expires);
  b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "token");
  json_builder_add_string_value (b, token);
  json_builder_set_member_name (b, "expires_at");
  json_builder_add_string_value (b, expires_text);
  json_builder_set_member_name (b, "user");
  json_builder_add_value (b, user_json (user));
  json_builder_end_object (b);
  reply = json_builder_get_root (b);
  cd_request_reply_json (req, 200, reply);
}

static void
handle_logout (CdServer  *self,
               CdRequest *req)
{
  g_autoptr(GError) error = NULL;
  CdStore *store = cd_server_lock_writer (self);

  cd_store_remove_session (store, req->token_digest, &error);
  cd_server_unlock_writer (self);
  /* After the store: a request reading the session meanwhile does not
   * put it back (the cache's generation). */
  cd_token_cache_remove (self->tokens, req->token_digest);
  if (error != NULL)
    {
      cd_request_reply_gerror (req, error);
      return;
    }

  cd_http_response_set_text (req->response, 204, "application/json", "");
}

static void
handle_me (CdServer  *self,
           CdRequest *req)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) reply = NULL;
  g_autofree char *expires = cd_json_format_time (req->token_expires_at);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "user");
  json_builder_add_value (b, user_json (req->user));
  json_builder_set_member_name (b, "expires_at");
  json_builder_add_string_value (b, expires);
  json_builder_end_object (b);
  reply = json_builder_get_root (b);
  cd_request_reply_json (req, 200, reply);
}

/* Handlers: operations ---------------------------------------------------- */

/* Public on purpose, for load balancers and systemd watchdogs: it says
 * only whether the store answers. */
static void
handle_health (CdServer  *self,
               CdRequest *req)
{
  g_autoptr(GError) error = NULL;
  CdStore *store = cd_server_acquire_reader (self, &error);
  gint64 rev = store ? cd_store_get_last_rev (store, &error) : -1;

  cd_server_release_reader (self, store);
  if (error != NULL)
    {
      cd_request_reply_error (req, 503, "unhealthy", _("The server cannot read its database."));
      return;
    }

  (void) rev;
  cd_http_response_set_text (req->response, 200, "application/json", "{\"status\":\"ok\"}");
}

static void
handle_metrics (CdServer  *self,
                CdRequest *req)
{
  g_autoptr(GString) s = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  CdStore *store = cd_server_acquire_reader (self, &error);
  gint64 rev = store ? cd_store_get_last_rev (store, NULL) : -1;

  cd_server_release_reader (self, store);

#define METRIC(name, type, help, value) \
  g_string_append_printf (s, "# HELP %s %s\n# TYPE %s %s\n%s %" G_GINT64_FORMAT "\n", \
                          name, help, name, type, name, (gint64) (value))
  METRIC ("crewdesk_requests_total", "counter", "HTTP requests handled.", g_atomic_int_get (&self->metrics.requests));
  METRIC ("crewdesk_requests_failed_total", "counter", "HTTP requests answered with a 4xx or 5xx status.",
          g_atomic_int_get (&self->metrics.requests_failed));
  METRIC ("crewdesk_logins_failed_total", "counter", "Failed logins.", g_atomic_int_get (&self->metrics.logins_failed));
  METRIC ("crewdesk_logins_throttled_total", "counter", "Logins refused by the throttle.",
          g_atomic_int_get (&self->metrics.logins_throttled));
  METRIC ("crewdesk_mutations_total", "counter", "Mutations applied.", g_atomic_int_get (&self->metrics.mutations));
  METRIC ("crewdesk_mutation_conflicts_total", "counter", "Mutations refused by a failed precondition.",
          g_atomic_int_get (&self->metrics.conflicts));
  METRIC ("crewdesk_position_reports_total", "counter", "Crew position reports.",
          g_atomic_int_get (&self->metrics.positions));
  METRIC ("crewdesk_token_cache_entries", "gauge", "Sessions held in the token cache.",
          cd_token_cache_get_size (self->tokens));
  METRIC ("crewdesk_event_subscribers", "gauge", "Open event streams.",
          self->events ? cd_events_get_subscribers (self->events) : 0);
  METRIC ("crewdesk_revision", "gauge", "The newest revision.", rev);
#undef METRIC

  cd_http_response_set_text (req->response, 200, "text/plain; version=0.0.4", s->str);
}

/* Handlers: sync ---------------------------------------------------------- */

/* Reads an integer query parameter; replies 400 and returns FALSE when it
 * is not a whole number in [@min, @max]. */
gboolean
cd_request_int_param (CdRequest  *req,
                      const char *name,
                      gint64      fallback,
                      gint64      min,
                      gint64      max,
                      gint64     *out)
{
  const char *text = cd_http_request_query (req->http, name);
  guint64 v = 0;

  if (text == NULL)
    {
      *out = fallback;
      return TRUE;
    }

  if (!g_ascii_string_to_unsigned (text, 10, 0, G_MAXINT64, &v, NULL) ||
      (gint64) v < min || (gint64) v > max)
    {
      g_autofree char *message = g_strdup_printf (_("Parameter “%s” must be a whole number from %lld to %lld."),
                                                  name, (long long) min, (long long) max);
      cd_request_reply_error (req, 400, "bad-parameter", message);
      return FALSE;
    }

  *out = (gint64) v;
  return TRUE;
}

static void
handle_changes (CdServer  *self,
                CdRequest *req)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) changes = NULL;
  g_autoptr(GString) out = NULL;
  gint64 since, limit, horizon = 0, pass_horizon, last_rev = 0;
  gboolean more = FALSE;
  CdStore *store;

  if (!cd_request_int_param (req, "since", 0, 0, G_MAXINT64, &since) ||
      !cd_request_int_param (req, "limit", 1000, 1, self->config.changes_max_limit, &limit) ||
      !cd_request_int_param (req, "horizon", -1, 0, G_MAXINT64, &pass_horizon))
    return;

  store = cd_server_acquire_reader (self, &error);
  if (store == NULL)
    {
      cd_request_reply_gerror (req, error);
      return;
    }

  /* One read transaction, so the page and last_rev agree. */
  if (!cd_store_begin_read (store, &error))
    goto out;

  horizon = cd_store_get_horizon_rev (store, &error);
  if (error != NULL)
    goto out;
  /* From revision 0 the feed is the whole state, whatever the horizon: a
   * client that holds nothing has no deletions to miss. A client paging
   * on from there sends the horizon its first page gave: while it holds,
   * what lies below it was deleted before that first page. */
  if (since > 0 && since < horizon && pass_horizon != horizon)
    {
      g_autofree char *message = g_strdup_printf (_("Changes before revision %lld are no longer kept. "
                                                    "Load a snapshot, then pull again."), (long long) horizon);

      cd_store_rollback (store);
      cd_server_release_reader (self, store);
      cd_request_reply_error (req, 410, "gone", message);
      return;
    }

  /* The stored JSON is relayed as it is: decoding and encoding a hundred
   * thousand rows would cost more than reading them. */
  last_rev = cd_store_get_last_rev (store, &error);
  if (error == NULL && since > last_rev)
    {
      g_autofree char *message = g_strdup_printf (_("Your copy is at revision %lld, newer than the server’s %lld: "
                                                    "the server was restored from a backup. Load a snapshot."),
                                                  (long long) since, (long long) last_rev);

      cd_store_rollback (store);
      cd_server_release_reader (self, store);
      cd_request_reply_error (req, 410, "gone", message);
      return;
    }
  if (error == NULL)
    changes = cd_store_list_changes_json (store, since, limit, &more, &error);

out:
  if (cd_store_get_depth (store) > 0)
    cd_store_rollback (store);
  cd_server_release_reader (self, store);
  if (error != NULL)
    {
      cd_request_reply_gerror (req, error);
      return;
    }

  if (more && changes->len > 0)
    last_rev = ((CdStoreChange *) g_ptr_array_index (changes, changes->len - 1))->rev;

  out = g_string_sized_new (256 + changes->len * 1024);
  g_string_append (out, "{\"changes\":[");
  for (guint i = 0; i < changes->len; i++)
    {
      CdStoreChange *change = g_ptr_array_index (changes, i);

      /* Kinds and ids are fixed vocabulary and UUIDs: nothing to escape. */
      g_string_append_printf (out, "%s{\"kind\":\"%s\",\"id\":\"%s\",\"rev\":%" G_GINT64_FORMAT
                              ",\"deleted\":%s,\"record\":%s}",
                              i ? "," : "", change->kind, change->id, change->rev,
                              change->json ? "false" : "true", change->json ? change->json : "null");
    }
  g_string_append_printf (out, "],\"last_rev\":%" G_GINT64_FORMAT ",\"more\":%s,\"horizon\":%" G_GINT64_FORMAT "}",
                          MAX (last_rev, since), more ? "true" : "false", horizon);

  {
    gsize length = out->len;

    cd_http_response_set_json (req->response, 200, g_string_free (g_steal_pointer (&out), FALSE), length);
  }
}

/* Everything in one reply, for tools and tests on small servers (the app
 * pages the feed from revision 0). The stored text is relayed as it is,
 * as /changes does: building it as a tree took a gigabyte at 100,000
 * tickets. */
static void
handle_snapshot (CdServer  *self,
                 CdRequest *req)
{
  static const struct { const char *member; GType (*type) (void); } kinds[] = {
    { "tickets", cd_ticket_get_type },
    { "crews", cd_crew_get_type },
    { "callbacks", cd_callback_get_type },
    { "assignment_events", cd_assignment_event_get_type },
    { "sla_policies", cd_sla_policy_get_type },
    { "users", cd_user_get_type },
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) out = g_string_sized_new (1 << 16);
  CdStore *store = cd_server_acquire_reader (self, &error);

  if (store != NULL && cd_store_begin_read (store, &error))
    {
      gint64 rev = cd_store_get_last_rev (store, &error);

      g_string_append_printf (out, "{\"rev\":%" G_GINT64_FORMAT, rev);
      for (guint i = 0; error == NULL && i < G_N_ELEMENTS (kinds); i++)
        {
          g_string_append_printf (out, ",\"%s\":[", kinds[i].member);
          if (cd_store_append_all_json (store, kinds[i].type (), out, &error) >= 0)
            g_string_append_c (out, ']');
        }
      g_string_append_c (out, '}');
      cd_store_rollback (store);
    }
  cd_server_release_reader (self, store);

  if (error == NULL)
    {
      gsize length = out->len;

      cd_http_response_set_json (req->response, 200, g_string_free (g_steal_pointer (&out), FALSE), length);
    }
  else
    cd_request_reply_gerror (req, error);
}

/* Dispatch ---------------------------------------------------------------- */

static gboolean
path_matches (const char *pattern,
              const char *path,
              GPtrArray  *params)
{
  while (*pattern && *path)
    {
      if (pattern[0] == '{' && pattern[1] == '}')
        {
          const char *end = strchr (path, '/');
          gsize len = end ? (gsize) (end - path) : strlen (path);

          if (len == 0)
            return FALSE;
          g_ptr_array_add (params, g_strndup (path, len));
          path += len;
          pattern += 2;
          continue;
        }
      if (*pattern != *path)
        return FALSE;
      pattern++;
      path++;
    }

  return *pattern == '\0' && *path == '\0';
}

static void
handle_request (CdHttpRequest  *http,
                CdHttpResponse *response,
                gpointer        user_data)
{
  CdServer *self = user_data;
  CdRequest req = { 0 };
  const Route *route = NULL;
  gboolean path_known = FALSE;
  gint64 start = g_get_monotonic_time ();
  g_autofree char *server_time = g_strdup_printf ("%" G_GINT64_FORMAT, g_get_real_time () / 1000);

  req.http = http;
  req.response = response;
  req.params = g_ptr_array_new_with_free_func (g_free);

  /* Clients measure their clock offset from this, on every reply. */
  cd_http_response_add_header (response, "X-Crewdesk-Time-Ms", server_time);
  cd_http_response_add_header (response, "Cache-Control", "no-store");

  for (guint i = 0; i < G_N_ELEMENTS (routes); i++)
    {
      g_ptr_array_set_size (req.params, 0);
      if (!path_matches (routes[i].pattern, http->path, req.params))
        continue;
      path_known = TRUE;
      if (strcmp (routes[i].method, http->method) == 0)
        {
          route = &routes[i];
          break;
        }
    }
  if (route == NULL)
    {
      if (path_known)
        {
          g_autoptr(GString) allow = g_string_new (NULL);
          g_autoptr(GPtrArray) scratch = g_ptr_array_new_with_free_func (g_free);

          for (guint i = 0; i < G_N_ELEMENTS (routes); i++)
            if (path_matches (routes[i].pattern, http->path, scratch) && !strstr (allow->str, routes[i].method))
              g_string_append_printf (allow, "%s%s", allow->len ? ", " : "", routes[i].method);
          cd_http_response_add_header (response, "Allow", allow->str);
          cd_request_reply_error (&req, 405, "method-not-allowed", _("This address does not take that method."));
        }
      else
        cd_request_reply_error (&req, 404, "no-such-endpoint", _("There is no such address in API v1."));
    }
  else if (route->roles != ROLES_PUBLIC && !authenticate (self, &req))
    ;
  else if (route->roles != ROLES_PUBLIC && !(route->roles & R (req.user->role)))
    cd_request_reply_error (&req, 403, "forbidden", _("Your role may not do this. Ask a supervisor or an administrator."));
  else
    route->handler (self, &req);

  g_atomic_int_inc (&self->metrics.requests);
  if (response->status >= 400)
    g_atomic_int_inc (&self->metrics.requests_failed);

  /* A successful position report is counted, not logged: crews send them
   * every few seconds, which would be gigabytes of log a day. */
  if (response->stream_read == NULL &&
      !(route != NULL && route->handler == cd_server_handle_position && response->status == 200))
    {
      g_autofree char *safe_path = g_strescape (http->path, NULL);

      cd_server_log (response->status >= 500 ? "error" : "info", "request",
                     "method=%s path=\"%.200s\" status=%u ms=%.2f user=\"%s\" client=%s",
                     http->method, safe_path, response->status,
                     (g_get_monotonic_time () - start) / 1000.0,
                     req.user ? req.user->username : "", http->client);
    }

  g_clear_object (&req.user);
  g_clear_pointer (&req.token_digest, g_free);
  g_ptr_array_unref (req.params);
}

/* Configuration ----------------------------------------------------------- */

void
cd_server_config_init (CdServerConfig *config)
{
  memset (config, 0, sizeof *config);
  config->db_path = g_strdup ("crewdesk.db");
  config->listen_address = g_strdup ("127.0.0.1");
  config->port = 8765;
  config->max_body = 1024 * 1024;
  config->token_lifetime = 12 * 3600;
  /* Every session of a large dispatch room and its crew devices. */
  config->token_cache = 20000;
  config->login_max_failures = 5;
  config->login_window = 15 * 60;
  config->heartbeat_seconds = 15;
  config->changes_max_limit = 10000;
  config->batch_interval = 60;
  config->escalation_interval = 30;
  config->trail_window = 2 * 3600;
  config->trail_points = 720;
  config->duplicate_radius_m = 150;
  config->duplicate_window = 2 * 3600;
}

void
cd_server_config_clear (CdServerConfig *config)
{
  g_clear_pointer (&config->db_path, g_free);
  g_clear_pointer (&config->listen_address, g_free);
  g_clear_pointer (&config->tls_cert_file, g_free);
  g_clear_pointer (&config->tls_key_file, g_free);
  g_clear_pointer (&config->policy_file, g_free);
  g_clear_pointer (&config->service_areas, g_free);
}

static gboolean
config_int (GKeyFile    *kf,
            const char  *group,
            const char  *key,
            gint64       min,
            gint64       max,
            gint64      *out,
            GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  gint64 v;

  if (!g_key_file_has_key (kf, group, key, NULL))
    return TRUE;

  v = g_key_file_get_int64 (kf, group, key, &local_error);
  if (local_error != NULL || v < min || v > max)
    {
      g_set_error (error, CD_SERVER_ERROR, CD_SERVER_ERROR_CONFIG,
                   "[%s] %s must be a whole number from %" G_GINT64_FORMAT " to %" G_GINT64_FORMAT ".",
                   group, key, min, max);
      return FALSE;
    }

  *out = v;
  return TRUE;
}

static void
config_string (GKeyFile    *kf,
               const char  *group,
               const char  *key,
               char       **out)
{
  char *v = g_key_file_get_string (kf, group, key, NULL);

  if (v != NULL)
    {
      g_free (*out);
      *out = v;
    }
}

/* The key file's [server] group; see data/crewdesk-server.conf. */
gboolean
cd_server_config_load (CdServerConfig  *config,
                       const char      *path,
                       GError         **error)
{
  g_autoptr(GKeyFile) kf = g_key_file_new ();
  gint64 threads = config->threads, max_body = config->max_body, lifetime = config->token_lifetime;
  gint64 token_cache = config->token_cache;
  gint64 failures = config->login_max_failures, window = config->login_window;
  gint64 heartbeat = config->heartbeat_seconds;
  gint64 batch = config->batch_interval, scan = config->escalation_interval;
  gint64 radius = (gint64) config->duplicate_radius_m, dup_window = config->duplicate_window;
  gint64 trail_window = config->trail_window, trail_points = config->trail_points;

  if (!g_key_file_load_from_file (kf, path, G_KEY_FILE_NONE, error))
    return FALSE;

  config_string (kf, "server", "database", &config->db_path);
  config_string (kf, "server", "tls-cert", &config->tls_cert_file);
  config_string (kf, "server", "tls-key", &config->tls_key_file);
  config_string (kf, "server", "policy-file", &config->policy_file);
  config_string (kf, "intake", "service-areas", &config->service_areas);

  if (!config_int (kf, "server", "threads", 0, 256, &threads, error) ||
      !config_int (kf, "server", "max-body", 1024, 64 * 1024 * 1024, &max_body, error) ||
      !config_int (kf, "server", "token-lifetime", 1, 30 * 24 * 3600, &lifetime, error) ||
      !config_int (kf, "server", "token-cache", 1, 1000000, &token_cache, error) ||
      !config_int (kf, "server", "heartbeat", 1, 3600, &heartbeat, error) ||
      !config_int (kf, "dispatch", "batch-interval", 0, 24 * 3600, &batch, error) ||
      !config_int (kf, "dispatch", "escalation-interval", 1, 3600, &scan, error) ||
      !config_int (kf, "positions", "trail-window", 2, 7 * 24 * 3600, &trail_window, error) ||
      !config_int (kf, "positions", "trail-points", 2, 100000, &trail_points, error) ||
      !config_int (kf, "intake", "duplicate-radius", 0, 100000, &radius, error) ||
      !config_int (kf, "intake", "duplicate-window", 0, 30 * 24 * 3600, &dup_window, error) ||
      !config_int (kf, "login", "max-failures", 1, 1000, &failures, error) ||
      !config_int (kf, "login", "window", 1, 24 * 3600, &window, error))
    return FALSE;

  config->threads = threads;
  config->max_body = max_body;
  config->token_lifetime = lifetime;
  config->token_cache = token_cache;
  config->heartbeat_seconds = heartbeat;
  config->batch_interval = batch;
  config->escalation_interval = scan;
  config->trail_window = trail_window;
  config->trail_points = trail_points;
  config->duplicate_radius_m = radius;
  config->duplicate_window = dup_window;
  config->login_max_failures = failures;
  config->login_window = window;
  return TRUE;
}

/* Object ------------------------------------------------------------------ */

gint64
cd_server_now (CdServer *self)
{
  return g_get_real_time () / G_USEC_PER_SEC;
}

static void
close_store (gpointer store)
{
  g_object_unref (store);
}

static void
cd_server_finalize (GObject *object)
{
  CdServer *self = CD_SERVER (object);

  cd_server_stop (self);
  g_clear_pointer (&self->throttle, cd_throttle_free);
  g_clear_pointer (&self->tokens, cd_token_cache_free);
  g_clear_pointer (&self->areas, cd_areas_free);
  g_clear_pointer (&self->changed_users, g_ptr_array_unref);
  g_clear_object (&self->policies);
  g_clear_object (&self->writer);
  if (self->readers)
    {
      CdStore *store;

      while ((store = g_async_queue_try_pop (self->readers)) != NULL)
        close_store (store);
      g_async_queue_unref (self->readers);
    }
  g_mutex_clear (&self->write_lock);
  g_mutex_clear (&self->sync_lock);
  g_mutex_clear (&self->ckpt_lock);
  g_cond_clear (&self->ckpt_cond);
  g_cond_clear (&self->sync_cond);
  g_mutex_clear (&self->positions_lock);
  g_cond_clear (&self->flusher_cond);
  g_mutex_clear (&self->dispatch_lock);
  g_cond_clear (&self->dispatch_cond);
  g_mutex_clear (&self->group_lock);
  g_cond_clear (&self->leader_cond);
  g_clear_object (&self->auto_actor);
  cd_server_config_clear (&self->config);

  G_OBJECT_CLASS (cd_server_parent_class)->finalize (object);
}

static void
cd_server_class_init (CdServerClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = cd_server_finalize;
}

static void
cd_server_init (CdServer *self)
{
  g_mutex_init (&self->write_lock);
  g_mutex_init (&self->sync_lock);
  g_mutex_init (&self->ckpt_lock);
  g_cond_init (&self->ckpt_cond);
  g_cond_init (&self->sync_cond);
  g_mutex_init (&self->positions_lock);
  g_cond_init (&self->flusher_cond);
  g_mutex_init (&self->dispatch_lock);
  g_cond_init (&self->dispatch_cond);
  g_mutex_init (&self->group_lock);
  g_cond_init (&self->leader_cond);
  g_queue_init (&self->group_queue);
  self->readers = g_async_queue_new ();
  self->changed_users = g_ptr_array_new_with_free_func (g_free);
}

CdServer *
cd_server_new (const CdServerConfig  *config,
               GError               **error)
{
  g_autoptr(CdServer) self = g_object_new (CD_TYPE_SERVER, NULL);

  cd_model_init ();

  self->config = *config;
  self->config.db_path = g_strdup (config->db_path);
  self->config.listen_address = g_strdup (config->listen_address);
  self->config.tls_cert_file = g_strdup (config->tls_cert_file);
  self->config.tls_key_file = g_strdup (config->tls_key_file);
  self->config.policy_file = g_strdup (config->policy_file);
  self->config.service_areas = g_strdup (config->service_areas);

  self->writer = cd_store_open (self->config.db_path, error);
  if (self->writer == NULL)
    return NULL;
  /* A mutation is on disk before its reply leaves. */
  if (!cd_store_set_synchronous_full (self->writer, TRUE, error))
    return NULL;

  self->policies = self->config.policy_file
                   ? cd_sla_policy_set_new_from_file (self->config.policy_file, error)
                   : cd_sla_policy_set_new_default (error);
  if (self->policies == NULL)
    return NULL;

  /* Where intake looks up a report's service area: the demo city's
   * districts, or the administrator's polygons. */
  if (g_strcmp0 (self->config.service_areas, "demo") == 0 ||
      (self->config.service_areas == NULL && self->config.demo))
    self->areas = cd_areas_new_demo ();
  else if (self->config.service_areas != NULL && *self->config.service_areas != '\0' &&
           (self->areas = cd_areas_new_from_file (self->config.service_areas, error)) == NULL)
    return NULL;

  self->throttle = cd_throttle_new (self->config.login_max_failures, self->config.login_window);
  self->tokens = cd_token_cache_new (self->config.token_cache, TOKEN_CACHE_REVALIDATE);
  return g_steal_pointer (&self);
}

gboolean
cd_server_start (CdServer  *self,
                 GError   **error)
{
  g_autofree char *cert = NULL;
  g_autofree char *key = NULL;
  CdHttpOptions options = { 0 };

  g_return_val_if_fail (CD_IS_SERVER (self), FALSE);
  g_return_val_if_fail (self->http == NULL, FALSE);

  if (self->config.tls_cert_file || self->config.tls_key_file)
    {
      if (!self->config.tls_cert_file || !self->config.tls_key_file)
        {
          g_set_error_literal (error, CD_SERVER_ERROR, CD_SERVER_ERROR_CONFIG,
                               "TLS needs both --tls-cert and --tls-key.");
          return FALSE;
        }
      if (!g_file_get_contents (self->config.tls_cert_file, &cert, NULL, error) ||
          !g_file_get_contents (self->config.tls_key_file, &key, NULL, error))
        return FALSE;
    }

  if (!cd_server_checkpointer_start (self, error))
    return FALSE;
  self->events = cd_events_new (self->config.heartbeat_seconds, 0);
  cd_server_positions_start (self);
  cd_server_dispatch_start (self);

  options.threads = self->config.threads;
  options.max_body = self->config.max_body;
  options.tls_cert_pem = cert;
  options.tls_key_pem = key;
  self->http = cd_http_new (&options, handle_request, self);
  if (!cd_http_listen (self->http, self->config.listen_address, self->config.port, error))
    {
      cd_server_stop (self);
      return FALSE;
    }

  cd_server_log ("info", "listening", "address=%s port=%u db=\"%s\" tls=%s",
                 self->config.listen_address, cd_http_get_port (self->http),
                 self->config.db_path, cert ? "yes" : "no");
  return TRUE;
}

guint16
cd_server_get_port (CdServer *self)
{
  g_return_val_if_fail (CD_IS_SERVER (self), 0);

  return self->http ? cd_http_get_port (self->http) : 0;
}

void
cd_server_stop (CdServer *self)
{
  g_return_if_fail (CD_IS_SERVER (self));

  /* Streams first: the daemon must not stop with suspended connections. */
  if (self->events)
    cd_events_close_all (self->events);
  g_clear_pointer (&self->http, cd_http_free);
  cd_server_dispatch_stop (self);
  g_clear_pointer (&self->events, cd_events_free);
  cd_server_positions_stop (self);
  cd_server_checkpointer_stop (self);
}

/* Creates or updates a user with a password (argon2id). */
gboolean
cd_server_add_user (CdServer    *self,
                    const char  *username,
                    const char  *display_name,
                    gint         role,
                    const char  *crew_id,
                    const char  *password,
                    GError     **error)
{
  g_autoptr(CdUser) user = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *hash = NULL;
  g_autofree char *id = NULL;
  CdStore *store;
  gboolean ok = FALSE;
  gint64 rev;

  g_return_val_if_fail (CD_IS_SERVER (self), FALSE);

  hash = cd_auth_hash_password (password, error);
  if (hash == NULL)
    return FALSE;

  store = cd_server_lock_writer (self);
  if (!cd_store_begin (store, error))
    goto out;

  user = cd_store_find_user (store, username, &local_error);
  if (user == NULL && !g_error_matches (local_error, CD_STORE_ERROR, CD_STORE_ERROR_NOT_FOUND))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      goto fail;
    }
  if (user == NULL)
    {
      id = g_uuid_string_random ();
      user = cd_user_new ();
      g_object_set (user, "id", id, "username", username, NULL);
    }
  else
    user = CD_USER (cd_record_copy (CD_RECORD (user)));

  rev = cd_store_next_rev (store, error);
  if (rev <= 0)
    goto fail;

  g_object_set (user, "display-name", display_name, "role", role, "crew-id", crew_id,
                "active", TRUE, "rev", rev, "version", CD_RECORD (user)->version + 1,
                "updated-at", cd_server_now (self), NULL);

  if (!cd_store_save (store, CD_RECORD (user), error) ||
      !cd_store_set_password (store, CD_RECORD (user)->id, hash, error) ||
      !cd_store_commit (store, error))
    goto fail;
  cd_server_user_changed (self, CD_RECORD (user)->id);

  ok = TRUE;
  goto out;

fail:
  cd_store_rollback (store);
out:
  cd_server_unlock_writer (self);
  return ok;
}
