"""Detection recall and precision of pseudonymisation on the synthetic test transcript.

    .venv/bin/python benchmarks/bench_pseudonymise.py [--rules-only] [--json]
        [--transcript FILE --key FILE] [--quick]

String-level, against the answer key (tests/data/pseudonymise_expected.json):
recall = identifying strings detected (any kind) / identifying strings;
kind recall = detected with the right kind; precision = detected strings that
are identifying / detected strings. "leaked" lists identifying strings still
present in the pseudonymised text.

--quick is accepted like in the other benchmarks and changes nothing: one transcript
is already a run of a few seconds (most of it loading spaCy).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from qualcode.ingest.readers import read_document
from qualcode.privacy.detect import Detector
from qualcode.privacy.evaluate import AnswerKey, score_detections
from qualcode.privacy.plan import plan_pseudonymisation

DATA = Path(__file__).resolve().parents[1] / "tests" / "data"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transcript", type=Path, default=DATA / "pseudonymise_transcript.txt")
    parser.add_argument("--key", type=Path, default=DATA / "pseudonymise_expected.json")
    parser.add_argument("--rules-only", action="store_true", help="Without spaCy NER.")
    parser.add_argument("--json", action="store_true", help="Print the scores as JSON.")
    parser.add_argument("--quick", action="store_true", help="The same run (already quick).")
    args = parser.parse_args()

    detector = Detector(use_ner=not args.rules_only)
    parsed = read_document(args.transcript)
    began = time.perf_counter()
    detector.nlp  # noqa: B018 - load the pipeline outside the timed plan
    loaded = time.perf_counter()
    plan = plan_pseudonymisation(parsed, detector=detector)
    document = plan.apply()
    done = time.perf_counter()
    scores = score_detections(plan.detections, AnswerKey.load(args.key), document.text)
    scores["detector"] = detector.model_name
    scores["seconds"] = {"load": round(loaded - began, 2), "plan": round(done - loaded, 2)}
    if args.json:
        print(json.dumps(scores, indent=1, ensure_ascii=False))
        return
    print(f"{args.transcript.name}: detector {detector.model_name}, {len(parsed.turns)} turns")
    print(f"{'kind':<14}{'gold':>5}{'recall':>8}{'kind rec':>9}{'given':>7}{'precision':>10}")
    rows = [*scores["kinds"].items(), ("overall", scores["overall"])]
    for kind, s in rows:
        print(
            f"{kind:<14}{s['gold']:>5}{_fmt(s['recall']):>8}{_fmt(s['kind_recall']):>9}"
            f"{s['given']:>7}{_fmt(s['precision']):>10}"
        )
    for label in ("missed", "not_identifying", "decoys_replaced", "leaked"):
        print(f"{label}: {', '.join(scores[label]) or '-'}")
    print(f"seconds: load {scores['seconds']['load']}, plan {scores['seconds']['plan']}")


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


if __name__ == "__main__":
    main()
