/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-sync-client.c: login, pull, push and the event stream over libsoup 3. */
#include "config.h"

#define G_LOG_DOMAIN "CrewdeskSync"

#include <glib/gi18n-lib.h>
#include <libsoup/soup.h>
#include <string.h>
#include <time.h>

#include "cd-model.h"
#include "cd-sync-client.h"
#include "cd-sync-json.h"
#include "cd-sync-private.h"

/* libsoup 3.2 waits forever by default; a dead server must surface. */
#define REQUEST_TIMEOUT_S   30
#define IDLE_TIMEOUT_S      60
/* The stream is watched by the engine's heartbeat deadline; this only
 * bounds a socket that hangs below it. */
#define EVENTS_TIMEOUT_S    120
/* A changes page is far larger than any request. */
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
  /* The crews' latest positions are to be read at the end of the next
   * pull: at first, and whenever the event stream was not listening. */
  gboolean       positions_stale;
  guint          positions_gen;
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

static gboolean
ends_an_object (GBytes *body)
{
  gsize size = 0;
  const char *data = g_bytes_get_data (body, &size);

  while (size > 0 && g_ascii_isspace (data[size - 1]))
    size--;

  return size > 0 && data[size - 1] == '}';
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
    {
      /* libsoup takes a reply without Content-Length nor chunks as ending
       * where the connection ends, so a connection that broke inside the
       * headers or the body looks like a whole reply. The server frames
       * every reply; an unframed one (from some proxy) is whole only if
       * it ends its JSON object. A 204 has no body at all. */
      if (body != NULL && status != SOUP_STATUS_NO_CONTENT &&
          soup_message_headers_get_encoding (headers) == SOUP_ENCODING_EOF && !ends_an_object (body))
        {
          g_set_error (error, CD_SYNC_ERROR, CD_SYNC_ERROR_NETWORK,
                       _("The connection to %s broke before the whole reply arrived. Your changes "
                         "are kept on this computer and will be sent when it is back."),
                       self->base_url);
          return FALSE;
        }
      return TRUE;
    }

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

/* A page of the feed, decoded in a worker thread: its
 * rows point into its body. */
typedef struct {
  guint          seq;        /* its place in the pull */
  GBytes        *body;
  gint64         since;
  gboolean       begin_resync;  /* the first page of a pass after a 410 */
  GTask         *pull;       /* for the early word on the next page */
  GMainContext  *context;
  /* out */
  GArray        *elements;   /* Span of each change, from the prescan */
  GArray        *spans;      /* Span of each change's record, from the prescan */
  gint64         prescan_last_rev;
  gboolean       prescanned;
  gint64         prescan_next_since;
  gboolean       prescan_more;
  gint64         horizon;    /* the server's, or -1 when it did not say */
  GPtrArray     *rows;       /* CdSyncRow */
  gint64         next_since;
  gboolean       more;
  guint          n_rows;     /* once applied */
} PageJob;

static void
page_job_free (PageJob *job)
{
  g_clear_pointer (&job->rows, g_ptr_array_unref);
  g_clear_pointer (&job->spans, g_array_unref);
  g_clear_pointer (&job->elements, g_array_unref);
  g_clear_pointer (&job->body, g_bytes_unref);
  g_clear_object (&job->pull);
  g_clear_pointer (&job->context, g_main_context_unref);
  g_free (job);
}

/* Pages fetched and not yet applied, at most: bounded memory (each is a
 * few megabytes of text and its decoded records). */
#define PULL_MAX_PAGES 3

/* A pull is a pipeline. A page's reply is prescanned in a worker thread
 * for where the next page starts (the revisions of its rows, last_rev,
 * more), which starts the next request while the page is parsed and
 * decoded; decoded pages are applied one at a time, in order, each one
 * transaction. A failure stops new work; the pull ends once nothing is
 * under way, so what reached the cache is whole pages in order and
 * last_rev says where to go on from. */
typedef struct {
  CdSyncCache  *cache;
  gint64        since;        /* where the next fetch starts, once known */
  gboolean      since_known;
  gboolean      more;         /* the feed goes on past @since */
  guint         n_rows;       /* applied */
  guint         n_pages;
  gboolean      resync_wanted;  /* a 410: resync once nothing is under way */
  gboolean      resync_started;
  guint         resync_seq;     /* the pass's first page */
  gint64        pass_horizon;   /* the server's when this pull read from 0 */
  gboolean      positions_busy;
  gboolean      positions_done;
  guint         positions_gen;  /* of the client, when they were asked for */
  gboolean      fetching;     /* a request under way */
  guint         decoding;
  gboolean      applying;
  guint         in_memory;    /* fetched, not yet applied */
  guint         fetch_seq;    /* of the next request */
  guint         apply_seq;    /* of the next page to apply */
  GQueue        ready;        /* PageJob, decoded, by seq */
  GError       *error;        /* the first failure */
} PullData;

static void
pull_data_free (PullData *data)
{
  g_queue_clear_full (&data->ready, (GDestroyNotify) page_job_free);
  g_clear_error (&data->error);
  g_clear_object (&data->cache);
  g_free (data);
}

/* Reads an integer at @p (a JSON number without fraction). */
static const char *
scan_int (const char *p,
          const char *end,
          gint64     *out)
{
  char text[24];
  gsize n = 0;

  while (p + n < end && n < sizeof text - 1 && (g_ascii_isdigit (p[n]) || (n == 0 && p[n] == '-')))
    n++;
  if (n == 0 || n == sizeof text - 1)
    return NULL;
  memcpy (text, p, n);
  text[n] = '\0';
  *out = g_ascii_strtoll (text, NULL, 10);
  return p + n;
}

/* Where the page after this one starts, from the revisions of its rows:
 * at the last revision known to be whole (a page may end inside one, as
 * an assignment writes a ticket and its event under one revision). */
static gint64
next_since_of (const gint64 *revs,
               guint         n,
               gint64        since,
               gint64        last_rev,
               gboolean      more)
{
  gint64 complete = since;

  if (!more || n == 0)
    return MAX (last_rev, since);

  for (guint i = n; i > 0; i--)
    if (revs[i - 1] < revs[n - 1])
      {
        complete = revs[i - 1];
        break;
      }
  /* One revision fills the whole page: nothing better than to go past it. */
  return complete == since ? revs[n - 1] : complete;
}

/* The changes reply's shape from its text alone, without building a
 * tree: the spans of the records, and where the next page starts. What
 * it reads is checked again by the full parse; FALSE when the text is not
 * as the server writes it (the full parse then says what is wrong). */
static gboolean
prescan_changes (const char *data,
                 gsize       size,
                 gint64      since,
                 GArray    **elements_out,
                 GArray    **spans_out,
                 gint64     *last_rev_out,
                 gint64     *next_since,
                 gboolean   *more_out,
                 gint64     *horizon_out)
{
  const char *end = data + size;
  const char *p = skip_ws (data, end);
  g_autoptr(GArray) elements = g_array_new (FALSE, FALSE, sizeof (Span));
  g_autoptr(GArray) spans = g_array_new (FALSE, FALSE, sizeof (Span));
  g_autoptr(GArray) revs = g_array_new (FALSE, FALSE, sizeof (gint64));
  gboolean have_changes = FALSE, have_last = FALSE, have_more = FALSE, more = FALSE;
  gint64 last_rev = 0, horizon = -1;

  if (p >= end || *p != '{')
    return FALSE;
  p++;

  for (;;)
    {
      const char *key, *key_end;
      gsize key_len;

      p = skip_ws (p, end);
      if (p >= end || *p != '"' || (key_end = skip_string (p, end)) == NULL)
        return FALSE;
      key = p + 1;
      key_len = key_end - 1 - key;
      p = skip_ws (key_end, end);
      if (p >= end || *p != ':')
        return FALSE;
      p = skip_ws (p + 1, end);

      if (key_len == 7 && memcmp (key, "changes", 7) == 0)
        {
          if (p >= end || *p != '[')
            return FALSE;
          have_changes = TRUE;
          p = skip_ws (p + 1, end);
          if (p < end && *p == ']')
            p++;
          else
            for (;;)
              {
                const char *element_end = skip_value (p, end);
                const char *record, *record_end, *rev;
                gint64 r;
                Span span;

                if (element_end == NULL ||
                    (record = find_member (p, element_end, "record")) == NULL ||
                    (record_end = skip_value (record, element_end)) == NULL ||
                    (rev = find_member (p, element_end, "rev")) == NULL ||
                    scan_int (rev, element_end, &r) == NULL)
                  return FALSE;
                span.offset = p - data;
                span.length = element_end - p;
                g_array_append_val (elements, span);
                span.offset = record - data;
                span.length = record_end - record;
                g_array_append_val (spans, span);
                g_array_append_val (revs, r);

                p = skip_ws (element_end, end);
                if (p < end && *p == ',')
                  p = skip_ws (p + 1, end);
                else if (p < end && *p == ']')
                  {
                    p++;
                    break;
                  }
                else
                  return FALSE;
              }
        }
      else if (key_len == 8 && memcmp (key, "last_rev", 8) == 0)
        {
          if ((p = scan_int (p, end, &last_rev)) == NULL)
            return FALSE;
          have_last = TRUE;
        }
      else if (key_len == 7 && memcmp (key, "horizon", 7) == 0)
        {
          if ((p = scan_int (p, end, &horizon)) == NULL)
            return FALSE;
        }
      else if (key_len == 4 && memcmp (key, "more", 4) == 0)
        {
          if (end - p >= 4 && memcmp (p, "true", 4) == 0)
            more = TRUE, p += 4;
          else if (end - p >= 5 && memcmp (p, "false", 5) == 0)
            more = FALSE, p += 5;
          else
            return FALSE;
          have_more = TRUE;
        }
      else if ((p = skip_value (p, end)) == NULL)
        return FALSE;

      p = skip_ws (p, end);
      if (p < end && *p == ',')
        p++;
      else if (p < end && *p == '}')
        break;
      else
        return FALSE;
    }

  if (!have_changes || !have_last || !have_more)
    return FALSE;

  p = skip_ws (p + 1, end);
  if (p != end)
    return FALSE;

  *next_since = next_since_of ((gint64 *) (gpointer) revs->data, revs->len, since, last_rev, more);
  *more_out = more;
  *horizon_out = horizon;
  *last_rev_out = last_rev;
  *elements_out = g_steal_pointer (&elements);
  *spans_out = g_steal_pointer (&spans);
  return TRUE;
}

/* One item of the changes feed; @record_span: where its record lies. */
static CdSyncRow *
decode_change (PageJob     *job,
               JsonNode    *element,
               const char  *data,
               const Span  *record_span,
               gint64       last_rev,
               GError     **error)
{
  JsonObject *c;
  JsonNode *deleted, *record;
  const char *kind, *id;
  gint64 rev;
  GType type;
  CdSyncRow *row;

  if (!JSON_NODE_HOLDS_OBJECT (element))
    {
      set_malformed (error, "changes", _("an item is not an object"));
      return NULL;
    }
  c = json_node_get_object (element);
  kind = get_string (c, "kind", error);
  id = kind != NULL ? get_string (c, "id", error) : NULL;
  if (id == NULL || !get_int (c, "rev", &rev, error))
    return NULL;
  deleted = member_of_type (c, "deleted", G_TYPE_BOOLEAN);
  record = json_object_get_member (c, "record");
  type = cd_record_type_from_kind (kind);
  if (deleted == NULL || record == NULL || type == G_TYPE_INVALID)
    {
      set_malformed (error, "changes", _("an item lacks “deleted” or “record”, or has an unknown kind"));
      return NULL;
    }
  if (rev <= job->since || rev > last_rev)
    {
      set_malformed (error, "changes", _("an item's revision is out of order"));
      return NULL;
    }

  if (json_node_get_boolean (deleted))
    {
      row = g_new0 (CdSyncRow, 1);
      row->type = type;
      row->id = g_strdup (id);
      row->rev = rev;
      return row;
    }

  row = decode_row (type, record, data, record_span, error);
  if (row != NULL && g_strcmp0 (row->id, id) != 0)
    {
      cd_sync_row_free (row);
      set_malformed (error, "changes", _("an item's id differs from its record's"));
      return NULL;
    }

  return row;
}

static gboolean
finish_changes (PageJob     *job,
                GPtrArray   *rows,
                gint64       last_rev,
                gboolean     more,
                GError     **error)
{
  g_autofree gint64 *revs = g_new (gint64, MAX (rows->len, 1));

  for (guint i = 0; i < rows->len; i++)
    revs[i] = ((CdSyncRow *) g_ptr_array_index (rows, i))->rev;
  job->more = more;
  job->next_since = next_since_of (revs, rows->len, job->since, last_rev, more);

  /* The next page was requested on the prescan's word: it must hold. */
  if (job->prescanned && (job->next_since != job->prescan_next_since || job->more != job->prescan_more))
    {
      set_malformed (error, "changes", _("the list could not be read"));
      return FALSE;
    }

  return TRUE;
}

/* The changes feed from the reply's tree. */
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
  gint64 last_rev;
  guint n;

  if (changes == NULL || !get_int (o, "last_rev", &last_rev, error))
    return FALSE;
  more = member_of_type (o, "more", G_TYPE_BOOLEAN);
  if (more == NULL)
    {
      set_malformed (error, "more", _("not true or false"));
      return FALSE;
    }
  job->horizon = -1;
  if (json_object_has_member (o, "horizon") && !get_int (o, "horizon", &job->horizon, error))
    return FALSE;

  n = json_array_get_length (changes);
  spans = scan_spans (data, size, "changes", "record");
  if (spans == NULL || spans->len != n)
    {
      set_malformed (error, "changes", _("the list could not be read"));
      return FALSE;
    }

  for (guint i = 0; i < n; i++)
    {
      CdSyncRow *row = decode_change (job, json_array_get_element (changes, i), data,
                                      &g_array_index (spans, Span, i), last_rev, error);

      if (row == NULL)
        return FALSE;
      g_ptr_array_add (rows, row);
    }

  return finish_changes (job, rows, last_rev, json_node_get_boolean (more), error);
}

/* The changes feed one item at a time, from the prescan's spans: a small
 * tree per item, decoded and freed while it is in the processor's cache,
 * instead of one tree of the whole page. The document as a whole passes
 * the same strict checks as cd_json_parse() first. */
static gboolean
decode_changes_by_item (PageJob     *job,
                        const char  *data,
                        gsize        size,
                        GPtrArray   *rows,
                        GError     **error)
{
  gssize bad;

  if (cd_json_scan_depth (data, size) > CD_JSON_MAX_DEPTH)
    {
      set_malformed (error, "changes", _("the list could not be read"));
      return FALSE;
    }
  bad = cd_json_check_strict (data, size);
  if (bad >= 0)
    {
      g_autofree char *detail = g_strdup_printf (_("unexpected input at byte %lld"), (long long) bad);

      set_malformed (error, "changes", detail);
      return FALSE;
    }

  for (guint i = 0; i < job->elements->len; i++)
    {
      const Span *element = &g_array_index (job->elements, Span, i);
      g_autoptr(GError) local_error = NULL;
      g_autoptr(JsonNode) node = _cd_sync_json_parse (data + element->offset, element->length,
                                                      CD_JSON_MAX_DEPTH, &local_error);
      CdSyncRow *row;

      if (node == NULL)
        {
          set_malformed (error, "changes", local_error->message);
          return FALSE;
        }
      row = decode_change (job, node, data, &g_array_index (job->spans, Span, i), job->prescan_last_rev, error);
      if (row == NULL)
        return FALSE;
      g_ptr_array_add (rows, row);
    }

  return finish_changes (job, rows, job->prescan_last_rev, job->prescan_more, error);
}

/* CPU time of the calling thread, µs: timings that hold on a busy machine. */
static gint64
thread_cpu_us (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
  return (gint64) ts.tv_sec * G_USEC_PER_SEC + ts.tv_nsec / 1000;
}

typedef struct {
  GTask    *pull;
  guint     seq;
  gint64    next_since;
  gboolean  more;
  gint64    since;
  gint64    horizon;
} Prefetch;

static void pull_pump (CdSyncClient *self, GTask *task);

/* Main thread: a prescan said where the page after @seq starts. */
static gboolean
prefetch_cb (gpointer user_data)
{
  Prefetch *pf = user_data;
  PullData *data = g_task_get_task_data (pf->pull);

  /* Only the word on the latest page fetched moves the pull on. */
  if (pf->since == 0)
    data->pass_horizon = pf->horizon;
  if (!data->since_known && pf->seq + 1 == data->fetch_seq)
    {
      data->since = pf->next_since;
      data->more = pf->more;
      data->since_known = TRUE;
      pull_pump (g_task_get_source_object (pf->pull), pf->pull);
    }

  return G_SOURCE_REMOVE;
}

static void
prefetch_free (Prefetch *pf)
{
  g_object_unref (pf->pull);
  g_free (pf);
}

/* Worker thread: prescan, parse and decode a reply; nothing touched. */
static void
decode_job_run (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  PageJob *job = task_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) root = NULL;
  gsize size = 0;
  const char *data = g_bytes_get_data (job->body, &size);
  gint64 t0 = g_get_monotonic_time (), t1, cpu0 = thread_cpu_us (), cpu1, cpu2;
  gboolean ok;

  if (prescan_changes (data, size, job->since, &job->elements, &job->spans, &job->prescan_last_rev,
                       &job->prescan_next_since, &job->prescan_more, &job->horizon))
    {
      Prefetch *pf = g_new0 (Prefetch, 1);

      job->prescanned = TRUE;
      pf->pull = g_object_ref (job->pull);
      pf->seq = job->seq;
      pf->next_since = job->prescan_next_since;
      pf->more = job->prescan_more;
      pf->since = job->since;
      pf->horizon = job->horizon;
      g_main_context_invoke_full (job->context, G_PRIORITY_DEFAULT, prefetch_cb, pf,
                                  (GDestroyNotify) prefetch_free);
    }

  job->rows = g_ptr_array_new_with_free_func ((GDestroyNotify) cd_sync_row_free);
  if (job->prescanned)
    {
      ok = decode_changes_by_item (job, data, size, job->rows, &error);
      g_debug ("Page of %u rows, %zu bytes: decoded by item in %.0f ms (CPU %.0f)", job->rows->len, size,
               (g_get_monotonic_time () - t0) / 1e3, (thread_cpu_us () - cpu0) / 1e3);
      if (!ok)
        g_task_return_error (task, g_steal_pointer (&error));
      else
        g_task_return_boolean (task, TRUE);
      return;
    }

  root = _cd_sync_json_parse (data, size, CD_JSON_MAX_DEPTH, &error);
  t1 = g_get_monotonic_time ();
  cpu1 = thread_cpu_us ();
  if (root == NULL)
    {
      g_autoptr(GError) malformed = NULL;

      set_malformed (&malformed, "changes", error->message);
      g_task_return_error (task, g_steal_pointer (&malformed));
      return;
    }
  if (!JSON_NODE_HOLDS_OBJECT (root))
    {
      set_malformed (&error, "changes", _("not an object"));
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  ok = decode_changes (job, data, size, json_node_get_object (root), job->rows, &error);
  cpu2 = thread_cpu_us ();
  g_clear_pointer (&root, json_node_unref);
  g_debug ("Page of %u rows, %zu bytes: prescan and parse %.0f ms (CPU %.0f), decode %.0f ms (CPU %.0f, "
           "%.0f freeing)", job->rows->len, size, (t1 - t0) / 1e3, (cpu1 - cpu0) / 1e3,
           (g_get_monotonic_time () - t1) / 1e3, (thread_cpu_us () - cpu1) / 1e3, (thread_cpu_us () - cpu2) / 1e3);
  if (!ok)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

/* Worker thread: one page, one transaction. */
static void
apply_job_run (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  PageJob *job = task_data;
  CdSyncCache *cache = g_object_get_data (G_OBJECT (task), "cd-cache");
  g_autoptr(GError) error = NULL;
  gint64 t0 = g_get_monotonic_time (), cpu0 = thread_cpu_us (), cpu1;

  if (g_task_return_error_if_cancelled (task))
    return;
  if (!_cd_sync_cache_apply_rows (cache, job->rows, job->next_since, job->begin_resync, !job->more, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  cpu1 = thread_cpu_us ();
  /* Thousands of records are freed here, not in the main loop. */
  job->n_rows = job->rows->len;
  g_clear_pointer (&job->rows, g_ptr_array_unref);
  g_clear_pointer (&job->body, g_bytes_unref);
  g_debug ("Page of %u rows saved in %.0f ms (CPU %.0f, %.0f freeing)", job->n_rows,
           (g_get_monotonic_time () - t0) / 1e3, (thread_cpu_us () - cpu0) / 1e3, (thread_cpu_us () - cpu1) / 1e3);
  g_task_return_boolean (task, TRUE);
}

static void
pull_fail (PullData *data,
           GError   *error)
{
  if (data->error == NULL)
    data->error = error;
  else
    g_error_free (error);
}

static gint
compare_seq (gconstpointer a,
             gconstpointer b,
             gpointer      user_data)
{
  const PageJob *x = a, *y = b;

  return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void
page_decoded_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  CdSyncClient *self = CD_SYNC_CLIENT (source);
  g_autoptr(GTask) task = user_data;
  PullData *data = g_task_get_task_data (task);
  PageJob *job = g_task_get_task_data (G_TASK (result));
  GError *error = NULL;

  /* The job is this callback's (the task has no destroy notify). */
  data->decoding--;
  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      page_job_free (job);
      data->in_memory--;
      pull_fail (data, error);
    }
  else
    {
      /* Without a prescan, the decoded page says where the next one
       * starts. */
      if (!job->prescanned && job->since == 0)
        data->pass_horizon = job->horizon;
      if (!data->since_known && job->seq + 1 == data->fetch_seq)
        {
          data->since = job->next_since;
          data->more = job->more;
          data->since_known = TRUE;
        }
      g_clear_object (&job->pull);
      g_queue_insert_sorted (&data->ready, job, compare_seq, NULL);
    }

  pull_pump (self, task);
}

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

  data->applying = FALSE;
  data->in_memory--;
  data->apply_seq++;
  if (!g_task_propagate_boolean (G_TASK (result), &error))
    pull_fail (data, error);
  else
    {
      data->n_rows += job->n_rows;
      data->n_pages++;
      g_debug ("Pulled %u rows up to revision %" G_GINT64_FORMAT, job->n_rows, job->next_since);
    }
  page_job_free (job);

  pull_pump (self, task);
}

static void
decode_reply (CdSyncClient *self,
              GTask        *task,
              GBytes       *body)
{
  PullData *data = g_task_get_task_data (task);
  GTask *job_task = g_task_new (self, g_task_get_cancellable (task), page_decoded_cb, g_object_ref (task));
  PageJob *job = g_new0 (PageJob, 1);

  job->seq = data->fetch_seq - 1;
  job->body = g_bytes_ref (body);
  job->since = data->since;
  job->begin_resync = data->resync_started && job->seq == data->resync_seq;
  job->pull = g_object_ref (task);
  job->context = g_main_context_ref_thread_default ();
  data->decoding++;
  g_task_set_task_data (job_task, job, NULL);
  g_task_set_name (job_task, "cd-sync-decode-page");
  g_task_run_in_thread (job_task, decode_job_run);
  g_object_unref (job_task);
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

  data->fetching = FALSE;
  if (transport_error == NULL && soup_message_get_status (msg) == 410 && !data->resync_started &&
      data->error == NULL)
    {
      /* Past the server's history (or ahead of a server restored from a
       * backup): read everything again from revision 0, once the pages
       * under way are done with. */
      check_reply (self, msg, body, NULL, exchange_sent_at (msg), NULL);
      g_debug ("Sync: revision %" G_GINT64_FORMAT " is gone from the server: reading it all again",
               data->since);
      data->in_memory--;
      data->resync_wanted = TRUE;
      pull_pump (self, task);
      return;
    }

  if (!check_reply (self, msg, body, transport_error, exchange_sent_at (msg), &error))
    {
      data->in_memory--;
      pull_fail (data, error);
      pull_pump (self, task);
      return;
    }

  decode_reply (self, task, body);
  pull_pump (self, task);
}

/* Positions ---------------------------------------------------------------- */

/* Worker thread: {"at": T, "positions": [{"crew_id", "lat", "lon",
 * "heading", "speed_kmh", "at"}]} checked whole, then stored. */
static void
positions_job_run (GTask        *task,
                   gpointer      source_object,
                   gpointer      task_data,
                   GCancellable *cancellable)
{
  GBytes *body = task_data;
  CdSyncCache *cache = g_object_get_data (G_OBJECT (task), "cd-cache");
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GPtrArray) positions = g_ptr_array_new_with_free_func ((GDestroyNotify) cd_trail_point_free);
  gsize size = 0;
  const char *data = g_bytes_get_data (body, &size);
  JsonArray *list;

  root = _cd_sync_json_parse (data, size, CD_JSON_MAX_DEPTH, &error);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_autoptr(GError) malformed = NULL;

      set_malformed (&malformed, "positions", error ? error->message : _("not an object"));
      g_task_return_error (task, g_steal_pointer (&malformed));
      return;
    }

  list = get_array (json_node_get_object (root), "positions", &error);
  for (guint i = 0; list != NULL && i < json_array_get_length (list); i++)
    {
      JsonNode *node = json_array_get_element (list, i);
      JsonObject *o = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
      g_autoptr(CdTrailPoint) p = g_new0 (CdTrailPoint, 1);
      const char *crew_id, *at;
      static const char * const numbers[] = { "lat", "lon", "heading", "speed_kmh" };
      double *fields[] = { &p->lat, &p->lon, &p->heading, &p->speed_kmh };

      if (o == NULL)
        {
          set_malformed (&error, "positions", _("an item is not an object"));
          break;
        }
      crew_id = get_string (o, "crew_id", &error);
      at = crew_id ? get_string (o, "at", &error) : NULL;
      if (at == NULL)
        break;
      if (!cd_json_parse_time (at, &p->at))
        {
          set_malformed (&error, "at", _("not a time"));
          break;
        }
      for (guint f = 0; f < G_N_ELEMENTS (numbers); f++)
        {
          JsonNode *n = json_object_get_member (o, numbers[f]);
          GType t = n != NULL && JSON_NODE_HOLDS_VALUE (n) ? json_node_get_value_type (n) : G_TYPE_INVALID;

          if (t != G_TYPE_DOUBLE && t != G_TYPE_INT64)
            {
              set_malformed (&error, numbers[f], _("not a number"));
              break;
            }
          *fields[f] = json_node_get_double (n);
        }
      if (error != NULL)
        break;
      if (p->lat < -90 || p->lat > 90 || p->lon < -180 || p->lon > 180)
        {
          set_malformed (&error, "positions", _("a position off the globe"));
          break;
        }
      p->crew_id = g_strdup (crew_id);
      g_ptr_array_add (positions, g_steal_pointer (&p));
    }

  if (error == NULL && !g_task_return_error_if_cancelled (task))
    {
      if (_cd_sync_cache_apply_positions (cache, positions, &error))
        {
          g_task_return_boolean (task, TRUE);
          return;
        }
    }
  if (error != NULL)
    g_task_return_error (task, g_steal_pointer (&error));
}

static void
positions_applied_cb (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  CdSyncClient *self = CD_SYNC_CLIENT (source);
  g_autoptr(GTask) task = user_data;
  PullData *data = g_task_get_task_data (task);
  GError *error = NULL;

  data->positions_busy = FALSE;
  if (!g_task_propagate_boolean (G_TASK (result), &error))
    pull_fail (data, error);
  else
    {
      data->positions_done = TRUE;
      /* Unless the stream was lost again meanwhile. */
      if (data->positions_gen == self->positions_gen)
        self->positions_stale = FALSE;
    }
  pull_pump (self, task);
}

static void
positions_reply (CdSyncClient *self,
                 GTask        *task,
                 SoupMessage  *msg,
                 GBytes       *body,
                 GError       *transport_error)
{
  PullData *data = g_task_get_task_data (task);
  GError *error = NULL;
  GTask *job_task;

  if (!check_reply (self, msg, body, transport_error, exchange_sent_at (msg), &error))
    {
      data->positions_busy = FALSE;
      pull_fail (data, error);
      pull_pump (self, task);
      return;
    }

  job_task = g_task_new (self, g_task_get_cancellable (task), positions_applied_cb, g_object_ref (task));
  g_object_set_data_full (G_OBJECT (job_task), "cd-cache", g_object_ref (data->cache), g_object_unref);
  g_task_set_task_data (job_task, g_bytes_ref (body), (GDestroyNotify) g_bytes_unref);
  g_task_set_name (job_task, "cd-sync-apply-positions");
  g_task_run_in_thread (job_task, positions_job_run);
  g_object_unref (job_task);
}

/* Starts what can start; ends the pull when nothing is under way. */
static void
pull_pump (CdSyncClient *self,
           GTask        *task)
{
  PullData *data = g_task_get_task_data (task);
  PageJob *head;

  if (data->error == NULL && !data->fetching && !data->resync_wanted &&
      data->since_known && data->more && data->in_memory < PULL_MAX_PAGES)
    {
      g_autofree char *path = NULL;

      /* A pass from revision 0 goes on below the horizon it started with:
       * what it could miss there was deleted before it began. */
      if (data->since > 0 && data->pass_horizon > 0)
        path = g_strdup_printf ("/api/v1/changes?since=%" G_GINT64_FORMAT "&limit=%u&horizon=%" G_GINT64_FORMAT,
                                data->since, self->page_size, data->pass_horizon);
      else
        path = g_strdup_printf ("/api/v1/changes?since=%" G_GINT64_FORMAT "&limit=%u", data->since,
                                self->page_size);

      data->fetching = TRUE;
      data->since_known = FALSE;
      data->in_memory++;
      data->fetch_seq++;
      send_request (self, task, "GET", path, NULL, changes_reply);
    }

  head = g_queue_peek_head (&data->ready);
  if (data->error == NULL && !data->applying && head != NULL && head->seq == data->apply_seq)
    {
      PageJob *job = g_queue_pop_head (&data->ready);
      GTask *job_task = g_task_new (self, g_task_get_cancellable (task), page_applied_cb, g_object_ref (task));

      data->applying = TRUE;
      g_object_set_data_full (G_OBJECT (job_task), "cd-cache", g_object_ref (data->cache), g_object_unref);
      g_task_set_task_data (job_task, job, NULL);
      g_task_set_name (job_task, "cd-sync-apply-page");
      g_task_run_in_thread (job_task, apply_job_run);
      g_object_unref (job_task);
    }

  if (data->fetching || data->decoding > 0 || data->applying || data->positions_busy)
    return;

  if (data->error == NULL && data->resync_wanted)
    {
      /* Pages fetched before the 410 and not applied yet are dropped; the
       * pass starts at revision 0, and its first page marks the cache's
       * rows in the transaction that applies it. */
      data->in_memory -= data->ready.length;
      g_queue_clear_full (&data->ready, (GDestroyNotify) page_job_free);
      data->apply_seq = data->fetch_seq;
      data->resync_wanted = FALSE;
      data->resync_started = TRUE;
      data->resync_seq = data->fetch_seq;
      data->since = 0;
      data->since_known = TRUE;
      data->more = TRUE;
      pull_pump (self, task);
      return;
    }

  if (data->error == NULL && data->since_known && !data->more && data->ready.length == 0 &&
      self->positions_stale && !data->positions_done)
    {
      data->positions_busy = TRUE;
      data->positions_gen = self->positions_gen;
      send_request (self, task, "GET", "/api/v1/positions", NULL, positions_reply);
      return;
    }

  if (data->error != NULL)
    {
      /* Pages decoded after the failure are not applied: the cache ends
       * at the last whole page, and the next pull goes on from there. */
      g_queue_clear_full (&data->ready, (GDestroyNotify) page_job_free);
      record_error (self, data->error);
      g_task_return_error (task, g_steal_pointer (&data->error));
    }
  else if (data->since_known && !data->more && data->ready.length == 0)
    {
      record_error (self, NULL);
      g_task_return_boolean (task, TRUE);
    }
}

/* Push -------------------------------------------------------------------- */

/* One batch sent, and the server's reply to it. */
typedef struct {
  CdSyncCache      *cache;
  GPtrArray        *batch;   /* CdOutboxEntry sent */
  GBytes           *body;    /* the reply */
  /* out */
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

/* A flush is a pipeline too: batches go out one at a time, in order (the
 * next only once the server answered the last, so it applies them in
 * order), and the answers are applied to the cache one at a time, in
 * order, in a worker thread, while the next batch is on its way. */
typedef struct {
  CdSyncCache      *cache;
  CdSyncPushResult  stats;
  gint64            last_seq;  /* the last entry sent by this flush */
  PushJob          *sending;   /* the batch under way */
  gboolean          applying;
  gboolean          drained;   /* nothing more to send */
  GQueue            replies;   /* PushJob answered, waiting to be applied */
  GError           *error;     /* the first failure */
} PushData;

static void
push_data_free (PushData *data)
{
  g_queue_clear_full (&data->replies, (GDestroyNotify) push_job_free);
  g_clear_pointer (&data->sending, push_job_free);
  g_clear_error (&data->error);
  g_clear_object (&data->cache);
  g_free (data);
}

static void
push_fail (PushData *data,
           GError   *error)
{
  if (data->error == NULL)
    data->error = error;
  else
    g_error_free (error);
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

  root = _cd_sync_json_parse (data, size, CD_JSON_MAX_DEPTH, &error);
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

  if (g_task_return_error_if_cancelled (task))
    return;
  if (!_cd_sync_cache_apply_results (job->cache, results, &job->stats, &error))
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

static void push_pump (CdSyncClient *self, GTask *task);

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

  data->applying = FALSE;
  if (!g_task_propagate_boolean (G_TASK (result), &error))
    push_fail (data, error);
  else
    {
      guint answered = job->stats.applied + job->stats.conflicts + job->stats.rejected;

      data->stats.applied += job->stats.applied;
      data->stats.conflicts += job->stats.conflicts;
      data->stats.rejected += job->stats.rejected;
      data->stats.batches++;

      /* A reply that answers none of the batch would make us send it
       * forever. */
      if (answered == 0 && job->batch->len > 0)
        {
          set_malformed (&error, "results", _("none of the changes sent was answered"));
          push_fail (data, error);
        }
    }
  push_job_free (job);

  push_pump (self, task);
}

static void
mutations_reply (CdSyncClient *self,
                 GTask        *task,
                 SoupMessage  *msg,
                 GBytes       *body,
                 GError       *transport_error)
{
  PushData *data = g_task_get_task_data (task);
  PushJob *job = g_steal_pointer (&data->sending);
  GError *error = NULL;

  if (!check_reply (self, msg, body, transport_error, exchange_sent_at (msg), &error))
    {
      /* The batch stays sent: the next flush sends it again, same ids. */
      push_job_free (job);
      push_fail (data, error);
    }
  else
    {
      job->body = g_bytes_ref (body);
      g_queue_push_tail (&data->replies, job);
    }

  push_pump (self, task);
}

/* Sends the next batch; FALSE when there is none (or with data->error). */
static gboolean
send_next_batch (CdSyncClient *self,
                 GTask        *task)
{
  PushData *data = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) body = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GPtrArray) batch = NULL;
  PushJob *job;

  /* Quick: reads a few hundred rows and marks them sent. */
  batch = _cd_sync_cache_begin_push (data->cache, data->last_seq, self->batch_size, BATCH_MAX_BYTES, &error);
  if (batch == NULL)
    {
      push_fail (data, g_steal_pointer (&error));
      return FALSE;
    }
  if (batch->len == 0)
    return FALSE;

  /* The stored texts as they are: the server decodes them strictly. */
  body = g_string_sized_new (BATCH_MAX_BYTES + 64);
  g_string_append (body, "{\"mutations\":[");
  for (guint i = 0; i < batch->len; i++)
    {
      CdOutboxEntry *e = g_ptr_array_index (batch, i);

      if (i > 0)
        g_string_append_c (body, ',');
      g_string_append (body, e->mutation);
    }
  g_string_append (body, "]}");
  bytes = g_string_free_to_bytes (g_steal_pointer (&body));
  data->last_seq = ((CdOutboxEntry *) g_ptr_array_index (batch, batch->len - 1))->seq;

  job = g_new0 (PushJob, 1);
  job->cache = g_object_ref (data->cache);
  job->batch = g_steal_pointer (&batch);
  data->sending = job;
  send_request (self, task, "POST", "/api/v1/mutations", bytes, mutations_reply);
  return TRUE;
}

/* Starts what can start; ends the flush when nothing is under way. */
static void
push_pump (CdSyncClient *self,
           GTask        *task)
{
  PushData *data = g_task_get_task_data (task);

  /* One answer waiting at most: the cache keeps up with the server. */
  if (data->error == NULL && data->sending == NULL && !data->drained && data->replies.length < 1)
    data->drained = !send_next_batch (self, task);

  if (data->error == NULL && !data->applying && data->replies.length > 0)
    {
      PushJob *job = g_queue_pop_head (&data->replies);
      GTask *job_task = g_task_new (self, g_task_get_cancellable (task), push_results_cb, g_object_ref (task));

      data->applying = TRUE;
      g_task_set_task_data (job_task, job, NULL);
      g_task_set_name (job_task, "cd-sync-apply-results");
      g_task_run_in_thread (job_task, push_results_run);
      g_object_unref (job_task);
    }

  if (data->sending != NULL || data->applying)
    return;

  if (data->error != NULL)
    {
      /* Answers not applied leave their entries sent: sent again next
       * time under the same ids, and the server replays. */
      g_queue_clear_full (&data->replies, (GDestroyNotify) push_job_free);
      record_error (self, data->error);
      g_task_return_error (task, g_steal_pointer (&data->error));
    }
  else if (data->drained && data->replies.length == 0)
    {
      record_error (self, NULL);
      g_task_return_boolean (task, TRUE);
    }
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
  /* The server takes up to 1000 mutations a request, in one transaction. */
  self->batch_size = 1000;
  self->positions_stale = TRUE;
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

static void
logout_reply (CdSyncClient *self,
              GTask        *task,
              SoupMessage  *msg,
              GBytes       *body,
              GError       *transport_error)
{
  GError *error = NULL;

  /* A session that had ended already is as good as ended. */
  if (transport_error == NULL && soup_message_get_status (msg) == 401)
    {
      check_reply (self, msg, body, NULL, exchange_sent_at (msg), NULL);
      g_task_return_boolean (task, TRUE);
      return;
    }
  if (!check_reply (self, msg, body, transport_error, exchange_sent_at (msg), &error))
    {
      record_error (self, error);
      g_task_return_error (task, error);
      return;
    }

  g_task_return_boolean (task, TRUE);
}

void
cd_sync_client_logout_async (CdSyncClient        *self,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (CD_IS_SYNC_CLIENT (self));

  task = g_task_new (self, self->cancellable, callback, user_data);
  g_task_set_source_tag (task, cd_sync_client_logout_async);
  if (self->token == NULL)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }
  send_request (self, task, "POST", "/api/v1/logout", NULL, logout_reply);
  g_clear_pointer (&self->token, g_free);
}

gboolean
cd_sync_client_logout_finish (CdSyncClient  *self,
                              GAsyncResult  *result,
                              GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
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

  data->more = TRUE;
  data->since_known = TRUE;
  data->pass_horizon = -1;
  pull_pump (self, task);
}

void
cd_sync_client_invalidate_positions (CdSyncClient *self)
{
  g_return_if_fail (CD_IS_SYNC_CLIENT (self));

  self->positions_stale = TRUE;
  self->positions_gen++;
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

  push_pump (self, task);
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
