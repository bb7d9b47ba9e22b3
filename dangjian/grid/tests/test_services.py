"""Services for households, 联户, opinions, 乡贤 and mediations: rules, permissions, audit."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from dangjian.core import crypto
from dangjian.core.models import AuditLog
from dangjian.grid import services
from dangjian.grid.models import (
    AnchorHousehold,
    GridRuleSet,
    Household,
    HouseholdLink,
    Mediation,
    OpinionRecord,
)
from dangjian.grid.rules import grid_rules_for, opinion_is_overdue
from dangjian.grid.tests.factories import make_grid, make_household, make_worthy
from dangjian.members.tests.factories import make_id, make_member

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


# ── households ───────────────────────────────────────────────────────────────


def test_household_phone_and_id_are_encrypted_hashed_and_masked(grid, people):
    number = make_id(dt.date(1956, 3, 2))
    h = services.household_create(
        actor=people.village_secretary,
        grid=grid,
        data={"address": "一组 8 号", "head_name": "钱桂兰", "size": 1},
        phone="13912345678",
        head_id=number,
        tags=["elderly_alone", "dibao"],
    )
    assert h.phone_masked == "139****5678"
    assert h.head_id_masked == number[:6] + "*" * 12
    assert "13912345678" not in h.phone_enc
    assert crypto.decrypt(h.phone_enc) == "13912345678"
    assert h.phone_hash == crypto.lookup_hash("13912345678")
    assert {t.code for t in h.tags.all()} == {"elderly_alone", "dibao"}
    assert h.org_path == grid.org_path
    log = AuditLog.objects.get(action="household.create")
    assert "13912345678" not in str(log.changes)


@pytest.mark.parametrize(
    ("data", "phone", "tags", "message"),
    [
        ({"address": "", "head_name": "甲", "size": 2}, "", [], "请填写住址"),
        ({"address": "一组", "head_name": " ", "size": 2}, "", [], "请填写户主姓名"),
        ({"address": "一组", "head_name": "甲", "size": 0}, "", [], "家庭人口"),
        ({"address": "一组", "head_name": "甲", "size": 31}, "", [], "家庭人口"),
        ({"address": "一组", "head_name": "甲", "size": 2}, "12345", [], "联系电话格式不正确"),
        ({"address": "一组", "head_name": "甲", "size": 2}, "", ["nope"], "住户标签不正确"),
    ],
)
def test_household_bad_input_changes_nothing(grid, people, data, phone, tags, message):
    with pytest.raises(ValidationError) as exc:
        services.household_create(
            actor=people.village_secretary, grid=grid, data=data, phone=phone, tags=tags
        )
    assert message in str(exc.value)
    assert not Household.objects.exists()
    assert not AuditLog.objects.filter(action="household.create").exists()


def test_household_size_boundaries(grid, people):
    for size in (1, 30):
        services.household_create(
            actor=people.village_secretary,
            grid=grid,
            data={"address": f"{size} 号", "head_name": "甲", "size": size},
        )
    assert Household.objects.count() == 2


def test_bad_head_id_is_refused(grid, people):
    with pytest.raises(ValidationError) as exc:
        services.household_create(
            actor=people.village_secretary,
            grid=grid,
            data={"address": "一组", "head_name": "甲", "size": 2},
            head_id="110101198001010000",
        )
    assert "校验位" in str(exc.value)


@pytest.mark.parametrize("who", ["grid_worker", "inspector", "member", "township_b", "nobody"])
def test_household_create_denied(grid, people, who):
    with pytest.raises(PermissionDenied):
        services.household_create(
            actor=getattr(people, who),
            grid=grid,
            data={"address": "一组", "head_name": "甲", "size": 2},
        )
    assert not Household.objects.exists()


def test_household_reveal_needs_reveal_permission_and_is_audited(grid, people):
    h = make_household(grid, phone="13700001111")
    with pytest.raises(PermissionDenied):
        services.household_reveal(actor=people.village_secretary, household=h)
    with pytest.raises(PermissionDenied):
        services.household_reveal(actor=people.grid_worker, household=h)
    assert not AuditLog.objects.filter(action="household.reveal").exists()
    assert services.household_reveal(actor=people.township_a, household=h)["phone"] == (
        "13700001111"
    )
    log = AuditLog.objects.get(action="household.reveal")
    assert log.actor == people.township_a


def test_household_update_moves_grid_only_within_village(grid, other_grid, tree, people):
    h = make_household(grid, tags=["dibao"])
    second = make_grid(tree.village_a1, "甲村第二网格")
    with pytest.raises(ValidationError):
        services.household_update(actor=people.township_a, household=h, data={}, grid=other_grid)
    services.household_update(
        actor=people.township_a,
        household=h,
        data={"size": 5},
        grid=second,
        tags=["dibao", "disabled"],
        phone="13800002222",
    )
    h.refresh_from_db()
    assert h.grid == second
    assert h.size == 5
    assert h.phone_masked == "138****2222"
    log = AuditLog.objects.filter(action="household.update").latest("id")
    assert log.changes["size"] == [3, 5]
    assert log.changes["tags"] == [["dibao"], ["dibao", "disabled"]]


def test_household_moving_out_ends_its_links(grid, people, member):
    h = make_household(grid)
    services.household_link(actor=people.village_secretary, member=member, households=[h])
    services.household_update(actor=people.village_secretary, household=h, data={}, is_active=False)
    assert HouseholdLink.objects.get().ended_on == timezone.localdate()


# ── 党员中心户 and 联户 ───────────────────────────────────────────────────────


def test_link_member_to_households_is_idempotent_and_audited(grid, people, member):
    hs = [make_household(grid) for _ in range(3)]
    links = services.household_link(actor=people.village_secretary, member=member, households=hs)
    assert len(links) == 3
    again = services.household_link(actor=people.village_secretary, member=member, households=hs)
    assert again == []
    assert HouseholdLink.objects.filter(ended_on__isnull=True).count() == 3
    assert AuditLog.objects.filter(action="household.link").count() == 3


def test_member_of_another_village_cannot_be_linked(grid, tree, people):
    stranger = make_member(people.county_admin, tree.village_b1, name="外村党员")
    h = make_household(grid)
    with pytest.raises(ValidationError) as exc:
        services.household_link(actor=people.county_admin, member=stranger, households=[h])
    assert "不是本村" in str(exc.value)
    assert not HouseholdLink.objects.exists()


def test_community_checkin_member_may_be_linked(tree, people):
    from dangjian.orgs.models import Organization
    from dangjian.orgs.tests.factories import make_org

    community = make_org(
        tree.township_a, "幸福社区党委", Organization.Type.COMMITTEE, Organization.Sector.COMMUNITY
    )
    g = make_grid(community, "幸福一网格")
    h = make_household(g)
    worker = make_member(people.county_admin, tree.bureau, name="在职党员")
    worker.checkin_community = community
    worker.save()
    assert services.household_link(actor=people.county_admin, member=worker, households=[h])


def test_links_per_member_limit_boundary(grid, people, member, today):
    limit = grid_rules_for(grid.org_path, today).links_per_member_max
    hs = [make_household(grid) for _ in range(limit + 1)]
    services.household_link(
        actor=people.village_secretary, member=member, households=hs[: limit - 1]
    )
    # the limit itself is allowed …
    services.household_link(actor=people.village_secretary, member=member, households=[hs[-2]])
    # … one more is not, and nothing changes
    with pytest.raises(ValidationError) as exc:
        services.household_link(actor=people.village_secretary, member=member, households=[hs[-1]])
    assert f"不超过 {limit} 户" in str(exc.value)
    assert HouseholdLink.objects.filter(ended_on__isnull=True).count() == limit


def test_local_rule_override_wins_in_its_subtree(grid, tree, people, member, today):
    GridRuleSet.objects.create(
        name="甲镇规定",
        version="2026-甲镇",
        source="甲镇党委文件（测试）",
        scope=tree.township_a,
        effective_from=today - dt.timedelta(days=1),
        links_per_member_max=2,
        households_per_anchor_max=15,
        opinion_reply_days=7,
    )
    assert grid_rules_for(grid.org_path, today).links_per_member_max == 2
    assert grid_rules_for(tree.village_b1.path, today).links_per_member_max == 10
    hs = [make_household(grid) for _ in range(3)]
    with pytest.raises(ValidationError):
        services.household_link(actor=people.village_secretary, member=member, households=hs)


def test_anchor_household_links_and_limit(grid, people, member, today):
    home = make_household(grid, head_name=member.name)
    anchor = services.anchor_create(
        actor=people.village_secretary, grid=grid, member=member, household=home
    )
    limit = grid_rules_for(grid.org_path, today).households_per_anchor_max
    GridRuleSet.objects.update(links_per_member_max=50)
    hs = [make_household(grid) for _ in range(limit + 1)]
    services.household_link(
        actor=people.village_secretary, member=member, households=hs[:limit], anchor=anchor
    )
    with pytest.raises(ValidationError) as exc:
        services.household_link(
            actor=people.village_secretary, member=member, households=[hs[-1]], anchor=anchor
        )
    assert "党员中心户联系户数" in str(exc.value)
    with pytest.raises(ValidationError):
        services.anchor_create(actor=people.village_secretary, grid=grid, member=member)
    services.anchor_end(actor=people.village_secretary, anchor=anchor)
    assert not HouseholdLink.objects.filter(anchor=anchor, ended_on__isnull=True).exists()
    assert AnchorHousehold.objects.get().ended_on == today


def test_anchor_must_use_a_household_of_its_grid(grid, other_grid, people, member):
    elsewhere = make_household(other_grid)
    with pytest.raises(ValidationError):
        services.anchor_create(
            actor=people.county_admin, grid=grid, member=member, household=elsewhere
        )
    assert not AnchorHousehold.objects.exists()


def test_unlink_keeps_history(grid, people, member, today):
    h = make_household(grid)
    (link,) = services.household_link(actor=people.village_secretary, member=member, households=[h])
    services.household_unlink(actor=people.village_secretary, link=link)
    link.refresh_from_db()
    assert link.ended_on == today
    with pytest.raises(ValidationError):
        services.household_unlink(actor=people.village_secretary, link=link)


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


# ── 乡贤 and 矛盾调解 ─────────────────────────────────────────────────────────


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
    services.grid_update(actor=people.county_admin, grid=grid, is_active=False)
    with pytest.raises(ValidationError) as exc:
        services.opinion_record(
            actor=people.county_admin, grid=grid, collected_on=today, category="other", content="x"
        )
    assert "已停用" in str(exc.value)
    with pytest.raises(ValidationError):
        _mediation(people.county_admin, grid, mediator_users=[people.grid_worker])
    assert not OpinionRecord.objects.exists()
    assert not Mediation.objects.exists()


def test_needs_care_follows_the_tags(grid, people):
    h = make_household(grid, tags=["migrant_out"])
    assert not h.needs_care
    services.household_update(
        actor=people.township_a, household=h, data={}, tags=["migrant_out", "elderly_alone"]
    )
    h.refresh_from_db()
    assert h.needs_care
    services.household_update(actor=people.township_a, household=h, data={}, tags=[])
    h.refresh_from_db()
    assert not h.needs_care


@pytest.mark.parametrize(("age", "overdue"), [(14, 0), (15, 0), (16, 1)])
def test_stats_count_an_open_opinion_overdue_from_the_day_after_its_deadline(
    grid, people, tree, today, age, overdue
):
    from dangjian.grid.selectors import grid_stats

    services.opinion_record(
        actor=people.grid_worker, grid=grid, collected_on=today - dt.timedelta(days=age),
        category="other", content="x",
    )  # fmt: skip
    stats = grid_stats(
        org=tree.township_a, start=today - dt.timedelta(days=30), end=today, today=today
    )
    assert stats.opinions == 1
    assert stats.opinions_overdue == overdue
