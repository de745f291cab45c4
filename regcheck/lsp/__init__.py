"""regcheck in editors: the language server (``regcheck server``) and the warm re-lint path.

- ``regcheck.lsp.workspace.Workspace``: one long-lived project (settings, a warm
  ``ProjectIndex``, libcst loaded) that re-lints one changed file from its text.
  Needs nothing beyond regcheck itself.
- ``regcheck.lsp.server``: the LSP over stdio, on pygls (``pip install 'regcheck[lsp]'``).
- ``regcheck.lsp.edits``: fixes and ``# noqa`` comments as text edits.
"""

from __future__ import annotations

import sys

INSTALL_HINT = "regcheck server needs pygls and lsprotocol: pip install 'regcheck[lsp]'"


def serve(argv: list[str]) -> int:
    """``regcheck server``: run the language server; exit 2 with one line when pygls is missing."""
    try:
        import lsprotocol.types  # noqa: F401
        import pygls.lsp.server  # noqa: F401
    except ImportError:
        sys.stderr.write(f"regcheck: error: {INSTALL_HINT}\n")
        return 2
    from regcheck.lsp.server import main

    return main(argv)
