/*
 * dbload.h — a configuration generation's devices and plans from
 * PostgreSQL (db_url): the credential store the DTLS callbacks answer from
 * and the planner that compiles the active policies, with the certificates
 * this server's EST CA issues at bootstrap. Runs off the packet path, at
 * start-up and on every reload (SIGHUP, or a change notified on channel
 * bsd_changes).
 */
#ifndef BSD_DBLOAD_H
#define BSD_DBLOAD_H

#include <stddef.h>

#include "bsd/planner.h"
#include "bsd/transport/creds.h"
#include "bsd/util/config.h"

/*
 * Connects to cfg->db_url, applies pending migrations, and reads every
 * device (keys opened with the keyring in cfg->secret_keys_file) and every
 * active policy. Returns 0 with |*creds| and |*planner| set, or -1 with a
 * message in |err| that names the database without its password and
 * never a secret. A stored active policy that no longer parses fails the
 * load (the previous generation stays in force on a reload).
 */
int dbload_gen(const bsd_config_t *cfg, creds_t **creds, bsd_planner_t **planner, char *err, size_t errcap);

struct est_ca;

/*
 * The EST CA (bsd/est/est_ca.h) dbload_gen() issues the certificates of
 * x509 accounts with `client_certificate: issue` with, NULL for none (then
 * such accounts get no certificate and their devices' bootstraps fail to
 * compile). Call on the main thread before the first generation is built;
 * |ca| must outlive every later dbload_gen().
 *
 * Each load derives, for every device whose policy has such an account,
 * the account's key pair, reuses the stored bootstrap certificate of that
 * key and subject while it is not revoked and more than a third of its
 * validity is left (db_certs_boot.h), and issues and records the missing
 * ones in batched transactions before the generation is returned: no
 * certificate is ever written to a device unrecorded. One log line per
 * load: "db.certs.bootstrap issued=N reused=M failed=K".
 */
void dbload_set_est_ca(const struct est_ca *ca);

#endif
