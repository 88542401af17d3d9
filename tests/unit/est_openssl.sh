#!/bin/sh
# est_openssl.sh EST_TOOL SRCDIR — checks what the EST CA (bsd/est) encodes
# with an independent implementation, Debian's openssl: a certificate issued
# for a device key verifies against the CA and shows the profile's
# extensions; a CRL verifies and lists the revoked serials with reasons; a
# PKCS#7 certs-only body prints its certificates. The CA comes from
# scripts/dev-ca.sh.
set -eu

tool=$1
srcdir=$2
work=$(mktemp -d "${TMPDIR:-/tmp}/est-openssl.XXXXXX")
trap 'rm -rf "$work"' EXIT

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

"$srcdir/scripts/dev-ca.sh" "$work/ca" >/dev/null
ca=$work/ca/est-ca.pem
cakey=$work/ca/est-ca.key
openssl ecparam -name prime256v1 -genkey -noout -out "$work/dev.key"
openssl ec -in "$work/dev.key" -pubout -outform DER -out "$work/dev.spki" 2>/dev/null

# Issue and verify.
"$tool" issue "$ca" "$cakey" "$work/dev.spki" "CN=urn:dev:ep-1,O=lwm2m-bsd tests" 30 \
    dns:ep-1.example uri:urn:dev:ep-1 >"$work/cert.der"
openssl x509 -inform DER -in "$work/cert.der" -out "$work/cert.pem"
openssl verify -CAfile "$ca" -purpose sslclient "$work/cert.pem" | grep -q ": OK$" || fail "openssl verify"
text=$(openssl x509 -in "$work/cert.pem" -noout -text)
check() {
    printf '%s\n' "$text" | grep -A1 -F "$1" | grep -q -F "$2" || fail "certificate lacks '$1' '$2'"
}
check "Version:" "3 (0x2)"
check "Signature Algorithm" "ecdsa-with-SHA256"
check "X509v3 Basic Constraints: critical" "CA:FALSE"
check "X509v3 Key Usage: critical" "Digital Signature"
check "X509v3 Extended Key Usage" "TLS Web Client Authentication"
check "X509v3 Subject Alternative Name" "DNS:ep-1.example, URI:urn:dev:ep-1"
check "X509v3 Subject Key Identifier" ":"
check "Subject:" "CN = urn:dev:ep-1, O = lwm2m-bsd tests"
# The subject key identifier of the CA is the authority key identifier.
ca_ski=$(openssl x509 -in "$ca" -noout -ext subjectKeyIdentifier | tail -1 | tr -d ' ')
aki=$(printf '%s\n' "$text" | grep -A1 "Authority Key Identifier" | tail -1 | sed 's/keyid://' | tr -d ' ')
{ [ -n "$ca_ski" ] && [ "$aki" = "$ca_ski" ]; } || fail "AKI $aki is not the CA's SKI $ca_ski"
# The certificate carries the device's key.
openssl x509 -in "$work/cert.pem" -noout -pubkey | openssl pkey -pubin -outform DER -out "$work/cert.spki"
cmp -s "$work/cert.spki" "$work/dev.spki" || fail "issued key differs from the device key"

# CRLs: empty, and with three entries (one without a reason).
"$tool" crl "$ca" "$cakey" >"$work/crl0.der"
openssl crl -inform DER -in "$work/crl0.der" -CAfile "$ca" -noout 2>&1 | grep -q "verify OK" ||
    fail "empty CRL does not verify"
openssl crl -inform DER -in "$work/crl0.der" -noout -text | grep -q "No Revoked Certificates" ||
    fail "empty CRL lists entries"
serial=$(openssl x509 -in "$work/cert.pem" -noout -serial | cut -d= -f2)
"$tool" crl "$ca" "$cakey" "$serial:1" 7F0102:4 0A >"$work/crl3.der"
openssl crl -inform DER -in "$work/crl3.der" -CAfile "$ca" -noout 2>&1 | grep -q "verify OK" ||
    fail "CRL does not verify"
crl=$(openssl crl -inform DER -in "$work/crl3.der" -noout -text)
for s in "$serial" 7F0102 0A; do
    printf '%s\n' "$crl" | grep -q "Serial Number: $s\$" || fail "CRL lacks serial $s"
done
printf '%s\n' "$crl" | grep -A1 "CRL Reason Code" | grep -q "Key Compromise" || fail "reason keyCompromise"
printf '%s\n' "$crl" | grep -A1 "CRL Reason Code" | grep -q "Superseded" || fail "reason superseded"
[ "$(printf '%s\n' "$crl" | grep -c "CRL Reason Code")" = 2 ] || fail "expected two reason codes"
printf '%s\n' "$crl" | grep -A1 "X509v3 CRL Number" | grep -q "1" || fail "CRL number"
printf '%s\n' "$crl" | grep -q "Authority Key Identifier" || fail "CRL AKI"
# openssl refuses a client certificate listed in the CRL.
openssl crl -inform DER -in "$work/crl3.der" -out "$work/crl3.pem"
cat "$ca" "$work/crl3.pem" >"$work/ca-crl.pem"
if openssl verify -crl_check -CAfile "$work/ca-crl.pem" "$work/cert.pem" >/dev/null 2>&1; then
    fail "revoked certificate verifies with -crl_check"
fi

# PKCS#7 certs-only with the issued certificate and the CA.
openssl x509 -in "$ca" -outform DER -out "$work/ca.der"
"$tool" p7 "$work/cert.der" "$work/ca.der" >"$work/p7.der"
certs=$(openssl pkcs7 -inform DER -in "$work/p7.der" -print_certs)
[ "$(printf '%s\n' "$certs" | grep -c "BEGIN CERTIFICATE")" = 2 ] || fail "PKCS#7 does not hold two certificates"
printf '%s\n' "$certs" | grep -q "subject=CN = urn:dev:ep-1" || fail "PKCS#7 lacks the device certificate"
printf '%s\n' "$certs" | grep -q "subject=CN = lwm2m-bsd development EST CA" || fail "PKCS#7 lacks the CA"

# est-tool info agrees with openssl on the serial.
"$tool" info "$work/cert.der" | grep -qi "^serial=$serial\$" || fail "info serial"

echo "est_openssl: OK"
