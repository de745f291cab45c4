"""Fixes never lose a user's file: bytes, encoding, line endings, mode and atomicity are kept."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from reliability_support import FIXED_LOSS, TF1_BATCHNORM, TF1_BUGGY, error_lines, run_cli

from regcheck.findings import Applicability, Edit, Finding, Fix, Severity
from regcheck.fixing.apply import MAX_ROUNDS, fix_text, parses
from regcheck.fixing.write import WriteError, write_source_atomic
from regcheck.sources import files
from regcheck.sources.files import read_source
from regcheck.sources.text import apply_edits


def _line_endings(data: bytes) -> list[bytes]:
    """The ending of every line, in order (b"" for a last line without one)."""
    endings = []
    for line in data.splitlines(keepends=True):
        stripped = line.rstrip(b"\r\n")
        endings.append(line[len(stripped) :])
    return endings


VARIANTS = {
    "lf": TF1_BUGGY.encode(),
    "crlf": TF1_BUGGY.replace("\n", "\r\n").encode(),
    "cr": TF1_BUGGY.replace("\n", "\r").encode(),
    "mixed": b"".join(
        line.replace(b"\n", b"\r\n") if i % 2 == 0 else line
        for i, line in enumerate(TF1_BUGGY.encode().splitlines(keepends=True))
    ),
    "no-final-newline": TF1_BUGGY.rstrip("\n").encode(),
    "bom": b"\xef\xbb\xbf" + TF1_BUGGY.encode(),
    "latin-1-cookie": ("# -*- coding: latin-1 -*-\n# caf\xe9 cr\xe8me\n" + TF1_BUGGY).encode("latin-1"),
    "utf-8-non-ascii": ("# 正则化 ✓\n" + TF1_BUGGY).encode("utf-8"),
}


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_fix_keeps_encoding_line_endings_and_mode(tmp_path: Path, variant: str) -> None:
    original = VARIANTS[variant]
    target = tmp_path / "train.py"
    target.write_bytes(original)
    os.chmod(target, 0o751)

    code, out, err = run_cli(str(target), "--fix", "--no-cache")

    assert code == 0, out + err
    data = target.read_bytes()
    assert data != original
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o751
    assert data.startswith(b"\xef\xbb\xbf") == original.startswith(b"\xef\xbb\xbf")
    # The same decoding works and only the one line changed, with its own ending.
    source_before = files.decode_source("before", original)
    source_after = files.decode_source("after", data)
    assert source_after.encoding == source_before.encoding
    assert FIXED_LOSS in source_after.text
    assert _line_endings(data) == _line_endings(original)
    assert parses(source_after.text)
    # A second run changes nothing.
    assert run_cli(str(target), "--fix", "--no-cache")[0] == 0
    assert target.read_bytes() == data
    assert not list(tmp_path.glob("*.regcheck-tmp"))


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_multiline_fix_uses_the_files_line_ending(tmp_path: Path, newline: str) -> None:
    target = tmp_path / "bn.py"
    target.write_bytes(TF1_BATCHNORM.replace("\n", newline).encode())

    assert run_cli(str(target), "--fix", "--no-cache")[0] == 0

    data = target.read_bytes().decode()
    assert "UPDATE_OPS" in data
    others = {"\n", "\r\n", "\r"} - {newline}
    stripped = data.replace(newline, "")
    assert not any(other in stripped for other in others), repr(data)
    assert parses(data)


def test_fix_through_a_symlink_keeps_the_link(tmp_path: Path) -> None:
    real = tmp_path / "real.py"
    real.write_text(TF1_BUGGY)
    link = tmp_path / "link.py"
    link.symlink_to(real)

    assert run_cli(str(link), "--fix", "--no-cache")[0] == 0

    assert link.is_symlink()
    assert FIXED_LOSS in real.read_text()


def test_failure_between_temp_write_and_rename_leaves_the_original(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "train.py"
    target.write_text(TF1_BUGGY)

    def refuse(src: str, dst: object) -> None:
        assert Path(src).read_bytes()  # the new content was fully written to the temp file first
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files.os, "replace", refuse)
    code, _, err = run_cli(str(target), "--fix", "--no-cache")

    assert code == 2
    assert target.read_text() == TF1_BUGGY
    assert list(tmp_path.iterdir()) == [target]  # the temp file was removed
    assert any("cannot write fixes" in line and "No space left" in line for line in error_lines(err))
    assert "Traceback" not in err


KILLED_WRITER = textwrap.dedent(
    """
    import os, sys, time
    from regcheck.sources import files
    from regcheck.cli import main
    real_replace = os.replace
    def stall(src, dst):
        open(sys.argv[2], "w").write(src)  # tell the test the temp file is written
        time.sleep(60)
        real_replace(src, dst)
    files.os.replace = stall
    main([sys.argv[1], "--fix", "--no-cache"])
    """
)


def test_killed_fixer_leaves_the_original_file(tmp_path: Path) -> None:
    target = tmp_path / "train.py"
    target.write_text(TF1_BUGGY)
    ready = tmp_path / "ready"
    child = subprocess.Popen([sys.executable, "-c", KILLED_WRITER, str(target), str(ready)])
    try:
        for _ in range(1200):  # wait (up to a minute) for the temp file to be complete
            if ready.exists() and ready.read_text():
                break
            if child.poll() is not None:
                pytest.fail("the fixer exited before writing")
            time.sleep(0.05)
        temp = Path(ready.read_text())
        assert FIXED_LOSS in temp.read_text()  # the new version exists in full...
        child.send_signal(signal.SIGKILL)
        child.wait()
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert target.read_text() == TF1_BUGGY  # ...and the original was never touched
    # The leftover is hidden, and regcheck never takes it for source.
    assert temp.name.startswith(".") and not temp.name.endswith(".py")


def test_file_changed_on_disk_is_not_overwritten(tmp_path: Path) -> None:
    target = tmp_path / "train.py"
    target.write_text(TF1_BUGGY)
    source = read_source(str(target))
    target.write_text(TF1_BUGGY + "# edited meanwhile\n")

    with pytest.raises(WriteError, match="changed on disk"):
        write_source_atomic(source, TF1_BUGGY.replace("loss = tf.reduce_mean(w1)", FIXED_LOSS))

    assert target.read_text().endswith("# edited meanwhile\n")


def test_unencodable_fix_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "train.py"
    target.write_bytes(b"# -*- coding: ascii -*-\nx = 1\n")
    source = read_source(str(target))

    with pytest.raises(WriteError, match="cannot be encoded as ascii"):
        write_source_atomic(source, source.text + "y = '\u20ac'\n")

    assert target.read_bytes() == b"# -*- coding: ascii -*-\nx = 1\n"


# --- the round loop, with a scripted linter ---------------------------------------


def _finding(line: int, column: int, fix: Fix, code: str = "RC999", message: str = "m") -> Finding:
    return Finding(code, "test", Severity.WARNING, "t.py", line, column, line, column, message, fix=fix)


def _insert(line: int, column: int, content: str, applicability: Applicability = Applicability.SAFE) -> Fix:
    return Fix(applicability, f"insert {content!r}", (Edit(line, column, line, column, content),))


def test_overlapping_fixes_are_applied_over_rounds() -> None:
    text = "a = 1\n"

    def lint(current: str) -> list[Finding]:
        # Two fixes at the same point: one per round, until both markers are in.
        return [
            _finding(1, 6, _insert(1, 6, marker), message=marker)
            for marker in ("  # one", "  # two")
            if marker not in current
        ]

    result = fix_text(text, lint, unsafe=False)

    assert result.applied == 2
    assert "# one" in result.text and "# two" in result.text
    assert result.remaining == []
    assert fix_text(result.text, lint, unsafe=False).text == result.text


def test_a_round_that_breaks_syntax_is_reverted() -> None:
    text = "a = 1\nb = 2\n"

    def lint(current: str) -> list[Finding]:
        findings = []
        if "(" not in current:
            findings.append(_finding(1, 5, _insert(1, 5, "("), message="breaks"))
        if "c = 3" not in current:
            findings.append(_finding(2, 6, _insert(2, 6, "\nc = 3"), message="good"))
        return findings

    result = fix_text(text, lint, unsafe=False)

    assert result.reverted
    assert result.text == "a = 1\nb = 2\nc = 3\n"
    assert [f.message for f in result.remaining] == ["breaks"]


def test_fixes_that_break_only_together_go_one_at_a_time() -> None:
    text = "def f():\n    pass\n"

    def lint(current: str) -> list[Finding]:
        # Each alone compiles; together: "name 'x' is assigned to before global declaration".
        lines = current.splitlines()
        findings = []
        if "x = 1" not in current:
            findings.append(_finding(2, 5, _insert(2, 5, "x = 1\n    "), message="assign"))
        if "global x" not in current:
            last = len(lines)
            findings.append(_finding(last, 9, _insert(last, 9, "\n    global x"), message="declare"))
        return findings

    result = fix_text(text, lint, unsafe=False)

    assert result.reverted
    assert result.applied == 1
    assert parses(result.text)
    assert "x = 1" in result.text and "global x" not in result.text


def test_non_converging_fix_is_dropped() -> None:
    text = "a = 1\n"

    def lint(current: str) -> list[Finding]:
        # Always reported, always "fixable": applying it would grow the file forever.
        end = len(current.splitlines()) + 1
        return [_finding(1, 1, _insert(end, 1, "a = 1\n"), message="forever")]

    result = fix_text(text, lint, unsafe=False)

    assert result.text == text
    assert result.reverted


def test_rounds_are_capped() -> None:
    def lint(current: str) -> list[Finding]:
        # Every finding inserts at the same point, so only one applies per round.
        count = current.count("#")
        return [
            _finding(1, 6, _insert(1, 6, f" #{i}"), message="finding " + chr(97 + i))
            for i in range(count, MAX_ROUNDS + 5)
        ]

    result = fix_text("a = 1\n", lint, unsafe=False)

    assert result.applied == MAX_ROUNDS
    assert len(result.remaining) == 5
    assert parses(result.text)


def test_unsafe_fixes_wait_for_unsafe_mode() -> None:
    def lint(current: str) -> list[Finding]:
        if "b" in current:
            return []
        return [_finding(1, 6, _insert(1, 6, "\nb = 2", Applicability.UNSAFE))]

    assert fix_text("a = 1\n", lint, unsafe=False).text == "a = 1\n"
    assert fix_text("a = 1\n", lint, unsafe=True).text == "a = 1\nb = 2\n"


@pytest.mark.parametrize(
    "text",
    [
        "await main()\nx = 1\n",  # notebooks run top-level await
        "return 1\nx = 1\n",  # parses, but the compiler rejects it: held only to parsing
    ],
)
def test_files_the_compiler_rejects_can_still_be_fixed(text: str) -> None:
    def lint(current: str) -> list[Finding]:
        return [] if "y = 2" in current else [_finding(2, 6, _insert(2, 6, "\ny = 2"))]

    result = fix_text(text, lint, unsafe=False)
    assert result.text == text + "y = 2\n"


def test_apply_edits_keeps_each_lines_own_ending() -> None:
    text = "a = 1\r\nb = 2\nc = 3\r\n"
    edits = [Edit(1, 6, 1, 6, "\nx = 0"), Edit(2, 6, 2, 6, "\ny = 0")]
    assert apply_edits(text, edits) == "a = 1\r\nx = 0\r\nb = 2\ny = 0\nc = 3\r\n"


def test_parses_does_not_print_syntax_warnings(capfd: pytest.CaptureFixture[str]) -> None:
    assert parses("x = '\\d'\n")
    assert "SyntaxWarning" not in capfd.readouterr().err
