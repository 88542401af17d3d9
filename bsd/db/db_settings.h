/*
 * db_settings.h — named values the store keeps for the daemon and bsctl:
 * the credential derivation key today.
 *
 * Error codes are negative errno values; db_errmsg() has the text, which
 * never contains a key.
 */
#ifndef BSD_DB_DB_SETTINGS_H
#define BSD_DB_DB_SETTINGS_H

#include <stdint.h>

#include "bsd/db/db.h"
#include "bsd/db/secretbox.h"

#define DB_CREDENTIAL_KEY_LEN 32

/*
 * db_credential_key reads the key per-device credentials are derived from
 * into |key|, creating it (32 bytes from the kernel's CSPRNG, sealed with
 * |sb|'s active key) on first use. Two processes creating it at once agree
 * on one (the first insert wins; both read it back).
 * Returns 0; -ENOKEY (|sb| cannot seal or open it); -EBADMSG (the stored
 * value does not open); -EIO.
 */
int db_credential_key(db_t *db, db_secretbox_t *sb, uint8_t key[DB_CREDENTIAL_KEY_LEN]);

#endif
