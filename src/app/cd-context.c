/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "cd-context.h"
#include "cd-store.h"

struct _CdContext
{
  GObject          parent_instance;

  CdSyncEngine    *engine;
  CdSyncCache     *cache;
  CdSlaPolicySet  *policies;
  CdUser          *user;
  CdMatchParams    match_params;

  GListStore      *tickets;       /* CdTicket, open ones */
  GListStore      *crews;         /* CdCrew, by name */
  GHashTable      *ticket_by_id;  /* id → CdTicket (borrowed from the store) */
  GHashTable      *crew_by_id;    /* id → CdCrew (borrowed from the store) */
  GHashTable      *pending;       /* ids targeted by waiting mutations */

  GCancellable    *cancellable;
  guint            reload_serial; /* drops replies of superseded async reloads */
  gboolean         reload_running;
  gboolean         reload_again;
  guint            tick_source;
};

G_DEFINE_FINAL_TYPE (CdContext, cd_context, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_ENGINE,
  PROP_POLICIES,
  N_PROPS
};

enum {
  RELOADED,
  TICK,
  CREW_MOVED,
  ADD_TOAST,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void schedule_tick (CdContext *self);

/* Loading ------------------------------------------------------------------ */

typedef struct {
  GPtrArray  *tickets;
  GPtrArray  *crews;
  GHashTable *pending;
  CdUser     *user;
} Snapshot;

static void
snapshot_free (Snapshot *snap)
{
  g_clear_pointer (&snap->tickets, g_ptr_array_unref);
  g_clear_pointer (&snap->crews, g_ptr_array_unref);
  g_clear_pointer (&snap->pending, g_hash_table_unref);
  g_clear_object (&snap->user);
  g_free (snap);
}

/* Reads what the views show; safe in a worker thread (the cache locks). */
static Snapshot *
snapshot_load (CdSyncCache  *cache,
               GError      **error)
{
  Snapshot *snap = g_new0 (Snapshot, 1);

  snap->tickets = cd_sync_cache_list_open_tickets (cache, CD_STORE_ANY, NULL, NULL, error);
  if (snap->tickets == NULL)
    goto fail;
  snap->crews = cd_sync_cache_list_crews (cache, CD_STORE_ANY, error);
  if (snap->crews == NULL)
    goto fail;
  snap->pending = cd_sync_cache_dup_pending_targets (cache, error);
  if (snap->pending == NULL)
    goto fail;
  snap->user = cd_sync_cache_dup_user (cache);
  return snap;

fail:
  snapshot_free (snap);
  return NULL;
}

static int
compare_crews (gconstpointer a,
               gconstpointer b,
               gpointer      user_data)
{
  const CdCrew *ca = a;
  const CdCrew *cb = b;
  int cmp = g_utf8_collate (ca->name ? ca->name : "", cb->name ? cb->name : "");

  return cmp != 0 ? cmp : g_strcmp0 (cd_record_get_id ((CdRecord *) ca),
                                     cd_record_get_id ((CdRecord *) cb));
}

/* Brings @store and @index to @records, keeping the objects that exist:
 * changed ones are updated in place (notify), gone ones removed, new
 * ones added. Removals and additions are batched into few items-changed. */
static void
merge_records (GListStore *store,
               GHashTable *index,
               GPtrArray  *records,
               gboolean    sorted_by_name)
{
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GPtrArray) added = g_ptr_array_new ();
  guint n;

  for (guint i = 0; i < records->len; i++)
    {
      CdRecord *rec = g_ptr_array_index (records, i);
      const char *id = cd_record_get_id (rec);
      CdRecord *existing = g_hash_table_lookup (index, id);

      g_hash_table_add (seen, (gpointer) id);
      if (existing == NULL)
        g_ptr_array_add (added, rec);
      else if (!cd_record_equal (existing, rec))
        cd_record_update_from (existing, rec);
    }

  /* Removals, from the end, in runs. */
  n = g_list_model_get_n_items (G_LIST_MODEL (store));
  for (guint i = n; i > 0; )
    {
      guint end = i;

      while (i > 0)
        {
          g_autoptr(CdRecord) rec = g_list_model_get_item (G_LIST_MODEL (store), i - 1);

          if (g_hash_table_contains (seen, cd_record_get_id (rec)))
            break;
          g_hash_table_remove (index, cd_record_get_id (rec));
          i--;
        }
      if (i < end)
        g_list_store_splice (store, i, end - i, NULL, 0);
      else
        i--;
    }

  if (added->len == 0)
    return;

  for (guint i = 0; i < added->len; i++)
    g_hash_table_insert (index, (gpointer) cd_record_get_id (added->pdata[i]), added->pdata[i]);

  if (sorted_by_name)
    {
      for (guint i = 0; i < added->len; i++)
        g_list_store_insert_sorted (store, added->pdata[i], compare_crews, NULL);
    }
  else
    {
      g_list_store_splice (store, g_list_model_get_n_items (G_LIST_MODEL (store)), 0,
                           added->pdata, added->len);
    }
}

static void
apply_snapshot (CdContext *self,
                Snapshot  *snap)
{
  if (snap->user != NULL)
    g_set_object (&self->user, snap->user);
  g_clear_pointer (&self->pending, g_hash_table_unref);
  self->pending = g_hash_table_ref (snap->pending);
  /* Crews first: a ticket's view may look its crew up. */
  merge_records (self->crews, self->crew_by_id, snap->crews, TRUE);
  merge_records (self->tickets, self->ticket_by_id, snap->tickets, FALSE);
  g_signal_emit (self, signals[RELOADED], 0);
}

static void
reload_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  CdSyncCache *cache = task_data;
  GError *error = NULL;
  Snapshot *snap = snapshot_load (cache, &error);

  if (snap == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, snap, (GDestroyNotify) snapshot_free);
}

static void reload_async (CdContext *self);

static void
reload_done_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  CdContext *self = CD_CONTEXT (source);
  g_autoptr(GError) error = NULL;
  Snapshot *snap;

  snap = g_task_propagate_pointer (G_TASK (result), &error);
  if (snap == NULL && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  self->reload_running = FALSE;
  if (snap == NULL)
    g_warning ("Could not read the local cache: %s", error->message);
  else if (GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (result), "serial")) == self->reload_serial)
    apply_snapshot (self, snap);
  g_clear_pointer (&snap, snapshot_free);

  if (self->reload_again)
    {
      self->reload_again = FALSE;
      reload_async (self);
    }
}

/* Coalesces: at most one read runs, and one more is queued behind it. */
static void
reload_async (CdContext *self)
{
  g_autoptr(GTask) task = NULL;

  if (self->reload_running)
    {
      self->reload_again = TRUE;
      return;
    }

  self->reload_running = TRUE;
  task = g_task_new (self, self->cancellable, reload_done_cb, NULL);
  g_task_set_source_tag (task, reload_async);
  g_task_set_task_data (task, g_object_ref (self->cache), g_object_unref);
  g_object_set_data (G_OBJECT (task), "serial", GUINT_TO_POINTER (self->reload_serial));
  g_task_run_in_thread (task, reload_thread);
}

/* Signal handlers ------------------------------------------------------------ */

static void
engine_changed_cb (CdSyncEngine *engine,
                   CdContext    *self)
{
  reload_async (self);
}

static void
engine_crew_moved_cb (CdSyncEngine *engine,
                      const char   *crew_id,
                      double        lat,
                      double        lon,
                      double        heading,
                      double        speed_kmh,
                      gint64        at,
                      CdContext    *self)
{
  CdCrew *crew = g_hash_table_lookup (self->crew_by_id, crew_id);

  if (crew == NULL)
    return;

  g_object_freeze_notify (G_OBJECT (crew));
  g_object_set (crew,
                "position-lat", lat,
                "position-lon", lon,
                "position-heading", heading,
                "position-speed-kmh", speed_kmh,
                "position-at", at,
                NULL);
  g_object_thaw_notify (G_OBJECT (crew));
  g_signal_emit (self, signals[CREW_MOVED], 0, crew);
}

static gboolean
tick_cb (gpointer user_data)
{
  CdContext *self = user_data;

  self->tick_source = 0;
  g_signal_emit (self, signals[TICK], 0, cd_context_get_now (self));
  schedule_tick (self);
  return G_SOURCE_REMOVE;
}

/* On the next second of the wall clock. Computed afresh each time, so the
 * tick re-aligns by itself after a suspend or a clock change. */
static void
schedule_tick (CdContext *self)
{
  gint64 now_us = g_get_real_time ();
  guint delay_ms = (guint) (1000 - (now_us / 1000) % 1000);

  self->tick_source = g_timeout_add_full (G_PRIORITY_DEFAULT, MAX (delay_ms, 1), tick_cb, self, NULL);
}

/* The matcher's world over the model ------------------------------------- */

static gpointer
world_load (gpointer     world,
            GType        type,
            const char  *id,
            GError     **error)
{
  CdContext *self = world;
  gpointer found = NULL;

  if (type == CD_TYPE_TICKET)
    found = g_hash_table_lookup (self->ticket_by_id, id);
  else if (type == CD_TYPE_CREW)
    found = g_hash_table_lookup (self->crew_by_id, id);

  if (found != NULL)
    return g_object_ref (found);
  return cd_sync_cache_load (self->cache, type, id, error);
}

static GPtrArray *
world_list_crews (gpointer   world,
                  GError   **error)
{
  CdContext *self = world;
  GListModel *model = G_LIST_MODEL (self->crews);
  guint n = g_list_model_get_n_items (model);
  GPtrArray *crews = g_ptr_array_new_full (n, g_object_unref);

  for (guint i = 0; i < n; i++)
    g_ptr_array_add (crews, g_list_model_get_item (model, i));
  return crews;
}

static guint
world_crew_load (gpointer    world,
                 const char *crew_id)
{
  return cd_context_get_crew_load (world, crew_id);
}

static const CdMutationWorldVTable model_world = {
  world_load,
  world_list_crews,
  world_crew_load,
  NULL,
};

/* GObject ------------------------------------------------------------------ */

static void
cd_context_constructed (GObject *object)
{
  CdContext *self = CD_CONTEXT (object);
  g_autoptr(GError) error = NULL;

  G_OBJECT_CLASS (cd_context_parent_class)->constructed (object);

  g_assert (self->engine != NULL);
  self->cache = g_object_ref (cd_sync_engine_get_cache (self->engine));

  if (self->policies == NULL)
    {
      self->policies = cd_sla_policy_set_new_default (&error);
      if (self->policies == NULL)
        g_warning ("Could not load the time-limit policies: %s", error->message);
      g_clear_error (&error);
    }
  if (self->policies != NULL)
    cd_sync_cache_set_policies (self->cache, self->policies);

  self->user = cd_sync_cache_dup_user (self->cache);

  g_signal_connect_object (self->engine, "changed", G_CALLBACK (engine_changed_cb), self, 0);
  g_signal_connect_object (self->engine, "crew-moved", G_CALLBACK (engine_crew_moved_cb), self, 0);
  schedule_tick (self);
}

static void
cd_context_dispose (GObject *object)
{
  CdContext *self = CD_CONTEXT (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->tick_source, g_source_remove);
  /* The stores keep their items until finalize: emptying them here would
   * send items-changed to views that are being torn down themselves. */
  g_clear_object (&self->engine);
  g_clear_object (&self->cache);
  g_clear_object (&self->policies);
  g_clear_object (&self->user);

  G_OBJECT_CLASS (cd_context_parent_class)->dispose (object);
}

static void
cd_context_finalize (GObject *object)
{
  CdContext *self = CD_CONTEXT (object);

  g_clear_object (&self->tickets);
  g_clear_object (&self->crews);
  g_clear_pointer (&self->ticket_by_id, g_hash_table_unref);
  g_clear_pointer (&self->crew_by_id, g_hash_table_unref);
  g_clear_pointer (&self->pending, g_hash_table_unref);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (cd_context_parent_class)->finalize (object);
}

static void
cd_context_get_property (GObject    *object,
                         guint       prop_id,
                         GValue     *value,
                         GParamSpec *pspec)
{
  CdContext *self = CD_CONTEXT (object);

  switch (prop_id)
    {
    case PROP_ENGINE:
      g_value_set_object (value, self->engine);
      break;
    case PROP_POLICIES:
      g_value_set_object (value, self->policies);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cd_context_set_property (GObject      *object,
                         guint         prop_id,
                         const GValue *value,
                         GParamSpec   *pspec)
{
  CdContext *self = CD_CONTEXT (object);

  switch (prop_id)
    {
    case PROP_ENGINE:
      self->engine = g_value_dup_object (value);
      break;
    case PROP_POLICIES:
      self->policies = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cd_context_class_init (CdContextClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = cd_context_constructed;
  object_class->dispose = cd_context_dispose;
  object_class->finalize = cd_context_finalize;
  object_class->get_property = cd_context_get_property;
  object_class->set_property = cd_context_set_property;

  properties[PROP_ENGINE] =
    g_param_spec_object ("engine", NULL, NULL, CD_TYPE_SYNC_ENGINE,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_POLICIES] =
    g_param_spec_object ("policies", NULL, NULL, CD_TYPE_SLA_POLICY_SET,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[RELOADED] = g_signal_new ("reloaded", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                    0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[TICK] = g_signal_new ("tick", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_INT64);
  signals[CREW_MOVED] = g_signal_new ("crew-moved", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                      0, NULL, NULL, NULL, G_TYPE_NONE, 1, CD_TYPE_CREW);
  signals[ADD_TOAST] = g_signal_new ("add-toast", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                     0, NULL, NULL, NULL, G_TYPE_NONE, 1, ADW_TYPE_TOAST);
}

static void
cd_context_init (CdContext *self)
{
  self->tickets = g_list_store_new (CD_TYPE_TICKET);
  self->crews = g_list_store_new (CD_TYPE_CREW);
  self->ticket_by_id = g_hash_table_new (g_str_hash, g_str_equal);
  self->crew_by_id = g_hash_table_new (g_str_hash, g_str_equal);
  self->pending = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->cancellable = g_cancellable_new ();
  cd_match_params_init_default (&self->match_params);
}

/* Public API ------------------------------------------------------------------ */

CdContext *
cd_context_new (CdSyncEngine   *engine,
                CdSlaPolicySet *policies)
{
  g_return_val_if_fail (CD_IS_SYNC_ENGINE (engine), NULL);
  g_return_val_if_fail (policies == NULL || CD_IS_SLA_POLICY_SET (policies), NULL);

  return g_object_new (CD_TYPE_CONTEXT, "engine", engine, "policies", policies, NULL);
}

CdSyncEngine *
cd_context_get_engine (CdContext *self)
{
  g_return_val_if_fail (CD_IS_CONTEXT (self), NULL);
  return self->engine;
}

CdSyncCache *
cd_context_get_cache (CdContext *self)
{
  g_return_val_if_fail (CD_IS_CONTEXT (self), NULL);
  return self->cache;
}

CdSlaPolicySet *
cd_context_get_policies (CdContext *self)
{
  g_return_val_if_fail (CD_IS_CONTEXT (self), NULL);
  return self->policies;
}

CdUser *
cd_context_get_user (CdContext *self)
{
  g_return_val_if_fail (CD_IS_CONTEXT (self), NULL);
  return self->user;
}

GListModel *
cd_context_get_tickets (CdContext *self)
{
  g_return_val_if_fail (CD_IS_CONTEXT (self), NULL);
  return G_LIST_MODEL (self->tickets);
}

GListModel *
cd_context_get_crews (CdContext *self)
{
  g_return_val_if_fail (CD_IS_CONTEXT (self), NULL);
  return G_LIST_MODEL (self->crews);
}

CdTicket *
cd_context_lookup_ticket (CdContext  *self,
                          const char *id)
{
  g_return_val_if_fail (CD_IS_CONTEXT (self), NULL);
  return id != NULL ? g_hash_table_lookup (self->ticket_by_id, id) : NULL;
}

CdCrew *
cd_context_lookup_crew (CdContext  *self,
                        const char *id)
{
  g_return_val_if_fail (CD_IS_CONTEXT (self), NULL);
  return id != NULL ? g_hash_table_lookup (self->crew_by_id, id) : NULL;
}

guint
cd_context_get_crew_load (CdContext  *self,
                          const char *crew_id)
{
  GHashTableIter iter;
  gpointer value;
  guint load = 0;

  g_return_val_if_fail (CD_IS_CONTEXT (self), 0);

  if (crew_id == NULL)
    return 0;

  g_hash_table_iter_init (&iter, self->ticket_by_id);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      CdTicket *ticket = value;

      if (g_strcmp0 (ticket->crew_id, crew_id) == 0 && cd_ticket_is_open (ticket))
        load++;
    }
  return load;
}

void
cd_context_reload (CdContext *self)
{
  g_autoptr(GError) error = NULL;
  Snapshot *snap;

  g_return_if_fail (CD_IS_CONTEXT (self));

  /* Any async read still running started before this one. */
  self->reload_serial++;
  snap = snapshot_load (self->cache, &error);
  if (snap == NULL)
    {
      g_warning ("Could not read the local cache: %s", error->message);
      return;
    }
  apply_snapshot (self, snap);
  snapshot_free (snap);
}

void
cd_context_reload_async (CdContext *self)
{
  g_return_if_fail (CD_IS_CONTEXT (self));
  reload_async (self);
}

static void
list_all_thread (GTask        *task,
                 gpointer      source_object,
                 gpointer      task_data,
                 GCancellable *cancellable)
{
  CdContext *self = source_object;
  GType type = (GType) GPOINTER_TO_SIZE (task_data);
  GError *error = NULL;
  GPtrArray *records = NULL;

  /* The context may be disposed while the read waits for a thread. */
  if (self->cache == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CLOSED, "The session has ended.");
      return;
    }
  records = cd_sync_cache_list_all (self->cache, type, &error);

  if (records == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, records, (GDestroyNotify) g_ptr_array_unref);
}

void
cd_context_list_all_async (CdContext           *self,
                           GType                type,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (CD_IS_CONTEXT (self));
  g_return_if_fail (g_type_is_a (type, CD_TYPE_RECORD));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, cd_context_list_all_async);
  g_task_set_task_data (task, GSIZE_TO_POINTER ((gsize) type), NULL);
  g_task_run_in_thread (task, list_all_thread);
}

GPtrArray *
cd_context_list_all_finish (CdContext     *self,
                            GAsyncResult  *result,
                            GError       **error)
{
  g_return_val_if_fail (CD_IS_CONTEXT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

gboolean
cd_context_is_pending (CdContext  *self,
                       const char *record_id)
{
  g_return_val_if_fail (CD_IS_CONTEXT (self), FALSE);
  return record_id != NULL && g_hash_table_contains (self->pending, record_id);
}

gint64
cd_context_get_now (CdContext *self)
{
  g_return_val_if_fail (CD_IS_CONTEXT (self), 0);
  return cd_sync_cache_get_server_now_ms (self->cache) / 1000;
}

gboolean
cd_context_submit (CdContext     *self,
                   CdMutationOp   op,
                   const char    *target,
                   gint64         expected_version,
                   JsonObject    *args,
                   char         **warning,
                   GError       **error)
{
  g_autoptr(JsonObject) owned_args = args;
  g_autoptr(CdMutation) mutation = NULL;
  g_autoptr(GPtrArray) changed = NULL;
  g_autofree char *id = g_uuid_string_random ();

  g_return_val_if_fail (CD_IS_CONTEXT (self), FALSE);
  g_return_val_if_fail (target != NULL, FALSE);

  if (warning != NULL)
    *warning = NULL;

  mutation = cd_mutation_new (id, op, target, expected_version,
                              owned_args != NULL ? owned_args : NULL);
  changed = cd_sync_engine_submit (self->engine, mutation, error);
  if (changed == NULL)
    return FALSE;

  g_hash_table_add (self->pending, g_strdup (target));

  /* A read of the cache that started before this change would undo its
   * effect when it lands: drop it, and read again after it. */
  self->reload_serial++;
  if (self->reload_running)
    self->reload_again = TRUE;

  /* Show the effect now; the reload that follows the flush confirms it. */
  for (guint i = 0; i < changed->len; i++)
    {
      CdRecord *rec = g_ptr_array_index (changed, i);
      const char *rid = cd_record_get_id (rec);

      if (CD_IS_TICKET (rec))
        {
          CdTicket *existing = g_hash_table_lookup (self->ticket_by_id, rid);

          if (existing != NULL && cd_ticket_is_open ((CdTicket *) rec))
            cd_record_update_from ((CdRecord *) existing, rec);
          else if (existing != NULL)
            {
              guint pos;

              if (g_list_store_find (self->tickets, existing, &pos))
                {
                  g_hash_table_remove (self->ticket_by_id, rid);
                  g_list_store_remove (self->tickets, pos);
                }
            }
          else if (cd_ticket_is_open ((CdTicket *) rec))
            {
              g_hash_table_insert (self->ticket_by_id, (gpointer) rid, rec);
              g_list_store_append (self->tickets, rec);
            }
        }
      else if (CD_IS_CREW (rec))
        {
          CdCrew *existing = g_hash_table_lookup (self->crew_by_id, rid);

          if (existing != NULL)
            cd_record_update_from ((CdRecord *) existing, rec);
        }
    }

  /* The server accepts an assignment over capacity; say so. */
  if (warning != NULL && op == CD_MUTATION_OP_TICKET_ASSIGN)
    {
      CdTicket *ticket = g_hash_table_lookup (self->ticket_by_id, target);
      CdCrew *crew = ticket != NULL ? g_hash_table_lookup (self->crew_by_id, ticket->crew_id ? ticket->crew_id : "") : NULL;
      guint load = crew != NULL ? cd_context_get_crew_load (self, ticket->crew_id) : 0;

      if (crew != NULL && crew->capacity > 0 && load > (guint) crew->capacity)
        *warning = g_strdup_printf (_("%s now carries %u tickets, over its capacity of %u."),
                                    crew->name, load, (guint) crew->capacity);
    }

  g_signal_emit (self, signals[RELOADED], 0);
  return TRUE;
}

gboolean
cd_context_rank_crews (CdContext  *self,
                       CdTicket   *ticket,
                       GPtrArray **crews,
                       GArray    **ranking,
                       GError    **error)
{
  CdMutationContext ctx;

  g_return_val_if_fail (CD_IS_CONTEXT (self), FALSE);
  g_return_val_if_fail (CD_IS_TICKET (ticket), FALSE);

  if (self->user == NULL)
    {
      g_set_error_literal (error, CD_SYNC_ERROR, CD_SYNC_ERROR_NOT_SIGNED_IN,
                           _("Nobody is signed in on this computer yet. Sign in once while "
                             "the server can be reached."));
      return FALSE;
    }

  cd_mutation_context_init (&ctx, self->user, cd_context_get_now (self), self->policies);
  ctx.match_params = &self->match_params;
  return cd_mutation_rank_crews (&ctx, &model_world, self, ticket, crews, ranking, error);
}

const CdMatchParams *
cd_context_get_match_params (CdContext *self)
{
  g_return_val_if_fail (CD_IS_CONTEXT (self), NULL);
  return &self->match_params;
}

void
cd_context_add_toast (CdContext *self,
                      AdwToast  *toast)
{
  g_return_if_fail (CD_IS_CONTEXT (self));
  g_return_if_fail (ADW_IS_TOAST (toast));

  g_object_ref_sink (toast);
  g_signal_emit (self, signals[ADD_TOAST], 0, toast);
  g_object_unref (toast);
}
