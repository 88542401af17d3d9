-- 0002_daemon.sql — what the daemon keeps for itself.
--
-- spool_progress: how far the record writer got in each worker's spool
-- (bsd/spool.h); updated in the same transaction as the sessions rows it
-- stored, so a crash neither loses nor duplicates a record.
-- settings: small named values; `credential_key` is the 32-byte key that
-- per-device credentials are derived from (bsd/policy), sealed like every
-- other secret. Created once, by whoever first needs it, and never
-- changed: changing it would change every generated credential.

CREATE TABLE spool_progress (
    worker   integer PRIMARY KEY CHECK (worker BETWEEN 0 AND 63),
    seq      bigint NOT NULL CHECK (seq >= 0),
    off      bigint NOT NULL CHECK (off >= 0),
    updated  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE settings (
    name     text PRIMARY KEY CHECK (name ~ '^[a-z][a-z0-9_]{0,62}$'),
    value    bytea NOT NULL, -- sealed when secret
    created  timestamptz NOT NULL DEFAULT now()
);
