"""regcheck.facts.names, feature by feature: what a name refers to and what it is called.

Each case states the exact qualified names (libcst's spelling) or the exact
binding a name resolves to; the hypothesis cases vary the spelling of imports
and aliases and check the canonical TF/Keras name that results.
"""

from __future__ import annotations

import textwrap

import libcst as cst
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from regcheck.facts import build_facts
from regcheck.facts.module import ModuleFacts


def facts_of(source: str) -> ModuleFacts:
    source = textwrap.dedent(source)
    return build_facts("t.py", source, cst.parse_module(source))


def nodes(facts: ModuleFacts, code: str) -> list[cst.CSTNode]:
    found = []
    stack: list[cst.CSTNode] = [facts.module]
    while stack:
        node = stack.pop()
        if isinstance(node, (cst.Name, cst.Attribute)) and facts.code(node) == code:
            found.append(node)
        stack.extend(reversed(node.children))
    return found


def node(facts: ModuleFacts, code: str, occurrence: int = 0) -> cst.CSTNode:
    return nodes(facts, code)[occurrence]


def qnames(source: str, code: str, occurrence: int = 0) -> list[str]:
    facts = facts_of(source)
    return sorted(facts.qualified_names(node(facts, code, occurrence)))


def line_of(facts: ModuleFacts, target: cst.CSTNode) -> int:
    return facts.span(target).line


def binding_lines(source: str, code: str, occurrence: int = 0) -> list[int]:
    facts = facts_of(source)
    name = node(facts, code, occurrence)
    assert isinstance(name, cst.Name)
    return [line_of(facts, b.node) for b in facts.assignments(name)]


# --- imports --------------------------------------------------------------------


def test_import_alias_and_attribute_chain() -> None:
    src = "import tensorflow as tf\ntf.keras.layers.Dense(3)\n"
    assert qnames(src, "tf", 1) == ["tensorflow"]
    assert qnames(src, "tf.keras") == ["tensorflow.keras"]
    assert qnames(src, "tf.keras.layers.Dense") == ["tensorflow.keras.layers.Dense"]
    facts = facts_of(src)
    assert facts.canonical(node(facts, "tf.keras.layers.Dense")) == "keras.layers.Dense"


def test_dotted_import_binds_every_prefix() -> None:
    src = "import tensorflow.compat.v1\ntensorflow.compat.v1.layers.dense(x, 3)\ntensorflow.nn.relu(x)\n"
    assert qnames(src, "tensorflow.compat.v1.layers.dense") == ["tensorflow.compat.v1.layers.dense"]
    assert qnames(src, "tensorflow.nn.relu") == ["tensorflow.nn.relu"]
    facts = facts_of(src)
    assert facts.canonical(node(facts, "tensorflow.compat.v1.layers.dense")) == "tf.layers.dense"


def test_dotted_import_read_is_recorded_on_the_attribute() -> None:
    # libcst records the read of `os.path` in `os.path.join` on the `os.path` node.
    src = "import os.path\nos.path.join('a')\n"
    facts = facts_of(src)
    (binding,) = [b for b in facts.names.resolve(facts.names.module_scope, "os.path")]
    assert [facts.code(n) for n in facts.references(binding)] == ["os.path"]
    assert qnames(src, "os.path.join") == ["os.path.join"]


def test_from_import_with_alias() -> None:
    src = (
        "from tensorflow.keras import layers as L, regularizers\nL.Dense(3, kernel_regularizer=regularizers.l2(0.1))\n"
    )
    assert qnames(src, "L.Dense") == ["tensorflow.keras.layers.Dense"]
    assert qnames(src, "regularizers.l2") == ["tensorflow.keras.regularizers.l2"]


def test_relative_imports_keep_their_dots() -> None:
    src = "from . import models\nfrom ..blocks import conv as c\nmodels.build()\nc()\n"
    assert qnames(src, "models.build") == [".models.build"]
    assert qnames(src, "c", 1) == ["..blocks.conv"]


def test_star_import_binds_nothing_nameable() -> None:
    src = "from tensorflow.keras.layers import *\nDense(3)\nlen([])\n"
    facts = facts_of(src)
    dense = node(facts, "Dense")
    assert facts.qualified_names(dense) == set()
    assert facts.canonical(dense) is None
    assert facts.assignments(dense) == []
    assert facts.from_star_import(dense) is True
    # A star import may shadow a builtin too; its qualified name stays the builtin's, as in libcst.
    assert facts.from_star_import(node(facts, "len")) is True
    assert qnames(src, "len") == ["builtins.len"]
    assert (
        facts_of("import keras\nDense(3)\n").from_star_import(node(facts_of("import keras\nDense(3)\n"), "Dense"))
        is False
    )


def test_import_inside_a_function_is_local_to_it() -> None:
    src = """
    def build():
        import keras
        return keras.layers.Dense(3)
    keras.layers.Dense(4)
    """
    assert qnames(src, "keras.layers.Dense", 0) == ["keras.layers.Dense"]
    assert qnames(src, "keras.layers.Dense", 1) == []


# --- assignments ------------------------------------------------------------------


def test_module_level_rebinding_is_a_local_name() -> None:
    src = "import tensorflow as tf\nkeras = tf.keras\nkeras.layers.Dense(3)\n"
    # libcst names a module-level variable by its own dotted path.
    assert qnames(src, "keras.layers.Dense") == ["keras.layers.Dense"]
    assert binding_lines(src, "keras", 2) == [2]  # occurrence 1 is the attribute name in `tf.keras`


def test_tuple_unpacking_starred_and_for_targets() -> None:
    src = """
    a, (b, *c) = f()
    for i, j in pairs:
        pass
    a; b; c; i; j
    """
    for name, line in (("a", 2), ("b", 2), ("c", 2), ("i", 3), ("j", 3)):
        facts = facts_of(src)
        uses = nodes(facts, name)
        target, use = uses[0], uses[-1]
        assert [b.node for b in facts.assignments(use)] == [target], name
        assert line_of(facts, target) == line


def test_with_except_walrus_and_augmented_assignment_bind() -> None:
    src = """
    with open(p) as fh:
        pass
    try:
        pass
    except ValueError as err:
        pass
    if (n := 3):
        pass
    total = 0
    total += 1
    fh; err; n; total
    """
    assert binding_lines(src, "fh", 1) == [2]
    assert binding_lines(src, "err", 1) == [6]
    assert binding_lines(src, "n", 1) == [8]
    assert binding_lines(src, "total", 2) == [10, 11]


def test_reads_in_one_scope_are_flow_sensitive() -> None:
    # The read on line 2 comes before the module's own `tf = ...`: it sees only the import.
    src = "import tensorflow as tf\ntf.nn.relu(x)\ntf = None\ntf\n"
    assert qnames(src, "tf", 1) == ["tensorflow"]
    assert qnames(src, "tf", 3) == ["tensorflow", "tf"]
    # An attribute is named from every binding of its base, as libcst does.
    assert qnames(src, "tf.nn.relu") == ["tensorflow.nn.relu", "tf.nn.relu"]


def test_del_reads_the_name() -> None:
    src = "x = 1\ndel x\n"
    facts = facts_of(src)
    (binding,) = facts.assignments(node(facts, "x", 1))
    assert [line_of(facts, n) for n in facts.references(binding)] == [2]


# --- functions, parameters, lambdas, classes ---------------------------------------


def test_parameters_and_locals_are_named_with_locals() -> None:
    src = """
    def build(units, act=relu):
        hidden = units
        return hidden
    """
    assert qnames(src, "units", 1) == ["build.<locals>.units"]
    assert qnames(src, "hidden", 1) == ["build.<locals>.hidden"]
    facts = facts_of(src)
    (binding,) = facts.assignments(node(facts, "units", 1))
    assert isinstance(binding.node, cst.Param)
    # A default is evaluated where the function is defined.
    assert facts.names.scope_of[node(facts, "relu")] is facts.names.module_scope


def test_lambda_parameters_shadow() -> None:
    src = "import tensorflow as tf\nf = lambda tf: tf.square\ng = lambda: tf.square\n"
    assert qnames(src, "tf.square", 0) == ["<locals>.tf.square"]
    assert qnames(src, "tf.square", 1) == ["tensorflow.square"]


def test_class_body_does_not_enclose_methods() -> None:
    src = """
    import keras as layers
    class Net:
        layers = []
        def call(self):
            return layers.Dense(3)
        extra = layers
    """
    assert qnames(src, "layers.Dense") == ["keras.Dense"]
    assert qnames(src, "layers", 3) == ["Net.layers"]


def test_class_and_method_names() -> None:
    src = """
    class Net:
        def call(self):
            def inner():
                v = 1
                return v
    """
    assert qnames(src, "v", 1) == ["Net.call.<locals>.inner.<locals>.v"]
    facts = facts_of(src)
    assert [type(b.node) for b in facts.assignments(node(facts, "Net"))] == [cst.ClassDef]


def test_global_and_nonlocal() -> None:
    src = """
    model = None
    def make():
        global model
        model = build()
    def outer():
        count = 0
        def bump():
            nonlocal count
            count = 1
        return count
    model
    """
    assert binding_lines(src, "model", 3) == [2, 5]
    facts = facts_of(src)
    count_reads = nodes(facts, "count")
    assert [line_of(facts, b.node) for b in facts.assignments(count_reads[-1])] == [7, 10]
    assert facts.is_global_binding(node(facts, "model", 3)) is True
    assert facts.is_global_binding(count_reads[-1]) is False


# --- comprehensions ------------------------------------------------------------------


def test_comprehension_scope_and_its_first_iterable() -> None:
    src = """
    import tensorflow as tf
    class C:
        items = [1]
        doubled = [items for x in items]
    squares = [tf.square(v) for v in values if v]
    """
    facts = facts_of(src)
    # `x`/`v` are local to the comprehension; the first iterable is read in the class body.
    assert qnames(src, "v", 0) == ["<comprehension>.v"]
    assert qnames(src, "tf.square") == ["tensorflow.square"]
    items = nodes(facts, "items")
    assert facts.assignments(items[1]) == []  # the element: the class body is not visible
    assert [line_of(facts, b.node) for b in facts.assignments(items[2])] == [4]


def test_walrus_in_a_comprehension_binds_outside_it() -> None:
    src = "[last := y for y in range(3)]\nlast\n"
    assert binding_lines(src, "last", 1) == [1]
    assert qnames(src, "last", 1) == ["last"]


def test_attribute_and_keyword_names_have_no_qualified_name() -> None:
    src = "import tensorflow as tf\ntf.nn.relu(features=x)\n"
    facts = facts_of(src)
    call = next(c for c in facts.calls)
    assert isinstance(call.node.func, cst.Attribute)
    assert facts.qualified_names(call.node.func.attr) == set()
    assert facts.qualified_names(call.node.args[0].keyword) == set()


def test_scope_is_gone() -> None:
    facts = facts_of("x = 1\n")
    with pytest.raises(NotImplementedError, match="assignments"):
        facts.scope(facts.module)


# --- generated spellings ---------------------------------------------------------------

_IDENT = st.from_regex(r"[a-z][a-z0-9_]{0,6}", fullmatch=True).filter(
    lambda s: (
        s not in {"tf", "keras"} and not __import__("keyword").iskeyword(s) and not hasattr(__import__("builtins"), s)
    )
)
_ROOTS = {
    "tensorflow": "tf",
    "tensorflow.compat.v1": "tf",
    "tensorflow.keras": "keras",
    "keras": "keras",
    "tf_keras": "keras",
}


@settings(max_examples=60, deadline=None)
@given(root=st.sampled_from(sorted(_ROOTS)), alias=_IDENT, attr=_IDENT, style=st.sampled_from(["import", "from"]))
def test_generated_import_spellings(root: str, alias: str, attr: str, style: str) -> None:
    if style == "import":
        src = f"import {root} as {alias}\n{alias}.layers.{attr}(3)\n"
    else:
        package, _, last = root.rpartition(".")
        if not package:
            return
        src = f"from {package} import {last} as {alias}\n{alias}.layers.{attr}(3)\n"
    facts = facts_of(src)
    expected = _ROOTS[root] + f".layers.{attr}"
    assert facts.canonical(node(facts, f"{alias}.layers.{attr}")) == expected


@settings(max_examples=40, deadline=None)
@given(alias=_IDENT, local=_IDENT)
def test_generated_shadowing_in_a_function(alias: str, local: str) -> None:
    # A parameter of the import's alias hides the import inside the function, not outside.
    src = f"import tensorflow as {alias}\ndef f({alias}):\n    return {alias}.nn.relu\n{local} = {alias}.nn.relu\n"
    facts = facts_of(src)
    inside, outside = nodes(facts, f"{alias}.nn.relu")
    assert facts.canonical(inside) is None
    assert facts.qualified_names(inside) == {f"f.<locals>.{alias}.nn.relu"}
    assert facts.canonical(outside) == "tf.nn.relu"
