#!/bin/sh
# bench-bootstrap.sh — complete bootstrap sessions against the real daemon
# with bsd-sim's load generator; prints the simulator's summary, which
# includes the daemon's CPU per completed session (from /proc/PID/stat).
# A benchmark, never a test.
#
# Usage: tools/bench-bootstrap.sh [BUILD_DIR] [N]      (defaults: build 20000)
# Runs: PSK (N devices, 200 in flight, SenML CBOR), then X.509 (N/10
# sessions of one device, one at a time, ep derived from the certificate:
# the test PKI has one certificate per device), on a daemon with one worker.
set -eu
build=${1:-build}
n=${2:-20000}
root=$(cd "$(dirname "$0")/.." && pwd)
export BSD_SRCDIR="$root" BSD_BUILDDIR="$root/$build" BSD_BIN="$root/$build/bsd/bsd"
SIM="$root/$build/tools/bsd-sim"
T_NAME=bench
T_WORKERS=1
T_LOG_LEVEL=warn
. "$root/tests/lib/harness.sh"
t_pki
KEY=00112233445566778899aabbccddeeff
port=$(t_free_port)
T_EXTRA_DEVICES=$("$SIM" --server coaps://127.0.0.1:1 --count "$n" --ep-prefix load- --psk-key $KEY --print-devices)
T_EXTRA_CONFIG="plans_file = $root/examples/plans.json
dtls.handshake_rate = 0
bootstrap.max_per_device = 0"
t_config "$port"
t_start_daemon "$T_WORK/bsd.conf"
pid=$T_DAEMON_PID
echo "== PSK, $n devices, 200 in flight, pct 112"
"$SIM" --server "coaps://127.0.0.1:$port" --count "$n" --concurrency 200 --ep-prefix load- --psk-key $KEY \
    --pct 112 --timeout 120 -q --server-pid "$pid" || true
m=$((n / 10))
echo "== X.509 (P-256, ECDHE-ECDSA-AES128-CCM8), $m sessions one at a time"
"$SIM" --server "coaps://127.0.0.1:$port" --count "$m" --concurrency 1 --no-ep --cert "$T_PKI/dev-x509.crt" \
    --key "$T_PKI/dev-x509.key" --ca "$T_PKI/ca.crt" --pct 112 --timeout 120 -q --server-pid "$pid" || true
echo "== daemon RSS after: $(awk '/^VmRSS/ {print $2}' /proc/$pid/status) kB"
t_stop_daemon
