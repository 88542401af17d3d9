/*
 * api_parse.h — the pure pieces of HTTP request handling in the REST admin
 * API: the request target (path segments and query parameters, both
 * percent-decoded), route patterns, the Authorization header, media types,
 * RFC 3339 times, integers and JSON bodies. No I/O, no allocation beyond
 * what api_target_parse() documents; unit-tested (tests/unit/test_api_parse.c)
 * and fuzzed (tests/fuzz/fuzz_api_parse.c). The HTTP server around them is
 * api_server.c; the route table itself api_routes.c.
 *
 * Error codes are negative errno values; messages are for API clients.
 */
#ifndef BSD_API_API_PARSE_H
#define BSD_API_API_PARSE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define API_TARGET_MAX   8192 /* longest request target (path + query) accepted */
#define API_SEGMENTS_MAX 16   /* path segments */
#define API_QUERY_MAX    32   /* query parameters */
#define API_PARAMS_MAX   4    /* {parameters} in one route pattern */
#define API_MSG_MAX      256  /* a message for the client */

/* A name and its percent-decoded, NUL-terminated value. */
typedef struct api_kv {
    const char *name;  /* not NUL-terminated for path parameters: see nlen */
    size_t nlen;       /* bytes of name */
    const char *value; /* decoded; may contain any byte but NUL */
} api_kv_t;

/* A parsed request target ("/api/v1/sessions?limit=5"). */
typedef struct api_target {
    char *arena;                       /* owns every string below (api_target_free) */
    const char *seg[API_SEGMENTS_MAX]; /* decoded path segments, "" for an empty one */
    size_t nseg;
    api_kv_t query[API_QUERY_MAX]; /* decoded query parameters in order */
    size_t nquery;
} api_target_t;

/*
 * api_url_decode decodes |len| bytes of |in| (%XX escapes; '+' as a space
 * when |plus|) into |out| (|cap| >= len + 1 bytes always suffices) and
 * NUL-terminates it.
 *
 * Returns the decoded length; -EINVAL for a malformed escape or an encoded
 * NUL (%00); -ENOSPC when |cap| is too small.
 */
long api_url_decode(const char *in, size_t len, bool plus, char *out, size_t cap);

/*
 * api_target_parse splits the request target |uri| (origin form: starts
 * with '/'; at most API_TARGET_MAX bytes; a '#' fragment is refused) into
 * decoded path segments and query parameters. "/" has no segment; "/a/" has
 * "a" and "". A query parameter without '=' has the value "". A name given
 * twice, an empty name, and more than API_SEGMENTS_MAX segments or
 * API_QUERY_MAX parameters are errors. |msg| (|msgcap| bytes) says what was
 * wrong. On success the caller frees |t| with api_target_free().
 *
 * Returns 0; -EINVAL (malformed; message set); -ENOMEM.
 */
int api_target_parse(const char *uri, api_target_t *t, char *msg, size_t msgcap);

/* api_target_free releases what api_target_parse allocated (safe on a zeroed |t|). */
void api_target_free(api_target_t *t);

/* api_target_query returns the value of query parameter |name|, or NULL. */
const char *api_target_query(const api_target_t *t, const char *name);

/*
 * api_name_in_list tells whether |len| bytes at |name| equal one entry of
 * the comma-separated |list| (no blanks; NULL = empty list).
 */
bool api_name_in_list(const char *name, size_t len, const char *list);

/*
 * api_pattern_match matches the path of |t| against |pattern|
 * ("/api/v1/sessions/{id}": literal segments, and {name} segments that
 * match any one non-empty segment). Parameters go to |params| (at most
 * API_PARAMS_MAX, count in *nparams), pointing into |t| and |pattern|.
 *
 * Returns true on a match.
 */
bool api_pattern_match(const char *pattern, const api_target_t *t, api_kv_t *params, size_t *nparams);

/*
 * api_bearer_parse finds the token in an Authorization header value |hdr|
 * ("Bearer <token>": scheme case-insensitive, one or more blanks, a token68
 * per RFC 6750 §2.1, trailing blanks allowed). *tok and *len give the
 * token inside |hdr|.
 *
 * Returns 0; -ENOENT when |hdr| is NULL or empty; -EINVAL when it is not
 * a Bearer credential of that shape.
 */
int api_bearer_parse(const char *hdr, const char **tok, size_t *len);

/*
 * api_media_type_in tells whether the Content-Type value |ctype| names one
 * of the media types in the comma-separated |list| ("application/json"),
 * comparing type/subtype case-insensitively and ignoring parameters
 * ("; charset=utf-8"). NULL |ctype| never matches.
 */
bool api_media_type_in(const char *ctype, const char *list);

/*
 * api_rfc3339_ok tells whether |s| is an RFC 3339 date-time
 * ("2026-11-27T21:10:00Z", "2026-11-27T21:10:00.123+01:00"; 't', 'z' and a
 * space for 'T' accepted as §5.6 allows) with fields in range (month 1..12,
 * day 1..31, hour 0..23, minute 0..59, second 0..60, offset up to 23:59).
 */
bool api_rfc3339_ok(const char *s);

/*
 * api_parse_u64 parses |s| as a decimal integer in [min, max] (digits
 * only, at most 19 of them).
 *
 * Returns 0 with *out set, or -EINVAL.
 */
int api_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);

/* Where and why a JSON body was refused. */
typedef struct api_json_error {
    int line;               /* 1-based; 0 when not positional (e.g. too large) */
    int column;             /* 1-based, in characters as jansson counts them */
    size_t position;        /* byte offset */
    char text[API_MSG_MAX]; /* "Request body is not valid JSON: ... at line L, column C" */
} api_json_error_t;

/*
 * api_json_parse parses |len| bytes of |body| as one JSON value (duplicate
 * object keys refused, no trailing data). On failure |e| says where.
 *
 * Returns 0 with *out set (the caller owns it); -EINVAL.
 */
int api_json_parse(const char *body, size_t len, json_t **out, api_json_error_t *e);

#endif /* BSD_API_API_PARSE_H */
