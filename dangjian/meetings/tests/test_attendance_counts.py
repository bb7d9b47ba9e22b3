"""Each meeting's 应到/实到 counts (what compliance sums) stay equal to its attendance rows,
whatever writes them; the reconcile command finds and fixes drift; the compliance page and API
send as many queries for many branches as for few."""

from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dangjian.meetings import services
from dangjian.meetings.compliance import views as compliance_views
from dangjian.meetings.compliance.api import ComplianceOut
from dangjian.meetings.models import Attendance, Meeting, MeetingType
from dangjian.meetings.selectors import attendance_count_drift
from dangjian.meetings.tests import factories
from dangjian.meetings.tests.test_compliance import hold
from dangjian.members.tests.factories import make_member
from dangjian.orgs.models import Organization
from dangjian.orgs.tests.factories import make_org

pytestmark = pytest.mark.django_db
roll = factories.roll
T = MeetingType


def counts(meeting: Meeting) -> tuple[int, int]:
    """(stored invited, stored present) read back from the database."""
    row = Meeting.objects.values_list("invited_count", "present_count").get(pk=meeting.pk)
    return row[0], row[1]


def recount(meeting: Meeting) -> tuple[int, int]:
    rows = Attendance.objects.filter(meeting=meeting)
    return rows.count(), rows.filter(status__in=["present", "late"]).count()


def assert_exact(meeting: Meeting, expected: tuple[int, int]) -> None:
    assert recount(meeting) == expected  # the step did what it says …
    assert counts(meeting) == expected  # … and the meeting's counts followed
    assert attendance_count_drift().wrong == []


def test_every_attendance_writer_keeps_the_counts(people, tree, roll) -> None:
    sec = people.village_secretary
    # 通知 (meeting_plan → the invited list): 4 full + 1 probationary, nobody there yet.
    planned = services.meeting_plan(
        actor=sec,
        org=tree.village_a1,
        types=[T.GENERAL_MEETING],
        held_at=timezone.now() + dt.timedelta(hours=2),
        topic="学习党章",
    )
    assert_exact(planned, (5, 0))
    # 请假 marked ahead (attendance_set).
    services.attendance_set(
        actor=sec, meeting=planned, member=roll.others[0], status="excused", reason="外出务工"
    )
    assert_exact(planned, (5, 0))
    # A member joins the branch; 改期 rebuilds the invited list (meeting_reschedule).
    make_member(people.county_admin, tree.village_a1, name="新党员")
    planned = services.meeting_reschedule(
        actor=sec, meeting=planned, held_at=timezone.now() + dt.timedelta(hours=3)
    )
    assert_exact(planned, (6, 0))
    # 扫码签到 (meeting_checkin) at the time.
    services.meeting_checkin(
        user=people.member,
        code_or_token=planned.checkin_code,
        now=planned.held_at - dt.timedelta(minutes=5),
    )
    assert_exact(planned, (6, 1))
    # Held: 登记会议记录 (meeting_start_record) keeps the check-in and the list.
    Meeting.objects.filter(pk=planned.pk).update(held_at=timezone.now() - dt.timedelta(hours=1))
    meeting = services.meeting_start_record(actor=sec, meeting=planned)
    assert_exact(meeting, (6, 1))
    # The whole sheet in one save (attendance_bulk_set).
    services.attendance_bulk_set(
        actor=sec,
        meeting=meeting,
        marks=[
            services.AttendanceMark(roll.others[1].pk, "present"),
            services.AttendanceMark(roll.others[2].pk, "late"),
            services.AttendanceMark(roll.probationary.pk, "absent"),
        ],
    )
    assert_exact(meeting, (6, 3))
    # A refused sheet changes nothing, counts included.
    with pytest.raises(Exception, match="请假需填写事由"):
        services.attendance_bulk_set(
            actor=sec,
            meeting=meeting,
            marks=[services.AttendanceMark(roll.others[1].pk, "excused")],
        )
    assert_exact(meeting, (6, 3))
    # 登记会议 straight away (meeting_create) builds the list with its counts.
    other = factories.make_meeting(sec, tree.village_a1)
    assert_exact(other, (6, 0))


# Every function outside the tests that writes attendance rows, and how it keeps the counts.
KNOWN_WRITERS = {
    # call _count_attendance after writing, the meeting row locked first
    ("meetings/services.py", "_sync_invited"),
    ("meetings/services.py", "attendance_set"),
    ("meetings/services.py", "meeting_checkin"),
    ("meetings/services.py", "attendance_bulk_set"),
    # writes the meetings' counts with the rows (demo/tests/test_meeting_seed.py checks them)
    ("demo/meetings.py", "flush"),
}
COUNTERS = {  # they write the counts themselves
    ("meetings/services.py", "_count_attendance"),
    ("meetings/services.py", "attendance_counts_rebuild"),
}
READERS = {  # named by the scan, checked by hand: SELECTs only
    ("meetings/management/commands/bench_compliance.py", "handle"),
}
WRITES = {"save", "create", "bulk_create", "update", "bulk_update", "delete", "get_or_create"}
WRITES |= {"update_or_create", "insert_rows", "raw", "execute"}


def _writers_in(source: str) -> set[str]:
    """Functions that mention attendance rows (``Attendance``, ``.attendance``, an
    ``_attendance_for`` row) and call a write (``save``, ``update``, ``insert_rows``, SQL …)."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        names = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
        attrs = {n.attr for n in ast.walk(node) if isinstance(n, ast.Attribute)}
        calls = {
            c.func.attr if isinstance(c.func, ast.Attribute) else getattr(c.func, "id", "")
            for c in ast.walk(node)
            if isinstance(c, ast.Call)
        }
        text = ast.get_source_segment(source, node) or ""
        mentions = "Attendance" in names or "attendance" in attrs or "_attendance_for" in calls
        if (mentions or "meetings_attendance" in text) and calls & WRITES:
            found.add(node.name)
    return found


def test_every_attendance_writer_is_known_and_keeps_the_counts() -> None:
    """A new function writing attendance rows fails here until it keeps the counts (call
    ``_count_attendance`` under the meeting lock, or write the counts with the rows) and is
    listed above."""
    root = Path(__file__).resolve().parents[2]
    found = set()
    for path in root.rglob("*.py"):
        rel = path.relative_to(root).as_posix()
        if "/tests/" in rel or "/migrations/" in rel:
            continue
        found |= {(rel, name) for name in _writers_in(path.read_text())}
    assert found == KNOWN_WRITERS | COUNTERS | READERS
    services_src = (root / "meetings" / "services.py").read_text()
    for node in ast.walk(ast.parse(services_src)):
        if isinstance(node, ast.FunctionDef) and ("meetings/services.py", node.name) in (
            KNOWN_WRITERS
        ):
            assert "_count_attendance(" in (ast.get_source_segment(services_src, node) or "")


def test_the_scan_sees_a_new_writer() -> None:
    src = (
        "def mark_all_present(meeting):\n"
        "    Attendance.objects.filter(meeting=meeting).update(status='present')\n"
        "def read_only(meeting):\n"
        "    return Attendance.objects.filter(meeting=meeting).count()\n"
    )
    assert _writers_in(src) == {"mark_all_present"}


# --- reconcile ------------------------------------------------------------------------------


def test_reconcile_finds_and_fixes_drift(people, tree, roll) -> None:
    meeting = factories.make_meeting(people.village_secretary, tree.village_a1)
    call_command("meetings_reconcile", stdout=None)  # consistent: no error
    Meeting.objects.filter(pk=meeting.pk).update(invited_count=99, present_count=7)
    drift = attendance_count_drift()
    assert drift.wrong == [(meeting.pk, 99, 7, 5, 0)]
    with pytest.raises(CommandError, match="1 次会议记录的人数不一致"):
        call_command("meetings_reconcile")
    call_command("meetings_reconcile", "--fix")
    assert counts(meeting) == (5, 0)
    assert attendance_count_drift().wrong == []


# --- the page and the API: no per-branch query ------------------------------------------------


def _grow(people, tree, n: int) -> None:
    """``n`` more branches under 甲镇, each with a 党小组, members and a meeting with attendance."""
    for i in range(n):
        branch = make_org(tree.township_a, f"中共新{i}村支部委员会", short_name=f"新{i}村党支部")
        make_org(branch, f"新{i}村第一党小组", Organization.Type.GROUP)
        member = make_member(people.county_admin, branch, name=f"新{i}")
        hold(branch, dt.date(2026, 3, 3), "theme_day", attendance=[(member, "present")])


def _queries(client, url: str, params: dict[str, str]) -> int:
    with CaptureQueriesContext(connection) as ctx:
        r = client.get(url, params)
    assert r.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize(
    ("url", "params"),
    [
        ("/meetings/compliance/", {"year": "2026"}),
        ("/api/v1/orgs/{}/compliance", {"from": "2026-01-01", "to": "2026-12-31"}),
    ],
)
def test_page_and_api_queries_do_not_grow_with_branches(people, tree, login, url, params) -> None:
    client = login(people.county_admin)
    target = url.format(tree.county.pk)
    params = {**params, "org": str(tree.county.pk)}
    _queries(client, target, params)  # warm: session, caches
    few = _queries(client, target, params)
    _grow(people, tree, 4)
    many = _queries(client, target, params)
    assert many == few


def test_branch_table_is_paged(people, tree, login, monkeypatch) -> None:
    monkeypatch.setattr(compliance_views, "BRANCH_PAGE_SIZE", 2)
    client = login(people.county_admin)
    params = {"org": tree.county.pk, "year": 2026}
    first = client.get("/meetings/compliance/", params).content.decode()
    # The fixture county has 4 branches: two a page, in path order, with the true total.
    assert first.count('<tr data-testid="branch-') == 2
    assert "共 4 个，本页第 1–2 个" in first
    assert f'href="?org={tree.county.pk}&amp;year=2026&amp;page=2"' in first
    assert "上一页" not in first
    second = client.get("/meetings/compliance/", {**params, "page": 2}).content.decode()
    assert "共 4 个，本页第 3–4 个" in second
    assert "下一页" not in second
    shown = {
        b.pk
        for b in Organization.objects.filter(org_type__in=["branch", "joint_branch"])
        if f'data-testid="branch-{b.pk}"' in first or f'data-testid="branch-{b.pk}"' in second
    }
    assert len(shown) == 4  # every branch is on one of the pages
    # A page past the end or not a number: the nearest page, never an error.
    assert (
        "本页第 3–4 个"
        in client.get("/meetings/compliance/", {**params, "page": 99}).content.decode()
    )
    assert (
        "本页第 1–2 个"
        in client.get("/meetings/compliance/", {**params, "page": "abc"}).content.decode()
    )
    # The cards still count every branch.
    assert client.get("/meetings/compliance/", params).context["result"].total.branches == 4


def test_api_answer_is_exactly_the_documented_schema(people, tree, login) -> None:
    """The API renders ``compliance_out`` without running it through the schema classes: the
    answer must be what validating it against ComplianceOut gives, field for field."""
    member = make_member(people.county_admin, tree.village_a2)
    hold(tree.village_a2, dt.date(2026, 1, 20), "theme_day", attendance=[(member, "late")])
    dissolved = make_org(tree.township_a, "中共丁村支部委员会", short_name="丁村党支部")
    Organization.objects.filter(pk=dissolved.pk).update(dissolved_on=dt.date(2026, 7, 1))
    r = login(people.county_admin).get(
        f"/api/v1/orgs/{tree.county.pk}/compliance", {"from": "2026-01-01", "to": "2026-12-31"}
    )
    body = r.json()
    assert ComplianceOut.model_validate(body).model_dump(mode="json") == body
    a2 = next(b for b in body["branches"] if b["org_id"] == tree.village_a2.pk)
    assert a2["attendance_rate"] == 100.0
    assert next(b for b in body["branches"] if b["org_id"] == dissolved.pk)["dissolved_on"] == (
        "2026-07-01"
    )
    assert set(body) == set(ComplianceOut.model_fields)
