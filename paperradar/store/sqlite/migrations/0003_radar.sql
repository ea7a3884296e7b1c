-- The radar: researcher profiles, their own papers, feedback, follow/mute rules, the digests
-- sent (so a paper is not shown twice) and an outbox that makes email delivery exactly-once.
CREATE TABLE profiles (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    created TEXT NOT NULL                     -- ISO timestamp (UTC)
);

CREATE TABLE profile_papers (                 -- the researcher's own papers
    profile_id INTEGER NOT NULL REFERENCES profiles(id) ON DELETE CASCADE,
    paper_id INTEGER NOT NULL REFERENCES papers(id) ON DELETE CASCADE,
    origin TEXT NOT NULL,                     -- file path, "id" or "author:<name>"
    added TEXT NOT NULL,
    PRIMARY KEY (profile_id, paper_id)
) WITHOUT ROWID;

CREATE TABLE feedback (                       -- every action, kept with its time
    id INTEGER PRIMARY KEY,
    profile_id INTEGER NOT NULL REFERENCES profiles(id) ON DELETE CASCADE,
    paper_id INTEGER NOT NULL REFERENCES papers(id) ON DELETE CASCADE,
    action TEXT NOT NULL CHECK (action IN ('like', 'dislike', 'save', 'unsave', 'clear')),
    at TEXT NOT NULL
);
CREATE INDEX feedback_profile ON feedback(profile_id, paper_id, id);

CREATE TABLE rules (                          -- follow / mute, per profile
    profile_id INTEGER NOT NULL REFERENCES profiles(id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (
        kind IN ('follow-author', 'follow-keyword', 'mute-keyword', 'mute-category')),
    value TEXT NOT NULL,                      -- as the user wrote it
    key TEXT NOT NULL,                        -- normalised, for matching and uniqueness
    added TEXT NOT NULL,
    PRIMARY KEY (profile_id, kind, key)
) WITHOUT ROWID;

CREATE TABLE digests (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    profile_id INTEGER NOT NULL REFERENCES profiles(id) ON DELETE CASCADE,
    created TEXT NOT NULL,
    window_start TEXT NOT NULL,               -- listing dates covered, inclusive
    window_end TEXT NOT NULL,
    candidates INTEGER NOT NULL
);
CREATE INDEX digests_profile ON digests(profile_id, id);

CREATE TABLE digest_items (
    digest_id INTEGER NOT NULL REFERENCES digests(id) ON DELETE CASCADE,
    rank INTEGER NOT NULL,
    paper_id INTEGER NOT NULL REFERENCES papers(id) ON DELETE CASCADE,
    score REAL NOT NULL,
    why TEXT NOT NULL,                        -- JSON: the explanation as shown
    PRIMARY KEY (digest_id, rank)
) WITHOUT ROWID;
CREATE INDEX digest_items_paper ON digest_items(paper_id);

CREATE TABLE outbox (                         -- one row per email; sent at most once
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    digest_id INTEGER REFERENCES digests(id) ON DELETE SET NULL,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    message_id TEXT NOT NULL UNIQUE,          -- the Message-ID header
    message BLOB NOT NULL,                    -- the whole MIME message, as sent
    status TEXT NOT NULL CHECK (status IN ('pending', 'sending', 'sent', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    created TEXT NOT NULL,
    sent TEXT
);
CREATE INDEX outbox_status ON outbox(status);
