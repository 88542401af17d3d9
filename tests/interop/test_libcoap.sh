#!/bin/sh
# test_libcoap.sh — interop with libcoap's coap-client (OpenSSL and GnuTLS
# builds): a full CoAP stack on the other side, so this is where block-wise
# transfers (RFC 7959 Block2), link-format discovery and NoSec plain CoAP
# are checked, next to PSK, X.509 and raw-key DTLS.
#
# coap-client exits 0 even when the handshake or the request fails, so every
# case is judged by what it printed and by the daemon log.
#
# libcoap 4.3.1 takes -k as raw bytes (no hex), so the PSK cases use the
# device "dev psk 2", whose key 0x10..0x1f has no NUL byte.
#
# Needs: coap-client-openssl, coap-client-gnutls (libcoap3-bin), openssl,
# sha256sum, awk, cmp.
# shellcheck source=../lib/harness.sh
. "${BSD_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/harness.sh"

for tool in coap-client-openssl coap-client-gnutls openssl sha256sum awk cmp; do
    command -v "$tool" >/dev/null 2>&1 || { echo "# missing $tool"; fail "tool $tool installed"; t_done; exit; }
done

t_pki
PORT=$(t_free_port)
CPORT=$(t_free_port)
# A short handshake deadline so that the wrong-key case (whose Finished the
# daemon cannot decrypt and drops silently) is logged within the test.
T_EXTRA_CONFIG='dtls.handshake_timeout = 2s'
t_config "$PORT" "$CPORT"
if t_start_daemon "$T_WORK/bsd.conf"; then pass "daemon starts (DTLS and plain CoAP listeners)"; else fail "daemon starts (DTLS and plain CoAP listeners)"; t_done; exit; fi

OUT="$T_WORK/out"
PSK2_ID="dev psk 2"
PSK2_KEY=$(printf '\020\021\022\023\024\025\026\027\030\031\032\033\034\035\036\037')
DTLS="coaps://127.0.0.1:$PORT"
PLAIN="coap://127.0.0.1:$CPORT"

# cc CLIENT ARGS...: one coap-client run (-B bounds its wait), stdout and
# stderr to $OUT.
cc() {
    client=$1
    shift
    t_mark
    timeout 20 "$client" -B 4 "$@" >"$OUT" 2>&1
    return 0
}
show() { sed 's/^/#   /' "$OUT" | cut -c1-200 | head -n 8; }
# expected_blob N: the /diag/blob body — 16-byte lines holding their own
# offset as 15 lowercase hex digits and '\n', the last line cut at N.
expected_blob() {
    awk -v n="$1" 'BEGIN {
        for (i = 0; i < n; i += 16) {
            s = sprintf("%015x\n", i)
            printf "%s", (n - i < 16 ? substr(s, 1, n - i) : s)
        }
    }'
}
# same_blob N FILE: FILE holds exactly the N-byte blob.
same_blob() {
    expected_blob "$1" >"$T_WORK/expect.$1" || return 1
    cmp -s "$T_WORK/expect.$1" "$2" && return 0
    cmp "$T_WORK/expect.$1" "$2" 2>&1 | sed 's/^/#   /'
    return 1
}
# hs_failed_not_ok: since the last run, a handshake failed and none succeeded.
hs_failed_not_ok() { newlog_has 'event=dtls\.handshake\.failed ' && newlog_lacks 'event=dtls\.handshake\.ok'; }
# count_in_out REGEX: lines of the last output matching.
count_in_out() { grep -aEc "$1" "$OUT"; }

# ---- PSK --------------------------------------------------------------------
cc coap-client-openssl -u "$PSK2_ID" -k "$PSK2_KEY" "$DTLS/diag/whoami"
checkout "openssl build, psk: whoami says cred=psk endpoint=dev-psk-2 identity=dev psk 2" \
    '^cred=psk endpoint=dev-psk-2 identity=dev psk 2 peer=127\.0\.0\.1:[0-9]+$'
cc coap-client-gnutls -u "$PSK2_ID" -k "$PSK2_KEY" "$DTLS/diag/whoami"
checkout "gnutls build, psk: whoami says cred=psk endpoint=dev-psk-2" \
    '^cred=psk endpoint=dev-psk-2 identity=dev psk 2 peer=127\.0\.0\.1:[0-9]+$'

cc coap-client-openssl -u nobody -k "$PSK2_KEY" "$DTLS/diag/whoami"
check "unknown psk identity: no whoami answer" out_lacks 'cred='
checkout "  ... client saw the unknown_psk_identity alert" 'unknown psk identity'
check "  ... daemon logged reason=unknown_psk_identity" \
    newlog_has 'event=dtls\.handshake\.failed .*reason=unknown_psk_identity alert=unknown_psk_identity'

cc coap-client-openssl -B 3 -u "$PSK2_ID" -k wrong-key-wrong-key "$DTLS/diag/whoami"
check "wrong psk key: no whoami answer" out_lacks 'cred='
check "  ... daemon logged dtls.handshake.failed, no handshake.ok" hs_failed_not_ok

# ---- X.509 ------------------------------------------------------------------
X2_SHA=$(openssl x509 -in "$T_PKI/dev-x509-2.crt" -outform DER | sha256sum | cut -d' ' -f1)
cc coap-client-openssl -c "$T_PKI/dev-x509-2.crt" -j "$T_PKI/dev-x509-2.key" -C "$T_PKI/ca.crt" "$DTLS/diag/whoami"
checkout "openssl build, x509 dev-x509-2 (server checked against ca.crt): cred=x509 endpoint=dev-x509-2" \
    "^cred=x509 endpoint=dev-x509-2 cn=dev-x509-2 cert_sha256=$X2_SHA peer=127\\.0\\.0\\.1:[0-9]+\$"
cc coap-client-gnutls -c "$T_PKI/dev-x509-2.crt" -j "$T_PKI/dev-x509-2.key" -C "$T_PKI/ca.crt" "$DTLS/diag/whoami"
checkout "gnutls build, x509 dev-x509-2: cred=x509 endpoint=dev-x509-2" \
    "^cred=x509 endpoint=dev-x509-2 cn=dev-x509-2 cert_sha256=$X2_SHA peer="
# The client really checks the server: trusting only the rogue CA fails.
cc coap-client-openssl -c "$T_PKI/dev-x509-2.crt" -j "$T_PKI/dev-x509-2.key" -C "$T_PKI/rogue-ca.crt" \
    "$DTLS/diag/whoami"
check "client trusting only rogue-ca gets no answer (server verification is active)" out_lacks 'cred='
checkout "  ... because the client failed to verify the server certificate" 'certificate verify failed'
cc coap-client-openssl -c "$T_PKI/dev-x509-rogue.crt" -j "$T_PKI/dev-x509-rogue.key" -C "$T_PKI/ca.crt" \
    "$DTLS/diag/whoami"
check "rogue-CA client certificate: no answer" out_lacks 'cred='
checkout "  ... client got the unknown_ca alert" 'alert read:fatal:unknown CA'
check "  ... daemon logged reason=unknown_ca" newlog_has 'event=dtls\.handshake\.failed .*reason=unknown_ca'

# ---- raw public keys (GnuTLS build only) ------------------------------------
RPK_SHA=$(sha256sum <"$T_PKI/rpk-dev.spki.der" | cut -d' ' -f1)
# -M wants one PEM holding the private and the public key.
cat "$T_PKI/rpk-dev.key" "$T_PKI/rpk-dev.pub.pem" >"$T_WORK/rpk-dev.both.pem"
cat "$T_PKI/rpk-unknown.key" "$T_PKI/rpk-unknown.pub.pem" >"$T_WORK/rpk-unknown.both.pem"
cc coap-client-gnutls -M "$T_WORK/rpk-dev.both.pem" "$DTLS/diag/whoami"
checkout "gnutls build, rpk (-M private+public PEM): cred=rpk endpoint=dev-rpk spki_sha256=<sha256 of rpk-dev.spki.der>" \
    "^cred=rpk endpoint=dev-rpk spki_sha256=$RPK_SHA peer=127\\.0\\.0\\.1:[0-9]+\$"
if [ -f "$T_PKI/rpk-dev.ec.pem" ]; then
    cc coap-client-gnutls -M "$T_PKI/rpk-dev.ec.pem" "$DTLS/diag/whoami"
    checkout "gnutls build, rpk (-M SEC1 EC PRIVATE KEY): cred=rpk endpoint=dev-rpk" \
        "^cred=rpk endpoint=dev-rpk spki_sha256=$RPK_SHA peer="
fi
cc coap-client-gnutls -M "$T_WORK/rpk-unknown.both.pem" "$DTLS/diag/whoami"
check "unknown raw key: no answer" out_lacks 'cred='
check "  ... daemon logged reason=unknown_raw_public_key alert=bad_certificate" \
    newlog_has 'event=dtls\.handshake\.failed .*reason=unknown_raw_public_key alert=bad_certificate'

# ---- block-wise transfer (RFC 7959 Block2) over DTLS -------------------------
cc coap-client-openssl -v 6 -u "$PSK2_ID" -k "$PSK2_KEY" -o "$T_WORK/blob5000" "$DTLS/diag/blob?size=5000"
check "blob size=5000 over DTLS: reassembled body is exactly the expected pattern" \
    same_blob 5000 "$T_WORK/blob5000"
checkout "  ... first block carries Block2 0/M/1024 and Size2:5000 (max_datagram 1152)" \
    'c:2\.05 .*Block2:0/M/1024, Size2:5000'
checkout "  ... last block is 4 without More" 'c:2\.05 .*Block2:4/_/1024'

cc coap-client-openssl -v 6 -u "$PSK2_ID" -k "$PSK2_KEY" -o "$T_WORK/blob65536" "$DTLS/diag/blob?size=65536"
check "blob size=65536 over DTLS: reassembled body is exactly the expected pattern" \
    same_blob 65536 "$T_WORK/blob65536"
checkout "  ... in 64 blocks of 1024 (last: 63 without More)" 'c:2\.05 .*Block2:63/_/1024'

cc coap-client-openssl -v 6 -b 64 -u "$PSK2_ID" -k "$PSK2_KEY" -o "$T_WORK/blob5000s" "$DTLS/diag/blob?size=5000"
check "blob size=5000 with -b 64: reassembled body is exactly the expected pattern" \
    same_blob 5000 "$T_WORK/blob5000s"
check "  ... served in 79 blocks of 64 bytes (0..78)" \
    [ "$(count_in_out 'c:2\.05 .*Block2:[0-9]+/[M_]/64')" -eq 79 ]
checkout "  ... the last one is 78 without More" 'c:2\.05 .*Block2:78/_/64'

cc coap-client-openssl -u "$PSK2_ID" -k "$PSK2_KEY" -o "$T_WORK/blob-too-big" "$DTLS/diag/blob?size=65537"
checkout "blob size=65537 (over the limit): 4.00 Bad Request" '4\.00'
check "  ... and no body" sh -c "[ ! -s '$T_WORK/blob-too-big' ]"

# ---- discovery ----------------------------------------------------------------
cc coap-client-openssl -v 6 -u "$PSK2_ID" -k "$PSK2_KEY" "$DTLS/.well-known/core"
checkout "/.well-known/core over DTLS lists </diag/whoami>" '</diag/whoami>'
checkout "  ... and </diag/blob>" '</diag/blob>'
checkout "  ... as application/link-format (ct 40)" 'c:2\.05 .*Content-Format:application/link-format'

# ---- NoSec plain CoAP -----------------------------------------------------------
cc coap-client-openssl "$PLAIN/diag/whoami"
checkout "plain coap:// from 127.0.0.1 (allowed): cred=nosec endpoint=dev-nosec" \
    '^cred=nosec endpoint=dev-nosec peer=127\.0\.0\.1:[0-9]+$'
cc coap-client-openssl -o "$T_WORK/blob-plain" "$PLAIN/diag/blob?size=3000"
check "plain coap:// block-wise blob size=3000: exactly the expected pattern" \
    same_blob 3000 "$T_WORK/blob-plain"
# Same daemon, a source address no nosec device allows (127.0.0.2 is loopback too).
cc coap-client-openssl -a 127.0.0.2 "$PLAIN/diag/whoami"
checkout "plain coap:// from 127.0.0.2 (not allowed): 4.01" '^4\.01'
check "  ... no whoami answer" out_lacks 'cred='
check "  ... daemon logged coap.nosec.refused peer=127.0.0.2" \
    newlog_has 'event=coap\.nosec\.refused peer=127\.0\.0\.2:'

# A devices file where dev-nosec is allowed from 127.0.0.2 only: now the
# client on 127.0.0.1 is the stranger.
t_stop_daemon
t_config "$PORT" "$CPORT"
sed 's|allow=127\.0\.0\.1/32|allow=127.0.0.2/32|' "$T_WORK/devices.conf" >"$T_WORK/devices.nosec2" &&
    mv "$T_WORK/devices.nosec2" "$T_WORK/devices.conf"
check "variant devices file: dev-nosec allows only 127.0.0.2/32" \
    grep -Eq '^dev-nosec +nosec +allow=127\.0\.0\.2/32$' "$T_WORK/devices.conf"
if t_start_daemon "$T_WORK/bsd.conf"; then pass "daemon restarts with the variant"; else fail "daemon restarts with the variant"; t_done; exit; fi
cc coap-client-openssl "$PLAIN/diag/whoami"
checkout "variant: plain coap:// from 127.0.0.1: 4.01" '^4\.01'
check "  ... no whoami answer" out_lacks 'cred='
cc coap-client-openssl "$PLAIN/.well-known/core"
checkout "variant: even /.well-known/core from 127.0.0.1: 4.01" '^4\.01'
cc coap-client-openssl -a 127.0.0.2 "$PLAIN/diag/whoami"
checkout "variant: plain coap:// from 127.0.0.2: cred=nosec endpoint=dev-nosec" \
    '^cred=nosec endpoint=dev-nosec peer=127\.0\.0\.2:[0-9]+$'
cc coap-client-openssl -u "$PSK2_ID" -k "$PSK2_KEY" "$DTLS/diag/whoami"
checkout "variant: DTLS from 127.0.0.1 is unaffected: cred=psk endpoint=dev-psk-2" '^cred=psk endpoint=dev-psk-2 '

t_done
