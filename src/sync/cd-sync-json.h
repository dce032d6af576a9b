/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-sync-json.h: one-pass strict JSON parsing of the server's replies.
 *
 * The same contract as cd_json_parse() (RFC 8259 only, UTF-8 only, depth
 * bounded, one document and nothing after it; a CD_CODEC_ERROR
 * otherwise) and the same tree json-glib builds (integers as gint64,
 * other numbers as double), in one pass instead of a depth scan, a strict
 * scan and json-glib's tokenizer: the changes feed of a first sync is
 * hundreds of megabytes. Stricter on three points: "\u0000" and unpaired
 * surrogate escapes are refused, as they cannot be C strings, and so are
 * integers beyond 64 bits, which json-glib turns into garbage.
 */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

JsonNode *_cd_sync_json_parse (const char  *data,
                               gsize        length,
                               guint        max_depth,
                               GError     **error);

G_END_DECLS
