"""Size of the trigger deployment package, zipped as Terraform's archive_file zips it.

modules/trigger-functions zips `lambda_src/` with `excludes = ["__pycache__",
"**/__pycache__/**", "**/*.pyc"]` (CONTRACT §1: no third-party packages inside; boto3 comes
from the runtime). The same files are deflated here, in memory.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

from bench.cold_import import LAMBDA_SRC


@dataclass(frozen=True)
class PackageSize:
    files: int
    source_bytes: int
    zip_bytes: int


def _included(path: Path, root: Path) -> bool:
    relative = path.relative_to(root)
    return "__pycache__" not in relative.parts and path.suffix != ".pyc"


def measure(root: Path = LAMBDA_SRC) -> PackageSize:
    files = sorted(p for p in root.rglob("*") if p.is_file() and _included(p, root))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in files:
            archive.write(path, path.relative_to(root).as_posix())
    return PackageSize(
        files=len(files),
        source_bytes=sum(p.stat().st_size for p in files),
        zip_bytes=len(buffer.getvalue()),
    )
