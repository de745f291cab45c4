"""Run a patch as soon as a module is imported (or now, when it already is).

The child patches Keras 3 and tf-keras classes without importing either: a
script that uses one never pays for importing the other, and a class is
patched before the user's code can make an instance of it.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any

FAILED: list[str] = []  # hooks that could not be installed, for the run's notes
_WAITING: dict[str, list[Callable[[ModuleType], None]]] = {}


class _Loader(importlib.abc.Loader):
    def __init__(self, loader: Any, callbacks: list[Callable[[ModuleType], None]]) -> None:
        self.loader = loader
        self.callbacks = callbacks

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return self.loader.create_module(spec)  # type: ignore[no-any-return]

    def exec_module(self, module: ModuleType) -> None:
        self.loader.exec_module(module)
        for callback in self.callbacks:
            try:
                callback(module)
            except Exception as exc:  # another version's layout: that hook is lost, the user's import is not
                FAILED.append(f"{module.__name__}: {type(exc).__name__}: {exc}")

    def __getattr__(self, name: str) -> Any:  # get_source, is_package, ... as the real loader answers
        return getattr(self.loader, name)


class _Finder(importlib.abc.MetaPathFinder):
    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        callbacks = _WAITING.pop(fullname, None)
        if callbacks is None:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None and spec.loader is not None:
                spec.loader = _Loader(spec.loader, callbacks)
                return spec
        return None


_FINDER = _Finder()


def after_import(name: str, callback: Callable[[ModuleType], None]) -> None:
    """Call ``callback(module)`` once module ``name`` is imported; at once if it already is."""
    module = sys.modules.get(name)
    if module is not None:
        try:
            callback(module)
        except Exception as exc:
            FAILED.append(f"{name}: {type(exc).__name__}: {exc}")
        return
    _WAITING.setdefault(name, []).append(callback)
    if _FINDER not in sys.meta_path:
        sys.meta_path.insert(0, _FINDER)
