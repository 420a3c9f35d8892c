-- Schema 1: documents, segments, cases, codebook, coding events, memos, action log.
CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL);

-- A workshop session at a location: the case a document belongs to.
CREATE SEQUENCE case_ids START 1;
CREATE TABLE cases (
    id INTEGER PRIMARY KEY DEFAULT nextval('case_ids'),
    name VARCHAR NOT NULL UNIQUE,
    location VARCHAR,
    session VARCHAR,
    date VARCHAR,
    participant_group VARCHAR
);

CREATE SEQUENCE document_ids START 1;
CREATE TABLE documents (
    id INTEGER PRIMARY KEY DEFAULT nextval('document_ids'),
    title VARCHAR NOT NULL,
    source_path VARCHAR,
    format VARCHAR NOT NULL,
    content_hash VARCHAR NOT NULL,      -- sha256 of the stored text
    version INTEGER NOT NULL DEFAULT 1, -- 2, 3, ... when a file of the same name changed
    supersedes INTEGER,                 -- the earlier version's document id
    imported_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
    text VARCHAR NOT NULL,
    case_id INTEGER REFERENCES cases (id)
);
CREATE INDEX documents_hash ON documents (content_hash);

-- Any manifest column beyond location, session, date and group.
CREATE TABLE document_attributes (
    document_id INTEGER NOT NULL REFERENCES documents (id),
    name VARCHAR NOT NULL,
    value VARCHAR,
    PRIMARY KEY (document_id, name)
);

-- Units of coding. Offsets are code points into documents.text, end exclusive.
CREATE SEQUENCE segment_ids START 1;
CREATE TABLE segments (
    id INTEGER PRIMARY KEY DEFAULT nextval('segment_ids'),
    document_id INTEGER NOT NULL REFERENCES documents (id),
    ordinal INTEGER NOT NULL,
    turn INTEGER NOT NULL,              -- speaker turn (or workshop item) the segment is in
    speaker VARCHAR,
    start_offset INTEGER NOT NULL,
    end_offset INTEGER NOT NULL,
    text VARCHAR NOT NULL,
    cue_start DOUBLE,                   -- seconds, for .vtt and .srt
    cue_end DOUBLE,
    activity VARCHAR,                   -- workshop output kind (flipchart, sticky note, ...)
    attributes VARCHAR,                 -- JSON: extra columns of a workshop-output row
    UNIQUE (document_id, ordinal)
);

CREATE TABLE codebook_versions (
    version INTEGER PRIMARY KEY,
    name VARCHAR NOT NULL,
    source_path VARCHAR,
    content_hash VARCHAR NOT NULL,
    loaded_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
    source_text VARCHAR NOT NULL
);

-- One row per code per codebook version; a code removed from the codebook
-- stays in later versions with retired = true.
CREATE TABLE codes (
    codebook_version INTEGER NOT NULL REFERENCES codebook_versions (version),
    id VARCHAR NOT NULL,
    ordinal INTEGER NOT NULL,
    label VARCHAR NOT NULL,
    parent VARCHAR,
    codable BOOLEAN NOT NULL,
    definition VARCHAR,
    full_definition VARCHAR,
    include VARCHAR,
    exclude VARCHAR,
    examples VARCHAR[],
    color VARCHAR,
    provenance VARCHAR,
    retired BOOLEAN NOT NULL DEFAULT false,
    PRIMARY KEY (codebook_version, id)
);

CREATE TABLE coders (
    name VARCHAR PRIMARY KEY,
    role VARCHAR NOT NULL DEFAULT 'coder',
    created_at TIMESTAMP NOT NULL DEFAULT current_timestamp
);

-- Append-only: nothing here is updated or deleted.
CREATE SEQUENCE coding_event_ids START 1;
CREATE TABLE coding_events (
    id BIGINT PRIMARY KEY DEFAULT nextval('coding_event_ids'),
    segment_id INTEGER NOT NULL REFERENCES segments (id),
    start_offset INTEGER,               -- a sub-span of the segment; NULL = the whole segment
    end_offset INTEGER,
    code_id VARCHAR NOT NULL,
    coder VARCHAR NOT NULL,
    action VARCHAR NOT NULL CHECK (action IN ('accept', 'reject', 'add', 'remove')),
    source VARCHAR NOT NULL CHECK (source IN ('manual', 'suggestion', 'import', 'adjudication')),
    score DOUBLE,
    model VARCHAR,
    codebook_version INTEGER,
    created_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
    memo VARCHAR
);
CREATE INDEX coding_events_target ON coding_events (segment_id, code_id, coder);

-- Current codings: the latest event per (segment, span, code, coder) when it applies the code.
CREATE VIEW codings AS
SELECT id AS event_id, segment_id, start_offset, end_offset, code_id, coder, source,
       score, model, codebook_version, created_at, memo
FROM (
    SELECT *, row_number() OVER (
        PARTITION BY segment_id, coalesce(start_offset, -1), coalesce(end_offset, -1),
                     code_id, coder
        ORDER BY id DESC) AS rn
    FROM coding_events
)
WHERE rn = 1 AND action IN ('accept', 'add');

CREATE SEQUENCE memo_ids START 1;
CREATE TABLE memos (
    id INTEGER PRIMARY KEY DEFAULT nextval('memo_ids'),
    target_type VARCHAR NOT NULL CHECK (target_type IN ('project', 'document', 'segment', 'code')),
    target_id VARCHAR,
    coder VARCHAR NOT NULL,
    text VARCHAR NOT NULL,
    created_at TIMESTAMP NOT NULL DEFAULT current_timestamp
);

-- The audit trail: every change to the project, who and when.
CREATE SEQUENCE action_ids START 1;
CREATE TABLE action_log (
    id BIGINT PRIMARY KEY DEFAULT nextval('action_ids'),
    happened_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
    actor VARCHAR NOT NULL,
    action VARCHAR NOT NULL,
    detail VARCHAR                      -- JSON
);

-- Documents not superseded by a later version of the same file.
CREATE VIEW current_documents AS
SELECT d.* FROM documents d
WHERE NOT EXISTS (SELECT 1 FROM documents n WHERE n.supersedes = d.id);
