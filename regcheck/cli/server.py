"""`regcheck server`: the language server (LSP over stdio); exit 2 with one line when pygls is missing."""

from __future__ import annotations

import sys

from regcheck.cli.options import EXIT_ERROR

INSTALL_HINT = "regcheck server needs pygls and lsprotocol: pip install 'regcheck[lsp]'"


def main(argv: list[str]) -> int:
    try:
        import lsprotocol.types  # noqa: F401
        import pygls.lsp.server  # noqa: F401
    except ImportError:
        sys.stderr.write(f"regcheck: error: {INSTALL_HINT}\n")
        return EXIT_ERROR
    from regcheck.lsp.server import main as serve

    return serve(argv)
