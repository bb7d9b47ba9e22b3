"""Member statistics (党统 tables 2 and 4): exact figures, bands, scope, panels and the API."""

from __future__ import annotations

import datetime as dt
import json
import re
from html import unescape
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from dangjian.members.models import Member, MemberStat
from dangjian.members.rules import AGE_BANDS, id_check_digit
from dangjian.members.services import (
    member_create,
    member_leave,
    member_set_lost_contact,
    member_set_mobile,
    member_set_retired,
    member_set_standing,
)
from dangjian.members.stats import selectors as stats
from dangjian.orgs.models import Organization

TODAY = dt.date(2026, 6, 30)
API = "/api/v1"


class Roll:
    """Hands out valid, distinct 公民身份号码 within one test (the 17th digit carries the sex)."""

    def __init__(self) -> None:
        self.n = 0

    def id_for(self, birth: dt.date, *, female: bool) -> str:
        self.n += 1
        if (self.n % 2 == 0) != female:  # odd → male, even → female
            self.n += 1
        first17 = "110101" + f"{birth:%Y%m%d}" + f"{self.n:03d}"
        return first17 + id_check_digit(first17)

    def add(
        self,
        actor: Any,
        branch: Organization,
        *,
        birth: dt.date = dt.date(1980, 1, 1),
        female: bool = False,
        category: str = "full",
        joined: dt.date | None = None,
        **fields: Any,
    ) -> Member:
        joined = joined or birth.replace(year=birth.year + 25)
        data: dict[str, Any] = {
            "name": f"党员{self.n + 1}",
            "sex": "2" if female else "1",
            "ethnicity": "01",
            "id_number": self.id_for(birth, female=female),
            "birth_date": birth,
            "education": "21",
            "category": category,
            "joined_on": joined,
            "job": "1",
            **fields,
        }
        if category == "full":
            data.setdefault("full_member_on", joined.replace(year=joined.year + 1))
        return member_create(actor=actor, branch=branch, data=data)


@pytest.fixture
def roll() -> Roll:
    return Roll()


@pytest.fixture
def population(tree, people, roll: Roll) -> dict[str, Member]:  # type: ignore[no-untyped-def]
    """Seven current members across the county and one who has left (历史库)."""
    a = people.county_admin
    m = {
        "a1_young": roll.add(a, tree.village_a1, birth=dt.date(1996, 5, 1)),
        "a1_probation": roll.add(
            a, tree.village_a1, birth=dt.date(1995, 12, 31), female=True,
            category="probationary", joined=dt.date(2025, 12, 1), education="14", ethnicity="03",
        ),
        "a1_retired": roll.add(a, tree.village_a1, birth=dt.date(1956, 1, 1), education="71"),
        "a2_lost": roll.add(
            a, tree.village_a2, birth=dt.date(1955, 12, 31), female=True, education="61"
        ),
        "a2_mobile": roll.add(a, tree.village_a2, birth=dt.date(1980, 3, 3), education="31"),
        "b1_minority": roll.add(
            a, tree.village_b1, birth=dt.date(1990, 7, 7), female=True, education="41",
            ethnicity="02",
        ),
        "bureau_suspended": roll.add(
            a, tree.bureau, birth=dt.date(1985, 2, 2), category="probationary",
            joined=dt.date(2026, 1, 10), education="90",
        ),
        "a1_left": roll.add(a, tree.village_a1, birth=dt.date(1970, 4, 4)),
    }  # fmt: skip
    member_set_retired(actor=a, member=m["a1_retired"], retired=True)
    member_set_lost_contact(actor=a, member=m["a2_lost"], since=dt.date(2025, 1, 1))
    member_set_mobile(
        actor=a, member=m["a2_mobile"], destination="广东省深圳市", reason="务工",
        since=dt.date(2025, 3, 1),
    )  # fmt: skip
    member_set_standing(
        actor=a, member=m["bureau_suspended"], suspended=True, on=dt.date(2026, 2, 1)
    )
    member_leave(actor=a, member=m["a1_left"], on=dt.date(2026, 3, 1), decrease_reason="11")
    return m


def counts(figures: list[stats.Figure]) -> dict[str, int]:
    return {f.label: f.count for f in figures}


def test_county_figures_are_exact(tree, people, population) -> None:  # type: ignore[no-untyped-def]
    s = stats.member_stats(viewer=people.county_admin, org=tree.county, today=TODAY)
    assert s.total.count == 7
    assert s.total.label == "党员总数"
    assert counts(s.category) == {"正式党员": 5, "预备党员": 2}
    assert counts(s.sex) == {"男": 4, "女": 3}
    assert (s.women.label, s.women.count, s.women.share) == ("女党员", 3, 42.9)
    assert (s.minority.label, s.minority.count, s.minority.share) == ("少数民族党员", 2, 28.6)
    assert counts(s.age_bands) == {
        "30岁及以下": 1, "31-35岁": 1, "36-40岁": 1, "41-45岁": 1, "46-50岁": 1,
        "51-55岁": 0, "56-60岁": 0, "61-65岁": 0, "66-70岁": 1, "71岁及以上": 1,
    }  # fmt: skip
    assert counts(s.education) == {
        "研究生": 1, "大学本科": 1, "大学专科": 1, "中专": 1, "高中、中技": 1, "初中及以下": 2,
    }  # fmt: skip
    assert counts(s.party_age_bands) == {
        "5年及以下": 3, "6-10年": 0, "11-20年": 1, "21-30年": 1, "31-40年": 0,
        "41-50年": 2, "51年及以上": 0,
    }  # fmt: skip
    assert (s.mobile.label, s.mobile.count) == ("流动党员", 1)
    assert (s.lost_contact.label, s.lost_contact.count) == ("失联党员", 1)
    assert (s.retired.label, s.retired.count) == ("离退休党员", 1)
    assert (s.suspended.label, s.suspended.count) == ("停止党籍", 1)
    assert s.probationary.share == 28.6
    assert [f.label for f in s.headline] == [
        "党员总数", "预备党员", "女党员", "少数民族党员", "流动党员", "失联党员", "离退休党员",
        "停止党籍",
    ]  # fmt: skip


def test_figures_carry_the_member_list_filters(tree, people, population) -> None:  # type: ignore[no-untyped-def]
    s = stats.member_stats(viewer=people.county_admin, org=tree.county, today=TODAY)
    assert s.probationary.query == "category=probationary"
    assert s.minority.query == "minority=1"
    assert s.suspended.query == "standing=suspended"
    assert s.education[0].query == "education_group=postgraduate"
    assert s.age_bands[1].query == "age_band=31-35%E5%B2%81"
    assert s.total.query == ""


def test_rollup_figures_equal_a_live_recount(tree, people, population) -> None:  # type: ignore[no-untyped-def]
    for org in (tree.county, tree.township_a, tree.village_a2, tree.organs):
        rolled = stats.member_stats(viewer=people.county_admin, org=org, today=TODAY)
        live = stats.member_stats_live(viewer=people.county_admin, org=org, today=TODAY)
        assert rolled == live


def test_stats_are_one_grouped_query(tree, people, population, django_assert_num_queries) -> None:  # type: ignore[no-untyped-def]
    stats.member_stats(viewer=people.county_admin, org=tree.county, today=TODAY)  # warm caches
    with django_assert_num_queries(1):
        stats.member_stats(viewer=people.county_admin, org=tree.county, today=TODAY)


@pytest.mark.parametrize(
    ("birth", "band"),
    [
        (dt.date(1996, 1, 1), "30岁及以下"),
        (dt.date(1996, 12, 31), "30岁及以下"),
        (dt.date(1995, 12, 31), "31-35岁"),
        (dt.date(1991, 1, 1), "31-35岁"),
        (dt.date(1956, 12, 31), "66-70岁"),
        (dt.date(1956, 1, 1), "66-70岁"),
        (dt.date(1955, 12, 31), "71岁及以上"),
    ],
)
def test_age_band_boundaries_count_by_year(tree, people, roll, birth, band) -> None:  # type: ignore[no-untyped-def]
    roll.add(people.county_admin, tree.village_a1, birth=birth)
    s = stats.member_stats(viewer=people.county_admin, org=tree.county, today=TODAY)
    assert {f.label for f in s.age_bands if f.count} == {band}


def test_age_band_birth_years_match_the_year_convention() -> None:
    assert stats.age_band_birth_years("30岁及以下", today=TODAY) == (1996, 2026)
    assert stats.age_band_birth_years("31-35岁", today=TODAY) == (1991, 1995)
    assert stats.age_band_birth_years("66-70岁", today=TODAY) == (1956, 1960)
    assert stats.age_band_birth_years("71岁及以上", today=TODAY)[1] == 1955
    assert stats.party_age_band_join_years("6-10年", today=TODAY) == (2016, 2020)


def test_party_age_boundaries(tree, people, roll) -> None:  # type: ignore[no-untyped-def]
    a = people.county_admin
    roll.add(a, tree.village_a1, birth=dt.date(1980, 1, 1), joined=dt.date(2021, 12, 31))
    roll.add(a, tree.village_a1, birth=dt.date(1980, 1, 1), joined=dt.date(2020, 1, 1))
    s = stats.member_stats(viewer=a, org=tree.county, today=TODAY)
    assert counts(s.party_age_bands)["5年及以下"] == 1
    assert counts(s.party_age_bands)["6-10年"] == 1


def test_no_members_gives_zeros(tree, people) -> None:  # type: ignore[no-untyped-def]
    s = stats.member_stats(viewer=people.county_admin, org=tree.county, today=TODAY)
    assert s.total.count == 0
    assert s.women.share == 0.0
    assert all(f.count == 0 for f in s.age_bands)


# --- scope ---------------------------------------------------------------------------------

SCOPE = [
    # persona, org, expected total (None: 404, "403": forbidden)
    ("county_admin", "county", 7),
    ("inspector", "county", 7),
    ("county_admin", "township_a", 5),
    ("township_a", "township_a", 5),
    ("township_a", "village_a1", 3),
    ("township_a", "county", None),
    ("township_a", "township_b", None),
    ("township_b", "township_b", 1),
    ("township_b", "county", None),
    ("village_secretary", "village_a1", 3),
    ("village_secretary", "township_a", None),
    ("village_secretary", "village_a2", None),
    ("member", "village_a1", "403"),
    ("grid_worker", "township_a", "403"),
    ("nobody", "county", None),
]


@pytest.mark.parametrize(("persona", "org_name", "expected"), SCOPE)
def test_stats_scope_by_persona(tree, people, population, persona, org_name, expected) -> None:  # type: ignore[no-untyped-def]
    viewer, org = getattr(people, persona), getattr(tree, org_name)
    if expected is None:
        with pytest.raises(Http404):
            stats.member_stats(viewer=viewer, org=org, today=TODAY)
    elif expected == "403":
        with pytest.raises(PermissionDenied):
            stats.member_stats(viewer=viewer, org=org, today=TODAY)
    else:
        assert stats.member_stats(viewer=viewer, org=org, today=TODAY).total.count == expected


@pytest.mark.parametrize(("persona", "org_name", "expected"), SCOPE)
def test_stats_panel_scope_by_persona(
    tree, people, population, login, persona, org_name, expected
) -> None:  # type: ignore[no-untyped-def]
    client = login(getattr(people, persona))
    org = getattr(tree, org_name)
    r = client.get(f"/members/stats/{org.pk}/", HTTP_HX_REQUEST="true")
    if expected is None:
        assert r.status_code == 404
    elif expected == "403":
        assert r.status_code == 403
    else:
        assert r.status_code == 200
        assert r.context["stats"].total.count == expected


@pytest.mark.parametrize(("persona", "org_name", "expected"), SCOPE)
def test_stats_api_scope_by_persona(
    tree, people, population, login, persona, org_name, expected
) -> None:  # type: ignore[no-untyped-def]
    client = login(getattr(people, persona))
    org = getattr(tree, org_name)
    r = client.get(f"{API}/orgs/{org.pk}/member-stats")
    if expected is None:
        assert r.status_code == 404
        assert r.json()["code"] == "not_found"
    elif expected == "403":
        assert r.status_code == 403
        assert r.json()["code"] == "forbidden"
    else:
        assert r.status_code == 200
        assert r.json()["total"]["count"] == expected


def test_viewing_stats_changes_nothing(tree, people, population, login) -> None:  # type: ignore[no-untyped-def]
    before = list(MemberStat.objects.order_by("pk").values_list("pk", "count"))
    login(people.member).get(f"/members/stats/{tree.village_a1.pk}/", HTTP_HX_REQUEST="true")
    login(people.county_admin).get(f"{API}/orgs/{tree.county.pk}/member-stats")
    assert list(MemberStat.objects.order_by("pk").values_list("pk", "count")) == before


def test_anonymous_is_sent_to_login(tree, client) -> None:  # type: ignore[no-untyped-def]
    r = client.get(f"/members/stats/{tree.county.pk}/")
    assert r.status_code == 302
    assert "/accounts/login/" in r["Location"]
    assert client.get(f"{API}/orgs/{tree.county.pk}/member-stats").status_code == 401


# --- panel and API -------------------------------------------------------------------------


def test_stats_panel_renders_cards_charts_and_links(tree, people, population, login) -> None:  # type: ignore[no-untyped-def]
    r = login(people.county_admin).get(f"/members/stats/{tree.county.pk}/", HTTP_HX_REQUEST="true")
    html = r.content.decode()
    assert r.status_code == 200
    assert "<html" not in html  # a partial
    assert 'data-testid="stat-total"' in html
    assert f'href="/members/?org={tree.county.pk}&amp;category=probationary"' in html
    for key in ("category", "sex", "age", "education"):
        chart_id = f"member-chart-{key}-{tree.county.pk}"
        assert f'id="{chart_id}" data-chart="{{&quot;kind&quot;' in html
    assert "<script" not in html  # htmx would strip it: chart data lives in data-chart
    assert "vendor/echarts.min.js" in html
    config = re.search(r'id="member-chart-age-\d+" data-chart="([^"]+)"', html)
    assert config is not None
    assert json.loads(unescape(config.group(1))) == {
        "kind": "bar",
        "name": "年龄分布（党统表2）",
        "labels": [label for label, _, _ in AGE_BANDS],
        "values": [f.count for f in r.context["stats"].age_bands],
    }
    assert "年龄、党龄按年份计算" in html


def test_stats_page_without_htmx_is_a_full_page(tree, people, population, login) -> None:  # type: ignore[no-untyped-def]
    r = login(people.county_admin).get(f"/members/stats/{tree.county.pk}/")
    html = r.content.decode()
    assert r.status_code == 200
    assert "<html" in html
    assert "js/member-charts.js" in html
    assert "党员统计" in html


def test_stats_panel_empty_state(tree, people, login) -> None:  # type: ignore[no-untyped-def]
    r = login(people.county_admin).get(f"/members/stats/{tree.county.pk}/", HTTP_HX_REQUEST="true")
    assert r.status_code == 200
    assert "本组织及下级暂无党员" in r.content.decode()


def test_stats_panel_query_count_does_not_grow(
    tree, people, roll, login, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    client = login(people.county_admin)
    url = f"/members/stats/{tree.county.pk}/"
    roll.add(people.county_admin, tree.village_a1)
    client.get(url, HTTP_HX_REQUEST="true")  # warm the code-table caches
    with django_assert_max_num_queries(5):
        assert client.get(url, HTTP_HX_REQUEST="true").status_code == 200
    for branch in (tree.village_a2, tree.village_b1, tree.bureau) * 3:
        roll.add(people.county_admin, branch, birth=dt.date(1960 + roll.n, 1, 1))
    with django_assert_max_num_queries(5):
        assert client.get(url, HTTP_HX_REQUEST="true").status_code == 200


def test_stats_api_returns_labelled_figures(tree, people, population, login) -> None:  # type: ignore[no-untyped-def]
    r = login(people.township_a).get(f"{API}/orgs/{tree.township_a.pk}/member-stats")
    body = r.json()
    assert r.status_code == 200
    assert body["org_id"] == tree.township_a.pk
    assert body["total"] == {
        "key": "total", "label": "党员总数", "count": 5, "share": 100.0, "query": "",
    }  # fmt: skip
    assert {f["label"]: f["count"] for f in body["category"]} == {"正式党员": 4, "预备党员": 1}
    assert [f["label"] for f in body["education"]][0] == "研究生"
    assert len(body["age_bands"]) == 10
    assert body["lost_contact"]["count"] == 1
    assert body["mobile"]["count"] == 1
    assert body["age_basis"].startswith("年龄、党龄按年份计算")


def test_stats_api_schema_is_labelled_in_chinese(client) -> None:  # type: ignore[no-untyped-def]
    schema = client.get(f"{API}/openapi.json").json()
    out = schema["components"]["schemas"]["MemberStatsOut"]["properties"]
    assert out["women"]["title"] == "女党员"
    assert out["age_bands"]["title"] == "年龄分组（党统表2）"
