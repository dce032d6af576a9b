/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-mutation.h: the domain's change operations ("intents").
 *
 * A mutation is plain data: it can be queued in the client's outbox, sent,
 * stored, replayed, and applied by the server (authoritatively, against its
 * store) or by the client (optimistically, against its cache with the
 * pending mutations on top). Both run cd_mutation_apply() on the same input
 * and get the same records, down to the ids of the records a mutation
 * creates, which are derived from the mutation id (cd_mutation_derive_id).
 *
 * Wire format
 * -----------
 *
 *   { "id": "<mutation UUID, client-generated>",
 *     "op": "ticket.assign",
 *     "target": "<record UUID>",
 *     "expected_version": 3,
 *     "args": { ... } }
 *
 * id, op and target are required; expected_version (integer ≥ 0, or null
 * or absent for none) makes the mutation fail with a conflict unless the
 * target row is at that version; args (an object, absent = {}) is decoded
 * strictly per op: an unknown, missing or wrong-typed argument is an
 * "invalid" error naming it. Unknown top-level members are errors too.
 *
 *   op                  target       args
 *   ticket.create       new ticket   a ticket (strict codec) without id, version, rev,
 *                                    status, sla, created_at, first_response_at, on_site_at,
 *                                    resolved_at, closed_at, updated_at, crew_id,
 *                                    assignment_source, pinned, duplicate_count. number is
 *                                    optional (default: "HT-"/"PW-" + 10 hex digits of the
 *                                    id); owner defaults to the actor.
 *   ticket.assign       ticket       crew_id (UUID or null = unassign, required),
 *                                    reason (≤ 500), pin (default: true when a manual
 *                                    assignment, else false), expect_crew (UUID or null:
 *                                    precondition on the current crew), source ("manual"
 *                                    default, "auto" for the auto-dispatch actor only)
 *   ticket.set_status   ticket       status
 *   ticket.pause        ticket       reason (required, ≤ 500)
 *   ticket.resume       ticket       none
 *   ticket.update       ticket       any of customer (object, merged member by member),
 *                                    address, lat, lon, area, area_class, description,
 *                                    urgency, category, skills; expected_version required
 *   callback.record     callback     outcome (reached, no-answer, wrong-number), note;
 *                                    when reached: satisfaction (required), solved
 *                                    (required), comment, owner (of second handling)
 *   callback.close      callback     conclusion (required, non-empty)
 *   sla_policy.update   policy       a sla_policy (strict codec) without id, version, rev,
 *                                    updated_at; expected_version required if the row exists
 *   user.create         new user     username, display_name, role, crew_id (crew devices
 *                                    only, and required for them), active, password
 *   user.update         user         any of display_name, role, crew_id, active; username
 *                                    only if unchanged (tickets name owners by username)
 *   user.set_password   user         password
 *   ticket.acknowledge  ticket       level ("amber" or "red", required), note (≤ 500):
 *                                    a shift supervisor takes note of an escalation;
 *                                    the ticket records who, when and the note under
 *                                    sla.acknowledgements, and the level is not escalated
 *                                    again. Only a level a running timer has reached (red
 *                                    counts as amber too); again: no change
 *
 * Creating ops (ticket.create, user.create) take expected_version 0 or none,
 * and fail with a conflict when the target exists.
 *
 * Permissions (cd_mutation_role_allowed); an inactive actor may do nothing:
 *
 *   op                  dispatcher supervisor callback-agent manager admin crew-device
 *   ticket.create           x          x
 *   ticket.assign           x          x
 *   ticket.set_status       x          x                                       own crew*
 *   ticket.pause                       x
 *   ticket.resume                      x
 *   ticket.update           x          x
 *   callback.record                               x             x
 *   callback.close                                              x
 *   sla_policy.update                                           x
 *   user.create                                                         x
 *   user.update                                                         x
 *   user.set_password                                                   x
 *   ticket.acknowledge                 x
 *
 *   * a crew device may move only tickets assigned to its own crew_id, and
 *     only to contacted, en-route, on-site or resolved.
 *
 * Ticket status transitions (ticket.set_status); a move to the current
 * status changes nothing:
 *
 *   from               to
 *   new                contacted, resolved (office tickets: billing, inquiries),
 *                      cancelled, duplicate
 *   assigned           contacted, en-route, on-site, resolved, cancelled, duplicate
 *   contacted          en-route, on-site, resolved, cancelled, duplicate
 *   en-route           on-site, resolved, cancelled, duplicate
 *   on-site            resolved, cancelled, duplicate
 *   waiting-customer   cancelled, duplicate (the open pause is ended)
 *   resolved           closed
 *   closed, cancelled, duplicate: none
 *
 *   Only ticket.assign enters assigned (and returns an unassigned ticket to
 *   new); only ticket.pause enters waiting-customer and only ticket.resume
 *   leaves it for an open status. cancelled and duplicate are for
 *   dispatchers and supervisors only.
 *
 *   Milestones: contacted sets first_response_at; on-site sets on_site_at
 *   and first_response_at, each only if unset; resolved sets resolved_at
 *   and creates the callback; closed sets closed_at.
 *
 *   ticket.assign: giving an open ticket to a different crew sets status
 *   assigned (from new, assigned, contacted, en-route, on-site: the new crew
 *   starts over, the milestones reached stay); unassigning sets status new;
 *   a waiting-customer ticket keeps its status either way.
 *
 *   ticket.pause is allowed from new, assigned, contacted, en-route and
 *   on-site. ticket.resume derives the status, as nothing else is stored:
 *   new without a crew, else on-site if on_site_at is set, else contacted
 *   if first_response_at is set, else assigned. (en-route is not restored:
 *   no timestamp records it, and a crew's own status may refer to another
 *   ticket; the crew reports en-route again.)
 *
 * Errors are in CD_MUTATION_ERROR; their stable wire codes come from
 * cd_mutation_error_code_to_string(). Errors the world returns (a store
 * that cannot be read) are passed through unchanged.
 */
#pragma once

#include <json-glib/json-glib.h>

#include "cd-enums.h"
#include "cd-match.h"
#include "cd-record.h"
#include "cd-sla-clock.h"
#include "cd-user.h"

G_BEGIN_DECLS

#define CD_MUTATION_ERROR (cd_mutation_error_quark ())

typedef enum {
  CD_MUTATION_ERROR_INVALID,            /* "invalid": malformed mutation or arguments */
  CD_MUTATION_ERROR_FORBIDDEN,          /* "forbidden": role, inactive actor, another crew's ticket */
  CD_MUTATION_ERROR_NOT_FOUND,          /* "not-found": the target or a record it names */
  CD_MUTATION_ERROR_CONFLICT,           /* "conflict": version or precondition; result->current */
  CD_MUTATION_ERROR_CONSTRAINT,         /* "constraint": a hard matching constraint */
  CD_MUTATION_ERROR_INVALID_TRANSITION, /* "invalid-transition": not from this status */
} CdMutationError;

GQuark      cd_mutation_error_quark          (void);
const char *cd_mutation_error_code_to_string (gint code);

typedef enum {
  CD_MUTATION_OP_TICKET_CREATE,
  CD_MUTATION_OP_TICKET_ASSIGN,
  CD_MUTATION_OP_TICKET_SET_STATUS,
  CD_MUTATION_OP_TICKET_PAUSE,
  CD_MUTATION_OP_TICKET_RESUME,
  CD_MUTATION_OP_TICKET_UPDATE,
  CD_MUTATION_OP_CALLBACK_RECORD,
  CD_MUTATION_OP_CALLBACK_CLOSE,
  CD_MUTATION_OP_SLA_POLICY_UPDATE,
  CD_MUTATION_OP_USER_CREATE,
  CD_MUTATION_OP_USER_UPDATE,
  CD_MUTATION_OP_USER_SET_PASSWORD,
  CD_MUTATION_OP_TICKET_ACKNOWLEDGE,
} CdMutationOp;

#define CD_MUTATION_N_OPS (CD_MUTATION_OP_TICKET_ACKNOWLEDGE + 1)

/* The username of the server's automatic dispatcher, the only actor that
 * may assign with source "auto". user.create refuses it. */
#define CD_MUTATION_AUTO_DISPATCH_ACTOR "auto-dispatch"

/* Second-handling owner when neither the args nor the ticket name one. */
#define CD_MUTATION_DEFAULT_SECOND_OWNER "manager"

#define CD_MUTATION_SECOND_HANDLING_HOURS 24
#define CD_MUTATION_MIN_PASSWORD_CHARS    8

const char   *cd_mutation_op_to_string   (CdMutationOp  op);
gboolean      cd_mutation_op_from_string (const char   *name,
                                          CdMutationOp *op);
gboolean      cd_mutation_role_allowed   (CdMutationOp  op,
                                          CdRole        role);

/* A parsed mutation. Reference counted and immutable once built: read the
 * fields, do not change them (nor args). */
typedef struct _CdMutation CdMutation;

struct _CdMutation
{
  char         *id;               /* UUID */
  CdMutationOp  op;
  char         *target;           /* UUID */
  gint64        expected_version; /* -1 = none */
  JsonObject   *args;             /* never NULL */
};

#define CD_TYPE_MUTATION (cd_mutation_get_type ())

GType       cd_mutation_get_type       (void) G_GNUC_CONST;
CdMutation *cd_mutation_new            (const char    *id,
                                        CdMutationOp   op,
                                        const char    *target,
                                        gint64         expected_version,
                                        JsonObject    *args);
CdMutation *cd_mutation_new_from_json  (JsonNode      *node,
                                        GError       **error);
JsonNode   *cd_mutation_to_json        (CdMutation    *self);
CdMutation *cd_mutation_ref            (CdMutation    *self);
void        cd_mutation_unref          (CdMutation    *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CdMutation, cd_mutation_unref)

/* The id of the @purpose record ("event", "callback") a mutation creates:
 * the UUID version 5 of @purpose in the namespace of @mutation_id, so the
 * client and the server derive the same one. */
char       *cd_mutation_derive_id      (const char    *mutation_id,
                                        const char    *purpose);

/* What a mutation reads. The server implements it over its CdStore, the
 * client over its cache with the pending mutations applied on top. */
typedef struct {
  /* A new reference, or NULL: with @error set on failure, without it when
   * there is no such record. */
  gpointer   (*load)       (gpointer     world,
                            GType        type,
                            const char  *id,
                            GError     **error);
  /* Every crew, new references (free with g_ptr_array_unref), or NULL with
   * @error set. */
  GPtrArray *(*list_crews) (gpointer     world,
                            GError     **error);
  /* Open tickets assigned to the crew. */
  guint      (*crew_load)  (gpointer     world,
                            const char  *crew_id);
  /* Optional (NULL: usernames are not checked for uniqueness here): the
   * user with that username, as load() answers. */
  gpointer   (*find_user)  (gpointer     world,
                            const char  *username,
                            GError     **error);
} CdMutationWorldVTable;

typedef struct {
  CdUser              *actor;
  gint64               now;                   /* Unix seconds, the server's clock */
  CdSlaPolicySet      *policies;
  const CdMatchParams *match_params;          /* NULL: cd_match_params_init_default() */
  const char * const  *match_areas;           /* NULL, or the service area ids that
                                               * match_params->detour_factor is indexed by */
  gint64               second_handling_hours; /* ≤ 0: CD_MUTATION_SECOND_HANDLING_HOURS */
} CdMutationContext;

void cd_mutation_context_init (CdMutationContext *ctx,
                               CdUser            *actor,
                               gint64             now,
                               CdSlaPolicySet    *policies);

typedef struct {
  /* New and changed records to save, target first. Each has version = old
   * version + 1 (new records: 1) and updated_at = now where the type has
   * one; rev is left for the caller. Empty when the mutation changed
   * nothing (assigning the crew a ticket already has, a status it is in). */
  GPtrArray *records;
  /* user.create and user.set_password: the password, for the caller to
   * hash. It is in no record and not in cd_mutation_result_to_json(). */
  char      *password;
  /* Accepted, but worth telling: a crew over its capacity. */
  char      *warning;
  /* CD_MUTATION_ERROR_CONFLICT: a copy of the current row, when there is one. */
  CdRecord  *current;
} CdMutationResult;

void      cd_mutation_result_init    (CdMutationResult *result);
void      cd_mutation_result_clear   (CdMutationResult *result);
JsonNode *cd_mutation_result_to_json (CdMutationResult *result);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (CdMutationResult, cd_mutation_result_clear)

gboolean cd_mutation_rank_crews (const CdMutationContext      *ctx,
                                 const CdMutationWorldVTable  *vt,
                                 gpointer                      world,
                                 CdTicket                     *ticket,
                                 GPtrArray                   **crews,
                                 GArray                      **ranking,
                                 GError                      **error);

/* Applies @self as ctx->actor at ctx->now. Never changes a record the
 * world returned. @result must be initialised (cd_mutation_result_init);
 * on failure it holds nothing but, on a conflict, the current row. */
gboolean  cd_mutation_apply          (CdMutation                  *self,
                                      const CdMutationContext     *ctx,
                                      const CdMutationWorldVTable *vtable,
                                      gpointer                     world,
                                      CdMutationResult            *result,
                                      GError                     **error);

G_END_DECLS
