"""The versions a PEP 440 specifier set admits, as intervals, and which side of a boundary they fall on.

``tensorflow==1.15.4`` admits one version, ``tensorflow~=2.14.0`` admits ``[2.14.0, 2.15.dev0)``,
``tensorflow>=2.10`` admits ``[2.10, inf)``: whether a requirement decides the Keras version is
whether everything it admits lies on one side of a boundary (TensorFlow 2.16, Keras 3.0). This
computes those intervals from the specifiers themselves, with ``packaging.version`` only (no
sample versions, no private ``packaging`` API), following PEP 440 as ``SpecifierSet.contains``
does with pre-releases allowed:

- ``==V`` admits V and its local versions (``==V+local`` only that one); ``!=V`` the rest;
- ``==V.*`` / ``!=V.*`` the versions whose release starts with V, and the rest;
- ``<=V`` / ``>=V`` as ordered; ``<V`` leaves out V's pre-releases unless V is one;
  ``>V`` leaves out V's post-releases and local versions unless V is a post-release;
- ``~=V`` is ``>=V, ==prefix.*`` (the last release component dropped);
- ``===X`` admits the one version whose text is X.

An interval's ends are versions or points just after a version's family (after its local
versions, or after its post-releases too), which no release number can name: ``>2.15``
starts after every ``2.15.postN``. A boundary ``B`` splits the versions into those below
``B.dev0`` (all of them before B's first pre-release) and the rest: ``tensorflow==2.16.0rc0``
is on the TensorFlow 2.16 side.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

# Where a point sits relative to its version V.
AT = 0  # V itself
AFTER_LOCALS = 1  # after V and every V+local, before V.post0.dev0
AFTER_POSTS = 2  # after V, V+local and every V.postN (V a final or pre-release), before the next version

MIN_VERSION = Version("0.dev0")  # no version sorts below it


def _release(version: Version) -> tuple[int, ...]:
    """The release numbers without trailing zeros: 2.15 and 2.15.0 are the same release."""
    release = list(version.release)
    while len(release) > 1 and release[-1] == 0:
        release.pop()
    return tuple(release)


def _make(epoch: int, release: Iterable[int], suffix: str = "") -> Version:
    """A version from its parts, spelled out (``Version.from_parts`` is packaging 26+ only)."""
    return Version(f"{epoch}!{'.'.join(str(n) for n in release)}{suffix}")


def _pre(version: Version) -> str:
    return f"{version.pre[0]}{version.pre[1]}" if version.pre is not None else ""


@dataclass(frozen=True)
class Point:
    """An interval end: ``version`` itself (``AT``) or the gap just after its family."""

    version: Version
    after: int = AT

    def covers(self, other: Version) -> bool:
        """``other`` is in the family this point sits after (so it sorts below the point)."""
        if self.after == AFTER_LOCALS:
            return Version(other.public) == self.version
        if self.after == AFTER_POSTS:
            v = self.version
            same = (other.epoch, _release(other), other.pre) == (v.epoch, _release(v), v.pre)
            return same and other >= v
        return False

    def successor(self) -> Version | None:
        """The smallest version above this point, when there is one (between 2.15's post-releases
        and 2.15.0.1 there is always 2.15.0.0.1: a final release's family has none)."""
        v = self.version
        if self.after == AFTER_LOCALS:
            if v.dev is not None:
                return Version(
                    f"{v.base_version}{_pre(v)}{f'.post{v.post}' if v.post is not None else ''}.dev{v.dev + 1}"
                )
            post = v.post + 1 if v.post is not None else 0
            return Version(f"{v.base_version}{_pre(v)}.post{post}.dev0")
        if self.after == AFTER_POSTS and v.pre is not None:
            return Version(f"{v.base_version}{v.pre[0]}{v.pre[1] + 1}.dev0")
        return None


def compare(p: Point, q: Point) -> int:
    """-1, 0 or 1: the order of two points on the version line."""
    if p.version == q.version:
        return (p.after > q.after) - (p.after < q.after)
    if p.covers(q.version):
        return 1  # q (and the family it sits after) lies inside p's family
    if q.covers(p.version):
        return -1
    return (p.version > q.version) - (p.version < q.version)


@dataclass(frozen=True)
class Interval:
    """The versions between ``low`` and ``high`` (None: unbounded); ``*_closed`` only matters at a version."""

    low: Point | None
    low_closed: bool
    high: Point | None
    high_closed: bool

    def contains(self, version: Version) -> bool:
        at = Point(version)
        if self.low is not None:
            c = compare(self.low, at)
            if c > 0 or (c == 0 and not self.low_closed):
                return False
        if self.high is not None:
            c = compare(at, self.high)
            if c > 0 or (c == 0 and not self.high_closed):
                return False
        return True

    def is_empty(self) -> bool:
        low, high = self.low, self.high
        if high is None:
            return False
        if low is None:
            return compare(high, Point(MIN_VERSION)) < 0 or (high == Point(MIN_VERSION) and not self.high_closed)
        c = compare(low, high)
        if c > 0:
            return True
        if c == 0:
            return not (self.low_closed and self.high_closed and low.after == AT)
        successor = low.successor() if low.after != AT else None
        if successor is None:
            return False  # a version always fits between a version (or a final release's family) and a higher point
        c = compare(Point(successor), high)
        return c > 0 or (c == 0 and not self.high_closed)

    def witness(self) -> Version | None:
        """A version in the interval (None when it is empty): for tests and messages."""
        if self.is_empty():
            return None
        candidates: list[Version] = []
        if self.low is None:
            candidates += [Version("0"), MIN_VERSION]
        else:
            v = self.low.version
            candidates.append(v)
            successor = self.low.successor()
            if successor is not None:
                candidates.append(successor)
            depth = max(len(v.release), len(self.high.version.release) if self.high is not None else 0)
            candidates.append(_make(v.epoch, (*v.release, *([0] * (depth - len(v.release))), 1)))
            candidates.append(Version(f"{v.public}+0"))
            if v.local is not None:
                candidates.append(Version(f"{v}.0"))  # the next local version: 1+cpu.0 after 1+cpu
        if self.high is not None:
            candidates.append(self.high.version)
        else:
            base = self.low.version if self.low is not None else Version("0")
            candidates.append(_make(base.epoch, (base.release[0] + 1,)))
        return next((c for c in candidates if self.contains(c)), None)


def _intersect(a: Interval, b: Interval) -> Interval:
    if a.low is None or (b.low is not None and compare(b.low, a.low) > 0):
        low, low_closed = b.low, b.low_closed
    elif b.low is not None and compare(b.low, a.low) == 0:
        low, low_closed = a.low, a.low_closed and b.low_closed
    else:
        low, low_closed = a.low, a.low_closed
    if a.high is None or (b.high is not None and compare(b.high, a.high) < 0):
        high, high_closed = b.high, b.high_closed
    elif b.high is not None and compare(b.high, a.high) == 0:
        high, high_closed = a.high, a.high_closed and b.high_closed
    else:
        high, high_closed = a.high, a.high_closed
    return Interval(low, low_closed, high, high_closed)


def intersect(a: list[Interval], b: list[Interval]) -> list[Interval]:
    found = [_intersect(x, y) for x in a for y in b]
    return [i for i in found if not i.is_empty()]


EVERYTHING = [Interval(None, False, None, False)]


def _prefix_range(base: Version) -> tuple[Version, Version]:
    """``==base.*``: from ``base.dev0`` up to the next prefix's ``.dev0``."""
    release = base.release
    return _make(base.epoch, release, ".dev0"), _make(base.epoch, (*release[:-1], release[-1] + 1), ".dev0")


def specifier_intervals(operator: str, text: str) -> list[Interval]:
    """The versions one specifier (``operator`` ``text``, as packaging splits it) admits."""
    if operator == "===":
        try:
            version = Version(text)
        except InvalidVersion:
            return []  # an arbitrary string: no version is spelled that way
        return [Interval(Point(version), True, Point(version), True)] if str(version) == text.lower() else []
    if text.endswith(".*"):
        low, high = _prefix_range(Version(text[:-2]))
        inside = Interval(Point(low), True, Point(high), False)
        if operator == "==":
            return [inside]
        return [Interval(None, False, Point(low), False), Interval(Point(high), True, None, False)]
    version = Version(text)
    family_end = Point(version) if version.local is not None else Point(version, AFTER_LOCALS)
    if operator == "==":
        return [Interval(Point(version), True, family_end, True)]
    if operator == "!=":
        return [Interval(None, False, Point(version), False), Interval(family_end, False, None, False)]
    if operator == ">=":
        return [Interval(Point(version), True, None, False)]
    if operator == "<=":
        return [Interval(None, False, Point(version, AFTER_LOCALS), True)]
    if operator == ">":
        if version.dev is not None or version.post is not None:
            # Nothing of V's family but its locals lies above V: start after them.
            return [Interval(Point(version, AFTER_LOCALS), False, None, False)]
        return [Interval(Point(version, AFTER_POSTS), False, None, False)]
    if operator == "<":
        # Not V's pre-releases, unless V is one: below V.dev0 (V.postN.dev0 for a post-release V).
        post = f".post{version.post}" if version.post is not None else ""
        bound = version if version.is_prerelease else _make(version.epoch, version.release, f"{post}.dev0")
        return [Interval(None, False, Point(bound), False)]
    if operator == "~=":
        _low, high = _prefix_range(_make(version.epoch, version.release[:-1]))
        return [Interval(Point(version), True, Point(high), False)]
    raise ValueError(f"unknown operator {operator!r}")


def admitted(specifier: str) -> list[Interval] | None:
    """The versions a specifier set admits, as disjoint-or-not intervals; None when it cannot be read."""
    try:
        spec = SpecifierSet(specifier)
    except InvalidSpecifier:
        return None
    intervals = EVERYTHING
    try:
        for one in spec:
            intervals = intersect(intervals, specifier_intervals(one.operator, one.version))
    except InvalidVersion:
        return None
    return intervals


def split(boundary: str) -> tuple[Interval, Interval]:
    """Below ``boundary`` (everything before its first pre-release) and at or above it."""
    first = Version(f"{boundary}.dev0")
    return Interval(None, False, Point(first), False), Interval(Point(first), True, None, False)


def admitted_sides(specifier: str, boundary: str) -> tuple[bool, bool] | None:
    """(admits a version below ``boundary``, admits one at or above it); None for an unreadable specifier."""
    intervals = admitted(specifier)
    if intervals is None:
        return None
    below, above = split(boundary)
    return bool(intersect(intervals, [below])), bool(intersect(intervals, [above]))
