/*
 * secretbox.h — secrets at rest: AES-256-GCM with a rotating keyring.
 *
 * Every secret the PostgreSQL store keeps (PSK keys, OSCORE master secrets,
 * generated credentials) is sealed here before it leaves the process and
 * opened here when it comes back. The database never sees a plaintext key.
 *
 * Sealed format (DB_SECRETBOX_OVERHEAD = 30 bytes more than the plaintext):
 *
 *   offset 0      version   1 byte, DB_SECRETBOX_VERSION (0x01)
 *   offset 1      key id    1 byte, 1..255: the keyring key that sealed it
 *   offset 2      nonce     12 bytes, random per seal (wc_RNG_GenerateBlock)
 *   offset 14     ciphertext, as long as the plaintext
 *   offset 14+n   tag       16 bytes, the GCM authentication tag
 *
 * The GCM additional data is the 2-byte header (version, key id) followed by
 * the caller's associated data |ad|. The store passes "<table>.<column>", a
 * NUL byte and the row key (db_secretbox_ad()), so a ciphertext copied into
 * another device's row, or into another column, does not open.
 *
 * Keyring: up to DB_SECRETBOX_MAX_KEYS keys of 32 bytes, each with an id
 * 1..255. The key with the highest id seals; every key opens. Rotation is
 * "append a key with a higher id": old ciphertexts still open with their key
 * and are re-sealed whenever the row is written again.
 *
 * Keyring text (file or environment variable, same syntax):
 *
 *   # comment
 *   1 000102...1f        (id, blanks, 64 hex digits; one key per line)
 *
 * A key file must not be readable or writable by group or others.
 *
 * Not thread-safe: one db_secretbox_t per thread (it holds an RNG).
 * Key bytes are wiped by db_secretbox_free(); nothing here logs.
 *
 * Error codes are negative errno values.
 */
#ifndef BSD_DB_SECRETBOX_H
#define BSD_DB_SECRETBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DB_SECRETBOX_VERSION   1
#define DB_SECRETBOX_KEY_LEN   32 /* AES-256 */
#define DB_SECRETBOX_MAX_KEYS  16
#define DB_SECRETBOX_NONCE_LEN 12
#define DB_SECRETBOX_TAG_LEN   16
#define DB_SECRETBOX_HDR_LEN   (2 + DB_SECRETBOX_NONCE_LEN)
#define DB_SECRETBOX_OVERHEAD  (DB_SECRETBOX_HDR_LEN + DB_SECRETBOX_TAG_LEN)
#define DB_SECRETBOX_AD_MAX    512         /* bytes of caller associated data */
#define DB_SECRETBOX_PLAIN_MAX 4096        /* largest secret sealed */
#define DB_SECRETBOX_TEXT_MAX  (64 * 1024) /* bytes of keyring text */
#define DB_SECRETBOX_ERR_MAX   256         /* error buffer that fits any message */

/* One key of the ring. */
typedef struct db_secretbox_key {
    uint8_t id;                        /* 1..255 */
    uint8_t key[DB_SECRETBOX_KEY_LEN]; /* SECRET */
} db_secretbox_key_t;

/* A keyring plus the RNG that draws nonces. Opaque RNG storage. */
typedef struct db_secretbox {
    db_secretbox_key_t keys[DB_SECRETBOX_MAX_KEYS]; /* in the order added */
    size_t count;                                   /* keys in use */
    int active;                                     /* index of the sealing key, -1 = none */
    void *rng;                                      /* WC_RNG, created on first seal */
} db_secretbox_t;

/* db_secretbox_init makes |sb| an empty keyring. Cannot fail. */
void db_secretbox_init(db_secretbox_t *sb);

/* db_secretbox_free wipes all keys, frees the RNG and leaves |sb| empty.
 * NULL is allowed. */
void db_secretbox_free(db_secretbox_t *sb);

/*
 * db_secretbox_add_key adds |key| (32 bytes) with id |id|. The key with the
 * highest id becomes the sealing key.
 *
 * Returns 0; -EINVAL for id 0; -EEXIST when |id| is already in the ring;
 * -ENOSPC when the ring holds DB_SECRETBOX_MAX_KEYS keys.
 */
int db_secretbox_add_key(db_secretbox_t *sb, unsigned id, const uint8_t key[DB_SECRETBOX_KEY_LEN]);

/*
 * db_secretbox_load_text parses keyring text (syntax above; at most
 * DB_SECRETBOX_TEXT_MAX bytes) called |name| in messages and adds its keys.
 * On error |err| gets "name:line:col: message" and |sb| is left unchanged.
 *
 * Returns 0; -EINVAL (syntax, bad id, duplicate id, too many keys, no key at
 * all); -EFBIG when the text is too large.
 */
int db_secretbox_load_text(db_secretbox_t *sb, const char *name, const char *text, size_t len, char *err,
                           size_t errcap);

/*
 * db_secretbox_load_file reads a keyring file. Refuses a file that is not a
 * regular file or whose mode gives group or others any access ("path: key
 * file is accessible by group or others (mode 0644); chmod 600 it").
 *
 * Returns 0; -EPERM (mode); -errno when the file cannot be opened or read;
 * the errors of db_secretbox_load_text().
 */
int db_secretbox_load_file(db_secretbox_t *sb, const char *path, char *err, size_t errcap);

/*
 * db_secretbox_load_env reads keyring text from environment variable |var|;
 * messages name it "environment VAR".
 *
 * Returns 0; -ENOENT when |var| is unset; the errors of
 * db_secretbox_load_text().
 */
int db_secretbox_load_env(db_secretbox_t *sb, const char *var, char *err, size_t errcap);

/* db_secretbox_sealed_len returns the sealed size of |plain_len| bytes. */
size_t db_secretbox_sealed_len(size_t plain_len);

/*
 * db_secretbox_ad builds the associated data "<column>\0<key>" into |out|
 * (|cap| bytes) and returns its length, or -ENOSPC when it does not fit.
 * |column| names the table and column ("devices.psk_key"), |key| the row.
 */
int db_secretbox_ad(uint8_t *out, size_t cap, const char *column, const char *key);

/*
 * db_secretbox_seal encrypts |len| bytes at |plain| with the sealing key and
 * a fresh nonce, bound to |ad| (|adlen| bytes), into |out| (|cap| bytes);
 * *outlen = db_secretbox_sealed_len(len).
 *
 * Returns 0; -ENOKEY when the ring is empty; -EINVAL when |len| exceeds
 * DB_SECRETBOX_PLAIN_MAX or |adlen| DB_SECRETBOX_AD_MAX; -ENOSPC when |cap|
 * is too small; -EIO when the RNG or the cipher fails.
 */
int db_secretbox_seal(db_secretbox_t *sb, const uint8_t *ad, size_t adlen, const uint8_t *plain, size_t len,
                      uint8_t *out, size_t cap, size_t *outlen);

/*
 * db_secretbox_open checks and decrypts |len| sealed bytes at |sealed| bound
 * to |ad| into |out| (|cap| bytes), plaintext length in *outlen. |out| is
 * wiped on failure.
 *
 * Returns 0; -EBADMSG when the input is too short, has an unknown version,
 * or fails authentication (wrong key, wrong associated data, tampered
 * bytes); -ENOKEY when the key id is not in the ring; -EINVAL for an |adlen|
 * over DB_SECRETBOX_AD_MAX; -ENOSPC when |cap| is too small; -EIO.
 */
int db_secretbox_open(const db_secretbox_t *sb, const uint8_t *ad, size_t adlen, const uint8_t *sealed,
                      size_t len, uint8_t *out, size_t cap, size_t *outlen);

/* db_secretbox_key_id returns the key id of a sealed value, or 0 when |len|
 * is too short to be one. */
unsigned db_secretbox_key_id(const uint8_t *sealed, size_t len);

/*
 * db_secretbox_gcm_encrypt / _decrypt are the raw AES-256-GCM primitive
 * (96-bit nonce, 128-bit tag) the box is built on; exposed for known-answer
 * tests. Return 0; -EBADMSG (decrypt: tag mismatch); -EIO.
 */
int db_secretbox_gcm_encrypt(const uint8_t key[DB_SECRETBOX_KEY_LEN],
                             const uint8_t nonce[DB_SECRETBOX_NONCE_LEN], const uint8_t *aad, size_t aadlen,
                             const uint8_t *in, size_t len, uint8_t *out, uint8_t tag[DB_SECRETBOX_TAG_LEN]);
int db_secretbox_gcm_decrypt(const uint8_t key[DB_SECRETBOX_KEY_LEN],
                             const uint8_t nonce[DB_SECRETBOX_NONCE_LEN], const uint8_t *aad, size_t aadlen,
                             const uint8_t *in, size_t len, uint8_t *out,
                             const uint8_t tag[DB_SECRETBOX_TAG_LEN]);

#endif /* BSD_DB_SECRETBOX_H */
