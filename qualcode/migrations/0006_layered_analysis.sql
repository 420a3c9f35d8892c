-- Schema 6: pinned quotes and framework-matrix summaries belong to the coding layer
-- they were made on ('coder:NAME', 'consensus' or 'all'), so a coder's choices and
-- readings stay in their own layer and a supervisor's in the layers only they see.
--
-- Earlier rows recorded no layer, and the action log does not name one either. They
-- are placed as follows:
-- * made by a person whose role is coder: in 'coder:NAME', their own layer. With
--   accounts that is the only layer a coder could have been looking at, so it is the
--   layer they wrote on; without accounts it is the layer that is theirs.
-- * made by anyone else (a supervisor or admin, or the file's holder recorded as
--   'cli', 'app' or another name that is not a registered coder): copied to both
--   'consensus' and 'all', the two layers such a reader works on, so nothing they saw
--   before disappears from either. A copied summary keeps its text, author and time.
-- Pin positions are renumbered 1, 2, 3 within each layer in their earlier order, and
-- summary versions count within each layer (the first version a layer kept is 1).

CREATE TABLE pinned_quotes_by_layer (
    target_type VARCHAR NOT NULL CHECK (target_type IN ('theme', 'code')),
    target_id VARCHAR NOT NULL,         -- a theme id (as text) or a code id
    layer VARCHAR NOT NULL,             -- the layer it was pinned on: coder:NAME, consensus, all
    segment_id INTEGER NOT NULL REFERENCES segments (id),
    position INTEGER NOT NULL,          -- 1, 2, 3: order in the layer's theme table
    pinned_by VARCHAR NOT NULL,
    pinned_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
    PRIMARY KEY (target_type, target_id, layer, segment_id)
);

INSERT INTO pinned_quotes_by_layer
SELECT target_type, target_id, layer, segment_id,
       row_number() OVER (PARTITION BY target_type, target_id, layer ORDER BY position),
       pinned_by, pinned_at
FROM (
    SELECT p.*, 'coder:' || p.pinned_by AS layer
    FROM pinned_quotes p
    WHERE p.pinned_by IN (SELECT name FROM coders WHERE role = 'coder')
    UNION ALL
    SELECT p.*, l.layer
    FROM pinned_quotes p CROSS JOIN (VALUES ('consensus'), ('all')) l (layer)
    WHERE p.pinned_by NOT IN (SELECT name FROM coders WHERE role = 'coder')
);

DROP TABLE pinned_quotes;
ALTER TABLE pinned_quotes_by_layer RENAME TO pinned_quotes;

CREATE TABLE matrix_summaries_by_layer (
    id BIGINT PRIMARY KEY DEFAULT nextval('matrix_summary_ids'),
    row_kind VARCHAR NOT NULL CHECK (row_kind IN ('participant', 'session', 'location')),
    row_key VARCHAR NOT NULL,
    column_kind VARCHAR NOT NULL CHECK (column_kind IN ('code', 'theme')),
    column_key VARCHAR NOT NULL,
    layer VARCHAR NOT NULL,             -- the layer it was written on: coder:NAME, consensus, all
    text VARCHAR NOT NULL,
    author VARCHAR NOT NULL,
    created_at TIMESTAMP NOT NULL DEFAULT current_timestamp
);

-- a coder's summaries keep their ids; the copies for 'consensus' and 'all' take new ones
-- in the order of the originals, so versions stay in the order they were written
INSERT INTO matrix_summaries_by_layer
    (id, row_kind, row_key, column_kind, column_key, layer, text, author, created_at)
SELECT id, row_kind, row_key, column_kind, column_key, 'coder:' || author, text, author,
       created_at
FROM matrix_summaries
WHERE author IN (SELECT name FROM coders WHERE role = 'coder');

INSERT INTO matrix_summaries_by_layer
    (row_kind, row_key, column_kind, column_key, layer, text, author, created_at)
SELECT row_kind, row_key, column_kind, column_key, layer, text, author, created_at
FROM (
    SELECT m.*, l.layer, l.rank
    FROM matrix_summaries m CROSS JOIN (VALUES ('consensus', 1), ('all', 2)) l (layer, rank)
    WHERE m.author NOT IN (SELECT name FROM coders WHERE role = 'coder')
)
ORDER BY rank, id;

DROP VIEW current_matrix_summaries;
DROP INDEX matrix_summaries_cell;
DROP TABLE matrix_summaries;
ALTER TABLE matrix_summaries_by_layer RENAME TO matrix_summaries;
CREATE INDEX matrix_summaries_cell
    ON matrix_summaries (layer, row_kind, column_kind, row_key, column_key);

CREATE VIEW current_matrix_summaries AS
SELECT id, row_kind, row_key, column_kind, column_key, layer, text, author, created_at, version
FROM (
    SELECT *,
           row_number() OVER (PARTITION BY layer, row_kind, row_key, column_kind, column_key
                              ORDER BY id) AS version,
           row_number() OVER (PARTITION BY layer, row_kind, row_key, column_kind, column_key
                              ORDER BY id DESC) AS rn
    FROM matrix_summaries
)
WHERE rn = 1;
