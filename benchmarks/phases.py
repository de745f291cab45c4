"""Where linting one file costs, phase by phase, in one process (run by hand; ``bench.py --only size``
runs it on every generated file with ``--phases``).

    python benchmarks/phases.py FILE [FILE ...]        # a table per file
    python benchmarks/phases.py --json FILE            # one JSON object per file

Phases, in the order a default run meets them (``regcheck.lint.module.lint_text``): read and
decode, the bytes prefilter, (a notebook's cells into one module), the libcst parse, the facts
collectors' walk, the program model (``regcheck.facts.program.program``), the derived facts and
checks (without what is timed apart: the program model, positions, parents, source order and name
resolution, each computed on the first question), the fixes' applicability check, suppressions,
and the JSON report. CPU seconds (``time.process_time``) and the peak RSS after each phase.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def phases(path: str) -> dict[str, Any]:
    """CPU seconds per phase of linting ``path`` with the default selection, its findings, and the
    peak RSS (MB) after each phase."""
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    import io

    import regcheck.facts.program as program_module
    from regcheck.checks import checks_for
    from regcheck.config.settings import DEFAULT_SELECT
    from regcheck.facts import build_facts
    from regcheck.facts.module import LazyMapping
    from regcheck.lint.module import only_applicable
    from regcheck.lint.parse import parse_module
    from regcheck.lint.prefilter import names_tf, wants_parse
    from regcheck.lint.suppressions import parse_suppressions, unused_noqa
    from regcheck.report import write_report
    from regcheck.sources.files import read_source
    from regcheck.sources.notebooks import document_of, load_notebook, map_finding

    codes = DEFAULT_SELECT
    checks = list(checks_for(codes))
    wants_parse(b"keras", codes)  # the checks' trigger words, outside the timing
    clock = time.process_time
    cpu: dict[str, float] = {}
    rss: dict[str, float] = {}

    def add(key: str, seconds: float) -> None:
        cpu[key] = cpu.get(key, 0.0) + seconds
        rss[key] = _rss_mb()

    def timed(key: str, compute: Callable[..., Any]) -> Callable[..., Any]:
        def run(*args: Any, **kwargs: Any) -> Any:
            start = clock()
            try:
                return compute(*args, **kwargs)
            finally:
                add(key, clock() - start)

        return run

    total = clock()
    start = clock()
    source = read_source(path)
    add("read", clock() - start)
    start = clock()
    data = source.raw or source.text.encode("utf-8", "surrogatepass")
    passes = names_tf(data) and wants_parse(data, codes)
    add("prefilter", clock() - start)
    document = None
    text = source.text
    if path.endswith(".ipynb"):
        start = clock()
        notebook, cells = load_notebook(source.text)
        document = document_of(path, notebook, cells, codes)
        text = document.text
        add("notebook cells", clock() - start)
    start = clock()
    module = parse_module(text)
    add("libcst parse", clock() - start)
    start = clock()
    facts = build_facts(path, text, module, None)
    add("facts collectors", clock() - start)
    for name in ("positions", "parents", "order"):
        lazy = getattr(facts, name)
        assert isinstance(lazy, LazyMapping)
        if lazy._compute is not None:
            lazy._compute = timed(name, lazy._compute)
    if facts._names._compute is not None:
        facts._names._compute = timed("name resolution", facts._names._compute)
    original = program_module._run
    program_module._run = timed("program model", original)
    findings = []
    per_check: dict[str, float] = {}
    errors: list[str] = []
    try:
        for check in checks:
            start = clock()
            try:
                findings.extend(check().run(facts))
            except Exception as exc:  # counted, not fatal: the other checks still run
                errors.append(f"{check.code}: {type(exc).__name__}: {exc}")
            per_check[check.code] = clock() - start
    finally:
        program_module._run = original
    apart = ("program model", "positions", "parents", "order", "name resolution")
    add("derived facts + checks", sum(per_check.values()) - sum(cpu.get(k, 0.0) for k in apart))
    start = clock()
    findings = only_applicable(text, findings)
    add("fix applicability", clock() - start)
    start = clock()
    stale = unused_noqa(path, text, findings, codes)
    findings = parse_suppressions(text).filter(findings) + stale
    add("suppressions", clock() - start)
    if document is not None:
        findings = [map_finding(document, finding) for finding in findings]
    start = clock()
    write_report(findings, "json", io.StringIO(), summary={})
    add("json report", clock() - start)
    order = [
        "read",
        "prefilter",
        "notebook cells",
        "libcst parse",
        "facts collectors",
        "name resolution",
        "parents",
        "order",
        "program model",
        "derived facts + checks",
        "positions",
        "fix applicability",
        "suppressions",
        "json report",
    ]
    return {
        "path": path,
        "passes_prefilter": passes,
        "cpu": {key: round(cpu[key], 4) for key in order if key in cpu},
        "rss_mb_after": {key: round(rss[key], 1) for key in order if key in rss},
        "total_cpu": round(clock() - total, 4),
        "checks": {code: round(seconds, 4) for code, seconds in sorted(per_check.items(), key=lambda kv: -kv[1])[:5]},
        "findings": len(findings),
        "errors": errors,
    }


def table(result: dict[str, Any]) -> str:
    lines = [f"{result['path']}: {result['findings']} findings, {result['total_cpu']:.2f} CPU s in all"]
    lines += ["| phase | CPU s | peak RSS MB after |", "| --- | ---: | ---: |"]
    for key, seconds in result["cpu"].items():
        lines.append(f"| {key} | {seconds:.3f} | {result['rss_mb_after'][key]:.0f} |")
    lines.append(
        "slowest checks (with what they computed first): "
        + ", ".join(f"{c} {s:.2f}" for c, s in result["checks"].items())
    )
    if result["errors"]:
        lines.append("errors: " + "; ".join(result["errors"]))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+")
    parser.add_argument("--json", action="store_true", help="one JSON object a line")
    args = parser.parse_args(argv)
    for path in args.files:
        result = phases(path)
        print(json.dumps(result) if args.json else table(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
