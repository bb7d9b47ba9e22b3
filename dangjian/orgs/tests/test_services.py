"""Writes to the organization tree: create, update, move, dissolve and joint links."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from dangjian.core.context import client_ip
from dangjian.core.models import AuditLog
from dangjian.core.paths import subtree_q
from dangjian.orgs.models import Organization, OrgLink
from dangjian.orgs.services import (
    USCC_ALPHABET,
    USCC_WEIGHTS,
    org_create,
    org_dissolve,
    org_link_create,
    org_link_end,
    org_move,
    org_update,
    uscc_is_valid,
)
from dangjian.orgs.tests.factories import make_org

T, S = Organization.Type, Organization.Sector


def _snapshot() -> tuple[int, int, list[tuple[int, str, int, list[int], int | None]]]:
    """Row counts and every org's place in the tree: a denied write must leave all of it."""
    rows = [
        (o.pk, o.path, o.depth, list(o.ancestor_ids), o.parent_id)
        for o in Organization.objects.order_by("pk")
    ]
    return Organization.objects.count(), AuditLog.objects.count(), rows


def _with_check_char(first17: str) -> str:
    """Complete a 统一社会信用代码 with its GB 32100 check character."""
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return first17 + USCC_ALPHABET[(31 - total % 31) % 31]


# --- org_create ------------------------------------------------------------------------------


def test_org_create_puts_a_branch_under_a_township(tree, people) -> None:
    org = org_create(
        actor=people.township_a,
        parent=tree.township_a,
        org_type=T.BRANCH,
        name="  中共丁村支部委员会 ",
        sector=S.RURAL,
        code="dc-001",
        short_name="丁村党支部",
    )
    org.refresh_from_db()
    assert org.name == "中共丁村支部委员会"
    assert org.code == "DC-001"
    assert org.parent_id == tree.township_a.pk
    assert org.path == tree.township_a.path + "0003"
    assert org.depth == 3
    assert org.ancestor_ids == [tree.county.pk, tree.township_a.pk]
    tree.township_a.refresh_from_db()
    assert tree.township_a.last_child_number == 3


def test_org_create_without_code_gets_a_generated_one(tree, people) -> None:
    org = org_create(
        actor=people.township_a,
        parent=tree.village_a2,
        org_type=T.GROUP,
        name="乙村第一党小组",
        sector=S.RURAL,
    )
    assert org.code == f"D{org.pk:09d}"


def test_org_create_writes_an_audit_row(tree, people) -> None:
    before = AuditLog.objects.count()
    org = org_create(
        actor=people.township_a,
        parent=tree.township_a,
        org_type=T.BRANCH,
        name="中共丁村支部委员会",
        sector=S.RURAL,
        code="DC-002",
    )
    assert AuditLog.objects.count() == before + 1
    log = AuditLog.objects.latest("id")
    assert log.actor == people.township_a
    assert log.action == "org.create"
    assert log.object_type == "orgs.organization"
    assert log.object_id == str(org.pk)
    assert log.object_repr == "中共丁村支部委员会"
    assert log.org_id == org.pk
    assert log.org_path == org.path
    assert log.ip is None  # no request, no address
    assert log.changes["parent"] == [None, tree.township_a.pk]
    assert log.changes["org_type"] == [None, "branch"]
    assert log.changes["code"] == "DC-002"


def test_org_create_inside_a_request_records_the_client_ip(tree, people) -> None:
    token = client_ip.set("10.1.2.3")
    try:
        org_create(
            actor=people.township_a,
            parent=tree.township_a,
            org_type=T.BRANCH,
            name="中共戊村支部委员会",
            sector=S.RURAL,
        )
    finally:
        client_ip.reset(token)
    assert AuditLog.objects.latest("id").ip == "10.1.2.3"


@pytest.mark.parametrize(
    ("parent", "org_type", "code", "message"),
    [
        ("township_a", T.GROUP, "invalid_placement", "党小组只能设在党支部之下"),
        ("county", T.GROUP, "invalid_placement", "党小组只能设在党支部之下"),
        ("group_a1", T.GROUP, "nothing_under_group", "党小组之下不能再设立组织"),
        ("group_a1", T.BRANCH, "nothing_under_group", "党小组之下不能再设立组织"),
        (
            "village_a1",
            T.BRANCH,
            "invalid_placement",
            "党支部只能设在党委、党工委或党总支之下，党支部之下不能再设党支部",
        ),
        (
            "village_a1",
            T.GENERAL_BRANCH,
            "invalid_placement",
            "党总支只能设在党委或党工委之下，不能设在党总支、党支部或党小组之下",
        ),
        (
            "village_a1",
            T.COMMITTEE,
            "invalid_placement",
            "党委只能设在地方党委、党工委或上级党委之下",
        ),
        ("township_a", "party_cell", "unknown_type", "未知的组织类别：party_cell"),
    ],
)
def test_org_create_enforces_the_structure_rules(
    tree, people, parent: str, org_type: str, code: str, message: str
) -> None:
    before = _snapshot()
    with pytest.raises(ValidationError) as exc:
        org_create(
            actor=people.county_admin,
            parent=getattr(tree, parent),
            org_type=org_type,
            name="新组织",
            sector=S.RURAL,
        )
    assert exc.value.code == code
    assert exc.value.messages == [message]
    assert _snapshot() == before


def test_a_general_branch_may_sit_under_a_committee_and_hold_branches(tree, people) -> None:
    gb = org_create(
        actor=people.township_a,
        parent=tree.township_a,
        org_type=T.GENERAL_BRANCH,
        name="中共甲镇机关总支部委员会",
        sector=S.ORGAN,
    )
    branch = org_create(
        actor=people.township_a, parent=gb, org_type=T.BRANCH, name="第一支部", sector=S.ORGAN
    )
    assert branch.ancestor_ids == [tree.county.pk, tree.township_a.pk, gb.pk]


def test_a_duplicate_code_is_refused_and_nothing_is_created(tree, people) -> None:
    before = _snapshot()
    with pytest.raises(ValidationError) as exc:
        org_create(
            actor=people.township_a,
            parent=tree.township_a,
            org_type=T.BRANCH,
            name="中共丁村支部委员会",
            sector=S.RURAL,
            code=tree.village_a1.code.lower(),
        )
    assert exc.value.message_dict == {"code": [f"组织代码“{tree.village_a1.code}”已被使用"]}
    assert _snapshot() == before
    tree.township_a.refresh_from_db()
    assert tree.township_a.last_child_number == 2


def test_an_invalid_credit_code_is_refused(tree, people) -> None:
    good = "9144030071526726XG"
    bad = good[:-1] + "Y"  # wrong check character
    before = _snapshot()
    for code in (bad, "91440300715267", "914403007152672OXG"[:18]):
        with pytest.raises(ValidationError) as exc:
            org_create(
                actor=people.township_a,
                parent=tree.township_a,
                org_type=T.BRANCH,
                name="中共某公司支部委员会",
                sector=S.PRIVATE_ENTERPRISE,
                unit_credit_code=code,
            )
        assert exc.value.message_dict == {
            "unit_credit_code": ["统一社会信用代码不正确（应为 18 位，且校验位正确）"]
        }
    assert _snapshot() == before


def test_a_valid_credit_code_is_accepted_and_upper_cased(tree, people) -> None:
    computed = _with_check_char("91350100M00010000")
    assert uscc_is_valid(computed) is True
    assert uscc_is_valid("9144030071526726XG") is True  # a published real code
    org = org_create(
        actor=people.township_a,
        parent=tree.township_a,
        org_type=T.BRANCH,
        name="中共某公司支部委员会",
        sector=S.PRIVATE_ENTERPRISE,
        unit_credit_code=computed.lower(),
    )
    assert org.unit_credit_code == computed


@pytest.mark.parametrize(
    ("start", "end"),
    [(dt.date(2026, 3, 1), dt.date(2026, 2, 28)), (dt.date(2026, 3, 1), dt.date(2026, 3, 1))],
)
def test_a_term_ending_on_or_before_it_starts_is_refused(
    tree, people, start: dt.date, end: dt.date
) -> None:
    before = _snapshot()
    with pytest.raises(ValidationError) as exc:
        org_create(
            actor=people.township_a,
            parent=tree.township_a,
            org_type=T.BRANCH,
            name="中共丁村支部委员会",
            sector=S.RURAL,
            term_start=start,
            term_end=end,
        )
    assert exc.value.message_dict == {"term_end": ["任期届满日期必须晚于任期开始日期"]}
    assert _snapshot() == before


def test_a_term_ending_the_day_after_it_starts_is_accepted(tree, people) -> None:
    org = org_create(
        actor=people.township_a,
        parent=tree.township_a,
        org_type=T.BRANCH,
        name="中共丁村支部委员会",
        sector=S.RURAL,
        term_start=dt.date(2026, 3, 1),
        term_end=dt.date(2026, 3, 2),
    )
    assert (org.term_start, org.term_end) == (dt.date(2026, 3, 1), dt.date(2026, 3, 2))


def test_every_problem_is_listed_at_once(tree, people) -> None:
    with pytest.raises(ValidationError) as exc:
        org_create(
            actor=people.township_a,
            parent=tree.township_a,
            org_type=T.BRANCH,
            name=" ",
            sector="moon",
            phone="call me",
        )
    assert exc.value.message_dict == {
        "name": ["请填写组织名称"],
        "sector": ["未知的所在领域：moon"],
        "phone": ["联系电话格式不正确"],
    }


def test_an_unknown_field_is_refused(tree, people) -> None:
    with pytest.raises(ValidationError) as exc:
        org_create(
            actor=people.county_admin,
            parent=tree.township_a,
            org_type=T.BRANCH,
            name="x",
            sector=S.RURAL,
            path="0001",
        )
    assert exc.value.code == "unknown_field"


def test_member_cannot_create_and_nothing_changes(tree, people) -> None:
    before = _snapshot()
    with pytest.raises(PermissionDenied):
        org_create(
            actor=people.member,
            parent=tree.village_a1,
            org_type=T.GROUP,
            name="第二党小组",
            sector=S.RURAL,
        )
    assert _snapshot() == before


def test_township_a_cannot_create_under_township_b(tree, people) -> None:
    before = _snapshot()
    with pytest.raises(Http404):
        org_create(
            actor=people.township_a,
            parent=tree.township_b,
            org_type=T.BRANCH,
            name="中共丁村支部委员会",
            sector=S.RURAL,
        )
    assert _snapshot() == before


def test_only_a_superuser_may_create_a_top_organization(people) -> None:
    before = _snapshot()
    with pytest.raises(ValidationError) as exc:
        org_create(
            actor=people.county_admin,
            parent=None,
            org_type=T.LOCAL_COMMITTEE,
            name="中共邻县委员会",
            sector=S.PARTY_COMMITTEE,
        )
    assert exc.value.code == "top_level_forbidden"
    assert _snapshot() == before


def test_nothing_may_be_created_under_a_dissolved_org(tree, people) -> None:
    org_dissolve(actor=people.county_admin, org=tree.village_a2, on=dt.date(2025, 6, 1))
    before = _snapshot()
    with pytest.raises(ValidationError) as exc:
        org_create(
            actor=people.county_admin,
            parent=tree.village_a2,
            org_type=T.GROUP,
            name="党小组",
            sector=S.RURAL,
        )
    assert exc.value.code == "parent_dissolved"
    assert _snapshot() == before


# --- org_update ------------------------------------------------------------------------------


def test_org_update_changes_fields_and_audits_the_difference(tree, people) -> None:
    before = AuditLog.objects.count()
    org = org_update(
        actor=people.village_secretary,
        org=tree.village_a1,
        short_name="甲村支部",
        phone="0591-1234567",
        name=tree.village_a1.name,  # unchanged: not in the audit
    )
    org.refresh_from_db()
    assert (org.short_name, org.phone) == ("甲村支部", "0591-1234567")
    assert AuditLog.objects.count() == before + 1
    log = AuditLog.objects.latest("id")
    assert log.action == "org.update"
    assert log.actor == people.village_secretary
    assert log.org_path == tree.village_a1.path
    assert log.changes == {"short_name": ["甲村党支部", "甲村支部"], "phone": ["", "0591-1234567"]}


def test_org_update_without_changes_writes_no_audit(tree, people) -> None:
    before = AuditLog.objects.count()
    org_update(actor=people.township_a, org=tree.village_a1, name=tree.village_a1.name)
    assert AuditLog.objects.count() == before


def test_org_update_checks_the_term_against_the_stored_start(tree, people) -> None:
    org_update(actor=people.township_a, org=tree.village_a1, term_start=dt.date(2024, 1, 1))
    with pytest.raises(ValidationError) as exc:
        org_update(actor=people.township_a, org=tree.village_a1, term_end=dt.date(2023, 12, 31))
    assert exc.value.message_dict == {"term_end": ["任期届满日期必须晚于任期开始日期"]}
    tree.village_a1.refresh_from_db()
    assert tree.village_a1.term_end is None


def test_org_update_may_not_clear_the_code_or_take_another(tree, people) -> None:
    with pytest.raises(ValidationError) as exc:
        org_update(actor=people.township_a, org=tree.village_a1, code="")
    assert exc.value.message_dict == {"code": ["组织代码不能为空"]}
    with pytest.raises(ValidationError) as exc:
        org_update(actor=people.township_a, org=tree.village_a1, code=tree.village_a2.code)
    assert exc.value.message_dict == {"code": [f"组织代码“{tree.village_a2.code}”已被使用"]}
    # Keeping its own code is not a clash.
    org_update(actor=people.township_a, org=tree.village_a1, code=tree.village_a1.code)


def test_org_update_refuses_tree_fields(tree, people) -> None:
    before = _snapshot()
    with pytest.raises(ValidationError) as exc:
        org_update(actor=people.county_admin, org=tree.village_a1, parent=tree.township_b)
    assert exc.value.code == "unknown_field"
    assert _snapshot() == before


def test_inspector_cannot_update_and_nothing_changes(tree, people) -> None:
    before = _snapshot()
    with pytest.raises(PermissionDenied):
        org_update(actor=people.inspector, org=tree.village_a1, name="改名")
    tree.village_a1.refresh_from_db()
    assert tree.village_a1.name == "中共甲村支部委员会"
    assert _snapshot() == before


def test_township_b_cannot_update_township_a_orgs(tree, people) -> None:
    before = _snapshot()
    with pytest.raises(Http404):
        org_update(actor=people.township_b, org=tree.village_a1, name="改名")
    assert _snapshot() == before


# --- org_move --------------------------------------------------------------------------------


def test_org_move_rewrites_the_whole_subtree(tree, people) -> None:
    group = make_org(tree.village_a2, "乙村第一党小组", T.GROUP)
    old_path = tree.village_a2.path

    moved = org_move(actor=people.county_admin, org=tree.village_a2, new_parent=tree.township_b)

    assert moved.parent_id == tree.township_b.pk
    assert moved.path == tree.township_b.path + "0002"
    assert moved.depth == 3
    assert moved.ancestor_ids == [tree.county.pk, tree.township_b.pk]
    group.refresh_from_db()
    assert group.path == moved.path + "0001"
    assert group.depth == 4
    assert group.ancestor_ids == [tree.county.pk, tree.township_b.pk, moved.pk]
    assert group.parent_id == moved.pk
    assert not Organization.objects.filter(subtree_q("path", old_path)).exists()
    # Untouched neighbours.
    tree.village_a1.refresh_from_db()
    assert tree.village_a1.path == tree.township_a.path + "0001"
    log = AuditLog.objects.latest("id")
    assert log.action == "org.move"
    assert log.org_path == moved.path
    assert log.changes == {
        "parent": [tree.township_a.pk, tree.township_b.pk],
        "path": [old_path, moved.path],
        "subtree_size": 2,
        "deferred": [],
    }


def test_org_move_rewrites_copied_paths_of_the_moved_subtree_only(tree, people) -> None:
    group = make_org(tree.village_a2, "乙村第一党小组", T.GROUP)
    old_a2, old_group = tree.village_a2.path, group.path
    a2_logs = list(AuditLog.objects.filter(org_path=old_a2).values_list("id", flat=True))
    group_logs = list(AuditLog.objects.filter(org_path=old_group).values_list("id", flat=True))
    a1_logs = list(
        AuditLog.objects.filter(org_path=tree.village_a1.path).values_list("id", flat=True)
    )
    assert a2_logs
    assert group_logs
    assert a1_logs

    moved = org_move(actor=people.county_admin, org=tree.village_a2, new_parent=tree.township_b)
    group.refresh_from_db()

    assert set(AuditLog.objects.filter(id__in=a2_logs).values_list("org_path", flat=True)) == {
        moved.path
    }
    assert set(AuditLog.objects.filter(id__in=group_logs).values_list("org_path", flat=True)) == {
        group.path
    }
    assert set(AuditLog.objects.filter(id__in=a1_logs).values_list("org_path", flat=True)) == {
        tree.village_a1.path
    }
    assert not AuditLog.objects.filter(subtree_q("org_path", old_a2)).exists()


def test_a_moved_away_last_childs_segment_is_not_reused(tree, people) -> None:
    old_path = tree.village_a2.path
    assert old_path == tree.township_a.path + "0002"
    org_move(actor=people.county_admin, org=tree.village_a2, new_parent=tree.township_b)

    newcomer = org_create(
        actor=people.township_a,
        parent=tree.township_a,
        org_type=T.BRANCH,
        name="中共丁村支部委员会",
        sector=S.RURAL,
    )
    assert newcomer.path == tree.township_a.path + "0003"
    assert newcomer.path != old_path


def test_moving_back_gives_a_new_segment(tree, people) -> None:
    org_move(actor=people.county_admin, org=tree.village_a2, new_parent=tree.township_b)
    back = org_move(actor=people.county_admin, org=tree.village_a2, new_parent=tree.township_a)
    assert back.path == tree.township_a.path + "0003"


def test_a_move_into_its_own_subtree_is_refused(tree, people) -> None:
    before = _snapshot()
    for target in (tree.township_a, tree.village_a1, tree.group_a1):
        with pytest.raises(ValidationError) as exc:
            org_move(actor=people.county_admin, org=tree.township_a, new_parent=target)
        assert exc.value.code == "move_into_own_subtree"
        assert exc.value.messages == ["不能把组织调整到它自己或它的下级组织之下"]
    assert _snapshot() == before


def test_a_move_onto_the_same_parent_is_refused(tree, people) -> None:
    before = _snapshot()
    with pytest.raises(ValidationError) as exc:
        org_move(actor=people.county_admin, org=tree.village_a1, new_parent=tree.township_a)
    assert exc.value.code == "same_parent"
    assert exc.value.messages == ["该组织已经隶属于所选上级组织"]
    assert _snapshot() == before


def test_a_move_breaking_the_structure_rules_is_refused(tree, people) -> None:
    before = _snapshot()
    with pytest.raises(ValidationError) as exc:
        org_move(actor=people.county_admin, org=tree.group_a1, new_parent=tree.township_b)
    assert exc.value.code == "invalid_placement"
    with pytest.raises(ValidationError) as exc:
        org_move(actor=people.county_admin, org=tree.village_a1, new_parent=tree.village_b1)
    assert exc.value.code == "invalid_placement"
    assert _snapshot() == before


def test_township_a_cannot_move_into_township_b(tree, people) -> None:
    before = _snapshot()
    with pytest.raises(Http404):
        org_move(actor=people.township_a, org=tree.village_a2, new_parent=tree.township_b)
    assert _snapshot() == before


def test_secretary_cannot_move(tree, people) -> None:
    before = _snapshot()
    with pytest.raises(PermissionDenied):
        org_move(actor=people.village_secretary, org=tree.group_a1, new_parent=tree.village_a1)
    assert _snapshot() == before


def test_a_large_copied_path_rewrite_is_deferred_to_the_background(
    tree, people, settings, django_capture_on_commit_callbacks
) -> None:
    settings.ORG_MOVE_SYNC_LIMIT = 0
    old_path = tree.village_a2.path
    logs = list(AuditLog.objects.filter(org_path=old_path).values_list("id", flat=True))
    assert logs

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        moved = org_move(actor=people.county_admin, org=tree.village_a2, new_parent=tree.township_b)
        # Until the transaction commits, the copies still carry the old path.
        assert set(AuditLog.objects.filter(id__in=logs).values_list("org_path", flat=True)) == {
            old_path
        }
    assert len(callbacks) == 1
    assert set(AuditLog.objects.filter(id__in=logs).values_list("org_path", flat=True)) == {
        moved.path
    }
    move_log = AuditLog.objects.filter(action="org.move").latest("id")
    assert move_log.changes["deferred"] == ["core.AuditLog"]
    assert move_log.org_path == moved.path


# --- org_dissolve ----------------------------------------------------------------------------


def test_org_dissolve_marks_a_leaf_dissolved(tree, people) -> None:
    before = AuditLog.objects.count()
    org = org_dissolve(actor=people.township_a, org=tree.village_a2, on=dt.date(2025, 12, 31))
    org.refresh_from_db()
    assert org.dissolved_on == dt.date(2025, 12, 31)
    assert AuditLog.objects.count() == before + 1
    log = AuditLog.objects.latest("id")
    assert (log.action, log.changes) == ("org.dissolve", {"dissolved_on": [None, "2025-12-31"]})


def test_org_dissolve_is_refused_while_children_are_active(tree, people) -> None:
    before = _snapshot()
    with pytest.raises(ValidationError) as exc:
        org_dissolve(actor=people.township_a, org=tree.village_a1, on=dt.date(2025, 12, 31))
    assert exc.value.code == "has_children"
    tree.village_a1.refresh_from_db()
    assert tree.village_a1.dissolved_on is None
    assert _snapshot() == before


def test_org_dissolve_after_the_children_are_dissolved(tree, people) -> None:
    org_dissolve(actor=people.township_a, org=tree.group_a1, on=dt.date(2025, 12, 1))
    org = org_dissolve(actor=people.township_a, org=tree.village_a1, on=dt.date(2025, 12, 31))
    assert org.dissolved_on == dt.date(2025, 12, 31)


def test_inspector_cannot_dissolve(tree, people) -> None:
    before = _snapshot()
    with pytest.raises(PermissionDenied):
        org_dissolve(actor=people.inspector, org=tree.village_a2, on=dt.date(2025, 12, 31))
    tree.village_a2.refresh_from_db()
    assert tree.village_a2.dissolved_on is None
    assert _snapshot() == before


# --- joint links -----------------------------------------------------------------------------


def test_org_link_create_and_end(tree, people) -> None:
    link = org_link_create(
        actor=people.township_a,
        kind=OrgLink.Kind.ALLIANCE,
        lead=tree.village_a1,
        partner=tree.village_a2,
        started_on=dt.date(2025, 1, 1),
        note="跨村联建",
    )
    log = AuditLog.objects.latest("id")
    assert (log.action, log.org_path) == ("org.link", tree.village_a1.path)
    assert log.changes == {
        "kind": "alliance",
        "partner": tree.village_a2.pk,
        "started_on": "2025-01-01",
    }

    ended = org_link_end(actor=people.township_a, link=link, ended_on=dt.date(2025, 12, 31))
    assert OrgLink.objects.get(pk=ended.pk).ended_on == dt.date(2025, 12, 31)
    assert AuditLog.objects.latest("id").action == "org.link_end"


def test_a_duplicate_open_link_is_refused(tree, people) -> None:
    org_link_create(
        actor=people.township_a,
        kind=OrgLink.Kind.ALLIANCE,
        lead=tree.village_a1,
        partner=tree.village_a2,
        started_on=dt.date(2025, 1, 1),
    )
    links, audits = OrgLink.objects.count(), AuditLog.objects.count()
    with pytest.raises(ValidationError) as exc:
        org_link_create(
            actor=people.township_a,
            kind=OrgLink.Kind.ALLIANCE,
            lead=tree.village_a1,
            partner=tree.village_a2,
            started_on=dt.date(2025, 6, 1),
        )
    assert exc.value.code == "duplicate_link"
    assert exc.value.messages == ["这两个组织之间已有同类型、尚未结束的联建关系"]
    assert (OrgLink.objects.count(), AuditLog.objects.count()) == (links, audits)


def test_a_link_of_another_kind_is_not_a_duplicate(tree, people) -> None:
    for kind in (OrgLink.Kind.ALLIANCE, OrgLink.Kind.PAIRING):
        org_link_create(
            actor=people.township_a,
            kind=kind,
            lead=tree.village_a1,
            partner=tree.village_a2,
            started_on=dt.date(2025, 1, 1),
        )
    assert OrgLink.objects.count() == 2


def test_an_ended_link_may_be_started_again(tree, people) -> None:
    link = org_link_create(
        actor=people.township_a,
        kind=OrgLink.Kind.ALLIANCE,
        lead=tree.village_a1,
        partner=tree.village_a2,
        started_on=dt.date(2025, 1, 1),
    )
    org_link_end(actor=people.township_a, link=link, ended_on=dt.date(2025, 3, 31))
    again = org_link_create(
        actor=people.township_a,
        kind=OrgLink.Kind.ALLIANCE,
        lead=tree.village_a1,
        partner=tree.village_a2,
        started_on=dt.date(2025, 6, 1),
    )
    assert again.pk != link.pk


def test_a_second_link_on_the_same_start_day_is_refused_not_a_crash(tree, people) -> None:
    link = org_link_create(
        actor=people.township_a,
        kind=OrgLink.Kind.ALLIANCE,
        lead=tree.village_a1,
        partner=tree.village_a2,
        started_on=dt.date(2025, 1, 1),
        ended_on=dt.date(2025, 3, 31),
    )
    links, audits = OrgLink.objects.count(), AuditLog.objects.count()
    with pytest.raises(ValidationError) as exc:
        org_link_create(
            actor=people.township_a,
            kind=OrgLink.Kind.ALLIANCE,
            lead=tree.village_a1,
            partner=tree.village_a2,
            started_on=link.started_on,
        )
    assert exc.value.code == "duplicate_link"
    assert exc.value.messages == ["这两个组织之间已有同一天开始的同类型联建关系"]
    assert (OrgLink.objects.count(), AuditLog.objects.count()) == (links, audits)


def test_link_date_and_self_rules(tree, people) -> None:
    with pytest.raises(ValidationError) as exc:
        org_link_create(
            actor=people.township_a,
            kind=OrgLink.Kind.ALLIANCE,
            lead=tree.village_a1,
            partner=tree.village_a1,
            started_on=dt.date(2025, 1, 1),
        )
    assert exc.value.code == "self_link"
    with pytest.raises(ValidationError) as exc:
        org_link_create(
            actor=people.township_a,
            kind=OrgLink.Kind.ALLIANCE,
            lead=tree.village_a1,
            partner=tree.village_a2,
            started_on=dt.date(2025, 1, 1),
            ended_on=dt.date(2024, 12, 31),
        )
    assert exc.value.code == "invalid_dates"
    with pytest.raises(ValidationError) as exc:
        org_link_create(
            actor=people.township_a,
            kind="friendship",
            lead=tree.village_a1,
            partner=tree.village_a2,
            started_on=dt.date(2025, 1, 1),
        )
    assert exc.value.code == "unknown_kind"
    assert OrgLink.objects.count() == 0


def test_a_link_to_an_invisible_partner_is_404(tree, people) -> None:
    audits = AuditLog.objects.count()
    with pytest.raises(Http404):
        org_link_create(
            actor=people.township_a,
            kind=OrgLink.Kind.ALLIANCE,
            lead=tree.village_a1,
            partner=tree.village_b1,
            started_on=dt.date(2025, 1, 1),
        )
    assert (OrgLink.objects.count(), AuditLog.objects.count()) == (0, audits)


def test_org_link_end_before_start_is_refused_and_others_cannot_end(tree, people) -> None:
    link = org_link_create(
        actor=people.township_a,
        kind=OrgLink.Kind.ALLIANCE,
        lead=tree.village_a1,
        partner=tree.village_a2,
        started_on=dt.date(2025, 1, 1),
    )
    with pytest.raises(ValidationError) as exc:
        org_link_end(actor=people.township_a, link=link, ended_on=dt.date(2024, 12, 31))
    assert exc.value.code == "invalid_dates"
    with pytest.raises(PermissionDenied):
        org_link_end(actor=people.inspector, link=link, ended_on=dt.date(2025, 12, 31))
    with pytest.raises(Http404):
        org_link_end(actor=people.township_b, link=link, ended_on=dt.date(2025, 12, 31))
    link.refresh_from_db()
    assert link.ended_on is None
