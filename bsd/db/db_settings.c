/*
 * db_settings.c — the settings table (db_settings.h). The key is sealed
 * under the associated data "settings.value" NUL "credential_key", so a
 * sealed value copied from another row does not open as this one.
 */
#include "bsd/db/db_settings.h"

#include <errno.h>
#include <libpq-fe.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

static const char KEY_NAME[] = "credential_key";

/* Reads the sealed value; 1 found, 0 absent, -EIO. */
static int read_sealed(db_t *db, uint8_t *out, size_t cap, size_t *len)
{
    const char *p[1] = {KEY_NAME};
    int fmt[1] = {0};
    PGresult *res =
        PQexecParams(db_pg(db), "SELECT value FROM settings WHERE name = $1", 1, NULL, p, NULL, fmt, 1);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        db_set_pg_error(db, "reading the credential key", res);
        PQclear(res);
        return -EIO;
    }
    int found = PQntuples(res) == 1;
    if (found) {
        size_t n = (size_t)PQgetlength(res, 0, 0);
        if (n > cap) {
            db_set_error(db, "the stored credential key is %zu bytes: damaged", n);
            PQclear(res);
            return -EBADMSG;
        }
        memcpy(out, PQgetvalue(res, 0, 0), n);
        *len = n;
    }
    PQclear(res);
    return found;
}

int db_credential_key(db_t *db, db_secretbox_t *sb, uint8_t key[DB_CREDENTIAL_KEY_LEN])
{
    uint8_t ad[64], sealed[256];
    int adlen = db_secretbox_ad(ad, sizeof(ad), "settings.value", KEY_NAME);
    if (adlen < 0) return -EINVAL;
    size_t slen = 0;
    int r = read_sealed(db, sealed, sizeof(sealed), &slen);
    if (r < 0) return r;
    if (r == 0) {
        uint8_t fresh[DB_CREDENTIAL_KEY_LEN];
        if (getrandom(fresh, sizeof(fresh), 0) != (ssize_t)sizeof(fresh)) {
            db_set_error(db, "getrandom failed");
            return -EIO;
        }
        size_t n = 0;
        int s = db_secretbox_seal(sb, ad, (size_t)adlen, fresh, sizeof(fresh), sealed, sizeof(sealed), &n);
        explicit_bzero(fresh, sizeof(fresh));
        if (s != 0) {
            db_set_error(db, "cannot seal the credential key (no active key in the keyring?)");
            return -ENOKEY;
        }
        const char *p[2] = {KEY_NAME, (const char *)sealed};
        int lens[2] = {0, (int)n}, fmts[2] = {0, 1};
        PGresult *res = PQexecParams(
            db_pg(db), "INSERT INTO settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING", 2,
            NULL, p, lens, fmts, 0);
        if (PQresultStatus(res) != PGRES_COMMAND_OK) {
            db_set_pg_error(db, "storing the credential key", res);
            PQclear(res);
            return -EIO;
        }
        PQclear(res);
        r = read_sealed(db, sealed, sizeof(sealed), &slen); /* whoever inserted first */
        if (r <= 0) return r < 0 ? r : -EIO;
    }
    uint8_t plain[64];
    size_t plen = 0;
    int o = db_secretbox_open(sb, ad, (size_t)adlen, sealed, slen, plain, sizeof(plain), &plen);
    if (o != 0 || plen != DB_CREDENTIAL_KEY_LEN) {
        explicit_bzero(plain, sizeof(plain));
        db_set_error(db, "the stored credential key does not open with the keyring (key id %u)",
                     db_secretbox_key_id(sealed, slen));
        return o == -ENOKEY ? -ENOKEY : -EBADMSG;
    }
    memcpy(key, plain, DB_CREDENTIAL_KEY_LEN);
    explicit_bzero(plain, sizeof(plain));
    return 0;
}
