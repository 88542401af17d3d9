#!/bin/sh
# test_cli.sh — the daemon's command line and configuration handling:
# -n check mode, error messages naming file:line:column, environment
# overrides, refusal to start on bad credentials, --version, --check.
T_NAME=cli
. "$BSD_SRCDIR/tests/lib/harness.sh"
t_pki
port=$(t_free_port)
t_config "$port"
conf="$T_WORK/bsd.conf"

out=$("$BSD_BIN" --version 2>&1)
check "--version names the daemon and wolfSSL" sh -c 'echo "$1" | grep -Eq "^bsd [0-9.]+ \(wolfSSL 5\.7\.2"' _ "$out"

out=$("$BSD_BIN" -n -c "$conf" 2>&1); rc=$?
check "-n accepts the test configuration" [ "$rc" -eq 0 ]
check "-n says configuration OK with the device count" sh -c 'echo "$1" | grep -q "configuration OK (8 devices)"' _ "$out"

out=$("$BSD_BIN" -n -v -c "$conf" 2>&1)
check "-n -v prints the effective configuration" sh -c 'echo "$1" | grep -q "max_datagram"' _ "$out"

# An unknown key: refused with exit 78 and file:line:column.
bad="$T_WORK/bad.conf"
cp "$conf" "$bad"
printf 'listen_typo = 1\n' >>"$bad"
line=$(wc -l <"$bad")
out=$("$BSD_BIN" -n -c "$bad" 2>&1); rc=$?
check "unknown key exits 78 (EX_CONFIG)" [ "$rc" -eq 78 ]
check "unknown key message names file:line:1" sh -c 'echo "$1" | grep -q "$2:$3:1:"' _ "$out" "$bad" "$line"

# A bad value in the environment override.
out=$(BSD_MAX_DATAGRAM=70000 "$BSD_BIN" -n -c "$conf" 2>&1); rc=$?
check "bad environment override exits 78" [ "$rc" -eq 78 ]
check "bad environment override names the variable" sh -c 'echo "$1" | grep -q "BSD_MAX_DATAGRAM"' _ "$out"
out=$(BSD_DIAG_RESOURCES=false "$BSD_BIN" -n -v -c "$conf" 2>&1)
check "environment overrides the file (diag_resources=false)" sh -c 'echo "$1" | grep -Eq "diag_resources *= *(false|off|no)"' _ "$out"

# A broken devices file: refused, with the devices file position.
cp "$T_WORK/devices.conf" "$T_WORK/devices.good"
printf 'dev-broken psk key=zz\n' >>"$T_WORK/devices.conf"
out=$("$BSD_BIN" -n -c "$conf" 2>&1); rc=$?
check "bad devices file exits 78" [ "$rc" -eq 78 ]
check "bad devices file message names devices.conf:line" sh -c 'echo "$1" | grep -q "devices.conf:[0-9]*:[0-9]*:"' _ "$out"
cp "$T_WORK/devices.good" "$T_WORK/devices.conf"

# Missing key file: refused, naming the file.
sed "s|^dtls.key_file = .*|dtls.key_file = $T_WORK/missing.key|" "$conf" >"$T_WORK/nokey.conf"
out=$("$BSD_BIN" -n -c "$T_WORK/nokey.conf" 2>&1); rc=$?
check "missing key file exits 78" [ "$rc" -eq 78 ]
check "missing key file is named" sh -c 'echo "$1" | grep -q "missing.key"' _ "$out"

# A key that is not P-256 is refused for the raw-public-key context.
openssl ecparam -name secp384r1 -genkey -noout -out "$T_WORK/p384.key" 2>/dev/null
sed "s|^dtls.key_file = .*|dtls.key_file = $T_WORK/p384.key|" "$conf" >"$T_WORK/p384.conf"
out=$("$BSD_BIN" -n -c "$T_WORK/p384.conf" 2>&1); rc=$?
check "non-P-256 server key exits 78" [ "$rc" -eq 78 ]

# Usage errors.
"$BSD_BIN" --no-such-option >/dev/null 2>&1; rc=$?
check "unknown option exits 2" [ "$rc" -eq 2 ]

# --check against a port with no daemon fails; against a live one succeeds.
"$BSD_BIN" --check "127.0.0.1:$(t_free_port)" >/dev/null 2>&1; rc=$?
check "--check fails when nothing answers" [ "$rc" -eq 1 ]
t_start_daemon "$conf"
"$BSD_BIN" --check "127.0.0.1:$port" >/dev/null 2>&1; rc=$?
check "--check ADDR succeeds against the running daemon" [ "$rc" -eq 0 ]
"$BSD_BIN" -c "$conf" --check >/dev/null 2>&1; rc=$?
check "--check with -c probes the configured listener" [ "$rc" -eq 0 ]
check "the probe left no session behind (no handshake logged)" sh -c '! grep -q "dtls.handshake" "$1"' _ "$T_WORK/daemon.log"
t_done
