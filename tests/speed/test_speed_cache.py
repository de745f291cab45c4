"""The cache and the worker pool never change what a run reports; the cache notices every change."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from speed_project import MODELS, TRAIN, outcome, python_files, run, settings_for, write

from regcheck.lint.module import FileReport
from regcheck.run import batch
from regcheck.run.batch import lint_files
from regcheck.run.cache import CACHE_DIR


def _entries(root: Path) -> list[Path]:
    return sorted(p for p in (root / CACHE_DIR).rglob("*.json"))


def _forbid_linting(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(self: object, path: str) -> None:
        raise AssertionError(f"{path} was linted again although it is cached")

    monkeypatch.setattr(batch._Run, "lint", fail)


def test_same_findings_with_and_without_cache_and_with_one_or_two_workers(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reference = outcome(run(project, use_cache=False, jobs=1))
    assert any(findings for _path, findings, _problems, _parsed in reference)
    assert {Path(path).name for path, findings, _, _ in reference if findings} >= {"train.py", "broken.py"}
    assert not (project / CACHE_DIR).exists()  # --no-cache neither reads nor writes

    assert outcome(run(project, use_cache=False, jobs=2)) == reference
    assert outcome(run(project, use_cache=True, jobs=2)) == reference  # cold: fills the cache
    assert _entries(project)
    _forbid_linting(monkeypatch)
    assert outcome(run(project, use_cache=True, jobs=2)) == reference  # warm: nothing parsed again
    assert outcome(run(project, use_cache=True, jobs=1)) == reference


def test_reports_stream_in_input_order_from_the_pool(project: Path) -> None:
    files = python_files(project)
    shuffled = files[1::2] + files[::2]
    reports = lint_files(shuffled, settings_for(project), use_cache=False, jobs=2)
    assert [r.path for r in reports] == shuffled


def test_warm_reports_keep_the_source_for_fixes(project: Path) -> None:
    run(project, use_cache=True, jobs=1)
    for report in run(project, use_cache=True, jobs=1):
        if report.findings and report.cells is None:
            assert report.source is not None and report.source.text == Path(report.path).read_text()


def test_a_changed_file_is_linted_again(project: Path) -> None:
    write(project, {"train.py": TRAIN})
    run(project, use_cache=True, jobs=1)
    write(
        project, {"train.py": TRAIN.replace("model(x, training=True))", "model(x, training=True)) + sum(model.losses)")}
    )
    train = next(r for r in run(project, use_cache=True, jobs=1) if r.path.endswith("train.py"))
    assert not [f for f in train.findings if f.code == "RC202"]


def _rc202(root: Path) -> list[str]:
    return [
        Path(r.path).name
        for r in run(root, use_cache=True, jobs=1, select="RC202")
        for f in r.findings
        if f.code == "RC202"
    ]


def test_cached_result_follows_a_change_in_a_module_it_imports(tmp_path: Path) -> None:
    write(tmp_path, {"models.py": MODELS, "train.py": TRAIN})
    assert _rc202(tmp_path) == ["train.py"]
    # train.py is unchanged; only the module it builds its model from loses its penalties.
    write(tmp_path, {"models.py": MODELS.replace(", kernel_regularizer=regularizers.L2(1e-4)", "")})
    assert _rc202(tmp_path) == []
    write(tmp_path, {"models.py": MODELS})
    assert _rc202(tmp_path) == ["train.py"]


def test_cached_result_follows_a_module_that_appears_later(tmp_path: Path) -> None:
    write(tmp_path, {"train.py": TRAIN})
    assert _rc202(tmp_path) == []  # `models` is not part of the project: unknown, quiet
    write(tmp_path, {"models.py": MODELS})
    assert _rc202(tmp_path) == ["train.py"]


def test_corrupt_or_truncated_entries_are_misses(project: Path) -> None:
    reference = outcome(run(project, use_cache=True, jobs=1))
    entries = _entries(project)
    for number, entry in enumerate(entries):
        if number % 3 == 0:
            entry.write_bytes(b"\x00not json")
        elif number % 3 == 1:
            entry.write_bytes(entry.read_bytes()[: len(entry.read_bytes()) // 2])
        else:
            entry.write_text('{"format": 1, "path": 3, "hash": [], "findings": "x"}')
    assert outcome(run(project, use_cache=True, jobs=1)) == reference
    assert outcome(run(project, use_cache=True, jobs=1)) == reference  # and they were rewritten


def test_cache_writes_leave_no_temporary_files(project: Path) -> None:
    run(project, use_cache=True, jobs=2)
    leftovers = [p for p in (project / CACHE_DIR).rglob("*") if p.name.endswith(".tmp")]
    assert leftovers == []
    assert (project / CACHE_DIR / ".gitignore").read_text().strip().endswith("*")


def test_other_settings_do_not_see_each_others_results(project: Path) -> None:
    everything = outcome(run(project, use_cache=True, jobs=1))
    only_syntax = outcome(run(project, use_cache=True, jobs=1, select="RC000"))
    assert {f.code for _, findings, _, _ in only_syntax for f in findings} == {"RC000"}
    assert outcome(run(project, use_cache=True, jobs=1)) == everything


def test_unwritable_cache_costs_speed_not_findings(project: Path) -> None:
    reference = outcome(run(project, use_cache=False, jobs=1))
    (project / CACHE_DIR).write_text("not a directory")
    assert outcome(run(project, use_cache=True, jobs=1)) == reference


def test_worker_failure_falls_back_to_linting_here(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    reference = outcome(run(project, use_cache=False, jobs=1))

    parent = os.getpid()

    def dying(self: batch._Run, paths: list[str]) -> list[FileReport]:
        if os.getpid() != parent:
            os._exit(3)  # the worker process dies without a word
        return []

    monkeypatch.setattr(batch._Run, "lint_batch", dying)
    assert outcome(run(project, use_cache=False, jobs=2)) == reference
