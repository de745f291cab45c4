"""RC001 unreadable-file: the file cannot be read or decoded.

The pipeline reports it while reading files (binary content, undecodable bytes,
a broken symlink, no permission, a notebook that is not valid JSON or not
nbformat 4); this module is the rule's home. No source text can show it, so
its page has no Python examples to run.
"""

from __future__ import annotations

from regcheck.checks.base import Rule


class UnreadableFile(Rule):
    code = "RC001"
    name = "unreadable-file"
    severity = "error"
    summary = "the file cannot be read or decoded"
    page_examples = False
