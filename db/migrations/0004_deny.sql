-- 0004_deny.sql — the deny-list.
--
-- denied_devices: endpoints that must not bootstrap, whether or not they are
-- in `devices` (an endpoint may be denied before its import). The daemon
-- leaves them out of its credential store, so they fail authentication,
-- and closes their live DTLS sessions.
-- denied_sources: address prefixes whose datagrams the daemon drops unread.
-- Both notify bsd_changes ("deny:<what>"), so the running daemon follows.

CREATE TABLE denied_devices (
    endpoint    text PRIMARY KEY CHECK (length(endpoint) BETWEEN 1 AND 255 AND endpoint ~ '^[!-~]+$'),
    reason      text NOT NULL DEFAULT '' CHECK (length(reason) <= 200),
    actor       text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE denied_sources (
    prefix      cidr PRIMARY KEY,
    reason      text NOT NULL DEFAULT '' CHECK (length(reason) <= 200),
    actor       text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE FUNCTION bsd_notify_deny() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('bsd_changes', 'deny:' || TG_TABLE_NAME);
    RETURN NULL;
END $$;
CREATE TRIGGER denied_devices_notify AFTER INSERT OR UPDATE OR DELETE ON denied_devices
    FOR EACH STATEMENT EXECUTE FUNCTION bsd_notify_deny();
CREATE TRIGGER denied_sources_notify AFTER INSERT OR UPDATE OR DELETE ON denied_sources
    FOR EACH STATEMENT EXECUTE FUNCTION bsd_notify_deny();
