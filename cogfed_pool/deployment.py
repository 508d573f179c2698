"""The deployment's `LINKING_SECRET`: where the tool gets it, and what it is used for.

The triggers name the native users they create with an HMAC of the email under this secret
(lambda_src/pseudonyms.py), so that a retried or racing creation of the same person collides
on one username instead of making two users. A user the tool creates must get the very name
the trigger would give, or a sign-in that ListUsers does not yet show it to (FACTS §6) creates
a second one: so nothing creates users without the deployment's own secret.

It is read as the audit reads `IDENTITY_PROVIDERS` (live_config.py): from the pre sign-up
function's environment (Lambda GetFunctionConfiguration); or given with
`--linking-secret-file` or the `LINKING_SECRET` environment variable, which must then equal
the function's wherever that can be read.

The repair journal is signed under a key derived from it (journal.py), so that only someone
holding the secret can write a journal line a run acts on.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import sys
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

from cogfed_pool.aws import Cognito, environment
from cogfed_pool.live_config import LiveConfig
from cogfed_pool.trigger_rules import account_linking

# The trigger's own module, which names the variable and the shortest secret it takes.
pseudonyms = sys.modules[account_linking.native_username.__module__]
VARIABLE: str = pseudonyms.SECRET_VARIABLE
# The trigger ignores a shorter secret (and draws a random key per container instead).
MIN_LENGTH: int = pseudonyms._MIN_SECRET_LENGTH
GIVE_IT = (
    f"give it with --linking-secret-file (a file holding the pre sign-up function's "
    f"{VARIABLE}) or the {VARIABLE} environment variable, or allow "
    "lambda:GetFunctionConfiguration on the function"
)


class SecretError(ValueError):
    pass


@dataclass(frozen=True)
class LinkingSecret:
    value: str | None
    source: str  # where it came from, or why it is unknown
    # Why users may not be created with it even when known (the trigger runs without one).
    creating_refused: str | None = None

    def refusal(self) -> str | None:
        """Why the tool may not create users, or None."""
        if self.value is None:
            return f"the deployment's {VARIABLE} is unknown ({self.source}): {GIVE_IT}"
        return self.creating_refused

    def journal_key(self) -> bytes:
        if self.value is None:
            raise SecretError(
                f"the deployment's {VARIABLE} is unknown ({self.source}); the journal is "
                f"signed with it, so that an edited journal cannot steer the run: {GIVE_IT}"
            )
        return hmac.new(self.value.encode(), b"cogfed-pool journal", hashlib.sha256).digest()


def given_secret(path: Path | None) -> tuple[str, str] | None:
    """(secret, where from) given by the operator: --linking-secret-file, else the variable."""
    if path is not None:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeError) as problem:
            raise SecretError(f"--linking-secret-file {path}: {problem}") from problem
        return text.rstrip("\r\n"), f"--linking-secret-file {path}"
    value = os.environ.get(VARIABLE)
    return (value, f"the {VARIABLE} environment variable") if value else None


def find_linking_secret(
    cognito: Cognito, config: LiveConfig, given: tuple[str, str] | None
) -> LinkingSecret:
    function, variables, unread = _function_environment(cognito, config)
    deployed = variables.get(VARIABLE) if variables is not None else None
    if given is not None:
        value, source = given
        if len(value) < MIN_LENGTH:
            raise SecretError(
                f"{VARIABLE} from {source} has {len(value)} characters; the trigger ignores "
                f"one shorter than {MIN_LENGTH} (it draws a random key per container instead)"
            )
        if deployed is not None and deployed != value:
            raise SecretError(
                f"{VARIABLE} from {source} is not the one the pre sign-up function "
                f"{function} runs with: users created with it would get other usernames than "
                "the trigger gives. Give the function's value, or none (it is then read from "
                "the function)"
            )
        refused = None
        if variables is not None and deployed is None:
            refused = _runs_without(function)
        return LinkingSecret(value, source, refused)
    if deployed is not None and len(deployed) >= MIN_LENGTH:
        return LinkingSecret(deployed, f"the pre sign-up function {function}")
    if variables is not None:
        return LinkingSecret(None, _runs_without(function), _runs_without(function))
    return LinkingSecret(None, unread)


def _runs_without(function: str | None) -> str:
    return (
        f"the pre sign-up function {function} runs without a {VARIABLE} of {MIN_LENGTH} or more "
        "characters, so the usernames it generates differ per container and no user the tool "
        f"created could match them: set {VARIABLE} on the functions (the module does)"
    )


def _function_environment(
    cognito: Cognito, config: LiveConfig
) -> tuple[str | None, dict[str, str] | None, str]:
    """(function name, its environment, or None and why it could not be read)."""
    from botocore.exceptions import BotoCoreError, ClientError

    arn = config.pre_signup_arn
    if arn is None:
        return None, None, "the pool has no pre sign-up trigger"
    try:
        function = cognito.lambda_client.get_function_configuration(FunctionName=arn)
    except (ClientError, BotoCoreError) as problem:
        return None, None, f"the pre sign-up function's configuration could not be read: {problem}"
    variables = (function.get("Environment") or {}).get("Variables") or {}
    return str(function.get("FunctionName", arn)), dict(variables), ""


def trigger_secret(secret: LinkingSecret) -> AbstractContextManager[None]:
    """The secret where the trigger code reads it (its environment variable), for a block;
    the variable as it was before, after it."""
    return environment({VARIABLE: secret.value})
