-- Schema 3: which segments a coder reviewed, and reliability samples for double coding.

-- A coder looked at a segment and decided (possibly that no code applies).
-- Append-only, like coding_events: a segment a coder never reviewed is missing
-- data for agreement, not "absent".
CREATE SEQUENCE review_ids START 1;
CREATE TABLE segment_reviews (
    id BIGINT PRIMARY KEY DEFAULT nextval('review_ids'),
    segment_id INTEGER NOT NULL REFERENCES segments (id),
    coder VARCHAR NOT NULL,
    reviewed_at TIMESTAMP NOT NULL DEFAULT current_timestamp
);
CREATE INDEX segment_reviews_coder ON segment_reviews (coder, segment_id);

-- Segments (or whole documents) picked for double coding, reproducibly.
CREATE TABLE reliability_samples (
    name VARCHAR PRIMARY KEY,
    unit VARCHAR NOT NULL CHECK (unit IN ('segment', 'document')),
    fraction DOUBLE NOT NULL,
    stratify VARCHAR,                   -- comma-separated: location, session
    seed INTEGER NOT NULL,
    created_by VARCHAR NOT NULL,
    created_at TIMESTAMP NOT NULL DEFAULT current_timestamp
);
CREATE TABLE reliability_sample_segments (
    sample VARCHAR NOT NULL REFERENCES reliability_samples (name),
    segment_id INTEGER NOT NULL REFERENCES segments (id),
    PRIMARY KEY (sample, segment_id)
);
