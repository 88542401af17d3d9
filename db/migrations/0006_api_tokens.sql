-- 0006_api_tokens.sql — bearer tokens of the REST admin API (bsd/api).
--
-- A token is shown once, when it is created (`bsctl token create` or
-- POST /api/v1/tokens); the table keeps only its SHA-256, so a copy of the
-- database does not give access to the API. The token is 32 random bytes:
-- a hash without a salt is enough, there is nothing to guess from it.
-- A revoked token stays listed (who had access, until when) and its name
-- may be given to a new token; only one token per name is active at once.
-- Roles: viewer < operator < admin; metrics may only read /metrics.

CREATE TABLE api_tokens (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name          text NOT NULL CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$'),
    role          text NOT NULL CHECK (role IN ('viewer', 'operator', 'admin', 'metrics')),
    token_hash    bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    created_at    timestamptz NOT NULL DEFAULT now(),
    created_by    text NOT NULL,
    last_used_at  timestamptz,
    revoked_at    timestamptz
);
CREATE UNIQUE INDEX api_tokens_active_name ON api_tokens (name) WHERE revoked_at IS NULL;
