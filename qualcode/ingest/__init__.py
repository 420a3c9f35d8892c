"""Reading source files into documents and segments."""

from qualcode.ingest.model import ParsedDocument, Pseudonymising, Turn
from qualcode.ingest.pipeline import IngestReport, ingest_paths, store_document
from qualcode.ingest.readers import SUPPORTED_SUFFIXES, read_document, read_document_bytes

__all__ = [
    "SUPPORTED_SUFFIXES",
    "IngestReport",
    "ParsedDocument",
    "Pseudonymising",
    "Turn",
    "ingest_paths",
    "read_document",
    "read_document_bytes",
    "store_document",
]
