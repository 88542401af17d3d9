#!/bin/bash
# test_api_policies.sh — the policy, dry-run and credential-export resources
# of the REST admin API against a real daemon, a private PostgreSQL and the
# simulated client, over plain HTTP on 127.0.0.1 with curl:
#   - every endpoint against no token and every role (401/403/2xx);
#   - a broken YAML policy is 422 with line and column, a document whose
#     `policy:` name differs from the path is 400, nothing stored;
#   - version 2 stored over the API reaches the running daemon (LISTEN/
#     NOTIFY): the next bootstrap's record says plan_version 2; the same
#     source again stores nothing; the diff shows the changed line; rolling
#     back to version 1 reaches the daemon too;
#   - the dry run equals `bsctl policy plan` for the same device (with and
#     without reveal); reveal is refused to an operator (403, audited);
#   - the credentials export equals `bsctl policy credentials --reveal` (bsd
#     format) and holds the same keys in Leshan's SecurityInfo shape (PSK,
#     RPK, and OSCORE from the server's side); it is refused to operator and
#     viewer, and every export is audited without a secret.
#
# Usage: tests/integration/test_api_policies.sh [BUILD_DIR]
# Env (set by meson): BSD_BIN, BSD_BSCTL, BSD_SIM, BSD_SRCDIR, BSD_BUILDDIR.
set -uo pipefail
T_NAME=api_policies
: "${BSD_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
[ $# -ge 1 ] && BSD_BUILDDIR=$1
. "$BSD_SRCDIR/tests/lib/harness.sh"
BSCTL=${BSD_BSCTL:-$BSD_BUILDDIR/tools/bsctl}
SIM=${BSD_SIM:-$BSD_BUILDDIR/tools/bsd-sim}
unset BSD_SECRET_KEYS BSD_DB_URL
. "$BSD_SRCDIR/tests/lib/api.sh"
api_db_setup || { t_done; exit 1; }
ADMIN=$(api_token adm admin)
OPER=$(api_token ops operator)
VIEW=$(api_token view viewer)
METR=$(api_token prom metrics)

EP=urn:imei:351000000000007
KEY=00112233445566778899aabbccddeeff
{
    echo "endpoint,kind,psk_identity,psk_key,labels"
    echo "$EP,psk,,$KEY,line=A"
    echo "urn:imei:351000000000008,psk,,a0a1a2a3a4a5a6a7a8a9aaabacadaeaf,line=A"
    echo "other-1,psk,,b0b1b2b3b4b5b6b7b8b9babbbcbdbebf,line=B"
} >"$T_WORK/dev.csv"
check "three devices imported" sh -c '"$1" device import "$2" >/dev/null 2>&1' _ "$BSCTL" "$T_WORK/dev.csv"

api_start_daemon || { t_done; exit 1; }
YAML=(-H 'Content-Type: application/yaml')
JSON=(-H 'Content-Type: application/json')
FACTORY=$BSD_SRCDIR/examples/policies/factory.yaml
P=/api/v1/policies/factory-line-a
# nreloads: configuration generations loaded so far; wait_reload N: more than N within 10 s.
nreloads() { grep -c 'event=daemon.reload.ok' "$T_WORK/daemon.log"; }
wait_reload() {
    i=0
    while [ "$(nreloads)" -le "$1" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
    [ "$(nreloads)" -gt "$1" ]
}
nsess() { sql "SELECT count(*) FROM sessions WHERE endpoint = '$EP'"; }
# bootstrap: one session of $EP; prints its record's plan_version.
bootstrap() {
    before=$(nsess)
    timeout 40 "$SIM" --server "coaps://127.0.0.1:$port" --timeout 30 --ep $EP --psk-identity $EP --psk-key $KEY \
        --pct 112 --dialect wakaama >"$T_WORK/sim.out" 2>&1
    i=0
    while [ "$(nsess)" = "$before" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
    sql "SELECT (record->>'plan_version') || ':' || outcome FROM sessions WHERE endpoint = '$EP' ORDER BY id DESC LIMIT 1"
}
# bootstrap_until WANT: bootstraps until the record says WANT (at most 3
# times): a reload already running when a change commits may load the state
# before it; the notification then brings another reload. Prints the last.
bootstrap_until() {
    for _ in 1 2 3; do
        n=$(nreloads)
        v=$(bootstrap)
        [ "$v" = "$1" ] && break
        wait_reload "$n"
    done
    echo "$v"
}

# ---- refused documents ------------------------------------------------------------
printf 'policy: factory-line-a\nservers:\n  - ssid: 0\n    uri: "coaps://dm.example.com"\n' >"$T_WORK/broken.yaml"
expect "a broken policy" 422 PUT $P "$OPER" "${YAML[@]}" --data-binary @"$T_WORK/broken.yaml"
if jtrue "$B" 'd["code"] == "invalid_policy" and len(d["details"]["errors"]) == 1 and all(isinstance(e["line"], int) and e["line"] >= 1 and isinstance(e["column"], int) and e["column"] >= 1 and len(e["message"]) > 5 for e in d["details"]["errors"])'; then
    pass "... invalid_policy with line, column and message"
else fail "422 details"; show "$B"; fi
"$BSCTL" policy validate "$T_WORK/broken.yaml" >"$T_WORK/validate.out" 2>&1
want=$(sed -n 's/^.*broken.yaml:\([0-9]*\):\([0-9]*\): .*$/\1 \2/p' "$T_WORK/validate.out")
got=$(python3 -c 'import json,sys; e=json.load(open(sys.argv[1]))["details"]["errors"][0]; print(e["line"], e["column"])' "$B")
[ -n "$want" ] && [ "$want" = "$got" ] && pass "... the same line and column as bsctl policy validate ($got)" ||
    fail "position: API $got, bsctl $want"
sed 's/^policy: factory-line-a/policy: other-name/' "$FACTORY" >"$T_WORK/other.yaml"
expect "a document named otherwise than the path" 400 PUT $P "$OPER" "${YAML[@]}" --data-binary @"$T_WORK/other.yaml"
check "... name_mismatch naming both" jtrue "$B" 'd["code"] == "name_mismatch" and d["details"] == {"path": "factory-line-a", "policy": "other-name"}'
expect "YAML sent as text/plain" 415 PUT $P "$OPER" -H 'Content-Type: text/plain' --data-binary @"$FACTORY"
expect "?activate=maybe" 400 PUT "$P?activate=maybe" "$OPER" "${YAML[@]}" --data-binary @"$FACTORY"
check "nothing is stored" [ "$(sql 'SELECT count(*) FROM policies')" = 0 ]

# ---- roles ----------------------------------------------------------------------------
roles PUT $P "401 403 403 201 200" "${YAML[@]}" --data-binary @"$FACTORY"
api GET /api/v1/policies "$VIEW"
check "the admin's PUT of the same source stored nothing (one version)" jtrue "$B" \
    'd["policies"] == [{"name": "factory-line-a", "active_version": 1, "latest_version": 1, "priority": 10, "versions": 1, "author": "api:ops", "created": d["policies"][0]["created"]}]'
check "policy.store audited with actor api:ops" [ "$(sql "SELECT actor FROM audit WHERE action = 'policy.store'")" = "api:ops" ]
roles GET /api/v1/policies "401 403 200 200 200"
roles GET $P "401 403 200 200 200"
roles GET $P/versions "401 403 200 200 200"
roles GET $P/versions/1 "401 403 200 200 200"
roles GET "$P/diff?from=1&to=1" "401 403 200 200 200"
roles POST $P/activate "401 403 403 200 200" "${JSON[@]}" -d '{"version": 1}'
roles POST /api/v1/devices/$EP/plan "401 403 200 200 200" "${JSON[@]}" -d '{}'
roles GET "/api/v1/credentials?endpoint=$EP" "401 403 403 403 200"
expect "a policy that does not exist" 404 GET /api/v1/policies/nothing/versions "$VIEW"
expect "a version that does not exist" 404 GET $P/versions/9 "$VIEW"
expect "a version that is not a number" 400 GET $P/versions/x "$VIEW"
expect "activating a version that does not exist" 404 POST $P/activate "$OPER" "${JSON[@]}" -d '{"version": 7}'
expect "activate with a malformed body" 400 POST $P/activate "$OPER" "${JSON[@]}" -d '{"v": 1}'

# ---- version 2 reaches the daemon, and the roll-back too ----------------------------------
v=$(bootstrap)
check "the device bootstraps under version 1 ($v)" [ "$v" = "1:finished" ]
sed 's/lifetime: 3600/lifetime: 7200/' "$FACTORY" >"$T_WORK/v2.yaml"
g=$(nreloads)
expect "PUT version 2" 201 PUT $P "$OPER" -H 'Content-Type: text/x-yaml' --data-binary @"$T_WORK/v2.yaml"
check "... version 2, active, stored" jtrue "$B" 'd == {"name": "factory-line-a", "version": 2, "active": True, "stored": True, "warnings": []}'
check "... Location names the version" grep -qi "^location: $P/versions/2" "$T_WORK/hdr"
check "the daemon reloads on the notification" wait_reload "$g"
v=$(bootstrap_until 2:finished)
check "the next bootstrap follows version 2 ($v)" [ "$v" = "2:finished" ]
expect "the same source again" 200 PUT $P "$OPER" -H 'Content-Type: text/yaml' --data-binary @"$T_WORK/v2.yaml"
check "... stores nothing and names version 2" jtrue "$B" 'd["version"] == 2 and d["stored"] is False and d["active"] is True'
check "... two versions in the table" [ "$(sql "SELECT count(*) FROM policies")" = 2 ]
expect "PUT version 3 without activating" 201 PUT "$P?activate=false" "$OPER" "${YAML[@]}" \
    --data-binary "$(sed 's/lifetime: 3600/lifetime: 900/' "$FACTORY")"
check "... stored, not active" jtrue "$B" 'd["version"] == 3 and d["active"] is False'
api GET $P/versions "$VIEW"
check "versions: 1, 2 (active), 3" jtrue "$B" '[(v["version"], v["active"]) for v in d["versions"]] == [(1, False), (2, True), (3, False)]'
api GET $P/versions/2 "$VIEW"
check "version 2 as JSON holds its source" jtrue "$B" 'd["version"] == 2 and d["active"] and d["source"] == open(sys.argv[3]).read() and d["author"] == "api:ops"' "$T_WORK/v2.yaml"
api GET $P/versions/2 "$VIEW" -H 'Accept: application/yaml'
check "... with Accept: application/yaml, the YAML itself" cmp -s "$B" "$T_WORK/v2.yaml"
check "... as application/yaml" grep -qi '^content-type: application/yaml' "$T_WORK/hdr"
api GET "$P/diff?from=1&to=2" "$VIEW"
check "the diff of 1 and 2 is text/x-diff" grep -qi '^content-type: text/x-diff' "$T_WORK/hdr"
check "... and shows the changed line" sh -c 'grep -qx -- "-    lifetime: 3600" "$1" && grep -qx -- "+    lifetime: 7200" "$1" &&
    [ "$(grep -c "^[-+] " "$1")" = 2 ] && head -n 2 "$1" | tr "\n" "|" | grep -q "^--- factory-line-a v1|+++ factory-line-a v2|$"' _ "$B"
diff -u --label "factory-line-a v1" --label "factory-line-a v2" "$FACTORY" "$T_WORK/v2.yaml" >"$T_WORK/want.diff"
check "... exactly as diff -u prints it" cmp -s "$B" "$T_WORK/want.diff"
expect "a diff without 'to'" 400 GET "$P/diff?from=1" "$VIEW"
g=$(nreloads)
expect "roll back to version 1" 200 POST $P/activate "$OPER" "${JSON[@]}" -d '{"version": 1}'
check "the daemon reloads again" wait_reload "$g"
v=$(bootstrap_until 1:finished)
check "the next bootstrap follows version 1 again ($v)" [ "$v" = "1:finished" ]
v=$(sql "SELECT count(*) FROM audit WHERE action = 'policy.activate' AND actor = 'api:ops' AND details->>'version' = '1'")
[ "$v" -ge 1 ] && pass "the roll-back is audited" || fail "roll-back audit ($v)"

# ---- dry run ------------------------------------------------------------------------------
expect "plan as viewer" 200 POST /api/v1/devices/$EP/plan "$VIEW" "${JSON[@]}" -d '{}'
cp "$B" "$T_WORK/api-plan.json"
"$BSCTL" policy plan --device $EP >"$T_WORK/bsctl-plan.json" 2>"$T_WORK/bsctl-plan.err"
check "the dry run equals bsctl policy plan's (plus client_state, acl_source and rotation_due)" python3 - "$T_WORK/api-plan.json" "$T_WORK/bsctl-plan.json" <<'PY'
import json, sys
a, b = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
extra = {k: a.pop(k) for k in ("client_state", "acl_source", "rotation_due")}
ok = a == b and extra == {"client_state": "last_session", "acl_source": "unknown", "rotation_due": False} and len(b["requests"]) > 5
print("# extra:", extra) if not ok else None
sys.exit(0 if ok else 1)
PY
check "... which shows no secret" sh -c 'grep -q "<redacted>" "$1"' _ "$T_WORK/api-plan.json"
expect "reveal as operator" 403 POST /api/v1/devices/$EP/plan "$OPER" "${JSON[@]}" -d '{"reveal": true}'
check "... forbidden, naming admin" jtrue "$B" 'd["code"] == "forbidden" and d["details"] == {"role": "operator", "required": "admin"}'
v=$(sql "SELECT count(*) FROM audit WHERE action = 'api.denied' AND actor = 'api:ops' AND object = 'POST /api/v1/devices/$EP/plan' AND details->>'status' = '403'")
[ "$v" -ge 1 ] && pass "... and audited as denied" || fail "denied reveal audit ($v)"
expect "reveal as admin" 200 POST /api/v1/devices/$EP/plan "$ADMIN" "${JSON[@]}" -d '{"reveal": true}'
"$BSCTL" policy plan --device $EP --reveal >"$T_WORK/bsctl-plan2.json" 2>/dev/null
check "... equals bsctl policy plan --reveal" python3 -c '
import json, sys
a, b = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
a.pop("client_state"); a.pop("acl_source"); a.pop("rotation_due")
sys.exit(0 if a == b and "<redacted>" not in json.dumps(a) else 1)' "$B" "$T_WORK/bsctl-plan2.json"
printf '</>;lwm2m=1.1,</0>;ver=1.2,</0/0>,</1>;ver=1.1,</3>,</3/0>' >"$T_WORK/disc.txt"
sed 's/lifetime: 3600/lifetime: 4321/' "$FACTORY" >"$T_WORK/try.yaml"
python3 -c 'import json,sys; print(json.dumps({"discover": open(sys.argv[1]).read(), "pct": 11542, "policy_yaml": open(sys.argv[2]).read()}))' \
    "$T_WORK/disc.txt" "$T_WORK/try.yaml" >"$T_WORK/plan-body.json"
expect "plan with a given Discover, format and an unstored policy" 200 POST /api/v1/devices/$EP/plan "$VIEW" "${JSON[@]}" \
    --data-binary @"$T_WORK/plan-body.json"
cp "$B" "$T_WORK/api-plan3.json"
"$BSCTL" policy plan --device $EP --file "$T_WORK/try.yaml" --discover @"$T_WORK/disc.txt" --pct 11542 \
    >"$T_WORK/bsctl-plan3.json" 2>/dev/null
check "... equals bsctl policy plan --file --discover --pct, client_state given" python3 -c '
import json, sys
a, b = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
st = a.pop("client_state"); a.pop("acl_source"); a.pop("rotation_due")
sys.exit(0 if a == b and st == "given" and "4321" in json.dumps(a) else 1)' "$T_WORK/api-plan3.json" "$T_WORK/bsctl-plan3.json"
expect "plan with a broken unstored policy" 422 POST /api/v1/devices/$EP/plan "$VIEW" "${JSON[@]}" \
    -d "$(python3 -c 'import json,sys; print(json.dumps({"policy_yaml": open(sys.argv[1]).read()}))' "$T_WORK/broken.yaml")"
check "... with line and column" jtrue "$B" 'd["code"] == "invalid_policy" and d["details"]["errors"][0]["line"] >= 1'
expect "plan for a device no policy matches" 422 POST /api/v1/devices/other-1/plan "$VIEW" "${JSON[@]}" -d '{}'
check "... no_matching_policy" jtrue "$B" 'd["code"] == "no_matching_policy"'
expect "plan for a device that does not exist" 404 POST /api/v1/devices/nobody/plan "$VIEW" "${JSON[@]}" -d '{}'
expect "plan with an unknown member" 400 POST /api/v1/devices/$EP/plan "$VIEW" "${JSON[@]}" -d '{"colour": 1}'

# ---- credentials export ---------------------------------------------------------------------
audits0=$(sql "SELECT count(*) FROM audit WHERE action = 'credentials.export'")
expect "export one device (bsd format)" 200 GET "/api/v1/credentials?endpoint=$EP" "$ADMIN"
cp "$B" "$T_WORK/api-creds.json"
"$BSCTL" policy credentials --device $EP --reveal >"$T_WORK/bsctl-creds.json"
check "... equals bsctl policy credentials --reveal" python3 - "$T_WORK/api-creds.json" "$T_WORK/bsctl-creds.json" <<'PY'
import json, sys
a, b = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
dev = a["devices"]
ok = a["format"] == "bsd" and a["skipped"] == [] and len(dev) == 1 and dev[0].pop("endpoint") == b["credentials"][0]["endpoint"]
ok = ok and dev[0] == b and {c["kind"] for c in b["credentials"]} == {"psk", "rpk"}
ok = ok and all(len(c["secret_hex"]) > 30 for c in b["credentials"])
sys.exit(0 if ok else 1)
PY
expect "export by label, Leshan format" 200 GET "/api/v1/credentials?label=line=A&format=leshan" "$ADMIN"
cp "$B" "$T_WORK/leshan.json"
check "... Leshan SecurityInfo objects: psk and rpk for both line-A devices, keys as bsctl exports them" \
    python3 - "$T_WORK/leshan.json" "$T_WORK/bsctl-creds.json" "$EP" <<'PY'
import json, sys
infos, creds, ep = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))["credentials"], sys.argv[3]
ok = isinstance(infos, list) and len(infos) == 4
for i in infos:
    ok = ok and set(i) == {"endpoint", "tls"} and set(i["tls"]) == {"mode", "details"}
    m, d = i["tls"]["mode"], i["tls"]["details"]
    ok = ok and (m == "psk" and set(d) == {"identity", "key"} or m == "rpk" and set(d) == {"key"})
mine = {i["tls"]["mode"]: i["tls"]["details"] for i in infos if i["endpoint"] == ep}
psk = [c for c in creds if c["kind"] == "psk"][0]
rpk = [c for c in creds if c["kind"] == "rpk"][0]
ok = ok and mine.get("psk") == {"identity": psk["identity"], "key": psk["secret_hex"]}
ok = ok and mine.get("rpk") == {"key": rpk["public_key_hex"]} and rpk["public_key_hex"].startswith("3059301306072a8648ce3d0201")
sys.exit(0 if ok else 1)
PY
expect "Leshan format for account 101 only" 200 GET "/api/v1/credentials?endpoint=$EP&format=leshan&ssid=101" "$ADMIN"
check "... one psk SecurityInfo" jtrue "$B" 'len(d) == 1 and d[0]["tls"]["mode"] == "psk" and d[0]["endpoint"] == sys.argv[3]' "$EP"
expect "export by a label a device without policy has" 200 GET "/api/v1/credentials?label=line=B" "$ADMIN"
check "... lists it as skipped" jtrue "$B" 'd["devices"] == [] and d["skipped"][0]["endpoint"] == "other-1"'
expect "an endpoint that does not exist" 404 GET "/api/v1/credentials?endpoint=$EP,nobody" "$ADMIN"
expect "neither endpoint nor label" 400 GET "/api/v1/credentials" "$ADMIN"
expect "format=xml" 400 GET "/api/v1/credentials?endpoint=$EP&format=xml" "$ADMIN"
v=$(sql "SELECT count(*) FROM audit WHERE action = 'credentials.export'")
[ "$v" -eq $((audits0 + 4)) ] && pass "each of the 4 exports wrote an audit row" || fail "export audit rows: $((v - audits0))"
v=$(sql "SELECT count(*) FROM audit WHERE action = 'credentials.export' AND actor = 'api:adm' AND details->>'format' = 'leshan'
         AND details->'selector'->>'label' = 'line=A' AND details->>'devices' = '2' AND details->>'credentials' = '4'
         AND details->'endpoints' ? '$EP'")
[ "$v" = 1 ] && pass "... naming who, the selection, the devices and the count" || fail "export audit details ($v)"
secret=$(python3 -c 'import json,sys; print([c for c in json.load(open(sys.argv[1]))["credentials"] if c["kind"]=="psk"][0]["secret_hex"])' "$T_WORK/bsctl-creds.json")
if ! sql "SELECT details::text FROM audit" | grep -q "$secret"; then pass "... and never a secret"; else fail "a secret in the audit table"; fi
if ! grep -q "$secret" "$T_WORK/daemon.log"; then pass "the daemon log holds no exported secret"; else fail "a secret in the daemon log"; fi
v=$(sql "SELECT count(*) FROM audit WHERE action = 'api.denied' AND object = 'GET /api/v1/credentials' AND details->>'status' = '403'")
[ "$v" -ge 2 ] && pass "the refused exports (viewer, operator) are audited" || fail "denied export audit ($v)"


# ---- OSCORE in Leshan's shape ---------------------------------------------------------------
printf 'endpoint,kind,psk_identity,psk_key,labels,serial\ngw-0001,psk,,c0c1c2c3c4c5c6c7c8c9cacbcccdcecf,site=berlin,SN1\n' >"$T_WORK/gw.csv"
check "a gateway device imported" sh -c '"$1" device import "$2" >/dev/null 2>&1' _ "$BSCTL" "$T_WORK/gw.csv"
expect "the OSCORE example policy stored" 201 PUT /api/v1/policies/oscore-gateways "$OPER" "${YAML[@]}" \
    --data-binary @"$BSD_SRCDIR/examples/policies/oscore.yaml"
"$BSCTL" policy credentials --device gw-0001 --reveal >"$T_WORK/gw-creds.json"
expect "its credentials in the Leshan format" 200 GET "/api/v1/credentials?endpoint=gw-0001&format=leshan" "$ADMIN"
check "... one oscore SecurityInfo from the server's side (sid = the client's Recipient ID)" python3 - "$B" "$T_WORK/gw-creds.json" <<'PY'
import json, sys
infos, creds = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))["credentials"]
o = [c for c in creds if c["kind"] == "oscore"][0]
want = [{"endpoint": "gw-0001", "oscore": {"sid": o["recipient_id_hex"], "rid": o["sender_id_hex"], "msec": o["secret_hex"]}}]
sys.exit(0 if infos == want and len(o["secret_hex"]) == 64 else 1)
PY

check "the daemon is still up" kill -0 "$T_DAEMON_PID"
t_done
