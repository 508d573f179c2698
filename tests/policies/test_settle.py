"""The gate finishes evaluations checkov leaves half done, and only those."""

from __future__ import annotations

import sys

import pytest

from tests.policies.conftest import POLICIES

sys.path.insert(0, str(POLICIES))
cogfed_lib = pytest.importorskip("cogfed_lib")


def test_optional_defaults_are_read_from_checkovs_type_rendering() -> None:
    rendered = (
        "${map(object({'type': '${string}', 'attribute_mapping': '${optional(map(string),{})}', "
        "'email_trust': '${optional(string,\"verified_claim\")}', "
        "'domains': '${optional(list(string))}'}))}"
    )
    assert cogfed_lib.optional_defaults(rendered) == {
        "attribute_mapping": "{}",
        "email_trust": '"verified_claim"',
        "domains": "null",
    }


def test_an_omitted_optional_attribute_takes_its_default() -> None:
    value = "merge({'email': 'email'},each.value.attribute_mapping)"
    assert cogfed_lib.settle(value, {"attribute_mapping": "{}"}) == {"email": "email"}


def test_an_index_that_lost_its_quotes_is_evaluated() -> None:
    value = "merge({'email': 'email'},{'Google': {}, 'OIDC': {'custom:idp_sub': 'sub'}}[Google])"
    assert cogfed_lib.settle(value) == {"email": "email"}


def test_a_conditional_inside_a_call_is_evaluated() -> None:
    value = "merge({'a': 'b'},False ? {} : {'custom:idp_sub': 'sub'})"
    assert cogfed_lib.settle(value) == {"a": "b", "custom:idp_sub": "sub"}


@pytest.mark.parametrize(
    "value",
    [
        "merge({'email': 'email'},var.extra_mapping)",
        "merge({'email': 'email'},each.value.attribute_mapping)",  # no default known
        "[for k, v in var.idps : k]",
    ],
)
def test_what_is_really_unknown_stays_unresolved(value: str) -> None:
    assert cogfed_lib.settle(value) == value
