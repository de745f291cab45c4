"""The child side of `regcheck trace`: import TensorFlow once, then fork one child per entry.

``python -m regcheck.graph.runner --serve`` imports TensorFlow (and the Keras
that ``TF_USE_LEGACY_KERAS`` selects), answers ``{"ready": ...}``, then reads
one JSON job per line on stdin and answers one JSON line per job on stdout::

    job:    {"entry": "train.py" | "pkg.mod:fn" | "file.py:fn", "args": [...], "cwd": DIR,
             "display_cwd": DIR, "result": FILE, "stdout": FILE, "stderr": FILE, "dump": FILE,
             "timeout": SECONDS}
    answer: {"exit": STATUS, "timed_out": BOOL, "seconds": ...}

Each job runs in a child forked from the server, so TensorFlow's start-up is
paid once per server, and every script still gets a process of its own (no
state leaks from one script to the next: eager mode, Keras name counters, the
default graph). The child runs in its own session (process group), writes its
output to files (never to a pipe that a helper process could hold open), runs
in ``cwd`` (a scratch directory unless the user asked otherwise), and ends
with ``os._exit`` once its training steps are captured: no training step, no
checkpoint, no atexit. The server ends the child's process group on every exit.

The result file gets one JSON object: ``{"status": "ok", "steps": [...],
"findings": [...], "coverage": [...], "notes": [...]}``, or status ``error``
(the user's code raised or exited), ``no-training`` (it ended without reaching
training), ``no-loss``, ``internal`` (regcheck failed).
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
import traceback
from typing import Any

from regcheck.graph.locate import brief_user_error, format_user_error

_KILL_GRACE = 0.5  # seconds a finished child's helpers get between SIGTERM and SIGKILL


def _write(path: str, payload: dict[str, Any]) -> None:
    tmp = path + ".part"
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(payload, handle)
    os.replace(tmp, path)  # the parent never reads half a result


def _finish(path: str, payload: dict[str, Any]) -> None:
    try:
        _write(path, payload)
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:
                pass
        os._exit(0)


# -- the child ------------------------------------------------------------------------------------
def _redirect(job: dict[str, Any]) -> None:
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    for fd, key in ((1, "stdout"), (2, "stderr")):
        target = os.open(job[key], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(target, fd)
        os.close(target)
    sys.stdin = open(os.devnull, encoding="utf-8")  # noqa: SIM115  # the child's stdin for its whole life
    sys.stdout = sys.__stdout__  # the server pointed it at stderr; the script's prints go to its own stdout


def _split_entry(entry: str) -> tuple[str, str | None]:
    """``train.py`` -> (train.py, None); ``pkg.mod:fn`` / ``file.py:fn`` -> (module or file, fn)."""
    if entry.endswith(".py") or ":" not in entry:
        return entry, None
    module, _, attr = entry.rpartition(":")
    return module, attr


class _Entry:
    """What running an entry's module left: its namespace (kept when the module raised) and the callable."""

    def __init__(self) -> None:
        self.namespace: dict[str, Any] | None = None
        self.path: str | None = None
        self.target: Any = None
        self.import_error: BaseException | None = None


def _exec_file(path: str, name: str, entry: _Entry) -> None:
    """Run a file as module ``name`` (``__main__`` for a script), as `python path` would; the namespace stays
    in ``entry`` whatever happens, so the functions defined before an error are still known."""
    import types

    module = types.ModuleType(name)
    module.__dict__.update(__file__=path, __cached__=None, __loader__=None, __package__=None, __spec__=None)
    sys.modules[name] = module
    entry.namespace, entry.path = module.__dict__, path
    with open(path, "rb") as handle:
        code = compile(handle.read(), path, "exec", dont_inherit=True)
    exec(code, module.__dict__)


def _resolve(entry_text: str, display_cwd: str, entry: _Entry) -> None:
    """Run or import the entry's module and find its callable (None for a script)."""
    import importlib

    where, attr = _split_entry(entry_text)
    if attr is None:
        path = os.path.abspath(os.path.join(display_cwd, where))
        sys.path.insert(0, os.path.dirname(path))
        _exec_file(path, "__main__", entry)
        return
    if where.endswith(".py"):
        path = os.path.abspath(os.path.join(display_cwd, where))
        sys.path.insert(0, os.path.dirname(path))
        try:
            _exec_file(path, os.path.basename(path)[:-3], entry)
        except Exception as exc:  # a module that fails after defining the builder (it loads data at import)
            if entry.namespace is None or attr.split(".")[0] not in entry.namespace:
                raise
            entry.import_error = exc
        target: Any = entry.namespace
        first, *rest = attr.split(".")
        target = target[first] if isinstance(target, dict) and first in target else None
        if target is None:
            raise AttributeError(f"{where} defines no {first!r}")
    else:
        sys.path.insert(0, display_cwd)
        target = importlib.import_module(where)
        rest = attr.split(".")
    for part in rest:
        target = getattr(target, part)
    entry.target = target


def _required_parameters(function: Any) -> list[str]:
    import inspect

    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):
        return []
    return [
        name
        for name, p in signature.parameters.items()
        if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
    ]


def _builders(namespace: dict[str, Any], path: str) -> list[str]:
    """Functions the script defines that take no required argument: what `trace file.py:fn` could call."""
    found = []
    for name, value in namespace.items():
        code = getattr(value, "__code__", None)
        if name.startswith("_") or code is None or os.path.abspath(code.co_filename) != os.path.abspath(path):
            continue
        if not _required_parameters(value):
            found.append(name)
    return found


def _built_objects(value: Any) -> list[Any]:
    """Keras models and tf.Graphs in what a builder returned (itself, or inside a tuple / list / dict)."""
    from regcheck.graph.audit import model_classes

    classes = model_classes()
    items = (
        list(value.values())
        if isinstance(value, dict)
        else list(value)
        if isinstance(value, (tuple, list))
        else [value]
    )
    found = []
    for item in items:
        if (classes and isinstance(item, classes)) or type(item).__name__ == "Graph":
            found.append(item)
    return found


def _audit_built(hooks: Any, registry: Any, value: Any, entry: str) -> dict[str, Any] | None:
    """Audit what a builder returned, as the loss its stock training would minimize."""
    from regcheck.graph.audit import NotBuiltError, graph_loss_ir, model_ir
    from regcheck.graph.catalog import VariableCatalog
    from regcheck.graph.hooks import Step
    from regcheck.graph.locate import current_site

    objects = _built_objects(value)
    if not objects:
        return None
    for built in objects:
        if type(built).__name__ == "Graph":
            catalog = VariableCatalog()
            try:
                ir = graph_loss_ir(built, catalog)
            except ValueError:
                return {
                    "status": "error",
                    "error": f"{entry} returned a tf.Graph that holds no gradients: nothing "
                    "in it is minimized (build the optimizer's train op in it)",
                }
            ir.hook = f"the graph {entry} returned"
            ir.call_site = ir.op_site(ir.loss) if ir.loss is not None else None
            hooks.steps.append(Step(ir, catalog, None, set()))
            continue
        try:
            ir, catalog = model_ir(built, current_site(), (registry.layer_sites, registry.late_sites))
        except NotBuiltError as exc:
            return {"status": "error", "error": f"{entry} returned a model that cannot be audited: {exc}"}
        ir.hook = f"the stock fit of the model {entry} returned"
        if ir.call_site is None and ir.late_regularizers:
            ir.call_site = ir.late_regularizers[0].site
        optimizer = getattr(built, "optimizer", None)
        hooks.steps.append(
            Step(ir, catalog, None, set(), optimizer=optimizer if hasattr(optimizer, "weight_decay") else None)
        )
    payload: dict[str, Any] = hooks.payload()
    return payload


def _child(job: dict[str, Any]) -> None:
    import faulthandler

    result = job["result"]
    os.setsid()  # own session and process group: the server ends the group, helpers included
    _on_parent_death(signal.SIGKILL)  # a server killed outright takes its running child along
    _redirect(job)
    dump = open(job["dump"], "w", encoding="utf-8")  # noqa: SIM115  # kept open for faulthandler
    faulthandler.register(signal.SIGUSR1, file=dump, all_threads=True, chain=False)
    os.chdir(job["cwd"])
    os.environ["REGCHECK_CWD"] = job["display_cwd"]
    sys.dont_write_bytecode = True  # no __pycache__ in the user's folders
    entry, args = job["entry"], list(job.get("args", []))
    sys.argv = [entry, *args]
    try:
        from regcheck.graph.hooks import TrainingHooks, _Stop
        from regcheck.graph.imports import FAILED
        from regcheck.graph.registry import Registry

        registry = Registry()
        registry.install()
        hooks = TrainingHooks(registry.catalog, lambda payload: _finish(result, payload))
        hooks.install()
    except BaseException:
        _finish(result, {"status": "internal", "error": traceback.format_exc()})
        return

    def on_timeout(signum: int, frame: Any) -> None:  # the server's last call: report what was captured
        if hooks.steps:
            hooks.notes.append(
                f"the script was stopped by the timeout ({job.get('timeout', 0):g} s) after its "
                f"last captured step; a later step may be missing"
            )
            hooks.finish()

    signal.signal(signal.SIGUSR2, on_timeout)
    ran = _Entry()
    try:
        _resolve(entry, job["display_cwd"], ran)
        target = ran.target
        if ran.import_error is not None:
            hooks.notes.append(
                f"importing {entry.rpartition(':')[0]} raised {brief_user_error(ran.import_error)}; "
                f"{entry.rpartition(':')[2]} was defined before that and is called anyway"
            )
        if target is not None:
            missing = _required_parameters(target)
            if missing:
                _finish(
                    result,
                    {
                        "status": "error",
                        "error": f"{entry} takes arguments ({', '.join(missing)}): "
                        "regcheck trace calls it without any; give them defaults",
                    },
                )
            value = target()
            if not hooks.steps:
                built = _audit_built(hooks, registry, value, entry)
                if built is not None:
                    _finish(result, built)
    except _Stop:
        pass
    except SystemExit as exc:
        if exc.code not in (None, 0):
            status = exc.code if isinstance(exc.code, int) else 1
            if not hooks.steps:
                _finish(result, {"status": "error", "error": f"the script exited with status {status}", "exit": status})
            hooks.notes.append(f"the script exited with status {status} after its training step")
    except BaseException as exc:
        if not hooks.steps:
            failure: dict[str, Any] = {
                "status": "error",
                "error": format_user_error(exc),
                "brief": brief_user_error(exc),
            }
            if ran.namespace is not None and ran.path is not None and ran.target is None:
                failure["builders"] = _builders(ran.namespace, ran.path)  # defined before the error
            _finish(result, failure)
        hooks.notes.append(f"after its training step the script failed: {format_user_error(exc, 1)}")
    if FAILED:
        hooks.notes.extend(f"a hook could not be installed ({failure})" for failure in FAILED)
    payload_sink = hooks.sink

    def with_candidates(payload: dict[str, Any]) -> None:
        if payload.get("status") == "no-training" and ran.namespace is not None and ran.path is not None:
            payload["builders"] = _builders(ran.namespace, ran.path)
        payload_sink(payload)

    hooks.sink = with_candidates
    hooks.finish()
    _finish(result, {"status": "internal", "error": "the run ended without a result"})


# -- the server -----------------------------------------------------------------------------------
def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def _end_group(pgid: int) -> None:
    """End everything the child left behind (a TensorBoard, a data worker), politely then not."""
    try:
        os.killpg(pgid, signal.SIGTERM)
    except (ProcessLookupError, PermissionError):
        return
    deadline = time.monotonic() + _KILL_GRACE
    while time.monotonic() < deadline and _group_alive(pgid):
        time.sleep(0.01)
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _wait(pid: int, deadline: float) -> int | None:
    """The child's exit status, or None when the deadline passed first."""
    delay = 0.001
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        if time.monotonic() >= deadline:
            return None
        time.sleep(delay)
        delay = min(delay * 2, 0.02)


def run_job(job: dict[str, Any]) -> dict[str, Any]:
    start = time.monotonic()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        try:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            _child(job)
        finally:
            os._exit(70)
    _CURRENT[:] = [pid]
    timeout = float(job.get("timeout", 120))
    status = _wait(pid, start + timeout)
    timed_out = status is None
    if status is None:
        try:
            os.kill(pid, signal.SIGUSR1)  # faulthandler: where the script is stuck
            time.sleep(0.2)
            os.kill(pid, signal.SIGUSR2)  # report the steps captured so far, if any
        except ProcessLookupError:
            pass
        status = _wait(pid, time.monotonic() + 5.0)
        if status is None:
            try:
                os.killpg(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            status = _wait(pid, time.monotonic() + 5.0)
    _end_group(pid)
    _CURRENT.clear()
    return {"exit": status, "timed_out": timed_out, "seconds": round(time.monotonic() - start, 3)}


def _prepare() -> None:
    """What every child needs, imported once: TensorFlow, the Keras it will use, and regcheck's graph path."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow  # noqa: F401

    try:
        if os.environ.get("TF_USE_LEGACY_KERAS") == "1":
            import tf_keras  # noqa: F401
        else:
            import keras  # noqa: F401
    except ImportError:
        pass
    import regcheck.graph.analyse
    import regcheck.graph.audit
    import regcheck.graph.hooks
    import regcheck.graph.registry  # noqa: F401


_CURRENT: list[int] = []  # the child being run, for the server's own end


def _die_with_parent() -> None:
    """On Linux, the server ends when regcheck does (even killed), and ends its running child's group."""

    def on_term(signum: int, frame: Any) -> None:
        for pid in _CURRENT:
            try:
                os.killpg(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        os._exit(1)

    signal.signal(signal.SIGTERM, on_term)
    _on_parent_death(signal.SIGTERM)


def _on_parent_death(signum: int) -> None:
    """Linux: get ``signum`` when the parent process ends, however it ends (PR_SET_PDEATHSIG)."""
    try:
        import ctypes

        ctypes.CDLL(None).prctl(1, signum)
    except Exception:
        pass


def serve() -> None:
    _die_with_parent()
    start = time.monotonic()
    channel = sys.stdout
    sys.stdout = sys.stderr  # whatever a library prints goes to stderr; stdout carries answers only
    try:
        _prepare()
    except BaseException:
        channel.write(json.dumps({"ready": False, "error": traceback.format_exc()}) + "\n")
        channel.flush()
        return
    channel.write(json.dumps({"ready": True, "seconds": round(time.monotonic() - start, 3)}) + "\n")
    channel.flush()
    for line in sys.stdin:
        if not line.strip():
            continue
        answer = run_job(json.loads(line))
        channel.write(json.dumps(answer) + "\n")
        channel.flush()


if __name__ == "__main__":
    if sys.argv[1:] == ["--serve"]:
        serve()
    else:
        sys.stderr.write("usage: python -m regcheck.graph.runner --serve (see regcheck.graph.trace)\n")
        sys.exit(2)
