-- `paperradar store copy`: how far a copy into this store has gone, per source and table,
-- written in the same transaction as each chunk of rows, so a copy stopped anywhere resumes
-- after its last committed chunk (docs/storage.md, "Copying a store").
CREATE TABLE store_copies (
    origin TEXT COLLATE "C" NOT NULL,         -- the source: a path, or a URL without password
    tbl TEXT COLLATE "C" NOT NULL,            -- the table ('*': the copy as a whole)
    last_key JSON,                            -- the key of the last row copied, as an array
    rows BIGINT NOT NULL DEFAULT 0,           -- rows copied so far
    done BOOLEAN NOT NULL DEFAULT false,      -- every row copied ('*': counts checked)
    updated TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (origin, tbl)
);
