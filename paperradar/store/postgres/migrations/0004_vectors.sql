-- The embedding cache: one vector per model and text (papers.content_hash), as pgvector's
-- halfvec (half-precision floats: what SQLite keeps as float16 blobs). The column has no
-- dimension of its own (each model has its own); a model's rows all have its dimension.
-- Nearest-neighbour search reads it with an HNSW index per model, which the store creates
-- once the model has [search] hnsw_threshold vectors (paperradar/store/postgres/ann.py):
--   CREATE INDEX vectors_hnsw_<digest of the model> ON vectors
--       USING hnsw ((embedding::halfvec(<dim>)) halfvec_cosine_ops) WHERE model = '<model>';
-- Rows are never deleted (as in SQLite): a text that changed gets a new hash and a new row.
CREATE TABLE vectors (
    model TEXT COLLATE "C" NOT NULL,          -- the embedder's model id
    content_hash TEXT COLLATE "C" NOT NULL,   -- papers.content_hash of the embedded text
    embedding halfvec NOT NULL,               -- L2-normalised
    PRIMARY KEY (model, content_hash)
);
-- papers join their vector on content_hash (0002_papers.sql has papers_content_hash)
CREATE INDEX IF NOT EXISTS papers_content_hash ON papers(content_hash);

CREATE TRIGGER vectors_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON vectors
    FOR EACH STATEMENT EXECUTE FUNCTION paperradar_changed();
