"""The Cognito facts the triggers use, from cognito_facts.json beside this file.

That file is the one place these facts are written: the module's HCL, the policy checks and
the test double read it too (docs/FACTS.md gives the sources).
"""

import json
import os

with open(
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "cognito_facts.json"),
    encoding="utf-8",
) as _handle:
    FACTS = json.load(_handle)

PROVIDER_TYPES = frozenset(FACTS["provider_types"])
# Social ProviderNames are fixed by Cognito and equal their type.
SOCIAL_TYPES = frozenset(t for t, fact in FACTS["provider_types"].items() if fact["social"])
SENDS_EMAIL_VERIFIED = frozenset(
    t for t, fact in FACTS["provider_types"].items() if fact["sends_email_verified"]
)
# The email_trust modes under which each type is evidence of who owns an email (FACTS §8):
# none for a type that cannot vouch for one at all.
EMAIL_TRUST_MODES_BY_TYPE = {
    t: frozenset(fact["email_trust_modes"]) for t, fact in FACTS["provider_types"].items()
}
# The pool attribute each type's hosted-domain claim is mapped into (Google's `hd`, present
# only for a Google Workspace account, FACTS §8), where the type has one.
HOSTED_DOMAIN_ATTRIBUTES_BY_TYPE = {
    t: (fact["hosted_domain"]["attribute"],)
    for t, fact in FACTS["provider_types"].items()
    if fact["hosted_domain"]
}
HOSTED_DOMAIN_ATTRIBUTES = tuple(
    sorted({a for names in HOSTED_DOMAIN_ATTRIBUTES_BY_TYPE.values() for a in names})
)
# Each such type's own address domains (Google's gmail.com): an account there is never a
# Workspace account (FACTS §20).
CONSUMER_EMAIL_DOMAINS_BY_TYPE = {
    t: frozenset(domains) for t, domains in FACTS["consumer_email_domains"].items()
}
