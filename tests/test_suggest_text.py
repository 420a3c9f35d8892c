"""Text helpers and code phrases."""

from __future__ import annotations

from pathlib import Path

from qualcode.codebook.yaml_io import load_yaml_codebook
from qualcode.suggest.phrases import code_phrases
from qualcode.suggest.text import LONG_TEXT, clauses, sentence_rows, sentences, text_hash

from .suggest_helpers import write_codebook


def test_text_hash_is_stable_and_distinguishes_texts() -> None:
    assert text_hash("I feel safe.") == text_hash("I feel safe.")
    assert text_hash("I feel safe.") != text_hash("I feel safe!")
    assert len(text_hash("x")) == 32


def test_sentences_split_on_end_punctuation_and_join_fragments() -> None:
    text = "I went to college. It was hard at first! Now I love it? Yes. Really."
    assert sentences(text) == [
        "I went to college.",
        "It was hard at first!",
        "Now I love it? Yes. Really.",
    ]
    assert sentences("no full stop here") == ["no full stop here"]


def test_sentence_rows_only_for_long_texts() -> None:
    short = "One. Two sentences here."
    long = "My guardian came to every meeting with me. " * 4
    found, owners = sentence_rows([short, long.strip()])
    assert len(long) >= LONG_TEXT > len(short)
    assert owners == [1, 1, 1, 1]
    assert found[0] == "My guardian came to every meeting with me."


def test_clauses_split_on_semicolons() -> None:
    assert clauses(" a; b ;; c ") == ["a", "b", "c"]


def test_code_phrases_keep_each_field_as_its_own_phrase(tmp_path: Path) -> None:
    codebook = load_yaml_codebook(write_codebook(tmp_path))
    phrases = code_phrases(codebook)
    education = [(p.kind, p.text) for p in phrases if p.code_id == "education"]
    assert education == [
        ("label", "Education and school"),
        ("definition", "Going to school or college, studying and learning English."),
        ("include", "going to college"),
        ("include", "English classes"),
        ("include", "passing exams"),
        ("include", "my teacher"),
        ("example", "I started college and I love my English class."),
        ("example", "My teacher helped me pass the exam."),
    ]
    assert {p.code_id for p in phrases} == {"education", "housing", "friends"}  # no groups


def test_shipped_codebook_phrases_cover_every_codable_code(repo_root: Path) -> None:
    codebook = load_yaml_codebook(repo_root / "codebook" / "csf-pof.yaml")
    phrases = code_phrases(codebook)
    assert {p.code_id for p in phrases} == {c.id for c in codebook.codable()}
    assert len(phrases) == len({(p.code_id, p.text.lower()) for p in phrases})
