"""A guessed ID number cannot be confirmed without limit inside one's own scope
(members/id_lookup.py).

The branch secretary (no reveal right) sees 张三's region, birth date and sex: about 500
candidates. Each search by a full number, and each duplicate check of a number that fits 张三,
is counted and audited; past ``ID_LOOKUP_LIMIT`` it is refused before the number is looked up,
with the same answer whether or not the number exists. The township worker, who may reveal, is
never counted.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from openpyxl import Workbook

from dangjian.core.models import AuditLog, Notification, RateCounter
from dangjian.members import excel
from dangjian.members.id_lookup import refusal_message, reveals_range
from dangjian.members.models import Member
from dangjian.members.services import member_update
from dangjian.members.tests.factories import make_id, make_member
from dangjian.orgs.tests.factories import grant, make_user
from dangjian.transfers import services as transfers

BORN = dt.date(1984, 3, 9)
LIMIT = 3
REFUSED = "此类查询已暂停"


@pytest.fixture(autouse=True)
def small_limit(settings):  # type: ignore[no-untyped-def]
    settings.ID_LOOKUP_LIMIT = (LIMIT, 86400)


@pytest.fixture
def zhang(people, tree) -> tuple[Member, str]:  # type: ignore[no-untyped-def]
    """张三 of 甲村党支部 (the secretary's branch) and his number."""
    number = make_id(BORN, male=True, n=123)
    member = make_member(
        people.county_admin, tree.village_a1, id_number=number, birth_date=BORN, male=True
    )
    return member, number


def candidate(n: int) -> str:
    """A number that fits what the secretary sees of 张三 (region, birth date, sex)."""
    assert n != 123
    return make_id(BORN, male=True, n=n)


def unrelated(n: int) -> str:
    """A number that fits no member anyone in the tree sees."""
    return make_id(dt.date(1971, 11, 20), male=False, n=n)


def wrong_check_digit(number: str) -> str:
    return number[:17] + ("0" if number[17] != "0" else "1")


def lookups(actor: Any) -> list[dict[str, Any]]:
    return list(
        AuditLog.objects.filter(action="member.id_lookup", actor=actor).values_list(
            "changes", flat=True
        )
    )


def counted(actor: Any) -> int:
    return sum(
        RateCounter.objects.filter(key=f"id_lookup:{actor.pk}").values_list("count", flat=True)
    )


def no_number_in_audit(*numbers: str) -> None:
    for row in AuditLog.objects.all():
        text = f"{row.object_repr} {row.changes} {row.object_id}"
        assert not any(n in text for n in numbers)


def search(client: Any, q: str) -> Any:
    return client.post(reverse("members:list"), {"q": q})


# --- the member list: boundary, refusal, audit --------------------------------------------------


def test_the_secretarys_id_searches_are_answered_up_to_the_limit_and_refused_after(
    login, people, zhang
):
    member, number = zhang
    client = login(people.village_secretary)
    for i in range(LIMIT - 1):  # limit − 1
        assert search(client, candidate(i)).status_code == 200
    at_limit = search(client, number)  # the limit-th is still answered
    assert at_limit.status_code == 200
    assert member.name in at_limit.content.decode()
    assert counted(people.village_secretary) == LIMIT

    over = search(client, number)  # limit + 1
    body = over.content.decode()
    assert over.status_code == 429
    assert refusal_message() in body
    assert reverse("members:detail", args=[member.pk]) not in body
    assert counted(people.village_secretary) == LIMIT  # the refusal counts nothing more
    assert lookups(people.village_secretary) == [{"surface": "member.list", "lookups": 1}] * LIMIT
    refused = AuditLog.objects.get(action="member.id_lookup_refused")
    assert refused.actor == people.village_secretary
    assert refused.changes["surface"] == "member.list"
    no_number_in_audit(number, candidate(0), candidate(1))


def test_the_refusal_is_the_same_whether_or_not_the_number_exists(login, people, zhang):
    member, number = zhang
    client = login(people.village_secretary)
    for i in range(LIMIT):
        search(client, candidate(i))
    existing, missing = search(client, number), search(client, candidate(LIMIT))
    assert existing.status_code == missing.status_code == 429
    for response in (existing, missing):
        body = response.content.decode()
        assert refusal_message() in body
        assert "共 0 人" in body
        assert reverse("members:detail", args=[member.pk]) not in body


def test_the_limit_stops_the_secretary_and_flags_them_to_the_county_admins(login, people, zhang):
    client = login(people.village_secretary)
    for i in range(LIMIT + 3):
        search(client, candidate(i))
    assert AuditLog.objects.filter(action="member.id_probe_flagged").count() == 1
    note = Notification.objects.get(recipient=people.county_admin)
    assert "逐一试探" in note.title
    assert not Notification.objects.filter(recipient=people.village_secretary).exists()


def test_searches_by_name_or_by_a_wrong_number_are_not_counted(login, people, zhang):
    client = login(people.village_secretary)
    for _ in range(LIMIT + 2):
        client.get(reverse("members:list"), {"q": "张三"})
        client.get(reverse("members:list"), {"q": "zs"})
        client.get(reverse("members:list"), {"q": wrong_check_digit(candidate(5))})
    assert counted(people.village_secretary) == 0
    assert search(client, zhang[1]).status_code == 200


def test_a_worker_with_the_reveal_right_searches_by_id_without_limit(login, people, zhang):
    member, number = zhang
    client = login(people.township_a)
    for i in range(LIMIT * 3):
        assert search(client, candidate(i)).status_code == 200
    response = search(client, number)
    assert response.status_code == 200
    assert member.name in response.content.decode()
    assert counted(people.township_a) == 0
    assert lookups(people.township_a) == []


def test_reveal_right_over_part_of_the_scope_frees_only_searches_narrowed_to_that_part(tree):
    user = make_user("two_hats", name="两顶帽子")
    grant(user, tree.village_a1, "secretary")  # views 甲村 without the reveal right
    grant(user, tree.township_b, "party_worker")  # may reveal all of 乙镇
    assert not reveals_range(user)
    assert reveals_range(user, within=tree.village_b1.path)
    assert reveals_range(user, within=tree.township_b.path)
    assert not reveals_range(user, within=tree.village_a1.path)
    assert not reveals_range(user, within=tree.county.path)


# --- the number stays out of URLs -------------------------------------------------------------


def test_an_id_search_is_answered_from_the_post_and_no_link_carries_the_number(
    login, people, zhang
):
    member, number = zhang
    client = login(people.township_a)
    response = search(client, number)
    assert response.status_code == 200
    body = response.content.decode()
    assert member.name in body
    assert f"q={number}" not in body  # no paging, export or filter link carries it
    assert "/members/export/" not in body


def test_any_other_filter_posted_is_redirected_to_its_get_address(login, people, zhang):
    client = login(people.village_secretary)
    response = client.post(reverse("members:list"), {"q": "张三", "sex": "1"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("members:list") + "?")
    assert "sex=1" in response["Location"]
    followed = client.get(response["Location"])
    assert zhang[0].name in followed.content.decode()


# --- the API list and the export ------------------------------------------------------------


def test_the_api_list_counts_id_searches_and_answers_429_after_the_limit(login, people, zhang):
    member, number = zhang
    client = login(people.village_secretary)
    for i in range(LIMIT - 1):
        assert client.get("/api/v1/members/", {"q": candidate(i)}).status_code == 200
    at_limit = client.get("/api/v1/members/", {"q": number})
    assert at_limit.status_code == 200
    assert [m["id"] for m in at_limit.json()["items"]] == [member.pk]

    over = client.get("/api/v1/members/", {"q": number})
    assert over.status_code == 429
    assert over.json()["code"] == "rate_limited"
    assert over.json()["message"] == refusal_message()
    assert int(over["Retry-After"]) > 0
    assert {c["surface"] for c in lookups(people.village_secretary)} == {"api.member.list"}


def test_the_export_filtered_by_id_number_is_counted_and_refused_after_the_limit(
    login, people, zhang
):
    _, number = zhang
    client = login(people.village_secretary)
    url = reverse("members:export")
    for i in range(LIMIT):
        response = client.get(url, {"layout": "roster", "q": candidate(i)})
        assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    over = client.get(url, {"layout": "roster", "q": number})
    assert over.status_code == 302
    assert not over.has_header("Content-Disposition")
    assert lookups(people.village_secretary)[0]["surface"] == "member.export"
    page = client.get(over["Location"])
    assert refusal_message() in page.content.decode()


def test_the_transfer_member_picker_counts_id_searches(login, people, zhang):
    member, number = zhang
    client = login(people.village_secretary)
    url = reverse("transfers:member_picker")
    for i in range(LIMIT):
        client.get(url, {"q": candidate(i)})
    over = client.get(url, {"q": number})
    body = over.content.decode()
    assert refusal_message() in body
    assert member.name not in body
    assert {c["surface"] for c in lookups(people.village_secretary)} == {"transfer.member_picker"}


# --- duplicate checks: registration, ID change, external transfer, import ---------------------


def _data(number: str, name: str = "李四") -> dict[str, Any]:
    return {
        "name": name, "sex": "1" if int(number[16]) % 2 else "2", "ethnicity": "01",
        "id_number": number, "birth_date": _born(number), "education": "21",
        "category": "full", "joined_on": dt.date(2005, 7, 1),
        "full_member_on": dt.date(2006, 7, 1), "job": "1",
    }  # fmt: skip


def _born(number: str) -> dt.date:
    return dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))


def test_registering_numbers_that_fit_a_member_is_counted_and_refused_past_the_limit(
    people, tree, zhang
):
    _, number = zhang
    secretary = people.village_secretary
    for i in range(LIMIT - 1):  # new people who happen to fit 张三: registered, counted
        make_member(secretary, tree.village_a1, id_number=candidate(i), birth_date=BORN)
    with pytest.raises(ValidationError, match="已登记在“甲村党支部”"):  # the limit-th: answered
        make_member(secretary, tree.village_a1, id_number=number, birth_date=BORN)
    before = Member.objects.count()

    for guess in (number, candidate(50)):  # limit + 1: the same refusal, found or not
        with pytest.raises(ValidationError) as exc:
            make_member(secretary, tree.village_a1, id_number=guess, birth_date=BORN)
        assert exc.value.messages == [refusal_message()]
    assert Member.objects.count() == before
    assert counted(secretary) == LIMIT
    assert {c["surface"] for c in lookups(secretary)} == {"member.create"}
    # Numbers that fit nobody the secretary sees say nothing about anyone: still registered.
    make_member(
        secretary,
        tree.village_a1,
        id_number=unrelated(1),
        birth_date=_born(unrelated(1)),
        male=False,
    )
    assert Member.objects.count() == before + 1
    no_number_in_audit(number, candidate(50))


def test_re_entering_a_members_own_number_counts_as_a_guess(people, zhang):
    member, number = zhang
    secretary = people.village_secretary
    for _ in range(LIMIT):
        member_update(actor=secretary, member=member, data={"id_number": number})
    with pytest.raises(ValidationError) as exc:
        member_update(actor=secretary, member=member, data={"id_number": number})
    assert exc.value.messages == [refusal_message()]
    assert {c["surface"] for c in lookups(secretary)} == {"member.update"}


def test_an_external_transfer_in_with_a_fitting_number_is_counted(people, tree, zhang):
    _, number = zhang
    secretary = people.village_secretary
    for i in range(LIMIT):
        transfers.transfer_in_external(
            actor=secretary, to_branch=tree.village_a1, data=_data(candidate(i), f"王{i}"),
            external_unit="外省某党支部", dues_paid_through="2026-09",
        )  # fmt: skip
    assert counted(secretary) == LIMIT
    with pytest.raises(ValidationError) as exc:
        transfers.transfer_in_external(
            actor=secretary, to_branch=tree.village_a1, data=_data(number),
            external_unit="外省某党支部", dues_paid_through="2026-09",
        )  # fmt: skip
    assert refusal_message() in exc.value.messages


def _import_file(numbers: list[str], branch: Any) -> bytes:
    wb = Workbook()
    ws = wb.active
    headers = [c.header for c in excel.COLUMNS]
    ws.append(headers)
    for i, number in enumerate(numbers):
        row = {
            "姓名": f"试探{i}", "性别": "1 男" if int(number[16]) % 2 else "2 女",
            "民族": "01 汉族", "公民身份号码": number, "出生日期": _born(number),
            "学历": "21 大学本科毕业", "人员类别": "正式党员",
            "所在党支部": f"{branch.code} {branch.name}", "加入党组织日期": dt.date(2005, 7, 1),
            "转为正式党员日期": dt.date(2006, 7, 1), "工作岗位": "1 农牧渔民",
        }  # fmt: skip
        ws.append([row.get(h, "") for h in headers])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_an_import_dry_run_of_all_candidates_is_refused_whole_without_row_answers(
    people, tree, zhang
):
    _, number = zhang
    guesses = [candidate(i) for i in range(200) if i != 123] + [number]
    before = (Member.objects.count(), counted(people.village_secretary))
    result = excel.member_import(
        actor=people.village_secretary,
        file=_import_file(guesses, tree.village_a1),
        dry_run=True,
    )
    assert REFUSED in result.file_error
    assert result.errors == []  # no row says which number is 张三's
    assert (Member.objects.count(), counted(people.village_secretary)) == before
    refused = AuditLog.objects.get(action="member.id_lookup_refused")
    assert refused.changes == {"surface": "member.import", "lookups": 200, "limit": LIMIT}


def test_an_import_with_as_many_fitting_numbers_as_the_limit_is_answered(people, tree, zhang):
    _, number = zhang
    guesses = [candidate(i) for i in range(LIMIT - 1)] + [number]
    result = excel.member_import(
        actor=people.village_secretary, file=_import_file(guesses, tree.village_a1), dry_run=True
    )
    assert not result.file_error
    assert [e.row for e in result.errors] == [LIMIT + 1]  # 张三's row, in scope: named
    assert lookups(people.village_secretary) == [{"surface": "member.import", "lookups": LIMIT}]


def test_a_secretary_imports_a_new_branch_roll_without_using_the_budget(people, tree, zhang):
    roll = [unrelated(i) for i in range(40)]
    result = excel.member_import(
        actor=people.village_secretary, file=_import_file(roll, tree.village_a1)
    )
    assert not result.file_error
    assert not result.errors
    assert result.created == 40
    assert counted(people.village_secretary) == 0
