/*
 * secretbox.c — AES-256-GCM sealing with a keyring (format and contract in
 * secretbox.h). The cipher is wolfCrypt's; keyring text uses the lexical
 * helpers of bsd/util/lex.h (hex, bounded file reads, error formatting).
 *
 * The header bytes (version, key id) are part of the GCM additional data, so
 * flipping the key id of a ciphertext fails authentication instead of
 * decrypting under another key.
 */
#include "bsd/db/secretbox.h"

#include "bsd/util/lex.h"

#include <wolfssl/options.h>

#include <wolfssl/wolfcrypt/aes.h>
#include <wolfssl/wolfcrypt/error-crypt.h>
#include <wolfssl/wolfcrypt/random.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

void db_secretbox_init(db_secretbox_t *sb)
{
    memset(sb, 0, sizeof *sb);
    sb->active = -1;
}

void db_secretbox_free(db_secretbox_t *sb)
{
    if (sb == NULL) return;
    if (sb->rng != NULL) {
        wc_FreeRng(sb->rng);
        explicit_bzero(sb->rng, sizeof(WC_RNG));
        free(sb->rng);
    }
    explicit_bzero(sb, sizeof *sb);
    sb->active = -1;
}

static int db_secretbox_find(const db_secretbox_t *sb, unsigned id)
{
    for (size_t i = 0; i < sb->count; i++)
        if (sb->keys[i].id == id) return (int)i;
    return -1;
}

int db_secretbox_add_key(db_secretbox_t *sb, unsigned id, const uint8_t key[DB_SECRETBOX_KEY_LEN])
{
    if (id == 0 || id > 255) return -EINVAL;
    if (db_secretbox_find(sb, id) >= 0) return -EEXIST;
    if (sb->count == DB_SECRETBOX_MAX_KEYS) return -ENOSPC;
    sb->keys[sb->count].id = (uint8_t)id;
    memcpy(sb->keys[sb->count].key, key, DB_SECRETBOX_KEY_LEN);
    if (sb->active < 0 || sb->keys[sb->active].id < id) sb->active = (int)sb->count;
    sb->count++;
    return 0;
}

/* ---- keyring text ----------------------------------------------------------- */

static bool sb_blank(char c)
{
    return c == ' ' || c == '\t';
}

int db_secretbox_load_text(db_secretbox_t *sb, const char *name, const char *text, size_t len, char *err,
                           size_t errcap)
{
    if (len > DB_SECRETBOX_TEXT_MAX) {
        lex_errorf(err, errcap, "%s: keyring too large (max %d bytes)", name, DB_SECRETBOX_TEXT_MAX);
        return -EFBIG;
    }
    db_secretbox_t tmp = *sb; /* committed only when every line is good */
    tmp.rng = NULL;
    lex_reader_t rd;
    lex_line_t l;
    lex_error_t e;
    int r;
    size_t added = 0;
    lex_reader_init(&rd, text, len);
    while ((r = lex_next_line(&rd, &l, &e)) > 0) {
        if (lex_skip_blank(&l)) continue;
        unsigned col = lex_col(&l);
        size_t s = l.pos;
        while (l.pos < l.len && !sb_blank(l.p[l.pos]))
            l.pos++;
        uint64_t id;
        if (lex_parse_uint(l.p + s, l.pos - s, 255, &id) != 0 || id == 0) {
            r = lex_fail(&e, l.lineno, col, "key id must be an integer in 1..255");
            break;
        }
        if (lex_skip_blank(&l)) {
            r = lex_fail(&e, l.lineno, lex_col(&l), "missing key: 64 hex digits");
            break;
        }
        unsigned kcol = lex_col(&l);
        s = l.pos;
        while (l.pos < l.len && !sb_blank(l.p[l.pos]))
            l.pos++;
        uint8_t key[DB_SECRETBOX_KEY_LEN];
        size_t klen, bad;
        int hr = lex_hex_decode(l.p + s, l.pos - s, key, sizeof key, &klen, &bad);
        if (hr < 0 || klen != DB_SECRETBOX_KEY_LEN) {
            explicit_bzero(key, sizeof key);
            if (hr == -EINVAL && bad < l.pos - s)
                r = lex_fail(&e, l.lineno, kcol + (unsigned)bad, "key must be hex digits");
            else
                r = lex_fail(&e, l.lineno, kcol, "key must be 64 hex digits (32 bytes)");
            break;
        }
        if (!lex_skip_blank(&l)) {
            explicit_bzero(key, sizeof key);
            r = lex_fail(&e, l.lineno, lex_col(&l), "unexpected text after the key");
            break;
        }
        int ar = db_secretbox_add_key(&tmp, (unsigned)id, key);
        explicit_bzero(key, sizeof key);
        if (ar == -EEXIST) {
            r = lex_fail(&e, l.lineno, col, "duplicate key id %u", (unsigned)id);
            break;
        }
        if (ar == -ENOSPC) {
            r = lex_fail(&e, l.lineno, col, "too many keys (max %d)", DB_SECRETBOX_MAX_KEYS);
            break;
        }
        added++;
    }
    if (r == 0 && added == 0) {
        lex_errorf(err, errcap, "%s: no key (expected lines \"ID HEX64\")", name);
        r = -EINVAL;
    } else if (r < 0) {
        lex_format_error(err, errcap, name, &e);
    }
    if (r == 0) {
        void *rng = sb->rng;
        *sb = tmp;
        sb->rng = rng;
    }
    explicit_bzero(&tmp, sizeof tmp);
    return r < 0 ? r : 0;
}

int db_secretbox_load_file(db_secretbox_t *sb, const char *path, char *err, size_t errcap)
{
    char *buf;
    size_t len;
    struct stat st;
    int r = lex_load_file(path, DB_SECRETBOX_TEXT_MAX, &buf, &len, &st, err, errcap);
    if (r < 0) return r;
    if (st.st_mode & 077) {
        lex_errorf(err, errcap, "%s: key file is accessible by group or others (mode %04o); chmod 600 it",
                   path, (unsigned)(st.st_mode & 07777));
        r = -EPERM;
    } else {
        r = db_secretbox_load_text(sb, path, buf, len, err, errcap);
    }
    explicit_bzero(buf, len);
    free(buf);
    return r;
}

int db_secretbox_load_env(db_secretbox_t *sb, const char *var, char *err, size_t errcap)
{
    const char *v = getenv(var);
    if (v == NULL) {
        lex_errorf(err, errcap, "environment %s: not set", var);
        return -ENOENT;
    }
    char name[128];
    snprintf(name, sizeof name, "environment %s", var);
    return db_secretbox_load_text(sb, name, v, strlen(v), err, errcap);
}

/* ---- the primitive ---------------------------------------------------------- */

int db_secretbox_gcm_encrypt(const uint8_t key[DB_SECRETBOX_KEY_LEN],
                             const uint8_t nonce[DB_SECRETBOX_NONCE_LEN], const uint8_t *aad, size_t aadlen,
                             const uint8_t *in, size_t len, uint8_t *out, uint8_t tag[DB_SECRETBOX_TAG_LEN])
{
    Aes aes;
    int r = -EIO;
    if (wc_AesInit(&aes, NULL, INVALID_DEVID) != 0) return -EIO;
    if (wc_AesGcmSetKey(&aes, key, DB_SECRETBOX_KEY_LEN) == 0 &&
        wc_AesGcmEncrypt(&aes, out, in, (word32)len, nonce, DB_SECRETBOX_NONCE_LEN, tag, DB_SECRETBOX_TAG_LEN,
                         aad, (word32)aadlen) == 0)
        r = 0;
    wc_AesFree(&aes);
    explicit_bzero(&aes, sizeof aes);
    return r;
}

int db_secretbox_gcm_decrypt(const uint8_t key[DB_SECRETBOX_KEY_LEN],
                             const uint8_t nonce[DB_SECRETBOX_NONCE_LEN], const uint8_t *aad, size_t aadlen,
                             const uint8_t *in, size_t len, uint8_t *out,
                             const uint8_t tag[DB_SECRETBOX_TAG_LEN])
{
    Aes aes;
    int r = -EIO;
    if (wc_AesInit(&aes, NULL, INVALID_DEVID) != 0) return -EIO;
    if (wc_AesGcmSetKey(&aes, key, DB_SECRETBOX_KEY_LEN) == 0) {
        int w = wc_AesGcmDecrypt(&aes, out, in, (word32)len, nonce, DB_SECRETBOX_NONCE_LEN, tag,
                                 DB_SECRETBOX_TAG_LEN, aad, (word32)aadlen);
        r = w == 0 ? 0 : w == AES_GCM_AUTH_E ? -EBADMSG : -EIO;
    }
    wc_AesFree(&aes);
    explicit_bzero(&aes, sizeof aes);
    if (r != 0) explicit_bzero(out, len);
    return r;
}

/* ---- the box ---------------------------------------------------------------- */

size_t db_secretbox_sealed_len(size_t plain_len)
{
    return plain_len + DB_SECRETBOX_OVERHEAD;
}

int db_secretbox_ad(uint8_t *out, size_t cap, const char *column, const char *key)
{
    size_t a = strlen(column), b = strlen(key);
    if (a + 1 + b > cap || a + 1 + b > DB_SECRETBOX_AD_MAX) return -ENOSPC;
    memcpy(out, column, a);
    out[a] = 0;
    memcpy(out + a + 1, key, b);
    return (int)(a + 1 + b);
}

unsigned db_secretbox_key_id(const uint8_t *sealed, size_t len)
{
    return len >= DB_SECRETBOX_OVERHEAD ? sealed[1] : 0;
}

/* Header || caller AD: what GCM authenticates besides the ciphertext. */
static size_t sb_aad(uint8_t *aad, const uint8_t hdr[2], const uint8_t *ad, size_t adlen)
{
    aad[0] = hdr[0];
    aad[1] = hdr[1];
    if (adlen > 0) memcpy(aad + 2, ad, adlen);
    return adlen + 2;
}

int db_secretbox_seal(db_secretbox_t *sb, const uint8_t *ad, size_t adlen, const uint8_t *plain, size_t len,
                      uint8_t *out, size_t cap, size_t *outlen)
{
    if (sb->active < 0) return -ENOKEY;
    if (len > DB_SECRETBOX_PLAIN_MAX || adlen > DB_SECRETBOX_AD_MAX) return -EINVAL;
    if (cap < db_secretbox_sealed_len(len)) return -ENOSPC;
    if (sb->rng == NULL) {
        WC_RNG *rng = calloc(1, sizeof *rng);
        if (rng == NULL) return -ENOMEM;
        if (wc_InitRng(rng) != 0) {
            free(rng);
            return -EIO;
        }
        sb->rng = rng;
    }
    const db_secretbox_key_t *k = &sb->keys[sb->active];
    out[0] = DB_SECRETBOX_VERSION;
    out[1] = k->id;
    if (wc_RNG_GenerateBlock(sb->rng, out + 2, DB_SECRETBOX_NONCE_LEN) != 0) return -EIO;
    uint8_t aad[2 + DB_SECRETBOX_AD_MAX];
    size_t aadlen = sb_aad(aad, out, ad, adlen);
    int r = db_secretbox_gcm_encrypt(k->key, out + 2, aad, aadlen, plain, len, out + DB_SECRETBOX_HDR_LEN,
                                     out + DB_SECRETBOX_HDR_LEN + len);
    if (r < 0) {
        explicit_bzero(out, db_secretbox_sealed_len(len));
        return r;
    }
    *outlen = db_secretbox_sealed_len(len);
    return 0;
}

int db_secretbox_open(const db_secretbox_t *sb, const uint8_t *ad, size_t adlen, const uint8_t *sealed,
                      size_t len, uint8_t *out, size_t cap, size_t *outlen)
{
    if (adlen > DB_SECRETBOX_AD_MAX) return -EINVAL;
    if (len < DB_SECRETBOX_OVERHEAD || sealed[0] != DB_SECRETBOX_VERSION) return -EBADMSG;
    size_t n = len - DB_SECRETBOX_OVERHEAD;
    if (cap < n) return -ENOSPC;
    int i = db_secretbox_find(sb, sealed[1]);
    if (i < 0) return -ENOKEY;
    uint8_t aad[2 + DB_SECRETBOX_AD_MAX];
    size_t aadlen = sb_aad(aad, sealed, ad, adlen);
    int r = db_secretbox_gcm_decrypt(sb->keys[i].key, sealed + 2, aad, aadlen, sealed + DB_SECRETBOX_HDR_LEN,
                                     n, out, sealed + DB_SECRETBOX_HDR_LEN + n);
    if (r < 0) return r;
    *outlen = n;
    return 0;
}
