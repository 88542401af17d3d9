#!/bin/bash
# Integration test for OSCORE devices (RFC 8613) in the PostgreSQL store:
# a private cluster, `bsctl device import` of CSV and JSON with oscore rows,
# a duplicate Sender ID refused with line:column, `device add ... oscore`,
# `device show` hiding the Master Secret and `--reveal` showing it, the
# sealed column not holding the secret's bytes, the API's device JSON
# without the secret, and the daemon loading the oscore devices (its
# `db.devices.oscore` log line and the device count of `bsd -n`).
#
# Usage: tests/integration/test_oscore_devices.sh [BUILD_DIR]
# Env (set by meson): BSD_BIN, BSD_BSCTL, BSD_SRCDIR, BSD_BUILDDIR.
# Output: `ok`/`not ok` lines, then `oscore-devices: N passed, M failed`.
set -uo pipefail
T_NAME=oscore-devices
: "${BSD_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
[ $# -ge 1 ] && BSD_BUILDDIR=$1
. "$BSD_SRCDIR/tests/lib/harness.sh"
BSCTL=${BSD_BSCTL:-$BSD_BUILDDIR/tools/bsctl}
. "$BSD_SRCDIR/tests/lib/api.sh"
unset PGHOST PGPORT PGUSER PGDATABASE PGSERVICE PGPASSWORD BSD_SECRET_KEYS BSD_DB_URL
export PSQLRC=/dev/null
api_db_setup || { t_done; exit 1; }
check "minimal policy applied" sh -c '"$1" policy apply "$2" >/dev/null 2>&1' _ "$BSCTL" \
    "$BSD_SRCDIR/examples/policies/minimal.yaml"
cd "$T_WORK" || exit 1

# Distinct, recognisable secrets (RFC 8613 C.1.1's is 0102..10).
S1=0102030405060708090a0b0c0d0e0f10
S2=a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4
S3=c0c1c2c3c4c5c6c7c8c9cacbcccdcecf
S4=d0d1d2d3d4d5d6d7d8d9dadbdcdddedf
SALT=9e7ca92223786340

# ---- CSV: every field; a duplicate Sender ID is refused with line:column ------
cat >o.csv <<CSV
endpoint,kind,oscore_sender_id,oscore_recipient_id,oscore_secret,oscore_salt,oscore_id_context,labels
os-1,oscore,01,,$S1,$SALT,,site=a
os-2,oscore,02,01,$S2,,37cbf3210017a2d3,
os-3,oscore,01,05,$S3,,,
psk-1,psk,,,,,,
CSV
"$BSCTL" device import o.csv >imp.out 2>imp.err
rc=$?
[ $rc -eq 1 ] && grep -q "^o.csv: 2 imported, 2 refused (2 in the file, 0 by the database)" imp.out &&
    pass "CSV import: 2 imported, 2 refused" || { fail "CSV import (rc $rc)"; show imp.out; show imp.err; }
grep -q "^o.csv:4:13: duplicate oscore_sender_id (also on line 2)$" imp.err &&
    pass "duplicate Sender ID refused with line:column" || { fail "duplicate Sender ID message"; show imp.err; }
grep -q "^o.csv:5:1: psk device needs psk_key$" imp.err && pass "a psk row in the same file is checked as psk" ||
    { fail "psk row message"; show imp.err; }
if grep -qi -e "$S3" -e "$S1" imp.err imp.out; then fail "import output holds a secret"; else
    pass "import output holds no secret"; fi

# ---- JSON: the empty Sender ID; the database refuses a taken (kid, ID Context) --
cat >o.json <<JSON
[{"endpoint": "os-4", "kind": "oscore", "oscore_sender_id": "", "oscore_recipient_id": "0a",
  "oscore_secret": "$S4"},
 {"endpoint": "os-5", "kind": "oscore", "oscore_sender_id": "02", "oscore_recipient_id": "0b",
  "oscore_secret": "$S4", "oscore_id_context": "37cbf3210017a2d3"}]
JSON
"$BSCTL" device import o.json >impj.out 2>impj.err
rc=$?
[ $rc -eq 1 ] && grep -q "^o.json: 1 imported, 1 refused (0 in the file, 1 by the database)" impj.out &&
    pass "JSON import: 1 imported, 1 refused by the database" || { fail "JSON import (rc $rc)"; show impj.out; show impj.err; }
grep -q "^o.json:3:2: oscore_sender_id with this oscore_id_context already used by device 'os-2' in the database$" impj.err &&
    pass "database refusal names the device with that Sender ID and ID Context" ||
    { fail "database refusal message"; show impj.err; }

# ---- bsctl device add / show ----------------------------------------------------
"$BSCTL" device add os-6 oscore --oscore-sender-id 06 --oscore-recipient-id "" --oscore-secret "$S2" \
    --oscore-salt "$SALT" --oscore-id-context aa >add.out 2>&1 &&
    grep -q "^added device os-6 (oscore)$" add.out && pass "device add os-6 oscore" || { fail "device add"; show add.out; }
"$BSCTL" device add os-7 oscore --oscore-sender-id 06 --oscore-recipient-id 07 --oscore-secret "$S1" \
    --oscore-id-context aa >add2.out 2>&1
rc=$?
[ $rc -eq 1 ] && grep -q "oscore_sender_id with this oscore_id_context already used by device 'os-6'" add2.out &&
    pass "device add with a taken (Sender ID, ID Context) refused" || { fail "device add duplicate (rc $rc)"; show add2.out; }
"$BSCTL" device add os-8 oscore --oscore-sender-id 08 --oscore-recipient-id 07 --oscore-secret 0102 >add3.out 2>&1
rc=$?
[ $rc -eq 2 ] && grep -q "oscore_secret must be at least 16 bytes (got 2)" add3.out &&
    pass "device add with a short secret is a usage error" || { fail "short secret (rc $rc)"; show add3.out; }

"$BSCTL" device show os-1 >show.out 2>&1
grep -q "^oscore_sender_id:   01$" show.out && grep -q "^oscore_recipient_id:(empty)$" show.out &&
    grep -q "^oscore_secret:      (hidden; --reveal shows it)$" show.out && ! grep -qi "$S1" show.out &&
    pass "device show hides the secret" || { fail "device show"; show show.out; }
"$BSCTL" device show os-1 --reveal >rev.out 2>&1
grep -q "^oscore_secret:      $S1$" rev.out && grep -q "^oscore_salt:        $SALT$" rev.out &&
    pass "device show --reveal shows secret and salt" || { fail "device show --reveal"; show rev.out; }
"$BSCTL" --json device show os-2 >showj.out 2>&1
jtrue showj.out 'd["kind"] == "oscore" and d["oscore_sender_id"] == "02" and d["oscore_id_context"] == "37cbf3210017a2d3" and "oscore_secret" not in d' &&
    pass "device show --json: IDs, no secret" || { fail "device show --json"; show showj.out; }
"$BSCTL" device list >list.out 2>&1
grep -q "^os-4 .*oscore *sender_id=(empty)" list.out && pass "device list shows the empty Sender ID" ||
    { fail "device list"; show list.out; }

# ---- at rest: sealed, bound to the row -----------------------------------------
v=$(sql "SELECT encode(oscore_secret, 'hex') || ' ' || coalesce(encode(oscore_salt, 'hex'), '') FROM devices WHERE endpoint = 'os-1'")
case "$v" in
*"$S1"* | *"$SALT"* | "") fail "the sealed columns hold the secret's bytes ($v)" ;;
01*) pass "oscore_secret and oscore_salt are sealed (version 01), without the plain bytes" ;;
*) fail "sealed column format ($v)" ;;
esac
n=$(sql "SELECT count(*) FROM devices WHERE encode(oscore_secret, 'hex') LIKE '%' || '$S2' || '%'")
[ "$n" = 0 ] && pass "no sealed column holds another secret" || fail "secret found in $n rows"
sql "UPDATE devices SET oscore_secret = (SELECT oscore_secret FROM devices WHERE endpoint = 'os-2') WHERE endpoint = 'os-6'" >/dev/null
"$BSCTL" device show os-6 --reveal >copy.out 2>&1
rc=$?
[ $rc -eq 1 ] && grep -q "device os-6: oscore_secret does not decrypt" copy.out &&
    pass "a sealed secret copied into another row does not open" || { fail "copied secret (rc $rc)"; show copy.out; }
# os-6 again as it was (a damaged row would stop the daemon's load)
"$BSCTL" device remove os-6 >/dev/null 2>&1
check "os-6 added again" sh -c '"$1" device add os-6 oscore --oscore-sender-id 06 --oscore-recipient-id "" \
    --oscore-secret "$2" --oscore-salt "$3" --oscore-id-context aa >/dev/null 2>&1' _ "$BSCTL" "$S2" "$SALT"

# ---- the API: the device JSON never holds the secret -------------------------------
VIEW=$(api_token view viewer)
api_start_daemon || { t_done; exit 1; }
api GET /api/v1/devices/os-1 "$VIEW"
[ "$CODE" = 200 ] && jtrue "$B" 'd["kind"] == "oscore" and d["oscore_sender_id"] == "01" and "oscore_secret" not in d and "oscore_salt" not in d' &&
    ! grep -qi -e "$S1" -e "$SALT" "$B" && pass "API device JSON: IDs, no secret or salt" || { fail "API device ($CODE)"; show "$B"; }
api GET "/api/v1/devices?limit=100" "$VIEW"
[ "$CODE" = 200 ] && ! grep -qi -e "$S1" -e "$S2" -e "$S4" "$B" && pass "API device list holds no secret" ||
    { fail "API device list ($CODE)"; show "$B"; }

# ---- the daemon loads the oscore devices ------------------------------------------
# os-1, os-2, os-4, os-6 are oscore devices.
sleep 0.5
grep -q 'db.devices.oscore.*count=4' "$T_WORK/daemon.log" && pass "daemon log counts 4 oscore devices" ||
    { fail "daemon load log"; show "$T_WORK/daemon.log"; }
if grep -qi -e "$S1" -e "$S2" -e "$S4" -e "$SALT" "$T_WORK/daemon.log"; then fail "daemon log holds a secret"; else
    pass "daemon log holds no secret"; fi
t_stop_daemon
"$BSD_BIN" -c "$T_WORK/bsd.conf" -n >check.out 2>&1
grep -q "^configuration OK (4 devices)$" check.out && pass "bsd -n counts the 4 oscore devices" ||
    { fail "bsd -n"; show check.out; }

t_done
