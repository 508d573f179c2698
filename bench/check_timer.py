"""Run checkov in this process and time the project's checks inside it.

    python -m bench.check_timer REPORT CHECKOV_ARGUMENT...

The wall-time ratio of two checkov runs carries the machine's noise (rounds of the same
scan differ by 20% on a shared machine), while what the project's checks add is the time
spent inside them. This wraps checkov's entry point for resource and module checks and
times the calls of checks whose ID holds `_COGFED_` (including the first call, which
indexes checkov's graph), runs checkov exactly as `python -m checkov.main` would, and
writes {"seconds": ..., "calls": ...} to REPORT when the process exits. checkov imports
every file of the policies directory by file name, re-importing `cogfed_lib`, so the
checks' own classes are not the place to wrap.
"""

from __future__ import annotations

import atexit
import json
import runpy
import sys
import time
from pathlib import Path
from typing import Any


def _time_entry_points(spent: dict[str, float]) -> None:
    from checkov.terraform.checks.module.base_module_check import BaseModuleCheck
    from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

    for cls in (BaseResourceCheck, BaseModuleCheck):
        original = cls.scan_entity_conf

        def timed(self: Any, conf: Any, entity_type: str, _original: Any = original) -> Any:
            if "_COGFED_" not in str(getattr(self, "id", "")):
                return _original(self, conf, entity_type)
            started = time.perf_counter()
            try:
                return _original(self, conf, entity_type)
            finally:
                spent["seconds"] += time.perf_counter() - started
                spent["calls"] += 1

        cls.scan_entity_conf = timed  # type: ignore[method-assign]


def main(argv: list[str]) -> None:
    if len(argv) < 2:
        raise SystemExit(__doc__)
    report, checkov_arguments = Path(argv[0]), argv[1:]
    spent = {"seconds": 0.0, "calls": 0}
    _time_entry_points(spent)
    atexit.register(lambda: report.write_text(json.dumps(spent)))
    sys.argv = ["checkov", *checkov_arguments]
    runpy.run_module("checkov.main", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main(sys.argv[1:])
