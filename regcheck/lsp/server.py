"""`regcheck server`: the Language Server Protocol over stdio, on pygls.

- Diagnostics on open, on change (debounced, ``DEBOUNCE`` seconds) and on save;
  open documents that import a changed module are re-linted too.
- Hover on a line that makes layers or variables: how the penalties cover them (``regcheck coverage``).
- Code actions: a finding's safe fix (quickfix, preferred), its unsafe fix
  (quickfix, titled unsafe), ``# noqa: RCxxx``, and ``source.fixAll.regcheck``
  (every safe fix).
- Settings: ``[tool.regcheck]`` found from the workspace folder, re-read when a
  pyproject.toml / regcheck.toml is saved or changes on disk.

Only ``file:`` Python documents are linted; notebooks (``.ipynb`` and notebook
cells) are skipped: run ``regcheck`` on them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Generator, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol
from pygls.protocol.language_server import lsp_method
from pygls.uris import from_fs_path, to_fs_path

from regcheck.__about__ import __version__
from regcheck.findings import Applicability, Finding, Severity
from regcheck.fixing.apply import fixed_by
from regcheck.lsp.edits import TextChange, diff_changes, noqa_change, split_lines
from regcheck.lsp.workspace import CONFIG_NAMES, Workspace
from regcheck.report.coverage import render_markdown

DEBOUNCE = 0.3  # seconds of quiet after the last keystroke before re-linting
SOURCE = "regcheck"
FIX_ALL = f"{types.CodeActionKind.SourceFixAll.value}.regcheck"
# Rule pages live in the repository's rules/ folder (packaged in the wheel, shown by `regcheck rule`);
# the same URL the SARIF report gives as each rule's helpUri.
RULE_URL = "https://github.com/regcheck/regcheck/blob/main/rules/{code}.md"

_SEVERITY = {
    Severity.ERROR: types.DiagnosticSeverity.Error,
    Severity.WARNING: types.DiagnosticSeverity.Warning,
    Severity.INFO: types.DiagnosticSeverity.Information,
}

log = logging.getLogger(__name__)


class RegcheckProtocol(LanguageServerProtocol):
    """pygls's protocol, tolerant of a client's slip: a ``didChange`` for a document it never opened is
    logged and ignored (pygls raised a KeyError that editors show as an error popup)."""

    @lsp_method(types.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(self, params: types.DidChangeTextDocumentParams) -> Generator[Any, Any, None]:
        uri = params.text_document.uri
        if unquote(uri) not in self.workspace.text_documents:
            message = f"regcheck: ignored a change to {uri}, which was never opened (textDocument/didOpen)"
            self._server.window_log_message(types.LogMessageParams(types.MessageType.Warning, message))
            return
        yield from super().lsp_text_document__did_change(params)


class RegcheckServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__(
            "regcheck",
            __version__,
            text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
            protocol_cls=RegcheckProtocol,
        )
        self.project: Workspace | None = None
        self._root: Path = Path.cwd()
        self._pending: dict[str, asyncio.Task[None]] = {}
        # uri -> (text, findings) of the last lint, for code actions.
        self._linted: dict[str, tuple[str, list[Finding]]] = {}
        self._shown_config_error: str | None = None

    # -- the workspace -----------------------------------------------------------

    def regcheck_workspace(self) -> Workspace:
        if self.project is None:
            self.project = Workspace(self._root)
            self._report_config_error()
        return self.project

    def _report_config_error(self) -> None:
        error = self.project.config_error if self.project else None
        if error and error != self._shown_config_error:
            self.window_show_message(
                types.ShowMessageParams(types.MessageType.Error, f"regcheck: {error} (using the default settings)")
            )
        self._shown_config_error = error

    # -- linting -----------------------------------------------------------------

    def lint_and_publish(self, uri: str) -> None:
        path = _python_path(uri)
        if path is None or uri not in self.workspace.text_documents:
            return
        document = self.workspace.get_text_document(uri)
        text = document.source
        workspace = self.regcheck_workspace()
        try:
            report = workspace.lint_report(path, text)
        except Exception as exc:  # a bug of ours must not take the editor's server down
            log.exception("regcheck failed on %s", path)
            self.window_log_message(types.LogMessageParams(types.MessageType.Error, f"regcheck: {path}: {exc!r}"))
            return
        for problem in report.problems:
            self.window_log_message(types.LogMessageParams(types.MessageType.Warning, f"regcheck: {problem}"))
        self._linted[uri] = (text, report.findings)
        lines = split_lines(text)
        diagnostics = [self._diagnostic(finding, lines) for finding in report.findings]
        self.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics, version=document.version)
        )

    def relint_dependents(self, path: str) -> None:
        for other in self.regcheck_workspace().dependents(path):
            uri = from_fs_path(other)
            if uri is not None and uri in self.workspace.text_documents:
                self.lint_and_publish(uri)

    def relint_all(self) -> None:
        for uri in list(self.workspace.text_documents):
            if _python_path(uri) is not None:
                self.lint_and_publish(uri)

    def schedule(self, uri: str, delay: float) -> None:
        """Lint ``uri`` after ``delay`` seconds, replacing a lint already waiting for it."""
        self.cancel(uri)

        async def later() -> None:
            await asyncio.sleep(delay)
            self._pending.pop(uri, None)
            self.lint_and_publish(uri)
            path = _python_path(uri)
            if path is not None:
                self.relint_dependents(path)

        self._pending[uri] = asyncio.ensure_future(later())

    def cancel(self, uri: str) -> None:
        task = self._pending.pop(uri, None)
        if task is not None:
            task.cancel()

    def findings_for(self, uri: str) -> tuple[str, list[Finding]]:
        """The findings for the document's current text (re-linted now if an edit is still waiting)."""
        text = self.workspace.get_text_document(uri).source
        linted = self._linted.get(uri)
        if linted is None or linted[0] != text:
            self.cancel(uri)
            self.lint_and_publish(uri)
            linted = self._linted.get(uri, (text, []))
        return linted

    def hover(self, params: types.HoverParams) -> types.Hover | None:
        """On a line that makes layers or variables: how the penalties cover them (regcheck coverage)."""
        uri = params.text_document.uri
        path = _python_path(uri)
        if path is None or uri not in self.workspace.text_documents:
            return None
        text = self.workspace.get_text_document(uri).source
        workspace = self.regcheck_workspace()
        try:
            hits = workspace.coverage_at(path, text, params.position.line + 1)
        except Exception as exc:  # a bug of ours must not take the editor's server down
            log.exception("regcheck coverage failed on %s", path)
            self.window_log_message(types.LogMessageParams(types.MessageType.Error, f"regcheck: {path}: {exc!r}"))
            return None
        if not hits:
            return None
        root = str(workspace.root)
        value = "\n---\n\n".join(render_markdown(table, rows, root) for table, rows in hits)
        return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=value))

    # -- conversions ---------------------------------------------------------------

    def _position(self, lines: Sequence[str], line: int, column: int) -> types.Position:
        """0-based line and code-point column -> the client's position encoding (clamped to the text)."""
        if line >= len(lines):
            line = len(lines) - 1
            column = len(lines[line])
        if line < 0:
            return types.Position(0, 0)
        body = lines[line].rstrip("\r\n")
        column = max(0, min(column, len(body)))
        return types.Position(line, self.workspace.position_codec.client_num_units(body[:column]))

    def _range(self, lines: Sequence[str], line: int, column: int, end_line: int, end_column: int) -> types.Range:
        start = self._position(lines, line, column)
        end = self._position(lines, end_line, end_column)
        return types.Range(start, end if (end.line, end.character) >= (start.line, start.character) else start)

    def _finding_range(self, finding: Finding, lines: Sequence[str]) -> types.Range:
        return self._range(lines, finding.line - 1, finding.column - 1, finding.end_line - 1, finding.end_column - 1)

    def _diagnostic(self, finding: Finding, lines: Sequence[str]) -> types.Diagnostic:
        return types.Diagnostic(
            range=self._finding_range(finding, lines),
            message=finding.message,
            severity=_SEVERITY.get(finding.severity, types.DiagnosticSeverity.Warning),
            code=finding.code,
            code_description=types.CodeDescription(href=RULE_URL.format(code=finding.code)),
            source=SOURCE,
            data={"name": finding.name, "fixable": finding.fix is not None},
        )

    def _edit(self, uri: str, lines: Sequence[str], changes: list[TextChange]) -> types.WorkspaceEdit:
        text_edits = [
            types.TextEdit(self._range(lines, c.line, c.column, c.end_line, c.end_column), c.content) for c in changes
        ]
        capabilities = self.client_capabilities.workspace
        if capabilities and capabilities.workspace_edit and capabilities.workspace_edit.document_changes:
            version = self.workspace.get_text_document(uri).version
            identifier = types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=version)
            return types.WorkspaceEdit(document_changes=[types.TextDocumentEdit(identifier, text_edits)])
        return types.WorkspaceEdit(changes={uri: text_edits})

    # -- code actions --------------------------------------------------------------

    def code_actions(self, params: types.CodeActionParams) -> list[types.CodeAction]:
        uri = params.text_document.uri
        if _python_path(uri) is None or uri not in self.workspace.text_documents:
            return []
        text, findings = self.findings_for(uri)
        lines = split_lines(text)
        only = params.context.only

        def wanted(kind: str) -> bool:
            return only is None or any(kind == k or kind.startswith(f"{k}.") for k in only)

        actions: list[types.CodeAction] = []
        if wanted(types.CodeActionKind.QuickFix.value):
            for finding in findings:
                diagnostic = self._diagnostic(finding, lines)
                if not _overlaps(diagnostic.range, params.range):
                    continue
                actions.extend(self._finding_actions(uri, text, lines, finding, diagnostic))
        if wanted(FIX_ALL) and any(f.fix is not None and f.fix.applicability is Applicability.SAFE for f in findings):
            path = _python_path(uri)
            assert path is not None
            after = self.regcheck_workspace().fix_all(path, text, findings=findings)
            if after != text:
                actions.append(
                    types.CodeAction(
                        title="regcheck: fix all safe fixes",
                        kind=FIX_ALL,
                        edit=self._edit(uri, lines, diff_changes(text, after)),
                    )
                )
        return actions

    def _finding_actions(
        self, uri: str, text: str, lines: Sequence[str], finding: Finding, diagnostic: types.Diagnostic
    ) -> list[types.CodeAction]:
        actions: list[types.CodeAction] = []
        fix = finding.fix
        if fix is not None:
            after = fixed_by(text, fix)
            if after is not None:
                safe = fix.applicability is Applicability.SAFE
                actions.append(
                    types.CodeAction(
                        title=f"{fix.message} ({finding.code})"
                        if safe
                        else f"{fix.message} ({finding.code}, unsafe fix)",
                        kind=types.CodeActionKind.QuickFix,
                        diagnostics=[diagnostic],
                        is_preferred=safe,
                        edit=self._edit(uri, lines, diff_changes(text, after)),
                    )
                )
        noqa = noqa_change(text, finding)
        if noqa is not None:
            actions.append(
                types.CodeAction(
                    title=f"Add `# noqa: {finding.code}` ({finding.name})",
                    kind=types.CodeActionKind.QuickFix,
                    diagnostics=[diagnostic],
                    edit=self._edit(uri, lines, [noqa]),
                )
            )
        return actions


def _overlaps(a: types.Range, b: types.Range) -> bool:
    def key(p: types.Position) -> tuple[int, int]:
        return (p.line, p.character)

    return key(a.start) <= key(b.end) and key(b.start) <= key(a.end)


def _python_path(uri: str) -> str | None:
    """The file path of a document the server lints: ``file:`` URIs of Python files, no notebooks."""
    if not uri.startswith("file:"):
        return None
    path = to_fs_path(uri)
    if path is None or not path.endswith((".py", ".pyi")):
        return None
    return path


def _config_path(uri: str) -> str | None:
    path = to_fs_path(uri) if uri.startswith("file:") else None
    return path if path is not None and Path(path).name in CONFIG_NAMES else None


def create_server() -> RegcheckServer:
    server = RegcheckServer()

    @server.feature(types.INITIALIZE)
    def initialize(ls: RegcheckServer, params: types.InitializeParams) -> None:
        root: str | None = None
        if params.workspace_folders:
            root = to_fs_path(params.workspace_folders[0].uri)
        elif params.root_uri:
            root = to_fs_path(params.root_uri)
        elif params.root_path:
            root = params.root_path
        ls._root = Path(root) if root else Path.cwd()

    @server.feature(types.INITIALIZED)
    async def initialized(ls: RegcheckServer, params: types.InitializedParams) -> None:
        ls.regcheck_workspace()  # discover and load settings now, not on the first keystroke
        watch = ls.client_capabilities.workspace and ls.client_capabilities.workspace.did_change_watched_files
        if watch and watch.dynamic_registration:
            watchers = [
                types.FileSystemWatcher(glob_pattern=g) for g in ("**/*.py", *(f"**/{name}" for name in CONFIG_NAMES))
            ]
            options = types.DidChangeWatchedFilesRegistrationOptions(watchers=watchers)
            registration = types.Registration(
                id="regcheck-files", method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES, register_options=options
            )
            try:
                await ls.client_register_capability_async(types.RegistrationParams(registrations=[registration]))
            except Exception:  # the client said no: saves still re-lint
                log.info("client refused file watchers")

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: RegcheckServer, params: types.DidOpenTextDocumentParams) -> None:
        ls.cancel(params.text_document.uri)
        ls.lint_and_publish(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: RegcheckServer, params: types.DidChangeTextDocumentParams) -> None:
        if _python_path(params.text_document.uri) is not None:
            ls.schedule(params.text_document.uri, DEBOUNCE)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: RegcheckServer, params: types.DidSaveTextDocumentParams) -> None:
        uri = params.text_document.uri
        if _config_path(uri) is not None:
            ls.regcheck_workspace().reload()
            ls._report_config_error()
            ls.relint_all()
            return
        path = _python_path(uri)
        if path is not None:
            ls.cancel(uri)
            ls.lint_and_publish(uri)
            ls.relint_dependents(path)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: RegcheckServer, params: types.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        path = _python_path(uri)
        ls.cancel(uri)
        ls._linted.pop(uri, None)
        if path is None:
            return
        ls.regcheck_workspace().close(path)
        ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))
        ls.relint_dependents(path)  # they now see the file on disk again

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def did_change_watched_files(ls: RegcheckServer, params: types.DidChangeWatchedFilesParams) -> None:
        workspace = ls.regcheck_workspace()
        touched: list[str] = []
        for change in params.changes:
            path = to_fs_path(change.uri) if change.uri.startswith("file:") else None
            if path is None:
                continue
            workspace.changed(path)
            if Path(path).name in CONFIG_NAMES:
                ls._report_config_error()
                ls.relint_all()
                return
            touched.append(path)
        for path in touched:
            ls.relint_dependents(path)

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    def hover(ls: RegcheckServer, params: types.HoverParams) -> types.Hover | None:
        return ls.hover(params)

    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix, FIX_ALL], resolve_provider=False),
    )
    def code_action(ls: RegcheckServer, params: types.CodeActionParams) -> list[types.CodeAction]:
        return ls.code_actions(params)

    return server


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(
        prog="regcheck server", description="Run the regcheck language server (LSP) over stdio."
    )
    parser.add_argument("--stdio", action="store_true", help="talk over stdin/stdout (the default and only transport)")
    parser.parse_args(argv or [])
    logging.basicConfig(level=logging.WARNING)  # pygls logs to stderr, never to the protocol's stdout
    create_server().start_io()
    return 0


__all__ = ["DEBOUNCE", "RULE_URL", "RegcheckServer", "create_server", "main"]
