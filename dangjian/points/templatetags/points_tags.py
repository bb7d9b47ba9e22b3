"""Stars on member pages: a badge for one member, one query for a page of members."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import template

from dangjian.points.rules import LOST_CONTACT_RULE
from dangjian.points.selectors import current_stars

register = template.Library()


@register.filter
def star_glyphs(stars: int | None) -> str:
    """★★★ for 3 stars (empty for none)."""
    return "★" * int(stars or 0)


@register.inclusion_tag("points/stars_badge.html")
def member_stars(member: Any) -> dict[str, Any]:
    """The badge for one member's current stars (one query; for a profile). A member in 失联
    has none shown: the badge says 不参评星级 and names the rule (``LOST_CONTACT_RULE``)."""
    if member is None:
        return {"stars": 0}
    if getattr(member, "lost_contact", False):  # the profile's header says since when
        return {"stars": 0, "lost": True, "source": LOST_CONTACT_RULE.source}
    return {"stars": current_stars([member.pk]).get(member.pk, 0)}


@register.simple_tag
def stars_for(rows: Iterable[Any]) -> dict[int, int]:
    """``{member_id: stars}`` for a page of members (or rows with ``.m``) in one query."""
    return current_stars(_member_of(r).pk for r in rows)


def _member_of(row: Any) -> Any:
    if isinstance(row, dict):
        return row.get("m", row)
    return getattr(row, "m", row)


@register.filter
def stars_of(mapping: dict[int, int], member_id: int) -> int:
    return mapping.get(member_id, 0) if mapping else 0
