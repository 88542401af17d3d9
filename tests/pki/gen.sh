#!/bin/sh
# Test PKI for the DTLS (X.509 and RPK) integration and interop tests.
# Every key is ECDSA P-256, every signature ecdsa-with-SHA256. Nothing here is
# a secret: the keys are made fresh per OUTDIR and used on loopback only.
#
# Usage: tests/pki/gen.sh OUTDIR
# Idempotent: does nothing when OUTDIR/.done exists and names this file set
# (GEN_VERSION below; bump it when the set changes, and older OUTDIRs are
# regenerated). Delete OUTDIR to renew the keys.
#
# Files (deterministic names; *.key are PKCS#8 PEM, mode 0600):
#   ca.crt ca.key                 test CA (trusted by the daemon in the tests)
#   server.crt server.key         CN=localhost, SAN DNS:localhost, IP:127.0.0.1,
#                                 IP:::1, EKU serverAuth, signed by ca
#   server.pub.pem server.spki.der server.spki.hex server.ec.pem
#                                 the server key as an RFC 7250 raw public key
#   dev-x509.crt/.key             client, CN=dev-x509, valid
#   dev-x509-2.crt/.key           client, CN=dev-x509-2, valid
#   dev-x509-expired.crt/.key     client, CN=dev-x509-expired,
#                                 valid 2020-01-01 .. 2021-01-01 only
#   dev-san-uri.crt/.key          client, CN=factory-line-7 (no device's CN),
#                                 SAN URI:urn:dev:ops:acme-meter-0001
#   dev-san-multi.crt/.key        client, CN=factory-line-7, SAN
#                                 DNS:meter-0002.devices.example and
#                                 email:meter-0002@devices.example
#   dev-pinned.crt/.key           client, CN=dev-pinned (register it by fingerprint)
#   dev-pinned-2.crt/.key         client, CN=dev-pinned too: same name, another
#                                 certificate
#   rogue-ca.crt rogue-ca.key     a second CA that nobody trusts
#   dev-x509-rogue.crt/.key       client, CN=dev-x509-rogue, signed by rogue-ca
#   rpk-dev.key rpk-dev.pub.pem rpk-dev.spki.der rpk-dev.spki.hex
#                                 a device raw public key (register it)
#   rpk-dev.ec.pem                the same private key as SEC1 "EC PRIVATE KEY":
#                                 libcoap's GnuTLS build (coap-client-gnutls -M)
#                                 rejects the PKCS#8 form
#   rpk-unknown.*                 the same set for a key registered nowhere
#   *.spki.hex                    lowercase hex of the DER SubjectPublicKeyInfo,
#                                 one line, no newline inside
#
# Validity is fixed, not relative to today: CAs 2020-01-01 .. 2045-01-01,
# valid leaves 2020-01-01 .. 2040-01-01, so that a leaf never outlives its CA
# and the expired certificate fails for its dates alone. Certificates are
# issued with `openssl ca`, the only openssl 3.0 command that takes explicit
# dates (`openssl x509 -not_before` arrived in 3.4).
set -eu

GEN_VERSION=3
[ $# -eq 1 ] || { echo "usage: $0 OUTDIR" >&2; exit 2; }
out=$1
done_current() { [ "$(cat "$out/.done" 2>/dev/null)" = "tests/pki/gen.sh v$GEN_VERSION" ]; }
done_current && exit 0
command -v openssl >/dev/null || { echo "gen.sh: openssl missing (scripts/install-deps.sh --test)" >&2; exit 1; }

mkdir -p "$out"
out=$(cd "$out" && pwd)
# Parallel test runs may share OUTDIR: one generates, the others wait.
exec 9>>"$out/.lock"
flock 9
done_current && exit 0

work=$(mktemp -d "$out/.gen.XXXXXX")
trap 'rm -rf "$work"' EXIT
umask 077
mkdir "$work/newcerts"

CA_START=20200101000000Z CA_END=20450101000000Z
LEAF_START=20200101000000Z LEAF_END=20400101000000Z
EXPIRED_START=20200101000000Z EXPIRED_END=20210101000000Z

cat >"$work/ca.cnf" <<EOF
[ ca ]
default_ca = test_ca

[ test_ca ]
database = $work/index.txt
new_certs_dir = $work/newcerts
# Required by the config parser even though -rand_serial never reads it.
serial = $work/serial
default_md = sha256
policy = policy_cn
unique_subject = no
copy_extensions = none
email_in_dn = no

[ policy_cn ]
organizationName = optional
commonName = supplied

[ ext_ca ]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash

[ ext_server ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1, IP:::1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid

[ ext_client ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid

[ ext_client_san_uri ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
subjectAltName = URI:urn:dev:ops:acme-meter-0001
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid

[ ext_client_san_multi ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
subjectAltName = DNS:meter-0002.devices.example, email:meter-0002@devices.example
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF

genkey() { # NAME
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
        -pkeyopt ec_param_enc:named_curve -out "$work/$1.key" 2>/dev/null
}

# issue NAME SUBJECT EXT ISSUER START END   (ISSUER "self" = self-signed)
issue() {
    : >"$work/index.txt"
    echo 01 >"$work/serial"
    openssl req -new -key "$work/$1.key" -subj "$2" -out "$work/$1.csr"
    if [ "$4" = self ]; then
        set -- "$1" "$2" "$3" "$5" "$6" -selfsign -keyfile "$work/$1.key"
    else
        set -- "$1" "$2" "$3" "$5" "$6" -cert "$work/$4.crt" -keyfile "$work/$4.key"
    fi
    name=$1 ext=$3 start=$4 end=$5
    shift 5
    openssl ca -batch -notext -config "$work/ca.cnf" -extensions "$ext" \
        -rand_serial -startdate "$start" -enddate "$end" \
        -in "$work/$name.csr" -out "$work/$name.crt" "$@" 2>"$work/ca.log" ||
        { cat "$work/ca.log" >&2; exit 1; }
    rm -f "$work/$name.csr" "$work/index.txt"*
}

# rpk NAME: public key PEM, DER SPKI and its hex next to NAME.key
rpk() {
    openssl pkey -in "$work/$1.key" -pubout -out "$work/$1.pub.pem"
    openssl pkey -in "$work/$1.key" -pubout -outform DER -out "$work/$1.spki.der"
    od -An -v -tx1 "$work/$1.spki.der" | tr -d ' \n' >"$work/$1.spki.hex"
}

genkey ca
issue ca "/O=lwm2m-bsd tests/CN=lwm2m-bsd test CA" ext_ca self "$CA_START" "$CA_END"
genkey rogue-ca
issue rogue-ca "/O=rogue/CN=rogue test CA" ext_ca self "$CA_START" "$CA_END"

genkey server
issue server "/CN=localhost" ext_server ca "$LEAF_START" "$LEAF_END"
rpk server

for ep in dev-x509 dev-x509-2; do
    genkey "$ep"
    issue "$ep" "/CN=$ep" ext_client ca "$LEAF_START" "$LEAF_END"
done
genkey dev-san-uri
issue dev-san-uri "/CN=factory-line-7" ext_client_san_uri ca "$LEAF_START" "$LEAF_END"
genkey dev-san-multi
issue dev-san-multi "/CN=factory-line-7" ext_client_san_multi ca "$LEAF_START" "$LEAF_END"
for c in dev-pinned dev-pinned-2; do
    genkey "$c"
    issue "$c" "/CN=dev-pinned" ext_client ca "$LEAF_START" "$LEAF_END"
done
genkey dev-x509-expired
issue dev-x509-expired "/CN=dev-x509-expired" ext_client ca "$EXPIRED_START" "$EXPIRED_END"
genkey dev-x509-rogue
issue dev-x509-rogue "/CN=dev-x509-rogue" ext_client rogue-ca "$LEAF_START" "$LEAF_END"

for k in rpk-dev rpk-unknown; do
    genkey "$k"
    rpk "$k"
done
for k in server rpk-dev rpk-unknown; do
    openssl ec -in "$work/$k.key" -out "$work/$k.ec.pem" 2>/dev/null
done

rm -rf "$work/ca.cnf" "$work/ca.log" "$work"/serial* "$work/newcerts"
chmod 0644 "$work"/*.crt "$work"/*.pub.pem "$work"/*.spki.der "$work"/*.spki.hex
chmod 0600 "$work"/*.key "$work"/*.ec.pem
mv "$work"/* "$out"/
echo "tests/pki/gen.sh v$GEN_VERSION" >"$out/.done"
chmod 0644 "$out/.done"
