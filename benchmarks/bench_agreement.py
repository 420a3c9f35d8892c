"""Agreement report speed: 100,000 segments x 40 codes x 3 coders.

Builds a project with bulk inserts (every coder reviews every segment; each code
applies to about 5% of segments, coders agreeing about 85% of the time), then
times the whole per-code report without confidence intervals, and beside it the
`krippendorff` package alone computing alpha for each code on the same data.

    .venv/bin/python benchmarks/bench_agreement.py [segments] [codes] [coders] [--quick]

(defaults 100000 40 3; --quick: 5000 segments x 10 codes x 3 coders unless given, a smoke
run of a couple of seconds)
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

from qualcode.agreement.ratings import load_layers
from qualcode.agreement.report import agreement_report
from qualcode.codebook.model import Code, Codebook
from qualcode.codebook.versions import store_codebook
from qualcode.codebook.yaml_io import codebook_to_yaml
from qualcode.store import Project

try:
    import resource
except ImportError:  # Windows: no ru_maxrss, peak memory prints as n/a
    resource = None

FULL = {"segments": 100_000, "codes": 40, "coders": 3}
QUICK = {"segments": 5_000, "codes": 10, "coders": 3}


def build(path: Path, n_segments: int, n_codes: int, n_coders: int) -> Project:
    project = Project.init(path)
    codes = [Code(id=f"c{i:02d}", label=f"Code {i}", definition="x") for i in range(n_codes)]
    codebook = Codebook(name="bench", codes=codes)
    store_codebook(project, codebook, codebook_to_yaml(codebook), "bench", "bench")
    rng = np.random.default_rng(0)
    truth = rng.random((n_segments, n_codes)) < 0.05
    coders = [f"coder{i}" for i in range(n_coders)]
    seg_ids, code_ids, who = [], [], []
    for coder in coders:
        flip = rng.random((n_segments, n_codes)) < 0.01
        applied = truth ^ flip
        s, k = np.nonzero(applied)
        seg_ids.append(s + 1)
        code_ids.append(k)
        who.append(np.full(s.size, coder))
    events = pa.table(
        {
            "segment_id": pa.array(np.concatenate(seg_ids), pa.int32()),
            "code_id": pa.array([f"c{k:02d}" for k in np.concatenate(code_ids)]),
            "coder": pa.array(np.concatenate(who)),
        }
    )
    reviews = pa.table(
        {
            "segment_id": pa.array(np.tile(np.arange(1, n_segments + 1), n_coders), pa.int32()),
            "coder": pa.array(np.repeat(coders, n_segments)),
        }
    )
    with project.transaction() as con:
        con.execute(
            "INSERT INTO documents (title, format, content_hash, text) "
            "VALUES ('bench.txt', 'txt', 'h', repeat('x', ?))",
            [n_segments],
        )
        con.execute(
            "INSERT INTO segments (document_id, ordinal, turn, start_offset, end_offset, text) "
            "SELECT 1, i, i, i, i + 1, 'x' FROM range(?) t(i)",
            [n_segments],
        )
        con.register("new_events", events)
        con.execute(
            "INSERT INTO coding_events (segment_id, code_id, coder, action, source, "
            "codebook_version) SELECT segment_id, code_id, coder, 'add', 'import', 1 "
            "FROM new_events"
        )
        con.register("new_reviews", reviews)
        con.execute("INSERT INTO segment_reviews (segment_id, coder) SELECT * FROM new_reviews")
    return project


def peak_mb() -> str:
    """Peak resident memory in MB (MiB): ru_maxrss is bytes on macOS, kilobytes on Linux."""
    if resource is None:
        return "n/a"
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return f"{peak / (1024 * 1024 if sys.platform == 'darwin' else 1024):.0f} MB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for name, value in FULL.items():
        parser.add_argument(name, type=int, nargs="?", help=f"default {value}")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a smoke run: " + ", ".join(f"{v} {k}" for k, v in QUICK.items()),
    )
    args = parser.parse_args()
    sizes = QUICK if args.quick else FULL
    n_segments, n_codes, n_coders = (
        sizes[k] if getattr(args, k) is None else getattr(args, k) for k in FULL
    )
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        project = build(Path(tmp) / "bench.duckdb", n_segments, n_codes, n_coders)
        print(
            f"built {n_segments:,} segments x {n_codes} codes x {n_coders} coders "
            f"in {time.perf_counter() - started:.1f} s"
        )

        started = time.perf_counter()
        layers = load_layers(project)
        loaded = time.perf_counter() - started
        started = time.perf_counter()
        report = agreement_report(project, ci=False)
        whole = time.perf_counter() - started
        print(
            f"qualcode: load decisions {loaded:.2f} s; whole report (load + overall + "
            f"{len(report['per_code'])} codes x 4 statistics) {whole:.2f} s"
        )

        import krippendorff

        started = time.perf_counter()
        for k in range(layers.values.shape[2]):
            krippendorff.alpha(
                reliability_data=layers.values[:, :, k], level_of_measurement="nominal"
            )
        package = time.perf_counter() - started
        print(f"krippendorff package alone, alpha for each code: {package:.2f} s")
        print(f"peak memory {peak_mb()}")


if __name__ == "__main__":
    main()
