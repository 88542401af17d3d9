/*
 * db_device_oscore.h — the OSCORE (RFC 8613) side of a device record: its
 * Master Secret and Master Salt sealed for devices.oscore_secret /
 * devices.oscore_salt and opened again, and the record's context as the
 * credential store (bsd/transport/creds.h) holds it.
 *
 * Sealing is the secretbox's (secretbox.h) with the associated data
 * "devices.<column>" NUL <endpoint>, exactly as devices.psk_key is sealed:
 * a value copied into another device's row, or into the other column, does
 * not open. Field rules are db_device.c's; the table is db_devices.c's.
 *
 * Error codes are negative errno values.
 */
#ifndef BSD_DB_DB_DEVICE_OSCORE_H
#define BSD_DB_DB_DEVICE_OSCORE_H

#include "bsd/db/db_device.h"
#include "bsd/db/secretbox.h"
#include "bsd/transport/creds.h"

#include <stddef.h>
#include <stdint.h>

/* Bytes of a sealed Master Secret / Master Salt at most. */
#define DB_DEVICE_OSCORE_SEALED_MAX (DB_DEVICE_OSCORE_SECRET_MAX + DB_SECRETBOX_OVERHEAD)

/*
 * db_device_oscore_seal seals field |f| (DB_F_OSCORE_SECRET or
 * DB_F_OSCORE_SALT) of |d| with |sb|'s active key into |out| (|cap| bytes,
 * DB_DEVICE_OSCORE_SEALED_MAX is enough); *outlen gets its length.
 *
 * Returns 0; -EINVAL for another field or an empty value; -ENOKEY when
 * |sb| has no key; or a secretbox error.
 */
int db_device_oscore_seal(db_secretbox_t *sb, const db_device_t *d, int f, uint8_t *out, size_t cap,
                          size_t *outlen);

/*
 * db_device_oscore_open opens |sealed| (|len| bytes, as the column holds
 * it) of field |f| into |d| (d->endpoint set): the secret into
 * d->oscore_secret, the salt into d->oscore_salt.
 *
 * Returns 0; -EINVAL for another field or a value of the wrong length;
 * -ENOKEY when its key id is not in |sb|; -EBADMSG when it does not open.
 */
int db_device_oscore_open(const db_secretbox_t *sb, db_device_t *d, int f, const uint8_t *sealed, size_t len);

/*
 * db_device_oscore_creds sets the OSCORE members of |out| (a
 * creds_device_t of kind CREDS_OSCORE) from oscore device |d| (its secret
 * opened). |out| then holds the secret: the caller wipes it.
 */
void db_device_oscore_creds(const db_device_t *d, creds_device_t *out);

#endif /* BSD_DB_DB_DEVICE_OSCORE_H */
