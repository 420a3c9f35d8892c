"""Find speaker turns in plain-text transcripts.

A turn's `start`/`end` are code-point offsets into the text, end exclusive,
covering the utterance only: `text[turn.start:turn.end]` is exactly what the
speaker said, without the label and without surrounding whitespace.

Label forms recognised at the start of a line (leading whitespace allowed):

- ``Name: text`` (``YP1:``, ``Facilitator 2:``, ``NAME:``, ``Young person 3:``)
- ``[Name] text`` and ``[Name]: text``
- ``**Name:** text`` and ``**Name**: text``
- any of these after a timestamp: ``[00:04:12] YP3:``, ``00:04:12 YP3:``,
  ``(00:04) YP3:``, ``12:03 - YP3:``; the time (seconds) goes into
  ``cue_start``, two-part times being mm:ss. A timestamp alone on a line
  gives its time to the label on the next line; a bracketed timestamp
  followed by unlabelled text (``[00:04:12] text``) starts a turn with no
  speaker.

Structural guards (prose such as ``Peace: when you can think about
tomorrow.`` in a workshop write-up is a definition, not a speaker): a label
is at most 4 words and 40 characters, starts with a letter, contains none of
``. , ? ! ; "``, is not a common heading or annotation word (Note, Summary,
Question, inaudible, laughter, ...), and a colon must be followed by
whitespace or the end of the line. A candidate is then accepted as a
speaker label when any of these holds:

- it matches a known pattern: YP1, P2, Facilitator, Facilitator 2,
  Interviewer, Researcher, Participant 3, Young person 3, Speaker 1, ...,
  optionally followed by a parenthesis (``Facilitator (Sam)``);
- the same name is used as a label at least twice in the document;
- it carries a timestamp;
- it is written ``[Name]:`` (brackets and colon together);
- it is written in capitals (``SARAH: text``) and text follows it on the line
  (``RECOMMENDATIONS:`` alone on a line is a heading).

Otherwise (e.g. ``Peace:`` once, or ``[School] is nice``, where brackets mark
a redaction) the line is ordinary text. Apart from known patterns, a name
starting with a lower-case letter is never a label. A label with nothing
after it (``YP1:`` alone on its line) takes the following lines as its
utterance.

Layout rules: a line without a label continues the previous turn, across
blank lines, so multi-paragraph answers stay whole. Markdown headings
(``# ...``) and the ``heading_offsets`` passed in are not turns and end the
current turn. Text outside any turn (before the first label, after a
heading, or the whole document when it has no labels) becomes one turn per
paragraph (blank-line separated block) with speaker None.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, replace

from qualcode.ingest.model import Turn

MAX_LABEL_WORDS = 4
MAX_LABEL_CHARS = 40

_TIME = r"\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?"
# bracketed, parenthesised, or bare (bare needs whitespace or a dash after it)
_TIMESTAMP = re.compile(
    rf"\[(?P<sq>{_TIME})\][ \t]*(?:[-–—][ \t]*)?"
    rf"|\((?P<par>{_TIME})\)[ \t]*(?:[-–—][ \t]*)?"
    rf"|(?P<bare>{_TIME})(?:[ \t]*[-–—][ \t]*|[ \t]+|(?=[ \t]*$))"
)
# A name runs to the first colon/bracket/asterisk and is validated afterwards;
# its length is bounded so a long line without a colon costs linear time.
_NAME = r"(?P<name>[^\W\d_][^:\[\]*\n]{0,60}?)"
_END = r"(?=\s|$)"
_LABEL_FORMS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("bold", re.compile(rf"\*\*{_NAME}[ \t]*:[ \t]*\*\*{_END}")),
    ("bold", re.compile(rf"\*\*{_NAME}[ \t]*\*\*[ \t]*:{_END}")),
    ("bracket", re.compile(rf"\[{_NAME}[ \t]*\](?:[ \t]*(?P<colon>:))?{_END}")),
    ("plain", re.compile(rf"{_NAME}[ \t]*:{_END}")),
)
_BAD_NAME_CHARS = re.compile(r"""[.,?!;"“”<>=+#@%$^~`|\\{}]""")
_HEADING = re.compile(r"[ \t]{0,3}#{1,6}(?:[ \t]|$)")

# optionally followed by a parenthesised name or note: "Facilitator (Sam)"
_KNOWN_PATTERN = re.compile(
    r"(?:(?:YP|P)[ ]?\d+"
    r"|(?:Facilitator|Co-facilitator|Interviewer|Researcher|Moderator|Participant"
    r"|Interviewee|Respondent)(?: \d+)?"
    r"|Young person \d+|Speaker \d+)"
    r"(?: ?\([^()]*\))?",
    re.IGNORECASE,
)

# Words that start prose or annotate a recording rather than name a speaker;
# checked against the whole label and its first word, case-insensitively.
_NOT_SPEAKERS = frozenset(
    """
    note notes nb ps pps fyi summary example examples eg ie aside comment comments
    context definition edit update tip warning caution important reminder action
    actions agenda topic theme themes date time location venue place re subject
    title source sources link links key total step steps todo tbc tbd ok okay
    question questions answer answers prompt task session workshop activity part
    section chapter page slide figure table day week
    laughter laughs laughing inaudible unclear crosstalk cross-talk overlapping
    overtalk pause pauses silence noise applause music sighs sigh coughs cough
    background indistinct interruption redacted removed name school town city
    organisation organization break end start recording audio video transcript
    transcription
    """.split()
)


@dataclass(frozen=True)
class _Label:
    """A label candidate found at the start of one line."""

    speaker: str | None  # normalised name; None for a bare timestamp
    form: str  # plain, bold, bracket, time
    colon: bool
    cue: float | None
    content: int  # offset in the line where the utterance starts
    has_text: bool  # something follows the label on its line
    raw_upper: bool  # written in capitals


def split_turns(text: str, heading_offsets: Collection[int] = ()) -> list[Turn]:
    """Split transcript text into turns; see the module docstring for the rules.

    `heading_offsets` are offsets of line starts to treat as headings (e.g.
    Word paragraphs styled as headings), like markdown ``#`` lines.
    """
    lines = _lines(text)
    candidates = _inherit_cues([_match_label(line) for _, line in lines], lines)
    uses = Counter(c.speaker for c in candidates if c is not None and c.speaker)
    headings = set(heading_offsets)

    turns: list[Turn] = []
    current: Turn | None = None  # open labelled turn; start < 0 while still empty
    paragraph: Turn | None = None  # open speaker-less paragraph turn

    def close() -> None:
        nonlocal current, paragraph
        for turn in (current, paragraph):
            if turn is not None and turn.start >= 0:
                turns.append(turn)
        current = paragraph = None

    for (offset, line), label in zip(lines, candidates, strict=True):
        if not line.strip():
            if paragraph is not None:
                turns.append(paragraph)
                paragraph = None
            continue
        if offset in headings or _HEADING.match(line):
            close()
            continue
        if label is not None and _trusted(label, uses):
            close()
            current = Turn(start=-1, end=-1, speaker=label.speaker, cue_start=label.cue)
            if label.has_text:
                current.start = offset + label.content
                current.end = offset + len(line.rstrip())
            continue
        first = offset + _lead(line)
        last = offset + len(line.rstrip())
        if current is not None:
            if current.start < 0:
                current.start = first
            current.end = last
        elif paragraph is not None:
            paragraph.end = last
        else:
            paragraph = Turn(start=first, end=last)
    close()
    return turns


def normalise_speaker(name: str) -> str:
    """Tidy a speaker name: collapse spaces; words in capitals become Title case.

    ``FACILITATOR`` becomes ``Facilitator`` and ``MARY-JANE`` ``Mary-Jane``;
    codes with digits (``YP1``) and two-letter initials (``MC``) stay as
    written; mixed-case names are kept as they are.
    """
    out = []
    for word in name.split():
        letters = [c for c in word if c.isalpha()]
        if (
            len(letters) >= 3
            and all(c.isupper() for c in letters)
            and not any(c.isdigit() for c in word)
        ):
            word = "-".join(part.capitalize() for part in word.split("-"))
        out.append(word)
    return " ".join(out)


def speaker_prefix(line: str) -> tuple[str, int] | None:
    """Return (speaker, utterance offset) for a ``Name: text``/``[Name] text`` cue line.

    Used for cue-based formats (VTT, SRT) where a cue is one short utterance
    and a leading label is a speaker, so no "used twice" evidence is needed;
    the structural and stop-word guards and the capital-initial rule still
    apply, and the label must be followed by text.
    """
    label = _match_label(line)
    if label is None or label.speaker is None or not label.has_text:
        return None
    if label.speaker[0].islower() and not _KNOWN_PATTERN.fullmatch(label.speaker):
        return None
    return label.speaker, label.content


def _lines(text: str) -> list[tuple[int, str]]:
    """Split on "\\n" only (not str.splitlines' other breaks), keeping start offsets."""
    out = []
    offset = 0
    for line in text.split("\n"):
        out.append((offset, line))
        offset += len(line) + 1
    return out


def _lead(s: str) -> int:
    """Number of leading whitespace characters (str.isspace, as str.strip uses)."""
    return len(s) - len(s.lstrip())


def _match_label(line: str) -> _Label | None:
    """Return the label candidate at the start of `line` if it passes the structural guards."""
    pos = _lead(line)
    cue: float | None = None
    ts = _TIMESTAMP.match(line, pos)
    if ts is not None:
        cue = _seconds(ts.group("sq") or ts.group("par") or ts.group("bare"))
        pos = ts.end()
    for form, pattern in _LABEL_FORMS:
        m = pattern.match(line, pos)
        if m is None:
            continue
        raw = m.group("name").strip()
        if not _valid_name(raw):
            break  # the forms are exclusive by first character: no other can match
        content = m.end() + _lead(line[m.end() :])
        return _Label(
            speaker=normalise_speaker(raw),
            form=form,
            colon=form != "bracket" or m.group("colon") is not None,
            cue=cue,
            content=content,
            has_text=bool(line[content:].strip()),
            raw_upper=_is_capitals(raw),
        )
    if ts is None:
        return None
    has_text = bool(line[pos:].strip())
    if has_text and ts.group("bare") is not None:
        return None  # "10:30 we started" is prose; only [..]/(..) times start a turn
    content = pos + _lead(line[pos:])
    return _Label(None, "time", False, cue, content, has_text, False)


def _inherit_cues(
    candidates: list[_Label | None], lines: list[tuple[int, str]]
) -> list[_Label | None]:
    """Give a label the time of a timestamp standing alone on the line(s) above it."""
    out: list[_Label | None] = []
    pending: float | None = None
    for label, (_, line) in zip(candidates, lines, strict=True):
        if not line.strip():
            out.append(label)
            continue
        if label is not None and label.speaker is not None and label.cue is None:
            if pending is not None:
                label = replace(label, cue=pending)
        pending = None
        if label is not None and label.form == "time" and not label.has_text:
            pending = label.cue
        out.append(label)
    return out


def _valid_name(raw: str) -> bool:
    """Structural guard: length, word count, no sentence punctuation, not a stop word."""
    if not raw or len(raw) > MAX_LABEL_CHARS or not raw[0].isalpha():
        return False
    words = raw.split()
    if len(words) > MAX_LABEL_WORDS or _BAD_NAME_CHARS.search(raw):
        return False
    return " ".join(words).lower() not in _NOT_SPEAKERS and words[0].lower() not in _NOT_SPEAKERS


def _trusted(label: _Label, uses: Counter[str | None]) -> bool:
    """Whether a structurally valid candidate is accepted as a speaker label."""
    if label.form == "time" or label.speaker is None:
        return True
    if _KNOWN_PATTERN.fullmatch(label.speaker):
        return True
    if label.speaker[0].islower():
        return False
    if uses[label.speaker] >= 2 or label.cue is not None:
        return True
    if label.form == "bracket" and label.colon:
        return True
    return label.raw_upper and label.has_text  # "RECOMMENDATIONS:" alone is a heading


def _is_capitals(raw: str) -> bool:
    """True for names written in capitals with at least two letters (``SARAH``, ``YP1``)."""
    letters = [c for c in raw if c.isalpha()]
    return len(letters) >= 2 and all(c.isupper() for c in letters)


def _seconds(stamp: str) -> float:
    """Convert ``hh:mm:ss[.fff]`` or ``mm:ss[.fff]`` to seconds."""
    parts = stamp.replace(",", ".").split(":")
    seconds = float(parts[-1])
    minutes = int(parts[-2])
    hours = int(parts[-3]) if len(parts) == 3 else 0
    return hours * 3600 + minutes * 60 + seconds
