-- 0008_oscore_state.sql — what must survive a restart of an OSCORE context
-- the bootstrap server uses (RFC 8613 Appendix B.1; bsd/db/db_oscore.h).
--
-- One row per context, keyed by the device's endpoint, the Recipient ID the
-- server looks the context up by (the kid of the device's requests) and the
-- ID Context. An absent ID Context and an empty one derive different keys
-- (RFC 8613 §3.2.1: nil vs. an empty bstr), so presence is its own key
-- column. Contexts re-derived by the Appendix B.2 procedure (ID Context
-- R2 || R3) get their own rows: the device keeps using that context after
-- the exchange, and a restarted server must neither reuse its nonces nor
-- accept a replay of a request it already processed. No foreign key to
-- devices: a device removed and imported again with the same master secret
-- must not start its counters over.
--
--   ssn_reserved  every Sender Sequence Number below it may have been used.
--                 An instance uses only SSNs of blocks it was handed out
--                 ([old value, new value) of one atomic increment), so
--                 neither a restart, a kill -9 nor a second instance can
--                 send two messages with one (key, nonce) pair (B.1.1).
--                 2^40 is the end of the Partial IV space (§7.2.1): once
--                 reached, the context must be re-keyed.
--   replay_floor  the highest recipient SSN persisted; after a restart,
--                 requests with SSN <= floor are rejected. -1: none yet.
--                 Only ever raised.
--   lease_owner / lease_until
--                 the instance that may use the context until the given
--                 time (the database's clock decides); NULL when free.

CREATE TABLE oscore_state (
    endpoint        text NOT NULL CHECK (length(endpoint) BETWEEN 1 AND 255),
    recipient_id    bytea NOT NULL CHECK (length(recipient_id) <= 7),
    has_id_context  boolean NOT NULL,
    id_context      bytea NOT NULL DEFAULT '' CHECK (length(id_context) <= 255),
    ssn_reserved    bigint NOT NULL DEFAULT 0 CHECK (ssn_reserved BETWEEN 0 AND 1099511627776),
    replay_floor    bigint NOT NULL DEFAULT -1 CHECK (replay_floor BETWEEN -1 AND 1099511627775),
    lease_owner     text CHECK (length(lease_owner) BETWEEN 1 AND 128),
    lease_until     timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (endpoint, recipient_id, has_id_context, id_context),
    CHECK (has_id_context OR id_context = ''),
    CHECK ((lease_owner IS NULL) = (lease_until IS NULL))
);
