"""Review one document's detections before its text is stored, then apply them.

    plan = plan_pseudonymisation(parsed, mapping)   # or Pseudonymiser.plan(parsed)
    for d in plan.detections:                        # id, text, kind, pseudonym, context
        ...
    plan.add("Mebrat", "person")   # a missed name: replaced here, and in later documents
    plan.keep(d.id)                # a false detection: this occurrence stays as written
    plan.keep("Hope")              # a false string: stays here and in later documents
    plan.keep_keys({d.key})        # every occurrence of a detected string, here only
    plan.set_kind("Manchester", "place")  # a detected name of the wrong kind
    document = plan.apply()        # a ParsedDocument: text rewritten, turn offsets shifted
    plan.rebased(newer_mapping)    # the same review against a newer mapping, no new NER run

How a plan decides: rule detections, NER names, speaker-label names, known
originals (from the project mapping) and added strings compete for overlapping
spans (higher priority, then longer, wins); then every other occurrence of a
detected string in the document is replaced too, and the single words of a
person's full name ("Semhar" of "Semhar Tesfaye") get the full name's
pseudonym. A name's kind is the mapping's if it has one, else a vote over its
occurrences (NER labels and the words around each occurrence).

A file's name is data too (transcripts are often named after a participant): given
`name`, the plan checks it like the text. Every string replaced in the text or known
to the mapping is replaced in the name as well (any case), and names only the file
name holds (`Detector.file_name_candidates`) get pseudonyms of their own;
`file_name` is the name the document is stored under.
"""

from __future__ import annotations

import copy
import re
from bisect import bisect_right, insort
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace

from qualcode.ingest.model import ParsedDocument, Turn
from qualcode.privacy.detect import RULE_KINDS, Candidate, Detector, context_votes
from qualcode.privacy.pseudonyms import (
    KINDS,
    PSEUDONYM,
    MappingEntry,
    PseudonymMap,
    format_pseudonym,
    key_for,
    normalise_key,
    parse_pseudonym,
)
from qualcode.privacy.terms import HONORIFICS, PARTICLES, SPEAKER_CODE

_CONTEXT = 40
_KIND_ORDER = ("person", "place", "organisation", "nationality")
NAME_KINDS = _KIND_ORDER
"""The kinds of a name (what `set_kind` chooses between)."""


@dataclass(frozen=True)
class Detection:
    """One span the plan will replace. `id` is its start offset in the original text."""

    id: int
    start: int
    end: int
    text: str
    kind: str
    pseudonym: str
    source: str  # email, phone, ..., intro, ner, tagger, speaker, known, repeat, added
    key: str
    context_before: str
    context_after: str

    @property
    def context(self) -> str:
        """The line around the detection, the detection marked «like this»."""
        return f"{self.context_before}«{self.text}»{self.context_after}"


@dataclass(frozen=True)
class Replacement:
    """One replacement made: offsets in the original and in the stored text."""

    original: str
    pseudonym: str
    kind: str
    source: str
    start: int
    end: int
    new_start: int
    new_end: int


@dataclass
class PseudonymisedDocument(ParsedDocument):
    """A ParsedDocument whose text is pseudonymised, with what is needed to log it."""

    replacements: list[Replacement] = field(default_factory=list)
    new_entries: dict[str, MappingEntry] = field(default_factory=dict)
    counters: dict[str, int] = field(default_factory=dict)
    base_counters: dict[str, int] = field(default_factory=dict)
    kept_terms: dict[str, str] = field(default_factory=dict)
    detector: str = ""
    name: str | None = None  # the file's name as stored (checked like the text)


class PseudonymisationPlan:
    """Detections for one document against a project mapping; see the module docstring.

    The mapping is only read: new pseudonyms are tentative until the applied
    document is committed to the replacement log.
    """

    def __init__(
        self,
        parsed: ParsedDocument,
        mapping: PseudonymMap | None = None,
        detector: Detector | None = None,
        name: str | None = None,
    ) -> None:
        self.parsed = parsed
        self.mapping = mapping if mapping is not None else PseudonymMap()
        self.detector = detector if detector is not None else Detector()
        self.name = name
        self._name_words = _file_name_words(name) if name else ""
        self._name_found = self.detector.file_name_candidates(self._name_words)
        text = parsed.text
        self._protected = _merge(self.detector.protected_spans(text))
        self._speakers = {normalise_key(n): n for n in self.detector.speaker_names(parsed.turns)}
        self._found = self.detector.rule_candidates(text) + self.detector.name_candidates(text)
        self._base = self._found + self._speaker_candidates() + self._known_candidates()
        self._added: dict[str, tuple[str, str]] = {}
        self._kept_keys: dict[str, str] = {}
        self._kept_spans: set[tuple[int, int]] = set()
        self._set_kinds: dict[str, str] = {}
        self._resolve()

    # --- review ----------------------------------------------------------------

    @property
    def detections(self) -> list[Detection]:
        """What apply() will replace, in text order."""
        return list(self._detections)

    @property
    def note(self) -> str | None:
        """Why detection may miss more than usual (no spaCy pipeline), or None."""
        return self.detector.note

    @property
    def file_name(self) -> str | None:
        """The file's name as it will be stored: its detected names replaced."""
        return self._stored_name

    @property
    def file_name_detections(self) -> list[tuple[str, str, str]]:
        """(original, kind, pseudonym) of each name replaced in the file's name."""
        return list(self._name_detections)

    def pseudonym_for(self, text: str, kind: str | None = None) -> str | None:
        """The pseudonym a string gets in this plan (or already has), if any."""
        return self._pseudonyms.get(key_for(text, kind))

    def add(self, text: str, kind: str = "person") -> list[Detection]:
        """Replace every occurrence of `text` (any case, whole words), here and in later
        documents; returns its detections here (none if it does not occur)."""
        text = " ".join(text.split())
        if not text:
            raise ValueError("nothing to add: the string is empty")
        if kind not in KINDS:
            raise ValueError(f"unknown kind {kind!r} (one of: {', '.join(KINDS)})")
        if parse_pseudonym(text) or SPEAKER_CODE.fullmatch(text):
            raise ValueError(f"{text!r} is a pseudonym or speaker code and is never replaced")
        key = key_for(text, kind)
        self._kept_keys.pop(key, None)
        self._added[key] = (text, kind)
        self._resolve()
        return [d for d in self._detections if d.key == key]

    def keep(self, target: int | str) -> list[Detection]:
        """Keep a detection (by id) or a string (here and in later documents) as written;
        returns the detections that are no longer replaced."""
        before = self._detections
        if isinstance(target, int):
            found = [d for d in before if d.id == target]
            if not found:
                raise KeyError(f"no detection with id {target}")
            self._kept_spans.add((found[0].start, found[0].end))
        else:
            text = " ".join(target.split())
            if not text:
                raise ValueError("nothing to keep: the string is empty")
            keys = {normalise_key(text)} | {key_for(text, k) for k in ("phone", "postcode")}
            for key in keys:
                self._added.pop(key, None)
            keys &= {d.key for d in before} | {normalise_key(text)}
            for key in keys:
                self._kept_keys[key] = text
        self._resolve()
        remaining = {(d.start, d.end) for d in self._detections}
        return [d for d in before if (d.start, d.end) not in remaining]

    def keep_keys(self, keys: Iterable[str]) -> list[Detection]:
        """Keep every detection with one of these keys (`Detection.key`) as written, in
        this document only (keep(str) also keeps a string in later documents); returns
        the detections that are no longer replaced. Added strings are not kept."""
        keys = set(keys)
        before = self._detections
        for _ in range(3):  # a kept occurrence can leave a repeat to be kept in turn
            found = {
                (d.start, d.end) for d in self._detections if d.key in keys and d.source != "added"
            }
            if found <= self._kept_spans:
                break
            self._kept_spans |= found
            self._resolve()
        remaining = {(d.start, d.end) for d in self._detections}
        return [d for d in before if (d.start, d.end) not in remaining]

    def set_kind(self, text: str, kind: str) -> list[Detection]:
        """Give a detected name another kind (person, place, organisation, nationality):
        every occurrence here gets a pseudonym of that kind, and the replacement log
        keeps it for later documents. A name the log already has keeps its kind and
        pseudonym (ValueError), like a rule's detection (an e-mail stays an e-mail).
        Returns the name's detections."""
        if kind not in NAME_KINDS:
            raise ValueError(f"a name's kind is one of: {', '.join(NAME_KINDS)}")
        key = normalise_key(" ".join(text.split()))
        found = [d for d in self._detections if d.key == key]
        if not found:
            raise ValueError(f"{text!r} is not detected in this document")
        if found[0].kind not in NAME_KINDS:
            raise ValueError(
                f"{text!r} is a detected {KINDS[found[0].kind].lower()}: its kind stays"
            )
        entry = self.mapping.entries.get(key)
        if entry is not None and entry.kind != kind:
            raise ValueError(
                f"{text!r} is {entry.pseudonym} in the replacement log already: its kind stays"
            )
        self._set_kinds[key] = kind
        self._resolve()
        return [d for d in self._detections if d.key == key]

    def occurs(self, text: str) -> bool:
        """Whether add(text) would find `text` here (any case, whole words)."""
        text = " ".join(text.split())
        return bool(text) and bool(_occurrences(self.parsed.text, text, capital=False))

    def rebased(self, mapping: PseudonymMap) -> PseudonymisationPlan:
        """This plan against another mapping, with its adds and keeps and without running
        the detector again (NER is the slow part): how a reviewed document is planned
        against the log as it stands when it is stored, or as earlier documents of a
        batch will leave it."""
        plan = copy.copy(self)
        plan.mapping = mapping
        plan._added = dict(self._added)
        plan._kept_keys = dict(self._kept_keys)
        plan._kept_spans = set(self._kept_spans)
        plan._set_kinds = dict(self._set_kinds)
        plan._base = plan._found + plan._speaker_candidates() + plan._known_candidates()
        plan._resolve()
        return plan

    # --- apply -------------------------------------------------------------------

    def apply(self) -> PseudonymisedDocument:
        """The document with every detection replaced and every turn's offsets shifted,
        so that ``text[turn.start:turn.end]`` is still the (pseudonymised) utterance."""
        text = self.parsed.text
        pieces: list[str] = []
        replacements: list[Replacement] = []
        position = new_position = 0
        for d in self._detections:
            pieces.append(text[position : d.start])
            new_position += d.start - position
            pieces.append(d.pseudonym)
            replacements.append(
                Replacement(
                    d.text,
                    d.pseudonym,
                    d.kind,
                    d.source,
                    d.start,
                    d.end,
                    new_position,
                    new_position + len(d.pseudonym),
                )
            )
            new_position += len(d.pseudonym)
            position = d.end
        pieces.append(text[position:])
        turns = [self._shift_turn(t, replacements) for t in self.parsed.turns]
        return PseudonymisedDocument(
            text="".join(pieces),
            format=self.parsed.format,
            turns=turns,
            replacements=replacements,
            new_entries=dict(self._new_entries),
            counters=dict(self._counters),
            base_counters=dict(self.mapping.counters),
            kept_terms=dict(self._kept_keys),
            detector=self.detector.model_name,
            name=self._stored_name,
        )

    def _shift_turn(self, turn: Turn, replacements: list[Replacement]) -> Turn:
        ends = [r.end for r in replacements]
        return replace(
            turn,
            start=_shift(turn.start, False, replacements, ends),
            end=_shift(turn.end, True, replacements, ends),
            speaker=self._rewrite(turn.speaker),
            activity=self._rewrite(turn.activity),
            attributes={k: self._rewrite(v) or "" for k, v in turn.attributes.items()},
        )

    def _rewrite(self, value: str | None) -> str | None:
        """A speaker label or attribute value with known originals replaced."""
        if not value or self._rewrite_pattern is None:
            return value
        codes = [m.span() for m in SPEAKER_CODE.finditer(value)]

        def swap(match: re.Match[str]) -> str:
            found = match.group()
            table = self._rewrite_table.get(normalise_key(found))
            if table is None or any(s < match.end() and match.start() < e for s, e in codes):
                return found
            pseudonym, needs_capital = table
            return found if needs_capital and not found[0].isupper() else pseudonym

        return self._rewrite_pattern.sub(swap, value)

    # --- candidates --------------------------------------------------------------

    def _speaker_candidates(self) -> list[Candidate]:
        text = self.parsed.text
        return [
            Candidate(s, e, text[s:e], "speaker", None, {"person": 2.0})
            for name in self._speakers.values()
            for s, e in _occurrences(text, name, capital=False)
        ]

    def _known_candidates(self) -> list[Candidate]:
        """Occurrences of originals already in the project mapping (any earlier document)."""
        text = self.parsed.text
        words = _words(text)
        entries = {
            key: entry
            for key, entry in self.mapping.entries.items()
            if entry.kind not in ("phone", "postcode")
            and key not in self.mapping.kept
            and _words(key) <= words
        }
        if not entries:
            return []
        found = []
        for m in _alternation([e.original for e in entries.values()]).finditer(text):
            entry = entries.get(normalise_key(m.group()))
            if entry is None or (entry.original[0].isupper() and not m.group()[0].isupper()):
                continue
            found.append(Candidate(*m.span(), m.group(), "known", entry.kind))
        return found

    # --- resolution --------------------------------------------------------------

    def _resolve(self) -> None:
        """Recompute the detections from the candidates, adds and keeps."""
        text = self.parsed.text
        candidates = list(self._base)
        for typed, kind in self._added.values():
            candidates += [
                Candidate(s, e, text[s:e], "added", kind)
                for s, e in _occurrences(text, typed, capital=False)
            ]
        blocked_keys = (set(self.mapping.kept) | set(self._kept_keys)) - set(self._added)
        kept_spans = _merge(list(self._kept_spans))
        usable = []
        for c in candidates:
            if c.source != "added" and (c.key in blocked_keys or _overlaps(c, kept_spans)):
                continue
            cleared = self._clear(c)
            if cleared is not None:
                usable.append(cleared)
        accepted = _select(usable)

        occupied = _merge([(c.start, c.end) for c in accepted] + self._protected + kept_spans)
        repeats = self._repeats(accepted, occupied)
        kinds = self._kinds(accepted + repeats)
        occupied = _merge(occupied + [(c.start, c.end) for c in repeats])
        aliases, component_repeats = self._components(
            accepted + repeats, kinds, occupied, blocked_keys
        )
        every = sorted(accepted + repeats + component_repeats, key=lambda c: c.start)
        self._assign(every, kinds, aliases)

    def _clear(self, c: Candidate) -> Candidate | None:
        """The candidate cut free of protected spans (names only), or None."""
        first = max(0, bisect_right(self._protected, (c.start, c.end)) - 1)
        clashes = []
        for s, e in self._protected[first:]:
            if s >= c.end:
                break
            if c.start < e:
                clashes.append((s, e))
        if not clashes:
            return c
        if c.kind not in (None, "person", "place", "organisation") or c.source == "added":
            return None
        pieces, position = [], c.start
        for s, e in clashes:
            pieces.append((position, min(s, c.end)))
            position = max(position, e)
        pieces.append((position, c.end))
        start, end = max(pieces, key=lambda p: p[1] - p[0])
        span = self.detector.trim(self.parsed.text, start, end) if end > start else None
        if span is None:
            return None
        return Candidate(*span, self.parsed.text[span[0] : span[1]], c.source, c.kind, c.votes)

    def _repeats(
        self, accepted: list[Candidate], occupied: list[tuple[int, int]]
    ) -> list[Candidate]:
        """Every other occurrence of each accepted string."""
        text = self.parsed.text
        taken = list(occupied)
        found: list[Candidate] = []
        surfaces: dict[str, tuple[str, str | None]] = {}
        for c in accepted:
            surfaces.setdefault(c.text, (c.key, c.kind))
        for surface, (key, kind) in surfaces.items():
            capital = surface[0].isupper() and key not in self._speakers
            for s, e in _occurrences(text, surface, capital=capital):
                if not _overlaps_span(s, e, taken):
                    found.append(Candidate(s, e, text[s:e], "repeat", kind))
                    insort(taken, (s, e))
        return found

    def _kinds(self, candidates: list[Candidate]) -> dict[str, str]:
        """The kind of each key: mapping, added, rule, else the vote over occurrences."""
        text = self.parsed.text
        fixed: dict[str, str] = {}
        votes: dict[str, dict[str, float]] = {}
        for c in candidates:
            if c.kind is not None:
                fixed.setdefault(c.key, c.kind)
                continue
            tally = votes.setdefault(c.key, {})
            for source in (c.votes, context_votes(text, c.start, c.end)):
                for kind, weight in source.items():
                    tally[kind] = tally.get(kind, 0.0) + weight
        kinds: dict[str, str] = {}
        for key in {*fixed, *votes}:
            entry = self.mapping.entries.get(key)
            if entry is not None:
                kinds[key] = entry.kind
            elif key in self._added:
                kinds[key] = self._added[key][1]
            elif key in self._set_kinds:
                kinds[key] = self._set_kinds[key]
            elif key in fixed:
                kinds[key] = fixed[key]
            else:
                tally = votes[key]
                kinds[key] = max(
                    _KIND_ORDER, key=lambda k: (tally.get(k, 0.0), -_KIND_ORDER.index(k))
                )
        return kinds

    def _components(
        self,
        candidates: list[Candidate],
        kinds: dict[str, str],
        occupied: list[tuple[int, int]],
        blocked: set[str],
    ) -> tuple[dict[str, tuple[str, str]], list[Candidate]]:
        """Words of a person's full name: key -> (full name's key, word), and the words'
        occurrences. Aliases are saved even where the word does not occur alone, so a
        later "Semhar" gets the pseudonym of an earlier "Semhar Tesfaye"."""
        text = self.parsed.text
        aliases: dict[str, tuple[str, str]] = {}
        for c in candidates:
            if kinds.get(c.key) != "person" or len(c.text.split()) < 2:
                continue
            for word in c.text.split():
                word = word.strip(".,'\u2019")
                key = normalise_key(word)
                if (
                    len(word) < 3
                    or not word[0].isupper()
                    or key in PARTICLES
                    or key in HONORIFICS
                    or key in blocked
                    or key in aliases
                    or key == c.key
                    or key in self.mapping.entries
                    or key in self._added
                    or not self.detector.name_like(word)
                ):
                    continue
                aliases[key] = (c.key, word)
        taken = list(occupied)
        found = []
        for _, word in aliases.values():
            for s, e in _occurrences(text, word, capital=True):
                if not _overlaps_span(s, e, taken):
                    found.append(Candidate(s, e, text[s:e], "repeat", None))
                    insort(taken, (s, e))
        return aliases, found

    def _assign(
        self,
        candidates: list[Candidate],
        kinds: dict[str, str],
        aliases: dict[str, tuple[str, str]],
    ) -> None:
        """Pseudonyms for every key, new ones numbered in order of first appearance."""
        text = self.parsed.text
        scratch = self.mapping.copy()
        for m in PSEUDONYM.finditer(text):
            parsed = parse_pseudonym(m.group())
            if parsed is not None:
                scratch.reserve(*parsed)
        originals: dict[str, str] = {}
        for c in candidates:
            originals.setdefault(c.key, c.text)
        for key, (typed, _) in self._added.items():
            originals.setdefault(key, typed)
        for key, (_, word) in aliases.items():
            originals.setdefault(key, word)
        for key, name in self._speakers.items():
            if key not in self._kept_keys and key not in self.mapping.kept:
                originals.setdefault(key, name)
                kinds.setdefault(key, "person")
        blocked = set(self.mapping.kept) | set(self._kept_keys)
        for c in self._name_found:  # names only the file's name holds
            if c.key in originals or c.key in self.mapping.entries or c.key in blocked:
                continue
            voted = max(_KIND_ORDER, key=lambda k: (c.votes.get(k, 0.0), -_KIND_ORDER.index(k)))
            originals[c.key] = c.text
            kinds.setdefault(c.key, self._set_kinds.get(c.key, voted))
        pseudonyms: dict[str, str] = {}
        new_entries: dict[str, MappingEntry] = {}

        def kind_of(key: str) -> str:
            if key in aliases and key not in self.mapping.entries:
                return kind_of(aliases[key][0])
            return kinds.get(key, "person")

        def assign(key: str) -> str:
            if key in pseudonyms:
                return pseudonyms[key]
            entry = self.mapping.entries.get(key)
            if entry is not None:
                pseudonyms[key] = entry.pseudonym
                return entry.pseudonym
            if key in aliases:
                pseudonym = assign(aliases[key][0])
            else:
                pseudonym = format_pseudonym(kind_of(key), scratch.next_number(kind_of(key)))
            pseudonyms[key] = pseudonym
            new_entries[key] = MappingEntry(originals[key], kind_of(key), pseudonym)
            return pseudonym

        for c in candidates:
            assign(c.key)
        for key in originals:
            assign(key)
        self._pseudonyms = pseudonyms
        self._new_entries = new_entries
        self._counters = scratch.counters
        self._detections = [
            Detection(
                id=c.start,
                start=c.start,
                end=c.end,
                text=c.text,
                kind=kind_of(c.key),
                pseudonym=pseudonyms[c.key],
                source=c.source,
                key=c.key,
                context_before=_context_before(text, c.start),
                context_after=_context_after(text, c.end),
            )
            for c in candidates
        ]
        table: dict[str, tuple[str, bool]] = {}
        labels = _words(
            " ".join(
                f"{t.speaker or ''} {t.activity or ''} {' '.join(t.attributes.values())}"
                for t in self.parsed.turns
            )
        )
        for key, entry in self.mapping.entries.items():
            if (
                entry.kind not in ("phone", "postcode")
                and key not in self.mapping.kept
                and _words(key) <= labels
            ):
                table[key] = (entry.pseudonym, entry.original[0].isupper())
        for key, original in originals.items():
            if not key.startswith(("phone:", "postcode:")):
                table[normalise_key(original)] = (
                    pseudonyms[key],
                    original[0].isupper() and key not in self._speakers,
                )
        for key in set(self._kept_keys):
            table.pop(key, None)
        self._rewrite_table = table
        self._rewrite_pattern = _alternation(list(table)) if table else None
        self._rename(originals, pseudonyms, kind_of, blocked)

    def _rename(
        self,
        originals: dict[str, str],
        pseudonyms: dict[str, str],
        kind_of: Callable[[str], str],
        blocked: set[str],
    ) -> None:
        """The file's name with every replaced or known string in it replaced (any case)."""
        self._stored_name = self.name
        self._name_detections: list[tuple[str, str, str]] = []
        if not self.name:
            return
        words = _words(self._name_words)
        table: dict[str, tuple[str, str]] = {}
        for key, entry in self.mapping.entries.items():
            if entry.kind not in ("phone", "postcode") and _words(key) <= words:
                table[key] = (entry.pseudonym, entry.kind)
        for key, original in originals.items():
            if key in pseudonyms and _words(original) <= words:
                table[normalise_key(original)] = (pseudonyms[key], kind_of(key))
        for key in blocked:
            table.pop(key, None)
        if not table:
            return
        stem = self._name_words
        pieces, position = [], 0
        for m in _alternation(list(table)).finditer(stem):
            found = table.get(normalise_key(m.group()))
            if found is None:
                continue
            pieces.append(self.name[position : m.start()])
            pieces.append(found[0])
            position = m.end()
            self._name_detections.append((m.group(), found[1], found[0]))
        pieces.append(self.name[position:])
        self._stored_name = "".join(pieces)


def plan_pseudonymisation(
    parsed: ParsedDocument,
    mapping: PseudonymMap | None = None,
    detector: Detector | None = None,
    name: str | None = None,
) -> PseudonymisationPlan:
    """A review plan for one document (and its file's `name`) against a project mapping
    (empty if None)."""
    return PseudonymisationPlan(parsed, mapping, detector, name)


def absorb(mapping: PseudonymMap, document: PseudonymisedDocument) -> None:
    """Add a document's new pseudonyms, counters and kept strings to `mapping`."""
    for key, entry in document.new_entries.items():
        mapping.entries[key] = entry
        mapping.kept.pop(key, None)
    for kind, number in document.counters.items():
        mapping.reserve(kind, number)
    mapping.kept.update(document.kept_terms)


def mapping_with(mapping: PseudonymMap, document: PseudonymisedDocument) -> PseudonymMap:
    """A copy of `mapping` as it will be once `document` is logged: what the next
    document of a batch is planned against, so a batch is numbered as it will be stored."""
    merged = mapping.copy()
    absorb(merged, document)
    return merged


def _file_name_words(name: str) -> str:
    """A file's name as words, character for character (offsets stay those of the
    name): the suffix blanked, separators such as _ - . as spaces."""
    stem, dot, suffix = name.rpartition(".")
    if not dot or not stem or " " in suffix or len(suffix) > 5:
        stem, suffix = name, ""
    blanked = re.sub(r"[_\-.+,()\[\]]", " ", stem)
    return blanked + " " * (len(name) - len(stem))


def _occurrences(text: str, surface: str, capital: bool) -> list[tuple[int, int]]:
    """Whole-word, case-insensitive occurrences of `surface` (any spacing, either
    apostrophe); with `capital`, only those starting with a capital letter."""
    pattern = _alternation([surface])
    return [m.span() for m in pattern.finditer(text) if not capital or m.group()[0].isupper()]


def _words(text: str) -> set[str]:
    """The case-folded word characters runs of a text: a cheap pre-filter for matching."""
    return set(re.findall(r"\w+", text.casefold()))


def _alternation(surfaces: Iterable[str]) -> re.Pattern[str]:
    """One case-insensitive whole-word pattern for several strings, longest first."""
    parts = []
    for surface in sorted(set(surfaces), key=len, reverse=True):
        words = [re.escape(w).replace("'", "['\u2019]") for w in surface.split()]
        if words:
            parts.append(r"[ \t]+".join(words))
    return re.compile(r"(?<![\w@.])(?:" + "|".join(parts) + r")(?![\w@]|\.\w)", re.IGNORECASE)


def _select(candidates: list[Candidate]) -> list[Candidate]:
    """Non-overlapping candidates: added strings, then rules, then names; within
    each tier the longer span, then the higher priority, then the earlier one."""
    chosen: list[tuple[int, int]] = []
    kept: list[Candidate] = []
    order = sorted(candidates, key=lambda c: (-_tier(c), -(c.end - c.start), -c.priority, c.start))
    for c in order:
        if not _overlaps_span(c.start, c.end, chosen):
            insort(chosen, (c.start, c.end))
            kept.append(c)
    return kept


def _tier(c: Candidate) -> int:
    if c.source == "added":
        return 2
    return 1 if c.source in RULE_KINDS or c.source == "intro" else 0


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted spans with overlapping ones joined."""
    merged: list[tuple[int, int]] = []
    for s, e in sorted(spans):
        if merged and s < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(e, merged[-1][1]))
        else:
            merged.append((s, e))
    return merged


def _overlaps(c: Candidate, spans: list[tuple[int, int]]) -> bool:
    return _overlaps_span(c.start, c.end, spans)


def _overlaps_span(start: int, end: int, spans: list[tuple[int, int]]) -> bool:
    """Whether [start, end) overlaps a span of a sorted list of non-overlapping spans
    (only the neighbours of its insertion point can)."""
    i = bisect_right(spans, (start, end))
    return any(
        0 <= j < len(spans) and spans[j][0] < end and start < spans[j][1] for j in (i - 1, i)
    )


def _shift(offset: int, is_end: bool, replacements: list[Replacement], ends: list[int]) -> int:
    """Where an original offset lands in the new text; an offset inside a replaced
    span moves to the pseudonym's start (a turn start) or end (a turn end)."""
    i = bisect_right(ends, offset)
    if i < len(replacements) and replacements[i].start < offset:
        r = replacements[i]
        return r.new_end if is_end else r.new_start
    if i == 0:
        return offset
    r = replacements[i - 1]
    return offset + (r.new_end - r.end)


def _context_before(text: str, start: int) -> str:
    line_start = text.rfind("\n", 0, start) + 1
    return text[max(line_start, start - _CONTEXT) : start]


def _context_after(text: str, end: int) -> str:
    line_end = text.find("\n", end)
    line_end = len(text) if line_end < 0 else line_end
    return text[end : min(line_end, end + _CONTEXT)]
