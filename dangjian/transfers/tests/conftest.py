from __future__ import annotations

import pytest

from dangjian.members.models import Member
from dangjian.transfers.tests.factories import make_member


@pytest.fixture
def member_a1(people, tree) -> Member:  # type: ignore[no-untyped-def]
    """李明, a full member of 甲村党支部 (township A)."""
    return make_member(people.county_admin, tree.village_a1, name="李明")


@pytest.fixture
def member_b1(people, tree) -> Member:  # type: ignore[no-untyped-def]
    """王芳, a member of 丙村党支部 (township B)."""
    return make_member(people.county_admin, tree.village_b1, name="王芳", male=False)
