"""regcheck: find and fix regularization mistakes in TensorFlow and Keras code.

Public API (the static path never imports TensorFlow)::

    check_source(source, path="<string>", select=None, keras=None) -> list[Finding]
    check_paths(paths, select=None, keras=None) -> list[Finding]
    apply_fixes(source, findings, unsafe=False) -> str
    trace(entry, args=(), timeout=120)      # graph path, needs the `tensorflow` extra
    audit(model=None, loss=None, graph=None)

``check_source`` and ``check_paths`` read ``[tool.regcheck]`` (pyproject.toml or
regcheck.toml) the way the command line does: found from ``path`` (or the first
of ``paths``) upwards, else from the current directory. ``select`` and
``keras`` override it as ``--select`` and ``--keras`` do; ``config=`` names the
file (``--config``) and ``isolated=True`` reads none (``--isolated``).

They lint and fix through the same path as the command line and the language
server: ``regcheck.lint.unit.lint_unit``, ``regcheck.run.batch.lint_files`` and
``regcheck.fixing``.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from regcheck.__about__ import __version__
from regcheck.config.settings import ConfigError, cached_settings, config_start
from regcheck.findings import Applicability, Edit, Finding, Fix, Severity


def check_source(
    source: str,
    path: str = "<string>",
    select: Iterable[str] | str | None = None,
    keras: str | None = None,
    *,
    config: str | Path | None = None,
    isolated: bool = False,
) -> list[Finding]:
    """Lint source text as if it were the file ``path`` (a ``.ipynb`` path: notebook JSON).

    ``select`` takes codes, prefixes, names or ``ALL`` (default: the configuration's
    selection); per-file-ignores apply to ``path``. ``keras`` is "auto", "3" or "2"
    (default: the configuration's, else "auto": the declared dependencies of the
    project around ``path``, else of the current directory); a file's own imports
    still override it. Notebook findings carry their ``cell`` and cell-relative lines.
    A bad configuration raises ``ConfigError``."""
    from regcheck.lint.unit import lint_unit
    from regcheck.sources.files import SourceFile
    from regcheck.sources.units import SourceUnit

    settings = cached_settings(config_start(path), select, keras, config, isolated)
    unit = SourceUnit(SourceFile(path, source, raw=source.encode("utf-8", "surrogatepass")))
    return lint_unit(unit, settings.codes_for(path), keras=settings.keras_version).findings


def check_paths(
    paths: Iterable[str | Path],
    select: Iterable[str] | str | None = None,
    keras: str | None = None,
    *,
    config: str | Path | None = None,
    isolated: bool = False,
    force_exclude: bool = False,
) -> list[Finding]:
    """Lint files and directories (``.py`` and ``.ipynb``) and return every finding, sorted.

    As ``regcheck PATH...``: ``.gitignore``, ``exclude`` / ``extend-exclude`` and
    per-file-ignores apply (excludes to files named explicitly only with
    ``force_exclude``); a file that cannot be read is an ``RC001`` finding; a path
    that does not exist raises ``FileNotFoundError``. Writes no cache."""
    from regcheck.run.batch import lint_files
    from regcheck.sources.discover import discover
    from regcheck.sources.files import unreadable_finding

    names = [str(p) for p in paths] or ["."]
    first = Path(names[0])
    settings = cached_settings(first if first.exists() else Path.cwd(), select, keras, config, isolated)
    discovered = discover(names, settings.root, settings.exclude, force_exclude=force_exclude)
    if discovered.problems:
        raise FileNotFoundError(str(discovered.problems[0]))
    findings: list[Finding] = [
        unreadable_finding(problem) for problem in discovered.unreadable if "RC001" in settings.codes_for(problem.path)
    ]
    for report in lint_files(discovered.files, settings, use_cache=False):  # a library call writes no files
        findings.extend(report.findings)
    return sorted(findings, key=Finding.sort_key)


def apply_fixes(source: str, findings: Iterable[Finding], unsafe: bool = False) -> str:
    """``source`` with the fixes of ``findings`` applied: safe ones, and unsafe ones with ``unsafe=True``.

    The findings are those of this very text (``check_source(source, ...)``): their
    edits refer to its positions. Fixes that overlap an earlier one, or that would
    leave code that does not parse, are left out; checking the result again finds
    what is left (``--fix`` repeats this until nothing changes). Notebook findings
    (with a ``cell``) apply to the notebook JSON they came from."""
    from regcheck.fixing.unit import apply_fixes_to

    return apply_fixes_to(source, findings, unsafe)


def trace(entry: str, args: Iterable[str] = (), timeout: float = 120) -> Any:
    """Run ``entry`` (script, ``module:callable`` or ``file.py:callable``) up to its training steps, or audit
    the model a callable returns, and analyse the graph (see ``regcheck.graph.trace_many`` for many entries)."""
    from regcheck.graph import run_entry

    return run_entry(entry, list(args), timeout)


def audit(model: Any = None, loss: Any = None, graph: Any = None) -> Any:
    """Audit a built model / loss / graph in-process; returns a report with ``.ok`` and ``.findings``."""
    from regcheck.graph import require_tensorflow
    from regcheck.graph.audit import audit as _audit

    require_tensorflow("regcheck.audit()")
    return _audit(model=model, loss=loss, graph=graph)


__all__ = [
    "Applicability",
    "ConfigError",
    "Edit",
    "Finding",
    "Fix",
    "Severity",
    "__version__",
    "apply_fixes",
    "audit",
    "check_paths",
    "check_source",
    "trace",
]
