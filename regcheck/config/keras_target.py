"""Which Keras the checked project runs on: the ``keras`` setting, and ``auto`` read from declarations.

Like ruff's ``target-version``: ``keras = "3"`` or ``"2"`` says it outright, and
``"auto"`` (the default) reads what the project declares, never what happens to
be installed here (TensorFlow and Keras are never imported for this):

- ``pyproject.toml``: ``project.dependencies`` and every ``project.optional-dependencies`` group;
- ``requirements*.txt`` (and files they include with ``-r``);
- ``setup.cfg``: ``[options] install_requires`` and ``[options.extras_require]``;
- ``setup.py``: ``install_requires=`` / ``extras_require=`` when written as literals;
- ``environment.yml`` / ``environment.yaml``: conda and ``pip:`` entries.

``tf-keras``, ``keras<3`` or ``tensorflow<2.16`` mean Keras 2 (tf-keras is what
``tf.keras`` loads when it is installed and ``TF_USE_LEGACY_KERAS=1``);
``keras>=3``, or ``tensorflow>=2.16`` without tf-keras, mean Keras 3. A project
that declares nothing decisive gets Keras 3, what ``pip install tensorflow``
gives today. Per file, the code's own imports override this (regcheck.facts.keras_version).
"""

from __future__ import annotations

import ast
import configparser
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
DEFAULT = "3"

# Distributions that install TensorFlow (whose tf.keras is Keras 3 from 2.16 on).
_TENSORFLOW = frozenset(
    {
        "tensorflow",
        "tensorflow-cpu",
        "tensorflow-gpu",
        "tensorflow-macos",
        "tensorflow-intel",
        "tensorflow-aarch64",
        "tf-nightly",
        "tf-nightly-cpu",
    }
)
_TF_KERAS = frozenset({"tf-keras", "tf-keras-nightly"})
_KERAS = frozenset({"keras", "keras-nightly"})
# Versions that tell the two sides of a boundary apart: a specifier that admits only
# versions on one side decides; one that admits both (or none) does not.
_KERAS_2 = ("2.0.0", "2.4.3", "2.10.0", "2.13.1", "2.15.0")
_KERAS_3 = ("3.0.0", "3.3.3", "3.8.0", "3.15.1", "4.0.0")
_TF_KERAS2 = ("1.15.0", "2.4.0", "2.10.0", "2.13.0", "2.15.0", "2.15.1")
_TF_KERAS3 = ("2.16.1", "2.17.0", "2.19.0", "2.21.0", "3.0.0")

_REQUIREMENT_FILES = ("requirements*.txt", "requirements/*.txt")
_ENVIRONMENT_FILES = ("environment.yml", "environment.yaml")
# Files whose presence marks a project root when looking upwards for declarations.
_MARKERS = ("pyproject.toml", "setup.cfg", "setup.py", *_ENVIRONMENT_FILES)


@dataclass(frozen=True)
class KerasTarget:
    """The resolved target: ``version`` is "3" or "2"; ``reason`` says where it came from."""

    setting: str  # "auto", "3" or "2", as configured
    version: str  # "3" or "2"
    reason: str  # "keras = \"2\" in pyproject.toml", "requirements.txt: tf-keras", "nothing declared: Keras 3"


def resolve(setting: str, root: Path, origin: str = "settings") -> KerasTarget:
    """The target for a setting (given in ``origin``); ``auto`` reads the declarations found from ``root`` upwards."""
    if setting not in KERAS_SETTINGS:
        raise ValueError(f"unknown keras target {setting!r} (expected auto, 3 or 2)")
    if setting != "auto":
        return KerasTarget(setting, setting, f"set in {origin}")
    declared = declared_version(root)
    if declared is None:
        return KerasTarget("auto", DEFAULT, "auto: no dependency declaration decides, Keras 3")
    version, where = declared
    return KerasTarget("auto", version, f"auto: {where}")


def declared_version(root: Path) -> tuple[str, str] | None:
    """("3" | "2", "where: requirement") from the nearest project's declarations, or None."""
    directory = _project_dir(root)
    requirements = list(declared_requirements(directory))
    return verdict(requirements)


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
    specifier: str  # PEP 440 specifier set, "" when unpinned
    where: str  # the file it was declared in
    text: str  # as written


def verdict(requirements: Iterable[Requirement]) -> tuple[str, str] | None:
    """Keras 2 or 3 from declared requirements, with the requirement that decided, or None."""
    requirements = list(requirements)
    for req in requirements:
        if req.name in _TF_KERAS:
            return "2", f"{req.where}: {req.text}"
    for names, old, new in ((_KERAS, _KERAS_2, _KERAS_3), (_TENSORFLOW, _TF_KERAS2, _TF_KERAS3)):
        for req in requirements:
            if req.name in names:
                side = _side(req.specifier, old, new)
                if side is not None:
                    return side, f"{req.where}: {req.text}"
    return None


def _side(specifier: str, old: tuple[str, ...], new: tuple[str, ...]) -> str | None:
    if not specifier:
        return None
    try:
        from packaging.specifiers import InvalidSpecifier, SpecifierSet
    except ImportError:  # pragma: no cover - packaging ships with pip and setuptools
        return None
    try:
        spec = SpecifierSet(specifier)
    except InvalidSpecifier:
        return None
    admits_old = any(spec.contains(v, prereleases=True) for v in old)
    admits_new = any(spec.contains(v, prereleases=True) for v in new)
    if admits_old and not admits_new:
        return "2"
    if admits_new and not admits_old:
        return "3"
    return None


# --- reading declarations ---------------------------------------------------

_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*(.*)$")


def parse_requirement(text: str, where: str) -> Requirement | None:
    """``name[extras] specifier ; marker`` -> Requirement (marker and URL forms tolerated)."""
    line = text.split("#", 1)[0].strip()
    if not line or line.startswith("-"):
        return None
    line = line.split(";", 1)[0].strip()
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


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def _strings(values: Any) -> list[str]:
    return [v for v in values if isinstance(v, str)] if isinstance(values, list) else []


def _pyproject(path: Path) -> Iterator[Requirement]:
    text = _read(path) if path.is_file() else None
    if text is None:
        return
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return
    project = data.get("project", {})
    if not isinstance(project, dict):
        return
    entries = _strings(project.get("dependencies", []))
    optional = project.get("optional-dependencies", {})
    if isinstance(optional, dict):
        for group in optional.values():
            entries.extend(_strings(group))
    for entry in entries:
        req = parse_requirement(entry, path.name)
        if req is not None:
            yield req


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
        include = re.match(r"^(-r|--requirement)\s*=?\s*(\S+)", line)
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
