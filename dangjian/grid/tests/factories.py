"""Build grids, households, 乡贤 and records through the services."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable
from typing import Any

from django.utils import timezone

from dangjian.grid.models import Grid, Household, LocalWorthy
from dangjian.grid.services import grid_create, household_create, worthy_create
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


def make_worthy(
    org: Organization, name: str = "周德明", *, phone: str = "", **data: Any
) -> LocalWorthy:
    fields = {
        "name": name,
        "background": "retired_teacher",
        "specialty": "邻里纠纷调解",
        "joined_on": data.pop("joined_on", timezone.localdate() - dt.timedelta(days=100)),
        **data,
    }
    return worthy_create(actor=_system_user(), org=org, data=fields, phone=phone)
