"""The result cache: a file whose bytes, settings and dependencies are unchanged is never parsed twice.

Entries live under ``.regcheck_cache/`` at the settings root, one JSON file per
checked path, in a folder named after what changes findings without changing
the file: regcheck's code (version plus the package's own sources, so an
editable install never serves stale results), the Python and libcst in use,
and the settings fingerprint. An entry records the content hash of the file it
describes, the hashes of the other project files whose facts it consulted, and
the module-name resolutions it asked the project index for; a lookup is a hit
only when all of them still hold. Writes are atomic (temp file + rename) and an
unreadable entry is simply a miss.

:class:`RunCache` is one run's view of it: it hashes files once per run (once per
batch in a worker), checks a hit's dependencies against the project index, and
stores a lint's result with what the index recorded while it ran.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from regcheck.__about__ import __version__
from regcheck.findings import Finding
from regcheck.lint.module import FileReport
from regcheck.run.project import ProjectIndex, Record
from regcheck.sources.files import Problem, SourceError, SourceFile, read_source

CACHE_DIR = ".regcheck_cache"
_FORMAT = 2  # bump when the entry layout changes


def content_hash(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


# One resolution the project index gave: (dotted module, from_path, level) -> file or None.
Resolution = tuple[str, "str | None", int, "str | None"]


@dataclass
class CachedResult:
    """What a lint of one file produced, plus what it depended on."""

    findings: list[Finding]
    problems: list[Problem]
    parsed: bool
    analysed: bool
    cells: list[str] | None = None
    dependencies: dict[str, str] = field(default_factory=dict)  # project file -> content hash
    resolutions: list[Resolution] = field(default_factory=list)


class ResultCache:
    def __init__(self, root: Path, settings_fingerprint: str) -> None:
        self.base = Path(root) / CACHE_DIR
        self.directory = self.base / _namespace(settings_fingerprint)

    def _entry(self, path: str, codes: frozenset[str]) -> Path:
        key = hashlib.blake2b(
            f"{path}\0{','.join(sorted(codes))}".encode("utf-8", "surrogatepass"), digest_size=16
        ).hexdigest()
        return self.directory / key[:2] / f"{key}.json"

    def get(self, path: str, codes: frozenset[str], digest: str) -> CachedResult | None:
        """The stored result for this path's current bytes, or None (missing, stale or corrupt)."""
        try:
            with open(self._entry(path, codes), "rb") as handle:
                data = json.loads(handle.read())
            if data["format"] != _FORMAT or data["path"] != path or data["hash"] != digest:
                return None
            return _result_from_data(data)
        except Exception:  # a corrupt or foreign entry is a miss, never an error
            return None

    def put(self, path: str, codes: frozenset[str], digest: str, result: CachedResult) -> None:
        target = self._entry(path, codes)
        data = {"format": _FORMAT, "path": path, "hash": digest, **_result_to_data(result)}
        try:
            _ensure_dir(self.base, target.parent)
            _write_atomic(target, json.dumps(data, separators=(",", ":")).encode("utf-8", "surrogatepass"))
        except (OSError, ValueError, TypeError):
            pass  # a cache that cannot be written costs speed, never findings


class RunCache:
    """The cache as one run uses it, over the run's project index."""

    def __init__(self, cache: ResultCache, project: ProjectIndex) -> None:
        self.cache = cache
        self.project = project
        self._hashes: dict[str, str | None] = {}

    def lookup(self, path: str, codes: frozenset[str], data: bytes) -> CachedResult | None:
        """The stored result for ``path`` (whose bytes are ``data``), if it and every module it
        consulted are unchanged and its imports still resolve the same; else None."""
        hit = self.cache.get(path, codes, self.digest(path, data) or "")
        if hit is None or not self._still_valid(hit):
            return None
        return hit

    def store(self, source: SourceFile, codes: frozenset[str], report: FileReport, record: Record) -> None:
        """Keep a lint's result, with the files and resolutions the project index recorded for it."""
        consulted = set(record.files)
        consulted.discard(source.path)
        dependencies: dict[str, str] = {}
        for dep in sorted(consulted):
            digest = self.digest(dep)
            if digest is None:
                return  # a dependency that cannot be read: do not cache what cannot be checked
            dependencies[dep] = digest
        resolutions = [(d, f, lvl, r) for (d, f, lvl), r in record.resolutions.items()]
        result = CachedResult(
            list(report.findings),
            list(report.problems),
            report.parsed,
            report.analysed,
            report.cells,
            dependencies,
            resolutions,
        )
        self.cache.put(source.path, codes, content_hash(source.raw), result)

    def forget_hashes(self) -> None:
        """Files may have changed since they were hashed (a worker's next batch)."""
        self._hashes.clear()

    def digest(self, path: str, data: bytes | None = None) -> str | None:
        if path not in self._hashes:
            if data is None:
                try:
                    data = read_source(path).raw
                except SourceError:
                    self._hashes[path] = None
                    return None
            self._hashes[path] = content_hash(data)
        return self._hashes[path]

    def _still_valid(self, hit: CachedResult) -> bool:
        if any(self.digest(dep) != digest for dep, digest in hit.dependencies.items()):
            return False
        return all(self.project.resolve_module(d, f, lvl) == r for d, f, lvl, r in hit.resolutions)


def _namespace(settings_fingerprint: str) -> str:
    parts = [__version__, str(_FORMAT), sys.version, settings_fingerprint, _code_fingerprint()]
    return hashlib.blake2b("\0".join(parts).encode(), digest_size=10).hexdigest()


def _code_fingerprint() -> str:
    """Sizes and mtimes of regcheck's own sources and libcst's marker file: a changed
    check or parser invalidates the cache even without a version bump."""
    package = Path(__file__).resolve().parent.parent  # regcheck/, every step of it
    stamps: list[str] = []
    for folder, _dirs, names in sorted(os.walk(package)):
        for name in sorted(names):
            if name.endswith(".py"):
                info = os.stat(os.path.join(folder, name))
                stamps.append(f"{folder}/{name}:{info.st_size}:{info.st_mtime_ns}")
    try:
        import importlib.util

        spec = importlib.util.find_spec("libcst")
        if spec is not None and spec.origin:
            info = os.stat(spec.origin)
            stamps.append(f"libcst:{spec.origin}:{info.st_mtime_ns}")
    except (ImportError, OSError, ValueError):
        pass
    return hashlib.blake2b("\n".join(stamps).encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def _ensure_dir(base: Path, directory: Path) -> None:
    if not base.is_dir():
        base.mkdir(parents=True, exist_ok=True)
        # As ruff does: the cache never shows up in git status, and backup tools skip it.
        (base / ".gitignore").write_text("# Automatically created by regcheck.\n*\n")
        (base / "CACHEDIR.TAG").write_text("Signature: 8a477f597d28d172789f06886806bc55\n")
    directory.mkdir(parents=True, exist_ok=True)


def _write_atomic(target: Path, payload: bytes) -> None:
    temp = target.with_name(f".{target.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
    try:
        with open(temp, "wb") as handle:
            handle.write(payload)
        os.replace(temp, target)
    except BaseException:
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise


# --- (de)serialization: findings in their one JSON form (Finding.to_json) -------------


def _result_to_data(result: CachedResult) -> dict[str, Any]:
    return {
        "findings": [f.to_json() for f in result.findings],
        "problems": [[p.path, p.message, p.line, p.column] for p in result.problems],
        "parsed": result.parsed,
        "analysed": result.analysed,
        "cells": result.cells,
        "dependencies": result.dependencies,
        "resolutions": [list(r) for r in result.resolutions],
    }


def _result_from_data(data: dict[str, Any]) -> CachedResult:
    cells = data["cells"]
    if cells is not None and not all(isinstance(c, str) for c in cells):
        raise ValueError("bad cells")
    dependencies = data["dependencies"]
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in dependencies.items()):
        raise ValueError("bad dependencies")
    return CachedResult(
        findings=[Finding.from_json(f) for f in data["findings"]],
        problems=[Problem(*p) for p in data["problems"]],
        parsed=bool(data["parsed"]),
        analysed=bool(data["analysed"]),
        cells=cells,
        dependencies=dependencies,
        resolutions=[_resolution(r) for r in data["resolutions"]],
    )


def _resolution(item: Iterable[Any]) -> Resolution:
    dotted, from_path, level, file = item
    return (str(dotted), from_path, int(level), file)
