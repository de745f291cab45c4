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
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

from regcheck.config import ConfigError
from regcheck.findings import Applicability, Edit, Finding, Fix, Severity

if TYPE_CHECKING:
    from regcheck.config import Settings


# Files whose contents decide the settings: configuration and dependency declarations.
_DECIDING = frozenset(
    {"regcheck.toml", "pyproject.toml", "setup.cfg", "setup.py", "environment.yml", "environment.yaml"}
)
_SETTINGS_MEMO: dict[tuple[Any, ...], tuple[tuple[Any, ...], Settings]] = {}


def _stamp(start: Path, config: Path | None) -> tuple[Any, ...]:
    """What the settings for ``start`` were read from: the deciding files of it and its parents, as stat results.

    Reading and parsing them again costs milliseconds per call; a test suite calls
    ``check_source`` thousands of times. Any edit, new or removed file changes the stamp."""
    import os

    stamp: list[Any] = []
    here = start.resolve()
    for directory in (here, *here.parents):
        try:
            with os.scandir(directory) as entries:
                for entry in entries:
                    name = entry.name
                    if name in _DECIDING or (
                        name.startswith("requirements") and (name.endswith(".txt") or name == "requirements")
                    ):
                        info = entry.stat()
                        stamp.append((entry.path, info.st_mtime_ns, info.st_size))
                        if name == "requirements" and entry.is_dir():
                            stamp.append(_stamp_dir(entry.path))
        except OSError:
            continue
    if config is not None:
        try:
            info = config.stat()
            stamp.append((str(config.resolve()), info.st_mtime_ns, info.st_size))
        except OSError:
            stamp.append((str(config), None))
    return tuple(stamp)


def _stamp_dir(path: str) -> tuple[Any, ...]:
    import os

    with os.scandir(path) as entries:
        return tuple(
            sorted((e.path, e.stat().st_mtime_ns, e.stat().st_size) for e in entries if e.name.endswith(".txt"))
        )


def _settings(
    start: Path, select: Iterable[str] | str | None, keras: str | None, config: str | Path | None, isolated: bool
) -> Settings:
    from regcheck.config import Overrides, load_settings
    from regcheck.keras_target import KERAS_SETTINGS

    if keras is not None and keras not in KERAS_SETTINGS:
        raise ValueError(f"keras must be one of {', '.join(map(repr, KERAS_SETTINGS))} (got {keras!r})")
    chosen = None if select is None else [select] if isinstance(select, str) else list(select)
    config_path = Path(config) if config is not None else None
    key = (
        str(start.resolve()),
        str(Path.cwd()),
        tuple(chosen) if chosen is not None else None,
        keras,
        str(config_path),
        isolated,
    )
    stamp = _stamp(start, config_path)
    memo = _SETTINGS_MEMO.get(key)
    if memo is not None and memo[0] == stamp:
        return memo[1]
    settings = load_settings(start, config_path, Overrides(select=chosen, keras=keras), isolated=isolated)
    if len(_SETTINGS_MEMO) > 64:
        _SETTINGS_MEMO.clear()
    _SETTINGS_MEMO[key] = (stamp, settings)
    return settings


def _start(path: str | Path | None) -> Path:
    """Where to look for configuration and declared dependencies: the path's folder, else the cwd."""
    if path is None or str(path).startswith("<"):
        return Path.cwd()
    location = Path(path)
    return location if location.exists() else location.parent if location.parent.exists() else Path.cwd()


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
    from regcheck.engine import lint_text

    settings = _settings(_start(path), select, keras, config, isolated)
    codes = settings.codes_for(path)
    if path.endswith(".ipynb"):
        from regcheck.files import SourceFile
        from regcheck.units import lint_notebook

        raw = source.encode("utf-8", "surrogatepass")
        return lint_notebook(SourceFile(path, source, raw=raw), codes, settings.keras_version).findings
    return lint_text(path, source, codes, keras=settings.keras_version).findings


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
    from regcheck.engine import lint_files
    from regcheck.files import discover, unreadable_finding

    names = [str(p) for p in paths] or ["."]
    first = Path(names[0])
    settings = _settings(first if first.exists() else Path.cwd(), select, keras, config, isolated)
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
    findings = list(findings)
    if any(f.cell is not None for f in findings):
        return _apply_notebook_fixes(source, findings, unsafe)
    return _apply_text_fixes(source, findings, unsafe)


def _apply_text_fixes(text: str, findings: list[Finding], unsafe: bool) -> str:
    from regcheck.fix import _apply, _choose, parses

    fixes = [f.fix for f in _choose(findings, unsafe) if f.fix is not None]
    if not fixes:
        return text
    strict = parses(text)
    accepted: list[Fix] = []
    for fix in fixes:  # every position refers to `text`: grow one set that still parses
        if _apply(text, [*accepted, fix], strict) is not None:
            accepted.append(fix)
    return (_apply(text, accepted, strict) if accepted else None) or text


def _apply_notebook_fixes(source: str, findings: list[Finding], unsafe: bool) -> str:
    """Cell findings back to the notebook's one module: lint it again, keep the fixes whose cell findings were given."""
    from regcheck.engine import lint_text
    from regcheck.notebooks import _store, build_document, dump_like, map_finding, split_cells

    codes = frozenset(f.code for f in findings)
    path = findings[0].path
    keras = next((f.keras for f in findings if f.keras), None)
    document = build_document(path, source, codes)
    wanted = set(findings)
    module = [
        f for f in lint_text(path, document.text, codes, keras=keras).findings if map_finding(document, f) in wanted
    ]
    fixed = _apply_text_fixes(document.text, module, unsafe)
    if fixed == document.text:
        return source
    cells = split_cells(document, fixed)
    if cells is None:
        raise ValueError(f"{path}: fixes not applied: they would move code across cells")
    for cell in document.included:
        if cells[cell.number] != cell.source:
            _store(cell, cells[cell.number])
    return dump_like(document.notebook, source)


TENSORFLOW_EXTRA = "pip install 'regcheck[tensorflow]'"


def tensorflow_missing() -> bool:
    """Is TensorFlow unavailable? Checked without importing it."""
    import importlib.util
    import sys

    if "tensorflow" in sys.modules:
        return sys.modules["tensorflow"] is None
    try:
        return importlib.util.find_spec("tensorflow") is None
    except (ImportError, ValueError):
        return True


def _require_tensorflow(feature: str) -> None:
    if tensorflow_missing():
        raise ModuleNotFoundError(
            f"{feature} needs TensorFlow, which is not installed: {TENSORFLOW_EXTRA}", name="tensorflow"
        )


def trace(entry: str, args: Iterable[str] = (), timeout: float = 120) -> Any:
    """Run ``entry`` (script, ``module:callable`` or ``file.py:callable``) up to its training steps, or audit
    the model a callable returns, and analyse the graph (see ``regcheck.graph.trace_many`` for many entries)."""
    from regcheck.graph import run_entry

    return run_entry(entry, list(args), timeout)


def audit(model: Any = None, loss: Any = None, graph: Any = None) -> Any:
    """Audit a built model / loss / graph in-process; returns a report with ``.ok`` and ``.findings``."""
    _require_tensorflow("regcheck.audit()")
    from regcheck.graph.audit import audit as _audit

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
