/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-report.c: the manager's figures over a date range.
 *
 * cd_report_new() reduces each ticket of the range to a small Fact (its
 * timers' outcomes, its durations, its callbacks' ratings, whether it was
 * overridden, reopened or repeated) in one pass over each input array, with
 * one hash table from ticket id to fact; every table is then a single pass
 * over the facts. At 100,000 tickets the cost is in cd_sla_evaluate() and
 * the hashing, not in the grouping.
 */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "cd-model.h"
#include "cd-report.h"

#define SECONDS_PER_DAY   86400
/* 0001-01-01 is GDate's Julian day 1; 1970-01-01 is day 719163. */
#define JULIAN_UNIX_EPOCH 719163
/* A day table longer than this is cut down to the days that have data. */
#define MAX_DAYS          (366 * 20)

enum {
  FACT_REPEAT      = 1 << 0, /* a repeat report: counted, nothing else */
  FACT_CANCELLED   = 1 << 1,
  FACT_RESOLVED    = 1 << 2,
  FACT_ASSIGNED    = 1 << 3,
  FACT_OVERRIDDEN  = 1 << 4,
  FACT_REOPENED    = 1 << 5, /* a callback opened second handling */
  FACT_REPEATED    = 1 << 6, /* a repeat report came within the window */
  FACT_FTF_PENDING = 1 << 7, /* the repeat window is still open */
};

typedef enum {
  OUTCOME_NONE,
  OUTCOME_MET,
  OUTCOME_MISSED,
} Outcome;

typedef struct {
  CdTicket *ticket;                  /* a reference */
  gint64    day;                     /* local day number, days since 1970-01-01 */
  gint64    response;                /* seconds, -1: none */
  gint64    arrival;
  gint64    resolution;
  guint     flags;
  guint8    outcome[CD_N_SLA_KINDS]; /* Outcome */
  guint     satisfied;
  guint     neutral;
  guint     unsatisfied;
  guint     override_events;
} Fact;

/* A row being filled, with the durations its statistics need. */
typedef struct {
  CdReportRow *row;
  GArray      *durations[3];         /* gint64: response, arrival, resolution */
} Acc;

struct _CdReport
{
  GObject    parent_instance;

  GArray    *facts;                  /* of Fact */
  GTimeZone *time_zone;
  gint64     first_day;              /* the day table's days; first > last: none */
  gint64     last_day;
};

G_DEFINE_FINAL_TYPE (CdReport, cd_report, G_TYPE_OBJECT)

static const char * const by_columns[CD_REPORT_N_BY] = {
  "scope", "category", "area", "crew", "day", "override",
};

/* The CSV columns, in order; never rename one (spreadsheets and scripts
 * find them by name), add new ones at the end. */
static const char * const csv_columns[] = {
  "tickets", "repeats", "cancelled", "resolved",
  "first_response_met", "first_response_decided", "first_response_rate",
  "on_site_met", "on_site_decided", "on_site_rate",
  "resolved_met", "resolved_decided", "resolved_rate",
  "limits_met", "limits_decided", "limits_rate",
  "response_count", "response_mean_s", "response_p90_s",
  "arrival_count", "arrival_mean_s", "arrival_p90_s",
  "resolution_count", "resolution_mean_s", "resolution_p90_s",
  "ftf_fixed", "ftf_resolved", "ftf_rate", "ftf_pending",
  "satisfied", "neutral", "unsatisfied", "satisfaction_rate",
  "overridden", "override_events",
};

/* Helpers ----------------------------------------------------------------- */

static void
fact_clear (gpointer data)
{
  Fact *fact = data;

  g_clear_object (&fact->ticket);
}

static gboolean
key_matches (const char *wanted,
             const char *value)
{
  if (wanted == NULL)
    return TRUE;
  if (wanted[0] == '\0')
    return value == NULL || value[0] == '\0';
  return g_strcmp0 (wanted, value) == 0;
}

static gboolean
in_population (const CdReportQuery *query,
               CdTicket            *ticket)
{
  return (query->from == 0 || ticket->created_at >= query->from) &&
         (query->to == 0 || ticket->created_at < query->to) &&
         (query->utility < 0 || (gint) ticket->utility == query->utility) &&
         (query->category < 0 || (gint) ticket->category == query->category) &&
         key_matches (query->area, ticket->area) &&
         key_matches (query->crew_id, ticket->crew_id);
}

static gint64
floor_div (gint64 a,
           gint64 b)
{
  return a >= 0 ? a / b : -((-a + b - 1) / b);
}

/* Days since 1970-01-01 in @tz's local time. */
static gint64
local_day (GTimeZone *tz,
           gint64     t)
{
  gint interval = g_time_zone_find_interval (tz, G_TIME_TYPE_UNIVERSAL, t);
  gint32 offset = interval >= 0 ? g_time_zone_get_offset (tz, interval) : 0;

  return floor_div (t + offset, SECONDS_PER_DAY);
}

/* The first second of local day @day, and its "YYYY-MM-DD". */
static gint64
day_start (GTimeZone  *tz,
           gint64      day,
           char      **key)
{
  g_autoptr(GDateTime) dt = NULL;
  GDate date;

  g_date_clear (&date, 1);
  g_date_set_julian (&date, (guint32) (day + JULIAN_UNIX_EPOCH));
  *key = g_strdup_printf ("%04u-%02u-%02u", g_date_get_year (&date),
                          (guint) g_date_get_month (&date), g_date_get_day (&date));
  dt = g_date_time_new (tz, g_date_get_year (&date), g_date_get_month (&date),
                        g_date_get_day (&date), 0, 0, 0);

  return dt != NULL ? g_date_time_to_unix (dt) : day * SECONDS_PER_DAY;
}

static Outcome
timer_outcome (CdTicket   *ticket,
               CdSlaKind   kind,
               CdCalendar *calendar,
               gint64      now)
{
  CdSlaStatus status;

  if (cd_sla_get_limit_min (ticket, kind) <= 0)
    return OUTCOME_NONE;
  /* Not reached and not open: nothing more will happen to it. */
  if (cd_sla_get_reached_at (ticket, kind) == 0 && !cd_ticket_is_open (ticket))
    return OUTCOME_NONE;

  cd_sla_evaluate (ticket, kind, calendar, now, &status);
  switch (status.state)
    {
    case CD_SLA_STATE_MET:
      return OUTCOME_MET;
    case CD_SLA_STATE_RED:
      return OUTCOME_MISSED;
    case CD_SLA_STATE_NONE:
    case CD_SLA_STATE_GREEN:
    case CD_SLA_STATE_AMBER:
    default:
      return OUTCOME_NONE;
    }
}

static gint64
duration (gint64 from,
          gint64 to)
{
  /* A milestone before creation is a clock error, not a figure. */
  return to != 0 && to >= from ? to - from : -1;
}

/* Who reported what: the same category from the same customer account, or
 * without an account at the same address. The text is borrowed (an
 * account) or owned by the caller (a folded address). */
typedef struct {
  guint       category;
  gboolean    by_address;
  const char *text;
} CustomerKey;

static guint
customer_key_hash (gconstpointer data)
{
  const CustomerKey *key = data;

  return g_str_hash (key->text) * 31u + key->category * 2u + (guint) key->by_address;
}

static gboolean
customer_key_equal (gconstpointer a,
                    gconstpointer b)
{
  const CustomerKey *ka = a;
  const CustomerKey *kb = b;

  return ka->category == kb->category && ka->by_address == kb->by_address &&
         strcmp (ka->text, kb->text) == 0;
}

/* Fills @key for @ticket; *folded receives the folded address to free, if
 * one was made. FALSE when neither an account nor an address is known. */
static gboolean
customer_key (CdTicket     *ticket,
              CustomerKey  *key,
              char        **folded)
{
  *folded = NULL;
  key->category = (guint) ticket->category;

  if (ticket->customer_account != NULL && ticket->customer_account[0] != '\0')
    {
      key->by_address = FALSE;
      key->text = ticket->customer_account;
      return TRUE;
    }

  if (ticket->address != NULL && ticket->address[0] != '\0')
    {
      g_autofree char *text = cd_ticket_address_key (ticket->address);

      if (text[0] == '\0')
        return FALSE;
      key->by_address = TRUE;
      key->text = *folded = g_steal_pointer (&text);
      return TRUE;
    }

  return FALSE;
}

static gboolean
is_repeat_of (CdTicket *later,
              Fact     *fact,
              gint64    window)
{
  gint64 resolved_at = fact->ticket->resolved_at;

  return later != fact->ticket &&
         later->created_at > resolved_at &&
         later->created_at - resolved_at <= window;
}

/* The FTF repeat search: every ticket of the input against the resolved
 * tickets of the population with the same customer key. Buckets are
 * chains through @next (fact index + 1, 0 ends), so the common case (an
 * account) allocates nothing per ticket but its key. */
static void
mark_repeated (CdReport   *self,
               GPtrArray  *tickets,
               GHashTable *by_id,
               gint64      window)
{
  g_autoptr(GHashTable) heads = g_hash_table_new_full (customer_key_hash, customer_key_equal, g_free, NULL);
  g_autoptr(GPtrArray) texts = g_ptr_array_new_with_free_func (g_free);
  g_autofree guint *next = g_new0 (guint, self->facts->len + 1);

  for (guint i = 0; i < self->facts->len; i++)
    {
      Fact *fact = &g_array_index (self->facts, Fact, i);
      CustomerKey key;
      char *folded;
      gpointer head;

      if (!(fact->flags & FACT_RESOLVED) || !customer_key (fact->ticket, &key, &folded))
        continue;
      if (folded != NULL)
        g_ptr_array_add (texts, folded);

      if (g_hash_table_lookup_extended (heads, &key, NULL, &head))
        {
          next[i + 1] = GPOINTER_TO_UINT (head);
          g_hash_table_replace (heads, g_memdup2 (&key, sizeof key), GUINT_TO_POINTER (i + 1));
        }
      else
        g_hash_table_insert (heads, g_memdup2 (&key, sizeof key), GUINT_TO_POINTER (i + 1));
    }

  if (g_hash_table_size (heads) == 0)
    return;

  for (guint i = 0; i < tickets->len; i++)
    {
      CdTicket *later = g_ptr_array_index (tickets, i);
      g_autofree char *folded = NULL;
      CustomerKey key;
      gpointer index;

      if (later->status == CD_TICKET_STATUS_CANCELLED)
        continue;

      if (later->duplicate_of != NULL &&
          g_hash_table_lookup_extended (by_id, later->duplicate_of, NULL, &index))
        {
          Fact *fact = &g_array_index (self->facts, Fact, GPOINTER_TO_UINT (index));

          if ((fact->flags & FACT_RESOLVED) && is_repeat_of (later, fact, window))
            fact->flags |= FACT_REPEATED;
        }

      if (!customer_key (later, &key, &folded))
        continue;

      for (guint link = GPOINTER_TO_UINT (g_hash_table_lookup (heads, &key)); link != 0; link = next[link])
        {
          Fact *fact = &g_array_index (self->facts, Fact, link - 1);

          if (is_repeat_of (later, fact, window))
            fact->flags |= FACT_REPEATED;
        }
    }
}

static void
set_day_range (CdReport            *self,
               const CdReportQuery *query)
{
  gint64 data_first = G_MAXINT64, data_last = G_MININT64;

  for (guint i = 0; i < self->facts->len; i++)
    {
      const Fact *fact = &g_array_index (self->facts, Fact, i);

      data_first = MIN (data_first, fact->day);
      data_last = MAX (data_last, fact->day);
    }

  self->first_day = query->from != 0 ? local_day (self->time_zone, query->from) : data_first;
  self->last_day = query->to != 0 ? local_day (self->time_zone, query->to - 1) : data_last;

  if (self->first_day <= self->last_day && self->last_day - self->first_day >= MAX_DAYS)
    {
      self->first_day = MAX (self->first_day, data_first);
      self->last_day = MIN (self->last_day, data_last);
      if (self->first_day <= self->last_day && self->last_day - self->first_day >= MAX_DAYS)
        self->first_day = self->last_day - MAX_DAYS + 1;
    }
}

/* Tables ------------------------------------------------------------------ */

static Acc *
acc_new (const char *key)
{
  Acc *acc = g_new0 (Acc, 1);

  acc->row = g_new0 (CdReportRow, 1);
  acc->row->key = g_strdup (key);
  for (guint i = 0; i < G_N_ELEMENTS (acc->durations); i++)
    acc->durations[i] = g_array_new (FALSE, FALSE, sizeof (gint64));

  return acc;
}

static void
row_free (CdReportRow *row)
{
  if (row == NULL)
    return;

  g_free (row->key);
  g_free (row);
}

static void
acc_free (Acc *acc)
{
  if (acc == NULL)
    return;

  row_free (acc->row);
  for (guint i = 0; i < G_N_ELEMENTS (acc->durations); i++)
    g_array_unref (acc->durations[i]);
  g_free (acc);
}

static void
ratio_add (CdReportRatio *ratio,
           gboolean       yes)
{
  ratio->denominator++;
  if (yes)
    ratio->numerator++;
}

static void
acc_add (Acc        *acc,
         const Fact *fact)
{
  CdReportRow *row = acc->row;
  const gint64 durations[3] = { fact->response, fact->arrival, fact->resolution };

  row->tickets++;
  if (fact->flags & FACT_REPEAT)
    {
      row->repeats++;
      return;
    }
  if (fact->flags & FACT_CANCELLED)
    {
      row->cancelled++;
      return;
    }

  for (guint kind = 0; kind < CD_N_SLA_KINDS; kind++)
    if (fact->outcome[kind] != OUTCOME_NONE)
      {
        ratio_add (&row->compliance[kind], fact->outcome[kind] == OUTCOME_MET);
        ratio_add (&row->compliance_all, fact->outcome[kind] == OUTCOME_MET);
      }

  for (guint i = 0; i < G_N_ELEMENTS (durations); i++)
    if (durations[i] >= 0)
      g_array_append_val (acc->durations[i], durations[i]);

  if (fact->flags & FACT_RESOLVED)
    {
      gboolean fixed = !(fact->flags & (FACT_REOPENED | FACT_REPEATED));

      row->resolved++;
      ratio_add (&row->first_time_fix, fixed);
      if (fixed && (fact->flags & FACT_FTF_PENDING))
        row->ftf_pending++;
    }

  row->satisfied += fact->satisfied;
  row->neutral += fact->neutral;
  row->unsatisfied += fact->unsatisfied;
  row->satisfaction.numerator += fact->satisfied;
  row->satisfaction.denominator += fact->satisfied + fact->neutral + fact->unsatisfied;

  if (fact->flags & FACT_OVERRIDDEN)
    row->overridden++;
  row->override_events += fact->override_events;
}

/* The @k-th smallest of @v[0..n) (0-based), moving elements about:
 * Hoare's selection with a median-of-three pivot, linear on average, so a
 * p90 over 100,000 durations needs no sort. */
static gint64
select_kth (gint64 *v,
            gssize  n,
            gssize  k)
{
  gssize lo = 0, hi = n - 1;

  while (lo < hi)
    {
      gint64 a = v[lo], b = v[lo + (hi - lo) / 2], c = v[hi];
      gint64 pivot = a < b ? (b < c ? b : (a < c ? c : a)) : (a < c ? a : (b < c ? c : b));
      gssize i = lo, j = hi;

      /* The pivot is one of the values, so both scans stop inside. */
      while (i <= j)
        {
          while (v[i] < pivot)
            i++;
          while (v[j] > pivot)
            j--;
          if (i <= j)
            {
              gint64 t = v[i];

              v[i++] = v[j];
              v[j--] = t;
            }
        }

      /* v[lo..j] ≤ pivot ≤ v[i..hi], and everything between is the pivot. */
      if (k <= j)
        hi = j;
      else if (k >= i)
        lo = i;
      else
        return v[k];
    }

  return v[k];
}

static void
stat_finish (CdReportStat *stat,
             GArray       *values)
{
  gint64 sum = 0;
  guint n = values->len;

  memset (stat, 0, sizeof *stat);
  if (n == 0)
    return;

  for (guint i = 0; i < n; i++)
    sum += g_array_index (values, gint64, i);

  stat->count = n;
  stat->mean = (double) sum / (double) n;
  /* Nearest rank: the ceil (0.9 n)-th smallest, 1-based. */
  stat->p90 = select_kth ((gint64 *) (gpointer) values->data, n, (gssize) ((9 * (gsize) n + 9) / 10) - 1);
}

/* Fills the statistics and hands the row over; frees @acc. */
static CdReportRow *
acc_finish (Acc *acc)
{
  CdReportRow *row = acc->row;

  stat_finish (&row->response, acc->durations[0]);
  stat_finish (&row->arrival, acc->durations[1]);
  stat_finish (&row->resolution, acc->durations[2]);
  acc->row = NULL;
  acc_free (acc);

  return row;
}

static gint
compare_rows_by_key_cb (gconstpointer a,
                        gconstpointer b)
{
  const CdReportRow *ra = *(CdReportRow * const *) a;
  const CdReportRow *rb = *(CdReportRow * const *) b;

  /* None last. */
  if (ra->key == NULL || rb->key == NULL)
    return (ra->key == NULL) - (rb->key == NULL);
  return strcmp (ra->key, rb->key);
}

static const char *
fact_key (const Fact *fact,
          CdReportBy  by)
{
  const char *key = by == CD_REPORT_BY_AREA ? fact->ticket->area : fact->ticket->crew_id;

  return key != NULL && key[0] != '\0' ? key : NULL;
}

/* Rows keyed by area or crew id, in key order, none last. */
static void
fill_keyed_rows (CdReport   *self,
                 CdReportBy  by,
                 GPtrArray  *rows)
{
  g_autoptr(GHashTable) by_key = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GPtrArray) accs = g_ptr_array_new ();
  Acc *none = NULL;

  for (guint i = 0; i < self->facts->len; i++)
    {
      const Fact *fact = &g_array_index (self->facts, Fact, i);
      const char *key = fact_key (fact, by);
      Acc *acc = key != NULL ? g_hash_table_lookup (by_key, key) : none;

      if (acc == NULL)
        {
          acc = acc_new (key);
          g_ptr_array_add (accs, acc);
          if (key != NULL)
            g_hash_table_insert (by_key, acc->row->key, acc);
          else
            none = acc;
        }
      acc_add (acc, fact);
    }

  for (guint i = 0; i < accs->len; i++)
    g_ptr_array_add (rows, acc_finish (g_ptr_array_index (accs, i)));
  g_ptr_array_sort (rows, compare_rows_by_key_cb);
}

static void
fill_category_rows (CdReport  *self,
                    GPtrArray *rows)
{
  Acc *accs[CD_N_CATEGORIES] = { NULL };

  for (guint i = 0; i < self->facts->len; i++)
    {
      const Fact *fact = &g_array_index (self->facts, Fact, i);
      guint category = (guint) fact->ticket->category;

      if (category >= CD_N_CATEGORIES)
        continue;
      if (accs[category] == NULL)
        accs[category] = acc_new (cd_enum_to_nick (CD_TYPE_CATEGORY, (gint) category));
      acc_add (accs[category], fact);
    }

  for (guint c = 0; c < CD_N_CATEGORIES; c++)
    if (accs[c] != NULL)
      g_ptr_array_add (rows, acc_finish (accs[c]));
}

static void
fill_day_rows (CdReport  *self,
               GPtrArray *rows)
{
  g_autofree Acc **accs = NULL;
  gint64 n_days;

  if (self->first_day > self->last_day)
    return;

  n_days = self->last_day - self->first_day + 1;
  accs = g_new0 (Acc *, n_days);
  for (gint64 d = 0; d < n_days; d++)
    {
      g_autofree char *key = NULL;
      gint64 start = day_start (self->time_zone, self->first_day + d, &key);

      accs[d] = acc_new (key);
      accs[d]->row->day = start;
    }

  for (guint i = 0; i < self->facts->len; i++)
    {
      const Fact *fact = &g_array_index (self->facts, Fact, i);

      if (fact->day >= self->first_day && fact->day <= self->last_day)
        acc_add (accs[fact->day - self->first_day], fact);
    }

  for (gint64 d = 0; d < n_days; d++)
    g_ptr_array_add (rows, acc_finish (accs[d]));
}

static void
fill_override_rows (CdReport  *self,
                    GPtrArray *rows)
{
  Acc *overridden = acc_new ("overridden");
  Acc *not_overridden = acc_new ("not-overridden");

  for (guint i = 0; i < self->facts->len; i++)
    {
      const Fact *fact = &g_array_index (self->facts, Fact, i);

      if (fact->flags & FACT_OVERRIDDEN)
        acc_add (overridden, fact);
      else if (fact->flags & FACT_ASSIGNED)
        acc_add (not_overridden, fact);
    }

  g_ptr_array_add (rows, acc_finish (overridden));
  g_ptr_array_add (rows, acc_finish (not_overridden));
}

/* CSV --------------------------------------------------------------------- */

static void
csv_append_uint (GString *out,
                 guint    value)
{
  g_string_append_c (out, ',');
  g_string_append_printf (out, "%u", value);
}

static void
csv_append_double (GString *out,
                   double   value,
                   int      decimals)
{
  char buffer[G_ASCII_DTOSTR_BUF_SIZE];

  /* g_ascii_formatd: a point, whatever the locale's decimal comma. */
  g_string_append_c (out, ',');
  g_string_append (out, g_ascii_formatd (buffer, sizeof buffer, decimals == 1 ? "%.1f" : "%.4f", value));
}

static void
csv_append_ratio (GString             *out,
                  const CdReportRatio *ratio,
                  gboolean             with_counts)
{
  double value;

  if (with_counts)
    {
      csv_append_uint (out, ratio->numerator);
      csv_append_uint (out, ratio->denominator);
    }
  if (cd_report_ratio_get (ratio, &value))
    csv_append_double (out, value, 4);
  else
    g_string_append_c (out, ',');
}

static void
csv_append_stat (GString            *out,
                 const CdReportStat *stat)
{
  csv_append_uint (out, stat->count);
  if (stat->count > 0)
    {
      csv_append_double (out, stat->mean, 1);
      g_string_append_printf (out, ",%" G_GINT64_FORMAT, stat->p90);
    }
  else
    g_string_append (out, ",,");
}

static void
csv_append_row (GString           *out,
                const CdReportRow *row)
{
  cd_report_csv_append_field (out, row->key);
  csv_append_uint (out, row->tickets);
  csv_append_uint (out, row->repeats);
  csv_append_uint (out, row->cancelled);
  csv_append_uint (out, row->resolved);
  for (guint kind = 0; kind < CD_N_SLA_KINDS; kind++)
    csv_append_ratio (out, &row->compliance[kind], TRUE);
  csv_append_ratio (out, &row->compliance_all, TRUE);
  csv_append_stat (out, &row->response);
  csv_append_stat (out, &row->arrival);
  csv_append_stat (out, &row->resolution);
  csv_append_ratio (out, &row->first_time_fix, TRUE);
  csv_append_uint (out, row->ftf_pending);
  csv_append_uint (out, row->satisfied);
  csv_append_uint (out, row->neutral);
  csv_append_uint (out, row->unsatisfied);
  csv_append_ratio (out, &row->satisfaction, FALSE);
  csv_append_uint (out, row->overridden);
  csv_append_uint (out, row->override_events);
  g_string_append (out, "\r\n");
}

/* Series ------------------------------------------------------------------ */

typedef enum {
  VALUE_COUNT,
  VALUE_RATIO,
  VALUE_MEAN,
  VALUE_P90,
} ValueKind;

typedef struct {
  const char *id;
  ValueKind   kind;
  gsize       offset;  /* of the guint, CdReportRatio or CdReportStat in the row */
} SeriesSpec;

#define R(member) G_STRUCT_OFFSET (CdReportRow, member)

static const SeriesSpec series_specs[] = {
  { "tickets", VALUE_COUNT, R (tickets) },
  { "repeats", VALUE_COUNT, R (repeats) },
  { "resolved", VALUE_COUNT, R (resolved) },
  { "compliance", VALUE_RATIO, R (compliance_all) },
  { "compliance-first-response", VALUE_RATIO, R (compliance[CD_SLA_KIND_FIRST_RESPONSE]) },
  { "compliance-on-site", VALUE_RATIO, R (compliance[CD_SLA_KIND_ON_SITE]) },
  { "compliance-resolved", VALUE_RATIO, R (compliance[CD_SLA_KIND_RESOLVED]) },
  { "first-time-fix", VALUE_RATIO, R (first_time_fix) },
  { "satisfaction", VALUE_RATIO, R (satisfaction) },
  { "response-mean", VALUE_MEAN, R (response) },
  { "response-p90", VALUE_P90, R (response) },
  { "arrival-mean", VALUE_MEAN, R (arrival) },
  { "arrival-p90", VALUE_P90, R (arrival) },
  { "resolution-mean", VALUE_MEAN, R (resolution) },
  { "resolution-p90", VALUE_P90, R (resolution) },
  { "overridden", VALUE_COUNT, R (overridden) },
};

#undef R

static void
point_clear (gpointer data)
{
  CdReportPoint *point = data;

  g_clear_pointer (&point->key, g_free);
}

static void
series_value (const SeriesSpec  *spec,
              const CdReportRow *row,
              CdReportPoint     *point)
{
  const guint8 *base = (const guint8 *) row + spec->offset;
  const CdReportStat *stat = (const CdReportStat *) base;

  switch (spec->kind)
    {
    case VALUE_COUNT:
      point->y = *(const guint *) base;
      point->has_value = TRUE;
      break;
    case VALUE_RATIO:
      point->has_value = cd_report_ratio_get ((const CdReportRatio *) base, &point->y);
      break;
    case VALUE_MEAN:
      point->has_value = stat->count > 0;
      point->y = stat->mean;
      break;
    case VALUE_P90:
      point->has_value = stat->count > 0;
      point->y = (double) stat->p90;
      break;
    default:
      g_assert_not_reached ();
    }
}

/* Overrides --------------------------------------------------------------- */

static void
cd_report_finalize (GObject *object)
{
  CdReport *self = CD_REPORT (object);

  g_clear_pointer (&self->facts, g_array_unref);
  g_clear_pointer (&self->time_zone, g_time_zone_unref);

  G_OBJECT_CLASS (cd_report_parent_class)->finalize (object);
}

static void
cd_report_class_init (CdReportClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = cd_report_finalize;
}

static void
cd_report_init (CdReport *self)
{
  self->facts = g_array_new (FALSE, TRUE, sizeof (Fact));
  g_array_set_clear_func (self->facts, fact_clear);
  self->first_day = 1;
  self->last_day = 0;
}

/* Public API -------------------------------------------------------------- */

void
cd_report_query_init (CdReportQuery *query)
{
  g_return_if_fail (query != NULL);

  memset (query, 0, sizeof *query);
  query->utility = -1;
  query->category = -1;
}

/**
 * cd_report_is_override:
 *
 * Whether @event is a manual override of the automatic match: an
 * assignment by hand to another crew than the one the matcher proposed.
 */
gboolean
cd_report_is_override (CdAssignmentEvent *event)
{
  g_return_val_if_fail (CD_IS_ASSIGNMENT_EVENT (event), FALSE);

  return event->source == CD_ASSIGNMENT_SOURCE_MANUAL &&
         event->proposed_crew != NULL && event->proposed_crew[0] != '\0' &&
         g_strcmp0 (event->proposed_crew, event->to_crew) != 0;
}

/**
 * cd_report_new:
 * @tickets: (element-type CdTicket): every ticket known; the query picks the
 *   population, the rest is searched for repeat reports
 * @callbacks: (element-type CdCallback) (nullable): callbacks
 * @events: (element-type CdAssignmentEvent) (nullable): assignment events
 * @policies: the policy set whose calendars the tickets' promises name
 * @query: (nullable): the range and filters; %NULL: everything, in UTC days
 * @now: the moment the report is made: running timers already red count as
 *   missed, and first-time fixes are pending while their window is open
 *
 * Works out the facts of the population (see the header for the
 * definitions). The report keeps references to the tickets it counts and
 * nothing else from the arrays.
 *
 * Returns: (transfer full): the report
 */
CdReport *
cd_report_new (GPtrArray           *tickets,
               GPtrArray           *callbacks,
               GPtrArray           *events,
               CdSlaPolicySet      *policies,
               const CdReportQuery *query,
               gint64               now)
{
  g_autoptr(CdReport) self = NULL;
  g_autoptr(GHashTable) by_id = NULL;
  CdReportQuery defaults;
  gint64 window;

  g_return_val_if_fail (tickets != NULL, NULL);
  g_return_val_if_fail (CD_IS_SLA_POLICY_SET (policies), NULL);

  if (query == NULL)
    {
      cd_report_query_init (&defaults);
      query = &defaults;
    }
  window = query->repeat_window > 0 ? query->repeat_window : CD_REPORT_DEFAULT_REPEAT_WINDOW;

  self = g_object_new (CD_TYPE_REPORT, NULL);
  self->time_zone = query->time_zone != NULL ? g_time_zone_ref (query->time_zone) : g_time_zone_new_utc ();
  by_id = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint i = 0; i < tickets->len; i++)
    {
      CdTicket *ticket = g_ptr_array_index (tickets, i);
      const char *id = CD_RECORD (ticket)->id;
      CdCalendar *calendar = NULL;
      Fact fact = { 0 };

      if (!in_population (query, ticket))
        continue;

      fact.ticket = g_object_ref (ticket);
      fact.day = local_day (self->time_zone, ticket->created_at);
      fact.response = fact.arrival = fact.resolution = -1;

      if (ticket->duplicate_of != NULL || ticket->status == CD_TICKET_STATUS_DUPLICATE)
        fact.flags |= FACT_REPEAT;
      else if (ticket->status == CD_TICKET_STATUS_CANCELLED)
        fact.flags |= FACT_CANCELLED;
      else
        {
          if ((guint) ticket->sla_calendar <= CD_CALENDAR_KIND_BUSINESS_HOURS)
            calendar = cd_sla_policy_set_get_calendar (policies, ticket->sla_calendar);
          for (guint kind = 0; calendar != NULL && kind < CD_N_SLA_KINDS; kind++)
            fact.outcome[kind] = timer_outcome (ticket, kind, calendar, now);

          fact.response = duration (ticket->created_at, ticket->first_response_at);
          fact.arrival = duration (ticket->created_at, ticket->on_site_at);
          fact.resolution = duration (ticket->created_at, ticket->resolved_at);

          if (ticket->resolved_at != 0)
            {
              fact.flags |= FACT_RESOLVED;
              if (ticket->resolved_at + window > now)
                fact.flags |= FACT_FTF_PENDING;
            }
          if (ticket->crew_id != NULL)
            fact.flags |= FACT_ASSIGNED;
        }

      if (id != NULL)
        g_hash_table_insert (by_id, (gpointer) id, GUINT_TO_POINTER (self->facts->len));
      g_array_append_val (self->facts, fact);
    }

  for (guint i = 0; callbacks != NULL && i < callbacks->len; i++)
    {
      CdCallback *callback = g_ptr_array_index (callbacks, i);
      gpointer index;
      Fact *fact;

      if (callback->ticket_id == NULL ||
          !g_hash_table_lookup_extended (by_id, callback->ticket_id, NULL, &index))
        continue;

      fact = &g_array_index (self->facts, Fact, GPOINTER_TO_UINT (index));
      if (fact->flags & (FACT_REPEAT | FACT_CANCELLED))
        continue;
      if (callback->second_opened_at != 0 || cd_callback_needs_second_handling (callback))
        fact->flags |= FACT_REOPENED;
      switch (callback->satisfaction)
        {
        case CD_SATISFACTION_SATISFIED:
          fact->satisfied++;
          break;
        case CD_SATISFACTION_NEUTRAL:
          fact->neutral++;
          break;
        case CD_SATISFACTION_UNSATISFIED:
          fact->unsatisfied++;
          break;
        case CD_SATISFACTION_UNKNOWN:
        default:
          break;
        }
    }

  for (guint i = 0; events != NULL && i < events->len; i++)
    {
      CdAssignmentEvent *event = g_ptr_array_index (events, i);
      gpointer index;
      Fact *fact;

      if (event->ticket_id == NULL ||
          !g_hash_table_lookup_extended (by_id, event->ticket_id, NULL, &index))
        continue;

      fact = &g_array_index (self->facts, Fact, GPOINTER_TO_UINT (index));
      if (fact->flags & (FACT_REPEAT | FACT_CANCELLED))
        continue;
      if (event->to_crew != NULL)
        fact->flags |= FACT_ASSIGNED;
      if (cd_report_is_override (event))
        {
          fact->flags |= FACT_OVERRIDDEN;
          fact->override_events++;
        }
    }

  mark_repeated (self, tickets, by_id, window);
  set_day_range (self, query);

  return g_steal_pointer (&self);
}

/**
 * cd_report_get_n_tickets:
 *
 * Returns: the size of the population, repeats and cancelled included
 */
guint
cd_report_get_n_tickets (CdReport *self)
{
  g_return_val_if_fail (CD_IS_REPORT (self), 0);

  return self->facts->len;
}

/**
 * cd_report_get_table:
 *
 * Returns: (transfer full): the figures grouped @by, with the total of
 *   the whole population
 */
CdReportTable *
cd_report_get_table (CdReport   *self,
                     CdReportBy  by)
{
  CdReportTable *table;
  Acc *total;

  g_return_val_if_fail (CD_IS_REPORT (self), NULL);
  g_return_val_if_fail ((guint) by < CD_REPORT_N_BY, NULL);

  table = g_new0 (CdReportTable, 1);
  table->by = by;
  table->rows = g_ptr_array_new_with_free_func ((GDestroyNotify) row_free);

  total = acc_new ("all");
  for (guint i = 0; i < self->facts->len; i++)
    acc_add (total, &g_array_index (self->facts, Fact, i));
  table->total = acc_finish (total);

  switch (by)
    {
    case CD_REPORT_BY_NONE:
      {
        CdReportRow *row = g_memdup2 (table->total, sizeof *row);

        row->key = g_strdup (table->total->key);
        g_ptr_array_add (table->rows, row);
      }
      break;
    case CD_REPORT_BY_CATEGORY:
      fill_category_rows (self, table->rows);
      break;
    case CD_REPORT_BY_AREA:
    case CD_REPORT_BY_CREW:
      fill_keyed_rows (self, by, table->rows);
      break;
    case CD_REPORT_BY_DAY:
      fill_day_rows (self, table->rows);
      break;
    case CD_REPORT_BY_OVERRIDE:
      fill_override_rows (self, table->rows);
      break;
    default:
      g_assert_not_reached ();
    }

  return table;
}

void
cd_report_table_free (CdReportTable *table)
{
  if (table == NULL)
    return;

  g_clear_pointer (&table->rows, g_ptr_array_unref);
  row_free (table->total);
  g_free (table);
}

/**
 * cd_report_ratio_get:
 * @value: (out) (optional): the ratio, from 0 to 1
 *
 * Returns: %FALSE when there is no data (a denominator of 0); @value is
 *   then 0
 */
gboolean
cd_report_ratio_get (const CdReportRatio *ratio,
                     double              *value)
{
  double v = 0.0;

  g_return_val_if_fail (ratio != NULL, FALSE);

  if (ratio->denominator > 0)
    v = (double) ratio->numerator / (double) ratio->denominator;
  if (value != NULL)
    *value = v;

  return ratio->denominator > 0;
}

/**
 * cd_report_format_ratio:
 *
 * Returns: (transfer full): the ratio as a percentage with one decimal,
 *   such as "87.5%", or a translated "no data"
 */
char *
cd_report_format_ratio (const CdReportRatio *ratio)
{
  double value;

  g_return_val_if_fail (ratio != NULL, NULL);

  if (!cd_report_ratio_get (ratio, &value))
    /* Translators: a percentage that cannot be computed: nothing to count. */
    return g_strdup (_("no data"));

  return g_strdup_printf ("%.1f%%", value * 100.0);
}

/**
 * cd_report_table_get_series:
 *
 * The table's columns as chart series, one point per row in row order
 * (a day table gives lines over days, a category table gives bars).
 * Series ids are stable: tickets, repeats, resolved, compliance,
 * compliance-first-response, compliance-on-site, compliance-resolved,
 * first-time-fix, satisfaction (ratios from 0 to 1), response-mean,
 * response-p90, arrival-mean, arrival-p90, resolution-mean,
 * resolution-p90 (seconds), overridden.
 *
 * Returns: (transfer full) (element-type CdReportSeries): the series
 */
GPtrArray *
cd_report_table_get_series (CdReportTable *table)
{
  GPtrArray *all;

  g_return_val_if_fail (table != NULL, NULL);

  all = g_ptr_array_new_with_free_func ((GDestroyNotify) cd_report_series_free);
  for (guint s = 0; s < G_N_ELEMENTS (series_specs); s++)
    {
      CdReportSeries *series = g_new0 (CdReportSeries, 1);

      series->id = series_specs[s].id;
      series->points = g_array_sized_new (FALSE, TRUE, sizeof (CdReportPoint), table->rows->len);
      g_array_set_clear_func (series->points, point_clear);

      for (guint i = 0; i < table->rows->len; i++)
        {
          const CdReportRow *row = g_ptr_array_index (table->rows, i);
          CdReportPoint point = { 0 };

          point.x = table->by == CD_REPORT_BY_DAY ? row->day : (gint64) i;
          point.key = g_strdup (row->key);
          series_value (&series_specs[s], row, &point);
          g_array_append_val (series->points, point);
        }

      g_ptr_array_add (all, series);
    }

  return all;
}

/**
 * cd_report_table_find_series:
 *
 * Returns: (transfer none) (nullable): the series with that id
 */
CdReportSeries *
cd_report_table_find_series (GPtrArray  *series,
                             const char *id)
{
  g_return_val_if_fail (series != NULL, NULL);
  g_return_val_if_fail (id != NULL, NULL);

  for (guint i = 0; i < series->len; i++)
    {
      CdReportSeries *s = g_ptr_array_index (series, i);

      if (strcmp (s->id, id) == 0)
        return s;
    }

  return NULL;
}

void
cd_report_series_free (CdReportSeries *series)
{
  if (series == NULL)
    return;

  g_clear_pointer (&series->points, g_array_unref);
  g_free (series);
}

/**
 * cd_report_by_to_column:
 *
 * Returns: the name of a table's first CSV column: scope, category, area,
 *   crew, day or override
 */
const char *
cd_report_by_to_column (CdReportBy by)
{
  g_return_val_if_fail ((guint) by < CD_REPORT_N_BY, NULL);

  return by_columns[by];
}

/**
 * cd_report_csv_append_field:
 * @field: (nullable): the text, UTF-8; %NULL is an empty field
 *
 * Appends one field as RFC 4180 wants it: as is, or between double quotes
 * with each quote doubled when it holds a comma, a quote, a line break or
 * leading or trailing spaces.
 */
void
cd_report_csv_append_field (GString    *out,
                            const char *field)
{
  gsize len;

  g_return_if_fail (out != NULL);

  if (field == NULL || field[0] == '\0')
    return;

  len = strlen (field);
  if (strpbrk (field, ",\"\r\n") == NULL && field[0] != ' ' && field[len - 1] != ' ')
    {
      g_string_append_len (out, field, (gssize) len);
      return;
    }

  g_string_append_c (out, '"');
  for (const char *p = field; *p; p++)
    {
      if (*p == '"')
        g_string_append_c (out, '"');
      g_string_append_c (out, *p);
    }
  g_string_append_c (out, '"');
}

/**
 * cd_report_table_to_csv:
 *
 * Appends the table as CSV (RFC 4180: comma-separated, CRLF line ends,
 * UTF-8, a header line of stable column names): the table's key column
 * (cd_report_by_to_column()), then tickets, repeats, …, override_events.
 * Rates are fractions with four decimals and a point, means are seconds
 * with one decimal; a figure without data is an empty field.
 */
void
cd_report_table_to_csv (CdReportTable *table,
                        GString       *out)
{
  g_return_if_fail (table != NULL);
  g_return_if_fail (out != NULL);

  g_string_append (out, cd_report_by_to_column (table->by));
  for (guint i = 0; i < G_N_ELEMENTS (csv_columns); i++)
    {
      g_string_append_c (out, ',');
      g_string_append (out, csv_columns[i]);
    }
  g_string_append (out, "\r\n");

  for (guint i = 0; i < table->rows->len; i++)
    csv_append_row (out, g_ptr_array_index (table->rows, i));
}

/**
 * cd_report_table_write_csv:
 *
 * Writes cd_report_table_to_csv() to @stream (blocking: call it from a
 * thread for a file on a slow disk).
 *
 * Returns: %TRUE, or %FALSE with @error set by the stream
 */
gboolean
cd_report_table_write_csv (CdReportTable  *table,
                           GOutputStream  *stream,
                           GCancellable   *cancellable,
                           GError        **error)
{
  g_autoptr(GString) csv = g_string_new (NULL);

  g_return_val_if_fail (table != NULL, FALSE);
  g_return_val_if_fail (G_IS_OUTPUT_STREAM (stream), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  cd_report_table_to_csv (table, csv);
  return g_output_stream_write_all (stream, csv->str, csv->len, NULL, cancellable, error);
}
