"""The versions a specifier admits, as intervals (regcheck.config.specifier_ranges), proved against
``packaging``'s own ``SpecifierSet.contains`` over many versions: random specifier sets over a small
alphabet of versions, checked at every version near the ones they name (pre-, post-, dev- and local
variants, and the next and previous releases)."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from regcheck.config.specifier_ranges import admitted, admitted_sides, intersect, split

RELEASES = [
    "1",
    "1.15",
    "1.15.4",
    "2",
    "2.0.0",
    "2.14",
    "2.14.0",
    "2.15",
    "2.15.1",
    "2.16",
    "2.16.0",
    "2.16.1",
    "3",
    "3.0",
]
SUFFIXES = [
    "",
    "a1",
    "b2",
    "rc0",
    "rc1",
    ".post0",
    ".post1",
    ".dev0",
    ".dev3",
    "rc1.dev1",
    ".post1.dev0",
    "+local",
    "+1.cpu",
]
# `===` is left to the examples: it admits a text ("3.0", not "3"), intervals hold versions.
OPERATORS = ["==", "!=", "<", "<=", ">", ">=", "~=", "==*", "!=*"]


def _specifier(operator: str, release: str, suffix: str) -> str | None:
    if operator in ("==*", "!=*"):
        return f"{operator[:2]}{release}.*"
    if operator == "~=" and ("." not in release or "+" in suffix):
        return None
    if "+" in suffix and operator not in ("==", "!=", "==="):
        return None
    return f"{operator}{release}{suffix}"


specifiers = st.builds(_specifier, st.sampled_from(OPERATORS), st.sampled_from(RELEASES), st.sampled_from(SUFFIXES))
specifier_sets = st.lists(specifiers.filter(lambda s: s is not None), min_size=1, max_size=3).map(",".join)


def _nearby(spec: str) -> set[Version]:
    """Every version close to one the specifier set names: where an interval could start or end."""
    found: set[Version] = set()
    for one in SpecifierSet(spec):
        text = one.version.removesuffix(".*")
        base = Version(text)
        releases = {base.base_version, *RELEASES}
        release = list(base.release)
        for i in range(len(release)):
            bumped = [*release[: i + 1]]
            releases.add(".".join(map(str, [*bumped[:-1], bumped[-1] + 1])))
            if bumped[-1] > 0:
                releases.add(".".join(map(str, [*bumped[:-1], bumped[-1] - 1])))
        releases.add(f"{base.base_version}.0.1")
        for release_text, suffix in itertools.product(
            releases, [*SUFFIXES, "a0", "rc2", ".post2", ".dev0+x", "rc1.post0"]
        ):
            found.add(Version(release_text + suffix))
        found.add(base)
    return found


@settings(max_examples=300, deadline=None)
@given(specifier_sets)
def test_intervals_hold_exactly_the_versions_the_specifier_admits(spec: str) -> None:
    intervals = admitted(spec)
    assert intervals is not None
    reference = SpecifierSet(spec)
    for version in _nearby(spec):
        expected = reference.contains(version, prereleases=True)
        assert any(i.contains(version) for i in intervals) == expected, (spec, str(version))
    for interval in intervals:  # not empty: a version that the specifier admits is inside
        witness = interval.witness()
        assert witness is not None and reference.contains(witness, prereleases=True), (spec, interval)


@settings(max_examples=300, deadline=None)
@given(specifier_sets, st.sampled_from(["2.16", "3.0"]))
def test_the_sides_of_a_boundary(spec: str, boundary: str) -> None:
    sides = admitted_sides(spec, boundary)
    assert sides is not None
    reference = SpecifierSet(spec)
    below, above = split(boundary)
    seen = [
        v
        for v in _nearby(spec) | {Version(f"{boundary}.dev0"), Version(f"{boundary}rc0")}
        if reference.contains(v, prereleases=True)
    ]
    if any(below.contains(v) for v in seen):
        assert sides[0], spec
    if any(above.contains(v) for v in seen):
        assert sides[1], spec
    for half, admits in zip((below, above), sides):
        witnesses = [w for i in intersect(admitted(spec) or [], [half]) if (w := i.witness()) is not None]
        assert bool(witnesses) == admits, spec  # a side is admitted when a version on it is
        assert all(half.contains(w) and reference.contains(w, prereleases=True) for w in witnesses), spec


def test_examples() -> None:
    assert admitted_sides("==1.15.4", "2.16") == (True, False)
    assert admitted_sides("~=2.14.0", "2.16") == (True, False)
    assert admitted_sides("==2.0.0", "2.16") == (True, False)
    assert admitted_sides("==2.16.0rc0", "2.16") == (False, True)
    assert admitted_sides(">=2.10", "2.16") == (True, True)
    assert admitted_sides("", "2.16") == (True, True)
    assert admitted_sides("<2.16,>=2.16", "2.16") == (False, False)
    assert admitted_sides(">2.15", "2.16") == (True, True)  # 2.15.1 is above 2.15
    assert admitted_sides("~=2.15", "2.16") == (True, True)
    assert admitted_sides("not a specifier", "2.16") is None
    assert admitted_sides("===2.15.1", "2.16") == (True, False)
    assert admitted_sides("===whatever", "2.16") == (False, False)
