"""Codebooks: the model, the YAML format, versions stored in a project, and edits (each
a new version). Reading and writing codebook files (YAML or REFI .qdc) is
`qualcode.codebook_files`."""

from qualcode.codebook.edit import EDITABLE, add_code, add_example, edit_code, retire_code
from qualcode.codebook.model import Code, Codebook
from qualcode.codebook.versions import LoadResult, current_codebook

__all__ = [
    "EDITABLE",
    "Code",
    "Codebook",
    "LoadResult",
    "add_code",
    "add_example",
    "current_codebook",
    "edit_code",
    "retire_code",
]
