-- 0010_oscore_over_dtls.sql — OSCORE inside DTLS: a device of kind psk, rpk
-- or x509 may carry an OSCORE context too (the columns of 0009). Such a
-- device authenticates its DTLS session with its own credential AND
-- protects the Bootstrap interface with OSCORE inside it; it keeps its
-- kind. nosec devices carry no OSCORE context; oscore devices must.
--
-- The rules of 0009 for the five columns hold for every device that has
-- them: Sender ID, Recipient ID and Master Secret come together; salt and
-- ID Context only with them. (Sender ID, ID Context) stays unique across
-- ALL devices with an OSCORE context, whatever their kind: the server
-- finds the device by the kid and kid context of a request.

ALTER TABLE devices DROP CONSTRAINT devices_oscore_kind;
ALTER TABLE devices DROP CONSTRAINT devices_oscore_only;
ALTER TABLE devices ADD CONSTRAINT devices_oscore_kind
    CHECK (kind <> 'oscore' OR oscore_secret IS NOT NULL);
ALTER TABLE devices ADD CONSTRAINT devices_oscore_only
    CHECK (kind IN ('psk', 'rpk', 'x509', 'oscore')
           OR (oscore_sender_id IS NULL AND oscore_recipient_id IS NULL AND oscore_secret IS NULL
               AND oscore_salt IS NULL AND oscore_id_context IS NULL));
ALTER TABLE devices ADD CONSTRAINT devices_oscore_complete
    CHECK ((oscore_sender_id IS NULL) = (oscore_recipient_id IS NULL)
           AND (oscore_sender_id IS NULL) = (oscore_secret IS NULL)
           AND (oscore_secret IS NOT NULL OR (oscore_salt IS NULL AND oscore_id_context IS NULL)));
DROP INDEX devices_oscore_kid_key;
CREATE UNIQUE INDEX devices_oscore_kid_key
    ON devices (oscore_sender_id, coalesce(oscore_id_context, ''::bytea)) WHERE oscore_sender_id IS NOT NULL;
