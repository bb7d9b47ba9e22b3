"""The duplicate-ID answer is not a membership oracle (members/id_clash.py).

Inside the actor's scope the answer names the branch; outside it names nothing. Every hit is an
audit row without the number; past ``ID_CLASH_LIMIT`` out-of-scope hits the actor's checks are
refused, flagged to the county's organization admins, and change nothing.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from openpyxl import Workbook

from dangjian.core.models import AuditLog, Notification
from dangjian.members import excel
from dangjian.members.id_clash import OUTSIDE_MESSAGE
from dangjian.members.models import Member
from dangjian.members.services import members_bulk_admit
from dangjian.members.tests.factories import make_id, make_member
from dangjian.recruitment import services as recruitment
from dangjian.transfers import services as transfers

# Names of what lies in township A, which township B's worker must never be told.
TOWNSHIP_A_NAMES = ("甲村", "甲镇", "乙村")


def _data(number: str, name: str = "李四") -> dict[str, Any]:
    return {
        "name": name, "sex": "1" if int(number[16]) % 2 else "2", "ethnicity": "01",
        "id_number": number, "birth_date": _born(number), "education": "21",
        "category": "full", "joined_on": dt.date(2005, 7, 1),
        "full_member_on": dt.date(2006, 7, 1), "job": "1",
    }  # fmt: skip


def _clashes(actor: Any) -> list[dict[str, Any]]:
    return list(AuditLog.objects.filter(action="member.id_clash", actor=actor).values_list(
        "changes", flat=True))  # fmt: skip


def _no_number_in_audit(number: str) -> None:
    for row in AuditLog.objects.all():
        assert number not in f"{row.object_repr} {row.changes} {row.object_id}"


@pytest.fixture
def registered(people, tree) -> tuple[Member, str]:  # type: ignore[no-untyped-def]
    """A member of 甲村党支部 (township A) and their number."""
    number = make_id(dt.date(1980, 1, 1), n=777)
    return make_member(people.county_admin, tree.village_a1, id_number=number), number


# --- the answer: named inside, anonymous outside, always audited ----------------------------


def test_member_create_outside_scope_names_nothing_and_is_audited(people, tree, registered):
    _, number = registered
    with pytest.raises(ValidationError) as exc:
        make_member(people.township_b, tree.village_b1, id_number=number)
    message = " ".join(exc.value.messages)
    assert OUTSIDE_MESSAGE in message
    assert not any(name in message for name in TOWNSHIP_A_NAMES)
    assert Member.objects.count() == 1
    assert _clashes(people.township_b) == [{"surface": "member.create", "in_scope": False}]
    _no_number_in_audit(number)


def test_member_create_inside_scope_names_the_branch_and_is_audited(people, tree, registered):
    _, number = registered
    with pytest.raises(ValidationError, match="已登记在“甲村党支部”"):
        make_member(people.township_a, tree.village_a2, id_number=number)
    assert _clashes(people.township_a) == [{"surface": "member.create", "in_scope": True}]
    assert Member.objects.count() == 1


def test_member_create_page_outside_scope_names_nothing(login, people, tree, registered):
    _, number = registered
    client = login(people.township_b)
    form = {**_data(number), "branch": tree.village_b1.pk, "birth_date": "1980-01-01",
            "joined_on": "2005-07-01", "full_member_on": "2006-07-01", "increase_reason": "11"}  # fmt: skip
    page = client.post("/members/new/", form).content.decode()
    assert "已在其他党组织登记" in page
    assert not any(name in page for name in TOWNSHIP_A_NAMES)
    assert Member.objects.count() == 1
    assert _clashes(people.township_b) == [{"surface": "member.create", "in_scope": False}]


def test_member_create_api_outside_and_inside_scope(login, people, tree, registered):
    _, number = registered
    body = {**_data(number), "birth_date": "1980-01-01", "joined_on": "2005-07-01",
            "full_member_on": "2006-07-01"}  # fmt: skip
    outside = login(people.township_b).post(
        "/api/v1/members/",
        {**body, "branch_id": tree.village_b1.pk},
        content_type="application/json",
    )
    assert outside.status_code == 400
    assert outside.json()["message"] == OUTSIDE_MESSAGE
    inside = login(people.township_a).post(
        "/api/v1/members/",
        {**body, "branch_id": tree.village_a2.pk},
        content_type="application/json",
    )
    assert inside.status_code == 400
    assert "甲村党支部" in inside.json()["message"]
    assert Member.objects.count() == 1
    assert len(AuditLog.objects.filter(action="member.id_clash")) == 2


def test_member_update_to_a_number_outside_scope_names_nothing(people, tree, registered):
    from dangjian.members.services import member_update

    _, number = registered
    mine = make_member(people.township_b, tree.village_b1, birth_date=dt.date(1980, 1, 1))
    with pytest.raises(ValidationError) as exc:
        member_update(actor=people.township_b, member=mine, data={"id_number": number})
    assert exc.value.messages == [OUTSIDE_MESSAGE]
    assert _clashes(people.township_b) == [{"surface": "member.update", "in_scope": False}]


def test_applicant_with_a_member_number_outside_scope_names_nothing(people, tree, registered):
    _, number = registered
    data = {"name": "王小明", "id_number": number, "ethnicity": "01", "education": "21",
            "job": "1", "applied_on": dt.date(2025, 3, 1)}  # fmt: skip
    with pytest.raises(ValidationError) as exc:
        recruitment.applicant_create(actor=people.township_b, org=tree.village_b1, data=data)
    assert exc.value.messages == ["该同志已是党员，不能登记为入党申请人"]
    with pytest.raises(ValidationError, match="（甲村党支部）"):
        recruitment.applicant_create(actor=people.township_a, org=tree.village_a2, data=data)
    assert _clashes(people.township_b) == [{"surface": "applicant.create", "in_scope": False}]
    assert _clashes(people.township_a) == [{"surface": "applicant.create", "in_scope": True}]


def test_applicant_already_applying_elsewhere_names_nothing_outside_scope(people, tree):
    number = make_id(dt.date(1998, 5, 4), n=901)
    data = {"name": "王小明", "id_number": number, "ethnicity": "01", "education": "21",
            "job": "1", "applied_on": dt.date(2025, 3, 1)}  # fmt: skip
    recruitment.applicant_create(actor=people.village_secretary, org=tree.village_a1, data=data)
    with pytest.raises(ValidationError) as exc:
        recruitment.applicant_create(actor=people.township_b, org=tree.village_b1, data=data)
    assert exc.value.messages == ["该同志已有正在办理的入党申请"]
    clash = AuditLog.objects.get(action="member.id_clash", actor=people.township_b)
    assert (clash.object_type, clash.changes["in_scope"]) == ("recruitment.applicant", False)


def test_external_transfer_outside_scope_names_nothing_and_is_audited(people, tree, registered):
    _, number = registered
    with pytest.raises(ValidationError) as exc:
        transfers.transfer_in_external(
            actor=people.township_b, to_branch=tree.village_b1, data=_data(number),
            external_unit="中共某某区委组织部", dues_paid_through="2026-09",
        )  # fmt: skip
    assert exc.value.messages == [OUTSIDE_MESSAGE]
    assert _clashes(people.township_b) == [{"surface": "transfer.in_external", "in_scope": False}]
    assert Member.objects.count() == 1


# --- imports ---------------------------------------------------------------------------------


def _import_file(numbers: list[str], branch: Any) -> bytes:
    wb = Workbook()
    ws = wb.active
    headers = [c.header for c in excel.COLUMNS]
    ws.append(headers)
    for i, number in enumerate(numbers):
        row = {
            "姓名": f"探查{i}", "性别": "1 男" if int(number[16]) % 2 else "2 女",
            "民族": "01 汉族", "公民身份号码": number, "出生日期": _born(number),
            "学历": "21 大学本科毕业", "人员类别": "正式党员",
            "所在党支部": f"{branch.code} {branch.name}", "加入党组织日期": dt.date(2005, 7, 1),
            "转为正式党员日期": dt.date(2006, 7, 1), "工作岗位": "1 农牧渔民",
        }  # fmt: skip
        ws.append([row.get(h, "") for h in headers])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _register(actor: Any, branch: Any, numbers: list[str]) -> None:
    members_bulk_admit(actor=actor, rows=[(branch, None, _data(n)) for n in numbers], source="t")


def _numbers(count: int, start: int = 0) -> list[str]:
    """Distinct valid numbers: 400 per birth date, from 1980-01-01 on."""
    return [
        make_id(dt.date(1980, 1, 1) + dt.timedelta(days=i // 400), n=i % 400)
        for i in range(start, start + count)
    ]


def _fresh(n: int) -> str:
    """A number no test registers (born 1970)."""
    return make_id(dt.date(1970, 5, 5), n=n)


def _person(number: str) -> dict[str, Any]:
    return {"id_number": number, "birth_date": _born(number), "male": int(number[16]) % 2 == 1}


def _born(number: str) -> dt.date:
    return dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))


def test_import_dry_run_names_only_what_is_in_scope(people, tree):
    inside, outside = _numbers(1, 0), _numbers(1, 1)
    _register(people.county_admin, tree.village_a2, inside)
    _register(people.county_admin, tree.village_b1, outside)
    result = excel.member_import(
        actor=people.township_a, file=_import_file(inside + outside, tree.village_a1), dry_run=True
    )
    texts = {e.row: " ".join(e.messages) for e in result.errors}
    assert "已登记在“乙村党支部”" in texts[2]
    assert OUTSIDE_MESSAGE in texts[3]
    assert "丙村" not in texts[3]
    assert sorted(c["in_scope"] for c in _clashes(people.township_a)) == [False, True]


def test_an_import_probe_of_a_thousand_numbers_is_refused_whole_and_flagged(people, tree):
    probe = _numbers(1000)
    _register(people.county_admin, tree.village_b1, probe)  # all in township B
    before = (Member.objects.count(), AuditLog.objects.count())

    result = excel.member_import(
        actor=people.township_a, file=_import_file(probe, tree.village_a1), dry_run=True
    )
    assert "身份证号查重已暂停" in result.file_error
    assert result.errors == []  # no per-row yes/no
    assert Member.objects.count() == before[0]
    refused = AuditLog.objects.get(action="member.id_probe_refused", actor=people.township_a)
    assert refused.changes["outside"] == 1000
    assert AuditLog.objects.filter(action="member.id_probe_flagged").count() == 1
    note = Notification.objects.get(recipient=people.county_admin)
    assert "疑似批量探查" in note.title
    others = [people.township_a, people.township_b, people.village_secretary, people.inspector]
    assert not Notification.objects.filter(recipient__in=others).exists()  # admins only
    _no_number_in_audit(probe[0])

    # Every later check is refused before the number is looked up, registered or not.
    again = excel.member_import(
        actor=people.township_a, file=_import_file([_fresh(3)], tree.village_a1)
    )
    assert "身份证号查重已暂停" in again.file_error
    assert Member.objects.count() == before[0]


def test_an_import_just_under_the_limit_is_answered(people, tree, settings):
    settings.ID_CLASH_LIMIT = (20, 86400)
    probe = _numbers(19)
    _register(people.county_admin, tree.village_b1, probe)
    result = excel.member_import(
        actor=people.township_a, file=_import_file(probe, tree.village_a1), dry_run=True
    )
    assert not result.file_error
    assert len(result.errors) == 19
    assert all(OUTSIDE_MESSAGE in " ".join(e.messages) for e in result.errors)
    assert not AuditLog.objects.filter(action="member.id_probe_flagged").exists()


# --- repeated single checks ------------------------------------------------------------------


def test_a_thousand_single_creates_are_throttled_flagged_and_change_nothing(people, tree, settings):
    settings.ID_CLASH_LIMIT = (20, 86400)
    probe = _numbers(1000)
    _register(people.county_admin, tree.village_b1, probe)
    members_before = Member.objects.count()

    answers = []
    for number in probe:
        try:
            make_member(people.township_a, tree.village_a1, **_person(number))
        except ValidationError as exc:
            answers.append(" ".join(exc.messages))
    assert len(answers) == 1000
    assert answers[:20] == [OUTSIDE_MESSAGE] * 20  # the 20th reaches the limit
    assert all("身份证号查重已暂停" in a for a in answers[20:])
    assert Member.objects.count() == members_before
    assert len(_clashes(people.township_a)) == 20
    assert AuditLog.objects.filter(action="member.id_probe_refused").count() == 980
    assert AuditLog.objects.filter(action="member.id_probe_flagged").count() == 1
    assert Notification.objects.filter(recipient=people.county_admin).count() == 1

    # The refusal does not depend on the number: a fresh one is refused too, and not created.
    with pytest.raises(ValidationError, match="身份证号查重已暂停"):
        make_member(people.township_a, tree.village_a1, **_person(_fresh(1)))
    assert Member.objects.count() == members_before

    # In-scope work of other people is not affected.
    make_member(people.township_b, tree.village_b1, **_person(_fresh(2)))


def test_in_scope_clashes_do_not_use_up_the_limit(people, tree, settings):
    settings.ID_CLASH_LIMIT = (3, 86400)
    numbers = _numbers(5)
    _register(people.county_admin, tree.village_a2, numbers)  # all inside township A
    for number in numbers:
        with pytest.raises(ValidationError, match="乙村党支部"):
            make_member(people.township_a, tree.village_a1, **_person(number))
    assert len(_clashes(people.township_a)) == 5
    assert not AuditLog.objects.filter(action="member.id_probe_flagged").exists()
