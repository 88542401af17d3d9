#!/bin/bash
# Integration test for the OSCORE context state in PostgreSQL
# (bsd/db/db_oscore.h, migration 0008): a private cluster, `bsctl migrate`,
# then tests/integration/db_oscore_check.c against it — sequence-number
# blocks (disjoint, increasing, two connections at once, the 2^40 limit),
# the replay floor, leases, and one row per ID Context.
#
# Usage: tests/integration/test_db_oscore.sh [BUILD_DIR [CHECK_PROGRAM]]
# Env (set by meson): BSD_BSCTL, BSD_SRCDIR, BSD_BUILDDIR.
# Output: `ok`/`not ok` lines, then `db-oscore: N passed, M failed`.
set -uo pipefail
T_NAME=db-oscore
: "${BSD_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
[ $# -ge 1 ] && BSD_BUILDDIR=$1
. "$BSD_SRCDIR/tests/lib/harness.sh"
BSCTL=${BSD_BSCTL:-$BSD_BUILDDIR/tools/bsctl}
CHECK=${2:-$BSD_BUILDDIR/tests/db_oscore_check}
PSQL=/usr/lib/postgresql/15/bin/psql
unset PGHOST PGPORT PGUSER PGDATABASE PGSERVICE PGPASSWORD BSD_DB_URL
export PSQLRC=/dev/null

if ! t_pg_start; then
    fail "private PostgreSQL cluster starts"
    t_done
    exit 1
fi
pass "private PostgreSQL cluster starts"
cd "$T_WORK" || exit 1

if "$BSCTL" --db "$T_DB_URL" migrate >migrate.out 2>&1; then pass "bsctl migrate"; else
    fail "bsctl migrate"; sed 's/^/#   /' migrate.out; fi
v=$("$PSQL" -X -qtA "$T_DB_URL" -c "SELECT count(*) FROM schema_migrations WHERE name = '0008_oscore_state'")
[ "$v" = 1 ] && pass "migration 0008_oscore_state is applied" || fail "migration 0008_oscore_state is applied"

"$CHECK" "$T_DB_URL" >check.out 2>check.err
rc=$?
while IFS= read -r line; do
    case "$line" in
    "ok - "*) pass "${line#ok - }" ;;
    "not ok - "*) fail "${line#not ok - }" ;;
    esac
done <check.out
[ $rc -eq 0 ] && pass "db_oscore_check exits 0" || { fail "db_oscore_check exits 0 (got $rc)"; sed 's/^/#   /' check.err; }

# The table refuses what the code never writes: a counter past 2^40, a floor going below -1.
"$PSQL" -X -qtA "$T_DB_URL" -c "UPDATE oscore_state SET ssn_reserved = 1099511627777" >/dev/null 2>&1 &&
    fail "the table refuses ssn_reserved above 2^40" || pass "the table refuses ssn_reserved above 2^40"
"$PSQL" -X -qtA "$T_DB_URL" -c "INSERT INTO oscore_state (endpoint, recipient_id, has_id_context, id_context)
    VALUES ('x', '\\x01', false, '\\x01')" >/dev/null 2>&1 &&
    fail "the table refuses ID Context bytes without presence" ||
    pass "the table refuses ID Context bytes without presence"

t_done
