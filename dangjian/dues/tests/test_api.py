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
