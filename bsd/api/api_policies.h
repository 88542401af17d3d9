/*
 * api_policies.h — what the policy resources of the REST API share
 * (api_policies.c, api_plan.c, api_credentials.c): the answers to a policy
 * that does not parse, to a keyring that cannot be read, and to a device
 * that cannot be prepared for a dry run or an export.
 */
#ifndef BSD_API_API_POLICIES_H
#define BSD_API_API_POLICIES_H

#include "bsd/api/api_handler.h"
#include "bsd/db/db_policy_ops.h"

/*
 * api_policy_invalid answers 422 invalid_policy for the parser message
 * |err| ("|src_name|:LINE:COLUMN: message") with details
 * {"errors": [{"line": L, "column": C, "message": M}]} (line and column null
 * when the message has no position). Returns api_error's result.
 */
int api_policy_invalid(api_resp_t *resp, const char *src_name, const char *err);

/*
 * api_policy_prep_error answers a failed db_policy_prep_device or
 * db_policy_prep_select (|r|, message |err|): 404 not_found (no such
 * device), 422 no_matching_policy, 503 keyring_unavailable (a sealed value
 * does not open), else as api_error_db. Returns api_error's result.
 */
int api_policy_prep_error(api_resp_t *resp, db_t *db, int r, const char *err);

/* api_policy_keyring loads the daemon's keyring into |sb| (initialised by
 * the caller); on failure answers 503 keyring_unavailable and returns -1. */
int api_policy_keyring(api_req_t *req, api_resp_t *resp, db_secretbox_t *sb);

#endif /* BSD_API_API_POLICIES_H */
