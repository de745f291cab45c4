"""A multi-file project for the cache and worker tests: every check's first INVALID sample,
a two-module Keras project (models.py / train.py), a syntax error, and files the prefilter drops."""

from __future__ import annotations

import importlib.util
import textwrap
from pathlib import Path

from regcheck.checks import ALL_CHECKS
from regcheck.config.settings import Settings, resolve_selectors
from regcheck.lint.module import FileReport
from regcheck.run.batch import lint_files


def _two_module_project() -> tuple[str, str]:
    """models.py / train.py of the Keras multi-file tests: RC202 in train.py depends on models.py."""
    path = Path(__file__).resolve().parent.parent / "keras" / "test_multifile.py"
    spec = importlib.util.spec_from_file_location("_speed_multifile_sources", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.MODELS, module.TRAIN


MODELS, TRAIN = _two_module_project()

EXTRA = {
    "models.py": MODELS,
    "train.py": TRAIN,
    "broken.py": "import tensorflow as tf\nloss = tf.reduce_mean((\n",
    "plain_tf.py": "import tensorflow as tf\nloss = tf.reduce_mean(tf.square(y - pred))\n",
    "notes.py": "print('hello')\n",
}


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")


def write_project(tmp_path: Path) -> Path:
    files = dict(EXTRA)
    for check in ALL_CHECKS:
        if check.INVALID:
            files[f"samples/{check.code.lower()}_{check.__name__.lower()}.py"] = check.INVALID[0]
    write(tmp_path, files)
    return tmp_path


def settings_for(root: Path, select: str = "ALL") -> Settings:
    return Settings(select=frozenset(resolve_selectors([select], "select")), root=root)


def python_files(root: Path) -> list[str]:
    return sorted(str(p) for p in root.rglob("*.py") if ".regcheck_cache" not in p.parts)


def outcome(reports: list[FileReport]) -> list[tuple[str, list, list[str], bool]]:
    """What a run tells the user, per file, in order."""
    return [(r.path, r.findings, [str(p) for p in r.problems], r.parsed) for r in reports]


def run(root: Path, *, use_cache: bool, jobs: int, select: str = "ALL") -> list[FileReport]:
    return list(lint_files(python_files(root), settings_for(root, select), use_cache=use_cache, jobs=jobs))
