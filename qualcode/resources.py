"""Files that ship with qualcode: the app script and its Streamlit settings, the CSF-POF
codebook and the synthetic sample corpus.

Their one source is the top of the repository (`app.py`, `.streamlit/`, `codebook/`,
`corpora/sample/`). A built wheel carries them inside the package, under
`qualcode/shipped/`, read through `importlib.resources`; a checkout (an editable
install) reads them where they are. Either way the same relative paths apply.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from qualcode.errors import QualcodeError

_CHECKOUT = Path(__file__).resolve().parents[1]


def shipped_root() -> Path:
    """The folder holding `app.py`, `codebook/` and `corpora/`: inside the installed
    package, or the checkout the package runs from."""
    packaged = Path(str(resources.files("qualcode"))) / "shipped"
    for root in (packaged, _CHECKOUT):
        if (root / "app.py").is_file() and (root / "codebook").is_dir():
            return root
    raise QualcodeError(
        f"{packaged}: the app, codebook and sample corpus are missing from this qualcode "
        "installation (reinstall qualcode)"
    )


def _shipped(relative: str) -> Path:
    path = shipped_root() / relative
    if not path.exists():
        raise QualcodeError(f"{path}: missing from this qualcode installation (reinstall it)")
    return path


def app_script() -> Path:
    """The Streamlit entry point (`st.navigation` over the pages in `qualcode/ui/`)."""
    return _shipped("app.py")


def csf_pof_codebook() -> Path:
    """The CSF-POF working coding frame, derived from the Creating Stable Futures Positive
    Outcomes Framework (YAML)."""
    return _shipped("codebook/csf-pof.yaml")


def sample_corpus() -> Path:
    """The synthetic sample corpus folder (with manifest.csv)."""
    return _shipped("corpora/sample")
