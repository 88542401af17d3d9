#!/bin/bash
# test_api.sh — the REST admin API (bsd/api) against a real daemon and a
# private PostgreSQL, over real HTTP and HTTPS on 127.0.0.1 with curl:
#   - config checks: plain HTTP only on loopback (bsd -n, file:line:col),
#     HTTPS needs its certificate and key, the API needs db_url;
#   - bsctl token create/list/revoke, audited without the token;
#   - /healthz, /readyz (503 while PostgreSQL is stopped, 200 after);
#   - no token, a wrong token, a revoked token, and every role against every
#     endpoint (401/403/200), denied requests audited and rate-limited;
#   - /metrics before and after a bootstrap session (bsd-sim over DTLS-PSK);
#   - sessions: filters, keyset pagination, one session;
#   - the error shape for 404/405/413/415/400 (malformed JSON, bad query);
#   - HTTPS with the test PKI; a listener that cannot bind stops start-up.
#
# Usage: tests/integration/test_api.sh [BUILD_DIR]
# Env (set by meson): BSD_BIN, BSD_BSCTL, BSD_SIM, BSD_SRCDIR, BSD_BUILDDIR.
set -uo pipefail
T_NAME=api
: "${BSD_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
[ $# -ge 1 ] && BSD_BUILDDIR=$1
. "$BSD_SRCDIR/tests/lib/harness.sh"
BSCTL=${BSD_BSCTL:-$BSD_BUILDDIR/tools/bsctl}
SIM=${BSD_SIM:-$BSD_BUILDDIR/tools/bsd-sim}
unset BSD_SECRET_KEYS BSD_DB_URL
command -v curl >/dev/null || { fail "curl is installed (scripts/install-deps.sh --test)"; t_done; exit 1; }

t_pki
t_pg_start || { fail "private PostgreSQL cluster starts"; t_done; exit 1; }
t_secret_keys
export BSD_DB_URL="$T_DB_URL" BSD_SECRET_KEY_FILE="$T_WORK/keys"
# sql, show, jtrue, tcp_port, api, expect: tests/lib/api.sh
. "$BSD_SRCDIR/tests/lib/api.sh"

check "bsctl migrate" sh -c '"$1" migrate >"$2/migrate.out" 2>&1' _ "$BSCTL" "$T_WORK"

# ---- configuration checks (bsd -n) ------------------------------------------
port=$(t_free_port)
HP=$(tcp_port)
SP=$(tcp_port)
while [ "$SP" = "$HP" ]; do SP=$(tcp_port); done
base_conf() {
    cat <<EOF
listen = 127.0.0.1:$port
workers = 2
user = ""
log_level = info
db_url = "$T_DB_URL"
secret_keys_file = $T_WORK/keys
records_spool = $T_WORK/spool
dtls.rpk = false
dtls.x509 = false
dtls.handshake_rate = 0
diag_resources = true
EOF
}
{ base_conf; echo "api.http_listen = 127.0.0.1:$HP, 0.0.0.0:$HP"; } >"$T_WORK/bad1.conf"
"$BSD_BIN" -n -c "$T_WORK/bad1.conf" >"$T_WORK/n.out" 2>&1
rc=$?
col=$((19 + 10 + ${#HP} + 2)) # the second address of line 12
if [ $rc -eq 78 ] && grep -q "bad1.conf:12:$col: api.http_listen takes loopback addresses only" "$T_WORK/n.out"; then
    pass "bsd -n refuses a non-loopback plain-HTTP listener with file:line:col"
else fail "non-loopback api.http_listen (rc $rc)"; show "$T_WORK/n.out"; fi
{ base_conf; echo "api.http_listen = [::1]:$HP,127.0.0.2:$HP"; } >"$T_WORK/ok1.conf"
check "... and accepts [::1] and 127.0.0.0/8" sh -c '"$1" -n -c "$2" >/dev/null 2>&1' _ "$BSD_BIN" "$T_WORK/ok1.conf"
BSD_API_HTTP_LISTEN="192.0.2.1:$HP" "$BSD_BIN" -n -c "$T_WORK/ok1.conf" >"$T_WORK/n.out" 2>&1
[ $? -eq 78 ] && grep -q "environment BSD_API_HTTP_LISTEN: api.http_listen takes loopback addresses only" "$T_WORK/n.out" &&
    pass "... also from the environment (BSD_API_HTTP_LISTEN)" || { fail "env override of api.http_listen"; show "$T_WORK/n.out"; }
{ base_conf; echo "api.listen = 127.0.0.1:$SP"; } >"$T_WORK/bad2.conf"
"$BSD_BIN" -n -c "$T_WORK/bad2.conf" >"$T_WORK/n.out" 2>&1
[ $? -eq 78 ] && grep -q "api.listen (HTTPS) needs api.tls_cert and api.tls_key" "$T_WORK/n.out" &&
    pass "bsd -n: HTTPS needs a certificate and key" || { fail "api.listen without TLS files"; show "$T_WORK/n.out"; }
{ base_conf; echo "api.listen = 127.0.0.1:$SP"; echo "api.tls_cert = $T_PKI/server.crt"
  echo "api.tls_key = $T_PKI/rpk-dev.spki.der"; } >"$T_WORK/bad3.conf"
"$BSD_BIN" -n -c "$T_WORK/bad3.conf" >"$T_WORK/n.out" 2>&1
[ $? -eq 78 ] && grep -q "api.tls_key: no PEM block found" "$T_WORK/n.out" &&
    pass "bsd -n: a key file without PEM is refused" || { fail "non-PEM key"; show "$T_WORK/n.out"; }

# ---- tokens (bsctl, on the database) ------------------------------------------
mk() { "$BSCTL" token create --name "$1" --role "$2" 2>"$T_WORK/tok.err"; }
ADMIN=$(mk adm admin)
OPER=$(mk ops operator)
VIEW=$(mk view viewer)
METR=$(mk prom metrics)
OLD=$(mk old viewer)
case "$ADMIN" in bsd_???????????????????????????????????????????) pass "token create prints a bsd_ token (47 chars)" ;;
*) fail "token format: $ADMIN" ;; esac
"$BSCTL" token create --name adm --role viewer >"$T_WORK/out" 2>&1
[ $? -eq 1 ] && grep -q "an active token named 'adm' exists" "$T_WORK/out" && pass "a second active token of one name is refused" ||
    { fail "duplicate token name"; show "$T_WORK/out"; }
"$BSCTL" token create --name x --role root >"$T_WORK/out" 2>&1
[ $? -eq 2 ] && pass "an unknown role is a usage error" || fail "unknown role"
check "token revoke" sh -c '"$1" token revoke old >/dev/null' _ "$BSCTL"
"$BSCTL" token revoke old >"$T_WORK/out" 2>&1
[ $? -eq 1 ] && grep -q "no active token named 'old'" "$T_WORK/out" && pass "revoking twice fails" || fail "revoke twice"
"$BSCTL" --json token list >"$T_WORK/list.json"
check "token list shows 5 tokens, old revoked" jtrue "$T_WORK/list.json" \
    'len(d) == 5 and [t["name"] for t in d if t["revoked"]] == ["old"] and all("token" not in t for t in d)'
v=$(sql "SELECT count(*) FROM api_tokens WHERE position(convert_to('$ADMIN', 'UTF8') IN token_hash) > 0 OR encode(token_hash, 'escape') LIKE '%bsd_%'")
[ "$v" = 0 ] && pass "the table holds hashes, not tokens" || fail "token text in api_tokens"
v=$(sql "SELECT count(*) FILTER (WHERE action = 'token.create') || ' ' || count(*) FILTER (WHERE action = 'token.revoke') FROM audit")
[ "$v" = "5 1" ] && pass "token changes are audited (5 creates, 1 revoke)" || fail "token audit rows: $v"
if ! sql "SELECT actor || action || object || details::text FROM audit" | grep -q "bsd_"; then pass "no audit row holds a token"; else
    fail "a token in the audit table"; fi

# ---- the daemon ----------------------------------------------------------------
check "minimal policy applied" sh -c '"$1" policy apply "$2" >/dev/null 2>&1' _ "$BSCTL" "$BSD_SRCDIR/examples/policies/minimal.yaml"
EP=urn:imei:351000000000001
KEY=00112233445566778899aabbccddeeff
printf 'endpoint,kind,psk_identity,psk_key,labels\n%s,psk,,%s,line=A\n' $EP $KEY >"$T_WORK/dev.csv"
check "one device imported" sh -c '"$1" device import "$2" >/dev/null 2>&1' _ "$BSCTL" "$T_WORK/dev.csv"
{ base_conf; echo "api.listen = 127.0.0.1:$SP"; echo "api.http_listen = 127.0.0.1:$HP"
  echo "api.tls_cert = $T_PKI/server.crt"; echo "api.tls_key = $T_PKI/server.key"; echo "api.threads = 2"
  echo "api.max_body_kib = 64"; echo "api.max_import_mib = 1"; } >"$T_WORK/bsd.conf"
t_start_daemon "$T_WORK/bsd.conf" || { fail "daemon starts with the API"; t_done; exit 1; }
pass "daemon starts with the API"
check "... and logs both listeners" sh -c 'grep -q "event=api.listening addr=127.0.0.1:$1 tls=yes" "$3" && grep -q "event=api.listening addr=127.0.0.1:$2 tls=no" "$3"' \
    _ "$SP" "$HP" "$T_WORK/daemon.log"
H=http://127.0.0.1:$HP
S=https://127.0.0.1:$SP

# The one error shape: code (snake_case), message, details (object or null).
err_shape() {
    jtrue "$B" 'set(d) == {"code", "message", "details"} and d["code"] == sys.argv[3] and isinstance(d["message"], str) and len(d["message"]) > 10 and (d["details"] is None or isinstance(d["details"], dict))' "$1" &&
        grep -qi '^content-type: application/json' "$T_WORK/hdr"
}

# ---- health and readiness ------------------------------------------------------
expect "GET /healthz without a token" 200 GET /healthz ""
check "... says ok" jtrue "$B" 'd == {"status": "ok"}'
expect "GET /readyz without a token" 200 GET /readyz ""
check "... ready at generation 1" jtrue "$B" 'd["status"] == "ready" and d["generation"] == 1'
expect "GET /api/openapi.json without a token" 200 GET /api/openapi.json ""
check "... is the OpenAPI 3.0 document of docs/" sh -c 'cmp -s "$1" "$2"' _ "$B" "$BSD_SRCDIR/docs/openapi.json"

# ---- every role against every endpoint ---------------------------------------------
BAD=bsd_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
# matrix METHOD PATH "none bad revoked metrics viewer operator admin" [curl args]
matrix() {
    m=$1 p=$2
    read -r c_none c_bad c_old c_met c_view c_op c_adm <<<"$3"
    shift 3
    expect "$m $p, no token" "$c_none" "$m" "$p" "" "$@"
    expect "$m $p, wrong token" "$c_bad" "$m" "$p" "$BAD" "$@"
    expect "$m $p, revoked token" "$c_old" "$m" "$p" "$OLD" "$@"
    expect "$m $p, metrics" "$c_met" "$m" "$p" "$METR" "$@"
    expect "$m $p, viewer" "$c_view" "$m" "$p" "$VIEW" "$@"
    expect "$m $p, operator" "$c_op" "$m" "$p" "$OPER" "$@"
    expect "$m $p, admin" "$c_adm" "$m" "$p" "$ADMIN" "$@"
}
matrix GET /healthz "200 200 200 200 200 200 200"
matrix GET /metrics "401 401 401 200 200 200 200"
matrix GET /api/v1/whoami "401 401 401 403 200 200 200"
matrix GET /api/v1/sessions "401 401 401 403 200 200 200"
matrix GET /api/v1/tokens "401 401 401 403 403 403 200"
matrix POST /api/v1/diag/stream "401 401 401 403 403 200 200" -H 'Content-Type: application/octet-stream' --data-binary x
matrix DELETE /api/v1/tokens/nobody "401 401 401 403 403 403 404"
api GET /api/v1/whoami "$VIEW"
check "whoami names the token and its role" jtrue "$B" 'd == {"name": "view", "role": "viewer"}'
api GET /api/v1/whoami ""
check "401 has the error shape (missing_token)" err_shape missing_token
check "... and WWW-Authenticate: Bearer" grep -qi '^www-authenticate: Bearer realm="bsd"' "$T_WORK/hdr"
api GET /api/v1/whoami "$BAD"
check "a wrong token: invalid_token, with error=\"invalid_token\"" sh -c 'grep -qi "^www-authenticate: Bearer .*error=\"invalid_token\"" "$1"' _ "$T_WORK/hdr"
api GET /api/v1/whoami "" -H "Authorization: Basic dXNlcjpwYXNz"
[ "$CODE" = 401 ] && pass "Basic credentials are refused (401)" || fail "Basic auth: $CODE"
api GET /api/v1/tokens "$VIEW"
if err_shape forbidden && jtrue "$B" 'd["details"] == {"role": "viewer", "required": "admin"}'; then
    pass "403 has the error shape (forbidden) and names both roles"; else fail "403 shape"; show "$B"; fi
api GET /api/v1/nothing ""
[ "$CODE" = 401 ] && pass "an unknown path without a token is 401, not 404 (no probing)" || fail "unknown path, no token: $CODE"

# Tokens over the API: create, use, revoke (admin only).
api POST /api/v1/tokens "$ADMIN" -H 'Content-Type: application/json' -d '{"name": "ci", "role": "operator"}'
[ "$CODE" = 201 ] && jtrue "$B" 'd["name"] == "ci" and d["role"] == "operator" and d["token"].startswith("bsd_")' &&
    pass "POST /api/v1/tokens creates a token (201)" || { fail "token create over the API ($CODE)"; show "$B"; }
CI=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["token"])' "$B" 2>/dev/null)
api GET /api/v1/whoami "$CI"
check "... which works at once" jtrue "$B" 'd == {"name": "ci", "role": "operator"}'
v=$(sql "SELECT actor FROM audit WHERE action = 'token.create' AND object = 'token:ci'")
[ "$v" = "api:adm" ] && pass "... audited with actor api:adm" || fail "API token audit actor: $v"
expect "POST /api/v1/tokens as operator" 403 POST /api/v1/tokens "$OPER" -H 'Content-Type: application/json' -d '{"name": "x", "role": "admin"}'
expect "DELETE /api/v1/tokens/ci as admin" 200 DELETE /api/v1/tokens/ci "$ADMIN"
sleep 2.2 # the daemon remembers a lookup for 2 s
expect "a token revoked through the API stops working within 2 s" 401 GET /api/v1/whoami "$CI"
check "bsctl token revoke view" sh -c '"$1" token revoke view >/dev/null' _ "$BSCTL"
sleep 2.2
expect "a token revoked with bsctl stops working within 2 s" 401 GET /api/v1/whoami "$VIEW"
VIEW=$(mk view viewer)
expect "a new token may reuse a revoked name" 200 GET /api/v1/whoami "$VIEW"
v=$(sql "SELECT count(*) FROM api_tokens WHERE name = 'adm' AND last_used_at IS NOT NULL")
[ "$v" = 1 ] && pass "last_used_at is stamped" || fail "last_used_at: $v"

# ---- error shapes ---------------------------------------------------------------------
expect "an unknown path with a token" 404 GET /api/v1/nothing "$VIEW"
check "... not_found" err_shape not_found
expect "PUT on sessions" 405 PUT /api/v1/sessions "$ADMIN"
check "... method_not_allowed" err_shape method_not_allowed
check "... with Allow: GET, HEAD" grep -qi '^allow: GET, HEAD' "$T_WORK/hdr"
expect "DELETE on /api/v1/tokens" 405 DELETE /api/v1/tokens "$ADMIN"
check "... Allow: GET, HEAD, POST" grep -qi '^allow: GET, HEAD, POST' "$T_WORK/hdr"
expect "JSON body with a wrong Content-Type" 415 POST /api/v1/tokens "$ADMIN" -H 'Content-Type: text/plain' -d '{}'
check "... unsupported_media_type" err_shape unsupported_media_type
printf '{\n  "name": "x",\n  "role": \n}' >"$T_WORK/bad.json"
expect "malformed JSON" 400 POST /api/v1/tokens "$ADMIN" -H 'Content-Type: application/json' --data-binary @"$T_WORK/bad.json"
if err_shape malformed_json &&
    jtrue "$B" 'd["details"]["line"] == 4 and d["details"]["column"] == 1 and "line 4, column 1" in d["message"]'; then
    pass "... malformed_json, naming line 4, column 1"; else fail "malformed JSON position"; show "$B"; fi
expect "a JSON body of the wrong shape" 400 POST /api/v1/tokens "$ADMIN" -H 'Content-Type: application/json' -d '{"name": 1}'
check "... invalid_request" err_shape invalid_request
head -c 70000 /dev/zero | tr '\0' ' ' >"$T_WORK/big.json"
expect "a body over api.max_body_kib (Content-Length)" 413 POST /api/v1/tokens "$ADMIN" -H 'Content-Type: application/json' --data-binary @"$T_WORK/big.json"
if err_shape payload_too_large && jtrue "$B" 'd["details"]["limit_bytes"] == 65536'; then
    pass "... payload_too_large, naming the limit (65536)"; else fail "413 shape"; show "$B"; fi
expect "a chunked body over the limit, refused while it arrives" 413 POST /api/v1/tokens "$ADMIN" -H 'Content-Type: application/json' \
    -H 'Transfer-Encoding: chunked' --data-binary @"$T_WORK/big.json"
head -c 900000 /dev/urandom >"$T_WORK/blob"
expect "a streamed upload within api.max_import_mib" 200 POST /api/v1/diag/stream "$OPER" -H 'Content-Type: application/octet-stream' \
    -H 'Transfer-Encoding: chunked' --data-binary @"$T_WORK/blob"
want=$(sha256sum "$T_WORK/blob" | cut -d' ' -f1)
check "... arrives whole (size and SHA-256)" jtrue "$B" 'd == {"bytes": 900000, "sha256": sys.argv[3]}' "$want"
head -c 1100000 /dev/zero >"$T_WORK/blob2"
expect "a streamed upload over api.max_import_mib" 413 POST /api/v1/diag/stream "$OPER" -H 'Content-Type: application/octet-stream' \
    --data-binary @"$T_WORK/blob2"
expect "a body on an endpoint that takes none" 400 GET /api/v1/sessions "$VIEW" -d 'x=1'
check "... unexpected_body" err_shape unexpected_body
expect "an unknown query parameter" 400 GET "/api/v1/sessions?colour=red" "$VIEW"
check "... unknown_parameter" err_shape unknown_parameter
expect "a malformed percent-escape" 400 GET "/api/v1/sessions?endpoint=%zz" "$VIEW"
check "... bad_request" err_shape bad_request
expect "since that is not RFC 3339" 400 GET "/api/v1/sessions?since=yesterday" "$VIEW"
expect "limit over 1000" 400 GET "/api/v1/sessions?limit=1001" "$VIEW"
expect "a session id that is not a number" 400 GET "/api/v1/sessions/abc" "$VIEW"
expect "a session that does not exist" 404 GET "/api/v1/sessions/999999" "$VIEW"

# ---- metrics around a bootstrap session ---------------------------------------------------
api GET /metrics "$METR"
cp "$B" "$T_WORK/metrics0"
check "/metrics is Prometheus text 0.0.4" grep -qi '^content-type: text/plain; version=0.0.4' "$T_WORK/hdr"
metric() { awk -v k="$2" '$1 == k {print $2}' "$1"; }
for m in 'bsd_handshakes_total{result="ok"}' bsd_hello_verify_sent_total 'bsd_datagrams_dropped_total{reason="denied"}' \
    bsd_dtls_sessions_revoked_total bsd_dtls_sessions 'bsd_bootstrap_sessions_total{outcome="finished"}' \
    'bsd_bootstrap_session_duration_seconds_bucket{le="+Inf"}' bsd_devices bsd_records_spool_pending_bytes \
    bsd_records_stored_total bsd_records_writer_connected 'bsd_api_denied_total{status="401"}'; do
    [ -n "$(metric "$T_WORK/metrics0" "$m")" ] && pass "metric $m" || fail "metric $m missing"
done
[ "$(metric "$T_WORK/metrics0" bsd_devices)" = 1 ] && pass "bsd_devices counts the device cache (1)" || fail "bsd_devices"
timeout 40 "$SIM" --server "coaps://127.0.0.1:$port" --timeout 30 --ep $EP --psk-identity $EP --psk-key $KEY \
    --pct 112 --dialect wakaama >"$T_WORK/sim.out" 2>&1
check "a device bootstraps (finished)" grep -q 'outcome=finished' "$T_WORK/sim.out"
i=0
while [ "$(sql "SELECT count(*) FROM sessions")" = 0 ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
sleep 0.3
api GET /metrics "$VIEW"
cp "$B" "$T_WORK/metrics1"
gt() { # gt NAME: the metric grew between the two scrapes
    a=$(metric "$T_WORK/metrics0" "$1") b=$(metric "$T_WORK/metrics1" "$1")
    [ -n "$a" ] && [ -n "$b" ] && python3 -c 'import sys; sys.exit(0 if float(sys.argv[2]) > float(sys.argv[1]) else 1)' "$a" "$b"
}
check "after the session: bsd_handshakes_total{result=\"ok\"} grew" gt 'bsd_handshakes_total{result="ok"}'
check "... bsd_hello_verify_sent_total grew" gt bsd_hello_verify_sent_total
check "... bsd_coap_messages_received_total grew" gt bsd_coap_messages_received_total
check "... bsd_records_stored_total grew (the record reached PostgreSQL)" gt bsd_records_stored_total
check "... bsd_bootstrap_sessions_total{outcome=\"finished\"} grew" gt 'bsd_bootstrap_sessions_total{outcome="finished"}'
check "... the duration histogram counted it" gt bsd_bootstrap_session_duration_seconds_count
# A handshake with an identity nobody has: counted by its reason.
timeout 20 "$SIM" --server "coaps://127.0.0.1:$port" --timeout 10 --ep nobody --psk-identity nobody --psk-key $KEY \
    --expect handshake-failed >"$T_WORK/sim.out" 2>&1
check "an unknown PSK identity fails the handshake" grep -q 'outcome=handshake-failed' "$T_WORK/sim.out"
cp "$B" "$T_WORK/metrics0"
api GET /metrics "$VIEW"
cp "$B" "$T_WORK/metrics1"
check "... and bsd_handshakes_failed_total{reason=\"unknown_psk_identity\"} grew" \
    gt 'bsd_handshakes_failed_total{reason="unknown_psk_identity"}'
check "... every failure reason is exported" \
    [ "$(grep -c '^bsd_handshakes_failed_total{reason=' "$T_WORK/metrics1")" = 13 ]

# ---- sessions: one real, 30 made up for filters and pages ------------------------------------
api GET "/api/v1/sessions?endpoint=$EP" "$VIEW"
check "the bootstrap session is listed for its endpoint" jtrue "$B" \
    'len(d["sessions"]) == 1 and d["sessions"][0]["outcome"] == "finished" and d["sessions"][0]["cred"] == "psk" and d["next"] is None'
SID=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["sessions"][0]["id"])' "$B" 2>/dev/null)
api GET "/api/v1/sessions/$SID" "$VIEW"
check "GET /api/v1/sessions/{id} has the whole record" jtrue "$B" \
    'd["id"] == int(sys.argv[3]) and d["record"]["outcome"] == "finished" and len(d["record"]["steps"]) > 0' "$SID"
sql "INSERT INTO sessions (session, endpoint, outcome, started_at, duration_ms, record)
     SELECT NULL, 'fake-' || (i % 3), CASE WHEN i % 2 = 0 THEN 'finished' ELSE 'timed-out' END,
            timestamptz '2025-01-01T00:00:00Z' + i * interval '1 hour', 100 + i,
            json_build_object('outcome', CASE WHEN i % 2 = 0 THEN 'finished' ELSE 'timed-out' END, 'cred', 'psk')::jsonb
     FROM generate_series(0, 29) i" >/dev/null
api GET "/api/v1/sessions?endpoint=fake-0&outcome=finished" "$VIEW"
check "filter by endpoint and outcome (5 of 30)" jtrue "$B" \
    'len(d["sessions"]) == 5 and all(s["endpoint"] == "fake-0" and s["outcome"] == "finished" for s in d["sessions"])'
api GET "/api/v1/sessions?since=2025-01-01T05:00:00Z&until=2025-01-01T10:00:00%2B00:00" "$VIEW"
check "filter by time: since inclusive, until exclusive (5 rows)" jtrue "$B" \
    'sorted(s["started_at"] for s in d["sessions"]) == ["2025-01-01T%02d:00:00.000Z" % h for h in range(5, 10)]'
# Pages of 7 over the 30 made-up rows, newest first, each id once.
cursor="" pages=0 ids=""
while :; do
    api GET "/api/v1/sessions?endpoint=fake-1&limit=3${cursor:+&cursor=$cursor}" "$VIEW"
    pages=$((pages + 1))
    ids="$ids $(python3 -c 'import json,sys; print(" ".join(str(s["id"]) for s in json.load(open(sys.argv[1]))["sessions"]))' "$B")"
    cursor=$(python3 -c 'import json,sys; n=json.load(open(sys.argv[1]))["next"]; print(n or "")' "$B")
    [ -z "$cursor" ] || [ $pages -gt 10 ] && break
done
want=$(sql "SELECT string_agg(id::text, ' ' ORDER BY id DESC) FROM sessions WHERE endpoint = 'fake-1'")
[ "$(echo $ids)" = "$want" ] && [ $pages -eq 4 ] && pass "keyset pagination: 10 rows in pages of 3 (4 pages), newest first, each once" ||
    fail "pagination: pages=$pages ids=[$(echo $ids)] want=[$want]"
expect "a cursor from a page" 200 GET "/api/v1/sessions?limit=1000&cursor=1" "$VIEW"
check "... below the smallest id is an empty last page" jtrue "$B" 'd == {"sessions": [], "next": None}'

# ---- HTTPS -----------------------------------------------------------------------------------
code=$(curl -s -o "$B" -w '%{http_code}' --cacert "$T_PKI/ca.crt" -H "Authorization: Bearer $VIEW" "$S/api/v1/whoami")
[ "$code" = 200 ] && jtrue "$B" 'd["name"] == "view"' && pass "HTTPS with the test CA: whoami 200" || fail "HTTPS whoami ($code)"
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$T_PKI/ca.crt" "$S/healthz")
[ "$code" = 200 ] && pass "HTTPS /healthz" || fail "HTTPS healthz ($code)"
curl -s -o /dev/null --cacert "$T_PKI/rogue-ca.crt" "$S/healthz"
[ $? -ne 0 ] && pass "HTTPS is refused by a client that trusts another CA" || fail "rogue CA accepted"
curl -s -o /dev/null --tls-max 1.1 --cacert "$T_PKI/ca.crt" "$S/healthz" 2>/dev/null
[ $? -ne 0 ] && pass "TLS 1.1 is refused" || fail "TLS 1.1 accepted"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$SP/healthz")
[ "$code" != 200 ] && pass "plain HTTP on the HTTPS port gets no answer ($code)" || fail "HTTP on the HTTPS port"

# ---- denied requests in the audit table ------------------------------------------------------------
v=$(sql "SELECT count(*) FROM audit WHERE action = 'api.denied'")
[ "$v" -gt 10 ] && pass "denied requests are audited ($v rows)" || fail "api.denied rows: $v"
v=$(sql "SELECT count(*) FROM audit WHERE action = 'api.denied' AND actor = 'anonymous' AND object = 'GET /api/v1/whoami'
         AND details->>'status' = '401' AND details->>'reason' = 'missing_token' AND details->>'remote' LIKE '127.0.0.1:%'")
[ "$v" -ge 1 ] && pass "... a 401 row: actor anonymous, object 'GET /api/v1/whoami', status, reason, remote" || fail "401 audit row ($v)"
v=$(sql "SELECT count(*) FROM audit WHERE action = 'api.denied' AND actor = 'api:prom' AND object = 'GET /api/v1/sessions'
         AND details->>'status' = '403' AND details->>'reason' = 'insufficient_role'")
[ "$v" -ge 1 ] && pass "... a 403 row names the token" || fail "403 audit row ($v)"
v=$(sql "SELECT count(*) FROM audit WHERE action = 'api.denied' AND details->>'reason' = 'revoked_token' AND actor = 'api:old'")
[ "$v" -ge 1 ] && pass "... a revoked token's use is audited under its name" || fail "revoked audit row ($v)"
if ! sql "SELECT actor || object || details::text FROM audit" | grep -q -e "$BAD" -e "$ADMIN" -e "Bearer"; then
    pass "no audit row holds a token or an Authorization header"; else fail "token text in the audit table"; fi
if ! grep -q -e "$ADMIN" -e "$VIEW" -e "$BAD" -e "Bearer bsd_" "$T_WORK/daemon.log"; then
    pass "the daemon log holds no token"; else fail "a token in the daemon log"; fi
before=$(sql "SELECT count(*) FROM audit WHERE action = 'api.denied'")
for i in $(seq 1 150); do echo "url = \"$H/api/v1/whoami\""; echo 'output = "/dev/null"'; done >"$T_WORK/flood.cfg"
curl -s -K "$T_WORK/flood.cfg" -H "Authorization: Bearer $BAD"
after=$(sql "SELECT count(*) FROM audit WHERE action = 'api.denied'")
n=$((after - before))
[ "$n" -ge 1 ] && [ "$n" -le 60 ] && pass "150 bad requests at once: $n audit rows (token bucket)" || fail "flood audited $n rows"
check "... the suppression is logged" log_has 'event=api.denied.suppressing'
sleep 1
api GET /api/v1/whoami "$BAD"
v=$(sql "SELECT details->>'suppressed' FROM audit WHERE action = 'api.denied' ORDER BY id DESC LIMIT 1")
[ -n "$v" ] && [ "$v" -gt 0 ] && pass "suppressed count in the audit row: $v" || fail "suppressed count ($v)"
api GET /metrics "$METR"
v=$(metric "$B" bsd_api_denied_unaudited_total)
[ -n "$v" ] && [ "$v" -gt 0 ] && pass "bsd_api_denied_unaudited_total counts them ($v)" || fail "unaudited counter ($v)"

# ---- readiness follows PostgreSQL -----------------------------------------------------------------
t_pg_stop
expect "/readyz while PostgreSQL is stopped" 503 GET /readyz ""
check "... database_unavailable in the error shape" err_shape database_unavailable
expect "/healthz while PostgreSQL is stopped" 200 GET /healthz ""
expect "an authenticated request while PostgreSQL is stopped (token remembered or 503)" 503 GET /api/v1/sessions "$OPER"
bash "$BSD_SRCDIR/scripts/pg-cluster.sh" start "$T_WORK/pg" >/dev/null 2>&1
i=0
while [ $i -lt 50 ]; do
    api GET /readyz ""
    [ "$CODE" = 200 ] && break
    sleep 0.2
    i=$((i + 1))
done
[ "$CODE" = 200 ] && pass "/readyz is 200 again after PostgreSQL restarts" || fail "/readyz after restart: $CODE"
expect "sessions answer again after the restart" 200 GET /api/v1/sessions "$VIEW"

# ---- start-up and shutdown ---------------------------------------------------------------------------
check "the daemon is still up" kill -0 "$T_DAEMON_PID"
t_stop_daemon
check "SIGTERM stops the daemon with the API cleanly" log_has 'event=daemon.stopped'
python3 -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(1); time.sleep(8)' "$SP" &
holder=$!
sleep 0.5
"$BSD_BIN" -c "$T_WORK/bsd.conf" >"$T_WORK/bind.out" 2>&1 &
dpid=$!
i=0
while kill -0 $dpid 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
if kill -0 $dpid 2>/dev/null; then
    kill -TERM $dpid
    wait $dpid
    fail "a listener that cannot bind stops start-up"
else
    wait $dpid
    rc=$?
    [ $rc -eq 1 ] && grep -q "api: cannot listen on 127.0.0.1:$SP" "$T_WORK/bind.out" &&
        pass "a listener that cannot bind stops start-up (exit 1)" || { fail "bind failure (rc $rc)"; show "$T_WORK/bind.out"; }
fi
kill $holder 2>/dev/null
wait $holder 2>/dev/null

t_done
