"""Structural rules of the organization tree (which type may sit under which).

These are the 党章/支部工作条例 structure, not numeric thresholds: a 党小组 only under a branch,
nothing under a 党小组, a branch never under a branch, a 党总支 only under a committee.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError

from dangjian.orgs.models import Organization

T = Organization.Type
COMMITTEES = {T.LOCAL_COMMITTEE, T.WORKING_COMMITTEE, T.COMMITTEE, T.SECONDARY_COMMITTEE}
BRANCH_PARENTS = COMMITTEES | {T.GENERAL_BRANCH}

# type → the parent types it may sit under; None means "may be a top organization".
ALLOWED_PARENTS: dict[str, set[str | None]] = {
    T.LOCAL_COMMITTEE: {None, T.LOCAL_COMMITTEE},
    T.WORKING_COMMITTEE: {T.LOCAL_COMMITTEE},
    T.COMMITTEE: {T.LOCAL_COMMITTEE, T.WORKING_COMMITTEE, T.COMMITTEE},
    T.SECONDARY_COMMITTEE: {T.COMMITTEE},
    T.GENERAL_BRANCH: set(COMMITTEES),
    T.BRANCH: set(BRANCH_PARENTS),
    T.JOINT_BRANCH: set(BRANCH_PARENTS),
    T.TEMPORARY_BRANCH: set(BRANCH_PARENTS),
    T.GROUP: {T.BRANCH, T.JOINT_BRANCH, T.TEMPORARY_BRANCH},
}

# The messages say what the rule is, in the words a party worker uses.
PLACEMENT_MESSAGES: dict[str, str] = {
    T.LOCAL_COMMITTEE: "地方党委只能作为顶层组织或设在上级地方党委之下",
    T.WORKING_COMMITTEE: "党工委只能设在地方党委之下",
    T.COMMITTEE: "党委只能设在地方党委、党工委或上级党委之下",
    T.SECONDARY_COMMITTEE: "二级党委只能设在基层党委之下",
    T.GENERAL_BRANCH: "党总支只能设在党委或党工委之下，不能设在党总支、党支部或党小组之下",
    T.BRANCH: "党支部只能设在党委、党工委或党总支之下，党支部之下不能再设党支部",
    T.JOINT_BRANCH: "联合党支部只能设在党委、党工委或党总支之下",
    T.TEMPORARY_BRANCH: "临时党支部只能设在党委、党工委或党总支之下",
    T.GROUP: "党小组只能设在党支部之下",
}


def check_placement(org_type: str, parent_type: str | None) -> None:
    """Raise a Chinese ValidationError unless ``org_type`` may sit under ``parent_type``."""
    if org_type not in ALLOWED_PARENTS:
        raise ValidationError(f"未知的组织类别：{org_type}", code="unknown_type")
    if parent_type == T.GROUP:
        raise ValidationError("党小组之下不能再设立组织", code="nothing_under_group")
    if parent_type not in ALLOWED_PARENTS[org_type]:
        if parent_type is None:
            raise ValidationError(f"{T(org_type).label}必须有上级组织", code="parent_required")
        raise ValidationError(PLACEMENT_MESSAGES[org_type], code="invalid_placement")


def child_types_allowed(parent_type: str) -> list[str]:
    """The organization types that may be created under ``parent_type``, in display order."""
    return [t for t in T.values if parent_type in ALLOWED_PARENTS[t]]


@dataclass(frozen=True)
class TermRules:
    """Term lengths and 换届 reminder points, with where the numbers come from."""

    version: str
    source: str
    village_community_years: int
    other_years: int
    reminder_months: tuple[int, ...]


TERM_RULES = TermRules(
    version="2020",
    source=(
        "《中国共产党基层组织选举工作条例》（2020）第五条：村、社区党组织每届任期 5 年，"
        "其他基层党组织每届任期 3 年；届满前 6 个月、3 个月提醒为地方通行做法 [local]"
    ),
    village_community_years=5,
    other_years=3,
    reminder_months=(6, 3),
)
