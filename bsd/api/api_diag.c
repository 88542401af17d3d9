/*
 * api_diag.c — test-only routes, served when diag_resources is on (as the
 * CoAP /diag resources are): POST /api/v1/diag/stream takes any
 * application/octet-stream body through the streaming interface and
 * answers its size and SHA-256, so the integration test exercises
 * API_BODY_STREAM and the import-size limit before a real import exists.
 */
#include <errno.h>
#include <stdlib.h>
#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/sha256.h>

#include "bsd/api/api_handler.h"
#include "bsd/db/db.h"

static int diag_chunk(api_req_t *req, const char *data, size_t len, api_resp_t *resp)
{
    wc_Sha256 *h = req->stream;
    if (h == NULL) {
        h = malloc(sizeof *h);
        if (h == NULL || wc_InitSha256(h) != 0) {
            free(h);
            api_error(resp, 503, "out_of_memory", NULL, "Out of memory.");
            return -1;
        }
        req->stream = h;
    }
    return wc_Sha256Update(h, (const byte *)data, (word32)len) == 0 ? 0 : -1;
}

static void diag_free(void *stream)
{
    if (stream) wc_Sha256Free(stream);
    free(stream);
}

static int diag_stream(api_req_t *req, api_resp_t *resp)
{
    if (req->stream == NULL && diag_chunk(req, "", 0, resp) != 0)
        return resp->status ? 0 : -1; /* empty body */
    wc_Sha256 *h = req->stream;
    req->stream = NULL;
    uint8_t d[WC_SHA256_DIGEST_SIZE];
    char hex[2 * WC_SHA256_DIGEST_SIZE + 1];
    int r = wc_Sha256Final(h, d);
    diag_free(h);
    if (r != 0) return -1;
    return api_json(resp, 200,
                    json_pack("{s:I, s:s}", "bytes", (json_int_t)req->body_bytes, "sha256",
                              db_hex_encode(d, sizeof d, hex)));
}

const api_route_t api_diag_routes[] = {
    {.method = "POST",
     .pattern = "/api/v1/diag/stream",
     .role = API_ROLE_OPERATOR,
     .handler = diag_stream,
     .body = API_BODY_STREAM,
     .content_types = "application/octet-stream",
     .flags = API_F_IMPORT,
     .on_chunk = diag_chunk,
     .stream_free = diag_free},
    API_ROUTES_END,
};
