/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-store-private.h: what the store's tests and benchmark may reach. */
#pragma once

#include <sqlite3.h>

#include "cd-store.h"

G_BEGIN_DECLS

/* The connection, for PRAGMAs a test needs (max_page_count). */
sqlite3    *_cd_store_get_db  (CdStore    *self);

/* The SQL of a prepared statement by name ("open_tickets.area",
 * "changes", "ticket.load", ...), for EXPLAIN QUERY PLAN; NULL if unknown. */
const char *_cd_store_get_sql (CdStore    *self,
                               const char *name);

G_END_DECLS
