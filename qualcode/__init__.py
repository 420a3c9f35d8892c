"""qualcode: local-first qualitative coding against a framework codebook.

The library is its packages, each with a curated `__all__`: `coding` (decisions,
layers, the segment card, undo, memos, retrieval), `codebook` and `codebook_files`,
`ingest`, `privacy`, `suggest`, `agreement`, `themes`, `exports` and `refi`; the
project file is `qualcode.store.Project`. This top level holds the errors every
function may raise and the version.
"""

from qualcode.errors import ArgumentError, InputError, NextStep, ProjectError, QualcodeError

__version__ = "0.1.0"

__all__ = [
    "ArgumentError",
    "InputError",
    "NextStep",
    "ProjectError",
    "QualcodeError",
    "__version__",
]
