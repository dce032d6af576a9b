/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-areas.h: the service areas the server knows, as polygons, so intake
 * can tell which area a reported point lies in and its area class.
 *
 * Two sources: the demo city's districts (cd-city.h), or a JSON file an
 * administrator writes for the real territory:
 *
 *   { "areas": [ { "id": "eastbank", "area_class": "rural",
 *                  "polygon": [ [39.90, 116.62], [39.95, 116.62], … ] } ] }
 *
 * Each polygon is a list of [lat, lon] corners (at least three, WGS 84),
 * open or closed. Where polygons overlap, the first area listed wins.
 * Immutable once loaded: any thread may read it. */
#pragma once

#include <glib.h>

#include "cd-enums.h"

G_BEGIN_DECLS

typedef struct _CdAreas CdAreas;

CdAreas    *cd_areas_new_demo       (void);
CdAreas    *cd_areas_new_from_file  (const char   *path,
                                     GError      **error);
void        cd_areas_free           (CdAreas      *self);

guint       cd_areas_get_n          (CdAreas      *self);
/* The id of the area holding the point (and its class), or NULL. */
const char *cd_areas_find           (CdAreas      *self,
                                     double        lat,
                                     double        lon,
                                     CdAreaClass  *area_class);
/* Whether @id is a known area, and its class. */
gboolean    cd_areas_lookup         (CdAreas      *self,
                                     const char   *id,
                                     CdAreaClass  *area_class);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CdAreas, cd_areas_free)

G_END_DECLS
