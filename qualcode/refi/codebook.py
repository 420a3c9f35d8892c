"""REFI-QDA codebooks (.qdc): read leniently, write valid against Codebook.xsd.

REFI-QDA gives a code a name, a colour, `isCodable`, nesting and one free-text
`<Description>`. qualcode's other fields travel in that description under
fixed headings, one field per heading line, so qualcode -> .qdc -> qualcode
restores every field exactly while other tools show readable text:

    Definition: Being safe and feeling safe.
    Full definition: First line of a longer text,
      continued on lines indented by two spaces (blank lines stay blank).
    Include: ...
    Exclude: ...
    Examples:
    - one example per "- " line
    Provenance: ...
    Priorities: participation, recovery
    Retired: yes              (project exports only, for codes codings still use)
    qualcode id: safety

A description that does not start with a heading (another tool's) becomes the
definition (its first paragraph) and the full definition (the whole text); a
codable code without any definition gets its label, since qualcode requires
one. Ids come from `qualcode id:` when present and valid, else from the name
(ASCII slug, made unique). Sets are not imported (qualcode has no code sets).
"""

from __future__ import annotations

import re
import textwrap
import unicodedata
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lxml import etree

from qualcode.codebook.model import MAX_DEPTH, Code, Codebook, codebook_from_mapping
from qualcode.errors import InputError
from qualcode.limits import read_limited
from qualcode.refi.guids import entity_guid, normalise_guid, standalone_namespace
from qualcode.refi.xmlutil import (
    CODEBOOK_NS,
    child,
    children,
    local,
    name_comment,
    parse_xml,
    read_name_comment,
    xml_safe,
)

ORIGIN = "qualcode"

_TEXT_HEADINGS = (
    ("definition", "Definition"),
    ("full_definition", "Full definition"),
    ("include", "Include"),
    ("exclude", "Exclude"),
)
_HEADING_FIELDS = {
    **{heading.lower(): key for key, heading in _TEXT_HEADINGS},
    "examples": "examples",
    "provenance": "provenance",
    "priorities": "priorities",
    "retired": "retired",
    "qualcode id": "id",
}
_HEADING = re.compile(
    r"^(?P<heading>Definition|Full definition|Include|Exclude|Examples|Provenance|Priorities"
    r"|Retired|qualcode id):(?: (?P<value>.*))?$",
    re.IGNORECASE,
)
_ID_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]*$")
_COLOR_RE = re.compile(r"^#(?:[0-9A-Fa-f]{6}|[0-9A-Fa-f]{3})$")
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")
_SLUG_MAX = 48


# --- descriptions -------------------------------------------------------------


def _field_lines(heading: str, value: str) -> list[str]:
    first, *rest = value.split("\n")
    return [f"{heading}: {first}", *(f"  {line}" if line else "" for line in rest)]


def description_for(code: Code) -> str:
    """The `<Description>` text carrying a code's structured fields (see module docstring)."""
    lines: list[str] = []
    for key, heading in _TEXT_HEADINGS:
        value = getattr(code, key)
        if value:
            lines += _field_lines(heading, value)
    if code.examples:
        lines.append("Examples:")
        for example in code.examples:
            first, *rest = example.split("\n")
            lines += [f"- {first}", *(f"  {line}" if line else "" for line in rest)]
    if code.provenance:
        lines += _field_lines("Provenance", code.provenance)
    if code.priorities:
        lines.append(f"Priorities: {', '.join(code.priorities)}")
    if code.retired:
        lines.append("Retired: yes")
    lines.append(f"qualcode id: {code.id}")
    return "\n".join(lines)


def _unindent(line: str) -> str:
    return line[2:] if line.startswith("  ") else line


def _structured(text: str) -> dict[str, Any]:
    """Fields from a description written under the fixed headings."""
    values: dict[str, Any] = {}
    current: str | None = None
    lines: list[str] = []
    items: list[list[str]] = []

    def finish() -> None:
        if current == "examples":
            examples = ["\n".join(item).strip() for item in items]
            values["examples"] = [e for e in examples if e]
        elif current == "retired":
            values["retired"] = "\n".join(lines).strip().lower() in ("yes", "true")
        elif current == "priorities":
            names = " ".join(lines).replace(";", ",").split(",")
            values["priorities"] = [name.strip() for name in names if name.strip()]
        elif current is not None:
            values[current] = "\n".join(lines).strip()

    for line in text.split("\n"):
        match = _HEADING.match(line)
        if match:
            finish()
            current = _HEADING_FIELDS[match.group("heading").lower()]
            inline = match.group("value") or ""
            lines, items = [inline], []
            if current == "examples" and inline.strip():
                items.append([inline])
        elif current == "examples":
            if line.startswith("- ") or line == "-":
                items.append([line[2:]])
            elif items:
                items[-1].append(_unindent(line))
            elif line.strip():
                items.append([line.strip()])
        elif current is not None:
            lines.append(_unindent(line))
    finish()
    return values


def _tidy(text: str) -> str:
    """Another tool's description: trailing spaces and common indentation removed."""
    lines = [line.rstrip() for line in text.split("\n")]
    return textwrap.dedent("\n".join(lines)).strip()


def fields_from_description(text: str) -> dict[str, Any]:
    """Code fields from a `<Description>`: structured if it starts with a heading, else
    definition = first paragraph and full_definition = the whole text."""
    raw = text.replace("\r\n", "\n").lstrip("\n")
    if _HEADING.match(raw.split("\n", 1)[0]):
        return _structured(raw)
    tidy = _tidy(raw)
    if not tidy:
        return {}
    if _HEADING.match(tidy.split("\n", 1)[0]):
        return _structured(tidy)
    first = _PARAGRAPH_BREAK.split(tidy, maxsplit=1)[0].strip()
    return {"definition": first, "full_definition": tidy}


# --- ids ----------------------------------------------------------------------


def slugify(name: str) -> str:
    """An id-shaped slug of a code name: ASCII letters, digits and '_', starting with a letter."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^A-Za-z0-9]+", "_", ascii_name).strip("_").lower()
    slug = slug[:_SLUG_MAX].rstrip("_")
    if not slug:
        return "code"
    return slug if slug[0].isalpha() else f"code_{slug}"


def _unique(base: str, taken: set[str]) -> str:
    candidate, n = base, 2
    while candidate in taken:
        candidate = f"{base}_{n}"
        n += 1
    taken.add(candidate)
    return candidate


# --- reading ------------------------------------------------------------------


@dataclass
class ParsedCodes:
    """Codes read from a `<Codes>` element, with what a project import needs besides."""

    mappings: list[dict[str, Any]]  # codebook_from_mapping input, parents first
    ids_by_guid: dict[str, str] = field(default_factory=dict)  # normalised GUID -> code id
    note_refs: dict[str, list[str]] = field(default_factory=dict)  # code id -> note GUIDs


def _flag(value: str | None, default: bool) -> bool:
    if value is None:
        return default
    return value.strip().lower() in ("true", "1", "yes")


def _color(value: str | None) -> str | None:
    """'#RRGGBB' from the colour attribute (3-digit colours expanded), None if unusable."""
    if not value or not _COLOR_RE.match(value.strip()):
        return None
    value = value.strip()
    if len(value) == 4:
        value = "#" + "".join(c * 2 for c in value[1:])
    return value


def parse_codes(codes: etree._Element, path: str | Path) -> ParsedCodes:
    """Read nested `<Code>` elements leniently (any namespace, any id shape)."""
    found: list[tuple[etree._Element, str | None, dict[str, Any]]] = []

    def walk(parent: etree._Element, parent_index: int | None, depth: int) -> None:
        for element in children(parent, "Code"):
            if depth > MAX_DEPTH:  # deeper would also exhaust Python's recursion limit
                raise InputError(path, f"codes nested more than {MAX_DEPTH} levels deep")
            description = child(element, "Description")
            values = (
                fields_from_description(description.text or "") if description is not None else {}
            )
            label = (element.get("name") or "").strip()
            values["label"] = label or f"code {len(found) + 1}"
            values["codable"] = _flag(element.get("isCodable"), True)
            values["color"] = _color(element.get("color"))
            values["_parent"] = parent_index
            values["_notes"] = [
                guid
                for ref in children(element, "NoteRef")
                if (guid := normalise_guid(ref.get("targetGUID")))
            ]
            found.append((element, normalise_guid(element.get("guid")), values))
            walk(element, len(found) - 1, depth + 1)

    walk(codes, None, 0)
    taken: set[str] = set()
    ids: list[str | None] = []
    for _, _, values in found:  # ids written by qualcode win over slugs
        wanted = str(values.pop("id", "") or "").strip()
        ids.append(wanted if _ID_RE.match(wanted) and wanted not in taken else None)
        if ids[-1]:
            taken.add(wanted)
    result = ParsedCodes(mappings=[])
    for index, (_, guid, values) in enumerate(found):
        code_id = ids[index] or _unique(slugify(values["label"]), taken)
        ids[index] = code_id
        parent_index = values.pop("_parent")
        notes = values.pop("_notes")
        if values["codable"] and not values.get("retired") and not values.get("definition"):
            values["definition"] = values["label"]
        mapping = {"id": code_id, **values}
        mapping["parent"] = ids[parent_index] if parent_index is not None else None
        result.mappings.append(mapping)
        if guid is not None:
            if guid in result.ids_by_guid:
                raise InputError(path, f"two codes share the GUID {guid}")
            result.ids_by_guid[guid] = code_id
        if notes:
            result.note_refs[code_id] = notes
    return result


def parse_qdc(data: bytes, path: str | Path) -> Codebook:
    """A validated Codebook from the bytes of a .qdc file (see the module docstring)."""
    path = Path(path)
    root = parse_xml(data, path, "codebook")
    if local(root) == "Project":  # a .qde given as a codebook: use its codebook
        codebook_element = child(root, "CodeBook")
    else:
        codebook_element = root if local(root) == "CodeBook" else None
    if codebook_element is None:
        raise InputError(path, f"not a REFI-QDA codebook: root element is <{local(root)}>")
    codes = child(codebook_element, "Codes")
    if codes is None or child(codes, "Code") is None:
        raise InputError(path, "not a REFI-QDA codebook: no <Codes> with a <Code> in it")
    parsed = parse_codes(codes, path)
    name = read_name_comment(root) or path.stem
    return codebook_from_mapping({"name": name, "codes": parsed.mappings}, path)


def read_qdc(path: str | Path, max_bytes: int | None = None) -> Codebook:
    """A validated Codebook from a REFI-QDA .qdc file within the size limit (None: the
    configured one, see qualcode.limits); InputError names the problem."""
    return parse_qdc(read_limited(path, max_bytes), path)


# --- writing ------------------------------------------------------------------


def append_codes(
    parent: etree._Element,
    codes: Iterable[Code],
    namespace: str,
    guid_of: Callable[[str], str],
    note_refs: dict[str, list[str]] | None = None,
) -> int:
    """Append nested `<Code>` elements for `codes` under `parent`; return how many.

    A code whose parent is not among `codes` goes at the top level. `note_refs`
    maps code ids to note GUIDs written as `<NoteRef>` (project files only).
    """
    codes = list(codes)
    present = {code.id for code in codes}
    kids: dict[str | None, list[Code]] = {}
    for code in codes:
        key = code.parent if code.parent in present else None
        kids.setdefault(key, []).append(code)

    def add(under: etree._Element, code: Code, seen: frozenset[str]) -> None:
        element = etree.SubElement(under, f"{{{namespace}}}Code")
        element.set("guid", guid_of(code.id))
        element.set("name", xml_safe(code.label))
        element.set("isCodable", "true" if code.codable else "false")
        if code.color:
            element.set("color", code.color)
        description = etree.SubElement(element, f"{{{namespace}}}Description")
        description.text = xml_safe(description_for(code))
        for note in (note_refs or {}).get(code.id, []):
            etree.SubElement(element, f"{{{namespace}}}NoteRef").set("targetGUID", note)
        for kid in kids.get(code.id, []):
            if kid.id not in seen:
                add(element, kid, seen | {kid.id})

    for code in kids.get(None, []):
        add(parent, code, frozenset({code.id}))
    return len(codes)


def codebook_to_qdc(codebook: Codebook, namespace: uuid.UUID | None = None) -> bytes:
    """A .qdc document (UTF-8 bytes) for the active codes, valid against Codebook.xsd.

    GUIDs are UUID5s of `namespace` (the project's UUID; derived from the
    codebook name when None) and the code id, so they are stable across exports.
    """
    space = namespace or standalone_namespace(codebook.name)
    root = etree.Element(f"{{{CODEBOOK_NS}}}CodeBook", nsmap={None: CODEBOOK_NS})
    root.set("origin", ORIGIN)
    codes = etree.SubElement(root, f"{{{CODEBOOK_NS}}}Codes")
    append_codes(codes, codebook.active(), CODEBOOK_NS, lambda cid: entity_guid(space, "code", cid))
    root.addprevious(name_comment(codebook.name))
    return etree.tostring(
        root.getroottree(), xml_declaration=True, encoding="utf-8", pretty_print=True
    )
