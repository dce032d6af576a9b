/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-sla-policy.h: one row of the time-limit policy, keyed by
 * category x urgency x area class. A limit of 0 minutes means "none". */
#pragma once

#include "cd-enums.h"
#include "cd-record.h"

G_BEGIN_DECLS

#define CD_TYPE_SLA_POLICY (cd_sla_policy_get_type ())
G_DECLARE_FINAL_TYPE (CdSlaPolicy, cd_sla_policy, CD, SLA_POLICY, CdRecord)

struct _CdSlaPolicy
{
  CdRecord parent_instance;

  CdCategory      category;
  CdUrgency       urgency;
  CdAreaClass     area_class;
  gint64          first_response_min;
  gint64          on_site_min;
  gint64          resolved_min;
  CdCalendarKind  calendar;
  double          warning_share;
  gboolean        auto_dispatch;
  gint64          updated_at;
};

CdSlaPolicy *cd_sla_policy_new (void);

G_END_DECLS
