"""Pages of 村情民意, 矛盾调解 and 乡贤 across the personas: lists, details, forms, reveal,
query counts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from dangjian.community import services
from dangjian.community.models import Mediation, OpinionRecord
from dangjian.community.tests.factories import make_world, make_worthy
from dangjian.grid.tests.factories import make_grid

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(tree, people):
    return make_world(tree, people)


LIST_STATUS = {
    "county_admin": 200, "township_a": 200, "township_b": 200, "village_secretary": 200,
    "grid_worker": 200, "inspector": 200, "member": 403, "nobody": 403,
}  # fmt: skip


MARKERS = {
    "/grid/opinions/": "村东小桥护栏松动",
    "/grid/mediations/": "张**、李*",
    "/grid/worthies/": "周德明",
}


@pytest.mark.parametrize("url", MARKERS)
@pytest.mark.parametrize(("who", "status"), LIST_STATUS.items())
def test_list_pages_by_persona(people, login, world, url, who, status):
    r = login(getattr(people, who)).get(url)
    assert r.status_code == status
    if status == 200:
        assert (MARKERS[url] in r.content.decode()) is (who != "township_b")


DETAIL_STATUS = {
    "county_admin": 200, "township_a": 200, "village_secretary": 200, "grid_worker": 200,
    "inspector": 200, "township_b": 404, "member": 404, "nobody": 404,
}  # fmt: skip


@pytest.mark.parametrize(("who", "status"), DETAIL_STATUS.items())
def test_detail_pages_by_persona(people, login, world, who, status):
    c = login(getattr(people, who))
    for url in (
        f"/grid/opinions/{world['op'].pk}/",
        f"/grid/mediations/{world['med'].pk}/",
        f"/grid/worthies/{world['w'].pk}/",
    ):
        assert c.get(url).status_code == status, url


def test_grid_worker_records_opinion_through_the_page(people, login, world):
    c = login(people.grid_worker)
    g = world["g"]
    assert c.get(f"/grid/opinions/new/?grid={g.pk}").status_code == 200
    r = c.post(
        f"/grid/opinions/new/?grid={g.pk}",
        {"grid": g.pk, "collected_on": timezone.localdate().isoformat(), "category": "environment",
         "content": "垃圾桶不够用", "household": world["h"].pk},
    )  # fmt: skip
    assert r.status_code == 302
    assert OpinionRecord.objects.filter(content="垃圾桶不够用", household=world["h"]).exists()


def test_grid_worker_cannot_record_in_other_grid(people, login, world):
    c = login(people.grid_worker)
    other = make_grid(world["g"].org, "甲村第二网格")
    assert c.get(f"/grid/opinions/new/?grid={other.pk}").status_code == 403
    assert c.get(f"/grid/mediations/new/?grid={world['gb'].pk}").status_code == 403


def test_opinion_form_error_keeps_nothing(people, login, world):
    c = login(people.grid_worker)
    g = world["g"]
    future = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    r = c.post(
        f"/grid/opinions/new/?grid={g.pk}",
        {"grid": g.pk, "collected_on": future, "category": "other", "content": "x"},
    )
    assert r.status_code == 200
    assert "不能晚于今天" in r.content.decode()
    assert OpinionRecord.objects.count() == 1


def test_mediation_form_with_worthy(people, login, world):
    c = login(people.grid_worker)
    g = world["g"]
    html = c.get(f"/grid/mediations/new/?grid={g.pk}").content.decode()
    assert "周德明" in html
    r = c.post(
        f"/grid/mediations/new/?grid={g.pk}",
        {"grid": g.pk, "mediated_on": timezone.localdate().isoformat(), "dispute_type": "land",
         "parties": "王大山、赵小河", "summary": "承包地边界", "place": "worthy_room",
         "mediator_users": [people.grid_worker.pk], "worthies": [world["w"].pk],
         "outcome": "success", "agreement": "以界桩为准"},
    )  # fmt: skip
    assert r.status_code == 302, r.content.decode()
    med = Mediation.objects.get(dispute_type="land")
    assert med.parties_masked == "王**、赵**"
    assert list(med.worthies.all()) == [world["w"]]


def test_worthy_list_counts_mediations(people, login, world):
    html = login(people.township_a).get("/grid/worthies/").content.decode()
    assert "周德明" in html
    assert "参与调解 <strong>1</strong> 起" in html


@pytest.mark.parametrize("url", ["/grid/opinions/", "/grid/mediations/", "/grid/worthies/"])
def test_record_lists_have_constant_query_count(
    people, login, world, tree, url, django_assert_max_num_queries
):
    g, w = world["g"], world["w"]
    today = timezone.localdate()
    for i in range(25):
        services.opinion_record(
            actor=people.grid_worker,
            grid=g,
            collected_on=today,
            category="other",
            content=f"民意{i}",
        )
        services.mediation_record(
            actor=people.grid_worker, grid=g, mediated_on=today, dispute_type="debt",
            parties=["甲", "乙"], summary="欠款", place="committee", outcome="failed", worthies=[w],
        )  # fmt: skip
        make_worthy(tree.village_a2, f"乡贤{i}")
    c = login(people.township_a)
    with django_assert_max_num_queries(20):
        r = c.get(url)
    assert r.status_code == 200
    assert "加载更多" in r.content.decode()


def test_opinion_detail_marks_overdue_and_late_handling(people, login, world):
    g = world["g"]
    today = timezone.localdate()
    late = services.opinion_record(
        actor=people.grid_worker, grid=g, collected_on=today - dt.timedelta(days=20),
        category="other", content="逾期未办",
    )  # fmt: skip
    c = login(people.township_a)
    assert "已逾期" in c.get(f"/grid/opinions/{late.pk}/").content.decode()
    services.opinion_handle(
        actor=people.grid_worker, opinion=late, status="resolved", handling="已办", result="已解决"
    )
    assert "逾期办结" in c.get(f"/grid/opinions/{late.pk}/").content.decode()
    on_time = world["op"]
    assert "逾期" not in c.get(f"/grid/opinions/{on_time.pk}/").content.decode()
