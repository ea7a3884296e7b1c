-- Failed web logins, shared by every server process on the store (paperradar/web/throttle.py):
-- one row per failure, kept for the throttle's window and then pruned. No paperradar_changed
-- trigger: a failed login changes nothing a cache holds, so it must not empty the caches.
CREATE TABLE login_failures (
    scope TEXT COLLATE "C" NOT NULL,          -- what is counted: "name" or "client"
    key TEXT COLLATE "C" NOT NULL,            -- the case-folded account name or client address
    at TIMESTAMPTZ NOT NULL
);
CREATE INDEX login_failures_key ON login_failures(scope, key, at);
CREATE INDEX login_failures_at ON login_failures(scope, at);
