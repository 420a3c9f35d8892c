-- Schema 2: the embedding cache and code suggestions (derived data, not events).

-- Vectors by (model, text hash). The width depends on the model, so the column is a
-- FLOAT list with its width in `dim`; cast to FLOAT[dim] for array functions.
CREATE TABLE embeddings (
    model VARCHAR NOT NULL,
    text_hash VARCHAR NOT NULL,          -- blake2b-128 of the UTF-8 text, hex
    dim INTEGER NOT NULL,
    vector FLOAT[] NOT NULL,             -- L2-normalised
    created_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
    PRIMARY KEY (model, text_hash)
);

-- One row per `qualcode suggest` run.
CREATE SEQUENCE suggestion_run_ids START 1;
CREATE TABLE suggestion_runs (
    id INTEGER PRIMARY KEY DEFAULT nextval('suggestion_run_ids'),
    model VARCHAR NOT NULL,
    codebook_version INTEGER NOT NULL,
    segments INTEGER NOT NULL,
    suggestions INTEGER NOT NULL,
    top_k INTEGER NOT NULL,
    min_score DOUBLE NOT NULL,
    decisions INTEGER NOT NULL,          -- accept/reject decisions the scores learned from
    created_at TIMESTAMP NOT NULL DEFAULT current_timestamp
);

-- The current suggestion set per (codebook version, model); a new run replaces it.
CREATE TABLE suggestions (
    run_id INTEGER NOT NULL,
    segment_id INTEGER NOT NULL,
    code_id VARCHAR NOT NULL,
    codebook_version INTEGER NOT NULL,
    model VARCHAR NOT NULL,
    score DOUBLE NOT NULL,               -- calibrated, in [0, 1]; 0.5 is the decision threshold
    rank INTEGER NOT NULL,               -- 1 = the segment's best code
    evidence VARCHAR,                    -- the phrase of the code the segment matched best
    evidence_kind VARCHAR,               -- label | definition | include | example | accepted
    similarity DOUBLE,                   -- cosine similarity to that phrase
    created_at TIMESTAMP NOT NULL DEFAULT current_timestamp
);
CREATE INDEX suggestions_segment ON suggestions (segment_id);
