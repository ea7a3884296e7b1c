-- Bulk ingests commit batch by batch (so other writers never wait long) and stay
-- all-or-nothing: every row a run inserts, updates or deletes is journalled here, in the
-- same transaction, and undone if the run fails, is stopped, or its process dies.
CREATE TABLE ingest_runs (
    id INTEGER PRIMARY KEY,
    origin TEXT NOT NULL,                     -- what was being ingested, for messages
    started TEXT NOT NULL                     -- ISO timestamp (UTC)
);
CREATE TABLE ingest_undo (
    seq INTEGER PRIMARY KEY,                  -- undone in reverse order
    run_id INTEGER NOT NULL,
    step INTEGER NOT NULL,                    -- one step, one transaction: undone together
    op TEXT NOT NULL,                         -- i(nsert), u(pdate), d(elete), r(ange)
    tbl TEXT NOT NULL,
    data TEXT NOT NULL                        -- JSON: i the key; u [key, old row]; d old row;
                                              -- r [first, last] id of the papers a step made
);
CREATE INDEX ingest_undo_step ON ingest_undo(run_id, step);
