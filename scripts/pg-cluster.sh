#!/bin/bash
# A private PostgreSQL 15 cluster for `make run` and the tests, used when no
# database URL is configured. Not for production: local connections are
# trusted (any local user can connect as any role).
#
# Usage: scripts/pg-cluster.sh start|stop|status|url DIR
#        scripts/pg-cluster.sh psql DIR [psql arguments...]
#   start   initdb on first use, then start (already running: success)
#   stop    fast shutdown of the postmaster named in DIR's postmaster.pid
#   status  exit 0 and print the URL when running, exit 3 when not
#   url     print the libpq URL of database `bsd` (role `bsd`); needs a
#           running cluster
#   psql    run psql on that URL with the remaining arguments
#
# Layout: DIR/data (the cluster), DIR/postgres.log, DIR/port (last port).
# Sockets go to /tmp/bsd-pg-<hash of DIR>: unix socket paths are limited to
# 107 bytes, and DIR may be deep. The server listens on that socket and on
# 127.0.0.1 only, on PGPORT when set, else on the port it used last time
# if still free, else on a free port found from 22432 + (hash mod 10000).
#
# initdb and postgres refuse to run as root. As root, they run as the
# `postgres` system user (postgresql-common creates it) or, when that is
# absent, as a `bsd-pg` system user created here. That user must be able to
# reach DIR: DIR itself gets o+x when needed; if an ancestor is closed
# (e.g. DIR under /root), the cluster lives in /var/tmp/bsd-pg-<hash> and
# DIR/data is a symlink to it.
#
# Env: PGPORT        port to listen on
#      PG_BINDIR     PostgreSQL binaries (default /usr/lib/postgresql/15/bin)
#      PG_RUN_USER   user to run the server as when root (default as above)
set -euo pipefail

PG_BINDIR=${PG_BINDIR:-/usr/lib/postgresql/15/bin}
DB_NAME=bsd
DB_ROLE=bsd

die() { echo "pg-cluster: $*" >&2; exit 1; }
say() { echo "pg-cluster: $*" >&2; }

usage() {
    sed -n 's/^# \{0,1\}//; /^Usage:/,/^$/p' "$0" | sed '/^$/d' >&2
    exit "${1:-2}"
}

[ $# -ge 1 ] || usage
cmd=$1
case "$cmd" in -h | --help) usage 0 ;; esac
[ $# -ge 2 ] || usage
shift
dir_arg=$1
shift
case "$cmd" in
start | stop | status | url) [ $# -eq 0 ] || usage ;;
psql) ;;
*) usage ;;
esac

for b in initdb pg_ctl postgres psql; do
    [ -x "$PG_BINDIR/$b" ] || die "$PG_BINDIR/$b not found (scripts/install-deps.sh --test installs postgresql-15)"
done

mkdir -p "$dir_arg"
DIR=$(cd "$dir_arg" && pwd -P)
hash=$(printf '%s' "$DIR" | sha256sum | cut -c1-12)
SOCKDIR=/tmp/bsd-pg-$hash
FALLBACK=/var/tmp/bsd-pg-$hash

# --- who runs the server -------------------------------------------------
if [ "$(id -u)" -eq 0 ]; then
    if [ -n "${PG_RUN_USER:-}" ]; then
        RUN_USER=$PG_RUN_USER
    elif id postgres >/dev/null 2>&1; then
        RUN_USER=postgres
    else
        RUN_USER=bsd-pg
    fi
    if ! id "$RUN_USER" >/dev/null 2>&1; then
        [ "$RUN_USER" = bsd-pg ] || die "user $RUN_USER does not exist"
        useradd --system --user-group --no-create-home --home-dir /nonexistent \
            --shell /usr/sbin/nologin bsd-pg
        say "created system user bsd-pg"
    fi
    as_pg() { runuser -u "$RUN_USER" -- "$@"; }
else
    RUN_USER=$(id -un)
    as_pg() { "$@"; }
fi

# Serialise concurrent invocations on the same DIR (parallel tests).
exec 9>>"$DIR/.pg-cluster.lock"
flock 9

# --- where the cluster lives ---------------------------------------------
# DATA is the resolved data directory; BASE holds it and the log.
resolve_data() {
    if [ -L "$DIR/data" ]; then
        DATA=$(readlink -f "$DIR/data")
        BASE=$(dirname "$DATA")
    else
        DATA=$DIR/data
        BASE=$DIR
    fi
}
resolve_data

pid_file() { echo "$DATA/postmaster.pid"; }

# Prints the postmaster pid when the cluster in DATA is running, and only
# when that pid is a postgres from PG_BINDIR whose working directory is DATA
# (postgres chdirs into its data directory): a stale file whose pid now
# belongs to another process is never acted on.
running_pid() {
    local pf pid exe cwd
    pf=$(pid_file)
    [ -r "$pf" ] || return 1
    pid=$(head -n1 "$pf" 2>/dev/null) || return 1
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    [ -d "/proc/$pid" ] || return 1
    exe=$(readlink "/proc/$pid/exe" 2>/dev/null) || return 1
    cwd=$(readlink "/proc/$pid/cwd" 2>/dev/null) || return 1
    # A package upgrade while the server runs replaces the binary.
    exe=${exe% (deleted)}
    [ "$exe" = "$(readlink -f "$PG_BINDIR/postgres")" ] || return 1
    [ "$cwd" = "$DATA" ] || return 1
    echo "$pid"
}

# Line 4 of postmaster.pid is the port, line 5 the socket directory.
pid_line() { sed -n "${1}p" "$(pid_file)"; }

url() {
    printf 'postgresql:///%s?host=%s&port=%s&user=%s\n' \
        "$DB_NAME" "$(pid_line 5)" "$(pid_line 4)" "$DB_ROLE"
}

port_in_use() {
    # Any TCP socket on that local port (listening, or a connection using
    # it: bind fails for both), or our own unix socket name.
    if command -v ss >/dev/null 2>&1; then
        [ -n "$(ss -Htan "sport = :$1" 2>/dev/null)" ] && return 0
    fi
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    return 1
}

choose_port() {
    if [ -n "${PGPORT:-}" ]; then
        [[ "$PGPORT" =~ ^[0-9]+$ ]] || die "PGPORT is not a number: $PGPORT"
        echo "$PGPORT"
        return
    fi
    local p last
    last=$(cat "$BASE/port" 2>/dev/null || true)
    if [[ "$last" =~ ^[0-9]+$ ]] && ! port_in_use "$last"; then
        echo "$last"
        return
    fi
    # 22432..32431: below Linux's ephemeral range (32768+), where outgoing
    # connections would take ports from under us.
    p=$((22432 + 16#${hash:0:4} % 10000))
    for _ in $(seq 1 200); do
        port_in_use "$p" || { echo "$p"; return; }
        p=$((p + 1))
        [ "$p" -lt 32768 ] || p=22432
    done
    die "no free port found near $p"
}

# Makes DIR reachable by RUN_USER, or moves the cluster to FALLBACK.
place_cluster() {
    [ "$(id -u)" -eq 0 ] || return 0
    [ -e "$DIR/data" ] && return 0
    if ! as_pg test -x "$DIR"; then
        chmod o+x "$DIR" 2>/dev/null || true
    fi
    if as_pg test -x "$DIR"; then
        return 0
    fi
    say "$DIR is not reachable by $RUN_USER; keeping the cluster in $FALLBACK"
    mkdir -p "$FALLBACK"
    chmod 0755 "$FALLBACK"
    ln -s "$FALLBACK/data" "$DIR/data"
    resolve_data
}

psql_admin() {
    PSQLRC=/dev/null "$PG_BINDIR/psql" -X -q -v ON_ERROR_STOP=1 \
        -h "$(pid_line 5)" -p "$(pid_line 4)" -U postgres "$@"
}

ensure_db() {
    if [ "$(psql_admin -d postgres -tAc "SELECT 1 FROM pg_roles WHERE rolname = '$DB_ROLE'")" != 1 ]; then
        psql_admin -d postgres -c "CREATE ROLE $DB_ROLE LOGIN CREATEDB"
    fi
    if [ "$(psql_admin -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB_NAME'")" != 1 ]; then
        psql_admin -d postgres -c "CREATE DATABASE $DB_NAME OWNER $DB_ROLE"
    fi
}

do_start() {
    if running_pid >/dev/null; then
        ensure_db
        say "already running (pid $(running_pid)) $(url)"
        return 0
    fi
    place_cluster
    if [ ! -f "$DATA/PG_VERSION" ]; then
        [ ! -e "$DATA" ] || [ -z "$(ls -A "$DATA" 2>/dev/null)" ] ||
            die "$DATA exists, is not empty and holds no cluster"
        mkdir -p "$DATA"
        chmod 0700 "$DATA"
        [ "$(id -u)" -ne 0 ] || chown "$RUN_USER:" "$DATA"
        say "initdb $DATA (as $RUN_USER)"
        as_pg "$PG_BINDIR/initdb" -D "$DATA" -U postgres --auth=trust \
            --encoding=UTF8 --locale=C >"$BASE/initdb.log" 2>&1 ||
            { cat "$BASE/initdb.log" >&2; die "initdb failed"; }
        # Listening addresses, socket and port come from the command line
        # at each start; these keep the server small and quiet.
        cat >>"$DATA/postgresql.conf" <<'EOF'

# lwm2m-bsd private cluster (scripts/pg-cluster.sh)
max_connections = 100
shared_buffers = 64MB
log_line_prefix = '%m [%p] %q%u@%d '
log_min_duration_statement = -1
EOF
    fi
    mkdir -p "$SOCKDIR"
    chmod 0755 "$SOCKDIR"
    touch "$BASE/postgres.log"
    if [ "$(id -u)" -eq 0 ]; then
        chown "$RUN_USER:" "$SOCKDIR" "$BASE/postgres.log"
    fi
    local port tries=0
    while :; do
        port=$(choose_port)
        # 9>&-: the postmaster must not inherit (and hold) our lock.
        if as_pg "$PG_BINDIR/pg_ctl" start -D "$DATA" -l "$BASE/postgres.log" -w -t 60 -s \
            -o "-p $port -k $SOCKDIR -h 127.0.0.1" >/dev/null 9>&-; then
            break
        fi
        tries=$((tries + 1))
        # Another process may have taken the port between the check and
        # the bind; a chosen PGPORT is not second-guessed.
        if [ -n "${PGPORT:-}" ] || [ "$tries" -ge 3 ]; then
            tail -n 20 "$BASE/postgres.log" >&2
            die "postgres did not start (log: $BASE/postgres.log)"
        fi
        rm -f "$BASE/port"
    done
    echo "$port" >"$BASE/port"
    running_pid >/dev/null || die "postgres started but is not running (log: $BASE/postgres.log)"
    ensure_db
    say "running (pid $(running_pid)) $(url)"
}

do_stop() {
    local pid
    if ! pid=$(running_pid); then
        say "not running"
        return 0
    fi
    as_pg "$PG_BINDIR/pg_ctl" stop -D "$DATA" -m fast -w -t 60 -s ||
        die "pg_ctl stop failed for pid $pid"
    # pg_ctl returns once postmaster.pid is gone, a moment before the
    # process itself has exited; callers may rely on the port being free.
    for _ in $(seq 1 100); do
        [ -d "/proc/$pid" ] || break
        [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != Z ] || break
        sleep 0.05
    done
    # Only our own socket directory, and only when postgres left it empty.
    rmdir "$SOCKDIR" 2>/dev/null || true
    say "stopped (pid $pid)"
}

case "$cmd" in
start) do_start ;;
stop) do_stop ;;
status)
    if pid=$(running_pid); then
        echo "running pid=$pid $(url)"
    else
        echo "not running"
        exit 3
    fi
    ;;
url)
    running_pid >/dev/null || die "not running (scripts/pg-cluster.sh start $dir_arg)"
    url
    ;;
psql)
    running_pid >/dev/null || die "not running (scripts/pg-cluster.sh start $dir_arg)"
    u=$(url)
    exec 9>&-
    PSQLRC=/dev/null exec "$PG_BINDIR/psql" -X "$u" "$@"
    ;;
esac
