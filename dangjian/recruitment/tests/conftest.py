"""Fresh rule books per test: a rolled-back rule set must not linger in the process cache."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from dangjian.recruitment import rules


@pytest.fixture(autouse=True)
def fresh_rule_books() -> Iterator[None]:
    rules.clear_cache()
    yield
    rules.clear_cache()
