/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-user.h: a person (or a crew's device) and their role. The password
 * hash is not part of the model: only the server's store ever sees it. */
#pragma once

#include "cd-enums.h"
#include "cd-record.h"

G_BEGIN_DECLS

#define CD_TYPE_USER (cd_user_get_type ())
G_DECLARE_FINAL_TYPE (CdUser, cd_user, CD, USER, CdRecord)

struct _CdUser
{
  CdRecord parent_instance;

  char     *username;
  char     *display_name;
  CdRole    role;
  char     *crew_id;     /* crew devices: the only crew they may report for */
  gboolean  active;
  gint64    updated_at;
};

CdUser     *cd_user_new             (void);
const char *cd_role_to_string       (CdRole role);

G_END_DECLS
