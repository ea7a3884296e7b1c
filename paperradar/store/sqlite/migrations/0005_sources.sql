-- Live sources: where each configured source's next run starts, and the scheduler's runs.
CREATE TABLE source_state (
    name TEXT PRIMARY KEY,                    -- the [sources.NAME] table
    kind TEXT NOT NULL,                       -- arxiv-oai, hf-daily, ...
    cursor TEXT NOT NULL DEFAULT '{}',        -- JSON: where the next run starts
    checkpoint TEXT,                          -- JSON: the next request of an unfinished run
    started TEXT,                             -- ISO timestamps (UTC) of the last run
    succeeded TEXT,                           -- ... and of the last complete one
    failures INTEGER NOT NULL DEFAULT 0,      -- failed runs since the last complete one
    last_error TEXT
);

CREATE TABLE schedule_runs (                  -- one row per scheduled slot: never run twice
    job TEXT NOT NULL,                        -- "watch"
    slot TEXT NOT NULL,                       -- the slot's local time, ISO
    started TEXT NOT NULL,
    finished TEXT,
    status TEXT NOT NULL DEFAULT 'running',   -- running, done, failed, interrupted
    detail TEXT,
    PRIMARY KEY (job, slot)
) WITHOUT ROWID;
