/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-json.h: bounded JSON parsing and the codec's error domain. */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define CD_CODEC_ERROR (cd_codec_error_quark ())

typedef enum {
  CD_CODEC_ERROR_MALFORMED,     /* not JSON at all */
  CD_CODEC_ERROR_TOO_LARGE,     /* over the byte limit */
  CD_CODEC_ERROR_TOO_DEEP,      /* nesting over the depth limit */
  CD_CODEC_ERROR_WRONG_TYPE,    /* a member of the wrong JSON type */
  CD_CODEC_ERROR_MISSING_FIELD, /* a required member is absent or null */
  CD_CODEC_ERROR_UNKNOWN_FIELD, /* strict decoding met a member it does not know */
  CD_CODEC_ERROR_BAD_ENUM,      /* a string that names no value of the enum */
  CD_CODEC_ERROR_OUT_OF_RANGE,  /* a number or coordinate outside its range */
  CD_CODEC_ERROR_TOO_LONG,      /* a string or list over its length limit */
  CD_CODEC_ERROR_BAD_VALUE,     /* a malformed time, UUID and the like */
} CdCodecError;

GQuark cd_codec_error_quark (void);

/* Limits for untrusted input; the server and the client share them. */
#define CD_JSON_MAX_DEPTH 32
#define CD_JSON_MAX_BYTES (8 * 1024 * 1024)

guint     cd_json_scan_depth (const char *data,
                              gsize       length);
gssize    cd_json_check_strict (const char *data,
                                gsize       length);
JsonNode *cd_json_parse      (const char *data,
                              gssize      length,
                              gsize       max_bytes,
                              guint       max_depth,
                              GError    **error);

char     *cd_json_to_string  (JsonNode   *node,
                              gsize      *length);
/* "a string", "an array"…: for error messages, translated. */
const char *cd_json_node_describe (JsonNode *node);

/* Times travel as ISO 8601 UTC strings; in memory they are Unix seconds and
 * 0 means "not set". */
char     *cd_json_format_time (gint64       unix_seconds);
gboolean  cd_json_parse_time  (const char  *text,
                               gint64      *unix_seconds);

G_END_DECLS
