"""Rich-text minutes: only a small set of structural tags survives, never scripts or styles."""

from __future__ import annotations

import nh3

ALLOWED_TAGS = frozenset(
    {
        "p", "br", "strong", "em", "ul", "ol", "li", "h3", "h4", "blockquote",
        "table", "thead", "tbody", "tr", "th", "td",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES: dict[str, set[str]] = {
    "th": {"colspan", "rowspan"},
    "td": {"colspan", "rowspan"},
}


def clean_minutes(html: str) -> str:
    """The minutes with every tag and attribute outside the allow-list removed."""
    return nh3.clean(
        html or "",
        tags=set(ALLOWED_TAGS),
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=set(),
        strip_comments=True,
    ).strip()
