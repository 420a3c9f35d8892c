"""Codebooks: the model, the YAML format, and versions stored in a project."""

from qualcode.codebook.model import Code, Codebook
from qualcode.codebook.versions import LoadResult, current_codebook, load_codebook

__all__ = ["Code", "Codebook", "LoadResult", "current_codebook", "load_codebook"]
