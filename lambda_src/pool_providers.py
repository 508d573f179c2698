"""Which identity providers exist in the pool: a userName must fit exactly one of them, of the
configured type.

A federated userName is `<ProviderName>_<subject>`, lower-cased in a case-insensitive pool, and
provider names and subjects may contain `_` (FACTS §2). Matching the configured names alone
lets a provider that exists in the pool but is not configured borrow a configured one's trust:
a sign-in through `Okta_Partner` with subject `7` reads as `Okta` with subject `Partner_7`.
The event does not name the provider, so the pool's own list decides (FACTS §2).

The list (ListIdentityProviders) is read once per container and pool, and read again when it
is older than LIST_TTL_S or lacks the configured provider (created after the last read). A
provider added to the pool is therefore seen within LIST_TTL_S; until then a sign-in through it
could only be taken for a configured provider whose name plus `_` begins its own name, which
the module's validation keeps out of the configuration and the README warns against in the
pool.
"""

from __future__ import annotations

import time
from typing import Any

from cognito_api import Deadline, call
from errors import SignInRefused
from idp_config import ProviderConfig, names_user_name

LIST_TTL_S = 60.0
PAGE_SIZE = 60  # the API's maximum (ListProvidersLimitType)
# A pool holds at most 300 identity providers (Cognito quotas); more pages than that means
# the answer cannot be trusted to be complete.
MAX_PAGES = 6

_listed: dict[str, tuple[float, dict[str, str]]] = {}


def ensure_sole_match(
    pool_id: str, provider: ProviderConfig, user_name: str, deadline: Deadline
) -> None:
    """Refuse the sign-in when a provider other than `provider` also fits `user_name`, or when
    the pool's provider of that name is not of the configured type."""
    types = provider_types(pool_id, deadline)
    if types.get(provider.name) != provider.type:
        types = provider_types(pool_id, deadline, fresh=True)
    if any(name != provider.name and names_user_name(name, user_name) for name in types):
        raise SignInRefused(
            "Sign-in refused: the identity provider could not be determined because two "
            "provider names in this user pool overlap. Please contact support.",
            reason="ambiguous_provider",
        )
    if provider.name not in types:
        # Even a fresh list lacks it (created seconds ago, eventually consistent): its type
        # cannot be confirmed yet.
        raise SignInRefused(
            "Sign-in could not be completed because this identity provider was set up only "
            "moments ago. Please try again in a minute.",
            reason="provider_not_listed",
        )
    if types[provider.name] != provider.type:
        # The trust the configuration gives a name belongs to the type it was given for: a
        # SAML directory trusted `always` must not lend that trust to a provider of the same
        # name that is really another kind (FACTS §8).
        raise SignInRefused(
            "Sign-in refused: this identity provider is set up differently in the user pool "
            "than in the application's configuration. Please contact support.",
            reason="provider_type_mismatch",
        )


def provider_types(pool_id: str, deadline: Deadline, *, fresh: bool = False) -> dict[str, str]:
    """ProviderName -> ProviderType of the pool's identity providers, from a cache younger than
    LIST_TTL_S."""
    now = time.monotonic()
    cached = _listed.get(pool_id)
    if cached is not None and not fresh and now - cached[0] < LIST_TTL_S:
        return cached[1]
    types: dict[str, str] = {}
    token: str | None = None
    for _ in range(MAX_PAGES):
        params: dict[str, Any] = {"UserPoolId": pool_id, "MaxResults": PAGE_SIZE}
        if token:
            params["NextToken"] = token
        page = call("cognito-idp", "list_identity_providers", deadline, **params)
        types.update(
            (str(p.get("ProviderName", "")), str(p.get("ProviderType", "")))
            for p in page.get("Providers", [])
        )
        token = page.get("NextToken")
        if not token:
            _listed[pool_id] = (now, types)
            return types
    raise SignInRefused(
        "Sign-in refused: this user pool's identity providers could not all be read. Please "
        "contact support.",
        reason="provider_list_incomplete",
    )
