/*
 * dbload.h — a configuration generation's devices and plans from
 * PostgreSQL (db_url): the credential store the DTLS callbacks answer from
 * and the planner that compiles the active policies. Runs off the packet
 * path, at start-up and on every reload (SIGHUP, or a change notified on
 * channel bsd_changes).
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

#endif
