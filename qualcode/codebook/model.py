"""Codes and codebooks, and the rules a codebook must satisfy to be loaded."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from qualcode.errors import InputError

_ID_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]*$")
_COLOR_RE = re.compile(r"^#[0-9A-Fa-f]{6}$")
_TEXT_FIELDS = ("definition", "full_definition", "include", "exclude", "provenance")
MAX_DEPTH = 100
"""The deepest a code may sit below its top-level group (real codebooks use a few levels)."""
PRIORITIES = ("participation", "inclusion", "protection", "empowerment", "recovery")
"""The thematic priorities a code may serve: the outcome themes of the CSF-POF workshops.
They cut across the codebook's groups, so they are a code attribute (a non-exclusive
dimension for analysis), not codes that are applied to text."""
KNOWN_FIELDS = frozenset(
    {"id", "label", "parent", "codable", "examples", "color", "retired", "priorities",
     *_TEXT_FIELDS}
)  # fmt: skip


@dataclass
class Code:
    """One code: the MacQueen fields plus hierarchy, colour and provenance."""

    id: str
    label: str
    parent: str | None = None
    codable: bool = True
    definition: str = ""
    full_definition: str = ""
    include: str = ""
    exclude: str = ""
    examples: list[str] = field(default_factory=list)
    color: str | None = None
    provenance: str = ""
    retired: bool = False
    priorities: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The YAML form: only the fields that carry something."""
        out: dict[str, Any] = {"id": self.id}
        for key, value in asdict(self).items():
            if key == "id" or value in (None, "", []):
                continue
            if key == "codable" and value:
                continue
            if key == "retired" and not value:
                continue
            out[key] = value
        return out


@dataclass
class Codebook:
    """A named, versioned list of codes in display order (parents before children)."""

    name: str
    codes: list[Code]
    version: int | None = None
    description: str = ""

    def by_id(self) -> dict[str, Code]:
        return {code.id: code for code in self.codes}

    def active(self) -> list[Code]:
        return [code for code in self.codes if not code.retired]

    def codable(self) -> list[Code]:
        return [code for code in self.codes if code.codable and not code.retired]

    def ancestors(self, code_id: str) -> list[str]:
        """Parent, grandparent, ... of a code, nearest first."""
        index = self.by_id()
        chain: list[str] = []
        parent = index[code_id].parent
        while parent is not None and parent in index and parent not in chain:
            chain.append(parent)
            parent = index[parent].parent
        return chain

    def top_level(self, code_id: str) -> str:
        """The top-level group a code rolls up to (itself if it has no parent)."""
        chain = self.ancestors(code_id)
        return chain[-1] if chain else code_id

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name}
        if self.version is not None:
            out["version"] = self.version
        if self.description:
            out["description"] = self.description
        out["codes"] = [code.to_dict() for code in self.codes]
        return out


def _text(value: Any, source: Path, where: str, key: str) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        if not all(isinstance(item, str | int | float) for item in value):
            raise InputError(source, f"{where}: field '{key}' must be text or a list of text")
        return "; ".join(str(item).strip() for item in value)
    if isinstance(value, str | int | float):
        return str(value).strip()
    raise InputError(source, f"{where}: field '{key}' must be text")


def _scalar(value: Any, source: Path, where: str, key: str) -> Any:
    """`value` when it is one value (text, number, date), else InputError: a list or
    mapping (say, a YAML alias of a huge nested list) is never turned into text."""
    if isinstance(value, list | dict | set | tuple):
        raise InputError(source, f"{where}: field '{key}' must be a single value")
    return value


def _priorities(value: Any, source: Path, where: str) -> list[str]:
    """The thematic priorities of a code: a list (or one value) of PRIORITIES, each once,
    in the order given."""
    if value is None:
        return []
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
        raise InputError(source, f"{where}: field 'priorities' must be a list of text")
    found: list[str] = []
    for item in items:
        name = item.strip().lower()
        if name not in PRIORITIES:
            raise InputError(
                source,
                f"{where}: field 'priorities' has '{item.strip()[:40]}', which is not one of "
                + ", ".join(PRIORITIES),
            )
        if name not in found:
            found.append(name)
    return found


def _code_from_mapping(raw: Any, position: int, source: Path) -> Code:
    if not isinstance(raw, dict):
        raise InputError(source, f"code #{position}: expected a mapping with id and label")
    code_id = _scalar(raw.get("id"), source, f"code #{position}", "id")
    where = f"code '{code_id}'" if code_id is not None else f"code #{position}"
    if code_id is None or str(code_id).strip() == "":
        raise InputError(source, f"{where}: missing required field 'id'")
    code_id = str(code_id).strip()
    if not _ID_RE.match(code_id):
        raise InputError(
            source,
            f"{where}: field 'id' must start with a letter and hold only letters, digits, "
            "'_', '-' or '.'",
        )
    label = _scalar(raw.get("label"), source, where, "label")
    if label is None or str(label).strip() == "":
        raise InputError(source, f"{where}: missing required field 'label'")
    codable = raw.get("codable", True)
    if not isinstance(codable, bool):
        raise InputError(source, f"{where}: field 'codable' must be true or false")
    retired = raw.get("retired", False)
    if not isinstance(retired, bool):
        raise InputError(source, f"{where}: field 'retired' must be true or false")
    examples = raw.get("examples") or []
    if isinstance(examples, str):
        examples = [examples]
    if not isinstance(examples, list) or not all(
        isinstance(item, str | int | float) for item in examples
    ):
        raise InputError(source, f"{where}: field 'examples' must be a list of text")
    color = _scalar(raw.get("color"), source, where, "color")
    if color is not None and not _COLOR_RE.match(str(color)):
        raise InputError(source, f"{where}: field 'color' must look like #1f77b4")
    parent = _scalar(raw.get("parent"), source, where, "parent")
    priorities = _priorities(raw.get("priorities"), source, where)
    texts = {key: _text(raw.get(key), source, where, key) for key in _TEXT_FIELDS}
    if codable and not retired and not texts["definition"]:
        raise InputError(source, f"{where}: missing required field 'definition'")
    return Code(
        id=code_id,
        label=str(label).strip(),
        parent=str(parent).strip() if parent not in (None, "") else None,
        codable=codable,
        examples=[str(item).strip() for item in examples if str(item).strip()],
        color=str(color) if color is not None else None,
        retired=retired,
        priorities=priorities,
        **texts,
    )


def codebook_from_mapping(data: Any, source: str | Path) -> Codebook:
    """Build and validate a Codebook from parsed YAML (or any equal mapping).

    Raises InputError naming the file, the code and the field at fault.
    """
    source = Path(source)
    if not isinstance(data, dict):
        raise InputError(source, "not a codebook: expected a mapping with 'name' and 'codes'")
    raw_codes = data.get("codes")
    if not isinstance(raw_codes, list) or not raw_codes:
        raise InputError(source, "not a codebook: 'codes' must be a non-empty list")
    name = str(_scalar(data.get("name"), source, "codebook", "name") or source.stem).strip()
    codes = [_code_from_mapping(raw, i + 1, source) for i, raw in enumerate(raw_codes)]
    version = data.get("version")
    codebook = Codebook(
        name=name,
        codes=codes,
        version=version if isinstance(version, int) else None,
        description=_text(data.get("description"), source, "codebook", "description"),
    )
    validate(codebook, source)
    return codebook


def validate(codebook: Codebook, source: str | Path) -> None:
    """Unique ids, existing parents, no cycles, at most MAX_DEPTH levels; raise InputError
    otherwise."""
    seen: set[str] = set()
    for code in codebook.codes:
        if code.id in seen:
            raise InputError(source, f"code '{code.id}': duplicate id")
        seen.add(code.id)
    for code in codebook.codes:
        if code.parent is not None and code.parent not in seen:
            raise InputError(source, f"code '{code.id}': parent '{code.parent}' is not a code")
    parents = {code.id: code.parent for code in codebook.codes}
    for code in codebook.codes:
        visited = {code.id}
        parent = code.parent
        while parent is not None:
            if parent in visited:
                raise InputError(source, f"code '{code.id}': parent chain forms a cycle")
            if len(visited) > MAX_DEPTH:
                raise InputError(
                    source, f"code '{code.id}': nested more than {MAX_DEPTH} levels deep"
                )
            visited.add(parent)
            parent = parents.get(parent)
    if not codebook.codable():
        raise InputError(source, "no codable code: every code is a group or retired")
