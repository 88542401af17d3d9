#!/bin/sh
# test_rotation.sh — rotation of a device's bootstrap credential
# (policy `bootstrap.rotate`, migration 0005), end to end with the real
# daemon, a private PostgreSQL cluster, bsctl and the simulated client:
#   - a device due for rotation gets the new PSK written into its own
#     Bootstrap-Server account (/0/bs/2, /3, /5), and the record writer keeps
#     it as the device's next credential (devices.bs_next, sealed);
#   - old and new are both accepted until the new one has been used;
#   - a session with the new credential makes it the device's credential
#     (audited), writes no rotation, and from then on the old one is refused;
#   - no record stored in PostgreSQL carries the sealed key;
#   - a new identity that is another device's current one is refused at load;
#   - a damaged written credential is ignored, not fatal to the load;
#   - an operator's change of the credential drops the written one.
T_NAME=rotation
. "$BSD_SRCDIR/tests/lib/harness.sh"
SIM=${BSD_SIM:-$BSD_BUILDDIR/tools/bsd-sim}
BSCTL=${BSD_BSCTL:-$BSD_BUILDDIR/tools/bsctl}
[ -x "$BSCTL" ] || { fail "bsctl is built ($BSCTL)"; t_done; exit 1; }
t_pg_start || { fail "private PostgreSQL cluster starts"; t_done; exit 1; }
t_secret_keys
export BSD_DB_URL="$T_DB_URL" BSD_SECRET_KEY_FILE="$T_WORK/keys"
port=$(t_free_port)
OLD=00112233445566778899aabbccddeeff
EP=rot-1
EP2=rot-2

jtrue() { python3 -c 'import json,sys; d=json.loads(sys.argv[1]); sys.exit(0 if eval(sys.argv[2]) else 1)' "$@"; }
sql() { psql -X -At "$T_DB_URL" -c "$1"; }
# wait_sql QUERY VALUE: polls (up to 10 s) until QUERY prints VALUE.
wait_sql() {
    i=0
    while [ "$(sql "$1")" != "$2" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
    [ "$(sql "$1")" = "$2" ]
}
# t_wait_log REGEX: the daemon log matches within 10 s.
t_wait_log() {
    i=0
    while ! grep -Eq "$1" "$T_WORK/daemon.log" && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
    grep -Eq "$1" "$T_WORK/daemon.log"
}
sim() { timeout 40 "$SIM" --server "coaps://127.0.0.1:$port" --timeout 30 --dump "$T_WORK/dump.json" "$@" >"$T_WORK/sim.out" 2>&1; }
last_rec() { sql "SELECT record FROM sessions WHERE endpoint = '$1' ORDER BY id DESC LIMIT 1"; }
nsessions() { sql "SELECT count(*) FROM sessions WHERE endpoint = '$1'"; }

check "bsctl migrate applies the schema" sh -c '"$1" migrate >"$2/migrate.out" 2>&1' _ "$BSCTL" "$T_WORK"
{
    echo "endpoint,kind,psk_identity,psk_key,labels"
    echo "$EP,psk,,$OLD,line=R"
    # Holds today the identity the policy gives rot-2: rot-2 must not rotate.
    echo "holder,psk,bs-$EP2-r1,c0c1c2c3c4c5c6c7c8c9cacbcccdcecf,line=X"
    echo "$EP2,psk,,d0d1d2d3d4d5d6d7d8d9dadbdcdddedf,line=R"
} >"$T_WORK/devices.csv"
check "3 devices imported" sh -c '"$1" device import "$2/devices.csv" >"$2/import.out" 2>&1 && grep -q "3 imported" "$2/import.out"' \
    _ "$BSCTL" "$T_WORK"
cat >"$T_WORK/rot.yaml" <<'EOF'
policy: rotating
match:
  labels: {line: R}
servers:
  - ssid: 101
    uri: "coaps://lwm2m.example.com:5684"
    security:
      mode: psk
      psk_key: generate
bootstrap:
  rotate:
    mode: psk
    psk_identity: "bs-${endpoint}-r1"
    psk_key: {generate: 32}
    rotation: 1
EOF
check "a policy with bootstrap.rotate is applied" sh -c '"$1" policy apply "$2/rot.yaml" >"$2/apply.out" 2>&1' _ "$BSCTL" "$T_WORK"

{
    t_db_conf "$port" 2 info
} >"$T_WORK/bsd.conf"
t_start_daemon "$T_WORK/bsd.conf" || { fail "daemon starts"; t_done; exit 1; }
pass "daemon starts"
check "the load finds one rotation due and refuses the one whose identity is taken" \
    log_has 'event=db.rotations due=1 written=0 refused=1'
check "... naming the device" log_has 'event=db.rotation.refused endpoint="rot-2"'

# ---- 1. the old credential: the new one is written -------------------------
"$BSCTL" policy plan --device $EP >"$T_WORK/plan.json" 2>"$T_WORK/plan.err"
check "the dry run says the rotation is due and shows its writes" sh -c 'grep -q "rotation due" "$1/plan.err" &&
    python3 -c "import json,sys; d=json.load(open(sys.argv[1])); p=[r[\"path\"] for r in d[\"requests\"]]; sys.exit(0 if \"/0/0/3\" in p and \"/0/0/5\" in p else 1)" "$1/plan.json"' _ "$T_WORK"

sim --ep $EP --psk-identity $EP --psk-key $OLD
check "the device bootstraps with its old credential (finished)" grep -q 'outcome=finished' "$T_WORK/sim.out"
dump=$(tail -n 1 "$T_WORK/dump.json")
newid=$(python3 -c 'import json,sys; d=json.loads(sys.argv[1])["instances"]["/0/0"]; print(bytes.fromhex(d["3"]).decode())' "$dump")
newkey=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["instances"]["/0/0"]["5"])' "$dump")
check "its Bootstrap-Server account now holds mode 0, identity bs-$EP-r1 and a 32-byte key" \
    jtrue "$dump" 'd["instances"]["/0/0"]["2"] == 0 and bytes.fromhex(d["instances"]["/0/0"]["3"]) == b"bs-rot-1-r1" and len(d["instances"]["/0/0"]["5"]) == 64 and d["instances"]["/0/0"]["0"].startswith("coaps://")'
check "... and the new key is not the old one" [ "$newkey" != "$OLD" ]
check "the record says the new credential was written" wait_sql "SELECT record->'bs_rotation'->>'state' FROM sessions WHERE endpoint = '$EP' ORDER BY id DESC LIMIT 1" written
rec=$(last_rec $EP)
check "... and the stored record carries no key, sealed or not" \
    jtrue "$rec" '"psk_key" not in d["bs_rotation"] and "psk_key_mac" not in d["bs_rotation"] and d["bs_rotation"]["psk_identity"] == "bs-rot-1-r1" and d["bs_rotation"]["rotation"] == 1'
check "devices.bs_next holds it, the key sealed" \
    wait_sql "SELECT bs_next->>'kind', bs_next->>'psk_identity', length(bs_next->>'psk_key') FROM devices WHERE endpoint = '$EP'" "psk|bs-rot-1-r1|124"
check "... and the device's credential is still the old one" \
    [ "$(sql "SELECT psk_identity, credential_version FROM devices WHERE endpoint = '$EP'")" = "$EP|1" ]
check "bsctl device show reports the written credential" sh -c '"$1" device show "$2" | grep -q "bs-rot-1-r1"' _ "$BSCTL" $EP
check "the daemon reloads and keeps it as a written credential" t_wait_log "event=db.rotations due=1 written=1 refused=1"

# ---- 2. the old credential still works until the new one is used ----------
sim --ep $EP --psk-identity $EP --psk-key $OLD
check "the old credential is still accepted" grep -q 'outcome=finished' "$T_WORK/sim.out"
check "... and the rotation is written again" wait_sql "SELECT count(*) FROM sessions WHERE endpoint = '$EP' AND record->'bs_rotation'->>'state' = 'written'" 2

# ---- 3. the new credential: rotation completes ------------------------------
sim --ep $EP --psk-identity "$newid" --psk-key "$newkey"
check "the device bootstraps with its new credential" grep -q 'outcome=finished' "$T_WORK/sim.out"
check "the record says the new credential was used" wait_sql "SELECT record->'bs_rotation'->>'state' FROM sessions WHERE endpoint = '$EP' ORDER BY id DESC LIMIT 1" used
rec=$(last_rec $EP)
check "... and that session wrote nothing into the Bootstrap-Server account" \
    jtrue "$rec" 'not any(s["path"].startswith("/0/0/") for s in d["steps"])'
check "the new credential is now the device's (version 2, bs_next cleared)" \
    wait_sql "SELECT psk_identity, credential_version, bs_next IS NULL FROM devices WHERE endpoint = '$EP'" "bs-rot-1-r1|2|t"
check "... and audited as done by bsd" \
    [ "$(sql "SELECT actor, details->>'psk_identity', details->>'rotation' FROM audit WHERE action = 'device.bootstrap_credential.rotated' AND object = 'device:$EP'")" = "bsd|bs-rot-1-r1|1" ]
check "the daemon reloads: nothing due any more" t_wait_log 'event=db.rotations due=0 written=0 refused=1'
"$BSCTL" policy plan --device $EP >"$T_WORK/plan2.json" 2>"$T_WORK/plan2.err"
check "the dry run no longer writes a rotation" sh -c '! grep -q "rotation due" "$1/plan2.err" && ! grep -q "/0/0/5" "$1/plan2.json"' _ "$T_WORK"
n=$(nsessions $EP)
sim --ep $EP --psk-identity $EP --psk-key $OLD --expect handshake-failed,handshake-timeout
check "the old credential is refused now" grep -Eq 'outcome=handshake-(failed|timeout)' "$T_WORK/sim.out"
check "... and makes no session" [ "$(nsessions $EP)" = "$n" ]
sim --ep $EP --psk-identity "$newid" --psk-key "$newkey"
check "the new one keeps working" grep -q 'outcome=finished' "$T_WORK/sim.out"
check "... with no rotation any more" wait_sql "SELECT count(*) FROM sessions WHERE endpoint = '$EP'" $((n + 1))
check "... (its record has no bs_rotation)" jtrue "$(last_rec $EP)" '"bs_rotation" not in d'

# ---- 4. an operator's new credential drops a written one --------------------
sim --ep $EP2 --psk-identity $EP2 --psk-key d0d1d2d3d4d5d6d7d8d9dadbdcdddedf
check "the device whose rotation was refused bootstraps without one" grep -q 'outcome=finished' "$T_WORK/sim.out"
check "... (its record has no bs_rotation)" sh -c 'i=0; while [ "$(psql -X -At "$1" -c "SELECT count(*) FROM sessions WHERE endpoint = '"'"'rot-2'"'"'")" != 1 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done; [ "$(psql -X -At "$1" -c "SELECT count(*) FROM sessions WHERE endpoint = '"'"'rot-2'"'"' AND record ? '"'"'bs_rotation'"'"'")" = 0 ]' _ "$T_DB_URL"
# A damaged bs_next costs that device its rotation, never the load.
sql "UPDATE devices SET bs_next = '{\"kind\":\"psk\",\"rotation\":1,\"psk_identity\":\"x\",\"psk_key\":\"00\"}' WHERE endpoint = 'holder'" >/dev/null
check "a damaged written credential is logged and ignored; the reload succeeds" \
    t_wait_log 'event=db.rotation.unreadable endpoint="holder"'
check "... and the generation still has every device" t_wait_log 'event=db.rotations due=0 written=0 refused=1'
# The operator changes the device's credential (what an import or the API
# does): a written new credential no longer applies.
sql "UPDATE devices SET psk_identity = 'holder-2' WHERE endpoint = 'holder'" >/dev/null
check "an operator's credential change clears a written one and bumps the version" \
    [ "$(sql "SELECT psk_identity, bs_next IS NULL, credential_version FROM devices WHERE endpoint = 'holder'")" = "holder-2|t|2" ]

t_stop_daemon
t_done
