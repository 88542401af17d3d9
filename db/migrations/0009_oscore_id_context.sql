-- 0009_oscore_id_context.sql — devices of kind 'oscore' (RFC 8613): the
-- columns 0001 reserved, made usable, plus the ID Context.
--
--   oscore_sender_id     the DEVICE's Sender ID: the kid of its requests,
--                        so the server's Recipient ID (0..7 bytes; empty is
--                        a valid ID).
--   oscore_recipient_id  the device's Recipient ID = the server's Sender ID.
--   oscore_secret        Master Secret (16..64 bytes), sealed like psk_key
--                        (bsd/db/secretbox.c, associated data
--                        "devices.oscore_secret" NUL endpoint).
--   oscore_salt          Master Salt (1..32 bytes), sealed likewise
--                        ("devices.oscore_salt"); NULL: the empty salt.
--   oscore_id_context    ID Context (1..32 bytes); NULL: none.
--
-- The server finds an OSCORE device by the kid and kid context its request
-- carries, so (Sender ID, ID Context) is unique among oscore devices; a
-- device without an ID Context counts as the empty one here (the store
-- never holds an empty ID Context).

ALTER TABLE devices DROP CONSTRAINT devices_kind_check;
ALTER TABLE devices ADD CONSTRAINT devices_kind_check
    CHECK (kind IN ('psk', 'rpk', 'x509', 'nosec', 'oscore'));
ALTER TABLE devices ADD COLUMN oscore_id_context bytea
    CHECK (length(oscore_id_context) BETWEEN 1 AND 32);
ALTER TABLE devices ADD CONSTRAINT devices_oscore_secret_len
    CHECK (length(oscore_secret) BETWEEN 30 + 16 AND 30 + 64);
ALTER TABLE devices ADD CONSTRAINT devices_oscore_salt_len
    CHECK (length(oscore_salt) BETWEEN 30 + 1 AND 30 + 32);
-- Each kind carries exactly its own credential columns.
ALTER TABLE devices ADD CONSTRAINT devices_oscore_kind
    CHECK ((kind = 'oscore') = (oscore_sender_id IS NOT NULL AND oscore_recipient_id IS NOT NULL
                                AND oscore_secret IS NOT NULL));
ALTER TABLE devices ADD CONSTRAINT devices_oscore_only
    CHECK (kind = 'oscore' OR (oscore_sender_id IS NULL AND oscore_recipient_id IS NULL
                               AND oscore_secret IS NULL AND oscore_salt IS NULL
                               AND oscore_id_context IS NULL));
CREATE UNIQUE INDEX devices_oscore_kid_key
    ON devices (oscore_sender_id, coalesce(oscore_id_context, ''::bytea)) WHERE kind = 'oscore';

-- The ID Context is part of the credential: changing it bumps
-- credential_version (and drops a waiting rotated credential), as 0005.
CREATE OR REPLACE FUNCTION devices_touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    NEW.created_at := OLD.created_at;
    IF (NEW.kind, NEW.psk_identity, NEW.psk_key, NEW.spki, NEW.x509_name_type, NEW.x509_name,
        NEW.fingerprint, NEW.nosec_allow, NEW.oscore_sender_id, NEW.oscore_recipient_id,
        NEW.oscore_secret, NEW.oscore_salt, NEW.oscore_id_context)
       IS DISTINCT FROM
       (OLD.kind, OLD.psk_identity, OLD.psk_key, OLD.spki, OLD.x509_name_type, OLD.x509_name,
        OLD.fingerprint, OLD.nosec_allow, OLD.oscore_sender_id, OLD.oscore_recipient_id,
        OLD.oscore_secret, OLD.oscore_salt, OLD.oscore_id_context) THEN
        NEW.credential_version := OLD.credential_version + 1;
        NEW.bs_next := NULL;
    ELSE
        NEW.credential_version := OLD.credential_version;
    END IF;
    RETURN NEW;
END $$;
