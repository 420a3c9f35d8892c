"""Find identifying strings in a document's text: rules, spaCy NER and speaker labels.

Rules (regular expressions) find e-mail addresses, phone numbers (UK and
international), dates of birth (a date in the same sentence as "born", "DOB",
"date of birth", "birthday"), street addresses (house number + street type), UK
postcodes and street names; a self-introduction ("I am X", "my name is X", "call me
X") makes the capitalised words after it a person's name. spaCy's NER (PERSON,
GPE/LOC/FAC, ORG; NORP only as a nationality when asked for) finds names, and its
tagger adds runs of proper nouns it left out (not a single capitalised word opening
a sentence). A place or organisation entity written as a possessive standing alone
("at Barnardo's on Fridays") is a business or charity: an organisation. Names are
trimmed of determiners, honorifics and possessives, and dropped when they are on
the allow-list. Speaker codes (YP1, Facilitator 2), study labels (Location 2) and
qualcode's own pseudonyms are protected spans that nothing may overlap.

Without the installed spaCy pipeline only the rules, speaker labels and known
originals are used; `Detector.note` says so.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from qualcode.ingest.model import Turn
from qualcode.nlp import SPACY_MODEL
from qualcode.privacy.pseudonyms import PSEUDONYM, key_for, normalise_key
from qualcode.privacy.terms import (
    DEFAULT_ALLOW,
    DEMONYMS,
    FILE_WORDS,
    HONORIFICS,
    INTRO_CUES,
    NOT_INTRODUCED,
    ORG_WORDS,
    PARTICLES,
    PERSON_CUES,
    PERSON_VERBS,
    PLACE_AFTER,
    PLACE_CUES,
    SPEAKER_CODE,
    STREET_NAMES_ALONE,
    STREET_TYPES,
    STRUCTURAL_LABEL,
)

RULE_KINDS = ("email", "phone", "date_of_birth", "address", "postcode")
NAME_KINDS = ("person", "place", "organisation")

# Higher wins when two detections overlap (then the longer one).
PRIORITY = {
    "added": 100,
    "email": 90,
    "address": 80,
    "postcode": 75,
    "phone": 70,
    "date_of_birth": 65,
    "intro": 85,
    "file_name": 40,
    "known": 50,
    "speaker": 45,
    "street": 42,
    "ner": 40,
    "repeat": 30,
    "tagger": 20,
}

_EMAIL = re.compile(
    r"(?<![\w.+-])[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*"
    r"\.[A-Za-z]{2,}(?![\w-])"
)
_PHONE = re.compile(
    r"(?<![\w+])(?:\+|00)\d{1,3}(?:[ .-]?\(?\d{1,6}\)?){1,6}(?!\w)"
    r"|(?<![\w+])\(?0\d{1,5}\)?(?:[ .-]?\d{2,6}){1,4}(?!\w)"
)
_MONTHS = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
    r"|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)"
)
_DATE = re.compile(
    rf"(?<!\w)(?:\d{{1,2}}(?:st|nd|rd|th)?(?:[ \t]+of)?[ \t]+{_MONTHS}"
    rf"(?:,?[ \t]+(?:\d{{4}}|'\d{{2}}))?"
    rf"|{_MONTHS}[ \t]+\d{{1,2}}(?:st|nd|rd|th)?(?:,?[ \t]+\d{{4}})?"
    rf"|{_MONTHS}[ \t]+\d{{4}}"
    r"|\d{1,2}[/.-]\d{1,2}[/.-](?:\d{4}|\d{2})"
    r"|\d{4}-\d{2}-\d{2})(?!\w)",
    re.IGNORECASE,
)
_BIRTH = re.compile(
    r"(?<!\w)(?:born|DOB|D\.O\.B\.?|date[ \t]+of[ \t]+birth|birth[ \t]?date|birthday)(?!\w)",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"[.!?](?:\s|$)")
_POSTCODE = re.compile(
    r"(?<![\w])(?:[A-Z]{1,2}\d[A-Z\d]?|GIR)[ ]?\d[A-Z]{2}(?![\w])", re.IGNORECASE
)
_ADDRESS = re.compile(
    r"(?<![\w])(?:(?:Flat|Apartment|Apt|Unit|Room)[ \t]*\d+[A-Za-z]?,?[ \t]+)?"
    rf"\d{{1,4}}[A-Za-z]?,?[ \t]+(?:[A-Z][\w'\u2019-]*[ \t]+){{1,3}}(?:{STREET_TYPES})(?![\w])"
)
_STREET = re.compile(
    rf"(?<![\w])(?:[A-Z][a-z'\u2019-]+[ \t]+){{1,3}}(?:{STREET_NAMES_ALONE})(?![\w])"
)
_NAME_WORD = r"[^\W\d_]+(?:['\u2019-][^\W\d_]+)*"
_INTRO = re.compile(
    rf"(?<![\w'\u2019])(?:{INTRO_CUES})[ \t]+(?P<name>{_NAME_WORD}(?:[ \t]+{_NAME_WORD}){{0,3}})",
    re.IGNORECASE,
)
_NAME_BREAKS = frozenset("i and but or so because the from in at to then with".split())
_ELLIPTICAL = re.compile(r"['\u2019]s(?!\w)[ \t]*(?P<next>[\w]*)")
_WORD = re.compile(r"\S+")
_NAME_TOKEN = re.compile(r"[^\W\d_](?:[^\W\d_]|['\u2019.-])*")
_ADVERBS = frozenset("also still now always never just really".split())
_POSSESSIVES = frozenset("my his her our their your".split())
_INNER_PUNCT = frozenset(", ' \u2019 & /".split())
_EDGE_PUNCT = "\"'“”‘’()[]{}<>,.;:!?*_-–—"

_NER_LABELS = {
    "PERSON": "person",
    "GPE": "place",
    "LOC": "place",
    "FAC": "place",
    "ORG": "organisation",
}
_ORG_ONLY_LABELS = frozenset({"WORK_OF_ART", "EVENT", "PRODUCT"})
_CHUNK = 50_000  # characters per spaCy call


@dataclass
class Candidate:
    """One detected span of the document text, before overlaps are resolved.

    `kind` is fixed for rule detections; for names it is None and decided by
    `votes` summed over every occurrence of the same string in the document.
    """

    start: int
    end: int
    text: str
    source: str
    kind: str | None = None
    votes: dict[str, float] = field(default_factory=dict)

    @property
    def priority(self) -> int:
        return PRIORITY[self.source]

    @property
    def key(self) -> str:
        return key_for(self.text, self.kind)


@lru_cache(maxsize=1)
def ner_pipeline() -> Any | None:
    """The installed English spaCy pipeline with NER and tagger, or None if absent."""
    try:
        import spacy

        nlp = spacy.load(SPACY_MODEL, exclude=["parser", "lemmatizer", "senter"])
    except (OSError, ImportError, ValueError):
        return None
    if "ner" not in nlp.pipe_names:
        return None
    nlp.max_length = max(nlp.max_length, _CHUNK * 2)
    return nlp


@lru_cache(maxsize=1)
def _stop_words() -> frozenset[str]:
    words = {"yes", "no", "okay", "ok", "hi", "hello", "dear", "thanks", "thank", "like"}
    try:
        from spacy.lang.en.stop_words import STOP_WORDS

        words |= set(STOP_WORDS)
    except ImportError:
        words |= set("the a an and but or so then first also my our your his her their".split())
    return frozenset(words)


@lru_cache(maxsize=1)
def _lead_trim_words() -> frozenset[str]:
    return _stop_words() | HONORIFICS | frozenset(PLACE_CUES) | frozenset(PERSON_CUES)


class Detector:
    """Finds candidates in text; see the module docstring for the rules.

    `allow` replaces the default allow-list; `use_ner=False` forces rules only;
    `nationalities=True` also replaces nationalities (NORP) as ``[Nationality N]``.
    """

    def __init__(
        self,
        allow: Iterable[str] | None = None,
        use_ner: bool = True,
        nationalities: bool = False,
    ) -> None:
        terms = DEFAULT_ALLOW if allow is None else allow
        self.allow = frozenset(normalise_key(s) for s in terms)
        self.use_ner = use_ner
        self.nationalities = nationalities

    @property
    def nlp(self) -> Any | None:
        return ner_pipeline() if self.use_ner else None

    @property
    def model_name(self) -> str:
        """The NER pipeline in use, or "rules-only"."""
        return SPACY_MODEL if self.nlp is not None else "rules-only"

    @property
    def note(self) -> str | None:
        """Why detection is weaker than usual, or None."""
        if not self.use_ner:
            return "name detection is off (rules only): names are found only when added or known"
        if self.nlp is None:
            return (
                f"spaCy pipeline {SPACY_MODEL} is not installed: rules only (e-mail, phone, "
                "date of birth, address, postcode, speaker labels, known names); "
                "review every document for names"
            )
        return None

    def is_allowed(self, text: str) -> bool:
        """Whether a string is on the allow-list (ignoring a leading "the")."""
        key = normalise_key(text)
        return key in self.allow or key.removeprefix("the ") in self.allow

    # --- protected spans ------------------------------------------------

    def protected_spans(self, text: str) -> list[tuple[int, int]]:
        """Speaker codes, study labels and qualcode pseudonyms: never replaced."""
        spans = []
        for pattern in (SPEAKER_CODE, STRUCTURAL_LABEL, PSEUDONYM):
            spans.extend(m.span() for m in pattern.finditer(text))
        return sorted(spans)

    # --- rules -----------------------------------------------------------

    def rule_candidates(self, text: str) -> list[Candidate]:
        """E-mail, phone, date of birth, address, postcode and street-name detections."""
        found = [Candidate(*m.span(), m.group(), "email", "email") for m in _EMAIL.finditer(text)]
        for m in _PHONE.finditer(text):
            if _is_phone(m.group()):
                found.append(Candidate(*m.span(), m.group(), "phone", "phone"))
        for m in _POSTCODE.finditer(text):
            code = m.group()
            if code == code.upper() or code == code.lower():
                found.append(Candidate(*m.span(), code, "postcode", "postcode"))
        found += [
            Candidate(*m.span(), m.group(), "address", "address") for m in _ADDRESS.finditer(text)
        ]
        found += _dates_of_birth(text)
        found += self.introductions(text)
        for m in _STREET.finditer(text):
            span = self.trim(text, *m.span())
            name = text[span[0] : span[1]] if span is not None else ""
            if span is not None and len(name.split()) >= 2:
                found.append(Candidate(*span, name, "street", None, {"place": 5}))
        return found

    def introductions(self, text: str) -> list[Candidate]:
        """Names given in self-introductions ("I am Yusuf", "my name is Nguyen Van An",
        "call me Tesfay"): the capitalised words after the cue, up to four, as a
        person's, whatever NER says. Not a word such as "Happy" or "Albanian"."""
        found = []
        for m in _INTRO.finditer(text):
            words = [(m.start("name") + w.start(), m.start("name") + w.end())
                     for w in _WORD.finditer(m.group("name"))]  # fmt: skip
            while words and text[words[0][0] : words[0][1]].lower() in HONORIFICS:
                words.pop(0)
            kept: list[tuple[int, int]] = []
            for s, e in words:
                word = text[s:e]
                lower = word.lower()
                if (
                    not word[0].isupper()
                    or lower in _NAME_BREAKS
                    or lower in NOT_INTRODUCED
                    or (not kept and lower in _stop_words())
                    or _is_demonym(word)
                    or self.is_allowed(word)
                ):
                    break
                kept.append((s, e))
            if not kept:
                continue
            start, end = kept[0][0], kept[-1][1]
            name = text[start:end]
            if self.name_like(name):
                found.append(Candidate(start, end, name, "intro", "person"))
        return found

    # --- names -------------------------------------------------------------

    def name_candidates(self, text: str) -> list[Candidate]:
        """Names from spaCy NER and the tagger's capitalised nouns; [] without the pipeline."""
        nlp = self.nlp
        if nlp is None:
            return []
        chunks = [(o, c) for o, c in _chunks(text) if any(ch.isalpha() for ch in c)]
        found: list[Candidate] = []
        for (offset, _), doc in zip(
            chunks, nlp.pipe([c for _, c in chunks], batch_size=64), strict=True
        ):
            line: list[Candidate] = []
            for ent in doc.ents:
                votes = self._entity_votes(ent.label_, ent.text)
                if votes is None:
                    continue
                if ent.label_ in ("GPE", "LOC", "FAC", "ORG") and _elliptical_possessive(
                    doc.text, ent.end_char
                ):
                    votes = {"organisation": 2.0}
                span = self.trim(text, offset + ent.start_char, offset + ent.end_char)
                if span is not None:
                    kind = "nationality" if "nationality" in votes else None
                    line.append(Candidate(*span, text[span[0] : span[1]], "ner", kind, votes))
            line += self._proper_noun_runs(doc, offset, text)
            found += _merge_adjacent(sorted(line, key=lambda c: c.start), text)
        return found

    def file_name_candidates(self, words: str) -> list[Candidate]:
        """Names in a file's name, given as words ("Yusuf interview" for
        Yusuf_interview.txt): NER finds few names in so short a text, so every run of
        capitalised proper nouns or entity words counts, wherever it stands, but not
        the words file names are made of (`FILE_WORDS`), speaker codes or study labels.
        A place for GPE/LOC/FAC, an organisation with an organisation word, else a
        person. [] without the pipeline."""
        nlp = self.nlp
        if nlp is None or not words.strip():
            return []
        protected = self.protected_spans(words)
        doc = nlp(words)
        runs: list[list[Any]] = []
        for token in doc:
            fits = (
                (token.pos_ == "PROPN" or token.ent_type_ not in ("", "CARDINAL", "DATE"))
                and token.text[:1].isupper()
                and token.text.lower() not in FILE_WORDS
                and self.name_like(token.text)
                and not any(s < token.idx + len(token) and token.idx < e for s, e in protected)
            )
            if not fits:
                runs.append([])
            elif runs and runs[-1] and runs[-1][-1].i == token.i - 1:
                runs[-1].append(token)
            else:
                runs.append([token])
        found = []
        for run in (r for r in runs if r):
            start, end = run[0].idx, run[-1].idx + len(run[-1].text)
            name = words[start:end]
            labels = {t.ent_type_ for t in run}
            if labels & {"GPE", "LOC", "FAC"}:
                votes = {"place": 1.0}
            elif _has_org_word(name):
                votes = {"organisation": 1.0}
            else:
                votes = {"person": 1.0}
            found.append(Candidate(start, end, name, "file_name", None, votes))
        return found

    def _entity_votes(self, label: str, text: str) -> dict[str, float] | None:
        """Kind votes for an entity label, or None when the entity is not a candidate."""
        if label in _NER_LABELS:
            return {_NER_LABELS[label]: 1.0}
        if label == "NORP":
            if _is_demonym(text):
                return {"nationality": 1.0} if self.nationalities else None
            return {"person": 0.5}  # spaCy often calls an unfamiliar first name NORP
        if label in _ORG_ONLY_LABELS and _has_org_word(text):
            return {"organisation": 1.0}
        return None

    def _proper_noun_runs(self, doc: Any, offset: int, text: str) -> list[Candidate]:
        """Runs of capitalised nouns outside entities (the tagger calls an unfamiliar
        name a proper noun or, mid-sentence, a noun), not one word opening a sentence
        unless the tagger calls it a proper noun and the sentence goes on."""
        if not doc.has_annotation("POS"):
            return []
        found = []
        run: list[Any] = []
        for token in [*doc, None]:
            fits = token is not None and self._proper_noun(token)
            if fits and (not run or _adjacent(run[-1], token)):
                run.append(token)
                continue
            if run and (len(run) > 1 or not _opens_sentence(run[0]) or _proper_subject(run[0])):
                start = offset + run[0].idx
                span = self.trim(text, start, offset + run[-1].idx + len(run[-1].text))
                if span is not None:
                    found.append(
                        Candidate(*span, text[span[0] : span[1]], "tagger", None, {"person": 0.5})
                    )
            run = [token] if fits else []
        return found

    def _proper_noun(self, token: Any) -> bool:
        word = token.text
        return (
            token.pos_ in ("PROPN", "NOUN")
            and token.ent_iob_ == "O"
            and _NAME_TOKEN.fullmatch(word) is not None
            and word[0].isupper()
            and sum(c.isupper() for c in word) * 2 <= len(word)
            and word.lower() not in HONORIFICS
            and word.lower() not in DEMONYMS
            and not self.is_allowed(word)
            and SPEAKER_CODE.fullmatch(word) is None
        )

    # --- trimming ----------------------------------------------------------

    def trim(self, text: str, start: int, end: int) -> tuple[int, int] | None:
        """Narrow a name span: drop edge punctuation, leading determiners, honorifics
        and cue words, a possessive 's; None when nothing name-like is left."""
        words = [(start + m.start(), start + m.end()) for m in _WORD.finditer(text[start:end])]
        trimmed = []
        for s, e in words:
            while s < e and text[s] in _EDGE_PUNCT:
                s += 1
            while e > s and text[e - 1] in _EDGE_PUNCT:
                e -= 1
            if s < e:
                trimmed.append((s, e))
        lead = _lead_trim_words()
        while trimmed and text[trimmed[0][0] : trimmed[0][1]].lower() in lead:
            trimmed.pop(0)
        while trimmed and text[trimmed[-1][0] : trimmed[-1][1]].lower() in _stop_words():
            trimmed.pop()
        if not trimmed:
            return None
        start, end = trimmed[0][0], trimmed[-1][1]
        saint = text[start:end].split()[0] in ("St", "St.", "Saint")  # St Mary's is a name
        for suffix in () if saint else ("'s", "\u2019s", "'", "\u2019"):
            if text[start:end].endswith(suffix) and end - len(suffix) > start:
                end -= len(suffix)
                break
        name = text[start:end]
        if not self.name_like(name):
            return None
        return start, end

    def name_like(self, name: str) -> bool:
        """Capitalised, has a letter, is no speaker code, label, particle or allowed term."""
        if len(name) < 2 or not name[0].isupper() or "\n" in name:
            return False
        if not any(c.isalpha() for c in name):
            return False
        if all(w.lower() in PARTICLES or w.lower() in HONORIFICS for w in name.split()):
            return False
        if self.is_allowed(name) or _is_demonym(name):
            return False
        return not any(
            p.fullmatch(name) for p in (SPEAKER_CODE, STRUCTURAL_LABEL, PSEUDONYM, _DATE)
        )

    # --- speakers ------------------------------------------------------------

    def speaker_names(self, turns: Iterable[Turn]) -> list[str]:
        """Speaker labels that are names: not a speaker code, a role or a numbered label.

        ``Facilitator (Sam)`` gives "Sam"; ``Amira`` gives "Amira"; ``YP1``,
        ``Interpreter`` and ``Girl 2`` give nothing.
        """
        names: dict[str, str] = {}
        for speaker in {t.speaker for t in turns if t.speaker}:
            core, _, rest = speaker.partition("(")
            core = core.strip()
            inner = rest.rstrip(") ").strip()
            for name in (core, inner):
                if not name or SPEAKER_CODE.fullmatch(name) or any(c.isdigit() for c in name):
                    continue
                if self.name_like(name) and normalise_key(name) not in names:
                    names[normalise_key(name)] = name
        return sorted(names.values())


def context_votes(text: str, start: int, end: int) -> dict[str, float]:
    """Kind votes from the words around one occurrence of a name.

    Person: "my friend X", "Mr X", "called X", "my name is X", "X, my cousin",
    "X is my brother", "X lives", "X is from". Place: "in X", "from X", "X station",
    a street type at the end. Organisation: a word such as School or Project inside
    it, or "St Mary's".
    """
    votes: dict[str, float] = {}

    def vote(kind: str, weight: float) -> None:
        votes[kind] = votes.get(kind, 0.0) + weight

    line = text[max(0, start - 40) : start].split("\n")[-1]
    before = [w.lower() for w in re.findall(r"[\w'.]+", line)]
    after = [w.lower() for w in re.findall(r"[\w']+", text[end : end + 30].split("\n")[0])]
    words = text[start:end].split()
    previous = before[-1] if before else ""
    if previous in HONORIFICS:
        vote("person", 5)
    elif previous in PERSON_CUES:
        vote("person", PERSON_CUES[previous])
    elif previous in PLACE_CUES:
        vote("place", PLACE_CUES[previous])
    if before[-2:] == ["name", "is"]:
        vote("person", 3)
    following = after[:4]
    while following and following[0] in _ADVERBS:
        following.pop(0)
    if following[:1] and following[0] in PLACE_AFTER:
        vote("place", 1.5)
    if (
        following[:1]
        and following[0] in PERSON_VERBS
        or following[:2]
        in (
            ["is", "from"],
            ["was", "from"],
        )
    ):
        vote("person", 1.5)
    if following[:1] in (["is"], ["was"]):
        following = following[1:]  # "X is my brother" reads like "X, my brother"
    elif text[end : end + 1] != ",":
        following = []
    if len(following) >= 2 and following[0] in _POSSESSIVES and following[1] in PERSON_CUES:
        vote("person", PERSON_CUES[following[1]])
    if words and words[0] in ("St", "St.", "Saint") and text[start:end].endswith("'s"):
        vote("organisation", 3)
    if len(words) > 1 and _has_org_word(" ".join(words[1:])):
        vote("organisation", 5)
    if len(words) > 1 and re.fullmatch(STREET_NAMES_ALONE, words[-1]):
        vote("place", 5)
    return votes


def _elliptical_possessive(line: str, end: int) -> bool:
    """Whether a name ending at `end` is a possessive standing alone ("at Barnardo's",
    "Barnardo's helped me"): 's followed by nothing, punctuation or a function word,
    as the names of shops and charities are used."""
    match = _ELLIPTICAL.match(line, end)
    if match is None:
        return False
    following = match.group("next")
    return not following or following.lower() in _stop_words()


def _has_org_word(text: str) -> bool:
    return any(w.strip(_EDGE_PUNCT).lower() in ORG_WORDS for w in text.split())


def _is_demonym(text: str) -> bool:
    """On the nationality list (a suffix rule would take Brian, Sean and Hamish)."""
    words = [w.strip(_EDGE_PUNCT).lower() for w in text.split()]
    return bool(words) and all(w in DEMONYMS for w in words)


def _is_phone(match: str) -> bool:
    """Digit count of a UK (10-11, leading 0) or international (8-15) number."""
    digits = sum(c.isdigit() for c in match)
    if match.startswith(("+", "00")):
        return 8 <= digits <= 15
    return 10 <= digits <= 11


def _dates_of_birth(text: str) -> list[Candidate]:
    """Dates in the same sentence as a birth word: up to 80 characters after it or 40 before."""
    triggers = list(_BIRTH.finditer(text))
    found = []
    for date in _DATE.finditer(text):
        for trigger in triggers:
            if trigger.end() <= date.start():
                gap = text[trigger.end() : date.start()]
                near = len(gap) <= 80
            elif date.end() <= trigger.start():
                gap = text[date.end() : trigger.start()]
                near = len(gap) <= 40
            else:
                continue
            if near and "\n" not in gap and not _SENTENCE_END.search(gap):
                kind = "date_of_birth"
                found.append(Candidate(*date.span(), date.group(), kind, kind))
                break
    return found


def _chunks(text: str) -> Iterator[tuple[int, str]]:
    """(offset, line) for each line, long lines cut at whitespace into pieces for spaCy."""
    offset = 0
    for line in text.split("\n"):
        start = 0
        while len(line) - start > _CHUNK:
            cut = line.rfind(" ", start, start + _CHUNK)
            cut = cut if cut > start else start + _CHUNK
            yield offset + start, line[start:cut]
            start = cut
        yield offset + start, line[start:]
        offset += len(line) + 1


def _adjacent(left: Any, right: Any) -> bool:
    return right.i == left.i + 1 and left.whitespace_ == " "


def _proper_subject(token: Any) -> bool:
    """A proper noun opening a sentence that goes on ("Sheffield was my second city"),
    not a sentence of one word ("Lovely.")."""
    following = token.i + 1 < len(token.doc) and token.doc[token.i + 1].is_alpha
    return token.pos_ == "PROPN" and following


def _opens_sentence(token: Any) -> bool:
    """First in its line, after sentence punctuation or markup (not a comma), or after a
    speaker code."""
    if token.i == 0:
        return True
    previous = token.doc[token.i - 1].text
    if not any(c.isalnum() for c in previous) and previous not in _INNER_PUNCT:
        return True
    return SPEAKER_CODE.fullmatch(previous) is not None


def _merge_adjacent(found: list[Candidate], text: str) -> list[Candidate]:
    """Join name pieces separated by one space when one is a person's ("Amna" + "Idris")."""
    merged: list[Candidate] = []
    for candidate in found:
        if merged:
            last = merged[-1]
            if (
                text[last.end : candidate.start] == " "
                and last.kind is None
                and candidate.kind is None
                and max(last.votes.get("person", 0), candidate.votes.get("person", 0)) >= 1
                and all(v.get("person", 0) > 0 for v in (last.votes, candidate.votes))
            ):
                votes = dict(last.votes)
                for kind, weight in candidate.votes.items():
                    votes[kind] = votes.get(kind, 0) + weight
                merged[-1] = Candidate(
                    last.start, candidate.end, text[last.start : candidate.end], "ner", None, votes
                )
                continue
        merged.append(candidate)
    return merged
