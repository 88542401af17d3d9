-- 0011_unboot.sql — unbootstrapping: which LwM2M Server accounts this
-- bootstrap server wrote to each device, and the removals operators queue.
--
-- device_accounts: one row per (device, SSID) whose Security and Server
--   instances a session of this server wrote (Bootstrap-Finish got 2.04).
--   The record writer (bsd/recwriter.c) keeps it from the session records:
--   "accounts" adds or refreshes rows, a successful "unboot" deletes the
--   rows of the SSIDs it removed or found absent. Only these accounts are
--   ever removed
--   (unless a policy declares itself exclusive).
-- unboot_requests: "remove server SSID N from device EP", queued through
--   the API or bsctl and applied at the device's next bootstrap (the server
--   cannot reach a device by itself). pending -> applied (the session
--   removed it), absent (the device did not have it), cancelled (by an
--   operator). At most one pending request per (device, SSID).
--   Every change notifies bsd_changes ("unboot_requests:<endpoint>"), so
--   a running daemon rebuilds its generation and sees the pending removal.
-- Devices are keyed by endpoint (devices has no other key).

CREATE TABLE device_accounts (
    device         text NOT NULL REFERENCES devices (endpoint) ON DELETE CASCADE ON UPDATE CASCADE,
    ssid           integer NOT NULL CHECK (ssid BETWEEN 1 AND 65534),
    first_written  timestamptz NOT NULL DEFAULT now(),
    last_written   timestamptz NOT NULL DEFAULT now(),
    last_session   bigint,  -- sessions.id of the last write; sessions may be pruned
    PRIMARY KEY (device, ssid)
);

CREATE TABLE unboot_requests (
    id          bigserial PRIMARY KEY,
    device      text NOT NULL REFERENCES devices (endpoint) ON DELETE CASCADE ON UPDATE CASCADE,
    ssid        integer NOT NULL CHECK (ssid BETWEEN 1 AND 65534),
    state       text NOT NULL DEFAULT 'pending'
                CHECK (state IN ('pending', 'applied', 'absent', 'cancelled')),
    reason      text NOT NULL DEFAULT '' CHECK (length(reason) <= 200),
    created_at  timestamptz NOT NULL DEFAULT now(),
    created_by  text NOT NULL,
    done_at     timestamptz,
    session     bigint,  -- sessions.id that applied it (applied, absent)
    CHECK ((state = 'pending') = (done_at IS NULL))
);
CREATE UNIQUE INDEX unboot_requests_one_pending ON unboot_requests (device, ssid) WHERE state = 'pending';
CREATE INDEX unboot_requests_device_idx ON unboot_requests (device, id DESC);
CREATE INDEX unboot_requests_state_idx ON unboot_requests (state, id DESC);

CREATE FUNCTION bsd_notify_unboot() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('bsd_changes', 'unboot_requests:' ||
                      CASE WHEN TG_OP = 'DELETE' THEN OLD.device ELSE NEW.device END);
    RETURN NULL;
END $$;
CREATE TRIGGER unboot_requests_notify AFTER INSERT OR UPDATE OR DELETE ON unboot_requests
    FOR EACH ROW EXECUTE FUNCTION bsd_notify_unboot();
