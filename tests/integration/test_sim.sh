#!/bin/sh
# test_sim.sh — full client-initiated bootstraps against the real daemon with
# the simulated LwM2M client (tools/sim, built on wolfSSL's DTLS client):
# PSK, RPK and X.509 over DTLS and NoSec, in TLV, SenML JSON and SenML CBOR;
# the object store the client ends with is compared with the plan; identity
# mismatch and unknown device refused; a client that fails a write, one that
# vanishes, one that needs Block1 for a certificate, an LwM2M 1.0 client, a
# client that keeps its store across two runs (--state), and 200 concurrent
# sessions.
T_NAME=sim
. "$BSD_SRCDIR/tests/lib/harness.sh"
t_pki
SIM=${BSD_SIM:-$BSD_BUILDDIR/tools/bsd-sim}
port=$(t_free_port)
coap=$(t_free_port)
LOADKEY=00112233445566778899aabbccddeeff

# A certificate too large for one datagram: the LwM2M Server's certificate
# that plan "big" writes into /0/x/4 (RSA 4096, so the Write needs Block1).
openssl req -x509 -newkey rsa:4096 -nodes -keyout "$T_WORK/big.key" -subj /CN=lwm2m.example -days 30 \
    -outform DER -out "$T_WORK/big.der" >/dev/null 2>&1
bighex=$(od -An -tx1 -v "$T_WORK/big.der" | tr -d ' \n')

# Plan "oscore" writes /21/0 typed for object 21 v2.0 (Opaque secret);
# the secret is printable so that a v1.x client's String can carry it.
oscsecret=$(printf '0123456789abcdef' | od -An -tx1 -v | tr -d ' \n')
cat >"$T_WORK/plans.json" <<EOJ
{ "plans": [
  { "name": "vanish", "version": 1, "match": ["dev-psk-2"], "timeout": 2,
    "operations": [ {"op": "discover"}, {"op": "delete", "path": "/0"}, {"op": "finish"} ] },
  { "name": "big", "version": 1, "match": ["dev-x509"],
    "operations": [
      {"op": "discover"},
      {"op": "delete", "path": "/0"}, {"op": "delete", "path": "/1"},
      {"op": "write", "path": "/0/slot:1", "values": {"0": "coaps://lwm2m.example:5684", "1": false, "2": 2,
        "4": {"hex": "$bighex"}, "10": 202}},
      {"op": "write", "path": "/1/slot:1", "values": {"0": 202, "1": 600, "6": false, "7": "U"}},
      {"op": "finish"} ] },
  { "name": "oscore", "version": 1, "match": ["dev-osc"],
    "operations": [
      {"op": "discover"},
      {"op": "delete", "path": "/0"}, {"op": "delete", "path": "/1"}, {"op": "delete", "path": "/21"},
      {"op": "write", "path": "/0/slot:1", "values": {"0": "coap://lwm2m.example:5683", "2": 3, "10": 303,
        "17": {"objlnk": "21:0"}}},
      {"op": "write", "path": "/1/slot:1", "values": {"0": 303, "1": 300, "6": false, "7": "U"}},
      {"op": "write", "path": "/21/0", "values": {"0": {"hex": "$oscsecret"}, "1": "c1", "2": "s1", "3": 10}},
      {"op": "finish"} ] },
  { "name": "factory", "version": 3, "match": ["*"],
    "operations": [
      {"op": "discover"},
      {"op": "read", "path": "/2"},
      {"op": "delete", "path": "/0"}, {"op": "delete", "path": "/1"},
      {"op": "write", "path": "/0/slot:1", "values": {"0": "coaps://lwm2m.example:5684", "1": false, "2": 0,
        "3": {"text": "\${endpoint}"}, "5": {"hex": "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf"}, "10": 101}},
      {"op": "write", "path": "/1/slot:1", "values": {"0": 101, "1": 300, "6": true, "7": "U"}},
      {"op": "finish"} ] } ] }
EOJ
T_EXTRA_DEVICES="$("$SIM" --server coaps://127.0.0.1:1 --count 200 --ep-prefix load- --psk-key $LOADKEY --print-devices)
dev-osc psk key=$LOADKEY"
T_EXTRA_CONFIG="plans_file = $T_WORK/plans.json
records_file = $T_WORK/records.jsonl
dtls.handshake_rate = 0"
T_LOG_LEVEL=info
t_config "$port" "$coap"
t_start_daemon "$T_WORK/bsd.conf" || { fail "daemon starts"; t_done; exit 1; }

jtrue() { python3 -c 'import json,sys; d=json.loads(sys.argv[1]); sys.exit(0 if eval(sys.argv[2]) else 1)' "$@"; }
rec_of() { grep "\"endpoint\":\"$1\"" "$T_WORK/records.jsonl" | tail -n 1; }
# sim ARGS...: one device, dump of its final object store in $DUMP
sim() { timeout 40 "$SIM" --timeout 30 --dump "$T_WORK/dump.json" "$@" >"$T_WORK/sim.out" 2>&1; }
DUMP() { tail -n 1 "$T_WORK/dump.json"; }
# the factory plan's account, as the client stores it (hex of the identity)
factory_ok() { # dump endpoint
    jtrue "$1" 'any(k.startswith("/0/") and v.get("10") == 101 and v.get("3") == sys.argv[3].encode().hex() and v.get("0") == "coaps://lwm2m.example:5684" and v.get("5") == "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf" for k, v in d["instances"].items()) and any(k.startswith("/1/") and v.get("0") == 101 and v.get("1") == 300 for k, v in d["instances"].items())' "$2"
}

psk="--server coaps://127.0.0.1:$port --ep dev-psk --psk-identity dev-psk --psk-key $T_PSK_KEY"
for pct in 11542 110 112; do
    sim $psk --pct $pct --dialect wakaama
    check "PSK, pct=$pct: the client's Finish says 2.04" grep -q 'outcome=finished' "$T_WORK/sim.out"
    check "PSK, pct=$pct: the client holds exactly the planned account" factory_ok "$(DUMP)" dev-psk
    check "PSK, pct=$pct: the record says finished in format $pct" \
        jtrue "$(rec_of dev-psk)" "d['outcome'] == 'finished' and d['format'] == $pct and d['cred'] == 'psk'"
done
check "Wakaama's BS account /0/0 was kept and not overwritten" \
    jtrue "$(DUMP)" 'd["instances"]["/0/0"]["1"] is True'

sim --server "coaps://127.0.0.1:$port" --ep dev-rpk --rpk-key "$T_PKI/rpk-dev.key" --server-spki "$T_PKI/server.spki.der" \
    --pct 112 --dialect anjay --bs-instance 1
check "RPK (Anjay dialect, BS account /0/1), SenML CBOR: finished" grep -q 'outcome=finished' "$T_WORK/sim.out"
check "RPK: the new account is at /0/0 and the BS account /0/1 survives" \
    jtrue "$(DUMP)" 'd["instances"]["/0/0"]["10"] == 101 and d["instances"]["/0/1"]["1"] is True'
check "RPK: the record names the credential" jtrue "$(rec_of dev-rpk)" 'd["cred"] == "rpk" and d["bs_account"] == 1'

sim --server "coaps://127.0.0.1:$port" --ep dev-x509 --cert "$T_PKI/dev-x509.crt" --key "$T_PKI/dev-x509.key" \
    --ca "$T_PKI/ca.crt" --pct 110
check "X.509, SenML JSON, a 2 KiB server certificate in /0/x/4: finished" grep -q 'outcome=finished' "$T_WORK/sim.out"
check "X.509: the certificate arrived intact (Block1 reassembled by the client)" \
    jtrue "$(DUMP)" 'any(v.get("4") == sys.argv[3] for v in d["instances"].values())' "$bighex"
check "X.509: the record shows the write went in several blocks" \
    jtrue "$(rec_of dev-x509)" 'any(s["op"] == "write" and s["blocks"] > 1 for s in d["steps"])'

sim --server "coap://127.0.0.1:$coap" --ep dev-nosec --pct 11542 --dialect leshan
check "NoSec (Leshan dialect), TLV: finished" grep -q 'outcome=finished' "$T_WORK/sim.out"
check "NoSec: the planned account" factory_ok "$(DUMP)" dev-nosec

sim $psk --lwm2m 1.0 --dialect zephyr
check "LwM2M 1.0 client (Zephyr dialect, no pct): finished" grep -q 'outcome=finished' "$T_WORK/sim.out"
check "LwM2M 1.0: TLV, Read skipped, recorded as 1.0" \
    jtrue "$(rec_of dev-psk)" 'd["lwm2m"] == "1.0" and d["format"] == 11542 and any(s["op"] == "read" and s.get("skipped") for s in d["steps"])'

# Every credential kind in every format (the factory plan; dev-x509-2 for X.509).
for pct in 11542 110 112; do
    sim --server "coaps://127.0.0.1:$port" --ep dev-rpk --rpk-key "$T_PKI/rpk-dev.key" --pct $pct
    check "matrix: RPK x $pct finished with the planned account" factory_ok "$(DUMP)" dev-rpk
    sim --server "coaps://127.0.0.1:$port" --ep dev-x509-2 --cert "$T_PKI/dev-x509-2.crt" \
        --key "$T_PKI/dev-x509-2.key" --ca "$T_PKI/ca.crt" --pct $pct
    check "matrix: X.509 x $pct finished with the planned account" factory_ok "$(DUMP)" dev-x509-2
    sim --server "coap://127.0.0.1:$coap" --ep dev-nosec --pct $pct
    check "matrix: NoSec x $pct finished with the planned account" factory_ok "$(DUMP)" dev-nosec
done

# Object 21 by the version the client lists: the plan's values (secret as
# hex bytes, IDs as text) go to a v1.1 client as Strings and to a v2.0 one
# as Opaque; the simulated client's store checks the types it receives.
osc="--server coaps://127.0.0.1:$port --ep dev-osc --psk-identity dev-osc --psk-key $LOADKEY"
for pct in 110 112 11542; do
    sim $osc --pct $pct --oscore-ver 1.1
    check "OSCORE object v1.1, pct=$pct: finished" grep -q 'outcome=finished' "$T_WORK/sim.out"
    check "... /21/0 holds the secret and IDs as Strings" \
        jtrue "$(DUMP)" 'd["instances"]["/21/0"]["0"] == "0123456789abcdef" and d["instances"]["/21/0"]["1"] == "c1"'
    check "... the record says object 21 v1.1, retyped" \
        jtrue "$(rec_of dev-osc)" 'd["outcome"] == "finished" and d["oscore_object"] == "1.1" and d["retyped"]'
    sim $osc --pct $pct --oscore-ver 2.0
    check "OSCORE object v2.0, pct=$pct: finished with Opaque values" \
        jtrue "$(DUMP)" 'd["instances"]["/21/0"]["0"] == sys.argv[3] and d["instances"]["/21/0"]["1"] == "6331"' "$oscsecret"
    check "... the record says object 21 v2.0, retyped (the IDs were given as text)" \
        jtrue "$(rec_of dev-osc)" 'd["outcome"] == "finished" and d["oscore_object"] == "2.0" and d["retyped"]'
done

sim --server "coaps://127.0.0.1:$port" --ep dev-x509 --psk-identity dev-psk --psk-key $T_PSK_KEY --expect request-rejected
check "ep naming another device than the PSK identity: 4.00" grep -q 'outcome=request-rejected' "$T_WORK/sim.out"
sim --server "coap://127.0.0.1:$coap" --ep nobody --expect request-rejected
check "unknown device: 4.00" grep -q 'outcome=request-rejected' "$T_WORK/sim.out"

sim $psk --fail-write /1/0:4.00
check "a client failing the Server write: the daemon goes on and still sends Finish" \
    grep -q 'outcome=finished' "$T_WORK/sim.out"
check "... recorded as finished-with-errors with the failed write" \
    jtrue "$(rec_of dev-psk)" 'd["outcome"] == "finished-with-errors" and [s["code"] for s in d["steps"] if s["op"] == "write"] == ["2.04", "4.00"]'
sim $psk --fail-write /0/1:4.00 --expect finish-rejected
check "a client failing the Security write ends with an inconsistent configuration: Finish 4.06" \
    grep -q 'outcome=finish-rejected' "$T_WORK/sim.out"
check "... recorded as finish-rejected" jtrue "$(rec_of dev-psk)" 'd["outcome"] == "finish-rejected"'

sim --server "coaps://127.0.0.1:$port" --ep dev-psk-2 --psk-identity "dev psk 2" \
    --psk-key 101112131415161718191a1b1c1d1e1f --vanish-after 1 --timeout 5 --expect vanished
i=0
while [ -z "$(rec_of dev-psk-2)" ] && [ $i -lt 60 ]; do sleep 0.1; i=$((i + 1)); done
check "a client that vanishes mid-session: recorded timed-out" jtrue "$(rec_of dev-psk-2)" 'd["outcome"] == "timed-out"'

# --state: the client keeps its object store across runs, like a device
# keeps its configuration between bootstraps. Run 1 starts from presets
# (two server accounts, an object instance and shared ACLs) on a fresh file.
STATE="$T_WORK/dev-nosec.state"
presets="--preset-server 201 --preset-server 202 --preset-inst /3303/0 --preset-acl 1:3303/0:201=RW,202=RWD:202"
nosec="--server coap://127.0.0.1:$coap --ep dev-nosec"
sim $nosec --pct 110 --state "$STATE" $presets
check "--state, run 1 (fresh file, presets): finished" grep -q 'outcome=finished' "$T_WORK/sim.out"
# jcmp FILE1 FILTER1 FILE2 FILTER2: the same non-null JSON (keys sorted)
jcmp() {
    a=$(jq -cS "$2" "$1") && b=$(jq -cS "$4" "$3") && [ -n "$a" ] && [ "$a" != null ] && [ "$a" = "$b" ]
}
DUMP >"$T_WORK/run1.json"
check "... the saved state is the final dump" jcmp "$STATE" .instances "$T_WORK/run1.json" .instances
check "... with the presets' ACLs and the plan's account" \
    jq -e '.instances["/2/1"] == {"0":3303,"1":0,"2":{"201":3,"202":11},"3":202} and .instances["/3303/0"] == {}
           and ([.instances[] | select(.["10"] == 101)] | length == 1) and .types["/0/0"]["1"] == "boolean"' "$STATE"
check "... mode 0600, no temporary file left" \
    sh -c '[ "$(stat -c %a "$1")" = 600 ] && [ ! -e "$1.tmp" ]' sh "$STATE"
cp "$STATE" "$T_WORK/state.copy"
"$SIM" $nosec --state "$STATE" $presets --print-state >"$T_WORK/run2-initial.json" 2>"$T_WORK/sim.err"
check "run 2 starts from the saved state (presets ignored): its initial store is run 1's final dump" \
    jcmp "$T_WORK/run2-initial.json" .instances "$T_WORK/run1.json" .instances
check "... --print-state leaves the file alone" cmp -s "$STATE" "$T_WORK/state.copy"
sim $nosec --pct 112 --state "$STATE" $presets
check "--state, run 2: finished again from the saved state" grep -q 'outcome=finished' "$T_WORK/sim.out"
check "... the ACLs of run 1 are still there" \
    sh -c 'jq -e ".instances[\"/2/1\"][\"3\"] == 202" "$1" >/dev/null && tail -n 1 "$2" >"$2.last"' sh "$STATE" "$T_WORK/dump.json"
check "... and the file holds run 2's final dump" jcmp "$STATE" .instances "$T_WORK/dump.json.last" .instances
printf '{"bsd_sim_state":1,"endpoint":"dev-nosec","instances":{"/0/0":{"5":"0g"}},"types":{"/0/0":{"5":"opaque"}}}\n' \
    >"$STATE"
cp "$STATE" "$T_WORK/state.copy"
"$SIM" $nosec --state "$STATE" >"$T_WORK/sim.out" 2>&1
rc=$?
check "a corrupt state file: exit 2 (got $rc)" [ "$rc" -eq 2 ]
check "... one clear line naming the file and the fault" \
    grep -qx "bsd-sim: --state $STATE: /0/0/5: value is not a hex string" "$T_WORK/sim.out"
check "... and the file is untouched" cmp -s "$STATE" "$T_WORK/state.copy"
"$SIM" $nosec --state "$STATE" --count 2 >"$T_WORK/sim.out" 2>&1
check "--state refuses --count > 1" [ $? -eq 2 ]

timeout 120 "$SIM" --server "coaps://127.0.0.1:$port" --count 200 --concurrency 200 --ep-prefix load- \
    --psk-key $LOADKEY --pct 112 --timeout 60 -q --server-pid "$T_DAEMON_PID" >"$T_WORK/load.out" 2>&1
rc=$?
check "200 concurrent DTLS-PSK bootstraps all finish (exit $rc)" [ "$rc" -eq 0 ]
sed 's/^/# /' "$T_WORK/load.out" | tail -n 6
n=$(grep -c '"endpoint":"load-[0-9]*".*"outcome":"finished"' "$T_WORK/records.jsonl")
check "... and 200 finished records ($n)" [ "$n" -eq 200 ]
t_done
