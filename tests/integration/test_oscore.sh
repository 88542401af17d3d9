#!/bin/sh
# test_oscore.sh — the Bootstrap interface over OSCORE (RFC 8613, Echo RFC
# 9175), end to end: the real daemon in database mode on its plain-UDP
# listener (Security Mode 3 + OSCORE), devices of kind oscore, and the
# simulated client:
#   - a bootstrap finishes through the combined 4.01 (Echo + Appendix B.2,
#     the server's own Partial IV), every request the server sends
#     protected with the new context; the session is recorded with
#     cred=oscore;
#   - across kill -9 and a restart no (key, nonce) pair is ever used twice:
#     the client logs every nonce the server sends, and no
#     (ID Context, sender, Partial IV) repeats;
#   - a replay of the accepted Bootstrap-Request — in the same daemon and
#     after the restart — is never acted on;
#   - the endpoint name is bound to the OSCORE Sender ID (4.00), an unknown
#     kid is 4.01, a wrong secret fails decryption (4.00);
#   - OSCORE inside DTLS: a psk device with an OSCORE context bootstraps over
#     DTLS-PSK + OSCORE (recorded cred=oscore, dtls=psk); its context on the
#     plain listener is refused, and so is another device's DTLS session
#     carrying it; the unique (Sender ID, ID Context) spans kinds.
T_NAME=oscore
. "$BSD_SRCDIR/tests/lib/harness.sh"
SIM=${BSD_SIM:-$BSD_BUILDDIR/tools/bsd-sim}
BSCTL=${BSD_BSCTL:-$BSD_BUILDDIR/tools/bsctl}
[ -x "$BSCTL" ] || { fail "bsctl is built ($BSCTL)"; t_done; exit 1; }
t_pg_start || { fail "private PostgreSQL cluster starts"; t_done; exit 1; }
t_secret_keys
export BSD_DB_URL="$T_DB_URL" BSD_SECRET_KEY_FILE="$T_WORK/keys"
port=$(t_free_port)
cport=$(t_free_port)
W=$T_WORK
sql() { psql -X -At "$T_DB_URL" -c "$1"; }
# The RFC 8613 Appendix C.1 secret and salt for one device, another secret
# for the second.
S1=0102030405060708090a0b0c0d0e0f10
SALT1=9e7ca92223786340
S2=f0e1d2c3b4a5968778695a4b3c2d1e0f

check "bsctl migrate applies the schema" sh -c '"$1" migrate >"$2/migrate.out" 2>&1' _ "$BSCTL" "$W"
{
    echo "endpoint,kind,oscore_sender_id,oscore_recipient_id,oscore_secret,oscore_salt,labels"
    echo "osc-1,oscore,01,,$S1,$SALT1,line=O"
    echo "osc-2,oscore,02,05,$S2,,line=O"
} >"$W/devices.csv"
check "2 OSCORE devices imported" sh -c '"$1" device import "$2/devices.csv" >"$2/import.out" 2>&1 && grep -q "2 imported" "$2/import.out" || { cat "$2/import.out"; exit 1; }' \
    _ "$BSCTL" "$W"
cat >"$W/policy.yaml" <<'EOF'
policy: oscore-line
match:
  labels: {line: O}
servers:
  - ssid: 101
    uri: "coaps://lwm2m.example.com:5684"
    security:
      mode: psk
      psk_key: generate
EOF
check "a policy is applied" sh -c '"$1" policy apply "$2/policy.yaml" >"$2/apply.out" 2>&1' _ "$BSCTL" "$W"
{
    t_db_conf "$port" 2 info
    echo "listen_coap = 127.0.0.1:$cport"
} >"$W/bsd.conf"
t_start_daemon "$W/bsd.conf" || { fail "daemon starts"; t_done; exit 1; }
pass "daemon starts"

PLAIN="coap://127.0.0.1:$cport"
sim() { timeout 60 "$SIM" --server "$PLAIN" --timeout 30 "$@" >"$W/sim.out" 2>&1; }
osc1() { sim --ep osc-1 --oscore-sender-id 01 --oscore-recipient-id "" --oscore-secret $S1 --oscore-salt $SALT1 "$@"; }
show() { sed 's/^/#   /' "$W/sim.out" | head -12; }
newlog() { tail -n +"$((T_MARK + 1))" "$T_WORK/daemon.log"; }

# ---- a bootstrap over OSCORE ------------------------------------------------------
t_mark
osc1 --oscore-nonce-log "$W/nonces.log" --oscore-replay-last "$W/req2-a.bin" --dump "$W/dump.json"
check "osc-1 bootstraps over OSCORE on the plain listener (finished)" sh -c 'grep -q "outcome=finished" "$1" || { sed "s/^/#   /" "$1" | head; exit 1; }' _ "$W/sim.out"
check "... through the combined 4.01 (Echo + Appendix B.2)" sh -c 'grep -q "b2=done\|b2=ctx3" "$1"' _ "$W/sim.out"
check "... the daemon started B.2 and served the request with cred=oscore" \
    sh -c 'tail -n +"$(($1 + 1))" "$2" | grep -q "event=oscore.b2.started .*endpoint=\"\?osc-1" && tail -n +"$(($1 + 1))" "$2" | grep -q "event=bootstrap.request .*cred=oscore"' \
    _ "$T_MARK" "$T_WORK/daemon.log"
check "... every message the server sent verified at the client" \
    sh -c '[ -s "$1" ] && ! grep -v "status=ok" "$1" | grep -q .' _ "$W/nonces.log"
i=0
while [ "$(sql "SELECT count(*) FROM sessions WHERE endpoint = 'osc-1'")" != 1 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
check "... the session is recorded, cred oscore, finished" \
    [ "$(sql "SELECT outcome || ' ' || (record->>'cred') FROM sessions WHERE endpoint = 'osc-1'")" = "finished oscore" ]

t_mark
sim --oscore-send-raw "$W/req2-a.bin" --ep osc-1 --oscore-sender-id 01 --oscore-recipient-id "" --oscore-secret $S1 --oscore-salt $SALT1
# The replayed request #2 verifies under the context its kid context names,
# but its R2 is not one this daemon is waiting for: it is taken for a new
# request #1 and answered with a fresh protected 4.01 (outer code 2.04), and
# no bootstrap starts.
replay_refused() {
    grep -q "oscore send-raw answer=" "$W/sim.out" && ! newlog | grep -q "event=bootstrap.request" &&
        newlog | grep -q "event=oscore.b2.started" || { show; return 1; }
}
check "a replay of the accepted Bootstrap-Request is not acted on (same daemon)" replay_refused

t_mark
sim --ep osc-2 --oscore-sender-id 02 --oscore-recipient-id 05 --oscore-secret $S2 --oscore-b2-init --oscore-nonce-log "$W/nonces.log"
check "osc-2 (client-started B.2 with its R1, Recipient ID 05) bootstraps" sh -c 'grep -q "outcome=finished" "$1" || { sed "s/^/#   /" "$1" | head; exit 1; }' _ "$W/sim.out"

# ---- kill -9 and restart: no nonce twice, no replay acted on --------------------------
kill -9 "$T_DAEMON_PID"
wait "$T_DAEMON_PID" 2>/dev/null
mv "$T_WORK/daemon.log" "$T_WORK/daemon-1.log"
t_start_daemon "$W/bsd.conf" || { fail "daemon restarts after kill -9"; t_done; exit 1; }
t_mark
osc1 --oscore-nonce-log "$W/nonces.log"
check "after kill -9 and a restart osc-1 bootstraps again" grep -q "outcome=finished" "$W/sim.out"
osc1 --oscore-nonce-log "$W/nonces.log"
check "... and once more" grep -q "outcome=finished" "$W/sim.out"
check "no (ID Context, sender, Partial IV) the server used repeats across the runs and the restart" \
    sh -c 'n=$(grep -c . "$1"); u=$(sed "s/ msg=.*//" "$1" | sort -u | wc -l); [ "$n" -gt 10 ] && [ "$n" = "$u" ] || { echo "#   $n lines, $u distinct"; exit 1; }' \
    _ "$W/nonces.log"
t_mark
sim --oscore-send-raw "$W/req2-a.bin" --ep osc-1 --oscore-sender-id 01 --oscore-recipient-id "" --oscore-secret $S1 --oscore-salt $SALT1
check "a replay of the pre-restart Bootstrap-Request is not acted on" replay_refused

# ---- refusals ----------------------------------------------------------------------
t_mark
sim --ep osc-2 --oscore-sender-id 01 --oscore-recipient-id "" --oscore-secret $S1 --oscore-salt $SALT1
check "osc-1's context claiming endpoint osc-2 is refused (4.00, ep_identity_mismatch)" \
    sh -c '! grep -q "outcome=finished" "$1" && tail -n +"$(($2 + 1))" "$3" | grep -q "ep_identity_mismatch"' \
    _ "$W/sim.out" "$T_MARK" "$T_WORK/daemon.log"
t_mark
sim --ep osc-1 --oscore-sender-id 7f --oscore-recipient-id "" --oscore-secret $S1
check "an unknown kid is 4.01 (Security context not found), logged" \
    sh -c '! grep -q "outcome=finished" "$1" && tail -n +"$(($2 + 1))" "$3" | grep -q "event=oscore.refused .*kid=7f"' \
    _ "$W/sim.out" "$T_MARK" "$T_WORK/daemon.log"
t_mark
sim --ep osc-1 --oscore-sender-id 01 --oscore-recipient-id "" --oscore-secret $S2 --oscore-salt $SALT1
check "a wrong master secret fails decryption (4.00), logged" \
    sh -c '! grep -q "outcome=finished" "$1" && tail -n +"$(($2 + 1))" "$3" | grep -q "event=oscore.refused .*kid=01 .*decrypt"' \
    _ "$W/sim.out" "$T_MARK" "$T_WORK/daemon.log"
check "the daemon is still up" kill -0 "$T_DAEMON_PID"
check "no OSCORE master secret in the logs" sh -c '! grep -q "$1" "$2" "$3" && ! grep -q "$4" "$2" "$3"' _ "$S1" "$T_WORK/daemon.log" "$T_WORK/daemon-1.log" "$S2"

# ---- OSCORE inside DTLS (a psk device with an OSCORE context) ------------------------
# dtls-osc authenticates its DTLS session with its PSK and protects the
# Bootstrap interface with OSCORE inside it; dtls-plain is a PSK device
# without OSCORE (its empty oscore columns are no context).
PK1=00112233445566778899aabbccddeeff
PK2=ffeeddccbbaa99887766554433221100
S3=a0a1a2a3a4a5a6a7a8a9aaabacadaeaf
{
    echo "endpoint,kind,psk_identity,psk_key,oscore_sender_id,oscore_recipient_id,oscore_secret,oscore_id_context,labels"
    echo "dtls-osc,psk,dtls-osc-id,$PK1,11,,$S3,c0ffee,line=O"
    echo "dtls-plain,psk,dtls-plain-id,$PK2,,,,,line=O"
} >"$W/dtls.csv"
t_mark
check "a psk device with an OSCORE context and one without are imported" sh -c '"$1" device import "$2/dtls.csv" >"$2/import2.out" 2>&1 && grep -q "2 imported" "$2/import2.out" || { cat "$2/import2.out"; exit 1; }' \
    _ "$BSCTL" "$W"
check "... stored with kind psk and the OSCORE columns filled (only for dtls-osc)" \
    [ "$(sql "SELECT string_agg(endpoint || ' ' || kind || ' ' || coalesce(encode(oscore_sender_id, 'hex'), '-') || ' ' || (oscore_secret IS NOT NULL), ',' ORDER BY endpoint) FROM devices WHERE endpoint LIKE 'dtls-%'")" = "dtls-osc psk 11 true,dtls-plain psk - false" ]
check "bsctl device show: kind psk with its OSCORE IDs, the secret hidden" \
    sh -c '"$1" device show dtls-osc >"$2/show.out" 2>&1 && grep -q "^kind: *psk" "$2/show.out" && grep -q "^oscore_sender_id: *11" "$2/show.out" && grep -q "^oscore_id_context: *c0ffee" "$2/show.out" && ! grep -q "$3" "$2/show.out"' \
    _ "$BSCTL" "$W" "$S3"
check "... and in JSON without the secret" \
    sh -c '"$1" device show dtls-osc --json >"$2/show.json" 2>&1 && grep -q "\"oscore_recipient_id\": *\"\"" "$2/show.json" && ! grep -q "oscore_secret\"" "$2/show.json"' \
    _ "$BSCTL" "$W"
check "the unique (Sender ID, ID Context) spans kinds: a psk device with osc-1's is refused" \
    sh -c 'printf "%s\n" "$4" | "$1" device add dtls-dup psk --psk-key "$3" --oscore-sender-id 01 --oscore-recipient-id 02 --oscore-secret - >"$2/dup.out" 2>&1; [ $? = 1 ] && grep -q "oscore_sender_id already used by device .osc-1." "$2/dup.out" || { cat "$2/dup.out"; exit 1; }' \
    _ "$BSCTL" "$W" 0f0e0d0c0b0a09080706050403020100 "$S2"
check "a nosec device cannot have an OSCORE context" \
    sh -c '"$1" device add dtls-nosec nosec --allow 127.0.0.1 --oscore-sender-id 09 --oscore-recipient-id "" --oscore-secret "$2" >/dev/null 2>&1; [ $? = 2 ]' _ "$BSCTL" "$S3"
i=0
until newlog | grep -q "event=daemon.reload.ok .*devices=4" || [ $i -ge 100 ]; do sleep 0.1; i=$((i + 1)); done
check "the daemon reloads the devices (4)" newlog_has "event=daemon.reload.ok .*devices=4"

DTLS="coaps://127.0.0.1:$port"
dosc() { timeout 60 "$SIM" --server "$DTLS" --timeout 30 --oscore-sender-id 11 --oscore-recipient-id "" --oscore-secret $S3 --oscore-id-context c0ffee "$@" >"$W/sim.out" 2>&1; }
t_mark
dosc --ep dtls-osc --psk-identity dtls-osc-id --psk-key $PK1
check "dtls-osc bootstraps over DTLS-PSK + OSCORE (finished)" sh -c 'grep -q "outcome=finished" "$1" || { sed "s/^/#   /" "$1" | head; exit 1; }' _ "$W/sim.out"
check "... the daemon ran B.2 for it and served the request as cred=oscore dtls=psk" \
    sh -c 'tail -n +"$(($1 + 1))" "$2" | grep -q "event=oscore.b2.started .*endpoint=\"\?dtls-osc" && tail -n +"$(($1 + 1))" "$2" | grep -q "event=bootstrap.request .*endpoint=\"\?dtls-osc\"\? cred=oscore dtls=psk"' \
    _ "$T_MARK" "$T_WORK/daemon.log"
i=0
while [ "$(sql "SELECT count(*) FROM sessions WHERE endpoint = 'dtls-osc'")" != 1 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
check "... the session is recorded: finished, cred oscore, dtls psk" \
    [ "$(sql "SELECT outcome || ' ' || (record->>'cred') || ' ' || (record->>'dtls') FROM sessions WHERE endpoint = 'dtls-osc'")" = "finished oscore psk" ]

t_mark
sim --ep dtls-osc --oscore-sender-id 11 --oscore-recipient-id "" --oscore-secret $S3 --oscore-id-context c0ffee
check "dtls-osc's OSCORE context on the plain listener is refused (4.01, oscore_requires_dtls)" \
    sh -c '! grep -q "outcome=finished" "$1" && tail -n +"$(($2 + 1))" "$3" | grep -q "event=oscore.refused .*kid=11 .*oscore_requires_dtls" && ! tail -n +"$(($2 + 1))" "$3" | grep -q "event=oscore.b2.started\|event=bootstrap.request "' \
    _ "$W/sim.out" "$T_MARK" "$T_WORK/daemon.log"

t_mark
dosc --ep dtls-osc --psk-identity dtls-plain-id --psk-key $PK2
check "dtls-plain's DTLS session carrying dtls-osc's OSCORE context is refused (devices differ)" \
    sh -c '! grep -q "outcome=finished" "$1" && tail -n +"$(($2 + 1))" "$3" | grep -q "event=oscore.refused .*dtls_and_oscore_devices_differ" && ! tail -n +"$(($2 + 1))" "$3" | grep -q "event=bootstrap.request "' \
    _ "$W/sim.out" "$T_MARK" "$T_WORK/daemon.log"
check "no OSCORE master secret or PSK key of the DTLS devices in the log" \
    sh -c '! grep -q "$1\|$2\|$3" "$4"' _ "$S3" "$PK1" "$PK2" "$T_WORK/daemon.log"
check "the daemon is still up (after the DTLS + OSCORE runs)" kill -0 "$T_DAEMON_PID"

t_stop_daemon
t_done
