#!/bin/bash
# Integration test for scripts/pg-cluster.sh: a private PostgreSQL 15 cluster
# in a temporary directory is started, used through its URL, restarted (data
# survives), and stopped. Needs postgresql-15 (scripts/install-deps.sh --test).
#
# Usage: tests/integration/test_pg_cluster.sh
# Output: one `ok`/`not ok` line per check, then `pg_cluster: N passed, M failed`.
# Exit status: 0 when every check passed.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
script=$repo/scripts/pg-cluster.sh
pgc() { bash "$script" "$@"; }
PSQL=/usr/lib/postgresql/15/bin/psql

passed=0 failed=0
ok() { passed=$((passed + 1)); echo "ok - $1"; }
fail() { failed=$((failed + 1)); echo "not ok - $1"; [ $# -lt 2 ] || printf '  %s\n' "$2"; }
check() { # check DESCRIPTION COMMAND... : pass when COMMAND exits 0
    local desc=$1 out
    shift
    if out=$("$@" 2>&1); then ok "$desc"; else fail "$desc" "$(printf '%s' "$out" | tail -n 5)"; fi
}

tmp=$(mktemp -d /tmp/bsd-pgtest.XXXXXX)
# mktemp's 0700 would keep the server's user out, and the cluster would go
# to the /var/tmp fallback (tested on its own below).
chmod 0755 "$tmp"
dir=$tmp/cluster
closed=$tmp/closed/cluster
cleanup() {
    local d
    for d in "$dir" "$closed"; do
        pgc stop "$d" >/dev/null 2>&1 || true
        # The fallback's real home is outside $tmp.
        [ -L "$d/data" ] && rm -rf "$(dirname "$(readlink -f "$d/data")")"
    done
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Unset whatever the caller's environment says about PostgreSQL so that only
# the URL printed by the script decides where psql connects.
unset PGHOST PGPORT PGUSER PGDATABASE PGSERVICE PGPASSWORD
export PSQLRC=/dev/null

sql() { "$PSQL" -X -v ON_ERROR_STOP=1 -tA "$url" -c "$1"; }

# 1. First start: initdb, start, create role and database `bsd`.
check "start initialises and starts a new cluster" pgc start "$dir"
if [ "$failed" -ne 0 ]; then
    # Nothing after this can mean anything.
    echo "pg_cluster: $passed passed, $failed failed"
    exit 1
fi

url=$(pgc url "$dir" 2>/dev/null || true)
if [[ "$url" =~ ^postgresql:///bsd\?host=/tmp/bsd-pg-[0-9a-f]+\&port=[0-9]+\&user=bsd$ ]]; then
    ok "url prints a libpq URL for database bsd, role bsd"
else
    fail "url prints a libpq URL for database bsd, role bsd" "got: $url"
fi
port=${url##*port=}
port=${port%%&*}
sockdir=${url#*host=}
sockdir=${sockdir%%&*}

check "status exits 0 while running" pgc status "$dir"
check "start again while running succeeds (idempotent)" pgc start "$dir"

who=$(sql "SELECT current_user || ' ' || current_database()" 2>&1)
[ "$who" = "bsd bsd" ] && ok "psql connects through the URL as bsd to bsd" ||
    fail "psql connects through the URL as bsd to bsd" "got: $who"

check "role bsd creates a table and inserts a row" \
    sql "CREATE TABLE pg_cluster_probe (id int PRIMARY KEY, note text);
         INSERT INTO pg_cluster_probe VALUES (1, 'survives restart')"

# Listening: the unix socket in the short socket dir and 127.0.0.1 only.
[ -S "$sockdir/.s.PGSQL.$port" ] && ok "unix socket is in $sockdir" ||
    fail "unix socket is in $sockdir"
if [ -n "$sockdir" ] && [ "${#sockdir}" -lt 80 ]; then ok "socket path is short (${#sockdir} bytes)"; else fail "socket path is short" "$sockdir"; fi
tcp=$("$PSQL" -X -tA "host=127.0.0.1 port=$port user=bsd dbname=bsd" -c "SELECT 'tcp'" 2>&1)
[ "$tcp" = tcp ] && ok "accepts TCP on 127.0.0.1:$port" || fail "accepts TCP on 127.0.0.1:$port" "$tcp"
listen=$(sed -n 6p "$dir/data/postmaster.pid" 2>/dev/null)
[ "$listen" = 127.0.0.1 ] && ok "listen_addresses is 127.0.0.1 only" ||
    fail "listen_addresses is 127.0.0.1 only" "postmaster.pid says: $listen"

# 2. Stop, then start again: the data must still be there.
pid=$(head -n1 "$dir/data/postmaster.pid" 2>/dev/null)
check "stop shuts the cluster down" pgc stop "$dir"
# A zombie counts as exited: reaping is up to whoever is PID 1.
alive() { [ -d "/proc/$1" ] && [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ]; }
if [ -n "$pid" ] && alive "$pid"; then
    fail "postmaster $pid has exited after stop"
else
    ok "postmaster has exited after stop"
fi
if pgc status "$dir" >/dev/null 2>&1; then fail "status exits non-zero when stopped"; else ok "status exits non-zero when stopped"; fi
check "stop when already stopped succeeds" pgc stop "$dir"

check "start after stop succeeds" pgc start "$dir"
url=$(pgc url "$dir" 2>/dev/null || true)
note=$(sql "SELECT note FROM pg_cluster_probe WHERE id = 1" 2>&1)
[ "$note" = "survives restart" ] && ok "data survives a restart" ||
    fail "data survives a restart" "got: $note"

n=$(pgc psql "$dir" -tAc "SELECT count(*) FROM pg_cluster_probe" 2>&1)
[ "$n" = 1 ] && ok "psql subcommand runs on the cluster" || fail "psql subcommand runs on the cluster" "got: $n"

# 3. PGPORT picks the port (no new initdb: same cluster, restarted).
check "stop before the PGPORT restart" pgc stop "$dir"
want=$((port + 7))
while [ -n "$(ss -Hltn "sport = :$want" 2>/dev/null)" ]; do want=$((want + 1)); done
check "start with PGPORT=$want" env PGPORT=$want bash "$script" start "$dir"
url=$(pgc url "$dir" 2>/dev/null || true)
case "$url" in *"&port=$want&"*) ok "url reports PGPORT $want" ;; *) fail "url reports PGPORT $want" "got: $url" ;; esac
note=$(sql "SELECT note FROM pg_cluster_probe WHERE id = 1" 2>&1)
[ "$note" = "survives restart" ] && ok "data is there on the PGPORT port" || fail "data is there on the PGPORT port" "got: $note"

check "final stop succeeds" pgc stop "$dir"
[ ! -e "$sockdir/.s.PGSQL.$want" ] && ok "socket removed after stop" || fail "socket removed after stop"

[ -d "$dir/data" ] && [ ! -L "$dir/data" ] && ok "the cluster lives in DIR/data" ||
    fail "the cluster lives in DIR/data"

# 4. stop acts only on its own postmaster: a postmaster.pid naming some
# other live process (a stale file whose pid was reused) is left alone.
sleep 30 &
decoy=$!
printf '%s\n%s\n' "$decoy" "$dir/data" >"$dir/data/postmaster.pid"
pgc stop "$dir" >/dev/null 2>&1
if kill -0 "$decoy" 2>/dev/null; then ok "stop leaves a foreign pid alone"; else fail "stop leaves a foreign pid alone"; fi
if pgc status "$dir" >/dev/null 2>&1; then fail "status ignores a foreign pid"; else ok "status ignores a foreign pid"; fi
kill "$decoy" 2>/dev/null
wait "$decoy" 2>/dev/null
rm -f "$dir/data/postmaster.pid"

# 5. A DIR whose parent the server's user cannot enter (as root only): the
# cluster goes to /var/tmp/bsd-pg-<hash> and DIR/data points there.
if [ "$(id -u)" -eq 0 ]; then
    mkdir -p "$closed"
    chmod 0700 "$tmp/closed"
    check "start in a DIR below a closed directory" pgc start "$closed"
    if [ -L "$closed/data" ] && [[ "$(readlink "$closed/data")" == /var/tmp/bsd-pg-*/data ]]; then
        ok "DIR/data links to the /var/tmp fallback"
    else
        fail "DIR/data links to the /var/tmp fallback" "$(ls -ld "$closed/data" 2>&1)"
    fi
    one=$(pgc psql "$closed" -tAc "SELECT 1" 2>&1)
    [ "$one" = 1 ] && ok "the fallback cluster answers" || fail "the fallback cluster answers" "$one"
    check "stop the fallback cluster" pgc stop "$closed"
fi

echo "pg_cluster: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
