#!/bin/sh
# `make run`: a development daemon in the foreground with examples/bsd.conf.
#
# Generates the development PKI into .run/pki, writes .run/devices.conf (the
# demo devices of examples/devices.conf plus demo-rpk bound to the generated
# raw key), points the daemon at both through environment overrides, starts
# the private PostgreSQL cluster unless BSD_DATABASE_URL names a server, then
# execs the daemon (Ctrl-C stops it).
set -eu
build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
run="$root/.run"
mkdir -p "$run"
sh tests/pki/gen.sh "$run/pki" >/dev/null
umask 077
{
    cat examples/devices.conf
    echo
    echo "# added by scripts/run-dev.sh: the raw key generated in .run/pki"
    echo "demo-rpk     rpk    spki_file=pki/rpk-dev.pub.pem"
} >"$run/devices.conf"
if [ -z "${BSD_DATABASE_URL:-}" ]; then
    scripts/pg-cluster.sh start "$run/pg" >/dev/null
    echo "run: private PostgreSQL cluster: $(scripts/pg-cluster.sh url "$run/pg")"
    echo "run: (the device store moves there when the PostgreSQL store lands;"
    echo "run:  stop the cluster with: scripts/pg-cluster.sh stop .run/pg)"
else
    echo "run: PostgreSQL at BSD_DATABASE_URL"
fi
export BSD_DEVICES_FILE="$run/devices.conf"
export BSD_DTLS_CERT_FILE="$run/pki/server.crt"
export BSD_DTLS_KEY_FILE="$run/pki/server.key"
export BSD_DTLS_CA_FILE="$run/pki/ca.crt"
export BSD_RECORDS_FILE="$run/records.jsonl"
echo "run: bsd on 127.0.0.1:5684 (DTLS) and 127.0.0.1:5683 (plain CoAP); Ctrl-C stops it"
echo "run: bootstrap records: $run/records.jsonl"
exec "$build/bsd/bsd" -c "$root/examples/bsd.conf"
