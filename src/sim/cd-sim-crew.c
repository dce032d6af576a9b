/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-sim-crew.c: a simulated crew device.
 *
 * Three jobs on the simulation's one schedule drive it: a one-second tick
 * moves the crew along its route (simulated time runs at --speedup), a
 * report job sends its position, and a poll job fetches its open tickets.
 * Reports go out at the interval whatever the answers do: a report still
 * unanswered when the next is due makes that turn a skipped one, counted,
 * never a later one.
 *
 * Status changes go out through an ordered outbox, one mutation at a
 * time, each retried with its own id until the server answers, so that a
 * server restart loses nothing and applies nothing twice. The crew does
 * not wait for those answers to keep driving: like a phone in a dead
 * spot, it catches up later.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "cd-json.h"
#include "cd-sim-crew.h"

#define TICK_US          G_USEC_PER_SEC
#define SKIP_AFTER_REFUSAL (120 * G_USEC_PER_SEC)
#define SKIP_AFTER_DONE    (60 * G_USEC_PER_SEC)

typedef struct
{
  char     *ticket_id;
  char     *number;
  char     *status;
  JsonNode *body;
} Pending;

struct _CdSimCrew
{
  GObject           parent_instance;

  CdSimClient      *client;
  CdCity           *city;
  CdSimAccount     *account;
  char             *crew_id;
  char             *name;
  char             *who;            /* the device's user name, for the log */
  CdSimCrewOptions  options;
  GRand            *rand;
  GCancellable     *cancellable;

  CdSimCrewState    state;
  double            lat, lon, heading, speed_kmh;
  gint64            shift_start;    /* Unix seconds; 0: always on shift */
  gint64            shift_end;

  /* The job in hand. */
  char             *ticket_id;
  char             *ticket_number;
  char             *ticket_address;
  char             *ticket_urgency;
  double            ticket_lat, ticket_lon;
  CdCityRoute      *route;
  double            elapsed;        /* simulated seconds on the route */
  double            left;           /* simulated seconds of calling or work */

  CdSimSchedule    *schedule;       /* borrowed, while started */
  gint64            last_tick;
  guint             tick_job;
  guint             report_job;
  guint             poll_job;
  gboolean          reporting;
  gboolean          polling;
  gboolean          refused;

  GQueue           *outbox;         /* Pending */
  gboolean          sending;
  GHashTable       *skip;           /* ticket id -> gint64 *: monotonic time to skip it until */

  CdSimCrewStats    stats;
};

G_DEFINE_FINAL_TYPE (CdSimCrew, cd_sim_crew, G_TYPE_OBJECT)

static void poll_now (CdSimCrew *self);

/* Helpers ------------------------------------------------------------------- */

static void
pending_free (gpointer data)
{
  Pending *p = data;

  g_free (p->ticket_id);
  g_free (p->number);
  g_free (p->status);
  g_clear_pointer (&p->body, json_node_unref);
  g_free (p);
}

static gboolean
on_shift (CdSimCrew *self)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  return (self->shift_start == 0 || now >= self->shift_start) &&
         (self->shift_end == 0 || now < self->shift_end);
}

static const char *
state_nick (CdSimCrew      *self,
            CdSimCrewState  state)
{
  switch (state)
    {
    case CD_SIM_CREW_IDLE:
      /* A crew whose shift has not begun or is over waits at its base. */
      return on_shift (self) ? "available" : "off-shift";
    case CD_SIM_CREW_CALLING:
    case CD_SIM_CREW_DRIVING:
      return "en-route";
    case CD_SIM_CREW_WORKING:
      return "on-site";
    default:
      return "available";
    }
}

static gboolean
verbose (CdSimCrew *self)
{
  return self->options.verbose;
}

static void
skip_ticket (CdSimCrew  *self,
             const char *ticket_id,
             gint64      until)
{
  gint64 *value = g_new (gint64, 1);

  *value = until;
  g_hash_table_replace (self->skip, g_strdup (ticket_id), value);
}

static gboolean
skipped (CdSimCrew  *self,
         const char *ticket_id)
{
  gint64 *until = g_hash_table_lookup (self->skip, ticket_id);

  if (until == NULL)
    return FALSE;
  if (*until > g_get_monotonic_time ())
    return TRUE;
  g_hash_table_remove (self->skip, ticket_id);
  return FALSE;
}

static const char *
member_string (JsonObject *o,
               const char *member)
{
  JsonNode *node = json_object_get_member (o, member);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

static double
member_double (JsonObject *o,
               const char *member,
               double      fallback)
{
  JsonNode *node = json_object_get_member (o, member);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return fallback;
  return json_node_get_double (node);
}

/* Simulated seconds of repair, by urgency: bursts and outages take long. */
static double
repair_seconds (CdSimCrew *self)
{
  if (g_strcmp0 (self->ticket_urgency, "emergency") == 0)
    return g_rand_double_range (self->rand, 20, 60) * 60;
  if (g_strcmp0 (self->ticket_urgency, "urgent") == 0)
    return g_rand_double_range (self->rand, 15, 45) * 60;
  return g_rand_double_range (self->rand, 10, 30) * 60;
}

static void
clear_job (CdSimCrew *self)
{
  g_clear_pointer (&self->ticket_id, g_free);
  g_clear_pointer (&self->ticket_number, g_free);
  g_clear_pointer (&self->ticket_address, g_free);
  g_clear_pointer (&self->ticket_urgency, g_free);
  g_clear_pointer (&self->route, cd_city_route_free);
  self->state = CD_SIM_CREW_IDLE;
  self->speed_kmh = 0;
  self->elapsed = 0;
  self->left = 0;
}

static void
abort_job (CdSimCrew  *self,
           const char *why)
{
  if (verbose (self))
    cd_sim_log (self->who, "%s: leaving %s (%s)", self->name, self->ticket_number, why);
  clear_job (self);
}

/* The outbox ---------------------------------------------------------------- */

static void outbox_next (CdSimCrew *self);

/* Drops what is still queued for a ticket the server refused a move of. */
static void
drop_ticket (CdSimCrew  *self,
             const char *ticket_id)
{
  GList *l = self->outbox->head;

  while (l != NULL)
    {
      GList *next = l->next;
      Pending *p = l->data;

      /* The head is in flight: leave it to its callback. */
      if (g_strcmp0 (p->ticket_id, ticket_id) == 0 && !(self->sending && l == self->outbox->head))
        {
          pending_free (p);
          g_queue_delete_link (self->outbox, l);
        }
      l = next;
    }

  skip_ticket (self, ticket_id, g_get_monotonic_time () + SKIP_AFTER_REFUSAL);
  if (g_strcmp0 (self->ticket_id, ticket_id) == 0)
    abort_job (self, "refused by the server");
}

static void
mutation_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      data)
{
  g_autoptr(CdSimCrew) self = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(CdSimReply) reply = cd_sim_client_request_finish (CD_SIM_CLIENT (source), result, &error);
  Pending *p;
  JsonObject *first = NULL;
  const char *outcome = NULL;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  self->sending = FALSE;
  p = g_queue_pop_head (self->outbox);
  g_assert (p != NULL);

  if (reply != NULL && reply->status == 200 && reply->json && JSON_NODE_HOLDS_OBJECT (reply->json))
    {
      JsonObject *o = json_node_get_object (reply->json);
      JsonNode *results = json_object_get_member (o, "results");

      if (results && JSON_NODE_HOLDS_ARRAY (results) && json_array_get_length (json_node_get_array (results)) > 0 &&
          JSON_NODE_HOLDS_OBJECT (json_array_get_element (json_node_get_array (results), 0)))
        {
          first = json_array_get_object_element (json_node_get_array (results), 0);
          outcome = member_string (first, "status");
        }
    }

  if (g_strcmp0 (outcome, "applied") == 0)
    {
      self->stats.applied++;
      if (verbose (self))
        cd_sim_log (self->who, "%s: %s is %s", self->name, p->number, p->status);
      if (g_strcmp0 (p->status, "resolved") == 0)
        skip_ticket (self, p->ticket_id, g_get_monotonic_time () + SKIP_AFTER_DONE);
    }
  else
    {
      g_autofree char *why = NULL;

      if (first != NULL && json_object_has_member (first, "error") &&
          JSON_NODE_HOLDS_OBJECT (json_object_get_member (first, "error")))
        why = g_strdup (member_string (json_object_get_object_member (first, "error"), "message"));
      else if (reply != NULL)
        why = cd_sim_reply_error_message (reply);
      else
        why = g_strdup (error ? error->message : "no answer");

      if (g_strcmp0 (outcome, "conflict") == 0)
        self->stats.conflicts++;
      else
        self->stats.rejected++;
      if (verbose (self) || (error != NULL && error->domain == CD_SIM_ERROR))
        cd_sim_log (self->who, "%s: setting %s to %s refused: %s", self->name, p->number, p->status,
                    why ? why : "?");
      drop_ticket (self, p->ticket_id);
    }

  pending_free (p);
  outbox_next (self);
}

static void
outbox_next (CdSimCrew *self)
{
  Pending *p;

  if (self->sending || self->refused || g_queue_is_empty (self->outbox))
    return;

  p = g_queue_peek_head (self->outbox);
  self->sending = TRUE;
  self->stats.mutations++;
  cd_sim_client_request_async (self->client, self->account, "POST", "/api/v1/mutations", p->body, NULL,
                               CD_SIM_RETRY_UNTIL_ANSWERED, self->cancellable, mutation_cb, g_object_ref (self));
}

/* Queues ticket.set_status for the job in hand. */
static void
send_status (CdSimCrew  *self,
             const char *status)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autofree char *id = g_uuid_string_random ();
  Pending *p = g_new0 (Pending, 1);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "mutations");
  json_builder_begin_array (b);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "id");
  json_builder_add_string_value (b, id);
  json_builder_set_member_name (b, "op");
  json_builder_add_string_value (b, "ticket.set_status");
  json_builder_set_member_name (b, "target");
  json_builder_add_string_value (b, self->ticket_id);
  json_builder_set_member_name (b, "args");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "status");
  json_builder_add_string_value (b, status);
  json_builder_end_object (b);
  json_builder_end_object (b);
  json_builder_end_array (b);
  json_builder_end_object (b);

  p->ticket_id = g_strdup (self->ticket_id);
  p->number = g_strdup (self->ticket_number);
  p->status = g_strdup (status);
  p->body = json_builder_get_root (b);
  g_queue_push_tail (self->outbox, p);
  outbox_next (self);
}

/* The job ------------------------------------------------------------------- */

static void
start_driving (CdSimCrew *self,
               gboolean   announce)
{
  if (announce)
    send_status (self, "en-route");

  g_clear_pointer (&self->route, cd_city_route_free);
  self->route = cd_city_route (self->city, self->lat, self->lon, self->ticket_lat, self->ticket_lon);
  self->elapsed = 0;
  self->state = CD_SIM_CREW_DRIVING;

  if (verbose (self))
    cd_sim_log (self->who, "%s: driving to %s, %s (%.1f km, %.0f min)", self->name, self->ticket_number,
                self->ticket_address, self->route->length_m / 1000, self->route->duration_s / 60);
}

static void
arrive (CdSimCrew *self)
{
  send_status (self, "on-site");
  self->state = CD_SIM_CREW_WORKING;
  self->speed_kmh = 0;
  self->left = repair_seconds (self);

  if (verbose (self))
    cd_sim_log (self->who, "%s: on site for %s, repair takes %.0f min", self->name, self->ticket_number,
                self->left / 60);
}

static void
finish (CdSimCrew *self)
{
  if (verbose (self))
    cd_sim_log (self->who, "%s: repaired %s", self->name, self->ticket_number);

  send_status (self, "resolved");
  /* Until the server has it, the ticket still looks open: do not take it up again. */
  skip_ticket (self, self->ticket_id, G_MAXINT64);
  self->stats.resolved++;
  clear_job (self);
  poll_now (self);
}

static gint
status_rank (const char *status)
{
  static const char * const order[] = { "on-site", "en-route", "contacted", "assigned" };

  for (guint i = 0; status != NULL && i < G_N_ELEMENTS (order); i++)
    if (strcmp (status, order[i]) == 0)
      return i;
  return -1;
}

static gint
urgency_rank (const char *urgency)
{
  if (g_strcmp0 (urgency, "emergency") == 0)
    return 0;
  if (g_strcmp0 (urgency, "urgent") == 0)
    return 1;
  return 2;
}

/* Work in hand first, then the most urgent, then the oldest. */
static gboolean
ticket_before (JsonObject *a,
               JsonObject *b)
{
  gint ra = status_rank (member_string (a, "status")), rb = status_rank (member_string (b, "status"));
  gint ua = urgency_rank (member_string (a, "urgency")), ub = urgency_rank (member_string (b, "urgency"));

  if (ra != rb)
    return ra < rb;
  if (ua != ub)
    return ua < ub;
  return g_strcmp0 (member_string (a, "created_at"), member_string (b, "created_at")) < 0;
}

static void
begin_job (CdSimCrew  *self,
           JsonObject *ticket)
{
  const char *status = member_string (ticket, "status");

  self->ticket_id = g_strdup (member_string (ticket, "id"));
  self->ticket_number = g_strdup (member_string (ticket, "number") ? member_string (ticket, "number") : self->ticket_id);
  self->ticket_address = g_strdup (member_string (ticket, "address") ? member_string (ticket, "address") : "?");
  self->ticket_urgency = g_strdup (member_string (ticket, "urgency"));
  self->ticket_lat = member_double (ticket, "lat", self->lat);
  self->ticket_lon = member_double (ticket, "lon", self->lon);

  switch (status_rank (status))
    {
    case 0: /* on-site: carry on where the device left off */
      self->lat = self->ticket_lat;
      self->lon = self->ticket_lon;
      self->state = CD_SIM_CREW_WORKING;
      self->left = repair_seconds (self) / 2;
      if (verbose (self))
        cd_sim_log (self->who, "%s: back at work on %s", self->name, self->ticket_number);
      break;
    case 1: /* en-route */
      start_driving (self, FALSE);
      break;
    case 2: /* contacted */
      start_driving (self, TRUE);
      break;
    case 3: /* assigned: call the customer first */
    default:
      send_status (self, "contacted");
      self->state = CD_SIM_CREW_CALLING;
      self->left = g_rand_double_range (self->rand, 60, 240);
      if (verbose (self))
        cd_sim_log (self->who, "%s: calling the customer of %s (%s)", self->name, self->ticket_number,
                    member_string (ticket, "category") ? member_string (ticket, "category") : "?");
      break;
    }
}

static void
handle_tickets (CdSimCrew *self,
                JsonArray *tickets)
{
  JsonObject *current = NULL, *best = NULL;

  for (guint i = 0; i < json_array_get_length (tickets); i++)
    {
      JsonNode *node = json_array_get_element (tickets, i);
      JsonObject *t;
      const char *id;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        continue;
      t = json_node_get_object (node);
      id = member_string (t, "id");
      if (id == NULL)
        continue;
      if (self->ticket_id != NULL && strcmp (id, self->ticket_id) == 0)
        current = t;
      if (status_rank (member_string (t, "status")) < 0 || skipped (self, id))
        continue;
      if (best == NULL || ticket_before (t, best))
        best = t;
    }

  if (self->state != CD_SIM_CREW_IDLE)
    {
      /* Still ours? The dispatch room may have moved, paused or cancelled it. */
      if (current == NULL)
        abort_job (self, "taken off this crew");
      else if (g_strcmp0 (member_string (current, "status"), "waiting-customer") == 0)
        abort_job (self, "waiting for the customer");
      else
        return;
    }

  if (best != NULL)
    begin_job (self, best);
}

/* Jobs ---------------------------------------------------------------------- */

static void
tick_job (gpointer data,
          gint64   now,
          guint    missed)
{
  CdSimCrew *self = data;
  double dt = (now - self->last_tick) / (double) G_USEC_PER_SEC * self->options.speedup;

  self->last_tick = now;

  switch (self->state)
    {
    case CD_SIM_CREW_CALLING:
      self->left -= dt;
      if (self->left <= 0)
        start_driving (self, TRUE);
      break;
    case CD_SIM_CREW_DRIVING:
      self->elapsed += dt;
      if (!cd_city_route_position_at (self->route, self->elapsed, &self->lat, &self->lon,
                                      &self->heading, &self->speed_kmh))
        arrive (self);
      break;
    case CD_SIM_CREW_WORKING:
      self->left -= dt;
      if (self->left <= 0)
        finish (self);
      break;
    case CD_SIM_CREW_IDLE:
    default:
      self->speed_kmh = 0;
      break;
    }
}

static void
refused (CdSimCrew    *self,
         const GError *error)
{
  if (self->refused)
    return;
  self->refused = TRUE;
  cd_sim_log (self->who, "%s: giving up: %s", self->name, error->message);
  cd_sim_crew_stop (self);
}

static void
report_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      data)
{
  g_autoptr(CdSimCrew) self = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(CdSimReply) reply = cd_sim_client_request_finish (CD_SIM_CLIENT (source), result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self->reporting = FALSE;

  if (reply != NULL && reply->status == 200)
    {
      self->stats.positions++;
      return;
    }

  self->stats.positions_failed++;
  if (g_error_matches (error, CD_SIM_ERROR, CD_SIM_ERROR_LOGIN))
    refused (self, error);
  else if (verbose (self))
    {
      g_autofree char *why = reply ? cd_sim_reply_error_message (reply) : g_strdup (error->message);

      cd_sim_log (self->who, "%s: position report failed: %s", self->name, why);
    }
}

static void
report_job (gpointer data,
            gint64   now,
            guint    missed)
{
  CdSimCrew *self = data;
  g_autoptr(JsonBuilder) b = NULL;
  g_autoptr(JsonNode) body = NULL;
  g_autofree char *path = NULL;

  self->stats.positions_skipped += missed;
  if (self->reporting)
    {
      self->stats.positions_skipped++;
      return;
    }

  b = json_builder_new ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "lat");
  json_builder_add_double_value (b, round (self->lat * 1e7) / 1e7);
  json_builder_set_member_name (b, "lon");
  json_builder_add_double_value (b, round (self->lon * 1e7) / 1e7);
  json_builder_set_member_name (b, "heading");
  json_builder_add_double_value (b, round (self->heading * 10) / 10);
  json_builder_set_member_name (b, "speed_kmh");
  json_builder_add_double_value (b, round (self->speed_kmh * 10) / 10);
  json_builder_set_member_name (b, "status");
  json_builder_add_string_value (b, state_nick (self, self->state));
  json_builder_end_object (b);
  body = json_builder_get_root (b);

  path = g_strdup_printf ("/api/v1/crews/%s/position", self->crew_id);
  self->reporting = TRUE;
  cd_sim_client_request_async (self->client, self->account, "POST", path, body, NULL, CD_SIM_RETRY_NONE,
                               self->cancellable, report_cb, g_object_ref (self));
}

static void
poll_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      data)
{
  g_autoptr(CdSimCrew) self = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(CdSimReply) reply = cd_sim_client_request_finish (CD_SIM_CLIENT (source), result, &error);
  JsonNode *tickets;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self->polling = FALSE;

  if (reply == NULL || reply->status != 200 || reply->json == NULL || !JSON_NODE_HOLDS_OBJECT (reply->json) ||
      (tickets = json_object_get_member (json_node_get_object (reply->json), "tickets")) == NULL ||
      !JSON_NODE_HOLDS_ARRAY (tickets))
    {
      self->stats.polls_failed++;
      if (g_error_matches (error, CD_SIM_ERROR, CD_SIM_ERROR_LOGIN))
        refused (self, error);
      else if (verbose (self))
        {
          g_autofree char *why = reply ? cd_sim_reply_error_message (reply) : g_strdup (error->message);

          cd_sim_log (self->who, "%s: polling tickets failed: %s", self->name, why);
        }
      return;
    }

  handle_tickets (self, json_node_get_array (tickets));
}

static void
poll_now (CdSimCrew *self)
{
  g_autofree char *path = NULL;

  if (self->polling || self->refused)
    return;

  path = g_strdup_printf ("/api/v1/crews/%s/tickets", self->crew_id);
  self->polling = TRUE;
  cd_sim_client_request_async (self->client, self->account, "GET", path, NULL, NULL, CD_SIM_RETRY_NONE,
                               self->cancellable, poll_cb, g_object_ref (self));
}

static void
poll_job (gpointer data,
          gint64   now,
          guint    missed)
{
  poll_now (data);
}

/* Object -------------------------------------------------------------------- */

static void
cd_sim_crew_dispose (GObject *object)
{
  CdSimCrew *self = CD_SIM_CREW (object);

  cd_sim_crew_stop (self);
  g_clear_object (&self->client);
  g_clear_object (&self->account);

  G_OBJECT_CLASS (cd_sim_crew_parent_class)->dispose (object);
}

static void
cd_sim_crew_finalize (GObject *object)
{
  CdSimCrew *self = CD_SIM_CREW (object);

  clear_job (self);
  g_free (self->crew_id);
  g_free (self->name);
  g_free (self->who);
  g_rand_free (self->rand);
  g_clear_object (&self->cancellable);
  g_queue_free_full (self->outbox, pending_free);
  g_hash_table_unref (self->skip);

  G_OBJECT_CLASS (cd_sim_crew_parent_class)->finalize (object);
}

static void
cd_sim_crew_class_init (CdSimCrewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = cd_sim_crew_dispose;
  object_class->finalize = cd_sim_crew_finalize;
}

static void
cd_sim_crew_init (CdSimCrew *self)
{
  self->cancellable = g_cancellable_new ();
  self->outbox = g_queue_new ();
  self->skip = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
}

CdSimCrew *
cd_sim_crew_new (CdSimClient            *client,
                 CdCity                 *city,
                 CdSimAccount           *account,
                 const char             *crew_id,
                 JsonObject             *crew,
                 const CdSimCrewOptions *options,
                 guint32                 seed)
{
  CdSimCrew *self;
  JsonNode *position = crew ? json_object_get_member (crew, "position") : NULL;
  JsonNode *areas = crew ? json_object_get_member (crew, "areas") : NULL;
  JsonNode *shift = crew ? json_object_get_member (crew, "shift") : NULL;

  g_return_val_if_fail (CD_IS_SIM_CLIENT (client), NULL);
  g_return_val_if_fail (city != NULL, NULL);
  g_return_val_if_fail (CD_IS_SIM_ACCOUNT (account), NULL);
  g_return_val_if_fail (crew_id != NULL, NULL);
  g_return_val_if_fail (options != NULL && options->speedup > 0, NULL);

  self = g_object_new (CD_TYPE_SIM_CREW, NULL);
  self->client = g_object_ref (client);
  self->city = city;
  self->account = g_object_ref (account);
  self->crew_id = g_strdup (crew_id);
  self->who = g_strdup (cd_sim_account_get_username (account));
  self->name = g_strdup (crew && member_string (crew, "name") ? member_string (crew, "name") : self->who);
  self->options = *options;
  self->rand = g_rand_new_with_seed (seed);

  if (shift != NULL && JSON_NODE_HOLDS_OBJECT (shift))
    {
      const char *start = member_string (json_node_get_object (shift), "start");
      const char *end = member_string (json_node_get_object (shift), "end");

      if (start == NULL || !cd_json_parse_time (start, &self->shift_start))
        self->shift_start = 0;
      if (end == NULL || !cd_json_parse_time (end, &self->shift_end))
        self->shift_end = 0;
    }

  /* Where the crew was last seen, else its depot, else the middle of town. */
  if (position != NULL && JSON_NODE_HOLDS_OBJECT (position))
    {
      self->lat = member_double (json_node_get_object (position), "lat", NAN);
      self->lon = member_double (json_node_get_object (position), "lon", NAN);
      self->heading = member_double (json_node_get_object (position), "heading", 0);
    }
  else
    self->lat = self->lon = NAN;
  if (!isfinite (self->lat) || !isfinite (self->lon))
    {
      const CdCityDistrict *home = NULL;
      double south, west, north, east;

      if (areas != NULL && JSON_NODE_HOLDS_ARRAY (areas) && json_array_get_length (json_node_get_array (areas)) > 0)
        home = cd_city_find_district (city, json_array_get_string_element (json_node_get_array (areas), 0));
      cd_city_get_bounds (city, &south, &west, &north, &east);
      self->lat = home ? cd_city_get_node (city, home->depot)->point.lat : (south + north) / 2;
      self->lon = home ? cd_city_get_node (city, home->depot)->point.lon : (west + east) / 2;
    }

  return self;
}

void
cd_sim_crew_start (CdSimCrew     *self,
                   CdSimSchedule *schedule,
                   double         phase)
{
  gint64 now, report_us, poll_us;

  g_return_if_fail (CD_IS_SIM_CREW (self));
  g_return_if_fail (schedule != NULL);
  g_return_if_fail (self->schedule == NULL && !g_cancellable_is_cancelled (self->cancellable));

  now = g_get_monotonic_time ();
  report_us = MAX (1, (gint64) (self->options.report_interval * G_USEC_PER_SEC));
  poll_us = MAX (1, (gint64) (self->options.poll_interval * G_USEC_PER_SEC));
  phase = CLAMP (phase, 0.0, 1.0);
  self->schedule = schedule;
  self->last_tick = now;
  self->tick_job = cd_sim_schedule_add (schedule, now + TICK_US, TICK_US, tick_job, self);
  self->report_job = cd_sim_schedule_add (schedule, now + (gint64) (phase * report_us), report_us, report_job, self);
  /* The first poll (and with it the login) comes at the crew's phase too:
   * 500 logins at once would only queue up. */
  self->poll_job = cd_sim_schedule_add (schedule, now + (gint64) (phase * poll_us), poll_us, poll_job, self);
}

void
cd_sim_crew_stop (CdSimCrew *self)
{
  g_return_if_fail (CD_IS_SIM_CREW (self));

  g_cancellable_cancel (self->cancellable);
  if (self->schedule != NULL)
    {
      cd_sim_schedule_remove (self->schedule, self->tick_job);
      cd_sim_schedule_remove (self->schedule, self->report_job);
      cd_sim_schedule_remove (self->schedule, self->poll_job);
      self->tick_job = self->report_job = self->poll_job = 0;
      self->schedule = NULL;
    }
}

CdSimCrewState
cd_sim_crew_get_state (CdSimCrew *self)
{
  g_return_val_if_fail (CD_IS_SIM_CREW (self), CD_SIM_CREW_IDLE);

  return self->state;
}

const char *
cd_sim_crew_get_name (CdSimCrew *self)
{
  g_return_val_if_fail (CD_IS_SIM_CREW (self), NULL);

  return self->name;
}

void
cd_sim_crew_get_stats (CdSimCrew      *self,
                       CdSimCrewStats *stats)
{
  g_return_if_fail (CD_IS_SIM_CREW (self));

  *stats = self->stats;
}
