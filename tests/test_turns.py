"""split_turns: label forms, exact utterance offsets, continuation and false-positive guards."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qualcode.ingest.model import Turn
from qualcode.ingest.turns import normalise_speaker, speaker_prefix, split_turns


def check(text: str, turns: list[Turn]) -> None:
    """Offsets are in range, ordered, non-overlapping and trimmed of whitespace."""
    previous_end = 0
    for t in turns:
        assert previous_end <= t.start < t.end <= len(text)
        utterance = text[t.start : t.end]
        assert utterance == utterance.strip()
        previous_end = t.end


def spans(text: str, **kwargs: object) -> list[tuple[str | None, str]]:
    turns = split_turns(text, **kwargs)  # type: ignore[arg-type]
    check(text, turns)
    return [(t.speaker, text[t.start : t.end]) for t in turns]


def cues(text: str) -> list[tuple[str | None, str, float | None]]:
    turns = split_turns(text)
    check(text, turns)
    return [(t.speaker, text[t.start : t.end], t.cue_start) for t in turns]


@pytest.mark.parametrize(
    ("line", "speaker", "utterance", "cue"),
    [
        ("YP1: I think so.", "YP1", "I think so.", None),
        ("P2: Me too", "P2", "Me too", None),
        ("Facilitator: Welcome, everyone.", "Facilitator", "Welcome, everyone.", None),
        ("Facilitator 2: Next activity.", "Facilitator 2", "Next activity.", None),
        ("FACILITATOR: Quiet please.", "Facilitator", "Quiet please.", None),
        ("Interviewer: Why?", "Interviewer", "Why?", None),
        ("Researcher: Go on", "Researcher", "Go on", None),
        ("Young person 3: Safe streets.", "Young person 3", "Safe streets.", None),
        ("YOUNG PERSON 3: Safe streets.", "Young Person 3", "Safe streets.", None),
        ("SARAH: In capitals.", "Sarah", "In capitals.", None),
        ("[YP1] In brackets.", "YP1", "In brackets.", None),
        ("[YP1]: Brackets and colon.", "YP1", "Brackets and colon.", None),
        ("[Sam]: Any name, brackets and colon.", "Sam", "Any name, brackets and colon.", None),
        ("**YP1:** Bold, colon inside.", "YP1", "Bold, colon inside.", None),
        ("**YP1**: Bold, colon outside.", "YP1", "Bold, colon outside.", None),
        ("[00:04:12] YP3: Square stamp.", "YP3", "Square stamp.", 252.0),
        ("00:04:12 YP3: Bare stamp.", "YP3", "Bare stamp.", 252.0),
        ("(00:04) YP3: Paren stamp.", "YP3", "Paren stamp.", 4.0),
        ("12:03 - YP3: Dash stamp.", "YP3", "Dash stamp.", 723.0),
        ("[01:02:03.5] YP3: Fraction.", "YP3", "Fraction.", 3723.5),
        ("[00:00:07] [YP3] Stamp and brackets.", "YP3", "Stamp and brackets.", 7.0),
        ("[00:00:07] Ben: A stamp trusts a name.", "Ben", "A stamp trusts a name.", 7.0),
        ("   YP1:    padded utterance   ", "YP1", "padded utterance", None),
        ("Facilitator   2 : spaced", "Facilitator 2", "spaced", None),
        ("Facilitator (Sam): brackets in name", "Facilitator (Sam)", "brackets in name", None),
        ("YP4 (Jo): known code with a note", "YP4 (Jo)", "known code with a note", None),
    ],
)
def test_label_forms(line: str, speaker: str, utterance: str, cue: float | None) -> None:
    assert cues(line) == [(speaker, utterance, cue)]


def test_exact_offsets() -> None:
    text = "YP1: Hi\n[Facilitator]: Hello there\n**YP2:** Yo"
    turns = split_turns(text)
    assert [(t.start, t.end, t.speaker) for t in turns] == [
        (5, 7, "YP1"),
        (23, 34, "Facilitator"),
        (44, 46, "YP2"),
    ]
    assert [t.cue_end for t in turns] == [None, None, None]
    assert [t.attributes for t in turns] == [{}, {}, {}]


def test_offsets_are_code_points() -> None:
    text = "YP1: Ça va 👍 très bien\nYP2: 😀 ok"
    assert spans(text) == [("YP1", "Ça va 👍 très bien"), ("YP2", "😀 ok")]
    assert split_turns(text)[1].start == text.index("😀")


def test_continuation_lines_join_the_previous_turn() -> None:
    text = (
        "Facilitator: What does peace mean?\n"
        "YP1: Being able to sleep.\n"
        "  Not worrying about tomorrow.  \n"
        "\n"
        "And my family safe.\n"
        "YP2: Same."
    )
    assert spans(text) == [
        ("Facilitator", "What does peace mean?"),
        ("YP1", "Being able to sleep.\n  Not worrying about tomorrow.  \n\nAnd my family safe."),
        ("YP2", "Same."),
    ]


def test_label_alone_on_its_line_takes_the_next_lines() -> None:
    text = "Facilitator:\n  Welcome everyone.\nYP1:\n\nHello.\nYP2:\nYP3: Hi"
    # YP2 said nothing before YP3's label, so it has no turn
    assert spans(text) == [("Facilitator", "Welcome everyone."), ("YP1", "Hello."), ("YP3", "Hi")]


def test_document_without_labels_gives_one_turn_per_paragraph() -> None:
    text = "\n# Peace wall\n\n  First note, line one.\nline two.  \n\n\nSecond note.\n# End\nThird."
    assert spans(text) == [
        (None, "First note, line one.\nline two."),
        (None, "Second note."),
        (None, "Third."),
    ]


def test_text_before_first_label_is_speakerless() -> None:
    text = "Workshop 3, youth centre\n\nRecorded with consent.\nYP1: Hello."
    assert spans(text) == [
        (None, "Workshop 3, youth centre"),
        (None, "Recorded with consent."),
        ("YP1", "Hello."),
    ]


def test_markdown_heading_ends_a_turn() -> None:
    text = "YP1: First.\n## Part 2\nLoose text after the heading.\nYP2: Second.\n#hashtag is text"
    assert spans(text) == [
        ("YP1", "First."),
        (None, "Loose text after the heading."),
        ("YP2", "Second.\n#hashtag is text"),
    ]


def test_heading_offsets_from_a_reader() -> None:
    text = "Session 1\nYP1: Hi.\nSession 2\nYP2: Yo."
    headings = {0, text.index("Session 2")}
    assert spans(text, heading_offsets=headings) == [("YP1", "Hi."), ("YP2", "Yo.")]
    # without them the second heading is read as YP1 still talking
    assert spans(text)[1] == ("YP1", "Hi.\nSession 2")


# --- false positives --------------------------------------------------------


def test_word_colon_once_in_prose_is_not_a_speaker() -> None:
    # Rule: a plain "Word:" label needs a known pattern, capitals, a timestamp,
    # or two uses in the document. "Peace:" once is a definition, not a speaker.
    text = (
        "We asked the group what peace means.\n"
        "Peace: when you can think about tomorrow.\n"
        "Everyone agreed with that."
    )
    assert spans(text) == [(None, text)]


def test_word_colon_once_in_a_transcript_continues_the_turn() -> None:
    text = "Facilitator: Define peace.\nYP1: I wrote it.\nPeace: when you can think about tomorrow."
    assert spans(text) == [
        ("Facilitator", "Define peace."),
        ("YP1", "I wrote it.\nPeace: when you can think about tomorrow."),
    ]


def test_name_used_twice_is_an_established_speaker() -> None:
    text = "Sarah: One.\nBen: Two.\nSarah: Three.\nBen: Four"
    assert spans(text) == [("Sarah", "One."), ("Ben", "Two."), ("Sarah", "Three."), ("Ben", "Four")]


def test_twice_used_word_colon_counts_as_speaker() -> None:
    text = "Peace: feeling safe.\nPeace: thinking about tomorrow."
    assert spans(text) == [("Peace", "feeling safe."), ("Peace", "thinking about tomorrow.")]


def test_heading_and_annotation_words_are_never_speakers() -> None:
    text = (
        "YP1: Start.\n"
        "Note: said quietly.\n"
        "Note: again.\n"
        "**Summary:** all agreed.\n"
        "[inaudible] and then we left\n"
        "[Laughter]\n"
        "[Laughter]\n"
        "NB: check this"
    )
    assert spans(text) == [("YP1", text[5:])]


def test_bracketed_redaction_is_not_a_speaker() -> None:
    text = "YP1: I go to\n[School] which is fine.\n[Name] said so."
    assert spans(text) == [("YP1", "I go to\n[School] which is fine.\n[Name] said so.")]


@pytest.mark.parametrize(
    "line",
    [
        "Well, she said: yes",  # comma
        "What did you say? Like: this",  # question mark
        "Dr. Smith: hello",  # full stop
        "The young people in group: said",  # five words
        "An extraordinarily long label of many letters: x",  # over 40 characters
        "so: that is it",  # lower case
        "YP1:no space after colon",
        "https://example.org/peace",
        "10:30 we started late",  # bare time without label or brackets
        "1st: item",  # starts with a digit
    ],
)
def test_not_labels_even_when_repeated(line: str) -> None:
    text = f"{line}\n{line}"
    assert spans(text) == [(None, text)]


def test_capitals_alone_on_a_line_are_a_heading_not_a_speaker() -> None:
    text = "RECOMMENDATIONS:\n- more youth clubs\n- safer parks"
    assert spans(text) == [(None, text)]


# --- timestamps -------------------------------------------------------------


def test_bracketed_timestamp_without_label_starts_a_speakerless_turn() -> None:
    text = "[00:00:05] we begin\nstill going\n(00:00:09) and go on"
    assert cues(text) == [(None, "we begin\nstill going", 5.0), (None, "and go on", 9.0)]


def test_timestamp_alone_gives_its_time_to_the_next_label() -> None:
    text = "YP1: Before.\n[00:01:02]\n\nSarah: After the marker.\n00:02:00\nYP2: Bare marker."
    assert cues(text) == [
        ("YP1", "Before.", None),
        ("Sarah", "After the marker.", 62.0),
        ("YP2", "Bare marker.", 120.0),
    ]


def test_crlf_text_is_still_trimmed() -> None:
    assert spans("YP1: hi\r\nYP2: yo\r\n") == [("YP1", "hi"), ("YP2", "yo")]


def test_empty_text() -> None:
    assert split_turns("") == []
    assert split_turns("\n\n# Only a heading\n") == []


# --- helpers ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("FACILITATOR", "Facilitator"),
        ("YP1", "YP1"),
        ("MC", "MC"),
        ("Sam  O'Neil", "Sam O'Neil"),
        ("McKenzie", "McKenzie"),
        ("MARY-JANE", "Mary-Jane"),
        ("  Young   person 3 ", "Young person 3"),
    ],
)
def test_normalise_speaker(raw: str, expected: str) -> None:
    assert normalise_speaker(raw) == expected


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Sam: hello", ("Sam", 5)),
        ("[Ben] hi", ("Ben", 6)),
        ("Note: no", None),
        ("Sam:", None),
        ("sam: lower", None),
        ("Just words", None),
    ],
)
def test_speaker_prefix(line: str, expected: tuple[str, int] | None) -> None:
    assert speaker_prefix(line) == expected


FRAGMENTS = [
    "YP1:", "[YP2]", "[Ben]:", "**YP3:**", "**Sam**:", "SARAH:", "Facilitator 2:", "Peace:",
    "Note:", "[00:01:02]", "00:01", "12:03 -", "(00:04)", "# Heading", "hello there", "é👍",
    " ", "\t", "\n", "\n\n", "\r", ":", "[", "]", "*", "\x0c", "\u2028",
]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=30))
def test_offsets_always_valid(parts: list[str]) -> None:
    text = "".join(parts)
    check(text, split_turns(text))
