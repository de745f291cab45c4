"""Creation hooks: remember every variable and Keras layer the user code makes, and where.

Installed in the child process before the user's code runs. Eager variables
carry no creation traceback and Keras builds variables lazily (far from the
line that made the layer), so the line is taken when the object is created.
"""

from __future__ import annotations

import weakref
from typing import Any

from regcheck.graph.catalog import VariableCatalog
from regcheck.graph.ir import LayerAttr, Site
from regcheck.graph.keras_meta import REGULARIZER_ATTRS, enrich
from regcheck.graph.locate import current_site


class Registry:
    def __init__(self) -> None:
        self.variables: list[tuple[Any, Site | None]] = []
        self.layers: list[weakref.ref[Any]] = []
        self.layer_sites: dict[int, Site] = {}
        self.late_sites: dict[tuple[int, str], Site] = {}

    def install(self) -> None:
        self._hook_variables()
        self._hook_keras()

    def _hook_variables(self) -> None:
        from tensorflow.python.ops import variables

        meta = variables.VariableMetaclass
        original = meta.__call__
        registry = self

        def call(cls: Any, *args: Any, **kwargs: Any) -> Any:
            value = original(cls, *args, **kwargs)
            registry.variables.append((value, current_site()))
            return value

        meta.__call__ = call

    def _hook_keras(self) -> None:
        try:
            from keras.src.layers.layer import Layer
        except Exception:
            return
        registry = self
        original_new, original_setattr = Layer.__new__, Layer.__setattr__

        def new(cls: Any, *args: Any, **kwargs: Any) -> Any:
            layer = original_new(cls, *args, **kwargs)
            registry.layers.append(weakref.ref(layer))
            site = current_site()
            if site is not None:
                registry.layer_sites[id(layer)] = site
            return layer

        def setattr_(self: Any, name: str, value: Any) -> None:
            if name in REGULARIZER_ATTRS and value is not None and getattr(self, "built", False):
                site = current_site()
                if site is not None:
                    registry.late_sites[(id(self), name)] = site
            original_setattr(self, name, value)

        Layer.__new__ = staticmethod(new)
        Layer.__setattr__ = setattr_

    def catalog(self) -> tuple[VariableCatalog, list[LayerAttr]]:
        catalog = VariableCatalog()
        for value, site in self.variables:
            catalog.add(value, site)
        layers = [layer for layer in (ref() for ref in self.layers) if layer is not None]
        late = enrich(catalog, layers, self.layer_sites, self.late_sites)
        return catalog, late
