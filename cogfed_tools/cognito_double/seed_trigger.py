"""The naive pre sign-up linking the seed documents describe, kept to show what it breaks.

It splits userName on "_", takes the subject from the lower-cased userName and links to the
first user ListUsers returns. In a case-insensitive pool the link then carries the
lower-cased subject, Cognito matches links by the exact subject, finds none and creates a
second, unlinked user that receives the tokens (FACTS §3; the seed thread).
"""

from __future__ import annotations

import json
import os
from typing import Any

import boto3


def naive_pre_signup_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    if event["triggerSource"] != "PreSignUp_ExternalProvider":
        return event
    prefix, subject = event["userName"].split("_", 1)
    # Like the seed article's lookup table: the ProviderName as created, from its prefix.
    names = json.loads(os.environ.get("IDENTITY_PROVIDERS", "{}"))
    provider_name = next((n for n in names if n.lower() == prefix.lower()), prefix)
    client = boto3.client("cognito-idp")
    email = event["request"]["userAttributes"]["email"]
    users = client.list_users(UserPoolId=event["userPoolId"], Filter=f'email = "{email}"')
    if users["Users"]:
        client.admin_link_provider_for_user(
            UserPoolId=event["userPoolId"],
            DestinationUser={
                "ProviderName": "Cognito",
                "ProviderAttributeValue": users["Users"][0]["Username"],
            },
            SourceUser={
                "ProviderName": provider_name,
                "ProviderAttributeName": "Cognito_Subject",
                "ProviderAttributeValue": subject,
            },
        )
    return event
