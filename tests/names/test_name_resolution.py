"""Differential test: regcheck's own name resolution against libcst's ScopeProvider.

For every Name / Attribute node, both resolvers' qualified names are mapped to a
canonical TF/Keras name (vocabulary.canonical, chosen as ModuleFacts.canonical
chooses); every node where the two canonical names differ is a disagreement.
The normal suite runs a deterministic sample (about 40 files of the installed
keras and tensorflow packages, every check's VALID/INVALID samples, examples/);
the slow suite runs every .py file of both packages.

Documented exceptions (nodes where libcst's answer is the wrong one) go in
``LIBCST_WRONG`` with the reason; there are none today: on every .py file of
keras 3 and tensorflow 2.21 both resolvers give the same canonical name for
every node (and the same qualified names).
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import libcst as cst
import pytest
from differential import Disagreement, disagreements, package_files
from libcst_resolver import LibcstResolver

import regcheck.facts.module
from regcheck import check_source
from regcheck.checks import RULE_CLASSES

REPO = Path(__file__).resolve().parents[2]

# (path suffix, line, code) -> why libcst's canonical name is the wrong one.
LIBCST_WRONG: dict[tuple[str, int, str], str] = {}


def _samples() -> list[tuple[str, str]]:
    out = []
    for rule in RULE_CLASSES:
        for kind in ("VALID", "INVALID"):
            for i, sample in enumerate(getattr(rule, kind, None) or []):
                out.append((f"{rule.code}-{rule.__name__}-{kind}-{i}", textwrap.dedent(str(sample))))
    return out


def _examples() -> list[tuple[str, str]]:
    out = []
    for path in sorted((REPO / "examples").rglob("*")):
        if path.suffix == ".py":
            out.append((str(path.relative_to(REPO)), path.read_text()))
        elif path.suffix == ".ipynb":
            cells = json.loads(path.read_text())["cells"]
            code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
            out.append((str(path.relative_to(REPO)), code))
    return out


def _package_sample(per_package: int = 20) -> list[Path]:
    chosen: list[Path] = []
    for package in ("keras", "tensorflow"):
        files = package_files(package)
        step = max(1, len(files) // per_package)
        chosen.extend(files[::step][:per_package])
    return chosen


def _unexplained(label: str, found: list[Disagreement]) -> list[str]:
    return [
        f"{label}:{d.line}: {d.code!r}: ours {d.ours} ({', '.join(d.our_names)}), libcst {d.libcst} ({', '.join(d.libcst_names)})"
        for d in found
        if not any(label.endswith(path) and (line, code) == (d.line, d.code) for path, line, code in LIBCST_WRONG)
    ]


def _check_files(files: list[Path]) -> tuple[int, list[str]]:
    checked, problems = 0, []
    for path in files:
        try:
            found = disagreements(path.read_bytes())
        except (cst.ParserSyntaxError, RecursionError):
            continue  # libcst cannot parse it: neither resolver runs
        checked += 1
        problems.extend(_unexplained(str(path), found))
    return checked, problems


def test_samples_and_examples_agree() -> None:
    cases = _samples() + _examples()
    assert len(cases) > 100
    problems = []
    for label, source in cases:
        try:
            found = disagreements(source)
        except cst.ParserSyntaxError:
            continue  # RC000's samples are not Python
        problems.extend(_unexplained(label, found))
    assert problems == []


@pytest.mark.tensorflow  # reads the installed keras and tensorflow sources
def test_package_sample_agrees() -> None:
    files = _package_sample()
    assert len(files) == 40
    checked, problems = _check_files(files)
    assert checked >= 38
    assert problems == []


@pytest.mark.slow
@pytest.mark.tensorflow  # reads the installed keras and tensorflow sources
def test_every_package_file_agrees() -> None:
    files = package_files("keras") + package_files("tensorflow")
    checked, problems = _check_files(files)
    assert checked > 2500
    assert problems == []


def test_disagreements_are_reported() -> None:
    # The harness itself: a resolver that gets a name wrong is caught, with where and what.
    import differential

    class Wrong(differential.NameResolver):  # type: ignore[misc,valid-type]
        def qualified_names(self, node: cst.CSTNode) -> frozenset[str]:
            names = super().qualified_names(node)
            return frozenset(n.replace("tensorflow.", "keras.") for n in names)

    original = differential.NameResolver
    differential.NameResolver = Wrong
    try:
        found = disagreements("import tensorflow as tf\n\ntf.nn.relu\n")
    finally:
        differential.NameResolver = original
    assert [(d.line, d.code, d.ours, d.libcst) for d in found] == [
        (3, "tf.nn", "keras.nn", "tf.nn"),
        (3, "tf.nn.relu", "keras.nn.relu", "tf.nn.relu"),
    ]


def test_findings_are_the_same_with_either_resolver(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every check's samples and examples/ give identical findings with libcst's resolver."""
    cases = _samples() + _examples()

    def run() -> list[str]:
        return [repr(f) for label, source in cases for f in check_source(source, path=f"{label}.py", select=["ALL"])]

    ours = run()
    monkeypatch.setattr(regcheck.facts.module, "NameResolver", LibcstResolver)
    theirs = run()
    assert len(ours) > 50
    assert ours == theirs
