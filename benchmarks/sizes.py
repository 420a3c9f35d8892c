"""The size options the benchmarks share: `--NAME N` for each size, and `--quick` for
the small sizes the test suite runs every benchmark at."""

from __future__ import annotations

import argparse


def parse_sizes(
    description: str, full: dict[str, int], quick: dict[str, int]
) -> argparse.Namespace:
    """Arguments with every size set: as given, else the quick or the full default."""
    parser = argparse.ArgumentParser(description=description)
    for name, value in full.items():
        parser.add_argument(f"--{name}", type=int, help=f"default {value:,}")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a smoke run: " + ", ".join(f"{v:,} {k}" for k, v in quick.items()),
    )
    args = parser.parse_args()
    for name, value in (quick if args.quick else full).items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    return args
