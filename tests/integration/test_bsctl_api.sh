#!/bin/bash
# test_bsctl_api.sh — bsctl as a client of the REST admin API, against a real
# daemon and a private PostgreSQL, over plain HTTP on 127.0.0.1 and HTTPS
# with the test PKI:
#   - settings from flags, the environment and a config file, their order,
#     and the refusal of a config file holding a token that others may read;
#   - a wrong token: the API's error shape printed, non-zero exit;
#   - policies: apply (and a YAML error with its line and column), list,
#     versions, show, diff, activate;
#   - devices: add, show and list as tables and --json, an import with a
#     bad row (the row's error shown, exit status 1), remove; roles (403);
#   - the deny-list; sessions after a bootstrap (bsd-sim); metrics;
#   - HTTPS with --cacert and the refusal without it;
#   - the local maintenance mode (--local, --db, no server) still works,
#     and the API-only commands say they need a server.
#
# Usage: tests/integration/test_bsctl_api.sh [BUILD_DIR]
# Env (set by meson): BSD_BIN, BSD_BSCTL, BSD_SIM, BSD_SRCDIR, BSD_BUILDDIR.
set -uo pipefail
T_NAME=bsctl-api
: "${BSD_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
[ $# -ge 1 ] && BSD_BUILDDIR=$1
. "$BSD_SRCDIR/tests/lib/harness.sh"
BSCTL=${BSD_BSCTL:-$BSD_BUILDDIR/tools/bsctl}
SIM=${BSD_SIM:-$BSD_BUILDDIR/tools/bsd-sim}
# Nothing from the caller's environment or home may configure bsctl.
unset BSD_SECRET_KEYS BSD_DB_URL BSD_API_URL BSD_API_TOKEN BSD_API_CACERT BSCTL_CONFIG
export HOME="$T_WORK/home"
mkdir -p "$HOME"

t_pki
t_pg_start || { fail "private PostgreSQL cluster starts"; t_done; exit 1; }
t_secret_keys
# show, jtrue, tcp_port: tests/lib/api.sh
. "$BSD_SRCDIR/tests/lib/api.sh"
O=$T_WORK/out
E=$T_WORK/err
# run ARGS...: bsctl with ARGS; RC, stdout in $O, stderr in $E.
run() { "$BSCTL" "$@" >"$O" 2>"$E"; RC=$?; }
# ok DESC RC_WANTED STDOUT_REGEX [STDERR_REGEX]: checks the last run
# (STDOUT_REGEX "^$": nothing on standard output).
out_ok() { if [ "$1" = '^$' ]; then [ ! -s "$O" ]; else grep -Eq -- "$1" "$O"; fi; }
ok() {
    if [ "$RC" = "$2" ] && out_ok "$3" && { [ -z "${4:-}" ] || grep -Eq -- "$4" "$E"; }; then pass "$1"; else
        fail "$1 (exit $RC)"; show "$O"; show "$E"; fi
}

DB="$T_DB_URL"
check "bsctl migrate" sh -c '"$1" --db "$2" migrate >/dev/null 2>&1' _ "$BSCTL" "$DB"
mk() { "$BSCTL" --db "$DB" token create --name "$1" --role "$2" 2>/dev/null; }
ADMIN=$(mk adm admin)
OPER=$(mk ops operator)
VIEW=$(mk view viewer)
[ -n "$ADMIN" ] && [ -n "$OPER" ] && [ -n "$VIEW" ] && pass "tokens created with bsctl token create" || fail "tokens"

port=$(t_free_port)
HP=$(tcp_port)
SP=$(tcp_port)
while [ "$SP" = "$HP" ]; do SP=$(tcp_port); done
{ t_db_conf "$port" 2 info; echo "api.listen = 127.0.0.1:$SP"; echo "api.http_listen = 127.0.0.1:$HP"
  echo "api.tls_cert = $T_PKI/server.crt"; echo "api.tls_key = $T_PKI/server.key"; } >"$T_WORK/bsd.conf"
t_start_daemon "$T_WORK/bsd.conf" || { fail "daemon starts with the API"; t_done; exit 1; }
pass "daemon starts with the API"
H=http://127.0.0.1:$HP
S=https://127.0.0.1:$SP

# ---- settings ------------------------------------------------------------------------------
run --server "$H" --token "$ADMIN" whoami
ok "whoami from --server/--token: a table of name and role" 0 '^name: +adm$' ''
check "... naming the server" grep -q "^server: *$H\$" "$O"
run --server "$H" --token "$ADMIN" --json whoami
if [ $RC = 0 ] && jtrue "$O" 'd == {"name": "adm", "role": "admin"}'; then pass "whoami --json is the API's JSON"; else
    fail "whoami --json"; show "$O"; fi
BSD_API_URL=$H BSD_API_TOKEN=$VIEW run whoami
ok "whoami from BSD_API_URL/BSD_API_TOKEN" 0 '^role: +viewer$'
BSD_API_URL=$H BSD_API_TOKEN=$VIEW run --token "$OPER" whoami
ok "--token beats BSD_API_TOKEN" 0 '^name: +ops$'
printf '%s\n' "$OPER" >"$T_WORK/tok"
BSD_API_URL=$H BSD_API_TOKEN=$VIEW run --token-file "$T_WORK/tok" whoami
ok "--token-file (trailing newline cut) beats BSD_API_TOKEN" 0 '^name: +ops$'

mkdir -p "$HOME/.config/bsctl"
CONF=$HOME/.config/bsctl/config
printf '# bsctl settings\nserver = %s\ntoken = %s\n' "$H" "$VIEW" >"$CONF"
chmod 600 "$CONF"
run whoami
ok "~/.config/bsctl/config (0600, server and token) is read" 0 '^name: +view$'
BSD_API_TOKEN=$OPER run whoami
ok "BSD_API_TOKEN beats the config file's token" 0 '^name: +ops$'
chmod 644 "$CONF"
run whoami
ok "a config file holding a token that others may read is refused" 1 '^$' \
    "config: holds a token but group or others may read it \(mode 0644\); chmod 600"
printf 'server = %s\ntoken_file = ../../tok\n' "$H" >"$T_WORK/cfg"
chmod 644 "$T_WORK/cfg"
mkdir -p "$T_WORK/a/b"
mv "$T_WORK/cfg" "$T_WORK/a/b/bsctl.conf"
run --config "$T_WORK/a/b/bsctl.conf" whoami
ok "--config with token_file (relative to the file), mode 0644 is fine" 0 '^name: +ops$'
BSCTL_CONFIG="$T_WORK/a/b/bsctl.conf" run whoami
ok "... also from BSCTL_CONFIG" 0 '^name: +ops$'
chmod 666 "$T_WORK/a/b/bsctl.conf"
run --config "$T_WORK/a/b/bsctl.conf" whoami
ok "a config file others may write is refused" 1 '^$' "group or others may write it"
printf 'server = %s\ncolour = blue\n' "$H" >"$T_WORK/bad.conf"
run --config "$T_WORK/bad.conf" whoami
ok "a config error names file:line:column" 1 '^$' "bad.conf:2:1: unknown key 'colour'"
run --config "$T_WORK/none.conf" whoami
ok "a missing --config file is an error" 1 '^$' "none.conf"
rm -f "$CONF"

run --server "$H" --token "bsd_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" whoami
ok "a wrong token: the API's error, HTTP 401, exit 1" 1 '^$' '^bsctl: .+ \(invalid_token, HTTP 401\)$'
check "... with a hint where the token comes from" grep -q "the token comes from --token" "$E"
if ! grep -q "bsd_AAAA" "$O" "$E"; then pass "... and the token is not printed"; else fail "token printed"; fi
run --server "$H" whoami
ok "no token: missing_token, exit 1" 1 '^$' 'missing_token, HTTP 401'
run --server "http://192.0.2.1:$HP" --token "$VIEW" whoami
ok "plain http:// to a non-loopback host is refused (usage)" 2 '^$' "must not cross a network in clear"
run --server "$H" --token "bad token" whoami
ok "a token with a blank is refused before sending" 2 '^$' "the token holds a blank"
if ! grep -q "bad token" "$E"; then pass "... without echoing it"; else fail "bad token echoed"; fi
run --server "http://127.0.0.1:1" --token "$VIEW" whoami
ok "an unreachable server: one clear error, exit 1" 1 '^$' "127.0.0.1:1"

# ---- policies ------------------------------------------------------------------------------------
export BSD_API_URL=$H BSD_API_TOKEN=$OPER
run policy apply "$BSD_SRCDIR/examples/policies/minimal.yaml"
ok "policy apply over the API" 0 '^policy minimal: stored version 1 \(active\)$'
sed 's/lwm2m.example.com:5684/lwm2m2.example.com:5684/' "$BSD_SRCDIR/examples/policies/minimal.yaml" >"$T_WORK/minimal.yaml"
run policy apply "$T_WORK/minimal.yaml" --no-activate
ok "policy apply --no-activate: version 2, not active" 0 '^policy minimal: stored version 2$'
printf 'policy: broken\nmatch:\n  endpoint: "*"\nservers:\n  - ssid: 101\n    uri: "coaps://x:5684"\n    colour: red\n' >"$T_WORK/broken.yaml"
run policy apply "$T_WORK/broken.yaml"
ok "policy apply with an error: refused, exit 1" 1 '^$' 'invalid_policy, HTTP 422'
check "... the error names file:line:column" grep -Eq "broken.yaml:7:5: .*colour" "$E"
printf 'policy: x\n  bad: [\n' >"$T_WORK/syntax.yaml"
run policy apply "$T_WORK/syntax.yaml"
ok "a YAML syntax error is reported by the server with its position" 1 '^$' 'syntax.yaml:[0-9]+:[0-9]+: '
run policy list
ok "policy list: a table" 0 '^NAME +ACTIVE +LATEST +VERSIONS' && check "... with minimal, active 1, latest 2" grep -Eq '^minimal +1 +2 +2 ' "$O"
run policy versions minimal
ok "policy versions" 0 '^VERSION +ACTIVE' && check "... two rows" sh -c '[ "$(grep -c "^[12] " "$1")" = 2 ]' _ "$O"
run policy diff minimal 1 2
ok "policy diff: a unified diff" 0 '^\+    uri: "coaps://lwm2m2.example.com:5684"$'
run policy activate minimal 2
ok "policy activate" 0 '^policy minimal: version 2 is active$'
run policy show minimal
ok "policy show: the active version's YAML" 0 'lwm2m2.example.com'
run --json policy show minimal --version 1
if [ $RC = 0 ] && jtrue "$O" 'd["version"] == 1 and not d["active"] and "lwm2m.example.com" in d["source"]'; then
    pass "policy show --version 1 --json"; else fail "policy show --json"; show "$O"; fi
run policy activate minimal 1
ok "roll back to version 1" 0 'version 1 is active'
run policy validate "$T_WORK/broken.yaml"
ok "policy validate stays local (no server needed) and names the line" 1 '^$' 'broken.yaml:7:5'

# ---- devices --------------------------------------------------------------------------------------
EP=urn:imei:351000000000042
KEY=00112233445566778899aabbccddeeff
run device add $EP psk --psk-identity $EP --psk-key $KEY --label site=north --serial SN-42
ok "device add over the API" 0 "^added device $EP \(psk\)$"
run device add $EP psk --psk-identity $EP --psk-key $KEY
ok "device add of an existing device is refused" 1 '^$' "exists already"
run device add dev-nosec nosec --allow 127.0.0.1 --label site=south
ok "device add nosec" 0 '^added device dev-nosec \(nosec\)$'
run device add dev-bad psk --psk-key 0011
ok "device add with a bad key: the server's message" 1 '^$' 'psk_key.*\(invalid_device, HTTP 400\)'
check "... naming the field" grep -q "field: psk_key" "$E"
run device list
ok "device list: a table" 0 '^ENDPOINT +KIND +CREDENTIAL +SERIAL +LABELS$'
check "... with the PSK device" grep -Eq "^$EP +psk +identity=$EP +SN-42 +site=north\$" "$O"
check "... and the nosec device" grep -Eq '^dev-nosec +nosec +allow=127.0.0.1(/32)? +- +site=south$' "$O"
run --json device list
if [ $RC = 0 ] && jtrue "$O" 'sorted(x["endpoint"] for x in d["items"]) == ["dev-nosec", sys.argv[3]] and d["next"] is None and all("psk_key" not in x for x in d["items"])' "$EP"; then
    pass "device list --json: the API's items, no PSK key"; else fail "device list --json"; show "$O"; fi
run device list --label site=south
ok "device list --label" 0 '^dev-nosec ' && check "... only that one" sh -c '! grep -q "^urn" "$1"' _ "$O"
run device list --limit 1
ok "device list --limit 1: one page" 0 '^dev-nosec ' && check "... of one row" sh -c '[ "$(wc -l <"$1")" = 2 ]' _ "$O"
run device show $EP
ok "device show: key: value lines" 0 "^endpoint: +$EP\$" && check "... with the label" grep -q '^labels: *site=north$' "$O"
if ! grep -q "$KEY" "$O"; then pass "... and no PSK key"; else fail "device show printed the key"; fi
run device show $EP --json
if [ $RC = 0 ] && jtrue "$O" 'd["endpoint"] == sys.argv[3] and d["labels"] == {"site": "north"} and "psk_key" not in d' "$EP"; then
    pass "device show --json (option after the command)"; else fail "device show --json"; show "$O"; fi
run device show $EP --reveal
ok "device show --reveal over the API says to use --local" 2 '^$' 'never shows a PSK key'
run device show no-such-device
ok "device show of an unknown device: not_found, exit 1" 1 '^$' '\(not_found, HTTP 404\)'

cat >"$T_WORK/devs.csv" <<EOF
endpoint,kind,psk_identity,psk_key,labels
imp-1,psk,imp-1,000102030405060708090a0b0c0d0e01,batch=7
imp-2,psk,imp-2,0011,batch=7
imp-3,nosec,,,batch=7
EOF
printf 'endpoint,kind,nosec_allow,labels\nimp-3,nosec,127.0.0.1,batch=7\n' >"$T_WORK/devs2.csv"
run device import "$T_WORK/devs.csv"
ok "device import of a CSV with bad rows: exit 1, summary" 1 'devs.csv: 1 imported, 2 refused' 'devs.csv:3:[0-9]+: imp-2: .*psk_key'
check "... each refused row on its own line with line:column" grep -Eq 'devs.csv:4:[0-9]+: imp-3: ' "$E"
run device import "$T_WORK/devs2.csv" --json
if [ $RC = 0 ] && jtrue "$O" 'd["imported"] == 1 and d["refused"] == 0 and d["complete"]'; then pass "device import --json, all good: exit 0"; else
    fail "import --json"; show "$O"; show "$E"; fi
printf '[{"endpoint": "imp-4", "kind": "nosec", "nosec_allow": ["127.0.0.1"]}]\n' >"$T_WORK/devs.data"
run device import "$T_WORK/devs.data"
ok "a JSON import is recognised by its content (streamed)" 0 '1 imported, 0 refused'
printf 'endpoint,kind,nosec_allow\nimp-5,nosec,127.0.0.1\n' | run device import - --dry-run
ok "import from stdin (chunked) with --dry-run" 0 '^-: 1 valid, 0 refused \(dry run'
run device show imp-5
ok "... stored nothing" 1 '^$' 'not_found'
printf 'endpoint,kind,colour\nx,nosec,1\n' >"$T_WORK/struct.csv"
run device import "$T_WORK/struct.csv"
ok "a structural error stops the import: exit 1, the reason shown" 1 'import stopped early' 'struct.csv:1:[0-9]+: .*colour'
run --token "$VIEW" device remove imp-1
ok "a viewer may not remove: forbidden, HTTP 403" 1 '^$' '\(forbidden, HTTP 403\)'
check "... naming the role needed" grep -q "required: operator" "$E"
run device remove imp-1
ok "device remove" 0 '^removed device imp-1$'

# ---- deny-list ---------------------------------------------------------------------------------------
run deny device dev-nosec --reason "stolen"
ok "deny device" 0 '^device dev-nosec denied$'
run deny source 192.0.2.0/24
ok "deny source with a prefix" 0 '^source 192.0.2.0/24 denied$'
run deny list
ok "deny list: a table" 0 '^TYPE +DENIED +BY +SINCE +REASON' && check "... with both" sh -c 'grep -Eq "^device +dev-nosec +api:ops .* stolen$" "$1" && grep -Eq "^source +192.0.2.0/24 " "$1"' _ "$O"
run deny remove source 192.0.2.0/24
ok "deny remove source (a '/' in the path segment)" 0 'no longer denied'
run deny remove device dev-nosec
ok "deny remove device" 0 'no longer denied'
run --json deny list
if [ $RC = 0 ] && jtrue "$O" 'd["items"] == []'; then pass "deny list --json empty"; else fail "deny list --json"; show "$O"; fi

# ---- sessions after a bootstrap ------------------------------------------------------------------------
timeout 40 "$SIM" --server "coaps://127.0.0.1:$port" --timeout 30 --ep $EP --psk-identity $EP --psk-key $KEY \
    --pct 112 --dialect wakaama >"$T_WORK/sim.out" 2>&1
check "a device bootstraps (bsd-sim)" grep -q 'outcome=finished' "$T_WORK/sim.out"
i=0
while [ $i -lt 50 ]; do
    run --json session list --device $EP
    jtrue "$O" 'len(d["sessions"]) == 1' && break
    sleep 0.1
    i=$((i + 1))
done
if jtrue "$O" 'len(d["sessions"]) == 1 and d["sessions"][0]["outcome"] == "finished"'; then
    pass "session list --device --json: the session"; else fail "session list --json"; show "$O"; fi
SID=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["sessions"][0]["id"])' "$O" 2>/dev/null)
run session list --device $EP --outcome finished
ok "session list: a table" 0 '^ID +STARTED +ENDPOINT +OUTCOME +MS +CRED' && check "... with the session" grep -Eq "^$SID +[0-9T:.-]+Z +$EP +finished +[0-9]+ +psk " "$O"
run session list --outcome timed-out
ok "session list with no match" 0 '^no sessions$'
run session show "$SID"
ok "session show: the summary and the record" 0 "^id: +$SID\$" && check "... record follows" grep -q '"steps"' "$O"
run session list --since yesterday
ok "a bad --since: the server's invalid_parameter" 1 '^$' 'HTTP 400'
# Pages: three more made-up sessions, pages of 2.
psql -X -q "$T_DB_URL" -c "INSERT INTO sessions (session, endpoint, outcome, started_at, duration_ms, record)
    SELECT NULL, 'pg-dev', 'finished', now() - i * interval '1 minute', 10, '{\"outcome\": \"finished\"}'::jsonb
    FROM generate_series(1, 3) i" >/dev/null
run --json session list --device pg-dev --limit 2
if jtrue "$O" 'len(d["sessions"]) == 2 and d["next"] is not None'; then pass "session list --limit 2: one page and a next"; else
    fail "one page"; show "$O"; fi
run --json session list --device pg-dev --limit 2 --all
if jtrue "$O" 'len(d["sessions"]) == 3 and d["next"] is None and len(set(s["id"] for s in d["sessions"])) == 3'; then
    pass "--all follows the cursor: 3 sessions, each once"; else fail "--all"; show "$O"; fi
run session list --device pg-dev --limit 2
ok "without --all the table says more follow" 0 '^ID' 'more sessions follow'

# ---- plan and metrics ------------------------------------------------------------------------------------
run policy plan --device $EP
ok "policy plan over the API: JSON, client state from the last session" 0 '"requests"|"steps"|"plan"' 'client state: the Discover answer'
run policy plan --device $EP --file "$T_WORK/broken.yaml"
ok "policy plan --file with an error: file:line:column" 1 '^$' 'broken.yaml:7:5'
run --token "$VIEW" metrics
ok "metrics: the Prometheus text" 0 '^bsd_handshakes_total\{result="ok"\} [1-9]'
run --token "$ADMIN" policy credentials --device $EP
if [ $RC = 0 ] && jtrue "$O" 'd["devices"][0]["endpoint"] == sys.argv[3]' "$EP"; then pass "policy credentials (admin): the bsd export"; else
    fail "policy credentials"; show "$O"; show "$E"; fi
run policy credentials --device $EP
ok "... refused to an operator (403)" 1 '^$' 'HTTP 403'

# ---- HTTPS -----------------------------------------------------------------------------------------------
unset BSD_API_URL
run --server "$S" --cacert "$T_PKI/ca.crt" whoami
ok "HTTPS with --cacert (the test CA)" 0 '^name: +ops$'
BSD_API_CACERT="$T_PKI/ca.crt" run --server "$S" device list
ok "HTTPS with BSD_API_CACERT: device list" 0 "^$EP "
run --server "$S" whoami
ok "HTTPS without the CA: refused, with a hint" 1 '^$' 'not trusted: give the CA that signed it with --cacert'
run --server "$S" --cacert "$T_PKI/rogue-ca.crt" whoami
ok "HTTPS with another CA: refused" 1 '^$' 'not trusted'
unset BSD_API_TOKEN

# ---- the local maintenance mode ---------------------------------------------------------------------------
run --db "$DB" device list
ok "--db: device list from the database" 0 "^$EP "
BSD_API_URL=$H BSD_API_TOKEN=$VIEW BSD_DB_URL=$DB run --local device list
ok "--local beats a configured server" 0 "^$EP "
run --server "$H" --db "$DB" device list
ok "--server with --db: usage error" 2 '^$' 'exclude each other'
BSD_DB_URL=$DB run session list
ok "session list without a server says it needs the API" 2 '^$' "'session' needs the REST API"
BSD_DB_URL=$DB run policy diff minimal 1 2
ok "policy diff without a server says it needs the API" 2 '^$' "needs the REST API"
BSD_API_URL=$H BSD_API_TOKEN=$OPER run device list --db "$DB"
ok "--db after the command with a server configured: usage error" 2 '^$' '--db and --key-file are for the database'
BSD_API_URL=$H BSD_API_TOKEN=$ADMIN BSD_DB_URL=$DB run token list
ok "token list goes to the database even with a server configured" 0 '^NAME|adm'

t_done
