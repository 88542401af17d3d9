#!/bin/bash
# test_api_unboot.sh — unbootstrapping's store, API and bsctl against a real
# daemon and a private PostgreSQL, over plain HTTP on 127.0.0.1 with curl:
#   - POST /api/v1/unbootstrap against no token and every role; body
#     validation (ssid 0, 65535, 70000, endpoints empty or 1001 long, unknown
#     members); unknown endpoints listed in "errors", 422 when none is a
#     device; re-queueing returns the same request; audit rows with the
#     token's actor;
#   - list with filters and keyset pages, show, cancel, 409 on a second
#     cancel, 404/400 for bad ids;
#   - the dry run: its shape for a device with a policy, the 20-endpoint cap;
#     the device's dry run given its Access Control object ("acl"), equal to
#     bsctl policy plan --acl on the database and over the API, its errors;
#   - the NOTIFY trigger on unboot_requests (LISTEN in psql sees it) and the
#     daemon reloading after a queue;
#   - GET /api/v1/devices/{endpoint}/accounts;
#   - the record writer: crafted session records with "accounts" and
#     "unboot" placed in the daemon's spool are stored through the real
#     record writer, in a batch that PostgreSQL refuses once (a damaged
#     line) and that is retried line by line: device_accounts and
#     unboot_requests change exactly once;
#   - bsctl unbootstrap / device accounts over the API and on the database.
#
# Usage: tests/integration/test_api_unboot.sh [BUILD_DIR]
# Env (set by meson): BSD_BIN, BSD_BSCTL, BSD_SIM, BSD_SRCDIR, BSD_BUILDDIR.
set -uo pipefail
T_NAME=api_unboot
: "${BSD_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
[ $# -ge 1 ] && BSD_BUILDDIR=$1
. "$BSD_SRCDIR/tests/lib/harness.sh"
BSCTL=${BSD_BSCTL:-$BSD_BUILDDIR/tools/bsctl}
unset BSD_SECRET_KEYS BSD_DB_URL
. "$BSD_SRCDIR/tests/lib/api.sh"
api_db_setup || { t_done; exit 1; }
ADMIN=$(api_token adm admin)
OPER=$(api_token ops operator)
VIEW=$(api_token view viewer)
METR=$(api_token prom metrics)

EP=urn:imei:351000000000007
EP2=urn:imei:351000000000008
{
    echo "endpoint,kind,psk_identity,psk_key,labels"
    echo "$EP,psk,,00112233445566778899aabbccddeeff,line=A"
    echo "$EP2,psk,,a0a1a2a3a4a5a6a7a8a9aaabacadaeaf,line=A"
    echo "other-1,psk,,b0b1b2b3b4b5b6b7b8b9babbbcbdbebf,line=B"
} >"$T_WORK/dev.csv"
check "three devices imported" sh -c '"$1" device import "$2" >/dev/null 2>&1' _ "$BSCTL" "$T_WORK/dev.csv"
check "the factory policy stored" sh -c '"$1" policy apply "$2" >/dev/null 2>&1' _ "$BSCTL" \
    "$BSD_SRCDIR/examples/policies/factory.yaml"

api_start_daemon || { t_done; exit 1; }
JSON=(-H 'Content-Type: application/json')
U=/api/v1/unbootstrap
nreloads() { grep -c 'event=daemon.reload.ok' "$T_WORK/daemon.log"; }

# ---- queue: roles and validation ----------------------------------------------------------------
n0=$(nreloads)
roles POST $U "401 403 403 201 201" "${JSON[@]}" -d "{\"ssid\":101,\"endpoints\":[\"$EP\"],\"reason\":\"dm moved\"}"
check "... one request, queued by the operator, returned again to the admin" \
    test "$(sql "SELECT count(*) || ':' || min(created_by) FROM unboot_requests")" = "1:api:ops"
ID=$(sql "SELECT id FROM unboot_requests")
check "... the admin's answer names that request (same id, pending)" \
    jtrue "$B" 'd["requests"][0]["id"] == int(sys.argv[3]) and d["requests"][0]["state"] == "pending" and d["errors"] == []' "$ID"
check "... one audit row unboot.queue by api:ops" \
    test "$(sql "SELECT count(*) FROM audit WHERE action = 'unboot.queue' AND actor = 'api:ops' AND object = 'device:$EP' AND details->>'ssid' = '101'")" = 1
i=0
while [ "$(nreloads)" -le "$n0" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
check "the daemon reloads after the request was queued (NOTIFY)" test "$(nreloads)" -gt "$n0"

for bad in 0 65535 70000 '"101"'; do
    expect "ssid $bad refused" 400 POST $U "$OPER" "${JSON[@]}" -d "{\"ssid\":$bad,\"endpoints\":[\"$EP\"]}"
done
expect "empty endpoints refused" 400 POST $U "$OPER" "${JSON[@]}" -d '{"ssid":5,"endpoints":[]}'
expect "an endpoint that is not a string refused" 400 POST $U "$OPER" "${JSON[@]}" -d '{"ssid":5,"endpoints":[7]}'
expect "an unknown member refused" 400 POST $U "$OPER" "${JSON[@]}" -d "{\"ssid\":5,\"endpoints\":[\"$EP\"],\"force\":true}"
python3 -c 'import json; print(json.dumps({"ssid": 5, "endpoints": ["d%d" % i for i in range(1001)]}))' >"$T_WORK/big.json"
expect "1001 endpoints refused" 400 POST $U "$OPER" "${JSON[@]}" --data-binary @"$T_WORK/big.json"
expect "a reason over 200 bytes refused" 400 POST $U "$OPER" "${JSON[@]}" \
    -d "{\"ssid\":5,\"endpoints\":[\"$EP\"],\"reason\":\"$(printf 'x%.0s' $(seq 201))\"}"
expect "only unknown endpoints: nothing queued" 422 POST $U "$OPER" "${JSON[@]}" -d '{"ssid":5,"endpoints":["nope-1"]}'
check "... the unknown endpoint is named in the details" jtrue "$B" 'd["code"] == "nothing_queued" and d["details"]["errors"][0]["endpoint"] == "nope-1"'
check "... nothing stored by the refused requests" test "$(sql "SELECT count(*) FROM unboot_requests")" = 1
expect "a mixed list queues the known devices" 201 POST $U "$OPER" "${JSON[@]}" \
    -d "{\"ssid\":7,\"endpoints\":[\"$EP2\",\"nope-2\",\"$EP\",\"$EP2\"]}"
check "... two requests in the order given, the unknown one in errors" \
    jtrue "$B" '[r["endpoint"] for r in d["requests"]] == [sys.argv[3], sys.argv[4]] and d["errors"] == [{"endpoint": "nope-2", "message": "no such device"}]' "$EP2" "$EP"
expect "ssid 102 for $EP" 201 POST $U "$OPER" "${JSON[@]}" -d "{\"ssid\":102,\"endpoints\":[\"$EP\"]}"

# ---- list, show, cancel ---------------------------------------------------------------------------
roles GET "$U?state=pending" "401 403 200 200 200"
check "... four pending requests, newest first" jtrue "$B" 'len(d["requests"]) == 4 and d["next"] is None and d["requests"][0]["ssid"] == 102'
expect "filter by endpoint and ssid" 200 GET "$U?endpoint=$EP&ssid=7" "$VIEW"
check "... exactly that request" jtrue "$B" 'len(d["requests"]) == 1 and d["requests"][0]["ssid"] == 7'
expect "a page of two" 200 GET "$U?limit=2" "$VIEW"
check "... with a cursor" jtrue "$B" 'len(d["requests"]) == 2 and d["next"] is not None'
NEXT=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["next"])' "$B")
expect "the next page" 200 GET "$U?limit=2&cursor=$NEXT" "$VIEW"
check "... the two older requests, no further page" jtrue "$B" 'len(d["requests"]) == 2 and d["next"] is None and d["requests"][-1]["id"] == int(sys.argv[3])' "$ID"
expect "a bad state filter" 400 GET "$U?state=done" "$VIEW"
expect "ssid 0 as filter" 400 GET "$U?ssid=0" "$VIEW"
expect "an unknown query parameter" 400 GET "$U?device=x" "$VIEW"
roles GET "$U/$ID" "401 403 200 200 200"
check "... the request as queued" jtrue "$B" 'd["id"] == int(sys.argv[3]) and d["reason"] == "dm moved" and d["done_at"] is None' "$ID"
expect "an unknown id" 404 GET "$U/999999" "$VIEW"
expect "an id that is no number" 400 GET "$U/abc" "$VIEW"
ID7=$(sql "SELECT id FROM unboot_requests WHERE device = '$EP2' AND ssid = 7")
roles DELETE "$U/$ID7" "401 403 403 200 409"
check "... cancelled by the operator" jtrue "$B" 'd["code"] == "not_pending"'
check "... state cancelled, done_at set, audited" test "$(sql "SELECT state || ':' || (done_at IS NOT NULL) FROM unboot_requests WHERE id = $ID7"):$(sql "SELECT count(*) FROM audit WHERE action = 'unboot.cancel' AND actor = 'api:ops'")" = "cancelled:true:1"
expect "cancelling an unknown id" 404 DELETE "$U/999999" "$OPER"
expect "queueing ssid 7 again after the cancel" 201 POST $U "$OPER" "${JSON[@]}" -d "{\"ssid\":7,\"endpoints\":[\"$EP2\"]}"
check "... a new request" jtrue "$B" 'd["requests"][0]["id"] != int(sys.argv[3])' "$ID7"

# ---- the dry run ----------------------------------------------------------------------------------
np=$(sql "SELECT count(*) FROM unboot_requests")
expect "a dry run is refused to a viewer" 403 POST $U "$VIEW" "${JSON[@]}" -d "{\"ssid\":101,\"endpoints\":[\"$EP\"],\"dry_run\":true}"
expect "a dry run for a device with a policy and one without" 200 POST $U "$OPER" "${JSON[@]}" \
    -d "{\"ssid\":101,\"endpoints\":[\"$EP\",\"other-1\"],\"dry_run\":true}"
check "... the plan of the device, the other one in errors" \
    jtrue "$B" 'len(d["dry_runs"]) == 1 and d["dry_runs"][0]["endpoint"] == sys.argv[3] and isinstance(d["dry_runs"][0]["plan"], dict) and d["errors"][0]["endpoint"] == "other-1"' "$EP"
check "... nothing stored" test "$(sql "SELECT count(*) FROM unboot_requests")" = "$np"
python3 -c 'import json,sys; print(json.dumps({"ssid": 5, "dry_run": True, "endpoints": [sys.argv[1]] * 21}))' "$EP" >"$T_WORK/dry21.json"
expect "a dry run of 21 endpoints" 422 POST $U "$OPER" "${JSON[@]}" --data-binary @"$T_WORK/dry21.json"
expect "a dry run of unknown endpoints only" 422 POST $U "$OPER" "${JSON[@]}" -d '{"ssid":5,"endpoints":["nope"],"dry_run":true}'

# ---- the device's dry run given its Access Control object (acl) -------------------------------------
# Pending for $EP: 7, 101, 102; the policy writes 101 and 102, so only 7 goes. /2/0 is owned by 7
# and shared with 101 (W: score 1) and 102 (R: score 0): 101 owns it next; /2/1 only 7 reaches:
# /3303/1 goes with it.
printf '</>;lwm2m=1.1,</0>;ver=1.2,</0/0>,</0/1>;ssid=101,</0/2>;ssid=102,</0/3>;ssid=7,</1>;ver=1.1,</1/0>;ssid=101,</1/1>;ssid=102,</1/2>;ssid=7,</2>,</2/0>,</2/1>,</3>,</3/0>,</3303>,</3303/0>,</3303/1>' >"$T_WORK/ub-disc.txt"
ACLT='[{"iid":0,"obj":3303,"inst":0,"owner":7,"acl":{"7":31,"101":3,"102":1}},{"iid":1,"obj":3303,"inst":1,"owner":7,"acl":{"7":31}}]'
python3 -c 'import json,sys; print(json.dumps({"discover": open(sys.argv[1]).read(), "pct": 11542, "acl": json.loads(sys.argv[2])}))' \
    "$T_WORK/ub-disc.txt" "$ACLT" >"$T_WORK/ub-plan-body.json"
expect "the device's dry run with a given Discover and Access Control object" 200 POST "/api/v1/devices/$EP/plan" "$VIEW" \
    "${JSON[@]}" --data-binary @"$T_WORK/ub-plan-body.json"
cp "$B" "$T_WORK/ub-plan-api.json"
# (the factory policy then deletes /2 and writes its own /2/0: docs/POLICY.md, "Access control")
check "... the Write of /2/0 shows the rewritten instance's own records (owner 101, no 7)" jtrue "$B" '(
[q for q in d["requests"] if q["method"] == "PUT" and q["path"] == "/2/0"][0]["records"] ==
[{"path": "/2/0/0", "type": "integer", "value": 3303}, {"path": "/2/0/1", "type": "integer", "value": 0},
 {"path": "/2/0/2/101", "type": "integer", "value": 3}, {"path": "/2/0/2/102", "type": "integer", "value": 1},
 {"path": "/2/0/3", "type": "integer", "value": 101}])'
check "... removes 7 only, /2/0 to 101 (score 1), /2/1 and /3303/1 deleted, ACL operations first" jtrue "$B" '(
d["client_state"] == "given" and d["acl_source"] == "given" and
d["session"]["unboot"]["removed"] == [7] and
d["session"]["unboot"]["ops"] == ["delete /2/0", "write /2/0", "delete /3303/1", "delete /2/1", "delete /1/2", "delete /0/3"] and
[c.get("owner") for c in d["session"]["unboot"]["changes"]] == [{"from": 7, "to": 101, "score": 1}, None])'
BSD_DB_URL="$T_DB_URL" "$BSCTL" --local policy plan --device "$EP" --discover @"$T_WORK/ub-disc.txt" --acl "$ACLT" --pct 11542 \
    >"$T_WORK/ub-plan-db.json" 2>"$T_WORK/ub-plan-db.err"
check "... equals bsctl policy plan --acl on the database (plus client_state, acl_source, rotation_due)" python3 -c '
import json, sys
a, b = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
for k in ("client_state", "acl_source", "rotation_due"): a.pop(k)
sys.exit(0 if a == b else 1)' "$T_WORK/ub-plan-api.json" "$T_WORK/ub-plan-db.json"
BSD_API_URL=$H BSD_API_TOKEN=$VIEW "$BSCTL" policy plan --device "$EP" --discover @"$T_WORK/ub-disc.txt" --acl "$ACLT" --pct 11542 \
    >"$T_WORK/ub-plan-cli.json" 2>"$T_WORK/ub-plan-cli.err"
check "bsctl policy plan --acl over the API prints the same plan" python3 -c '
import json, sys
a, b = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
sys.exit(0 if a == b else 1)' "$T_WORK/ub-plan-api.json" "$T_WORK/ub-plan-cli.json"
check "... and says where the Access Control object came from" grep -q 'as given (--acl)' "$T_WORK/ub-plan-cli.err"
expect "the dry run without acl" 200 POST "/api/v1/devices/$EP/plan" "$VIEW" "${JSON[@]}" \
    -d "$(python3 -c 'import json,sys; print(json.dumps({"discover": open(sys.argv[1]).read()}))' "$T_WORK/ub-disc.txt")"
check "... no table recorded: unknown, accounts only" jtrue "$B" \
    'd["acl_source"] == "unknown" and d["session"]["unboot"]["ops"] == ["delete /1/2", "delete /0/3"]'
expect "acl that is not an array" 400 POST "/api/v1/devices/$EP/plan" "$VIEW" "${JSON[@]}" -d '{"acl": {"iid": 0}}'
check "... names the field" jtrue "$B" 'd["code"] == "invalid_request" and d["details"]["field"] == "acl"'
expect "acl with an instance twice" 400 POST "/api/v1/devices/$EP/plan" "$VIEW" "${JSON[@]}" \
    -d '{"acl": [{"iid":0,"obj":3,"inst":0,"owner":1,"acl":{}},{"iid":0,"obj":3,"inst":0,"owner":1,"acl":{}}]}'
check "... says so" jtrue "$B" '"twice" in d["message"]'
expect "acl with rights over 255" 400 POST "/api/v1/devices/$EP/plan" "$VIEW" "${JSON[@]}" \
    -d '{"acl": [{"iid":0,"obj":3,"inst":0,"owner":1,"acl":{"1":256}}]}'
check "bsctl policy plan --acl with broken JSON is a usage error (API)" sh -c \
    'BSD_API_URL=$1 BSD_API_TOKEN=$2 "$3" policy plan --device "$4" --acl "[{" >/dev/null 2>&1; test $? = 2' _ "$H" "$VIEW" "$BSCTL" "$EP"

# ---- NOTIFY ---------------------------------------------------------------------------------------
printf 'LISTEN bsd_changes;\nUPDATE unboot_requests SET reason = %s WHERE id = %s;\nSELECT 1;\n' "'touched'" "$ID" |
    psql -X -At "$T_DB_URL" >"$T_WORK/listen.out" 2>&1
check "LISTEN bsd_changes sees unboot_requests:<endpoint>" grep -q "payload \"unboot_requests:$EP\"" "$T_WORK/listen.out"

# ---- device accounts (none written yet) -----------------------------------------------------------
roles GET "/api/v1/devices/$EP/accounts" "401 403 200 200 200"
check "... no accounts, the two pending removals" \
    jtrue "$B" 'd["endpoint"] == sys.argv[3] and d["accounts"] == [] and sorted(r["ssid"] for r in d["pending"]) == [7, 101, 102]' "$EP"
expect "accounts of an unknown device" 404 GET /api/v1/devices/nope/accounts "$VIEW"

# ---- the record writer ----------------------------------------------------------------------------
# Records as the engine writes them, placed in worker 0's spool while the
# daemon is stopped; the damaged line makes PostgreSQL refuse the first
# batch, which is then stored line by line.
# spool_batch N <LINES: LINES as the next file of worker 0's spool, written while the daemon
# is stopped; then the daemon is started again and N more stored sessions are awaited
# ($nsess: the count before). The file numbers only grow: the writer's position is past
# files it has read, which it may have removed.
spool_seq=
spool_batch() {
    t_stop_daemon
    nsess=$(sql "SELECT count(*) FROM sessions")
    [ -n "$spool_seq" ] ||
        spool_seq=$(ls "$T_WORK/spool" 2>/dev/null | sed -n 's/^w000-\([0-9a-f]\{16\}\)\.jsonl$/\1/p' | sort | tail -n 1)
    spool_seq=$(printf '%016x' $((16#${spool_seq:-0} + 1)))
    mkdir -p "$T_WORK/spool"
    cat >"$T_WORK/spool/w000-$spool_seq.jsonl"
    api_start_daemon || return 1
    i=0
    while [ "$(sql "SELECT count(*) FROM sessions")" -lt $((nsess + $1)) ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
}
ID102=$(sql "SELECT id FROM unboot_requests WHERE device = '$EP' AND ssid = 102 AND state = 'pending'")
sql "INSERT INTO unboot_requests (device, ssid, created_by) VALUES ('$EP', 9, 'test')" >/dev/null
{
    echo "{\"endpoint\":\"$EP\",\"outcome\":\"finished\",\"started\":\"2026-01-01T10:00:00Z\",\"duration_ms\":100,\"accounts\":[101,102]}"
    echo "{\"endpoint\":\"$EP2\",\"outcome\":\"failed\",\"started\":\"2026-01-01T10:00:01Z\",\"accounts\":[103]}"
    echo '{"damaged": '
    echo "{\"endpoint\":\"$EP\",\"outcome\":\"finished-with-errors\",\"started\":\"2026-01-01T11:00:00Z\",\"duration_ms\":100,\"unboot\":{\"acl\":\"read\",\"removed\":[102],\"absent\":[7,9],\"failed\":0,\"ops\":[]}}"
    echo "{\"endpoint\":\"$EP2\",\"outcome\":\"finished\",\"started\":\"2026-01-01T11:00:01Z\",\"accounts\":[101,\"x\",0,70000],\"unboot\":{\"removed\":[],\"absent\":[7],\"failed\":1}}"
    echo "{\"endpoint\":\"$EP\",\"outcome\":\"finished\",\"started\":\"2026-01-01T12:00:00Z\",\"accounts\":[101]}"
} >"$T_WORK/batch1.jsonl"
spool_batch 5 <"$T_WORK/batch1.jsonl" || { t_done; exit 1; }
check "the five good records stored once, the damaged line skipped" test "$(sql "SELECT count(*) FROM sessions")" = $((nsess + 5))
check "... the refused batch was retried line by line" grep -q 'records.line.refused' "$T_WORK/daemon.log"
S2=$(sql "SELECT id FROM sessions WHERE started_at = '2026-01-01T11:00:00Z'")
S3=$(sql "SELECT id FROM sessions WHERE started_at = '2026-01-01T12:00:00Z'")
check "device_accounts: $EP has 101 only (102 removed), first written by the first session, last by the third" \
    test "$(sql "SELECT string_agg(ssid || '@' || to_char(first_written AT TIME ZONE 'UTC', 'HH24:MI:SS.MS') || '/' || to_char(last_written AT TIME ZONE 'UTC', 'HH24:MI:SS.MS') || '#' || last_session, ' ' ORDER BY ssid) FROM device_accounts WHERE device = '$EP'")" \
    = "101@10:00:00.100/12:00:00.000#$S3"
check "... $EP2 got 101 from its finished record (bad SSIDs left out), nothing from the failed one" \
    test "$(sql "SELECT string_agg(ssid::text, ',' ORDER BY ssid) FROM device_accounts WHERE device = '$EP2'")" = 101
check "... request 102 applied by the second session, 7 and 9 absent, 101 still pending" \
    test "$(sql "SELECT string_agg(ssid || ':' || state || ':' || coalesce(session, 0), ' ' ORDER BY ssid) FROM unboot_requests WHERE device = '$EP' AND state <> 'cancelled'")" \
    = "7:absent:$S2 9:absent:$S2 101:pending:0 102:applied:$S2"
check "... the failed unbootstrap of $EP2 changed no request" \
    test "$(sql "SELECT count(*) FROM unboot_requests WHERE device = '$EP2' AND state = 'pending' AND ssid = 7")" = 1
expect "the device's accounts over the API" 200 GET "/api/v1/devices/$EP/accounts" "$VIEW"
check "... account 101 with its last session, 101 pending" \
    jtrue "$B" '[(a["ssid"], a["last_session"]) for a in d["accounts"]] == [(101, int(sys.argv[3]))] and [r["ssid"] for r in d["pending"]] == [101]' "$S3"
expect "request 102 shows its session" 200 GET "$U/$ID102" "$VIEW"
check "... applied" jtrue "$B" 'd["state"] == "applied" and d["session"] == int(sys.argv[3]) and d["done_at"] is not None' "$S2"

# A later batch (another spool file, as another worker's would be) with sessions of $EP2 older
# than the one that wrote its 101: neither the removal nor the write of 101 takes effect.
{
    echo "{\"endpoint\":\"$EP2\",\"outcome\":\"finished\",\"started\":\"2026-01-01T10:30:00Z\",\"unboot\":{\"acl\":\"read\",\"removed\":[101],\"absent\":[],\"failed\":0,\"ops\":[]}}"
    echo "{\"endpoint\":\"$EP2\",\"outcome\":\"finished\",\"started\":\"2026-01-01T09:00:00Z\",\"accounts\":[101]}"
} >"$T_WORK/batch2.jsonl"
spool_batch 2 <"$T_WORK/batch2.jsonl" || { t_done; exit 1; }
check "older sessions stored later leave device_accounts alone ($EP2: 101, last written 11:00:01)" \
    test "$(sql "SELECT count(*) FROM sessions")-$(sql "SELECT string_agg(ssid || '@' || to_char(last_written AT TIME ZONE 'UTC', 'HH24:MI:SS'), ',') FROM device_accounts WHERE device = '$EP2'")" \
    = "$((nsess + 2))-101@11:00:01"

# ---- bsctl over the API and on the database -------------------------------------------------------
export BSD_API_URL=$H BSD_API_TOKEN=$OPER
check "bsctl unbootstrap queue (API)" sh -c '"$1" unbootstrap queue --ssid 55 --device "$2" --reason cli >"$3/q.out" 2>&1' _ "$BSCTL" "$EP" "$T_WORK"
check "... the table names the request" grep -q "$EP.*55.*pending" "$T_WORK/q.out"
check "... audited as api:ops" test "$(sql "SELECT count(*) FROM audit WHERE action = 'unboot.queue' AND actor = 'api:ops' AND details->>'ssid' = '55'")" = 1
"$BSCTL" --json unbootstrap list --state pending --ssid 55 >"$T_WORK/l.json" 2>&1
check "bsctl unbootstrap list --json (API)" jtrue "$T_WORK/l.json" 'len(d["requests"]) == 1 and d["requests"][0]["reason"] == "cli"'
ID55=$(sql "SELECT id FROM unboot_requests WHERE ssid = 55")
check "bsctl unbootstrap cancel (API)" sh -c '"$1" unbootstrap cancel "$2" >/dev/null 2>&1' _ "$BSCTL" "$ID55"
check "... a second cancel fails" sh -c '! "$1" unbootstrap cancel "$2" 2>"$3/c.err" && grep -q "not pending" "$3/c.err"' _ "$BSCTL" "$ID55" "$T_WORK"
check "bsctl unbootstrap queue with an unknown device fails and names it (API)" \
    sh -c '! "$1" unbootstrap queue --ssid 56 --device "$2" --device nope-9 >/dev/null 2>"$3/e.err" && grep -q "nope-9: no such device" "$3/e.err"' _ "$BSCTL" "$EP" "$T_WORK"
"$BSCTL" --json unbootstrap queue --ssid 101 --device "$EP" --dry-run >"$T_WORK/d.json" 2>&1
check "bsctl unbootstrap queue --dry-run (API)" jtrue "$T_WORK/d.json" 'isinstance(d["dry_runs"][0]["plan"], dict)'
check "bsctl device accounts (API)" sh -c '"$1" device accounts "$2" >"$3/a.out" 2>&1 && grep -q "^101 " "$3/a.out"' _ "$BSCTL" "$EP" "$T_WORK"
check "bsctl as a viewer cannot queue" sh -c '! BSD_API_TOKEN=$3 "$1" unbootstrap queue --ssid 57 --device "$2" >/dev/null 2>&1' _ "$BSCTL" "$EP" "$VIEW"
unset BSD_API_URL BSD_API_TOKEN
export BSD_DB_URL="$T_DB_URL"
"$BSCTL" --json unbootstrap queue --ssid 58 --device "$EP" --device "$EP" >"$T_WORK/lq.json" 2>&1
check "bsctl unbootstrap queue (database)" jtrue "$T_WORK/lq.json" 'len(d["requests"]) == 1 and d["requests"][0]["created_by"].startswith("bsctl:")'
check "... audited with the bsctl actor" test "$(sql "SELECT count(*) FROM audit WHERE action = 'unboot.queue' AND actor LIKE 'bsctl:%' AND details->>'ssid' = '58'")" = 1
"$BSCTL" --json unbootstrap queue --ssid 58 --device "$EP" >"$T_WORK/lq2.json" 2>&1
check "... queued again: the same request" python3 -c 'import json,sys; a,b=(json.load(open(f))["requests"][0]["id"] for f in sys.argv[1:]); sys.exit(a!=b)' "$T_WORK/lq.json" "$T_WORK/lq2.json"
ID58=$(sql "SELECT id FROM unboot_requests WHERE ssid = 58")
check "bsctl unbootstrap list (database)" sh -c '"$1" unbootstrap list --device "$2" --ssid 58 | grep -q "^$3 .*pending"' _ "$BSCTL" "$EP" "$ID58"
check "bsctl unbootstrap show (database)" sh -c '"$1" unbootstrap show "$2" | grep -q "state: *pending"' _ "$BSCTL" "$ID58"
check "bsctl unbootstrap cancel (database)" sh -c '"$1" unbootstrap cancel "$2" >/dev/null' _ "$BSCTL" "$ID58"
check "... state cancelled, audited" test "$(sql "SELECT state FROM unboot_requests WHERE id = $ID58"):$(sql "SELECT count(*) FROM audit WHERE action = 'unboot.cancel' AND actor LIKE 'bsctl:%'")" = "cancelled:1"
check "... a second cancel fails" sh -c '! "$1" unbootstrap cancel "$2" 2>/dev/null' _ "$BSCTL" "$ID58"
"$BSCTL" --json device accounts "$EP" >"$T_WORK/la.json" 2>&1
check "bsctl device accounts --json (database)" jtrue "$T_WORK/la.json" '[x["ssid"] for x in d["accounts"]] == [101] and d["endpoint"] == sys.argv[3]' "$EP"
"$BSCTL" --json unbootstrap queue --ssid 101 --device "$EP" --dry-run >"$T_WORK/ld.json" 2>&1
check "bsctl unbootstrap queue --dry-run (database)" jtrue "$T_WORK/ld.json" 'isinstance(d["dry_runs"][0]["plan"], dict)'
check "bsctl unbootstrap queue --ssid 0 is a usage error" sh -c '"$1" unbootstrap queue --ssid 0 --device x >/dev/null 2>&1; test $? = 2' _ "$BSCTL"

check "the daemon is still up" kill -0 "$T_DAEMON_PID"
t_done
