"""read_document: every format's stored text, turns and offsets; every bad input's message."""

from __future__ import annotations

import codecs
import zipfile
from pathlib import Path

import docx
import pytest
from openpyxl import Workbook
from pypdf import PdfWriter

from qualcode.errors import InputError
from qualcode.ingest.model import ParsedDocument
from qualcode.ingest.readers import SUPPORTED_SUFFIXES, read_document
from qualcode.limits import RAISE_HINT

from .pdf_objects import pdf_from_objects


def utterances(doc: ParsedDocument) -> list[tuple[str | None, str]]:
    """(speaker, exact utterance) per turn, after checking the offsets are sane."""
    previous_end = 0
    for t in doc.turns:
        assert previous_end <= t.start < t.end <= len(doc.text)
        assert doc.text[t.start : t.end] == doc.text[t.start : t.end].strip()
        previous_end = t.end
    return [(t.speaker, doc.text[t.start : t.end]) for t in doc.turns]


def problem(path: Path, **kwargs: int) -> str:
    with pytest.raises(InputError) as info:
        read_document(path, **kwargs)
    assert info.value.path == str(path)
    assert "\n" not in info.value.problem
    return info.value.problem


def make_pdf(lines: list[str]) -> bytes:
    """A minimal valid one-page PDF showing `lines` in Helvetica, xref offsets computed."""
    ops = ["BT /F1 12 Tf 72 720 Td 14 TL"]
    for i, line in enumerate(lines):
        escaped = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        ops.append(f"({escaped}) Tj" if i == 0 else f"T* ({escaped}) Tj")
    ops.append("ET")
    stream = "\n".join(ops).encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    return pdf_from_objects(objects)


def make_docx(path: Path) -> Path:
    document = docx.Document()
    document.add_heading("Peace workshop, session 1", level=1)
    document.add_paragraph("Facilitator: What does peace mean to you?")
    document.add_paragraph("")
    document.add_paragraph("YP1: Feeling safe at home.")
    document.add_paragraph("And on the bus.")
    document.add_heading("Flipchart", level=2)
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "Safety"
    table.cell(0, 1).text = "Friends"
    merged = table.cell(1, 0).merge(table.cell(1, 1))
    merged.text = "   "
    document.add_paragraph("  ")
    document.add_paragraph("YP2: Having friends nearby.")
    document.save(path)
    return path


# --- text, markdown ---------------------------------------------------------


def test_txt_utf8_with_turns(tmp_path: Path) -> None:
    path = tmp_path / "session.txt"
    path.write_bytes(b"Facilitator: Welcome.\r\nYP1: Hi!\r\nI'm here.\r\n")
    doc = read_document(path)
    assert doc.format == "txt"
    assert doc.text == "Facilitator: Welcome.\nYP1: Hi!\nI'm here.\n"
    assert utterances(doc) == [("Facilitator", "Welcome."), ("YP1", "Hi!\nI'm here.")]


@pytest.mark.parametrize(
    "data",
    [
        codecs.BOM_UTF8 + "YP1: It’s a café.\nYP2: Très bien.".encode(),
        ("\ufeffYP1: It’s a café.\nYP2: Très bien.").encode("utf-16-le"),
        "YP1: It’s a café.\nYP2: Très bien.".encode("utf-16-le"),
        "YP1: It’s a café.\nYP2: Très bien.".encode("cp1252"),
    ],
    ids=["utf-8-bom", "utf-16-le-bom", "utf-16-le-no-bom", "cp1252"],
)
def test_txt_encodings(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "t.txt"
    path.write_bytes(data)
    doc = read_document(path)
    assert doc.text == "YP1: It’s a café.\nYP2: Très bien."
    assert utterances(doc) == [("YP1", "It’s a café."), ("YP2", "Très bien.")]


def test_md_headings_and_bold_labels(tmp_path: Path) -> None:
    path = tmp_path / "Notes.MD"
    path.write_text("# Session 2\n\n**Facilitator:** Ready?\n\n**YP3**: Yes.\n", encoding="utf-8")
    doc = read_document(path)
    assert doc.format == "md"
    assert utterances(doc) == [("Facilitator", "Ready?"), ("YP3", "Yes.")]


def test_txt_without_labels_is_paragraphs(tmp_path: Path) -> None:
    path = tmp_path / "wall.txt"
    path.write_text("Peace: when you can think about tomorrow.\n\nHome is safe.", encoding="utf-8")
    doc = read_document(path)
    assert utterances(doc) == [
        (None, "Peace: when you can think about tomorrow."),
        (None, "Home is safe."),
    ]


# --- docx -------------------------------------------------------------------


def test_docx_paragraphs_tables_and_headings(tmp_path: Path) -> None:
    doc = read_document(make_docx(tmp_path / "session.docx"))
    assert doc.format == "docx"
    assert doc.text == (
        "Peace workshop, session 1\n"
        "Facilitator: What does peace mean to you?\n"
        "YP1: Feeling safe at home.\n"
        "And on the bus.\n"
        "Flipchart\n"
        "Safety\n"
        "Friends\n"
        "YP2: Having friends nearby."
    )
    # headings are not turns and end YP1's turn; the table cells after the
    # "Flipchart" heading are a speakerless paragraph
    assert utterances(doc) == [
        ("Facilitator", "What does peace mean to you?"),
        ("YP1", "Feeling safe at home.\nAnd on the bus."),
        (None, "Safety\nFriends"),
        ("YP2", "Having friends nearby."),
    ]


def test_docx_uppercase_suffix(tmp_path: Path) -> None:
    doc = read_document(make_docx(tmp_path / "SESSION.DOCX"))
    assert doc.turns[0].speaker == "Facilitator"


def test_truncated_docx(tmp_path: Path) -> None:
    data = make_docx(tmp_path / "full.docx").read_bytes()
    path = tmp_path / "broken.docx"
    path.write_bytes(data[: len(data) // 2])
    assert problem(path) == "not a valid .docx (truncated or corrupt zip)"


def test_zip_that_is_not_a_word_document(tmp_path: Path) -> None:
    path = tmp_path / "other.docx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("hello.txt", "hello")
    assert problem(path) == "not a valid .docx (no Word document inside)"


def test_legacy_doc_renamed(tmp_path: Path) -> None:
    path = tmp_path / "old.docx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)
    assert problem(path) == "this is an old-style .doc file; save it as .docx and try again"


@pytest.mark.parametrize(
    ("suffix", "member"), [(".docx", "word/document.xml"), (".xlsx", "xl/a.xml")]
)
def test_zip_bomb_guard(tmp_path: Path, suffix: str, member: str) -> None:
    path = tmp_path / f"bomb{suffix}"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr(member, b"\x00" * (4 * 1024 * 1024))
    assert path.stat().st_size < 64 * 1024
    assert problem(path, max_bytes=1024 * 1024) == (
        f"refusing {suffix}: contents unpack to 4 MB, over the 1 MB limit "
        f"(possible zip bomb; {RAISE_HINT})"
    )


# --- pdf --------------------------------------------------------------------


def test_pdf_text_layer(tmp_path: Path) -> None:
    path = tmp_path / "transcript.pdf"
    lines = ["Facilitator: What does peace mean?", "YP1: Feeling safe (at home)."]
    path.write_bytes(make_pdf(lines))
    doc = read_document(path)
    assert doc.format == "pdf"
    assert doc.text == "Facilitator: What does peace mean?\nYP1: Feeling safe (at home)."
    assert utterances(doc) == [
        ("Facilitator", "What does peace mean?"),
        ("YP1", "Feeling safe (at home)."),
    ]


def test_pdf_pages_joined_by_blank_line(tmp_path: Path) -> None:
    first, second = tmp_path / "p1.pdf", tmp_path / "p2.pdf"
    first.write_bytes(make_pdf(["Facilitator: Page one question?", "YP1: Answer starts here"]))
    second.write_bytes(make_pdf(["and carries on over the page.", "YP2: Next."]))
    writer = PdfWriter()
    writer.append(str(first))
    writer.append(str(second))
    path = tmp_path / "two.pdf"
    with path.open("wb") as f:
        writer.write(f)
    doc = read_document(path)
    assert doc.text == (
        "Facilitator: Page one question?\nYP1: Answer starts here\n\n"
        "and carries on over the page.\nYP2: Next."
    )
    assert utterances(doc) == [
        ("Facilitator", "Page one question?"),
        ("YP1", "Answer starts here\n\nand carries on over the page."),
        ("YP2", "Next."),
    ]


def test_scanned_pdf(tmp_path: Path) -> None:
    writer = PdfWriter()
    writer.add_blank_page(width=612, height=792)
    path = tmp_path / "scan.pdf"
    with path.open("wb") as f:
        writer.write(f)
    assert problem(path) == "PDF has no text layer (scanned?); run OCR first"


def test_encrypted_pdf(tmp_path: Path) -> None:
    source = tmp_path / "plain.pdf"
    source.write_bytes(make_pdf(["YP1: secret"]))
    writer = PdfWriter(clone_from=str(source))
    writer.encrypt(user_password="pw", owner_password="owner", algorithm="RC4-128")
    path = tmp_path / "locked.pdf"
    with path.open("wb") as f:
        writer.write(f)
    assert problem(path) == "PDF is encrypted (password protected); remove the password first"


def test_garbage_pdf(tmp_path: Path) -> None:
    path = tmp_path / "fake.pdf"
    path.write_bytes(b"this is not a pdf at all")
    assert problem(path).startswith("not a valid PDF (")


# --- captions ---------------------------------------------------------------

VTT = """WEBVTT

NOTE recorded at the youth centre

1
00:00:01.000 --> 00:00:04.500
<v Facilitator>What does <i>peace</i> mean?</v>

00:00:05.000 --> 00:00:07.250
<v.loud YP1>Feeling safe &amp; calm.

00:00:07.500 --> 00:00:09.000
<v YP1>At home too.

00:01:00.000 --> 00:01:02.000
YP2: No voice tag here.

00:01:03.000 --> 00:01:04.000
Just words
over two lines

00:01:05.000 --> 00:01:06.000
<v Facilitator>Thanks.
<v YP3>Bye!

00:01:07.000 --> 00:01:08.000
<v YP1>
"""


def test_vtt(tmp_path: Path) -> None:
    path = tmp_path / "call.vtt"
    path.write_text(VTT, encoding="utf-8")
    doc = read_document(path)
    assert doc.format == "vtt"
    assert doc.text == (
        "Facilitator: What does peace mean?\n"
        "YP1: Feeling safe & calm.\n"
        "YP1: At home too.\n"
        "YP2: No voice tag here.\n"
        "Just words over two lines\n"
        "Facilitator: Thanks.\n"
        "YP3: Bye!"
    )
    assert utterances(doc) == [
        ("Facilitator", "What does peace mean?"),
        ("YP1", "Feeling safe & calm."),
        ("YP1", "At home too."),
        ("YP2", "No voice tag here."),
        (None, "Just words over two lines"),
        ("Facilitator", "Thanks."),
        ("YP3", "Bye!"),
    ]
    assert [(t.cue_start, t.cue_end) for t in doc.turns] == [
        (1.0, 4.5),
        (5.0, 7.25),
        (7.5, 9.0),
        (60.0, 62.0),
        (63.0, 64.0),
        (65.0, 66.0),
        (65.0, 66.0),
    ]


def test_vtt_without_header(tmp_path: Path) -> None:
    path = tmp_path / "bad.vtt"
    path.write_text("00:00:01.000 --> 00:00:02.000\nhello\n", encoding="utf-8")
    assert problem(path).startswith("not a valid WebVTT file (")


def test_vtt_without_captions(tmp_path: Path) -> None:
    path = tmp_path / "none.vtt"
    path.write_text("WEBVTT\n\n", encoding="utf-8")
    assert problem(path) == "no captions with text found"


SRT = """1
00:00:01,000 --> 00:00:03,200
SARAH: <i>I</i> think it's <font color="#ff0000">fine</font>.

2
00:00:04,000 --> 00:00:06,000
[Ben] Me too,
honestly.

3
00:01:10,500 --> 00:01:12,000
Note: this is caption text
"""


def test_srt(tmp_path: Path) -> None:
    path = tmp_path / "call.srt"
    path.write_bytes(SRT.replace("\n", "\r\n").encode("cp1252"))
    doc = read_document(path)
    assert doc.format == "srt"
    assert doc.text == (
        "Sarah: I think it's fine.\nBen: Me too, honestly.\nNote: this is caption text"
    )
    assert utterances(doc) == [
        ("Sarah", "I think it's fine."),
        ("Ben", "Me too, honestly."),
        (None, "Note: this is caption text"),
    ]
    assert [(t.cue_start, t.cue_end) for t in doc.turns] == [(1.0, 3.2), (4.0, 6.0), (70.5, 72.0)]


def test_invalid_srt(tmp_path: Path) -> None:
    path = tmp_path / "bad.srt"
    path.write_text("just some text\nwithout cues\n", encoding="utf-8")
    assert problem(path).startswith("not a valid SRT file (")


# --- csv, xlsx --------------------------------------------------------------

CSV = (
    "Activity,Text,Speaker,Table,Colour,Notes\n"
    "sticky note,Feeling safe,YP1,2,yellow,\n"
    'flipchart,"Friends, family\nand ""pets""",,3,,circled\n'
    "sticky note,,YP2,2,pink,empty text row is skipped\n"
    "\n"
    "sticky note,  Peace: thinking about tomorrow ,FACILITATOR,,,\n"
)


def test_csv(tmp_path: Path) -> None:
    path = tmp_path / "wall.csv"
    path.write_bytes(codecs.BOM_UTF8 + CSV.replace("\n", "\r\n").encode("utf-8"))
    doc = read_document(path)
    assert doc.format == "csv"
    assert doc.text == (
        'YP1: Feeling safe\nFriends, family and "pets"\nFacilitator: Peace: thinking about tomorrow'
    )
    assert utterances(doc) == [
        ("YP1", "Feeling safe"),
        (None, 'Friends, family and "pets"'),
        ("Facilitator", "Peace: thinking about tomorrow"),
    ]
    assert [t.activity for t in doc.turns] == ["sticky note", "flipchart", "sticky note"]
    assert [t.attributes for t in doc.turns] == [
        {"Table": "2", "Colour": "yellow"},
        {"Table": "3", "Notes": "circled"},
        {},
    ]
    assert [t.cue_start for t in doc.turns] == [None, None, None]


def test_csv_semicolon_cp1252_and_aliases(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes("Who;Content;Kind\nYP4;Café’s safe;postit\n".encode("cp1252"))
    doc = read_document(path)
    assert doc.text == "YP4: Café’s safe"
    assert utterances(doc) == [("YP4", "Café’s safe")]
    assert doc.turns[0].activity == "postit"


def test_csv_single_column(tmp_path: Path) -> None:
    path = tmp_path / "notes.csv"
    path.write_text("note\nFirst idea\nSecond idea\n", encoding="utf-8")
    doc = read_document(path)
    assert doc.text == "First idea\nSecond idea"
    assert utterances(doc) == [(None, "First idea"), (None, "Second idea")]


def test_csv_missing_text_column(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    assert problem(path) == (
        "missing column 'text' (or content, note, item, response; found: a, b)"
    )


def test_csv_with_header_only(tmp_path: Path) -> None:
    path = tmp_path / "header.csv"
    path.write_text("Text,Speaker\n,YP1\n", encoding="utf-8")
    assert problem(path) == "no rows with text in column 'Text'"


def test_xlsx(tmp_path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Wall"
    sheet.append(["Participant", "Response", "Source", "Round", "Score"])
    sheet.append(["YP1", "Feeling safe", "survey", 1, 4.0])
    sheet.append(["YP2", None, "survey", 1, 3.5])
    sheet.append([None, None, None, None, None])
    sheet.append([None, "Line one\nline two", "flipchart", 2, None])
    other = workbook.create_sheet("Ignored")
    other.append(["text"])
    other.append(["not read"])
    path = tmp_path / "wall.xlsx"
    workbook.save(path)

    doc = read_document(path)
    assert doc.format == "xlsx"
    assert doc.text == "YP1: Feeling safe\nLine one line two"
    assert utterances(doc) == [("YP1", "Feeling safe"), (None, "Line one line two")]
    assert [t.activity for t in doc.turns] == ["survey", "flipchart"]
    assert [t.attributes for t in doc.turns] == [{"Round": "1", "Score": "4"}, {"Round": "2"}]


def test_xlsx_missing_text_column(tmp_path: Path) -> None:
    workbook = Workbook()
    workbook.active.append(["Name", "Score"])
    workbook.active.append(["x", 1])
    path = tmp_path / "scores.xlsx"
    workbook.save(path)
    assert problem(path) == (
        "missing column 'text' (or content, note, item, response; found: Name, Score)"
    )


def test_xlsx_that_is_a_docx(tmp_path: Path) -> None:
    path = tmp_path / "wrong.xlsx"
    path.write_bytes(make_docx(tmp_path / "a.docx").read_bytes())
    assert problem(path) == "not a valid .xlsx (no Excel workbook inside)"


# --- general ----------------------------------------------------------------


def test_supported_suffixes() -> None:
    assert SUPPORTED_SUFFIXES == (".txt", ".md", ".docx", ".vtt", ".srt", ".csv", ".xlsx", ".pdf")


def test_unknown_suffix(tmp_path: Path) -> None:
    path = tmp_path / "notes.xyz"
    path.write_text("hello", encoding="utf-8")
    assert problem(path) == (
        "unsupported format '.xyz' (supported: .txt, .md, .docx, .vtt, .srt, .csv, .xlsx, .pdf)"
    )


def test_empty_file(tmp_path: Path) -> None:
    for name in ("empty.txt", "empty.docx", "empty.csv", "empty.pdf"):
        path = tmp_path / name
        path.write_bytes(b"")
        assert problem(path) == "empty file"


def test_whitespace_only_file(tmp_path: Path) -> None:
    path = tmp_path / "blank.md"
    path.write_bytes(b"\n  \r\n\t\n")
    assert problem(path) == "empty file"


def test_binary_file_renamed_txt(tmp_path: Path) -> None:
    path = tmp_path / "photo.txt"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    assert problem(path) == "not a text file (binary content)"


def test_docx_renamed_txt(tmp_path: Path) -> None:
    path = tmp_path / "session.txt"
    path.write_bytes(make_docx(tmp_path / "s.docx").read_bytes())
    assert problem(path) == "not a text file (binary content)"


def test_oversize_file(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_text("YP1: " + "x" * 95, encoding="utf-8")
    expected = f"file too large (100 bytes; limit 64 bytes: {RAISE_HINT})"
    assert problem(path, max_bytes=64) == expected
    assert read_document(path, max_bytes=100).turns[0].speaker == "YP1"


def test_missing_file_and_directory(tmp_path: Path) -> None:
    assert problem(tmp_path / "nope.txt") == "file not found"
    folder = tmp_path / "folder.txt"
    folder.mkdir()
    assert problem(folder) == "not a file"


def test_accepts_str_path(tmp_path: Path) -> None:
    path = tmp_path / "s.txt"
    path.write_text("YP1: hi", encoding="utf-8")
    assert utterances(read_document(str(path))) == [("YP1", "hi")]
