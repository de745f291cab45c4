"""The API lists the code's version is read from (regcheck.facts.keras_version), measured on the
installed Keras 3 and tf-keras: a Keras 3-only name is in Keras 3 and not in tf-keras, a Keras 2-only
name is not in Keras 3."""

from __future__ import annotations

import importlib
from types import ModuleType

import pytest

from regcheck.facts import keras_version as kv

pytestmark = pytest.mark.tensorflow


def _resolves(root: ModuleType, name: str) -> bool:
    parts = name.split(".")[1:]
    value: object = root
    for i, part in enumerate(parts):
        try:
            value = getattr(value, part)
        except AttributeError:
            try:
                value = importlib.import_module(".".join([root.__name__, *parts[: i + 1]]))
            except Exception:
                return False
    return True


@pytest.fixture(scope="module")
def packages() -> tuple[ModuleType, ModuleType]:
    keras = pytest.importorskip("keras")
    if not keras.__version__.startswith("3."):
        pytest.skip(f"keras {keras.__version__} is not Keras 3")
    return keras, pytest.importorskip("tf_keras")


def test_keras_3_only_names(packages: tuple[ModuleType, ModuleType]) -> None:
    keras, tf_keras = packages
    names = [*kv.KERAS3_NAMES, *kv.KERAS3_MODULES]
    assert [n for n in names if not _resolves(keras, n)] == []
    assert [n for n in names if _resolves(tf_keras, n)] == []


def test_keras_2_only_names(packages: tuple[ModuleType, ModuleType]) -> None:
    keras, _tf_keras = packages
    # keras.optimizers.legacy is a stub in Keras 3 whose every name raises ImportError.
    found = [n for n in [*kv.KERAS2_NAMES, *kv.KERAS2_MODULES] if _resolves(keras, n)]
    assert found == ["keras.optimizers.legacy"]
