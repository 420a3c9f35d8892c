"""decode_bytes: encodings found right, newlines normalised, bad input refused clearly."""

from __future__ import annotations

import codecs
import zipfile
from io import BytesIO

import pytest

from qualcode.errors import InputError
from qualcode.textio import decode_bytes

TEXT = "YP1: It’s a café — naïve?\nFacilitator: Yes."


def problem(data: bytes) -> str:
    with pytest.raises(InputError) as info:
        decode_bytes(data, "in.txt")
    assert info.value.path == "in.txt"
    assert str(info.value) == f"in.txt: {info.value.problem}"
    return info.value.problem


def test_utf8() -> None:
    assert decode_bytes(TEXT.encode("utf-8"), "a.txt") == TEXT


def test_utf8_bom_is_stripped() -> None:
    assert decode_bytes(codecs.BOM_UTF8 + TEXT.encode("utf-8"), "a.txt") == TEXT


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"])
def test_utf16_and_utf32_with_bom(encoding: str) -> None:
    data = ("\ufeff" + TEXT).encode(encoding)
    assert decode_bytes(data, "a.txt") == TEXT


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_without_bom(encoding: str) -> None:
    assert decode_bytes(TEXT.encode(encoding), "a.txt") == TEXT


def test_utf16_without_bom_mostly_non_latin() -> None:
    text = "Участник 1: Мир — это когда можно думать о завтрашнем дне.\n"
    assert decode_bytes(text.encode("utf-16-le"), "a.txt") == text


def test_cp1252_curly_apostrophe_and_accents() -> None:
    data = "It’s a café, “très” bien – résumé.".encode("cp1252")
    assert data == b"It\x92s a caf\xe9, \x93tr\xe8s\x94 bien \x96 r\xe9sum\xe9."
    assert decode_bytes(data, "a.txt") == "It’s a café, “très” bien – résumé."


@pytest.mark.parametrize(
    ("text", "encoding"),
    [
        ("Участник: Мир это когда можно спокойно думать о завтрашнем дне.", "cp1251"),
        ("Привет, как дела?", "cp1251"),
        ("Ο συμμετέχων είπε ότι η ειρήνη είναι ασφάλεια.", "cp1253"),
    ],
)
def test_other_code_page_read_as_cp1252_would_be_mojibake_so_it_is_detected(
    text: str, encoding: str
) -> None:
    assert decode_bytes(text.encode(encoding), "a.txt") == text


@pytest.mark.parametrize("text", ["Été à Noël, très bien", "Größe Übergänge", "naïve"])
def test_accented_western_text_stays_cp1252(text: str) -> None:
    assert decode_bytes(text.encode("cp1252"), "a.txt") == text


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"a\r\nb\r\nc", "a\nb\nc"),
        (b"a\rb\rc\r", "a\nb\nc\n"),
        (b"a\r\n\r\nb\n\rc", "a\n\nb\n\nc"),
        ("x\r\ny".encode("utf-16"), "x\ny"),
    ],
)
def test_newlines_normalised(data: bytes, expected: str) -> None:
    assert decode_bytes(data, "a.txt") == expected


def test_tabs_form_feed_and_vertical_tab_are_text() -> None:
    assert decode_bytes(b"a\tb\x0cc\x0bd", "a.txt") == "a\tb\x0cc\x0bd"


@pytest.mark.parametrize(
    "data",
    [b"", b"   \n\t\r\n  ", codecs.BOM_UTF8, codecs.BOM_UTF8 + b"\n\n", "  \n".encode("utf-16")],
)
def test_empty_or_whitespace_only(data: bytes) -> None:
    assert problem(data) == "empty file"


def png_bytes() -> bytes:
    return b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes([0, 0, 0, 16, 0, 0, 0, 16, 8, 2, 0, 0, 0])


def zip_bytes() -> bytes:
    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("word/document.xml", "<w:document>" + "hello " * 50 + "</w:document>")
    return buffer.getvalue()


@pytest.mark.parametrize(
    "data",
    [
        png_bytes(),
        zip_bytes(),
        b"plain text with one \x00 NUL byte in the middle of it, which text never has",
        b"no NUL but control characters \x01\x02\x03 in it",
        b"\x1b[31mterminal escape\x1b[0m",
        b"caf\xe9 with a \x02 control byte in cp1252",
    ],
)
def test_binary_content_refused(data: bytes) -> None:
    assert problem(data) == "not a text file (binary content)"


def test_cp1252_undefined_byte_is_undecodable() -> None:
    # 0x81 is undefined in cp1252 and the data is not valid UTF-8 either
    assert problem(b"caf\xe9 \x81 bar") == "cannot decode text (tried UTF-8, UTF-16, cp1252)"


@pytest.mark.parametrize("byte", [0x81, 0x8D, 0x8F, 0x90, 0x9D])
def test_each_undefined_cp1252_byte(byte: int) -> None:
    assert problem(b"r\xe9sum\xe9 " + bytes([byte])).startswith("cannot decode text")


def test_high_bytes_with_no_plausible_encoding() -> None:
    assert problem(bytes(range(0xA0, 0x100)) * 3) == (
        "cannot decode text (tried UTF-8, UTF-16, cp1252); save it as UTF-8"
    )


def test_invalid_utf16_after_bom() -> None:
    # BOM then a lone high surrogate
    assert problem(codecs.BOM_UTF16_LE + b"a\x00\x00\xd8b\x00").startswith("cannot decode text")
