-- Papers, their aliases and where they were seen, with a full-text index.
CREATE TABLE papers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,    -- never reused: vectors and feedback key on it
    pid TEXT NOT NULL UNIQUE,                 -- canonical id: arxiv:, doi:, s2:, hf: or cid:
    title TEXT NOT NULL DEFAULT '',
    abstract TEXT NOT NULL DEFAULT '',
    abstract_truncated INTEGER NOT NULL DEFAULT 0,
    authors TEXT NOT NULL DEFAULT '[]',       -- JSON list of names
    author_count INTEGER,                     -- when a listing gave only a count
    categories TEXT NOT NULL DEFAULT '[]',    -- JSON list, primary first
    primary_category TEXT,
    arxiv_id TEXT,
    arxiv_version INTEGER,
    doi TEXT,
    s2_id TEXT,
    hf_id TEXT,
    links TEXT NOT NULL DEFAULT '{}',         -- JSON object
    organisation TEXT,
    upvotes INTEGER,
    comment TEXT,
    journal_ref TEXT,
    keywords TEXT NOT NULL DEFAULT '[]',
    submitted TEXT,                           -- ISO dates
    submitted_year_inferred INTEGER NOT NULL DEFAULT 0,
    updated TEXT,
    listed TEXT,
    listed_year_inferred INTEGER NOT NULL DEFAULT 0,
    ingested TEXT NOT NULL,                   -- ISO timestamp (UTC) of first ingest
    withdrawn INTEGER NOT NULL DEFAULT 0,
    abstract_key TEXT,                        -- first normalised characters: prefix dedup
    content_hash TEXT NOT NULL                -- hash of title + abstract
);
CREATE INDEX papers_abstract_key ON papers(abstract_key);
CREATE INDEX papers_listed ON papers(listed);
CREATE INDEX papers_submitted ON papers(submitted);

CREATE TABLE aliases (
    alias TEXT PRIMARY KEY,
    paper_id INTEGER NOT NULL REFERENCES papers(id) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX aliases_paper ON aliases(paper_id);

CREATE TABLE sightings (
    id INTEGER PRIMARY KEY,
    paper_id INTEGER NOT NULL REFERENCES papers(id) ON DELETE CASCADE,
    source TEXT NOT NULL,
    locator TEXT NOT NULL,
    seen_on TEXT,
    seen_on_inferred INTEGER NOT NULL DEFAULT 0,
    rank INTEGER,
    upvotes INTEGER,
    kind TEXT,
    recorded TEXT NOT NULL
);
CREATE UNIQUE INDEX sightings_once ON sightings(
    paper_id, source, locator, ifnull(seen_on, ''), ifnull(rank, -1)
);
CREATE INDEX sightings_seen ON sightings(seen_on);

CREATE VIRTUAL TABLE papers_fts USING fts5(
    title, abstract, authors,
    content = 'papers', content_rowid = 'id',
    tokenize = 'porter unicode61 remove_diacritics 2'
);
-- New rows are indexed by the store itself, one INSERT ... SELECT per batch (twice as fast
-- as a row trigger on bulk ingests); updates and deletes keep the index in step here.
CREATE TRIGGER papers_fts_delete AFTER DELETE ON papers BEGIN
    INSERT INTO papers_fts(papers_fts, rowid, title, abstract, authors)
    VALUES ('delete', old.id, old.title, old.abstract, old.authors);
END;
CREATE TRIGGER papers_fts_update AFTER UPDATE OF title, abstract, authors ON papers
WHEN old.title IS NOT new.title OR old.abstract IS NOT new.abstract
    OR old.authors IS NOT new.authors
BEGIN
    INSERT INTO papers_fts(papers_fts, rowid, title, abstract, authors)
    VALUES ('delete', old.id, old.title, old.abstract, old.authors);
    INSERT INTO papers_fts(rowid, title, abstract, authors)
    VALUES (new.id, new.title, new.abstract, new.authors);
END;
