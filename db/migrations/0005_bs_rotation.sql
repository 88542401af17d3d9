-- 0005_bs_rotation.sql — rotation of a device's bootstrap credential.
--
-- A policy's `bootstrap.rotate` makes the bootstrap server write a new
-- credential into the client's own Bootstrap-Server account. Until the
-- device has used it, both are accepted:
--   devices.bs_next  the new credential once a session wrote it (2.04 to the
--                    key write), as the record writer stored it: {"rotation",
--                    "kind" psk|rpk, "psk_identity", "psk_key" (sealed, hex),
--                    "psk_key_mac" (hex), "spki" (hex), "written_at"}.
--                    No plaintext secret: the key is sealed like psk_key.
-- When a session authenticates with the new credential, the record writer
-- makes it the device's credential (psk_identity/psk_key/... replaced,
-- credential_version bumped, bs_next cleared) and writes an audit row.
-- Any other credential change (an operator's import) drops bs_next: the
-- operator's credential wins.

ALTER TABLE devices ADD COLUMN bs_next jsonb CHECK (jsonb_typeof(bs_next) = 'object');

CREATE OR REPLACE FUNCTION devices_touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    NEW.created_at := OLD.created_at;
    IF (NEW.kind, NEW.psk_identity, NEW.psk_key, NEW.spki, NEW.x509_name_type, NEW.x509_name,
        NEW.fingerprint, NEW.nosec_allow, NEW.oscore_sender_id, NEW.oscore_recipient_id,
        NEW.oscore_secret, NEW.oscore_salt)
       IS DISTINCT FROM
       (OLD.kind, OLD.psk_identity, OLD.psk_key, OLD.spki, OLD.x509_name_type, OLD.x509_name,
        OLD.fingerprint, OLD.nosec_allow, OLD.oscore_sender_id, OLD.oscore_recipient_id,
        OLD.oscore_secret, OLD.oscore_salt) THEN
        NEW.credential_version := OLD.credential_version + 1;
        NEW.bs_next := NULL;
    ELSE
        NEW.credential_version := OLD.credential_version;
    END IF;
    RETURN NEW;
END $$;
