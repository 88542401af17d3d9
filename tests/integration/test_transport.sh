#!/bin/sh
# test_transport.sh — the daemon's transport over real UDP on 127.0.0.1:
# stateless cookie exchange, garbage handling, handshake rate limit, plain
# CoAP (NoSec allow-list, ping, RST, 4.02, 4.01 without amplification),
# block-wise answers within max_datagram, SIGHUP credential reload, idle
# timeout, privilege drop, SIGTERM.
T_NAME=transport
. "$BSD_SRCDIR/tests/lib/harness.sh"
# Under ASan, freed memory sits in a quarantine that would count as retained
# state in the RSS check below; keep it small for this daemon.
[ -n "${ASAN_OPTIONS:-}" ] && export ASAN_OPTIONS="$ASAN_OPTIONS:quarantine_size_mb=4"
t_pki
UDP="python3 $BSD_SRCDIR/tests/lib/udp.py"
port=$(t_free_port)
coap=$(t_free_port)
T_EXTRA_CONFIG="dtls.handshake_rate = 3
dtls.idle_timeout = 5"
t_config "$port" "$coap"
conf="$T_WORK/bsd.conf"
t_start_daemon "$conf" || { fail "daemon starts"; t_done; exit 1; }
pid=$T_DAEMON_PID

rss() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
psk_whoami() { # identity hexkey → whoami body (empty on failure)
    t_whoami_req | timeout 4 openssl s_client -dtls1_2 -connect "127.0.0.1:$port" -psk_identity "$1" \
        -psk "$2" -cipher PSK-AES128-CCM8 -quiet 2>"$T_WORK/sclient.err" | tr -d '\000' | tail -c +5
}

# --- stateless DTLS entry ---------------------------------------------------
hello=$($UDP hello)
r=$($UDP send 127.0.0.1 "$port" "$hello")
check "cookie-less ClientHello gets a HelloVerifyRequest" sh -c 'echo "$1" | grep -q "^16fefd.\{20\}03"' _ "$r"
r=$($UDP send 127.0.0.1 "$port" "$(echo "$hello" | cut -c1-60)")
check "truncated ClientHello is dropped without an answer" [ -z "$r" ]
r=$($UDP send 127.0.0.1 "$port" "17fefd0001000000000001000a0102030405060708090a")
check "application data from an unknown peer is dropped" [ -z "$r" ]
r=$($UDP send 127.0.0.1 "$port" "$(head -c 300 /dev/urandom | od -An -tx1 | tr -d ' \n')")
check "random bytes are dropped" [ -z "$r" ]

before=$(rss "$pid")
n=$($UDP flood 127.0.0.1 "$port" 2000)
after=$(rss "$pid")
check "2000 spoofed ClientHellos all answered statelessly (got $n)" [ "$n" -ge 1900 ]
# A session costs about 20 KiB, so 2000 retained ones would add >= 40 MiB;
# the bound leaves room for allocator (and ASan quarantine) noise.
check "no state retained for them (RSS $before kB -> $after kB)" [ $((after - before)) -lt 8192 ]

n=$($UDP cookie-hellos 127.0.0.1 "$port" 6)
check "per-source handshake rate limit (3/s over 2 workers): 6 cookie-verified hellos -> $n ServerHellos" \
    sh -c '[ "$1" -ge 2 ] && [ "$1" -le 4 ]' _ "$n"
sleep 1.5

# --- DTLS sessions ------------------------------------------------------------
body=$(psk_whoami dev-psk "$T_PSK_KEY")
check "PSK session answers /diag/whoami with the bound identity" \
    sh -c 'echo "$1" | grep -q "cred=psk endpoint=dev-psk identity=dev-psk"' _ "$body"

# --- plain CoAP ---------------------------------------------------------------
r=$($UDP send 127.0.0.1 "$coap" 40001234)
check "CoAP ping (empty CON) is answered with RST" [ "$r" = "70001234" ]
r=$($UDP send 127.0.0.1 "$coap" 4901beef)
check "malformed CON (TKL 9) is answered with RST" [ "$r" = "7000beef" ]
r=$($UDP send 127.0.0.1 "$coap" 5901beef)
check "malformed NON is dropped" [ -z "$r" ]
# GET /diag/whoami with critical option 65001 (unknown): 4.02
r=$($UDP send 127.0.0.1 "$coap" 40015555b4646961670677686f616d69e0fcd1)
check "unknown critical option gets 4.02" sh -c 'echo "$1" | grep -q "^6082"' _ "$r"
# GET /diag/whoami with a 4-byte Block2 (critical, max 3 bytes): 4.02
r=$($UDP send 127.0.0.1 "$coap" 40015556b4646961670677686f616d69c400000001)
check "critical option with an invalid length gets 4.02" sh -c 'echo "$1" | grep -q "^60825556"' _ "$r"
j=$($UDP coap-get 127.0.0.1 "$coap" diag/whoami)
check "NoSec peer on its allow-list is served" sh -c 'echo "$1" | grep -q "\"code\": \"2.05\""' _ "$j"
j=$(UDP_SRC=127.0.0.2 $UDP coap-get 127.0.0.1 "$coap" diag/whoami)
check "source outside every NoSec allow-list gets 4.01" sh -c 'echo "$1" | grep -q "\"code\": \"4.01\""' _ "$j"
check "the 4.01 is small (no amplification)" sh -c 'echo "$1" | grep -q "\"sizes\": \[[0-9]\]"' _ "$j"

blob_ok() { # json size maxdatagram
    python3 - "$1" "$2" "$3" <<'PY'
import json, sys
d = json.loads(sys.argv[1]); n = int(sys.argv[2]); lim = int(sys.argv[3])
exp = b"".join(b"%015x\n" % i for i in range(0, n, 16))[:n]
ok = d["code"] == "2.05" and bytes.fromhex(d["body"]) == exp and max(d["sizes"]) <= lim and len(d["blocks"]) > 1
sys.exit(0 if ok else 1)
PY
}
j=$($UDP coap-get 127.0.0.1 "$coap" diag/blob size=20000)
check "20000-byte body goes out block-wise, every datagram <= 1152" blob_ok "$j" 20000 1152

# --- SIGHUP: credentials reload ---------------------------------------------
printf 'dev-new psk identity=dev-new key=a0a1a2a3a4a5a6a7a8a9aaabacadaeaf\n' >>"$T_WORK/devices.conf"
sed -i '/^dev-psk  /d' "$T_WORK/devices.conf"
kill -HUP "$pid"
i=0; while ! log_has 'daemon.reload.ok' && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
check "SIGHUP reload is logged" log_has 'event=daemon.reload.ok generation=2 devices=8'
body=$(psk_whoami dev-new a0a1a2a3a4a5a6a7a8a9aaabacadaeaf)
check "a device added before SIGHUP can connect" sh -c 'echo "$1" | grep -q "endpoint=dev-new"' _ "$body"
body=$(psk_whoami dev-psk "$T_PSK_KEY")
check "a device removed before SIGHUP is refused" [ -z "$body" ]
check "... with unknown_psk_identity" grep -q "alert number 115" "$T_WORK/sclient.err"
printf 'dev-bad psk key=nothex\n' >>"$T_WORK/devices.conf"
kill -HUP "$pid"
i=0; while ! log_has 'daemon.reload.failed' && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
check "a broken devices file on SIGHUP is refused and logged" log_has 'daemon.reload.failed'
body=$(psk_whoami dev-new a0a1a2a3a4a5a6a7a8a9aaabacadaeaf)
check "... and the previous credentials stay in force" sh -c 'echo "$1" | grep -q "endpoint=dev-new"' _ "$body"

# --- idle timeout -------------------------------------------------------------
(t_whoami_req; sleep 8) | timeout 9 openssl s_client -dtls1_2 -connect "127.0.0.1:$port" -psk_identity dev-new \
    -psk a0a1a2a3a4a5a6a7a8a9aaabacadaeaf -cipher PSK-AES128-CCM8 -quiet >/dev/null 2>&1
check "an idle session is closed after dtls.idle_timeout" log_has 'event=dtls.session.idle'

# --- SIGTERM --------------------------------------------------------------------
kill -TERM "$pid"
i=0; while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
check "SIGTERM stops the daemon within 5 s" sh -c '! kill -0 "$1" 2>/dev/null' _ "$pid"
wait "$pid"; rc=$?
T_DAEMON_PID=""
check "... with exit status 0" [ "$rc" -eq 0 ]
check "... logging daemon.stopped" log_has 'event=daemon.stopped'
check "... and removing its pid file" [ ! -e "$T_WORK/bsd.pid" ]

# --- max_datagram and privilege drop ------------------------------------------
T_EXTRA_CONFIG="max_datagram = 400"
t_config "$port" "$coap"
if [ "$(id -u)" -eq 0 ] && id nobody >/dev/null 2>&1; then
    sed -i 's/^user = .*/user = nobody/' "$T_WORK/bsd.conf"
    chmod 755 "$T_WORK"
fi
t_start_daemon "$T_WORK/bsd.conf" || fail "daemon restarts"
j=$($UDP coap-get 127.0.0.1 "$coap" diag/blob size=5000)
check "max_datagram = 400: the body is cut into blocks of <= 400-byte datagrams" blob_ok "$j" 5000 400
body=$(psk_whoami dev-psk "$T_PSK_KEY")
check "max_datagram = 400: a DTLS session still works" sh -c 'echo "$1" | grep -q "endpoint=dev-psk"' _ "$body"
if [ "$(id -u)" -eq 0 ] && id nobody >/dev/null 2>&1; then
    uid=$(awk '/^Uid:/ {print $2 $3 $4 $5}' "/proc/$T_DAEMON_PID/status")
    nb=$(id -u nobody)
    check "started as root with user = nobody, the daemon runs as nobody" [ "$uid" = "$nb$nb$nb$nb" ]
fi
t_stop_daemon

# --- IPv6 listener ---------------------------------------------------------------
if python3 -c 'import socket; s=socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); s.bind(("::1", 0))' 2>/dev/null; then
    T_EXTRA_CONFIG=""
    t_config "$port"
    sed -i "s/^listen = .*/listen = 127.0.0.1:$port, [::1]:$port/" "$T_WORK/bsd.conf"
    t_start_daemon "$T_WORK/bsd.conf" || fail "daemon starts with an IPv6 listener"
    "$BSD_BIN" --check "[::1]:$port" >/dev/null 2>&1
    check "the [::1] DTLS listener answers the probe" [ $? -eq 0 ]
    body=$(t_whoami_req | timeout 4 openssl s_client -dtls1_2 -connect "[::1]:$port" -psk_identity dev-psk \
        -psk "$T_PSK_KEY" -cipher PSK-AES128-CCM8 -quiet 2>/dev/null | tr -d '\000' | tail -c +5)
    check "a PSK session over IPv6 reports an IPv6 peer" sh -c 'echo "$1" | grep -q "cred=psk endpoint=dev-psk .*peer=\[::1\]:"' _ "$body"
    t_stop_daemon
else
    echo "# ::1 is not available here: IPv6 checks skipped"
fi
t_done
