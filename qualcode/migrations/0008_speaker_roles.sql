-- Schema 8: speakers' roles and document preambles.
--
-- A speaker's role (participant, facilitator, other) is detected from the name
-- (qualcode/speakers.py); a row here overrides it for that name in every document.
-- speaker_key is the name in lower case with single spaces, so "FACILITATOR 2" and
-- "Facilitator 2" are one speaker.
CREATE TABLE speaker_roles (
    speaker_key VARCHAR PRIMARY KEY,
    speaker VARCHAR NOT NULL,
    role VARCHAR NOT NULL CHECK (role IN ('participant', 'facilitator', 'other')),
    set_by VARCHAR NOT NULL,
    set_at TIMESTAMP NOT NULL DEFAULT current_timestamp
);

-- The document's preamble is text[0:preamble_end]: the notes before the first speaker
-- turn of a transcript (0: none). From this version on it is not made into segments
-- unless the project's `preamble` setting says so.
ALTER TABLE documents ADD COLUMN preamble_end INTEGER DEFAULT 0;

-- Documents stored before: their preamble is the speaker-less paragraphs before the
-- first speaker turn of a prose transcript. Those segments stay (with any coding on
-- them); the preamble rule takes them out of the review queue and the agreement units.
UPDATE documents SET preamble_end = p.end_offset
FROM (
    SELECT s.document_id, max(s.end_offset) AS end_offset
    FROM segments s JOIN documents d ON d.id = s.document_id
    WHERE d.format IN ('txt', 'md', 'docx', 'pdf')
      AND s.speaker IS NULL AND s.cue_start IS NULL AND s.activity IS NULL
      AND s.turn < (
          SELECT min(f.turn) FROM segments f
          WHERE f.document_id = s.document_id AND f.speaker IS NOT NULL)
    GROUP BY s.document_id
) p
WHERE documents.id = p.document_id;
