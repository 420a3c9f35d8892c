"""Read a REFI-QDA project (.qdpx) into memory: everything resolved and checked.

Lenient about what real tools write: any namespace, GUIDs in any case (with or
without braces, or not GUIDs at all), `sources/` or `Sources/`, any single
`*.qde`, a UTF-8 BOM on source files. Positions are converted to code points
here (see `qualcode.refi.positions`). Every problem is an InputError naming
the archive; what is skipped rather than refused is listed in `messages`.

Nothing here touches a project: `qualcode.refi.project_import` stores the
result in one transaction.
"""

from __future__ import annotations

import codecs
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from qualcode.codebook.model import Codebook, codebook_from_mapping
from qualcode.errors import InputError
from qualcode.ingest.segment import Segment
from qualcode.limits import RAISE_HINT, format_size
from qualcode.refi.archive import QdpxArchive, open_qdpx
from qualcode.refi.codebook import ParsedCodes, parse_codes
from qualcode.refi.guids import normalise_guid
from qualcode.refi.positions import PositionMap, PositionUnit
from qualcode.refi.xmlutil import (
    PayloadTooLarge,
    child,
    child_text,
    children,
    local,
    parse_xml,
    read_name_comment,
    read_segments_comment,
)

CASE_VARIABLES = ("location", "session", "date", "participant_group")
"""Case columns carried as case variables (written by the exporter, read back by name)."""

DEFAULT_CODER = "refi-import"
"""The coder of codings and notes whose file names no user at all."""

_OTHER_SOURCES = ("PictureSource", "PDFSource", "AudioSource", "VideoSource")
_VALUE_ELEMENTS = (
    "TextValue",
    "BooleanValue",
    "IntegerValue",
    "FloatValue",
    "DateValue",
    "DateTimeValue",
)
_CASE_ALIASES = {**{name: name for name in CASE_VARIABLES}, "group": "participant_group"}


@dataclass
class Coding:
    """One `<Coding>`: a code applied by a coder, with the notes referenced from it."""

    code_id: str
    coder: str
    notes: list[str]


@dataclass
class Selection:
    """A `<PlainTextSelection>` (or a whole source) in code points, with its codings."""

    start: int  # code points, end exclusive
    end: int
    codings: list[Coding]
    notes: list[str]
    description: str
    creator: str


@dataclass
class Source:
    """A `<TextSource>` with its decoded text and everything attached to it."""

    guid: str
    name: str
    text: str
    creator: str
    description: str
    selections: list[Selection] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    attributes: dict[str, str] = field(default_factory=dict)
    case: str | None = None
    segments: list[Segment] | None = None  # restored from a qualcode export, or computed
    format: str = "txt"

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


@dataclass
class Note:
    """A `<Note>` as memo text (name before content) and its creator."""

    text: str
    creator: str


@dataclass
class Case:
    """A `<Case>`: qualcode's case columns and any other variables."""

    name: str
    columns: dict[str, str]
    extra: dict[str, str]


@dataclass
class ParsedProject:
    """The contents of a .qdpx, resolved and checked, ready to store."""

    codebook: Codebook | None
    codes: ParsedCodes | None
    users: list[str]
    sources: list[Source]
    notes: dict[str, Note]
    project_notes: list[str]
    cases: list[Case]
    messages: list[str]  # what was skipped, for the user
    sources_skipped: int = 0  # text sources left out: no plain text


class _Reader:
    """Reads the project XML into `ParsedProject`, raising InputError naming the archive."""

    def __init__(self, archive: QdpxArchive, unit: PositionUnit) -> None:
        self.archive = archive
        self.path = archive.path
        self.unit = unit
        self.users: dict[str, str] = {}
        self.default_coder = DEFAULT_CODER
        self.codes: ParsedCodes | None = None
        self.variables: dict[str, str] = {}
        self.messages: list[str] = []
        self.sources_skipped = 0

    def fail(self, problem: str) -> InputError:
        return InputError(self.path, problem)

    def coder(self, *guids: str | None) -> str:
        """The name of the first user among `guids`; unknown GUIDs get a name of their own."""
        for raw in guids:
            guid = normalise_guid(raw)
            if guid is None:
                continue
            if guid not in self.users:
                self.users[guid] = f"user-{guid[:8]}"
            return self.users[guid]
        return self.default_coder

    def note_refs(self, element: etree._Element) -> list[str]:
        return [
            guid
            for ref in children(element, "NoteRef")
            if (guid := normalise_guid(ref.get("targetGUID")))
        ]

    def read(self) -> ParsedProject:
        root = parse_xml(self.archive.qde, self.path, "project")
        if local(root) != "Project":
            raise self.fail(f"not a REFI-QDA project: root element is <{local(root)}>")
        users = child(root, "Users")
        for user in children(users, "User") if users is not None else ():
            guid = normalise_guid(user.get("guid"))
            if guid is not None:
                label = (user.get("name") or user.get("id") or "").strip()
                self.users[guid] = label or f"user-{guid[:8]}"
        creator = normalise_guid(root.get("creatingUserGUID"))
        if creator is not None:
            self.default_coder = self.coder(creator)
        codebook = child(root, "CodeBook")
        codes = child(codebook, "Codes") if codebook is not None else None
        if codes is not None and child(codes, "Code") is not None:
            self.codes = parse_codes(codes, self.path)
        variables = child(root, "Variables")
        for variable in children(variables, "Variable") if variables is not None else ():
            guid = normalise_guid(variable.get("guid"))
            if guid is not None:
                self.variables[guid] = (variable.get("name") or "").strip() or guid
        sources = self.read_sources(child(root, "Sources"))
        notes = self.read_notes(child(root, "Notes"))
        cases = self.read_cases(child(root, "Cases"), sources)
        project_notes = self.note_refs(root)
        for skipped in ("Sets", "Links", "Graphs"):
            element = child(root, skipped)
            if element is not None and len(element):
                self.messages.append(f"{skipped.lower()} are not imported")
        name = read_name_comment(root) or (root.get("name") or "").strip() or self.path.stem
        codebook_model = self.build_codebook(name, sources)
        return ParsedProject(
            codebook=codebook_model,
            codes=self.codes,
            users=sorted(set(self.users.values())),
            sources=sources,
            notes=notes,
            project_notes=project_notes,
            cases=cases,
            messages=self.messages,
            sources_skipped=self.sources_skipped,
        )

    def build_codebook(self, name: str, sources: list[Source]) -> Codebook | None:
        """The validated codebook; codes that carry codings are made codable."""
        if self.codes is None:
            return None
        coded = {c.code_id for s in sources for sel in s.selections for c in sel.codings}
        for mapping in self.codes.mappings:
            if mapping["id"] in coded and not mapping["codable"]:
                mapping["codable"] = True
                if not mapping.get("definition"):
                    mapping["definition"] = mapping["label"]
                self.messages.append(f"code '{mapping['label']}' has codings: made codable")
        return codebook_from_mapping({"name": name, "codes": self.codes.mappings}, self.path)

    # --- sources ------------------------------------------------------------

    def text_of(self, element: etree._Element, what: str) -> str | None:
        """Plain text inline (`PlainTextContent`) or from `plainTextPath`; None if neither."""
        inline = child(element, "PlainTextContent")
        if inline is not None:
            return inline.text or ""
        reference = (element.get("plainTextPath") or "").strip()
        if not reference:
            return None
        if not reference.lower().startswith("internal://"):
            raise self.fail(
                f"{what}: external text file '{reference}' is not supported "
                "(export with sources embedded)"
            )
        file_name = reference[len("internal://") :].lstrip("/")
        member = self.archive.internal_file(file_name)
        if member is None:
            raise self.fail(f"{what}: its text file '{file_name}' is not in the archive")
        data = self.archive.read(member)
        if data.startswith(codecs.BOM_UTF8):
            data = data[len(codecs.BOM_UTF8) :]
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise self.fail(
                f"{what}: text file '{member}' is not UTF-8 (byte {exc.start})"
            ) from None

    def read_sources(self, element: etree._Element | None) -> list[Source]:
        sources: list[Source] = []
        if element is None:
            return sources
        skipped: dict[str, int] = {}
        for item in element:
            kind = local(item)
            if kind in _OTHER_SOURCES:
                skipped[kind] = skipped.get(kind, 0) + 1
            elif kind == "TextSource":
                source = self.read_source(item, len(sources) + 1)
                if source is not None:
                    sources.append(source)
        for kind, n in skipped.items():
            self.messages.append(f"{n} {kind} element(s) not imported (text sources only)")
        return sources

    def read_source(self, element: etree._Element, number: int) -> Source | None:
        guid = normalise_guid(element.get("guid")) or f"source {number}"
        name = (element.get("name") or "").strip() or guid
        what = f"source '{name}'"
        text = self.text_of(element, what)
        has_codings = child(element, "PlainTextSelection") is not None or (
            child(element, "Coding") is not None
        )
        if text is None:
            if has_codings:
                raise self.fail(f"{what}: no plain text (plainTextPath or PlainTextContent)")
            self.messages.append(f"{what} has no plain text: not imported")
            self.sources_skipped += 1
            return None
        creator = self.coder(element.get("creatingUser"))
        source = Source(
            guid=guid,
            name=name,
            text=text,
            creator=creator,
            description=child_text(element, "Description").strip(),
        )
        try:
            payload = read_segments_comment(element, self.archive.limit)
        except PayloadTooLarge:
            raise self.fail(
                f"{what}: its qualcode segments comment unpacks to more than "
                f"{format_size(self.archive.limit)} ({RAISE_HINT})"
            ) from None
        restored = _restored_segments(payload, text)
        if restored is not None:
            source.format, source.segments = restored
        positions = PositionMap(text, self.unit)
        empty = 0
        for item in children(element, "PlainTextSelection"):
            selection = self.read_selection(item, positions, what)
            if selection is None:
                empty += 1
            else:
                source.selections.append(selection)
        whole = [self.read_coding(c, creator, what) for c in children(element, "Coding")]
        if whole:
            source.selections.append(Selection(0, len(text), whole, [], "", creator))
        if empty:
            self.messages.append(f"{what}: {empty} empty selection(s) skipped")
        source.notes = self.note_refs(element)
        for value in children(element, "VariableValue"):
            found = self.variable_value(value)
            if found is not None:
                source.attributes[found[0]] = found[1]
        return source

    def read_selection(
        self, element: etree._Element, positions: PositionMap, what: str
    ) -> Selection | None:
        guid = element.get("guid") or "?"
        try:
            start = int(element.get("startPosition", ""))
            end = int(element.get("endPosition", ""))
        except ValueError:
            raise self.fail(f"{what}: selection {guid} has no valid start and end") from None
        limit = positions.external_length
        if not 0 <= start <= end <= limit:
            unit = "UTF-16 units" if positions.unit == "utf16" else "characters"
            raise self.fail(
                f"{what}: selection {guid} at {start}-{end} lies outside the text ({limit} {unit})"
            )
        if start == end:
            return None
        creator = self.coder(element.get("creatingUser"))
        return Selection(
            start=positions.to_codepoint(start),
            end=positions.to_codepoint(end, round_up=True),
            codings=[self.read_coding(c, creator, what) for c in children(element, "Coding")],
            notes=self.note_refs(element),
            description=child_text(element, "Description").strip(),
            creator=creator,
        )

    def read_coding(self, element: etree._Element, creator: str, what: str) -> Coding:
        ref = child(element, "CodeRef")
        target = normalise_guid(ref.get("targetGUID")) if ref is not None else None
        code_id = self.codes.ids_by_guid.get(target) if self.codes and target else None
        if code_id is None:
            raise self.fail(
                f"{what}: a coding refers to code {target}, which is not in the codebook"
            )
        coder = self.coder(element.get("creatingUser")) if element.get("creatingUser") else creator
        return Coding(code_id, coder, self.note_refs(element))

    def variable_value(self, element: etree._Element) -> tuple[str, str] | None:
        ref = child(element, "VariableRef")
        guid = normalise_guid(ref.get("targetGUID")) if ref is not None else None
        if guid is None or guid not in self.variables:
            self.messages.append("a variable value refers to an unknown variable: skipped")
            return None
        for item in element:
            if local(item) in _VALUE_ELEMENTS:
                return self.variables[guid], (item.text or "").strip()
        return self.variables[guid], ""

    # --- notes and cases ----------------------------------------------------

    def read_notes(self, element: etree._Element | None) -> dict[str, Note]:
        notes: dict[str, Note] = {}
        for item in children(element, "Note") if element is not None else ():
            guid = normalise_guid(item.get("guid"))
            if guid is None:
                continue
            name = (item.get("name") or "").strip()
            content = self.text_of(item, f"note '{name or guid}'") or ""
            if not content.strip():
                content = child_text(item, "Description")
            text = content
            if name and not content.startswith(name):
                text = f"{name}\n\n{content}" if content.strip() else name
            if text.strip():
                notes[guid] = Note(text, self.coder(item.get("creatingUser")))
        return notes

    def read_cases(self, element: etree._Element | None, sources: list[Source]) -> list[Case]:
        cases: list[Case] = []
        by_guid = {source.guid: source for source in sources}
        for item in children(element, "Case") if element is not None else ():
            guid = normalise_guid(item.get("guid")) or "?"
            case = Case((item.get("name") or "").strip() or f"case {guid[:8]}", {}, {})
            for value in children(item, "VariableValue"):
                found = self.variable_value(value)
                if found is None:
                    continue
                column = _CASE_ALIASES.get(found[0].lower())
                if column is not None:
                    case.columns[column] = found[1]
                else:
                    case.extra[found[0]] = found[1]
            for ref in children(item, "SourceRef"):
                source = by_guid.get(normalise_guid(ref.get("targetGUID")) or "")
                if source is None:
                    continue
                if source.case is not None and source.case != case.name:
                    self.messages.append(
                        f"source '{source.name}' is in several cases: kept '{source.case}'"
                    )
                    continue
                source.case = case.name
                for key, value in case.extra.items():
                    source.attributes.setdefault(key, value)
            cases.append(case)
        return cases


def _restored_segments(payload: dict | None, text: str) -> tuple[str, list[Segment]] | None:
    """(format, segments) from a qualcode export's segments comment, if it fits this text."""
    if payload is None or payload.get("sha256") != hashlib.sha256(text.encode()).hexdigest():
        return None
    fmt, rows = payload.get("format"), payload.get("segments")
    if not isinstance(fmt, str) or not isinstance(rows, list):
        return None
    segments: list[Segment] = []
    previous_end = 0
    for row in rows:
        if not (isinstance(row, list) and len(row) == 8):
            return None
        start, end, turn, speaker, cue_start, cue_end, activity, attributes = row
        if not all(isinstance(v, int) for v in (start, end, turn)):
            return None
        if not previous_end <= start < end <= len(text):
            return None
        if not all(v is None or isinstance(v, str) for v in (speaker, activity, attributes)):
            return None
        if not all(v is None or isinstance(v, int | float) for v in (cue_start, cue_end)):
            return None
        segments.append(
            Segment(
                len(segments), turn, speaker, start, end, text[start:end],
                cue_start, cue_end, activity, attributes,
            )
        )  # fmt: skip
        previous_end = end
    return (fmt, segments) if segments else None  # no segments: segmented here instead


def read_qdpx(
    path: str | Path,
    positions: PositionUnit = "utf16",
    max_bytes: int | None = None,
) -> ParsedProject:
    """Everything in a .qdpx, resolved and checked, without touching a project.

    `max_bytes` limits the archive's size and its unpacked size (None: the
    configured limit, see qualcode.limits).
    """
    archive = open_qdpx(path, max_bytes)
    try:
        return _Reader(archive, positions).read()
    finally:
        archive.close()
