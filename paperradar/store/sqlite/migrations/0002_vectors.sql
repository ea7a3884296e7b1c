-- Embedding vectors, cached by (model, content hash): a text is never embedded twice, and a
-- paper whose title or abstract changes gets a new content hash and so a new vector.
CREATE TABLE vectors (
    model TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    vector BLOB NOT NULL,                     -- float16, little-endian, L2-normalised
    PRIMARY KEY (model, content_hash)
) WITHOUT ROWID;
CREATE INDEX papers_content_hash ON papers(content_hash);
