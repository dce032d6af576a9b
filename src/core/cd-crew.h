/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-crew.h: a field crew, its skills, shift and last reported position. */
#pragma once

#include "cd-enums.h"
#include "cd-record.h"

G_BEGIN_DECLS

#define CD_TYPE_CREW (cd_crew_get_type ())
G_DECLARE_FINAL_TYPE (CdCrew, cd_crew, CD, CREW, CdRecord)

struct _CdCrew
{
  CdRecord parent_instance;

  char         *name;
  CdUtility     utility;
  CdCrewStatus  status;
  char        **members;
  char        **skills;
  char        **areas;        /* service area ids */
  char         *phone;
  gint64        capacity;     /* tickets carried at once */
  gint64        shift_start;
  gint64        shift_end;

  /* Last position report; position_at == 0 when none arrived yet. */
  double        lat;
  double        lon;
  double        heading;      /* degrees clockwise from north */
  double        speed_kmh;
  gint64        position_at;

  gint64        updated_at;
};

CdCrew   *cd_crew_new          (void);
gboolean  cd_crew_is_on_shift  (CdCrew *self,
                                gint64  now);
gboolean  cd_crew_has_skill    (CdCrew     *self,
                                const char *skill);
gboolean  cd_crew_serves_area  (CdCrew     *self,
                                const char *area);

G_END_DECLS
