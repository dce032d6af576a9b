/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "cd-enum-types.h"
#include "cd-sla-policy.h"

G_DEFINE_FINAL_TYPE (CdSlaPolicy, cd_sla_policy, CD_TYPE_RECORD)

#define P(name) G_STRUCT_OFFSET (CdSlaPolicy, name)
#define MINUTES_MAX (366.0 * 24 * 60)

static const CdField policy_fields[] = {
  { "category", NULL, CD_FIELD_ENUM, P (category), CD_FIELD_REQUIRED, 0, 0, 0, cd_category_get_type },
  { "urgency", NULL, CD_FIELD_ENUM, P (urgency), CD_FIELD_REQUIRED, 0, 0, 0, cd_urgency_get_type },
  { "area_class", NULL, CD_FIELD_ENUM, P (area_class), CD_FIELD_REQUIRED, 0, 0, 0, cd_area_class_get_type },
  { "first_response_min", NULL, CD_FIELD_INT, P (first_response_min), 0, 0, 0, MINUTES_MAX },
  { "on_site_min", NULL, CD_FIELD_INT, P (on_site_min), 0, 0, 0, MINUTES_MAX },
  { "resolved_min", NULL, CD_FIELD_INT, P (resolved_min), 0, 0, 0, MINUTES_MAX },
  { "calendar", NULL, CD_FIELD_ENUM, P (calendar), 0, 0, 0, 0, cd_calendar_kind_get_type },
  { "warning_share", NULL, CD_FIELD_DOUBLE, P (warning_share), 0, 0, 0, 1 },
  { "auto_dispatch", NULL, CD_FIELD_BOOLEAN, P (auto_dispatch) },
  { "updated_at", NULL, CD_FIELD_TIME, P (updated_at) },
};

static void
cd_sla_policy_class_init (CdSlaPolicyClass *klass)
{
  cd_record_class_install_fields (CD_RECORD_CLASS (klass), "sla_policy", TRUE,
                                  policy_fields, G_N_ELEMENTS (policy_fields));
}

static void
cd_sla_policy_init (CdSlaPolicy *self)
{
  self->warning_share = 0.25;
}

CdSlaPolicy *
cd_sla_policy_new (void)
{
  return g_object_new (CD_TYPE_SLA_POLICY, NULL);
}
