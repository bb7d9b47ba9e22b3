"""Turn the node tree of a scale into unsaved Organization rows, streaming, parents first.

The generator hands out ids and paths itself (child n of a parent gets ``parent.path +
segment(n)``), so rows can be bulk-inserted without reading anything back. It is pure: the same
seed, first id and top number always yield the same ids, codes, names and paths; only the term
dates move with ``today`` (they are offsets from it).
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from dangjian.core.paths import SEGMENT_WIDTH, segment
from dangjian.demo.county import Node
from dangjian.demo.scales import build_root
from dangjian.orgs.models import Organization, OrgLink

# A normal term ends more than six months from today, so only the chosen few look due.
NORMAL_TERM_MIN_DAYS = 200


@dataclass(frozen=True, slots=True)
class Anchor:
    """An organization the demo accounts or notifications refer to."""

    id: int
    name: str
    label: str
    path: str
    leader: str = ""


@dataclass(frozen=True, slots=True)
class DueTerm:
    id: int
    label: str
    path: str
    term_end: dt.date
    expired: bool


def shift_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def term_dates(node: Node, today: dt.date) -> tuple[dt.date | None, dt.date | None]:
    if not node.term_years:
        return None, None
    if node.term_state == "soon":
        end = today + dt.timedelta(days=node.term_days)
    elif node.term_state == "expired":
        end = today - dt.timedelta(days=node.term_days)
    else:
        span = node.term_years * 365 - NORMAL_TERM_MIN_DAYS
        end = today + dt.timedelta(days=NORMAL_TERM_MIN_DAYS + int(node.term_draw * span))
    return shift_years(end, -node.term_years), end


class OrgStream:
    """Yields the rows of one scale; collects anchors, links and due terms on the way."""

    def __init__(
        self,
        scale: str,
        seed: int,
        *,
        today: dt.date,
        first_id: int = 1,
        top_number: int = 1,
        small: bool = False,
    ):
        self.scale = scale
        self.small = small
        self.rng = random.Random(seed)
        self.today = today
        self.next_id = first_id
        self.top_number = top_number
        self.anchors: dict[str, Anchor] = {}
        self.links: list[OrgLink] = []
        self.due: list[DueTerm] = []
        self.type_counts: Counter[str] = Counter()

    def rows(self) -> Iterator[Organization]:
        root = build_root(self.rng, self.scale, small=self.small)
        yield from self._emit(root, None, self.top_number, "", 0)

    def _emit(
        self,
        item: Node | object,
        parent: Organization | None,
        number: int,
        division_code: str,
        division_len: int,
    ) -> Iterator[Organization]:
        node = item if isinstance(item, Node) else item()  # type: ignore[operator]
        pk = self.next_id
        self.next_id += 1
        path = (parent.path if parent else "") + segment(number)
        if node.division_code:
            division_code, division_len = node.division_code, len(path)
        term_start, term_end = term_dates(node, self.today)
        established = node.established_on
        if term_start and established > term_start:
            established = term_start
        org = Organization(
            id=pk,
            parent_id=parent.pk if parent else None,
            name=node.name,
            short_name=node.short_name,
            code=division_code + path[division_len:],
            org_type=node.org_type,
            sector=node.sector,
            is_retiree=node.is_retiree,
            is_mobile=node.is_mobile,
            path=path,
            depth=len(path) // SEGMENT_WIDTH,
            ancestor_ids=[*parent.ancestor_ids, parent.pk] if parent else [],
            last_child_number=len(node.children),
            established_on=established,
            unit_name=node.unit_name,
            unit_credit_code=node.unit_credit_code,
            address=node.address,
            phone=node.phone,
            term_start=term_start,
            term_end=term_end,
        )
        node.pk, node.path = pk, path
        self.type_counts[node.org_type] += 1
        if parent is None:
            self._anchor("root", node)
        if node.anchor:
            self._anchor(node.anchor, node)
        if node.term_state != "normal" and term_end:
            self.due.append(
                DueTerm(pk, node.label, path, term_end, expired=node.term_state == "expired")
            )
        yield org
        # Only what children need of the parent is kept while they are emitted.
        slim = Organization(id=pk, path=path, ancestor_ids=org.ancestor_ids)
        del org
        for n, child in enumerate(node.children, start=1):
            yield from self._emit(child, slim, n, division_code, division_len)
        for spec in node.links:
            self.links.append(
                OrgLink(
                    kind=spec.kind,
                    lead_id=spec.lead.pk,
                    partner_id=spec.partner.pk,
                    started_on=spec.started_on,
                    note=spec.note,
                )
            )
        node.links.clear()
        if not isinstance(item, Node):
            node.children.clear()  # a lazily built county: let it go

    def _anchor(self, key: str, node: Node) -> None:
        self.anchors[key] = Anchor(node.pk, node.name, node.label, node.path, node.leader)
