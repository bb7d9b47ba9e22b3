"""The grid gate across the personas: hidden is 404, visible without the action is 403."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from dangjian.core.models import AuditLog
from dangjian.grid.access import access_grid_by_id, grids_of_worker, grids_visible_to
from dangjian.grid.models import Grid
from dangjian.grid.services import grid_create, grid_update
from dangjian.grid.tests.factories import make_grid
from dangjian.orgs.models import Organization
from dangjian.orgs.tests.factories import make_org

pytestmark = pytest.mark.django_db


@pytest.fixture
def grids(tree, people):
    return {
        "a1": make_grid(tree.village_a1, "甲村第一网格", workers=[people.grid_worker]),
        "a2": make_grid(tree.village_a2, "乙村第一网格"),
        "b1": make_grid(tree.village_b1, "丙村第一网格"),
    }


VISIBLE = {
    "county_admin": {"a1", "a2", "b1"},
    "township_a": {"a1", "a2"},
    "township_b": {"b1"},
    "village_secretary": {"a1"},
    "member": set(),
    "grid_worker": {"a1", "a2"},
    "inspector": {"a1", "a2", "b1"},
    "nobody": set(),
}


@pytest.mark.parametrize(("who", "expected"), VISIBLE.items())
def test_grids_visible_by_persona(people, grids, who, expected):
    names = {k for k, g in grids.items() if g in grids_visible_to(getattr(people, who))}
    assert names == expected


MANAGE = {
    "county_admin": {"a1", "a2", "b1"},
    "township_a": {"a1", "a2"},
    "township_b": {"b1"},
    "village_secretary": {"a1"},
    "member": set(),
    "grid_worker": set(),
    "inspector": set(),
    "nobody": set(),
}


@pytest.mark.parametrize(("who", "expected"), MANAGE.items())
def test_grids_visible_for_manage_by_persona(people, grids, who, expected):
    qs = grids_visible_to(getattr(people, who), "grid.manage")
    assert {k for k, g in grids.items() if g in qs} == expected


@pytest.mark.parametrize("who", VISIBLE)
def test_access_grid_by_id_is_404_outside_scope_and_403_without_action(people, grids, who):
    viewer = getattr(people, who)
    for key, grid in grids.items():
        if key not in VISIBLE[who]:
            with pytest.raises(Http404):
                access_grid_by_id(viewer, grid.pk)
            with pytest.raises(Http404):
                access_grid_by_id(viewer, grid.pk, action="grid.manage")
            continue
        assert access_grid_by_id(viewer, grid.pk) == grid
        if key in MANAGE[who]:
            assert access_grid_by_id(viewer, grid.pk, action="grid.manage") == grid
        else:
            with pytest.raises(PermissionDenied):
                access_grid_by_id(viewer, grid.pk, action="grid.manage")


def test_missing_grid_is_404(people):
    with pytest.raises(Http404):
        access_grid_by_id(people.county_admin, 987654)


def test_grids_of_worker_lists_only_active_assigned_grids(people, grids, tree):
    assert list(grids_of_worker(people.grid_worker)) == [grids["a1"]]
    assert not grids_of_worker(people.township_a).exists()
    grid_update(actor=people.township_a, grid=grids["a1"], is_active=False)
    assert not grids_of_worker(people.grid_worker).exists()


def test_grid_create_by_secretary_is_audited(tree, people):
    grid = grid_create(
        actor=people.village_secretary,
        org=tree.village_a1,
        name=" 东片网格 ",
        area_description="村东 1–5 组",
        workers=[people.grid_worker],
    )
    assert grid.name == "东片网格"
    assert grid.org_path == tree.village_a1.path
    assert list(grid.workers.all()) == [people.grid_worker]
    log = AuditLog.objects.get(action="grid.create")
    assert log.actor == people.village_secretary
    assert log.org_path == tree.village_a1.path


@pytest.mark.parametrize("who", ["grid_worker", "inspector", "member", "township_b", "nobody"])
def test_grid_create_denied_changes_nothing(tree, people, who):
    with pytest.raises(PermissionDenied):
        grid_create(actor=getattr(people, who), org=tree.village_a1, name="越权网格")
    assert not Grid.objects.exists()
    assert not AuditLog.objects.filter(action="grid.create").exists()


def test_grid_only_under_village_or_community(tree, people):
    admin = people.county_admin
    for org in (tree.county, tree.township_a, tree.group_a1, tree.bureau):
        with pytest.raises(ValidationError) as exc:
            grid_create(actor=admin, org=org, name="第一网格")
        assert "村（农村）或社区" in str(exc.value)
    community = make_org(
        tree.township_a, "幸福社区党委", Organization.Type.COMMITTEE, Organization.Sector.COMMUNITY
    )
    assert grid_create(actor=admin, org=community, name="第一网格").org == community
    assert Grid.objects.count() == 1


def test_grid_name_rules(tree, people, grids):
    admin = people.county_admin
    for name, message in (
        ("  ", "请填写网格名称"),
        ("甲村第一网格", "同名"),
        ("网" * 61, "不能超过"),
    ):
        with pytest.raises(ValidationError) as exc:
            grid_create(actor=admin, org=tree.village_a1, name=name)
        assert message in str(exc.value)
    assert grid_create(actor=admin, org=tree.village_a1, name="网" * 60)
    # the same name in another village is fine
    assert grid_create(actor=admin, org=tree.village_a2, name="甲村第一网格")


def test_worker_must_hold_grid_view_on_the_org(tree, people):
    with pytest.raises(ValidationError) as exc:
        grid_create(
            actor=people.county_admin,
            org=tree.village_b1,
            name="丙村网格",
            workers=[people.grid_worker],
        )
    assert "网格员角色" in str(exc.value)
    assert not Grid.objects.exists()


def test_grid_update_changes_workers_and_audits(tree, people, grids):
    grid = grids["a2"]
    grid_update(actor=people.township_a, grid=grid, name="乙村北片", workers=[people.grid_worker])
    grid.refresh_from_db()
    assert grid.name == "乙村北片"
    assert list(grid.workers.all()) == [people.grid_worker]
    log = AuditLog.objects.filter(action="grid.update").latest("id")
    assert log.changes["name"] == ["乙村第一网格", "乙村北片"]
    assert log.changes["workers"] == [[], [people.grid_worker.pk]]


def test_grid_update_bad_name_changes_nothing(tree, people, grids):
    make_grid(tree.village_a1, "甲村第二网格")
    for name in ("甲村第二网格", " "):
        with pytest.raises(ValidationError):
            grid_update(actor=people.township_a, grid=grids["a1"], name=name, is_active=False)
    grids["a1"].refresh_from_db()
    assert grids["a1"].name == "甲村第一网格"
    assert grids["a1"].is_active
    assert not AuditLog.objects.filter(action="grid.update").exists()
