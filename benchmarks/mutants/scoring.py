"""regcheck's findings on a mutated copy against the unmutated copy's: what each mutation caused.

A finding is keyed by (code, place). In the mutated file the place is the module line in the
mutated text: the unmutated file's findings are carried over by the line map, so a finding that
only moved with the lines is not new. A notebook finding in a cell left out of the module (one that
does not parse) keeps its (cell, line). In any other file the place is (cell, line) as reported.

For one mutation:
- ``new``: its file's findings (and those of the files attributed to it) that the unmutated copy
  does not have, counted as multisets;
- **detected**: a new finding with an expected code in the mutated file, at a line the mutation
  changed or at one of the site's places (``Site.anchors``, carried over by the line map);
- **elsewhere**: not detected, but a new finding with an expected code somewhere else;
- **missed**: neither;
- **side findings**: new findings with other codes (the mutation made regcheck report something it
  was not meant to).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from mutants.kinds import Site
from mutants.source import LineMap, Source

Finding = dict[str, Any]
Key = tuple[str, tuple[Any, ...]]


@dataclass
class Mutant:
    """A site's mutation, rendered: the file's new bytes, its new module text and the line map."""

    site: Site
    old: Source
    new: Source
    data: bytes
    lines: LineMap

    def places(self) -> set[int]:
        """The mutated file's module lines where a finding detects the mutation."""
        found = set(self.lines.changed)
        for first, last in self.site.anchors:
            found |= self.lines.span(first, last)
        return found


@dataclass
class Outcome:
    site: Site
    status: str  # "detected", "elsewhere", "missed"
    reported: list[Finding] = field(default_factory=list)  # the findings that detected it
    elsewhere: list[Finding] = field(default_factory=list)
    side: list[Finding] = field(default_factory=list)
    gone: int = 0  # unmutated findings that the mutation made disappear
    batch: int = 0
    solo: bool = False

    def record(self) -> dict[str, Any]:
        return {
            **self.site.record(),
            "status": self.status,
            "reported": [_short(f) for f in self.reported],
            "elsewhere": [_short(f) for f in self.elsewhere],
            "side": [_short(f) for f in self.side],
            "gone": self.gone,
            "batch": self.batch,
            "solo": self.solo,
        }


def _short(finding: Finding) -> dict[str, Any]:
    return {k: finding.get(k) for k in ("code", "path", "cell", "line", "column", "severity", "message")}


def by_path(findings: Iterable[Finding]) -> dict[str, list[Finding]]:
    grouped: dict[str, list[Finding]] = {}
    for finding in findings:
        grouped.setdefault(finding["path"], []).append(finding)
    return grouped


def plain_key(finding: Finding) -> Key:
    return finding["code"], ("c", finding.get("cell"), finding["line"])


def module_key(finding: Finding, source: Source, lines: LineMap | None = None) -> Key:
    """The finding's place in ``source``'s module (through ``lines`` for the unmutated file's)."""
    line = source.module_line(finding.get("cell"), finding["line"])
    if line is None:
        return plain_key(finding)
    if lines is not None:
        line = lines.old_to_new.get(line, line)
    return finding["code"], ("m", line)


def new_findings(before: list[Finding], after: list[Finding], mutant: Mutant | None) -> tuple[list[Finding], int]:
    """The findings of ``after`` that ``before`` does not account for, and how many of ``before`` went."""
    if mutant is None:
        old_keys = Counter(plain_key(f) for f in before)
        keyed = [(plain_key(f), f) for f in after]
    else:
        old_keys = Counter(module_key(f, mutant.old, mutant.lines) for f in before)
        keyed = [(module_key(f, mutant.new), f) for f in after]
    remaining = Counter(old_keys)
    fresh = []
    for key, finding in keyed:
        if remaining[key] > 0:
            remaining[key] -= 1
        else:
            fresh.append(finding)
    return fresh, sum(remaining.values())


def changed(before: list[Finding], after: list[Finding]) -> bool:
    return Counter(plain_key(f) for f in before) != Counter(plain_key(f) for f in after)


def judge(
    mutant: Mutant,
    before: dict[str, list[Finding]],
    after: dict[str, list[Finding]],
    others: Iterable[str] = (),
) -> Outcome:
    """One mutation's outcome, from its file and the other files whose changes are attributed to it."""
    site = mutant.site
    expected = set(site.expected)
    fresh, gone = new_findings(before.get(site.path, []), after.get(site.path, []), mutant)
    places = mutant.places()
    reported = [
        f for f in fresh if f["code"] in expected and module_key(f, mutant.new)[1] in {("m", line) for line in places}
    ]
    elsewhere = [f for f in fresh if f["code"] in expected and f not in reported]
    side = [f for f in fresh if f["code"] not in expected]
    for path in others:
        extra, lost = new_findings(before.get(path, []), after.get(path, []), None)
        gone += lost
        elsewhere += [f for f in extra if f["code"] in expected]
        side += [f for f in extra if f["code"] not in expected]
    status = "detected" if reported else "elsewhere" if elsewhere else "missed"
    return Outcome(site, status, reported, elsewhere, side, gone)


@dataclass
class Tally:
    sites: int = 0
    detected: int = 0
    elsewhere: int = 0

    @property
    def missed(self) -> int:
        return self.sites - self.detected - self.elsewhere

    @property
    def recall(self) -> float | None:
        return self.detected / self.sites if self.sites else None

    def add(self, outcome: Outcome) -> None:
        self.sites += 1
        self.detected += outcome.status == "detected"
        self.elsewhere += outcome.status == "elsewhere"

    def row(self) -> dict[str, Any]:
        recall = self.recall
        return {
            "sites": self.sites,
            "detected": self.detected,
            "elsewhere": self.elsewhere,
            "missed": self.missed,
            "recall": None if recall is None else round(recall, 3),
        }


def tally(outcomes: Iterable[Outcome], key: Any) -> dict[str, Tally]:
    table: dict[str, Tally] = {}
    for outcome in outcomes:
        table.setdefault(key(outcome), Tally()).add(outcome)
    return dict(sorted(table.items()))
