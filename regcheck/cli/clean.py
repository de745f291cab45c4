"""`regcheck clean`: remove the cache."""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from regcheck.cli.options import EXIT_OK
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
    for root in sorted(roots):
        cache = root / CACHE_DIR
        if cache.is_dir():
            shutil.rmtree(cache, ignore_errors=True)
            sys.stdout.write(f"removed {cache}\n")
    return EXIT_OK
