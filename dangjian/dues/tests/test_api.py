from __future__ import annotations

import json
from typing import Any

import pytest
from django.utils import timezone

from dangjian.dues.models import DuesProfile
from dangjian.members.tests.factories import make_member


def post(client: Any, url: str, body: dict[str, Any]) -> Any:
    return client.post(url, json.dumps(body), content_type="application/json")


@pytest.fixture
def member(people: Any, tree: Any) -> Any:
    return make_member(people.township_a, tree.village_a1, name="陈秀英")


def this_month() -> str:
    return timezone.localdate().replace(day=1).isoformat()


def test_quote_salaried(login: Any, people: Any) -> None:
    r = post(
        login(people.member),
        "/api/v1/dues/quote",
        {"category": "salaried", "monthly_base": "4500.00"},
    )
    assert r.status_code == 200, r.content
    assert r.json() == {
        "monthly_amount": "45.00",
        "rate": "0.01",
        "rule_set": "党费收缴标准（全国）（2008）",
        "explanation": "月工资收入（税后）4500.00 元，在 3000 元以上至 5000 元（含）档，"
        "按 1% 交纳：45.00 元",
    }


def test_quote_fixed_category_without_base(login: Any, people: Any) -> None:
    r = post(login(people.member), "/api/v1/dues/quote", {"category": "student"})
    assert r.status_code == 200
    assert r.json()["monthly_amount"] == "0.20"
    assert r.json()["rate"] is None


def test_quote_half_rate_is_a_decimal_string(login: Any, people: Any) -> None:
    r = post(
        login(people.member), "/api/v1/dues/quote", {"category": "retired", "monthly_base": 5000}
    )
    assert r.json()["rate"] == "0.005"
    assert r.json()["monthly_amount"] == "25.00"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"category": "salaried", "monthly_base": "-1"}, "不能为负数"),
        ({"category": "salaried", "monthly_base": "1000000.01"}, "100 万元"),
        ({"category": "salaried"}, "须填写计算基数"),
        ({"category": "teacher", "monthly_base": "1"}, "未知的党员类别"),
    ],
)
def test_quote_bad_input_is_a_chinese_400(
    login: Any, people: Any, body: dict[str, Any], message: str
) -> None:
    r = post(login(people.member), "/api/v1/dues/quote", body)
    assert r.status_code == 400
    assert r.json()["code"] == "invalid"
    assert message in r.json()["message"]


def test_quote_needs_login(client: Any, db: None) -> None:
    r = post(client, "/api/v1/dues/quote", {"category": "student"})
    assert r.status_code == 401


def test_secretary_sets_and_reads_profile(login: Any, people: Any, member: Any) -> None:
    c = login(people.village_secretary)
    url = f"/api/v1/dues/members/{member.pk}/profile"
    empty = c.get(url).json()
    assert empty["current"] is None
    assert empty["quote"] is None
    assert empty["history"] == []
    r = post(
        c,
        url,
        {"category": "retired", "monthly_base": "5000.01", "effective_month": this_month()},
    )
    assert r.status_code == 201, r.content
    data = c.get(url).json()
    assert data["current"]["monthly_base"] == "5000.01"
    assert data["current"]["base_kind"] == "养老金"
    assert data["current"]["created_by"] == "赵志刚"
    assert data["quote"]["monthly_amount"] == "50.00"
    assert len(data["history"]) == 1


def test_back_dated_too_far_is_a_400(login: Any, people: Any, member: Any) -> None:
    r = post(
        login(people.township_a),
        f"/api/v1/dues/members/{member.pk}/profile",
        {"category": "salaried", "monthly_base": "100", "effective_month": "2000-01-01"},
    )
    assert r.status_code == 400
    assert "补交不超过 6 个月" in r.json()["message"]
    assert not DuesProfile.objects.exists()


def test_other_township_gets_404(login: Any, people: Any, member: Any) -> None:
    c = login(people.township_b)
    url = f"/api/v1/dues/members/{member.pk}/profile"
    assert c.get(url).status_code == 404
    r = post(c, url, {"category": "student", "effective_month": this_month()})
    assert r.status_code == 404
    assert not DuesProfile.objects.exists()


def test_read_only_inspector_may_look_but_not_set(login: Any, people: Any, member: Any) -> None:
    c = login(people.inspector)
    url = f"/api/v1/dues/members/{member.pk}/profile"
    assert c.get(url).status_code == 200
    r = post(c, url, {"category": "student", "effective_month": this_month()})
    assert r.status_code == 403
    assert not DuesProfile.objects.exists()


# --- collection -----------------------------------------------------------------------------


@pytest.fixture
def profiled_member(people: Any, member: Any) -> Any:
    from decimal import Decimal

    from dangjian.dues.services import dues_profile_set

    dues_profile_set(
        actor=people.township_a,
        member=member,
        category="salaried",
        monthly_base=Decimal("4500.00"),
        effective_month=timezone.localdate().replace(day=1),
    )
    return member


def pay_body(**kw: Any) -> dict[str, Any]:
    body = {
        "amount": "45.00",
        "method": "online",
        "reference": "WX-2026-0001",
        "paid_on": timezone.localdate().isoformat(),
        "first_month": this_month(),
    }
    body.update(kw)
    return body


def test_payment_and_statement(login: Any, people: Any, profiled_member: Any) -> None:
    c = login(people.village_secretary)
    r = post(c, f"/api/v1/dues/members/{profiled_member.pk}/payments", pay_body())
    assert r.status_code == 201, r.content
    assert r.json()["amount"] == "45.00"
    assert r.json()["to_central"] is False
    s = c.get(f"/api/v1/dues/members/{profiled_member.pk}/statement").json()
    assert s["paid_through"] == this_month()[:7]
    assert s["months"][0]["expected"] == "45.00"
    assert s["months"][0]["paid"] == "45.00"
    assert s["owed"] == "0.00"
    mine = login(people.member)
    from dangjian.members.models import Member

    Member.objects.filter(pk=profiled_member.pk).update(user=people.member)
    assert mine.get("/api/v1/dues/mine").json()["payments"][0]["reference"] == "WX-2026-0001"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"amount": "-45.00"}, "必须大于 0"),
        ({"amount": "99999999"}, "超过 100 万元"),
        ({"method": "payroll"}, "请选择交纳方式"),
        ({"first_month": "2000-01-01"}, "早于"),
    ],
)
def test_bad_payment_is_a_chinese_400(
    login: Any, people: Any, profiled_member: Any, body: dict[str, Any], message: str
) -> None:
    from dangjian.dues.models import DuesPayment

    r = post(
        login(people.village_secretary),
        f"/api/v1/dues/members/{profiled_member.pk}/payments",
        pay_body(**body),
    )
    assert r.status_code == 400, r.content
    assert message in r.json()["message"]
    assert not DuesPayment.objects.exists()


def test_duplicate_reference_is_a_400(login: Any, people: Any, profiled_member: Any) -> None:
    c = login(people.village_secretary)
    url = f"/api/v1/dues/members/{profiled_member.pk}/payments"
    assert post(c, url, pay_body()).status_code == 201
    r = post(c, url, pay_body())
    assert r.status_code == 400
    assert "已登记过" in r.json()["message"]


def test_payment_outside_scope_is_404(login: Any, people: Any, profiled_member: Any) -> None:
    from dangjian.dues.models import DuesPayment

    r = post(
        login(people.township_b),
        f"/api/v1/dues/members/{profiled_member.pk}/payments",
        pay_body(),
    )
    assert r.status_code == 404
    assert not DuesPayment.objects.exists()


def test_reduction_flow_over_the_api(login: Any, people: Any, profiled_member: Any) -> None:
    sec = login(people.village_secretary)
    r = post(
        sec,
        f"/api/v1/dues/members/{profiled_member.pk}/reductions",
        {
            "kind": "reduce",
            "monthly_amount": "10.00",
            "first_month": this_month(),
            "last_month": this_month(),
            "reason": "长期患病",
        },
    )
    assert r.status_code == 201, r.content
    rid = r.json()["id"]
    # The upper 党委 cannot approve before the branch has discussed it.
    town = login(people.township_a)
    r = post(town, f"/api/v1/dues/reductions/{rid}/decide", {"approve": True})
    assert r.status_code == 400
    assert "须经支部讨论同意" in r.json()["message"]
    sec = login(people.village_secretary)
    r = post(sec, f"/api/v1/dues/reductions/{rid}/discuss", {"agreed": True, "discussion": "同意"})
    assert r.json()["state"] == "discussed"
    r = post(sec, f"/api/v1/dues/reductions/{rid}/decide", {"approve": True})
    assert r.status_code == 403  # the secretary is not the upper 党委
    town = login(people.township_a)
    r = post(town, f"/api/v1/dues/reductions/{rid}/decide", {"approve": True})
    assert r.json()["state"] == "approved"
    s = town.get(f"/api/v1/dues/members/{profiled_member.pk}/statement").json()
    assert s["months"][0]["expected"] == "10.00"
    assert s["months"][0]["standard"] == "45.00"


def test_ledger_summary_and_alerts(
    login: Any, people: Any, tree: Any, profiled_member: Any
) -> None:
    c = login(people.township_a)
    led = c.get(f"/api/v1/dues/orgs/{tree.village_a1.pk}/ledger").json()
    assert [r["member_name"] for r in led["rows"]] == ["陈秀英"]
    assert led["totals"]["expected"] == "45.00"
    s = c.get(f"/api/v1/dues/orgs/{tree.township_a.pk}/summary?month={this_month()[:7]}").json()
    assert s["totals"]["expected"] == "45.00"
    assert [row["org_id"] for row in s["rows"]] == [tree.village_a1.pk, tree.village_a2.pk]
    assert c.get(f"/api/v1/dues/orgs/{tree.township_a.pk}/alerts").json() == []
    r = c.get(f"/api/v1/dues/orgs/{tree.township_a.pk}/summary?month=abc")
    assert r.status_code == 400
    assert "不是年月" in r.json()["message"]
    assert c.get(f"/api/v1/dues/orgs/{tree.village_b1.pk}/ledger").status_code == 404


def test_back_payment_limit_over_the_api(login: Any, people: Any, member: Any) -> None:
    from decimal import Decimal

    from dangjian.dues.models import DuesPayment
    from dangjian.dues.rules import add_months
    from dangjian.dues.services import dues_profile_set

    this_month = timezone.localdate().replace(day=1)
    since = add_months(this_month, -8)
    dues_profile_set(
        actor=people.township_a,
        member=member,
        category="salaried",
        monthly_base=Decimal("4500.00"),
        effective_month=since,
        today=since,
    )
    url = f"/api/v1/dues/members/{member.pk}/payments"
    six, seven = add_months(this_month, -6), add_months(this_month, -7)
    sec = login(people.village_secretary)
    r = post(sec, url, pay_body(first_month=seven.isoformat(), method="cash", reference=""))
    assert r.status_code == 400
    assert "补交党费一般不超过 6 个月" in r.json()["message"]
    assert not DuesPayment.objects.exists()
    r = post(sec, url, pay_body(first_month=six.isoformat(), method="cash", reference=""))
    assert r.status_code == 201
    town = login(people.township_a)
    r = post(
        town,
        f"/api/v1/dues/members/{member.pk}/backpay-approvals",
        {"first_month": seven.isoformat(), "last_month": seven.isoformat(), "reason": "外出务工"},
    )
    assert r.status_code == 201, r.content
    sec = login(people.village_secretary)
    r = post(sec, url, pay_body(first_month=seven.isoformat(), method="cash", reference=""))
    assert r.status_code == 201
