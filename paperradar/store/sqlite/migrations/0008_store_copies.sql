-- `paperradar store copy`: how far a copy into this store has gone, per source and table,
-- written in the same transaction as each chunk of rows, so a copy stopped anywhere resumes
-- after its last committed chunk (docs/storage.md, "Copying a store").
CREATE TABLE store_copies (
    origin TEXT NOT NULL,                     -- the source: a path, or a URL without password
    tbl TEXT NOT NULL,                        -- the table ('*': the copy as a whole)
    last_key TEXT,                            -- JSON array: the key of the last row copied
    rows INTEGER NOT NULL DEFAULT 0,          -- rows copied so far
    done INTEGER NOT NULL DEFAULT 0,          -- 1: every row copied ('*': counts checked)
    updated TEXT NOT NULL,                    -- ISO timestamp (UTC)
    PRIMARY KEY (origin, tbl)
) WITHOUT ROWID;
