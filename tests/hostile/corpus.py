"""The hostile input corpus: every crafted file, built on the fly.

Each builder writes one crafted input (or a folder of them) under the folder it is
given and returns its path; nothing here is committed as a binary. The inputs are the
ones that once cost qualcode a traceback, quadratic time, unbounded memory or a
project that fails its integrity check; `test_corpus.py` holds one test per input with
the outcome each must have. `python -m tests.hostile.corpus DIR` writes them all to DIR
for trying by hand.
"""

from __future__ import annotations

import base64
import csv
import sys
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

import duckdb
import yaml

from qualcode.codebook_files import load_codebook
from qualcode.coding.decisions import Decision, record_decisions
from qualcode.ingest.pipeline import ingest_paths
from qualcode.maintenance import backup
from qualcode.store import Project

from ..pdf_objects import pdf_from_objects

DUPLICATE_COLUMNS = 6_000
WIDE_COLUMNS = 100_001
LONG_TURN_SENTENCE = "I want a safe home near my school. "
LONG_TURN_SENTENCES = 32_000  # 1.1 MB in one speaker turn: over spaCy's 1,000,000 characters
BOMB_UNPACKED = 64 * 2**20  # what the segments comment asks for
PDF_PAGES = 200  # pages sharing one 16 KB content stream: text over 60 times the file
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
FORMULAS = tuple(
    f"{start}{body}"
    for start, body in zip(
        FORMULA_STARTS,
        ('HYPERLINK("http://x.example","click")', "1+1", "2+3", "SUM(A1)", "tab", "cr"),
        strict=True,
    )
)
"""One cell for each character a spreadsheet reads as the start of a formula."""


# --- tables -----------------------------------------------------------------------------


def csv_duplicate_columns(folder: Path) -> Path:
    """A CSV whose header names one column 6,000 times (naming them once took minutes)."""
    path = folder / "duplicate_columns.csv"
    header = ["text", *(["a"] * DUPLICATE_COLUMNS)]
    path.write_text(",".join(header) + "\n" + ",".join(["hello"] * len(header)) + "\n")
    return path


def csv_wide(folder: Path) -> Path:
    """A CSV with 100,001 distinct columns in 800 KB."""
    path = folder / "wide.csv"
    header = ["text", *(f"c{i}" for i in range(WIDE_COLUMNS - 1))]
    path.write_text(",".join(header) + "\nhello\n")
    return path


# --- transcripts ------------------------------------------------------------------------


def long_turn_folder(folder: Path) -> Path:
    """A folder with a 1.1 MB speaker turn and a second, ordinary transcript after it."""
    batch = folder / "long_turn"
    batch.mkdir()
    text = "YP1: " + LONG_TURN_SENTENCE * LONG_TURN_SENTENCES
    (batch / "a_long.txt").write_text(text, encoding="utf-8")
    (batch / "b_short.txt").write_text("YP2: I like football.\n", encoding="utf-8")
    return batch


def newline_name(folder: Path) -> Path:
    """An empty transcript in a folder whose name holds a line break and a forged line."""
    odd = folder / "x\nfailed: all.txt"
    odd.mkdir()
    path = odd / "empty.txt"
    path.write_text("")
    return path


def pdf_shared_stream(folder: Path, pages: int = PDF_PAGES, line: str = "x" * 80) -> Path:
    """A PDF whose pages all show one content stream: its text is `pages` times the
    stream's, in a file not much larger than the stream."""
    lines = max(1, 16_000 // (len(line) + 1))
    ops = ["BT /F1 10 Tf 36 800 Td 11 TL", *(f"({line}) Tj T*" for _ in range(lines)), "ET"]
    stream = "\n".join(ops).encode("latin-1")
    kids = " ".join(f"{5 + i} 0 R" for i in range(pages))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids.encode(), pages),
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        *(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 842] "
            b"/Resources << /Font << /F1 4 0 R >> >> /Contents 3 0 R >>"
            for _ in range(pages)
        ),
    ]
    path = folder / "shared_stream.pdf"
    path.write_bytes(pdf_from_objects(objects))
    return path


# --- codebooks --------------------------------------------------------------------------


def codebook_long_integer(folder: Path) -> Path:
    """A YAML codebook whose version is a 5,000-digit integer (past Python's 4,300)."""
    path = folder / "long_integer.yaml"
    path.write_text(
        "name: Codebook\nversion: " + "9" * 5_000 + "\ncodes:\n"
        "  - id: safe\n    label: Safe\n    definition: Feeling safe.\n",
        encoding="utf-8",
    )
    return path


# --- REFI-QDA projects ------------------------------------------------------------------

_GUIDS = [f"11111111-1111-4111-8111-{i:012d}" for i in range(1, 10)]
_CODE_GUID = "22222222-2222-4222-8222-222222222222"
_USER_GUID = "33333333-3333-4333-8333-333333333333"


def _qdpx(path: Path, sources: list[tuple[str, bytes, str]]) -> Path:
    """A .qdpx with one code, one user and the text sources (name, text, inner XML)."""
    elements = "".join(
        f'<TextSource guid="{guid}" name="{name}" plainTextPath="internal://{guid}.txt">'
        f"{inner}</TextSource>"
        for guid, (name, _, inner) in zip(_GUIDS, sources, strict=False)
    )
    qde = (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        f'<Project xmlns="urn:QDA-XML:project:1.0" name="Crafted" creatingUserGUID="{_USER_GUID}">'
        f'<Users><User guid="{_USER_GUID}" name="Ann"/></Users>'
        f'<CodeBook><Codes><Code guid="{_CODE_GUID}" name="Safe" isCodable="true"/>'
        f"</Codes></CodeBook><Sources>{elements}</Sources></Project>"
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("project.qde", qde.encode("utf-8"))
        for guid, (_, text, _) in zip(_GUIDS, sources, strict=False):
            archive.writestr(f"sources/{guid}.txt", text)
    return path


def coded_selection(start: int, end: int, n: int = 0) -> str:
    """A selection (UTF-16 positions) coded with the corpus's one code."""
    return (
        f'<PlainTextSelection guid="44444444-4444-4444-8444-{n:012d}" '
        f'startPosition="{start}" endPosition="{end}"><Coding guid="55555555-5555-4555-8555-'
        f'{n:012d}"><CodeRef targetGUID="{_CODE_GUID}"/></Coding></PlainTextSelection>'
    )


TURN = b"YP1: I feel safe at home.\n"


def qdpx_segments_bomb(folder: Path) -> Path:
    """A .qdpx whose qualcode segments comment is 70 KB of zlib asking for 64 MiB."""
    squeeze = zlib.compressobj(9)
    chunk = b"[" * 2**20
    bomb = b"".join(squeeze.compress(chunk) for _ in range(BOMB_UNPACKED // len(chunk)))
    bomb += squeeze.flush()
    comment = f"<!-- qualcode segments: {base64.b64encode(bomb).decode('ascii')} -->"
    return _qdpx(folder / "segments_bomb.qdpx", [("Interview", TURN, comment)])


def qdpx_empty_sources(folder: Path) -> Path:
    """A .qdpx with an empty source, a source of blank lines and one ordinary, coded source."""
    return _qdpx(
        folder / "empty_sources.qdpx",
        [
            ("Empty", b"", ""),
            ("Blank lines", b"\n \r\n\t\n", ""),
            ("Interview", TURN, coded_selection(5, 25)),
        ],
    )


def qdpx_empty_coded_source(folder: Path) -> Path:
    """A .qdpx whose only source is empty yet coded as a whole."""
    whole = (
        '<Coding guid="66666666-6666-4666-8666-666666666666">'
        f'<CodeRef targetGUID="{_CODE_GUID}"/></Coding>'
    )
    return _qdpx(folder / "empty_coded.qdpx", [("Empty", b"", whole)])


def qdpx_identical_sources(folder: Path) -> Path:
    """A .qdpx with two sources of one text, each coded, and two empty ones."""
    return _qdpx(
        folder / "identical_sources.qdpx",
        [
            ("First copy", TURN, coded_selection(5, 11, 1)),
            ("Second copy", TURN, coded_selection(12, 16, 2)),
            ("Empty one", b"", ""),
            ("Empty two", b"", ""),
        ],
    )


# --- exports: cells a spreadsheet would run --------------------------------------------


def formula_project(folder: Path) -> Project:
    """A project where every name and text that reaches an export starts like a formula:
    transcript rows and speakers (a CSV), code labels and definitions, a coder."""
    transcript = folder / "formulas.csv"
    with transcript.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["speaker", "text"])
        for n, cell in enumerate(FORMULAS):
            writer.writerow([f"{FORMULA_STARTS[n]}YP{n}", f"{cell} I feel safe {n}"])
    book = folder / "formulas.yaml"
    codes = [
        {"id": f"c{n}", "label": cell, "definition": f"{cell} definition"}
        for n, cell in enumerate(FORMULAS)
    ]
    book.write_text(yaml.safe_dump({"name": FORMULAS[0], "codes": codes}), encoding="utf-8")
    project = Project.init(folder / "formulas.duckdb")
    load_codebook(project, book)
    report = ingest_paths(project, [transcript], location=FORMULAS[1], session=FORMULAS[2])
    assert report.documents_added == 1, report.failed
    with project.connect(read_only=True) as con:
        segments = [r[0] for r in con.execute("SELECT id FROM segments ORDER BY id").fetchall()]
    decisions = []
    for n, segment in enumerate(segments):
        code = f"c{n % len(FORMULAS)}"
        decisions.append(Decision(segment, code, FORMULAS[3], "add", memo=FORMULAS[n % 6]))
        decisions.append(Decision(segment, code, "consensus", "add"))
    record_decisions(project, decisions)
    return project


# --- project files ----------------------------------------------------------------------


def not_a_project(folder: Path) -> Path:
    """A DuckDB file of something else (a survey)."""
    path = folder / "survey.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE survey (answer VARCHAR)")
    con.execute("INSERT INTO survey VALUES ('yes')")
    con.close()
    return path


def filled_project(folder: Path) -> Project:
    """A small project with a document, a codebook and one coding."""
    transcript = folder / "interview.txt"
    transcript.write_text("YP1: I feel safe at home.\nYP2: I like football.\n", encoding="utf-8")
    book = folder / "codebook.yaml"
    codes = [{"id": "safe", "label": "Safe", "definition": "Feeling safe."}]
    book.write_text(yaml.safe_dump({"name": "Book", "codes": codes}), encoding="utf-8")
    project = Project.init(folder / "filled.duckdb")
    load_codebook(project, book)
    ingest_paths(project, [transcript])
    with project.connect(read_only=True) as con:
        segment = con.execute("SELECT min(id) FROM segments").fetchone()[0]
    record_decisions(project, [Decision(segment, "safe", "ann", "add")])
    return project


def truncated_backup(folder: Path, project: Project) -> Path:
    """The first half of a backup of `project`."""
    whole = backup(project, folder / "whole-backup.duckdb").read_bytes()
    cut = folder / "cut-backup.duckdb"
    cut.write_bytes(whole[: len(whole) // 2])
    return cut


FILES: dict[str, Callable[[Path], Path]] = {
    "csv_duplicate_columns": csv_duplicate_columns,
    "csv_wide": csv_wide,
    "long_turn_folder": long_turn_folder,
    "newline_name": newline_name,
    "pdf_shared_stream": pdf_shared_stream,
    "codebook_long_integer": codebook_long_integer,
    "qdpx_segments_bomb": qdpx_segments_bomb,
    "qdpx_empty_sources": qdpx_empty_sources,
    "qdpx_empty_coded_source": qdpx_empty_coded_source,
    "qdpx_identical_sources": qdpx_identical_sources,
    "not_a_project": not_a_project,
}
"""Every crafted file that needs no project to build."""


def write_all(folder: Path) -> list[Path]:
    """Write the whole corpus under `folder` (one subfolder per input)."""
    written = []
    for name, build in FILES.items():
        (folder / name).mkdir(parents=True, exist_ok=True)
        written.append(build(folder / name))
    (folder / "projects").mkdir(exist_ok=True)
    filled = filled_project(folder / "projects")
    written += [filled.path, truncated_backup(folder / "projects", filled)]
    written.append(formula_project(folder / "projects").path)
    return written


if __name__ == "__main__":
    for written in write_all(Path(sys.argv[1] if len(sys.argv) > 1 else "hostile-corpus")):
        print(repr(str(written))[1:-1])
