"""XML plumbing shared by the codebook and project readers and writers.

Reading is namespace-blind (elements are matched by local name), because real
files use `urn:QDA-XML:project:1.0`, `urn:QDA-XML:codebook:1.0`, the older
`urn:QDA-XML:codebook:0:4`, or none. Parsing never resolves entities or
touches the network, and syntax errors become one-line InputErrors.
"""

from __future__ import annotations

import base64
import json
import re
import zlib
from collections.abc import Iterator
from pathlib import Path

from lxml import etree

from qualcode.errors import InputError

PROJECT_NS = "urn:QDA-XML:project:1.0"
CODEBOOK_NS = "urn:QDA-XML:codebook:1.0"

_NAME_COMMENT = re.compile(r"^\s*qualcode codebook name: (?P<json>\".*\")\s*$", re.DOTALL)
_LOCATION_SUFFIX = re.compile(r", line \d+, column \d+$")
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_TAG_MISMATCH = 76  # libxml2 XML_ERR_TAG_NAME_MISMATCH: a complete but wrongly nested file


def parse_xml(data: bytes, path: str | Path, kind: str) -> etree._Element:
    """The root element of an XML document; InputError naming what is wrong and where.

    `kind` names what the file should be ("codebook", "project") for the message.
    """
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise InputError(path, f"not a REFI-QDA {kind}: {_syntax_problem(data, exc)}") from None
    if root is None:
        raise InputError(path, f"not a REFI-QDA {kind}: the file is empty")
    return root


def _syntax_problem(data: bytes, exc: etree.XMLSyntaxError) -> str:
    """'XML ends early at line N' for a truncated file, else the parser's message and line."""
    content = data.rstrip()
    if not content:
        return "the file is empty"
    last_line = content.count(b"\n") + 1
    line = exc.lineno or 0
    column = exc.position[1] if exc.position else 0
    last = content.rsplit(b"\n", 1)[-1]
    at_end = line > last_line or (line == last_line and column > len(last))
    if (at_end and exc.code != _TAG_MISMATCH) or "Premature end of data" in (exc.msg or ""):
        return f"XML ends early at line {last_line}"
    message = " ".join(_LOCATION_SUFFIX.sub("", exc.msg or str(exc)).split())  # one line
    return f"XML syntax error at line {line}, column {column}: {message}"


def xml_safe(text: str) -> str:
    """Text XML 1.0 can hold: characters it forbids (e.g. form feeds) become U+FFFD."""
    return _NOT_XML.sub("\ufffd", text)


def local(element: etree._Element) -> str:
    """An element's name without its namespace ('' for comments and processing instructions)."""
    if not isinstance(element.tag, str):
        return ""
    return etree.QName(element).localname


def children(element: etree._Element, name: str) -> Iterator[etree._Element]:
    """Direct children with the given local name, in document order."""
    for item in element:
        if local(item) == name:
            yield item


def child(element: etree._Element, name: str) -> etree._Element | None:
    """The first direct child with the given local name, or None."""
    return next(children(element, name), None)


def child_text(element: etree._Element, name: str) -> str:
    """The text of the first such child ('' when absent or empty)."""
    found = child(element, name)
    return (found.text or "") if found is not None else ""


def name_comment(name: str) -> etree._Element:
    """A comment carrying the codebook name, so a qualcode round trip keeps it exactly.

    The name is a JSON string with '-' escaped, because XML comments cannot hold '--'.
    """
    encoded = json.dumps(name, ensure_ascii=False).replace("-", "\\u002d")
    return etree.Comment(f" qualcode codebook name: {encoded} ")


def read_name_comment(root: etree._Element) -> str | None:
    """The codebook name from a `name_comment` before or inside the root, if there is one."""
    candidates = [*root.itersiblings(preceding=True), *root]
    for node in candidates:
        if isinstance(node, etree._Comment):
            match = _NAME_COMMENT.match(node.text or "")
            if match:
                try:
                    value = json.loads(match.group("json"))
                except ValueError:
                    return None
                return value if isinstance(value, str) and value.strip() else None
    return None


_SEGMENTS_PREFIX = "qualcode segments:"


def segments_comment(payload: dict) -> etree._Element:
    """A comment carrying a document's qualcode segmentation (zlib + base64 JSON).

    Other tools ignore comments; qualcode reads it back so a qualcode -> .qdpx ->
    qualcode round trip keeps segments, speakers and cue times exactly.
    """
    raw = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    encoded = base64.b64encode(zlib.compress(raw, 9)).decode("ascii")
    return etree.Comment(f" {_SEGMENTS_PREFIX} {encoded} ")


class PayloadTooLarge(ValueError):
    """A compressed comment that would unpack to more than the size limit."""


def read_segments_comment(element: etree._Element, max_bytes: int) -> dict | None:
    """The payload of a `segments_comment` among `element`'s children, if readable.

    It is inflated at most `max_bytes` far (a few KB can ask for gigabytes): beyond that
    `PayloadTooLarge` is raised, before the rest is ever unpacked."""
    for node in element:
        if isinstance(node, etree._Comment) and (node.text or "").strip().startswith(
            _SEGMENTS_PREFIX
        ):
            encoded = node.text.strip()[len(_SEGMENTS_PREFIX) :].strip()
            try:
                inflate = zlib.decompressobj()
                raw = inflate.decompress(base64.b64decode(encoded, validate=True), max_bytes)
                if inflate.unconsumed_tail:
                    raise PayloadTooLarge(max_bytes)
                value = json.loads(raw + inflate.flush())
            except PayloadTooLarge:
                raise
            except (ValueError, zlib.error):
                return None
            return value if isinstance(value, dict) else None
    return None
