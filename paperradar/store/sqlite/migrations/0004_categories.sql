-- Each paper's categories as rows, lower-cased, so `--category` is an index lookup instead of
-- a scan of every paper's JSON list. Kept in step with papers.categories by triggers.
CREATE TABLE paper_categories (
    paper_id INTEGER NOT NULL REFERENCES papers(id) ON DELETE CASCADE,
    category TEXT NOT NULL,                   -- lower case: cs.cl, eess.as
    PRIMARY KEY (paper_id, category)
) WITHOUT ROWID;
CREATE INDEX paper_categories_category ON paper_categories(category, paper_id);

INSERT OR IGNORE INTO paper_categories(paper_id, category)
SELECT p.id, lower(c.value) FROM papers p, json_each(p.categories) c
WHERE json_valid(p.categories) AND c.type = 'text';

CREATE TRIGGER papers_categories_insert AFTER INSERT ON papers
WHEN new.categories <> '[]'
BEGIN
    INSERT OR IGNORE INTO paper_categories(paper_id, category)
    SELECT new.id, lower(c.value) FROM json_each(new.categories) c WHERE c.type = 'text';
END;

CREATE TRIGGER papers_categories_update AFTER UPDATE OF categories ON papers
WHEN old.categories IS NOT new.categories
BEGIN
    DELETE FROM paper_categories WHERE paper_id = new.id;
    INSERT OR IGNORE INTO paper_categories(paper_id, category)
    SELECT new.id, lower(c.value) FROM json_each(new.categories) c WHERE c.type = 'text';
END;
