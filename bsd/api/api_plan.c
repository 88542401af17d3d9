/*
 * api_plan.c — POST /api/v1/devices/{endpoint}/plan: the dry run of one
 * device, exactly as `bsctl policy plan` prints it (bsd/db/db_policy_ops.h
 * does both): the requests the device would get from the policy that
 * applies to it, played through the real session engine against a
 * simulated client, plus where that client's state came from and whether
 * a bootstrap credential rotation is due.
 *
 * Body (a JSON object, every member optional; {} for the defaults):
 *   discover     a Discover answer (link-format) for the client state;
 *                default: the one recorded with the device's last session,
 *                else a fresh LwM2M 1.1 client;
 *   pct          the payload format of the Bootstrap-Request (default: the
 *                last session's, else 112);
 *   policy_yaml  a policy to try instead of the stored ones (not stored);
 *   acl          the client's Access Control object for unbootstrapping,
 *                an array in the session records' "acl_state" shape
 *                (db_policy_acl_parse; 400 when it does not parse);
 *                default: as the device's last session recorded it;
 *   reveal       show secret values (admin only; 403 otherwise).
 * The answer adds "client_state", "acl_source" (given, last_session,
 * unknown) and "rotation_due" to the dry run.
 * Role: viewer (nothing secret leaves without reveal).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bsd/api/api_int.h" /* api_deny: the refused reveal is audited like any 403 */
#include "bsd/api/api_policies.h"

#define PLAN_PCT_MAX 65535

static int plan_post(api_req_t *req, api_resp_t *resp)
{
    const char *ep = api_param(req, "endpoint"), *discover = NULL, *yaml = NULL;
    json_int_t pct = 0;
    int reveal = 0;
    size_t yaml_len = 0;
    json_t *acl = NULL;
    json_error_t je;
    if (json_unpack_ex(req->json, &je, JSON_STRICT, "{s?s, s?I, s?s%, s?o, s?b}", "discover", &discover,
                       "pct", &pct, "policy_yaml", &yaml, &yaml_len, "acl", &acl, "reveal", &reveal) != 0)
        return api_error(
            resp, 400, "invalid_request", NULL,
            "The body must be a JSON object with optional members discover (string), pct (integer), "
            "policy_yaml (string), acl (array) and reveal (boolean): %s.",
            je.text);
    if (pct < 0 || pct > PLAN_PCT_MAX)
        return api_error(resp, 400, "invalid_request", json_pack("{s:s}", "field", "pct"),
                         "pct is a CoAP Content-Format number, 0..%d.", PLAN_PCT_MAX);
    if (reveal && req->role < API_ROLE_ADMIN) {
        api_deny(req->call, 403, "insufficient_role");
        return api_error(resp, 403, "forbidden",
                         json_pack("{s:s, s:s}", "role", db_token_role_name(req->role), "required", "admin"),
                         "Showing secret values (reveal) needs an admin token.");
    }
    char *acl_json = NULL;
    if (acl) {
        char aerr[DB_POLICY_ERR_MAX];
        unboot_acl_t *tab = malloc(UNBOOT_MAX_ACL * sizeof(*tab));
        acl_json = json_dumps(acl, JSON_COMPACT);
        if (!tab || !acl_json) {
            free(tab);
            free(acl_json);
            return -ENOMEM;
        }
        int n = db_policy_acl_parse(acl_json, tab, UNBOOT_MAX_ACL, aerr, sizeof aerr);
        free(tab);
        if (n < 0) {
            free(acl_json);
            return api_error(resp, 400, "invalid_request", json_pack("{s:s}", "field", "acl"), "%s.", aerr);
        }
    }
    policy_t *given = NULL;
    if (yaml) {
        char err[POLICY_ERR_MAX];
        if ((given = policy_parse("policy_yaml", yaml, yaml_len, err, sizeof err)) == NULL) {
            free(acl_json);
            return api_policy_invalid(resp, "policy_yaml", err);
        }
    }
    db_secretbox_t sb;
    db_secretbox_init(&sb);
    db_policy_prep_t x;
    memset(&x, 0, sizeof x);
    db_policy_run_t run = {0};
    char err[DB_POLICY_ERR_MAX];
    int r = 0;
    db_t *db = NULL;
    if (api_policy_keyring(req, resp, &sb) != 0) goto out;
    if ((db = api_db(req)) == NULL) {
        r = api_error_nodb(resp);
        goto out;
    }
    r = db_policy_prep_device(db, &sb, ep, &x, err, sizeof err);
    if (r == -EIO && (db = api_db_retry(req)) != NULL) {
        db_policy_prep_free(&x);
        r = db_policy_prep_device(db, &sb, ep, &x, err, sizeof err);
    }
    if (r == 0) r = db_policy_prep_select(db, &x, given, err, sizeof err);
    x.acl_json = acl_json;
    if (r != 0) {
        r = db ? api_policy_prep_error(resp, db, r, err) : api_error_nodb(resp);
        goto out;
    }
    if (db_policy_dry_run(db, &x, discover, (int)pct, reveal != 0, &run, err, sizeof err) != 0) {
        r = api_error(resp, 422, "plan_failed", NULL, "%s", err);
        goto out;
    }
    json_t *o = json_loads(run.json, 0, NULL);
    static const char *const states[] = {"given", "last_session", "fresh"};
    const char *acl_source = run.acl_source && !strcmp(run.acl_source, "last-session") ? "last_session"
                             : run.acl_source                                          ? run.acl_source
                                                                                       : "unknown";
    if (o == NULL || json_object_set_new(o, "client_state", json_string(states[run.state])) != 0 ||
        json_object_set_new(o, "acl_source", json_string(acl_source)) != 0 ||
        json_object_set_new(o, "rotation_due", json_boolean(run.rotation_due)) != 0) {
        json_decref(o);
        r = -ENOMEM;
        goto out;
    }
    r = api_json(resp, 200, o);
out:
    db_policy_run_free(&run);
    db_policy_prep_free(&x);
    db_secretbox_free(&sb);
    policy_free(given);
    free(acl_json);
    return r;
}

const api_route_t api_plan_routes[] = {
    {.method = "POST",
     .pattern = "/api/v1/devices/{endpoint}/plan",
     .role = API_ROLE_VIEWER,
     .handler = plan_post,
     .body = API_BODY_JSON},
    API_ROUTES_END,
};
