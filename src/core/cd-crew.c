/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "cd-crew.h"
#include "cd-enum-types.h"

G_DEFINE_FINAL_TYPE (CdCrew, cd_crew, CD_TYPE_RECORD)

#define C(name) G_STRUCT_OFFSET (CdCrew, name)

static const CdField crew_fields[] = {
  { "name", NULL, CD_FIELD_STRING, C (name), CD_FIELD_REQUIRED, 100 },
  { "utility", NULL, CD_FIELD_ENUM, C (utility), CD_FIELD_REQUIRED, 0, 0, 0, cd_utility_get_type },
  { "status", NULL, CD_FIELD_ENUM, C (status), 0, 0, 0, 0, cd_crew_status_get_type },
  { "members", NULL, CD_FIELD_STRV, C (members), 0, 16 },
  { "skills", NULL, CD_FIELD_STRV, C (skills), 0, 32 },
  { "areas", NULL, CD_FIELD_STRV, C (areas), 0, 64 },
  { "phone", NULL, CD_FIELD_STRING, C (phone), 0, 40 },
  { "capacity", NULL, CD_FIELD_INT, C (capacity), 0, 0, 0, 50 },
  { "start", "shift", CD_FIELD_TIME, C (shift_start) },
  { "end", "shift", CD_FIELD_TIME, C (shift_end) },
  { "lat", "position", CD_FIELD_LATITUDE, C (lat) },
  { "lon", "position", CD_FIELD_LONGITUDE, C (lon) },
  { "heading", "position", CD_FIELD_DOUBLE, C (heading), 0, 0, 0, 360 },
  { "speed_kmh", "position", CD_FIELD_DOUBLE, C (speed_kmh), 0, 0, 0, 400 },
  { "at", "position", CD_FIELD_TIME, C (position_at) },
  { "updated_at", NULL, CD_FIELD_TIME, C (updated_at) },
};

static void
cd_crew_class_init (CdCrewClass *klass)
{
  cd_record_class_install_fields (CD_RECORD_CLASS (klass), "crew", TRUE,
                                  crew_fields, G_N_ELEMENTS (crew_fields));
}

static void
cd_crew_init (CdCrew *self)
{
  self->capacity = 1;
}

CdCrew *
cd_crew_new (void)
{
  return g_object_new (CD_TYPE_CREW, NULL);
}

/* A crew without shift times is taken to be always on shift. */
gboolean
cd_crew_is_on_shift (CdCrew *self,
                     gint64  now)
{
  g_return_val_if_fail (CD_IS_CREW (self), FALSE);

  if (self->status == CD_CREW_STATUS_OFF_SHIFT)
    return FALSE;
  if (self->shift_start != 0 && now < self->shift_start)
    return FALSE;
  if (self->shift_end != 0 && now >= self->shift_end)
    return FALSE;

  return TRUE;
}

gboolean
cd_crew_has_skill (CdCrew     *self,
                   const char *skill)
{
  g_return_val_if_fail (CD_IS_CREW (self), FALSE);

  return self->skills != NULL && g_strv_contains ((const char * const *) self->skills, skill);
}

gboolean
cd_crew_serves_area (CdCrew     *self,
                     const char *area)
{
  g_return_val_if_fail (CD_IS_CREW (self), FALSE);

  return area != NULL && self->areas != NULL &&
         g_strv_contains ((const char * const *) self->areas, area);
}
