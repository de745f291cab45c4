"""Small runnable TensorFlow / Keras training programs whose findings are known by construction.

``generate(seed)`` gives one program (no hypothesis needed); ``programs()`` is the hypothesis strategy.
Both draw a ``Spec`` (one value per dimension, see ``spec.py``) and ``build(spec)`` writes the program:
its files, the entry point the graph path runs, the Keras it runs on, and the findings each path must
report, each tied to the lines of the layer, variable or call it is about.

How the expected verdicts are decided (RULES.md is the contract):

- coverage (RC101 / RC106 / RC102 / RC107 / RC104) is about a layer or variable: its creating line, and
  for layers made by a helper or a custom class also the line inside the helper / ``add_weight``;
- wiring (RC201 / RC202 / RC203 / RC204 / RC207) is about the training step: the ``minimize`` /
  ``tape.gradient`` / ``fit`` line, or the line where the loss is written;
- verdicts that differ between Keras versions are recorded per version (``Program.static``);
- the graph path sees the first training step only (a second graph trained later is not its to judge),
  and reports what its RULES.md section lists; mistakes it cannot see by its nature (RC203, RC204) are
  optional there, never required.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from programs.source import Code
from programs.spec import RandomChooser, Spec, draw_spec

COEFFICIENTS = (0.001, 0.0005, 0.002, 0.0001)
VERSIONS = ("3", "2")
# The codes the graph path can report (RULES.md "Graph findings", plus the rules marked graph = True).
GRAPH_CODES = frozenset(
    {"RC101", "RC102", "RC103", "RC104", "RC106", "RC107", "RC201", "RC202", "RC207", "RC208", "RC305", "RC501"}
)


@dataclass(frozen=True, order=True)
class Site:
    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True)
class Expected:
    """One finding a path must report (or, ``optional``, may report): any of ``codes`` at any of ``sites``.

    The first code is the one the contract asks for, the others are accepted in its place; the first site
    is where the finding belongs, the others are lines a path may reasonably point at instead."""

    codes: tuple[str, ...]
    sites: tuple[Site, ...]
    about: str
    optional: bool = False

    @property
    def code(self) -> str:
        return self.codes[0]

    @property
    def site(self) -> Site:
        return self.sites[0]

    def matches(self, code: str, site: Site) -> bool:
        return code in self.codes and site in self.sites

    def describe(self) -> str:
        alternatives = "/".join(self.codes)
        return f"{alternatives} at {self.site} ({self.about}){' [optional]' if self.optional else ''}"


@dataclass
class Program:
    spec: Spec
    files: dict[str, str]
    entry: str  # what the graph path runs, from the program's folder: "train.py" or "train:main"
    keras: str  # "3" or "2" (tf-keras: TF_USE_LEGACY_KERAS=1 for the trace, --keras 2 for the static run)
    static: dict[str, tuple[Expected, ...]]  # per Keras version the static path is told
    graph: tuple[Expected, ...]  # for the version the program runs on
    traceable: bool  # the program reaches its first training step on its Keras
    seed: int | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def eager(self) -> bool:
        return self.spec.family != "tf1"

    @property
    def size(self) -> int:
        return sum(text.count("\n") for text in self.files.values())

    def write(self, folder: Any) -> None:
        from pathlib import Path

        root = Path(folder)
        root.mkdir(parents=True, exist_ok=True)
        for name, text in self.files.items():
            (root / name).write_text(text, encoding="utf-8")

    def describe(self) -> str:
        dims = ", ".join(f"{k}={v}" for k, v in self.spec.dims().items())
        return f"seed={self.seed} keras={self.keras} entry={self.entry}\n{dims}"


def generate(seed: int, **fixed: Any) -> Program:
    """The program of ``seed`` (deterministic); ``fixed`` pins dimensions (``mistake="RC101"``)."""
    program = build(draw_spec(RandomChooser(seed, fixed)))
    program.seed = seed
    return program


def programs(**fixed: Any) -> Any:
    """Hypothesis strategy of programs; ``fixed`` pins dimensions."""
    from hypothesis import strategies as st

    from programs.spec import DrawChooser

    @st.composite
    def strategy(draw: Any) -> Program:
        return build(draw_spec(DrawChooser(draw, fixed)))

    return strategy()


def build(spec: Spec) -> Program:
    return (_Keras(spec) if spec.family == "keras" else _TF1(spec)).program()


# -- shared plumbing ---------------------------------------------------------------------------------------


@dataclass
class _Want:
    """An expectation before line numbers exist: tags (``file|tag``) instead of sites."""

    codes: tuple[str, ...]
    tags: tuple[str, ...]
    about: str
    optional: bool = False
    versions: tuple[str, ...] = VERSIONS
    paths: tuple[str, ...] = ("static", "graph")


def _coef(index: int) -> float:
    return COEFFICIENTS[index % len(COEFFICIENTS)]


class _Writer:
    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self.wants: list[_Want] = []
        self.notes: list[str] = []

    def want(self, codes: str | tuple[str, ...], tags: Iterable[str], about: str, **kw: Any) -> None:
        self.wants.append(_Want((codes,) if isinstance(codes, str) else codes, tuple(tags), about, **kw))

    def finish(self, files: Mapping[str, Code], entry: str, keras: str, traceable: bool) -> Program:
        texts: dict[str, str] = {}
        where: dict[str, list[Site]] = {}
        for name, code in files.items():
            text, tags = code.render()
            texts[name] = text
            for tag, lines in tags.items():
                where.setdefault(tag, []).extend(Site(name, line) for line in lines)

        def resolve(want: _Want) -> Expected:
            sites: list[Site] = []
            for tag in want.tags:
                found = where.get(tag)
                if not found:
                    raise AssertionError(f"generator bug: no line is tagged {tag!r} ({self.spec})")
                sites.extend(s for s in found if s not in sites)
            return Expected(want.codes, tuple(sites), want.about, want.optional)

        # A file's own imports decide the Keras version over --keras (RULES.md, Versions): tf_keras, TF1 graph code.
        decided = "2" if self.spec.imports == "tf_keras_pkg" or self.spec.family == "tf1" else None
        static = {
            v: tuple(resolve(w) for w in self.wants if (decided or v) in w.versions and "static" in w.paths)
            for v in VERSIONS
        }
        graph = tuple(
            resolve(w)
            for w in self.wants
            if keras in w.versions and "graph" in w.paths and (w.optional or set(w.codes) & GRAPH_CODES)
        )
        return Program(self.spec, texts, entry, keras, static, graph if traceable else (), traceable, notes=self.notes)


def _unpack(code: Code, call: str, names: tuple[str, str], returns: str) -> None:
    """Bind the two values a builder returns as a tuple (unpacked), a dict (subscripted) or a list (indexed)."""
    first, second = names
    if returns == "tuple":
        code.add(f"{first}, {second} = {call}")
    elif returns == "dict":
        code.add(f"parts = {call}")
        code.add(f'{first} = parts["{first}"]')
        code.add(f'{second} = parts["{second}"]')
    else:
        code.add(f"built = {call}")
        code.add(f"{first}, {second} = built[0], built[1]")


def _main_body(spec: Spec, code: Code, body: Code) -> None:
    """Place the training code the way ``spec.reach`` says."""
    if spec.reach in ("inline", "module_call"):
        code.extend(body)
    elif spec.reach == "main_guard":
        with code.block('if __name__ == "__main__":'):
            code.extend(body)
    else:
        with code.block("def main():"):
            code.extend(body)
        code.blank()
        if spec.reach == "main_function":
            code.add("main()")
        elif spec.reach in ("main_guard_main", "two_modules"):
            with code.block('if __name__ == "__main__":'):
                code.add("main()")


# -- Keras -------------------------------------------------------------------------------------------------


@dataclass
class _KLayer:
    index: int | None  # None: a layer without weights (Flatten)
    kind: str  # dense conv2d sepconv depthwise flatten
    kernel: float | None
    bias: float | None
    output: bool = False
    wrong_argument: bool = False  # RC107: kernel_regularizer= where the layer takes depthwise_/pointwise_


class _Keras(_Writer):
    def __init__(self, spec: Spec) -> None:
        super().__init__(spec)
        s = spec
        self.model_file = "model.py" if s.reach == "two_modules" else "train.py"
        imports = {
            "tf": (["import tensorflow as tf"], "tf.keras.layers", "tf.keras.regularizers.L2", "tf.keras"),
            "from": (
                ["import tensorflow as tf", "from tensorflow.keras import layers, regularizers"],
                "layers",
                "regularizers.L2",
                "tf.keras",
            ),
            "alias": (
                ["import tensorflow as tf", "", "layers = tf.keras.layers", "L2 = tf.keras.regularizers.L2"],
                "layers",
                "L2",
                "tf.keras",
            ),
            "keras_pkg": (
                ["import keras", "import tensorflow as tf", "from keras import layers"],
                "layers",
                "keras.regularizers.L2",
                "keras",
            ),
            "tf_keras_pkg": (
                ["import tensorflow as tf", "import tf_keras as keras"],
                "keras.layers",
                "keras.regularizers.L2",
                "keras",
            ),
            "star": (["from ops import *"], "layers", "tf.keras.regularizers.L2", "tf.keras"),
        }
        self.head, self.L, self.R, self.K = imports[s.imports]
        self.layers = self._plan()
        self.overrides = s.training in ("train_step", "compute_loss")

    # the model ---------------------------------------------------------------------------------------
    def _plan(self) -> list[_KLayer]:
        s = self.spec
        if s.layers == "conv":
            kinds = ["conv2d", s.conv_kind, "flatten", "dense"]
        else:
            kinds = ["dense"] * s.hidden + ["dense"]
        plan: list[_KLayer] = []
        index = 0
        for kind in kinds:
            if kind == "flatten":
                plan.append(_KLayer(None, kind, None, None))
                continue
            output = index == s.hidden
            kernel: float | None = _coef(index)
            bias: float | None = None
            if s.mistake in ("unregularized", "RC104") or (s.mistake == "RC101" and index == s.target):
                kernel = None
            elif s.mistake == "zero_coef" and index == s.target:
                kernel = 0.0
            elif s.mistake == "RC106" and output:
                kernel = None
            if s.mistake == "RC102" and index == s.target:
                bias = _coef(index + 1)
            wrong = s.mistake == "RC107" and kind in ("sepconv", "depthwise")
            plan.append(_KLayer(index, kind, kernel, bias, output, wrong))
            index += 1
        return plan

    def _reg(self, value: float) -> str:
        return f"{self.R}({value!r})"

    def _layer_expr(self, layer: _KLayer) -> str:
        s, L = self.spec, self.L
        act = "" if layer.output else ', activation="relu"'
        if layer.kind == "flatten":
            return f"{L}.Flatten()"
        bias = f", bias_regularizer={self._reg(layer.bias)}" if layer.bias is not None else ""
        if s.api == "custom_layer":
            kreg = f", kernel_reg={self._reg(layer.kernel)}" if layer.kernel is not None else ""
            breg = f", bias_reg={self._reg(layer.bias)}" if layer.bias is not None else ""
            return f"MyDense({2 if layer.output else 8}{act}{kreg}{breg})"
        if layer.kind in ("sepconv", "depthwise"):
            name = "SeparableConv2D(4, 3" if layer.kind == "sepconv" else "DepthwiseConv2D(3"
            if layer.kernel is None:
                reg = ""
            elif layer.wrong_argument:
                reg = f", kernel_regularizer={self._reg(layer.kernel)}"
            elif layer.kind == "sepconv":
                reg = f", depthwise_regularizer={self._reg(layer.kernel)}, pointwise_regularizer={self._reg(layer.kernel)}"
            else:
                reg = f", depthwise_regularizer={self._reg(layer.kernel)}"
            return f"{L}.{name}{act}{reg}{bias})"
        head = "Conv2D(4, 3" if layer.kind == "conv2d" else f"Dense({2 if layer.output else 8}"
        k = layer.kernel
        c = s.construction
        if c == "helper_reg":
            kreg = f", kernel_reg={self._reg(k)}" if k is not None else ""
            breg = f", bias_reg={self._reg(layer.bias)}" if layer.bias is not None else ""
            return f"dense({2 if layer.output else 8}{act}{kreg}{breg})"
        if c == "helper_wd":
            wd = f", wd={k!r}" if k is not None else ""
            bwd = f", bias_wd={layer.bias!r}" if layer.bias is not None else ""
            return f"dense({2 if layer.output else 8}{wd}{act}{bwd})"
        if c == "partial":
            if k is None:
                return f"{L}.{head}{act}{bias})"
            explicit = f", kernel_regularizer={self._reg(k)}" if k == 0.0 else ""
            return f"reg_dense({2 if layer.output else 8}{act}{explicit}{bias})"
        if c in ("kwargs_literal", "kwargs_subscript"):
            if k is None:
                return f"{L}.{head}{act}{bias})"
            if k == 0.0:
                return f"{L}.{head}{act}, kernel_regularizer={self._reg(k)}{bias})"
            return f"{L}.{head}{act}{bias}, **reg_kw)"
        kreg = f", kernel_regularizer={self._reg(k)}" if k is not None else ""
        return f"{L}.{head}{act}{kreg}{bias})"

    def _setup(self, code: Code) -> None:
        """What the layer expressions need in their scope: the partial, the kwargs dict."""
        c = self.spec.construction
        if c == "partial":
            code.add(f"reg_dense = functools.partial({self.L}.Dense, kernel_regularizer={self._reg(0.001)})")
        elif c == "kwargs_literal":
            code.add(f'reg_kw = {{"kernel_regularizer": {self._reg(0.001)}}}')
        elif c == "kwargs_subscript":
            code.add("reg_kw = {}")
            code.add(f'reg_kw["kernel_regularizer"] = {self._reg(0.001)}')

    def _input_shape(self) -> str:
        return "(6, 6, 1)" if self.spec.layers == "conv" else "(4,)"

    def _base(self) -> str:
        return "Net" if self.overrides else ""

    def _model_body(self, code: Code) -> None:
        s, K = self.spec, self.K
        if s.api == "subclass":
            code.add("model = Net()")
            return
        self._setup(code)
        if s.api in ("sequential", "custom_layer"):
            code.add(f"model = {self._base() or K + '.Sequential'}([")
            code.depth += 1
            code.add(f"{K}.Input(shape={self._input_shape()}),")
            for layer in self.layers:
                code.add(self._layer_expr(layer) + ",", *self._tags(layer))
            code.depth -= 1
            code.add("])")
            return
        code.add(f"inputs = {K}.Input(shape={self._input_shape()})")
        previous = "inputs"
        for layer in self.layers:
            target = "outputs" if layer.output else "h"
            code.add(f"{target} = {self._layer_expr(layer)}({previous})", *self._tags(layer))
            previous = target
        code.add(f"model = {self._base() or K + '.Model'}(inputs, outputs)")

    def _tags(self, layer: _KLayer) -> tuple[str, ...]:
        return () if layer.index is None else (f"layer:{layer.index}",)

    def _sites(self, index: int, bias: bool = False) -> list[str]:
        tags = [f"layer:{index}"]
        if self.spec.construction in ("helper_reg", "helper_wd"):
            tags.append("helper_layer")
        if self.spec.api == "custom_layer":
            tags.append("custom_bias" if bias else "custom_kernel")
        return tags

    # definitions -------------------------------------------------------------------------------------
    def _helpers(self, code: Code) -> None:
        c, L, R = self.spec.construction, self.L, self.R
        if c == "helper_reg":
            with code.block("def dense(units, activation=None, kernel_reg=None, bias_reg=None):"):
                code.add(
                    f"return {L}.Dense(units, activation=activation, kernel_regularizer=kernel_reg, bias_regularizer=bias_reg)",
                    "helper_layer",
                )
            code.blank()
        elif c == "helper_wd":
            with code.block("def dense(units, wd=None, activation=None, bias_wd=None):"):
                code.add(f"kernel_reg = {R}(wd) if wd is not None else None")
                code.add(f"bias_reg = {R}(bias_wd) if bias_wd is not None else None")
                code.add(
                    f"return {L}.Dense(units, activation=activation, kernel_regularizer=kernel_reg, bias_regularizer=bias_reg)",
                    "helper_layer",
                )
            code.blank()

    def _custom_layer(self, code: Code) -> None:
        with code.block(f"class MyDense({self.L}.Layer):"):
            with code.block("def __init__(self, units, activation=None, kernel_reg=None, bias_reg=None, **kwargs):"):
                code.add("super().__init__(**kwargs)")
                code.add("self.units = units")
                code.add("self.activation = activation")
                code.add("self.kernel_reg = kernel_reg")
                code.add("self.bias_reg = bias_reg")
                code.add("self.vars = {}")
            code.blank()
            with code.block("def build(self, input_shape):"):
                code.add("fan_in = int(input_shape[-1])")
                code.add(
                    'self.vars["kernel"] = self.add_weight(name="kernel", shape=(fan_in, self.units), '
                    'initializer="glorot_uniform", regularizer=self.kernel_reg)',
                    "custom_kernel",
                )
                code.add(
                    'self.vars["bias"] = self.add_weight(name="bias", shape=(self.units,), '
                    'initializer="zeros", regularizer=self.bias_reg)',
                    "custom_bias",
                )
            code.blank()
            with code.block("def call(self, inputs):"):
                code.add('out = tf.matmul(inputs, self.vars["kernel"]) + self.vars["bias"]')
                code.add('return tf.nn.relu(out) if self.activation == "relu" else out')
        code.blank()

    def _net_class(self, code: Code) -> None:
        s, K = self.spec, self.K
        if s.api != "subclass" and not self.overrides:
            return
        base = {"sequential": "Sequential", "custom_layer": "Sequential"}.get(s.api, "Model")
        with code.block(f"class Net({K}.{base}):"):
            if s.api == "subclass":
                with code.block("def __init__(self):"):
                    code.add("super().__init__()")
                    self._setup(code)
                    for layer in self.layers:
                        name = "head" if layer.output else f"layer{layer.index}" if layer.index is not None else "flat"
                        code.add(f"self.{name} = {self._layer_expr(layer)}", *self._tags(layer))
                code.blank()
                with code.block("def call(self, x, training=False):"):
                    for layer in self.layers:
                        if layer.output:
                            code.add("return self.head(x)")
                        else:
                            name = f"layer{layer.index}" if layer.index is not None else "flat"
                            code.add(f"x = self.{name}(x)")
                code.blank()
            if s.training == "train_step":
                self._train_step(code)
            elif s.training == "compute_loss":
                self._compute_loss(code)
        code.blank()

    def _penalty(self, owner: str) -> str:
        s = self.spec
        if s.mistake == "RC204":
            return f"loss = loss + {owner}.losses"
        if s.penalty_sum == "add_n":
            return f"loss = loss + tf.add_n({owner}.losses)"
        return f"loss = loss + sum({owner}.losses)"

    def _hand_loss(self, y: str, pred: str) -> str:
        return f"tf.reduce_mean({self.K}.losses.sparse_categorical_crossentropy({y}, {pred}, from_logits=True))"

    def _tape(self, code: Code, owner: str, call: str, variables: str, optimizer: str, ret: bool = True) -> None:
        """The tape block and the update: the penalty inside, after (RC203), as a list (RC204), or left out."""
        s = self.spec
        y = "y" if ret else "y_train"
        with code.block("with tf.GradientTape() as tape:"):
            code.add(f"logits = {call}")
            code.add(f"loss = {self._hand_loss(y, 'logits')}", "loss")
            if s.mistake not in ("RC202", "RC203"):
                code.add(self._penalty(owner), "penalty_add")
        if s.mistake == "RC203":
            code.add(self._penalty(owner), "penalty_add")
        code.add(f"grads = tape.gradient(loss, {variables})", "gradient")
        code.add(f"{optimizer}.apply_gradients(zip(grads, {variables}))")
        if ret:
            code.add("return loss")

    def _train_step(self, code: Code) -> None:
        s = self.spec
        with code.block("def train_step(self, data):"):
            code.add("x, y = data")
            with code.block("with tf.GradientTape() as tape:"):
                code.add("y_pred = self(x, training=True)")
                loss = {
                    "hand": self._hand_loss("y", "y_pred"),
                    "compiled_loss": "self.compiled_loss(y, y_pred)",
                    "compiled_loss_reg": "self.compiled_loss(y, y_pred, regularization_losses=self.losses)",
                    "compute_loss": "self.compute_loss(x=x, y=y, y_pred=y_pred)",
                }[s.step_loss]
                code.add(f"loss = {loss}", "step_loss")
                if s.step_loss == "hand" and s.mistake not in ("RC202", "RC203"):
                    code.add(self._penalty("self"), "penalty_add")
            if s.mistake == "RC203":
                code.add(self._penalty("self"), "penalty_add")
            code.add("grads = tape.gradient(loss, self.trainable_variables)", "gradient")
            code.add("self.optimizer.apply_gradients(zip(grads, self.trainable_variables))")
            code.add('return {"loss": loss}')

    def _compute_loss(self, code: Code) -> None:
        s = self.spec
        with code.block(
            "def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, **kwargs):", "compute_loss_def"
        ):
            code.add(f"loss = {self._hand_loss('y', 'y_pred')}", "compute_loss_loss")
            if s.mistake != "RC202":
                code.add(self._penalty("self"), "penalty_add")
            code.add("return loss", "compute_loss_return")

    def _training_defs(self, code: Code) -> None:
        s = self.spec
        decorator = "@tf.function" if s.tf_function == "tf_function" else None
        if s.training == "tape":
            if decorator:
                code.add(decorator)
            with code.block("def train_on_batch(model, optimizer, x, y):"):
                self._tape(code, "model", "model(x, training=True)", "model.trainable_variables", "optimizer")
            code.blank()
        elif s.training == "trainer":
            with code.block("class Trainer:"):
                with code.block("def __init__(self, model, optimizer):"):
                    code.add("self.model = model")
                    code.add("self.optimizer = optimizer")
                code.blank()
                if decorator:
                    code.add(decorator)
                with code.block("def step(self, x, y):"):
                    self._tape(
                        code,
                        "self.model",
                        "self.model(x, training=True)",
                        "self.model.trainable_variables",
                        "self.optimizer",
                    )
            code.blank()

    # files -------------------------------------------------------------------------------------------
    def _optimizer(self) -> str:
        return f"optimizer = {self.K}.optimizers.SGD(0.01)"

    def _training(self, code: Code) -> None:
        s, K = self.spec, self.K
        if s.mistake == "RC104":
            with code.block("for layer in model.layers:"), code.block(f"if isinstance(layer, {self.L}.Dense):"):
                code.add(f"layer.kernel_regularizer = {self._reg(0.001)}", "late_assign")
        if s.training in ("fit", "train_step"):
            code.add(
                f"model.compile(optimizer=optimizer, loss={K}.losses.SparseCategoricalCrossentropy(from_logits=True))"
            )
        elif s.training == "compute_loss":
            code.add("model.compile(optimizer=optimizer)")
        if s.training in ("fit", "train_step", "compute_loss"):
            code.add("model.fit(x_train, y_train, epochs=1, batch_size=8, verbose=0)", "fit")
        elif s.training == "tape":
            with code.block("for _ in range(2):"):
                code.add("train_on_batch(model, optimizer, x_train, y_train)")
        elif s.training == "loop":
            with code.block("for _ in range(2):"):
                self._tape(
                    code, "model", "model(x_train, training=True)", "model.trainable_variables", "optimizer", ret=False
                )
        else:
            code.add("trainer = Trainer(model, optimizer)")
            with code.block("for _ in range(2):"):
                code.add("trainer.step(x_train, y_train)")

    def _data(self, code: Code) -> None:
        shape = "8, 6, 6, 1" if self.spec.layers == "conv" else "16, 4"
        code.add(f'x_train = np.random.rand({shape}).astype("float32")')
        code.add(f"y_train = np.random.randint(0, 2, size=({8 if self.spec.layers == 'conv' else 16},))")

    def _heads(self) -> list[str]:
        s = self.spec
        head = list(self.head)
        if s.imports != "star":
            head = ["import numpy as np", *head]
            if s.construction == "partial":
                head = ["import functools", *head]
        return head

    def program(self) -> Program:
        s = self.spec
        files: dict[str, Code] = {}
        if s.imports == "star":
            ops = Code()
            ops.add("import functools")
            ops.add("import numpy as np")
            ops.add("import tensorflow as tf")
            ops.add("from tensorflow.keras import layers")
            ops.blank()
            self._helpers(ops)
            files["ops.py"] = ops
        model = Code()
        for line in self._heads():
            model.add(line)
        model.blank()
        if s.imports != "star":
            self._helpers(model)
        if s.api == "custom_layer":
            self._custom_layer(model)
        self._net_class(model)
        body = Code()
        if s.reach != "inline":
            with model.block("def build_model():"):
                self._model_body(model)
                if s.returns != "value":
                    model.add(self._optimizer())
                model.add(
                    {
                        "value": "return model",
                        "tuple": "return model, optimizer",
                        "dict": 'return {"model": model, "optimizer": optimizer}',
                        "list": "return [model, optimizer]",
                    }[s.returns]
                )
            model.blank()
        if s.reach == "two_modules":
            files["model.py"] = model
            train = Code()
            for line in self._heads():
                train.add(line)
            train.add("from model import build_model")
            train.blank()
        else:
            train = model
        self._training_defs(train)
        self._data(body)
        if s.reach == "inline":
            self._model_body(body)
            body.add(self._optimizer())
        elif s.returns == "value":
            body.add("model = build_model()")
            body.add(self._optimizer())
        else:
            _unpack(body, "build_model()", ("model", "optimizer"), s.returns)
        self._training(body)
        _main_body(s, train, body)
        files["train.py"] = train
        self._expect()
        traceable = not (s.mistake == "RC107" and s.keras == "3")
        if not traceable:
            self.notes.append("Keras 3 raises on kernel_regularizer= for this layer: the program stops before training")
        entry = "train:main" if s.reach == "defined_only" else "train.py"
        return self.finish(files, entry, s.keras, traceable)

    def _expect(self) -> None:
        s = self.spec
        out = s.hidden
        if s.mistake == "RC101":
            self.want("RC101", self._sites(s.target), f"hidden layer {s.target} has no kernel regularizer")
        elif s.mistake == "RC106":
            self.want("RC106", self._sites(out), "only the output layer has no kernel regularizer")
        elif s.mistake == "RC102":
            self.want("RC102", self._sites(s.target, bias=True), f"layer {s.target} has a bias regularizer")
        elif s.mistake == "RC104":
            self.want("RC104", ["late_assign"], "kernel_regularizer assigned on built layers")
        elif s.mistake == "RC107":
            about = f"{s.conv_kind} layer takes kernel_regularizer= and applies no penalty"
            self.want("RC107", self._sites(1), about, paths=("static",))
            self.want("RC101", self._sites(1), "its kernels are left unpenalized", optional=True, paths=("static",))
            self.want(
                ("RC107", "RC101"), self._sites(1), about + " (the graph sees unpenalized kernels)", paths=("graph",)
            )
        elif s.mistake == "RC202":
            if s.training in ("loop", "tape", "trainer"):
                tags = ["gradient", "loss"]
            elif s.training == "train_step":
                tags = ["gradient", "step_loss", "fit"]
            else:
                tags = ["compute_loss_def", "compute_loss_loss", "compute_loss_return", "fit"]
            # Keras 3's compiled_loss (TF backend) adds model.losses itself: only tf-keras leaves them out.
            versions = ("2",) if s.step_loss == "compiled_loss" else VERSIONS
            self.want("RC202", tags, "model.losses are left out of the trained loss", versions=versions)
        elif s.mistake == "RC203":
            tags = ["penalty_add", "gradient"]
            self.want("RC203", tags, "the penalty is added after the tape block", paths=("static",))
            graph_tags = [*tags, "step_loss" if s.training == "train_step" else "loss"]
            self.want(("RC203", "RC202"), graph_tags, "penalty outside the tape", optional=True, paths=("graph",))
        elif s.mistake == "RC204":
            self.want("RC204", ["penalty_add"], "model.losses (a list) added to a scalar loss", paths=("static",))
            self.want("RC204", ["penalty_add"], "a list added to the loss", optional=True, paths=("graph",))


# -- TF1 graph code ----------------------------------------------------------------------------------------


def _l2_sum(code: Code, lead: str, terms: list[tuple[str, float, str]]) -> None:
    """``lead`` + the sum of ``coefficient * tf.nn.l2_loss(name)``, one term a line (each tagged)."""
    if not terms:
        code.add(lead + "tf.constant(0.0)")
        return
    code.add(lead + "tf.add_n([")
    for name, coef, tag in terms:
        code.add(f"    {coef!r} * tf.nn.l2_loss({name}),", tag)
    code.add("])")


class _TF1(_Writer):
    def __init__(self, spec: Spec) -> None:
        super().__init__(spec)
        self.V = {"compat_attr": "tf.compat.v1", "compat_module": "tf", "alias": "v1", "star": "tf.compat.v1"}[
            spec.imports
        ]

    def _regf(self, value: float | str) -> str:
        v = value if isinstance(value, str) else repr(value)
        if self.spec.regularizer == "keras_L2":
            return f"tf.keras.regularizers.L2({v})"
        return f"lambda w: {v} * tf.nn.l2_loss(w)"

    def _coefs(self, variant: str) -> tuple[list[float | None], list[float | None]]:
        """Per layer (hidden..., output): the kernel's and the bias's penalty coefficient, None for none."""
        s = self.spec
        n = s.hidden + 1
        kernels: list[float | None] = [_coef(i) for i in range(n)]
        biases: list[float | None] = [None] * n
        if variant == "unregularized":
            kernels = [None] * n
        elif variant == "RC101":
            kernels[s.target] = None
        elif variant == "zero_coef":
            kernels[s.target] = 0.0
        elif variant == "RC106":
            kernels[-1] = None
        elif variant == "RC102":
            biases[s.target] = _coef(s.target + 1)
        return kernels, biases

    # definitions -------------------------------------------------------------------------------------
    def _defs(self, code: Code) -> None:
        s, V = self.spec, self.V
        if s.api == "variable" and s.construction == "helper":
            with code.block("def weight_variable(shape, name):"):
                code.add(f"return tf.Variable({V}.truncated_normal(shape, stddev=0.1), name=name)", "helper_var")
            code.blank()
            with code.block("def bias_variable(shape, name):"):
                code.add("return tf.Variable(tf.zeros(shape), name=name)", "helper_bias")
            code.blank()
        elif s.api == "get_variable" and s.construction == "helper_wd":
            with code.block("def variable_with_weight_decay(name, shape, wd):"):
                code.add(
                    f"var = {V}.get_variable(name, shape, initializer={V}.truncated_normal_initializer(stddev=0.1))",
                    "helper_inner",
                )
                with code.block("if wd is not None:"):
                    code.add('weight_decay = tf.multiply(tf.nn.l2_loss(var), wd, name=name + "_loss")')
                    code.add(f"{V}.add_to_collection({V}.GraphKeys.REGULARIZATION_LOSSES, weight_decay)")
                code.add("return var")
            code.blank()
        elif s.api == "layers" and s.construction == "helper_wd":
            with code.block("def fc(inputs, units, wd=None, activation=None, bias_wd=None, name=None):"):
                code.add(f"reg = ({self._regf('wd')}) if wd is not None else None")
                code.add(f"bias_reg = ({self._regf('bias_wd')}) if bias_wd is not None else None")
                code.add(
                    f"return {V}.layers.dense(inputs, units, activation=activation, kernel_regularizer=reg, "
                    "bias_regularizer=bias_reg, name=name)",
                    "helper_inner",
                )
            code.blank()
        elif s.api == "variable" and s.construction == "class_vars":
            self._mlp_class(code)

    def _mlp_class(self, code: Code) -> None:
        s, V = self.spec, self.V
        kernels, biases = self._coefs(s.mistake)
        n = s.hidden + 1
        with code.block("class MLP:"):
            with code.block("def __init__(self):"):
                code.add("self.vars = {}")
                fan_in = 4
                for i in range(n):
                    units = 2 if i == n - 1 else 8
                    code.add(
                        f'self.vars["W{i + 1}"] = tf.Variable({V}.truncated_normal([{fan_in}, {units}], stddev=0.1), name="W{i + 1}")',
                        f"layer:{i}",
                    )
                    code.add(f'self.vars["b{i + 1}"] = tf.Variable(tf.zeros([{units}]), name="b{i + 1}")', f"bias:{i}")
                    fan_in = units
            code.blank()
            with code.block("def __call__(self, x):"):
                code.add("h = x")
                for i in range(n - 1):
                    code.add(f'h = tf.nn.relu(tf.matmul(h, self.vars["W{i + 1}"]) + self.vars["b{i + 1}"])')
                    if i == 0 and s.bn != "none":
                        code.add(f"h = {V}.layers.batch_normalization(h, training=True)", "bn")
                code.add(f'return tf.matmul(h, self.vars["W{n}"]) + self.vars["b{n}"]')
            code.blank()
            with code.block("def penalty(self):"):
                terms = [(f'self.vars["W{i + 1}"]', k, f"term:W:{i}") for i, k in enumerate(kernels) if k is not None]
                terms += [(f'self.vars["b{i + 1}"]', b, f"term:b:{i}") for i, b in enumerate(biases) if b is not None]
                _l2_sum(code, "return ", terms)
        code.blank()

    # the model ---------------------------------------------------------------------------------------
    def _model(self, code: Code, variant: str, prefix: str) -> None:
        """Code that builds the model on placeholder ``x`` and binds ``logits`` (and ``penalty``, variable api)."""
        s, V = self.spec, self.V
        kernels, biases = self._coefs(variant)
        n = s.hidden + 1
        bn = s.bn != "none"
        if s.api == "variable" and s.construction == "class_vars":
            code.add("net = MLP()")
            code.add("logits = net(x)")
            code.add("penalty = net.penalty()")
            return
        rebound = s.naming == "rebound"
        inline = s.placement == "inline"
        c = s.construction
        if c == "partial":
            code.add(f"dense = functools.partial({V}.layers.dense, kernel_regularizer={self._regf(0.001)})")
        elif c == "kwargs_literal":
            key = "regularizer" if s.api == "get_variable" else "kernel_regularizer"
            code.add(f'reg_kw = {{"{key}": {self._regf(0.001)}}}')
        elif c == "kwargs_subscript":
            key = "regularizer" if s.api == "get_variable" else "kernel_regularizer"
            code.add("reg_kw = {}")
            code.add(f'reg_kw["{key}"] = {self._regf(0.001)}')
        if s.api == "variable" and inline and variant != "unregularized":
            code.add("reg_terms = []")
        fan_in = 4
        previous = "x"
        terms: list[tuple[str, float, str]] = []
        for i in range(n):
            last = i == n - 1
            units = 2 if last else 8
            W = "W" if rebound else f"W{i + 1}"
            b = "b" if rebound else f"b{i + 1}"
            h = "logits" if last else ("h" if rebound else f"h{i + 1}")
            k, bias = kernels[i], biases[i]
            act = "" if last else ", activation=tf.nn.relu"
            if s.api == "variable":
                if c == "helper":
                    code.add(f'{W} = weight_variable([{fan_in}, {units}], "W{i + 1}")', prefix + f"layer:{i}")
                    code.add(f'{b} = bias_variable([{units}], "b{i + 1}")', prefix + f"bias:{i}")
                else:
                    code.add(
                        f'{W} = tf.Variable({V}.truncated_normal([{fan_in}, {units}], stddev=0.1), name="W{i + 1}")',
                        prefix + f"layer:{i}",
                    )
                    code.add(f'{b} = tf.Variable(tf.zeros([{units}]), name="b{i + 1}")', prefix + f"bias:{i}")
                for name, coef, tag in ((W, k, f"term:W:{i}"), (b, bias, f"term:b:{i}")):
                    if coef is None:
                        continue
                    if inline:
                        code.add(f"reg_terms.append({coef!r} * tf.nn.l2_loss({name}))", prefix + tag)
                    else:
                        terms.append((name, coef, prefix + tag))
                out = f"tf.matmul({previous}, {W}) + {b}"
                code.add(f"{h} = {out}" if last else f"{h} = tf.nn.relu({out})")
            elif s.api == "get_variable":
                if c == "helper_wd":
                    code.add(
                        f'{W} = variable_with_weight_decay("W{i + 1}", [{fan_in}, {units}], wd={k!r})',
                        prefix + f"layer:{i}",
                    )
                    code.add(
                        f'{b} = variable_with_weight_decay("b{i + 1}", [{units}], wd={bias!r})', prefix + f"bias:{i}"
                    )
                else:
                    if k is None:
                        kreg = ""
                    elif c.startswith("kwargs") and k != 0.0:
                        kreg = ", **reg_kw"
                    else:
                        kreg = f", regularizer={self._regf(k)}"
                    breg = f", regularizer={self._regf(bias)}" if bias is not None else ""
                    code.add(
                        f'{W} = {V}.get_variable("W{i + 1}", [{fan_in}, {units}], initializer={V}.glorot_uniform_initializer(){kreg})',
                        prefix + f"layer:{i}",
                    )
                    code.add(
                        f'{b} = {V}.get_variable("b{i + 1}", [{units}], initializer={V}.zeros_initializer(){breg})',
                        prefix + f"bias:{i}",
                    )
                out = f"tf.matmul({previous}, {W}) + {b}"
                code.add(f"{h} = {out}" if last else f"{h} = tf.nn.relu({out})")
            else:
                name = '"logits"' if last else f'"dense{i + 1}"'
                breg_kw = f", bias_regularizer={self._regf(bias)}" if bias is not None else ""
                if c == "helper_wd":
                    bwd = f", bias_wd={bias!r}" if bias is not None else ""
                    wd = f", wd={k!r}" if k is not None else ""
                    act_fc = "" if last else ", activation=tf.nn.relu"
                    code.add(f"{h} = fc({previous}, {units}{wd}{act_fc}{bwd}, name={name})", prefix + f"layer:{i}")
                else:
                    fn = f"{V}.layers.dense"
                    if k is None:
                        kreg = ""
                    elif c == "partial":
                        fn = "dense"
                        kreg = f", kernel_regularizer={self._regf(k)}" if k == 0.0 else ""
                    elif c.startswith("kwargs") and k != 0.0:
                        kreg = ", **reg_kw"
                    else:
                        kreg = f", kernel_regularizer={self._regf(k)}"
                    if kreg == ", **reg_kw":
                        code.add(
                            f"{h} = {fn}({previous}, {units}{act}{breg_kw}, name={name}{kreg})", prefix + f"layer:{i}"
                        )
                    else:
                        code.add(
                            f"{h} = {fn}({previous}, {units}{act}{kreg}{breg_kw}, name={name})", prefix + f"layer:{i}"
                        )
            if i == 0 and bn and not last:
                code.add(f"{h} = {V}.layers.batch_normalization({h}, training=True)", prefix + "bn")
            previous = h
            fan_in = units
        if s.api == "variable":
            if variant == "unregularized":
                code.add("penalty = tf.constant(0.0)")
            elif inline:
                code.add("penalty = tf.add_n(reg_terms)")
            else:
                _l2_sum(code, "penalty = ", terms)

    def _train(self, code: Code, variant: str, prefix: str, graph: str | None, bn: str) -> None:
        """Placeholders, model, loss, train op and session: one graph's worth of training."""
        s, V = self.spec, self.V
        code.add(f'x = {V}.placeholder(tf.float32, [None, 4], name="x")')
        code.add(f'y = {V}.placeholder(tf.int32, [None], name="y")')
        if s.reach == "inline" or s.graphs in ("two_graphs", "reset_graph"):
            self._model(code, variant, prefix)
        elif s.api == "variable":
            _unpack(code, "build_model(x)", ("logits", "penalty"), s.returns)
        else:
            code.add(
                {
                    "value": "logits = build_model(x)",
                    "tuple": "logits, probabilities = build_model(x)",
                    "dict": 'logits = build_model(x)["logits"]',
                    "list": "logits = build_model(x)[0]",
                }[s.returns]
            )
        code.add("data_loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))")
        if s.api == "variable":
            loss = "data_loss + penalty"
        elif variant == "RC201":
            loss = "data_loss"
        elif variant == "RC204":
            loss = (
                f"data_loss + {V}.get_collection({V}.GraphKeys.REGULARIZATION_LOSSES)"
                if s.collection == "add_n_collection"
                else f"data_loss + {V}.losses.get_regularization_losses()"
            )
        elif s.collection == "add_n_collection" and variant != "unregularized":  # add_n([]) fails
            loss = f"data_loss + tf.add_n({V}.get_collection({V}.GraphKeys.REGULARIZATION_LOSSES))"
        else:
            loss = f"data_loss + {V}.losses.get_regularization_loss()"
        code.add(f"loss = {loss}", prefix + "loss")
        code.add(f"optimizer = {V}.train.GradientDescentOptimizer(0.1)")
        if bn == "wired":
            code.add(f"update_ops = {V}.get_collection({V}.GraphKeys.UPDATE_OPS)")
            with code.block("with tf.control_dependencies(update_ops):"):
                code.add("train_op = optimizer.minimize(loss)", prefix + "minimize")
        elif bn == "wired_loss":  # a copy of the loss waits for the updates, and is fetched with the train op
            code.add("train_op = optimizer.minimize(loss)", prefix + "minimize")
            code.add(f"update_ops = {V}.get_collection({V}.GraphKeys.UPDATE_OPS)")
            with code.block("with tf.control_dependencies(update_ops):"):
                code.add("loss = tf.identity(loss)")
        else:
            code.add("train_op = optimizer.minimize(loss)", prefix + "minimize")
        fetches = "[train_op, loss]" if bn == "wired_loss" else "train_op"
        with code.block(f"with {V}.Session({'graph=' + graph if graph else ''}) as sess:"):
            code.add(f"sess.run({V}.global_variables_initializer())")
            with code.block("for _ in range(2):"):
                code.add(f"sess.run({fetches}, feed_dict={{x: x_train, y: y_train}})", prefix + "run")

    def _block_bn(self, variant: str) -> str:
        if self.spec.bn == "none":
            return "none"
        if variant == "RC207":
            return "unwired"
        return "wired" if self.spec.bn == "unwired" else self.spec.bn  # the other block of an RC207 program

    def program(self) -> Program:
        s, V = self.spec, self.V
        files: dict[str, Code] = {}
        head = {
            "compat_attr": ["import numpy as np", "import tensorflow as tf"],
            "compat_module": ["import numpy as np", "import tensorflow.compat.v1 as tf"],
            "alias": ["import numpy as np", "import tensorflow as tf", "", "v1 = tf.compat.v1"],
            "star": ["from ops import *"],
        }[s.imports]
        if s.construction == "partial" and s.imports != "star":
            head = ["import functools", *head]
        disable = {
            "compat_attr": "tf.compat.v1.disable_eager_execution()",
            "compat_module": "tf.disable_v2_behavior()",
            "alias": "v1.disable_eager_execution()",
            "star": None,
        }[s.imports]
        if s.imports == "star":
            ops = Code()
            ops.add("import functools")
            ops.add("import numpy as np")
            ops.add("import tensorflow as tf")
            ops.blank()
            ops.add("tf.compat.v1.disable_eager_execution()")
            ops.blank()
            self._defs(ops)
            files["ops.py"] = ops
        model = Code()
        for line in head:
            model.add(line)
        two_modules = s.reach == "two_modules"
        if disable and not two_modules:
            model.add(disable)
        model.blank()
        if s.imports != "star":
            self._defs(model)
        blocks = s.graphs in ("two_graphs", "reset_graph")
        if s.reach != "inline" and not blocks:
            with model.block("def build_model(x):"):
                self._model(model, s.mistake, "")
                if s.api == "variable":
                    model.add(
                        {
                            "tuple": "return logits, penalty",
                            "dict": 'return {"logits": logits, "penalty": penalty}',
                            "list": "return [logits, penalty]",
                        }[s.returns]
                    )
                else:
                    model.add(
                        {
                            "value": "return logits",
                            "tuple": "return logits, tf.nn.softmax(logits)",
                            "dict": 'return {"logits": logits}',
                            "list": "return [logits]",
                        }[s.returns]
                    )
            model.blank()
        if two_modules:
            files["model.py"] = model
            train = Code()
            for line in head:
                train.add(line)
            if disable:
                train.add(disable)
            train.add("from model import build_model")
            train.blank()
        else:
            train = model
        if s.graphs == "reset_graph":
            with train.block("def reset_graph(seed=0):"):
                train.add(f"{V}.reset_default_graph()")
                train.add(f"{V}.set_random_seed(seed)")
            train.blank()
        body = Code()
        body.add('x_train = np.random.rand(16, 4).astype("float32")')
        body.add("y_train = np.random.randint(0, 2, size=(16,))")
        if blocks:
            first, second = (s.mistake, self._other()) if s.mistake_block == "first" else (self._other(), s.mistake)
            for prefix, variant in (("A:", first), ("B:", second)):
                if s.graphs == "two_graphs":
                    name = "graph_a" if prefix == "A:" else "graph_b"
                    body.add(f"{name} = tf.Graph()")
                    with body.block(f"with {name}.as_default():"):
                        self._train(body, variant, prefix, name, self._block_bn(variant))
                else:
                    body.add("reset_graph()")
                    self._train(body, variant, prefix, None, self._block_bn(variant))
        elif s.graphs == "as_default":
            body.add("graph = tf.Graph()")
            with body.block("with graph.as_default():"):
                self._train(body, s.mistake, "", "graph", self._block_bn(s.mistake))
        else:
            self._train(body, s.mistake, "", None, self._block_bn(s.mistake))
        _main_body(s, train, body)
        files["train.py"] = train
        if blocks:
            trained_first = s.mistake_block == "first"
            self._expect("A:" if trained_first else "B:", s.mistake, graph=trained_first)
        else:
            self._expect("", s.mistake, graph=True)
        entry = "train:main" if s.reach == "defined_only" else "train.py"
        return self.finish(files, entry, "2", traceable=True)

    def _other(self) -> str:
        return "none" if self.spec.other_block == "correct" else "unregularized"

    def _kernel_sites(self, prefix: str, index: int) -> list[str]:
        s = self.spec
        tags = [f"layer:{index}" if s.construction == "class_vars" else prefix + f"layer:{index}"]
        if s.api == "variable" and s.construction == "helper":
            tags.append("helper_var")
        if s.construction == "helper_wd":
            tags.append("helper_inner")
        return tags

    def _bias_sites(self, prefix: str, index: int) -> list[str]:
        s = self.spec
        if s.api == "layers":
            return self._kernel_sites(prefix, index)
        if s.construction == "class_vars":
            prefix = ""  # the class's lines serve every instance
        tags = [prefix + f"bias:{index}"]
        if s.api == "variable":
            tags.append(prefix + f"term:b:{index}")
            if s.construction == "helper":
                tags.append("helper_bias")
        if s.construction == "helper_wd":
            tags.append("helper_inner")
        return tags

    def _expect(self, prefix: str, mistake: str, graph: bool) -> None:
        s = self.spec
        paths = ("static", "graph") if graph else ("static",)
        if mistake == "RC101":
            self.want(
                "RC101", self._kernel_sites(prefix, s.target), f"hidden weight {s.target} is not penalized", paths=paths
            )
        elif mistake == "RC106":
            self.want(
                "RC106", self._kernel_sites(prefix, s.hidden), "only the output weight is not penalized", paths=paths
            )
        elif mistake == "RC102":
            self.want("RC102", self._bias_sites(prefix, s.target), f"bias {s.target} is penalized", paths=paths)
        elif mistake == "RC201":
            tags = [prefix + "minimize", prefix + "loss", prefix + "run"]
            self.want("RC201", tags, "REGULARIZATION_LOSSES never reach the minimized loss", paths=paths)
        elif mistake == "RC204":
            self.want("RC204", [prefix + "loss"], "a list of losses added to the scalar loss", paths=("static",))
            if graph:
                self.want("RC204", [prefix + "loss"], "a list added to the loss", optional=True, paths=("graph",))
        elif mistake == "RC207":
            tags = [prefix + "minimize", prefix + "bn", prefix + "run"]
            self.want("RC207", tags, "the train op does not run UPDATE_OPS", paths=paths)
