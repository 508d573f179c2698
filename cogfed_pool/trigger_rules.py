"""The triggers' own modules and facts table, so that the pool tool decides exactly as they do.

The trigger code is a Lambda package of flat modules (CONTRACT §1: `lambda_src/` is the
package root), so it cannot be a subpackage here; its directory is put on `sys.path` instead:
`cogfed_pool/triggers/` in an installed wheel (the same files), `lambda_src/` beside this
package in a checkout. The tool is its own process, so those module names (`errors`,
`idp_config`, ...) serve only it.
"""

from __future__ import annotations

import sys
from pathlib import Path
from types import ModuleType
from typing import Any


def triggers_dir() -> Path:
    here = Path(__file__).resolve().parent
    for candidate in (here / "triggers", here.parent / "lambda_src"):
        if (candidate / "account_linking.py").is_file():
            return candidate
    raise ImportError(
        "the trigger modules are missing: reinstall the package, or run from a checkout that "
        "holds lambda_src/"
    )


def _load() -> dict[str, ModuleType]:
    directory = str(triggers_dir())
    if directory not in sys.path:
        sys.path.insert(0, directory)
    import account_linking
    import ascii_case
    import cognito_api
    import cognito_facts
    import errors
    import federated_identity
    import idp_config

    return {
        "account_linking": account_linking,
        "ascii_case": ascii_case,
        "cognito_api": cognito_api,
        "cognito_facts": cognito_facts,
        "errors": errors,
        "federated_identity": federated_identity,
        "idp_config": idp_config,
    }


MODULES = _load()
account_linking: Any = MODULES["account_linking"]
ascii_case: Any = MODULES["ascii_case"]
cognito_api: Any = MODULES["cognito_api"]
errors: Any = MODULES["errors"]
federated_identity: Any = MODULES["federated_identity"]
idp_config: Any = MODULES["idp_config"]
FACTS: dict[str, Any] = MODULES["cognito_facts"].FACTS

FEDERATED_STATUS: str = account_linking.FEDERATED_STATUS
MAX_IDENTITIES: int = account_linking.MAX_IDENTITIES
LINKABLE_STATUSES: frozenset[str] = account_linking.LINKABLE_STATUSES
PoolUser: Any = account_linking.PoolUser


def case_safe_subjects(provider_type: str) -> bool:
    """Whether a type's subjects survive lower-casing (digits: Google, Facebook; FACTS §3)."""
    fact = FACTS["provider_types"].get(provider_type, {})
    return bool(fact.get("subject_case_safe"))
