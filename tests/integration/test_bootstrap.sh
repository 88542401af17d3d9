#!/bin/sh
# test_bootstrap.sh — the Bootstrap-Request and the session the daemon then
# drives, end to end over real UDP (plain CoAP) and DTLS (openssl s_client):
# placement around the client's BS account, each content format, refusals
# (4.00, 4.15), the session timeout and the session records.
# The scripted client is tests/lib/udp.py nosec-bootstrap (independent of the
# daemon's code); the full simulated client is tools/sim.
T_NAME=bootstrap
. "$BSD_SRCDIR/tests/lib/harness.sh"
t_pki
UDP="python3 $BSD_SRCDIR/tests/lib/udp.py"
port=$(t_free_port)
coap=$(t_free_port)
cat >"$T_WORK/plans.json" <<'EOJ'
{ "plans": [
  { "name": "slow", "version": 2, "match": ["dev-psk-2"], "timeout": 2,
    "operations": [ {"op": "discover"}, {"op": "finish"} ] },
  { "name": "factory", "version": 7, "match": ["*"],
    "operations": [
      {"op": "discover"},
      {"op": "read", "path": "/2"},
      {"op": "delete", "path": "/0"},
      {"op": "delete", "path": "/1"},
      {"op": "write", "path": "/0/slot:1", "values": {"0": "coaps://lwm2m.example:5684", "1": false, "2": 0,
        "3": {"text": "${endpoint}"}, "5": {"hex": "000102030405060708090a0b0c0d0e0f"}, "10": 101}},
      {"op": "write", "path": "/1/slot:1", "values": {"0": 101, "1": 300, "6": true, "7": "U"}},
      {"op": "finish"} ] } ] }
EOJ
T_EXTRA_CONFIG="plans_file = $T_WORK/plans.json
records_file = $T_WORK/records.jsonl"
t_config "$port" "$coap"
t_start_daemon "$T_WORK/bsd.conf" || { fail "daemon starts"; t_done; exit 1; }

# jget JSON PYEXPR: evaluates a Python expression over the parsed JSON |d|.
jget() { python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(eval(sys.argv[2]))' "$1" "$2"; }
# jtrue JSON PYEXPR: succeeds when the expression is true.
jtrue() { python3 -c 'import json,sys; d=json.loads(sys.argv[1]); sys.exit(0 if eval(sys.argv[2]) else 1)' "$1" "$2"; }
last_record() { tail -n 1 "$T_WORK/records.jsonl"; }

# --- NoSec, Wakaama-style client (BS account at /0/0) -------------------------------
j=$($UDP nosec-bootstrap 127.0.0.1 "$coap" dev-nosec 11542 wakaama)
check "NoSec Bootstrap-Request gets 2.04" [ "$(jget "$j" 'd["bs"]')" = "2.04" ]
check "the daemon plays the plan in order" \
    [ "$(jget "$j" '" ".join(r["method"]+" "+r["path"] for r in d["requests"])')" = \
      "GET / GET /2 DELETE /0 DELETE /1 PUT /0/1 PUT /1/0 POST /bs" ]
check "TLV (pct=11542) for the writes" [ "$(jget "$j" 'd["requests"][4]["cf"]')" = "11542" ]
# T6-shaped TLV (PROTOCOLS.md §5.1): URI (26 bytes), bs=false, mode 0, identity
# "dev-nosec" (9 bytes), the 16-byte key, SSID 101
check "the Security write is the exact TLV" [ "$(jget "$j" 'd["requests"][4]["payload"]')" = \
    "c8001a636f6170733a2f2f6c776d326d2e6578616d706c653a35363834c10100c10200c803096465762d6e6f736563c80510000102030405060708090a0b0c0d0e0fc10a65" ]
check "Finish was answered" [ "$(jget "$j" 'd.get("finish")')" = "2.04" ]
rec=$(last_record)
check "record: outcome finished, plan factory v7, placement from Discover, BS account 0" \
    [ "$(jget "$rec" 'd["outcome"], d["plan"], d["plan_version"], d["placement"], d["bs_account"], d["cred"]')" = \
      "('finished', 'factory', 7, 'discover', 0, 'nosec')" ]
check "record: every step with its code" \
    [ "$(jget "$rec" '" ".join(s["op"]+":"+s["code"] for s in d["steps"])')" = \
      "discover:2.05 read:2.05 delete:2.02 delete:2.02 write:2.04 write:2.04 finish:2.04" ]

# --- Anjay-style client (BS account at /0/1), SenML JSON and CBOR --------------------------
j=$($UDP nosec-bootstrap 127.0.0.1 "$coap" dev-nosec 110 anjay)
check "Anjay's BS account /0/1 is avoided: Security goes to /0/0" [ "$(jget "$j" 'd["requests"][4]["path"]')" = "/0/0" ]
check "SenML JSON (pct=110) for the writes" [ "$(jget "$j" 'd["requests"][4]["cf"]')" = "110" ]
check "... with bn /0/0/ and the identity as unpadded base64url" \
    jtrue "$j" 'bytes.fromhex(d["requests"][4]["payload"]).decode().startswith("[{\"bn\":\"/0/0/\",\"n\":\"0\",\"vs\":\"coaps://lwm2m.example:5684\"}") and "\"vd\":\"ZGV2LW5vc2Vj\"" in bytes.fromhex(d["requests"][4]["payload"]).decode()'
j=$($UDP nosec-bootstrap 127.0.0.1 "$coap" dev-nosec 112 anjay)
check "SenML CBOR (pct=112) for the writes" [ "$(jget "$j" 'd["requests"][4]["cf"]')" = "112" ]
check "... a definite CBOR array of 6 records starting with bn /0/0/" \
    [ "$(jget "$j" 'd["requests"][4]["payload"][:20]')" = "86a321652f302f302f00" ]

# --- a new Bootstrap-Request replaces a running session (any worker) ------------------------
j=$(UDP_VANISH_AFTER=1 $UDP nosec-bootstrap 127.0.0.1 "$coap" dev-nosec 11542)
check "first client: 2.04, then it stops answering after the Discover" [ "$(jget "$j" 'd["bs"], d.get("vanished")')" = "('2.04', True)" ]
j=$($UDP nosec-bootstrap 127.0.0.1 "$coap" dev-nosec 11542)
check "second Bootstrap-Request of the same device is served to the end" [ "$(jget "$j" 'd.get("finish")')" = "2.04" ]
i=0
while ! grep -q '"outcome":"replaced"' "$T_WORK/records.jsonl" && [ $i -lt 80 ]; do sleep 0.1; i=$((i + 1)); done
check "the first session ends as replaced, recorded" grep -q '"endpoint":"dev-nosec".*"outcome":"replaced"' "$T_WORK/records.jsonl"

# --- refusals ------------------------------------------------------------------------------
j=$($UDP nosec-bootstrap 127.0.0.1 "$coap" dev-nosec 42)
check "unsupported pct gets 4.15" [ "$(jget "$j" 'd["bs"]')" = "4.15" ]
check "... recorded as rejected, with the pct given" \
    jtrue "$(last_record)" 'd["outcome"] == "rejected" and d["reason"] == "unsupported_pct" and d["detail"] == "42" and d["steps"] == []'
j=$($UDP nosec-bootstrap 127.0.0.1 "$coap" dev-unknown 11542)
check "unknown device gets 4.00" [ "$(jget "$j" 'd["bs"]')" = "4.00" ]
check "... logged with the reason" log_has 'bootstrap.request.refused .*reason=unknown_device ep="dev-unknown"'
check "... recorded as unauthorized for the endpoint it claimed" \
    jtrue "$(last_record)" 'd["outcome"] == "unauthorized" and d["reason"] == "unknown_device" and d["endpoint"] == "dev-unknown" and d["cred"] == "nosec" and d["peer"].startswith("127.0.0.1:")'
j=$($UDP nosec-bootstrap 127.0.0.1 "$coap" dev-psk 11542)
check "a PSK device over plain CoAP gets 4.00" [ "$(jget "$j" 'd["bs"]')" = "4.00" ]
check "... logged as nosec_not_allowed" log_has 'reason=nosec_not_allowed ep="dev-psk"'
check "... recorded as unauthorized" \
    jtrue "$(last_record)" 'd["outcome"] == "unauthorized" and d["reason"] == "nosec_not_allowed" and d["endpoint"] == "dev-psk"'
j=$(UDP_SRC=127.0.0.2 $UDP nosec-bootstrap 127.0.0.1 "$coap" dev-nosec 11542)
check "the NoSec device from outside its allow-list gets 4.00" [ "$(jget "$j" 'd["bs"]')" = "4.00" ]
# A flood of unauthenticated refusals cannot flood the records and the log:
# each worker writes at most a burst of 200, refilled at 100/s, and reports
# what it left out. 3000 requests leave well over 1000 unwritten whatever
# the speed of this machine, short of taking 10 s to send them.
before=$(wc -l <"$T_WORK/records.jsonl")
# One socket, so every request reaches the same worker (SO_REUSEPORT hashes
# the addresses); the last one, after a pause, lets that worker report.
python3 - "$coap" "$BSD_SRCDIR/tests/lib" <<'PY'
import socket, struct, sys, time
sys.path.insert(0, sys.argv[2])
import udp
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
def bs(i, ep):
    opts = udp.opt_encode([(11, b"bs"), (15, b"ep=" + ep)])
    s.sendto(bytes([0x50, 2]) + struct.pack(">H", i) + opts, ("127.0.0.1", int(sys.argv[1])))
for i in range(3000):
    bs(i, b"flood-%d" % i)
time.sleep(1.2)
bs(3000, b"flood-last")
PY
i=0
while ! log_has 'bootstrap.request.refused.suppressed count=[0-9]+' && [ $i -lt 30 ]; do sleep 0.1; i=$((i + 1)); done
n=$(($(wc -l <"$T_WORK/records.jsonl") - before))
check "3000 refused requests in a burst: at most a bounded share is recorded ($n records)" [ "$n" -ge 1 ] && [ "$n" -le 1500 ]
check "... the daemon says when it starts leaving refusals out" log_has 'bootstrap.request.refused.suppressing '
check "... and how many it left out once it records again" log_has 'bootstrap.request.refused.suppressed count=[0-9]+'
check "... the daemon still serves a real device" \
    [ "$($UDP nosec-bootstrap 127.0.0.1 "$coap" dev-nosec 11542 | python3 -c 'import json,sys; print(json.load(sys.stdin).get("finish"))')" = "2.04" ]

# unknown query parameter: POST /bs?ep=dev-nosec&foo=1
r=$($UDP send 127.0.0.1 "$coap" "$(python3 -c 'import sys; sys.path.insert(0, sys.argv[1]); import udp; print((bytes([0x40,2,0x12,0x35]) + udp.opt_encode([(11,b"bs"),(15,b"ep=dev-nosec"),(15,b"foo=1")])).hex())' "$BSD_SRCDIR/tests/lib")")
check "an unknown query parameter gets 4.00" sh -c 'echo "$1" | grep -q "^60801235"' _ "$r"

# --- DTLS PSK: ep bound to the identity --------------------------------------------------
bs_dtls() { # identity key query → the CoAP answer to POST /bs?QUERY, hex
    req=$(python3 -c 'import sys; sys.path.insert(0, sys.argv[1]); import udp; o=[(11,b"bs")]+[(15,q.encode()) for q in sys.argv[2].split("&") if q]; print((bytes([0x40,2,0x22,0x22]) + udp.opt_encode(o)).hex())' "$BSD_SRCDIR/tests/lib" "$3")
    (echo "$req" | xxd -r -p; sleep 1) | timeout 4 openssl s_client -dtls1_2 -connect "127.0.0.1:$port" \
        -psk_identity "$1" -psk "$2" -cipher PSK-AES128-CCM8 -quiet -no_ign_eof 2>/dev/null | od -An -tx1 | tr -d ' \n'
}
r=$(bs_dtls dev-psk "$T_PSK_KEY" "ep=dev-x509&pct=11542")
check "DTLS: ep naming another device than the PSK identity gets 4.00" sh -c 'echo "$1" | grep -q "^60802222"' _ "$r"
check "... logged with both names" log_has 'reason=ep_identity_mismatch ep="dev-x509" bound="dev-psk"'
check "... recorded as unauthorized for the authenticated device, with the ep it claimed" \
    jtrue "$(last_record)" 'd["outcome"] == "unauthorized" and d["reason"] == "ep_identity_mismatch" and d["endpoint"] == "dev-psk" and d["requested_ep"] == "dev-x509" and d["cred"] == "psk"'
r=$(bs_dtls dev-psk "$T_PSK_KEY" "pct=11542")
check "DTLS: no ep, the PSK identity names the device: 2.04" sh -c 'echo "$1" | grep -q "^60442222"' _ "$r"
check "... and the daemon starts the session with a Discover (CON GET, Accept 40)" \
    sh -c 'echo "$1" | grep -Eq "^60442222.*4[0-9a-f]01"' _ "$r"

# --- a client that stops answering: the session times out and is recorded --------------
r=$(bs_dtls "dev psk 2" 101112131415161718191a1b1c1d1e1f "ep=dev-psk-2")
check "dev-psk-2 (plan slow, 2 s timeout) gets 2.04" sh -c 'echo "$1" | grep -q "^60442222"' _ "$r"
i=0
while ! grep -q '"endpoint":"dev-psk-2"' "$T_WORK/records.jsonl" 2>/dev/null && [ $i -lt 60 ]; do sleep 0.1; i=$((i + 1)); done
rec=$(grep '"endpoint":"dev-psk-2"' "$T_WORK/records.jsonl" | tail -n 1)
check "a vanished client's session ends timed-out and is recorded" \
    [ "$(jget "$rec" 'd["outcome"], d["plan"], d["cred"]')" = "('timed-out', 'slow', 'psk')" ]
t_done
