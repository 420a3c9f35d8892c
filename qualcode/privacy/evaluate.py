"""Measure detection against an answer key: string-level recall and precision per kind.

An answer key is JSON: ``{"identifying": [{"text": ..., "kind": ...}, ...],
"decoys": [...]}`` listing every identifying string of a transcript as written
(without honorifics or a possessive 's) and strings that must stay. A team can
annotate a sample of its own transcripts the same way and measure on it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qualcode.privacy.plan import Detection
from qualcode.privacy.pseudonyms import KINDS, normalise_key


@dataclass(frozen=True)
class AnswerKey:
    """Identifying strings with their kinds, and decoys that must not be replaced."""

    identifying: tuple[tuple[str, str], ...]
    decoys: tuple[str, ...]

    @classmethod
    def load(cls, path: str | Path) -> AnswerKey:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        items = tuple((str(i["text"]), str(i["kind"])) for i in data["identifying"])
        unknown = sorted({kind for _, kind in items} - set(KINDS))
        if unknown:
            raise ValueError(f"{path}: unknown kinds {unknown}")
        return cls(items, tuple(str(d) for d in data.get("decoys", [])))


def _ratio(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 3) if denominator else None


def score_detections(
    detections: Iterable[Detection], key: AnswerKey, stored_text: str | None = None
) -> dict[str, Any]:
    """String-level scores of a document's detections against its answer key.

    Per kind of the answer key: `recall` (identifying strings detected, whatever
    kind they were given), `kind_recall` (detected with the right kind) and
    `precision` (of the distinct strings given that kind, the share that are
    identifying). `overall` pools all kinds. With `stored_text`, also counts
    identifying strings still written there (`leaked`).
    """
    found: dict[str, str] = {}
    for d in detections:
        found.setdefault(normalise_key(d.text), d.kind)
    gold = {normalise_key(text): kind for text, kind in key.identifying}
    kinds: dict[str, dict[str, Any]] = {}
    for kind in dict.fromkeys(kind for _, kind in key.identifying):
        wanted = [k for k, g in gold.items() if g == kind]
        given = [k for k, f in found.items() if f == kind]
        hits = sum(k in found for k in wanted)
        kinds[kind] = {
            "gold": len(wanted),
            "detected": hits,
            "recall": _ratio(hits, len(wanted)),
            "kind_recall": _ratio(sum(found.get(k) == kind for k in wanted), len(wanted)),
            "given": len(given),
            "precision": _ratio(sum(k in gold for k in given), len(given)),
        }
    true_found = [k for k in found if k in gold]
    result: dict[str, Any] = {
        "kinds": kinds,
        "overall": {
            "gold": len(gold),
            "detected": len(true_found),
            "recall": _ratio(len(true_found), len(gold)),
            "kind_recall": _ratio(sum(found[k] == gold[k] for k in true_found), len(gold)),
            "given": len(found),
            "precision": _ratio(len(true_found), len(found)),
        },
        "missed": sorted(text for text, _ in key.identifying if normalise_key(text) not in found),
        "not_identifying": sorted(k for k in found if k not in gold),
        "decoys_replaced": sorted(d for d in key.decoys if normalise_key(d) in found),
    }
    if stored_text is not None:
        result["leaked"] = sorted(
            text
            for text, _ in key.identifying
            if re.search(rf"(?<!\w){re.escape(text)}(?!\w)", stored_text)
        )
    return result
