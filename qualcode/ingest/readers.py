"""Read source files (transcripts, captions, workshop outputs) into ParsedDocuments.

`read_document` picks a reader by suffix (`read_document_bytes` does the same for
bytes already in memory, such as an upload). Every reader returns the text to
store and its turns, whose offsets index that text exactly, and turns any
problem with the file (size, encoding, corruption, missing columns) into an
InputError: library exceptions never escape.

Stored text by format:

- .txt/.md/.docx/.pdf: the document's text (docx paragraphs and table cells
  one per line; pdf pages separated by a blank line); turns from split_turns.
- .vtt/.srt: one line per cue, ``Speaker: utterance`` when a speaker is
  known; a cue holding several ``<v>`` voices gives one line per voice.
- .csv/.xlsx: one line per row with text, ``Speaker: text`` when a speaker
  column is filled; other columns go into the turn's attributes.
"""

from __future__ import annotations

import csv
import html
import io
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from qualcode.errors import InputError
from qualcode.ingest.model import ParsedDocument, Turn
from qualcode.ingest.turns import normalise_speaker, speaker_prefix, split_turns
from qualcode.limits import RAISE_HINT, check_size, format_size, max_file_bytes, read_limited
from qualcode.textio import EMPTY, decode_bytes

TEXT_COLUMNS = ("text", "content", "note", "item", "response")
SPEAKER_COLUMNS = ("speaker", "author", "participant", "who")
ACTIVITY_COLUMNS = ("activity", "type", "kind", "source")

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .doc/.xls container
_TAG = re.compile(r"<[^>\n]*>")
_VOICE = re.compile(r"\s*<v(?:\.[^\s>]*)*\s+([^>]*)>")
_LINE_BREAKS = re.compile(r"\s*\n\s*")


def read_document(path: Path | str, *, max_bytes: int | None = None) -> ParsedDocument:
    """Read `path` with the reader for its suffix; raise InputError if it cannot be used.

    Files larger than `max_bytes` (None: the configured limit, see qualcode.limits),
    and .docx/.xlsx whose unzipped contents exceed it (zip bombs), are refused
    before parsing.
    """
    path = Path(path)
    reader = _reader_for(path)
    limit = max_file_bytes(max_bytes)
    data = read_limited(path, limit)
    if not data:
        raise InputError(path, EMPTY)
    return reader(data, path, limit)


def read_document_bytes(
    data: bytes, name: Path | str, *, max_bytes: int | None = None
) -> ParsedDocument:
    """Read a file's bytes (an upload) as `read_document` reads the file `name`.

    The reader is picked by the suffix of `name`, the same limits apply and errors
    name `name`; nothing is written to disk.
    """
    path = Path(name)
    reader = _reader_for(path)
    limit = max_file_bytes(max_bytes)
    check_size(path, len(data), limit)
    if not data:
        raise InputError(path, EMPTY)
    return reader(data, path, limit)


def _reader_for(path: Path) -> _Reader:
    """The reader for a file's suffix; InputError for an unsupported one."""
    suffix = path.suffix.lower()
    reader = _READERS.get(suffix)
    if reader is None:
        shown = f"'{suffix}'" if suffix else "(no suffix)"
        raise InputError(
            path, f"unsupported format {shown} (supported: {', '.join(SUPPORTED_SUFFIXES)})"
        )
    return reader


def _brief(exc: BaseException) -> str:
    """One-line, bounded description of a library exception for an error message."""
    lines = str(exc).strip().splitlines()
    message = lines[0].strip() if lines else ""
    if len(message) > 120:
        message = message[:117] + "..."
    return message or type(exc).__name__


# --- plain text, markdown -------------------------------------------------


def _read_text(data: bytes, path: Path, max_bytes: int) -> ParsedDocument:
    """Plain text and markdown: decode, then find speaker turns."""
    text = decode_bytes(data, path)
    fmt = "md" if path.suffix.lower() == ".md" else "txt"
    return ParsedDocument(text=text, format=fmt, turns=split_turns(text))


# --- docx -------------------------------------------------------------------


def _check_zip(data: bytes, path: Path, max_bytes: int, kind: str) -> None:
    """Refuse a legacy OLE file, a broken zip, a zip without the expected part, or a bomb.

    The bomb check sums the declared sizes of all members; zipfile never
    inflates a member past its declared size, so the sum bounds the work.
    """
    if data.startswith(_OLE_MAGIC):
        legacy = {".docx": ".doc", ".xlsx": ".xls"}[kind]
        raise InputError(
            path, f"this is an old-style {legacy} file; save it as {kind} and try again"
        )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        raise InputError(path, f"not a valid {kind} (truncated or corrupt zip)") from None
    names = {info.filename for info in infos}
    folder, what = {".docx": ("word/", "Word document"), ".xlsx": ("xl/", "Excel workbook")}[kind]
    if "[Content_Types].xml" not in names or not any(n.startswith(folder) for n in names):
        raise InputError(path, f"not a valid {kind} (no {what} inside)")
    total = sum(info.file_size for info in infos)
    if total > max_bytes:
        raise InputError(
            path,
            f"refusing {kind}: contents unpack to {format_size(total)}, "
            f"over the {format_size(max_bytes)} limit (possible zip bomb; {RAISE_HINT})",
        )


def _read_docx(data: bytes, path: Path, max_bytes: int) -> ParsedDocument:
    """Word: body paragraphs and table cells in document order, one per line.

    Empty paragraphs are dropped. Paragraphs styled Title/Heading are kept in
    the text but treated as headings (not turns, and they end a turn).
    """
    _check_zip(data, path, max_bytes, ".docx")
    try:
        import docx
        from docx.opc.exceptions import PackageNotFoundError

        try:
            document = docx.Document(io.BytesIO(data))
        except PackageNotFoundError:
            raise InputError(path, "not a valid .docx (no Word document inside)") from None
        blocks = list(_docx_blocks(document.iter_inner_content()))
    except InputError:
        raise
    except Exception as exc:
        raise InputError(path, f"not a valid .docx ({_brief(exc)})") from None

    parts: list[str] = []
    headings: list[int] = []
    offset = 0
    for text, is_heading in blocks:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        if not text.strip():
            continue
        if is_heading:
            # every line of a heading paragraph (soft breaks) is heading text
            line_start = offset
            for line in text.split("\n"):
                headings.append(line_start)
                line_start += len(line) + 1
        parts.append(text)
        offset += len(text) + 1
    text = "\n".join(parts)
    if not text.strip():
        raise InputError(path, "document has no text")
    return ParsedDocument(text=text, format="docx", turns=split_turns(text, headings))


def _docx_blocks(items: Iterable[Any]) -> Iterator[tuple[str, bool]]:
    """Yield (text, is_heading) for paragraphs and, recursively, table cells."""
    from docx.table import Table

    for item in items:
        if isinstance(item, Table):
            seen: set[int] = set()
            alive = []  # keep cell proxies alive so their ids stay unique
            for row in item.rows:
                for cell in row.cells:
                    alive.append(cell)
                    if id(cell._tc) in seen:  # a merged cell repeats across the grid
                        continue
                    seen.add(id(cell._tc))
                    yield from _docx_blocks(cell.iter_inner_content())
        else:
            style = item.style.name if item.style is not None else ""
            is_heading = bool(style) and (style == "Title" or style.startswith("Heading"))
            yield item.text, is_heading


# --- pdf ------------------------------------------------------------------


class _TextOverLimit(BaseException):
    """Raised from inside text extraction once the text passes the size limit; a
    BaseException, so the PDF library's own `except Exception` cannot swallow it."""


def _pdf_page_texts(pages: Iterable[Any], max_bytes: int) -> list[str]:
    """Each page's text, extraction stopped as soon as the text so far passes
    `max_bytes` (UTF-8): pages can share one content stream, so a small file can hold
    many times its size in text, and it is never extracted whole before the check."""
    total = 0

    def count(text: str, *_: object) -> None:
        nonlocal total
        total += len(text.encode("utf-8", "surrogatepass"))
        if total > max_bytes:
            raise _TextOverLimit

    texts: list[str] = []
    for page in pages:
        texts.append(page.extract_text(visitor_text=count) or "")
    return texts


def _pdf_over_limit(path: Path, max_bytes: int) -> InputError:
    return InputError(
        path, f"PDF text grows past the {format_size(max_bytes)} limit ({RAISE_HINT})"
    )


def _read_pdf(data: bytes, path: Path, max_bytes: int) -> ParsedDocument:
    """PDF text layer, pages separated by a blank line; scanned PDFs are refused, and
    so is a PDF whose text passes the size limit (counted while it is extracted)."""
    try:
        from pypdf import PdfReader

        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            try:
                unlocked = reader.decrypt("")
            except Exception:
                unlocked = 0
            if not unlocked:
                raise InputError(
                    path, "PDF is encrypted (password protected); remove the password first"
                )
        pages = _pdf_page_texts(reader.pages, max_bytes)
    except InputError:
        raise
    except _TextOverLimit:
        raise _pdf_over_limit(path, max_bytes) from None
    except Exception as exc:
        raise InputError(path, f"not a valid PDF ({_brief(exc)})") from None
    texts = [p.replace("\r\n", "\n").replace("\r", "\n").strip("\n") for p in pages]
    text = "\n\n".join(t for t in texts if t.strip())
    if len(text.encode("utf-8", "surrogatepass")) > max_bytes:  # what the count missed
        raise _pdf_over_limit(path, max_bytes)
    if not text.strip():
        raise InputError(path, "PDF has no text layer (scanned?); run OCR first")
    return ParsedDocument(text=text, format="pdf", turns=split_turns(text))


# --- captions -------------------------------------------------------------


def _read_vtt(data: bytes, path: Path, max_bytes: int) -> ParsedDocument:
    """WebVTT captions: one line per cue (or voice), speakers from <v> tags or Name:."""
    text = decode_bytes(data, path)
    try:
        import webvtt

        captions = webvtt.from_string(text).captions
    except Exception as exc:
        raise InputError(path, f"not a valid WebVTT file ({_brief(exc)})") from None
    return _captions_document(captions, path, "vtt")


def _read_srt(data: bytes, path: Path, max_bytes: int) -> ParsedDocument:
    """SubRip captions, same shape as WebVTT."""
    text = decode_bytes(data, path)
    try:
        import webvtt

        captions = webvtt.from_buffer(io.StringIO(text.lstrip()), format="srt").captions
    except Exception as exc:
        raise InputError(path, f"not a valid SRT file ({_brief(exc)})") from None
    return _captions_document(captions, path, "srt")


def _captions_document(captions: Sequence[Any], path: Path, fmt: str) -> ParsedDocument:
    """Build stored text and turns from parsed captions."""
    builder = _LineBuilder()
    for caption in captions:
        start = caption.start_time.in_milliseconds() / 1000
        end = caption.end_time.in_milliseconds() / 1000
        for speaker, utterance in _cue_segments(caption.lines):
            builder.add(utterance, speaker, cue_start=start, cue_end=end)
    if not builder.turns:
        raise InputError(path, "no captions with text found")
    return builder.document(fmt)


def _cue_segments(lines: Sequence[str]) -> list[tuple[str | None, str]]:
    """Split a cue's raw lines into (speaker, one-line utterance) by voice tag.

    A line opening with ``<v Name>`` starts a new segment; other lines join
    the current one. Tags are removed and entities (&amp;) unescaped. Without
    a voice tag, a ``Name:`` prefix gives the speaker.
    """
    segments: list[tuple[str | None, list[str]]] = []
    for raw in lines:
        voice = _VOICE.match(raw)
        words = html.unescape(_TAG.sub("", raw)).strip()
        if voice is not None or not segments:
            speaker = normalise_speaker(voice.group(1)) if voice is not None else None
            segments.append((speaker or None, []))
        if words:
            segments[-1][1].append(words)
    out: list[tuple[str | None, str]] = []
    for speaker, parts in segments:
        utterance = " ".join(" ".join(parts).split())
        if not utterance:
            continue
        if speaker is None:
            prefix = speaker_prefix(utterance)
            if prefix is not None:
                speaker, content = prefix
                utterance = utterance[content:]
        out.append((speaker, utterance))
    return out


class _LineBuilder:
    """Accumulates one stored line per item, ``Speaker: text``, with exact offsets."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.turns: list[Turn] = []
        self.offset = 0

    def add(self, utterance: str, speaker: str | None, **fields: Any) -> None:
        """Append a line for `utterance`; the turn spans the utterance only."""
        prefix = f"{speaker}: " if speaker else ""
        start = self.offset + len(prefix)
        self.turns.append(Turn(start=start, end=start + len(utterance), speaker=speaker, **fields))
        line = prefix + utterance
        self.lines.append(line)
        self.offset += len(line) + 1

    def document(self, fmt: str) -> ParsedDocument:
        """The ParsedDocument for the lines added so far."""
        return ParsedDocument(text="\n".join(self.lines), format=fmt, turns=self.turns)


# --- csv, xlsx ------------------------------------------------------------


def _read_csv(data: bytes, path: Path, max_bytes: int) -> ParsedDocument:
    """CSV workshop output: header row, then one item per row."""
    text = decode_bytes(data, path)
    header_line = next(line for line in text.split("\n") if line.strip())
    try:
        delimiter = csv.Sniffer().sniff(text[:65536], delimiters=",;\t|").delimiter
    except csv.Error:
        delimiter = ","
    if delimiter not in header_line:
        delimiter = ","  # the sniffer guessed from a character inside the data
    try:
        # only the delimiter is taken from the sniffer: its quoting guesses are
        # unreliable (it misses Excel's doubled quotes, "")
        reader = csv.reader(io.StringIO(text), csv.excel, delimiter=delimiter)
        rows = [row for row in reader if any(c.strip() for c in row)]
    except csv.Error as exc:
        raise InputError(path, f"malformed CSV ({_brief(exc)})") from None
    return _table_document(rows, path, "csv")


def _read_xlsx(data: bytes, path: Path, max_bytes: int) -> ParsedDocument:
    """Excel workshop output: first sheet, header row first, one item per row."""
    _check_zip(data, path, max_bytes, ".xlsx")
    try:
        from openpyxl import load_workbook

        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            if not workbook.worksheets:
                raise InputError(path, "workbook has no sheets")
            sheet = workbook.worksheets[0]
            if hasattr(sheet, "reset_dimensions"):
                sheet.reset_dimensions()  # stored dimensions are often wrong
            rows = [
                [_cell_text(v) for v in row]
                for row in sheet.iter_rows(values_only=True)
                if any(_cell_text(v).strip() for v in row)
            ]
        finally:
            workbook.close()
    except InputError:
        raise
    except Exception as exc:
        raise InputError(path, f"not a valid .xlsx ({_brief(exc)})") from None
    return _table_document(rows, path, "xlsx")


def _cell_text(value: object) -> str:
    """A spreadsheet value as text: whole floats without .0, dates in ISO form."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime) and value.time() == time(0):
        return value.date().isoformat()
    if isinstance(value, (date, time)):
        return value.isoformat()
    return str(value)


def _table_document(rows: list[list[str]], path: Path, fmt: str) -> ParsedDocument:
    """Turn a header row plus item rows into stored lines and turns with attributes."""
    if not rows:
        raise InputError(path, EMPTY)
    header = _column_names(rows[0], path)
    lowered = [h.lower() for h in header]
    text_col = _pick(lowered, TEXT_COLUMNS)
    if text_col is None:
        found = ", ".join(h for h in header if h) or "none"
        raise InputError(
            path, f"missing column 'text' (or {', '.join(TEXT_COLUMNS[1:])}; found: {found})"
        )
    speaker_col = _pick(lowered, SPEAKER_COLUMNS)
    activity_col = _pick(lowered, ACTIVITY_COLUMNS)
    used = {text_col, speaker_col, activity_col}

    builder = _LineBuilder()
    for row in rows[1:]:
        cells = [c.strip() for c in row]
        value = _LINE_BREAKS.sub(" ", _get(cells, text_col))
        if not value:
            continue
        speaker = normalise_speaker(_get(cells, speaker_col)) or None
        attributes = {}
        for i, cell in enumerate(cells):
            if i in used or not cell:
                continue
            name = header[i] if i < len(header) else f"column {i + 1}"
            attributes[name] = cell
        builder.add(
            value,
            speaker,
            activity=_get(cells, activity_col) or None,
            attributes=attributes,
        )
    if not builder.turns:
        raise InputError(path, f"no rows with text in column '{header[text_col]}'")
    return builder.document(fmt)


MAX_COLUMNS = 1_000
"""Columns a table of workshop outputs may have (real ones have a few dozen); more is
refused with one line rather than read."""


def _column_names(row: Sequence[str], path: Path) -> list[str]:
    """Header cells stripped, blanks named "column N", duplicates suffixed " (2)".

    Linear in the number of columns: names taken are a set, and each name's next
    suffix is remembered, so 6,000 copies of one name do not rescan the header."""
    if len(row) > MAX_COLUMNS:
        raise InputError(path, f"{len(row):,} columns: a table may have at most {MAX_COLUMNS:,}")
    names: list[str] = []
    taken: set[str] = set()
    next_suffix: dict[str, int] = {}
    for i, cell in enumerate(row):
        name = " ".join(cell.split()) or f"column {i + 1}"
        base, n = name, next_suffix.get(name, 2)
        while name in taken:
            name = f"{base} ({n})"
            n += 1
        next_suffix[base] = n
        taken.add(name)
        names.append(name)
    return names


def _pick(lowered: Sequence[str], aliases: Sequence[str]) -> int | None:
    """Index of the first column named by the earliest alias in `aliases`."""
    for alias in aliases:
        if alias in lowered:
            return lowered.index(alias)
    return None


def _get(cells: Sequence[str], index: int | None) -> str:
    """Cell `index` of a row, "" when the column is absent or the row is short."""
    if index is None or index >= len(cells):
        return ""
    return cells[index]


_Reader = Callable[[bytes, Path, int], ParsedDocument]
_READERS: dict[str, _Reader] = {
    ".txt": _read_text,
    ".md": _read_text,
    ".docx": _read_docx,
    ".vtt": _read_vtt,
    ".srt": _read_srt,
    ".csv": _read_csv,
    ".xlsx": _read_xlsx,
    ".pdf": _read_pdf,
}
SUPPORTED_SUFFIXES: tuple[str, ...] = tuple(_READERS)
