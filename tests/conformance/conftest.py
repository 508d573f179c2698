"""Every module here runs ministack or servers of its own: none may leave a process behind."""

from __future__ import annotations

from collections.abc import Callable

import pytest


@pytest.fixture(scope="module", autouse=True)
def left_behind(no_process_left_behind: Callable[[], dict[int, str]]) -> Callable[[], dict]:
    return no_process_left_behind
