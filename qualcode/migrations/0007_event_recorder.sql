-- Schema 7: who recorded each coding event. `coder` is whose layer an event belongs to;
-- `recorded_by` is the person (or "cli", "app", "demo" for an unbound project) who wrote
-- it: the coder for their own decisions, the supervisor for a settlement, the importer for
-- an imported layer. Undo takes back only events a coder recorded themselves.
-- (DuckDB cannot add NOT NULL to an indexed table; every write path fills it.)
ALTER TABLE coding_events ADD COLUMN recorded_by VARCHAR;

-- Existing events: a settlement by the supervisor its action-log entry names, an import by
-- whoever ran the import in the same transaction (same timestamp), the rest by their coder.
UPDATE coding_events SET recorded_by = coalesce(
    CASE
        WHEN source = 'adjudication' THEN (
            SELECT min(a.actor) FROM action_log a
            WHERE a.action = 'adjudication.settle'
              AND TRY_CAST(a.detail->>'event' AS BIGINT) = coding_events.id)
        WHEN source = 'import' THEN (
            SELECT min(a.actor) FROM action_log a
            WHERE a.action IN ('import.qdpx', 'codings.import')
              AND a.happened_at = coding_events.created_at)
    END,
    coder);
