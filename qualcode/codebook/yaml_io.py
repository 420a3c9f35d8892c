"""The canonical codebook file format: YAML; and loading untrusted YAML safely."""

from __future__ import annotations

from pathlib import Path

import yaml

from qualcode.codebook.model import Codebook, codebook_from_mapping
from qualcode.limits import read_limited
from qualcode.textio import decode_bytes, safe_load_yaml


def read_yaml_text(path: str | Path, max_bytes: int | None = None) -> str:
    """The file's text, decoded; InputError if unreadable or over the size limit."""
    return decode_bytes(read_limited(path, max_bytes), path)


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
