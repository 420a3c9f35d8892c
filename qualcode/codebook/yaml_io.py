"""The canonical codebook file format: YAML."""

from __future__ import annotations

from pathlib import Path

import yaml

from qualcode.codebook.model import Codebook, codebook_from_mapping
from qualcode.errors import InputError
from qualcode.ingest.decode import decode_bytes


def read_yaml_text(path: str | Path) -> str:
    """The file's text, decoded; InputError if unreadable."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(path, f"cannot read file ({exc.strerror or exc})") from None
    return decode_bytes(data, path)


def parse_yaml_codebook(text: str, source: str | Path) -> Codebook:
    """A validated Codebook from YAML text; InputError names the problem."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise InputError(source, f"invalid YAML{where}: {problem}") from None
    except RecursionError:
        raise InputError(source, "invalid YAML: nested too deeply") from None
    return codebook_from_mapping(data, source)


def load_yaml_codebook(path: str | Path) -> Codebook:
    return parse_yaml_codebook(read_yaml_text(path), path)


def codebook_to_yaml(codebook: Codebook) -> str:
    return yaml.safe_dump(
        codebook.to_dict(), sort_keys=False, allow_unicode=True, width=100, default_flow_style=False
    )
