#!/bin/sh
# test_gnutls.sh — interop with GnuTLS's DTLS 1.2 client (gnutls-cli --udp).
#
# GnuTLS is the Debian peer that speaks RFC 7250 raw public keys, so this
# script carries the RPK cases: single-type and mixed certificate-type offers
# (the mixed offers need the wolfSSL fix the build carries), the server's raw
# key as the client sees it, and the rejection of an unregistered raw key
# (LwM2M Transport §5.2.9: bad_certificate). PSK and X.509 are checked too,
# as a second implementation next to OpenSSL.
#
# Needs: gnutls-cli (3.7), openssl (to derive expected keys), base64, sha256sum.
# shellcheck source=../lib/harness.sh
. "${BSD_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/harness.sh"

for tool in gnutls-cli openssl base64 sha256sum; do
    command -v "$tool" >/dev/null 2>&1 || { echo "# missing $tool"; fail "tool $tool installed"; t_done; exit; }
done

t_pki
PORT=$(t_free_port)
t_config "$PORT"
if t_start_daemon "$T_WORK/bsd.conf"; then pass "daemon starts"; else fail "daemon starts"; t_done; exit; fi

OUT="$T_WORK/out"
BASE='NORMAL:-VERS-ALL:+VERS-DTLS1.2'
ECDSA="-KX-ALL:+ECDHE-ECDSA"

# gtls HOST ARGS...: one gnutls-cli session; stdout+stderr to $OUT.
# gnutls-cli sends what it reads on stdin once the handshake is done and
# exits (with close_notify) at EOF; the pause leaves time for the answer.
gtls() {
    host=$1
    shift
    t_mark
    (sleep 0.3; t_whoami_req; sleep 1) |
        timeout 8 gnutls-cli --udp -p "$PORT" "$host" "$@" >"$OUT" 2>&1
    return 0
}
show() { sed 's/^/#   /' "$OUT" | cat -v | grep -av '^#   *$' | tail -n 8; }

# ---- PSK ----------------------------------------------------------------------
gtls 127.0.0.1 --pskusername "$T_PSK_ID" --pskkey "$T_PSK_KEY" --priority "$BASE:-KX-ALL:+PSK"
checkout "psk: whoami says cred=psk endpoint=dev-psk identity=dev-psk" \
    'cred=psk endpoint=dev-psk identity=dev-psk peer=127\.0\.0\.1:[0-9]+$'
checkout "psk: gnutls negotiated DTLS 1.2 with PSK key exchange" 'Description: \(DTLS1\.2-[^)]*\)-\(PSK\)'

gtls 127.0.0.1 --pskusername "dev psk 2" --pskkey 101112131415161718191a1b1c1d1e1f \
    --priority "$BASE:-KX-ALL:+PSK:-CIPHER-ALL:+AES-128-CCM-8"
checkout "psk identity with a space, AES-128-CCM-8: whoami says endpoint=dev-psk-2" \
    'cred=psk endpoint=dev-psk-2 identity=dev psk 2 peer='

gtls 127.0.0.1 --pskusername nobody --pskkey "$T_PSK_KEY" --priority "$BASE:-KX-ALL:+PSK"
checkout "unknown psk identity: client gets alert 115" 'Received alert \[115\]'
check "  ... no whoami answer" out_lacks 'cred='
check "  ... daemon logged reason=unknown_psk_identity" \
    newlog_has 'event=dtls\.handshake\.failed .*reason=unknown_psk_identity alert=unknown_psk_identity'

# ---- raw public keys (RFC 7250) -------------------------------------------
RPK_SHA=$(sha256sum <"$T_PKI/rpk-dev.spki.der" | cut -d' ' -f1)
RPK="--rawpkkeyfile=$T_PKI/rpk-dev.key --rawpkfile=$T_PKI/rpk-dev.pub.pem"
RPK_WANT="cred=rpk endpoint=dev-rpk spki_sha256=$RPK_SHA peer=127\\.0\\.0\\.1:[0-9]+\$"

# Only raw keys, both directions. --insecure: a raw server key has no chain
# to validate; it is compared with the server's key below instead.
# shellcheck disable=SC2086 # $RPK is two options
gtls 127.0.0.1 $RPK --insecure --save-cert="$T_WORK/server-rpk.pem" \
    --priority "$BASE:-CTYPE-ALL:+CTYPE-CLI-RAWPK:+CTYPE-SRV-RAWPK:$ECDSA"
checkout "rpk only: whoami says cred=rpk endpoint=dev-rpk spki_sha256=<sha256 of rpk-dev.spki.der>" "$RPK_WANT"
checkout "rpk only: gnutls negotiated raw public keys both ways" 'Description: \(DTLS1\.2-Raw Public Key\)-'
check "rpk only: daemon logged handshake.ok cred=rpk endpoint=\"dev-rpk\"" \
    newlog_has 'event=dtls\.handshake\.ok .*cred=rpk endpoint="dev-rpk"'
# The raw key the server presented is the SubjectPublicKeyInfo of server.key.
# (gnutls-cli saves it PEM-armoured under a CERTIFICATE label.)
# The expected SPKI is derived from server.key here rather than taken from
# gen.sh's server.spki.der, so that the check does not trust the generator.
server_rpk_matches() {
    sed -n '/-----BEGIN/,/-----END/p' "$T_WORK/server-rpk.pem" | grep -v -- '-----' | base64 -d >"$T_WORK/server-rpk.der" &&
        openssl pkey -in "$T_PKI/server.key" -pubout -outform DER >"$T_WORK/server-spki.der" 2>/dev/null &&
        [ -s "$T_WORK/server-rpk.der" ] && cmp -s "$T_WORK/server-rpk.der" "$T_WORK/server-spki.der"
}
check "rpk only: the server's raw key equals the SPKI of server.key" server_rpk_matches

# Client offers both certificate types for itself (RPK preferred), RPK server.
# shellcheck disable=SC2086
gtls 127.0.0.1 $RPK --insecure \
    --priority "$BASE:-CTYPE-ALL:+CTYPE-CLI-RAWPK:+CTYPE-CLI-X509:+CTYPE-SRV-RAWPK:$ECDSA"
checkout "rpk, client offers client types RPK+X.509: whoami says cred=rpk endpoint=dev-rpk" "$RPK_WANT"

# Both types on both sides, X.509 listed first.
# shellcheck disable=SC2086
gtls 127.0.0.1 $RPK --insecure \
    --priority "$BASE:-CTYPE-ALL:+CTYPE-CLI-X509:+CTYPE-CLI-RAWPK:+CTYPE-SRV-X509:+CTYPE-SRV-RAWPK:$ECDSA"
checkout "rpk, client offers X.509+RPK for both sides: whoami says cred=rpk endpoint=dev-rpk" "$RPK_WANT"

# Raw-key client, certificate server: the server chain is verified (no --insecure).
# shellcheck disable=SC2086
gtls localhost $RPK --x509cafile="$T_PKI/ca.crt" \
    --priority "$BASE:-CTYPE-ALL:+CTYPE-CLI-RAWPK:+CTYPE-SRV-X509:$ECDSA"
checkout "rpk client with X.509 server (verified against ca.crt): cred=rpk endpoint=dev-rpk" "$RPK_WANT"
checkout "  ... gnutls trusted the server certificate" 'The certificate is trusted'

# An unregistered raw key: bad_certificate (42), whichever types are offered.
for ctypes in '+CTYPE-CLI-RAWPK:+CTYPE-SRV-RAWPK' '+CTYPE-CLI-RAWPK:+CTYPE-CLI-X509:+CTYPE-SRV-RAWPK'; do
    gtls 127.0.0.1 --rawpkkeyfile="$T_PKI/rpk-unknown.key" --rawpkfile="$T_PKI/rpk-unknown.pub.pem" --insecure \
        --priority "$BASE:-CTYPE-ALL:$ctypes:$ECDSA"
    checkout "unknown raw key ($ctypes): client gets alert 42 (bad certificate)" 'Received alert \[42\]'
    check "  ... no whoami answer" out_lacks 'cred='
    check "  ... daemon logged reason=unknown_raw_public_key alert=bad_certificate" \
        newlog_has 'event=dtls\.handshake\.failed .*reason=unknown_raw_public_key alert=bad_certificate'
    check "  ... and no handshake.ok" newlog_lacks 'event=dtls\.handshake\.ok'
done

# ---- X.509 -------------------------------------------------------------------
X2="--x509certfile=$T_PKI/dev-x509-2.crt --x509keyfile=$T_PKI/dev-x509-2.key"
X2_SHA=$(openssl x509 -in "$T_PKI/dev-x509-2.crt" -outform DER | sha256sum | cut -d' ' -f1)
# shellcheck disable=SC2086
gtls localhost $X2 --x509cafile="$T_PKI/ca.crt" --priority "$BASE:$ECDSA"
checkout "x509 dev-x509-2 (server verified against ca.crt): whoami says cred=x509 endpoint=dev-x509-2" \
    "cred=x509 endpoint=dev-x509-2 cn=dev-x509-2 cert_sha256=$X2_SHA peer="

# Certificate client talking to the raw-key server context: the chain is
# still verified there, so a certificate from the rogue CA is refused.
# shellcheck disable=SC2086
gtls 127.0.0.1 $X2 --insecure --priority "$BASE:-CTYPE-ALL:+CTYPE-CLI-X509:+CTYPE-SRV-RAWPK:$ECDSA"
checkout "x509 client with raw-key server: whoami says cred=x509 endpoint=dev-x509-2" \
    "cred=x509 endpoint=dev-x509-2 cn=dev-x509-2 cert_sha256=$X2_SHA peer="
gtls 127.0.0.1 --x509certfile="$T_PKI/dev-x509-rogue.crt" --x509keyfile="$T_PKI/dev-x509-rogue.key" --insecure \
    --priority "$BASE:-CTYPE-ALL:+CTYPE-CLI-X509:+CTYPE-SRV-RAWPK:$ECDSA"
checkout "rogue-CA certificate with raw-key server: client gets alert 48 (unknown ca)" 'Received alert \[48\]'
check "  ... no whoami answer" out_lacks 'cred='

t_done
