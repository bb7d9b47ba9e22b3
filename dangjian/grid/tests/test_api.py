"""The grid API: the same gates and rules as the pages; personal data masked; stats."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from dangjian.community import services as community_services
from dangjian.community.models import Mediation
from dangjian.community.tests.factories import make_worthy
from dangjian.core.models import AuditLog
from dangjian.grid.models import Grid, Household
from dangjian.grid.tests.factories import make_grid, make_household
from dangjian.members.tests.factories import make_member

pytestmark = pytest.mark.django_db
J = "application/json"


@pytest.fixture
def grid(tree, people):
    return make_grid(tree.village_a1, "甲村第一网格", workers=[people.grid_worker])


def test_grid_create_list_detail_patch(people, login, tree):
    c = login(people.township_a)
    r = c.post(
        "/api/v1/grid/grids",
        {"org_id": tree.village_a2.pk, "name": "乙村北片", "worker_ids": [people.grid_worker.pk]},
        content_type=J,
    )
    assert r.status_code == 201, r.content
    gid = r.json()["id"]
    assert r.json()["workers"] == [{"id": people.grid_worker.pk, "name": "刘海"}]
    items = c.get("/api/v1/grid/grids").json()["items"]
    assert [g["id"] for g in items] == [gid]
    assert items[0]["household_count"] == 0
    r = c.patch(f"/api/v1/grid/grids/{gid}", {"name": "乙村北片网格"}, content_type=J)
    assert r.json()["name"] == "乙村北片网格"
    assert c.get(f"/api/v1/grid/grids/{gid}").json()["opinions_open"] == 0


def test_grid_create_under_township_is_400_with_message(people, login, tree):
    r = login(people.township_a).post(
        "/api/v1/grid/grids", {"org_id": tree.township_a.pk, "name": "镇网格"}, content_type=J
    )
    assert r.status_code == 400
    assert "村（农村）或社区" in r.json()["message"]
    assert not Grid.objects.exists()


@pytest.mark.parametrize(
    ("who", "status"),
    [("township_b", 404), ("inspector", 403), ("grid_worker", 403), ("member", 404)],
)
def test_grid_patch_denied(people, login, grid, who, status):
    r = login(getattr(people, who)).patch(
        f"/api/v1/grid/grids/{grid.pk}", {"name": "改名"}, content_type=J
    )
    assert r.status_code == status
    grid.refresh_from_db()
    assert grid.name == "甲村第一网格"


def test_household_api_masks_and_reveal_audits(people, login, grid):
    c = login(people.township_a)
    r = c.post(
        "/api/v1/grid/households",
        {"grid_id": grid.pk, "address": "一组 3 号", "head_name": "钱桂兰", "size": 1,
         "phone": "13912345678", "tags": ["elderly_alone"]},
        content_type=J,
    )  # fmt: skip
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["phone_masked"] == "139****5678"
    assert "13912345678" not in r.content.decode()
    hid = body["id"]
    listed = c.get(f"/api/v1/grid/households?grid_id={grid.pk}&tag=elderly_alone").json()
    assert [h["id"] for h in listed["items"]] == [hid]
    assert (
        login(people.village_secretary).post(f"/api/v1/grid/households/{hid}/reveal").status_code
        == 403
    )
    c = login(people.township_a)
    assert c.post(f"/api/v1/grid/households/{hid}/reveal").json()["phone"] == "13912345678"
    assert AuditLog.objects.filter(action="household.reveal").count() == 1
    r = c.patch(f"/api/v1/grid/households/{hid}", {"size": 2, "tags": ["dibao"]}, content_type=J)
    assert r.json()["size"] == 2
    assert r.json()["tags"] == ["dibao"]


def test_household_bad_tag_is_400_and_nothing_saved(people, login, grid):
    r = login(people.township_a).post(
        "/api/v1/grid/households",
        {"grid_id": grid.pk, "address": "一组", "head_name": "甲", "size": 1, "tags": ["x"]},
        content_type=J,
    )
    assert r.status_code == 400
    assert not Household.objects.exists()


def test_links_and_anchors(people, login, grid, tree):
    c = login(people.village_secretary)
    m = make_member(people.county_admin, tree.village_a1, name="孙立新")
    home, h1, h2 = (make_household(grid) for _ in range(3))
    r = c.post(
        "/api/v1/grid/anchors",
        {"grid_id": grid.pk, "member_id": m.pk, "household_id": home.pk},
        content_type=J,
    )
    assert r.status_code == 201, r.content
    aid = r.json()["id"]
    r = c.post(
        "/api/v1/grid/links",
        {"member_id": m.pk, "household_ids": [h1.pk, h2.pk], "anchor_id": aid},
        content_type=J,
    )
    assert r.status_code == 201, r.content
    assert len(r.json()) == 2
    links = c.get(f"/api/v1/grid/links?grid_id={grid.pk}").json()["items"]
    assert {x["household_id"] for x in links} == {h1.pk, h2.pk}
    r = c.post(f"/api/v1/grid/links/{links[0]['id']}/end", {}, content_type=J)
    assert r.json()["ended_on"] == timezone.localdate().isoformat()
    r = c.post(f"/api/v1/grid/anchors/{aid}/end", {}, content_type=J)
    assert r.json()["ended_on"] is not None
    assert c.get(f"/api/v1/grid/anchors?grid_id={grid.pk}").json() == []


def test_stats_for_a_subtree_and_period(people, login, grid, tree):
    today = timezone.localdate()
    w = make_worthy(tree.village_a1)
    for days, outcome in ((10, "success"), (40, "failed"), (400, "success")):
        community_services.mediation_record(
            actor=people.county_admin, grid=grid, mediated_on=today - dt.timedelta(days=days),
            dispute_type="neighbour", parties=["甲", "乙"], summary="x", place="worthy_room",
            outcome=outcome, agreement="y", worthies=[w] if days == 10 else [],
            mediator_users=[people.grid_worker],
        )  # fmt: skip
    community_services.opinion_record(
        actor=people.grid_worker, grid=grid, collected_on=today - dt.timedelta(days=20),
        category="other", content="逾期未办",
    )  # fmt: skip
    c = login(people.township_a)
    start = (today - dt.timedelta(days=364)).isoformat()
    s = c.get(f"/api/v1/grid/stats?org_id={tree.township_a.pk}&start={start}").json()
    assert s["mediations"] == 2
    assert s["mediations_success"] == 1
    assert s["success_rate"] == 50.0
    assert s["mediations_with_worthy"] == 1
    assert s["worthies_joined"] == 1
    assert s["opinions"] == 1
    assert s["opinions_overdue"] == 1
    assert s["grids"] == 1
    # another township's stats hold none of it; its party worker cannot ask for township A's
    sb = login(people.township_b).get(f"/api/v1/grid/stats?org_id={tree.township_b.pk}").json()
    assert sb["mediations"] == 0
    assert (
        login(people.township_b).get(f"/api/v1/grid/stats?org_id={tree.township_a.pk}").status_code
        == 404
    )
    c = login(people.township_a)
    bad = c.get(f"/api/v1/grid/stats?org_id={tree.township_a.pk}&start=2026-12-01&end=2026-01-01")
    assert bad.status_code == 400


def test_stats_with_no_mediations_has_no_rate(people, login, tree):
    s = login(people.county_admin).get(f"/api/v1/grid/stats?org_id={tree.county.pk}").json()
    assert s["success_rate"] is None
    assert not Mediation.objects.exists()


def test_ids_from_outside_the_scope_reveal_no_names(people, login, grid, tree):
    far = make_worthy(tree.village_b1, "远方乡贤")
    stranger = people.township_b
    c = login(people.village_secretary)
    r = c.post(
        "/api/v1/grid/mediations",
        {"grid_id": grid.pk, "mediated_on": timezone.localdate().isoformat(),
         "dispute_type": "debt", "parties": ["甲", "乙"], "summary": "欠款", "place": "committee",
         "outcome": "failed", "worthy_ids": [far.pk]},
        content_type=J,
    )  # fmt: skip
    assert r.status_code == 400
    assert "远方乡贤" not in r.content.decode()
    r = c.patch(f"/api/v1/grid/grids/{grid.pk}", {"worker_ids": [stranger.pk]}, content_type=J)
    assert r.status_code == 400
    assert "张卫东" not in r.content.decode()
    assert not Mediation.objects.exists()
