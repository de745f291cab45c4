"""discover(respect_gitignore=False) honours no .gitignore at all: not above the walk, not nested in it."""

from __future__ import annotations

from pathlib import Path

from regcheck.sources.discover import discover


def _tree(root: Path) -> None:
    (root / ".gitignore").write_text("top_ignored.py\n")
    (root / "top_ignored.py").write_text("x = 1\n")
    (root / "kept.py").write_text("x = 1\n")
    nested = root / "pkg"
    nested.mkdir()
    (nested / ".gitignore").write_text("generated.py\nout/\n")
    (nested / "generated.py").write_text("x = 1\n")
    (nested / "model.py").write_text("x = 1\n")
    (nested / "out").mkdir()
    (nested / "out" / "gen.py").write_text("x = 1\n")


def _found(root: Path, respect: bool) -> list[str]:
    return sorted(
        Path(f).relative_to(root).as_posix() for f in discover([str(root)], root, respect_gitignore=respect).files
    )


def test_gitignore_files_are_honoured_by_default(tmp_path: Path) -> None:
    _tree(tmp_path)
    assert _found(tmp_path, True) == ["kept.py", "pkg/model.py"]


def test_respect_gitignore_false_ignores_nested_gitignore_files_too(tmp_path: Path) -> None:
    _tree(tmp_path)
    assert _found(tmp_path, False) == [
        "kept.py",
        "pkg/generated.py",
        "pkg/model.py",
        "pkg/out/gen.py",
        "top_ignored.py",
    ]
