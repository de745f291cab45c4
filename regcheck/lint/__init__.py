"""Lint: one source unit, from bytes to findings.

prefilter (``prefilter``: is the file worth parsing?) -> parse (libcst) -> facts
(``regcheck.facts``) -> checks (``regcheck.checks``) -> suppressions
(``suppressions``: ``# noqa``). ``module.lint_text`` lints one module's text;
``unit.lint_unit`` lints any source unit (a module, a notebook, stdin) through it.
Every path that lints (the command line, the API, the language server, a fix
round) goes through ``lint_unit`` or ``lint_text``.
"""
