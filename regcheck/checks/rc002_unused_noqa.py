"""RC002 unused-noqa: a suppression comment names an unknown code or suppresses nothing.

The suppression step reports it (``regcheck.lint.suppressions.unused_noqa``), since only
that step knows which findings a comment silenced; this module is the rule's home.
"""

from __future__ import annotations

from regcheck.checks.base import Rule


class UnusedNoqa(Rule):
    code = "RC002"
    name = "unused-noqa"
    severity = "warning"
    summary = "a noqa comment names an unknown code or suppresses nothing"
    fix_safety = "safe"
