-- Live sources: where each configured source's next run starts, and the scheduler's runs.
-- Names are ordered as SQLite orders them (bytewise: COLLATE "C").
CREATE TABLE source_state (
    name TEXT COLLATE "C" PRIMARY KEY,        -- the [sources.NAME] table
    kind TEXT NOT NULL,                       -- arxiv-oai, hf-daily, ...
    cursor JSON NOT NULL DEFAULT '{}',        -- where the next run starts (JSON keeps the text)
    checkpoint JSON,                          -- the next request of an unfinished run
    started TIMESTAMPTZ,                      -- the last run (whole seconds)
    succeeded TIMESTAMPTZ,                    -- ... and the last complete one
    failures INTEGER NOT NULL DEFAULT 0,      -- failed runs since the last complete one
    last_error TEXT
);

CREATE TABLE schedule_runs (                  -- one row per scheduled slot: never run twice
    job TEXT NOT NULL,                        -- "watch"
    slot TIMESTAMPTZ NOT NULL,                -- the slot's moment
    utc_offset INTEGER,                       -- its local UTC offset, seconds (NULL: naive)
    started TIMESTAMPTZ NOT NULL,
    finished TIMESTAMPTZ,
    status TEXT NOT NULL DEFAULT 'running',   -- running, done, failed, interrupted
    detail TEXT,
    PRIMARY KEY (job, slot)
);

CREATE TRIGGER source_state_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON source_state
    FOR EACH STATEMENT EXECUTE FUNCTION paperradar_changed();
CREATE TRIGGER schedule_runs_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON schedule_runs FOR EACH STATEMENT EXECUTE FUNCTION paperradar_changed();
