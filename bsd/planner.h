/*
 * planner.h — where a device's bootstrap plan comes from. A planner is the
 * application's share of a configuration generation (worker.h bsd_gen_t
 * .app): built off the packet path at start-up and on every reload, then
 * immutable and shared by all workers.
 *
 * Two sources exist: the JSON plans file (bsd/lwm2m/bs_planfile.h), and the
 * active YAML policies with the device records they are compiled against
 * (bsd/policy; the highest-priority matching policy wins, see
 * policy_select). Either way the engine only receives a bs_plan_t;
 * producing it is pure and allocation-free, so it runs on the worker that
 * received the Bootstrap-Request.
 */
#ifndef BSD_PLANNER_H
#define BSD_PLANNER_H

#include <stddef.h>

#include <stdint.h>

#include "bsd/lwm2m/bs_plan.h"
#include "bsd/lwm2m/bs_planfile.h"
#include "bsd/policy/policy.h"
#include "bsd/transport/creds.h"

#define BSD_PLANNER_NONE (-1) /* no plan or policy applies to the device */
#define BSD_PLANNER_FAIL (-2) /* one applies, but compiling it failed (message in err) */

typedef struct bsd_planner bsd_planner_t;

/* A planner serving the plans file |pf|, which it now owns (freed with the
 * planner, also when this fails). NULL on out-of-memory. */
bsd_planner_t *bsd_planner_from_planfile(bs_planfile_t *pf);

/*
 * A planner serving policies: |n| parsed policies (owned from now on, freed
 * with the planner, also when this fails) with the version number each was
 * stored under, and the 32-byte key generated credentials are derived from
 * (copied; wiped on free). Devices are added with bsd_planner_add_device()
 * before the planner is published. NULL on out-of-memory.
 */
bsd_planner_t *bsd_planner_from_policies(policy_t **ps, const uint32_t *versions, size_t n,
                                         const uint8_t key[POLICY_KEY_LEN]);

/*
 * Registers what the policies may use of device |endpoint| beyond its
 * credential: its serial number (NULL for none) and |nlabels| labels
 * (copied). Only during the build of a generation. Returns 0, -1 on
 * out-of-memory or when the planner does not serve policies.
 */
int bsd_planner_add_device(bsd_planner_t *p, const char *endpoint, const char *serial,
                           const policy_label_t *labels, size_t nlabels);

/*
 * Gives device |endpoint| (registered before with bsd_planner_add_device)
 * the certificate |der| (|len| bytes, copied) for its x509 account |ssid|
 * with `client_certificate: issue`, as the generation loader issued or
 * found it; a second one for the same account replaces the first. Only
 * during the build of a generation. Returns 0, -1 on out-of-memory, or when
 * the device is unknown or the planner does not serve policies.
 */
int bsd_planner_add_cert(bsd_planner_t *p, const char *endpoint, uint16_t ssid, const uint8_t *der,
                         size_t len);

/*
 * What this server's CA is to certify for |endpoint| under the policy
 * selected for it (policy_x509_issue_keys), into |out| (|cap| entries).
 * Returns the count (0 also for no policy or a plans file), or -1 with a
 * message in |err| that names the policy.
 */
int bsd_planner_x509_issue(const bsd_planner_t *p, const char *endpoint, policy_x509_issue_t *out, size_t cap,
                           char *err, size_t errcap);

/*
 * Gives device |endpoint| (registered with bsd_planner_add_device) the
 * server accounts (SSIDs) this server wrote to it earlier (|written|; the
 * policy's current accounts among them are not removed) and the queued
 * removals (|pending|), at most BS_PLAN_MAX_REMOVE each (copied). Only
 * during the build of a generation. Returns 0, or -1 when the device is
 * unknown or the planner does not serve policies.
 */
int bsd_planner_set_unboot(bsd_planner_t *p, const char *endpoint, const uint16_t *written, size_t nw,
                           const uint16_t *pending, size_t np);

/* Whether any active policy has an account with `client_certificate: issue`. */
int bsd_planner_issues_certs(const bsd_planner_t *p);

/*
 * The new bootstrap credential the policy selected for |endpoint| rotates
 * to (policy_bs_rotation; |out| to be wiped after use). Returns 1, 0 when
 * none (no policy, a plans file, or no `bootstrap.rotate`), or -1 when the
 * derivation failed (message in |err|).
 */
int bsd_planner_bs_rotation(const bsd_planner_t *p, const char *endpoint, policy_cred_t *out, char *err,
                            size_t errcap);

/* Frees the planner and what it owns. NULL is fine. */
void bsd_planner_free(bsd_planner_t *p);

/*
 * Fills |out| (caller memory, fully overwritten) with the plan for device
 * |dev|. |flags| are POLICY_CTX_* bits for the policy compiler (a plans file
 * ignores them): POLICY_CTX_ROTATE_BS when the device's new bootstrap
 * credential is to be written. Returns 0, BSD_PLANNER_NONE, or
 * BSD_PLANNER_FAIL with a message in |err| (|errcap| bytes) that names the
 * plan or policy and never a secret.
 */
int bsd_planner_plan(const bsd_planner_t *p, const creds_device_t *dev, uint32_t flags, bs_plan_t *out,
                     char *err, size_t errcap);

/*
 * What the device's policy allows it to enroll for over EST (policy_est),
 * the policy selected exactly as bsd_planner_plan() selects it. Pure and
 * allocation-free: called on workers. Returns 1, 0 when the device may not
 * enroll (no policy matches, the policy has no `est:` section and no
 * server in mode est, or the planner serves a plans file), or a negative
 * POLICY_ERR_* of policy_est() with a message in |err| that names the
 * policy.
 */
int bsd_planner_est(const bsd_planner_t *p, const creds_device_t *dev, policy_est_t *out, char *err,
                    size_t errcap);

/* A one-line description for logs: "plans file (3 plans)". */
const char *bsd_planner_describe(const bsd_planner_t *p, char *buf, size_t cap);

#endif
