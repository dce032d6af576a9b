/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-server-durability.c: clients create tickets as fast as they can,
 * the server is killed with SIGKILL in the middle, and every mutation it
 * acknowledged must be there after the restart, and replay as applied
 * without a new version. */
#include "config.h"

#include <signal.h>
#include <string.h>

#include "cd-model.h"
#include "cd-store.h"
#include "cd-test-server.h"

#define N_CLIENTS    4
#define MAX_BATCH    3
#define LOAD_SECONDS 2

static CdTestServer *server;
static char *tokens[N_CLIENTS];
static char *admin;

/* One acknowledged mutation. */
typedef struct {
  guint     client;
  char     *target;
  char     *body;      /* the mutation as sent */
  JsonNode *result;    /* the server's answer */
} Ack;

static void
ack_free (Ack *ack)
{
  g_free (ack->target);
  g_free (ack->body);
  json_node_unref (ack->result);
  g_free (ack);
}

typedef struct {
  GMutex     lock;
  GPtrArray *acks;
  gint       stop;
  guint      sent[N_CLIENTS];
  guint      failures;     /* requests that did not get a 200 */
} Load;

typedef struct {
  Load  *load;
  guint  client;
} Client;

static gpointer
client_thread (gpointer data)
{
  Client *c = data;
  Load *load = c->load;
  guint batch = c->client % MAX_BATCH + 1;

  while (!g_atomic_int_get (&load->stop))
    {
      g_autoptr(GString) body = g_string_new ("{\"mutations\":[");
      g_autoptr(CdTestReply) reply = NULL;
      g_autoptr(GError) error = NULL;
      char *targets[MAX_BATCH];
      char *mutations[MAX_BATCH];
      JsonArray *results;

      for (guint i = 0; i < batch; i++)
        {
          g_autofree char *extra = g_strdup_printf ("\"description\":\"client %u, ticket %u\"", c->client,
                                                    load->sent[c->client] + i);
          g_autofree char *args = cd_test_ticket_args (i % 2 ? "power" : "heat", i % 2 ? "no-power" : "no-heat",
                                                       extra);

          targets[i] = g_uuid_string_random ();
          mutations[i] = cd_test_mutation (NULL, "ticket.create", targets[i], -1, args);
          g_string_append_printf (body, "%s%s", i ? "," : "", mutations[i]);
        }
      g_string_append (body, "]}");
      load->sent[c->client] += batch;

      reply = cd_test_request_full (server, "POST", "/api/v1/mutations", tokens[c->client], NULL,
                                    "application/json", body->str, -1, FALSE, &error);
      if (reply == NULL || reply->status != 200 || reply->json == NULL)
        {
          /* The server is gone (or going): nothing of this batch was
           * acknowledged. */
          g_mutex_lock (&load->lock);
          load->failures++;
          g_mutex_unlock (&load->lock);
          for (guint i = 0; i < batch; i++)
            {
              g_free (targets[i]);
              g_free (mutations[i]);
            }
          if (reply == NULL)
            break;
          continue;
        }

      results = json_object_get_array_member (cd_test_reply_object (reply), "results");
      g_assert_cmpuint (json_array_get_length (results), ==, batch);
      g_mutex_lock (&load->lock);
      for (guint i = 0; i < batch; i++)
        {
          JsonObject *r = json_array_get_object_element (results, i);

          g_assert_cmpstr (cd_test_result_status (r), ==, "applied");
          {
            Ack *ack = g_new0 (Ack, 1);

            ack->client = c->client;
            ack->target = targets[i];
            ack->body = mutations[i];
            ack->result = json_node_ref (json_array_get_element (results, i));
            g_ptr_array_add (load->acks, ack);
          }
        }
      g_mutex_unlock (&load->lock);
    }

  return NULL;
}

/* Runs the clients, kills the server under them, and returns what was
 * acknowledged. */
static void
load_and_kill (Load *load)
{
  GThread *threads[N_CLIENTS];
  Client clients[N_CLIENTS];
  gint64 until;

  for (guint i = 0; i < N_CLIENTS; i++)
    {
      clients[i] = (Client) { load, i };
      threads[i] = g_thread_new ("client", client_thread, &clients[i]);
    }

  until = g_get_monotonic_time () + LOAD_SECONDS * G_USEC_PER_SEC;
  while (g_get_monotonic_time () < until)
    g_usleep (50 * 1000);

  /* Mid-load: the clients are still sending. */
  g_mutex_lock (&load->lock);
  g_test_message ("%u mutations acknowledged before the kill", load->acks->len);
  g_mutex_unlock (&load->lock);
  cd_test_server_kill (server, SIGKILL);

  g_atomic_int_set (&load->stop, 1);
  for (guint i = 0; i < N_CLIENTS; i++)
    g_thread_join (threads[i]);
}

static void
verify (GPtrArray *acks)
{
  g_autoptr(CdTestReply) snapshot = cd_test_request (server, "GET", "/api/v1/snapshot", admin, NULL);
  g_autoptr(GHashTable) tickets = g_hash_table_new (g_str_hash, g_str_equal);
  JsonArray *list;
  guint missing = 0;
  gint64 rev;

  g_assert_cmpuint (snapshot->status, ==, 200);
  list = json_object_get_array_member (cd_test_reply_object (snapshot), "tickets");
  for (guint i = 0; i < json_array_get_length (list); i++)
    {
      JsonObject *t = json_array_get_object_element (list, i);

      g_hash_table_insert (tickets, (gpointer) json_object_get_string_member (t, "id"), t);
    }

  /* Every acknowledged ticket is there, as acknowledged. */
  for (guint i = 0; i < acks->len; i++)
    {
      Ack *ack = g_ptr_array_index (acks, i);
      JsonObject *t = g_hash_table_lookup (tickets, ack->target);
      JsonObject *sent = cd_test_result_record (json_node_get_object (ack->result), "ticket");

      if (t == NULL)
        {
          g_test_message ("acknowledged ticket %s is gone", ack->target);
          missing++;
          continue;
        }
      g_assert_cmpint (json_object_get_int_member (t, "version"), ==, 1);
      g_assert_cmpint (json_object_get_int_member (t, "rev"), ==,
                       json_object_get_int_member (json_node_get_object (ack->result), "rev"));
      g_assert_cmpstr (json_object_get_string_member (t, "description"), ==,
                       json_object_get_string_member (sent, "description"));
    }
  if (missing > 0)
    g_error ("%u of %u acknowledged mutations were lost", missing, acks->len);

  /* Unacknowledged ones may or may not have made it; at most one batch
   * per client was in flight. */
  g_assert_cmpuint (g_hash_table_size (tickets), >=, acks->len);

  /* Sent again, each replays its result and writes nothing. */
  rev = cd_test_metric (server, admin, "crewdesk_revision");
  for (guint client = 0; client < N_CLIENTS; client++)
    {
      g_autoptr(GPtrArray) batch = g_ptr_array_new ();
      g_autoptr(GPtrArray) originals = g_ptr_array_new ();

      for (guint i = 0; i <= acks->len; i++)
        {
          Ack *ack = i < acks->len ? g_ptr_array_index (acks, i) : NULL;

          if (ack != NULL && ack->client == client)
            {
              g_ptr_array_add (batch, ack->body);
              g_ptr_array_add (originals, ack);
            }
          if (batch->len > 0 && (batch->len == 200 || ack == NULL))
            {
              g_autoptr(CdTestReply) reply = NULL;

              g_ptr_array_add (batch, NULL);
              reply = cd_test_send_mutations (server, tokens[client], (const char * const *) batch->pdata);
              for (guint j = 0; j < originals->len; j++)
                {
                  Ack *original = g_ptr_array_index (originals, j);
                  JsonObject *r = cd_test_result (reply, j);

                  g_assert_cmpstr (cd_test_result_status (r), ==, "applied");
                  g_assert_true (json_node_equal (json_array_get_element (
                      json_object_get_array_member (cd_test_reply_object (reply), "results"), j), original->result));
                }
              g_ptr_array_set_size (batch, 0);
              g_ptr_array_set_size (originals, 0);
            }
        }
    }
  g_assert_cmpint (cd_test_metric (server, admin, "crewdesk_revision"), ==, rev);
}

static void
test_kill_under_load (void)
{
  Load load = { 0 };
  guint total = 0;

  g_mutex_init (&load.lock);
  load.acks = g_ptr_array_new_with_free_func ((GDestroyNotify) ack_free);

  for (guint round = 0; round < 2; round++)
    {
      guint before = load.acks->len;

      g_atomic_int_set (&load.stop, 0);
      load_and_kill (&load);
      g_assert_cmpuint (load.acks->len, >, before + 10);
      total = load.acks->len;

      cd_test_server_restart (server);
      verify (load.acks);
    }
  g_test_message ("%u acknowledged mutations survived two kills", total);

  /* The server works on after its crashes. */
  {
    g_autofree char *ticket = cd_test_create_ticket (server, tokens[0], "heat", "leak", NULL);

    g_assert_nonnull (ticket);
  }

  g_ptr_array_unref (load.acks);
  g_mutex_clear (&load.lock);
}

int
main (int   argc,
      char *argv[])
{
  int ret;

  cd_test_init (&argc, &argv);
  cd_model_init ();

  server = cd_test_server_start (NULL, FALSE);
  for (guint i = 0; i < N_CLIENTS; i++)
    {
      g_autofree char *name = g_strdup_printf ("durable-%u", i);

      tokens[i] = cd_test_add_and_login (server, name, i % 2 ? "supervisor" : "dispatcher", NULL);
    }
  admin = cd_test_add_and_login (server, "durable-admin", "admin", NULL);

  g_test_add_func ("/server/durability/kill-under-load", test_kill_under_load);

  ret = g_test_run ();

  cd_test_server_free (server);
  for (guint i = 0; i < N_CLIENTS; i++)
    g_free (tokens[i]);
  g_free (admin);
  return ret;
}
