"""Services for households, 联户, opinions, 乡贤 and mediations: rules, permissions, audit."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from dangjian.community import services as community_services
from dangjian.core import crypto
from dangjian.core.models import AuditLog
from dangjian.grid import services
from dangjian.grid.models import (
    AnchorHousehold,
    GridRuleSet,
    Household,
    HouseholdLink,
)
from dangjian.grid.rules import grid_rules_for
from dangjian.grid.tests.factories import make_grid, make_household
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

    community_services.opinion_record(
        actor=people.grid_worker, grid=grid, collected_on=today - dt.timedelta(days=age),
        category="other", content="x",
    )  # fmt: skip
    stats = grid_stats(
        org=tree.township_a, start=today - dt.timedelta(days=30), end=today, today=today
    )
    assert stats.opinions == 1
    assert stats.opinions_overdue == overdue
