"""Map creation stacks back to the line of user code that made a variable or op.

TensorFlow keeps a creation traceback on every graph op; for eager variables
and Keras layers the runner records a stack at creation time. Either way the
innermost frame that is the user's own code (not TensorFlow, Keras, the
standard library or regcheck) is the place a finding points at.
"""

from __future__ import annotations

import linecache
import os
import sys
import sysconfig
import traceback
import types
from collections.abc import Iterable

from regcheck.graph.ir import Site

_REGCHECK_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_LIBRARY_DIRS = tuple(
    {
        os.path.abspath(p) + os.sep
        for p in (
            sysconfig.get_paths().get("stdlib"),
            sysconfig.get_paths().get("purelib"),
            sysconfig.get_paths().get("platlib"),
        )
        if p
    }
)


def is_user_file(filename: str) -> bool:
    if not filename or filename.startswith("<"):
        return False
    path = os.path.abspath(filename)
    if path.startswith(_REGCHECK_DIR + os.sep) or path.startswith(_LIBRARY_DIRS):
        return False
    if os.path.basename(path).startswith("__autograph_generated"):
        return False
    return "site-packages" not in path and "dist-packages" not in path


def display_path(filename: str) -> str:
    """Relative to the user's cwd when the file lies under it, so findings match static ones.

    A traced script runs in a scratch directory; ``REGCHECK_CWD`` is then the directory the user ran from."""
    base = os.environ.get("REGCHECK_CWD") or os.getcwd()
    path = os.path.abspath(os.path.join(base, filename))
    rel = os.path.relpath(path, base)
    return path if rel.startswith(os.pardir) else rel.replace(os.sep, "/")


def site_of(filename: str, lineno: int) -> Site:
    text = linecache.getline(filename, lineno).rstrip("\r\n")
    column = len(text) - len(text.lstrip()) + 1 if text.strip() else 1
    return Site(display_path(filename), lineno, column, len(text) + 1 if text.strip() else column)


def user_site(frames: Iterable[tuple[str, int]]) -> Site | None:
    """The innermost user frame of an outermost-first stack of (filename, lineno)."""
    for filename, lineno in reversed(list(frames)):
        if lineno and is_user_file(filename):
            return site_of(filename, lineno)
    return None


def current_site() -> Site | None:
    if "tensorflow" in sys.modules:
        # TF's own stack extraction applies autograph's source maps, so code inside a
        # converted tf.function points at the user's file, not at a generated one.
        from tensorflow.python.util import tf_stack

        return user_site((f.filename, f.lineno) for f in tf_stack.extract_stack())
    frame: types.FrameType | None = sys._getframe(1)
    frames = []
    while frame is not None:  # cheaper than traceback.extract_stack: no source lines read
        frames.append((frame.f_code.co_filename, frame.f_lineno))
        frame = frame.f_back
    return user_site(reversed(frames))


def op_site(op: object) -> Site | None:
    """Site of a TF graph op from its creation traceback."""
    try:
        stack = op.traceback  # type: ignore[attr-defined]
    except Exception:
        return None
    return user_site((frame.filename, frame.lineno) for frame in stack or ())


def format_user_error(exc: BaseException, limit: int = 6) -> str:
    """The user's own error: its last lines, with regcheck's frames left out."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if not f.filename.startswith(_REGCHECK_DIR)]
    lines = traceback.format_list(frames[-3:]) + traceback.format_exception_only(type(exc), exc)
    text = "".join(lines).rstrip().splitlines()
    return "\n".join(text[-limit:])


def brief_user_error(exc: BaseException) -> str:
    """``train.py:15: AttributeError: ...``: where in the user's code the error surfaced, in one line."""
    frames = traceback.extract_tb(exc.__traceback__)
    site = user_site((f.filename, f.lineno or 0) for f in frames)
    message = "".join(traceback.format_exception_only(type(exc), exc)).strip().splitlines()
    text = message[-1] if message else type(exc).__name__
    return f"{site.path}:{site.line}: {text}" if site is not None else text
