-- Failed web logins, shared by every server process on the store (paperradar/web/throttle.py):
-- one row per failure, kept for the throttle's window and then pruned.
CREATE TABLE login_failures (
    scope TEXT NOT NULL,                      -- what is counted: "name" or "client"
    key TEXT NOT NULL,                        -- the case-folded account name or client address
    at REAL NOT NULL                          -- when, in seconds since the epoch (UTC)
);
CREATE INDEX login_failures_key ON login_failures(scope, key, at);
CREATE INDEX login_failures_at ON login_failures(scope, at);
