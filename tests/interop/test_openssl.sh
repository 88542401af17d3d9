#!/bin/sh
# test_openssl.sh — interop with OpenSSL's DTLS 1.2 client (openssl s_client).
#
# One daemon; every case is one s_client run that sends GET /diag/whoami and
# prints what comes back. Positive cases check the identity the daemon bound
# the session to; negative cases check the alert the client received (the
# "SSL alert number N" line OpenSSL prints) and the reason the daemon logged
# (LwM2M Transport §5.2.9 alert mapping).
#
# Needs: openssl (3.0), python3 (harness), sha256sum.
# shellcheck source=../lib/harness.sh
. "${BSD_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib/harness.sh"

for tool in openssl sha256sum; do
    command -v "$tool" >/dev/null 2>&1 || { echo "# missing $tool"; fail "tool $tool installed"; t_done; exit; }
done

t_pki
PORT=$(t_free_port)
# A short handshake deadline: a wrong PSK key makes the client's Finished
# undecryptable, which DTLS drops silently (RFC 6347 §4.1.2.7), so the daemon
# only gives up on that handshake when the deadline passes.
T_EXTRA_CONFIG='dtls.handshake_timeout = 2s'
cert_sha256() { openssl x509 -in "$1" -outform DER | sha256sum | cut -d' ' -f1; }
# Devices bound by a subjectAltName, and one pinned to a certificate.
T_EXTRA_DEVICES="dev-san-uri x509 san_uri=urn:dev:ops:acme-meter-0001
dev-san-dns x509 san_dns=meter-0002.devices.example
dev-san-mail x509 san_email=meter-0002@devices.example
dev-pinned x509 fingerprint=$(cert_sha256 "$T_PKI/dev-pinned.crt")"
t_config "$PORT"
if t_start_daemon "$T_WORK/bsd.conf"; then pass "daemon starts"; else fail "daemon starts"; t_done; exit; fi

OUT="$T_WORK/out"
t_whoami_req >"$T_WORK/req.bin"

# ossl ARGS...: one s_client session on our port; writes stdout+stderr to
# $OUT. s_client only reads stdin once the handshake is done, so the request
# goes out right after it; the pause before EOF (-no_ign_eof: EOF ends the
# client) leaves time for the answer. A failed handshake ends it at once.
ossl() {
    t_mark
    (cat "$T_WORK/req.bin"; sleep 1) |
        timeout "${OSSL_TIMEOUT:-8}" openssl s_client -dtls1_2 -connect "127.0.0.1:$PORT" -quiet -no_ign_eof "$@" >"$OUT" 2>&1
    return 0
}
# The CoAP answer is binary (header, token, options) followed by the text body
# on the same line, so body patterns are anchored with "cred=" and not "^".
# out_has REGEX: the last client output contains the extended regex.
# no_session: no whoami answer and no handshake.ok since the last ossl run.
no_session() { out_lacks 'cred=' && newlog_lacks 'event=dtls\.handshake\.ok'; }
# checkout DESC REGEX: passes when the client output matches; shows the output
# when it does not.
show() { sed 's/^/#   /' "$OUT" | cat -v | head -n 8; }

# ---- PSK, each accepted suite -------------------------------------------
for suite in PSK-AES128-CCM8 PSK-AES128-GCM-SHA256 PSK-AES128-CBC-SHA256; do
    ossl -psk_identity "$T_PSK_ID" -psk "$T_PSK_KEY" -cipher "$suite"
    checkout "psk $suite: whoami says cred=psk endpoint=dev-psk identity=dev-psk" \
         'cred=psk endpoint=dev-psk identity=dev-psk peer=127\.0\.0\.1:[0-9]+$'
done
# The suite the log names is the one we forced (last run: CBC-SHA256).
check "psk: daemon logged handshake.ok with TLS_PSK_WITH_AES_128_CBC_SHA256" \
    newlog_has 'event=dtls\.handshake\.ok .*cred=psk endpoint="dev-psk" suite=TLS_PSK_WITH_AES_128_CBC_SHA256'

# A PSK identity containing a space.
ossl -psk_identity "dev psk 2" -psk 101112131415161718191a1b1c1d1e1f -cipher PSK-AES128-CCM8
checkout "psk identity with a space (\"dev psk 2\"): whoami says endpoint=dev-psk-2 identity=dev psk 2" \
    'cred=psk endpoint=dev-psk-2 identity=dev psk 2 peer=127\.0\.0\.1:[0-9]+$'

# ---- X.509 client certificate, each ECDHE-ECDSA suite --------------------
# The client verifies the server chain against ca.crt and the name localhost
# (-verify makes a verification error fatal together with -verify_return_error).
X509_FP=$(cert_sha256 "$T_PKI/dev-x509.crt")
for suite in ECDHE-ECDSA-AES128-CCM8 ECDHE-ECDSA-AES128-GCM-SHA256 ECDHE-ECDSA-AES128-SHA256; do
    ossl -cert "$T_PKI/dev-x509.crt" -key "$T_PKI/dev-x509.key" -CAfile "$T_PKI/ca.crt" \
        -verify 4 -verify_return_error -verify_hostname localhost -cipher "$suite"
    checkout "x509 $suite: whoami says cred=x509 endpoint=dev-x509 cn=dev-x509 cert_sha256=<sha256 of dev-x509.crt DER>" \
         "cred=x509 endpoint=dev-x509 cn=dev-x509 cert_sha256=$X509_FP peer=127\\.0\\.0\\.1:[0-9]+\$"
done
check "x509: daemon logged handshake.ok with TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256" \
    newlog_has 'event=dtls\.handshake\.ok .*cred=x509 endpoint="dev-x509" suite=TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256'

# The client really verifies the server: trusting only the rogue CA fails.
ossl -cert "$T_PKI/dev-x509.crt" -key "$T_PKI/dev-x509.key" -CAfile "$T_PKI/rogue-ca.crt" \
    -verify 4 -verify_return_error -cipher ECDHE-ECDSA-AES128-CCM8
check "client trusting only rogue-ca rejects the server certificate (verification is active)" \
    out_has 'certificate verify failed|verify error'
check "  ... and gets no whoami answer" out_lacks 'cred='

# ---- negative cases ----------------------------------------------------------
ossl -psk_identity nobody -psk "$T_PSK_KEY" -cipher PSK-AES128-CCM8
checkout "unknown psk identity: client gets alert 115 (unknown_psk_identity)" 'SSL alert number 115'
check "  ... no whoami answer" out_lacks 'cred='
check "  ... daemon logged reason=unknown_psk_identity alert=unknown_psk_identity" \
    newlog_has 'event=dtls\.handshake\.failed .*reason=unknown_psk_identity alert=unknown_psk_identity'

# The client keeps retransmitting its last flight; 4 s is past the daemon's
# 2 s handshake deadline.
OSSL_TIMEOUT=4
ossl -psk_identity "$T_PSK_ID" -psk ffeeddccbbaa99887766554433221100 -cipher PSK-AES128-CCM8
OSSL_TIMEOUT=8
check "wrong psk key: no whoami answer" out_lacks 'cred='
check "  ... daemon logged dtls.handshake.failed for it" newlog_has 'event=dtls\.handshake\.failed '
check "  ... and no dtls.handshake.ok" no_session

# ---- certificate names: subjectAltName bindings and pinning --------------
# dev-san-uri.crt has CN=factory-line-7 (no device's) and the URI SAN that
# the device record names; the device is found by that SAN alone.
ossl -cert "$T_PKI/dev-san-uri.crt" -key "$T_PKI/dev-san-uri.key" -CAfile "$T_PKI/ca.crt" \
    -cipher ECDHE-ECDSA-AES128-CCM8
checkout "x509 bound by san_uri: whoami says endpoint=dev-san-uri san_uri=urn:dev:ops:acme-meter-0001" \
    "cred=x509 endpoint=dev-san-uri san_uri=urn:dev:ops:acme-meter-0001 cert_sha256=$(cert_sha256 "$T_PKI/dev-san-uri.crt") peer="
# dev-san-multi.crt names two devices (one by its dNSName, one by its
# rfc822Name): refused, the certificate must name exactly one device.
ossl -cert "$T_PKI/dev-san-multi.crt" -key "$T_PKI/dev-san-multi.key" -CAfile "$T_PKI/ca.crt" \
    -cipher ECDHE-ECDSA-AES128-CCM8
checkout "certificate whose SANs name two devices: client gets alert 42 (bad_certificate)" "SSL alert number 42"
check "  ... no whoami answer, no handshake.ok" no_session
check "  ... daemon logged reason=certificate_names_several_devices" \
    newlog_has 'event=dtls\.handshake\.failed .*reason=certificate_names_several_devices'
# A device pinned by fingerprint: its certificate is accepted ...
ossl -cert "$T_PKI/dev-pinned.crt" -key "$T_PKI/dev-pinned.key" -CAfile "$T_PKI/ca.crt" \
    -cipher ECDHE-ECDSA-AES128-CCM8
checkout "x509 pinned by fingerprint: whoami says endpoint=dev-pinned cn=dev-pinned" \
    "cred=x509 endpoint=dev-pinned cn=dev-pinned cert_sha256=$(cert_sha256 "$T_PKI/dev-pinned.crt") peer="
# ... and another valid certificate with the same CN is not.
ossl -cert "$T_PKI/dev-pinned-2.crt" -key "$T_PKI/dev-pinned-2.key" -CAfile "$T_PKI/ca.crt" \
    -cipher ECDHE-ECDSA-AES128-CCM8
checkout "same CN, other certificate than the pinned one: client gets alert 42 (bad_certificate)" "SSL alert number 42"
check "  ... no whoami answer, no handshake.ok" no_session
check "  ... daemon logged reason=certificate_fingerprint_mismatch" \
    newlog_has 'event=dtls\.handshake\.failed .*reason=certificate_fingerprint_mismatch'

ossl -cert "$T_PKI/dev-x509-expired.crt" -key "$T_PKI/dev-x509-expired.key" -CAfile "$T_PKI/ca.crt" \
    -cipher ECDHE-ECDSA-AES128-CCM8
checkout "expired client certificate: client gets alert 45 (certificate_expired)" 'SSL alert number 45'
check "  ... no whoami answer" out_lacks 'cred='
check "  ... daemon logged reason=certificate_expired" \
    newlog_has 'event=dtls\.handshake\.failed .*reason=certificate_expired alert=certificate_expired'

ossl -cert "$T_PKI/dev-x509-rogue.crt" -key "$T_PKI/dev-x509-rogue.key" -CAfile "$T_PKI/ca.crt" \
    -cipher ECDHE-ECDSA-AES128-CCM8
checkout "client certificate from an untrusted CA: client gets alert 48 (unknown_ca)" 'SSL alert number 48'
check "  ... no whoami answer" out_lacks 'cred='
check "  ... daemon logged reason=unknown_ca" \
    newlog_has 'event=dtls\.handshake\.failed .*reason=unknown_ca alert=unknown_ca'

# Suites outside the LwM2M profile: handshake_failure (40), nothing served.
for suite in AES256-SHA PSK-AES256-CBC-SHA384 'PSK-NULL-SHA256:@SECLEVEL=0' ECDHE-ECDSA-AES256-GCM-SHA384 \
    ECDHE-RSA-AES128-GCM-SHA256; do
    ossl -psk_identity "$T_PSK_ID" -psk "$T_PSK_KEY" -cert "$T_PKI/dev-x509.crt" -key "$T_PKI/dev-x509.key" \
        -cipher "$suite"
    checkout "unsupported suite $suite only: client gets alert 40 (handshake_failure)" 'SSL alert number 40'
    check "  ... no whoami answer, no handshake.ok" no_session
done

# DTLS 1.0 (with a suite it knows) is refused as well.
t_mark
(cat "$T_WORK/req.bin"; sleep 1) |
    timeout 8 openssl s_client -dtls1 -connect "127.0.0.1:$PORT" -quiet -no_ign_eof \
        -psk_identity "$T_PSK_ID" -psk "$T_PSK_KEY" -cipher 'PSK-AES128-CBC-SHA:@SECLEVEL=0' >"$OUT" 2>&1
checkout "DTLS 1.0 client: gets a fatal alert" 'SSL alert number [0-9]+'
check "  ... no whoami answer, no handshake.ok" no_session

ossl -CAfile "$T_PKI/ca.crt" -cipher ECDHE-ECDSA-AES128-CCM8
checkout "ECDHE-ECDSA without a client certificate: client reports a fatal alert" 'SSL alert number [0-9]+'
check "  ... no whoami answer" out_lacks 'cred='
check "  ... daemon logged dtls.handshake.failed" newlog_has 'event=dtls\.handshake\.failed'

# The daemon is still healthy after all the failures.
ossl -psk_identity "$T_PSK_ID" -psk "$T_PSK_KEY" -cipher PSK-AES128-CCM8
checkout "psk still works after the failed handshakes" 'cred=psk endpoint=dev-psk '

t_done
