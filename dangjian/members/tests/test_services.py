"""Member services: validation, encryption, timeline, rollup, and refusal that changes nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from dangjian.core import crypto
from dangjian.core.models import AuditLog
from dangjian.members import services
from dangjian.members.models import Member, MemberEvent
from dangjian.members.rollups import reconcile
from dangjian.members.tests.factories import make_id, make_member

pytestmark = pytest.mark.django_db


def test_create_encrypts_and_masks(people, tree):
    number = make_id(dt.date(1980, 1, 1))
    m = make_member(
        people.village_secretary, tree.village_a1, id_number=number, mobile="13812345678"
    )
    raw = Member.objects.values("id_number_enc", "mobile_enc").get(pk=m.pk)
    assert number not in raw["id_number_enc"]
    assert crypto.decrypt(raw["id_number_enc"]) == number
    assert m.id_number_masked == number[:6] + "*" * 12
    assert m.mobile_masked == "138****5678"
    assert m.org_path == tree.village_a1.path
    assert m.name_initials == "zs"


def test_create_puts_an_event_and_an_audit_row(people, tree):
    m = make_member(people.village_secretary, tree.village_a1)
    event = MemberEvent.objects.get(member=m)
    assert event.increase_reason == "11"
    assert event.occurred_on == m.joined_on
    assert AuditLog.objects.filter(action="member.create", object_id=str(m.pk)).exists()
    assert reconcile().is_clean


def test_birth_date_and_sex_must_match_the_id(people, tree):
    with pytest.raises(ValidationError) as exc:
        make_member(
            people.village_secretary, tree.village_a1, id_number=make_id(dt.date(1980, 1, 2))
        )
    assert "出生日期与公民身份号码不一致" in str(exc.value)
    with pytest.raises(ValidationError) as exc:
        make_member(people.village_secretary, tree.village_a1, id_number=make_id(male=False))
    assert "性别与公民身份号码不一致" in str(exc.value)
    assert Member.objects.count() == 0


def test_duplicate_id_is_refused(people, tree):
    number = make_id()
    make_member(people.village_secretary, tree.village_a1, id_number=number)
    with pytest.raises(ValidationError, match="已登记在"):
        make_member(people.township_a, tree.village_a2, id_number=number)
    assert Member.objects.count() == 1


@pytest.mark.parametrize(
    ("overrides", "field_message"),
    [
        ({"joined_on": dt.date(1997, 12, 31)}, "年满 18 周岁"),  # the day before the 18th birthday
        ({"full_member_on": dt.date(2005, 6, 30)}, "转正日期不能早于入党日期"),
        ({"joined_on": dt.date(2099, 1, 1)}, "入党日期不能晚于今天"),
        ({"ethnicity": "99"}, "不在民族代码表中"),
        ({"mobile": "1234"}, "手机号码"),
        (
            {"category": "probationary", "full_member_on": dt.date(2006, 7, 1)},
            "预备党员不应有转正日期",
        ),
    ],
)
def test_bad_input_is_refused_with_a_chinese_message(people, tree, overrides, field_message):
    if overrides.get("category") == "probationary":
        data_member = {"category": "probationary"}
        with pytest.raises(ValidationError) as exc:
            services.member_create(
                actor=people.village_secretary,
                branch=tree.village_a1,
                data={
                    "name": "李四",
                    "sex": "1",
                    "ethnicity": "01",
                    "id_number": make_id(),
                    "birth_date": dt.date(1980, 1, 1),
                    "education": "21",
                    "joined_on": dt.date(2005, 7, 1),
                    "job": "1",
                    **data_member,
                    "full_member_on": overrides["full_member_on"],
                },
            )
    else:
        with pytest.raises(ValidationError) as exc:
            make_member(people.village_secretary, tree.village_a1, **overrides)
    assert field_message in str(exc.value)
    assert Member.objects.count() == 0


def test_joining_on_the_eighteenth_birthday_is_allowed(people, tree):
    m = make_member(
        people.village_secretary,
        tree.village_a1,
        joined_on=dt.date(1998, 1, 1),
        full_member_on=dt.date(1999, 1, 1),
    )
    assert m.pk


def test_a_branch_outside_scope_is_refused(people, tree):
    with pytest.raises(ValidationError, match="不在您的管理范围内"):
        make_member(people.township_a, tree.village_b1)
    assert Member.objects.count() == 0


def test_members_go_into_branches_only(people, tree):
    with pytest.raises(ValidationError, match="只能编入党支部"):
        make_member(people.township_a, tree.township_a)


def test_member_role_cannot_register(people, tree):
    with pytest.raises(PermissionDenied):
        make_member(people.member, tree.village_a1)


def test_update_records_changes_and_keeps_rollup(people, tree):
    m = make_member(people.village_secretary, tree.village_a1)
    services.member_update(
        actor=people.village_secretary, member=m, data={"education": "14", "mobile": "13900000000"}
    )
    m.refresh_from_db()
    assert m.education == "14"
    assert m.mobile_masked == "139****0000"
    assert MemberEvent.objects.filter(member=m, kind="updated").exists()
    assert reconcile().is_clean


def test_status_changes_on_the_timeline(people, tree):
    m = make_member(
        people.village_secretary,
        tree.village_a1,
        category="probationary",
        joined_on=dt.date(2025, 9, 1),
    )
    actor = people.village_secretary
    services.member_confirm_full(actor=actor, member=m, on=dt.date(2026, 9, 1))
    services.member_set_lost_contact(actor=actor, member=m, since=dt.date(2026, 1, 1))
    services.member_set_lost_contact(actor=actor, member=m, since=None)
    services.member_set_mobile(
        actor=actor, member=m, destination="广东省深圳市", reason="务工", since=dt.date(2026, 3, 1)
    )
    services.member_end_mobile(actor=actor, member=m)
    services.member_set_standing(actor=actor, member=m, suspended=True, on=dt.date(2026, 5, 1))
    services.member_set_standing(actor=actor, member=m, suspended=False, on=dt.date(2026, 6, 1))
    kinds = list(MemberEvent.objects.filter(member=m).order_by("id").values_list("kind", flat=True))
    assert kinds == [
        "admitted",
        "category",
        "lost_contact",
        "contact_restored",
        "mobile",
        "mobile_end",
        "standing",
        "restored",
    ]
    assert reconcile().is_clean


def test_leave_moves_to_the_history_and_out_of_the_rollup(people, tree):
    m = make_member(people.village_secretary, tree.village_a1)
    services.member_leave(
        actor=people.village_secretary, member=m, on=dt.date(2026, 2, 1), decrease_reason="11"
    )
    m.refresh_from_db()
    assert m.status == "former"
    assert MemberEvent.objects.get(member=m, kind="left").decrease_reason == "11"
    assert reconcile().is_clean
    # the same person can be registered again later (e.g. 重新入党)
    again = services.member_create(
        actor=people.village_secretary,
        branch=tree.village_a1,
        data={
            "name": m.name,
            "sex": "1",
            "ethnicity": "01",
            "id_number": crypto.decrypt(m.id_number_enc),
            "birth_date": m.birth_date,
            "education": "21",
            "category": "full",
            "joined_on": dt.date(2005, 7, 1),
            "full_member_on": dt.date(2006, 7, 1),
            "job": "1",
        },
        increase_reason="41",
    )
    assert again.pk != m.pk


def test_placement_moves_path_and_rollup(people, tree):
    m = make_member(people.township_a, tree.village_a1)
    services.member_place(actor=people.township_a, member=m, branch=tree.village_a2)
    m.refresh_from_db()
    assert m.org_path == tree.village_a2.path
    assert reconcile().is_clean


def test_group_must_belong_to_the_branch(people, tree):
    m = make_member(people.township_a, tree.village_a2)
    with pytest.raises(ValidationError, match="党小组必须属于所在党支部"):
        services.member_place(
            actor=people.township_a, member=m, branch=tree.village_a2, group=tree.group_a1
        )


def test_reveal_needs_permission_and_is_audited(people, tree):
    m = make_member(people.village_secretary, tree.village_a1, mobile="13812345678")
    with pytest.raises(PermissionDenied):
        services.member_reveal(actor=people.village_secretary, member=m)
    assert not AuditLog.objects.filter(action="member.reveal").exists()
    values = services.member_reveal(actor=people.township_a, member=m)
    assert values["mobile"] == "13812345678"
    log = AuditLog.objects.get(action="member.reveal")
    assert log.actor == people.township_a
    assert log.object_id == str(m.pk)


def test_find_by_exact_id_stays_in_scope(people, tree):
    number = make_id()
    m = make_member(people.village_secretary, tree.village_a1, id_number=number)
    assert (
        services.member_find_by_id_number(viewer=people.township_a, id_number=number.lower()) == m
    )
    assert services.member_find_by_id_number(viewer=people.township_b, id_number=number) is None


def test_org_move_rewrites_member_paths(people, tree):
    from dangjian.orgs.services import org_move

    m = make_member(people.township_a, tree.village_a2)
    org_move(actor=people.county_admin, org=tree.village_a2, new_parent=tree.township_b)
    m.refresh_from_db()
    tree.village_a2.refresh_from_db()
    assert m.org_path == tree.village_a2.path
    assert reconcile().is_clean


def test_an_organization_with_members_on_its_roll_cannot_be_dissolved(people, tree):
    """A branch or 党小组 is dissolved only once its members are placed elsewhere."""
    from dangjian.orgs.models import Organization
    from dangjian.orgs.services import org_dissolve

    admin = people.county_admin
    m = make_member(admin, tree.village_a1)
    services.member_place(actor=admin, member=m, branch=tree.village_a1, group=tree.group_a1)
    with pytest.raises(ValidationError, match="本党小组还有1名党员"):
        org_dissolve(actor=admin, org=tree.group_a1, on=dt.date(2026, 6, 1))
    assert Organization.objects.get(pk=tree.group_a1.pk).dissolved_on is None

    services.member_place(actor=admin, member=m, branch=tree.village_a1, group=None)
    org_dissolve(actor=admin, org=tree.group_a1, on=dt.date(2026, 6, 1))  # now empty
    with pytest.raises(ValidationError, match="该组织还有1名党员"):
        org_dissolve(actor=admin, org=tree.village_a1, on=dt.date(2026, 6, 1))
    assert Organization.objects.get(pk=tree.village_a1.pk).dissolved_on is None

    services.member_leave(actor=admin, member=m, on=dt.date(2026, 5, 1), decrease_reason="11")
    assert Member.objects.get(pk=m.pk).status == Member.Status.FORMER
