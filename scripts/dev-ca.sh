#!/bin/sh
# dev-ca.sh DIR — a development CA for the EST server (bsd/est): a P-256 key
# (DIR/est-ca.key, mode 0600) and a self-signed CA certificate
# (DIR/est-ca.pem: basicConstraints critical CA:TRUE, keyUsage critical
# keyCertSign,cRLSign, subjectKeyIdentifier). Does nothing when both files
# exist already; refuses to pair a new certificate with a key it did not make.
# For development and tests only: a production CA key belongs elsewhere.
set -eu

if [ $# -ne 1 ]; then
    echo "usage: $0 DIR" >&2
    exit 2
fi
dir=$1
key=$dir/est-ca.key
cert=$dir/est-ca.pem

if [ -f "$key" ] && [ -f "$cert" ]; then
    exit 0
fi
if [ -e "$key" ] || [ -e "$cert" ]; then
    echo "$0: only one of $key and $cert exists; remove it or supply the other" >&2
    exit 1
fi
command -v openssl >/dev/null 2>&1 || { echo "$0: openssl not found" >&2; exit 1; }

mkdir -p "$dir"
tmp=$(mktemp -d "$dir/.dev-ca.XXXXXX")
trap 'rm -f "$tmp/key" "$tmp/cert" "$tmp/cnf"; rmdir "$tmp" 2>/dev/null || true' EXIT

cat >"$tmp/cnf" <<'CNF'
[req]
distinguished_name = dn
prompt = no
x509_extensions = v3_ca
[dn]
CN = lwm2m-bsd development EST CA
O = lwm2m-bsd
[v3_ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
CNF

(umask 077 && openssl ecparam -name prime256v1 -genkey -noout -out "$tmp/key")
chmod 600 "$tmp/key"
openssl req -new -x509 -config "$tmp/cnf" -key "$tmp/key" -sha256 -days 3650 -out "$tmp/cert"

# The key first: a certificate without its key is the state refused above.
mv "$tmp/key" "$key"
mv "$tmp/cert" "$cert"
echo "dev-ca: created $cert and $key"
