"""Speed of regcheck against its peers on one tree, in one run (run by hand; never in tests).

    python benchmarks/bench.py                  # keras + tensorflow sources, everything
    python benchmarks/bench.py --skip-fixit     # Fixit takes minutes
    python benchmarks/bench.py --paths DIR ...  # another tree (fixit runs on the first path)
    python benchmarks/bench.py --only floors,facts,scaling,jobs  # some parts only

It copies the Python sources of the installed ``keras`` and ``tensorflow``
packages into a temporary folder (so every tool sees the same files and no
``site-packages`` exclusion applies), snapshots the regcheck package (so the
cold and warm runs use the same code), then times, each as a fresh process:

- regcheck cold (``--no-cache``) on keras, and Fixit (``fixit lint``) on keras;
- regcheck cold filling the cache, then warm (second run), and
  ``ruff check --no-cache`` on keras + tensorflow;
- floors in this process: reading + prefiltering the bytes, ``ast.parse`` of
  the files that pass the prefilter, and (on the first tree) what libcst alone
  costs on those files: parsing alone, parsing + regcheck's own name
  resolution (regcheck.facts.names), and parsing + the ScopeProvider that name
  resolution took before;
- the facts pass stage by stage on those files (parse, name resolution, the
  collectors' walk, each collector, derived facts + checks, and the parents and
  positions the checks asked for);
- scaling: regcheck cold on a quarter, half and all of the files (keras +
  tensorflow), and cold on the first tree with ``-j 1`` against ``-j 2``;
- ``regcheck one_file.py`` on a generated 500-line model file, interpreter
  start-up included, next to ``python -c "import libcst"`` and libcst's parse +
  scopes of that file;
- the warm path of editors: ``regcheck.lsp.workspace.Workspace.lint`` re-linting
  that file after an edit, in one long-lived process (what ``regcheck server`` does).

Prints a table and writes it as JSON to benchmarks/results/.
"""

from __future__ import annotations

import argparse
import ast
import importlib.util
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent


@dataclass
class Timing:
    name: str
    tree: str
    seconds: float | None
    peak_rss_mb: float | None = None
    cpu_seconds: float | None = None  # user + sys of the process and its workers: robust to other load
    note: str = ""
    extra: dict = field(default_factory=dict)


# --- running things -----------------------------------------------------------


def run_timed(
    cmd: list[str], cwd: Path, env: dict[str, str] | None = None, timeout: float | None = None
) -> tuple[float | None, float | None, int | None, str, float | None]:
    """Wall time, peak RSS (largest single process, MB), exit code, output and CPU seconds of one command."""
    with tempfile.TemporaryFile() as out_file:
        start = time.perf_counter()
        process = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out_file, stderr=subprocess.DEVNULL)
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            if timeout is not None and time.perf_counter() - start > timeout:
                process.kill()
                os.wait4(process.pid, 0)
                return None, None, None, "", None
            time.sleep(0.02)
        elapsed = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        out_file.seek(0)
        output = out_file.read().decode("utf-8", "replace")
    return elapsed, usage.ru_maxrss / 1024, process.returncode, output, usage.ru_utime + usage.ru_stime


def package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)  # finds, never imports, the package
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(f"bench: package {name!r} is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


def copy_sources(source: Path, target: Path) -> int:
    count = 0
    for folder, _dirs, names in os.walk(source):
        for name in names:
            if name.endswith(".py"):
                relative = Path(folder, name).relative_to(source)
                (target / relative).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(Path(folder, name), target / relative)
                count += 1
    return count


def python_files(paths: list[Path]) -> list[Path]:
    found: list[Path] = []
    for path in paths:
        found.extend(sorted(path.rglob("*.py")) if path.is_dir() else [path])
    return found


# --- floors -----------------------------------------------------------------


def libcst_floor(files: list[Path]) -> float:
    """CPU seconds of libcst's parse + ScopeProvider over ``files``, in this process."""
    import libcst as cst
    from libcst.metadata import MetadataWrapper, ScopeProvider

    start = time.process_time()
    for path in files:
        try:
            module = cst.parse_module(path.read_bytes())
        except (cst.ParserSyntaxError, RecursionError):
            continue
        MetadataWrapper(module, unsafe_skip_copy=True).resolve(ScopeProvider)
    return time.process_time() - start


def parse_floor(files: list[Path]) -> float:
    """CPU seconds of libcst's parse alone over ``files``, in this process."""
    import libcst as cst

    start = time.process_time()
    for path in files:
        try:
            cst.parse_module(path.read_bytes())
        except (cst.ParserSyntaxError, RecursionError):
            continue
    return time.process_time() - start


def own_resolution_floor(files: list[Path]) -> float:
    """CPU seconds of libcst's parse + regcheck's own name resolution (regcheck.facts.names) over
    ``files``, every Name / Attribute given its qualified name: more than any run asks."""
    import libcst as cst

    sys.path.insert(0, str(REPO))
    from regcheck.facts.names import NameResolver

    start = time.process_time()
    for path in files:
        try:
            module = cst.parse_module(path.read_bytes())
        except (cst.ParserSyntaxError, RecursionError):
            continue
        resolver = NameResolver(module)
        for node in resolver.scope_of:
            resolver.qualified_names(node)
    return time.process_time() - start


def prefiltered(paths: list[Path]) -> list[Path]:
    """The files of ``paths`` that a default run parses with libcst (they pass the prefilter)."""
    sys.path.insert(0, str(REPO))
    from regcheck.config.settings import DEFAULT_SELECT
    from regcheck.lint.prefilter import names_tf, wants_parse

    out = []
    for path in python_files(paths):
        data = path.read_bytes()
        if names_tf(data) and wants_parse(data, DEFAULT_SELECT):
            out.append(path)
    return out


def facts_pass_shares(files: list[Path]) -> list[tuple[str, float]]:
    """Where a cold run's in-process CPU time goes on ``files``, stage by stage: parse, name
    resolution, the collectors' walk and each collector's callbacks, derived facts + checks,
    and the parents / positions the checks asked for (computed again, separately, to time them)."""
    import libcst as cst
    from libcst.metadata import MetadataWrapper, PositionProvider

    sys.path.insert(0, str(REPO))
    from regcheck.checks import checks_for
    from regcheck.config.settings import DEFAULT_SELECT
    from regcheck.facts import COLLECTORS
    from regcheck.facts.collect import run_collectors
    from regcheck.facts.module import LazyMapping, ModuleFacts, parent_map

    clock = time.process_time
    shares: dict[str, float] = {}

    def add(key: str, seconds: float) -> None:
        shares[key] = shares.get(key, 0.0) + seconds

    def timed(key: str, method):  # type: ignore[no-untyped-def]
        def run(node):  # type: ignore[no-untyped-def]
            start = clock()
            method(node)
            add(key, clock() - start)

        run.__name__ = method.__name__
        return run

    checks = list(checks_for(DEFAULT_SELECT))
    parents_used = positions_used = 0
    for path in files:
        text = path.read_bytes().decode("utf-8", "replace")
        start = clock()
        try:
            module = cst.parse_module(text)
        except (cst.ParserSyntaxError, RecursionError):
            continue
        add("libcst parse", clock() - start)
        facts = ModuleFacts.from_module(str(path), text, module)
        start = clock()
        _ = facts.names  # resolved up front here, so the collectors' share does not include it
        add("name resolution (regcheck.facts.names)", clock() - start)
        collectors = [collector(facts) for collector in COLLECTORS]
        for collector in collectors:
            wrapped = {
                name: timed(f"collector {type(collector).__name__}", m) for name, m in collector.get_visitors().items()
            }
            collector.get_visitors = lambda wrapped=wrapped: wrapped  # type: ignore[method-assign]
        before = sum(v for k, v in shares.items() if k.startswith("collector "))
        start = clock()
        run_collectors(module, collectors)
        walk = clock() - start - (sum(v for k, v in shares.items() if k.startswith("collector ")) - before)
        add("collectors' walk (run_collectors, without callbacks)", walk)
        for collector in collectors:
            start = clock()
            collector.finish()
            add(f"collector {type(collector).__name__}", clock() - start)
        start = clock()
        for check in checks:
            try:
                list(check().run(facts))
            except Exception:
                pass
        add("derived facts + checks (incl. parents / positions asked)", clock() - start)
        assert isinstance(facts.parents, LazyMapping) and isinstance(facts.positions, LazyMapping)
        if facts.parents._compute is None:
            parents_used += 1
            start = clock()
            parent_map(module)
            add("of which: parent links (files that asked)", clock() - start)
        if facts.positions._compute is None:
            positions_used += 1
            start = clock()
            MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
            add("of which: positions (files that asked)", clock() - start)
    rows = sorted(shares.items(), key=lambda kv: (kv[0].startswith("of which"), -kv[1]))
    rows.append((f"files: {len(files)}; asked parents: {parents_used}; asked positions: {positions_used}", 0.0))
    return rows


def scaling(
    files: list[Path], root: Path, workdir: Path, python: list[str], env: dict[str, str], jobs: list[str]
) -> list[Timing]:
    """Cold CPU against tree size: every 4th, every 2nd and every file of ``files`` (sorted paths
    under ``root``), each copied to its own tree and linted cold."""
    timings = []
    for label, step in (("a quarter", 4), ("half", 2), ("all", 1)):
        tree = workdir / f"scale_{step}"
        chosen = files[::step]
        for path in chosen:
            target = tree / path.relative_to(root)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
        size = sum(p.stat().st_size for p in chosen) / 1e6
        print(f"... scaling: regcheck cold on {label} ({len(chosen)} files)", file=sys.stderr, flush=True)
        seconds, rss, code, output, cpu = run_timed(
            [*python, "--no-cache", "--output-format", "json", *jobs, "."], tree, env
        )
        summary = summary_of(output)
        note = f"{len(chosen)} files, {size:.1f} MB; exit {code}"
        if cpu and summary.get("checked"):
            note += f"; {cpu / size:.2f} CPU s per MB"
        timings.append(
            Timing(f"regcheck cold, {label} of the tree", "keras+tensorflow", seconds, rss, cpu, note, summary)
        )
        shutil.rmtree(tree, ignore_errors=True)
    return timings


def jobs_comparison(tree: Path, where: str, python: list[str], env: dict[str, str]) -> list[Timing]:
    """Cold on one tree with one worker and with two."""
    timings = []
    for jobs in ("1", "2"):
        print(f"... regcheck cold -j {jobs} on {where}", file=sys.stderr, flush=True)
        seconds, rss, code, output, cpu = run_timed(
            [*python, "--no-cache", "--output-format", "json", "-j", jobs, where], tree, env
        )
        timings.append(Timing(f"regcheck cold -j {jobs}", where, seconds, rss, cpu, f"exit {code}", summary_of(output)))
    return timings


def floors(paths: list[Path], with_libcst: bool = False, with_own: bool = False) -> tuple[list[Timing], dict]:
    sys.path.insert(0, str(REPO))
    from regcheck.config.settings import DEFAULT_SELECT
    from regcheck.lint.prefilter import names_tf, wants_parse

    files = python_files(paths)
    wants_parse(b"keras", DEFAULT_SELECT)  # import the checks outside the timing
    start = time.perf_counter()
    passing: list[Path] = []
    named = 0
    for path in files:
        data = path.read_bytes()
        if names_tf(data):
            named += 1
            if wants_parse(data, DEFAULT_SELECT):
                passing.append(path)
    read_time = time.perf_counter() - start
    start = time.perf_counter()
    for path in passing:
        try:
            ast.parse(path.read_bytes())
        except (SyntaxError, ValueError):
            pass
    parse_time = time.perf_counter() - start
    size = sum(path.stat().st_size for path in passing)
    counts = {
        "files": len(files),
        "names_tf": named,
        "pass_prefilter": len(passing),
        "pass_prefilter_mb": round(size / 1e6, 2),
    }
    tree = "+".join(p.name for p in paths)
    timings = [
        Timing(
            "floor: read + prefilter bytes",
            tree,
            read_time,
            cpu_seconds=read_time,
            note=f"{named} name TF/Keras, {len(passing)} pass",
        ),
        Timing(
            "floor: ast.parse of prefiltered files",
            tree,
            parse_time,
            cpu_seconds=parse_time,
            note=f"{len(passing)} files",
        ),
    ]
    if with_libcst:
        print(f"... floor: libcst parse + scopes on {tree}", file=sys.stderr, flush=True)
        cpu = libcst_floor(passing)
        note = f"{len(passing)} files, {size / 1e6:.1f} MB, one process"
        timings.append(
            Timing("floor: libcst parse + ScopeProvider of prefiltered files", tree, None, cpu_seconds=cpu, note=note)
        )
    if with_libcst or with_own:
        print(f"... floor: libcst parse alone, and + own name resolution, on {tree}", file=sys.stderr, flush=True)
        note = f"{len(passing)} files, {size / 1e6:.1f} MB, one process"
        timings.append(
            Timing(
                "floor: libcst parse alone of prefiltered files",
                tree,
                None,
                cpu_seconds=parse_floor(passing),
                note=note,
            )
        )
        cpu = own_resolution_floor(passing)
        timings.append(
            Timing(
                "floor: libcst parse + own name resolution of prefiltered files", tree, None, cpu_seconds=cpu, note=note
            )
        )
    return timings, counts


# --- the one-file start-up case ----------------------------------------------------


def model_file(lines: int = 500) -> str:
    """A Keras model file of ``lines`` lines: blocks of regularized layers and a custom training loop."""
    head = [
        "import numpy as np",
        "import tensorflow as tf",
        "from tensorflow import keras",
        "from tensorflow.keras import layers, regularizers",
        "",
        "L2 = 1e-4",
        "",
    ]

    def block(number: int) -> list[str]:
        return [
            f"def block_{number}(x, filters={32 + number}):",
            f'    """Residual block {number}."""',
            "    shortcut = x",
            "    x = layers.Conv2D(filters, 3, padding='same', kernel_regularizer=regularizers.l2(L2))(x)",
            "    x = layers.BatchNormalization()(x)",
            "    x = layers.Activation('relu')(x)",
            "    x = layers.Conv2D(filters, 3, padding='same', kernel_regularizer=regularizers.l2(L2))(x)",
            "    x = layers.BatchNormalization()(x)",
            "    if shortcut.shape[-1] != filters:",
            "        shortcut = layers.Conv2D(filters, 1, kernel_regularizer=regularizers.l2(L2))(shortcut)",
            "    x = layers.Add()([x, shortcut])",
            "    return layers.Activation('relu')(x)",
            "",
            "",
        ]

    def tail(blocks: int) -> list[str]:
        return [
            "def build_model(num_classes=10):",
            "    inputs = keras.Input((32, 32, 3))",
            "    x = inputs",
            *[f"    x = block_{i}(x)" for i in range(blocks)],
            "    x = layers.GlobalAveragePooling2D()(x)",
            "    x = layers.Dropout(0.5)(x)",
            "    outputs = layers.Dense(num_classes, kernel_regularizer=regularizers.l2(L2))(x)",
            "    return keras.Model(inputs, outputs)",
            "",
            "",
            "model = build_model()",
            "optimizer = keras.optimizers.Adam(1e-3)",
            "loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)",
            "",
            "",
            "@tf.function",
            "def train_step(x, y):",
            "    with tf.GradientTape() as tape:",
            "        logits = model(x, training=True)",
            "        loss = loss_fn(y, logits) + tf.add_n(model.losses)",
            "    grads = tape.gradient(loss, model.trainable_variables)",
            "    optimizer.apply_gradients(zip(grads, model.trainable_variables))",
            "    return loss",
            "",
            "",
            "def train(dataset, epochs=1):",
            "    for _ in range(epochs):",
            "        for x, y in dataset:",
            "            train_step(x, y)",
        ]

    blocks = 0
    while len(head) + sum(len(block(i)) for i in range(blocks + 1)) + len(tail(blocks + 1)) <= lines:
        blocks += 1
    out = head + [line for i in range(blocks) for line in block(i)] + tail(blocks)
    out += [f"# padding line {n}" for n in range(lines - len(out))]
    return "\n".join(out) + "\n"


def startup(python: list[str], env: dict[str, str], workdir: Path, repeat: int = 5) -> list[Timing]:
    folder = workdir / "one_file"
    folder.mkdir()
    target = folder / "model.py"
    target.write_text(model_file(500))
    timings = []
    for label, extra in (("regcheck one_file.py (--no-cache)", ["--no-cache"]), ("regcheck one_file.py (cached)", [])):
        samples = []
        for _ in range(repeat):
            seconds, rss, _code, _out, cpu = run_timed([*python, "model.py", *extra], folder, env)
            samples.append((seconds or 0.0, rss, cpu or 0.0))
        best = min(samples)
        median = statistics.median(s for s, _, _ in samples)
        cpu_median = statistics.median(c for _, _, c in samples)
        note = f"best {best[0]:.3f} s of {repeat}"
        timings.append(Timing(label, "500-line model.py", median, best[1], cpu_median, note=note))
    start_only, _rss, _c, _o, cpu = run_timed([sys.executable, "-c", "pass"], folder, env)
    timings.append(Timing("python -c pass (interpreter start-up)", "-", start_only, cpu_seconds=cpu))
    libcst_only, _rss, _c, _o, cpu = run_timed([sys.executable, "-c", "import libcst"], folder, env)
    timings.append(Timing('python -c "import libcst"', "-", libcst_only, cpu_seconds=cpu))
    cpu = min(libcst_floor([target]) for _ in range(3))
    timings.append(
        Timing(
            "floor: libcst parse + ScopeProvider (in-process)",
            "500-line model.py",
            None,
            cpu_seconds=cpu,
            note="best of 3",
        )
    )
    cpu = min(own_resolution_floor([target]) for _ in range(3))
    timings.append(
        Timing(
            "floor: libcst parse + own name resolution (in-process)",
            "500-line model.py",
            None,
            cpu_seconds=cpu,
            note="best of 3",
        )
    )
    return timings


_WARM_RELINT = """
import json, statistics, sys, time
from pathlib import Path
from regcheck.lsp.workspace import Workspace

path, repeat = Path(sys.argv[1]), int(sys.argv[2])
text = path.read_text()
start = time.perf_counter()
workspace = Workspace(path.parent)
findings = workspace.lint(path, text)
first = time.perf_counter() - start
walls, cpus = [], []
for number in range(repeat):
    edited = text.replace("L2 = 1e-4", f"L2 = {number + 2}e-5")  # a new text each time: an edit, not a repeat
    wall, cpu = time.perf_counter(), time.process_time()
    workspace.lint(path, edited)
    walls.append(time.perf_counter() - wall)
    cpus.append(time.process_time() - cpu)
print(json.dumps({"first": first, "wall": statistics.median(walls), "cpu": statistics.median(cpus),
                  "best": min(walls), "findings": len(findings)}))
"""


def warm_relint(env: dict[str, str], workdir: Path, repeat: int = 21) -> Timing:
    """Re-linting the 500-line model file after an edit, in a process that keeps a Workspace:
    libcst imported, settings loaded, the ProjectIndex warm. Median of ``repeat`` edits."""
    folder = workdir / "warm_relint"
    folder.mkdir()
    target = folder / "model.py"
    target.write_text(model_file(500))
    result = subprocess.run(
        [sys.executable, "-c", _WARM_RELINT, str(target), str(repeat)],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
    )
    name = "warm re-lint after an edit (Workspace.lint, in-process)"
    if result.returncode != 0:
        return Timing(name, "500-line model.py", None, note=f"failed: {result.stderr.strip().splitlines()[-1:]}")
    data = json.loads(result.stdout)
    note = (
        f"median of {repeat} edits, best {data['best'] * 1000:.0f} ms; first lint in the process {data['first']:.2f} s"
    )
    return Timing(name, "500-line model.py", data["wall"], cpu_seconds=data["cpu"], note=note)


# --- size: one generated file, growing ---------------------------------------------

# kind -> sizes (lines; terms for "sum"; levels for the nested kinds, as deep as CPython accepts)
SIZES = {
    "tf1": (1_000, 2_000, 4_000, 8_000, 50_000),
    "keras": (1_000, 2_000, 4_000, 8_000, 50_000),
    "notebook": (1_000, 2_000, 4_000, 8_000, 50_000),
    "sum": (500, 1_000, 2_000, 5_000, 10_000, 20_000),
    "nested-blocks": (97,),
    "nested-calls": (190,),
    "nested-defs": (97,),
}
# The smallest file of each kind: what a run costs before the size counts (start-up, imports).
BASELINE_SIZE = {"tf1": 20, "keras": 20, "notebook": 20, "sum": 10}


def fitted_exponent(points: list[tuple[float, float]]) -> float | None:
    """The least-squares slope of log(y) against log(x): 1 is linear, 2 quadratic."""
    import math

    points = [(x, y) for x, y in points if x > 0 and y > 0]
    if len(points) < 2:
        return None
    xs = [math.log(x) for x, _ in points]
    ys = [math.log(y) for _, y in points]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    var = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / var if var else None


def _found(output: str) -> list[tuple[str, int | None, int]] | None:
    try:
        return sorted(((f["code"], f["cell"], f["line"]) for f in json.loads(output)["findings"]), key=str)
    except (ValueError, KeyError, TypeError):
        return None


def size_runs(
    python: list[str],
    env: dict[str, str],
    workdir: Path,
    kinds: list[str],
    max_size: int,
    timeout: float,
    with_phases: bool,
) -> tuple[list[Timing], list[dict]]:
    """Cold ``regcheck --no-cache FILE`` on generated files of growing size, a fresh process each;
    a kind's larger sizes are skipped once one times out. With ``with_phases``, each file also goes
    through benchmarks/phases.py in a process of its own (CPU per phase)."""
    import generated

    folder = workdir / "size"
    folder.mkdir(exist_ok=True)
    timings: list[Timing] = []
    fits: list[dict] = []
    for kind in kinds:
        sizes = [size for size in SIZES[kind] if size <= max_size]
        suffix = generated.KINDS[kind][2]
        unit = generated.KINDS[kind][1]
        baseline: tuple[float, float] | None = None
        if kind in BASELINE_SIZE:
            path = folder / f"{kind}-{BASELINE_SIZE[kind]}{suffix}"
            path.write_text(generated.generate(kind, BASELINE_SIZE[kind]))
            _s, rss, _c, _o, cpu = run_timed([*python, "--no-cache", "--output-format", "json", path.name], folder, env)
            baseline = (cpu or 0.0, rss or 0.0)
        points: list[tuple[int, float, float]] = []
        for size in sizes:
            path = folder / f"{kind}-{size}{suffix}"
            text = generated.generate(kind, size)
            path.write_text(text)
            lines = (
                text.count("\n")
                if suffix == ".py"
                else sum(len(cell["source"]) for cell in json.loads(text)["cells"] if cell["cell_type"] == "code")
            )
            print(f"... size: regcheck --no-cache on {path.name} ({lines} lines)", file=sys.stderr, flush=True)
            seconds, rss, code, output, cpu = run_timed(
                [*python, "--no-cache", "--output-format", "json", path.name], folder, env, timeout
            )
            found = _found(output)
            want = sorted(generated.expected(kind, size), key=str)
            if seconds is None:
                verdict = f"killed after {timeout:.0f} s"
            elif found is None:
                verdict = f"exit {code}, no report"
            elif found == want:
                verdict = f"{len(found)} findings, as expected"
            else:
                missing, extra = len(set(want) - set(found)), len(set(found) - set(want))
                verdict = f"{len(found)} findings: {missing} expected ones missing, {extra} unexpected"
            extra: dict = {"kind": kind, "size": size, "unit": unit, "lines": lines, "exit": code}
            if with_phases and seconds is not None:
                result = subprocess.run(
                    [sys.executable, str(HERE / "phases.py"), "--json", path.name],
                    cwd=folder,
                    env=env,
                    capture_output=True,
                    text=True,
                )
                if result.returncode == 0 and result.stdout.strip():
                    extra["phases"] = json.loads(result.stdout.splitlines()[-1])
            timings.append(Timing(f"size: {kind}", f"{size:,} {unit}", seconds, rss, cpu, verdict, extra))
            if seconds is None:
                break
            points.append((lines, cpu or 0.0, rss or 0.0))
        fit: dict = {"kind": kind, "sizes": [p[0] for p in points]}
        fit["cpu_exponent"] = fitted_exponent([(x, c) for x, c, _ in points])
        fit["rss_exponent"] = fitted_exponent([(x, r) for x, _, r in points])
        if baseline is not None:
            fit["baseline_cpu"], fit["baseline_rss"] = baseline
            fit["cpu_exponent_above_baseline"] = fitted_exponent([(x, c - baseline[0]) for x, c, _ in points])
            fit["rss_exponent_above_baseline"] = fitted_exponent([(x, r - baseline[1]) for x, _, r in points])
        fits.append(fit)
    return timings, fits


def size_table(timings: list[Timing], fits: list[dict]) -> str:
    out = ["| kind | size | lines | CPU s | peak RSS MB | findings |", "| --- | ---: | ---: | ---: | ---: | --- |"]
    for t in timings:
        if not t.name.startswith("size: "):
            continue
        cpu = f"{t.cpu_seconds:.2f}" if t.seconds is not None and t.cpu_seconds is not None else "-"
        rss = f"{t.peak_rss_mb:.0f}" if t.seconds is not None and t.peak_rss_mb is not None else "-"
        out.append(f"| {t.extra['kind']} | {t.tree} | {t.extra['lines']:,} | {cpu} | {rss} | {t.note} |")
    out += [
        "",
        "| kind | CPU exponent | RSS exponent | above the smallest file: CPU | RSS | smallest file CPU s, RSS MB |",
    ]
    out.append("| --- | ---: | ---: | ---: | ---: | --- |")

    def fmt(value: float | None) -> str:
        return f"{value:.2f}" if value is not None else "-"

    for fit in fits:
        if len(fit["sizes"]) < 2:
            continue
        base = f"{fit['baseline_cpu']:.2f}, {fit['baseline_rss']:.0f}" if "baseline_cpu" in fit else "-"
        out.append(
            f"| {fit['kind']} | {fmt(fit['cpu_exponent'])} | {fmt(fit['rss_exponent'])} | "
            f"{fmt(fit.get('cpu_exponent_above_baseline'))} | {fmt(fit.get('rss_exponent_above_baseline'))} | {base} |"
        )
    phased = [t for t in timings if t.name.startswith("size: ") and "phases" in t.extra]
    if phased:
        names = list(dict.fromkeys(key for t in phased for key in t.extra["phases"]["cpu"]))
        names = [n for n in names if any(t.extra["phases"]["cpu"].get(n, 0) >= 0.01 for t in phased)]
        out += ["", "| kind | size | " + " | ".join(names) + " |", "| --- | ---: |" + " ---: |" * len(names)]
        for t in phased:
            cpu = t.extra["phases"]["cpu"]
            out.append(f"| {t.extra['kind']} | {t.tree} | " + " | ".join(f"{cpu.get(n, 0):.2f}" for n in names) + " |")
    return "\n".join(out)


# --- copies: the same tree 1, 2 and 4 times ------------------------------------------


def copies_runs(
    sources: list[Path], python: list[str], env: dict[str, str], workdir: Path, jobs: list[str], counts: tuple[int, ...]
) -> list[Timing]:
    """Cold CPU on 1, 2 and 4 copies of the trees in ``sources``. Copy k lives in its own folder
    (``copy_k/keras``, ``copy_k/tensorflow``): an absolute import resolves from the importing file's
    package root first (regcheck.run.project), so each copy's imports stay inside it and what a file's
    lint consults is the same in every copy: the connectivity is held fixed."""
    timings = []
    for count in counts:
        tree = workdir / f"copies_{count}"
        for number in range(1, count + 1):
            for source in sources:
                shutil.copytree(source, tree / f"copy_{number}" / source.name)
        size = sum(p.stat().st_size for p in tree.rglob("*.py")) / 1e6
        files = sum(1 for _ in tree.rglob("*.py"))
        print(f"... copies: regcheck cold on {count} copies ({files} files)", file=sys.stderr, flush=True)
        seconds, rss, code, output, cpu = run_timed(
            [*python, "--no-cache", "--output-format", "json", *jobs, "."], tree, env
        )
        summary = summary_of(output)
        note = f"{files} files, {size:.1f} MB; exit {code}"
        timings.append(
            Timing(f"copies: regcheck cold, {count} copies", "keras+tensorflow", seconds, rss, cpu, note, summary)
        )
        shutil.rmtree(tree, ignore_errors=True)
    base = timings[0].cpu_seconds if timings and timings[0].cpu_seconds else None
    if base:
        for count, timing in zip(counts, timings):
            if timing.cpu_seconds:
                timing.note += f"; {timing.cpu_seconds / base:.2f}x the CPU of one copy ({count}x the files)"
    return timings


# --- main ---------------------------------------------------------------------------


def summary_of(output: str) -> dict:
    try:
        return json.loads(output)["summary"]
    except (ValueError, KeyError, TypeError):
        return {}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--paths", nargs="*", type=Path, help="trees to use instead of the installed keras + tensorflow"
    )
    parser.add_argument("--skip-fixit", action="store_true", help="do not run fixit (it takes minutes)")
    parser.add_argument("--fixit", default=None, help="the fixit command (default: fixit on PATH)")
    parser.add_argument("--fixit-timeout", type=float, default=3600, help="seconds before fixit is stopped")
    parser.add_argument("--jobs", type=int, default=0, help="regcheck -j (default: one per core)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument(
        "--regcheck",
        type=Path,
        default=REPO,
        help="the checkout whose regcheck package is measured (default: this one), e.g. another worktree",
    )
    parser.add_argument(
        "--only",
        default=",".join(PARTS),
        help=f"comma-separated parts to run (default all): {', '.join(PARTS)}",
    )
    parser.add_argument(
        "--size-kinds", default=",".join(SIZES), help=f"size: the generated kinds (default all): {', '.join(SIZES)}"
    )
    parser.add_argument("--size-max", type=int, default=50_000, help="size: the largest size to generate")
    parser.add_argument("--size-timeout", type=float, default=900, help="size: seconds before a run is killed")
    parser.add_argument("--phases", action="store_true", help="size: also time each file phase by phase")
    parser.add_argument("--copies", default="1,2,4", help="copies: how many copies of the tree, comma-separated")
    args = parser.parse_args(argv)
    only = set(args.only.split(","))
    if only - set(PARTS):
        parser.error(f"unknown parts: {', '.join(sorted(only - set(PARTS)))}")
    kinds = args.size_kinds.split(",")
    if set(kinds) - set(SIZES):
        parser.error(f"unknown kinds: {', '.join(sorted(set(kinds) - set(SIZES)))}")

    workdir = Path(tempfile.mkdtemp(prefix="regcheck-bench-"))
    tree = workdir / "tree"
    if args.paths:
        subtrees = [tree / path.resolve().name for path in args.paths]
        sources = [path.resolve() for path in args.paths]
    else:
        subtrees = [tree / "keras", tree / "tensorflow"]
        sources = [package_dir("keras"), package_dir("tensorflow")]
    if only & {"floors", "facts", "scaling", "jobs", "peers", "copies"}:
        for source, target in zip(sources, subtrees):
            copy_sources(source, target)
    first = subtrees[0]
    # A snapshot of the code, so a concurrent edit cannot turn the warm run cold.
    snapshot = workdir / "code"
    measured = args.regcheck.resolve()
    shutil.copytree(measured / "regcheck", snapshot / "regcheck", ignore=shutil.ignore_patterns("__pycache__"))
    env = dict(os.environ, PYTHONPATH=str(snapshot))
    regcheck = [sys.executable, "-m", "regcheck"]
    jobs = ["-j", str(args.jobs)] if args.jobs else []
    names = [p.name for p in subtrees]

    results: list[Timing] = []
    ratios: dict = {}
    extra: dict = {"measured": str(measured), "commit": _commit(measured)}

    def timed(name: str, where: str, cmd: list[str], timeout: float | None = None, cwd: Path = tree) -> Timing:
        print(f"... {name} on {where}", file=sys.stderr, flush=True)
        seconds, rss, code, output, cpu = run_timed(cmd, cwd, env, timeout)
        timing = Timing(
            name, where, seconds, rss, cpu, "timed out" if seconds is None else f"exit {code}", summary_of(output)
        )
        results.append(timing)
        return timing

    everything = "+".join(names)
    counts_first = counts_all = {}
    if "floors" in only:
        floors_first, counts_first = floors([first], with_libcst=True, with_own=True)
        floors_all, counts_all = floors(subtrees)
        results += floors_first + floors_all
    shares: list[tuple[str, float]] = []
    if "facts" in only:
        print(f"... facts pass, stage by stage, on {first.name}", file=sys.stderr, flush=True)
        shares = facts_pass_shares(prefiltered([first]))
    if "scaling" in only:
        results += scaling(python_files(subtrees), tree, workdir, regcheck, env, jobs)
    if "jobs" in only:
        results += jobs_comparison(tree, first.name, regcheck, env)
    if "copies" in only:
        counts = tuple(int(n) for n in args.copies.split(","))
        results += copies_runs(subtrees, regcheck, env, workdir, jobs, counts)
    if "size" in only:
        size_timings, fits = size_runs(regcheck, env, workdir, kinds, args.size_max, args.size_timeout, args.phases)
        results += size_timings
        extra["size_fits"] = fits
    if "peers" in only:
        cold_first = timed(
            "regcheck cold (--no-cache)",
            first.name,
            [*regcheck, "--no-cache", "--output-format", "json", *jobs, first.name],
        )
        fill = timed(
            "regcheck cold, filling the cache", everything, [*regcheck, "--output-format", "json", *jobs, *names]
        )
        warm = timed("regcheck warm (cache)", everything, [*regcheck, "--output-format", "json", *jobs, *names])
        ruff_first = timed("ruff check --no-cache", first.name, ["ruff", "check", "--no-cache", first.name])
        ruff_all = timed("ruff check --no-cache", everything, ["ruff", "check", "--no-cache", *names])
        fixit = None
        fixit_command = args.fixit or shutil.which("fixit")
        if not args.skip_fixit and fixit_command:
            fixit = timed("fixit lint", first.name, [fixit_command, "lint", first.name], timeout=args.fixit_timeout)
        if fixit and fixit.seconds and cold_first.seconds:
            ratios["fixit / regcheck cold (keras)"] = fixit.seconds / cold_first.seconds
        elif fixit:
            ratios["fixit / regcheck cold (keras)"] = (
                f"fixit timed out after {args.fixit_timeout:.0f} s: "
                f"> {args.fixit_timeout / (cold_first.seconds or 1):.1f}"
            )
        if fixit and fixit.cpu_seconds and cold_first.cpu_seconds:
            ratios["fixit / regcheck cold (keras), CPU time"] = fixit.cpu_seconds / cold_first.cpu_seconds
        libcst_first = next((t for t in results if t.name.startswith("floor: libcst parse + ScopeProvider")), None)
        if fixit and fixit.cpu_seconds and libcst_first and libcst_first.cpu_seconds:
            # The ceiling for any checker that parses these files with libcst and resolves names.
            ratios["fixit / libcst parse + scopes alone (keras), CPU time"] = (
                fixit.cpu_seconds / libcst_first.cpu_seconds
            )
        if warm.cpu_seconds and ruff_all.cpu_seconds:
            ratios["regcheck warm / ruff (all), CPU time"] = warm.cpu_seconds / ruff_all.cpu_seconds
        if warm.seconds and ruff_all.seconds:
            ratios["regcheck warm / ruff (all)"] = warm.seconds / ruff_all.seconds
        if fill.seconds and ruff_all.seconds:
            ratios["regcheck cold / ruff (all)"] = fill.seconds / ruff_all.seconds
        if cold_first.seconds and ruff_first.seconds:
            ratios["regcheck cold / ruff (keras)"] = cold_first.seconds / ruff_first.seconds
    if "startup" in only:
        results += startup(regcheck, env, workdir)
    if "warm" in only:
        results.append(warm_relint(env, workdir))
    counts = {first.name: counts_first, everything: counts_all}
    return finish(results, ratios, counts, shares, workdir, args.keep, extra)


def _commit(checkout: Path) -> str:
    result = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=checkout, capture_output=True, text=True)
    dirty = subprocess.run(["git", "status", "--porcelain", "regcheck"], cwd=checkout, capture_output=True, text=True)
    return result.stdout.strip() + ("+uncommitted" if dirty.stdout.strip() else "")


PARTS = ("floors", "facts", "scaling", "jobs", "copies", "size", "peers", "startup", "warm")


def finish(
    results: list[Timing],
    ratios: dict,
    counts: dict,
    shares: list[tuple[str, float]],
    workdir: Path,
    keep: bool,
    extra: dict | None = None,
) -> int:
    extra = extra or {}
    cold = {t.name: t for t in results if t.name.startswith("regcheck cold -j")}
    if cold.get("regcheck cold -j 1") and cold.get("regcheck cold -j 2"):
        one, two = cold["regcheck cold -j 1"], cold["regcheck cold -j 2"]
        if one.seconds and two.seconds:
            ratios["regcheck cold -j 1 / -j 2, wall"] = one.seconds / two.seconds
    report = {
        "when": time.strftime("%Y-%m-%d %H:%M:%S"),
        "commit": extra.get("commit") or _commit(REPO),
        "measured": extra.get("measured", str(REPO)),
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0], "load_average": os.getloadavg()},
        "counts": counts,
        "timings": [asdict(t) for t in results],
        "ratios": ratios,
        "facts_pass_shares": shares,
        "size_fits": extra.get("size_fits", []),
    }
    print(table([t for t in results if not t.name.startswith("size: ")], ratios, report))
    if any(t.name.startswith("size: ") for t in results):
        print()
        print(size_table(results, report["size_fits"]))
    if shares:
        total = sum(seconds for name, seconds in shares if not name.startswith(("of which", "files:")))
        print("\n| stage | CPU s | share |\n| --- | ---: | ---: |")
        for name, seconds in shares:
            print(f"| {name} | {seconds:.2f} | {100 * seconds / total:.1f}% |" if seconds else f"| {name} | | |")
    out_dir = HERE / "results"
    out_dir.mkdir(exist_ok=True)
    out_file = out_dir / f"bench-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out_file.write_text(json.dumps(report, indent=2))
    print(f"\nwritten: {out_file}")
    if not keep:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


def table(results: list[Timing], ratios: dict, report: dict) -> str:
    lines = ["| what | tree | seconds | CPU s | peak RSS MB | notes |", "| --- | --- | ---: | ---: | ---: | --- |"]
    for t in results:
        seconds = f"{t.seconds:.2f}" if t.seconds is not None else "-"
        rss = f"{t.peak_rss_mb:.0f}" if t.peak_rss_mb is not None else "-"
        cpu = f"{t.cpu_seconds:.2f}" if t.cpu_seconds is not None else "-"
        note = t.note
        if t.extra:
            note += (
                f"; files {t.extra.get('files')}, checked {t.extra.get('checked')}, findings {t.extra.get('findings')}"
            )
        lines.append(f"| {t.name} | {t.tree} | {seconds} | {cpu} | {rss} | {note} |")
    lines.append("")
    for name, value in ratios.items():
        lines.append(f"- {name}: {value:.2f}" if isinstance(value, float) else f"- {name}: {value}")
    lines.append(f"- file counts: {json.dumps(report['counts'])}")
    lines.append(f"- machine: {json.dumps(report['machine'])}")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
