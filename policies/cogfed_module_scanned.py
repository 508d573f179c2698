"""CKV_COGFED_5: every module call's source was scanned.

FACTS.md §9: checkov downloads no registry or git module unless --download-external-modules is
true, and then checks nothing inside it; every rule would pass without having looked.
"""

from __future__ import annotations

from typing import Any

from cogfed_lib import CogfedModuleCheck, Outcome, attr


class ModuleSourceScanned(CogfedModuleCheck):
    rule_id = "CKV_COGFED_5"

    def evaluate(self, conf: dict[str, Any], out: Outcome) -> None:
        resolved = conf.get("__resolved__")
        if resolved:
            return
        source = attr(conf, "source", "?")
        if isinstance(source, str) and source.startswith(("./", "../")):
            out.violate(
                f"the local module source {source} was not found or holds no .tf file, so "
                "nothing in it was checked"
            )
        else:
            out.violate(
                f"module source {source!s} was not downloaded, so nothing in it was checked: "
                "pass --download-external-modules true, or vendor the module and call it by a "
                "local path"
            )


ModuleSourceScanned()
