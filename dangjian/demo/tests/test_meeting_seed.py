"""The demo meetings: consistent tags and attendance, check-in codes, the demo branch, variety."""

from __future__ import annotations

import datetime as dt
import random
import re
from collections import Counter, defaultdict
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import Count, F, Q
from django.utils import timezone

from dangjian.accounts.models import RoleGrant, User
from dangjian.demo.meetings import CODE_DAYS, Unit, plan_units, seed_meetings
from dangjian.meetings.models import Attendance, Meeting, MeetingTypeTag, MemberReview
from dangjian.meetings.selectors import attendance_count_drift
from dangjian.meetings.services import (
    CODE_ALPHABET,
    CODE_LENGTH,
    checkin_status,
    checkin_window,
)
from dangjian.members.models import Member
from dangjian.orgs.models import Organization

SEED = 11
COUNTED = ("submitted", "approved")


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):  # type: ignore[no-untyped-def]
    """Seed the county (organizations, accounts, members, meetings) once; rolled back after."""
    with django_db_blocker.unblock(), transaction.atomic():
        out = StringIO()
        call_command(
            "seed", "--scale", "county", "--seed", str(SEED), "--until", "meetings", stdout=out
        )
        # Check the seed's deferred foreign keys now, once: otherwise PostgreSQL re-checks them
        # all at every test's teardown (inside a savepoint that is then rolled back).
        connection.check_constraints()
        yield out.getvalue()
        transaction.set_rollback(True)


def _demo_branch() -> int:
    grant = RoleGrant.objects.get(
        user__username="village_secretary", role="secretary", valid_to__isnull=True
    )
    return grant.org_id


@pytest.mark.django_db
def test_counts_are_in_range(seeded: str) -> None:
    meetings = Meeting.objects.count()
    assert f"{meetings} 次会议记录" in seeded
    branches = Meeting.objects.filter(org__org_type__in=["branch", "joint_branch"])
    assert 15_000 <= meetings <= 40_000
    assert branches.values("org_id").distinct().count() >= 500
    assert Meeting.objects.filter(org__org_type="group").values("org_id").distinct().count() > 400
    assert meetings < MeetingTypeTag.objects.count() < 1.3 * meetings
    assert 300_000 <= Attendance.objects.count() <= 1_200_000
    full = Member.objects.filter(status="current", category="full").count()
    assert 0.5 * full <= MemberReview.objects.count() <= 0.95 * full
    states = Counter(Meeting.objects.values_list("state", flat=True))
    assert states["approved"] > 0.75 * meetings
    assert min(states["submitted"], states["returned"], states["draft"]) > 50
    combined = Counter(len(t) for t in Meeting.objects.values_list("types", flat=True))
    assert combined[2] > 500
    assert combined[3] > 50
    # Nothing is seeded twice: a second call finds every branch done.
    assert seed_meetings(rng_seed=SEED, today=timezone.localdate(), scale="county") == 0
    assert seed_meetings(rng_seed=SEED, today=timezone.localdate(), scale="province") == 0


@pytest.mark.django_db
def test_tags_match_their_meetings(seeded: str) -> None:
    tags = defaultdict(set)
    for mid, mtype, org, path, held_on, counts, late in MeetingTypeTag.objects.values_list(
        "meeting_id", "meeting_type", "org_id_copy", "org_path", "held_on", "counts",
        "is_late_entry",
    ):  # fmt: skip
        tags[mid].add((mtype, org, path, held_on, counts, late))
    n = 0
    for mid, types, org, path, held_at, state, late in Meeting.objects.values_list(
        "id", "types", "org_id", "org_path", "held_at", "state", "is_late_entry"
    ):
        day = timezone.localtime(held_at).date()
        expected = {(t, org, path, day, state in COUNTED, late) for t in types}
        assert tags.pop(mid, set()) == expected, mid
        n += 1
    assert not tags  # no tag without its meeting
    assert n > 0
    assert not Meeting.objects.exclude(org_path=F("org__path")).exists()


@pytest.mark.django_db
def test_meetings_carry_their_attendance_counts(seeded: str) -> None:
    """应到/实到 on every meeting equal a recount of its rows (compliance sums them)."""
    drift = attendance_count_drift()
    assert drift.checked == Meeting.objects.count() > 0
    assert drift.wrong == []
    assert Meeting.objects.filter(present_count__gt=0).count() > 0.8 * drift.checked


@pytest.mark.django_db
def test_attendance_is_for_members_of_the_meeting_org(seeded: str) -> None:
    rows = Attendance.objects.values_list(
        "meeting__org_id", "meeting__org__org_type", "meeting__held_at",
        "member__branch_id", "member__group_id", "member__joined_on", "member__status",
        "member__category", "is_voting", "status", "reason", "org_path", "meeting__org_path",
    )  # fmt: skip
    dissolved = dict(
        Organization.objects.filter(org_type="group", dissolved_on__isnull=False).values_list(
            "id", "parent_id"
        )
    )
    for (org, org_type, held_at, branch, group, joined, member_status, category,
         voting, status, reason, path, meeting_path) in rows.iterator(chunk_size=20_000):  # fmt: skip
        if org in dissolved:  # its members moved to another group of the branch since
            assert branch == dissolved[org]
        else:
            assert org == (group if org_type == "group" else branch)
        assert joined <= timezone.localtime(held_at).date()
        assert member_status == "current"
        assert voting == (category == "full")
        assert bool(reason) == (status == "excused")
        assert path == meeting_path
    reasons = Counter(Attendance.objects.filter(status="excused").values_list("reason", flat=True))
    assert {"外出务工", "生病住院", "照顾家人"} <= set(reasons)
    # Every invited member has a row: a whole-branch meeting lists everyone who had joined.
    meeting = (
        Meeting.objects.filter(type_tags__meeting_type="theme_day", org__org_type="branch")
        .annotate(n=Count("attendance"))
        .order_by("-n")
        .first()
    )
    assert meeting is not None
    day = timezone.localtime(meeting.held_at).date()
    invited = Member.objects.filter(
        branch_id=meeting.org_id, status="current", joined_on__lte=day
    ).exclude(standing="suspended")
    assert meeting.n == invited.count()
    # Committee meetings: only branches with a 支部委员会 (≥ 7 full members).
    full = dict(
        Member.objects.filter(status="current", category="full")
        .values_list("branch_id")
        .annotate(n=Count("id"))
    )
    committee_orgs = set(
        MeetingTypeTag.objects.filter(meeting_type="committee_meeting").values_list(
            "org_id_copy", flat=True
        )
    )
    assert committee_orgs
    assert all(full.get(org, 0) >= 7 for org in committee_orgs)


@pytest.mark.django_db
def test_checkin_codes(seeded: str) -> None:
    rows = list(
        Meeting.objects.exclude(checkin_code=None).values_list(
            "checkin_code", "checkin_token", "held_at", "checkin_opens_at", "checkin_closes_at"
        )
    )
    assert len(rows) > 1000
    codes = [r[0] for r in rows]
    tokens = [r[1] for r in rows]
    assert len(set(codes)) == len(codes)
    assert len(set(tokens)) == len(tokens)
    assert all(len(c) == CODE_LENGTH and set(c) <= set(CODE_ALPHABET) for c in codes)
    assert all(re.fullmatch(r"[0-9a-f]{32}", t) for t in tokens)
    today = timezone.localdate()
    oldest = min(timezone.localtime(r[2]).date() for r in rows)
    assert (today - oldest).days <= CODE_DAYS
    assert all(r[3] < r[4] for r in rows)
    older = Meeting.objects.filter(held_at__lt=timezone.now() - dt.timedelta(days=CODE_DAYS + 1))
    assert not older.exclude(checkin_code=None).exists()
    scanned = Attendance.objects.filter(by_checkin=True)
    assert scanned.exists()
    assert not scanned.filter(meeting__checkin_code=None).exists()
    assert not scanned.filter(checked_in_at=None).exists()


@pytest.mark.django_db
def test_checkins_follow_the_service_rules(seeded: str) -> None:
    """The demo opens and closes check-in, and marks a scan 出席 or 迟到, as the service would."""
    windows = Meeting.objects.exclude(checkin_code=None).values_list(
        "held_at", "checkin_opens_at", "checkin_closes_at"
    )
    # Only the demo branch's meeting of this morning is open all day.
    assert sum((o, c) != checkin_window(h) for h, o, c in windows) <= 1
    scanned = list(
        Attendance.objects.filter(by_checkin=True).values_list(
            "meeting__held_at", "checked_in_at", "status"
        )
    )
    assert {s for _h, _c, s in scanned} == {Attendance.Status.PRESENT, Attendance.Status.LATE}
    assert all(checkin_status(h, c) == s for h, c, s in scanned)
    assert all(checkin_window(h)[0] <= c <= checkin_window(h)[1] for h, c, _s in scanned)


@pytest.mark.django_db
def test_demo_branch_is_lively(seeded: str) -> None:
    branch = _demo_branch()
    now = timezone.now()
    today = timezone.localdate()
    open_now = Meeting.objects.filter(
        org_id=branch, checkin_opens_at__lte=now, checkin_closes_at__gte=now, state="draft"
    )
    assert open_now.count() == 1
    meeting = open_now.get()
    local = timezone.localtime(meeting.held_at)
    assert local.date() == today
    assert (local.hour, local.minute) == (7, 30)
    assert meeting.checkin_code
    assert meeting.checkin_token
    member = Member.objects.get(user__username="member")
    assert member.branch_id == branch
    assert Attendance.objects.filter(meeting=meeting, member=member).exists()
    returned = Meeting.objects.filter(org_id=branch, state="returned")
    assert returned.count() == 1
    assert returned.get().review_comment
    # Mostly compliant: a 主题党日 every past month of the window.
    months = {
        (d.year, d.month)
        for d in MeetingTypeTag.objects.filter(
            org_id_copy=branch, meeting_type="theme_day"
        ).values_list("held_on", flat=True)
    }
    assert len(months) >= 13
    user = User.objects.get(username="village_secretary")
    assert not Meeting.objects.filter(org_id=branch).exclude(created_by=user).exists()


@pytest.mark.django_db
def test_branches_range_from_exemplary_to_behind(seeded: str) -> None:
    branches = Meeting.objects.filter(org__org_type__in=["branch", "joint_branch"])
    months = defaultdict(set)
    for org, day in MeetingTypeTag.objects.filter(
        meeting_type="theme_day", org_id_copy__in=branches.values("org_id")
    ).values_list("org_id_copy", "held_on"):
        months[org].add((day.year, day.month))
    held = Counter(len(ms) for ms in months.values())
    top = max(held)
    assert sum(n for k, n in held.items() if k >= top - 1) > 0.2 * len(months)
    assert sum(n for k, n in held.items() if k <= top - 5) > 0.05 * len(months)
    rates = Attendance.objects.values("meeting__org_id").annotate(
        n=Count("id"), came=Count("id", filter=Q(status__in=["present", "late"]))
    )
    shares = [r["came"] / r["n"] for r in rates if r["n"] >= 30]
    assert sum(s >= 0.85 for s in shares) > 0.1 * len(shares)
    assert sum(s < 0.65 for s in shares) > 0.1 * len(shares)
    # Some quarters passed without a 党员大会.
    quarters = defaultdict(set)
    for org, day in MeetingTypeTag.objects.filter(meeting_type="general_meeting").values_list(
        "org_id_copy", "held_on"
    ):
        quarters[org].add((day.year, (day.month - 1) // 3))
    assert len({len(q) for q in quarters.values()}) >= 3


@pytest.mark.django_db
def test_states_and_late_entries(seeded: str) -> None:
    assert not Meeting.objects.filter(state="returned", review_comment="").exists()
    assert not Meeting.objects.filter(state="draft").exclude(submitted_at=None).exists()
    assert not Meeting.objects.filter(state__in=COUNTED, submitted_at=None).exists()
    assert not Meeting.objects.filter(state="approved", reviewed_at=None).exists()
    late = Meeting.objects.filter(is_late_entry=True)
    assert late.count() > 200
    assert not late.filter(created_at__lt=F("held_at") + dt.timedelta(days=30)).exists()
    assert not Meeting.objects.filter(submitted_at__lt=F("held_at")).exists()
    first = timezone.localdate().replace(day=1)
    drafts = Meeting.objects.filter(state="draft", held_at__gte=timezone.now() - dt.timedelta(60))
    assert drafts.filter(held_at__date__gte=first).exists()


@pytest.mark.django_db
def test_member_reviews(seeded: str) -> None:
    year = timezone.localdate().year - 1
    reviews = MemberReview.objects.all()
    assert set(reviews.values_list("year", flat=True)) == {year}
    n = reviews.count()
    results = Counter(reviews.values_list("result", flat=True))
    assert 0.15 <= results["excellent"] / n <= 0.25
    assert 0.7 <= results["qualified"] / n <= 0.8
    assert 0.02 <= results["basically_qualified"] / n <= 0.06
    assert 0 < results["unqualified"] / n < 0.01
    assert reviews.filter(handling="correct").exists()
    assert not reviews.exclude(org_path=F("member__org_path")).exists()
    assert not reviews.exclude(meeting__type_tags__meeting_type="member_review").exists()
    reviewed = set(reviews.values_list("member__branch_id", flat=True))
    with_members = set(Member.objects.filter(status="current").values_list("branch_id", flat=True))
    assert 0.05 * len(with_members) < len(with_members - reviewed) < 0.4 * len(with_members)


@pytest.mark.django_db
def test_planning_is_deterministic(seeded: str) -> None:
    planner, units = plan_units(rng_seed=SEED, today=timezone.localdate(), scale="county")
    assert not units  # every branch already has its meetings
    unit_planner, _ = plan_units(rng_seed=SEED, today=dt.date(2026, 3, 15), scale="county")
    unit = Unit(1, "0001", "前进村党支部", "village", [(2, "00010001")])
    unit.people = []
    plans = []
    for _ in range(2):
        rng = random.Random("x")
        tier = unit_planner.tier(unit, rng)
        plans.append([(p.day, p.types, p.topic) for p in unit_planner.plan(unit, tier, rng)])
    assert plans[0] == plans[1]
    assert plans[0]
    assert all(p[0] < dt.date(2026, 3, 15) for p in plans[0])
    assert min(p[0] for p in plans[0]) >= dt.date(2025, 2, 1)  # the first day, 13 months back
    assert planner.start.day == 1
