/*
 * unboot_model.h — a reference model of an LwM2M client's store, for the
 * property tests of the unbootstrap planner (tests/unit/test_unboot_prop.c).
 *
 * Written from LWM2M-BOOTSTRAP.md "Unbootstrapping and the Access Control
 * Owner (§5.2.5)" and the definitions in bsd/lwm2m/unboot.h, independently
 * of the planner: the client is a plain table of object instances and a
 * table of Access Control instances, each a small map SSID → rights. The
 * Bootstrap operations are *applied* to it one at a time, the way a client
 * would, and the ones the specification forbids (deleting the
 * Bootstrap-Server account or /3/0, writing anything but /2/x) fail.
 *
 * A client that runs §5.2.5 itself (|self_unboot|) does the procedure on
 * each Delete of a Security instance of a server.
 */
#ifndef TESTS_UNIT_UNBOOT_MODEL_H
#define TESTS_UNIT_UNBOOT_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "bsd/lwm2m/unboot.h"

#define MODEL_MAX_INSTS   600 /* object instances, accounts included */
#define MODEL_MAX_ACL     256 /* Access Control instances */
#define MODEL_MAX_RIGHTS  16  /* entries per Access Control instance */
#define MODEL_MAX_SERVERS 128 /* distinct server SSIDs */
#define MODEL_NO_SSID     (-1)

/* Results of applying an operation. */
#define MODEL_OK            0
#define MODEL_NOT_FOUND     1    /* a Delete of an object instance the client does not have (4.04) */
#define MODEL_ERR_FORBIDDEN (-1) /* the specification forbids this operation */
#define MODEL_ERR_MISSING   (-2) /* Delete of an account or ACL instance the client does not have */
#define MODEL_ERR_FULL      (-3) /* a model table is full */

/* One object instance /obj/inst; accounts (objects 0 and 1) carry an SSID. */
typedef struct model_inst {
    uint16_t obj, inst;
    int32_t
        ssid; /* objects 0 and 1: the Short Server ID (0 = Bootstrap-Server account); else MODEL_NO_SSID */
} model_inst_t;

/* One ACL entry: who (0 = the default entry) and what. */
typedef struct model_right {
    uint16_t who;
    uint16_t rights;
} model_right_t;

/* One Access Control instance /2/iid; |map| in no particular order. */
typedef struct model_acl {
    uint16_t iid;
    uint16_t obj, inst; /* target; inst 65535 = object level */
    uint16_t owner;
    size_t nmap;
    model_right_t map[MODEL_MAX_RIGHTS];
} model_acl_t;

typedef struct model {
    model_inst_t inst[MODEL_MAX_INSTS];
    size_t ninst;
    model_acl_t acl[MODEL_MAX_ACL];
    size_t nacl;
    int self_unboot;  /* the client runs §5.2.5 itself when a Security instance is deleted */
    size_t not_found; /* Deletes answered MODEL_NOT_FOUND */
} model_t;

/* A set of SSIDs (servers, or those being removed). */
typedef struct model_set {
    uint16_t v[MODEL_MAX_SERVERS];
    size_t n;
} model_set_t;

int model_set_has(const model_set_t *s, uint16_t v);
void model_set_add(model_set_t *s, uint16_t v);

/* Table edits used to build a client. Return MODEL_OK or MODEL_ERR_FULL. */
int model_add_inst(model_t *m, uint16_t obj, uint16_t inst, int32_t ssid);
int model_add_acl(model_t *m, const model_acl_t *a);

const model_inst_t *model_find_inst(const model_t *m, uint16_t obj, uint16_t inst);
const model_acl_t *model_find_acl(const model_t *m, uint16_t iid);

/* The rights an ACL instance gives |who| (its own entry); 0 when it has none
 * (then *found is 0). */
uint16_t model_rights(const model_acl_t *a, uint16_t who, int *found);

/* Servers: SSIDs 1..65534 with at least one Server (/1) instance. */
model_set_t model_servers(const model_t *m);

/* |servers| minus |removed|. */
model_set_t model_remaining(const model_t *m, const model_set_t *removed);

/* Spec: own entry with non-zero rights, or no own entry and a default entry
 * with non-zero rights. Only an SSID in |servers| can access anything. */
int model_can_access(const model_acl_t *a, uint16_t ssid, const model_set_t *servers);

/* Whether any of |servers| can access the target of |a|. */
int model_anyone_can_access(const model_acl_t *a, const model_set_t *servers);

/* [W] + [D] of the entry |ssid| is judged by: its own entry, else the
 * default entry (0 when neither exists). */
int model_score(const model_acl_t *a, uint16_t ssid);

/* Election among |servers|: those with an own entry, or (none) those that
 * can access through the default entry; highest score, lowest SSID on ties.
 * Returns the SSID and sets *score, or -1 when there is no candidate. */
int32_t model_elect(const model_acl_t *a, const model_set_t *servers, int *score);

/* Protected targets: objects 0, 1, 2, 21 and /3/0. */
int model_protected(uint16_t obj, uint16_t inst);

/* The Bootstrap operations, applied as a client would. Return MODEL_OK,
 * MODEL_NOT_FOUND, or a negative MODEL_ERR_*. */
int model_apply_delete(model_t *m, const lwm2m_path_t *path);
int model_apply_write_acl(model_t *m, const lwm2m_path_t *path, const unboot_acl_t *whole);

/* §5.2.5 as the client runs it for all of |removed| at once: every ACL
 * instance loses the removed SSIDs' entries; a target no remaining server can
 * access goes with its ACL instance (the target only when not protected and
 * not object level); an ACL instance nobody is left to own goes; a removed
 * owner is replaced by the elected one; then the Server and Security
 * instances of |removed| go. Returns MODEL_OK or a MODEL_ERR_*. */
int model_unbootstrap(model_t *m, const model_set_t *removed);

/* The SSIDs of |req| that are present in |m| (a Security or Server
 * instance, an ACL entry or an owner names them; 0 and 65535 never). */
model_set_t model_present(const model_t *m, const uint16_t *req, size_t nreq);

/* The planner's input for |m| (Discover lists every instance when |have_insts|). */
void model_to_state(const model_t *m, int acl_known, int have_insts, unboot_state_t *st);

/* Whether ACL instance |a| of the model equals the planner's |u| (iid,
 * target, owner, the same entries with the same rights). */
int model_acl_equals(const model_acl_t *a, const unboot_acl_t *u);

/* Whether two clients hold the same instances and ACL instances (any order). */
int model_equal(const model_t *a, const model_t *b);

/* One line per instance and ACL instance on stderr, for counterexamples. */
void model_dump(const model_t *m, const char *title);

#endif
