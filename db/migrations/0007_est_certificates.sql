-- 0007_est_certificates.sql — certificates issued by the EST CA (bsd/est,
-- bsd/db/db_certs.h) and what the CRL needs.
--
-- One row per issued certificate, written and committed before the
-- certificate is sent: the serial is the primary key, so a serial can never
-- be issued twice. Rows are history: no foreign key to devices, a
-- certificate outlives the device it was issued to (the CRL still lists it).
-- A revocation sets revoked_at, revocation_reason (RFC 5280 §5.3.1
-- CRLReason; 7 is not assigned) and revoked_by, and notifies bsd_changes
-- ("certificates:revoked") so the running daemon reloads its revoked set.
-- crl_number gives each CRL its cRLNumber (RFC 5280 §5.2.3: increasing).

CREATE TABLE certificates (
    serial             bytea PRIMARY KEY CHECK (length(serial) BETWEEN 1 AND 20),
    endpoint           text NOT NULL CHECK (length(endpoint) BETWEEN 1 AND 255),
    kind               text NOT NULL CHECK (kind IN ('enroll', 'reenroll', 'bootstrap')),
    subject            text CHECK (length(subject) <= 1024),
    not_before         timestamptz NOT NULL,
    not_after          timestamptz NOT NULL,
    der                bytea NOT NULL CHECK (length(der) BETWEEN 1 AND 65536),
    fingerprint        bytea NOT NULL UNIQUE CHECK (length(fingerprint) = 32), -- SHA-256 of der
    spki_sha256        bytea NOT NULL CHECK (length(spki_sha256) = 32),
    csr_sha256         bytea CHECK (length(csr_sha256) = 32), -- NULL when no request (bootstrap)
    issued_at          timestamptz NOT NULL DEFAULT now(),
    revoked_at         timestamptz,
    revocation_reason  smallint CHECK (revocation_reason BETWEEN 0 AND 10 AND revocation_reason <> 7),
    revoked_by         text,
    CHECK (revoked_at IS NOT NULL OR (revocation_reason IS NULL AND revoked_by IS NULL))
);
CREATE INDEX certificates_endpoint_idx ON certificates (endpoint, issued_at DESC);
CREATE INDEX certificates_issued_idx ON certificates (issued_at DESC, serial DESC);
CREATE INDEX certificates_csr_idx ON certificates (csr_sha256);

CREATE SEQUENCE crl_number AS bigint MINVALUE 1;

CREATE FUNCTION bsd_notify_cert_revoked() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('bsd_changes', 'certificates:revoked');
    RETURN NULL;
END $$;
CREATE TRIGGER certificates_revoked_notify AFTER UPDATE OF revoked_at ON certificates
    FOR EACH ROW WHEN (OLD.revoked_at IS DISTINCT FROM NEW.revoked_at)
    EXECUTE FUNCTION bsd_notify_cert_revoked();
