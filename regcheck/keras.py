"""``RegularizationAudit``: a Keras callback that audits the model when ``fit`` starts.

    model.fit(x, y, callbacks=[regcheck.keras.RegularizationAudit(strict=True)])

It warns (``RegularizationWarning``) or, with ``strict=True``, raises
``RegularizationError`` when the model's penalties miss kernels, hit biases,
normalization or embeddings, or were set after the layers were built.
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

# From here on, every Keras layer remembers the line that created it, so findings point at it.
record_creation_sites()


class RegularizationWarning(UserWarning):
    pass


class RegularizationError(AssertionError):
    pass


class RegularizationAudit(keras.callbacks.Callback):  # type: ignore[misc]  # Keras ships no stubs
    def __init__(self, strict: bool = False) -> None:
        super().__init__()
        self.strict = strict
        self.report: Any = None  # the last AuditReport, for inspection after fit

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        from regcheck.graph.audit import audit

        self.report = audit(model=self.model)
        if self.report.ok:
            return
        if self.strict:
            raise RegularizationError(str(self.report))
        warnings.warn(str(self.report), RegularizationWarning, stacklevel=2)
