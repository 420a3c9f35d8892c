"""Smoke tests of the benchmarks: each script in benchmarks/ runs once with --quick, exits
0 and still prints every one of its figures. No timing value is checked: the machine
may be shared, and a benchmark's numbers are for people to read."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BENCHMARKS = ROOT / "benchmarks"
TIMEOUT = 300  # seconds per script; --quick runs take a few seconds up to about a minute
N = r"[\d.,]+"  # any number as the scripts print it (values are not checked)
MS = rf"median +{N} ms \(min +{N}, max +{N}\)"

# Per script, one regular expression per figure line it must print (re.MULTILINE).
FIGURES: dict[str, list[str]] = {
    "bench_agreement.py": [
        rf"^built {N} segments x \d+ codes x \d+ coders in {N} s$",
        rf"^qualcode: load decisions {N} s; whole report \(load \+ overall \+ \d+ codes x 4 "
        rf"statistics\) {N} s$",
        rf"^krippendorff package alone, alpha for each code: {N} s$",
        r"^peak memory (\d+ MB|n/a)$",
    ],
    "bench_app.py": [
        rf"^built in {N} s: {N} segments, {N} suggestions, {N} coding events by 3 coders$",
        rf"^record_decision \(the accept\) +{MS}$",
        rf"^segment_card \(the page's rerun\) +{MS}$",
        rf"^review_queue, a page of 21 +{MS}$",
        rf"^undo_last +{MS}$",
        rf"^accept: write \+ card +{MS}$",
        rf"^accept \+ next queue page \(worst\) +{MS}$",
    ],
    "bench_concurrency.py": [
        r"^bench_concurrency: \d+ s on the demo project \(\d+ documents, \d+ segments\)",
        r"^writer +attempted +committed +refused +lost +extra +lock waits +longest wait "
        r"+slowest write$",
        *(
            rf"^{who} +\d+ +\d+ +\d+ +0 +0 +\d+ +({N} s|-) +{N} s$"
            for who in (r"app-session-0", r"app-session-1", r"library-0", r"cli \(\d+ runs\)")
        ),
        rf"^total +\d+ +\d+ +\d+ +0 +0 +\d+ +({N} s|-)$",
        rf"^\d+ connects in {N} s; median lock wait {N} s\.",
    ],
    "bench_pseudonymise.py": [
        r"^pseudonymise_transcript\.txt: detector \S+, \d+ turns$",
        r"^kind +gold +recall +kind rec +given +precision$",
        *(
            rf"^{kind} +\d+ +({N}|-) +({N}|-) +\d+ +({N}|-)$"
            for kind in ("person", "place", "email", "phone", "overall")
        ),
        *(rf"^{label}: " for label in ("missed", "not_identifying", "decoys_replaced", "leaked")),
        rf"^seconds: load {N}, plan {N}$",
    ],
    "bench_suggest.py": [
        r"^CPU threads: \d+; python \S+$",
        r"^== N = 80 segments \(1 long\) ==$",
        rf"^round 1: qualcode suggest embedding {N} s, plain encode {N} s$",
        r"^texts embedded: \d+ distinct \(\d+ code phrases, 80 segments, [1-9]\d* sentences "
        r"of long segments\)$",
        rf"^qualcode suggest, embedding stage: {N} s, {N} segments/s, {N} texts/s$",
        rf"^plain SentenceTransformer\.encode, the same texts: {N} s, {N} segments/s, "
        rf"{N} texts/s$",
        r"^ratio qualcode / plain per text embedded: \d+\.\d\d$",
        rf"^first suggest end to end: {N} s \(.*embed {N} s.*; embed includes the model "
        r"load\), \d+ texts embedded \(.*\), peak memory (\d+ MiB|n/a)$",
        rf"^ranking 80 segments x 60 codes \(\d+ phrases\): {N} s$",
        rf"^cached re-run \(fresh process\): {N} s wall, {N} s in suggest, embedded 0, "
        r"cached \d+$",
        r"^cached re-run peak memory: (\d+ MiB|n/a)$",
    ],
    "bench_units.py": [
        rf"^gold: \d+ texts in \d+ turns of \d+; model \S+; embedded in {N} s$",
        *(
            rf"^{mode}: {unit} +n=\d+ +{N} +{N} +{N} +{N}$"
            for mode in ("zero-shot", "learned")
            for unit in (
                r"turn unit \(turn's codes\)",
                r"sentence unit, best per turn \(turn's codes\)",
                r"sentence unit \(each text's own codes\)",
            )
        ),
        r"^sample: \d+ documents, facilitators left out$",
        *(
            rf"^{label} +\d+ quotes  fragments \(< 6 words\) +\d+ = +{N}%  median {N} words$"
            for label in (
                "every segment, sentence unit",
                "every segment, turn unit",
                r"coded: the unit alone \(quote_context unit\)",
                r"coded: 1 sentence either side \(quote_context 1\)",
                r"coded: the whole turn \(quote_context turn\)",
            )
        ),
    ],
    "bench_themes.py": [
        rf"^built in {N} s: {N} coding events \({N} current codings\), {N} segments, ",
        rf"^first track: {N} s \(folds {N} events into the coding state, once\)$",
        *(
            rf"^track\(layer={layer}\): median {N} ms, min {N} ms, max {N} ms over \d+ runs"
            for layer in ("consensus", "coder:coder_a", "all")
        ),
        rf"^track\(layer=all\) right after one new decision .*: median {N} ms over 5$",
        *(
            rf"^  query alone on an open connection \(layer={layer}\): median {N} ms$"
            for layer in ("consensus", "all")
        ),
        rf"^slowest median {N} ms: (meets|misses) the 200 ms goal",
    ],
}
# Lines no benchmark may print (bench_suggest warns when its plain run's texts drift).
FORBIDDEN = [r"^WARNING", r"^LOST:", r"^PROBLEMS", r"^Traceback"]


def test_every_benchmark_has_a_smoke_test() -> None:
    assert sorted(p.name for p in BENCHMARKS.glob("bench_*.py")) == sorted(FIGURES)


def _repository_files() -> set[str]:
    """What a benchmark could leave behind: files in benchmarks/, project files at the top."""
    found = {str(p.relative_to(ROOT)) for p in BENCHMARKS.rglob("*")}
    return found | {p.name for p in ROOT.glob("*.duckdb*")}


@pytest.mark.parametrize("script", sorted(FIGURES))
def test_benchmark_quick(script: str) -> None:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    before = _repository_files()
    result = subprocess.run(
        [sys.executable, str(BENCHMARKS / script), "--quick"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    output = f"stdout:\n{result.stdout}\nstderr (end):\n{result.stderr[-4000:]}"
    assert result.returncode == 0, output
    missing = [f for f in FIGURES[script] if not re.search(f, result.stdout, re.MULTILINE)]
    assert not missing, f"figures not printed: {missing}\n{output}"
    bad = [f for f in FORBIDDEN if re.search(f, result.stdout, re.MULTILINE)]
    assert not bad, output
    assert _repository_files() == before, "the benchmark wrote into the repository"
