"""Untrusted text in: the raw bytes of a text file as a str (or a clear reason why not),
and YAML as plain data. Low in the package, so ingest (manifests) and codebooks (YAML
codebooks) share it without importing each other.

Bytes to text.

Transcripts arrive from Word "Save as text", Excel CSV exports, Notepad and
transcription services, so the encoding is never declared. The order of
checks is fixed and deterministic, so the same file always decodes the same:

1. byte-order marks (UTF-8, UTF-32, UTF-16);
2. NUL bytes: UTF-16 without BOM if the NULs fall on one byte parity,
   otherwise binary content;
3. strict UTF-8;
4. strict cp1252 (Windows "ANSI"), whose undefined bytes 0x81, 0x8D,
   0x8F, 0x90 and 0x9D make it fail; a cp1252 result that reads as
   mojibake of another single-byte code page (mostly accented letters)
   is re-decoded only when charset-normalizer names a known legacy code page.

Decoded text has its BOM removed and CRLF/CR newlines turned into "\\n".
"""

from __future__ import annotations

import codecs
import re
from pathlib import Path
from typing import Any

import yaml

from qualcode.errors import InputError

EMPTY = "empty file"
BINARY = "not a text file (binary content)"
UNDECODABLE = "cannot decode text (tried UTF-8, UTF-16, cp1252)"

# C0 controls that never occur in text; tab, LF, VT, FF and CR do (Word exports
# use VT for manual line breaks and FF for page breaks).
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
_NEWLINES = re.compile(r"\r\n?")

# Legacy single-byte code pages accepted from charset-normalizer when cp1252
# decoding is implausible; its guesses outside this list (e.g. shift_jis for
# KOI8-R text) are not trusted.
_LEGACY_CODEPAGES = frozenset(
    {
        "cp1250", "cp1251", "cp1253", "cp1254", "cp1255", "cp1256", "cp1257",
        "iso8859_2", "iso8859_5", "iso8859_7", "iso8859_8", "iso8859_9",
        "koi8_r", "koi8_u", "cp866",
    }
)  # fmt: skip


def decode_bytes(data: bytes, path: str | Path) -> str:
    """Decode a text file's bytes to a str with "\\n" newlines and no BOM.

    Raises InputError naming `path` for empty, binary or undecodable input.
    """
    text = _decode(data, path)
    if _CONTROL.search(text):
        raise InputError(path, BINARY)
    text = _NEWLINES.sub("\n", text)
    if not text.strip():
        raise InputError(path, EMPTY)
    return text


def _decode(data: bytes, path: str | Path) -> str:
    """Pick the encoding of `data` and decode it (BOM removed, newlines untouched)."""
    if not data:
        raise InputError(path, EMPTY)
    for bom, encoding in (
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE: same first two bytes
        (codecs.BOM_UTF32_BE, "utf-32-be"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
    ):
        if data.startswith(bom):
            return _strict(data[len(bom) :], encoding, path)
    if b"\x00" in data:
        encoding = _utf16_without_bom(data)
        if encoding is None:
            raise InputError(path, BINARY)
        text = _strict(data, encoding, path, problem=BINARY)
        return text[1:] if text.startswith("\ufeff") else text
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if _CONTROL.search(data.decode("latin-1")):  # binary: report that, not an encoding problem
        raise InputError(path, BINARY)
    text = _strict(data, "cp1252", path)
    if _looks_like_mojibake(text):
        return _legacy_codepage(data, path)
    return text


def _strict(data: bytes, encoding: str, path: str | Path, problem: str = UNDECODABLE) -> str:
    """Decode strictly, turning a decode failure into InputError(path, problem)."""
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        raise InputError(path, problem) from None


def _utf16_without_bom(data: bytes) -> str | None:
    """Return "utf-16-le"/"utf-16-be" when NUL bytes sit on one parity, else None.

    Text in UTF-16 has a NUL high byte for every ASCII character (spaces,
    newlines, digits, punctuation), so its NULs fall almost all on odd
    offsets (LE) or even offsets (BE). Binary files have NULs on both.
    """
    if len(data) % 2:
        return None
    even = data[0::2].count(0)
    odd = data[1::2].count(0)
    # at least a tenth of the characters must be ASCII-range for the test to mean anything
    if max(even, odd) * 10 < len(data) // 2:
        return None
    if odd >= 10 * even:
        return "utf-16-le"
    if even >= 10 * odd:
        return "utf-16-be"
    return None


def _looks_like_mojibake(text: str) -> bool:
    """True when most letters are non-ASCII: another code page read as cp1252.

    Western European prose has well under a third of its letters accented;
    Cyrillic or Greek read as cp1252 turns nearly every letter into À-ÿ.
    """
    letters = [c for c in text if c.isalpha()]
    if len(letters) < 8:
        return False
    accented = sum(1 for c in letters if ord(c) > 0x7F)
    return accented > 0.5 * len(letters)


def _legacy_codepage(data: bytes, path: str | Path) -> str:
    """Decode with charset-normalizer's best-ranked guess that is a known legacy code page.

    Mac code pages are left out: charset-normalizer ranks mac_cyrillic above
    cp1251 for Windows Cyrillic text, and the two differ only in capitals.
    """
    from charset_normalizer import from_bytes

    for guess in from_bytes(data):
        if guess.encoding in _LEGACY_CODEPAGES:
            return _strict(data, guess.encoding, path)
    raise InputError(path, f"{UNDECODABLE}; save it as UTF-8")


def safe_load_yaml(text: str, source: str | Path, what: str = "YAML") -> Any:
    """Plain data from untrusted YAML text; InputError (one line) for bad syntax or nesting.

    Only plain types are built (yaml.safe_load), and PyYAML's recursion on deep
    nesting becomes an InputError. Aliases are resolved by reference, not copied,
    so callers must refuse collections where they expect a single value (an alias
    bomb is cheap to load and only explodes when turned into text).
    """
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "syntax error"
        raise InputError(source, f"invalid {what}{where}: {problem}") from None
    except RecursionError:
        raise InputError(source, f"invalid {what}: nested too deeply") from None
    except ValueError as exc:  # Python's limit on digits in an integer, and the like
        reason = "a number with too many digits" if "digits" in str(exc) else str(exc)
        raise InputError(source, f"invalid {what}: {reason.split(':')[0]}") from None
