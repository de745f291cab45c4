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
