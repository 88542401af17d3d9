#!/bin/sh
# bench-est.sh — EST enrollments against the daemon in database mode: N PSK
# devices, each one run of bsd-sim --est-only (a fresh DTLS-PSK session,
# crts, sen with a new P-256 key), one after the other. Prints the wall time
# per enrollment (as a client sees it, process start-up included), the
# daemon's CPU per enrollment from /proc (handshake + crts + CSR check and
# verification on the worker + signing and the insert on the EST thread),
# and the rows recorded. A benchmark, never a test.
#
# Usage: tools/bench-est.sh [BUILD_DIR] [N]      (defaults: build 300)
set -eu
build=${1:-build}
n=${2:-300}
root=$(cd "$(dirname "$0")/.." && pwd)
export BSD_SRCDIR="$root" BSD_BUILDDIR="$root/$build" BSD_BIN="$root/$build/bsd/bsd"
SIM="$root/$build/tools/bsd-sim"
BSCTL="$root/$build/tools/bsctl"
T_NAME=bench-est
. "$root/tests/lib/harness.sh"
t_pg_start
t_secret_keys
export BSD_DB_URL="$T_DB_URL" BSD_SECRET_KEY_FILE="$T_WORK/keys"
KEY=00112233445566778899aabbccddeeff
"$BSCTL" migrate >/dev/null
{
    echo "endpoint,kind,psk_identity,psk_key"
    t_sim_csv "$n" estb- $KEY
} >"$T_WORK/devices.csv"
"$BSCTL" device import "$T_WORK/devices.csv" >/dev/null
cat >"$T_WORK/est.yaml" <<'EOF'
policy: bench-est
match:
  endpoint: "estb-*"
servers:
  - ssid: 301
    uri: "coaps://127.0.0.1:45684"
    security:
      mode: psk
      psk_key: generate
est:
  enroll_with: [psk]
  max_enrollments_per_hour: 1000
EOF
"$BSCTL" policy apply "$T_WORK/est.yaml" >/dev/null
sh "$root/scripts/dev-ca.sh" "$T_WORK/ca" >/dev/null
port=$(t_free_port)
{
    t_db_conf "$port" 1 warn
    echo "est.ca_cert = $T_WORK/ca/est-ca.pem"
    echo "est.ca_key = $T_WORK/ca/est-ca.key"
} >"$T_WORK/bsd.conf"
t_start_daemon "$T_WORK/bsd.conf"
pid=$T_DAEMON_PID
"$SIM" --server coaps://127.0.0.1:1 --count "$n" --ep-prefix estb- --psk-key $KEY --psk-key-per-device --print-devices |
    awk '{ gsub(/"/, ""); sub(/key=/, "", $4); print $1, $4 }' >"$T_WORK/devs.txt"
cpu() { awk '{ print $14 + $15 }' "/proc/$pid/stat"; }
hz=$(getconf CLK_TCK)
c0=$(cpu)
t0=$(date +%s.%N)
fails=0
while read -r ep key; do
    "$SIM" --server "coaps://127.0.0.1:$port" --ep "$ep" --psk-identity "$ep" --psk-key "$key" --est-only \
        --timeout 10 >/dev/null 2>&1 || fails=$((fails + 1))
done <"$T_WORK/devs.txt"
t1=$(date +%s.%N)
c1=$(cpu)
rows=$(psql -X -At "$T_DB_URL" -c "SELECT count(*) FROM certificates")
awk -v n="$n" -v t0="$t0" -v t1="$t1" -v c0="$c0" -v c1="$c1" -v hz="$hz" -v rows="$rows" -v f="$fails" 'BEGIN {
    printf "enrollments: %d (failed %d), rows recorded: %d\n", n, f, rows
    printf "wall per enrollment (sequential, new process + DTLS-PSK handshake each): %.2f ms\n", (t1 - t0) * 1000 / n
    printf "daemon CPU per enrollment (handshake + crts + sen + record): %.0f us\n", (c1 - c0) / hz * 1e6 / n
}'
t_stop_daemon
