"""Agreement on a project: overall (codes pooled) and per code, at the segment.

Definitions reported with every figure:
- percent agreement is Krippendorff's pairable-value weighted observed agreement;
- per-code kappa is Cohen's kappa on present/absent of that code (binarised),
  over the segments both coders reviewed;
- the overall figures pool codes: each (segment, code) pair is one rating unit,
  over the codes at least one of the coders applied (a code nobody used would
  only add absent-absent pairs and inflate agreement);
- the joint-absence share is the part of percent agreement that is coders agreeing
  a code is absent; most codes are absent from most segments, so percent agreement
  runs high, and the chance-corrected figures are the ones to read;
- confidence intervals are percentile bootstraps that resample whole segments
  (a segment's codes stay together), with a fixed seed so reruns agree.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from qualcode.agreement.binary import NAMES, bootstrap_intervals, statistics_from_totals, totals
from qualcode.agreement.ratings import Layers, load_layers
from qualcode.agreement.stats import PERCENT_DEFINITIONS
from qualcode.errors import ArgumentError, QualcodeError
from qualcode.store import Project

RARE_POSITIVES = 10
"""A code with fewer present ratings than this is flagged: kappa is unstable there."""

DEFINITIONS = {
    "unit": "segment; a coder's unreviewed segments are missing, not absent",
    "percent_agreement": PERCENT_DEFINITIONS["pairable"],
    "overall": "codes pooled: each (segment, code) pair is one unit, over the codes at "
    "least one of these coders applied (codes nobody used would only add agreement)",
    "per_code_kappa": "Cohen's kappa on present/absent of the code (binarised), "
    "segments both coders reviewed",
    "fleiss_kappa": "complete units only (every coder reviewed the segment)",
    "joint_absence_share": "the part of percent agreement that is coders agreeing a code is "
    "absent: most codes are absent from most segments, so percent agreement runs high; "
    "kappa, alpha and AC1 correct for the agreement chance alone gives",
    "ci95": "percentile bootstrap over segments (a segment's codes stay together), seed 0",
    "rare": f"fewer than {RARE_POSITIVES} present ratings: kappa is unstable",
}

BY_CHOICES = ("code", "document", "location", "session")


def _finite(value: float) -> float | None:
    return None if value is None or not np.isfinite(value) else round(float(value), 6)


def _figures(summed: np.ndarray, n_coders: int) -> list[dict[str, float | None]]:
    """The five statistics for each row of summed totals, JSON-ready."""
    stats = statistics_from_totals(np.atleast_2d(summed), n_coders)
    rows = []
    for i in range(np.atleast_2d(summed).shape[0]):
        row = {name: _finite(stats[name][i]) for name in NAMES}
        if n_coders != 2:
            row["cohen_kappa"] = None
        rows.append(row)
    return rows


def joint_absence_share(values: np.ndarray) -> float | None:
    """Of the observed agreement (pairable-value weighted, as percent agreement), the
    share that is agreeing pairs of absent ratings; None without agreeing pairs.

    values: coders x segments x codes, 1 present, 0 absent, NaN unreviewed. A unit
    rated by n coders, k of them present, holds k(k-1) agreeing ordered pairs of
    presents and (n-k)(n-k-1) of absents, each weighted 1/(n-1).
    """
    n = (~np.isnan(values)).sum(axis=0).astype(float)
    k = np.nansum(values, axis=0)
    weight = np.where(n >= 2, 1.0 / np.maximum(n - 1.0, 1.0), 0.0)
    absent = float((weight * (n - k) * (n - k - 1)).sum())
    present = float((weight * k * (k - 1)).sum())
    return None if absent + present == 0 else round(absent / (absent + present), 6)


def _pairable_segments(values: np.ndarray) -> int:
    rated = (~np.isnan(values[:, :, 0])).sum(axis=0) if values.shape[2] else np.zeros(0)
    return int((rated >= 2).sum())


def _per_code(layers: Layers, per_code: np.ndarray) -> dict[str, dict[str, Any]]:
    """Per-code figures; per_code holds each code's totals (see binary.totals)."""
    figures = _figures(per_code, len(layers.coders))
    out: dict[str, dict[str, Any]] = {}
    for code, sums, row in zip(layers.codes, per_code, figures, strict=True):
        pairable_units, present, absent = sums[4], sums[7], sums[8]
        positives = int(present)
        out[code] = {
            "n_units": int(pairable_units),
            "prevalence": round(present / (present + absent), 6) if present + absent else 0.0,
            "positives": positives,
            "percent_agreement": row["percent_agreement"],
            "cohen_kappa": row["cohen_kappa"],
            "krippendorff_alpha": row["krippendorff_alpha"],
            "gwet_ac1": row["gwet_ac1"],
            "rare": positives < RARE_POSITIVES,
        }
    return out


def _groups(layers: Layers, by: str) -> dict[str, np.ndarray]:
    if by == "document":
        keys = [str(d) for d in layers.documents]
    elif by == "location":
        keys = [loc or "(none)" for loc in layers.locations]
    else:
        keys = [ses or "(none)" for ses in layers.sessions]
    groups: dict[str, list[int]] = {}
    for index, key in enumerate(keys):
        groups.setdefault(key, []).append(index)
    return {key: np.array(indices) for key, indices in sorted(groups.items())}


def agreement_report(
    project: Project,
    coders: list[str] | None = None,
    by: str | None = None,
    sample: str | None = None,
    ci: bool = True,
    n_boot: int = 1000,
    seed: int = 0,
) -> dict[str, Any]:
    """Agreement between coders on a project; see the module docstring for definitions."""
    if by is not None and by not in BY_CHOICES:
        raise ArgumentError("by", f"must be one of {', '.join(BY_CHOICES)}")
    layers = load_layers(project, coders, sample)
    if len(layers.coders) < 2:
        raise QualcodeError("agreement needs two or more coders with decisions")
    n_units = _pairable_segments(layers.values)
    if n_units == 0:
        raise QualcodeError("no segment was reviewed by two or more of these coders")
    used = np.nansum(layers.values, axis=(0, 1)) > 0
    if not used.any():
        raise QualcodeError("none of these coders applied any code")
    layers.codes = [code for code, keep in zip(layers.codes, used, strict=True) if keep]
    layers.values = values = layers.values[:, :, used]
    per_segment, per_code = totals(values)
    n_coders = len(layers.coders)
    overall: dict[str, Any] = _figures(per_segment.sum(axis=0), n_coders)[0]
    overall["joint_absence_share"] = joint_absence_share(values)
    overall["ci95"] = (
        bootstrap_intervals(values, n_boot, seed, per_segment=per_segment) if ci else None
    )
    report: dict[str, Any] = {
        "unit": "segment",
        "n_units": n_units,
        "n_segments_reviewed": int(values.shape[1]),
        "coders": layers.coders,
        "sample": sample,
        "overall": overall,
        "per_code": _per_code(layers, per_code),
        "definitions": DEFINITIONS,
    }
    if by in ("document", "location", "session"):
        report["by"] = {
            "dimension": by,
            "groups": {
                key: {
                    "n_units": _pairable_segments(values[:, idx, :]),
                    **_figures(per_segment[idx].sum(axis=0), n_coders)[0],
                }
                for key, idx in _groups(layers, by).items()
            },
        }
    return report
