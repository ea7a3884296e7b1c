-- The keyword index: each paper's title, abstract and authors as one weighted tsvector
-- (papers.fts, kept by PostgreSQL itself as a generated column) under a GIN index.
--
-- Words are cut as FTS5's unicode61 tokenizer cuts them in the SQLite store: runs of letters
-- and digits, anything else a separator ("zymurgy-inspired", "GPT-3.5" and "foo_bar" are two
-- or three words), diacritics removed ("Müller" is "muller"). The configuration is English's
-- with a stemmer that keeps stopwords (FTS5's porter tokenizer keeps "the" and "of", so
-- phrases and "the of" queries match as they do there).

-- The text as words separated by single spaces, diacritics removed (NFD, combining marks
-- dropped). Letters and digits are Unicode's whatever the column's or the database's
-- collation (pg_c_utf8: PostgreSQL 17 or later, a UTF8 database, as normalize() needs too).
CREATE FUNCTION paperradar_words(t text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN regexp_replace(
    regexp_replace(normalize(t COLLATE pg_c_utf8, NFD), '[\u0300-\u036f]+', '', 'g'),
    '[^[:alnum:]]+', ' ', 'g'
);

CREATE TEXT SEARCH DICTIONARY paperradar_stem (TEMPLATE = pg_catalog.snowball, Language = english);
CREATE TEXT SEARCH CONFIGURATION paperradar (COPY = pg_catalog.english);
ALTER TEXT SEARCH CONFIGURATION paperradar
    ALTER MAPPING REPLACE english_stem WITH paperradar_stem;

-- Columns by weight label: title A, authors B, abstract C (postgres/keyword.py weighs them
-- as FTS5's bm25 does in the SQLite store: 8, 3, 1).
ALTER TABLE papers ADD COLUMN fts tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('paperradar', paperradar_words(coalesce(title, ''))), 'A')
    || setweight(to_tsvector('paperradar', paperradar_words(coalesce(abstract, ''))), 'C')
    || setweight(to_tsvector('paperradar', paperradar_words(coalesce(authors::text, ''))), 'B')
) STORED;
-- kept in the row (a long abstract goes out of line first): ranking reads the vector of
-- every matching paper, and a TOAST fetch for each (where a ~2 KB vector goes by default)
-- made that ~40% slower
ALTER TABLE papers ALTER COLUMN fts SET STORAGE MAIN;
CREATE INDEX papers_fts ON papers USING gin (fts);

-- bm25 of a paper for the phrase queries ``queries`` (idf ``idfs``, computed by the caller),
-- as FTS5 computes it: sum_i idf_i * f_i (k1 + 1) / (f_i + k1 (1 - b + b D / avgdl)), f_i the
-- phrase's count in the paper with each occurrence weighted by its column (ts_rank_cd of a
-- phrase, normalisation 0, is exactly that sum of ``weights`` (D, C, B, A; at most 1),
-- times ``scale``), D the paper's distinct words. PL/pgSQL reads the vector once, not once
-- per phrase.
CREATE FUNCTION paperradar_bm25(
    doc tsvector, queries tsquery[], idfs float8[], weights float8[], scale float8,
    k1 float8, b float8, avgdl float8
) RETURNS float8 LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
    norm float8 := k1 * (1 - b + b * length(doc) / greatest(avgdl, 1));
    f float8;
    score float8 := 0;
BEGIN
    FOR i IN 1 .. coalesce(array_length(queries, 1), 0) LOOP
        f := scale * ts_rank_cd(weights::real[], doc, queries[i], 0);
        score := score + idfs[i] * f * (k1 + 1) / (f + norm);
    END LOOP;
    RETURN score;
END;
$$;
