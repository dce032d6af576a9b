/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-model.h: every model type, and the one call that registers them. */
#pragma once

#include "cd-assignment-event.h"
#include "cd-callback.h"
#include "cd-crew.h"
#include "cd-enum-types.h"
#include "cd-enums.h"
#include "cd-json.h"
#include "cd-record.h"
#include "cd-sla-policy.h"
#include "cd-ticket.h"
#include "cd-user.h"

G_BEGIN_DECLS

void        cd_model_init   (void);
const char *cd_enum_to_nick (GType enum_type,
                             gint  value);

G_END_DECLS
