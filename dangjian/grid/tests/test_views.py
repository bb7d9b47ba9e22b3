"""Grid pages across the personas: lists, details, forms, reveal, query counts."""

from __future__ import annotations

import pytest
from django.utils import timezone

from dangjian.community.tests.factories import make_world
from dangjian.core.models import AuditLog
from dangjian.core.tests.edit_forms import row_version_on
from dangjian.grid.models import Grid, HouseholdLink
from dangjian.grid.tests.factories import make_grid, make_household

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(tree, people):
    return make_world(tree, people)


LIST_STATUS = {
    "county_admin": 200, "township_a": 200, "township_b": 200, "village_secretary": 200,
    "grid_worker": 200, "inspector": 200, "member": 403, "nobody": 403,
}  # fmt: skip


MARKERS = {
    "/grid/": ("甲村第一网格", "丙村第一网格"),
    "/grid/households/": ("甲村一组 8 号", "丙村三组 2 号"),
}


@pytest.mark.parametrize("url", MARKERS)
@pytest.mark.parametrize(("who", "status"), LIST_STATUS.items())
def test_list_pages_by_persona(people, login, world, url, who, status):
    r = login(getattr(people, who)).get(url)
    assert r.status_code == status
    if status == 200:
        html = r.content.decode()
        marker_a, marker_b = MARKERS[url]
        assert (marker_a in html) is (who != "township_b")
        if marker_b:
            assert (marker_b in html) is (who in ("county_admin", "township_b", "inspector"))


def test_grid_list_shows_workers_counts_and_stats(people, login, world):
    html = login(people.township_a).get("/grid/").content.decode()
    assert "甲村第一网格" in html
    assert "刘海" in html
    assert "1 户" in html
    assert 'data-testid="grid-stats"' in html
    assert "收集村情民意 <strong>1</strong> 条" in html
    assert "化解矛盾纠纷 <strong>1</strong> 起" in html
    assert "丙村第一网格" not in html


def test_grid_worker_sees_my_grids(people, login, world):
    html = login(people.grid_worker).get("/grid/").content.decode()
    assert 'data-testid="my-grids"' in html


DETAIL_STATUS = {
    "county_admin": 200, "township_a": 200, "village_secretary": 200, "grid_worker": 200,
    "inspector": 200, "township_b": 404, "member": 404, "nobody": 404,
}  # fmt: skip


@pytest.mark.parametrize(("who", "status"), DETAIL_STATUS.items())
def test_detail_pages_by_persona(people, login, world, who, status):
    c = login(getattr(people, who))
    for url in (
        f"/grid/{world['g'].pk}/",
        f"/grid/{world['g'].pk}/links/",
        f"/grid/households/{world['h'].pk}/",
    ):
        assert c.get(url).status_code == status, url


def test_household_page_masks_and_reveal_is_audited(people, login, world):
    url = f"/grid/households/{world['h'].pk}/"
    html = login(people.village_secretary).get(url).content.decode()
    assert "139****5678" in html
    assert "13912345678" not in html
    assert 'data-testid="reveal"' not in html  # a secretary may not reveal
    assert login(people.village_secretary).post(url + "reveal/").status_code == 403
    c = login(people.township_a)
    assert 'data-testid="reveal"' in c.get(url).content.decode()
    r = c.post(url + "reveal/")
    assert "13912345678" in r.content.decode()
    assert AuditLog.objects.filter(action="household.reveal", actor=people.township_a).exists()


def test_links_page_assigns_member(people, login, world):
    c = login(people.village_secretary)
    g = world["g"]
    h2 = make_household(g, address="甲村一组 9 号")
    r = c.post(
        f"/grid/{g.pk}/links/",
        {"member": world["m"].pk, "households": [h2.pk],
         "started_on": timezone.localdate().isoformat()},
    )  # fmt: skip
    assert r.status_code == 302
    assert HouseholdLink.objects.filter(member=world["m"], ended_on__isnull=True).count() == 2
    # the grid worker sees the page but may not change it
    assert login(people.grid_worker).post(f"/grid/{g.pk}/links/", {}).status_code == 403


def test_grid_new_page_creates_grid(people, login, tree):
    c = login(people.township_a)
    html = c.get("/grid/new/").content.decode()
    assert "甲村党支部" in html
    assert "丙村党支部" not in html
    r = c.post(
        "/grid/new/",
        {"org": tree.village_a2.pk, "name": "乙村东片", "workers": [people.grid_worker.pk]},
    )
    assert r.status_code == 302
    assert Grid.objects.get(name="乙村东片").workers.get() == people.grid_worker
    assert login(people.grid_worker).get("/grid/new/").status_code == 403


def test_grid_list_query_count_is_constant(
    people, login, world, tree, django_assert_max_num_queries
):
    c = login(people.county_admin)
    c.get("/grid/")
    for i in range(25):
        g = make_grid(tree.village_a2, f"乙村网格{i}", workers=[people.grid_worker])
        make_household(g)
    with django_assert_max_num_queries(30):
        r = c.get("/grid/")
    assert r.status_code == 200
    assert "加载更多" in r.content.decode()


def test_household_list_query_count_is_constant(
    people, login, world, django_assert_max_num_queries
):
    c = login(people.township_a)
    for _ in range(25):
        make_household(world["g"], tags=["dibao", "disabled"])
    with django_assert_max_num_queries(20):
        r = c.get("/grid/households/?tag=dibao")
    assert r.content.decode().count('data-testid="household-row"') == 20


def test_stats_break_down_by_child_organization(people, login, world, tree):
    html = login(people.county_admin).get(f"/grid/?org={tree.county.pk}").content.decode()
    assert 'data-testid="stats-children"' in html
    assert "甲镇党委" in html
    assert "乙镇党委" in html
    rows = (
        login(people.county_admin)
        .get(f"/api/v1/grid/stats/children?org_id={tree.county.pk}")
        .json()
    )
    by_name = {r["org_name"]: r for r in rows}
    assert by_name["甲镇党委"]["opinions"] == 1
    assert by_name["甲镇党委"]["mediations_success"] == 1
    assert by_name["甲镇党委"]["linked_share"] == 100.0
    assert by_name["乙镇党委"]["households"] == 1
    assert by_name["乙镇党委"]["linked_share"] == 0.0


def test_household_moves_out_and_back(people, login, world):
    c = login(people.village_secretary)
    url = f"/grid/households/{world['h'].pk}/status/"
    assert c.post(url, {"active": "0"}).status_code == 302
    world["h"].refresh_from_db()
    assert not world["h"].is_active
    assert not HouseholdLink.objects.filter(household=world["h"], ended_on__isnull=True).exists()
    assert "恢复在册" in c.get(f"/grid/households/{world['h'].pk}/").content.decode()
    c.post(url, {"active": "1"})
    world["h"].refresh_from_db()
    assert world["h"].is_active
    assert login(people.grid_worker).post(url, {"active": "0"}).status_code == 403


def test_grid_edit_can_deactivate(people, login, world):
    g = world["g"]
    client = login(people.village_secretary)
    url = f"/grid/{g.pk}/edit/"
    version = row_version_on(client, url)
    r = client.post(
        url, {"name": g.name, "workers": [people.grid_worker.pk], "row_version": version}
    )
    assert r.status_code == 302
    g.refresh_from_db()
    assert not g.is_active
    assert "甲村第一网格" not in login(people.township_a).get("/grid/").content.decode()


def test_member_sees_the_households_they_look_after(people, login, world):
    m = world["m"]
    m.user = people.member
    m.save()
    html = login(people.member).get("/grid/mine/").content.decode()
    assert "甲村一组 8 号" in html
    assert "139****5678" in html
    assert "13912345678" not in html
    assert login(people.nobody).get("/grid/mine/").status_code == 403


def test_household_found_by_full_phone_through_the_keyed_hash(people, login, world):
    c = login(people.township_a)
    html = c.get("/grid/households/?q=13912345678").content.decode()
    assert "甲村一组 8 号" in html
    html = c.get("/grid/households/?q=13912345679").content.decode()
    assert "甲村一组 8 号" not in html
    # a partial number is not a lookup (and matches no address)
    assert "甲村一组 8 号" not in c.get("/grid/households/?q=5678").content.decode()


def test_rule_sets_and_tags_are_editable_in_the_system_admin(admin_client):
    from dangjian.grid.models import GridRuleSet

    rs = GridRuleSet.objects.get(version="2026", scope__isnull=True)
    r = admin_client.get(f"/django-admin/grid/gridruleset/{rs.pk}/change/")
    assert r.status_code == 200
    assert "每名党员联系户数上限" in r.content.decode()
    assert admin_client.get("/django-admin/grid/householdtag/").status_code == 200


@pytest.mark.parametrize(
    ("query", "counted"),
    [("start=2020-01-01&end=2020-12-31", 0), ("start={today}&end={today}", 1),
     ("start={today}&end=2020-01-01", 1)],  # start after end: ignored, this year shown
)  # fmt: skip
def test_stats_for_a_typed_period(people, login, world, query, counted):
    today = timezone.localdate().isoformat()
    html = login(people.township_a).get("/grid/?" + query.format(today=today)).content.decode()
    assert f"收集村情民意 <strong>{counted}</strong> 条" in html


def test_stats_panel_lists_categories_and_dispute_types(people, login, world):
    html = login(people.township_a).get("/grid/").content.decode()
    assert "基础设施 1" in html
    assert "邻里纠纷 1" in html
