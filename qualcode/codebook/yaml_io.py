"""The canonical codebook file format: YAML; and loading untrusted YAML safely."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from qualcode.codebook.model import Codebook, codebook_from_mapping
from qualcode.errors import InputError
from qualcode.ingest.decode import decode_bytes
from qualcode.limits import read_limited


def read_yaml_text(path: str | Path, max_bytes: int | None = None) -> str:
    """The file's text, decoded; InputError if unreadable or over the size limit."""
    return decode_bytes(read_limited(path, max_bytes), path)


def safe_load_yaml(text: str, source: str | Path, what: str = "YAML") -> Any:
    """Plain data from untrusted YAML text; InputError (one line) for bad syntax or nesting.

    Only plain types are built (yaml.safe_load), and PyYAML's recursion on deep
    nesting becomes an InputError. Aliases are resolved by reference, not copied,
    so callers must refuse collections where they expect a single value (an alias
    bomb is cheap to load and only explodes when turned into text).
    """
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "syntax error"
        raise InputError(source, f"invalid {what}{where}: {problem}") from None
    except RecursionError:
        raise InputError(source, f"invalid {what}: nested too deeply") from None


def parse_yaml_codebook(text: str, source: str | Path) -> Codebook:
    """A validated Codebook from YAML text; InputError names the problem."""
    return codebook_from_mapping(safe_load_yaml(text, source), source)


def load_yaml_codebook(path: str | Path, max_bytes: int | None = None) -> Codebook:
    """A validated Codebook from a YAML file within the size limit."""
    return parse_yaml_codebook(read_yaml_text(path, max_bytes), path)


def codebook_to_yaml(codebook: Codebook) -> str:
    return yaml.safe_dump(
        codebook.to_dict(), sort_keys=False, allow_unicode=True, width=100, default_flow_style=False
    )
