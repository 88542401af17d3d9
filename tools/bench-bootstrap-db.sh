#!/bin/sh
# bench-bootstrap-db.sh — complete PSK bootstrap sessions against the daemon
# in database mode: devices and the policy in a private PostgreSQL cluster,
# every session record going through the spool and the record writer into
# the sessions table. Prints bsd-sim's summary (sessions/s, latency, daemon
# CPU per session from /proc) and how long the last record took to land.
# A benchmark, never a test.
#
# Usage: tools/bench-bootstrap-db.sh [BUILD_DIR] [N]      (defaults: build 20000)
# One daemon worker, log level warn, examples/policies/minimal.yaml (one
# generated-PSK account per device), SenML CBOR, 200 sessions in flight.
set -eu
build=${1:-build}
n=${2:-20000}
root=$(cd "$(dirname "$0")/.." && pwd)
export BSD_SRCDIR="$root" BSD_BUILDDIR="$root/$build" BSD_BIN="$root/$build/bsd/bsd"
SIM="$root/$build/tools/bsd-sim"
BSCTL="$root/$build/tools/bsctl"
T_NAME=bench-db
. "$root/tests/lib/harness.sh"
t_pg_start
t_secret_keys
export BSD_DB_URL="$T_DB_URL" BSD_SECRET_KEY_FILE="$T_WORK/keys"
KEY=00112233445566778899aabbccddeeff
"$BSCTL" migrate >/dev/null
{
    echo "endpoint,kind,psk_identity,psk_key"
    "$SIM" --server coaps://127.0.0.1:1 --count "$n" --ep-prefix bench- --psk-key $KEY --psk-key-per-device \
        --print-devices | awk '{ gsub(/"/, ""); sub(/key=/, "", $4); print $1 ",psk,," $4 }'
} >"$T_WORK/devices.csv"
"$BSCTL" device import "$T_WORK/devices.csv"
"$BSCTL" policy apply "$root/examples/policies/minimal.yaml" >/dev/null
port=$(t_free_port)
{
    t_db_conf "$port" 1 warn
    echo "bootstrap.max_per_device = 0"
} >"$T_WORK/bsd.conf"
t_start_daemon "$T_WORK/bsd.conf"
pid=$T_DAEMON_PID
echo "== PSK, database mode, $n devices, 200 in flight, pct 112"
start=$(date +%s.%N)
"$SIM" --server "coaps://127.0.0.1:$port" --count "$n" --concurrency 200 --ep-prefix bench- --psk-key $KEY \
    --psk-key-per-device --pct 112 --timeout 120 -q --server-pid "$pid" || true
done_sim=$(date +%s.%N)
i=0
while [ "$(psql -X -At "$T_DB_URL" -c 'SELECT count(*) FROM sessions')" -lt "$n" ] && [ $i -lt 600 ]; do
    sleep 0.1
    i=$((i + 1))
done
done_db=$(date +%s.%N)
stored=$(psql -X -At "$T_DB_URL" -c 'SELECT count(*) FROM sessions')
echo "== records stored: $stored of $n; the last one landed $(awk "BEGIN { printf \"%.2f\", $done_db - $done_sim }") s after the last session ended"
echo "== run took $(awk "BEGIN { printf \"%.2f\", $done_db - $start }") s in all; daemon RSS after: $(awk '/^VmRSS/ {print $2}' /proc/$pid/status) kB"
t_stop_daemon
