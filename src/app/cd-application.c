/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "cd-application.h"

struct _CdApplication
{
  AdwApplication parent_instance;
};

G_DEFINE_FINAL_TYPE (CdApplication, cd_application, ADW_TYPE_APPLICATION)

static void
cd_application_class_init (CdApplicationClass *klass)
{
}

static void
cd_application_init (CdApplication *self)
{
}

CdApplication *
cd_application_new (void)
{
  return g_object_new (CD_TYPE_APPLICATION,
                       "application-id", APP_ID,
                       "flags", G_APPLICATION_DEFAULT_FLAGS,
                       NULL);
}
