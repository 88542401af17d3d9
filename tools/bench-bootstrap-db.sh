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
# With MODE "unboot" the run is made once, API idle, and every device must
# lose an account first (docs/UNBOOTSTRAP.md): each simulated client starts
# with LwM2M Servers 101 and 102 and an Access Control instance for /3303/0
# owned by 102 and shared with 101; the policy is minimal.yaml (server 101)
# made exclusive, so each session also reads /2, rewrites that instance with
# owner 101 and deletes 102's Server and Security instances before its
# writes.
# A benchmark, never a test.
#
# Usage: tools/bench-bootstrap-db.sh [BUILD_DIR] [N] [MODE]   (defaults: build 20000 api)
# One daemon worker, log level warn, examples/policies/minimal.yaml (one
# generated-PSK account per device), SenML CBOR, 200 sessions in flight.
set -eu
build=${1:-build}
n=${2:-20000}
mode=${3:-api}
case $mode in api | unboot) ;; *) echo "usage: $0 [BUILD_DIR] [N] [api|unboot]" >&2; exit 2 ;; esac
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
sim_extra=""
if [ "$mode" = unboot ]; then
    sed 's/^policy: minimal$/policy: minimal\nunbootstrap: exclusive/' "$root/examples/policies/minimal.yaml" \
        >"$T_WORK/minimal.yaml"
    grep -q '^unbootstrap: exclusive$' "$T_WORK/minimal.yaml"
    "$BSCTL" policy apply "$T_WORK/minimal.yaml" >/dev/null
    sim_extra="--preset-server 101 --preset-server 102 --preset-inst /3303/0 --preset-acl 1:3303/0:101=RW,102=RWD:102"
else
    "$BSCTL" policy apply "$root/examples/policies/minimal.yaml" >/dev/null
fi
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
        --psk-key-per-device --pct 112 --timeout 120 -q --server-pid "$pid" $sim_extra || true
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
echo "== PSK, database mode, $n devices, 200 in flight, pct 112; API idle${sim_extra:+; each session removes server 102}"
run
if [ "$mode" = unboot ]; then
    echo "== sessions whose record shows 102 removed and /2/1 rewritten:" \
        "$(psql -X -At "$T_DB_URL" -c "SELECT count(*) FROM sessions WHERE record->'unboot'->'removed' = '[102]' AND record->'unboot'->'ops' ? 'write /2/1' AND (record->'unboot'->>'failed')::int = 0")"
    echo "== the newest record's unboot: $(psql -X -At "$T_DB_URL" -c "SELECT coalesce(record->'unboot'->>'ops', record::text) FROM sessions ORDER BY id DESC LIMIT 1")"
    t_stop_daemon
    exit 0
fi
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
