"""`regcheck server` driven over stdio by a real LSP client (pygls's LanguageClient)."""

from __future__ import annotations

import textwrap
from pathlib import Path

from lsp_session import Session, apply_workspace_edit, run
from lsprotocol import types

TRAIN = textwrap.dedent(
    """\
    import tensorflow as tf

    model = tf.keras.Sequential([
        tf.keras.layers.Dense(10, kernel_regularizer=tf.keras.regularizers.L2(1e-4)),
    ])
    loss_fn = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)


    def train_step(x, y):
        with tf.GradientTape() as tape:
            loss = loss_fn(y, model(x, training=True))
        return tape.gradient(loss, model.trainable_variables)
    """
)
FIXED = TRAIN.replace("model(x, training=True))\n", "model(x, training=True)) + sum(model.losses)\n")


def test_open_diagnose_fix_and_clean(tmp_path: Path) -> None:
    (tmp_path / "train.py").write_text(TRAIN, encoding="utf-8")

    async def scenario() -> None:
        session = Session(tmp_path)
        result = await session.start()
        assert result.server_info is not None and result.server_info.name == "regcheck"
        session.open("train.py", TRAIN)
        [diagnostic] = await session.diagnostics("train.py", version=1)
        assert diagnostic.code == "RC202"
        assert diagnostic.source == "regcheck"
        assert diagnostic.severity == types.DiagnosticSeverity.Error
        # `loss` in `tape.gradient(loss, ...)`: line 12, columns 26..30 (1-based) -> 0-based.
        assert diagnostic.range == types.Range(types.Position(11, 25), types.Position(11, 29))
        assert diagnostic.code_description is not None
        assert diagnostic.code_description.href == "https://github.com/regcheck/regcheck/blob/main/rules/RC202.md"

        actions = await session.code_actions("train.py", diagnostic)
        titles = [action.title for action in actions]
        assert titles == [
            "Add `sum(model.losses)` to the loss inside the tape (RC202)",
            "Add `# noqa: RC202` (model-losses-unused)",
            "regcheck: fix all safe fixes",
        ]
        fix, noqa, fix_all = actions
        assert fix.kind == types.CodeActionKind.QuickFix and fix.is_preferred
        assert noqa.kind == types.CodeActionKind.QuickFix and not noqa.is_preferred
        assert fix_all.kind == "source.fixAll.regcheck"
        uri = session.uri("train.py")
        assert fix.edit is not None and noqa.edit is not None and fix_all.edit is not None
        fixed = apply_workspace_edit(session.texts, fix.edit)[uri]
        assert fixed == FIXED
        assert apply_workspace_edit(session.texts, fix_all.edit)[uri] == FIXED
        suppressed = apply_workspace_edit(session.texts, noqa.edit)[uri]
        assert suppressed == TRAIN.replace(
            "loss, model.trainable_variables)\n", "loss, model.trainable_variables)  # noqa: RC202\n"
        )

        session.change("train.py", fixed)
        assert await session.diagnostics("train.py", version=2) == []
        session.change("train.py", TRAIN)
        assert [d.code for d in await session.diagnostics("train.py", version=3)] == ["RC202"]
        session.change("train.py", suppressed)
        assert await session.diagnostics("train.py", version=4) == []
        await session.stop()

    run(scenario())


SOFTMAX = 'import tensorflow as tf\n\nhead = tf.keras.layers.Dense(1, activation="softmax")\n'


def test_unsafe_fix_is_titled_unsafe_and_not_preferred(tmp_path: Path) -> None:
    async def scenario() -> None:
        session = Session(tmp_path)
        await session.start()
        session.open("head.py", SOFTMAX)
        [diagnostic] = await session.diagnostics("head.py", version=1)
        assert (diagnostic.code, diagnostic.severity) == ("RC405", types.DiagnosticSeverity.Error)
        actions = await session.code_actions("head.py", diagnostic)
        # No safe fix in the file: no fix-all either.
        assert [a.title for a in actions] == [
            "Use sigmoid (RC405, unsafe fix)",
            "Add `# noqa: RC405` (softmax-single-unit)",
        ]
        unsafe = actions[0]
        assert unsafe.kind == types.CodeActionKind.QuickFix and not unsafe.is_preferred
        assert unsafe.edit is not None
        fixed = apply_workspace_edit(session.texts, unsafe.edit)[session.uri("head.py")]
        assert fixed == SOFTMAX.replace('"softmax"', '"sigmoid"')
        session.change("head.py", fixed)
        assert await session.diagnostics("head.py", version=2) == []
        # Asked for source actions only: no quickfixes.
        session.change("head.py", SOFTMAX)
        [diagnostic] = await session.diagnostics("head.py", version=3)
        assert await session.code_actions("head.py", diagnostic, only=[types.CodeActionKind.Source]) == []
        await session.stop()

    run(scenario())


BLOCKS = """\
from tensorflow.keras import layers, regularizers
def conv_block(x, filters):
    x = layers.Conv2D(filters, 3, kernel_regularizer=regularizers.l2(1e-4))(x)
    return layers.ReLU()(x)
"""
PLAIN_BLOCKS = BLOCKS.replace(", kernel_regularizer=regularizers.l2(1e-4)", "")
# Built from the other module's blocks; the word "regularizer" never occurs here (tests/keras/test_multifile.py).
HEAD = """\
from tensorflow import keras
from tensorflow.keras import layers
from blocks import conv_block
def build():
    inputs = keras.Input((32, 32, 3))
    x = conv_block(inputs, 32)
    x = conv_block(x, 64)
    x = layers.Conv2D(128, 3)(x)
    return keras.Model(inputs, layers.Flatten()(conv_block(x, 10)))
"""


def test_unsaved_change_in_an_imported_module_relints_the_importer(tmp_path: Path) -> None:
    (tmp_path / "blocks.py").write_text(PLAIN_BLOCKS, encoding="utf-8")
    (tmp_path / "train.py").write_text(HEAD, encoding="utf-8")

    async def scenario() -> None:
        session = Session(tmp_path)
        await session.start()
        session.open("train.py", HEAD)
        assert await session.diagnostics("train.py", version=1) == []
        session.open("blocks.py", PLAIN_BLOCKS)
        assert await session.diagnostics("blocks.py", version=1) == []
        session.change("blocks.py", BLOCKS)  # not saved: the server reads the editor's text
        assert await session.diagnostics("blocks.py", version=2) == []
        [diagnostic] = await session.diagnostics("train.py", version=1)
        assert diagnostic.code == "RC101"
        assert diagnostic.range.start.line == 7  # the Dense head on line 8
        # Closing the unsaved buffer: the file on disk (no regularizer) is the truth again.
        session.close("blocks.py")
        assert await session.diagnostics("blocks.py") == []
        assert await session.diagnostics("train.py", version=1) == []
        await session.stop()

    run(scenario())


def test_change_on_disk_of_an_imported_module_that_is_not_open(tmp_path: Path) -> None:
    (tmp_path / "blocks.py").write_text(PLAIN_BLOCKS, encoding="utf-8")
    (tmp_path / "train.py").write_text(HEAD, encoding="utf-8")

    async def scenario() -> None:
        session = Session(tmp_path)
        await session.start()
        session.open("train.py", HEAD)
        assert await session.diagnostics("train.py", version=1) == []
        (tmp_path / "blocks.py").write_text(BLOCKS, encoding="utf-8")
        session.client.workspace_did_change_watched_files(
            types.DidChangeWatchedFilesParams([types.FileEvent(session.uri("blocks.py"), types.FileChangeType.Changed)])
        )
        assert [d.code for d in await session.diagnostics("train.py", version=1)] == ["RC101"]
        await session.stop()

    run(scenario())


def test_project_settings_apply_and_are_reread_on_save(tmp_path: Path) -> None:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[tool.regcheck]\nignore = ["RC202"]\n', encoding="utf-8")
    (tmp_path / "train.py").write_text(TRAIN, encoding="utf-8")

    async def scenario() -> None:
        session = Session(tmp_path)
        await session.start()
        session.open("train.py", TRAIN)
        assert await session.diagnostics("train.py", version=1) == []
        pyproject.write_text("[tool.regcheck]\n", encoding="utf-8")
        session.save("pyproject.toml")
        assert [d.code for d in await session.diagnostics("train.py", version=1)] == ["RC202"]
        await session.stop()

    run(scenario())


def test_a_bad_config_is_shown_once_and_the_defaults_apply(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.regcheck]\nselekt = ["RC1"]\n', encoding="utf-8")

    async def scenario() -> None:
        session = Session(tmp_path)
        await session.start()
        session.open("train.py", TRAIN)
        assert [d.code for d in await session.diagnostics("train.py", version=1)] == ["RC202"]
        assert [m.type for m in session.messages] == [types.MessageType.Error]
        assert "unknown key 'selekt'" in session.messages[0].message
        await session.stop()

    run(scenario())


def test_notebooks_and_other_files_are_not_linted(tmp_path: Path) -> None:
    async def scenario() -> None:
        session = Session(tmp_path)
        await session.start()
        session.open("notebook.ipynb", '{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}')
        session.open("notes.txt", "import tensorflow as tf\n")
        session.open("head.py", SOFTMAX)
        # The server handles notifications in order: anything for the first two would come first.
        assert [d.code for d in await session.diagnostics("head.py", version=1)] == ["RC405"]
        assert session._queue(session.uri("notebook.ipynb")).empty()
        assert session._queue(session.uri("notes.txt")).empty()
        await session.stop()

    run(scenario())


def test_a_change_to_a_document_never_opened_is_ignored_without_an_error(tmp_path: Path) -> None:
    async def scenario() -> None:
        session = Session(tmp_path)
        await session.start()
        session.versions[session.uri("ghost.py")] = 1
        session.change("ghost.py", TRAIN)  # no didOpen first: a client's slip
        session.open("train.py", TRAIN)
        # Notifications are handled in order: the change was handled (or failed) before this.
        assert [d.code for d in await session.diagnostics("train.py", version=1)] == ["RC202"]
        assert session.messages == []  # no error popup
        assert session._queue(session.uri("ghost.py")).empty()
        assert any("never opened" in log for log in session.logs)
        assert not any("KeyError" in log for log in session.logs)
        await session.stop()

    run(scenario())


MODELS = textwrap.dedent(
    """\
    import keras
    from keras import layers, regularizers


    def build_model(units=64):
        return keras.Sequential([
            layers.Dense(units, activation="relu", kernel_regularizer=regularizers.L2(1e-4)),
            layers.Dense(10, name="head"),
        ])
    """
)
FIT = textwrap.dedent(
    """\
    import keras

    from models import build_model

    model = build_model()
    model.compile(optimizer=keras.optimizers.AdamW(weight_decay=1e-4), loss="mse")
    model.fit(x_train, y_train, epochs=3)
    """
)


def test_hover_on_a_layer_shows_its_coverage(tmp_path: Path) -> None:
    (tmp_path / "models.py").write_text(MODELS, encoding="utf-8")
    (tmp_path / "train.py").write_text(FIT, encoding="utf-8")

    async def scenario() -> None:
        session = Session(tmp_path)
        await session.start()
        session.open("models.py", MODELS)
        await session.diagnostics("models.py", version=1)
        # Alone, models.py builds a model nobody trains here.
        hover = await session.hover("models.py", 6)  # the regularized Dense (0-based line 6)
        assert hover is not None and isinstance(hover.contents, types.MarkupContent)
        assert hover.contents.kind == types.MarkupKind.Markdown
        text = hover.contents.value
        assert "**regcheck coverage**: models.py:6: Sequential model, not trained in view" in text
        assert "| `Dense.kernel` | kernel | l2 x0.0001 | penalized |" in text
        assert "| `Dense.bias` | bias | - | unpenalized |" in text
        assert "head" not in text  # only the layers made on the hovered line
        # With train.py open (it imports models.py), the training step that trains them, and its optimizer.
        session.open("train.py", FIT)
        await session.diagnostics("train.py", version=1)
        hover = await session.hover("models.py", 7)
        assert hover is not None and isinstance(hover.contents, types.MarkupContent)
        text = hover.contents.value
        assert "training step (fit) of the Sequential model built at models.py:6" in text
        assert "| `head.kernel` | kernel | - | unpenalized |" in text
        assert "Optimizer: `AdamW`, weight decay 0.0001." in text
        assert await session.hover("models.py", 0) is None  # a line that makes nothing
        await session.stop()

    run(scenario())
