/* SPDX-License-Identifier: GPL-3.0-or-later */
/* crewdesk-server: runs in the foreground, logs one line per event. */
#include "config.h"

#include <glib-unix.h>
#include <glib/gi18n-lib.h>
#include <gio/gunixinputstream.h>
#include <locale.h>
#include <string.h>

#include "cd-enum-types.h"
#include "cd-enums.h"
#include "cd-server.h"

static void
replace_str (char       **target,
             const char  *value)
{
  g_free (*target);
  *target = g_strdup (value);
}

static gboolean
quit_cb (gpointer loop)
{
  g_main_loop_quit (loop);
  return G_SOURCE_REMOVE;
}

static gboolean
parse_listen (const char  *text,
              char       **address,
              guint16     *port,
              GError     **error)
{
  const char *colon = strrchr (text, ':');
  guint64 p = 0;

  if (colon == NULL || !g_ascii_string_to_unsigned (colon + 1, 10, 0, 65535, &p, NULL))
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "--listen takes ADDRESS:PORT, for example 127.0.0.1:8765 or [::1]:8765, not “%s”.", text);
      return FALSE;
    }

  if (text[0] == '[' && colon > text && colon[-1] == ']')
    *address = g_strndup (text + 1, colon - text - 2);
  else
    *address = g_strndup (text, colon - text);
  *port = p;
  return TRUE;
}

/* Bootstraps the first administrator, and lets an operator reset a
 * password, without a running server. */
static int
run_add_user (CdServer   *server,
              const char *username,
              const char *role_nick,
              const char *crew)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GInputStream) in = g_unix_input_stream_new (0, FALSE);
  g_autoptr(GDataInputStream) data = g_data_input_stream_new (in);
  g_autofree char *password = NULL;
  GEnumClass *roles = g_type_class_ref (CD_TYPE_ROLE);
  GEnumValue *role = role_nick ? g_enum_get_value_by_nick (roles, role_nick) : NULL;

  if (role == NULL)
    {
      g_printerr ("crewdesk-server: --add-user needs --role: dispatcher, supervisor, callback-agent, manager, admin or crew-device.\n");
      return 2;
    }
  if (role->value == CD_ROLE_CREW_DEVICE && (crew == NULL || !g_uuid_string_is_valid (crew)))
    {
      g_printerr ("crewdesk-server: a crew-device user needs --crew with the crew's id.\n");
      return 2;
    }

  password = g_data_input_stream_read_line_utf8 (data, NULL, NULL, &error);
  if (password == NULL || strlen (password) < 8)
    {
      g_printerr ("crewdesk-server: give a password of at least 8 characters on standard input.\n");
      return 2;
    }

  if (!cd_server_add_user (server, username, NULL, role->value, crew, password, &error))
    {
      g_printerr ("crewdesk-server: %s\n", error->message);
      return 1;
    }

  g_print ("User “%s” saved with the role %s.\n", username, role->value_nick);
  return 0;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(CdServer) server = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  g_autofree char *listen = NULL;
  g_autofree char *db = NULL;
  g_autofree char *config_file = NULL;
  g_autofree char *tls_cert = NULL;
  g_autofree char *tls_key = NULL;
  g_autofree char *policy = NULL;
  g_autofree char *port_file = NULL;
  g_autofree char *add_user = NULL;
  g_autofree char *role = NULL;
  g_autofree char *crew = NULL;
  gboolean demo = FALSE;
  CdServerConfig config;
  GOptionEntry entries[] = {
    { "listen", 'l', 0, G_OPTION_ARG_STRING, &listen, "Address and port to listen on (default 127.0.0.1:8765)", "ADDR:PORT" },
    { "db", 'd', 0, G_OPTION_ARG_FILENAME, &db, "SQLite database file (created if missing)", "FILE" },
    { "config", 'c', 0, G_OPTION_ARG_FILENAME, &config_file, "Key file with [server] and [login] settings", "FILE" },
    { "tls-cert", 0, 0, G_OPTION_ARG_FILENAME, &tls_cert, "PEM certificate: serve HTTPS", "FILE" },
    { "tls-key", 0, 0, G_OPTION_ARG_FILENAME, &tls_key, "PEM private key for --tls-cert", "FILE" },
    { "policy", 0, 0, G_OPTION_ARG_FILENAME, &policy, "Time-limit policy file (default: the installed sla-policy.json)", "FILE" },
    { "port-file", 0, 0, G_OPTION_ARG_FILENAME, &port_file, "Write the port listened on to FILE (with --listen ADDR:0)", "FILE" },
    { "add-user", 0, 0, G_OPTION_ARG_STRING, &add_user, "Create or update USER (password read from standard input), then exit", "USER" },
    { "role", 0, 0, G_OPTION_ARG_STRING, &role, "Role for --add-user: dispatcher, supervisor, callback-agent, manager, admin, crew-device", "ROLE" },
    { "crew", 0, 0, G_OPTION_ARG_STRING, &crew, "Crew id for a crew-device user", "UUID" },
    { "demo", 0, 0, G_OPTION_ARG_NONE, &demo, "Seed a fictional demo city with demo users (password “demo”)", NULL },
    { NULL }
  };

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  context = g_option_context_new ("- the Crewdesk central server");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("crewdesk-server: %s\n", error->message);
      return 2;
    }

  cd_server_config_init (&config);
  if (config_file && !cd_server_config_load (&config, config_file, &error))
    {
      g_printerr ("crewdesk-server: %s: %s\n", config_file, error->message);
      cd_server_config_clear (&config);
      return 2;
    }
  if (listen)
    {
      g_free (config.listen_address);
      config.listen_address = NULL;
      if (!parse_listen (listen, &config.listen_address, &config.port, &error))
        {
          g_printerr ("crewdesk-server: %s\n", error->message);
          cd_server_config_clear (&config);
          return 2;
        }
    }
  if (db)
    replace_str (&config.db_path, db);
  if (tls_cert)
    replace_str (&config.tls_cert_file, tls_cert);
  if (tls_key)
    replace_str (&config.tls_key_file, tls_key);
  if (policy)
    replace_str (&config.policy_file, policy);
  config.demo = demo;

  server = cd_server_new (&config, &error);
  cd_server_config_clear (&config);
  if (server == NULL)
    {
      g_printerr ("crewdesk-server: %s\n", error->message);
      return 1;
    }

  if (add_user)
    return run_add_user (server, add_user, role, crew);

  if (demo && !cd_server_seed_demo (server, &error))
    {
      g_printerr ("crewdesk-server: could not seed the demo city: %s\n", error->message);
      return 1;
    }

  if (!cd_server_start (server, &error))
    {
      g_printerr ("crewdesk-server: %s\n", error->message);
      return 1;
    }

  if (port_file)
    {
      g_autofree char *text = g_strdup_printf ("%u\n", cd_server_get_port (server));

      if (!g_file_set_contents (port_file, text, -1, &error))
        {
          g_printerr ("crewdesk-server: %s\n", error->message);
          return 1;
        }
    }

  loop = g_main_loop_new (NULL, FALSE);
  g_unix_signal_add (SIGINT, quit_cb, loop);
  g_unix_signal_add (SIGTERM, quit_cb, loop);
  g_main_loop_run (loop);

  cd_server_stop (server);
  return 0;
}
