"""Where ministack is known to differ from AWS, each with its source and what the run does.

A difference either is worked around by the ministack adapter (the run reaches the state AWS
would reach and says so in the row), or explains a column in which ministack's answer is
expected to differ from AWS's for the rows it names (none does today). Anything else that
differs is a disagreement, and the conformance run fails on it. `docs/conformance.md` is
generated from this table by `make conformance`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from cogfed_tools.conformance.scenario import SignIn

NO_LOWER_CASING = "M1"
ONE_ATTRIBUTE_PER_CLAIM = "M2"
SOCIAL_PROVIDERS_NOT_FEDERATED = "M3"
CONFIRM_SIGN_UP_LEAVES_EMAIL_UNVERIFIED = "M4"
EMAIL_VERIFIED_NOT_RESET = "M5"
REFUSAL_AS_ERROR_RESPONSE = "M6"
UNMAPPED_CLAIMS_STORED = "M7"
LINK_REFUSED_AS_ALIAS_EXISTS = "M8"
UNLINKED_IDENTITY_NOT_FOUND = "M9"

# ProviderName -> attribute mapping, as planned
Mappings = Mapping[str, Mapping[str, str]]


@dataclass(frozen=True)
class KnownDifference:
    key: str
    ministack: str
    aws: str
    source: str
    handling: str
    column: str = ""  # the column whose answers may differ, if any
    applies: Callable[[SignIn, Mappings], bool] = lambda sign_in, mappings: False


KNOWN_DIFFERENCES: dict[str, KnownDifference] = {
    d.key: d
    for d in (
        KnownDifference(
            NO_LOWER_CASING,
            ministack="keeps the case of a federated userName in a case-insensitive pool",
            aws="lower-cases it, prefix included, in trigger events and the stored username",
            source="FACTS.md §2 and §3 (developer guide 'User pool case sensitivity'; "
            "amplify-js #13844)",
            handling="none needed: the triggers link through the exact-case subject copy in "
            "both worlds, but the duplicate users the seed setup makes cannot appear in "
            "ministack, so `make demo WORLD=ministack` plays the seed setup in the double",
        ),
        KnownDifference(
            ONE_ATTRIBUTE_PER_CLAIM,
            ministack="maps each identity-provider claim to one pool attribute, the last listed",
            aws="keys the mapping by pool attribute, so one claim may feed several (the "
            "example maps OIDC `sub` into `username` and `custom:idp_sub`; unconfirmed, see "
            "the questions below)",
            source="API reference, CreateIdentityProvider AttributeMapping ('a user pool "
            "attribute as the key ... the IdP attribute claim name as the value'); FACTS.md §3",
            handling="the adapter lists `username` first, so the subject copy is the one kept",
        ),
        KnownDifference(
            SOCIAL_PROVIDERS_NOT_FEDERATED,
            ministack="federates only SAML and OIDC providers through /oauth2/authorize",
            aws="federates Google, Facebook, Login with Amazon and Sign in with Apple too",
            source="developer guide 'Adding social identity providers to a user pool'",
            handling="the packaged pre sign-up function gets the event Cognito would send "
            "(Lambda Invoke), and the row reports the user the identity was linked to",
        ),
        KnownDifference(
            CONFIRM_SIGN_UP_LEAVES_EMAIL_UNVERIFIED,
            ministack="confirms a self sign-up without marking its email verified",
            aws="marks the email (or phone) the code was sent to as verified",
            source="AWS Knowledge Center 'cognito-confirm-account' ('Updates the user "
            "attributes to indicate that the email address or phone number is verified')",
            handling="the adapter sets email_verified after ConfirmSignUp, as AWS would",
        ),
        KnownDifference(
            EMAIL_VERIFIED_NOT_RESET,
            ministack="leaves a user's email_verified alone when a provider maps email "
            "without email_verified",
            aws="sets email_verified to false on every such sign-in, on a linked native user too",
            source="FACTS.md §4 (AWS Knowledge Center 'cognito-email-verified-attribute'; "
            "amplify-js #7300)",
            handling='the adapter stores email_verified "false" on the user the sign-in '
            "landed on before the code is exchanged, so the pre token generation trigger sees "
            "what it would see on AWS",
        ),
        KnownDifference(
            REFUSAL_AS_ERROR_RESPONSE,
            ministack="answers the identity provider's callback with HTTP 400 "
            "UserLambdaValidationException when pre sign-up refuses",
            aws="redirects to the app's callback URL with `error` and `error_description`",
            source="developer guide 'Identity provider responses' "
            "(federation-endpoint-idp-responses); FACTS.md §2",
            handling="the browser reads either as a refusal",
        ),
        KnownDifference(
            UNMAPPED_CLAIMS_STORED,
            ministack="stores an identity provider's unmapped claims as attributes of their "
            "own names, and passes them to pre sign-up",
            aws="writes the mapped attributes only",
            source="developer guide 'OIDC user pool IdP authentication flow' ('compares the "
            "received attributes to the attribute-mapping rules ... and populates the user's "
            "profile')",
            handling="the adapter refuses to play a sign-in that sends a claim the provider "
            "does not map; the scenario sends none",
        ),
        KnownDifference(
            LINK_REFUSED_AS_ALIAS_EXISTS,
            ministack="answers AdminLinkProviderForUser with AliasExistsException when the "
            "source identity's federated user exists or the identity is linked to another "
            "user, and with success when it is already linked to the destination",
            aws='answers InvalidParameterException "Merging is not currently supported" in '
            "all three cases",
            source="FACTS.md §1 (API reference, AdminLinkProviderForUser; aws-sdk-net #1000, "
            "boto3 #4163); ministack 1.5.33 services/cognito.py, "
            "_admin_link_provider_for_user",
            handling="none needed: the confirmed-linking endpoint deletes the separate user "
            "before it links, and the triggers link only identities nobody holds, so no row "
            "reaches these answers",
        ),
        KnownDifference(
            UNLINKED_IDENTITY_NOT_FOUND,
            ministack="answers AdminDisableProviderForUser on an identity linked to nobody "
            "with ResourceNotFoundException",
            aws="not documented for that case (the API reference lists "
            "ResourceNotFoundException among the operation's errors without saying when)",
            source="API reference, AdminDisableProviderForUser; ministack 1.5.33 "
            "services/cognito.py, _admin_disable_provider_for_user",
            handling="none needed: the endpoint unlinks only an identity the account's own "
            "`identities` lists, and takes UserNotFoundException and "
            "ResourceNotFoundException alike as already removed",
        ),
    )
}
