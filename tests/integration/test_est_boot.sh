#!/bin/sh
# test_est_boot.sh — x509 accounts whose key pair the bootstrap server
# generates and whose certificate its EST CA issues at bootstrap
# (`client_key: generate` + `client_certificate: issue`), end to end: the
# real daemon with a private PostgreSQL cluster and a development CA from
# scripts/dev-ca.sh, the simulated client over DTLS-PSK, openssl checking
# what the client received:
#   - the dry run before the first load shows a placeholder for /0/x/3;
#   - the load issues and records one certificate per device;
#   - the client gets mode 2, a certificate that verifies against the CA,
#     with CN = endpoint, whose key is the private key written to /0/x/5;
#   - the certificates table holds exactly that certificate (kind bootstrap)
#     and the dry run shows it;
#   - a second bootstrap and a reload (SIGHUP) reuse it: same serial, one row;
#   - once revoked, the next load issues a new one for the same key;
#   - without est.ca_cert a device without a stored certificate is refused
#     (recorded as plan_compile_failed) and the daemon keeps serving.
T_NAME=est_boot
. "$BSD_SRCDIR/tests/lib/harness.sh"
SIM=${BSD_SIM:-$BSD_BUILDDIR/tools/bsd-sim}
BSCTL=${BSD_BSCTL:-$BSD_BUILDDIR/tools/bsctl}
for tool in openssl psql python3; do
    command -v "$tool" >/dev/null 2>&1 || { fail "$tool is installed"; t_done; exit 1; }
done
[ -x "$BSCTL" ] || { fail "bsctl is built ($BSCTL)"; t_done; exit 1; }
t_pki
t_pg_start || { fail "private PostgreSQL cluster starts"; t_done; exit 1; }
t_secret_keys
export BSD_DB_URL="$T_DB_URL" BSD_SECRET_KEY_FILE="$T_WORK/keys"
port=$(t_free_port)
W="$T_WORK"
sql() { psql -X -At "$T_DB_URL" -c "$1"; }
# wait_count REGEX N: the daemon log has more than N lines matching (10 s).
wait_count() {
    i=0
    while [ "$(grep -Ec "$1" "$W/daemon.log")" -le "$2" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
    [ "$(grep -Ec "$1" "$W/daemon.log")" -gt "$2" ]
}

check "scripts/dev-ca.sh makes a development CA" sh "$BSD_SRCDIR/scripts/dev-ca.sh" "$W/ca"
CA="$W/ca/est-ca.pem"
check "bsctl migrate applies the schema" sh -c '"$1" migrate >"$2/migrate.out" 2>&1' _ "$BSCTL" "$W"
K1=000102030405060708090a0b0c0d0e0f
K2=101112131415161718191a1b1c1d1e1f
K3=202122232425262728292a2b2c2d2e2f
{
    echo "endpoint,kind,psk_identity,psk_key,labels"
    echo "boot-1,psk,boot-1-id,$K1,line=X"
    echo "boot-2,psk,boot-2-id,$K2,line=X"
} >"$W/devices.csv"
check "2 devices imported" sh -c '"$1" device import "$2/devices.csv" >"$2/import.out" 2>&1 && grep -q "2 imported" "$2/import.out"' \
    _ "$BSCTL" "$W"
{
    cat <<EOF
policy: x509-boot
match:
  labels: {line: X}
servers:
  - ssid: 201
    uri: "coaps://127.0.0.1:45684"
    security:
      mode: x509
      client_certificate: issue
      client_key: generate
      server_certificate: |
EOF
    sed 's/^/        /' "$T_PKI/server.crt"
} >"$W/boot.yaml"
check "a policy with client_certificate: issue is applied" \
    sh -c '"$1" policy apply "$2/boot.yaml" >"$2/apply.out" 2>&1 || { cat "$2/apply.out"; exit 1; }' _ "$BSCTL" "$W"

# The value of /0/x/RES for SSID 201 in a dry run (JSON on stdin).
plan_res() {
    python3 -c '
import json, sys
d = json.load(sys.stdin)
for r in d["requests"]:
    recs = r.get("records", [])
    if any(x["path"].endswith("/10") and x["value"] == 201 for x in recs if x["path"].startswith("/0/")):
        for x in recs:
            if x["path"].split("/")[3] == sys.argv[1]:
                print(x["type"], x["value"])
' "$1"
}
"$BSCTL" policy plan --device boot-1 --reveal >"$W/plan0.json" 2>"$W/plan0.err"
check "before any load the dry run shows a placeholder for /0/x/3" \
    [ "$(plan_res 3 <"$W/plan0.json")" = "string (certificate issued by the EST CA at the next load)" ]

conf() {
    t_db_conf "$port" 2 "${1:-info}"
    if [ -z "${NO_CA:-}" ]; then
        echo "est.ca_cert = $CA"
        echo "est.ca_key = $W/ca/est-ca.key"
    fi
}
conf debug >"$W/bsd.conf"
t_start_daemon "$W/bsd.conf" || { fail "daemon starts"; t_done; exit 1; }
pass "daemon starts with the EST CA"
check "the load issued one certificate per device" log_has 'event=db.certs.bootstrap issued=2 reused=0 failed=0'
check "... and recorded both (kind bootstrap, no request hash)" \
    [ "$(sql "SELECT count(*) FROM certificates WHERE kind = 'bootstrap' AND csr_sha256 IS NULL")" = 2 ]

sim() {
    timeout 40 "$SIM" --server "coaps://127.0.0.1:$port" --timeout 30 --dump "$W/dump.json" \
        --ep "$1" --psk-identity "$1-id" --psk-key "$2" >"$W/sim.out" 2>&1
}
# acct FILE RES: resource RES of the client's SSID 201 account in the last dump.
acct() {
    tail -n 1 "$W/dump.json" | python3 -c '
import json, sys
inst = json.load(sys.stdin)["instances"]
a = [v for k, v in inst.items() if k.startswith("/0/") and v.get("10") == 201]
v = a[0].get(sys.argv[1]) if a else None
print("" if v is None else v)
' "$1"
}
# take N: the certificate and key of the last bootstrap as $W/N.crt.pem, $W/N.key.der.
take() {
    acct 3 | xxd -r -p >"$W/$1.crt.der" &&
        acct 5 | xxd -r -p >"$W/$1.key.der" &&
        openssl x509 -inform DER -in "$W/$1.crt.der" -out "$W/$1.crt.pem" 2>/dev/null
}
serial_of() { openssl x509 -in "$1" -noout -serial | sed 's/serial=//' | tr 'A-F' 'a-f'; }

sim boot-1 $K1
check "boot-1 bootstraps (finished)" grep -q 'outcome=finished' "$W/sim.out"
check "... the account is written in Security Mode 2" [ "$(acct 2)" = 2 ]
check "... with a certificate in /0/x/3 and a private key in /0/x/5" take one
check "... the certificate verifies against the EST CA (openssl verify)" \
    sh -c 'openssl verify -CAfile "$1" "$2" >/dev/null 2>&1' _ "$CA" "$W/one.crt.pem"
check "... its subject is CN=boot-1" \
    sh -c '[ "$(openssl x509 -in "$1" -noout -subject -nameopt RFC2253)" = "subject=CN=boot-1" ]' _ "$W/one.crt.pem"
check "... it is a TLS client certificate" \
    sh -c 'openssl x509 -in "$1" -noout -ext extendedKeyUsage 2>/dev/null | grep -q "TLS Web Client Authentication"' \
    _ "$W/one.crt.pem"
check "... its public key is the one of the private key in /0/x/5" \
    sh -c '[ "$(openssl x509 -in "$1" -noout -pubkey)" = "$(openssl pkey -inform DER -in "$2" -pubout 2>/dev/null)" ] &&
           [ -n "$(openssl pkey -inform DER -in "$2" -pubout 2>/dev/null)" ]' _ "$W/one.crt.pem" "$W/one.key.der"
S1=$(serial_of "$W/one.crt.pem")
check "the certificates table holds exactly that certificate for boot-1" \
    [ "$(sql "SELECT kind || ' ' || encode(serial, 'hex') || ' ' || (der = decode('$(acct 3)', 'hex')) FROM certificates WHERE endpoint = 'boot-1'")" = "bootstrap $S1 true" ]
"$BSCTL" policy plan --device boot-1 --reveal >"$W/plan1.json" 2>"$W/plan1.err"
check "the dry run now shows the stored certificate" [ "$(plan_res 3 <"$W/plan1.json")" = "opaque $(acct 3)" ]
check "... and the same private key" [ "$(plan_res 5 <"$W/plan1.json")" = "opaque $(acct 5)" ]
check "... redacted without --reveal" \
    [ "$("$BSCTL" policy plan --device boot-1 2>/dev/null | plan_res 5)" = "opaque <redacted>" ]

sim boot-1 $K1
check "a second bootstrap finishes" grep -q 'outcome=finished' "$W/sim.out"
take two
check "... with the same certificate (same serial)" [ "$(serial_of "$W/two.crt.pem")" = "$S1" ]
check "... and the same key" cmp -s "$W/one.key.der" "$W/two.key.der"
n=$(grep -c 'event=daemon.reload.ok' "$W/daemon.log")
kill -HUP "$T_DAEMON_PID"
check "SIGHUP reloads" wait_count 'event=daemon.reload.ok' "$n"
check "... reusing both certificates" log_has 'event=db.certs.bootstrap issued=0 reused=2 failed=0'
sim boot-1 $K1
take three
check "after the reload boot-1 still gets the same certificate" \
    [ "$(grep -c outcome=finished "$W/sim.out")/$(serial_of "$W/three.crt.pem")" = "1/$S1" ]
check "... and boot-1 still has one certificate row" [ "$(sql "SELECT count(*) FROM certificates WHERE endpoint = 'boot-1'")" = 1 ]

# ---- revocation: the next load issues a new certificate -------------------------
n=$(grep -c 'event=daemon.reload.ok' "$W/daemon.log")
sql "UPDATE certificates SET revoked_at = now(), revocation_reason = 1 WHERE endpoint = 'boot-1'" >/dev/null
check "the revocation reaches the daemon (reload)" wait_count 'event=daemon.reload.ok' "$n"
check "... which issues one new certificate and reuses the other" \
    log_has 'event=db.certs.bootstrap issued=1 reused=1 failed=0'
sim boot-1 $K1
check "boot-1 bootstraps again" grep -q 'outcome=finished' "$W/sim.out"
take four
check "... with a new certificate (another serial)" [ "$(serial_of "$W/four.crt.pem")" != "$S1" ]
check "... that verifies against the CA" sh -c 'openssl verify -CAfile "$1" "$2" >/dev/null 2>&1' _ "$CA" "$W/four.crt.pem"
check "... for the same key (the key only changes with rotation)" cmp -s "$W/one.key.der" "$W/four.key.der"
check "... recorded: boot-1 has one revoked and one valid bootstrap certificate" \
    [ "$(sql "SELECT count(*) FILTER (WHERE revoked_at IS NULL) || ' ' || count(*) FILTER (WHERE revoked_at IS NOT NULL) FROM certificates WHERE endpoint = 'boot-1' AND kind = 'bootstrap'")" = "1 1" ]
sim boot-2 $K2
take b2
check "boot-2 gets its own certificate (CN=boot-2)" \
    [ "$(openssl x509 -in "$W/b2.crt.pem" -noout -subject -nameopt RFC2253)" = "subject=CN=boot-2" ]

# ---- no CA: stored certificates still serve, a missing one fails cleanly ----------
t_stop_daemon
printf 'endpoint,kind,psk_identity,psk_key,labels\nboot-3,psk,boot-3-id,%s,line=X\n' "$K3" >"$W/more.csv"
check "a third device is imported" sh -c '"$1" device import "$2/more.csv" >"$2/import.out" 2>&1' _ "$BSCTL" "$W"
NO_CA=1 conf >"$W/noca.conf"
mv "$W/daemon.log" "$W/daemon-1.log"
t_start_daemon "$W/noca.conf" || { fail "daemon starts without est.ca_cert"; t_done; exit 1; }
pass "daemon starts without est.ca_cert"
check "the load reuses the stored certificates and names the missing one" \
    sh -c 'grep -q "event=db.certs.bootstrap issued=0 reused=2 failed=1" "$1" && grep -q "event=db.certs.bootstrap.no_ca missing=1" "$1"' \
    _ "$W/daemon.log"
t_mark
sim boot-3 $K3
check "boot-3 (no certificate) is refused" sh -c '! grep -q "outcome=finished" "$1"' _ "$W/sim.out"
check "... logged as a compile failure that says why" \
    newlog_has 'reason=plan_compile_failed ep=.*ssid 201: no certificate issued'
i=0
while [ "$(sql "SELECT count(*) FROM sessions WHERE endpoint = 'boot-3'")" = 0 ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
check "... and recorded" \
    [ "$(sql "SELECT record->>'reason' FROM sessions WHERE endpoint = 'boot-3' ORDER BY id DESC LIMIT 1")" = plan_compile_failed ]
check "the daemon keeps serving" kill -0 "$T_DAEMON_PID"
sim boot-1 $K1
take five
check "... boot-1 still bootstraps with its stored certificate" \
    sh -c 'grep -q "outcome=finished" "$1" && cmp -s "$2" "$3"' _ "$W/sim.out" "$W/four.crt.der" "$W/five.crt.der"
check "no private key was logged" sh -c '! grep -qi "$(xxd -p "$1" | tr -d "\n" | cut -c 73-136)" "$2" "$3"' \
    _ "$W/one.key.der" "$W/daemon.log" "$W/daemon-1.log"
t_done
