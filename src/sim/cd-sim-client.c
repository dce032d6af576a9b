/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-sim-client.c: requests against crewdesk-server with logins, retries
 * and backoff.
 *
 * A request runs as a GTask: it waits for its account's login when the
 * account has no token, sends, and on an answer that says "try again" (no
 * connection, a timeout, 429, 5xx) waits and sends the very same request
 * again, so that a mutation keeps its id and a report its Idempotency-Key.
 * A 401 drops the token and logs in again, at most a few times in a row.
 * Logins of one account are shared: requests queue behind the one login in
 * flight.
 *
 * Two things libsoup 3.2 does made 500 crews deliver a handful of reports
 * a second, with the main loop always busy:
 *
 * - A POST is not idempotent to it, so unless the message says otherwise
 *   it never goes out on a kept-alive connection: every position report
 *   opened a new TCP connection, and at max-conns-per-host libsoup closed
 *   every idle connection to make room for it. Every request here may be
 *   sent twice without harm (mutations carry their ids, customer reports
 *   an Idempotency-Key, a position replaces the last one, a second login
 *   only makes a second session), so all are marked
 *   SOUP_MESSAGE_IDEMPOTENT and reuse the connections.
 * - Each time a connection changes state, libsoup walks every message in
 *   its queue, and for each one waiting, every connection still
 *   connecting, and for each of those the whole queue again. With
 *   hundreds of messages queued (500 crews polling in the same
 *   millisecond) that walk was all the simulator did. So at most
 *   MAX_IN_FLIGHT requests are handed to libsoup at once, as many as it
 *   may open connections, and the others wait here, in order, for a slot.
 */
#include "config.h"

#include <libsoup/soup.h>
#include <string.h>

#include "cd-json.h"
#include "cd-sim-client.h"

#define BACKOFF_MAX_SECONDS 30
#define MAX_RELOGINS        3
#define MAX_IN_FLIGHT       CD_SIM_CLIENT_MAX_IN_FLIGHT
/* Below the server's connection timeout (30 s by default), so that a
 * request rarely goes out on a connection the server is closing. */
#define IDLE_TIMEOUT_S      20
/* libsoup 3.2 has no name for it. */
#define STATUS_TOO_MANY_REQUESTS 429

G_DEFINE_QUARK (cd-sim-error-quark, cd_sim_error)

struct _CdSimAccount
{
  GObject    parent_instance;

  char      *username;
  char      *password;
  char      *token;
  char      *crew_id;
  gboolean   logging_in;
  guint      login_failures;
  GError    *refused;         /* wrong password: never try again */
  GPtrArray *waiting;         /* GTask: requests waiting for the login */
};

struct _CdSimClient
{
  GObject           parent_instance;

  SoupSession      *session;
  char             *base_url;
  CdSimClientStats  stats;
  guint             in_flight;  /* slots taken: requests with libsoup */
  GQueue            waiting;    /* Waiter: requests waiting for a slot */
};

/* Sends with the slot it is given; FALSE when it did not send after all
 * (the request was cancelled meanwhile) and the slot is free again. */
typedef gboolean (*SendFunc) (gpointer data);

typedef struct
{
  SendFunc send;
  gpointer data;
} Waiter;

G_DEFINE_FINAL_TYPE (CdSimAccount, cd_sim_account, G_TYPE_OBJECT)
G_DEFINE_FINAL_TYPE (CdSimClient, cd_sim_client, G_TYPE_OBJECT)

typedef struct
{
  CdSimClient  *client;
  CdSimAccount *account;
  char         *method;
  char         *path;
  GBytes       *body;
  char         *idempotency_key;
  CdSimRetry    retry;
  guint         failures;
  guint         relogins;
  char         *token_used;
  SoupMessage  *message;
} Call;

typedef struct
{
  CdSimClient  *client;
  CdSimAccount *account;
  SoupMessage  *message;
} Login;

static void call_start (GTask *task);
static void login_send (CdSimClient  *client,
                        CdSimAccount *account);

/* Slots --------------------------------------------------------------------- */

/* A request that was given a slot is done with it: the slot goes to the
 * first one waiting that still wants it. */
static void
slot_release (CdSimClient *self)
{
  Waiter *w;

  g_assert (self->in_flight > 0);
  while ((w = g_queue_pop_head (&self->waiting)) != NULL)
    {
      SendFunc send = w->send;
      gpointer data = w->data;

      g_free (w);
      if (send (data))
        return;
    }
  self->in_flight--;
}

static void
slot_take (CdSimClient *self,
           SendFunc     send,
           gpointer     data)
{
  Waiter *w;

  if (self->in_flight < MAX_IN_FLIGHT)
    {
      self->in_flight++;
      if (!send (data))
        slot_release (self);
      return;
    }

  w = g_new (Waiter, 1);
  w->send = send;
  w->data = data;
  g_queue_push_tail (&self->waiting, w);
}

/* Helpers ------------------------------------------------------------------- */

static void
call_free (gpointer data)
{
  Call *call = data;

  g_clear_object (&call->client);
  g_clear_object (&call->account);
  g_free (call->method);
  g_free (call->path);
  g_clear_pointer (&call->body, g_bytes_unref);
  g_free (call->idempotency_key);
  g_free (call->token_used);
  g_clear_object (&call->message);
  g_free (call);
}

static void
login_free (Login *login)
{
  g_clear_object (&login->client);
  g_clear_object (&login->account);
  g_clear_object (&login->message);
  g_free (login);
}

/* Capped exponential backoff with jitter, so that forty crews do not all
 * come back in the same millisecond. */
static guint
backoff_ms (guint failures)
{
  guint seconds = MIN (BACKOFF_MAX_SECONDS, 1u << MIN (failures, 5u));

  return (guint) (seconds * 1000 * g_random_double_range (0.5, 1.0));
}

static guint
retry_after_ms (SoupMessage *message,
                guint        failures)
{
  const char *header = soup_message_headers_get_one (soup_message_get_response_headers (message), "Retry-After");
  guint64 seconds = 0;

  if (header != NULL && g_ascii_string_to_unsigned (header, 10, 1, 3600, &seconds, NULL))
    return (guint) seconds * 1000;
  return backoff_ms (failures);
}

static gboolean
is_json (SoupMessage *message)
{
  const char *type = soup_message_headers_get_content_type (soup_message_get_response_headers (message), NULL);

  return type != NULL && g_str_has_prefix (type, "application/json");
}

static JsonNode *
parse_json (GBytes *bytes)
{
  gsize size = 0;
  const char *data = bytes ? g_bytes_get_data (bytes, &size) : NULL;

  if (data == NULL || size == 0)
    return NULL;
  return cd_json_parse (data, size, CD_JSON_MAX_BYTES, CD_JSON_MAX_DEPTH, NULL);
}

void
cd_sim_reply_free (CdSimReply *reply)
{
  if (reply == NULL)
    return;
  g_clear_pointer (&reply->json, json_node_unref);
  g_free (reply);
}

char *
cd_sim_reply_error_message (CdSimReply *reply)
{
  g_return_val_if_fail (reply != NULL, NULL);

  if (reply->json != NULL && JSON_NODE_HOLDS_OBJECT (reply->json))
    {
      JsonObject *o = json_node_get_object (reply->json);
      JsonObject *e = json_object_has_member (o, "error") &&
                      JSON_NODE_HOLDS_OBJECT (json_object_get_member (o, "error"))
                      ? json_object_get_object_member (o, "error") : NULL;

      if (e != NULL)
        return g_strdup_printf ("%u %s: %s", reply->status,
                                json_object_get_string_member_with_default (e, "code", "?"),
                                json_object_get_string_member_with_default (e, "message", ""));
    }

  return g_strdup_printf ("HTTP %u", reply->status);
}

/* Accounts ------------------------------------------------------------------ */

static void
cd_sim_account_finalize (GObject *object)
{
  CdSimAccount *self = CD_SIM_ACCOUNT (object);

  g_free (self->username);
  g_free (self->password);
  g_free (self->token);
  g_free (self->crew_id);
  g_clear_error (&self->refused);
  g_ptr_array_unref (self->waiting);

  G_OBJECT_CLASS (cd_sim_account_parent_class)->finalize (object);
}

static void
cd_sim_account_class_init (CdSimAccountClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = cd_sim_account_finalize;
}

static void
cd_sim_account_init (CdSimAccount *self)
{
  self->waiting = g_ptr_array_new_with_free_func (g_object_unref);
}

CdSimAccount *
cd_sim_account_new (const char *username,
                    const char *password)
{
  CdSimAccount *self;

  g_return_val_if_fail (username != NULL, NULL);
  g_return_val_if_fail (password != NULL, NULL);

  self = g_object_new (CD_TYPE_SIM_ACCOUNT, NULL);
  self->username = g_strdup (username);
  self->password = g_strdup (password);
  return self;
}

const char *
cd_sim_account_get_username (CdSimAccount *self)
{
  g_return_val_if_fail (CD_IS_SIM_ACCOUNT (self), NULL);

  return self->username;
}

const char *
cd_sim_account_get_crew_id (CdSimAccount *self)
{
  g_return_val_if_fail (CD_IS_SIM_ACCOUNT (self), NULL);

  return self->crew_id;
}

/* Every request waiting for the login goes on, or fails with @error. */
static void
login_done (CdSimAccount *account,
            const GError *error)
{
  g_autoptr(GPtrArray) waiting = g_steal_pointer (&account->waiting);

  account->waiting = g_ptr_array_new_with_free_func (g_object_unref);
  account->logging_in = FALSE;

  for (guint i = 0; i < waiting->len; i++)
    {
      GTask *task = g_ptr_array_index (waiting, i);

      if (error != NULL)
        g_task_return_error (task, g_error_copy (error));
      else
        call_start (g_object_ref (task));
    }
}

static gboolean
login_retry_cb (gpointer data)
{
  Login *login = data;

  login_send (login->client, login->account);
  login_free (login);
  return G_SOURCE_REMOVE;
}

static void
login_retry_later (Login *login,
                   guint  delay_ms)
{
  Login *again = g_new0 (Login, 1);

  again->client = g_object_ref (login->client);
  again->account = g_object_ref (login->account);
  login->client->stats.retries++;
  g_timeout_add (delay_ms, login_retry_cb, again);
}

static void
login_sent_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      data)
{
  Login *login = data;
  CdSimAccount *account = login->account;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);
  g_autoptr(JsonNode) json = NULL;
  guint status;

  slot_release (login->client);

  if (bytes == NULL)
    {
      /* The server is down or starting: try again, without end. */
      login->client->stats.network_errors++;
      login_retry_later (login, backoff_ms (account->login_failures++));
      login_free (login);
      return;
    }

  status = soup_message_get_status (login->message);
  json = is_json (login->message) ? parse_json (bytes) : NULL;

  if (status == STATUS_TOO_MANY_REQUESTS || status >= 500)
    {
      login->client->stats.server_errors++;
      login_retry_later (login, retry_after_ms (login->message, account->login_failures++));
      login_free (login);
      return;
    }

  if (status == SOUP_STATUS_OK && json != NULL && JSON_NODE_HOLDS_OBJECT (json))
    {
      JsonObject *o = json_node_get_object (json);
      const char *token = json_object_get_string_member_with_default (o, "token", NULL);
      JsonObject *user = json_object_has_member (o, "user") &&
                         JSON_NODE_HOLDS_OBJECT (json_object_get_member (o, "user"))
                         ? json_object_get_object_member (o, "user") : NULL;

      if (token != NULL)
        {
          g_free (account->token);
          account->token = g_strdup (token);
          g_free (account->crew_id);
          account->crew_id = user && json_object_has_member (user, "crew_id") &&
                             !json_object_get_null_member (user, "crew_id")
                             ? g_strdup (json_object_get_string_member (user, "crew_id")) : NULL;
          account->login_failures = 0;
          login->client->stats.logins++;
          login_done (account, NULL);
          login_free (login);
          return;
        }
    }

  {
    CdSimReply reply = { status, json };
    g_autofree char *message = cd_sim_reply_error_message (&reply);

    g_set_error (&error, CD_SIM_ERROR, status == SOUP_STATUS_UNAUTHORIZED ? CD_SIM_ERROR_LOGIN : CD_SIM_ERROR_PROTOCOL,
                 "Logging in as “%s” failed (%s).", account->username, message);
    /* Trying again would only run into the server's login throttle, which
     * locks out every user of this address. */
    if (account->refused == NULL)
      account->refused = g_error_copy (error);
    login_done (account, error);
  }
  login_free (login);
}

static gboolean
login_send_now (gpointer data)
{
  Login *login = data;

  login->client->stats.requests++;
  soup_session_send_and_read_async (login->client->session, login->message, G_PRIORITY_DEFAULT, NULL,
                                    login_sent_cb, login);
  return TRUE;
}

static void
login_send (CdSimClient  *client,
            CdSimAccount *account)
{
  g_autofree char *url = g_strconcat (client->base_url, "/api/v1/login", NULL);
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GBytes) body = NULL;
  Login *login;
  char *text;
  gsize length = 0;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "username");
  json_builder_add_string_value (b, account->username);
  json_builder_set_member_name (b, "password");
  json_builder_add_string_value (b, account->password);
  json_builder_end_object (b);
  node = json_builder_get_root (b);
  text = cd_json_to_string (node, &length);
  body = g_bytes_new_take (text, length);

  login = g_new0 (Login, 1);
  login->client = g_object_ref (client);
  login->account = g_object_ref (account);
  login->message = soup_message_new (SOUP_METHOD_POST, url);
  soup_message_add_flags (login->message, SOUP_MESSAGE_IDEMPOTENT);
  soup_message_set_request_body_from_bytes (login->message, "application/json", body);
  slot_take (client, login_send_now, login);
}

static void
account_login (CdSimClient  *client,
               CdSimAccount *account,
               GTask        *task)
{
  g_ptr_array_add (account->waiting, task);
  if (account->logging_in)
    return;
  account->logging_in = TRUE;
  login_send (client, account);
}

/* Requests ------------------------------------------------------------------ */

static gboolean
call_retry_cb (gpointer data)
{
  call_start (data);
  return G_SOURCE_REMOVE;
}

static void
call_retry_later (GTask *task,
                  guint  delay_ms)
{
  Call *call = g_task_get_task_data (task);

  call->client->stats.retries++;
  g_timeout_add (delay_ms, call_retry_cb, task);
}

static void
call_sent_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      data)
{
  GTask *task = data;
  Call *call = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);
  CdSimReply *reply;
  guint status;

  slot_release (call->client);

  if (bytes == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
          call->retry == CD_SIM_RETRY_NONE)
        {
          if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            call->client->stats.network_errors++;
          g_task_return_error (task, g_steal_pointer (&error));
          g_object_unref (task);
          return;
        }
      call->client->stats.network_errors++;
      call_retry_later (task, backoff_ms (call->failures++));
      return;
    }

  status = soup_message_get_status (call->message);

  if (status == SOUP_STATUS_UNAUTHORIZED && call->account != NULL && call->relogins < MAX_RELOGINS)
    {
      /* The session ended or expired: log in again, unless another
       * request already did. */
      if (g_strcmp0 (call->account->token, call->token_used) == 0)
        g_clear_pointer (&call->account->token, g_free);
      call->relogins++;
      call_start (task);
      return;
    }

  if ((status == STATUS_TOO_MANY_REQUESTS || status >= 500) && call->retry != CD_SIM_RETRY_NONE)
    {
      call->client->stats.server_errors++;
      call_retry_later (task, retry_after_ms (call->message, call->failures++));
      return;
    }
  if (status == STATUS_TOO_MANY_REQUESTS || status >= 500)
    call->client->stats.server_errors++;

  reply = g_new0 (CdSimReply, 1);
  reply->status = status;
  reply->json = is_json (call->message) ? parse_json (bytes) : NULL;
  g_task_return_pointer (task, reply, (GDestroyNotify) cd_sim_reply_free);
  g_object_unref (task);
}

/* With a slot: takes the reference on @task. */
static gboolean
call_send_now (gpointer data)
{
  GTask *task = data;
  Call *call = g_task_get_task_data (task);
  g_autofree char *url = NULL;
  SoupMessageHeaders *headers;

  /* It may have waited for its slot a while. */
  if (g_task_return_error_if_cancelled (task))
    {
      g_object_unref (task);
      return FALSE;
    }
  if (call->account != NULL && (call->account->refused != NULL || call->account->token == NULL))
    {
      /* Its login failed, or a 401 to another request dropped the token,
       * while it waited: back to the start, without the slot. */
      call_start (task);
      return FALSE;
    }

  url = g_strconcat (call->client->base_url, call->path, NULL);
  g_clear_object (&call->message);
  call->message = soup_message_new (call->method, url);
  if (call->message == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               "“%s” is not a valid address.", url);
      g_object_unref (task);
      return FALSE;
    }

  soup_message_add_flags (call->message, SOUP_MESSAGE_IDEMPOTENT);
  headers = soup_message_get_request_headers (call->message);
  soup_message_headers_replace (headers, "Accept", "application/json");
  if (call->account != NULL)
    {
      g_autofree char *auth = g_strconcat ("Bearer ", call->account->token, NULL);

      soup_message_headers_replace (headers, "Authorization", auth);
      g_free (call->token_used);
      call->token_used = g_strdup (call->account->token);
    }
  if (call->idempotency_key != NULL)
    soup_message_headers_replace (headers, "Idempotency-Key", call->idempotency_key);
  if (call->body != NULL)
    soup_message_set_request_body_from_bytes (call->message, "application/json", call->body);

  call->client->stats.requests++;
  soup_session_send_and_read_async (call->client->session, call->message, G_PRIORITY_DEFAULT,
                                    g_task_get_cancellable (task), call_sent_cb, task);
  return TRUE;
}

/* Takes the reference on @task. */
static void
call_start (GTask *task)
{
  Call *call = g_task_get_task_data (task);

  if (g_task_return_error_if_cancelled (task))
    {
      g_object_unref (task);
      return;
    }

  if (call->account != NULL && call->account->refused != NULL)
    {
      g_task_return_error (task, g_error_copy (call->account->refused));
      g_object_unref (task);
      return;
    }

  if (call->account != NULL && call->account->token == NULL)
    {
      account_login (call->client, call->account, task);
      return;
    }

  slot_take (call->client, call_send_now, task);
}

void
cd_sim_client_request_async (CdSimClient         *self,
                             CdSimAccount        *account,
                             const char          *method,
                             const char          *path,
                             JsonNode            *body,
                             const char          *idempotency_key,
                             CdSimRetry           retry,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  GTask *task;
  Call *call;

  g_return_if_fail (CD_IS_SIM_CLIENT (self));
  g_return_if_fail (account == NULL || CD_IS_SIM_ACCOUNT (account));
  g_return_if_fail (method != NULL && path != NULL && path[0] == '/');

  call = g_new0 (Call, 1);
  call->client = g_object_ref (self);
  call->account = account ? g_object_ref (account) : NULL;
  call->method = g_strdup (method);
  call->path = g_strdup (path);
  call->idempotency_key = g_strdup (idempotency_key);
  call->retry = retry;
  if (body != NULL)
    {
      gsize length = 0;
      char *text = cd_json_to_string (body, &length);

      call->body = g_bytes_new_take (text, length);
    }

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, cd_sim_client_request_async);
  g_task_set_task_data (task, call, call_free);
  call_start (task);
}

CdSimReply *
cd_sim_client_request_finish (CdSimClient   *self,
                              GAsyncResult  *result,
                              GError       **error)
{
  g_return_val_if_fail (CD_IS_SIM_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Logging ------------------------------------------------------------------- */

void
cd_sim_log (const char *who,
            const char *format,
            ...)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *time = g_date_time_format (now, "%H:%M:%S");
  g_autofree char *text = NULL;
  va_list args;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);

  g_print ("%s %-10s %s\n", time, who, text);
}

/* Client -------------------------------------------------------------------- */

static void
cd_sim_client_finalize (GObject *object)
{
  CdSimClient *self = CD_SIM_CLIENT (object);

  /* Every waiter holds a reference on the client: none is left. */
  g_assert (g_queue_is_empty (&self->waiting));
  g_clear_object (&self->session);
  g_free (self->base_url);

  G_OBJECT_CLASS (cd_sim_client_parent_class)->finalize (object);
}

static void
cd_sim_client_class_init (CdSimClientClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = cd_sim_client_finalize;
}

static void
cd_sim_client_init (CdSimClient *self)
{
  g_queue_init (&self->waiting);
}

CdSimClient *
cd_sim_client_new (const char *base_url,
                   guint       timeout_seconds)
{
  CdSimClient *self;
  gsize len;

  g_return_val_if_fail (base_url != NULL, NULL);

  self = g_object_new (CD_TYPE_SIM_CLIENT, NULL);
  len = strlen (base_url);
  while (len > 0 && base_url[len - 1] == '/')
    len--;
  self->base_url = g_strndup (base_url, len);
  /* libsoup waits forever unless told. As many connections as requests
   * in flight, so that none waits in libsoup's queue (see above). */
  self->session = soup_session_new_with_options ("timeout", timeout_seconds,
                                                 "idle-timeout", IDLE_TIMEOUT_S,
                                                 "max-conns", MAX_IN_FLIGHT,
                                                 "max-conns-per-host", MAX_IN_FLIGHT,
                                                 "user-agent", "crewdesk-sim/" PACKAGE_VERSION,
                                                 NULL);
  return self;
}

const char *
cd_sim_client_get_base_url (CdSimClient *self)
{
  g_return_val_if_fail (CD_IS_SIM_CLIENT (self), NULL);

  return self->base_url;
}

void
cd_sim_client_get_stats (CdSimClient      *self,
                         CdSimClientStats *stats)
{
  g_return_if_fail (CD_IS_SIM_CLIENT (self));

  *stats = self->stats;
}
