"""Creation hooks: remember every variable and Keras layer the user code makes, and where.

Installed in the child process before the user's code runs. Eager variables
carry no creation traceback and Keras builds variables lazily (far from the
line that made the layer), so the line is taken when the object is created.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
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
        registry = self

        def on_new(layer: Any, site: Site | None) -> None:
            registry.layers.append(weakref.ref(layer))
            if site is not None:
                registry.layer_sites[id(layer)] = site

        def on_late(layer: Any, name: str, site: Site) -> None:
            registry.late_sites[(id(layer), name)] = site

        patch_layers(on_new, on_late)

    def catalog(self) -> tuple[VariableCatalog, list[LayerAttr]]:
        catalog = VariableCatalog()
        for value, site in self.variables:
            catalog.add(value, site)
        layers = [layer for layer in (ref() for ref in self.layers) if layer is not None]
        late = enrich(catalog, layers, self.layer_sites, self.late_sites)
        return catalog, late


# Keras layer base classes whose creation and late regularizer assignments are recorded: Keras 3's, and
# tf-keras's (TF2 layers, and the TF1-graph layers that tf-keras uses when eager execution is disabled).
LAYER_MODULES = {
    "keras.src.layers.layer": ("new", "setattr"),
    "tf_keras.src.engine.base_layer": ("new", "setattr"),
    "tf_keras.src.engine.base_layer_v1": ("setattr",),
}


def patch_layers(on_new: Callable[[Any, Site | None], None], on_late: Callable[[Any, str, Site], None]) -> None:
    """Call ``on_new`` when a Keras layer (Keras 3 or tf-keras) is created and ``on_late`` when a regularizer
    attribute is set on a built one. Each base class is patched when its module is imported."""
    from regcheck.graph.imports import after_import

    for name, parts in LAYER_MODULES.items():

        def patch(module: Any, parts: tuple[str, ...] = parts) -> None:
            _patch_layer_class(module.Layer, parts, on_new, on_late)

        after_import(name, patch)


def _patch_layer_class(
    layer_cls: Any,
    parts: tuple[str, ...],
    on_new: Callable[[Any, Site | None], None],
    on_late: Callable[[Any, str, Site], None],
) -> None:
    if "new" in parts:
        original_new = layer_cls.__dict__.get("__new__") or layer_cls.__new__
        original_new = getattr(original_new, "__func__", original_new)

        def new(cls: Any, *args: Any, **kwargs: Any) -> Any:
            layer = original_new(cls, *args, **kwargs)
            on_new(layer, current_site())
            return layer

        layer_cls.__new__ = staticmethod(new)
    if "setattr" in parts:
        original_setattr = layer_cls.__dict__.get("__setattr__") or layer_cls.__setattr__

        def setattr_(self: Any, name: str, value: Any) -> None:
            if name in REGULARIZER_ATTRS and value is not None and getattr(self, "built", False):
                site = current_site()
                if site is not None:
                    on_late(self, name, site)
            original_setattr(self, name, value)

        layer_cls.__setattr__ = setattr_


class CreationSites:
    """In the user's own process (``audit``, the Keras callback): where each Keras layer was created.

    Installed once, when ``regcheck.keras`` is imported; layers created before that
    have no recorded line. Layers are held weakly: an id reused by a new object
    is never taken for the old one's.
    """

    def __init__(self) -> None:
        self._layers: dict[int, tuple[weakref.ref[Any], Site]] = {}
        self._late: dict[tuple[int, str], tuple[weakref.ref[Any], Site]] = {}
        self._limit = 1024

    def new(self, layer: Any, site: Site | None) -> None:
        if site is not None:
            self._layers[id(layer)] = (weakref.ref(layer), site)
            if len(self._layers) > self._limit:
                self._prune()

    def late(self, layer: Any, name: str, site: Site) -> None:
        self._late[(id(layer), name)] = (weakref.ref(layer), site)

    def _prune(self) -> None:
        self._layers = {key: entry for key, entry in self._layers.items() if entry[0]() is not None}
        self._late = {key: entry for key, entry in self._late.items() if entry[0]() is not None}
        self._limit = max(1024, 2 * len(self._layers))

    def for_layers(self, layers: list[Any]) -> tuple[dict[int, Site], dict[tuple[int, str], Site]]:
        """The creation sites and late-assignment sites of these (live) layers, as ``enrich`` takes them."""
        alive = {id(layer): layer for layer in layers}
        sites = {
            key: site for key, (ref, site) in self._layers.items() if alive.get(key) is not None and ref() is alive[key]
        }
        late = {
            key: site
            for key, (ref, site) in self._late.items()
            if alive.get(key[0]) is not None and ref() is alive[key[0]]
        }
        return sites, late


_IN_PROCESS: CreationSites | None = None


def record_creation_sites() -> CreationSites:
    """Start recording layer creation lines in this process (idempotent), for Keras 3 and tf-keras layers."""
    global _IN_PROCESS
    if _IN_PROCESS is None:
        _IN_PROCESS = CreationSites()
        patch_layers(_IN_PROCESS.new, _IN_PROCESS.late)
    return _IN_PROCESS


def creation_sites() -> CreationSites | None:
    return _IN_PROCESS
