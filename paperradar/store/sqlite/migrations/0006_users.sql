-- Web users: accounts, login sessions, who owns which profile, and digest subscriptions.
CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE COLLATE NOCASE,
    password_hash TEXT NOT NULL,              -- argon2id, with its parameters and salt
    created TEXT NOT NULL
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,              -- SHA-256 of the cookie's random token
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    csrf TEXT NOT NULL,                       -- the session's CSRF token
    created TEXT NOT NULL,
    expires TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE profile_owners (                 -- a profile belongs to at most one user
    profile_id INTEGER PRIMARY KEY REFERENCES profiles(id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE
);
CREATE INDEX profile_owners_user ON profile_owners(user_id);

CREATE TABLE subscriptions (                  -- a profile's digest by email (web settings)
    profile_id INTEGER PRIMARY KEY REFERENCES profiles(id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    enabled INTEGER NOT NULL DEFAULT 1,
    at TEXT NOT NULL DEFAULT '07:00',         -- local time of day
    updated TEXT NOT NULL
);
