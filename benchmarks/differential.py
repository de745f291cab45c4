"""Differential run: generated programs through the static path and the graph path, against known verdicts.

    python benchmarks/differential.py --count 2000 --graph 300

Each program (``tests/programs/generator.py``) carries the findings it must get by construction. Both
paths run on it; every disagreement is sorted by kind (static miss / false / wrong line, graph miss /
false / wrong line, static != graph, a path that could not run), by code, and by the dimension values of
the programs it happens in. A sample of each group is shrunk to the dimension values that cause it (the
graph groups with ``--shrink-graph``), and the smallest program showing each cause is written to the
results folder with what was expected and what each path found.

Results go to ``benchmarks/results/differential/<name>/`` (git-ignored): ``summary.md`` (the tables
printed here, the causes and the examples), ``programs.jsonl`` (one line per program) and ``examples/``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO))

from programs import oracle  # noqa: E402
from programs.generator import GRAPH_CODES, Program, build, generate  # noqa: E402
from programs.shrink import Shrunk, shrink  # noqa: E402
from programs.spec import Spec  # noqa: E402

KINDS = (
    "static miss",
    "static false",
    "static wrong line",
    "static wrong code",
    "graph miss",
    "graph false",
    "graph wrong line",
    "graph wrong code",
    "static != graph",
    "static error",
    "graph error",
)


@dataclass
class Record:
    program: Program
    static: dict[str, oracle.Judgement] = field(default_factory=dict)  # per --keras version told
    graph: oracle.Judgement | None = None
    disagreements: list[tuple[str, str, str]] = field(default_factory=list)  # (kind, code, detail)

    def kinds(self) -> set[tuple[str, str]]:
        return {(kind, code) for kind, code, _ in self.disagreements}


def classify(program: Program, static: dict[str, oracle.Judgement], graph: oracle.Judgement | None) -> Record:
    record = Record(program, static, graph)
    add = record.disagreements.append
    for version, judgement in static.items():
        tag = f" (--keras {version})" if len(static) > 1 else ""
        _path_kinds("static", judgement, tag, add)
    if graph is not None and graph.outcome.status != "skipped":
        _path_kinds("graph", graph, "", add)
        mine = static.get(program.keras)
        if mine is not None:
            for code, side, site in oracle.static_vs_graph(program, mine, graph):
                add(("static != graph", f"{code} {side}", str(site)))
    return record


def _path_kinds(path: str, j: oracle.Judgement, tag: str, add: Callable[[tuple[str, str, str]], None]) -> None:
    if not j.judged:
        first = (j.outcome.error.strip().splitlines() or [j.outcome.status])[-1][:200]
        add((f"{path} error", j.outcome.status, first + tag))
        return
    for e in j.misses:
        add((f"{path} miss", e.code, e.describe() + tag))
    for f in j.false:
        add((f"{path} false", f.code, f.describe() + tag))
    for e, f in j.wrong_line:
        add((f"{path} wrong line", e.code, f"expected {e.describe()}, found at {f.site}{tag}"))
    for e, f in j.wrong_code:
        add((f"{path} wrong code", f"{e.code} as {f.code}", f"expected {e.describe()}, found {f.describe()}{tag}"))


# -- running -----------------------------------------------------------------------------------------------


class Runner:
    def __init__(self, args: argparse.Namespace, work: Path) -> None:
        self.args = args
        self.work = work
        self.counter = 0
        self.static_seconds = 0.0
        self.graph_seconds = 0.0

    def jobs(self, programs: Sequence[Program], versions: Callable[[Program], Iterable[str]]) -> list[oracle.Job]:
        jobs: list[oracle.Job] = []
        for program in programs:
            self.counter += 1
            folder = self.work / f"p{self.counter:06d}"
            oracle.write_program(program, folder)
            jobs.extend(oracle.Job(program, folder, v) for v in versions(program))
        return jobs

    def static(self, jobs: Sequence[oracle.Job]) -> list[oracle.Outcome]:
        start = time.perf_counter()
        if self.args.static_runner == "cli":
            out = oracle.static_cli(jobs, workers=self.args.jobs)
        else:
            out = oracle.static_api(jobs)
        self.static_seconds += time.perf_counter() - start
        return out

    def graph(self, jobs: Sequence[oracle.Job]) -> list[oracle.Outcome]:
        start = time.perf_counter()
        if self.args.graph_runner == "cli":
            out = oracle.graph_cli(jobs, workers=self.args.jobs)
        else:
            out = oracle.graph_batch(jobs, chunk=self.args.chunk)
        self.graph_seconds += time.perf_counter() - start
        return out

    def versions(self, program: Program) -> list[str]:
        return ["3", "2"] if self.args.both_keras else [program.keras]

    def run(self, programs: Sequence[Program], traced: Sequence[bool]) -> list[Record]:
        jobs = self.jobs(programs, self.versions)
        static_out = self.static(jobs)
        by_program: dict[int, dict[str, oracle.Judgement]] = defaultdict(dict)
        for job, outcome in zip(jobs, static_out):
            by_program[id(job.program)][job.keras] = oracle.judge("static", outcome, job.program.static[job.keras])
        folders = {id(job.program): job.folder for job in jobs}
        graph_jobs = [
            oracle.Job(p, folders[id(p)], p.keras) for p, want in zip(programs, traced) if want and p.traceable
        ]
        graph_out = dict(zip((id(j.program) for j in graph_jobs), self.graph(graph_jobs))) if graph_jobs else {}
        records = []
        for program, want in zip(programs, traced):
            graph = None
            if want:
                outcome = graph_out.get(id(program)) or oracle.Outcome("skipped", error="; ".join(program.notes))
                graph = oracle.judge("graph", outcome, program.graph, GRAPH_CODES)
            records.append(classify(program, by_program[id(program)], graph))
        return records


# -- shrinking ---------------------------------------------------------------------------------------------


def _diverse(records: list[Record], k: int) -> list[Record]:
    chosen: list[Record] = []
    seen: set[tuple[str, str]] = set()
    pool = sorted(records, key=lambda r: r.program.size)
    while pool and len(chosen) < k:
        best = max(pool, key=lambda r: len(set(r.program.spec.dims().items()) - seen))
        pool.remove(best)
        chosen.append(best)
        seen |= set(best.program.spec.dims().items())
    return chosen


def shrink_group(
    runner: Runner, kind: str, code: str, records: list[Record], k: int
) -> list[tuple[Shrunk, Record, Record]]:
    """Shrink up to ``k`` of the group's programs: (shrunk, the original record, the shrunk program's record)."""
    graph = kind.startswith("graph") or kind == "static != graph"

    def fails_records(specs: list[Spec]) -> list[Record | None]:
        programs = [build(s) for s in specs]
        out = runner.run(programs, [graph] * len(programs))
        return [r if (kind, code) in r.kinds() else None for r in out]

    results = []
    for record in _diverse(records, k):
        last: dict[Spec, Record] = {}

        def fails(specs: list[Spec], last: dict[Spec, Record] = last) -> list[bool]:
            out = fails_records(specs)
            for spec, r in zip(specs, out):
                if r is not None:
                    last[spec] = r
            return [r is not None for r in out]

        shrunk = shrink(record.program.spec, fails, rounds=runner.args.shrink_rounds, thorough=not graph)
        final = last.get(shrunk.spec) or record
        results.append((shrunk, record, final))
    return results


# -- reporting ---------------------------------------------------------------------------------------------


def dimension_table(records: list[Record]) -> list[tuple[str, str, int, int, int, int]]:
    """(dimension, value, programs, static agree, traced, graph agree)."""
    rows: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for r in records:
        static_ok = all(j.agrees for j in r.static.values())
        traced = r.graph is not None and r.graph.judged
        for dim, value in r.program.spec.dims().items():
            row = rows[(dim, value)]
            row[0] += 1
            row[1] += static_ok
            row[2] += traced
            row[3] += traced and r.graph is not None and r.graph.agrees
    return [(d, v, row[0], row[1], row[2], row[3]) for (d, v), row in sorted(rows.items())]


def rates(records: list[Record], failing: set[int]) -> list[tuple[str, str, int, int]]:
    """Per dimension value: (dim, value, failing, programs), highest rate first."""
    counts: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for r in records:
        for item in r.program.spec.dims().items():
            counts[item][1] += 1
            counts[item][0] += id(r) in failing
    rows = [(d, v, f, n) for (d, v), (f, n) in counts.items() if f]
    return sorted(rows, key=lambda row: (-row[2] / row[3], -row[2]))


def population(kind: str, code: str, records: list[Record]) -> list[Record]:
    """The programs a group's rate is taken over: for a miss, those that expect the code on that path."""
    if kind.endswith("miss") or kind.endswith("wrong line") or kind.endswith("wrong code"):
        path = kind.split()[0]
        code = code.split()[0]
        out = []
        for r in records:
            wants = (
                [e for j in r.static.values() for e in j.expected]
                if path == "static"
                else (list(r.graph.expected) if r.graph is not None else [])
            )
            if any(e.code == code and not e.optional for e in wants):
                out.append(r)
        return out
    if kind.startswith("graph") or kind == "static != graph":
        return [r for r in records if r.graph is not None and r.graph.outcome.status != "skipped"]
    return records


def found_text(record: Record) -> str:
    lines = []
    for version, j in record.static.items():
        lines.append(f"static, --keras {version}: {j.outcome.status}")
        lines += [f"  {f.describe()}" for f in j.outcome.found] or ["  (no finding)"]
        if j.outcome.error:
            lines.append(oracle.indent(j.outcome.error.strip()[-1500:]))
    if record.graph is not None:
        g = record.graph
        lines.append(f"graph (keras {record.program.keras}): {g.outcome.status}")
        lines += [f"  {f.describe()}" for f in g.outcome.found] or ["  (no finding)"]
        if g.outcome.error:
            lines.append(oracle.indent(g.outcome.error.strip()[-1500:]))
    lines.append("disagreements:")
    lines += [f"  {k} {c}: {d}" for k, c, d in record.disagreements] or ["  (none)"]
    return "\n".join(lines) + "\n"


def slug(text: str) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in text).strip("-").lower()


def write_example(folder: Path, record: Record, cause: str) -> None:
    if folder.exists():
        shutil.rmtree(folder)
    oracle.write_program(record.program, folder)
    (folder / "FOUND.txt").write_text(found_text(record))
    (folder / "CAUSE.txt").write_text(cause + "\n")


def record_json(r: Record) -> dict[str, Any]:
    def found(j: oracle.Judgement) -> dict[str, Any]:
        return {
            "status": j.outcome.status,
            "found": [[f.code, str(f.site)] for f in j.outcome.found],
            "error": j.outcome.error[-500:],
        }

    return {
        "seed": r.program.seed,
        "keras": r.program.keras,
        "dims": r.program.spec.dims(),
        "target": r.program.spec.target,
        "expected_static": {v: [e.describe() for e in es] for v, es in r.program.static.items()},
        "expected_graph": [e.describe() for e in r.program.graph],
        "static": {v: found(j) for v, j in r.static.items()},
        "graph": found(r.graph) if r.graph is not None else None,
        "disagreements": r.disagreements,
    }


def seeds(args: argparse.Namespace) -> list[int]:
    if not args.seeds:
        return list(range(args.seed, args.seed + args.count))
    text = Path(args.seeds[1:]).read_text() if args.seeds.startswith("@") else args.seeds.replace(",", " ")
    return [int(word) for word in text.split()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=2000, help="programs to generate (default 2000)")
    parser.add_argument("--seed", type=int, default=0, help="first seed (programs are seeds SEED..SEED+COUNT-1)")
    parser.add_argument("--graph", type=int, default=300, help="how many of them also go through the graph path")
    parser.add_argument("--graph-runner", choices=("batch", "cli"), default="batch")
    parser.add_argument("--static-runner", choices=("api", "cli"), default="api")
    parser.add_argument("--both-keras", action="store_true", help="run the static path with --keras 3 and 2")
    parser.add_argument("--chunk", type=int, default=16, help="programs per graph batch process")
    parser.add_argument("-j", "--jobs", type=int, default=1, help="parallel processes for the cli runners")
    parser.add_argument("--shrink", type=int, default=4, help="programs shrunk per static group (0: none)")
    parser.add_argument("--shrink-graph", type=int, default=0, help="programs shrunk per graph group")
    parser.add_argument("--shrink-rounds", type=int, default=6)
    parser.add_argument(
        "--shrink-kinds", default="", help="shrink only these kinds (comma-separated prefixes: 'graph,static miss')"
    )
    parser.add_argument(
        "--seeds",
        default="",
        help="run these seeds instead (comma-separated, or @FILE: one a line; --graph counts them)",
    )
    parser.add_argument("--name", default=None, help="results folder name (default: a timestamp)")
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "differential")
    args = parser.parse_args(argv)

    name = args.name or time.strftime("%Y%m%d-%H%M%S")
    out = args.out / name
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="regcheck-differential-") as tmp:
        runner = Runner(args, Path(tmp))
        programs = [generate(seed) for seed in seeds(args)]
        traced = [i < args.graph for i in range(len(programs))]
        records: list[Record] = []
        step = 200
        for i in range(0, len(programs), step):
            records += runner.run(programs[i : i + step], traced[i : i + step])
            print(f"  {len(records)}/{len(programs)} programs", file=sys.stderr, flush=True)
        run_seconds = time.perf_counter() - started

        groups: dict[tuple[str, str], list[Record]] = defaultdict(list)
        for r in records:
            for key in r.kinds():
                groups[key].append(r)
        shrunk: dict[tuple[str, str], list[tuple[Shrunk, Record, Record]]] = {}
        for key, members in sorted(groups.items()):
            kind, code = key
            k = args.shrink_graph if (kind.startswith("graph") or kind == "static != graph") else args.shrink
            wanted = [w.strip() for w in args.shrink_kinds.split(",") if w.strip()]
            if kind.endswith("error") or k <= 0 or (wanted and not any(kind.startswith(w) for w in wanted)):
                continue
            print(f"  shrinking {kind} {code} ({min(k, len(members))} of {len(members)})", file=sys.stderr, flush=True)
            shrunk[key] = shrink_group(runner, kind, code, members, k)

    text = report(args, records, groups, shrunk, runner, run_seconds, out)
    (out / "summary.md").write_text(text)
    with (out / "programs.jsonl").open("w") as handle:
        for r in records:
            handle.write(json.dumps(record_json(r)) + "\n")
    print(text)
    print(f"results: {out}")
    return 0


def _seed_text(records: list[Record]) -> str:
    numbers = [r.program.seed for r in records if r.program.seed is not None]
    if numbers and numbers == list(range(numbers[0], numbers[0] + len(numbers))):
        return f"{numbers[0]}..{numbers[-1]}"
    return ", ".join(map(str, numbers[:20])) + (" ..." if len(numbers) > 20 else "")


def report(
    args: argparse.Namespace,
    records: list[Record],
    groups: dict[tuple[str, str], list[Record]],
    shrunk: dict[tuple[str, str], list[tuple[Shrunk, Record, Record]]],
    runner: Runner,
    seconds: float,
    out: Path,
) -> str:
    traced = [r for r in records if r.graph is not None and r.graph.outcome.status != "skipped"]
    judged = [r for r in traced if r.graph is not None and r.graph.judged]
    lines = [
        "# Differential run",
        "",
        f"`python benchmarks/differential.py {' '.join(sys.argv[1:])}`".replace("``", "(defaults)"),
        "",
        f"- programs: {len(records)} (seeds {_seed_text(records)}); static path: all "
        f"({args.static_runner}{', --keras 3 and 2' if args.both_keras else ', each on its own Keras'}); "
        f"graph path: {len(traced)} ({args.graph_runner}), {len(judged)} traced to a training step",
        f"- time: {seconds:.0f} s for the run (static {runner.static_seconds:.0f} s, graph "
        f"{runner.graph_seconds:.0f} s), shrinking after",
        f"- static path agrees with the expected verdicts on "
        f"{sum(all(j.agrees for j in r.static.values()) for r in records)}/{len(records)} programs; graph path on "
        f"{sum(r.graph is not None and r.graph.agrees for r in judged)}/{len(judged)} traced",
        "",
        "## Disagreements by kind",
        "",
        "| kind | programs | findings |",
        "| --- | ---: | ---: |",
    ]
    for kind in KINDS:
        programs = {id(r) for (k, _), rs in groups.items() if k == kind for r in rs}
        findings = sum(1 for r in records for k, _, _ in r.disagreements if k == kind)
        lines.append(f"| {kind} | {len(programs)} | {findings} |")
    lines += [
        "",
        "## By kind and code",
        "",
        "| kind | code | programs | of | rate |",
        "| --- | --- | ---: | ---: | ---: |",
    ]
    for (kind, code), members in sorted(groups.items()):
        pop = population(kind, code, records)
        n = len(pop) or len(records)
        lines.append(f"| {kind} | {code} | {len(members)} | {n} | {len(members) / n:.0%} |")
    lines += ["", "## Per mistake", "", "| family | mistake | programs | static agrees | traced | graph agrees |"]
    lines.append("| --- | --- | ---: | ---: | ---: | ---: |")
    per: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for r in records:
        row = per[(r.program.spec.family, r.program.spec.mistake)]
        row[0] += 1
        row[1] += all(j.agrees for j in r.static.values())
        if r.graph is not None and r.graph.judged:
            row[2] += 1
            row[3] += r.graph.agrees
    for (family, mistake), (n, s, t, g) in sorted(per.items()):
        lines.append(f"| {family} | {mistake} | {n} | {s} | {t} | {g} |")
    lines += [
        "",
        "## Per dimension value",
        "",
        "| dimension | value | programs | static agrees | traced | graph agrees |",
    ]
    lines.append("| --- | --- | ---: | ---: | ---: | ---: |")
    for dim, value, n, s, t, g in dimension_table(records):
        lines.append(f"| {dim} | {value} | {n} | {s} ({s / n:.0%}) | {t} | {g}{f' ({g / t:.0%})' if t else ''} |")
    lines += ["", "## Causes", ""]
    examples = out / "examples"
    if examples.exists():
        shutil.rmtree(examples)
    for (kind, code), members in sorted(groups.items()):
        pop = population(kind, code, records)
        failing = {id(r) for r in members}
        lines.append(f"### {kind} {code}: {len(members)} of {len(pop)} programs")
        lines.append("")
        top = [(d, v, f, n) for d, v, f, n in rates(pop, failing) if n >= 3][:6]
        if top:
            lines.append(
                "Highest rates: " + ", ".join(f"{d}={v} {f}/{n}" for d, v, f, n in top) + " (programs with the value)."
            )
            lines.append("")
        details = Counter(d for r in members for k, c, d in r.disagreements if (k, c) == (kind, code))
        lines.append("Most common: " + "; ".join(f"{d} (x{n})" for d, n in details.most_common(2)))
        lines.append("")
        by_cause: dict[str, list[tuple[Shrunk, Record, Record]]] = defaultdict(list)
        for item in shrunk.get((kind, code), []):
            by_cause[item[0].signature()].append(item)
        if by_cause:
            lines.append("Shrunk (the dimension values without which it does not happen):")
            lines.append("")
        for n, (cause, items) in enumerate(sorted(by_cause.items(), key=lambda kv: -len(kv[1]))):
            smallest = min(items, key=lambda item: item[2].program.size)
            folder = examples / slug(kind) / f"{slug(code)}-{n + 1}"
            write_example(folder, smallest[2], f"{kind} {code}: {cause}")
            lines.append(
                f"- `{cause}` ({len(items)} of {len(items and shrunk[(kind, code)])} shrunk; "
                f"family={smallest[0].spec.family}, mistake={smallest[0].spec.mistake}, keras={smallest[0].spec.keras})"
                f": `{folder.relative_to(out)}`"
            )
        if not by_cause:
            smallest_record = min(members, key=lambda r: r.program.size)
            folder = examples / slug(kind) / f"{slug(code)}-smallest"
            write_example(folder, smallest_record, f"{kind} {code}: smallest program seen (not shrunk)")
            lines.append(f"- smallest program seen (not shrunk): `{folder.relative_to(out)}`")
        lines.append("")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
