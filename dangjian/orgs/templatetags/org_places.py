"""``{{ r.org|org_place }}`` / ``{{ r.org|org_place:r.grid.name }}``: where a queue row is, as
``attach_org_places`` (orgs.selectors) worked it out for the whole page in one query."""

from __future__ import annotations

from typing import Any

from django import template

from dangjian.orgs.selectors import PLACE_SEPARATOR

register = template.Library()


@register.filter
def org_place(org: Any, leaf: str = "") -> str:
    """The organization's place (its short name when the view attached none), then ``leaf``."""
    if org is None:
        return leaf or ""
    label = getattr(org, "place", "") or org.display_name
    return f"{label}{PLACE_SEPARATOR}{leaf}" if leaf else label
