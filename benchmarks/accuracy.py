"""Accuracy of regcheck on real code, against the project's ledger of judged findings (run by hand).

    python benchmarks/accuracy.py CORPUS_DIR                 # precision per rule, misses, unjudged
    python benchmarks/accuracy.py CORPUS_DIR --fixes         # also apply safe fixes in a copy and parse
    python benchmarks/accuracy.py CORPUS_DIR --sample 100 --seed 20261201 --only-new
                                                             # a random sample of unjudged findings to judge

CORPUS_DIR holds one ``owner__name/`` tree per repository, as ``../shared/corpus/extract`` writes them.
The ledger (``benchmarks/ledger.tsv``) has one row per judged finding: repo, commit, path, cell, line,
code, verdict (TP, FP, debatable), reason. A row whose reason starts with ``missed:`` is a mistake
that should be found; its line may be empty (anywhere in the file). A TP row whose reason starts with
``merged into PATH:LINE:`` is the same defect as the finding at PATH:LINE (one finding per defect, at
the place the fix goes), and counts as found when that one is. Only error and warning findings
count, as in the issue that asks for accuracy; RC000 (syntax) is judged like any other code.
"""

from __future__ import annotations

import argparse
import ast
import collections
import csv
import json
import random
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
LEDGER = HERE / "ledger.tsv"
COUNTED = ("error", "warning")


@dataclass(frozen=True)
class Row:
    repo: str
    commit: str
    path: str
    cell: str
    line: str
    code: str
    verdict: str
    reason: str

    @property
    def missed(self) -> bool:
        return self.reason.startswith("missed:")

    def key(self) -> tuple[str, str, str, str, str]:
        return (self.repo, self.path, self.cell, self.line, self.code)


def read_ledger(path: Path = LEDGER) -> list[Row]:
    with path.open(newline="") as handle:
        reader = csv.DictReader(handle, delimiter="\t")
        return [Row(**{k: (v or "") for k, v in record.items()}) for record in reader]


def run_regcheck(corpus: Path, extra: list[str]) -> list[dict]:
    command = [sys.executable, "-m", "regcheck", ".", "--output-format", "json", "--exit-zero", "--no-cache", *extra]
    done = subprocess.run(command, cwd=corpus, capture_output=True, text=True)
    if done.returncode not in (0, 1, 2) or not done.stdout.strip():
        sys.exit(f"regcheck failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
    return json.loads(done.stdout)["findings"]


def split_repo(path: str) -> tuple[str, str]:
    head, _, rest = path.partition("/")
    return head.replace("__", "/", 1), rest


def finding_key(finding: dict) -> tuple[str, str, str, str, str]:
    repo, path = split_repo(finding["path"])
    cell = "" if finding.get("cell") is None else str(finding["cell"])
    return (repo, path, cell, str(finding["line"]), finding["code"])


def judge(findings: list[dict], ledger: list[Row]) -> dict:
    counted = [f for f in findings if f["severity"] in COUNTED]
    by_key = {row.key(): row for row in ledger}
    verdicts: list[tuple[dict, Row | None]] = [(f, by_key.get(finding_key(f))) for f in counted]
    found_keys = {finding_key(f) for f in counted}
    found_files = {(k[0], k[1], k[2], k[4]) for k in found_keys}
    misses = []
    for row in ledger:
        if row.verdict != "TP":
            continue
        merged = _merged_into(row)
        if merged is not None:
            # A defect that is reported once, at the place the fix goes (another row's spot).
            path, _, line = merged.rpartition(":")
            hit = (row.repo, path, "", line, row.code) in found_keys
        elif row.line:
            hit = row.key() in found_keys
        else:
            hit = (row.repo, row.path, row.cell, row.code) in found_files
        if not hit:
            misses.append(row)
    reported_fp = [row for f, row in verdicts if row is not None and row.verdict == "FP"]
    return {"verdicts": verdicts, "misses": misses, "reported_fp": reported_fp}


def _merged_into(row: Row) -> str | None:
    """``merged into PATH:LINE: ...``: the same defect as the finding at PATH:LINE of the same repo."""
    if not row.reason.startswith("merged into "):
        return None
    return row.reason[len("merged into ") :].split(": ", 1)[0]


def precision_table(verdicts: list[tuple[dict, Row | None]]) -> list[tuple[str, int, int, int, int]]:
    per: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    for finding, row in verdicts:
        per[finding["code"]][row.verdict if row is not None else "unjudged"] += 1
    return [(code, c["TP"], c["FP"], c["debatable"], c["unjudged"]) for code, c in sorted(per.items())]


def apply_safe_fixes(corpus: Path) -> tuple[int, int, list[str]]:
    """Copy the corpus, run --fix there, and parse every file the fixes changed."""
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "corpus"
        shutil.copytree(corpus, copy)
        before = {p: p.read_bytes() for p in copy.rglob("*.py")}
        subprocess.run(
            [sys.executable, "-m", "regcheck", ".", "--fix", "--exit-zero", "--no-cache", "-q"],
            cwd=copy,
            capture_output=True,
        )
        changed, broken = 0, []
        for path, data in before.items():
            after = path.read_bytes()
            if after == data:
                continue
            changed += 1
            try:
                ast.parse(after)
            except SyntaxError as exc:
                broken.append(f"{path.relative_to(copy)}: {exc}")
        return changed, changed - len(broken), broken


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--ledger", type=Path, default=LEDGER)
    parser.add_argument("--fixes", action="store_true", help="apply safe fixes in a temporary copy and parse them")
    parser.add_argument("--sample", type=int, default=0, help="print a random sample of N unjudged findings")
    parser.add_argument("--seed", type=int, default=20261201)
    parser.add_argument("--json", type=Path, help="also write the findings to this file")
    parser.add_argument("--unjudged", action="store_true", help="list every unjudged finding")
    args = parser.parse_args()

    ledger = read_ledger(args.ledger)
    findings = run_regcheck(args.corpus.resolve(), [])
    if args.json:
        args.json.write_text(json.dumps(findings, indent=1))
    result = judge(findings, ledger)
    table = precision_table(result["verdicts"])

    print(f"{'code':6} {'TP':>4} {'FP':>4} {'deb':>4} {'unj':>4}  precision (judged)")
    total_tp = total_fp = total_unj = 0
    for code, tp, fp, deb, unj in table:
        precision = f"{tp / (tp + fp):.2f}" if tp + fp else "-"
        print(f"{code:6} {tp:4} {fp:4} {deb:4} {unj:4}  {precision}")
        total_tp, total_fp, total_unj = total_tp + tp, total_fp + fp, total_unj + unj
    overall = f"{total_tp / (total_tp + total_fp):.3f}" if total_tp + total_fp else "-"
    print(f"all    {total_tp:4} {total_fp:4}       {total_unj:4}  {overall}   (error + warning findings)")

    keys = [(f["path"], f.get("cell"), f["line"], f["column"], f["code"], f["message"]) for f in findings]
    print(f"\nexact repeats (the same finding twice): {len(keys) - len(set(keys))}")
    print(f"\nFP rows of the ledger reported: {len(result['reported_fp'])}")
    for row in result["reported_fp"]:
        print(f"  {row.repo} {row.path}:{row.cell or '-'}:{row.line} {row.code}  {row.reason}")
    print(f"\nTP rows missed: {len(result['misses'])}")
    for row in result["misses"]:
        print(f"  {row.repo} {row.path}:{row.cell or '-'}:{row.line or '*'} {row.code}  {row.reason}")

    unjudged = [f for f, row in result["verdicts"] if row is None]
    if args.unjudged:
        print(f"\nunjudged: {len(unjudged)}")
        for f in unjudged:
            print(f"  {f['path']}:{f.get('cell') or '-'}:{f['line']} {f['code']} {f['message']}")
    if args.sample:
        rng = random.Random(args.seed)
        sample = rng.sample(unjudged, min(args.sample, len(unjudged)))
        print(f"\nsample of {len(sample)} unjudged findings (seed {args.seed}):")
        for f in sample:
            print(f"  {f['path']}\t{f.get('cell') or ''}\t{f['line']}\t{f['code']}\t{f['message']}")
    if args.fixes:
        changed, parse, broken = apply_safe_fixes(args.corpus.resolve())
        print(f"\nsafe fixes: {changed} files changed, {parse} parse")
        for line in broken:
            print(f"  does not parse: {line}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
