/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-sim.c: the simulation: finds the crew devices, plays them, and plays
 * the customers who call the hotline.
 *
 * The crews are discovered from the server itself: the hotline user (a
 * dispatcher) loads /api/v1/snapshot, and every active crew-device user
 * with a crew becomes a simulated device that logs in with --password.
 * Guessing user names instead would run into the login throttle.
 *
 * Every crew's moves, position reports and polls run from one schedule
 * (cd-sim-schedule.c), the crews' turns spread evenly over each interval:
 * with 500 crews reporting every 5 s, one report every 10 ms rather than
 * clumps.
 *
 * Customers report at --rate per minute as a Poisson process (exponential
 * gaps), at random houses of the demo city, each report with its own
 * Idempotency-Key so that a retry after a lost answer files it once.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "cd-city.h"
#include "cd-enum-types.h"
#include "cd-sim.h"
#include "cd-ticket.h"
#include "cd-sim-client.h"
#include "cd-sim-crew.h"
#include "cd-sim-schedule.h"

#define STATS_INTERVAL_S 30
#define STORM_RADIUS_M   500

struct _CdSim
{
  GObject        parent_instance;

  CdSimOptions   options;
  CdSimClient   *client;
  CdCity        *city;
  CdSimAccount  *hotline;
  GRand         *rand;
  GCancellable  *cancellable;
  GTask         *task;
  gulong         cancelled_id;
  GCancellable  *run_cancellable;

  JsonNode      *snapshot;
  GHashTable    *crew_names;     /* crew id -> name, borrowed from the snapshot */
  GPtrArray     *crews;          /* CdSimCrew */
  CdSimSchedule *schedule;       /* the crews' jobs */

  guint          duration_id;
  guint          report_id;
  guint          stats_id;
  guint          storm_id;
  guint          storm_left;
  const CdCityDistrict *storm_district;
  double         storm_lat, storm_lon;

  guint          reports;
  guint          duplicates;
  guint          dispatched;
  guint          reports_failed;
};

G_DEFINE_FINAL_TYPE (CdSim, cd_sim, G_TYPE_OBJECT)

static void schedule_report (CdSim *self);

/* Options ------------------------------------------------------------------- */

void
cd_sim_options_init (CdSimOptions *options)
{
  memset (options, 0, sizeof *options);
  options->server_url = g_strdup ("http://127.0.0.1:8765");
  options->crews = -1;
  options->rate = 2;
  options->storm_size = 30;
  options->speedup = 1;
  options->password = g_strdup ("demo");
  options->hotline_user = g_strdup ("hotline");
  options->report_interval = 3;
  options->poll_interval = 5;
  options->timeout = 15;
  options->seed = 1;
}

void
cd_sim_options_clear (CdSimOptions *options)
{
  g_clear_pointer (&options->server_url, g_free);
  g_clear_pointer (&options->storm_district, g_free);
  g_clear_pointer (&options->password, g_free);
  g_clear_pointer (&options->hotline_user, g_free);
}

/* Running ------------------------------------------------------------------- */

static void
stop_everything (CdSim *self)
{
  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->duration_id, g_source_remove);
  g_clear_handle_id (&self->report_id, g_source_remove);
  g_clear_handle_id (&self->stats_id, g_source_remove);
  g_clear_handle_id (&self->storm_id, g_source_remove);
  for (guint i = 0; i < self->crews->len; i++)
    cd_sim_crew_stop (g_ptr_array_index (self->crews, i));
}

/* Ends the run once, with @error or success. */
static void
complete (CdSim  *self,
          GError *error)
{
  g_autoptr(GTask) task = g_steal_pointer (&self->task);

  if (task == NULL)
    {
      g_clear_error (&error);
      return;
    }

  stop_everything (self);
  if (self->run_cancellable != NULL)
    g_cancellable_disconnect (self->run_cancellable, self->cancelled_id);
  self->cancelled_id = 0;
  g_clear_object (&self->run_cancellable);

  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static gboolean
complete_idle_cb (gpointer data)
{
  CdSim *self = data;

  complete (self, NULL);
  g_object_unref (self);
  return G_SOURCE_REMOVE;
}

static void
run_cancelled_cb (GCancellable *cancellable,
                  gpointer      data)
{
  /* Not from inside the cancellable's own signal; at the default
   * priority, so that a main loop busy with requests still gets to it. */
  g_idle_add_full (G_PRIORITY_DEFAULT, complete_idle_cb, g_object_ref (data), NULL);
}

static gboolean
duration_cb (gpointer data)
{
  CdSim *self = data;

  self->duration_id = 0;
  complete (self, NULL);
  return G_SOURCE_REMOVE;
}

static gboolean
stats_cb (gpointer data)
{
  g_autofree char *text = cd_sim_describe (data);

  cd_sim_log ("sim", "%s", text);
  return G_SOURCE_CONTINUE;
}

/* Customers ----------------------------------------------------------------- */

static CdUtility
utility_for (CdSim *self,
             CdCategory  category)
{
  CdUtility utility;

  if (cd_category_get_utility (category, &utility))
    return utility;

  return g_rand_boolean (self->rand) ? CD_UTILITY_POWER : CD_UTILITY_HEAT;
}

static guint
weighted (GRand       *rand,
          const guint *weights,
          guint        n)
{
  guint total = 0, r;

  for (guint i = 0; i < n; i++)
    total += weights[i];
  r = g_rand_int_range (rand, 0, total);
  for (guint i = 0; i < n; i++)
    {
      if (r < weights[i])
        return i;
      r -= weights[i];
    }
  return n - 1;
}

static const CdCityDistrict *
pick_district (CdSim     *self,
               CdUtility  utility,
               gboolean   no_remote)
{
  guint n = cd_city_get_n_districts (self->city);
  g_autofree guint *weights = g_new0 (guint, n);

  for (guint i = 0; i < n; i++)
    {
      const CdCityDistrict *d = cd_city_get_district (self->city, i);

      if (!(d->utilities & (1u << utility)) || (no_remote && d->area_class == CD_AREA_CLASS_REMOTE))
        continue;
      weights[i] = d->area_class == CD_AREA_CLASS_URBAN ? 5 : d->area_class == CD_AREA_CLASS_RURAL ? 2 : 1;
    }
  return cd_city_get_district (self->city, weighted (self->rand, weights, n));
}

static const char *
enum_nick (GType type,
           gint  value)
{
  g_autoptr(GEnumClass) klass = g_type_class_ref (type);
  GEnumValue *v = g_enum_get_value (klass, value);

  /* Enum classes stay alive once referenced by the model types. */
  return v ? v->value_nick : "?";
}

typedef struct
{
  CdSim *sim;
  char  *summary;
} Report;

static void
report_free (Report *report)
{
  g_object_unref (report->sim);
  g_free (report->summary);
  g_free (report);
}

static void
report_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      data)
{
  Report *report = data;
  CdSim *self = report->sim;
  g_autoptr(GError) error = NULL;
  g_autoptr(CdSimReply) reply = cd_sim_client_request_finish (CD_SIM_CLIENT (source), result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      report_free (report);
      return;
    }

  if (reply != NULL && (reply->status == 201 || reply->status == 200) &&
      reply->json && JSON_NODE_HOLDS_OBJECT (reply->json))
    {
      JsonObject *o = json_node_get_object (reply->json);
      JsonObject *ticket = json_object_has_member (o, "ticket") &&
                           JSON_NODE_HOLDS_OBJECT (json_object_get_member (o, "ticket"))
                           ? json_object_get_object_member (o, "ticket") : NULL;
      const char *number = ticket ? json_object_get_string_member_with_default (ticket, "number", "?") : "?";
      const char *crew_id = ticket && json_object_has_member (ticket, "crew_id") &&
                            !json_object_get_null_member (ticket, "crew_id")
                            ? json_object_get_string_member (ticket, "crew_id") : NULL;
      gboolean duplicate = json_object_has_member (o, "duplicate_of") && !json_object_get_null_member (o, "duplicate_of");
      g_autofree char *outcome = NULL;

      self->reports++;
      if (duplicate)
        {
          self->duplicates++;
          outcome = g_strdup_printf ("duplicate of %s", json_object_get_string_member (o, "duplicate_of"));
        }
      else if (crew_id != NULL)
        {
          const char *name = g_hash_table_lookup (self->crew_names, crew_id);

          self->dispatched++;
          outcome = g_strdup_printf ("dispatched to %s", name ? name : crew_id);
        }
      else
        outcome = g_strdup ("waiting for a crew");

      if (self->options.verbose)
        cd_sim_log (cd_sim_account_get_username (self->hotline), "%s %s: %s", number, report->summary, outcome);
    }
  else if (g_error_matches (error, CD_SIM_ERROR, CD_SIM_ERROR_LOGIN))
    complete (self, g_steal_pointer (&error));
  else
    {
      g_autofree char *why = reply ? cd_sim_reply_error_message (reply) : g_strdup (error->message);

      self->reports_failed++;
      cd_sim_log (cd_sim_account_get_username (self->hotline), "report refused (%s): %s", report->summary, why);
    }

  report_free (report);
}

static void
add_string (JsonBuilder *b,
            const char  *member,
            const char  *value)
{
  json_builder_set_member_name (b, member);
  json_builder_add_string_value (b, value);
}

/* A customer calls: @storm, one more voice in the outage around
 * storm_lat, storm_lon. */
static void
send_report (CdSim    *self,
             gboolean  storm)
{
  static const guint category_weights[CD_N_CATEGORIES] = { 16, 9, 4, 14, 10, 9, 6, 7, 6, 5, 4, 3 };
  static const guint channel_weights[] = { 45, 10, 16, 12, 5, 6, 6 };
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) body = NULL;
  g_autofree char *key = g_uuid_string_random ();
  g_autofree char *name = NULL;
  g_autofree char *phone = NULL;
  g_autofree char *account = NULL;
  g_autofree char *address = NULL;
  g_auto(GStrv) skills = NULL;
  const CdCityDistrict *district;
  CdCategory category;
  CdUtility utility;
  CdUrgency urgency;
  CdChannel channel;
  double lat = 0, lon = 0;
  Report *report;

  if (storm)
    {
      category = CD_CATEGORY_POWER_OUTAGE;
      utility = CD_UTILITY_POWER;
      urgency = CD_URGENCY_EMERGENCY;
      channel = self->storm_left == self->options.storm_size ? CD_CHANNEL_NETWORK_MONITOR
                                                             : weighted (self->rand, channel_weights, 4);
      district = self->storm_district;
      for (guint tries = 0; tries < 40 && address == NULL; tries++)
        {
          g_autofree char *candidate = cd_city_random_address (self->city, self->rand, district->id, &lat, &lon);

          if (cd_city_distance_m (lat, lon, self->storm_lat, self->storm_lon) < STORM_RADIUS_M)
            address = g_steal_pointer (&candidate);
        }
      if (address == NULL)
        address = cd_city_random_address (self->city, self->rand, district->id, &lat, &lon);
    }
  else
    {
      category = weighted (self->rand, category_weights, CD_N_CATEGORIES);
      utility = utility_for (self, category);
      urgency = cd_city_report_urgency (category, self->rand);
      channel = weighted (self->rand, channel_weights, G_N_ELEMENTS (channel_weights));
      if ((channel == CD_CHANNEL_METER_ALARM && category != CD_CATEGORY_METER) ||
          (channel == CD_CHANNEL_NETWORK_MONITOR && category != CD_CATEGORY_POWER_OUTAGE))
        channel = CD_CHANNEL_HOTLINE;
      district = pick_district (self, utility, FALSE);
      address = cd_city_random_address (self->city, self->rand, district->id, &lat, &lon);
    }

  name = cd_city_random_person (self->rand);
  phone = g_strdup_printf ("+86 1%02d %04d %04d", g_rand_int_range (self->rand, 30, 90),
                           g_rand_int_range (self->rand, 0, 10000), g_rand_int_range (self->rand, 0, 10000));
  account = g_strdup_printf ("%s-%08d", utility == CD_UTILITY_POWER ? "PW" : "HT",
                             g_rand_int_range (self->rand, 0, 100000000));
  skills = cd_city_job_skills (category, utility, urgency, self->rand);

  json_builder_begin_object (b);
  add_string (b, "channel", enum_nick (CD_TYPE_CHANNEL, channel));
  add_string (b, "category", enum_nick (CD_TYPE_CATEGORY, category));
  add_string (b, "urgency", enum_nick (CD_TYPE_URGENCY, urgency));
  add_string (b, "utility", enum_nick (CD_TYPE_UTILITY, utility));
  json_builder_set_member_name (b, "customer");
  json_builder_begin_object (b);
  add_string (b, "name", name);
  add_string (b, "phone", phone);
  add_string (b, "account", account);
  json_builder_end_object (b);
  add_string (b, "address", address);
  json_builder_set_member_name (b, "lat");
  json_builder_add_double_value (b, round (lat * 1e7) / 1e7);
  json_builder_set_member_name (b, "lon");
  json_builder_add_double_value (b, round (lon * 1e7) / 1e7);
  add_string (b, "area", district->id);
  add_string (b, "area_class", enum_nick (CD_TYPE_AREA_CLASS, district->area_class));
  add_string (b, "description", cd_city_random_description (category, self->rand));
  if (skills != NULL)
    {
      json_builder_set_member_name (b, "skills");
      json_builder_begin_array (b);
      for (guint i = 0; skills[i] != NULL; i++)
        json_builder_add_string_value (b, skills[i]);
      json_builder_end_array (b);
    }
  json_builder_end_object (b);
  body = json_builder_get_root (b);

  report = g_new0 (Report, 1);
  report->sim = g_object_ref (self);
  report->summary = g_strdup_printf ("%s at %s (%s)", enum_nick (CD_TYPE_CATEGORY, category), address, district->id);
  cd_sim_client_request_async (self->client, self->hotline, "POST", "/api/v1/tickets", body, key,
                               CD_SIM_RETRY_UNTIL_ANSWERED, self->cancellable, report_cb, report);
}

static gboolean
report_cb_timer (gpointer data)
{
  CdSim *self = data;

  self->report_id = 0;
  send_report (self, FALSE);
  schedule_report (self);
  return G_SOURCE_REMOVE;
}

/* Exponential gaps: a Poisson stream of calls at the given rate. */
static void
schedule_report (CdSim *self)
{
  double per_second = self->options.rate / 60.0;
  double gap;

  if (per_second <= 0)
    return;
  gap = -log (1.0 - g_rand_double (self->rand)) / per_second;
  gap = CLAMP (gap, 0.05, 3600.0);
  self->report_id = g_timeout_add ((guint) (gap * 1000), report_cb_timer, self);
}

static gboolean
storm_cb (gpointer data)
{
  CdSim *self = data;

  send_report (self, TRUE);
  if (--self->storm_left > 0)
    return G_SOURCE_CONTINUE;

  cd_sim_log ("storm", "all %u reports sent", self->options.storm_size);
  self->storm_id = 0;
  return G_SOURCE_REMOVE;
}

static gboolean
start_storm (CdSim   *self,
             GError **error)
{
  g_autofree char *epicentre = NULL;

  if (self->options.storm_district != NULL)
    {
      self->storm_district = cd_city_find_district (self->city, self->options.storm_district);
      if (self->storm_district == NULL || !(self->storm_district->utilities & (1u << CD_UTILITY_POWER)))
        {
          g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                       "--storm-district: “%s” is not a district of the demo city with power service.",
                       self->options.storm_district);
          return FALSE;
        }
    }
  else
    self->storm_district = pick_district (self, CD_UTILITY_POWER, TRUE);

  epicentre = cd_city_random_address (self->city, self->rand, self->storm_district->id,
                                      &self->storm_lat, &self->storm_lon);
  self->storm_left = MAX (1, self->options.storm_size);
  cd_sim_log ("storm", "%u outage reports within %d m of %s, %s, over a minute", self->storm_left,
              STORM_RADIUS_M, epicentre, self->storm_district->name);
  self->storm_id = g_timeout_add (MAX (50, 60000 / self->storm_left), storm_cb, self);
  return TRUE;
}

/* Crews --------------------------------------------------------------------- */

typedef struct
{
  const char *username;
  const char *crew_id;
} Device;

static gint
compare_devices (gconstpointer a,
                 gconstpointer b)
{
  return g_strcmp0 (((const Device *) a)->username, ((const Device *) b)->username);
}

static JsonArray *
snapshot_array (JsonObject *snapshot,
                const char *member)
{
  JsonNode *node = json_object_get_member (snapshot, member);

  return node && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
}

static void
start_crews (CdSim      *self,
             JsonObject *snapshot)
{
  JsonArray *users = snapshot_array (snapshot, "users");
  JsonArray *crews = snapshot_array (snapshot, "crews");
  g_autoptr(GHashTable) crew_records = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GArray) devices = g_array_new (FALSE, FALSE, sizeof (Device));
  CdSimCrewOptions crew_options = {
    self->options.speedup, self->options.report_interval, self->options.poll_interval, self->options.verbose,
  };
  guint n;

  for (guint i = 0; crews && i < json_array_get_length (crews); i++)
    {
      JsonObject *crew = json_array_get_object_element (crews, i);
      const char *id = json_object_get_string_member_with_default (crew, "id", NULL);

      if (id == NULL)
        continue;
      g_hash_table_insert (crew_records, (gpointer) id, crew);
      g_hash_table_insert (self->crew_names, (gpointer) id,
                           (gpointer) json_object_get_string_member_with_default (crew, "name", id));
    }

  for (guint i = 0; users && i < json_array_get_length (users); i++)
    {
      JsonObject *user = json_array_get_object_element (users, i);
      Device device = {
        json_object_get_string_member_with_default (user, "username", NULL),
        json_object_has_member (user, "crew_id") && !json_object_get_null_member (user, "crew_id")
          ? json_object_get_string_member (user, "crew_id") : NULL,
      };

      if (device.username != NULL && device.crew_id != NULL &&
          g_strcmp0 (json_object_get_string_member_with_default (user, "role", NULL), "crew-device") == 0 &&
          json_object_get_boolean_member_with_default (user, "active", TRUE))
        g_array_append_val (devices, device);
    }
  g_array_sort (devices, compare_devices);

  n = self->options.crews < 0 ? devices->len : MIN ((guint) self->options.crews, devices->len);
  for (guint i = 0; i < n; i++)
    {
      Device *device = &g_array_index (devices, Device, i);
      g_autoptr(CdSimAccount) account = cd_sim_account_new (device->username, self->options.password);
      CdSimCrew *crew = cd_sim_crew_new (self->client, self->city, account, device->crew_id,
                                         g_hash_table_lookup (crew_records, device->crew_id),
                                         &crew_options, self->options.seed * 7919u + i);

      g_ptr_array_add (self->crews, crew);
      cd_sim_crew_start (crew, self->schedule, (double) i / n);
    }

  if (self->options.crews != 0 && devices->len == 0)
    cd_sim_log ("sim", "the server has no active crew-device users: no crews to play (run the server with --demo)");
  else if (self->options.crews > 0 && devices->len < (guint) self->options.crews)
    cd_sim_log ("sim", "only %u crew devices on the server", devices->len);
}

static void
snapshot_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      data)
{
  g_autoptr(CdSim) self = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(CdSimReply) reply = cd_sim_client_request_finish (CD_SIM_CLIENT (source), result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || self->task == NULL)
    return;

  if (reply == NULL)
    {
      complete (self, g_steal_pointer (&error));
      return;
    }
  if (reply->status != 200 || reply->json == NULL || !JSON_NODE_HOLDS_OBJECT (reply->json))
    {
      g_autofree char *why = cd_sim_reply_error_message (reply);

      complete (self, g_error_new (CD_SIM_ERROR, CD_SIM_ERROR_PROTOCOL,
                                   "Loading the snapshot as “%s” failed (%s). The hotline user must be a dispatcher or a supervisor.",
                                   self->options.hotline_user, why));
      return;
    }

  self->snapshot = g_steal_pointer (&reply->json);
  start_crews (self, json_node_get_object (self->snapshot));

  cd_sim_log ("sim", "%s: playing %u crews at %g× speed; customers report %g tickets a minute through “%s” (--seed %u)",
              cd_sim_client_get_base_url (self->client), self->crews->len, self->options.speedup,
              self->options.rate, self->options.hotline_user, self->options.seed);

  schedule_report (self);
  if (self->options.storm && !start_storm (self, &error))
    {
      complete (self, g_steal_pointer (&error));
      return;
    }
  self->stats_id = g_timeout_add_seconds (STATS_INTERVAL_S, stats_cb, self);
}

/* Public -------------------------------------------------------------------- */

char *
cd_sim_describe (CdSim *self)
{
  guint by_state[CD_SIM_CREW_N_STATES] = { 0 };
  CdSimCrewStats total = { 0 };
  CdSimClientStats http;

  g_return_val_if_fail (CD_IS_SIM (self), NULL);

  for (guint i = 0; i < self->crews->len; i++)
    {
      CdSimCrew *crew = g_ptr_array_index (self->crews, i);
      CdSimCrewStats s;

      by_state[cd_sim_crew_get_state (crew)]++;
      cd_sim_crew_get_stats (crew, &s);
      total.positions += s.positions;
      total.positions_failed += s.positions_failed;
      total.positions_skipped += s.positions_skipped;
      total.polls_failed += s.polls_failed;
      total.mutations += s.mutations;
      total.applied += s.applied;
      total.conflicts += s.conflicts;
      total.rejected += s.rejected;
      total.resolved += s.resolved;
    }
  cd_sim_client_get_stats (self->client, &http);

  return g_strdup_printf ("crews %u (idle %u, calling %u, driving %u, on site %u), resolved %u | "
                          "reports %u (dispatched %u, duplicates %u, refused %u) | "
                          "positions %u (failed %u, skipped %u) | mutations %u applied, %u conflicts, %u rejected | "
                          "http %u requests, %u retries, %u network errors, %u server errors",
                          self->crews->len, by_state[CD_SIM_CREW_IDLE], by_state[CD_SIM_CREW_CALLING],
                          by_state[CD_SIM_CREW_DRIVING], by_state[CD_SIM_CREW_WORKING], total.resolved,
                          self->reports, self->dispatched, self->duplicates, self->reports_failed,
                          total.positions, total.positions_failed, total.positions_skipped,
                          total.applied, total.conflicts, total.rejected,
                          http.requests, http.retries, http.network_errors, http.server_errors);
}

void
cd_sim_run_async (CdSim               *self,
                  GCancellable        *cancellable,
                  GAsyncReadyCallback  callback,
                  gpointer             user_data)
{
  g_return_if_fail (CD_IS_SIM (self));
  g_return_if_fail (self->task == NULL);

  self->task = g_task_new (self, NULL, callback, user_data);
  g_task_set_source_tag (self->task, cd_sim_run_async);

  if (cancellable != NULL)
    {
      self->run_cancellable = g_object_ref (cancellable);
      self->cancelled_id = g_cancellable_connect (cancellable, G_CALLBACK (run_cancelled_cb), self, NULL);
    }
  if (self->options.duration > 0)
    self->duration_id = g_timeout_add_seconds (self->options.duration, duration_cb, self);

  cd_sim_log ("sim", "connecting to %s as “%s”", cd_sim_client_get_base_url (self->client), self->options.hotline_user);
  /* Waits for the server to come up, then finds the crews. */
  cd_sim_client_request_async (self->client, self->hotline, "GET", "/api/v1/snapshot", NULL, NULL,
                               CD_SIM_RETRY_UNTIL_ANSWERED, self->cancellable, snapshot_cb, g_object_ref (self));
}

gboolean
cd_sim_run_finish (CdSim         *self,
                   GAsyncResult  *result,
                   GError       **error)
{
  g_return_val_if_fail (CD_IS_SIM (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
cd_sim_dispose (GObject *object)
{
  CdSim *self = CD_SIM (object);

  stop_everything (self);
  g_ptr_array_set_size (self->crews, 0);

  G_OBJECT_CLASS (cd_sim_parent_class)->dispose (object);
}

static void
cd_sim_finalize (GObject *object)
{
  CdSim *self = CD_SIM (object);

  cd_sim_options_clear (&self->options);
  g_clear_object (&self->client);
  g_clear_object (&self->hotline);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->rand, g_rand_free);
  g_hash_table_unref (self->crew_names);
  g_clear_pointer (&self->snapshot, json_node_unref);
  g_ptr_array_unref (self->crews);
  /* After the crews: stopping removes their jobs. */
  g_clear_pointer (&self->schedule, cd_sim_schedule_free);

  G_OBJECT_CLASS (cd_sim_parent_class)->finalize (object);
}

static void
cd_sim_class_init (CdSimClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = cd_sim_dispose;
  object_class->finalize = cd_sim_finalize;
}

static void
cd_sim_init (CdSim *self)
{
  self->cancellable = g_cancellable_new ();
  self->crew_names = g_hash_table_new (g_str_hash, g_str_equal);
  self->crews = g_ptr_array_new_with_free_func (g_object_unref);
  self->schedule = cd_sim_schedule_new ();
  cd_sim_schedule_attach (self->schedule, NULL);
}

CdSim *
cd_sim_new (const CdSimOptions *options)
{
  CdSim *self;

  g_return_val_if_fail (options != NULL, NULL);

  self = g_object_new (CD_TYPE_SIM, NULL);
  self->options = *options;
  self->options.server_url = g_strdup (options->server_url);
  self->options.storm_district = g_strdup (options->storm_district);
  self->options.password = g_strdup (options->password);
  self->options.hotline_user = g_strdup (options->hotline_user);
  self->client = cd_sim_client_new (options->server_url, options->timeout);
  self->city = cd_city_get_demo ();
  self->hotline = cd_sim_account_new (options->hotline_user, options->password);
  self->rand = g_rand_new_with_seed (options->seed);
  return self;
}
