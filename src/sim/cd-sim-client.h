/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-sim-client.h: the simulator's HTTP side: one libsoup session, user
 * accounts that log in on first use and again after a 401, and requests
 * that are retried with capped exponential backoff while the server cannot
 * be reached. */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define CD_SIM_ERROR (cd_sim_error_quark ())

typedef enum {
  CD_SIM_ERROR_LOGIN,    /* the server refused the user name or the password */
  CD_SIM_ERROR_PROTOCOL, /* a reply that API v1 does not give */
} CdSimError;

GQuark cd_sim_error_quark (void);

/* A user the simulator acts as. */
#define CD_TYPE_SIM_ACCOUNT (cd_sim_account_get_type ())
G_DECLARE_FINAL_TYPE (CdSimAccount, cd_sim_account, CD, SIM_ACCOUNT, GObject)

CdSimAccount *cd_sim_account_new          (const char   *username,
                                           const char   *password);
const char   *cd_sim_account_get_username (CdSimAccount *self);
/* The crew a crew device reports for, known once logged in. */
const char   *cd_sim_account_get_crew_id  (CdSimAccount *self);

typedef enum {
  /* One attempt: position reports and polls, which the next one replaces. */
  CD_SIM_RETRY_NONE,
  /* Network errors, 429 and 5xx are retried with the same request, body
   * and Idempotency-Key, until it gets an answer or is cancelled. */
  CD_SIM_RETRY_UNTIL_ANSWERED,
} CdSimRetry;

typedef struct {
  guint     status;
  JsonNode *json;           /* NULL when the body is not JSON */
} CdSimReply;

void  cd_sim_reply_free          (CdSimReply *reply);
/* "code: message" of an error reply, or the HTTP status. */
char *cd_sim_reply_error_message (CdSimReply *reply);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CdSimReply, cd_sim_reply_free)

typedef struct {
  guint requests;
  guint retries;
  guint network_errors;
  guint server_errors;      /* 5xx and 429 */
  guint logins;
} CdSimClientStats;

/* Requests a client hands to libsoup at once (its connections to the
 * server); the others wait in the client, in order. */
#define CD_SIM_CLIENT_MAX_IN_FLIGHT 32

#define CD_TYPE_SIM_CLIENT (cd_sim_client_get_type ())
G_DECLARE_FINAL_TYPE (CdSimClient, cd_sim_client, CD, SIM_CLIENT, GObject)

CdSimClient *cd_sim_client_new           (const char        *base_url,
                                          guint              timeout_seconds);
const char  *cd_sim_client_get_base_url  (CdSimClient       *self);
void         cd_sim_client_get_stats     (CdSimClient       *self,
                                          CdSimClientStats  *stats);

/* @account: NULL for public endpoints. @body: NULL for none. */
void         cd_sim_client_request_async  (CdSimClient         *self,
                                           CdSimAccount        *account,
                                           const char          *method,
                                           const char          *path,
                                           JsonNode            *body,
                                           const char          *idempotency_key,
                                           CdSimRetry           retry,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data);
CdSimReply  *cd_sim_client_request_finish (CdSimClient         *self,
                                           GAsyncResult        *result,
                                           GError             **error);

/* One line on standard output: "12:04:05 crew-07    on site at …". */
void         cd_sim_log                   (const char          *who,
                                           const char          *format,
                                           ...) G_GNUC_PRINTF (2, 3);

G_END_DECLS
