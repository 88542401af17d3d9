/*
 * db_device_json.h — the one JSON representation of the device store:
 * a device record (db_device.h) as JSON and back, and a deny-list entry
 * (db_deny.h) as JSON. Used by bsctl (`device show/list --json`, `deny list
 * --json`), by the JSON import parser (devimport.c) and by the REST API
 * (bsd/api/api_devices.c, api_deny.c), so all of them show and accept the
 * same member names: those of docs/DEVICES.md.
 *
 * The output never holds a PSK key or an OSCORE Master Secret or Salt unless DB_DEVICE_JSON_KEY asks for it
 * (bsctl `device show --reveal`); the API never asks.
 *
 * Error codes are negative errno values.
 */
#ifndef BSD_DB_DB_DEVICE_JSON_H
#define BSD_DB_DB_DEVICE_JSON_H

#include <jansson.h>
#include <stddef.h>

#include "bsd/db/db_deny.h"
#include "bsd/db/db_device.h"

/* What db_device_json() adds besides the public fields. */
#define DB_DEVICE_JSON_KEY_ID 1u /* psk_key_id / oscore_secret_key_id: which keyring key sealed it */
#define DB_DEVICE_JSON_KEY    2u /* psk_key, oscore_secret and oscore_salt in hex, when opened (SECRET) */

/*
 * db_device_json returns |d| as a JSON object: endpoint, kind, the
 * credential members of its kind (psk_identity; spki; x509_name_type,
 * x509_name, fingerprint; nosec_allow as an array; oscore_sender_id,
 * oscore_recipient_id, oscore_id_context when there is one — for a psk,
 * rpk or x509 device with an OSCORE context too), labels (an object),
 * serial (null when none), credential_version, created, updated, and
 * bootstrap_credential_written (rotation, kind, psk_identity, written_at)
 * when a rotated credential waits to be used. |flags| adds DB_DEVICE_JSON_*.
 *
 * Returns the object (the caller owns it), or NULL on OOM.
 */
json_t *db_device_json(const db_device_t *d, unsigned flags);

/*
 * db_device_from_json fills |d| (cleared by the caller) from JSON object
 * |o| as the JSON import format defines it: members named as the fields,
 * all strings or null (= not given); nosec_allow may also be an array of
 * strings and labels an object of strings. "kind" is applied first; field
 * rules are db_device_set_field()'s. It does not call db_device_finish().
 * On error |msg| (|cap| bytes) says why, without position, and *field
 * (may be NULL) names the member at fault ("" for the object as a whole).
 *
 * Returns 0 or -EINVAL.
 */
int db_device_from_json(db_device_t *d, const json_t *o, char *msg, size_t cap, const char **field);

/*
 * db_deny_entry_json returns deny-list entry |e| as {"type": "device" |
 * "source", "what", "reason", "actor", "created"}, or NULL on OOM.
 */
json_t *db_deny_entry_json(const db_deny_entry_t *e);

#endif /* BSD_DB_DB_DEVICE_JSON_H */
