"""The child process: install hooks, run the user's entry point, report the first training step.

Run as ``python -m regcheck.graph.runner RESULT_FILE ENTRY [ARGS...]`` (or ``--batch RESULT_FILE
ENTRY...``: several entries in one process, see ``batch``). The
result file gets one JSON object: ``{"status": "ok", "findings": [...],
"coverage": [...], "notes": [...]}``, or status ``error`` (the user's code
raised), ``no-training`` (it ended without reaching training), ``internal``
(regcheck failed). At a capture the process ends with ``os._exit`` so nothing
more of the user's code runs: no training step, no checkpoint, no atexit.
"""

from __future__ import annotations

import json
import os
import runpy
import sys
import traceback
from typing import Any

from regcheck.graph.locate import format_user_error


def _write(path: str, payload: dict[str, Any]) -> None:
    tmp = path + ".part"
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(payload, handle)
    os.replace(tmp, path)  # the parent never reads half a result


def _finish(path: str, payload: dict[str, Any]) -> None:
    _write(path, payload)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass
    os._exit(0)


def _payload(ir: Any) -> dict[str, Any]:
    try:
        from regcheck.graph.analyse import analyse

        if ir.loss is None:
            return {"status": "no-loss", "hook": ir.hook, "notes": ir.notes}
        result = analyse(ir)
        return {
            "status": "ok",
            "hook": ir.hook,
            "notes": result.notes,
            "findings": [f.to_json() for f in result.findings],
            "coverage": [row.to_json() for row in result.coverage],
        }
    except BaseException:
        return {"status": "internal", "error": traceback.format_exc()}


def _sink(path: str) -> Any:
    def sink(ir: Any) -> None:
        _finish(path, _payload(ir))

    return sink


class _Captured(BaseException):
    """Unwinds the user's code from the first training step (BaseException: no `except Exception` stops it)."""


def batch(path: str, entries: list[str]) -> None:
    """Trace several entries in this one process, one after the other: ``{"results": [payload, ...]}``.

    For regcheck's own tests, which would otherwise start TensorFlow once per script.
    Each entry runs up to its first training step; the hooks are put back between entries."""
    import gc

    from regcheck.graph.hooks import TrainingHooks
    from regcheck.graph.registry import Registry

    registry = Registry()
    registry.install()
    results: list[dict[str, Any]] = []
    for entry in entries:
        slot: dict[str, Any] = {}

        def sink(ir: Any, slot: dict[str, Any] = slot) -> None:
            slot.update(_payload(ir))
            raise _Captured

        hooks = TrainingHooks(registry.catalog, sink)
        hooks.install()
        try:
            _run_entry(entry, [])
        except _Captured:
            pass
        except SystemExit as exc:
            if exc.code not in (None, 0):
                slot.update(status="error", error=f"the script exited with status {exc.code}")
        except BaseException as exc:
            slot.update(status="error", error=format_user_error(exc))
        finally:
            hooks.uninstall()
            gc.collect()
        results.append(slot or {"status": "no-training"})
    _finish(path, {"results": results})


def _run_entry(entry: str, args: list[str]) -> None:
    if ":" in entry and not entry.endswith(".py"):
        module_name, _, attr = entry.partition(":")
        sys.argv = [entry, *args]
        sys.path.insert(0, os.getcwd())
        import importlib

        target: Any = importlib.import_module(module_name)
        for part in attr.split("."):
            target = getattr(target, part)
        target()
    else:
        sys.argv = [entry, *args]
        sys.path.insert(0, os.path.dirname(os.path.abspath(entry)))
        runpy.run_path(entry, run_name="__main__")


def main(argv: list[str]) -> None:
    if argv[:1] == ["--batch"]:
        batch(argv[1], argv[2:])
    path, entry, args = argv[0], argv[1], argv[2:]
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
        from regcheck.graph.hooks import TrainingHooks
        from regcheck.graph.registry import Registry

        registry = Registry()
        registry.install()
        TrainingHooks(registry.catalog, _sink(path)).install()
    except BaseException:
        _finish(path, {"status": "internal", "error": traceback.format_exc()})
    try:
        _run_entry(entry, args)
    except SystemExit as exc:
        if exc.code not in (None, 0):
            _finish(path, {"status": "error", "error": f"the script exited with status {exc.code}"})
    except BaseException as exc:
        _finish(path, {"status": "error", "error": format_user_error(exc)})
    _finish(path, {"status": "no-training"})


if __name__ == "__main__":
    main(sys.argv[1:])
