"""Files shipped beside the package: the CSF-POF codebook and the sample corpus."""

from __future__ import annotations

from pathlib import Path

from qualcode.errors import QualcodeError

_ROOT = Path(__file__).resolve().parents[1]


def _shipped(relative: str) -> Path:
    for base in (_ROOT, Path.cwd()):
        candidate = base / relative
        if candidate.exists():
            return candidate
    raise QualcodeError(f"{relative} not found beside the qualcode package or here")


def csf_pof_codebook() -> Path:
    """The Creating Stable Futures Positive Outcomes Framework codebook (YAML)."""
    return _shipped("codebook/csf-pof.yaml")


def sample_corpus() -> Path:
    """The synthetic sample corpus folder (with manifest.csv)."""
    return _shipped("corpora/sample")
