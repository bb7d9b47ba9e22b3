"""三张清单: transitions, overdue boundaries, permissions, close-out by the upper organization."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from dangjian.core.models import AuditLog
from dangjian.findings import selectors, services
from dangjian.findings.models import Finding, Remedy

pytestmark = pytest.mark.django_db

S = Finding.State


@pytest.fixture
def today() -> dt.date:
    return timezone.localdate()


@pytest.fixture
def finding(tree, people, today):  # type: ignore[no-untyped-def]
    return services.finding_create(
        actor=people.village_secretary,
        org=tree.village_a1,
        title="三会一课记录不规范",
        found_on=today,
        category=Finding.Category.ORG_LIFE,
    )


def _rectified(people, finding, today):  # type: ignore[no-untyped-def]
    s = people.village_secretary
    services.responsibility_add(actor=s, finding=finding, owner_name="赵志刚", role="第一责任人")
    remedy = services.remedy_add(
        actor=s, finding=finding, measure="补齐会议记录", owner_name="赵志刚", deadline=today
    )
    services.finding_start(actor=s, finding=finding)
    services.remedy_complete(actor=s, remedy=remedy, done_on=today, evidence="已补齐")
    return services.finding_rectify(actor=s, finding=finding)


def test_create_is_audited_and_starts_open(finding):  # type: ignore[no-untyped-def]
    assert finding.state == S.OPEN
    assert finding.org_path
    assert AuditLog.objects.filter(action="finding.create", object_id=str(finding.pk)).exists()


def test_found_on_in_the_future_is_refused(tree, people, today):  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError, match="不能晚于今天"):
        services.finding_create(
            actor=people.village_secretary,
            org=tree.village_a1,
            title="x",
            found_on=today + dt.timedelta(days=1),
        )
    assert not Finding.objects.exists()


def test_full_path_to_close_out_by_the_township(people, finding, today):  # type: ignore[no-untyped-def]
    _rectified(people, finding, today)
    closed = services.finding_close(actor=people.township_a, finding=finding, verdict="整改到位")
    assert closed.state == S.CLOSED
    assert closed.verified_by == people.township_a
    assert closed.verified_on == today
    actions = set(
        AuditLog.objects.filter(
            object_id=str(finding.pk), object_type="findings.finding"
        ).values_list("action", flat=True)
    )
    assert {
        "finding.create",
        "finding.start",
        "finding.rectify",
        "finding.close",
        "finding.remedy_add",
        "finding.remedy_done",
        "finding.responsibility_add",
    } <= actions


@pytest.mark.parametrize(
    ("state", "action"),
    [
        (S.OPEN, "rectify"),
        (S.OPEN, "close"),
        (S.IN_PROGRESS, "start"),
        (S.IN_PROGRESS, "close"),
        (S.RECTIFIED, "start"),
        (S.CLOSED, "start"),
        (S.CLOSED, "close"),
        (S.CLOSED, "rectify"),
    ],
)
def test_illegal_transitions_are_refused_and_change_nothing(people, finding, state, action):  # type: ignore[no-untyped-def]
    Finding.objects.filter(pk=finding.pk).update(state=state)
    actor = people.county_admin  # may manage and verify: only the table can refuse
    audits = AuditLog.objects.count()
    with pytest.raises(ValidationError, match="不能"):
        services.finding_transition(actor=actor, finding=finding, action=action, verdict="x")
    assert Finding.objects.get(pk=finding.pk).state == state
    assert AuditLog.objects.count() == audits


def test_unknown_transition_is_refused(people, finding):  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError, match="不支持"):
        services.finding_transition(actor=people.county_admin, finding=finding, action="delete")


def test_rectify_needs_remedies_all_done(people, finding, today):  # type: ignore[no-untyped-def]
    s = people.village_secretary
    services.finding_start(actor=s, finding=finding)
    with pytest.raises(ValidationError, match="请先制定整改措施"):
        services.finding_rectify(actor=s, finding=finding)
    services.remedy_add(actor=s, finding=finding, measure="整改", owner_name="赵", deadline=today)
    with pytest.raises(ValidationError, match="未完成"):
        services.finding_rectify(actor=s, finding=finding)
    assert Finding.objects.get(pk=finding.pk).state == S.IN_PROGRESS


def test_close_out_only_by_the_upper_organization(people, finding, today):  # type: ignore[no-untyped-def]
    _rectified(people, finding, today)
    for who in ("village_secretary", "township_b", "member", "inspector"):
        with pytest.raises(PermissionDenied):
            services.finding_close(actor=getattr(people, who), finding=finding)
    assert Finding.objects.get(pk=finding.pk).state == S.RECTIFIED
    services.finding_close(actor=people.county_admin, finding=finding)  # any level above
    assert Finding.objects.get(pk=finding.pk).state == S.CLOSED


def test_township_cannot_close_its_own_finding(tree, people, today):  # type: ignore[no-untyped-def]
    f = services.finding_create(
        actor=people.township_a, org=tree.township_a, title="党委问题", found_on=today
    )
    r = services.remedy_add(
        actor=people.township_a, finding=f, measure="m", owner_name="李", deadline=today
    )
    services.finding_start(actor=people.township_a, finding=f)
    services.remedy_complete(actor=people.township_a, remedy=r, done_on=today, evidence="ok")
    services.finding_rectify(actor=people.township_a, finding=f)
    with pytest.raises(PermissionDenied, match="上级党组织"):
        services.finding_close(actor=people.township_a, finding=f)
    services.finding_close(actor=people.county_admin, finding=f)


def test_reopen_needs_a_reason_and_returns_to_rectification(people, finding, today):  # type: ignore[no-untyped-def]
    _rectified(people, finding, today)
    with pytest.raises(ValidationError):
        services.finding_reopen(actor=people.township_a, finding=finding, verdict="  ")
    services.finding_reopen(actor=people.township_a, finding=finding, verdict="记录仍缺签字")
    finding.refresh_from_db()
    assert finding.state == S.REOPENED
    services.finding_start(actor=people.village_secretary, finding=finding)
    assert Finding.objects.get(pk=finding.pk).state == S.IN_PROGRESS


def test_lists_frozen_while_awaiting_verification(people, finding, today):  # type: ignore[no-untyped-def]
    _rectified(people, finding, today)
    with pytest.raises(ValidationError, match="不能再修改"):
        services.remedy_add(
            actor=people.village_secretary,
            finding=finding,
            measure="m",
            owner_name="x",
            deadline=today,
        )


def test_remedy_done_needs_evidence_and_not_future(people, finding, today):  # type: ignore[no-untyped-def]
    s = people.village_secretary
    r = services.remedy_add(actor=s, finding=finding, measure="m", owner_name="x", deadline=today)
    with pytest.raises(ValidationError, match="整改成效"):
        services.remedy_complete(actor=s, remedy=r, done_on=today)
    with pytest.raises(ValidationError, match="不能晚于今天"):
        services.remedy_complete(
            actor=s, remedy=r, done_on=today + dt.timedelta(days=1), evidence="x"
        )
    assert Remedy.objects.get(pk=r.pk).done_on is None


def test_remedy_deadline_in_the_past_is_refused(people, finding, today):  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError, match="不能早于今天"):
        services.remedy_add(
            actor=people.village_secretary,
            finding=finding,
            measure="m",
            owner_name="x",
            deadline=today - dt.timedelta(days=1),
        )


@pytest.mark.parametrize(("offset", "overdue"), [(1, False), (0, False), (-1, True)])
def test_overdue_boundary(people, finding, today, offset, overdue):  # type: ignore[no-untyped-def]
    r = services.remedy_add(
        actor=people.village_secretary,
        finding=finding,
        measure="m",
        owner_name="x",
        deadline=today + dt.timedelta(days=1),
    )
    Remedy.objects.filter(pk=r.pk).update(deadline=today + dt.timedelta(days=offset))
    r.refresh_from_db()
    assert r.overdue_on(today) is overdue
    items, _, count = selectors.ledger(viewer=people.township_a, overdue=True)
    assert count == (1 if overdue else 0)
    assert [f.pk for f in items] == ([finding.pk] if overdue else [])


def test_done_or_closed_is_not_overdue(people, finding, today):  # type: ignore[no-untyped-def]
    r = services.remedy_add(
        actor=people.village_secretary, finding=finding, measure="m", owner_name="x", deadline=today
    )
    Remedy.objects.filter(pk=r.pk).update(deadline=today - dt.timedelta(days=3))
    Finding.objects.filter(pk=finding.pk).update(state=S.CLOSED)
    assert selectors.ledger(viewer=people.township_a)[2] == 0


# --- permission matrix ------------------------------------------------------------------------

VISIBLE = {
    "county_admin": True,
    "township_a": True,
    "village_secretary": True,
    "inspector": True,
    "township_b": False,
    "member": False,
    "grid_worker": False,
    "nobody": False,
}


@pytest.mark.parametrize(("who", "visible"), list(VISIBLE.items()))
def test_detail_page_and_api_visibility(people, login, finding, who, visible):  # type: ignore[no-untyped-def]
    client = login(getattr(people, who))
    page = client.get(f"/findings/{finding.pk}/")
    api = client.get(f"/api/v1/findings/{finding.pk}")
    assert page.status_code == (200 if visible else 404)
    assert api.status_code == (200 if visible else 404)


def test_township_b_cannot_act_on_township_a_finding(people, login, finding, today):  # type: ignore[no-untyped-def]
    client = login(people.township_b)
    assert client.post(f"/findings/{finding.pk}/start/").status_code == 404
    r = client.post(
        f"/api/v1/findings/{finding.pk}/remedies",
        json.dumps({"measure": "m", "owner_name": "x", "deadline": today.isoformat()}),
        content_type="application/json",
    )
    assert r.status_code == 404
    assert Finding.objects.get(pk=finding.pk).state == S.OPEN
    assert not Remedy.objects.exists()


def test_ledger_is_scoped(tree, people, login, finding, today):  # type: ignore[no-untyped-def]
    services.finding_create(
        actor=people.township_b, org=tree.village_b1, title="丙村问题", found_on=today
    )
    html = login(people.township_a).get("/findings/").content.decode()
    assert "三会一课记录不规范" in html
    assert "丙村问题" not in html
    assert 'data-testid="count-open">1<' in html


def test_ledger_query_count_is_constant(tree, people, login, today, django_assert_max_num_queries):  # type: ignore[no-untyped-def]
    for i in range(10):
        f = services.finding_create(
            actor=people.township_a, org=tree.village_a1, title=f"问题{i}", found_on=today
        )
        services.remedy_add(
            actor=people.township_a, finding=f, measure="m", owner_name="x", deadline=today
        )
    client = login(people.township_a)
    with django_assert_max_num_queries(12):
        assert client.get("/findings/?state=open").status_code == 200


# --- pages and API ----------------------------------------------------------------------------


def test_create_from_a_meeting_source(tree, people, login, today):  # type: ignore[no-untyped-def]
    from dangjian.meetings.models import Meeting

    meeting = Meeting.objects.create(
        org=tree.village_a1,
        org_path=tree.village_a1.path,
        held_at=timezone.now(),
        topic="2025年度组织生活会",
        types=["life_meeting"],
    )
    client = login(people.village_secretary)
    url = f"/findings/new/?source_type=meetings.meeting&source_id={meeting.pk}&org={tree.village_a1.pk}"
    assert "组织生活会查摆" in client.get(url).content.decode()
    r = client.post(
        "/findings/new/",
        {
            "org": tree.village_a1.pk,
            "source_type": "meetings.meeting",
            "source_id": meeting.pk,
            "title": "批评与自我批评不够深入",
            "category": "org_life",
            "severity": "general",
            "found_on": today.isoformat(),
        },
    )
    assert r.status_code == 302
    f = Finding.objects.get()
    assert (f.source_type, f.source_id) == ("meetings.meeting", meeting.pk)
    # a meeting of another organization cannot be the source
    with pytest.raises(ValidationError, match="来源记录"):
        services.finding_create(
            actor=people.township_a,
            org=tree.village_a2,
            title="x",
            found_on=today,
            source_type="meetings.meeting",
            source_id=meeting.pk,
        )


def test_api_flow_and_chinese_errors(tree, people, login, today):  # type: ignore[no-untyped-def]
    client = login(people.village_secretary)
    post = lambda url, body: client.post(url, json.dumps(body), content_type="application/json")  # noqa: E731
    r = post(
        "/api/v1/findings/",
        {"org_id": tree.village_a1.pk, "title": "党费收缴不及时", "found_on": today.isoformat()},
    )
    assert r.status_code == 201, r.content
    fid = r.json()["id"]
    r = post(f"/api/v1/findings/{fid}/rectify", {})
    assert r.status_code == 400
    assert "不能提交整改完成" in r.json()["message"]
    r = post(
        f"/api/v1/findings/{fid}/remedies",
        {"measure": "补缴", "owner_name": "赵", "deadline": today.isoformat()},
    )
    remedy_id = r.json()["remedies"][0]["id"]
    assert post(f"/api/v1/findings/{fid}/start", {}).status_code == 200
    assert (
        post(
            f"/api/v1/findings/remedies/{remedy_id}/done",
            {"done_on": today.isoformat(), "evidence": "已补缴"},
        ).status_code
        == 200
    )
    assert post(f"/api/v1/findings/{fid}/rectify", {}).json()["state"] == "rectified"
    r = post(f"/api/v1/findings/{fid}/close", {})
    assert r.status_code == 403
    r = login(people.township_a).post(
        f"/api/v1/findings/{fid}/close",
        json.dumps({"verdict": "到位"}),
        content_type="application/json",
    )
    assert r.json()["state"] == "closed"
    ledger = client.get(f"/api/v1/findings/?org={tree.village_a1.pk}").json()
    assert ledger["counts"] == {"closed": 1}
