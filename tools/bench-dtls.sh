#!/bin/sh
# bench-dtls.sh — daemon CPU per DTLS handshake + one CoAP request/response,
# measured from /proc/PID/stat (utime+stime of the daemon only), with
# Debian's openssl s_client as the client. A benchmark, never a test.
#
# Usage: tools/bench-dtls.sh [BUILD_DIR] [N] [psk|x509]   (defaults: build 300 psk)
# Prints: sessions, daemon CPU ms, µs per session, daemon RSS.
# openssl s_client costs far more CPU than the daemon, so wall-clock rates
# here say nothing about the daemon; the µs-per-session figure does.
set -eu
build=${1:-build}
n=${2:-300}
mode=${3:-psk}
root=$(cd "$(dirname "$0")/.." && pwd)
export BSD_SRCDIR="$root" BSD_BUILDDIR="$root/$build" BSD_BIN="$root/$build/bsd/bsd"
T_NAME=bench
T_WORKERS=1
T_LOG_LEVEL=warn
T_EXTRA_CONFIG="dtls.handshake_rate = 0"
. "$root/tests/lib/harness.sh"
t_pki
port=$(t_free_port)
t_config "$port"
t_start_daemon "$T_WORK/bsd.conf"
pid=$T_DAEMON_PID
tck=$(getconf CLK_TCK)
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
one() {
    if [ "$mode" = psk ]; then
        (t_whoami_req; sleep 0.05) | timeout 3 openssl s_client -dtls1_2 -connect "127.0.0.1:$port" \
            -psk_identity "$T_PSK_ID" -psk "$T_PSK_KEY" -cipher PSK-AES128-CCM8 -quiet -no_ign_eof 2>/dev/null
    else
        (t_whoami_req; sleep 0.05) | timeout 3 openssl s_client -dtls1_2 -connect "127.0.0.1:$port" \
            -cert "$T_PKI/dev-x509.crt" -key "$T_PKI/dev-x509.key" -cipher ECDHE-ECDSA-AES128-CCM8 -quiet -no_ign_eof \
            2>/dev/null
    fi
}
one >/dev/null # warm-up
c0=$(cpu "$pid")
ok=0
i=0
while [ $i -lt "$n" ]; do
    # two clients at a time
    one >/dev/null &
    bg=$!
    one >/dev/null
    wait "$bg" # not a bare wait: the daemon is a background job too
    i=$((i + 2))
done
c1=$(cpu "$pid")
ticks=$((c1 - c0))
echo "mode=$mode sessions=$n daemon_cpu_ms=$((ticks * 1000 / tck)) us_per_session=$((ticks * 1000000 / tck / n)) rss_kb=$(awk '/^VmRSS/ {print $2}' /proc/$pid/status)"
t_stop_daemon
