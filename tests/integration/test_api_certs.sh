#!/bin/bash
# test_api_certs.sh — the EST CA's certificates over the REST admin API
# (bsd/api/api_certs.c, bsd/db/db_certs.c, migration 0007) and bsctl cert|ca,
# against a real daemon and a private PostgreSQL, over HTTP on 127.0.0.1:
#   - certificates made by openssl against a test CA made here, recorded in
#     the certificates table with psql as the CA records them;
#   - every endpoint against no token and each role (401/403/200);
#   - listing: filters endpoint, status (valid/revoked/expired), serial
#     prefix, since/until; keyset pages without gaps or duplicates, also
#     among rows issued at the same instant; bad parameters 400;
#   - one certificate as JSON (its PEM is the certificate), as DER and PEM;
#     serials in either case and with colons; 404 and 400;
#   - revocation: viewer 403, reasons by RFC 5280 name (default
#     unspecified; certificateHold refused), 404, 409 with the first
#     revocation's details, the audit row, the NOTIFY "certificates:revoked"
#     a LISTENing session receives;
#   - /api/v1/ca/certificate and /api/v1/ca/crl: with a daemon configured
#     with est.ca_cert/est.ca_key, the chain is the CA's and the CRL
#     verifies with openssl against it, lists the revoked serials with their
#     reasons and a growing cRLNumber, 503 when PostgreSQL fails it; with a
#     daemon that takes no est.* keys these checks are skipped (said so);
#     without a CA both answer 404;
#   - bsctl cert list|show|revoke and ca cert|crl over the API, and cert
#     list|show|revoke on the database (local maintenance mode).
#
# Usage: tests/integration/test_api_certs.sh [BUILD_DIR]
# Env (set by meson): BSD_BIN, BSD_BSCTL, BSD_SRCDIR, BSD_BUILDDIR.
set -uo pipefail
T_NAME=api-certs
: "${BSD_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
[ $# -ge 1 ] && BSD_BUILDDIR=$1
. "$BSD_SRCDIR/tests/lib/harness.sh"
BSCTL=${BSD_BSCTL:-$BSD_BUILDDIR/tools/bsctl}
. "$BSD_SRCDIR/tests/lib/api.sh"
unset BSD_SECRET_KEYS BSD_DB_URL BSD_API_URL BSD_API_TOKEN
command -v openssl >/dev/null || { fail "openssl is installed"; t_done; exit 1; }
api_db_setup || { t_done; exit 1; }
OPER=$(api_token ops operator)
ADMIN=$(api_token adm admin)
VIEW=$(api_token view viewer)
METR=$(api_token prom metrics)
JSON=(-H 'Content-Type: application/json')
W=$T_WORK

# ---- a test CA (P-256, cA, keyCertSign + cRLSign) and certificates it issued ----------------------
openssl ecparam -name prime256v1 -genkey -noout -out "$W/ca.key" 2>/dev/null &&
    openssl req -x509 -new -key "$W/ca.key" -subj "/CN=bsd test EST CA" -days 30 -out "$W/ca.pem" \
        -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
        -addext "subjectKeyIdentifier=hash" 2>/dev/null &&
    openssl ecparam -name prime256v1 -genkey -noout -out "$W/dev.key" 2>/dev/null
check "test CA and device key made with openssl" test -s "$W/ca.pem"
chmod 600 "$W/ca.key"

sha() { sha256sum | cut -c1-64; }
epoch() { date -u -d "$(openssl x509 -inform DER -in "$1" -noout "-$2" | cut -d= -f2)" +%s; }
# rand_serial: 16 random octets, first 0x01..0x7f (a positive INTEGER, no pad), as the CA draws them.
rand_serial() { printf '%02x%s' $((RANDOM % 127 + 1)) "$(od -An -tx1 -N15 /dev/urandom | tr -d ' \n')"; }
# issue ENDPOINT KIND [DAYS [ISSUED_AT]]: openssl issues a certificate for ENDPOINT from a CSR,
# recorded in the certificates table as the CA records it; prints the serial (lower-case hex).
issue() {
    local ep=$1 kind=$2 days=${3:-30} at=${4:-} s
    s=$(rand_serial)
    openssl req -new -key "$W/dev.key" -subj "/CN=$ep" -outform DER -out "$W/c.csr" 2>/dev/null
    openssl x509 -req -inform DER -in "$W/c.csr" -CA "$W/ca.pem" -CAkey "$W/ca.key" -set_serial "0x$s" \
        -days "$days" -outform DER -out "$W/cert-$s.der" 2>/dev/null || return 1
    local spki csr
    spki=$(openssl x509 -inform DER -in "$W/cert-$s.der" -noout -pubkey | openssl pkey -pubin -outform DER | sha)
    csr=$(sha <"$W/c.csr")
    sql "INSERT INTO certificates (serial, endpoint, kind, subject, not_before, not_after, der, fingerprint,
           spki_sha256, csr_sha256${at:+, issued_at})
         VALUES ('\\x$s', '$ep', '$kind', 'CN=$ep', to_timestamp($(epoch "$W/cert-$s.der" startdate)),
           to_timestamp($(epoch "$W/cert-$s.der" enddate)), '\\x$(xxd -p "$W/cert-$s.der" | tr -d '\n')',
           '\\x$(sha <"$W/cert-$s.der")', '\\x$spki', '\\x$csr'${at:+, '$at'})" >/dev/null || return 1
    echo "$s"
}
A1=$(issue dev-a enroll) && A2=$(issue dev-a reenroll) && B1=$(issue dev-b enroll) &&
    X1=$(issue dev-x enroll -1) && K1=$(issue dev-k bootstrap)
check "5 certificates issued and recorded (one expired)" test -n "${K1:-}"
TIE=2026-01-02T03:04:05.123456Z
PAGE=()
for i in 1 2 3 4 5 6 7; do PAGE+=("$(issue dev-page enroll 30 "$TIE")"); done
check "7 more, all issued at the same instant" test "$(sql "SELECT count(*) FROM certificates WHERE issued_at = '$TIE'")" = 7

# ---- the daemon: with the CA when this daemon takes est.* keys --------------------------------------
EST_LINES=("est.ca_cert = $W/ca.pem" "est.ca_key = $W/ca.key")
{ t_db_conf "$(t_free_port)" 2 info; printf '%s\n' "${EST_LINES[@]}"; } >"$W/est-check.conf"
if "$BSD_BIN" -n -c "$W/est-check.conf" >"$W/n.out" 2>&1; then
    EST=1
    api_start_daemon "${EST_LINES[@]}" || { t_done; exit 1; }
else
    EST=0
    echo "# SKIP (CA checks): this daemon does not accept est.ca_cert/est.ca_key yet: $(head -n1 "$W/n.out")"
    api_start_daemon || { t_done; exit 1; }
fi

# ---- roles ----------------------------------------------------------------------------------------
roles GET /api/v1/certificates "401 403 200 200 200"
roles GET "/api/v1/certificates/$A1" "401 403 200 200 200"
expect "POST revoke, no token" 401 POST "/api/v1/certificates/$A1/revoke" "" "${JSON[@]}" -d '{}'
expect "POST revoke, metrics" 403 POST "/api/v1/certificates/$A1/revoke" "$METR" "${JSON[@]}" -d '{}'
expect "POST revoke, viewer" 403 POST "/api/v1/certificates/$A1/revoke" "$VIEW" "${JSON[@]}" -d '{}'
jtrue "$B" 'd["code"] == "forbidden" and d["details"]["required"] == "operator"' &&
    pass "... forbidden, operator required" || { fail "403 shape"; show "$B"; }
test "$(sql "SELECT count(*) FROM certificates WHERE revoked_at IS NOT NULL")" = 0 &&
    pass "... and nothing was revoked" || fail "a refused revocation changed the table"

# ---- listing --------------------------------------------------------------------------------------
api GET /api/v1/certificates "$VIEW"
jtrue "$B" 'len(d["items"]) == 12 and d["next"] is None' && pass "list: all 12, no next page" ||
    { fail "list all"; show "$B"; }
jtrue "$B" '[i["issued_at"] for i in d["items"]] == sorted([i["issued_at"] for i in d["items"]], reverse=True)' &&
    pass "... newest first" || fail "list order"
jtrue "$B" '(set(d["items"][0]) == {"serial","endpoint","kind","subject","not_before","not_after","issued_at",
    "fingerprint","spki_sha256","csr_sha256","status","revoked_at","reason","revoked_by"})' &&
    pass "... each item has the documented members" || { fail "item members"; show "$B"; }
api GET "/api/v1/certificates?endpoint=dev-a" "$VIEW"
jtrue "$B" '(sorted(i["serial"] for i in d["items"]) == sorted(sys.argv[3:]) and
    all(i["endpoint"] == "dev-a" and i["status"] == "valid" for i in d["items"]))' "$A1" "$A2" &&
    pass "endpoint=dev-a: its 2 certificates, valid" || { fail "endpoint filter"; show "$B"; }
api GET "/api/v1/certificates?status=expired" "$VIEW"
jtrue "$B" '[i["serial"] for i in d["items"]] == [sys.argv[3]] and d["items"][0]["status"] == "expired"' "$X1" &&
    pass "status=expired: the expired one only" || { fail "status=expired"; show "$B"; }
api GET "/api/v1/certificates?status=valid&endpoint=dev-x" "$VIEW"
jtrue "$B" 'd["items"] == []' && pass "status=valid&endpoint=dev-x: none" || { fail "valid dev-x"; show "$B"; }
PFX=$(echo "${B1:0:6}" | tr a-f A-F)
api GET "/api/v1/certificates?serial=$PFX" "$VIEW"
jtrue "$B" 'sys.argv[3] in [i["serial"] for i in d["items"]] and all(i["serial"].startswith(sys.argv[3][:6]) for i in d["items"])' "$B1" &&
    pass "serial=<upper-case prefix>: matching serials only" || { fail "serial prefix"; show "$B"; }
api GET "/api/v1/certificates?until=2026-01-02T03:04:06Z&since=$TIE" "$VIEW"
jtrue "$B" 'len(d["items"]) == 7 and all(i["endpoint"] == "dev-page" for i in d["items"])' &&
    pass "since (inclusive) and until (exclusive) on the time of issue" || { fail "since/until"; show "$B"; }
api GET "/api/v1/certificates?until=$TIE" "$VIEW"
jtrue "$B" 'd["items"] == []' && pass "... until is exclusive" || { fail "until exclusive"; show "$B"; }
expect "status=lost" 400 GET "/api/v1/certificates?status=lost" "$VIEW"
jtrue "$B" 'd["code"] == "invalid_parameter" and d["details"]["parameter"] == "status"' &&
    pass "... invalid_parameter naming status" || { fail "invalid_parameter naming status"; show "$B"; }
expect "serial=xyz" 400 GET "/api/v1/certificates?serial=xyz" "$VIEW"
expect "since=yesterday" 400 GET "/api/v1/certificates?since=yesterday" "$VIEW"
expect "limit=0" 400 GET "/api/v1/certificates?limit=0" "$VIEW"
expect "limit=1001" 400 GET "/api/v1/certificates?limit=1001" "$VIEW"
expect "cursor=garbage" 400 GET "/api/v1/certificates?cursor=garbage" "$VIEW"
expect "an unknown parameter" 400 GET "/api/v1/certificates?colour=red" "$VIEW"

# Keyset pages of 2 over the 7 rows issued at the same instant: all, once each.
: >"$W/paged"
cur=""
pages=0
while [ $pages -lt 10 ]; do
    api GET "/api/v1/certificates?endpoint=dev-page&limit=2${cur:+&cursor=$cur}" "$VIEW"
    [ "$CODE" = 200 ] || break
    python3 -c 'import json,sys; [print(i["serial"]) for i in json.load(open(sys.argv[1]))["items"]]' "$B" >>"$W/paged"
    pages=$((pages + 1))
    cur=$(python3 -c 'import json,sys; n=json.load(open(sys.argv[1]))["next"]; print(n or "")' "$B")
    [ -n "$cur" ] || break
done
printf '%s\n' "${PAGE[@]}" | sort >"$W/page.want"
if [ $pages -eq 4 ] && [ "$(sort "$W/paged")" = "$(cat "$W/page.want")" ] && [ "$(sort -u "$W/paged" | wc -l)" = 7 ]; then
    pass "keyset pages of 2: 4 pages, all 7 rows issued at one instant, none twice"
else fail "paging ($pages pages)"; sort "$W/paged" | show /dev/stdin; fi

# ---- one certificate ------------------------------------------------------------------------------
api GET "/api/v1/certificates/$A1" "$VIEW"
jtrue "$B" '(d["serial"] == sys.argv[3] and d["endpoint"] == "dev-a" and d["kind"] == "enroll" and
    d["subject"] == "CN=dev-a" and d["status"] == "valid" and d["revoked_at"] is None and
    d["pem"].startswith("-----BEGIN CERTIFICATE-----"))' "$A1" &&
    pass "GET one: JSON with its PEM" || { fail "GET one"; show "$B"; }
python3 -c 'import json,sys; sys.stdout.write(json.load(open(sys.argv[1]))["pem"])' "$B" >"$W/a1.pem"
openssl x509 -in "$W/a1.pem" -outform DER -out "$W/a1.der" 2>/dev/null
check "... the PEM is the certificate issued" cmp -s "$W/a1.der" "$W/cert-$A1.der"
FP=$(sha <"$W/cert-$A1.der")
jtrue "$B" 'd["fingerprint"] == sys.argv[3]' "$FP" && pass "... fingerprint = SHA-256 of the DER" || { fail "fingerprint = SHA-256 of the DER"; show "$B"; }
api GET "/api/v1/certificates/$A1?format=der" "$VIEW"
grep -qi '^content-type: application/pkix-cert' "$W/hdr" && cmp -s "$B" "$W/cert-$A1.der" &&
    pass "?format=der: application/pkix-cert, the DER" || { fail "format=der"; cat "$W/hdr"; }
api GET "/api/v1/certificates/$A1?format=pem" "$VIEW"
grep -qi '^content-type: application/x-pem-file' "$W/hdr" && openssl x509 -in "$B" -outform DER 2>/dev/null | cmp -s - "$W/cert-$A1.der" &&
    pass "?format=pem: application/x-pem-file, the certificate" || { fail "format=pem"; cat "$W/hdr"; }
UPPER_COLON=$(echo "$A1" | tr a-f A-F | sed 's/../&:/g; s/:$//')
expect "serial in upper case with colons (openssl's way)" 200 GET "/api/v1/certificates/$UPPER_COLON" "$VIEW"
expect "?format=txt" 400 GET "/api/v1/certificates/$A1?format=txt" "$VIEW"
expect "an unknown serial" 404 GET "/api/v1/certificates/0badc0ffee" "$VIEW"
jtrue "$B" 'd["code"] == "not_found"' && pass "... not_found" || { fail "not_found"; show "$B"; }
expect "a serial that is not hex" 400 GET "/api/v1/certificates/serial-nr-1" "$VIEW"
expect "a serial over 20 octets" 400 GET "/api/v1/certificates/$(printf '%042d' 1)" "$VIEW"

# ---- revocation -----------------------------------------------------------------------------------
# A session LISTENing on bsd_changes: it prints what it received after its next statement.
mkfifo "$W/listen.in"
psql -X -At "$T_DB_URL" <"$W/listen.in" >"$W/listen.out" 2>&1 &
LPID=$!
exec 7>"$W/listen.in"
echo "LISTEN bsd_changes;" >&7
i=0
while ! grep -q LISTEN "$W/listen.out" && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done

expect "revoke, operator, keyCompromise" 200 POST "/api/v1/certificates/$A1/revoke" "$OPER" "${JSON[@]}" -d '{"reason":"keyCompromise"}'
jtrue "$B" '(d["serial"] == sys.argv[3] and d["status"] == "revoked" and d["reason"] == "keyCompromise" and
    d["revoked_by"] == "api:ops" and d["revoked_at"])' "$A1" && pass "... answers the revoked certificate" ||
    { fail "revoke answer"; show "$B"; }
echo "SELECT 'after-revoke';" >&7
i=0
NOTE='notification "bsd_changes" with payload "certificates:revoked"'
while ! grep -q "$NOTE" "$W/listen.out" && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
grep -q "$NOTE" "$W/listen.out" &&
    pass "... NOTIFY bsd_changes 'certificates:revoked' reached a listening session" ||
    { fail "NOTIFY on revoke"; show "$W/listen.out"; }
test "$(sql "SELECT actor || ' ' || action || ' ' || object || ' ' || (details->>'reason') || ' ' || (details->>'endpoint')
    FROM audit WHERE action = 'certificate.revoked'")" = "api:ops certificate.revoked certificate:$A1 keyCompromise dev-a" &&
    pass "... audited: api:ops, certificate.revoked, certificate:<serial>, reason, endpoint" ||
    { fail "audit row"; sql "SELECT * FROM audit WHERE action LIKE 'certificate%'"; }
test "$(sql "SELECT revocation_reason || ' ' || revoked_by FROM certificates WHERE serial = '\\x$A1'")" = "1 api:ops" &&
    pass "... stored: reason 1, revoked_by" || fail "stored revocation"
expect "revoke again" 409 POST "/api/v1/certificates/$A1/revoke" "$ADMIN" "${JSON[@]}" -d '{"reason":"superseded"}'
jtrue "$B" 'd["code"] == "conflict" and d["details"]["reason"] == "keyCompromise" and d["details"]["revoked_at"]' &&
    pass "... conflict, with the first revocation's details" || { fail "conflict, with the first revocation's details"; show "$B"; }
test "$(sql "SELECT count(*) FROM audit WHERE action = 'certificate.revoked'")" = 1 &&
    pass "... and no second audit row" || fail "a refused revocation was audited"
expect "revoke an unknown serial" 404 POST "/api/v1/certificates/0badc0ffee/revoke" "$OPER" "${JSON[@]}" -d '{}'
expect "revoke, reason certificateHold (not final)" 400 POST "/api/v1/certificates/$A2/revoke" "$OPER" "${JSON[@]}" -d '{"reason":"certificateHold"}'
expect "revoke, an unknown reason" 400 POST "/api/v1/certificates/$A2/revoke" "$OPER" "${JSON[@]}" -d '{"reason":"boredom"}'
jtrue "$B" '"keyCompromise" in d["details"]["accepted"]' && pass "... the accepted names listed" || { fail "the accepted names listed"; show "$B"; }
expect "revoke, an unknown member" 400 POST "/api/v1/certificates/$A2/revoke" "$OPER" "${JSON[@]}" -d '{"why":"x"}'
expect "revoke without a JSON body" 415 POST "/api/v1/certificates/$A2/revoke" "$OPER"
expect "revoke, {} (default reason)" 200 POST "/api/v1/certificates/$A2/revoke" "$OPER" "${JSON[@]}" -d '{}'
jtrue "$B" 'd["reason"] == "unspecified"' && pass "... unspecified" || { fail "unspecified"; show "$B"; }
api GET "/api/v1/certificates?status=revoked" "$VIEW"
jtrue "$B" 'sorted(i["serial"] for i in d["items"]) == sorted(sys.argv[3:])' "$A1" "$A2" &&
    pass "status=revoked: the 2 revoked" || { fail "status=revoked"; show "$B"; }

# ---- the CA's certificate and CRL ------------------------------------------------------------------
if [ $EST = 1 ]; then
    roles GET /api/v1/ca/certificate "401 403 200 200 200"
    roles GET /api/v1/ca/crl "401 403 200 200 200"
    api GET /api/v1/ca/certificate "$VIEW"
    grep -qi '^content-type: application/x-pem-file' "$W/hdr" &&
        openssl x509 -in "$B" -outform DER 2>/dev/null | cmp -s - <(openssl x509 -in "$W/ca.pem" -outform DER) &&
        pass "/ca/certificate: PEM, the CA's certificate" || { fail "/ca/certificate"; show "$B"; }
    api GET "/api/v1/ca/certificate?format=der" "$VIEW"
    grep -qi '^content-type: application/pkix-cert' "$W/hdr" && cmp -s "$B" <(openssl x509 -in "$W/ca.pem" -outform DER) &&
        pass "/ca/certificate?format=der: the CA's DER" || fail "/ca/certificate?format=der"
    api GET /api/v1/ca/crl "$VIEW"
    cp "$B" "$W/crl1.der"
    grep -qi '^content-type: application/pkix-crl' "$W/hdr" && pass "/ca/crl: application/pkix-crl" || { fail "crl type"; cat "$W/hdr"; }
    openssl crl -inform DER -in "$W/crl1.der" -CAfile "$W/ca.pem" -noout >"$W/v.out" 2>&1
    grep -q "verify OK" "$W/v.out" && pass "... openssl verifies the CRL with the CA" || { fail "CRL verify"; show "$W/v.out"; }
    openssl crl -inform DER -in "$W/crl1.der" -noout -text >"$W/crl1.txt" 2>&1
    U1=$(echo "$A1" | tr a-f A-F) U2=$(echo "$A2" | tr a-f A-F)
    grep -q "Serial Number: $U1" "$W/crl1.txt" && grep -q "Serial Number: $U2" "$W/crl1.txt" &&
        [ "$(grep -c 'Serial Number:' "$W/crl1.txt")" = 2 ] && pass "... lists the 2 revoked serials, no other" ||
        { fail "CRL entries"; show "$W/crl1.txt"; }
    grep -A4 "Serial Number: $U1" "$W/crl1.txt" | grep -q "Key Compromise" &&
        pass "... with reason keyCompromise" || { fail "CRL reason"; show "$W/crl1.txt"; }
    n1=$(grep -A1 "X509v3 CRL Number" "$W/crl1.txt" | tail -n1 | tr -d ' ')
    api GET "/api/v1/ca/crl?format=pem" "$VIEW"
    grep -qi '^content-type: application/x-pem-file' "$W/hdr" && openssl crl -in "$B" -CAfile "$W/ca.pem" -noout 2>&1 | grep -q "verify OK" &&
        pass "?format=pem: a PEM CRL that verifies" || { fail "PEM CRL"; show "$B"; }
    n2=$(openssl crl -in "$B" -noout -text | grep -A1 "X509v3 CRL Number" | tail -n1 | tr -d ' ')
    [ -n "$n1" ] && [ -n "$n2" ] && [ "$n2" -gt "$n1" ] 2>/dev/null && pass "... cRLNumber grows ($n1, then $n2)" ||
        fail "cRLNumber $n1 then $n2"
    expect "/ca/crl?format=txt" 400 GET "/api/v1/ca/crl?format=txt" "$VIEW"
    # The CRL's statements fail (the sequence is away) while the token still authenticates.
    sql "ALTER SEQUENCE crl_number RENAME TO crl_number_away" >/dev/null
    expect "/ca/crl when its cRLNumber cannot be drawn" 503 GET /api/v1/ca/crl "$VIEW"
    jtrue "$B" 'd["code"] == "database_error"' && pass "... database_error" || { fail "database_error"; show "$B"; }
    sql "ALTER SEQUENCE crl_number_away RENAME TO crl_number" >/dev/null
    expect "/ca/crl once it can again" 200 GET /api/v1/ca/crl "$VIEW"
else
    echo "# SKIP: /api/v1/ca/certificate and /api/v1/ca/crl with a CA (needs est.ca_cert/est.ca_key)"
fi

# ---- bsctl over the API -------------------------------------------------------------------------
O=$W/bsctl.out
E=$W/bsctl.err
run() { "$BSCTL" --server "$H" "$@" >"$O" 2>"$E"; }
BSD_API_TOKEN=$VIEW run cert list --endpoint dev-a
[ $? = 0 ] && grep -q "^SERIAL" "$O" && grep -q "$A1.*revoked" "$O" && [ "$(grep -c dev-a "$O")" = 2 ] &&
    pass "bsctl cert list --endpoint: a table of its 2" || { fail "bsctl cert list"; show "$O"; show "$E"; }
BSD_API_TOKEN=$VIEW run cert list --status revoked --json
[ $? = 0 ] && jtrue "$O" 'len(d["items"]) == 2' && pass "bsctl --json cert list --status revoked" || { fail "cert list --json"; show "$O"; }
BSD_API_TOKEN=$VIEW run cert list --endpoint dev-page --limit 3
[ $? = 0 ] && [ "$(grep -c dev-page "$O")" = 3 ] && pass "bsctl cert list --limit 3" || { fail "cert list --limit"; show "$O"; }
BSD_API_TOKEN=$VIEW run cert list --endpoint dev-page
[ $? = 0 ] && [ "$(grep -c dev-page "$O")" = 7 ] && pass "bsctl cert list: all pages" || { fail "cert list all"; show "$O"; }
BSD_API_TOKEN=$VIEW run cert show "$B1"
[ $? = 0 ] && grep -Eq "^endpoint: +dev-b$" "$O" && ! grep -q BEGIN "$O" && pass "bsctl cert show: key: value lines" ||
    { fail "bsctl cert show"; show "$O"; }
BSD_API_TOKEN=$VIEW run cert show "$B1" --pem
[ $? = 0 ] && openssl x509 -in "$O" -outform DER 2>/dev/null | cmp -s - "$W/cert-$B1.der" && pass "bsctl cert show --pem" ||
    { fail "bsctl cert show --pem"; show "$E"; }
BSD_API_TOKEN=$VIEW run cert revoke "$B1"
[ $? = 1 ] && grep -q "forbidden, HTTP 403" "$E" && pass "bsctl cert revoke as viewer: 403, exit 1" || { fail "viewer revoke"; show "$E"; }
BSD_API_TOKEN=$OPER run cert revoke "$B1" --reason superseded
[ $? = 0 ] && grep -q "^certificate $B1 of dev-b revoked (superseded)$" "$O" && pass "bsctl cert revoke --reason superseded" ||
    { fail "bsctl cert revoke"; show "$O"; show "$E"; }
BSD_API_TOKEN=$OPER run cert revoke "$B1"
[ $? = 1 ] && grep -q "conflict, HTTP 409" "$E" && pass "... again: 409, exit 1" || { fail "revoke twice"; show "$E"; }
if [ $EST = 1 ]; then
    BSD_API_TOKEN=$VIEW run ca cert
    [ $? = 0 ] && openssl x509 -in "$O" -outform DER 2>/dev/null | cmp -s - <(openssl x509 -in "$W/ca.pem" -outform DER) &&
        pass "bsctl ca cert > ca.pem" || { fail "bsctl ca cert"; show "$E"; }
    BSD_API_TOKEN=$VIEW run ca crl
    [ $? = 0 ] && openssl crl -inform DER -in "$O" -CAfile "$W/ca.pem" -noout -text 2>&1 | grep -q "Serial Number: $(echo "$B1" | tr a-f A-F)" &&
        pass "bsctl ca crl > crl.der: lists the certificate just revoked" || { fail "bsctl ca crl"; show "$E"; }
    BSD_API_TOKEN=$VIEW run ca crl --pem
    [ $? = 0 ] && openssl crl -in "$O" -CAfile "$W/ca.pem" -noout 2>&1 | grep -q "verify OK" && pass "bsctl ca crl --pem" ||
        { fail "bsctl ca crl --pem"; show "$E"; }
fi

# ---- bsctl on the database (local maintenance mode) ---------------------------------------------
"$BSCTL" --db "$T_DB_URL" cert list --status valid --endpoint dev-k >"$O" 2>"$E"
[ $? = 0 ] && grep -q "$K1.*bootstrap.*valid" "$O" && pass "bsctl --db cert list" || { fail "local cert list"; show "$O"; show "$E"; }
"$BSCTL" --db "$T_DB_URL" cert show "$K1" --json >"$O" 2>"$E"
[ $? = 0 ] && jtrue "$O" 'd["kind"] == "bootstrap" and d["csr_sha256"]' && pass "bsctl --db cert show --json" || { fail "local show"; show "$O"; }
"$BSCTL" --db "$T_DB_URL" cert revoke "$K1" --reason cessationOfOperation >"$O" 2>"$E"
[ $? = 0 ] && grep -q "^certificate $K1 revoked (cessationOfOperation)$" "$O" && pass "bsctl --db cert revoke" ||
    { fail "local revoke"; show "$O"; show "$E"; }
test "$(sql "SELECT actor FROM audit WHERE object = 'certificate:$K1'")" = "$(sql "SELECT revoked_by FROM certificates WHERE serial = '\\x$K1'")" &&
    sql "SELECT actor FROM audit WHERE object = 'certificate:$K1'" | grep -q '^bsctl:' &&
    pass "... audited as bsctl:<user>, the same actor stored" || fail "local revoke audit"
"$BSCTL" --db "$T_DB_URL" cert revoke "$K1" >"$O" 2>"$E"
[ $? = 1 ] && grep -q "already revoked" "$E" && pass "... again: already revoked, exit 1" || { fail "local revoke twice"; show "$E"; }
"$BSCTL" --db "$T_DB_URL" cert revoke "$K1" --reason nope >"$O" 2>"$E"
[ $? = 2 ] && pass "... an unknown reason is a usage error" || fail "local bad reason"
"$BSCTL" --db "$T_DB_URL" ca crl >"$O" 2>"$E"
[ $? = 2 ] && grep -q "needs the REST API" "$E" && pass "bsctl --db ca crl: needs the API" || { fail "local ca crl"; show "$E"; }

# ---- a daemon without a CA ------------------------------------------------------------------------
if [ $EST = 1 ]; then
    t_stop_daemon
    api_start_daemon || { t_done; exit 1; }
fi
expect "/ca/certificate without a CA" 404 GET /api/v1/ca/certificate "$VIEW"
jtrue "$B" 'd["code"] == "not_found" and "est.ca_cert" in d["message"]' && pass "... says the CA is not configured" || { fail "404 message"; show "$B"; }
expect "/ca/crl without a CA" 404 GET /api/v1/ca/crl "$VIEW"
expect "... the certificates are still listed" 200 GET "/api/v1/certificates?status=revoked" "$VIEW"
"$BSCTL" --server "$H" --token "$VIEW" ca crl >"$O" 2>"$E"
[ $? = 1 ] && grep -q "not_found, HTTP 404" "$E" && pass "bsctl ca crl without a CA: 404, exit 1" || { fail "bsctl ca crl 404"; show "$E"; }

# ---- PostgreSQL down -------------------------------------------------------------------------------
echo "\\q" >&7
exec 7>&-
wait "$LPID" 2>/dev/null
t_pg_stop
expect "list while PostgreSQL is down" 503 GET /api/v1/certificates "$ADMIN"
t_done
