"""`CognitoDouble`: pools, identity providers, injected faults and views of users.

Open it inside moto (decorator `mock_aws()` or a `moto_server()`); it installs the patches of
`backend.py` for as long as it is open. Pools and users are set up directly on moto's backend
(same process in both modes), while the code under test talks to Cognito through boto3.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from moto.cognitoidp.models import CognitoIdpUser, cognitoidp_backends
from moto.cognitoidp.models import CognitoIdpUserPoolAttribute as Attribute
from moto.core import DEFAULT_ACCOUNT_ID

from . import backend
from .backend import FEDERATED_STATUS, Fault, Message

DEFAULT_REGION = "eu-west-1"


@dataclass(frozen=True)
class UserView:
    """A snapshot of one user, as Cognito would report it."""

    username: str
    status: str
    enabled: bool
    attributes: dict[str, str] = field(default_factory=dict)

    @property
    def email(self) -> str | None:
        return self.attributes.get("email")

    @property
    def sub(self) -> str | None:
        return self.attributes.get("sub")

    @property
    def email_verified(self) -> bool:
        return self.attributes.get("email_verified") == "true"

    @property
    def identities(self) -> list[dict[str, Any]]:
        raw = self.attributes.get("identities")
        return json.loads(raw) if raw else []

    @property
    def linked(self) -> set[tuple[str, str]]:
        """(providerName, userId) of every identity this user carries."""
        return {(i["providerName"], i["userId"]) for i in self.identities}

    @property
    def is_federated(self) -> bool:
        return self.status == FEDERATED_STATUS


def view(user: Any) -> UserView:
    status = getattr(user.status, "value", user.status)
    return UserView(user.username, str(status), bool(user.enabled), dict(user.attribute_lookup))


class CognitoDouble:
    """moto's Cognito plus the behaviour FACTS §9 says it lacks; a context manager."""

    def __init__(self, region: str = DEFAULT_REGION, account_id: str = DEFAULT_ACCOUNT_ID):
        self.region = region
        self.account_id = account_id

    def __enter__(self) -> CognitoDouble:
        backend.install()
        return self

    def __exit__(self, *_: object) -> None:
        backend.uninstall()

    @property
    def backend(self) -> Any:
        return cognitoidp_backends[self.account_id][self.region]

    def pool(self, pool_id: str) -> Any:
        return self.backend.describe_user_pool(pool_id)

    # ------------------------------------------------------------------ setup

    def create_pool(
        self,
        name: str = "federation",
        *,
        case_sensitive: bool = False,
        username_attributes: tuple[str, ...] | None = ("email",),
        alias_attributes: tuple[str, ...] | None = None,
        custom_attributes: Mapping[str, bool] | None = None,
        required_attributes: tuple[str, ...] = (),
        hold_email_changes: bool = True,
        hold_unverified_changes: bool = True,
    ) -> str:
        """A pool like the module's: email sign-in, chosen case sensitivity.

        `custom_attributes` maps a custom attribute's schema name (e.g. "idp_sub") to
        whether it is mutable. Pass `username_attributes=None` and
        `alias_attributes=("email",)` for a pool where email is an alias, and
        `hold_email_changes=False` for one that stores a user's own email change at once,
        unverified, instead of keeping it pending until it is verified (FACTS §8).
        `hold_unverified_changes=False` plays the other reading of an unconfirmed fact
        (FACTS §20): a held-back pool that still applies the change at once when the stored
        email is itself unverified.
        """
        config: dict[str, Any] = {
            "UsernameConfiguration": {"CaseSensitive": case_sensitive},
            "AutoVerifiedAttributes": ["email"],
        }
        if hold_email_changes:
            config["UserAttributeUpdateSettings"] = {
                "AttributesRequireVerificationBeforeUpdate": ["email"]
            }
        if username_attributes:
            config["UsernameAttributes"] = list(username_attributes)
        if alias_attributes:
            config["AliasAttributes"] = list(alias_attributes)
        required = set(required_attributes)
        schema = [
            {**spec, "Name": attr, "Required": bool(spec["Required"]) or attr in required}
            for attr, spec in Attribute.STANDARD_SCHEMA.items()
        ]
        schema += [
            {"Name": attr, "AttributeDataType": "String", "Mutable": mutable}
            for attr, mutable in (custom_attributes or {}).items()
        ]
        config["Schema"] = schema
        pool_id: str = self.backend.create_user_pool(name, config).id
        if not hold_unverified_changes:
            with backend.STATE.lock:
                backend.STATE.hold_verified_only.add(pool_id)
        return pool_id

    def add_identity_provider(
        self,
        pool_id: str,
        name: str,
        provider_type: str,
        attribute_mapping: Mapping[str, str],
        provider_details: Mapping[str, str] | None = None,
    ) -> None:
        self.backend.create_identity_provider(
            pool_id,
            name,
            {
                "ProviderType": provider_type,
                "ProviderDetails": dict(provider_details or {}),
                "AttributeMapping": dict(attribute_mapping),
            },
        )

    def set_pre_signup_trigger(
        self, pool_id: str, trigger: Callable[[dict[str, Any]], Any] | None
    ) -> None:
        """The callable Cognito invokes on SignUp and AdminCreateUser (FACTS §2)."""
        if trigger is None:
            backend.STATE.triggers.get(pool_id, {}).pop("PreSignUp", None)
        else:
            backend.STATE.triggers.setdefault(pool_id, {})["PreSignUp"] = trigger

    # ------------------------------------------------------------------ faults

    def inject_fault(
        self,
        operation: str,
        error_code: str | None = "TooManyRequestsException",
        *,
        message: str = "Rate exceeded",
        times: int = 1,
        after: bool = False,
        delay: float = 0.0,
        status: int = 400,
    ) -> Fault:
        """Answer the next `times` calls of `operation` (e.g. "AdminLinkProviderForUser").

        `after=True` performs the operation and then answers with the error; `delay` sleeps
        first (in server mode a delay past a client's read timeout is a timeout);
        `error_code=None` only delays.
        """
        fault = backend.Fault(operation, error_code, message, times, after, delay, status)
        with backend.STATE.lock:
            backend.STATE.faults.append(fault)
        return fault

    def before_call(self, operation: str, callback: Callable[[], Any], *, times: int = 1) -> None:
        """Run `callback` when `operation` arrives, before Cognito handles it (races)."""
        with backend.STATE.lock:
            backend.STATE.hooks.append(backend.CallHook(operation, callback, times))

    def clear_faults(self) -> None:
        """Drop injected faults, `before_call` hooks and `stale_list_users` snapshots."""
        with backend.STATE.lock:
            backend.STATE.faults.clear()
            backend.STATE.hooks.clear()
            backend.STATE.stale.clear()

    def stale_list_users(self, pool_id: str, times: int = 1) -> None:
        """Make the next `times` ListUsers calls on `pool_id` answer from a snapshot taken now.

        ListUsers results are eventually consistent (FACTS §6): users created after this
        call are missing from those answers, and attribute, status or deletion changes are
        not yet visible. Each call (each page) spends one of `times`; a later call replaces
        the snapshot. Other operations (AdminGetUser included) see the current pool. Holds
        in decorator and server mode alike.
        """
        if times < 1:
            raise ValueError("times must be at least 1")
        users = [backend.stale_copy(u) for u in self.pool(pool_id).users.values()]
        with backend.STATE.lock:
            backend.STATE.stale[pool_id] = backend.StaleListing(users, times)

    def requests(self, operation: str) -> list[dict[str, Any]]:
        """Parameters of every `operation` request received while the double was open."""
        with backend.STATE.lock:
            return [params for op, params in backend.STATE.requests if op == operation]

    # ------------------------------------------------------------------ views

    def users(self, pool_id: str) -> list[UserView]:
        return [view(u) for u in self.pool(pool_id).users.values()]

    def user(self, pool_id: str, username: str) -> UserView:
        found = self.pool(pool_id)._get_user(username)
        if found is None:
            raise KeyError(username)
        return view(found)

    def users_with_email(self, pool_id: str, email: str) -> list[UserView]:
        return [u for u in self.users(pool_id) if (u.email or "").lower() == email.lower()]

    def snapshot(self, pool_id: str) -> dict[str, UserView]:
        """Every user by username, for "nothing changed" comparisons."""
        return {u.username: u for u in self.users(pool_id)}

    def pending(self, pool_id: str, username: str, attribute: str = "email") -> str | None:
        """The value a user's own held-back change awaits verification with (FACTS §8, §20)."""
        pool = self.pool(pool_id)
        user = pool._get_user(username)
        if user is None:
            raise KeyError(username)
        return backend.pending_value(pool, user, attribute)

    # ------------------------------------------------------------------ messages

    def outbox(self, address: str) -> list[Message]:
        """The verification codes Cognito sent to `address` (exactly as written), oldest first.

        Whoever controls the mailbox reads them here; nothing else in the double shows a code.
        """
        with backend.STATE.lock:
            return list(backend.STATE.outbox.get(address, []))

    def last_code(self, address: str) -> str | None:
        """The newest code sent to `address`, or None."""
        messages = self.outbox(address)
        return messages[-1].code if messages else None

    # ------------------------------------------------------------------ direct edits

    def put_user(
        self,
        pool_id: str,
        username: str,
        *,
        status: str = "CONFIRMED",
        attributes: Mapping[str, str] | None = None,
        enabled: bool = True,
    ) -> UserView:
        """Place a user exactly as described, bypassing API checks (test setup only)."""
        user = CognitoIdpUser(
            pool_id,
            username,
            None,
            status,
            [{"Name": k, "Value": v} for k, v in (attributes or {}).items()],
        )
        user.enabled = enabled
        self.pool(pool_id).users[user.username] = user
        return view(user)

    def link(self, pool_id: str, username: str, provider_name: str, subject: str) -> None:
        """Link through the double's AdminLinkProviderForUser rules, without boto3."""
        self.backend.admin_link_provider_for_user(
            pool_id,
            {"ProviderName": "Cognito", "ProviderAttributeValue": username},
            {
                "ProviderName": provider_name,
                "ProviderAttributeName": "Cognito_Subject",
                "ProviderAttributeValue": subject,
            },
        )


@contextmanager
def in_memory_cognito(region: str = DEFAULT_REGION) -> Iterator[CognitoDouble]:
    """moto in decorator mode with the double open and fake credentials: for scripts.

    The demo and the benchmarks run sign-ins without AWS: every call the triggers make goes
    to moto in this process. Credentials and region are set only for the block.
    """
    from moto import mock_aws

    fake = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
    }
    with environment(fake), mock_aws(), CognitoDouble(region=region) as double:
        yield double


@contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    """Set environment variables for a block, restoring the previous ones after it."""
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
