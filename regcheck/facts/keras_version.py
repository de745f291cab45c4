"""Which Keras one file runs on: the project's target, unless the file's own code says otherwise.

- ``import tf_keras`` (any form) means Keras 2: the file uses tf-keras directly;
- ``os.environ["TF_USE_LEGACY_KERAS"] = "1"`` (or ``setdefault`` / ``putenv`` /
  ``update``) makes ``tf.keras`` load tf-keras: Keras 2; set to ``"0"`` it is Keras 3;
- ``tensorflow.compat.v1`` graph code (``import tensorflow.compat.v1 as tf``,
  ``disable_v2_behavior()``, ``disable_eager_execution()``) gets TF1 semantics
  (``tf1``): graph collections, sessions. Its ``tf.keras`` is still the Keras
  the target names (TensorFlow 2.16+ maps ``tf.compat.v1.keras`` to Keras 3 too).

Read from facts the collectors already gathered (bindings, calls, aliases); only
a file that mentions ``tf_keras`` has its imports looked at.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import libcst as cst
import libcst.helpers

from regcheck.facts.dataflow import literal_value

if TYPE_CHECKING:  # the facts read here are ModuleFacts, which reads its version from here
    from regcheck.facts.module import ModuleFacts

LEGACY_VARIABLE = "TF_USE_LEGACY_KERAS"
_TRUE = frozenset({"1", "true", "yes", "on"})
_TF1_SWITCHES = frozenset({"tf.compat.v1.disable_v2_behavior", "tf.compat.v1.disable_eager_execution"})


@dataclass(frozen=True)
class FileKeras:
    version: str  # "3" or "2"
    reason: str  # "target", "import tf_keras", "TF_USE_LEGACY_KERAS=1"
    tf1: bool  # tensorflow.compat.v1 graph code


def file_keras(facts: ModuleFacts) -> FileKeras:
    tf1 = "tf.compat.v1" in facts.module_aliases.values() or bool(facts.calls_named(_TF1_SWITCHES))
    if "tf_keras" in facts.source and _imports_tf_keras(facts.module):
        return FileKeras("2", "import tf_keras", tf1)
    legacy = _legacy_switch(facts) if LEGACY_VARIABLE in facts.source else None
    if legacy is not None:
        return FileKeras("2" if legacy else "3", f"{LEGACY_VARIABLE}={'1' if legacy else '0'}", tf1)
    return FileKeras(facts.keras_target, "target", tf1)


class _TfKerasImport(cst.CSTVisitor):
    def __init__(self) -> None:
        self.found = False

    def visit_Import(self, node: cst.Import) -> bool:
        self.found = self.found or any(alias.evaluated_name.split(".")[0] == "tf_keras" for alias in node.names)
        return False

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
        if node.module is not None and not node.relative:
            self.found = (
                self.found or cst.helpers.get_full_name_for_node_or_raise(node.module).split(".")[0] == "tf_keras"
            )
        return False


def _imports_tf_keras(module: cst.Module) -> bool:
    visitor = _TfKerasImport()
    module.visit(visitor)
    return visitor.found


def _truthy(value: object) -> bool | None:
    if isinstance(value, (str, int)) and not isinstance(value, bool):
        return str(value).strip().lower() in _TRUE
    return None


def _legacy_switch(facts: ModuleFacts) -> bool | None:
    """The last value the file gives TF_USE_LEGACY_KERAS (True: tf-keras), None when it sets none."""
    settings: list[tuple[cst.CSTNode, bool]] = []
    for target, values in facts.bound_values.items():
        if isinstance(target, cst.Subscript) and len(target.slice) == 1:
            index = target.slice[0].slice
            if isinstance(index, cst.Index) and literal_value(index.value) == LEGACY_VARIABLE:
                for value in values:
                    truth = _truthy(literal_value(value))
                    if truth is not None:
                        settings.append((target, truth))
    for call in facts.calls:
        if call.method in ("setdefault", "putenv") and len(call.positional) >= 2:
            if literal_value(call.positional[0].value) == LEGACY_VARIABLE:
                truth = _truthy(literal_value(call.positional[1].value))
                if truth is not None:
                    settings.append((call.node, truth))
        elif call.method == "update" and call.positional and isinstance(call.positional[0].value, cst.Dict):
            for element in call.positional[0].value.elements:
                if isinstance(element, cst.DictElement) and literal_value(element.key) == LEGACY_VARIABLE:
                    truth = _truthy(literal_value(element.value))
                    if truth is not None:
                        settings.append((call.node, truth))
    if not settings:
        return None
    # In source order: the last assignment wins (positions are only needed when there are several).
    if len(settings) == 1:
        return settings[0][1]
    return max(settings, key=lambda item: (facts.span(item[0]).line, facts.span(item[0]).column))[1]
