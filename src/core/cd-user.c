/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "cd-enum-types.h"
#include "cd-user.h"

G_DEFINE_FINAL_TYPE (CdUser, cd_user, CD_TYPE_RECORD)

#define U(name) G_STRUCT_OFFSET (CdUser, name)

static const CdField user_fields[] = {
  { "username", NULL, CD_FIELD_STRING, U (username), CD_FIELD_REQUIRED, 64 },
  { "display_name", NULL, CD_FIELD_STRING, U (display_name), 0, 128 },
  { "role", NULL, CD_FIELD_ENUM, U (role), CD_FIELD_REQUIRED, 0, 0, 0, cd_role_get_type },
  { "crew_id", NULL, CD_FIELD_UUID, U (crew_id), 0, 36 },
  { "active", NULL, CD_FIELD_BOOLEAN, U (active) },
  { "updated_at", NULL, CD_FIELD_TIME, U (updated_at) },
};

static void
cd_user_class_init (CdUserClass *klass)
{
  cd_record_class_install_fields (CD_RECORD_CLASS (klass), "user", TRUE,
                                  user_fields, G_N_ELEMENTS (user_fields));
}

static void
cd_user_init (CdUser *self)
{
  self->active = TRUE;
}

CdUser *
cd_user_new (void)
{
  return g_object_new (CD_TYPE_USER, NULL);
}

/* The role as the header bar shows it. */
const char *
cd_role_to_string (CdRole role)
{
  switch (role)
    {
    case CD_ROLE_DISPATCHER:
      return _("Dispatcher");
    case CD_ROLE_SUPERVISOR:
      return _("Shift Supervisor");
    case CD_ROLE_CALLBACK_AGENT:
      return _("Callback Agent");
    case CD_ROLE_MANAGER:
      return _("Manager");
    case CD_ROLE_ADMIN:
      return _("Administrator");
    case CD_ROLE_CREW_DEVICE:
      return _("Crew Device");
    default:
      return _("Unknown Role");
    }
}
