"""REFI-QDA exchange: codebooks (.qdc) and projects (.qdpx) for NVivo, ATLAS.ti, MAXQDA.

Modules:
- `codebook`: .qdc read (lenient) and write (valid against Codebook.xsd); the
  structured fields of a code travel in `<Description>` under fixed headings.
- `project_export`: a project as a .qdpx, valid against Project.xsd.
- `project_read`: a .qdpx read and resolved in memory (lenient about real files).
- `project_import`: storing what was read, in one transaction.
- `archive`: the zip container, checked for size and unsafe member names.
- `positions`: UTF-16 code units (NVivo) <-> code points (qualcode).
- `guids`: stable GUIDs from the project's UUID; lenient GUID matching.
- `xmlutil`: namespace-blind parsing with one-line errors, and the comments
  that carry qualcode-only data (codebook name, segmentation) through a round trip.

Import the submodules directly; this package imports nothing heavy on its own.
"""
