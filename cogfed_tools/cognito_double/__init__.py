"""A faithful Cognito test double: moto extended with what federated sign-in needs.

- `CognitoDouble`: moto's cognito-idp plus AdminLinkProviderForUser,
  AdminDisableProviderForUser, case-insensitive pools, email-alias pools, the pre sign-up
  re-entry on AdminCreateUser, and injected faults (throttling, slowness, lost answers,
  races). Works with `moto.mock_aws()` and with `moto_server()`.
- `FederatedSignInSimulator`: Cognito's side of sign-ins around the real triggers in
  `lambda_src/`, reporting which user the tokens are for, the AWS calls the triggers made,
  the outcome and whether a duplicate user appeared.
- `counting()`: AWS calls by operation, counted at the botocore layer.
- `in_memory_cognito()`: moto + the double + fake credentials, for scripts (demo, benchmarks).

Importing this package puts `lambda_src/` on sys.path (the Lambda package root).
"""

from .api_calls import LAMBDA_SRC, ApiCalls, counting, ensure_hook
from .double import DEFAULT_REGION, CognitoDouble, UserView, in_memory_cognito
from .seed_trigger import naive_pre_signup_handler
from .server import moto_server
from .simulator import (
    DEFAULT_PASSWORD,
    FederatedSignInSimulator,
    LambdaContext,
    SignInResult,
    TriggerCall,
)

__all__ = [
    "DEFAULT_PASSWORD",
    "DEFAULT_REGION",
    "LAMBDA_SRC",
    "ApiCalls",
    "CognitoDouble",
    "FederatedSignInSimulator",
    "LambdaContext",
    "SignInResult",
    "TriggerCall",
    "UserView",
    "counting",
    "ensure_hook",
    "in_memory_cognito",
    "moto_server",
    "naive_pre_signup_handler",
]
