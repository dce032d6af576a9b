/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-map-layer.c: every ticket and crew, drawn by one ShumateLayer.
 *
 * The layer keeps one entry per model item (its projected position, its
 * SLA colour and when that colour can next change, a crew's motion and
 * trail), mirrors the models' items-changed, and follows each item's
 * notify. A frame projects the entries with the viewport, culls and
 * clusters them (cd-map-index.c) into a layout that is kept until the
 * viewport, the data or the animation time changes; hit-testing and
 * keyboard navigation read the same layout, so a click hits exactly what
 * was drawn. Symbols are drawn once per style and scale into images.
 */
#include "config.h"

#include <adwaita.h>
#include <math.h>
#include <string.h>

#include "cd-map-index.h"
#include "cd-map-layer.h"
#include "cd-map-symbols.h"

/* Below this zoom, points of one cell merge into a cluster. */
#define CLUSTER_MAX_ZOOM 15.0
#define CLUSTER_CELL     72.0
#define CLUSTER_MIN      3
/* Cluster badges closer than this merge (two badges' width). */
#define CLUSTER_MERGE    44.0
/* Crews with names from this zoom, while there are not too many. */
#define LABEL_MIN_ZOOM   14.0
#define LABEL_MAX_CREWS  150
/* How far beyond the edge a symbol can still show a part of itself. */
#define CULL_MARGIN      30.0
/* A click this far outside a symbol still hits it. */
#define HIT_SLOP         6.0
/* A crew glides over the interval between its reports, within these. */
#define GLIDE_MIN_US     (G_USEC_PER_SEC / 2)
#define GLIDE_MAX_US     (30 * G_USEC_PER_SEC)

enum {
  LAYER_TICKET_CLUSTER,
  LAYER_TICKET,
  LAYER_CREW_CLUSTER,
  LAYER_CREW,
};

typedef struct {
  CdTicket *ticket;
  gulong    notify_id;
  double    u, v;
  gboolean  has_position;
  gboolean  shown;
  CdMapSla  sla;
  gint64    sla_until;
} TicketEntry;

typedef struct {
  CdCrew      *crew;
  gulong       notify_id;
  gboolean     has_position;
  gboolean     shown;
  CdMapMotion  motion;
  CdMapTrail   trail;
  gint64       reported_at;    /* the crew's position_at last seen */
  gint64       interval;       /* µs between its last two reports */
  PangoLayout *label;
} CrewEntry;

typedef struct {
  double x, y;                 /* widget coordinates */
  double heading;              /* crews: on screen, degrees */
  guint  entry;
} Drawn;

typedef struct {
  double       x, y;
  CdMapCluster cluster;        /* world pixels; top is an entry index */
} DrawnCluster;

typedef struct {
  guint kind;                  /* a LAYER_* */
  guint index;                 /* into that layer's drawn array */
} HitRef;

typedef struct {
  gboolean valid;
  double   zoom, lat, lon, rotation;
  int      width, height;
  guint    serial;
  gint64   time;               /* the animation time it was made for */

  double   size;               /* world size in pixels at this zoom */
  double   cwx, cwy;           /* the centre in world pixels */
  double   cos_r, sin_r;
  CdMapRect view;              /* world pixels, covering the widget */

  GArray  *points;             /* CdMapPoint, scratch */
  GArray  *singles;            /* CdMapPoint, scratch */
  GArray  *clusters;           /* CdMapCluster, scratch */
  GArray  *tickets;            /* Drawn */
  GArray  *ticket_clusters;    /* DrawnCluster */
  GArray  *crews;              /* Drawn */
  GArray  *crew_clusters;      /* DrawnCluster */
  GArray  *targets;            /* CdMapTarget */
  GArray  *hits;               /* HitRef, parallel to targets */
} Layout;

struct _CdMapLayer
{
  ShumateLayer     parent_instance;

  GListModel      *tickets;
  GListModel      *crews;
  gulong           tickets_changed_id;
  gulong           crews_changed_id;
  GPtrArray       *ticket_entries;   /* TicketEntry, as the model */
  GPtrArray       *crew_entries;     /* CrewEntry, as the model */
  GHashTable      *entries;          /* item → its entry */

  CdSlaPolicySet  *policies;
  gint64           now;
  gint64           next_sla_change;
  CdMapFilter      filter;
  GObject         *selected;
  gboolean         show_trails;
  gboolean         show_crosshair;
  gboolean         show_focus;

  CdMapPalette     palette;
  gboolean         palette_valid;
  GHashTable      *symbols;          /* key → Symbol */
  cairo_surface_t *frame;            /* the software renderer's canvas */
  int              texture_scale;
  GHashTable      *count_layouts;    /* count → PangoLayout */
  gulong           dark_id;
  gulong           contrast_id;

  gulong           viewport_id;
  guint            tick_id;
  gint64           motion_until;     /* monotonic µs */
  guint            serial;
  Layout           layout;
  CdMapLayerStats  stats;
};

G_DEFINE_FINAL_TYPE (CdMapLayer, cd_map_layer, SHUMATE_TYPE_LAYER)

enum {
  PROP_0,
  PROP_SELECTED,
  PROP_SHOW_TRAILS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* Helpers -------------------------------------------------------------- */

static void
invalidate (CdMapLayer *self)
{
  self->serial++;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static gint64
frame_time (CdMapLayer *self)
{
  GdkFrameClock *clock = gtk_widget_get_frame_clock (GTK_WIDGET (self));

  /* Both run on the monotonic clock. */
  return clock != NULL ? gdk_frame_clock_get_frame_time (clock) : g_get_monotonic_time ();
}

static gboolean
ticket_has_position (CdTicket *ticket)
{
  /* 0, 0 is in the Gulf of Guinea: a ticket there has no position. */
  return isfinite (ticket->lat) && isfinite (ticket->lon) &&
         !(ticket->lat == 0 && ticket->lon == 0);
}

static void
ticket_entry_refresh (CdMapLayer  *self,
                      TicketEntry *entry)
{
  CdTicket *ticket = entry->ticket;

  entry->has_position = ticket_has_position (ticket);
  if (entry->has_position)
    cd_map_project (ticket->lat, ticket->lon, &entry->u, &entry->v);
  entry->shown = entry->has_position && cd_map_filter_match_ticket (&self->filter, ticket);
  entry->sla = cd_map_ticket_sla (ticket, self->policies, self->now, &entry->sla_until);
  self->next_sla_change = MIN (self->next_sla_change, entry->sla_until);
}

static gboolean
world_visible (CdMapLayer *self,
               double      u,
               double      v)
{
  Layout *l = &self->layout;

  if (!l->valid)
    return TRUE;

  return cd_map_rect_contains (&l->view, CULL_MARGIN * 4, u * l->size, v * l->size);
}

static void
ensure_ticking (CdMapLayer *self);

/* Takes in the crew's current position; a new one starts a glide from
 * where the crew is drawn now. */
static void
crew_entry_update_position (CdMapLayer *self,
                            CrewEntry  *entry)
{
  CdCrew *crew = entry->crew;
  gint64 now = g_get_monotonic_time ();
  gint64 duration;
  double from_lat, from_lon, from_heading, fu, fv, tu, tv;

  if (crew->position_at == 0 || !isfinite (crew->lat) || !isfinite (crew->lon))
    {
      entry->has_position = FALSE;
      return;
    }

  if (!entry->has_position)
    {
      entry->has_position = TRUE;
      cd_map_motion_init (&entry->motion, crew->lat, crew->lon, crew->heading);
      cd_map_trail_push (&entry->trail, crew->lat, crew->lon);
      entry->reported_at = crew->position_at;
      return;
    }

  if (entry->motion.to_lat == crew->lat && entry->motion.to_lon == crew->lon &&
      entry->motion.to_heading == fmod (fmod (crew->heading, 360.0) + 360.0, 360.0))
    {
      entry->reported_at = MAX (entry->reported_at, crew->position_at);
      return;
    }

  if (crew->position_at > entry->reported_at)
    {
      entry->interval = (crew->position_at - entry->reported_at) * G_USEC_PER_SEC;
      duration = CLAMP (entry->interval, GLIDE_MIN_US, GLIDE_MAX_US);
    }
  else if (entry->motion.start + entry->motion.duration > now)
    {
      /* The same report again with more fields (notifications come one
       * property at a time): finish in the time that was left. */
      duration = entry->motion.start + entry->motion.duration - now;
    }
  else
    {
      duration = CLAMP (entry->interval, GLIDE_MIN_US, GLIDE_MAX_US);
    }

  /* Gliding off screen or in a hidden map costs frames for nothing. */
  cd_map_motion_sample (&entry->motion, now, &from_lat, &from_lon, &from_heading);
  cd_map_project (from_lat, from_lon, &fu, &fv);
  cd_map_project (crew->lat, crew->lon, &tu, &tv);
  if (!gtk_widget_get_mapped (GTK_WIDGET (self)) ||
      (!world_visible (self, fu, fv) && !world_visible (self, tu, tv)))
    duration = 0;

  cd_map_motion_retarget (&entry->motion, now, crew->lat, crew->lon, crew->heading, duration);
  cd_map_trail_push (&entry->trail, crew->lat, crew->lon);
  entry->reported_at = MAX (entry->reported_at, crew->position_at);

  if (duration > 0)
    {
      self->motion_until = MAX (self->motion_until, now + duration);
      ensure_ticking (self);
    }
}

static void
crew_entry_refresh (CdMapLayer *self,
                    CrewEntry  *entry)
{
  crew_entry_update_position (self, entry);
  entry->shown = entry->has_position && cd_map_filter_match_crew (&self->filter, entry->crew);
}

static void
ticket_notify_cb (CdTicket   *ticket,
                  GParamSpec *pspec,
                  CdMapLayer *self)
{
  TicketEntry *entry = g_hash_table_lookup (self->entries, ticket);

  g_assert (entry != NULL);
  ticket_entry_refresh (self, entry);
  invalidate (self);
}

static void
crew_notify_cb (CdCrew     *crew,
                GParamSpec *pspec,
                CdMapLayer *self)
{
  CrewEntry *entry = g_hash_table_lookup (self->entries, crew);

  g_assert (entry != NULL);
  if (g_strcmp0 (pspec->name, "name") == 0)
    g_clear_object (&entry->label);
  crew_entry_refresh (self, entry);
  invalidate (self);
}

static void
ticket_entry_free (gpointer data)
{
  TicketEntry *entry = data;

  g_clear_signal_handler (&entry->notify_id, entry->ticket);
  g_clear_object (&entry->ticket);
  g_free (entry);
}

static void
crew_entry_free (gpointer data)
{
  CrewEntry *entry = data;

  g_clear_signal_handler (&entry->notify_id, entry->crew);
  g_clear_object (&entry->crew);
  g_clear_object (&entry->label);
  g_free (entry);
}

static void
drop_selection_if (CdMapLayer *self,
                   gpointer    item)
{
  if (self->selected != NULL && self->selected == item)
    {
      g_clear_object (&self->selected);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SELECTED]);
    }
}

static void
tickets_changed_cb (GListModel *model,
                    guint       position,
                    guint       removed,
                    guint       added,
                    CdMapLayer *self)
{
  for (guint i = 0; i < removed; i++)
    {
      TicketEntry *entry = g_ptr_array_index (self->ticket_entries, position + i);

      drop_selection_if (self, entry->ticket);
      g_hash_table_remove (self->entries, entry->ticket);
    }
  g_ptr_array_remove_range (self->ticket_entries, position, removed);

  for (guint i = 0; i < added; i++)
    {
      TicketEntry *entry = g_new0 (TicketEntry, 1);

      entry->ticket = g_list_model_get_item (model, position + i);
      g_assert (CD_IS_TICKET (entry->ticket));
      entry->notify_id = g_signal_connect (entry->ticket, "notify", G_CALLBACK (ticket_notify_cb), self);
      ticket_entry_refresh (self, entry);
      g_hash_table_insert (self->entries, entry->ticket, entry);
      g_ptr_array_insert (self->ticket_entries, (gint) (position + i), entry);
    }

  invalidate (self);
}

static void
crews_changed_cb (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  CdMapLayer *self)
{
  for (guint i = 0; i < removed; i++)
    {
      CrewEntry *entry = g_ptr_array_index (self->crew_entries, position + i);

      drop_selection_if (self, entry->crew);
      g_hash_table_remove (self->entries, entry->crew);
    }
  g_ptr_array_remove_range (self->crew_entries, position, removed);

  for (guint i = 0; i < added; i++)
    {
      CrewEntry *entry = g_new0 (CrewEntry, 1);

      entry->crew = g_list_model_get_item (model, position + i);
      g_assert (CD_IS_CREW (entry->crew));
      entry->notify_id = g_signal_connect (entry->crew, "notify", G_CALLBACK (crew_notify_cb), self);
      crew_entry_refresh (self, entry);
      g_hash_table_insert (self->entries, entry->crew, entry);
      g_ptr_array_insert (self->crew_entries, (gint) (position + i), entry);
    }

  invalidate (self);
}

/* Animation ------------------------------------------------------------ */

static gboolean
tick_cb (GtkWidget     *widget,
         GdkFrameClock *clock,
         gpointer       user_data)
{
  CdMapLayer *self = CD_MAP_LAYER (widget);

  gtk_widget_queue_draw (widget);

  /* One last frame at the end position, then rest. */
  if (gdk_frame_clock_get_frame_time (clock) >= self->motion_until)
    {
      self->tick_id = 0;
      return G_SOURCE_REMOVE;
    }

  return G_SOURCE_CONTINUE;
}

static void
ensure_ticking (CdMapLayer *self)
{
  if (self->tick_id == 0)
    self->tick_id = gtk_widget_add_tick_callback (GTK_WIDGET (self), tick_cb, NULL, NULL);
}

/* Layout --------------------------------------------------------------- */

static void
to_widget (const Layout *l,
           double        wx,
           double        wy,
           double       *x,
           double       *y)
{
  double dx = wx - l->cwx;
  double dy = wy - l->cwy;

  *x = l->cos_r * dx - l->sin_r * dy + l->width / 2.0;
  *y = l->sin_r * dx + l->cos_r * dy + l->height / 2.0;
}

static guint
ticket_rank (TicketEntry *entry)
{
  return (guint) entry->sla * CD_N_URGENCIES + (guint) entry->ticket->urgency;
}

static gint
compare_drawn_tickets (gconstpointer a,
                       gconstpointer b,
                       gpointer      user_data)
{
  CdMapLayer *self = user_data;
  const Drawn *da = a, *db = b;
  guint ra = ticket_rank (g_ptr_array_index (self->ticket_entries, da->entry));
  guint rb = ticket_rank (g_ptr_array_index (self->ticket_entries, db->entry));

  /* The most urgent drawn last, on top; model order otherwise. */
  if (ra != rb)
    return ra < rb ? -1 : 1;
  return da->entry < db->entry ? -1 : da->entry > db->entry;
}

static void
add_target (Layout *l,
            double  x,
            double  y,
            double  radius,
            guint   kind,
            guint   index)
{
  CdMapTarget t = { x, y, radius, kind };
  HitRef ref = { kind, index };

  g_array_append_val (l->targets, t);
  g_array_append_val (l->hits, ref);
}

static gboolean
ensure_layout (CdMapLayer *self)
{
  GtkWidget *widget = GTK_WIDGET (self);
  ShumateViewport *viewport = shumate_layer_get_viewport (SHUMATE_LAYER (self));
  ShumateMapSource *source = shumate_viewport_get_reference_map_source (viewport);
  Layout *l = &self->layout;
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);
  double zoom, lat, lon, rotation, cell, radius;
  gint64 time = 0;
  gboolean moving = self->motion_until > 0;

  if (source == NULL || width <= 0 || height <= 0)
    {
      l->valid = FALSE;
      return FALSE;
    }

  zoom = shumate_viewport_get_zoom_level (viewport);
  lat = shumate_location_get_latitude (SHUMATE_LOCATION (viewport));
  lon = shumate_location_get_longitude (SHUMATE_LOCATION (viewport));
  rotation = shumate_viewport_get_rotation (viewport);
  if (moving)
    {
      time = frame_time (self);
      if (time >= self->motion_until + G_USEC_PER_SEC)
        {
          /* Every glide has ended: stop comparing times. */
          self->motion_until = 0;
          time = 0;
        }
    }

  if (l->valid && l->zoom == zoom && l->lat == lat && l->lon == lon &&
      l->rotation == rotation && l->width == width && l->height == height &&
      l->serial == self->serial && l->time == time)
    return TRUE;

  l->valid = TRUE;
  l->zoom = zoom;
  l->lat = lat;
  l->lon = lon;
  l->rotation = rotation;
  l->width = width;
  l->height = height;
  l->serial = self->serial;
  l->time = time;

  /* The map source's own projection for the scale and the centre. */
  l->size = shumate_map_source_get_x (source, zoom, 180.0);
  l->cwx = shumate_map_source_get_x (source, zoom, lon);
  l->cwy = shumate_map_source_get_y (source, zoom, lat);
  l->cos_r = cos (rotation);
  l->sin_r = sin (rotation);
  if (rotation == 0)
    {
      l->view = (CdMapRect) { l->cwx - width / 2.0, l->cwy - height / 2.0, width, height };
    }
  else
    {
      radius = hypot (width, height) / 2.0;
      l->view = (CdMapRect) { l->cwx - radius, l->cwy - radius, 2 * radius, 2 * radius };
    }

  cell = zoom < CLUSTER_MAX_ZOOM ? CLUSTER_CELL : 0;

  g_array_set_size (l->tickets, 0);
  g_array_set_size (l->ticket_clusters, 0);
  g_array_set_size (l->crews, 0);
  g_array_set_size (l->crew_clusters, 0);
  g_array_set_size (l->targets, 0);
  g_array_set_size (l->hits, 0);

  /* Tickets. The selected one never hides in a cluster. */
  g_array_set_size (l->points, 0);
  for (guint i = 0; i < self->ticket_entries->len; i++)
    {
      TicketEntry *entry = g_ptr_array_index (self->ticket_entries, i);
      CdMapPoint p;

      if (!entry->shown || (GObject *) entry->ticket == self->selected)
        continue;
      p.x = entry->u * l->size;
      p.y = entry->v * l->size;
      p.id = i;
      p.rank = ticket_rank (entry);
      g_array_append_val (l->points, p);
    }
  g_array_set_size (l->singles, 0);
  g_array_set_size (l->clusters, 0);
  cd_map_cluster ((CdMapPoint *) (gpointer) l->points->data, l->points->len, &l->view, CULL_MARGIN,
                  cell, CLUSTER_MIN, CLUSTER_MERGE, l->singles, l->clusters);

  for (guint i = 0; i < l->clusters->len; i++)
    {
      DrawnCluster dc;

      dc.cluster = g_array_index (l->clusters, CdMapCluster, i);
      to_widget (l, dc.cluster.x, dc.cluster.y, &dc.x, &dc.y);
      g_array_append_val (l->ticket_clusters, dc);
      add_target (l, dc.x, dc.y, cd_map_cluster_radius (dc.cluster.count) + 2,
                  LAYER_TICKET_CLUSTER, l->ticket_clusters->len - 1);
    }

  for (guint i = 0; i < l->singles->len; i++)
    {
      CdMapPoint *p = &g_array_index (l->singles, CdMapPoint, i);
      Drawn d = { 0, 0, 0, p->id };

      to_widget (l, p->x, p->y, &d.x, &d.y);
      g_array_append_val (l->tickets, d);
    }
  if (self->selected != NULL && CD_IS_TICKET (self->selected))
    {
      TicketEntry *entry = g_hash_table_lookup (self->entries, self->selected);

      if (entry != NULL && entry->shown)
        {
          Drawn d = { 0, 0, 0, 0 };

          g_ptr_array_find (self->ticket_entries, entry, &d.entry);
          to_widget (l, entry->u * l->size, entry->v * l->size, &d.x, &d.y);
          if (d.x > -CULL_MARGIN && d.y > -CULL_MARGIN &&
              d.x < width + CULL_MARGIN && d.y < height + CULL_MARGIN)
            g_array_append_val (l->tickets, d);
        }
    }
  g_array_sort_with_data (l->tickets, compare_drawn_tickets, self);
  /* ...except the selection, which is drawn above all tickets. */
  for (guint i = 0; i < l->tickets->len; i++)
    {
      Drawn *d = &g_array_index (l->tickets, Drawn, i);
      TicketEntry *entry = g_ptr_array_index (self->ticket_entries, d->entry);

      if ((GObject *) entry->ticket == self->selected && i + 1 < l->tickets->len)
        {
          Drawn keep = *d;

          g_array_remove_index (l->tickets, i);
          g_array_append_val (l->tickets, keep);
          break;
        }
    }
  for (guint i = 0; i < l->tickets->len; i++)
    {
      Drawn *d = &g_array_index (l->tickets, Drawn, i);
      TicketEntry *entry = g_ptr_array_index (self->ticket_entries, d->entry);

      add_target (l, d->x, d->y, cd_map_ticket_radius (entry->ticket->urgency) + 2, LAYER_TICKET, i);
    }

  /* Crews, where their glide has brought them at this frame. */
  g_array_set_size (l->points, 0);
  for (guint i = 0; i < self->crew_entries->len; i++)
    {
      CrewEntry *entry = g_ptr_array_index (self->crew_entries, i);
      double clat, clon, heading, u, v;
      CdMapPoint p;

      if (!entry->shown)
        continue;
      cd_map_motion_sample (&entry->motion, time != 0 ? time : G_MAXINT64, &clat, &clon, &heading);
      cd_map_project (clat, clon, &u, &v);
      p.x = u * l->size;
      p.y = v * l->size;
      p.id = i;
      p.rank = (GObject *) entry->crew == self->selected ? 1 : 0;
      g_array_append_val (l->points, p);
    }
  g_array_set_size (l->singles, 0);
  g_array_set_size (l->clusters, 0);
  cd_map_cluster ((CdMapPoint *) (gpointer) l->points->data, l->points->len, &l->view, CULL_MARGIN,
                  cell, CLUSTER_MIN, CLUSTER_MERGE, l->singles, l->clusters);

  for (guint i = 0; i < l->clusters->len; i++)
    {
      DrawnCluster dc;

      dc.cluster = g_array_index (l->clusters, CdMapCluster, i);
      to_widget (l, dc.cluster.x, dc.cluster.y, &dc.x, &dc.y);
      g_array_append_val (l->crew_clusters, dc);
      add_target (l, dc.x, dc.y, cd_map_cluster_radius (dc.cluster.count) + 2,
                  LAYER_CREW_CLUSTER, l->crew_clusters->len - 1);
    }
  for (guint i = 0; i < l->singles->len; i++)
    {
      CdMapPoint *p = &g_array_index (l->singles, CdMapPoint, i);
      CrewEntry *entry = g_ptr_array_index (self->crew_entries, p->id);
      double clat, clon, heading;
      Drawn d = { 0, 0, 0, p->id };

      cd_map_motion_sample (&entry->motion, time != 0 ? time : G_MAXINT64, &clat, &clon, &heading);
      to_widget (l, p->x, p->y, &d.x, &d.y);
      d.heading = heading + rotation * 180.0 / G_PI;
      g_array_append_val (l->crews, d);
      add_target (l, d.x, d.y, CD_MAP_CREW_RADIUS + 2, LAYER_CREW, l->crews->len - 1);
    }

  /* The selected crew above the others. */
  for (guint i = 0; i + 1 < l->crews->len; i++)
    {
      Drawn *d = &g_array_index (l->crews, Drawn, i);
      CrewEntry *entry = g_ptr_array_index (self->crew_entries, d->entry);

      if ((GObject *) entry->crew == self->selected)
        {
          Drawn keep = *d;
          CdMapTarget target = g_array_index (l->targets, CdMapTarget, l->targets->len - l->crews->len + i);

          g_array_remove_index (l->crews, i);
          g_array_append_val (l->crews, keep);
          /* Its hit target moves last too, so it wins ties. */
          g_array_remove_index (l->targets, l->targets->len - l->crews->len + i);
          g_array_remove_index (l->hits, l->hits->len - l->crews->len + i);
          add_target (l, target.x, target.y, target.radius, LAYER_CREW, l->crews->len - 1);
          break;
        }
    }
  /* Crew hits name their index in the reordered array. */
  for (guint i = 0, k = l->hits->len - l->crews->len; i < l->crews->len; i++, k++)
    g_array_index (l->hits, HitRef, k).index = i;

  self->stats.n_tickets = l->tickets->len;
  self->stats.n_ticket_clusters = l->ticket_clusters->len;
  self->stats.n_crews = l->crews->len;
  self->stats.n_crew_clusters = l->crew_clusters->len;

  return TRUE;
}

/* Drawing -------------------------------------------------------------- */

/* Each symbol is drawn once per style and scale into an image surface. The
 * cairo renderer (the software one) then paints those surfaces into one
 * cairo node for the whole layer: thousands of small texture nodes would
 * each be converted to a cairo surface on every frame. The GL renderers get
 * one texture node per symbol, which they batch. */
enum {
  SYM_TICKET = 1,
  SYM_CREW,
  SYM_ARROW,
  SYM_CLUSTER,
};

typedef struct {
  cairo_surface_t *surface;
  GdkTexture      *texture;     /* made on first use by a GL renderer */
  int              size;        /* logical pixels, square */
} Symbol;

typedef struct {
  CdMapLayer *self;
  guint       a, b, c;
} SymbolArgs;

/* Where a frame goes: one cairo context, or the snapshot itself. */
typedef struct {
  CdMapLayer  *self;
  GtkSnapshot *snapshot;
  cairo_t     *cr;
} Canvas;

static void
symbol_free (gpointer data)
{
  Symbol *sym = data;

  cairo_surface_destroy (sym->surface);
  g_clear_object (&sym->texture);
  g_free (sym);
}

static Symbol *
get_symbol (CdMapLayer *self,
            guint       kind,
            guint       a,
            guint       b,
            guint       c)
{
  guint key = kind << 24 | a << 16 | b << 8 | c;
  SymbolArgs args = { self, a, b, c };
  Symbol *sym = g_hash_table_lookup (self->symbols, GUINT_TO_POINTER (key));
  int scale = self->texture_scale;
  cairo_t *cr;

  if (sym != NULL)
    return sym;

  sym = g_new0 (Symbol, 1);
  switch (kind)
    {
    case SYM_TICKET:
      sym->size = 2 * (int) ceil (cd_map_ticket_extent (b)) + 2;
      break;
    case SYM_CREW:
    case SYM_ARROW:
      sym->size = 2 * (int) CD_MAP_CREW_EXTENT + 2;
      break;
    case SYM_CLUSTER:
    default:
      sym->size = 2 * (int) ceil (c + 8) + 2;
      break;
    }

  sym->surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, sym->size * scale, sym->size * scale);
  cairo_surface_set_device_scale (sym->surface, scale, scale);
  cr = cairo_create (sym->surface);
  cairo_translate (cr, sym->size / 2.0, sym->size / 2.0);
  switch (kind)
    {
    case SYM_TICKET:
      cd_map_draw_ticket (cr, &args.self->palette, args.a, args.b, args.c);
      break;
    case SYM_CREW:
      cd_map_draw_crew_body (cr, &args.self->palette, args.a);
      break;
    case SYM_ARROW:
      cd_map_draw_crew_arrow (cr, &args.self->palette, args.a);
      break;
    case SYM_CLUSTER:
    default:
      cd_map_draw_cluster (cr, &args.self->palette, args.a, args.b, args.c);
      break;
    }
  cairo_destroy (cr);
  cairo_surface_flush (sym->surface);

  g_hash_table_insert (self->symbols, GUINT_TO_POINTER (key), sym);
  return sym;
}

static GdkTexture *
symbol_get_texture (Symbol *sym)
{
  if (sym->texture == NULL)
    {
      int px = cairo_image_surface_get_width (sym->surface);
      int stride = cairo_image_surface_get_stride (sym->surface);
      g_autoptr(GBytes) bytes = g_bytes_new (cairo_image_surface_get_data (sym->surface), (gsize) stride * px);

      /* Cairo's ARGB32 is GTK's default memory format. */
      sym->texture = gdk_memory_texture_new (px, px, GDK_MEMORY_DEFAULT, bytes, stride);
    }
  return sym->texture;
}

/* @sym centred on (x, y), turned by @degrees. */
static void
canvas_symbol (Canvas *c,
               Symbol *sym,
               double  x,
               double  y,
               double  degrees)
{
  double s = c->self->texture_scale;
  double half = sym->size / 2.0;

  if (degrees == 0)
    {
      /* Whole device pixels keep the baked symbols sharp. */
      x = round ((x - half) * s) / s;
      y = round ((y - half) * s) / s;
      if (c->cr != NULL)
        {
          cairo_set_source_surface (c->cr, sym->surface, x, y);
          cairo_paint (c->cr);
        }
      else
        {
          gtk_snapshot_append_texture (c->snapshot, symbol_get_texture (sym),
                                       &GRAPHENE_RECT_INIT (x, y, sym->size, sym->size));
        }
      return;
    }

  if (c->cr != NULL)
    {
      cairo_save (c->cr);
      cairo_translate (c->cr, x, y);
      cairo_rotate (c->cr, degrees * G_PI / 180.0);
      cairo_set_source_surface (c->cr, sym->surface, -half, -half);
      cairo_paint (c->cr);
      cairo_restore (c->cr);
    }
  else
    {
      gtk_snapshot_save (c->snapshot);
      gtk_snapshot_translate (c->snapshot, &GRAPHENE_POINT_INIT (x, y));
      gtk_snapshot_rotate (c->snapshot, degrees);
      gtk_snapshot_append_texture (c->snapshot, symbol_get_texture (sym),
                                   &GRAPHENE_RECT_INIT (-half, -half, sym->size, sym->size));
      gtk_snapshot_restore (c->snapshot);
    }
}

/* @layout with its top left corner at (x, y). */
static void
canvas_layout (Canvas        *c,
               PangoLayout   *layout,
               double         x,
               double         y,
               const GdkRGBA *color)
{
  if (c->cr != NULL)
    {
      gdk_cairo_set_source_rgba (c->cr, color);
      cairo_move_to (c->cr, x, y);
      pango_cairo_show_layout (c->cr, layout);
    }
  else
    {
      gtk_snapshot_save (c->snapshot);
      gtk_snapshot_translate (c->snapshot, &GRAPHENE_POINT_INIT (x, y));
      gtk_snapshot_append_layout (c->snapshot, layout, color);
      gtk_snapshot_restore (c->snapshot);
    }
}

static void
canvas_centered_layout (Canvas        *c,
                        PangoLayout   *layout,
                        double         x,
                        double         y,
                        const GdkRGBA *color)
{
  int w, h;

  pango_layout_get_pixel_size (layout, &w, &h);
  canvas_layout (c, layout, round (x - w / 2.0), round (y - h / 2.0), color);
}

/* A circle of @width inside @radius. */
static void
canvas_ring (Canvas        *c,
             double         x,
             double         y,
             double         radius,
             double         width,
             const GdkRGBA *color)
{
  if (c->cr != NULL)
    {
      cairo_new_path (c->cr);
      cairo_arc (c->cr, x, y, radius - width / 2.0, 0, 2 * G_PI);
      cairo_set_line_width (c->cr, width);
      gdk_cairo_set_source_rgba (c->cr, color);
      cairo_stroke (c->cr);
    }
  else
    {
      GskRoundedRect rect;
      const GdkRGBA colors[4] = { *color, *color, *color, *color };
      const float widths[4] = { width, width, width, width };

      gsk_rounded_rect_init_from_rect (&rect, &GRAPHENE_RECT_INIT (x - radius, y - radius,
                                                                   2 * radius, 2 * radius),
                                       radius);
      gtk_snapshot_append_border (c->snapshot, &rect, widths, colors);
    }
}

/* A rectangle with corners of @corner (a pill when it is half the height). */
static void
canvas_rect (Canvas                *c,
             const graphene_rect_t *r,
             double                 corner,
             const GdkRGBA         *color)
{
  if (c->cr != NULL)
    {
      double x = r->origin.x, y = r->origin.y, w = r->size.width, h = r->size.height;

      cairo_new_path (c->cr);
      if (corner > 0)
        {
          cairo_arc (c->cr, x + w - corner, y + corner, corner, -G_PI / 2, 0);
          cairo_arc (c->cr, x + w - corner, y + h - corner, corner, 0, G_PI / 2);
          cairo_arc (c->cr, x + corner, y + h - corner, corner, G_PI / 2, G_PI);
          cairo_arc (c->cr, x + corner, y + corner, corner, G_PI, 3 * G_PI / 2);
          cairo_close_path (c->cr);
        }
      else
        {
          cairo_rectangle (c->cr, x, y, w, h);
        }
      gdk_cairo_set_source_rgba (c->cr, color);
      cairo_fill (c->cr);
    }
  else if (corner > 0)
    {
      GskRoundedRect rounded;

      gsk_rounded_rect_init_from_rect (&rounded, r, corner);
      gtk_snapshot_push_rounded_clip (c->snapshot, &rounded);
      gtk_snapshot_append_color (c->snapshot, color, r);
      gtk_snapshot_pop (c->snapshot);
    }
  else
    {
      gtk_snapshot_append_color (c->snapshot, color, r);
    }
}

static PangoLayout *
get_count_layout (CdMapLayer *self,
                  guint       count)
{
  PangoLayout *layout = g_hash_table_lookup (self->count_layouts, GUINT_TO_POINTER (count));
  g_autofree char *text = NULL;
  PangoAttrList *attrs;

  if (layout != NULL)
    return layout;

  if (g_hash_table_size (self->count_layouts) > 2000)
    g_hash_table_remove_all (self->count_layouts);

  text = count < 10000 ? g_strdup_printf ("%u", count) : g_strdup_printf ("%uk", count / 1000);
  layout = gtk_widget_create_pango_layout (GTK_WIDGET (self), text);
  attrs = pango_attr_list_new ();
  pango_attr_list_insert (attrs, pango_attr_weight_new (PANGO_WEIGHT_BOLD));
  pango_attr_list_insert (attrs, pango_attr_scale_new (0.82));
  pango_attr_list_insert (attrs, pango_attr_font_features_new ("tnum"));
  pango_layout_set_attributes (layout, attrs);
  pango_attr_list_unref (attrs);
  g_hash_table_insert (self->count_layouts, GUINT_TO_POINTER (count), layout);

  return layout;
}

static gboolean
drawn_position_of (CdMapLayer *self,
                   gpointer    item,
                   double     *x,
                   double     *y)
{
  Layout *l = &self->layout;

  if (CD_IS_TICKET (item))
    {
      TicketEntry *entry = g_hash_table_lookup (self->entries, item);

      if (entry == NULL || !entry->has_position)
        return FALSE;
      to_widget (l, entry->u * l->size, entry->v * l->size, x, y);
      return TRUE;
    }
  else if (CD_IS_CREW (item))
    {
      CrewEntry *entry = g_hash_table_lookup (self->entries, item);
      double lat, lon, heading, u, v;

      if (entry == NULL || !entry->has_position)
        return FALSE;
      cd_map_motion_sample (&entry->motion, l->time != 0 ? l->time : G_MAXINT64, &lat, &lon, &heading);
      cd_map_project (lat, lon, &u, &v);
      to_widget (l, u * l->size, v * l->size, x, y);
      return TRUE;
    }

  return FALSE;
}

/* Trails, and lines between the selection and its crew or tickets. */
static void
draw_lines (CdMapLayer *self,
            Canvas     *canvas)
{
  Layout *l = &self->layout;
  cairo_t *cr;
  CdCrew *line_crew = NULL;

  if (self->selected != NULL && CD_IS_CREW (self->selected))
    line_crew = CD_CREW (self->selected);
  else if (self->selected != NULL && CD_IS_TICKET (self->selected))
    {
      const char *crew_id = CD_TICKET (self->selected)->crew_id;

      for (guint i = 0; crew_id != NULL && i < self->crew_entries->len; i++)
        {
          CrewEntry *entry = g_ptr_array_index (self->crew_entries, i);

          if (g_strcmp0 (CD_RECORD (entry->crew)->id, crew_id) == 0)
            line_crew = entry->crew;
        }
    }

  if (!self->show_trails && line_crew == NULL)
    return;

  if (canvas->cr != NULL)
    cr = cairo_reference (canvas->cr);
  else
    cr = gtk_snapshot_append_cairo (canvas->snapshot, &GRAPHENE_RECT_INIT (0, 0, l->width, l->height));
  cairo_save (cr);
  cairo_set_line_cap (cr, CAIRO_LINE_CAP_ROUND);
  cairo_set_line_join (cr, CAIRO_LINE_JOIN_ROUND);

  if (self->show_trails)
    {
      for (guint i = 0; i < l->crews->len; i++)
        {
          Drawn *d = &g_array_index (l->crews, Drawn, i);
          CrewEntry *entry = g_ptr_array_index (self->crew_entries, d->entry);
          GdkRGBA color = self->palette.crew[entry->crew->status];
          double x, y;

          if (entry->trail.len < 2)
            continue;
          /* Older stretches fade out. */
          for (guint k = 0; k + 1 < entry->trail.len; k++)
            {
              double lat, lon, u, v, x2, y2;

              cd_map_trail_get (&entry->trail, k, &lat, &lon);
              cd_map_project (lat, lon, &u, &v);
              to_widget (l, u * l->size, v * l->size, &x, &y);
              if (k + 2 < entry->trail.len)
                {
                  cd_map_trail_get (&entry->trail, k + 1, &lat, &lon);
                  cd_map_project (lat, lon, &u, &v);
                  to_widget (l, u * l->size, v * l->size, &x2, &y2);
                }
              else
                {
                  x2 = d->x;
                  y2 = d->y;
                }
              color.alpha = 0.25 + 0.6 * (k + 1) / entry->trail.len;
              gdk_cairo_set_source_rgba (cr, &color);
              cairo_set_line_width (cr, 3.0);
              cairo_move_to (cr, x, y);
              cairo_line_to (cr, x2, y2);
              cairo_stroke (cr);
            }
        }
    }

  if (line_crew != NULL)
    {
      double cx, cy;
      const double dash[2] = { 6.0, 4.0 };

      if (drawn_position_of (self, line_crew, &cx, &cy))
        {
          for (guint i = 0; i < self->ticket_entries->len; i++)
            {
              TicketEntry *entry = g_ptr_array_index (self->ticket_entries, i);
              double tx, ty;

              if (!entry->has_position ||
                  g_strcmp0 (entry->ticket->crew_id, CD_RECORD (line_crew)->id) != 0)
                continue;
              /* A selected ticket: only its own line to its crew. */
              if (CD_IS_TICKET (self->selected) && (GObject *) entry->ticket != self->selected)
                continue;
              to_widget (l, entry->u * l->size, entry->v * l->size, &tx, &ty);
              /* White under the accent, so the line reads on any tile. */
              cairo_set_dash (cr, NULL, 0, 0);
              cairo_set_line_width (cr, 5.0);
              cairo_set_source_rgba (cr, 1, 1, 1, 0.85);
              cairo_move_to (cr, cx, cy);
              cairo_line_to (cr, tx, ty);
              cairo_stroke (cr);
              cairo_set_dash (cr, dash, 2, 0);
              cairo_set_line_width (cr, 2.5);
              gdk_cairo_set_source_rgba (cr, &self->palette.accent);
              cairo_move_to (cr, cx, cy);
              cairo_line_to (cr, tx, ty);
              cairo_stroke (cr);
            }
        }
    }

  cairo_restore (cr);
  cairo_destroy (cr);
}

/* A crew's name beside it, unless it would cover a name already placed
 * (@placed: graphene_rect_t); @force places it anyway. */
static void
draw_crew_label (CdMapLayer *self,
                 Canvas     *canvas,
                 CrewEntry  *entry,
                 double      x,
                 double      y,
                 GArray     *placed,
                 gboolean    force)
{
  graphene_rect_t box;
  int w, h;

  if (entry->label == NULL)
    {
      PangoAttrList *attrs = pango_attr_list_new ();

      entry->label = gtk_widget_create_pango_layout (GTK_WIDGET (self), entry->crew->name);
      pango_attr_list_insert (attrs, pango_attr_scale_new (0.82));
      pango_attr_list_insert (attrs, pango_attr_weight_new (PANGO_WEIGHT_SEMIBOLD));
      pango_layout_set_attributes (entry->label, attrs);
      pango_attr_list_unref (attrs);
    }

  pango_layout_get_pixel_size (entry->label, &w, &h);
  x = round (x + CD_MAP_CREW_RADIUS + 6);
  y = round (y - h / 2.0);
  box = GRAPHENE_RECT_INIT (x - 5, y - 1, w + 10, h + 2);

  if (!force)
    for (guint i = 0; i < placed->len; i++)
      if (graphene_rect_intersection (&box, &g_array_index (placed, graphene_rect_t, i), NULL))
        return;
  g_array_append_val (placed, box);

  canvas_rect (canvas, &box, (h + 2) / 2.0, &self->palette.label_bg);
  canvas_layout (canvas, entry->label, x, y, &self->palette.label_fg);
}

static void
draw_crosshair (CdMapLayer *self,
                Canvas     *canvas)
{
  Layout *l = &self->layout;
  double cx = round (l->width / 2.0), cy = round (l->height / 2.0);
  const GdkRGBA white = { 1, 1, 1, 0.95 };
  /* Four arms around an open centre, so the exact spot stays visible;
   * white under the accent reads on any tile. */
  const graphene_rect_t arms[4] = {
    GRAPHENE_RECT_INIT (cx - 22, cy - 1.5, 16, 3),
    GRAPHENE_RECT_INIT (cx + 6, cy - 1.5, 16, 3),
    GRAPHENE_RECT_INIT (cx - 1.5, cy - 22, 3, 16),
    GRAPHENE_RECT_INIT (cx - 1.5, cy + 6, 3, 16),
  };

  for (guint i = 0; i < G_N_ELEMENTS (arms); i++)
    {
      graphene_rect_t outline;

      graphene_rect_inset_r (&arms[i], -1.5, -1.5, &outline);
      canvas_rect (canvas, &outline, 0, &white);
    }
  for (guint i = 0; i < G_N_ELEMENTS (arms); i++)
    canvas_rect (canvas, &arms[i], 0, &self->palette.accent);
  canvas_ring (canvas, cx, cy, 4.0, 3.0, &white);
  canvas_ring (canvas, cx, cy, 3.0, 2.0, &self->palette.accent);
}

static void
ensure_palette (CdMapLayer *self)
{
  int scale = gtk_widget_get_scale_factor (GTK_WIDGET (self));

  if (self->palette_valid && self->texture_scale == scale)
    return;

  cd_map_palette_load (&self->palette, GTK_WIDGET (self));
  self->palette_valid = TRUE;
  self->texture_scale = scale;
  g_hash_table_remove_all (self->symbols);
}

static gboolean
software_rendering (CdMapLayer *self)
{
  GtkNative *native = gtk_widget_get_native (GTK_WIDGET (self));
  GskRenderer *renderer = native != NULL ? gtk_native_get_renderer (native) : NULL;

  return renderer == NULL || GSK_IS_CAIRO_RENDERER (renderer);
}

static void
draw_scene (CdMapLayer *self,
            Canvas     *canvas)
{
  Layout *l = &self->layout;
  const GdkRGBA white = { 1, 1, 1, 1 };
  gboolean labels;

  draw_lines (self, canvas);

  for (guint i = 0; i < l->ticket_clusters->len; i++)
    {
      DrawnCluster *dc = &g_array_index (l->ticket_clusters, DrawnCluster, i);
      TicketEntry *top = g_ptr_array_index (self->ticket_entries, dc->cluster.top);
      double r = cd_map_cluster_radius (dc->cluster.count);

      canvas_symbol (canvas, get_symbol (self, SYM_CLUSTER, FALSE, top->sla, (guint) r), dc->x, dc->y, 0);
      canvas_centered_layout (canvas, get_count_layout (self, dc->cluster.count), dc->x, dc->y,
                              &self->palette.cluster_fg);
    }

  for (guint i = 0; i < l->tickets->len; i++)
    {
      Drawn *d = &g_array_index (l->tickets, Drawn, i);
      TicketEntry *entry = g_ptr_array_index (self->ticket_entries, d->entry);
      CdTicket *ticket = entry->ticket;

      if ((GObject *) ticket == self->selected)
        {
          double r = cd_map_ticket_radius (ticket->urgency) + 6;

          canvas_ring (canvas, d->x, d->y, r + 2, 6, &white);
          canvas_ring (canvas, d->x, d->y, r + 1, 4, &self->palette.accent);
        }
      canvas_symbol (canvas, get_symbol (self, SYM_TICKET, ticket->category, ticket->urgency, entry->sla),
                     d->x, d->y, 0);
    }

  for (guint i = 0; i < l->crew_clusters->len; i++)
    {
      DrawnCluster *dc = &g_array_index (l->crew_clusters, DrawnCluster, i);
      double r = cd_map_cluster_radius (dc->cluster.count);

      canvas_symbol (canvas, get_symbol (self, SYM_CLUSTER, TRUE, 0, (guint) r), dc->x, dc->y, 0);
      canvas_centered_layout (canvas, get_count_layout (self, dc->cluster.count), dc->x, dc->y,
                              &self->palette.cluster_fg);
    }

  for (guint i = 0; i < l->crews->len; i++)
    {
      Drawn *d = &g_array_index (l->crews, Drawn, i);
      CrewEntry *entry = g_ptr_array_index (self->crew_entries, d->entry);
      CdCrew *crew = entry->crew;
      gboolean moving = crew->speed_kmh >= 1.0 ||
                        (l->time != 0 && entry->motion.start + entry->motion.duration > l->time);

      if ((GObject *) crew == self->selected)
        {
          canvas_ring (canvas, d->x, d->y, CD_MAP_CREW_RADIUS + 10, 6, &white);
          canvas_ring (canvas, d->x, d->y, CD_MAP_CREW_RADIUS + 9, 4, &self->palette.accent);
        }

      /* The chevron turns with the heading; the body stays upright. */
      if (moving)
        canvas_symbol (canvas, get_symbol (self, SYM_ARROW, crew->status, 0, 0), d->x, d->y, d->heading);
      canvas_symbol (canvas, get_symbol (self, SYM_CREW, crew->status, 0, 0), d->x, d->y, 0);
    }

  /* Names last, above every symbol; the selected crew's first, so it is
   * the one that never gives way. */
  labels = l->zoom >= LABEL_MIN_ZOOM && l->crews->len <= LABEL_MAX_CREWS;
  {
    g_autoptr(GArray) placed = g_array_new (FALSE, FALSE, sizeof (graphene_rect_t));

    for (guint pass = 0; pass < 2; pass++)
      for (guint i = 0; i < l->crews->len; i++)
        {
          Drawn *d = &g_array_index (l->crews, Drawn, i);
          CrewEntry *entry = g_ptr_array_index (self->crew_entries, d->entry);
          gboolean selected = (GObject *) entry->crew == self->selected;

          if (pass == 0 && selected)
            draw_crew_label (self, canvas, entry, d->x, d->y, placed, TRUE);
          else if (pass == 1 && !selected && labels)
            draw_crew_label (self, canvas, entry, d->x, d->y, placed, FALSE);
        }
  }

  if (self->show_crosshair)
    draw_crosshair (self, canvas);

  if (self->show_focus)
    {
      const graphene_rect_t edges[4] = {
        GRAPHENE_RECT_INIT (0, 0, l->width, 2),
        GRAPHENE_RECT_INIT (0, l->height - 2, l->width, 2),
        GRAPHENE_RECT_INIT (0, 0, 2, l->height),
        GRAPHENE_RECT_INIT (l->width - 2, 0, 2, l->height),
      };

      for (guint i = 0; i < G_N_ELEMENTS (edges); i++)
        canvas_rect (canvas, &edges[i], 0, &self->palette.accent);
    }
}

static void
cd_map_layer_snapshot (GtkWidget   *widget,
                       GtkSnapshot *snapshot)
{
  CdMapLayer *self = CD_MAP_LAYER (widget);
  Layout *l = &self->layout;
  Canvas canvas = { self, snapshot, NULL };
  gint64 started = g_get_monotonic_time ();

  self->stats.n_snapshots++;

  if (!ensure_layout (self))
    return;
  ensure_palette (self);

  if (l->tickets->len + l->ticket_clusters->len + l->crews->len + l->crew_clusters->len == 0 &&
      !self->show_crosshair && !self->show_focus && self->selected == NULL)
    return;

  if (software_rendering (self))
    {
      int scale = self->texture_scale;
      cairo_t *node_cr;

      /* Composed here, client side, then handed over as one image: on X11
       * the cairo renderer draws through XRender, where thousands of
       * small paints would each be a round trip with an upload. */
      if (self->frame == NULL ||
          cairo_image_surface_get_width (self->frame) != l->width * scale ||
          cairo_image_surface_get_height (self->frame) != l->height * scale)
        {
          g_clear_pointer (&self->frame, cairo_surface_destroy);
          self->frame = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, l->width * scale, l->height * scale);
          cairo_surface_set_device_scale (self->frame, scale, scale);
        }

      /* Cairo copies the image away first if the last frame's node still
       * holds it (copy on write), so reusing it is safe. */
      canvas.cr = cairo_create (self->frame);
      cairo_set_operator (canvas.cr, CAIRO_OPERATOR_CLEAR);
      cairo_paint (canvas.cr);
      cairo_set_operator (canvas.cr, CAIRO_OPERATOR_OVER);
      draw_scene (self, &canvas);
      g_clear_pointer (&canvas.cr, cairo_destroy);

      node_cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, l->width, l->height));
      cairo_set_source_surface (node_cr, self->frame, 0, 0);
      cairo_paint (node_cr);
      cairo_destroy (node_cr);
    }
  else
    {
      draw_scene (self, &canvas);
    }

  self->stats.snapshot_us = g_get_monotonic_time () - started;
}

/* GObject ---------------------------------------------------------------- */

static void
style_changed_cb (CdMapLayer *self)
{
  self->palette_valid = FALSE;
  g_hash_table_remove_all (self->count_layouts);
  for (guint i = 0; i < self->crew_entries->len; i++)
    g_clear_object (&((CrewEntry *) g_ptr_array_index (self->crew_entries, i))->label);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
cd_map_layer_css_changed (GtkWidget         *widget,
                          GtkCssStyleChange *change)
{
  GTK_WIDGET_CLASS (cd_map_layer_parent_class)->css_changed (widget, change);
  style_changed_cb (CD_MAP_LAYER (widget));
}

static void
cd_map_layer_constructed (GObject *object)
{
  CdMapLayer *self = CD_MAP_LAYER (object);
  ShumateViewport *viewport;

  G_OBJECT_CLASS (cd_map_layer_parent_class)->constructed (object);

  /* libshumate 1.0.3's viewport has no ::changed; every move notifies. */
  viewport = shumate_layer_get_viewport (SHUMATE_LAYER (self));
  self->viewport_id = g_signal_connect_swapped (viewport, "notify",
                                                G_CALLBACK (gtk_widget_queue_draw), self);
}

static void
cd_map_layer_dispose (GObject *object)
{
  CdMapLayer *self = CD_MAP_LAYER (object);
  AdwStyleManager *manager = adw_style_manager_get_default ();

  cd_map_layer_set_models (self, NULL, NULL);
  g_clear_signal_handler (&self->viewport_id, shumate_layer_get_viewport (SHUMATE_LAYER (self)));
  g_clear_signal_handler (&self->dark_id, manager);
  g_clear_signal_handler (&self->contrast_id, manager);
  if (self->tick_id != 0)
    {
      gtk_widget_remove_tick_callback (GTK_WIDGET (self), self->tick_id);
      self->tick_id = 0;
    }
  g_clear_object (&self->selected);
  g_clear_object (&self->policies);
  g_hash_table_remove_all (self->symbols);
  g_hash_table_remove_all (self->count_layouts);
  g_clear_pointer (&self->frame, cairo_surface_destroy);

  G_OBJECT_CLASS (cd_map_layer_parent_class)->dispose (object);
}

static void
cd_map_layer_finalize (GObject *object)
{
  CdMapLayer *self = CD_MAP_LAYER (object);
  Layout *l = &self->layout;

  g_ptr_array_unref (self->ticket_entries);
  g_ptr_array_unref (self->crew_entries);
  g_hash_table_unref (self->entries);
  g_hash_table_unref (self->symbols);
  g_hash_table_unref (self->count_layouts);
  cd_map_filter_clear (&self->filter);
  g_array_unref (l->points);
  g_array_unref (l->singles);
  g_array_unref (l->clusters);
  g_array_unref (l->tickets);
  g_array_unref (l->ticket_clusters);
  g_array_unref (l->crews);
  g_array_unref (l->crew_clusters);
  g_array_unref (l->targets);
  g_array_unref (l->hits);

  G_OBJECT_CLASS (cd_map_layer_parent_class)->finalize (object);
}

static void
cd_map_layer_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  CdMapLayer *self = CD_MAP_LAYER (object);

  switch (prop_id)
    {
    case PROP_SELECTED:
      g_value_set_object (value, self->selected);
      break;
    case PROP_SHOW_TRAILS:
      g_value_set_boolean (value, self->show_trails);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cd_map_layer_set_property (GObject      *object,
                           guint         prop_id,
                           const GValue *value,
                           GParamSpec   *pspec)
{
  CdMapLayer *self = CD_MAP_LAYER (object);

  switch (prop_id)
    {
    case PROP_SELECTED:
      cd_map_layer_set_selected (self, g_value_get_object (value));
      break;
    case PROP_SHOW_TRAILS:
      cd_map_layer_set_show_trails (self, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cd_map_layer_class_init (CdMapLayerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = cd_map_layer_constructed;
  object_class->dispose = cd_map_layer_dispose;
  object_class->finalize = cd_map_layer_finalize;
  object_class->get_property = cd_map_layer_get_property;
  object_class->set_property = cd_map_layer_set_property;

  widget_class->snapshot = cd_map_layer_snapshot;
  widget_class->css_changed = cd_map_layer_css_changed;

  properties[PROP_SELECTED] =
    g_param_spec_object ("selected", NULL, NULL, G_TYPE_OBJECT,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SHOW_TRAILS] =
    g_param_spec_boolean ("show-trails", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_css_name (widget_class, "cd-map-layer");
}

static void
cd_map_layer_init (CdMapLayer *self)
{
  AdwStyleManager *manager = adw_style_manager_get_default ();
  Layout *l = &self->layout;

  self->ticket_entries = g_ptr_array_new_with_free_func (ticket_entry_free);
  self->crew_entries = g_ptr_array_new_with_free_func (crew_entry_free);
  self->entries = g_hash_table_new (NULL, NULL);
  self->symbols = g_hash_table_new_full (NULL, NULL, NULL, symbol_free);
  self->count_layouts = g_hash_table_new_full (NULL, NULL, NULL, g_object_unref);
  self->now = g_get_real_time () / G_USEC_PER_SEC;
  self->next_sla_change = G_MAXINT64;
  self->texture_scale = 1;
  cd_map_filter_init (&self->filter);

  l->points = g_array_new (FALSE, FALSE, sizeof (CdMapPoint));
  l->singles = g_array_new (FALSE, FALSE, sizeof (CdMapPoint));
  l->clusters = g_array_new (FALSE, FALSE, sizeof (CdMapCluster));
  l->tickets = g_array_new (FALSE, FALSE, sizeof (Drawn));
  l->ticket_clusters = g_array_new (FALSE, FALSE, sizeof (DrawnCluster));
  l->crews = g_array_new (FALSE, FALSE, sizeof (Drawn));
  l->crew_clusters = g_array_new (FALSE, FALSE, sizeof (DrawnCluster));
  l->targets = g_array_new (FALSE, FALSE, sizeof (CdMapTarget));
  l->hits = g_array_new (FALSE, FALSE, sizeof (HitRef));

  self->dark_id = g_signal_connect_swapped (manager, "notify::dark", G_CALLBACK (style_changed_cb), self);
  self->contrast_id = g_signal_connect_swapped (manager, "notify::high-contrast",
                                                G_CALLBACK (style_changed_cb), self);
  g_signal_connect (self, "notify::scale-factor", G_CALLBACK (gtk_widget_queue_draw), NULL);
}

/* Public API ------------------------------------------------------------- */

CdMapLayer *
cd_map_layer_new (ShumateViewport *viewport)
{
  g_return_val_if_fail (SHUMATE_IS_VIEWPORT (viewport), NULL);

  return g_object_new (CD_TYPE_MAP_LAYER, "viewport", viewport, NULL);
}

void
cd_map_layer_set_models (CdMapLayer *self,
                         GListModel *tickets,
                         GListModel *crews)
{
  g_return_if_fail (CD_IS_MAP_LAYER (self));
  g_return_if_fail (tickets == NULL || G_IS_LIST_MODEL (tickets));
  g_return_if_fail (crews == NULL || G_IS_LIST_MODEL (crews));

  if (self->tickets != tickets)
    {
      if (self->tickets != NULL)
        {
          tickets_changed_cb (self->tickets, 0, self->ticket_entries->len, 0, self);
          g_clear_signal_handler (&self->tickets_changed_id, self->tickets);
          g_clear_object (&self->tickets);
        }
      if (tickets != NULL)
        {
          self->tickets = g_object_ref (tickets);
          self->tickets_changed_id = g_signal_connect (tickets, "items-changed",
                                                       G_CALLBACK (tickets_changed_cb), self);
          tickets_changed_cb (tickets, 0, 0, g_list_model_get_n_items (tickets), self);
        }
    }

  if (self->crews != crews)
    {
      if (self->crews != NULL)
        {
          crews_changed_cb (self->crews, 0, self->crew_entries->len, 0, self);
          g_clear_signal_handler (&self->crews_changed_id, self->crews);
          g_clear_object (&self->crews);
        }
      if (crews != NULL)
        {
          self->crews = g_object_ref (crews);
          self->crews_changed_id = g_signal_connect (crews, "items-changed",
                                                     G_CALLBACK (crews_changed_cb), self);
          crews_changed_cb (crews, 0, 0, g_list_model_get_n_items (crews), self);
        }
    }
}

void
cd_map_layer_set_policies (CdMapLayer     *self,
                           CdSlaPolicySet *policies)
{
  g_return_if_fail (CD_IS_MAP_LAYER (self));
  g_return_if_fail (policies == NULL || CD_IS_SLA_POLICY_SET (policies));

  if (!g_set_object (&self->policies, policies))
    return;

  self->next_sla_change = G_MAXINT64;
  for (guint i = 0; i < self->ticket_entries->len; i++)
    ticket_entry_refresh (self, g_ptr_array_index (self->ticket_entries, i));
  invalidate (self);
}

void
cd_map_layer_set_now (CdMapLayer *self,
                      gint64      now)
{
  gboolean changed = FALSE;

  g_return_if_fail (CD_IS_MAP_LAYER (self));

  self->now = now;
  if (now < self->next_sla_change)
    return;

  /* Only the tickets whose colour is due to change are evaluated. */
  self->next_sla_change = G_MAXINT64;
  for (guint i = 0; i < self->ticket_entries->len; i++)
    {
      TicketEntry *entry = g_ptr_array_index (self->ticket_entries, i);

      if (entry->sla_until <= now)
        {
          CdMapSla before = entry->sla;

          ticket_entry_refresh (self, entry);
          changed |= before != entry->sla;
        }
      else
        {
          self->next_sla_change = MIN (self->next_sla_change, entry->sla_until);
        }
    }

  if (changed)
    invalidate (self);
}

void
cd_map_layer_set_filter (CdMapLayer        *self,
                         const CdMapFilter *filter)
{
  g_return_if_fail (CD_IS_MAP_LAYER (self));
  g_return_if_fail (filter != NULL);

  if (cd_map_filter_equal (&self->filter, filter))
    return;

  cd_map_filter_copy (filter, &self->filter);
  for (guint i = 0; i < self->ticket_entries->len; i++)
    {
      TicketEntry *entry = g_ptr_array_index (self->ticket_entries, i);

      entry->shown = entry->has_position && cd_map_filter_match_ticket (&self->filter, entry->ticket);
    }
  for (guint i = 0; i < self->crew_entries->len; i++)
    {
      CrewEntry *entry = g_ptr_array_index (self->crew_entries, i);

      entry->shown = entry->has_position && cd_map_filter_match_crew (&self->filter, entry->crew);
    }
  invalidate (self);
}

const CdMapFilter *
cd_map_layer_get_filter (CdMapLayer *self)
{
  g_return_val_if_fail (CD_IS_MAP_LAYER (self), NULL);

  return &self->filter;
}

void
cd_map_layer_crew_moved (CdMapLayer *self,
                         CdCrew     *crew)
{
  CrewEntry *entry;

  g_return_if_fail (CD_IS_MAP_LAYER (self));
  g_return_if_fail (CD_IS_CREW (crew));

  entry = g_hash_table_lookup (self->entries, crew);
  if (entry == NULL)
    return;

  crew_entry_refresh (self, entry);
  invalidate (self);
}

void
cd_map_layer_set_selected (CdMapLayer *self,
                           gpointer    item)
{
  g_return_if_fail (CD_IS_MAP_LAYER (self));
  g_return_if_fail (item == NULL || CD_IS_TICKET (item) || CD_IS_CREW (item));

  if (!g_set_object (&self->selected, item))
    return;

  invalidate (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SELECTED]);
}

gpointer
cd_map_layer_get_selected (CdMapLayer *self)
{
  g_return_val_if_fail (CD_IS_MAP_LAYER (self), NULL);

  return self->selected;
}

gpointer
cd_map_layer_step_selection (CdMapLayer *self,
                             CdMapStep   step)
{
  Layout *l = &self->layout;
  g_autoptr(GArray) points = NULL;
  gint current = -1, next = -1;

  g_return_val_if_fail (CD_IS_MAP_LAYER (self), NULL);

  if (!ensure_layout (self) || l->tickets->len == 0)
    return NULL;

  points = g_array_sized_new (FALSE, FALSE, sizeof (CdMapPoint), l->tickets->len);
  for (guint i = 0; i < l->tickets->len; i++)
    {
      Drawn *d = &g_array_index (l->tickets, Drawn, i);
      TicketEntry *entry = g_ptr_array_index (self->ticket_entries, d->entry);
      CdMapPoint p = { d->x, d->y, i, 0 };

      /* Only what is on screen, not what is just past the edge. */
      if (d->x < 0 || d->y < 0 || d->x > l->width || d->y > l->height)
        continue;
      if ((GObject *) entry->ticket == self->selected)
        current = (gint) points->len;
      g_array_append_val (points, p);
    }
  if (points->len == 0)
    return NULL;

  switch (step)
    {
    case CD_MAP_STEP_NEXT:
    case CD_MAP_STEP_PREVIOUS:
      next = cd_map_step_reading_order ((CdMapPoint *) (gpointer) points->data, points->len, current, 24.0,
                                        step == CD_MAP_STEP_PREVIOUS);
      break;

    case CD_MAP_STEP_LEFT:
    case CD_MAP_STEP_RIGHT:
    case CD_MAP_STEP_UP:
    case CD_MAP_STEP_DOWN:
      if (current < 0)
        {
          /* Nothing selected yet: start at the one nearest the centre. */
          double best = INFINITY;

          for (guint i = 0; i < points->len; i++)
            {
              CdMapPoint *p = &g_array_index (points, CdMapPoint, i);
              double d = hypot (p->x - l->width / 2.0, p->y - l->height / 2.0);

              if (d < best)
                {
                  best = d;
                  next = (gint) i;
                }
            }
        }
      else
        {
          double dx = step == CD_MAP_STEP_LEFT ? -1 : step == CD_MAP_STEP_RIGHT ? 1 : 0;
          double dy = step == CD_MAP_STEP_UP ? -1 : step == CD_MAP_STEP_DOWN ? 1 : 0;

          next = cd_map_step_direction ((CdMapPoint *) (gpointer) points->data, points->len,
                                        (guint) current, dx, dy);
        }
      break;

    default:
      g_assert_not_reached ();
    }

  if (next < 0)
    return NULL;

  {
    guint drawn = g_array_index (points, CdMapPoint, next).id;
    Drawn *d = &g_array_index (l->tickets, Drawn, drawn);
    TicketEntry *entry = g_ptr_array_index (self->ticket_entries, d->entry);

    cd_map_layer_set_selected (self, entry->ticket);
    return entry->ticket;
  }
}

void
cd_map_layer_set_show_trails (CdMapLayer *self,
                              gboolean    show_trails)
{
  g_return_if_fail (CD_IS_MAP_LAYER (self));

  show_trails = !!show_trails;
  if (self->show_trails == show_trails)
    return;

  self->show_trails = show_trails;
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SHOW_TRAILS]);
}

gboolean
cd_map_layer_get_show_trails (CdMapLayer *self)
{
  g_return_val_if_fail (CD_IS_MAP_LAYER (self), FALSE);

  return self->show_trails;
}

void
cd_map_layer_set_show_crosshair (CdMapLayer *self,
                                 gboolean    show)
{
  g_return_if_fail (CD_IS_MAP_LAYER (self));

  self->show_crosshair = !!show;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
cd_map_layer_set_show_focus (CdMapLayer *self,
                             gboolean    show)
{
  g_return_if_fail (CD_IS_MAP_LAYER (self));

  self->show_focus = !!show;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
cluster_bounds (const Layout       *l,
                const CdMapCluster *c,
                CdMapHit           *hit)
{
  cd_map_unproject (c->min_x / l->size, c->min_y / l->size, &hit->north, &hit->west);
  cd_map_unproject (c->max_x / l->size, c->max_y / l->size, &hit->south, &hit->east);
}

gboolean
cd_map_layer_hit_test (CdMapLayer *self,
                       double      x,
                       double      y,
                       CdMapHit   *hit)
{
  Layout *l = &self->layout;
  HitRef *ref;
  gint found;

  g_return_val_if_fail (CD_IS_MAP_LAYER (self), FALSE);
  g_return_val_if_fail (hit != NULL, FALSE);

  memset (hit, 0, sizeof *hit);
  if (!ensure_layout (self))
    return FALSE;

  found = cd_map_hit_test ((CdMapTarget *) (gpointer) l->targets->data, l->targets->len, x, y, HIT_SLOP);
  if (found < 0)
    return FALSE;

  ref = &g_array_index (l->hits, HitRef, found);
  hit->count = 1;
  switch (ref->kind)
    {
    case LAYER_TICKET:
      {
        Drawn *d = &g_array_index (l->tickets, Drawn, ref->index);

        hit->kind = CD_MAP_HIT_TICKET;
        hit->item = ((TicketEntry *) g_ptr_array_index (self->ticket_entries, d->entry))->ticket;
        hit->x = d->x;
        hit->y = d->y;
      }
      break;

    case LAYER_CREW:
      {
        Drawn *d = &g_array_index (l->crews, Drawn, ref->index);

        hit->kind = CD_MAP_HIT_CREW;
        hit->item = ((CrewEntry *) g_ptr_array_index (self->crew_entries, d->entry))->crew;
        hit->x = d->x;
        hit->y = d->y;
      }
      break;

    case LAYER_TICKET_CLUSTER:
    case LAYER_CREW_CLUSTER:
      {
        gboolean crews = ref->kind == LAYER_CREW_CLUSTER;
        DrawnCluster *dc = &g_array_index (crews ? l->crew_clusters : l->ticket_clusters,
                                           DrawnCluster, ref->index);

        hit->kind = crews ? CD_MAP_HIT_CREW_CLUSTER : CD_MAP_HIT_TICKET_CLUSTER;
        hit->item = crews
          ? (gpointer) ((CrewEntry *) g_ptr_array_index (self->crew_entries, dc->cluster.top))->crew
          : (gpointer) ((TicketEntry *) g_ptr_array_index (self->ticket_entries, dc->cluster.top))->ticket;
        hit->count = dc->cluster.count;
        hit->x = dc->x;
        hit->y = dc->y;
        cluster_bounds (l, &dc->cluster, hit);
      }
      break;

    default:
      g_assert_not_reached ();
    }

  return TRUE;
}

gboolean
cd_map_layer_get_item_position (CdMapLayer *self,
                                gpointer    item,
                                double     *x,
                                double     *y)
{
  Layout *l = &self->layout;

  g_return_val_if_fail (CD_IS_MAP_LAYER (self), FALSE);
  g_return_val_if_fail (x != NULL && y != NULL, FALSE);

  if (item == NULL || !ensure_layout (self))
    return FALSE;

  if (CD_IS_TICKET (item))
    {
      for (guint i = 0; i < l->tickets->len; i++)
        {
          Drawn *d = &g_array_index (l->tickets, Drawn, i);

          if (((TicketEntry *) g_ptr_array_index (self->ticket_entries, d->entry))->ticket == item)
            {
              *x = d->x;
              *y = d->y;
              return TRUE;
            }
        }
    }
  else if (CD_IS_CREW (item))
    {
      for (guint i = 0; i < l->crews->len; i++)
        {
          Drawn *d = &g_array_index (l->crews, Drawn, i);

          if (((CrewEntry *) g_ptr_array_index (self->crew_entries, d->entry))->crew == item)
            {
              *x = d->x;
              *y = d->y;
              return TRUE;
            }
        }
    }

  return FALSE;
}

gboolean
cd_map_layer_get_bounds (CdMapLayer *self,
                         double     *south,
                         double     *west,
                         double     *north,
                         double     *east)
{
  double s = INFINITY, w = INFINITY, n = -INFINITY, e = -INFINITY;

  g_return_val_if_fail (CD_IS_MAP_LAYER (self), FALSE);

  for (guint i = 0; i < self->ticket_entries->len; i++)
    {
      TicketEntry *entry = g_ptr_array_index (self->ticket_entries, i);

      if (!entry->shown)
        continue;
      s = MIN (s, entry->ticket->lat);
      n = MAX (n, entry->ticket->lat);
      w = MIN (w, entry->ticket->lon);
      e = MAX (e, entry->ticket->lon);
    }
  for (guint i = 0; i < self->crew_entries->len; i++)
    {
      CrewEntry *entry = g_ptr_array_index (self->crew_entries, i);

      if (!entry->shown)
        continue;
      s = MIN (s, entry->motion.to_lat);
      n = MAX (n, entry->motion.to_lat);
      w = MIN (w, entry->motion.to_lon);
      e = MAX (e, entry->motion.to_lon);
    }

  if (s > n)
    return FALSE;

  *south = s;
  *west = w;
  *north = n;
  *east = e;
  return TRUE;
}

void
cd_map_layer_count_shown (CdMapLayer *self,
                          guint      *n_tickets,
                          guint      *n_crews)
{
  guint t = 0, c = 0;

  g_return_if_fail (CD_IS_MAP_LAYER (self));

  for (guint i = 0; i < self->ticket_entries->len; i++)
    t += ((TicketEntry *) g_ptr_array_index (self->ticket_entries, i))->shown;
  for (guint i = 0; i < self->crew_entries->len; i++)
    c += ((CrewEntry *) g_ptr_array_index (self->crew_entries, i))->shown;

  if (n_tickets != NULL)
    *n_tickets = t;
  if (n_crews != NULL)
    *n_crews = c;
}

void
cd_map_layer_get_stats (CdMapLayer      *self,
                        CdMapLayerStats *stats)
{
  gint64 now;

  g_return_if_fail (CD_IS_MAP_LAYER (self));
  g_return_if_fail (stats != NULL);

  *stats = self->stats;
  stats->n_moving = 0;
  now = g_get_monotonic_time ();
  for (guint i = 0; i < self->crew_entries->len; i++)
    {
      CrewEntry *entry = g_ptr_array_index (self->crew_entries, i);

      stats->n_moving += entry->motion.start + entry->motion.duration > now;
    }
}
