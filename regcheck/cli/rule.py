"""`regcheck rule [CODE | --all]`: a one-line index of the rules, or a rule's page."""

from __future__ import annotations

import argparse
import json
import sys

from regcheck.cli.options import EXIT_ERROR, EXIT_OK
from regcheck.config.catalog import BY_NAME, RULES
from regcheck.report.rule_docs import rule_doc


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="regcheck rule", description="Print a rule's documentation; with no code, a one-line index of every rule."
    )
    parser.add_argument("code", nargs="?", help="a rule code (RC101) or name (unregularized-weight)")
    parser.add_argument("--all", action="store_true", help="print every rule's page")
    parser.add_argument("--output-format", choices=("text", "json"), default="text", help="text (default) or json")
    args = parser.parse_args(argv)
    if args.code and args.all:
        sys.stderr.write(f"regcheck: error: give a rule ({args.code}) or --all, not both\n")
        return EXIT_ERROR

    def as_json(code: str) -> dict[str, object]:
        info = RULES[code]
        return {
            "code": code,
            "name": info.name,
            "severity": str(info.severity),
            "fix": getattr(info, "fix_safety", None),
            "summary": info.summary,
            "explanation": rule_doc(code) or "",
        }

    def page(code: str) -> str:
        """The rule's page, with its severity and fix under the title (what --fail-on compares)."""
        info = RULES[code]
        text = rule_doc(code) or f"# {code}: {info.name}\n\n{info.summary}\n"
        if "**Severity:**" in text:
            return text
        title, _, rest = text.partition("\n")
        fix = getattr(info, "fix_safety", None) or "none"
        return f"{title}\n\n**Severity:** {info.severity} · **Fix:** {fix}\n{rest}"

    if args.code:
        info = RULES.get(args.code.upper()) or BY_NAME.get(args.code)
        if info is None:
            sys.stderr.write(f"regcheck: error: unknown rule {args.code!r}\n")
            return EXIT_ERROR
        if args.output_format == "json":
            sys.stdout.write(json.dumps(as_json(info.code), indent=2) + "\n")
        else:
            sys.stdout.write(page(info.code))
        return EXIT_OK
    if args.output_format == "json":  # with or without --all: every rule
        sys.stdout.write(json.dumps([as_json(code) for code in RULES], indent=2) + "\n")
        return EXIT_OK
    if args.all:
        for code in RULES:
            sys.stdout.write(page(code))
            sys.stdout.write("\n")
        return EXIT_OK
    width = max(len(info.name) for info in RULES.values())
    for code, info in RULES.items():  # the index: one line per rule
        fix = getattr(info, "fix_safety", None) or "-"
        sys.stdout.write(f"{code}  {info.name:<{width}}  {info.severity!s:<7}  fix: {fix:<6}  {info.summary}\n")
    return EXIT_OK
