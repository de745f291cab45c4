"""The dimensions a generated program is composed of, and how one combination is drawn.

A ``Spec`` names one value per dimension ("-" where a dimension does not apply). Drawing goes through a
``Chooser`` so that the same code serves a seeded ``random.Random`` (``generate(seed)``, no hypothesis
needed) and a hypothesis ``draw`` (shrinking works dimension by dimension: the first option of each
choice is the simplest). ``fixed`` pins dimensions, e.g. ``{"mistake": "RC101", "reach": "main_guard"}``;
a pinned value that the other choices rule out raises ``Incompatible``.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

NA = "-"

KERAS_MISTAKES = (
    "none",
    "unregularized",
    "zero_coef",
    "RC101",
    "RC106",
    "RC102",
    "RC202",
    "RC203",
    "RC204",
    "RC104",
    "RC107",
)
TF1_MISTAKES = ("none", "unregularized", "zero_coef", "RC101", "RC106", "RC102", "RC201", "RC204", "RC207")
REACHES = (
    "inline",  # everything at module level, no builder function
    "module_call",  # builder defined, called at module level
    "main_function",  # builder called from main(), main() called at module level
    "main_guard",  # builder called under `if __name__ == "__main__":`
    "main_guard_main",  # main() called under the guard
    "defined_only",  # builder and main() only defined; the trace runs `train:main`
    "two_modules",  # builder in model.py, training in train.py
)


@dataclass(frozen=True)
class Spec:
    family: str  # keras | tf1
    mistake: str
    api: str  # keras: sequential functional subclass custom_layer; tf1: variable get_variable layers
    keras: str  # "3" | "2": the Keras the program runs on (tf1 code always runs on tf-keras)
    imports: str
    construction: str
    reach: str
    returns: str = NA
    training: str = NA  # keras: fit loop (inline) tape (a function given the model) trainer train_step compute_loss
    step_loss: str = NA  # train_step override: hand compiled_loss compiled_loss_reg compute_loss
    tf_function: str = NA  # tape / trainer: eager | tf_function
    penalty_sum: str = NA  # keras loops: add_n | sum
    layers: str = NA  # keras: dense | conv
    conv_kind: str = NA  # sepconv | depthwise
    naming: str = NA  # tf1: distinct | rebound
    placement: str = NA  # tf1 variable api: end_sum | inline
    regularizer: str = NA  # tf1: lambda | keras_L2
    collection: str = NA  # tf1: get_regularization_loss | add_n_collection
    bn: str = NA  # tf1: none | wired | wired_loss | unwired
    graphs: str = NA  # tf1: default | as_default | two_graphs | reset_graph
    mistake_block: str = NA  # two graphs: first | second
    other_block: str = NA  # two graphs: correct | unpenalized
    hidden: int = 1
    target: int = 0  # the hidden layer (or, for RC102, any layer: hidden == output) the mistake is about

    def dims(self) -> dict[str, str]:
        """Every dimension that applies, as strings (for counting per dimension)."""
        return {
            f.name: str(getattr(self, f.name))
            for f in dataclasses.fields(self)
            if str(getattr(self, f.name)) != NA and f.name != "target"
        }

    def replace(self, **changes: Any) -> Spec:
        return dataclasses.replace(self, **changes)


class Incompatible(ValueError):
    """A pinned dimension value that the other dimensions rule out."""


class Chooser(Protocol):
    def choose(self, name: str, options: Sequence[str]) -> str: ...

    def integer(self, name: str, low: int, high: int) -> int: ...


class _Pinned:
    def __init__(self, fixed: Mapping[str, Any] | None) -> None:
        self.fixed = dict(fixed or {})

    def pinned(self, name: str, options: Sequence[Any]) -> Any:
        value = self.fixed[name]
        if value not in options:
            raise Incompatible(f"{name}={value!r} is not possible here (options: {', '.join(map(str, options))})")
        return value


class RandomChooser(_Pinned):
    def __init__(self, seed: int, fixed: Mapping[str, Any] | None = None) -> None:
        super().__init__(fixed)
        self.random = random.Random(seed)

    def choose(self, name: str, options: Sequence[str]) -> str:
        if name in self.fixed:
            return str(self.pinned(name, options))
        return self.random.choice(list(options))

    def integer(self, name: str, low: int, high: int) -> int:
        if name in self.fixed:
            return int(self.pinned(name, range(low, high + 1)))
        return self.random.randint(low, high)


class DrawChooser(_Pinned):
    """Choices drawn by hypothesis (``draw`` from ``st.composite``)."""

    def __init__(self, draw: Callable[[Any], Any], fixed: Mapping[str, Any] | None = None) -> None:
        super().__init__(fixed)
        self.draw = draw

    def choose(self, name: str, options: Sequence[str]) -> str:
        from hypothesis import strategies as st

        if name in self.fixed:
            return str(self.pinned(name, options))
        return str(self.draw(st.sampled_from(list(options))))

    def integer(self, name: str, low: int, high: int) -> int:
        from hypothesis import strategies as st

        if name in self.fixed:
            return int(self.pinned(name, range(low, high + 1)))
        return int(self.draw(st.integers(low, high)))


def draw_spec(c: Chooser) -> Spec:
    family = c.choose("family", ("keras", "tf1"))
    return _draw_keras(c) if family == "keras" else _draw_tf1(c)


def _draw_keras(c: Chooser) -> Spec:
    mistake = c.choose("mistake", KERAS_MISTAKES)
    if mistake == "RC104":
        api = c.choose("api", ("sequential", "functional"))
    elif mistake == "RC107":
        api = c.choose("api", ("sequential", "functional", "subclass"))
    else:
        api = c.choose("api", ("sequential", "functional", "subclass", "custom_layer"))
    if mistake == "RC107":
        layers = c.choose("layers", ("conv",))
    elif api == "custom_layer":
        layers = c.choose("layers", ("dense",))
    else:
        layers = c.choose("layers", ("dense", "conv"))
    if mistake == "RC202":
        training = c.choose("training", ("loop", "tape", "trainer", "train_step", "compute_loss"))
    elif mistake in ("RC203", "RC204"):
        training = c.choose("training", ("loop", "tape", "trainer", "train_step"))
    else:
        training = c.choose("training", ("fit", "loop", "tape", "trainer", "train_step", "compute_loss"))
    if training != "train_step":
        step_loss = NA
    elif mistake == "RC202":
        step_loss = c.choose("step_loss", ("hand", "compiled_loss"))
    elif mistake in ("RC203", "RC204"):
        step_loss = c.choose("step_loss", ("hand",))
    else:
        step_loss = c.choose("step_loss", ("hand", "compiled_loss_reg", "compute_loss"))
    imports = c.choose("imports", ("tf", "from", "alias", "keras_pkg", "tf_keras_pkg", "star"))
    if imports == "keras_pkg":
        keras = c.choose("keras", ("3",))
    elif imports == "tf_keras_pkg":
        keras = c.choose("keras", ("2",))
    else:
        keras = c.choose("keras", ("3", "2"))
    if api == "custom_layer" or mistake == "RC104":
        construction = c.choose("construction", ("direct",))
    elif layers == "conv":
        construction = c.choose("construction", ("direct", "kwargs_literal", "kwargs_subscript"))
    else:
        construction = c.choose(
            "construction", ("direct", "helper_reg", "helper_wd", "partial", "kwargs_literal", "kwargs_subscript")
        )
    reach = c.choose("reach", REACHES)
    returns = NA if reach == "inline" else c.choose("returns", ("value", "tuple", "dict", "list"))
    tf_function = c.choose("tf_function", ("eager", "tf_function")) if training in ("tape", "trainer") else NA
    regularized = mistake not in ("unregularized", "RC104")
    loops = training in ("loop", "tape", "trainer") or step_loss == "hand" or training == "compute_loss"
    penalty_sum = c.choose("penalty_sum", ("add_n", "sum") if regularized else ("sum",)) if loops else NA
    if layers == "conv":
        hidden = 2
        conv_kind = c.choose("conv_kind", ("sepconv", "depthwise"))
    else:
        hidden = c.integer("hidden", 1, 3)
        conv_kind = NA
    target = _target(c, mistake, hidden)
    return Spec(
        family="keras",
        mistake=mistake,
        api=api,
        keras=keras,
        imports=imports,
        construction=construction,
        reach=reach,
        returns=returns,
        training=training,
        step_loss=step_loss,
        tf_function=tf_function,
        penalty_sum=penalty_sum,
        layers=layers,
        conv_kind=conv_kind,
        hidden=hidden,
        target=target,
    )


def _target(c: Chooser, mistake: str, hidden: int) -> int:
    if mistake == "RC102":
        return c.integer("target", 0, hidden)  # hidden == the output layer
    if mistake in ("RC101", "zero_coef"):
        return c.integer("target", 0, hidden - 1)
    return 0


def _draw_tf1(c: Chooser) -> Spec:
    mistake = c.choose("mistake", TF1_MISTAKES)
    if mistake in ("RC201", "RC204"):
        api = c.choose("api", ("get_variable", "layers"))
    else:
        api = c.choose("api", ("variable", "get_variable", "layers"))
    imports = c.choose("imports", ("compat_attr", "compat_module", "alias", "star"))
    if api == "variable":
        construction = c.choose("construction", ("direct", "helper", "class_vars"))
    elif api == "get_variable":
        construction = c.choose("construction", ("direct", "helper_wd", "kwargs_literal", "kwargs_subscript"))
    else:
        construction = c.choose(
            "construction", ("direct", "helper_wd", "partial", "kwargs_literal", "kwargs_subscript")
        )
    hidden = c.integer("hidden", 1, 3)
    target = _target(c, mistake, hidden)
    if api in ("variable", "get_variable") and construction == "direct":
        naming = c.choose("naming", ("distinct", "rebound"))
    else:
        naming = NA
    if api == "variable" and construction != "class_vars":
        # A penalty written after the model reads the last binding of a rebound name: the output weight only.
        output_only = mistake == "RC101" and hidden == 1
        placement = c.choose("placement", ("inline", "end_sum") if naming != "rebound" or output_only else ("inline",))
    else:
        placement = NA
    if api == "variable" or (construction == "helper_wd" and api == "get_variable"):
        regularizer = NA
    elif imports == "compat_module":
        regularizer = c.choose("regularizer", ("lambda",))  # tf.compat.v1.keras is not the Keras that runs
    else:
        regularizer = c.choose("regularizer", ("lambda", "keras_L2"))
    if api == "variable":
        collection = NA
    elif mistake == "unregularized":
        collection = c.choose("collection", ("get_regularization_loss",))  # add_n([]) fails
    else:
        collection = c.choose("collection", ("get_regularization_loss", "add_n_collection"))
    bn = c.choose("bn", ("unwired",)) if mistake == "RC207" else c.choose("bn", ("none", "wired", "wired_loss"))
    if construction == "class_vars":  # one class, one set of coefficients: no second graph with other ones
        graphs = c.choose("graphs", ("default", "as_default"))
    else:
        graphs = c.choose("graphs", ("default", "as_default", "two_graphs", "reset_graph"))
    if graphs in ("two_graphs", "reset_graph"):
        reach = c.choose("reach", ("inline", "main_function"))
        returns = NA
        mistake_block = c.choose("mistake_block", ("first", "second"))
        other_block = c.choose("other_block", ("correct", "unpenalized"))
    else:
        reach = c.choose("reach", REACHES)
        if reach == "inline":
            returns = NA
        elif api == "variable":
            returns = c.choose("returns", ("tuple", "dict", "list"))
        else:
            returns = c.choose("returns", ("value", "tuple", "dict", "list"))
        mistake_block = other_block = NA
    return Spec(
        family="tf1",
        mistake=mistake,
        api=api,
        keras="2",
        imports=imports,
        construction=construction,
        reach=reach,
        returns=returns,
        training="minimize",
        layers="dense",
        naming=naming,
        placement=placement,
        regularizer=regularizer,
        collection=collection,
        bn=bn,
        graphs=graphs,
        mistake_block=mistake_block,
        other_block=other_block,
        hidden=hidden,
        target=target,
    )
