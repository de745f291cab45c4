"""Mutation benchmark: inject one known mistake at a time into real code, and count what regcheck finds.

    python benchmarks/mutations.py /work/corpus                          # every kind, every repository
    python benchmarks/mutations.py /work/corpus --kinds drop-update-ops,list-added --repos tpu,docs
    python benchmarks/mutations.py /work/corpus --list                   # the sites only, no regcheck run
    python benchmarks/mutations.py /work/corpus --capped-only            # at most --cap sites per repo and kind

CORPUS_DIR holds one ``owner__name/`` folder per repository (``../shared/corpus/extract``). Each
repository is copied to a temporary folder; sites are found there with libcst in code the
unmutated copy reports nothing about; mutations are written into the copy in batches and regcheck
runs on the whole copy (``check . --select ALL --output-format json --no-cache --exit-zero``), so
that imports between its modules are followed as on the real project. The corpus is never written.

Results (JSON with every site's outcome, and a markdown summary) go to ``benchmarks/results/mutations/``
(git-ignored); the summary table is printed. ``benchmarks/README.md`` (Mutations) documents the
kinds, where a finding must be to count, how batches are kept independent, and the latest figures.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import libcst as cst  # noqa: E402
from mutants import causes, syntax  # noqa: E402
from mutants.imports import Project  # noqa: E402
from mutants.kinds import EXPECTED, FINDERS, KINDS, TRIGGER, Context, Site, clean, site_from_record  # noqa: E402
from mutants.scoring import Finding, Mutant, Outcome, by_path, changed, judge, tally  # noqa: E402
from mutants.source import LineMap, Source, load, same_shape  # noqa: E402

RESULTS = HERE / "results" / "mutations"
REGCHECK_ROOT = HERE.parent
SOURCE_SUFFIXES = (".py", ".ipynb")


# --- running regcheck -----------------------------------------------------------------


@dataclass
class Runner:
    python: str
    regcheck_root: Path
    jobs: int
    runs: int = 0
    seconds: float = 0.0

    def _command(self, *extra: str, paths: Iterable[str] = (".",)) -> list[str]:
        command = [self.python, "-m", "regcheck", "check", *extra, "--", *paths]
        return [*command[:4], "-j", str(self.jobs), *command[4:]] if self.jobs else command

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["PYTHONPATH"] = str(self.regcheck_root)
        return env

    def files(self, folder: Path) -> list[str]:
        """The files regcheck would check in the folder (``.gitignore`` and excludes applied)."""
        done = subprocess.run(
            self._command("--show-files"), cwd=folder, env=self._env(), capture_output=True, text=True
        )
        found = []
        for line in done.stdout.splitlines():
            path = Path(line.strip())
            if path.suffix in SOURCE_SUFFIXES:
                try:
                    found.append((folder / path).resolve().relative_to(folder.resolve()).as_posix())
                except ValueError:
                    continue
        return found

    def knows(self, code: str) -> bool:
        """Whether this regcheck has the rule (``regcheck rule CODE`` succeeds)."""
        done = subprocess.run(
            [self.python, "-m", "regcheck", "rule", code], env=self._env(), capture_output=True, text=True
        )
        return done.returncode == 0

    def check(self, folder: Path, paths: Iterable[str] = (".",)) -> list[Finding]:
        """regcheck's findings on the folder (or on ``paths`` in it, the project being those files)."""
        command = self._command("--select", "ALL", "--output-format", "json", "--no-cache", "--exit-zero", paths=paths)
        started = time.monotonic()
        done = subprocess.run(command, cwd=folder, env=self._env(), capture_output=True, text=True)
        self.seconds += time.monotonic() - started
        self.runs += 1
        if not done.stdout.strip():
            raise RuntimeError(f"regcheck failed in {folder} ({done.returncode}): {done.stderr.strip()[-2000:]}")
        findings: list[Finding] = json.loads(done.stdout)["findings"]
        for finding in findings:
            finding["path"] = Path(finding["path"]).as_posix().removeprefix("./")
        return findings


# --- sites ----------------------------------------------------------------------------


@dataclass
class Repository:
    name: str  # owner__name
    copy: Path
    sources: dict[str, Source]
    project: Project
    baseline: dict[str, list[Finding]]
    trees: dict[str, syntax.Tree] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def prepare(name: str, corpus: Path, workdir: Path, runner: Runner) -> Repository:
    copy = workdir / name
    shutil.copytree(corpus / name, copy, symlinks=True, ignore=shutil.ignore_patterns(".git"))
    sources = {}
    for rel in runner.files(copy):
        source = load(copy / rel, rel)
        if source is not None:
            sources[rel] = source
    project = Project({rel: s.text for rel, s in sources.items()})
    return Repository(name, copy, sources, project, {})


def find_sites(repo: Repository, kinds: Iterable[str], runner: Runner) -> list[Site]:
    """The sites of the chosen kinds; then (only when there are some) the unmutated copy is checked,
    and the sites where it already reports an expected code are dropped."""
    chosen = [FINDERS[k] for k in kinds]
    sites: list[Site] = []
    for rel, source in sorted(repo.sources.items()):
        if not TRIGGER.search(source.text):
            continue
        try:
            tree = syntax.Tree(source.text)
        except (cst.ParserSyntaxError, RecursionError):
            continue
        ctx = Context(repo.name, source, tree, repo.project)
        for finder in chosen:
            try:
                finder(ctx)
            except Exception as exc:  # a finder's bug must not stop the run: report it
                repo.problems.append(f"{rel}: {finder.__name__}: {type(exc).__name__}: {exc}")
        if ctx.found:
            repo.trees[rel] = tree
            sites += ctx.found
    if not sites:
        return []
    repo.baseline = by_path(runner.check(repo.copy))
    unique: dict[str, Site] = {}
    for site in sites:
        source = repo.sources[site.path]
        baseline: dict[str, set[int]] = {}
        for finding in repo.baseline.get(site.path, []):
            line = source.module_line(finding.get("cell"), finding["line"])
            if line is not None:
                baseline.setdefault(finding["code"], set()).add(line)
        if clean(site, baseline):
            unique.setdefault(site.id, site)
    return list(unique.values())


def capped(sites: list[Site], cap: int, seed: str) -> set[str]:
    """The ids of at most ``cap`` sites per repository and kind: one file after another (files in
    a seeded hash order, so one file does not fill the cap), each file's sites in the same order;
    stable when other sites come and go."""

    def rank(text: str) -> str:
        return hashlib.sha256(f"{seed}:{text}".encode()).hexdigest()

    chosen: set[str] = set()
    groups: dict[tuple[str, str], dict[str, list[Site]]] = {}
    for site in sites:
        groups.setdefault((site.repo, site.kind), {}).setdefault(site.path, []).append(site)
    for files in groups.values():
        queues = [sorted(files[path], key=lambda s: rank(s.id)) for path in sorted(files, key=rank)]
        picked: list[Site] = []
        while len(picked) < cap and any(queues):
            for queue in queues:
                if queue and len(picked) < cap:
                    picked.append(queue.pop(0))
        chosen.update(s.id for s in picked)
    return chosen


def render(repo: Repository, site: Site) -> Mutant | str:
    """The mutated file for a site, or why there is none."""
    source = repo.sources[site.path]
    tree = repo.trees[site.path]
    try:
        new_text = syntax.apply(tree.module, site.rewrites).code
    except Exception as exc:
        return f"rewrite failed: {type(exc).__name__}: {exc}"
    if new_text == source.text:
        return "rewrite changed nothing"
    try:
        data = source.render(new_text, site.line)
    except ValueError as exc:
        return str(exc)
    new = _reload(data, site.path, source)
    if new is None or not same_shape(source, new):
        return "mutated file does not parse"
    if new.text != new_text:
        return "notebook cell did not round-trip"
    return Mutant(site, source, new, data, LineMap.between(source.text, new.text))


def _reload(data: bytes, rel: str, like: Source) -> Source | None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / Path(rel).name
        path.write_bytes(data)
        return load(path, rel)


# --- batches --------------------------------------------------------------------------


def plan(mutants: list[Mutant], project: Project, solo: bool, strict: bool = False) -> list[list[Mutant]]:
    """Batches of mutations that cannot see each other: at most one per file, and no file of one
    batch imports (transitively) or is imported by another's (``Project.related``; ``strict``: no
    import path at all between them, ``Project.component``)."""
    related = project.component if strict else project.related
    batches: list[list[Mutant]] = []
    covered: list[set[str]] = []
    for mutant in mutants:
        path = mutant.site.path
        for batch, seen in zip(batches, covered):
            if not solo and path not in seen:
                batch.append(mutant)
                seen.update(related(path))
                break
        else:
            batches.append([mutant])
            covered.append(set(related(path)))
    return batches


def narrowed(repo: Repository, batch: list[Mutant]) -> list[str]:
    """``--narrow``: the files a batch's findings can depend on, the related files of each mutated
    file and everything they import."""
    keep: set[str] = set()
    for mutant in batch:
        for path in repo.project.related(mutant.site.path):
            keep |= {path} | repo.project.imports_closure(path)
    return sorted(keep & set(repo.sources))


def run_batch(
    repo: Repository, batch: list[Mutant], runner: Runner, narrow: bool = False
) -> tuple[list[Outcome], list[Mutant], list[str]]:
    """Write the batch's mutations, run regcheck, restore the files. Returns the outcomes, the
    mutations to run again alone (another file's findings changed and more than one of them could
    be the cause), and the files whose findings changed with none of them related."""
    originals = {}
    for mutant in batch:
        target = repo.copy / mutant.site.path
        originals[target] = target.read_bytes()
        target.write_bytes(mutant.data)
    try:
        if narrow:
            paths = narrowed(repo, batch)
            after = by_path(runner.check(repo.copy, paths))
            after = {path: after.get(path, []) for path in paths}
            before = {path: repo.baseline.get(path, []) for path in paths}
        else:
            after = by_path(runner.check(repo.copy))
            before = repo.baseline
    finally:
        for target, data in originals.items():
            target.write_bytes(data)
    mutated = {m.site.path for m in batch}
    attributed: dict[str, list[str]] = {m.site.id: [] for m in batch}
    again: list[Mutant] = []
    unexplained: list[str] = []
    for path in sorted(set(after) | set(before)):
        if path in mutated or not changed(before.get(path, []), after.get(path, [])):
            continue
        owners = [m for m in batch if path in repo.project.related(m.site.path)]
        if len(owners) == 1:
            attributed[owners[0].site.id].append(path)
        elif owners:
            again += [m for m in owners if m not in again]
        else:
            unexplained.append(path)
    outcomes = [
        judge(m, repo.baseline, after, attributed[m.site.id]) for m in batch if m not in again or len(batch) == 1
    ]
    return outcomes, ([] if len(batch) == 1 else again), unexplained


# --- report ---------------------------------------------------------------------------


def summary(
    outcomes: list[Outcome], capped_ids: set[str], skipped: list[dict[str, Any]], unknown: frozenset[str] = frozenset()
) -> dict[str, Any]:
    capped_outcomes = [o for o in outcomes if o.site.id in capped_ids]
    kinds = tally(outcomes, lambda o: o.site.kind)
    kinds_capped = tally(capped_outcomes, lambda o: o.site.kind)
    per_kind = {
        kind: {**kinds[kind].row(), "capped": kinds_capped[kind].row() if kind in kinds_capped else None}
        for kind in kinds
    }
    per_repo = {repo: t.row() for repo, t in tally(outcomes, lambda o: o.site.repo).items()}
    per_repo_kind = {key: t.row() for key, t in tally(outcomes, lambda o: f"{o.site.repo} {o.site.kind}").items()}
    miss_causes: dict[str, dict[str, Any]] = {}
    for outcome in outcomes:
        if outcome.status == "detected":
            continue
        cause = causes.classify(outcome, unknown)
        entry = miss_causes.setdefault(cause, {"count": 0, "kinds": {}, "sites": []})
        entry["count"] += 1
        entry["kinds"][outcome.site.kind] = entry["kinds"].get(outcome.site.kind, 0) + 1
        entry["sites"].append(outcome.site.id)
    side: dict[str, int] = {}
    for outcome in outcomes:
        for finding in outcome.side:
            key = f"{outcome.site.kind} -> {finding['code']} ({finding.get('severity')})"
            side[key] = side.get(key, 0) + 1
    code_match = {"as expected": 0, "other of the pair": 0}
    for outcome in outcomes:
        if outcome.status == "detected" and len(outcome.site.expected) > 1:
            first = outcome.site.expected[0]
            code_match["as expected" if any(f["code"] == first for f in outcome.reported) else "other of the pair"] += 1
    return {
        "kinds": per_kind,
        "total": tally(outcomes, lambda o: "all")["all"].row() if outcomes else None,
        "total_capped": tally(capped_outcomes, lambda o: "all")["all"].row() if capped_outcomes else None,
        "repos": per_repo,
        "repo_kinds": per_repo_kind,
        "miss_causes": dict(sorted(miss_causes.items(), key=lambda kv: -kv[1]["count"])),
        "side_findings": dict(sorted(side.items(), key=lambda kv: -kv[1])),
        "rc101_rc106": code_match,
        "skipped": len(skipped),
    }


def _fmt(row: dict[str, Any] | None) -> str:
    if not row:
        return "- | - | -"
    recall = "-" if row["recall"] is None else f"{row['recall']:.2f}"
    return f"{row['sites']} | {row['detected']} | {recall}"


def markdown(result: dict[str, Any]) -> str:
    s = result["summary"]
    out = [
        f"# Mutation benchmark, {result['started']}",
        "",
        f"regcheck {result['regcheck']}; command: `{result['command']}`; "
        f"{result['runs']} regcheck runs, {result['regcheck_seconds']:.0f} s in regcheck, {result['seconds']:.0f} s in all.",
        "",
        f"| kind | expected | sites | detected | elsewhere | missed | recall | capped (cap {result['cap']}): sites | detected | recall |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    expected = result["expected"]
    for kind in KINDS:
        row = s["kinds"].get(kind)
        if row is None:
            out.append(f"| {kind} | {expected[kind]} | 0 | - | - | - | - | - | - | - |")
            continue
        recall = "-" if row["recall"] is None else f"{row['recall']:.2f}"
        out.append(
            f"| {kind} | {expected[kind]} | {row['sites']} | {row['detected']} | {row['elsewhere']} | {row['missed']} "
            f"| {recall} | {_fmt(row['capped'])} |"
        )
    if s["total"]:
        t = s["total"]
        out.append(
            f"| all | | {t['sites']} | {t['detected']} | {t['elsewhere']} | {t['missed']} | {t['recall']:.2f} "
            f"| {_fmt(s['total_capped'])} |"
        )
    out += ["", "## Per repository", "", "| repository | sites | detected | elsewhere | missed | recall |"]
    out.append("| --- | ---: | ---: | ---: | ---: | ---: |")
    for repo, row in s["repos"].items():
        out.append(
            f"| {repo} | {row['sites']} | {row['detected']} | {row['elsewhere']} | {row['missed']} | {row['recall']:.2f} |"
        )
    out += ["", "## Misses by cause", "", "| cause | count | kinds |", "| --- | ---: | --- |"]
    for cause, entry in s["miss_causes"].items():
        kinds = ", ".join(f"{k} {n}" for k, n in sorted(entry["kinds"].items()))
        out.append(f"| {cause} | {entry['count']} | {kinds} |")
    out += ["", "## Side findings (new findings of another code than expected)", ""]
    out += [f"- {key}: {count}" for key, count in s["side_findings"].items()] or ["- none"]
    out += ["", f"RC101/RC106 detections with the code expected by reading: {s['rc101_rc106']}", ""]
    if result["skipped"]:
        out += ["## Sites not run", ""] + [f"- {x['id']}: {x['reason']}" for x in result["skipped"]] + [""]
    if result["unexplained"]:
        out += ["## Findings that changed in files no mutation of the batch is related to", ""]
        out += [f"- {x}" for x in result["unexplained"]] + [""]
    if result["problems"]:
        out += ["## Finder problems", ""] + [f"- {x}" for x in result["problems"]] + [""]
    return "\n".join(out)


# --- main -----------------------------------------------------------------------------


def resummarize(path: Path) -> str:
    """A results file's markdown, its summary computed again from its outcomes (with today's causes)."""
    result = json.loads(path.read_text())
    outcomes = []
    for record in result["outcomes"]:
        outcome = Outcome(site_from_record(record), record["status"], record["reported"], record["elsewhere"])
        outcome.side = record["side"]
        outcomes.append(outcome)
    capped_ids = {record["id"] for record in result["outcomes"] if record["capped"]}
    unknown = frozenset(result.get("unknown_rules", []))
    result["summary"] = summary(outcomes, capped_ids, result["skipped"], unknown)
    return markdown(result)


def _select(names: list[str], wanted: str | None) -> list[str]:
    if not wanted:
        return names
    parts = [w.strip().replace("/", "__") for w in wanted.split(",") if w.strip()]
    return [n for n in names if any(p == n or p in n for p in parts)]


def _regcheck_version(root: Path) -> str:
    done = subprocess.run(
        ["git", "log", "-1", "--format=%h", "--", "regcheck"], cwd=root, capture_output=True, text=True
    )
    dirty = subprocess.run(["git", "status", "--porcelain", "regcheck"], cwd=root, capture_output=True, text=True)
    return (done.stdout.strip() or "unknown") + (" (with uncommitted changes)" if dirty.stdout.strip() else "")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path, nargs="?", default=Path("/work/corpus"))
    parser.add_argument("--kinds", help=f"comma-separated kinds (default: all): {', '.join(KINDS)}")
    parser.add_argument("--repos", help="comma-separated repositories (owner__name, owner/name, or part of it)")
    parser.add_argument("--cap", type=int, default=5, help="sites per repository and kind in the capped count")
    parser.add_argument("--capped-only", action="store_true", help="run only the capped sites (faster)")
    parser.add_argument("--seed", default="20261203", help="seed of the capped choice")
    parser.add_argument("--solo", action="store_true", help="one mutation per regcheck run (checks the batching)")
    parser.add_argument("--strict", action="store_true", help="batch only files with no import path between them")
    parser.add_argument(
        "--narrow", action="store_true", help="check only the files a batch can affect (faster on large repositories)"
    )
    parser.add_argument("--list", action="store_true", help="list the sites and their mutations; run nothing")
    parser.add_argument("--diff", action="store_true", help="with --list: print each mutation's diff")
    parser.add_argument("--regcheck", type=Path, default=REGCHECK_ROOT, help="the regcheck checkout to measure")
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("-j", "--jobs", type=int, default=0, help="regcheck's -j (default: regcheck's own)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--keep", type=Path, help="keep the working copies in this folder")
    parser.add_argument(
        "--summarize", type=Path, metavar="RESULTS_JSON", help="print a results file's table again (causes re-read)"
    )
    args = parser.parse_args(argv)
    if args.summarize:
        print(resummarize(args.summarize))
        return 0

    kinds = list(KINDS) if not args.kinds else [k.strip() for k in args.kinds.split(",") if k.strip()]
    unknown_kinds = [k for k in kinds if k not in FINDERS]
    if unknown_kinds:
        parser.error(f"unknown kinds: {', '.join(unknown_kinds)} (known: {', '.join(KINDS)})")
    corpus = args.corpus.resolve()
    repos = _select(sorted(p.name for p in corpus.iterdir() if p.is_dir() and "__" in p.name), args.repos)
    if not repos:
        parser.error("no repository selected")
    runner = Runner(args.python, args.regcheck.resolve(), args.jobs)
    unknown = frozenset(code for kind in kinds for code in EXPECTED[kind] if not runner.knows(code))
    started = time.strftime("%Y%m%d-%H%M%S")
    clock = time.monotonic()
    outcomes: list[Outcome] = []
    all_sites: list[Site] = []
    skipped: list[dict[str, Any]] = []
    unexplained: list[str] = []
    problems: list[str] = []
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so that `finally` removes the copies
    workdir = Path(tempfile.mkdtemp(prefix="regcheck-mutations-")) if args.keep is None else args.keep
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        for name in repos:
            repo = prepare(name, corpus, workdir, runner)
            sites = find_sites(repo, kinds, runner)
            problems += repo.problems
            all_sites += sites
            chosen = capped(sites, args.cap, args.seed)
            if args.capped_only:
                sites = [s for s in sites if s.id in chosen]
            mutants = []
            for site in sorted(sites, key=lambda s: (s.kind, s.path, s.line)):
                mutant = render(repo, site)
                if isinstance(mutant, str):
                    skipped.append({"id": site.id, "reason": mutant})
                else:
                    mutants.append(mutant)
            if args.list:
                _print_sites(mutants, args.diff)
                shutil.rmtree(repo.copy, ignore_errors=True)
                continue
            batches = plan(mutants, repo.project, args.solo, args.strict)
            print(f"{name}: {len(mutants)} mutations in {len(batches)} runs", file=sys.stderr, flush=True)
            again: list[Mutant] = []
            for number, batch in enumerate(batches, start=1):
                done, rerun, strange = run_batch(repo, batch, runner, args.narrow)
                for outcome in done:
                    outcome.batch = number
                outcomes += done
                again += rerun
                unexplained += [f"{name}: {p} (batch {number})" for p in strange]
            for mutant in again:
                done, _, strange = run_batch(repo, [mutant], runner, args.narrow)
                for outcome in done:
                    outcome.solo = True
                outcomes += done
                unexplained += [f"{name}: {p} (solo)" for p in strange]
            if args.keep is None:
                shutil.rmtree(repo.copy, ignore_errors=True)
    finally:
        if args.keep is None:
            shutil.rmtree(workdir, ignore_errors=True)
    if args.list:
        print(f"{len(all_sites)} sites; {len(skipped)} could not be rendered", file=sys.stderr)
        for entry in skipped:
            print(f"  skipped {entry['id']}: {entry['reason']}", file=sys.stderr)
        return 0

    chosen_ids = capped(all_sites, args.cap, args.seed)
    result = {
        "started": started,
        "command": " ".join(["python", "benchmarks/mutations.py", *(argv if argv is not None else sys.argv[1:])]),
        "regcheck": _regcheck_version(runner.regcheck_root),
        "cap": args.cap,
        "runs": runner.runs,
        "regcheck_seconds": runner.seconds,
        "seconds": time.monotonic() - clock,
        "expected": {kind: "|".join(codes) for kind, codes in EXPECTED.items()},
        "unknown_rules": sorted(unknown),
        "summary": summary(outcomes, chosen_ids, skipped, unknown),
        "skipped": skipped,
        "unexplained": unexplained,
        "problems": problems,
        "outcomes": [
            {
                **o.record(),
                "capped": o.site.id in chosen_ids,
                "cause": causes.classify(o, unknown) if o.status != "detected" else None,
            }
            for o in outcomes
        ],
    }
    args.out.mkdir(parents=True, exist_ok=True)
    stem = args.out / f"mutations-{started}"
    stem.with_suffix(".json").write_text(json.dumps(result, indent=1))
    text = markdown(result)
    stem.with_suffix(".md").write_text(text + "\n")
    print(text)
    print(f"\nwritten: {stem}.json, {stem}.md", file=sys.stderr)
    return 0


def _print_sites(mutants: list[Mutant], diff: bool) -> None:
    import difflib

    for mutant in mutants:
        site = mutant.site
        where = f"{site.path}" + (f" cell {site.cell}" if site.cell else "") + f":{site.line}"
        print(f"{site.kind:30} {site.repo} {where}  {site.label}  [{'|'.join(site.expected)}] {site.variant}")
        if diff:
            old = mutant.old.text.splitlines(keepends=True)
            new = mutant.new.text.splitlines(keepends=True)
            sys.stdout.writelines(difflib.unified_diff(old, new, n=1))


if __name__ == "__main__":
    raise SystemExit(main())
