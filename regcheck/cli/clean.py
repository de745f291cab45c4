"""`regcheck clean`: remove the cache."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

from regcheck.cli.options import EXIT_ERROR, EXIT_OK
from regcheck.config.settings import ConfigError, load_settings
from regcheck.run.cache import CACHE_DIR


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="regcheck clean", description="Remove the cache (.regcheck_cache at the settings root and here)."
    )
    parser.add_argument("path", nargs="?", default=".", help="where to look for the settings (default: .)")
    args = parser.parse_args(argv)
    roots = {Path.cwd()}
    try:
        roots.add(load_settings(Path(args.path)).root)
    except ConfigError as exc:
        sys.stderr.write(f"regcheck: error: {exc}\n")
    code = EXIT_OK
    for root in sorted(roots):
        cache = root / CACHE_DIR
        if not os.path.lexists(cache):
            continue
        failures = _remove(cache)
        if os.path.lexists(cache):  # "removed" only when it is gone
            reason = failures[0] if failures else "it is still there"
            sys.stderr.write(f"regcheck: error: cannot remove {cache}: {reason}\n")
            code = EXIT_ERROR
        else:
            sys.stdout.write(f"removed {cache}\n")
    return code


def _remove(cache: Path) -> list[str]:
    """Remove the folder; why each part that could not be removed stayed."""
    failures: list[str] = []
    if sys.version_info >= (3, 12):
        shutil.rmtree(cache, onexc=lambda _function, _path, error: failures.append(_reason(error)))
    else:
        shutil.rmtree(cache, onerror=lambda _function, _path, info: failures.append(_reason(info[1])))
    return failures


def _reason(error: BaseException) -> str:
    if isinstance(error, OSError):
        where = f" ({error.filename})" if error.filename else ""
        return f"{error.strerror or error}{where}"
    return str(error)
