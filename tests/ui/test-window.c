/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-window.c: the dispatcher window over a real session: the real
 * crewdesk-server with the demo city on 127.0.0.1, the sync engine, the
 * cache in a temporary file. Runs under xvfb-run; writes a screenshot of
 * every view into the build directory for a person to look at. */
#include "config.h"

#include <glib/gstdio.h>
#include <signal.h>

#include "cd-test-ui.h"
#include "cd-city.h"
#include "cd-conflicts-dialog.h"
#include "cd-context.h"
#include "cd-intake-dialog.h"
#include "cd-login-dialog.h"
#include "cd-model.h"
#include "cd-test-server.h"
#include "cd-window.h"

typedef struct {
  CdTestServer *server;
  char         *dir;
  CdSyncEngine *engine;
  CdContext    *context;
  CdWindow     *window;
} Fixture;

static void
store_result_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static gboolean
has_result (gpointer data)
{
  return *(GAsyncResult **) data != NULL;
}

static gboolean
is_true (gpointer data)
{
  return *(gboolean *) data;
}

/* Fixture ---------------------------------------------------------------------- */

static gboolean
context_has_tickets (gpointer data)
{
  Fixture *f = data;

  return g_list_model_get_n_items (cd_context_get_tickets (f->context)) > 0 &&
         g_list_model_get_n_items (cd_context_get_crews (f->context)) > 0;
}

static gboolean
engine_online (gpointer data)
{
  Fixture *f = data;

  return cd_sync_engine_get_status (f->engine) == CD_SYNC_STATUS_ONLINE;
}

static gboolean
engine_offline (gpointer data)
{
  Fixture *f = data;

  return cd_sync_engine_get_status (f->engine) == CD_SYNC_STATUS_OFFLINE;
}

static gboolean
nothing_pending (gpointer data)
{
  Fixture *f = data;

  return cd_sync_engine_get_pending (f->engine) == 0;
}

static void
fixture_set_up (Fixture       *f,
                gconstpointer  user_data)
{
  g_autoptr(CdSyncClient) client = NULL;
  g_autoptr(CdSyncClient) login = NULL;
  g_autoptr(CdSyncCache) cache = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(CdUser) user = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;

  f->server = cd_test_server_start (NULL, TRUE);
  f->dir = g_dir_make_tmp ("crewdesk-ui-XXXXXX", &error);
  g_assert_no_error (error);

  client = cd_sync_client_new (f->server->base_url);
  cd_sync_client_login_async (client, "dispatcher", "demo", store_result_cb, &result);
  g_assert_true (cd_test_ui_wait_until (has_result, &result, 60));
  user = cd_sync_client_login_finish (client, result, &error);
  g_assert_no_error (error);
  g_assert_nonnull (user);

  path = g_build_filename (f->dir, "cache.db", NULL);
  cache = cd_sync_cache_open (f->server->base_url, "dispatcher", path, &error);
  g_assert_no_error (error);
  g_assert_true (cd_sync_cache_set_user (cache, user, &error));
  g_assert_no_error (error);

  f->engine = cd_sync_engine_new (client, cache);
  cd_sync_engine_set_backoff (f->engine, 100, 500);
  f->context = cd_context_new (f->engine, NULL);
  cd_sync_engine_start (f->engine);
  g_assert_true (cd_test_ui_wait_until (engine_online, f, 60));
  g_assert_true (cd_test_ui_wait_until (context_has_tickets, f, 60));

  f->window = cd_window_new (NULL, f->context);
  gtk_window_set_default_size (GTK_WINDOW (f->window), 1280, 800);
  gtk_window_present (GTK_WINDOW (f->window));
  cd_test_ui_wait_for_frame (GTK_WIDGET (f->window));
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  user_data)
{
  if (f->window != NULL)
    gtk_window_destroy (GTK_WINDOW (f->window));
  cd_sync_engine_stop (f->engine);
  g_clear_object (&f->context);
  g_clear_object (&f->engine);
  /* Let idle callbacks of the destroyed widgets run. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_clear_pointer (&f->server, cd_test_server_free);
  g_free (f->dir);
}

static GtkWidget *
find_entry_row (GtkWidget  *widget,
                const char *title)
{
  if (ADW_IS_ENTRY_ROW (widget) &&
      g_str_equal (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (widget)), title))
    return widget;

  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_entry_row (child, title);

      if (found != NULL)
        return found;
    }
  return NULL;
}

/* Tests ------------------------------------------------------------------------ */

static void
test_views (Fixture       *f,
            gconstpointer  user_data)
{
  static const char *views[] = { "map", "board", "sla", "callbacks", "reports" };
  GtkWidget *header;

  /* The header names the user and the role, and says the app is online. */
  header = GTK_WIDGET (f->window);
  g_assert_true (cd_test_ui_find_label (header, "Dispatcher"));
  g_assert_true (cd_test_ui_wait_for_label (header, "Online"));

  /* Every crew is placed from the first sync on, before any report (no
   * simulator runs here): the pull ends by reading the latest positions. */
  {
    GListModel *crews = cd_context_get_crews (f->context);

    g_assert_cmpuint (g_list_model_get_n_items (crews), >, 0);
    for (guint i = 0; i < g_list_model_get_n_items (crews); i++)
      {
        g_autoptr(CdCrew) crew = g_list_model_get_item (crews, i);

        if (crew->position_at == 0)
          g_error ("crew %s has no position after the first sync", crew->name);
      }
  }

  for (guint i = 0; i < G_N_ELEMENTS (views); i++)
    {
      g_autofree char *name = g_strdup_printf ("window-%s", views[i]);
      double varied;

      cd_window_set_view (f->window, views[i]);
      g_assert_nonnull (cd_window_get_view (f->window, views[i]));
      varied = cd_test_ui_save_screenshot (GTK_WIDGET (f->window), name);
      g_assert_cmpfloat (varied, >, 0.01);
    }
}

static void
test_offline_intake (Fixture       *f,
                     gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *id = NULL;
  g_autoptr(CdTicket) on_server = NULL;
  GtkWindow *dialog;
  CdTicket *ticket;
  double south, west, north, east;
  guint before = g_list_model_get_n_items (cd_context_get_tickets (f->context));

  /* The server goes away; the header says so. */
  cd_test_server_kill (f->server, SIGKILL);
  cd_sync_engine_sync_now (f->engine);
  g_assert_true (cd_test_ui_wait_until (engine_offline, f, 60));
  g_assert_true (cd_test_ui_wait_for_label (GTK_WIDGET (f->window), "Offline"));

  /* A ticket taken in while offline shows at once and waits. */
  dialog = cd_intake_dialog_new (f->context, cd_window_get_view (f->window, "map"));
  gtk_window_set_transient_for (dialog, GTK_WINDOW (f->window));
  gtk_window_present (dialog);
  cd_city_get_bounds (cd_city_get_demo (), &south, &west, &north, &east);
  cd_intake_dialog_set_location (CD_INTAKE_DIALOG (dialog), (south + north) / 2, (west + east) / 2);

  /* An incomplete form is refused with a reason, and nothing is queued. */
  id = cd_intake_dialog_submit (CD_INTAKE_DIALOG (dialog), &error);
  g_assert_null (id);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_clear_error (&error);
  g_assert_cmpuint (cd_sync_engine_get_pending (f->engine), ==, 0);
  cd_test_ui_save_screenshot (GTK_WIDGET (dialog), "intake-dialog");

  g_object_ref (dialog);
  /* Fill the two text rows through the widget tree, as a user would. */
  gtk_editable_set_text (GTK_EDITABLE (find_entry_row (GTK_WIDGET (dialog), "Name")), "Zhao Min");
  gtk_editable_set_text (GTK_EDITABLE (find_entry_row (GTK_WIDGET (dialog), "Address")), "8 Willow Lane");
  id = cd_intake_dialog_submit (CD_INTAKE_DIALOG (dialog), &error);
  g_assert_no_error (error);
  g_assert_nonnull (id);
  g_object_unref (dialog);

  ticket = cd_context_lookup_ticket (f->context, id);
  g_assert_nonnull (ticket);
  g_assert_cmpstr (ticket->customer_name, ==, "Zhao Min");
  g_assert_cmpuint (g_list_model_get_n_items (cd_context_get_tickets (f->context)), ==, before + 1);
  g_assert_true (cd_context_is_pending (f->context, id));
  g_assert_cmpuint (cd_sync_engine_get_pending (f->engine), ==, 1);
  cd_test_ui_wait_for_frame (GTK_WIDGET (f->window));
  g_assert_true (cd_test_ui_wait_for_label (GTK_WIDGET (f->window), "1 waiting"));
  cd_test_ui_save_screenshot (GTK_WIDGET (f->window), "window-offline");

  /* The server comes back: the ticket reaches it once, the mark goes. */
  cd_test_server_restart (f->server);
  /* The restarted server listens on a new port. */
  cd_sync_client_set_base_url (cd_sync_engine_get_client (f->engine), f->server->base_url);
  cd_sync_engine_sync_now (f->engine);
  g_assert_true (cd_test_ui_wait_until (engine_online, f, 60));
  g_assert_true (cd_test_ui_wait_until (nothing_pending, f, 60));
  on_server = cd_sync_cache_load_server (cd_context_get_cache (f->context), CD_TYPE_TICKET, id, &error);
  g_assert_no_error (error);
  g_assert_nonnull (on_server);
  g_assert_cmpstr (on_server->customer_name, ==, "Zhao Min");
  cd_context_reload (f->context);
  g_assert_false (cd_context_is_pending (f->context, id));
  /* The same object is still the one the views hold. */
  g_assert_true (cd_context_lookup_ticket (f->context, id) == ticket);
}

/* An open ticket and two crews that may take it, other than its own,
 * from the model's ranking. */
static CdTicket *
pick_ticket_and_crews (Fixture  *f,
                       CdCrew  **first,
                       CdCrew  **second)
{
  GListModel *tickets = cd_context_get_tickets (f->context);

  for (guint i = 0; i < g_list_model_get_n_items (tickets); i++)
    {
      g_autoptr(CdTicket) ticket = g_list_model_get_item (tickets, i);
      g_autoptr(GPtrArray) crews = NULL;
      g_autoptr(GArray) ranking = NULL;
      g_autoptr(GError) error = NULL;
      guint feasible = 0;

      if (ticket->status == CD_TICKET_STATUS_WAITING_CUSTOMER)
        continue;
      g_assert_true (cd_context_rank_crews (f->context, ticket, &crews, &ranking, &error));
      g_assert_no_error (error);
      for (guint r = 0; r < ranking->len && feasible < 2; r++)
        {
          CdMatchScore *score = &g_array_index (ranking, CdMatchScore, r);

          if (score->verdict != CD_MATCH_OK ||
              g_strcmp0 (cd_record_get_id (crews->pdata[score->crew]), ticket->crew_id) == 0)
            continue;
          if (feasible == 0)
            *first = crews->pdata[score->crew];
          else
            *second = crews->pdata[score->crew];
          feasible++;
        }
      if (feasible == 2)
        {
          /* The model's own objects. */
          *first = cd_context_lookup_crew (f->context, cd_record_get_id ((CdRecord *) *first));
          *second = cd_context_lookup_crew (f->context, cd_record_get_id ((CdRecord *) *second));
          return cd_context_lookup_ticket (f->context, cd_record_get_id ((CdRecord *) ticket));
        }
    }
  g_error ("no demo ticket has two feasible crews");
  return NULL;
}

static gboolean
has_conflict (gpointer data)
{
  Fixture *f = data;
  g_autoptr(GPtrArray) conflicts = cd_sync_cache_list_conflicts (cd_context_get_cache (f->context), NULL);

  return conflicts != NULL && conflicts->len > 0;
}

static void
test_conflict (Fixture       *f,
               gconstpointer  user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CdTestReply) reply = NULL;
  g_autofree char *supervisor = NULL;
  g_autofree char *body = NULL;
  g_autofree char *mutation = NULL;
  CdConflictsDialog *dialog;
  CdCrew *first = NULL, *second = NULL;
  CdTicket *ticket = pick_ticket_and_crews (f, &first, &second);
  const char *ticket_id = cd_record_get_id ((CdRecord *) ticket);
  JsonObject *args;

  /* This dispatcher assigns the ticket while cut off... */
  cd_sync_engine_stop (f->engine);
  args = json_object_new ();
  json_object_set_string_member (args, "crew_id", cd_record_get_id ((CdRecord *) first));
  if (ticket->crew_id != NULL)
    json_object_set_string_member (args, "expect_crew", ticket->crew_id);
  else
    json_object_set_null_member (args, "expect_crew");
  json_object_set_string_member (args, "reason", "nearest crew");
  g_assert_true (cd_context_submit (f->context, CD_MUTATION_OP_TICKET_ASSIGN, ticket_id, -1,
                                    args, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (ticket->crew_id, ==, cd_record_get_id ((CdRecord *) first));

  /* ...and the supervisor gives it to another crew first. */
  supervisor = cd_test_login (f->server, "supervisor", "demo");
  body = g_strdup_printf ("{\"crew_id\":\"%s\",\"reason\":\"closer\"}",
                          cd_record_get_id ((CdRecord *) second));
  {
    g_autofree char *mid = g_uuid_string_random ();

    mutation = g_strdup_printf ("{\"mutations\":[{\"id\":\"%s\",\"op\":\"ticket.assign\",\"target\":\"%s\",\"args\":%s}]}",
                                mid, ticket_id, body);
  }
  reply = cd_test_request (f->server, "POST", "/api/v1/mutations", supervisor, mutation);
  g_assert_cmpuint (reply->status, ==, 200);

  /* Back online: the server refuses ours, the model shows the server's
   * crew, a toast and the list say what happened. */
  cd_sync_engine_start (f->engine);
  g_assert_true (cd_test_ui_wait_until (has_conflict, f, 60));
  g_assert_true (cd_test_ui_wait_until (nothing_pending, f, 60));
  cd_context_reload (f->context);
  g_assert_cmpstr (ticket->crew_id, ==, cd_record_get_id ((CdRecord *) second));

  g_assert_true (cd_test_ui_wait_for_label (GTK_WIDGET (f->window), "refused"));
  cd_test_ui_save_screenshot (GTK_WIDGET (f->window), "window-conflict-toast");

  dialog = CD_CONFLICTS_DIALOG (cd_conflicts_dialog_new (f->context));
  gtk_window_set_transient_for (GTK_WINDOW (dialog), GTK_WINDOW (f->window));
  gtk_window_present (GTK_WINDOW (dialog));
  g_assert_cmpuint (cd_conflicts_dialog_get_n_items (dialog), ==, 1);
  g_assert_true (cd_test_ui_find_label (GTK_WIDGET (dialog), ticket->number));
  g_assert_true (cd_test_ui_find_label (GTK_WIDGET (dialog), "supervisor"));
  cd_test_ui_save_screenshot (GTK_WIDGET (dialog), "conflicts-dialog");

  /* Discarding forgets it. */
  {
    g_autoptr(GPtrArray) conflicts = cd_sync_cache_list_conflicts (cd_context_get_cache (f->context), &error);
    CdStoreConflict *c = conflicts->pdata[0];

    g_assert_true (cd_sync_cache_discard_conflict (cd_context_get_cache (f->context), c->id, &error));
    g_assert_no_error (error);
  }
  cd_conflicts_dialog_refresh (dialog);
  g_assert_cmpuint (cd_conflicts_dialog_get_n_items (dialog), ==, 0);
  gtk_window_destroy (GTK_WINDOW (dialog));
}

typedef struct {
  gboolean  signed_in;
  char     *username;
  CdRole    role;
  char     *token;
} SignIn;

static void
signed_in_cb (CdLoginDialog *dialog,
              const char    *url,
              const char    *username,
              const char    *token,
              CdUser        *user,
              SignIn        *out)
{
  out->signed_in = TRUE;
  out->username = g_strdup (username);
  out->token = g_strdup (token);
  out->role = user->role;
}

static gboolean
login_error_shown (gpointer data)
{
  return cd_login_dialog_get_error (data) != NULL;
}

static void
test_login_dialog (Fixture       *f,
                   gconstpointer  user_data)
{
  SignIn out = { 0 };
  CdLoginDialog *dialog = CD_LOGIN_DIALOG (cd_login_dialog_new (f->server->base_url, "supervisor"));

  g_signal_connect (dialog, "signed-in", G_CALLBACK (signed_in_cb), &out);
  gtk_window_present (GTK_WINDOW (dialog));

  /* No password: said at once, nothing sent. */
  cd_login_dialog_sign_in (dialog);
  g_assert_cmpstr (cd_login_dialog_get_error (dialog), ==, "Enter your password.");

  /* A wrong one: the server's sentence. */
  cd_login_dialog_set_password (dialog, "wrong-password");
  cd_login_dialog_sign_in (dialog);
  g_assert_true (cd_test_ui_wait_until (login_error_shown, dialog, 60));
  g_assert_false (out.signed_in);
  g_test_message ("wrong password: %s", cd_login_dialog_get_error (dialog));
  cd_test_ui_save_screenshot (GTK_WIDGET (dialog), "login-dialog-error");

  cd_login_dialog_set_password (dialog, "demo");
  cd_login_dialog_sign_in (dialog);
  g_assert_true (cd_test_ui_wait_until (is_true, &out.signed_in, 60));
  g_assert_cmpstr (out.username, ==, "supervisor");
  g_assert_cmpint (out.role, ==, CD_ROLE_SUPERVISOR);
  g_assert_nonnull (out.token);
  g_assert_null (cd_login_dialog_get_error (dialog));

  gtk_window_destroy (GTK_WINDOW (dialog));
  g_free (out.username);
  g_free (out.token);
}

int
main (int   argc,
      char *argv[])
{
  cd_test_init (&argc, &argv);
  gtk_init ();
  adw_init ();
  cd_model_init ();

  g_test_add ("/ui/window/views", Fixture, NULL, fixture_set_up, test_views, fixture_tear_down);
  g_test_add ("/ui/window/offline-intake", Fixture, NULL, fixture_set_up, test_offline_intake, fixture_tear_down);
  g_test_add ("/ui/window/conflict", Fixture, NULL, fixture_set_up, test_conflict, fixture_tear_down);
  g_test_add ("/ui/login", Fixture, NULL, fixture_set_up, test_login_dialog, fixture_tear_down);

  return g_test_run ();
}
