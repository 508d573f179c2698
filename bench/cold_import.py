"""Cold import of each trigger module in a fresh interpreter, against eager-SDK baselines.

A Lambda cold start imports the handler's module before the first event. The deployment
package holds sources only (modules/trigger-functions zips `lambda_src/` without
`__pycache__`) and the function's file system is read-only, so every cold start compiles
the trigger's own modules, while the runtime's boto3 comes precompiled. The measurement
copies each module's directory without caches and forbids writing bytecode, so the triggers
compile from source on every run while boto3 uses its installed caches, as in Lambda. One
more figure shows the pre token handler with its bytecode compiled beforehand, i.e. what
shipping `__pycache__` would save. Each run is a new interpreter; runs of the modules
alternate so drift affects all of them alike.
"""

from __future__ import annotations

import compileall
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from bench.sign_in_world import BASELINES, REPO_ROOT

LAMBDA_SRC = REPO_ROOT / "lambda_src"
IMPORT_SCRIPT = """
import json, sys, time
started = time.perf_counter()
__import__(sys.argv[1])
elapsed = time.perf_counter() - started
sdk = any(m == "boto3" or m.startswith(("boto3.", "botocore")) for m in sys.modules)
print(json.dumps({"seconds": elapsed, "sdk_loaded": sdk}))
"""


@dataclass(frozen=True)
class Subject:
    key: str
    label: str
    module: str
    source: Path  # directory holding the module
    precompiled: bool = False  # bytecode compiled before the runs


SUBJECTS = (
    Subject(
        "pre_token_generation", "project pre token generation", "pre_token_generation", LAMBDA_SRC
    ),
    Subject("pre_signup", "project pre sign-up", "pre_signup", LAMBDA_SRC),
    Subject("eager_boto3", "baseline: handler importing boto3", "eager_boto3_handler", BASELINES),
    Subject(
        "seed_pre_token_generation",
        "seed pre token generation (boto3 + 2 clients)",
        "seed_pre_token_generation",
        BASELINES,
    ),
    Subject("seed_pre_signup", "seed pre sign-up (boto3 + client)", "seed_pre_signup", BASELINES),
    Subject(
        "pre_token_generation_precompiled",
        "project pre token generation, bytecode shipped",
        "pre_token_generation",
        LAMBDA_SRC,
        precompiled=True,
    ),
)
BASELINE_KEY = "eager_boto3"


@dataclass
class ImportTimes:
    subject: Subject
    seconds: list[float] = field(default_factory=list)
    sdk_loaded: bool = False

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)


def _environment(path: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AWS_", "PYTHON")) and k not in ("IDENTITY_PROVIDERS",)
    }
    env.update(
        {
            "PYTHONPATH": str(path),
            "PYTHONDONTWRITEBYTECODE": "1",
            # Creating a client at import needs a region; no credentials are read then.
            "AWS_REGION": "eu-west-1",
            "AWS_DEFAULT_REGION": "eu-west-1",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
        }
    )
    return env


def _copy_sources(source: Path, target: Path) -> Path:
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return target


def measure(runs: int = 15) -> dict[str, ImportTimes]:
    if runs < 1:
        raise ValueError("runs must be at least 1")
    results = {s.key: ImportTimes(s) for s in SUBJECTS}
    with tempfile.TemporaryDirectory(prefix="cogfed-bench-import-") as tmp:
        copies: dict[tuple[Path, bool], Path] = {}
        for subject in SUBJECTS:
            place = (subject.source, subject.precompiled)
            if place not in copies:
                copies[place] = _copy_sources(subject.source, Path(tmp) / f"src{len(copies)}")
                if subject.precompiled:
                    compileall.compile_dir(copies[place], quiet=1)
        for _ in range(runs):
            for subject in SUBJECTS:
                path = copies[(subject.source, subject.precompiled)]
                done = subprocess.run(
                    [sys.executable, "-c", IMPORT_SCRIPT, subject.module],
                    cwd=tmp,
                    env=_environment(path),
                    capture_output=True,
                    text=True,
                    timeout=120,
                    check=False,
                )
                if done.returncode != 0:
                    raise RuntimeError(f"importing {subject.module} failed:\n{done.stderr}")
                report = json.loads(done.stdout.strip().splitlines()[-1])
                results[subject.key].seconds.append(float(report["seconds"]))
                results[subject.key].sdk_loaded = bool(report["sdk_loaded"])
    return results
