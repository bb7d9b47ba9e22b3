"""Fixtures: a grid in village A1 with the grid worker, a member of the branch linked to the
``member`` login, and a fresh request in the pool."""

from __future__ import annotations

from typing import Any

import pytest

from dangjian.grid.tests.factories import make_grid
from dangjian.members.models import Member
from dangjian.members.tests.factories import make_member
from dangjian.service_requests.tests.factories import submit


@pytest.fixture
def grid(tree: Any, people: Any) -> Any:
    return make_grid(tree.village_a1, "第一网格", workers=[people.grid_worker])


@pytest.fixture
def doer(tree: Any, people: Any) -> Member:
    """The branch member (陈秀英) linked to the ``member`` login: the one orders go to."""
    m = make_member(people.county_admin, tree.village_a1, name="陈秀英", male=False)
    Member.objects.filter(pk=m.pk).update(user=people.member)
    m.refresh_from_db()
    return m


@pytest.fixture
def fresh(grid: Any) -> Any:
    req, token = submit(grid)
    req._raw_token = token
    return req
