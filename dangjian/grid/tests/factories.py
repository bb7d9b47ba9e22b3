"""Build grids and households through the services."""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from typing import Any

from dangjian.grid.models import Grid, Household
from dangjian.grid.services import grid_create, household_create
from dangjian.orgs.models import Organization
from dangjian.orgs.tests.factories import _system_user

_seq = itertools.count(1)


def make_grid(
    org: Organization, name: str = "第一网格", workers: Iterable[Any] = (), **kw: Any
) -> Grid:
    """A grid under ``org`` drawn by a superuser (workers must already hold grid.view there)."""
    return grid_create(actor=_system_user(), org=org, name=name, workers=workers, **kw)


def make_household(
    grid: Grid,
    *,
    address: str | None = None,
    head_name: str = "王大伯",
    size: int = 3,
    phone: str = "",
    tags: Iterable[str] = (),
    **kw: Any,
) -> Household:
    n = next(_seq)
    return household_create(
        actor=_system_user(),
        grid=grid,
        data={"address": address or f"一组 {n} 号", "head_name": head_name, "size": size},
        phone=phone,
        tags=tags,
        **kw,
    )
