"""Helpers for the suggestion tests: a small codebook, segments, a fast embedder, and a
small interview with one suggestion run (the `suggested` fixture in conftest.py)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from qualcode.codebook_files import load_codebook
from qualcode.store import Project
from qualcode.suggest import suggest

SMALL_CODEBOOK = """\
name: Small test codebook
codes:
  - id: learning
    label: Learning
    codable: false
    definition: Learning and school.
  - id: education
    parent: learning
    label: Education and school
    definition: Going to school or college, studying and learning English.
    include: going to college; English classes; passing exams; my teacher
    examples:
      - "I started college and I love my English class."
      - "My teacher helped me pass the exam."
  - id: home
    label: Home
    codable: false
    definition: Home and people.
  - id: housing
    parent: home
    label: Safe housing
    definition: Having a safe, stable place to live, a room or a flat of one's own.
    include: my own room; a flat; moving house; the hostel
    examples:
      - "Now I have my own room and a key to lock the door."
      - "The hostel was noisy and I could not sleep."
  - id: friends
    parent: home
    label: Friends and belonging
    definition: Friendships, belonging and people who care about the young person.
    include: my friends; people who care about me; feeling part of a group
    examples:
      - "My friends are like a family to me."
      - "At the youth club I feel I belong."
"""


def write_codebook(directory: Path, text: str = SMALL_CODEBOOK, name: str = "small.yaml") -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def add_document(
    project: Project, texts: Sequence[str], title: str = "doc", case_id: int | None = None
) -> list[int]:
    """A document whose segments are the given texts; returns the segment ids."""
    body = "\n".join(texts)
    with project.transaction() as con:
        doc_id = con.execute(
            "INSERT INTO documents (title, format, content_hash, text, case_id) "
            "VALUES (?, 'txt', ?, ?, ?) RETURNING id",
            [title, hashlib.sha256(body.encode()).hexdigest(), body, case_id],
        ).fetchone()[0]
        ids = []
        offset = 0
        for ordinal, text in enumerate(texts):
            ids.append(
                con.execute(
                    "INSERT INTO segments (document_id, ordinal, turn, speaker, start_offset, "
                    "end_offset, text) VALUES (?, ?, ?, 'YP', ?, ?, ?) RETURNING id",
                    [doc_id, ordinal, ordinal, offset, offset + len(text), text],
                ).fetchone()[0]
            )
            offset += len(text) + 1
    return ids


def small_project(project: Project, tmp_path: Path, texts: Sequence[str]) -> list[int]:
    load_codebook(project, write_codebook(tmp_path))
    return add_document(project, texts)


INTERVIEW = [
    "I go to college and my teacher helps me with English classes.",
    "Now I have my own room in a flat.",
    "My friends are like a family to me.",
    "The hostel was noisy and my friends were far away.",
    "We play football on Sundays.",
]


def suggested_project(
    project: Project, tmp_path: Path, texts: Sequence[str] = INTERVIEW
) -> list[int]:
    """A small project (codebook and one document of `texts`) with one suggestion run
    (top 3, HashEmbedder); returns the segment ids."""
    ids = small_project(project, tmp_path, texts)
    suggest(project, top_k=3, embedder=HashEmbedder())
    return ids


class HashEmbedder:
    """A deterministic bag-of-words embedder for tests that do not need the real model."""

    name = "test-hash"
    cacheable = True

    def __init__(self, dim: int = 256) -> None:
        self.dim = dim
        self.encoded = 0

    def fit(self, texts: Sequence[str]) -> None:
        return None

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.encoded += len(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in re.findall(r"[a-z]+", text.lower()):
                digest = hashlib.blake2b(word.encode(), digest_size=4).digest()
                out[i, int.from_bytes(digest, "little") % self.dim] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms == 0, 1.0, norms)
