"""``RegularizationAudit``: a Keras callback that audits the model when ``fit`` starts.

    model.fit(x, y, callbacks=[regcheck.keras.RegularizationAudit(strict=True)])

It warns (``RegularizationWarning``) or, with ``strict=True``, raises
``RegularizationError`` when the model's penalties miss kernels, hit biases,
normalization or embeddings, or were set after the layers were built. It
works in Keras 3's ``fit`` and in tf-keras's (``TF_USE_LEGACY_KERAS=1``). A
model that has no variables when training begins (a subclassed model built by
its first batch) is audited after that first batch.
"""

from __future__ import annotations

import warnings
from typing import Any

try:
    import keras
except ImportError:  # one line that says what to install, not a traceback from deep inside
    raise ModuleNotFoundError(
        "regcheck.keras needs TensorFlow and Keras: pip install 'regcheck[tensorflow]'", name="keras"
    ) from None


from regcheck.graph.registry import record_creation_sites

# From here on, every Keras layer (Keras 3 or tf-keras) remembers the line that created it, so findings point at it.
record_creation_sites()


class RegularizationWarning(UserWarning):
    pass


class RegularizationError(AssertionError):
    pass


class RegularizationAudit(keras.callbacks.Callback):  # type: ignore[misc]  # Keras ships no stubs
    # tf-keras's CallbackList asks its callbacks these before training; Keras 3 never does.
    _supports_tf_logs = True

    def __init__(self, strict: bool = False) -> None:
        super().__init__()
        self.strict = strict
        self.report: Any = None  # the last AuditReport, for inspection after fit
        self._waiting = False  # the model had no variables when training began

    def _implements_train_batch_hooks(self) -> bool:
        return True  # decided only at on_train_begin, after tf-keras asks

    def _implements_test_batch_hooks(self) -> bool:
        return False

    def _implements_predict_batch_hooks(self) -> bool:
        return False

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self._waiting = not list(getattr(self.model, "weights", None) or [])
        if not self._waiting:
            self._audit()

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        if self._waiting:  # built by its first batch: audit now, before the second
            self._waiting = False
            self._audit()

    def _audit(self) -> None:
        from regcheck.graph.audit import audit

        self.report = audit(model=self.model)
        if self.report.ok:
            return
        if self.strict:
            raise RegularizationError(str(self.report))
        warnings.warn(str(self.report), RegularizationWarning, stacklevel=3)
