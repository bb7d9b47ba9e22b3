"""Where grids may be drawn, and the numbers of grid work, as data with their sources.

Grids (网格) belong to a village (农村) or a community (社区): seed 001 "全域推广'党员中心户+
网格责任田'", seed 000 "建立党员联户制度". These are structural rules, not thresholds.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db.models import Q

from dangjian.core.paths import is_within
from dangjian.grid.models import GridRuleSet
from dangjian.orgs.models import Organization

T, S = Organization.Type, Organization.Sector


@dataclass(frozen=True)
class GridHostRules:
    """Which organizations may hold grids: a village's or community's branch or committee."""

    sectors: frozenset[str]
    org_types: frozenset[str]
    source: str


GRID_HOSTS = GridHostRules(
    sectors=frozenset({S.RURAL, S.COMMUNITY}),
    # A village or community is organized as a 党支部 (or 联合党支部), a 党总支 or a 党委;
    # a 党小组 or a 临时党支部 is not a place.
    org_types=frozenset({T.BRANCH, T.JOINT_BRANCH, T.GENERAL_BRANCH, T.COMMITTEE}),
    source="网格划在村（社区）范围内，由村（社区）党组织负责（种子文件 000、001：党员联户、"
    "党员中心户+网格责任田）",
)


def check_grid_host(org: Organization) -> None:
    """Raise a Chinese ValidationError unless grids may be drawn under ``org``."""
    if org.dissolved_on is not None:
        raise ValidationError("该组织已撤销，不能设立网格", code="org_dissolved")
    if org.sector not in GRID_HOSTS.sectors or org.org_type not in GRID_HOSTS.org_types:
        raise ValidationError(
            "网格只能设在村（农村）或社区的党支部、党总支或党委之下", code="grid_host"
        )


def grid_rules_for(path: str, on: dt.date) -> GridRuleSet:
    """The grid work rules in force on ``on`` for an organization path: the most specific set."""
    candidates = (
        GridRuleSet.objects.filter(effective_from__lte=on)
        .filter(Q(effective_to__isnull=True) | Q(effective_to__gte=on))
        .select_related("scope")
        .order_by("-effective_from", "-id")
    )
    best: GridRuleSet | None = None
    best_depth = -1
    for rule_set in candidates:
        if rule_set.scope is None:
            depth = 0
        elif is_within(path, rule_set.scope.path):
            depth = rule_set.scope.depth
        else:
            continue
        if depth > best_depth:
            best, best_depth = rule_set, depth
    if best is None:
        raise ImproperlyConfigured("没有生效的网格工作规则（请运行数据迁移）")
    return best


def opinion_due_on(collected_on: dt.date, rules: GridRuleSet) -> dt.date:
    """The day by which an opinion must be handled or answered (calendar days, inclusive)."""
    return collected_on + dt.timedelta(days=rules.opinion_reply_days)


def opinion_is_overdue(*, due_on: dt.date, handled_on: dt.date | None, today: dt.date) -> bool:
    """Overdue when not handled by the end of ``due_on`` (handled late counts as overdue too)."""
    if handled_on is not None:
        return handled_on > due_on
    return today > due_on
