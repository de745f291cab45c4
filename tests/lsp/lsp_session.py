"""A real LSP client (pygls's) driving `python -m regcheck server` over stdio, for the tests here."""

from __future__ import annotations

import asyncio
import os
import re
import sys
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("pygls")
pytest.importorskip("lsprotocol")

from lsprotocol import types
from pygls.lsp.client import LanguageClient
from pygls.uris import from_fs_path

# Guards against a hung server, not timing assertions: a healthy run answers in well under a second.
WAIT = 60.0


class Session:
    """One server process and the documents this client opened in it."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.client = LanguageClient("regcheck-tests", "0")
        self.versions: dict[str, int] = {}
        self.texts: dict[str, str] = {}
        self.messages: list[types.ShowMessageParams] = []
        self.logs: list[str] = []
        self._diagnostics: dict[str, asyncio.Queue[types.PublishDiagnosticsParams]] = {}

        @self.client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def on_diagnostics(params: types.PublishDiagnosticsParams) -> None:
            self._queue(params.uri).put_nowait(params)

        @self.client.feature(types.WINDOW_SHOW_MESSAGE)
        def on_message(params: types.ShowMessageParams) -> None:
            self.messages.append(params)

        @self.client.feature(types.WINDOW_LOG_MESSAGE)
        def on_log(params: types.LogMessageParams) -> None:
            self.logs.append(params.message)
            print("server log:", params.message)  # shown by pytest when a test fails

    def _queue(self, uri: str) -> asyncio.Queue[types.PublishDiagnosticsParams]:
        return self._diagnostics.setdefault(uri, asyncio.Queue())

    def uri(self, name: str) -> str:
        uri = from_fs_path(str(self.root / name))
        assert uri is not None
        return uri

    async def start(self) -> types.InitializeResult:
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(Path(__file__).resolve().parents[2]), os.environ.get("PYTHONPATH", "")]),
        }
        await self.client.start_io(sys.executable, "-m", "regcheck", "server", cwd=str(self.root), env=env)
        result = await asyncio.wait_for(
            self.client.initialize_async(
                types.InitializeParams(
                    capabilities=types.ClientCapabilities(),
                    root_uri=from_fs_path(str(self.root)),
                    workspace_folders=[types.WorkspaceFolder(uri=from_fs_path(str(self.root)) or "", name="project")],
                )
            ),
            WAIT,
        )
        self.client.initialized(types.InitializedParams())
        return result

    async def stop(self) -> None:
        await asyncio.wait_for(self.client.shutdown_async(None), WAIT)
        self.client.exit(None)
        await asyncio.wait_for(self.client.stop(), WAIT)

    def open(self, name: str, text: str) -> None:
        uri = self.uri(name)
        self.versions[uri], self.texts[uri] = 1, text
        self.client.text_document_did_open(
            types.DidOpenTextDocumentParams(types.TextDocumentItem(uri=uri, language_id="python", version=1, text=text))
        )

    def change(self, name: str, text: str) -> None:
        uri = self.uri(name)
        self.versions[uri] += 1
        self.texts[uri] = text
        self.client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                types.VersionedTextDocumentIdentifier(uri=uri, version=self.versions[uri]),
                [types.TextDocumentContentChangeWholeDocument(text=text)],
            )
        )

    def save(self, name: str) -> None:
        self.client.text_document_did_save(
            types.DidSaveTextDocumentParams(types.TextDocumentIdentifier(uri=self.uri(name)))
        )

    def close(self, name: str) -> None:
        self.client.text_document_did_close(
            types.DidCloseTextDocumentParams(types.TextDocumentIdentifier(uri=self.uri(name)))
        )

    async def diagnostics(self, name: str, version: int | None = None) -> list[types.Diagnostic]:
        """The next diagnostics published for ``name`` (for ``version``, when given)."""
        queue = self._queue(self.uri(name))
        while True:
            params = await asyncio.wait_for(queue.get(), WAIT)
            if version is None or params.version == version:
                return list(params.diagnostics)

    async def hover(self, name: str, line: int, character: int = 4) -> types.Hover | None:
        """The hover at a 0-based position of ``name``."""
        params = types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=self.uri(name)),
            position=types.Position(line, character),
        )
        return await asyncio.wait_for(self.client.text_document_hover_async(params), WAIT)

    async def code_actions(
        self, name: str, diagnostic: types.Diagnostic, only: list[str] | None = None
    ) -> list[types.CodeAction]:
        params = types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=self.uri(name)),
            range=diagnostic.range,
            context=types.CodeActionContext(diagnostics=[diagnostic], only=only),
        )
        result = await asyncio.wait_for(self.client.text_document_code_action_async(params), WAIT)
        return [action for action in result or [] if isinstance(action, types.CodeAction)]


def apply_workspace_edit(texts: dict[str, str], edit: types.WorkspaceEdit) -> dict[str, str]:
    """The documents' texts after ``edit`` (ASCII texts: UTF-16 columns are characters)."""
    result = dict(texts)
    for uri, edits in (edit.changes or {}).items():
        result[uri] = apply_text_edits(result[uri], edits)
    return result


def apply_text_edits(text: str, edits: list[types.TextEdit]) -> str:
    lines = re.split(r"(?<=\n)", text)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))

    def offset(position: types.Position) -> int:
        if position.line >= len(lines):
            return len(text)
        return starts[position.line] + position.character

    for text_edit in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
        text = text[: offset(text_edit.range.start)] + text_edit.new_text + text[offset(text_edit.range.end) :]
    return text


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)
