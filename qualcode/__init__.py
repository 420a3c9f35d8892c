"""qualcode: local-first qualitative coding against a framework codebook."""

from qualcode.errors import InputError, ProjectError, QualcodeError

__version__ = "0.1.0"

__all__ = ["InputError", "ProjectError", "QualcodeError", "__version__"]
