"""The warm path without LSP: Workspace.lint re-lints one file from its text, the project kept warm."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from test_server import BLOCKS, HEAD, PLAIN_BLOCKS, TRAIN

from regcheck.lsp.workspace import Workspace


def _project(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return root


def _codes(findings: list) -> list[tuple[str, int]]:
    return [(f.code, f.line) for f in findings]


def test_buffers_disk_and_close(tmp_path: Path) -> None:
    root = _project(tmp_path, {"blocks.py": PLAIN_BLOCKS, "train.py": HEAD})
    workspace = Workspace(root)
    train, blocks = root / "train.py", root / "blocks.py"
    assert workspace.lint(train, HEAD) == []
    assert workspace.lint(blocks, BLOCKS) == []  # an unsaved buffer of the imported module
    assert workspace.dependents(blocks) == [str(train.resolve())]
    assert _codes(workspace.lint(train, HEAD)) == [("RC101", 8)]
    workspace.close(blocks)  # back to the file on disk, which has no regularizer
    assert workspace.lint(train, HEAD) == []
    blocks.write_text(BLOCKS, encoding="utf-8")
    assert workspace.lint(train, HEAD) == []  # not told yet: the index keeps what it read
    workspace.changed(blocks)
    assert _codes(workspace.lint(train, HEAD)) == [("RC101", 8)]


def test_an_edit_to_the_linted_file_itself(tmp_path: Path) -> None:
    root = _project(tmp_path, {"train.py": TRAIN})
    workspace = Workspace(root)
    assert _codes(workspace.lint(root / "train.py", TRAIN)) == [("RC202", 12)]
    fixed = TRAIN.replace("training=True))\n", "training=True)) + sum(model.losses)\n")
    assert workspace.lint(root / "train.py", fixed) == []
    assert workspace.fix_all(root / "train.py", TRAIN) == fixed
    assert _codes(workspace.lint(root / "train.py")) == [("RC202", 12)]  # no text: the file on disk


def test_a_new_module_joins_the_project(tmp_path: Path) -> None:
    root = _project(tmp_path, {"train.py": HEAD})
    workspace = Workspace(root)
    assert workspace.lint(root / "train.py", HEAD) == []
    assert workspace.lint(root / "blocks.py", BLOCKS) == []  # created in the editor, never saved
    assert _codes(workspace.lint(root / "train.py", HEAD)) == [("RC101", 8)]


def test_settings_and_excludes(tmp_path: Path) -> None:
    settings = '[tool.regcheck]\nper-file-ignores = {"tests/*" = ["RC202"]}\nextend-exclude = ["generated"]\n'
    root = _project(tmp_path, {"pyproject.toml": settings})
    workspace = Workspace(root)
    assert _codes(workspace.lint(root / "train.py", TRAIN)) == [("RC202", 12)]
    assert workspace.lint(root / "tests" / "train.py", TRAIN) == []
    assert workspace.lint(root / "generated" / "train.py", TRAIN) == []
    (root / "pyproject.toml").write_text("[tool.regcheck]\n", encoding="utf-8")
    workspace.changed(root / "pyproject.toml")
    assert _codes(workspace.lint(root / "tests" / "train.py", TRAIN)) == [("RC202", 12)]


def test_a_config_error_keeps_the_defaults(tmp_path: Path) -> None:
    root = _project(tmp_path, {"regcheck.toml": 'fail-on = "loud"\n'})
    workspace = Workspace(root)
    assert workspace.config_error is not None and "fail-on" in workspace.config_error
    assert _codes(workspace.lint(root / "train.py", TRAIN)) == [("RC202", 12)]


def test_the_warm_path_never_imports_tensorflow(tmp_path: Path) -> None:
    root = _project(tmp_path, {"blocks.py": BLOCKS, "train.py": HEAD})
    script = textwrap.dedent(
        f"""
        import sys
        from regcheck.lsp.workspace import Workspace
        import regcheck.lsp.server
        workspace = Workspace({str(root)!r})
        findings = workspace.lint({str(root / "train.py")!r}, open({str(root / "train.py")!r}).read())
        assert [f.code for f in findings] == ["RC101"], findings
        print(sorted(m for m in sys.modules if m.split(".")[0] in ("tensorflow", "keras", "tf_keras")))
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "[]\n"


def test_server_without_pygls_says_what_to_install() -> None:
    script = (
        "import sys; sys.modules['pygls'] = None; sys.modules['lsprotocol'] = None\n"
        "from regcheck.cli import main; raise SystemExit(main(['server']))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == "regcheck: error: regcheck server needs pygls and lsprotocol: pip install 'regcheck[lsp]'\n"
