# api.sh — helpers for the integration tests of the REST admin API (sourced
# after harness.sh, bash): a private PostgreSQL with the schema, tokens, a
# daemon with a plain-HTTP API listener on 127.0.0.1, and curl wrappers that
# keep the status, body and headers of the last request for checks.
#
# Needs from harness.sh: t_pg_start, t_secret_keys, t_db_conf, t_free_port,
# t_start_daemon, pass, fail, check. Uses $BSCTL.

sql() { psql -X -At "$T_DB_URL" -c "$1"; }
show() { sed 's/^/#   /' "$1" | head -n 30; }
# jtrue FILE EXPR [ARGS]: the JSON in FILE makes the Python expression over d true.
jtrue() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if eval(sys.argv[2]) else 1)' "$@" 2>/dev/null; }
# A TCP port on 127.0.0.1 that nothing listens on right now.
tcp_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# api_db_setup: the private cluster, the keyring, BSD_DB_URL and
# BSD_SECRET_KEY_FILE for bsctl, the schema. Returns non-zero when the
# cluster does not start.
api_db_setup() {
    command -v curl >/dev/null || { fail "curl is installed (scripts/install-deps.sh --test)"; return 1; }
    t_pg_start || { fail "private PostgreSQL cluster starts"; return 1; }
    t_secret_keys
    export BSD_DB_URL="$T_DB_URL" BSD_SECRET_KEY_FILE="$T_WORK/keys"
    check "bsctl migrate" sh -c '"$1" migrate >"$2/migrate.out" 2>&1' _ "$BSCTL" "$T_WORK"
}

# api_token NAME ROLE: creates a token with bsctl and prints it.
api_token() { "$BSCTL" token create --name "$1" --role "$2" 2>/dev/null; }

# api_start_daemon [CONFIG LINES...]: a daemon in database mode on a free UDP
# port ($port) with the API on http://127.0.0.1:$HP ($H); extra configuration
# lines are appended. Returns non-zero when it does not start.
api_start_daemon() {
    port=$(t_free_port)
    HP=$(tcp_port)
    H=http://127.0.0.1:$HP
    {
        t_db_conf "$port" 2 info
        echo "api.http_listen = 127.0.0.1:$HP"
        echo "api.threads = 2"
        for l in "$@"; do echo "$l"; done
    } >"$T_WORK/bsd.conf"
    t_start_daemon "$T_WORK/bsd.conf" || { fail "daemon starts with the API"; return 1; }
    pass "daemon starts with the API"
}

# api METHOD PATH TOKEN [curl args]: CODE = status, body in $B, headers in $T_WORK/hdr.
B=$T_WORK/body
api() {
    m=$1 p=$2 tok=$3
    shift 3
    [ -n "$tok" ] && set -- -H "Authorization: Bearer $tok" "$@"
    CODE=$(curl -s -o "$B" -D "$T_WORK/hdr" -w '%{http_code}' -X "$m" "$@" "$H$p")
}

# expect DESC STATUS METHOD PATH TOKEN [curl args]: the request is answered STATUS.
expect() {
    d=$1 want=$2
    shift 2
    api "$@"
    if [ "$CODE" = "$want" ]; then pass "$d: $want"; else fail "$d: want $want, got $CODE"; show "$B"; fi
}

# roles METHOD PATH "NONE METRICS VIEWER OPERATOR ADMIN" [curl args]: the
# statuses without a token and with $METR, $VIEW, $OPER and $ADMIN.
roles() {
    m=$1 p=$2
    read -r c_none c_met c_view c_op c_adm <<<"$3"
    shift 3
    expect "$m $p, no token" "$c_none" "$m" "$p" "" "$@"
    expect "$m $p, metrics" "$c_met" "$m" "$p" "$METR" "$@"
    expect "$m $p, viewer" "$c_view" "$m" "$p" "$VIEW" "$@"
    expect "$m $p, operator" "$c_op" "$m" "$p" "$OPER" "$@"
    expect "$m $p, admin" "$c_adm" "$m" "$p" "$ADMIN" "$@"
}
