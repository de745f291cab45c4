"""regcheck in editors: the language server (``regcheck server``) and the warm re-lint path.

- ``regcheck.lsp.workspace.Workspace``: one long-lived project (settings, a warm
  ``ProjectIndex``, libcst loaded) that re-lints one changed file from its text, through
  the one lint path (regcheck.lint.unit) and the one fix path (regcheck.fixing).
  Needs nothing beyond regcheck itself.
- ``regcheck.lsp.server``: the LSP over stdio, on pygls (``pip install 'regcheck[lsp]'``);
  ``regcheck server`` (regcheck.cli.server) starts it.
- ``regcheck.lsp.edits``: fixed text and ``# noqa`` comments as text edits.
"""
