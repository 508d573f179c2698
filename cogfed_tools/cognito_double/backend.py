"""moto's cognito-idp, extended with the Cognito behaviour the triggers depend on.

moto 5.2 lacks AdminLinkProviderForUser and AdminDisableProviderForUser, ignores
`CaseSensitive=false`, has no email-alias pools, compares ListUsers values exactly and never
invokes Lambda triggers (FACTS §9). Nor does it model what a signed-in user can do to their
own account: UpdateUserAttributes writes anything at once, and GetUserAttributeVerificationCode
and VerifyUserAttribute are missing (FACTS §8, §20 say what Cognito does).
The patches below add those to moto's backend and response classes, so they hold in
decorator mode and in server mode alike (the server runs moto in this process). Each rule
cites the FACTS.md heading it imitates; "(unconfirmed)" marks a guess no AWS page states.

Patches are installed while a `CognitoDouble` is open (reference-counted) and removed after.
Lookups by username, searchable attribute and linked identity read indexes of each pool's
users (`PoolUsers`) instead of every user, with the same answers, so that benchmarks can
hold pools of 100,000 users; `stream_users` makes a larger pool's listing on demand.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import re
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from botocore.paginate import TokenDecoder, TokenEncoder
from joserfc import jwk as _jwk
from moto.cognitoidp import models as cognito_models
from moto.cognitoidp.exceptions import (
    CodeMismatchException,
    ExpiredCodeException,
    InvalidParameterException,
    NotAuthorizedError,
    ResourceNotFoundError,
    UsernameExistsException,
    UserNotFoundError,
)
from moto.cognitoidp.responses import CognitoIdpResponse
from moto.cognitoidp.utils import PAGINATION_MODEL, validate_username_format
from moto.core.exceptions import InvalidToken, JsonRESTError
from moto.core.responses import ActionResult, EmptyResult
from moto.utilities.paginator import Paginator

from .facts import NEVER_CLIENT_WRITABLE, STANDARD_ATTRIBUTES

Backend = cognito_models.CognitoIdpBackend
Pool = cognito_models.CognitoIdpUserPool
User = cognito_models.CognitoIdpUser

FEDERATED_STATUS = "EXTERNAL_PROVIDER"
MAX_IDENTITIES = 5  # FACTS §1
MERGING_MESSAGE = (
    "Merging is not currently supported, provide a request with a source user that has not "
    "signed in or been linked before."
)
SEARCHABLE = frozenset(
    {
        "username",
        "email",
        "phone_number",
        "name",
        "given_name",
        "family_name",
        "preferred_username",
        "sub",
        "status",
        "cognito:user_status",
    }
)
# ListUsers compares these exactly: the API reference marks them case-sensitive (FACTS §6).
# Every other searchable attribute is compared without case, in every pool (FACTS §6).
EXACT_SEARCH = frozenset({"username", "cognito:user_status"})
ALIAS_EXISTS_MESSAGE = "An account with the email already exists."
# Attributes a user verifies with a code; each has its flag `<name>_verified` (FACTS §8, §20).
VERIFIABLE = frozenset({"email", "phone_number"})
# "The verification code or link is valid for 24 hours" (developer guide, "Configuring email
# or phone verification").
CODE_VALIDITY_S = 24 * 3600.0
UNAUTHORIZED_WRITE_MESSAGE = "A client attempted to write unauthorized attribute"
CODE_MISMATCH_MESSAGE = "Invalid verification code provided, please try again."
EXPIRED_CODE_MESSAGE = "Invalid code provided, please request a code again."


class LimitExceededException(JsonRESTError):
    def __init__(self, message: str) -> None:
        super().__init__("LimitExceededException", message)


class UserLambdaValidationException(JsonRESTError):
    def __init__(self, message: str) -> None:
        super().__init__("UserLambdaValidationException", message)


class AliasExistsException(JsonRESTError):
    def __init__(self, message: str = ALIAS_EXISTS_MESSAGE) -> None:
        super().__init__("AliasExistsException", message)


def service_error(code: str, message: str, status: int = 400) -> JsonRESTError:
    error = JsonRESTError(code, message)
    error.code = status
    return error


# --------------------------------------------------------------------------- pool settings


def is_case_sensitive(pool: Pool) -> bool:
    # API default when omitted: case-sensitive (FACTS §3).
    return bool(pool.extended_config.get("UsernameConfiguration", {}).get("CaseSensitive", True))


def fold(pool: Pool, value: str) -> str:
    return value if is_case_sensitive(pool) else value.lower()


def search_fold(value: str) -> str:
    """How ListUsers compares values without case, in every pool (FACTS §6).

    (unconfirmed) How Cognito folds non-ASCII letters: `str.lower()` is the widest plausible
    folding, so a trigger that trusts the search to tell "\u212aim@example.com" (KELVIN
    SIGN) from "kim@example.com" fails against the double.
    """
    return value.lower()


def email_alias_pool(pool: Pool) -> bool:
    return "email" in (pool.extended_config.get("AliasAttributes") or [])


def alias_holder(pool: Pool, email: str, *, other_than: User | None = None) -> User | None:
    """The user whose email is `email` as a sign-in alias: verified, native (FACTS §6).

    Compared as the alias lookup compares: without case only in a case-insensitive pool
    (FACTS §6). Federated users hold no alias, as in `_get_user` (unconfirmed).
    """
    wanted = fold(pool, email)
    for user in users_of(pool).holding("email", email):
        if user is other_than or user.status == FEDERATED_STATUS:
            continue
        attributes = user.attribute_lookup
        if attributes.get("email_verified") == "true" and (
            fold(pool, attributes.get("email", "")) == wanted
        ):
            return user
    return None


def stale_copy(user: User) -> User:
    """A user as it was: later attribute or status changes do not show through."""
    copied = copy.copy(user)
    copied.attributes = copy.deepcopy(user.attributes)
    copied.attribute_lookup = dict(user.attribute_lookup)
    copied.groups = set(user.groups)
    return copied


def identities_of(user: User) -> list[dict[str, Any]]:
    raw = user.attribute_lookup.get("identities")
    return json.loads(raw) if raw else []


def set_identities(user: User, identities: list[dict[str, Any]]) -> None:
    if identities:
        user.update_attributes([{"Name": "identities", "Value": json.dumps(identities)}])
    elif "identities" in user.attribute_lookup:
        user.delete_attributes(["identities"])


def holds_identity(user: User, provider_name: str, subject: str) -> bool:
    # Links are matched by provider name and the exact subject, whatever the pool's case
    # setting (FACTS §1, §3).
    return any(
        i.get("providerName") == provider_name and i.get("userId") == subject
        for i in identities_of(user)
    )


# --------------------------------------------------------------------------- shared state


@dataclass
class Fault:
    """An injected answer for one API operation (the Cognito action name)."""

    operation: str
    error_code: str | None
    message: str
    times: int
    after: bool
    delay: float
    status: int
    hits: int = 0


@dataclass
class CallHook:
    operation: str
    callback: Callable[[], Any]
    times: int


@dataclass
class Message:
    """A verification code Cognito sent to an address (email or phone number)."""

    address: str
    pool_id: str
    username: str
    attribute: str
    code: str
    sent_at: float
    used: bool = False


@dataclass
class StaleListing:
    """Users as they were when `CognitoDouble.stale_list_users` was called (FACTS §6)."""

    users: list[User]
    times: int


class _State:
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.installs = 0
        self.faults: list[Fault] = []
        self.hooks: list[CallHook] = []
        # pool id -> trigger name ("PreSignUp") -> callable(event) -> event
        self.triggers: dict[str, dict[str, Callable[[dict[str, Any]], Any]]] = {}
        self.saved: list[tuple[Any, str, Any]] = []
        # (operation, request parameters) of every API request, for assertions on them.
        self.requests: list[tuple[str, dict[str, Any]]] = []
        # pool id -> the snapshot the next ListUsers calls answer from (FACTS §6).
        self.stale: dict[str, StaleListing] = {}
        # (pool id, provider, subject) -> when the federated user holding it was deleted
        # (docs/live-pools.md: sign-ins through it fail for about an hour afterwards).
        self.deleted_identities: dict[tuple[str, str, str], float] = {}
        # Self-service (FACTS §8, §20): codes delivered, by the address they went to; the
        # code each user's attribute awaits, and values held back until verified, both by
        # (pool id, sub, attribute).
        self.outbox: dict[str, list[Message]] = {}
        self.codes: dict[tuple[str, str, str], Message] = {}
        self.pending: dict[tuple[str, str, str], str] = {}
        self.codes_sent = 0
        # Pools where a held-back attribute whose stored value is unverified changes at once
        # (the other reading of an unconfirmed fact, FACTS §20; see `holds_back`).
        self.hold_verified_only: set[str] = set()
        # Counts installs, so that indexes built while an earlier install was open (when
        # unpatched code may have changed users since) are rebuilt (`users_of`).
        self.generation = 0
        # pool id -> its users made on demand for unfiltered ListUsers (`stream_users`).
        self.streams: dict[str, StreamedListing] = {}

    def take_fault(self, operation: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.operation == operation and fault.hits < fault.times:
                    fault.hits += 1
                    return fault
        return None

    def take_hooks(self, operation: str) -> list[CallHook]:
        with self.lock:
            taken = [h for h in self.hooks if h.operation == operation and h.times > 0]
            for hook in taken:
                hook.times -= 1
            return taken

    def take_stale(self, pool_id: str) -> list[User] | None:
        """The stale users for one ListUsers call on `pool_id`, or None when not stale."""
        with self.lock:
            listing = self.stale.get(pool_id)
            if listing is None:
                return None
            listing.times -= 1
            if listing.times <= 0:
                del self.stale[pool_id]
            return list(listing.users)

    def reset(self) -> None:
        with self.lock:
            self.faults.clear()
            self.hooks.clear()
            self.triggers.clear()
            self.requests.clear()
            self.stale.clear()
            self.deleted_identities.clear()
            self.outbox.clear()
            self.codes.clear()
            self.pending.clear()
            self.hold_verified_only.clear()
            self.streams.clear()


STATE = _State()


# --------------------------------------------------------------------------- indexes

# A ListUsers `=` filter on one of these reads the index: the searchable attributes stored on
# the user (the username and the statuses are read off the user itself).
INDEXED = SEARCHABLE - EXACT_SEARCH - {"status"}
# Users whose `identities` cannot be read are candidates for every identity: the scan the
# index replaces would have reached them, and failed on them, too.
_UNREADABLE = ("identities unreadable",)


class PoolUsers(OrderedDict):  # type: ignore[type-arg]
    """A pool's users by username in creation order (moto's `pool.users`), indexed by moto
    id, username, searchable attribute and linked identity.

    The indexes follow every change: users set or removed here, attributes changed through
    moto's `update_attributes` and `delete_attributes` (patched to tell the index). A lookup
    returns every user the scan it replaces could match, in the pool's order, and the caller
    applies the scan's own comparison to them: the same answers, from a few users.
    """

    def __init__(self, users: Any = ()) -> None:
        super().__init__()
        self.generation = STATE.generation
        self._order: dict[str, int] = {}  # key -> its place in the pool's order
        self._first, self._next = 0, 0
        self._keys: dict[str, list[tuple[Any, ...]]] = {}  # key -> its index entries
        self._index: dict[tuple[Any, ...], dict[str, None]] = {}
        # Every user in order, and each moto id's place there, until the next user is set or
        # removed: a listing's pages read it instead of copying every user per page.
        self._listing: tuple[list[User], dict[str, int]] | None = None
        for key, user in dict(users).items():
            self[key] = user

    def __setitem__(self, key: str, user: User) -> None:
        with STATE.lock:
            self._listing = None
            if key in self:
                self._forget(key)
            else:
                self._order[key] = self._next
                self._next += 1
            super().__setitem__(key, user)
            self._remember(key, user)

    def __delitem__(self, key: str) -> None:
        with STATE.lock:
            super().__delitem__(key)
            self._listing = None
            self._forget(key)
            del self._order[key]

    def pop(self, key: str, *default: Any) -> Any:
        if key not in self:
            if default:
                return default[0]
            raise KeyError(key)
        user = self[key]
        del self[key]
        return user

    def popitem(self, last: bool = True) -> tuple[str, User]:
        if not self:
            raise KeyError("dictionary is empty")
        key = next(reversed(self)) if last else next(iter(self))
        return key, self.pop(key)

    def clear(self) -> None:
        for key in list(self):
            del self[key]

    def setdefault(self, key: str, default: Any = None) -> Any:
        if key not in self:
            self[key] = default
        return self[key]

    def update(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        for key, user in dict(*args, **kwargs).items():
            self[key] = user

    def move_to_end(self, key: str, last: bool = True) -> None:
        with STATE.lock:
            super().move_to_end(key, last)
            self._listing = None
            if last:
                self._order[key] = self._next
                self._next += 1
            else:
                self._first -= 1
                self._order[key] = self._first

    def listing(self) -> tuple[list[User], dict[str, int]]:
        """Every user in the pool's order (the caller must not change the list), and where
        each moto id first appears in it."""
        with STATE.lock:
            if self._listing is None:
                users = list(self.values())
                places: dict[str, int] = {}
                for place, user in enumerate(users):
                    places.setdefault(str(user.id), place)
                self._listing = (users, places)
            return self._listing

    def changed(self, key: str, user: User) -> None:
        """`user`, held under `key`, changed its attributes."""
        with STATE.lock:
            if self.get(key) is user:
                self._forget(key)
                self._remember(key, user)

    def matching(self, *entries: tuple[Any, ...]) -> list[User]:
        """The users under any of these index entries, in the pool's order."""
        with STATE.lock:
            found: dict[str, None] = {}
            for entry in entries:
                found.update(self._index.get(entry, {}))
            return [self[key] for key in sorted(found, key=self._order.__getitem__)]

    def holding(self, attribute: str, value: str) -> list[User]:
        """Every user whose `attribute` could equal `value` compared with or without case;
        every user when `value` is empty (an absent attribute compares as empty)."""
        if value == "" or attribute not in INDEXED:
            return list(self.values())
        return self.matching(("value", attribute, search_fold(value)))

    def _remember(self, key: str, user: User) -> None:
        entries = _index_entries(user)
        for entry in entries:
            self._index.setdefault(entry, {})[key] = None
        self._keys[key] = entries
        _HOMES[user] = (weakref.ref(self), key)

    def _forget(self, key: str) -> None:
        for entry in self._keys.pop(key, []):
            held = self._index[entry]
            held.pop(key, None)
            if not held:
                del self._index[entry]


# user -> (the pool's users holding it, its key there), so that an attribute change reaches
# the index; weak both ways, so that a pool moto drops is freed with its users.
_HOMES: weakref.WeakKeyDictionary[User, tuple[weakref.ref[PoolUsers], str]] = (
    weakref.WeakKeyDictionary()
)


def _index_entries(user: User) -> list[tuple[Any, ...]]:
    # Lower-cased: a superset of both comparisons, exact (`fold` in a case-sensitive pool) and
    # without case (`fold` otherwise, `search_fold`).
    entries: list[tuple[Any, ...]] = [("id", str(user.id)), ("name", str(user.username).lower())]
    for name in INDEXED:
        value = user.attribute_lookup.get(name)
        if value is not None and str(value) != "":
            entries.append(("value", name, search_fold(str(value))))
    try:
        held = {("identity", i.get("providerName"), i.get("userId")) for i in identities_of(user)}
    except (ValueError, TypeError, AttributeError):
        return [*entries, _UNREADABLE]
    return [*entries, *held]


def users_of(pool: Pool) -> PoolUsers:
    """The pool's users, indexed (built on first use in each install of the double)."""
    with STATE.lock:
        users = pool.users
        if not isinstance(users, PoolUsers) or users.generation != STATE.generation:
            users = PoolUsers(users)
            pool.users = users
        return users


def identity_holders(pool: Pool, provider_name: str, subject: str) -> list[User]:
    """The users that may hold this identity, in the pool's order (`holds_identity` says)."""
    return users_of(pool).matching(("identity", provider_name, subject), _UNREADABLE)


def _update_attributes(self: User, new_attributes: list[dict[str, Any]]) -> None:
    original(User, "update_attributes")(self, new_attributes)
    _changed(self)


def _delete_attributes(self: User, attrs_to_delete: list[str]) -> None:
    original(User, "delete_attributes")(self, attrs_to_delete)
    _changed(self)


def _changed(user: User) -> None:
    home = _HOMES.get(user)
    users = home[0]() if home is not None else None
    if home is not None and users is not None:
        users.changed(home[1], user)


@dataclass
class StreamedListing:
    """A pool's users made on demand for unfiltered ListUsers, for benchmarks of pools too
    large to hold: `start` gives a fresh iterator over every user, in listing order, and a
    page token holds the position of the page that follows. Nothing else sees these users."""

    start: Callable[[], Iterator[User]]
    _users: Iterator[User] | None = None
    _ahead: list[User] = field(default_factory=list)
    _position: int = 0

    def page(self, limit: int | None, token: str | None) -> tuple[list[User], str | None]:
        position = 0
        if token:
            try:
                position = int(TokenDecoder().decode(token)["streamedPosition"])
            except (ValueError, TypeError, KeyError):
                raise _refused_token(token) from None
        with STATE.lock:
            if self._users is None or position != self._position:
                # Another listing, or one resumed: start again and skip to the position.
                self._users, self._ahead, self._position = self.start(), [], 0
                for _ in range(position):
                    self._next()
            users: list[User] = []
            while len(users) < (limit or PAGINATION_MODEL["list_users"]["limit_default"]):
                user = self._next()
                if user is None:
                    break
                users.append(user)
            self._position = position + len(users)
            following = self._next()
            if following is None:
                return users, None
            self._ahead.append(following)
            return users, TokenEncoder().encode({"streamedPosition": self._position})

    def _next(self) -> User | None:
        if self._ahead:
            return self._ahead.pop()
        return next(self._users, None) if self._users is not None else None


def stream_users(pool_id: str, start: Callable[[], Iterator[User]]) -> None:
    """Serve unfiltered ListUsers on `pool_id` from users `start()` makes, page by page."""
    with STATE.lock:
        STATE.streams[pool_id] = StreamedListing(start)


def _refused_token(token: str) -> JsonRESTError:
    # (unconfirmed) The message aws-sdk-js#3705 reports for a Cognito PaginationToken that
    # stopped working ("Paging marker ... is invalid for request ..."); the error code is the
    # one clients are reported to receive for it (no AWS page states either).
    return InvalidParameterException(f"Paging marker {token} is invalid for request")


# --------------------------------------------------------------------------- lookups


def user_named(pool: Pool, username: str) -> User | None:
    """The user with this username (not an alias), without case where the pool is (FACTS §3)."""
    wanted = fold(pool, username)
    candidates = users_of(pool).matching(("name", str(username).lower()))
    return next((u for u in candidates if fold(pool, u.username) == wanted), None)


def _get_user(self: Pool, username: str) -> User | None:
    """Username, then sign-in attributes; case-insensitive where the pool is (FACTS §3, §6).

    With `UsernameAttributes` the email is a sign-in name; with `AliasAttributes` it is one
    only once verified (FACTS §6). Federated users are never found by alias (unconfirmed:
    they cannot sign in with a password).
    """
    found = user_named(self, username)
    if found is not None:
        return found
    wanted = fold(self, username)
    username_attributes = self.extended_config.get("UsernameAttributes") or []
    alias_attributes = self.extended_config.get("AliasAttributes") or []
    users = users_of(self)
    names = {*username_attributes, *alias_attributes}
    candidates = (
        users.matching(*(("value", name, search_fold(username)) for name in names))
        if username != "" and names <= INDEXED
        else list(users.values())
    )
    for user in candidates:
        if user.status == FEDERATED_STATUS:
            continue
        for name in username_attributes:
            if fold(self, user.attribute_lookup.get(name, "")) == wanted:
                return user
        for name in alias_attributes:
            verified = name == "preferred_username" or (
                user.attribute_lookup.get(f"{name}_verified") == "true"
            )
            if verified and fold(self, user.attribute_lookup.get(name, "")) == wanted:
                return user
    return None


def list_users(
    self: Backend,
    user_pool_id: str,
    filt: str,
    limit: int | None = None,
    pagination_token: str | None = None,
) -> tuple[list[User], str | None]:
    """ListUsers with `=` and `^=` (FACTS §6), comparing without case in every pool.

    `username` and `cognito:user_status` compare exactly (FACTS §6). Results are eventually
    consistent (FACTS §6): after `CognitoDouble.stale_list_users` the next calls answer from
    the snapshot it took. Pages are cut as moto cuts them (the token names the next user); a
    token the pool cannot continue from is refused (`_refused_token`). An `=` filter on a
    stored attribute reads the index (`PoolUsers`); a pool given to `stream_users` lists its
    users made on demand.
    """
    pool = self.describe_user_pool(user_pool_id)
    streamed = STATE.streams.get(pool.id)
    if streamed is not None and not filt:
        return streamed.page(limit, pagination_token)
    stale = STATE.take_stale(pool.id)
    users = users_of(pool) if stale is None else None
    if not filt:
        if users is None:
            return _page(stale or [], limit, pagination_token, None)
        everyone, places = users.listing()
        return _page(everyone, limit, pagination_token, places)
    return _page(_filtered(users, stale, filt), limit, pagination_token, None)


def _filtered(users: PoolUsers | None, stale: list[User] | None, filt: str) -> list[User]:
    match = re.fullmatch(r'\s*([\w:]+)\s*(=|\^=)\s*"([^"\\]*)"\s*', filt)
    if not match:
        # FACTS §6 documents no escaping inside the value: quotes or backslashes fail here.
        raise InvalidParameterException("Error while parsing filter.")
    name, operator, value = match.groups()
    if name not in SEARCHABLE:
        raise InvalidParameterException(f"Invalid search attribute: {name}")

    def field(user: User) -> str:
        if name == "username":
            return user.username
        if name == "cognito:user_status":
            return str(getattr(user.status, "value", user.status))
        if name == "status":
            return "Enabled" if user.enabled else "Disabled"
        return str(user.attribute_lookup.get(name, ""))

    normalise: Callable[[str], str] = (
        (lambda text: text) if name in EXACT_SEARCH else search_fold  # FACTS §6
    )
    if users is None:
        candidates = stale or []
    elif operator == "=":
        candidates = users.holding(name, value)
    else:
        candidates = list(users.values())
    value = normalise(value)
    if operator == "=":
        return [u for u in candidates if normalise(field(u)) == value]
    return [u for u in candidates if normalise(field(u)).startswith(value)]


def _page(
    users: list[User], limit: int | None, token: str | None, places: dict[str, int] | None
) -> tuple[list[User], str | None]:
    """One page, cut by moto's paginator; where the listing is the whole pool, the token's
    user is found by its place (`PoolUsers.listing`) rather than by reading the users before
    it, the paginator then finding it first."""
    model = PAGINATION_MODEL["list_users"]
    try:
        paginator = Paginator(
            max_results=limit,
            max_results_default=model["limit_default"],
            starting_token=token,
            unique_attribute=model["unique_attribute"],
            param_values_to_check={},
        )
        if token and places is not None:
            users = users[_position(token, places) :]
        page, following = paginator.paginate(users)
    except InvalidToken:
        raise _refused_token(str(token)) from None
    return page, following


def _position(token: str, places: dict[str, int]) -> int:
    """Where the user a token names is (0 when unknown: the paginator's own search then
    answers as it would have)."""
    try:
        return places.get(str(TokenDecoder().decode(token)["uniqueAttributes"]), 0)
    except (ValueError, TypeError, KeyError):
        return 0


# --------------------------------------------------------------------------- triggers


def invoke_pre_signup(
    pool: Pool, source: str, username: str, attributes: list[dict[str, str]]
) -> None:
    """Run the pool's pre sign-up trigger the way Cognito does for SignUp/AdminCreateUser.

    AdminCreateUser invokes pre sign-up again with `PreSignUp_AdminCreateUser` (FACTS §2);
    an exception from the trigger stops the operation with its message (FACTS §2).
    """
    trigger = STATE.triggers.get(pool.id, {}).get("PreSignUp")
    if trigger is None:
        return
    event = {
        "version": "1",
        "region": pool.region,
        "userPoolId": pool.id,
        "userName": username,
        "callerContext": {"awsSdkVersion": "aws-sdk-unknown-unknown", "clientId": "CLIENT_ID"},
        "triggerSource": source,
        "request": {
            "userAttributes": {a["Name"]: a["Value"] for a in attributes or []},
            "validationData": None,
        },
        "response": {"autoConfirmUser": False, "autoVerifyEmail": False, "autoVerifyPhone": False},
    }
    try:
        trigger(event)
    except Exception as exc:
        raise UserLambdaValidationException(f"PreSignUp failed with error {exc}") from exc


def _admin_create_user(
    self: Backend,
    user_pool_id: str,
    username: str,
    message_action: str,
    temporary_password: str,
    attributes: list[dict[str, str]],
    force_alias_creation: bool = False,
) -> User:
    """AdminCreateUser; `force_alias_creation` is the request's ForceAliasCreation.

    In a pool where email is an alias, a verified email that is already another user's
    alias fails with AliasExistsException, unless ForceAliasCreation moves the alias to the
    new user (API reference AdminCreateUser; the alias compares as in FACTS §6).
    """
    pool = self.describe_user_pool(user_pool_id)
    if email_alias_pool(pool) and validate_username_format(username, _format="email"):
        raise InvalidParameterException(
            "Username cannot be of email format, since user pool is configured for email alias."
        )
    if message_action != "RESEND" and pool._get_user(username):
        raise UsernameExistsException("User account already exists")
    previous_holder = None
    if email_alias_pool(pool) and message_action != "RESEND":
        requested = {a["Name"]: a["Value"] for a in attributes or []}
        email = requested.get("email")
        if email and requested.get("email_verified") == "true":
            previous_holder = alias_holder(pool, email)
        if previous_holder is not None and not force_alias_creation:
            raise AliasExistsException()
    invoke_pre_signup(pool, "PreSignUp_AdminCreateUser", username, attributes)
    user = original(Backend, "admin_create_user")(
        self, user_pool_id, username, message_action, temporary_password, attributes
    )
    if previous_holder is not None:
        # "The previous user will no longer be able to log in using that alias" (API
        # reference); that Cognito does it by marking the previous user's email unverified
        # is unconfirmed.
        previous_holder.update_attributes([{"Name": "email_verified", "Value": "false"}])
    return user


def _admin_update_user_attributes(
    self: Backend, user_pool_id: str, username: str, attributes: list[dict[str, str]]
) -> None:
    """AdminUpdateUserAttributes as Cognito answers it.

    - Verifying an email that is already another user's alias fails (as AdminCreateUser):
      a request that sets `email` or `email_verified` in a pool where email is an alias,
      leaving the email verified (the alias compares as in FACTS §6). That
      AdminUpdateUserAttributes answers AliasExistsException here is unconfirmed.
    - Where email is a username attribute, another user's address is refused
      (AliasExistsException); the user's own is not (moto refuses it too).
    - In a pool that holds email changes back, a new address without `email_verified`
      "true" in the same request waits for verification, with a code sent to it; with it, it
      is stored at once (API reference AdminUpdateUserAttributes, UserAttributes; FACTS §20).
    - (unconfirmed) `email_verified` "true" alone, while a change waits, verifies that change:
      the pending address is stored, verified (API reference UserAttributeUpdateSettingsType:
      an update can be verified by AdminUpdateUserAttributes setting email_verified true).
    - (unconfirmed) The stored address again is no change; a waiting change is dropped.
    """
    pool = self.describe_user_pool(user_pool_id)
    user = self.admin_get_user(user_pool_id, username)
    requested = {a["Name"]: a["Value"] for a in attributes or []}
    email = requested.get("email")
    if (
        email_alias_pool(pool)
        and user.status != FEDERATED_STATUS
        and ("email" in requested or "email_verified" in requested)
    ):
        after = {**user.attribute_lookup, **requested}
        address = after.get("email")
        if (
            address
            and after.get("email_verified") == "true"
            and alias_holder(pool, address, other_than=user) is not None
        ):
            raise AliasExistsException()
    if email and _sign_in_name_taken(pool, user, email):
        raise AliasExistsException()
    key = (pool.id, user.id, "email")
    verifies = requested.get("email_verified") == "true"
    if email is None:
        if verifies:
            with STATE.lock:
                waiting = STATE.pending.pop(key, None)
            if waiting is not None:
                requested["email"] = waiting
    elif email == user.attribute_lookup.get("email"):
        with STATE.lock:
            STATE.pending.pop(key, None)
    elif holds_back(pool, user, "email") and not verifies:
        with STATE.lock:
            STATE.pending[key] = email
        del requested["email"]
        requested.pop("email_verified", None)
        if "email" in (pool.extended_config.get("AutoVerifiedAttributes") or []):
            deliver_code(pool, user, "email", email)
    else:
        with STATE.lock:
            STATE.pending.pop(key, None)
    if requested:
        user.update_attributes([{"Name": k, "Value": v} for k, v in requested.items()])


def _sign_up(
    self: Backend,
    client_id: str,
    username: str,
    password: str,
    attributes: list[dict[str, str]],
) -> Any:
    pool = next((p for p in self.user_pools.values() if client_id in p.clients), None)
    if pool is None:
        return original(Backend, "sign_up")(self, client_id, username, password, attributes)
    if "email" in (pool.extended_config.get("AliasAttributes") or []) and (
        validate_username_format(username, _format="email")
    ):
        raise InvalidParameterException(
            "Username cannot be of email format, since user pool is configured for email alias."
        )
    if pool._get_user(username):
        raise UsernameExistsException("User already exists")
    invoke_pre_signup(pool, "PreSignUp_SignUp", username, attributes)
    return original(Backend, "sign_up")(self, client_id, username, password, attributes)


# --------------------------------------------------------------------------- linking


def _admin_link_provider_for_user(
    self: Backend,
    user_pool_id: str,
    destination_user: dict[str, str],
    source_user: dict[str, str],
) -> None:
    """AdminLinkProviderForUser with the checks and errors FACTS §1 lists."""
    pool = self.describe_user_pool(user_pool_id)
    if destination_user.get("ProviderName") != "Cognito":
        raise InvalidParameterException("DestinationUser ProviderName must be Cognito.")
    destination = pool._get_user(destination_user.get("ProviderAttributeValue", ""))
    if destination is None:
        raise UserNotFoundError("User does not exist.")
    if destination.status == FEDERATED_STATUS:
        raise InvalidParameterException("DestinationUser must be a native Cognito user.")
    provider_name = source_user.get("ProviderName", "")
    # Provider names are case-sensitive (FACTS §1).
    provider = pool.identity_providers.get(provider_name)
    if provider is None:
        raise ResourceNotFoundError(f"Identity provider {provider_name} does not exist.")
    if source_user.get("ProviderAttributeName") != "Cognito_Subject":
        raise InvalidParameterException(
            "The double supports SourceUser.ProviderAttributeName Cognito_Subject only."
        )
    subject = source_user.get("ProviderAttributeValue", "")
    if not subject:
        raise InvalidParameterException("SourceUser.ProviderAttributeValue is required.")
    # Already linked (anywhere) or already signed up as a federated user (FACTS §1).
    if any(
        holds_identity(u, provider_name, subject)
        for u in identity_holders(pool, provider_name, subject)
    ):
        raise InvalidParameterException(MERGING_MESSAGE)
    immutable = [
        name
        for name, attribute in pool.schema_attributes.items()
        if attribute.custom and not attribute.mutable and name in destination.attribute_lookup
    ]
    if immutable:  # FACTS §1
        raise InvalidParameterException(
            f"Cannot link a user with immutable custom attributes: {', '.join(immutable)}."
        )
    identities = identities_of(destination)
    if len(identities) >= MAX_IDENTITIES:  # FACTS §1 (the error name is unconfirmed)
        raise LimitExceededException("The user has reached the limit of 5 linked identities.")
    identities.append(
        {
            "userId": subject,
            "providerName": provider_name,
            "providerType": provider.extended_config.get("ProviderType"),
            "issuer": None,
            "primary": False,
            "dateCreated": int(time.time() * 1000),
        }
    )
    set_identities(destination, identities)


def _admin_disable_provider_for_user(
    self: Backend, user_pool_id: str, user: dict[str, str]
) -> None:
    """Remove the link to an external identity; disable its federated user (FACTS §1)."""
    pool = self.describe_user_pool(user_pool_id)
    provider_name = user.get("ProviderName", "")
    subject = user.get("ProviderAttributeValue", "")
    if provider_name == "Cognito" or provider_name not in pool.identity_providers:
        raise InvalidParameterException("User.ProviderName must name an identity provider.")
    found = False
    for candidate in identity_holders(pool, provider_name, subject):
        if not holds_identity(candidate, provider_name, subject):
            continue
        found = True
        if candidate.status == FEDERATED_STATUS:
            candidate.enabled = False
        else:
            set_identities(
                candidate,
                [
                    i
                    for i in identities_of(candidate)
                    if not (i.get("providerName") == provider_name and i.get("userId") == subject)
                ],
            )
    if not found:
        raise UserNotFoundError("User does not exist.")


def _admin_delete_user(self: Backend, user_pool_id: str, username: str) -> None:
    """moto's AdminDeleteUser, remembering when a federated user's identity was freed."""
    pool = self.describe_user_pool(user_pool_id)
    user = pool._get_user(username)
    original(Backend, "admin_delete_user")(self, user_pool_id, username)
    if user is not None and user.status == FEDERATED_STATUS:
        with STATE.lock:
            for identity in identities_of(user):
                key = (pool.id, str(identity.get("providerName")), str(identity.get("userId")))
                STATE.deleted_identities[key] = time.time()


def _response_admin_create_user(self: CognitoIdpResponse) -> ActionResult:
    """moto's AdminCreateUser response, passing on ForceAliasCreation (moto drops it)."""
    user = self.backend.admin_create_user(
        self._get_param("UserPoolId"),
        self._get_param("Username"),
        self._get_param("MessageAction"),
        self._get_param("TemporaryPassword"),
        self._get_param("UserAttributes", []),
        force_alias_creation=bool(self._get_param("ForceAliasCreation")),
    )
    return ActionResult({"User": user.to_json(extended=True)})


def _response_admin_link_provider_for_user(self: CognitoIdpResponse) -> EmptyResult:
    self.backend.admin_link_provider_for_user(
        self._get_param("UserPoolId"),
        self._get_param("DestinationUser") or {},
        self._get_param("SourceUser") or {},
    )
    return EmptyResult()


def _response_admin_disable_provider_for_user(self: CognitoIdpResponse) -> EmptyResult:
    self.backend.admin_disable_provider_for_user(
        self._get_param("UserPoolId"), self._get_param("User") or {}
    )
    return EmptyResult()


# --------------------------------------------------------------------------- self-service


def holds_back(pool: Pool, user: User, attribute: str) -> bool:
    """Whether a user's own change of `attribute` waits for verification (FACTS §8, §20):
    UserAttributeUpdateSettings.AttributesRequireVerificationBeforeUpdate holds it.

    (unconfirmed) FACTS §20: whether the hold applies when the stored value is itself
    unverified is not stated. The double holds it back all the same, unless the pool was
    created with `hold_unverified_changes=False` (`CognitoDouble.create_pool`), which plays
    the other reading: such a change is applied at once, unverified.
    """
    settings = pool.extended_config.get("UserAttributeUpdateSettings") or {}
    if attribute not in (settings.get("AttributesRequireVerificationBeforeUpdate") or []):
        return False
    with STATE.lock:
        verified_only = pool.id in STATE.hold_verified_only
    return not verified_only or user.attribute_lookup.get(f"{attribute}_verified") == "true"


def pending_value(pool: Pool, user: User, attribute: str) -> str | None:
    """The value a held-back change awaits verification with, or None (FACTS §8, §20)."""
    with STATE.lock:
        return STATE.pending.get((pool.id, user.id, attribute))


def token_holder(backend: Backend, access_token: str) -> tuple[Pool, str, User]:
    """(pool, app client id, user) of a user's access token, as Cognito resolves it."""
    for pool in backend.user_pools.values():
        held = pool.access_tokens.get(access_token)
        if held is None:
            continue
        client_id, username = held
        # moto keeps the name the user signed in with, which may be a sign-in alias; the
        # token belongs to the user whatever the alias becomes, so it is pinned to them.
        user = pool.users.get(username) or pool._get_user(username)
        if user is None or _token_sub(access_token) not in (None, user.id):
            # A token belongs to one user: deleting the user ends it, and a later user of the
            # same name does not inherit it (API reference, AdminDeleteUser and GetUser).
            raise NotAuthorizedError("Access Token has been revoked")
        pool.access_tokens[access_token] = (client_id, user.username)
        if not user.enabled:
            raise NotAuthorizedError("User is disabled.")
        return pool, client_id, user
    raise NotAuthorizedError("Invalid Access Token")


def token_claims(token: str) -> dict[str, Any] | None:
    """The claims moto wrote into one of its own tokens (read on Cognito's side)."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return None
    return claims if isinstance(claims, dict) else None


def _token_sub(access_token: str) -> str | None:
    sub = (token_claims(access_token) or {}).get("sub")
    return sub if isinstance(sub, str) else None


def _get_user_by_token(self: Backend, access_token: str) -> User:
    """GetUser: any user the token belongs to while it exists and is enabled, federated
    (EXTERNAL_PROVIDER) users included; moto answers only for CONFIRMED users."""
    return token_holder(self, access_token)[2]


def client_may_write(pool: Pool, client: Any, name: str) -> bool:
    """Whether an app client may write `name` (FACTS §4).

    Never email_verified, phone_number_verified or username (cognito_facts.json
    `never_client_writable`); otherwise what the client's WriteAttributes lists, or the
    pool's standard attributes where it lists none; never an immutable attribute.
    """
    if client is None or name in NEVER_CLIENT_WRITABLE:
        return False
    listed = client.extended_config.get("WriteAttributes")
    if not (name in listed if listed else name in STANDARD_ATTRIBUTES):
        return False
    spec = pool.schema_attributes.get(name)
    if spec is None:
        return False
    return bool(spec.mutable)


def deliver_code(pool: Pool, user: User, attribute: str, address: str) -> Message:
    """Send a fresh code for `attribute` to `address`; it replaces any earlier one.

    Codes are six digits, derived from a counter so that runs are reproducible; only the
    outbox of the address (`CognitoDouble.outbox`) shows them.
    """
    with STATE.lock:
        STATE.codes_sent += 1
        digest = hashlib.sha256(f"cognito-double-code-{STATE.codes_sent}".encode()).hexdigest()
        message = Message(
            address,
            pool.id,
            user.username,
            attribute,
            f"{int(digest, 16) % 1_000_000:06d}",
            time.time(),
        )
        STATE.outbox.setdefault(address, []).append(message)
        STATE.codes[(pool.id, user.id, attribute)] = message
    return message


def delivery_details(message: Message) -> dict[str, str]:
    """CodeDeliveryDetailsType: the destination masked as Cognito masks it (a***@e***)."""
    local, _, domain = message.address.partition("@")
    masked = f"{local[:1]}***@{domain[:1]}***" if domain else f"+******{message.address[-4:]}"
    medium = "EMAIL" if message.attribute == "email" else "SMS"
    return {"Destination": masked, "DeliveryMedium": medium, "AttributeName": message.attribute}


def _sign_in_name_taken(pool: Pool, user: User, email: str) -> bool:
    """Where email is a username attribute, another user already signs in with it.

    moto's own rule for UpdateUserAttributes (AliasExistsException), compared as the pool
    compares sign-in names (FACTS §3) and ignoring the user's own address.
    """
    if "email" not in (pool.extended_config.get("UsernameAttributes") or []):
        return False
    wanted = fold(pool, email)
    return any(
        other is not user and fold(pool, other.attribute_lookup.get("email", "")) == wanted
        for other in users_of(pool).holding("email", email)
    )


def _update_user_attributes(
    self: Backend, access_token: str, attributes: list[dict[str, str]]
) -> list[dict[str, str]]:
    """A user's own UpdateUserAttributes; answers CodeDeliveryDetailsList.

    - Only what the app client may write (FACTS §4); the whole request fails otherwise.
      (unconfirmed) That Cognito answers NotAuthorizedException with the same message for
      the never-writable and immutable attributes as for those outside WriteAttributes.
    - An email (or phone number) change, where the pool holds it back
      (AttributesRequireVerificationBeforeUpdate), leaves the stored value and its verified
      flag as they are and waits for verification; elsewhere it is stored at once with its
      flag "false" (FACTS §8, §20). Either way, where the pool verifies that attribute
      automatically, a code goes to the new value (FACTS §20; API reference
      UpdateUserAttributes, CodeDeliveryDetailsList). Whether the hold applies to an
      unverified stored value is unconfirmed (`holds_back`).
    - (unconfirmed) A value equal to the stored one is no change: the flag stays and any
      pending change is dropped.
    """
    pool, client_id, user = token_holder(self, access_token)
    client = pool.clients.get(client_id)
    requested = {a["Name"]: a["Value"] for a in attributes or []}
    if any(not client_may_write(pool, client, name) for name in requested):
        raise NotAuthorizedError(UNAUTHORIZED_WRITE_MESSAGE)
    email = requested.get("email")
    if (
        email
        and email != user.attribute_lookup.get("email")
        and _sign_in_name_taken(pool, user, email)
    ):
        raise AliasExistsException()
    written: dict[str, str] = {}
    sent: list[Message] = []
    auto_verified = pool.extended_config.get("AutoVerifiedAttributes") or []
    for name, value in requested.items():
        if name not in VERIFIABLE:
            written[name] = value
            continue
        key = (pool.id, user.id, name)
        if value == user.attribute_lookup.get(name):
            with STATE.lock:
                STATE.pending.pop(key, None)
            continue
        if holds_back(pool, user, name):
            with STATE.lock:
                STATE.pending[key] = value
        else:
            written.update({name: value, f"{name}_verified": "false"})
            with STATE.lock:
                STATE.pending.pop(key, None)
        if name in auto_verified:
            sent.append(deliver_code(pool, user, name, value))
    if written:
        user.update_attributes([{"Name": k, "Value": v} for k, v in written.items()])
    return [delivery_details(message) for message in sent]


def _get_user_attribute_verification_code(
    self: Backend, access_token: str, attribute: str
) -> dict[str, str]:
    """Send a code for `attribute` to the value awaiting verification, else the stored one
    (FACTS §8, §20); an earlier code for it stops working."""
    pool, _, user = token_holder(self, access_token)
    if attribute not in VERIFIABLE:
        raise InvalidParameterException(f"Attribute {attribute} cannot be verified.")
    address = pending_value(pool, user, attribute) or user.attribute_lookup.get(attribute)
    if not address:
        raise InvalidParameterException(f"The user has no {attribute} to verify.")
    return delivery_details(deliver_code(pool, user, attribute, address))


def _verify_user_attribute(self: Backend, access_token: str, attribute: str, code: str) -> None:
    """VerifyUserAttribute: only the last code sent for the value awaiting verification.

    The code must be the one delivered to that very address (a code sent before the value
    changed verifies nothing). A held-back change is then applied and marked verified
    (FACTS §8, §20). (unconfirmed) Errors as an independent emulator reports observing them
    against Cognito (floci PR #2018; no AWS page states them): a wrong code
    CodeMismatchException, a used one ExpiredCodeException. (unconfirmed) In a pool that
    signs in by email, verifying an address another native user holds verified fails as
    AdminUpdateUserAttributes does (AliasExistsException).
    """
    pool, _, user = token_holder(self, access_token)
    if attribute not in VERIFIABLE:
        raise InvalidParameterException(f"Attribute {attribute} cannot be verified.")
    address = pending_value(pool, user, attribute) or user.attribute_lookup.get(attribute)
    with STATE.lock:
        message = STATE.codes.get((pool.id, user.id, attribute))
    if message is None or message.code != code or message.address != address:
        raise CodeMismatchException(CODE_MISMATCH_MESSAGE)
    if message.used or time.time() - message.sent_at > CODE_VALIDITY_S:
        raise ExpiredCodeException(EXPIRED_CODE_MESSAGE)
    signs_in_by_email = email_alias_pool(pool) or "email" in (
        pool.extended_config.get("UsernameAttributes") or []
    )
    if (
        attribute == "email"
        and signs_in_by_email
        and alias_holder(pool, address, other_than=user) is not None
    ):
        raise AliasExistsException()
    with STATE.lock:
        message.used = True
        STATE.pending.pop((pool.id, user.id, attribute), None)
    user.update_attributes(
        [{"Name": attribute, "Value": address}, {"Name": f"{attribute}_verified", "Value": "true"}]
    )


def _response_update_user_attributes(self: CognitoIdpResponse) -> ActionResult:
    details = self._get_region_agnostic_backend().update_user_attributes(
        self._get_param("AccessToken"), self._get_param("UserAttributes") or []
    )
    return ActionResult({"CodeDeliveryDetailsList": details} if details else {})


def _response_get_user_attribute_verification_code(self: CognitoIdpResponse) -> ActionResult:
    token = self._get_param("AccessToken")
    backend = self._get_region_agnostic_backend()._find_backend_by_access_token(token)
    details = backend.get_user_attribute_verification_code(token, self._get_param("AttributeName"))
    return ActionResult({"CodeDeliveryDetails": details})


def _response_verify_user_attribute(self: CognitoIdpResponse) -> EmptyResult:
    token = self._get_param("AccessToken")
    backend = self._get_region_agnostic_backend()._find_backend_by_access_token(token)
    backend.verify_user_attribute(token, self._get_param("AttributeName"), self._get_param("Code"))
    return EmptyResult()


# --------------------------------------------------------------------------- fault injection


def _call_action(self: CognitoIdpResponse) -> Any:
    """Run injected hooks and faults around one API action (throttling, slowness, races)."""
    operation = self._get_action()
    try:
        params = json.loads(self.body) if self.body else {}
    except ValueError:
        params = {}
    with STATE.lock:
        STATE.requests.append((operation, params))
    for hook in STATE.take_hooks(operation):
        hook.callback()
    fault = STATE.take_fault(operation)
    if fault is not None and fault.delay:
        time.sleep(fault.delay)
    if fault is not None and fault.error_code and not fault.after:
        return _error_response(self, fault)
    result = original(CognitoIdpResponse, "call_action")(self)
    if fault is not None and fault.error_code and fault.after:
        # The operation took effect but its answer is an error (FACTS §1 reports links that
        # exist although the call failed).
        return _error_response(self, fault)
    return result


def _error_response(self: CognitoIdpResponse, fault: Fault) -> Any:
    error = service_error(fault.error_code or "InternalErrorException", fault.message, fault.status)
    headers = dict(self.response_headers)
    status, headers, body = self._transform_response(
        headers, (error.description, {"status": error.code})
    )
    headers, body = self._enrich_response(headers, body)
    return status, headers, body


# --------------------------------------------------------------------------- speed


class _CachedJwk:
    """moto parses the same RSA signing key for every new pool (~0.25 s each); parse once."""

    class RSAKey:
        _keys: dict[str, Any] = {}  # noqa: RUF012 - a process-wide cache by design

        @classmethod
        def import_key(cls, value: Any, *args: Any, **kwargs: Any) -> Any:
            cache_key = json.dumps(value, sort_keys=True, default=str)
            if cache_key not in cls._keys:
                cls._keys[cache_key] = _jwk.RSAKey.import_key(value, *args, **kwargs)
            return cls._keys[cache_key]


# --------------------------------------------------------------------------- install


_ORIGINAL: dict[tuple[str, str], Any] = {}

_PATCHES: list[tuple[Any, str, Any]] = [
    (cognito_models, "jwk", _CachedJwk),
    (Pool, "_get_user", _get_user),
    (Backend, "list_users", list_users),
    (User, "update_attributes", _update_attributes),
    (User, "delete_attributes", _delete_attributes),
    (Backend, "admin_create_user", _admin_create_user),
    (Backend, "admin_update_user_attributes", _admin_update_user_attributes),
    (Backend, "sign_up", _sign_up),
    (Backend, "admin_link_provider_for_user", _admin_link_provider_for_user),
    (Backend, "admin_disable_provider_for_user", _admin_disable_provider_for_user),
    (Backend, "admin_delete_user", _admin_delete_user),
    (Backend, "update_user_attributes", _update_user_attributes),
    (Backend, "get_user", _get_user_by_token),
    (Backend, "get_user_attribute_verification_code", _get_user_attribute_verification_code),
    (Backend, "verify_user_attribute", _verify_user_attribute),
    (CognitoIdpResponse, "admin_create_user", _response_admin_create_user),
    (CognitoIdpResponse, "admin_link_provider_for_user", _response_admin_link_provider_for_user),
    (
        CognitoIdpResponse,
        "admin_disable_provider_for_user",
        _response_admin_disable_provider_for_user,
    ),
    (CognitoIdpResponse, "update_user_attributes", _response_update_user_attributes),
    (
        CognitoIdpResponse,
        "get_user_attribute_verification_code",
        _response_get_user_attribute_verification_code,
    ),
    (CognitoIdpResponse, "verify_user_attribute", _response_verify_user_attribute),
    (CognitoIdpResponse, "call_action", _call_action),
]


def original(owner: Any, name: str) -> Any:
    return _ORIGINAL[(owner.__name__, name)]


def install() -> None:
    with STATE.lock:
        STATE.installs += 1
        if STATE.installs > 1:
            return
        STATE.generation += 1
        for owner, name, replacement in _PATCHES:
            STATE.saved.append((owner, name, owner.__dict__.get(name)))
            # The effective attribute, possibly inherited (call_action comes from moto's
            # BaseResponse).
            _ORIGINAL[(owner.__name__, name)] = getattr(owner, name, None)
            setattr(owner, name, replacement)


def uninstall() -> None:
    with STATE.lock:
        STATE.installs -= 1
        if STATE.installs > 0:
            return
        STATE.installs = 0
        for owner, name, saved in reversed(STATE.saved):
            if saved is None:
                delattr(owner, name)
            else:
                setattr(owner, name, saved)
        STATE.saved.clear()
        STATE.reset()
