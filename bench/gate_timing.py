"""Wall time and peak memory of the policy gate on synthetic trees of N copies of the example.

A tree holds N copies of `examples/complete`, each calling ONE shared copy of the module
(root `*.tf`, `modules/`, `lambda_src/`) kept beside the tree, as `examples/complete` calls
the repository root: checkov follows each local module call, so every copy expands the
whole module. Three variants scan each tree, one after the other:

- `builtin`: checkov with its built-in checks only;
- `project`: checkov with the built-in checks plus the project's (`--external-checks-dir`);
- `gate`: the wrapper's static reading, `cogfed-gate --static` (the contract's checkov
  command with the project's checks only, its canary scan in parallel, and its own coverage
  parse of the tree);
- `offline`: the pre-commit form, `cogfed-gate` (each root of the tree planned offline and
  judged on its plan), on the one-copy tree only: it plans every root, which is what a
  directory of many roots costs, and its target is the ratio to `gate` there;
- `plan`: `cogfed-gate --plan` on `terraform show -json` of a plan holding the same N
  deployments (one root calling the example's module with `for_each` over N keys; the
  plan is made offline before the timing, as a pipeline makes it anyway, and its own
  time is recorded beside).

Each command runs under a small wrapper interpreter that reports the largest resident set
of any process in its tree (`RUSAGE_CHILDREN` collects reaped descendants); the benchmark
also samples the whole tree's resident memory from /proc, which counts what parallel
processes (the gate's two scans) hold at once. Pages shared between processes are counted
once per process there, so that figure is an upper bound.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from bench.sign_in_world import REPO_ROOT

EXAMPLE = REPO_ROOT / "examples" / "complete"
POLICIES = REPO_ROOT / "policies"
MODULE_SOURCE = re.compile(r'source\s*=\s*"\.\./\.\."')
VARIANTS = ("builtin", "project", "gate", "offline", "plan")
VARIANT_LABELS = {
    "builtin": "checkov, built-in checks",
    "project": "checkov, built-in + project checks",
    "gate": "cogfed-gate --static (wrapper)",
    "offline": "cogfed-gate, pre-commit form (offline plan)",
    "plan": "cogfed-gate --plan",
}
OFFLINE_COPIES = 1  # the sizes the `offline` variant runs on
MODULE_CALL = re.compile(r'(module\s+"cognito_federation"\s*\{\n\s*source\s*=\s*"\.\./\.\.")')
SAMPLE_INTERVAL_S = 0.25
# The gate's own limit per checkov run is 900 s; the benchmark must not be cut by it.
GATE_TIMEOUT_S = 86_400
WRAPPER = """
import json, resource, subprocess, sys
with open(sys.argv[1] + ".err", "w") as err:
    code = subprocess.call(sys.argv[2:], stdout=subprocess.DEVNULL, stderr=err)
peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # KiB on Linux
with open(sys.argv[1], "w") as out:
    out.write(json.dumps({"returncode": code, "peak_process_kib": peak_kib}))
"""


@dataclass
class GateRun:
    variant: str
    copies: int
    wall_seconds: float
    peak_process_bytes: int  # the largest single process of the tree
    peak_tree_bytes: int  # the whole tree at once, sampled
    returncode: int
    stderr_tail: str = ""
    timed_out: bool = False  # stopped when the size's budget was spent: times are lower bounds
    round: int = 1
    check_seconds: float | None = None  # time inside the project's checks (project variant)

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out


@dataclass
class GateTiming:
    runs: list[GateRun] = field(default_factory=list)
    skipped: dict[int, str] = field(default_factory=dict)  # copies -> why
    plan_seconds: dict[int, float] = field(default_factory=dict)  # copies -> offline plan time

    def run(self, variant: str, copies: int) -> GateRun | None:
        """The run that stands for a variant and size: the fastest of its rounds.

        Noise on a shared machine only ever adds time, so the fastest round is the closest
        to the scan's own cost. A round stopped by the budget counts only when no round
        finished; it is a lower bound.
        """
        runs = [r for r in self.runs if r.variant == variant and r.copies == copies]
        # Exit 2 and above: the command did not run (bad input, a crash), its time is no scan.
        finished = [r for r in runs if not r.timed_out and r.returncode in (0, 1)]
        if finished:
            return min(finished, key=lambda r: r.wall_seconds)
        return max(runs, key=lambda r: r.wall_seconds, default=None)

    def check_share(self, copies: int) -> float | None:
        """Time inside the project's checks over checkov's built-in wall time: what they add.

        The median over rounds: unlike wall times, check time is not inflated by a slow
        round of the whole scan as much, and the median of few rounds resists an outlier.
        """
        base = self.run("builtin", copies)
        spent = [
            r.check_seconds
            for r in self.runs
            if r.variant == "project" and r.copies == copies and r.check_seconds is not None
        ]
        if base is None or base.timed_out or not spent or base.wall_seconds <= 0:
            return None
        return statistics.median(spent) / base.wall_seconds

    def ratio(self, variant: str, copies: int) -> float | None:
        return self.ratio_between(variant, "builtin", copies)

    def ratio_between(self, variant: str, baseline: str, copies: int) -> float | None:
        base, other = self.run(baseline, copies), self.run(variant, copies)
        if base is None or other is None or base.wall_seconds <= 0:
            return None
        return other.wall_seconds / base.wall_seconds


def duration(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.0f} min"


def copies_text(copies: int) -> str:
    return f"{copies} cop{'y' if copies == 1 else 'ies'}"


# ------------------------------------------------------------------------------- trees


def write_module(workdir: Path) -> Path:
    """One shared copy of the module: root *.tf, modules/ and lambda_src/."""
    module = workdir / "module"
    module.mkdir(parents=True)
    for path in REPO_ROOT.glob("*.tf"):
        shutil.copy2(path, module / path.name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".build", ".terraform")
    shutil.copytree(REPO_ROOT / "modules", module / "modules", ignore=ignore)
    shutil.copytree(REPO_ROOT / "lambda_src", module / "lambda_src", ignore=ignore)
    return module


def write_tree(workdir: Path, module: Path, copies: int) -> Path:
    """`copies` copies of examples/complete under one directory, all calling `module`."""
    tree = workdir / f"tree-{copies}"
    main_tf = (EXAMPLE / "main.tf").read_text()
    if len(MODULE_SOURCE.findall(main_tf)) != 1:
        raise RuntimeError('examples/complete/main.tf no longer calls the module as "../.."')
    files = sorted(EXAMPLE.glob("*.tf"))
    for index in range(1, copies + 1):
        copy = tree / f"complete-{index:03d}"
        copy.mkdir(parents=True)
        source = os.path.relpath(module, copy)
        for path in files:
            text = path.read_text()
            if path.name == "main.tf":
                text = MODULE_SOURCE.sub(f'source = "{source}"', text)
            (copy / path.name).write_text(text)
    return tree


def write_plan(workdir: Path, module: Path, copies: int) -> tuple[Path, float]:
    """`terraform show -json` of one root deploying the example `copies` times; its time."""
    from cogfed_gate.offline_plan import plan_json_text

    root = workdir / f"plan-root-{copies}"
    root.mkdir(parents=True)
    for path in sorted(EXAMPLE.glob("*.tf")):
        if path.name == "outputs.tf":
            continue  # they name the single instance
        text = path.read_text()
        if path.name == "main.tf":
            source = os.path.relpath(module, root)
            text, found = MODULE_CALL.subn(
                f'module "cognito_federation" {{\n  source = "{source}"\n'
                f'  for_each = toset([for i in range({copies}) : format("%03d", i)])',
                text,
            )
            if found != 1:
                raise RuntimeError("examples/complete/main.tf no longer starts its module call")
        (root / path.name).write_text(text)
    shutil.copy2(EXAMPLE / "terraform.tfvars.example", root / "terraform.tfvars")
    started = time.perf_counter()
    text = plan_json_text(root)
    seconds = time.perf_counter() - started
    plan = workdir / f"plan-{copies}.json"
    plan.write_text(text)
    return plan, seconds


# ----------------------------------------------------------------------------- running


def command(variant: str, tree: Path, check_report: Path | None = None) -> list[str]:
    """The command of a variant; `check_report` receives the project checks' own time."""
    arguments = ["-d", str(tree), "--framework", "terraform", "--skip-download", "--quiet"]
    if variant == "builtin":
        return [sys.executable, "-m", "checkov.main", *arguments]
    if variant == "project":
        arguments += ["--external-checks-dir", str(POLICIES)]
        if check_report is None:
            return [sys.executable, "-m", "checkov.main", *arguments]
        timer = [sys.executable, "-m", "bench.check_timer", str(check_report)]
        return [*timer, *arguments]
    if variant in ("gate", "offline"):
        return [
            sys.executable,
            "-m",
            "cogfed_gate.gate",
            "--timeout",
            str(GATE_TIMEOUT_S),
            *(["--static"] if variant == "gate" else []),
            str(tree),
        ]
    if variant == "plan":
        plan = tree.parent / f"plan-{tree.name.removeprefix('tree-')}.json"
        return [sys.executable, "-m", "cogfed_gate.gate", "--plan", str(plan)]
    raise ValueError(f"unknown variant {variant!r}; expected one of {VARIANTS}")


def _process_table() -> dict[int, tuple[int, int]]:
    """pid -> (parent pid, resident bytes) of every process readable in /proc."""
    page = os.sysconf("SC_PAGE_SIZE")
    table: dict[int, tuple[int, int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                stat = handle.read()
            with open(f"/proc/{entry}/statm") as handle:
                resident_pages = int(handle.read().split()[1])
        except (OSError, IndexError, ValueError):
            continue  # the process ended while being read
        # The command name may hold spaces and parentheses: fields follow the last ")".
        parent = int(stat[stat.rfind(")") + 2 :].split()[1])
        table[int(entry)] = (parent, resident_pages * page)
    return table


def tree_rss(root: int) -> int:
    table = _process_table()
    children: dict[int, list[int]] = {}
    for pid, (parent, _) in table.items():
        children.setdefault(parent, []).append(pid)
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        total += table.get(pid, (0, 0))[1]
        stack += children.get(pid, [])
    return total


def run_measured(
    variant: str, copies: int, tree: Path, workdir: Path, timeout: float | None = None
) -> GateRun:
    """Run one variant under the measuring wrapper; stop it after `timeout` seconds.

    The wrapper starts a session of its own, so a run over its time is ended by killing
    exactly that process group: the wrapper and the scan it started.
    """
    # Not `plan-N.json`: that is the plan the `plan` variant reads.
    report = workdir / f"measured-{variant}-{copies}.json"
    check_report = workdir / f"measured-{variant}-{copies}-checks.json"
    check_report.unlink(missing_ok=True)
    env = dict(os.environ, ANSI_COLORS_DISABLED="1", LOG_LEVEL="WARNING")
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-c", WRAPPER, str(report), *command(variant, tree, check_report)],
        cwd=REPO_ROOT,
        env=env,
        start_new_session=True,
    )
    peak = 0
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not stop.is_set():
            peak = max(peak, tree_rss(process.pid))
            stop.wait(SAMPLE_INTERVAL_S)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    timed_out = False
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    wall = time.perf_counter() - started
    stop.set()
    sampler.join()
    error_file = Path(f"{report}.err")
    stderr = error_file.read_text(errors="replace") if error_file.is_file() else ""
    if timed_out:
        return GateRun(variant, copies, wall, 0, peak, -1, "", timed_out=True)
    if process.returncode != 0 or not report.is_file():
        raise RuntimeError(f"the measuring wrapper for {variant} failed ({process.returncode})")
    result = json.loads(report.read_text())
    checks = json.loads(check_report.read_text()) if check_report.is_file() else None
    return GateRun(
        variant=variant,
        copies=copies,
        wall_seconds=wall,
        peak_process_bytes=int(result["peak_process_kib"]) * 1024,
        peak_tree_bytes=peak,
        returncode=int(result["returncode"]),
        stderr_tail="\n".join(stderr.strip().splitlines()[-5:]),
        check_seconds=float(checks["seconds"]) if checks else None,
    )


def predicted_seconds(timing: GateTiming, copies: int, rounds: int = 1) -> float | None:
    """Time all variants would take on `copies` in `rounds` rounds, extrapolated from the two
    largest sizes run.

    Growth is fitted per variant as a power of the number of copies, which is what the
    measured sizes show; with one size only, growth is taken as linear.
    """
    sizes = sorted({r.copies for r in timing.runs})
    if not sizes:
        return None
    total = 0.0
    for variant in VARIANTS:
        if variant == "offline":
            continue  # one size only
        runs = [timing.run(variant, n) for n in sizes[-2:]]
        known = [r for r in runs if r is not None]
        if not known:
            return None
        last = known[-1]
        exponent = 1.0
        if len(known) == 2 and known[0].copies != last.copies and known[0].wall_seconds > 0:
            exponent = max(
                1.0,
                math.log(last.wall_seconds / known[0].wall_seconds)
                / math.log(last.copies / known[0].copies),
            )
        total += last.wall_seconds * (copies / last.copies) ** exponent
    return total * rounds


def measure(
    sizes: Iterable[int],
    budget_seconds: float | None = None,
    progress: Callable[[str], None] = lambda _: None,
    rounds: int = 2,
) -> GateTiming:
    """Time every variant on each size, smallest first, within `budget_seconds` per size.

    Each round runs the variants one after the other, so drift on the machine reaches all
    of them alike; `GateTiming.run` keeps the fastest round. A size whose predicted time
    exceeds the budget is skipped, with the prediction recorded; a size that runs longer
    than predicted has its remaining runs stopped when the budget is spent, and they are
    recorded as lower bounds.
    """
    if rounds < 1:
        raise ValueError("rounds must be at least 1")
    timing = GateTiming()
    with tempfile.TemporaryDirectory(prefix="cogfed-bench-gate-") as tmp:
        workdir = Path(tmp)
        module = write_module(workdir)
        for copies in sorted(set(sizes)):
            guess = predicted_seconds(timing, copies, rounds)
            if budget_seconds is not None and guess is not None and guess > budget_seconds:
                timing.skipped[copies] = (
                    f"predicted {duration(guess)} for {rounds} round(s) of the three "
                    "variants, over the "
                    f"{duration(budget_seconds)} budget"
                )
                progress(f"   {copies_text(copies)}: skipped, {timing.skipped[copies]}")
                continue
            tree = write_tree(workdir, module, copies)
            progress(f"   {copies_text(copies)}: planning the same deployments offline")
            _, timing.plan_seconds[copies] = write_plan(workdir, module, copies)
            started = time.monotonic()
            for round_number in range(1, rounds + 1):
                for variant in VARIANTS:
                    if variant == "offline" and copies != OFFLINE_COPIES:
                        continue
                    left = None
                    if budget_seconds is not None:
                        left = max(1.0, budget_seconds - (time.monotonic() - started))
                    run = run_measured(variant, copies, tree, workdir, timeout=left)
                    run.round = round_number
                    timing.runs.append(run)
                    state = "stopped: budget spent" if run.timed_out else f"exit {run.returncode}"
                    progress(
                        f"   {copies_text(copies)}, round {round_number}, "
                        f"{VARIANT_LABELS[variant]}: {run.wall_seconds:.1f} s, {state}"
                    )
            shutil.rmtree(tree)
    return timing
