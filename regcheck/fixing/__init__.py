"""Fixing: the one fix path, for the command line, the API and the language server.

- ``apply``: a fix's edits and imports applied to a text, rounds of fixes re-linted until nothing
  changes, never a text that does not parse;
- ``unit``: a source unit seen as one module (a notebook's cells), fixed, and its fixed text put back
  (cells into the notebook's JSON);
- ``write``: the atomic write that replaces a file (encoding, BOM, line endings and permissions kept).
"""
