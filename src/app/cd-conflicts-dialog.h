/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-conflicts-dialog.h: the changes the server refused, side by side with
 * what it has now; retry against the new state, or discard. */
#pragma once

#include <adwaita.h>

#include "cd-context.h"
#include "cd-store.h"

G_BEGIN_DECLS

#define CD_TYPE_CONFLICTS_DIALOG (cd_conflicts_dialog_get_type ())
G_DECLARE_FINAL_TYPE (CdConflictsDialog, cd_conflicts_dialog, CD, CONFLICTS_DIALOG, AdwWindow)

GtkWindow *cd_conflicts_dialog_new      (CdContext       *context);
/* Re-reads the list (it follows the context by itself). */
void       cd_conflicts_dialog_refresh  (CdConflictsDialog *self);
guint      cd_conflicts_dialog_get_n_items (CdConflictsDialog *self);

/* Plain functions, tested without a display. */
/* "Assign HT-0001 to Crew 7", from the mutation's JSON text. */
char      *cd_conflict_describe         (CdContext       *context,
                                         const CdStoreConflict *conflict);
/* The members that differ between the two JSON texts, one line each:
 * "status: assigned → on-site". NULL when either is missing. */
char      *cd_conflict_describe_changes (const char      *mine,
                                         const char      *current);

G_END_DECLS
