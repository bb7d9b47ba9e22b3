"""积分 rules over the catalogue data: which scheme applies to a member, periods, caps, stars.

The numbers live in ``PointsScheme``/``PointsItem``/``StarBand`` rows (migration 0002 holds the
default catalogue); this module only interprets them:

* a member's **base scheme** for a year is the active ``base`` scheme scoped to the nearest
  ancestor of their branch (a county that adopted its own), else the default (no scope);
* **township additions** are active ``addition`` schemes scoped between the base scheme's scope
  and the branch; their items sit beside the base items (codes never overlap);
* a **cap** limits the points one item may bring one member within a month/quarter/year;
* **stars** go from the highest band down: a member gets the highest band whose minimum score
  they reach and whose ratio cap still has room (ranked by score), else the next band.

Everything except ``catalogue_for`` is pure and works on plain values.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Q

from dangjian.core.paths import is_within
from dangjian.orgs.models import Organization
from dangjian.points.models import PeriodKind, PointsItem, PointsScheme


def _month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def period_window(kind: str, day: dt.date) -> tuple[dt.date, dt.date]:
    """The month, quarter or year containing ``day``."""
    if kind == PeriodKind.MONTH:
        return dt.date(day.year, day.month, 1), _month_end(day.year, day.month)
    if kind == PeriodKind.QUARTER:
        q = (day.month - 1) // 3
        return dt.date(day.year, q * 3 + 1, 1), _month_end(day.year, q * 3 + 3)
    if kind == PeriodKind.YEAR:
        return dt.date(day.year, 1, 1), dt.date(day.year, 12, 31)
    raise ValueError(f"unknown period kind: {kind}")


def year_windows(year: int) -> list[tuple[str, dt.date, dt.date]]:
    """The 17 periods of a year: 12 months, 4 quarters and the year, as (kind, start, end)."""
    out = [
        (str(PeriodKind.MONTH), *period_window(PeriodKind.MONTH, dt.date(year, m, 1)))
        for m in range(1, 13)
    ]
    out += [
        (str(PeriodKind.QUARTER), *period_window(PeriodKind.QUARTER, dt.date(year, m, 1)))
        for m in (1, 4, 7, 10)
    ]
    out.append((str(PeriodKind.YEAR), dt.date(year, 1, 1), dt.date(year, 12, 31)))
    return out


def period_label(kind: str, start: dt.date) -> str:
    if kind == PeriodKind.MONTH:
        return f"{start.year}年{start.month}月"
    if kind == PeriodKind.QUARTER:
        return f"{start.year}年第{'一二三四'[(start.month - 1) // 3]}季度"
    return f"{start.year}年"


def parse_period(value: str, *, today: dt.date) -> tuple[str, dt.date, dt.date]:
    """``2026-Q3``, ``2026-09`` or ``2026`` → (kind, start, end); today's quarter when empty."""
    value = (value or "").strip().upper()
    try:
        if not value:
            kind = PeriodKind.QUARTER
            start, end = period_window(kind, today)
            return kind, start, end
        if "-Q" in value:
            year, q = value.split("-Q")
            qn = int(q)
            if not 1 <= qn <= 4:
                raise ValueError
            start = dt.date(int(year), qn * 3 - 2, 1)
            return PeriodKind.QUARTER, start, period_window(PeriodKind.QUARTER, start)[1]
        if "-" in value:
            year, month = value.split("-")
            start = dt.date(int(year), int(month), 1)
            return PeriodKind.MONTH, start, period_window(PeriodKind.MONTH, start)[1]
        start = dt.date(int(value), 1, 1)
        return PeriodKind.YEAR, start, dt.date(start.year, 12, 31)
    except ValueError:
        kind = PeriodKind.QUARTER
        start, end = period_window(kind, today)
        return kind, start, end


def period_param(kind: str, start: dt.date) -> str:
    """The inverse of ``parse_period``."""
    if kind == PeriodKind.MONTH:
        return f"{start.year}-{start.month:02d}"
    if kind == PeriodKind.QUARTER:
        return f"{start.year}-Q{(start.month - 1) // 3 + 1}"
    return str(start.year)


def capped_points(points: Decimal, cap: Decimal | None, used: Decimal) -> Decimal:
    """What an item may still award given its cap and what this member already got in the window.

    ``used`` is the signed sum already booked for the item in the cap window; deductions are
    capped on their magnitude. Returns 0 when the cap is reached.
    """
    if cap is None:
        return points
    sign = Decimal(1) if points > 0 else Decimal(-1)
    room = cap - max(used * sign, Decimal(0))
    if room <= 0:
        return Decimal(0)
    return sign * min(abs(points), room)


@dataclass
class Catalogue:
    """The items that apply to one branch in one year: the base scheme plus township additions."""

    base: PointsScheme | None
    additions: list[PointsScheme] = field(default_factory=list)
    items: dict[str, PointsItem] = field(default_factory=dict)

    def item(self, code: str) -> PointsItem | None:
        return self.items.get(code)

    def active_items(self) -> list[PointsItem]:
        return sorted(
            (i for i in self.items.values() if i.is_active),
            key=lambda i: (i.scheme.kind != PointsScheme.Kind.BASE, i.position, i.pk),
        )


def _schemes(branch: Organization, year: int) -> tuple[PointsScheme | None, list[PointsScheme]]:
    """The base scheme in force for ``branch`` in ``year`` and every active scheme on its chain."""
    chain = [*branch.ancestor_ids, branch.pk]
    schemes = list(
        PointsScheme.objects.filter(year=year, is_active=True)
        .filter(Q(scope__isnull=True) | Q(scope_id__in=chain))
        .select_related("scope")
    )
    bases = [s for s in schemes if s.kind == PointsScheme.Kind.BASE]
    return max(bases, key=lambda s: len(s.scope.path) if s.scope else -1, default=None), schemes


def base_scheme_for(branch: Organization, year: int) -> PointsScheme | None:
    """Only the base scheme of ``catalogue_for`` (its numbers and periods; one query)."""
    return _schemes(branch, year)[0]


def _additions(base: PointsScheme, schemes: list[PointsScheme]) -> list[PointsScheme]:
    floor = base.scope.path if base.scope else ""
    return [
        s
        for s in schemes
        if s.kind == PointsScheme.Kind.ADDITION
        and s.scope is not None
        and len(s.scope.path) > len(floor)
        and (not floor or is_within(s.scope.path, floor))
    ]


def catalogue_item(
    branch: Organization, year: int, code: str
) -> tuple[PointsScheme | None, PointsItem | None]:
    """The base scheme and the one item ``code`` of ``catalogue_for`` (two small queries; the
    automatic-award path needs no more)."""
    base, schemes = _schemes(branch, year)
    if base is None:
        return None, None
    items = list(
        PointsItem.objects.filter(scheme__in=[base, *_additions(base, schemes)], code=code)
    )
    # Base codes win; an addition never shadows a county item.
    item = next((i for i in items if i.scheme_id == base.pk), items[0] if items else None)
    if item is not None:
        item.scheme = (
            base
            if item.scheme_id == base.pk
            else next(s for s in schemes if s.pk == item.scheme_id)
        )
    return base, item


def catalogue_for(branch: Organization, year: int) -> Catalogue:
    """The catalogue in force for ``branch`` in ``year`` (two queries)."""
    base, schemes = _schemes(branch, year)
    if base is None:
        return Catalogue(base=None)
    additions = _additions(base, schemes)
    cat = Catalogue(base=base, additions=additions)
    rows = PointsItem.objects.filter(scheme__in=[base, *additions]).select_related("scheme")
    for item in rows:
        # Base codes win; an addition never shadows a county item.
        if item.code in cat.items and item.scheme_id == base.pk:
            cat.items[item.code] = item
        else:
            cat.items.setdefault(item.code, item)
    return cat


# --- stars --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Band:
    stars: int
    min_score: Decimal
    max_ratio: int | None


@dataclass(frozen=True)
class StarResult:
    key: int
    stars: int
    capped: bool


def assign_stars(scores: Sequence[tuple[int, Decimal]], bands: Sequence[Band]) -> list[StarResult]:
    """Stars for ``(key, score)`` pairs under the bands and their ratio caps.

    Ranked by score (then key, for a stable order). A band's cap is ``floor(n × ratio%)``; a
    member who qualifies for a full band drops to the next band with room (``capped``).
    """
    ordered = sorted(bands, key=lambda b: -b.stars)
    n = len(scores)
    room = {
        b.stars: (math.floor(n * b.max_ratio / 100) if b.max_ratio is not None else n)
        for b in ordered
    }
    results = []
    for key, score in sorted(scores, key=lambda ks: (-ks[1], ks[0])):
        eligible = [b for b in ordered if score >= b.min_score]
        if not eligible:
            results.append(StarResult(key, 0, False))
            continue
        natural = eligible[0].stars
        chosen = 0
        for b in eligible:
            if room[b.stars] > 0:
                room[b.stars] -= 1
                chosen = b.stars
                break
        results.append(StarResult(key, chosen, chosen != natural))
    return results


def score_from_balance(balance: Decimal, full_marks: Decimal) -> Decimal:
    """The 100-point 评分 prefilled from a year's balance (``full_marks`` points = 100)."""
    if full_marks <= 0:
        return Decimal(0)
    score = balance * Decimal(100) / full_marks
    return max(Decimal(0), min(Decimal(100), score)).quantize(Decimal("0.1"))


# --- who is rated -------------------------------------------------------------------------


@dataclass(frozen=True)
class LostContactRule:
    """失联党员 are not rated: a star says how a member served, and a member out of contact with
    the branch has no year to judge (and may by then be in 停止党籍 review)."""

    source: str = (
        "本地规定：在评定年度1月1日至评定之日期间处于失联状态的党员不参加星级评定"
        "（依据《中国共产党党员教育管理工作条例》关于失联党员查找和停止党籍的规定）"
    )


LOST_CONTACT_RULE = LostContactRule()

# A span of lost contact: the first day lost, and the day contact came back (None: still lost).
Span = tuple[dt.date | None, dt.date | None]


def lost_contact_in_window(spans: Sequence[Span], start: dt.date, end: dt.date) -> Span | None:
    """The earliest span of lost contact that touches ``start``–``end`` (both included), or None.

    A span runs from its first day up to the day before contact came back; an unknown first day
    counts as lost since before ``start``.
    """
    for since, back in sorted(spans, key=lambda s: s[0] or dt.date.min):
        first = since or start
        last = (back - dt.timedelta(days=1)) if back is not None else end
        if first <= min(last, end) and last >= start:
            return since, back
    return None


def star_unrated_reason(spans: Sequence[Span], *, year: int, on: dt.date) -> str:
    """Why a member is not rated for ``year`` on ``on`` (the rating date), or "" if rated.

    The window is 1 January of the rated year through the rating date: lost contact on any day
    of it, even one since restored, means no stars for that year.
    """
    start = dt.date(year, 1, 1)
    hit = lost_contact_in_window(spans, start, max(on, start))
    if hit is None:
        return ""
    since = hit[0]
    if since is None:
        return f"处于失联状态，不参加{year}年度星级评定"
    return f"{since.year}年{since.month}月{since.day}日起失联，不参加{year}年度星级评定"
