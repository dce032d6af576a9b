/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include "cd-dispatch.h"

gboolean
cd_dispatch_is_candidate (CdTicket *ticket)
{
  g_return_val_if_fail (CD_IS_TICKET (ticket), FALSE);

  return ticket->status == CD_TICKET_STATUS_NEW && ticket->crew_id == NULL && !ticket->pinned;
}

/* Index of @word in @vocab, adding it while there is room; -1 when full. */
static gint
vocab_index (GPtrArray  *vocab,
             const char *word,
             guint       max)
{
  for (guint i = 0; i < vocab->len; i++)
    if (strcmp (g_ptr_array_index (vocab, i), word) == 0)
      return (gint) i;

  if (vocab->len >= max)
    return -1;

  g_ptr_array_add (vocab, (gpointer) word);
  return (gint) vocab->len - 1;
}

static gint
compare_created (gconstpointer a,
                 gconstpointer b)
{
  CdTicket *ta = *(CdTicket **) a;
  CdTicket *tb = *(CdTicket **) b;

  if (ta->created_at != tb->created_at)
    return ta->created_at < tb->created_at ? -1 : 1;
  return g_strcmp0 (CD_RECORD (ta)->id, CD_RECORD (tb)->id);
}

static gint
compare_ids (gconstpointer a,
             gconstpointer b)
{
  return g_strcmp0 (CD_RECORD (*(gpointer *) a)->id, CD_RECORD (*(gpointer *) b)->id);
}

GArray *
cd_dispatch_plan (const CdMatchParams  *params,
                  GPtrArray            *tickets,
                  GPtrArray            *crews,
                  gint64                now,
                  double               *total_cost,
                  GError              **error)
{
  g_autoptr(GPtrArray) skills = g_ptr_array_new ();
  g_autoptr(GPtrArray) areas = g_ptr_array_new ();
  g_autoptr(GPtrArray) candidates = g_ptr_array_new ();
  g_autoptr(GPtrArray) sorted_crews = g_ptr_array_new ();
  g_autoptr(GHashTable) crew_index = g_hash_table_new (g_str_hash, g_str_equal);
  g_autofree CdMatchTicket *mt = NULL;
  g_autofree CdMatchCrew *mc = NULL;
  g_autofree gint *out = NULL;
  GArray *plan;

  g_return_val_if_fail (params != NULL, NULL);
  g_return_val_if_fail (tickets != NULL && crews != NULL, NULL);

  /* Sorted inputs make the plan independent of the order rows arrived. */
  for (guint i = 0; i < crews->len; i++)
    g_ptr_array_add (sorted_crews, g_ptr_array_index (crews, i));
  g_ptr_array_sort (sorted_crews, compare_ids);
  for (guint i = 0; i < tickets->len; i++)
    if (cd_dispatch_is_candidate (g_ptr_array_index (tickets, i)))
      g_ptr_array_add (candidates, g_ptr_array_index (tickets, i));
  g_ptr_array_sort (candidates, compare_created);

  mc = g_new0 (CdMatchCrew, MAX (sorted_crews->len, 1));
  for (guint i = 0; i < sorted_crews->len; i++)
    {
      CdCrew *crew = g_ptr_array_index (sorted_crews, i);

      g_hash_table_insert (crew_index, CD_RECORD (crew)->id, GUINT_TO_POINTER (i + 1));
      mc[i].lat = crew->position_at != 0 ? crew->lat : NAN;
      mc[i].lon = crew->position_at != 0 ? crew->lon : NAN;
      mc[i].utility = crew->utility;
      mc[i].on_shift = cd_crew_is_on_shift (crew, now);
      mc[i].capacity = (guint) CLAMP (crew->capacity, 0, G_MAXINT);
    }

  /* Loads: every open ticket already on a crew. */
  for (guint i = 0; i < tickets->len; i++)
    {
      CdTicket *t = g_ptr_array_index (tickets, i);
      guint c = t->crew_id ? GPOINTER_TO_UINT (g_hash_table_lookup (crew_index, t->crew_id)) : 0;

      if (c > 0 && cd_ticket_is_open (t))
        mc[c - 1].load++;
    }

  /* Skills and areas become bits, in the order the candidates name them;
   * a 65th distinct skill makes its tickets unmatchable rather than
   * silently matchable. */
  mt = g_new0 (CdMatchTicket, MAX (candidates->len, 1));
  for (guint i = 0; i < candidates->len; i++)
    {
      CdTicket *t = g_ptr_array_index (candidates, i);

      mt[i].lat = t->lat;
      mt[i].lon = t->lon;
      mt[i].utility = t->utility;
      mt[i].urgency = t->urgency;
      mt[i].pinned = FALSE;
      mt[i].assigned_crew = -1;
      mt[i].area = t->area ? vocab_index (areas, t->area, CD_MATCH_MAX_AREAS) : -1;
      for (guint k = 0; t->skills && t->skills[k]; k++)
        {
          gint bit = vocab_index (skills, t->skills[k], 64);

          if (bit < 0)
            mt[i].lat = NAN;
          else
            mt[i].skills_required |= G_GUINT64_CONSTANT (1) << bit;
        }
    }

  for (guint i = 0; i < sorted_crews->len; i++)
    {
      CdCrew *crew = g_ptr_array_index (sorted_crews, i);

      for (guint k = 0; k < skills->len; k++)
        if (cd_crew_has_skill (crew, g_ptr_array_index (skills, k)))
          mc[i].skills |= G_GUINT64_CONSTANT (1) << k;
      for (guint k = 0; k < areas->len; k++)
        if (cd_crew_serves_area (crew, g_ptr_array_index (areas, k)))
          mc[i].areas |= G_GUINT64_CONSTANT (1) << k;
    }

  out = g_new0 (gint, MAX (candidates->len, 1));
  if (!cd_match_batch (params, mt, candidates->len, mc, sorted_crews->len, out, total_cost, error))
    return NULL;

  plan = g_array_new (FALSE, TRUE, sizeof (CdDispatchProposal));
  for (guint i = 0; i < candidates->len; i++)
    {
      CdDispatchProposal p;
      CdMatchScore score;

      if (out[i] < 0)
        continue;

      p.ticket = g_ptr_array_index (candidates, i);
      p.crew = g_ptr_array_index (sorted_crews, out[i]);
      cd_match_score (params, &mt[i], &mc[out[i]], out[i], &score);
      p.cost = score.total;
      g_array_append_val (plan, p);
    }

  return plan;
}
