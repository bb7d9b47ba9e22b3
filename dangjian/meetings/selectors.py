"""Reads for meeting records: scoped lists, the review queue, a member's attendance."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from dangjian.core.counting import CappedCount, capped_count
from dangjian.core.paths import subtree_q
from dangjian.meetings.access import meetings_visible_to
from dangjian.meetings.models import Attendance, Meeting, MeetingType
from dangjian.orgs.access import scope_roots
from dangjian.orgs.models import Organization
from dangjian.orgs.selectors import attach_org_places

PAGE_SIZE = 20
PRESENT = (Attendance.Status.PRESENT, Attendance.Status.LATE)
# Announced but not (yet) held, or called off: no one attended or missed anything.
NOT_HELD = (Meeting.State.PLANNED, Meeting.State.CANCELLED)
# Held but not yet recorded (check-in may still be open): a member without a check-in has
# not been marked absent yet, and the meeting does not count towards the rate.
NOT_RECORDED = (Meeting.State.DRAFT, Meeting.State.RETURNED)
# The badge colour of each attendance status (the label is the model's own choice label).
STATUS_TONES: dict[str, str] = {
    Attendance.Status.PRESENT: "green",
    Attendance.Status.LATE: "yellow",
    Attendance.Status.EXCUSED: "azure",
    Attendance.Status.ABSENT: "red",
}


def shown_status(row: Attendance) -> tuple[str, str]:
    """The label and colour of a member's attendance: 未签到 while the meeting is unrecorded."""
    if row.status == Attendance.Status.ABSENT and row.meeting.state in NOT_RECORDED:
        return ("未签到", "secondary")
    return (row.get_status_display(), STATUS_TONES.get(row.status, "secondary"))


@dataclass
class MeetingPage:
    rows: list[Meeting]
    next_cursor: str | None


def meeting_filter(*, viewer: Any, org: Organization | None, params: Any) -> QuerySet[Meeting]:
    """Visible meetings under ``org`` (or the whole scope), narrowed by type, state and month."""
    qs = meetings_visible_to(viewer)
    if org is not None:
        qs = qs.filter(subtree_q("org_path", org.path))
    meeting_type = params.get("type") or ""
    if meeting_type in MeetingType.values:
        # A JSON-list containment test is not portable to SQLite; the type tags are indexed.
        qs = qs.filter(type_tags__meeting_type=meeting_type)
    state = params.get("state") or ""
    if state in Meeting.State.values:
        qs = qs.filter(state=state)
    month = params.get("month") or ""
    first = _month_start(month)
    if first is not None:
        nxt = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        tz = timezone.get_current_timezone()
        qs = qs.filter(
            held_at__gte=dt.datetime.combine(first, dt.time(), tz),
            held_at__lt=dt.datetime.combine(nxt, dt.time(), tz),
        )
    return qs


def _month_start(value: str) -> dt.date | None:
    year, _, mon = value.partition("-")
    if not (year.isdigit() and mon.isdigit()):
        return None
    try:
        return dt.date(int(year), int(mon), 1)
    except ValueError:
        return None


def meeting_page(
    qs: QuerySet[Meeting], *, cursor: str | None, size: int = PAGE_SIZE
) -> MeetingPage:
    """A keyset page ordered newest first by (held_at, id)."""
    if cursor:
        stamp, _, last_id = cursor.partition("|")
        try:
            held = dt.datetime.fromisoformat(stamp)
        except ValueError:
            held = None
        if held is not None and last_id.isdigit():
            qs = qs.filter(Q(held_at__lt=held) | Q(held_at=held, id__lt=int(last_id)))
    rows = list(qs.select_related("org").order_by("-held_at", "-id")[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    nxt = f"{rows[-1].held_at.isoformat()}|{rows[-1].pk}" if more and rows else None
    return MeetingPage(rows=rows, next_cursor=nxt)


def review_queue(viewer: Any) -> QuerySet[Meeting]:
    """待我审核: submitted meetings of organizations strictly below a meeting.review grant."""
    roots = scope_roots(viewer, action="meeting.review")
    if not roots:
        return Meeting.objects.none()
    q = Q()
    for root in roots:
        q |= subtree_q("org_path", root)
    return Meeting.objects.filter(q, state=Meeting.State.SUBMITTED).exclude(org_path__in=roots)


def meetings_to_review(*, viewer: Any, limit: int = 200) -> list[Meeting]:
    """The review queue, oldest submission first (capped)."""
    return list(review_queue(viewer).select_related("org").order_by("submitted_at", "id")[:limit])


REVIEW_PAGE_SIZE = 200
REVIEW_COUNT_CAP = 10_000


@dataclass
class ReviewQueuePage:
    rows: list[Meeting]
    next_cursor: str | None
    total: CappedCount  # everything waiting, not only this page


def meeting_review_page(
    *, viewer: Any, cursor: str | None = None, size: int | None = None
) -> ReviewQueuePage:
    """待我审核 a page at a time, oldest submission first, with the (capped) number waiting;
    each row carries its organization's place and who recorded it, so rows that share a topic
    can be told apart."""
    size = size or REVIEW_PAGE_SIZE
    qs = review_queue(viewer)
    total = capped_count(qs, cap=REVIEW_COUNT_CAP)
    if cursor:
        stamp, _, last_id = cursor.partition("|")
        try:
            at = dt.datetime.fromisoformat(stamp)
        except ValueError:
            at = None
        if at is not None and last_id.isdigit():
            qs = qs.filter(Q(submitted_at__gt=at) | Q(submitted_at=at, id__gt=int(last_id)))
    rows = list(qs.select_related("org", "created_by").order_by("submitted_at", "id")[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    last = rows[-1] if more and rows else None
    nxt = f"{last.submitted_at.isoformat()}|{last.pk}" if last and last.submitted_at else None
    attach_org_places(rows)
    return ReviewQueuePage(rows=rows, next_cursor=nxt, total=total)


def attendance_rows(meeting: Meeting) -> list[Attendance]:
    return list(meeting.attendance.select_related("member").order_by("member__name", "member_id"))


@dataclass
class AttendanceSummary:
    invited: int
    present: int
    late: int
    excused: int
    absent: int
    voting: int
    voting_present: int


def attendance_summary(rows: list[Attendance]) -> AttendanceSummary:
    return AttendanceSummary(
        invited=len(rows),
        present=sum(r.status == Attendance.Status.PRESENT for r in rows),
        late=sum(r.status == Attendance.Status.LATE for r in rows),
        excused=sum(r.status == Attendance.Status.EXCUSED for r in rows),
        absent=sum(r.status == Attendance.Status.ABSENT for r in rows),
        voting=sum(r.is_voting for r in rows),
        voting_present=sum(r.is_voting and r.status in PRESENT for r in rows),
    )


@dataclass
class MemberMeetings:
    rows: list[Attendance]
    invited: int
    attended: int
    since: dt.date

    @property
    def rate(self) -> int | None:
        """Percent attended (出席+迟到 ÷ 应到), or None when never invited."""
        return round(self.attended * 100 / self.invited) if self.invited else None


def member_meetings(
    *, member: Any, today: dt.date | None = None, limit: int = 50
) -> MemberMeetings:
    """A member's meetings over the last 12 months and the attendance rate (recorded meetings:
    submitted or approved; one still being recorded is listed as 未签到, not counted)."""
    today = today or timezone.localdate()
    since = (
        today.replace(year=today.year - 1) + dt.timedelta(days=1)
        if not (today.month == 2 and today.day == 29)
        else dt.date(today.year - 1, 3, 1)
    )
    start = dt.datetime.combine(since, dt.time(), timezone.get_current_timezone())
    qs = Attendance.objects.filter(member=member, meeting__held_at__gte=start).exclude(
        meeting__state__in=NOT_HELD
    )
    statuses = list(qs.exclude(meeting__state__in=NOT_RECORDED).values_list("status", flat=True))
    rows = list(qs.select_related("meeting", "meeting__org").order_by("-meeting__held_at")[:limit])
    for row in rows:
        row.shown_label, row.shown_tone = shown_status(row)  # type: ignore[attr-defined]
    return MemberMeetings(
        rows=rows,
        invited=len(statuses),
        attended=sum(s in PRESENT for s in statuses),
        since=since,
    )


def open_checkins_for(*, user: Any, now: dt.datetime) -> list[Meeting]:
    """Meetings whose check-in window is open and where the user's own member record is invited
    and not yet checked in (for the member's home page)."""
    member_id = (
        Attendance.objects.filter(member__user_id=user.pk)
        .values_list("member_id", flat=True)
        .first()
    )
    if member_id is None:
        return []
    return list(
        Meeting.objects.filter(
            attendance__member_id=member_id,
            attendance__status__in=[Attendance.Status.ABSENT, Attendance.Status.EXCUSED],
            checkin_opens_at__lte=now,
            checkin_closes_at__gte=now,
            state__in=[Meeting.State.PLANNED, Meeting.State.DRAFT, Meeting.State.RETURNED],
        )
        .select_related("org")
        .order_by("held_at")[:3]
    )


@dataclass
class NoticeReach:
    invited: int
    reachable: int  # invited members with an active login account: they get the notice


def notice_reach(meeting: Meeting) -> NoticeReach:
    """How many invited members a meeting notice reaches (in-app and the configured channels)."""
    rows = Attendance.objects.filter(meeting=meeting)
    return NoticeReach(
        invited=rows.count(),
        reachable=rows.filter(member__user__isnull=False, member__user__is_active=True).count(),
    )


@dataclass(frozen=True)
class CountDrift:
    """Meetings whose stored 应到/实到 differ from a recount of their attendance rows."""

    checked: int
    # (meeting id, stored invited, stored present, counted invited, counted present)
    wrong: list[tuple[int, int, int, int, int]]


def attendance_count_drift() -> CountDrift:
    """Compare every meeting's ``invited_count``/``present_count`` with its attendance rows
    (two queries: a count, and the meetings that differ with their recount)."""
    rows = Attendance.objects.filter(meeting_id=OuterRef("pk")).order_by().values("meeting_id")
    invited = rows.annotate(n=Count("id")).values("n")
    present = rows.filter(status__in=PRESENT).annotate(n=Count("id")).values("n")
    wrong = (
        Meeting.objects.annotate(
            counted_invited=Coalesce(Subquery(invited), Value(0)),
            counted_present=Coalesce(Subquery(present), Value(0)),
        )
        .filter(~Q(invited_count=F("counted_invited")) | ~Q(present_count=F("counted_present")))
        .order_by("pk")
        .values_list("pk", "invited_count", "present_count", "counted_invited", "counted_present")
    )
    return CountDrift(checked=Meeting.objects.count(), wrong=list(wrong))
