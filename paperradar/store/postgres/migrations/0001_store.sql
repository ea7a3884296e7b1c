-- What the store itself needs: pgvector, and one notification per committed change so that
-- every open store (any process, any host) knows its caches are stale (store.version()).
CREATE EXTENSION IF NOT EXISTS vector;

CREATE FUNCTION paperradar_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('paperradar_changes', '');  -- one per transaction: PostgreSQL folds them
    RETURN NULL;
END;
$$;
