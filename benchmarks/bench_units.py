"""The unit of coding, turn or sentence: what each gives suggestions and quotes.

1. Suggestion quality (`qualcode evaluate`'s metrics, zero-shot and learned with 5-fold
   cross-validation) on the gold file tests/data/gold_csf_pof.csv. Its texts are short
   (one or two sentences, each labelled by the coders), so turns are made of them: each
   run of --turn-size consecutive texts is one turn whose codes are the union of its
   texts' codes. At the turn unit the model scores the whole turn (pooling its
   sentences, as `qualcode suggest` does); at the sentence unit it scores each text
   alone, and the turn's score for a code is its best text's. Both are compared with
   the turn's codes; the sentence unit is also measured against each text's own codes.
2. How quotes read on the synthetic sample corpus (corpora/sample, coded at the
   sentence unit in its codings.csv): the share of fragments (quotes under 6 words) and
   the median words of a quote, for the coded units themselves (the quote before
   `quote_context`), for the turns they are in (quote_context turn, and the turn unit),
   and for 1 sentence either side.

Prints numbers only; nothing is written into the repository.

    python benchmarks/bench_units.py            # every gold text, the whole sample
    python benchmarks/bench_units.py --quick    # 48 gold texts (TF-IDF), 3 sample documents
"""

from __future__ import annotations

import csv
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from sizes import parse_sizes  # noqa: E402

from qualcode.codebook_files import read_codebook_file  # noqa: E402
from qualcode.ingest.manifest import read_manifest  # noqa: E402
from qualcode.ingest.pipeline import collect_files  # noqa: E402
from qualcode.ingest.readers import read_document  # noqa: E402
from qualcode.ingest.segment import segment_document  # noqa: E402
from qualcode.resources import csf_pof_codebook, sample_corpus  # noqa: E402
from qualcode.suggest.embedder import Embedder, TfidfEmbedder, load_embedder  # noqa: E402
from qualcode.suggest.evaluate import (  # noqa: E402
    cross_validated_scores,
    embed_gold,
    report,
    zero_shot_scores,
)
from qualcode.suggest.gold import GoldRow, read_gold  # noqa: E402
from qualcode.themes.people import is_facilitator  # noqa: E402

GOLD = ROOT / "tests" / "data" / "gold_csf_pof.csv"
FOLDS = 5
FRAGMENT_WORDS = 6
METRICS = ("top1_accuracy", "hit_at_3", "micro_f1", "macro_f1")


def _turns(rows: list[GoldRow], size: int) -> tuple[list[GoldRow], list[int]]:
    """Turns of `size` consecutive texts (codes: the union), and each text's turn."""
    turns, owner = [], []
    for start in range(0, len(rows) - size + 1, size):
        group = rows[start : start + size]
        codes = tuple(dict.fromkeys(c for row in group for c in row.codes))
        turns.append(GoldRow(f"turn{len(turns)}", " ".join(r.text for r in group), codes))
        owner += [len(turns) - 1] * size
    return turns, owner


def _pooled(scores: np.ndarray, owner: list[int], n: int) -> np.ndarray:
    """Per turn, each code's best score over the turn's texts."""
    pooled = np.zeros((n, scores.shape[1]), dtype=scores.dtype)
    np.maximum.at(pooled, np.asarray(owner), scores[: len(owner)])
    return pooled


def _line(label: str, payload: dict) -> str:
    figures = "  ".join(f"{payload[m]:.3f}" for m in METRICS)
    return f"{label:<44} n={payload['n']:<4} {figures}"


def suggestion_quality(n_texts: int, turn_size: int, embedder: Embedder) -> None:
    codebook, _ = read_codebook_file(csf_pof_codebook())
    rows = read_gold(GOLD, codebook)[:n_texts]
    turns, owner = _turns(rows, turn_size)
    rows = rows[: len(owner)]
    started = time.perf_counter()
    sentences = embed_gold(rows, codebook, embedder)
    whole = embed_gold(turns, codebook, embedder)
    print(
        f"gold: {len(rows)} texts in {len(turns)} turns of {turn_size}; model {embedder.name}; "
        f"embedded in {time.perf_counter() - started:.1f} s"
    )
    print(f"{'unit (scored against)':<44} {'':<6} {'  '.join(METRICS)}")
    for mode in ("zero-shot", "learned"):
        if mode == "zero-shot":
            by_text, by_turn = zero_shot_scores(sentences), zero_shot_scores(whole)
        else:
            by_text = cross_validated_scores(sentences, FOLDS)
            by_turn = cross_validated_scores(whole, FOLDS)
        pooled = _pooled(by_text, owner, len(turns))
        turn_payload, _, _ = report(whole, by_turn, 0, mode)
        pooled_payload, _, _ = report(whole, pooled, 0, mode)
        text_payload, _, _ = report(sentences, by_text, 0, mode)
        print(_line(f"{mode}: turn unit (turn's codes)", turn_payload))
        print(_line(f"{mode}: sentence unit, best per turn (turn's codes)", pooled_payload))
        print(_line(f"{mode}: sentence unit (each text's own codes)", text_payload))


def _coded(codings: Path) -> dict[str, set[int]]:
    """Segment ordinals with at least one code applied, per document title."""
    coded: dict[str, set[int]] = defaultdict(set)
    with codings.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["decision"] == "add" and row["code"]:
                coded[row["document"]].add(int(row["segment"]))
    return coded


def _words(text: str) -> int:
    return len(text.split())


def _describe(label: str, quotes: list[str]) -> str:
    lengths = [_words(q) for q in quotes]
    short = sum(n < FRAGMENT_WORDS for n in lengths)
    share = short / len(lengths) if lengths else 0.0
    median = statistics.median(lengths) if lengths else 0
    return (
        f"{label:<48} {len(lengths):>5} quotes  fragments (< {FRAGMENT_WORDS} words) "
        f"{short:>4} = {share:6.1%}  median {median:g} words"
    )


def quote_reading(n_documents: int) -> None:
    sample = sample_corpus()
    manifest = read_manifest(sample / "manifest.csv")
    files, _ = collect_files([sample], manifest)
    files = files[:n_documents]
    coded = _coded(sample / "codings.csv")
    units: list[str] = []
    turns: list[str] = []
    around: list[str] = []
    all_turns: list[str] = []
    all_sentences: list[str] = []
    for path in files:
        parsed = read_document(path)
        segments = segment_document(parsed, "sentence")
        by_turn: dict[int, list] = defaultdict(list)
        for s in segments:
            by_turn[s.turn].append(s)
        spoken = [s for s in segments if not is_facilitator(s.speaker)]
        all_sentences += [s.text for s in spoken]
        all_turns += [
            s.text for s in segment_document(parsed, "turn") if not is_facilitator(s.speaker)
        ]
        seen_turns: set[int] = set()
        for s in spoken:
            if s.ordinal not in coded.get(path.name, set()):
                continue
            units.append(s.text)
            turn = by_turn[s.turn]
            at = turn.index(s)
            around.append(" ".join(t.text for t in turn[max(0, at - 1) : at + 2]))
            if s.turn not in seen_turns:
                seen_turns.add(s.turn)
                turns.append(" ".join(t.text for t in turn))
    print(f"sample: {len(files)} documents, facilitators left out")
    print(_describe("every segment, sentence unit", all_sentences))
    print(_describe("every segment, turn unit", all_turns))
    print(_describe("coded: the unit alone (quote_context unit)", units))
    print(_describe("coded: 1 sentence either side (quote_context 1)", around))
    print(_describe("coded: the whole turn (quote_context turn)", turns))


def main() -> None:
    args = parse_sizes(
        "Suggestion quality and quote fragments at the turn and the sentence unit.",
        {"texts": 212, "turn_size": 4, "documents": 100},
        {"texts": 48, "turn_size": 4, "documents": 3},
    )
    if args.turn_size < 2:
        sys.exit("--turn_size must be at least 2")
    # the smoke run uses TF-IDF: the MiniLM figures take minutes on a shared machine
    embedder = TfidfEmbedder(reason="--quick") if args.quick else load_embedder()
    suggestion_quality(args.texts, args.turn_size, embedder)
    quote_reading(args.documents)


if __name__ == "__main__":
    main()
