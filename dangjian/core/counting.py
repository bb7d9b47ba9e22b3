"""Capped counts: how many rows, counted no further than a cap (no COUNT(*) over a province),
and the words a page uses to say so when a list shows fewer rows than there are.

A capped number is never shown bare: over the cap it reads "10,000+" *and* the page says the
count stopped there and how to see the rest (narrow the filter, page on).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.http import QueryDict


@dataclass(frozen=True)
class CappedCount:
    counted: int  # at most cap + 1
    cap: int

    @property
    def over(self) -> bool:
        """True when there are more rows than the cap: ``shown`` is then a lower bound."""
        return self.counted > self.cap

    @property
    def shown(self) -> str:
        """ "1,384", or "10,000+" past the cap."""
        return f"{self.cap:,}+" if self.over else f"{self.counted:,}"

    @property
    def cap_shown(self) -> str:
        return f"{self.cap:,}"

    def __str__(self) -> str:
        return self.shown


def capped_count(qs: Any, *, cap: int) -> CappedCount:
    """Count ``qs`` up to ``cap + 1`` rows (one bounded query)."""
    return CappedCount(counted=int(qs.order_by()[: cap + 1].count()), cap=cap)


def total_text(total: CappedCount, *, unit: str, what: str = "") -> str:
    """ "共 1,384 条待审核"; past the cap "待审核超过 10,000 条（只计数到 10,000 条）"."""
    if total.over:
        return f"{what}超过 {total.cap:,} {unit}（只计数到 {total.cap:,} {unit}）"
    return f"共 {total.counted:,} {unit}{what}"


@dataclass(frozen=True)
class ListExtent:
    """What a capped or paged list shows against what there is, in words for the page."""

    showing: int  # rows on this page
    total: CappedCount
    unit: str  # "条", "人"
    what: str  # "待审核"
    how: str  # how to see all: "翻页查看全部"
    first_page: bool = True

    @property
    def cut(self) -> bool:
        """True when the page shows fewer rows than there are."""
        return self.showing < self.total.counted

    @property
    def text(self) -> str:
        """ "共 1,384 条待审核", or "显示前 200 条，共 1,384 条待审核 — 翻页查看全部"."""
        total = total_text(self.total, unit=self.unit, what=self.what)
        if not self.first_page:
            return f"本页 {self.showing:,} {self.unit}，{total}"
        if not self.cut:
            return total
        return f"显示前 {self.showing:,} {self.unit}，{total} — {self.how}"


@dataclass(frozen=True)
class ListPage:
    """One page of a bounded list (already read, at most a few hundred rows), with its extent
    and the query strings of its neighbours, for ``components/pager.html``."""

    rows: list[Any]
    number: int  # 1-based
    pages: int
    offset: int  # rows before this page: numbering continues across pages
    extent: ListExtent
    prev_query: str
    next_query: str

    @property
    def paged(self) -> bool:
        return self.pages > 1


def list_page(
    rows: Sequence[Any],
    *,
    params: QueryDict,
    per_page: int,
    unit: str,
    what: str = "",
    how: str = "翻页查看全部",
    total: CappedCount | None = None,
) -> ListPage:
    """Page ``rows`` by ``?page=N`` (out-of-range numbers show the nearest page).

    ``total`` is what there is when ``rows`` is itself capped (the points board reads its top
    rows only); by default the rows are all there is."""
    pages = max(1, -(-len(rows) // per_page))
    raw = params.get("page", "")
    number = min(max(int(raw), 1), pages) if raw.isdigit() else 1
    offset = (number - 1) * per_page
    shown = list(rows[offset : offset + per_page])

    def query(n: int) -> str:
        q = params.copy()
        q["page"] = str(n)
        return q.urlencode()

    return ListPage(
        rows=shown,
        number=number,
        pages=pages,
        offset=offset,
        extent=ListExtent(
            showing=len(shown),
            total=total or CappedCount(counted=len(rows), cap=max(len(rows), 1)),
            unit=unit,
            what=what,
            how=how,
            first_page=number == 1,
        ),
        prev_query=query(number - 1) if number > 1 else "",
        next_query=query(number + 1) if number < pages else "",
    )
