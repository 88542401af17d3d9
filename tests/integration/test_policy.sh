#!/bin/sh
# test_policy.sh — devices and YAML policies in PostgreSQL, end to end, with
# the real daemon (db_url), a private PostgreSQL cluster, bsctl and the
# simulated client over DTLS-PSK:
#   - broken policies refused with file:line:column, nothing stored;
#   - a device bootstraps with exactly the requests and values the dry run
#     (`bsctl policy plan`) printed for that client state;
#   - generated PSKs are stable across sessions and policy versions and equal
#     the exported ones (`bsctl policy credentials`);
#   - version 2 of a policy reaches the running daemon through LISTEN/NOTIFY;
#   - a device no policy matches is refused and recorded;
#   - PostgreSQL stopped and restarted during a load run loses no record.
T_NAME=policy
. "$BSD_SRCDIR/tests/lib/harness.sh"
SIM=${BSD_SIM:-$BSD_BUILDDIR/tools/bsd-sim}
BSCTL=${BSD_BSCTL:-$BSD_BUILDDIR/tools/bsctl}
[ -x "$BSCTL" ] || { fail "bsctl is built ($BSCTL)"; t_done; exit 1; }
t_pg_start || { fail "private PostgreSQL cluster starts"; t_done; exit 1; }
t_secret_keys
export BSD_DB_URL="$T_DB_URL" BSD_SECRET_KEY_FILE="$T_WORK/keys"
port=$(t_free_port)
BASE=00112233445566778899aabbccddeeff
EP=urn:imei:350000000000001

jtrue() { python3 -c 'import json,sys; d=json.loads(sys.argv[1]); sys.exit(0 if eval(sys.argv[2]) else 1)' "$@"; }
sql() { psql -X -At "$T_DB_URL" -c "$1"; }
last_line() { tail -n 1 "$1"; }

check "bsctl migrate applies the schema" sh -c '"$1" migrate >"$2/migrate.out" 2>&1' _ "$BSCTL" "$T_WORK"

# Devices: two on line A (the policy's match), one on line B (no policy),
# and 60 load devices on line A, each with its own key.
t_sim_csv 60 urn:imei:3599000 $BASE line=A >"$T_WORK/load.csv"
{
    echo "endpoint,kind,psk_identity,psk_key,labels"
    echo "$EP,psk,,$BASE,line=A;model=m1"
    echo "urn:imei:350000000000002,psk,,a0a1a2a3a4a5a6a7a8a9aaabacadaeaf,line=A"
    echo "other-1,psk,,b0b1b2b3b4b5b6b7b8b9babbbcbdbebf,line=B"
    cat "$T_WORK/load.csv"
} >"$T_WORK/devices.csv"
check "63 devices imported" sh -c '"$1" device import "$2/devices.csv" >"$2/import.out" 2>&1 && grep -q "63 imported" "$2/import.out"' \
    _ "$BSCTL" "$T_WORK"

# ---- broken policies -------------------------------------------------------
printf 'policy: broken\nservers:\n  - ssid: 0\n    uri: "coaps://dm.example.com"\n' >"$T_WORK/broken.yaml"
"$BSCTL" policy apply "$T_WORK/broken.yaml" >"$T_WORK/broken.out" 2>&1
rc=$?
check "a broken policy is refused (exit $rc)" [ "$rc" -ne 0 ]
check "... with file:line:column" grep -Eq "broken.yaml:[0-9]+:[0-9]+: " "$T_WORK/broken.out"
check "... and nothing is stored" [ "$(sql 'SELECT count(*) FROM policies')" = 0 ]
for f in "$BSD_SRCDIR"/examples/policies/*.yaml; do
    check "example $(basename "$f") validates" "$BSCTL" policy validate "$f"
done

# ---- apply, dry run, bootstrap ---------------------------------------------
check "factory policy applied as version 1" sh -c '"$1" policy apply "$2" | grep -q "stored version 1 (active)"' \
    _ "$BSCTL" "$BSD_SRCDIR/examples/policies/factory.yaml"
{
    t_db_conf "$port" 2 info
    echo "bootstrap.max_per_device = 4"
} >"$T_WORK/bsd.conf"
t_start_daemon "$T_WORK/bsd.conf" || { fail "daemon starts with db_url"; t_done; exit 1; }
pass "daemon starts with db_url"
check "... loaded 63 devices from PostgreSQL" log_has 'event=daemon.ready .*devices=63'

sim() { timeout 40 "$SIM" --server "coaps://127.0.0.1:$port" --timeout 30 --dump "$T_WORK/dump.json" "$@" >"$T_WORK/sim.out" 2>&1; }
sim --ep $EP --psk-identity $EP --psk-key $BASE --pct 112 --dialect wakaama
check "the line-A device bootstraps (finished)" grep -q 'outcome=finished' "$T_WORK/sim.out"
dump1=$(last_line "$T_WORK/dump.json")
# The Discover answer this client gave: ask the dry run about exactly that state.
"$SIM" --server coaps://127.0.0.1:1 --ep $EP --psk-key $BASE --dialect wakaama --print-discover >"$T_WORK/discover.txt" 2>/dev/null ||
    cp /dev/null "$T_WORK/discover.txt"
i=0
while [ "$(sql "SELECT count(*) FROM sessions WHERE endpoint = '$EP'")" != 1 ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
# By default the dry run starts from the client state recorded with the
# device's last session: the Discover answer this client gave.
"$BSCTL" policy plan --device $EP --reveal >"$T_WORK/plan.json" 2>"$T_WORK/plan.err"
check "bsctl policy plan prints the dry run" jtrue "$(cat "$T_WORK/plan.json")" 'd["plan"] == "factory-line-a" and len(d["requests"]) > 5'
check "... starting from the last session's client state" grep -q "client state: the Discover answer of the device's last session" "$T_WORK/plan.err"
check "... which is exactly this client's Discover answer" \
    jtrue "$(cat "$T_WORK/plan.json")" 'd["discover"] == open(sys.argv[3]).read().strip() and d["pct"] == 112' "$T_WORK/discover.txt"
rec=$(sql "SELECT record FROM sessions WHERE endpoint = '$EP' ORDER BY id DESC LIMIT 1")
check "the session record is in PostgreSQL: finished, policy v1" \
    jtrue "$rec" 'd["outcome"] == "finished" and d["plan"] == "factory-line-a" and d["plan_version"] == 1'
# Same requests (method, path, format) in the same order as the dry run ...
check "the daemon sent exactly the dry run's requests" python3 - "$T_WORK/plan.json" "$rec" <<'PY'
import json, sys
plan = json.load(open(sys.argv[1]))
rec = json.loads(sys.argv[2])
m = {"discover": "GET", "read": "GET", "delete": "DELETE", "write": "PUT", "finish": "POST"}
want = [(r["method"], r["path"], r.get("format", r.get("accept"))) for r in plan["requests"]]
got = [(m[s["op"]], s["path"], s.get("format")) for s in rec["steps"]]
if want != got:
    print("# dry run:", want, "\n# session:", got)
sys.exit(0 if want == got else 1)
PY
# ... and the client holds exactly the values the dry run printed.
check "the client holds every value the dry run printed" python3 - "$T_WORK/plan.json" "$dump1" <<'PY'
import json, sys
plan = json.load(open(sys.argv[1]))
store = json.loads(sys.argv[2])["instances"]
bad = []
for r in plan["requests"]:
    for rec in r.get("records", []):
        parts = rec["path"].strip("/").split("/")
        inst = store.get("/" + "/".join(parts[:2]), {})
        v = inst.get(parts[2])
        if len(parts) == 4:
            v = (v or {}).get(parts[3]) if isinstance(v, dict) else None
        want = rec["value"]
        if rec["type"] == "opaque":
            ok = v == want
        elif rec["type"] == "objlnk":
            ok = v == want
        else:
            ok = v == want
        if not ok:
            bad.append((rec["path"], want, v))
for b in bad:
    print("# differs:", b)
sys.exit(1 if bad else 0)
PY

# ---- generated credentials: stable and exported ----------------------------
"$BSCTL" policy credentials --device $EP --reveal >"$T_WORK/creds.json"
check "the exported PSK of SSID 101 is the key the client received" python3 - "$T_WORK/creds.json" "$dump1" <<'PY'
import json, sys
creds = json.load(open(sys.argv[1]))["credentials"]
store = json.loads(sys.argv[2])["instances"]
psk = [c for c in creds if c["kind"] == "psk" and c["ssid"] == 101][0]
acct = [v for k, v in store.items() if k.startswith("/0/") and v.get("10") == 101][0]
sys.exit(0 if acct.get("5") == psk["secret_hex"] and len(psk["secret_hex"]) == 32 else 1)
PY
check "... and is never shown without --reveal" sh -c '"$1" policy credentials --device "$2" | grep -q "<redacted>" && ! "$1" policy credentials --device "$2" | grep -q "$3"' \
    _ "$BSCTL" $EP "$(python3 -c 'import json,sys; print([c for c in json.load(open(sys.argv[1]))["credentials"] if c["kind"]=="psk"][0]["secret_hex"])' "$T_WORK/creds.json")"
sim --ep $EP --psk-identity $EP --psk-key $BASE --pct 11542 --dialect anjay --bs-instance 1
check "a second bootstrap (Anjay dialect, TLV) finishes" grep -q 'outcome=finished' "$T_WORK/sim.out"
dump2=$(last_line "$T_WORK/dump.json")
check "... and delivers the same generated PSK" python3 - "$dump1" "$dump2" <<'PY'
import json, sys
def psk(d):
    s = json.loads(d)["instances"]
    return [v["5"] for k, v in s.items() if k.startswith("/0/") and v.get("10") == 101][0]
sys.exit(0 if psk(sys.argv[1]) == psk(sys.argv[2]) else 1)
PY
sim --ep urn:imei:350000000000002 --psk-identity urn:imei:350000000000002 --psk-key a0a1a2a3a4a5a6a7a8a9aaabacadaeaf --pct 112
dump3=$(last_line "$T_WORK/dump.json")
check "another device gets another PSK" python3 - "$dump1" "$dump3" <<'PY'
import json, sys
def psk(d):
    s = json.loads(d)["instances"]
    return [v["5"] for k, v in s.items() if k.startswith("/0/") and v.get("10") == 101][0]
sys.exit(0 if psk(sys.argv[1]) != psk(sys.argv[2]) else 1)
PY

# ---- version 2 reaches the running daemon ----------------------------------
sed 's/lifetime: 3600/lifetime: 7200/' "$BSD_SRCDIR/examples/policies/factory.yaml" >"$T_WORK/factory-v2.yaml"
check "version 2 applied" sh -c '"$1" policy apply "$2" | grep -q "stored version 2 (active)"' _ "$BSCTL" "$T_WORK/factory-v2.yaml"
i=0
while ! log_has 'event=daemon.reload.ok generation=2' && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
check "... the daemon reloads on the database's notification" log_has 'event=daemon.reload.ok generation=2'
sim --ep $EP --psk-identity $EP --psk-key $BASE --pct 112
dump4=$(last_line "$T_WORK/dump.json")
check "the next bootstrap follows version 2 (lifetime 7200)" \
    jtrue "$dump4" 'any(k.startswith("/1/") and v.get("0") == 101 and v.get("1") == 7200 for k, v in d["instances"].items())'
check "... with the same PSK as under version 1" python3 - "$dump1" "$dump4" <<'PY'
import json, sys
def psk(d):
    s = json.loads(d)["instances"]
    return [v["5"] for k, v in s.items() if k.startswith("/0/") and v.get("10") == 101][0]
sys.exit(0 if psk(sys.argv[1]) == psk(sys.argv[2]) else 1)
PY
check "rolling back to version 1 works" sh -c '"$1" policy activate factory-line-a 1 | grep -q "version 1 is active"' _ "$BSCTL"

# ---- a device in a bootstrap loop ---------------------------------------------
# Three bootstraps of $EP so far; the limit here is 4 per hour.
sim --ep $EP --psk-identity $EP --psk-key $BASE --pct 112
check "the 4th bootstrap within the window still finishes" grep -q 'outcome=finished' "$T_WORK/sim.out"
sim --ep $EP --psk-identity $EP --psk-key $BASE --pct 112 --expect request-rejected
check "the 5th is refused (5.03)" grep -q 'outcome=request-rejected request=5.03' "$T_WORK/sim.out"
check "... logged once as a bootstrap loop" log_has "event=bootstrap.loop endpoint=\"$EP\" count=4"
i=0
while [ "$(sql "SELECT count(*) FROM sessions WHERE endpoint = '$EP' AND record->>'reason' = 'device_rate_limited'")" != 1 ] &&
    [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
check "... and recorded as rejected (device_rate_limited)" \
    [ "$(sql "SELECT count(*) FROM sessions WHERE endpoint = '$EP' AND outcome = 'rejected' AND record->>'reason' = 'device_rate_limited'")" = 1 ]

# ---- a live DTLS session ends when its device goes ---------------------------
EP2=urn:imei:350000000000002
# (the sleep keeps s_client's stdin open; it is stopped by its PID once the
# client has gone)
(echo $BASHPID >"$T_WORK/holder.pid" && exec sleep 30) </dev/null 2>/dev/null | timeout 35 openssl s_client -dtls1_2 -connect "127.0.0.1:$port" -psk_identity $EP2 \
    -psk a0a1a2a3a4a5a6a7a8a9aaabacadaeaf -cipher PSK-AES128-CCM8 -quiet >"$T_WORK/s_client.out" 2>&1 &
client=$!
i=0
while ! log_has "dtls.handshake.ok .*endpoint=\"$EP2\"" && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
check "openssl s_client holds a DTLS session as $EP2" log_has "dtls.handshake.ok .*endpoint=\"$EP2\""
check "bsctl device remove $EP2" "$BSCTL" device remove $EP2
i=0
while ! log_has "dtls.session.revoked .*endpoint=\"$EP2\" reason=device_removed" && [ $i -lt 150 ]; do
    sleep 0.1
    i=$((i + 1))
done
check "... the daemon closes that session (device_removed)" \
    log_has "dtls.session.revoked .*endpoint=\"$EP2\" reason=device_removed"
i=0
while kill -0 $client 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
check "... and the client sees it end (close_notify) before its own 30 s" sh -c '! kill -0 "$1" 2>/dev/null' _ $client
kill "$(cat "$T_WORK/holder.pid")" 2>/dev/null
wait $client 2>/dev/null
sim --ep $EP2 --psk-identity $EP2 --psk-key a0a1a2a3a4a5a6a7a8a9aaabacadaeaf --expect handshake-failed
check "... a new handshake with its old key fails" grep -q 'outcome=handshake-failed' "$T_WORK/sim.out"

# ---- the deny-list -------------------------------------------------------------
UDP="python3 $BSD_SRCDIR/tests/lib/udp.py"
hello=$($UDP hello)
check "before: a ClientHello from 127.0.0.2 gets a HelloVerifyRequest" \
    sh -c '[ -n "$(UDP_SRC=127.0.0.2 $1 send 127.0.0.1 "$2" "$3" 1)" ]' _ "$UDP" "$port" "$hello"
gen_before=$(grep -c 'event=daemon.reload.ok' "$T_WORK/daemon.log")
check "bsctl deny device / deny source" sh -c '"$1" deny device urn:imei:35990001 --reason "stolen" >/dev/null &&
    "$1" deny source 127.0.0.2/32 --reason test >/dev/null' _ "$BSCTL"
i=0
while [ "$(grep -c 'event=daemon.reload.ok' "$T_WORK/daemon.log")" -le "$gen_before" ] && [ $i -lt 50 ]; do
    sleep 0.1
    i=$((i + 1))
done
check "... the daemon reloads and leaves the denied device out" log_has 'event=db.devices.denied count=1'
check "a ClientHello from the denied source gets no answer at all" \
    sh -c '[ -z "$(UDP_SRC=127.0.0.2 $1 send 127.0.0.1 "$2" "$3" 1)" ]' _ "$UDP" "$port" "$hello"
check "... one from another source still does" sh -c '[ -n "$($1 send 127.0.0.1 "$2" "$3" 1)" ]' _ "$UDP" "$port" "$hello"
check "bsctl deny list shows both" sh -c '"$1" deny list | grep -q "urn:imei:35990001" && "$1" deny list | grep -q "127.0.0.2/32"' \
    _ "$BSCTL"
k=$("$SIM" --server coaps://127.0.0.1:1 --count 2 --ep-prefix urn:imei:3599000 --psk-key $BASE --psk-key-per-device \
    --print-devices | sed -n 2p | sed 's/.*key=//')
sim --ep urn:imei:35990001 --psk-identity urn:imei:35990001 --psk-key "$k" --expect handshake-failed
check "the denied device cannot authenticate" grep -q 'outcome=handshake-failed' "$T_WORK/sim.out"
gen_before=$(grep -c 'event=daemon.reload.ok' "$T_WORK/daemon.log")
check "lifting the denial" "$BSCTL" deny remove device urn:imei:35990001
i=0
while [ "$(grep -c 'event=daemon.reload.ok' "$T_WORK/daemon.log")" -le "$gen_before" ] && [ $i -lt 50 ]; do
    sleep 0.1
    i=$((i + 1))
done
sim --ep urn:imei:35990001 --psk-identity urn:imei:35990001 --psk-key "$k" --pct 112
check "... lets it bootstrap again" grep -q 'outcome=finished' "$T_WORK/sim.out"

# ---- no policy for the device ----------------------------------------------
sim --ep other-1 --psk-identity other-1 --psk-key b0b1b2b3b4b5b6b7b8b9babbbcbdbebf --expect request-rejected
check "a device no policy matches gets 4.00" grep -q 'outcome=request-rejected' "$T_WORK/sim.out"
i=0
while [ "$(sql "SELECT count(*) FROM sessions WHERE endpoint = 'other-1'")" != 1 ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
check "... recorded in PostgreSQL as rejected (no_plan)" \
    [ "$(sql "SELECT outcome || ':' || (record->>'reason') FROM sessions WHERE endpoint = 'other-1'")" = "rejected:no_plan" ]

# ---- PostgreSQL away during a load run: no record lost ---------------------
# The database goes away first, so every session of the run ends while it is
# down; it comes back while the last sessions still run.
before=$(sql "SELECT count(*) FROM sessions")
maxid=$(sql "SELECT COALESCE(max(id), 0) FROM sessions")
t_pg_stop
timeout 120 "$SIM" --server "coaps://127.0.0.1:$port" --count 60 --concurrency 4 --ep-prefix urn:imei:3599000 \
    --psk-key $BASE --psk-key-per-device --pct 112 --timeout 60 -q >"$T_WORK/load.out" 2>&1 &
load=$!
i=0
while [ "$(find "$T_WORK/spool" -name '*.jsonl' -newer "$T_WORK/load.csv" -size +8k | wc -l)" -eq 0 ] && [ $i -lt 50 ]; do
    sleep 0.1
    i=$((i + 1))
done
bash "$BSD_SRCDIR/scripts/pg-cluster.sh" start "$T_WORK/pg" >/dev/null 2>&1
wait $load
rc=$?
check "60 bootstraps while PostgreSQL was down and came back all finish (exit $rc)" [ "$rc" -eq 0 ]
check "... the daemon noticed the outage" log_has 'event=records.db.(store_failed|unreachable)'
i=0
while [ "$(sql "SELECT count(*) FROM sessions" 2>/dev/null)" != $((before + 60)) ] && [ $i -lt 150 ]; do
    sleep 0.1
    i=$((i + 1))
done
n=$(sql "SELECT count(*) FROM sessions WHERE id > $maxid AND endpoint LIKE 'urn:imei:3599000%' AND outcome = 'finished'")
check "... and every one of the 60 records reached PostgreSQL ($n), none twice" \
    [ "$n" -eq 60 ] && [ "$(sql "SELECT count(DISTINCT endpoint) FROM sessions WHERE id > $maxid")" -eq 60 ]
# Every byte in the spool is accounted for: each worker's stored position is
# the end of its newest segment, and older segments are gone.
check "... the spool holds nothing unstored" python3 - "$T_WORK/spool" "$(sql "SELECT worker || ' ' || seq || ' ' || off FROM spool_progress")" <<'PY'
import os, sys
d = sys.argv[1]
prog = {int(w): (int(s), int(o)) for w, s, o in (l.split() for l in sys.argv[2].splitlines() if l.strip())}
bad = []
for f in sorted(os.listdir(d)):
    w, seq = int(f[1:4]), int(f[5:21], 16)
    size = os.path.getsize(os.path.join(d, f))
    s, o = prog.get(w, (0, 0))
    if size and not (seq == s and o == size):
        bad.append((f, size, prog.get(w)))
print("# unstored:", bad) if bad else None
sys.exit(1 if bad else 0)
PY
t_done
