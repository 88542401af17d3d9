/*
 * test_policy.c — YAML provisioning policies (bsd/policy): every refusal
 * with its exact "file:line:column: message", compiled plans asserted op by
 * op and record by record, `${...}` substitution, credential derivation
 * (HKDF-SHA-256 stability and separation; P-256 pairs checked by signing
 * with the derived private key and verifying with the derived public key),
 * selection, the dry run through the real engine for a Wakaama-like
 * (/0/0) and an Anjay-like (/0/1) client, redaction, and the examples in
 * examples/policies/.
 */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/asn_public.h>
#include <wolfssl/wolfcrypt/ecc.h>
#include <wolfssl/wolfcrypt/random.h>
#include <wolfssl/wolfcrypt/sha256.h>

#include "bsd/lwm2m/bs_session.h"
#include "bsd/lwm2m/unboot.h"
#include "bsd/policy/policy.h"

typedef struct {
    const char *doc, *msg;
} bad_t;

static const bad_t bad[] = {
    /* unknown top key */
    {"policy: p\n"
     "match:\n"
     "  endpoint: \"*\"\n"
     "servers:\n"
     "  - ssid: 101\n"
     "    uri: \"coaps://h.example:5684\"\n"
     "    security:\n"
     "      mode: psk\n"
     "      psk_key: generate\n"
     "on_eror: stop\n"
     "",
     "t.yaml:10:1: unknown key \"on_eror\" in a policy; valid keys: policy, description, priority, match, "
     "format, on_error, timeout, delete, servers, oscore, acls, objects, bootstrap, est, unbootstrap"},
    /* missing policy */
    {"match:\n"
     "  endpoint: \"*\"\n"
     "servers:\n"
     "  - ssid: 101\n"
     "    uri: \"coaps://h.example:5684\"\n"
     "    security:\n"
     "      mode: psk\n"
     "      psk_key: generate\n"
     "",
     "t.yaml:1:1: a policy needs \"policy\""},
    /* missing match */
    {"policy: p\n"
     "servers:\n"
     "  - ssid: 101\n"
     "    uri: \"coaps://h.example:5684\"\n"
     "    security:\n"
     "      mode: psk\n"
     "      psk_key: generate\n"
     "",
     "t.yaml:1:1: a policy needs \"match\""},
    /* empty match */
    {"policy: p\n"
     "match: {}\n"
     "servers:\n"
     "  - ssid: 101\n"
     "    uri: \"coaps://h.example:5684\"\n"
     "    security:\n"
     "      mode: psk\n"
     "      psk_key: generate\n"
     "",
     "t.yaml:2:8: match needs endpoint, endpoint_regex or labels (use endpoint: \"*\" for all)"},
    /* glob and regex */
    {"policy: p\n"
     "match:\n"
     "  endpoint: \"*\"\n"
     "  endpoint_regex: \"a.*\"\n"
     "servers:\n"
     "  - ssid: 101\n"
     "    uri: \"coaps://h.example:5684\"\n"
     "    security:\n"
     "      mode: psk\n"
     "      psk_key: generate\n"
     "",
     "t.yaml:4:19: match takes endpoint or endpoint_regex, not both"},
    /* bad regex */
    {"policy: p\n"
     "match:\n"
     "  endpoint_regex: \"a(b\"\n"
     "servers:\n"
     "  - ssid: 101\n"
     "    uri: \"coaps://h.example:5684\"\n"
     "    security:\n"
     "      mode: psk\n"
     "      psk_key: generate\n"
     "",
     "t.yaml:3:19: match.endpoint_regex \"a(b\": Unmatched ( or \\("},
    /* bad label name */
    {"policy: p\n"
     "match:\n"
     "  labels: {\"li ne\": A}\n"
     "servers:\n"
     "  - ssid: 101\n"
     "    uri: \"coaps://h.example:5684\"\n"
     "    security:\n"
     "      mode: psk\n"
     "      psk_key: generate\n"
     "",
     "t.yaml:3:12: label names are 1..63 bytes of A-Z a-z 0-9 _ - ., not \"li ne\""},
    /* ssid zero */
    {"policy: p\n"
     "match:\n"
     "  endpoint: \"*\"\n"
     "servers:\n"
     "  - ssid: 0\n"
     "    uri: \"coaps://h.example:5684\"\n"
     "    security:\n"
     "      mode: psk\n"
     "      psk_key: generate\n"
     "",
     "t.yaml:5:11: ssid must be in 1..65534"},
    /* ssid 65535 */
    {"policy: p\n"
     "match:\n"
     "  endpoint: \"*\"\n"
     "servers:\n"
     "  - ssid: 65535\n"
     "    uri: \"coaps://h.example:5684\"\n"
     "    security:\n"
     "      mode: psk\n"
     "      psk_key: generate\n"
     "",
     "t.yaml:5:11: ssid must be in 1..65534"},
    /* ssid string */
    {"policy: p\n"
     "match:\n"
     "  endpoint: \"*\"\n"
     "servers:\n"
     "  - ssid: \"101\"\n"
     "    uri: \"coaps://h.example:5684\"\n"
     "    security:\n"
     "      mode: psk\n"
     "      psk_key: generate\n"
     "",
     "t.yaml:5:11: ssid must be an integer, not \"101\""},
    /* dup ssid */
    {"policy: p\n"
     "match:\n"
     "  endpoint: \"*\"\n"
     "servers:\n"
     "  - ssid: 101\n"
     "    uri: \"coaps://h.example:5684\"\n"
     "    security:\n"
     "      mode: psk\n"
     "      psk_key: generate\n"
     "  - ssid: 101\n"
     "    uri: \"coaps://h2.example:5684\"\n"
     "    security: {mode: psk, psk_key: generate}\n"
     "",
     "t.yaml:10:11: ssid 101 is used by two servers"},
    /* bad scheme */
    {"policy: p\n"
     "match:\n"
     "  endpoint: \"*\"\n"
     "servers:\n"
     "  - ssid: 101\n"
     "    uri: \"http://h.example\"\n"
     "    security:\n"
     "      mode: psk\n"
     "      psk_key: generate\n"
     "",
     "t.yaml:6:10: uri \"http://h.example\": the scheme must be coap, coaps, coap+tcp or coaps+tcp"},
    /* no host */
    {"policy: p\n"
     "match:\n"
     "  endpoint: \"*\"\n"
     "servers:\n"
     "  - ssid: 101\n"
     "    uri: \"coaps://:5684\"\n"
     "    security:\n"
     "      mode: psk\n"
     "      psk_key: generate\n"
     "",
     "t.yaml:6:10: uri \"coaps://:5684\": the host is missing"},
    /* bad port */
    {"policy: p\n"
     "match:\n"
     "  endpoint: \"*\"\n"
     "servers:\n"
     "  - ssid: 101\n"
     "    uri: \"coaps://h.example:70000\"\n"
     "    security:\n"
     "      mode: psk\n"
     "      psk_key: generate\n"
     "",
     "t.yaml:6:10: uri \"coaps://h.example:70000\": the port must be 1..65535"},
    /* query */
    {"policy: p\n"
     "match:\n"
     "  endpoint: \"*\"\n"
     "servers:\n"
     "  - ssid: 101\n"
     "    uri: \"coaps://h.example:5684/x?y=1\"\n"
     "    security:\n"
     "      mode: psk\n"
     "      psk_key: generate\n"
     "",
     "t.yaml:6:10: uri \"coaps://h.example:5684/x?y=1\": the path may not hold spaces, a query or a "
     "fragment"},
    /* psk needs coaps */
    {"policy: p\n"
     "match:\n"
     "  endpoint: \"*\"\n"
     "servers:\n"
     "  - ssid: 101\n"
     "    uri: \"coap://h.example:5683\"\n"
     "    security:\n"
     "      mode: psk\n"
     "      psk_key: generate\n"
     "",
     "t.yaml:6:10: mode psk needs a coaps:// or coaps+tcp:// uri"},
    /* nosec with coaps */
    {"policy: p\n"
     "match:\n"
     "  endpoint: \"*\"\n"
     "servers:\n"
     "  - ssid: 101\n"
     "    uri: \"coaps://h.example:5684\"\n"
     "    security:\n"
     "      mode: nosec\n"
     "",
     "t.yaml:6:10: mode nosec needs a coap:// or coap+tcp:// uri, not coaps"},
    /* nosec with key */
    {"policy: p\n"
     "match:\n"
     "  endpoint: \"*\"\n"
     "servers:\n"
     "  - ssid: 101\n"
     "    uri: \"coap://h.example:5684\"\n"
     "    security:\n"
     "      mode: nosec\n"
     "      psk_key: generate\n"
     "",
     "t.yaml:9:7: psk_key does not apply to mode nosec"},
    /* bad mode */
    {"policy: p\n"
     "match:\n"
     "  endpoint: \"*\"\n"
     "servers:\n"
     "  - ssid: 101\n"
     "    uri: \"coaps://h.example:5684\"\n"
     "    security:\n"
     "      mode: tls\n"
     "      psk_key: generate\n"
     "",
     "t.yaml:8:13: security.mode must be psk, rpk, x509, nosec or est, not \"tls\""},
    /* psk without key */
    {"policy: p\n"
     "match:\n"
     "  endpoint: \"*\"\n"
     "servers:\n"
     "  - ssid: 101\n"
     "    uri: \"coaps://h.example:5684\"\n"
     "    security:\n"
     "      mode: psk\n"
     "",
     "t.yaml:8:7: security with mode psk needs \"psk_key\""},
    /* literal psk */
    {"policy: p\n"
     "match:\n"
     "  endpoint: \"*\"\n"
     "servers:\n"
     "  - ssid: 101\n"
     "    uri: \"coaps://h.example:5684\"\n"
     "    security:\n"
     "      mode: psk\n"
     "      psk_key: \"secret123\"\n"
     "",
     "t.yaml:9:16: psk_key: a secret written in the policy would be shared by every device it matches; use "
     "generate or {from: device}"},
    /* literal hex psk */
    {"policy: p\n"
     "match:\n"
     "  endpoint: \"*\"\n"
     "servers:\n"
     "  - ssid: 101\n"
     "    uri: \"coaps://h.example:5684\"\n"
     "    security:\n"
     "      mode: psk\n"
     "      psk_key: {hex: 00112233445566778899aabbccddeeff}\n"
     "",
     "t.yaml:9:16: psk_key: a secret written in the policy would be shared by every device it matches; use "
     "generate or {from: device}"},
    /* psk too short */
    {"policy: p\n"
     "match:\n"
     "  endpoint: \"*\"\n"
     "servers:\n"
     "  - ssid: 101\n"
     "    uri: \"coaps://h.example:5684\"\n"
     "    security:\n"
     "      mode: psk\n"
     "      psk_key: {generate: 8}\n"
     "",
     "t.yaml:9:27: generate must be in 16..64"},
    /* psk too long */
    {"policy: p\n"
     "match:\n"
     "  endpoint: \"*\"\n"
     "servers:\n"
     "  - ssid: 101\n"
     "    uri: \"coaps://h.example:5684\"\n"
     "    security:\n"
     "      mode: psk\n"
     "      psk_key: {generate: 65}\n"
     "",
     "t.yaml:9:27: generate must be in 16..64"},
    /* from server */
    {"policy: p\n"
     "match:\n"
     "  endpoint: \"*\"\n"
     "servers:\n"
     "  - ssid: 101\n"
     "    uri: \"coaps://h.example:5684\"\n"
     "    security:\n"
     "      mode: psk\n"
     "      psk_key: {from: server}\n"
     "",
     "t.yaml:9:23: psk_key: `from` must be device, not \"server\""},
    /* identity too long */
    {"policy: p\n"
     "match:\n"
     "  endpoint: \"*\"\n"
     "servers:\n"
     "  - ssid: 101\n"
     "    uri: \"coaps://h.example:5684\"\n"
     "    security:\n"
     "      mode: psk\n"
     "      psk_key: generate\n"
     "      psk_identity: "
     "\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
     "xxxxxxxxxxxxxxxxxxxxxxxxxxxx\"\n"
     "",
     "t.yaml:10:21: psk_identity is 129 bytes; at most 128"},
    /* unknown var */
    {"policy: p\n"
     "match:\n"
     "  endpoint: \"*\"\n"
     "servers:\n"
     "  - ssid: 101\n"
     "    uri: \"coaps://h.example:5684\"\n"
     "    security:\n"
     "      mode: psk\n"
     "      psk_key: generate\n"
     "      psk_identity: \"${endpiont}\"\n"
     "",
     "t.yaml:10:21: unknown variable \"${endpiont}\"; valid: ${endpoint}, ${serial}, ${label.NAME}"},
    /* unterminated var */
    {"policy: p\n"
     "match:\n"
     "  endpoint: \"*\"\n"
     "servers:\n"
     "  - ssid: 101\n"
     "    uri: \"coaps://h.example:5684\"\n"
     "    security:\n"
     "      mode: psk\n"
     "      psk_key: generate\n"
     "      psk_identity: \"dev-${serial\"\n"
     "",
     "t.yaml:10:21: unknown variable \"${serial\"; valid: ${endpoint}, ${serial}, ${label.NAME}"},
    /* rpk no server key */
    {"policy: p\n"
     "match:\n"
     "  endpoint: \"*\"\n"
     "servers:\n"
     "  - ssid: 101\n"
     "    uri: \"coaps://h.example:5684\"\n"
     "    security:\n"
     "      mode: rpk\n"
     "      client_key: generate\n"
     "",
     "t.yaml:8:7: security with mode rpk (the server's key for /0/x/4) needs \"server_public_key\""},
    /* rpk bad pem */
    {"policy: p\n"
     "match:\n"
     "  endpoint: \"*\"\n"
     "servers:\n"
     "  - ssid: 101\n"
     "    uri: \"coaps://h.example:5684\"\n"
     "    security:\n"
     "      mode: rpk\n"
     "      client_key: generate\n"
     "      server_public_key: \"-----BEGIN PUBLIC KEY-----\\nAAAA\\n-----END PUBLIC KEY-----\\n\"\n"
     "",
     "t.yaml:10:26: server_public_key: PEM block is not a DER SubjectPublicKeyInfo"},
    /* rpk literal private */
    {"policy: p\n"
     "match:\n"
     "  endpoint: \"*\"\n"
     "servers:\n"
     "  - ssid: 101\n"
     "    uri: \"coaps://h.example:5684\"\n"
     "    security:\n"
     "      mode: rpk\n"
     "      client_key: {base64: AAAA}\n"
     "      server_public_key: {hex: 00}\n"
     "",
     "t.yaml:9:19: client_key: a secret written in the policy would be shared by every device it matches; "
     "use generate or {from: device}"},
    /* rpk sized generate */
    {"policy: p\n"
     "match:\n"
     "  endpoint: \"*\"\n"
     "servers:\n"
     "  - ssid: 101\n"
     "    uri: \"coaps://h.example:5684\"\n"
     "    security:\n"
     "      mode: rpk\n"
     "      client_key: {generate: 32}\n"
     "",
     "t.yaml:9:30: client_key: write `generate` (the key size is fixed)"},
    /* x509 generate */
    {"policy: p\n"
     "match:\n"
     "  endpoint: \"*\"\n"
     "servers:\n"
     "  - ssid: 101\n"
     "    uri: \"coaps://h.example:5684\"\n"
     "    security:\n"
     "      mode: x509\n"
     "      client_certificate: {from: device}\n"
     "      client_key: generate\n"
     "",
     "t.yaml:10:19: client_key: generate needs client_certificate: issue "
     "(a certificate from the device cannot carry a key generated here)"},
    /* psk key in rpk */
    {"policy: p\n"
     "match:\n"
     "  endpoint: \"*\"\n"
     "servers:\n"
     "  - ssid: 101\n"
     "    uri: \"coaps://h.example:5684\"\n"
     "    security:\n"
     "      mode: rpk\n"
     "      psk_key: generate\n"
     "",
     "t.yaml:9:7: psk_key does not apply to mode rpk"},
    /* est no cert */
    {"policy: p\n"
     "match:\n"
     "  endpoint: \"*\"\n"
     "servers:\n"
     "  - ssid: 101\n"
     "    uri: \"coaps://h.example:5684\"\n"
     "    security:\n"
     "      mode: est\n"
     "",
     "t.yaml:8:7: security with mode est (the EST/DTLS server's certificate for /0/x/4) needs "
     "\"server_certificate\""},
    /* cert usage range */
    {"policy: p\n"
     "match:\n"
     "  endpoint: \"*\"\n"
     "servers:\n"
     "  - ssid: 101\n"
     "    uri: \"coaps://h.example:5684\"\n"
     "    security:\n"
     "      mode: est\n"
     "      certificate_usage: 4\n"
     "      server_certificate: {hex: 3000}\n"
     "",
     "t.yaml:9:26: certificate_usage must be in 0..3"},
    /* suite range */
    {"policy: p\n"
     "match:\n"
     "  endpoint: \"*\"\n"
     "servers:\n"
     "  - ssid: 101\n"
     "    uri: \"coaps://h.example:5684\"\n"
     "    security:\n"
     "      mode: psk\n"
     "      psk_key: generate\n"
     "      ciphersuites: [0]\n"
     "",
     "t.yaml:10:22: a ciphersuite (IANA TLS number) must be in 1..65535"},
    /* suite dup */
    {"policy: p\n"
     "match:\n"
     "  endpoint: \"*\"\n"
     "servers:\n"
     "  - ssid: 101\n"
     "    uri: \"coaps://h.example:5684\"\n"
     "    security:\n"
     "      mode: psk\n"
     "      psk_key: generate\n"
     "      ciphersuites: [49320, 49320]\n"
     "",
     "t.yaml:10:29: ciphersuite 49320 is listed twice"},
    /* sni ip bad */
    {"policy: p\n"
     "match:\n"
     "  endpoint: \"*\"\n"
     "servers:\n"
     "  - ssid: 101\n"
     "    uri: \"coaps://h.example:5684\"\n"
     "    security:\n"
     "      mode: psk\n"
     "      psk_key: generate\n"
     "      sni: \"a b\"\n"
     "",
     "t.yaml:10:12: sni must be a DNS host name, not \"a b\""},
    /* unknown security key */
    {"policy: p\n"
     "match:\n"
     "  endpoint: \"*\"\n"
     "servers:\n"
     "  - ssid: 101\n"
     "    uri: \"coaps://h.example:5684\"\n"
     "    security:\n"
     "      mode: psk\n"
     "      psk_key: generate\n"
     "      psk_ident: x\n"
     "",
     "t.yaml:10:7: unknown key \"psk_ident\" in security; valid keys: mode, psk_identity, psk_key, "
     "client_key, client_certificate, server_public_key, server_certificate, certificate_usage, sni, "
     "ciphersuites, oscore, rotation, written_mode"},
    /* binding bad */
    {"policy: p\n"
     "match:\n"
     "  endpoint: \"*\"\n"
     "servers:\n"
     "  - ssid: 101\n"
     "    uri: \"coaps://h.example:5684\"\n"
     "    security:\n"
     "      mode: psk\n"
     "      psk_key: generate\n"
     "    binding: X\n"
     "",
     "t.yaml:10:14: binding may only hold U, T, S, N, Q, not \"X\""},
    /* lifetime zero */
    {"policy: p\n"
     "match:\n"
     "  endpoint: \"*\"\n"
     "servers:\n"
     "  - ssid: 101\n"
     "    uri: \"coaps://h.example:5684\"\n"
     "    security:\n"
     "      mode: psk\n"
     "      psk_key: generate\n"
     "    lifetime: 0\n"
     "",
     "t.yaml:10:15: lifetime must be in 1..2147483647"},
    /* min max */
    {"policy: p\n"
     "match:\n"
     "  endpoint: \"*\"\n"
     "servers:\n"
     "  - ssid: 101\n"
     "    uri: \"coaps://h.example:5684\"\n"
     "    security:\n"
     "      mode: psk\n"
     "      psk_key: generate\n"
     "    min_period: 10\n"
     "    max_period: 5\n"
     "",
     "t.yaml:11:17: max_period (5) is below min_period (10)"},
    /* server res forbidden */
    {"policy: p\n"
     "match:\n"
     "  endpoint: \"*\"\n"
     "servers:\n"
     "  - ssid: 101\n"
     "    uri: \"coaps://h.example:5684\"\n"
     "    security:\n"
     "      mode: psk\n"
     "      psk_key: generate\n"
     "    resources: {1: 5}\n"
     "",
     "t.yaml:10:17: resource 1 is set by lifetime"},
    /* server res exec */
    {"policy: p\n"
     "match:\n"
     "  endpoint: \"*\"\n"
     "servers:\n"
     "  - ssid: 101\n"
     "    uri: \"coaps://h.example:5684\"\n"
     "    security:\n"
     "      mode: psk\n"
     "      psk_key: generate\n"
     "    resources: {8: 1}\n"
     "",
     "t.yaml:10:17: resource 8 (Registration Update Trigger) is executable; it cannot be written"},
    /* server res type */
    {"policy: p\n"
     "match:\n"
     "  endpoint: \"*\"\n"
     "servers:\n"
     "  - ssid: 101\n"
     "    uri: \"coaps://h.example:5684\"\n"
     "    security:\n"
     "      mode: psk\n"
     "      psk_key: generate\n"
     "    resources: {23: 5}\n"
     "",
     "t.yaml:10:21: the value must be true or false, not \"5\""},
    /* server res unknown */
    {"policy: p\n"
     "match:\n"
     "  endpoint: \"*\"\n"
     "servers:\n"
     "  - ssid: 101\n"
     "    uri: \"coaps://h.example:5684\"\n"
     "    security:\n"
     "      mode: psk\n"
     "      psk_key: generate\n"
     "    resources: {99: 5}\n"
     "",
     "t.yaml:10:17: object 1 has no resource 99"},
    /* oscore undefined */
    {"policy: p\n"
     "match:\n"
     "  endpoint: \"*\"\n"
     "servers:\n"
     "  - ssid: 101\n"
     "    uri: \"coap://h.example:5684\"\n"
     "    security:\n"
     "      mode: nosec\n"
     "      oscore: nope\n"
     "",
     "t.yaml:9:15: oscore \"nope\" is not defined under oscore:"},
    /* oscore unused */
    {"policy: p\n"
     "match:\n"
     "  endpoint: \"*\"\n"
     "servers:\n"
     "  - ssid: 101\n"
     "    uri: \"coaps://h.example:5684\"\n"
     "    security:\n"
     "      mode: psk\n"
     "      psk_key: generate\n"
     "oscore:\n"
     "  - {name: a, master_secret: generate, sender_id: c, recipient_id: s}\n"
     "",
     "t.yaml:11:12: oscore \"a\" is not used by any server"},
    /* oscore literal */
    {"policy: p\n"
     "match:\n"
     "  endpoint: \"*\"\n"
     "servers:\n"
     "  - ssid: 101\n"
     "    uri: \"coaps://h.example:5684\"\n"
     "    security:\n"
     "      mode: psk\n"
     "      psk_key: generate\n"
     "oscore:\n"
     "  - {name: a, master_secret: abc, sender_id: c, recipient_id: s}\n"
     "",
     "t.yaml:11:30: master_secret: a secret written in the policy would be shared by every device it "
     "matches; use generate or {from: device}"},
    /* oscore id long */
    {"policy: p\n"
     "match:\n"
     "  endpoint: \"*\"\n"
     "servers:\n"
     "  - ssid: 101\n"
     "    uri: \"coaps://h.example:5684\"\n"
     "    security:\n"
     "      mode: psk\n"
     "      psk_key: generate\n"
     "oscore:\n"
     "  - {name: a, master_secret: generate, sender_id: c12345678, recipient_id: s}\n"
     "",
     "t.yaml:11:51: sender_id must be 0..7 printable ASCII characters"},
    /* oscore same ids */
    {"policy: p\n"
     "match:\n"
     "  endpoint: \"*\"\n"
     "servers:\n"
     "  - ssid: 101\n"
     "    uri: \"coaps://h.example:5684\"\n"
     "    security:\n"
     "      mode: psk\n"
     "      psk_key: generate\n"
     "oscore:\n"
     "  - {name: a, master_secret: generate, sender_id: c, recipient_id: c}\n"
     "",
     "t.yaml:11:68: sender_id and recipient_id must differ"},
    /* acl bad owner */
    {"policy: p\n"
     "match:\n"
     "  endpoint: \"*\"\n"
     "servers:\n"
     "  - ssid: 101\n"
     "    uri: \"coaps://h.example:5684\"\n"
     "    security:\n"
     "      mode: psk\n"
     "      psk_key: generate\n"
     "acls:\n"
     "  - {target: /3/0, owner: 7, rights: {101: R}}\n"
     "",
     "t.yaml:11:27: owner 7 is not the ssid of a server in this policy"},
    /* acl bad rights */
    {"policy: p\n"
     "match:\n"
     "  endpoint: \"*\"\n"
     "servers:\n"
     "  - ssid: 101\n"
     "    uri: \"coaps://h.example:5684\"\n"
     "    security:\n"
     "      mode: psk\n"
     "      psk_key: generate\n"
     "acls:\n"
     "  - {target: /3/0, owner: 101, rights: {101: RX}}\n"
     "",
     "t.yaml:11:46: rights are letters of RWEDC (Read, Write, Execute, Delete, Create), not \"RX\""},
    /* acl create on inst */
    {"policy: p\n"
     "match:\n"
     "  endpoint: \"*\"\n"
     "servers:\n"
     "  - ssid: 101\n"
     "    uri: \"coaps://h.example:5684\"\n"
     "    security:\n"
     "      mode: psk\n"
     "      psk_key: generate\n"
     "acls:\n"
     "  - {target: /3/0, owner: 101, rights: {101: RC}}\n"
     "",
     "t.yaml:11:46: C (Create) is granted by an object-level ACL (target /O), not on an instance"},
    /* acl obj level W */
    {"policy: p\n"
     "match:\n"
     "  endpoint: \"*\"\n"
     "servers:\n"
     "  - ssid: 101\n"
     "    uri: \"coaps://h.example:5684\"\n"
     "    security:\n"
     "      mode: psk\n"
     "      psk_key: generate\n"
     "acls:\n"
     "  - {target: /3, owner: 101, rights: {101: W}}\n"
     "",
     "t.yaml:11:44: an object-level ACL (target /O) only grants C (Create), not \"W\""},
    /* acl sec */
    {"policy: p\n"
     "match:\n"
     "  endpoint: \"*\"\n"
     "servers:\n"
     "  - ssid: 101\n"
     "    uri: \"coaps://h.example:5684\"\n"
     "    security:\n"
     "      mode: psk\n"
     "      psk_key: generate\n"
     "acls:\n"
     "  - {target: /0/1, owner: 101, rights: {101: R}}\n"
     "",
     "t.yaml:11:14: objects 0, 2 and 21 have no Access Control instances"},
    /* acl unknown ssid */
    {"policy: p\n"
     "match:\n"
     "  endpoint: \"*\"\n"
     "servers:\n"
     "  - ssid: 101\n"
     "    uri: \"coaps://h.example:5684\"\n"
     "    security:\n"
     "      mode: psk\n"
     "      psk_key: generate\n"
     "acls:\n"
     "  - {target: /3/0, owner: 101, rights: {102: R}}\n"
     "",
     "t.yaml:11:41: ssid 102 is not the ssid of a server in this policy"},
    /* acl dup target */
    {"policy: p\n"
     "match:\n"
     "  endpoint: \"*\"\n"
     "servers:\n"
     "  - ssid: 101\n"
     "    uri: \"coaps://h.example:5684\"\n"
     "    security:\n"
     "      mode: psk\n"
     "      psk_key: generate\n"
     "acls:\n"
     "  - {target: /3/0, owner: 101, default: R}\n"
     "  - {target: /3/0, owner: 101, default: R}\n"
     "",
     "t.yaml:12:14: target \"/3/0\" has two acls"},
    /* acl empty */
    {"policy: p\n"
     "match:\n"
     "  endpoint: \"*\"\n"
     "servers:\n"
     "  - ssid: 101\n"
     "    uri: \"coaps://h.example:5684\"\n"
     "    security:\n"
     "      mode: psk\n"
     "      psk_key: generate\n"
     "acls:\n"
     "  - {target: /3/0, owner: 101}\n"
     "",
     "t.yaml:11:5: an acl needs rights or default"},
    /* object sec */
    {"policy: p\n"
     "match:\n"
     "  endpoint: \"*\"\n"
     "servers:\n"
     "  - ssid: 101\n"
     "    uri: \"coaps://h.example:5684\"\n"
     "    security:\n"
     "      mode: psk\n"
     "      psk_key: generate\n"
     "objects:\n"
     "  - {path: /0/5, values: {0: x}}\n"
     "",
     "t.yaml:11:12: object 0 is written by servers:"},
    /* object bad path */
    {"policy: p\n"
     "match:\n"
     "  endpoint: \"*\"\n"
     "servers:\n"
     "  - ssid: 101\n"
     "    uri: \"coaps://h.example:5684\"\n"
     "    security:\n"
     "      mode: psk\n"
     "      psk_key: generate\n"
     "objects:\n"
     "  - {path: /11, values: {0: x}}\n"
     "",
     "t.yaml:11:12: path: \"/11\" must be /O/I"},
    /* object bad rid */
    {"policy: p\n"
     "match:\n"
     "  endpoint: \"*\"\n"
     "servers:\n"
     "  - ssid: 101\n"
     "    uri: \"coaps://h.example:5684\"\n"
     "    security:\n"
     "      mode: psk\n"
     "      psk_key: generate\n"
     "objects:\n"
     "  - {path: /11/0, values: {x: 1}}\n"
     "",
     "t.yaml:11:28: resource IDs are integers 0..65534, not \"x\""},
    /* object bad hex */
    {"policy: p\n"
     "match:\n"
     "  endpoint: \"*\"\n"
     "servers:\n"
     "  - ssid: 101\n"
     "    uri: \"coaps://h.example:5684\"\n"
     "    security:\n"
     "      mode: psk\n"
     "      psk_key: generate\n"
     "objects:\n"
     "  - {path: /11/0, values: {0: {hex: abc}}}\n"
     "",
     "t.yaml:11:37: hex needs an even number of digits"},
    /* delete bad */
    {"policy: p\n"
     "match:\n"
     "  endpoint: \"*\"\n"
     "servers:\n"
     "  - ssid: 101\n"
     "    uri: \"coaps://h.example:5684\"\n"
     "    security:\n"
     "      mode: psk\n"
     "      psk_key: generate\n"
     "delete: [\"/0/1/2\"]\n"
     "",
     "t.yaml:10:10: delete: \"/0/1/2\" must be / .. /O/I"},
    /* delete dup */
    {"policy: p\n"
     "match:\n"
     "  endpoint: \"*\"\n"
     "servers:\n"
     "  - ssid: 101\n"
     "    uri: \"coaps://h.example:5684\"\n"
     "    security:\n"
     "      mode: psk\n"
     "      psk_key: generate\n"
     "delete: [\"/0\", \"/0\"]\n"
     "",
     "t.yaml:10:16: \"/0\" is deleted twice"},
    /* format bad */
    {"policy: p\n"
     "match:\n"
     "  endpoint: \"*\"\n"
     "servers:\n"
     "  - ssid: 101\n"
     "    uri: \"coaps://h.example:5684\"\n"
     "    security:\n"
     "      mode: psk\n"
     "      psk_key: generate\n"
     "format: json\n"
     "",
     "t.yaml:10:9: format must be auto, tlv, senml-json or senml-cbor, not \"json\""},
    /* on_error bad */
    {"policy: p\n"
     "match:\n"
     "  endpoint: \"*\"\n"
     "servers:\n"
     "  - ssid: 101\n"
     "    uri: \"coaps://h.example:5684\"\n"
     "    security:\n"
     "      mode: psk\n"
     "      psk_key: generate\n"
     "on_error: retry\n"
     "",
     "t.yaml:10:11: on_error must be continue or stop, not \"retry\""},
    /* unbootstrap bad */
    {"policy: p\n"
     "match:\n"
     "  endpoint: \"*\"\n"
     "servers:\n"
     "  - ssid: 101\n"
     "    uri: \"coaps://h.example:5684\"\n"
     "    security:\n"
     "      mode: psk\n"
     "      psk_key: generate\n"
     "unbootstrap: [all]\n"
     "",
     "t.yaml:10:14: unbootstrap must be written, exclusive or off, not \"a list\""},
    /* timeout big */
    {"policy: p\n"
     "match:\n"
     "  endpoint: \"*\"\n"
     "servers:\n"
     "  - ssid: 101\n"
     "    uri: \"coaps://h.example:5684\"\n"
     "    security:\n"
     "      mode: psk\n"
     "      psk_key: generate\n"
     "timeout: 300\n"
     "",
     "t.yaml:10:10: timeout must be in 1..240"},
    /* bs empty */
    {"policy: p\n"
     "match:\n"
     "  endpoint: \"*\"\n"
     "servers:\n"
     "  - ssid: 101\n"
     "    uri: \"coaps://h.example:5684\"\n"
     "    security:\n"
     "      mode: psk\n"
     "      psk_key: generate\n"
     "bootstrap: {}\n"
     "",
     "t.yaml:10:12: bootstrap needs client_hold_off, account_timeout or rotate"},
    /* bs rotate from device */
    {"policy: p\n"
     "match:\n"
     "  endpoint: \"*\"\n"
     "servers:\n"
     "  - ssid: 101\n"
     "    uri: \"coaps://h.example:5684\"\n"
     "    security:\n"
     "      mode: psk\n"
     "      psk_key: generate\n"
     "bootstrap:\n"
     "  rotate: {mode: psk, psk_key: {from: device}}\n"
     "",
     "t.yaml:11:32: a rotated bootstrap credential is generated by this server; {from: device} does not "
     "apply"},
    /* bs rotate x509 */
    {"policy: p\n"
     "match:\n"
     "  endpoint: \"*\"\n"
     "servers:\n"
     "  - ssid: 101\n"
     "    uri: \"coaps://h.example:5684\"\n"
     "    security:\n"
     "      mode: psk\n"
     "      psk_key: generate\n"
     "bootstrap:\n"
     "  rotate: {mode: x509}\n"
     "",
     "t.yaml:11:18: bootstrap.rotate.mode must be psk or rpk, not \"x509\""},
    /* nothing */
    {"policy: p\n"
     "match: {endpoint: \"*\"}\n"
     "",
     "t.yaml:1:1: the policy writes nothing: give servers, delete, acls, objects or bootstrap"},
    /* servers not list */
    {"policy: p\n"
     "match: {endpoint: \"*\"}\n"
     "servers: {ssid: 1}\n"
     "",
     "t.yaml:3:10: servers must be a list, not a mapping"},
    /* yaml dup key */
    {"policy: p\n"
     "match:\n"
     "  endpoint: \"*\"\n"
     "servers:\n"
     "  - ssid: 101\n"
     "    uri: \"coaps://h.example:5684\"\n"
     "    security:\n"
     "      mode: psk\n"
     "      psk_key: generate\n"
     "format: tlv\n"
     "format: tlv\n"
     "",
     "t.yaml:11:1: duplicate key \"format\" (first on line 10)"},
    /* yaml syntax */
    {"policy: [\n"
     "",
     "t.yaml:2:1: did not find expected node content (while parsing a flow node at line 2, column 1)"},
    /* yaml anchor */
    {"policy: p\n"
     "match:\n"
     "  endpoint: \"*\"\n"
     "servers:\n"
     "  - ssid: 101\n"
     "    uri: \"coaps://h.example:5684\"\n"
     "    security:\n"
     "      mode: psk\n"
     "      psk_key: generate\n"
     "x: &a 1\n"
     "",
     "t.yaml:10:4: anchors are not supported (&a)"},
    /* priority str */
    {"policy: p\n"
     "match:\n"
     "  endpoint: \"*\"\n"
     "servers:\n"
     "  - ssid: 101\n"
     "    uri: \"coaps://h.example:5684\"\n"
     "    security:\n"
     "      mode: psk\n"
     "      psk_key: generate\n"
     "priority: high\n"
     "",
     "t.yaml:10:11: priority must be an integer, not \"high\""},
    /* name space */
    {"policy: \"a b\"\n"
     "match:\n"
     "  endpoint: \"*\"\n"
     "servers:\n"
     "  - ssid: 101\n"
     "    uri: \"coaps://h.example:5684\"\n"
     "    security:\n"
     "      mode: psk\n"
     "      psk_key: generate\n"
     "",
     "t.yaml:1:9: policy names are printable ASCII without spaces"},
    /* label var unknown */
    {"policy: p\n"
     "match:\n"
     "  endpoint: \"*\"\n"
     "servers:\n"
     "  - ssid: 101\n"
     "    uri: \"coaps://h.example:5684\"\n"
     "    security:\n"
     "      mode: psk\n"
     "      psk_key: generate\n"
     "      psk_identity: \"${label.}\"\n"
     "",
     "t.yaml:10:21: unknown variable \"${label.}\"; valid: ${endpoint}, ${serial}, ${label.NAME}"},
};

START_TEST(refused)
{
    char err[POLICY_ERR_MAX];
    const bad_t *b = &bad[_i];
    policy_t *p = policy_parse("t.yaml", b->doc, strlen(b->doc), err, sizeof err);
    ck_assert_msg(p == NULL, "case %d parsed", _i);
    ck_assert_str_eq(err, b->msg);
}
END_TEST

/* ---- helpers ---- */

static policy_t *parse_ok(const char *doc)
{
    char err[POLICY_ERR_MAX];
    policy_t *p = policy_parse("t.yaml", doc, strlen(doc), err, sizeof err);
    ck_assert_msg(p != NULL, "%s", err);
    return p;
}

static const policy_label_t labels[] = {{"line", "A"}, {"site", "berlin"}};

static policy_device_t dev(const char *ep)
{
    policy_device_t d = {.endpoint = ep, .serial = "SN-0042", .labels = labels, .nlabels = 2};
    return d;
}

static policy_ctx_t ctx_of(uint8_t fill, uint32_t flags)
{
    policy_ctx_t c = {.version = 9, .flags = flags};
    memset(c.key, fill, sizeof c.key);
    return c;
}

static bs_plan_t plan;

static void compile_ok(const policy_t *p, const policy_device_t *d, const policy_ctx_t *c)
{
    char err[POLICY_ERR_MAX];
    int r = policy_compile(p, d, c, &plan, err, sizeof err);
    ck_assert_msg(r == 0, "%d %s", r, err);
}

static void op_is(size_t i, bs_op_kind_t k, const char *path, uint32_t nrecs)
{
    char buf[64];
    ck_assert_uint_lt(i, plan.nops);
    ck_assert_int_eq(plan.ops[i].kind, k);
    const lwm2m_path_t *pa = &plan.ops[i].path;
    if (pa->depth >= 2 && pa->inst >= BS_INST_SLOT_BASE && pa->inst < BS_INST_SLOT_BASE + BS_PLAN_MAX_SLOTS) {
        snprintf(buf, sizeof buf, "/%u/slot%u", pa->obj, pa->inst - BS_INST_SLOT_BASE);
        if (pa->depth >= 3) snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "/%u", pa->res);
    } else if (pa->depth >= 2 && pa->inst == BS_INST_BS_ACCOUNT) {
        snprintf(buf, sizeof buf, "/0/bs");
        if (pa->depth >= 3) snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "/%u", pa->res);
    } else
        lwm2m_path_format(pa, buf, sizeof buf);
    ck_assert_str_eq(buf, path);
    ck_assert_uint_eq(plan.ops[i].nrecs, nrecs);
}

static const lwm2m_record_t *rec(size_t op, size_t k)
{
    ck_assert_uint_lt(k, plan.ops[op].nrecs);
    return &plan.recs[plan.ops[op].first_rec + k];
}

static void rec_int(size_t op, size_t k, int depth, uint16_t res, uint16_t ri, lwm2m_type_t t, int64_t v)
{
    const lwm2m_record_t *r = rec(op, k);
    ck_assert_int_eq(r->path.depth, depth);
    ck_assert_uint_eq(r->path.res, res);
    if (depth == 4) ck_assert_uint_eq(r->path.rinst, ri);
    ck_assert_int_eq(r->v.type, t);
    if (t == LWM2M_T_UNSIGNED)
        ck_assert_uint_eq(r->v.u, (uint64_t)v);
    else
        ck_assert_int_eq(r->v.i, v);
}

static void rec_str(size_t op, size_t k, uint16_t res, lwm2m_type_t t, const char *v)
{
    const lwm2m_record_t *r = rec(op, k);
    ck_assert_uint_eq(r->path.res, res);
    ck_assert_int_eq(r->v.type, t);
    ck_assert_uint_eq(r->v.bytes.len, strlen(v));
    ck_assert(memcmp(r->v.bytes.p, v, strlen(v)) == 0);
}

static void rec_bool(size_t op, size_t k, uint16_t res, bool v)
{
    const lwm2m_record_t *r = rec(op, k);
    ck_assert_uint_eq(r->path.res, res);
    ck_assert_int_eq(r->v.type, LWM2M_T_BOOLEAN);
    ck_assert_int_eq(r->v.b, v);
}

/* ---- compile ---- */

static const char *const PSK_DOC = "policy: sensors\n"
                                   "priority: 3\n"
                                   "match: {endpoint: \"dev-*\", labels: {line: A}}\n"
                                   "format: senml-cbor\n"
                                   "on_error: stop\n"
                                   "timeout: 90\n"
                                   "delete: [\"/0\", \"/1\"]\n"
                                   "servers:\n"
                                   "  - ssid: 101\n"
                                   "    uri: \"coaps://${label.site}.example.com:5684\"\n"
                                   "    security:\n"
                                   "      mode: psk\n"
                                   "      psk_identity: \"${endpoint}/${serial}\"\n"
                                   "      psk_key: {generate: 20}\n"
                                   "      ciphersuites: [49320, 168]\n"
                                   "    lifetime: 300\n"
                                   "    binding: UQ\n"
                                   "    notification_storing: false\n"
                                   "    resources: {22: \"U\", 23: false}\n"
                                   "acls:\n"
                                   "  - {target: /3/0, owner: 101, rights: {101: RWE}, default: R}\n"
                                   "objects:\n"
                                   "  - path: /11/0\n"
                                   "    values:\n"
                                   "      0: \"apn-${label.line}\"\n"
                                   "      1: 42\n"
                                   "      2: [\"a\", \"b\"]\n"
                                   "      3: {hex: 00ff}\n"
                                   "      4: true\n"
                                   "bootstrap: {client_hold_off: 10, account_timeout: 3600}\n";

START_TEST(compile_psk_plan)
{
    policy_t *p = parse_ok(PSK_DOC);
    ck_assert_str_eq(policy_name(p), "sensors");
    ck_assert_int_eq(policy_priority(p), 3);
    policy_device_t d = dev("dev-7");
    policy_ctx_t c = ctx_of(1, 0);
    compile_ok(p, &d, &c);
    ck_assert_str_eq(plan.name, "sensors");
    ck_assert_uint_eq(plan.version, 9);
    ck_assert_uint_eq(plan.format, 112);
    ck_assert_int_eq(plan.on_error, BS_ON_ERROR_STOP);
    ck_assert_uint_eq(plan.timeout_ms, 90000);
    ck_assert_uint_eq(plan.nops, 10);
    op_is(0, BS_OP_DISCOVER, "/", 0);
    op_is(1, BS_OP_DELETE, "/0", 0);
    op_is(2, BS_OP_DELETE, "/1", 0);
    op_is(3, BS_OP_WRITE, "/0/slot0", 9);
    rec_str(3, 0, 0, LWM2M_T_STRING, "coaps://berlin.example.com:5684");
    rec_bool(3, 1, 1, false);
    rec_int(3, 2, 3, 2, 0, LWM2M_T_INTEGER, 0);
    rec_str(3, 3, 3, LWM2M_T_OPAQUE, "dev-7/SN-0042");
    rec_str(3, 4, 4, LWM2M_T_OPAQUE, "");
    ck_assert_uint_eq(rec(3, 5)->path.res, 5);
    ck_assert_uint_eq(rec(3, 5)->v.bytes.len, 20);
    ck_assert_int_eq(plan.rec_secret[plan.ops[3].first_rec + 5], 1);
    ck_assert_int_eq(plan.rec_secret[plan.ops[3].first_rec + 3], 0);
    rec_int(3, 6, 3, 10, 0, LWM2M_T_INTEGER, 101);
    rec_int(3, 7, 4, 16, 0, LWM2M_T_UNSIGNED, 49320);
    rec_int(3, 8, 4, 16, 1, LWM2M_T_UNSIGNED, 168);
    ck_assert_uint_eq(rec(3, 0)->path.inst, BS_INST_SLOT(0));
    op_is(4, BS_OP_WRITE, "/1/slot0", 6);
    rec_int(4, 0, 3, 0, 0, LWM2M_T_INTEGER, 101);
    rec_int(4, 1, 3, 1, 0, LWM2M_T_INTEGER, 300);
    rec_bool(4, 2, 6, false);
    rec_str(4, 3, 7, LWM2M_T_STRING, "UQ");
    rec_str(4, 4, 22, LWM2M_T_STRING, "U");
    rec_bool(4, 5, 23, false);
    op_is(5, BS_OP_WRITE, "/2/0", 5);
    rec_int(5, 0, 3, 0, 0, LWM2M_T_INTEGER, 3);
    rec_int(5, 1, 3, 1, 0, LWM2M_T_INTEGER, 0);
    rec_int(5, 2, 4, 2, 0, LWM2M_T_INTEGER, 1);
    rec_int(5, 3, 4, 2, 101, LWM2M_T_INTEGER, 7);
    rec_int(5, 4, 3, 3, 0, LWM2M_T_INTEGER, 101);
    op_is(6, BS_OP_WRITE, "/11/0", 6);
    rec_str(6, 0, 0, LWM2M_T_STRING, "apn-A");
    rec_int(6, 1, 3, 1, 0, LWM2M_T_INTEGER, 42);
    ck_assert_int_eq(rec(6, 2)->path.depth, 4);
    rec_str(6, 2, 2, LWM2M_T_STRING, "a");
    rec_str(6, 3, 2, LWM2M_T_STRING, "b");
    ck_assert_uint_eq(rec(6, 3)->path.rinst, 1);
    ck_assert_int_eq(rec(6, 4)->v.type, LWM2M_T_OPAQUE);
    ck_assert_uint_eq(rec(6, 4)->v.bytes.len, 2);
    ck_assert(memcmp(rec(6, 4)->v.bytes.p, "\x00\xff", 2) == 0);
    rec_bool(6, 5, 4, true);
    op_is(7, BS_OP_WRITE, "/0/bs/11", 1);
    rec_int(7, 0, 3, 11, 0, LWM2M_T_INTEGER, 10);
    op_is(8, BS_OP_WRITE, "/0/bs/12", 1);
    rec_int(8, 0, 3, 12, 0, LWM2M_T_INTEGER, 3600);
    op_is(9, BS_OP_FINISH, "/", 0);
    policy_free(p);
}
END_TEST

START_TEST(compile_missing_variables)
{
    policy_t *p = parse_ok(PSK_DOC);
    policy_device_t d = dev("dev-7");
    d.serial = NULL;
    policy_ctx_t c = ctx_of(1, 0);
    char err[POLICY_ERR_MAX];
    ck_assert_int_eq(policy_compile(p, &d, &c, &plan, err, sizeof err), POLICY_ERR_DEVICE);
    ck_assert_str_eq(err, "sensors: ssid 101: psk_identity: the device has no serial for ${serial}");
    d = dev("dev-7");
    d.nlabels = 1; /* no "site" */
    ck_assert_int_eq(policy_compile(p, &d, &c, &plan, err, sizeof err), POLICY_ERR_DEVICE);
    ck_assert_str_eq(err, "sensors: ssid 101: uri: the device has no label \"site\"");
    /* an endpoint that makes the identity too long */
    char ep[200];
    memset(ep, 'e', sizeof ep - 1);
    ep[sizeof ep - 1] = 0;
    d = dev(ep);
    ck_assert_int_eq(policy_compile(p, &d, &c, &plan, err, sizeof err), LWM2M_ERR_RANGE);
    ck_assert_str_eq(err, "sensors: ssid 101: psk_identity is 207 bytes after substitution; 1..128");
    d = dev("bad\xff");
    ck_assert_int_eq(policy_compile(p, &d, &c, &plan, err, sizeof err), POLICY_ERR_ARG);
    policy_free(p);
}
END_TEST

static const char *const TWO_PSK = "policy: two\n"
                                   "match: {endpoint: \"*\"}\n"
                                   "servers:\n"
                                   "  - ssid: 1\n"
                                   "    uri: \"coaps://a.example\"\n"
                                   "    security: {mode: psk, psk_key: generate}\n"
                                   "  - ssid: 2\n"
                                   "    uri: \"coaps://b.example\"\n"
                                   "    security: {mode: psk, psk_key: generate, rotation: 1}\n"
                                   "  - ssid: 3\n"
                                   "    uri: \"coaps://c.example\"\n"
                                   "    security: {mode: psk, psk_key: generate}\n";

static void key_of(const policy_t *p, const char *ep, uint8_t fill, size_t server, uint8_t out[16])
{
    policy_device_t d = dev(ep);
    policy_ctx_t c = ctx_of(fill, 0);
    compile_ok(p, &d, &c);
    const lwm2m_record_t *r = &plan.recs[plan.ops[1 + 2 * server].first_rec + 5];
    ck_assert_uint_eq(r->path.res, 5);
    ck_assert_uint_eq(r->v.bytes.len, 16);
    memcpy(out, r->v.bytes.p, 16);
}

START_TEST(psk_stable_and_separate)
{
    policy_t *p = parse_ok(TWO_PSK);
    uint8_t a[16], b[16], x[16];
    key_of(p, "dev-1", 7, 0, a);
    key_of(p, "dev-1", 7, 0, b);
    ck_assert(memcmp(a, b, 16) == 0); /* same inputs, same key */
    key_of(p, "dev-2", 7, 0, x);
    ck_assert(memcmp(a, x, 16) != 0); /* other endpoint */
    key_of(p, "dev-1", 8, 0, x);
    ck_assert(memcmp(a, x, 16) != 0); /* other derivation key */
    key_of(p, "dev-1", 7, 2, x);
    ck_assert(memcmp(a, x, 16) != 0); /* other SSID */
    /* rotation: ssid 2 with rotation 1 differs from the same with rotation 0 */
    policy_t *q = parse_ok(
        "policy: two\nmatch: {endpoint: \"*\"}\nservers:\n  - ssid: 2\n    uri: \"coaps://b.example\"\n"
        "    security: {mode: psk, psk_key: generate}\n");
    key_of(p, "dev-1", 7, 1, a);
    key_of(q, "dev-1", 7, 0, b);
    ck_assert(memcmp(a, b, 16) != 0);
    /* export lists the same keys */
    policy_device_t d = dev("dev-1");
    policy_ctx_t c = ctx_of(7, 0);
    policy_cred_t creds[4];
    char err[POLICY_ERR_MAX];
    ck_assert_int_eq(policy_export_creds(p, &d, &c, creds, 4, err, sizeof err), 3);
    key_of(p, "dev-1", 7, 0, a);
    ck_assert_int_eq(creds[0].kind, POLICY_CRED_PSK);
    ck_assert_uint_eq(creds[0].ssid, 1);
    ck_assert_uint_eq(creds[0].secret_len, 16);
    ck_assert(memcmp(creds[0].secret, a, 16) == 0);
    ck_assert_uint_eq(creds[0].identity_len, 5);
    ck_assert(memcmp(creds[0].identity, "dev-1", 5) == 0);
    ck_assert_uint_eq(creds[1].rotation, 1);
    ck_assert_int_eq(policy_export_creds(p, &d, &c, creds, 2, err, sizeof err), POLICY_ERR_NOSPACE);
    policy_free(q);
    policy_free(p);
}
END_TEST

static const char *const RPK_DOC =
    "policy: rpk\n"
    "match: {endpoint: \"*\"}\n"
    "servers:\n"
    "  - ssid: 5\n"
    "    uri: \"coaps://[2001:db8::1]:5684\"\n"
    "    security:\n"
    "      mode: rpk\n"
    "      client_key: generate\n"
    "      sni: lwm2m.example.com\n"
    "      server_public_key: |\n"
    "        -----BEGIN PUBLIC KEY-----\n"
    "        MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEKjdQx9TJFtOyHwdE3tt2ZRkSsLa6\n"
    "        kuCawduMiT3vbHHr5ovJxKQVlBsc51Fk2PWUeWO3kzEqsuxpeWozY5WZtg==\n"
    "        -----END PUBLIC KEY-----\n";

START_TEST(rpk_pair_valid)
{
    policy_t *p = parse_ok(RPK_DOC);
    policy_device_t d = dev("dev-rpk");
    policy_ctx_t c = ctx_of(3, 0);
    compile_ok(p, &d, &c);
    op_is(1, BS_OP_WRITE, "/0/slot0", 8);
    rec_int(1, 2, 3, 2, 0, LWM2M_T_INTEGER, 1);
    const lwm2m_record_t *pub = rec(1, 3), *srv = rec(1, 4), *priv = rec(1, 5);
    ck_assert_uint_eq(pub->v.bytes.len, 91);
    ck_assert_uint_eq(srv->v.bytes.len, 91);
    ck_assert_uint_eq(priv->v.bytes.len, 138);
    rec_str(1, 7, 14, LWM2M_T_STRING, "lwm2m.example.com");
    /* The private key: RFC 5958 → ECPrivateKey via wolfCrypt's own parser. */
    uint8_t der[200];
    memcpy(der, priv->v.bytes.p, priv->v.bytes.len);
    word32 off = 0;
    ck_assert_int_gt(wc_GetPkcs8TraditionalOffset(der, &off, (word32)priv->v.bytes.len), 0);
    ecc_key kpriv, kpub;
    ck_assert_int_eq(wc_ecc_init(&kpriv), 0);
    ck_assert_int_eq(wc_ecc_init(&kpub), 0);
    word32 idx = off;
    ck_assert_int_eq(wc_EccPrivateKeyDecode(der, &idx, &kpriv, (word32)priv->v.bytes.len), 0);
    idx = 0;
    ck_assert_int_eq(wc_EccPublicKeyDecode(pub->v.bytes.p, &idx, &kpub, (word32)pub->v.bytes.len), 0);
    /* Sign with the derived private key, verify with the derived public key. */
    WC_RNG rng;
    ck_assert_int_eq(wc_InitRng(&rng), 0);
    uint8_t hash[32], sig[80];
    ck_assert_int_eq(wc_Sha256Hash((const byte *)"bootstrap", 9, hash), 0);
    word32 siglen = sizeof sig;
    ck_assert_int_eq(wc_ecc_sign_hash(hash, 32, sig, &siglen, &rng, &kpriv), 0);
    int ok = 0;
    ck_assert_int_eq(wc_ecc_verify_hash(sig, siglen, hash, 32, &ok, &kpub), 0);
    ck_assert_int_eq(ok, 1);
    hash[0] ^= 1;
    ck_assert_int_eq(wc_ecc_verify_hash(sig, siglen, hash, 32, &ok, &kpub), 0);
    ck_assert_int_eq(ok, 0);
    wc_FreeRng(&rng);
    wc_ecc_free(&kpriv);
    wc_ecc_free(&kpub);
    /* Stable per device, different per endpoint. */
    uint8_t first[91];
    memcpy(first, pub->v.bytes.p, 91);
    compile_ok(p, &d, &c);
    ck_assert(memcmp(rec(1, 3)->v.bytes.p, first, 91) == 0);
    d = dev("dev-rpk2");
    compile_ok(p, &d, &c);
    ck_assert(memcmp(rec(1, 3)->v.bytes.p, first, 91) != 0);
    policy_free(p);
}
END_TEST

/* ---- selection ---- */

START_TEST(select_priority_and_ties)
{
    policy_t *a = parse_ok("policy: b-generic\nmatch: {endpoint: \"dev-*\"}\ndelete: [\"/11\"]\n");
    policy_t *b =
        parse_ok("policy: a-line\nmatch: {endpoint: \"dev-*\", labels: {line: A}}\ndelete: [\"/11\"]\n");
    policy_t *h =
        parse_ok("policy: z-high\npriority: 5\nmatch: {endpoint_regex: \"dev-[0-9]+\"}\ndelete: [\"/11\"]\n");
    policy_t *l = parse_ok("policy: lit\nmatch: {endpoint: \"other\"}\ndelete: [\"/11\"]\n");
    const policy_t *ps[] = {a, b, h, l};
    policy_device_t d = dev("dev-12");
    int amb = -1;
    ck_assert_int_eq(policy_select(ps, 4, &d, &amb), 2); /* highest priority */
    ck_assert_int_eq(amb, 0);
    d = dev("dev-x"); /* regex fails: a and b tie at 0; "a-line" sorts first */
    ck_assert_int_eq(policy_select(ps, 4, &d, &amb), 1);
    ck_assert_int_eq(amb, 1);
    const policy_t *rev[] = {b, a};
    ck_assert_int_eq(policy_select(rev, 2, &d, &amb), 0); /* not load order */
    d.nlabels = 0;
    ck_assert_int_eq(policy_select(ps, 4, &d, &amb), 0);
    ck_assert_int_eq(amb, 0);
    d = dev("nobody");
    ck_assert_int_eq(policy_select(ps, 4, &d, &amb), POLICY_ERR_NOMATCH);
    ck_assert_int_eq(policy_may_overlap(a, b), 1);
    ck_assert_int_eq(policy_may_overlap(a, h), 0); /* other priority */
    ck_assert_int_eq(policy_may_overlap(a, l), 0); /* literal "other" is not dev-* */
    policy_free(a);
    policy_free(b);
    policy_free(h);
    policy_free(l);
}
END_TEST

/* ---- bootstrap rotation ---- */

static const char *const ROT_DOC =
    "policy: rot\n"
    "match: {endpoint: \"*\"}\n"
    "bootstrap:\n"
    "  client_hold_off: 5\n"
    "  rotate: {mode: psk, psk_identity: \"bs-${endpoint}\", psk_key: {generate: 32}, "
    "rotation: 2}\n";

START_TEST(bs_rotation_gated)
{
    policy_t *p = parse_ok(ROT_DOC);
    policy_device_t d = dev("dev-r");
    policy_ctx_t c = ctx_of(1, 0);
    compile_ok(p, &d, &c);
    ck_assert_uint_eq(plan.nops, 3);
    op_is(1, BS_OP_WRITE, "/0/bs/11", 1);
    c.flags = POLICY_CTX_ROTATE_BS;
    compile_ok(p, &d, &c);
    ck_assert_uint_eq(plan.nops, 6);
    op_is(2, BS_OP_WRITE, "/0/bs/2", 1);
    rec_int(2, 0, 3, 2, 0, LWM2M_T_INTEGER, 0);
    op_is(3, BS_OP_WRITE, "/0/bs/3", 1);
    rec_str(3, 0, 3, LWM2M_T_OPAQUE, "bs-dev-r");
    op_is(4, BS_OP_WRITE, "/0/bs/5", 1);
    ck_assert_uint_eq(rec(4, 0)->v.bytes.len, 32);
    ck_assert_int_eq(plan.rec_secret[plan.ops[4].first_rec], 1);
    policy_cred_t cr[2];
    ck_assert_int_eq(policy_export_creds(p, &d, &c, cr, 2, NULL, 0), 1);
    ck_assert_int_eq(cr[0].bootstrap, 1);
    ck_assert_uint_eq(cr[0].rotation, 2);
    ck_assert(memcmp(cr[0].secret, rec(4, 0)->v.bytes.p, 32) == 0);
    c.flags = 0;
    ck_assert_int_eq(policy_export_creds(p, &d, &c, cr, 2, NULL, 0), 0);
    policy_free(p);
}
END_TEST

/* ---- dry run ---- */

static char *dry(const char *doc, const char *ep, const char *discover, uint16_t pct, bool reveal,
                 uint32_t flags)
{
    policy_t *p = parse_ok(doc);
    policy_device_t d = dev(ep);
    policy_ctx_t c = ctx_of(1, flags);
    compile_ok(p, &d, &c);
    policy_free(p);
    policy_client_t cl = {discover, pct, NULL, 0};
    char *js = policy_dry_run_alloc(&plan, &cl, reveal);
    ck_assert_ptr_nonnull(js);
    return js;
}

static const char *const DRY_DOC = "policy: dry\n"
                                   "match: {endpoint: \"*\"}\n"
                                   "format: tlv\n"
                                   "servers:\n"
                                   "  - ssid: 1\n"
                                   "    uri: \"coaps://dm.example:5684\"\n"
                                   "    security: {mode: psk, psk_key: generate}\n"
                                   "    lifetime: 60\n"
                                   "bootstrap: {client_hold_off: 10}\n";

START_TEST(dry_run_wakaama)
{
    char *js = dry(DRY_DOC, "ep1", "</>;lwm2m=1.1,</0/0>,</1>;ver=1.1,</2/0>,</3/0>", 110, false, 0);
    const char *want =
        "{\"plan\":\"dry\",\"plan_version\":9,\"pct\":110,\"discover\":\"</>;lwm2m=1.1,</0/0>,</1>;ver=1.1,</"
        "2/0>,</3/0>\","
        "\"requests\":["
        "{\"method\":\"GET\",\"path\":\"/\",\"accept\":40,\"response\":\"2.05\"},"
        "{\"method\":\"PUT\",\"path\":\"/0/1\",\"format\":11542,\"payload_bytes\":61,\"records\":["
        "{\"path\":\"/0/1/0\",\"type\":\"string\",\"value\":\"coaps://dm.example:5684\"},"
        "{\"path\":\"/0/1/1\",\"type\":\"boolean\",\"value\":false},"
        "{\"path\":\"/0/1/2\",\"type\":\"integer\",\"value\":0},"
        "{\"path\":\"/0/1/3\",\"type\":\"opaque\",\"value\":\"657031\"},"
        "{\"path\":\"/0/1/4\",\"type\":\"opaque\",\"value\":\"\"},"
        "{\"path\":\"/0/1/5\",\"type\":\"opaque\",\"value\":\"<redacted>\"},"
        "{\"path\":\"/0/1/10\",\"type\":\"integer\",\"value\":1}],\"response\":\"2.04\"},"
        "{\"method\":\"PUT\",\"path\":\"/1/0\",\"format\":11542,\"payload_bytes\":12,\"records\":["
        "{\"path\":\"/1/0/0\",\"type\":\"integer\",\"value\":1},"
        "{\"path\":\"/1/0/1\",\"type\":\"integer\",\"value\":60},"
        "{\"path\":\"/1/0/6\",\"type\":\"boolean\",\"value\":true},"
        "{\"path\":\"/1/0/7\",\"type\":\"string\",\"value\":\"U\"}],\"response\":\"2.04\"},"
        "{\"method\":\"PUT\",\"path\":\"/0/0/11\",\"format\":11542,\"payload_bytes\":3,\"records\":["
        "{\"path\":\"/0/0/11\",\"type\":\"integer\",\"value\":10}],\"response\":\"2.04\"},"
        "{\"method\":\"POST\",\"path\":\"/bs\",\"response\":\"2.04\"}],"
        "\"session\":{\"plan\":\"dry\",\"plan_version\":9,\"format\":11542,\"lwm2m\":\"1.1\",\"placement\":"
        "\"discover\","
        "\"bs_account\":0,\"outcome\":\"finished\","
        "\"discover\":\"</>;lwm2m=1.1,</0/0>,</1>;ver=1.1,</2/0>,</3/0>\",\"steps\":["
        "{\"op\":\"discover\",\"path\":\"/\",\"format\":40,\"code\":\"2.05\",\"ms\":10,\"blocks\":1},"
        "{\"op\":\"write\",\"path\":\"/0/1\",\"format\":11542,\"code\":\"2.04\",\"ms\":10,\"blocks\":1},"
        "{\"op\":\"write\",\"path\":\"/1/0\",\"format\":11542,\"code\":\"2.04\",\"ms\":10,\"blocks\":1},"
        "{\"op\":\"write\",\"path\":\"/0/0/11\",\"format\":11542,\"code\":\"2.04\",\"ms\":10,\"blocks\":1},"
        "{\"op\":\"finish\",\"path\":\"/bs\",\"code\":\"2.04\",\"ms\":10,\"blocks\":1}],"
        "\"accounts\":[1]}}";
    size_t i = 0;
    while (js[i] && js[i] == want[i])
        i++;
    ck_assert_msg(js[i] == want[i], "differs at %zu: %.120s", i, js + i);
    free(js);
}
END_TEST

/* Unbootstrapping: the client has accounts 1 (the policy's) and 2 (written
 * earlier, no longer in the policy) and two ACL instances naming 2. */
static char *dry_unboot(const char *doc, const uint16_t *written, size_t nw, const uint16_t *pending,
                        size_t np, const char *discover, const char *read)
{
    policy_t *p = parse_ok(doc);
    policy_device_t d = dev("ep1");
    d.unboot_written = written;
    d.nunboot_written = nw;
    d.unboot_pending = pending;
    d.nunboot_pending = np;
    policy_ctx_t c = ctx_of(1, 0);
    compile_ok(p, &d, &c);
    policy_free(p);
    policy_client_t cl = {discover, 110, read, 110};
    char *js = policy_dry_run_alloc(&plan, &cl, false);
    ck_assert_ptr_nonnull(js);
    return js;
}

static const char *const UB_DISC =
    "</>;lwm2m=1.1,</0/0>,</0/1>;ssid=2,</0/2>;ssid=1,</1/0>;ssid=2,</1/1>;ssid=1,"
    "</2/0>,</2/1>,</3/0>,</3303/0>";
static const char *const UB_READ = "[{\"bn\":\"/2/0/\",\"n\":\"0\",\"v\":3},{\"n\":\"1\",\"v\":0},"
                                   "{\"n\":\"2/1\",\"v\":1},{\"n\":\"2/2\",\"v\":10},{\"n\":\"3\",\"v\":2},"
                                   "{\"bn\":\"/2/1/\",\"n\":\"0\",\"v\":3303},{\"n\":\"1\",\"v\":0},"
                                   "{\"n\":\"2/2\",\"v\":15},{\"n\":\"3\",\"v\":2}]";

/* Each of |want| occurs in |js|, in this order. */
static void assert_in_order(const char *js, const char *const *want, size_t n)
{
    const char *at = js;
    for (size_t i = 0; i < n; i++) {
        const char *f = strstr(at, want[i]);
        ck_assert_msg(f != NULL, "missing or out of order: %s in %s", want[i], js);
        at = f + 1;
    }
}

START_TEST(dry_run_unboot)
{
    static const uint16_t written[] = {1, 2};
    char *js = dry_unboot(DRY_DOC, written, 2, NULL, 0, UB_DISC, UB_READ);
    /* Read /2 in the session's format, then the planned operations before
     * the policy's own writes; account 1 (the policy's) is not removed. */
    const char *order[] = {"{\"method\":\"GET\",\"path\":\"/2\",\"accept\":11542,\"response\":\"2.05\"}",
                           "{\"method\":\"DELETE\",\"path\":\"/2/0\"",
                           "{\"method\":\"PUT\",\"path\":\"/2/0\"",
                           "{\"method\":\"DELETE\",\"path\":\"/3303/0\"",
                           "{\"method\":\"DELETE\",\"path\":\"/2/1\"",
                           "{\"method\":\"DELETE\",\"path\":\"/1/0\"",
                           "{\"method\":\"DELETE\",\"path\":\"/0/1\"",
                           "{\"method\":\"PUT\",\"path\":\"/0/2\""};
    assert_in_order(js, order, sizeof(order) / sizeof(order[0]));
    ck_assert_ptr_nonnull(strstr(js, "\"unboot\":{\"acl\":\"read\",\"removed\":[2],\"absent\":[]"));
    /* /3/0: 2's entry dropped, owner 2 → 1 (the only one left, score 0). */
    ck_assert_ptr_nonnull(strstr(js, "{\"iid\":0,\"obj\":3,\"inst\":0,\"owner\":1,\"acl\":{\"1\":1}}"));
    ck_assert_ptr_nonnull(strstr(js, "\"failed\":0,\"kept\":[],\"read\":\"2.05\""));
    ck_assert_ptr_nonnull(strstr(js, "\"accounts\":[1]"));
    free(js);

    /* A queued removal of the policy's own account is kept, one the client
     * lacks is absent; nothing present → no Read, no member but the lists. */
    static const uint16_t pend[] = {1, 9};
    js = dry_unboot(DRY_DOC, NULL, 0, pend, 2, UB_DISC, UB_READ);
    ck_assert_ptr_null(strstr(js, "\"path\":\"/2\",\"accept\""));
    ck_assert_ptr_nonnull(strstr(js,
                                 "\"unboot\":{\"acl\":\"unknown\",\"removed\":[],\"absent\":[9],\"failed\":0,"
                                 "\"kept\":[1]}"));
    free(js);

    /* ACLs unknown (Read answered 4.04): the accounts only. */
    js = dry_unboot(DRY_DOC, written, 2, NULL, 0, UB_DISC, NULL);
    ck_assert_ptr_nonnull(strstr(js, "\"unboot\":{\"acl\":\"unknown\",\"removed\":[2]"));
    ck_assert_ptr_nonnull(strstr(js, "\"ops\":[\"delete /1/0\",\"delete /0/1\"]"));
    ck_assert_ptr_null(strstr(js, "\"path\":\"/2/0\""));
    free(js);

    /* unbootstrap: off — nothing examined; exclusive — the unknown account 7 goes too. */
    char doc[1024];
    snprintf(doc, sizeof doc, "%sunbootstrap: off\n", DRY_DOC);
    js = dry_unboot(doc, written, 2, NULL, 0, UB_DISC, UB_READ);
    ck_assert_ptr_null(strstr(js, "\"unboot\""));
    free(js);
    snprintf(doc, sizeof doc, "%sunbootstrap: exclusive\n", DRY_DOC);
    js = dry_unboot(doc, NULL, 0, NULL, 0, "</>;lwm2m=1.1,</0/0>,</0/1>;ssid=7,</1/0>;ssid=7,</3/0>", NULL);
    ck_assert_ptr_nonnull(strstr(js, "\"removed\":[7]"));
    free(js);
}
END_TEST

/* The unbootstrap's operations name the client's own instance IDs, even
 * ones that equal the plan's placeholders (0xff00.., 0xfff0); the dry run
 * shows the Write of a rewritten Access Control instance with its own
 * records. */
START_TEST(dry_run_unboot_client_ids)
{
    char doc[1024];
    snprintf(doc, sizeof doc, "%sunbootstrap: exclusive\n", DRY_DOC);
    char *js =
        dry_unboot(doc, NULL, 0, NULL, 0,
                   "</>;lwm2m=1.1,</0/0>,</0/65520>;ssid=7,</0/65281>;ssid=8,</1/65280>;ssid=7,</1/3>;ssid=8,"
                   "</2/0>,</3/0>",
                   "[{\"bn\":\"/2/0/\",\"n\":\"0\",\"v\":3},{\"n\":\"1\",\"v\":0},"
                   "{\"n\":\"2/7\",\"v\":15},{\"n\":\"3\",\"v\":7}]");
    ck_assert_ptr_nonnull(strstr(js, "\"removed\":[7,8]"));
    const char *order[] = {
        "{\"method\":\"DELETE\",\"path\":\"/2/0\"", "{\"method\":\"DELETE\",\"path\":\"/1/65280\"",
        "{\"method\":\"DELETE\",\"path\":\"/0/65520\"", "{\"method\":\"DELETE\",\"path\":\"/1/3\"",
        "{\"method\":\"DELETE\",\"path\":\"/0/65281\""};
    assert_in_order(js, order, sizeof(order) / sizeof(order[0]));
    /* the client's Bootstrap-Server account /0/0 is never deleted */
    ck_assert_ptr_null(strstr(js, "{\"method\":\"DELETE\",\"path\":\"/0/0\""));
    ck_assert_ptr_nonnull(strstr(js, "\"failed\":0"));
    free(js);

    /* 101 and 102 share /3303/0, owned by 102: removing 102 rewrites /2/4;
     * the PUT shows that instance's records, not a plan op's. */
    static const uint16_t written[] = {2};
    js = dry_unboot(
        DRY_DOC, written, 1, NULL, 0,
        "</>;lwm2m=1.1,</0/0>,</0/1>;ssid=1,</0/2>;ssid=2,</1/0>;ssid=1,</1/1>;ssid=2,</2/4>,</3303/0>",
        "[{\"bn\":\"/2/4/\",\"n\":\"0\",\"v\":3303},{\"n\":\"1\",\"v\":0},"
        "{\"n\":\"2/1\",\"v\":3},{\"n\":\"2/2\",\"v\":15},{\"n\":\"3\",\"v\":2}]");
    ck_assert_msg(strstr(js, "{\"method\":\"PUT\",\"path\":\"/2/4\",\"format\":11542") != NULL &&
                      strstr(js, "\"records\":[{\"path\":\"/2/4/0\",\"type\":\"integer\",\"value\":3303},"
                                 "{\"path\":\"/2/4/1\",\"type\":\"integer\",\"value\":0},"
                                 "{\"path\":\"/2/4/2/1\",\"type\":\"integer\",\"value\":3},"
                                 "{\"path\":\"/2/4/3\",\"type\":\"integer\",\"value\":1}]") != NULL,
                  "the rewrite of /2/4: %s", js);
    free(js);
}
END_TEST

/* A client state beyond the planner's bounds gets no unbootstrap at all
 * (not an accounts-only one), with the reason, and reports nothing absent. */
START_TEST(dry_run_unboot_bounds)
{
    static const uint16_t written[] = {1, 2};
    /* more Security instances than the engine keeps from Discover */
    char disc[4096];
    size_t n = (size_t)snprintf(disc, sizeof disc, "</>;lwm2m=1.1,</0/0>,</1/0>;ssid=2");
    for (int i = 1; i <= BS_MAX_SEEN + 1; i++)
        n += (size_t)snprintf(disc + n, sizeof disc - n, ",</0/%d>;ssid=%d", i, i == 1 ? 2 : 1000 + i);
    char *js = dry_unboot(DRY_DOC, written, 2, NULL, 0, disc, UB_READ);
    ck_assert_msg(
        strstr(js, "\"unboot\":{\"acl\":\"unknown\",\"removed\":[],\"absent\":[],\"failed\":0,\"kept\":[],"
                   "\"note\":\"client state beyond the planner's bounds\"}") != NULL,
        "%s", js);
    ck_assert_ptr_null(strstr(js, "{\"method\":\"DELETE\",\"path\":\"/1/0\""));
    free(js);

    /* an Access Control instance with more entries than the planner takes */
    char rd[2048];
    n = (size_t)snprintf(rd, sizeof rd, "[{\"bn\":\"/2/0/\",\"n\":\"0\",\"v\":3},{\"n\":\"1\",\"v\":0}");
    for (int i = 1; i <= UNBOOT_MAX_ENTRIES + 1; i++)
        n += (size_t)snprintf(rd + n, sizeof rd - n, ",{\"n\":\"2/%d\",\"v\":1}", i);
    snprintf(rd + n, sizeof rd - n, "]");
    js = dry_unboot(DRY_DOC, written, 2, NULL, 0, UB_DISC, rd);
    ck_assert_msg(strstr(js,
                         "\"removed\":[],\"absent\":[],\"failed\":0,\"kept\":[],"
                         "\"note\":\"client state beyond the planner's bounds\",\"read\":\"2.05\"") != NULL,
                  "%s", js);
    ck_assert_ptr_null(strstr(js, "{\"method\":\"DELETE\",\"path\":\"/1/0\""));
    free(js);

    /* a Read answer larger than the reassembly buffer (block-wise) */
    size_t cap = 3 * BS_BUF_MAX;
    char *big = malloc(cap);
    ck_assert_ptr_nonnull(big);
    n = (size_t)snprintf(big, cap, "[");
    for (int i = 0; n + 200 < cap && n < BS_BUF_MAX + 512; i++)
        n += (size_t)snprintf(big + n, cap - n,
                              "%s{\"bn\":\"/2/%d/\",\"n\":\"0\",\"v\":3303},{\"n\":\"1\",\"v\":%d},"
                              "{\"n\":\"2/2\",\"v\":15},{\"n\":\"3\",\"v\":2}",
                              i ? "," : "", i + 1, i);
    snprintf(big + n, cap - n, "]");
    js = dry_unboot(DRY_DOC, written, 2, NULL, 0, UB_DISC, big);
    ck_assert_msg(strstr(js, "\"note\":\"access control answer over the reassembly buffer\"") != NULL, "%s",
                  js);
    ck_assert_ptr_nonnull(strstr(js, "\"removed\":[],\"absent\":[]"));
    ck_assert_ptr_null(strstr(js, "{\"method\":\"DELETE\",\"path\":\"/1/0\""));
    free(big);
    free(js);
}
END_TEST

START_TEST(dry_run_anjay)
{
    /* Anjay keeps its Bootstrap-Server account at /0/1 with a uri. */
    char *js =
        dry(DRY_DOC, "ep1", "</>;lwm2m=1.1,</0>,</0/1>;uri=\"coaps://bs.example:5684\",</1>,</2>,</3>,</3/0>",
            112, false, 0);
    ck_assert_ptr_nonnull(strstr(js, "{\"method\":\"PUT\",\"path\":\"/0/0\",\"format\":11542,"));
    ck_assert_ptr_nonnull(strstr(js, "{\"method\":\"PUT\",\"path\":\"/1/0\",\"format\":11542,"));
    ck_assert_ptr_nonnull(strstr(js, "{\"method\":\"PUT\",\"path\":\"/0/1/11\",\"format\":11542,"));
    ck_assert_ptr_nonnull(strstr(js, "\"bs_account\":1,\"outcome\":\"finished\""));
    ck_assert_ptr_null(strstr(js, "\"path\":\"/0/1\","));
    free(js);
}
END_TEST

START_TEST(dry_run_no_bs_account)
{
    /* Two Security instances without ssid: never guess; the step is skipped. */
    char *js = dry(DRY_DOC, "ep1", "</>;lwm2m=1.1,</0/0>,</0/3>,</1>", 112, false, 0);
    ck_assert_ptr_null(strstr(js, "/11\",\"format\":11542,\"payload"));
    ck_assert_ptr_nonnull(strstr(
        js, "{\"op\":\"write\",\"path\":\"/0/bs-account/11\",\"format\":11542,\"skipped\":true,\"why\":\"no "
            "bootstrap account\"}"));
    free(js);
}
END_TEST

START_TEST(dry_run_reveal)
{
    char *js = dry(DRY_DOC, "ep1", NULL, 112, true, 0);
    ck_assert_ptr_null(strstr(js, "<redacted>"));
    /* the revealed key is the exported one */
    policy_t *p = parse_ok(DRY_DOC);
    policy_device_t d = dev("ep1");
    policy_ctx_t c = ctx_of(1, 0);
    policy_cred_t cr[1];
    ck_assert_int_eq(policy_export_creds(p, &d, &c, cr, 1, NULL, 0), 1);
    char hex[80] = "\"path\":\"/0/1/5\",\"type\":\"opaque\",\"value\":\"";
    for (size_t i = 0; i < cr[0].secret_len; i++)
        snprintf(hex + strlen(hex), sizeof hex - strlen(hex), "%02x", cr[0].secret[i]);
    ck_assert_ptr_nonnull(strstr(js, hex));
    policy_free(p);
    free(js);
    js = dry(DRY_DOC, "ep1", NULL, 112, false, 0);
    ck_assert_ptr_nonnull(strstr(js, "\"path\":\"/0/1/5\",\"type\":\"opaque\",\"value\":\"<redacted>\""));
    ck_assert_ptr_null(strstr(js, hex + 43));
    free(js);
    /* a small buffer is refused, not cut */
    char small[64];
    policy_client_t cl = {NULL, 112, NULL, 0};
    ck_assert_int_eq(policy_dry_run(&plan, &cl, false, small, sizeof small), POLICY_ERR_NOSPACE);
}
END_TEST

START_TEST(dry_run_oscore_retyped)
{
    const char *doc =
        "policy: os\nmatch: {endpoint: \"*\"}\n"
        "servers:\n  - ssid: 9\n    uri: \"coap://o.example\"\n    security: {mode: nosec, oscore: c}\n"
        "oscore:\n  - {name: c, master_secret: generate, sender_id: \"cl\", recipient_id: \"sv\"}\n";
    char *js = dry(doc, "ep1", "</>;lwm2m=1.1,</0/0>,</21>;ver=2.0", 112, false, 0);
    ck_assert_ptr_nonnull(strstr(js, "{\"path\":\"/21/0/1\",\"type\":\"opaque\",\"value\":\"636c\"}"));
    ck_assert_ptr_nonnull(strstr(js, "{\"path\":\"/21/0/0\",\"type\":\"opaque\",\"value\":\"<redacted>\"}"));
    ck_assert_ptr_nonnull(strstr(js, "{\"path\":\"/0/1/17\",\"type\":\"objlnk\",\"value\":\"21:0\"}"));
    free(js);
}
END_TEST

/* ---- mode est: the two written forms ---- */

static const char *const EST_FORMS_DOC =
    "policy: est\n"
    "match: {endpoint: \"*\"}\n"
    "format: senml-json\n"
    "servers:\n"
    "  - ssid: 301\n"
    "    uri: \"coaps://h.example:5684\"\n"
    "    security: {mode: est, certificate_usage: 3, server_certificate: {hex: 3000}}\n"
    "  - ssid: 302\n"
    "    uri: \"coaps://i.example:5684\"\n"
    "    security: {mode: est, written_mode: 2, server_certificate: {hex: \"300100\"}}\n"
    "  - ssid: 303\n"
    "    uri: \"coaps://j.example:5684\"\n"
    "    security: {mode: est, written_mode: 4, server_certificate: {hex: 3000}}\n";

static void rec_der(size_t op, size_t k, uint16_t res, const char *der, size_t len)
{
    const lwm2m_record_t *r = rec(op, k);
    ck_assert_uint_eq(r->path.res, res);
    ck_assert_int_eq(r->v.type, LWM2M_T_OPAQUE);
    ck_assert_uint_eq(r->v.bytes.len, len);
    ck_assert(memcmp(r->v.bytes.p, der, len) == 0);
}

START_TEST(compile_est_written_forms)
{
    policy_t *p = parse_ok(EST_FORMS_DOC);
    policy_device_t d = dev("tracker-1");
    policy_ctx_t c = ctx_of(1, 0);
    compile_ok(p, &d, &c);
    ck_assert_uint_eq(plan.nops, 8);
    op_is(0, BS_OP_DISCOVER, "/", 0);
    /* Transport 1.1.1 §5.2.4 (the default): mode 4, the server's
     * certificate in 4, no 3 and no 5. */
    op_is(1, BS_OP_WRITE, "/0/slot0", 6);
    rec_str(1, 0, 0, LWM2M_T_STRING, "coaps://h.example:5684");
    rec_bool(1, 1, 1, false);
    rec_int(1, 2, 3, 2, 0, LWM2M_T_INTEGER, 4);
    rec_der(1, 3, 4, "\x30\x00", 2);
    rec_int(1, 4, 3, 10, 0, LWM2M_T_INTEGER, 301);
    rec_int(1, 5, 3, 15, 0, LWM2M_T_UNSIGNED, 3);
    op_is(2, BS_OP_WRITE, "/1/slot0", 4);
    /* written_mode: 2: mode 2 with 3 and 5 empty. */
    op_is(3, BS_OP_WRITE, "/0/slot1", 7);
    rec_str(3, 0, 0, LWM2M_T_STRING, "coaps://i.example:5684");
    rec_bool(3, 1, 1, false);
    rec_int(3, 2, 3, 2, 0, LWM2M_T_INTEGER, 2);
    rec_str(3, 3, 3, LWM2M_T_OPAQUE, "");
    rec_der(3, 4, 4, "\x30\x01\x00", 3);
    rec_str(3, 5, 5, LWM2M_T_OPAQUE, "");
    ck_assert_int_eq(plan.rec_secret[plan.ops[3].first_rec + 5], 0); /* nothing to hide */
    rec_int(3, 6, 3, 10, 0, LWM2M_T_INTEGER, 302);
    op_is(4, BS_OP_WRITE, "/1/slot1", 4);
    /* written_mode: 4 given explicitly is the default. */
    op_is(5, BS_OP_WRITE, "/0/slot2", 5);
    rec_int(5, 2, 3, 2, 0, LWM2M_T_INTEGER, 4);
    rec_der(5, 3, 4, "\x30\x00", 2);
    rec_int(5, 4, 3, 10, 0, LWM2M_T_INTEGER, 303);
    op_is(6, BS_OP_WRITE, "/1/slot2", 4);
    op_is(7, BS_OP_FINISH, "/", 0);
    /* Nothing is generated for an EST account. */
    ck_assert_int_eq(policy_export_creds(p, &d, &c, NULL, 0, NULL, 0), 0);
    policy_free(p);
}
END_TEST

START_TEST(dry_run_est_written_forms)
{
    /* What `bsctl policy plan` shows: the client receives exactly these. */
    char *js = dry(EST_FORMS_DOC, "tracker-1", "</>;lwm2m=1.1,</0/0>,</1>;ver=1.1", 110, false, 0);
    ck_assert_ptr_nonnull(strstr(js, "\"outcome\":\"finished\""));
    const char *mode4 = "{\"method\":\"PUT\",\"path\":\"/0/1\",\"format\":110,\"payload_bytes\":";
    const char *at = strstr(js, mode4);
    ck_assert_ptr_nonnull(at);
    const char *recs4 = "\"records\":["
                        "{\"path\":\"/0/1/0\",\"type\":\"string\",\"value\":\"coaps://h.example:5684\"},"
                        "{\"path\":\"/0/1/1\",\"type\":\"boolean\",\"value\":false},"
                        "{\"path\":\"/0/1/2\",\"type\":\"integer\",\"value\":4},"
                        "{\"path\":\"/0/1/4\",\"type\":\"opaque\",\"value\":\"3000\"},"
                        "{\"path\":\"/0/1/10\",\"type\":\"integer\",\"value\":301},"
                        "{\"path\":\"/0/1/15\",\"type\":\"unsigned\",\"value\":3}],\"response\":\"2.04\"}";
    ck_assert_msg(strstr(at, recs4) != NULL, "%s", at);
    const char *recs2 = "\"records\":["
                        "{\"path\":\"/0/2/0\",\"type\":\"string\",\"value\":\"coaps://i.example:5684\"},"
                        "{\"path\":\"/0/2/1\",\"type\":\"boolean\",\"value\":false},"
                        "{\"path\":\"/0/2/2\",\"type\":\"integer\",\"value\":2},"
                        "{\"path\":\"/0/2/3\",\"type\":\"opaque\",\"value\":\"\"},"
                        "{\"path\":\"/0/2/4\",\"type\":\"opaque\",\"value\":\"300100\"},"
                        "{\"path\":\"/0/2/5\",\"type\":\"opaque\",\"value\":\"\"},"
                        "{\"path\":\"/0/2/10\",\"type\":\"integer\",\"value\":302}],\"response\":\"2.04\"}";
    ck_assert_msg(strstr(js, recs2) != NULL, "%s", js);
    ck_assert_ptr_null(strstr(js, "\"/0/1/3\""));
    ck_assert_ptr_null(strstr(js, "\"/0/1/5\""));
    free(js);
}
END_TEST

/* ---- examples ---- */

START_TEST(examples_parse)
{
    const char *src = getenv("BSD_SRCDIR");
    ck_assert_ptr_nonnull(src);
    char dir[512];
    snprintf(dir, sizeof dir, "%s/examples/policies", src);
    DIR *dh = opendir(dir);
    ck_assert_ptr_nonnull(dh);
    struct dirent *e;
    int n = 0;
    while ((e = readdir(dh))) {
        size_t l = strlen(e->d_name);
        if (l < 6 || strcmp(e->d_name + l - 5, ".yaml") != 0) continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        FILE *f = fopen(path, "rb");
        ck_assert_ptr_nonnull(f);
        static char buf[1 << 16];
        size_t len = fread(buf, 1, sizeof buf, f);
        fclose(f);
        char err[POLICY_ERR_MAX];
        policy_t *p = policy_parse(e->d_name, buf, len, err, sizeof err);
        ck_assert_msg(p != NULL, "%s", err);
        /* and compiles for a device that has what the examples use */
        policy_device_t d = dev("urn:imei:350000000000001");
        policy_ctx_t c = ctx_of(5, POLICY_CTX_ROTATE_BS);
        ck_assert_msg(policy_compile(p, &d, &c, &plan, err, sizeof err) == 0, "%s: %s", e->d_name, err);
        char *js = policy_dry_run_alloc(&plan, NULL, false);
        ck_assert_ptr_nonnull(js);
        ck_assert_ptr_nonnull(strstr(js, "\"outcome\":\"finished\""));
        free(js);
        /* and its est: section, if any, expands for that device */
        policy_est_t est;
        ck_assert_msg(policy_est(p, &d, &est, err, sizeof err) >= 0, "%s: %s", e->d_name, err);
        policy_free(p);
        n++;
    }
    closedir(dh);
    ck_assert_int_ge(n, 2);
}
END_TEST

START_TEST(from_device_creds)
{
    const char *doc =
        "policy: fd\nmatch: {endpoint: \"*\"}\nservers:\n  - ssid: 4\n    uri: \"coaps://x.example\"\n"
        "    security: {mode: psk, psk_identity: {from: device}, psk_key: {from: device}}\n";
    policy_t *p = parse_ok(doc);
    policy_device_t d = dev("e");
    policy_ctx_t c = ctx_of(1, 0);
    char err[POLICY_ERR_MAX];
    ck_assert_int_eq(policy_compile(p, &d, &c, &plan, err, sizeof err), POLICY_ERR_DEVICE);
    ck_assert_str_eq(err, "fd: ssid 4: the device record has no psk_identity");
    policy_device_cred_t dc = {.ssid = 4,
                               .identity = (const uint8_t *)"id-4",
                               .identity_len = 4,
                               .secret = (const uint8_t *)"0123456789abcdef",
                               .secret_len = 16};
    d.creds = &dc;
    d.ncreds = 1;
    compile_ok(p, &d, &c);
    rec_str(1, 3, 3, LWM2M_T_OPAQUE, "id-4");
    rec_str(1, 5, 5, LWM2M_T_OPAQUE, "0123456789abcdef");
    ck_assert_int_eq(policy_export_creds(p, &d, &c, NULL, 0, NULL, 0), 0); /* nothing generated */
    policy_free(p);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("policy");
    TCase *t = tcase_create("refused");
    tcase_add_loop_test(t, refused, 0, (int)(sizeof bad / sizeof bad[0]));
    suite_add_tcase(s, t);
    t = tcase_create("compile");
    tcase_add_test(t, compile_psk_plan);
    tcase_add_test(t, compile_missing_variables);
    tcase_add_test(t, psk_stable_and_separate);
    tcase_add_test(t, rpk_pair_valid);
    tcase_add_test(t, select_priority_and_ties);
    tcase_add_test(t, bs_rotation_gated);
    tcase_add_test(t, from_device_creds);
    tcase_add_test(t, compile_est_written_forms);
    suite_add_tcase(s, t);
    t = tcase_create("dry_run");
    tcase_add_test(t, dry_run_wakaama);
    tcase_add_test(t, dry_run_anjay);
    tcase_add_test(t, dry_run_no_bs_account);
    tcase_add_test(t, dry_run_unboot);
    tcase_add_test(t, dry_run_unboot_client_ids);
    tcase_add_test(t, dry_run_unboot_bounds);
    tcase_add_test(t, dry_run_reveal);
    tcase_add_test(t, dry_run_oscore_retyped);
    tcase_add_test(t, dry_run_est_written_forms);
    tcase_add_test(t, examples_parse);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    SRunner *r = srunner_create(suite());
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
