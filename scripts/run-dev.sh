#!/bin/sh
# `make run`: a development daemon in the foreground, its devices and
# policies in PostgreSQL.
#
# Generates the development PKI into .run/pki and a keyring for secrets at
# rest into .run/secret.keys (once), starts the private PostgreSQL cluster
# in .run/pg unless BSD_DB_URL names a server, applies the migrations,
# loads the demo devices (examples/devices.csv, plus demo-rpk bound to the
# generated raw key) and the example policies (examples/policies/factory.yaml
# and minimal.yaml, est.yaml) when they are not there yet, generates a
# development EST CA into .run/est-ca (once; scripts/dev-ca.sh), then execs the daemon with
# examples/bsd.conf, switched to the database by environment overrides.
# Ctrl-C stops the daemon; the cluster keeps running
# (scripts/pg-cluster.sh stop .run/pg).
set -eu
build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
run="$root/.run"
bsctl="$build/tools/bsctl"
mkdir -p "$run"
sh tests/pki/gen.sh "$run/pki" >/dev/null
if [ ! -s "$run/secret.keys" ]; then
    (umask 077 && echo "1 $(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')" >"$run/secret.keys")
fi
if [ -z "${BSD_DB_URL:-}" ]; then
    scripts/pg-cluster.sh start "$run/pg" >/dev/null
    BSD_DB_URL=$(scripts/pg-cluster.sh url "$run/pg")
    echo "run: private PostgreSQL cluster in .run/pg (stop it with: scripts/pg-cluster.sh stop .run/pg)"
else
    echo "run: PostgreSQL at BSD_DB_URL"
fi
export BSD_DB_URL BSD_SECRET_KEY_FILE="$run/secret.keys"
"$bsctl" migrate
# Demo devices and policies, the first time only (a re-run keeps your changes).
if ! "$bsctl" device show urn:imei:350000000000001 >/dev/null 2>&1; then
    "$bsctl" device import examples/devices.csv
    "$bsctl" device add demo-rpk rpk --spki-file "$run/pki/rpk-dev.pub.pem" --label line=lab
fi
for p in factory-line-a:factory minimal:minimal est-trackers:est; do
    if ! "$bsctl" policy show "${p%%:*}" >/dev/null 2>&1; then
        "$bsctl" policy apply "examples/policies/${p#*:}.yaml"
    fi
done
# examples/bsd.conf is the file-based example; these switch it to the database.
export BSD_DEVICES_FILE="" BSD_PLANS_FILE="" BSD_SECRET_KEYS_FILE="$run/secret.keys" BSD_RECORDS_SPOOL="$run/spool"
export BSD_DTLS_CERT_FILE="$run/pki/server.crt"
export BSD_DTLS_KEY_FILE="$run/pki/server.key"
export BSD_DTLS_CA_FILE="$run/pki/ca.crt"
# The EST CA behind Security Mode 4 (docs/EST.md): a development CA, made once.
sh scripts/dev-ca.sh "$run/est-ca" >/dev/null
export BSD_EST_CA_CERT="$run/est-ca/est-ca.pem" BSD_EST_CA_KEY="$run/est-ca/est-ca.key"
# The admin API on loopback, plain HTTP (docs/API.md).
export BSD_API_HTTP_LISTEN="127.0.0.1:8080"
cat <<EOF
run: bsd on 127.0.0.1:5684 (DTLS) and 127.0.0.1:5683 (plain CoAP); Ctrl-C stops it
run: in another shell, first:
       export BSD_DB_URL='$BSD_DB_URL' BSD_SECRET_KEY_FILE='$run/secret.keys'
     then bootstrap a demo device with the simulated client:
       $build/tools/bsd-sim --server coaps://127.0.0.1:5684 --ep urn:imei:350000000000001 \\
           --psk-identity urn:imei:350000000000001 --psk-key 6c696e652d612d64656d6f2d6b657931 --dump -
     and see its session: psql "\$BSD_DB_URL" -c 'select endpoint, outcome, started_at from sessions'
     or through the admin API on http://127.0.0.1:8080 with a token:
       T=\$($build/tools/bsctl token create --name me --role viewer)
       curl -s -H "Authorization: Bearer \$T" 'http://127.0.0.1:8080/api/v1/sessions?limit=5'
EOF
exec "$build/bsd/bsd" -c "$root/examples/bsd.conf"
