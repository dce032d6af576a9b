/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-record.h: the base of every model type.
 *
 * Each subclass describes its fields once, in a static CdField table. From
 * that table CdRecord derives the GObject properties, the JSON encoding and
 * its validating decoder, equality, copying and change notification, so the
 * server, the client cache and the UI can never disagree on a field.
 *
 * Fields are plain struct members, readable directly (ticket->status). Code
 * that changes a record the UI may be showing goes through properties or
 * cd_record_update_from(), which notify.
 */
#pragma once

#include <glib-object.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef enum {
  CD_FIELD_STRING,
  CD_FIELD_INT,       /* gint64 */
  CD_FIELD_DOUBLE,
  CD_FIELD_BOOLEAN,
  CD_FIELD_ENUM,      /* gint, a registered GEnum; JSON carries the nick */
  CD_FIELD_TIME,      /* gint64 Unix seconds, 0 = unset; JSON: ISO 8601 UTC or null */
  CD_FIELD_STRV,      /* char **, NULL-terminated; JSON: array of strings */
  CD_FIELD_LATITUDE,  /* double in [-90, 90] */
  CD_FIELD_LONGITUDE, /* double in [-180, 180] */
  CD_FIELD_UUID,      /* char *, a UUID string or NULL */
  CD_FIELD_LIST,      /* GPtrArray of CdRecord (item_type); JSON: array of objects */
} CdFieldType;

typedef enum {
  CD_FIELD_REQUIRED = 1 << 0, /* decoding fails when absent or null */
  CD_FIELD_SECRET   = 1 << 1, /* never encoded (kept for the store only) */
} CdFieldFlags;

typedef struct {
  const char   *name;        /* JSON member, snake_case */
  const char   *group;       /* NULL, or the nested JSON object holding it */
  CdFieldType   type;
  gsize         offset;      /* G_STRUCT_OFFSET in the instance */
  CdFieldFlags  flags;
  gsize         max_length;  /* strings: bytes; strv and lists: items */
  double        min;         /* numbers, when min < max */
  double        max;
  GType       (*value_type) (void); /* the GEnum type, or the list item type */
} CdField;

typedef enum {
  CD_DECODE_DEFAULT = 0,
  CD_DECODE_STRICT  = 1 << 0, /* reject members the type does not know */
} CdDecodeFlags;

#define CD_TYPE_RECORD            (cd_record_get_type ())
#define CD_RECORD(o)              (G_TYPE_CHECK_INSTANCE_CAST ((o), CD_TYPE_RECORD, CdRecord))
#define CD_IS_RECORD(o)           (G_TYPE_CHECK_INSTANCE_TYPE ((o), CD_TYPE_RECORD))
#define CD_RECORD_CLASS(k)        (G_TYPE_CHECK_CLASS_CAST ((k), CD_TYPE_RECORD, CdRecordClass))
#define CD_IS_RECORD_CLASS(k)     (G_TYPE_CHECK_CLASS_TYPE ((k), CD_TYPE_RECORD))
#define CD_RECORD_GET_CLASS(o)    (G_TYPE_INSTANCE_GET_CLASS ((o), CD_TYPE_RECORD, CdRecordClass))

typedef struct _CdRecord      CdRecord;
typedef struct _CdRecordClass CdRecordClass;

struct _CdRecord
{
  GObject parent_instance;

  /* Identity, for classes with has_identity. version counts this row's
   * accepted changes; rev is the global revision of its last change. */
  char   *id;
  gint64  version;
  gint64  rev;
};

struct _CdRecordClass
{
  GObjectClass parent_class;

  const char    *kind;         /* "ticket", "crew": names it in JSON, SQL, the protocol */
  gboolean       has_identity; /* id, version and rev are fields */
  const CdField *fields;
  guint          n_fields;
  GParamSpec   **pspecs;       /* one per field, in table order */

  /* Identity fields (when has_identity), then the ancestors' fields, then
   * this class's: the order of the JSON members. */
  const CdField **all_fields;
  guint           n_all_fields;
};

/* Bounds applied when a field leaves max_length at 0. */
#define CD_FIELD_DEFAULT_MAX_STRING 1024
#define CD_FIELD_DEFAULT_MAX_ITEMS  64

GType cd_record_get_type (void) G_GNUC_CONST;
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CdRecord, g_object_unref)

void        cd_record_class_install_fields (CdRecordClass  *klass,
                                            const char     *kind,
                                            gboolean        has_identity,
                                            const CdField  *fields,
                                            guint           n_fields);

const char *cd_record_get_kind             (CdRecord       *self);
const char *cd_record_get_id               (CdRecord       *self);
void        cd_record_set_id               (CdRecord       *self,
                                            const char     *id);

JsonNode   *cd_record_to_json              (CdRecord       *self);
char       *cd_record_to_json_string       (CdRecord       *self,
                                            gsize          *length);
gpointer    cd_record_new_from_json        (GType           type,
                                            JsonNode       *node,
                                            CdDecodeFlags   flags,
                                            GError        **error);
gpointer    cd_record_new_from_data        (GType           type,
                                            const char     *data,
                                            gssize          length,
                                            CdDecodeFlags   flags,
                                            GError        **error);
gboolean    cd_record_decode_member        (GType           type,
                                            const char     *name,
                                            JsonNode       *node,
                                            GValue         *value,
                                            GError        **error);

gboolean    cd_record_equal                (CdRecord       *a,
                                            CdRecord       *b);
gpointer    cd_record_copy                 (CdRecord       *self);
gboolean    cd_record_update_from          (CdRecord       *self,
                                            CdRecord       *other);

GType       cd_record_type_from_kind       (const char     *kind);

G_END_DECLS
