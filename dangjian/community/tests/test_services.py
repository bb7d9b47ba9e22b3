"""Services for 村情民意, 乡贤 and 矛盾调解: rules, permissions, audit."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from dangjian.community import services
from dangjian.community.models import Mediation, OpinionRecord
from dangjian.community.tests.factories import make_worthy
from dangjian.core.models import AuditLog
from dangjian.grid import services as grid_services
from dangjian.grid.rules import opinion_is_overdue
from dangjian.grid.tests.factories import make_grid
from dangjian.members.tests.factories import make_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def grid(tree, people):
    return make_grid(tree.village_a1, "甲村第一网格", workers=[people.grid_worker])


@pytest.fixture
def other_grid(tree, people):
    return make_grid(tree.village_a2, "乙村第一网格")


@pytest.fixture
def member(tree, people):
    return make_member(people.county_admin, tree.village_a1, name="孙立新")


# ── 村情民意 ──────────────────────────────────────────────────────────────────


def test_grid_worker_records_opinion_in_own_grid_only(grid, other_grid, people, today):
    op = services.opinion_record(
        actor=people.grid_worker,
        grid=grid,
        collected_on=today,
        category="infrastructure",
        content="村东小桥护栏松动，需要加固",
    )
    assert op.collected_by_user == people.grid_worker
    assert op.due_on == today + dt.timedelta(days=15)
    with pytest.raises(PermissionDenied):
        services.opinion_record(
            actor=people.grid_worker,
            grid=other_grid,
            collected_on=today,
            category="other",
            content="x",
        )
    assert OpinionRecord.objects.count() == 1


@pytest.mark.parametrize(
    ("delta", "ok"), [(-1, True), (0, True), (1, False)], ids=["yesterday", "today", "tomorrow"]
)
def test_opinion_collected_on_boundary(grid, people, today, delta, ok):
    day = today + dt.timedelta(days=delta)
    call = lambda: services.opinion_record(  # noqa: E731
        actor=people.grid_worker, grid=grid, collected_on=day, category="other", content="意见"
    )
    if ok:
        assert call().collected_on == day
    else:
        with pytest.raises(ValidationError):
            call()
        assert not OpinionRecord.objects.exists()


@pytest.mark.parametrize(
    ("handled_delta", "overdue"),
    [(-1, False), (0, False), (1, True)],
    ids=["before", "on", "after"],
)
def test_opinion_overdue_boundary(today, handled_delta, overdue):
    due = today - dt.timedelta(days=3)
    handled = due + dt.timedelta(days=handled_delta)
    assert opinion_is_overdue(due_on=due, handled_on=handled, today=today) is overdue
    # unhandled: overdue from the day after the due date
    assert opinion_is_overdue(
        due_on=today - dt.timedelta(days=handled_delta), handled_on=None, today=today
    ) is (handled_delta == 1)


def test_opinion_handling_transitions(grid, people, today):
    op = services.opinion_record(
        actor=people.grid_worker, grid=grid, collected_on=today, category="environment",
        content="垃圾清运不及时",
    )  # fmt: skip
    with pytest.raises(ValidationError) as exc:
        services.opinion_handle(
            actor=people.grid_worker, opinion=op, status="resolved", handling="已联系"
        )
    assert "请填写办理结果" in str(exc.value)
    op.refresh_from_db()
    assert op.status == "received"
    services.opinion_handle(
        actor=people.grid_worker, opinion=op, status="handling", handling="已报镇环卫所"
    )
    services.opinion_handle(
        actor=people.village_secretary, opinion=op, status="replied", handling="已报镇环卫所",
        result="清运车辆年底到位，先增加一次人工清运",
    )  # fmt: skip
    op.refresh_from_db()
    assert op.status == "replied"
    assert op.handled_on == today
    with pytest.raises(ValidationError):
        services.opinion_handle(
            actor=people.village_secretary, opinion=op, status="handling", handling="x"
        )


def test_opinion_handle_denied_for_inspector(grid, people, today):
    op = services.opinion_record(
        actor=people.grid_worker, grid=grid, collected_on=today, category="other", content="x"
    )
    with pytest.raises(PermissionDenied):
        services.opinion_handle(actor=people.inspector, opinion=op, status="handling", handling="x")


def test_worthy_phone_masked_and_reveal_audited(tree, people):
    w = make_worthy(tree.village_a1, phone="13600001234")
    assert w.phone_masked == "136****1234"
    with pytest.raises(PermissionDenied):
        services.worthy_reveal(actor=people.village_secretary, worthy=w)
    assert services.worthy_reveal(actor=people.county_admin, worthy=w) == {"phone": "13600001234"}
    assert AuditLog.objects.filter(action="worthy.reveal").count() == 1


def test_worthy_only_under_village_or_community(tree, people, today):
    with pytest.raises(ValidationError):
        services.worthy_create(
            actor=people.county_admin,
            org=tree.township_a,
            data={"name": "甲", "background": "model", "joined_on": today},
        )


def _mediation(actor, grid, **kw):
    data = {
        "mediated_on": timezone.localdate(),
        "dispute_type": "neighbour",
        "parties": ["张三丰", "李四"],
        "summary": "两户因排水沟走向发生争执",
        "place": "worthy_room",
        "outcome": "success",
        "agreement": "排水沟沿原址修复，费用两家均摊",
    }
    data.update(kw)
    return services.mediation_record(actor=actor, grid=grid, **data)


def test_mediation_with_worthy_in_the_room(grid, tree, people):
    w = make_worthy(tree.village_a2)  # same township: may take part
    m = _mediation(people.grid_worker, grid, worthies=[w], mediator_users=[people.grid_worker])
    assert m.parties_masked == "张**、李*"
    assert "张三丰" not in m.parties_enc
    assert list(m.worthies.all()) == [w]
    with pytest.raises(PermissionDenied):
        services.mediation_reveal(actor=people.grid_worker, mediation=m)
    assert services.mediation_reveal(actor=people.township_a, mediation=m) == ["张三丰", "李四"]


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"parties": ["张三"]}, "两方当事人"),
        ({"agreement": ""}, "调解协议"),
        ({"outcome": "referred", "agreement": ""}, "转交单位"),
        ({"place": "moon"}, "调解地点"),
        ({"worthies": [], "mediator_users": []}, "调解人"),
        ({"mediated_on": timezone.localdate() + dt.timedelta(days=1)}, "不能晚于今天"),
    ],
)
def test_mediation_bad_input_changes_nothing(grid, people, kw, message):
    kw.setdefault("mediator_users", [people.grid_worker])
    with pytest.raises(ValidationError) as exc:
        _mediation(people.grid_worker, grid, **kw)
    assert message in str(exc.value)
    assert not Mediation.objects.exists()
    assert not AuditLog.objects.filter(action="mediation.record").exists()


def test_worthy_of_another_township_cannot_join(grid, tree, people):
    far = make_worthy(tree.village_b1, "远方乡贤")
    with pytest.raises(ValidationError) as exc:
        _mediation(people.county_admin, grid, worthies=[far])
    assert "不属于本乡镇" in str(exc.value)


def test_inactive_worthy_cannot_join(grid, tree, people):
    w = make_worthy(tree.village_a1)
    services.worthy_update(actor=people.county_admin, worthy=w, data={}, is_active=False)
    with pytest.raises(ValidationError):
        _mediation(people.county_admin, grid, worthies=[w])


def test_no_new_records_in_an_inactive_grid(grid, people, today):
    grid_services.grid_update(actor=people.county_admin, grid=grid, is_active=False)
    with pytest.raises(ValidationError) as exc:
        services.opinion_record(
            actor=people.county_admin, grid=grid, collected_on=today, category="other", content="x"
        )
    assert "已停用" in str(exc.value)
    with pytest.raises(ValidationError):
        _mediation(people.county_admin, grid, mediator_users=[people.grid_worker])
    assert not OpinionRecord.objects.exists()
    assert not Mediation.objects.exists()
