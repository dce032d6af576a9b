/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-sync-client.c: login, pull, push and the event stream over libsoup 3. */
#include "config.h"

#define G_LOG_DOMAIN "CrewdeskSync"

#include <glib/gi18n-lib.h>
#include <libsoup/soup.h>
#include <string.h>

#include "cd-model.h"
#include "cd-sync-client.h"
#include "cd-sync-private.h"

/* libsoup 3.2 waits forever by default; a dead server must surface. */
#define REQUEST_TIMEOUT_S   30
#define IDLE_TIMEOUT_S      60
/* The stream is watched by the engine's heartbeat deadline; this only
 * bounds a socket that hangs below it. */
#define EVENTS_TIMEOUT_S    120
/* A changes page or a snapshot is far larger than any request. */
#define REPLY_MAX_BYTES     ((gsize) 1024 * 1024 * 1024)
#define BATCH_MAX_BYTES     (512 * 1024)

struct _CdSyncClient
{
  GObject        parent_instance;

  SoupSession   *session;
  SoupSession   *events_session;
  GCancellable  *cancellable;
  char          *base_url;
  char          *token;
  gint64         clock_offset_ms;
  GError        *last_error;
  guint          page_size;
  guint          batch_size;
};

G_DEFINE_FINAL_TYPE (CdSyncClient, cd_sync_client, G_TYPE_OBJECT)

/* Errors ------------------------------------------------------------------ */

static void
record_error (CdSyncClient *self,
              const GError *error)
{
  g_clear_error (&self->last_error);
  if (error != NULL)
    {
      self->last_error = g_error_copy (error);
      g_debug ("Sync: %s", error->message);
    }
}

static void
set_malformed (GError     **error,
               const char  *what,
               const char  *detail)
{
  g_set_error (error, CD_SYNC_ERROR, CD_SYNC_ERROR_MALFORMED,
               _("The server sent a reply Crewdesk cannot use (%s: %s). Nothing was changed "
                 "on this computer. Tell your administrator; Crewdesk will try again."),
               what, detail);
}

/* The "message" of an error reply, when it has one. */
static char *
error_reply_message (GBytes *body)
{
  g_autoptr(JsonNode) node = NULL;
  JsonNode *error_node;
  JsonNode *message;
  gsize size = 0;
  const char *data;

  if (body == NULL)
    return NULL;
  data = g_bytes_get_data (body, &size);
  node = cd_json_parse (data, size, CD_JSON_MAX_BYTES, CD_JSON_MAX_DEPTH, NULL);
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return NULL;
  error_node = json_object_get_member (json_node_get_object (node), "error");
  if (error_node == NULL || !JSON_NODE_HOLDS_OBJECT (error_node))
    return NULL;
  message = json_object_get_member (json_node_get_object (error_node), "message");
  if (message == NULL || json_node_get_value_type (message) != G_TYPE_STRING)
    return NULL;

  return g_strdup (json_node_get_string (message));
}

/* Turns a finished exchange into success or a CD_SYNC_ERROR. */
static gboolean
check_reply (CdSyncClient  *self,
             SoupMessage   *msg,
             GBytes        *body,
             GError        *transport_error,
             gint64         sent_at_us,
             GError       **error)
{
  SoupMessageHeaders *headers;
  const char *server_time;
  guint status;

  if (transport_error != NULL)
    {
      if (g_error_matches (transport_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_propagate_error (error, transport_error);
      else
        {
          g_set_error (error, CD_SYNC_ERROR, CD_SYNC_ERROR_NETWORK,
                       _("The server at %s cannot be reached (%s). Your changes are kept on this "
                         "computer and will be sent when it is back."),
                       self->base_url, transport_error->message);
          g_error_free (transport_error);
        }
      return FALSE;
    }

  headers = soup_message_get_response_headers (msg);
  server_time = soup_message_headers_get_one (headers, "X-Crewdesk-Time-Ms");
  if (server_time != NULL)
    {
      guint64 ms = 0;

      if (g_ascii_string_to_unsigned (server_time, 10, 1, G_MAXINT64, &ms, NULL))
        {
          /* The reply left the server about halfway through the exchange. */
          gint64 now_us = g_get_real_time ();
          gint64 midpoint_ms = (sent_at_us + (now_us - sent_at_us) / 2) / 1000;

          self->clock_offset_ms = (gint64) ms - midpoint_ms;
        }
    }

  status = soup_message_get_status (msg);
  if (status >= 200 && status < 300)
    return TRUE;

  {
    g_autofree char *message = error_reply_message (body);
    const char *detail = message != NULL ? message : soup_message_get_reason_phrase (msg);

    if (status == 401)
      g_set_error (error, CD_SYNC_ERROR, CD_SYNC_ERROR_UNAUTHORIZED,
                   _("Your session has ended (%s). Sign in again; your changes are kept."), detail);
    else if (status == 429)
      g_set_error (error, CD_SYNC_ERROR, CD_SYNC_ERROR_THROTTLED,
                   _("The server refused too many attempts (%s). Wait a moment, then try again."),
                   detail);
    else
      g_set_error (error, CD_SYNC_ERROR, CD_SYNC_ERROR_SERVER,
                   _("The server answered with an error (%u: %s). Crewdesk will try again; "
                     "your changes are kept."), status, detail);
  }

  return FALSE;
}

/* Requests ---------------------------------------------------------------- */

typedef void (*ReplyFunc) (CdSyncClient *self,
                           GTask        *task,
                           SoupMessage  *msg,
                           GBytes       *body,
                           GError       *transport_error);

typedef struct {
  CdSyncClient *self;
  GTask        *task;
  SoupMessage  *msg;
  gint64        sent_at_us;
  ReplyFunc     func;
} Exchange;

static void
exchange_read_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  Exchange *ex = user_data;
  GError *error = NULL;
  g_autoptr(GBytes) body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);

  g_object_set_data (G_OBJECT (ex->msg), "cd-sent-at", &ex->sent_at_us);
  ex->func (ex->self, ex->task, ex->msg, body, error);

  g_object_unref (ex->msg);
  g_object_unref (ex->task);
  g_object_unref (ex->self);
  g_free (ex);
}

static void
send_request (CdSyncClient *self,
              GTask        *task,
              const char   *method,
              const char   *path,
              GBytes       *body,
              ReplyFunc     func)
{
  g_autofree char *url = g_strconcat (self->base_url, path, NULL);
  SoupMessage *msg = soup_message_new (method, url);
  Exchange *ex;

  if (msg == NULL)
    {
      g_task_return_new_error (task, CD_SYNC_ERROR, CD_SYNC_ERROR_FAILED,
                               _("“%s” is not a server address. Check the address in the settings."),
                               self->base_url);
      return;
    }

  if (self->token != NULL)
    {
      g_autofree char *value = g_strconcat ("Bearer ", self->token, NULL);

      soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", value);
    }
  if (body != NULL)
    soup_message_set_request_body_from_bytes (msg, "application/json", body);

  ex = g_new0 (Exchange, 1);
  ex->self = g_object_ref (self);
  ex->task = g_object_ref (task);
  ex->msg = msg;
  ex->func = func;
  ex->sent_at_us = g_get_real_time ();
  soup_session_send_and_read_async (self->session, msg, G_PRIORITY_DEFAULT,
                                    g_task_get_cancellable (task), exchange_read_cb, ex);
}

static gint64
exchange_sent_at (SoupMessage *msg)
{
  gint64 *at = g_object_get_data (G_OBJECT (msg), "cd-sent-at");

  return at != NULL ? *at : g_get_real_time ();
}

/* JSON checks ------------------------------------------------------------- */

static JsonNode *
member_of_type (JsonObject *o,
                const char *name,
                GType       value_type)
{
  JsonNode *node = json_object_get_member (o, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != value_type)
    return NULL;

  return node;
}

static gboolean
get_int (JsonObject  *o,
         const char  *name,
         gint64      *out,
         GError     **error)
{
  JsonNode *node = member_of_type (o, name, G_TYPE_INT64);

  if (node == NULL || json_node_get_int (node) < 0)
    {
      set_malformed (error, name, _("not a whole number"));
      return FALSE;
    }

  *out = json_node_get_int (node);
  return TRUE;
}

static const char *
get_string (JsonObject  *o,
            const char  *name,
            GError     **error)
{
  JsonNode *node = member_of_type (o, name, G_TYPE_STRING);

  if (node == NULL)
    {
      set_malformed (error, name, _("not a string"));
      return NULL;
    }

  return json_node_get_string (node);
}

static JsonArray *
get_array (JsonObject  *o,
           const char  *name,
           GError     **error)
{
  JsonNode *node = json_object_get_member (o, name);

  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    {
      set_malformed (error, name, _("not a list"));
      return NULL;
    }

  return json_node_get_array (node);
}

/* Where the records' text lies in a reply ------------------------------- *
 *
 * The reply is parsed (and so validated) by json-glib; this scanner then
 * finds the byte range of each record in the same text, so the cache
 * stores the server's own text instead of encoding every record again. */

typedef struct {
  gsize offset;
  gsize length;
} Span;

static const char *
skip_ws (const char *p,
         const char *end)
{
  while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
    p++;
  return p;
}

static const char *
skip_string (const char *p,
             const char *end)
{
  g_assert (*p == '"');
  for (p++; p < end; p++)
    {
      if (*p == '\\')
        p++;
      else if (*p == '"')
        return p + 1;
    }
  return NULL;
}

static const char *
skip_value (const char *p,
            const char *end)
{
  int depth = 0;

  if (p >= end)
    return NULL;
  if (*p == '"')
    return skip_string (p, end);
  if (*p != '{' && *p != '[')
    {
      while (p < end && strchr (",]} \t\r\n", *p) == NULL)
        p++;
      return p;
    }

  while (p < end)
    {
      if (*p == '"')
        {
          p = skip_string (p, end);
          if (p == NULL)
            return NULL;
          continue;
        }
      if (*p == '{' || *p == '[')
        depth++;
      else if (*p == '}' || *p == ']')
        {
          depth--;
          if (depth == 0)
            return p + 1;
        }
      p++;
    }

  return NULL;
}

/* In the object at @p, finds member @name; returns its value's start. */
static const char *
find_member (const char *p,
             const char *end,
             const char *name)
{
  gsize name_len = strlen (name);

  p = skip_ws (p, end);
  if (p >= end || *p != '{')
    return NULL;
  p++;
  for (;;)
    {
      const char *key;
      const char *key_end;

      p = skip_ws (p, end);
      if (p >= end || *p != '"')
        return NULL;
      key = p + 1;
      key_end = skip_string (p, end);
      if (key_end == NULL)
        return NULL;
      p = skip_ws (key_end, end);
      if (p >= end || *p != ':')
        return NULL;
      p = skip_ws (p + 1, end);
      if ((gsize) (key_end - 1 - key) == name_len && memcmp (key, name, name_len) == 0)
        return p;
      p = skip_value (p, end);
      if (p == NULL)
        return NULL;
      p = skip_ws (p, end);
      if (p < end && *p == ',')
        p++;
      else
        return NULL;
    }
}

/* The spans of the elements of the top-level array @member (or, with
 * @inner, of member @inner of each element). */
static GArray *
scan_spans (const char *data,
            gsize       length,
            const char *member,
            const char *inner)
{
  const char *end = data + length;
  const char *p = find_member (data, end, member);
  g_autoptr(GArray) spans = g_array_new (FALSE, FALSE, sizeof (Span));

  if (p == NULL || *p != '[')
    return NULL;
  p = skip_ws (p + 1, end);
  if (p < end && *p == ']')
    return g_steal_pointer (&spans);

  for (;;)
    {
      const char *value_end = skip_value (p, end);
      Span span;

      if (value_end == NULL)
        return NULL;
      if (inner != NULL)
        {
          const char *v = find_member (p, value_end, inner);
          const char *v_end = v != NULL ? skip_value (v, value_end) : NULL;

          if (v_end == NULL)
            return NULL;
          span.offset = v - data;
          span.length = v_end - v;
        }
      else
        {
          span.offset = p - data;
          span.length = value_end - p;
        }
      g_array_append_val (spans, span);

      p = skip_ws (value_end, end);
      if (p < end && *p == ',')
        p = skip_ws (p + 1, end);
      else if (p < end && *p == ']')
        return g_steal_pointer (&spans);
      else
        return NULL;
    }
}

static CdSyncRow *
decode_row (GType        type,
            JsonNode    *node,
            const char  *data,
            const Span  *span,
            GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  CdSyncRow *row;
  CdRecord *record = cd_record_new_from_json (type, node, CD_DECODE_DEFAULT, &local_error);

  if (record == NULL)
    {
      set_malformed (error, g_type_name (type), local_error->message);
      return NULL;
    }
  if (record->id == NULL)
    {
      g_object_unref (record);
      set_malformed (error, g_type_name (type), _("a record without an id"));
      return NULL;
    }

  row = g_new0 (CdSyncRow, 1);
  row->type = type;
  row->id = g_strdup (record->id);
  row->rev = record->rev;
  row->record = record;
  row->json = data + span->offset;
  row->json_len = span->length;
  return row;
}

/* Pull -------------------------------------------------------------------- */

typedef struct {
  CdSyncCache *cache;
  gint64       since;
  guint        n_rows;
  guint        n_pages;
  gboolean     snapshot_loaded;
} PullData;

static void
pull_data_free (PullData *data)
{
  g_clear_object (&data->cache);
  g_free (data);
}

/* A page decoded in a worker thread and applied to the cache there. */
typedef struct {
  CdSyncCache *cache;
  GBytes      *body;
  gboolean     snapshot;
  gint64       since;
  /* out */
  gint64       next_since;
  gboolean     more;
  guint        n_rows;
} PageJob;

static void
page_job_free (PageJob *job)
{
  g_clear_object (&job->cache);
  g_clear_pointer (&job->body, g_bytes_unref);
  g_free (job);
}

static gboolean
decode_changes (PageJob    *job,
                const char *data,
                gsize       size,
                JsonObject *o,
                GPtrArray  *rows,
                GError    **error)
{
  JsonArray *changes = get_array (o, "changes", error);
  g_autoptr(GArray) spans = NULL;
  JsonNode *more;
  gint64 last_rev, complete_rev;
  guint n;

  if (changes == NULL || !get_int (o, "last_rev", &last_rev, error))
    return FALSE;
  more = member_of_type (o, "more", G_TYPE_BOOLEAN);
  if (more == NULL)
    {
      set_malformed (error, "more", _("not true or false"));
      return FALSE;
    }

  n = json_array_get_length (changes);
  spans = scan_spans (data, size, "changes", "record");
  if (spans == NULL || spans->len != n)
    {
      set_malformed (error, "changes", _("the list could not be read"));
      return FALSE;
    }

  complete_rev = job->since;
  for (guint i = 0; i < n; i++)
    {
      JsonNode *element = json_array_get_element (changes, i);
      JsonObject *c;
      JsonNode *deleted, *record;
      const char *kind, *id;
      gint64 rev;
      GType type;
      CdSyncRow *row;

      if (!JSON_NODE_HOLDS_OBJECT (element))
        {
          set_malformed (error, "changes", _("an item is not an object"));
          return FALSE;
        }
      c = json_node_get_object (element);
      kind = get_string (c, "kind", error);
      id = kind != NULL ? get_string (c, "id", error) : NULL;
      if (id == NULL || !get_int (c, "rev", &rev, error))
        return FALSE;
      deleted = member_of_type (c, "deleted", G_TYPE_BOOLEAN);
      record = json_object_get_member (c, "record");
      type = cd_record_type_from_kind (kind);
      if (deleted == NULL || record == NULL || type == G_TYPE_INVALID)
        {
          set_malformed (error, "changes", _("an item lacks “deleted” or “record”, or has an unknown kind"));
          return FALSE;
        }
      if (rev <= job->since || rev > last_rev)
        {
          set_malformed (error, "changes", _("an item's revision is out of order"));
          return FALSE;
        }

      if (json_node_get_boolean (deleted))
        {
          row = g_new0 (CdSyncRow, 1);
          row->type = type;
          row->id = g_strdup (id);
          row->rev = rev;
        }
      else
        {
          row = decode_row (type, record, data, &g_array_index (spans, Span, i), error);
          if (row == NULL)
            return FALSE;
          if (g_strcmp0 (row->id, id) != 0)
            {
              cd_sync_row_free (row);
              set_malformed (error, "changes", _("an item's id differs from its record's"));
              return FALSE;
            }
        }
      g_ptr_array_add (rows, row);
    }

  /* A page may end inside one revision (an assignment writes the ticket
   * and its event under one): start the next page at the last revision
   * known to be whole, so a row the page cut off is fetched. Rows fetched
   * twice are saved twice, harmlessly. */
  job->more = json_node_get_boolean (more);
  if (job->more && n > 0)
    {
      gint64 last_row_rev = ((CdSyncRow *) g_ptr_array_index (rows, n - 1))->rev;

      for (guint i = n; i > 0; i--)
        {
          gint64 r = ((CdSyncRow *) g_ptr_array_index (rows, i - 1))->rev;

          if (r < last_row_rev)
            {
              complete_rev = r;
              break;
            }
        }
      /* One revision fills the whole page: nothing better to do than go
       * past it. */
      if (complete_rev == job->since)
        complete_rev = last_row_rev;
      job->next_since = complete_rev;
    }
  else
    job->next_since = MAX (last_rev, job->since);

  return TRUE;
}

static gboolean
decode_snapshot (PageJob    *job,
                 const char *data,
                 gsize       size,
                 JsonObject *o,
                 GPtrArray  *rows,
                 GError    **error)
{
  static const struct { const char *member; GType (*type) (void); } lists[] = {
    { "tickets", cd_ticket_get_type },
    { "crews", cd_crew_get_type },
    { "callbacks", cd_callback_get_type },
    { "assignment_events", cd_assignment_event_get_type },
    { "sla_policies", cd_sla_policy_get_type },
    { "users", cd_user_get_type },
  };
  gint64 rev;

  if (!get_int (o, "rev", &rev, error))
    return FALSE;

  for (guint k = 0; k < G_N_ELEMENTS (lists); k++)
    {
      JsonArray *array = get_array (o, lists[k].member, error);
      g_autoptr(GArray) spans = NULL;

      if (array == NULL)
        return FALSE;
      spans = scan_spans (data, size, lists[k].member, NULL);
      if (spans == NULL || spans->len != json_array_get_length (array))
        {
          set_malformed (error, lists[k].member, _("the list could not be read"));
          return FALSE;
        }
      for (guint i = 0; i < spans->len; i++)
        {
          CdSyncRow *row = decode_row (lists[k].type (), json_array_get_element (array, i), data,
                                       &g_array_index (spans, Span, i), error);

          if (row == NULL)
            return FALSE;
          g_ptr_array_add (rows, row);
        }
    }

  job->next_since = rev;
  job->more = TRUE; /* pull the feed from the snapshot on */
  return TRUE;
}

static void
page_job_run (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  PageJob *job = task_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func ((GDestroyNotify) cd_sync_row_free);
  gsize size = 0;
  const char *data = g_bytes_get_data (job->body, &size);
  gint64 t0 = g_get_monotonic_time (), t1, t2;
  gboolean ok;

  root = cd_json_parse (data, size, REPLY_MAX_BYTES, CD_JSON_MAX_DEPTH, &error);
  t1 = g_get_monotonic_time ();
  if (root == NULL)
    {
      g_autoptr(GError) malformed = NULL;

      set_malformed (&malformed, job->snapshot ? "snapshot" : "changes", error->message);
      g_task_return_error (task, g_steal_pointer (&malformed));
      return;
    }
  if (!JSON_NODE_HOLDS_OBJECT (root))
    {
      set_malformed (&error, job->snapshot ? "snapshot" : "changes", _("not an object"));
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  ok = job->snapshot
       ? decode_snapshot (job, data, size, json_node_get_object (root), rows, &error)
       : decode_changes (job, data, size, json_node_get_object (root), rows, &error);
  t2 = g_get_monotonic_time ();
  if (ok && !g_task_return_error_if_cancelled (task))
    {
      ok = _cd_sync_cache_apply_rows (job->cache, rows, job->next_since, job->snapshot, &error);
      job->n_rows = rows->len;
      g_debug ("Page of %u rows, %zu bytes: parse %.0f ms, decode %.0f ms, save %.0f ms", rows->len, size,
               (t1 - t0) / 1e3, (t2 - t1) / 1e3, (g_get_monotonic_time () - t2) / 1e3);
    }
  else if (ok)
    return;

  if (!ok)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

static void pull_next (CdSyncClient *self, GTask *task);

static void
page_applied_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  CdSyncClient *self = CD_SYNC_CLIENT (source);
  g_autoptr(GTask) task = user_data;
  PullData *data = g_task_get_task_data (task);
  PageJob *job = g_task_get_task_data (G_TASK (result));
  GError *error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      record_error (self, error);
      g_task_return_error (task, error);
      return;
    }

  data->n_rows += job->n_rows;
  data->n_pages++;
  data->since = job->next_since;
  g_debug ("Pulled %u rows up to revision %" G_GINT64_FORMAT, job->n_rows, data->since);

  if (job->more)
    pull_next (self, task);
  else
    {
      record_error (self, NULL);
      g_task_return_boolean (task, TRUE);
    }
}

static void
run_page_job (CdSyncClient *self,
              GTask        *task,
              GBytes       *body,
              gboolean      snapshot)
{
  PullData *data = g_task_get_task_data (task);
  GTask *job_task = g_task_new (self, g_task_get_cancellable (task), page_applied_cb, g_object_ref (task));
  PageJob *job = g_new0 (PageJob, 1);

  job->cache = g_object_ref (data->cache);
  job->body = g_bytes_ref (body);
  job->snapshot = snapshot;
  job->since = data->since;
  g_task_set_task_data (job_task, job, (GDestroyNotify) page_job_free);
  g_task_set_name (job_task, "cd-sync-apply-page");
  g_task_run_in_thread (job_task, page_job_run);
  g_object_unref (job_task);
}

static void
snapshot_reply (CdSyncClient *self,
                GTask        *task,
                SoupMessage  *msg,
                GBytes       *body,
                GError       *transport_error)
{
  GError *error = NULL;

  if (!check_reply (self, msg, body, transport_error, exchange_sent_at (msg), &error))
    {
      record_error (self, error);
      g_task_return_error (task, error);
      return;
    }

  ((PullData *) g_task_get_task_data (task))->snapshot_loaded = TRUE;
  run_page_job (self, task, body, TRUE);
}

static void
changes_reply (CdSyncClient *self,
               GTask        *task,
               SoupMessage  *msg,
               GBytes       *body,
               GError       *transport_error)
{
  PullData *data = g_task_get_task_data (task);
  GError *error = NULL;

  if (transport_error == NULL && soup_message_get_status (msg) == 410 && !data->snapshot_loaded)
    {
      check_reply (self, msg, body, NULL, exchange_sent_at (msg), NULL);
      g_debug ("Revision %" G_GINT64_FORMAT " is past the server's history: loading a snapshot",
               data->since);
      send_request (self, task, "GET", "/api/v1/snapshot", NULL, snapshot_reply);
      return;
    }

  if (!check_reply (self, msg, body, transport_error, exchange_sent_at (msg), &error))
    {
      record_error (self, error);
      g_task_return_error (task, error);
      return;
    }

  run_page_job (self, task, body, FALSE);
}

static void
pull_next (CdSyncClient *self,
           GTask        *task)
{
  PullData *data = g_task_get_task_data (task);
  g_autofree char *path = g_strdup_printf ("/api/v1/changes?since=%" G_GINT64_FORMAT "&limit=%u",
                                           data->since, self->page_size);

  send_request (self, task, "GET", path, NULL, changes_reply);
}

/* Push -------------------------------------------------------------------- */

typedef struct {
  CdSyncCache      *cache;
  CdSyncPushResult  stats;
  GPtrArray        *batch;   /* CdOutboxEntry being sent */
} PushData;

static void
push_data_free (PushData *data)
{
  g_clear_object (&data->cache);
  g_clear_pointer (&data->batch, g_ptr_array_unref);
  g_free (data);
}

typedef struct {
  CdSyncCache      *cache;
  GBytes           *body;
  guint             batch_size;
  /* out */
  GPtrArray        *batch;
  CdSyncPushStats   stats;
} PushJob;

static void
push_job_free (PushJob *job)
{
  g_clear_object (&job->cache);
  g_clear_pointer (&job->body, g_bytes_unref);
  g_clear_pointer (&job->batch, g_ptr_array_unref);
  g_free (job);
}

static CdSyncResult *
decode_result (JsonNode  *node,
               GError   **error)
{
  g_autoptr(GError) local_error = NULL;
  CdSyncResult *result;
  JsonObject *o;
  const char *id, *status;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      set_malformed (error, "results", _("an item is not an object"));
      return NULL;
    }
  o = json_node_get_object (node);
  id = get_string (o, "id", error);
  status = id != NULL ? get_string (o, "status", error) : NULL;
  if (status == NULL)
    return NULL;

  result = g_new0 (CdSyncResult, 1);
  result->id = g_strdup (id);

  if (strcmp (status, "applied") == 0)
    {
      JsonArray *records = get_array (o, "records", error);

      result->status = CD_SYNC_RESULT_APPLIED;
      result->records = g_ptr_array_new_with_free_func (g_object_unref);
      for (guint i = 0; records != NULL && i < json_array_get_length (records); i++)
        {
          JsonNode *item = json_array_get_element (records, i);
          JsonObject *r = JSON_NODE_HOLDS_OBJECT (item) ? json_node_get_object (item) : NULL;
          const char *kind = r != NULL ? get_string (r, "kind", NULL) : NULL;
          GType type = kind != NULL ? cd_record_type_from_kind (kind) : G_TYPE_INVALID;
          JsonNode *record_node = r != NULL ? json_object_get_member (r, "record") : NULL;
          CdRecord *record;

          if (type == G_TYPE_INVALID || record_node == NULL)
            {
              set_malformed (error, "records", _("an item lacks its kind or record"));
              cd_sync_result_free (result);
              return NULL;
            }
          record = cd_record_new_from_json (type, record_node, CD_DECODE_DEFAULT, &local_error);
          if (record == NULL || record->id == NULL)
            {
              set_malformed (error, "records", local_error ? local_error->message : _("a record without an id"));
              g_clear_object (&record);
              cd_sync_result_free (result);
              return NULL;
            }
          g_ptr_array_add (result->records, record);
        }
      if (records == NULL)
        {
          cd_sync_result_free (result);
          return NULL;
        }
    }
  else if (strcmp (status, "conflict") == 0 || strcmp (status, "rejected") == 0)
    {
      JsonNode *err = json_object_get_member (o, "error");
      JsonNode *current = json_object_get_member (o, "current");

      result->status = strcmp (status, "conflict") == 0 ? CD_SYNC_RESULT_CONFLICT : CD_SYNC_RESULT_REJECTED;
      if (err == NULL || !JSON_NODE_HOLDS_OBJECT (err) ||
          (result->code = g_strdup (get_string (json_node_get_object (err), "code", NULL))) == NULL ||
          (result->message = g_strdup (get_string (json_node_get_object (err), "message", NULL))) == NULL)
        {
          set_malformed (error, "error", _("a refusal without its code or message"));
          cd_sync_result_free (result);
          return NULL;
        }
      if (current != NULL && !JSON_NODE_HOLDS_NULL (current))
        {
          if (!JSON_NODE_HOLDS_OBJECT (current))
            {
              set_malformed (error, "current", _("not an object"));
              cd_sync_result_free (result);
              return NULL;
            }
          result->current_node = json_node_copy (current);
        }
    }
  else
    {
      set_malformed (error, "status", status);
      cd_sync_result_free (result);
      return NULL;
    }

  return result;
}

static void
push_results_run (GTask        *task,
                  gpointer      source_object,
                  gpointer      task_data,
                  GCancellable *cancellable)
{
  PushJob *job = task_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GPtrArray) results = g_ptr_array_new_with_free_func ((GDestroyNotify) cd_sync_result_free);
  JsonArray *array;
  gsize size = 0;
  const char *data = g_bytes_get_data (job->body, &size);

  root = cd_json_parse (data, size, REPLY_MAX_BYTES, CD_JSON_MAX_DEPTH, &error);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_autoptr(GError) malformed = NULL;

      set_malformed (&malformed, "results", error ? error->message : _("not an object"));
      g_task_return_error (task, g_steal_pointer (&malformed));
      return;
    }
  array = get_array (json_node_get_object (root), "results", &error);
  if (array == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      CdSyncResult *result = decode_result (json_array_get_element (array, i), &error);

      if (result == NULL)
        {
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }
      g_ptr_array_add (results, result);
    }

  if (!_cd_sync_cache_apply_results (job->cache, results, &job->stats, &error))
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

static void push_next (CdSyncClient *self, GTask *task);

static void
push_results_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  CdSyncClient *self = CD_SYNC_CLIENT (source);
  g_autoptr(GTask) task = user_data;
  PushData *data = g_task_get_task_data (task);
  PushJob *job = g_task_get_task_data (G_TASK (result));
  GError *error = NULL;
  guint answered;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      record_error (self, error);
      g_task_return_error (task, error);
      return;
    }

  answered = job->stats.applied + job->stats.conflicts + job->stats.rejected;
  data->stats.applied += job->stats.applied;
  data->stats.conflicts += job->stats.conflicts;
  data->stats.rejected += job->stats.rejected;
  data->stats.batches++;

  /* A reply that answers none of the batch would make us send it forever. */
  if (answered == 0 && data->batch != NULL && data->batch->len > 0)
    {
      set_malformed (&error, "results", _("none of the changes sent was answered"));
      record_error (self, error);
      g_task_return_error (task, error);
      return;
    }

  push_next (self, task);
}

static void
mutations_reply (CdSyncClient *self,
                 GTask        *task,
                 SoupMessage  *msg,
                 GBytes       *body,
                 GError       *transport_error)
{
  PushData *data = g_task_get_task_data (task);
  GError *error = NULL;
  GTask *job_task;
  PushJob *job;

  if (!check_reply (self, msg, body, transport_error, exchange_sent_at (msg), &error))
    {
      record_error (self, error);
      g_task_return_error (task, error);
      return;
    }

  job = g_new0 (PushJob, 1);
  job->cache = g_object_ref (data->cache);
  job->body = g_bytes_ref (body);
  job_task = g_task_new (self, g_task_get_cancellable (task), push_results_cb, g_object_ref (task));
  g_task_set_task_data (job_task, job, (GDestroyNotify) push_job_free);
  g_task_set_name (job_task, "cd-sync-apply-results");
  g_task_run_in_thread (job_task, push_results_run);
  g_object_unref (job_task);
}

static void
push_next (CdSyncClient *self,
           GTask        *task)
{
  PushData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) body = NULL;
  g_autoptr(GBytes) bytes = NULL;

  /* Quick: reads a few hundred rows and marks them sent. */
  g_clear_pointer (&data->batch, g_ptr_array_unref);
  data->batch = _cd_sync_cache_begin_push (data->cache, self->batch_size, BATCH_MAX_BYTES, &error);
  if (data->batch == NULL)
    {
      record_error (self, error);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (data->batch->len == 0)
    {
      record_error (self, NULL);
      g_task_return_boolean (task, TRUE);
      return;
    }

  /* The stored texts as they are: the server decodes them strictly. */
  body = g_string_sized_new (BATCH_MAX_BYTES + 64);
  g_string_append (body, "{\"mutations\":[");
  for (guint i = 0; i < data->batch->len; i++)
    {
      CdOutboxEntry *e = g_ptr_array_index (data->batch, i);

      if (i > 0)
        g_string_append_c (body, ',');
      g_string_append (body, e->mutation);
    }
  g_string_append (body, "]}");
  bytes = g_string_free_to_bytes (g_steal_pointer (&body));

  send_request (self, task, "POST", "/api/v1/mutations", bytes, mutations_reply);
}

/* Login ------------------------------------------------------------------- */

static void
login_reply (CdSyncClient *self,
             GTask        *task,
             SoupMessage  *msg,
             GBytes       *body,
             GError       *transport_error)
{
  GError *error = NULL;
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GError) local_error = NULL;
  JsonObject *o;
  JsonNode *user_node;
  const char *token;
  CdUser *user;
  gsize size = 0;
  const char *data;

  if (transport_error == NULL && soup_message_get_status (msg) == 401)
    {
      check_reply (self, msg, body, NULL, exchange_sent_at (msg), NULL);
      error = g_error_new_literal (CD_SYNC_ERROR, CD_SYNC_ERROR_BAD_CREDENTIALS,
                                   _("The user name or the password is wrong. Check them and "
                                     "sign in again."));
      record_error (self, error);
      g_task_return_error (task, error);
      return;
    }
  if (!check_reply (self, msg, body, transport_error, exchange_sent_at (msg), &error))
    {
      record_error (self, error);
      g_task_return_error (task, error);
      return;
    }

  data = g_bytes_get_data (body, &size);
  root = cd_json_parse (data, size, CD_JSON_MAX_BYTES, CD_JSON_MAX_DEPTH, &local_error);
  o = root != NULL && JSON_NODE_HOLDS_OBJECT (root) ? json_node_get_object (root) : NULL;
  token = o != NULL ? get_string (o, "token", NULL) : NULL;
  user_node = o != NULL ? json_object_get_member (o, "user") : NULL;
  user = token != NULL && user_node != NULL
         ? cd_record_new_from_json (CD_TYPE_USER, user_node, CD_DECODE_DEFAULT, NULL) : NULL;
  if (user == NULL)
    {
      set_malformed (&error, "login", local_error ? local_error->message : _("no token or user"));
      record_error (self, error);
      g_task_return_error (task, error);
      return;
    }

  g_free (self->token);
  self->token = g_strdup (token);
  record_error (self, NULL);
  g_task_return_pointer (task, user, g_object_unref);
}

/* GObject ----------------------------------------------------------------- */

static void
cd_sync_client_dispose (GObject *object)
{
  CdSyncClient *self = (CdSyncClient *) object;

  g_cancellable_cancel (self->cancellable);
  if (self->session != NULL)
    soup_session_abort (self->session);
  if (self->events_session != NULL)
    soup_session_abort (self->events_session);
  g_clear_object (&self->session);
  g_clear_object (&self->events_session);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (cd_sync_client_parent_class)->dispose (object);
}

static void
cd_sync_client_finalize (GObject *object)
{
  CdSyncClient *self = (CdSyncClient *) object;

  g_free (self->base_url);
  g_free (self->token);
  g_clear_error (&self->last_error);

  G_OBJECT_CLASS (cd_sync_client_parent_class)->finalize (object);
}

static void
cd_sync_client_class_init (CdSyncClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = cd_sync_client_dispose;
  object_class->finalize = cd_sync_client_finalize;
}

static void
cd_sync_client_init (CdSyncClient *self)
{
  g_autofree char *agent = g_strconcat ("Crewdesk/", PACKAGE_VERSION, NULL);

  self->cancellable = g_cancellable_new ();
  self->page_size = 5000;
  self->batch_size = 500;
  self->session = soup_session_new_with_options ("timeout", REQUEST_TIMEOUT_S,
                                                 "idle-timeout", IDLE_TIMEOUT_S,
                                                 "user-agent", agent,
                                                 NULL);
  self->events_session = soup_session_new_with_options ("timeout", EVENTS_TIMEOUT_S,
                                                        "idle-timeout", IDLE_TIMEOUT_S,
                                                        "user-agent", agent,
                                                        NULL);
}

/* Public API -------------------------------------------------------------- */

/* @base_url: "https://crewdesk.example.org" (no trailing slash needed) */
CdSyncClient *
cd_sync_client_new (const char *base_url)
{
  CdSyncClient *self;

  g_return_val_if_fail (base_url != NULL, NULL);

  self = g_object_new (CD_TYPE_SYNC_CLIENT, NULL);
  cd_sync_client_set_base_url (self, base_url);

  return self;
}

void
cd_sync_client_set_base_url (CdSyncClient *self,
                             const char   *base_url)
{
  gsize len;

  g_return_if_fail (CD_IS_SYNC_CLIENT (self));
  g_return_if_fail (base_url != NULL);

  len = strlen (base_url);
  while (len > 0 && base_url[len - 1] == '/')
    len--;
  g_free (self->base_url);
  self->base_url = g_strndup (base_url, len);
}

const char *
cd_sync_client_get_base_url (CdSyncClient *self)
{
  g_return_val_if_fail (CD_IS_SYNC_CLIENT (self), NULL);

  return self->base_url;
}

void
cd_sync_client_set_token (CdSyncClient *self,
                          const char   *token)
{
  g_return_if_fail (CD_IS_SYNC_CLIENT (self));

  g_free (self->token);
  self->token = g_strdup (token);
}

const char *
cd_sync_client_get_token (CdSyncClient *self)
{
  g_return_val_if_fail (CD_IS_SYNC_CLIENT (self), NULL);

  return self->token;
}

gint64
cd_sync_client_get_clock_offset_ms (CdSyncClient *self)
{
  g_return_val_if_fail (CD_IS_SYNC_CLIENT (self), 0);

  return self->clock_offset_ms;
}

const GError *
cd_sync_client_get_last_error (CdSyncClient *self)
{
  g_return_val_if_fail (CD_IS_SYNC_CLIENT (self), NULL);

  return self->last_error;
}

void
cd_sync_client_set_page_size (CdSyncClient *self,
                              guint         rows)
{
  g_return_if_fail (CD_IS_SYNC_CLIENT (self));
  g_return_if_fail (rows > 0);

  self->page_size = rows;
}

void
cd_sync_client_set_batch_size (CdSyncClient *self,
                               guint         mutations)
{
  g_return_if_fail (CD_IS_SYNC_CLIENT (self));
  g_return_if_fail (mutations > 0);

  self->batch_size = mutations;
}

/* Stops everything under way; what already reached the cache stays. */
void
cd_sync_client_cancel (CdSyncClient *self)
{
  g_return_if_fail (CD_IS_SYNC_CLIENT (self));

  g_cancellable_cancel (self->cancellable);
  g_object_unref (self->cancellable);
  self->cancellable = g_cancellable_new ();
}

void
cd_sync_client_login_async (CdSyncClient        *self,
                            const char          *username,
                            const char          *password,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GBytes) body = NULL;
  gsize length = 0;
  char *text;

  g_return_if_fail (CD_IS_SYNC_CLIENT (self));
  g_return_if_fail (username != NULL && password != NULL);

  task = g_task_new (self, self->cancellable, callback, user_data);
  g_task_set_source_tag (task, cd_sync_client_login_async);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "username");
  json_builder_add_string_value (b, username);
  json_builder_set_member_name (b, "password");
  json_builder_add_string_value (b, password);
  json_builder_end_object (b);
  node = json_builder_get_root (b);
  text = cd_json_to_string (node, &length);
  body = g_bytes_new_take (text, length);

  g_clear_pointer (&self->token, g_free);
  send_request (self, task, "POST", "/api/v1/login", body, login_reply);
}

/* Returns: (transfer full): the signed-in user; the token is kept. */
CdUser *
cd_sync_client_login_finish (CdSyncClient  *self,
                             GAsyncResult  *result,
                             GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

void
cd_sync_client_pull_async (CdSyncClient        *self,
                           CdSyncCache         *cache,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  PullData *data;

  g_return_if_fail (CD_IS_SYNC_CLIENT (self));
  g_return_if_fail (CD_IS_SYNC_CACHE (cache));

  task = g_task_new (self, self->cancellable, callback, user_data);
  g_task_set_source_tag (task, cd_sync_client_pull_async);
  data = g_new0 (PullData, 1);
  data->cache = g_object_ref (cache);
  g_task_set_task_data (task, data, (GDestroyNotify) pull_data_free);

  data->since = cd_sync_cache_get_last_rev (cache, &error);
  if (data->since < 0)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  pull_next (self, task);
}

gboolean
cd_sync_client_pull_finish (CdSyncClient  *self,
                            GAsyncResult  *result,
                            guint         *n_rows,
                            GError       **error)
{
  PullData *data;

  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  data = g_task_get_task_data (G_TASK (result));
  if (n_rows != NULL)
    *n_rows = data->n_rows;

  return g_task_propagate_boolean (G_TASK (result), error);
}

void
cd_sync_client_push_async (CdSyncClient        *self,
                           CdSyncCache         *cache,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  PushData *data;

  g_return_if_fail (CD_IS_SYNC_CLIENT (self));
  g_return_if_fail (CD_IS_SYNC_CACHE (cache));

  task = g_task_new (self, self->cancellable, callback, user_data);
  g_task_set_source_tag (task, cd_sync_client_push_async);
  data = g_new0 (PushData, 1);
  data->cache = g_object_ref (cache);
  g_task_set_task_data (task, data, (GDestroyNotify) push_data_free);

  push_next (self, task);
}

gboolean
cd_sync_client_push_finish (CdSyncClient      *self,
                            GAsyncResult      *result,
                            CdSyncPushResult  *out,
                            GError           **error)
{
  PushData *data;

  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  data = g_task_get_task_data (G_TASK (result));
  if (out != NULL)
    *out = data->stats;

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
events_sent_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  CdSyncClient *self = g_task_get_source_object (task);
  SoupMessage *msg = g_task_get_task_data (task);
  GError *transport_error = NULL;
  GError *error = NULL;
  g_autoptr(GInputStream) stream = soup_session_send_finish (SOUP_SESSION (source), result, &transport_error);

  if (!check_reply (self, msg, NULL, transport_error, exchange_sent_at (msg), &error))
    {
      record_error (self, error);
      g_task_return_error (task, error);
      return;
    }

  g_task_return_pointer (task, g_steal_pointer (&stream), g_object_unref);
}

/* @cancellable: the stream's own, so the engine can drop one stream. */
void
cd_sync_client_open_events_async (CdSyncClient        *self,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autofree char *url = NULL;
  g_autofree char *auth = NULL;
  SoupMessage *msg;
  gint64 sent_at;

  g_return_if_fail (CD_IS_SYNC_CLIENT (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, cd_sync_client_open_events_async);
  url = g_strconcat (self->base_url, "/api/v1/events", NULL);
  msg = soup_message_new ("GET", url);
  if (msg == NULL)
    {
      g_task_return_new_error (task, CD_SYNC_ERROR, CD_SYNC_ERROR_FAILED,
                               _("“%s” is not a server address. Check the address in the settings."),
                               self->base_url);
      return;
    }
  g_task_set_task_data (task, msg, g_object_unref);
  soup_message_headers_replace (soup_message_get_request_headers (msg), "Accept", "text/event-stream");
  if (self->token != NULL)
    {
      auth = g_strconcat ("Bearer ", self->token, NULL);
      soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", auth);
    }
  sent_at = g_get_real_time ();
  g_object_set_data_full (G_OBJECT (msg), "cd-sent-at", g_memdup2 (&sent_at, sizeof sent_at), g_free);
  soup_session_send_async (self->events_session, msg, G_PRIORITY_DEFAULT, cancellable,
                           events_sent_cb, g_steal_pointer (&task));
}

GInputStream *
cd_sync_client_open_events_finish (CdSyncClient  *self,
                                   GAsyncResult  *result,
                                   GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
