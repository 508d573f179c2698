"""Compare emails and domains the way a mailbox does: ignoring the case of ASCII letters only.

Python's `str.lower()` folds far more than ASCII: `"\u212a".lower()` (KELVIN SIGN) is the ASCII
`"k"`, so `"\u212aim@example.com"` would equal `"kim@example.com"`, a different mailbox that
another person may own. How Cognito folds non-ASCII letters in searches is not documented
(FACTS §6), so the triggers never rely on it: two emails are the same only when they are equal
after lower-casing A-Z.
"""

from __future__ import annotations

_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def ascii_lower(text: str) -> str:
    """`text` with A-Z lower-cased and every other character unchanged."""
    return text.translate(_ASCII_LOWER)


def same_ignoring_ascii_case(left: str, right: str) -> bool:
    return ascii_lower(left) == ascii_lower(right)


def email_domain(email: str) -> str:
    """The part after the last `@`, ASCII-lower-cased ("" when there is none)."""
    return ascii_lower(email.rsplit("@", 1)[1]) if "@" in email else ""
