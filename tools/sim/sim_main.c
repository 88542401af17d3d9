/*
 * sim_main.c — bsd-sim's command line: parses the options into a sim_cfg_t,
 * sets up the DTLS client context, runs one event loop per thread
 * (sim_loop.c) and prints the load report. `bsd-sim --help` documents every
 * option.
 */
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "bsd/util/log.h"
#include "tools/sim/sim.h"
#include "tools/sim/sim_discover.h"
#include "tools/sim/sim_est.h"
#include "tools/sim/sim_formats.h"
#include "tools/sim/sim_loop.h"
#include "tools/sim/sim_net.h"
#include "tools/sim/sim_oscore.h"
#include "tools/sim/sim_state.h"

#define SIM_MAX_THREADS 64

static volatile sig_atomic_t g_stop;

static void on_signal(int sig)
{
    (void)sig;
    g_stop = 1;
}

static const char usage_text[] =
    "usage: bsd-sim --server URI [options]\n"
    "Simulated LwM2M 1.1 client(s) that run the client side of the Bootstrap interface\n"
    "(Transport 1.1.1 §6.4/§6.7) against a Bootstrap-Server, for tests and load.\n"
    "\n"
    "Server and credentials:\n"
    "  --server URI            coap://HOST[:PORT] (NoSec) or coaps://HOST[:PORT] (DTLS 1.2);\n"
    "                          HOST is a numeric address, [v6] or localhost\n"
    "  --psk-identity ID       PSK identity (default: the endpoint name, so N devices can\n"
    "                          share one key: devices-file lines `EP psk identity=EP key=HEX`)\n"
    "  --psk-key HEX           PSK key (1..64 bytes): selects PSK mode\n"
    "  --psk-key-per-device    each device's key is HMAC-SHA-256(--psk-key, endpoint), cut to its length\n"
    "  --rpk-key FILE          PEM P-256 private key: selects RPK mode (RFC 7250, client and\n"
    "                          server certificate type RawPublicKey)\n"
    "  --server-spki FILE      RPK mode: pin the server's key (DER SPKI or PEM public key)\n"
    "  --cert FILE --key FILE  client certificate chain and key (PEM): selects X.509 mode\n"
    "  --ca FILE               X.509 mode: trust anchors for the server (else not verified)\n"
    "  --ciphers LIST          wolfSSL cipher list (default PSK-AES128-CCM-8:PSK-AES128-GCM-\n"
    "                          SHA256:PSK-AES128-CBC-SHA256 or the ECDHE-ECDSA equivalents)\n"
    "\n"
    "Client behaviour:\n"
    "  --ep NAME               endpoint name of a single device (default \"sim\")\n"
    "  --no-ep                 omit ep= from the Bootstrap-Request (LwM2M 1.1)\n"
    "  --lwm2m 1.0|1.1         protocol version (1.0: no pct, Bootstrap-Read answers 4.05)\n"
    "  --pct 112|110|11542|none  preferred content format sent as pct= (default 112)\n"
    "  --accept-formats LIST   Write formats accepted, e.g. tlv,senml-json (default all\n"
    "                          built in); others get 4.15, unacceptable Read formats 4.06\n"
    "  --dialect D             wakaama|anjay|zephyr|leshan: Discover format and error codes\n"
    "                          (default wakaama)\n"
    "  --bs-instance N         instance of the client's own BS account (default 0; anjay 1)\n"
    "  --bspack                GET /bspack?ep= first (Anjay, LwM2M 1.2); falls back to\n"
    "                          POST /bs on any error answer, not on a timeout\n"
    "  --no-block              no block-wise transfers: requests with Block1 and Writes\n"
    "                          above --block-size get 4.13 with Size1\n"
    "  --block-size N          Block2 size / largest unblocked Write, 16..1024 (default 1024)\n"
    "  --fail-write PATH:CODE  answer Writes to exactly PATH with CODE (e.g. /1/0:4.00),\n"
    "                          without applying them; up to 8 times\n"
    "  --vanish-after N        answer N server requests (each block counts), then go silent\n"
    "                          until --timeout (outcome \"vanished\")\n"
    "  --unbootstrap           on deletion of a Security instance, delete the Server instances\n"
    "                          with its SSID and its ACL entries; re-elect ACL owners (W+D),\n"
    "                          drop ACL instances left empty (a simple §5.2.5)\n"
    "  --finish-lenient        Finish accepts a configuration without LwM2M Server account\n"
    "                          (what Wakaama and Anjay actually do)\n"
    "  --oscore-ver 1.0|1.1|2.0  object 21 version: 1.x String resources, 2.0 Opaque (default)\n"
    "  --preset-server SSID    start with an LwM2M Server account (/0/x, /1/0, /2/0); repeatable:\n"
    "                          each further one at the next free /0 and /1 instances (no ACL)\n"
    "  --preset-inst /O/I      start with the empty object instance /O/I (repeatable)\n"
    "  --preset-acl SPEC       start with ACL instance IID:OBJ/INST:SSID=RIGHTS,...:OWNER, RIGHTS\n"
    "                          0..31 or letters of RWEDC, e.g. 1:3303/0:101=RW,102=RWD:102 (repeatable)\n"
    "  --state FILE            keep the object store across runs (one device): start with the\n"
    "                          store FILE holds (presets then ignored), else the built-in one;\n"
    "                          write the final store back at the end (mode 0600, atomically)\n"
    "\n"
    "EST-coaps (RFC 9148), the client side of LwM2M Security Mode 4:\n"
    "  --est[=ROOT]            after Finish, on the same DTLS session: GET ROOT/crts, POST a\n"
    "                          fresh key's CSR to ROOT/sen (ROOT /.well-known/est or /est;\n"
    "                          default /.well-known/est); one `est STEP ok|failed ..` line each\n"
    "  --est-only              no bootstrap: the EST steps on a fresh session (one device)\n"
    "  --est-accept 281|287    answer format asked for (PKCS#7 certs-only, or one certificate)\n"
    "  --est-key-curve p256|p384  curve of the generated key (default p256)\n"
    "  --est-key FILE          enroll this PEM EC key instead of a generated one\n"
    "  --est-subject DN        CSR subject, e.g. CN=dev1,O=acme (keys CN O OU C ST L\n"
    "                          serialNumber; no escapes; default CN=<endpoint>)\n"
    "  --est-san-dns NAME      a subjectAltName dNSName in the CSR\n"
    "  --est-block SZX         block size 16<<SZX (0..6) for Block1 and Block2 (default:\n"
    "                          1024-byte Block1 only when the CSR is larger)\n"
    "  --est-out DIR           write DIR/<ep>.key.pem (0600), <ep>.crt.pem, <ep>.crt.der, ca.pem\n"
    "  --est-csr-out FILE      write the sen CSR (DER) to FILE (debugging)\n"
    "  --est-renew             after sen, POST a new CSR for the same key to ROOT/sren\n"
    "                          (DIR/<ep>.renewed.crt.pem)\n"
    "  --est-renew-new-key     sren with a fresh key (DIR/<ep>.renewed.key.pem)\n"
    "  --est-renew-only        crts and sren only (re-enrollment; key: --est-key, else --key)\n"
    "  --x509-handshake H:P    after enrolling, a DTLS 1.2 handshake with the issued\n"
    "                          certificate to H:P (127.0.0.1 or ::1): `x509 handshake ok ..`\n"
    "  --x509-ca FILE          trust anchors for that server (default --ca, else the crts chain)\n"
    "\n"
    "OSCORE (RFC 8613) for the Bootstrap interface (one device), over coap:// or coaps://:\n"
    "  --oscore-sender-id HEX  our Sender ID, 0..7 bytes (\"\" = empty); with the next three\n"
    "                          options every request and answer is OSCORE-protected\n"
    "  --oscore-recipient-id HEX  the server's Sender ID, 0..7 bytes\n"
    "  --oscore-secret HEX     Master Secret (1..64 bytes)\n"
    "  --oscore-salt HEX       Master Salt (default empty)\n"
    "  --oscore-id-context HEX ID Context (default absent; not sent on the wire)\n"
    "  --oscore-b2-init        start Appendix B.2: request #1 with ID Context R1 (8 random\n"
    "                          bytes, sent as kid context); default: the configured context\n"
    "  --oscore-ssn N          first sender sequence number of the configured context\n"
    "  --oscore-nonce-log FILE append `kid=HEX piv=HEX kid_context=HEX msg=req|rsp\n"
    "                          status=ok|replay` per protected message from the server\n"
    "  --oscore-replay FILE    save the first protected request (raw datagram)\n"
    "  --oscore-replay-last FILE  save the latest protected request (raw datagram)\n"
    "  --oscore-send-raw FILE  send that datagram again, print `oscore send-raw answer=C.DD\n"
    "                          protected=yes|no diag=\"..\"`, exit 0 when answered\n"
    "\n"
    "Run and output:\n"
    "  --timeout S             per-device limit from start to Finish (default 30)\n"
    "  --linger MS             keep answering retransmitted Finish after ending (default 0)\n"
    "  --dump FILE             JSON line per device with its final object store (- = stdout)\n"
    "  --expect LIST           outcomes that count as success for the exit status\n"
    "                          (default finished,bspack-finished)\n"
    "  -q, --quiet             no per-device summary lines\n"
    "  -v, --verbose           debug log of every request on stderr\n"
    "\n"
    "Load generator:\n"
    "  --count N               devices to run (endpoint names PREFIX + index)\n"
    "  --concurrency C         devices in flight at once (default 1)\n"
    "  --ep-prefix P           endpoint name prefix (default: --ep, else \"sim-\", when --count > 1)\n"
    "  --start-index I         first index (default 0)\n"
    "  --rate R                at most R new devices per second (default unlimited)\n"
    "  --threads T             event-loop threads (default 1)\n"
    "  --server-pid PID        report the server's CPU time per completed session\n"
    "  --print-devices         print the daemon's devices-file lines for these devices, exit\n"
    "  --print-discover        print this client's Discover answer before any write, exit\n"
    "  --print-state           print the state line this client starts with (--state), exit\n"
    "\n"
    "Exit status: 0 when every device ended with an --expect outcome, 1 otherwise, 2 on\n"
    "usage or set-up errors. Outcomes: finished finish-rejected bspack-finished\n"
    "bspack-rejected request-rejected request-timeout request-reset handshake-failed\n"
    "handshake-timeout timeout vanished closed error.\n";

static int die(const char *fmt, const char *arg)
{
    fprintf(stderr, "bsd-sim: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, " (see --help)\n");
    return 2;
}

static int parse_uint(const char *s, unsigned long max, unsigned long *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || !*s || *end || v > max || *s == '-') return -1;
    *out = v;
    return 0;
}

static int parse_hex(const char *s, uint8_t *out, size_t cap, size_t *len)
{
    size_t n = strlen(s);
    if (n == 0 || n % 2 || n / 2 > cap) return -1;
    for (size_t i = 0; i < n / 2; i++) {
        unsigned v;
        if (sscanf(s + 2 * i, "%2x", &v) != 1 || !strchr("0123456789abcdefABCDEF", s[2 * i]) ||
            !strchr("0123456789abcdefABCDEF", s[2 * i + 1]))
            return -1;
        out[i] = (uint8_t)v;
    }
    *len = n / 2;
    return 0;
}

/* "coaps://127.0.0.1:5684", "coap://[::1]", "coaps://localhost:5684". */
static int parse_server(sim_cfg_t *c, const char *uri, int *secure)
{
    char host[128], port[8];
    const char *p;
    if (strncmp(uri, "coaps://", 8) == 0)
        *secure = 1, p = uri + 8;
    else if (strncmp(uri, "coap://", 7) == 0)
        *secure = 0, p = uri + 7;
    else
        return -1;
    const char *hend, *rest;
    if (*p == '[') {
        hend = strchr(p, ']');
        if (!hend) return -1;
        p++;
        rest = hend + 1;
    } else {
        hend = p + strcspn(p, ":/");
        rest = hend;
    }
    if (hend == p || (size_t)(hend - p) >= sizeof(host)) return -1;
    memcpy(host, p, (size_t)(hend - p));
    host[hend - p] = 0;
    snprintf(port, sizeof(port), "%s", *secure ? "5684" : "5683");
    if (*rest == ':') {
        size_t n = strcspn(rest + 1, "/");
        if (n == 0 || n >= sizeof(port)) return -1;
        memcpy(port, rest + 1, n);
        port[n] = 0;
        rest += 1 + n;
    }
    if (*rest && strcmp(rest, "/") != 0) return -1;
    struct addrinfo hints = {.ai_socktype = SOCK_DGRAM, .ai_flags = AI_NUMERICSERV}, *ai;
    if (strcmp(host, "localhost") != 0)
        hints.ai_flags |= AI_NUMERICHOST;
    else
        hints.ai_family = AF_INET; /* the daemon's usual listener is 127.0.0.1 */
    if (getaddrinfo(host, port, &hints, &ai) != 0) return -1;
    memcpy(&c->addr, ai->ai_addr, ai->ai_addrlen);
    c->addrlen = ai->ai_addrlen;
    freeaddrinfo(ai);
    snprintf(c->uri, sizeof(c->uri), "%s", uri);
    return 0;
}

static int parse_cf(const char *s)
{
    if (!strcmp(s, "tlv") || !strcmp(s, "11542")) return COAP_CF_LWM2M_TLV;
    if (!strcmp(s, "senml-json") || !strcmp(s, "110")) return COAP_CF_SENML_JSON;
    if (!strcmp(s, "senml-cbor") || !strcmp(s, "112")) return COAP_CF_SENML_CBOR;
    return -1;
}

/* "/1/0:4.00" */
static int parse_fail(sim_cfg_t *c, const char *s)
{
    const char *colon = strrchr(s, ':');
    unsigned cls, det;
    char tail;
    if (!colon || c->nfail == SIM_FAIL_MAX) return -1;
    if (sscanf(colon + 1, "%u.%u%c", &cls, &det, &tail) != 2 || cls < 2 || cls > 5 || det > 31) return -1;
    sim_fail_t *f = &c->fail[c->nfail];
    if (lwm2m_path_parse(s, (size_t)(colon - s), &f->path) != 0 || f->path.depth == 0) return -1;
    f->code = COAP_CODE(cls, det);
    c->nfail++;
    return 0;
}

static int parse_list(const char *s, int (*one)(const char *), uint32_t *mask, uint16_t *vals, size_t max,
                      size_t *n)
{
    char buf[512], *save = NULL;
    snprintf(buf, sizeof(buf), "%s", s);
    for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        int v = one(t);
        if (v < 0) return -1;
        if (mask) *mask |= 1u << v;
        if (vals) {
            if (*n == max) return -1;
            vals[(*n)++] = (uint16_t)v;
        }
    }
    return 0;
}

enum {
    O_SERVER = 256,
    O_PSK_ID,
    O_PSK_KEY,
    O_PSK_PER_DEVICE,
    O_RPK_KEY,
    O_SERVER_SPKI,
    O_CERT,
    O_KEY,
    O_CA,
    O_CIPHERS,
    O_EP,
    O_NO_EP,
    O_LWM2M,
    O_PCT,
    O_ACCEPT,
    O_DIALECT,
    O_BS_INST,
    O_BSPACK,
    O_NO_BLOCK,
    O_BLOCK,
    O_FAIL,
    O_VANISH,
    O_UNBOOT,
    O_LENIENT,
    O_OSCORE,
    O_PRESET,
    O_PRESET_INST,
    O_PRESET_ACL,
    O_STATE,
    O_PRINT_STATE,
    O_TIMEOUT,
    O_LINGER,
    O_DUMP,
    O_EXPECT,
    O_COUNT,
    O_CONC,
    O_PREFIX,
    O_START,
    O_RATE,
    O_THREADS,
    O_PID,
    O_PRINT,
    O_PRINT_DISCOVER,
    O_EST,
    O_EST_ONLY,
    O_EST_ACCEPT,
    O_EST_CURVE,
    O_EST_KEY,
    O_EST_SUBJECT,
    O_EST_SAN,
    O_EST_BLOCK,
    O_EST_OUT,
    O_EST_CSR_OUT,
    O_EST_RENEW,
    O_EST_RENEW_NEW_KEY,
    O_EST_RENEW_ONLY,
    O_X509_HS,
    O_X509_CA,
    O_OSC_SID,
    O_OSC_RID,
    O_OSC_SECRET,
    O_OSC_SALT,
    O_OSC_IDCTX,
    O_OSC_B2INIT,
    O_OSC_SSN,
    O_OSC_NONCE_LOG,
    O_OSC_REPLAY,
    O_OSC_REPLAY_LAST,
    O_OSC_SEND_RAW,
};

static const struct option long_opts[] = {
    {"server", 1, 0, O_SERVER},
    {"psk-identity", 1, 0, O_PSK_ID},
    {"psk-key", 1, 0, O_PSK_KEY},
    {"psk-key-per-device", 0, 0, O_PSK_PER_DEVICE},
    {"rpk-key", 1, 0, O_RPK_KEY},
    {"server-spki", 1, 0, O_SERVER_SPKI},
    {"cert", 1, 0, O_CERT},
    {"key", 1, 0, O_KEY},
    {"ca", 1, 0, O_CA},
    {"ciphers", 1, 0, O_CIPHERS},
    {"ep", 1, 0, O_EP},
    {"no-ep", 0, 0, O_NO_EP},
    {"lwm2m", 1, 0, O_LWM2M},
    {"pct", 1, 0, O_PCT},
    {"accept-formats", 1, 0, O_ACCEPT},
    {"dialect", 1, 0, O_DIALECT},
    {"bs-instance", 1, 0, O_BS_INST},
    {"bspack", 0, 0, O_BSPACK},
    {"no-block", 0, 0, O_NO_BLOCK},
    {"block-size", 1, 0, O_BLOCK},
    {"fail-write", 1, 0, O_FAIL},
    {"vanish-after", 1, 0, O_VANISH},
    {"unbootstrap", 0, 0, O_UNBOOT},
    {"finish-lenient", 0, 0, O_LENIENT},
    {"oscore-ver", 1, 0, O_OSCORE},
    {"preset-server", 1, 0, O_PRESET},
    {"preset-inst", 1, 0, O_PRESET_INST},
    {"preset-acl", 1, 0, O_PRESET_ACL},
    {"state", 1, 0, O_STATE},
    {"print-state", 0, 0, O_PRINT_STATE},
    {"timeout", 1, 0, O_TIMEOUT},
    {"linger", 1, 0, O_LINGER},
    {"dump", 1, 0, O_DUMP},
    {"expect", 1, 0, O_EXPECT},
    {"count", 1, 0, O_COUNT},
    {"concurrency", 1, 0, O_CONC},
    {"ep-prefix", 1, 0, O_PREFIX},
    {"start-index", 1, 0, O_START},
    {"rate", 1, 0, O_RATE},
    {"threads", 1, 0, O_THREADS},
    {"server-pid", 1, 0, O_PID},
    {"print-devices", 0, 0, O_PRINT},
    {"print-discover", 0, 0, O_PRINT_DISCOVER},
    {"est", 2, 0, O_EST},
    {"est-only", 0, 0, O_EST_ONLY},
    {"est-accept", 1, 0, O_EST_ACCEPT},
    {"est-key-curve", 1, 0, O_EST_CURVE},
    {"est-key", 1, 0, O_EST_KEY},
    {"est-subject", 1, 0, O_EST_SUBJECT},
    {"est-san-dns", 1, 0, O_EST_SAN},
    {"est-block", 1, 0, O_EST_BLOCK},
    {"est-out", 1, 0, O_EST_OUT},
    {"est-csr-out", 1, 0, O_EST_CSR_OUT},
    {"est-renew", 0, 0, O_EST_RENEW},
    {"est-renew-new-key", 0, 0, O_EST_RENEW_NEW_KEY},
    {"est-renew-only", 0, 0, O_EST_RENEW_ONLY},
    {"x509-handshake", 1, 0, O_X509_HS},
    {"x509-ca", 1, 0, O_X509_CA},
    {"oscore-sender-id", 1, 0, O_OSC_SID},
    {"oscore-recipient-id", 1, 0, O_OSC_RID},
    {"oscore-secret", 1, 0, O_OSC_SECRET},
    {"oscore-salt", 1, 0, O_OSC_SALT},
    {"oscore-id-context", 1, 0, O_OSC_IDCTX},
    {"oscore-b2-init", 0, 0, O_OSC_B2INIT},
    {"oscore-ssn", 1, 0, O_OSC_SSN},
    {"oscore-nonce-log", 1, 0, O_OSC_NONCE_LOG},
    {"oscore-replay", 1, 0, O_OSC_REPLAY},
    {"oscore-replay-last", 1, 0, O_OSC_REPLAY_LAST},
    {"oscore-send-raw", 1, 0, O_OSC_SEND_RAW},
    {"quiet", 0, 0, 'q'},
    {"verbose", 0, 0, 'v'},
    {"help", 0, 0, 'h'},
    {0, 0, 0, 0},
};

typedef struct opts {
    int secure, have_server, bs_inst_set, print_devices, print_discover, ep_set;
    const char *dump;
    sim_presets_t *presets; /* --preset-* beyond the first --preset-server (always set) */
    const char *state;      /* --state FILE */
    int print_state;
    sim_est_cfg_t *est; /* EST options (always set) */
    int est_on;         /* --est or --est-only given */
    int est_extra;      /* some other --est-* / --x509-* option given */
    sim_osc_cfg_t *osc; /* OSCORE context options (always set) */
    unsigned osc_given; /* bit per O_OSC_* option given (1 << (op - O_OSC_SID)) */
    const char *osc_nonce_log, *osc_replay, *osc_replay_last, *osc_send_raw;
} opts_t;

/* The --est-* and --x509-* options with a value. */
static int parse_est_opt(sim_est_cfg_t *e, int op, const char *arg)
{
    unsigned long v;
    switch (op) {
    case O_EST_ACCEPT:
        if (strcmp(arg, "281") && strcmp(arg, "287")) return die("bad --est-accept (281 or 287): %s", arg);
        e->accept = (uint16_t)atoi(arg);
        break;
    case O_EST_CURVE:
        if (strcmp(arg, "p256") && strcmp(arg, "p384"))
            return die("bad --est-key-curve (p256 or p384): %s", arg);
        e->p384 = arg[1] == '3';
        break;
    case O_EST_KEY: e->key_file = arg; break;
    case O_EST_SUBJECT: e->subject = arg; break;
    case O_EST_SAN:
        if (!*arg || strlen(arg) > SIM_EST_SAN_MAX) return die("bad --est-san-dns: %s", arg);
        e->san_dns = arg;
        break;
    case O_EST_BLOCK:
        if (parse_uint(arg, COAP_BLOCK_SZX_MAX, &v)) return die("bad --est-block (SZX 0..6): %s", arg);
        e->szx = (int)v;
        break;
    case O_EST_OUT: e->out_dir = arg; break;
    case O_EST_CSR_OUT: e->csr_out = arg; break;
    case O_EST_RENEW: e->renew = 1; break;
    case O_EST_RENEW_NEW_KEY: e->renew = e->renew_new_key = 1; break;
    case O_EST_RENEW_ONLY: e->renew_only = 1; break;
    case O_X509_HS:
        if (sim_est_parse_hostport(e, arg) != 0)
            return die("bad --x509-handshake (127.0.0.1:PORT or [::1]:PORT): %s", arg);
        break;
    case O_X509_CA: e->hs_ca = arg; break;
    default: return 2;
    }
    return 0;
}

/* An OSCORE ID: hex, or "" for the empty ID (RFC 8613 §3.3). */
static int parse_id(const char *s, uint8_t *out, size_t cap, size_t *len)
{
    if (!*s) return *len = 0, 0;
    return parse_hex(s, out, cap, len);
}

/* The --oscore-* options. */
static int parse_osc_opt(opts_t *o, int op, const char *arg)
{
    sim_osc_cfg_t *k = o->osc;
    unsigned long v;
    o->osc_given |= 1u << (op - O_OSC_SID);
    switch (op) {
    case O_OSC_SID:
        if (parse_id(arg, k->sender_id, sizeof(k->sender_id), &k->sender_id_len))
            return die("bad --oscore-sender-id (0..7 bytes of hex): %s", arg);
        break;
    case O_OSC_RID:
        if (parse_id(arg, k->recipient_id, sizeof(k->recipient_id), &k->recipient_id_len))
            return die("bad --oscore-recipient-id (0..7 bytes of hex): %s", arg);
        break;
    case O_OSC_SECRET:
        if (parse_hex(arg, k->secret, sizeof(k->secret), &k->secret_len))
            return die("bad --oscore-secret (1..64 bytes of hex)%s", "");
        break;
    case O_OSC_SALT:
        if (parse_id(arg, k->salt, sizeof(k->salt), &k->salt_len))
            return die("bad --oscore-salt (0..64 bytes of hex)%s", "");
        break;
    case O_OSC_IDCTX:
        if (parse_id(arg, k->id_ctx, sizeof(k->id_ctx), &k->id_ctx_len))
            return die("bad --oscore-id-context (0..32 bytes of hex): %s", arg);
        k->has_id_ctx = true;
        break;
    case O_OSC_B2INIT: k->b2_init = true; break;
    case O_OSC_SSN:
        if (parse_uint(arg, 1000000000000ul, &v)) return die("bad --oscore-ssn: %s", arg);
        k->first_ssn = v;
        break;
    case O_OSC_NONCE_LOG: o->osc_nonce_log = arg; break;
    case O_OSC_REPLAY: o->osc_replay = arg; break;
    case O_OSC_REPLAY_LAST: o->osc_replay_last = arg; break;
    case O_OSC_SEND_RAW: o->osc_send_raw = arg; break;
    default: return 2;
    }
    return 0;
}

static int parse_args(int argc, char **argv, sim_cfg_t *c, opts_t *o)
{
    unsigned long v;
    int op;
    while ((op = getopt_long(argc, argv, "qvh", long_opts, NULL)) != -1) {
        switch (op) {
        case O_SERVER:
            if (parse_server(c, optarg, &o->secure) != 0) return die("bad --server URI: %s", optarg);
            o->have_server = 1;
            break;
        case O_PSK_ID:
            if (strlen(optarg) > SIM_PSK_ID_MAX) return die("--psk-identity longer than 128 bytes%s", "");
            snprintf(c->psk_identity, sizeof(c->psk_identity), "%s", optarg);
            c->psk_identity_ep = 0;
            break;
        case O_PSK_PER_DEVICE: c->psk_key_per_device = 1; break;
        case O_PSK_KEY:
            if (parse_hex(optarg, c->psk_key, sizeof(c->psk_key), &c->psk_key_len) != 0)
                return die("bad --psk-key (1..64 bytes of hex)%s", "");
            c->sec = SIM_SEC_PSK;
            break;
        case O_RPK_KEY: c->rpk_key = optarg, c->sec = SIM_SEC_RPK; break;
        case O_SERVER_SPKI: c->server_spki = optarg; break;
        case O_CERT: c->cert = optarg, c->sec = SIM_SEC_X509; break;
        case O_KEY: c->key = optarg; break;
        case O_CA: c->ca = optarg; break;
        case O_CIPHERS: c->ciphers = optarg; break;
        case O_EP:
            if (!*optarg || strlen(optarg) > SIM_EP_MAX - 12) return die("bad --ep: %s", optarg);
            c->ep = optarg, o->ep_set = 1;
            break;
        case O_NO_EP: c->omit_ep = 1; break;
        case O_LWM2M:
            if (strcmp(optarg, "1.0") && strcmp(optarg, "1.1")) return die("bad --lwm2m: %s", optarg);
            c->minor = optarg[2] - '0';
            break;
        case O_PCT:
            c->pct = strcmp(optarg, "none") == 0 ? -1 : parse_cf(optarg);
            if (c->pct == -1 && strcmp(optarg, "none")) return die("bad --pct: %s", optarg);
            break;
        case O_ACCEPT:
            c->naccept = 0;
            if (parse_list(optarg, parse_cf, NULL, c->accept_cf, 3, &c->naccept) != 0)
                return die("bad --accept-formats: %s", optarg);
            break;
        case O_DIALECT: {
            int d = sim_dialect_parse(optarg);
            if (d < 0) return die("bad --dialect: %s", optarg);
            c->dialect = (sim_dialect_t)d;
            break;
        }
        case O_BS_INST:
            if (parse_uint(optarg, LWM2M_MAX_ID, &v)) return die("bad --bs-instance: %s", optarg);
            c->bs_inst = (int)v, o->bs_inst_set = 1;
            break;
        case O_BSPACK: c->bspack = 1; break;
        case O_NO_BLOCK: c->no_block = 1; break;
        case O_BLOCK:
            if (parse_uint(optarg, 1024, &v) || v < 16 || (v & (v - 1)))
                return die("bad --block-size: %s", optarg);
            c->block = (unsigned)v;
            break;
        case O_FAIL:
            if (parse_fail(c, optarg) != 0) return die("bad --fail-write (PATH:C.DD, at most 8): %s", optarg);
            break;
        case O_VANISH:
            if (parse_uint(optarg, 1000000, &v) || v == 0) return die("bad --vanish-after: %s", optarg);
            c->vanish_after = (unsigned)v;
            break;
        case O_UNBOOT: c->store_flags |= SIM_ST_UNBOOTSTRAP; break;
        case O_LENIENT: c->store_flags |= SIM_ST_LENIENT; break;
        case O_OSCORE:
            if (!strcmp(optarg, "1.0") || !strcmp(optarg, "1.1"))
                c->store_flags |= SIM_ST_OSCORE_V1;
            else if (strcmp(optarg, "2.0"))
                return die("bad --oscore-ver: %s", optarg);
            break;
        case O_PRESET:
            if (parse_uint(optarg, LWM2M_MAX_ID, &v) || v == 0) return die("bad --preset-server: %s", optarg);
            if (c->preset_ssid == 0)
                c->preset_ssid = (int)v;
            else if (o->presets->nservers == SIM_PRESET_MAX)
                return die("too many --preset-server: %s", optarg);
            else
                o->presets->servers[o->presets->nservers++] = (uint16_t)v;
            break;
        case O_PRESET_INST:
            if (o->presets->ninsts == SIM_PRESET_MAX ||
                sim_preset_inst_parse(optarg, &o->presets->insts[o->presets->ninsts]) != 0)
                return die("bad --preset-inst (/OBJ/INST, at most 32): %s", optarg);
            o->presets->ninsts++;
            break;
        case O_PRESET_ACL:
            if (o->presets->nacls == SIM_PRESET_MAX ||
                sim_preset_acl_parse(optarg, &o->presets->acls[o->presets->nacls]) != 0)
                return die("bad --preset-acl (IID:OBJ/INST:SSID=RIGHTS,...:OWNER, at most 32): %s", optarg);
            o->presets->nacls++;
            break;
        case O_STATE: o->state = optarg; break;
        case O_PRINT_STATE: o->print_state = 1; break;
        case O_TIMEOUT: {
            char *end;
            double t = strtod(optarg, &end);
            if (*end || !(t > 0 && t <= 86400)) return die("bad --timeout: %s", optarg);
            c->timeout_ms = (unsigned)(t * 1000);
            break;
        }
        case O_LINGER:
            if (parse_uint(optarg, 600000, &v)) return die("bad --linger: %s", optarg);
            c->linger_ms = (unsigned)v;
            break;
        case O_DUMP: o->dump = optarg; break;
        case O_EXPECT:
            c->expect_mask = 0;
            if (parse_list(optarg, sim_outcome_parse, &c->expect_mask, NULL, 0, NULL) != 0)
                return die("bad --expect: %s", optarg);
            break;
        case O_COUNT:
            if (parse_uint(optarg, 100000000, &v) || v == 0) return die("bad --count: %s", optarg);
            c->count = (unsigned)v;
            break;
        case O_CONC:
            if (parse_uint(optarg, 1000000, &v) || v == 0) return die("bad --concurrency: %s", optarg);
            c->concurrency = (unsigned)v;
            break;
        case O_PREFIX:
            if (strlen(optarg) > SIM_EP_MAX - 12) return die("--ep-prefix too long: %s", optarg);
            c->ep_prefix = optarg;
            break;
        case O_START:
            if (parse_uint(optarg, 1000000000, &v)) return die("bad --start-index: %s", optarg);
            c->start_index = (unsigned)v;
            break;
        case O_RATE: {
            char *end;
            c->rate = strtod(optarg, &end);
            if (*end || !(c->rate >= 0)) return die("bad --rate: %s", optarg);
            break;
        }
        case O_THREADS:
            if (parse_uint(optarg, SIM_MAX_THREADS, &v) || v == 0) return die("bad --threads: %s", optarg);
            c->threads = (unsigned)v;
            break;
        case O_PID:
            if (parse_uint(optarg, 4194304, &v) || v == 0) return die("bad --server-pid: %s", optarg);
            c->server_pid = (pid_t)v;
            break;
        case O_PRINT: o->print_devices = 1; break;
        case O_PRINT_DISCOVER: o->print_discover = 1; break;
        case O_EST:
            if (optarg && strcmp(optarg, "/.well-known/est") && strcmp(optarg, "/est"))
                return die("bad --est root (/.well-known/est or /est): %s", optarg);
            if (optarg) o->est->root = optarg;
            o->est_on = 1;
            break;
        case O_EST_ONLY: o->est->only = o->est_on = 1; break;
        case 'q': c->quiet = 1; break;
        case 'v': c->verbose = 1; break;
        case 'h': fputs(usage_text, stdout); exit(0);
        default:
            if (op >= O_OSC_SID && op <= O_OSC_SEND_RAW) {
                if (parse_osc_opt(o, op, optarg) != 0) return 2;
                break;
            }
            if (op < O_EST_ACCEPT || op > O_X509_CA || parse_est_opt(o->est, op, optarg) != 0) return 2;
            o->est_extra = 1;
            break;
        }
    }
    if (optind < argc) return die("unexpected argument: %s", argv[optind]);
    return 0;
}

/* Consistency checks and defaults that depend on several options. */
static int finish_cfg(sim_cfg_t *c, opts_t *o)
{
    if (!o->have_server) return die("--server is required%s", "");
    if (o->secure && c->sec == SIM_SEC_NOSEC)
        return die("coaps:// needs --psk-key, --rpk-key or --cert/--key%s", "");
    if (!o->secure) c->sec = SIM_SEC_NOSEC;
    if (c->sec == SIM_SEC_X509 && !c->key) return die("--cert needs --key%s", "");
    if (c->ep_prefix && o->ep_set) return die("--ep and --ep-prefix exclude each other%s", "");
    if (c->count > 1 && !c->ep_prefix)
        c->ep_prefix = o->ep_set ? c->ep : "sim-"; /* --ep dev --count 3: dev0.. */
    if (!c->psk_identity[0]) c->psk_identity_ep = 1;
    if (!o->bs_inst_set) c->bs_inst = c->dialect == SIM_DIALECT_ANJAY ? 1 : 0;
    if (c->dialect == SIM_DIALECT_WAKAAMA) c->store_flags |= SIM_ST_DEL_404;
    if (c->minor == 0) c->pct = -1, c->store_flags |= SIM_ST_LWM2M10;
    if (c->pct >= 0 && !sim_fmt_available((uint16_t)c->pct))
        fprintf(stderr, "bsd-sim: warning: pct=%d but this build has no codec for it\n", c->pct);
    if (o->est_extra && !o->est_on)
        return die("the --est-* and --x509-* options need --est or --est-only%s", "");
    if (o->est_on && c->threads > 1) return die("--est runs one device at a time: no --threads%s", "");
    if (o->est->only && c->count > 1) return die("--est-only runs one device: no --count%s", "");
    if (!o->est->hs_ca) o->est->hs_ca = c->ca;
    if (o->osc_given) {
        unsigned need =
            1u << (O_OSC_SID - O_OSC_SID) | 1u << (O_OSC_RID - O_OSC_SID) | 1u << (O_OSC_SECRET - O_OSC_SID);
        if (!o->osc_send_raw && (o->osc_given & need) != need)
            return die("OSCORE needs --oscore-sender-id, --oscore-recipient-id and --oscore-secret%s", "");
        if (c->count > 1) return die("OSCORE runs one device for now: no --count%s", "");
    }
    if (o->state && c->count > 1) return die("--state keeps one device's store: no --count%s", "");
    sim_presets_t *p = o->presets;
    char err[160];
    if (sim_presets_check(p, c->preset_ssid, err, sizeof(err)) != 0) return die("%s", err);
    if (p->nservers || p->ninsts || p->nacls) c->presets = p;
    if (c->concurrency > c->count) c->concurrency = c->count;
    if (c->threads > c->concurrency) c->threads = c->concurrency;
    return 0;
}

/* A devices-file value in double quotes (lex.h escapes " and \\). */
static void print_quoted(const char *v)
{
    putchar('"');
    for (; *v; v++) {
        if (*v == '"' || *v == '\\') putchar('\\');
        putchar(*v);
    }
    putchar('"');
}

static void print_hex(const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        printf("%02x", b[i]);
}

/* The daemon's devices-file lines for the devices of this run (PSK: the
 * shared key; RPK: the key's SPKI, so only one device makes sense). */
static void print_devices(const sim_cfg_t *c)
{
    for (unsigned i = 0; i < c->count; i++) {
        char ep[SIM_EP_MAX + 1];
        if (c->ep_prefix)
            snprintf(ep, sizeof(ep), "%s%u", c->ep_prefix, c->start_index + i);
        else
            snprintf(ep, sizeof(ep), "%s", c->ep);
        print_quoted(ep);
        switch (c->sec) {
        case SIM_SEC_PSK:
            printf(" psk identity=");
            print_quoted(c->psk_identity_ep ? ep : c->psk_identity);
            printf(" key=");
            uint8_t k[SIM_PSK_KEY_MAX];
            size_t kn = sim_device_psk(c, ep, k);
            print_hex(k, kn);
            break;
        case SIM_SEC_RPK:
            printf(" rpk spki=");
            print_hex(c->cred, c->cred_len);
            break;
        case SIM_SEC_X509:
            printf(" x509 cn=");
            print_quoted(ep);
            break;
        default: printf(" nosec allow=127.0.0.1/32,::1/128"); break;
        }
        putchar('\n');
    }
}

/* The OSCORE state of the one device: the context, or for --oscore-send-raw
 * the saved datagram; the nonce log opened for appending. Returns 0, or 2
 * after printing why. */
static int setup_oscore(sim_cfg_t *c, const opts_t *o, sim_osc_t **out)
{
    char err[160];
    sim_osc_t *osc = calloc(1, sizeof(*osc));
    if (!osc) return fprintf(stderr, "bsd-sim: out of memory\n"), 2;
    *out = osc;
    if (o->osc_send_raw) {
        FILE *f = fopen(o->osc_send_raw, "rb");
        size_t n = f ? fread(osc->raw, 1, sizeof(osc->raw), f) : 0;
        int bad = !f || ferror(f) || n == 0 || (n == sizeof(osc->raw) && fgetc(f) != EOF);
        if (f) fclose(f);
        if (bad) return fprintf(stderr, "bsd-sim: %s: not a saved datagram\n", o->osc_send_raw), 2;
        osc->raw_len = n;
        c->oscore = osc;
        return 0;
    }
    if (sim_osc_init(osc, o->osc, err, sizeof(err)) != 0) return fprintf(stderr, "bsd-sim: %s\n", err), 2;
    osc->replay_path = o->osc_replay;
    osc->replay_last_path = o->osc_replay_last;
    if (o->osc_nonce_log && !(osc->nonce_log = fopen(o->osc_nonce_log, "a")))
        return fprintf(stderr, "bsd-sim: %s: %s\n", o->osc_nonce_log, strerror(errno)), 2;
    c->oscore = osc;
    return 0;
}

/* One result line; returns 1 when --oscore-send-raw got no answer. */
static int report_oscore(const sim_cfg_t *c, sim_osc_t *osc)
{
    int r = 0;
    if (osc->raw_len) {
        if (osc->raw_code)
            printf("oscore send-raw answer=%u.%02u protected=%s diag=\"%s\"\n", osc->raw_code >> 5,
                   osc->raw_code & 31u, osc->raw_protected ? "yes" : "no", osc->raw_diag);
        else
            printf("oscore send-raw no-answer\n"), r = 1;
    } else if (!c->quiet) {
        static const char *const b2[] = {"none", "ctx3", "done"};
        printf("oscore b2=%s b2_runs=%u requests=%u ssn=%llu id_context=", b2[osc->b2 % 3], osc->b2_runs,
               osc->n_sent, (unsigned long long)oscore_ctx_seq_next(&osc->ctx));
        print_hex(osc->ctx.id_ctx, osc->ctx.has_id_ctx ? osc->ctx.id_ctx_len : 0);
        putchar('\n');
    }
    if (osc->nonce_log) fclose(osc->nonce_log);
    oscore_ctx_wipe(&osc->ctx);
    oscore_ctx_wipe(&osc->base);
    free(osc);
    return r;
}

/* --state: the store FILE holds, before anything else runs; a file that
 * does not load is an error (exit 2) and is left as it is. */
static int load_state(sim_cfg_t *c, sim_state_t *st, const char *path)
{
    static char ep[SIM_EP_MAX + 1]; /* the one device's name, as sim_loop.c makes it */
    char err[300];
    if (c->ep_prefix)
        snprintf(ep, sizeof(ep), "%s%u", c->ep_prefix, c->start_index);
    else
        snprintf(ep, sizeof(ep), "%s", c->ep);
    st->path = path;
    st->ep = ep;
    sim_store_init(&st->initial, c->store_flags);
    int r = sim_state_load(path, ep, &st->initial, err, sizeof(err));
    if (r < 0) return fprintf(stderr, "bsd-sim: --state %s\n", err), 2;
    st->loaded = st->have_initial = r == 0;
    return 0;
}

/* --state: the store the device ended with, else (it never ran) the one
 * it would have started with. */
static int save_state(sim_state_t *st)
{
    char err[300];
    int r = sim_state_save(st->path, st->have_final ? &st->final : &st->initial, st->ep, err, sizeof(err));
    if (r != 0) fprintf(stderr, "bsd-sim: --state not saved: %s\n", err);
    sim_state_free(st);
    return r;
}

static void *thread_main(void *arg)
{
    sim_loop_t *l = arg;
    if (sim_loop_run(l) != 0) fprintf(stderr, "bsd-sim: loop: %s\n", l->err);
    return NULL;
}

int main(int argc, char **argv)
{
    static sim_cfg_t cfg;
    static sim_est_cfg_t est = {.root = SIM_EST_ROOT_WK, .accept = COAP_CF_PKCS7_CERTS, .szx = -1};
    static sim_osc_cfg_t osc_cfg;
    static sim_presets_t presets;
    static sim_state_t state;
    opts_t o = {.est = &est, .osc = &osc_cfg, .presets = &presets};
    cfg.minor = 1;
    cfg.pct = COAP_CF_SENML_CBOR;
    cfg.block = SIM_DEFAULT_BLOCK;
    cfg.timeout_ms = 30000;
    cfg.ep = "sim";
    cfg.count = cfg.concurrency = cfg.threads = 1;
    cfg.accept_cf[0] = COAP_CF_LWM2M_TLV, cfg.accept_cf[1] = COAP_CF_SENML_JSON,
    cfg.accept_cf[2] = COAP_CF_SENML_CBOR;
    cfg.naccept = 3;
    cfg.expect_mask = 1u << SIM_OUT_FINISHED | 1u << SIM_OUT_BSPACK_FINISHED;
    int r = parse_args(argc, argv, &cfg, &o);
    if (r == 0) r = finish_cfg(&cfg, &o);
    if (r == 0 && o.state) r = load_state(&cfg, &state, o.state);
    if (r != 0) return r;
    log_set_level(cfg.verbose ? BSD_LOG_DEBUG : BSD_LOG_WARN);
    signal(SIGPIPE, SIG_IGN);
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    /* One socket per device in flight. */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }

    char err[256];
    sim_tls_t tls;
    if (wolfSSL_Init() != WOLFSSL_SUCCESS) {
        fprintf(stderr, "bsd-sim: wolfSSL_Init failed\n");
        return 2;
    }
    if (sim_tls_init(&tls, &cfg, err, sizeof(err)) != 0) {
        fprintf(stderr, "bsd-sim: %s\n", err);
        return 2;
    }
    /* The state the device starts with, built once (the public key that
     * RPK and X.509 mirror into /0/x/3 is known from here on). */
    const char *ep0 = state.ep ? state.ep : cfg.ep;
    if ((o.state || o.print_state) && sim_state_build_initial(&cfg, &state, ep0) != 0) {
        fprintf(stderr, "bsd-sim: out of memory\n");
        return 2;
    }
    if (o.state) cfg.state = &state;
    if (o.print_state) {
        sim_text_t t = {0};
        sim_state_format(&t, &state.initial, ep0);
        if (!t.err) printf("%s\n", t.p);
        sim_text_free(&t);
        sim_state_free(&state);
        sim_tls_free(&tls);
        return t.err ? 1 : 0;
    }
    if (o.print_devices) {
        print_devices(&cfg);
        sim_tls_free(&tls);
        return 0;
    }
    if (o.print_discover) {
        /* What this client answers to a Bootstrap-Discover of "/" before
         * any write: the client state a dry run (bsctl policy plan) needs. */
        sim_dev_t *d = calloc(1, sizeof(*d));
        char buf[4096];
        int n = -1;
        if (d) {
            d->cfg = &cfg;
            sim_store_init(&d->store, cfg.store_flags);
            sim_dev_reset(d, cfg.ep_prefix ? cfg.ep_prefix : cfg.ep, 1, 0);
            lwm2m_path_t root = lwm2m_path(0, 0, 0, 0, 0);
            n = sim_discover(&d->store, cfg.dialect, cfg.minor, &root, buf, sizeof(buf));
            sim_store_free(&d->store);
            free(d->body);
            free(d);
        }
        if (n >= 0) printf("%.*s\n", n, buf);
        sim_tls_free(&tls);
        return n >= 0 ? 0 : 1;
    }
    if (est.only) {
        r = sim_est_only(&cfg, &tls, cfg.ep, &est);
        sim_tls_free(&tls);
        wolfSSL_Cleanup();
        return r;
    }
    if (o.est_on) tls.after_finish = sim_est_after_finish, tls.after_arg = &est;
    sim_osc_t *osc = NULL;
    if (o.osc_given && (r = setup_oscore(&cfg, &o, &osc)) != 0) {
        free(osc);
        sim_tls_free(&tls);
        return r;
    }
    sim_report_t rep = {.out = cfg.quiet ? NULL : stdout};
    pthread_mutex_init(&rep.mu, NULL);
    if (o.dump) {
        rep.dump = strcmp(o.dump, "-") == 0 ? stdout : fopen(o.dump, "w");
        if (!rep.dump) {
            fprintf(stderr, "bsd-sim: %s: %s\n", o.dump, strerror(errno));
            return 2;
        }
    }
    struct rusage ru0, ru1;
    getrusage(RUSAGE_SELF, &ru0);
    uint64_t cpu0 = 0, cpu1 = 0;
    int have_cpu = cfg.server_pid && sim_proc_cpu_ticks(cfg.server_pid, &cpu0) == 0;
    if (cfg.server_pid && !have_cpu)
        fprintf(stderr, "bsd-sim: warning: cannot read /proc/%d/stat\n", (int)cfg.server_pid);

    unsigned nt = cfg.threads;
    sim_loop_t loops[SIM_MAX_THREADS];
    pthread_t th[SIM_MAX_THREADS];
    uint32_t seed = (uint32_t)getpid() ^ (uint32_t)time(NULL) * 2654435761u;
    for (unsigned i = 0; i < nt; i++) {
        sim_loop_t *l = &loops[i];
        memset(l, 0, sizeof(*l));
        l->cfg = &cfg, l->tls = &tls, l->rep = &rep, l->stop = &g_stop;
        l->first = i, l->stride = nt;
        l->total = cfg.count > i ? (cfg.count - i + nt - 1) / nt : 0;
        l->conc = cfg.concurrency / nt + (i < cfg.concurrency % nt);
        l->rate = cfg.rate / nt;
        l->seed = seed + i * 0x9e3779b9u;
    }
    int failed = 0;
    if (nt == 1) {
        failed = sim_loop_run(&loops[0]) != 0;
        if (failed) fprintf(stderr, "bsd-sim: %s\n", loops[0].err);
    } else {
        unsigned started = 0;
        for (; started < nt; started++)
            if (pthread_create(&th[started], NULL, thread_main, &loops[started]) != 0) break;
        if (started < nt) {
            fprintf(stderr, "bsd-sim: cannot start thread %u: stopping\n", started);
            g_stop = 1;
            failed = 1;
        }
        for (unsigned i = 0; i < started; i++)
            pthread_join(th[i], NULL);
    }
    if (have_cpu && sim_proc_cpu_ticks(cfg.server_pid, &cpu1) != 0) have_cpu = 0;
    int raw_mode = osc && osc->raw_len, raw_failed = osc ? report_oscore(&cfg, osc) : 0;
    getrusage(RUSAGE_SELF, &ru1);

    sim_stats_t all;
    memset(&all, 0, sizeof(all));
    for (unsigned i = 0; i < nt; i++) {
        if (sim_stats_merge(&all, &loops[i].st) != 0) failed = 1;
        sim_stats_free(&loops[i].st);
    }
    uint64_t total = 0, good = 0;
    for (int i = 0; i < SIM_OUT_COUNT; i++) {
        total += all.outcomes[i];
        if (cfg.expect_mask & (1u << i)) good += all.outcomes[i];
    }
    if (cfg.count > 1 || cfg.server_pid) {
        sim_stats_print(stdout, &all, cfg.count, cfg.expect_mask, have_cpu ? cpu1 - cpu0 : UINT64_MAX);
        /* Our own CPU, to tell whether the load generator was the bottleneck. */
        double ms =
            (double)(ru1.ru_utime.tv_sec - ru0.ru_utime.tv_sec + ru1.ru_stime.tv_sec - ru0.ru_stime.tv_sec) *
                1e3 +
            (double)(ru1.ru_utime.tv_usec - ru0.ru_utime.tv_usec + ru1.ru_stime.tv_usec -
                     ru0.ru_stime.tv_usec) /
                1e3;
        printf("sim_cpu cpu_ms=%.0f per_device_ms=%.3f threads=%u\n", ms, ms / (double)cfg.count, nt);
    }
    fflush(stdout);
    if (rep.dump && rep.dump != stdout) fclose(rep.dump);
    if (cfg.state && save_state(&state) != 0) failed = 1;
    sim_stats_free(&all);
    sim_tls_free(&tls);
    wolfSSL_Cleanup();
    if (failed) return 2;
    if (raw_mode) return raw_failed; /* the answer is the result, whatever the outcome */
    return total == cfg.count && good == total && est.failures == 0 ? 0 : 1;
}
