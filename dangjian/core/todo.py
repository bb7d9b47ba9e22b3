"""待办事项: what waits for the viewer across every capability, gathered for the home page.

Each domain app registers one provider in its ``AppConfig.ready()``; a provider looks at the
viewer's working organization and returns the items the viewer can act on (nothing when the
viewer has no role for that work). Core knows no domain app: it only calls what registered.
Counts are capped (a badge, not a census): ``COUNT_CAP + 1`` rows at most are counted.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

COUNT_CAP = 99


@dataclass(frozen=True)
class Todo:
    area: str  # the capability, as the sidebar names it: "积分管理"
    label: str  # what waits: "党员积分申报待审核"
    count: int  # capped at COUNT_CAP + 1; shown as "99+"
    url: str
    urgent: bool = False  # past a deadline: shown in red, listed first

    @property
    def shown(self) -> str:
        return f"{COUNT_CAP}+" if self.count > COUNT_CAP else str(self.count)


Provider = Callable[..., list[Todo]]
_PROVIDERS: dict[str, Provider] = {}


def register(name: str, provider: Provider) -> None:
    """Register ``provider(*, viewer, org, today) -> list[Todo]`` under a unique name."""
    _PROVIDERS[name] = provider


def capped(qs: Any) -> int:
    """How many rows, counting no further than ``COUNT_CAP + 1``."""
    return int(qs[: COUNT_CAP + 1].count())


def todos_for(*, viewer: Any, org: Any, today: dt.date) -> list[Todo]:
    """Every non-empty item for the viewer in ``org``: overdue first, then by capability."""
    items = [
        item
        for name in sorted(_PROVIDERS)
        for item in _PROVIDERS[name](viewer=viewer, org=org, today=today)
        if item.count > 0
    ]
    return sorted(items, key=lambda t: not t.urgent)
