/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "cd-model.h"

/* Initialises every model class, so cd_record_type_from_kind() knows each
 * kind before the first row of it is read. */
void
cd_model_init (void)
{
  static gsize done = 0;

  if (g_once_init_enter (&done))
    {
      GType types[] = {
        CD_TYPE_TICKET, CD_TYPE_SLA_PAUSE, CD_TYPE_CREW, CD_TYPE_SLA_POLICY,
        CD_TYPE_CALLBACK, CD_TYPE_CALLBACK_ATTEMPT, CD_TYPE_ASSIGNMENT_EVENT,
        CD_TYPE_USER,
      };

      for (guint i = 0; i < G_N_ELEMENTS (types); i++)
        g_type_class_ref (types[i]);

      g_once_init_leave (&done, 1);
    }
}

/* The wire spelling of an enum value, or NULL when it has none. */
const char *
cd_enum_to_nick (GType enum_type,
                 gint  value)
{
  /* Enum classes are static: keeping the reference costs nothing. */
  GEnumClass *klass = g_type_class_ref (enum_type);
  GEnumValue *v = g_enum_get_value (klass, value);

  return v ? v->value_nick : NULL;
}
