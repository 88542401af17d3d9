#!/bin/sh
# test_est.sh — the EST-coaps CA (RFC 9148) behind LwM2M Security Mode 4,
# end to end: the real daemon with a private PostgreSQL cluster and a
# development CA made by scripts/dev-ca.sh, against independent peers —
# libcoap's coap-client-openssl over DTLS for the requests, openssl for
# making CSRs and for checking every certificate and CRL that comes back.
#   - crts (281 and 287), att, /.well-known/core?rt=ace.est*;
#   - sen at /.well-known/est and at /est: the certificate verifies against
#     the CA, carries the CSR's key and subject, is recorded in PostgreSQL;
#   - Block1 and Block2 with small blocks;
#   - refusals: bad signature 4.00, garbage 4.00, wrong subject 4.03, RSA
#     and P-521 keys 4.03, plain CoAP 4.01, wrong Content-Format 4.15,
#     Accept 4.06, a device whose policy has no EST 4.03 — all logged;
#   - sren: same key renews, a new key is refused, a device without a
#     certificate is refused;
#   - an identical request retried gets the same certificate;
#   - fault injection: the daemon dies right after the insert; restarted, the
#     client's retry gets exactly that recorded certificate, no serial twice;
#   - per-device rate limit: 5.03 + Max-Age;
#   - an X.509 device enrolls with its factory certificate, then
#     authenticates with the EST certificate and renews it; once revoked, the
#     EST certificate is refused in the handshake;
#   - PostgreSQL down: 5.03 + Max-Age; back: the identical request is served;
#   - the simulated client's whole flow: bootstrap writing Security Mode 4,
#     crts, sen (own key, 64-byte blocks), sren on the bootstrap session, then
#     a DTLS handshake with the enrolled certificate against openssl s_server
#     trusting only the EST CA; the private key is nowhere on the server.
T_NAME=est
. "$BSD_SRCDIR/tests/lib/harness.sh"
BSCTL=${BSD_BSCTL:-$BSD_BUILDDIR/tools/bsctl}
for tool in coap-client-openssl openssl psql python3; do
    command -v "$tool" >/dev/null 2>&1 || { fail "$tool is installed"; t_done; exit 1; }
done
[ -x "$BSCTL" ] || { fail "bsctl is built ($BSCTL)"; t_done; exit 1; }
t_pki
t_pg_start || { fail "private PostgreSQL cluster starts"; t_done; exit 1; }
t_secret_keys
export BSD_DB_URL="$T_DB_URL" BSD_SECRET_KEY_FILE="$T_WORK/keys"
port=$(t_free_port)
cport=$(t_free_port)
OUT="$T_WORK/out"
W="$T_WORK"
sql() { psql -X -At "$T_DB_URL" -c "$1"; }
t_wait_log() {
    i=0
    while ! grep -Eq "$1" "$T_WORK/daemon.log" && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
    grep -Eq "$1" "$T_WORK/daemon.log"
}

check "scripts/dev-ca.sh makes a development CA" sh "$BSD_SRCDIR/scripts/dev-ca.sh" "$W/ca"
CA="$W/ca/est-ca.pem"
CAKEY="$W/ca/est-ca.key"
check "the CA key is readable by its owner only" sh -c '[ "$(stat -c %a "$1")" = 600 ]' _ "$CAKEY"
check "dev-ca.sh leaves an existing CA alone" sh -c 'before=$(sha256sum <"$1"); sh "$2" "$3" && [ "$(sha256sum <"$1")" = "$before" ]' \
    _ "$CA" "$BSD_SRCDIR/scripts/dev-ca.sh" "$W/ca"

# coap-client takes a PSK as text (-k): the keys are 32 printable characters,
# the device records hold their bytes in hex.
keytxt() { od -An -tx1 -N16 /dev/urandom | tr -d ' \n'; }
tohex() { printf %s "$1" | od -An -tx1 | tr -d ' \n'; }
K_E1=$(keytxt) K_E2=$(keytxt) K_N=$(keytxt) K_L=$(keytxt)
PSK_E1=$(tohex "$K_E1") PSK_E2=$(tohex "$K_E2") PSK_N=$(tohex "$K_N") PSK_L=$(tohex "$K_L")
check "bsctl migrate applies the schema" sh -c '"$1" migrate >"$2/migrate.out" 2>&1' _ "$BSCTL" "$W"
{
    echo "endpoint,kind,psk_identity,psk_key,labels"
    echo "est-1,psk,est-1-id,$PSK_E1,line=E"
    echo "est-2,psk,est-2-id,$PSK_E2,line=E"
    echo "no-est,psk,no-est-id,$PSK_N,line=N"
    echo "limited,psk,limited-id,$PSK_L,line=L"
    echo "dev-x509,x509,,,line=E"
} >"$W/devices.csv"
check "5 devices imported" sh -c '"$1" device import "$2/devices.csv" >"$2/import.out" 2>&1 && grep -q "5 imported" "$2/import.out"' \
    _ "$BSCTL" "$W"
{
    cat <<EOF
policy: est-line
match:
  labels: {line: E}
servers:
  - ssid: 301
    uri: "coaps://127.0.0.1:45684"
    security:
      mode: est
      certificate_usage: 3
      server_certificate: |
EOF
    sed 's/^/        /' "$T_PKI/server.crt"
    cat <<EOF
est:
  enroll_with: [psk, x509]
  validity_days: 30
  max_enrollments_per_hour: 50
EOF
} >"$W/est.yaml"
cat >"$W/noest.yaml" <<'EOF'
policy: no-est
match:
  labels: {line: N}
servers:
  - ssid: 101
    uri: "coaps://lwm2m.example.com:5684"
    security:
      mode: psk
      psk_key: generate
EOF
cat >"$W/limited.yaml" <<'EOF'
policy: limited
match:
  labels: {line: L}
servers:
  - ssid: 101
    uri: "coaps://lwm2m.example.com:5684"
    security:
      mode: psk
      psk_key: generate
est:
  enroll_with: [psk]
  max_enrollments_per_hour: 2
EOF
for p in est noest limited; do
    check "policy $p is applied" sh -c '"$1" policy apply "$2/$3.yaml" >"$2/apply.out" 2>&1 || { cat "$2/apply.out"; exit 1; }' \
        _ "$BSCTL" "$W" "$p"
done

write_conf() {
    t_db_conf "$port" 2 info | sed 's/^dtls.x509 = false$/dtls.x509 = true/'
    cat <<EOF
listen_coap = 127.0.0.1:$cport
dtls.cert_file = $T_PKI/server.crt
dtls.key_file = $T_PKI/server.key
dtls.ca_file = $T_PKI/ca.crt
est.ca_cert = $CA
est.ca_key = $CAKEY
est.retry_after = 7
EOF
}
write_conf >"$W/bsd.conf"
check "bsd -n accepts the EST configuration" "$BSD_BIN" -n -c "$W/bsd.conf"
printf 'est.ca_cert = %s\n' "$CA" >"$W/half.conf"
(t_db_conf "$port" 1 info; cat "$W/half.conf") >"$W/bad.conf"
check "est.ca_cert without est.ca_key is a configuration error" \
    sh -c '! "$1" -n -c "$2" >"$3" 2>&1 && grep -q "est.ca_key" "$3"' _ "$BSD_BIN" "$W/bad.conf" "$OUT"
(write_conf | sed "s|^est.ca_key = .*|est.ca_key = $T_PKI/server.key|") >"$W/bad2.conf"
check "a CA key that does not belong to the CA certificate is refused" \
    sh -c '! "$1" -n -c "$2" >"$3" 2>&1 && grep -q "est.ca" "$3"' _ "$BSD_BIN" "$W/bad2.conf" "$OUT"
t_start_daemon "$W/bsd.conf" || { fail "daemon starts"; t_done; exit 1; }
pass "daemon starts with the EST CA"

DTLS="coaps://127.0.0.1:$port"
# cc ARGS...: one coap-client-openssl run; output and diagnostics in $OUT.
cc() {
    t_mark
    timeout 20 coap-client-openssl -B 5 "$@" >"$OUT" 2>&1
    return 0
}
# ccp EP ARGS...: coap-client with EP's PSK.
ccp() {
    ep=$1
    shift
    case $ep in
    est-1) key=$K_E1 ;;
    est-2) key=$K_E2 ;;
    no-est) key=$K_N ;;
    limited) key=$K_L ;;
    esac
    t_mark
    timeout 20 coap-client-openssl -B 5 -u "$ep-id" -k "$key" "$@" >"$OUT" 2>&1
    return 0
}
show() { sed 's/^/#   /' "$OUT" | cut -c1-200 | head -n 8; }
code_is() { grep -aq "$1" "$OUT" || { show; return 1; }; }
newlog_has() { tail -n +"$((T_MARK + 1))" "$T_WORK/daemon.log" | grep -Eq "$1"; }
# csr NAME SUBJECT [KEYSPEC]: a new key and a DER CSR ($W/NAME.key, $W/NAME.csr).
csr() {
    spec=${3:-ec:$W/p256.param}
    openssl req -new -newkey "$spec" -nodes -keyout "$W/$1.key" -subj "$2" -outform DER -out "$W/$1.csr" \
        2>/dev/null
}
openssl ecparam -name prime256v1 -out "$W/p256.param"
openssl ecparam -name secp521r1 -out "$W/p521.param"
# p7_to_pem IN OUT: the certificates of a PKCS#7 certs-only (DER) as PEM.
p7_to_pem() { openssl pkcs7 -inform DER -in "$1" -print_certs -out "$2" 2>/dev/null && grep -q "BEGIN CERTIFICATE" "$2"; }
pub_of_cert() { openssl x509 -in "$1" -noout -pubkey; }
pub_of_csr() { openssl req -inform DER -in "$1" -noout -pubkey; }
serial_of() { openssl x509 -in "$1" -noout -serial | sed 's/serial=//' | tr 'A-F' 'a-f'; }

# ---- discovery, crts, att -------------------------------------------------------
ccp est-1 -m get "$DTLS/.well-known/core?rt=ace.est*"
check "/.well-known/core?rt=ace.est* lists crts, sen, sren and att at both roots" \
    sh -c 'for r in crts sen sren att; do grep -q "</.well-known/est/$r>;rt=\"ace.est.$r\"" "$1" && grep -q "</est/$r>" "$1" || exit 1; done' _ "$OUT"
ccp est-1 -m get "$DTLS/.well-known/core?rt=ace.est.sen"
check "an exact rt filter lists only that resource" \
    sh -c 'grep -q "ace.est.sen" "$1" && ! grep -q "ace.est.crts" "$1"' _ "$OUT"
ccp est-1 -m get -o "$W/crts.p7" "$DTLS/.well-known/est/crts"
check "crts answers PKCS#7 certs-only (281) by default, holding the CA certificate" \
    sh -c 'p7_() { openssl pkcs7 -inform DER -in "$1" -print_certs -out "$2" 2>/dev/null; }; p7_ "$1" "$2" &&
           [ "$(openssl x509 -in "$2" -noout -fingerprint -sha256)" = "$(openssl x509 -in "$3" -noout -fingerprint -sha256)" ]' \
    _ "$W/crts.p7" "$W/crts.pem" "$CA"
ccp est-1 -m get -A 287 -o "$W/crts.der" "$DTLS/est/crts"
check "crts with Accept 287 at /est answers the CA certificate itself (DER)" \
    sh -c 'openssl x509 -in "$2" -outform DER | cmp -s - "$1"' _ "$W/crts.der" "$CA"
ccp est-1 -m get -A 40 "$DTLS/.well-known/est/crts"
check "crts with Accept 40 is 4.06 and logged" sh -c 'grep -aq "4.06" "$1" && tail -n +"$(($2 + 1))" "$3" | grep -q "event=est.refused.*op=crts.*code=4.06"' \
    _ "$OUT" "$T_MARK" "$T_WORK/daemon.log"
ccp est-1 -m get -b 64 -o "$W/crts-b.p7" "$DTLS/.well-known/est/crts"
check "crts in 64-byte Block2 pieces reassembles to the same body" cmp -s "$W/crts-b.p7" "$W/crts.p7"
ccp est-1 -m get -o "$W/att.der" "$DTLS/.well-known/est/att"
check "att answers CsrAttrs naming ecdsa-with-SHA256 and prime256v1" \
    sh -c 'openssl asn1parse -inform DER -in "$1" >"$2" && grep -q ecdsa-with-SHA256 "$2" && grep -q prime256v1 "$2"' \
    _ "$W/att.der" "$W/att.txt"

# ---- sen -------------------------------------------------------------------------
csr e1 /CN=est-1
ccp est-1 -m post -t 286 -f "$W/e1.csr" -o "$W/e1.p7" "$DTLS/.well-known/est/sen"
check "sen at /.well-known/est answers 281 with one certificate" p7_to_pem "$W/e1.p7" "$W/e1.pem"
check "the certificate verifies against the CA with openssl" \
    sh -c 'openssl verify -CAfile "$1" "$2" | grep -q ": OK"' _ "$CA" "$W/e1.pem"
check "it carries the CSR's public key" sh -c '[ "$(openssl x509 -in "$1" -noout -pubkey)" = "$(openssl req -inform DER -in "$2" -noout -pubkey)" ]' \
    _ "$W/e1.pem" "$W/e1.csr"
openssl x509 -in "$W/e1.pem" -noout -text >"$W/e1.txt"
check "subject CN=est-1, clientAuth, digitalSignature, not a CA" \
    sh -c 'grep -q "Subject: CN *= *est-1" "$1" && grep -q "TLS Web Client Authentication" "$1" && grep -q "Digital Signature" "$1" && grep -q "CA:FALSE" "$1"' _ "$W/e1.txt"
S1=$(serial_of "$W/e1.pem")
check "the serial is 16 octets, positive" sh -c 'n=$(printf %s "$1" | wc -c); [ "$n" -eq 32 ] && case "$1" in [0-7]*) true;; *) false;; esac' _ "$S1"
got=$(sql "SELECT endpoint || ' ' || kind FROM certificates WHERE encode(serial, 'hex') = '$S1'")
check "the certificate is recorded in PostgreSQL for est-1 as an enrollment" [ "$got" = "est-1 enroll" ]
openssl x509 -in "$W/e1.pem" -outform DER -out "$W/e1.der"
got=$(sql "SELECT encode(der, 'hex') FROM certificates WHERE encode(serial, 'hex') = '$S1'")
check "the stored DER is the certificate sent" [ "$got" = "$(od -An -tx1 -v "$W/e1.der" | tr -d ' \n')" ]
check "the issuance is logged without key material" \
    sh -c 'grep -q "event=est.enroll.issued endpoint=est-1 op=sen serial=$1" "$2" && ! grep -q "PRIVATE" "$2"' _ "$S1" "$T_WORK/daemon.log"

csr e2 /CN=est-2
ccp est-2 -m post -t 286 -A 287 -f "$W/e2.csr" -o "$W/e2.der" "$DTLS/est/sen"
check "sen at /est with Accept 287 answers the certificate itself" \
    sh -c 'openssl x509 -inform DER -in "$1" -out "$2" && openssl verify -CAfile "$3" "$2" | grep -q ": OK"' _ "$W/e2.der" "$W/e2.pem" "$CA"

ccp est-1 -m post -t 286 -f "$W/e1.csr" -o "$W/e1-again.p7" "$DTLS/.well-known/est/sen"
check "the identical request again gets the same certificate (idempotent retry)" \
    sh -c 'p7() { openssl pkcs7 -inform DER -in "$1" -print_certs; }; [ "$(p7 "$1" | openssl x509 -noout -serial)" = "$(p7 "$2" | openssl x509 -noout -serial)" ]' \
    _ "$W/e1.p7" "$W/e1-again.p7"
check "and no second row" [ "$(sql "SELECT count(*) FROM certificates WHERE endpoint = 'est-1'")" = 1 ]

csr e1b /CN=est-1
ccp est-1 -m post -t 286 -b 64 -f "$W/e1b.csr" -o "$W/e1b.p7" "$DTLS/.well-known/est/sen"
check "sen in 64-byte Block1 and Block2 pieces works" \
    sh -c 'openssl pkcs7 -inform DER -in "$1" -print_certs -out "$2" 2>/dev/null && openssl verify -CAfile "$3" "$2" | grep -q ": OK"' \
    _ "$W/e1b.p7" "$W/e1b.pem" "$CA"
check "...and the daemon saw blocks" grep -q "est.enroll.issued endpoint=est-1" "$T_WORK/daemon.log"

# ---- refusals ----------------------------------------------------------------------
refused() { # NAME CODE REGEX-IN-LOG
    check "$1 is $2 and logged" sh -c 'grep -aq "$1" "$2" && tail -n +"$(($3 + 1))" "$4" | grep -q "event=est.refused.*code=$1"' \
        _ "$2" "$OUT" "$T_MARK" "$T_WORK/daemon.log"
}
csr wrong /CN=someone-else
ccp est-1 -m post -t 286 -f "$W/wrong.csr" "$DTLS/.well-known/est/sen"
refused "a CSR for another subject" 4.03
csr extra "/CN=est-1/O=Acme"
ccp est-1 -m post -t 286 -f "$W/extra.csr" "$DTLS/.well-known/est/sen"
refused "a CSR with an extra subject attribute" 4.03
openssl req -new -newkey ec:"$W/p256.param" -nodes -keyout "$W/san.key" -subj /CN=est-1 \
    -addext "subjectAltName=DNS:est-1.example" -outform DER -out "$W/san.csr" 2>/dev/null
ccp est-1 -m post -t 286 -f "$W/san.csr" "$DTLS/.well-known/est/sen"
refused "a CSR with a subjectAltName the policy does not give" 4.03
csr rsa /CN=est-1 rsa:2048
ccp est-1 -m post -t 286 -f "$W/rsa.csr" "$DTLS/.well-known/est/sen"
refused "an RSA key" 4.03
csr p521 /CN=est-1 "ec:$W/p521.param"
ccp est-1 -m post -t 286 -f "$W/p521.csr" "$DTLS/.well-known/est/sen"
refused "a P-521 key the policy does not allow" 4.03
python3 - "$W/e1b.csr" "$W/badsig.csr" <<'PY'
import sys
b = bytearray(open(sys.argv[1], "rb").read())
b[-3] ^= 0x01  # inside the ECDSA signature's s value
open(sys.argv[2], "wb").write(bytes(b))
PY
ccp est-1 -m post -t 286 -f "$W/badsig.csr" "$DTLS/.well-known/est/sen"
refused "a CSR whose signature does not verify" 4.00
head -c 300 /dev/urandom >"$W/garbage.bin"
ccp est-1 -m post -t 286 -f "$W/garbage.bin" "$DTLS/.well-known/est/sen"
refused "garbage" 4.00
ccp est-1 -m post -t 0 -f "$W/e1b.csr" "$DTLS/.well-known/est/sen"
refused "a CSR with Content-Format 0" 4.15
ccp est-1 -m post -t 286 -A 40 -f "$W/e1b.csr" "$DTLS/.well-known/est/sen"
refused "sen with Accept 40" 4.06
csr noest /CN=no-est
ccp no-est -m post -t 286 -f "$W/noest.csr" "$DTLS/.well-known/est/sen"
refused "a device whose policy has no EST" 4.03
t_mark
timeout 20 coap-client-openssl -B 5 -m post -t 286 -f "$W/e1b.csr" "coap://127.0.0.1:$cport/.well-known/est/sen" >"$OUT" 2>&1
check "sen over plain CoAP (unauthenticated) is 4.01" code_is 4.01
check "the daemon is still up after all of it" kill -0 "$T_DAEMON_PID"
check "no refusal logged key bytes" sh -c '! grep -q "PRIVATE KEY" "$1"' "$T_WORK/daemon.log"

# ---- sren ------------------------------------------------------------------------
openssl req -new -key "$W/e1b.key" -subj /CN=est-1 -outform DER -out "$W/e1-renew.csr" 2>/dev/null
ccp est-1 -m post -t 286 -f "$W/e1-renew.csr" -o "$W/e1-renew.p7" "$DTLS/.well-known/est/sren"
check "sren with the current key renews: a new serial, same subject and key" \
    sh -c 'openssl pkcs7 -inform DER -in "$1" -print_certs -out "$2" 2>/dev/null && openssl verify -CAfile "$3" "$2" | grep -q ": OK" &&
           [ "$(openssl x509 -in "$2" -noout -pubkey)" = "$(openssl x509 -in "$4" -noout -pubkey)" ] &&
           [ "$(openssl x509 -in "$2" -noout -serial)" != "$(openssl x509 -in "$4" -noout -serial)" ]' \
    _ "$W/e1-renew.p7" "$W/e1-renew.pem" "$CA" "$W/e1b.pem"
check "recorded as a re-enrollment" [ "$(sql "SELECT count(*) FROM certificates WHERE endpoint = 'est-1' AND kind = 'reenroll'")" = 1 ]
csr e1new /CN=est-1
ccp est-1 -m post -t 286 -f "$W/e1new.csr" "$DTLS/.well-known/est/sren"
refused "sren with a new key (the policy does not allow it)" 4.03
csr limited-s /CN=limited
ccp limited -m post -t 286 -f "$W/limited-s.csr" "$DTLS/est/sren"
refused "sren by a device that holds no certificate" 4.03

# ---- rate limit ------------------------------------------------------------------
for i in 1 2; do
    csr "lim$i" /CN=limited
    ccp limited -m post -t 286 -f "$W/lim$i.csr" -o "$W/lim$i.p7" "$DTLS/est/sen"
done
check "two enrollments within the hourly limit of 2 succeed" \
    sh -c 'openssl pkcs7 -inform DER -in "$1" -print_certs >/dev/null 2>&1 && openssl pkcs7 -inform DER -in "$2" -print_certs >/dev/null 2>&1' \
    _ "$W/lim1.p7" "$W/lim2.p7"
csr lim3 /CN=limited
ccp limited -v 7 -m post -t 286 -f "$W/lim3.csr" "$DTLS/est/sen"
check "the third is 5.03 with a Max-Age" sh -c 'grep -aq "5.03" "$1" && grep -aiq "Max-Age" "$1"' _ "$OUT"

# ---- fault injection: killed between the insert and the response -----------------
t_stop_daemon
mv "$T_WORK/daemon.log" "$T_WORK/daemon-1.log"
BSD_FAULT=est_after_insert
export BSD_FAULT
t_start_daemon "$W/bsd.conf" || { fail "daemon restarts with the fault point armed"; t_done; exit 1; }
unset BSD_FAULT
csr crash /CN=est-2
ccp est-2 -m post -t 286 -f "$W/crash.csr" -o "$W/crash1.p7" "$DTLS/.well-known/est/sen"
check "the daemon died at the fault point, before answering" \
    sh -c 'i=0; while kill -0 "$1" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done; ! kill -0 "$1" 2>/dev/null && grep -q "est.fault.injected" "$2" && [ ! -s "$3" ]' \
    _ "$T_DAEMON_PID" "$T_WORK/daemon.log" "$W/crash1.p7"
wait "$T_DAEMON_PID" 2>/dev/null
CRASH_SERIAL=$(sql "SELECT encode(serial, 'hex') FROM certificates WHERE endpoint = 'est-2' ORDER BY issued_at DESC LIMIT 1")
check "the certificate it was about to send is recorded" [ -n "$CRASH_SERIAL" ]
mv "$T_WORK/daemon.log" "$T_WORK/daemon-crashed.log"
t_start_daemon "$W/bsd.conf" || { fail "daemon restarts"; t_done; exit 1; }
ccp est-2 -m post -t 286 -f "$W/crash.csr" -o "$W/crash2.p7" "$DTLS/.well-known/est/sen"
check "the client's retry gets exactly the recorded certificate" \
    sh -c 'openssl pkcs7 -inform DER -in "$1" -print_certs -out "$2" 2>/dev/null && [ "$(openssl x509 -in "$2" -noout -serial | sed "s/serial=//" | tr A-F a-f)" = "$3" ]' \
    _ "$W/crash2.p7" "$W/crash2.pem" "$CRASH_SERIAL"
check "no serial recorded twice" [ "$(sql "SELECT count(*) = count(DISTINCT serial) FROM certificates")" = t ]
check "the retry added no certificate (est-2: its first and the recorded one)" \
    [ "$(sql "SELECT count(*) FROM certificates WHERE endpoint = 'est-2'")" = 2 ]

# ---- an X.509 device: factory certificate, then its EST certificate ---------------
X="$T_PKI"
csr x /CN=dev-x509
cc -c "$X/dev-x509.crt" -j "$X/dev-x509.key" -C "$X/ca.crt" -m post -t 286 -A 287 -f "$W/x.csr" -o "$W/x.der" \
    "$DTLS/.well-known/est/sen"
check "an X.509 device enrolls with its factory certificate" \
    sh -c 'openssl x509 -inform DER -in "$1" -out "$2" && openssl verify -CAfile "$3" "$2" | grep -q ": OK"' \
    _ "$W/x.der" "$W/x.pem" "$CA"
openssl req -new -key "$W/x.key" -subj /CN=dev-x509 -outform DER -out "$W/x-renew.csr" 2>/dev/null
cc -c "$W/x.pem" -j "$W/x.key" -C "$X/ca.crt" -m post -t 286 -A 287 -f "$W/x-renew.csr" -o "$W/x-renew.der" \
    "$DTLS/.well-known/est/sren"
check "it authenticates with the EST certificate and renews it" \
    sh -c 'openssl x509 -inform DER -in "$1" -out "$2" && openssl verify -CAfile "$3" "$2" | grep -q ": OK" && grep -q "event=dtls.handshake.ok.*cred=x509" "$4"' \
    _ "$W/x-renew.der" "$W/x-renew.pem" "$CA" "$T_WORK/daemon.log"
XS=$(serial_of "$W/x-renew.pem")
sql "UPDATE certificates SET revoked_at = now(), revocation_reason = 1 WHERE encode(serial, 'hex') = '$XS'" >/dev/null
check "the revocation reaches the daemon (reload)" t_wait_log "daemon.reload.ok"
cc -c "$W/x-renew.pem" -j "$W/x.key" -C "$X/ca.crt" -m post -t 286 -A 287 -f "$W/x-renew.csr" "$DTLS/.well-known/est/sren"
check "the revoked EST certificate is refused in the handshake" newlog_has "reason=certificate_revoked"

# ---- PostgreSQL away: 5.03 + Max-Age, and the retry is served once it is back ------
t_pg_stop
csr down /CN=est-2
ccp est-2 -v 7 -m post -t 286 -f "$W/down.csr" "$DTLS/.well-known/est/sen"
check "with PostgreSQL down sen is 5.03 with Max-Age = est.retry_after (7)" \
    sh -c 'grep -aq "5.03" "$1" && grep -aq "Max-Age:7" "$1" || { sed "s/^/#   /" "$1" | grep -a "c:" | head -5; exit 1; }' _ "$OUT"
check "... logged as est.unavailable, nothing issued" \
    sh -c 'tail -n +"$(($1 + 1))" "$2" | grep -q "event=est.unavailable endpoint=est-2" && ! tail -n +"$(($1 + 1))" "$2" | grep -q "est.enroll.issued"' \
    _ "$T_MARK" "$T_WORK/daemon.log"
bash "$BSD_SRCDIR/scripts/pg-cluster.sh" start "$T_WORK/pg" >/dev/null 2>&1
ccp est-2 -m post -t 286 -f "$W/down.csr" -o "$W/down.p7" "$DTLS/.well-known/est/sen"
check "PostgreSQL back: the identical request gets its certificate" \
    sh -c 'openssl pkcs7 -inform DER -in "$1" -print_certs -out "$2" 2>/dev/null && openssl verify -CAfile "$3" "$2" | grep -q ": OK"' \
    _ "$W/down.p7" "$W/down.pem" "$CA"

# ---- the simulated client's whole flow -------------------------------------------
# Bootstrap (Security Mode 4 written) -> crts -> sen with its own key -> sren, on
# the bootstrap session; then a DTLS handshake with the enrolled certificate
# against openssl s_server, which trusts only the EST CA and insists on a
# valid client certificate.
SIM=${BSD_SIM:-$BSD_BUILDDIR/tools/bsd-sim}
hs=$(t_free_port)
openssl s_server -dtls1_2 -accept "127.0.0.1:$hs" -cert "$T_PKI/server.crt" -key "$T_PKI/server.key" \
    -Verify 1 -verify_return_error -CAfile "$CA" -naccept 1 -quiet >"$W/s_server.log" 2>&1 &
SSRV=$!
sleep 0.3
timeout 120 "$SIM" --server "coaps://127.0.0.1:$port" --ep est-1 --psk-identity est-1-id --psk-key "$PSK_E1" \
    --timeout 30 --dump "$W/sim-dump.json" --est --est-block 2 --est-out "$W/enr" --est-csr-out "$W/enr/sen.csr" \
    --est-renew --x509-handshake "127.0.0.1:$hs" --x509-ca "$T_PKI/ca.crt" >"$W/sim.out" 2>&1
kill "$SSRV" 2>/dev/null
wait "$SSRV" 2>/dev/null
check "sim: the bootstrap finishes, then crts, sen (in 32-byte blocks) and sren succeed on its session" \
    sh -c 'grep -q "outcome=finished" "$1" && grep -q "^est crts ok" "$1" && grep -q "^est sen ok" "$1" && grep -q "^est sren ok" "$1" || { sed "s/^/#   /" "$1" | head -20; exit 1; }' _ "$W/sim.out"
check "sim: the bootstrap wrote Security Mode 4 with the LwM2M server's certificate and no /0/x/3, /0/x/5" \
    python3 - "$W/sim-dump.json" "$T_PKI/server.crt" <<'PY'
import json, sys, ssl, binascii
d = json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])["instances"]
want = binascii.hexlify(ssl.PEM_cert_to_DER_cert(open(sys.argv[2]).read())).decode()
acct = [v for k, v in d.items() if k.startswith("/0/") and v.get("10") == 301]
ok = len(acct) == 1 and acct[0].get("2") == 4 and str(acct[0].get("4", "")).lower() == want and "3" not in acct[0] and "5" not in acct[0]
if not ok:
    print("#   ", acct)
sys.exit(0 if ok else 1)
PY
check "sim: both certificates verify against the CA; the CSR verifies" \
    sh -c 'openssl verify -CAfile "$1" "$2" "$3" >/dev/null && openssl req -inform DER -in "$4" -verify -noout 2>&1 | grep -q "verify OK"' \
    _ "$CA" "$W/enr/est-1.crt.pem" "$W/enr/est-1.renewed.crt.pem" "$W/enr/sen.csr"
sql "SELECT encode(der, 'hex') FROM certificates" >"$W/all-der.hex"
check "sim: the private key never left the device (not in any stored certificate, not in the log)" \
    python3 - "$W/enr/est-1.key.pem" "$W/all-der.hex" "$T_WORK/daemon.log" <<'PY'
import subprocess, sys, re
text = subprocess.run(["openssl", "pkey", "-in", sys.argv[1], "-text", "-noout"], capture_output=True, text=True).stdout
m = re.search(r"priv:\s*((?:[0-9a-f]{2}:?\s*)+)pub:", text)
priv = re.sub(r"[^0-9a-f]", "", m.group(1)) if m else ""
priv = priv[-64:]
sys.exit(0 if len(priv) == 64 and priv not in open(sys.argv[2]).read() and priv not in open(sys.argv[3]).read().lower() else 1)
PY
check "sim: openssl s_server accepted the DTLS handshake with the enrolled certificate" \
    sh -c 'grep -q "^x509 handshake ok" "$1" || { sed "s/^/#   /" "$2" | head; exit 1; }' _ "$W/sim.out" "$W/s_server.log"

t_stop_daemon
t_done
