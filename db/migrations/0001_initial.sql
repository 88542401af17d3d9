-- 0001_initial.sql — the first schema of the lwm2m-bsd store.
--
-- Applied by bsd/db/db_migrate.c inside one transaction and recorded in
-- schema_migrations; never edit an applied migration, add 0002_*.sql instead.
-- Secrets (PSK keys, OSCORE secrets, generated secrets) are stored sealed by
-- bsd/db/secretbox.c: version, key id, nonce, ciphertext, tag. The database
-- never holds a plaintext key.

-- Devices: one row per LwM2M endpoint and its bootstrap credential.
CREATE TABLE devices (
    endpoint            text PRIMARY KEY
                        CHECK (length(endpoint) BETWEEN 1 AND 255 AND endpoint ~ '^[!-~]+$'),
    kind                text NOT NULL CHECK (kind IN ('psk', 'rpk', 'x509', 'nosec')),
    labels              jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(labels) = 'object'),
    serial              text CHECK (length(serial) BETWEEN 1 AND 64),
    psk_identity        text UNIQUE CHECK (octet_length(psk_identity) BETWEEN 1 AND 128),
    psk_key             bytea CHECK (length(psk_key) BETWEEN 30 + 16 AND 30 + 64), -- sealed
    spki                bytea UNIQUE CHECK (length(spki) BETWEEN 1 AND 512),
    x509_name_type      text CHECK (x509_name_type IN ('cn', 'san_dns', 'san_uri', 'san_email')),
    x509_name           text CHECK (octet_length(x509_name) BETWEEN 1 AND 255),
    fingerprint         bytea UNIQUE CHECK (length(fingerprint) = 32),
    nosec_allow         cidr[] CHECK (cardinality(nosec_allow) BETWEEN 1 AND 16),
    -- OSCORE (RFC 8613) context, for a later release.
    oscore_sender_id    bytea CHECK (length(oscore_sender_id) <= 7),
    oscore_recipient_id bytea CHECK (length(oscore_recipient_id) <= 7),
    oscore_secret       bytea, -- sealed master secret
    oscore_salt         bytea, -- sealed master salt
    credential_version  bigint NOT NULL DEFAULT 1,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    -- Each kind carries exactly its own credential columns.
    CHECK ((kind = 'psk') = (psk_identity IS NOT NULL AND psk_key IS NOT NULL)),
    CHECK ((kind = 'psk') OR (psk_identity IS NULL AND psk_key IS NULL)),
    CHECK ((kind = 'rpk') = (spki IS NOT NULL)),
    CHECK ((kind = 'x509') = (x509_name_type IS NOT NULL AND x509_name IS NOT NULL)),
    CHECK ((kind = 'x509') OR (x509_name_type IS NULL AND x509_name IS NULL AND fingerprint IS NULL)),
    CHECK ((kind = 'nosec') = (nosec_allow IS NOT NULL))
);
-- A certificate name identifies one device per name type (devices file rule).
CREATE UNIQUE INDEX devices_x509_name_key ON devices (x509_name_type, x509_name) WHERE kind = 'x509';
CREATE INDEX devices_labels_idx ON devices USING gin (labels jsonb_path_ops);

-- Bump credential_version when a credential changes; keep updated_at.
CREATE FUNCTION devices_touch() RETURNS trigger LANGUAGE plpgsql AS $$
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
    ELSE
        NEW.credential_version := OLD.credential_version;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER devices_touch BEFORE UPDATE ON devices FOR EACH ROW EXECUTE FUNCTION devices_touch();

-- Provisioning policies: YAML source as the operator wrote it, versioned.
CREATE TABLE policies (
    name        text NOT NULL CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$'),
    version     integer NOT NULL CHECK (version >= 1),
    source      text NOT NULL,
    compiled    jsonb,
    author      text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    active      boolean NOT NULL DEFAULT false,
    PRIMARY KEY (name, version)
);
-- At most one active version per policy name.
CREATE UNIQUE INDEX policies_one_active ON policies (name) WHERE active;

-- Credentials the Bootstrap-Server generated and wrote to devices: the
-- export source for the LwM2M Server.
CREATE TABLE generated_credentials (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    endpoint        text NOT NULL REFERENCES devices (endpoint) ON DELETE CASCADE,
    ssid            integer NOT NULL CHECK (ssid BETWEEN 1 AND 65534),
    kind            text NOT NULL CHECK (kind IN ('psk', 'rpk', 'x509', 'oscore')),
    identity        bytea,
    secret          bytea, -- sealed
    public_part     bytea,
    policy_name     text,
    policy_version  integer,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX generated_credentials_endpoint_idx ON generated_credentials (endpoint, ssid, created_at DESC);
CREATE INDEX generated_credentials_created_idx ON generated_credentials (created_at);

-- Bootstrap session records (one per finished session).
CREATE TABLE sessions (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    session      text,
    endpoint     text,
    outcome      text NOT NULL,
    started_at   timestamptz NOT NULL,
    duration_ms  integer CHECK (duration_ms >= 0),
    record       jsonb NOT NULL
);
CREATE INDEX sessions_endpoint_idx ON sessions (endpoint, started_at DESC);
CREATE INDEX sessions_started_idx ON sessions (started_at);
CREATE INDEX sessions_outcome_idx ON sessions (outcome, started_at DESC);

-- Audit log of administrative changes. Never holds a secret.
CREATE TABLE audit (
    id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at       timestamptz NOT NULL DEFAULT now(),
    actor    text NOT NULL,
    action   text NOT NULL,
    object   text NOT NULL,
    details  jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_at_idx ON audit (at);
CREATE INDEX audit_object_idx ON audit (object, at);

-- Change notifications for the daemon's caches: channel bsd_changes,
-- payload "devices:<endpoint>" or "policies:<name>".
CREATE FUNCTION bsd_notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    k text;
BEGIN
    IF TG_TABLE_NAME = 'devices' THEN
        k := CASE WHEN TG_OP = 'DELETE' THEN OLD.endpoint ELSE NEW.endpoint END;
    ELSE
        k := CASE WHEN TG_OP = 'DELETE' THEN OLD.name ELSE NEW.name END;
    END IF;
    PERFORM pg_notify('bsd_changes', TG_TABLE_NAME || ':' || k);
    RETURN NULL;
END $$;
CREATE TRIGGER devices_notify AFTER INSERT OR UPDATE OR DELETE ON devices
    FOR EACH ROW EXECUTE FUNCTION bsd_notify_change();
CREATE TRIGGER policies_notify AFTER INSERT OR UPDATE OR DELETE ON policies
    FOR EACH ROW EXECUTE FUNCTION bsd_notify_change();
