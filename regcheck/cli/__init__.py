"""The command line: one module per command, the same report options for each (regcheck.cli.options).

    regcheck [check] [PATH ...]     regcheck.cli.check
    regcheck rule [CODE | --all]    regcheck.cli.rule
    regcheck trace SCRIPT | mod:fn  regcheck.cli.trace
    regcheck coverage [PATH ...]    regcheck.cli.coverage
    regcheck server                 regcheck.cli.server
    regcheck clean                  regcheck.cli.clean

Exit codes: 0 nothing at or above fail-on; 1 findings remain; 2 usage, config or
internal error (reported, after every other file was checked). A file that cannot
be read is a finding (RC001), not an exit 2.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from regcheck.cli.options import EXIT_ERROR, EXIT_INTERRUPTED

COMMANDS = ("check", "rule", "trace", "coverage", "server", "clean")


def command(name: str) -> Callable[[list[str]], int]:
    """A command's ``main``, its module imported only when it runs (`regcheck rule` never loads the linter)."""
    if name == "rule":
        from regcheck.cli import rule

        return rule.main
    if name == "trace":
        from regcheck.cli import trace

        return trace.main
    if name == "coverage":
        from regcheck.cli import coverage

        return coverage.main
    if name == "server":
        from regcheck.cli import server

        return server.main
    if name == "clean":
        from regcheck.cli import clean

        return clean.main
    from regcheck.cli import check

    return check.main


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    name = args[0] if args and args[0] in COMMANDS else "check"
    try:
        return command(name)(args[1:] if args and args[0] == name else args)
    except KeyboardInterrupt:  # Ctrl-C: the workers are stopped on the way out (regcheck.run.pool)
        sys.stderr.write("regcheck: interrupted\n")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return EXIT_ERROR
    except Exception as exc:  # a bug of ours: one line for the user, never a traceback
        sys.stderr.write(f"regcheck: internal error: {type(exc).__name__}: {exc}\n")
        return EXIT_ERROR
