/* SPDX-License-Identifier: GPL-3.0-or-later */
/* bench-server.c: crewdesk-server on loopback, beside nginx serving static
 * replies of the same size (what HTTP on this machine can do).
 *
 * bench/server.sh drives it:
 *   bench-server free-port
 *   bench-server seed --db FILE --server-bin BIN --state FILE [--crews N --tickets N --devices N]
 *   bench-server run --state FILE --server-port P --server-pid PID
 *                    --nginx-port P --nginx-pid PID --www DIR [--soak S]
 *
 * The client is deliberately cheap, so that it measures the server: one
 * thread, epoll, raw sockets with HTTP/1.1 keep-alive, one request in
 * flight per connection, requests formatted once (or with one printf).
 * Its own CPU use is printed beside the server's.
 *
 * Output: "key: value" lines, then a table. Every loop is bounded in count
 * and time; traffic goes to 127.0.0.1 only.
 */
#define _GNU_SOURCE
#include "config.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cd-model.h"
#include "cd-store.h"

#define PAGE_LIMIT        10000
#define MAX_PAGES         1000
#define MAX_RECONNECTS    1000
#define MAX_LATENCIES     (4u * 1000 * 1000)
#define READ_CHUNK        65536

/* Goals of issue 3, section 9. */
#define GOAL_POSITIONS    10000.0
#define GOAL_MUTATIONS    3000.0
#define GOAL_P99_MS       50.0

/* Helpers ------------------------------------------------------------------ */

static G_GNUC_NORETURN G_GNUC_PRINTF (1, 2) void
die (const char *format,
     ...)
{
  va_list args;

  va_start (args, format);
  fprintf (stderr, "bench-server: ");
  vfprintf (stderr, format, args);
  fprintf (stderr, "\n");
  va_end (args);
  exit (1);
}

static double
now_s (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int
cmp_double (const void *a,
            const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

/* Sorts @v in place. */
static double
percentile (GArray *v,
            double  p)
{
  gsize i;

  if (v->len == 0)
    return NAN;
  qsort (v->data, v->len, sizeof (double), cmp_double);
  i = (gsize) ceil (p / 100.0 * v->len);
  i = i == 0 ? 0 : i - 1;
  return g_array_index (v, double, MIN (i, v->len - 1));
}

static void
lat_add (GArray *v,
         double  ms)
{
  if (v->len < MAX_LATENCIES)
    g_array_append_val (v, ms);
}

/* A v4-shaped UUID from a per-run random and a counter: unique, cheap. */
static guint32 uuid_run_a, uuid_run_b;
static guint64 uuid_counter;

static void
format_uuid (char    out[37],
             guint   kind,
             guint64 n)
{
  g_snprintf (out, 37, "%08x-%04x-4%03x-a%03x-%012" G_GINT64_MODIFIER "x",
              uuid_run_a, uuid_run_b & 0xffff, kind & 0xfff, (uuid_run_b >> 16) & 0xfff,
              n & G_GUINT64_CONSTANT (0xffffffffffff));
}

/* CPU seconds of a process (and of its children processes, for nginx's
 * workers), from /proc. */
static double
proc_cpu_one (int pid,
              int *ppid)
{
  char path[64], buf[1024];
  unsigned long utime = 0, stime = 0;
  int parent = 0;
  FILE *f;
  char *p;

  g_snprintf (path, sizeof path, "/proc/%d/stat", pid);
  f = fopen (path, "r");
  if (f == NULL)
    return 0;
  if (fgets (buf, sizeof buf, f) == NULL)
    buf[0] = '\0';
  fclose (f);
  p = strrchr (buf, ')');
  if (p == NULL ||
      sscanf (p + 2, "%*c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &parent, &utime, &stime) != 3)
    return 0;
  if (ppid)
    *ppid = parent;
  return (double) (utime + stime) / sysconf (_SC_CLK_TCK);
}

static double
proc_cpu_tree (int pid)
{
  double total;
  DIR *d;
  struct dirent *e;
  guint seen = 0;

  if (pid <= 0)
    return 0;
  total = proc_cpu_one (pid, NULL);
  d = opendir ("/proc");
  while (d && (e = readdir (d)) != NULL && seen < 100000)
    {
      int child = atoi (e->d_name), parent = 0;
      double cpu;

      seen++;
      if (child <= 0 || child == pid)
        continue;
      cpu = proc_cpu_one (child, &parent);
      if (parent == pid)
        total += cpu;
    }
  if (d)
    closedir (d);
  return total;
}

static double
self_cpu (void)
{
  struct rusage ru;

  getrusage (RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

/* Busy CPU seconds of the whole machine, from /proc/stat. */
static double
machine_busy (void)
{
  g_autofree char *text = NULL;
  unsigned long long v[10] = { 0 };

  if (!g_file_get_contents ("/proc/stat", &text, NULL, NULL) ||
      sscanf (text, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
              &v[6], &v[7]) != 8)
    return 0;
  /* user nice system idle iowait irq softirq steal: all but idle and iowait */
  return (double) (v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / sysconf (_SC_CLK_TCK);
}

static gint64
proc_rss_kb (int pid)
{
  char path[64];
  g_autofree char *text = NULL;
  const char *p;

  g_snprintf (path, sizeof path, "/proc/%d/status", pid);
  if (!g_file_get_contents (path, &text, NULL, NULL))
    return -1;
  p = strstr (text, "VmRSS:");
  return p ? g_ascii_strtoll (p + 6, NULL, 10) : -1;
}

static gint64
proc_fds (int pid)
{
  char path[64];
  DIR *d;
  struct dirent *e;
  gint64 n = 0;

  g_snprintf (path, sizeof path, "/proc/%d/fd", pid);
  d = opendir (path);
  if (d == NULL)
    return -1;
  while ((e = readdir (d)) != NULL && n < 1000000)
    if (e->d_name[0] != '.')
      n++;
  closedir (d);
  return n;
}

/* What a process's descriptors are: sockets, database files (a reader
 * or writer connection holds three: the file, its -wal and its -shm), the
 * rest. */
typedef struct
{
  gint64 sockets;
  gint64 db_files;
  gint64 other;
} FdKinds;

static FdKinds
proc_fd_kinds (int pid)
{
  FdKinds k = { 0 };
  char path[64];
  DIR *d;
  struct dirent *e;
  guint n = 0;

  g_snprintf (path, sizeof path, "/proc/%d/fd", pid);
  d = opendir (path);
  while (d && (e = readdir (d)) != NULL && n++ < 100000)
    {
      char link[PATH_MAX + 64], target[PATH_MAX];
      gssize len;

      if (e->d_name[0] == '.')
        continue;
      g_snprintf (link, sizeof link, "%s/%s", path, e->d_name);
      len = readlink (link, target, sizeof target - 1);
      if (len < 0)
        continue;
      target[len] = '\0';
      if (g_str_has_prefix (target, "socket:"))
        k.sockets++;
      else if (g_str_has_suffix (target, ".db") || g_str_has_suffix (target, ".db-wal") ||
               g_str_has_suffix (target, ".db-shm"))
        k.db_files++;
      else
        k.other++;
    }
  if (d)
    closedir (d);
  return k;
}

/* Sockets ------------------------------------------------------------------- */

static int
tcp_connect (guint16  port,
             gboolean nonblocking)
{
  struct sockaddr_in sa = { 0 };
  int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;

  if (fd < 0)
    die ("socket: %s", g_strerror (errno));
  sa.sin_family = AF_INET;
  sa.sin_port = htons (port);
  sa.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  if (connect (fd, (struct sockaddr *) &sa, sizeof sa) < 0)
    die ("connect to 127.0.0.1:%u: %s", port, g_strerror (errno));
  setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (nonblocking)
    fcntl (fd, F_SETFL, fcntl (fd, F_GETFL) | O_NONBLOCK);
  return fd;
}

/* HTTP responses ------------------------------------------------------------- */

typedef struct
{
  int         status;
  const char *body;
  gsize       body_len;
  gsize       total;        /* bytes of the whole response */
  gboolean    close;        /* Connection: close */
} Resp;

static gboolean
header_is (const char *line,
           gsize       len,
           const char *name)
{
  gsize n = strlen (name);

  return len > n && g_ascii_strncasecmp (line, name, n) == 0;
}

/* 1: a whole response is in @buf; 0: not yet; -1: not HTTP we understand.
 * A chunked body is decoded into @dechunk. */
static int
parse_response (const char *buf,
                gsize       len,
                GString    *dechunk,
                Resp       *r)
{
  const char *end = len >= 4 ? memmem (buf, len, "\r\n\r\n", 4) : NULL;
  const char *line;
  gssize clen = -1;
  gboolean chunked = FALSE;
  gsize hdr;

  memset (r, 0, sizeof *r);
  if (end == NULL)
    return len > 65536 ? -1 : 0;
  hdr = end - buf + 4;
  if (len < 12 || memcmp (buf, "HTTP/1.", 7) != 0)
    return -1;
  r->status = atoi (buf + 9);

  line = memchr (buf, '\n', hdr);
  while (line && line + 1 < end)
    {
      const char *next = memchr (line + 1, '\n', end + 2 - (line + 1));
      gsize n = (next ? next : end) - (line + 1);

      line++;
      if (header_is (line, n, "content-length:"))
        clen = g_ascii_strtoll (line + 15, NULL, 10);
      else if (header_is (line, n, "transfer-encoding:") && g_strstr_len (line, n, "chunked"))
        chunked = TRUE;
      else if (header_is (line, n, "connection:") && g_strstr_len (line, n, "close"))
        r->close = TRUE;
      line = next;
    }

  if (chunked)
    {
      gsize pos = hdr;

      g_string_truncate (dechunk, 0);
      for (guint guard = 0; guard < 1000000; guard++)
        {
          const char *eol = pos < len ? memmem (buf + pos, len - pos, "\r\n", 2) : NULL;
          gsize size;

          if (eol == NULL)
            return 0;
          size = g_ascii_strtoull (buf + pos, NULL, 16);
          pos = eol - buf + 2;
          if (size == 0)
            {
              if (len < pos + 2)
                return 0;
              r->body = dechunk->str;
              r->body_len = dechunk->len;
              r->total = pos + 2;
              return 1;
            }
          if (len < pos + size + 2)
            return 0;
          g_string_append_len (dechunk, buf + pos, size);
          pos += size + 2;
        }
      return -1;
    }

  if (clen < 0)
    {
      if (r->status == 204 || r->status == 304 || r->status / 100 == 1)
        clen = 0;
      else
        return -1;
    }
  if (len < hdr + (gsize) clen)
    return 0;
  r->body = buf + hdr;
  r->body_len = clen;
  r->total = hdr + clen;
  return 1;
}

/* Room for @n more bytes without changing the contents. */
static void
reserve (GString *s,
         gsize    n)
{
  gsize len = s->len;

  if (s->allocated_len - len > n)
    return;
  g_string_set_size (s, len + n);
  g_string_set_size (s, len);
}

/* One request on a blocking connection; @raw keeps the bytes that @resp
 * points into. Returns FALSE on a timeout or a closed connection. */
static gboolean
blocking_exchange (int         fd,
                   const char *request,
                   gsize       request_len,
                   GString    *raw,
                   GString    *dechunk,
                   Resp       *resp,
                   double      timeout)
{
  double deadline = now_s () + timeout;
  gsize sent = 0;

  g_string_truncate (raw, 0);
  while (sent < request_len)
    {
      gssize n = send (fd, request + sent, request_len - sent, MSG_NOSIGNAL);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return FALSE;
      sent += n;
    }

  for (;;)
    {
      struct pollfd pfd = { fd, POLLIN, 0 };
      double left = deadline - now_s ();
      int rc;
      gssize n;

      rc = parse_response (raw->str, raw->len, dechunk, resp);
      if (rc == 1)
        return TRUE;
      if (rc < 0 || left <= 0)
        return FALSE;
      if (poll (&pfd, 1, (int) (left * 1000) + 1) <= 0)
        continue;
      reserve (raw, READ_CHUNK);
      n = recv (fd, raw->str + raw->len, raw->allocated_len - raw->len - 1, 0);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return FALSE;
      raw->len += n;
      raw->str[raw->len] = '\0';
    }
}

static char *
format_request (const char *method,
                const char *path,
                guint16     port,
                const char *token,
                const char *body)
{
  GString *s = g_string_new (NULL);

  g_string_append_printf (s, "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n", method, path, port);
  if (token)
    g_string_append_printf (s, "Authorization: Bearer %s\r\n", token);
  if (body)
    g_string_append_printf (s, "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
                            strlen (body), body);
  else
    g_string_append (s, "\r\n");
  return g_string_free (s, FALSE);
}

/* POST /api/v1/login; returns the token. */
static char *
login (guint16     port,
       const char *username,
       const char *password)
{
  g_autofree char *body = g_strdup_printf ("{\"username\":\"%s\",\"password\":\"%s\"}", username, password);
  g_autofree char *req = format_request ("POST", "/api/v1/login", port, NULL, body);
  g_autoptr(GString) raw = g_string_new (NULL);
  g_autoptr(GString) dechunk = g_string_new (NULL);
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *text = NULL;
  Resp r = { 0 };
  int fd = tcp_connect (port, FALSE);

  if (!blocking_exchange (fd, req, strlen (req), raw, dechunk, &r, 30) || r.status != 200)
    die ("login as %s failed: %d %.*s", username, r.status, (int) MIN (r.body_len, 300), r.body ? r.body : "");
  close (fd);
  text = g_strndup (r.body, r.body_len);
  node = json_from_string (text, NULL);
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node) ||
      !json_object_has_member (json_node_get_object (node), "token"))
    die ("login as %s: no token in %s", username, text);
  return g_strdup (json_object_get_string_member (json_node_get_object (node), "token"));
}

/* The event loop -------------------------------------------------------------- */

typedef struct _Conn Conn;
typedef struct _Workload Workload;

struct _Conn
{
  int        fd;
  guint16    port;
  guint      index;
  Workload  *wl;
  gboolean   in_flight;
  gboolean   want_out;
  double     t_sent;
  GString   *out;
  gsize      out_off;
  GString   *in;
  GString   *dechunk;

  /* Server-sent events. */
  gboolean   sse;
  gboolean   sse_started;
  gboolean   sse_chunked;
  int        sse_status;
  int        chunk_state;  /* 0: size line, 1: data, 2: CRLF after data */
  gsize      chunk_left;
  GString   *events;
  GArray    *seen;         /* SeenRev, for fan-out */
  gint64     max_rev;
  guint64    n_events;
};

typedef struct
{
  gint64 rev;
  double t;
} SeenRev;

typedef void (*FillFunc) (Conn *c);
typedef gboolean (*CheckFunc) (Conn *c, const Resp *r);

/* A kind of traffic: its connections, its counters. */
struct _Workload
{
  gboolean     steady;       /* soak: each created ticket is cancelled in the same request */
  const char *name;
  guint16     port;
  GPtrArray  *conns;
  FillFunc    fill;         /* NULL: resend the same request */
  CheckFunc   check;        /* NULL: a 2xx is good */
  gboolean    close_each;   /* a new connection per request (churn) */
  gboolean    issuing;
  double      rate;         /* requests/s; 0: as fast as answered */
  double      rate_start;
  guint64     issued;
  GQueue      parked;

  double      win_start;
  double      win_end;
  guint64     ok;           /* in the window */
  guint64     bad;          /* in the window */
  guint64     ok_total;
  guint64     bad_total;
  guint64     bytes;        /* response bytes in the window */
  guint       reconnects;
  GArray     *lat_ms;

  /* Mutations. */
  const char *token;
  GString    *sample;       /* one reply body, for the nginx file */
  gint64      last_rev;
  double      t_reply;
  gboolean    replied;
};

static int epfd = -1;

static void conn_send (Conn *c);

static void
conn_watch (Conn    *c,
            gboolean want_out)
{
  struct epoll_event ev = { .events = EPOLLIN | (want_out ? EPOLLOUT : 0), .data.ptr = c };

  if (c->want_out != want_out)
    {
      epoll_ctl (epfd, EPOLL_CTL_MOD, c->fd, &ev);
      c->want_out = want_out;
    }
}

static void
conn_open (Conn *c)
{
  struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };

  c->fd = tcp_connect (c->port, TRUE);
  c->want_out = FALSE;
  c->in_flight = FALSE;
  c->out_off = 0;
  c->sse_started = FALSE;
  c->chunk_state = 0;
  c->chunk_left = 0;
  g_string_truncate (c->in, 0);
  if (c->events)
    g_string_truncate (c->events, 0);
  if (epoll_ctl (epfd, EPOLL_CTL_ADD, c->fd, &ev) < 0)
    die ("epoll_ctl: %s", g_strerror (errno));
}

static void
conn_close (Conn *c)
{
  if (c->fd >= 0)
    {
      epoll_ctl (epfd, EPOLL_CTL_DEL, c->fd, NULL);
      close (c->fd);
      c->fd = -1;
    }
  c->in_flight = FALSE;
}

static Conn *
conn_new (Workload *wl,
          guint16   port,
          guint     index,
          char     *request_take)
{
  Conn *c = g_new0 (Conn, 1);

  c->fd = -1;
  c->wl = wl;
  c->port = port;
  c->index = index;
  c->in = g_string_sized_new (READ_CHUNK + 1);
  c->dechunk = g_string_new (NULL);
  c->out = g_string_new (request_take);
  g_free (request_take);
  return c;
}

static void
conn_free (Conn *c)
{
  conn_close (c);
  g_string_free (c->in, TRUE);
  g_string_free (c->dechunk, TRUE);
  g_string_free (c->out, TRUE);
  if (c->events)
    g_string_free (c->events, TRUE);
  if (c->seen)
    g_array_unref (c->seen);
  g_free (c);
}

static void
conn_flush (Conn *c)
{
  while (c->out_off < c->out->len)
    {
      gssize n = send (c->fd, c->out->str + c->out_off, c->out->len - c->out_off, MSG_NOSIGNAL);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 && errno == EAGAIN)
        {
          conn_watch (c, TRUE);
          return;
        }
      if (n <= 0)
        return; /* the read side sees the error */
      c->out_off += n;
    }
  conn_watch (c, FALSE);
}

static void
conn_send (Conn *c)
{
  Workload *wl = c->wl;

  if (c->fd < 0)
    conn_open (c);
  if (wl && wl->fill)
    wl->fill (c);
  c->out_off = 0;
  c->in_flight = TRUE;
  if (wl)
    wl->issued++;
  c->t_sent = now_s ();
  conn_flush (c);
}

static gboolean
may_issue (Workload *wl,
           double    now)
{
  if (!wl->issuing)
    return FALSE;
  if (wl->rate <= 0)
    return TRUE;
  return wl->issued < (guint64) ((now - wl->rate_start) * wl->rate) + 1;
}

/* Counts a whole response; its bytes are still in c->in. */
static void
request_record (Conn       *c,
                const Resp *r,
                double      now)
{
  Workload *wl = c->wl;
  gboolean good = r->status / 100 == 2 && (wl->check == NULL || wl->check (c, r));

  c->in_flight = FALSE;
  if (good)
    wl->ok_total++;
  else
    wl->bad_total++;
  if (!good && wl->bad_total <= 3)
    fprintf (stderr, "bench-server: %s: status %d: %.*s\n", wl->name, r->status,
             (int) MIN (r->body_len, 400), r->body ? r->body : "");
  if (now >= wl->win_start && now < wl->win_end)
    {
      if (good)
        wl->ok++;
      else
        wl->bad++;
      wl->bytes += r->total;
      lat_add (wl->lat_ms, (now - c->t_sent) * 1000.0);
    }
}

/* The next request on @c, now or when the rate allows. */
static void
request_next (Conn     *c,
              gboolean  close,
              double    now)
{
  Workload *wl = c->wl;

  if (wl->close_each || close)
    conn_close (c);
  if (may_issue (wl, now))
    conn_send (c);
  else if (wl->issuing)
    g_queue_push_tail (&wl->parked, c);
}

static void
sse_event (Conn       *c,
           const char *text,
           gsize       len,
           double      now)
{
  const char *ev = NULL, *data = NULL;
  const char *p = text, *end = text + len;

  c->n_events++;
  while (p < end)
    {
      const char *nl = memchr (p, '\n', end - p);

      if (nl == NULL)
        nl = end;
      if (nl - p > 7 && memcmp (p, "event: ", 7) == 0)
        ev = p + 7;
      else if (nl - p > 6 && memcmp (p, "data: ", 6) == 0)
        data = p + 6;
      p = nl + 1;
    }

  if (ev && data && strncmp (ev, "rev\n", 4) == 0)
    {
      const char *r = strstr (data, "\"rev\":");

      if (r)
        {
          SeenRev s = { g_ascii_strtoll (r + 6, NULL, 10), now };

          if (s.rev > c->max_rev)
            c->max_rev = s.rev;
          if (c->seen && c->seen->len < 100000)
            g_array_append_val (c->seen, s);
        }
    }
}

/* Decodes what arrived on an event stream; FALSE when it ended. */
static gboolean
sse_feed (Conn  *c,
          double now)
{
  gsize pos = 0;
  const char *nn;

  if (!c->sse_started)
    {
      const char *end = memmem (c->in->str, c->in->len, "\r\n\r\n", 4);

      if (end == NULL)
        return c->in->len < 65536;
      /* The headers alone: parse_response wants a length; look ourselves. */
      c->sse_status = atoi (c->in->str + 9);
      c->sse_chunked = g_strstr_len (c->in->str, end - c->in->str, "chunked") != NULL;
      c->sse_started = TRUE;
      pos = end - c->in->str + 4;
      if (c->sse_status != 200)
        {
          fprintf (stderr, "bench-server: event stream refused: %.*s\n", (int) MIN (c->in->len, 400), c->in->str);
          return FALSE;
        }
    }

  while (pos < c->in->len)
    {
      if (!c->sse_chunked)
        {
          g_string_append_len (c->events, c->in->str + pos, c->in->len - pos);
          pos = c->in->len;
        }
      else if (c->chunk_state == 0)
        {
          const char *eol = memmem (c->in->str + pos, c->in->len - pos, "\r\n", 2);

          if (eol == NULL)
            break;
          c->chunk_left = g_ascii_strtoull (c->in->str + pos, NULL, 16);
          pos = eol - c->in->str + 2;
          if (c->chunk_left == 0)
            return FALSE;
          c->chunk_state = 1;
        }
      else if (c->chunk_state == 1)
        {
          gsize n = MIN (c->chunk_left, c->in->len - pos);

          g_string_append_len (c->events, c->in->str + pos, n);
          pos += n;
          c->chunk_left -= n;
          if (c->chunk_left == 0)
            c->chunk_state = 2;
        }
      else
        {
          if (c->in->len - pos < 2)
            break;
          pos += 2;
          c->chunk_state = 0;
        }
    }
  g_string_erase (c->in, 0, pos);

  /* Whole events; one erase for all of them. */
  pos = 0;
  while (pos < c->events->len &&
         (nn = memmem (c->events->str + pos, c->events->len - pos, "\n\n", 2)) != NULL)
    {
      gsize n = nn - (c->events->str + pos) + 2;

      sse_event (c, c->events->str + pos, n, now);
      pos += n;
    }
  g_string_erase (c->events, 0, pos);
  return TRUE;
}

static guint sse_ended;

static void
conn_readable (Conn  *c,
               double now)
{
  gssize n;

  if (c->in->allocated_len - c->in->len < READ_CHUNK / 4)
    reserve (c->in, READ_CHUNK);
  n = recv (c->fd, c->in->str + c->in->len, c->in->allocated_len - c->in->len - 1, 0);
  if (n < 0 && (errno == EAGAIN || errno == EINTR))
    return;
  if (n > 0)
    {
      c->in->len += n;
      c->in->str[c->in->len] = '\0';
    }

  if (c->sse)
    {
      if (n <= 0 || !sse_feed (c, now))
        {
          sse_ended++;
          conn_close (c);
        }
      return;
    }

  if (n > 0 && c->in_flight)
    {
      Resp r;
      int rc = parse_response (c->in->str, c->in->len, c->dechunk, &r);

      if (rc == 0)
        return;
      if (rc == 1)
        {
          gboolean close = r.close;

          request_record (c, &r, now);
          g_string_erase (c->in, 0, r.total);
          request_next (c, close, now);
          return;
        }
    }

  /* Closed, broken, or bytes nobody asked for: start again. */
  {
    Workload *wl = c->wl;
    gboolean was_in_flight = c->in_flight;

    conn_close (c);
    if (was_in_flight)
      wl->bad_total++;
    if (++wl->reconnects > MAX_RECONNECTS)
      die ("%s: more than %d broken connections", wl->name, MAX_RECONNECTS);
    if (wl->issuing)
      conn_send (c);
  }
}

typedef gboolean (*TickFunc) (gpointer data, double now);

/* Runs until @until, or until @tick returns FALSE. */
static void
loop_run (double   until,
          TickFunc tick,
          gpointer data)
{
  struct epoll_event events[256];

  for (;;)
    {
      double now = now_s ();
      int n, timeout = (int) MIN (5.0, MAX (0.0, (until - now) * 1000.0));

      if (now >= until || (tick && !tick (data, now)))
        return;
      n = epoll_wait (epfd, events, G_N_ELEMENTS (events), timeout);
      if (n < 0 && errno != EINTR)
        die ("epoll_wait: %s", g_strerror (errno));
      now = now_s ();
      for (int i = 0; i < n; i++)
        {
          Conn *c = events[i].data.ptr;

          if (c->fd < 0)
            continue;
          if (events[i].events & EPOLLOUT)
            conn_flush (c);
          if (events[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP))
            conn_readable (c, now);
        }
    }
}

/* Workloads ---------------------------------------------------------------- */

static Workload *
workload_new (const char *name,
              guint16     port)
{
  Workload *wl = g_new0 (Workload, 1);

  wl->name = name;
  wl->port = port;
  wl->conns = g_ptr_array_new_with_free_func ((GDestroyNotify) conn_free);
  wl->lat_ms = g_array_new (FALSE, FALSE, sizeof (double));
  g_queue_init (&wl->parked);
  wl->last_rev = -1;
  return wl;
}

static void
workload_free (Workload *wl)
{
  g_ptr_array_unref (wl->conns);
  g_array_unref (wl->lat_ms);
  g_queue_clear (&wl->parked);
  if (wl->sample)
    g_string_free (wl->sample, TRUE);
  g_free (wl);
}

static void
workload_start (Workload *wl,
                double    now,
                double    warmup,
                double    duration)
{
  wl->issuing = TRUE;
  wl->rate_start = now;
  wl->win_start = now + warmup;
  wl->win_end = now + warmup + duration;
  for (guint i = 0; i < wl->conns->len; i++)
    {
      Conn *c = g_ptr_array_index (wl->conns, i);

      if (may_issue (wl, now))
        conn_send (c);
      else
        g_queue_push_tail (&wl->parked, c);
    }
}

/* Sends for parked connections whose turn has come (rate limits). */
static void
workload_tick (Workload *wl,
               double    now)
{
  while (!g_queue_is_empty (&wl->parked) && may_issue (wl, now))
    conn_send (g_queue_pop_head (&wl->parked));
}

static guint
workload_in_flight (Workload *wl)
{
  guint n = 0;

  for (guint i = 0; i < wl->conns->len; i++)
    n += ((Conn *) g_ptr_array_index (wl->conns, i))->in_flight;
  return n;
}

typedef struct
{
  Workload **wls;
  guint      n;
} WlSet;

static gboolean
tick_load (gpointer data,
           double   now)
{
  WlSet *set = data;

  for (guint i = 0; i < set->n; i++)
    workload_tick (set->wls[i], now);
  return TRUE;
}

static gboolean
tick_drain (gpointer data,
            double   now)
{
  WlSet *set = data;

  for (guint i = 0; i < set->n; i++)
    if (workload_in_flight (set->wls[i]) > 0)
      return TRUE;
  return FALSE;
}

/* Stops sending, waits (5 s at most) for what is in flight. */
static void
workloads_drain (Workload **wls,
                 guint      n)
{
  WlSet set = { wls, n };

  for (guint i = 0; i < n; i++)
    {
      wls[i]->issuing = FALSE;
      g_queue_clear (&wls[i]->parked);
    }
  loop_run (now_s () + 5, tick_drain, &set);
}

typedef struct
{
  double per_s;
  double p50_ms;
  double p99_ms;
  double target_cpu;   /* cores */
  double client_cpu;   /* cores */
  double other_cpu;    /* cores: the rest of the machine, kernel included */
  guint64 ok;
  guint64 bad;
  double bytes_per_reply;
} LoadResult;

/* Runs one workload: @warmup seconds unmeasured, then @duration. */
static LoadResult
run_load (Workload *wl,
          int       target_pid,
          double    warmup,
          double    duration)
{
  LoadResult res = { 0 };
  WlSet set = { &wl, 1 };
  double t0 = now_s ();
  double cpu_target0, cpu_self0, cpu_target1, cpu_self1, t1, busy0, busy1;

  workload_start (wl, t0, warmup, duration);
  loop_run (wl->win_start, tick_load, &set);
  cpu_target0 = proc_cpu_tree (target_pid);
  cpu_self0 = self_cpu ();
  busy0 = machine_busy ();
  t1 = now_s ();
  loop_run (wl->win_end, tick_load, &set);
  cpu_target1 = proc_cpu_tree (target_pid);
  cpu_self1 = self_cpu ();
  busy1 = machine_busy ();
  t1 = now_s () - t1;
  workloads_drain (&wl, 1);

  res.ok = wl->ok;
  res.bad = wl->bad;
  res.per_s = wl->ok / duration;
  res.p50_ms = percentile (wl->lat_ms, 50);
  res.p99_ms = percentile (wl->lat_ms, 99);
  res.target_cpu = (cpu_target1 - cpu_target0) / t1;
  res.client_cpu = (cpu_self1 - cpu_self0) / t1;
  res.other_cpu = MAX (0.0, (busy1 - busy0) / t1 - res.target_cpu - res.client_cpu);
  res.bytes_per_reply = wl->ok + wl->bad ? (double) wl->bytes / (wl->ok + wl->bad) : 0;
  return res;
}

static void
print_load (const char       *prefix,
            const LoadResult *r)
{
  printf ("%s_per_s: %.0f\n", prefix, r->per_s);
  printf ("%s_ok: %" G_GUINT64_FORMAT "\n", prefix, r->ok);
  printf ("%s_errors: %" G_GUINT64_FORMAT "\n", prefix, r->bad);
  printf ("%s_latency_p50_ms: %.2f\n", prefix, r->p50_ms);
  printf ("%s_latency_p99_ms: %.2f\n", prefix, r->p99_ms);
  printf ("%s_reply_bytes: %.0f\n", prefix, r->bytes_per_reply);
  printf ("%s_target_cpu_cores: %.2f\n", prefix, r->target_cpu);
  printf ("%s_client_cpu_cores: %.2f\n", prefix, r->client_cpu);
  printf ("%s_other_cpu_cores: %.2f\n", prefix, r->other_cpu);
  fflush (stdout);
}

/* The run ------------------------------------------------------------------- */

typedef struct
{
  char *username;
  char *password;
  char *crew_id;
  char *token;
} Account;

static guint16 server_port, nginx_port;
static int server_pid, nginx_pid;
static char *www_dir;
static char *state_file;
static gint soak_seconds;
static gint sample_seconds = 5;
static gint phase_seconds = 5;
static gint n_devices_used = 50;
static gint n_mutation_clients = 16;
static gint n_subscribers = 50;
static gint n_events = 300;
static gint soak_mutation_rate = 100;
static gint changes_runs = 2;
static gint fanout_load_rate = 2000;
static char *only;

static gboolean
want (const char *part)
{
  g_auto(GStrv) parts = NULL;

  if (only == NULL)
    return TRUE;
  parts = g_strsplit (only, ",", -1);
  return g_strv_contains ((const char * const *) parts, part);
}

static Account dispatcher;
static GPtrArray *devices; /* of Account* */

static const char ticket_args[] =
  "{\"channel\":\"hotline\",\"category\":\"no-power\",\"urgency\":\"urgent\",\"utility\":\"power\","
  "\"customer\":{\"name\":\"Wang Fang\",\"phone\":\"+86 10 5555 0101\"},"
  "\"address\":\"12 Riverside Road\",\"lat\":39.91,\"lon\":116.40}";

static void
fill_mutation (Conn *c)
{
  Workload *wl = c->wl;
  char id[37], target[37];
  char body[2048];
  int n;

  /* One counter for the whole run: a repeated id would be replayed. */
  uuid_counter++;
  format_uuid (id, 1, uuid_counter);
  format_uuid (target, 2, uuid_counter);
  if (wl->steady)
    {
      char close_id[37];

      /* The soak's steady state: each ticket is closed as it is created
       * (cancelled), so the open set stays as it is while the history
       * grows, as in a dispatch room over a day. */
      format_uuid (close_id, 3, uuid_counter);
      n = g_snprintf (body, sizeof body,
                      "{\"mutations\":[{\"id\":\"%s\",\"op\":\"ticket.create\",\"target\":\"%s\",\"args\":%s},"
                      "{\"id\":\"%s\",\"op\":\"ticket.set_status\",\"target\":\"%s\",\"args\":{\"status\":\"cancelled\"}}]}",
                      id, target, ticket_args, close_id, target);
    }
  else
    n = g_snprintf (body, sizeof body,
                    "{\"mutations\":[{\"id\":\"%s\",\"op\":\"ticket.create\",\"target\":\"%s\",\"args\":%s}]}",
                    id, target, ticket_args);
  g_string_printf (c->out,
                   "POST /api/v1/mutations HTTP/1.1\r\nHost: 127.0.0.1:%u\r\nAuthorization: Bearer %s\r\n"
                   "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
                   c->port, wl->token, n, body);
}

static gboolean
check_mutation (Conn       *c,
                const Resp *r)
{
  Workload *wl = c->wl;
  const char *rev;

  if (memmem (r->body, r->body_len, "\"status\":\"applied\"", 18) == NULL)
    return FALSE;
  if (wl->sample == NULL)
    wl->sample = g_string_new_len (r->body, r->body_len);
  rev = g_strrstr_len (r->body, r->body_len, "\"last_rev\":");
  wl->last_rev = rev ? g_ascii_strtoll (rev + 11, NULL, 10) : -1;
  wl->t_reply = now_s ();
  wl->replied = TRUE;
  /* last_rev 0: a replayed result, not a new change. */
  return wl->last_rev > 0;
}

static Workload *
positions_workload (guint16 port)
{
  Workload *wl = workload_new ("positions", port);

  for (guint i = 0; i < devices->len && i < (guint) n_devices_used; i++)
    {
      Account *a = g_ptr_array_index (devices, i);
      g_autofree char *path = g_strdup_printf ("/api/v1/crews/%s/position", a->crew_id);
      g_autofree char *body = g_strdup_printf ("{\"lat\":%.6f,\"lon\":%.6f,\"heading\":%.1f,\"speed_kmh\":%.1f}",
                                               45.75 + i * 0.001, 126.65 + i * 0.001, (i * 37) % 360 * 1.0, 30.0);

      g_ptr_array_add (wl->conns, conn_new (wl, port, i, format_request ("POST", path, port, a->token, body)));
    }
  return wl;
}

static Workload *
mutations_workload (guint16 port,
                    guint   n,
                    const char *name)
{
  Workload *wl = workload_new (name, port);

  wl->fill = fill_mutation;
  wl->token = dispatcher.token;
  if (port == server_port)
    wl->check = check_mutation;
  for (guint i = 0; i < n; i++)
    g_ptr_array_add (wl->conns, conn_new (wl, port, i, g_strdup ("")));
  return wl;
}

/* 1. The changes feed, paged until more=false. */

typedef struct
{
  double   seconds;
  guint64  rows;
  guint64  bytes;
  guint    pages;
  double   client_parse_s;
} PullResult;

static PullResult
pull_server (GPtrArray *pages_out,
             gboolean   count_rows)
{
  PullResult res = { 0 };
  g_autoptr(GString) raw = g_string_new (NULL);
  g_autoptr(GString) dechunk = g_string_new (NULL);
  gint64 since = 0;
  gboolean more = TRUE;
  int fd = tcp_connect (server_port, FALSE);
  double t0 = now_s ();

  for (guint page = 0; more && page < MAX_PAGES; page++)
    {
      g_autofree char *path = g_strdup_printf ("/api/v1/changes?since=%" G_GINT64_FORMAT "&limit=%d", since, PAGE_LIMIT);
      g_autofree char *req = format_request ("GET", path, server_port, dispatcher.token, NULL);
      const char *tail, *p;
      Resp r;

      if (!blocking_exchange (fd, req, strlen (req), raw, dechunk, &r, 120) || r.status != 200)
        die ("changes page %u failed: %d", page, r.status);
      res.bytes += r.total;
      res.pages++;
      /* The reply ends with ],"last_rev":N,"more":B}: read it from the end. */
      tail = r.body + (r.body_len > 200 ? r.body_len - 200 : 0);
      p = g_strstr_len (tail, r.body + r.body_len - tail, "\"last_rev\":");
      if (p == NULL)
        die ("changes page %u: no last_rev", page);
      since = g_ascii_strtoll (p + 11, NULL, 10);
      more = g_strstr_len (tail, r.body + r.body_len - tail, "\"more\":true") != NULL;
      if (pages_out)
        g_ptr_array_add (pages_out, g_bytes_new (r.body, r.body_len));
    }
  res.seconds = now_s () - t0;
  close (fd);

  /* Count the rows outside the timing, with a real parser. */
  if (pages_out && count_rows)
    {
      double t1 = now_s ();

      for (guint i = 0; i < pages_out->len; i++)
        {
          gsize len;
          const char *data = g_bytes_get_data (g_ptr_array_index (pages_out, i), &len);
          g_autoptr(JsonParser) parser = json_parser_new ();
          JsonObject *o;

          if (!json_parser_load_from_data (parser, data, len, NULL))
            die ("changes page %u is not JSON", i);
          o = json_node_get_object (json_parser_get_root (parser));
          res.rows += json_array_get_length (json_object_get_array_member (o, "changes"));
        }
      res.client_parse_s = now_s () - t1;
    }
  return res;
}

static PullResult
pull_nginx (guint n_pages)
{
  PullResult res = { 0 };
  g_autoptr(GString) raw = g_string_new (NULL);
  g_autoptr(GString) dechunk = g_string_new (NULL);
  int fd = tcp_connect (nginx_port, FALSE);
  double t0 = now_s ();

  for (guint page = 0; page < n_pages; page++)
    {
      g_autofree char *path = g_strdup_printf ("/changes-%u.json", page);
      g_autofree char *req = format_request ("GET", path, nginx_port, dispatcher.token, NULL);
      Resp r;

      if (!blocking_exchange (fd, req, strlen (req), raw, dechunk, &r, 120) || r.status != 200)
        die ("nginx page %u failed: %d", page, r.status);
      res.bytes += r.total;
      res.pages++;
    }
  res.seconds = now_s () - t0;
  close (fd);
  return res;
}

/* 4. Fan-out: timestamp a mutation, time each subscriber's "rev" event. */

typedef struct
{
  Workload *driver;
  Workload *load;       /* position reports meanwhile, or NULL */
  GPtrArray *subs;
  guint     e;
  guint     n;
  int       state;      /* 0: idle, 1: waiting for the reply, 2: for the events */
  double    next_at;
  double    wait_until;
  double   *t_send;
  double   *t_reply;
  gint64   *rev;
  guint     timeouts;
} Fanout;

static gboolean
tick_subscribed (gpointer data,
                 double   now)
{
  GPtrArray *subs = data;

  for (guint i = 0; i < subs->len; i++)
    if (((Conn *) g_ptr_array_index (subs, i))->max_rev <= 0)
      return TRUE;
  return FALSE;
}

static gboolean
tick_fanout (gpointer data,
             double   now)
{
  Fanout *f = data;
  Conn *driver = g_ptr_array_index (f->driver->conns, 0);

  if (f->e >= f->n)
    return FALSE;
  if (f->load)
    workload_tick (f->load, now);

  switch (f->state)
    {
    case 0:
      if (now < f->next_at)
        return TRUE;
      f->driver->replied = FALSE;
      conn_send (driver);
      f->t_send[f->e] = driver->t_sent;
      f->state = 1;
      f->wait_until = now + 10;
      return TRUE;

    case 1:
      if (!f->driver->replied)
        {
          if (now > f->wait_until)
            die ("fan-out: the mutation got no reply in 10 s");
          return TRUE;
        }
      f->t_reply[f->e] = f->driver->t_reply;
      f->rev[f->e] = f->driver->last_rev;
      f->state = 2;
      f->wait_until = now + 2;
      /* fall through */

    case 2:
      for (guint i = 0; i < f->subs->len; i++)
        if (((Conn *) g_ptr_array_index (f->subs, i))->max_rev < f->rev[f->e])
          {
            if (now < f->wait_until)
              return TRUE;
            f->timeouts++;
            break;
          }
      f->e++;
      f->state = 0;
      /* A little air between events, jittered, so they do not beat with
       * the server's own timers. */
      f->next_at = now + 0.005 + g_random_double_range (0, 0.005);
      return TRUE;

    default:
      g_assert_not_reached ();
    }
}

typedef struct
{
  double p50, p99, max, p50_after_reply, p99_after_reply;
  guint  samples, missing, timeouts, events;
  double load_per_s;            /* position reports/s meanwhile */
  double events_per_s;          /* events read, all subscribers */
  guint  ended;                 /* streams the server closed */
} FanoutResult;

/* @load_rate: position reports/s sent meanwhile (each one is an event to
 * every subscriber); 0 for none. */
static FanoutResult
run_fanout (double load_rate)
{
  FanoutResult res = { 0 };
  g_autoptr(GPtrArray) subs = g_ptr_array_new_with_free_func ((GDestroyNotify) conn_free);
  g_autoptr(GArray) lat = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) lat2 = g_array_new (FALSE, FALSE, sizeof (double));
  Workload *driver = mutations_workload (server_port, 1, "fan-out driver");
  Workload *load = NULL;
  Fanout f = { 0 };
  guint64 events0 = 0, events1 = 0;
  guint ended0 = sse_ended;
  double t0, t1;

  for (guint i = 0; i < (guint) n_subscribers; i++)
    {
      Conn *c = conn_new (NULL, server_port, i,
                          format_request ("GET", "/api/v1/events", server_port, dispatcher.token, NULL));

      c->sse = TRUE;
      c->events = g_string_new (NULL);
      c->seen = g_array_new (FALSE, FALSE, sizeof (SeenRev));
      conn_open (c);
      conn_flush (c);
      g_ptr_array_add (subs, c);
    }
  /* Wait for every stream's first event (its starting revision). */
  loop_run (now_s () + 10, tick_subscribed, subs);
  for (guint i = 0; i < subs->len; i++)
    if (((Conn *) g_ptr_array_index (subs, i))->max_rev <= 0)
      die ("fan-out: subscriber %u got no first event in 10 s", i);

  f.driver = driver;
  f.subs = subs;
  f.n = n_events;
  f.t_send = g_new0 (double, f.n);
  f.t_reply = g_new0 (double, f.n);
  f.rev = g_new0 (gint64, f.n);
  driver->issuing = FALSE; /* the tick sends, one at a time */
  conn_open (g_ptr_array_index (driver->conns, 0));
  for (guint i = 0; i < subs->len; i++)
    events0 += ((Conn *) g_ptr_array_index (subs, i))->n_events;
  t0 = now_s ();
  if (load_rate > 0)
    {
      load = positions_workload (server_port);
      load->rate = load_rate;
      f.load = load;
      workload_start (load, t0, 0, 3600);
      /* A second for the load to settle before the first timed event. */
      f.next_at = t0 + 1;
    }
  loop_run (t0 + MAX (60.0, n_events * 0.5), tick_fanout, &f);
  t1 = now_s ();
  if (load)
    {
      workloads_drain (&load, 1);
      res.load_per_s = load->ok / (t1 - t0);
      workload_free (load);
    }
  for (guint i = 0; i < subs->len; i++)
    events1 += ((Conn *) g_ptr_array_index (subs, i))->n_events;
  res.events_per_s = (events1 - events0) / (t1 - t0);
  res.ended = sse_ended - ended0;
  res.events = f.e;
  res.timeouts = f.timeouts;

  if (g_getenv ("BENCH_DEBUG"))
    {
      Conn *c = g_ptr_array_index (subs, 0);

      for (guint e = 0; e < f.e; e++)
        fprintf (stderr, "event %u rev %" G_GINT64_FORMAT " send %.6f reply %.6f\n", e, f.rev[e], f.t_send[e], f.t_reply[e]);
      for (guint k = 0; k < c->seen->len; k++)
        fprintf (stderr, "seen %" G_GINT64_FORMAT " at %.6f\n", g_array_index (c->seen, SeenRev, k).rev,
                 g_array_index (c->seen, SeenRev, k).t);
    }
  for (guint i = 0; i < subs->len; i++)
    {
      Conn *c = g_ptr_array_index (subs, i);
      guint k = 0;

      /* Both lists rise: walk them together. */
      for (guint e = 0; e < f.e; e++)
        {
          while (k < c->seen->len && g_array_index (c->seen, SeenRev, k).rev < f.rev[e])
            k++;
          if (k == c->seen->len)
            {
              res.missing++;
              continue;
            }
          {
            double t = g_array_index (c->seen, SeenRev, k).t;
            double ms = (t - f.t_send[e]) * 1000.0;
            double ms2 = (t - f.t_reply[e]) * 1000.0;

            g_array_append_val (lat, ms);
            g_array_append_val (lat2, ms2);
          }
        }
    }
  res.samples = lat->len;
  res.p50 = percentile (lat, 50);
  res.p99 = percentile (lat, 99);
  res.max = lat->len ? g_array_index (lat, double, lat->len - 1) : NAN;
  res.p50_after_reply = percentile (lat2, 50);
  res.p99_after_reply = percentile (lat2, 99);

  g_free (f.t_send);
  g_free (f.t_reply);
  g_free (f.rev);
  workload_free (driver);
  return res;
}

static void
print_fanout (const char         *prefix,
              const FanoutResult *r)
{
  printf ("%s_events: %u\n", prefix, r->events);
  printf ("%s_samples: %u\n", prefix, r->samples);
  printf ("%s_missing: %u\n", prefix, r->missing);
  printf ("%s_timeouts: %u\n", prefix, r->timeouts);
  printf ("%s_streams_ended: %u\n", prefix, r->ended);
  printf ("%s_events_read_per_s: %.0f\n", prefix, r->events_per_s);
  printf ("%s_p50_ms: %.2f\n", prefix, r->p50);
  printf ("%s_p99_ms: %.2f\n", prefix, r->p99);
  printf ("%s_max_ms: %.2f\n", prefix, r->max);
  printf ("%s_after_reply_p50_ms: %.2f\n", prefix, r->p50_after_reply);
  printf ("%s_after_reply_p99_ms: %.2f\n", prefix, r->p99_after_reply);
  fflush (stdout);
}

/* 5. Soak. */

typedef struct
{
  Workload *pos;
  Workload *mut;
  Workload *churn;
  GPtrArray *streams;
  double    next_sample;
  double    next_reconnect;
  double    t0;
  GArray   *rss;
  GArray   *fds;
  GArray   *at;
} Soak;

static gboolean
tick_soak (gpointer data,
           double   now)
{
  Soak *s = data;

  workload_tick (s->pos, now);
  workload_tick (s->mut, now);
  workload_tick (s->churn, now);

  if (now >= s->next_reconnect)
    {
      /* Event streams come and go, as desks open and close. */
      for (guint i = 0; i < s->streams->len; i++)
        {
          Conn *c = g_ptr_array_index (s->streams, i);

          conn_close (c);
          conn_open (c);
          conn_flush (c);
        }
      s->next_reconnect = now + 10;
    }

  if (now >= s->next_sample)
    {
      gint64 rss = proc_rss_kb (server_pid), fds = proc_fds (server_pid);
      double t = now - s->t0;

      if (rss < 0)
        die ("soak: the server (pid %d) is gone", server_pid);
      g_array_append_val (s->rss, rss);
      g_array_append_val (s->fds, fds);
      g_array_append_val (s->at, t);
      printf ("soak_sample: t=%.0fs rss_kb=%" G_GINT64_FORMAT " fds=%" G_GINT64_FORMAT
              " positions=%" G_GUINT64_FORMAT " mutations=%" G_GUINT64_FORMAT " churn=%" G_GUINT64_FORMAT
              " errors=%" G_GUINT64_FORMAT "\n",
              t, rss, fds, s->pos->ok_total, s->mut->ok_total, s->churn->ok_total,
              s->pos->bad_total + s->mut->bad_total + s->churn->bad_total);
      fflush (stdout);
      s->next_sample += sample_seconds;
    }
  return TRUE;
}

static void
stats3 (GArray *v,
        gint64 *first,
        gint64 *last,
        gint64 *max)
{
  *first = *last = *max = -1;
  for (guint i = 0; i < v->len; i++)
    *max = MAX (*max, g_array_index (v, gint64, i));
  if (v->len)
    {
      *first = g_array_index (v, gint64, 0);
      *last = g_array_index (v, gint64, v->len - 1);
    }
}

typedef struct
{
  gboolean ran;
  gint64 rss_first, rss_last, rss_max;
  gint64 fds_first, fds_last, fds_max;
  double positions_per_s, mutations_per_s;
  guint64 errors;
  gboolean rss_flat, fds_flat;
} SoakResult;

static SoakResult
run_soak (void)
{
  SoakResult res = { 0 };
  Soak s = { 0 };
  Workload *wls[3];
  double t_end;
  guint half;
  gint64 max_first_half = 0, max_second_half = 0;

  s.pos = positions_workload (server_port);
  s.mut = mutations_workload (server_port, 4, "soak mutations");
  s.mut->rate = soak_mutation_rate;
  s.mut->steady = TRUE;
  if (soak_mutation_rate == 0)
    g_ptr_array_set_size (s.mut->conns, 0);
  s.churn = workload_new ("soak churn", server_port);
  s.churn->close_each = TRUE;
  s.churn->rate = 20;
  for (guint i = 0; i < 2; i++)
    g_ptr_array_add (s.churn->conns,
                     conn_new (s.churn, server_port, i,
                               g_strdup_printf ("GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n"
                                                "Connection: close\r\n\r\n", server_port)));
  s.streams = g_ptr_array_new_with_free_func ((GDestroyNotify) conn_free);
  for (guint i = 0; i < 5; i++)
    {
      Conn *c = conn_new (NULL, server_port, i,
                          format_request ("GET", "/api/v1/events", server_port, dispatcher.token, NULL));

      c->sse = TRUE;
      c->events = g_string_new (NULL);
      conn_open (c);
      conn_flush (c);
      g_ptr_array_add (s.streams, c);
    }
  s.rss = g_array_new (FALSE, FALSE, sizeof (gint64));
  s.fds = g_array_new (FALSE, FALSE, sizeof (gint64));
  s.at = g_array_new (FALSE, FALSE, sizeof (double));

  s.t0 = now_s ();
  t_end = s.t0 + soak_seconds;
  s.next_sample = s.t0 + MIN (sample_seconds, soak_seconds);
  s.next_reconnect = s.t0 + 10;
  workload_start (s.pos, s.t0, 0, soak_seconds);
  workload_start (s.mut, s.t0, 0, soak_seconds);
  workload_start (s.churn, s.t0, 0, soak_seconds);
  loop_run (t_end + 0.01, tick_soak, &s);
  wls[0] = s.pos;
  wls[1] = s.mut;
  wls[2] = s.churn;
  workloads_drain (wls, 3);

  res.ran = TRUE;
  stats3 (s.rss, &res.rss_first, &res.rss_last, &res.rss_max);
  stats3 (s.fds, &res.fds_first, &res.fds_last, &res.fds_max);
  res.positions_per_s = s.pos->ok / (double) soak_seconds;
  res.mutations_per_s = s.mut->ok / (double) soak_seconds;
  res.errors = s.pos->bad_total + s.mut->bad_total + s.churn->bad_total;

  /* Flat: the second half never climbs more than 5% (plus 4 MiB of
   * slack for allocator noise) above the first half's peak. */
  half = s.rss->len / 2;
  for (guint i = 0; i < s.rss->len; i++)
    {
      gint64 v = g_array_index (s.rss, gint64, i);

      if (i < MAX (half, 1))
        max_first_half = MAX (max_first_half, v);
      else
        max_second_half = MAX (max_second_half, v);
    }
  res.rss_flat = s.rss->len < 2 || max_second_half <= max_first_half * 1.05 + 4096;
  /* The load holds 50 + 4 + 5 connections, plus up to 2 short ones. */
  res.fds_flat = s.fds->len < 2 || res.fds_last <= res.fds_first + 4;

  g_ptr_array_unref (s.streams);
  workload_free (s.pos);
  workload_free (s.mut);
  workload_free (s.churn);
  g_array_unref (s.rss);
  g_array_unref (s.fds);
  g_array_unref (s.at);
  return res;
}

/* The table ------------------------------------------------------------------ */

static const char *
verdict (gboolean ran,
         gboolean ok)
{
  return !ran ? "-" : ok ? "MET" : "MISSED";
}

static void
row (const char *name,
     const char *ours,
     const char *anchor,
     const char *ratio,
     const char *goal,
     const char *result)
{
  printf ("| %-38s | %14s | %14s | %8s | %-12s | %-6s |\n", name, ours, anchor, ratio, goal, result);
}

static char *
fmt (int    decimals,
     double v)
{
  return isnan (v) || isinf (v) ? g_strdup ("-") : g_strdup_printf ("%.*f", decimals, v);
}

static void
load_state (void)
{
  g_autoptr(GKeyFile) kf = g_key_file_new ();
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) names = NULL;

  if (!g_key_file_load_from_file (kf, state_file, G_KEY_FILE_NONE, &error))
    die ("%s: %s", state_file, error->message);
  dispatcher.username = g_key_file_get_string (kf, "dispatcher", "username", NULL);
  dispatcher.password = g_key_file_get_string (kf, "dispatcher", "password", NULL);
  names = g_key_file_get_string_list (kf, "devices", "usernames", NULL, NULL);
  if (dispatcher.username == NULL || names == NULL)
    die ("%s: not a state file written by bench-server seed", state_file);
  devices = g_ptr_array_new ();
  for (guint i = 0; names[i]; i++)
    {
      Account *a = g_new0 (Account, 1);

      a->username = g_strdup (names[i]);
      a->password = g_key_file_get_string (kf, names[i], "password", NULL);
      a->crew_id = g_key_file_get_string (kf, names[i], "crew", NULL);
      g_ptr_array_add (devices, a);
    }
}

static int
cmd_run (int    argc,
         char **argv)
{
  gint sp = 0, np = 0;
  GOptionEntry entries[] = {
    { "state", 0, 0, G_OPTION_ARG_FILENAME, &state_file, "State file written by seed", "FILE" },
    { "server-port", 0, 0, G_OPTION_ARG_INT, &sp, "crewdesk-server's port on 127.0.0.1", "PORT" },
    { "server-pid", 0, 0, G_OPTION_ARG_INT, &server_pid, "crewdesk-server's process id", "PID" },
    { "nginx-port", 0, 0, G_OPTION_ARG_INT, &np, "nginx's port on 127.0.0.1", "PORT" },
    { "nginx-pid", 0, 0, G_OPTION_ARG_INT, &nginx_pid, "nginx's master process id", "PID" },
    { "www", 0, 0, G_OPTION_ARG_FILENAME, &www_dir, "nginx's document root (files are written there)", "DIR" },
    { "seconds", 0, 0, G_OPTION_ARG_INT, &phase_seconds, "Measured seconds per throughput run (5)", "S" },
    { "devices", 0, 0, G_OPTION_ARG_INT, &n_devices_used, "Crew devices reporting positions (50)", "N" },
    { "mutation-clients", 0, 0, G_OPTION_ARG_INT, &n_mutation_clients, "Concurrent mutation clients (16)", "N" },
    { "subscribers", 0, 0, G_OPTION_ARG_INT, &n_subscribers, "Event stream subscribers (50)", "N" },
    { "events", 0, 0, G_OPTION_ARG_INT, &n_events, "Events timed for fan-out (300)", "N" },
    { "fanout-load-rate", 0, 0, G_OPTION_ARG_INT, &fanout_load_rate, "Position reports/s during the second fan-out run (2000; 0: skip it)", "N" },
    { "changes-runs", 0, 0, G_OPTION_ARG_INT, &changes_runs, "Full changes pulls per target (2)", "N" },
    { "only", 0, 0, G_OPTION_ARG_STRING, &only, "Run only these parts: changes,positions,mutations,fanout,soak", "LIST" },
    { "soak", 0, 0, G_OPTION_ARG_INT, &soak_seconds, "Soak seconds (0: none)", "S" },
    { "soak-mutation-rate", 0, 0, G_OPTION_ARG_INT, &soak_mutation_rate, "Mutations/s during the soak (100; 0: none)", "N" },
    { "sample", 0, 0, G_OPTION_ARG_INT, &sample_seconds, "Soak sampling interval (5 s)", "S" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("- benchmark crewdesk-server against nginx");
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) pages = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  PullResult pull_s = { NAN, 0 }, pull_n = { NAN, 0 };
  LoadResult pos_s = { NAN, NAN, NAN, NAN, NAN }, pos_n = pos_s, mut_s = pos_s, mut_n = pos_s;
  FanoutResult fan = { NAN, NAN, NAN, NAN, NAN }, fan_load = fan;
  SoakResult soak = { 0 };
  Workload *wl;
  double t0;
  gint64 fds_start, rss_start, fds_settled;
  FdKinds kinds_start, kinds_end = { 0 };

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    die ("%s", error->message);
  if (state_file == NULL || sp <= 0 || sp > 65535 || np < 0 || np > 65535 || server_pid <= 0 || www_dir == NULL)
    die ("run needs --state, --server-port, --server-pid and --www (and --nginx-port, or 0 for no anchor)");
  if (phase_seconds < 1 || phase_seconds > 600 || n_events < 1 || n_events > 100000 ||
      n_subscribers < 1 || n_subscribers > 2000 || n_mutation_clients < 1 || n_mutation_clients > 1000 ||
      soak_seconds < 0 || soak_seconds > 7 * 86400 || soak_mutation_rate < 0 || sample_seconds < 1 || changes_runs < 1 || changes_runs > 10)
    die ("an option is out of range");
  server_port = sp;
  nginx_port = np;
  signal (SIGPIPE, SIG_IGN);
  epfd = epoll_create1 (EPOLL_CLOEXEC);
  uuid_run_a = g_random_int ();
  uuid_run_b = g_random_int ();
  load_state ();
  if (devices->len < (guint) n_devices_used)
    die ("the state file has %u crew devices, fewer than --devices %d", devices->len, n_devices_used);

  /* Log in, through the real path (argon2id verification each). */
  t0 = now_s ();
  dispatcher.token = login (server_port, dispatcher.username, dispatcher.password);
  for (guint i = 0; i < (guint) n_devices_used; i++)
    {
      Account *a = g_ptr_array_index (devices, i);

      a->token = login (server_port, a->username, a->password);
    }
  fds_start = proc_fds (server_pid);
  rss_start = proc_rss_kb (server_pid);
  kinds_start = proc_fd_kinds (server_pid);
  printf ("server_fds_start: %" G_GINT64_FORMAT " (sockets %" G_GINT64_FORMAT ", database files %" G_GINT64_FORMAT
          ", other %" G_GINT64_FORMAT ")\n", fds_start, kinds_start.sockets, kinds_start.db_files, kinds_start.other);
  printf ("server_rss_kb_start: %" G_GINT64_FORMAT "\n", rss_start);
  printf ("logins: %d\n", n_devices_used + 1);
  printf ("login_ms_each: %.1f\n", (now_s () - t0) * 1000.0 / (n_devices_used + 1));
  fflush (stdout);

  /* 3. The changes pull first, before the other runs add rows. */
  if (want ("changes"))
    {
      for (gint run = 0; run < changes_runs; run++)
        {
          g_ptr_array_set_size (pages, 0);
          pull_s = pull_server (pages, run == changes_runs - 1);
          printf ("changes_run%d_seconds: %.3f\n", run + 1, pull_s.seconds);
        }
      for (guint i = 0; i < pages->len; i++)
        {
          g_autofree char *path = g_strdup_printf ("%s/changes-%u.json", www_dir, i);
          gsize len;
          const char *data = g_bytes_get_data (g_ptr_array_index (pages, i), &len);

          if (!g_file_set_contents (path, data, len, &error))
            die ("%s", error->message);
        }
      for (gint run = 0; nginx_port && run < changes_runs; run++)
        {
          pull_n = pull_nginx (pages->len);
          printf ("changes_nginx_run%d_seconds: %.3f\n", run + 1, pull_n.seconds);
        }
      printf ("changes_rows: %" G_GUINT64_FORMAT "\n", pull_s.rows);
      printf ("changes_pages: %u\n", pull_s.pages);
      printf ("changes_bytes: %" G_GUINT64_FORMAT "\n", pull_s.bytes);
      printf ("changes_seconds: %.3f\n", pull_s.seconds);
      printf ("changes_rows_per_s: %.0f\n", pull_s.rows / pull_s.seconds);
      printf ("changes_mb_per_s: %.1f\n", pull_s.bytes / pull_s.seconds / 1e6);
      printf ("changes_nginx_seconds: %.3f\n", pull_n.seconds);
      printf ("changes_nginx_rows_per_s: %.0f\n", pull_s.rows / pull_n.seconds);
      printf ("changes_client_json_parse_seconds: %.3f\n", pull_s.client_parse_s);
      fflush (stdout);
    }

  /* 1. Position reports. */
  if (want ("positions"))
    {
      wl = positions_workload (server_port);
      pos_s = run_load (wl, server_pid, 1, phase_seconds);
      workload_free (wl);
      print_load ("positions", &pos_s);
      if (nginx_port)
        {
          wl = positions_workload (nginx_port);
          pos_n = run_load (wl, nginx_pid, 1, phase_seconds);
          workload_free (wl);
          print_load ("positions_nginx", &pos_n);
        }
    }

  /* 2. Ticket mutations, one per request. */
  if (want ("mutations"))
    {
      wl = mutations_workload (server_port, n_mutation_clients, "mutations");
      mut_s = run_load (wl, server_pid, 1, phase_seconds);
      if (wl->sample == NULL)
        die ("no mutation was applied");
      {
        g_autofree char *dir = g_build_filename (www_dir, "api", "v1", NULL);
        g_autofree char *path = g_build_filename (dir, "mutations", NULL);

        g_mkdir_with_parents (dir, 0755);
        if (!g_file_set_contents (path, wl->sample->str, wl->sample->len, &error))
          die ("%s", error->message);
      }
      workload_free (wl);
      print_load ("mutations", &mut_s);
      printf ("mutations_clients: %d\n", n_mutation_clients);
      if (nginx_port)
        {
          wl = mutations_workload (nginx_port, n_mutation_clients, "mutations (nginx)");
          mut_n = run_load (wl, nginx_pid, 1, phase_seconds);
          workload_free (wl);
          print_load ("mutations_nginx", &mut_n);
        }
    }

  /* 4. Fan-out: on a quiet server, then while crews report. */
  if (want ("fanout"))
    {
      fan = run_fanout (0);
      printf ("fanout_subscribers: %d\n", n_subscribers);
      print_fanout ("fanout", &fan);
      if (fanout_load_rate > 0)
        {
          fan_load = run_fanout (fanout_load_rate);
          printf ("fanout_load_position_rate_asked: %d\n", fanout_load_rate);
          printf ("fanout_load_positions_per_s: %.0f\n", fan_load.load_per_s);
          print_fanout ("fanout_load", &fan_load);
        }
    }

  /* 5. Soak. */
  if (soak_seconds > 0 && want ("soak"))
    {
      soak = run_soak ();
      printf ("soak_seconds: %d\n", soak_seconds);
      printf ("soak_positions_per_s: %.0f\n", soak.positions_per_s);
      printf ("soak_mutations_per_s: %.0f\n", soak.mutations_per_s);
      printf ("soak_errors: %" G_GUINT64_FORMAT "\n", soak.errors);
      printf ("soak_rss_kb_first_last_max: %" G_GINT64_FORMAT " %" G_GINT64_FORMAT " %" G_GINT64_FORMAT "\n",
              soak.rss_first, soak.rss_last, soak.rss_max);
      printf ("soak_fds_first_last_max: %" G_GINT64_FORMAT " %" G_GINT64_FORMAT " %" G_GINT64_FORMAT "\n",
              soak.fds_first, soak.fds_last, soak.fds_max);
    }
  /* Every connection of the run is closed now. A stream whose client
   * left is noticed at the next heartbeat (15 s): wait for the count to
   * come back to where it started, 40 s at most. */
  {
    double t_idle = now_s ();
    gint64 fds = proc_fds (server_pid);

    printf ("server_fds_after_load: %" G_GINT64_FORMAT "\n", fds);
    kinds_end = proc_fd_kinds (server_pid);
    while (kinds_end.sockets > kinds_start.sockets && now_s () - t_idle < 40)
      {
        g_usleep (250 * 1000);
        kinds_end = proc_fd_kinds (server_pid);
      }
    fds = proc_fds (server_pid);
    fds_settled = fds;
    printf ("server_fds_settled: %" G_GINT64_FORMAT " (sockets %" G_GINT64_FORMAT ", database files %" G_GINT64_FORMAT
            ", other %" G_GINT64_FORMAT ") after %.1f s idle\n",
            fds, kinds_end.sockets, kinds_end.db_files, kinds_end.other, now_s () - t_idle);
    printf ("server_rss_kb_end: %" G_GINT64_FORMAT "\n", proc_rss_kb (server_pid));
  }

  /* The table. */
  {
    g_autofree char *a1 = fmt (0, pos_s.per_s), *b1 = fmt (0, pos_n.per_s), *r1 = fmt (3, pos_s.per_s / pos_n.per_s);
    g_autofree char *a2 = fmt (0, mut_s.per_s), *b2 = fmt (0, mut_n.per_s), *r2 = fmt (3, mut_s.per_s / mut_n.per_s);
    g_autofree char *a3 = fmt (2, pull_s.seconds), *b3 = fmt (2, pull_n.seconds), *r3 = isnan (pull_n.seconds) ? g_strdup ("-") : g_strdup_printf ("%.1fx", pull_s.seconds / pull_n.seconds);
    g_autofree char *a4 = fmt (0, pull_s.rows / pull_s.seconds), *b4 = fmt (0, pull_s.rows / pull_n.seconds);
    g_autofree char *r4 = fmt (3, pull_n.seconds / pull_s.seconds);
    g_autofree char *a5 = fmt (2, fan.p50), *a6 = fmt (2, fan.p99);
    g_autofree char *p1 = fmt (2, pos_s.p99_ms), *q1 = fmt (2, pos_n.p99_ms);
    g_autofree char *p2 = fmt (2, mut_s.p99_ms), *q2 = fmt (2, mut_n.p99_ms);
    g_autofree char *c1 = fmt (2, pos_s.target_cpu), *d1 = fmt (2, pos_n.target_cpu);
    g_autofree char *c2 = fmt (2, mut_s.target_cpu), *d2 = fmt (2, mut_n.target_cpu);
    g_autofree char *rows_name = g_strdup_printf ("changes pull, %" G_GUINT64_FORMAT " rows: s", pull_s.rows);

    printf ("\n");
    row ("figure", "crewdesk", "nginx", "ratio", "goal", "result");
    printf ("|%s|%s|%s|%s|%s|%s|\n", "----------------------------------------", "----------------", "----------------",
            "----------", "--------------", "--------");
    row ("position reports/s", a1, b1, r1, ">= 10000", verdict (!isnan (pos_s.per_s), pos_s.per_s >= GOAL_POSITIONS));
    row ("  p99 latency ms", p1, q1, "", "", "");
    row ("  target CPU cores", c1, d1, "", "", "");
    row ("ticket mutations/s", a2, b2, r2, ">= 3000", verdict (!isnan (mut_s.per_s), mut_s.per_s >= GOAL_MUTATIONS));
    row ("  p99 latency ms", p2, q2, "", "", "");
    row ("  target CPU cores", c2, d2, "", "", "");
    row (rows_name, a3, b3, r3, "", "");
    row ("changes pull: rows/s", a4, b4, r4, "", "");
    row ("event fan-out to 50 subscribers p50 ms", a5, "-", "", "", "");
    row ("event fan-out to 50 subscribers p99 ms", a6, "-", "", "< 50", verdict (!isnan (fan.p99), fan.p99 < GOAL_P99_MS && fan.missing == 0));
    if (fanout_load_rate > 0 && !isnan (fan_load.p99))
      {
        g_autofree char *name = g_strdup_printf ("  same, with %.0f positions/s: p50 ms", fan_load.load_per_s);
        g_autofree char *name2 = g_strdup_printf ("  same, with %.0f positions/s: p99 ms", fan_load.load_per_s);
        g_autofree char *a7 = fmt (2, fan_load.p50), *a8 = fmt (2, fan_load.p99);

        row (name, a7, "-", "", "", "");
        row (name2, a8, "-", "", "< 50", verdict (!isnan (fan_load.p99), fan_load.p99 < GOAL_P99_MS && fan_load.missing == 0));
      }
    if (soak.ran)
      {
        g_autofree char *rss = g_strdup_printf ("%.1f/%.1f/%.1f", soak.rss_first / 1024.0, soak.rss_last / 1024.0, soak.rss_max / 1024.0);
        g_autofree char *fds = g_strdup_printf ("%" G_GINT64_FORMAT "/%" G_GINT64_FORMAT "/%" G_GINT64_FORMAT,
                                                soak.fds_first, soak.fds_last, soak.fds_max);
        g_autofree char *name1 = g_strdup_printf ("soak %ds: RSS MiB first/last/max", soak_seconds);
        g_autofree char *name2 = g_strdup_printf ("soak %ds: open fds first/last/max", soak_seconds);

        row (name1, rss, "", "", "flat", verdict (TRUE, soak.rss_flat));
        row (name2, fds, "", "", "flat", verdict (TRUE, soak.fds_flat));
      }
    else
      row ("soak", "not run", "", "", "flat", "-");
    {
      g_autofree char *fd_text = g_strdup_printf ("%" G_GINT64_FORMAT " -> %" G_GINT64_FORMAT, fds_start, fds_settled);
      g_autofree char *sock_text = g_strdup_printf ("%" G_GINT64_FORMAT " -> %" G_GINT64_FORMAT,
                                                    kinds_start.sockets, kinds_end.sockets);

      /* The reader pool grows to the peak concurrency, three descriptors a
       * connection, and keeps them: only sockets must come back. */
      row ("open fds: start -> idle after the run", fd_text, "", "", "", "");
      row ("  of which sockets", sock_text, "", "", "same", verdict (TRUE, kinds_end.sockets <= kinds_start.sockets));
    }
  }

  return 0;
}

/* Seeding ------------------------------------------------------------------- */

#define N_AREAS 12

static void
save_with_rev (CdStore  *store,
               CdRecord *record)
{
  g_autoptr(GError) error = NULL;

  record->rev = cd_store_next_rev (store, &error);
  if (error == NULL)
    {
      record->version++;
      cd_store_save (store, record, &error);
    }
  if (error)
    die ("save: %s", error->message);
}

static CdCrew *
make_crew (guint  n,
           gint64 now)
{
  CdCrew *c = cd_crew_new ();
  const char *skills[] = { n % 2 ? "high-voltage" : "district-heating", "leak-repair", NULL };
  g_autofree char *a1 = g_strdup_printf ("district-%02u", n % N_AREAS + 1);
  g_autofree char *a2 = g_strdup_printf ("district-%02u", (n + 1) % N_AREAS + 1);
  const char *areas[] = { a1, a2, NULL };
  const char *members[] = { "Li Wei", "Zhang Min", NULL };

  c->parent_instance.id = g_uuid_string_random ();
  c->name = g_strdup_printf ("Crew %03u", n);
  c->utility = n % 2 ? CD_UTILITY_POWER : CD_UTILITY_HEAT;
  c->status = CD_CREW_STATUS_AVAILABLE;
  c->members = g_strdupv ((char **) members);
  c->skills = g_strdupv ((char **) skills);
  c->areas = g_strdupv ((char **) areas);
  c->phone = g_strdup_printf ("+86 451 5555 %04u", n);
  c->capacity = 3;
  c->lat = 45.75;
  c->lon = 126.65;
  c->position_at = now;
  c->updated_at = now;
  return c;
}

/* A year of a mid-sized utility: nearly all closed; the open ones recent,
 * assigned and inside their time limits, so the server's timers and batch
 * optimizer have work of a normal day, not a backlog. */
static CdTicket *
make_ticket (GRand     *rand,
             guint      n,
             guint      total,
             GPtrArray *crews,
             gint64     now)
{
  static const CdTicketStatus open_statuses[] = {
    CD_TICKET_STATUS_ASSIGNED, CD_TICKET_STATUS_CONTACTED, CD_TICKET_STATUS_EN_ROUTE, CD_TICKET_STATUS_ON_SITE,
  };
  static const CdTicketStatus closed_statuses[] = {
    CD_TICKET_STATUS_CLOSED, CD_TICKET_STATUS_CLOSED, CD_TICKET_STATUS_CLOSED,
    CD_TICKET_STATUS_RESOLVED, CD_TICKET_STATUS_CANCELLED, CD_TICKET_STATUS_DUPLICATE,
  };
  CdTicket *t = cd_ticket_new ();
  gboolean open = n >= total - MIN (total / 50, 1000); /* the newest: 2%, at most 1000 */
  gint64 created = open ? now - g_rand_int_range (rand, 60, 1200)
                        : now - 365 * 86400 + (gint64) n * (364 * 86400 / MAX (total, 1));
  CdCrew *crew = g_ptr_array_index (crews, g_rand_int_range (rand, 0, crews->len));
  const char *skills[] = { "leak-repair", NULL };

  t->parent_instance.id = g_uuid_string_random ();
  t->number = g_strdup_printf ("HT-%07u", n);
  t->channel = g_rand_int_range (rand, 0, CD_CHANNEL_NETWORK_MONITOR + 1);
  t->category = g_rand_int_range (rand, 0, CD_N_CATEGORIES);
  t->urgency = g_rand_int_range (rand, 0, CD_N_URGENCIES);
  t->utility = crew->utility;
  t->status = open ? open_statuses[g_rand_int_range (rand, 0, G_N_ELEMENTS (open_statuses))]
                   : closed_statuses[g_rand_int_range (rand, 0, G_N_ELEMENTS (closed_statuses))];
  t->customer_name = g_strdup_printf ("Customer %u", n);
  t->customer_phone = g_strdup_printf ("+86 451 %04u %04u", n % 10000, (n * 7) % 10000);
  t->customer_account = g_strdup_printf ("AC-%08u", n * 13);
  t->address = g_strdup_printf ("%u Zhongyang Street, building %u, flat %u", n % 400, n % 37, n % 120);
  t->lat = 45.75 + g_rand_double_range (rand, -0.13, 0.13);
  t->lon = 126.65 + g_rand_double_range (rand, -0.19, 0.19);
  t->area = g_strdup_printf ("district-%02u", g_rand_int_range (rand, 0, N_AREAS) + 1);
  t->area_class = g_rand_int_range (rand, 0, CD_N_AREA_CLASSES);
  t->description = g_strdup ("Radiators cold in the whole flat since the morning; neighbours "
                             "report the same. Customer is elderly and at home all day.");
  t->skills = g_strdupv ((char **) skills);
  t->owner = g_strdup ("dispatcher");
  t->crew_id = g_strdup (crew->parent_instance.id);
  t->assignment_source = CD_ASSIGNMENT_SOURCE_AUTO;
  t->sla_first_response_min = 240;
  t->sla_on_site_min = 480;
  t->sla_resolved_min = 1440;
  t->due_first_response = created + 240 * 60;
  t->due_on_site = created + 480 * 60;
  t->due_resolved = created + 1440 * 60;
  t->pauses = g_ptr_array_new_with_free_func (g_object_unref);
  t->created_at = created;
  if (!open || t->status >= CD_TICKET_STATUS_CONTACTED)
    t->first_response_at = created + 30;
  if (!open || t->status >= CD_TICKET_STATUS_ON_SITE)
    t->on_site_at = created + 50;
  if (!open)
    {
      t->resolved_at = created + 7200;
      t->closed_at = created + 7300;
    }
  t->updated_at = open ? created + 50 : created + 7300;
  return t;
}

static void
add_user (const char *server_bin,
          const char *db,
          const char *username,
          const char *password,
          const char *role,
          const char *crew)
{
  g_autoptr(GSubprocess) p = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *input = g_strconcat (password, "\n", NULL);

  p = g_subprocess_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_SILENCE, &error,
                        server_bin, "--db", db, "--add-user", username, "--role", role,
                        crew ? "--crew" : NULL, crew, NULL);
  if (p == NULL || !g_subprocess_communicate_utf8 (p, input, NULL, NULL, NULL, &error))
    die ("%s --add-user: %s", server_bin, error->message);
  if (!g_subprocess_get_successful (p))
    die ("%s --add-user %s failed", server_bin, username);
}

static int
cmd_seed (int    argc,
          char **argv)
{
  char *db = NULL, *server_bin = NULL, *state = NULL;
  gint n_crews = 500, n_tickets = 100000, n_dev = 50, batch = 2000;
  GOptionEntry entries[] = {
    { "db", 0, 0, G_OPTION_ARG_FILENAME, &db, "Database to create", "FILE" },
    { "server-bin", 0, 0, G_OPTION_ARG_FILENAME, &server_bin, "crewdesk-server, for --add-user", "FILE" },
    { "state", 0, 0, G_OPTION_ARG_FILENAME, &state, "Where to write the users and crews", "FILE" },
    { "crews", 0, 0, G_OPTION_ARG_INT, &n_crews, "Crews (500)", "N" },
    { "tickets", 0, 0, G_OPTION_ARG_INT, &n_tickets, "Tickets (100000)", "N" },
    { "devices", 0, 0, G_OPTION_ARG_INT, &n_dev, "Crew-device users (50)", "N" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("- seed a database for bench-server run");
  g_autoptr(GError) error = NULL;
  g_autoptr(CdStore) store = NULL;
  g_autoptr(GPtrArray) crews = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GRand) rand = g_rand_new_with_seed (20240611);
  g_autoptr(GKeyFile) kf = g_key_file_new ();
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  double t0 = now_s ();

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    die ("%s", error->message);
  if (db == NULL || server_bin == NULL || state == NULL)
    die ("seed needs --db, --server-bin and --state");
  if (n_crews < 1 || n_crews > 100000 || n_tickets < 0 || n_tickets > 10000000 || n_dev < 1 || n_dev > n_crews)
    die ("an option is out of range");

  cd_model_init ();
  store = cd_store_open (db, &error);
  if (store == NULL)
    die ("%s: %s", db, error->message);

  if (!cd_store_begin (store, &error))
    die ("begin: %s", error->message);
  for (gint i = 0; i < n_crews; i++)
    {
      CdCrew *c = make_crew (i, now);

      save_with_rev (store, CD_RECORD (c));
      g_ptr_array_add (crews, c);
    }
  if (!cd_store_commit (store, &error))
    die ("commit: %s", error->message);

  for (gint done = 0; done < n_tickets;)
    {
      if (!cd_store_begin (store, &error))
        die ("begin: %s", error->message);
      for (gint i = 0; i < batch && done < n_tickets; i++, done++)
        {
          g_autoptr(CdTicket) t = make_ticket (rand, done, n_tickets, crews, now);

          save_with_rev (store, CD_RECORD (t));
        }
      if (!cd_store_commit (store, &error))
        die ("commit: %s", error->message);
    }
  g_clear_object (&store);
  printf ("seed_crews: %d\n", n_crews);
  printf ("seed_tickets: %d\n", n_tickets);
  printf ("seed_records_s: %.1f\n", now_s () - t0);
  fflush (stdout);

  /* Users through the server's own --add-user (argon2id hashes). */
  t0 = now_s ();
  g_key_file_set_string (kf, "dispatcher", "username", "bench-dispatcher");
  g_key_file_set_string (kf, "dispatcher", "password", "bench-dispatcher-pw");
  add_user (server_bin, db, "bench-dispatcher", "bench-dispatcher-pw", "dispatcher", NULL);
  for (gint i = 0; i < n_dev; i++)
    {
      CdCrew *c = g_ptr_array_index (crews, i);
      g_autofree char *name = g_strdup_printf ("bench-crew-%03d", i);
      g_autofree char *password = g_strdup_printf ("%s-pw", name);

      add_user (server_bin, db, name, password, "crew-device", CD_RECORD (c)->id);
      g_key_file_set_string (kf, name, "password", password);
      g_key_file_set_string (kf, name, "crew", CD_RECORD (c)->id);
      g_ptr_array_add (names, g_steal_pointer (&name));
    }
  g_key_file_set_string_list (kf, "devices", "usernames", (const char * const *) names->pdata, names->len);
  if (!g_key_file_save_to_file (kf, state, &error))
    die ("%s: %s", state, error->message);
  printf ("seed_users: %d\n", n_dev + 1);
  printf ("seed_users_s: %.1f\n", now_s () - t0);
  return 0;
}

static int
cmd_free_port (void)
{
  struct sockaddr_in sa = { 0 };
  socklen_t len = sizeof sa;
  int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  if (fd < 0 || bind (fd, (struct sockaddr *) &sa, sizeof sa) < 0 ||
      getsockname (fd, (struct sockaddr *) &sa, &len) < 0)
    die ("no free port: %s", g_strerror (errno));
  printf ("%u\n", ntohs (sa.sin_port));
  close (fd);
  return 0;
}

int
main (int   argc,
      char *argv[])
{
  if (argc >= 2 && strcmp (argv[1], "seed") == 0)
    return cmd_seed (argc - 1, argv + 1);
  if (argc >= 2 && strcmp (argv[1], "run") == 0)
    return cmd_run (argc - 1, argv + 1);
  if (argc >= 2 && strcmp (argv[1], "free-port") == 0)
    return cmd_free_port ();

  fprintf (stderr, "Usage: bench-server free-port | seed --db FILE --server-bin BIN --state FILE | run ...\n"
                   "Normally started by bench/server.sh; see its header.\n");
  return 2;
}
