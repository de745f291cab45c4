"""All checks, found by walking this package (as Fixit finds its rules).

A rule is a module ``rcNNN_name.py`` here whose class declares the rule's metadata
(see ``regcheck.checks.base``); nothing else lists it. Every :class:`Check`
subclass defined in a module of this package that sets ``code`` is a check. A
code may have more than one class (a rule's parts); the class that declares
``name`` carries the metadata, the others only ``code``.
"""

from __future__ import annotations

import importlib
import pkgutil

from regcheck.checks.base import Check, Rule


def _classes() -> list[type[Rule]]:
    found: list[type[Rule]] = []
    for module_info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, Rule)
                and value.__module__ == module.__name__
                and "code" in vars(value)
            ):
                found.append(value)
    # Code order; a rule's parts by module, so the order is the same on every machine.
    return sorted(found, key=lambda cls: (cls.code, cls.__module__, cls.__qualname__))


# Every class with a code: checks, and the metadata homes of codes the pipeline reports itself.
RULE_CLASSES: list[type[Rule]] = _classes()
ALL_CHECKS: list[type[Check]] = [cls for cls in RULE_CLASSES if issubclass(cls, Check)]


def checks_for(codes: frozenset[str]) -> list[type[Check]]:
    return [check for check in ALL_CHECKS if check.code in codes]
