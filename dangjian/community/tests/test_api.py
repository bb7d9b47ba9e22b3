"""The API of 村情民意, 矛盾调解 and 乡贤 (under /api/v1/grid/): the same gates and rules as
the pages; personal data masked."""

from __future__ import annotations

import pytest
from django.utils import timezone

from dangjian.community.models import OpinionRecord
from dangjian.community.tests.factories import make_worthy
from dangjian.core.models import AuditLog
from dangjian.grid.tests.factories import make_grid

pytestmark = pytest.mark.django_db
J = "application/json"


@pytest.fixture
def grid(tree, people):
    return make_grid(tree.village_a1, "甲村第一网格", workers=[people.grid_worker])


def test_opinion_and_mediation_by_grid_worker(people, login, grid, tree):
    c = login(people.grid_worker)
    today = timezone.localdate().isoformat()
    r = c.post(
        "/api/v1/grid/opinions",
        {
            "grid_id": grid.pk,
            "collected_on": today,
            "category": "welfare",
            "content": "医保缴费咨询",
        },
        content_type=J,
    )
    assert r.status_code == 201, r.content
    oid = r.json()["id"]
    r = c.post(
        f"/api/v1/grid/opinions/{oid}/handle",
        {"status": "resolved", "handling": "已上门讲解", "result": "已办理"},
        content_type=J,
    )
    assert r.json()["status"] == "resolved"
    w = make_worthy(tree.village_a1)
    r = c.post(
        "/api/v1/grid/mediations",
        {"grid_id": grid.pk, "mediated_on": today, "dispute_type": "family",
         "parties": ["张三丰", "张小花"], "summary": "赡养费", "place": "worthy_room",
         "outcome": "failed", "worthy_ids": [w.pk]},
        content_type=J,
    )  # fmt: skip
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["parties_masked"] == "张**、张**"
    assert body["worthy_ids"] == [w.pk]
    items = c.get(f"/api/v1/grid/mediations?grid_id={grid.pk}").json()["items"]
    assert items[0]["worthy_ids"] == [w.pk]
    assert c.post(f"/api/v1/grid/mediations/{body['id']}/reveal").status_code == 403
    assert not AuditLog.objects.filter(action="mediation.reveal").exists()
    r = login(people.county_admin).post(f"/api/v1/grid/mediations/{body['id']}/reveal")
    assert r.json()["parties"] == ["张三丰", "张小花"]


def test_opinion_in_foreign_grid_is_404_for_worker(people, login, tree):
    gb = make_grid(tree.village_b1, "丙村网格")
    r = login(people.grid_worker).post(
        "/api/v1/grid/opinions",
        {"grid_id": gb.pk, "collected_on": timezone.localdate().isoformat(),
         "category": "other", "content": "x"},
        content_type=J,
    )  # fmt: skip
    assert r.status_code == 404
    assert not OpinionRecord.objects.exists()


def test_worthy_crud(people, login, tree):
    c = login(people.township_a)
    r = c.post(
        "/api/v1/grid/worthies",
        {"org_id": tree.village_a1.pk, "name": "周德明", "background": "retired_teacher",
         "phone": "13600001234", "joined_on": "2025-03-01"},
        content_type=J,
    )  # fmt: skip
    assert r.status_code == 201, r.content
    wid = r.json()["id"]
    assert r.json()["phone_masked"] == "136****1234"
    r = c.patch(f"/api/v1/grid/worthies/{wid}", {"specialty": "土地纠纷"}, content_type=J)
    assert r.json()["specialty"] == "土地纠纷"
    assert c.get("/api/v1/grid/worthies").json()["items"][0]["mediation_count"] == 0
    assert c.post(f"/api/v1/grid/worthies/{wid}/reveal").json()["phone"] == "13600001234"
