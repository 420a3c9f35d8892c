-- Schema 4: themes, their codes, pinned quotes and framework-matrix summaries.

-- A theme groups codes around a central organising concept; a subtheme names its parent.
-- Edited in place; every change is also written to action_log with the old values.
CREATE SEQUENCE theme_ids START 1;
CREATE TABLE themes (
    id INTEGER PRIMARY KEY DEFAULT nextval('theme_ids'),
    name VARCHAR NOT NULL UNIQUE,
    definition VARCHAR NOT NULL DEFAULT '',
    central_concept VARCHAR NOT NULL DEFAULT '',
    status VARCHAR NOT NULL DEFAULT 'candidate'
        CHECK (status IN ('candidate', 'reviewed', 'final')),
    memo VARCHAR NOT NULL DEFAULT '',
    parent INTEGER,                     -- themes.id of the parent theme; NULL = top level
    origin VARCHAR NOT NULL DEFAULT 'manual'
        CHECK (origin IN ('manual', 'framework', 'suggestion')),
    framework_group VARCHAR,            -- for origin 'framework': the codebook group it stands for
    created_by VARCHAR NOT NULL,
    created_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
    updated_at TIMESTAMP NOT NULL DEFAULT current_timestamp
);

-- Code ids are stable across codebook versions, so membership names the id only.
CREATE TABLE theme_codes (
    theme_id INTEGER NOT NULL,
    code_id VARCHAR NOT NULL,
    added_by VARCHAR NOT NULL,
    added_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
    PRIMARY KEY (theme_id, code_id)
);

-- Up to three illustrative quotes a researcher chose for a theme or a code.
CREATE TABLE pinned_quotes (
    target_type VARCHAR NOT NULL CHECK (target_type IN ('theme', 'code')),
    target_id VARCHAR NOT NULL,         -- a theme id (as text) or a code id
    segment_id INTEGER NOT NULL REFERENCES segments (id),
    position INTEGER NOT NULL,          -- 1, 2, 3: order in the theme table
    pinned_by VARCHAR NOT NULL,
    pinned_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
    PRIMARY KEY (target_type, target_id, segment_id)
);

-- Framework Method matrix summaries. Append-only: an edit is a new version, so the
-- analyst's earlier readings stay in the record; the latest version per cell is current.
CREATE SEQUENCE matrix_summary_ids START 1;
CREATE TABLE matrix_summaries (
    id BIGINT PRIMARY KEY DEFAULT nextval('matrix_summary_ids'),
    row_kind VARCHAR NOT NULL CHECK (row_kind IN ('participant', 'session', 'location')),
    row_key VARCHAR NOT NULL,
    column_kind VARCHAR NOT NULL CHECK (column_kind IN ('code', 'theme')),
    column_key VARCHAR NOT NULL,
    text VARCHAR NOT NULL,
    author VARCHAR NOT NULL,
    created_at TIMESTAMP NOT NULL DEFAULT current_timestamp
);
CREATE INDEX matrix_summaries_cell ON matrix_summaries (row_kind, column_kind, row_key, column_key);

CREATE VIEW current_matrix_summaries AS
SELECT id, row_kind, row_key, column_kind, column_key, text, author, created_at, version
FROM (
    SELECT *,
           row_number() OVER (PARTITION BY row_kind, row_key, column_kind, column_key
                              ORDER BY id) AS version,
           row_number() OVER (PARTITION BY row_kind, row_key, column_kind, column_key
                              ORDER BY id DESC) AS rn
    FROM matrix_summaries
)
WHERE rn = 1;

-- Derived from coding_events (see qualcode/themes/state.py): the latest decision per
-- (segment, span, code, coder), i.e. the `codings` view materialised, with events folded
-- in up to meta 'coding_state_upto'. Rebuildable from the events at any time.
CREATE TABLE coding_state (
    segment_id INTEGER NOT NULL,
    start_offset INTEGER,
    end_offset INTEGER,
    code_id VARCHAR NOT NULL,
    coder VARCHAR NOT NULL,
    last_event BIGINT NOT NULL,
    applied BOOLEAN NOT NULL
);

-- Derived with coding_state: a stable bit per code id (in order of first coding), and
-- per (coder, segment) the codes that coder currently applies there, as a 128-bit mask
-- (codes with bit 128 or above are not in it; readers then use coding_state instead).
CREATE TABLE code_bits (
    code_id VARCHAR PRIMARY KEY,
    bit INTEGER NOT NULL
);
CREATE TABLE segment_masks (
    coder VARCHAR NOT NULL,
    segment_id INTEGER NOT NULL,
    mask UHUGEINT NOT NULL
);
