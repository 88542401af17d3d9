# harness.sh — shared by the integration and interop suites (sourced, POSIX sh).
#
# Gives each test script: a private work directory, the test PKI, free UDP
# ports on 127.0.0.1, a real daemon started from a generated configuration
# (stopped by its own PID on exit), and pass/fail bookkeeping that ends with
# a "NAME: N passed, N failed" line.
#
# Environment (set by meson): BSD_BIN, BSD_SRCDIR, BSD_BUILDDIR.

set -u
: "${BSD_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${BSD_BUILDDIR:=$BSD_SRCDIR/build}"
: "${BSD_BIN:=$BSD_BUILDDIR/bsd/bsd}"
T_NAME=${T_NAME:-$(basename "$0" .sh)}
T_PASS=0
T_FAIL=0
T_WORK=$(mktemp -d "${TMPDIR:-/tmp}/bsd-test.XXXXXX")
T_DAEMON_PID=""
export T_WORK

t_cleanup() {
    t_stop_daemon
    if [ "$T_FAIL" -eq 0 ] && [ -z "${T_KEEP:-}" ]; then rm -rf "$T_WORK"; else echo "# work dir kept: $T_WORK"; fi
}
trap t_cleanup EXIT
trap 'exit 130' INT TERM

pass() { T_PASS=$((T_PASS + 1)); echo "ok $((T_PASS + T_FAIL)) - $*"; }
fail() { T_FAIL=$((T_FAIL + 1)); echo "not ok $((T_PASS + T_FAIL)) - $*"; }
# check DESCRIPTION COMMAND...: passes when the command exits 0.
check() { d=$1; shift; if "$@"; then pass "$d"; else fail "$d"; fi; }
t_done() {
    echo "$T_NAME: $T_PASS passed, $T_FAIL failed"
    [ "$T_FAIL" -eq 0 ]
}

# The test PKI (CA, server, clients, raw keys), generated once per build dir.
t_pki() {
    T_PKI="$BSD_BUILDDIR/test-pki"
    sh "$BSD_SRCDIR/tests/pki/gen.sh" "$T_PKI" >/dev/null || { echo "pki generation failed" >&2; exit 1; }
    export T_PKI
}

# Prints a UDP port on 127.0.0.1 that nothing is bound to right now.
t_free_port() {
    python3 - <<'PY'
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
PY
}

# t_start_daemon CONFIG: starts the daemon in the background and waits until
# its DTLS listener answers the stateless health probe.
t_start_daemon() {
    conf=$1
    "$BSD_BIN" -c "$conf" >"$T_WORK/daemon.log" 2>&1 &
    T_DAEMON_PID=$!
    i=0
    while [ $i -lt 50 ]; do
        if ! kill -0 "$T_DAEMON_PID" 2>/dev/null; then
            echo "# daemon exited during start-up:" >&2
            cat "$T_WORK/daemon.log" >&2
            T_DAEMON_PID=""
            return 1
        fi
        if "$BSD_BIN" -c "$conf" --check >/dev/null 2>&1; then return 0; fi
        sleep 0.1
        i=$((i + 1))
    done
    echo "# daemon did not answer the health probe" >&2
    return 1
}

# t_stop_daemon: SIGTERM to our daemon (by PID), wait up to 5 s, then KILL.
t_stop_daemon() {
    [ -n "$T_DAEMON_PID" ] || return 0
    kill -TERM "$T_DAEMON_PID" 2>/dev/null
    i=0
    while kill -0 "$T_DAEMON_PID" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
    kill -KILL "$T_DAEMON_PID" 2>/dev/null
    wait "$T_DAEMON_PID" 2>/dev/null
    T_DAEMON_PID=""
}

# Writes the standard test devices file into $T_WORK/devices.conf. Needs t_pki.
# Demo keys: test only.
T_PSK_ID=dev-psk
T_PSK_KEY=000102030405060708090a0b0c0d0e0f
t_devices() {
    cat >"$T_WORK/devices.conf" <<EOD
# test devices (keys are test-only)
dev-psk      psk  identity=dev-psk key=$T_PSK_KEY
dev-psk-2    psk  identity="dev psk 2" key=101112131415161718191a1b1c1d1e1f
dev-rpk      rpk  spki_file=$T_PKI/rpk-dev.spki.der
dev-x509     x509 cn=dev-x509
dev-x509-2   x509 cn=dev-x509-2
dev-x509-expired x509 cn=dev-x509-expired
dev-x509-rogue   x509 cn=dev-x509-rogue
dev-nosec    nosec allow=127.0.0.1/32
${T_EXTRA_DEVICES:-}
EOD
    chmod 600 "$T_WORK/devices.conf" # it holds PSK keys (the daemon warns otherwise)
}

# t_config PORT [COAP_PORT]: writes $T_WORK/bsd.conf for a daemon on
# 127.0.0.1:PORT (and plain CoAP on COAP_PORT when given).
t_config() {
    port=$1
    coap=${2:-}
    t_devices
    {
        echo "listen = 127.0.0.1:$port"
        [ -n "$coap" ] && echo "listen_coap = 127.0.0.1:$coap"
        echo "workers = ${T_WORKERS:-2}"
        echo 'user = ""'
        echo "devices_file = $T_WORK/devices.conf"
        echo "dtls.cert_file = $T_PKI/server.crt"
        echo "dtls.key_file = $T_PKI/server.key"
        echo "dtls.ca_file = $T_PKI/ca.crt"
        echo "diag_resources = true"
        echo "log_level = ${T_LOG_LEVEL:-debug}"
        echo "pid_file = $T_WORK/bsd.pid"
        [ -n "${T_EXTRA_CONFIG:-}" ] && printf '%s\n' "$T_EXTRA_CONFIG"
    } >"$T_WORK/bsd.conf"
}

# The CoAP GET /diag/whoami request bytes (CON, MID 0x1234, no token).
t_whoami_req() { printf '\100\001\022\064\264diag\006whoami'; }

# log_has PATTERN: the daemon log contains the extended regex.
log_has() { grep -Eq "$1" "$T_WORK/daemon.log"; }

# ---- helpers for scripts that run a client, then inspect its output ($OUT)
# and the daemon log lines written since the run started ($T_MARK) --------

# t_mark: remember where the daemon log ends now.
t_mark() { T_MARK=$(wc -l <"$T_WORK/daemon.log"); }
out_has() { grep -aEq "$1" "$OUT"; }
out_lacks() { ! grep -aEq "$1" "$OUT"; }
# checkout DESC REGEX: the client output matches; shows it when it does not
# (each script defines show()).
checkout() {
    if out_has "$2"; then pass "$1"; else fail "$1"; show; fi
}
# newlog_has REGEX: a log line written since t_mark matches (waits up to 3 s:
# the daemon may log just after sending its alert).
newlog_has() {
    i=0
    while [ $i -lt 30 ]; do
        tail -n "+$((T_MARK + 1))" "$T_WORK/daemon.log" | grep -Eq "$1" && return 0
        sleep 0.1
        i=$((i + 1))
    done
    return 1
}
newlog_lacks() { ! tail -n "+$((T_MARK + 1))" "$T_WORK/daemon.log" | grep -Eq "$1"; }

# ---- a private PostgreSQL cluster (scripts/pg-cluster.sh) ------------------

# t_pg_start: starts a cluster in $T_WORK/pg, stopped again on exit (by the
# script's own stop command, which checks the postmaster's PID file). Sets
# T_DB_URL. Returns 1 when the cluster does not start.
t_pg_start() {
    chmod 0755 "$T_WORK" # the server's user must reach its data directory
    sh -c "bash '$BSD_SRCDIR/scripts/pg-cluster.sh' start '$T_WORK/pg'" >"$T_WORK/pg-start.log" 2>&1 ||
        { cat "$T_WORK/pg-start.log" >&2; return 1; }
    T_DB_URL=$(bash "$BSD_SRCDIR/scripts/pg-cluster.sh" url "$T_WORK/pg") || return 1
    trap 't_pg_stop; t_cleanup' EXIT
    export T_DB_URL
}
t_pg_stop() { bash "$BSD_SRCDIR/scripts/pg-cluster.sh" stop "$T_WORK/pg" >/dev/null 2>&1 || true; }

# t_secret_keys: writes a fresh keyring (one key, id 1) to $T_WORK/keys (0600).
# t_sim_csv N PREFIX KEY [LABELS]: CSV rows (no header; columns endpoint,
# kind, psk_identity, psk_key[, labels]) for the N devices that
# `bsd-sim --count N --ep-prefix PREFIX --psk-key KEY --psk-key-per-device`
# plays, for `bsctl device import` or the API. Needs $SIM.
t_sim_csv() {
    "$SIM" --server coaps://127.0.0.1:1 --count "$1" --ep-prefix "$2" --psk-key "$3" --psk-key-per-device \
        --print-devices | awk -v l="${4:-}" '{ gsub(/"/, ""); sub(/key=/, "", $4); print $1 ",psk,," $4 (l == "" ? "" : "," l) }'
}

# t_db_conf PORT WORKERS LOG_LEVEL: prints a PSK-only daemon configuration
# in database mode (the private cluster, $T_WORK/keys, records spooled in
# $T_WORK/spool); callers append their own lines.
t_db_conf() {
    cat <<EOF
listen = 127.0.0.1:$1
workers = $2
user = ""
log_level = $3
db_url = "$T_DB_URL"
secret_keys_file = $T_WORK/keys
records_spool = $T_WORK/spool
dtls.psk = true
dtls.rpk = false
dtls.x509 = false
dtls.handshake_rate = 0
EOF
}
t_secret_keys() {
    (umask 077 && echo "1 $(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')" >"$T_WORK/keys")
}
