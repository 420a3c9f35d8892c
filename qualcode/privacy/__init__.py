"""Pseudonymisation at import: identifying strings replaced before anything is stored.

| module | responsibility |
|---|---|
| `terms.py` | allow-list, nationalities, honorifics, cue words, speaker-code patterns |
| `pseudonyms.py` | kinds, ``[Person 3]`` pseudonyms, keys, the project mapping |
| `detect.py` | rules, spaCy NER and speaker labels -> candidates; cached NER loader |
| `plan.py` | the per-document plan: detections, add, keep, set_kind, apply (offsets shifted) |
| `replacement_log.py` | the log file outside the project: atomic, 0600, locked |
| `pseudonymiser.py` | what ingest uses: transform before segmenting, commit in the transaction |
"""

from qualcode.privacy.detect import Detector, ner_pipeline
from qualcode.privacy.plan import (
    NAME_KINDS,
    Detection,
    PseudonymisationPlan,
    PseudonymisedDocument,
    Replacement,
    plan_pseudonymisation,
)
from qualcode.privacy.pseudonymiser import Pseudonymiser
from qualcode.privacy.pseudonyms import KINDS, MappingEntry, PseudonymMap
from qualcode.privacy.replacement_log import PseudonymLogError, ReplacementLog
from qualcode.privacy.terms import DEFAULT_ALLOW

__all__ = [
    "DEFAULT_ALLOW",
    "KINDS",
    "Detection",
    "Detector",
    "MappingEntry",
    "NAME_KINDS",
    "PseudonymLogError",
    "PseudonymMap",
    "PseudonymisationPlan",
    "PseudonymisedDocument",
    "Pseudonymiser",
    "Replacement",
    "ReplacementLog",
    "ner_pipeline",
    "plan_pseudonymisation",
]
