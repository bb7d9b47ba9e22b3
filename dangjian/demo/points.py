"""Demo 积分: a year of points across the county, closed quarters, stars and 双亮 commitments.

``seed_points`` runs after the meetings demo and reads its attendance: every approved meeting
gives its present members ``meeting_present`` (+2, at most 6 a month) and its absent members
``meeting_absent_unexcused`` (-5), with the attendance row as the source, exactly as
``points_award_auto`` books them when a township approves a record. On top of that each member
gets 书记登记 items month by month from a ``random.Random`` seeded by the seed and the branch
path: online study, volunteer service, suggestions adopted, the odd commendation, and — mostly
in branches that are behind — deductions for unpaid dues or a 批评教育. A few deductions have
been reversed (冲正), so the ledger shows corrections as new entries.

Every branch gets a tier (``TIERS``): about a quarter exemplary (balances end the year around
150–180), a little over half in the middle, a fifth behind (many members under the 60-point
line on the board). Past quarters of this year (and last year) are closed with their balances
frozen; last year's 星级评定 is final in every branch (stars shown on member pages); the demo
village branch also has this year's review in its five-working-day 公示, a few self-reports
(with photos) waiting for the secretary, and 陈秀英's commitment. About half the members have
published a 双亮 commitment.

County scale gets twelve months; city scale the last two months and no closes or stars (kept
bounded); province scale nothing. The same seed over the same data writes the same rows.
"""

from __future__ import annotations

import datetime as dt
import io
import random
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from dangjian.accounts.models import RoleGrant
from dangjian.core.bulk import insert_rows
from dangjian.core.workdays import add_working_days, is_working_day
from dangjian.meetings.models import Attendance, Meeting
from dangjian.meetings.services import ATTENDANCE_POINTS, attendance_points_note
from dangjian.members.models import Member
from dangjian.orgs.models import Organization
from dangjian.points.models import (
    Commitment,
    PointsBalance,
    PointsClaim,
    PointsEntry,
    PointsItem,
    PointsPeriod,
    PointsScheme,
    StarRating,
    StarReview,
)
from dangjian.points.rules import (
    Band,
    Span,
    assign_stars,
    period_window,
    score_from_balance,
    star_unrated_reason,
)
from dangjian.points.selectors import competition_ranks, lost_contact_spans
from dangjian.points.services import balances_rebuild

MONTHS_BACK = {"county": 11, "city": 1}  # whole months before the current one
DEMO_USERNAME = "village_secretary"
DEMO_MEMBER = "member"
Origin = PointsEntry.Origin


@dataclass(frozen=True)
class Tier:
    name: str
    study: float  # chance of an online study task booked in a month
    volunteer: float  # chance of a volunteer service in a month
    suggestion: float  # chance of an adopted suggestion in a quarter
    commended: float  # chance of a commendation in the year
    dues_late: float  # chance of unpaid dues in a month
    criticised: float  # chance of a 批评教育 in the year
    commitment: float  # share of members who published a 双亮 commitment
    star_score: tuple[int, int]  # last year's 评分 range
    slacker: float  # share of 落后党员: no study or service, dues often late, criticised


TIERS = (
    (Tier("exemplary", 0.70, 0.55, 0.30, 0.10, 0.00, 0.00, 0.85, (82, 99), 0.00), 0.25),
    (Tier("middle", 0.40, 0.30, 0.12, 0.04, 0.01, 0.01, 0.55, (70, 92), 0.03), 0.55),
    (Tier("behind", 0.10, 0.08, 0.03, 0.01, 0.05, 0.06, 0.20, (55, 84), 0.15), 0.20),
)

# A 落后党员 anywhere: the board's red rows and the secretary's list under the line.
SLACKER = Tier("slacker", 0.0, 0.0, 0.0, 0.0, 0.45, 0.9, 0.0, (50, 70), 0.0)

VOLUNTEER = (
    "参加“清洁家园”环境整治志愿服务",
    "到敬老院开展助老志愿服务",
    "参加防汛值守志愿服务",
    "参加森林防火巡查",
    "为困难群众代办事项",
    "参加“文明交通”劝导志愿服务",
    "参与村级矛盾纠纷调解",
    "帮助留守儿童辅导功课",
)
STUDY = ("完成“学习强国”每周学习任务", "完成党员教育平台专题学习", "参加线上党课学习并撰写心得")
SUGGESTIONS = (
    "提出修建村口路灯的建议被村两委采纳",
    "建议成立农产品销售合作社被采纳",
    "提出村道安全隐患整改建议被采纳",
)
COMMENDED = (
    "在抗洪抢险中表现突出受到镇党委表扬",
    "被评为县级优秀志愿者",
    "带头发展特色种植受到表彰",
)
CRITICISED = ("无故不参加村集体义务劳动，受到批评教育", "违反村规民约乱堆乱放，受到批评教育")
COMMITMENTS = (
    "带头参加志愿服务，每月至少一次",
    "结对帮扶两户困难群众，帮助解决实际困难",
    "带头推进垃圾分类，做好房前屋后环境整治",
    "按时足额交纳党费，积极参加组织生活",
    "带头移风易俗，不大操大办红白喜事",
    "发挥种植技术特长，帮助三户群众增收",
    "主动化解邻里矛盾纠纷，维护村里和谐稳定",
    "认真学习党的创新理论，每周学习不少于三次",
    "带头守护绿水青山，参加森林防火巡查",
    "热心为群众代办事项，做群众的贴心人",
)
REVERSAL_SHARE = 0.05  # deductions later found wrong and reversed


def _tier(rng: random.Random) -> Tier:
    x = rng.random()
    for tier, share in TIERS:
        if x < share:
            return tier
        x -= share
    return TIERS[-1][0]


def _day_in(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    return start + dt.timedelta(days=rng.randrange((end - start).days + 1))


def _months(first: dt.date, today: dt.date) -> list[tuple[dt.date, dt.date]]:
    out = []
    day = first
    while day <= today:
        start, end = period_window("month", day)
        out.append((start, min(end, today)))
        day = end + dt.timedelta(days=1)
    return out


class Ledger:
    """Entries planned in memory with ids allocated up front, then inserted in one go."""

    def __init__(self, items: dict[tuple[int, str], PointsItem], now: dt.datetime) -> None:
        self.items = items
        self.next_id = (PointsEntry.objects.aggregate(m=Max("id"))["m"] or 0) + 1
        self.rows: list[dict[str, Any]] = []
        self.sums: dict[int, dict[dt.date, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
        self.cap_used: dict[tuple[int, int, dt.date], Decimal] = defaultdict(Decimal)
        self.now = now

    def add(
        self,
        *,
        member: int,
        path: str,
        code: str,
        on: dt.date,
        origin: str,
        reason: str,
        source: tuple[int, int] | None = None,
        label: str = "",
        actor: int | None = None,
    ) -> dict[str, Any] | None:
        item = self.items.get((on.year, code))
        if item is None:
            return None
        points = item.points
        if item.cap_period and item.cap_points is not None:
            window = period_window(item.cap_period, on)[0]
            key = (member, item.pk, window)
            room = item.cap_points - abs(self.cap_used[key])
            if room <= 0:
                return None
            points = min(abs(points), room) * (1 if points > 0 else -1)
            self.cap_used[key] += points
        row = {
            "id": self.next_id,
            "created_at": self.now,
            "member_id": member,
            "item_id": item.pk,
            "points": points,
            "occurred_on": on,
            "origin": origin,
            "source_type_id": source[0] if source else None,
            "source_id": source[1] if source else None,
            "source_label": label[:200],
            "reason": reason[:300],
            "actor_id": actor,
            "reverses_id": None,
            "org_path": path,
        }
        self.next_id += 1
        self.rows.append(row)
        self.sums[member][on.replace(day=1)] += points  # periods are whole months
        return row

    def reverse(self, original: dict[str, Any], *, reason: str, actor: int | None) -> None:
        row = {
            **original,
            "id": self.next_id,
            "points": -original["points"],
            "origin": Origin.REVERSAL,
            "source_type_id": None,
            "source_id": None,
            "source_label": f"冲正第{original['id']}号分录",
            "reason": f"冲正：{reason}",
            "actor_id": actor,
            "reverses_id": original["id"],
        }
        self.next_id += 1
        self.rows.append(row)
        self.sums[row["member_id"]][row["occurred_on"].replace(day=1)] += row["points"]

    def balance(self, member: int, base: Decimal, start: dt.date, end: dt.date) -> Decimal:
        total = base
        for day, value in self.sums.get(member, {}).items():
            if start <= day <= end:
                total += value
        return total


def seed_points(*, rng_seed: int, today: dt.date, scale: str) -> int:
    """Write the demo rows; return how many ledger entries were written (0 when nothing to do)."""
    if scale not in MONTHS_BACK or PointsEntry.objects.exists():
        return 0
    first = period_window("month", today)[0]
    for _ in range(MONTHS_BACK[scale]):
        first = period_window("month", first - dt.timedelta(days=1))[0]
    schemes = {
        s.year: s
        for s in PointsScheme.objects.filter(
            scope__isnull=True, year__in={first.year, today.year}, is_active=True
        )
    }
    items = {
        (i.scheme.year, i.code): i
        for i in PointsItem.objects.filter(scheme__in=schemes.values()).select_related("scheme")
    }
    if not items:
        return 0
    members = list(
        Member.objects.exclude(status=Member.Status.FORMER)
        .filter(joined_on__lte=today)
        .order_by("org_path", "id")
        .values_list("id", "branch_id", "org_path", "user_id")
    )
    if not members:
        return 0
    now = timezone.now()
    ledger = Ledger(items, now)
    demo = _demo(today)

    with transaction.atomic():
        _attendance_points(ledger, first, today)
        branches: dict[int, list[tuple[int, str, int | None]]] = defaultdict(list)
        paths: dict[int, str] = {}
        for mid, branch_id, path, user_id in members:
            branches[branch_id].append((mid, path, user_id))
            paths[branch_id] = path
        tiers: dict[int, Tier] = {}
        commitments: list[dict[str, Any]] = []
        months = _months(first, today)
        for branch_id in sorted(branches, key=lambda b: paths[b]):
            rng = random.Random(f"{rng_seed}:points:{paths[branch_id]}")
            tier = TIERS[0][0] if branch_id == demo.branch else _tier(rng)
            tiers[branch_id] = tier
            actor = demo.secretary if branch_id == demo.branch else None
            for mid, path, _user in branches[branch_id]:
                _member_year(ledger, rng, tier, mid, path, months, actor)
                if rng.random() < tier.commitment:
                    commitments.append(
                        {"member_id": mid, "year": today.year, "org_path": path,
                         "text": rng.choice(COMMITMENTS)}
                    )  # fmt: skip
        insert_rows(PointsEntry, ledger.rows, as_dicts=True)
        if commitments:
            insert_rows(Commitment, commitments, as_dicts=True)
        if scale == "county":
            _close_periods(ledger, schemes, members, first, today, now)
            _stars(rng_seed, schemes, branches, tiers, ledger, today, demo)
        _demo_branch(demo, items, today)
        # The open periods' balances, materialised from the ledger just written.
        for scheme in schemes.values():
            balances_rebuild(scheme=scheme)
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), [PointsEntry]):
                cursor.execute(sql)
    return len(ledger.rows)


@dataclass
class Demo:
    branch: int | None = None
    secretary: int | None = None
    member: int | None = None


def _demo(today: dt.date) -> Demo:
    grant = (
        RoleGrant.objects.filter(user__username=DEMO_USERNAME, role="secretary")
        .order_by("id")
        .values_list("org_id", "user_id")
        .first()
    )
    member = Member.objects.filter(user__username=DEMO_MEMBER).values_list("id", flat=True).first()
    if grant is None:
        return Demo(member=member)
    return Demo(branch=grant[0], secretary=grant[1], member=member)


def _attendance_points(ledger: Ledger, first: dt.date, today: dt.date) -> None:
    """Approved meetings' attendance, as the approval would have booked it."""
    ct = ContentType.objects.get_for_model(Attendance).pk
    meetings: dict[int, tuple[dt.date, str]] = {}
    for mid, held_at, topic in Meeting.objects.filter(
        state=Meeting.State.APPROVED, held_at__date__gte=first
    ).values_list("id", "held_at", "topic"):
        on = timezone.localtime(held_at).date()
        if on <= today:
            meetings[mid] = (on, f"出席记录：{attendance_points_note(topic, on)}")
    rows = (
        Attendance.objects.filter(meeting_id__in=list(meetings), status__in=list(ATTENDANCE_POINTS))
        .exclude(member__status=Member.Status.FORMER)
        .order_by("meeting_id", "id")
        .values_list("id", "member_id", "status", "meeting_id", "org_path")
    )
    for att_id, member_id, status, meeting_id, path in rows.iterator(chunk_size=20_000):
        on, label = meetings[meeting_id]
        code = ATTENDANCE_POINTS[status]
        ledger.add(
            member=member_id, path=path, code=code, on=on, origin=Origin.AUTO,
            reason="系统自动记分", source=(ct, att_id), label=label,
        )  # fmt: skip


def _member_year(
    ledger: Ledger,
    rng: random.Random,
    tier: Tier,
    mid: int,
    path: str,
    months: list[tuple[dt.date, dt.date]],
    actor: int | None,
) -> None:
    """书记登记 items for one member over the window."""
    if rng.random() < tier.slacker:
        tier = SLACKER
    for start, end in months:
        if rng.random() < tier.study:
            ledger.add(
                member=mid, path=path, code="study_online", on=_day_in(rng, start, end),
                origin=Origin.MANUAL, reason=rng.choice(STUDY), actor=actor,
            )  # fmt: skip
        if rng.random() < tier.volunteer:
            ledger.add(
                member=mid, path=path, code="volunteer_service", on=_day_in(rng, start, end),
                origin=Origin.MANUAL, reason=rng.choice(VOLUNTEER), actor=actor,
            )  # fmt: skip
        if start.month % 3 == 0 and rng.random() < tier.suggestion:
            ledger.add(
                member=mid, path=path, code="suggestion_adopted", on=_day_in(rng, start, end),
                origin=Origin.MANUAL, reason=rng.choice(SUGGESTIONS), actor=actor,
            )  # fmt: skip
        if rng.random() < tier.dues_late:
            row = ledger.add(
                member=mid, path=path, code="dues_late", on=_day_in(rng, start, end),
                origin=Origin.MANUAL, reason=f"{start.month}月党费未按时交纳", actor=actor,
            )  # fmt: skip
            if row is not None and rng.random() < REVERSAL_SHARE:
                ledger.reverse(row, reason="经核实已委托他人代缴，系误记", actor=actor)
    if rng.random() < tier.commended:
        start, end = months[rng.randrange(len(months))]
        ledger.add(
            member=mid, path=path, code="role_model", on=_day_in(rng, start, end),
            origin=Origin.MANUAL, reason=rng.choice(COMMENDED), actor=actor,
        )  # fmt: skip
    for _ in range(3 if tier is SLACKER else 1):
        if rng.random() < tier.criticised:
            start, end = months[rng.randrange(len(months))]
            ledger.add(
                member=mid, path=path, code="discipline_violation", on=_day_in(rng, start, end),
                origin=Origin.MANUAL, reason=rng.choice(CRITICISED), actor=actor,
            )  # fmt: skip


def _close_periods(
    ledger: Ledger,
    schemes: dict[int, PointsScheme],
    members: list[tuple[int, int, str, Any]],
    first: dt.date,
    today: dt.date,
    now: dt.datetime,
) -> None:
    """Close last year and this year's ended quarters; freeze balances as period_close does."""
    closes: list[tuple[str, dt.date, dt.date]] = []
    if first.year < today.year:
        closes.append(("year", dt.date(first.year, 1, 1), dt.date(first.year, 12, 31)))
    q_start = dt.date(today.year, 1, 1)
    while True:
        start, end = period_window("quarter", q_start)
        if end >= today:
            break
        closes.append(("quarter", start, end))
        q_start = end + dt.timedelta(days=1)
    for kind, start, end in closes:
        scheme = schemes.get(start.year)
        if scheme is None:
            continue
        # Awards booked before the seed (approved meetings) may have opened the period already.
        period, _ = PointsPeriod.objects.update_or_create(
            scheme=scheme, kind=kind, start=start,
            defaults={"end": end, "state": PointsPeriod.State.CLOSED, "closed_at": now},
        )  # fmt: skip
        PointsBalance.objects.filter(period=period).delete()
        year_start = dt.date(start.year, 1, 1)
        values: dict[int, list[tuple[int, Decimal]]] = defaultdict(list)
        rows: list[dict[str, Any]] = []
        for mid, branch_id, path, _user in members:
            balance = ledger.balance(mid, scheme.base_points, year_start, end)
            earned = ledger.balance(mid, Decimal(0), start, end)
            values[branch_id].append((mid, balance))
            rows.append(
                {"period_id": period.pk, "member_id": mid, "branch_id": branch_id,
                 "org_path": path, "earned": earned, "balance": balance, "rank_in_branch": 0}
            )  # fmt: skip
        ranks: dict[int, int] = {}
        for vals in values.values():
            ranks.update(competition_ranks(vals))
        for r in rows:
            r["rank_in_branch"] = ranks[r["member_id"]]
        insert_rows(PointsBalance, rows, as_dicts=True)


def _stars(
    rng_seed: int,
    schemes: dict[int, PointsScheme],
    branches: dict[int, list[tuple[int, str, int | None]]],
    tiers: dict[int, Tier],
    ledger: Ledger,
    today: dt.date,
    demo: Demo,
) -> None:
    """Last year's 星级评定, final everywhere; this year's in 公示 in the demo branch."""
    last = today.year - 1
    scheme = PointsScheme.objects.filter(scope__isnull=True, year=last).first()
    if scheme is None:
        return
    bands = [Band(b.stars, b.min_score, b.max_ratio) for b in scheme.star_bands.all()]
    published = dt.date(today.year, 1, 12)  # reviewed in January, five working days' 公示
    until = add_working_days(published, scheme.star_publicity_days)
    review_rows: list[dict[str, Any]] = []
    rating_rows: list[dict[str, Any]] = []
    next_review = (StarReview.objects.aggregate(m=Max("id"))["m"] or 0) + 1
    # Who is rated follows the app's rule (points.rules): 失联 in the year or up to the rating
    # date means no stars, with the reason on the rating.
    spans = lost_contact_spans(mid for rows in branches.values() for mid, _p, _u in rows)
    for branch_id, rows in branches.items():
        rng = random.Random(f"{rng_seed}:stars:{rows[0][1]}")
        tier = tiers[branch_id]
        review_rows.append(
            {"id": next_review, "org_id": branch_id, "year": last, "state": "final",
             "org_path": "", "publicity_from": published,
             "publicity_until": until, "finalized_on": until + dt.timedelta(days=1),
             "created_by_id": None}
        )  # fmt: skip
        scores = [(mid, Decimal(rng.randint(*tier.star_score))) for mid, _p, _u in rows]
        unrated = _unrated(spans, [mid for mid, _s in scores], last, published)
        stars = _rated(scores, bands, unrated)
        path_of = {mid: p for mid, p, _u in rows}
        for mid, score in scores:
            rating_rows.append(
                {"review_id": next_review, "member_id": mid, "org_path": path_of[mid],
                 "score": score, "stars": stars[mid][0], "capped": stars[mid][1],
                 "note": "", "unrated_reason": unrated.get(mid, ""), "is_current": True}
            )  # fmt: skip
        next_review += 1
    # The review row's org_path is the branch's own path: members' paths may be deeper (党小组).
    branch_paths = dict(
        Organization.objects.filter(pk__in=list(branches)).values_list("id", "path")
    )
    for r in review_rows:
        r["org_path"] = branch_paths[r["org_id"]]
    insert_rows(StarReview, review_rows, as_dicts=True)
    insert_rows(StarRating, rating_rows, as_dicts=True)
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), [StarReview]):
            cursor.execute(sql)
    if demo.branch is None or demo.branch not in branches:
        return
    this = schemes.get(today.year)
    if this is None:
        return
    # This year's review in the demo branch, published two working days ago.
    published = today - dt.timedelta(days=1)
    back = 0
    while back < 2:
        if is_working_day(published):
            back += 1
        if back < 2:
            published -= dt.timedelta(days=1)
    review = StarReview.objects.create(
        org_id=demo.branch, year=today.year, state=StarReview.State.PUBLICITY,
        org_path=branch_paths[demo.branch], publicity_from=published,
        publicity_until=add_working_days(published, this.star_publicity_days),
        created_by_id=demo.secretary,
    )  # fmt: skip
    this_bands = [Band(b.stars, b.min_score, b.max_ratio) for b in this.star_bands.all()]
    rows = branches[demo.branch]
    scores = [
        (
            mid,
            score_from_balance(
                ledger.balance(mid, this.base_points, dt.date(today.year, 1, 1), today),
                this.star_full_marks,
            ),
        )
        for mid, _p, _u in rows
    ]
    unrated = _unrated(spans, [mid for mid, _s in scores], today.year, published)
    stars = _rated(scores, this_bands, unrated)
    path_of = {mid: p for mid, p, _u in rows}
    StarRating.objects.bulk_create(
        StarRating(
            review=review,
            member_id=mid,
            org_path=path_of[mid],
            score=score,
            stars=stars[mid][0],
            capped=stars[mid][1],
            unrated_reason=unrated.get(mid, ""),
        )  # fmt: skip
        for mid, score in scores
    )


def _unrated(
    spans: dict[int, list[Span]], ids: list[int], year: int, on: dt.date
) -> dict[int, str]:
    """``{member: reason}`` for those the rule leaves unrated in ``year`` rated on ``on``."""
    reasons = {mid: star_unrated_reason(spans.get(mid, []), year=year, on=on) for mid in ids}
    return {mid: why for mid, why in reasons.items() if why}


def _rated(
    scores: list[tuple[int, Decimal]], bands: list[Band], unrated: dict[int, str]
) -> dict[int, tuple[int, bool]]:
    """``{member: (stars, capped)}``; the unrated get none and take no place under the caps."""
    got = assign_stars([(mid, sc) for mid, sc in scores if mid not in unrated], bands)
    out = {r.key: (r.stars, r.capped) for r in got}
    return {mid: out.get(mid, (0, False)) for mid, _sc in scores}


def _photo(rng: random.Random) -> ContentFile:
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (640, 420), (236, 240, 233))
    draw = ImageDraw.Draw(img)
    for _ in range(6):
        x, y = rng.randrange(600), rng.randrange(380)
        color = (rng.randrange(120, 220), rng.randrange(60, 160), rng.randrange(40, 120))
        draw.rectangle([x, y, x + rng.randrange(40, 160), y + rng.randrange(30, 120)], fill=color)
    draw.rectangle([40, 30, 200, 120], fill=(200, 30, 30))
    out = io.BytesIO()
    img.save(out, format="JPEG", quality=80)
    return ContentFile(out.getvalue())


def _demo_branch(demo: Demo, items: dict[tuple[int, str], PointsItem], today: dt.date) -> None:
    """Self-reports waiting for the demo secretary (with photos), and 陈秀英's commitment."""
    if demo.branch is None:
        return
    rng = random.Random("points:demo-branch")
    ids = list(
        Member.objects.filter(branch_id=demo.branch)
        .exclude(status=Member.Status.FORMER)
        .order_by("id")
        .values_list("id", "org_path")
    )
    if not ids:
        return
    me = demo.member or ids[0][0]
    others = [mid for mid, _path in ids if mid != me] or [me]
    pending = [
        (me, "volunteer_service", "参加村敬老院重阳节志愿服务，打扫卫生、陪老人聊天"),
        (others[0], "study_online", "完成党员教育平台“二十届三中全会精神”专题学习"),
        (others[min(1, len(others) - 1)], "suggestion_adopted", "提出在村口增设垃圾分类投放点的建议，已被村两委采纳"),
    ]  # fmt: skip
    path_of = dict(ids)
    for member_id, code, text in pending:
        item = items.get((today.year, code))
        if item is None or member_id not in path_of:
            continue
        claim = PointsClaim(
            member_id=member_id, item=item, occurred_on=today - dt.timedelta(days=rng.randint(1, 5)),
            description=text, org_path=path_of[member_id],
        )  # fmt: skip
        if item.evidence_required:
            name = default_storage.save(f"points/demo/{code}-{member_id}.jpg", _photo(rng))
            claim.evidence.name = name
        claim.save()
    if demo.member is not None and demo.member in path_of:
        Commitment.objects.update_or_create(
            member_id=demo.member, year=today.year,
            defaults={"text": "带头参加志愿服务，结对帮扶两户困难群众", "org_path": path_of[demo.member]},
        )  # fmt: skip
