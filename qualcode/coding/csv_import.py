"""Importing coders' decisions from a CSV: `coder,document,segment,code,decision`.

`document` is a document title (its current version), `segment` the segment's
ordinal in that document, `decision` one of add, accept, reject, remove, or
`reviewed` (with an empty code) for a segment the coder reviewed and left
uncoded. The whole file goes in as one transaction, or nothing does.

A coder named `consensus` or `model` (qualcode's own layers) is refused. The
events go into the named coders' layers, recorded as the importer's; for a
project bound to a person, a file naming anyone else needs an admin
(`qualcode.access.check_import_coders`).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from qualcode.access import check_import_coders, check_not_reserved, recorded_as
from qualcode.audit import log_action
from qualcode.coding.decisions import ACTIONS, Decision, append_decisions, append_reviews
from qualcode.errors import InputError, QualcodeError
from qualcode.jsonable import Jsonable
from qualcode.limits import read_limited
from qualcode.store import Project
from qualcode.textio import decode_bytes

COLUMNS = ("coder", "document", "segment", "code", "decision")


@dataclass
class CodingsImport(Jsonable):
    events: int
    reviews: int
    coders: list[str]


def _read_rows(path: Path, max_bytes: int | None = None) -> list[dict[str, str]]:
    reader = csv.DictReader(io.StringIO(decode_bytes(read_limited(path, max_bytes), path)))
    try:
        fieldnames = reader.fieldnames  # reads the header line: a csv.Error can come here
    except csv.Error as exc:
        raise InputError(path, f"malformed CSV ({exc})") from None
    header = [name.strip().lower() for name in fieldnames or []]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise InputError(
            path, f"missing column '{missing[0]}' (found: {', '.join(header) or 'none'})"
        )
    try:
        rows = [
            {k.strip().lower(): (v or "").strip() for k, v in row.items() if k} for row in reader
        ]
    except csv.Error as exc:
        raise InputError(path, f"malformed CSV ({exc})") from None
    if not rows:
        raise InputError(path, "no codings in file")
    return rows


def import_codings(
    project: Project, path: str | Path, actor: str = "cli", max_bytes: int | None = None
) -> CodingsImport:
    """Append every row of a codings CSV as coding events (source 'import').

    A file over `max_bytes` (None: the configured limit, see qualcode.limits) is
    refused before it is read.
    """
    path = Path(path)
    rows = _read_rows(path, max_bytes)
    with project.transaction() as con:
        segments = {
            (title, ordinal): segment_id
            for segment_id, title, ordinal in con.execute(
                "SELECT s.id, d.title, s.ordinal FROM segments s "
                "JOIN current_documents d ON d.id = s.document_id"
            ).fetchall()
        }
        decisions: list[Decision] = []
        reviews: dict[str, list[int]] = {}
        for line, row in enumerate(rows, start=2):
            where = f"line {line}"
            if not row["coder"]:
                raise InputError(path, f"{where}: empty coder")
            try:
                check_not_reserved(row["coder"])
            except QualcodeError as exc:
                raise InputError(path, f"{where}: coder {exc.message}") from None
            try:
                ordinal = int(row["segment"])
            except ValueError:
                raise InputError(path, f"{where}: segment must be a number") from None
            segment_id = segments.get((row["document"], ordinal))
            if segment_id is None:
                raise InputError(
                    path, f"{where}: no segment {ordinal} in document '{row['document']}'"
                )
            decision = row["decision"].lower()
            if decision == "reviewed":
                reviews.setdefault(row["coder"], []).append(segment_id)
                continue
            if decision not in ACTIONS:
                raise InputError(
                    path, f"{where}: decision must be one of {', '.join(ACTIONS)}, reviewed"
                )
            if not row["code"]:
                raise InputError(path, f"{where}: empty code")
            decisions.append(
                Decision(segment_id, row["code"], row["coder"], decision, source="import")
            )
        check_import_coders(con, project.user, {r["coder"] for r in rows})
        importer = recorded_as(project, actor)
        try:
            ids = append_decisions(con, decisions, recorded_by=importer)
            for coder, segment_ids in reviews.items():
                append_reviews(con, segment_ids, coder)
        except QualcodeError as exc:
            raise InputError.about(path, exc) from None
        coders = sorted({r["coder"] for r in rows})
        con.execute(
            "INSERT INTO coders (name) SELECT unnest(?::VARCHAR[]) ON CONFLICT DO NOTHING",
            [coders],
        )
        result = CodingsImport(len(ids), sum(len(v) for v in reviews.values()), coders)
        detail = {"path": str(path), **result.__dict__}
        log_action(con, importer, "codings.import", detail)
    return result
