/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-sync-cache.c: server rows, the outbox, and the model computed from both. */
#include "config.h"

#define G_LOG_DOMAIN "CrewdeskSync"

#include <glib/gi18n-lib.h>
#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>

#include "cd-model.h"
#include "cd-store-private.h"
#include "cd-sync-cache.h"
#include "cd-sync-private.h"

/* The cache connection's page cache (KiB); see cd_sync_cache_open(). */
#define CACHE_PAGE_CACHE_KIB 32768

/* client_meta keys */
#define KEY_USER       "user"
#define KEY_SERVER_URL "server_url"
#define KEY_USERNAME   "username"

struct _CdSyncCache
{
  GObject          parent_instance;

  GRecMutex        lock;
  CdStore         *store;
  char            *path;
  char            *server_url;
  char            *username;
  CdUser          *user;
  CdSlaPolicySet  *policies;
  gint64           clock_offset_ms;

  /* The model's changes over the server rows: "kind/id" -> CdRecord, the
   * result of applying every waiting mutation in order. Rebuilt lazily
   * when the rows or the outbox change. */
  GHashTable      *overlay;
  gboolean         overlay_valid;

  /* Crews' latest positions from the event stream, not yet written:
   * crew id -> Position. Hundreds a second with a big fleet, so they are
   * written in batches (_cd_sync_cache_write_positions()), not each in
   * its own transaction on the main thread; reads see them at once. */
  GHashTable      *positions;

  /* Re-reading the whole feed after a 410: rows the pass brings are
   * counted as seen (the store keeps the marks, so a pass cut short goes
   * on after a restart). */
  gboolean         resyncing;
};

typedef struct {
  double lat;
  double lon;
  double heading;
  double speed_kmh;
  gint64 at;
} Position;

G_DEFINE_FINAL_TYPE (CdSyncCache, cd_sync_cache, G_TYPE_OBJECT)

/* Helpers ----------------------------------------------------------------- */

static char *
overlay_key (const char *kind,
             const char *id)
{
  return g_strconcat (kind, "/", id, NULL);
}

/* A record type's kind name ("ticket"); static. */
static const char *
type_kind (GType type)
{
  CdRecordClass *klass = g_type_class_peek (type);

  /* Kept for the program's life, like every model class. */
  if (klass == NULL)
    klass = g_type_class_ref (type);

  return klass->kind;
}

static CdRecord *
overlay_lookup (CdSyncCache *self,
                GType        type,
                const char  *id)
{
  g_autofree char *key = overlay_key (type_kind (type), id);

  return g_hash_table_lookup (self->overlay, key);
}

static void
overlay_put (CdSyncCache *self,
             CdRecord    *record)
{
  g_hash_table_replace (self->overlay, overlay_key (cd_record_get_kind (record), record->id),
                        g_object_ref (record));
}

static void
invalidate (CdSyncCache *self)
{
  self->overlay_valid = FALSE;
  g_hash_table_remove_all (self->overlay);
}

/* The kind of record a mutation targets, from its op's prefix. */
static GType
target_type (CdMutation *m)
{
  const char *op = cd_mutation_op_to_string (m->op);

  if (g_str_has_prefix (op, "ticket."))
    return CD_TYPE_TICKET;
  if (g_str_has_prefix (op, "callback."))
    return CD_TYPE_CALLBACK;
  if (g_str_has_prefix (op, "sla_policy."))
    return CD_TYPE_SLA_POLICY;
  if (g_str_has_prefix (op, "user."))
    return CD_TYPE_USER;

  return G_TYPE_INVALID;
}

static CdMutation *
parse_mutation (const char  *text,
                GError     **error)
{
  g_autoptr(JsonNode) node = cd_json_parse (text, -1, CD_JSON_MAX_BYTES, CD_JSON_MAX_DEPTH, error);

  if (node == NULL)
    return NULL;

  return cd_mutation_new_from_json (node, error);
}

/* A crew as read from the store, with its newer unwritten position. */
static void
patch_position (CdSyncCache *self,
                gpointer     record)
{
  Position *pos;
  CdCrew *crew;

  if (record == NULL || !CD_IS_CREW (record) ||
      (pos = g_hash_table_lookup (self->positions, CD_RECORD (record)->id)) == NULL)
    return;

  crew = record;
  if (pos->at < crew->position_at)
    return;
  crew->lat = pos->lat;
  crew->lon = pos->lon;
  crew->heading = pos->heading;
  crew->speed_kmh = pos->speed_kmh;
  crew->position_at = pos->at;
}

static void
patch_positions (CdSyncCache *self,
                 GPtrArray   *records)
{
  for (guint i = 0; records != NULL && i < records->len; i++)
    patch_position (self, g_ptr_array_index (records, i));
}

static gpointer
store_load_quiet (CdSyncCache *self,
                  GType        type,
                  const char  *id,
                  GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  gpointer record = cd_store_load (self->store, type, id, &local_error);

  patch_position (self, record);

  if (record == NULL && !g_error_matches (local_error, CD_STORE_ERROR, CD_STORE_ERROR_NOT_FOUND))
    g_propagate_error (error, g_steal_pointer (&local_error));

  return record;
}

/* The world of cd_mutation_apply(): the overlay over the store. ----------- */

static gpointer
world_load (gpointer     world,
            GType        type,
            const char  *id,
            GError     **error)
{
  CdSyncCache *self = world;
  CdRecord *record = overlay_lookup (self, type, id);

  if (record != NULL)
    return g_object_ref (record);

  return store_load_quiet (self, type, id, error);
}

static GPtrArray *
world_list_crews (gpointer   world,
                  GError   **error)
{
  CdSyncCache *self = world;
  GPtrArray *crews = cd_store_list_crews (self->store, CD_STORE_ANY, error);

  patch_positions (self, crews);
  for (guint i = 0; crews != NULL && i < crews->len; i++)
    {
      CdRecord *crew = g_ptr_array_index (crews, i);
      CdRecord *over = overlay_lookup (self, CD_TYPE_CREW, crew->id);

      if (over != NULL)
        {
          g_object_unref (crew);
          g_ptr_array_index (crews, i) = g_object_ref (over);
        }
    }

  return crews;
}

static gboolean
ticket_counts_for_crew (CdTicket   *ticket,
                        const char *crew_id)
{
  return cd_ticket_is_open (ticket) && g_strcmp0 (ticket->crew_id, crew_id) == 0;
}

static guint
world_crew_load (gpointer    world,
                 const char *crew_id)
{
  CdSyncCache *self = world;
  g_autoptr(GPtrArray) tickets = cd_store_list_open_tickets (self->store, CD_STORE_ANY, NULL, crew_id, NULL);
  GHashTableIter iter;
  gpointer value;
  guint n = 0;

  for (guint i = 0; tickets != NULL && i < tickets->len; i++)
    if (overlay_lookup (self, CD_TYPE_TICKET, CD_RECORD (g_ptr_array_index (tickets, i))->id) == NULL)
      n++;

  g_hash_table_iter_init (&iter, self->overlay);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (CD_IS_TICKET (value) && ticket_counts_for_crew (value, crew_id))
      n++;

  return n;
}

static gpointer
world_find_user (gpointer     world,
                 const char  *username,
                 GError     **error)
{
  CdSyncCache *self = world;
  g_autoptr(GError) local_error = NULL;
  gpointer user = cd_store_find_user (self->store, username, &local_error);

  if (user == NULL && !g_error_matches (local_error, CD_STORE_ERROR, CD_STORE_ERROR_NOT_FOUND))
    g_propagate_error (error, g_steal_pointer (&local_error));

  return user;
}

static const CdMutationWorldVTable cache_world = {
  world_load,
  world_list_crews,
  world_crew_load,
  world_find_user,
};

/* The model --------------------------------------------------------------- */

static CdSlaPolicySet *
get_policies (CdSyncCache  *self,
              GError      **error)
{
  if (self->policies == NULL)
    self->policies = cd_sla_policy_set_new_default (error);

  return self->policies;
}

/* Applies @m on the current overlay as the cache's user at @now_ms. */
static gboolean
apply_on_overlay (CdSyncCache       *self,
                  CdMutation        *m,
                  gint64             now_ms,
                  CdMutationResult  *result,
                  GError           **error)
{
  CdSlaPolicySet *policies;
  CdMutationContext ctx;

  if (self->user == NULL)
    {
      g_set_error_literal (error, CD_SYNC_ERROR, CD_SYNC_ERROR_NOT_SIGNED_IN,
                           _("Nobody is signed in on this computer yet. Sign in once while "
                             "the server can be reached."));
      return FALSE;
    }

  policies = get_policies (self, error);
  if (policies == NULL)
    return FALSE;

  cd_mutation_context_init (&ctx, self->user, now_ms / 1000, policies);
  return cd_mutation_apply (m, &ctx, &cache_world, self, result, error);
}

/* Rebuilds the overlay from the waiting entries. An entry that no longer
 * applies (the server rows moved under it) shows nothing; the server has
 * the last word on it. */
static gboolean
ensure_overlay (CdSyncCache  *self,
                GError      **error)
{
  g_autoptr(GPtrArray) entries = NULL;

  if (self->overlay_valid)
    return TRUE;

  g_hash_table_remove_all (self->overlay);
  entries = cd_store_outbox_list_waiting (self->store, 0, 0, error);
  if (entries == NULL)
    return FALSE;

  for (guint i = 0; i < entries->len; i++)
    {
      CdOutboxEntry *entry = g_ptr_array_index (entries, i);
      g_autoptr(GError) local_error = NULL;
      g_autoptr(CdMutation) m = parse_mutation (entry->mutation, &local_error);
      g_auto(CdMutationResult) result;

      cd_mutation_result_init (&result);
      if (m == NULL || !apply_on_overlay (self, m, entry->created_at, &result, &local_error))
        {
          if (local_error != NULL && local_error->domain != CD_MUTATION_ERROR &&
              local_error->domain != CD_CODEC_ERROR && local_error->domain != CD_SYNC_ERROR)
            {
              /* The cache itself failed: the model would be wrong. */
              g_propagate_error (error, g_steal_pointer (&local_error));
              g_hash_table_remove_all (self->overlay);
              return FALSE;
            }
          g_debug ("Outbox entry %s shows no effect: %s", entry->id,
                   local_error ? local_error->message : "?");
          continue;
        }

      for (guint j = 0; j < result.records->len; j++)
        overlay_put (self, g_ptr_array_index (result.records, j));
    }

  self->overlay_valid = TRUE;
  return TRUE;
}

static gint
compare_tickets (gconstpointer a,
                 gconstpointer b)
{
  CdTicket *x = *(CdTicket **) a;
  CdTicket *y = *(CdTicket **) b;

  if (x->created_at != y->created_at)
    return x->created_at < y->created_at ? -1 : 1;

  return g_strcmp0 (CD_RECORD (x)->id, CD_RECORD (y)->id);
}

static gint
compare_crews (gconstpointer a,
               gconstpointer b)
{
  CdCrew *x = *(CdCrew **) a;
  CdCrew *y = *(CdCrew **) b;
  int c = g_strcmp0 (x->name, y->name);

  return c != 0 ? c : g_strcmp0 (CD_RECORD (x)->id, CD_RECORD (y)->id);
}

static gboolean
ticket_matches (CdTicket   *t,
                gint        status,
                const char *area,
                const char *crew_id)
{
  return cd_ticket_is_open (t) &&
         (status == CD_STORE_ANY || (gint) t->status == status) &&
         (area == NULL || g_strcmp0 (t->area, area) == 0) &&
         (crew_id == NULL || g_strcmp0 (t->crew_id, crew_id) == 0);
}

/* GObject ----------------------------------------------------------------- */

static void
cd_sync_cache_finalize (GObject *object)
{
  CdSyncCache *self = (CdSyncCache *) object;
  g_autoptr(GError) error = NULL;

  /* The latest positions outlive the process, as written ones do. */
  if (self->store != NULL && !_cd_sync_cache_write_positions (self, &error))
    g_debug ("Positions not written: %s", error->message);
  g_clear_pointer (&self->positions, g_hash_table_unref);
  g_clear_object (&self->store);
  g_clear_object (&self->user);
  g_clear_object (&self->policies);
  g_clear_pointer (&self->overlay, g_hash_table_unref);
  g_free (self->path);
  g_free (self->server_url);
  g_free (self->username);
  g_rec_mutex_clear (&self->lock);

  G_OBJECT_CLASS (cd_sync_cache_parent_class)->finalize (object);
}

static void
cd_sync_cache_class_init (CdSyncCacheClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = cd_sync_cache_finalize;
}

static void
cd_sync_cache_init (CdSyncCache *self)
{
  g_rec_mutex_init (&self->lock);
  self->overlay = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  self->positions = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
}

/* Public API -------------------------------------------------------------- */

/**
 * cd_sync_cache_default_path:
 *
 * Where the cache of @username on @server_url lives: one file per server
 * and user, named by a digest so neither leaks into a file name.
 */
char *
cd_sync_cache_default_path (const char *server_url,
                            const char *username)
{
  g_autofree char *key = NULL;
  g_autofree char *digest = NULL;
  g_autofree char *name = NULL;

  g_return_val_if_fail (server_url != NULL && username != NULL, NULL);

  key = g_strconcat (server_url, "\n", username, NULL);
  digest = g_compute_checksum_for_string (G_CHECKSUM_SHA256, key, -1);
  name = g_strconcat (digest, ".db", NULL);

  return g_build_filename (g_get_user_data_dir (), "crewdesk", "caches", name, NULL);
}

/**
 * cd_sync_cache_open:
 * @path: (nullable): the file, or %NULL for cd_sync_cache_default_path()
 *
 * Opens (or creates) the cache of @username on @server_url. A file that
 * belongs to another server or user is refused.
 */
CdSyncCache *
cd_sync_cache_open (const char  *server_url,
                    const char  *username,
                    const char  *path,
                    GError     **error)
{
  g_autoptr(CdSyncCache) self = NULL;
  g_autofree char *stored_url = NULL;
  g_autofree char *stored_user = NULL;
  g_autofree char *user_json = NULL;
  g_autofree char *dir = NULL;

  g_return_val_if_fail (server_url != NULL && username != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  cd_model_init ();

  self = g_object_new (CD_TYPE_SYNC_CACHE, NULL);
  self->server_url = g_strdup (server_url);
  self->username = g_strdup (username);
  self->path = path != NULL ? g_strdup (path) : cd_sync_cache_default_path (server_url, username);

  /* Private: the cache holds customers' names and phone numbers. */
  dir = g_path_get_dirname (self->path);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved = errno;
      g_autofree char *name = g_filename_display_name (dir);

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   _("Could not create the folder “%s” for the offline copy (%s). Check that "
                     "you may write to it."), name, g_strerror (saved));
      return NULL;
    }

  self->store = cd_store_open (self->path, error);
  if (self->store == NULL)
    return NULL;

  /* A first sync writes 100,000 tickets and the indexes over them: with
   * SQLite's default 2 MiB of page cache each page of rows evicts the
   * index pages the next one needs, which are then read back. */
  if (sqlite3_exec (_cd_store_get_db (self->store),
                    "PRAGMA cache_size = -" G_STRINGIFY (CACHE_PAGE_CACHE_KIB),
                    NULL, NULL, NULL) != SQLITE_OK)
    g_debug ("Could not tune the connection to %s", self->path);

  stored_url = cd_store_get_client_value (self->store, KEY_SERVER_URL, error);
  if (stored_url == NULL && error != NULL && *error != NULL)
    return NULL;
  stored_user = cd_store_get_client_value (self->store, KEY_USERNAME, NULL);

  if (stored_url == NULL)
    {
      if (!cd_store_begin (self->store, error))
        return NULL;
      if (!cd_store_set_client_value (self->store, KEY_SERVER_URL, server_url, error) ||
          !cd_store_set_client_value (self->store, KEY_USERNAME, username, error))
        {
          cd_store_rollback (self->store);
          return NULL;
        }
      if (!cd_store_commit (self->store, error))
        return NULL;
    }
  else if (g_strcmp0 (stored_url, server_url) != 0 || g_strcmp0 (stored_user, username) != 0)
    {
      g_autofree char *name = g_filename_display_name (self->path);

      g_set_error (error, CD_STORE_ERROR, CD_STORE_ERROR_FOREIGN,
                   _("“%s” is the offline copy of another server or user. Choose another file."),
                   name);
      return NULL;
    }

  if (!cd_store_resync_pending (self->store, &self->resyncing, error))
    return NULL;

  user_json = cd_store_get_client_value (self->store, KEY_USER, NULL);
  if (user_json != NULL)
    self->user = cd_record_new_from_data (CD_TYPE_USER, user_json, -1, CD_DECODE_DEFAULT, NULL);

  return g_steal_pointer (&self);
}

const char *
cd_sync_cache_get_path (CdSyncCache *self)
{
  g_return_val_if_fail (CD_IS_SYNC_CACHE (self), NULL);

  return self->path;
}

const char *
cd_sync_cache_get_server_url (CdSyncCache *self)
{
  g_return_val_if_fail (CD_IS_SYNC_CACHE (self), NULL);

  return self->server_url;
}

const char *
cd_sync_cache_get_username (CdSyncCache *self)
{
  g_return_val_if_fail (CD_IS_SYNC_CACHE (self), NULL);

  return self->username;
}

CdStore *
cd_sync_cache_get_store (CdSyncCache *self)
{
  g_return_val_if_fail (CD_IS_SYNC_CACHE (self), NULL);

  return self->store;
}

void
cd_sync_cache_lock (CdSyncCache *self)
{
  g_return_if_fail (CD_IS_SYNC_CACHE (self));

  g_rec_mutex_lock (&self->lock);
}

void
cd_sync_cache_unlock (CdSyncCache *self)
{
  g_return_if_fail (CD_IS_SYNC_CACHE (self));

  /* Whatever the caller did to the store, the model is recomputed. */
  invalidate (self);
  g_rec_mutex_unlock (&self->lock);
}

/* The policies optimistic ticket.create uses (default: the installed
 * sla-policy.json). */
void
cd_sync_cache_set_policies (CdSyncCache    *self,
                            CdSlaPolicySet *policies)
{
  g_return_if_fail (CD_IS_SYNC_CACHE (self));

  g_rec_mutex_lock (&self->lock);
  g_set_object (&self->policies, policies);
  invalidate (self);
  g_rec_mutex_unlock (&self->lock);
}

/* The server's clock minus ours: mutations are stamped with the server's
 * time as we know it. */
void
cd_sync_cache_set_clock_offset (CdSyncCache *self,
                                gint64       offset_ms)
{
  g_return_if_fail (CD_IS_SYNC_CACHE (self));

  g_rec_mutex_lock (&self->lock);
  self->clock_offset_ms = offset_ms;
  g_rec_mutex_unlock (&self->lock);
}

gint64
cd_sync_cache_get_server_now_ms (CdSyncCache *self)
{
  gint64 offset;

  g_return_val_if_fail (CD_IS_SYNC_CACHE (self), 0);

  g_rec_mutex_lock (&self->lock);
  offset = self->clock_offset_ms;
  g_rec_mutex_unlock (&self->lock);

  return g_get_real_time () / 1000 + offset;
}

/* $XDG_DATA_HOME/crewdesk/caches/last-users: server digest = user name. */
#define LAST_USERS_GROUP "last-users"

static char *
last_users_path (void)
{
  return g_build_filename (g_get_user_data_dir (), "crewdesk", "caches", "last-users", NULL);
}

static void
remember_last_user (const char *server_url,
                    const char *username)
{
  g_autoptr(GKeyFile) kf = g_key_file_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *path = last_users_path ();
  g_autofree char *key = g_compute_checksum_for_string (G_CHECKSUM_SHA256, server_url, -1);
  g_autofree char *data = NULL;
  gsize length = 0;

  /* A damaged file is only a convenience lost: start it again. */
  g_key_file_load_from_file (kf, path, G_KEY_FILE_NONE, NULL);
  g_key_file_set_string (kf, LAST_USERS_GROUP, key, username);
  data = g_key_file_to_data (kf, &length, NULL);
  if (!g_file_set_contents_full (path, data, (gssize) length, G_FILE_SET_CONTENTS_CONSISTENT, 0600, &error))
    g_debug ("Could not record the last user of %s: %s", server_url, error->message);
}

gboolean
cd_sync_cache_set_user (CdSyncCache  *self,
                        CdUser       *user,
                        GError      **error)
{
  g_autofree char *json = NULL;
  gboolean ok;

  g_return_val_if_fail (CD_IS_SYNC_CACHE (self), FALSE);
  g_return_val_if_fail (CD_IS_USER (user), FALSE);

  json = cd_record_to_json_string (CD_RECORD (user), NULL);
  g_rec_mutex_lock (&self->lock);
  ok = cd_store_set_client_value (self->store, KEY_USER, json, error);
  if (ok)
    {
      g_autofree char *default_path = cd_sync_cache_default_path (self->server_url, self->username);

      g_clear_object (&self->user);
      self->user = cd_record_copy (CD_RECORD (user));
      invalidate (self);
      if (g_strcmp0 (self->path, default_path) == 0)
        remember_last_user (self->server_url, self->username);
    }
  g_rec_mutex_unlock (&self->lock);

  return ok;
}

/* Returns: (transfer full) (nullable): a user name */
char *
cd_sync_cache_dup_last_username (const char *server_url)
{
  g_autoptr(GKeyFile) kf = g_key_file_new ();
  g_autofree char *path = last_users_path ();
  g_autofree char *key = NULL;
  g_autofree char *username = NULL;
  g_autofree char *cache_path = NULL;

  g_return_val_if_fail (server_url != NULL, NULL);

  if (!g_key_file_load_from_file (kf, path, G_KEY_FILE_NONE, NULL))
    return NULL;
  key = g_compute_checksum_for_string (G_CHECKSUM_SHA256, server_url, -1);
  username = g_key_file_get_string (kf, LAST_USERS_GROUP, key, NULL);
  if (username == NULL)
    return NULL;

  /* Only a user whose cache is still there. */
  cache_path = cd_sync_cache_default_path (server_url, username);
  if (!g_file_test (cache_path, G_FILE_TEST_IS_REGULAR))
    return NULL;

  return g_steal_pointer (&username);
}

/* Returns: (transfer full) (nullable): a copy of the cache's user */
CdUser *
cd_sync_cache_dup_user (CdSyncCache *self)
{
  CdUser *user;

  g_return_val_if_fail (CD_IS_SYNC_CACHE (self), NULL);

  g_rec_mutex_lock (&self->lock);
  user = self->user != NULL ? cd_record_copy (CD_RECORD (self->user)) : NULL;
  g_rec_mutex_unlock (&self->lock);

  return user;
}

gint64
cd_sync_cache_get_last_rev (CdSyncCache  *self,
                            GError      **error)
{
  gint64 rev;

  g_return_val_if_fail (CD_IS_SYNC_CACHE (self), -1);

  g_rec_mutex_lock (&self->lock);
  rev = cd_store_get_last_rev (self->store, error);
  g_rec_mutex_unlock (&self->lock);

  return rev;
}

/* Mutations not yet answered by the server; -1 with @error set. */
gint64
cd_sync_cache_count_pending (CdSyncCache  *self,
                             GError      **error)
{
  gint64 n;

  g_return_val_if_fail (CD_IS_SYNC_CACHE (self), -1);

  g_rec_mutex_lock (&self->lock);
  n = cd_store_outbox_count_waiting (self->store, error);
  g_rec_mutex_unlock (&self->lock);

  return n;
}

/**
 * cd_sync_cache_dup_pending_targets:
 *
 * Returns: (transfer full) (element-type utf8 utf8): a set of record ids,
 *   or %NULL with @error set
 */
GHashTable *
cd_sync_cache_dup_pending_targets (CdSyncCache  *self,
                                   GError      **error)
{
  g_autoptr(GHashTable) targets = NULL;
  g_autoptr(GPtrArray) entries = NULL;

  g_return_val_if_fail (CD_IS_SYNC_CACHE (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  g_rec_mutex_lock (&self->lock);
  entries = cd_store_outbox_list_waiting (self->store, 0, 0, error);
  g_rec_mutex_unlock (&self->lock);
  if (entries == NULL)
    return NULL;

  targets = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  for (guint i = 0; i < entries->len; i++)
    {
      CdOutboxEntry *entry = g_ptr_array_index (entries, i);
      g_autoptr(GError) local_error = NULL;
      g_autoptr(CdMutation) m = parse_mutation (entry->mutation, &local_error);

      /* The cache wrote the entry itself; one it cannot read targets
       * nothing the UI could mark. */
      if (m == NULL)
        {
          g_debug ("Outbox entry %s unreadable: %s", entry->id, local_error->message);
          continue;
        }
      g_hash_table_add (targets, g_strdup (m->target));
    }

  return g_steal_pointer (&targets);
}

/**
 * cd_sync_cache_load:
 *
 * The record as the user sees it: the server's row with the waiting
 * mutations on top, or one a waiting mutation creates.
 *
 * Returns: (transfer full): the record, or %NULL with
 *   CD_STORE_ERROR_NOT_FOUND or another error
 */
gpointer
cd_sync_cache_load (CdSyncCache  *self,
                    GType         type,
                    const char   *id,
                    GError      **error)
{
  gpointer record = NULL;

  g_return_val_if_fail (CD_IS_SYNC_CACHE (self), NULL);
  g_return_val_if_fail (id != NULL, NULL);

  g_rec_mutex_lock (&self->lock);
  if (ensure_overlay (self, error))
    {
      CdRecord *over = overlay_lookup (self, type, id);

      record = over != NULL ? cd_record_copy (over) : cd_store_load (self->store, type, id, error);
      patch_position (self, record);
    }
  g_rec_mutex_unlock (&self->lock);

  return record;
}

/* The server's row alone. */
gpointer
cd_sync_cache_load_server (CdSyncCache  *self,
                           GType         type,
                           const char   *id,
                           GError      **error)
{
  gpointer record;

  g_return_val_if_fail (CD_IS_SYNC_CACHE (self), NULL);
  g_return_val_if_fail (id != NULL, NULL);

  g_rec_mutex_lock (&self->lock);
  record = cd_store_load (self->store, type, id, error);
  patch_position (self, record);
  g_rec_mutex_unlock (&self->lock);

  return record;
}

/**
 * cd_sync_cache_list_open_tickets:
 *
 * As cd_store_list_open_tickets(), on the model: a ticket a waiting
 * mutation moved out of the filter is left out, one it moved in (or
 * created) is added.
 */
GPtrArray *
cd_sync_cache_list_open_tickets (CdSyncCache  *self,
                                 gint          status,
                                 const char   *area,
                                 const char   *crew_id,
                                 GError      **error)
{
  g_autoptr(GPtrArray) stored = NULL;
  g_autoptr(GPtrArray) list = NULL;
  g_autoptr(GHashTable) seen = NULL;
  GHashTableIter iter;
  gpointer value;

  g_return_val_if_fail (CD_IS_SYNC_CACHE (self), NULL);

  g_rec_mutex_lock (&self->lock);
  if (!ensure_overlay (self, error) ||
      (stored = cd_store_list_open_tickets (self->store, status, area, crew_id, error)) == NULL)
    {
      g_rec_mutex_unlock (&self->lock);
      return NULL;
    }

  list = g_ptr_array_new_full (stored->len, g_object_unref);
  seen = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; i < stored->len; i++)
    {
      CdRecord *t = g_ptr_array_index (stored, i);
      CdRecord *over = overlay_lookup (self, CD_TYPE_TICKET, t->id);

      if (over == NULL)
        g_ptr_array_add (list, g_object_ref (t));
      else if (ticket_matches (CD_TICKET (over), status, area, crew_id))
        g_ptr_array_add (list, cd_record_copy (over));
      if (over != NULL)
        g_hash_table_add (seen, over->id);
    }

  g_hash_table_iter_init (&iter, self->overlay);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (CD_IS_TICKET (value) && !g_hash_table_contains (seen, CD_RECORD (value)->id) &&
        ticket_matches (value, status, area, crew_id))
      g_ptr_array_add (list, cd_record_copy (value));
  g_rec_mutex_unlock (&self->lock);

  g_ptr_array_sort (list, compare_tickets);
  return g_steal_pointer (&list);
}

/* Every record of @type on the model: the stored ones with the overlay
 * on top, plus those only the overlay has (created offline). For the
 * views that need more than the open tickets: callbacks, assignment
 * events, closed tickets for reports. */
GPtrArray *
cd_sync_cache_list_all (CdSyncCache  *self,
                        GType         type,
                        GError      **error)
{
  g_autoptr(GPtrArray) stored = NULL;
  g_autoptr(GPtrArray) list = NULL;
  g_autoptr(GHashTable) seen = NULL;
  GHashTableIter iter;
  gpointer value;

  g_return_val_if_fail (CD_IS_SYNC_CACHE (self), NULL);
  g_return_val_if_fail (g_type_is_a (type, CD_TYPE_RECORD), NULL);

  g_rec_mutex_lock (&self->lock);
  if (!ensure_overlay (self, error) ||
      (stored = cd_store_list_all (self->store, type, error)) == NULL)
    {
      g_rec_mutex_unlock (&self->lock);
      return NULL;
    }

  list = g_ptr_array_new_full (stored->len, g_object_unref);
  seen = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; i < stored->len; i++)
    {
      CdRecord *r = g_ptr_array_index (stored, i);
      CdRecord *over = overlay_lookup (self, type, r->id);

      g_ptr_array_add (list, over != NULL ? cd_record_copy (over) : g_object_ref (r));
      if (over != NULL)
        g_hash_table_add (seen, over->id);
    }

  g_hash_table_iter_init (&iter, self->overlay);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (G_TYPE_CHECK_INSTANCE_TYPE (value, type) && !g_hash_table_contains (seen, CD_RECORD (value)->id))
      g_ptr_array_add (list, cd_record_copy (value));
  g_rec_mutex_unlock (&self->lock);

  return g_steal_pointer (&list);
}

/* Crews by name on the model, with their latest positions. */
GPtrArray *
cd_sync_cache_list_crews (CdSyncCache  *self,
                          gint          utility,
                          GError      **error)
{
  g_autoptr(GPtrArray) list = NULL;
  g_autoptr(GHashTable) seen = NULL;
  GHashTableIter iter;
  gpointer value;

  g_return_val_if_fail (CD_IS_SYNC_CACHE (self), NULL);

  g_rec_mutex_lock (&self->lock);
  if (!ensure_overlay (self, error) ||
      (list = cd_store_list_crews (self->store, utility, error)) == NULL)
    {
      g_rec_mutex_unlock (&self->lock);
      return NULL;
    }
  patch_positions (self, list);

  seen = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; i < list->len; i++)
    {
      CdCrew *crew = g_ptr_array_index (list, i);
      CdRecord *over = overlay_lookup (self, CD_TYPE_CREW, CD_RECORD (crew)->id);

      if (over != NULL)
        {
          CdCrew *copy = cd_record_copy (over);

          /* Positions stream past the model: keep the newest. */
          if (crew->position_at > copy->position_at)
            {
              copy->lat = crew->lat;
              copy->lon = crew->lon;
              copy->heading = crew->heading;
              copy->speed_kmh = crew->speed_kmh;
              copy->position_at = crew->position_at;
            }
          g_hash_table_add (seen, over->id);
          g_object_unref (crew);
          g_ptr_array_index (list, i) = copy;
        }
    }

  g_hash_table_iter_init (&iter, self->overlay);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    if (CD_IS_CREW (value) && !g_hash_table_contains (seen, CD_RECORD (value)->id) &&
        (utility == CD_STORE_ANY || (gint) CD_CREW (value)->utility == utility))
      g_ptr_array_add (list, cd_record_copy (value));
  g_rec_mutex_unlock (&self->lock);

  g_ptr_array_sort (list, compare_crews);
  return g_steal_pointer (&list);
}

static GPtrArray *
submit_locked (CdSyncCache      *self,
               CdMutation       *mutation,
               gint64            remove_conflict,
               GError          **error)
{
  g_auto(CdMutationResult) result;
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *text = NULL;
  GPtrArray *records;
  gint64 now_ms = g_get_real_time () / 1000 + self->clock_offset_ms;

  cd_mutation_result_init (&result);
  if (!ensure_overlay (self, error) ||
      !apply_on_overlay (self, mutation, now_ms, &result, error))
    return NULL;

  node = cd_mutation_to_json (mutation);
  text = cd_json_to_string (node, NULL);

  /* The outbox entry alone is the change: its effect is computed. */
  if (!cd_store_begin (self->store, error))
    return NULL;
  if (!cd_store_outbox_add (self->store, mutation->id, text, now_ms, NULL, error) ||
      (remove_conflict > 0 && !cd_store_remove_conflict (self->store, remove_conflict, error)))
    {
      cd_store_rollback (self->store);
      return NULL;
    }
  if (!cd_store_commit (self->store, error))
    return NULL;

  records = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < result.records->len; i++)
    {
      CdRecord *r = g_ptr_array_index (result.records, i);

      overlay_put (self, r);
      g_ptr_array_add (records, cd_record_copy (r));
    }

  return records;
}

/**
 * cd_sync_cache_submit:
 *
 * Returns: (transfer full) (element-type CdRecord): the records the
 *   mutation changes, as the model now shows them
 */
GPtrArray *
cd_sync_cache_submit (CdSyncCache  *self,
                      CdMutation   *mutation,
                      GError      **error)
{
  GPtrArray *records;

  g_return_val_if_fail (CD_IS_SYNC_CACHE (self), NULL);
  g_return_val_if_fail (mutation != NULL, NULL);

  g_rec_mutex_lock (&self->lock);
  records = submit_locked (self, mutation, 0, error);
  g_rec_mutex_unlock (&self->lock);

  return records;
}

/* Who last changed a ticket: the actor of its newest assignment event. */
static char *
last_changed_by (CdSyncCache *self,
                 const char  *ticket_id)
{
  g_autoptr(GPtrArray) events = cd_store_list_for_ticket (self->store, CD_TYPE_ASSIGNMENT_EVENT,
                                                          ticket_id, NULL);

  if (events == NULL || events->len == 0)
    return NULL;

  return g_strdup (CD_ASSIGNMENT_EVENT (g_ptr_array_index (events, events->len - 1))->actor);
}

GPtrArray *
cd_sync_cache_list_conflicts (CdSyncCache  *self,
                              GError      **error)
{
  GPtrArray *list;

  g_return_val_if_fail (CD_IS_SYNC_CACHE (self), NULL);

  g_rec_mutex_lock (&self->lock);
  list = cd_store_list_conflicts (self->store, error);
  for (guint i = 0; list != NULL && i < list->len; i++)
    {
      CdStoreConflict *c = g_ptr_array_index (list, i);

      /* The change that beat this one usually arrives with the pull after
       * the push that was refused: the newest event names its actor. */
      if (g_strcmp0 (c->kind, "ticket") == 0 && c->target != NULL)
        {
          char *newest = last_changed_by (self, c->target);

          if (newest != NULL)
            {
              g_free (c->changed_by);
              c->changed_by = newest;
            }
        }
    }
  g_rec_mutex_unlock (&self->lock);

  return list;
}

gboolean
cd_sync_cache_discard_conflict (CdSyncCache  *self,
                                gint64        conflict_id,
                                GError      **error)
{
  gboolean ok;

  g_return_val_if_fail (CD_IS_SYNC_CACHE (self), FALSE);

  g_rec_mutex_lock (&self->lock);
  ok = cd_store_remove_conflict (self->store, conflict_id, error);
  g_rec_mutex_unlock (&self->lock);

  return ok;
}

/* The mutation of a conflict made again against the server's row now. */
static CdMutation *
rebase_mutation (CdSyncCache  *self,
                 CdStoreConflict *c,
                 GError      **error)
{
  g_autoptr(CdMutation) old = parse_mutation (c->mutation, error);
  g_autoptr(JsonObject) args = NULL;
  g_autoptr(CdRecord) current = NULL;
  g_autofree char *id = g_uuid_string_random ();
  GType type;
  gint64 expected;

  if (old == NULL)
    return NULL;

  type = target_type (old);
  if (type != G_TYPE_INVALID)
    current = store_load_quiet (self, type, old->target, error);
  if (error != NULL && *error != NULL)
    return NULL;

  args = json_object_new ();
  {
    GList *members = json_object_get_members (old->args);

    for (GList *l = members; l != NULL; l = l->next)
      json_object_set_member (args, l->data, json_node_copy (json_object_get_member (old->args, l->data)));
    g_list_free (members);
  }

  /* The preconditions the user's change was made under are restated for
   * the state the user has now seen. */
  if (current != NULL && CD_IS_TICKET (current) && json_object_has_member (args, "expect_crew"))
    {
      if (CD_TICKET (current)->crew_id != NULL)
        json_object_set_string_member (args, "expect_crew", CD_TICKET (current)->crew_id);
      else
        json_object_set_null_member (args, "expect_crew");
    }
  expected = old->expected_version >= 0 && current != NULL ? current->version : old->expected_version;

  return cd_mutation_new (id, old->op, old->target, expected, args);
}

GPtrArray *
cd_sync_cache_retry_conflict (CdSyncCache  *self,
                              gint64        conflict_id,
                              GError      **error)
{
  g_autoptr(GPtrArray) conflicts = NULL;
  g_autoptr(CdMutation) m = NULL;
  GPtrArray *records = NULL;

  g_return_val_if_fail (CD_IS_SYNC_CACHE (self), NULL);

  g_rec_mutex_lock (&self->lock);
  conflicts = cd_store_list_conflicts (self->store, error);
  for (guint i = 0; conflicts != NULL && i < conflicts->len; i++)
    {
      CdStoreConflict *c = g_ptr_array_index (conflicts, i);

      if (c->id == conflict_id)
        {
          m = rebase_mutation (self, c, error);
          if (m != NULL)
            records = submit_locked (self, m, conflict_id, error);
          break;
        }
    }
  if (conflicts != NULL && m == NULL && (error == NULL || *error == NULL))
    g_set_error_literal (error, CD_STORE_ERROR, CD_STORE_ERROR_NOT_FOUND,
                         _("This conflict was already dealt with. Refresh the list."));
  g_rec_mutex_unlock (&self->lock);

  return records;
}

gboolean
cd_sync_cache_set_crew_position (CdSyncCache  *self,
                                 const char   *crew_id,
                                 double        lat,
                                 double        lon,
                                 double        heading,
                                 double        speed_kmh,
                                 gint64        at,
                                 GError      **error)
{
  Position *pos;

  g_return_val_if_fail (CD_IS_SYNC_CACHE (self), FALSE);
  g_return_val_if_fail (crew_id != NULL, FALSE);
  g_return_val_if_fail (lat >= -90 && lat <= 90 && lon >= -180 && lon <= 180, FALSE);

  g_rec_mutex_lock (&self->lock);
  pos = g_hash_table_lookup (self->positions, crew_id);
  if (pos == NULL)
    {
      pos = g_new0 (Position, 1);
      g_hash_table_insert (self->positions, g_strdup (crew_id), pos);
    }
  /* Reports may cross on the way: the newest stays. */
  if (at >= pos->at)
    {
      pos->lat = lat;
      pos->lon = lon;
      pos->heading = heading;
      pos->speed_kmh = speed_kmh;
      pos->at = at;
    }
  g_rec_mutex_unlock (&self->lock);

  return TRUE;
}

gboolean
_cd_sync_cache_has_unwritten_positions (CdSyncCache *self)
{
  gboolean any;

  g_rec_mutex_lock (&self->lock);
  any = g_hash_table_size (self->positions) > 0;
  g_rec_mutex_unlock (&self->lock);

  return any;
}

/* One transaction for every position received since the last call.
 * Unknown crews are skipped. Blocking: call it from a worker thread. */
gboolean
_cd_sync_cache_write_positions (CdSyncCache  *self,
                                GError      **error)
{
  g_autoptr(GHashTable) batch = NULL;
  GHashTableIter iter;
  gpointer key, value;

  g_return_val_if_fail (CD_IS_SYNC_CACHE (self), FALSE);

  g_rec_mutex_lock (&self->lock);
  if (g_hash_table_size (self->positions) == 0)
    {
      g_rec_mutex_unlock (&self->lock);
      return TRUE;
    }

  batch = g_steal_pointer (&self->positions);
  self->positions = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  if (!cd_store_begin (self->store, error))
    goto fail;

  g_hash_table_iter_init (&iter, batch);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      Position *pos = value;
      g_autoptr(GError) local_error = NULL;

      if (!cd_store_set_crew_position (self->store, key, pos->lat, pos->lon, pos->heading, pos->speed_kmh,
                                       pos->at, &local_error) &&
          !g_error_matches (local_error, CD_STORE_ERROR, CD_STORE_ERROR_NOT_FOUND))
        {
          cd_store_rollback (self->store);
          g_propagate_error (error, g_steal_pointer (&local_error));
          goto fail;
        }
    }

  if (!cd_store_commit (self->store, error))
    goto fail;
  g_rec_mutex_unlock (&self->lock);
  return TRUE;

fail:
  /* Kept for the next try, unless newer ones came meanwhile. */
  g_hash_table_iter_init (&iter, batch);
  while (g_hash_table_iter_next (&iter, &key, &value))
    if (!g_hash_table_contains (self->positions, key))
      {
        g_hash_table_iter_steal (&iter);
        g_hash_table_insert (self->positions, key, value);
      }
  g_rec_mutex_unlock (&self->lock);
  return FALSE;
}

/* For the sync client --------------------------------------------------- */

void
cd_sync_row_free (CdSyncRow *row)
{
  if (row == NULL)
    return;

  g_free (row->id);
  g_clear_object (&row->record);
  g_free (row);
}

void
cd_sync_result_free (CdSyncResult *result)
{
  if (result == NULL)
    return;

  g_free (result->id);
  g_clear_pointer (&result->records, g_ptr_array_unref);
  g_clear_pointer (&result->current_node, json_node_unref);
  g_free (result->code);
  g_free (result->message);
  g_free (result);
}

gboolean
_cd_sync_cache_apply_rows (CdSyncCache  *self,
                           GPtrArray    *rows,
                           gint64        next_since,
                           gboolean      begin_resync,
                           gboolean      end_of_feed,
                           GError      **error)
{
  gboolean resyncing;
  guint removed = 0;

  g_return_val_if_fail (CD_IS_SYNC_CACHE (self), FALSE);

  g_rec_mutex_lock (&self->lock);
  invalidate (self);
  if (!cd_store_begin (self->store, error))
    goto fail_unlocked;

  resyncing = self->resyncing || begin_resync;
  if (begin_resync && !cd_store_resync_begin (self->store, error))
    goto fail;

  for (guint i = 0; i < rows->len; i++)
    {
      CdSyncRow *row = g_ptr_array_index (rows, i);

      if (row->record != NULL)
        {
          if (!cd_store_save_with_json (self->store, row->record, row->json, row->json_len, error))
            goto fail;
        }
      else
        {
          g_autoptr(GError) local_error = NULL;

          /* A tombstone of a row this cache never had: nothing to do. */
          if (!cd_store_delete (self->store, row->type, row->id, row->rev, &local_error) &&
              !g_error_matches (local_error, CD_STORE_ERROR, CD_STORE_ERROR_NOT_FOUND))
            {
              g_propagate_error (error, g_steal_pointer (&local_error));
              goto fail;
            }
        }
      if (resyncing && !cd_store_resync_seen (self->store, row->type, row->id, error))
        goto fail;
    }

  if (resyncing && end_of_feed && !cd_store_resync_finish (self->store, &removed, error))
    goto fail;
  if (!cd_store_set_last_rev (self->store, next_since, error))
    goto fail;
  if (!cd_store_commit (self->store, error))
    goto fail_unlocked;

  self->resyncing = resyncing && !end_of_feed;
  if (resyncing && end_of_feed)
    g_debug ("Resync done: %u rows were gone from the server", removed);
  g_rec_mutex_unlock (&self->lock);
  return TRUE;

fail:
  cd_store_rollback (self->store);
fail_unlocked:
  g_rec_mutex_unlock (&self->lock);
  return FALSE;
}

gboolean
_cd_sync_cache_is_resyncing (CdSyncCache *self)
{
  gboolean resyncing;

  g_return_val_if_fail (CD_IS_SYNC_CACHE (self), FALSE);

  g_rec_mutex_lock (&self->lock);
  resyncing = self->resyncing;
  g_rec_mutex_unlock (&self->lock);

  return resyncing;
}

gboolean
_cd_sync_cache_apply_positions (CdSyncCache  *self,
                                GPtrArray    *positions,
                                GError      **error)
{
  g_return_val_if_fail (CD_IS_SYNC_CACHE (self), FALSE);

  g_rec_mutex_lock (&self->lock);
  if (!cd_store_begin (self->store, error))
    goto fail_unlocked;

  for (guint i = 0; i < positions->len; i++)
    {
      const CdTrailPoint *p = g_ptr_array_index (positions, i);
      g_autoptr(GError) local_error = NULL;

      /* The store keeps the newer of two positions. */
      if (!cd_store_set_crew_position (self->store, p->crew_id, p->lat, p->lon, p->heading, p->speed_kmh,
                                       p->at, &local_error) &&
          !g_error_matches (local_error, CD_STORE_ERROR, CD_STORE_ERROR_NOT_FOUND))
        {
          cd_store_rollback (self->store);
          g_propagate_error (error, g_steal_pointer (&local_error));
          goto fail_unlocked;
        }
    }

  if (!cd_store_commit (self->store, error))
    goto fail_unlocked;
  g_rec_mutex_unlock (&self->lock);
  return TRUE;

fail_unlocked:
  g_rec_mutex_unlock (&self->lock);
  return FALSE;
}

GPtrArray *
_cd_sync_cache_begin_push (CdSyncCache  *self,
                           gint64        after_seq,
                           guint         max_count,
                           gsize         max_bytes,
                           GError      **error)
{
  g_autoptr(GPtrArray) entries = NULL;
  gsize bytes = 0;
  guint n = 0;

  g_return_val_if_fail (CD_IS_SYNC_CACHE (self), NULL);

  g_rec_mutex_lock (&self->lock);
  entries = cd_store_outbox_list_waiting (self->store, after_seq, max_count, error);
  if (entries == NULL)
    goto out;

  /* Always at least one, whatever its size. */
  while (n < entries->len)
    {
      CdOutboxEntry *e = g_ptr_array_index (entries, n);

      bytes += strlen (e->mutation) + 1;
      if (n > 0 && bytes > max_bytes)
        break;
      n++;
    }
  g_ptr_array_set_size (entries, n);

  if (n > 0)
    {
      if (!cd_store_begin (self->store, error))
        {
          g_clear_pointer (&entries, g_ptr_array_unref);
          goto out;
        }
      for (guint i = 0; i < n; i++)
        if (!cd_store_outbox_mark_sent (self->store, ((CdOutboxEntry *) g_ptr_array_index (entries, i))->id,
                                         error))
          {
            cd_store_rollback (self->store);
            g_clear_pointer (&entries, g_ptr_array_unref);
            goto out;
          }
      if (!cd_store_commit (self->store, error))
        g_clear_pointer (&entries, g_ptr_array_unref);
    }

out:
  g_rec_mutex_unlock (&self->lock);
  return g_steal_pointer (&entries);
}

static gboolean
record_refusal (CdSyncCache   *self,
                CdOutboxEntry *entry,
                CdSyncResult  *result,
                GError       **error)
{
  g_autoptr(CdMutation) m = parse_mutation (entry->mutation, NULL);
  g_autofree char *mine = NULL;
  g_autofree char *current = NULL;
  g_autofree char *changed_by = NULL;
  CdStoreConflict conflict = { 0 };
  GType type = m != NULL ? target_type (m) : G_TYPE_INVALID;

  /* What the user's change showed: the model before it is dropped. */
  if (m != NULL && type != G_TYPE_INVALID)
    {
      CdRecord *over = overlay_lookup (self, type, m->target);

      if (over != NULL)
        mine = cd_record_to_json_string (over, NULL);
    }

  if (result->current_node != NULL && type != G_TYPE_INVALID)
    {
      g_autoptr(GError) local_error = NULL;
      g_autoptr(CdRecord) row = cd_record_new_from_json (type, result->current_node,
                                                         CD_DECODE_DEFAULT, &local_error);

      if (row == NULL || row->id == NULL)
        {
          g_set_error (error, CD_SYNC_ERROR, CD_SYNC_ERROR_MALFORMED,
                       _("The server sent a reply Crewdesk cannot use (%s: %s). Nothing was changed "
                         "on this computer. Tell your administrator; Crewdesk will try again."),
                       "current", local_error != NULL ? local_error->message : "id");
          return FALSE;
        }
      current = cd_record_to_json_string (row, NULL);
      /* The server's row as it is now: the cache keeps it. */
      if (!cd_store_save (self->store, row, error))
        return FALSE;
      if (CD_IS_TICKET (row))
        changed_by = last_changed_by (self, row->id);
    }

  conflict.mutation_id = entry->id;
  conflict.mutation = entry->mutation;
  conflict.kind = type != G_TYPE_INVALID ? (char *) type_kind (type) : NULL;
  conflict.target = m != NULL ? m->target : NULL;
  conflict.mine = mine;
  conflict.current = current;
  conflict.changed_by = changed_by;
  conflict.code = result->code != NULL ? result->code : (char *) "rejected";
  conflict.message = result->message != NULL ? result->message : (char *) "";
  conflict.at = cd_sync_cache_get_server_now_ms (self) / 1000;

  return cd_store_add_conflict (self->store, &conflict, error);
}

gboolean
_cd_sync_cache_apply_results (CdSyncCache      *self,
                              GPtrArray        *results,
                              CdSyncPushStats  *stats,
                              GError          **error)
{

  gboolean refusals = FALSE;

  g_return_val_if_fail (CD_IS_SYNC_CACHE (self), FALSE);

  g_rec_mutex_lock (&self->lock);

  /* The model as the user saw it, for the conflicts' "mine"; rebuilding
   * it costs one apply per waiting entry, so only when it is needed. */
  for (guint i = 0; i < results->len; i++)
    if (((CdSyncResult *) g_ptr_array_index (results, i))->status != CD_SYNC_RESULT_APPLIED)
      refusals = TRUE;

  if ((refusals && !ensure_overlay (self, error)) || !cd_store_begin (self->store, error))
    {
      g_rec_mutex_unlock (&self->lock);
      return FALSE;
    }

  for (guint i = 0; i < results->len; i++)
    {
      CdSyncResult *result = g_ptr_array_index (results, i);
      g_autoptr(CdOutboxEntry) entry = NULL;
      g_autoptr(GError) local_error = NULL;
      CdOutboxState state = CD_OUTBOX_DONE;
      gboolean changed = FALSE;

      entry = cd_store_outbox_get (self->store, result->id, &local_error);
      if (local_error != NULL)
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          goto fail;
        }
      /* Not ours, or already answered (a replay): nothing to record. */
      if (entry == NULL || (entry->state != CD_OUTBOX_PENDING && entry->state != CD_OUTBOX_SENT))
        continue;

      switch (result->status)
        {
        case CD_SYNC_RESULT_APPLIED:
          state = CD_OUTBOX_DONE;
          for (guint j = 0; result->records != NULL && j < result->records->len; j++)
            if (!cd_store_save (self->store, g_ptr_array_index (result->records, j), error))
              goto fail;
          break;
        case CD_SYNC_RESULT_CONFLICT:
        case CD_SYNC_RESULT_REJECTED:
          state = result->status == CD_SYNC_RESULT_CONFLICT ? CD_OUTBOX_CONFLICT : CD_OUTBOX_REJECTED;
          if (!record_refusal (self, entry, result, error))
            goto fail;
          break;
        default:
          g_assert_not_reached ();
        }

      if (!cd_store_outbox_finish (self->store, result->id, state, result->message, &changed, error))
        goto fail;
      if (changed && stats != NULL)
        {
          if (state == CD_OUTBOX_DONE)
            stats->applied++;
          else if (state == CD_OUTBOX_CONFLICT)
            stats->conflicts++;
          else
            stats->rejected++;
        }
    }

  if (!cd_store_commit (self->store, error))
    {
      invalidate (self);
      g_rec_mutex_unlock (&self->lock);
      return FALSE;
    }

  invalidate (self);
  g_rec_mutex_unlock (&self->lock);
  return TRUE;

fail:
  cd_store_rollback (self->store);
  invalidate (self);
  g_rec_mutex_unlock (&self->lock);
  return FALSE;
}
