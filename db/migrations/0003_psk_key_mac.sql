-- 0003_psk_key_mac.sql — no two devices share a PSK key (LwM2M Transport
-- 1.1.1 §5.2.1: a PSK identifies one device).
--
-- The keys are sealed with random nonces, so equal keys do not look equal in
-- the table. psk_key_mac is HMAC-SHA-256 under the credential derivation key
-- (settings.credential_key) of the key: equal keys give equal MACs, the MAC
-- reveals nothing without that key, and it does not change when the keyring
-- that seals secrets rotates. A unique index refuses a second device with
-- the same key, in bulk imports row by row.

ALTER TABLE devices ADD COLUMN psk_key_mac bytea UNIQUE CHECK (length(psk_key_mac) = 32);
ALTER TABLE devices ADD CONSTRAINT devices_psk_key_mac_kind CHECK (kind = 'psk' OR psk_key_mac IS NULL);
