"""The deployment's `LINKING_SECRET`: where the tool gets it, and what it is used for.

The triggers name the native users they create with an HMAC of the email under this secret
(lambda_src/pseudonyms.py), so that a retried or racing creation of the same person collides
on one username instead of making two users. A user the tool creates must get the very name
the trigger would give, or a sign-in that ListUsers does not yet show it to (FACTS §6) creates
a second one: so nothing creates users without the deployment's own secret.

It is read as the audit reads `IDENTITY_PROVIDERS` (live_config.py): from the pre sign-up
function's environment (Lambda GetFunctionConfiguration); or given with
`--linking-secret-file` or the `LINKING_SECRET` environment variable, which must then equal
the function's wherever that can be read. Where the function's configuration cannot be read,
a given secret (a stale one left in a shell, another stage's) is taken for creating users only
once it reproduces the username of a user the trigger created in the pool, or when the
operator says so (`--unconfirmed-linking-secret`).

It signs nothing of the tool's: every reader of the function's configuration holds it. Plans
and journals are signed with the operator's key (operator_key.py).
"""

from __future__ import annotations

import os
import re
import sys
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from pathlib import Path

from cogfed_pool.aws import Cognito, environment
from cogfed_pool.live_config import LiveConfig
from cogfed_pool.trigger_rules import account_linking

# The trigger's own module, which names the variable and the shortest secret it takes.
pseudonyms = sys.modules[account_linking.native_username.__module__]
VARIABLE: str = pseudonyms.SECRET_VARIABLE
# The trigger ignores a shorter secret (and draws a random key per container instead).
MIN_LENGTH: int = pseudonyms._MIN_SECRET_LENGTH
UUID_SHAPE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
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
    # Given by the operator while the function's own value could not be read.
    unconfirmed: bool = False

    def refusal(self) -> str | None:
        """Why the tool may not create users, or None."""
        if self.value is None:
            return f"the deployment's {VARIABLE} is unknown ({self.source}): {GIVE_IT}"
        if self.creating_refused is None and self.unconfirmed:
            return (
                f"{VARIABLE} from {self.source} could not be checked against the pre sign-up "
                "function's (its configuration could not be read) and reproduces the username "
                "of no user the trigger created in the pool: allow "
                "lambda:GetFunctionConfiguration on the function, or, sure that it is the "
                "deployment's, pass --unconfirmed-linking-secret"
            )
        return self.creating_refused


def confirm_secret(cognito: Cognito, secret: LinkingSecret, *, take_it: bool) -> LinkingSecret:
    """`secret`, confirmed if it was given unconfirmed: by the operator's word (`take_it`),
    or by the username of a user the trigger created (an HMAC of its email under the secret,
    lambda_src/pseudonyms.py). Pages the pool's users until one matches."""
    if not secret.unconfirmed or secret.value is None:
        return secret
    if take_it:
        return replace(
            secret, unconfirmed=False, source=f"{secret.source}, --unconfirmed-linking-secret"
        )
    with environment({VARIABLE: secret.value}):
        for page in cognito.pages("list_users", "Users", UserPoolId=cognito.pool_id):
            for user in page:
                name = str(user.get("Username", ""))
                if not UUID_SHAPE.fullmatch(name):
                    continue  # the trigger names the users it creates with a UUID's shape
                attributes = {a["Name"]: a.get("Value", "") for a in user.get("Attributes", [])}
                email = attributes.get("email")
                if email and pseudonyms.native_username(cognito.pool_id, email) == name:
                    return replace(
                        secret,
                        unconfirmed=False,
                        source=f"{secret.source}, confirmed by the trigger's user {name}",
                    )
    return secret


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
        return LinkingSecret(value, source, refused, unconfirmed=variables is None)
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
