"""Sources: files and notebooks on disk become source units.

- ``discover``: which files a run checks (``.gitignore``, ``exclude``, ``extend-exclude``);
- ``files``: reading one file exactly as it is (PEP 263, BOM, line endings), and why it cannot be read;
- ``text``: positions in a source text (line endings, edits applied, CPython's syntax verdict);
- ``notebooks``: a notebook's code cells as one module, positions mapped back to cells;
- ``units``: a :class:`~regcheck.sources.units.SourceUnit`, one file, notebook or stdin to check.
"""
