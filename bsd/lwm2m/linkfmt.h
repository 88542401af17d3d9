/*
 * linkfmt.h — CoRE Link Format (RFC 6690, Content-Format 40) parser for
 * Bootstrap-Discover answers, and the questions the bootstrap engine asks
 * of them (which Security instance is the Bootstrap-Server account, which
 * version each object has, which instances and SSIDs exist).
 *
 * Clients in the field do not all follow RFC 6690 (LWM2M-BOOTSTRAP.md):
 *   Wakaama  </>;lwm2m=1.1,</0/0>,</1>;ver=1.1,</1/0>;ssid=123,…
 *   Anjay    </>;lwm2m=1.1,</0>,</0/1>;uri="coap://…",</1>,…  (1.0: lwm2m="1.0")
 *   Zephyr   lwm2m="1.0",</0/0>,</0/1>;ssid=0,…  (no </>: the version is a bare
 *            attribute, as in the LwM2M 1.0 examples, which Core 1.1.1
 *            §6.1.7.3 lets servers accept)
 *   Leshan   </>;lwm2m=1.0,</0/0>;uri="coap://…",</0/1>;ssid=2222;uri="…",…
 * and older examples write </0/1/> with a trailing "/". So the parser only
 * refuses what it cannot read: an unterminated "<" or quoted string, a
 * target that is not an LwM2M path, a value for ssid/ver/lwm2m that is not
 * a number, or input beyond the bounds below. It accepts spaces around
 * ",", ";" and "=", empty elements (",,", a trailing ","), quoted or bare
 * values, attributes without a value and unknown attributes.
 *
 * Nothing allocates: entries go into a caller-provided array and every
 * text span points into the input.
 */
#ifndef BSD_LWM2M_LINKFMT_H
#define BSD_LWM2M_LINKFMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bsd/lwm2m/lwm2m_data.h"

#define LINKFMT_MAX_INPUT   (32u * 1024u) /* largest Discover payload accepted */
#define LINKFMT_MAX_ENTRIES 128           /* entry array size callers are expected to pass */
#define LINKFMT_MAX_ATTRS   6             /* "other" attributes kept per entry */
#define LINKFMT_MAX_NAME    32            /* longest attribute name */
#define LINKFMT_MAX_VALUE   1024          /* longest attribute value (quotes excluded) */

/* A piece of the input; p == NULL means "absent" (len is then 0). */
typedef struct linkfmt_span {
    const char *p;
    size_t len;
} linkfmt_span_t;

/* An attribute other than ssid, uri, ver (and lwm2m on "/"). */
typedef struct linkfmt_attr {
    linkfmt_span_t name;
    linkfmt_span_t value; /* without quotes, escapes left as sent; p == NULL: no "=" */
} linkfmt_attr_t;

/* One link, i.e. one object, instance or (rarely) resource. */
typedef struct linkfmt_entry {
    lwm2m_path_t path;  /* depth 0 ("/") to 4 */
    bool bare;          /* no <target>: attributes before the first link, filed under "/" */
    bool has_ssid;      /* ssid= present */
    uint16_t ssid;      /* 0..65535 (Zephyr reports 0 for unset SSIDs) */
    linkfmt_span_t uri; /* uri= without quotes; p == NULL when absent */
    bool has_ver;       /* ver= present */
    uint8_t ver_major;  /* ver= value, e.g. 1.1 */
    uint8_t ver_minor;
    uint8_t nattrs;        /* entries used in |attrs| */
    uint8_t attrs_dropped; /* further attributes not kept (saturates at 255) */
    linkfmt_attr_t attrs[LINKFMT_MAX_ATTRS];
} linkfmt_entry_t;

/* A parsed Discover answer. */
typedef struct linkfmt_doc {
    const linkfmt_entry_t *entries; /* the caller's array */
    size_t count;
    bool has_root;       /* a "</>" link was present (LwM2M 1.1 form; 1.0 clients often omit it) */
    bool has_lwm2m;      /* lwm2m= found on "/" (or bare); else 1.0 is assumed */
    uint8_t lwm2m_major; /* 1.0 when !has_lwm2m */
    uint8_t lwm2m_minor;
} linkfmt_doc_t;

/* Instance of object 0 or 1 (or any object) with the attributes the
 * bootstrap engine needs. */
typedef struct linkfmt_account {
    uint16_t iid;
    bool has_ssid;
    uint16_t ssid;
    linkfmt_span_t uri; /* p == NULL when absent */
} linkfmt_account_t;

/*
 * Parses the link-format payload |in| (|len| bytes, need not be
 * NUL-terminated) into |entries| (room for |cap|, normally
 * LINKFMT_MAX_ENTRIES) and fills |*doc|, which refers to |entries| and to
 * |in|: both must outlive it. On error |*doc| is left empty (no entries,
 * version 1.0 assumed). Returns the number of entries or:
 *   LWM2M_ERR_FORMAT   an unterminated "<" or quoted string, a target that
 *                      is not /, /o, /o/i, /o/i/r or /o/i/r/ri (IDs up to
 *                      65534, one trailing "/" tolerated), junk after ">",
 *                      a value "=" without a name, a ver= or lwm2m= that is
 *                      not MAJOR[.MINOR] (each 0..255), or ssid, uri or ver
 *                      given twice in one entry;
 *   LWM2M_ERR_RANGE    an ssid= that is not a number in 0..65535 (including
 *                      an empty one: the Bootstrap-Server account is told
 *                      apart by having no ssid, so a broken one is not
 *                      guessed at);
 *   LWM2M_ERR_NOSPACE  more than |cap| entries;
 *   LWM2M_ERR_LIMIT    |len| > LINKFMT_MAX_INPUT, or an attribute name or
 *                      value longer than LINKFMT_MAX_NAME / LINKFMT_MAX_VALUE.
 */
int linkfmt_parse(const char *in, size_t len, linkfmt_doc_t *doc, linkfmt_entry_t *entries, size_t cap);

/* The client's LwM2M version: writes it and returns 1 when stated, or
 * writes 1.0 and returns 0 when the answer had no lwm2m= (1.0 clients). */
int linkfmt_lwm2m_version(const linkfmt_doc_t *doc, uint8_t *major, uint8_t *minor);

/*
 * Version of object |obj| from the ver= of its </obj> entry. Returns 1 and
 * writes it when stated; returns 0 and writes 1.0 (what a missing ver=
 * means) when the object is listed without ver=; returns
 * LWM2M_ERR_PATH when no entry names the object at all.
 */
int linkfmt_object_version(const linkfmt_doc_t *doc, uint16_t obj, uint8_t *major, uint8_t *minor);

/* Instance IDs of |obj|, from its </obj/inst> entries, each once, in the
 * order of the answer. Writes at most |cap| into |iids| (may be NULL when
 * |cap| is 0) and returns the total number found. */
size_t linkfmt_instances(const linkfmt_doc_t *doc, uint16_t obj, uint16_t *iids, size_t cap);

/* Instances of |obj| (0 Security or 1 Server) with their ssid and uri, as
 * linkfmt_instances(): at most |cap| written, total returned. */
size_t linkfmt_accounts(const linkfmt_doc_t *doc, uint16_t obj, linkfmt_account_t *out, size_t cap);

/*
 * The Bootstrap-Server account: Security instances (</0/x>) without ssid.
 * Writes at most |cap| instance IDs into |iids| and returns how many there
 * are: 1 is the normal case, 0 means the client did not list one, and more
 * than 1 is the "two BS accounts" state (Leshan #986) the engine must not
 * make worse.
 */
size_t linkfmt_find_bs_account(const linkfmt_doc_t *doc, uint16_t *iids, size_t cap);

#endif
