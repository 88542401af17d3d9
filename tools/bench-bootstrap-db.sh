#!/bin/sh
# bench-bootstrap-db.sh — complete PSK bootstrap sessions against the daemon
# in database mode: devices and the policy in a private PostgreSQL cluster,
# every session record going through the spool and the record writer into
# the sessions table. Prints bsd-sim's summary (sessions/s, latency, daemon
# CPU per session from /proc) and how long the last record took to land.
# The run is made twice: alone, then while the REST admin API (plain HTTP
# on loopback, 2 API threads) is kept busy by curl with 4 parallel
# keep-alive connections listing devices and sessions and reading
# /metrics — the API must never slow the DTLS workers down.
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
    t_sim_csv "$n" bench- $KEY
} >"$T_WORK/devices.csv"
"$BSCTL" device import "$T_WORK/devices.csv"
"$BSCTL" policy apply "$root/examples/policies/minimal.yaml" >/dev/null
port=$(t_free_port)
aport=$(t_free_port)
{
    t_db_conf "$port" 1 warn
    echo "bootstrap.max_per_device = 0"
    echo "api.http_listen = 127.0.0.1:$aport"
} >"$T_WORK/bsd.conf"
TOKEN=$("$BSCTL" token create --name bench --role viewer 2>/dev/null)
t_start_daemon "$T_WORK/bsd.conf"
pid=$T_DAEMON_PID
api="http://127.0.0.1:$aport"
# One curl process, 4 keep-alive connections, 300 requests per round.
i=0
while [ $i -lt 100 ]; do
    for u in "api/v1/devices?limit=100" "api/v1/sessions?limit=100" metrics; do
        printf 'url = "%s/%s"\noutput = "/dev/null"\n' "$api" "$u"
    done
    i=$((i + 1))
done >"$T_WORK/urls.cfg"
api_load() {
    while :; do
        curl -s --no-progress-meter --parallel --parallel-max 4 -H "Authorization: Bearer $TOKEN" -K "$T_WORK/urls.cfg" \
            -w '%{http_code}\n' >>"$T_WORK/api-codes.txt" || true
    done
}
run() {
    before=$(psql -X -At "$T_DB_URL" -c 'SELECT count(*) FROM sessions')
    start=$(date +%s.%N)
    "$SIM" --server "coaps://127.0.0.1:$port" --count "$n" --concurrency 200 --ep-prefix bench- --psk-key $KEY \
        --psk-key-per-device --pct 112 --timeout 120 -q --server-pid "$pid" || true
    done_sim=$(date +%s.%N)
    i=0
    while [ "$(psql -X -At "$T_DB_URL" -c 'SELECT count(*) FROM sessions')" -lt $((before + n)) ] && [ $i -lt 600 ]; do
        sleep 0.1
        i=$((i + 1))
    done
    done_db=$(date +%s.%N)
    stored=$(($(psql -X -At "$T_DB_URL" -c 'SELECT count(*) FROM sessions') - before))
    echo "== records stored: $stored of $n; the last one landed $(awk "BEGIN { printf \"%.2f\", $done_db - $done_sim }") s after the last session ended"
    echo "== run took $(awk "BEGIN { printf \"%.2f\", $done_db - $start }") s in all; daemon RSS after: $(awk '/^VmRSS/ {print $2}' /proc/$pid/status) kB"
}
echo "== PSK, database mode, $n devices, 200 in flight, pct 112; API idle"
run
echo "== the same again while the REST API is under load"
: >"$T_WORK/api-codes.txt"
api_load &
loader=$!
t0=$(date +%s.%N)
run
t1=$(date +%s.%N)
kill "$loader" 2>/dev/null || true
wait "$loader" 2>/dev/null || true
ok=$(grep -c '^200$' "$T_WORK/api-codes.txt" || true)
echo "== API during that run: $ok requests answered 200 ($(awk "BEGIN { printf \"%.0f\", $ok / ($t1 - $t0) }")/s); all answers by status:"
sort "$T_WORK/api-codes.txt" | uniq -c
t_stop_daemon
