"""Which Keras the checked project runs on: the ``keras`` setting, and ``auto`` read from declarations.

Like ruff's ``target-version``: ``keras = "3"`` or ``"2"`` says it outright, and
``"auto"`` (the default) reads what the project declares, never what happens to
be installed here (TensorFlow and Keras are never imported for this):

- ``pyproject.toml``: ``project.dependencies``, every ``project.optional-dependencies``
  and ``dependency-groups`` group, and Poetry's ``tool.poetry`` dependency tables;
- ``requirements*.txt`` (and files they include with ``-r``, or constrain with ``-c``);
- ``setup.cfg``: ``[options] install_requires`` and ``[options.extras_require]``;
- ``setup.py``: ``install_requires=`` / ``extras_require=`` when written as literals;
- ``environment.yml`` / ``environment.yaml``: conda and ``pip:`` entries;
- ``Pipfile``: ``[packages]`` and ``[dev-packages]``.

A requirement decides by the versions it admits (regcheck.config.specifier_ranges),
never by sampled versions: ``tf-keras`` (any version), ``keras<3`` or
``tensorflow<2.16`` (``tensorflow==1.15.4``, ``tensorflow~=2.14.0``,
``tensorflow-gpu==1.15.4``) mean Keras 2; ``keras>=3``, or ``tensorflow>=2.16``
without tf-keras, mean Keras 3. A requirement that admits versions on both
sides (an unpinned ``tensorflow``, ``tensorflow>=2.10``) decides nothing by
itself, and declarations that contradict each other decide nothing either.
Then the version is ``unknown`` for the run, and each file may still decide it
(regcheck.facts.keras_version): by the declarations of its own project (``nearest``: a
subfolder with its own requirements, one repository among several checked together), else by
its code. The file's imports (``tf_keras``, ``TF_USE_LEGACY_KERAS``) override any target.
"""

from __future__ import annotations

import ast
import configparser
import functools
import os
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

KERAS_SETTINGS = ("auto", "3", "2")
# What ``auto`` resolves to when nothing declared decides: verdicts that differ between Keras 2
# and 3 are given only in a form that holds in both (RULES.md, Versions).
UNKNOWN = "unknown"
VERSIONS = ("3", "2", UNKNOWN)
UNDECIDED = "auto: no dependency declaration decides the Keras version"

# Distributions that install TensorFlow (whose tf.keras is Keras 3 from 2.16 on).
_TENSORFLOW = frozenset(
    {
        "tensorflow",
        "tensorflow-cpu",
        "tensorflow-gpu",
        "tensorflow-macos",
        "tensorflow-intel",
        "tensorflow-aarch64",
        "tensorflow-rocm",
        "intel-tensorflow",
        "tf-nightly",
        "tf-nightly-cpu",
        "tf-nightly-gpu",
    }
)
_TF_KERAS = frozenset({"tf-keras", "tf-keras-nightly"})
_KERAS = frozenset({"keras", "keras-nightly"})
# The first version of each side: Keras 3 is keras 3.0, and tf.keras is Keras 3 from TensorFlow 2.16
# (their pre-releases included: tensorflow 2.16.0rc0 shipped Keras 3).
_BOUNDARIES = ((_KERAS, "3.0"), (_TENSORFLOW, "2.16"))

_REQUIREMENT_FILES = ("requirements*.txt", "requirements/*.txt")
_ENVIRONMENT_FILES = ("environment.yml", "environment.yaml")
# Files whose presence marks a project root when looking upwards for declarations.
_MARKERS = ("pyproject.toml", "setup.cfg", "setup.py", "Pipfile", *_ENVIRONMENT_FILES)


@dataclass(frozen=True)
class KerasTarget:
    """The resolved target: ``version`` is "3", "2" or "unknown"; ``reason`` says where it came from."""

    setting: str  # "auto", "3" or "2", as configured
    version: str  # "3", "2" or "unknown" (auto, and nothing declared decides)
    reason: str  # "set in pyproject.toml", "auto: requirements.txt: tf-keras", "auto: no dependency declaration ..."


def resolve(setting: str, root: Path, origin: str = "settings") -> KerasTarget:
    """The target for a setting (given in ``origin``); ``auto`` reads the declarations found from ``root`` upwards."""
    if setting not in KERAS_SETTINGS:
        raise ValueError(f"unknown keras target {setting!r} (expected auto, 3 or 2)")
    if setting != "auto":
        return KerasTarget(setting, setting, f"set in {origin}")
    decision = decide(declared_requirements(_project_dir(root)))
    return KerasTarget("auto", decision.version or UNKNOWN, decision.reason)


def nearest(path: str) -> Decision | None:
    """What the declarations of the project holding the file ``path`` decide (None: no such file, as for
    ``<string>`` and stdin). Cached per project folder while its declarations are unchanged."""
    if not path or path.startswith("<") or not Path(path).is_file():
        return None
    directory = _project_dir(Path(path))
    decision = _decide_in(directory, _stamp(directory))
    return Decision(decision.version, f"{decision.reason} (in {directory})") if decision.version else decision


def _stamp(directory: Path) -> tuple[tuple[str, int, int], ...]:
    """The declaration files of ``directory`` as (name, mtime, size): an edit makes a new cache entry."""
    try:
        with os.scandir(directory) as entries:
            return tuple(
                sorted(
                    (e.name, e.stat().st_mtime_ns, e.stat().st_size)
                    for e in entries
                    if e.name in _MARKERS or e.name.startswith(("requirements", "constraints"))
                )
            )
    except OSError:
        return ()


@functools.lru_cache(maxsize=256)
def _decide_in(directory: Path, _stamp: tuple[tuple[str, int, int], ...]) -> Decision:
    return decide(declared_requirements(directory))


def _project_dir(start: Path) -> Path:
    """``start``, or the nearest directory above it that holds a project declaration."""
    current = start.resolve()
    if current.is_file():
        current = current.parent
    for directory in [current, *current.parents]:
        if any((directory / marker).is_file() for marker in _MARKERS) or any(directory.glob("requirements*.txt")):
            return directory
        if (directory / ".git").exists():
            break
    return current


# --- the verdict ------------------------------------------------------------


@dataclass(frozen=True)
class Requirement:
    name: str  # normalized distribution name
    specifier: str  # PEP 440 specifier set, "" when unpinned; alternatives joined by "||" (Poetry)
    where: str  # the file it was declared in
    text: str  # as written


@dataclass(frozen=True)
class Decision:
    version: str | None  # "3", "2", or None: nothing declared decides
    reason: str  # "auto: requirements.txt: tensorflow==1.15.4", or why nothing decides


def side(req: Requirement) -> str | None:
    """The Keras one requirement decides on its own: "2", "3", or None (not a Keras-deciding
    distribution, or it admits versions on both sides of the boundary, or none)."""
    if req.name in _TF_KERAS:
        return "2"  # every tf-keras is Keras 2, and tf.keras loads it (TF_USE_LEGACY_KERAS=1)
    # Imported here: only a project whose declarations name TensorFlow or Keras needs `packaging`.
    from regcheck.config.specifier_ranges import admitted_sides

    for names, boundary in _BOUNDARIES:
        if req.name in names and req.specifier:
            # Alternatives (Poetry's `||`): the versions any of them admits.
            each = [admitted_sides(alternative, boundary) for alternative in req.specifier.split("||")]
            if None in each:
                return None
            below, above = any(s[0] for s in each if s), any(s[1] for s in each if s)
            return "2" if below and not above else "3" if above and not below else None
    return None


def decide(requirements: Iterable[Requirement]) -> Decision:
    """Keras 2 or 3 from declared requirements, with the requirement that decided.

    tf-keras decides alone (Keras 2). Otherwise every keras and TensorFlow requirement that
    decides must agree: ``tensorflow==2.15`` in one file and ``tensorflow>=2.16`` in another
    (or ``keras>=3`` beside ``tensorflow<2.16``) leave the version to the code."""
    decided = [(s, req) for req in requirements if (s := side(req)) is not None]
    for version, req in decided:
        if req.name in _TF_KERAS:
            return Decision(version, f"auto: {req.where}: {req.text}")
    versions = {version for version, _req in decided}
    if len(versions) == 1:
        version, req = decided[0]
        return Decision(version, f"auto: {req.where}: {req.text}")
    if len(versions) > 1:
        shown = ", ".join(f"{req.where}: {req.text} (Keras {version})" for version, req in decided)
        return Decision(None, f"auto: the declarations disagree ({shown})")
    return Decision(None, UNDECIDED)


# --- reading declarations ---------------------------------------------------

_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*(.*)$")


def parse_requirement(text: str, where: str) -> Requirement | None:
    """``name[extras] specifier ; marker`` -> Requirement (marker, URL and pip option forms tolerated)."""
    line = text.split("#", 1)[0].strip()
    if not line or line.startswith("-"):
        return None
    line = line.split(";", 1)[0].strip()
    line = re.split(r"\s+-", line, maxsplit=1)[0]  # `tensorflow==1.15 --hash=sha256:...`
    match = _NAME.match(line)
    if match is None:
        return None
    name = re.sub(r"[-_.]+", "-", match.group(1)).lower()
    rest = match.group(3).strip()
    if rest.startswith("@"):  # a direct URL: no version to read
        rest = ""
    rest = rest.strip("()").replace(" ", "")
    return Requirement(name, rest, where, line)


def declared_requirements(directory: Path) -> Iterator[Requirement]:
    yield from _pyproject(directory / "pyproject.toml")
    seen: set[Path] = set()
    for pattern in _REQUIREMENT_FILES:
        for path in sorted(directory.glob(pattern)):
            yield from _requirements_txt(path, directory, seen)
    yield from _setup_cfg(directory / "setup.cfg")
    yield from _setup_py(directory / "setup.py")
    for name in _ENVIRONMENT_FILES:
        yield from _environment(directory / name)
    yield from _pipfile(directory / "Pipfile")


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def _strings(values: Any) -> list[str]:
    return [v for v in values if isinstance(v, str)] if isinstance(values, list) else []


def _toml(path: Path) -> dict[str, Any] | None:
    text = _read(path) if path.is_file() else None
    if text is None:
        return None
    try:
        data: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return None
    return data


def _pyproject(path: Path) -> Iterator[Requirement]:
    data = _toml(path)
    if data is None:
        return
    project = data.get("project", {})
    entries = _strings(project.get("dependencies", [])) if isinstance(project, dict) else []
    optional = project.get("optional-dependencies", {}) if isinstance(project, dict) else {}
    groups = data.get("dependency-groups", {})  # PEP 735
    for table in (optional, groups):
        if isinstance(table, dict):
            for group in table.values():
                entries.extend(_strings(group))
    for entry in entries:
        req = parse_requirement(entry, path.name)
        if req is not None:
            yield req
    tool = data.get("tool", {})
    poetry = tool.get("poetry", {}) if isinstance(tool, dict) else {}
    if isinstance(poetry, dict):
        tables = [poetry.get("dependencies"), poetry.get("dev-dependencies")]
        groups = poetry.get("group", {})
        if isinstance(groups, dict):
            tables.extend(group.get("dependencies") for group in groups.values() if isinstance(group, dict))
        for table in tables:
            if isinstance(table, dict):
                yield from _version_table(table, path.name, _poetry_constraint)


def _version_table(table: dict[str, Any], where: str, convert: Any) -> Iterator[Requirement]:
    """``name = "constraint"`` / ``{version = "..."}`` / a list of those (Poetry's multiple constraints, one
    per platform or Python: any of them may be the one installed, so they are alternatives, as ``||`` is)."""
    for name, value in table.items():
        values = value if isinstance(value, list) else [value]
        constraints = [one.get("version", "*") if isinstance(one, dict) else one for one in values]
        constraints = [c.strip() for c in constraints if isinstance(c, str)]
        req = parse_requirement(name, where)
        if req is None or not constraints:
            continue
        alternatives = [specifier for c in constraints for specifier in convert(c)]
        specifier = "" if "" in alternatives else "||".join(alternatives)
        yield Requirement(req.name, specifier, where, f"{name} = {' | '.join(repr(c) for c in constraints)}")


def _pipfile_constraint(constraint: str) -> list[str]:
    """Pipfile versions are PEP 440 specifiers, ``*`` for any; a bare version means that version."""
    if constraint in ("", "*"):
        return [""]
    return [f"=={constraint}" if constraint[:1].isdigit() else constraint]


_POETRY_VERSION = re.compile(r"^(\^|~(?!=))?\s*v?(\d+(?:\.\d+)*)(\.\*)?$")


def _poetry_constraint(constraint: str) -> list[str]:
    """Poetry's ``^1.2``, ``~1.2``, ``1.2.3``, ``1.2.*``, ``>=1.2 <1.5``, ``a || b`` as PEP 440 specifier sets
    (one per ``||`` alternative); an unreadable one admits anything."""
    alternatives = []
    for alternative in constraint.split("||"):
        parts = []
        for piece in re.split(r"\s*,\s*|\s+(?=[<>=!~^\d])", alternative.strip()):
            if piece in ("", "*"):
                continue
            match = _POETRY_VERSION.match(piece)
            if match is None:
                parts.append(piece)
                continue
            kind, version, star = match.groups()
            numbers = [int(n) for n in version.split(".")]
            if star:
                parts.append(f"=={version}.*")
            elif kind == "^":
                first = next((i for i, n in enumerate(numbers) if n), len(numbers) - 1)
                upper = [*numbers[:first], numbers[first] + 1]
                parts.append(f">={version},<{'.'.join(map(str, upper))}")
            elif kind:  # ~
                upper = [numbers[0] + 1] if len(numbers) == 1 else [numbers[0], numbers[1] + 1]
                parts.append(f">={version},<{'.'.join(map(str, upper))}")
            else:
                parts.append(f"=={version}")
        alternatives.append(",".join(parts))
    return alternatives or [""]


def _pipfile(path: Path) -> Iterator[Requirement]:
    data = _toml(path)
    if data is None:
        return
    for section in ("packages", "dev-packages"):
        table = data.get(section)
        if isinstance(table, dict):
            yield from _version_table(table, path.name, _pipfile_constraint)


def _requirements_txt(path: Path, directory: Path, seen: set[Path]) -> Iterator[Requirement]:
    resolved = path.resolve()
    if resolved in seen or not path.is_file():
        return
    seen.add(resolved)
    text = _read(path)
    if text is None:
        return
    where = path.relative_to(directory).as_posix() if path.is_relative_to(directory) else path.name
    for raw in text.splitlines():
        line = raw.strip()
        include = re.match(r"^(-r|--requirement|-c|--constraint)\s*=?\s*(\S+)", line)
        if include:
            yield from _requirements_txt(path.parent / include.group(2), directory, seen)
            continue
        req = parse_requirement(line, where)
        if req is not None:
            yield req


def _setup_cfg(path: Path) -> Iterator[Requirement]:
    text = _read(path) if path.is_file() else None
    if text is None:
        return
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(text)
    except configparser.Error:
        return
    values: list[str] = []
    if parser.has_option("options", "install_requires"):
        values.append(parser.get("options", "install_requires"))
    if parser.has_section("options.extras_require"):
        values.extend(value for _key, value in parser.items("options.extras_require"))
    for value in values:
        for line in value.splitlines():
            req = parse_requirement(line, path.name)
            if req is not None:
                yield req


def _setup_py(path: Path) -> Iterator[Requirement]:
    """``install_requires=[...]`` / ``extras_require={...}`` written as literals (or names bound to literals)."""
    text = _read(path) if path.is_file() else None
    if text is None:
        return
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return
    literals: dict[str, Any] = {}
    node: ast.AST
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            try:
                literals[node.targets[0].id] = ast.literal_eval(node.value)
            except (ValueError, TypeError, SyntaxError, RecursionError):
                pass
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        for keyword in node.keywords:
            if keyword.arg not in ("install_requires", "extras_require"):
                continue
            value: Any
            if isinstance(keyword.value, ast.Name):
                value = literals.get(keyword.value.id)
            else:
                try:
                    value = ast.literal_eval(keyword.value)
                except (ValueError, TypeError, SyntaxError, RecursionError):
                    continue
            entries = _strings(value) if isinstance(value, list) else []
            if isinstance(value, dict):
                for group in value.values():
                    entries.extend(
                        _strings(group) if isinstance(group, list) else [group] if isinstance(group, str) else []
                    )
            for entry in entries:
                req = parse_requirement(entry, path.name)
                if req is not None:
                    yield req


_CONDA_ENTRY = re.compile(r"^\s*-\s+(.+?)\s*$")


def _environment(path: Path) -> Iterator[Requirement]:
    """conda's ``- name=version`` entries and the ``- pip:`` list, read line by line (no YAML parser needed)."""
    text = _read(path) if path.is_file() else None
    if text is None:
        return
    in_dependencies = False
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].rstrip()
        if not line.strip():
            continue
        if not line.startswith((" ", "\t", "-")):
            in_dependencies = line.strip().startswith("dependencies:")
            continue
        match = _CONDA_ENTRY.match(line)
        if not in_dependencies or match is None:
            continue
        entry = match.group(1).strip("'\"")
        if entry.rstrip(":") == "pip" or entry.endswith(":"):
            continue
        if "::" in entry:  # channel::package
            entry = entry.split("::", 1)[1]
        conda = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)\s*=(?!=)\s*([^=\s]+)(?:=\S+)?$", entry)
        if conda:  # conda's `name=2.15` means 2.15.*
            version = conda.group(2)
            entry = f"{conda.group(1)}=={version}" if "*" in version else f"{conda.group(1)}=={version}.*"
        req = parse_requirement(entry, path.name)
        if req is not None:
            yield req
